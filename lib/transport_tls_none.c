/* transport_tls_none.c: the TLS backend of a library built without TLS (meson -Dtls=disabled, or
 * neither OpenSSL nor mbed TLS found). ymk__tlsb_name() returns NULL, so every TLS setter says
 * YMK_ENOTLS and no server ever has a TLS context; the rest is never reached. */
#include "tls.h"

#include <stdio.h>

const char *ymk__tlsb_name(void)
{
	return NULL;
}

int ymk__tlsb_max_version(void)
{
	return 0;
}

int ymk__tlsb_check(const struct ymk__tls_cert *c, char *err, size_t errlen)
{
	(void)c;
	snprintf(err, errlen, "tls: this libymawky was built without TLS (meson -Dtls)");
	return YMK_ENOTLS;
}

struct ymk__tls_ctx *ymk__tlsb_ctx_new(const struct ymk__tls_conf *conf, const struct ymk__settings *s,
				       struct ymk__pool *bufs, char *err, size_t errlen)
{
	(void)conf, (void)s, (void)bufs;
	snprintf(err, errlen, "tls: this libymawky was built without TLS (meson -Dtls)");
	return NULL;
}

void ymk__tlsb_ctx_unref(struct ymk__tls_ctx *ctx)
{
	(void)ctx;
}

void ymk__tlsb_transport(struct ymk__tls_ctx *ctx, int fd, struct ymk__transport *tr)
{
	(void)ctx;
	ymk__transport_socket(tr, fd); /* unreachable: no server has a TLS context */
}

const char *ymk__tlsb_info(const struct ymk__transport *tr, enum ymk__tls_what what)
{
	(void)tr, (void)what;
	return NULL;
}

int ymk__tlsb_self_signed(const char *host, unsigned days, char *cert, size_t cert_cap, char *key,
			  size_t key_cap)
{
	(void)host, (void)days, (void)cert, (void)cert_cap, (void)key, (void)key_cap;
	return YMK_ENOTLS;
}
