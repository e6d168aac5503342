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
	struct ymk__body *b = &r->body_sink;
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
	struct ymk__body *b = &r->body_sink;
	ymk__body_free(b);
	b->dir_fd = dir_fd;
	b->tmp = *tmp;
	return start(r, YMK__SINK_FILE, limit, done);
}

int ymk__body_to_memory(struct ymk_request *r, uint64_t limit, ymk__body_done_fn *done)
{
	ymk__body_free(&r->body_sink);
	return start(r, YMK__SINK_MEMORY, limit, done);
}

/* Stores body bytes in the sink. 0 or the HTTP status that ends the request. */
static int sink_write(struct ymk__body *b, const char *data, size_t len)
{
	if (b->received + len > b->limit)
		return 413;
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

int ymk__body_feed(struct ymk__body *b, const char *data, size_t len, size_t *used)
{
	*used = 0;
	if (!b->chunked) {
		size_t n = len < b->remaining ? len : (size_t)b->remaining;
		int st = sink_write(b, data, n);
		if (st)
			return st;
		*used = n;
		b->remaining -= n;
		return b->remaining == 0;
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
		if (r == 1)
			return 1;
		if (*used == len || (cons == 0 && prod == 0))
			return 0;
	}
}

void ymk__body_complete(struct ymk_request *r)
{
	r->body_sink.done(r);
	ymk__body_free(&r->body_sink);
}
