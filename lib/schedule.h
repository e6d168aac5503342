/* schedule.h: work a server does besides readiness of its fds: calls posted from other threads,
 * one-shot timers, and connections the embedder made ready (an answer or stream data for a
 * deferred request). Every model drives it the same way: ymk__sched_run() on each wake-up, then
 * the connections from ymk__sched_take_ready(), and a wait of at most ymk__sched_timeout().
 *
 * Only ymk_server_post() may be called from another thread: posted calls are pushed onto a
 * lock-free stack (one atomic exchange takes them all), so a post never blocks, never waits on a
 * lock a forked child could have inherited held, and wakes the loop through the wake pipe.
 * Everything else here belongs to the server's thread. */
#ifndef YMK_SCHEDULE_H
#define YMK_SCHEDULE_H

#include "ymawky.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* A link in the list of ready connections, embedded in struct ymk__conn. */
struct ymk__ready {
	struct ymk__ready *prev, *next; /* in the list when prev is set or it is the first */
};

struct ymk__post;
struct ymk__timer;

struct ymk__sched {
	_Atomic(struct ymk__post *) posts; /* newest first */
	struct ymk__timer **heap;          /* min-heap by (due, id) */
	size_t n, cap;
	uint64_t next_id;
	struct ymk__ready *first, *last; /* ready connections, in the order they became ready */
	size_t n_ready;
	/* A model is serving (ymk_server_process(), a fork child): work made by the embedder now is
	 * seen before the model waits again. Outside (the embedder's own callbacks between
	 * ymk_server_process() calls), a new timer or a ready connection also wakes the server's
	 * fd, so that the embedder's loop asks ymk_server_timeout() again. */
	int busy;
};

void ymk__sched_init(struct ymk__sched *s);

/* Drops pending posted calls and timers without calling them, and forgets the ready list (a
 * forked child drops what belongs to its parent; ymk_server_free() what never ran). */
void ymk__sched_free(struct ymk__sched *s);

/* Runs the posted calls (in the order they were posted), then the timers that are due and were
 * set before this call began (a timer set by a timer for "now" runs on the next call). */
void ymk__sched_run(ymk_server *srv);

/* Milliseconds the model may wait: 0 when posted calls or ready connections wait, else until the
 * next timer, -1 when there is none. */
int ymk__sched_timeout(const struct ymk__sched *s, uint64_t now);

/* The monotonic time (ms) of the next timer, or UINT64_MAX; 0 when posts or ready connections
 * wait. */
uint64_t ymk__sched_next(const struct ymk__sched *s);

/* Queues a connection of srv to be stepped (once, however often it is made ready before). */
void ymk__sched_ready(ymk_server *srv, struct ymk__ready *r);

/* Takes a connection off the list (a connection that closes). */
void ymk__sched_unready(struct ymk__sched *s, struct ymk__ready *r);

/* 1 when r is in the ready list, else 0. */
int ymk__sched_is_ready(const struct ymk__sched *s, const struct ymk__ready *r);

/* Pops the first ready connection, or NULL. */
struct ymk__ready *ymk__sched_take_ready(struct ymk__sched *s);

#endif
