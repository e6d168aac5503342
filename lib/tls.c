/* tls.c: the backend-independent part of TLS (see tls.h): the certificate list and the other TLS
 * settings, reading certificate files, and reloading them when asked.
 *
 * A reload crosses processes: ymk_server_tls_reload() only bumps a counter in a shared mapping
 * made when the server was created, which workers and the fork model's children inherit. Each
 * process compares it with the generation its context was built for before it accepts, so the
 * files are read once per process and reload, in the process that makes the transports (the
 * fork model's parent, whose children inherit the new context), and never in a signal handler. */
#include "tls.h"

#include "internal.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CERTS 64
#define MAX_PEM_FILE (1u << 20) /* a chain of a few certificates is a few KiB */

struct ymk__tls_conf *ymk__tls_conf_new(void)
{
	struct ymk__tls_conf *c = ymk__calloc(1, sizeof *c);
	if (c) {
		c->min_version = YMK_DEFAULT_TLS_MIN_VERSION;
		c->handshake_ms = YMK_DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS;
	}
	return c;
}

static void cert_clear(struct ymk__tls_cert *e)
{
	if (e->key_pem) /* a private key does not linger in freed memory */
		memset(e->key_pem, 0, e->key_len);
	ymk__free(e->cert_pem);
	ymk__free(e->key_pem);
	ymk__free(e->cert_file);
	ymk__free(e->key_file);
	memset(e, 0, sizeof *e);
}

static void certs_free(struct ymk__tls_cert *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cert_clear(&v[i]);
	ymk__free(v);
}

void ymk__tls_conf_free(struct ymk__tls_conf *c)
{
	if (!c)
		return;
	certs_free(c->certs, c->ncerts);
	ymk__free(c);
}

static char *copy_pem(const char *p, size_t len, size_t *out_len)
{
	while (len && p[len - 1] == '\0')
		len--;
	char *s = ymk__malloc(len + 1);
	if (s) {
		memcpy(s, p, len);
		s[len] = '\0';
		*out_len = len;
	}
	return s;
}

/* Reads a whole PEM file. 0 or -errno (-EFBIG past MAX_PEM_FILE). */
static int read_file(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	struct stat st;
	int err = 0;
	char *buf = NULL;
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = -EINVAL;
	else if ((uint64_t)st.st_size > MAX_PEM_FILE)
		err = -EFBIG;
	else if (!(buf = ymk__malloc((size_t)st.st_size + 1)))
		err = YMK_ENOMEM;
	size_t got = 0;
	while (!err && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (err) {
		ymk__free(buf);
		return err;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

/* Fills e from its files (cert_file and key_file set). 0 or a code with err set. */
static int load_files(struct ymk__tls_cert *e, char *err, size_t errlen)
{
	char *cert = NULL, *key = NULL;
	size_t clen = 0, klen = 0;
	int rc = read_file(e->cert_file, &cert, &clen);
	if (rc < 0) {
		snprintf(err, errlen, "tls certificate file \"%.200s\": %s", e->cert_file,
			 rc == -EFBIG ? "larger than 1 MiB" : ymk_strerror(rc));
		return rc;
	}
	rc = read_file(e->key_file, &key, &klen);
	if (rc < 0) {
		snprintf(err, errlen, "tls key file \"%.200s\": %s", e->key_file,
			 rc == -EFBIG ? "larger than 1 MiB" : ymk_strerror(rc));
		ymk__free(cert);
		return rc;
	}
	ymk__free(e->cert_pem);
	if (e->key_pem)
		memset(e->key_pem, 0, e->key_len);
	ymk__free(e->key_pem);
	e->cert_pem = cert;
	e->cert_len = clen;
	e->key_pem = key;
	e->key_len = klen;
	return 0;
}

static int conf_push(struct ymk__tls_conf *c, struct ymk__tls_cert *e, char *err, size_t errlen)
{
	int rc = ymk__tlsb_check(e, err, errlen);
	if (rc < 0)
		return rc;
	struct ymk__tls_cert *v = ymk__realloc(c->certs, (c->ncerts + 1) * sizeof *v);
	if (!v) {
		snprintf(err, errlen, "tls: out of memory");
		return YMK_ENOMEM;
	}
	c->certs = v;
	v[c->ncerts] = *e;
	return (int)c->ncerts++;
}

int ymk__tls_conf_add(struct ymk__tls_conf *c, const char *cert, size_t cert_len, const char *key,
		      size_t key_len, char *err, size_t errlen)
{
	if (!ymk__tlsb_name()) {
		snprintf(err, errlen, "tls: this libymawky was built without TLS (meson -Dtls)");
		return YMK_ENOTLS;
	}
	if (!cert || !key || !cert_len || !key_len) {
		snprintf(err, errlen, "tls: the certificate and the key must both be given");
		return YMK_EINVAL;
	}
	if (c->ncerts >= MAX_CERTS) {
		snprintf(err, errlen, "tls: more than %d certificates", MAX_CERTS);
		return YMK_EINVAL;
	}
	struct ymk__tls_cert e = {0};
	e.cert_pem = copy_pem(cert, cert_len, &e.cert_len);
	e.key_pem = copy_pem(key, key_len, &e.key_len);
	if (!e.cert_pem || !e.key_pem) {
		cert_clear(&e);
		snprintf(err, errlen, "tls: out of memory");
		return YMK_ENOMEM;
	}
	int rc = conf_push(c, &e, err, errlen);
	if (rc < 0)
		cert_clear(&e);
	return rc;
}

int ymk__tls_conf_add_files(struct ymk__tls_conf *c, const char *cert_file, const char *key_file, char *err,
			    size_t errlen)
{
	if (!ymk__tlsb_name()) {
		snprintf(err, errlen, "tls: this libymawky was built without TLS (meson -Dtls)");
		return YMK_ENOTLS;
	}
	if (!cert_file || !key_file || !*cert_file || !*key_file) {
		snprintf(err, errlen, "tls: the certificate file and the key file must both be named");
		return YMK_EINVAL;
	}
	if (c->ncerts >= MAX_CERTS) {
		snprintf(err, errlen, "tls: more than %d certificates", MAX_CERTS);
		return YMK_EINVAL;
	}
	struct ymk__tls_cert e = {0};
	e.cert_file = ymk__strdup(cert_file);
	e.key_file = ymk__strdup(key_file);
	if (!e.cert_file || !e.key_file) {
		cert_clear(&e);
		snprintf(err, errlen, "tls: out of memory");
		return YMK_ENOMEM;
	}
	int rc = load_files(&e, err, errlen);
	if (rc == 0)
		rc = conf_push(c, &e, err, errlen);
	if (rc < 0)
		cert_clear(&e);
	return rc;
}

static char *dup_n(const char *s, size_t n)
{
	char *d = ymk__malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* A deep copy of a certificate list. 0 or YMK_ENOMEM. */
static int certs_copy(struct ymk__tls_cert **out, const struct ymk__tls_cert *v, size_t n)
{
	struct ymk__tls_cert *c = ymk__calloc(n ? n : 1, sizeof *c);
	if (!c)
		return YMK_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		c[i].cert_len = v[i].cert_len;
		c[i].key_len = v[i].key_len;
		c[i].cert_pem = dup_n(v[i].cert_pem, v[i].cert_len);
		c[i].key_pem = dup_n(v[i].key_pem, v[i].key_len);
		if (v[i].cert_file)
			c[i].cert_file = ymk__strdup(v[i].cert_file);
		if (v[i].key_file)
			c[i].key_file = ymk__strdup(v[i].key_file);
		if (!c[i].cert_pem || !c[i].key_pem || (v[i].cert_file && !c[i].cert_file) ||
		    (v[i].key_file && !c[i].key_file)) {
			certs_free(c, i + 1);
			return YMK_ENOMEM;
		}
	}
	*out = c;
	return 0;
}

int ymk__tls_new(struct ymk__tls **out, const struct ymk__tls_conf *conf, const struct ymk__settings *s,
		 char *err, size_t errlen)
{
	*out = NULL;
	struct ymk__tls *t = ymk__calloc(1, sizeof *t);
	if (!t)
		return YMK_ENOMEM;
	t->conf = *conf;
	t->conf.certs = NULL;
	t->conf.ncerts = 0;
	t->s = s;
	t->bufs = (struct ymk__pool){.cap = 64, .size = YMK__TLS_BUF};
	int rc = YMK_ENOMEM;
	if (!(t->bufs.v = ymk__calloc(64, sizeof(void *))))
		goto fail;
	if (certs_copy(&t->conf.certs, conf->certs, conf->ncerts) < 0)
		goto fail;
	t->conf.ncerts = conf->ncerts;
	void *m = mmap(NULL, sizeof(uint32_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		rc = -errno;
		snprintf(err, errlen, "tls: shared mapping: %s", ymk_strerror(rc));
		goto fail;
	}
	t->reload_gen = m;
	t->ctx = ymk__tlsb_ctx_new(&t->conf, s, &t->bufs, err, errlen);
	if (!t->ctx) {
		rc = YMK_ETLS;
		goto fail;
	}
	*out = t;
	return 0;
fail:
	if (rc == YMK_ENOMEM && !err[0])
		snprintf(err, errlen, "tls: out of memory");
	ymk__tls_free(t);
	return rc;
}

void ymk__tls_free(struct ymk__tls *t)
{
	if (!t)
		return;
	if (t->ctx)
		ymk__tlsb_ctx_unref(t->ctx);
	certs_free(t->conf.certs, t->conf.ncerts);
	if (t->reload_gen)
		munmap((void *)t->reload_gen, sizeof(uint32_t));
	ymk__pool_free(&t->bufs);
	ymk__free(t);
}

void ymk__tls_request_reload(struct ymk__tls *t)
{
	__atomic_fetch_add(t->reload_gen, 1, __ATOMIC_RELEASE);
}

void ymk__tls_refresh(struct ymk__tls *t)
{
	uint32_t gen = __atomic_load_n(t->reload_gen, __ATOMIC_ACQUIRE);
	if (gen == t->loaded_gen)
		return;
	t->loaded_gen = gen; /* a failed reload is not retried on every accept; the next ask is */
	char err[YMK__ERRMSG_MAX] = "";
	struct ymk__tls_cert *certs;
	if (certs_copy(&certs, t->conf.certs, t->conf.ncerts) < 0) {
		ymk__log(t->s, YMK_LOG_ERROR, "tls reload: out of memory; keeping the certificates in use");
		return;
	}
	size_t reread = 0;
	for (size_t i = 0; i < t->conf.ncerts; i++) {
		if (!certs[i].cert_file)
			continue;
		if (load_files(&certs[i], err, sizeof err) < 0 ||
		    ymk__tlsb_check(&certs[i], err, sizeof err) < 0) {
			ymk__log(t->s, YMK_LOG_ERROR, "tls reload: %s; keeping the certificates in use", err);
			certs_free(certs, t->conf.ncerts);
			return;
		}
		reread++;
	}
	struct ymk__tls_conf conf = t->conf;
	conf.certs = certs;
	struct ymk__tls_ctx *ctx = ymk__tlsb_ctx_new(&conf, t->s, &t->bufs, err, sizeof err);
	if (!ctx) {
		ymk__log(t->s, YMK_LOG_ERROR, "tls reload: %s; keeping the certificates in use", err);
		certs_free(certs, t->conf.ncerts);
		return;
	}
	certs_free(t->conf.certs, t->conf.ncerts);
	t->conf.certs = certs;
	ymk__tlsb_ctx_unref(t->ctx); /* connections still using it hold their own references */
	t->ctx = ctx;
	ymk__log(t->s, YMK_LOG_INFO, "tls reload: %zu certificate file pair%s read again (process %ld)",
		 reread, reread == 1 ? "" : "s", (long)getpid());
}

void ymk__tls_transport(struct ymk__tls *t, int fd, struct ymk__transport *tr)
{
	ymk__tlsb_transport(t->ctx, fd, tr);
}

const char *ymk__tls_info(const struct ymk__transport *tr, enum ymk__tls_what what)
{
	if (!tr || !tr->impl)
		return NULL;
	return ymk__tlsb_info(tr, what);
}

/* ---- public calls that belong to no object ----------------------------------------------- */

const char *ymk_tls_backend(void)
{
	return ymk__tlsb_name();
}

static int host_ok(const char *h)
{
	size_t n = strlen(h);
	if (n == 0 || n > 253)
		return 0;
	for (const char *p = h; *p; p++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '.' || ch == ':'))
			return 0;
	}
	return 1;
}

int ymk_tls_self_signed(const char *host, unsigned days, char *cert, size_t cert_cap, char *key,
			size_t key_cap)
{
	if (!ymk__tlsb_name())
		return YMK_ENOTLS;
	if (!host || !host_ok(host) || days < 1 || days > 36500 || !cert || !key || !cert_cap || !key_cap)
		return YMK_EINVAL;
	int rc = ymk__tlsb_self_signed(host, days, cert, cert_cap, key, key_cap);
	if (rc < 0) {
		cert[0] = '\0';
		memset(key, 0, key_cap);
	}
	return rc;
}
