/* loop.h: the interface between the event model's portable loop (loop.c) and the one readiness
 * backend of the platform (loop_epoll.c on Linux, loop_kqueue.c on macOS, loop_poll.c in the
 * portable build).
 *
 * A backend watches fds for readiness and returns the tags they were registered with. The
 * portable loop owns everything else: the timer heap, the connection registry, bounded accepting,
 * pausing the listener, and what each connection waits for. A backend may treat `edge` as a hint:
 * the connection code works until the kernel says EAGAIN, so level-triggered readiness is correct
 * too, only with more wake-ups. The backend's fd must be pollable for readability by an embedder's
 * loop and stay readable while any registered fd is ready (level-triggered from outside); a
 * backend that has no such fd (poll) exports its whole set through ymk__backend_pollfds()
 * instead. */
#ifndef YMK_LOOP_H
#define YMK_LOOP_H

#include <poll.h>
#include <stddef.h>

#define YMK__EV_READ (1u << 0)
#define YMK__EV_WRITE (1u << 1)

struct ymk__backend;

struct ymk__event {
	void *tag;
	unsigned events; /* YMK__EV_* that are ready; hang-ups and errors are reported as READ */
};

/* Creates the backend. 0 or -errno. */
int ymk__backend_open(struct ymk__backend **out);
void ymk__backend_close(struct ymk__backend *b);

/* The backend's own pollable fd (what ymk_server_fd() returns), or YMK_ENOTSUP where the backend
 * has none (poll). */
int ymk__backend_fd(const struct ymk__backend *b);

/* What an embedder's loop must watch for this backend (ymk_server_pollfds()): the backend's own
 * fd for POLLIN (epoll, kqueue), or every registered fd with POLLIN or POLLOUT (poll). Fills at
 * most cap entries and returns how many there are in all. */
int ymk__backend_pollfds(const struct ymk__backend *b, struct pollfd *fds, size_t cap);

/* Registers fd for the YMK__EV_* in events, or changes its registration; edge: report a
 * readiness change once rather than as long as it lasts. 0 or -errno. */
int ymk__backend_add(struct ymk__backend *b, int fd, unsigned events, int edge, void *tag);
int ymk__backend_mod(struct ymk__backend *b, int fd, unsigned events, int edge, void *tag);

/* Forgets fd. 0 or -errno. */
int ymk__backend_del(struct ymk__backend *b, int fd);

/* fd is about to be closed. A kernel set (epoll, kqueue) forgets a closed fd by itself and does
 * nothing here, without a system call; the poll backend drops the fd from its array, so that the
 * number is not watched for whoever gets it next. */
void ymk__backend_closing(struct ymk__backend *b, int fd);

/* Waits up to timeout_ms (-1: without limit, 0: not at all) for readiness and fills at most max
 * events. Returns their number, 0 on timeout or interruption, or -errno. */
int ymk__backend_wait(struct ymk__backend *b, struct ymk__event *ev, int max, int timeout_ms);

#endif
