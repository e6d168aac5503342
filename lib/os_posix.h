/* os_posix.h: the POSIX building blocks that os_posix.c (the portable build) and os_darwin.c
 * share, as static inline functions, so that both platform files stay leaves: neither calls the
 * other, and nothing is written twice. Only those two files include this header. */
#ifndef YMK_OS_POSIX_H
#define YMK_OS_POSIX_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Makes fd non-blocking and close-on-exec, where the kernel has no flag that does it at
 * creation: a fork()+exec() in another thread between the two calls could inherit the fd. The
 * fd is closed on failure. Returns fd or -errno. */
static inline int ymk__posix_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static inline int ymk__posix_socket(int family, int type)
{
	int fd = socket(family, type, 0);
	return fd < 0 ? -errno : ymk__posix_nonblock_cloexec(fd);
}

static inline int ymk__posix_accept(int lfd, struct sockaddr *peer, socklen_t *peer_len)
{
	int fd = accept(lfd, peer, peer_len);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return ymk__posix_nonblock_cloexec(fd);
}

static inline int ymk__posix_pipe(int fds[2])
{
	if (pipe(fds) < 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		int r = ymk__posix_nonblock_cloexec(fds[i]);
		if (r < 0) {
			if (i == 0)
				close(fds[1]);
			else
				close(fds[0]);
			return r;
		}
	}
	return 0;
}

/* send() or sendmsg() with the given flags; -EAGAIN when the socket is full. */
static inline long ymk__posix_sendv(int fd, const struct iovec *iov, int iovcnt, int flags)
{
	ssize_t n;
	if (iovcnt == 1) {
		n = send(fd, iov[0].iov_base, iov[0].iov_len, flags);
	} else {
		struct msghdr msg = {.msg_iov = (struct iovec *)iov, .msg_iovlen = iovcnt};
		n = sendmsg(fd, &msg, flags);
	}
	if (n >= 0)
		return (long)n;
	return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

static inline int64_t ymk__posix_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static inline uint64_t ymk__posix_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
