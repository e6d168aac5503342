/* os_linux.c: the Linux versions of the calls in os.h: openat2, renameat2, O_TMPFILE, sendfile,
 * accept4, pipe2, MSG_NOSIGNAL | MSG_MORE and pidfds. */
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int ymk__os_open_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
#ifdef SYS_openat2
	struct open_how how;
	memset(&how, 0, sizeof how);
	how.flags = (uint64_t)flags;
	how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	long fd;
	int tries = 0;
	/* EAGAIN: the kernel saw a concurrent rename it could not prove harmless; retry a few times,
	 * then give up rather than loop on a hostile rename storm. */
	do
		fd = syscall(SYS_openat2, dirfd, *rel ? rel : ".", &how, sizeof how);
	while (fd < 0 && (errno == EINTR || errno == EAGAIN) && ++tries < 16);
	if (fd < 0)
		return -errno;
	return (int)fd;
#else
	(void)dirfd;
	(void)rel;
	(void)flags;
	(void)mode;
	return -ENOSYS;
#endif
}

/* The raw system call: not every libc wraps renameat2() (musl 1.2.3 does not). */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

int ymk__os_rename_noreplace(int dirfd, const char *old, const char *new_name)
{
#ifdef SYS_renameat2
	if (syscall(SYS_renameat2, dirfd, old, dirfd, new_name, RENAME_NOREPLACE) == 0)
		return 0;
	return -errno;
#else
	(void)dirfd;
	(void)old;
	(void)new_name;
	return -ENOSYS;
#endif
}

/* An O_TMPFILE file can only be given a name through linkat(AT_EMPTY_PATH), which needs
 * CAP_DAC_READ_SEARCH, or through /proc/self/fd: without either, named temporary files are used
 * from the start rather than failing at the end of an upload. */
static int unnamed_tmpfiles_usable(void)
{
	static int usable = -1;
	if (usable < 0)
		usable = access("/proc/self/fd", X_OK) == 0;
	return usable;
}

int ymk__os_tmpfile(int dirfd)
{
	if (!unnamed_tmpfiles_usable())
		return -EOPNOTSUPP;
	int fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* The file system (or an old kernel) has no O_TMPFILE. */
	if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL || errno == ENOENT)
		return -EOPNOTSUPP;
	return -errno;
}

int ymk__os_tmpfile_link(int fd, int dirfd, const char *name)
{
	if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOENT && errno != EPERM && errno != EINVAL)
		return -errno;
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) == 0 ? 0 : -errno;
}

int ymk__os_datasync(int fd)
{
	return fdatasync(fd) < 0 ? -errno : 0;
}

int64_t ymk__os_mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

int64_t ymk__os_ctime_ns(const struct stat *st)
{
	return (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

int ymk__os_socket(int family, int type)
{
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

int ymk__os_accept(int lfd, struct sockaddr *peer, socklen_t *peer_len)
{
	int fd = accept4(lfd, peer, peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0)
		return fd;
	return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

int ymk__os_pipe(int fds[2])
{
	return pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0 ? -errno : 0;
}

void ymk__os_cork(int fd, int on)
{
	(void)setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
}

long ymk__os_sendv(int fd, const struct iovec *iov, int iovcnt, int more)
{
	ssize_t n;
	int flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0);
	if (iovcnt == 1) {
		n = send(fd, iov[0].iov_base, iov[0].iov_len, flags);
	} else {
		struct msghdr msg = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt};
		n = sendmsg(fd, &msg, flags);
	}
	if (n >= 0)
		return (long)n;
	return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

long ymk__os_sendfile(int out_fd, int in_fd, uint64_t *offset, uint64_t count, int more)
{
	(void)more; /* the socket is not corked: sendfile pushes what it has */
	off_t off = (off_t)*offset;
	if (count > (1u << 30))
		count = 1u << 30;
	ssize_t n = sendfile(out_fd, in_fd, &off, (size_t)count);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	*offset = (uint64_t)off;
	return (long)n;
}

int ymk__os_child_fd(pid_t pid)
{
#ifdef SYS_pidfd_open
	long fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	(void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	return (int)fd;
#else
	(void)pid;
	return -ENOSYS;
#endif
}

uint64_t ymk__os_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
