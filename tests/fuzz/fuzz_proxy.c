/* fuzz_proxy.c: libFuzzer target for the PROXY header parser. The input is copied to a heap block
 * of exactly its size, so ASan catches any read past it. It checks what a reader relies on: a
 * complete header is no longer than the input or YMK__PROXY_MAX and parses the same without the
 * bytes after it (which it never looked at); a version 1 header ends in CRLF; the header one
 * byte shorter is "more needed"; an unfinished input is a beginning whose own prefixes are
 * unfinished too; addresses are of a family the header can carry. */
#include "proxy.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	struct ymk__proxy_hdr h, again;
	long r = ymk__proxy_parse(buf, size, &h);
	if (r > 0) {
		if ((size_t)r > size || r > YMK__PROXY_MAX || (h.version != 1 && h.version != 2))
			abort();
		if (ymk__proxy_parse(buf, (size_t)r, &again) != r || memcmp(&h, &again, sizeof h))
			abort();
		if (ymk__proxy_parse(buf, (size_t)r - 1, &again) != YMK__PROXY_AGAIN)
			abort();
		if (h.version == 1 && (buf[r - 2] != '\r' || buf[r - 1] != '\n'))
			abort();
		if (!h.local) {
			int f = h.src.ss_family;
			if (f != h.dst.ss_family || (f != AF_INET && f != AF_INET6 && f != AF_UNIX))
				abort();
			if (h.version == 1 && f == AF_UNIX)
				abort();
		}
	} else if (r == YMK__PROXY_AGAIN) {
		if (size >= YMK__PROXY_MAX)
			abort();
		if (size && ymk__proxy_parse(buf, size / 2, &again) != YMK__PROXY_AGAIN)
			abort();
	} else if (r != YMK__PROXY_BAD) {
		abort();
	}
	free(buf);
	return 0;
}
