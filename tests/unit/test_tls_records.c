/* test_tls_records.c: the transport both TLS backends give a connection that could not get its
 * TLS state (lib/tls_records.c): every call fails with -ENOMEM, nothing is pending, the output
 * cannot be shut down, and closing it closes the socket (once). */
#include "tls_records.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

START_TEST(test_broken_transport)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[1], "GET", 3), 3); /* input is there: still not read */
	struct ymk__transport tr;
	ymk__tls_transport_broken(&tr, sv[0]);
	ck_assert_int_eq(tr.fd, sv[0]);
	ck_assert_ptr_null(tr.impl);
	char buf[16];
	ck_assert_int_eq(tr.ops->recv(&tr, buf, sizeof buf), -ENOMEM);
	struct iovec iov = {.iov_base = buf, .iov_len = 3};
	ck_assert_int_eq(tr.ops->sendv(&tr, &iov, 1, 0), -ENOMEM);
	uint64_t off = 0;
	ck_assert_int_eq(tr.ops->sendfile(&tr, sv[1], &off, 10, 0), -ENOMEM);
	ck_assert_uint_eq(off, 0);
	ck_assert_int_eq(tr.ops->shutdown(&tr), -ENOMEM);
	ck_assert_uint_eq(tr.ops->pending(&tr), 0);
	ck_assert_ptr_null(tr.ops->goodbye);
	/* Nothing was sent to the peer. */
	ck_assert_int_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(read(sv[1], buf, sizeof buf), -1);
	ck_assert_int_eq(errno, EAGAIN);
	tr.ops->close(&tr);
	ck_assert_int_eq(tr.fd, -1);
	ck_assert_int_eq(fcntl(sv[0], F_GETFD), -1); /* closed */
	tr.ops->close(&tr);                          /* a second close is harmless */
	/* The peer sees the end: EOF, or a reset since its "GET" was never read (AF_UNIX). */
	ssize_t n = read(sv[1], buf, sizeof buf);
	ck_assert_msg(n == 0 || (n < 0 && errno == ECONNRESET), "read %zd (%s)", n, strerror(errno));
	close(sv[1]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tls_records");
	TCase *tc = tcase_create("broken");
	tcase_add_test(tc, test_broken_transport);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
