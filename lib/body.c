/* body.c: request bodies into their sinks (see body.h): Content-Length or chunked framing, the
 * limit, and storing into a temporary file or memory. */
#include "body.h"

#include "alloc.h"
#include "os.h"
#include "request.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void ymk__body_init(struct ymk__body *b)
{
	memset(b, 0, sizeof *b);
	b->dir_fd = -1;
	b->tmp.fd = -1;
}

void ymk__body_free(struct ymk__body *b)
{
	if (b->tmp.fd >= 0)
		ymk__fs_tmp_discard(b->dir_fd, &b->tmp);
	if (b->dir_fd >= 0)
		close(b->dir_fd);
	ymk__free(b->mem);
	ymk__body_init(b);
}

static int start(struct ymk_request *r, enum ymk__sink_kind kind, uint64_t limit, ymk__body_done_fn *done)
{
	const struct ymk__http_request *req = r->http;
	struct ymk__body *b = r->body_sink;
	if (req->content_length > 0 && (uint64_t)req->content_length > limit) {
		ymk__body_free(b); /* refused before a byte is read, and before any 100 Continue */
		return 413;
	}
	b->kind = kind;
	b->done = done;
	b->chunked = req->chunked;
	ymk__chunked_init(&b->dec, limit);
	b->remaining = req->content_length > 0 ? (uint64_t)req->content_length : 0;
	b->received = 0;
	b->limit = limit;
	b->t_start = ymk__os_now_ms();
	return 0;
}

int ymk__body_to_file(struct ymk_request *r, uint64_t limit, int dir_fd, struct ymk__tmpfile *tmp,
		      ymk__body_done_fn *done)
{
	struct ymk__body *b = r->body_sink;
	ymk__body_free(b);
	b->dir_fd = dir_fd;
	b->tmp = *tmp;
	return start(r, YMK__SINK_FILE, limit, done);
}

int ymk__body_to_memory(struct ymk_request *r, uint64_t limit, ymk__body_done_fn *done)
{
	ymk__body_free(r->body_sink);
	return start(r, YMK__SINK_MEMORY, limit, done);
}

int ymk__body_to_handler(struct ymk_request *r, uint64_t limit, ymk__body_done_fn *done)
{
	ymk__body_free(r->body_sink);
	r->body_sink->req = r;
	return start(r, YMK__SINK_HANDLER, limit, done);
}

/* A piece for the body callback. Until the body is complete, an answer means the rest is not
 * read, so any answer given in the callback closes the connection. */
static int to_handler(struct ymk__body *b, const char *data, size_t len)
{
	struct ymk_request *r = b->req;
	int keep_alive = r->resp.keep_alive;
	r->resp.keep_alive = 0;
	r->body_partial = 1;
	int rc = r->body_fn(r, data, len, r->body_user);
	r->body_partial = 0;
	if (!r->responded)
		r->resp.keep_alive = keep_alive;
	if (rc >= 400 && rc <= 599)
		return rc;
	if (r->responded)
		return YMK__BODY_ANSWERED;
	if (rc == YMK_PAUSE) {
		b->paused = 1;
		b->t_paused = ymk__os_now_ms();
	} else if (rc != 0)
		return 500;
	return 0;
}

/* Stores body bytes in the sink. 0 or the HTTP status that ends the request. */
static int sink_write(struct ymk__body *b, const char *data, size_t len)
{
	if (b->received + len > b->limit)
		return 413;
	if (b->kind == YMK__SINK_HANDLER) {
		b->received += len;
		return len ? to_handler(b, data, len) : 0;
	}
	if (b->kind == YMK__SINK_MEMORY) {
		if (b->mem_len + len > b->mem_cap) {
			size_t cap = b->mem_cap ? b->mem_cap : 4096;
			while (cap < b->mem_len + len)
				cap *= 2;
			char *m = ymk__realloc(b->mem, cap);
			if (!m)
				return 503;
			b->mem = m;
			b->mem_cap = cap;
		}
		memcpy(b->mem + b->mem_len, data, len);
		b->mem_len += len;
	} else {
		int err = ymk__fs_write_all(b->tmp.fd, data, len);
		if (err)
			return err == -ENOSPC || err == -EDQUOT ? 507 : err == -EFBIG ? 413 : 500;
	}
	b->received += len;
	return 0;
}

/* The framing: stores what data holds of the body and sets b->complete at its end. 0, or the
 * status that ends the request. */
static int feed(struct ymk__body *b, const char *data, size_t len, size_t *used)
{
	if (!b->chunked) {
		size_t n = len < b->remaining ? len : (size_t)b->remaining;
		int st = sink_write(b, data, n);
		if (st)
			return st;
		*used = n;
		b->remaining -= n;
		b->complete = b->remaining == 0;
		return 0;
	}
	for (;;) {
		char out[16384];
		size_t cons = 0, prod = 0;
		int r = ymk__chunked_decode(&b->dec, data + *used, len - *used, &cons, out, sizeof out,
					    &prod);
		*used += cons;
		if (prod) {
			int st = sink_write(b, out, prod);
			if (st)
				return st;
		}
		if (r == YMK__CHUNKED_TOO_LARGE)
			return 413; /* a chunk size past the limit: refused before its data */
		if (r < 0)
			return 400;
		if (r == 1) {
			b->complete = 1;
			return 0;
		}
		if (*used == len || (cons == 0 && prod == 0) || b->paused)
			return 0;
	}
}

int ymk__body_feed(struct ymk__body *b, const char *data, size_t len, size_t *used)
{
	*used = 0;
	if (!b->complete) {
		int st = feed(b, data, len, used);
		if (st)
			return st;
	}
	/* A paused callback hears of the end only once it resumed. */
	return b->complete && !b->paused;
}

void ymk__body_resume(struct ymk__body *b)
{
	if (!b->paused)
		return;
	b->paused = 0;
	b->t_start += ymk__os_now_ms() - b->t_paused;
}

void ymk__body_complete(struct ymk_request *r)
{
	r->body_sink->done(r);
	if (r->body_sink) /* a request deferred in the callback may have been compacted */
		ymk__body_free(r->body_sink);
}
