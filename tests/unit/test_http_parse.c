/* test_http_parse.c: table tests for ymk__http_parse() and its helpers. Each row is one raw input
 * (a prefix, an optional repeated fill for the long cases, a suffix) with the limits to use and
 * the expected outcome; for a successful row every field the parser derives is compared. Every
 * input is copied so that it ends exactly at a PROT_NONE page, so a one-byte over-read faults at
 * once. Rows that succeed are also fed to the parser at every shorter length, which must give
 * YMK__HTTP_AGAIN until the head is complete: that is what the event loop relies on. Rows that
 * fail must never succeed on a prefix either. */
#include "http_parse.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define AGAIN YMK__HTTP_AGAIN

/* Inputs up to this size fit in the arena in front of the guard page. */
#define ARENA_BYTES (64u * 1024u)

static char *arena_map;
static size_t arena_maplen;
static char *arena_end; /* first byte of the PROT_NONE page */

static void arena_setup(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (ARENA_BYTES + page - 1) / page * page;

	arena_maplen = body + page;
	arena_map = mmap(NULL, arena_maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(arena_map, MAP_FAILED);
	ck_assert_int_eq(mprotect(arena_map + body, page, PROT_NONE), 0);
	arena_end = arena_map + body;
}

static void arena_teardown(void)
{
	munmap(arena_map, arena_maplen);
}

/* Copies src[0..n) so that it ends right at the guard page. */
static const char *place(const char *src, size_t n)
{
	ck_assert_uint_le(n, ARENA_BYTES);
	memcpy(arena_end - n, src, n);
	return arena_end - n;
}

static const struct ymk__http_limits lim_default = {4096, 8192, 100};
static const struct ymk__http_limits lim_line16 = {16, 8192, 100};
static const struct ymk__http_limits lim_head64 = {4096, 64, 100};
static const struct ymk__http_limits lim_head20 = {4096, 20, 100};
static const struct ymk__http_limits lim_headers2 = {4096, 8192, 2};
static const struct ymk__http_limits lim_headers1 = {4096, 8192, 1};
static const struct ymk__http_limits lim_headers0 = {4096, 8192, 0};
static const struct ymk__http_limits lim_headers_huge = {4096, 65536, 100000};
static const struct ymk__http_limits lim_zero = {0, 0, 0};

struct parse_case {
	const char *pre; /* the input is pre, then fill repeated fill_n times, then suf */
	size_t pre_len;
	const char *fill;
	size_t fill_n;
	const char *suf;
	size_t suf_len;
	const struct ymk__http_limits *lim; /* NULL: lim_default */

	int ret;
	/* Expected on ret == 0. */
	enum ymk__method method;
	const char *target;
	int minor;
	size_t consumed; /* 0: the whole input */
	size_t n_headers;
	int has_cl; /* content_length must be cl, else -1 */
	int64_t cl;
	int chunked, close, keep_alive, expect_continue, expect_other;
	const char *host; /* NULL: must be absent */
	const char *hname, *hvalue; /* when hname: ymk__http_find(hname) must give hvalue (NULL: none) */
};

#define IN(s) .pre = (s), .pre_len = sizeof(s) - 1
#define SUF(s) .suf = (s), .suf_len = sizeof(s) - 1
#define FILL(s, n) .fill = (s), .fill_n = (n)
#define LEN(s) (sizeof(s) - 1)
#define GET11(hdrs) IN("GET / HTTP/1.1\r\nHost: a\r\n" hdrs "\r\n")
#define OK_GET11 .ret = 0, .method = YMK__METHOD_GET, .target = "/", .minor = 1, .host = "a"

/* 4082 = 4096 - strlen("GET /") - strlen(" HTTP/1.1"): a request line of exactly the limit. */
#define LINE_FILL_MAX 4082
#define Y19 "yyyyyyyyyyyyyyyyyyy"
#define LINE95 Y19 Y19 Y19 Y19 Y19

static const struct parse_case cases[] = {
	/* 0: valid shapes */
	{IN("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), OK_GET11, .n_headers = 1, .hname = "host", .hvalue = "a"},
	{IN("HEAD /x HTTP/1.0\r\n\r\n"), .method = YMK__METHOD_HEAD, .target = "/x", .minor = 0},
	{IN("GET / HTTP/1.1\nHost: a\n\n"), OK_GET11, .n_headers = 1},
	{IN("GET / HTTP/1.1\r\nHost: a\n\r\n"), OK_GET11, .n_headers = 1},
	{IN("GET / HTTP/1.1\nHost: a\r\n\n"), OK_GET11, .n_headers = 1},
	{IN("\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), OK_GET11, .n_headers = 1},
	{IN("\r\n\r\n\r\n\r\n\n\n\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), OK_GET11, .n_headers = 1},
	{IN("\r\n\r\n\r\n\r\n\n\n\n\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 0,
	 .method = YMK__METHOD_GET, .target = "/a", .minor = 1, .host = "a", .n_headers = 1,
	 .consumed = LEN("GET /a HTTP/1.1\r\nHost: a\r\n\r\n")},
	{IN("POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"), .ret = 0,
	 .method = YMK__METHOD_POST, .target = "/u", .minor = 1, .host = "a", .n_headers = 2,
	 .has_cl = 1, .cl = 5, .consumed = LEN("POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n")},
	{IN("GET / HTTP/1.0\r\n\r\n\r\n"), .method = YMK__METHOD_GET, .target = "/", .minor = 0,
	 .consumed = LEN("GET / HTTP/1.0\r\n\r\n")},

	/* 11: method ids; methods are case-sensitive */
	{IN("PUT /f HTTP/1.0\r\n\r\n"), .method = YMK__METHOD_PUT, .target = "/f"},
	{IN("DELETE /f HTTP/1.0\r\n\r\n"), .method = YMK__METHOD_DELETE, .target = "/f"},
	{IN("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), .method = YMK__METHOD_OPTIONS, .target = "*",
	 .minor = 1, .host = "a", .n_headers = 1},
	{IN("PATCH /f HTTP/1.0\r\n\r\n"), .method = YMK__METHOD_PATCH, .target = "/f"},
	{IN("TRACE /f HTTP/1.0\r\n\r\n"), .method = YMK__METHOD_TRACE, .target = "/f"},
	{IN("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"), .method = YMK__METHOD_CONNECT,
	 .target = "a:443", .minor = 1, .host = "a:443", .n_headers = 1},
	{IN("get / HTTP/1.0\r\n\r\n"), .method = YMK__METHOD_OTHER, .target = "/"},
	{IN("BREW /pot HTTP/1.0\r\n\r\n"), .method = YMK__METHOD_OTHER, .target = "/pot"},
	{IN("GETS / HTTP/1.0\r\n\r\n"), .method = YMK__METHOD_OTHER, .target = "/"},
	{IN("M-SEARCH~! / HTTP/1.0\r\n\r\n"), .method = YMK__METHOD_OTHER, .target = "/"},

	/* 21: targets pass through as sent; obs-text allowed in targets and values */
	{IN("GET http://a.example/p?q=1 HTTP/1.1\r\nHost: a.example\r\n\r\n"),
	 .method = YMK__METHOD_GET, .target = "http://a.example/p?q=1", .minor = 1,
	 .host = "a.example", .n_headers = 1},
	{IN("GET /%41\xc3\xa9?x#y HTTP/1.0\r\n\r\n"), .method = YMK__METHOD_GET,
	 .target = "/%41\xc3\xa9?x#y"},
	{GET11("X: caf\xc3\xa9\xff\r\n"), OK_GET11, .n_headers = 2, .hname = "x", .hvalue = "caf\xc3\xa9\xff"},
	{GET11("X: \t v  v \t \r\n"), OK_GET11, .n_headers = 2, .hname = "X", .hvalue = "v  v"},
	{GET11("X:\r\n"), OK_GET11, .n_headers = 2, .hname = "X", .hvalue = ""},
	{GET11("X:  \t \r\n"), OK_GET11, .n_headers = 2, .hname = "X", .hvalue = ""},
	{GET11("X: a\tb\r\n"), OK_GET11, .n_headers = 2, .hname = "X", .hvalue = "a\tb"},
	{GET11("!#$%&'*+-.^_`|~09azAZ: t\r\n"), OK_GET11, .n_headers = 2,
	 .hname = "!#$%&'*+-.^_`|~09AZAZ", .hvalue = "t"},

	/* 29: Host */
	{IN("GET / HTTP/1.1\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.0\r\n\r\n"), .method = YMK__METHOD_GET, .target = "/", .minor = 0},
	{IN("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHostname: a\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHostname: a\r\nHost: b\r\n\r\n"), .method = YMK__METHOD_GET,
	 .target = "/", .minor = 1, .host = "b", .n_headers = 2, .hname = "host", .hvalue = "b"},
	{IN("GET / HTTP/1.1\r\nX-Host: a\r\nHos: a\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nhOsT:  a.example:8080 \r\n\r\n"), .method = YMK__METHOD_GET,
	 .target = "/", .minor = 1, .host = "a.example:8080", .n_headers = 1},
	{IN("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"), .method = YMK__METHOD_GET, .target = "/",
	 .minor = 1, .host = "[::1]:80", .n_headers = 1},
	{IN("GET / HTTP/1.1\r\nHost: a_b~!$&'()*+,;=%20-.Z\r\n\r\n"), .method = YMK__METHOD_GET,
	 .target = "/", .minor = 1, .host = "a_b~!$&'()*+,;=%20-.Z", .n_headers = 1},
	{IN("GET / HTTP/1.1\r\nHost:\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost:   \r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.0\r\nHost:\r\n\r\n"), .method = YMK__METHOD_GET, .target = "/", .host = "",
	 .n_headers = 1},
	{IN("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: \xc3\xa9\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.0\r\nHost: a\"b\r\n\r\n"), .ret = 400},

	/* 47: versions */
	{IN("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), .ret = 505},
	{IN("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), .ret = 505},
	{IN("GET / HTTP/0.9\r\n\r\n"), .ret = 505},
	{IN("GET / HTTP/3\r\n\r\n"), .ret = 505},
	{IN("GET / HTTP/1.10\r\n\r\n"), .ret = 505},
	{IN("GET / HTTP/01.1\r\n\r\n"), .ret = 505},
	{IN("GET / HTTP/1.1x\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("GET / http/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/.1\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1.1\r\n\r\n"), .ret = 400},
	{IN("GET / HTTPS/1.1\r\n\r\n"), .ret = 400},
	{IN("GET /\r\n\r\n"), .ret = 400},
	{IN("GET / \r\n\r\n"), .ret = 400},
	{IN("GET\r\n\r\n"), .ret = 400},

	/* 63: request line shape */
	{IN("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1 x\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("GET /\tx HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("G@T / HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("G\xc3\xa9T / HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("\0GET / HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},

	/* 76: bare CR, NUL and other CTLs */
	{IN("GET / HTTP/1.1\rHost: a\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{GET11("X: a\rb\r\n"), .ret = 400},
	{GET11("X: a\r\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n"), .ret = 400},
	{GET11("X: a\0b\r\n"), .ret = 400},
	{GET11("X\0: b\r\n"), .ret = 400},
	{GET11("X: \x01\r\n"), .ret = 400},
	{GET11("X: \x1f\r\n"), .ret = 400},
	{GET11("X: a\x7f\r\n"), .ret = 400},

	/* 87: field line shape */
	{GET11("X: a\r\n b\r\n"), .ret = 400},
	{GET11("X: a\r\n\tb\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"), .ret = 400},
	{GET11("X a\r\n"), .ret = 400},
	{GET11(": a\r\n"), .ret = 400},
	{GET11("X(y: a\r\n"), .ret = 400},
	{GET11("X@Y: a\r\n"), .ret = 400},
	{GET11("X\xc3\xa9: a\r\n"), .ret = 400},
	{GET11("X\r\n"), .ret = 400},

	/* 98: Content-Length */
	{GET11("Content-Length: 0\r\n"), OK_GET11, .n_headers = 2, .has_cl = 1, .cl = 0},
	{GET11("content-LENGTH: 007\r\n"), OK_GET11, .n_headers = 2, .has_cl = 1, .cl = 7},
	{GET11("Content-Length: 5\r\nContent-Length: 5\r\n"), OK_GET11, .n_headers = 3, .has_cl = 1, .cl = 5},
	{GET11("Content-Length: 5, 5\r\n"), OK_GET11, .n_headers = 2, .has_cl = 1, .cl = 5},
	{GET11("Content-Length: 5,05\r\nContent-Length: 5 \r\n"), OK_GET11, .n_headers = 3, .has_cl = 1, .cl = 5},
	{GET11("Content-Length: 9223372036854775807\r\n"), OK_GET11, .n_headers = 2, .has_cl = 1,
	 .cl = INT64_MAX},
	{GET11("Content-Length: 5, 6\r\n"), .ret = 400},
	{GET11("Content-Length: 5\r\nContent-Length: 6\r\n"), .ret = 400},
	{GET11("Content-Length: abc\r\n"), .ret = 400},
	{GET11("Content-Length: -1\r\n"), .ret = 400},
	{GET11("Content-Length: +5\r\n"), .ret = 400},
	{GET11("Content-Length: 0x5\r\n"), .ret = 400},
	{GET11("Content-Length: 5 5\r\n"), .ret = 400},
	{GET11("Content-Length:\r\n"), .ret = 400},
	{GET11("Content-Length: 5,\r\n"), .ret = 400},
	{GET11("Content-Length: ,5\r\n"), .ret = 400},
	{GET11("Content-Length: 9223372036854775808\r\n"), .ret = 400},
	{GET11("Content-Length: 99999999999999999999\r\n"), .ret = 400},

	/* 116: Transfer-Encoding */
	{GET11("Transfer-Encoding: chunked\r\n"), OK_GET11, .n_headers = 2, .chunked = 1},
	{GET11("Transfer-Encoding: gzip, chunked\r\n"), .ret = 501},
	{GET11("transfer-encoding: gzip\r\nTransfer-Encoding: CHUNKED\r\n"), .ret = 501},
	{GET11("Transfer-Encoding: , chunked ,\r\n"), OK_GET11, .n_headers = 2, .chunked = 1},
	{GET11("Transfer-Encoding: gzip\r\n"), .ret = 400},
	{GET11("Transfer-Encoding: chunked, gzip\r\n"), .ret = 400},
	{GET11("Transfer-Encoding: chunked, chunked\r\n"), .ret = 400},
	{GET11("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), .ret = 400},
	{GET11("Transfer-Encoding:\r\n"), .ret = 400},
	{GET11("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), .ret = 400},
	{GET11("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), .ret = 400},
	{GET11("Transfer-Encoding: xchunked\r\n"), .ret = 400},
	{IN("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), .ret = 400},

	/* 129: Connection and Expect */
	{GET11("Connection: close\r\n"), OK_GET11, .n_headers = 2, .close = 1},
	{GET11("Connection: Upgrade, Keep-Alive\r\n"), OK_GET11, .n_headers = 2, .keep_alive = 1},
	{GET11("Connection: foo ,\tCLOSE , bar\r\n"), OK_GET11, .n_headers = 2, .close = 1},
	{GET11("Connection: keep-alive\r\nConnection: close\r\n"), OK_GET11, .n_headers = 3,
	 .close = 1, .keep_alive = 1},
	{GET11("Connection: closed, keep-alive-x\r\n"), OK_GET11, .n_headers = 2},
	{GET11("Expect: 100-continue\r\n"), OK_GET11, .n_headers = 2, .expect_continue = 1},
	{GET11("Expect: 100-Continue \r\n"), OK_GET11, .n_headers = 2, .expect_continue = 1},
	{GET11("Expect: 200-ok\r\n"), OK_GET11, .n_headers = 2, .expect_other = 1},
	{GET11("Expect:\r\n"), OK_GET11, .n_headers = 2, .expect_other = 1},

	/* 138: incomplete input */
	{IN(""), .ret = AGAIN},
	{IN("\r"), .ret = AGAIN},
	{IN("\r\n\n"), .ret = AGAIN},
	{IN("GET / HTTP/1."), .ret = AGAIN},
	{IN("GET / HTTP/1.1\r"), .ret = AGAIN},
	{IN("GET / HTTP/1.1\r\nHost: a\r\n"), .ret = AGAIN},
	{IN("GET / HTTP/1.1\r\nHost: a\r\n\r"), .ret = AGAIN},
	{IN("GET / HTTP/9.9\r"), .ret = AGAIN},

	/* 146: 414 */
	{IN("GET /"), FILL("a", LINE_FILL_MAX), SUF(" HTTP/1.1\r\nHost: a\r\n\r\n"),
	 .method = YMK__METHOD_GET, .minor = 1, .host = "a", .n_headers = 1},
	{IN("GET /"), FILL("a", LINE_FILL_MAX + 1), SUF(" HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 414},
	{IN("GET /"), FILL("a", LINE_FILL_MAX), SUF(" HTTP/1.1\r"), .ret = AGAIN},
	{IN("GET /"), FILL("a", LINE_FILL_MAX), SUF(" HTTP/1.1x"), .ret = 414},
	{IN("GET /"), FILL("a", 5000), .ret = 414},
	{IN("GET /"), FILL("a", 5000), SUF(" HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 414},
	{IN("GET /"), FILL("a", 2), SUF(" HTTP/1.0\r\n\r\n"), .lim = &lim_line16,
	 .method = YMK__METHOD_GET, .target = "/aa"},
	{IN("GET /"), FILL("a", 3), SUF(" HTTP/1.0\r\n\r\n"), .lim = &lim_line16, .ret = 414},
	{IN("GET /"), FILL("a", 3), SUF(" HTTP/1.0"), .lim = &lim_line16, .ret = 414},
	{IN("\r\n\r\nGET /aa HTTP/1.0\r"), .lim = &lim_line16, .ret = AGAIN},
	{IN("GET /aa HTTP/1.0"), .lim = &lim_line16, .ret = AGAIN},
	{IN("GET /aa HTTP/1.0\rX"), .lim = &lim_line16, .ret = 414},
	{IN("x"), .lim = &lim_zero, .ret = 414},

	/* 159: 431 */
	{IN("GET / HTTP/1.1\r\nHost: a\r\nX: "), FILL("b", 9000), .ret = 431},
	{IN("GET / HTTP/1.1\r\nHost: a\r\nX: "), FILL("b", 9000), SUF("\r\n\r\n"), .ret = 431},
	{IN("GET / HTTP/1.1\r\nHost: a\r\n"), FILL("X: " LINE95 "\r\n", 100), .ret = 431},
	{IN("GET / HTTP/1.1\r\nHost: a\r\nX: "), FILL("b", 32), SUF("\r\n\r\n"), .lim = &lim_head64,
	 OK_GET11, .n_headers = 2, .hname = "X", .hvalue = NULL},
	{IN("GET / HTTP/1.1\r\nHost: a\r\nX: "), FILL("b", 33), SUF("\r\n\r\n"), .lim = &lim_head64, .ret = 431},
	{IN("GET / HTTP/1.1\r\nHost: a\r\nX: "), FILL("b", 36), .lim = &lim_head64, .ret = 431},
	{IN("\n\n\nGET / HTTP/1.1\r\nHost: a\r\nX: "), FILL("b", 32), SUF("\r\n\r\n"), .lim = &lim_head64,
	 OK_GET11, .n_headers = 2},
	{IN("GET / HTTP/1.1\r\nHost: a\r\nX: "), FILL("b", 35), .lim = &lim_head64, .ret = AGAIN},
	{IN("GET /aaaaaaaaaaaaaaaaaaaa"), .lim = &lim_head20, .ret = 431},
	{IN("GET /aaaaaaaaaaaaaaa"), .lim = &lim_head20, .ret = 431},
	{IN("GET /aaaaaaaaaaaaaa"), .lim = &lim_head20, .ret = AGAIN},
	{IN("GET /aaaa HTTP/1.0\n\n"), .lim = &lim_head20, .method = YMK__METHOD_GET, .target = "/aaaa"},
	{IN("GET /aaaaa HTTP/1.0\n\n"), .lim = &lim_head20, .ret = 431},
	{IN("GET /aaaaaa HTTP/1.0\n\n"), .lim = &lim_head20, .ret = 431},
	{IN("GET / HTTP/1.0\r\nX: y\r\n"), .lim = &lim_head20, .ret = 431},
	{IN("GET / HTTP/1.1\r\n"), FILL("X: y\r\n", 99), SUF("Host: a\r\n\r\n"), OK_GET11, .n_headers = 100},
	{IN("GET / HTTP/1.1\r\n"), FILL("X: y\r\n", 100), SUF("Host: a\r\n\r\n"), .ret = 431},
	{IN("GET / HTTP/1.1\r\n"), FILL("X: y\r\n", 101), .ret = 431},
	{GET11("X: y\r\n"), .lim = &lim_headers2, OK_GET11, .n_headers = 2},
	{GET11("X: y\r\nZ: z\r\n"), .lim = &lim_headers2, .ret = 431},
	{IN("GET / HTTP/1.1\r\nHost: a\r\nX"), .lim = &lim_headers1, .ret = 431},
	{IN("GET / HTTP/1.1\r\nHost: a\r\n\r"), .lim = &lim_headers1, .ret = AGAIN},
	{IN("GET / HTTP/1.0\r\n\r\n"), .lim = &lim_headers0, .method = YMK__METHOD_GET, .target = "/"},
	{IN("GET / HTTP/1.0\r\nX: y\r\n\r\n"), .lim = &lim_headers0, .ret = 431},
	{IN("GET / HTTP/1.1\r\n"), FILL("X: y\r\n", 255), SUF("Host: a\r\n\r\n"), .lim = &lim_headers_huge,
	 OK_GET11, .n_headers = 256},
	{IN("GET / HTTP/1.1\r\n"), FILL("X: y\r\n", 256), SUF("Host: a\r\n\r\n"), .lim = &lim_headers_huge,
	 .ret = 431},
	{IN("GET / HTTP/1.1\r\n"), .lim = &lim_zero, .ret = 414},
	{IN("\r\n"), .lim = &lim_zero, .ret = AGAIN},

	/* 187: Host must be uri-host [":" port]: the forms from issue 11, then the edges */
	{IN("GET / HTTP/1.1\r\nHost: a:asd\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: a:-1\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: [zz]]:80\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: .a.b.:c.\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.0\r\nHost: a:asd\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: a:99999999999999999999\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: :80\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: ::1\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: [v1.x]\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: 1.2.3\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: 256.0.0.1\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: a%2\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: a:8\t0\r\n\r\n"), .ret = 400},
	{IN("GET / HTTP/1.1\r\nHost: a:65535\r\n\r\n"), .method = YMK__METHOD_GET, .target = "/",
	 .minor = 1, .host = "a:65535", .n_headers = 1},
	{IN("GET / HTTP/1.1\r\nHost: a:\r\n\r\n"), .method = YMK__METHOD_GET, .target = "/",
	 .minor = 1, .host = "a:", .n_headers = 1},
	{IN("GET / HTTP/1.1\r\nHost: [::ffff:1.2.3.4]:0080\r\n\r\n"), .method = YMK__METHOD_GET,
	 .target = "/", .minor = 1, .host = "[::ffff:1.2.3.4]:0080", .n_headers = 1},
	{IN("GET / HTTP/1.1\r\nHost: 192.0.2.1:8080\r\n\r\n"), .method = YMK__METHOD_GET,
	 .target = "/", .minor = 1, .host = "192.0.2.1:8080", .n_headers = 1},

	/* 210: an absolute-form target's authority follows the same rule; userinfo is refused */
	{IN("GET http://a:asd/x HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("GET http://a:1:2/ HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("GET http://[zz]]:80/ HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("GET http://user@a/ HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n"), .ret = 400},
	{IN("GET https://a:65536?x HTTP/1.0\r\n\r\n"), .ret = 400},
	{IN("GET HTTP://A.example:8080 HTTP/1.0\r\n\r\n"), .method = YMK__METHOD_GET,
	 .target = "HTTP://A.example:8080"},
	{IN("GET https://[2001:db8::1]:8443/p?q#f HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n"),
	 .method = YMK__METHOD_GET, .target = "https://[2001:db8::1]:8443/p?q#f", .minor = 1,
	 .host = "[2001:db8::1]:8443", .n_headers = 1},
	{IN("GET http://a.example?x HTTP/1.0\r\n\r\n"), .method = YMK__METHOD_GET,
	 .target = "http://a.example?x"},
	/* Other schemes are not absolute-form http: path.c refuses them later. */
	{IN("GET ftp://a:asd/ HTTP/1.0\r\n\r\n"), .method = YMK__METHOD_GET, .target = "ftp://a:asd/"},
};

static size_t build_input(const struct parse_case *c, char *out, size_t cap)
{
	size_t fill_len = c->fill != NULL ? strlen(c->fill) : 0;
	size_t n = 0;

	ck_assert_uint_le(c->pre_len + fill_len * c->fill_n + c->suf_len, cap);
	if (c->pre_len > 0)
		memcpy(out, c->pre, c->pre_len);
	n = c->pre_len;
	for (size_t i = 0; i < c->fill_n; i++) {
		memcpy(out + n, c->fill, fill_len);
		n += fill_len;
	}
	if (c->suf_len > 0)
		memcpy(out + n, c->suf, c->suf_len);
	return n + c->suf_len;
}

static int slice_inside(const char *p, size_t n, const char *buf, size_t len)
{
	return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

static void check_slices(const struct ymk__http_request *req, const char *buf, size_t consumed)
{
	ck_assert(slice_inside(req->method, req->method_len, buf, consumed));
	ck_assert(slice_inside(req->target, req->target_len, buf, consumed));
	for (size_t i = 0; i < req->n_headers; i++) {
		ck_assert(slice_inside(req->headers[i].name, req->headers[i].name_len, buf, consumed));
		ck_assert(slice_inside(req->headers[i].value, req->headers[i].value_len, buf, consumed));
	}
	if (req->host != NULL)
		ck_assert(slice_inside(req->host, req->host_len, buf, consumed));
}

static void check_success(const struct parse_case *c, const struct ymk__http_request *req,
			  const char *buf, size_t len, size_t consumed)
{
	size_t want_consumed = c->consumed != 0 ? c->consumed : len;

	ck_assert_uint_eq(consumed, want_consumed);
	check_slices(req, buf, consumed);
	ck_assert_int_eq(req->method_id, c->method);
	if (c->target != NULL) {
		ck_assert_uint_eq(req->target_len, strlen(c->target));
		ck_assert(memcmp(req->target, c->target, req->target_len) == 0);
	}
	ck_assert_int_eq(req->version_minor, c->minor);
	ck_assert_uint_eq(req->n_headers, c->n_headers);
	ck_assert(req->content_length == (c->has_cl ? c->cl : -1));
	ck_assert_int_eq(req->chunked, c->chunked);
	ck_assert_int_eq(req->connection_close, c->close);
	ck_assert_int_eq(req->connection_keep_alive, c->keep_alive);
	ck_assert_int_eq(req->expect_continue, c->expect_continue);
	ck_assert_int_eq(req->has_expect_other, c->expect_other);
	if (c->host == NULL) {
		ck_assert_ptr_null(req->host);
	} else {
		ck_assert_ptr_nonnull(req->host);
		ck_assert_uint_eq(req->host_len, strlen(c->host));
		ck_assert(memcmp(req->host, c->host, req->host_len) == 0);
	}
	if (c->hname != NULL) {
		const struct ymk__http_header *h = ymk__http_find(req, c->hname);

		if (c->hvalue == NULL) {
			ck_assert_ptr_nonnull(h); /* present; value not compared (long fill) */
		} else {
			ck_assert_ptr_nonnull(h);
			ck_assert_uint_eq(h->value_len, strlen(c->hvalue));
			ck_assert(memcmp(h->value, c->hvalue, h->value_len) == 0);
		}
	}
}

static char input[ARENA_BYTES];
static struct ymk__http_request parsed;

START_TEST(test_parse_table)
{
	const struct parse_case *c = &cases[_i];
	const struct ymk__http_limits *lim = c->lim != NULL ? c->lim : &lim_default;
	size_t len = build_input(c, input, sizeof(input));
	size_t consumed = 0;
	const char *buf = place(input, len);
	int rc = ymk__http_parse(buf, len, lim, &parsed, &consumed);

	ck_assert_msg(rc == c->ret, "case %d: got %d, want %d", _i, rc, c->ret);
	if (rc == 0)
		check_success(c, &parsed, buf, len, consumed);
}
END_TEST

/* Every shorter input than a complete head must ask for more bytes; from the head's end on, the
 * same head must be found. A refused input must never be accepted on a prefix either. */
START_TEST(test_parse_prefixes)
{
	const struct parse_case *c = &cases[_i];
	const struct ymk__http_limits *lim = c->lim != NULL ? c->lim : &lim_default;
	size_t len = build_input(c, input, sizeof(input));
	size_t head = c->ret == 0 && c->consumed != 0 ? c->consumed : len;

	if (c->ret == AGAIN)
		return;
	for (size_t k = 0; k < len; k++) {
		size_t consumed = 0;
		const char *buf = place(input, k);
		int rc = ymk__http_parse(buf, k, lim, &parsed, &consumed);

		if (c->ret != 0) {
			ck_assert_msg(rc != 0, "case %d: prefix %zu accepted", _i, k);
			continue;
		}
		if (k < head) {
			ck_assert_msg(rc == AGAIN, "case %d: prefix %zu gave %d", _i, k, rc);
		} else {
			ck_assert_msg(rc == 0, "case %d: prefix %zu gave %d", _i, k, rc);
			ck_assert_uint_eq(consumed, head);
			check_slices(&parsed, buf, consumed);
		}
	}
}
END_TEST

/* A rejection must not depend on bytes that arrive later: once refused, longer input is refused. */
START_TEST(test_parse_errors_stick)
{
	const struct parse_case *c = &cases[_i];
	const struct ymk__http_limits *lim = c->lim != NULL ? c->lim : &lim_default;
	size_t len = build_input(c, input, sizeof(input));
	int seen_error = 0;

	for (size_t k = 0; k <= len; k += 1 + k / 64) {
		size_t consumed = 0;
		int rc = ymk__http_parse(place(input, k), k, lim, &parsed, &consumed);

		if (seen_error)
			ck_assert_msg(rc >= 400, "case %d: prefix %zu gave %d after an error", _i, k, rc);
		if (rc >= 400) {
			ck_assert(rc == 400 || rc == 414 || rc == 431 || rc == 501 || rc == 505);
			seen_error = 1;
		}
	}
}
END_TEST

struct ieq_case {
	const char *a;
	size_t alen;
	const char *b;
	int want;
};

#define S(x) x, sizeof(x) - 1

static const struct ieq_case ieq_cases[] = {
	{S("Host"), "host", 1},
	{S("HOST"), "hOsT", 1},
	{S("Hos"), "host", 0},
	{S("Hostx"), "host", 0},
	{S(""), "", 1},
	{S("a"), "", 0},
	{S(""), "a", 0},
	{S("@"), "`", 0},
	{S("["), "{", 0},
	{S("^"), "~", 0},
	{S("\xc0"), "\xe0", 0},
	{S("Content-Length"), "content-length", 1},
	{"hostname", 4, "HOST", 1},
};

START_TEST(test_ascii_ieq)
{
	const struct ieq_case *c = &ieq_cases[_i];
	const char *a = place(c->a, c->alen);

	ck_assert_msg(ymk__ascii_ieq(a, c->alen, c->b) == c->want, "ieq case %d", _i);
}
END_TEST

struct list_case {
	const char *value;
	size_t len;
	const char *token;
	int want;
};

static const struct list_case list_cases[] = {
	{S("close"), "close", 1},
	{S(" Close\t"), "close", 1},
	{S("keep-alive, close"), "close", 1},
	{S("keep-alive,close"), "keep-alive", 1},
	{S("closed"), "close", 0},
	{S("xclose"), "close", 0},
	{S("clo se"), "close", 0},
	{S(""), "close", 0},
	{S(",,close,,"), "close", 1},
	{S("a, b ,c"), "b", 1},
	{S("a, b ,c"), "d", 0},
	{"closeX", 5, "close", 1},
	{"close, keep", 9, "keep-alive", 0},
	{S("\"close\""), "close", 0},
};

START_TEST(test_list_has)
{
	const struct list_case *c = &list_cases[_i];
	const char *v = place(c->value, c->len);

	ck_assert_msg(ymk__http_list_has(v, c->len, c->token) == c->want, "list case %d", _i);
}
END_TEST

/* ymk__http_host_parse() on its own: the verdict, and for valid input the kind, the host slice
 * and the port. Every input ends at the guard page. */
struct host_case {
	const char *in;
	size_t len;
	int ret;
	enum ymk__host_kind kind;
	size_t name_len; /* the host slice is in[0..name_len) */
	int port;
};

#define HOST_OK(x, k, nlen, p) {S(x), 0, (k), (nlen), (p)}
#define HOST_BAD(x) {S(x), -1, 0, 0, 0}
#define NAME YMK__HOST_NAME
#define IPV4 YMK__HOST_IPV4
#define IPV6 YMK__HOST_IPV6

static const struct host_case host_cases[] = {
	/* the forms of issue 11 */
	HOST_BAD("a:asd"),
	HOST_BAD("a:-1"),
	HOST_BAD("a:1:2"),
	HOST_BAD("[zz]]:80"),
	HOST_BAD(".a.b.:c."),
	/* reg-names */
	HOST_OK("a", NAME, 1, -1),
	HOST_OK("example.org", NAME, 11, -1),
	HOST_OK("Example.ORG.", NAME, 12, -1),
	HOST_OK(".a.b.", NAME, 5, -1),
	HOST_OK("a..b", NAME, 4, -1),
	HOST_OK("xn--caf-dma.example", NAME, 19, -1),
	HOST_OK("a_b~!$&'()*+,;=-.Z", NAME, 18, -1),
	HOST_OK("%41%62", NAME, 6, -1),
	HOST_OK("caf%C3%A9", NAME, 9, -1),
	HOST_OK("1e100", NAME, 5, -1),
	HOST_OK("0x7f.0.0.1", NAME, 10, -1),
	HOST_OK("1.2.3.a", NAME, 7, -1),
	HOST_BAD(""),
	HOST_BAD("a b"),
	HOST_BAD("a/b"),
	HOST_BAD("a@b"),
	HOST_BAD("user@a:80"),
	HOST_BAD("a?b"),
	HOST_BAD("a#b"),
	HOST_BAD("a\"b"),
	HOST_BAD("a\\b"),
	HOST_BAD("a<b"),
	HOST_BAD("a]"),
	HOST_BAD("a[b"),
	HOST_BAD("a\tb"),
	HOST_BAD("a\0b"),
	HOST_BAD("caf\xc3\xa9"),
	HOST_BAD("a%"),
	HOST_BAD("a%4"),
	HOST_BAD("a%zz"),
	HOST_BAD("a%4g"),
	/* IPv4, and names that only look like one */
	HOST_OK("192.0.2.1", IPV4, 9, -1),
	HOST_OK("0.0.0.0", IPV4, 7, -1),
	HOST_OK("255.255.255.255:65535", IPV4, 15, 65535),
	HOST_OK("127.0.0.1:8080", IPV4, 9, 8080),
	HOST_BAD("256.0.0.1"),
	HOST_BAD("1.2.3.256"),
	HOST_BAD("1.2.3"),
	HOST_BAD("1.2.3.4.5"),
	HOST_BAD("1.2.3.4."),
	HOST_BAD(".1.2.3.4"),
	HOST_BAD("1..2.3"),
	HOST_BAD("010.0.0.1"),
	HOST_BAD("1.2.3.04"),
	HOST_BAD("1234.1.1.1"),
	HOST_BAD("80"),
	HOST_BAD("0"),
	HOST_BAD("."),
	/* IPv6 literals: every place "::" can stand, the IPv4 tail, the limits */
	HOST_OK("[::]", IPV6, 4, -1),
	HOST_OK("[::1]", IPV6, 5, -1),
	HOST_OK("[::1]:80", IPV6, 5, 80),
	HOST_OK("[1::]", IPV6, 5, -1),
	HOST_OK("[1::2]", IPV6, 6, -1),
	HOST_OK("[2001:DB8:0:0:8:800:200C:417A]", IPV6, 30, -1),
	HOST_OK("[2001:db8::8:800:200c:417a]:443", IPV6, 27, 443),
	HOST_OK("[1:2:3:4:5:6:7::]", IPV6, 17, -1),
	HOST_OK("[::2:3:4:5:6:7:8]", IPV6, 17, -1),
	HOST_OK("[1:2:3:4:5:6::8]", IPV6, 16, -1),
	HOST_OK("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]", IPV6, 41, -1),
	HOST_OK("[::ffff:192.0.2.1]", IPV6, 18, -1),
	HOST_OK("[::192.0.2.1]", IPV6, 13, -1),
	HOST_OK("[1:2:3:4:5:6:1.2.3.4]", IPV6, 21, -1),
	HOST_OK("[1:2:3:4:5::1.2.3.4]:1", IPV6, 20, 1),
	HOST_BAD("[]"),
	HOST_BAD("[:]"),
	HOST_BAD("[:::]"),
	HOST_BAD("[::1::]"),
	HOST_BAD("[1::2::3]"),
	HOST_BAD("[:1]"),
	HOST_BAD("[1:]"),
	HOST_BAD("[1:2:3:4:5:6:7]"),
	HOST_BAD("[1:2:3:4:5:6:7:8:9]"),
	HOST_BAD("[1:2:3:4:5:6:7:8::]"),
	HOST_BAD("[::1:2:3:4:5:6:7:8]"),
	HOST_BAD("[12345::1]"),
	HOST_BAD("[g::1]"),
	HOST_BAD("[::1.2.3]"),
	HOST_BAD("[::1.2.3.4:5]"),
	HOST_BAD("[::256.0.0.1]"),
	HOST_BAD("[1.2.3.4]"),
	HOST_BAD("[1:2:3:4:5:6:7:1.2.3.4]"),
	HOST_BAD("[1:2:3:4:5:6::1.2.3.4]"),
	HOST_BAD("[::a1.2.3.4]"),
	HOST_BAD("[::1"),
	HOST_BAD("[::1]x"),
	HOST_BAD("[::1]]"),
	HOST_BAD("[[::1]]"),
	HOST_BAD("::1"),
	HOST_BAD("[fe80::1%25eth0]"),
	HOST_BAD("[fe80::1%eth0]"),
	HOST_BAD("[v1.x]"),
	HOST_BAD("[V7.a:b]"),
	HOST_BAD("[example.org]"),
	/* ports */
	HOST_OK("a:0", NAME, 1, 0),
	HOST_OK("a:80", NAME, 1, 80),
	HOST_OK("a:65535", NAME, 1, 65535),
	HOST_OK("a:000000000000000000080", NAME, 1, 80),
	HOST_OK("a:", NAME, 1, -1),
	HOST_OK("[::1]:", IPV6, 5, -1),
	HOST_BAD("a:65536"),
	HOST_BAD("a:99999"),
	HOST_BAD("a:18446744073709551697"),
	HOST_BAD("a:+80"),
	HOST_BAD("a: 80"),
	HOST_BAD("a:80 "),
	HOST_BAD("a:8a"),
	HOST_BAD("a::80"),
	HOST_BAD(":80"),
	HOST_BAD(":"),
	HOST_BAD("[::1]::80"),
	HOST_BAD("[::1]80"),
};

START_TEST(test_host_parse)
{
	const struct host_case *c = &host_cases[_i];
	const char *in = place(c->in, c->len);
	struct ymk__host h;
	int rc;

	memset(&h, 0xa5, sizeof h);
	rc = ymk__http_host_parse(in, c->len, &h);
	ck_assert_msg(rc == c->ret, "host case %d (%s): got %d, want %d", _i, c->in, rc, c->ret);
	/* The verdict does not depend on whether the caller wants the parts. */
	ck_assert_int_eq(ymk__http_host_parse(in, c->len, NULL), c->ret);
	if (rc != 0)
		return;
	ck_assert_msg(h.kind == c->kind, "host case %d (%s): kind %d, want %d", _i, c->in, h.kind,
		      c->kind);
	ck_assert_ptr_eq(h.name, in);
	ck_assert_msg(h.name_len == c->name_len, "host case %d (%s): name_len %zu, want %zu", _i,
		      c->in, h.name_len, c->name_len);
	ck_assert_msg(h.port == c->port, "host case %d (%s): port %d, want %d", _i, c->in, h.port,
		      c->port);
}
END_TEST

/* Every proper prefix of a valid IPv6 literal is refused (no bracket left open is valid), and
 * NULL is refused without a read. */
START_TEST(test_host_parse_prefixes)
{
	static const char lit[] = "[2001:db8::ffff:192.0.2.1]:8080";

	ck_assert_int_eq(ymk__http_host_parse(NULL, 0, NULL), -1);
	for (size_t k = 1; k < sizeof lit - 1; k++) {
		int want = k >= LEN("[2001:db8::ffff:192.0.2.1]") ? 0 : -1;

		ck_assert_msg(ymk__http_host_parse(place(lit, k), k, NULL) == want, "prefix %zu", k);
	}
}
END_TEST

/* Where an absolute-form target's authority lies; every target ends at the guard page. */
START_TEST(test_target_authority)
{
	static const struct {
		const char *t;
		int want;
		size_t start, end;
	} rows[] = {
		{"http://a.example/p", 1, 7, 16},
		{"HTTPS://[::1]:8443?q", 1, 8, 18},
		{"hTtP://a#f", 1, 7, 8},
		{"http://a:80", 1, 7, 11},
		{"http://", 1, 7, 7},
		{"http:///x", 1, 7, 7},
		{"http:/a", 0, 0, 0},
		{"http:", 0, 0, 0},
		{"https:/", 0, 0, 0},
		{"ftp://a/", 0, 0, 0},
		{"/http://a", 0, 0, 0},
		{"", 0, 0, 0},
	};

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		size_t n = strlen(rows[i].t), start = 99, end = 99;
		int rc = ymk__http_target_authority(place(rows[i].t, n), n, &start, &end);

		ck_assert_msg(rc == rows[i].want, "%s: %d", rows[i].t, rc);
		if (rc)
			ck_assert_msg(start == rows[i].start && end == rows[i].end, "%s: [%zu, %zu)",
				      rows[i].t, start, end);
	}
}
END_TEST

START_TEST(test_list_has_null_empty)
{
	ck_assert_int_eq(ymk__http_list_has(NULL, 0, "close"), 0);
}
END_TEST

START_TEST(test_find)
{
	static const char raw[] = "GET / HTTP/1.1\r\nHost: a\r\nX-One: 1\r\nx-one: 2\r\nHostname: h\r\n\r\n";
	size_t len = sizeof(raw) - 1, consumed = 0;
	const char *buf = place(raw, len);
	const struct ymk__http_header *h;

	ck_assert_int_eq(ymk__http_parse(buf, len, &lim_default, &parsed, &consumed), 0);
	h = ymk__http_find(&parsed, "X-ONE");
	ck_assert_ptr_eq(h, &parsed.headers[1]);
	ck_assert_uint_eq(h->value_len, 1);
	ck_assert_int_eq(h->value[0], '1');
	ck_assert_uint_eq(h->name_len, 5);
	ck_assert(memcmp(h->name, "X-One", 5) == 0); /* case preserved */
	ck_assert_ptr_eq(ymk__http_find(&parsed, "hostname"), &parsed.headers[3]);
	ck_assert_ptr_eq(ymk__http_find(&parsed, "host"), &parsed.headers[0]);
	ck_assert_ptr_null(ymk__http_find(&parsed, "hos"));
	ck_assert_ptr_null(ymk__http_find(&parsed, "x-one-two"));
	ck_assert_ptr_null(ymk__http_find(&parsed, ""));
}
END_TEST

/* A head that arrives one byte per read must be found exactly when its last byte arrives. */
START_TEST(test_byte_by_byte)
{
	static const char raw[] = "\r\nPUT /up%20load HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
				  "Expect: 100-continue\r\nConnection: keep-alive\r\n\r\n5\r\nhello\r\n";
	size_t head = sizeof("\r\nPUT /up%20load HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
			     "Expect: 100-continue\r\nConnection: keep-alive\r\n\r\n") - 1;
	size_t k, consumed = 0;
	int rc = AGAIN;

	for (k = 0; k <= sizeof(raw) - 1 && rc == AGAIN; k++)
		rc = ymk__http_parse(place(raw, k), k, &lim_default, &parsed, &consumed);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(k - 1, head);
	ck_assert_uint_eq(consumed, head);
	ck_assert_int_eq(parsed.method_id, YMK__METHOD_PUT);
	ck_assert_int_eq(parsed.chunked, 1);
	ck_assert_int_eq(parsed.expect_continue, 1);
	ck_assert_int_eq(parsed.connection_keep_alive, 1);
	ck_assert(parsed.content_length == -1);
}
END_TEST

#define N_ELEMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *http_parse_suite(void)
{
	Suite *s = suite_create("http_parse");
	TCase *tc = tcase_create("parse");
	TCase *th = tcase_create("helpers");

	tcase_add_checked_fixture(tc, arena_setup, arena_teardown);
	tcase_add_loop_test(tc, test_parse_table, 0, N_ELEMS(cases));
	tcase_add_loop_test(tc, test_parse_prefixes, 0, N_ELEMS(cases));
	tcase_add_loop_test(tc, test_parse_errors_stick, 0, N_ELEMS(cases));
	tcase_add_test(tc, test_byte_by_byte);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(th, arena_setup, arena_teardown);
	tcase_add_loop_test(th, test_ascii_ieq, 0, N_ELEMS(ieq_cases));
	tcase_add_loop_test(th, test_list_has, 0, N_ELEMS(list_cases));
	tcase_add_test(th, test_list_has_null_empty);
	tcase_add_loop_test(th, test_host_parse, 0, N_ELEMS(host_cases));
	tcase_add_test(th, test_host_parse_prefixes);
	tcase_add_test(th, test_target_authority);
	tcase_add_test(th, test_find);
	suite_add_tcase(s, th);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(http_parse_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
