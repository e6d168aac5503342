/* test_listing.c: tests for the directory listing: the hidden-name rule, the sort order, the
 * escaping of hostile names (each checked by the exact text of its link, and by the absence of
 * the raw bytes), the "../" rule, the date arithmetic (against gmtime_r over many days, and at the
 * ends of time_t) and the measure-then-fill contract: for every cap from 0 to past the size, the
 * result is the same exact size, the bytes written are a prefix of the page, and the buffer ends at
 * a PROT_NONE page so a write past out[cap - 1] faults. */
#include "listing.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"

/* The whole page as a NUL-terminated heap string (the test's own convenience). */
static char *render(const char *path, const struct ymk__dirent *e, size_t n, size_t *len)
{
	size_t need = ymk__listing_html(path, e, n, NULL, 0);
	char *buf = malloc(need + 1);
	size_t got;

	ck_assert_ptr_nonnull(buf);
	got = ymk__listing_html(path, e, n, buf, need);
	ck_assert_uint_eq(got, need);
	buf[need] = '\0';
	ck_assert_uint_eq(strlen(buf), need); /* no NUL inside the page */
	if (len != NULL)
		*len = need;
	return buf;
}

/* first comes before second in page, both present. */
static void assert_before(const char *page, const char *first, const char *second)
{
	const char *a = strstr(page, first), *b = strstr(page, second);

	ck_assert_msg(a != NULL && b != NULL && a < b, "%s not before %s", first, second);
}

static void assert_has(const char *page, const char *want)
{
	ck_assert_msg(strstr(page, want) != NULL, "missing: %s", want);
}

static void assert_lacks(const char *page, const char *bad)
{
	ck_assert_msg(strstr(page, bad) == NULL, "present: %s", bad);
}

/* --- hidden --------------------------------------------------------------------------------- */

static const struct {
	const char *name;
	int hidden;
} hidden_cases[] = {
	{".", 1},
	{"..", 1},
	{".hidden", 1},
	{".ymk-upload-123", 1},
	{".git", 1},
	{"...", 1},
	{"", 1},
	{"a", 0},
	{"a.", 0},
	{"a..b", 0},
	{"ohwell...txt", 0},
	{" .x", 0},
	{"x.ymk-upload-", 0},
	{"index.html", 0},
	{"\xc3\xa9", 0},
};

START_TEST(test_listing_hidden)
{
	ck_assert_msg(ymk__listing_hidden(hidden_cases[_i].name) == hidden_cases[_i].hidden,
		      "name \"%s\"", hidden_cases[_i].name);
}
END_TEST

START_TEST(test_listing_hidden_null)
{
	ck_assert_int_eq(ymk__listing_hidden(NULL), 1);
}
END_TEST

/* --- sort ----------------------------------------------------------------------------------- */

START_TEST(test_listing_sort)
{
	static const char *const want[] = {
		"B", "a", "zdir", "\xc3\xa9t\xc3\xa9", /* directories, by bytes */
		"-", "1", "10", "2", "A", "Z", "_", "a", "a b", "ab", "b", "\x7f", "\xc3\xa9",
	};
	static const int want_dir[] = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	struct ymk__dirent e[sizeof(want) / sizeof(want[0])];
	size_t n = sizeof(want) / sizeof(want[0]), i, round;
	uint32_t seed = 1;

	for (round = 0; round < 50; round++) {
		for (i = 0; i < n; i++) {
			e[i].name = want[i];
			e[i].is_dir = want_dir[i] ? (int)(i + 1) : 0; /* any non-zero is a directory */
			e[i].size = i;
			e[i].mtime = 0;
		}
		/* Shuffle (Fisher-Yates with a fixed LCG); round 0 keeps the sorted order. */
		for (i = n; round > 0 && i > 1; i--) {
			size_t j;
			struct ymk__dirent t;

			seed = seed * 1103515245u + 12345u;
			j = (seed >> 16) % i;
			t = e[i - 1];
			e[i - 1] = e[j];
			e[j] = t;
		}
		if (round == 1) { /* reversed */
			for (i = 0; i < n / 2; i++) {
				struct ymk__dirent t = e[i];

				e[i] = e[n - 1 - i];
				e[n - 1 - i] = t;
			}
		}
		ymk__listing_sort(e, n);
		for (i = 0; i < n; i++) {
			ck_assert_msg(strcmp(e[i].name, want[i]) == 0 &&
					      (e[i].is_dir != 0) == want_dir[i],
				      "round %zu pos %zu: %s", round, i, e[i].name);
		}
	}
	ymk__listing_sort(NULL, 0);
	ymk__listing_sort(e, 1);
	ymk__listing_sort(e, 0);
}
END_TEST

START_TEST(test_listing_sort_large)
{
	static struct ymk__dirent e[3000];
	static char names[3000][8];
	size_t n = sizeof(e) / sizeof(e[0]), i;
	uint32_t seed = 7;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		snprintf(names[i], sizeof(names[i]), "%06u", (unsigned)(seed >> 8) % 1000000u);
		e[i].name = names[i];
		e[i].is_dir = (seed >> 3) & 1;
		e[i].size = i;
		e[i].mtime = 0;
	}
	ymk__listing_sort(e, n);
	for (i = 1; i < n; i++) {
		int c = strcmp(e[i - 1].name, e[i].name);

		ck_assert(e[i - 1].is_dir >= e[i].is_dir);
		if (e[i - 1].is_dir == e[i].is_dir)
			ck_assert(c < 0 || (c == 0 && e[i - 1].size < e[i].size));
	}
}
END_TEST

/* --- escaping ------------------------------------------------------------------------------- */

static const struct {
	const char *name;
	int is_dir;
	const char *want; /* exact text from the href to the end of the link */
	const char *raw;  /* must not appear anywhere, or NULL */
} escape_cases[] = {
	{"<script>", 0, "href=\"%3Cscript%3E\">&lt;script&gt;</a>", "<script>"},
	{"a&b", 0, "href=\"a%26b\">a&amp;b</a>", "a&b"},
	{"\"quoted\"", 0, "href=\"%22quoted%22\">&quot;quoted&quot;</a>", "\"quoted\""},
	{"it's", 0, "href=\"it%27s\">it&#39;s</a>", "it's"},
	{"%41", 0, "href=\"%2541\">%41</a>", "\"%41\""},
	{"?x", 0, "href=\"%3Fx\">?x</a>", "\"?x"},
	{"#frag", 0, "href=\"%23frag\">#frag</a>", "\"#frag"},
	{"my file.txt", 0, "href=\"my%20file.txt\">my file.txt</a>", "\"my file"},
	{"caf\xc3\xa9", 0, "href=\"caf%C3%A9\">caf\xc3\xa9</a>", NULL},
	{"\xe6\x97\xa5\xe6\x9c\xac", 1, "href=\"%E6%97%A5%E6%9C%AC/\">\xe6\x97\xa5\xe6\x9c\xac/</a>",
	 NULL},
	{"a\nb", 0, "href=\"a%0Ab\">a&#x240A;b</a>", "a\nb"},
	{"a\rb", 0, "href=\"a%0Db\">a&#x240D;b</a>", "a\rb"},
	{"t\tab", 0, "href=\"t%09ab\">t&#x2409;ab</a>", "t\tab"},
	{"del\x7f", 0, "href=\"del%7F\">del&#x2421;</a>", "del\x7f"},
	{"esc\x1b[31m", 0, "href=\"esc%1B%5B31m\">esc&#x241B;[31m</a>", "\x1b"},
	{"javascript:alert(1)", 0, "href=\"javascript%3Aalert%281%29\">javascript:alert(1)</a>",
	 "href=\"javascript:"},
	{"a>b", 0, "href=\"a%3Eb\">a&gt;b</a>", "a>b"},
	{"x\" onmouseover=\"y", 0,
	 "href=\"x%22%20onmouseover%3D%22y\">x&quot; onmouseover=&quot;y</a>", "\" onmouseover"},
	{"~user-._", 0, "href=\"~user-._\">~user-._</a>", NULL},
	{"AZaz09", 0, "href=\"AZaz09\">AZaz09</a>", NULL},
	{"back\\slash", 0, "href=\"back%5Cslash\">back\\slash</a>", NULL},
	{"sub", 1, "href=\"sub/\">sub/</a></td><td>-</td>", NULL},
	{"&amp;", 0, "href=\"%26amp%3B\">&amp;amp;</a>", NULL},
	{"\xff\xfe", 0, "href=\"%FF%FE\">\xff\xfe</a>", NULL},
	{"+=@$,;!*()[]{}|^`", 0,
	 "href=\"%2B%3D%40%24%2C%3B%21%2A%28%29%5B%5D%7B%7D%7C%5E%60\">+=@$,;!*()[]{}|^`</a>",
	 NULL},
};

#define NESCAPE (sizeof(escape_cases) / sizeof(escape_cases[0]))

START_TEST(test_listing_escape_each)
{
	struct ymk__dirent e = {escape_cases[_i].name, escape_cases[_i].is_dir, 5, 0};
	char *page = render("/d/", &e, 1, NULL);
	char row[512];

	assert_has(page, escape_cases[_i].want);
	snprintf(row, sizeof(row), "<tr><td><a %s</td><td>%s</td><td>1970-01-01 00:00</td></tr>\n",
		 escape_cases[_i].want, escape_cases[_i].is_dir ? "-" : "5");
	if (escape_cases[_i].is_dir == 0)
		assert_has(page, row);
	if (escape_cases[_i].raw != NULL)
		assert_lacks(page, escape_cases[_i].raw);
	free(page);
}
END_TEST

/* All hostile names on one page: every link intact, and the markup count unchanged. */
START_TEST(test_listing_escape_together)
{
	struct ymk__dirent e[NESCAPE];
	size_t i, rows = 0;
	const char *p;
	char *page;

	for (i = 0; i < NESCAPE; i++) {
		e[i].name = escape_cases[i].name;
		e[i].is_dir = escape_cases[i].is_dir;
		e[i].size = i;
		e[i].mtime = 0;
	}
	ymk__listing_sort(e, NESCAPE);
	page = render("/d/", e, NESCAPE, NULL);
	for (i = 0; i < NESCAPE; i++)
		assert_has(page, escape_cases[i].want);
	for (p = page; (p = strstr(p, "<a ")) != NULL; p++)
		rows++;
	ck_assert_uint_eq(rows, NESCAPE + 1); /* plus "../" */
	assert_lacks(page, "<script");
	free(page);
}
END_TEST

/* --- page structure ------------------------------------------------------------------------- */

START_TEST(test_listing_root_and_parent)
{
	struct ymk__dirent e = {"f", 0, 1, 0};
	char *page;

	page = render("/", &e, 1, NULL);
	assert_lacks(page, "../");
	assert_has(page, "<title>Index of /</title>");
	assert_has(page, "<h1>Index of /</h1>");
	free(page);

	page = render("/docs/", &e, 1, NULL);
	assert_has(page, "<a href=\"../\">../</a>");
	assert_has(page, "<title>Index of /docs/</title>");
	/* "../" comes before the entries. */
	assert_before(page, "href=\"../\"", "href=\"f\"");
	free(page);

	page = render("/a/b/", NULL, 0, NULL);
	assert_has(page, "href=\"../\"");
	free(page);
}
END_TEST

START_TEST(test_listing_page_shape)
{
	struct ymk__dirent e[] = {{"d", 1, 4096, 0}, {"f", 0, 0, 0}, {"g", 0, UINT64_MAX, 0}};
	size_t len;
	char *page = render("/x/", e, 3, &len);

	ck_assert_int_eq(strncmp(page, "<!DOCTYPE html>\n", 16), 0);
	assert_has(page, "<meta charset=\"utf-8\">");
	ck_assert_str_eq(page + len - 8, "</html>\n");
	assert_has(page, "<tr><td><a href=\"d/\">d/</a></td><td>-</td><td>1970-01-01 00:00</td></tr>");
	assert_has(page, "<tr><td><a href=\"f\">f</a></td><td>0</td><td>1970-01-01 00:00</td></tr>");
	assert_has(page, "<td>18446744073709551615</td>");
	assert_lacks(page, "4096");
	/* Rows in the order given. */
	assert_before(page, "href=\"d/\"", "href=\"f\"");
	assert_before(page, "href=\"f\"", "href=\"g\"");
	free(page);
}
END_TEST

START_TEST(test_listing_path_escaped)
{
	char *page = render("/<b>&\"'\n/", NULL, 0, NULL);

	assert_has(page, "<title>Index of /&lt;b&gt;&amp;&quot;&#39;&#x240A;/</title>");
	assert_has(page, "<h1>Index of /&lt;b&gt;&amp;&quot;&#39;&#x240A;/</h1>");
	assert_lacks(page, "<b>");
	free(page);
	page = render("/caf\xc3\xa9/", NULL, 0, NULL);
	assert_has(page, "<h1>Index of /caf\xc3\xa9/</h1>");
	free(page);
}
END_TEST

/* Hidden names that a caller failed to filter are still not shown. */
START_TEST(test_listing_drops_hidden)
{
	struct ymk__dirent e[] = {{".ymk-upload-x", 0, 1, 0}, {"..", 1, 0, 0}, {"ok", 0, 1, 0},
				  {".env", 0, 1, 0},          {NULL, 0, 0, 0}};
	char *page = render("/", e, 5, NULL);

	assert_lacks(page, "ymk-upload");
	assert_lacks(page, ".env");
	assert_lacks(page, "..");
	assert_has(page, "href=\"ok\"");
	free(page);
}
END_TEST

START_TEST(test_listing_deterministic)
{
	struct ymk__dirent e[] = {{"a", 0, 1, 1700000000}, {"b", 1, 0, -1}};
	char *p1 = render("/q/", e, 2, NULL);
	char *p2 = render("/q/", e, 2, NULL);

	ck_assert_str_eq(p1, p2);
	free(p1);
	free(p2);
}
END_TEST

/* --- dates ---------------------------------------------------------------------------------- */

/* The date cell of a one-entry page for t. */
static void date_of(time_t t, char *buf, size_t cap)
{
	struct ymk__dirent e = {"f", 0, 0, t};
	char *page = render("/", &e, 1, NULL);
	const char *s = strstr(page, "</td><td>0</td><td>");
	const char *end;

	ck_assert_ptr_nonnull(s);
	s += strlen("</td><td>0</td><td>");
	end = strstr(s, "</td>");
	ck_assert_ptr_nonnull(end);
	ck_assert_uint_lt((size_t)(end - s), cap);
	memcpy(buf, s, (size_t)(end - s));
	buf[end - s] = '\0';
	free(page);
}

static void check_against_gmtime(time_t t)
{
	struct tm tm;
	char want[64], got[64];

	ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
	snprintf(want, sizeof(want), "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min);
	date_of(t, got, sizeof(got));
	ck_assert_msg(strcmp(got, want) == 0, "t=%lld: got %s, want %s", (long long)t, got, want);
}

START_TEST(test_listing_dates_vs_gmtime)
{
	int64_t t;

	/* Every day (at a drifting time of day) from 1899 to 2101: three kinds of century years. */
	for (t = -2240611200LL; t < 4133980800LL; t += 86400 + 61)
		check_against_gmtime((time_t)t);
	/* Coarse steps over years 0..9999. */
	for (t = -62167219200LL; t < 253402300800LL; t += 86400LL * 997 + 3599)
		check_against_gmtime((time_t)t);
}
END_TEST

static const struct {
	int64_t t;
	const char *want;
} date_cases[] = {
	{0, "1970-01-01 00:00"},
	{59, "1970-01-01 00:00"},
	{60, "1970-01-01 00:01"},
	{-1, "1969-12-31 23:59"},
	{-86400, "1969-12-31 00:00"},
	{-86401, "1969-12-30 23:59"},
	{951782400, "2000-02-29 00:00"},
	{951868799, "2000-02-29 23:59"},
	{1700000000, "2023-11-14 22:13"},
	{2147483647, "2038-01-19 03:14"},
	{2147483648LL, "2038-01-19 03:14"},
	{4107542400LL, "2100-03-01 00:00"},
	{253402300799LL, "9999-12-31 23:59"},
	{253402300800LL, "10000-01-01 00:00"},
	{-62167219200LL, "0000-01-01 00:00"},
	{-62167219201LL, "-0001-12-31 23:59"},
	{INT64_MAX, "292277026596-12-04 15:30"},
	{INT64_MIN, "-292277022657-01-27 08:29"},
};

START_TEST(test_listing_date_table)
{
	char got[64];

	date_of((time_t)date_cases[_i].t, got, sizeof(got));
	ck_assert_str_eq(got, date_cases[_i].want);
}
END_TEST

/* --- measure, then fill --------------------------------------------------------------------- */

START_TEST(test_listing_measure_fill)
{
	struct ymk__dirent e[] = {{"sub", 1, 0, 0}, {"a&b", 0, 12, 951782400}, {"<x>", 0, 3, -1},
				  {"caf\xc3\xa9", 0, 1, 1}};
	size_t full_len, cap;
	char *full = render("/p&q/", e, 4, &full_len);

	ck_assert_uint_gt(full_len, 200);
	for (cap = 0; cap <= full_len + 2; cap++) {
		struct guard g;
		char *out;
		size_t need;

		guard_init(&g, cap);
		out = guard_end(&g, cap); /* out[cap] is the PROT_NONE page */
		memset(g.map, 0x5a, g.body - cap);
		need = ymk__listing_html("/p&q/", e, 4, out, cap);
		ck_assert_uint_eq(need, full_len);
		ck_assert_int_eq(memcmp(out, full, cap < full_len ? cap : full_len), 0);
		if (cap > full_len) /* nothing written after the page, not even a NUL */
			ck_assert_int_eq((unsigned char)out[full_len], 0);
		guard_free(&g);
	}
	/* NULL with cap 0 only measures. */
	ck_assert_uint_eq(ymk__listing_html("/p&q/", e, 4, NULL, 0), full_len);
	free(full);
}
END_TEST

/* A byte that follows the page in a larger buffer stays as it was. */
START_TEST(test_listing_no_nul)
{
	char buf[2048];
	size_t need;

	memset(buf, 'Z', sizeof(buf));
	need = ymk__listing_html("/", NULL, 0, buf, sizeof(buf));
	ck_assert_uint_lt(need, sizeof(buf));
	ck_assert_int_eq(buf[need], 'Z');
	ck_assert_int_eq(buf[need - 1], '\n');
}
END_TEST

static Suite *listing_suite(void)
{
	Suite *s = suite_create("listing");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_listing_hidden, 0,
			    (int)(sizeof(hidden_cases) / sizeof(hidden_cases[0])));
	tcase_add_test(tc, test_listing_hidden_null);
	tcase_add_test(tc, test_listing_sort);
	tcase_add_test(tc, test_listing_sort_large);
	tcase_add_loop_test(tc, test_listing_escape_each, 0, (int)NESCAPE);
	tcase_add_test(tc, test_listing_escape_together);
	tcase_add_test(tc, test_listing_root_and_parent);
	tcase_add_test(tc, test_listing_page_shape);
	tcase_add_test(tc, test_listing_path_escaped);
	tcase_add_test(tc, test_listing_drops_hidden);
	tcase_add_test(tc, test_listing_deterministic);
	tcase_add_test(tc, test_listing_dates_vs_gmtime);
	tcase_add_loop_test(tc, test_listing_date_table, 0,
			    (int)(sizeof(date_cases) / sizeof(date_cases[0])));
	tcase_add_test(tc, test_listing_measure_fill);
	tcase_add_test(tc, test_listing_no_nul);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(listing_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
