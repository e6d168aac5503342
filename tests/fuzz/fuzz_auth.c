/* fuzz_auth.c: libFuzzer target for the credentials parsers and ymk_secret_equal(). The input is
 * an Authorization value, copied to a heap block of exactly its size (and decoded into one of
 * exactly the documented size) so ASan catches any over-read or over-write. It checks what a
 * policy relies on: parsed Basic credentials are two NUL-terminated parts without control bytes,
 * the user-id without a colon, and encoding them again gives the token exactly (one encoding per
 * user:password); a Bearer token runs to the end of the value and holds token68 characters only;
 * a failure is one of the two documented codes; and ymk_secret_equal() agrees with memcmp(). */
#include "auth.h"
#include "ymawky.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The padded base64 of p[0..n) into out (4 * ((n + 2) / 3) bytes). */
static size_t encode(const unsigned char *p, size_t n, char *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned w = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		out[k++] = b64[w >> 18];
		out[k++] = b64[w >> 12 & 63];
		out[k++] = i + 1 < n ? b64[w >> 6 & 63] : '=';
		out[k++] = i + 2 < n ? b64[w & 63] : '=';
	}
	return k;
}

static void check_basic(const char *v, size_t n)
{
	size_t cap = 3 * n / 4 + 1; /* the documented bound for a token no longer than v */
	char *buf = malloc(cap);
	size_t ulen = 0, plen = 0;
	if (!buf)
		return;
	int rc = ymk__auth_basic(v, n, buf, cap, &ulen, &plen);
	if (rc == 0) {
		if (ulen + 1 + plen + 1 > cap || buf[ulen] || buf[ulen + 1 + plen])
			abort();
		for (size_t i = 0; i < ulen + 1 + plen; i++) {
			unsigned char ch = (unsigned char)buf[i];
			if (i == ulen)
				continue;
			if (ch < 0x20 || ch == 0x7f || (i < ulen && ch == ':'))
				abort();
		}
		if (n < 6 || strncasecmp(v, "basic ", 6) != 0)
			abort();
		/* user ":" password, encoded again, is the token after the scheme and its spaces */
		buf[ulen] = ':';
		char *enc = malloc(4 * ((ulen + 1 + plen + 2) / 3) + 1);
		if (!enc)
			abort();
		size_t elen = encode((const unsigned char *)buf, ulen + 1 + plen, enc);
		size_t t = 5;
		while (t < n && v[t] == ' ')
			t++;
		if (elen != n - t || memcmp(enc, v + t, elen) != 0)
			abort();
		free(enc);
	} else if (rc != YMK_ENOCREDENTIALS && rc != YMK_EBADCREDENTIALS) {
		abort();
	}
	free(buf);
}

static void check_bearer(const char *v, size_t n)
{
	size_t off = 0, len = 0;
	int rc = ymk__auth_bearer(v, n, &off, &len);
	if (rc == 0) {
		if (len == 0 || off + len != n || off < 7 || strncasecmp(v, "bearer ", 7) != 0)
			abort();
		for (size_t i = 6; i < off; i++)
			if (v[i] != ' ')
				abort();
		int eq = 0;
		for (size_t i = off; i < n; i++) {
			unsigned char ch = (unsigned char)v[i];
			int t68 = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				  (ch >= '0' && ch <= '9') || (ch && strchr("-._~+/", ch));
			if (ch == '=')
				eq = 1;
			else if (!t68 || eq)
				abort(); /* token68: at least one character, then only '=' */
		}
		if (v[off] == '=')
			abort();
	} else if (rc != YMK_ENOCREDENTIALS && rc != YMK_EBADCREDENTIALS) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v = malloc(size ? size : 1);
	if (!v)
		return 0;
	if (size)
		memcpy(v, data, size);
	check_basic(v, size);
	check_bearer(v, size);
	size_t half = size / 2;
	int same = half == size - half && memcmp(v, v + half, half) == 0;
	if (ymk_secret_equal(v, half, v + half, size - half) != same)
		abort();
	free(v);
	return 0;
}
