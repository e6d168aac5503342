/* fs.c: the one door to the file system.
 *
 * The root is opened once; every later open is relative to its fd. On Linux openat2 resolves the
 * whole path in the kernel with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
 * so neither a symlink nor a race can lead outside the root. Where openat2 is missing the path is
 * walked one segment at a time with O_NOFOLLOW, which gives the same guarantee for the already
 * normalised paths that path.c produces (no "..", no empty segments). Files are opened
 * non-blocking so that a FIFO or a device under the root cannot stall a worker. */
#include "fs.h"

#include "os.h"
#include "ymawky.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
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

int ymk__fs_open_read(int rootfd, const char *rel, struct stat *st)
{
	int fd = ymk__os_open_beneath(rootfd, rel, READ_FLAGS, 0);
	if (fd == -ENOSYS)
		fd = ymk__fs_open_walk(rootfd, rel, READ_FLAGS);
	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}
