/* test_stream.c: answers that take time, driven over the memory transport: producers framed by
 * chunks (decoded by the library's own strict decoder) or by a length, HEAD and HTTP/1.0, a
 * reader that stops (the producer is not called while the window is full), streams with
 * back-pressure and the writable callback, SSE framing and keep-alives, deferred requests (held in
 * a right-sized block, answered later, timed out with 503), bodies given to a callback in pieces
 * (paused and resumed), close and free callbacks exactly once, and the scheduler's timers and
 * posted calls. The test plays the embedder: it calls the public API between steps and steps the
 * connection when it was made ready, as a model would. */
#include "alloc.h"
#include "chunked.h"
#include "conn.h"
#include "os.h"
#include "request.h"
#include "schedule.h"
#include "ymawky.h"

#include <check.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem_transport.h"

static char root[64];
static ymk_server *srv;
static struct ymk__conn conn;
static struct mem_tr m;
static uint64_t clock_ms;

/* What the handler does: set per test. */
static int (*scenario)(ymk_request *req);
static ymk_request *held; /* the request a test keeps */

/* Calls of the callbacks, per test. */
static struct {
	int produce, frees, closes;
	enum ymk_close_reason reason;
	int writable;
	uint64_t produced, limit; /* producer: bytes given so far, and how many in all */
	int fail_at;              /* producer: fail once this many bytes were given (0: never) */
	int later;                /* producer: say "later" after every call that gave bytes */
	size_t body_bytes;
	int body_calls, body_end;
	unsigned body_sum;
	int pause;
} cb;

static unsigned char pattern(uint64_t i)
{
	return (unsigned char)((i * 7 + (i >> 9)) % 251);
}

static int handler(ymk_request *req, void *user)
{
	(void)user;
	return scenario ? scenario(req) : 404;
}

static void setup(void)
{
	ymk_config *cfg;
	snprintf(root, sizeof root, "/tmp/ymk-stream-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_root(cfg, root), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
	ck_assert_int_eq(ymk_config_set_handler(cfg, handler, NULL), 0);
	ck_assert_int_eq(ymk_config_set_write_timeout(cfg, 2000), 0);
	ck_assert_int_eq(ymk_server_new(&srv, cfg), 0);
	ymk_config_free(cfg);
	memset(&cb, 0, sizeof cb);
	scenario = NULL;
	held = NULL;
	clock_ms = ymk__os_now_ms();
}

static void teardown(void)
{
	char cmd[128];
	ymk_server_free(srv);
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	ck_assert_int_eq(system(cmd), 0);
}

static void open_conn(const char *in, size_t len)
{
	struct ymk__transport t;
	struct sockaddr_storage peer = {0};
	struct ymk_conn info;
	((struct sockaddr_in *)&peer)->sin_family = AF_INET;
	((struct sockaddr_in *)&peer)->sin_port = htons(40000);
	mem_tr_init(&m, &t);
	m.in = in;
	m.in_len = len;
	ymk__session_init(&info, srv, -1, &peer, sizeof(struct sockaddr_in), clock_ms);
	info.decided = 1; /* as the door leaves it */
	ck_assert_int_eq(ymk__conn_init(&conn, srv, &t, &info, clock_ms), 0);
}

static void close_conn(void)
{
	ymk__conn_close(&conn);
	mem_tr_free(&m);
}

static enum ymk__want step(void)
{
	return ymk__conn_step(&conn, clock_ms);
}

/* What a model does after the embedder's calls: the posted calls and timers, then the
 * connection if it was made ready. Returns what it waits for then. */
static enum ymk__want run_ready(enum ymk__want w)
{
	ymk__sched_run(srv);
	while (ymk__sched_take_ready(&srv->sched))
		w = step();
	return w;
}

static const char *out(void)
{
	mem_take(&conn.tr, "", 1);
	m.out_len--;
	return m.out;
}

/* The body after the head of the first answer, and its length. */
static const char *body_of(size_t *len)
{
	const char *o = out(), *b = strstr(o, "\r\n\r\n");
	ck_assert_ptr_nonnull(b);
	*len = m.out_len - (size_t)(b + 4 - o);
	return b + 4;
}

/* Decodes a chunked body with the library's strict decoder; returns 1 when it was complete. */
static int dechunk(const char *in, size_t len, char *outb, size_t cap, size_t *out_len)
{
	struct ymk__chunked d;
	size_t used = 0, total = 0;
	ymk__chunked_init(&d, UINT64_MAX);
	for (;;) {
		size_t cons = 0, prod = 0;
		int r = ymk__chunked_decode(&d, in + used, len - used, &cons, outb + total, cap - total,
					    &prod);
		used += cons;
		total += prod;
		ck_assert_int_ge(r, 0);
		if (r == 1) {
			*out_len = total;
			ck_assert_uint_eq(used, len); /* nothing after the last chunk */
			return 1;
		}
		if (cons == 0 && prod == 0) {
			*out_len = total;
			return 0;
		}
	}
}

static void on_close(ymk_request *req, enum ymk_close_reason reason, void *user)
{
	(void)req, (void)user;
	cb.closes++;
	cb.reason = reason;
	if (req == held)
		held = NULL;
}

static void on_free(void *user)
{
	(void)user;
	cb.frees++;
}

static long produce(char *buf, size_t cap, void *user)
{
	(void)user;
	cb.produce++;
	if (cb.fail_at && cb.produced >= (uint64_t)cb.fail_at)
		return -5;
	if (cb.later && cb.later++ % 2 == 0)
		return YMK_EAGAIN;
	size_t n = cap;
	if (cb.limit - cb.produced < n)
		n = (size_t)(cb.limit - cb.produced);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)pattern(cb.produced + i);
	cb.produced += n;
	return (long)n;
}

static int produce_unknown(ymk_request *req)
{
	ymk_request_on_close(req, on_close, NULL);
	return ymk_respond_producer(req, 200, "text/csv", -1, produce, on_free, NULL);
}

static int produce_known(ymk_request *req)
{
	ymk_request_on_close(req, on_close, NULL);
	return ymk_respond_producer(req, 200, "text/csv", 300000, produce, on_free, NULL);
}

static void expect_pattern(const char *b, size_t len, uint64_t from)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)b[i] != pattern(from + i))
			ck_abort_msg("byte %zu differs", i);
}

static const char GET_DATA[] = "GET /data HTTP/1.1\r\nHost: x\r\n\r\n";

START_TEST(test_producer_chunked)
{
	static char dec[400000];
	size_t len, n;
	scenario = produce_unknown;
	cb.limit = 300000;
	open_conn(GET_DATA, sizeof GET_DATA - 1);
	/* One step sends a share and lets the other connections run: it is made ready again. */
	ck_assert_int_eq(step(), YMK__WANT_WRITE);
	ck_assert_int_eq(ymk__sched_is_ready(&conn.srv->sched, &conn.ready), 1);
	ck_assert_uint_ge(m.out_len, YMK__OUT_STEP_BYTES);
	ck_assert_uint_lt(m.out_len, 300000);
	ck_assert_int_eq(run_ready(YMK__WANT_WRITE), YMK__WANT_READ); /* answered, keep-alive */
	ck_assert_ptr_nonnull(strstr(out(), "HTTP/1.1 200 OK\r\n"));
	ck_assert_ptr_nonnull(strstr(out(), "Transfer-Encoding: chunked\r\n"));
	ck_assert_ptr_null(strstr(out(), "Content-Length"));
	const char *b = body_of(&len);
	ck_assert_int_eq(dechunk(b, len, dec, sizeof dec, &n), 1);
	ck_assert_uint_eq(n, 300000);
	expect_pattern(dec, n, 0);
	ck_assert_int_eq(cb.frees, 1);
	ck_assert_int_eq(cb.closes, 1);
	ck_assert_int_eq(cb.reason, YMK_CLOSE_DONE);
	ck_assert_int_eq(conn.state, YMK__ST_READ_HEAD);
	close_conn();
	ck_assert_int_eq(cb.frees, 1);
	ck_assert_int_eq(cb.closes, 1);
}
END_TEST

START_TEST(test_producer_known_length)
{
	size_t len;
	scenario = produce_known;
	cb.limit = 300000;
	open_conn(GET_DATA, sizeof GET_DATA - 1);
	ck_assert_int_eq(run_ready(step()), YMK__WANT_READ);
	ck_assert_ptr_nonnull(strstr(out(), "Content-Length: 300000\r\n"));
	ck_assert_ptr_null(strstr(out(), "Transfer-Encoding"));
	const char *b = body_of(&len);
	ck_assert_uint_eq(len, 300000);
	expect_pattern(b, len, 0);
	/* Asked for exactly what was due, and not again once it was given. */
	ck_assert_int_eq(cb.produce, 5);
	close_conn();

	/* Shorter than promised: the connection closes, never a complete-looking body. */
	memset(&cb, 0, sizeof cb);
	cb.limit = 1000;
	open_conn(GET_DATA, sizeof GET_DATA - 1);
	ck_assert_int_eq(step(), YMK__WANT_CLOSE);
	body_of(&len);
	ck_assert_uint_eq(len, 1000);
	close_conn();
	ck_assert_int_eq(cb.frees, 1);
	ck_assert_int_eq(cb.closes, 1);
	ck_assert_int_eq(cb.reason, YMK_CLOSE_ABORTED);
}
END_TEST

START_TEST(test_producer_fails)
{
	static char dec[400000];
	size_t len, n;
	scenario = produce_unknown;
	cb.limit = 300000;
	cb.fail_at = 100000;
	open_conn(GET_DATA, sizeof GET_DATA - 1);
	ck_assert_int_eq(run_ready(step()), YMK__WANT_CLOSE);
	const char *b = body_of(&len);
	ck_assert_int_eq(dechunk(b, len, dec, sizeof dec, &n), 0); /* no last chunk */
	close_conn();
	ck_assert_int_eq(cb.frees, 1);
	ck_assert_int_eq(cb.reason, YMK_CLOSE_ABORTED);
}
END_TEST

START_TEST(test_producer_head_and_http10)
{
	static const char head[] = "HEAD /data HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char old[] = "GET /data HTTP/1.0\r\n\r\n";
	size_t len;
	scenario = produce_unknown;
	cb.limit = 300000;
	open_conn(head, sizeof head - 1);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_ptr_nonnull(strstr(out(), "Transfer-Encoding: chunked\r\n"));
	body_of(&len);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(cb.produce, 0);
	ck_assert_int_eq(cb.frees, 1);
	close_conn();

	memset(&cb, 0, sizeof cb);
	cb.limit = 300000;
	open_conn(old, sizeof old - 1);
	m.in_eof = 1;
	ck_assert_int_eq(run_ready(step()), YMK__WANT_CLOSE);
	ck_assert_ptr_null(strstr(out(), "Transfer-Encoding"));
	ck_assert_ptr_nonnull(strstr(out(), "Connection: close\r\n"));
	const char *b = body_of(&len);
	ck_assert_uint_eq(len, 300000); /* close-delimited */
	expect_pattern(b, len, 0);
	ck_assert_int_eq(m.shut, 1);
	close_conn();
	ck_assert_int_eq(cb.reason, YMK_CLOSE_DONE);
}
END_TEST

START_TEST(test_producer_slow_reader)
{
	scenario = produce_unknown;
	cb.limit = 10u << 20;
	open_conn(GET_DATA, sizeof GET_DATA - 1);
	m.window = 1000;
	ck_assert_int_eq(step(), YMK__WANT_WRITE);
	/* One buffer was produced; the window is full: readiness without room asks for nothing. */
	ck_assert_int_eq(cb.produce, 1);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(step(), YMK__WANT_WRITE);
	ck_assert_int_eq(cb.produce, 1);
	ck_assert_uint_le(cb.produced, 65536);
	/* The reader takes 200 KiB: about that much more is produced, no more. */
	m.window = 200 * 1024;
	ck_assert_int_eq(step(), YMK__WANT_WRITE);
	ck_assert_uint_le(cb.produced, m.out_len + 65536);
	/* A client that goes away: the close and free callbacks run once each. */
	close_conn();
	ck_assert_int_eq(cb.frees, 1);
	ck_assert_int_eq(cb.closes, 1);
}
END_TEST

START_TEST(test_producer_later)
{
	static char dec[400000];
	size_t len, n;
	scenario = produce_unknown;
	cb.limit = 200000;
	cb.later = 2; /* every other call, the first one included: later */
	open_conn(GET_DATA, sizeof GET_DATA - 1);
	ck_assert_int_eq(step(), YMK__WANT_READ); /* waiting for the producer, watching the client */
	ck_assert_int_eq(conn.state, YMK__ST_WAIT);
	ck_assert_int_eq(cb.produce, 1);
	for (int i = 0; i < 20 && conn.state != YMK__ST_READ_HEAD; i++) {
		ck_assert_int_eq(ymk_stream_resume(conn.req), 0);
		run_ready(YMK__WANT_READ);
	}
	ck_assert_int_eq(conn.state, YMK__ST_READ_HEAD);
	const char *b = body_of(&len);
	ck_assert_int_eq(dechunk(b, len, dec, sizeof dec, &n), 1);
	ck_assert_uint_eq(n, 200000);
	expect_pattern(dec, n, 0);
	close_conn();
}
END_TEST

static int pass(ymk_request *req)
{
	(void)req;
	return YMK_PASS;
}

/* A large file to a fast reader yields too: one step sends at most its share, in bounded calls. */
START_TEST(test_file_yields)
{
	static const char get[] = "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n";
	char path[128];
	snprintf(path, sizeof path, "%s/big.bin", root);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	for (uint64_t i = 0; i < (3u << 20); i++)
		fputc(pattern(i), f);
	fclose(f);
	scenario = pass;
	open_conn(get, sizeof get - 1);
	ck_assert_int_eq(step(), YMK__WANT_WRITE);
	ck_assert_int_eq(ymk__sched_is_ready(&conn.srv->sched, &conn.ready), 1);
	size_t len;
	body_of(&len);
	ck_assert_uint_eq(len, YMK__OUT_STEP_FILE_BYTES);
	ck_assert_int_eq(run_ready(YMK__WANT_WRITE), YMK__WANT_READ);
	const char *b = body_of(&len);
	ck_assert_uint_eq(len, 3u << 20);
	expect_pattern(b, len, 0);
	close_conn();
}
END_TEST

/* ---- taken buffers -------------------------------------------------------------------------- */

static char taken[] = "0123456789abcdefghij";

static int take(ymk_request *req)
{
	return ymk_respond_buffer_take(req, 200, "text/plain", taken, sizeof taken - 1, on_free, NULL);
}

START_TEST(test_buffer_take)
{
	static const char get[] = "GET /t HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char range[] = "GET /t HTTP/1.1\r\nHost: x\r\nRange: bytes=2-4,10-11\r\n\r\n";
	static const char head[] = "HEAD /t HTTP/1.1\r\nHost: x\r\n\r\n";
	size_t len;
	scenario = take;
	open_conn(get, sizeof get - 1);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_ptr_nonnull(strstr(out(), "Content-Length: 20\r\n"));
	ck_assert_str_eq(body_of(&len), taken);
	ck_assert_int_eq(cb.frees, 1);
	close_conn();

	cb.frees = 0;
	open_conn(range, sizeof range - 1);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_ptr_nonnull(strstr(out(), "206 Partial Content"));
	ck_assert_ptr_nonnull(strstr(out(), "Content-Range: bytes 2-4/20\r\n\r\n234\r\n"));
	ck_assert_ptr_nonnull(strstr(out(), "Content-Range: bytes 10-11/20\r\n\r\nab\r\n"));
	ck_assert_int_eq(cb.frees, 1);
	close_conn();

	cb.frees = 0;
	open_conn(head, sizeof head - 1);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_ptr_nonnull(strstr(out(), "Content-Length: 20\r\n"));
	body_of(&len);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(cb.frees, 1);
	close_conn();

	/* A connection that ends before the answer left gives the memory back too. */
	cb.frees = 0;
	open_conn(get, sizeof get - 1);
	m.window = 10;
	ck_assert_int_eq(step(), YMK__WANT_WRITE);
	ck_assert_int_eq(cb.frees, 0);
	close_conn();
	ck_assert_int_eq(cb.frees, 1);
}
END_TEST

/* ---- streams ------------------------------------------------------------------------------- */

static void on_writable(ymk_request *req, void *user)
{
	(void)req, (void)user;
	cb.writable++;
}

static int open_stream(ymk_request *req)
{
	held = req;
	ymk_request_on_close(req, on_close, NULL);
	ymk_request_on_writable(req, on_writable, NULL);
	return ymk_stream_open(req, 200, "application/x-ndjson", -1);
}

START_TEST(test_stream_backpressure)
{
	static char big[200000], dec[400000];
	size_t len, n;
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)pattern(i);
	scenario = open_stream;
	open_conn(GET_DATA, sizeof GET_DATA - 1);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_int_eq(conn.state, YMK__ST_WAIT);
	ck_assert_ptr_nonnull(strstr(out(), "Transfer-Encoding: chunked\r\n"));
	ck_assert_ptr_null(conn.in);      /* held: no input buffer */
	ck_assert_ptr_null(conn.out.buf); /* the head went out: no output buffer either */
	ck_assert_ptr_null(held->block);
	ck_assert_str_eq(ymk_request_header(held, "Host"), "x");
	ck_assert_str_eq(ymk_request_path(held), "/data");

	/* The reader stops: the buffer fills to its bound, then writes are refused. */
	m.window = m.out_len;
	size_t put = 0;
	long w;
	while ((w = ymk_stream_write(held, big + put, sizeof big - put)) > 0) {
		put += (size_t)w;
		run_ready(YMK__WANT_WRITE);
	}
	ck_assert_int_eq(w, YMK_EAGAIN);
	ck_assert_uint_le(put, YMK_STREAM_BUFFER_MAX);
	ck_assert_uint_ge(put, YMK_STREAM_BUFFER_MAX - 100);
	ck_assert_int_eq(cb.writable, 0);
	/* The reader reads again: the writable callback says so, once. */
	m.window = SIZE_MAX;
	run_ready(step());
	ck_assert_int_eq(cb.writable, 1);
	while (put < sizeof big) {
		w = ymk_stream_write(held, big + put, sizeof big - put);
		ck_assert_int_gt(w, 0);
		put += (size_t)w;
		run_ready(YMK__WANT_READ);
	}
	ck_assert_int_eq(ymk_stream_end(held), 0);
	ck_assert_int_eq(ymk_stream_write(held, "x", 1), YMK_ESTATE);
	run_ready(YMK__WANT_READ);
	ck_assert_ptr_null(held); /* closed: DONE */
	ck_assert_int_eq(cb.closes, 1);
	ck_assert_int_eq(cb.reason, YMK_CLOSE_DONE);
	ck_assert_int_eq(conn.state, YMK__ST_READ_HEAD);
	const char *b = body_of(&len);
	ck_assert_int_eq(dechunk(b, len, dec, sizeof dec, &n), 1);
	ck_assert_uint_eq(n, sizeof big);
	ck_assert_int_eq(memcmp(dec, big, n), 0);
	close_conn();
	ck_assert_int_eq(cb.closes, 1);
}
END_TEST

static int open_stream_len(ymk_request *req)
{
	held = req;
	ymk_request_on_close(req, on_close, NULL);
	return ymk_stream_open(req, 200, "text/plain", 10);
}

START_TEST(test_stream_length)
{
	size_t len;
	scenario = open_stream_len;
	open_conn(GET_DATA, sizeof GET_DATA - 1);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_ptr_nonnull(strstr(out(), "Content-Length: 10\r\n"));
	ck_assert_int_eq(ymk_stream_write(held, "01234", 5), 5);
	ck_assert_int_eq(ymk_stream_write(held, "567890", 6), YMK_EINVAL); /* past the length */
	ck_assert_int_eq(ymk_stream_write(held, "56789", 5), 5);
	ck_assert_int_eq(ymk_stream_end(held), 0);
	run_ready(YMK__WANT_READ);
	ck_assert_str_eq(body_of(&len), "0123456789");
	ck_assert_int_eq(cb.reason, YMK_CLOSE_DONE);
	close_conn();

	/* Ended short: closed, aborted. */
	memset(&cb, 0, sizeof cb);
	open_conn(GET_DATA, sizeof GET_DATA - 1);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_int_eq(ymk_stream_write(held, "0123", 4), 4);
	ck_assert_int_eq(ymk_stream_end(held), 0);
	ck_assert_int_eq(run_ready(YMK__WANT_READ), YMK__WANT_CLOSE);
	close_conn();
	ck_assert_int_eq(cb.closes, 1);
	ck_assert_int_eq(cb.reason, YMK_CLOSE_ABORTED);
}
END_TEST

START_TEST(test_stream_client_leaves)
{
	scenario = open_stream;
	open_conn(GET_DATA, sizeof GET_DATA - 1);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_int_eq(ymk_stream_write(held, "abc", 3), 3);
	run_ready(YMK__WANT_READ);
	m.in_eof = 1; /* the client closes */
	ck_assert_int_eq(step(), YMK__WANT_CLOSE);
	ck_assert_int_eq(cb.closes, 0); /* the driver closes the connection */
	close_conn();
	ck_assert_int_eq(cb.closes, 1);
	ck_assert_int_eq(cb.reason, YMK_CLOSE_CLIENT);
	ck_assert_ptr_null(held);
}
END_TEST

/* ---- SSE ------------------------------------------------------------------------------------ */

static int open_sse(ymk_request *req)
{
	held = req;
	ymk_request_on_close(req, on_close, NULL);
	return ymk_sse_open(req);
}

START_TEST(test_sse)
{
	static const char get[] = "GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 41\r\n\r\n";
	static char dec[4096];
	size_t len, n;
	scenario = open_sse;
	open_conn(get, sizeof get - 1);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	const char *o = out();
	ck_assert_ptr_nonnull(strstr(o, "Content-Type: text/event-stream; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(o, "Cache-Control: no-cache\r\n"));
	ck_assert_ptr_nonnull(strstr(o, "X-Accel-Buffering: no\r\n"));
	ck_assert_ptr_null(strstr(o, "Content-Encoding"));
	ck_assert_str_eq(ymk_request_header(held, "Last-Event-ID"), "41");
	ck_assert_int_eq(ymk_sse_send(held, "status", "42", "a\r\nb\nc\rd"), 0);
	ck_assert_int_eq(ymk_sse_send(held, NULL, NULL, "end\n"), 0);
	ck_assert_int_eq(ymk_sse_send(held, "bad\nname", NULL, "x"), YMK_EINVAL);
	ck_assert_int_eq(ymk_sse_send(held, NULL, "bad\rid", "x"), YMK_EINVAL);
	run_ready(YMK__WANT_READ);

	/* Silence: a keep-alive comment at the deadline, then the deadline moves on. */
	uint64_t d = ymk__conn_deadline(&conn);
	ck_assert_uint_eq(d, clock_ms + YMK_DEFAULT_SSE_KEEPALIVE_MS);
	clock_ms = d;
	ck_assert_int_eq(ymk__conn_expire(&conn, clock_ms), YMK__WANT_READ);
	ck_assert_uint_eq(ymk__conn_deadline(&conn), clock_ms + YMK_DEFAULT_SSE_KEEPALIVE_MS);
	ck_assert_int_eq(ymk_stream_end(held), 0);
	run_ready(YMK__WANT_READ);
	ck_assert_ptr_null(held);
	const char *b = body_of(&len);
	ck_assert_int_eq(dechunk(b, len, dec, sizeof dec - 1, &n), 1);
	dec[n] = '\0';
	ck_assert_str_eq(dec, "event: status\nid: 42\ndata: a\ndata: b\ndata: c\ndata: d\n\n"
			      "data: end\ndata: \n\n"
			      ": keep-alive\n\n");
	close_conn();
}
END_TEST

START_TEST(test_sse_http10_and_head)
{
	static const char old[] = "GET /events HTTP/1.0\r\n\r\n";
	static const char head[] = "HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n";
	size_t len;
	scenario = open_sse;
	open_conn(old, sizeof old - 1);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_ptr_nonnull(strstr(out(), "Connection: close\r\n"));
	ck_assert_int_eq(ymk_sse_send(held, NULL, NULL, "one"), 0);
	ck_assert_int_eq(ymk_stream_end(held), 0);
	run_ready(YMK__WANT_READ);
	ck_assert_str_eq(body_of(&len), "data: one\n\n");
	close_conn();

	open_conn(head, sizeof head - 1);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_int_eq(ymk_sse_send(held, NULL, NULL, "dropped"), 0);
	ck_assert_int_eq(ymk_stream_end(held), 0);
	run_ready(YMK__WANT_READ);
	ck_assert_ptr_null(held);
	body_of(&len);
	ck_assert_uint_eq(len, 0);
	close_conn();
}
END_TEST

/* ---- deferred requests ---------------------------------------------------------------------- */

static int defer(ymk_request *req)
{
	held = req;
	ymk_request_on_close(req, on_close, NULL);
	ck_assert_int_eq(ymk_request_defer(req), 0);
	return 0;
}

START_TEST(test_deferred_answer_later)
{
	static const char two[] = "GET /slow?q=1 HTTP/1.1\r\nHost: x\r\nX-Thing: yes\r\n\r\n"
				  "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n";
	scenario = defer;
	open_conn(two, sizeof two - 1);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_int_eq(conn.state, YMK__ST_WAIT);
	ck_assert_uint_eq(m.out_len, 0);
	ck_assert_ptr_null(held->block); /* compacted */
	ck_assert_ptr_nonnull(conn.in);  /* the pipelined request is kept */
	ck_assert_str_eq(ymk_request_query(held), "q=1");
	ck_assert_str_eq(ymk_request_header(held, "x-thing"), "yes");
	ck_assert_str_eq(ymk_request_method(held), "GET");
	ck_assert_str_eq(ymk_request_target(held), "/slow?q=1");
	ck_assert_uint_eq(ymk__conn_deadline(&conn), clock_ms + YMK_DEFAULT_DEFERRED_TIMEOUT_MS);
	/* Answered later: then the pipelined request, deferred in turn. */
	ymk_request *first = held;
	ck_assert_int_eq(ymk_respond_buffer(first, 200, "text/plain", "later\n", 6), 0);
	run_ready(YMK__WANT_READ);
	ck_assert_int_eq(cb.closes, 1);
	ck_assert_int_eq(cb.reason, YMK_CLOSE_DONE);
	ck_assert_ptr_nonnull(strstr(out(), "\r\n\r\nlater\n"));
	ck_assert_ptr_nonnull(held);
	ck_assert_str_eq(ymk_request_path(held), "/slow");
	ck_assert_int_eq(conn.state, YMK__ST_WAIT);
	ck_assert_ptr_null(conn.in);

	/* Its idle limit passes: 503, and the close callback says why. */
	clock_ms += YMK_DEFAULT_DEFERRED_TIMEOUT_MS;
	ck_assert_int_eq(ymk__conn_expire(&conn, clock_ms), YMK__WANT_READ); /* lingering */
	ck_assert_ptr_nonnull(strstr(out(), "HTTP/1.1 503 Service Unavailable\r\n"));
	ck_assert_int_eq(cb.closes, 2);
	ck_assert_int_eq(cb.reason, YMK_CLOSE_TIMEOUT);
	close_conn();
	ck_assert_int_eq(cb.closes, 2);
}
END_TEST

/* What a deferred request holds beyond an idle keep-alive connection. */
START_TEST(test_deferred_footprint)
{
	static const char get[] =
		"GET /events HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept: text/event-stream\r\n\r\n";
	scenario = open_sse;
	open_conn(get, sizeof get - 1);
	unsigned long before = ymk__alloc_count();
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_int_eq(conn.state, YMK__ST_WAIT);
	ck_assert_ptr_null(conn.in);
	ck_assert_ptr_null(conn.out.buf);
	ck_assert_ptr_null(held->block);
	ck_assert_ptr_nonnull(held->compact);
	ck_assert_ptr_null(held->extra);
	/* the request object and its buffers (pooled), the stream state, the compacted head */
	ck_assert_uint_le(ymk__alloc_count() - before, 6);
	size_t compact = malloc_usable_size(held->compact), obj = sizeof(struct ymk_request);
	ck_assert_uint_le(compact + obj, 900);
	close_conn();
}
END_TEST

/* ---- bodies in pieces ----------------------------------------------------------------------- */

static int body_piece(ymk_request *req, const void *data, size_t len, void *user)
{
	(void)user;
	if (len == 0) {
		char msg[64];
		cb.body_end++;
		int n = snprintf(msg, sizeof msg, "%zu %u", cb.body_bytes, cb.body_sum);
		return ymk_respond_buffer(req, 200, "text/plain", msg, (size_t)n);
	}
	cb.body_calls++;
	for (size_t i = 0; i < len; i++)
		cb.body_sum = cb.body_sum * 31 + ((const unsigned char *)data)[i];
	cb.body_bytes += len;
	if (cb.body_bytes > 100 && cb.pause == 1)
		return 413;
	return cb.pause == 2 ? YMK_PAUSE : 0;
}

static int stream_body(ymk_request *req)
{
	held = req;
	ck_assert_int_eq(ymk_request_stream_body(req, body_piece, NULL), 0);
	return YMK_READ_BODY;
}

static unsigned sum_of(const char *s, size_t n)
{
	unsigned h = 0;
	for (size_t i = 0; i < n; i++)
		h = h * 31 + (unsigned char)s[i];
	return h;
}

START_TEST(test_body_stream)
{
	static const char cl[] = "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world";
	static const char ch[] = "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
				 "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
	char want[64];
	size_t len;
	snprintf(want, sizeof want, "11 %u", sum_of("hello world", 11));
	scenario = stream_body;
	open_conn(cl, sizeof cl - 1);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_str_eq(body_of(&len), want);
	ck_assert_int_eq(cb.body_end, 1);
	close_conn();

	memset(&cb, 0, sizeof cb);
	open_conn(ch, sizeof ch - 1);
	ck_assert_int_eq(step(), YMK__WANT_READ);
	ck_assert_str_eq(body_of(&len), want);
	close_conn();

	/* Paused after every piece: nothing more until resumed, the end included. The body
	 * arrives in two parts. */
	memset(&cb, 0, sizeof cb);
	cb.pause = 2;
	open_conn(cl, sizeof cl - 1 - 6);
	ck_assert_int_eq(step(), YMK__WANT_WAIT);
	ck_assert_int_eq(cb.body_calls, 1);
	ck_assert_uint_eq(cb.body_bytes, 5);
	m.in_len = sizeof cl - 1; /* the rest arrives: not read while paused */
	ck_assert_int_eq(step(), YMK__WANT_WAIT);
	ck_assert_int_eq(cb.body_calls, 1);
	/* A pause does not count against the body deadline; the idle limit applies. */
	ck_assert_uint_eq(ymk__conn_deadline(&conn),
			  conn.req->body_sink->t_paused + YMK_DEFAULT_DEFERRED_TIMEOUT_MS);
	ck_assert_int_eq(ymk_request_resume_body(held), 0);
	ck_assert_int_eq(run_ready(YMK__WANT_WAIT), YMK__WANT_WAIT);
	ck_assert_int_eq(cb.body_calls, 2);
	ck_assert_int_eq(cb.body_end, 0);
	ck_assert_int_eq(ymk_request_resume_body(held), 0);
	ck_assert_int_eq(run_ready(YMK__WANT_WAIT), YMK__WANT_READ);
	ck_assert_int_eq(cb.body_end, 1);
	ck_assert_str_eq(body_of(&len), want);
	close_conn();

	/* Refused midway: the status, and the connection closes. */
	static char big[100000];
	memset(big, 'a', sizeof big);
	char req[200];
	int hn = snprintf(req, sizeof req, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n",
			  sizeof big);
	static char all[100200];
	memcpy(all, req, (size_t)hn);
	memcpy(all + hn, big, sizeof big);
	memset(&cb, 0, sizeof cb);
	cb.pause = 1;
	open_conn(all, (size_t)hn + sizeof big);
	step();
	ck_assert_ptr_nonnull(strstr(out(), "HTTP/1.1 413 "));
	ck_assert_ptr_nonnull(strstr(out(), "Connection: close\r\n"));
	ck_assert_int_eq(cb.body_end, 0);
	close_conn();
}
END_TEST

START_TEST(test_max_handler_body)
{
	ymk_config *cfg;
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_max_handler_body(cfg, 0), YMK_EINVAL);
	ck_assert_int_eq(ymk_config_set_max_handler_body(cfg, 1ull << 63), YMK_EINVAL);
	ck_assert_int_eq(ymk_config_set_max_handler_body(cfg, 64 << 20), 0);
	ck_assert_int_eq(ymk_config_set_deferred_timeout(cfg, 0), 0);
	ck_assert_int_eq(ymk_config_set_deferred_timeout(cfg, YMK_MAX_TIMEOUT_MS + 1), YMK_EINVAL);
	ymk_config_free(cfg);
}
END_TEST

/* ---- the scheduler -------------------------------------------------------------------------- */

static char order[32];

static void mark(ymk_server *s, void *user)
{
	(void)s;
	strncat(order, user, sizeof order - strlen(order) - 1);
}

START_TEST(test_timers)
{
	uint64_t a, b, c;
	order[0] = '\0';
	ck_assert_int_eq(ymk_server_timer(srv, 0, mark, "a", &a), 0);
	ck_assert_int_eq(ymk_server_timer(srv, 0, mark, "b", &b), 0);
	ck_assert_int_eq(ymk_server_timer(srv, 100000, mark, "c", &c), 0);
	ck_assert_int_eq(ymk_server_timer(srv, 0, NULL, NULL, NULL), YMK_EINVAL);
	ck_assert_int_eq(ymk_server_timer_cancel(srv, b), 0);
	ck_assert_int_eq(ymk_server_timer_cancel(srv, b), YMK_EINVAL);
	ck_assert_int_eq(ymk_server_timeout(srv), 0);
	ck_assert_int_eq(ymk_server_process(srv), 0);
	ck_assert_str_eq(order, "a");
	int t = ymk_server_timeout(srv);
	ck_assert_int_gt(t, 90000);
	ck_assert_int_le(t, 100000);
	ck_assert_int_eq(ymk_server_timer_cancel(srv, c), 0);
	ck_assert_int_eq(ymk_server_timeout(srv), -1);
	/* A pending timer is dropped with the server (no leak under ASan). */
	ck_assert_int_eq(ymk_server_timer(srv, 100000, mark, "d", NULL), 0);
}
END_TEST

static void *poster(void *arg)
{
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(ymk_server_post(srv, mark, (char *)arg), 0);
	return NULL;
}

static int posted;
static void count_post(ymk_server *s, void *user)
{
	(void)s, (void)user;
	posted++;
}

START_TEST(test_posts_from_threads)
{
	pthread_t th[4];
	posted = 0;
	order[0] = '\0';
	ck_assert_int_eq(ymk_server_post(srv, mark, "1"), 0);
	ck_assert_int_eq(ymk_server_post(srv, mark, "2"), 0);
	ck_assert_int_eq(ymk_server_post(srv, mark, "3"), 0);
	ck_assert_int_eq(ymk_server_timeout(srv), 0);
	ck_assert_int_eq(ymk_server_process(srv), 0);
	ck_assert_str_eq(order, "123"); /* in the order posted */
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, poster, ""), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 400; i++)
		ck_assert_int_eq(ymk_server_post(srv, count_post, NULL), 0);
	ck_assert_int_eq(ymk_server_process(srv), 0);
	ck_assert_int_eq(posted, 400);
	ck_assert_int_eq(ymk_server_post(srv, NULL, NULL), YMK_EINVAL);
}
END_TEST

static Suite *stream_suite(void)
{
	Suite *s = suite_create("stream");
	TCase *tc = tcase_create("memory transport");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_producer_chunked);
	tcase_add_test(tc, test_producer_known_length);
	tcase_add_test(tc, test_producer_fails);
	tcase_add_test(tc, test_producer_head_and_http10);
	tcase_add_test(tc, test_producer_slow_reader);
	tcase_add_test(tc, test_producer_later);
	tcase_add_test(tc, test_file_yields);
	tcase_add_test(tc, test_buffer_take);
	tcase_add_test(tc, test_stream_backpressure);
	tcase_add_test(tc, test_stream_length);
	tcase_add_test(tc, test_stream_client_leaves);
	tcase_add_test(tc, test_sse);
	tcase_add_test(tc, test_sse_http10_and_head);
	tcase_add_test(tc, test_deferred_answer_later);
	tcase_add_test(tc, test_deferred_footprint);
	tcase_add_test(tc, test_body_stream);
	tcase_add_test(tc, test_max_handler_body);
	tcase_add_test(tc, test_timers);
	tcase_add_test(tc, test_posts_from_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(stream_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
