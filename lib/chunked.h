/* chunked.h: the chunked transfer coding decoder (RFC 9112 section 7.1), incremental and pure.
 *
 * The connection feeds whatever bytes arrived; the decoder copies the chunk data out and keeps
 * just enough state to resume in the middle of a size line, an extension, data, or the trailer. */
#ifndef YMK_CHUNKED_H
#define YMK_CHUNKED_H

#include <stddef.h>
#include <stdint.h>

struct ymk__chunked {
	int state;            /* private */
	uint64_t remaining;   /* private: data bytes left in the current chunk */
	uint64_t total;       /* data bytes decoded so far */
	uint64_t limit;       /* private: most data bytes the whole body may hold */
	size_t line_len;      /* private: bytes of the current size/extension/trailer line so far */
	size_t trailer_bytes; /* private */
};

#define YMK__CHUNKED_LINE_MAX 4096    /* a size line with extensions, or a trailer line, longer -> error */
#define YMK__CHUNKED_TRAILER_MAX 8192 /* all trailer lines together */

/* Returned by ymk__chunked_decode() when a chunk size takes the body past the limit. */
#define YMK__CHUNKED_TOO_LARGE (-2)

/* Starts a body of at most limit data bytes (UINT64_MAX: no limit of its own). */
void ymk__chunked_init(struct ymk__chunked *d, uint64_t limit);

/* Decodes in[0..in_len). Data bytes are written to out (at most out_cap of them per call);
 * *consumed tells how many input bytes were used, *produced how many data bytes were written.
 * Returns:
 *   0  more input needed (all of in was consumed, or out is full: call again with the rest)
 *   1  the last chunk and the trailer are complete: the body is done; bytes after *consumed
 *      belong to the next request
 *  -1  malformed: size not 1*HEXDIG, size overflowing uint64 (more than 16 hex digits after
 *      leading zeros), a line end other than CRLF (a bare LF or a bare CR) after a chunk line,
 *      after chunk data, after a trailer line or as the final empty line, control bytes in
 *      extensions, a line over YMK__CHUNKED_LINE_MAX, trailers over YMK__CHUNKED_TRAILER_MAX
 *      (the caller answers 400)
 *  YMK__CHUNKED_TOO_LARGE  the chunk size being read already takes the data decoded so far plus
 *      this chunk past the limit: decided on the size digit that crosses it, before the rest of
 *      the line and before any data byte of that chunk (the caller answers 413)
 * After a non-zero result the decoder stays where it is: every later call returns the same
 * result and consumes nothing. On an error *consumed stops at the offending byte.
 * Chunk extensions (";name=value" or ";name", quoted strings allowed) are skipped. Trailer fields
 * are skipped. */
int ymk__chunked_decode(struct ymk__chunked *d, const char *in, size_t in_len, size_t *consumed, char *out,
			size_t out_cap, size_t *produced);

#endif
