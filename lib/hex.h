/* hex.h: lower-case hexadecimal digits of a number, for entity-tags (cond.c) and chunk sizes
 * (out_stream.c). Header-only: it belongs to no layer. */
#ifndef YMK_HEX_H
#define YMK_HEX_H

#include <stddef.h>
#include <stdint.h>

/* The lower-case hex digits of v into out (at most 16, most significant first, no terminator);
 * returns how many. */
static inline size_t ymk__hex_u64(char *out, uint64_t v)
{
	char tmp[16];
	size_t n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

#endif
