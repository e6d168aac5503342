/* transport_sock.c: the plain socket transport (see transport.h). Sends never raise SIGPIPE and
 * hold a partial packet back while `more` says the rest follows; files go out with the platform's
 * sendfile, or through a buffer where the platform has none. */
#include "transport.h"

#include "os.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

static long sock_recv(struct ymk__transport *t, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = recv(t->fd, buf, len, 0);
		if (n >= 0)
			return (long)n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			t->blocked = YMK__TR_READ;
			return -EAGAIN;
		}
		return -errno;
	}
}

static long sock_sendv(struct ymk__transport *t, const struct iovec *iov, int iovcnt, int more)
{
	long n;
	do
		n = ymk__os_sendv(t->fd, iov, iovcnt, more);
	while (n == -EINTR);
	if (n == -EAGAIN)
		t->blocked = YMK__TR_WRITE;
	return n;
}

/* The platform has no sendfile: read a piece and send it; what the socket does not take now is
 * read again next time, from the advanced offset. */
static long sendfile_by_copy(struct ymk__transport *t, int fd, uint64_t *off, uint64_t count, int more)
{
	char buf[65536];
	size_t want = count < sizeof buf ? (size_t)count : sizeof buf;
	ssize_t got;
	do
		got = pread(fd, buf, want, (off_t)*off);
	while (got < 0 && errno == EINTR);
	if (got <= 0)
		return got < 0 ? -errno : 0;
	struct iovec iov = {.iov_base = buf, .iov_len = (size_t)got};
	long n = sock_sendv(t, &iov, 1, more || (uint64_t)got < count);
	if (n > 0)
		*off += (uint64_t)n;
	return n;
}

static long sock_sendfile(struct ymk__transport *t, int fd, uint64_t *off, uint64_t count, int more)
{
	long n;
	do
		n = ymk__os_sendfile(t->fd, fd, off, count, more);
	while (n == -EINTR);
	if (n == -ENOSYS)
		return sendfile_by_copy(t, fd, off, count, more);
	if (n == -EAGAIN)
		t->blocked = YMK__TR_WRITE;
	return n;
}

static int sock_shutdown(struct ymk__transport *t)
{
	return shutdown(t->fd, SHUT_WR) < 0 ? -errno : 0;
}

static size_t sock_pending(const struct ymk__transport *t)
{
	(void)t;
	return 0;
}

static void sock_close(struct ymk__transport *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

static const struct ymk__transport_ops sock_ops = {
	.recv = sock_recv,
	.sendv = sock_sendv,
	.sendfile = sock_sendfile,
	.shutdown = sock_shutdown,
	.pending = sock_pending,
	.close = sock_close,
};

void ymk__transport_socket(struct ymk__transport *t, int fd)
{
	*t = (struct ymk__transport){.ops = &sock_ops, .fd = fd, .blocked = YMK__TR_READ};
}
