/* tls.h: TLS for the listener, in front of one backend chosen at build time (OpenSSL 3 or mbed TLS
 * 2.28, meson option -Dtls; see docs/tls.md).
 *
 * tls.c holds what does not depend on the backend: the settings a configuration collects (the
 * certificates with their PEM text or their files, the SNI callback, the protocol floor, the
 * handshake deadline), their deep copy into a server, reading certificate files, and reloading
 * them when ymk_server_tls_reload() asked for it. A transport_tls_*.c backend turns a certificate
 * list into a context (struct ymk__tls_ctx, reference-counted: every connection holds the context
 * it started with, so a reload never touches a connection in flight) and the context into the
 * transport of one accepted socket (transport.h). Built without TLS, the functions here return
 * YMK_ENOTLS and ymk__tls_transport() is never reached (no server has a TLS context). */
#ifndef YMK_TLS_H
#define YMK_TLS_H

#include "alloc.h"
#include "transport.h"
#include "ymawky.h"

#include <stddef.h>
#include <stdint.h>

struct ymk__settings;

/* One certificate with its chain and key, as PEM text (owned, NUL-terminated), and the files it
 * came from (owned; NULL when given from memory). */
struct ymk__tls_cert {
	char *cert_pem, *key_pem;
	size_t cert_len, key_len;
	char *cert_file, *key_file;
};

/* What a configuration says about TLS (owned by the ymk_config, deep-copied by the server). */
struct ymk__tls_conf {
	struct ymk__tls_cert *certs;
	size_t ncerts;
	ymk_tls_sni_fn *sni;
	void *sni_user;
	int min_version;       /* YMK_TLS_1_2 or YMK_TLS_1_3 */
	unsigned handshake_ms; /* the handshake's own deadline */
};

/* A backend's context built from a certificate list (opaque; transport_tls_*.c). */
struct ymk__tls_ctx;

/* A server's TLS state (tls.c). */
struct ymk__tls {
	struct ymk__tls_conf conf;
	struct ymk__tls_ctx *ctx; /* for the next handshake */
	const struct ymk__settings *s;
	volatile uint32_t *reload_gen; /* shared by every process of the server (a shared mapping) */
	uint32_t loaded_gen;           /* the generation ctx was built for */
	struct ymk__pool bufs;         /* plaintext buffers of files being encrypted */
};

/* ---- configuration (called by config.c) -------------------------------------------------- */

/* A new empty TLS configuration with the defaults; NULL when out of memory. */
struct ymk__tls_conf *ymk__tls_conf_new(void);
void ymk__tls_conf_free(struct ymk__tls_conf *c);

/* Adds a certificate from PEM text or from files, checked at once (it parses, and the key belongs
 * to the certificate). Returns its index (0 for the first), or YMK_EINVAL, YMK_ENOMEM, YMK_ETLS,
 * YMK_ENOTLS or -errno (a file), with the reason in plain words in err. */
int ymk__tls_conf_add(struct ymk__tls_conf *c, const char *cert, size_t cert_len, const char *key,
		      size_t key_len, char *err, size_t errlen);
int ymk__tls_conf_add_files(struct ymk__tls_conf *c, const char *cert_file, const char *key_file, char *err,
			    size_t errlen);

/* ---- a server's TLS (server.c, listen.c) ------------------------------------------------- */

/* Makes a server's TLS state from a configuration (copied). 0, or a negative code with err set. */
int ymk__tls_new(struct ymk__tls **out, const struct ymk__tls_conf *conf, const struct ymk__settings *s,
		 char *err, size_t errlen);
void ymk__tls_free(struct ymk__tls *t);

/* Asks every process of the server to load the certificate files again (async-signal-safe). */
void ymk__tls_request_reload(struct ymk__tls *t);

/* Called before accepting: a reload asked for since the context was built is done now (files read
 * again, a new context for the next handshakes; on failure the old one stays, logged). */
void ymk__tls_refresh(struct ymk__tls *t);

/* The transport of an accepted socket on a TLS listener (never fails: without memory it is a
 * transport whose every call fails, so the connection closes at its first step). */
void ymk__tls_transport(struct ymk__tls *t, int fd, struct ymk__transport *tr);

/* What a request can read of its connection's TLS: NULL for a plain transport. */
enum ymk__tls_what { YMK__TLS_VERSION, YMK__TLS_CIPHER, YMK__TLS_SERVER_NAME };
const char *ymk__tls_info(const struct ymk__transport *tr, enum ymk__tls_what what);

/* ---- the backend (transport_tls_*.c) ------------------------------------------------------ */

/* The backend's name and version ("OpenSSL 3.0.11"), or NULL without TLS. */
const char *ymk__tlsb_name(void);

/* The highest protocol version the backend speaks (YMK_TLS_1_2 or YMK_TLS_1_3). */
int ymk__tlsb_max_version(void);

/* Checks that a certificate and a key parse and belong together. 0 or YMK_ETLS with err set. */
int ymk__tlsb_check(const struct ymk__tls_cert *c, char *err, size_t errlen);

/* Builds a context (one reference) from certificates and settings; NULL with err set. */
struct ymk__tls_ctx *ymk__tlsb_ctx_new(const struct ymk__tls_conf *conf, const struct ymk__settings *s,
				       struct ymk__pool *bufs, char *err, size_t errlen);
void ymk__tlsb_ctx_unref(struct ymk__tls_ctx *ctx);

/* A transport over fd holding one reference to ctx (see ymk__tls_transport). */
void ymk__tlsb_transport(struct ymk__tls_ctx *ctx, int fd, struct ymk__transport *tr);

/* See ymk__tls_info. */
const char *ymk__tlsb_info(const struct ymk__transport *tr, enum ymk__tls_what what);

/* A self-signed certificate (see ymk_tls_self_signed()). */
int ymk__tlsb_self_signed(const char *host, unsigned days, char *cert, size_t cert_cap, char *key,
			  size_t key_cap);

/* Bytes of one plaintext buffer of a file being encrypted (the size of a TLS record's payload, so
 * one read fills one record). */
#define YMK__TLS_BUF (16u * 1024u)

#endif
