/* test_conn.c: the connection state machine driven over the memory transport, with no socket: a
 * request that arrives one byte at a time, pipelined requests, bodies that arrive in pieces
 * (Content-Length and chunked, with and without 100 Continue), a peer that stops reading, a head
 * that never ends, what an idle connection holds, and no allocation per request in the steady
 * state. The server object is a real one (a temporary root); only the connection's bytes travel
 * through memory. */
#include "alloc.h"
#include "conn.h"
#include "ymawky.h"

#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem_transport.h"

#define HELLO "hello, world\n"
#define BIG_LEN 100000

static char root[64];
static ymk_server *srv;

/* The last close report, and how many were made. */
static ymk_conn_report last;
static int reports;
static void *last_state;

static void on_close(ymk_conn *c, const ymk_conn_report *r, void *user)
{
	(void)user;
	last = *r;
	last_state = ymk_conn_state(c);
	reports++;
}
static struct ymk__conn conn;
static struct mem_tr m;
static uint64_t clock_ms = 1000000;

static void put(const char *name, const void *data, size_t len)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", root, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void setup(void)
{
	static char big[BIG_LEN];
	ymk_config *cfg;

	snprintf(root, sizeof root, "/tmp/ymk-conn-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	put("hello.txt", HELLO, strlen(HELLO));
	for (size_t i = 0; i < BIG_LEN; i++)
		big[i] = (char)('a' + i % 26);
	put("big.bin", big, BIG_LEN);
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_root(cfg, root), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
	ck_assert_int_eq(ymk_config_set_methods(cfg, YMK_METHODS_READ | YMK_METHOD_PUT), 0);
	ck_assert_int_eq(ymk_config_set_header_timeout(cfg, 3000), 0);
	ck_assert_int_eq(ymk_config_set_write_timeout(cfg, 2000), 0);
	ck_assert_int_eq(ymk_config_set_close_hook(cfg, on_close, NULL), 0);
	ck_assert_int_eq(ymk_server_new(&srv, cfg), 0);
	reports = 0;
	ymk_config_free(cfg);
}

static void teardown(void)
{
	char cmd[128];
	ymk_server_free(srv);
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	ck_assert_int_eq(system(cmd), 0);
}

/* A new connection whose client will send `in` (delivered chunk bytes per receive). */
static void open_conn(const char *in, size_t len, size_t chunk)
{
	struct ymk__transport t;
	struct sockaddr_storage peer = {0};
	struct ymk_conn info;

	((struct sockaddr_in *)&peer)->sin_family = AF_INET;
	((struct sockaddr_in *)&peer)->sin_port = htons(40000);
	mem_tr_init(&m, &t);
	m.in = in;
	m.in_len = len;
	m.chunk = chunk;
	ymk__session_init(&info, srv, -1, &peer, sizeof(struct sockaddr_in), clock_ms);
	info.decided = 1; /* as the door leaves it: a report is owed */
	info.state = &m;
	ck_assert_int_eq(ymk__conn_init(&conn, srv, &t, &info, clock_ms), 0);
}

static void close_conn(void)
{
	int before = reports;
	ymk__conn_close(&conn);
	ck_assert_int_eq(m.closed, 1);
	ck_assert_int_eq(reports, before + 1); /* exactly one report, with the state attached */
	ck_assert_ptr_eq(last_state, &m);
	ck_assert_uint_eq(last.size, sizeof last);
	mem_tr_free(&m);
}

static enum ymk__want step(void)
{
	return ymk__conn_step(&conn, clock_ms);
}

/* What the server sent so far, NUL-terminated. */
static const char *out(void)
{
	mem_take(&conn.tr, "", 1);
	m.out_len--;
	return m.out;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

START_TEST(test_one_byte_at_a_time)
{
	static const char req[] = "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n";

	open_conn(req, 0, 1);
	for (size_t i = 1; i <= sizeof req - 1; i++) {
		m.in_len = i; /* one more byte has arrived */
		ck_assert_int_eq(step(), YMK__WANT_READ);
		if (i < sizeof req - 1) {
			ck_assert_uint_eq(m.out_len, 0);
			ck_assert_int_eq(conn.head_started, 1);
		}
	}
	ck_assert_uint_eq(m.in_off, sizeof req - 1);
	ck_assert_ptr_nonnull(strstr(out(), "HTTP/1.1 200 OK\r\n"));
	ck_assert_ptr_nonnull(strstr(out(), "Content-Length: 13\r\n"));
	ck_assert_str_eq(strstr(out(), "\r\n\r\n") + 4, HELLO);
	/* Answered and idle: the connection holds no buffer and no request. */
	ck_assert_int_eq(conn.state, YMK__ST_READ_HEAD);
	ck_assert_ptr_null(conn.in);
	ck_assert_ptr_null(conn.out.buf);
	ck_assert_ptr_null(conn.req);
	ck_assert_uint_eq(ymk__conn_deadline(&conn), clock_ms + YMK_DEFAULT_KEEPALIVE_TIMEOUT_MS);
	close_conn();
}
END_TEST

START_TEST(test_pipelined)
{
	static const char req[] = "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"
				  "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
				  "HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
				  "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

	open_conn(req, sizeof req - 1, 0);
	m.in_eof = 1;
	ck_assert_int_eq(step(), YMK__WANT_CLOSE);
	const char *o = out();
	const char *a = strstr(o, "HTTP/1.1 200 OK");
	const char *b = strstr(o, "HTTP/1.1 404 Not Found");
	const char *c = a ? strstr(a + 1, "HTTP/1.1 200 OK") : NULL;
	const char *d = c ? strstr(c + 1, "HTTP/1.1 200 OK") : NULL;
	ck_assert_msg(a && b && c && d && a < b && b < c && c < d, "answers out of order:\n%s", o);
	ck_assert_ptr_nonnull(strstr(c, "Content-Length: 100000\r\n"));
	ck_assert_ptr_null(strstr(c, "abcdefghij")); /* HEAD: no body */
	ck_assert_ptr_nonnull(strstr(d, "Connection: close\r\n"));
	ck_assert_int_eq(count(o, HELLO), 2);
	/* The last read was short and nothing followed the request that asked to close: the close
	 * goes at once, after the layer's goodbye, with no shutdown and no read of the FIN. */
	ck_assert_int_eq(m.shut, 0);
	ck_assert_int_eq(m.goodbye, 1);
	ck_assert_uint_eq(m.recvs, 1);
	size_t out_len = m.out_len;
	close_conn();
	/* Four answers; every byte read and sent counted; the server closed after the last. */
	ck_assert_int_eq(last.end, YMK_CONN_END_DONE);
	ck_assert_uint_eq(last.requests, 4);
	ck_assert_uint_eq(last.bytes_in, sizeof req - 1);
	ck_assert_uint_eq(last.bytes_out, out_len);
}
END_TEST

static void expect_file(const char *name, const char *want)
{
	char path[128], got[256] = "";
	snprintf(path, sizeof path, "%s/%s", root, name);
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ssize_t n = read(fd, got, sizeof got - 1);
	close(fd);
	ck_assert_int_ge(n, 0);
	got[n] = '\0';
	ck_assert_str_eq(got, want);
}

/* The request's bytes arrive `piece` at a time, a step after each piece. */
static void feed_in_pieces(const char *req, size_t len, size_t piece)
{
	open_conn(req, 0, 0);
	for (size_t at = 0; at < len;) {
		at = at + piece < len ? at + piece : len;
		m.in_len = at;
		ck_assert_int_eq(step(), YMK__WANT_READ);
		if (at < len)
			ck_assert_ptr_null(strstr(out(), "HTTP/1.1 2"));
	}
}

/* A file body that fits beside the head leaves with it in one send (read, not sendfile()); one
 * that does not is sent from the file. */
START_TEST(test_small_file_body_one_send)
{
	static const char small[] = "GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=1000-1099\r\n\r\n";
	static const char large[] = "GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=1000-9999\r\n\r\n";
	char want[9000];
	for (size_t i = 0; i < sizeof want; i++)
		want[i] = (char)('a' + (1000 + i) % 26);

	open_conn(small, sizeof small - 1, 0);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_ptr_nonnull(strstr(out(), "HTTP/1.1 206 Partial Content\r\n"));
	ck_assert_ptr_nonnull(strstr(out(), "Content-Range: bytes 1000-1099/100000\r\n"));
	const char *body = strstr(out(), "\r\n\r\n") + 4;
	ck_assert_uint_eq(strlen(body), 100);
	ck_assert_int_eq(memcmp(body, want, 100), 0);
	ck_assert_uint_eq(m.sends, 1);
	ck_assert_uint_eq(m.sendfiles, 0);
	size_t out_len = m.out_len;
	close_conn();
	ck_assert_uint_eq(last.bytes_out, out_len);

	open_conn(large, sizeof large - 1, 0);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	body = strstr(out(), "\r\n\r\n") + 4;
	ck_assert_uint_eq(strlen(body), 9000);
	ck_assert_int_eq(memcmp(body, want, 9000), 0);
	ck_assert_uint_ge(m.sendfiles, 1);
	close_conn();
}
END_TEST

START_TEST(test_body_in_pieces)
{
	static const char cl[] = "PUT /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789";
	static const char ch[] = "PUT /b.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
				 "5\r\nhello\r\n6;ext=1\r\n, body\r\n0\r\nX-Trailer: t\r\n\r\n";

	feed_in_pieces(cl, sizeof cl - 1, 3);
	ck_assert_ptr_nonnull(strstr(out(), "HTTP/1.1 201 Created\r\n"));
	expect_file("a.txt", "0123456789");
	close_conn();

	feed_in_pieces(ch, sizeof ch - 1, 2);
	ck_assert_ptr_nonnull(strstr(out(), "HTTP/1.1 201 Created\r\n"));
	expect_file("b.txt", "hello, body");
	close_conn();
}
END_TEST

START_TEST(test_expect_continue)
{
	static const char req[] =
		"PUT /c.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
		"data";
	size_t head = sizeof req - 1 - 4;

	open_conn(req, head, 0);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_str_eq(out(), "HTTP/1.1 100 Continue\r\n\r\n");
	ck_assert_int_eq(conn.state, YMK__ST_READ_BODY);
	m.in_len = sizeof req - 1;
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_ptr_nonnull(strstr(out(), "\r\n\r\nHTTP/1.1 201 Created\r\n"));
	expect_file("c.txt", "data");
	close_conn();
}
END_TEST

START_TEST(test_peer_stops_reading)
{
	static const char req[] = "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n";

	open_conn(req, sizeof req - 1, 0);
	m.window = 1000;
	ck_assert_int_eq(step(), YMK__WANT_WRITE);
	ck_assert_uint_eq(m.out_len, 1000);
	ck_assert_int_eq(conn.state, YMK__ST_SEND);
	ck_assert_uint_eq(ymk__conn_deadline(&conn), clock_ms + 2000);
	/* Readiness without room changes nothing. */
	ck_assert_int_eq(step(), YMK__WANT_WRITE);
	ck_assert_uint_eq(m.out_len, 1000);
	/* The peer reads again, later: the rest goes, and the write deadline moves with progress. */
	clock_ms += 1500;
	m.window = SIZE_MAX;
	ck_assert_int_eq(step(), YMK__WANT_READ);
	const char *body = strstr(out(), "\r\n\r\n") + 4;
	ck_assert_uint_eq(m.out_len - (size_t)(body - m.out), BIG_LEN);
	ck_assert_int_eq(memcmp(body, "abcdefghijklmnopqrstuvwxyzabcd", 30), 0);
	close_conn();

	/* A peer that never reads again is given up at the write deadline. */
	open_conn(req, sizeof req - 1, 0);
	m.window = 1000;
	ck_assert_int_eq(step(), YMK__WANT_WRITE);
	clock_ms += 2000;
	ck_assert_int_eq(ymk__conn_expire(&conn, clock_ms), YMK__WANT_CLOSE);
	close_conn();
}
END_TEST

START_TEST(test_head_never_ends)
{
	static const char req[] = "GET /hello.txt HTTP/1.1\r\nHost: x\r\n";

	open_conn(req, sizeof req - 1, 0);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_uint_eq(ymk__conn_deadline(&conn), clock_ms + 3000);
	clock_ms += 3000;
	ck_assert_int_eq(ymk__conn_expire(&conn, clock_ms), YMK__WANT_READ); /* lingering after the 408 */
	ck_assert_ptr_nonnull(strstr(out(), "HTTP/1.1 408 Request Timeout\r\n"));
	ck_assert_ptr_nonnull(strstr(out(), "Connection: close\r\n"));
	ck_assert_int_eq(m.shut, 1);
	size_t out_len = m.out_len;
	close_conn();
	ck_assert_int_eq(last.end, YMK_CONN_END_TIMEOUT);
	ck_assert_uint_eq(last.requests, 1);
	ck_assert_uint_eq(last.bytes_in, sizeof req - 1);
	ck_assert_uint_eq(last.bytes_out, out_len);
}
END_TEST

START_TEST(test_close_reports)
{
	static const char req[] = "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n";

	/* The client closes after one answer. */
	open_conn(req, sizeof req - 1, 0);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	m.in_eof = 1;
	ck_assert_int_eq(step(), YMK__WANT_CLOSE);
	size_t out_len = m.out_len;
	close_conn();
	ck_assert_int_eq(last.end, YMK_CONN_END_CLIENT);
	ck_assert_uint_eq(last.requests, 1);
	ck_assert_uint_eq(last.bytes_in, sizeof req - 1);
	ck_assert_uint_eq(last.bytes_out, out_len);

	/* Idle: a new connection that sends nothing, and one idle after an answer. */
	open_conn(req, 0, 0);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	clock_ms += YMK_DEFAULT_READ_TIMEOUT_MS;
	ck_assert_int_eq(ymk__conn_expire(&conn, clock_ms), YMK__WANT_CLOSE);
	close_conn();
	ck_assert_int_eq(last.end, YMK_CONN_END_IDLE);
	ck_assert_uint_eq(last.requests, 0);
	ck_assert_uint_eq(last.bytes_out, 0);
	open_conn(req, sizeof req - 1, 0);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	clock_ms += YMK_DEFAULT_KEEPALIVE_TIMEOUT_MS;
	ck_assert_int_eq(ymk__conn_expire(&conn, clock_ms), YMK__WANT_CLOSE);
	close_conn();
	ck_assert_int_eq(last.end, YMK_CONN_END_IDLE);
	ck_assert_uint_eq(last.requests, 1);

	/* A stalled write: the write timeout. */
	static const char big[] = "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n";
	open_conn(big, sizeof big - 1, 0);
	m.window = 500;
	ck_assert_int_eq(step(), YMK__WANT_WRITE);
	clock_ms += 2000;
	ck_assert_int_eq(ymk__conn_expire(&conn, clock_ms), YMK__WANT_CLOSE);
	close_conn();
	ck_assert_int_eq(last.end, YMK_CONN_END_TIMEOUT);
	ck_assert_uint_eq(last.requests, 0); /* the answer never finished */
	ck_assert_uint_eq(last.bytes_out, 500);

	/* Out of memory for the request: the server gives up. */
	open_conn(req, sizeof req - 1, 0);
	while (srv->pool_req.n) /* emptied, so that the request object must be allocated */
		ymk__free(srv->pool_req.v[--srv->pool_req.n]);
	ymk__alloc_fail_after(0);
	enum ymk__want w = step();
	ymk__alloc_fail_after(-1);
	ck_assert_int_eq(w, YMK__WANT_CLOSE);
	close_conn();
	ck_assert_int_eq(last.end, YMK_CONN_END_ERROR);
	ck_assert_uint_eq(last.requests, 0);

	/* A driver's own reason wins over the state's. */
	open_conn(req, 0, 0);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ymk__conn_set_end(&conn, YMK_CONN_END_STOPPED);
	close_conn();
	ck_assert_int_eq(last.end, YMK_CONN_END_STOPPED);
}
END_TEST

START_TEST(test_no_allocation_per_request)
{
	static const char req[] = "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n";
	static char many[100 * (sizeof req - 1)];

	for (size_t i = 0; i < 100; i++)
		memcpy(many + i * (sizeof req - 1), req, sizeof req - 1);
	open_conn(many, sizeof req - 1, 0);
	ck_assert_int_eq(step(), YMK__WANT_READ); /* warm: pools and the open-file cache filled */
	unsigned long before = ymk__alloc_count();
	for (size_t i = 2; i <= 100; i++) {
		m.in_len = i * (sizeof req - 1);
		ck_assert_int_eq(step(), YMK__WANT_READ);
	}
	ck_assert_uint_eq(ymk__alloc_count(), before);
	ck_assert_int_eq(count(out(), HELLO), 100);
	close_conn();
}
END_TEST

static Suite *conn_suite(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_create("memory transport");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_one_byte_at_a_time);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_small_file_body_one_send);
	tcase_add_test(tc, test_body_in_pieces);
	tcase_add_test(tc, test_expect_continue);
	tcase_add_test(tc, test_peer_stops_reading);
	tcase_add_test(tc, test_head_never_ends);
	tcase_add_test(tc, test_no_allocation_per_request);
	tcase_add_test(tc, test_close_reports);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conn_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
