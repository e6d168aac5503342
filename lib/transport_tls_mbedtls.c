/* transport_tls_mbedtls.c: the TLS backend on mbed TLS 2.28 (see tls.h), for firmware.
 *
 * mbed TLS 2.28 speaks TLS 1.2 (its TLS 1.3 is 3.x), so the floor and the ceiling are both 1.2
 * here. The library's bio callbacks are the socket's send (MSG_NOSIGNAL) and recv, non-blocking:
 * EAGAIN becomes MBEDTLS_ERR_SSL_WANT_READ/WRITE, which the transport reports as -EAGAIN with
 * `blocked` set. Files are read into a pooled buffer of one record's payload and encrypted from
 * there; the buffer goes back as soon as its bytes are out.
 *
 * The random generator is per process. Workers and fork children inherit the parent's generator
 * state with their memory, which would give siblings the same "random" bytes (handshake randoms,
 * ECDHE keys): every process that makes a transport reseeds it first from the entropy source with
 * its pid mixed in (see rng_for_this_process). */
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
#include <time.h>
#include <unistd.h>

#include <mbedtls/asn1.h>
#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

struct cert_obj {
	mbedtls_x509_crt crt; /* the certificate, then its chain */
	mbedtls_pk_context key;
};

struct ymk__tls_ctx {
	mbedtls_ssl_config conf;
	mbedtls_ssl_ticket_context ticket;
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
	mbedtls_ssl_context ssl; /* first: the SNI callback finds the connection from it */
	struct ymk__tls_ctx *ctx;
	int fd;
	int state;
	struct ymk__tls_out out; /* a file being encrypted, corking (tls_records.h) */
	char *sni;               /* the client's server_name, or NULL */
	char cipher[64];         /* the IANA name of the suite */
};

/* ---- the generator ------------------------------------------------------------------------ */

static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;
static pid_t drbg_pid; /* the process the generator was last seeded in; 0: never */

static int rng_for_this_process(void)
{
	pid_t pid = getpid();
	if (drbg_pid == pid)
		return 0;
	static const char label[] = "libymawky tls";
	unsigned char extra[sizeof label + sizeof pid];
	memcpy(extra, label, sizeof label);
	memcpy(extra + sizeof label, &pid, sizeof pid);
	int rc;
	if (drbg_pid == 0) {
		mbedtls_entropy_init(&entropy);
		mbedtls_ctr_drbg_init(&drbg);
		rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, extra, sizeof extra);
	} else {
		rc = mbedtls_ctr_drbg_reseed(&drbg, extra, sizeof extra);
	}
	if (rc == 0)
		drbg_pid = pid;
	return rc;
}

const char *ymk__tlsb_name(void)
{
	static char name[32];
	if (!name[0]) {
		char v[18];
		mbedtls_version_get_string(v);
		snprintf(name, sizeof name, "mbed TLS %s", v);
	}
	return name;
}

int ymk__tlsb_max_version(void)
{
	return YMK_TLS_1_2;
}

static const char *why(int rc, char *buf, size_t len)
{
	mbedtls_strerror(rc, buf, len);
	return buf;
}

static void cert_obj_free(struct cert_obj *c)
{
	mbedtls_x509_crt_free(&c->crt);
	mbedtls_pk_free(&c->key);
}

/* Parses one certificate list entry (PEM needs its NUL counted). 0 or YMK_ETLS with err set. */
static int cert_obj_load(const struct ymk__tls_cert *e, struct cert_obj *out, char *err, size_t errlen)
{
	char w[160];
	mbedtls_x509_crt_init(&out->crt);
	mbedtls_pk_init(&out->key);
	const char *what = e->cert_file ? e->cert_file : "from memory";
	int rc = mbedtls_x509_crt_parse(&out->crt, (const unsigned char *)e->cert_pem, e->cert_len + 1);
	if (rc != 0) {
		snprintf(err, errlen, "tls certificate (%.200s): %s (%s)", what,
			 rc > 0 ? "some certificates of the chain do not parse" : "no PEM certificate found",
			 rc > 0 ? "mbed TLS" : why(rc, w, sizeof w));
		cert_obj_free(out);
		return YMK_ETLS;
	}
	what = e->key_file ? e->key_file : "from memory";
	rc = mbedtls_pk_parse_key(&out->key, (const unsigned char *)e->key_pem, e->key_len + 1, NULL, 0);
	if (rc != 0) {
		snprintf(err, errlen, "tls key (%.200s): no unencrypted PEM private key found (%s)", what,
			 why(rc, w, sizeof w));
		cert_obj_free(out);
		return YMK_ETLS;
	}
	if (mbedtls_pk_check_pair(&out->crt.pk, &out->key) != 0) {
		snprintf(err, errlen, "tls key (%.200s): it does not belong to the certificate", what);
		cert_obj_free(out);
		return YMK_ETLS;
	}
	return 0;
}

int ymk__tlsb_check(const struct ymk__tls_cert *c, char *err, size_t errlen)
{
	struct cert_obj o;
	int rc = cert_obj_load(c, &o, err, errlen);
	if (rc == 0)
		cert_obj_free(&o);
	return rc;
}

/* The client's SNI name: kept for the request, and the embedder's callback picks the
 * certificate. */
static int on_sni(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
	struct ymk__tls_ctx *ctx = arg;
	struct tls_conn *c = (struct tls_conn *)ssl;
	if (len == 0 || len > 255 || memchr(name, '\0', len))
		return -1;
	ymk__free(c->sni);
	if (!(c->sni = ymk__malloc(len + 1)))
		return -1;
	memcpy(c->sni, name, len);
	c->sni[len] = '\0';
	if (!ctx->sni)
		return 0;
	int i = ctx->sni(c->sni, ctx->sni_user);
	if (i < 0 || (size_t)i >= ctx->ncerts)
		return -1; /* the handshake fails with unrecognized_name */
	if (i > 0)
		return mbedtls_ssl_set_hs_own_cert(ssl, &ctx->certs[i].crt, &ctx->certs[i].key);
	return 0;
}

static void ctx_free(struct ymk__tls_ctx *ctx)
{
	mbedtls_ssl_config_free(&ctx->conf);
	mbedtls_ssl_ticket_free(&ctx->ticket);
	for (size_t i = 0; i < ctx->ncerts; i++)
		cert_obj_free(&ctx->certs[i]);
	ymk__free(ctx->certs);
	ymk__free(ctx);
}

/* ECDHE only, AEAD only, in this order of preference (the server's: mbed TLS picks by its own
 * list unless told to respect the client's). */
static const int ciphersuites[] = {
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	0,
};
static const mbedtls_ecp_group_id curves[] = {
	MBEDTLS_ECP_DP_CURVE25519,
	MBEDTLS_ECP_DP_SECP256R1,
	MBEDTLS_ECP_DP_SECP384R1,
	MBEDTLS_ECP_DP_NONE,
};
static const char *alpn[] = {"http/1.1", NULL};

struct ymk__tls_ctx *ymk__tlsb_ctx_new(const struct ymk__tls_conf *conf, const struct ymk__settings *s,
				       struct ymk__pool *bufs, char *err, size_t errlen)
{
	char w[160];
	if (conf->ncerts == 0) {
		snprintf(err, errlen, "tls: no certificate");
		return NULL;
	}
	int rc = rng_for_this_process();
	if (rc != 0) {
		snprintf(err, errlen, "tls: the random generator could not be seeded (%s)",
			 why(rc, w, sizeof w));
		return NULL;
	}
	struct ymk__tls_ctx *ctx = ymk__calloc(1, sizeof *ctx);
	if (!ctx || !(ctx->certs = ymk__calloc(conf->ncerts, sizeof *ctx->certs))) {
		ymk__free(ctx);
		snprintf(err, errlen, "tls: out of memory");
		return NULL;
	}
	mbedtls_ssl_config_init(&ctx->conf);
	mbedtls_ssl_ticket_init(&ctx->ticket);
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
	mbedtls_ssl_config *c = &ctx->conf;
	if ((rc = mbedtls_ssl_config_defaults(c, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
					      MBEDTLS_SSL_PRESET_DEFAULT)) != 0)
		goto fail;
	mbedtls_ssl_conf_rng(c, mbedtls_ctr_drbg_random, &drbg);
	mbedtls_ssl_conf_min_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_ciphersuites(c, ciphersuites);
	mbedtls_ssl_conf_curves(c, curves);
	mbedtls_ssl_conf_renegotiation(c, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
	if ((rc = mbedtls_ssl_conf_alpn_protocols(c, alpn)) != 0 ||
	    (rc = mbedtls_ssl_conf_own_cert(c, &ctx->certs[0].crt, &ctx->certs[0].key)) != 0)
		goto fail;
	mbedtls_ssl_conf_sni(c, on_sni, ctx);
	/* Resumption by tickets, whose key every worker and fork child inherits. */
	if ((rc = mbedtls_ssl_ticket_setup(&ctx->ticket, mbedtls_ctr_drbg_random, &drbg,
					   MBEDTLS_CIPHER_AES_256_GCM, 86400)) != 0)
		goto fail;
	mbedtls_ssl_conf_session_tickets_cb(c, mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse,
					    &ctx->ticket);
	return ctx;
fail:
	snprintf(err, errlen, "tls: mbed TLS refused the settings (%s)", why(rc, w, sizeof w));
	ctx_free(ctx);
	return NULL;
}

void ymk__tlsb_ctx_unref(struct ymk__tls_ctx *ctx)
{
	if (ctx && --ctx->refs == 0)
		ctx_free(ctx);
}

/* ---- the transport ------------------------------------------------------------------------ */

static int bio_send(void *arg, const unsigned char *buf, size_t len)
{
	struct tls_conn *c = arg;
	for (;;) {
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0)
			return (int)n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return MBEDTLS_ERR_SSL_WANT_WRITE;
		return errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET
							     : MBEDTLS_ERR_NET_SEND_FAILED;
	}
}

static int bio_recv(void *arg, unsigned char *buf, size_t len)
{
	struct tls_conn *c = arg;
	for (;;) {
		ssize_t n = recv(c->fd, buf, len, 0);
		if (n >= 0)
			return (int)n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return MBEDTLS_ERR_SSL_WANT_READ;
		return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
	}
}

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

/* Maps an mbed TLS result below 0 to the transport's. */
static long io_error(struct ymk__transport *t, int rc)
{
	struct tls_conn *c = t->impl;
	if (rc == MBEDTLS_ERR_SSL_WANT_READ) {
		t->blocked = YMK__TR_READ;
		return -EAGAIN;
	}
	if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
		t->blocked = YMK__TR_WRITE;
		return -EAGAIN;
	}
	if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
		return 0;
	c->state = ST_FAILED;
	return rc == MBEDTLS_ERR_NET_CONN_RESET ? -ECONNRESET : -EPROTO;
}

/* Runs the handshake as far as it goes. 1 done, -EAGAIN, 0 closed by the client, -EPROTO. */
static long handshake(struct ymk__transport *t)
{
	struct tls_conn *c = t->impl;
	char peer[64], w[160];
	if (c->state == ST_OPEN)
		return 1;
	if (c->state == ST_FAILED)
		return -EPROTO;
	if (c->state == ST_FRESH) {
		/* A TLS connection begins with a handshake record (content type 22). */
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
	int rc = mbedtls_ssl_handshake(&c->ssl);
	if (rc == 0) {
		c->state = ST_OPEN;
		t->deadline = 0;
		const char *name = mbedtls_ssl_get_ciphersuite(&c->ssl);
		snprintf(c->cipher, sizeof c->cipher, "%s", name ? name : "");
		for (char *p = c->cipher; *p; p++) /* "TLS-ECDHE-..." is "TLS_ECDHE_..." for IANA */
			if (*p == '-')
				*p = '_';
		return 1;
	}
	if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
		return io_error(t, rc);
	peer_name(t->fd, peer, sizeof peer);
	if (rc == MBEDTLS_ERR_NET_CONN_RESET || rc == MBEDTLS_ERR_SSL_CONN_EOF)
		ymk__log(c->ctx->s, YMK_LOG_INFO,
			 "tls: handshake with %s failed: the client closed the connection", peer);
	else
		ymk__log(c->ctx->s, YMK_LOG_INFO, "tls: handshake with %s failed: %s", peer,
			 why(rc, w, sizeof w));
	c->state = ST_FAILED;
	return -EPROTO;
}

/* Reads until buf is full or the socket is empty, so that a short read means the kernel has
 * nothing more (edge-triggered readiness loses nothing). */
static long tls_recv(struct ymk__transport *t, void *buf, size_t len)
{
	struct tls_conn *c = t->impl;
	long h = handshake(t);
	if (h != 1)
		return h;
	size_t total = 0;
	while (total < len) {
		int n = mbedtls_ssl_read(&c->ssl, (unsigned char *)buf + total, len - total);
		if (n > 0) {
			total += (size_t)n;
			continue;
		}
		long e = n == 0 ? 0 : io_error(t, n);
		if (total == 0)
			return e;
		break; /* the end or the failure is met again by the next call */
	}
	return (long)total;
}

static long tls_write(struct ymk__transport *t, const void *p, size_t n)
{
	struct tls_conn *c = t->impl;
	if (n == 0)
		return 0;
	int w = mbedtls_ssl_write(&c->ssl, p, n);
	if (w > 0)
		return w;
	long e = w == 0 ? 0 : io_error(t, w);
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
	return ymk__tls_out_sendfile(&c->out, t, tls_write, fd, off, count, more);
}

static int tls_shutdown(struct ymk__transport *t)
{
	struct tls_conn *c = t->impl;
	if (c->state == ST_OPEN)
		(void)mbedtls_ssl_close_notify(&c->ssl); /* the client's is not waited for */
	return shutdown(t->fd, SHUT_WR) < 0 ? -errno : 0;
}

static void tls_goodbye(struct ymk__transport *t)
{
	(void)tls_shutdown(t);
}

static size_t tls_pending(const struct ymk__transport *t)
{
	const struct tls_conn *c = t->impl;
	return c->state == ST_OPEN ? mbedtls_ssl_get_bytes_avail(&c->ssl) : 0;
}

static void tls_close(struct ymk__transport *t)
{
	struct tls_conn *c = t->impl;
	if (c) {
		ymk__tls_out_give_back(&c->out);
		mbedtls_ssl_free(&c->ssl);
		ymk__free(c->sni);
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
	if (rng_for_this_process() != 0)   /* a fork child or a worker: its own random stream */
		return;
	struct tls_conn *c = ymk__calloc(1, sizeof *c);
	if (!c)
		return;
	mbedtls_ssl_init(&c->ssl);
	if (mbedtls_ssl_setup(&c->ssl, &ctx->conf) != 0) {
		mbedtls_ssl_free(&c->ssl);
		ymk__free(c);
		return;
	}
	c->fd = fd;
	c->ctx = ctx;
	c->out.bufs = ctx->bufs;
	ctx->refs++;
	mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
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
	case YMK__TLS_VERSION: return mbedtls_ssl_get_version(&c->ssl);
	case YMK__TLS_CIPHER: return c->cipher[0] ? c->cipher : NULL;
	case YMK__TLS_SERVER_NAME: return c->sni;
	}
	return NULL;
}

/* ---- a self-signed certificate ------------------------------------------------------------ */

/* DER of a subjectAltName holding one dNSName [2] or iPAddress [7]. Returns its length. */
static size_t san_der(unsigned char *out, const char *host, const unsigned char *ip, size_t iplen)
{
	size_t n = ip ? iplen : strlen(host);
	size_t i = 0, inner = n < 128 ? 2 + n : 3 + n;
	out[i++] = 0x30; /* SEQUENCE OF GeneralName */
	if (inner < 128) {
		out[i++] = (unsigned char)inner;
	} else {
		out[i++] = 0x81;
		out[i++] = (unsigned char)inner;
	}
	out[i++] = ip ? 0x87 : 0x82;
	if (n < 128) {
		out[i++] = (unsigned char)n;
	} else {
		out[i++] = 0x81;
		out[i++] = (unsigned char)n;
	}
	memcpy(out + i, ip ? (const void *)ip : (const void *)host, n);
	return i + n;
}

static void when(char out[15], time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 15, "%Y%m%d%H%M%S", &tm);
}

int ymk__tlsb_self_signed(const char *host, unsigned days, char *cert, size_t cert_cap, char *key,
			  size_t key_cap)
{
	static const unsigned char server_auth[] = {0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06,
						    0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
	unsigned char ip[16], san[300];
	size_t iplen = 0;
	if (inet_pton(AF_INET, host, ip) == 1)
		iplen = 4;
	else if (inet_pton(AF_INET6, host, ip) == 1)
		iplen = 16;
	if (rng_for_this_process() != 0)
		return YMK_ETLS;
	mbedtls_pk_context k;
	mbedtls_x509write_cert w;
	mbedtls_mpi serial;
	mbedtls_pk_init(&k);
	mbedtls_x509write_crt_init(&w);
	mbedtls_mpi_init(&serial);
	char subject[300], from[15], until[15];
	snprintf(subject, sizeof subject, "CN=%s", host);
	time_t now = time(NULL);
	when(from, now - 3600);
	when(until, now + (time_t)days * 86400);
	size_t san_len = san_der(san, host, iplen ? ip : NULL, iplen);
	int rc = YMK_ETLS;
	if (mbedtls_pk_setup(&k, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(k), mbedtls_ctr_drbg_random, &drbg) !=
		    0 ||
	    mbedtls_mpi_fill_random(&serial, 8, mbedtls_ctr_drbg_random, &drbg) != 0 ||
	    mbedtls_mpi_set_bit(&serial, 63, 0) != 0)
		goto out;
	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&w, &k);
	mbedtls_x509write_crt_set_issuer_key(&w, &k);
	if (mbedtls_x509write_crt_set_subject_name(&w, subject) != 0 ||
	    mbedtls_x509write_crt_set_issuer_name(&w, subject) != 0 ||
	    mbedtls_x509write_crt_set_serial(&w, &serial) != 0 ||
	    mbedtls_x509write_crt_set_validity(&w, from, until) != 0 ||
	    mbedtls_x509write_crt_set_basic_constraints(&w, 0, -1) != 0 ||
	    mbedtls_x509write_crt_set_key_usage(&w, MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0 ||
	    mbedtls_x509write_crt_set_extension(&w, MBEDTLS_OID_EXTENDED_KEY_USAGE,
						MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0,
						server_auth, sizeof server_auth) != 0 ||
	    mbedtls_x509write_crt_set_extension(&w, MBEDTLS_OID_SUBJECT_ALT_NAME,
						MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, san,
						san_len) != 0 ||
	    mbedtls_x509write_crt_set_subject_key_identifier(&w) != 0)
		goto out;
	int r = mbedtls_x509write_crt_pem(&w, (unsigned char *)cert, cert_cap, mbedtls_ctr_drbg_random,
					  &drbg);
	if (r == 0)
		r = mbedtls_pk_write_key_pem(&k, (unsigned char *)key, key_cap);
	rc = r == 0                                                                          ? 0
	   : r == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL || r == MBEDTLS_ERR_ASN1_BUF_TOO_SMALL ? YMK_ENOMEM
											     : YMK_ETLS;
out:
	mbedtls_mpi_free(&serial);
	mbedtls_x509write_crt_free(&w);
	mbedtls_pk_free(&k);
	return rc;
}
