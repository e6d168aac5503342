/* os_linux.c: Linux versions of the calls in os.h (openat2, sendfile, pidfd_open). */
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/sendfile.h>
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
	(void)dirfd; (void)rel; (void)flags; (void)mode;
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
	(void)dirfd; (void)old; (void)new_name;
	return -ENOSYS;
#endif
}

long ymk__os_sendfile(int out_fd, int in_fd, uint64_t *offset, uint64_t count)
{
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
