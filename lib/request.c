/* request.c: the request object (pooled, see request.h) and the public request accessors and
 * answers a handler uses. The answers check their arguments and the "answered once" rule, then
 * build through response.c, which the static handler uses too, so a handler's answer gets exactly
 * the HEAD, Range and header treatment a static file gets. */
#include "request.h"

#include "alloc.h"
#include "fcache.h"
#include "fs.h"
#include "mime.h"
#include "tls.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the request object ------------------------------------------------------------------ */

#define ALIGN16(n) (((n) + 15u) & ~(size_t)15u)
#define FSNAME_SLACK 32 /* room after a path for "/index.html" or ".br" */

/* The buffers' block: the body sink, the parsed head, then path, query and fsname. */
size_t ymk__request_size(const struct ymk__settings *s)
{
	size_t max = s->max_request_line;
	return ALIGN16(sizeof(struct ymk__body)) + ALIGN16(sizeof(struct ymk__http_request)) + (max + 2) +
	       (max + 1) + (max + FSNAME_SLACK);
}

struct ymk_request *ymk__request_get(ymk_server *srv)
{
	struct ymk_request *r = ymk__pool_get(&srv->pool_req);
	char *block = r ? ymk__pool_get(&srv->pool_reqbuf) : NULL;
	if (!block) {
		ymk__pool_put(&srv->pool_req, r);
		return NULL;
	}
	size_t max = srv->s.max_request_line;
	memset(r, 0, sizeof *r);
	r->srv = srv;
	r->block = block;
	r->body_sink = (struct ymk__body *)block;
	r->http = (struct ymk__http_request *)(block + ALIGN16(sizeof(struct ymk__body)));
	r->path = (char *)r->http + ALIGN16(sizeof *r->http);
	r->query = NULL;
	r->fsname = r->path + (max + 2) + (max + 1);
	r->fsname_cap = max + FSNAME_SLACK;
	r->idle_ms = srv->s.deferred_timeout_ms;
	r->close_hint = -1;
	ymk__body_init(r->body_sink);
	return r;
}

void ymk__request_put(struct ymk_request *r)
{
	if (!r)
		return;
	ymk_server *srv = r->srv;
	if (r->body_sink)
		ymk__body_free(r->body_sink);
	ymk__free(r->extra);
	r->extra = NULL;
	ymk__free(r->refusal);
	r->refusal = NULL;
	if (r->block)
		ymk__pool_put(&srv->pool_reqbuf, r->block);
	ymk__free(r->compact);
	ymk__pool_put(&srv->pool_req, r);
}

/* A pointer into the head, moved to the same place in its copy. */
static const char *rebase(const char *p, const char *head, size_t head_len, const char *copy)
{
	return p && p >= head && p < head + head_len ? copy + (p - head) : p;
}

int ymk__request_compact(struct ymk_request *r, const char *head, size_t head_len)
{
	if (r->compact || !r->block)
		return 0;
	const struct ymk__http_request *h = r->http;
	size_t hsize = offsetof(struct ymk__http_request, headers) + h->n_headers * sizeof h->headers[0];
	size_t path_len = strlen(r->path), query_len = r->query ? strlen(r->query) : 0;
	size_t size = ALIGN16(hsize) + head_len + path_len + 1 + (r->query ? query_len + 1 : 0);
	char *block = ymk__malloc(size);
	if (!block)
		return YMK_ENOMEM;
	/* The parsed head, only its used headers (headers[] is the struct's last member). */
	struct ymk__http_request *nh = (struct ymk__http_request *)block;
	memcpy(nh, h, hsize);
	char *bytes = block + ALIGN16(hsize);
	memcpy(bytes, head, head_len);
	nh->method = rebase(h->method, head, head_len, bytes);
	nh->target = rebase(h->target, head, head_len, bytes);
	nh->host = rebase(h->host, head, head_len, bytes);
	struct ymk__http_header *hd =
		(struct ymk__http_header *)((char *)nh + offsetof(struct ymk__http_request, headers));
	for (size_t i = 0; i < h->n_headers; i++) {
		hd[i].name = rebase(hd[i].name, head, head_len, bytes);
		hd[i].value = rebase(hd[i].value, head, head_len, bytes);
	}
	char *path = bytes + head_len;
	memcpy(path, r->path, path_len + 1);
	char *query = NULL;
	if (r->query) {
		query = path + path_len + 1;
		memcpy(query, r->query, query_len + 1);
	}
	r->method = rebase(r->method, head, head_len, bytes);
	r->target = rebase(r->target, head, head_len, bytes);
	r->p.rel = path + (r->p.rel - r->path);
	r->p.query = rebase(r->p.query, head, head_len, bytes);
	r->path = path;
	r->query = query;
	r->fsname = NULL; /* no file is opened for a deferred request */
	r->fsname_cap = 0;
	r->http = nh;
	r->resp.http = nh;
	ymk__body_free(r->body_sink);
	r->body_sink = NULL;
	ymk__pool_put(&r->srv->pool_reqbuf, r->block);
	r->block = NULL;
	r->compact = block;
	return 0;
}

void ymk__request_kick(struct ymk_request *r)
{
	if (r->kick)
		r->kick(r);
}

void ymk__request_closed(struct ymk_request *r, enum ymk_close_reason reason)
{
	if (!r || r->closing)
		return;
	r->closing = 1;
	if (r->on_close)
		r->on_close(r,
			    r->close_hint >= 0 && reason == YMK_CLOSE_DONE
				    ? (enum ymk_close_reason)r->close_hint
				    : reason,
			    r->close_user);
}

int ymk__request_can_answer(const struct ymk_request *r)
{
	if (!r)
		return YMK_EINVAL;
	if (r->in_hook || r->probe || r->closing)
		return YMK_ESTATE;
	if (r->responded)
		return YMK_ERESPONDED;
	return 0;
}

int ymk__request_start(struct ymk_request *r, const struct sockaddr *peer, socklen_t peer_len)
{
	const struct ymk__settings *s = &r->srv->s;
	const struct ymk__http_request *req = r->http;
	const size_t max_path = s->max_request_line;
	char *path = r->path;

	r->peer = peer;
	r->peer_len = peer_len;
	r->method = req->method;
	r->target = req->target;
	r->body_limit = s->max_body;
	r->file_mode = s->file_mode;
	int st = ymk__path_normalize(req->target, req->target_len, max_path, path + 1, max_path + 1, &r->p);
	if (st)
		return st;
	path[0] = '/';
	if (r->p.trailing_slash && r->p.rel_len) {
		path[1 + r->p.rel_len] = '/';
		path[2 + r->p.rel_len] = '\0';
	}
	if (r->p.query) {
		r->query = path + max_path + 2;
		memcpy(r->query, r->p.query, r->p.query_len);
		r->query[r->p.query_len] = '\0';
	}
	return 0;
}

int ymk__error_page(void *ctx, int status, char **page, size_t *len)
{
	const ymk_server *srv = ctx;
	if (srv->error_fd < 0)
		return -1;
	char name[16];
	snprintf(name, sizeof name, "%d.html", status);
	return ymk__fs_read_small(srv->error_fd, name, 65536, page, len);
}

void ymk__request_with_extra(struct ymk_request *r)
{
	r->resp.extra = r->extra;
	r->resp.extra_len = r->extra_len;
}

void ymk__request_memory(struct ymk_request *r, int status, const char *content_type, const void *body,
			 size_t len)
{
	ymk__request_with_extra(r);
	ymk__resp_memory(&r->resp, status, content_type, body, len, NULL);
}

void ymk__request_created(struct ymk_request *r, int replaced)
{
	ymk__request_with_extra(r);
	ymk__resp_created(&r->resp, r->path, replaced);
}

void ymk__request_error(struct ymk_request *r, int status, int close, const char *extra)
{
	ymk__resp_error(&r->resp, status, close, extra);
}

const char *ymk__content_type(ymk_server *srv, const char *path, const struct ymk__fentry *fentry)
{
	/* The hook is never cached: it may answer from more than the path (a setting the embedder
	 * changes while serving, say), and a stale type would be served without any sign. */
	if (srv->s.mime) {
		/* The hook's answer goes into a header: one with a line break is ignored. */
		const char *t = srv->s.mime(path, srv->s.mime_user);
		if (t && *t && !strpbrk(t, "\r\n"))
			return t;
	}
	return fentry ? ymk__fcache_type(fentry) : ymk_mime_lookup(path);
}

void ymk__request_file(struct ymk_request *r, int fd, const struct stat *st, const char *content_type,
		       const char *encoding, int vary, struct ymk__fentry *fentry)
{
	char etag[YMK__ETAG_MAX];
	struct ymk__repr rp = {
		.size = (uint64_t)st->st_size,
		.etag = etag,
		.mtime = st->st_mtime,
		.type = content_type,
		.encoding = encoding,
		.vary = vary,
		.fd = fd,
		.mem = fentry ? ymk__fcache_data(fentry) : NULL,
		.fentry = fentry,
	};
	if (fentry) { /* made when the entry was, from the same stat */
		rp.etag = ymk__fcache_etag(fentry, &rp.etag_len);
		rp.lastmod = ymk__fcache_lastmod(fentry);
	} else {
		rp.etag_len = ymk__etag(st, etag);
	}
	ymk__request_with_extra(r);
	ymk__resp_repr(&r->resp, &rp);
}

/* ---- accessors ---------------------------------------------------------------------------- */

const char *ymk_request_method(const ymk_request *req)
{
	return req ? req->method : NULL;
}

const char *ymk_request_target(const ymk_request *req)
{
	return req ? req->target : NULL;
}

const char *ymk_request_path(const ymk_request *req)
{
	return req ? req->path : NULL;
}

const char *ymk_request_query(const ymk_request *req)
{
	return req ? req->query : NULL;
}

const char *ymk_request_header(const ymk_request *req, const char *name)
{
	if (!req || !name)
		return NULL;
	const struct ymk__http_header *h = ymk__http_find(req->http, name);
	if (!h)
		return NULL;
	return h->value_len ? h->value : "";
}

ymk_server *ymk_request_server(const ymk_request *req)
{
	return req ? req->srv : NULL;
}

int ymk_request_version(const ymk_request *req)
{
	return req ? req->http->version_minor : YMK_EINVAL;
}

const struct sockaddr *ymk_request_peer(const ymk_request *req, socklen_t *len)
{
	if (!req)
		return NULL;
	if (len)
		*len = req->peer_len;
	return req->peer;
}

ymk_conn *ymk_request_conn(const ymk_request *req)
{
	return req ? req->conn : NULL;
}

static int is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* A value the library will put in a header: no CR, LF (no NUL by construction). */
static int header_value_ok(const char *v)
{
	return strpbrk(v, "\r\n") == NULL;
}

int ymk__request_add_header(struct ymk_request *r, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value);
	size_t add = nlen + 2 + vlen + 2;
	char *p = ymk__realloc(r->extra, r->extra_len + add + 1);
	if (!p)
		return YMK_ENOMEM;
	r->extra = p;
	p += r->extra_len;
	memcpy(p, name, nlen);
	memcpy(p + nlen, ": ", 2);
	memcpy(p + nlen + 2, value, vlen);
	memcpy(p + nlen + 2 + vlen, "\r\n", 3);
	r->extra_len += add;
	return 0;
}

int ymk_response_header(ymk_request *req, const char *name, const char *value)
{
	/* Framing and connection management are the library's; the type is the answer's argument.
	 * In a policy or verdict, Allow too: every 405 gets it from the probes. */
	static const char *const reserved[] = {
		"Content-Length", "Content-Range",     "Content-Type", "Date",   "Connection",
		"Keep-Alive",     "Transfer-Encoding", "Trailer",      "Upgrade"};
	if (!req || !name || !value || !*name)
		return YMK_EINVAL;
	if (req->responded)
		return YMK_ERESPONDED;
	size_t nlen = strlen(name);
	for (size_t i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)name[i]))
			return YMK_EINVAL;
	if (!header_value_ok(value))
		return YMK_EINVAL;
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		if (ymk__ascii_ieq(name, nlen, reserved[i]))
			return YMK_EINVAL;
	if (req->in_hook && ymk__ascii_ieq(name, nlen, "Allow"))
		return YMK_EINVAL;
	if (req->probe)
		return 0; /* a probe builds an Allow header, not an answer: nothing is kept */
	return ymk__request_add_header(req, name, value);
}

/* A policy's or verdict's answer: kept as its refusal, sent by static.c after the hook returns
 * (with an Allow header for a 405, which only the library can compute). */
static int record_refusal(ymk_request *req, int status, const char *type, const void *body, size_t len)
{
	size_t tlen = strlen(type);
	char *p = ymk__malloc(tlen + 1 + len + 1);
	if (!p)
		return YMK_ENOMEM; /* not answered: the hook's return value then decides */
	memcpy(p, type, tlen + 1);
	if (len)
		memcpy(p + tlen + 1, body, len);
	p[tlen + 1 + len] = '\0';
	req->refusal = p;
	req->refusal_len = len;
	req->refusal_status = status;
	req->responded = 1;
	return 0;
}

int ymk_respond_buffer(ymk_request *req, int status, const char *content_type, const void *body, size_t len)
{
	if (!req || status < 200 || status > 599 || (!body && len) ||
	    (content_type && !header_value_ok(content_type)))
		return YMK_EINVAL;
	if (req->in_hook && status < 400)
		return YMK_EINVAL; /* a policy or verdict only refuses; answering is a handler's job */
	if (req->responded)
		return YMK_ERESPONDED;
	if (req->probe)
		return 0;
	const char *type = content_type ? content_type : "application/octet-stream";
	if (req->in_hook)
		return record_refusal(req, status, type, body, len);
	if (req->closing)
		return YMK_ESTATE;
	req->responded = 1;
	ymk__request_with_extra(req);
	ymk__resp_memory(&req->resp, status, type, body ? body : "", len, NULL);
	ymk__request_kick(req);
	return req->resp.out->oom ? YMK_ENOMEM : 0;
}

int ymk_respond_fd(ymk_request *req, int fd, const char *content_type)
{
	if (!req) {
		if (fd >= 0)
			close(fd);
		return YMK_EINVAL;
	}
	if (req->responded) {
		if (fd >= 0)
			close(fd);
		return YMK_ERESPONDED;
	}
	if (req->in_hook || req->closing) { /* a refusal's body comes from a buffer */
		if (fd >= 0)
			close(fd);
		return YMK_EINVAL;
	}
	struct stat st;
	if (fd < 0)
		return YMK_EINVAL;
	if (content_type && !header_value_ok(content_type)) {
		close(fd);
		return YMK_EINVAL;
	}
	if (fstat(fd, &st) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return YMK_EINVAL;
	}
	req->responded = 1;
	ymk__request_file(req, fd, &st,
			  content_type ? content_type : ymk__content_type(req->srv, req->path, NULL), NULL, 0,
			  NULL);
	ymk__request_kick(req);
	return req->resp.out->oom ? YMK_ENOMEM : 0;
}

int64_t ymk_request_content_length(const ymk_request *req)
{
	if (!req || req->probe || req->http->chunked)
		return -1;
	return req->http->content_length;
}

int ymk_request_has_body(const ymk_request *req)
{
	return req && !req->probe && (req->http->chunked || req->http->content_length > 0);
}

int ymk_request_is_probe(const ymk_request *req)
{
	return req && req->probe;
}

int ymk_request_set_body_limit(ymk_request *req, uint64_t bytes)
{
	if (!req)
		return YMK_EINVAL;
	if (bytes < req->body_limit)
		req->body_limit = bytes;
	return 0;
}

int ymk_request_set_file_mode(ymk_request *req, unsigned mode)
{
	if (!req || mode > 0777)
		return YMK_EINVAL;
	req->file_mode = mode;
	return 0;
}

const void *ymk_request_body(const ymk_request *req, size_t *len)
{
	if (len)
		*len = req ? req->body_len : 0;
	return req ? req->body : NULL;
}

/* ---- TLS of the connection --------------------------------------------------------------- */

const char *ymk_request_tls_version(const ymk_request *req)
{
	return req ? ymk__tls_info(req->transport, YMK__TLS_VERSION) : NULL;
}

const char *ymk_request_tls_cipher(const ymk_request *req)
{
	return req ? ymk__tls_info(req->transport, YMK__TLS_CIPHER) : NULL;
}

const char *ymk_request_tls_server_name(const ymk_request *req)
{
	return req ? ymk__tls_info(req->transport, YMK__TLS_SERVER_NAME) : NULL;
}
