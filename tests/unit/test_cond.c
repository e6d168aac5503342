/* test_cond.c: table tests for cond.c. Every header value is copied so that it ends right at a
 * PROT_NONE page, so reading one byte past value[0..len) faults; NULL in a table means the header
 * is absent. The tables follow RFC 9110: the 13.2.2 evaluation order of the four preconditions and
 * their strong/weak comparisons, the three HTTP-date forms with the calendar's edges, If-Range's
 * exact matching, and Accept-Encoding's weights. A sweep over every day from 1970 to 9999 checks
 * the hand-written calendar arithmetic against the C library's timegm(). */
#include "cond.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard.h"

/* Copies value (or nothing, for NULL) against a guard page and returns where it now lives. */
static const char *guarded(struct guard *g, const char *value, size_t len)
{
	guard_init(g, len);
	if (value == NULL)
		return NULL;
	memcpy(g->at, value, len);
	return g->at;
}

#define S(x) x, sizeof(x) - 1
#define NONE NULL, 0

/* The representation most rows use: Sun, 06 Nov 1994 08:49:37 GMT. */
#define T0 ((time_t)784111777)
#define TAG "\"abc\""
#define D_EQ "Sun, 06 Nov 1994 08:49:37 GMT"
#define D_OLD "Sun, 06 Nov 1994 08:49:36 GMT"
#define D_NEW "Sun, 06 Nov 1994 08:49:38 GMT"
#define D_850 "Sunday, 06-Nov-94 08:49:37 GMT"
#define D_ASC "Sun Nov  6 08:49:37 1994"
#define D_BAD "Sun, 06 Nov 1994 08:49:37 gmt"

/* ---- ymk__preconditions_eval ---------------------------------------------------------------- */

struct eval_case {
	const char *im;
	size_t im_len;
	const char *ius;
	size_t ius_len;
	const char *inm;
	size_t inm_len;
	const char *ims;
	size_t ims_len;
	int exists;
	const char *etag;
	size_t etag_len;
	int get;
	int want;
};

#define E_GET 1, S(TAG), 1  /* exists, the usual tag, GET */
#define E_PUT 1, S(TAG), 0  /* exists, the usual tag, PUT */
#define M_GET 0, NONE, 1    /* missing, GET */
#define M_PUT 0, NONE, 0    /* missing, PUT (creating the file) */

static const struct eval_case eval_cases[] = {
	/* No preconditions. */
	{NONE, NONE, NONE, NONE, E_GET, 0},
	{NONE, NONE, NONE, NONE, M_PUT, 0},
	/* 1. If-Match: "*", strong comparison, malformed lists. */
	{S("*"), NONE, NONE, NONE, E_PUT, 0},
	{S("*"), NONE, NONE, NONE, M_PUT, 412},
	{S("*"), NONE, NONE, NONE, M_GET, 412},
	{S(TAG), NONE, NONE, NONE, E_PUT, 0},
	{S(TAG), NONE, NONE, NONE, M_PUT, 412},
	{S(TAG), NONE, NONE, NONE, 1, NONE, 0, 412}, /* no current tag */
	{S("\"xyz\""), NONE, NONE, NONE, E_PUT, 412},
	{S("\"xyz\", \"abc\""), NONE, NONE, NONE, E_PUT, 0},
	{S("\"xyz\",\"abc\",\"q\""), NONE, NONE, NONE, E_PUT, 0},
	{S("W/\"abc\""), NONE, NONE, NONE, E_PUT, 412},
	{S("W/\"abc\""), NONE, NONE, NONE, E_GET, 412},
	{S("W/\"abc\", \"abc\""), NONE, NONE, NONE, E_PUT, 0},
	{S(TAG), NONE, NONE, NONE, 1, S("W/\"abc\""), 0, 412}, /* a weak current tag never matches */
	{S("\"ab\""), NONE, NONE, NONE, E_PUT, 412},
	{S("\"abcd\""), NONE, NONE, NONE, E_PUT, 412},
	{S("\"ABC\""), NONE, NONE, NONE, E_PUT, 412},
	{S(",, \"abc\" ,,"), NONE, NONE, NONE, E_PUT, 0},
	{S("\"xyz\" ,\t\"abc\""), NONE, NONE, NONE, E_PUT, 0},
	{S("\"\xc3\xa9\""), NONE, NONE, NONE, 1, S("\"\xc3\xa9\""), 0, 0}, /* obs-text */
	{S("abc"), NONE, NONE, NONE, E_PUT, 412},
	{S("\"abc"), NONE, NONE, NONE, E_PUT, 412},
	{S("\"abc\" x"), NONE, NONE, NONE, E_PUT, 412},
	{S("\"abc\" \"xyz\""), NONE, NONE, NONE, E_PUT, 412},
	{S("\"xyz\" \"abc\""), NONE, NONE, NONE, E_PUT, 412},
	{S("\"abc\", x"), NONE, NONE, NONE, E_PUT, 412}, /* a match does not excuse bad syntax */
	{S("w/\"abc\""), NONE, NONE, NONE, E_PUT, 412},
	{S("\"a c\""), NONE, NONE, NONE, 1, S("\"a c\""), 0, 412},
	{S("\"a\0c\""), NONE, NONE, NONE, 1, S("\"a\0c\""), 0, 412},
	{S("\"a\x7f\""), NONE, NONE, NONE, 1, S("\"a\x7f\""), 0, 412},
	{S("*, \"abc\""), NONE, NONE, NONE, E_PUT, 412},
	{S("**"), NONE, NONE, NONE, E_PUT, 412},
	{S(""), NONE, NONE, NONE, E_PUT, 412},
	{S(","), NONE, NONE, NONE, E_PUT, 412},
	/* 2. If-Unmodified-Since, only when If-Match is absent. */
	{S(TAG), S(D_OLD), NONE, NONE, E_PUT, 0},
	{S("*"), S(D_OLD), NONE, NONE, E_PUT, 0},
	{S("\"xyz\""), S(D_NEW), NONE, NONE, E_PUT, 412},
	{NONE, S(D_OLD), NONE, NONE, E_PUT, 412},
	{NONE, S(D_OLD), NONE, NONE, E_GET, 412},
	{NONE, S(D_NEW), NONE, NONE, E_PUT, 0},
	{NONE, S(D_EQ), NONE, NONE, E_PUT, 0},
	{NONE, S(D_850), NONE, NONE, E_PUT, 0},
	{NONE, S("Sun Nov  6 08:49:36 1994"), NONE, NONE, E_PUT, 412},
	{NONE, S(D_BAD), NONE, NONE, E_PUT, 0},
	{NONE, S("yesterday"), NONE, NONE, E_PUT, 0},
	{NONE, S(""), NONE, NONE, E_PUT, 0},
	{NONE, S(D_OLD), NONE, NONE, M_PUT, 0},
	/* 3. If-None-Match: "*", weak comparison, 304 for GET/HEAD and 412 otherwise. */
	{NONE, NONE, S("*"), NONE, E_GET, 304},
	{NONE, NONE, S("*"), NONE, E_PUT, 412},
	{NONE, NONE, S("*"), NONE, M_GET, 0},
	{NONE, NONE, S("*"), NONE, M_PUT, 0},
	{NONE, NONE, S(TAG), NONE, E_GET, 304},
	{NONE, NONE, S(TAG), NONE, E_PUT, 412},
	{NONE, NONE, S(TAG), NONE, M_GET, 0},
	{NONE, NONE, S("W/\"abc\""), NONE, E_GET, 304},
	{NONE, NONE, S("W/\"abc\""), NONE, E_PUT, 412},
	{NONE, NONE, S(TAG), NONE, 1, S("W/\"abc\""), 1, 304},
	{NONE, NONE, S("\"xyz\""), NONE, E_GET, 0},
	{NONE, NONE, S("\"xyz\", W/\"abc\""), NONE, E_GET, 304},
	{NONE, NONE, S(" \"abc\" "), NONE, E_GET, 304},
	{NONE, NONE, S(",,\"abc\""), NONE, E_GET, 304},
	{NONE, NONE, S("\"ABC\""), NONE, E_GET, 0},
	/* A malformed If-None-Match matches nothing. */
	{NONE, NONE, S("abc"), NONE, E_GET, 0},
	{NONE, NONE, S("\"abc\" \"xyz\""), NONE, E_GET, 0},
	{NONE, NONE, S("\"abc\", x"), NONE, E_GET, 0},
	{NONE, NONE, S("*, \"abc\""), NONE, E_PUT, 0},
	{NONE, NONE, S("\"abc"), NONE, E_GET, 0},
	{NONE, NONE, S(""), NONE, E_GET, 0},
	/* Order: If-Match and If-Unmodified-Since are decided first. */
	{S(TAG), NONE, S(TAG), NONE, E_GET, 304},
	{S("\"xyz\""), NONE, S(TAG), NONE, E_GET, 412},
	{NONE, S(D_OLD), S(TAG), NONE, E_GET, 412},
	{NONE, S(D_NEW), S(TAG), NONE, E_GET, 304},
	{S(TAG), NONE, S("\"xyz\""), S(D_EQ), E_GET, 0},
	/* 4. If-Modified-Since, ignored when If-None-Match is present (even malformed). */
	{NONE, NONE, S("\"xyz\""), S(D_NEW), E_GET, 0},
	{NONE, NONE, S("abc"), S(D_EQ), E_GET, 0},
	{NONE, NONE, S(TAG), S(D_OLD), E_GET, 304},
	{NONE, NONE, NONE, S(D_EQ), E_GET, 304},
	{NONE, NONE, NONE, S(D_OLD), E_GET, 0},
	{NONE, NONE, NONE, S(D_NEW), E_GET, 304},
	{NONE, NONE, NONE, S(D_850), E_GET, 304},
	{NONE, NONE, NONE, S(D_ASC), E_GET, 304},
	{NONE, NONE, NONE, S(D_EQ), E_PUT, 0},
	{NONE, NONE, NONE, S(D_NEW), E_PUT, 0},
	{NONE, NONE, NONE, S(D_EQ), M_GET, 0},
	{NONE, NONE, NONE, S(D_BAD), E_GET, 0},
	{NONE, NONE, NONE, S(D_EQ " "), E_GET, 0},
	{NONE, NONE, NONE, S(D_EQ ", " D_EQ), E_GET, 0}, /* more than one member */
	{NONE, NONE, NONE, S(""), E_GET, 0},
	{S(TAG), NONE, NONE, S(D_EQ), E_GET, 304},
	{NONE, S(D_NEW), NONE, S(D_EQ), E_GET, 304},
};

#define N_EVAL (sizeof(eval_cases) / sizeof(eval_cases[0]))

START_TEST(test_eval_table)
{
	const struct eval_case *c = &eval_cases[_i];
	struct guard g_im, g_ius, g_inm, g_ims, g_tag;
	struct ymk__preconditions pc;
	struct ymk__validators v;
	int rc;

	pc.if_match = guarded(&g_im, c->im, c->im_len);
	pc.if_match_len = c->im_len;
	pc.if_unmodified_since = guarded(&g_ius, c->ius, c->ius_len);
	pc.if_unmodified_since_len = c->ius_len;
	pc.if_none_match = guarded(&g_inm, c->inm, c->inm_len);
	pc.if_none_match_len = c->inm_len;
	pc.if_modified_since = guarded(&g_ims, c->ims, c->ims_len);
	pc.if_modified_since_len = c->ims_len;
	v.exists = c->exists;
	v.etag = guarded(&g_tag, c->etag, c->etag_len);
	v.etag_len = c->etag_len;
	v.mtime = T0;
	rc = ymk__preconditions_eval(&pc, &v, c->get);
	ck_assert_msg(rc == c->want,
		      "row %d (IM %s | IUS %s | INM %s | IMS %s | exists %d get %d): got %d, want %d",
		      _i, c->im ? c->im : "-", c->ius ? c->ius : "-", c->inm ? c->inm : "-",
		      c->ims ? c->ims : "-", c->exists, c->get, rc, c->want);
	guard_free(&g_im);
	guard_free(&g_ius);
	guard_free(&g_inm);
	guard_free(&g_ims);
	guard_free(&g_tag);
}
END_TEST

START_TEST(test_eval_null_args)
{
	struct ymk__preconditions pc = {S("*"), NONE, NONE, NONE};
	struct ymk__validators v = {1, S(TAG), T0};

	ck_assert_int_eq(ymk__preconditions_eval(NULL, &v, 1), 0);
	ck_assert_int_eq(ymk__preconditions_eval(&pc, NULL, 1), 412); /* no representation */
	ck_assert_int_eq(ymk__preconditions_eval(&pc, &v, 1), 0);
}
END_TEST

/* ---- ymk__http_date_parse ------------------------------------------------------------------- */

struct date_case {
	const char *value;
	size_t len;
	int ok;
	time_t want;
};

#define BAD 0, 0
#define OK(t) 1, (time_t)(t)

static const struct date_case date_cases[] = {
	/* The three forms of RFC 9110 5.6.7's example. */
	{S(D_EQ), OK(784111777)},
	{S(D_850), OK(784111777)},
	{S(D_ASC), OK(784111777)},
	{S("Sun Nov 06 08:49:37 1994"), OK(784111777)},
	{S("Wed Nov 16 08:49:37 1994"), OK(784975777)},
	{S("Mon, 06 Nov 1994 08:49:37 GMT"), OK(784111777)}, /* weekday not cross-checked */
	/* Epoch edges and the far end. */
	{S("Thu, 01 Jan 1970 00:00:00 GMT"), OK(0)},
	{S("Wed, 31 Dec 1969 23:59:59 GMT"), BAD},
	{S("Thu, 01 Jan 1900 00:00:00 GMT"), BAD},
	{S("Mon, 01 Jan 0000 00:00:00 GMT"), BAD},
	{S("Fri, 31 Dec 9999 23:59:59 GMT"), OK(253402300799LL)},
	{S("Fri Dec 31 23:59:59 9999"), OK(253402300799LL)},
	{S("Tue, 19 Jan 2038 03:14:08 GMT"), OK(2147483648LL)},
	{S("Sat, 01 Jan 2000 00:00:00 GMT"), OK(946684800)},
	/* Leap years. */
	{S("Tue, 29 Feb 2000 00:00:00 GMT"), OK(951782400)},
	{S("Thu, 29 Feb 2024 12:00:00 GMT"), OK(1709208000)},
	{S("Tue, 29 Feb 2400 00:00:00 GMT"), OK(13574563200LL)},
	{S("Thu, 29 Feb 1900 00:00:00 GMT"), BAD},
	{S("Wed, 29 Feb 2023 00:00:00 GMT"), BAD},
	{S("Mon, 29 Feb 2100 00:00:00 GMT"), BAD},
	{S("Fri, 30 Feb 2024 00:00:00 GMT"), BAD},
	{S("Wed Feb 29 00:00:00 2023"), BAD},
	{S("Wednesday, 29-Feb-23 00:00:00 GMT"), BAD},
	/* Day and month. */
	{S("Sun, 00 Nov 1994 08:49:37 GMT"), BAD},
	{S("Sun, 32 Jan 1994 08:49:37 GMT"), BAD},
	{S("Sun, 31 Apr 1994 08:49:37 GMT"), BAD},
	{S("Sun, 31 Dec 1994 08:49:37 GMT"), OK(788863777)},
	{S("Sun, 6 Nov 1994 08:49:37 GMT"), BAD},
	{S("Sun, 06 Nox 1994 08:49:37 GMT"), BAD},
	{S("Sun, 06 nov 1994 08:49:37 GMT"), BAD},
	{S("Sun, 06 NOV 1994 08:49:37 GMT"), BAD},
	{S("Sun, 06 November 1994 08:49:37 GMT"), BAD},
	/* Time of day. */
	{S("Sun, 06 Nov 1994 24:00:00 GMT"), BAD},
	{S("Sun, 06 Nov 1994 23:60:00 GMT"), BAD},
	{S("Sun, 06 Nov 1994 23:59:60 GMT"), BAD},
	{S("Sun, 06 Nov 1994 8:49:37 GMT"), BAD},
	{S("Sun, 06 Nov 1994 08:49 GMT"), BAD},
	{S("Sun, 06 Nov 1994 08-49-37 GMT"), BAD},
	/* The zone and the ends. */
	{S("Sun, 06 Nov 1994 08:49:37"), BAD},
	{S("Sun, 06 Nov 1994 08:49:37 gmt"), BAD},
	{S("Sun, 06 Nov 1994 08:49:37 UTC"), BAD},
	{S("Sun, 06 Nov 1994 08:49:37 +0000"), BAD},
	{S("Sun, 06 Nov 1994 08:49:37 GMT "), BAD},
	{S("Sun, 06 Nov 1994 08:49:37 GMTx"), BAD},
	{S("Sun, 06 Nov 1994 08:49:37 GMT\0"), BAD},
	{S(" Sun, 06 Nov 1994 08:49:37 GMT"), BAD},
	{S("Sun, 06 Nov 1994 08:49:37 GM"), BAD},
	{S(""), BAD},
	{S("Sun"), BAD},
	{S("Sun,"), BAD},
	{S("Sun "), BAD},
	/* Day names and separators. */
	{S("sun, 06 Nov 1994 08:49:37 GMT"), BAD},
	{S("Xyz, 06 Nov 1994 08:49:37 GMT"), BAD},
	{S("Sunday, 06 Nov 1994 08:49:37 GMT"), BAD},
	{S("Sun,  06 Nov 1994 08:49:37 GMT"), BAD},
	{S("Sun,06 Nov 1994 08:49:37 GMT"), BAD},
	{S("Sun, 06-Nov-1994 08:49:37 GMT"), BAD},
	{S("Sun, 06 Nov 94 08:49:37 GMT"), BAD},
	{S("Sun, +6 Nov 1994 08:49:37 GMT"), BAD},
	{S("Sun, 06 Nov 199x 08:49:37 GMT"), BAD},
	/* RFC 850: two-digit years. */
	{S("Friday, 06-Nov-70 08:49:37 GMT"), OK(26729377)},
	{S("Monday, 06-Nov-00 08:49:37 GMT"), OK(973500577)},
	{S("Wednesday, 06-Nov-69 08:49:37 GMT"), OK(3150953377LL)},
	{S("Sun, 06-Nov-94 08:49:37 GMT"), BAD},
	{S("Sunday, 06-Nov-1994 08:49:37 GMT"), BAD},
	{S("Sunday, 06 Nov 94 08:49:37 GMT"), BAD},
	{S("Sunday, 06-Nov-94 08:49:37 gmt"), BAD},
	{S("Sunday, 06-Nov-94 08:49:37"), BAD},
	{S("Sunday, 06-Nov-94 08:49:37 GMT "), BAD},
	{S("Sunday, 6-Nov-94 08:49:37 GMT"), BAD},
	{S("Sundayy, 06-Nov-94 08:49:37 GMT"), BAD},
	/* asctime. */
	{S("Sun Nov 6 08:49:37 1994"), BAD},
	{S("Sun Nov   6 08:49:37 1994"), BAD},
	{S("Sun Nov  6 08:49:37 1994 GMT"), BAD},
	{S("Sun Nov  6 08:49:37 94"), BAD},
	{S("Sun Nov  6 08:49:37 1969"), BAD},
	{S("Sun nov  6 08:49:37 1994"), BAD},
	{S("Sun Nov  0 08:49:37 1994"), BAD},
	{S("Sun Nov  6 08:49:37 1994\n"), BAD},
};

#define N_DATE (sizeof(date_cases) / sizeof(date_cases[0]))

START_TEST(test_date_table)
{
	const struct date_case *c = &date_cases[_i];
	struct guard in;
	time_t t = (time_t)12345;
	int rc;

	rc = ymk__http_date_parse(guarded(&in, c->value, c->len), c->len, &t);
	ck_assert_msg(rc == (c->ok ? 0 : -1), "row %d (%s): got %d", _i, c->value, rc);
	if (c->ok)
		ck_assert_msg(t == c->want, "row %d (%s): got %lld, want %lld", _i, c->value,
			      (long long)t, (long long)c->want);
	else
		ck_assert_msg(t == (time_t)12345, "row %d: *out written on failure", _i);
	guard_free(&in);
}
END_TEST

/* Every day from 1970 to 9999 in all three forms, at a time of day that moves with the day, against
 * gmtime_r() and timegm(), the oracles the library itself may not use. Failures are reported with
 * ck_abort_msg() only: every ck_assert() writes a checkpoint to Check's pipe, which for three
 * million days would be most of the run. */
static int parses_to(const char *buf, int len, time_t want)
{
	time_t got;

	return len > 0 && ymk__http_date_parse(buf, (size_t)len, &got) == 0 && got == want;
}

START_TEST(test_date_every_day)
{
	static const char *const mon[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	static const char *const wd[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const wdl[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
					   "Thursday", "Friday", "Saturday"};
	time_t day;
	long n = 0;

	for (day = 0; day <= (time_t)253402214400LL; day += 86400, n++) {
		time_t t = day + (n * 7919) % 86400;
		struct tm tm;
		char buf[64];
		int len;

		if (gmtime_r(&t, &tm) == NULL || timegm(&tm) != t)
			ck_abort_msg("libc cannot represent %lld", (long long)t);
		len = snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday],
			       tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
			       tm.tm_sec);
		if (!parses_to(buf, len, t))
			ck_abort_msg("%s: not %lld", buf, (long long)t);
		len = snprintf(buf, sizeof(buf), "%s %s %2d %02d:%02d:%02d %04d", wd[tm.tm_wday],
			       mon[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			       tm.tm_year + 1900);
		if (!parses_to(buf, len, t))
			ck_abort_msg("%s: not %lld", buf, (long long)t);
		if (tm.tm_year < 2070 - 1900) {
			len = snprintf(buf, sizeof(buf), "%s, %02d-%s-%02d %02d:%02d:%02d GMT",
				       wdl[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year % 100,
				       tm.tm_hour, tm.tm_min, tm.tm_sec);
			if (!parses_to(buf, len, t))
				ck_abort_msg("%s: not %lld", buf, (long long)t);
		}
	}
	ck_assert_int_eq(n, 2932897); /* days in 1970-01-01 .. 9999-12-31 */
}
END_TEST

START_TEST(test_date_null_args)
{
	time_t t;

	ck_assert_int_eq(ymk__http_date_parse(NULL, 29, &t), -1);
	ck_assert_int_eq(ymk__http_date_parse(D_EQ, 29, NULL), -1);
}
END_TEST

/* ---- ymk__if_range_applies ------------------------------------------------------------------ */

struct if_range_case {
	const char *value;
	size_t len;
	int exists;
	const char *etag;
	size_t etag_len;
	time_t mtime;
	int want;
};

#define R_USUAL 1, S(TAG), T0

static const struct if_range_case if_range_cases[] = {
	{S(TAG), R_USUAL, 1},
	{S("\"abd\""), R_USUAL, 0},
	{S("\"ABC\""), R_USUAL, 0},
	{S("\"ab\""), R_USUAL, 0},
	{S("W/\"abc\""), R_USUAL, 0},
	{S("W/\"abc\""), 1, S("W/\"abc\""), T0, 0}, /* weak never applies, even equal */
	{S(TAG), 1, S("W/\"abc\""), T0, 0},
	{S(TAG), 1, NONE, T0, 0},
	{S(TAG), 0, S(TAG), T0, 0},
	{S(D_EQ), R_USUAL, 1},
	{S(D_850), R_USUAL, 1},
	{S(D_ASC), R_USUAL, 1},
	{S(D_OLD), R_USUAL, 0},
	{S(D_NEW), R_USUAL, 0},
	{S(D_BAD), R_USUAL, 0},
	{S(D_EQ), 0, S(TAG), T0, 0},
	{S("Wed, 09 Nov 1994 08:49:37 GMT"), 1, S(TAG), (time_t)784370977, 1},
	{S("Wednesday, 09-Nov-94 08:49:37 GMT"), 1, S(TAG), (time_t)784370977, 1},
	{S("Wed Nov  9 08:49:37 1994"), 1, S(TAG), (time_t)784370977, 1},
	{S(""), R_USUAL, 0},
	{S("*"), R_USUAL, 0},
	{S("abc"), R_USUAL, 0},
	{S("\"abc"), R_USUAL, 0},
	{S("\"abc\" "), R_USUAL, 0},
	{S(" \"abc\""), R_USUAL, 0},
	{S("\"abc\"x"), R_USUAL, 0},
	{S("\"abc\", \"abc\""), R_USUAL, 0},
	{S("\"a c\""), 1, S("\"a c\""), T0, 0},
	{S("\"\xc3\xa9\""), 1, S("\"\xc3\xa9\""), T0, 1},
};

#define N_IF_RANGE (sizeof(if_range_cases) / sizeof(if_range_cases[0]))

START_TEST(test_if_range_table)
{
	const struct if_range_case *c = &if_range_cases[_i];
	struct guard in, tag;
	struct ymk__validators v;
	const char *value;
	int rc;

	value = guarded(&in, c->value, c->len);
	v.exists = c->exists;
	v.etag = guarded(&tag, c->etag, c->etag_len);
	v.etag_len = c->etag_len;
	v.mtime = c->mtime;
	rc = ymk__if_range_applies(value, c->len, &v);
	ck_assert_msg(rc == c->want, "row %d (%s): got %d, want %d", _i, c->value, rc, c->want);
	guard_free(&in);
	guard_free(&tag);
}
END_TEST

START_TEST(test_if_range_null_args)
{
	struct ymk__validators v = {1, S(TAG), T0};

	ck_assert_int_eq(ymk__if_range_applies(NULL, 0, &v), 0);
	ck_assert_int_eq(ymk__if_range_applies(S(TAG), NULL), 0);
}
END_TEST

/* ---- ymk__accept_encoding ------------------------------------------------------------------- */

struct ae_case {
	const char *value;
	size_t len;
	unsigned bits;
	unsigned q_gzip;
	unsigned q_br;
};

#define G YMK__CODING_GZIP
#define B YMK__CODING_BR

static const struct ae_case ae_cases[] = {
	{NONE, 0, 0, 0},
	{S(""), 0, 0, 0},
	{S("gzip"), G, 1000, 0},
	{S("br"), B, 0, 1000},
	{S("gzip, br"), G | B, 1000, 1000},
	{S("br,gzip"), G | B, 1000, 1000},
	{S("x-gzip"), G, 1000, 0},
	{S("GZIP, Br"), G | B, 1000, 1000},
	{S("X-GZip"), G, 1000, 0},
	{S("  gzip ,\tbr  "), G | B, 1000, 1000},
	{S(",,gzip,, ,"), G, 1000, 0},
	/* Weights, 0 to 3 decimals. */
	{S("gzip;q=0.5"), G, 500, 0},
	{S("gzip ; q=0.5"), G, 500, 0},
	{S("gzip;\tq=0.5"), G, 500, 0},
	{S("gzip;Q=0.5"), G, 500, 0},
	{S("br;q=0"), 0, 0, 0},
	{S("br;q=0.001"), B, 0, 1},
	{S("gzip;q=0."), 0, 0, 0},
	{S("gzip;q=0.1"), G, 100, 0},
	{S("gzip;q=0.12"), G, 120, 0},
	{S("gzip;q=0.123"), G, 123, 0},
	{S("gzip;q=0.000"), 0, 0, 0},
	{S("gzip;q=1"), G, 1000, 0},
	{S("gzip;q=1."), G, 1000, 0},
	{S("gzip;q=1.0"), G, 1000, 0},
	{S("gzip;q=1.000"), G, 1000, 0},
	/* Malformed elements are skipped. */
	{S("gzip;q=1.001"), 0, 0, 0},
	{S("gzip;q=1.001, br"), B, 0, 1000},
	{S("gzip;q=0.1234"), 0, 0, 0},
	{S("gzip;q=1.0000"), 0, 0, 0},
	{S("gzip;q=2"), 0, 0, 0},
	{S("gzip;q=.5"), 0, 0, 0},
	{S("gzip;q="), 0, 0, 0},
	{S("gzip;q"), 0, 0, 0},
	{S("gzip;"), 0, 0, 0},
	{S("gzip;q = 0.5"), 0, 0, 0},
	{S("gzip;q= 0.5"), 0, 0, 0},
	{S("gzip;q=0.5 x"), 0, 0, 0},
	{S("gzip;q=0.5;q=0.6"), 0, 0, 0},
	{S("gzip;level=1"), 0, 0, 0},
	{S("gzip br"), 0, 0, 0},
	{S("gzip\0"), 0, 0, 0},
	{S("\"gzip\""), 0, 0, 0},
	{S("gzipx, brotli, gz"), 0, 0, 0},
	{S("deflate, compress, zstd"), 0, 0, 0},
	/* "*" stands for the codings the list does not name. */
	{S("*"), G | B, 1000, 1000},
	{S("*;q=0"), 0, 0, 0},
	{S("*;q=0, gzip"), G, 1000, 0},
	{S("gzip, *;q=0"), G, 1000, 0},
	{S("*;q=0.2, br;q=0.9"), G | B, 200, 900},
	{S("br;q=0, *"), G, 1000, 0},
	{S("gzip;q=1.001, *;q=0.3"), G | B, 300, 300},
	/* identity is a coding we never report. */
	{S("identity"), 0, 0, 0},
	{S("identity;q=0"), 0, 0, 0},
	{S("identity, gzip;q=0"), 0, 0, 0},
	{S("identity;q=0, *;q=0"), 0, 0, 0},
	/* A coding named twice keeps its lowest weight. */
	{S("gzip;q=0, gzip"), 0, 0, 0},
	{S("gzip, gzip;q=0.3"), G, 300, 0},
	{S("x-gzip;q=0.4, gzip;q=0.8"), G, 400, 0},
	{S("br;q=0.9,br;q=0.7,br"), B, 0, 700},
};

#define N_AE (sizeof(ae_cases) / sizeof(ae_cases[0]))

START_TEST(test_ae_table)
{
	const struct ae_case *c = &ae_cases[_i];
	unsigned qg = 4242, qb = 4242, bits;
	struct guard in;

	bits = ymk__accept_encoding(guarded(&in, c->value, c->len), c->len, &qg, &qb);
	ck_assert_msg(bits == c->bits && qg == c->q_gzip && qb == c->q_br,
		      "row %d (%s): got bits %u gzip %u br %u, want %u %u %u", _i,
		      c->value ? c->value : "(absent)", bits, qg, qb, c->bits, c->q_gzip, c->q_br);
	guard_free(&in);
}
END_TEST

START_TEST(test_ae_null_outputs_and_flags)
{
	ck_assert_uint_eq(ymk__accept_encoding(S("gzip, br"), NULL, NULL), G | B);
	ck_assert_uint_eq(YMK__CODING_GZIP & YMK__CODING_BR, 0);
}
END_TEST

static Suite *cond_suite(void)
{
	Suite *s = suite_create("cond");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120); /* the every-day sweep under sanitizers */
	tcase_add_loop_test(tc, test_eval_table, 0, (int)N_EVAL);
	tcase_add_test(tc, test_eval_null_args);
	tcase_add_loop_test(tc, test_date_table, 0, (int)N_DATE);
	tcase_add_test(tc, test_date_every_day);
	tcase_add_test(tc, test_date_null_args);
	tcase_add_loop_test(tc, test_if_range_table, 0, (int)N_IF_RANGE);
	tcase_add_test(tc, test_if_range_null_args);
	tcase_add_loop_test(tc, test_ae_table, 0, (int)N_AE);
	tcase_add_test(tc, test_ae_null_outputs_and_flags);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cond_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
