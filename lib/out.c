/* out.c: the output object (see out.h): its buffer, its body sources, and sending it. */
#include "out.h"

#include "fcache.h"
#include "ymawky.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void ymk__out_init(struct ymk__out *o, struct ymk__pool *pool)
{
	memset(o, 0, sizeof *o);
	o->pool = pool;
	o->fd = -1;
}

void ymk__out_init_fixed(struct ymk__out *o, char *buf, size_t cap)
{
	ymk__out_init(o, NULL);
	o->buf = buf;
	o->cap = cap;
}

int ymk__out_reserve(struct ymk__out *o, size_t more)
{
	if (o->oom)
		return -1;
	if (o->buf && o->len + more <= o->cap)
		return 0;
	if (!o->pool) {
		o->oom = 1;
		return -1;
	}
	if (!o->buf) {
		o->buf = ymk__pool_get(o->pool);
		if (!o->buf) {
			o->oom = 1;
			return -1;
		}
		o->cap = YMK__OUT_STD;
		if (o->len + more <= o->cap)
			return 0;
	}
	size_t cap = o->cap;
	while (cap < o->len + more)
		cap *= 2;
	char *p = ymk__realloc(o->buf, cap);
	if (!p) {
		o->oom = 1;
		return -1;
	}
	o->buf = p;
	o->cap = cap;
	return 0;
}

void ymk__out_put(struct ymk__out *o, const void *p, size_t n)
{
	if (n && ymk__out_reserve(o, n) == 0) {
		memcpy(o->buf + o->len, p, n);
		o->len += n;
	}
}

void ymk__out_body_mem(struct ymk__out *o, const unsigned char *mem, struct ymk__fentry *owner, uint64_t off,
		       uint64_t len)
{
	o->kind = YMK__BODY_MEM;
	o->mem = mem;
	o->fentry = owner;
	o->start = o->off = off;
	o->end = off + len;
}

void ymk__out_body_file(struct ymk__out *o, int fd, struct ymk__fentry *owner, uint64_t off, uint64_t len)
{
	o->kind = YMK__BODY_FILE;
	o->fd = fd;
	o->fentry = owner;
	o->start = o->off = off;
	o->end = off + len;
}

void ymk__out_body_taken(struct ymk__out *o, const unsigned char *mem, uint64_t len, ymk_free_fn *free_fn,
			 void *user)
{
	ymk__out_body_mem(o, mem, NULL, 0, len);
	o->mem_free = free_fn;
	o->mem_free_user = user;
}

void ymk__out_drop_body(struct ymk__out *o)
{
	if (o->fentry)
		ymk__fcache_release(o->fentry);
	else if (o->fd >= 0)
		close(o->fd);
	if (o->mem_free) {
		ymk_free_fn *fn = o->mem_free;
		o->mem_free = NULL; /* once, even if the callback ends up here again */
		fn(o->mem_free_user);
	}
	if (o->dyn)
		ymk__out_dyn_free(o);
	ymk__free(o->segs);
	o->kind = YMK__BODY_NONE;
	o->mem = NULL;
	o->fd = -1;
	o->fentry = NULL;
	o->start = o->off = o->end = 0;
	o->segs = NULL;
	o->nsegs = o->seg_i = 0;
	o->seg_done = o->seg_body = 0;
}

void ymk__out_reset(struct ymk__out *o)
{
	ymk__out_drop_body(o);
	o->len = o->sent = o->head_len = 0;
	o->status = 0;
	o->body_len = 0;
	o->close = 0;
	o->oom = 0;
	o->aborted = 0;
	o->source_short = 0;
	o->flushed = 0;
}

void ymk__out_release(struct ymk__out *o)
{
	ymk__out_reset(o);
	if (!o->pool)
		return; /* the caller's buffer */
	if (o->buf && o->cap == YMK__OUT_STD)
		ymk__pool_put(o->pool, o->buf);
	else
		ymk__free(o->buf);
	o->buf = NULL;
	o->cap = 0;
}

uint64_t ymk__out_body_sent(const struct ymk__out *o)
{
	if (o->kind == YMK__BODY_SEGS)
		return o->seg_body;
	if (o->kind == YMK__BODY_DYN)
		return ymk__out_dyn_sent(o);
	uint64_t n = o->sent > o->head_len ? o->sent - o->head_len : 0;
	if (o->kind == YMK__BODY_MEM || o->kind == YMK__BODY_FILE)
		n += o->off - o->start;
	return n;
}

uint64_t ymk__out_wire_sent(const struct ymk__out *o)
{
	if (o->kind == YMK__BODY_SEGS) {
		uint64_t n = o->seg_done;
		for (size_t i = 0; i < o->seg_i && i < o->nsegs; i++)
			n += o->segs[i].len;
		return n;
	}
	uint64_t n = o->flushed + o->sent;
	if (o->kind == YMK__BODY_MEM || o->kind == YMK__BODY_FILE)
		n += o->off - o->start;
	else if (o->kind == YMK__BODY_DYN)
		n += ymk__out_dyn_sent(o);
	return n;
}

/* Multipart answers: the pieces in order, bytes of buf or ranges of the source. */
static int send_segments(struct ymk__out *o, struct ymk__transport *t, int *progress)
{
	while (o->seg_i < o->nsegs) {
		const struct ymk__seg *sg = &o->segs[o->seg_i];
		uint64_t left = sg->len - o->seg_done;
		int more = o->seg_i + 1 < o->nsegs;
		long n;
		if (sg->from_source && !o->mem) {
			uint64_t off = sg->off + o->seg_done;
			n = t->ops->sendfile(t, o->fd, &off, left, more);
			if (n == 0) {
				o->source_short = 1;
				return -1;
			}
		} else {
			const char *base = sg->from_source ? (const char *)o->mem : o->buf;
			struct iovec iov = {.iov_base = (char *)base + sg->off + o->seg_done,
					    .iov_len = (size_t)left};
			n = t->ops->sendv(t, &iov, 1, more);
		}
		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return -1;
		*progress = 1;
		o->seg_done += (uint64_t)n;
		if (o->seg_i > 0) /* segment 0 is the head */
			o->seg_body += (uint64_t)n;
		if (o->seg_done == sg->len) {
			o->seg_i++;
			o->seg_done = 0;
		}
	}
	return 1;
}

int ymk__out_ready(const struct ymk__out *o)
{
	if (!o->status && !o->len)
		return 0; /* no answer yet */
	return o->kind != YMK__BODY_DYN || ymk__out_dyn_ready(o);
}

void ymk__out_trim(struct ymk__out *o)
{
	if (o->kind != YMK__BODY_DYN || !o->buf || o->sent < o->len || !o->pool)
		return;
	if (o->cap == YMK__OUT_STD)
		ymk__pool_put(o->pool, o->buf);
	else
		ymk__free(o->buf);
	o->flushed += o->sent;
	o->buf = NULL;
	o->cap = o->len = o->sent = o->head_len = 0;
}

/* A file body that fits in the room left after the head (a small range, a small file the cache
 * does not hold in memory) is read into buf before anything is sent, and the file let go: head and
 * body then leave in one send, where sendfile() would be a second system call (dearer than a
 * pread() for a few bytes) and a second segment. A short or failed read leaves the body to
 * sendfile(), which reports it. */
static void preload_small_file(struct ymk__out *o)
{
	uint64_t want = o->end - o->off;
	if (!o->buf || o->sent || o->flushed || want == 0 || want > o->cap - o->len)
		return;
	ssize_t n;
	do
		n = pread(o->fd, o->buf + o->len, (size_t)want, (off_t)o->off);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)want)
		return;
	size_t len = o->len + (size_t)n;
	ymk__out_drop_body(o); /* everything is in buf now */
	o->len = len;
}

int ymk__out_send(struct ymk__out *o, struct ymk__transport *t, int *progress)
{
	*progress = 0;
	if (o->kind == YMK__BODY_FILE)
		preload_small_file(o);
	if (o->kind == YMK__BODY_SEGS)
		return send_segments(o, t, progress);
	if (o->kind == YMK__BODY_DYN)
		return ymk__out_dyn_send(o, t, progress);
	/* Head and a body in memory (a cached file, a bundle) leave together: one system call and
	 * no copy of the body into buf; after a partial write the head's iovec is simply empty. */
	while (o->kind == YMK__BODY_MEM && (o->sent < o->len || o->off < o->end)) {
		struct iovec iov[2] = {
			{.iov_base = o->buf + o->sent, .iov_len = o->len - o->sent},
			{.iov_base = (void *)(o->mem + o->off), .iov_len = (size_t)(o->end - o->off)},
		};
		int first = o->sent == o->len; /* the head is out: only the body's iovec is left */
		long n = t->ops->sendv(t, iov + first, 2 - first, 0);
		if (n == -EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		*progress = 1;
		size_t head = o->len - o->sent;
		if ((size_t)n <= head) {
			o->sent += (size_t)n;
		} else {
			o->sent = o->len;
			o->off += (uint64_t)n - head;
		}
	}
	while (o->sent < o->len) {
		struct iovec iov = {.iov_base = o->buf + o->sent, .iov_len = o->len - o->sent};
		long n = t->ops->sendv(t, &iov, 1, o->kind == YMK__BODY_FILE && o->off < o->end);
		if (n == -EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		*progress = 1;
		o->sent += (size_t)n;
	}
	/* A large file to a fast reader yields too, after YMK__OUT_STEP_FILE_BYTES in one call; one
	 * sendfile() is bounded by that share as well, since the kernel keeps copying for as long
	 * as a reader on another CPU frees room. */
	uint64_t step_end = o->off + YMK__OUT_STEP_FILE_BYTES;
	while (o->kind == YMK__BODY_FILE && o->off < o->end) {
		if (o->off >= step_end)
			return YMK__OUT_YIELD;
		uint64_t count = (o->end < step_end ? o->end : step_end) - o->off;
		long n = t->ops->sendfile(t, o->fd, &o->off, count, 0);
		if (n == -EAGAIN)
			return 0;
		if (n == 0)
			o->source_short = 1; /* the file got shorter than the Content-Length already sent */
		if (n <= 0)
			return -1;
		*progress = 1;
	}
	return 1;
}
