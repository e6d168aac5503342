/* os_darwin.c: the macOS versions of the calls in os.h: O_NOFOLLOW_ANY for opening beneath the
 * root (as ymawky itself did), renameatx_np(RENAME_EXCL), fcntl(F_FULLFSYNC), Darwin's sendfile,
 * SO_NOSIGPIPE in place of MSG_NOSIGNAL, st_mtimespec, and a kqueue EVFILT_PROC fd for a child's
 * exit. What macOS does the POSIX way comes from os_posix.h, shared with the portable build.
 *
 * macOS has no unnamed temporary files (uploads use reserved names, as in the portable build),
 * no pipe2 or accept4 (fcntl after the call) and no MSG_MORE. */
#include "os.h"
#include "os_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/event.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifdef O_NOFOLLOW_ANY
/* O_NOFOLLOW_ANY (macOS 11, Darwin 20) refuses a symlink in any component of the path. An older
 * kernel would ignore the unknown flag and follow links, so it is used only where the running
 * kernel is known to have it. */
static int nofollow_any_usable(void)
{
	static int usable = -1;
	if (usable < 0) {
		struct utsname u;
		usable = uname(&u) == 0 && atoi(u.release) >= 20;
	}
	return usable;
}

/* A ".." segment or a leading '/' could leave dirfd, which O_NOFOLLOW_ANY does not prevent; the
 * paths path.c hands down have neither, so such a name is refused outright, as openat2's
 * RESOLVE_BENEATH refuses an escape. */
static int may_escape(const char *rel)
{
	if (*rel == '/')
		return 1;
	for (const char *p = rel; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		if (!slash)
			break;
		p = slash + 1;
	}
	return 0;
}
#endif

int ymk__os_open_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
#ifdef O_NOFOLLOW_ANY
	if (!nofollow_any_usable())
		return -ENOSYS;
	if (may_escape(rel))
		return -EXDEV;
	int fd;
	do
		fd = openat(dirfd, *rel ? rel : ".", flags | O_NOFOLLOW_ANY, mode);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
#else
	(void)dirfd;
	(void)rel;
	(void)flags;
	(void)mode;
	return -ENOSYS; /* fs.c walks the path with O_NOFOLLOW */
#endif
}

int ymk__os_rename_noreplace(int dirfd, const char *old, const char *new_name)
{
	if (renameatx_np(dirfd, old, dirfd, new_name, RENAME_EXCL) == 0)
		return 0;
	/* A file system without an exclusive rename says ENOTSUP: the caller links instead. */
	return errno == ENOTSUP ? -EINVAL : -errno;
}

int ymk__os_tmpfile(int dirfd)
{
	(void)dirfd;
	return -EOPNOTSUPP;
}

int ymk__os_tmpfile_link(int fd, int dirfd, const char *name)
{
	(void)fd;
	(void)dirfd;
	(void)name;
	return -EOPNOTSUPP;
}

/* fsync() on macOS hands the data to the drive but does not make the drive write its cache, so
 * it is not durable across a power loss; F_FULLFSYNC is, at the price of a cache flush per call
 * (milliseconds to tens of milliseconds on an SSD, paid once per atomic PUT). File systems that
 * cannot do it (some network ones) say so, and get fsync(). */
int ymk__os_datasync(int fd)
{
	if (fcntl(fd, F_FULLFSYNC) == 0)
		return 0;
	if (errno != ENOTSUP && errno != EINVAL && errno != ENOTTY)
		return -errno;
	return fsync(fd) < 0 ? -errno : 0;
}

int64_t ymk__os_mtime_ns(const struct stat *st)
{
	return ymk__posix_ns(&st->st_mtimespec);
}

int64_t ymk__os_ctime_ns(const struct stat *st)
{
	return ymk__posix_ns(&st->st_ctimespec);
}

/* macOS has no MSG_NOSIGNAL that every release honours: a socket that writes to a reset peer is
 * told not to raise SIGPIPE once, with SO_NOSIGPIPE, and that covers sendfile() too. */
static int no_sigpipe(int fd)
{
	int one = 1;
	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ymk__os_socket(int family, int type)
{
	return no_sigpipe(ymk__posix_socket(family, type));
}

int ymk__os_accept(int lfd, struct sockaddr *peer, socklen_t *peer_len)
{
	return no_sigpipe(ymk__posix_accept(lfd, peer, peer_len));
}

int ymk__os_pipe(int fds[2])
{
	return ymk__posix_pipe(fds);
}

/* Darwin's TCP_NOPUSH is left alone: whether turning it off sends what it held back at once,
 * with no write after it (an answer's last record), cannot be checked here, where macOS is built
 * but not run. Records leave as they are written, which costs segments, not correctness. */
void ymk__os_cork(int fd, int on)
{
	(void)fd, (void)on;
}

long ymk__os_sendv(int fd, const struct iovec *iov, int iovcnt, int more)
{
	(void)more; /* no MSG_MORE; TCP_NOPUSH would cost two system calls per answer */
	return ymk__posix_sendv(fd, iov, iovcnt, 0);
}

/* Darwin's sendfile(file, socket, offset, &len, headers, flags): len is in-out, and a call that
 * stops on a full non-blocking socket fails with EAGAIN yet reports the bytes it did send. */
long ymk__os_sendfile(int out_fd, int in_fd, uint64_t *offset, uint64_t count, int more)
{
	(void)more;
	if (count > (1u << 30))
		count = 1u << 30;
	off_t len = (off_t)count;
	int r = sendfile(in_fd, out_fd, (off_t)*offset, &len, NULL, 0);
	if (r < 0 && len <= 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (r < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	*offset += (uint64_t)len;
	return (long)len;
}

/* A kqueue of its own watching the child for NOTE_EXIT: readable once the child has exited,
 * which is what fork.c polls a Linux pidfd for. A child that is gone already cannot be
 * registered (ESRCH): fork.c then reaps it by waitpid(). */
int ymk__os_child_fd(pid_t pid)
{
	int kq = kqueue();
	if (kq < 0)
		return -errno;
	(void)fcntl(kq, F_SETFD, FD_CLOEXEC);
	struct kevent ev;
	EV_SET(&ev, (uintptr_t)pid, EVFILT_PROC, EV_ADD | EV_ONESHOT, NOTE_EXIT, 0, NULL);
	if (kevent(kq, &ev, 1, NULL, 0, NULL) < 0) {
		int err = -errno;
		close(kq);
		return err;
	}
	return kq;
}

uint64_t ymk__os_now_ms(void)
{
	return ymk__posix_now_ms();
}
