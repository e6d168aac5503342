/* loop_epoll.c: the Linux readiness backend of the event loop (see loop.h): one epoll set. */
#include "loop.h"

#include "alloc.h"
#include "ymawky.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

struct ymk__backend {
	int ep;
	struct epoll_event evs[128];
};

int ymk__backend_open(struct ymk__backend **out)
{
	struct ymk__backend *b = ymk__calloc(1, sizeof *b);
	if (!b)
		return YMK_ENOMEM;
	b->ep = epoll_create1(EPOLL_CLOEXEC);
	if (b->ep < 0) {
		int err = -errno;
		ymk__free(b);
		return err;
	}
	*out = b;
	return 0;
}

void ymk__backend_close(struct ymk__backend *b)
{
	if (!b)
		return;
	close(b->ep);
	ymk__free(b);
}

int ymk__backend_fd(const struct ymk__backend *b)
{
	return b->ep;
}

int ymk__backend_pollfds(const struct ymk__backend *b, struct pollfd *fds, size_t cap)
{
	if (cap)
		fds[0] = (struct pollfd){.fd = b->ep, .events = POLLIN};
	return 1;
}

static int ctl(struct ymk__backend *b, int op, int fd, unsigned events, int edge, void *tag)
{
	/* A connection waiting for input also hears of the peer's half-close at once. */
	struct epoll_event e = {
		.events = (events & YMK__EV_READ ? EPOLLIN | EPOLLRDHUP : 0u) |
			  (events & YMK__EV_WRITE ? EPOLLOUT : 0u) | (edge ? EPOLLET : 0u),
		.data.ptr = tag,
	};
	return epoll_ctl(b->ep, op, fd, &e) < 0 ? -errno : 0;
}

int ymk__backend_add(struct ymk__backend *b, int fd, unsigned events, int edge, void *tag)
{
	return ctl(b, EPOLL_CTL_ADD, fd, events, edge, tag);
}

int ymk__backend_mod(struct ymk__backend *b, int fd, unsigned events, int edge, void *tag)
{
	return ctl(b, EPOLL_CTL_MOD, fd, events, edge, tag);
}

int ymk__backend_del(struct ymk__backend *b, int fd)
{
	return epoll_ctl(b->ep, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

void ymk__backend_closing(struct ymk__backend *b, int fd)
{
	(void)b; /* epoll forgets a closed fd by itself */
	(void)fd;
}

int ymk__backend_wait(struct ymk__backend *b, struct ymk__event *ev, int max, int timeout_ms)
{
	if (max > (int)(sizeof b->evs / sizeof b->evs[0]))
		max = (int)(sizeof b->evs / sizeof b->evs[0]);
	int n = epoll_wait(b->ep, b->evs, max, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		unsigned e = b->evs[i].events;
		ev[i].tag = b->evs[i].data.ptr;
		ev[i].events = (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR) ? YMK__EV_READ : 0u) |
			       (e & (EPOLLOUT | EPOLLHUP | EPOLLERR) ? YMK__EV_WRITE : 0u);
	}
	return n;
}
