/* loop_poll.c: the portable readiness backend of the event loop (see loop.h): one array of
 * struct pollfd handed to poll(), for the portable build and for embedders whose own loop is
 * poll()-based.
 *
 * poll() is level-triggered, so the edge hint is ignored: the connection code works until the
 * kernel says EAGAIN, and a connection is only reported while it really is ready. The array is
 * the registry itself: an fd's slot is found through a table indexed by the fd, so add, mod, del
 * and closing are O(1) (del swaps the last entry in). Each wait reports ready fds starting after
 * the last one reported before, so that more ready fds than the caller takes cannot starve the
 * ones at the end of the array.
 *
 * poll() has no fd of its own that an embedder could watch: ymk__backend_fd() is YMK_ENOTSUP,
 * and ymk__backend_pollfds() copies the array out instead, so that the embedder's poll() watches
 * the same fds (ymk_server_pollfds()). A kernel set forgets a closed fd; this array does not, so
 * the loop says ymk__backend_closing() before it closes a registered fd. */
#include "loop.h"

#include "alloc.h"
#include "ymawky.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>

struct ymk__backend {
	struct pollfd *pfd;
	void **tag;
	size_t n, cap;
	size_t *slot; /* fd -> index + 1 in pfd; 0: not registered */
	size_t nslot;
	size_t next; /* the index the next wait starts reporting from */
};

int ymk__backend_open(struct ymk__backend **out)
{
	struct ymk__backend *b = ymk__calloc(1, sizeof *b);
	if (!b)
		return YMK_ENOMEM;
	*out = b;
	return 0;
}

void ymk__backend_close(struct ymk__backend *b)
{
	if (!b)
		return;
	ymk__free(b->pfd);
	ymk__free(b->tag);
	ymk__free(b->slot);
	ymk__free(b);
}

int ymk__backend_fd(const struct ymk__backend *b)
{
	(void)b;
	return YMK_ENOTSUP;
}

int ymk__backend_pollfds(const struct ymk__backend *b, struct pollfd *fds, size_t cap)
{
	for (size_t i = 0; i < b->n && i < cap; i++)
		fds[i] = (struct pollfd){.fd = b->pfd[i].fd, .events = b->pfd[i].events};
	return b->n > INT_MAX ? INT_MAX : (int)b->n;
}

static short poll_events(unsigned events)
{
	return (short)((events & YMK__EV_READ ? POLLIN : 0) | (events & YMK__EV_WRITE ? POLLOUT : 0));
}

/* The slot table covers fd; 0 or YMK_ENOMEM. */
static int cover(struct ymk__backend *b, int fd)
{
	if ((size_t)fd < b->nslot)
		return 0;
	size_t n = b->nslot ? b->nslot : 64;
	while (n <= (size_t)fd)
		n *= 2;
	size_t *s = ymk__realloc(b->slot, n * sizeof *s);
	if (!s)
		return YMK_ENOMEM;
	memset(s + b->nslot, 0, (n - b->nslot) * sizeof *s);
	b->slot = s;
	b->nslot = n;
	return 0;
}

static size_t slot_of(const struct ymk__backend *b, int fd)
{
	return fd >= 0 && (size_t)fd < b->nslot ? b->slot[fd] : 0;
}

int ymk__backend_add(struct ymk__backend *b, int fd, unsigned events, int edge, void *tag)
{
	(void)edge; /* poll() is level-triggered; see the top of this file */
	if (fd < 0)
		return -EBADF;
	if (slot_of(b, fd))
		return -EEXIST;
	if (cover(b, fd) < 0)
		return YMK_ENOMEM;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct pollfd *p = ymk__realloc(b->pfd, cap * sizeof *p);
		if (!p)
			return YMK_ENOMEM;
		b->pfd = p;
		void **t = ymk__realloc(b->tag, cap * sizeof *t);
		if (!t)
			return YMK_ENOMEM;
		b->tag = t;
		b->cap = cap;
	}
	b->pfd[b->n] = (struct pollfd){.fd = fd, .events = poll_events(events)};
	b->tag[b->n] = tag;
	b->slot[fd] = ++b->n;
	return 0;
}

int ymk__backend_mod(struct ymk__backend *b, int fd, unsigned events, int edge, void *tag)
{
	(void)edge;
	size_t s = slot_of(b, fd);
	if (!s)
		return -ENOENT;
	b->pfd[s - 1].events = poll_events(events);
	b->tag[s - 1] = tag;
	return 0;
}

int ymk__backend_del(struct ymk__backend *b, int fd)
{
	size_t s = slot_of(b, fd);
	if (!s)
		return -ENOENT;
	size_t i = s - 1, last = --b->n;
	b->slot[fd] = 0;
	if (i != last) {
		b->pfd[i] = b->pfd[last];
		b->tag[i] = b->tag[last];
		b->slot[b->pfd[i].fd] = i + 1;
	}
	return 0;
}

void ymk__backend_closing(struct ymk__backend *b, int fd)
{
	(void)ymk__backend_del(b, fd);
}

int ymk__backend_wait(struct ymk__backend *b, struct ymk__event *ev, int max, int timeout_ms)
{
	int r = poll(b->pfd, (nfds_t)b->n, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (r == 0 || b->n == 0)
		return 0;
	int got = 0;
	size_t start = b->next < b->n ? b->next : 0, i = start;
	do {
		short re = b->pfd[i].revents;
		if (re) {
			/* Hang-ups and errors wake whichever side waits, as epoll reports them. POLLNVAL
			 * (an fd closed behind the loop's back) is reported too: the owner's next call
			 * then fails and closes, rather than waiting for ever. */
			ev[got].tag = b->tag[i];
			ev[got].events = (re & (POLLIN | POLLHUP | POLLERR | POLLNVAL) ? YMK__EV_READ : 0u) |
					 (re & (POLLOUT | POLLHUP | POLLERR | POLLNVAL) ? YMK__EV_WRITE : 0u);
			if (++got == max || got == r) {
				i = i + 1 == b->n ? 0 : i + 1;
				break;
			}
		}
		i = i + 1 == b->n ? 0 : i + 1;
	} while (i != start);
	b->next = i;
	return got;
}
