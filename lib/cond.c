/* cond.c: decides conditional requests (RFC 9110 13), reads HTTP-dates (5.6.7), If-Range (13.1.5)
 * and Accept-Encoding (12.5.3) from header values that are slices of the request buffer, never
 * NUL-terminated, so every scan is bounded by the length it was given. The date code does its own
 * calendar arithmetic instead of calling timegm(): timegm() is a GNU extension that may consult
 * the environment and is not allowed in pure code, and a hand-written days-from-civil is exact for
 * every year we accept (1970..9999). Where a header is malformed the choice made is always the one
 * that cannot hurt: a garbled If-Match fails (412, no lost update), a garbled If-None-Match or date
 * matches nothing (the full 200 is sent), and a garbled Accept-Encoding element is skipped (the
 * identity coding is always acceptable). */
#include "cond.h"

#include "hex.h"
#include "os.h"

#include <string.h>

static int is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* etagc (RFC 9110 8.8.3): %x21 / %x23-7E / obs-text. */
static int is_etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

/* tchar (RFC 9110 5.6.2). */
static int is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c))
		return 1;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* ---- HTTP-date ---------------------------------------------------------------------------- */

static const char short_days[7][4] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const long_days[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
					 "Friday", "Saturday", "Sunday"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* A date parse walks s[i..len) with a cursor; each reader checks the bytes it needs exist. */
struct cursor {
	const unsigned char *s;
	size_t len;
	size_t i;
};

static int lit(struct cursor *c, const char *text, size_t n)
{
	if (c->len - c->i < n || memcmp(c->s + c->i, text, n) != 0)
		return -1;
	c->i += n;
	return 0;
}

/* Exactly n digits (n <= 4), no sign, no blanks. */
static int digits(struct cursor *c, size_t n, int *v)
{
	size_t k;
	int acc = 0;

	if (c->len - c->i < n)
		return -1;
	for (k = 0; k < n; k++) {
		if (!is_digit(c->s[c->i + k]))
			return -1;
		acc = acc * 10 + (c->s[c->i + k] - '0');
	}
	c->i += n;
	*v = acc;
	return 0;
}

/* Month names are case-sensitive ("Nov", never "nov"): RFC 9110 5.6.7 spells them %s. */
static int month(struct cursor *c, int *m)
{
	int k;

	if (c->len - c->i < 3)
		return -1;
	for (k = 0; k < 12; k++) {
		if (memcmp(c->s + c->i, months[k], 3) == 0) {
			c->i += 3;
			*m = k + 1;
			return 0;
		}
	}
	return -1;
}

static int short_day(struct cursor *c)
{
	int k;

	for (k = 0; k < 7; k++)
		if (lit(c, short_days[k], 3) == 0)
			return 0;
	return -1;
}

static int long_day(struct cursor *c)
{
	int k;

	for (k = 0; k < 7; k++)
		if (lit(c, long_days[k], strlen(long_days[k])) == 0)
			return 0;
	return -1;
}

/* time-of-day = hour ":" minute ":" second. Second 60 is refused: a leap second cannot be
 * represented in a time_t, and no file ever has such an mtime to compare with. */
static int time_of_day(struct cursor *c, int *h, int *mi, int *sec)
{
	if (digits(c, 2, h) != 0 || lit(c, ":", 1) != 0 || digits(c, 2, mi) != 0 || lit(c, ":", 1) != 0 ||
	    digits(c, 2, sec) != 0)
		return -1;
	return *h <= 23 && *mi <= 59 && *sec <= 59 ? 0 : -1;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar: the year is shifted to start
 * in March so the leap day falls last, then whole 400-year eras (146097 days) are counted. */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400; /* y >= 1969 here, so no negative division */
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int civil_to_time(int y, int m, int d, int h, int mi, int sec, time_t *out)
{
	int64_t secs;
	time_t t;

	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -1;
	secs = days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec;
	t = (time_t)secs;
	if ((int64_t)t != secs) /* a 32-bit time_t cannot hold years past 2038 */
		return -1;
	*out = t;
	return 0;
}

int ymk__http_date_parse(const char *s, size_t len, time_t *out)
{
	struct cursor c = {(const unsigned char *)s, len, 0};
	int y, m, d, h, mi, sec;

	if (s == NULL || out == NULL)
		return -1;
	if (len >= 4 && s[3] == ',') {
		/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
		if (short_day(&c) != 0 || lit(&c, ", ", 2) != 0 || digits(&c, 2, &d) != 0 ||
		    lit(&c, " ", 1) != 0 || month(&c, &m) != 0 || lit(&c, " ", 1) != 0 ||
		    digits(&c, 4, &y) != 0 || lit(&c, " ", 1) != 0 || time_of_day(&c, &h, &mi, &sec) != 0 ||
		    lit(&c, " GMT", 4) != 0)
			return -1;
	} else if (len >= 4 && s[3] == ' ') {
		/* asctime: Sun Nov  6 08:49:37 1994 (day is 2DIGIT or SP DIGIT) */
		if (short_day(&c) != 0 || lit(&c, " ", 1) != 0 || month(&c, &m) != 0 || lit(&c, " ", 1) != 0)
			return -1;
		if (lit(&c, " ", 1) == 0) {
			if (digits(&c, 1, &d) != 0)
				return -1;
		} else if (digits(&c, 2, &d) != 0) {
			return -1;
		}
		if (lit(&c, " ", 1) != 0 || time_of_day(&c, &h, &mi, &sec) != 0 || lit(&c, " ", 1) != 0 ||
		    digits(&c, 4, &y) != 0)
			return -1;
	} else {
		/* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT. The two-digit year is read as the contract
		 * says (70-99 -> 19xx, 00-69 -> 20xx) so the answer never depends on today's date. */
		if (long_day(&c) != 0 || lit(&c, ", ", 2) != 0 || digits(&c, 2, &d) != 0 ||
		    lit(&c, "-", 1) != 0 || month(&c, &m) != 0 || lit(&c, "-", 1) != 0 ||
		    digits(&c, 2, &y) != 0 || lit(&c, " ", 1) != 0 || time_of_day(&c, &h, &mi, &sec) != 0 ||
		    lit(&c, " GMT", 4) != 0)
			return -1;
		y += y >= 70 ? 1900 : 2000;
	}
	if (c.i != len) /* trailing bytes, even blanks: the grammar has none */
		return -1;
	return civil_to_time(y, m, d, h, mi, sec, out);
}

/* ---- Entity-tags -------------------------------------------------------------------------- */

/* Reads one entity-tag at s[*i..len): [ "W/" ] DQUOTE *etagc DQUOTE. On success *tag and *tag_len
 * are the opaque-tag including its quotes and *weak says whether "W/" came first. */
static int read_etag(const unsigned char *s, size_t len, size_t *i, const unsigned char **tag,
		     size_t *tag_len, int *weak)
{
	size_t j = *i, start;

	*weak = 0;
	if (len - j >= 2 && s[j] == 'W' && s[j + 1] == '/') {
		*weak = 1;
		j += 2;
	}
	if (j >= len || s[j] != '"')
		return -1;
	start = j++;
	while (j < len && is_etagc(s[j]))
		j++;
	if (j >= len || s[j] != '"')
		return -1;
	j++;
	*tag = s + start;
	*tag_len = j - start;
	*i = j;
	return 0;
}

/* The representation's own tag, split the same way. A weak current tag is not what the contract
 * promises, but if a caller passes one, strong comparison must still refuse it. */
static int current_tag(const struct ymk__validators *v, const unsigned char **tag, size_t *tag_len, int *weak)
{
	size_t i = 0;

	if (!v->exists || v->etag == NULL)
		return -1;
	if (read_etag((const unsigned char *)v->etag, v->etag_len, &i, tag, tag_len, weak) != 0 ||
	    i != v->etag_len)
		return -1;
	return 0;
}

enum list_result { LIST_NO_MATCH, LIST_MATCH, LIST_STAR, LIST_MALFORMED };

/* Walks "*" | #entity-tag and says whether any member matches v's tag, with strong or weak
 * comparison (RFC 9110 8.8.3.2). The whole list is checked for syntax before a match counts, so a
 * garbled header is treated the same whatever order its members happen to be in. */
static enum list_result etag_list(const char *value, size_t len, const struct ymk__validators *v, int strong)
{
	const unsigned char *s = (const unsigned char *)value;
	const unsigned char *cur = NULL, *tag;
	size_t cur_len = 0, tag_len, i = 0, end = len;
	int cur_weak = 0, weak, matched = 0, have_cur;

	while (i < end && is_ows(s[i]))
		i++;
	while (end > i && is_ows(s[end - 1]))
		end--;
	if (end - i == 1 && s[i] == '*')
		return LIST_STAR;
	have_cur = current_tag(v, &cur, &cur_len, &cur_weak) == 0;
	for (;;) {
		while (i < end && is_ows(s[i]))
			i++;
		if (i == end)
			break;
		if (s[i] == ',') { /* an empty element: tolerated (RFC 9110 5.6.1.2) */
			i++;
			continue;
		}
		if (read_etag(s, end, &i, &tag, &tag_len, &weak) != 0)
			return LIST_MALFORMED;
		if (have_cur && tag_len == cur_len && memcmp(tag, cur, cur_len) == 0 &&
		    (!strong || (!weak && !cur_weak)))
			matched = 1;
		while (i < end && is_ows(s[i]))
			i++;
		if (i < end && s[i] != ',')
			return LIST_MALFORMED;
	}
	return matched ? LIST_MATCH : LIST_NO_MATCH;
}

int ymk__preconditions_eval(const struct ymk__preconditions *pc, const struct ymk__validators *v,
			    int is_get_or_head)
{
	static const struct ymk__validators none = {0, NULL, 0, 0};
	time_t date;

	if (pc == NULL)
		return 0;
	if (v == NULL)
		v = &none;

	/* 1. If-Match, strong comparison; "*" needs a current representation. */
	if (pc->if_match != NULL) {
		enum list_result r = etag_list(pc->if_match, pc->if_match_len, v, 1);

		if (r == LIST_STAR ? !v->exists : r != LIST_MATCH)
			return 412;
	} else if (pc->if_unmodified_since != NULL && v->exists &&
		   ymk__http_date_parse(pc->if_unmodified_since, pc->if_unmodified_since_len, &date) == 0) {
		/* 2. If-Unmodified-Since, only without If-Match; an invalid date is ignored. */
		if (v->mtime > date)
			return 412;
	}

	/* 3. If-None-Match, weak comparison. A malformed list matches nothing, but its presence
	 * still switches If-Modified-Since off, as 13.2.2 step 4 says. */
	if (pc->if_none_match != NULL) {
		enum list_result r = etag_list(pc->if_none_match, pc->if_none_match_len, v, 0);

		if (r == LIST_STAR ? v->exists : r == LIST_MATCH)
			return is_get_or_head ? 304 : 412;
		return 0;
	}

	/* 4. If-Modified-Since, GET and HEAD only. */
	if (pc->if_modified_since != NULL && is_get_or_head && v->exists &&
	    ymk__http_date_parse(pc->if_modified_since, pc->if_modified_since_len, &date) == 0 &&
	    v->mtime <= date)
		return 304;
	return 0;
}

int ymk__if_range_applies(const char *value, size_t len, const struct ymk__validators *v)
{
	const unsigned char *s = (const unsigned char *)value;
	time_t date;

	if (value == NULL || v == NULL || !v->exists)
		return 0;
	/* RFC 9110 13.1.5: a DQUOTE or "W/" start tells an entity-tag from a date. */
	if ((len > 0 && s[0] == '"') || (len > 1 && s[0] == 'W' && s[1] == '/')) {
		const unsigned char *tag;
		size_t tag_len, i = 0;
		int weak;

		if (read_etag(s, len, &i, &tag, &tag_len, &weak) != 0 || i != len || weak)
			return 0;
		return v->etag != NULL && v->etag_len == len && memcmp(v->etag, value, len) == 0;
	}
	if (ymk__http_date_parse(value, len, &date) != 0)
		return 0;
	return date == v->mtime;
}

/* ---- Accept-Encoding ---------------------------------------------------------------------- */

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), read as thousandths. */
static int read_qvalue(const unsigned char *s, size_t len, size_t *i, unsigned *q)
{
	size_t j = *i, k;
	unsigned whole, frac = 0, scale = 100;

	if (j >= len || (s[j] != '0' && s[j] != '1'))
		return -1;
	whole = (unsigned)(s[j++] - '0');
	if (j < len && s[j] == '.') {
		j++;
		for (k = 0; k < 3 && j < len && is_digit(s[j]); k++, j++) {
			frac += (unsigned)(s[j] - '0') * scale;
			scale /= 10;
		}
		if (j < len && is_digit(s[j])) /* a fourth decimal */
			return -1;
	}
	if (whole == 1 && frac != 0)
		return -1;
	*i = j;
	*q = whole * 1000 + frac;
	return 0;
}

/* One element: codings [ OWS ";" OWS "q=" qvalue ], bounded by s[0..len) with the surrounding
 * OWS already removed. Returns 0 with the coding slice and its weight, or -1 when malformed. */
static int read_coding(const unsigned char *s, size_t len, const unsigned char **name, size_t *name_len,
		       unsigned *q)
{
	size_t i = 0;

	while (i < len && is_tchar(s[i]))
		i++;
	if (i == 0)
		return -1;
	*name = s;
	*name_len = i;
	*q = 1000;
	while (i < len && is_ows(s[i]))
		i++;
	if (i == len)
		return 0;
	if (s[i++] != ';')
		return -1;
	while (i < len && is_ows(s[i]))
		i++;
	/* The parameter name is case-insensitive (RFC 9110 12.4.2), the "=" takes no blanks. */
	if (len - i < 2 || lower(s[i]) != 'q' || s[i + 1] != '=')
		return -1;
	i += 2;
	if (read_qvalue(s, len, &i, q) != 0 || i != len)
		return -1;
	return 0;
}

static int name_is(const unsigned char *name, size_t name_len, const char *want)
{
	size_t k, n = strlen(want);

	if (name_len != n)
		return 0;
	for (k = 0; k < n; k++)
		if (lower(name[k]) != (unsigned char)want[k])
			return 0;
	return 1;
}

/* A coding named more than once keeps its lowest weight: sending identity to a client that would
 * have taken gzip costs bandwidth, sending gzip to one that refused it breaks the response. */
static void note(unsigned *slot, int *seen, unsigned q)
{
	if (!*seen || q < *slot)
		*slot = q;
	*seen = 1;
}

unsigned ymk__accept_encoding(const char *value, size_t len, unsigned *q_gzip, unsigned *q_br)
{
	const unsigned char *s = (const unsigned char *)value;
	unsigned qg = 0, qb = 0, qs = 0, bits = 0;
	int seen_g = 0, seen_b = 0, seen_s = 0;
	size_t i = 0;

	while (value != NULL && i < len) {
		const unsigned char *name;
		size_t start, end, name_len;
		unsigned q;

		start = i;
		while (i < len && s[i] != ',')
			i++;
		end = i;
		if (i < len)
			i++; /* the comma */
		while (start < end && is_ows(s[start]))
			start++;
		while (end > start && is_ows(s[end - 1]))
			end--;
		if (start == end || read_coding(s + start, end - start, &name, &name_len, &q) != 0)
			continue; /* empty or malformed element: skipped */
		if (name_is(name, name_len, "gzip") || name_is(name, name_len, "x-gzip"))
			note(&qg, &seen_g, q);
		else if (name_is(name, name_len, "br"))
			note(&qb, &seen_b, q);
		else if (name_len == 1 && name[0] == '*')
			note(&qs, &seen_s, q);
	}
	/* "*" stands for every coding the list does not name (RFC 9110 12.5.3). */
	if (!seen_g && seen_s)
		qg = qs;
	if (!seen_b && seen_s)
		qb = qs;
	if (qg > 0)
		bits |= YMK__CODING_GZIP;
	if (qb > 0)
		bits |= YMK__CODING_BR;
	if (q_gzip != NULL)
		*q_gzip = qg;
	if (q_br != NULL)
		*q_br = qb;
	return bits;
}

size_t ymk__etag(const struct stat *st, char *out)
{
	/* A strong validator that changes whenever the file is replaced (inode) or rewritten
	 * (size, nanosecond mtime). */
	size_t e = 0;
	out[e++] = '"';
	e += ymk__hex_u64(out + e, (uint64_t)st->st_ino);
	out[e++] = '-';
	e += ymk__hex_u64(out + e, (uint64_t)st->st_size);
	out[e++] = '-';
	e += ymk__hex_u64(out + e, (uint64_t)ymk__os_mtime_ns(st));
	out[e++] = '"';
	return e;
}
