/* path.h: request-target -> root-relative path (pure: no I/O, no allocation, no globals).
 *
 * The static handler and the path-policy hook only ever see the result of ymk__path_normalize():
 * a decoded, normalised path relative to the document root that cannot climb out of it. */
#ifndef YMK_PATH_H
#define YMK_PATH_H

#include <stddef.h>

/* Name prefix reserved for the library's temporary upload files. A path with a segment that starts
 * with it is never served, written or deleted. */
#define YMK__RESERVED_PREFIX ".ymk-upload-"

struct ymk__path {
	/* Decoded, normalised path relative to the root, NUL-terminated in the caller's buffer:
	 * no leading '/', segments joined by single '/', no empty, "." or ".." segments.
	 * The root itself is the empty string "". */
	char *rel;
	size_t rel_len;
	int trailing_slash; /* the target's path ended in '/' (after decoding); always 1 for the root */
	const char *query;  /* points into the target after '?', NULL when there is none; not decoded */
	size_t query_len;
};

/* Normalises a request-target (origin-form "/a/b?q", or absolute-form "http://host/a/b?q" whose
 * path is used; "http://host" alone means "/"). The scheme match is case-insensitive and accepts
 * http and https. Asterisk-form "*" is NOT handled here (the caller decides on it): it is 400.
 *
 * Steps (SPEC.md "Paths"): split off '?query' and '#fragment'; percent-decode once (invalid escape
 * such as "%zz" or "%4" -> 400; "%00" -> 400; a decoded '/' is a separator); split on '/'; drop
 * empty and "." segments; a segment that is exactly ".." -> 403 (never clamped); names like
 * "...", "..foo", "foo..", "ohwell...txt" are ordinary. A segment starting with
 * YMK__RESERVED_PREFIX -> 404. Target not starting with '/' (other than absolute-form) -> 400.
 * Decoded control bytes (0x01-0x1F, 0x7F) in a segment -> 400. Bytes 0x80-0xFF pass through.
 * The decoded path ("/" + rel) longer than max_path -> 414.
 *
 * out/outcap: the caller's buffer for the decoded path (outcap >= max_path + 1 is always enough).
 * Returns 0 and fills *p, or the HTTP status to answer (400, 403, 404, 414). */
int ymk__path_normalize(const char *target, size_t target_len, size_t max_path, char *out, size_t outcap,
			struct ymk__path *p);

/* Percent-encodes src[0..len) for use in a Location header or an href: every byte except
 * A-Z a-z 0-9 - . _ ~ / is written as %XX (upper-case hex). Writes a NUL-terminated string.
 * Returns the encoded length, or -1 when it does not fit in outcap (incl. the NUL). */
long ymk__path_encode(const char *src, size_t len, char *out, size_t outcap);

#endif
