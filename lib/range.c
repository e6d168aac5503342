/* range.c: reads a Range field value against a representation's length and tells the caller to
 * send the whole representation (ignore), 206 with coalesced parts in request order, or 416
 * (RFC 9110 14).
 * Anything the grammar does not allow makes the whole header ignored, as RFC 9110 14.2 permits,
 * because answering a garbled request with the full 200 is always safe while guessing is not.
 * Overlapping and adjacent ranges are merged so that a client cannot make the server send the same
 * bytes many times over (RFC 9110 15.3.7.2 advises it), and the number of specs is capped before
 * any work is done on them.
 * Whitespace: RFC 9110's list rule allows OWS only around the commas, so "bytes= 0-1" and
 * "bytes =0-1" are ignored, while "bytes=0-1 , 2-3" is fine. Trailing OWS at the very end is
 * tolerated because it is not part of a field value (RFC 9112 5) whether or not the header parser
 * already trimmed it. */
#include "range.h"

#include <string.h>

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads 1*DIGIT at s[*i..len). Returns 0 with *v set, or -1 when there is no digit or the number
 * does not fit in uint64. */
static int read_number(const char *s, size_t len, size_t *i, uint64_t *v)
{
	uint64_t acc = 0;
	size_t j = *i;

	if (j >= len || !is_digit(s[j]))
		return -1;
	for (; j < len && is_digit(s[j]); j++) {
		unsigned d = (unsigned)(s[j] - '0');

		if (acc > (UINT64_MAX - d) / 10)
			return -1;
		acc = acc * 10 + d;
	}
	*i = j;
	*v = acc;
	return 0;
}

/* Parses one range-spec at s[*i..len), stopping at the first byte that is not part of it.
 * Returns 0 with the spec's meaning against size: *satisfiable and, if so, *r; -1 on bad syntax. */
static int read_spec(const char *s, size_t len, size_t *i, uint64_t size, int *satisfiable,
		     struct ymk__range *r)
{
	uint64_t first, last;

	*satisfiable = 0;
	if (*i < len && s[*i] == '-') {
		(*i)++;
		if (read_number(s, len, i, &last) != 0)
			return -1;
		if (last > 0 && size > 0) {
			r->first = last >= size ? 0 : size - last;
			r->last = size - 1;
			*satisfiable = 1;
		}
		return 0;
	}
	if (read_number(s, len, i, &first) != 0)
		return -1;
	if (*i >= len || s[*i] != '-')
		return -1;
	(*i)++;
	if (*i < len && is_digit(s[*i])) {
		if (read_number(s, len, i, &last) != 0)
			return -1;
		if (last < first)
			return -1;
	} else {
		last = UINT64_MAX;
	}
	if (first < size) {
		r->first = first;
		r->last = last < size - 1 ? last : size - 1;
		*satisfiable = 1;
	}
	return 0;
}

/* 1 when two parts overlap or touch (last < size <= UINT64_MAX, so last + 1 cannot wrap). */
static int touches(const struct ymk__range *a, const struct ymk__range *b)
{
	return a->first <= b->last + 1 && b->first <= a->last + 1;
}

/* Merges overlapping or adjacent parts in place and returns the new count. The parts keep the
 * order in which they were asked for (RFC 9110 14.6: a server SHOULD send them in that order);
 * a merged part stands where the first of its pieces stood. At most YMK__RANGE_MAX_PARTS
 * entries, so the repeated scan costs nothing worth a cleverer structure. */
static size_t coalesce(struct ymk__range *r, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i + 1;
		while (j < n && !touches(&r[i], &r[j]))
			j++;
		if (j == n) {
			i++;
			continue;
		}
		if (r[j].first < r[i].first)
			r[i].first = r[j].first;
		if (r[j].last > r[i].last)
			r[i].last = r[j].last;
		memmove(&r[j], &r[j + 1], (n - j - 1) * sizeof *r);
		n--;
		i = 0; /* r[i] grew: it may now touch a part before it */
	}
	return n;
}

enum ymk__range_result ymk__range_parse(const char *value, size_t len, uint64_t size, size_t max_parts,
					struct ymk__range *out, size_t *n)
{
	static const char unit[] = "bytes=";
	size_t i, specs = 0, kept = 0;

	if (value == NULL || out == NULL || n == NULL)
		return YMK__RANGE_IGNORE;
	if (max_parts > YMK__RANGE_MAX_PARTS)
		max_parts = YMK__RANGE_MAX_PARTS;

	for (i = 0; i < sizeof(unit) - 1; i++) {
		char c;

		if (i >= len)
			return YMK__RANGE_IGNORE;
		c = value[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + ('a' - 'A'));
		if (c != unit[i])
			return YMK__RANGE_IGNORE;
	}

	/* List elements, with empty ones (",,") allowed and OWS only next to a comma. */
	for (;;) {
		int satisfiable;
		struct ymk__range r;

		if (i < len && value[i] == ',') {
			i++;
			while (i < len && is_ows(value[i]))
				i++;
			continue;
		}
		if (i >= len)
			break;
		if (read_spec(value, len, &i, size, &satisfiable, &r) != 0)
			return YMK__RANGE_IGNORE;
		if (++specs > max_parts)
			return YMK__RANGE_IGNORE;
		if (satisfiable)
			out[kept++] = r;
		/* After a spec: end, or OWS then a comma, or OWS then the end. */
		while (i < len && is_ows(value[i]))
			i++;
		if (i < len && value[i] != ',')
			return YMK__RANGE_IGNORE;
	}

	if (specs == 0)
		return YMK__RANGE_IGNORE;
	if (kept == 0)
		return YMK__RANGE_UNSATISFIABLE;
	*n = coalesce(out, kept);
	return YMK__RANGE_OK;
}
