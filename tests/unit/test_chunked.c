/* test_chunked.c: table tests for the incremental chunked decoder. Every row is decoded in several
 * ways: whole, byte by byte, in pseudo-random pieces, and with output space of 1 and 3 bytes, and
 * all of them must agree with the row on the result, the decoded data, d->total and the number of
 * input bytes used (the end of the body, or the offending byte for an error), which is what makes
 * the decoder safe to drive from partial reads. Each piece of input is copied so that it ends right
 * at a PROT_NONE page, and the output buffer ends at one too, so reading past in[0..in_len) or
 * writing past out[0..out_cap) faults at once. Generated rows cover the line and trailer limits. */
#include "chunked.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard.h"

#define S(x) x, sizeof(x) - 1
#define ALL ((size_t)-1) /* consumed: the whole row */
#define NO_LIMIT UINT64_MAX
#define TOO_LARGE YMK__CHUNKED_TOO_LARGE

struct chunked_case {
	const char *in;
	size_t len;
	int want;         /* 1 done, 0 more input needed, -1 malformed, -2 too large */
	const char *data; /* the decoded data */
	size_t data_len;
	size_t at; /* input bytes used: end of body or offending byte; ALL for the whole row */
};

#define BODY_OK "5\r\nhello\r\n0\r\n\r\n"

static const struct chunked_case cases[] = {
	/* Valid bodies. */
	{S("0\r\n\r\n"), 1, S(""), ALL},
	{S(BODY_OK), 1, S("hello"), ALL},
	{S("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), 1, S("hello world"), ALL},
	{S("A\r\n0123456789\r\n0\r\n\r\n"), 1, S("0123456789"), ALL},
	{S("a\r\n0123456789\r\n0\r\n\r\n"), 1, S("0123456789"), ALL},
	{S("000005\r\nhello\r\n0000\r\n\r\n"), 1, S("hello"), ALL},
	{S("00000000000000000000001\r\nx\r\n0\r\n\r\n"), 1, S("x"), ALL},
	{S("1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n"), 1, S("abc"), ALL},
	{S("4\r\n\r\n\0\n\r\n0\r\n\r\n"), 1, S("\r\n\0\n"), ALL},
	{S("3\r\n\xff\x80\x00\r\n0\r\n\r\n"), 1, S("\xff\x80\x00"), ALL},
	/* Extensions, BWS only before ';' and around '=' / after ';'. */
	{S("5;ext\r\nhello\r\n0\r\n\r\n"), 1, S("hello"), ALL},
	{S("5;a=b\r\nhello\r\n0;last\r\n\r\n"), 1, S("hello"), ALL},
	{S("5;a=\"q v\"\r\nhello\r\n0\r\n\r\n"), 1, S("hello"), ALL},
	{S("5;a=\"x\\\"y\"\r\nhello\r\n0\r\n\r\n"), 1, S("hello"), ALL},
	{S("5;a=\"\"\r\nhello\r\n0\r\n\r\n"), 1, S("hello"), ALL},
	{S("5 ;a\r\nhello\r\n0\r\n\r\n"), 1, S("hello"), ALL},
	{S("5\t; a = b ;c\r\nhello\r\n0\r\n\r\n"), 1, S("hello"), ALL},
	{S("5;a;b;c=d\r\nhello\r\n0\r\n\r\n"), 1, S("hello"), ALL},
	{S("5;a=\"\xc3\xa9\t\"\r\nhello\r\n0\r\n\r\n"), 1, S("hello"), ALL},
	{S("5;a=!#$%&'*+-.^_`|~\r\nhello\r\n0\r\n\r\n"), 1, S("hello"), ALL},
	{S("5;a=\"x\" ;b\r\nhello\r\n0\r\n\r\n"), 1, S("hello"), ALL},
	/* Trailers. */
	{S("5\r\nhello\r\n0\r\nX-Sum: abc\r\nY: \r\n\r\n"), 1, S("hello"), ALL},
	{S("0\r\nX:\r\n\r\n"), 1, S(""), ALL},
	{S("0\r\nX: \xc3\xa9 \t v\r\n\r\n"), 1, S(""), ALL},
	/* Bytes after the end belong to the next request. */
	{S("0\r\n\r\nGET / HTTP/1.1\r\n"), 1, S(""), 5},
	{S("5\r\nhello\r\n0\r\n\r\n0\r\n\r\n"), 1, S("hello"), 15},
	/* Incomplete: everything is used and more is needed. */
	{S(""), 0, S(""), ALL},
	{S("5"), 0, S(""), ALL},
	{S("5\r"), 0, S(""), ALL},
	{S("5\r\nhel"), 0, S("hel"), ALL},
	{S("5\r\nhello"), 0, S("hello"), ALL},
	{S("5\r\nhello\r"), 0, S("hello"), ALL},
	{S("5\r\nhello\r\n0\r\n"), 0, S("hello"), ALL},
	{S("5\r\nhello\r\n0\r\n\r"), 0, S("hello"), ALL},
	{S("5\r\nhello\r\n0\r\nX: y\r\n"), 0, S("hello"), ALL},
	{S("5;a=\"unterminated"), 0, S(""), ALL},
	{S("FFFFFFFFFFFFFFFF\r\nab"), 0, S("ab"), ALL},
	{S("ffffffffffffffff;x\r\nab"), 0, S("ab"), ALL},
	/* Malformed sizes. */
	{S("0x10\r\n"), -1, S(""), 1},
	{S("-1\r\n"), -1, S(""), 0},
	{S("+5\r\n"), -1, S(""), 0},
	{S(" 5\r\n"), -1, S(""), 0},
	{S("5 \r\nhello\r\n"), -1, S(""), 2},
	{S("5\t\r\nhello\r\n"), -1, S(""), 2},
	{S("\r\n"), -1, S(""), 0},
	{S("\n"), -1, S(""), 0},
	{S(";a\r\n"), -1, S(""), 0},
	{S("G\r\n"), -1, S(""), 0},
	{S("5\0\r\nhello"), -1, S(""), 1},
	{S("10000000000000000\r\n"), -1, S(""), 16},
	{S("00010000000000000000\r\n"), -1, S(""), 19},
	{S("5 5\r\n"), -1, S(""), 2},
	/* Bad line ends. */
	{S("5\rX"), -1, S(""), 2},
	{S("5\r\r\n"), -1, S(""), 2},
	{S("5\r\nhelloX\r\n0\r\n\r\n"), -1, S("hello"), 8},
	{S("5\r\nhello\rX"), -1, S("hello"), 9},
	{S("5\r\nhello\r\r\n"), -1, S("hello"), 9},
	{S("5\r\nhello\r\n0\r\n\rX"), -1, S("hello"), 14},
	{S("5\r\nhello\r\n0\r\nX: y\rZ"), -1, S("hello"), 18},
	{S("5\r\nhello\r\n0\r\nX: y\r\r\n"), -1, S("hello"), 18},
	/* A bare LF is no line end inside chunked framing: after a size line (with or without
	 * extensions), after data, after a trailer line, or as the final empty line. */
	{S("3\nabc\n0\n\n"), -1, S(""), 1},
	{S("5\nhello\n0\n\n"), -1, S(""), 1},
	{S("5\n\r\nhello"), -1, S(""), 1},
	{S("5;a\nhello\r\n"), -1, S(""), 3},
	{S("5;a=b\nhello\r\n0\r\nX: y\n\r\n"), -1, S(""), 5},
	{S("5;a=\"x\"\nhello\r\n"), -1, S(""), 7},
	{S("5\r\nhello\n"), -1, S("hello"), 8},
	{S("5\r\nhello\n0\nX: y\r\n\n"), -1, S("hello"), 8},
	{S("5\r\nhello\r\n0\n\r\n"), -1, S("hello"), 11},
	{S("5\r\nhello\r\n0\r\n\n"), -1, S("hello"), 13},
	{S("5\r\nhello\r\n0\r\nX: y\n\r\n"), -1, S("hello"), 17},
	{S("0\r\nX: y\r\n\n"), -1, S(""), 9},
	{S("0\n\nX"), -1, S(""), 1},
	/* Malformed extensions. */
	{S("5;\r\n"), -1, S(""), 2},
	{S("5; \r\n"), -1, S(""), 3},
	{S("5;a=\r\n"), -1, S(""), 4},
	{S("5;a \r\n"), -1, S(""), 4},
	{S("5;a=b \r\n"), -1, S(""), 6},
	{S("5;a\rb"), -1, S(""), 4},
	{S("5;a\x01\r\n"), -1, S(""), 3},
	{S("5;a=b\x7f\r\n"), -1, S(""), 5},
	{S("5;a=\"x\x01\"\r\n"), -1, S(""), 6},
	{S("5;a=\"x\0\"\r\n"), -1, S(""), 6},
	{S("5;a=\"x\x7f\"\r\n"), -1, S(""), 6},
	{S("5;a=\"x\r\n"), -1, S(""), 6},
	{S("5;a=\"x\\\x01\"\r\n"), -1, S(""), 7},
	{S("5;a=\"x\"y\r\n"), -1, S(""), 7},
	{S("5;a b\r\n"), -1, S(""), 4},
	{S("5;a=b c\r\n"), -1, S(""), 6},
	{S("5;a==b\r\n"), -1, S(""), 4},
	{S("5;\"a\"\r\n"), -1, S(""), 2},
	{S("5;a=b\xc3\xa9\r\n"), -1, S(""), 5},
	{S("5;a\xc3\xa9\r\n"), -1, S(""), 3},
	{S("5;a,b\r\n"), -1, S(""), 3},
	/* Malformed trailers. */
	{S("5\r\nhello\r\n0\r\n X: y\r\n\r\n"), -1, S("hello"), 13},
	{S("5\r\nhello\r\n0\r\nX : y\r\n\r\n"), -1, S("hello"), 14},
	{S("5\r\nhello\r\n0\r\n: y\r\n\r\n"), -1, S("hello"), 13},
	{S("5\r\nhello\r\n0\r\nXy\r\n\r\n"), -1, S("hello"), 15},
	{S("5\r\nhello\r\n0\r\nX: a\x01" "b\r\n\r\n"), -1, S("hello"), 17},
	{S("5\r\nhello\r\n0\r\nX: a\0b\r\n\r\n"), -1, S("hello"), 17},
	{S("0\r\nX\xc3\xa9: y\r\n\r\n"), -1, S(""), 4},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* How to cut the input and how much output room to give each call. */
enum split_mode { SPLIT_WHOLE, SPLIT_BYTES, SPLIT_RANDOM };

struct run_result {
	int rc;
	size_t used;
	uint64_t total;
	char *data; /* caller-provided, data_cap bytes */
	size_t data_len;
};

static uint32_t lcg_next(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

/* Decodes in[0..len) cut by mode, with out_cap bytes of output room per call, into r. Feeding
 * stops at the first non-zero result, as the connection would. */
static void run_decoder(const char *in, size_t len, uint64_t limit, enum split_mode mode,
			uint32_t seed, size_t out_cap, struct run_result *r, size_t data_cap)
{
	struct ymk__chunked d;
	struct guard gin, gout;
	size_t pos = 0, window_end = 0;
	char *out;

	guard_init(&gin, len);
	guard_init(&gout, out_cap);
	out = out_cap == 0 ? NULL : guard_end(&gout, out_cap);
	ymk__chunked_init(&d, limit);
	r->rc = 0;
	r->data_len = 0;
	for (;;) {
		size_t avail, consumed = 12345, produced = 12345;
		char *piece;

		if (pos == window_end) {
			size_t step = len - pos;

			if (mode == SPLIT_BYTES && step > 1)
				step = 1;
			else if (mode == SPLIT_RANDOM && step > 1)
				step = 1 + lcg_next(&seed) % (step < 17 ? step : 17);
			window_end = pos + step;
		}
		avail = window_end - pos;
		piece = guard_end(&gin, avail);
		if (avail > 0)
			memcpy(piece, in + pos, avail);
		r->rc = ymk__chunked_decode(&d, piece, avail, &consumed, out, out_cap, &produced);
		ck_assert_uint_le(consumed, avail);
		ck_assert_uint_le(produced, out_cap);
		ck_assert_uint_le(r->data_len + produced, data_cap);
		if (produced > 0)
			memcpy(r->data + r->data_len, out, produced);
		r->data_len += produced;
		pos += consumed;
		if (r->rc != 0)
			break;
		if (consumed < avail) {
			/* Only a full output may leave input behind. */
			ck_assert_uint_eq(produced, out_cap);
			continue;
		}
		if (pos == len)
			break;
	}
	r->used = pos;
	r->total = d.total;
	guard_free(&gin);
	guard_free(&gout);
}

/* Runs every way of feeding and checks each against the expectation. */
static void check_all_ways(const char *in, size_t len, uint64_t limit, int want, const char *data,
			   size_t data_len, size_t at, const char *label)
{
	static const struct {
		enum split_mode mode;
		size_t out_cap; /* 0 here means "as much as the input" */
		uint32_t seed;
	} ways[] = {
		{SPLIT_WHOLE, 0, 0},  {SPLIT_BYTES, 0, 0},  {SPLIT_WHOLE, 1, 0},
		{SPLIT_WHOLE, 3, 0},  {SPLIT_BYTES, 1, 0},  {SPLIT_BYTES, 3, 0},
		{SPLIT_RANDOM, 0, 1}, {SPLIT_RANDOM, 0, 7}, {SPLIT_RANDOM, 1, 3},
		{SPLIT_RANDOM, 3, 5}, {SPLIT_RANDOM, 2, 11}, {SPLIT_WHOLE, 4096, 0},
	};
	char *buf = malloc(len + 1);
	size_t w;

	ck_assert_ptr_nonnull(buf);
	for (w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
		struct run_result r;
		size_t cap = ways[w].out_cap != 0 ? ways[w].out_cap : (len > 0 ? len : 1);

		r.data = buf;
		run_decoder(in, len, limit, ways[w].mode, ways[w].seed, cap, &r, len + 1);
		ck_assert_msg(r.rc == want, "%s way %zu: rc %d, want %d", label, w, r.rc, want);
		ck_assert_msg(r.used == at, "%s way %zu: used %zu, want %zu", label, w, r.used, at);
		ck_assert_msg(r.data_len == data_len && memcmp(r.data, data, data_len) == 0,
			      "%s way %zu: data of %zu bytes, want %zu", label, w, r.data_len,
			      data_len);
		ck_assert_msg(r.total == data_len, "%s way %zu: total %llu", label, w,
			      (unsigned long long)r.total);
	}
	free(buf);
}

START_TEST(test_chunked_table)
{
	const struct chunked_case *c = &cases[_i];
	char label[32];

	snprintf(label, sizeof(label), "row %d", _i);
	check_all_ways(c->in, c->len, NO_LIMIT, c->want, c->data, c->data_len,
		       c->at == ALL ? c->len : c->at, label);
}
END_TEST

/* Generated rows at the edges of the line and trailer limits. */
struct built {
	char buf[3 * YMK__CHUNKED_TRAILER_MAX];
	size_t len;
};

static void add(struct built *b, const char *s, size_t n)
{
	ck_assert_uint_le(b->len + n, sizeof(b->buf));
	memcpy(b->buf + b->len, s, n);
	b->len += n;
}

static void add_fill(struct built *b, char c, size_t n)
{
	ck_assert_uint_le(b->len + n, sizeof(b->buf));
	memset(b->buf + b->len, c, n);
	b->len += n;
}

START_TEST(test_chunked_line_limit)
{
	static struct built b;
	size_t extra;

	/* "1;" + name: exactly YMK__CHUNKED_LINE_MAX bytes before the CRLF is fine, one more is not. */
	for (extra = 0; extra < 2; extra++) {
		size_t line = YMK__CHUNKED_LINE_MAX + extra;

		b.len = 0;
		add(&b, S("1;"));
		add_fill(&b, 'n', line - 2);
		add(&b, S("\r\nx\r\n0\r\n\r\n"));
		if (extra == 0)
			check_all_ways(b.buf, b.len, NO_LIMIT, 1, S("x"), b.len, "line max");
		else
			check_all_ways(b.buf, b.len, NO_LIMIT, -1, S(""), YMK__CHUNKED_LINE_MAX, "line max+1");
	}
	/* Leading zeros count towards the line, not towards the 16 digits. */
	b.len = 0;
	add_fill(&b, '0', YMK__CHUNKED_LINE_MAX - 1);
	add(&b, S("1\r\nx\r\n0\r\n\r\n"));
	check_all_ways(b.buf, b.len, NO_LIMIT, 1, S("x"), b.len, "zeros");
	b.len = 0;
	add_fill(&b, '0', YMK__CHUNKED_LINE_MAX);
	add(&b, S("1\r\nx\r\n0\r\n\r\n"));
	check_all_ways(b.buf, b.len, NO_LIMIT, -1, S(""), YMK__CHUNKED_LINE_MAX, "zeros+1");
	/* The last-chunk line has the same limit. */
	b.len = 0;
	add(&b, S("0;"));
	add_fill(&b, 'n', YMK__CHUNKED_LINE_MAX - 1);
	add(&b, S("\r\n\r\n"));
	check_all_ways(b.buf, b.len, NO_LIMIT, -1, S(""), YMK__CHUNKED_LINE_MAX, "last line");
}
END_TEST

START_TEST(test_chunked_trailer_limits)
{
	static struct built b;
	size_t head;

	/* One trailer line of exactly YMK__CHUNKED_LINE_MAX bytes, then one byte more. */
	b.len = 0;
	add(&b, S("0\r\nX:"));
	add_fill(&b, 'v', YMK__CHUNKED_LINE_MAX - 2);
	add(&b, S("\r\n\r\n"));
	check_all_ways(b.buf, b.len, NO_LIMIT, 1, S(""), b.len, "trailer line max");
	b.len = 0;
	add(&b, S("0\r\nX:"));
	add_fill(&b, 'v', YMK__CHUNKED_LINE_MAX - 1);
	add(&b, S("\r\n\r\n"));
	check_all_ways(b.buf, b.len, NO_LIMIT, -1, S(""), 3 + YMK__CHUNKED_LINE_MAX, "trailer line max+1");

	/* Two lines of 4094 + CRLF are 8192 bytes: at the limit. A third line goes over. */
	b.len = 0;
	add(&b, S("0\r\n"));
	head = b.len;
	add(&b, S("X:"));
	add_fill(&b, 'v', YMK__CHUNKED_TRAILER_MAX / 2 - 4);
	add(&b, S("\r\nY:"));
	add_fill(&b, 'v', YMK__CHUNKED_TRAILER_MAX / 2 - 4);
	add(&b, S("\r\n"));
	ck_assert_uint_eq(b.len - head, YMK__CHUNKED_TRAILER_MAX);
	add(&b, S("\r\n"));
	check_all_ways(b.buf, b.len, NO_LIMIT, 1, S(""), b.len, "trailers at max");
	b.len -= 2;
	add(&b, S("Z:\r\n\r\n"));
	check_all_ways(b.buf, b.len, NO_LIMIT, -1, S(""), head + YMK__CHUNKED_TRAILER_MAX,
		       "trailers over");
}
END_TEST

/* Many chunks of varied sizes, some with extensions, compared with the data that went in. */
START_TEST(test_chunked_many_chunks)
{
	static struct built b;
	static char want[YMK__CHUNKED_TRAILER_MAX];
	size_t want_len = 0, k;
	uint32_t seed = 42;

	b.len = 0;
	for (k = 0; k < 60; k++) {
		size_t n = 1 + lcg_next(&seed) % 200, j;
		char line[32];
		int ln;

		if (want_len + n > sizeof(want))
			break;
		if (k % 3 == 0)
			ln = snprintf(line, sizeof(line), "%zx;k=%zu\r\n", n, k);
		else
			ln = snprintf(line, sizeof(line), "%zX\r\n", n);
		add(&b, line, (size_t)ln);
		for (j = 0; j < n; j++)
			want[want_len + j] = (char)lcg_next(&seed);
		add(&b, want + want_len, n);
		want_len += n;
		add(&b, S("\r\n"));
	}
	add(&b, S("0\r\nA: b\r\n\r\n"));
	check_all_ways(b.buf, b.len, NO_LIMIT, 1, want, want_len, b.len, "many");
}
END_TEST

/* Body limits: a chunk size that takes the body past the limit is refused on the digit that
 * crosses it (the offending byte is not used), before the rest of its line and its data; exactly
 * at the limit is fine. */
struct limit_case {
	const char *in;
	size_t len;
	uint64_t limit;
	int want;
	const char *data;
	size_t data_len;
	size_t at;
};

#define GIB (1ull << 30)

static const struct limit_case limit_cases[] = {
	{S("a\r\n0123456789\r\n0\r\n\r\n"), 10, 1, S("0123456789"), ALL},
	{S("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"), 10, 1, S("helloworld"), ALL},
	{S("a;ext=1\r\n0123456789\r\n0;x\r\nT: v\r\n\r\n"), 10, 1, S("0123456789"), ALL},
	{S("00000000000a\r\n0123456789\r\n0\r\n\r\n"), 10, 1, S("0123456789"), ALL},
	{S("b\r\n0123456789a\r\n0\r\n\r\n"), 10, TOO_LARGE, S(""), 0},
	{S("F"), 10, TOO_LARGE, S(""), 0},
	{S("00000000000b\r\n"), 10, TOO_LARGE, S(""), 11},
	{S("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), 10, TOO_LARGE, S("hello"), 10},
	{S("3\r\nabc\r\n8;ext\r\n"), 10, TOO_LARGE, S("abc"), 8},
	{S("1\r\nx\r\n10"), 16, TOO_LARGE, S("x"), 7},
	{S("0\r\n\r\n"), 0, 1, S(""), ALL},
	{S("1\r\nx\r\n0\r\n\r\n"), 0, TOO_LARGE, S(""), 0},
	/* issue 11: 8000000000000000 against the 1 GiB default is refused at its 8th digit */
	{S("8000000000000000\r\n"), GIB, TOO_LARGE, S(""), 7},
	{S("40000000\r\n"), GIB, 0, S(""), ALL},
	{S("40000001\r\n"), GIB, TOO_LARGE, S(""), 7},
	/* a malformed byte before the crossing digit is a malformed body */
	{S("5\nFFFFFFFF"), 10, -1, S(""), 1},
	{S("G0000000000"), 10, -1, S(""), 0},
	/* without a limit, only the 64-bit total bounds the body */
	{S("1\r\nx\r\nFFFFFFFFFFFFFFFF\r\n"), NO_LIMIT, TOO_LARGE, S("x"), 21},
	{S("1\r\nx\r\nFFFFFFFFFFFFFFFE\r\n"), NO_LIMIT, 0, S("x"), ALL},
};

START_TEST(test_chunked_limits)
{
	const struct limit_case *c = &limit_cases[_i];
	char label[32];

	snprintf(label, sizeof(label), "limit row %d", _i);
	check_all_ways(c->in, c->len, c->limit, c->want, c->data, c->data_len,
		       c->at == ALL ? c->len : c->at, label);
}
END_TEST

/* Errors and the end are sticky; extra input afterwards is never touched. */
START_TEST(test_chunked_sticky)
{
	struct ymk__chunked d;
	char out[8];
	size_t used, made;

	ymk__chunked_init(&d, NO_LIMIT);
	ck_assert_int_eq(ymk__chunked_decode(&d, S("0\r\n\r\n"), &used, out, sizeof(out), &made), 1);
	ck_assert_uint_eq(used, 5);
	ck_assert_int_eq(ymk__chunked_decode(&d, S("5\r\nhello"), &used, out, sizeof(out), &made), 1);
	ck_assert_uint_eq(used, 0);
	ck_assert_uint_eq(made, 0);
	ck_assert_uint_eq(d.total, 0);

	ymk__chunked_init(&d, NO_LIMIT);
	ck_assert_int_eq(ymk__chunked_decode(&d, S("x"), &used, out, sizeof(out), &made), -1);
	ck_assert_int_eq(ymk__chunked_decode(&d, S("0\r\n\r\n"), &used, out, sizeof(out), &made),
			 -1);
	ck_assert_uint_eq(used, 0);
	ck_assert_uint_eq(made, 0);

	/* Too large is sticky too, and nothing of the refused chunk is taken. */
	ymk__chunked_init(&d, 4);
	ck_assert_int_eq(ymk__chunked_decode(&d, S("5\r\nhello"), &used, out, sizeof(out), &made),
			 TOO_LARGE);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(ymk__chunked_decode(&d, S("\r\nhello"), &used, out, sizeof(out), &made),
			 TOO_LARGE);
	ck_assert_uint_eq(used, 0);
	ck_assert_uint_eq(made, 0);
	ck_assert_uint_eq(d.total, 0);

	/* Reuse after init. */
	ymk__chunked_init(&d, NO_LIMIT);
	ck_assert_int_eq(ymk__chunked_decode(&d, S(BODY_OK), &used, out, sizeof(out), &made), 1);
	ck_assert_uint_eq(made, 5);
	ck_assert_uint_eq(d.total, 5);
}
END_TEST

/* With no output room the framing is still read up to the first data byte, then nothing moves. */
START_TEST(test_chunked_zero_out_cap)
{
	struct ymk__chunked d;
	char out[8];
	size_t used, made;

	ymk__chunked_init(&d, NO_LIMIT);
	ck_assert_int_eq(ymk__chunked_decode(&d, S(BODY_OK), &used, NULL, 0, &made), 0);
	ck_assert_uint_eq(used, 3);
	ck_assert_uint_eq(made, 0);
	ck_assert_int_eq(ymk__chunked_decode(&d, &BODY_OK[3], 2, &used, out, sizeof(out), &made), 0);
	ck_assert_uint_eq(used, 2);
	ck_assert_uint_eq(made, 2);
	ck_assert_int_eq(memcmp(out, "he", 2), 0);
	ck_assert_uint_eq(d.total, 2);
	/* A zero-length body needs no room at all. */
	ymk__chunked_init(&d, NO_LIMIT);
	ck_assert_int_eq(ymk__chunked_decode(&d, S("0\r\n\r\nnext"), &used, NULL, 0, &made), 1);
	ck_assert_uint_eq(used, 5);
}
END_TEST

/* The largest size parses; the total follows the data actually decoded. */
START_TEST(test_chunked_max_size)
{
	struct ymk__chunked d;
	char out[4];
	size_t used, made;

	ymk__chunked_init(&d, NO_LIMIT);
	ck_assert_int_eq(ymk__chunked_decode(&d, S("FFFFFFFFFFFFFFFF\r\nabcdef"), &used, out,
					     sizeof(out), &made),
			 0);
	ck_assert_uint_eq(used, 22);
	ck_assert_uint_eq(made, 4);
	ck_assert(d.remaining == UINT64_MAX - 4);
	ck_assert_uint_eq(d.total, 4);
}
END_TEST

static Suite *chunked_suite(void)
{
	Suite *s = suite_create("chunked");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_chunked_table, 0, (int)NCASES);
	tcase_add_loop_test(tc, test_chunked_limits, 0,
			    (int)(sizeof(limit_cases) / sizeof(limit_cases[0])));
	tcase_add_test(tc, test_chunked_line_limit);
	tcase_add_test(tc, test_chunked_trailer_limits);
	tcase_add_test(tc, test_chunked_many_chunks);
	tcase_add_test(tc, test_chunked_sticky);
	tcase_add_test(tc, test_chunked_zero_out_cap);
	tcase_add_test(tc, test_chunked_max_size);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(chunked_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
