/* fuzz_path.c: libFuzzer target for ymk__path_normalize() and ymk__path_encode(). The input is
 * the request-target. Instead of comparing against a second implementation, it checks the
 * promises the rest of the library relies on: a successful result is a clean root-relative path
 * (no "..", "." or empty segment, no leading '/', no NUL, within the limit, NUL-terminated in the
 * caller's buffer), a failure is one of the documented statuses, and encoding a result then
 * normalising "/" + the encoding gives the same path back (Location headers and hrefs depend on
 * it). The target is copied to a heap block of exactly its size so ASan catches any over-read. */
#include "path.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small enough that the fuzzer reaches the limit easily. */
#define FUZZ_MAX_PATH 64

static void check_rel(const struct ymk__path *p, const char *out, size_t max_path)
{
	size_t i, seg = 0;

	if (p->rel != out)
		abort();
	if (p->rel_len + 1 > max_path)
		abort();
	if (p->rel[p->rel_len] != '\0')
		abort();
	if (p->rel_len == 0) {
		if (!p->trailing_slash)
			abort();
		return;
	}
	if (p->rel[0] == '/' || p->rel[p->rel_len - 1] == '/')
		abort();
	for (i = 0; i <= p->rel_len; i++) {
		if (i < p->rel_len && p->rel[i] == '\0')
			abort();
		if (i < p->rel_len && p->rel[i] != '/')
			continue;
		/* p->rel[seg..i) is one segment */
		if (i == seg)
			abort();
		if (i - seg == 1 && p->rel[seg] == '.')
			abort();
		if (i - seg == 2 && p->rel[seg] == '.' && p->rel[seg + 1] == '.')
			abort();
		if (i - seg >= sizeof(YMK__RESERVED_PREFIX) - 1 &&
		    strncasecmp(p->rel + seg, YMK__RESERVED_PREFIX, sizeof(YMK__RESERVED_PREFIX) - 1) == 0)
			abort();
		seg = i + 1;
	}
}

static void check_round_trip(const struct ymk__path *p, size_t max_path)
{
	/* Each byte encodes to at most 3. */
	char enc[1 + 3 * FUZZ_MAX_PATH + 1];
	char out2[FUZZ_MAX_PATH + 1];
	struct ymk__path p2;
	long n;

	enc[0] = '/';
	n = ymk__path_encode(p->rel, p->rel_len, enc + 1, sizeof(enc) - 1);
	if (n < 0)
		abort();
	if (ymk__path_normalize(enc, (size_t)n + 1, max_path, out2, sizeof(out2), &p2) != 0)
		abort();
	if (p2.rel_len != p->rel_len || memcmp(p2.rel, p->rel, p->rel_len) != 0)
		abort();
	if (p2.query != NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[FUZZ_MAX_PATH + 1];
	struct ymk__path p;
	char *target = malloc(size ? size : 1);
	int rc;

	if (target == NULL)
		return 0;
	if (size > 0)
		memcpy(target, data, size);
	rc = ymk__path_normalize(target, size, FUZZ_MAX_PATH, out, sizeof(out), &p);
	if (rc == 0) {
		check_rel(&p, out, FUZZ_MAX_PATH);
		if (p.query != NULL &&
		    (p.query < target || p.query + p.query_len > target + size))
			abort();
		check_round_trip(&p, FUZZ_MAX_PATH);
	} else if (rc != 400 && rc != 403 && rc != 404 && rc != 414) {
		abort();
	}
	free(target);
	return 0;
}
