/* test_http.c: the integration tests of libymawky, through its public API only. Each test builds a
 * fresh document root of fixtures under a mkdtemp() directory, creates a server on a loopback port 0
 * in the test process, forks a child that runs it (harness.c: a SIGTERM handler calls
 * ymk_server_stop(), so teardown also proves that a stop from a signal handler makes
 * ymk_server_run() return 0), and talks raw HTTP to it through client.c. Every HTTP test runs once
 * per process model (loop index 0 = event, 1 = fork) and asserts exact status codes, headers and
 * body bytes. Every wait has a deadline; timing assertions leave wide margins for a loaded machine.
 * A last group checks configuration and lifecycle calls without any network traffic. */
#include "harness.h"

#include <check.h>
#include <ymawky.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------------------
 * Callbacks run in the server child
 * ------------------------------------------------------------------------------------------- */

static int twice_rc = 1; /* result of the second ymk_respond_buffer(), per serving process */

static int api_handler(ymk_request *req, void *user)
{
	const char *path = ymk_request_path(req);
	char num[32];

	(void)user;
	if (strcmp(path, "/api/hello") == 0) {
		const char *q = ymk_request_query(req);
		const char *x = ymk_request_header(req, "x-custom");
		int bad;

		ymk_response_header(req, "X-Test", "1");
		ymk_response_header(req, "X-Query", q ? q : "(none)");
		ymk_response_header(req, "X-Echo", x ? x : "(none)");
		ymk_response_header(req, "X-Path", path);
		ymk_response_header(req, "X-Method", ymk_request_method(req));
		ymk_response_header(req, "X-Target", ymk_request_target(req));
		snprintf(num, sizeof num, "%d", ymk_request_version(req));
		ymk_response_header(req, "X-Version", num);
		bad = ymk_response_header(req, "X-Bad", "a\r\nb");
		snprintf(num, sizeof num, "%d", bad);
		ymk_response_header(req, "X-Bad-Rc", num);
		if (ymk_respond_buffer(req, 200, "application/json", "{\"ok\":true}", 11) != 0)
			return 599;
		return 0;
	}
	if (strcmp(path, "/api/teapot") == 0)
		return 418;
	if (strcmp(path, "/api/forgot") == 0)
		return 0;
	if (strcmp(path, "/api/file") == 0) {
		char file[PATH_MAX];
		int fd;

		if (snprintf(file, sizeof file, "%s/hello.txt", H.root) >= (int)sizeof file)
			return 599;
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 599;
		return ymk_respond_fd(req, fd, "text/plain") == 0 ? 0 : 599;
	}
	if (strcmp(path, "/api/twice") == 0) {
		if (ymk_respond_buffer(req, 200, "text/plain", "first", 5) != 0)
			return 599;
		twice_rc = ymk_respond_buffer(req, 200, "text/plain", "second", 6);
		return 0;
	}
	if (strcmp(path, "/api/lastrc") == 0) {
		int n = snprintf(num, sizeof num, "%d", twice_rc);

		return ymk_respond_buffer(req, 200, "text/plain", num, (size_t)n) == 0 ? 0 : 599;
	}
	return YMK_PASS;
}

/* One line per entry, one write() each, O_APPEND: lines of fork children never interleave. */
static void access_log_line(const ymk_access_entry *e, void *user)
{
	char line[9000];
	int n;
	int fd;

	if (e->size < offsetof(ymk_access_entry, bytes_sent) + sizeof e->bytes_sent)
		return;
	n = snprintf(line, sizeof line, "%s %s %d %llu\n", e->method, e->target, e->status,
		     (unsigned long long)e->bytes_sent);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = (int)sizeof line - 1;
	fd = open(user, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) < 0) {
		/* nothing to do: the test will see the line missing */
	}
	close(fd);
}

/* ---------------------------------------------------------------------------------------------
 * 1-7: static files
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_get_and_head)
{
	static const char *const same[] = {"Content-Type", "Content-Length", "ETag", "Last-Modified",
					   "Accept-Ranges", "X-Content-Type-Options"};
	const char *ctx = "GET /hello.txt";
	const char *etag;
	tc_conn c;
	tc_response g;
	tc_response h;
	tc_response n;

	start_model(_i);
	conn_open(&c);
	exchange(&c, GET_HELLO, false, &g);
	expect_status(&g, 200, ctx);
	expect_header(&g, "Content-Type", "text/plain; charset=utf-8", ctx);
	expect_header(&g, "Content-Length", "13", ctx);
	expect_body_str(&g, HELLO, ctx);
	expect_date(&g, "Date", ctx);
	expect_date(&g, "Last-Modified", ctx);
	etag = tc_header(&g, "ETag");
	ck_assert_msg(etag != NULL, "%s: no ETag", ctx);
	ck_assert_msg(strlen(etag) >= 3 && etag[0] == '"' && etag[strlen(etag) - 1] == '"',
		      "%s: ETag is not a quoted strong tag: %s", ctx, etag);
	expect_header(&g, "Accept-Ranges", "bytes", ctx);
	expect_header(&g, "X-Content-Type-Options", "nosniff", ctx);

	ctx = "HEAD /hello.txt";
	exchange(&c, "HEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", true, &h);
	expect_status(&h, 200, ctx);
	for (size_t i = 0; i < NELEM(same); i++)
		expect_header(&h, same[i], tc_header(&g, same[i]), ctx);
	expect_date(&h, "Date", ctx);
	/* Exactly the GET headers: nothing more, nothing less (Date may tick). */
	for (size_t i = 0; i < h.nheaders; i++)
		ck_assert_msg(tc_header(&g, h.headers[i].name) != NULL,
			      "%s: header %s not in the GET response", ctx, h.headers[i].name);
	for (size_t i = 0; i < g.nheaders; i++)
		ck_assert_msg(tc_header(&h, g.headers[i].name) != NULL,
			      "%s: GET header %s missing from HEAD", ctx, g.headers[i].name);

	/* No body bytes followed the HEAD answer: the next response parses at once. */
	ctx = "GET /page.html after HEAD";
	exchange(&c, "GET /page.html HTTP/1.1\r\nHost: x\r\n\r\n", false, &n);
	expect_status(&n, 200, ctx);
	expect_body_str(&n, PAGE, ctx);

	tc_response_free(&g);
	tc_response_free(&h);
	tc_response_free(&n);
	tc_close(&c);
	stop();
}
END_TEST

START_TEST(test_index_and_redirects)
{
	static const struct get_case cases[] = {
		{"/", 200, INDEX, "text/html; charset=utf-8"},
		{"/sub/", 200, SUB_INDEX, "text/html; charset=utf-8"},
		{"/noindex/", 403, NULL, NULL},
		{"/noindex/file.txt", 200, NOINDEX_FILE, "text/plain; charset=utf-8"},
	};
	static const struct {
		const char *target;
		const char *location;
	} redirects[] = {
		{"/sub", "/sub/"},
		{"/sub?x=1", "/sub/?x=1"},
		{"/noindex", "/noindex/"},
	};

	start_model(_i);
	run_get_cases(cases, NELEM(cases));
	for (size_t i = 0; i < NELEM(redirects); i++) {
		tc_response r;
		char ctx[128];

		snprintf(ctx, sizeof ctx, "GET %s", redirects[i].target);
		get(redirects[i].target, &r);
		expect_status(&r, 301, ctx);
		expect_header(&r, "Location", redirects[i].location, ctx);
		tc_response_free(&r);
	}
	stop();
}
END_TEST

START_TEST(test_not_found)
{
	static const struct {
		const char *target;
		const char *not_echoed;
	} cases[] = {
		{"/missing.txt", "missing"},
		{"/<script>zz.txt", "script"},
		{"/hello.txt/x", "hello.txt"},
	};

	start_model(_i);
	for (size_t i = 0; i < NELEM(cases); i++) {
		tc_response r;
		char ctx[128];

		snprintf(ctx, sizeof ctx, "GET %s", cases[i].target);
		get(cases[i].target, &r);
		expect_status(&r, 404, ctx);
		expect_header(&r, "Content-Type", "text/html; charset=utf-8", ctx);
		ck_assert_msg(memmem(r.body, r.body_len, "404", 3) != NULL, "%s: body lacks \"404\": %s",
			      ctx, tc_show(r.body, r.body_len));
		expect_body_lacks(&r, cases[i].not_echoed, ctx);
		tc_response_free(&r);
	}
	stop();
}
END_TEST

START_TEST(test_traversal_and_escapes)
{
	static const char *const forbidden[] = {
		"/../secret.txt",         "/%2e%2e/secret.txt",        "/%2E%2E%2Fsecret.txt",
		"/sub/../../secret.txt",  "/sub/..%2f..%2fsecret.txt", "http://x/../secret.txt",
		"/sub/../hello.txt",      "/..",                       "/sub/%2e%2e",
	};
	static const struct get_case cases[] = {
		{"/%zz", 400, NULL, NULL},
		{"/%4", 400, NULL, NULL},
		{"/%00.txt", 400, NULL, NULL},
		{"/ohwell...txt", 200, OHWELL, NULL},
		{"/hehe..txt", 200, HEHE, NULL},
	};

	start_model(_i);
	for (size_t i = 0; i < NELEM(forbidden); i++) {
		tc_response r;
		char ctx[128];

		snprintf(ctx, sizeof ctx, "GET %s", forbidden[i]);
		get(forbidden[i], &r);
		expect_status(&r, 403, ctx);
		expect_body_lacks(&r, "top secret", ctx);
		expect_body_lacks(&r, "secret.txt", ctx);
		tc_response_free(&r);
	}
	run_get_cases(cases, NELEM(cases));
	stop();
}
END_TEST

START_TEST(test_symlinks_and_special_files)
{
	static const struct get_case cases[] = {
		{"/link-in.txt", 403, NULL, NULL},
		{"/link-out", 403, NULL, NULL},
		{"/linkdir/index.html", 403, NULL, NULL},
		{"/linkdir/", 403, NULL, NULL},
		{"/fifo", 403, NULL, NULL},
		/* the server did not hang on the FIFO: */
		{"/hello.txt", 200, HELLO, NULL},
		{"/.ymk-upload-123", 404, NULL, NULL},
		{"/./.ymk-upload-123", 404, NULL, NULL},
		{"/%2eymk-upload-123", 404, NULL, NULL},
	};
	tc_response r;

	start_model(_i);
	run_get_cases(cases, NELEM(cases));
	get("/link-out", &r);
	expect_body_lacks(&r, "root:", "GET /link-out");
	tc_response_free(&r);
	stop();
}
END_TEST

/* A bound Unix socket in the root, and one standing where a directory's index.html would be. */
static void bind_socket_at(const char *dir, const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int n = snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", dir, name);
	int fd;

	ck_assert_msg(n > 0 && (size_t)n < sizeof sa.sun_path, "socket path too long: %s/%s", dir, name);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind %s: %s", sa.sun_path,
		      strerror(errno));
	ck_assert_int_eq(listen(fd, 1), 0);
	close(fd); /* the socket file stays; open() of it fails with ENXIO either way */
}

static void special_fixtures(void)
{
	char path[PATH_MAX];

	bind_socket_at(H.root, "sock");
	bind_socket_at(H.root, "sock.txt");
	make_dir(H.root, "sockdir");
	join(path, sizeof path, H.root, "sockdir");
	bind_socket_at(path, "index.html");
}

/* Anything that is neither a regular file nor a directory is 403, for GET and HEAD, with or
 * without a trailing slash, whatever the open gives: a FIFO opens (non-blocking) and is refused
 * after fstat(); a socket fails its open with ENXIO. A regular file named with a trailing slash
 * is 404 (GET and HEAD), as the kernel would say (ENOTDIR) and as PUT and DELETE of the same path
 * already refuse it. */
START_TEST(test_special_files_and_slash)
{
	static const struct {
		const char *target;
		int status;
	} cases[] = {
		{"/sock", 403},
		{"/sock.txt", 403},
		{"/sockdir/", 403},
		{"/sockdir/index.html", 403},
		{"/fifo", 403},
		{"/sock/", 403},
		{"/fifo/", 403},
		{"/hello.txt/", 404},
		{"/hello.txt%2F", 404},
		{"/sub/index.html/", 404},
		{"/hello.txt//", 404},
		{"/hello.txt/?x=1", 404},
		{"/empty.txt/", 404},
		{"/hello.txt", 200},
		{"/sub/index.html", 200},
	};
	struct server_opts o = {.model = model_of(_i), .fixtures = special_fixtures};

	start(&o);
	for (int head = 0; head < 2; head++) {
		for (size_t i = 0; i < NELEM(cases); i++) {
			tc_conn c;
			tc_response r;
			char raw[256];
			char ctx[160];

			snprintf(raw, sizeof raw, "%s %s HTTP/1.1\r\nHost: x\r\n\r\n", head ? "HEAD" : "GET",
				 cases[i].target);
			snprintf(ctx, sizeof ctx, "%s %s", head ? "HEAD" : "GET", cases[i].target);
			conn_open(&c);
			exchange(&c, raw, head, &r);
			expect_status(&r, cases[i].status, ctx);
			if (cases[i].status != 200)
				expect_body_lacks(&r, HELLO, ctx);
			else if (!head)
				ck_assert_msg(r.body_len > 0, "%s: empty body", ctx);
			/* the connection survives: the answer was not a failure of the server */
			expect_still_open(&c, ctx);
			tc_response_free(&r);
			tc_close(&c);
		}
	}
	stop();
}
END_TEST

START_TEST(test_query_and_decoding)
{
	static const struct get_case cases[] = {
		{"/hello.txt?a=b", 200, HELLO, "text/plain; charset=utf-8"},
		{"/hello.txt?", 200, HELLO, NULL},
		{"/with%20space.txt", 200, SPACE, "text/plain; charset=utf-8"},
		{"/caf%C3%A9.txt", 200, CAFE, "text/plain; charset=utf-8"},
		{"/caf%c3%a9.txt", 200, CAFE, NULL},
		{"/caf\xc3\xa9.txt", 200, CAFE, "text/plain; charset=utf-8"},
		{"http://localhost/hello.txt", 200, HELLO, "text/plain; charset=utf-8"},
		{"/%68ello.txt", 200, HELLO, NULL},
	};

	start_model(_i);
	run_get_cases(cases, NELEM(cases));
	stop();
}
END_TEST

START_TEST(test_mime)
{
	static const struct get_case cases[] = {
		{"/page.html", 200, PAGE, "text/html; charset=utf-8"},
		{"/data.unknownext", 200, UNKNOWN, "application/octet-stream"},
		{"/hello.txt", 200, HELLO, "text/plain; charset=utf-8"},
		{"/big.bin", 200, NULL, "application/octet-stream"},
	};

	start_model(_i);
	run_get_cases(cases, NELEM(cases));
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 8: Range
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_range)
{
	static const struct {
		const char *range;
		int status;
		const char *content_range; /* NULL: must be absent */
		size_t off;
		size_t len;
	} cases[] = {
		{"bytes=0-99", 206, "bytes 0-99/100000", 0, 100},
		{"bytes=-500", 206, "bytes 99500-99999/100000", 99500, 500},
		{"bytes=99000-", 206, "bytes 99000-99999/100000", 99000, 1000},
		{"bytes=0-999999", 206, "bytes 0-99999/100000", 0, BIG_LEN},
		{"bytes=-200000", 206, "bytes 0-99999/100000", 0, BIG_LEN},
		{"bytes=1000-1000", 206, "bytes 1000-1000/100000", 1000, 1},
		{"bytes=100000-", 416, "bytes */100000", 0, 0},
		{"bytes=-0", 416, "bytes */100000", 0, 0},
		{"bytes=5-2", 200, NULL, 0, BIG_LEN},
		{"bytes=abc", 200, NULL, 0, BIG_LEN},
		{"pages=1-2", 200, NULL, 0, BIG_LEN},
		{"0-99", 200, NULL, 0, BIG_LEN},
	};
	unsigned char *big = malloc(BIG_LEN);
	char raw[256];
	char ctx[128];
	char len_text[32];
	tc_conn c;
	tc_response r;

	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < BIG_LEN; i++)
		big[i] = big_byte(i);
	start_model(_i);

	for (size_t i = 0; i < NELEM(cases); i++) {
		snprintf(raw, sizeof raw, "GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: %s\r\n\r\n",
			 cases[i].range);
		snprintf(ctx, sizeof ctx, "GET /big.bin Range: %s", cases[i].range);
		fetch(raw, false, &r);
		expect_status(&r, cases[i].status, ctx);
		if (cases[i].content_range)
			expect_header(&r, "Content-Range", cases[i].content_range, ctx);
		else
			expect_no_header(&r, "Content-Range", ctx);
		if (cases[i].status != 416) {
			snprintf(len_text, sizeof len_text, "%zu", cases[i].len);
			expect_header(&r, "Content-Length", len_text, ctx);
			expect_body(&r, big + cases[i].off, cases[i].len, ctx);
		}
		tc_response_free(&r);
	}

	fetch("GET /empty.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-\r\n\r\n", false, &r);
	expect_status(&r, 416, "GET /empty.txt Range: bytes=0-");
	expect_header(&r, "Content-Range", "bytes */0", "GET /empty.txt Range: bytes=0-");
	tc_response_free(&r);

	/* Range is ignored for HEAD; and the HEAD answer carries no body. */
	conn_open(&c);
	exchange(&c, "HEAD /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-99\r\n\r\n", true, &r);
	expect_status(&r, 200, "HEAD /big.bin Range: bytes=0-99");
	expect_header(&r, "Content-Length", "100000", "HEAD /big.bin Range: bytes=0-99");
	expect_no_header(&r, "Content-Range", "HEAD /big.bin Range: bytes=0-99");
	tc_response_free(&r);
	expect_still_open(&c, "GET after HEAD with Range");
	tc_close(&c);

	free(big);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 9: errors, limits and methods
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_errors_close)
{
	struct text long_line = {0};
	struct text big_head = {0};
	struct text many = {0};
	struct {
		const char *what;
		const char *raw;
		int status;
	} cases[] = {
		{"5000-byte request line", NULL, 414},
		{"9000-byte head", NULL, 431},
		{"101 header lines", NULL, 431},
		{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
		{"HTTP/1.2", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505},
		{"garbage", "garbage\r\n\r\n", 400},
		{"no Host", "GET / HTTP/1.1\r\n\r\n", 400},
		{"two Host lines", "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400},
		{"CL + TE (GET)",
		 "GET /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n",
		 400},
		{"CL + TE (POST)",
		 "POST /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n",
		 400},
		{"obs-fold", "GET /hello.txt HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400},
	};

	/* "GET /aaa... HTTP/1.1" is exactly 5000 bytes before its CRLF. */
	text_add(&long_line, "GET /");
	text_repeat(&long_line, 'a', 5000 - strlen("GET /") - strlen(" HTTP/1.1"));
	text_add(&long_line, " HTTP/1.1\r\nHost: x\r\n\r\n");
	cases[0].raw = long_line.p;
	text_add(&big_head, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < 9; i++) {
		text_add(&big_head, "X-Pad-%d: ", i);
		text_repeat(&big_head, 'b', 990);
		text_add(&big_head, "\r\n");
	}
	text_add(&big_head, "\r\n");
	cases[1].raw = big_head.p;
	text_add(&many, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < 100; i++)
		text_add(&many, "X-H-%d: v\r\n", i);
	text_add(&many, "\r\n");
	cases[2].raw = many.p;

	start_model(_i);
	for (size_t i = 0; i < NELEM(cases); i++) {
		tc_conn c;
		tc_response r;

		conn_open(&c);
		exchange(&c, cases[i].raw, false, &r);
		expect_status(&r, cases[i].status, cases[i].what);
		expect_header(&r, "Connection", "close", cases[i].what);
		expect_closed(&c, cases[i].what);
		tc_response_free(&r);
		tc_close(&c);
	}
	free(long_line.p);
	free(big_head.p);
	free(many.p);
	stop();
}
END_TEST

/* Host and an absolute-form authority must be uri-host [":" port] (RFC 9110 7.2, RFC 3986); a
 * transfer coding other than chunked is 501. Every refusal closes; valid forms are served. */
START_TEST(test_host_and_coding)
{
	static const struct {
		const char *raw;
		int status;
	} cases[] = {
		{"GET /hello.txt HTTP/1.1\r\nHost: a:asd\r\n\r\n", 400},
		{"GET /hello.txt HTTP/1.1\r\nHost: a:-1\r\n\r\n", 400},
		{"GET /hello.txt HTTP/1.1\r\nHost: a:1:2\r\n\r\n", 400},
		{"GET /hello.txt HTTP/1.1\r\nHost: [zz]]:80\r\n\r\n", 400},
		{"GET /hello.txt HTTP/1.1\r\nHost: .a.b.:c.\r\n\r\n", 400},
		{"GET /hello.txt HTTP/1.1\r\nHost: a:65536\r\n\r\n", 400},
		{"GET /hello.txt HTTP/1.1\r\nHost: [v1.x]\r\n\r\n", 400},
		{"GET /hello.txt HTTP/1.0\r\nHost: 1.2.3\r\n\r\n", 400},
		{"GET http://a:asd/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"GET http://user@x/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"POST /hello.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
		 "3\r\nabc\r\n0\r\n\r\n", 501},
		{"POST /hello.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
		 "3\r\nabc\r\n0\r\n\r\n", 400},
	};
	static const char *const served[] = {
		"GET /hello.txt HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
		"GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1:65535\r\n\r\n",
		"GET /hello.txt HTTP/1.1\r\nHost: x:\r\n\r\n",
		"GET http://[::ffff:127.0.0.1]:80/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET HTTPS://Example.ORG./hello.txt?q HTTP/1.0\r\n\r\n",
	};

	start_model(_i);
	for (size_t i = 0; i < NELEM(cases); i++) {
		tc_conn c;
		tc_response r;
		char ctx[160];

		snprintf(ctx, sizeof ctx, "%s", tc_show(cases[i].raw, strlen(cases[i].raw)));
		conn_open(&c);
		exchange(&c, cases[i].raw, false, &r);
		expect_status(&r, cases[i].status, ctx);
		expect_header(&r, "Connection", "close", ctx);
		expect_body_lacks(&r, HELLO, ctx);
		expect_closed(&c, ctx);
		tc_response_free(&r);
		tc_close(&c);
	}
	for (size_t i = 0; i < NELEM(served); i++) {
		tc_response r;
		char ctx[160];

		snprintf(ctx, sizeof ctx, "%s", tc_show(served[i], strlen(served[i])));
		fetch(served[i], false, &r);
		expect_status(&r, 200, ctx);
		expect_body_str(&r, HELLO, ctx);
		tc_response_free(&r);
	}
	stop();
}
END_TEST

START_TEST(test_methods)
{
	static const struct {
		const char *raw;
		int status;
		const char *allow;
	} cases[] = {
		{"FOO / HTTP/1.1\r\nHost: x\r\n\r\n", 501, NULL},
		{"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405, ALLOW},
		{"DELETE /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 405, ALLOW},
		{"POST /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405, ALLOW},
		{"OPTIONS /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 204, ALLOW},
		{"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 204, ALLOW},
		{"GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400, NULL},
		{"GET x HTTP/1.1\r\nHost: x\r\n\r\n", 400, NULL},
	};

	start_model(_i);
	for (size_t i = 0; i < NELEM(cases); i++) {
		tc_response r;
		char ctx[128];

		snprintf(ctx, sizeof ctx, "%s", tc_show(cases[i].raw, strlen(cases[i].raw)));
		fetch(cases[i].raw, false, &r);
		expect_status(&r, cases[i].status, ctx);
		if (cases[i].allow)
			expect_header(&r, "Allow", cases[i].allow, ctx);
		if (cases[i].status == 204)
			ck_assert_msg(r.body_len == 0, "%s: 204 with a body", ctx);
		tc_response_free(&r);
	}
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 10: connections
 * ------------------------------------------------------------------------------------------- */

static const struct {
	const char *target;
	const char *body;
} rotation[] = {
	{"/hello.txt", HELLO},
	{"/page.html", PAGE},
	{"/sub/", SUB_INDEX},
	{"/with%20space.txt", SPACE},
	{"/hehe..txt", HEHE},
};

/* Writes n requests in one send() and reads the n responses in order. */
static void pipeline(tc_conn *c, size_t n)
{
	struct text all = {0};
	ssize_t sent;

	for (size_t i = 0; i < n; i++)
		text_add(&all, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", rotation[i % NELEM(rotation)].target);
	sent = tc_send_once(c, all.p, all.len);
	ck_assert_msg(sent == (ssize_t)all.len, "one send() of %zu bytes sent %zd", all.len, sent);
	for (size_t i = 0; i < n; i++) {
		tc_response r;
		char ctx[128];

		snprintf(ctx, sizeof ctx, "pipelined response %zu of %zu (GET %s)", i + 1, n,
			 rotation[i % NELEM(rotation)].target);
		if (tc_read_response(c, &r, false, IO_MS) < 0)
			ck_abort_msg("%s: %s", ctx, c->err);
		expect_status(&r, 200, ctx);
		expect_body_str(&r, rotation[i % NELEM(rotation)].body, ctx);
		tc_response_free(&r);
	}
	free(all.p);
}

START_TEST(test_keepalive_and_pipelining)
{
	tc_conn c;

	start_model(_i);
	conn_open(&c);
	for (size_t i = 0; i < 3; i++) {
		char raw[128];
		char ctx[128];
		tc_response r;

		snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", rotation[i].target);
		snprintf(ctx, sizeof ctx, "keep-alive request %zu (GET %s)", i + 1, rotation[i].target);
		exchange(&c, raw, false, &r);
		expect_status(&r, 200, ctx);
		expect_body_str(&r, rotation[i].body, ctx);
		tc_response_free(&r);
	}
	tc_close(&c);

	conn_open(&c);
	pipeline(&c, 3);
	tc_close(&c);
	conn_open(&c);
	pipeline(&c, 20);
	expect_still_open(&c, "GET after 20 pipelined requests");
	tc_close(&c);
	stop();
}
END_TEST

START_TEST(test_connection_close_and_http10)
{
	tc_conn c;
	tc_response r;
	const char *ctx;

	start_model(_i);

	ctx = "HTTP/1.1 with Connection: close";
	conn_open(&c);
	exchange(&c, "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false, &r);
	expect_status(&r, 200, ctx);
	expect_body_str(&r, HELLO, ctx);
	expect_header(&r, "Connection", "close", ctx);
	expect_closed(&c, ctx);
	tc_response_free(&r);
	tc_close(&c);

	ctx = "HTTP/1.0 without Connection";
	conn_open(&c);
	exchange(&c, "GET /hello.txt HTTP/1.0\r\n\r\n", false, &r);
	expect_status(&r, 200, ctx);
	expect_body_str(&r, HELLO, ctx);
	expect_closed(&c, ctx);
	tc_response_free(&r);
	tc_close(&c);

	ctx = "HTTP/1.0 with Connection: keep-alive";
	conn_open(&c);
	exchange(&c, "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false, &r);
	expect_status(&r, 200, ctx);
	expect_body_str(&r, HELLO, ctx);
	expect_header(&r, "Connection", "keep-alive", ctx);
	tc_response_free(&r);
	exchange(&c, "GET /page.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false, &r);
	expect_status(&r, 200, "second HTTP/1.0 keep-alive request");
	expect_body_str(&r, PAGE, "second HTTP/1.0 keep-alive request");
	tc_response_free(&r);
	tc_close(&c);
	stop();
}
END_TEST

START_TEST(test_lenient_framing)
{
	static const char *const raws[] = {
		"GET /hello.txt HTTP/1.1\nHost: x\n\n",
		"\r\nGET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /hello.txt HTTP/1.1\r\nhOsT: x\r\n\r\n",
		"GET /hello.txt HTTP/1.1\r\nHost:x\r\nX-Empty:\r\n\r\n",
	};

	start_model(_i);
	for (size_t i = 0; i < NELEM(raws); i++) {
		tc_response r;
		char ctx[128];

		snprintf(ctx, sizeof ctx, "%s", tc_show(raws[i], strlen(raws[i])));
		fetch(raws[i], false, &r);
		expect_status(&r, 200, ctx);
		expect_body_str(&r, HELLO, ctx);
		tc_response_free(&r);
	}
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 11: connection cap
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_connection_cap)
{
	struct server_opts o = {.model = model_of(_i), .max_connections = 2};
	long long deadline;
	int last_status = 0;
	char last_err[sizeof((tc_conn *)0)->err] = "";
	bool served = false;
	tc_conn a;
	tc_conn b;
	tc_conn over;
	tc_response r;
	const char *retry;

	start(&o);
	conn_open(&a);
	exchange(&a, GET_HELLO, false, &r);
	expect_status(&r, 200, "first held connection");
	tc_response_free(&r);
	conn_open(&b);
	exchange(&b, GET_HELLO, false, &r);
	expect_status(&r, 200, "second held connection");
	tc_response_free(&r);

	if (tc_tls_enabled()) {
		/* A TLS port never sends the plaintext 503: past the cap it closes at once, so the
		 * handshake fails (docs/tls.md). */
		ck_assert_msg(tc_connect(&over, H.host, H.port, IO_MS) < 0,
			      "a TLS connection past max_connections 2 completed its handshake");
		tc_close(&over);
	} else {
		conn_open(&over);
		exchange(&over, GET_HELLO, false, &r);
		expect_status(&r, 503, "third connection past max_connections 2");
		retry = tc_header(&r, "Retry-After");
		ck_assert_msg(retry != NULL && retry[0] >= '0' && retry[0] <= '9',
			      "503 past the cap: Retry-After missing or not delta-seconds: %s",
			      retry ? retry : "(absent)");
		expect_closed(&over, "503 past the cap");
		tc_response_free(&r);
		tc_close(&over);
	}

	/* Free one slot; the server must notice (event: EOF; fork: reap the child). */
	tc_close(&a);
	deadline = tc_now_ms() + 5000;
	while (!served && tc_now_ms() < deadline) {
		tc_conn d;

		if (tc_connect(&d, H.host, H.port, IO_MS) < 0) { /* TLS: closed while still full */
			memcpy(last_err, d.err, sizeof last_err);
			poll(NULL, 0, 50);
			continue;
		}
		if (tc_send_str(&d, GET_HELLO, IO_MS) == 0 &&
		    tc_read_response(&d, &r, false, IO_MS) == 0) {
			last_status = r.status;
			served = r.status == 200;
			tc_response_free(&r);
		} else {
			memcpy(last_err, d.err, sizeof last_err);
		}
		tc_close(&d);
		if (!served)
			poll(NULL, 0, 50);
	}
	ck_assert_msg(served, "no 200 within 5 s after a held connection closed (last status %d%s%s)",
		      last_status, last_err[0] ? ", last error: " : "", last_err);
	expect_still_open(&b, "the other held connection");
	tc_close(&b);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 12: timeouts
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_slowloris)
{
	static const char partial[] = "GET /hello.txt HTTP/1.1\r\nHost: x\r\n";
	struct server_opts o = {.model = model_of(_i), .header_timeout_ms = 1500, .read_timeout_ms = 1500};
	long long t0 = 0;
	long long answered_at = 0;
	bool second_done = false;
	tc_conn slow;
	tc_response r;

	start(&o);
	conn_open(&slow);
	for (size_t i = 0; i < sizeof partial - 1; i++) {
		int w;

		if (tc_send(&slow, partial + i, 1, IO_MS) < 0)
			break; /* the server gave up on us: its answer is read below */
		if (i == 0)
			t0 = tc_now_ms();
		if (i == 2 && !second_done) {
			get("/hello.txt", &r);
			expect_status(&r, 200, "a second client while a slow one trickles");
			expect_body_str(&r, HELLO, "a second client while a slow one trickles");
			tc_response_free(&r);
			second_done = true;
		}
		w = tc_wait_readable(&slow, 200); /* the pacing: one byte per 200 ms */
		ck_assert_msg(w >= 0, "slow client: %s", slow.err);
		if (w == 1) {
			answered_at = tc_now_ms();
			break;
		}
	}
	ck_assert_msg(t0 != 0, "slow client could not send its first byte: %s", slow.err);
	ck_assert_msg(second_done, "the slow client was cut off before the second client ran");
	if (answered_at == 0) {
		int w = tc_wait_readable(&slow, 5000);

		ck_assert_msg(w == 1, "slow client: no answer after its whole partial head was sent");
		answered_at = tc_now_ms();
	}
	if (tc_read_response(&slow, &r, false, IO_MS) < 0)
		ck_abort_msg("slow client: no valid response: %s", slow.err);
	expect_status(&r, 408, "slow client past header_timeout 1500 ms");
	ck_assert_msg(answered_at - t0 >= 1000 && answered_at - t0 <= 4000,
		      "slow client: 408 came %lld ms after its first byte (expected 1000..4000)",
		      answered_at - t0);
	expect_closed(&slow, "slow client after 408");
	tc_response_free(&r);
	tc_close(&slow);
	stop();
}
END_TEST

START_TEST(test_idle_connection_closed)
{
	struct server_opts o = {.model = model_of(_i), .header_timeout_ms = 1500, .read_timeout_ms = 1500};
	size_t extra = 0;
	long long t0;
	long long took;
	int rc;
	tc_conn c;

	start(&o);
	conn_open(&c);
	t0 = tc_now_ms();
	rc = tc_wait_eof(&c, 6000, &extra);
	took = tc_now_ms() - t0;
	ck_assert_msg(rc == 1, "silent connection not closed within 6 s (read_timeout 1500): %s", c.err);
	ck_assert_msg(took >= 1000 && took <= 4000,
		      "silent connection closed after %lld ms (expected 1000..4000)", took);
	ck_assert_msg(extra == 0, "silent connection: %zu bytes sent before the close (no request "
		      "had started)", extra);
	tc_close(&c);
	stop();
}
END_TEST

START_TEST(test_keepalive_idle)
{
	struct server_opts o = {.model = model_of(_i), .keepalive_timeout_ms = 1000};
	size_t extra = 0;
	long long t0;
	long long took;
	int rc;
	tc_conn c;
	tc_response r;

	start(&o);
	conn_open(&c);
	exchange(&c, GET_HELLO, false, &r);
	expect_status(&r, 200, "request before the keep-alive idle");
	tc_response_free(&r);
	t0 = tc_now_ms();
	rc = tc_wait_eof(&c, 3000, &extra);
	took = tc_now_ms() - t0;
	ck_assert_msg(rc == 1, "idle keep-alive connection not closed within 3 s (keepalive 1000): %s",
		      c.err);
	ck_assert_msg(took >= 500, "idle keep-alive connection closed after only %lld ms", took);
	ck_assert_msg(extra == 0, "idle keep-alive close sent %zu bytes (expected a silent close)",
		      extra);
	tc_close(&c);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 13: the handler API
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_handler)
{
	struct server_opts o = {.model = model_of(_i), .handler = api_handler};
	char bad_rc[32];
	char ctx[64];
	tc_conn c;
	tc_response r;

	snprintf(bad_rc, sizeof bad_rc, "%d", YMK_EINVAL);
	start(&o);

	strcpy(ctx, "GET /api/hello?q=1");
	fetch("GET /api/hello?q=1 HTTP/1.1\r\nHost: x\r\nX-Custom:  abc \r\n\r\n", false, &r);
	expect_status(&r, 200, ctx);
	expect_header(&r, "Content-Type", "application/json", ctx);
	expect_header(&r, "Content-Length", "11", ctx);
	expect_body_str(&r, "{\"ok\":true}", ctx);
	expect_header(&r, "X-Test", "1", ctx);
	expect_header(&r, "X-Query", "q=1", ctx);
	expect_header(&r, "X-Echo", "abc", ctx);
	expect_header(&r, "X-Path", "/api/hello", ctx);
	expect_header(&r, "X-Method", "GET", ctx);
	expect_header(&r, "X-Target", "/api/hello?q=1", ctx);
	expect_header(&r, "X-Version", "1", ctx);
	expect_header(&r, "X-Bad-Rc", bad_rc, ctx);
	expect_no_header(&r, "X-Bad", ctx);
	tc_response_free(&r);

	strcpy(ctx, "GET /api/./hello (HTTP/1.0)");
	fetch("GET /api/./hello HTTP/1.0\r\n\r\n", false, &r);
	expect_status(&r, 200, ctx);
	expect_header(&r, "X-Path", "/api/hello", ctx);
	expect_header(&r, "X-Query", "(none)", ctx);
	expect_header(&r, "X-Echo", "(none)", ctx);
	expect_header(&r, "X-Version", "0", ctx);
	tc_response_free(&r);

	strcpy(ctx, "HEAD /api/hello");
	conn_open(&c);
	exchange(&c, "HEAD /api/hello HTTP/1.1\r\nHost: x\r\n\r\n", true, &r);
	expect_status(&r, 200, ctx);
	expect_header(&r, "Content-Length", "11", ctx);
	expect_header(&r, "X-Method", "HEAD", ctx);
	tc_response_free(&r);
	expect_still_open(&c, "GET after HEAD /api/hello");
	tc_close(&c);

	strcpy(ctx, "GET /hello.txt (passed on)");
	get("/hello.txt", &r);
	expect_status(&r, 200, ctx);
	expect_body_str(&r, HELLO, ctx);
	expect_no_header(&r, "X-Test", ctx);
	tc_response_free(&r);

	strcpy(ctx, "GET /api/teapot");
	get("/api/teapot", &r);
	expect_status(&r, 418, ctx);
	expect_header(&r, "Content-Type", "text/html; charset=utf-8", ctx);
	ck_assert_msg(r.body_len > 0, "%s: empty error page", ctx);
	tc_response_free(&r);

	strcpy(ctx, "GET /api/forgot");
	get("/api/forgot", &r);
	expect_status(&r, 500, ctx);
	tc_response_free(&r);

	strcpy(ctx, "GET /api/file");
	get("/api/file", &r);
	expect_status(&r, 200, ctx);
	expect_header(&r, "Content-Type", "text/plain", ctx);
	expect_header(&r, "Content-Length", "13", ctx);
	expect_body_str(&r, HELLO, ctx);
	tc_response_free(&r);

	strcpy(ctx, "GET /api/file Range: bytes=0-4");
	fetch("GET /api/file HTTP/1.1\r\nHost: x\r\nRange: bytes=0-4\r\n\r\n", false, &r);
	expect_status(&r, 206, ctx);
	expect_header(&r, "Content-Range", "bytes 0-4/13", ctx);
	expect_body_str(&r, "hello", ctx);
	tc_response_free(&r);

	/* Same connection: in the fork model one child serves it, so the static is shared. */
	strcpy(ctx, "GET /api/twice");
	conn_open(&c);
	exchange(&c, "GET /api/twice HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	expect_status(&r, 200, ctx);
	expect_body_str(&r, "first", ctx);
	tc_response_free(&r);
	exchange(&c, "GET /api/lastrc HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	snprintf(bad_rc, sizeof bad_rc, "%d", YMK_ERESPONDED);
	expect_status(&r, 200, "GET /api/lastrc");
	expect_body_str(&r, bad_rc, "second ymk_respond_buffer() result");
	tc_response_free(&r);
	tc_close(&c);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 14: IPv6
 * ------------------------------------------------------------------------------------------- */

static bool ipv6_loopback_usable(void)
{
	struct sockaddr_in6 sa;
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	memset(&sa, 0, sizeof sa);
	sa.sin6_family = AF_INET6;
	sa.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

START_TEST(test_ipv6)
{
	struct server_opts o = {.model = model_of(_i), .listen = "[::1]:0", .host = "::1"};
	tc_response r;

	if (!ipv6_loopback_usable()) {
		printf("test_ipv6: skipped, ::1 cannot be bound on this machine\n");
		return;
	}
	start(&o);
	get("/hello.txt", &r);
	expect_status(&r, 200, "GET /hello.txt over [::1]");
	expect_body_str(&r, HELLO, "GET /hello.txt over [::1]");
	tc_response_free(&r);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 15: access log
 * ------------------------------------------------------------------------------------------- */

static size_t count_lines(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

START_TEST(test_access_log)
{
	struct server_opts o = {.model = model_of(_i), .access_log = access_log_line,
				.access_log_user = H.log_path};
	char want[512];
	size_t not_found_bytes;
	size_t len = 0;
	char *log = NULL;
	long long deadline;
	tc_conn c;
	tc_response r;

	start(&o);
	conn_open(&c);
	exchange(&c, GET_HELLO, false, &r);
	expect_status(&r, 200, "GET /hello.txt");
	tc_response_free(&r);
	exchange(&c, "GET /missing.txt HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	expect_status(&r, 404, "GET /missing.txt");
	not_found_bytes = r.body_len;
	tc_response_free(&r);
	exchange(&c, "GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-99\r\n\r\n", false, &r);
	expect_status(&r, 206, "GET /big.bin Range: bytes=0-99");
	tc_response_free(&r);
	tc_close(&c);

	/* The entry is written after the response went out: give it a bounded moment. */
	deadline = tc_now_ms() + 5000;
	for (;;) {
		free(log);
		log = read_whole(H.log_path, &len);
		if ((log && count_lines(log, len) >= 3) || tc_now_ms() >= deadline)
			break;
		poll(NULL, 0, 20);
	}
	{
		int status = end_server();

		ck_assert_msg(status != -1, "server did not exit within %d ms of SIGTERM", STOP_MS);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "server child status %#x",
			      status);
	}
	free(log);
	log = read_whole(H.log_path, &len);
	snprintf(want, sizeof want,
		 "GET /hello.txt 200 13\nGET /missing.txt 404 %zu\nGET /big.bin 206 100\n",
		 not_found_bytes);
	ck_assert_msg(log != NULL, "access log %s was never written", H.log_path);
	ck_assert_msg(strcmp(log, want) == 0, "access log:\n%s\nexpected:\n%s", log, want);
	free(log);
	remove_tree();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Configuration and lifecycle, no traffic
 * ------------------------------------------------------------------------------------------- */

static ymk_config *config_with_root(const char *root)
{
	ymk_config *cfg = NULL;

	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(ymk_config_set_root(cfg, root), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
	return cfg;
}

START_TEST(test_config_listen)
{
	static const char *const bad[] = {"nonsense", "1.2.3.4", "[::1]", "127.0.0.1:99999",
					  "", "127.0.0.1:", ":80", "[::1:80"};
	ymk_config *cfg = NULL;

	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	for (size_t i = 0; i < NELEM(bad); i++) {
		int rc = ymk_config_set_listen(cfg, bad[i]);

		ck_assert_msg(rc == YMK_EADDRESS, "set_listen(\"%s\") returned %d (%s), expected "
			      "YMK_EADDRESS", bad[i], rc, ymk_strerror(rc));
		ck_assert_ptr_nonnull(ymk_config_error(cfg));
	}
	ck_assert_int_eq(ymk_config_set_listen(cfg, "0.0.0.0:0"), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "[::1]:0"), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:65535"), 0);
	ymk_config_free(cfg);
}
END_TEST

START_TEST(test_config_bad_root)
{
	char path[PATH_MAX];
	ymk_config *cfg;
	ymk_server *srv;
	int rc;

	scratch_dir();
	join(path, sizeof path, H.base, "no-such-dir");
	cfg = config_with_root(path);
	srv = (ymk_server *)&srv; /* anything but NULL */
	rc = ymk_server_new(&srv, cfg);
	ck_assert_msg(rc == -ENOENT, "missing root: ymk_server_new returned %d (%s), expected -ENOENT",
		      rc, ymk_strerror(rc));
	ck_assert_msg(srv == NULL, "missing root: *out not set to NULL");
	ymk_config_free(cfg);

	join(path, sizeof path, H.base, "secret.txt");
	cfg = config_with_root(path);
	srv = (ymk_server *)&srv;
	rc = ymk_server_new(&srv, cfg);
	ck_assert_msg(rc == YMK_ENOTDIR, "file as root: ymk_server_new returned %d (%s), expected "
		      "YMK_ENOTDIR", rc, ymk_strerror(rc));
	ck_assert_msg(srv == NULL, "file as root: *out not set to NULL");
	ymk_config_free(cfg);
	remove_tree();
}
END_TEST

START_TEST(test_config_port_in_use)
{
	char addr[64];
	ymk_config *cfg;
	ymk_server *first = NULL;
	ymk_server *second;
	int rc;

	scratch_dir();
	cfg = config_with_root(H.root);
	rc = ymk_server_new(&first, cfg);
	ck_assert_msg(rc == 0, "ymk_server_new: %s (%s)", ymk_strerror(rc), ymk_config_error(cfg));
	snprintf(addr, sizeof addr, "127.0.0.1:%d", ymk_server_port(first));
	ck_assert_int_eq(ymk_config_set_listen(cfg, addr), 0);
	second = (ymk_server *)&second;
	rc = ymk_server_new(&second, cfg);
	ck_assert_msg(rc == -EADDRINUSE, "second server on %s: returned %d (%s), expected -EADDRINUSE",
		      addr, rc, ymk_strerror(rc));
	ck_assert_msg(second == NULL, "second server: *out not set to NULL");
	ymk_server_free(first);
	ymk_config_free(cfg);
	remove_tree();
}
END_TEST

START_TEST(test_strerror)
{
	static const int codes[] = {0,           YMK_EINVAL,   YMK_ENOMEM,  YMK_ESTATE,
				    YMK_EADDRESS, YMK_ENOROOT, YMK_ENOTDIR, YMK_ERESPONDED,
				    -ENOENT,     -EADDRINUSE,  -1234567,    1,
				    -4095,       INT_MIN};

	for (size_t i = 0; i < NELEM(codes); i++) {
		const char *s = ymk_strerror(codes[i]);

		ck_assert_msg(s != NULL, "ymk_strerror(%d) returned NULL", codes[i]);
		ck_assert_msg(s[0] != '\0', "ymk_strerror(%d) returned \"\"", codes[i]);
	}
	ck_assert_ptr_nonnull(ymk_version());
	ymk_config_free(NULL);
	ymk_server_free(NULL);
}
END_TEST

START_TEST(test_stop_before_run)
{
	ymk_config *cfg;
	ymk_server *srv = NULL;
	long long t0;
	int rc;

	scratch_dir();
	cfg = config_with_root(H.root);
	rc = ymk_server_new(&srv, cfg);
	ck_assert_msg(rc == 0, "ymk_server_new: %s (%s)", ymk_strerror(rc), ymk_config_error(cfg));
	ymk_config_free(cfg);
	ymk_server_stop(srv);
	t0 = tc_now_ms();
	rc = ymk_server_run(srv);
	ck_assert_msg(rc == 0, "ymk_server_run after stop returned %d (%s)", rc, ymk_strerror(rc));
	ck_assert_msg(tc_now_ms() - t0 < 3000, "ymk_server_run after stop took %lld ms",
		      tc_now_ms() - t0);
	ymk_server_free(srv);
	remove_tree();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * The runner
 * ------------------------------------------------------------------------------------------- */

static Suite *integration_suite(void)
{
	Suite *s = suite_create("integration");
	TCase *tc;

	tc = harness_case("static", 30);
	tcase_add_loop_test(tc, test_get_and_head, 0, 2);
	tcase_add_loop_test(tc, test_index_and_redirects, 0, 2);
	tcase_add_loop_test(tc, test_not_found, 0, 2);
	tcase_add_loop_test(tc, test_traversal_and_escapes, 0, 2);
	tcase_add_loop_test(tc, test_symlinks_and_special_files, 0, 2);
	tcase_add_loop_test(tc, test_special_files_and_slash, 0, 2);
	tcase_add_loop_test(tc, test_query_and_decoding, 0, 2);
	tcase_add_loop_test(tc, test_mime, 0, 2);
	tcase_add_loop_test(tc, test_range, 0, 2);
	suite_add_tcase(s, tc);

	tc = harness_case("errors", 30);
	tcase_add_loop_test(tc, test_errors_close, 0, 2);
	tcase_add_loop_test(tc, test_methods, 0, 2);
	tcase_add_loop_test(tc, test_host_and_coding, 0, 2);
	suite_add_tcase(s, tc);

	tc = harness_case("connections", 30);
	tcase_add_loop_test(tc, test_keepalive_and_pipelining, 0, 2);
	tcase_add_loop_test(tc, test_connection_close_and_http10, 0, 2);
	tcase_add_loop_test(tc, test_lenient_framing, 0, 2);
	tcase_add_loop_test(tc, test_connection_cap, 0, 2);
	tcase_add_loop_test(tc, test_ipv6, 0, 2);
	suite_add_tcase(s, tc);

	tc = harness_case("timeouts", 30);
	tcase_add_loop_test(tc, test_slowloris, 0, 2);
	tcase_add_loop_test(tc, test_idle_connection_closed, 0, 2);
	tcase_add_loop_test(tc, test_keepalive_idle, 0, 2);
	suite_add_tcase(s, tc);

	tc = harness_case("callbacks", 30);
	tcase_add_loop_test(tc, test_handler, 0, 2);
	tcase_add_loop_test(tc, test_access_log, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_config_listen);
	tcase_add_test(tc, test_config_bad_root);
	tcase_add_test(tc, test_config_port_in_use);
	tcase_add_test(tc, test_strerror);
	tcase_add_test(tc, test_stop_before_run);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(integration_suite());
}
