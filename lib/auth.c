/* auth.c: the Basic and Bearer credentials of an Authorization header value, and a comparison of
 * secrets whose time does not depend on their bytes. Helpers only: no decision is made here, the
 * path policy (or a handler) says what is allowed and answers 401 with its own challenge. */
#include "auth.h"

#include "http_parse.h"
#include "ymawky.h"

#include <string.h>

static int is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int is_token68_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == '+' || ch == '/';
}

/* Finds the token68 after "SCHEME 1*SP" in v[0..n): its offset and length. */
static int credentials(const char *v, size_t n, const char *scheme, size_t *off, size_t *len)
{
	size_t i = 0;
	if (!v)
		return YMK_ENOCREDENTIALS;
	while (i < n && is_tchar((unsigned char)v[i]))
		i++;
	if (i == 0 || !ymk__ascii_ieq(v, i, scheme))
		return YMK_ENOCREDENTIALS;
	size_t sp = i;
	while (i < n && v[i] == ' ')
		i++;
	if (i == sp || i == n)
		return YMK_EBADCREDENTIALS; /* "Basic", "Basic ", "Basic\tx" */
	size_t start = i;
	while (i < n && is_token68_char((unsigned char)v[i]))
		i++;
	if (i == start)
		return YMK_EBADCREDENTIALS;
	while (i < n && v[i] == '=')
		i++;
	if (i != n)
		return YMK_EBADCREDENTIALS; /* a comma, a blank, auth-params: not a token68 */
	*off = start;
	*len = n - start;
	return 0;
}

int ymk__auth_bearer(const char *v, size_t n, size_t *off, size_t *len)
{
	return credentials(v, n, "Bearer", off, len);
}

static int b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

static int is_ctl(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

int ymk__auth_basic(const char *v, size_t n, char *buf, size_t cap, size_t *user_len, size_t *pass_len)
{
	size_t off, len;
	int rc = credentials(v, n, "Basic", &off, &len);
	if (rc)
		return rc;
	const char *t = v + off;
	/* RFC 4648 section 4 with its padding: groups of four, '=' only to fill the last one. */
	if (len % 4)
		return YMK_EBADCREDENTIALS;
	size_t pad = t[len - 1] == '=' ? (t[len - 2] == '=' ? 2 : 1) : 0;
	size_t out_len = len / 4 * 3 - pad;
	if (out_len + 1 > cap)
		return YMK_EBADCREDENTIALS;
	size_t k = 0;
	for (size_t i = 0; i < len; i += 4) {
		int last = i + 4 == len;
		int a = b64_value((unsigned char)t[i]), b = b64_value((unsigned char)t[i + 1]);
		int c = last && pad == 2 ? 0 : b64_value((unsigned char)t[i + 2]);
		int d = last && pad ? 0 : b64_value((unsigned char)t[i + 3]);
		if (a < 0 || b < 0 || c < 0 || d < 0)
			return YMK_EBADCREDENTIALS; /* '=' inside, or token68 bytes base64 lacks (-._~) */
		unsigned w = (unsigned)a << 18 | (unsigned)b << 12 | (unsigned)c << 6 | (unsigned)d;
		/* Canonical only: the bits a padded group leaves over must be zero, so that one
		 * user:password has exactly one encoding. */
		if ((last && pad == 2 && (w & 0xffff)) || (last && pad == 1 && (w & 0xff)))
			return YMK_EBADCREDENTIALS;
		buf[k++] = (char)(w >> 16);
		if (!(last && pad == 2))
			buf[k++] = (char)(w >> 8 & 0xff);
		if (!(last && pad))
			buf[k++] = (char)(w & 0xff);
	}
	/* user-id ":" password, split at the first colon (a user-id holds none); RFC 7617 section 2
	 * forbids control characters in both. */
	size_t colon = out_len;
	for (size_t i = 0; i < out_len; i++) {
		unsigned char ch = (unsigned char)buf[i];
		if (is_ctl(ch))
			return YMK_EBADCREDENTIALS;
		if (ch == ':' && colon == out_len)
			colon = i;
	}
	if (colon == out_len)
		return YMK_EBADCREDENTIALS;
	buf[colon] = '\0';
	buf[out_len] = '\0';
	*user_len = colon;
	*pass_len = out_len - colon - 1;
	return 0;
}

/* ---- the public API ----------------------------------------------------------------------- */

int ymk_auth_basic(const char *authorization, char *buf, size_t cap, const char **user, const char **password)
{
	if (user)
		*user = NULL;
	if (password)
		*password = NULL;
	if (!buf || !user || !password)
		return YMK_EINVAL;
	size_t ulen, plen;
	int rc = ymk__auth_basic(authorization, authorization ? strlen(authorization) : 0, buf, cap, &ulen,
				 &plen);
	if (rc)
		return rc;
	*user = buf;
	*password = buf + ulen + 1;
	return 0;
}

int ymk_auth_bearer(const char *authorization, const char **token, size_t *len)
{
	if (token)
		*token = NULL;
	if (len)
		*len = 0;
	if (!token)
		return YMK_EINVAL;
	size_t off, n;
	int rc = ymk__auth_bearer(authorization, authorization ? strlen(authorization) : 0, &off, &n);
	if (rc)
		return rc;
	*token = authorization + off;
	if (len)
		*len = n;
	return 0;
}

int ymk_secret_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if ((!a && alen) || (!b && blen))
		return 0;
	/* Every byte of the longer one is looked at whatever the bytes are, so the time depends on
	 * the two lengths only; the volatile reads keep the compiler from stopping at the first
	 * difference. */
	const volatile unsigned char *x = a, *y = b;
	size_t n = alen > blen ? alen : blen;
	unsigned diff = alen != blen;
	for (size_t i = 0; i < n; i++) {
		unsigned char cx = i < alen ? x[i] : 0;
		unsigned char cy = i < blen ? y[i] : 0;
		diff |= (unsigned)(cx ^ cy);
	}
	return diff == 0;
}
