/* transport_tls_openssl.c: the TLS backend on OpenSSL 3 (see tls.h): contexts from certificate
 * lists, and the transport of one connection.
 *
 * The connection's SSL object works on the socket fd itself (a socket BIO), so that kernel TLS
 * can take over after the handshake where the kernel has it (SSL_OP_ENABLE_KTLS): files then
 * leave with SSL_sendfile(). Without it, a file is read into a pooled buffer of one record's size
 * and encrypted from there; the buffer goes back to the pool as soon as its bytes are out, so an
 * idle connection holds none (and SSL_MODE_RELEASE_BUFFERS frees OpenSSL's own record buffers).
 * Every call is non-blocking: SSL_ERROR_WANT_READ/WRITE become -EAGAIN with `blocked` set to the
 * readiness OpenSSL waits for, which may be the other direction. A call that returned -EAGAIN is
 * repeated by its caller with the same bytes (out.c sends from where it stopped), which is what
 * SSL_write() asks for. */
#include "tls.h"
#include "tls_records.h"

#include "internal.h"
#include "log.h"
#include "os.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct cert_obj {
	X509 *x509;
	EVP_PKEY *key;
	STACK_OF(X509) * chain;
};

struct ymk__tls_ctx {
	SSL_CTX *ssl_ctx;
	unsigned refs;
	struct cert_obj *certs;
	size_t ncerts;
	ymk_tls_sni_fn *sni;
	void *sni_user;
	unsigned handshake_ms;
	const struct ymk__settings *s;
	struct ymk__pool *bufs;
};

enum { ST_FRESH, ST_HANDSHAKE, ST_OPEN, ST_FAILED };

struct tls_conn {
	SSL *ssl;
	struct ymk__tls_ctx *ctx;
	int state;
	struct ymk__tls_out out; /* a file being encrypted, corking (tls_records.h) */
	const char *cipher;      /* cached IANA name */
};

const char *ymk__tlsb_name(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

int ymk__tlsb_max_version(void)
{
	return YMK_TLS_1_3;
}

/* The most useful words OpenSSL has for what just failed, and an empty error queue. */
static const char *ossl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	snprintf(buf, len, "%s", r ? r : "unknown reason");
	ERR_clear_error();
	return buf;
}

static void cert_obj_free(struct cert_obj *c)
{
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
	sk_X509_pop_free(c->chain, X509_free);
	memset(c, 0, sizeof *c);
}

/* Parses one certificate list entry. 0 or YMK_ETLS with err set. */
static int cert_obj_load(const struct ymk__tls_cert *e, struct cert_obj *out, char *err, size_t errlen)
{
	char why[160];
	memset(out, 0, sizeof *out);
	ERR_clear_error();
	const char *what = e->cert_file ? e->cert_file : "from memory";
	BIO *b = BIO_new_mem_buf(e->cert_pem, (int)e->cert_len);
	if (!b)
		goto oom;
	out->x509 = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL);
	if (!out->x509) {
		BIO_free(b);
		snprintf(err, errlen, "tls certificate (%.200s): no PEM certificate found (%s)", what,
			 ossl_reason(why, sizeof why));
		return YMK_ETLS;
	}
	out->chain = sk_X509_new_null();
	if (!out->chain) {
		BIO_free(b);
		goto oom;
	}
	X509 *ca;
	while ((ca = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(out->chain, ca)) {
			X509_free(ca);
			BIO_free(b);
			goto oom;
		}
	}
	ERR_clear_error(); /* the end of the text ends the loop with an error */
	BIO_free(b);
	what = e->key_file ? e->key_file : "from memory";
	b = BIO_new_mem_buf(e->key_pem, (int)e->key_len);
	if (!b)
		goto oom;
	/* An empty passphrase callback: an encrypted key fails instead of prompting on a tty. */
	out->key = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"");
	BIO_free(b);
	if (!out->key) {
		snprintf(err, errlen, "tls key (%.200s): no unencrypted PEM private key found (%s)", what,
			 ossl_reason(why, sizeof why));
		cert_obj_free(out);
		return YMK_ETLS;
	}
	if (X509_check_private_key(out->x509, out->key) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "tls key (%.200s): it does not belong to the certificate", what);
		cert_obj_free(out);
		return YMK_ETLS;
	}
	return 0;
oom:
	ERR_clear_error();
	cert_obj_free(out);
	snprintf(err, errlen, "tls: out of memory");
	return YMK_ETLS;
}

int ymk__tlsb_check(const struct ymk__tls_cert *c, char *err, size_t errlen)
{
	struct cert_obj o;
	int rc = cert_obj_load(c, &o, err, errlen);
	if (rc == 0)
		cert_obj_free(&o);
	return rc;
}

static int ctx_index(void)
{
	static int idx = -1;
	if (idx < 0)
		idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	return idx;
}

/* The client's SNI name picks the certificate (the default one is the context's already). */
static int on_servername(SSL *ssl, int *alert, void *arg)
{
	struct ymk__tls_ctx *ctx = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (!name || !ctx->sni)
		return SSL_TLSEXT_ERR_OK;
	int i = ctx->sni(name, ctx->sni_user);
	if (i < 0 || (size_t)i >= ctx->ncerts) {
		*alert = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	if (i > 0) {
		struct cert_obj *c = &ctx->certs[i];
		if (SSL_use_cert_and_key(ssl, c->x509, c->key, c->chain, 1) != 1) {
			ERR_clear_error();
			*alert = SSL_AD_INTERNAL_ERROR;
			return SSL_TLSEXT_ERR_ALERT_FATAL;
		}
	}
	return SSL_TLSEXT_ERR_OK;
}

/* HTTP/1.1 is all this server speaks: selected when offered, and a client that offers ALPN
 * without it is refused (RFC 7301 section 3.2). */
static int on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
		   unsigned inlen, void *arg)
{
	static const unsigned char ours[] = "\x08http/1.1";
	unsigned char *sel;
	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, ours, sizeof ours - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static void ctx_free(struct ymk__tls_ctx *ctx)
{
	SSL_CTX_free(ctx->ssl_ctx);
	for (size_t i = 0; i < ctx->ncerts; i++)
		cert_obj_free(&ctx->certs[i]);
	ymk__free(ctx->certs);
	ymk__free(ctx);
}

/* TLS 1.2 suites: ECDHE only, AEAD only, in this order of preference (TLS 1.3's are all AEAD). */
#define CIPHERS_12                                                                                 \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define CIPHERS_13 "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

struct ymk__tls_ctx *ymk__tlsb_ctx_new(const struct ymk__tls_conf *conf, const struct ymk__settings *s,
				       struct ymk__pool *bufs, char *err, size_t errlen)
{
	char why[160];
	if (conf->ncerts == 0) {
		snprintf(err, errlen, "tls: no certificate");
		return NULL;
	}
	struct ymk__tls_ctx *ctx = ymk__calloc(1, sizeof *ctx);
	if (!ctx || !(ctx->certs = ymk__calloc(conf->ncerts, sizeof *ctx->certs))) {
		ymk__free(ctx);
		snprintf(err, errlen, "tls: out of memory");
		return NULL;
	}
	ctx->refs = 1;
	ctx->sni = conf->sni;
	ctx->sni_user = conf->sni_user;
	ctx->handshake_ms = conf->handshake_ms;
	ctx->s = s;
	ctx->bufs = bufs;
	for (size_t i = 0; i < conf->ncerts; i++) {
		if (cert_obj_load(&conf->certs[i], &ctx->certs[i], err, errlen) < 0) {
			ctx_free(ctx);
			return NULL;
		}
		ctx->ncerts++;
	}
	ERR_clear_error();
	SSL_CTX *c = ctx->ssl_ctx = SSL_CTX_new(TLS_server_method());
	if (!c)
		goto fail;
	if (!SSL_CTX_set_min_proto_version(c, conf->min_version == YMK_TLS_1_3 ? TLS1_3_VERSION
									       : TLS1_2_VERSION))
		goto fail;
	SSL_CTX_set_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION |
				       SSL_OP_NO_COMPRESSION | SSL_OP_ENABLE_KTLS);
	SSL_CTX_clear_options(c, SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
	/* The chain is the one given with the certificate: no chain building in every handshake. */
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				    SSL_MODE_RELEASE_BUFFERS | SSL_MODE_NO_AUTO_CHAIN);
	if (!SSL_CTX_set_cipher_list(c, CIPHERS_12) || !SSL_CTX_set_ciphersuites(c, CIPHERS_13) ||
	    !SSL_CTX_set1_groups_list(c, "X25519:P-256:P-384"))
		goto fail;
	/* Resumption by tickets only: they work across workers and fork children, whose ticket keys
	 * are the context's, where a per-process session cache would not. */
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(c, 1);
	struct cert_obj *d = &ctx->certs[0];
	if (SSL_CTX_use_cert_and_key(c, d->x509, d->key, d->chain, 1) != 1)
		goto fail;
	SSL_CTX_set_tlsext_servername_callback(c, on_servername);
	SSL_CTX_set_tlsext_servername_arg(c, ctx);
	SSL_CTX_set_alpn_select_cb(c, on_alpn, NULL);
	SSL_CTX_set_ex_data(c, ctx_index(), ctx);
	return ctx;
fail:
	snprintf(err, errlen, "tls: OpenSSL refused the settings (%s)", ossl_reason(why, sizeof why));
	ctx_free(ctx);
	return NULL;
}

void ymk__tlsb_ctx_unref(struct ymk__tls_ctx *ctx)
{
	if (ctx && --ctx->refs == 0)
		ctx_free(ctx);
}

/* ---- the transport ------------------------------------------------------------------------ */

static void peer_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	snprintf(buf, len, "?");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, (socklen_t)len);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, (socklen_t)len);
	else if (ss.ss_family == AF_UNIX)
		snprintf(buf, len, "a local socket");
}

/* Maps an OpenSSL I/O failure to the transport's results; `what` names the operation. */
static long io_error(struct ymk__transport *t, int ret)
{
	struct tls_conn *c = t->impl;
	int e = SSL_get_error(c->ssl, ret);
	if (e == SSL_ERROR_WANT_READ) {
		t->blocked = YMK__TR_READ;
		return -EAGAIN;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		t->blocked = YMK__TR_WRITE;
		return -EAGAIN;
	}
	ERR_clear_error();
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	c->state = ST_FAILED;
	return e == SSL_ERROR_SYSCALL ? -ECONNRESET : -EPROTO;
}

/* Runs the handshake as far as it goes. 1 done, -EAGAIN, 0 closed by the client, -EPROTO. */
static long handshake(struct ymk__transport *t)
{
	struct tls_conn *c = t->impl;
	char peer[64], why[160];
	if (c->state == ST_OPEN)
		return 1;
	if (c->state == ST_FAILED)
		return -EPROTO;
	if (c->state == ST_FRESH) {
		/* A TLS connection begins with a handshake record (content type 22); anything else,
		 * plain HTTP above all, is closed before OpenSSL sees it. */
		unsigned char b;
		ssize_t n;
		do
			n = recv(t->fd, &b, 1, MSG_PEEK);
		while (n < 0 && errno == EINTR);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			t->blocked = YMK__TR_READ;
			return -EAGAIN;
		}
		if (n <= 0)
			return n == 0 ? 0 : -errno;
		if (b != 0x16) {
			peer_name(t->fd, peer, sizeof peer);
			if (b >= 'A' && b <= 'Z')
				ymk__log(c->ctx->s, YMK_LOG_INFO,
					 "tls: plain HTTP from %s on the TLS port: closed", peer);
			else
				ymk__log(c->ctx->s, YMK_LOG_INFO,
					 "tls: from %s: not a TLS handshake (first byte 0x%02x): closed",
					 peer, b);
			c->state = ST_FAILED;
			return -EPROTO;
		}
		c->state = ST_HANDSHAKE;
	}
	ERR_clear_error();
	int r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->state = ST_OPEN;
		t->deadline = 0;
		return 1;
	}
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return io_error(t, r);
	peer_name(t->fd, peer, sizeof peer);
	if (e == SSL_ERROR_SYSCALL && !ERR_peek_last_error())
		ymk__log(c->ctx->s, YMK_LOG_INFO,
			 "tls: handshake with %s failed: the client closed the connection", peer);
	else
		ymk__log(c->ctx->s, YMK_LOG_INFO, "tls: handshake with %s failed: %s", peer,
			 ossl_reason(why, sizeof why));
	ERR_clear_error();
	c->state = ST_FAILED;
	return -EPROTO;
}

/* Reads until buf is full or the socket is empty, so that a short read means what it means on a
 * plain socket (the kernel has nothing more) and edge-triggered readiness loses nothing: one
 * record is often shorter than the room. */
static long tls_recv(struct ymk__transport *t, void *buf, size_t len)
{
	struct tls_conn *c = t->impl;
	long h = handshake(t);
	if (h != 1)
		return h;
	size_t total = 0;
	while (total < len) {
		size_t n = 0;
		ERR_clear_error();
		if (SSL_read_ex(c->ssl, (char *)buf + total, len - total, &n)) {
			total += n;
			continue;
		}
		/* After bytes were read, an end or an error waits for the next call: a close_notify is
		 * reported again, and a failure left the connection ST_FAILED. */
		long e = io_error(t, 0);
		if (total == 0)
			return e;
		break;
	}
	return (long)total;
}

static long tls_write(struct ymk__transport *t, const void *p, size_t n)
{
	struct tls_conn *c = t->impl;
	size_t w = 0;
	if (n == 0)
		return 0;
	ERR_clear_error();
	if (SSL_write_ex(c->ssl, p, n, &w))
		return (long)w;
	long e = io_error(t, 0);
	return e == 0 ? -EPIPE : e;
}

static long tls_sendv(struct ymk__transport *t, const struct iovec *iov, int iovcnt, int more)
{
	(void)more;
	struct tls_conn *c = t->impl;
	long h = handshake(t);
	if (h != 1)
		return h == 0 ? -EPIPE : h;
	return ymk__tls_out_sendv(&c->out, t, tls_write, iov, iovcnt);
}

static long tls_sendfile(struct ymk__transport *t, int fd, uint64_t *off, uint64_t count, int more)
{
	struct tls_conn *c = t->impl;
	long h = handshake(t);
	if (h != 1)
		return h == 0 ? -EPIPE : h;
	if (BIO_ctrl(SSL_get_wbio(c->ssl), BIO_CTRL_GET_KTLS_SEND, 0, NULL) > 0) {
		/* Kernel TLS: the kernel encrypts, the file never enters user space. */
		ERR_clear_error();
		ossl_ssize_t n = SSL_sendfile(c->ssl, fd, (off_t)*off, (size_t)count, 0);
		if (n > 0) {
			*off += (uint64_t)n;
			return (long)n;
		}
		if (n == 0)
			return 0;
		long e = io_error(t, (int)n);
		return e == 0 ? -EPIPE : e;
	}
	return ymk__tls_out_sendfile(&c->out, t, tls_write, fd, off, count, more);
}

static int tls_shutdown(struct ymk__transport *t)
{
	struct tls_conn *c = t->impl;
	if (c->state == ST_OPEN) {
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl); /* our close_notify; the client's is not waited for */
		ERR_clear_error();
	}
	return shutdown(t->fd, SHUT_WR) < 0 ? -errno : 0;
}

static void tls_goodbye(struct ymk__transport *t)
{
	(void)tls_shutdown(t);
}

static size_t tls_pending(const struct ymk__transport *t)
{
	const struct tls_conn *c = t->impl;
	int n = c->state == ST_OPEN ? SSL_pending(c->ssl) : 0;
	return n > 0 ? (size_t)n : 0;
}

static void tls_close(struct ymk__transport *t)
{
	struct tls_conn *c = t->impl;
	if (c) {
		ymk__tls_out_give_back(&c->out);
		SSL_free(c->ssl);
		ERR_clear_error();
		ymk__tlsb_ctx_unref(c->ctx);
		ymk__free(c);
		t->impl = NULL;
	}
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

static const struct ymk__transport_ops tls_ops = {
	.recv = tls_recv,
	.sendv = tls_sendv,
	.sendfile = tls_sendfile,
	.shutdown = tls_shutdown,
	.goodbye = tls_goodbye,
	.pending = tls_pending,
	.close = tls_close,
};

void ymk__tlsb_transport(struct ymk__tls_ctx *ctx, int fd, struct ymk__transport *tr)
{
	ymk__tls_transport_broken(tr, fd); /* until the state is there */
	struct tls_conn *c = ymk__calloc(1, sizeof *c);
	if (!c)
		return;
	ERR_clear_error();
	c->ssl = SSL_new(ctx->ssl_ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, fd)) {
		SSL_free(c->ssl);
		ERR_clear_error();
		ymk__free(c);
		return;
	}
	SSL_set_accept_state(c->ssl);
	c->ctx = ctx;
	c->out.bufs = ctx->bufs;
	ctx->refs++;
	tr->impl = c;
	tr->ops = &tls_ops;
	tr->deadline = ymk__os_now_ms() + ctx->handshake_ms;
}

const char *ymk__tlsb_info(const struct ymk__transport *tr, enum ymk__tls_what what)
{
	if (tr->ops != &tls_ops)
		return NULL;
	struct tls_conn *c = tr->impl;
	if (c->state != ST_OPEN)
		return NULL;
	switch (what) {
	case YMK__TLS_VERSION: return SSL_get_version(c->ssl);
	case YMK__TLS_CIPHER: {
		const SSL_CIPHER *ci = SSL_get_current_cipher(c->ssl);
		return ci ? SSL_CIPHER_standard_name(ci) : NULL;
	}
	case YMK__TLS_SERVER_NAME: return SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
	}
	return NULL;
}

/* ---- a self-signed certificate ------------------------------------------------------------ */

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!ext)
		return -1;
	int ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* Writes what the BIO holds into out[0..cap) with a NUL. 0, or YMK_ENOMEM when it does not fit. */
static int bio_out(BIO *b, char *out, size_t cap)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	if (n < 0 || (size_t)n + 1 > cap)
		return YMK_ENOMEM;
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	return 0;
}

int ymk__tlsb_self_signed(const char *host, unsigned days, char *cert, size_t cert_cap, char *key,
			  size_t key_cap)
{
	unsigned char ip[16];
	int is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
	char san[300];
	snprintf(san, sizeof san, "%s:%s", is_ip ? "IP" : "DNS", host);
	int rc = YMK_ETLS;
	ERR_clear_error();
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIGNUM *serial = BN_new();
	BIO *bc = BIO_new(BIO_s_mem()), *bk = BIO_new(BIO_s_mem());
	if (!k || !x || !serial || !bc || !bk)
		goto out;
	if (!BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) || !X509_set_version(x, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) || !X509_set_pubkey(x, k))
		goto out;
	X509_NAME *name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)host, -1, -1, 0) ||
	    !X509_set_issuer_name(x, name))
		goto out;
	if (add_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(x, NID_key_usage, "critical,digitalSignature") < 0 ||
	    add_ext(x, NID_ext_key_usage, "serverAuth") < 0 || add_ext(x, NID_subject_alt_name, san) < 0 ||
	    add_ext(x, NID_subject_key_identifier, "hash") < 0)
		goto out;
	if (!X509_sign(x, k, EVP_sha256()) || !PEM_write_bio_X509(bc, x) ||
	    !PEM_write_bio_PrivateKey(bk, k, NULL, NULL, 0, NULL, NULL))
		goto out;
	rc = bio_out(bc, cert, cert_cap);
	if (rc == 0)
		rc = bio_out(bk, key, key_cap);
out:
	ERR_clear_error();
	BIO_free(bc);
	if (bk) {
		char *p;
		long n = BIO_get_mem_data(bk, &p);
		if (n > 0)
			OPENSSL_cleanse(p, (size_t)n);
		BIO_free(bk);
	}
	BN_free(serial);
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}
