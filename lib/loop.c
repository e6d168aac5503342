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
#include "admit.h"
#include "alloc.h"
#include "clients.h"
#include "conn.h"
#include "listen.h"
#include "models.h"
#include "os.h"
#include "proxy_read.h"
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
	h->v[i]->heap_index = (unsigned)i;
	h->v[j]->heap_index = (unsigned)j;
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
	c->heap_index = (unsigned)h->n; /* connections are capped far below 2^32 */
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
		h->v[i]->heap_index = (unsigned)i;
		heap_fix(h, i);
	}
}

struct ymk__loop {
	ymk_server *srv;
	struct ymk__backend *be;
	struct heap timers;
	uint64_t accept_resume;      /* non-zero: the listener is paused until then (out of fds) */
	struct ymk__clients clients; /* live connections per client, with a per-client limit */
};

static void drop(struct ymk__loop *lp, struct ymk__conn *c)
{
	heap_remove(&lp->timers, c);
	if (c->info.counted)
		ymk__clients_remove(&lp->clients, ymk__session_peer(&c->info));
	ymk__free(c->proxy);
	ymk__backend_closing(lp->be, ymk__conn_fd(c));
	ymk__conn_close(c);
	ymk__free(c);
}

/* The deadline the heap orders a connection by: a PROXY header must arrive within the header
 * timeout of the accept. */
static uint64_t deadline_of(const struct ymk__conn *c)
{
	return c->proxy ? c->info.t_accept + c->srv->s.header_timeout_ms : ymk__conn_deadline(c);
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
			ymk__conn_set_end(c, YMK_CONN_END_ERROR);
			drop(lp, c);
			return;
		}
		c->ev_interest = ev;
	}
	c->heap_key = deadline_of(c);
	heap_fix(&lp->timers, c->heap_index);
}

/* The live connections of the client c describes, when a per-client limit counts them. */
static unsigned from_client(const struct ymk__loop *lp, const struct ymk_conn *c)
{
	if (!lp->srv->s.max_per_client)
		return 0;
	return ymk__clients_count(&lp->clients, ymk__session_peer(c));
}

/* An admitted connection counts for its client. 0, or -1 when it cannot be counted. */
static int count_client(struct ymk__loop *lp, struct ymk_conn *c)
{
	if (!lp->srv->s.max_per_client || !ymk__clients_countable(ymk__session_peer(c)))
		return 0;
	if (ymk__clients_add(&lp->clients, ymk__session_peer(c)) < 0)
		return -1;
	c->counted = 1;
	return 0;
}

/* A connection the loop could not take after all: the 503, and its report. */
static void fail_new(ymk_server *srv, int fd, struct ymk_conn *info)
{
	ymk__listen_reject(srv, fd);
	info->fd = -1;
	ymk__session_report(info, YMK_CONN_END_ERROR, 0, 0, 0);
}

/* Reads on at a PROXY header; once it is complete, the door decides with the client it names. */
static void proxy_step(struct ymk__loop *lp, struct ymk__conn *c, uint64_t now)
{
	ymk_server *srv = lp->srv;
	struct ymk__proxy_hdr h;
	int r = ymk__proxy_read(ymk__conn_fd(c), c->proxy, &h);
	if (r == 0)
		return; /* waits for more, under the deadline it has */
	if (r < 0) {
		ymk__admit_log_drop(srv, &c->info, "sent no valid PROXY header: closed");
		drop(lp, c);
		return;
	}
	c->bytes_in = c->proxy->have;
	ymk__free(c->proxy);
	c->proxy = NULL;
	if (ymk__session_proxied(&c->info, &h) < 0) {
		ymk__admit_log_drop(srv, &c->info, "could not be kept (out of memory): closed");
		ymk__conn_set_end(c, YMK_CONN_END_ERROR);
		drop(lp, c);
		return;
	}
	int v = ymk__admit_decide(srv, &c->info, (unsigned)lp->timers.n - 1, from_client(lp, &c->info));
	if (v == 0 && count_client(lp, &c->info) < 0) {
		/* Admitted but not countable (out of memory): the 503, reported as the error it is. */
		ymk__backend_closing(lp->be, ymk__conn_fd(c)); /* closed here, not by the drop */
		(void)ymk__listen_send_close(srv, &c->tr, srv->busy, srv->busy_len);
		ymk__transport_socket(&c->tr, -1);
		ymk__conn_set_end(c, YMK_CONN_END_ERROR);
		drop(lp, c);
		return;
	}
	if (v) {
		ymk__backend_closing(lp->be, ymk__conn_fd(c)); /* closed here, not by the drop */
		ymk__admit_refuse(srv, &c->tr, &c->info, v, c->bytes_in);
		ymk__transport_socket(&c->tr, -1); /* closed: nothing is left for the drop to close */
		drop(lp, c);
		return;
	}
	c->t_activity = now;
	settle(lp, c, ymk__conn_step(c, now));
}

/* A new connection: the door's decision (on a PROXY listener once the header is read), then into
 * the registry and the backend, and its first step at once (the request often arrives with the
 * connection). */
static void take_connection(void *ctx, int fd, const struct sockaddr_storage *peer, socklen_t plen)
{
	struct ymk__loop *lp = ctx;
	ymk_server *srv = lp->srv;
	uint64_t now = ymk__os_now_ms();
	struct ymk_conn info;
	int proxied = srv->s.proxy_protocol;
	if (ymk__session_init(&info, srv, fd, peer, plen, now) < 0 ||
	    (proxied && lp->timers.n >= srv->s.max_connections)) {
		ymk__listen_reject(srv, fd); /* no header read, no decision: nothing to report */
		ymk__session_free(&info);
		return;
	}
	if (!proxied) {
		int v = ymk__admit_decide(srv, &info, (unsigned)lp->timers.n, from_client(lp, &info));
		if (v) {
			struct ymk__transport rtr; /* a refusal needs no TLS state */
			ymk__transport_socket(&rtr, fd);
			ymk__admit_refuse(srv, &rtr, &info, v, 0);
			ymk__session_free(&info);
			return;
		}
		if (count_client(lp, &info) < 0) {
			fail_new(srv, fd, &info);
			ymk__session_free(&info);
			return;
		}
	}
	struct ymk__conn *c = ymk__malloc(sizeof *c);
	struct ymk__transport tr;
	ymk__listen_transport(srv, fd, &tr);
	if (!c || ymk__conn_init(c, srv, &tr, &info, now) < 0) {
		ymk__free(c);
		if (info.counted)
			ymk__clients_remove(&lp->clients, ymk__session_peer(&info));
		fail_new(srv, fd, &info);
		ymk__session_free(&info);
		return;
	}
	if (proxied && !(c->proxy = ymk__malloc(sizeof *c->proxy))) {
		ymk__conn_close(c);
		ymk__free(c);
		return;
	}
	if (c->proxy)
		c->proxy->have = 0;
	c->ev_interest = YMK__EV_READ;
	c->heap_key = deadline_of(c);
	if (heap_push(&lp->timers, c) < 0) {
		ymk__conn_set_end(c, YMK_CONN_END_ERROR);
		if (c->info.counted)
			ymk__clients_remove(&lp->clients, ymk__session_peer(&c->info));
		ymk__free(c->proxy);
		ymk__conn_close(c);
		ymk__free(c);
		return;
	}
	if (ymk__backend_add(lp->be, fd, c->ev_interest, 1, c) < 0) {
		ymk__conn_set_end(c, YMK_CONN_END_ERROR);
		drop(lp, c);
		return;
	}
	if (c->proxy)
		proxy_step(lp, c, now);
	else
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
	while (lp->timers.n) {
		ymk__conn_set_end(lp->timers.v[0], YMK_CONN_END_STOPPED);
		drop(lp, lp->timers.v[0]);
	}
}

void ymk__loop_free(ymk_server *srv)
{
	struct ymk__loop *lp = srv->loop;
	if (!lp)
		return;
	drop_all(lp);
	ymk__clients_free(&lp->clients);
	ymk__free(lp->timers.v);
	ymk__backend_close(lp->be);
	ymk__free(lp);
	srv->loop = NULL;
}

int ymk__loop_fd(const ymk_server *srv)
{
	return srv->loop ? ymk__backend_fd(srv->loop->be) : YMK_ESTATE;
}

int ymk__loop_pollfds(const ymk_server *srv, struct pollfd *fds, size_t cap)
{
	return srv->loop ? ymk__backend_pollfds(srv->loop->be, fds, cap) : YMK_ESTATE;
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
		} else if (((struct ymk__conn *)p)->proxy) {
			proxy_step(lp, p, now);
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
		if (c->proxy) {
			ymk__admit_log_drop(srv, &c->info, "sent no PROXY header in time: closed");
			drop(lp, c);
			continue;
		}
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
