/* auth.h: credentials in an Authorization header value, and comparing secrets (pure: no I/O, no
 * allocation, no globals). The public ymk_auth_* functions are thin wrappers over these; the
 * policy decides what the credentials are worth. */
#ifndef YMK_AUTH_H
#define YMK_AUTH_H

#include <stddef.h>

/* "Basic" 1*SP token68 (RFC 7617, the scheme case-insensitive), the token canonical padded base64
 * of user-id ":" password. Decodes into buf as "user\0password\0" and gives both lengths.
 * Returns 0; YMK_ENOCREDENTIALS when v holds no credentials of this scheme (empty, another
 * scheme); YMK_EBADCREDENTIALS when they are malformed: no token, bytes after it, base64 that is
 * not canonical, no colon, a control byte (NUL included) in either part, or more bytes than
 * buf holds (cap must be at least the decoded length + 1). */
int ymk__auth_basic(const char *v, size_t n, char *buf, size_t cap, size_t *user_len, size_t *pass_len);

/* "Bearer" 1*SP b64token (RFC 6750 2.1), to the end of v. Gives the token's offset and length.
 * Returns 0, YMK_ENOCREDENTIALS or YMK_EBADCREDENTIALS as above. */
int ymk__auth_bearer(const char *v, size_t n, size_t *off, size_t *len);

#endif
