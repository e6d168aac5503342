/* path.c: turns a request-target into a root-relative path that cannot climb out of the document
 * root, and percent-encodes paths for Location headers and hrefs. Everything the static handler
 * and the path-policy hook trust about a path is decided here, so the rules are strict and
 * explicit: a ".." segment is refused (403) rather than clamped, so a client probing for traversal
 * learns nothing and a log shows the attempt; a decoded '/' separates segments exactly like a raw
 * one, so "%2F" cannot smuggle a ".." past the segment check. Errors have a fixed precedence so that
 * the answer does not depend on where in the target the problems sit: a malformed target (400) wins
 * over traversal (403), which wins over a reserved name (404), which wins over length (414). */
#include "path.h"

#include "http_parse.h"

#include <string.h>

#define PATH_RESERVED_LEN (sizeof(YMK__RESERVED_PREFIX) - 1)

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static unsigned char ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Case-insensitive prefix test that never reads past s[0..len). */
static int has_prefix_ci(const char *s, size_t len, const char *prefix)
{
	size_t i;

	for (i = 0; prefix[i] != '\0'; i++) {
		if (i >= len || ascii_lower((unsigned char)s[i]) != (unsigned char)prefix[i])
			return 0;
	}
	return 1;
}

/* Finds where the path of the target starts, handling absolute-form. Returns 0 with *start set
 * (equal to *end when the path is empty, i.e. the root), or 400. */
static int locate_path(const char *t, size_t len, size_t *start)
{
	size_t auth, end;

	if (len > 0 && t[0] == '/') {
		*start = 0;
		return 0;
	}
	if (!ymk__http_target_authority(t, len, &auth, &end))
		return 400;
	/* An http(s) URI with an empty authority has no host to address (RFC 9110 4.2.1). The
	 * parser has already checked a non-empty one against the Host grammar. */
	if (end == auth)
		return 400;
	*start = end;
	return 0;
}

/* First pass: every escape well-formed and no decoded byte is NUL or a control. Done before any
 * segment is looked at so that a malformed target is 400 wherever the damage is. */
static int validate_bytes(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				return 400;
			hi = hex_value((unsigned char)s[i + 1]);
			lo = hex_value((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return 400;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (is_control(c))
			return 400;
	}
	return 0;
}

int ymk__path_normalize(const char *target, size_t target_len, size_t max_path, char *out, size_t outcap,
			struct ymk__path *p)
{
	size_t start, end, i;
	size_t pos = 0;   /* logical length of rel so far; bytes at >= cap are counted, not stored */
	size_t cap;       /* most bytes of rel that both max_path ("/" + rel) and out (+ NUL) allow */
	size_t seg_start; /* logical offset in rel where the current segment's bytes begin */
	size_t seg_len = 0;
	const char *query = NULL;
	size_t query_len = 0;
	char head[PATH_RESERVED_LEN]; /* the segment's first bytes, kept even when not stored */
	int reserved = 0;
	int rc;
	unsigned char last = 0;

	if (p == NULL)
		return 400;
	memset(p, 0, sizeof(*p)); /* a caller that ignores the status meets NULLs, not stale data */
	if (target == NULL || out == NULL || target_len == 0)
		return 400;
	rc = locate_path(target, target_len, &start);
	if (rc != 0)
		return rc;

	/* The fragment is never sent by conforming clients, but when one is it ends the query too. */
	for (end = start; end < target_len && target[end] != '?' && target[end] != '#'; end++)
		;
	if (end < target_len && target[end] == '?') {
		size_t q = end + 1, qe = q;

		while (qe < target_len && target[qe] != '#')
			qe++;
		query = target + q;
		query_len = qe - q;
	}

	rc = validate_bytes(target + start, end - start);
	if (rc != 0)
		return rc;

	if (max_path == 0 || outcap == 0)
		return 414;
	cap = max_path - 1 < outcap - 1 ? max_path - 1 : outcap - 1;

	seg_start = 0;
	for (i = start; i <= end; i++) {
		unsigned char c;

		if (i == end) {
			c = '/'; /* closes the last segment; not recorded as the final byte */
		} else if (target[i] == '%') {
			c = (unsigned char)(hex_value((unsigned char)target[i + 1]) * 16 +
					    hex_value((unsigned char)target[i + 2]));
			i += 2;
			last = c;
		} else {
			c = (unsigned char)target[i];
			last = c;
		}

		if (c != '/') {
			if (seg_len < PATH_RESERVED_LEN)
				head[seg_len] = (char)c;
			seg_len++;
			if (pos < cap)
				out[pos] = (char)c;
			pos++;
			continue;
		}

		/* End of a segment: decide whether it stays. */
		if (seg_len == 2 && head[0] == '.' && head[1] == '.')
			return 403;
		if (seg_len == 0 || (seg_len == 1 && head[0] == '.')) {
			pos = seg_start; /* the separator before it belongs to the previous segment */
		} else {
			/* Case-insensitive: on a case-folding file system ".YMK-UPLOAD-1" opens the same file. */
			if (seg_len >= PATH_RESERVED_LEN &&
			    has_prefix_ci(head, PATH_RESERVED_LEN, YMK__RESERVED_PREFIX))
				reserved = 1;
			/* A kept segment ends with its separator; the last one comes off after the loop. */
			if (pos < cap)
				out[pos] = '/';
			pos++;
		}
		seg_start = pos;
		seg_len = 0;
	}
	/* Every kept segment left one separator behind it. */
	if (pos > 0)
		pos--;

	if (reserved)
		return 404;
	if (pos > cap)
		return 414;

	out[pos] = '\0';
	p->rel = out;
	p->rel_len = pos;
	p->trailing_slash = (pos == 0 || last == '/');
	p->query = query;
	p->query_len = query_len;
	return 0;
}

long ymk__path_encode(const char *src, size_t len, char *out, size_t outcap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	if (out == NULL || outcap == 0 || (src == NULL && len > 0))
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '.' || c == '_' || c == '~' || c == '/';

		if (plain) {
			if (outcap - o < 2)
				return -1;
			out[o++] = (char)c;
		} else {
			if (outcap - o < 4)
				return -1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0x0f];
		}
	}
	out[o] = '\0';
	return (long)o;
}
