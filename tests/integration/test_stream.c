/* test_stream.c: answers that take time, on a real server over loopback, in both process models:
 * produced answers framed by chunks (checked with the library's own strict decoder, and by curl)
 * or by a length, HEAD and HTTP/1.0, a reader that stops (the producer waits, memory stays
 * bounded), a client that leaves mid-stream (close and free callbacks exactly once), a deferred
 * answer completed from another thread through ymk_server_post(), a deferred request past its
 * idle limit, Server-Sent Events pushed from a server timer, answers from the handler's own
 * memory, and 50 MB request bodies given to a body callback in pieces (paused and resumed from a
 * timer, with 100 Continue).
 *
 * A last test runs SSE streams, answers from threads and a streamed body on an event-model server
 * with workers, where every connection is served by whichever process took it.
 *
 * The handler uses the public API only. The test links the library's internal archive for one
 * thing: ymk__chunked_decode(), the strict decoder every chunked answer must satisfy. The
 * callbacks count what they saw in memory shared with the server (MAP_SHARED, made before the
 * server is forked), so that the fork model's per-connection children report too. */
#include "chunked.h"
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- what the server's callbacks saw ------------------------------------------------------- */

struct shared {
	int frees, closes, reasons[5], produce_calls;
	long long produced;
};
static struct shared *sh;

#define BUMP(f) __atomic_add_fetch(&sh->f, 1, __ATOMIC_SEQ_CST)
#define LOAD(f) __atomic_load_n(&sh->f, __ATOMIC_SEQ_CST)

static void shared_reset(void)
{
	if (!sh) {
		sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		ck_assert_ptr_ne(sh, MAP_FAILED);
	}
	memset(sh, 0, sizeof *sh);
}

/* Waits (bounded) until the server's callbacks counted `want` closes. */
static void wait_closes(int want, const char *ctx)
{
	long long end = tc_now_ms() + IO_MS;
	while (LOAD(closes) < want && tc_now_ms() < end) {
		struct timespec ts = {0, 5 * 1000000};
		nanosleep(&ts, NULL);
	}
	ck_assert_msg(LOAD(closes) == want, "%s: %d close callbacks, want %d", ctx, LOAD(closes), want);
}

/* ---- the server's handler ------------------------------------------------------------------ */

static uint64_t qnum(const ymk_request *req, const char *key, uint64_t def)
{
	const char *q = ymk_request_query(req);
	size_t k = strlen(key);
	for (const char *p = q; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL)
		if (!strncmp(p, key, k) && p[k] == '=')
			return strtoull(p + k + 1, NULL, 10);
	return def;
}

static void counted_close(ymk_request *req, enum ymk_close_reason reason, void *user)
{
	(void)req, (void)user;
	BUMP(reasons[reason]);
	BUMP(closes);
}

struct prod {
	uint64_t n, given, fail_at;
};

static long produce(char *buf, size_t cap, void *user)
{
	struct prod *p = user;
	BUMP(produce_calls);
	if (p->fail_at && p->given >= p->fail_at)
		return -1;
	size_t k = p->n - p->given < cap ? (size_t)(p->n - p->given) : cap;
	for (size_t i = 0; i < k; i++)
		buf[i] = (char)big_byte((size_t)(p->given + i));
	p->given += k;
	__atomic_add_fetch(&sh->produced, (long long)k, __ATOMIC_SEQ_CST);
	return (long)k;
}

static void counted_free(void *user)
{
	free(user);
	BUMP(frees);
}

static int serve_produce(ymk_request *req)
{
	struct prod *p = calloc(1, sizeof *p);
	p->n = qnum(req, "n", 1000000);
	p->fail_at = qnum(req, "fail", 0);
	ymk_request_on_close(req, counted_close, NULL);
	return ymk_respond_producer(req, 200, "application/octet-stream",
				    qnum(req, "len", 0) ? (int64_t)p->n : -1, produce, counted_free, p);
}

/* SSE clients of this process, pushed to by one server timer. */
struct sse_client {
	ymk_request *req;
	int sent, max, ended;
};
static struct sse_client sse[16];
static int sse_timer_on;

static void sse_tick(ymk_server *srv, void *user)
{
	(void)user;
	int active = 0;
	for (size_t i = 0; i < NELEM(sse); i++) {
		struct sse_client *s = &sse[i];
		if (!s->req || s->ended)
			continue;
		char id[16], data[64];
		snprintf(id, sizeof id, "%d", s->sent + 1);
		snprintf(data, sizeof data, "tick %d\r\nsecond line", s->sent + 1);
		if (ymk_sse_send(s->req, "tick", id, data) == 0 && ++s->sent == s->max) {
			ymk_stream_end(s->req);
			s->ended = 1;
		}
		active += !s->ended;
	}
	sse_timer_on = active > 0 && ymk_server_timer(srv, 50, sse_tick, NULL, NULL) == 0;
}

static void sse_closed(ymk_request *req, enum ymk_close_reason reason, void *user)
{
	struct sse_client *s = user;
	memset(s, 0, sizeof *s);
	counted_close(req, reason, NULL);
}

static int serve_sse(ymk_request *req)
{
	struct sse_client *s = NULL;
	for (size_t i = 0; i < NELEM(sse) && !s; i++)
		if (!sse[i].req)
			s = &sse[i];
	if (!s)
		return 503;
	int err = ymk_sse_open(req);
	if (err)
		return 500;
	*s = (struct sse_client){.req = req, .max = (int)qnum(req, "n", 3)};
	ymk_request_on_close(req, sse_closed, s);
	if (!sse_timer_on)
		sse_timer_on = ymk_server_timer(ymk_request_server(req), 50, sse_tick, NULL, NULL) == 0;
	return 0;
}

/* A deferred request answered by a thread, through a posted call. */
struct job {
	ymk_request *req;
	pthread_t th;
};

static void job_answer(ymk_server *srv, void *user)
{
	struct job *j = user;
	(void)srv;
	pthread_join(j->th, NULL);
	if (j->req) { /* still there: answer it, and the close callback no longer needs j */
		static const char msg[] = "answered from a thread\n";
		ymk_request_on_close(j->req, counted_close, NULL);
		ymk_respond_buffer(j->req, 200, "text/plain", msg, sizeof msg - 1);
	}
	free(j);
}

static void *job_main(void *arg)
{
	struct job *j = arg;
	struct timespec ts = {0, 30 * 1000000}; /* some work */
	nanosleep(&ts, NULL);
	ck_assert_int_eq(ymk_server_post(ymk_request_server(j->req), job_answer, j), 0);
	return NULL;
}

static void job_closed(ymk_request *req, enum ymk_close_reason reason, void *user)
{
	((struct job *)user)->req = NULL;
	counted_close(req, reason, NULL);
}

static int serve_thread(ymk_request *req)
{
	struct job *j = calloc(1, sizeof *j);
	j->req = req;
	ck_assert_int_eq(ymk_request_defer(req), 0);
	ymk_request_on_close(req, job_closed, j);
	ck_assert_int_eq(pthread_create(&j->th, NULL, job_main, j), 0);
	return 0;
}

/* A request body given to the handler in pieces, paused after each when asked. */
struct upload {
	uint64_t bytes;
	unsigned sum;
	int pause;
	uint64_t timer;
	ymk_request *req;
};

static void upload_resume(ymk_server *srv, void *user)
{
	struct upload *u = user;
	(void)srv;
	u->timer = 0;
	ymk_request_resume_body(u->req);
}

static int upload_piece(ymk_request *req, const void *data, size_t len, void *user)
{
	struct upload *u = user;
	if (len == 0) {
		char msg[64];
		int n = snprintf(msg, sizeof msg, "%llu %u", (unsigned long long)u->bytes, u->sum);
		return ymk_respond_buffer(req, 200, "text/plain", msg, (size_t)n);
	}
	for (size_t i = 0; i < len; i++)
		u->sum = u->sum * 31 + ((const unsigned char *)data)[i];
	u->bytes += len;
	if (u->pause && ymk_server_timer(ymk_request_server(req), 0, upload_resume, u, &u->timer) == 0)
		return YMK_PAUSE;
	return 0;
}

static void upload_closed(ymk_request *req, enum ymk_close_reason reason, void *user)
{
	struct upload *u = user;
	if (u->timer) /* the resume must not reach a request that is gone */
		ymk_server_timer_cancel(ymk_request_server(req), u->timer);
	free(u);
	counted_close(req, reason, NULL);
}

static int serve_upload(ymk_request *req)
{
	struct upload *u = calloc(1, sizeof *u);
	u->pause = (int)qnum(req, "pause", 0);
	u->req = req;
	ymk_request_on_close(req, upload_closed, u);
	ck_assert_int_eq(ymk_request_stream_body(req, upload_piece, u), 0);
	return YMK_READ_BODY;
}

static const char TAKEN[] = "a body sent from the handler's own memory\n";

static int handler(ymk_request *req, void *user)
{
	(void)user;
	const char *path = ymk_request_path(req);
	if (!strcmp(path, "/produce"))
		return serve_produce(req);
	if (!strcmp(path, "/sse"))
		return serve_sse(req);
	if (!strcmp(path, "/thread"))
		return serve_thread(req);
	if (!strcmp(path, "/upload"))
		return serve_upload(req);
	if (!strcmp(path, "/never")) {
		ymk_request_on_close(req, counted_close, NULL);
		ymk_request_set_idle_timeout(req, 300);
		return ymk_request_defer(req);
	}
	if (!strcmp(path, "/take")) {
		char *copy = malloc(sizeof TAKEN);
		memcpy(copy, TAKEN, sizeof TAKEN);
		return ymk_respond_buffer_take(req, 200, "text/plain", copy, sizeof TAKEN - 1, counted_free,
					       copy);
	}
	return YMK_PASS;
}

static void start_stream_server(int model)
{
	struct server_opts o = {.model = model_of(model), .handler = handler};
	shared_reset();
	start(&o);
}

/* ---- the client's side --------------------------------------------------------------------- */

/* A chunked body decoded as it arrives. */
struct dechunk {
	struct ymk__chunked d;
	char *out;
	size_t len, cap;
	int done;
};

static void dechunk_init(struct dechunk *k, size_t cap)
{
	memset(k, 0, sizeof *k);
	ymk__chunked_init(&k->d, UINT64_MAX);
	k->out = malloc(cap);
	k->cap = cap;
	ck_assert_ptr_nonnull(k->out);
}

/* Feeds wire bytes; returns how many were used (all, unless the body ended). */
static size_t dechunk_feed(struct dechunk *k, const char *in, size_t len)
{
	size_t used = 0;
	while (!k->done && used < len) {
		size_t cons = 0, prod = 0;
		int r = ymk__chunked_decode(&k->d, in + used, len - used, &cons, k->out + k->len,
					    k->cap - k->len, &prod);
		ck_assert_msg(r >= 0, "the chunked framing is malformed (after %zu body bytes)", k->len);
		used += cons;
		k->len += prod;
		k->done = r == 1;
		ck_assert_msg(cons || prod || k->done, "the decoded body is larger than %zu bytes", k->cap);
	}
	return used;
}

/* Up to cap bytes from the socket within timeout_ms: the count, 0 at EOF, -1 on timeout. */
static ssize_t recv_within(tc_conn *c, char *buf, size_t cap, int timeout_ms)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	ssize_t n = recv(c->fd, buf, cap, 0);
	return n < 0 ? (errno == ECONNRESET ? 0 : -1) : n;
}

/* Reads a chunked body after its head (tc_read_response(.., true, ..)) until the last chunk, or
 * until `until` is found in the decoded bytes (when not NULL). Bytes after the last chunk stay in
 * the client's buffer. */
static void read_chunked(tc_conn *c, struct dechunk *k, const char *until, const char *ctx)
{
	static char buf[65536];
	size_t used = dechunk_feed(k, c->buf, c->len);
	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
	while (!k->done && !(until && memmem(k->out, k->len, until, strlen(until)))) {
		ssize_t n = recv_within(c, buf, sizeof buf, IO_MS);
		ck_assert_msg(n > 0, "%s: %s after %zu body bytes", ctx, n ? "timeout" : "EOF", k->len);
		used = dechunk_feed(k, buf, (size_t)n);
		ck_assert_msg(used == (size_t)n, "%s: %zd bytes after the last chunk", ctx,
			      n - (ssize_t)used);
	}
}

static void expect_pattern(const char *b, size_t len, const char *ctx)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)b[i] != big_byte(i))
			ck_abort_msg("%s: body byte %zu is %u, want %u", ctx, i, (unsigned char)b[i],
				     big_byte(i));
}

static void get_head(tc_conn *c, const char *raw, tc_response *r, const char *ctx)
{
	ck_assert_msg(tc_send_str(c, raw, IO_MS) == 0, "%s: send: %s", ctx, c->err);
	ck_assert_msg(tc_read_response(c, r, true, IO_MS) == 0, "%s: %s", ctx, c->err);
}

/* ---- tests ---------------------------------------------------------------------------------- */

START_TEST(test_chunked_strict)
{
	static const char ctx[] = "GET /produce?n=1000000";
	tc_conn c;
	tc_response r;
	struct dechunk k;
	start_stream_server(_i);
	conn_open(&c);
	get_head(&c, "GET /produce?n=1000000 HTTP/1.1\r\nHost: x\r\n\r\n", &r, ctx);
	expect_status(&r, 200, ctx);
	expect_header(&r, "Transfer-Encoding", "chunked", ctx);
	expect_no_header(&r, "Content-Length", ctx);
	dechunk_init(&k, 2000000);
	read_chunked(&c, &k, NULL, ctx);
	ck_assert_uint_eq(k.len, 1000000);
	expect_pattern(k.out, k.len, ctx);
	tc_response_free(&r);
	free(k.out);
	/* The connection is still good: the next answer starts right after the last chunk. */
	exchange(&c, GET_HELLO, false, &r);
	expect_status(&r, 200, "GET /hello.txt after the produced answer");
	expect_body_str(&r, HELLO, "GET /hello.txt after the produced answer");
	tc_response_free(&r);

	/* A known length: Content-Length, exact bytes. */
	exchange(&c, "GET /produce?n=300000&len=1 HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	expect_header(&r, "Content-Length", "300000", "len=1");
	expect_no_header(&r, "Transfer-Encoding", "len=1");
	ck_assert_uint_eq(r.body_len, 300000);
	expect_pattern(r.body, r.body_len, "len=1");
	tc_response_free(&r);
	tc_close(&c);
	wait_closes(2, ctx);
	ck_assert_int_eq(LOAD(reasons[YMK_CLOSE_DONE]), 2);
	ck_assert_int_eq(LOAD(frees), 2);
	stop();
}
END_TEST

/* curl reads the chunked answer (it refuses malformed chunking) and the HTTP/1.0 one. */
START_TEST(test_curl)
{
	char cmd[3 * PATH_MAX], path[PATH_MAX];
	start_stream_server(_i);
	for (int v = 0; v < 2; v++) {
		join(path, sizeof path, H.base, "curl.out");
		snprintf(
			cmd, sizeof cmd,
			"curl -sS --fail --max-time 20 %s -D %s.head -o %s 'http://127.0.0.1:%d/produce?n=700000'",
			v ? "--http1.0" : "--http1.1", path, path, H.port);
		ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
		size_t len;
		char *body = read_whole(path, &len);
		ck_assert_ptr_nonnull(body);
		ck_assert_uint_eq(len, 700000);
		expect_pattern(body, len, cmd);
		free(body);
		char head_path[PATH_MAX + 8];
		snprintf(head_path, sizeof head_path, "%s.head", path);
		char *head = read_whole(head_path, &len);
		ck_assert_ptr_nonnull(head);
		if (v)
			ck_assert_msg(!strcasestr(head, "transfer-encoding") &&
					      strcasestr(head, "connection: close"),
				      "HTTP/1.0 answer head: %s", head);
		else
			ck_assert_msg(strcasestr(head, "transfer-encoding: chunked"),
				      "HTTP/1.1 answer head: %s", head);
		free(head);
	}
	stop();
}
END_TEST

START_TEST(test_head_and_http10)
{
	tc_conn c;
	tc_response r;
	start_stream_server(_i);
	conn_open(&c);
	exchange(&c, "HEAD /produce?n=1000 HTTP/1.1\r\nHost: x\r\n\r\n", true, &r);
	expect_status(&r, 200, "HEAD /produce");
	expect_header(&r, "Transfer-Encoding", "chunked", "HEAD /produce");
	tc_response_free(&r);
	exchange(&c, GET_HELLO, false, &r); /* no body bytes came after the head */
	expect_body_str(&r, HELLO, "GET after HEAD /produce");
	tc_response_free(&r);
	tc_close(&c);
	wait_closes(1, "HEAD /produce");
	ck_assert_int_eq(LOAD(produce_calls), 0);
	ck_assert_int_eq(LOAD(frees), 1);

	fetch("GET /produce?n=250000 HTTP/1.0\r\n\r\n", false, &r);
	expect_status(&r, 200, "HTTP/1.0 GET /produce");
	expect_no_header(&r, "Transfer-Encoding", "HTTP/1.0 GET /produce");
	expect_header(&r, "Connection", "close", "HTTP/1.0 GET /produce");
	ck_assert(r.until_eof);
	ck_assert_uint_eq(r.body_len, 250000);
	expect_pattern(r.body, r.body_len, "HTTP/1.0 GET /produce");
	tc_response_free(&r);
	wait_closes(2, "HTTP/1.0 GET /produce");
	ck_assert_int_eq(LOAD(reasons[YMK_CLOSE_DONE]), 2);
	stop();
}
END_TEST

static long vm_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* A reader that stops: the producer is not called while the socket is full; then the client
 * leaves mid-answer, and the close and free callbacks run once each. */
START_TEST(test_slow_reader_then_gone)
{
	static char buf[65536];
	tc_conn c;
	tc_response r;
	start_stream_server(_i);
	long rss0 = _i == 0 ? vm_rss_kib(H.server) : 0;
	conn_open(&c);
	int small = 4096;
	setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	get_head(&c, "GET /produce?n=2000000000 HTTP/1.1\r\nHost: x\r\n\r\n", &r, "slow reader");
	tc_response_free(&r);
	size_t got = c.len;
	c.len = 0;
	for (int i = 0; i < 4; i++) {
		ssize_t n = recv_within(&c, buf, sizeof buf, IO_MS);
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	/* The socket fills; production stops (sampled until two readings 200 ms apart agree). */
	long long a = -1, b = LOAD(produced);
	for (int i = 0; i < 50 && a != b; i++) {
		struct timespec ts = {0, 200 * 1000000};
		nanosleep(&ts, NULL);
		a = b;
		b = LOAD(produced);
	}
	ck_assert_msg(a == b, "the producer kept being called while the client did not read");
	/* What was produced is what the client read, plus the kernel's buffers, plus one buffer of
	 * the library's. */
	ck_assert_msg((uint64_t)b <= got + (16u << 20), "produced %lld bytes for %zu read", b, got);
	/* Under an emulator (meson's exe_wrapper: qemu-user in the aarch64 cross build) the process's
	 * RSS is the emulator's too, whose code cache grows as new paths run: the bound is checked in
	 * native runs only. */
	const char *wrapper = getenv("MESON_EXE_WRAPPER");
	if (_i == 0 && !(wrapper && *wrapper)) {
		long rss = vm_rss_kib(H.server);
		ck_assert_msg(rss - rss0 < 4096, "the server grew from %ld to %ld KiB", rss0, rss);
	}
	ck_assert_int_eq(LOAD(frees), 0);
	tc_close(&c); /* gone mid-answer */
	wait_closes(1, "client gone mid-answer");
	ck_assert_int_eq(LOAD(reasons[YMK_CLOSE_CLIENT]), 1);
	ck_assert_int_eq(LOAD(frees), 1);
	stop();
}
END_TEST

START_TEST(test_producer_fails)
{
	tc_conn c;
	tc_response r;
	struct dechunk k;
	static char buf[65536];
	start_stream_server(_i);
	conn_open(&c);
	get_head(&c, "GET /produce?n=1000000&fail=200000 HTTP/1.1\r\nHost: x\r\n\r\n", &r,
		 "failing producer");
	tc_response_free(&r);
	dechunk_init(&k, 2000000);
	dechunk_feed(&k, c.buf, c.len);
	ssize_t n;
	while ((n = recv_within(&c, buf, sizeof buf, IO_MS)) > 0)
		dechunk_feed(&k, buf, (size_t)n);
	ck_assert_int_eq(n, 0); /* closed */
	ck_assert_msg(!k.done, "a failed answer ended with the last chunk");
	/* Every byte produced before the failure arrived, and then the connection closed. */
	ck_assert_uint_ge(k.len, 200000);
	ck_assert_uint_eq(k.len, (uint64_t)LOAD(produced));
	expect_pattern(k.out, k.len, "failing producer");
	free(k.out);
	tc_close(&c);
	wait_closes(1, "failing producer");
	ck_assert_int_eq(LOAD(reasons[YMK_CLOSE_ABORTED]), 1);
	ck_assert_int_eq(LOAD(frees), 1);
	stop();
}
END_TEST

START_TEST(test_sse_events)
{
	static const char ctx[] = "GET /sse";
	tc_conn c;
	tc_response r;
	struct dechunk k;
	start_stream_server(_i);
	conn_open(&c);
	get_head(&c, "GET /sse?n=3 HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n", &r, ctx);
	expect_status(&r, 200, ctx);
	expect_header(&r, "Content-Type", "text/event-stream; charset=utf-8", ctx);
	expect_header(&r, "Cache-Control", "no-cache", ctx);
	expect_header(&r, "X-Accel-Buffering", "no", ctx);
	expect_header(&r, "Transfer-Encoding", "chunked", ctx);
	expect_no_header(&r, "Content-Encoding", ctx);
	tc_response_free(&r);
	dechunk_init(&k, 65536);
	read_chunked(&c, &k, NULL, ctx);
	ck_assert_uint_lt(k.len, k.cap);
	k.out[k.len] = '\0';
	ck_assert_str_eq(k.out, "event: tick\nid: 1\ndata: tick 1\ndata: second line\n\n"
				"event: tick\nid: 2\ndata: tick 2\ndata: second line\n\n"
				"event: tick\nid: 3\ndata: tick 3\ndata: second line\n\n");
	free(k.out);
	exchange(&c, GET_HELLO, false, &r); /* the connection goes on after the stream */
	expect_body_str(&r, HELLO, "GET after the SSE stream");
	tc_response_free(&r);
	tc_close(&c);
	wait_closes(1, ctx);
	ck_assert_int_eq(LOAD(reasons[YMK_CLOSE_DONE]), 1);

	/* A client that leaves while the stream waits for its next event. */
	conn_open(&c);
	get_head(&c, "GET /sse?n=1000 HTTP/1.1\r\nHost: x\r\n\r\n", &r, "GET /sse?n=1000");
	tc_response_free(&r);
	dechunk_init(&k, 65536);
	read_chunked(&c, &k, "id: 2\n", "GET /sse?n=1000");
	free(k.out);
	tc_close(&c);
	wait_closes(2, "SSE client gone");
	ck_assert_int_eq(LOAD(reasons[YMK_CLOSE_CLIENT]), 1);
	stop();
}
END_TEST

START_TEST(test_answer_from_thread)
{
	tc_response r;
	start_stream_server(_i);
	fetch("GET /thread HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false, &r);
	expect_status(&r, 200, "GET /thread");
	expect_body_str(&r, "answered from a thread\n", "GET /thread");
	tc_response_free(&r);
	wait_closes(1, "GET /thread");
	ck_assert_int_eq(LOAD(reasons[YMK_CLOSE_DONE]), 1);
	stop();
}
END_TEST

START_TEST(test_deferred_idle_limit)
{
	tc_conn c;
	tc_response r;
	start_stream_server(_i);
	conn_open(&c);
	long long t0 = tc_now_ms();
	exchange(&c, "GET /never HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	expect_status(&r, 503, "GET /never");
	expect_header(&r, "Connection", "close", "GET /never");
	ck_assert_int_ge(tc_now_ms() - t0, 250);
	tc_response_free(&r);
	expect_closed(&c, "GET /never");
	tc_close(&c);
	wait_closes(1, "GET /never");
	ck_assert_int_eq(LOAD(reasons[YMK_CLOSE_TIMEOUT]), 1);
	stop();
}
END_TEST

START_TEST(test_buffer_take)
{
	tc_conn c;
	tc_response r;
	start_stream_server(_i);
	conn_open(&c);
	exchange(&c, "GET /take HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	expect_body_str(&r, TAKEN, "GET /take");
	tc_response_free(&r);
	exchange(&c, "GET /take HTTP/1.1\r\nHost: x\r\nRange: bytes=2-5\r\n\r\n", false, &r);
	expect_status(&r, 206, "GET /take with Range");
	expect_body_str(&r, "body", "GET /take with Range");
	tc_response_free(&r);
	exchange(&c, "HEAD /take HTTP/1.1\r\nHost: x\r\n\r\n", true, &r);
	expect_status(&r, 200, "HEAD /take");
	tc_response_free(&r);
	tc_close(&c);
	long long end = tc_now_ms() + IO_MS;
	while (LOAD(frees) < 3 && tc_now_ms() < end) {
		struct timespec ts = {0, 5 * 1000000};
		nanosleep(&ts, NULL);
	}
	ck_assert_int_eq(LOAD(frees), 3);
	stop();
}
END_TEST

/* Sends a request body of `total` bytes of big_byte() (Content-Length, or chunked in pieces of
 * 100000), and returns the handler's checksum of what it should get. */
static unsigned send_body(tc_conn *c, size_t total, int chunked)
{
	static char block[1 << 20];
	unsigned sum = 0;
	for (size_t off = 0; off < total;) {
		size_t n = total - off < (chunked ? 100000 : sizeof block)
				 ? total - off
				 : (chunked ? 100000 : sizeof block);
		for (size_t i = 0; i < n; i++) {
			block[i] = (char)big_byte(off + i);
			sum = sum * 31 + (unsigned char)block[i];
		}
		if (chunked) {
			char line[32];
			snprintf(line, sizeof line, "%zx\r\n", n);
			ck_assert_int_eq(tc_send_str(c, line, IO_MS), 0);
		}
		ck_assert_msg(tc_send(c, block, n, IO_MS) == 0, "send body: %s", c->err);
		if (chunked)
			ck_assert_int_eq(tc_send_str(c, "\r\n", IO_MS), 0);
		off += n;
	}
	if (chunked)
		ck_assert_int_eq(tc_send_str(c, "0\r\n\r\n", IO_MS), 0);
	return sum;
}

START_TEST(test_body_50mb)
{
	const size_t total = 50u << 20;
	char want[64], head[256];
	tc_conn c;
	tc_response r;
	start_stream_server(_i);
	conn_open(&c);
	/* With 100 Continue: the client waits for it before the body. */
	snprintf(head, sizeof head,
		 "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\nExpect: 100-continue\r\n\r\n",
		 total);
	ck_assert_int_eq(tc_send_str(&c, head, IO_MS), 0);
	ck_assert_int_eq(tc_read_response(&c, &r, false, IO_MS), 0);
	expect_status(&r, 100, "POST /upload (Expect)");
	tc_response_free(&r);
	unsigned sum = send_body(&c, total, 0);
	ck_assert_msg(tc_read_response(&c, &r, false, 60000) == 0, "POST /upload: %s", c.err);
	snprintf(want, sizeof want, "%zu %u", total, sum);
	expect_status(&r, 200, "POST /upload 50 MB");
	expect_body_str(&r, want, "POST /upload 50 MB");
	tc_response_free(&r);

	/* Chunked, and paused after every piece (resumed from a server timer). */
	const size_t part = 8u << 20;
	ck_assert_int_eq(
		tc_send_str(&c,
			    "POST /upload?pause=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
			    IO_MS),
		0);
	sum = send_body(&c, part, 1);
	ck_assert_msg(tc_read_response(&c, &r, false, 60000) == 0, "POST /upload?pause=1: %s", c.err);
	snprintf(want, sizeof want, "%zu %u", part, sum);
	expect_body_str(&r, want, "POST /upload?pause=1 chunked");
	tc_response_free(&r);
	tc_close(&c);
	wait_closes(2, "uploads");
	ck_assert_int_eq(LOAD(reasons[YMK_CLOSE_DONE]), 2);
	stop();
}
END_TEST

/* Several worker processes: each serves the connections it took, with its own timers and posts. */
START_TEST(test_workers)
{
	struct server_opts o = {.model = YMK_MODEL_EVENT, .handler = handler, .workers = 3};
	tc_conn c[6];
	tc_response r;
	struct dechunk k;
	shared_reset();
	start(&o);
	for (int i = 0; i < 6; i++) {
		conn_open(&c[i]);
		get_head(&c[i], "GET /sse?n=3 HTTP/1.1\r\nHost: x\r\n\r\n", &r, "workers: GET /sse");
		expect_status(&r, 200, "workers: GET /sse");
		tc_response_free(&r);
	}
	for (int i = 0; i < 6; i++) {
		dechunk_init(&k, 65536);
		read_chunked(&c[i], &k, NULL, "workers: SSE");
		ck_assert_ptr_nonnull(memmem(k.out, k.len, "id: 3\ndata: tick 3\n", 19));
		free(k.out);
		exchange(&c[i], "GET /thread HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
		expect_body_str(&r, "answered from a thread\n", "workers: GET /thread");
		tc_response_free(&r);
		tc_close(&c[i]);
	}
	wait_closes(12, "workers");
	ck_assert_int_eq(LOAD(reasons[YMK_CLOSE_DONE]), 12);
	stop();
}
END_TEST

static Suite *stream_suite(void)
{
	Suite *s = suite_create("stream");
	TCase *tc = harness_case("answers that take time", 120);
	tcase_add_loop_test(tc, test_chunked_strict, 0, 2);
	tcase_add_loop_test(tc, test_curl, 0, 2);
	tcase_add_loop_test(tc, test_head_and_http10, 0, 2);
	tcase_add_loop_test(tc, test_slow_reader_then_gone, 0, 2);
	tcase_add_loop_test(tc, test_producer_fails, 0, 2);
	tcase_add_loop_test(tc, test_sse_events, 0, 2);
	tcase_add_loop_test(tc, test_answer_from_thread, 0, 2);
	tcase_add_loop_test(tc, test_deferred_idle_limit, 0, 2);
	tcase_add_loop_test(tc, test_buffer_take, 0, 2);
	tcase_add_loop_test(tc, test_body_50mb, 0, 2);
	tcase_add_test(tc, test_workers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(stream_suite());
}
