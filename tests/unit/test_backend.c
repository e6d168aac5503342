/* test_backend.c: the loop backend of this build (lib/loop.h: epoll on Linux, poll() in the
 * portable build) driven directly over pipes, and the fd-making calls of lib/os.h. Readiness
 * with its tag, a change of interest, forgetting an fd (del, closing) and the reuse of its
 * number, hang-ups, the timeout, more ready fds than one wait takes, what an embedder watches
 * (the backend's fd, or the set of pollfds), and the edge hint where the backend honours it. */
#include "loop.h"
#include "os.h"
#include "ymawky.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef YMK_TEST_POLL_BACKEND
#error "tests/meson.build defines YMK_TEST_POLL_BACKEND (1: the library's loop backend is poll())"
#endif

static struct ymk__backend *open_backend(void)
{
	struct ymk__backend *b = NULL;
	ck_assert_int_eq(ymk__backend_open(&b), 0);
	ck_assert_ptr_nonnull(b);
	return b;
}

static void make_pipe(int p[2])
{
	ck_assert_int_eq(ymk__os_pipe(p), 0);
}

/* The events reported for tag in one wait of at most 50 ms, 0 when it is not reported. */
static unsigned events_for(struct ymk__backend *b, void *tag, int timeout_ms)
{
	struct ymk__event ev[16];
	int n = ymk__backend_wait(b, ev, 16, timeout_ms);
	ck_assert_int_ge(n, 0);
	unsigned e = 0;
	for (int i = 0; i < n; i++)
		if (ev[i].tag == tag)
			e |= ev[i].events;
	return e;
}

static int tag_a, tag_b, tag_c[5];

START_TEST(test_read_readiness)
{
	struct ymk__backend *b = open_backend();
	int p[2];
	make_pipe(p);
	ck_assert_int_eq(ymk__backend_add(b, p[0], YMK__EV_READ, 0, &tag_a), 0);
	ck_assert_uint_eq(events_for(b, &tag_a, 0), 0); /* nothing written yet */
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_uint_eq(events_for(b, &tag_a, 1000), YMK__EV_READ);
	ck_assert_uint_eq(events_for(b, &tag_a, 0), YMK__EV_READ); /* level: still unread */
	char c;
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_uint_eq(events_for(b, &tag_a, 0), 0);
	/* Adding it twice is refused; a change of tag through mod is what is reported. */
	ck_assert_int_lt(ymk__backend_add(b, p[0], YMK__EV_READ, 0, &tag_a), 0);
	ck_assert_int_eq(ymk__backend_mod(b, p[0], YMK__EV_READ, 0, &tag_b), 0);
	ck_assert_int_eq(write(p[1], "y", 1), 1);
	ck_assert_uint_eq(events_for(b, &tag_b, 1000), YMK__EV_READ);
	/* The writer gone: a hang-up wakes the reader. */
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[1]);
	ck_assert_uint_ne(events_for(b, &tag_b, 1000) & YMK__EV_READ, 0);
	ymk__backend_closing(b, p[0]);
	close(p[0]);
	ymk__backend_close(b);
}
END_TEST

START_TEST(test_write_interest)
{
	struct ymk__backend *b = open_backend();
	int p[2];
	make_pipe(p);
	ck_assert_int_eq(ymk__backend_add(b, p[1], YMK__EV_WRITE, 0, &tag_a), 0);
	ck_assert_uint_eq(events_for(b, &tag_a, 1000), YMK__EV_WRITE); /* an empty pipe takes bytes */
	ck_assert_int_eq(ymk__backend_mod(b, p[1], YMK__EV_READ, 0, &tag_a), 0);
	ck_assert_uint_eq(events_for(b, &tag_a, 0), 0); /* a write end never has input */
	/* Full: no longer writable until the reader takes something. */
	ck_assert_int_eq(ymk__backend_mod(b, p[1], YMK__EV_WRITE, 0, &tag_a), 0);
	char buf[4096] = {0};
	while (write(p[1], buf, sizeof buf) > 0) {
	}
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_eq(events_for(b, &tag_a, 0), 0);
	while (read(p[0], buf, sizeof buf) > 0) {
	}
	ck_assert_uint_eq(events_for(b, &tag_a, 1000), YMK__EV_WRITE);
	close(p[0]);
	close(p[1]);
	ymk__backend_close(b);
}
END_TEST

START_TEST(test_forget_and_reuse)
{
	struct ymk__backend *b = open_backend();
	int p[2], q[2];
	make_pipe(p);
	ck_assert_int_eq(ymk__backend_add(b, p[0], YMK__EV_READ, 0, &tag_a), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(ymk__backend_del(b, p[0]), 0);
	ck_assert_uint_eq(events_for(b, &tag_a, 0), 0);
	ck_assert_int_lt(ymk__backend_del(b, p[0]), 0); /* not registered any more */
	ck_assert_int_eq(ymk__backend_add(b, p[0], YMK__EV_READ, 0, &tag_a), 0);
	ck_assert_uint_eq(events_for(b, &tag_a, 1000), YMK__EV_READ);

	/* Closed with its input unread: its number, given to a new pipe, reports only the new tag. */
	int old = p[0];
	ymk__backend_closing(b, p[0]);
	close(p[0]);
	close(p[1]);
	make_pipe(q);
	ck_assert_int_eq(q[0], old);
	ck_assert_int_eq(ymk__backend_add(b, q[0], YMK__EV_READ, 0, &tag_b), 0);
	ck_assert_int_eq(write(q[1], "z", 1), 1);
	struct ymk__event ev[8];
	int n = ymk__backend_wait(b, ev, 8, 1000);
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_eq(ev[0].tag, &tag_b);
	ymk__backend_closing(b, q[0]);
	close(q[0]);
	close(q[1]);
	ck_assert_int_eq(ymk__backend_wait(b, ev, 8, 0), 0);
	ymk__backend_close(b);
}
END_TEST

static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(test_timeout)
{
	struct ymk__backend *b = open_backend();
	int p[2];
	make_pipe(p);
	ck_assert_int_eq(ymk__backend_add(b, p[0], YMK__EV_READ, 0, &tag_a), 0);
	struct ymk__event ev[4];
	long long t0 = ms_now();
	ck_assert_int_eq(ymk__backend_wait(b, ev, 4, 60), 0);
	ck_assert_int_ge(ms_now() - t0, 50);
	close(p[0]);
	close(p[1]);
	ymk__backend_close(b);
}
END_TEST

/* Five ready fds, waits that take two at a time: every one is reported within three waits. */
START_TEST(test_more_ready_than_taken)
{
	struct ymk__backend *b = open_backend();
	int p[5][2];
	for (int i = 0; i < 5; i++) {
		make_pipe(p[i]);
		ck_assert_int_eq(ymk__backend_add(b, p[i][0], YMK__EV_READ, 0, &tag_c[i]), 0);
		ck_assert_int_eq(write(p[i][1], "x", 1), 1);
	}
	int seen[5] = {0};
	for (int round = 0; round < 3; round++) {
		struct ymk__event ev[2];
		int n = ymk__backend_wait(b, ev, 2, 1000);
		ck_assert_int_ge(n, 1);
		ck_assert_int_le(n, 2);
		for (int i = 0; i < n; i++)
			seen[(int *)ev[i].tag - tag_c]++;
	}
	for (int i = 0; i < 5; i++) {
		ck_assert_msg(seen[i] >= 1, "fd %d of 5 was not reported in 3 waits of 2", i);
		close(p[i][0]);
		close(p[i][1]);
	}
	ymk__backend_close(b);
}
END_TEST

/* What an embedder's loop watches. With epoll: the backend's fd, readable (level-triggered)
 * while a registered fd is ready. With poll(): no such fd, and the set lists every fd. */
START_TEST(test_embedder_view)
{
	struct ymk__backend *b = open_backend();
	int p[2], q[2];
	make_pipe(p);
	make_pipe(q);
	ck_assert_int_eq(ymk__backend_add(b, p[0], YMK__EV_READ, 0, &tag_a), 0);
	ck_assert_int_eq(ymk__backend_add(b, q[1], YMK__EV_WRITE, 0, &tag_b), 0);
	struct pollfd set[4];
	int n = ymk__backend_pollfds(b, set, 4);
	if (YMK_TEST_POLL_BACKEND) {
		ck_assert_int_eq(ymk__backend_fd(b), YMK_ENOTSUP);
		ck_assert_int_eq(n, 2);
		ck_assert_int_eq(set[0].fd, p[0]);
		ck_assert_int_eq(set[0].events, POLLIN);
		ck_assert_int_eq(set[1].fd, q[1]);
		ck_assert_int_eq(set[1].events, POLLOUT);
		ck_assert_int_eq(ymk__backend_pollfds(b, set, 1), 2); /* the count, past cap */
		ymk__backend_closing(b, q[1]);
		ck_assert_int_eq(ymk__backend_pollfds(b, set, 4), 1);
		ck_assert_int_eq(set[0].fd, p[0]);
	} else {
		int fd = ymk__backend_fd(b);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(n, 1);
		ck_assert_int_eq(set[0].fd, fd);
		ck_assert_int_eq(set[0].events, POLLIN);
		ck_assert_int_eq(ymk__backend_del(b, q[1]), 0);
		struct pollfd w = {.fd = fd, .events = POLLIN};
		ck_assert_int_eq(poll(&w, 1, 0), 0);
		ck_assert_int_eq(write(p[1], "x", 1), 1);
		ck_assert_int_eq(poll(&w, 1, 1000), 1);
		ck_assert_uint_eq(events_for(b, &tag_a, 0), YMK__EV_READ);
		ck_assert_int_eq(poll(&w, 1, 0), 1); /* still unread: still readable from outside */
		char c;
		ck_assert_int_eq(read(p[0], &c, 1), 1);
		ck_assert_uint_eq(events_for(b, &tag_a, 0), 0);
		ck_assert_int_eq(poll(&w, 1, 0), 0);
	}
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	ymk__backend_close(b);
}
END_TEST

/* The edge hint: epoll reports a change once; poll() is level-triggered and reports on. */
START_TEST(test_edge_hint)
{
	struct ymk__backend *b = open_backend();
	int p[2];
	make_pipe(p);
	ck_assert_int_eq(ymk__backend_add(b, p[0], YMK__EV_READ, 1, &tag_a), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_uint_eq(events_for(b, &tag_a, 1000), YMK__EV_READ);
	ck_assert_uint_eq(events_for(b, &tag_a, 0), YMK_TEST_POLL_BACKEND ? YMK__EV_READ : 0u);
	ck_assert_int_eq(write(p[1], "y", 1), 1); /* new input: reported again either way */
	ck_assert_uint_eq(events_for(b, &tag_a, 1000), YMK__EV_READ);
	close(p[0]);
	close(p[1]);
	ymk__backend_close(b);
}
END_TEST

static void assert_nonblock_cloexec(int fd)
{
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
}

/* The fd-making calls of os.h: non-blocking and close-on-exec however the platform gets there. */
START_TEST(test_os_fds)
{
	int p[2];
	make_pipe(p);
	assert_nonblock_cloexec(p[0]);
	assert_nonblock_cloexec(p[1]);
	char c;
	ck_assert_int_eq(read(p[0], &c, 1), -1);
	ck_assert_int_eq(errno, EAGAIN);
	close(p[0]);
	close(p[1]);

	int l = ymk__os_socket(AF_INET, SOCK_STREAM);
	assert_nonblock_cloexec(l);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(l, 4), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sa, &len), 0);
	struct sockaddr_storage peer;
	socklen_t plen = sizeof peer;
	ck_assert_int_eq(ymk__os_accept(l, (struct sockaddr *)&peer, &plen), -EAGAIN);
	int c1 = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(c1, (struct sockaddr *)&sa, sizeof sa), 0);
	struct pollfd w = {.fd = l, .events = POLLIN};
	ck_assert_int_eq(poll(&w, 1, 2000), 1);
	plen = sizeof peer;
	int s = ymk__os_accept(l, (struct sockaddr *)&peer, &plen);
	assert_nonblock_cloexec(s);
	/* A send to a peer that has gone returns an error instead of raising SIGPIPE (which would
	 * end this test process). */
	close(c1);
	struct iovec iov = {.iov_base = "hello", .iov_len = 5};
	long r = 0;
	for (int i = 0; i < 50 && r >= 0; i++) {
		r = ymk__os_sendv(s, &iov, 1, 0);
		/* The peer answers those bytes with a reset: wait for it (events 0: errors only). */
		struct pollfd e = {.fd = s, .events = 0};
		if (r >= 0)
			(void)poll(&e, 1, 100);
	}
	ck_assert_msg(r == -EPIPE || r == -ECONNRESET, "send to a closed peer: %ld", r);
	close(s);
	close(l);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("backend");
	TCase *tc = tcase_create(YMK_TEST_POLL_BACKEND ? "poll" : "kernel set");
	tcase_add_test(tc, test_read_readiness);
	tcase_add_test(tc, test_write_interest);
	tcase_add_test(tc, test_forget_and_reuse);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_more_ready_than_taken);
	tcase_add_test(tc, test_embedder_view);
	tcase_add_test(tc, test_edge_hint);
	tcase_add_test(tc, test_os_fds);
	suite_add_tcase(su, tc);
	SRunner *sr = srunner_create(su);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
