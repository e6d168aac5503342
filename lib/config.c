/* config.c: the opaque configuration and its typed setters.
 *
 * Each setter checks its value at once and records a precise message, so a bad option is reported
 * where it is set rather than when the server starts. The ABI is this list of functions: a new
 * option is a new setter. */
#include "alloc.h"
#include "internal.h"
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static int fail(ymk_config *cfg, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(ymk_config *cfg, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cfg->err, sizeof cfg->err, fmt, ap);
	va_end(ap);
	return code;
}

static int ok(ymk_config *cfg)
{
	cfg->err[0] = '\0';
	return 0;
}

/* Parses "A.B.C.D:PORT", "[v6]:PORT" or "unix:PATH" into a sockaddr. Pure. */
static int parse_listen(const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon, *port_s;

	if (!strncmp(addr, "unix:", 5)) {
		struct sockaddr_un *su = (struct sockaddr_un *)ss;
		size_t n = strlen(addr + 5);
		if (n == 0 || n >= sizeof su->sun_path)
			return -1;
		memset(ss, 0, sizeof *ss);
		su->sun_family = AF_UNIX;
		memcpy(su->sun_path, addr + 5, n + 1);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
		return 0;
	}
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (!close || close[1] != ':' || (size_t)(close - addr - 1) >= sizeof host)
			return -1;
		memcpy(host, addr + 1, (size_t)(close - addr - 1));
		host[close - addr - 1] = '\0';
		port_s = close + 2;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || (size_t)(colon - addr) >= sizeof host || strchr(addr, ':') != colon)
			return -1;
		memcpy(host, addr, (size_t)(colon - addr));
		host[colon - addr] = '\0';
		port_s = colon + 1;
	}
	if (*port_s == '\0' || strlen(port_s) > 5)
		return -1;
	unsigned long port = 0;
	for (const char *p = port_s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port > 65535)
		return -1;

	memset(ss, 0, sizeof *ss);
	if (addr[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -1;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -1;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof *s4;
	}
	return 0;
}

int ymk_config_new(ymk_config **out)
{
	if (!out)
		return YMK_EINVAL;
	*out = NULL;
	ymk_config *cfg = ymk__calloc(1, sizeof *cfg);
	if (!cfg)
		return YMK_ENOMEM;
	struct ymk__settings *s = &cfg->s;
	(void)parse_listen(YMK_DEFAULT_LISTEN, &s->listen_addr, &s->listen_len);
	s->model = YMK_MODEL_EVENT;
	s->max_connections = YMK_DEFAULT_MAX_CONNECTIONS;
	s->max_request_line = YMK_DEFAULT_MAX_REQUEST_LINE;
	s->max_header_bytes = YMK_DEFAULT_MAX_HEADER_BYTES;
	s->max_headers = YMK_DEFAULT_MAX_HEADERS;
	s->read_timeout_ms = YMK_DEFAULT_READ_TIMEOUT_MS;
	s->header_timeout_ms = YMK_DEFAULT_HEADER_TIMEOUT_MS;
	s->write_timeout_ms = YMK_DEFAULT_WRITE_TIMEOUT_MS;
	s->keepalive_timeout_ms = YMK_DEFAULT_KEEPALIVE_TIMEOUT_MS;
	s->max_handler_body = YMK_DEFAULT_MAX_HANDLER_BODY;
	s->deferred_timeout_ms = YMK_DEFAULT_DEFERRED_TIMEOUT_MS;
	s->methods = YMK_METHODS_READ;
	s->max_body = YMK_DEFAULT_MAX_BODY;
	s->body_grace_ms = YMK_DEFAULT_BODY_GRACE_MS;
	s->body_min_rate = YMK_DEFAULT_BODY_MIN_RATE;
	s->file_mode = YMK_DEFAULT_FILE_MODE;
	s->listen_fd = -1;
	s->workers = 1;
	s->fcache_entries = YMK_DEFAULT_FILE_CACHE_ENTRIES;
	s->fcache_valid_ms = YMK_DEFAULT_FILE_CACHE_VALID_MS;
	*out = cfg;
	return 0;
}

void ymk_config_free(ymk_config *cfg)
{
	if (!cfg)
		return;
	ymk__free(cfg->s.root);
	ymk__free(cfg->s.error_pages);
	ymk__tls_conf_free(cfg->s.tls);
	ymk__free(cfg);
}

const char *ymk_config_error(const ymk_config *cfg)
{
	return cfg ? cfg->err : "no configuration";
}

int ymk_config_set_root(ymk_config *cfg, const char *dir)
{
	if (!cfg)
		return YMK_EINVAL;
	if (!dir || !*dir)
		return fail(cfg, YMK_EINVAL, "root: empty path");
	if (strlen(dir) > 4095)
		return fail(cfg, YMK_EINVAL, "root: path longer than 4095 bytes");
	char *copy = ymk__strdup(dir);
	if (!copy)
		return fail(cfg, YMK_ENOMEM, "root: out of memory");
	ymk__free(cfg->s.root);
	cfg->s.root = copy;
	return ok(cfg);
}

int ymk_config_set_listen(ymk_config *cfg, const char *addr)
{
	if (!cfg)
		return YMK_EINVAL;
	struct sockaddr_storage ss;
	socklen_t len;
	if (!addr || parse_listen(addr, &ss, &len) < 0)
		return fail(cfg, YMK_EADDRESS,
			    "listen: expected IPv4:PORT, [IPv6]:PORT with PORT 0..65535, or unix:PATH");
	cfg->s.listen_addr = ss;
	cfg->s.listen_len = len;
	cfg->s.listen_fd = -1;
	return ok(cfg);
}

int ymk_config_set_model(ymk_config *cfg, enum ymk_model model)
{
	if (!cfg)
		return YMK_EINVAL;
	if (model != YMK_MODEL_EVENT && model != YMK_MODEL_FORK)
		return fail(cfg, YMK_EINVAL, "model: %d is neither YMK_MODEL_EVENT nor YMK_MODEL_FORK",
			    model);
	cfg->s.model = model;
	return ok(cfg);
}

int ymk_config_set_max_connections(ymk_config *cfg, unsigned n)
{
	if (!cfg)
		return YMK_EINVAL;
	if (n < 1 || n > 1000000)
		return fail(cfg, YMK_EINVAL, "max_connections: %u is outside 1..1000000", n);
	cfg->s.max_connections = n;
	return ok(cfg);
}

int ymk_config_set_max_request_line(ymk_config *cfg, size_t bytes)
{
	if (!cfg)
		return YMK_EINVAL;
	if (bytes < 16 || bytes > 65536)
		return fail(cfg, YMK_EINVAL, "max_request_line: %zu is outside 16..65536", bytes);
	cfg->s.max_request_line = bytes;
	return ok(cfg);
}

int ymk_config_set_max_header_bytes(ymk_config *cfg, size_t bytes)
{
	if (!cfg)
		return YMK_EINVAL;
	if (bytes < 64 || bytes > 1048576)
		return fail(cfg, YMK_EINVAL, "max_header_bytes: %zu is outside 64..1048576", bytes);
	cfg->s.max_header_bytes = bytes;
	return ok(cfg);
}

int ymk_config_set_max_headers(ymk_config *cfg, unsigned n)
{
	if (!cfg)
		return YMK_EINVAL;
	if (n < 1 || n > YMK_MAX_HEADERS_LIMIT)
		return fail(cfg, YMK_EINVAL, "max_headers: %u is outside 1..%u", n, YMK_MAX_HEADERS_LIMIT);
	cfg->s.max_headers = n;
	return ok(cfg);
}

static int set_timeout(ymk_config *cfg, unsigned *field, const char *name, unsigned ms)
{
	if (!cfg)
		return YMK_EINVAL;
	if (ms < 1 || ms > YMK_MAX_TIMEOUT_MS)
		return fail(cfg, YMK_EINVAL, "%s: %u ms is outside 1..%u", name, ms, YMK_MAX_TIMEOUT_MS);
	*field = ms;
	return ok(cfg);
}

int ymk_config_set_read_timeout(ymk_config *cfg, unsigned ms)
{
	return set_timeout(cfg, cfg ? &cfg->s.read_timeout_ms : NULL, "read_timeout", ms);
}

int ymk_config_set_header_timeout(ymk_config *cfg, unsigned ms)
{
	return set_timeout(cfg, cfg ? &cfg->s.header_timeout_ms : NULL, "header_timeout", ms);
}

int ymk_config_set_write_timeout(ymk_config *cfg, unsigned ms)
{
	return set_timeout(cfg, cfg ? &cfg->s.write_timeout_ms : NULL, "write_timeout", ms);
}

int ymk_config_set_keepalive_timeout(ymk_config *cfg, unsigned ms)
{
	return set_timeout(cfg, cfg ? &cfg->s.keepalive_timeout_ms : NULL, "keepalive_timeout", ms);
}

int ymk_config_set_handler(ymk_config *cfg, ymk_handler_fn *fn, void *user)
{
	if (!cfg)
		return YMK_EINVAL;
	cfg->s.handler = fn;
	cfg->s.handler_user = user;
	return ok(cfg);
}

int ymk_config_set_mime_hook(ymk_config *cfg, ymk_mime_fn *fn, void *user)
{
	if (!cfg)
		return YMK_EINVAL;
	cfg->s.mime = fn;
	cfg->s.mime_user = user;
	return ok(cfg);
}

int ymk_config_set_log(ymk_config *cfg, ymk_log_fn *fn, void *user)
{
	if (!cfg)
		return YMK_EINVAL;
	cfg->s.log = fn;
	cfg->s.log_user = user;
	return ok(cfg);
}

int ymk_config_set_access_log(ymk_config *cfg, ymk_access_fn *fn, void *user)
{
	if (!cfg)
		return YMK_EINVAL;
	cfg->s.access = fn;
	cfg->s.access_user = user;
	return ok(cfg);
}

int ymk_config_set_methods(ymk_config *cfg, unsigned methods)
{
	const unsigned known = YMK_METHOD_GET | YMK_METHOD_HEAD | YMK_METHOD_OPTIONS | YMK_METHOD_PUT |
			       YMK_METHOD_DELETE;
	if (!cfg)
		return YMK_EINVAL;
	if (methods & ~known)
		return fail(cfg, YMK_EINVAL, "methods: unknown flag bits 0x%x", methods & ~known);
	if (!(methods & YMK_METHOD_GET) != !(methods & YMK_METHOD_HEAD))
		return fail(cfg, YMK_EINVAL, "methods: GET and HEAD go together");
	cfg->s.methods = methods;
	return ok(cfg);
}

int ymk_config_set_max_body(ymk_config *cfg, uint64_t bytes)
{
	if (!cfg)
		return YMK_EINVAL;
	if (bytes < 1 || bytes > (1ull << 62))
		return fail(cfg, YMK_EINVAL, "max_body: %llu is outside 1..2^62", (unsigned long long)bytes);
	cfg->s.max_body = bytes;
	return ok(cfg);
}

int ymk_config_set_max_handler_body(ymk_config *cfg, uint64_t bytes)
{
	if (!cfg)
		return YMK_EINVAL;
	if (bytes < 1 || bytes > (1ull << 62))
		return fail(cfg, YMK_EINVAL, "max_handler_body: %llu is outside 1..2^62",
			    (unsigned long long)bytes);
	cfg->s.max_handler_body = bytes;
	return ok(cfg);
}

int ymk_config_set_deferred_timeout(ymk_config *cfg, unsigned ms)
{
	if (!cfg)
		return YMK_EINVAL;
	if (ms > YMK_MAX_TIMEOUT_MS)
		return fail(cfg, YMK_EINVAL, "deferred_timeout: %u ms is outside 0..%u", ms,
			    YMK_MAX_TIMEOUT_MS);
	cfg->s.deferred_timeout_ms = ms;
	return ok(cfg);
}

int ymk_config_set_body_deadline(ymk_config *cfg, unsigned grace_ms, unsigned min_rate)
{
	if (!cfg)
		return YMK_EINVAL;
	if (grace_ms < 1 || grace_ms > YMK_MAX_TIMEOUT_MS)
		return fail(cfg, YMK_EINVAL, "body_deadline: grace %u ms is outside 1..%u", grace_ms,
			    YMK_MAX_TIMEOUT_MS);
	if (min_rate < 1 || min_rate > (1u << 30))
		return fail(cfg, YMK_EINVAL, "body_deadline: rate %u is outside 1..2^30", min_rate);
	cfg->s.body_grace_ms = grace_ms;
	cfg->s.body_min_rate = min_rate;
	return ok(cfg);
}

int ymk_config_set_file_mode(ymk_config *cfg, unsigned mode)
{
	if (!cfg)
		return YMK_EINVAL;
	if (mode > 0777)
		return fail(cfg, YMK_EINVAL, "file_mode: 0%o has bits outside 0777", mode);
	cfg->s.file_mode = mode;
	return ok(cfg);
}

int ymk_config_set_policy(ymk_config *cfg, ymk_policy_fn *fn, void *user)
{
	if (!cfg)
		return YMK_EINVAL;
	cfg->s.policy = fn;
	cfg->s.policy_user = user;
	return ok(cfg);
}

int ymk_config_set_upload_verdict(ymk_config *cfg, ymk_verdict_fn *fn, void *user)
{
	if (!cfg)
		return YMK_EINVAL;
	cfg->s.verdict = fn;
	cfg->s.verdict_user = user;
	return ok(cfg);
}

int ymk_config_set_listing(ymk_config *cfg, int enabled)
{
	if (!cfg)
		return YMK_EINVAL;
	cfg->s.listing = enabled != 0;
	return ok(cfg);
}

int ymk_config_set_precompressed(ymk_config *cfg, int enabled)
{
	if (!cfg)
		return YMK_EINVAL;
	cfg->s.precompressed = enabled != 0;
	return ok(cfg);
}

int ymk_config_set_error_pages(ymk_config *cfg, const char *dir)
{
	if (!cfg)
		return YMK_EINVAL;
	char *copy = NULL;
	if (dir) {
		if (!*dir || strlen(dir) > 4095)
			return fail(cfg, YMK_EINVAL, "error_pages: empty or longer than 4095 bytes");
		if (!(copy = ymk__strdup(dir)))
			return fail(cfg, YMK_ENOMEM, "error_pages: out of memory");
	}
	ymk__free(cfg->s.error_pages);
	cfg->s.error_pages = copy;
	return ok(cfg);
}

int ymk_config_set_bundle(ymk_config *cfg, const ymk_bundle *bundle)
{
	if (!cfg)
		return YMK_EINVAL;
	if (bundle) {
		if (bundle->version < 1 || bundle->version > YMK_BUNDLE_VERSION)
			return fail(cfg, YMK_EINVAL, "bundle: version %u is not supported (1..%d)",
				    bundle->version, YMK_BUNDLE_VERSION);
		if (bundle->count && !bundle->files)
			return fail(cfg, YMK_EINVAL, "bundle: no files array");
		for (size_t i = 0; i < bundle->count; i++) {
			const ymk_bundle_file *f = &bundle->files[i];
			if (!f->path || f->path[0] != '/' || !f->data || !f->etag)
				return fail(cfg, YMK_EINVAL,
					    "bundle: file %zu lacks a '/' path, data or etag", i);
			if (i && strcmp(bundle->files[i - 1].path, f->path) >= 0)
				return fail(cfg, YMK_EINVAL, "bundle: files not sorted by path at \"%.100s\"",
					    f->path);
			if (f->gzip_data && !f->gzip_etag)
				return fail(cfg, YMK_EINVAL,
					    "bundle: \"%.100s\" has a gzip variant without an etag", f->path);
		}
	}
	cfg->s.bundle = bundle;
	return ok(cfg);
}

int ymk_config_set_listen_fd(ymk_config *cfg, int fd)
{
	if (!cfg)
		return YMK_EINVAL;
	if (fd < -1)
		return fail(cfg, YMK_EINVAL, "listen_fd: %d is not a descriptor", fd);
	cfg->s.listen_fd = fd;
	return ok(cfg);
}

int ymk_config_set_workers(ymk_config *cfg, unsigned n)
{
	if (!cfg)
		return YMK_EINVAL;
	if (n < 1 || n > 256)
		return fail(cfg, YMK_EINVAL, "workers: %u is outside 1..256", n);
	cfg->s.workers = n;
	return ok(cfg);
}

int ymk_config_set_file_cache(ymk_config *cfg, unsigned entries, unsigned valid_ms)
{
	if (!cfg)
		return YMK_EINVAL;
	if (entries > 4096)
		return fail(cfg, YMK_EINVAL, "file_cache: %u entries is more than 4096", entries);
	if (valid_ms < 1 || valid_ms > YMK_MAX_TIMEOUT_MS)
		return fail(cfg, YMK_EINVAL, "file_cache: %u ms is outside 1..%u", valid_ms,
			    YMK_MAX_TIMEOUT_MS);
	cfg->s.fcache_entries = entries;
	cfg->s.fcache_valid_ms = valid_ms;
	return ok(cfg);
}

/* ---- TLS (tls.c does the work) ----------------------------------------------------------- */

/* The configuration's TLS settings, made on first use. NULL with the error recorded. */
static struct ymk__tls_conf *tls_conf(ymk_config *cfg, int *rc)
{
	if (!ymk_tls_backend()) {
		*rc = fail(cfg, YMK_ENOTLS, "tls: this libymawky was built without TLS (meson -Dtls)");
		return NULL;
	}
	if (!cfg->s.tls && !(cfg->s.tls = ymk__tls_conf_new())) {
		*rc = fail(cfg, YMK_ENOMEM, "tls: out of memory");
		return NULL;
	}
	return cfg->s.tls;
}

int ymk_config_add_tls_cert(ymk_config *cfg, const char *cert, size_t cert_len, const char *key,
			    size_t key_len)
{
	int rc;
	if (!cfg)
		return YMK_EINVAL;
	struct ymk__tls_conf *t = tls_conf(cfg, &rc);
	if (!t)
		return rc;
	rc = ymk__tls_conf_add(t, cert, cert_len, key, key_len, cfg->err, sizeof cfg->err);
	if (rc >= 0)
		cfg->err[0] = '\0';
	return rc;
}

int ymk_config_add_tls_cert_file(ymk_config *cfg, const char *cert_file, const char *key_file)
{
	int rc;
	if (!cfg)
		return YMK_EINVAL;
	struct ymk__tls_conf *t = tls_conf(cfg, &rc);
	if (!t)
		return rc;
	rc = ymk__tls_conf_add_files(t, cert_file, key_file, cfg->err, sizeof cfg->err);
	if (rc >= 0)
		cfg->err[0] = '\0';
	return rc;
}

int ymk_config_set_tls_sni(ymk_config *cfg, ymk_tls_sni_fn *fn, void *user)
{
	int rc;
	if (!cfg)
		return YMK_EINVAL;
	struct ymk__tls_conf *t = tls_conf(cfg, &rc);
	if (!t)
		return rc;
	t->sni = fn;
	t->sni_user = user;
	return ok(cfg);
}

int ymk_config_set_tls_min_version(ymk_config *cfg, int version)
{
	int rc;
	if (!cfg)
		return YMK_EINVAL;
	struct ymk__tls_conf *t = tls_conf(cfg, &rc);
	if (!t)
		return rc;
	if (version != YMK_TLS_1_2 && version != YMK_TLS_1_3)
		return fail(cfg, YMK_EINVAL, "tls_min_version: 0x%04x is neither YMK_TLS_1_2 nor YMK_TLS_1_3",
			    (unsigned)version);
	if (version > ymk__tlsb_max_version())
		return fail(cfg, YMK_ETLS, "tls_min_version: %s speaks TLS 1.2 at most", ymk_tls_backend());
	t->min_version = version;
	return ok(cfg);
}

int ymk_config_set_tls_handshake_timeout(ymk_config *cfg, unsigned ms)
{
	int rc;
	if (!cfg)
		return YMK_EINVAL;
	struct ymk__tls_conf *t = tls_conf(cfg, &rc);
	if (!t)
		return rc;
	return set_timeout(cfg, &t->handshake_ms, "tls_handshake_timeout", ms);
}

int ymk_config_set_accept_hook(ymk_config *cfg, ymk_accept_fn *fn, void *user)
{
	if (!cfg)
		return YMK_EINVAL;
	cfg->s.accept_hook = fn;
	cfg->s.accept_user = fn ? user : NULL;
	return ok(cfg);
}

int ymk_config_set_close_hook(ymk_config *cfg, ymk_close_fn *fn, void *user)
{
	if (!cfg)
		return YMK_EINVAL;
	cfg->s.close_hook = fn;
	cfg->s.close_user = fn ? user : NULL;
	return ok(cfg);
}

int ymk_config_set_max_connections_per_client(ymk_config *cfg, unsigned n)
{
	if (!cfg)
		return YMK_EINVAL;
	if (n > 1000000)
		return fail(cfg, YMK_EINVAL, "max_connections_per_client %u is out of range 0..1000000", n);
	cfg->s.max_per_client = n;
	return ok(cfg);
}

int ymk_config_set_proxy_protocol(ymk_config *cfg, int enabled)
{
	if (!cfg)
		return YMK_EINVAL;
	cfg->s.proxy_protocol = enabled != 0;
	return ok(cfg);
}
