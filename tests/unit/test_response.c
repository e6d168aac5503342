/* test_response.c: every kind of answer built by response.c into an output object, without a
 * socket, checked byte for byte: 200 and HEAD from memory and from a file, 206 with one part and
 * multipart/byteranges, 304, 412, 416, error pages (built-in and custom), OPTIONS, 201/204,
 * 100 Continue, keep-alive and close, the Date-less 503, a handler's added headers, and running
 * out of room. What the output object sends goes through the memory transport. */
#include "http_parse.h"
#include "out.h"
#include "response.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem_transport.h"

#define DATE "Sun, 06 Nov 1994 08:49:37 GMT"

struct fx {
	char raw[4096];
	struct ymk__http_request http;
	struct ymk__pool pool;
	struct ymk__out out;
	struct ymk__datecache dates;
	struct ymk__resp r;
	struct mem_tr m;
	struct ymk__transport t;
};

static struct fx F;

/* Parses the request head raw and prepares an answer to it: keep-alive, a fixed Date. */
static void begin(const char *raw)
{
	struct ymk__http_limits lim = {4096, 8192, 100};
	size_t used;

	memset(&F, 0, sizeof F);
	snprintf(F.raw, sizeof F.raw, "%s", raw);
	ck_assert_int_eq(ymk__http_parse(F.raw, strlen(F.raw), &lim, &F.http, &used), 0);
	F.pool = (struct ymk__pool){.size = YMK__OUT_STD};
	ymk__out_init(&F.out, &F.pool);
	F.r = (struct ymk__resp){.out = &F.out,
				 .http = &F.http,
				 .is_head = F.http.method_id == YMK__METHOD_HEAD,
				 .keep_alive = 1,
				 .date = DATE,
				 .dates = &F.dates,
				 .nonce = 7};
}

/* Everything the output object sends, as a NUL-terminated string (the answer must be complete). */
static const char *sent(size_t *len)
{
	int progress;

	mem_tr_init(&F.m, &F.t);
	ck_assert_int_eq(ymk__out_send(&F.out, &F.t, &progress), 1);
	mem_take(&F.t, "", 1); /* a NUL after the bytes */
	F.m.out_len--;
	if (len)
		*len = F.m.out_len;
	return F.m.out;
}

static void end(void)
{
	ymk__out_release(&F.out);
	ymk__pool_free(&F.pool);
	mem_tr_free(&F.m);
}

static void expect_sent(const char *want);

/* The built-in page of a status ("404 Not Found"). */
#define PAGE(st) \
	"<!DOCTYPE html>\n<html><head><title>" st "</title></head><body><h1>" st "</h1></body></html>\n"

/* An error answer: the head lines after Date and nosniff up to Content-Length (exclusive), the
 * tail of the head after it, then the page. */
static void expect_error(const char *status_line, const char *before, const char *after, const char *page)
{
	char want[2048];

	snprintf(want, sizeof want,
		 "HTTP/1.1 %s\r\nDate: " DATE "\r\nX-Content-Type-Options: nosniff\r\n"
		 "Content-Type: text/html; charset=utf-8\r\n%sContent-Length: %zu\r\n%s\r\n%s",
		 status_line, before, strlen(page), after, page);
	if (F.r.is_head)
		*(strstr(want, "\r\n\r\n") + 4) = '\0';
	expect_sent(want);
}

static void expect_sent(const char *want)
{
	size_t len;
	const char *got = sent(&len);

	ck_assert_msg(len == strlen(want) && memcmp(got, want, len) == 0, "sent:\n%s\nwanted:\n%s", got,
		      want);
}

/* A temporary file with these bytes; its fd and stat. */
static int temp_file(const char *data, struct stat *st)
{
	char path[] = "/tmp/ymk-resp-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, data, strlen(data)), (int)strlen(data));
	ck_assert_int_eq(fstat(fd, st), 0);
	return fd;
}

/* The representation of a file as the static handler builds it. */
static struct ymk__repr file_repr(int fd, const struct stat *st, char *etag)
{
	return (struct ymk__repr){.size = (uint64_t)st->st_size,
				  .etag = etag,
				  .etag_len = ymk__etag(st, etag),
				  .mtime = st->st_mtime,
				  .type = "text/plain; charset=utf-8",
				  .fd = fd};
}

static const char BODY[] = "0123456789abcdefghij";

START_TEST(test_memory_200)
{
	begin("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
	ymk__resp_memory(&F.r, 200, "text/plain", BODY, 20, NULL);
	ck_assert_int_eq(F.out.status, 200);
	ck_assert_int_eq(F.out.close, 0);
	ck_assert_uint_eq(F.out.body_len, 20);
	expect_sent("HTTP/1.1 200 OK\r\nDate: " DATE "\r\nX-Content-Type-Options: nosniff\r\n"
		    "Content-Type: text/plain\r\nAccept-Ranges: bytes\r\nContent-Length: 20\r\n\r\n"
		    "0123456789abcdefghij");
	end();
}
END_TEST

START_TEST(test_memory_head_and_extra)
{
	static const char extra[] = "X-Api: 1\r\nCache-Control: no-store\r\n";

	begin("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n");
	F.r.extra = extra;
	F.r.extra_len = sizeof extra - 1;
	ymk__resp_memory(&F.r, 200, "application/json", BODY, 20, NULL);
	ck_assert_uint_eq(F.out.body_len, 0);
	expect_sent("HTTP/1.1 200 OK\r\nDate: " DATE "\r\nX-Content-Type-Options: nosniff\r\n"
		    "Content-Type: application/json\r\nAccept-Ranges: bytes\r\nX-Api: 1\r\n"
		    "Cache-Control: no-store\r\nContent-Length: 20\r\n\r\n");
	end();
}
END_TEST

START_TEST(test_memory_206_single)
{
	begin("GET /x HTTP/1.1\r\nHost: a\r\nRange: bytes=2-4\r\n\r\n");
	ymk__resp_memory(&F.r, 200, "text/plain", BODY, 20, NULL);
	ck_assert_int_eq(F.out.status, 206);
	expect_sent("HTTP/1.1 206 Partial Content\r\nDate: " DATE "\r\nX-Content-Type-Options: nosniff\r\n"
		    "Content-Type: text/plain\r\nAccept-Ranges: bytes\r\nContent-Range: bytes 2-4/20\r\n"
		    "Content-Length: 3\r\n\r\n234");
	end();
}
END_TEST

/* tmpl with every "@" replaced by rep, into out. */
static void fill(char *out, size_t cap, const char *tmpl, const char *rep)
{
	size_t n = 0, rl = strlen(rep);

	for (; *tmpl; tmpl++) {
		const char *piece = *tmpl == '@' ? rep : tmpl;
		size_t pl = *tmpl == '@' ? rl : 1;

		ck_assert_uint_lt(n + pl, cap);
		memcpy(out + n, piece, pl);
		n += pl;
	}
	out[n] = '\0';
}

/* The boundary is the answer's own choice: read it from the head, then expect every byte. */
static void expect_multipart(const char *type, const char *parts)
{
	size_t len;
	const char *got = sent(&len);
	const char *b = strstr(got, "boundary=");
	char boundary[64], want[2048], body[1024];

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(sscanf(b + 9, "%63[^\r]", boundary), 1);
	ck_assert_uint_eq(strlen(boundary), strspn(boundary, "ymk0123456789abcdef"));
	fill(body, sizeof body, parts, boundary);
	snprintf(want, sizeof want,
		 "HTTP/1.1 206 Partial Content\r\nDate: " DATE "\r\nX-Content-Type-Options: nosniff\r\n"
		 "Content-Type: multipart/byteranges; boundary=%s\r\n%sAccept-Ranges: bytes\r\n"
		 "Content-Length: %zu\r\n\r\n%s",
		 boundary, type, strlen(body), body);
	ck_assert_msg(len == strlen(want) && memcmp(got, want, len) == 0, "sent:\n%s\nwanted:\n%s", got,
		      want);
}

/* "@" stands for the boundary. */
#define PARTS                                                                                           \
	"\r\n--@\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-1/20\r\n\r\n01"   \
	"\r\n--@\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 18-19/20\r\n\r\nij" \
	"\r\n--@--\r\n"

START_TEST(test_memory_206_multipart)
{
	begin("GET /x HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1,-2\r\n\r\n");
	ymk__resp_memory(&F.r, 200, "text/plain; charset=utf-8", BODY, 20, NULL);
	expect_multipart("", PARTS);
	end();
}
END_TEST

START_TEST(test_file_200_and_head)
{
	struct stat st;
	char etag[80], want[1024], lastmod[32];
	int fd = temp_file(BODY, &st);
	struct ymk__repr rp = file_repr(fd, &st, etag);

	ymk__http_date(st.st_mtime, lastmod);
	begin("GET /f.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	ymk__resp_repr(&F.r, &rp);
	ck_assert_int_eq(F.out.kind, YMK__BODY_FILE);
	ck_assert_int_eq(F.out.fd, fd);
	snprintf(want, sizeof want,
		 "HTTP/1.1 200 OK\r\nDate: " DATE "\r\nX-Content-Type-Options: nosniff\r\n"
		 "Content-Type: text/plain; charset=utf-8\r\nLast-Modified: %s\r\nETag: %.*s\r\n"
		 "Accept-Ranges: bytes\r\nContent-Length: 20\r\n\r\n%s",
		 lastmod, (int)rp.etag_len, etag, BODY);
	expect_sent(want);
	end(); /* closes fd with the answer */
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);

	fd = temp_file(BODY, &st);
	rp = file_repr(fd, &st, etag);
	begin("HEAD /f.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	ymk__resp_repr(&F.r, &rp);
	ck_assert_int_eq(F.out.kind, YMK__BODY_NONE); /* no body: the file went at once */
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	/* A file of its own: its ETag and Last-Modified are its own too. */
	ymk__http_date(st.st_mtime, lastmod);
	snprintf(want, sizeof want,
		 "HTTP/1.1 200 OK\r\nDate: " DATE "\r\nX-Content-Type-Options: nosniff\r\n"
		 "Content-Type: text/plain; charset=utf-8\r\nLast-Modified: %s\r\nETag: %.*s\r\n"
		 "Accept-Ranges: bytes\r\nContent-Length: 20\r\n\r\n",
		 lastmod, (int)rp.etag_len, etag);
	expect_sent(want);
	end();
}
END_TEST

START_TEST(test_file_206_and_multipart)
{
	struct stat st;
	char etag[80], want[1024], lastmod[32], typ[256];
	int fd = temp_file(BODY, &st);
	struct ymk__repr rp = file_repr(fd, &st, etag);

	ymk__http_date(st.st_mtime, lastmod);
	begin("GET /f.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=-3\r\n\r\n");
	ymk__resp_repr(&F.r, &rp);
	snprintf(want, sizeof want,
		 "HTTP/1.1 206 Partial Content\r\nDate: " DATE "\r\nX-Content-Type-Options: nosniff\r\n"
		 "Content-Type: text/plain; charset=utf-8\r\nLast-Modified: %s\r\nETag: %.*s\r\n"
		 "Accept-Ranges: bytes\r\nContent-Range: bytes 17-19/20\r\nContent-Length: 3\r\n\r\nhij",
		 lastmod, (int)rp.etag_len, etag);
	expect_sent(want);
	end();

	fd = temp_file(BODY, &st);
	rp = file_repr(fd, &st, etag);
	begin("GET /f.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1, 18-\r\n\r\n");
	ymk__resp_repr(&F.r, &rp);
	ck_assert_int_eq(F.out.kind, YMK__BODY_SEGS);
	ymk__http_date(st.st_mtime, lastmod);
	snprintf(typ, sizeof typ, "Last-Modified: %s\r\nETag: %.*s\r\n", lastmod, (int)rp.etag_len, etag);
	expect_multipart(typ, PARTS);
	end();
}
END_TEST

/* The request headers an answer depends on are found whatever their case and order, the first of a
 * name counts, and names that only begin like them are not taken for them. "E" stands for the
 * file's ETag. */
START_TEST(test_conditional_header_names)
{
	static const struct {
		const char *headers;
		int status;
	} cases[] = {
		{"", 200},
		{"if-none-match: E\r\n", 304},
		{"IF-NONE-MATCH: E\r\n", 304},
		{"If-None-Match: \"other\"\r\nIf-None-Match: E\r\n", 200},
		{"If-None-Match: E\r\nIf-None-Match: \"other\"\r\n", 304},
		{"If-None-Matches: E\r\n", 200},
		{"If-Non-Match: E\r\n", 200},
		{"If-Match: \"nope\"\r\n", 412},
		{"if-match: E\r\n", 200},
		{"If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n", 412},
		{"if-modified-since: Fri, 31 Dec 9999 23:59:59 GMT\r\n", 304},
		{"range: bytes=0-1\r\n", 206},
		{"Ranges: bytes=0-1\r\n", 200},
		{"Rang: bytes=0-1\r\n", 200},
		{"Range: bytes=0-1\r\nif-range: \"nope\"\r\n", 200},
		{"Range: bytes=0-1\r\nIf-Range: E\r\n", 206},
		{"IF-RANGE: E\r\nRANGE: bytes=0-1\r\n", 206},
		{"Range: bytes=0-1\r\nRange: bytes=50-60\r\n", 206},
		{"Range: bytes=50-60\r\nRange: bytes=0-1\r\n", 416},
		{"I: x\r\nIf: x\r\nIf-: x\r\nR: x\r\n", 200},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct stat st;
		char etag[80], raw[1024], heads[512];
		int fd = temp_file(BODY, &st);
		struct ymk__repr rp = file_repr(fd, &st, etag);
		size_t n = 0;
		for (const char *h = cases[i].headers; *h; h++) {
			if (*h == 'E' && (h[-1] == ' ')) {
				memcpy(heads + n, etag, rp.etag_len);
				n += rp.etag_len;
			} else {
				heads[n++] = *h;
			}
		}
		heads[n] = '\0';
		snprintf(raw, sizeof raw, "GET /f.txt HTTP/1.1\r\nHost: a\r\n%s\r\n", heads);
		begin(raw);
		ymk__resp_repr(&F.r, &rp);
		ck_assert_msg(F.out.status == cases[i].status, "case %zu (%s): %d", i, cases[i].headers,
			      F.out.status);
		end();
	}
	/* A buffer answer finds its Range the same way. */
	begin("GET /m HTTP/1.1\r\nHost: a\r\nX-Range: bytes=0-0\r\nrAnGe: bytes=0-0\r\n\r\n");
	ymk__resp_memory(&F.r, 200, "text/plain", "abc", 3, NULL);
	ck_assert_int_eq(F.out.status, 206);
	end();
}
END_TEST

START_TEST(test_file_304_412_416)
{
	struct stat st;
	char etag[80], want[1024], lastmod[32], raw[512];
	int fd = temp_file(BODY, &st);
	struct ymk__repr rp = file_repr(fd, &st, etag);

	ymk__http_date(st.st_mtime, lastmod);
	snprintf(raw, sizeof raw, "GET /f HTTP/1.1\r\nHost: a\r\nIf-None-Match: %.*s\r\n\r\n",
		 (int)rp.etag_len, etag);
	begin(raw);
	ymk__resp_repr(&F.r, &rp);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1); /* a 304 lets go of the file at once */
	snprintf(want, sizeof want,
		 "HTTP/1.1 304 Not Modified\r\nDate: " DATE "\r\nX-Content-Type-Options: nosniff\r\n"
		 "ETag: %.*s\r\nLast-Modified: %s\r\n\r\n",
		 (int)rp.etag_len, etag, lastmod);
	expect_sent(want);
	end();

	fd = temp_file(BODY, &st);
	rp = file_repr(fd, &st, etag);
	begin("GET /f HTTP/1.1\r\nHost: a\r\nIf-Match: \"other\"\r\n\r\n");
	ymk__resp_repr(&F.r, &rp);
	ck_assert_int_eq(F.out.status, 412);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	expect_error("412 Precondition Failed", "", "", PAGE("412 Precondition Failed"));
	end();

	fd = temp_file(BODY, &st);
	rp = file_repr(fd, &st, etag);
	begin("GET /f HTTP/1.1\r\nHost: a\r\nRange: bytes=20-\r\n\r\n");
	ymk__resp_repr(&F.r, &rp);
	ck_assert_int_eq(F.out.status, 416);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	expect_error("416 Range Not Satisfiable", "Content-Range: bytes */20\r\n", "",
		     PAGE("416 Range Not Satisfiable"));
	end();
}
END_TEST

static int custom_page(void *ctx, int status, char **page, size_t *len)
{
	(void)ctx;
	if (status != 404)
		return -1;
	*page = malloc(9);
	memcpy(*page, "<p>gone\n", 9);
	*len = 8;
	return 0;
}

START_TEST(test_error_pages)
{
	begin("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
	ymk__resp_error(&F.r, 404, 0, NULL);
	ck_assert_int_eq(F.out.close, 0);
	expect_error("404 Not Found", "", "", PAGE("404 Not Found"));
	end();

	/* A closing error; HEAD gets the head only. */
	begin("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n");
	ymk__resp_error(&F.r, 404, 1, "Allow: GET\r\n");
	ck_assert_int_eq(F.out.close, 1);
	expect_error("404 Not Found", "Allow: GET\r\n", "Connection: close\r\n", PAGE("404 Not Found"));
	end();

	/* A custom page (allocated by the source, freed by the builder); other statuses built in. */
	begin("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
	F.r.error_page = custom_page;
	ymk__resp_error(&F.r, 404, 0, NULL);
	expect_error("404 Not Found", "", "", "<p>gone\n");
	end();
}
END_TEST

START_TEST(test_options_created_continue)
{
	begin("OPTIONS /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	F.r.ka_header = 1;
	ymk__resp_options(&F.r, "GET, HEAD, OPTIONS");
	expect_sent("HTTP/1.1 204 No Content\r\nDate: " DATE "\r\nX-Content-Type-Options: nosniff\r\n"
		    "Allow: GET, HEAD, OPTIONS\r\nConnection: keep-alive\r\n\r\n");
	end();

	begin("PUT /a%20b HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
	ymk__resp_created(&F.r, "/a b/ü", 0);
	expect_sent("HTTP/1.1 201 Created\r\nDate: " DATE "\r\nX-Content-Type-Options: nosniff\r\n"
		    "Location: /a%20b/%C3%BC\r\nContent-Length: 0\r\n\r\n");
	end();

	begin("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
	ymk__resp_created(&F.r, "/x", 1);
	expect_sent("HTTP/1.1 204 No Content\r\nDate: " DATE "\r\nX-Content-Type-Options: nosniff\r\n\r\n");
	end();

	begin("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
	ymk__resp_continue(&F.out);
	expect_sent("HTTP/1.1 100 Continue\r\n\r\n");
	end();
}
END_TEST

START_TEST(test_no_date_and_out_of_room)
{
	char buf[512];
	struct ymk__out o;
	struct ymk__resp r;

	/* The prebuilt 503: no Date, into a fixed buffer. */
	ymk__out_init_fixed(&o, buf, sizeof buf);
	r = (struct ymk__resp){.out = &o};
	ymk__resp_error(&r, 503, 1, "Retry-After: 1\r\n");
	ck_assert_int_eq(o.oom, 0);
	buf[o.len] = '\0';
	char want[512];
	snprintf(want, sizeof want,
		 "HTTP/1.1 503 Service Unavailable\r\nX-Content-Type-Options: nosniff\r\n"
		 "Content-Type: text/html; charset=utf-8\r\nRetry-After: 1\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n%s",
		 strlen(PAGE("503 Service Unavailable")), PAGE("503 Service Unavailable"));
	ck_assert_str_eq(buf, want);

	/* Too little room: no answer at all, and the connection closes. */
	ymk__out_init_fixed(&o, buf, 64);
	r = (struct ymk__resp){.out = &o, .keep_alive = 1, .date = DATE};
	ymk__resp_memory(&r, 200, "text/plain", BODY, 20, NULL);
	ck_assert_int_eq(o.oom, 1);
	ck_assert_uint_eq(o.len, 0);
	ck_assert_int_eq(o.close, 1);
}
END_TEST

START_TEST(test_memory_body_source)
{
	/* A bundle's bytes: sent from where they are, the head and the body in one vector. */
	static const unsigned char data[] = "bundled bytes";
	struct ymk__repr rp = {.size = 13,
			       .etag = "\"b1\"",
			       .etag_len = 4,
			       .mtime = 0,
			       .type = "text/plain",
			       .fd = -1,
			       .mem = data,
			       .revalidate = 1};

	begin("GET /b HTTP/1.1\r\nHost: a\r\nRange: bytes=8-\r\n\r\n");
	ymk__resp_repr(&F.r, &rp);
	ck_assert_int_eq(F.out.kind, YMK__BODY_MEM);
	expect_sent("HTTP/1.1 206 Partial Content\r\nDate: " DATE "\r\nX-Content-Type-Options: nosniff\r\n"
		    "Content-Type: text/plain\r\nCache-Control: no-cache\r\nLast-Modified: Thu, 01 Jan 1970 "
		    "00:00:00 GMT\r\nETag: \"b1\"\r\nAccept-Ranges: bytes\r\nContent-Range: bytes 8-12/13\r\n"
		    "Content-Length: 5\r\n\r\nbytes");
	ck_assert_uint_eq(F.m.sends, 1);
	end();
}
END_TEST

static Suite *response_suite(void)
{
	Suite *s = suite_create("response");
	TCase *tc = tcase_create("answers");

	tcase_add_test(tc, test_memory_200);
	tcase_add_test(tc, test_memory_head_and_extra);
	tcase_add_test(tc, test_memory_206_single);
	tcase_add_test(tc, test_memory_206_multipart);
	tcase_add_test(tc, test_file_200_and_head);
	tcase_add_test(tc, test_file_206_and_multipart);
	tcase_add_test(tc, test_file_304_412_416);
	tcase_add_test(tc, test_error_pages);
	tcase_add_test(tc, test_options_created_continue);
	tcase_add_test(tc, test_no_date_and_out_of_room);
	tcase_add_test(tc, test_memory_body_source);
	tcase_add_test(tc, test_conditional_header_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(response_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
