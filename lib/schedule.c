/* schedule.c: posted calls, timers and ready connections (see schedule.h), and the public calls that
 * feed them: ymk_server_post(), ymk_server_timer() and ymk_server_timer_cancel(). */
#include "schedule.h"

#include "alloc.h"
#include "internal.h"
#include "os.h"
#include "wake.h"

#include <limits.h>
#include <string.h>

struct ymk__post {
	struct ymk__post *next;
	ymk_post_fn *fn;
	void *user;
};

struct ymk__timer {
	uint64_t due, id;
	size_t index;
	ymk_timer_fn *fn;
	void *user;
};

void ymk__sched_init(struct ymk__sched *s)
{
	memset(s, 0, sizeof *s);
	atomic_init(&s->posts, NULL);
	s->next_id = 1;
}

void ymk__sched_free(struct ymk__sched *s)
{
	struct ymk__post *p = atomic_exchange(&s->posts, NULL);
	while (p) {
		struct ymk__post *next = p->next;
		ymk__free(p);
		p = next;
	}
	for (size_t i = 0; i < s->n; i++)
		ymk__free(s->heap[i]);
	ymk__free(s->heap);
	ymk__sched_init(s);
}

/* ---- the timer heap ------------------------------------------------------------------------ */

static int before(const struct ymk__timer *a, const struct ymk__timer *b)
{
	return a->due < b->due || (a->due == b->due && a->id < b->id);
}

static void put_at(struct ymk__sched *s, size_t i, struct ymk__timer *t)
{
	s->heap[i] = t;
	t->index = i;
}

static void sift(struct ymk__sched *s, size_t i)
{
	struct ymk__timer *t = s->heap[i];
	while (i > 0 && before(t, s->heap[(i - 1) / 2])) {
		put_at(s, i, s->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = l;
		if (l >= s->n)
			break;
		if (r < s->n && before(s->heap[r], s->heap[l]))
			m = r;
		if (!before(s->heap[m], t))
			break;
		put_at(s, i, s->heap[m]);
		i = m;
	}
	put_at(s, i, t);
}

static void heap_remove(struct ymk__sched *s, struct ymk__timer *t)
{
	size_t i = t->index;
	s->n--;
	if (i != s->n) {
		put_at(s, i, s->heap[s->n]);
		sift(s, i);
	}
}

int ymk_server_timer(ymk_server *srv, unsigned ms, ymk_timer_fn *fn, void *user, uint64_t *id)
{
	if (!srv || !fn || ms > YMK_MAX_TIMEOUT_MS)
		return YMK_EINVAL;
	struct ymk__sched *s = &srv->sched;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct ymk__timer **h = ymk__realloc(s->heap, cap * sizeof *h);
		if (!h)
			return YMK_ENOMEM;
		s->heap = h;
		s->cap = cap;
	}
	struct ymk__timer *t = ymk__malloc(sizeof *t);
	if (!t)
		return YMK_ENOMEM;
	*t = (struct ymk__timer){.due = ymk__os_now_ms() + ms, .id = s->next_id++, .fn = fn, .user = user};
	put_at(s, s->n++, t);
	sift(s, t->index);
	if (id)
		*id = t->id;
	if (!s->busy)
		ymk__wake(srv, 0); /* the embedder's loop computes its wait again */
	return 0;
}

int ymk_server_timer_cancel(ymk_server *srv, uint64_t id)
{
	if (!srv)
		return YMK_EINVAL;
	struct ymk__sched *s = &srv->sched;
	/* A scan: timers are few (a server's periodic work, not one per request), and an id that
	 * is no longer pending must be told apart from one that is. */
	for (size_t i = 0; i < s->n; i++) {
		struct ymk__timer *t = s->heap[i];
		if (t->id == id) {
			heap_remove(s, t);
			ymk__free(t);
			return 0;
		}
	}
	return YMK_EINVAL;
}

/* ---- posted calls ------------------------------------------------------------------------- */

int ymk_server_post(ymk_server *srv, ymk_post_fn *fn, void *user)
{
	if (!srv || !fn)
		return YMK_EINVAL;
	struct ymk__post *p = ymk__malloc(sizeof *p);
	if (!p)
		return YMK_ENOMEM;
	p->fn = fn;
	p->user = user;
	p->next = atomic_load_explicit(&srv->sched.posts, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&srv->sched.posts, &p->next, p, memory_order_release,
						      memory_order_relaxed)) {
	}
	ymk__wake(srv, 0);
	return 0;
}

void ymk__sched_run(ymk_server *srv)
{
	struct ymk__sched *s = &srv->sched;
	if (atomic_load_explicit(&s->posts, memory_order_relaxed)) {
		struct ymk__post *p = atomic_exchange_explicit(&s->posts, NULL, memory_order_acquire);
		struct ymk__post *fifo = NULL;
		while (p) { /* newest first: reverse into posting order */
			struct ymk__post *next = p->next;
			p->next = fifo;
			fifo = p;
			p = next;
		}
		while (fifo) {
			struct ymk__post *next = fifo->next;
			ymk_post_fn *fn = fifo->fn;
			void *user = fifo->user;
			ymk__free(fifo);
			fn(srv, user);
			fifo = next;
		}
	}
	if (s->n == 0)
		return;
	uint64_t now = ymk__os_now_ms(), limit = s->next_id;
	while (s->n && s->heap[0]->due <= now && s->heap[0]->id < limit) {
		struct ymk__timer *t = s->heap[0];
		heap_remove(s, t);
		ymk_timer_fn *fn = t->fn;
		void *user = t->user;
		ymk__free(t);
		fn(srv, user);
	}
}

uint64_t ymk__sched_next(const struct ymk__sched *s)
{
	if (s->first || atomic_load_explicit(&((struct ymk__sched *)s)->posts, memory_order_relaxed))
		return 0;
	return s->n ? s->heap[0]->due : UINT64_MAX;
}

int ymk__sched_timeout(const struct ymk__sched *s, uint64_t now)
{
	uint64_t next = ymk__sched_next(s);
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

/* ---- ready connections -------------------------------------------------------------------- */

int ymk__sched_is_ready(const struct ymk__sched *s, const struct ymk__ready *r)
{
	return r->prev || s->first == r;
}

void ymk__sched_ready(ymk_server *srv, struct ymk__ready *r)
{
	struct ymk__sched *s = &srv->sched;
	if (ymk__sched_is_ready(s, r))
		return;
	if (!s->busy)
		ymk__wake(srv, 0);
	r->next = NULL;
	r->prev = s->last;
	if (s->last)
		s->last->next = r;
	else
		s->first = r;
	s->last = r;
	s->n_ready++;
}

void ymk__sched_unready(struct ymk__sched *s, struct ymk__ready *r)
{
	if (!ymk__sched_is_ready(s, r))
		return;
	if (r->prev)
		r->prev->next = r->next;
	else
		s->first = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		s->last = r->prev;
	r->prev = r->next = NULL;
	s->n_ready--;
}

struct ymk__ready *ymk__sched_take_ready(struct ymk__sched *s)
{
	struct ymk__ready *r = s->first;
	if (r)
		ymk__sched_unready(s, r);
	return r;
}
