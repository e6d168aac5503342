/* test_embed.c: the event model driven from a foreign loop. The test's main thread is the
 * embedder: it polls ymk_server_fd() (or the fds of ymk_server_pollfds()) with
 * ymk_server_timeout() and calls ymk_server_process(), never ymk_server_run(); a client thread
 * speaks HTTP to it over loopback. Checks that requests, keep-alive, deadlines (an idle
 * connection closed by a timeout that only process() can fire), ymk_server_wake(), a deferred
 * request answered from the embedder's own code between process() calls, and server timers work
 * in that mode, both ways of waiting, and that the fork model refuses it. The build says which loop
 * backend the library has (YMK_TEST_POLL_BACKEND): with poll() there is no one fd, and
 * ymk_server_fd() must say YMK_ENOTSUP; with epoll or kqueue it must give the fd. */
#include "../thread_server.h"
#include "ymawky.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int hello(ymk_request *req, void *user)
{
	(void)user;
	return ymk_respond_buffer(req, 200, "text/plain", ymk_request_path(req),
				  strlen(ymk_request_path(req)));
}

struct client {
	int port;
	atomic_int done;
	char got[2][256];
	int idle_closed_after_ms;
};

static int dial(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Reads until the buffer holds a full response to a request for /x (body "/x") or 5 s pass. */
static void read_answer(int fd, char *buf, size_t cap, const char *body)
{
	size_t got = 0;
	long long end = now_ms() + 5000;
	while (got < cap - 1 && now_ms() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		char *sep = strstr(buf, "\r\n\r\n");
		if (sep && !strcmp(sep + 4, body))
			break;
	}
	buf[got] = '\0';
}

static void *client_main(void *arg)
{
	struct client *cl = arg;
	int fd = dial(cl->port);
	if (fd >= 0) {
		/* Two requests on one keep-alive connection. */
		const char *r1 = "GET /one HTTP/1.1\r\nHost: x\r\n\r\n";
		const char *r2 = "GET /two HTTP/1.1\r\nHost: x\r\n\r\n";
		(void)!send(fd, r1, strlen(r1), MSG_NOSIGNAL);
		read_answer(fd, cl->got[0], sizeof cl->got[0], "/one");
		(void)!send(fd, r2, strlen(r2), MSG_NOSIGNAL);
		read_answer(fd, cl->got[1], sizeof cl->got[1], "/two");
		/* Then stay idle: the keep-alive deadline must close it. */
		long long t0 = now_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char c;
		cl->idle_closed_after_ms = -1;
		while (now_ms() - t0 < 5000) {
			if (poll(&p, 1, 100) == 1) {
				if (recv(fd, &c, 1, 0) == 0)
					cl->idle_closed_after_ms = (int)(now_ms() - t0);
				break;
			}
		}
		close(fd);
	}
	atomic_store(&cl->done, 1);
	return NULL;
}

#ifndef YMK_TEST_POLL_BACKEND
#error "tests/meson.build defines YMK_TEST_POLL_BACKEND (1: the library's loop backend is poll())"
#endif

/* What the embedder watches: the one fd, or the set of ymk_server_pollfds(). Returns the number
 * of fds filled in p (at most cap). */
static int server_fds(ymk_server *srv, int use_pollfds, struct pollfd *p, int cap)
{
	if (!use_pollfds) {
		p[0] = (struct pollfd){.fd = ymk_server_fd(srv), .events = POLLIN};
		ck_assert_int_ge(p[0].fd, 0);
		return 1;
	}
	int n = ymk_server_pollfds(srv, p, (size_t)cap);
	ck_assert_int_ge(n, 1);
	ck_assert_int_le(n, cap);
	return n;
}

static int wait_server(ymk_server *srv, int use_pollfds, int timeout)
{
	struct pollfd p[64];
	int n = server_fds(srv, use_pollfds, p, 64);
	return poll(p, (nfds_t)n, timeout);
}

static void foreign_loop(int use_pollfds)
{
	ymk_config *cfg;
	ymk_server *srv;
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
	ck_assert_int_eq(ymk_config_set_handler(cfg, hello, NULL), 0);
	ck_assert_int_eq(ymk_config_set_keepalive_timeout(cfg, 600), 0);
	ck_assert_int_eq(ymk_server_new(&srv, cfg), 0);
	ymk_config_free(cfg);
	signal(SIGPIPE, SIG_IGN);

	ck_assert_int_eq(ymk_server_timeout(srv), -1); /* nothing pending yet */

	struct client cl = {.port = ymk_server_port(srv)};
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, client_main, &cl), 0);
	long long end = now_ms() + 15000;
	int saw_deadline = 0;
	while (!atomic_load(&cl.done) && now_ms() < end) {
		int timeout = ymk_server_timeout(srv);
		if (timeout >= 0)
			saw_deadline = 1;
		/* Short cap only so that the loop notices the client finishing. */
		(void)wait_server(srv, use_pollfds, timeout < 0 || timeout > 50 ? 50 : timeout);
		ck_assert_int_eq(ymk_server_process(srv), 0);
	}
	pthread_join(t, NULL);
	ck_assert_msg(strstr(cl.got[0], "HTTP/1.1 200 OK\r\n") == cl.got[0], "first: %s", cl.got[0]);
	ck_assert_msg(strstr(cl.got[1], "\r\n\r\n/two") != NULL, "second: %s", cl.got[1]);
	ck_assert_int_eq(saw_deadline, 1);
	ck_assert_msg(cl.idle_closed_after_ms >= 400 && cl.idle_closed_after_ms <= 3000,
		      "idle connection closed after %d ms (keep-alive 600)", cl.idle_closed_after_ms);

	/* wake: the fd becomes readable, process() consumes it, nothing stops. */
	ck_assert_int_eq(wait_server(srv, use_pollfds, 0), 0);
	ymk_server_wake(srv);
	ck_assert_int_eq(wait_server(srv, use_pollfds, 1000), 1);
	ck_assert_int_eq(ymk_server_process(srv), 0);
	ck_assert_int_eq(wait_server(srv, use_pollfds, 0), 0);
	ymk_server_free(srv);
}

START_TEST(test_foreign_loop)
{
	ymk_config *cfg;
	ymk_server *srv;
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
	ck_assert_int_eq(ymk_config_set_handler(cfg, hello, NULL), 0);
	ck_assert_int_eq(ymk_server_new(&srv, cfg), 0);
	ymk_config_free(cfg);
	int fd = ymk_server_fd(srv);
	ymk_server_free(srv);
	if (YMK_TEST_POLL_BACKEND) {
		ck_assert_int_eq(fd, YMK_ENOTSUP); /* no one fd: the next test waits on the set */
		return;
	}
	ck_assert_int_ge(fd, 0);
	foreign_loop(0);
}
END_TEST

START_TEST(test_foreign_loop_pollfds)
{
	foreign_loop(1);
}
END_TEST

/* The set itself: its size, the count-only call, a short array, and what it holds. */
START_TEST(test_pollfds_set)
{
	ymk_config *cfg;
	ymk_server *srv;
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
	ck_assert_int_eq(ymk_config_set_handler(cfg, hello, NULL), 0);
	ck_assert_int_eq(ymk_server_new(&srv, cfg), 0);
	ymk_config_free(cfg);
	signal(SIGPIPE, SIG_IGN);
	struct pollfd p[8];
	memset(p, 0x55, sizeof p);
	ck_assert_int_eq(ymk_server_pollfds(NULL, p, 8), YMK_EINVAL);
	ck_assert_int_eq(ymk_server_pollfds(srv, NULL, 1), YMK_EINVAL);
	int n = ymk_server_pollfds(srv, NULL, 0);
	ck_assert_int_eq(ymk_server_pollfds(srv, p, 8), n);
	for (int i = 0; i < n; i++) {
		ck_assert_int_ge(p[i].fd, 0);
		ck_assert_int_eq(p[i].events, POLLIN);
		ck_assert_int_eq(p[i].revents, 0);
	}
	ck_assert_int_eq(p[n].fd, 0x55555555); /* nothing written past the set */
	if (!YMK_TEST_POLL_BACKEND) {
		ck_assert_int_eq(n, 1);
		ck_assert_int_eq(p[0].fd, ymk_server_fd(srv));
		ymk_server_free(srv);
		return;
	}
	ck_assert_int_eq(n, 2); /* the listener and the wake-up pipe */
	struct pollfd one = {.fd = -7};
	ck_assert_int_eq(ymk_server_pollfds(srv, &one, 1), 2); /* a short array: filled to cap */
	ck_assert_int_eq(one.fd, p[0].fd);

	/* A connection joins the set once accepted, and leaves it once closed. */
	int c = dial(ymk_server_port(srv));
	ck_assert_int_ge(c, 0);
	long long end = now_ms() + 5000;
	while (ymk_server_pollfds(srv, NULL, 0) < 3 && now_ms() < end) {
		(void)wait_server(srv, 1, 50);
		ck_assert_int_eq(ymk_server_process(srv), 0);
	}
	ck_assert_int_eq(ymk_server_pollfds(srv, p, 8), 3);
	close(c);
	while (ymk_server_pollfds(srv, NULL, 0) > 2 && now_ms() < end) {
		(void)wait_server(srv, 1, 50);
		ck_assert_int_eq(ymk_server_process(srv), 0);
	}
	ck_assert_int_eq(ymk_server_pollfds(srv, NULL, 0), 2);
	ymk_server_free(srv);
}
END_TEST

/* A request deferred by the handler and answered from the embedder's own loop, outside
 * ymk_server_process(): the answer wakes the server's fd, so a loop waiting on it with the
 * server's timeout sends the answer at once. A server timer set there counts in
 * ymk_server_timeout() and wakes the fd too. */
static ymk_request *waiting;

static int defer_it(ymk_request *req, void *user)
{
	(void)user;
	waiting = req;
	return ymk_request_defer(req);
}

static void forget(ymk_request *req, enum ymk_close_reason reason, void *user)
{
	(void)reason, (void)user;
	if (req == waiting)
		waiting = NULL;
}

static int fired;
static void fire(ymk_server *srv, void *user)
{
	(void)srv, (void)user;
	fired++;
}

static void *ask_later(void *arg)
{
	struct client *cl = arg;
	int fd = dial(cl->port);
	if (fd >= 0) {
		const char *r = "GET /later HTTP/1.1\r\nHost: x\r\n\r\n";
		(void)!send(fd, r, strlen(r), MSG_NOSIGNAL);
		read_answer(fd, cl->got[0], sizeof cl->got[0], "answered by the loop");
		close(fd);
	}
	atomic_store(&cl->done, 1);
	return NULL;
}

START_TEST(test_deferred_in_foreign_loop)
{
	ymk_config *cfg;
	ymk_server *srv;
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
	ck_assert_int_eq(ymk_config_set_handler(cfg, defer_it, NULL), 0);
	ck_assert_int_eq(ymk_server_new(&srv, cfg), 0);
	ymk_config_free(cfg);
	signal(SIGPIPE, SIG_IGN);
	/* With poll() there is no one fd: the embedder watches the set (which holds the wake fd). */
	const int use_pollfds = YMK_TEST_POLL_BACKEND;
	struct client cl = {.port = ymk_server_port(srv)};
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, ask_later, &cl), 0);

	/* The embedder's loop, with a timer of its own 100 ms after the request came. */
	long long end = now_ms() + 10000, answer_at = -1;
	int answered = 0;
	while (!atomic_load(&cl.done) && now_ms() < end) {
		int timeout = ymk_server_timeout(srv);
		if (waiting && answer_at < 0) {
			answer_at = now_ms() + 100;
			ymk_request_on_close(waiting, forget, NULL);
		}
		if (answer_at >= 0 && !answered) {
			long long left = answer_at - now_ms();
			timeout = left < 0 ? 0 : timeout < 0 || timeout > left ? (int)left : timeout;
		}
		int n = wait_server(srv, use_pollfds, timeout < 0 ? 2000 : timeout);
		if (!answered && answer_at >= 0 && now_ms() >= answer_at) {
			/* The embedder's timer: outside ymk_server_process(). */
			static const char msg[] = "answered by the loop";
			ck_assert_ptr_nonnull(waiting);
			ck_assert_int_eq(ymk_respond_buffer(waiting, 200, "text/plain", msg, sizeof msg - 1),
					 0);
			answered = 1;
			ck_assert_int_eq(ymk_server_timeout(srv), 0);
			ck_assert_int_eq(wait_server(srv, use_pollfds, 1000),
					 1); /* the answer woke the server */
			continue;
		}
		(void)n;
		ck_assert_int_eq(ymk_server_process(srv), 0);
	}
	pthread_join(t, NULL);
	ck_assert_msg(strstr(cl.got[0], "HTTP/1.1 200 OK\r\n") == cl.got[0], "deferred: %s", cl.got[0]);
	ck_assert_ptr_null(waiting); /* the close callback ran */

	/* A timer set outside process() wakes the fd and counts in the timeout. */
	while (wait_server(srv, use_pollfds, 0) >= 1)
		ck_assert_int_eq(ymk_server_process(srv), 0);
	ck_assert_int_eq(ymk_server_timer(srv, 200, fire, NULL, NULL), 0);
	ck_assert_int_eq(wait_server(srv, use_pollfds, 0), 1);
	ck_assert_int_eq(ymk_server_process(srv), 0);
	int timeout = ymk_server_timeout(srv);
	ck_assert_msg(timeout > 100 && timeout <= 200, "timeout %d with a timer 200 ms away", timeout);
	ck_assert_int_eq(wait_server(srv, use_pollfds, timeout + 50), 0);
	ck_assert_int_eq(ymk_server_process(srv), 0);
	ck_assert_int_eq(fired, 1);
	ck_assert_int_eq(ymk_server_timeout(srv), -1);
	ymk_server_free(srv);
}
END_TEST

START_TEST(test_fork_model_refuses)
{
	ymk_config *cfg;
	ymk_server *srv;
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
	ck_assert_int_eq(ymk_config_set_handler(cfg, hello, NULL), 0);
	ck_assert_int_eq(ymk_config_set_model(cfg, YMK_MODEL_FORK), 0);
	ck_assert_int_eq(ymk_server_new(&srv, cfg), 0);
	ymk_config_free(cfg);
	ck_assert_int_eq(ymk_server_fd(srv), YMK_ESTATE);
	ck_assert_int_eq(ymk_server_timeout(srv), YMK_ESTATE);
	ck_assert_int_eq(ymk_server_process(srv), YMK_ESTATE);
	ck_assert_int_eq(ymk_server_pollfds(srv, NULL, 0), YMK_ESTATE);
	ck_assert_int_eq(ymk_server_fd(NULL), YMK_EINVAL);
	ymk_server_free(srv);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("embed");
	TCase *tc = tcase_create("foreign-loop");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_foreign_loop);
	tcase_add_test(tc, test_deferred_in_foreign_loop);
	tcase_add_test(tc, test_foreign_loop_pollfds);
	tcase_add_test(tc, test_pollfds_set);
	tcase_add_test(tc, test_fork_model_refuses);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
