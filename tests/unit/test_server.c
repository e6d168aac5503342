/* test_server.c: the server lifecycle seen from threads, and allocation failures during real
 * requests. ymk_server_stop() from another thread must make a running ymk_server_run() return
 * promptly; failing the Nth allocation while a request is served must give either a correct
 * answer or a clean close, never a crash, a hang or a leak (AddressSanitizer checks leaks). */
#include "alloc.h"
#include "ymawky.h"
#include "../thread_server.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static ymk_server *make_server(int model)
{
	ymk_config *cfg;
	ymk_server *srv = NULL;
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_root(cfg, "/tmp"), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
	ck_assert_int_eq(ymk_config_set_model(cfg, model), 0);
	ck_assert_int_eq(ymk_server_new(&srv, cfg), 0);
	ymk_config_free(cfg);
	return srv;
}

/* Sends one request and reads until EOF or 3 s; returns the bytes read (NUL-terminated). */
static size_t exchange(int port, const char *req, char *buf, size_t cap)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	size_t got = 0;
	double end = now_s() + 3;
	while (got < cap - 1 && now_s() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	return got;
}

START_TEST(test_stop_from_thread)
{
	for (int model = 0; model < 2; model++) {
		struct runner r = {.srv = make_server(model), .rc = -1};
		pthread_t t;
		ck_assert_int_eq(pthread_create(&t, NULL, run_thread, &r), 0);
		/* Prove it serves, then stop it from this thread. */
		char buf[4096];
		size_t n = exchange(ymk_server_port(r.srv), "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
				    buf, sizeof buf);
		ck_assert_msg(n > 12 && strncmp(buf, "HTTP/1.1 204 ", 13) == 0, "model %d: %s", model, buf);
		/* A wake-up is not a stop: the server keeps serving after one. */
		ymk_server_wake(r.srv);
		n = exchange(ymk_server_port(r.srv), "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			     buf, sizeof buf);
		ck_assert_msg(n > 12 && strncmp(buf, "HTTP/1.1 204 ", 13) == 0, "model %d after wake: %s", model, buf);
		double t0 = now_s();
		ymk_server_stop(r.srv);
		ck_assert_int_eq(pthread_join(t, NULL), 0);
		ck_assert_int_eq(r.rc, 0);
		ck_assert_msg(now_s() - t0 < 2.0, "run took %.2f s to return", now_s() - t0);
		ymk_server_free(r.srv);
	}
}
END_TEST

/* Allocation N fails while one request is served in the event model. */
START_TEST(test_alloc_failure_during_request)
{
	char path[] = "/tmp/ymk-oom-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "0123456789", 10), 10);
	close(fd);
	char req[256];
	snprintf(req, sizeof req, "GET /%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path + 5);

	int full = 0, clean_fail = 0;
	for (long n = 0; n < 12; n++) {
		struct runner r = {.srv = make_server(YMK_MODEL_EVENT), .rc = -1};
		ymk__alloc_fail_after(n);
		pthread_t t;
		ck_assert_int_eq(pthread_create(&t, NULL, run_thread, &r), 0);
		char buf[4096];
		size_t got = exchange(ymk_server_port(r.srv), req, buf, sizeof buf);
		ymk_server_stop(r.srv);
		ck_assert_int_eq(pthread_join(t, NULL), 0);
		ymk__alloc_fail_after(-1);
		if (got && strstr(buf, "\r\n\r\n0123456789") && strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0)
			full++;
		else if (got == 0 || strncmp(buf, "HTTP/1.1 503 ", 13) == 0 || strncmp(buf, "HTTP/1.1 500 ", 13) == 0)
			clean_fail++;
		else
			ck_abort_msg("allocation %ld failing gave a broken answer: %s", n, buf);
		ymk_server_free(r.srv);
	}
	unlink(path);
	ck_assert_int_gt(clean_fail, 0); /* the sweep did hit allocations on the request path */
	ck_assert_int_gt(full, 0);       /* and went past them */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("lifecycle");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_stop_from_thread);
	tcase_add_test(tc, test_alloc_failure_during_request);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
