/* tls_records.c: see tls_records.h. */
#include "tls_records.h"

#include "os.h"
#include "tls.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* A body of many records is corked, so that the records leave in full TCP segments instead of one
 * short segment each (TCP_NODELAY is on for the small answers); uncorked at its last byte. */
static void cork(struct ymk__tls_out *o, int fd, uint64_t left)
{
	if (!o->corked && left > YMK__TLS_BUF) {
		ymk__os_cork(fd, 1);
		o->corked = 1;
	}
}

static void uncork_at_end(struct ymk__tls_out *o, int fd, long n, uint64_t left)
{
	if (o->corked && n > 0 && (uint64_t)n >= left) {
		ymk__os_cork(fd, 0);
		o->corked = 0;
	}
}

long ymk__tls_out_sendv(struct ymk__tls_out *o, struct ymk__transport *t, ymk__tls_write_fn *write,
			const struct iovec *iov, int iovcnt)
{
	while (iovcnt > 0 && iov[0].iov_len == 0) {
		iov++;
		iovcnt--;
	}
	if (iovcnt == 0)
		return 0;
	if (iovcnt == 1 || iov[0].iov_len >= YMK__TLS_BUF) {
		uint64_t left = iov[0].iov_len;
		for (int i = 1; i < iovcnt; i++)
			left += iov[i].iov_len;
		cork(o, t->fd, left);
		long n = write(t, iov[0].iov_base, iov[0].iov_len);
		uncork_at_end(o, t->fd, n, left);
		return n;
	}
	/* A head and a small body: one record, one system call. */
	char buf[YMK__TLS_BUF];
	size_t len = 0;
	for (int i = 0; i < iovcnt && len < sizeof buf; i++) {
		size_t k = iov[i].iov_len < sizeof buf - len ? iov[i].iov_len : sizeof buf - len;
		memcpy(buf + len, iov[i].iov_base, k);
		len += k;
	}
	return write(t, buf, len);
}

void ymk__tls_out_give_back(struct ymk__tls_out *o)
{
	if (o->buf)
		ymk__pool_put(o->bufs, o->buf);
	o->buf = NULL;
	o->pend_off = o->pend_len = 0;
}

long ymk__tls_out_sendfile(struct ymk__tls_out *o, struct ymk__transport *t, ymk__tls_write_fn *write, int fd,
			   uint64_t *off, uint64_t count, int more)
{
	if (o->pend_len == 0) {
		if (!o->buf && !(o->buf = ymk__pool_get(o->bufs)))
			return -ENOMEM;
		size_t want = count < YMK__TLS_BUF ? (size_t)count : YMK__TLS_BUF;
		ssize_t got;
		do
			got = pread(fd, o->buf, want, (off_t)*off);
		while (got < 0 && errno == EINTR);
		if (got <= 0) {
			ymk__tls_out_give_back(o);
			return got < 0 ? -errno : 0;
		}
		o->pend_len = (size_t)got;
		o->pend_off = 0;
	}
	cork(o, t->fd, count);
	long n = write(t, o->buf + o->pend_off, o->pend_len - o->pend_off);
	if (n <= 0)
		return n; /* -EAGAIN keeps the buffer: the same bytes are written again */
	uncork_at_end(o, t->fd, more ? 0 : n, count);
	*off += (uint64_t)n;
	o->pend_off += (size_t)n;
	if (o->pend_off == o->pend_len)
		ymk__tls_out_give_back(o);
	return n;
}

/* ---- a connection without its TLS state ------------------------------------------------- */

static long broken_recv(struct ymk__transport *t, void *buf, size_t len)
{
	(void)t, (void)buf, (void)len;
	return -ENOMEM;
}

static long broken_sendv(struct ymk__transport *t, const struct iovec *iov, int iovcnt, int more)
{
	(void)t, (void)iov, (void)iovcnt, (void)more;
	return -ENOMEM;
}

static long broken_sendfile(struct ymk__transport *t, int fd, uint64_t *off, uint64_t count, int more)
{
	(void)t, (void)fd, (void)off, (void)count, (void)more;
	return -ENOMEM;
}

static int broken_shutdown(struct ymk__transport *t)
{
	(void)t;
	return -ENOMEM;
}

static size_t broken_pending(const struct ymk__transport *t)
{
	(void)t;
	return 0;
}

static void broken_close(struct ymk__transport *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

static const struct ymk__transport_ops broken_ops = {
	.recv = broken_recv,
	.sendv = broken_sendv,
	.sendfile = broken_sendfile,
	.shutdown = broken_shutdown,
	.pending = broken_pending,
	.close = broken_close,
};

void ymk__tls_transport_broken(struct ymk__transport *tr, int fd)
{
	*tr = (struct ymk__transport){.ops = &broken_ops, .fd = fd, .blocked = YMK__TR_READ};
}
