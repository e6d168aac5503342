/* stream.c: answers that take time, as a handler sees them: deferring a request, its close and
 * writable callbacks and idle limit, streams written by the embedder, producers, answers from
 * the embedder's own memory, and request bodies given to a callback in pieces.
 *
 * Every call here checks the request's state, changes the request or its output object, and
 * kicks the connection (the function pointer it installed), which then sends from its own step:
 * no call here sends, reads or runs another request's callbacks, so they are safe from any
 * callback on the server's thread. */
#include "stream.h"

#include "alloc.h"
#include "out.h"
#include "wake.h"

#include <string.h>

int ymk_request_defer(ymk_request *req)
{
	if (!req)
		return YMK_EINVAL;
	if (req->in_hook || req->probe || req->body_partial || req->closing)
		return YMK_ESTATE;
	req->deferred = 1;
	/* A fork child must hear posts from the threads the request may be handed to now. */
	(void)ymk__wake_private(req->srv);
	return 0;
}

int ymk_request_on_close(ymk_request *req, ymk_request_close_fn *fn, void *user)
{
	if (!req || req->closing)
		return YMK_EINVAL;
	req->on_close = fn;
	req->close_user = user;
	return 0;
}

int ymk_request_on_writable(ymk_request *req, ymk_writable_fn *fn, void *user)
{
	if (!req || req->closing)
		return YMK_EINVAL;
	req->on_writable = fn;
	req->writable_user = user;
	return 0;
}

int ymk_request_set_idle_timeout(ymk_request *req, unsigned ms)
{
	if (!req || req->closing || ms > YMK_MAX_TIMEOUT_MS)
		return YMK_EINVAL;
	req->idle_ms = ms;
	ymk__request_kick(req); /* the deadline changed */
	return 0;
}

/* A Content-Type the library puts into a header. */
static int type_ok(const char *type)
{
	return !type || !strpbrk(type, "\r\n");
}

/* An answer that can no longer be sent: the connection closes without completing it. */
static int unusable(struct ymk_request *r)
{
	struct ymk__out *o = r->resp.out;
	ymk__out_reset(o);
	o->status = 500;
	o->close = 1;
	o->aborted = 1;
	r->responded = 1;
	r->close_hint = YMK_CLOSE_ABORTED;
	ymk__request_kick(r);
	return YMK_ENOMEM;
}

/* The head of an answer over time, and the request's added headers are no longer needed. */
static int stream_head(struct ymk_request *r, int status, const char *type, int64_t length, const char *more)
{
	ymk__request_with_extra(r);
	int chunked = ymk__resp_stream_head(&r->resp, status, type, length, more);
	ymk__free(r->extra);
	r->extra = NULL;
	r->extra_len = 0;
	r->resp.extra = NULL;
	r->resp.extra_len = 0;
	return r->resp.out->oom ? YMK_ENOMEM : chunked;
}

static int check_answer_over_time(const struct ymk_request *r, int status, const char *type, int64_t length)
{
	int err = ymk__request_can_answer(r);
	if (err)
		return err;
	if (r->body_partial)
		return YMK_ESTATE; /* a body being read and an answer written over time cannot mix */
	if (status < 200 || status > 599 || status == 204 || status == 304 || length < -1 || !type_ok(type))
		return YMK_EINVAL;
	return 0;
}

int ymk__stream_open(struct ymk_request *r, int status, const char *type, int64_t length, const char *more)
{
	int err = check_answer_over_time(r, status, type, length);
	if (err)
		return err;
	int chunked = stream_head(r, status, type, length, more);
	if (chunked < 0 || ymk__out_body_stream(r->resp.out, length, chunked, r->resp.is_head) < 0)
		return unusable(r);
	r->responded = 1;
	r->stream = 1;
	r->deferred = 1;
	(void)ymk__wake_private(r->srv);
	ymk__request_kick(r);
	return 0;
}

int ymk_stream_open(ymk_request *req, int status, const char *content_type, int64_t length)
{
	return ymk__stream_open(req, status, content_type, length, NULL);
}

/* An open stream that takes writes. */
static int stream_usable(const struct ymk_request *r)
{
	if (!r)
		return YMK_EINVAL;
	if (r->closing || !r->stream || r->stream_ended)
		return YMK_ESTATE;
	return 0;
}

long ymk_stream_write(ymk_request *req, const void *data, size_t len)
{
	int err = stream_usable(req);
	if (err)
		return err;
	if (!data && len)
		return YMK_EINVAL;
	long n = ymk__out_stream_write(req->resp.out, data, len);
	if (n == YMK_EAGAIN)
		req->want_writable = 1;
	else if (n > 0)
		ymk__request_kick(req);
	return n;
}

int ymk_stream_end(ymk_request *req)
{
	int err = stream_usable(req);
	if (err)
		return err;
	req->stream_ended = 1;
	(void)ymk__out_stream_end(req->resp.out);
	ymk__request_kick(req);
	return 0;
}

int ymk_stream_resume(ymk_request *req)
{
	if (!req)
		return YMK_EINVAL;
	if (req->closing || !req->responded || ymk__out_stream_resume(req->resp.out) < 0)
		return YMK_ESTATE;
	ymk__request_kick(req);
	return 0;
}

int ymk_respond_producer(ymk_request *req, int status, const char *content_type, int64_t length,
			 ymk_produce_fn *produce, ymk_free_fn *free_fn, void *user)
{
	int err = check_answer_over_time(req, status, content_type, length);
	if (!err && !produce)
		err = YMK_EINVAL;
	if (err) {
		if (free_fn)
			free_fn(user);
		return err;
	}
	int chunked = stream_head(req, status, content_type, length, NULL);
	if (chunked < 0) {
		if (free_fn)
			free_fn(user);
		return unusable(req);
	}
	if (req->resp.is_head) { /* the head is the whole answer: the producer is never asked */
		if (free_fn)
			free_fn(user);
	} else if (ymk__out_body_producer(req->resp.out, length, chunked, produce, free_fn, user) < 0) {
		return unusable(req); /* free_fn already ran */
	}
	req->responded = 1;
	ymk__request_kick(req);
	return 0;
}

int ymk_respond_buffer_take(ymk_request *req, int status, const char *content_type, const void *body,
			    size_t len, ymk_free_fn *free_fn, void *user)
{
	int err = ymk__request_can_answer(req);
	if (!err && (status < 200 || status > 599 || (!body && len) || !type_ok(content_type)))
		err = YMK_EINVAL;
	if (err) {
		if (free_fn)
			free_fn(user);
		return err;
	}
	req->responded = 1;
	ymk__request_with_extra(req);
	ymk__resp_taken(&req->resp, status, content_type, body ? body : "", len, free_fn, user);
	ymk__request_kick(req);
	return req->resp.out->oom ? YMK_ENOMEM : 0;
}

/* ---- request bodies in pieces -------------------------------------------------------------- */

int ymk_request_stream_body(ymk_request *req, ymk_body_fn *fn, void *user)
{
	if (!req || !fn)
		return YMK_EINVAL;
	if (req->in_hook || req->probe || req->closing || req->responded || !req->body_sink ||
	    req->body_sink->kind != YMK__SINK_NONE || req->body)
		return YMK_ESTATE;
	req->body_fn = fn;
	req->body_user = user;
	return 0;
}

int ymk_request_resume_body(ymk_request *req)
{
	if (!req)
		return YMK_EINVAL;
	if (req->closing || !req->body_sink || req->body_sink->kind != YMK__SINK_HANDLER)
		return YMK_ESTATE;
	if (req->body_sink->paused) {
		ymk__body_resume(req->body_sink);
		ymk__request_kick(req);
	}
	return 0;
}
