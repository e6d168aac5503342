/* os.h: the calls that differ between kernels, behind one internal interface.
 *
 * os_linux.c implements them with openat2, sendfile and pidfd; a BSD or macOS port adds its own
 * os_*.c (O_NOFOLLOW_ANY / O_RESOLVE_BENEATH, its sendfile flavour, kqueue EVFILT_PROC) and
 * nothing else in lib/ changes. */
#ifndef YMK_OS_H
#define YMK_OS_H

#include <stdint.h>
#include <sys/types.h>

/* Opens `rel` (relative, no leading '/', "" = the directory itself) beneath dirfd, refusing any
 * symlink or magic link on the way and any escape from dirfd. Returns an fd or -errno; -ENOSYS
 * when the kernel has no such call (the caller then walks the path itself). */
int ymk__os_open_beneath(int dirfd, const char *rel, int flags, mode_t mode);

/* Sends up to count bytes of in_fd from *offset to the socket out_fd, advancing *offset.
 * Returns bytes sent (> 0), 0 when in_fd has no more bytes, or -errno (-EAGAIN when the
 * socket is full). Never raises SIGPIPE where the platform allows that. */
long ymk__os_sendfile(int out_fd, int in_fd, uint64_t *offset, uint64_t count);

/* Renames old to new (both relative to dirfd) only if new does not exist. 0 or -errno: -EEXIST
 * when it exists, -ENOSYS/-EINVAL where the kernel or file system cannot do it atomically. */
int ymk__os_rename_noreplace(int dirfd, const char *old, const char *new_name);

/* An fd that becomes readable when child `pid` exits (Linux: pidfd). -errno on failure. */
int ymk__os_child_fd(pid_t pid);

/* Monotonic clock in milliseconds. */
uint64_t ymk__os_now_ms(void);

#endif
