/* conn.c: one connection's life, the same in every process model.
 *
 * READ_HEAD reads until the parser finds a complete head, then the request is answered at once
 * (handler or static file) and the response is queued, or, for a PUT or a handler that asked for
 * it, READ_BODY first streams the body (Content-Length or chunked) into a temporary file or
 * memory, after a "100 Continue" when the client waits for one; SEND writes the head and body (memory,
 * then sendfile) without blocking; afterwards the connection either reads the next request
 * (keep-alive; pipelined bytes already buffered are parsed first, so responses keep their order)
 * or shuts its write side and LINGERs, discarding input until the client closes, so that unread
 * request bytes do not turn the close into a reset that destroys the response in flight
 * (RFC 9112 section 9.6). Every state has a deadline; the driver calls ymk__conn_expire(). */
#include "conn.h"

#include "alloc.h"
#include "fcache.h"
#include "http_parse.h"
#include "os.h"
#include "path.h"
#include "response.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define LINGER_MS 2000
#define LINGER_MAX_BYTES (1024 * 1024)
#define IN_SLACK 4096 /* input room past the head limit, for body and pipelined bytes */

int ymk__conn_init(struct ymk__conn *c, ymk_server *srv, int fd, const struct sockaddr *peer,
		   socklen_t peer_len, uint64_t now)
{
	memset(c, 0, sizeof *c);
	c->srv = srv;
	c->file_fd = -1;
	c->in_cap = srv->s.max_header_bytes + IN_SLACK; /* the pool's size: see ymk_server_new() */
	c->in = ymk__pool_get(&srv->pool_in); /* the request often comes with the connection */
	if (!c->in)
		return YMK_ENOMEM;
	c->fd = fd;
	if (peer_len > sizeof c->peer)
		peer_len = sizeof c->peer;
	memcpy(&c->peer, peer, peer_len);
	c->peer_len = peer_len;
	c->t_activity = now;
	c->state = YMK__ST_READ_HEAD;
	return 0;
}

static uint64_t body_bytes_sent(const struct ymk__conn *c)
{
	if (c->segs)
		return c->seg_body;
	uint64_t n = c->out_off > c->out_head ? c->out_off - c->out_head : 0;
	if (c->file_fd >= 0 || c->ext_body)
		n += c->file_off - c->file_start;
	return n;
}

static void log_access(struct ymk__conn *c, uint64_t now)
{
	const struct ymk__settings *s = &c->srv->s;
	if (!s->access || !c->status)
		return;
	ymk_access_entry e;
	memset(&e, 0, sizeof e);
	e.size = sizeof e;
	e.method = c->log_method ? c->log_method : "-";
	e.target = c->log_target ? c->log_target : "-";
	e.version_minor = c->log_method ? c->log_version : -1;
	e.status = c->status;
	e.bytes_sent = body_bytes_sent(c);
	e.duration_us = (now - c->t_head) * 1000u;
	e.peer = (const struct sockaddr *)&c->peer;
	e.peer_len = c->peer_len;
	s->access(&e, s->access_user);
}

int ymk__conn_out_reserve(struct ymk__conn *c, size_t more)
{
	if (!c->out) {
		c->out = ymk__pool_get(&c->srv->pool_out);
		if (!c->out)
			return YMK_ENOMEM;
		c->out_cap = YMK__OUT_STD;
	}
	if (c->out_len + more <= c->out_cap)
		return 0;
	size_t cap = c->out_cap;
	while (cap < c->out_len + more)
		cap *= 2;
	char *p = ymk__realloc(c->out, cap);
	if (!p)
		return YMK_ENOMEM;
	c->out = p;
	c->out_cap = cap;
	return 0;
}

/* Gives the buffers back to the pools (an output buffer that grew past the standard size is
 * freed instead): an idle or closed connection holds none. */
static void release_buffers(struct ymk__conn *c)
{
	ymk__pool_put(&c->srv->pool_in, c->in);
	if (c->out && c->out_cap == YMK__OUT_STD)
		ymk__pool_put(&c->srv->pool_out, c->out);
	else
		ymk__free(c->out);
	c->in = c->out = NULL;
	c->out_cap = 0;
}

void ymk__conn_drop_body(struct ymk__conn *c)
{
	if (c->fentry)
		ymk__fcache_release(c->srv, c->fentry);
	else if (c->file_fd >= 0)
		close(c->file_fd);
	c->fentry = NULL;
	c->file_fd = -1;
	c->ext_body = NULL;
}

static void pending_free(struct ymk__conn *c)
{
	struct ymk__pending *pd = c->pend;
	if (!pd)
		return;
	if (pd->tmp.fd >= 0)
		ymk__fs_tmp_discard(pd->dir_fd, &pd->tmp);
	if (pd->dir_fd >= 0)
		close(pd->dir_fd);
	ymk__free(pd->mem);
	ymk__free(pd->path);
	ymk__free(pd);
	c->pend = NULL;
}

void ymk__conn_close(struct ymk__conn *c)
{
	if (c->state == YMK__ST_SEND)
		log_access(c, ymk__os_now_ms()); /* an aborted response is still logged */
	pending_free(c); /* an upload cut short leaves nothing behind */
	ymk__free(c->segs);
	c->segs = NULL;
	ymk__conn_drop_body(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	release_buffers(c);
}

/* Resets the per-response fields before a new answer is built. */
static void begin_response(struct ymk__conn *c)
{
	c->out_len = c->out_off = c->out_head = 0;
	c->oom = 0;
	c->status = 0;
	c->body_len = 0;
	c->keep_alive = 0;
	c->ka_header = 0;
	c->is_head = 0;
	c->log_method = c->log_target = NULL;
	c->log_version = -1;
}

/* The handlers read method, target and header values as C strings. Each of them is followed in
 * the head by a byte the parse no longer needs (SP, ':', blank, CR or LF), so it is terminated in
 * place instead of copied. */
static void terminate_strings(const struct ymk__http_request *req)
{
	((char *)req->method)[req->method_len] = '\0';
	((char *)req->target)[req->target_len] = '\0';
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct ymk__http_header *h = &req->headers[i];
		((char *)h->name)[h->name_len] = '\0';
		if (h->value_len)
			((char *)h->value)[h->value_len] = '\0';
	}
}

static void handle_request(struct ymk__conn *c, const struct ymk__http_request *req)
{
	ymk_server *srv = c->srv;
	const size_t max_path = srv->s.max_request_line;

	terminate_strings(req);
	c->log_method = req->method;
	c->log_target = req->target;
	c->log_version = req->version_minor;
	c->is_head = req->method_id == YMK__METHOD_HEAD;
	if (req->version_minor == 1) {
		c->keep_alive = !req->connection_close;
	} else {
		c->keep_alive = req->connection_keep_alive && !req->connection_close;
		c->ka_header = c->keep_alive;
	}
	c->keep_alive_asked = c->keep_alive;
	/* A body that nobody reads is not skipped: the answer closes the connection and the
	 * lingering close discards the body. Starting a body read restores keep-alive. */
	c->body_unread = req->content_length > 0 || req->chunked;
	if (c->body_unread)
		c->keep_alive = 0;

	if (req->has_expect_other) {
		ymk__respond_error(c, 417, 1, NULL);
		return;
	}
	if (req->method_id == YMK__METHOD_OTHER) {
		ymk__respond_error(c, 501, 0, NULL);
		return;
	}
	if (req->target_len == 1 && req->target[0] == '*') {
		char allow[64];
		ymk__allow_server(srv, allow);
		if (req->method_id == YMK__METHOD_OPTIONS)
			ymk__respond_options(c, allow);
		else
			ymk__respond_error(c, 400, 1, NULL);
		return;
	}

	/* Layout of the scratch buffer: "/" rel ["/"] NUL, then the query copy at max_path + 4. */
	char *path = srv->scratch;
	struct ymk__path p;
	int st = ymk__path_normalize(req->target, req->target_len, max_path, path + 1, max_path + 1, &p);
	if (st) {
		ymk__respond_error(c, st, st == 400, NULL);
		return;
	}
	path[0] = '/';
	if (p.trailing_slash && p.rel_len) {
		path[1 + p.rel_len] = '/';
		path[2 + p.rel_len] = '\0';
	}
	char *query = NULL;
	if (p.query) {
		query = srv->scratch + max_path + 4;
		memcpy(query, p.query, p.query_len);
		query[p.query_len] = '\0';
	}

	struct ymk_request r = {
		.conn = c, .http = req, .method = req->method, .target = req->target,
		.path = path, .p = &p, .query = query,
		.body_limit = srv->s.max_body, .file_mode = srv->s.file_mode,
	};
	if (srv->s.handler) {
		r.body_limit = srv->s.max_body < YMK_DEFAULT_MAX_HANDLER_BODY ? srv->s.max_body
									     : YMK_DEFAULT_MAX_HANDLER_BODY;
		int rc = srv->s.handler(&r, srv->s.handler_user);
		if (r.responded) {
		} else if (rc == YMK_READ_BODY) {
			int st2 = ymk__conn_start_body(&r, YMK__SINK_HANDLER, r.body_limit, -1, NULL, NULL, 0);
			if (st2)
				ymk__respond_error(c, st2, 1, NULL);
		} else if (rc == YMK_PASS) {
			r.body_limit = srv->s.max_body;
			ymk__static_serve(&r);
		} else if (rc >= 400 && rc <= 599) {
			ymk__respond_error(c, rc, 0, NULL);
		} else {
			ymk__respond_error(c, 500, 0, NULL);
		}
	} else {
		ymk__static_serve(&r);
	}
	ymk__free(r.extra);
}

/* ---- request bodies ------------------------------------------------------------------------ */

int ymk__conn_start_body(struct ymk_request *r, enum ymk__body_sink sink, uint64_t limit, int dir_fd,
			 struct ymk__tmpfile *tmp, const char *base, unsigned mode)
{
	struct ymk__conn *c = r->conn;
	const struct ymk__http_request *req = r->http;
	if (req->content_length > 0 && (uint64_t)req->content_length > limit) {
		/* Refused before a byte is read, and before any 100 Continue. */
		if (tmp)
			ymk__fs_tmp_discard(dir_fd, tmp);
		if (dir_fd >= 0)
			close(dir_fd);
		return 413;
	}
	size_t plen = strlen(r->path), qlen = r->query ? strlen(r->query) : 0;
	size_t blen = base ? strlen(base) : 0;
	struct ymk__pending *pd = ymk__calloc(1, sizeof *pd);
	char *buf = pd ? ymk__malloc(plen + 1 + qlen + 1 + blen + 1) : NULL;
	if (!buf) {
		ymk__free(pd);
		if (tmp)
			ymk__fs_tmp_discard(dir_fd, tmp);
		if (dir_fd >= 0)
			close(dir_fd);
		return 503;
	}
	pd->sink = sink;
	pd->http = *req;
	pd->p = *r->p;
	pd->path = buf;
	memcpy(buf, r->path, plen + 1);
	/* rel is the path without its leading '/' (and without a trailing '/', by rel_len) */
	pd->p.rel = buf + 1;
	if (r->query) {
		pd->query = buf + plen + 1;
		memcpy(pd->query, r->query, qlen + 1);
		pd->p.query = pd->query;
	}
	if (base) {
		char *b = buf + plen + 1 + qlen + 1;
		memcpy(b, base, blen + 1);
		pd->base = b;
	}
	pd->chunked = req->chunked;
	ymk__chunked_init(&pd->dec, limit);
	pd->remaining = req->content_length > 0 ? (uint64_t)req->content_length : 0;
	pd->limit = limit;
	pd->t_start = ymk__os_now_ms();
	pd->dir_fd = dir_fd;
	pd->tmp.fd = -1;
	if (tmp)
		pd->tmp = *tmp;
	pd->mode = mode;
	c->pend = pd;
	c->body_unread = 0;
	c->keep_alive = c->keep_alive_asked; /* the body will be consumed */

	if (!req->chunked && req->content_length <= 0) {
		c->state = YMK__ST_READ_BODY; /* nothing to read: completes on the first step */
		return 0;
	}
	if (req->expect_continue && req->version_minor == 1) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		c->out_len = c->out_off = 0;
		if (ymk__conn_out_reserve(c, sizeof cont - 1) < 0) {
			pending_free(c);
			return 503;
		}
		memcpy(c->out, cont, sizeof cont - 1);
		c->out_len = sizeof cont - 1;
		c->state = YMK__ST_SEND_CONTINUE;
	} else {
		c->state = YMK__ST_READ_BODY;
	}
	return 0;
}

/* Stores body bytes in the pending request's sink. 0 or the HTTP status that ends the request. */
static int sink_write(struct ymk__conn *c, const char *data, size_t len)
{
	struct ymk__pending *pd = c->pend;
	if (pd->received + len > pd->limit)
		return 413;
	if (pd->sink == YMK__SINK_HANDLER) {
		if (pd->mem_len + len > pd->mem_cap) {
			size_t cap = pd->mem_cap ? pd->mem_cap : 4096;
			while (cap < pd->mem_len + len)
				cap *= 2;
			char *m = ymk__realloc(pd->mem, cap);
			if (!m)
				return 503;
			pd->mem = m;
			pd->mem_cap = cap;
		}
		memcpy(pd->mem + pd->mem_len, data, len);
		pd->mem_len += len;
	} else {
		size_t done = 0;
		while (done < len) {
			ssize_t n = write(pd->tmp.fd, data + done, len - done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return errno == ENOSPC || errno == EDQUOT ? 507 : errno == EFBIG ? 413 : 500;
			done += (size_t)n;
		}
	}
	pd->received += len;
	return 0;
}

/* Feeds framed body bytes. *used: input consumed. Returns 0 (more needed), 1 (complete), or the
 * HTTP status that ends the request (400 bad chunking, 413, 507...). */
static int body_feed(struct ymk__conn *c, const char *data, size_t len, size_t *used)
{
	struct ymk__pending *pd = c->pend;
	*used = 0;
	if (!pd->chunked) {
		size_t n = len < pd->remaining ? len : (size_t)pd->remaining;
		int st = sink_write(c, data, n);
		if (st)
			return st;
		*used = n;
		pd->remaining -= n;
		return pd->remaining == 0;
	}
	for (;;) {
		char out[16384];
		size_t cons = 0, prod = 0;
		int r = ymk__chunked_decode(&pd->dec, data + *used, len - *used, &cons, out, sizeof out, &prod);
		*used += cons;
		if (prod) {
			int st = sink_write(c, out, prod);
			if (st)
				return st;
		}
		if (r == YMK__CHUNKED_TOO_LARGE)
			return 413; /* a chunk size past the limit: refused before its data */
		if (r < 0)
			return 400;
		if (r == 1)
			return 1;
		if (*used == len || (cons == 0 && prod == 0))
			return 0;
	}
}

/* Builds the request view of a pending request, for the verdict hook or the handler. */
static void pending_request(struct ymk__conn *c, struct ymk_request *r)
{
	struct ymk__pending *pd = c->pend;
	memset(r, 0, sizeof *r);
	r->conn = c;
	r->http = &pd->http;
	r->method = pd->http.method;
	r->target = pd->http.target;
	r->path = pd->path;
	r->p = &pd->p;
	r->query = pd->query;
	r->body_limit = pd->limit;
	r->file_mode = pd->mode;
}

/* The body ended (complete, or refused with a status): answer. */
static void body_done(struct ymk__conn *c, int result)
{
	c->state = YMK__ST_SEND;
	if (result != 1) {
		pending_free(c);
		ymk__respond_error(c, result, 1, NULL);
		return;
	}
	struct ymk_request r;
	pending_request(c, &r);
	if (c->pend->sink == YMK__SINK_UPLOAD) {
		ymk__static_finish_upload(c, &r);
	} else {
		ymk_server *srv = c->srv;
		r.body = c->pend->mem ? c->pend->mem : "";
		r.body_len = c->pend->mem_len;
		int rc = srv->s.handler(&r, srv->s.handler_user);
		if (!r.responded)
			ymk__respond_error(c, rc >= 400 && rc <= 599 ? rc : 500, 0, NULL);
	}
	ymk__free(r.extra);
	pending_free(c);
}

/* Parses what is buffered. Returns 1 when a response was queued, 0 when more bytes are needed. */
static int try_request(struct ymk__conn *c)
{
	const struct ymk__settings *s = &c->srv->s;
	struct ymk__http_limits lim = {s->max_request_line, s->max_header_bytes, s->max_headers};
	struct ymk__http_request req;
	size_t consumed = 0;

	int r = ymk__http_parse(c->in, c->in_len, &lim, &req, &consumed);
	if (r == YMK__HTTP_AGAIN) {
		if (c->in_len < c->in_cap)
			return 0;
		r = 431; /* the parser reports this itself; kept so a full buffer can never stall */
	}
	begin_response(c);
	c->state = YMK__ST_SEND;
	if (r != 0) {
		c->head_len = c->in_len;
		ymk__respond_error(c, r, 1, NULL);
		return 1;
	}
	c->head_len = consumed;
	handle_request(c, &req); /* may switch to SEND_CONTINUE or READ_BODY */
	return 1;
}

/* Writes what can be written. Returns 1 when the response is complete, 0 when the socket is
 * full, -1 when the connection failed (or the file shrank under us). */
/* Multipart answers: the pieces in order, bytes of out[] or ranges of the file. */
static int send_segments(struct ymk__conn *c, uint64_t now)
{
	while (c->seg_i < c->nsegs) {
		struct ymk__seg *sg = &c->segs[c->seg_i];
		long n;
		if (sg->from_source && !c->ext_body) {
			uint64_t off = sg->off + c->seg_done;
			n = ymk__os_sendfile(c->fd, c->file_fd, &off, sg->len - c->seg_done);
			if (n == 0)
				return -1;
		} else {
			const char *base = sg->from_source ? (const char *)c->ext_body : c->out;
			int more = c->seg_i + 1 < c->nsegs;
			ssize_t w = send(c->fd, base + sg->off + c->seg_done, (size_t)(sg->len - c->seg_done),
					 MSG_NOSIGNAL | (more ? MSG_MORE : 0));
			n = w < 0 ? (errno == EWOULDBLOCK ? -EAGAIN : -errno) : (long)w;
		}
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return -1;
		c->t_activity = now;
		c->seg_done += (uint64_t)n;
		if (c->seg_i > 0) /* segment 0 is the head */
			c->seg_body += (uint64_t)n;
		if (c->seg_done == sg->len) {
			c->seg_i++;
			c->seg_done = 0;
		}
	}
	return 1;
}

static int send_some(struct ymk__conn *c, uint64_t now)
{
	if (c->segs)
		return send_segments(c, now);
	/* Head and a body in memory (a cached file, a bundle) leave together: one system call and
	 * no copy of the body into out[]; after a partial write the head's iovec is simply empty. */
	while (c->ext_body && (c->out_off < c->out_len || c->file_off < c->file_end)) {
		struct iovec iov[2] = {
			{.iov_base = c->out + c->out_off, .iov_len = c->out_len - c->out_off},
			{.iov_base = (void *)(c->ext_body + c->file_off), .iov_len = (size_t)(c->file_end - c->file_off)},
		};
		struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
		ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (n > 0) {
			size_t head = c->out_len - c->out_off;
			if ((size_t)n <= head) {
				c->out_off += (size_t)n;
			} else {
				c->out_off = c->out_len;
				c->file_off += (uint64_t)n - head;
			}
			c->t_activity = now;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return 0;
		} else {
			return -1;
		}
	}
	while (c->out_off < c->out_len) {
		int more = c->file_fd >= 0 && c->file_off < c->file_end; /* memory bodies went above */
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | (more ? MSG_MORE : 0));
		if (n > 0) {
			c->out_off += (size_t)n;
			c->t_activity = now;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return 0;
		} else {
			return -1;
		}
	}
	while (c->file_fd >= 0 && c->file_off < c->file_end) {
		long n = ymk__os_sendfile(c->fd, c->file_fd, &c->file_off, c->file_end - c->file_off);
		if (n > 0)
			c->t_activity = now;
		else if (n == -EINTR)
			continue;
		else if (n == -EAGAIN)
			return 0;
		else
			return -1; /* 0: the file got shorter than the Content-Length already sent */
	}
	return 1;
}

static void finish_response(struct ymk__conn *c, uint64_t now)
{
	log_access(c, now);
	ymk__conn_drop_body(c);
	ymk__free(c->segs);
	c->segs = NULL;
	c->nsegs = c->seg_i = 0;
	c->seg_done = c->seg_body = 0;
	c->out_len = c->out_off = c->out_head = 0;
	c->status = 0;
	c->served++;
	if (!c->keep_alive) {
		(void)shutdown(c->fd, SHUT_WR);
		c->state = YMK__ST_LINGER;
		c->t_linger = now + LINGER_MS;
		c->lingered = 0;
		/* Waiting for the client's FIN only protects an answer from a reset when input may
		 * still be on its way: a body nobody read, bytes already buffered past the head, or
		 * an error answer (the client may be mid-request). A plain answer to a request that
		 * asked to close can close as soon as nothing is pending. */
		c->linger_needed = c->body_unread || c->in_len > c->head_len || c->status >= 400 ||
				   c->head_len == 0;
		return;
	}
	memmove(c->in, c->in + c->head_len, c->in_len - c->head_len);
	c->in_len -= c->head_len;
	c->head_len = 0;
	if (c->in_len == 0)
		release_buffers(c); /* idle until the next request: hold no buffer */
	c->head_started = c->in_len > 0;
	c->t_head = now;
	c->t_activity = now;
	c->state = YMK__ST_READ_HEAD;
}

enum ymk__want ymk__conn_step(struct ymk__conn *c, uint64_t now)
{
	/* Called because the socket may be readable: forget an earlier short read. */
	c->rd_drained = 0;
	for (;;) {
		switch (c->state) {
		case YMK__ST_READ_HEAD: {
			if (c->in_len > 0 && try_request(c))
				continue;
			/* A short read proved the socket empty, and with edge-triggered readiness
			 * any later byte raises a new event: no need to ask the kernel for an EAGAIN
			 * after every keep-alive response. (Level-triggered drivers call step only
			 * when readable, which clears the flag.) */
			if (c->rd_drained)
				return YMK__WANT_READ;
			if (!c->in && !(c->in = ymk__pool_get(&c->srv->pool_in)))
				return YMK__WANT_CLOSE;
			size_t room = c->in_cap - c->in_len;
			ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
			if (n > 0) {
				c->rd_drained = (size_t)n < room;
				if (!c->head_started) {
					c->head_started = 1;
					c->t_head = now;
				}
				c->in_len += (size_t)n;
				c->t_activity = now;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return YMK__WANT_READ;
			return YMK__WANT_CLOSE; /* EOF or error: nothing can be answered */
		}
		case YMK__ST_SEND_CONTINUE: {
			while (c->out_off < c->out_len) {
				ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
				if (n > 0) {
					c->out_off += (size_t)n;
				} else if (n < 0 && errno == EINTR) {
					continue;
				} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
					return YMK__WANT_WRITE;
				} else {
					return YMK__WANT_CLOSE;
				}
			}
			c->out_len = c->out_off = 0;
			c->t_activity = now;
			c->pend->t_start = now; /* the client sends only now */
			c->state = YMK__ST_READ_BODY;
			continue;
		}
		case YMK__ST_READ_BODY: {
			struct ymk__pending *pd = c->pend;
			size_t used = 0;
			int r = 0;
			if (c->in_len > c->head_len || (!pd->chunked && pd->remaining == 0)) {
				/* Bytes that came with the head (or no body at all). */
				r = body_feed(c, c->in + c->head_len, c->in_len - c->head_len, &used);
				memmove(c->in + c->head_len, c->in + c->head_len + used,
					c->in_len - c->head_len - used);
				c->in_len -= used;
				if (r) {
					body_done(c, r);
					continue;
				}
			}
			/* Chunked bodies are read into the input buffer, so that the bytes after the
			 * last chunk stay there for the next request; a Content-Length body is read
			 * straight into a larger buffer, never past its end. */
			char big[65536];
			char *buf = big;
			size_t cap = sizeof big;
			if (pd->chunked) {
				buf = c->in + c->in_len;
				cap = c->in_cap - c->in_len;
			} else if (pd->remaining < cap) {
				cap = (size_t)pd->remaining;
			}
			ssize_t n = recv(c->fd, buf, cap, 0);
			if (n > 0) {
				c->t_activity = now;
				if (pd->chunked) {
					c->in_len += (size_t)n;
					continue;
				}
				r = body_feed(c, buf, (size_t)n, &used);
				if (r)
					body_done(c, r);
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return YMK__WANT_READ;
			return YMK__WANT_CLOSE; /* the client went away mid-body: nothing is stored */
		}
		case YMK__ST_SEND: {
			int r = send_some(c, now);
			if (r < 0)
				return YMK__WANT_CLOSE;
			if (r == 0)
				return YMK__WANT_WRITE;
			finish_response(c, now);
			continue;
		}
		case YMK__ST_LINGER: {
			char sink[4096];
			ssize_t n = recv(c->fd, sink, sizeof sink, 0);
			if (n > 0) {
				c->lingered += (size_t)n;
				if (c->lingered > LINGER_MAX_BYTES)
					return YMK__WANT_CLOSE;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return c->linger_needed ? YMK__WANT_READ : YMK__WANT_CLOSE;
			return YMK__WANT_CLOSE;
		}
		}
		return YMK__WANT_CLOSE;
	}
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t ymk__conn_deadline(const struct ymk__conn *c)
{
	const struct ymk__settings *s = &c->srv->s;
	switch (c->state) {
	case YMK__ST_READ_HEAD:
		if (c->head_started)
			return min_u64(c->t_head + s->header_timeout_ms, c->t_activity + s->read_timeout_ms);
		return c->t_activity + (c->served ? s->keepalive_timeout_ms : s->read_timeout_ms);
	case YMK__ST_SEND_CONTINUE:
	case YMK__ST_SEND:
		return c->t_activity + s->write_timeout_ms;
	case YMK__ST_READ_BODY: {
		/* ymawky's rule: grace + length / rate for the whole body; chunked bodies earn
		 * time by what they delivered. The read timeout bounds each silence. */
		const struct ymk__pending *pd = c->pend;
		uint64_t len = pd->chunked ? pd->received : pd->received + pd->remaining;
		uint64_t budget = s->body_grace_ms + len * 1000u / s->body_min_rate;
		return min_u64(pd->t_start + budget, c->t_activity + s->read_timeout_ms);
	}
	case YMK__ST_LINGER:
		return c->t_linger;
	}
	return 0;
}

enum ymk__want ymk__conn_expire(struct ymk__conn *c, uint64_t now)
{
	if (c->state == YMK__ST_READ_BODY) {
		/* A stalled body: nothing is stored; the client hears 408 if it still listens. The
		 * request's method and target stay for the access log. */
		pending_free(c);
		c->oom = 0;
		c->body_len = 0;
		c->head_len = c->in_len;
		ymk__respond_error(c, 408, 1, NULL);
		c->state = YMK__ST_SEND;
		return ymk__conn_step(c, now);
	}
	if (c->state == YMK__ST_READ_HEAD && c->head_started) {
		begin_response(c);
		c->head_len = c->in_len;
		ymk__respond_error(c, 408, 1, NULL);
		c->state = YMK__ST_SEND;
		return ymk__conn_step(c, now);
	}
	return YMK__WANT_CLOSE;
}

void ymk__conn_serve_blocking(struct ymk__conn *c)
{
	uint64_t now = ymk__os_now_ms();
	enum ymk__want w = ymk__conn_step(c, now);
	while (w != YMK__WANT_CLOSE) {
		uint64_t deadline = ymk__conn_deadline(c);
		now = ymk__os_now_ms();
		if (now >= deadline) {
			w = ymk__conn_expire(c, now);
			continue;
		}
		struct pollfd pfd = {.fd = c->fd, .events = w == YMK__WANT_READ ? POLLIN : POLLOUT};
		uint64_t wait = deadline - now;
		int n = poll(&pfd, 1, wait > INT_MAX ? INT_MAX : (int)wait);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			w = ymk__conn_step(c, ymk__os_now_ms());
	}
	ymk__conn_close(c);
}
