/* test_semantics.c: integration tests of libymawky's HTTP semantics through its public API:
 * conditional requests (If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since in RFC 9110
 * 13.2.2 order, on GET and HEAD), If-Range, multi-range answers (multipart/byteranges parsed back
 * part by part and compared byte for byte), precompressed .gz/.br sidecars chosen by
 * Accept-Encoding, directory listings (escaping, ordering, hidden names) and custom error pages.
 * The conditional table runs against a fixture whose modification time is pinned to a known date
 * in the past, so "earlier" and "later" dates are unambiguous; its ETag and Last-Modified are read
 * from a first GET. Servers run through harness.c; every HTTP case runs once per process model
 * (loop index 0 = event, 1 = fork). Every wait has a deadline. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* cond.txt: 64 bytes, modified at 1577836800 = Wed, 01 Jan 2020 00:00:00 GMT. */
static const char COND[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/";
#define COND_LEN 64
#define COND_MTIME 1577836800
#define LM "Wed, 01 Jan 2020 00:00:00 GMT"
#define LM_850 "Wednesday, 01-Jan-20 00:00:00 GMT"
#define LM_ASC "Wed Jan  1 00:00:00 2020"
#define LM_MINUS_1S "Tue, 31 Dec 2019 23:59:59 GMT"
#define LM_PLUS_1S "Wed, 01 Jan 2020 00:00:01 GMT"
#define EARLY "Tue, 31 Dec 2019 00:00:00 GMT"
#define LATE "Thu, 02 Jan 2020 00:00:00 GMT"

/* Sidecars of hello.txt: distinct known bytes (the server does not decode them). */
static const char GZ[] = "\x1f\x8b\x08\x00 gzip sidecar of hello.txt";
static const char BR[] = "\x0b\x06\x80 brotli sidecar, another length";
#define GZ_LEN (sizeof GZ - 1)
#define BR_LEN (sizeof BR - 1)
#define TEXT_PLAIN "text/plain; charset=utf-8"

static const char PAGE_404[] = "<p>custom 404</p>";
static const char PAGE_403[] = "<p>custom 403 behind a symlink</p>";

/* ---------------------------------------------------------------------------------------------
 * Fixtures and helpers
 * ------------------------------------------------------------------------------------------- */

static void semantics_fixtures(void)
{
	struct timespec times[2] = {{.tv_sec = COND_MTIME}, {.tv_sec = COND_MTIME}};
	char path[PATH_MAX];

	ck_assert_int_eq((int)strlen(COND), COND_LEN);
	put_text(H.root, "cond.txt", COND);
	join(path, sizeof path, H.root, "cond.txt");
	ck_assert_msg(utimensat(AT_FDCWD, path, times, 0) == 0, "utimensat %s: %s", path,
		      strerror(errno));

	put_file(H.root, "hello.txt.gz", GZ, GZ_LEN);
	put_file(H.root, "hello.txt.br", BR, BR_LEN);

	make_dir(H.root, "list");
	join(path, sizeof path, H.root, "list");
	put_text(path, "<b>x&y.txt", "tags\n");
	put_text(path, "\"q'.txt", "quotes\n");
	put_text(path, "a b.txt", "space\n");
	put_text(path, "caf\xc3\xa9.txt", "utf-8\n");
	put_text(path, "100%.txt", "percent\n");
	put_text(path, ".secret", "hidden\n");
	put_text(path, ".ymk-upload-1", "reserved\n");
	make_dir(path, "zdir");

	make_dir(H.base, "errors");
	join(path, sizeof path, H.base, "errors");
	put_text(path, "404.html", PAGE_404);
	put_text(path, "real403.html", PAGE_403);
	make_link_in(path, "real403.html", "403.html");
}

static void start_sem(int i)
{
	struct server_opts o = {.model = model_of(i), .fixtures = semantics_fixtures};

	start(&o);
}

/* Copies s into out with {E} replaced by etag, {W} by W/etag and {L} by last_modified. */
static void expand(char *out, size_t size, const char *s, const char *etag,
		   const char *last_modified)
{
	size_t o = 0;

	while (*s) {
		const char *with = NULL;
		char weak[256];

		if (strncmp(s, "{E}", 3) == 0) {
			with = etag;
		} else if (strncmp(s, "{W}", 3) == 0) {
			snprintf(weak, sizeof weak, "W/%s", etag);
			with = weak;
		} else if (strncmp(s, "{L}", 3) == 0) {
			with = last_modified;
		}
		if (with) {
			size_t n = strlen(with);

			ck_assert(o + n < size);
			memcpy(out + o, with, n);
			o += n;
			s += 3;
		} else {
			ck_assert(o + 1 < size);
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
}

/* One request with extra header lines (each ending in CRLF) on a fresh connection; for answers
 * without a body (HEAD, 304), a second request on the connection proves no stray bytes followed. */
static void ask(const char *method, const char *target, const char *extra, tc_response *r,
		const char *ctx)
{
	char raw[4096];
	bool head = strcmp(method, "HEAD") == 0;
	tc_conn c;
	int n = snprintf(raw, sizeof raw, "%s %s HTTP/1.1\r\nHost: x\r\n%s\r\n", method, target,
			 extra ? extra : "");

	ck_assert(n > 0 && (size_t)n < sizeof raw);
	conn_open(&c);
	exchange(&c, raw, head, r);
	if (head || r->status == 304)
		expect_still_open(&c, ctx);
	tc_close(&c);
}

static void expect_header_prefix(const tc_response *r, const char *name, const char *prefix,
				 const char *ctx)
{
	const char *got = tc_header(r, name);

	ck_assert_msg(got != NULL, "%s (status %d): header %s absent", ctx, r->status, name);
	ck_assert_msg(strncmp(got, prefix, strlen(prefix)) == 0,
		      "%s (status %d): header %s is \"%s\", expected it to start with \"%s\"", ctx,
		      r->status, name, got, prefix);
}

static const char *find_in_body(const tc_response *r, const char *needle)
{
	return memmem(r->body, r->body_len, needle, strlen(needle));
}

static void expect_body_has(const tc_response *r, const char *needle, const char *ctx)
{
	ck_assert_msg(find_in_body(r, needle) != NULL, "%s (status %d): body lacks \"%s\": %s", ctx,
		      r->status, needle, tc_show(r->body, r->body_len));
}

/* ---------------------------------------------------------------------------------------------
 * 13: conditional requests and If-Range
 * ------------------------------------------------------------------------------------------- */

#define R04 "Range: bytes=0-4"

struct cond_case {
	const char *method;
	const char *headers[3]; /* templates, see expand() */
	int status;
	size_t off; /* for 206: the part expected */
	size_t len;
};

static const struct cond_case COND_CASES[] = {
	/* If-None-Match */
	{"GET", {"If-None-Match: {E}"}, 304, 0, 0},
	{"GET", {"If-None-Match: \"x\", {E}"}, 304, 0, 0},
	{"GET", {"If-None-Match: \"x\",{E}, \"y\""}, 304, 0, 0},
	{"GET", {"If-None-Match: {W}"}, 304, 0, 0},
	{"GET", {"If-None-Match: *"}, 304, 0, 0},
	{"GET", {"If-None-Match: \"nope\""}, 200, 0, 0},
	{"GET", {"If-None-Match: \"nope\", \"other\""}, 200, 0, 0},
	{"GET", {"If-None-Match: W/\"nope\""}, 200, 0, 0},
	/* If-Modified-Since */
	{"GET", {"If-Modified-Since: {L}"}, 304, 0, 0},
	{"GET", {"If-Modified-Since: " LATE}, 304, 0, 0},
	{"GET", {"If-Modified-Since: " LM_PLUS_1S}, 304, 0, 0},
	{"GET", {"If-Modified-Since: " EARLY}, 200, 0, 0},
	{"GET", {"If-Modified-Since: " LM_MINUS_1S}, 200, 0, 0},
	{"GET", {"If-Modified-Since: yesterday"}, 200, 0, 0},
	{"GET", {"If-Modified-Since: Wed, 01 Jan 2020 00:00:00"}, 200, 0, 0},
	{"GET", {"If-Modified-Since: " LM_850}, 304, 0, 0},
	{"GET", {"If-Modified-Since: " LM_ASC}, 304, 0, 0},
	/* If-None-Match decides, If-Modified-Since is then ignored */
	{"GET", {"If-None-Match: \"nope\"", "If-Modified-Since: {L}"}, 200, 0, 0},
	{"GET", {"If-None-Match: {E}", "If-Modified-Since: " EARLY}, 304, 0, 0},
	/* If-Match */
	{"GET", {"If-Match: \"nope\""}, 412, 0, 0},
	{"GET", {"If-Match: {E}"}, 200, 0, 0},
	{"GET", {"If-Match: *"}, 200, 0, 0},
	{"GET", {"If-Match: {W}"}, 412, 0, 0},
	{"GET", {"If-Match: \"nope\", {E}"}, 200, 0, 0},
	/* If-Unmodified-Since */
	{"GET", {"If-Unmodified-Since: " EARLY}, 412, 0, 0},
	{"GET", {"If-Unmodified-Since: " LM_MINUS_1S}, 412, 0, 0},
	{"GET", {"If-Unmodified-Since: {L}"}, 200, 0, 0},
	{"GET", {"If-Unmodified-Since: " LATE}, 200, 0, 0},
	{"GET", {"If-Unmodified-Since: not a date"}, 200, 0, 0},
	/* the RFC 9110 13.2.2 order */
	{"GET", {"If-Match: {E}", "If-Unmodified-Since: " EARLY}, 200, 0, 0},
	{"GET", {"If-Match: \"nope\"", "If-None-Match: {E}"}, 412, 0, 0},
	{"GET", {"If-Unmodified-Since: " EARLY, "If-None-Match: {E}"}, 412, 0, 0},
	{"GET", {"If-Match: {E}", "If-None-Match: {E}"}, 304, 0, 0},
	{"GET", {"If-Unmodified-Since: {L}", "If-Modified-Since: {L}"}, 304, 0, 0},
	/* HEAD */
	{"HEAD", {"If-None-Match: {E}"}, 304, 0, 0},
	{"HEAD", {"If-Modified-Since: {L}"}, 304, 0, 0},
	{"HEAD", {"If-Match: \"nope\""}, 412, 0, 0},
	{"HEAD", {"If-None-Match: \"nope\""}, 200, 0, 0},
	{"HEAD", {"If-Modified-Since: " EARLY}, 200, 0, 0},
	{"HEAD", {"If-Unmodified-Since: " EARLY}, 412, 0, 0},
	{"HEAD", {R04, "If-Range: {E}"}, 200, 0, 0},
	/* If-Range */
	{"GET", {R04}, 206, 0, 5},
	{"GET", {R04, "If-Range: {E}"}, 206, 0, 5},
	{"GET", {R04, "If-Range: \"other\""}, 200, 0, 0},
	{"GET", {R04, "If-Range: {L}"}, 206, 0, 5},
	{"GET", {R04, "If-Range: " EARLY}, 200, 0, 0},
	{"GET", {R04, "If-Range: " LATE}, 200, 0, 0},
	{"GET", {R04, "If-Range: " LM_PLUS_1S}, 200, 0, 0},
	{"GET", {R04, "If-Range: {W}"}, 200, 0, 0},
	{"GET", {"Range: bytes=60-", "If-Range: {E}"}, 206, 60, 4},
	{"GET", {"Range: bytes=-3", "If-Range: {L}"}, 206, 61, 3},
	{"GET", {"If-Range: {E}"}, 200, 0, 0},
	/* conditionals come before Range */
	{"GET", {R04, "If-None-Match: {E}"}, 304, 0, 0},
	{"GET", {R04, "If-Modified-Since: {L}"}, 304, 0, 0},
	{"GET", {R04, "If-Match: \"nope\""}, 412, 0, 0},
	{"GET", {R04, "If-Unmodified-Since: " EARLY}, 412, 0, 0},
	{"GET", {R04, "If-Match: {E}"}, 206, 0, 5},
	{"GET", {R04, "If-None-Match: \"nope\""}, 206, 0, 5},
	{"GET", {R04, "If-Modified-Since: " EARLY, "If-Range: {E}"}, 206, 0, 5},
};

static void check_cond_case(const struct cond_case *k, const char *etag, const char *last_modified)
{
	char extra[1024] = "";
	char ctx[1200];
	char line[512];
	char want[64];
	tc_response r;

	for (size_t h = 0; h < NELEM(k->headers) && k->headers[h]; h++) {
		expand(line, sizeof line, k->headers[h], etag, last_modified);
		ck_assert(strlen(extra) + strlen(line) + 3 < sizeof extra);
		strcat(extra, line);
		strcat(extra, "\r\n");
	}
	snprintf(ctx, sizeof ctx, "%s /cond.txt with %s", k->method, tc_show(extra, strlen(extra)));
	ask(k->method, "/cond.txt", extra, &r, ctx);
	expect_status(&r, k->status, ctx);
	switch (k->status) {
	case 200:
		expect_header(&r, "Content-Length", "64", ctx);
		expect_no_header(&r, "Content-Range", ctx);
		expect_header(&r, "ETag", etag, ctx);
		if (strcmp(k->method, "GET") == 0)
			expect_body(&r, COND, COND_LEN, ctx);
		break;
	case 206:
		snprintf(want, sizeof want, "bytes %zu-%zu/64", k->off, k->off + k->len - 1);
		expect_header(&r, "Content-Range", want, ctx);
		snprintf(want, sizeof want, "%zu", k->len);
		expect_header(&r, "Content-Length", want, ctx);
		expect_header(&r, "Content-Type", TEXT_PLAIN, ctx);
		expect_body(&r, COND + k->off, k->len, ctx);
		break;
	case 304:
		expect_header(&r, "ETag", etag, ctx);
		expect_header(&r, "Last-Modified", last_modified, ctx);
		expect_date(&r, "Date", ctx);
		expect_no_header(&r, "Content-Range", ctx);
		ck_assert_msg(r.body_len == 0, "%s: 304 with a body", ctx);
		break;
	default:
		break;
	}
	tc_response_free(&r);
}

/* The first GET: ETag and Last-Modified as the table uses them. */
static void cond_validators(char *etag, size_t etag_size, char *last_modified, size_t lm_size)
{
	const char *e;
	const char *l;
	tc_response r;

	get("/cond.txt", &r);
	expect_status(&r, 200, "GET /cond.txt");
	expect_body(&r, COND, COND_LEN, "GET /cond.txt");
	e = tc_header(&r, "ETag");
	l = tc_header(&r, "Last-Modified");
	ck_assert_msg(e != NULL && l != NULL, "GET /cond.txt: ETag or Last-Modified missing");
	ck_assert_msg(e[0] == '"' && strlen(e) >= 3 && e[strlen(e) - 1] == '"',
		      "GET /cond.txt: ETag is not a strong quoted tag: %s", e);
	ck_assert_msg(strcmp(l, LM) == 0, "GET /cond.txt: Last-Modified \"%s\", expected \"%s\"", l,
		      LM);
	ck_assert(strlen(e) < etag_size && strlen(l) < lm_size);
	strcpy(etag, e);
	strcpy(last_modified, l);
	tc_response_free(&r);
}

START_TEST(test_conditionals)
{
	char etag[256];
	char last_modified[64];

	ck_assert_msg(NELEM(COND_CASES) >= 40, "only %zu conditional rows", NELEM(COND_CASES));
	start_sem(_i);
	cond_validators(etag, sizeof etag, last_modified, sizeof last_modified);
	for (size_t i = 0; i < NELEM(COND_CASES); i++)
		check_cond_case(&COND_CASES[i], etag, last_modified);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 13: several ranges
 * ------------------------------------------------------------------------------------------- */

struct part {
	size_t first;
	size_t last;
	size_t total;
	const char *data; /* into the response body */
};

/* The boundary parameter of a multipart/byteranges Content-Type (quotes removed). */
static void get_boundary(const tc_response *r, char *out, size_t size, const char *ctx)
{
	const char *type = tc_header(r, "Content-Type");
	const char *b;
	size_t n;

	ck_assert_msg(type != NULL, "%s: no Content-Type", ctx);
	ck_assert_msg(strncasecmp(type, "multipart/byteranges;", 21) == 0,
		      "%s: Content-Type \"%s\", expected multipart/byteranges; boundary=...", ctx, type);
	b = strcasestr(type, "boundary=");
	ck_assert_msg(b != NULL, "%s: Content-Type without a boundary: %s", ctx, type);
	b += strlen("boundary=");
	if (*b == '"') {
		const char *end = strchr(b + 1, '"');

		ck_assert_msg(end != NULL, "%s: unterminated quoted boundary: %s", ctx, type);
		n = (size_t)(end - b - 1);
		b++;
	} else {
		n = strcspn(b, "; \t");
	}
	ck_assert_msg(n >= 1 && n <= 70 && n < size, "%s: boundary of %zu characters", ctx, n);
	memcpy(out, b, n);
	out[n] = '\0';
}

static bool at(const tc_response *r, size_t pos, const char *s)
{
	size_t n = strlen(s);

	return pos + n <= r->body_len && memcmp(r->body + pos, s, n) == 0;
}

/* Parses a multipart/byteranges body strictly (RFC 9110 14.6, RFC 2046 5.1): each part has a
 * Content-Type equal to content_type and a Content-Range; returns the number of parts. */
static size_t parse_byteranges(const tc_response *r, const char *content_type, struct part *parts,
			       size_t max, const char *ctx)
{
	char boundary[80];
	char delim[96];
	size_t pos = 0;
	size_t n = 0;

	get_boundary(r, boundary, sizeof boundary, ctx);
	snprintf(delim, sizeof delim, "--%s", boundary);
	if (at(r, 0, "\r\n"))
		pos = 2;
	ck_assert_msg(at(r, pos, delim), "%s: body does not start with the delimiter %s: %s", ctx,
		      delim, tc_show(r->body, r->body_len));
	pos += strlen(delim);
	for (;;) {
		const char *type = NULL;
		bool have_range = false;
		struct part p = {0};

		ck_assert_msg(at(r, pos, "\r\n"), "%s: no CRLF after the delimiter at byte %zu", ctx, pos);
		pos += 2;
		/* The part's header lines. */
		while (!at(r, pos, "\r\n")) {
			const char *line = r->body + pos;
			const char *eol = memmem(line, r->body_len - pos, "\r\n", 2);
			char buf[256];
			size_t len;

			ck_assert_msg(eol != NULL, "%s: part header without CRLF at byte %zu", ctx, pos);
			len = (size_t)(eol - line);
			ck_assert_msg(len < sizeof buf, "%s: part header too long", ctx);
			memcpy(buf, line, len);
			buf[len] = '\0';
			if (strncasecmp(buf, "Content-Type:", 13) == 0) {
				const char *v = buf + 13;

				while (*v == ' ')
					v++;
				ck_assert_msg(strcmp(v, content_type) == 0,
					      "%s: part %zu Content-Type \"%s\", expected \"%s\"", ctx, n + 1, v,
					      content_type);
				type = content_type;
			} else if (strncasecmp(buf, "Content-Range:", 14) == 0) {
				const char *v = buf + 14;
				int used = 0;

				while (*v == ' ')
					v++;
				ck_assert_msg(sscanf(v, "bytes %zu-%zu/%zu%n", &p.first, &p.last, &p.total,
						     &used) == 3 &&
						      v[used] == '\0' && p.first <= p.last && p.last < p.total,
					      "%s: part %zu bad Content-Range \"%s\"", ctx, n + 1, v);
				have_range = true;
			}
			pos += len + 2;
		}
		pos += 2;
		ck_assert_msg(type != NULL, "%s: part %zu without Content-Type", ctx, n + 1);
		ck_assert_msg(have_range, "%s: part %zu without Content-Range", ctx, n + 1);
		ck_assert_msg(pos + (p.last - p.first + 1) <= r->body_len, "%s: part %zu truncated", ctx,
			      n + 1);
		p.data = r->body + pos;
		pos += p.last - p.first + 1;
		ck_assert_msg(n < max, "%s: more than %zu parts", ctx, max);
		parts[n++] = p;
		ck_assert_msg(at(r, pos, "\r\n") && at(r, pos + 2, delim),
			      "%s: part %zu data not followed by CRLF and the delimiter (byte %zu): %s",
			      ctx, n, pos, tc_show(r->body + pos, r->body_len - pos));
		pos += 2 + strlen(delim);
		if (at(r, pos, "--")) {
			pos += 2;
			if (at(r, pos, "\r\n"))
				pos += 2;
			ck_assert_msg(pos == r->body_len, "%s: %zu bytes after the closing delimiter", ctx,
				      r->body_len - pos);
			return n;
		}
	}
}

static void expect_parts(const tc_response *r, const size_t (*want)[2], size_t nwant,
			 const char *ctx)
{
	struct part parts[20];
	size_t n = parse_byteranges(r, TEXT_PLAIN, parts, NELEM(parts), ctx);

	ck_assert_msg(n == nwant, "%s: %zu parts, expected %zu", ctx, n, nwant);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(parts[i].first == want[i][0] && parts[i].last == want[i][1] &&
				      parts[i].total == COND_LEN,
			      "%s: part %zu is bytes %zu-%zu/%zu, expected %zu-%zu/64", ctx, i + 1,
			      parts[i].first, parts[i].last, parts[i].total, want[i][0], want[i][1]);
		ck_assert_msg(memcmp(parts[i].data, COND + parts[i].first,
				     parts[i].last - parts[i].first + 1) == 0,
			      "%s: part %zu bytes differ from the file", ctx, i + 1);
	}
}

START_TEST(test_multiple_ranges)
{
	static const size_t two[][2] = {{0, 9}, {20, 29}};
	size_t sixteen[16][2];
	struct text many = {0};
	char etag[256];
	char lm[64];
	char extra[512];
	const char *ctx;
	tc_response r;

	start_sem(_i);
	cond_validators(etag, sizeof etag, lm, sizeof lm);

	ctx = "GET /cond.txt Range: bytes=0-9,20-29";
	ask("GET", "/cond.txt", "Range: bytes=0-9,20-29\r\n", &r, ctx);
	expect_status(&r, 206, ctx);
	expect_no_header(&r, "Content-Range", ctx);
	expect_parts(&r, two, NELEM(two), ctx);
	tc_response_free(&r);

	ctx = "GET /cond.txt Range: bytes=0-9,20-29 If-Range: matching ETag";
	snprintf(extra, sizeof extra, "Range: bytes=0-9,20-29\r\nIf-Range: %s\r\n", etag);
	ask("GET", "/cond.txt", extra, &r, ctx);
	expect_status(&r, 206, ctx);
	expect_parts(&r, two, NELEM(two), ctx);
	tc_response_free(&r);

	ctx = "GET /cond.txt Range: bytes=0-10,5-20 (overlapping)";
	ask("GET", "/cond.txt", "Range: bytes=0-10,5-20\r\n", &r, ctx);
	expect_status(&r, 206, ctx);
	expect_header(&r, "Content-Range", "bytes 0-20/64", ctx);
	expect_header(&r, "Content-Type", TEXT_PLAIN, ctx);
	expect_body(&r, COND, 21, ctx);
	tc_response_free(&r);

	/* 16 ranges: still multipart; 17: the whole file. */
	text_add(&many, "Range: bytes=");
	for (size_t i = 0; i < 16; i++) {
		text_add(&many, "%s%zu-%zu", i ? "," : "", i * 3, i * 3);
		sixteen[i][0] = sixteen[i][1] = i * 3;
	}
	ctx = "GET /cond.txt with 16 ranges";
	{
		char raw[512];

		snprintf(raw, sizeof raw, "%s\r\n", many.p);
		ask("GET", "/cond.txt", raw, &r, ctx);
		expect_status(&r, 206, ctx);
		expect_parts(&r, (const size_t(*)[2])sixteen, 16, ctx);
		tc_response_free(&r);

		ctx = "GET /cond.txt with 17 ranges";
		text_add(&many, ",48-48");
		snprintf(raw, sizeof raw, "%s\r\n", many.p);
		ask("GET", "/cond.txt", raw, &r, ctx);
		expect_status(&r, 200, ctx);
		expect_no_header(&r, "Content-Range", ctx);
		expect_header(&r, "Content-Type", TEXT_PLAIN, ctx);
		expect_body(&r, COND, COND_LEN, ctx);
		tc_response_free(&r);
	}

	ctx = "GET /cond.txt Range: bytes=0-9,20-29 If-Range: \"other\"";
	ask("GET", "/cond.txt", "Range: bytes=0-9,20-29\r\nIf-Range: \"other\"\r\n", &r, ctx);
	expect_status(&r, 200, ctx);
	expect_body(&r, COND, COND_LEN, ctx);
	tc_response_free(&r);

	ctx = "HEAD /cond.txt Range: bytes=0-9,20-29";
	ask("HEAD", "/cond.txt", "Range: bytes=0-9,20-29\r\n", &r, ctx);
	expect_status(&r, 200, ctx);
	expect_header(&r, "Content-Length", "64", ctx);
	expect_header(&r, "Content-Type", TEXT_PLAIN, ctx);
	tc_response_free(&r);

	ctx = "GET /cond.txt Range: bytes=100-200,300-400 (none satisfiable)";
	ask("GET", "/cond.txt", "Range: bytes=100-200,300-400\r\n", &r, ctx);
	expect_status(&r, 416, ctx);
	expect_header(&r, "Content-Range", "bytes */64", ctx);
	tc_response_free(&r);

	{
		static const char *const empty_ranges[] = {"bytes=0-9,20-29", "bytes=0-", "bytes=-5",
							   "bytes=0-0"};

		for (size_t i = 0; i < NELEM(empty_ranges); i++) {
			char c2[128];
			char hdr[128];

			snprintf(c2, sizeof c2, "GET /empty.txt Range: %s", empty_ranges[i]);
			snprintf(hdr, sizeof hdr, "Range: %s\r\n", empty_ranges[i]);
			ask("GET", "/empty.txt", hdr, &r, c2);
			expect_status(&r, 416, c2);
			expect_header(&r, "Content-Range", "bytes */0", c2);
			tc_response_free(&r);
		}
	}
	free(many.p);
	stop();
}
END_TEST

/* Parts come in the order of the request's ranges when none were coalesced (RFC 9110 14.6: the
 * server SHOULD send the parts in the order the range-specs appeared). */
START_TEST(test_range_order)
{
	static const size_t reordered[][2] = {{60, 63}, {0, 1}};
	static const size_t three[][2] = {{40, 44}, {10, 12}, {50, 50}};
	const char *ctx;
	tc_response r;

	start_sem(_i);
	ctx = "GET /cond.txt Range: bytes=-4,0-1";
	ask("GET", "/cond.txt", "Range: bytes=-4,0-1\r\n", &r, ctx);
	expect_status(&r, 206, ctx);
	expect_parts(&r, reordered, NELEM(reordered), ctx);
	tc_response_free(&r);

	ctx = "GET /cond.txt Range: bytes=40-44,10-12,50-50";
	ask("GET", "/cond.txt", "Range: bytes=40-44,10-12,50-50\r\n", &r, ctx);
	expect_status(&r, 206, ctx);
	expect_parts(&r, three, NELEM(three), ctx);
	tc_response_free(&r);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 14: precompressed sidecars
 * ------------------------------------------------------------------------------------------- */

enum coding { IDENTITY, GZIP, BROTLI };

static void expect_coding(const tc_response *r, enum coding want, bool head, const char *ctx)
{
	const char *body = want == GZIP ? GZ : want == BROTLI ? BR : HELLO;
	size_t len = want == GZIP ? GZ_LEN : want == BROTLI ? BR_LEN : strlen(HELLO);
	char num[32];

	expect_status(r, 200, ctx);
	expect_header(r, "Content-Type", TEXT_PLAIN, ctx);
	expect_header(r, "Vary", "Accept-Encoding", ctx);
	if (want == IDENTITY)
		expect_no_header(r, "Content-Encoding", ctx);
	else
		expect_header(r, "Content-Encoding", want == GZIP ? "gzip" : "br", ctx);
	snprintf(num, sizeof num, "%zu", len);
	expect_header(r, "Content-Length", num, ctx);
	if (!head)
		expect_body(r, body, len, ctx);
}

START_TEST(test_precompressed)
{
	static const struct {
		const char *accept; /* NULL: no Accept-Encoding */
		enum coding want;
	} cases[] = {
		{NULL, IDENTITY},
		{"gzip", GZIP},
		{"br", BROTLI},
		{"br, gzip;q=0.5", BROTLI},
		{"gzip;q=0.5, br", BROTLI},
		{"gzip, br", BROTLI},
		{"br;q=0, gzip", GZIP},
		{"gzip;q=0", IDENTITY},
		{"gzip;q=0, br;q=0", IDENTITY},
		{"identity", IDENTITY},
		{"deflate", IDENTITY},
		{"GZIP", GZIP},
		{"br;q=0.2, gzip;q=0.8", GZIP},
	};
	struct server_opts o = {.model = model_of(_i), .fixtures = semantics_fixtures,
				.precompressed = true};
	char etag_id[256];
	char etag_gz[256];
	char etag_br[256];
	char extra[512];
	char ctx[256];
	tc_response r;

	start(&o);
	for (size_t i = 0; i < NELEM(cases); i++) {
		if (cases[i].accept)
			snprintf(extra, sizeof extra, "Accept-Encoding: %s\r\n", cases[i].accept);
		else
			extra[0] = '\0';
		snprintf(ctx, sizeof ctx, "GET /hello.txt Accept-Encoding: %s",
			 cases[i].accept ? cases[i].accept : "(none)");
		ask("GET", "/hello.txt", extra, &r, ctx);
		expect_coding(&r, cases[i].want, false, ctx);
		ck_assert_msg(tc_header(&r, "ETag") != NULL, "%s: no ETag", ctx);
		if (i == 0)
			snprintf(etag_id, sizeof etag_id, "%s", tc_header(&r, "ETag"));
		if (i == 1)
			snprintf(etag_gz, sizeof etag_gz, "%s", tc_header(&r, "ETag"));
		if (i == 2)
			snprintf(etag_br, sizeof etag_br, "%s", tc_header(&r, "ETag"));
		if (i > 2) {
			const char *want = cases[i].want == GZIP     ? etag_gz
					   : cases[i].want == BROTLI ? etag_br
								     : etag_id;

			expect_header(&r, "ETag", want, ctx);
		}
		tc_response_free(&r);
	}
	ck_assert_msg(strcmp(etag_id, etag_gz) != 0 && strcmp(etag_id, etag_br) != 0 &&
			      strcmp(etag_gz, etag_br) != 0,
		      "sidecar ETags not distinct: identity %s, gzip %s, br %s", etag_id, etag_gz, etag_br);

	strcpy(ctx, "HEAD /hello.txt Accept-Encoding: gzip");
	ask("HEAD", "/hello.txt", "Accept-Encoding: gzip\r\n", &r, ctx);
	expect_coding(&r, GZIP, true, ctx);
	tc_response_free(&r);

	strcpy(ctx, "GET /hello.txt Accept-Encoding: gzip Range: bytes=0-1");
	ask("GET", "/hello.txt", "Accept-Encoding: gzip\r\nRange: bytes=0-1\r\n", &r, ctx);
	expect_status(&r, 206, ctx);
	expect_header(&r, "Content-Encoding", "gzip", ctx);
	snprintf(extra, sizeof extra, "bytes 0-1/%zu", GZ_LEN);
	expect_header(&r, "Content-Range", extra, ctx);
	expect_header(&r, "Vary", "Accept-Encoding", ctx);
	expect_body(&r, GZ, 2, ctx);
	tc_response_free(&r);

	strcpy(ctx, "GET /hello.txt Accept-Encoding: gzip If-None-Match: the gzip ETag");
	snprintf(extra, sizeof extra, "Accept-Encoding: gzip\r\nIf-None-Match: %s\r\n", etag_gz);
	ask("GET", "/hello.txt", extra, &r, ctx);
	expect_status(&r, 304, ctx);
	expect_header(&r, "ETag", etag_gz, ctx);
	tc_response_free(&r);

	strcpy(ctx, "GET /hello.txt Accept-Encoding: gzip If-None-Match: the identity ETag");
	snprintf(extra, sizeof extra, "Accept-Encoding: gzip\r\nIf-None-Match: %s\r\n", etag_id);
	ask("GET", "/hello.txt", extra, &r, ctx);
	expect_coding(&r, GZIP, false, ctx);
	tc_response_free(&r);

	strcpy(ctx, "GET /page.html Accept-Encoding: gzip, br (no sidecar)");
	ask("GET", "/page.html", "Accept-Encoding: gzip, br\r\n", &r, ctx);
	expect_status(&r, 200, ctx);
	expect_no_header(&r, "Content-Encoding", ctx);
	expect_body_str(&r, PAGE, ctx);
	tc_response_free(&r);
	stop();

	/* Off (the default): the sidecars are ignored. */
	o.precompressed = false;
	start(&o);
	strcpy(ctx, "GET /hello.txt Accept-Encoding: gzip, br (precompressed off)");
	ask("GET", "/hello.txt", "Accept-Encoding: gzip, br\r\n", &r, ctx);
	expect_status(&r, 200, ctx);
	expect_no_header(&r, "Content-Encoding", ctx);
	expect_no_header(&r, "Vary", ctx);
	expect_body_str(&r, HELLO, ctx);
	tc_response_free(&r);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 15: directory listings
 * ------------------------------------------------------------------------------------------- */

static void expect_listing_body(const tc_response *r, const char *ctx)
{
	static const char *const absent[] = {"<b>", ".secret", "ymk-upload"};
	const char *zdir;
	const char *q;
	const char *tag;
	const char *space;

	expect_header(r, "Content-Type", "text/html; charset=utf-8", ctx);
	expect_body_has(r, "&lt;b&gt;x&amp;y.txt", ctx);
	expect_body_has(r, "%3Cb%3Ex%26y.txt", ctx);
	expect_body_has(r, "a%20b.txt", ctx);
	expect_body_has(r, "%22q", ctx);
	expect_body_has(r, "zdir/", ctx);
	expect_body_has(r, "100%25.txt", ctx);
	expect_body_has(r, "caf\xc3\xa9.txt", ctx);
	ck_assert_msg(find_in_body(r, "caf%C3%A9.txt") || find_in_body(r, "caf%c3%a9.txt"),
		      "%s: no percent-encoded href for caf\xc3\xa9.txt: %s", ctx,
		      tc_show(r->body, r->body_len));
	ck_assert_msg(find_in_body(r, "href=\"../\"") || find_in_body(r, "href='../'"),
		      "%s: no link to \"../\": %s", ctx, tc_show(r->body, r->body_len));
	for (size_t i = 0; i < NELEM(absent); i++)
		expect_body_lacks(r, absent[i], ctx);
	/* Directories first, then the files sorted by name. */
	zdir = find_in_body(r, "zdir/");
	q = find_in_body(r, "%22q");
	tag = find_in_body(r, "%3Cb%3Ex%26y.txt");
	space = find_in_body(r, "a%20b.txt");
	ck_assert_msg(zdir < q && zdir < tag && zdir < space,
		      "%s: the directory zdir/ is not listed before the files", ctx);
	ck_assert_msg(q < tag && tag < space,
		      "%s: files not sorted by name (\"q'.txt, <b>x&y.txt, a b.txt expected in that "
		      "order)",
		      ctx);
}

START_TEST(test_listing)
{
	struct server_opts o = {.model = model_of(_i), .fixtures = semantics_fixtures,
				.listing = true};
	tc_conn c;
	tc_response r;
	tc_response h;

	start(&o);
	get("/list/", &r);
	expect_status(&r, 200, "GET /list/ (listing on)");
	expect_listing_body(&r, "GET /list/ (listing on)");
	ask("HEAD", "/list/", NULL, &h, "HEAD /list/");
	expect_status(&h, 200, "HEAD /list/");
	expect_header(&h, "Content-Type", "text/html; charset=utf-8", "HEAD /list/");
	tc_response_free(&h);
	tc_response_free(&r);

	conn_open(&c);
	exchange(&c, "GET /list/ HTTP/1.0\r\n\r\n", false, &r);
	expect_status(&r, 200, "GET /list/ HTTP/1.0");
	ck_assert_msg(tc_header(&r, "Content-Length") != NULL && !r.until_eof,
		      "GET /list/ HTTP/1.0: no Content-Length");
	expect_no_header(&r, "Transfer-Encoding", "GET /list/ HTTP/1.0");
	expect_listing_body(&r, "GET /list/ HTTP/1.0");
	tc_response_free(&r);
	tc_close(&c);

	get("/list/zdir/", &r);
	expect_status(&r, 200, "GET /list/zdir/ (empty directory)");
	expect_header(&r, "Content-Type", "text/html; charset=utf-8", "GET /list/zdir/");
	ck_assert_msg(find_in_body(&r, "href=\"../\"") || find_in_body(&r, "href='../'"),
		      "GET /list/zdir/: no link to \"../\"");
	tc_response_free(&r);

	get("/list", &r);
	expect_status(&r, 301, "GET /list (listing on)");
	expect_header(&r, "Location", "/list/", "GET /list (listing on)");
	tc_response_free(&r);
	get("/sub/", &r);
	expect_status(&r, 200, "GET /sub/ (index.html wins over the listing)");
	expect_body_str(&r, SUB_INDEX, "GET /sub/ (index.html wins over the listing)");
	tc_response_free(&r);
	get("/", &r);
	expect_status(&r, 200, "GET / (listing on)");
	expect_body_str(&r, INDEX, "GET / (listing on)");
	tc_response_free(&r);
	get("/list/.ymk-upload-1", &r);
	expect_status(&r, 404, "GET /list/.ymk-upload-1");
	tc_response_free(&r);
	stop();

	o.listing = false;
	start(&o);
	get("/list/", &r);
	expect_status(&r, 403, "GET /list/ (listing off)");
	expect_body_lacks(&r, "a%20b", "GET /list/ (listing off)");
	tc_response_free(&r);
	get("/noindex/", &r);
	expect_status(&r, 403, "GET /noindex/ (listing off)");
	tc_response_free(&r);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 16: custom error pages
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_error_pages)
{
	struct server_opts o = {.model = model_of(_i), .fixtures = semantics_fixtures,
				.error_pages = "errors"};
	tc_conn c;
	tc_response r;

	start(&o);
	get("/missing.txt", &r);
	expect_status(&r, 404, "GET /missing.txt (custom 404)");
	expect_header_prefix(&r, "Content-Type", "text/html", "GET /missing.txt (custom 404)");
	expect_body_str(&r, PAGE_404, "GET /missing.txt (custom 404)");
	tc_response_free(&r);

	get("/sub/missing/deeper.txt", &r);
	expect_status(&r, 404, "GET /sub/missing/deeper.txt (custom 404)");
	expect_body_str(&r, PAGE_404, "GET /sub/missing/deeper.txt (custom 404)");
	tc_response_free(&r);

	get("/noindex/", &r);
	expect_status(&r, 403, "GET /noindex/ (403.html is a symlink)");
	expect_header_prefix(&r, "Content-Type", "text/html", "GET /noindex/");
	expect_body_lacks(&r, "custom 403", "GET /noindex/ (403.html is a symlink: built-in page)");
	expect_body_has(&r, "403", "GET /noindex/ (built-in page)");
	tc_response_free(&r);

	/* HEAD: status and headers, never a body. */
	conn_open(&c);
	exchange(&c, "HEAD /missing.txt HTTP/1.1\r\nHost: x\r\n\r\n", true, &r);
	expect_status(&r, 404, "HEAD /missing.txt (custom 404)");
	tc_response_free(&r);
	expect_still_open(&c, "GET after HEAD /missing.txt");
	tc_close(&c);

	/* No page for 405: the built-in one; a 200 is never replaced. */
	ask("DELETE", "/hello.txt", NULL, &r, "DELETE /hello.txt");
	expect_status(&r, 405, "DELETE /hello.txt (no 405.html)");
	expect_body_lacks(&r, "custom", "DELETE /hello.txt (no 405.html)");
	tc_response_free(&r);
	get("/hello.txt", &r);
	expect_status(&r, 200, "GET /hello.txt with error pages");
	expect_body_str(&r, HELLO, "GET /hello.txt with error pages");
	tc_response_free(&r);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * The runner
 * ------------------------------------------------------------------------------------------- */

static Suite *semantics_suite(void)
{
	Suite *s = suite_create("semantics");
	TCase *tc;

	tc = harness_case("conditional", 60);
	tcase_add_loop_test(tc, test_conditionals, 0, 2);
	tcase_add_loop_test(tc, test_multiple_ranges, 0, 2);
	tcase_add_loop_test(tc, test_range_order, 0, 2);
	suite_add_tcase(s, tc);

	tc = harness_case("representations", 60);
	tcase_add_loop_test(tc, test_precompressed, 0, 2);
	tcase_add_loop_test(tc, test_listing, 0, 2);
	tcase_add_loop_test(tc, test_error_pages, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(semantics_suite());
}
