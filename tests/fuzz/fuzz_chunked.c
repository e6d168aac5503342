/* fuzz_chunked.c: libFuzzer target for the incremental chunked decoder. The first byte picks the
 * output room of the split run (1..16 bytes), the second seeds the cutting and, when its top bit
 * is set, gives the body a limit of 8 * (its low 7 bits) bytes; the rest is the body.
 * The body is decoded once whole and once in pieces derived from those two bytes, each piece and
 * each output buffer in a heap block of exactly its size so ASan catches any over-read or
 * over-write. It checks what the connection relies on: both runs agree on the result, the input
 * used and the data; no call uses more input than given or claims more output than there was room
 * for, and none writes past what it claimed; d->total counts exactly the data produced; data never
 * outgrows the input used; a finished body decodes the same from exactly its own bytes; and the
 * limit only ever refuses a body whose data would pass it: with a limit the body completes exactly
 * when it completes without one within the limit, and is malformed exactly where it is malformed
 * without one. */
#include "chunked.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	int rc;
	size_t used;
	size_t data_len;
};

static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Decodes body[0..len), cut into pieces of 1..max_piece bytes (whole when max_piece is 0), with
 * out_cap bytes of room per call, appending the data to sink. */
static void decode(const uint8_t *body, size_t len, uint64_t limit, size_t max_piece, uint32_t seed,
		   size_t out_cap, char *sink, struct run *r)
{
	struct ymk__chunked d;
	char *out = malloc(out_cap);
	size_t pos = 0, window_end = 0;

	if (out == NULL)
		abort();
	ymk__chunked_init(&d, limit);
	r->rc = 0;
	r->data_len = 0;
	for (;;) {
		size_t avail, consumed, produced, k;
		char *piece;

		if (pos == window_end) {
			size_t step = len - pos;

			if (max_piece > 0 && step > 1)
				step = 1 + next_rand(&seed) % (step < max_piece ? step : max_piece);
			window_end = pos + step;
		}
		avail = window_end - pos;
		piece = malloc(avail ? avail : 1);
		if (piece == NULL)
			abort();
		memcpy(piece, body + pos, avail);
		memset(out, 0xa5, out_cap);
		r->rc = ymk__chunked_decode(&d, piece, avail, &consumed, out, out_cap, &produced);
		free(piece);
		if (consumed > avail || produced > out_cap || produced > consumed)
			abort();
		for (k = produced; k < out_cap; k++) /* nothing written beyond the claim */
			if ((unsigned char)out[k] != 0xa5)
				abort();
		if (r->rc < YMK__CHUNKED_TOO_LARGE || r->rc > 1)
			abort();
		memcpy(sink + r->data_len, out, produced);
		r->data_len += produced;
		pos += consumed;
		if (d.total != r->data_len || d.total > limit)
			abort();
		if (r->rc != 0)
			break;
		if (consumed < avail) {
			if (produced != out_cap) /* only a full output leaves input behind */
				abort();
			continue;
		}
		if (pos == len)
			break;
	}
	r->used = pos;
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole, split, again, free_run;
	size_t out_cap, max_piece;
	uint64_t limit;
	uint32_t seed;
	char *a, *b;

	if (size < 2)
		return 0;
	out_cap = 1 + (data[0] & 15);
	max_piece = 1 + (data[0] >> 4);
	seed = 0x9e3779b9u ^ data[1];
	limit = data[1] & 0x80 ? 8u * (data[1] & 0x7fu) : UINT64_MAX;
	data += 2;
	size -= 2;

	a = malloc(size + 1);
	b = malloc(size + 1);
	if (a == NULL || b == NULL)
		abort();
	decode(data, size, limit, 0, 0, size ? size : 1, a, &whole);
	if (whole.data_len > whole.used || (whole.rc == 0 && whole.used != size))
		abort();
	decode(data, size, limit, max_piece, seed, out_cap, b, &split);
	if (split.rc != whole.rc || split.used != whole.used || split.data_len != whole.data_len ||
	    memcmp(a, b, whole.data_len) != 0)
		abort();
	/* Byte by byte with the smallest output: the harshest split of all. */
	decode(data, size, limit, 1, 0, 1, b, &split);
	if (split.rc != whole.rc || split.used != whole.used || split.data_len != whole.data_len ||
	    memcmp(a, b, whole.data_len) != 0)
		abort();
	if (whole.rc == 1) {
		/* The end is found from the body's own bytes: nothing after it was needed. */
		decode(data, whole.used, limit, 0, 0, 1 + whole.used, b, &again);
		if (again.rc != 1 || again.used != whole.used || again.data_len != whole.data_len)
			abort();
	}
	if (limit != UINT64_MAX) {
		decode(data, size, UINT64_MAX, 0, 0, size ? size : 1, b, &free_run);
		if ((whole.rc == 1) != (free_run.rc == 1 && free_run.data_len <= limit))
			abort();
		if (whole.rc == 1 && (whole.used != free_run.used || whole.data_len != free_run.data_len))
			abort();
		if (whole.rc == -1 && (free_run.rc != -1 || free_run.used != whole.used))
			abort();
		/* Up to where the limit refused, both read the same data. */
		if (memcmp(a, b, whole.data_len < free_run.data_len ? whole.data_len : free_run.data_len))
			abort();
	}
	free(a);
	free(b);
	return 0;
}
