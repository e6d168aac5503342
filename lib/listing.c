/* listing.c: builds the HTML page of a directory listing from entries the caller has read. Names
 * come straight from the file system, so every byte of them is treated as hostile: in text they are
 * HTML-escaped (and control bytes shown as visible Control Pictures, so a newline in a name can
 * neither reshape the page nor hide itself), and in links every byte outside the unreserved set is
 * percent-encoded, which leaves no ':', '?', '#', '/' or quote that could turn a relative link into
 * a scheme, a query, a fragment, another directory or the end of the attribute. Output goes through
 * a writer that counts every byte but stores only what fits, so one function both measures and
 * fills, and the two passes cannot disagree. Nothing here reads the clock, the locale or the time
 * zone (the date is computed from the day count), so equal inputs give byte-identical pages. */
#include "listing.h"

#include <string.h>

/* Counts every byte, stores those that fit below cap. */
struct writer {
	char *out;
	size_t cap;
	size_t len;
};

static void put_bytes(struct writer *w, const char *s, size_t n)
{
	if (w->len < w->cap) {
		size_t room = w->cap - w->len;

		memcpy(w->out + w->len, s, n < room ? n : room);
	}
	w->len += n;
}

static void put_str(struct writer *w, const char *s)
{
	put_bytes(w, s, strlen(s));
}

static void put_char(struct writer *w, char c)
{
	put_bytes(w, &c, 1);
}

static const char hex_upper[] = "0123456789ABCDEF";

/* Text and attribute escaping. Control bytes (0x01-0x1F, 0x7F) become the matching Control
 * Picture (U+2400 + c, U+2421 for DEL): numeric references to C0 controls are parse errors in
 * HTML and raw ones are invisible, while a visible stand-in keeps "a\nb" and "a b" apart. */
static void put_html(struct writer *w, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char ref[10];

		switch (c) {
		case '&': put_str(w, "&amp;"); continue;
		case '<': put_str(w, "&lt;"); continue;
		case '>': put_str(w, "&gt;"); continue;
		case '"': put_str(w, "&quot;"); continue;
		case '\'': put_str(w, "&#39;"); continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			unsigned cp = c == 0x7f ? 0x2421u : 0x2400u + c;

			memcpy(ref, "&#x", 3);
			ref[3] = hex_upper[(cp >> 12) & 0xf];
			ref[4] = hex_upper[(cp >> 8) & 0xf];
			ref[5] = hex_upper[(cp >> 4) & 0xf];
			ref[6] = hex_upper[cp & 0xf];
			ref[7] = ';';
			put_bytes(w, ref, 8);
			continue;
		}
		put_char(w, (char)c);
	}
}

/* RFC 3986 unreserved bytes stay; everything else, '/' included, becomes %XX. */
static void put_href(struct writer *w, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~') {
			put_char(w, (char)c);
		} else {
			char esc[3] = {'%', hex_upper[c >> 4], hex_upper[c & 0xf]};

			put_bytes(w, esc, 3);
		}
	}
}

static void put_u64(struct writer *w, uint64_t v)
{
	char buf[20];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put_bytes(w, buf + i, sizeof(buf) - i);
}

/* Writes v in decimal with at least `width` digits, a '-' first when negative. */
static void put_i64(struct writer *w, int64_t v, size_t width)
{
	char buf[24];
	size_t i = sizeof(buf);
	/* The magnitude as unsigned, so INT64_MIN does not overflow. */
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		buf[--i] = (char)('0' + m % 10);
		m /= 10;
	} while (m != 0);
	while (sizeof(buf) - i < width)
		buf[--i] = '0';
	if (v < 0)
		buf[--i] = '-';
	put_bytes(w, buf + i, sizeof(buf) - i);
}

/* Days since 1970-01-01 to the proleptic Gregorian civil date, in 400-year eras of 146097 days
 * (Howard Hinnant's days_from_civil inverse); exact for every 64-bit time_t. */
static void civil_from_days(int64_t z, int64_t *year, unsigned *month, unsigned *day)
{
	int64_t era, y;
	uint64_t doe, yoe, doy, mp;

	z += 719468; /* shift the epoch to 0000-03-01 */
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (uint64_t)(z - era * 146097);                          /* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* [0, 365] */
	mp = (5 * doy + 2) / 153;                      /* [0, 11], March first */
	*day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*year = y + (*month <= 2);
}

/* "YYYY-MM-DD HH:MM" in UTC; years outside 0..9999 keep all their digits and sign. */
static void put_date(struct writer *w, time_t t)
{
	int64_t secs = (int64_t)t;
	int64_t days = secs / 86400;
	int64_t rem = secs % 86400;
	int64_t year;
	unsigned month, day;

	if (rem < 0) { /* floor, not truncation, for times before 1970 */
		rem += 86400;
		days -= 1;
	}
	civil_from_days(days, &year, &month, &day);
	put_i64(w, year, 4);
	put_char(w, '-');
	put_i64(w, month, 2);
	put_char(w, '-');
	put_i64(w, day, 2);
	put_char(w, ' ');
	put_i64(w, rem / 3600, 2);
	put_char(w, ':');
	put_i64(w, rem / 60 % 60, 2);
}

int ymk__listing_hidden(const char *name)
{
	/* "." and ".." start with '.', as does YMK__RESERVED_PREFIX; an empty name is no entry. */
	return name == NULL || name[0] == '\0' || name[0] == '.';
}

/* Directories first, then strcmp order; equal names (which a directory never holds) fall back to
 * size and mtime so the order, and with it the page, never depends on the input order. */
static int entry_cmp(const struct ymk__dirent *a, const struct ymk__dirent *b)
{
	int c;

	if ((a->is_dir != 0) != (b->is_dir != 0))
		return a->is_dir != 0 ? -1 : 1;
	c = strcmp(a->name, b->name);
	if (c != 0)
		return c;
	if (a->size != b->size)
		return a->size < b->size ? -1 : 1;
	if (a->mtime != b->mtime)
		return a->mtime < b->mtime ? -1 : 1;
	return 0;
}

static void sift_down(struct ymk__dirent *e, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		struct ymk__dirent tmp;

		if (child >= n)
			return;
		if (child + 1 < n && entry_cmp(&e[child], &e[child + 1]) < 0)
			child++;
		if (entry_cmp(&e[root], &e[child]) >= 0)
			return;
		tmp = e[root];
		e[root] = e[child];
		e[child] = tmp;
		root = child;
	}
}

/* Heapsort: O(n log n) on directories of any size with no allocation and no recursion (glibc's
 * qsort may call malloc). */
void ymk__listing_sort(struct ymk__dirent *e, size_t n)
{
	size_t i;

	if (e == NULL || n < 2)
		return;
	for (i = n / 2; i > 0; i--)
		sift_down(e, i - 1, n);
	for (i = n - 1; i > 0; i--) {
		struct ymk__dirent tmp = e[0];

		e[0] = e[i];
		e[i] = tmp;
		sift_down(e, 0, i);
	}
}

size_t ymk__listing_html(const char *path, const struct ymk__dirent *e, size_t n, char *out, size_t cap)
{
	struct writer w = {out, out == NULL ? 0 : cap, 0};
	size_t i;

	if (path == NULL || path[0] == '\0')
		path = "/";
	put_str(&w, "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width\">\n<title>Index of ");
	put_html(&w, path);
	put_str(&w, "</title>\n</head>\n<body>\n<h1>Index of ");
	put_html(&w, path);
	put_str(&w, "</h1>\n<table>\n<tr><th>Name</th><th>Size</th><th>Modified</th></tr>\n");
	if (strcmp(path, "/") != 0)
		put_str(&w, "<tr><td><a href=\"../\">../</a></td><td>-</td><td></td></tr>\n");
	for (i = 0; e != NULL && i < n; i++) {
		/* Callers filter already; a hidden or reserved name slipping through is dropped. */
		if (ymk__listing_hidden(e[i].name))
			continue;
		put_str(&w, "<tr><td><a href=\"");
		put_href(&w, e[i].name);
		if (e[i].is_dir)
			put_char(&w, '/');
		put_str(&w, "\">");
		put_html(&w, e[i].name);
		if (e[i].is_dir)
			put_char(&w, '/');
		put_str(&w, "</a></td><td>");
		if (e[i].is_dir)
			put_char(&w, '-');
		else
			put_u64(&w, e[i].size);
		put_str(&w, "</td><td>");
		put_date(&w, e[i].mtime);
		put_str(&w, "</td></tr>\n");
	}
	put_str(&w, "</table>\n</body>\n</html>\n");
	return w.len;
}
