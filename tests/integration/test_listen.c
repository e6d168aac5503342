/* test_listen.c: the ways a server can listen. A Unix domain socket (both models; stale socket
 * files replaced, other files refused, the file removed by ymk_server_free), a listening fd handed
 * in by the embedder (adopted on success, left to the caller on failure, refused when it is not a
 * listening stream socket), dual-stack "[::]" reached over IPv4 and IPv6, and SO_REUSEPORT
 * workers: connections answered by several processes, all reaped when the server stops. */
#include "../thread_server.h"
#include "ymawky.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The path of a Unix-socket address of length len, or "-" (unnamed, or not a Unix address). */
static const char *unix_path(const struct sockaddr *sa, socklen_t len)
{
	if (!sa || sa->sa_family != AF_UNIX || len <= offsetof(struct sockaddr_un, sun_path))
		return "-";
	const char *p = ((const struct sockaddr_un *)sa)->sun_path;
	return *p ? p : "-";
}

/* Answers its pid and, on a Unix socket, the paths of the client (through each accessor that
 * names it) and of the listener. */
static int whoami(ymk_request *req, void *user)
{
	(void)user;
	const ymk_conn *conn = ymk_request_conn(req);
	socklen_t l1 = 0, l2 = 0, l3 = 0, l4 = 0;
	const struct sockaddr *p1 = ymk_request_peer(req, &l1), *p2 = ymk_conn_peer(conn, &l2);
	const struct sockaddr *p3 = ymk_conn_socket_peer(conn, &l3), *p4 = ymk_conn_local(conn, &l4);
	char b[512];
	int n = snprintf(b, sizeof b, "pid=%ld peer=%s conn_peer=%s socket_peer=%s local=%s", (long)getpid(),
			 unix_path(p1, l1), unix_path(p2, l2), unix_path(p3, l3), unix_path(p4, l4));
	return ymk_respond_buffer(req, 200, "text/plain", b, (size_t)n);
}

/* One request over a connected socket; the body of the answer into body (NUL-terminated). */
static int ask(int fd, char *body, size_t cap)
{
	const char req[] = "GET /who HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	char buf[1024];
	size_t got = 0;
	if (send(fd, req, sizeof req - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof req - 1))
		return -1;
	long long end = now_ms() + 5000;
	while (got < sizeof buf - 1 && now_ms() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	const char *sep = strstr(buf, "\r\n\r\n");
	if (strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) || !sep)
		return -1;
	snprintf(body, cap, "%s", sep + 4);
	return 0;
}

static int dial_inet(int family, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof ss);
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, addr, &s4->sin_addr);
		len = sizeof *s4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		len = sizeof *s6;
	}
	int fd = socket(family, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A Unix-socket client of path; bound to from first when from is not NULL (a named client). */
static int dial_unix_from(const char *path, const char *from)
{
	struct sockaddr_un su = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof su.sun_path || (from && strlen(from) >= sizeof su.sun_path))
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd >= 0 && from) {
		memcpy(su.sun_path, from, strlen(from) + 1);
		if (bind(fd, (struct sockaddr *)&su, sizeof su) < 0) {
			close(fd);
			return -1;
		}
	}
	memcpy(su.sun_path, path, strlen(path) + 1);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&su, sizeof su) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int dial_unix(const char *path)
{
	return dial_unix_from(path, NULL);
}

static ymk_config *base_config(int model)
{
	ymk_config *cfg;
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_handler(cfg, whoami, NULL), 0);
	ck_assert_int_eq(ymk_config_set_model(cfg, model), 0);
	return cfg;
}

static void start(struct runner *r)
{
	r->rc = -1;
	ck_assert_int_eq(pthread_create(&r->t, NULL, run_thread, r), 0);
}

static void finish(struct runner *r)
{
	ymk_server_stop(r->srv);
	ck_assert_int_eq(pthread_join(r->t, NULL), 0);
	ck_assert_int_eq(r->rc, 0);
	ymk_server_free(r->srv);
}

START_TEST(test_unix_socket)
{
	int model = _i ? YMK_MODEL_FORK : YMK_MODEL_EVENT;
	char dir[] = "/tmp/ymk-unix-XXXXXX", path[64], client[64], body[512], want[256];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/s.sock", dir);

	/* A stale socket file from an earlier run is replaced. */
	int stale = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un su = {.sun_family = AF_UNIX};
	memcpy(su.sun_path, path, strlen(path) + 1);
	ck_assert_int_eq(bind(stale, (struct sockaddr *)&su, sizeof su), 0);
	close(stale);

	char addr[160];
	snprintf(addr, sizeof addr, "unix:%s", path);
	ymk_config *cfg = base_config(model);
	ck_assert_int_eq(ymk_config_set_listen(cfg, addr), 0);
	struct runner r;
	ck_assert_int_eq(ymk_server_new(&r.srv, cfg), 0);
	start(&r);
	ck_assert_int_eq(ask(dial_unix(path), body, sizeof body), 0);
	ck_assert_ptr_nonnull(strstr(body, "pid="));
	snprintf(want, sizeof want, "peer=- conn_peer=- socket_peer=- local=%s", path);
	ck_assert_msg(strstr(body, want), "unnamed client: %s", body);
	/* A named client: its address is longer than an IP address, and kept whole. */
	snprintf(client, sizeof client, "%s/client.sock", dir);
	ck_assert_int_eq(ask(dial_unix_from(path, client), body, sizeof body), 0);
	snprintf(want, sizeof want, "peer=%s conn_peer=%s socket_peer=%s local=%s", client, client, client,
		 path);
	ck_assert_msg(strstr(body, want), "named client: %s", body);
	unlink(client);
	finish(&r);
	struct stat st;
	ck_assert_int_eq(lstat(path, &st), -1); /* removed with the server */

	/* A socket somebody still listens on is not taken over. */
	int live = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(live, (struct sockaddr *)&su, sizeof su), 0);
	ck_assert_int_eq(listen(live, 4), 0);
	ymk_server *other = NULL;
	ck_assert_int_eq(ymk_server_new(&other, cfg), -EADDRINUSE);
	ck_assert_ptr_null(other);
	close(live);
	unlink(path);

	/* Any other file at the path is not replaced. */
	int f = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(f, 0);
	close(f);
	ymk_server *srv = NULL;
	ck_assert_int_eq(ymk_server_new(&srv, cfg), -EADDRINUSE);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ymk_config_free(cfg);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_listen_fd)
{
	int model = _i ? YMK_MODEL_FORK : YMK_MODEL_EVENT;
	char body[64];
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);

	ymk_config *cfg = base_config(model);
	ymk_server *srv = NULL;
	/* Bound but not listening: refused, and the fd stays the caller's. */
	ck_assert_int_eq(ymk_config_set_listen_fd(cfg, lfd), 0);
	ck_assert_int_eq(ymk_server_new(&srv, cfg), YMK_EINVAL);
	ck_assert_int_ge(fcntl(lfd, F_GETFD), 0);
	ck_assert_int_eq(listen(lfd, 16), 0);
	socklen_t len = sizeof sa;
	getsockname(lfd, (struct sockaddr *)&sa, &len);

	struct runner r;
	ck_assert_int_eq(ymk_server_new(&r.srv, cfg), 0);
	ck_assert_int_eq(ymk_server_port(r.srv), ntohs(sa.sin_port));
	ck_assert_int_ne(fcntl(lfd, F_GETFD) & FD_CLOEXEC, 0);
	start(&r);
	ck_assert_int_eq(ask(dial_inet(AF_INET, "127.0.0.1", ntohs(sa.sin_port)), body, sizeof body), 0);
	finish(&r);
	ck_assert_int_eq(fcntl(lfd, F_GETFD), -1); /* adopted: closed with the server */
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(ymk_config_set_listen_fd(cfg, -2), YMK_EINVAL);

	/* What is not a listening stream socket is refused as an argument, and stays the caller's:
	 * a pipe (not a socket at all) and a socket that does not listen. */
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	int udp = socket(AF_INET, SOCK_DGRAM, 0);
	int idle = socket(AF_INET, SOCK_STREAM, 0);
	int bad[3] = {p[0], udp, idle};
	for (int i = 0; i < 3; i++) {
		ymk_server *s = NULL;
		ck_assert_int_ge(bad[i], 0);
		ck_assert_int_eq(ymk_config_set_listen_fd(cfg, bad[i]), 0);
		ck_assert_int_eq(ymk_server_new(&s, cfg), YMK_EINVAL);
		ck_assert_ptr_null(s);
		ck_assert_int_ne(fcntl(bad[i], F_GETFD), -1);
		close(bad[i]);
	}
	close(p[1]);
	ymk_config_free(cfg);
}
END_TEST

START_TEST(test_dual_stack)
{
	char body[64];
	int probe = socket(AF_INET6, SOCK_STREAM, 0);
	if (probe < 0) {
		printf("test_dual_stack: no IPv6 here, skipped\n");
		return;
	}
	close(probe);
	ymk_config *cfg = base_config(YMK_MODEL_EVENT);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "[::]:0"), 0);
	struct runner r;
	int err = ymk_server_new(&r.srv, cfg);
	ymk_config_free(cfg);
	if (err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT) {
		printf("test_dual_stack: cannot bind [::] here, skipped\n");
		return;
	}
	ck_assert_int_eq(err, 0);
	int port = ymk_server_port(r.srv);
	start(&r);
	ck_assert_int_eq(ask(dial_inet(AF_INET, "127.0.0.1", port), body, sizeof body), 0);
	ck_assert_int_eq(ask(dial_inet(AF_INET6, "::1", port), body, sizeof body), 0);
	finish(&r);
}
END_TEST

START_TEST(test_workers)
{
	char body[64], first[64] = "";
	ymk_config *cfg = base_config(YMK_MODEL_EVENT);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
	ck_assert_int_eq(ymk_config_set_workers(cfg, 3), 0);
	ck_assert_int_eq(ymk_config_set_workers(cfg, 0), YMK_EINVAL);
	ck_assert_int_eq(ymk_config_set_workers(cfg, 257), YMK_EINVAL);
	struct runner r;
	ck_assert_int_eq(ymk_server_new(&r.srv, cfg), 0);
	ymk_config_free(cfg);
	int port = ymk_server_port(r.srv);
	start(&r);
	/* New connections from new source ports hash to different sockets: within a bounded number
	 * of tries some answer comes from another process than the first. */
	int distinct = 0;
	for (int i = 0; i < 200 && !distinct; i++) {
		int fd = dial_inet(AF_INET, "127.0.0.1", port);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(ask(fd, body, sizeof body), 0);
		if (!first[0])
			snprintf(first, sizeof first, "%s", body);
		else if (strcmp(first, body))
			distinct = 1;
	}
	ck_assert_msg(distinct, "every answer came from %s", first);
	finish(&r);
	/* Every worker was reaped by the server: this process has no child left. */
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("listen");
	TCase *tc = tcase_create("listen");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_unix_socket, 0, 2);
	tcase_add_loop_test(tc, test_listen_fd, 0, 2);
	tcase_add_test(tc, test_dual_stack);
	tcase_add_test(tc, test_workers);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
