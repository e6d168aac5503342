/* test_range.c: table tests for ymk__range_parse(). Each value is copied so that it ends right at
 * a PROT_NONE page, so reading one byte past value[0..len) faults. The table covers the three
 * outcomes (ignore, 206 parts, 416), clamping, suffix and open-ended specs, request order and the merging
 * of overlapping and adjacent ranges, the part cap, overflow and the whitespace rule. */
#include "range.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard.h"

#define S(x) x, sizeof(x) - 1
#define CAP YMK__RANGE_MAX_PARTS
#define IGN YMK__RANGE_IGNORE
#define OK YMK__RANGE_OK
#define UNS YMK__RANGE_UNSATISFIABLE

struct range_case {
	const char *value;
	size_t len;
	uint64_t size;
	size_t max_parts;
	enum ymk__range_result want;
	size_t n;
	struct ymk__range parts[YMK__RANGE_MAX_PARTS];
};

static const struct range_case cases[] = {
	/* Single ranges. */
	{S("bytes=0-99"), 1000, CAP, OK, 1, {{0, 99}}},
	{S("bytes=-500"), 1000, CAP, OK, 1, {{500, 999}}},
	{S("bytes=9500-"), 10000, CAP, OK, 1, {{9500, 9999}}},
	{S("bytes=0-"), 1000, CAP, OK, 1, {{0, 999}}},
	{S("BYTES=0-1"), 1000, CAP, OK, 1, {{0, 1}}},
	{S("Bytes=0-1"), 1000, CAP, OK, 1, {{0, 1}}},
	{S("bytes=-5000"), 1000, CAP, OK, 1, {{0, 999}}},
	{S("bytes=-1000"), 1000, CAP, OK, 1, {{0, 999}}},
	{S("bytes=0-99999"), 100, CAP, OK, 1, {{0, 99}}},
	{S("bytes=-1"), 1, CAP, OK, 1, {{0, 0}}},
	{S("bytes=0-0"), 1, CAP, OK, 1, {{0, 0}}},
	{S("bytes=999-999"), 1000, CAP, OK, 1, {{999, 999}}},
	{S("bytes=00000-00001"), 1000, CAP, OK, 1, {{0, 1}}},
	{S("bytes=0-18446744073709551615"), UINT64_MAX, CAP, OK, 1, {{0, UINT64_MAX - 1}}},
	{S("bytes=-18446744073709551615"), UINT64_MAX, CAP, OK, 1, {{0, UINT64_MAX - 1}}},
	{S("bytes=18446744073709551614-"), UINT64_MAX, CAP, OK, 1,
	 {{UINT64_MAX - 1, UINT64_MAX - 1}}},
	/* Syntax errors and unknown units: ignore the header. */
	{S("bytes=5-2"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=abc"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("pages=1-2"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("0-5"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S(""), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes="), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=,"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=, ,"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes:0-1"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("byte=0-1"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytesx=0-1"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=-"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=--1"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=1-2-3"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=1"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=0-1;x"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=0x10-20"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=+1-2"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=1-2,abc"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=5-2,0-1"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=0-1\r"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=0\0-1"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=0-1\0"), 1000, CAP, IGN, 0, {{0, 0}}},
	/* Overflow. */
	{S("bytes=99999999999999999999999-"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=0-99999999999999999999999"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=-99999999999999999999999"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=18446744073709551616-"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=18446744073709551615-"), 1000, CAP, UNS, 0, {{0, 0}}},
	/* Whitespace: OWS only around commas (and trailing, which a field value never holds). */
	{S("bytes= 0-1"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes =0-1"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S(" bytes=0-1"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=0 -1"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=0- 1"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=0-1 4-5"), 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=0-1 , 4-5"), 1000, CAP, OK, 2, {{0, 1}, {4, 5}}},
	{S("bytes=0-1,\t4-5"), 1000, CAP, OK, 2, {{0, 1}, {4, 5}}},
	{S("bytes=0-1 "), 1000, CAP, OK, 1, {{0, 1}}},
	{S("bytes=0-1,  "), 1000, CAP, OK, 1, {{0, 1}}},
	{S("bytes=, 0-1"), 1000, CAP, OK, 1, {{0, 1}}},
	/* Empty list elements are tolerated. */
	{S("bytes=,,0-1,,"), 1000, CAP, OK, 1, {{0, 1}}},
	{S("bytes=0-1,,4-5"), 1000, CAP, OK, 2, {{0, 1}, {4, 5}}},
	/* Unsatisfiable. */
	{S("bytes=-0"), 1000, CAP, UNS, 0, {{0, 0}}},
	{S("bytes=1000-"), 1000, CAP, UNS, 0, {{0, 0}}},
	{S("bytes=1000-2000"), 1000, CAP, UNS, 0, {{0, 0}}},
	{S("bytes=0-0"), 0, CAP, UNS, 0, {{0, 0}}},
	{S("bytes=0-"), 0, CAP, UNS, 0, {{0, 0}}},
	{S("bytes=-5"), 0, CAP, UNS, 0, {{0, 0}}},
	{S("bytes=1-1"), 1, CAP, UNS, 0, {{0, 0}}},
	{S("bytes=2000-3000,3000-4000"), 1000, CAP, UNS, 0, {{0, 0}}},
	{S("bytes=-0,-0"), 1000, CAP, UNS, 0, {{0, 0}}},
	/* Several ranges: in request order, overlapping and adjacent ones merged where the first of
	 * them stood, unsatisfiable ones dropped. */
	{S("bytes=0-1,5-6"), 1000, CAP, OK, 2, {{0, 1}, {5, 6}}},
	{S("bytes=0-5,3-9"), 1000, CAP, OK, 1, {{0, 9}}},
	{S("bytes=0-4,5-9"), 1000, CAP, OK, 1, {{0, 9}}},
	{S("bytes=5-9,0-1"), 1000, CAP, OK, 2, {{5, 9}, {0, 1}}},
	{S("bytes=-4,0-1"), 64, CAP, OK, 2, {{60, 63}, {0, 1}}},
	{S("bytes=50-59,0-1,55-70"), 1000, CAP, OK, 2, {{50, 70}, {0, 1}}},
	{S("bytes=50-59,0-1,2-49"), 1000, CAP, OK, 1, {{0, 59}}},
	{S("bytes=5-9,0-4"), 1000, CAP, OK, 1, {{0, 9}}},
	{S("bytes=0-1,2000-3000"), 1000, CAP, OK, 1, {{0, 1}}},
	{S("bytes=0-0,-1"), 10, CAP, OK, 2, {{0, 0}, {9, 9}}},
	{S("bytes=-0,0-5"), 10, CAP, OK, 1, {{0, 5}}},
	{S("bytes=500-600,-100"), 1000, CAP, OK, 2, {{500, 600}, {900, 999}}},
	{S("bytes=0-10,5-6,2-3"), 1000, CAP, OK, 1, {{0, 10}}},
	{S("bytes=10-20,0-9"), 1000, CAP, OK, 1, {{0, 20}}},
	{S("bytes=0-0,1-1,2-2"), 1000, CAP, OK, 1, {{0, 2}}},
	{S("bytes=0-0,0-0,0-0"), 1000, CAP, OK, 1, {{0, 0}}},
	{S("bytes=900-,-50,0-"), 1000, CAP, OK, 1, {{0, 999}}},
	{S("bytes=30-39,10-19,20-29,50-59"), 1000, CAP, OK, 2, {{10, 39}, {50, 59}}},
	{S("bytes=8-9,6-7,4-5,2-3,0-1"), 10, CAP, OK, 1, {{0, 9}}},
	{S("bytes=0-1,3-4,1-3"), 1000, CAP, OK, 1, {{0, 4}}},
	{S("bytes=0-1,3-4,6-7"), 1000, CAP, OK, 3, {{0, 1}, {3, 4}, {6, 7}}},
	/* The cap counts specs as written, before merging. */
	{S("bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,24-24,26-26,28-28,"
	   "30-30,32-32"),
	 1000, CAP, IGN, 0, {{0, 0}}},
	{S("bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,24-24,26-26,28-28,"
	   "30-30"),
	 1000, CAP, OK, 16,
	 {{0, 0},
	  {2, 2},
	  {4, 4},
	  {6, 6},
	  {8, 8},
	  {10, 10},
	  {12, 12},
	  {14, 14},
	  {16, 16},
	  {18, 18},
	  {20, 20},
	  {22, 22},
	  {24, 24},
	  {26, 26},
	  {28, 28},
	  {30, 30}}},
	{S("bytes=0-1,0-1,0-1,0-1,0-1,0-1,0-1,0-1,0-1,0-1,0-1,0-1,0-1,0-1,0-1,0-1,0-1"), 1000, CAP,
	 IGN, 0, {{0, 0}}},
	{S("bytes=0-1"), 1000, 0, IGN, 0, {{0, 0}}},
	{S("bytes=0-1,4-5"), 1000, 1, IGN, 0, {{0, 0}}},
	{S("bytes=0-1,1-2"), 1000, 2, OK, 1, {{0, 2}}},
	{S("bytes=0-1,,,,,,,,,,,,,,,,,,,,,,,,,,4-5"), 1000, 2, OK, 2, {{0, 1}, {4, 5}}},
	{S("bytes=0-1"), 1000, 1000, OK, 1, {{0, 1}}},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

START_TEST(test_range_table)
{
	const struct range_case *c = &cases[_i];
	struct ymk__range out[YMK__RANGE_MAX_PARTS];
	size_t n = 12345, k;
	struct guard in;
	enum ymk__range_result rc;

	guard_init(&in, c->len);
	memcpy(in.at, c->value, c->len);
	rc = ymk__range_parse(in.at, c->len, c->size, c->max_parts, out, &n);
	ck_assert_msg(rc == c->want, "row %d (%s): got %d, want %d", _i, c->value, (int)rc,
		      (int)c->want);
	if (rc == YMK__RANGE_OK) {
		ck_assert_uint_eq(n, c->n);
		for (k = 0; k < n; k++) {
			ck_assert_msg(out[k].first == c->parts[k].first &&
					      out[k].last == c->parts[k].last,
				      "row %d part %zu: %llu-%llu", _i, k,
				      (unsigned long long)out[k].first,
				      (unsigned long long)out[k].last);
		}
	} else {
		ck_assert_uint_eq(n, 12345); /* untouched unless OK */
	}
	guard_free(&in);
}
END_TEST

START_TEST(test_range_null_args)
{
	struct ymk__range out[YMK__RANGE_MAX_PARTS];
	size_t n;

	ck_assert_int_eq(ymk__range_parse(NULL, 5, 10, CAP, out, &n), IGN);
	ck_assert_int_eq(ymk__range_parse("bytes=0-1", 9, 10, CAP, NULL, &n), IGN);
	ck_assert_int_eq(ymk__range_parse("bytes=0-1", 9, 10, CAP, out, NULL), IGN);
}
END_TEST

static Suite *range_suite(void)
{
	Suite *s = suite_create("range");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_range_table, 0, (int)NCASES);
	tcase_add_test(tc, test_range_null_args);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(range_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
