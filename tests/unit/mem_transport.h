/* mem_transport.h: a transport over memory, the second implementation of lib/transport.h beside
 * the plain socket. A test gives it the bytes a client sends (delivered at most `chunk` bytes per
 * receive, so a request can arrive one byte at a time) and a window of how many bytes the client
 * reads (so a peer that stops reading is a full window); what the server sends is collected in
 * `out`. Files are "sent" by reading them. Include after <check.h>; static functions only. */
#ifndef YMK_TEST_MEM_TRANSPORT_H
#define YMK_TEST_MEM_TRANSPORT_H

#include "transport.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mem_tr {
	const char *in; /* what the client sent so far */
	size_t in_len, in_off;
	size_t chunk; /* at most this many bytes per receive (0: no limit) */
	int in_eof;   /* the client closed its side once in is consumed */
	char *out;    /* what the server sent */
	size_t out_len, out_cap;
	size_t window; /* the client reads at most this many bytes in all (SIZE_MAX: no limit) */
	int shut;      /* the server shut its output down */
	int goodbye;   /* the server said the layer's goodbye before closing at once */
	int closed;    /* the server closed the transport */
	unsigned recvs, sends, sendfiles; /* calls, for tests that count them */
};

static long mem_recv(struct ymk__transport *t, void *buf, size_t len)
{
	struct mem_tr *m = t->impl;
	m->recvs++;
	if (m->in_off == m->in_len) {
		if (m->in_eof)
			return 0;
		t->blocked = YMK__TR_READ;
		return -EAGAIN;
	}
	size_t n = m->in_len - m->in_off;
	if (m->chunk && n > m->chunk)
		n = m->chunk;
	if (n > len)
		n = len;
	memcpy(buf, m->in + m->in_off, n);
	m->in_off += n;
	return (long)n;
}

static long mem_take(struct ymk__transport *t, const void *p, size_t n)
{
	struct mem_tr *m = t->impl;
	size_t room = m->window > m->out_len ? m->window - m->out_len : 0;
	if (room == 0) {
		t->blocked = YMK__TR_WRITE;
		return -EAGAIN;
	}
	if (n > room)
		n = room;
	if (m->out_len + n > m->out_cap) {
		size_t cap = m->out_cap ? m->out_cap : 4096;
		while (cap < m->out_len + n)
			cap *= 2;
		m->out = realloc(m->out, cap);
		ck_assert_ptr_nonnull(m->out);
		m->out_cap = cap;
	}
	memcpy(m->out + m->out_len, p, n);
	m->out_len += n;
	return (long)n;
}

static long mem_sendv(struct ymk__transport *t, const struct iovec *iov, int iovcnt, int more)
{
	struct mem_tr *m = t->impl;
	long total = 0;
	(void)more;
	m->sends++;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len == 0)
			continue;
		long n = mem_take(t, iov[i].iov_base, iov[i].iov_len);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((size_t)n < iov[i].iov_len)
			break;
	}
	return total;
}

static long mem_sendfile(struct ymk__transport *t, int fd, uint64_t *off, uint64_t count, int more)
{
	char buf[65536];
	size_t want = count < sizeof buf ? (size_t)count : sizeof buf;
	ssize_t got = pread(fd, buf, want, (off_t)*off);
	(void)more;
	((struct mem_tr *)t->impl)->sendfiles++;
	if (got <= 0)
		return got < 0 ? -errno : 0;
	long n = mem_take(t, buf, (size_t)got);
	if (n > 0)
		*off += (uint64_t)n;
	return n;
}

static int mem_shutdown(struct ymk__transport *t)
{
	((struct mem_tr *)t->impl)->shut = 1;
	return 0;
}

static void mem_goodbye(struct ymk__transport *t)
{
	((struct mem_tr *)t->impl)->goodbye = 1;
}

static size_t mem_pending(const struct ymk__transport *t)
{
	(void)t;
	return 0;
}

static void mem_close(struct ymk__transport *t)
{
	((struct mem_tr *)t->impl)->closed = 1;
	t->fd = -1;
}

static const struct ymk__transport_ops mem_ops = {
	.recv = mem_recv,
	.sendv = mem_sendv,
	.sendfile = mem_sendfile,
	.shutdown = mem_shutdown,
	.goodbye = mem_goodbye,
	.pending = mem_pending,
	.close = mem_close,
};

/* A transport over m (everything zero but the window, which starts unlimited). */
static inline void mem_tr_init(struct mem_tr *m, struct ymk__transport *t)
{
	memset(m, 0, sizeof *m);
	m->window = SIZE_MAX;
	*t = (struct ymk__transport){.ops = &mem_ops, .fd = -1, .blocked = YMK__TR_READ, .impl = m};
}

static inline void mem_tr_free(struct mem_tr *m)
{
	free(m->out);
	m->out = NULL;
	m->out_len = m->out_cap = 0;
}

#endif
