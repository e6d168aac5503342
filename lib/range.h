/* range.h: the Range header against a representation's length (pure: no I/O, no allocation).
 *
 * RFC 9110 section 14. Only the "bytes" unit is known. The result tells the caller whether to
 * answer 200 (ignore the header), 206 with one or more parts, or 416. */
#ifndef YMK_RANGE_H
#define YMK_RANGE_H

#include <stddef.h>
#include <stdint.h>

#define YMK__RANGE_MAX_PARTS 16 /* more ranges than this in one request -> YMK__RANGE_IGNORE */

enum ymk__range_result {
	YMK__RANGE_IGNORE = 0, /* absent, syntactically invalid, unknown unit, or too many parts: 200 */
	YMK__RANGE_OK = 1,     /* 206: out[0..*n) filled in request order, overlapping/adjacent merged */
	YMK__RANGE_UNSATISFIABLE = 2, /* 416 with "Content-Range: bytes * /size" (no space) */
};

struct ymk__range {
	uint64_t first; /* first byte offset, inclusive */
	uint64_t last;  /* last byte offset, inclusive; last < size */
};

/* Parses a Range field value such as "bytes=0-99", "bytes=-500", "bytes=9500-", "bytes=0-0,-1".
 * Grammar: "bytes" (case-insensitive) "=" range-spec *( OWS "," OWS range-spec ), where
 * range-spec is first "-" [last] or "-" suffix-length, all 1*DIGIT; empty list elements
 * (",,") are tolerated. Any syntax error, a last < first ("5-2"), a number that overflows
 * uint64 -> IGNORE. More than max_parts specs -> IGNORE (max_parts <= YMK__RANGE_MAX_PARTS).
 * Satisfiable specs: first < size (last clamped to size-1); suffix n > 0 (the last min(n,size)
 * bytes, only when size > 0). "bytes=-0", and a set in which no spec is satisfiable (including
 * any range on size 0) -> UNSATISFIABLE. Unsatisfiable specs among satisfiable ones are dropped.
 * Returns the enum value; *n is set only for OK (>= 1). */
enum ymk__range_result ymk__range_parse(const char *value, size_t len, uint64_t size, size_t max_parts,
					struct ymk__range *out, size_t *n);

#endif
