/* loop.c: the in-process event model, the portable part: a timer heap over the connections (the
 * registry), bounded accepting, pausing the listener when the process is out of descriptors, and
 * keeping each connection's readiness interest in line with what it waits for. The kernel's
 * readiness call is the backend's (loop.h).
 *
 * Connections are registered edge-triggered: ymk__conn_step() always works until the transport
 * says EAGAIN, so no edge is lost. A connection listens for input, and for output only while a
 * response is stuck on a full socket, which spares the wake-ups that every ACK would otherwise
 * cause. Every connection has one deadline; a binary min-heap orders them, so the loop sleeps
 * exactly until the next one and expiring costs O(log n). Each wake-up accepts at most
 * YMK__ACCEPT_BATCH connections before it serves the ready ones and the expired deadlines, so a
 * flood of new connections cannot starve the open ones (the listener is level-triggered: what is
 * left waits for the next round). After the ready fds, each wake-up runs the scheduler (schedule.h):
 * calls posted from other threads, the embedder's timers, then the connections the embedder made
 * ready (a deferred request answered, stream data written), and only then the expired deadlines. */
#include "loop.h"
#include "alloc.h"
#include "conn.h"
#include "listen.h"
#include "models.h"
#include "os.h"
#include "schedule.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* Tags of the two fds that are not connections. */
static char tag_listen, tag_wake;

struct heap {
	struct ymk__conn **v;
	size_t n, cap;
};

static void heap_swap(struct heap *h, size_t i, size_t j)
{
	struct ymk__conn *t = h->v[i];
	h->v[i] = h->v[j];
	h->v[j] = t;
	h->v[i]->heap_index = i;
	h->v[j]->heap_index = j;
}

static void heap_fix(struct heap *h, size_t i)
{
	while (i > 0 && h->v[(i - 1) / 2]->heap_key > h->v[i]->heap_key) {
		heap_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && h->v[l]->heap_key < h->v[m]->heap_key)
			m = l;
		if (r < h->n && h->v[r]->heap_key < h->v[m]->heap_key)
			m = r;
		if (m == i)
			return;
		heap_swap(h, i, m);
		i = m;
	}
}

static int heap_push(struct heap *h, struct ymk__conn *c)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 64;
		struct ymk__conn **v = ymk__realloc(h->v, cap * sizeof *v);
		if (!v)
			return YMK_ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	c->heap_index = h->n;
	h->v[h->n++] = c;
	heap_fix(h, c->heap_index);
	return 0;
}

static void heap_remove(struct heap *h, struct ymk__conn *c)
{
	size_t i = c->heap_index;
	h->n--;
	if (i != h->n) {
		h->v[i] = h->v[h->n];
		h->v[i]->heap_index = i;
		heap_fix(h, i);
	}
}

struct ymk__loop {
	ymk_server *srv;
	struct ymk__backend *be;
	struct heap timers;
	uint64_t accept_resume; /* non-zero: the listener is paused until then (out of fds) */
};

static void drop(struct ymk__loop *lp, struct ymk__conn *c)
{
	heap_remove(&lp->timers, c);
	ymk__conn_close(c);
	ymk__free(c);
}

/* Brings the readiness interest and the deadline in line with what the connection waits for. */
static void settle(struct ymk__loop *lp, struct ymk__conn *c, enum ymk__want w)
{
	if (w == YMK__WANT_CLOSE) {
		drop(lp, c);
		return;
	}
	/* A connection waiting for the embedder keeps its registration: edge-triggered, it costs
	 * nothing, and the step it may cause finds nothing to do. */
	unsigned ev = w == YMK__WANT_WRITE ? YMK__EV_WRITE
		    : w == YMK__WANT_WAIT  ? c->ev_interest
					   : YMK__EV_READ;
	if (ev != c->ev_interest) {
		if (ymk__backend_mod(lp->be, ymk__conn_fd(c), ev, 1, c) < 0) {
			drop(lp, c);
			return;
		}
		c->ev_interest = ev;
	}
	c->heap_key = ymk__conn_deadline(c);
	heap_fix(&lp->timers, c->heap_index);
}

/* A new connection: into the registry and the backend, and its first step at once (the request
 * often arrives with the connection). */
static void take_connection(void *ctx, int fd, const struct sockaddr_storage *peer, socklen_t plen)
{
	struct ymk__loop *lp = ctx;
	ymk_server *srv = lp->srv;
	if (lp->timers.n >= srv->s.max_connections) {
		ymk__listen_reject(srv, fd);
		return;
	}
	uint64_t now = ymk__os_now_ms();
	struct ymk__conn *c = ymk__malloc(sizeof *c);
	struct ymk__transport tr;
	ymk__listen_transport(srv, fd, &tr);
	if (!c || ymk__conn_init(c, srv, &tr, (const struct sockaddr *)peer, plen, now) < 0) {
		ymk__free(c);
		ymk__listen_reject(srv, fd);
		return;
	}
	c->ev_interest = YMK__EV_READ;
	c->heap_key = ymk__conn_deadline(c);
	if (heap_push(&lp->timers, c) < 0) {
		ymk__conn_close(c);
		ymk__free(c);
		return;
	}
	if (ymk__backend_add(lp->be, fd, c->ev_interest, 1, c) < 0) {
		drop(lp, c);
		return;
	}
	settle(lp, c, ymk__conn_step(c, now));
}

/* Out of file descriptors, accept() keeps failing while the listener stays readable: the
 * listener leaves the backend for a moment instead of being spun on. */
static void accept_some(struct ymk__loop *lp)
{
	if (ymk__listen_accept_batch(lp->srv, take_connection, lp) < 0 &&
	    ymk__backend_del(lp->be, lp->srv->listen_fd) == 0)
		lp->accept_resume = ymk__os_now_ms() + YMK__ACCEPT_PAUSE_MS;
}

int ymk__loop_new(ymk_server *srv)
{
	struct ymk__loop *lp = ymk__calloc(1, sizeof *lp);
	if (!lp)
		return YMK_ENOMEM;
	lp->srv = srv;
	int err = ymk__backend_open(&lp->be);
	if (err == 0 && (err = ymk__backend_add(lp->be, srv->listen_fd, YMK__EV_READ, 0, &tag_listen)) == 0)
		err = ymk__backend_add(lp->be, srv->wake_fd[0], YMK__EV_READ, 0, &tag_wake);
	if (err < 0) {
		ymk__backend_close(lp->be);
		ymk__free(lp);
		return err;
	}
	srv->loop = lp;
	return 0;
}

/* Closes every connection (a stopped server keeps its listener, so it can run again). */
static void drop_all(struct ymk__loop *lp)
{
	while (lp->timers.n)
		drop(lp, lp->timers.v[0]);
}

void ymk__loop_free(ymk_server *srv)
{
	struct ymk__loop *lp = srv->loop;
	if (!lp)
		return;
	drop_all(lp);
	ymk__free(lp->timers.v);
	ymk__backend_close(lp->be);
	ymk__free(lp);
	srv->loop = NULL;
}

int ymk__loop_fd(const ymk_server *srv)
{
	return srv->loop ? ymk__backend_fd(srv->loop->be) : YMK_ESTATE;
}

int ymk__loop_timeout(const ymk_server *srv)
{
	const struct ymk__loop *lp = srv->loop;
	if (!lp)
		return YMK_ESTATE;
	uint64_t next = lp->timers.n ? lp->timers.v[0]->heap_key : UINT64_MAX;
	if (lp->accept_resume && lp->accept_resume < next)
		next = lp->accept_resume;
	uint64_t sched = ymk__sched_next(&srv->sched);
	if (sched < next)
		next = sched;
	if (next == UINT64_MAX)
		return -1;
	uint64_t now = ymk__os_now_ms();
	return next <= now ? 0 : next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

/* Steps the connections the embedder made ready; one made ready again meanwhile waits for the
 * next round (whose timeout is then 0), so a busy stream cannot hold the loop. */
static void serve_ready(struct ymk__loop *lp)
{
	struct ymk__sched *s = &lp->srv->sched;
	for (size_t n = s->n_ready; n > 0; n--) {
		struct ymk__ready *r = ymk__sched_take_ready(s);
		if (!r)
			break;
		struct ymk__conn *c =
			(struct ymk__conn *)(void *)((char *)r - offsetof(struct ymk__conn, ready));
		settle(lp, c, ymk__conn_step(c, ymk__os_now_ms()));
	}
}

int ymk__loop_process(ymk_server *srv, int timeout)
{
	struct ymk__loop *lp = srv->loop;
	struct ymk__event evs[128];
	if (!lp)
		return YMK_ESTATE;
	int n = ymk__backend_wait(lp->be, evs, (int)(sizeof evs / sizeof evs[0]), timeout);
	if (n < 0)
		return n;
	srv->sched.busy = 1;
	uint64_t now = ymk__os_now_ms();
	for (int i = 0; i < n; i++) {
		void *p = evs[i].tag;
		if (p == &tag_listen) {
			accept_some(lp);
		} else if (p == &tag_wake) {
			char sink[64];
			/* A wake-up only makes the fd readable; a stop also sets the flag. */
			while (read(srv->wake_fd[0], sink, sizeof sink) > 0) {
			}
		} else {
			settle(lp, p, ymk__conn_step(p, now));
		}
	}
	ymk__sched_run(srv);
	serve_ready(lp);
	now = ymk__os_now_ms();
	if (lp->accept_resume && now >= lp->accept_resume &&
	    ymk__backend_add(lp->be, srv->listen_fd, YMK__EV_READ, 0, &tag_listen) == 0)
		lp->accept_resume = 0;
	while (lp->timers.n && lp->timers.v[0]->heap_key <= now) {
		struct ymk__conn *c = lp->timers.v[0];
		settle(lp, c, ymk__conn_expire(c, now));
	}
	srv->sched.busy = 0;
	return 0;
}

int ymk__loop_run(ymk_server *srv)
{
	struct sigaction old_pipe, ign;
	int rc = 0;
	if (!srv->loop)
		return YMK_ESTATE;
	/* sendfile() raises SIGPIPE on a reset peer where the platform has no per-call way to
	 * prevent it: ignore the signal while serving, unless the embedder already chose a
	 * disposition. */
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, NULL, &old_pipe);
	int restore_pipe = old_pipe.sa_handler == SIG_DFL;
	if (restore_pipe)
		sigaction(SIGPIPE, &ign, NULL);

	while (!srv->stop_requested && rc == 0)
		rc = ymk__loop_process(srv, ymk__loop_timeout(srv));

	drop_all(srv->loop);
	if (restore_pipe)
		sigaction(SIGPIPE, &old_pipe, NULL);
	return rc;
}
