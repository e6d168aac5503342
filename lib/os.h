/* os.h: the calls that differ between kernels, behind one internal interface.
 *
 * This header and the os_*.c file of the platform are the only place in lib/ that knows which
 * kernel it runs on; lib/meson.build picks the file by host_machine.system(). os_linux.c
 * implements the interface with openat2, sendfile, O_TMPFILE and pidfds; os_darwin.c with
 * O_NOFOLLOW_ANY, renameatx_np, F_FULLFSYNC, Darwin's sendfile and kqueue; os_posix.c (the
 * portable build, -Dplatform=posix) with POSIX calls alone, answering -ENOSYS or -EOPNOTSUPP
 * where the caller has a fallback (docs/platforms.md). A new platform adds its own os_*.c (and a
 * loop backend, see loop.h) and changes no other file. Every function is a leaf: it calls the C
 * library and the kernel only. */
#ifndef YMK_OS_H
#define YMK_OS_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

/* ---- files ---------------------------------------------------------------------------------- */

/* Opens `rel` (relative, no leading '/', "" = the directory itself) beneath dirfd, refusing any
 * symlink or magic link on the way and any escape from dirfd. Returns an fd or -errno; -ENOSYS
 * when the kernel has no such call (the caller then walks the path itself, see fs.c). */
int ymk__os_open_beneath(int dirfd, const char *rel, int flags, mode_t mode);

/* Renames old to new (both relative to dirfd) only if new does not exist. 0 or -errno: -EEXIST
 * when it exists, -ENOSYS/-EINVAL where the kernel or file system cannot do it atomically. */
int ymk__os_rename_noreplace(int dirfd, const char *old, const char *new_name);

/* Creates an unnamed temporary file in dirfd (read-write, close-on-exec, mode 0600) that no path
 * names until ymk__os_tmpfile_link() gives it one. Returns the fd, or -EOPNOTSUPP where the
 * platform or the file system has no such files (the caller then uses a reserved name), or
 * another -errno. */
int ymk__os_tmpfile(int dirfd);

/* Gives an unnamed temporary file from ymk__os_tmpfile() the name `name` in dirfd; fails with
 * -EEXIST when the name exists. 0 or -errno. */
int ymk__os_tmpfile_link(int fd, int dirfd, const char *name);

/* Makes a file's data durable (what an atomic replace needs before its rename). 0 or -errno. */
int ymk__os_datasync(int fd);

/* The modification and status-change times of st in nanoseconds since the epoch. */
int64_t ymk__os_mtime_ns(const struct stat *st);
int64_t ymk__os_ctime_ns(const struct stat *st);

/* ---- sockets and pipes ---------------------------------------------------------------------- */

/* A socket that is non-blocking and close-on-exec. The fd or -errno. */
int ymk__os_socket(int family, int type);

/* Accepts one connection from the listening socket lfd: the new socket is non-blocking,
 * close-on-exec and never raises SIGPIPE where the platform allows a per-socket choice.
 * Returns the fd or -errno (-EAGAIN when none is waiting). */
int ymk__os_accept(int lfd, struct sockaddr *peer, socklen_t *peer_len);

/* A pipe whose ends are non-blocking and close-on-exec. 0 or -errno. */
int ymk__os_pipe(int fds[2]);

/* Sends the vector to the socket without blocking and without raising SIGPIPE. more: further
 * bytes follow at once (the kernel may hold a partial packet back). Returns the bytes sent, or
 * -errno (-EAGAIN when the socket is full). */
long ymk__os_sendv(int fd, const struct iovec *iov, int iovcnt, int more);

/* Sends up to count bytes of in_fd from *offset to the socket out_fd, advancing *offset.
 * Returns bytes sent (> 0), 0 when in_fd has no more bytes, or -errno (-EAGAIN when the
 * socket is full). -ENOSYS where the platform has no such call (the caller reads and sends). */
long ymk__os_sendfile(int out_fd, int in_fd, uint64_t *offset, uint64_t count, int more);

/* Holds partial TCP segments back (on) until it is turned off, so that a run of small writes (a
 * TLS layer writes one 16 KiB record at a time) leaves in full segments. Does nothing on a
 * socket that is not TCP. */
void ymk__os_cork(int fd, int on);

/* ---- processes and time --------------------------------------------------------------------- */

/* An fd that becomes readable when child `pid` exits (Linux: pidfd). -errno on failure; -ENOSYS
 * where there is none (the caller then polls with waitpid()). */
int ymk__os_child_fd(pid_t pid);

/* Monotonic clock in milliseconds. */
uint64_t ymk__os_now_ms(void);

#endif
