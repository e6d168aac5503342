/* conn.c: one connection's life, the same in every process model.
 *
 * READ_HEAD reads until the parser finds a complete head; the request then goes to the handler
 * chain, which either builds its answer into the output object at once or attaches a body sink
 * (a PUT's temporary file, a handler's memory). With a sink, READ_BODY first feeds the body to it
 * (Content-Length or chunked), after a "100 Continue" when the client waits for one, and the
 * sink's completion callback answers. SEND writes the answer through the transport without
 * blocking. Afterwards the connection either reads the next request (keep-alive; pipelined bytes
 * already buffered are parsed first, so responses keep their order) or shuts its write side and
 * LINGERs, discarding input until the client closes, so that unread request bytes do not turn the
 * close into a reset that destroys the response in flight (RFC 9112 section 9.6). Every state has
 * a deadline; the driver calls ymk__conn_expire().
 *
 * A request the embedder keeps (deferred, or answered over time by a stream or a producer) WAITs
 * whenever its output has nothing to send: its head is compacted into the request and the input
 * buffer goes back to its pool, input is read only to notice the client leaving, and the
 * deadline is its idle limit or its SSE keep-alive. The embedder's calls kick the connection
 * (a function the request holds), which puts it on the server's ready list; the driver steps it
 * from there. The request's close callback runs in drop_request(), the one place requests end. */
#include "conn.h"

#include "alloc.h"
#include "body.h"
#include "handler.h"
#include "http_parse.h"
#include "log.h"
#include "os.h"
#include "request.h"
#include "response.h"
#include "schedule.h"
#include "stream.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#define LINGER_MS 2000
/* A refused upload keeps arriving until the client reads the refusal: lingering must outlast what
 * the socket buffers of both ends hold in flight (several MiB on loopback with autotuning), or the
 * close resets the connection under the answer. The time bound above still ends it. */
#define LINGER_MAX_BYTES (16u * 1024 * 1024)
#define IN_SLACK 4096 /* input room past the head limit, for body and pipelined bytes */

/* The input buffer's size: the pool's (see ymk_server_new()). */
static size_t in_cap(const struct ymk__conn *c)
{
	return c->srv->s.max_header_bytes + IN_SLACK;
}

int ymk__conn_init(struct ymk__conn *c, ymk_server *srv, const struct ymk__transport *tr,
		   const struct ymk_conn *info, uint64_t now)
{
	memset(c, 0, sizeof *c);
	c->end = -1;
	c->srv = srv;
	c->in = ymk__pool_get(&srv->pool_in); /* the request often comes with the connection */
	if (!c->in)
		return YMK_ENOMEM;
	c->tr = *tr;
	ymk__out_init(&c->out, &srv->pool_out);
	c->info = *info;
	c->info.fd = tr->fd;
	c->t_activity = now;
	c->state = YMK__ST_READ_HEAD;
	c->end_reason = YMK_CLOSE_STOPPED;
	return 0;
}

int ymk__conn_fd(const struct ymk__conn *c)
{
	return c->tr.fd;
}

static void log_access(struct ymk__conn *c, uint64_t now)
{
	const struct ymk__settings *s = &c->srv->s;
	if (!s->access || !c->out.status)
		return;
	ymk_access_entry e;
	memset(&e, 0, sizeof e);
	e.size = sizeof e;
	e.method = c->log_method ? c->log_method : "-";
	e.target = c->log_target ? c->log_target : "-";
	e.version_minor = c->log_method ? c->log_version : -1;
	e.status = c->out.status;
	e.bytes_sent = ymk__out_body_sent(&c->out);
	e.duration_us = (now - c->t_head) * 1000u;
	e.peer = ymk__session_peer(&c->info);
	e.peer_len = c->info.peer_len;
	s->access(&e, s->access_user);
}

/* Gives the input buffer back to its pool and the output buffer back to its own: an idle or
 * closed connection holds neither. */
static void release_buffers(struct ymk__conn *c)
{
	if (c->in)
		ymk__pool_put(&c->srv->pool_in, c->in);
	c->in = NULL;
	ymk__out_release(&c->out);
}

/* The request is done with (answered, or its connection is closing): its close callback runs,
 * then its body sink, if any, is thrown away, so an upload cut short leaves nothing behind. */
static void drop_request(struct ymk__conn *c, enum ymk_close_reason reason)
{
	struct ymk_request *r = c->req;
	if (!r)
		return;
	ymk__request_closed(r, reason);
	ymk__request_put(r);
	c->req = NULL;
	if (c->held) /* they pointed into the request's compacted block */
		c->log_method = c->log_target = NULL;
	c->held = 0;
}

/* The embedder gave the request something to do (see request.h): step the connection soon. */
static void kick(struct ymk_request *r)
{
	struct ymk__conn *c = r->owner;
	ymk__sched_ready(c->srv, &c->ready);
}

void ymk__conn_set_end(struct ymk__conn *c, int end)
{
	if (c->end < 0)
		c->end = end;
}

void ymk__conn_close(struct ymk__conn *c)
{
	if (c->state == YMK__ST_SEND || (c->state == YMK__ST_WAIT && c->out.status))
		log_access(c, ymk__os_now_ms()); /* an aborted response is still logged */
	c->bytes_out += ymk__out_wire_sent(&c->out);
	ymk__out_reset(&c->out); /* an answer's free callback, then the request's close callback */
	drop_request(c, c->end_reason);
	ymk__sched_unready(&c->srv->sched, &c->ready);
	/* Unless something said otherwise: after an answer that closed, the server ended it; in any
	 * other state the transport failed or ended under it, which is the client's doing. */
	ymk__conn_set_end(c, c->state == YMK__ST_LINGER ? YMK_CONN_END_DONE : YMK_CONN_END_CLIENT);
	ymk__session_report(&c->info, c->end, (uint64_t)c->served, c->bytes_in, c->bytes_out);
	c->tr.ops->close(&c->tr);
	c->info.fd = -1;
	release_buffers(c);
	ymk__session_free(&c->info);
}

/* Ends the connection for this reason (the request's close callback hears it, and the
 * connection's close report says the server gave up when the answer could not be completed). */
static enum ymk__want close_for(struct ymk__conn *c, enum ymk_close_reason reason)
{
	c->end_reason = reason;
	if (reason == YMK_CLOSE_ABORTED)
		ymk__conn_set_end(c, YMK_CONN_END_ERROR);
	return YMK__WANT_CLOSE;
}

/* The context every answer on this connection is built with. The Date is taken when the answer
 * is built (an upload's answer comes long after its head). */
static void resp_init(struct ymk__conn *c, struct ymk__resp *rs, const struct ymk__http_request *http,
		      int keep_alive, int ka_header, int is_head)
{
	ymk_server *srv = c->srv;
	*rs = (struct ymk__resp){
		.out = &c->out,
		.http = http,
		.is_head = is_head,
		.keep_alive = keep_alive,
		.ka_header = ka_header,
		.dates = &srv->dates,
		.nonce = srv->nonce++,
		.error_page = ymk__error_page,
		.error_page_ctx = srv,
	};
}

/* An answer about the connection itself (a head that cannot be parsed, a timeout), with no
 * request behind it. */
static void answer_error(struct ymk__conn *c, int status)
{
	struct ymk__resp rs;
	resp_init(c, &rs, NULL, 0, 0, 0);
	ymk__resp_error(&rs, status, 1, NULL);
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

/* The head of c->req is parsed: decide what the request gets. */
static void handle_request(struct ymk__conn *c)
{
	ymk_server *srv = c->srv;
	struct ymk_request *r = c->req;
	const struct ymk__http_request *req = r->http;

	terminate_strings(req);
	r->transport = &c->tr;
	c->log_method = req->method;
	c->log_target = req->target;
	c->log_version = req->version_minor;
	int keep_alive, ka_header = 0;
	if (req->version_minor == 1) {
		keep_alive = !req->connection_close;
	} else {
		keep_alive = req->connection_keep_alive && !req->connection_close;
		ka_header = keep_alive;
	}
	c->keep_alive_asked = keep_alive;
	/* A body that nobody reads is not skipped: the answer closes the connection and the
	 * lingering close discards the body. Starting a body read restores keep-alive. */
	c->body_unread = req->content_length > 0 || req->chunked;
	if (c->body_unread)
		keep_alive = 0;
	resp_init(c, &r->resp, req, keep_alive, ka_header, req->method_id == YMK__METHOD_HEAD);

	if (req->has_expect_other) {
		ymk__resp_error(&r->resp, 417, 1, NULL);
		return;
	}
	if (req->method_id == YMK__METHOD_OTHER) {
		ymk__resp_error(&r->resp, 501, 0, NULL);
		return;
	}
	if (req->target_len == 1 && req->target[0] == '*') {
		if (req->method_id == YMK__METHOD_OPTIONS)
			ymk__resp_options(&r->resp, srv->allow_all);
		else
			ymk__resp_error(&r->resp, 400, 1, NULL);
		return;
	}
	r->conn = &c->info;
	int st = ymk__request_start(r, ymk__session_peer(&c->info), c->info.peer_len);
	if (st) {
		ymk__resp_error(&r->resp, st, st == 400, NULL);
		return;
	}
	ymk__chain_serve(r);
}

/* ---- request bodies ------------------------------------------------------------------------ */

/* The body being read. SEND_CONTINUE and READ_BODY are entered only with a request whose sink is
 * attached (start_body()), and leave before the request goes. */
static struct ymk__body *sink_of(const struct ymk__conn *c)
{
	assert(c->req && c->req->body_sink && c->req->body_sink->kind != YMK__SINK_NONE);
	return c->req->body_sink;
}

/* A body sink was attached: read the body (after a 100 Continue when the client waits for one). */
static void start_body(struct ymk__conn *c)
{
	struct ymk_request *r = c->req;
	const struct ymk__http_request *req = r->http;
	c->body_unread = 0;
	r->resp.keep_alive = c->keep_alive_asked; /* the body will be consumed */
	if (req->expect_continue && req->version_minor == 1 && (req->chunked || req->content_length > 0)) {
		ymk__resp_continue(&c->out);
		if (c->out.oom) {
			ymk__body_free(r->body_sink);
			ymk__resp_error(&r->resp, 503, 1, NULL);
			return;
		}
		c->state = YMK__ST_SEND_CONTINUE;
		return;
	}
	c->state = YMK__ST_READ_BODY; /* no body at all completes on the first step */
}

/* A request the embedder keeps while it waits: its head is copied into the request (see
 * ymk__request_compact) and the input buffer goes back to its pool unless pipelined bytes wait
 * in it. Without memory for the copy it simply keeps what it has. */
static void hold(struct ymk__conn *c, uint64_t now)
{
	struct ymk_request *r = c->req;
	c->t_activity = now;
	if (c->held || ymk__request_compact(r, c->in, c->head_len) < 0)
		return;
	c->held = 1;
	c->log_method = r->method;
	c->log_target = r->target;
	memmove(c->in, c->in + c->head_len, c->in_len - c->head_len);
	c->in_len -= c->head_len;
	c->head_len = 0;
	if (c->in_len == 0) {
		ymk__pool_put(&c->srv->pool_in, c->in);
		c->in = NULL;
	}
}

/* The output has nothing to send until the embedder gives more. */
static void wait_for_embedder(struct ymk__conn *c)
{
	c->state = YMK__ST_WAIT;
	ymk__out_trim(&c->out); /* the head went out: an idle stream holds no output buffer */
}

/* After the chain or the last body callback ran: a deferred request waits (held) unless its
 * answer is ready to go. */
static void after_handler(struct ymk__conn *c, uint64_t now)
{
	struct ymk_request *r = c->req;
	c->state = YMK__ST_SEND;
	if (!r->deferred)
		return;
	hold(c, now);
	if (!ymk__out_ready(&c->out))
		wait_for_embedder(c);
}

/* The body ended: complete (result 1: the sink's callback answers), or cut short by a status, or
 * answered by a body callback before it was complete (the rest is not read). */
static void body_done(struct ymk__conn *c, int result, uint64_t now)
{
	struct ymk_request *r = c->req;
	c->state = YMK__ST_SEND;
	if (result != 1) {
		ymk__body_free(r->body_sink);
		if (!r->responded)
			ymk__resp_error(&r->resp, result == YMK__BODY_ANSWERED ? 500 : result, 1, NULL);
		return;
	}
	ymk__body_complete(r);
	after_handler(c, now);
}

/* After the chain (or a sink's callback) ran: an answer that could not be built closes the
 * connection unanswered. */
static void check_answer(struct ymk__conn *c)
{
	if (c->out.oom) {
		ymk__log(&c->srv->s, YMK_LOG_ERROR, "out of memory while building a %d response",
			 c->out.status);
		ymk__conn_set_end(c, YMK_CONN_END_ERROR);
		c->out.len = 0;
		c->out.close = 1;
		if (c->req)
			c->req->close_hint = YMK_CLOSE_ABORTED;
	}
}

/* Parses what is buffered. Returns 1 when the request was handled (an answer or a body read is
 * under way), 0 when more bytes are needed, -1 when the connection must close unanswered. */
static int try_request(struct ymk__conn *c, uint64_t now)
{
	const struct ymk__settings *s = &c->srv->s;
	struct ymk__http_limits lim = {s->max_request_line, s->max_header_bytes, s->max_headers};
	size_t consumed = 0;

	if (!c->req) {
		if (!(c->req = ymk__request_get(c->srv))) {
			ymk__conn_set_end(c, YMK_CONN_END_ERROR);
			return -1;
		}
		c->req->kick = kick;
		c->req->owner = c;
	}
	int r = ymk__http_parse(c->in, c->in_len, &lim, c->req->http, &consumed);
	if (r == YMK__HTTP_AGAIN) {
		if (c->in_len < in_cap(c))
			return 0;
		r = 431; /* the parser reports this itself; kept so a full buffer can never stall */
	}
	ymk__out_reset(&c->out);
	c->log_method = c->log_target = NULL;
	c->log_version = -1;
	c->body_unread = 0;
	c->state = YMK__ST_SEND;
	if (r != 0) {
		c->head_len = c->in_len;
		answer_error(c, r);
	} else {
		c->head_len = consumed;
		handle_request(c);
		if (c->req->body_sink->kind != YMK__SINK_NONE && !c->out.len && !c->out.oom)
			start_body(c);
		else
			after_handler(c, now);
	}
	check_answer(c);
	return 1;
}

static void finish_response(struct ymk__conn *c, uint64_t now)
{
	log_access(c, now);
	c->bytes_out += ymk__out_wire_sent(&c->out);
	int close = c->out.close;
	int error = c->out.status >= 400;
	ymk__out_reset(&c->out);
	int held = c->held;
	drop_request(c, YMK_CLOSE_DONE);
	c->served++;
	if (close) {
		c->state = YMK__ST_LINGER;
		c->t_linger = now + LINGER_MS;
		c->lingered = 0;
		/* Waiting for the client's FIN only protects an answer from a reset when input may
		 * still be on its way: a body nobody read, bytes already buffered past the head, or
		 * an error answer (the client may be mid-request). A plain answer to a request that
		 * asked to close can close as soon as nothing is pending. */
		c->linger_needed = c->body_unread || c->in_len > c->head_len || error ||
				   (c->head_len == 0 && !held);
		/* Nothing pending is known when the last read came back short and no byte is held
		 * above the kernel: the close goes at once, with no shutdown() and no read of the FIN
		 * first (two system calls of a connection per request). */
		c->close_now = !c->linger_needed && c->rd_drained && !c->tr.ops->pending(&c->tr);
		if (!c->close_now)
			(void)c->tr.ops->shutdown(&c->tr);
		else if (c->tr.ops->goodbye)
			c->tr.ops->goodbye(&c->tr);
		return;
	}
	if (c->in)
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

/* What a transport that returned -EAGAIN waits for. */
static enum ymk__want blocked(const struct ymk__conn *c)
{
	return c->tr.blocked & YMK__TR_WRITE ? YMK__WANT_WRITE : YMK__WANT_READ;
}

static enum ymk__want step(struct ymk__conn *c, uint64_t now)
{
	struct ymk__transport *t = &c->tr;
	/* Called because the fd may be ready: forget an earlier short read. */
	c->rd_drained = 0;
	for (;;) {
		switch (c->state) {
		case YMK__ST_READ_HEAD: {
			if (c->in_len > 0) {
				int r = try_request(c, now);
				if (r < 0)
					return YMK__WANT_CLOSE;
				if (r > 0)
					continue;
			}
			/* A short read proved the transport empty, and with edge-triggered readiness
			 * any later byte raises a new event: no need to ask for an EAGAIN after every
			 * keep-alive response. (Level-triggered drivers call step only when ready,
			 * which clears the flag.) */
			if (c->rd_drained)
				return YMK__WANT_READ;
			if (!c->in && !(c->in = ymk__pool_get(&c->srv->pool_in))) {
				ymk__conn_set_end(c, YMK_CONN_END_ERROR);
				return YMK__WANT_CLOSE;
			}
			size_t room = in_cap(c) - c->in_len;
			long n = t->ops->recv(t, c->in + c->in_len, room);
			if (n > 0) {
				/* Input a layer holds above the kernel raises no readiness event. */
				c->rd_drained = (size_t)n < room && !t->ops->pending(t);
				if (!c->head_started) {
					c->head_started = 1;
					c->t_head = now;
				}
				c->in_len += (size_t)n;
				c->bytes_in += (uint64_t)n;
				c->t_activity = now;
				continue;
			}
			if (n == -EAGAIN)
				return blocked(c);
			return YMK__WANT_CLOSE; /* EOF or error: nothing can be answered */
		}
		case YMK__ST_SEND_CONTINUE: {
			int progress;
			int r = ymk__out_send(&c->out, t, &progress);
			if (r < 0)
				return YMK__WANT_CLOSE;
			if (r == 0)
				return blocked(c);
			c->bytes_out += ymk__out_wire_sent(&c->out);
			ymk__out_reset(&c->out);
			c->t_activity = now;
			sink_of(c)->t_start = now; /* the client sends only now */
			c->state = YMK__ST_READ_BODY;
			continue;
		}
		case YMK__ST_READ_BODY: {
			struct ymk__body *b = sink_of(c);
			size_t used = 0;
			int r = 0;
			if (b->paused)
				return YMK__WANT_WAIT; /* the body callback resumes it */
			if (c->in_len > c->head_len || b->complete || (!b->chunked && b->remaining == 0)) {
				/* Bytes that came with the head (or no body at all, or a body whose end a
				 * paused callback has not heard of yet). */
				r = ymk__body_feed(b, c->in + c->head_len, c->in_len - c->head_len, &used);
				memmove(c->in + c->head_len, c->in + c->head_len + used,
					c->in_len - c->head_len - used);
				c->in_len -= used;
				if (r) {
					body_done(c, r, now);
					check_answer(c);
					continue;
				}
				if (b->paused)
					continue;
			}
			/* Chunked bodies are read into the input buffer, so that the bytes after the
			 * last chunk stay there for the next request; a Content-Length body is read
			 * straight into a larger buffer, never past its end. */
			char big[65536];
			char *buf = big;
			size_t cap = sizeof big;
			if (b->chunked) {
				buf = c->in + c->in_len;
				cap = in_cap(c) - c->in_len;
			} else if (b->remaining < cap) {
				cap = (size_t)b->remaining;
			}
			long n = t->ops->recv(t, buf, cap);
			if (n > 0) {
				c->bytes_in += (uint64_t)n;
				c->t_activity = now;
				if (b->chunked) {
					c->in_len += (size_t)n;
					continue;
				}
				r = ymk__body_feed(b, buf, (size_t)n, &used);
				if (r) {
					body_done(c, r, now);
					check_answer(c);
				}
				continue;
			}
			if (n == -EAGAIN)
				return blocked(c);
			return YMK__WANT_CLOSE; /* the client went away mid-body: nothing is stored */
		}
		case YMK__ST_SEND: {
			int progress;
			int r = ymk__out_send(&c->out, t, &progress);
			if (progress)
				c->t_activity = now;
			if (r < 0) {
				int bad = c->out.source_short || c->out.aborted;
				return close_for(c, bad ? YMK_CLOSE_ABORTED : YMK_CLOSE_CLIENT);
			}
			if (r == 0)
				return blocked(c);
			if (r == YMK__OUT_WAIT) {
				wait_for_embedder(c);
				continue;
			}
			if (r == YMK__OUT_YIELD) {
				/* Fair share sent: the others first, then this one again. */
				ymk__sched_ready(c->srv, &c->ready);
				return YMK__WANT_WRITE;
			}
			finish_response(c, now);
			continue;
		}
		case YMK__ST_WAIT: {
			struct ymk_request *r = c->req;
			if (ymk__out_ready(&c->out)) {
				c->state = YMK__ST_SEND;
				continue;
			}
			if (r && r->want_writable && c->out.kind == YMK__BODY_DYN) {
				/* What a refused write waited for: the buffer was sent. */
				r->want_writable = 0;
				if (r->on_writable) {
					r->on_writable(r, r->writable_user);
					continue;
				}
			}
			/* Input now only tells that the client left; bytes it pipelined are kept for
			 * after the answer (read into a small buffer first, so that an idle stream
			 * takes no input buffer from the pool). */
			char small[512];
			size_t room = c->in ? in_cap(c) - c->in_len : sizeof small;
			if (room == 0)
				return YMK__WANT_WAIT; /* full: the rest stays in the kernel */
			long n = t->ops->recv(t, c->in ? c->in + c->in_len : small, room);
			if (n > 0) {
				c->bytes_in += (uint64_t)n;
				if (!c->in) {
					if (!(c->in = ymk__pool_get(&c->srv->pool_in)))
						return close_for(c, YMK_CLOSE_ABORTED);
					memcpy(c->in, small, (size_t)n);
				}
				c->in_len += (size_t)n;
				continue;
			}
			if (n == -EAGAIN)
				return blocked(c);
			return close_for(c, YMK_CLOSE_CLIENT);
		}
		case YMK__ST_LINGER: {
			if (c->close_now)
				return YMK__WANT_CLOSE;
			char sink[4096];
			long n = t->ops->recv(t, sink, sizeof sink);
			if (n > 0) {
				c->bytes_in += (uint64_t)n;
				c->lingered += (size_t)n;
				if (c->lingered > LINGER_MAX_BYTES)
					return YMK__WANT_CLOSE;
				continue;
			}
			if (n == -EAGAIN)
				return c->linger_needed ? blocked(c) : YMK__WANT_CLOSE;
			return YMK__WANT_CLOSE;
		}
		}
		return YMK__WANT_CLOSE;
	}
}

enum ymk__want ymk__conn_step(struct ymk__conn *c, uint64_t now)
{
	c->end_reason = YMK_CLOSE_CLIENT; /* unless the step says otherwise */
	enum ymk__want w = step(c, now);
	if (w != YMK__WANT_CLOSE)
		c->end_reason = YMK_CLOSE_STOPPED; /* a close from outside is the server's */
	return w;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t state_deadline(const struct ymk__conn *c)
{
	const struct ymk__settings *s = &c->srv->s;
	switch (c->state) {
	case YMK__ST_READ_HEAD:
		if (c->head_started)
			return min_u64(c->t_head + s->header_timeout_ms, c->t_activity + s->read_timeout_ms);
		return c->t_activity + (c->served ? s->keepalive_timeout_ms : s->read_timeout_ms);
	case YMK__ST_SEND_CONTINUE:
	case YMK__ST_SEND: return c->t_activity + s->write_timeout_ms;
	case YMK__ST_READ_BODY: {
		/* ymawky's rule: grace + length / rate for the whole body; chunked bodies earn
		 * time by what they delivered. The read timeout bounds each silence. A body the
		 * embedder paused has the request's idle limit instead. */
		const struct ymk__body *b = sink_of(c);
		if (b->paused)
			return c->req->idle_ms ? b->t_paused + c->req->idle_ms : UINT64_MAX;
		uint64_t len = b->chunked ? b->received : b->received + b->remaining;
		uint64_t budget = s->body_grace_ms + len * 1000u / s->body_min_rate;
		return min_u64(b->t_start + budget, c->t_activity + s->read_timeout_ms);
	}
	case YMK__ST_LINGER: return c->t_linger;
	case YMK__ST_WAIT: {
		/* The idle limit, and before it the keep-alive of an SSE stream; both count from
		 * the last byte sent (or from when the request began to wait). */
		const struct ymk_request *r = c->req;
		uint64_t d = r && r->idle_ms ? c->t_activity + r->idle_ms : UINT64_MAX;
		if (r && r->sse && r->sse_keepalive_ms && !r->stream_ended)
			d = min_u64(d, c->t_activity + r->sse_keepalive_ms);
		return d;
	}
	}
	return 0;
}

uint64_t ymk__conn_deadline(const struct ymk__conn *c)
{
	/* The transport's own deadline (a TLS handshake's) counts as well. */
	uint64_t d = state_deadline(c);
	return c->tr.deadline ? min_u64(d, c->tr.deadline) : d;
}

/* An SSE stream's keep-alive is due (before its idle limit): a comment is queued and sent. This
 * does not end anything. */
static int keepalive_due(const struct ymk__conn *c, uint64_t now)
{
	const struct ymk_request *r = c->req;
	if (c->state != YMK__ST_WAIT || !r || !r->sse || !r->sse_keepalive_ms || r->stream_ended)
		return 0;
	return !r->idle_ms || now < c->t_activity + r->idle_ms;
}

/* The idle limit ended the wait: 503 for a request not answered yet; an answer under way is cut
 * off. */
static enum ymk__want expire_wait(struct ymk__conn *c, uint64_t now)
{
	struct ymk_request *r = c->req;
	if (!r)
		return YMK__WANT_CLOSE;
	r->close_hint = YMK_CLOSE_TIMEOUT;
	if (r->responded)
		return YMK__WANT_CLOSE;
	r->responded = 1;
	ymk__resp_error(&r->resp, 503, 1, NULL);
	check_answer(c);
	c->state = YMK__ST_SEND;
	return step(c, now);
}

static enum ymk__want expire(struct ymk__conn *c, uint64_t now)
{
	if (keepalive_due(c, now)) {
		if (ymk__sse_keepalive(c->req) < 0)
			return close_for(c, YMK_CLOSE_ABORTED);
		return step(c, now);
	}
	if (c->state == YMK__ST_LINGER)
		ymk__conn_set_end(c, YMK_CONN_END_DONE);
	else if (c->state == YMK__ST_READ_HEAD && !c->head_started)
		ymk__conn_set_end(c, YMK_CONN_END_IDLE);
	else
		ymk__conn_set_end(c, YMK_CONN_END_TIMEOUT);
	if (c->state == YMK__ST_WAIT)
		return expire_wait(c, now);
	if (c->state == YMK__ST_READ_BODY) {
		/* A stalled body: nothing is stored; the client hears 408 if it still listens (503
		 * when the embedder paused it past its idle limit). The request's method and target
		 * stay for the access log. */
		int paused = sink_of(c)->paused;
		c->head_len = c->in_len;
		c->req->close_hint = YMK_CLOSE_TIMEOUT;
		body_done(c, paused ? 503 : 408, now);
		check_answer(c);
		return step(c, now);
	}
	if (c->state == YMK__ST_READ_HEAD && c->head_started) {
		ymk__out_reset(&c->out);
		c->log_method = c->log_target = NULL;
		c->head_len = c->in_len;
		answer_error(c, 408);
		check_answer(c);
		c->state = YMK__ST_SEND;
		return step(c, now);
	}
	return YMK__WANT_CLOSE;
}

enum ymk__want ymk__conn_expire(struct ymk__conn *c, uint64_t now)
{
	c->end_reason = YMK_CLOSE_TIMEOUT;
	enum ymk__want w = expire(c, now);
	if (w != YMK__WANT_CLOSE)
		c->end_reason = YMK_CLOSE_STOPPED;
	return w;
}
