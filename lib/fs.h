/* fs.h: the only place that opens files. Every open is relative to the root directory fd and
 * refuses symlinks at any depth; see fs.c. */
#ifndef YMK_FS_H
#define YMK_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

/* Opens the document root directory. Returns the fd, -errno, or YMK_ENOTDIR. */
int ymk__fs_open_root(const char *path);

/* Opens the normalised root-relative path `rel` ("" = the root) for reading, beneath rootfd, with
 * no symlink at any depth, without blocking on FIFOs or devices, and fills *st.
 * Returns the fd or -errno: -ENOENT/-ENOTDIR (missing), -ELOOP (a symlink on the way),
 * -EACCES, -ENAMETOOLONG..., and -EPERM whenever rel names something other than a regular file
 * or a directory that cannot be opened (a socket, a device without a driver), whatever the open
 * said. A special file that does open (a FIFO, most devices) is returned; the caller checks
 * st->st_mode. */
int ymk__fs_open_read(int rootfd, const char *rel, struct stat *st);

/* The portable fallback used when openat2 is missing: walks `rel` one segment at a time with
 * O_NOFOLLOW. Exposed so that unit tests run it on kernels that have openat2. */
int ymk__fs_open_walk(int rootfd, const char *rel, int flags);

/* ---- writes: everything that creates, renames or removes a file ---------------------------- */

/* Opens the directory that holds rel's last segment, beneath rootfd with no symlinks, and sets
 * *base to that segment (a pointer into rel). rel must be non-empty. Returns the directory fd or
 * -errno (-ENOENT missing parent, -ENOTDIR a parent is a file, -ELOOP a symlink on the way). */
int ymk__fs_open_parent(int rootfd, const char *rel, const char **base);

/* lstat of name in dirfd (a symlink is reported as one). 0 or -errno. */
int ymk__fs_stat_at(int dirfd, const char *name, struct stat *st);

/* A temporary file in a directory that no request can name: O_TMPFILE (no name at all) where the
 * file system has it, else a name with the reserved prefix, created exclusively. */
struct ymk__tmpfile {
	int fd;
	char name[64]; /* "" for an O_TMPFILE file */
};

/* Creates the temporary file with the given permission bits (not masked by the umask).
 * 0 or -errno. */
int ymk__fs_tmp_create(int dirfd, unsigned mode, struct ymk__tmpfile *t);

/* Puts the temporary file in place as `base` atomically: a new name is created only if none
 * exists (*replaced = 0), otherwise the old file is replaced by rename (*replaced = 1), unless
 * create_only, which then fails with -EEXIST; the directory is flushed too. The temporary file is
 * consumed in every case (closed; a named one is removed on failure). 0 or -errno (-EISDIR when
 * base is a directory). */
int ymk__fs_tmp_commit(int dirfd, struct ymk__tmpfile *t, const char *base, int create_only, int *replaced);

/* Flushes the temporary file's data (fdatasync). 0 or -errno (-ENOSPC, -EIO...). */
int ymk__fs_tmp_sync(struct ymk__tmpfile *t);

/* Writes all of data[0..len) to fd (a temporary file). 0 or -errno (-ENOSPC, -EDQUOT, -EFBIG...). */
int ymk__fs_write_all(int fd, const void *data, size_t len);

/* Throws the temporary file away. */
void ymk__fs_tmp_discard(int dirfd, struct ymk__tmpfile *t);

/* Removes the regular file `name` in dirfd. 0 or -errno. */
int ymk__fs_unlink(int dirfd, const char *name);

/* One directory's visible entries for a listing: regular files and directories only (symlinks and
 * other types are left out), names starting with '.' left out. The names live in *pool.
 * Returns 0 or -errno / YMK_ENOMEM; free *entries and *pool with ymk__free(). */
struct ymk__dirent;
int ymk__fs_list(int dirfd, struct ymk__dirent **entries, size_t *n, char **pool);

/* Reads a whole regular file rel (beneath dirfd, no symlinks) of at most max bytes into a new
 * buffer. 0 or -errno (-EFBIG when larger, -EPERM when not a regular file) / YMK_ENOMEM. */
int ymk__fs_read_small(int dirfd, const char *rel, size_t max, char **buf, size_t *len);

#endif
