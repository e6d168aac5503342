/* fs.h: the only place that opens files. Every open is relative to the root directory fd and
 * refuses symlinks at any depth; see fs.c. */
#ifndef YMK_FS_H
#define YMK_FS_H

#include <sys/stat.h>

/* Opens the document root directory. Returns the fd, -errno, or YMK_ENOTDIR. */
int ymk__fs_open_root(const char *path);

/* Opens the normalised root-relative path `rel` ("" = the root) for reading, beneath rootfd, with
 * no symlink at any depth, without blocking on FIFOs or devices, and fills *st.
 * Returns the fd or -errno: -ENOENT/-ENOTDIR (missing), -ELOOP (a symlink on the way),
 * -EACCES, -ENAMETOOLONG... */
int ymk__fs_open_read(int rootfd, const char *rel, struct stat *st);

/* The portable fallback used when openat2 is missing: walks `rel` one segment at a time with
 * O_NOFOLLOW. Exposed so that unit tests run it on kernels that have openat2. */
int ymk__fs_open_walk(int rootfd, const char *rel, int flags);

#endif
