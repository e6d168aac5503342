/* darwin-calls.c: the Darwin calls and constants lib/os_darwin.c and lib/loop_kqueue.c rely on,
 * compiled by CI with the macOS cross compiler (-c -Werror): a toolchain whose headers
 * lack one fails here, by name, instead of os_darwin.c quietly taking its fallback. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/event.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef O_NOFOLLOW_ANY
#error "O_NOFOLLOW_ANY missing: os_darwin.c would walk paths instead of opening beneath the root"
#endif
#ifndef RENAME_EXCL
#error "RENAME_EXCL missing (renameatx_np)"
#endif
#ifndef F_FULLFSYNC
#error "F_FULLFSYNC missing"
#endif
#ifndef SO_NOSIGPIPE
#error "SO_NOSIGPIPE missing"
#endif
#ifndef EVFILT_PROC
#error "EVFILT_PROC missing"
#endif
#ifndef NOTE_EXIT
#error "NOTE_EXIT missing"
#endif
#ifndef EV_CLEAR
#error "EV_CLEAR missing"
#endif

int darwin_calls(int dirfd, int fd, int sock, struct stat *st);

int darwin_calls(int dirfd, int fd, int sock, struct stat *st)
{
	off_t len = 0;
	struct kevent ev;
	EV_SET(&ev, 1, EVFILT_READ, EV_ADD | EV_CLEAR | EV_RECEIPT, 0, 0, NULL);
	return renameatx_np(dirfd, "a", dirfd, "b", RENAME_EXCL) + fcntl(fd, F_FULLFSYNC) +
	       sendfile(fd, sock, 0, &len, NULL, 0) + kevent(kqueue(), &ev, 1, NULL, 0, NULL) +
	       openat(dirfd, "x", O_RDONLY | O_NOFOLLOW_ANY) + (int)st->st_mtimespec.tv_nsec +
	       (int)st->st_ctimespec.tv_nsec;
}
