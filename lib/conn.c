/* conn.c: one connection's life, the same in every process model.
 *
 * READ_HEAD reads until the parser finds a complete head, then the request is answered at once
 * (handler or static file) and the response is queued; SEND writes the head and body (memory,
 * then sendfile) without blocking; afterwards the connection either reads the next request
 * (keep-alive; pipelined bytes already buffered are parsed first, so responses keep their order)
 * or shuts its write side and LINGERs, discarding input until the client closes, so that unread
 * request bytes do not turn the close into a reset that destroys the response in flight
 * (RFC 9112 section 9.6). Every state has a deadline; the driver calls ymk__conn_expire(). */
#include "conn.h"

#include "alloc.h"
#include "http_parse.h"
#include "os.h"
#include "path.h"
#include "response.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define LINGER_MS 2000
#define LINGER_MAX_BYTES (1024 * 1024)

int ymk__conn_init(struct ymk__conn *c, ymk_server *srv, int fd, const struct sockaddr *peer,
		   socklen_t peer_len, uint64_t now)
{
	memset(c, 0, sizeof *c);
	c->srv = srv;
	c->file_fd = -1;
	c->in_cap = srv->s.max_header_bytes;
	c->in = ymk__malloc(c->in_cap);
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
	uint64_t n = c->out_off > c->out_head ? c->out_off - c->out_head : 0;
	if (c->file_fd >= 0)
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

void ymk__conn_close(struct ymk__conn *c)
{
	if (c->state == YMK__ST_SEND)
		log_access(c, ymk__os_now_ms()); /* an aborted response is still logged */
	if (c->file_fd >= 0)
		close(c->file_fd);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = c->file_fd = -1;
	ymk__free(c->in);
	ymk__free(c->out);
	c->in = c->out = NULL;
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
	/* Request bodies are not read by the static handler: answer, then close, and let the
	 * lingering close discard the body. */
	if (req->content_length > 0 || req->chunked)
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
		if (req->method_id == YMK__METHOD_OPTIONS)
			ymk__respond_options(c, YMK__ALLOW_STATIC);
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
	};
	if (srv->s.handler) {
		int rc = srv->s.handler(&r, srv->s.handler_user);
		if (r.responded)
			;
		else if (rc == YMK_PASS)
			ymk__static_serve(&r);
		else if (rc >= 400 && rc <= 599)
			ymk__respond_error(c, rc, 0, NULL);
		else
			ymk__respond_error(c, 500, 0, NULL);
	} else {
		ymk__static_serve(&r);
	}
	ymk__free(r.extra);
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
	if (r != 0) {
		c->head_len = c->in_len;
		ymk__respond_error(c, r, 1, NULL);
		return 1;
	}
	c->head_len = consumed;
	handle_request(c, &req);
	return 1;
}

/* Writes what can be written. Returns 1 when the response is complete, 0 when the socket is
 * full, -1 when the connection failed (or the file shrank under us). */
static int send_some(struct ymk__conn *c, uint64_t now)
{
	while (c->out_off < c->out_len) {
		int more = c->file_fd >= 0 && c->file_off < c->file_end;
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
	if (c->file_fd >= 0)
		close(c->file_fd);
	c->file_fd = -1;
	c->out_len = c->out_off = c->out_head = 0;
	c->status = 0;
	c->served++;
	if (!c->keep_alive) {
		(void)shutdown(c->fd, SHUT_WR);
		c->state = YMK__ST_LINGER;
		c->t_linger = now + LINGER_MS;
		c->lingered = 0;
		return;
	}
	memmove(c->in, c->in + c->head_len, c->in_len - c->head_len);
	c->in_len -= c->head_len;
	c->head_len = 0;
	c->head_started = c->in_len > 0;
	c->t_head = now;
	c->t_activity = now;
	c->state = YMK__ST_READ_HEAD;
}

enum ymk__want ymk__conn_step(struct ymk__conn *c, uint64_t now)
{
	for (;;) {
		switch (c->state) {
		case YMK__ST_READ_HEAD: {
			if (c->in_len > 0 && try_request(c)) {
				c->state = YMK__ST_SEND;
				continue;
			}
			ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
			if (n > 0) {
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
				return YMK__WANT_READ;
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
	case YMK__ST_SEND:
		return c->t_activity + s->write_timeout_ms;
	case YMK__ST_LINGER:
		return c->t_linger;
	}
	return 0;
}

enum ymk__want ymk__conn_expire(struct ymk__conn *c, uint64_t now)
{
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
