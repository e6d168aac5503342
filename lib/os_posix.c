/* os_posix.c: os.h with POSIX.1-2008 calls alone, for the portable build (meson option
 * -Dplatform=posix) on any system. Each call here is the fallback that the rest of lib/ already
 * has a path for: no kernel-side "beneath" resolution (-ENOSYS: fs.c walks the path one segment
 * at a time with O_NOFOLLOW), no atomic "rename unless it exists" (-ENOSYS: fs.c links, then
 * unlinks), no unnamed temporary files (-EOPNOTSUPP: fs.c uses reserved names), no sendfile
 * (-ENOSYS: transport_sock.c reads with pread and sends), no child-exit fd (-ENOSYS: fork.c polls
 * waitpid), fsync for durability, pipe/socket/accept followed by fcntl for the fd flags. On Linux
 * this build runs the whole test suite, so every path the Darwin build shares with it is tested
 * on every change (docs/platforms.md). */
#include "os_posix.h"
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int ymk__os_open_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
	(void)dirfd;
	(void)rel;
	(void)flags;
	(void)mode;
	return -ENOSYS;
}

int ymk__os_rename_noreplace(int dirfd, const char *old, const char *new_name)
{
	(void)dirfd;
	(void)old;
	(void)new_name;
	return -ENOSYS;
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
	return -EOPNOTSUPP; /* ymk__os_tmpfile() never made one */
}

int ymk__os_datasync(int fd)
{
	return fsync(fd) < 0 ? -errno : 0;
}

/* POSIX.1-2008 gives struct stat nanosecond times (st_mtim); before it, seconds only. */
#if defined(_POSIX_VERSION) && _POSIX_VERSION >= 200809L
int64_t ymk__os_mtime_ns(const struct stat *st)
{
	return ymk__posix_ns(&st->st_mtim);
}

int64_t ymk__os_ctime_ns(const struct stat *st)
{
	return ymk__posix_ns(&st->st_ctim);
}
#else
int64_t ymk__os_mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtime * 1000000000;
}

int64_t ymk__os_ctime_ns(const struct stat *st)
{
	return (int64_t)st->st_ctime * 1000000000;
}
#endif

int ymk__os_socket(int family, int type)
{
	return ymk__posix_socket(family, type);
}

int ymk__os_accept(int lfd, struct sockaddr *peer, socklen_t *peer_len)
{
	return ymk__posix_accept(lfd, peer, peer_len);
}

int ymk__os_pipe(int fds[2])
{
	return ymk__posix_pipe(fds);
}

/* MSG_NOSIGNAL is POSIX.1-2008; where a system lacks it, the event loop's ymk_server_run() and
 * every fork child ignore SIGPIPE, and an embedder driving the loop must (include/ymawky.h). */
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

/* POSIX has no corking option (TCP_CORK is Linux's): a TLS layer's records leave as they are
 * written, which costs segments, not correctness. */
void ymk__os_cork(int fd, int on)
{
	(void)fd, (void)on;
}

long ymk__os_sendv(int fd, const struct iovec *iov, int iovcnt, int more)
{
	(void)more; /* no portable way to hold a partial packet back */
	return ymk__posix_sendv(fd, iov, iovcnt, MSG_NOSIGNAL);
}

long ymk__os_sendfile(int out_fd, int in_fd, uint64_t *offset, uint64_t count, int more)
{
	(void)out_fd;
	(void)in_fd;
	(void)offset;
	(void)count;
	(void)more;
	return -ENOSYS;
}

int ymk__os_child_fd(pid_t pid)
{
	(void)pid;
	return -ENOSYS;
}

uint64_t ymk__os_now_ms(void)
{
	return ymk__posix_now_ms();
}
