/* fuzz_range.c: libFuzzer target for ymk__range_parse(). The first 8 bytes are the
 * representation's length (little-endian), the rest is the field value, copied to a heap block of
 * exactly its size so ASan catches any over-read. It checks what the response writer relies on:
 * an OK result holds 1..16 parts, with no two overlapping or even touching, each inside
 * the representation; any other result leaves the count alone. */
#include "range.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ymk__range out[YMK__RANGE_MAX_PARTS];
	uint64_t length = 0;
	size_t n = (size_t)-1, i;
	enum ymk__range_result rc;
	char *value;

	if (size < 8)
		return 0;
	for (i = 0; i < 8; i++)
		length |= (uint64_t)data[i] << (8 * i);
	data += 8;
	size -= 8;
	value = malloc(size ? size : 1);
	if (value == NULL)
		return 0;
	if (size > 0)
		memcpy(value, data, size);

	rc = ymk__range_parse(value, size, length, YMK__RANGE_MAX_PARTS, out, &n);
	switch (rc) {
	case YMK__RANGE_OK:
		if (n < 1 || n > YMK__RANGE_MAX_PARTS)
			abort();
		for (i = 0; i < n; i++) {
			if (out[i].first > out[i].last || out[i].last >= length)
				abort();
			/* no two parts overlap or even touch: a gap of at least one byte */
			for (size_t j = 0; j < i; j++)
				if (out[i].first <= out[j].last + 1 && out[j].first <= out[i].last + 1)
					abort();
		}
		break;
	case YMK__RANGE_IGNORE:
	case YMK__RANGE_UNSATISFIABLE:
		if (n != (size_t)-1)
			abort();
		break;
	default:
		abort();
	}
	free(value);
	return 0;
}
