/* fs.c: the one door to the file system: every open, create, rename, link and unlink is here.
 *
 * The root is opened once; every later open is relative to its fd. On Linux openat2 resolves the
 * whole path in the kernel with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
 * so neither a symlink nor a race can lead outside the root. Where openat2 is missing the path is
 * walked one segment at a time with O_NOFOLLOW, which gives the same guarantee for the already
 * normalised paths that path.c produces (no "..", no empty segments). Files are opened
 * non-blocking so that a FIFO or a device under the root cannot stall a worker. */
#include "fs.h"

#include "alloc.h"
#include "listing.h"
#include "os.h"
#include "ymawky.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define READ_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

int ymk__fs_open_root(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOTDIR ? YMK_ENOTDIR : -errno;
	return fd;
}

/* Opens one segment beneath dfd without following a symlink; tells a symlink (-ELOOP) apart
 * from a non-directory (-ENOTDIR), which O_NOFOLLOW | O_DIRECTORY report alike on some kernels. */
static int open_segment(int dfd, const char *seg, int flags)
{
	int fd = openat(dfd, seg, flags | O_NOFOLLOW);
	if (fd >= 0)
		return fd;
	int err = errno;
	if (err == ENOTDIR || err == ELOOP) {
		struct stat st;
		if (fstatat(dfd, seg, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			return -ELOOP;
	}
	return -err;
}

int ymk__fs_open_walk(int rootfd, const char *rel, int flags)
{
	char seg[256];
	int dfd = rootfd;
	const char *p = rel;

	if (*p == '\0')
		return open_segment(rootfd, ".", flags);
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || n >= sizeof seg) {
			if (dfd != rootfd)
				close(dfd);
			return n ? -ENAMETOOLONG : -ENOENT;
		}
		memcpy(seg, p, n);
		seg[n] = '\0';
		int fd = open_segment(dfd, seg, slash ? (O_RDONLY | O_DIRECTORY | O_CLOEXEC) : flags);
		if (dfd != rootfd)
			close(dfd);
		if (fd < 0 || !slash)
			return fd;
		dfd = fd;
		p = slash + 1;
	}
}

/* An open that failed on a name that resolved: when that name is neither a regular file nor a
 * directory, the open's own errno (ENXIO for a socket or a device without a driver, ENODEV,
 * EIO, EBUSY, ...) says nothing useful, and the answer is the one for any special file. The
 * look is an lstat beneath the parent, through the same resolution as the open, and it only
 * ever turns a failure into another failure, so a rename in between cannot make anything
 * served. Failures that mean the name did not resolve, or that the process is out of
 * something, are passed on as they are. */
static int special_file_error(int rootfd, const char *rel, int err)
{
	switch (-err) {
	case ENOENT:
	case ENOTDIR:
	case ELOOP:
	case EXDEV:
	case ENAMETOOLONG:
	case EMFILE:
	case ENFILE:
	case ENOMEM:
	case EACCES: return err;
	default: break;
	}
	if (*rel == '\0')
		return err;
	const char *base;
	int dfd = ymk__fs_open_parent(rootfd, rel, &base);
	if (dfd < 0)
		return err;
	struct stat st;
	int special = fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode) &&
		      !S_ISDIR(st.st_mode);
	close(dfd);
	return special ? -EPERM : err;
}

int ymk__fs_open_read(int rootfd, const char *rel, struct stat *st)
{
	int fd = ymk__os_open_beneath(rootfd, rel, READ_FLAGS, 0);
	if (fd == -ENOSYS)
		fd = ymk__fs_open_walk(rootfd, rel, READ_FLAGS);
	if (fd < 0)
		return special_file_error(rootfd, rel, fd);
	if (fstat(fd, st) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* ---- writes ------------------------------------------------------------------------------ */

int ymk__fs_open_parent(int rootfd, const char *rel, const char **base)
{
	const char *slash = strrchr(rel, '/');
	char parent[4096];
	size_t n = slash ? (size_t)(slash - rel) : 0;
	if (n >= sizeof parent)
		return -ENAMETOOLONG;
	memcpy(parent, rel, n);
	parent[n] = '\0';
	*base = slash ? slash + 1 : rel;
	int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	int fd = ymk__os_open_beneath(rootfd, parent, flags, 0);
	if (fd == -ENOSYS)
		fd = ymk__fs_open_walk(rootfd, parent, flags);
	return fd;
}

int ymk__fs_stat_at(int dirfd, const char *name, struct stat *st)
{
	return fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

/* A fresh reserved name: pid, a per-process counter and the clock keep concurrent uploads (also
 * from several fork children) apart; O_EXCL makes a collision an error, not an overwrite. */
static void reserved_name(char *out, size_t cap)
{
	static unsigned counter;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, cap, ".ymk-upload-%ld-%u-%lx", (long)getpid(), ++counter, (unsigned long)ts.tv_nsec);
}

int ymk__fs_tmp_create(int dirfd, unsigned mode, struct ymk__tmpfile *t)
{
	t->name[0] = '\0';
	t->fd = -1;
	int fd = ymk__os_tmpfile(dirfd);
	if (fd >= 0) {
		t->fd = fd;
	} else {
		if (fd != -EOPNOTSUPP)
			return fd;
		for (int tries = 0; t->fd < 0 && tries < 8; tries++) {
			reserved_name(t->name, sizeof t->name);
			t->fd = openat(dirfd, t->name, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC,
				       0600);
			if (t->fd < 0 && errno != EEXIST)
				break;
		}
		if (t->fd < 0) {
			int err = -errno;
			t->name[0] = '\0';
			return err;
		}
	}
	if (fchmod(t->fd, mode & 07777) < 0) {
		int err = -errno;
		ymk__fs_tmp_discard(dirfd, t);
		return err;
	}
	return 0;
}

int ymk__fs_tmp_sync(struct ymk__tmpfile *t)
{
	return ymk__os_datasync(t->fd);
}

int ymk__fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void ymk__fs_tmp_discard(int dirfd, struct ymk__tmpfile *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->name[0])
		(void)unlinkat(dirfd, t->name, 0);
	t->name[0] = '\0';
}

int ymk__fs_tmp_commit(int dirfd, struct ymk__tmpfile *t, const char *base, int create_only, int *replaced)
{
	int err = 0;
	*replaced = 0;
	if (!t->name[0]) {
		/* Unnamed: linking to the final name creates it only if it does not exist. */
		err = ymk__os_tmpfile_link(t->fd, dirfd, base);
		if (err == 0)
			goto done;
		if (err != -EEXIST || create_only)
			goto fail;
		/* It exists: give the file a reserved name, then rename over the old one. */
		for (int tries = 0; tries < 8; tries++) {
			reserved_name(t->name, sizeof t->name);
			err = ymk__os_tmpfile_link(t->fd, dirfd, t->name);
			if (err != -EEXIST)
				break;
		}
		if (err) {
			t->name[0] = '\0';
			goto fail;
		}
	}
	err = ymk__os_rename_noreplace(dirfd, t->name, base);
	if (err == 0)
		goto done;
	if ((err != -EEXIST && err != -EINVAL && err != -ENOSYS) || (err == -EEXIST && create_only))
		goto fail;
	int exists = err == -EEXIST;
	if (!exists) {
		/* No RENAME_NOREPLACE here: a hard link refuses an existing name just the same, and so
		 * tells a new name from a replaced one. */
		if (linkat(dirfd, t->name, dirfd, base, 0) == 0) {
			(void)unlinkat(dirfd, t->name, 0);
			goto done;
		}
		err = -errno;
		if (create_only)
			goto fail;
		/* A file system without hard links: whether the rename replaces is looked up first. */
		struct stat st;
		exists = err == -EEXIST || fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	}
	if (renameat(dirfd, t->name, dirfd, base) < 0) {
		err = -errno;
		goto fail;
	}
	*replaced = exists;
done:
	t->name[0] = '\0';
	close(t->fd);
	t->fd = -1;
	(void)fsync(dirfd); /* the new name is durable before the client hears about it */
	return 0;
fail:
	ymk__fs_tmp_discard(dirfd, t);
	return err;
}

int ymk__fs_unlink(int dirfd, const char *name)
{
	return unlinkat(dirfd, name, 0) < 0 ? -errno : 0;
}

int ymk__fs_list(int dirfd, struct ymk__dirent **entries, size_t *n, char **pool)
{
	*entries = NULL;
	*pool = NULL;
	*n = 0;
	int fd = dup(dirfd); /* closedir() closes its fd; the caller keeps its own */
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		int err = -errno;
		close(fd);
		return err;
	}
	rewinddir(d);
	size_t cap = 0, pool_len = 0, pool_cap = 0;
	struct ymk__dirent *e = NULL;
	char *names = NULL;
	int err = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (ymk__listing_hidden(de->d_name))
			continue;
		struct stat st;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* vanished meanwhile */
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			continue;
		size_t len = strlen(de->d_name) + 1;
		if (*n == cap) {
			cap = cap ? 2 * cap : 32;
			struct ymk__dirent *ne = ymk__realloc(e, cap * sizeof *e);
			if (!ne) {
				err = YMK_ENOMEM;
				break;
			}
			e = ne;
		}
		if (pool_len + len > pool_cap) {
			pool_cap = pool_cap ? 2 * pool_cap : 1024;
			while (pool_cap < pool_len + len)
				pool_cap *= 2;
			char *np = ymk__realloc(names, pool_cap);
			if (!np) {
				err = YMK_ENOMEM;
				break;
			}
			names = np;
		}
		memcpy(names + pool_len, de->d_name, len);
		/* The name is set once the pool stops moving: the names lie in the pool in entry order. */
		e[*n] = (struct ymk__dirent){.name = NULL,
					     .is_dir = S_ISDIR(st.st_mode),
					     .size = (uint64_t)st.st_size,
					     .mtime = st.st_mtime};
		pool_len += len;
		(*n)++;
	}
	closedir(d);
	if (err) {
		ymk__free(e);
		ymk__free(names);
		*n = 0;
		return err;
	}
	const char *at = names;
	for (size_t i = 0; i < *n; i++) {
		e[i].name = at;
		at += strlen(at) + 1;
	}
	*entries = e;
	*pool = names;
	return 0;
}

int ymk__fs_read_small(int dirfd, const char *rel, size_t max, char **buf, size_t *len)
{
	struct stat st;
	*buf = NULL;
	*len = 0;
	int fd = ymk__fs_open_read(dirfd, rel, &st);
	if (fd < 0)
		return fd;
	int err = 0;
	if (!S_ISREG(st.st_mode))
		err = -EPERM;
	else if ((uint64_t)st.st_size > max)
		err = -EFBIG;
	else if (!(*buf = ymk__malloc((size_t)st.st_size + 1)))
		err = YMK_ENOMEM;
	while (!err && *len < (size_t)st.st_size) {
		ssize_t r = read(fd, *buf + *len, (size_t)st.st_size - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : -EIO;
			break;
		}
		*len += (size_t)r;
	}
	close(fd);
	if (err) {
		ymk__free(*buf);
		*buf = NULL;
		*len = 0;
	}
	return err;
}
