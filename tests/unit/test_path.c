/* test_path.c: table tests for ymk__path_normalize() and ymk__path_encode(). Every input is
 * copied so that it ends right at a PROT_NONE page, and the output buffer ends at one too, so a
 * single byte read past the target or written past outcap faults at once instead of passing
 * silently. The table covers the traversal rules, decoding errors, absolute-form, query and
 * fragment splitting, reserved names, the 414 limit and the precedence between errors. */
#include "path.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard.h"

#define S(x) x, sizeof(x) - 1
#define MAXP 4096

struct path_case {
	const char *target;
	size_t len;
	size_t max_path;
	int status;
	const char *rel; /* expected rel when status is 0 */
	int trailing;
	const char *query; /* NULL: no query expected */
};

static const struct path_case cases[] = {
	/* The root and basic shapes. */
	{S("/"), MAXP, 0, "", 1, NULL},
	{S(""), MAXP, 400, NULL, 0, NULL},
	{S("x"), MAXP, 400, NULL, 0, NULL},
	{S("*"), MAXP, 400, NULL, 0, NULL},
	{S("/a/b/c/d.html"), MAXP, 0, "a/b/c/d.html", 0, NULL},
	{S("/./a"), MAXP, 0, "a", 0, NULL},
	{S("//a///b/"), MAXP, 0, "a/b", 1, NULL},
	{S("/a/."), MAXP, 0, "a", 0, NULL},
	{S("/a/./"), MAXP, 0, "a", 1, NULL},
	{S("/./././"), MAXP, 0, "", 1, NULL},
	{S("/."), MAXP, 0, "", 1, NULL},
	{S("/%2e"), MAXP, 0, "", 1, NULL},
	/* Traversal: exactly ".." is refused however it is spelled. */
	{S("/../etc/passwd"), MAXP, 403, NULL, 0, NULL},
	{S("/%2e%2e/x"), MAXP, 403, NULL, 0, NULL},
	{S("/a/%2E%2e/b"), MAXP, 403, NULL, 0, NULL},
	{S("/a/..%2fb"), MAXP, 403, NULL, 0, NULL},
	{S("/a/.."), MAXP, 403, NULL, 0, NULL},
	{S("/.."), MAXP, 403, NULL, 0, NULL},
	{S("/a/../"), MAXP, 403, NULL, 0, NULL},
	{S("/%2e%2e%2f"), MAXP, 403, NULL, 0, NULL},
	{S("/%2F..%2F"), MAXP, 403, NULL, 0, NULL},
	{S("/a/.%2e"), MAXP, 403, NULL, 0, NULL},
	{S("http://h/a/../b"), MAXP, 403, NULL, 0, NULL},
	/* Dots inside names are ordinary. */
	{S("/ohwell...txt"), MAXP, 0, "ohwell...txt", 0, NULL},
	{S("/hehe..txt"), MAXP, 0, "hehe..txt", 0, NULL},
	{S("/..foo"), MAXP, 0, "..foo", 0, NULL},
	{S("/foo.."), MAXP, 0, "foo..", 0, NULL},
	{S("/..."), MAXP, 0, "...", 0, NULL},
	{S("/..%2e"), MAXP, 0, "...", 0, NULL},
	{S("/a\\..\\b"), MAXP, 0, "a\\..\\b", 0, NULL},
	/* Decoding. */
	{S("/%00"), MAXP, 400, NULL, 0, NULL},
	{S("/%zz"), MAXP, 400, NULL, 0, NULL},
	{S("/%4"), MAXP, 400, NULL, 0, NULL},
	{S("/a%2"), MAXP, 400, NULL, 0, NULL},
	{S("/a%"), MAXP, 400, NULL, 0, NULL},
	{S("/%g0"), MAXP, 400, NULL, 0, NULL},
	{S("/%0g"), MAXP, 400, NULL, 0, NULL},
	{S("/%25"), MAXP, 0, "%", 0, NULL},
	{S("/%2541"), MAXP, 0, "%41", 0, NULL},
	{S("/a%2Fb"), MAXP, 0, "a/b", 0, NULL},
	{S("/a%2fb%2f"), MAXP, 0, "a/b", 1, NULL},
	{S("/%61%62%63"), MAXP, 0, "abc", 0, NULL},
	{S("/a b"), MAXP, 0, "a b", 0, NULL},
	{S("/caf\xc3\xa9"), MAXP, 0, "caf\xc3\xa9", 0, NULL},
	{S("/caf%C3%A9"), MAXP, 0, "caf\xc3\xa9", 0, NULL},
	{S("/\xff\xfe/\x80"), MAXP, 0, "\xff\xfe/\x80", 0, NULL},
	{S("/a%01b"), MAXP, 400, NULL, 0, NULL},
	{S("/a%1fb"), MAXP, 400, NULL, 0, NULL},
	{S("/a%7Fb"), MAXP, 400, NULL, 0, NULL},
	{S("/a%0d%0aSet-Cookie"), MAXP, 400, NULL, 0, NULL},
	{S("/a\x01"
	   "b"),
	 MAXP, 400, NULL, 0, NULL},
	{S("/a\x7f"), MAXP, 400, NULL, 0, NULL},
	{S("/a\0b"), MAXP, 400, NULL, 0, NULL},
	/* Query and fragment. */
	{S("/a?x=../.."), MAXP, 0, "a", 0, "x=../.."},
	{S("/a#frag"), MAXP, 0, "a", 0, NULL},
	{S("/?q"), MAXP, 0, "", 1, "q"},
	{S("/a?"), MAXP, 0, "a", 0, ""},
	{S("/a?x#y"), MAXP, 0, "a", 0, "x"},
	{S("/a#x?y"), MAXP, 0, "a", 0, NULL},
	{S("/d/?%zz"), MAXP, 0, "d", 1, "%zz"},
	{S("/a?x\x01"), MAXP, 0, "a", 0, "x\x01"},
	/* Absolute-form. */
	{S("http://h/x"), MAXP, 0, "x", 0, NULL},
	{S("HTTPS://h"), MAXP, 0, "", 1, NULL},
	{S("http://h"), MAXP, 0, "", 1, NULL},
	{S("http://h?x=1"), MAXP, 0, "", 1, "x=1"},
	{S("Http://host:8080/a/b/"), MAXP, 0, "a/b", 1, NULL},
	{S("https://h/%2e%2e"), MAXP, 403, NULL, 0, NULL},
	{S("http://"), MAXP, 400, NULL, 0, NULL},
	{S("http:///x"), MAXP, 400, NULL, 0, NULL},
	{S("http:/x"), MAXP, 400, NULL, 0, NULL},
	{S("ftp://h/x"), MAXP, 400, NULL, 0, NULL},
	{S("%2e%2e"), MAXP, 400, NULL, 0, NULL},
	{S("\\..\\"), MAXP, 400, NULL, 0, NULL},
	{S("htt"), MAXP, 400, NULL, 0, NULL},
	/* Reserved upload names. */
	{S("/.ymk-upload-123"), MAXP, 404, NULL, 0, NULL},
	{S("/./.ymk-upload-x"), MAXP, 404, NULL, 0, NULL},
	{S("/d/.ymk-upload-x/y"), MAXP, 404, NULL, 0, NULL},
	{S("/%2eymk-upload-1"), MAXP, 404, NULL, 0, NULL},
	{S("/.ymk-upload-"), MAXP, 404, NULL, 0, NULL},
	{S("/.YMK-Upload-1"), MAXP, 404, NULL, 0, NULL},
	{S("/.ymk-uploa"), MAXP, 0, ".ymk-uploa", 0, NULL},
	{S("/x.ymk-upload-1"), MAXP, 0, "x.ymk-upload-1", 0, NULL},
	{S("/.ymk-upload-1?x"), MAXP, 404, NULL, 0, NULL},
	/* Length: "/" + rel against max_path. */
	{S("/abc"), 4, 0, "abc", 0, NULL},
	{S("/abc/"), 4, 0, "abc", 1, NULL},
	{S("/abcd"), 4, 414, NULL, 0, NULL},
	{S("/a/b"), 4, 0, "a/b", 0, NULL},
	{S("/a/bc"), 4, 414, NULL, 0, NULL},
	{S("/a/bcd"), 4, 414, NULL, 0, NULL},
	{S("/./././abc"), 4, 0, "abc", 0, NULL},
	{S("/%61%62%63"), 4, 0, "abc", 0, NULL},
	{S("//////////abc//////"), 4, 0, "abc", 1, NULL},
	{S("/abcdefgh/./."), 4, 414, NULL, 0, NULL},
	{S("/"), 1, 0, "", 1, NULL},
	{S("/a"), 1, 414, NULL, 0, NULL},
	{S("/"), 0, 414, NULL, 0, NULL},
	/* Precedence: 400 > 403 > 404 > 414, wherever the problems are. */
	{S("/abcdef/../%zz"), 4, 400, NULL, 0, NULL},
	{S("/../%zz"), MAXP, 400, NULL, 0, NULL},
	{S("/abcdefgh/.."), 4, 403, NULL, 0, NULL},
	{S("/.ymk-upload-1/.."), MAXP, 403, NULL, 0, NULL},
	{S("/.ymk-upload-1/%01"), MAXP, 400, NULL, 0, NULL},
	{S("/aaaa/.ymk-upload-1"), 4, 404, NULL, 0, NULL},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

START_TEST(test_normalize_table)
{
	const struct path_case *c = &cases[_i];
	size_t outcap = c->max_path + 1;
	struct guard in, out;
	struct ymk__path p;
	int rc;

	guard_init(&in, c->len);
	memcpy(in.at, c->target, c->len);
	guard_init(&out, outcap);
	memset(out.at, 'Z', outcap);

	rc = ymk__path_normalize(in.at, c->len, c->max_path, out.at, outcap, &p);
	ck_assert_msg(rc == c->status, "row %d (%s): got %d, want %d", _i, c->target, rc,
		      c->status);
	if (rc == 0) {
		ck_assert_ptr_eq(p.rel, out.at);
		ck_assert_uint_eq(p.rel_len, strlen(c->rel));
		ck_assert_msg(memcmp(p.rel, c->rel, p.rel_len) == 0, "row %d: rel '%.*s'", _i,
			      (int)p.rel_len, p.rel);
		ck_assert_int_eq(p.rel[p.rel_len], '\0');
		ck_assert_int_eq(p.trailing_slash, c->trailing);
		if (c->query == NULL) {
			ck_assert_ptr_null(p.query);
			ck_assert_uint_eq(p.query_len, 0);
		} else {
			ck_assert_ptr_nonnull(p.query);
			ck_assert(p.query >= in.at && p.query + p.query_len <= in.at + c->len);
			ck_assert_uint_eq(p.query_len, strlen(c->query));
			ck_assert(memcmp(p.query, c->query, p.query_len) == 0);
		}
	}
	guard_free(&in);
	guard_free(&out);
}
END_TEST

/* The output buffer may be smaller than max_path + 1: what does not fit is 414, never a write. */
START_TEST(test_normalize_small_outcap)
{
	struct guard in, out;
	struct ymk__path p;

	guard_init(&in, 5);
	memcpy(in.at, "/abcd", 5);
	guard_init(&out, 4);
	ck_assert_int_eq(ymk__path_normalize(in.at, 5, MAXP, out.at, 4, &p), 414);
	ck_assert_int_eq(ymk__path_normalize(in.at, 4, MAXP, out.at, 4, &p), 0);
	ck_assert_str_eq(p.rel, "abc");
	ck_assert_int_eq(ymk__path_normalize(in.at, 5, MAXP, out.at, 0, &p), 414);
	guard_free(&in);
	guard_free(&out);
}
END_TEST

/* Targets longer than a page, around the default limit of 4096. */
START_TEST(test_normalize_long)
{
	static const size_t lens[] = {4095, 4096, 4097, 9000};
	size_t k;

	for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t len = lens[k];
		struct guard in, out;
		struct ymk__path p;
		int rc;

		guard_init(&in, len);
		memset(in.at, 'a', len);
		in.at[0] = '/';
		guard_init(&out, MAXP + 1);
		rc = ymk__path_normalize(in.at, len, MAXP, out.at, MAXP + 1, &p);
		if (len <= MAXP) {
			ck_assert_int_eq(rc, 0);
			ck_assert_uint_eq(p.rel_len, len - 1);
		} else {
			ck_assert_int_eq(rc, 414);
		}
		guard_free(&in);
		guard_free(&out);
	}
}
END_TEST

START_TEST(test_normalize_null_args)
{
	struct ymk__path p;
	char out[8];

	ck_assert_int_eq(ymk__path_normalize(NULL, 1, MAXP, out, sizeof(out), &p), 400);
	ck_assert_int_eq(ymk__path_normalize("/", 1, MAXP, NULL, sizeof(out), &p), 400);
	ck_assert_int_eq(ymk__path_normalize("/", 1, MAXP, out, sizeof(out), NULL), 400);
}
END_TEST

struct encode_case {
	const char *src;
	size_t len;
	const char *want; /* NULL: expect -1 */
	size_t outcap;
};

static const struct encode_case encode_cases[] = {
	{S(""), "", 1},
	{S("a/b"), "a/b", 64},
	{S("AZaz09-._~/"), "AZaz09-._~/", 64},
	{S("a b"), "a%20b", 64},
	{S("100%"), "100%25", 64},
	{S("caf\xc3\xa9"), "caf%C3%A9", 64},
	{S("q?x#y"), "q%3Fx%23y", 64},
	{S("a\0b"), "a%00b", 64},
	{S("\"<>"), "%22%3C%3E", 64},
	{S("\xff"), "%FF", 64},
	{S("abc"), "abc", 4},
	{S("abc"), NULL, 3},
	{S(" "), "%20", 4},
	{S(" "), NULL, 3},
	{S("a"), NULL, 0},
	{S(""), NULL, 0},
};

START_TEST(test_encode_table)
{
	const struct encode_case *c = &encode_cases[_i];
	struct guard in, out;
	long rc;

	guard_init(&in, c->len);
	memcpy(in.at, c->src, c->len);
	guard_init(&out, c->outcap);
	rc = ymk__path_encode(in.at, c->len, out.at, c->outcap);
	if (c->want == NULL) {
		ck_assert_int_eq(rc, -1);
	} else {
		ck_assert_int_eq(rc, (long)strlen(c->want));
		ck_assert_str_eq(out.at, c->want);
	}
	guard_free(&in);
	guard_free(&out);
}
END_TEST

/* Encoding a normalised path and normalising "/" + the result gives the same path back. */
START_TEST(test_encode_round_trip)
{
	static const char *const rels[] = {"a/b", "caf\xc3\xa9", "100%", "a b/c?d#e", "...", "x..y",
					   "%2e%2e", ""};
	size_t k;

	for (k = 0; k < sizeof(rels) / sizeof(rels[0]); k++) {
		char enc[256], out[256];
		struct ymk__path p;
		long n;

		enc[0] = '/';
		n = ymk__path_encode(rels[k], strlen(rels[k]), enc + 1, sizeof(enc) - 1);
		ck_assert_int_ge(n, 0);
		ck_assert_int_eq(ymk__path_normalize(enc, (size_t)n + 1, MAXP, out, sizeof(out), &p),
				 0);
		ck_assert_str_eq(p.rel, rels[k]);
	}
}
END_TEST

static Suite *path_suite(void)
{
	Suite *s = suite_create("path");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_normalize_table, 0, (int)NCASES);
	tcase_add_test(tc, test_normalize_small_outcap);
	tcase_add_test(tc, test_normalize_long);
	tcase_add_test(tc, test_normalize_null_args);
	tcase_add_loop_test(tc, test_encode_table, 0,
			    (int)(sizeof(encode_cases) / sizeof(encode_cases[0])));
	tcase_add_test(tc, test_encode_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(path_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
