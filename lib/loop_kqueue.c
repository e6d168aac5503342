/* loop_kqueue.c: the macOS (and BSD) readiness backend of the event loop (see loop.h): one
 * kqueue.
 *
 * An fd has a read filter and a write filter; a registration adds both, the unwanted one
 * disabled, so that a later change of interest only enables and disables (never deletes a
 * filter that is not there). The edge hint is EV_CLEAR: the filter reports a change of state
 * once, as epoll's EPOLLET does. kqueue forgets an fd when it is closed.
 *
 * The kqueue fd is what ymk_server_fd() returns. It is pollable: poll() and select() report it
 * readable while events are pending in it, that is while a level-triggered filter's condition
 * holds or an EV_CLEAR filter's new state has not been collected yet, and kevent() collecting
 * them is what ymk_server_process() does. So it is level-triggered from outside, as the epoll fd
 * is, and an embedder's loop that polls it again after ymk_server_process() sees it readable
 * exactly while work is left. */
#include "loop.h"

#include "alloc.h"
#include "ymawky.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

struct ymk__backend {
	int kq;
	struct kevent evs[128];
};

int ymk__backend_open(struct ymk__backend **out)
{
	struct ymk__backend *b = ymk__calloc(1, sizeof *b);
	if (!b)
		return YMK_ENOMEM;
	b->kq = kqueue();
	if (b->kq < 0) {
		int err = -errno;
		ymk__free(b);
		return err;
	}
	/* A kqueue is not inherited by fork(); close-on-exec for the exec() of a thread's child. */
	(void)fcntl(b->kq, F_SETFD, FD_CLOEXEC);
	*out = b;
	return 0;
}

void ymk__backend_close(struct ymk__backend *b)
{
	if (!b)
		return;
	close(b->kq);
	ymk__free(b);
}

int ymk__backend_fd(const struct ymk__backend *b)
{
	return b->kq;
}

int ymk__backend_pollfds(const struct ymk__backend *b, struct pollfd *fds, size_t cap)
{
	if (cap)
		fds[0] = (struct pollfd){.fd = b->kq, .events = POLLIN};
	return 1;
}

static int change(struct ymk__backend *b, int fd, unsigned events, int edge, void *tag)
{
	unsigned short clear = edge ? EV_CLEAR : 0;
	struct kevent ch[2];
	EV_SET(&ch[0], (uintptr_t)fd, EVFILT_READ,
	       EV_ADD | clear | (events & YMK__EV_READ ? EV_ENABLE : EV_DISABLE), 0, 0, tag);
	EV_SET(&ch[1], (uintptr_t)fd, EVFILT_WRITE,
	       EV_ADD | clear | (events & YMK__EV_WRITE ? EV_ENABLE : EV_DISABLE), 0, 0, tag);
	return kevent(b->kq, ch, 2, NULL, 0, NULL) < 0 ? -errno : 0;
}

int ymk__backend_add(struct ymk__backend *b, int fd, unsigned events, int edge, void *tag)
{
	return change(b, fd, events, edge, tag);
}

int ymk__backend_mod(struct ymk__backend *b, int fd, unsigned events, int edge, void *tag)
{
	return change(b, fd, events, edge, tag);
}

int ymk__backend_del(struct ymk__backend *b, int fd)
{
	struct kevent ch[2];
	EV_SET(&ch[0], (uintptr_t)fd, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	EV_SET(&ch[1], (uintptr_t)fd, EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
	/* EV_RECEIPT: each change answers on its own, so a missing filter does not hide the other. */
	struct kevent res[2];
	ch[0].flags |= EV_RECEIPT;
	ch[1].flags |= EV_RECEIPT;
	int n = kevent(b->kq, ch, 2, res, 2, NULL);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++)
		if ((res[i].flags & EV_ERROR) && res[i].data != 0 && res[i].data != ENOENT)
			return -(int)res[i].data;
	return 0;
}

void ymk__backend_closing(struct ymk__backend *b, int fd)
{
	(void)b; /* kqueue forgets a closed fd by itself */
	(void)fd;
}

int ymk__backend_wait(struct ymk__backend *b, struct ymk__event *ev, int max, int timeout_ms)
{
	if (max > (int)(sizeof b->evs / sizeof b->evs[0]))
		max = (int)(sizeof b->evs / sizeof b->evs[0]);
	struct timespec ts, *tp = NULL;
	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000;
		tp = &ts;
	}
	int n = kevent(b->kq, NULL, 0, b->evs, max, tp);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	int got = 0;
	for (int i = 0; i < n; i++) {
		const struct kevent *k = &b->evs[i];
		unsigned e;
		if (k->flags & EV_ERROR)
			e = YMK__EV_READ | YMK__EV_WRITE;
		else if (k->filter == EVFILT_READ)
			e = YMK__EV_READ;
		else
			e = YMK__EV_WRITE | (k->flags & EV_EOF ? YMK__EV_READ : 0u);
		/* One fd can answer through both filters in one batch: the caller hears of it once,
		 * as from epoll, since a connection may be closed and freed by its first event. */
		int j = 0;
		while (j < got && ev[j].tag != k->udata)
			j++;
		if (j < got) {
			ev[j].events |= e;
			continue;
		}
		ev[got].tag = k->udata;
		ev[got].events = e;
		got++;
	}
	return got;
}
