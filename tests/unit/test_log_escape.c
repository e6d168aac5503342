/* test_log_escape.c: ymk_log_escape(), the public helper that makes request bytes safe for a log
 * line. A table of inputs with their exact escaped form; every input is given to the function at
 * every output size from 0 to one past what it needs, with the input and the output each ending
 * at a PROT_NONE page, so a read past in[0..len) or a write past out[0..cap) faults at once. Each
 * run must return the full length, NUL-terminate, write a prefix of the full form that ends
 * between two escapes, and never more than cap - 1 bytes. A last test sends all 256 byte values
 * through and reads the result back. */
#include "ymawky.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"

#define S(x) x, sizeof(x) - 1

struct escape_case {
	const char *in;
	size_t len;
	const char *want;
};

static const struct escape_case cases[] = {
	{S(""), ""},
	{S("/index.html"), "/index.html"},
	{S("/a b?c=d&e=%20#f"), "/a b?c=d&e=%20#f"},
	{S("~!@$%^&*()_+-={}[]|:;'<>,./`"), "~!@$%^&*()_+-={}[]|:;'<>,./`"},
	/* the bytes of issue 11: an 8-bit CSI, a quote, and high bytes */
	{S("/\x9b" "31m"), "/\\x9B31m"},
	{S("/a\"b"), "/a\\\"b"},
	{S("\" 200 0 \"-"), "\\\" 200 0 \\\"-"},
	{S("/back\\slash"), "/back\\\\slash"},
	{S("\\\""), "\\\\\\\""},
	{S("/caf\xc3\xa9"), "/caf\\xC3\\xA9"},
	{S("\xff\x80"), "\\xFF\\x80"},
	/* controls and DEL, which the parser refuses but an embedder may log from elsewhere */
	{S("a\r\nb"), "a\\x0D\\x0Ab"},
	{S("\x1b[2J"), "\\x1B[2J"},
	{S("\0"), "\\x00"},
	{S("\x7f"), "\\x7F"},
	{S("\t"), "\\x09"},
	{S("\x1f\x20\x7e\x7f"), "\\x1F ~\\x7F"},
};

#define NCASES ((int)(sizeof cases / sizeof cases[0]))

/* Whether k bytes of the full escaped text end between two escapes. */
static int at_escape_boundary(const char *full, size_t k)
{
	size_t i = 0;

	while (i < k) {
		if (full[i] != '\\')
			i++;
		else
			i += full[i + 1] == 'x' ? 4 : 2;
	}
	return i == k;
}

START_TEST(test_escape_table)
{
	const struct escape_case *c = &cases[_i];
	size_t want_len = strlen(c->want);
	struct guard gin, gout;
	char *in;

	guard_init(&gin, c->len);
	in = guard_end(&gin, c->len);
	if (c->len)
		memcpy(in, c->in, c->len);
	ck_assert_uint_eq(ymk_log_escape(NULL, 0, in, c->len), want_len);
	for (size_t cap = 0; cap <= want_len + 1; cap++) {
		char *out;
		size_t got, written;

		guard_init(&gout, cap);
		out = cap ? guard_end(&gout, cap) : NULL;
		if (cap)
			memset(out, '#', cap);
		got = ymk_log_escape(out, cap, in, c->len);
		ck_assert_msg(got == want_len, "case %d cap %zu: returned %zu, want %zu", _i, cap, got,
			      want_len);
		if (cap == 0) {
			guard_free(&gout);
			continue;
		}
		written = strlen(out); /* the NUL is inside out[0..cap), or strlen faults */
		ck_assert_uint_lt(written, cap);
		ck_assert_msg(memcmp(out, c->want, written) == 0, "case %d cap %zu: \"%s\"", _i, cap, out);
		if (cap > want_len)
			ck_assert_uint_eq(written, want_len);
		else
			ck_assert_msg(at_escape_boundary(c->want, written) &&
					      written + 4 >= cap,
				      "case %d cap %zu: cut at %zu", _i, cap, written);
		guard_free(&gout);
	}
	guard_free(&gin);
}
END_TEST

/* Every byte value on its own: printable ASCII and nothing else comes out, and the text reads
 * back to the input. */
START_TEST(test_escape_all_bytes)
{
	char in[256], out[4 * 256 + 1], back[256];
	size_t n, o = 0, b = 0;

	for (int i = 0; i < 256; i++)
		in[i] = (char)i;
	n = ymk_log_escape(out, sizeof out, in, sizeof in);
	ck_assert_uint_eq(n, strlen(out));
	/* 95 printable bytes, two of them with a backslash, 161 as \xHH */
	ck_assert_uint_eq(n, 93 + 2 * 2 + 161 * 4);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(out[i] >= 0x20 && out[i] < 0x7f, "byte %zu of the output is 0x%02x", i,
			      (unsigned char)out[i]);
	while (o < n) {
		if (out[o] != '\\') {
			back[b++] = out[o++];
		} else if (out[o + 1] == 'x') {
			unsigned v;

			ck_assert_int_eq(sscanf(out + o + 2, "%2X", &v), 1);
			back[b++] = (char)v;
			o += 4;
		} else {
			ck_assert(out[o + 1] == '"' || out[o + 1] == '\\');
			back[b++] = out[o + 1];
			o += 2;
		}
	}
	ck_assert_uint_eq(b, sizeof in);
	ck_assert(memcmp(back, in, sizeof in) == 0);
	/* No quote without its backslash: the output can sit inside "..." of a log format. */
	for (size_t i = 0; i < n; i++)
		if (out[i] == '"')
			ck_assert(i > 0 && out[i - 1] == '\\');
}
END_TEST

START_TEST(test_escape_null_input)
{
	char out[4] = "xyz";

	ck_assert_uint_eq(ymk_log_escape(out, sizeof out, NULL, 0), 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(ymk_log_escape(NULL, 0, NULL, 0), 0);
	/* A cap of 1 leaves room for the NUL only. */
	ck_assert_uint_eq(ymk_log_escape(out, 1, "\"", 1), 2);
	ck_assert_str_eq(out, "");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log_escape");
	TCase *tc = tcase_create("escape");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_escape_table, 0, NCASES);
	tcase_add_test(tc, test_escape_all_bytes);
	tcase_add_test(tc, test_escape_null_input);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
