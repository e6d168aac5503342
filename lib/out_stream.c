/* out_stream.c: the output object's bodies that come over time (see out.h): a producer, asked
 * for bytes only once the transport took everything staged so far, and a stream the embedder
 * writes into a bounded queue. Both are framed here: a declared length (never more, and an end
 * short of it fails the answer), chunked (a size line, the data, CRLF; then the last chunk
 * "0" CRLF CRLF without trailers), or neither (the connection's close ends the body).
 *
 * One staging buffer per answer: a producer's fixed buffer (PRODUCE_CAP plus room for the size
 * line and CRLF around the data, so that a chunk leaves in one send with no copy), or a stream's
 * queue, which grows with what is written up to YMK_STREAM_BUFFER_MAX and is freed whenever it
 * drains, so that an idle stream holds none. */
#include "out.h"

#include "alloc.h"
#include "hex.h"

#include <errno.h>
#include <string.h>

#define PRODUCE_CAP 65536 /* bytes a producer is asked for at most per call */
#define SIZE_LINE 8       /* room before a producer's data: up to 6 hex digits and CRLF */
#define CHUNK_OVERHEAD 12 /* a stream write's framing at most: hex digits, CRLF, CRLF */
#define QUEUE_MIN 1024

struct ymk__dyn {
	ymk_produce_fn *produce; /* NULL: a stream */
	ymk_free_fn *free_fn;
	void *user;
	char *buf; /* staged bytes: [off, len) leave next */
	size_t off, len, cap;
	int64_t length; /* declared body length, or -1 */
	uint64_t taken; /* body bytes produced or written */
	uint64_t sent;  /* bytes of the body sent, framing included */
	int chunked;    /* frame the body as chunks */
	int discard;    /* HEAD: nothing is sent after the head */
	int ended;      /* no more data: the producer said 0, or the stream was ended */
	int finished;   /* the end is staged (the last chunk) or needs nothing more */
	int waiting;    /* the producer said "later" */
};

enum { REFILL_MORE, REFILL_WAIT, REFILL_DONE, REFILL_FAIL };

static int make(struct ymk__out *o, int64_t length, int chunked)
{
	struct ymk__dyn *d = ymk__calloc(1, sizeof *d);
	if (!d)
		return YMK_ENOMEM;
	d->length = length;
	d->chunked = chunked;
	o->kind = YMK__BODY_DYN;
	o->dyn = d;
	return 0;
}

int ymk__out_body_producer(struct ymk__out *o, int64_t length, int chunked, ymk_produce_fn *produce,
			   ymk_free_fn *free_fn, void *user)
{
	if (make(o, length, chunked) < 0) {
		if (free_fn)
			free_fn(user);
		return YMK_ENOMEM;
	}
	o->dyn->produce = produce;
	o->dyn->free_fn = free_fn;
	o->dyn->user = user;
	return 0;
}

int ymk__out_body_stream(struct ymk__out *o, int64_t length, int chunked, int discard)
{
	if (make(o, length, chunked) < 0)
		return YMK_ENOMEM;
	o->dyn->discard = discard;
	return 0;
}

void ymk__out_dyn_free(struct ymk__out *o)
{
	struct ymk__dyn *d = o->dyn;
	o->dyn = NULL;
	if (!d)
		return;
	if (d->free_fn)
		d->free_fn(d->user);
	ymk__free(d->buf);
	ymk__free(d);
}

uint64_t ymk__out_dyn_sent(const struct ymk__out *o)
{
	return o->dyn ? o->dyn->sent : 0;
}

/* Room in a stream's queue for `more` bytes past what is staged: the staged bytes move to the
 * front, and the queue grows (doubling, at least QUEUE_MIN). 0 or YMK_ENOMEM. */
static int queue_room(struct ymk__dyn *d, size_t more)
{
	size_t used = d->len - d->off;
	if (d->len + more <= d->cap)
		return 0;
	if (d->off) {
		memmove(d->buf, d->buf + d->off, used);
		d->off = 0;
		d->len = used;
		if (used + more <= d->cap)
			return 0;
	}
	size_t cap = d->cap ? 2 * d->cap : QUEUE_MIN;
	while (cap < used + more)
		cap *= 2;
	char *p = ymk__realloc(d->buf, cap);
	if (!p)
		return YMK_ENOMEM;
	d->buf = p;
	d->cap = cap;
	return 0;
}

size_t ymk__out_stream_room_max(const struct ymk__out *o)
{
	const struct ymk__dyn *d = o->dyn;
	size_t over = d && d->chunked ? CHUNK_OVERHEAD : 0;
	return YMK_STREAM_BUFFER_MAX - over;
}

size_t ymk__out_stream_room(const struct ymk__out *o)
{
	const struct ymk__dyn *d = o->dyn;
	if (!d)
		return 0;
	size_t used = d->len - d->off, over = d->chunked ? CHUNK_OVERHEAD : 0;
	return used + over < YMK_STREAM_BUFFER_MAX ? YMK_STREAM_BUFFER_MAX - used - over : 0;
}

long ymk__out_stream_write(struct ymk__out *o, const void *data, size_t len)
{
	struct ymk__dyn *d = o->dyn;
	if (!d || d->produce || d->ended)
		return YMK_ESTATE;
	if (len == 0)
		return 0;
	if (d->length >= 0 && len > (uint64_t)d->length - d->taken)
		return YMK_EINVAL; /* never more than promised */
	if (d->discard) {
		d->taken += len;
		return (long)len;
	}
	size_t room = ymk__out_stream_room(o);
	if (room == 0)
		return YMK_EAGAIN;
	size_t n = len < room ? len : room;
	if (queue_room(d, n + (d->chunked ? CHUNK_OVERHEAD : 0)) < 0)
		return YMK_ENOMEM;
	char *p = d->buf + d->len;
	if (d->chunked) {
		p += ymk__hex_u64(p, n);
		memcpy(p, "\r\n", 2);
		p += 2;
	}
	memcpy(p, data, n);
	p += n;
	if (d->chunked) {
		memcpy(p, "\r\n", 2);
		p += 2;
	}
	d->len = (size_t)(p - d->buf);
	d->taken += n;
	return (long)n;
}

int ymk__out_stream_end(struct ymk__out *o)
{
	struct ymk__dyn *d = o->dyn;
	if (!d || d->produce || d->ended)
		return YMK_ESTATE;
	d->ended = 1;
	return 0;
}

int ymk__out_stream_resume(struct ymk__out *o)
{
	if (!o->dyn)
		return YMK_ESTATE;
	o->dyn->waiting = 0;
	return 0;
}

int ymk__out_dyn_ready(const struct ymk__out *o)
{
	const struct ymk__dyn *d = o->dyn;
	if (o->sent < o->len || d->off < d->len || d->ended)
		return 1;
	if (d->discard)
		return 0;
	return d->produce && !d->waiting;
}

/* Everything staged has left. A stream's queue is freed, so that a stream waiting for its next
 * event holds no buffer; a producer keeps its own for the next call. */
static void drained(struct ymk__dyn *d)
{
	d->off = d->len = 0;
	if (!d->produce) {
		ymk__free(d->buf);
		d->buf = NULL;
		d->cap = 0;
	}
}

/* No more data: checks the length, stages the last chunk. */
static int finish(struct ymk__out *o, struct ymk__dyn *d)
{
	if (d->finished)
		return REFILL_DONE;
	if (d->length >= 0 && d->taken != (uint64_t)d->length) {
		o->aborted = 1; /* short: the client must not take it for the whole body */
		return REFILL_FAIL;
	}
	d->finished = 1;
	if (!d->chunked || d->discard)
		return REFILL_DONE;
	static const char last[] = "0\r\n\r\n";
	if (queue_room(d, sizeof last - 1) < 0) {
		o->aborted = 1;
		return REFILL_FAIL;
	}
	memcpy(d->buf + d->len, last, sizeof last - 1);
	d->len += sizeof last - 1;
	return REFILL_MORE;
}

/* Stages the next bytes of a producer or the end of the body. */
static int refill(struct ymk__out *o, struct ymk__dyn *d)
{
	if (d->ended)
		return finish(o, d);
	if (!d->produce || d->waiting)
		return REFILL_WAIT;
	uint64_t cap = PRODUCE_CAP;
	if (d->length >= 0) {
		uint64_t due = (uint64_t)d->length - d->taken;
		if (due == 0) { /* all of it was given: the producer is not asked again */
			d->ended = 1;
			return finish(o, d);
		}
		if (due < cap)
			cap = due;
	}
	if (!d->buf) {
		d->buf = ymk__malloc(SIZE_LINE + PRODUCE_CAP + 2);
		if (!d->buf) {
			o->aborted = 1;
			return REFILL_FAIL;
		}
		d->cap = SIZE_LINE + PRODUCE_CAP + 2;
	}
	char *data = d->buf + SIZE_LINE;
	long n = d->produce(data, (size_t)cap, d->user);
	if (n == YMK_EAGAIN) {
		d->waiting = 1;
		return REFILL_WAIT;
	}
	if (n < 0 || (uint64_t)n > cap) {
		o->aborted = 1;
		return REFILL_FAIL;
	}
	if (n == 0) {
		d->ended = 1;
		return finish(o, d);
	}
	d->taken += (uint64_t)n;
	d->off = SIZE_LINE;
	d->len = SIZE_LINE + (size_t)n;
	if (d->chunked) {
		char line[SIZE_LINE];
		size_t k = ymk__hex_u64(line, (uint64_t)n);
		memcpy(line + k, "\r\n", 2);
		k += 2;
		d->off = SIZE_LINE - k;
		memcpy(d->buf + d->off, line, k);
		memcpy(d->buf + d->len, "\r\n", 2);
		d->len += 2;
	}
	return REFILL_MORE;
}

int ymk__out_dyn_send(struct ymk__out *o, struct ymk__transport *t, int *progress)
{
	struct ymk__dyn *d = o->dyn;
	uint64_t start = d->sent;
	for (;;) {
		size_t head = o->len - o->sent, staged = d->len - d->off;
		if (head || staged) {
			/* The head and the first bytes of the body leave together. */
			struct iovec iov[2] = {
				{.iov_base = o->buf + o->sent, .iov_len = head},
				{.iov_base = d->buf ? d->buf + d->off : NULL, .iov_len = staged},
			};
			int first = head == 0;
			long n = t->ops->sendv(t, iov + first, (staged ? 2 : 1) - first, 0);
			if (n == -EAGAIN)
				return 0;
			if (n <= 0)
				return -1;
			*progress = 1;
			size_t k = (size_t)n, h = k < head ? k : head;
			o->sent += h;
			k -= h;
			d->off += k;
			d->sent += k;
			if (staged && d->off == d->len)
				drained(d);
			continue;
		}
		if (d->discard)
			return d->ended ? 1 : YMK__OUT_WAIT;
		if (d->sent - start >= YMK__OUT_STEP_BYTES && d->produce && !d->ended)
			return YMK__OUT_YIELD; /* this step's share: the next refill waits for the next one */
		switch (refill(o, d)) {
		case REFILL_MORE: continue;
		case REFILL_WAIT: return YMK__OUT_WAIT;
		case REFILL_DONE: return 1;
		default: return -1;
		}
	}
}
