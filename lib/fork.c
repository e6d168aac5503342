/* fork.c: the fork-per-connection model (ymawky's): the parent accepts, a child serves one
 * connection with the same protocol code and exits.
 *
 * Children are watched through pidfds, so the library installs no SIGCHLD handler and never
 * reaps a child that is not its own. Past the cap on live children the parent answers 503 from a
 * prebuilt buffer without blocking. A child restores default signal dispositions (the embedder's
 * handlers belong to the parent) and leaves with _exit(), so no atexit handler or stdio buffer of
 * the embedder runs twice. A crash in a handler costs one connection. */
#include "admit.h"
#include "alloc.h"
#include "clients.h"
#include "conn.h"
#include "listen.h"
#include "log.h"
#include "models.h"
#include "os.h"
#include "proxy_read.h"
#include "schedule.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* One connection of the parent's: a child serving it, or (on a PROXY listener) a socket whose
 * header is still being read, before the decision and the fork. */
struct child {
	pid_t pid;                /* 0: not forked yet */
	struct ymk_conn info;     /* the parent's copy: its accept-hook state, its client's count */
	struct ymk__proxy_rd *rd; /* while pid is 0 */
};

struct children {
	struct pollfd *pfd; /* [0] listener, [1] wake pipe, [2 + i] entry i's pidfd or socket */
	struct child *kid;
	size_t n, cap;
	int untracked;               /* children without a pidfd: reaped by polling */
	size_t pending;              /* entries still reading a PROXY header */
	struct ymk__clients clients; /* live children per client, with a per-client limit */
};

/* Makes room for one more entry, so that recording a child after fork() cannot fail. */
static int children_reserve(struct children *ch)
{
	if (ch->pfd && ch->n < ch->cap)
		return 0;
	size_t cap = ch->cap ? 2 * ch->cap : 64;
	struct pollfd *pfd = ymk__realloc(ch->pfd, (cap + 2) * sizeof *pfd);
	if (!pfd)
		return YMK_ENOMEM;
	ch->pfd = pfd;
	struct child *k = ymk__realloc(ch->kid, cap * sizeof *k);
	if (!k)
		return YMK_ENOMEM;
	ch->kid = k;
	ch->cap = cap;
	return 0;
}

/* Records an entry (room was reserved): a child with its pidfd (or -1), or a pending socket. */
static void children_add(struct children *ch, pid_t pid, int fd, const struct ymk_conn *info,
			 struct ymk__proxy_rd *rd)
{
	struct child *k = &ch->kid[ch->n];
	k->pid = pid;
	k->info = *info;
	k->rd = rd;
	ch->pfd[2 + ch->n] = (struct pollfd){.fd = fd, .events = POLLIN};
	ch->untracked += pid > 0 && fd < 0;
	ch->pending += pid == 0;
	ch->n++;
}

/* Forgets entry i: its pidfd or socket is closed, its client counts one fewer. */
static void children_remove(struct children *ch, size_t i)
{
	struct child *k = &ch->kid[i];
	if (ch->pfd[2 + i].fd >= 0)
		close(ch->pfd[2 + i].fd);
	else if (k->pid > 0)
		ch->untracked--;
	if (k->info.counted)
		ymk__clients_remove(&ch->clients, ymk__session_peer(&k->info));
	ymk__session_free(&k->info);
	ch->pending -= k->pid == 0;
	ymk__free(k->rd);
	ch->n--;
	ch->kid[i] = ch->kid[ch->n];
	ch->pfd[2 + i] = ch->pfd[2 + ch->n];
}

/* The parent's report on a child it reaped (its own copy of the connection's state): the child
 * reported itself when it exited 0; it was stopped when the stop's SIGTERM ended it. */
static void report_child(struct child *k, int status, int stopping)
{
	enum ymk_conn_end end = YMK_CONN_END_CRASHED;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		end = YMK_CONN_END_FORKED;
	else if (stopping && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
		end = YMK_CONN_END_STOPPED;
	k->info.fd = -1;
	ymk__session_report(&k->info, end, 0, 0, 0);
}

/* The embedder's handlers belong to the parent: the ones that stop or reload a server are reset,
 * so a stop (SIGTERM from the parent) or a terminal's ^C ends the child. Kept short: every
 * system call here is paid once per connection. */
static void reset_child_signals(void)
{
	static const int dfl[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (size_t i = 0; i < sizeof dfl / sizeof dfl[0]; i++)
		sigaction(dfl[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL); /* sendfile() has no MSG_NOSIGNAL */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Serves the child's one connection to its end: the same state machine as the event loop, driven
 * by poll() with the same deadlines, and the same scheduler (schedule.h): the child's own timers
 * and posted calls, and a step whenever the embedder made the connection ready. A request that
 * waits for the embedder gave the child a wake pipe of its own (wake.h); until then the pipe is
 * the parent's, which the child never polls. */
static void serve_connection(struct ymk__conn *c)
{
	ymk_server *srv = c->srv;
	enum ymk__want w = ymk__conn_step(c, ymk__os_now_ms());
	while (w != YMK__WANT_CLOSE) {
		ymk__sched_run(srv);
		if (ymk__sched_take_ready(&srv->sched)) {
			w = ymk__conn_step(c, ymk__os_now_ms());
			continue;
		}
		uint64_t deadline = ymk__conn_deadline(c), next = ymk__sched_next(&srv->sched);
		uint64_t now = ymk__os_now_ms();
		if (now >= deadline) {
			w = ymk__conn_expire(c, now);
			continue;
		}
		if (next < deadline)
			deadline = next; /* a timer first (or posted calls: 0) */
		struct pollfd pfd[2] = {
			{.fd = w == YMK__WANT_WAIT ? -1 : ymk__conn_fd(c),
			 .events = w == YMK__WANT_READ ? POLLIN : POLLOUT},
			{.fd = srv->wake_inherited ? -1 : srv->wake_fd[0], .events = POLLIN},
		};
		uint64_t wait = deadline > now ? deadline - now : 0;
		int n = poll(pfd, 2, deadline == UINT64_MAX ? -1 : wait > INT_MAX ? INT_MAX : (int)wait);
		if (n < 0 && errno != EINTR) {
			ymk__conn_set_end(c, YMK_CONN_END_ERROR);
			break;
		}
		if (n > 0 && pfd[1].revents) {
			char sink[64];
			while (read(srv->wake_fd[0], sink, sizeof sink) > 0) {
			}
		}
		if (n > 0 && pfd[0].revents)
			w = ymk__conn_step(c, ymk__os_now_ms());
	}
	ymk__conn_close(c);
}

/* The child: serves the one connection, reports its end (the close hook runs here) and exits 0,
 * which tells the parent that the report was made. */
static void child_main(ymk_server *srv, int fd, struct ymk_conn *info, uint64_t bytes_in)
{
	reset_child_signals();
	/* The listener must not outlive the parent in a child; the siblings' pidfds, sockets and the
	 * wake pipe are harmless and go with the child's exit, so closing them one by one (a system
	 * call per live child) is not worth it. */
	close(srv->listen_fd);
	srv->listen_fd = -1;
	/* One connection, usually one or a few requests: an open-file cache would cost more to fill
	 * (allocations, a copy of each small file, copy-on-write faults) than it could save. */
	srv->s.fcache_entries = 0;
	srv->nonce ^= (uint64_t)getpid() << 32; /* siblings' multipart boundaries differ */
	/* The parent's timers and posted calls stay the parent's; its wake pipe too (wake.h). */
	ymk__sched_free(&srv->sched);
	srv->sched.busy = 1; /* nothing but the connection's loop runs in the child */
	srv->wake_inherited = 1;

	struct ymk__conn c;
	struct ymk__transport tr;
	ymk__listen_transport(srv, fd, &tr);
	if (ymk__conn_init(&c, srv, &tr, info, ymk__os_now_ms()) < 0) {
		tr.ops->close(&tr);
		info->fd = -1;
		ymk__session_report(info, YMK_CONN_END_ERROR, 0, bytes_in, 0);
		_exit(0);
	}
	c.bytes_in = bytes_in;
	serve_connection(&c);
	_exit(0);
}

/* Work every child would otherwise repeat on its own pages: the C library's time zone setup
 * (gmtime_r reads it once per process) and the Date cache, and a buffer of each kind in the
 * pools, all made here once so that children inherit them instead of faulting them in. */
static void prepare_children(ymk_server *srv)
{
	(void)ymk__date_now(&srv->dates);
	if (srv->pool_in.n == 0)
		ymk__pool_put(&srv->pool_in, ymk__pool_get(&srv->pool_in));
	if (srv->pool_out.n == 0)
		ymk__pool_put(&srv->pool_out, ymk__pool_get(&srv->pool_out));
}

struct forker {
	ymk_server *srv;
	struct children *ch;
};

static unsigned from_client(const struct forker *fk, const struct ymk_conn *info)
{
	if (!fk->srv->s.max_per_client)
		return 0;
	return ymk__clients_count(&fk->ch->clients, ymk__session_peer(info));
}

/* The door's decision on a connection whose client is known, then its child. live: the entries
 * the parent holds besides this one. Returns the child's pid, or 0 when the connection was
 * refused or could not be served (its socket is closed, its report made). */
static pid_t admit_and_fork(struct forker *fk, int fd, struct ymk_conn *info, uint64_t bytes_in, size_t live)
{
	ymk_server *srv = fk->srv;
	struct children *ch = fk->ch;
	int v = ymk__admit_decide(srv, info, (unsigned)live, from_client(fk, info));
	if (v) {
		struct ymk__transport tr; /* a refusal needs no TLS state */
		ymk__transport_socket(&tr, fd);
		ymk__admit_refuse(srv, &tr, info, v, bytes_in);
		return 0;
	}
	int counted = srv->s.max_per_client && ymk__clients_countable(ymk__session_peer(info));
	if (children_reserve(ch) < 0 ||
	    (counted && ymk__clients_add(&ch->clients, ymk__session_peer(info)) < 0)) {
		ymk__listen_reject(srv, fd);
		info->fd = -1;
		ymk__session_report(info, YMK_CONN_END_ERROR, 0, bytes_in, 0);
		return 0;
	}
	info->counted = counted;
	(void)ymk__date_now(&srv->dates); /* current in the child's copy: no formatting there */
	pid_t pid = fork();
	if (pid == 0)
		child_main(srv, fd, info, bytes_in);
	if (pid < 0) {
		ymk__log(&srv->s, YMK_LOG_ERROR, "fork: %s", ymk_strerror(-errno));
		if (counted)
			ymk__clients_remove(&ch->clients, ymk__session_peer(info));
		info->counted = 0;
		ymk__listen_reject(srv, fd);
		info->fd = -1;
		ymk__session_report(info, YMK_CONN_END_ERROR, 0, bytes_in, 0);
		return 0;
	}
	close(fd);
	info->fd = -1;
	return pid;
}

/* A new connection: the door's decision and a child of its own; on a PROXY listener an entry that
 * reads the header first (past the cap, the prebuilt 503 at once). */
static void take_connection(void *ctx, int fd, const struct sockaddr_storage *peer, socklen_t plen)
{
	struct forker *fk = ctx;
	ymk_server *srv = fk->srv;
	struct children *ch = fk->ch;
	struct ymk_conn info;
	if (ymk__session_init(&info, srv, fd, peer, plen, ymk__os_now_ms()) < 0) {
		ymk__listen_reject(srv, fd); /* no decision: nothing to report */
		return;
	}
	if (srv->s.proxy_protocol) {
		struct ymk__proxy_rd *rd = NULL;
		if (ch->n >= srv->s.max_connections || children_reserve(ch) < 0 ||
		    !(rd = ymk__malloc(sizeof *rd))) {
			ymk__listen_reject(srv, fd); /* no header read, no decision: nothing to report */
			ymk__session_free(&info);
			return;
		}
		rd->have = 0;
		children_add(ch, 0, fd, &info, rd);
		return; /* the header is read when poll() says the socket is readable */
	}
	pid_t pid = admit_and_fork(fk, fd, &info, 0, ch->n);
	if (pid > 0)
		children_add(ch, pid, ymk__os_child_fd(pid), &info, NULL); /* the entry owns info now */
	else
		ymk__session_free(&info);
}

/* Entry i reads on at its PROXY header; once complete, the decision and the fork, in place. */
static void proxy_step(struct forker *fk, size_t i)
{
	struct children *ch = fk->ch;
	struct child *k = &ch->kid[i];
	int fd = ch->pfd[2 + i].fd;
	struct ymk__proxy_hdr h;
	int r = ymk__proxy_read(fd, k->rd, &h);
	if (r == 0)
		return;
	if (r < 0) {
		ymk__admit_log_drop(fk->srv, &k->info, "sent no valid PROXY header: closed");
		children_remove(ch, i);
		return;
	}
	uint64_t bytes_in = k->rd->have;
	ymk__free(k->rd);
	k->rd = NULL;
	ch->pfd[2 + i].fd = -1; /* the socket is the decision's now */
	ch->pending--;
	k->pid = -1; /* neither pending nor a child until forked: removal closes nothing */
	/* A copy: the decision may grow the arrays. */
	struct ymk_conn info = k->info; /* moved: the entry gets it back below */
	pid_t pid = 0;
	if (ymk__session_proxied(&info, &h) < 0) {
		ymk__admit_log_drop(fk->srv, &info, "could not be kept (out of memory): closed");
		close(fd);
	} else {
		pid = admit_and_fork(fk, fd, &info, bytes_in, ch->n - 1);
	}
	k = &ch->kid[i];
	k->info = info;
	if (pid <= 0) {
		children_remove(ch, i);
		return;
	}
	k->pid = pid;
	ch->pfd[2 + i] = (struct pollfd){.fd = ymk__os_child_fd(pid), .events = POLLIN};
	ch->untracked += ch->pfd[2 + i].fd < 0;
}

/* Children that exited are reaped (and reported); pending sockets that became readable read on,
 * those whose header is late are closed. */
static void reap(struct forker *fk, uint64_t now)
{
	struct children *ch = fk->ch;
	for (size_t i = ch->n; i-- > 0;) {
		struct child *k = &ch->kid[i];
		if (k->pid == 0) {
			if (ch->pfd[2 + i].revents)
				proxy_step(fk, i);
			else if (now >= k->info.t_accept + fk->srv->s.header_timeout_ms) {
				ymk__admit_log_drop(fk->srv, &k->info,
						    "sent no PROXY header in time: closed");
				children_remove(ch, i);
			}
			continue;
		}
		if (ch->pfd[2 + i].fd >= 0 && !ch->pfd[2 + i].revents)
			continue;
		int status = 0;
		pid_t r = waitpid(k->pid, &status, WNOHANG);
		if (r == k->pid || (r < 0 && errno == ECHILD)) {
			report_child(k, r == k->pid ? status : 0, 0);
			children_remove(ch, i);
		}
	}
}

/* How long poll() may wait: the untracked children's polling, the listener's rest, the earliest
 * PROXY header deadline. */
static int poll_timeout(const struct children *ch, const ymk_server *srv, uint64_t accept_resume)
{
	uint64_t now = ymk__os_now_ms(), until = UINT64_MAX;
	if (ch->untracked)
		until = now + 200;
	if (accept_resume && accept_resume < until)
		until = accept_resume;
	for (size_t i = 0; ch->pending && i < ch->n; i++)
		if (ch->kid[i].pid == 0 && ch->kid[i].info.t_accept + srv->s.header_timeout_ms < until)
			until = ch->kid[i].info.t_accept + srv->s.header_timeout_ms;
	if (until == UINT64_MAX)
		return -1;
	return until <= now ? 0 : until - now > INT_MAX ? INT_MAX : (int)(until - now);
}

int ymk__fork_run(ymk_server *srv)
{
	struct children ch = {0};
	int rc = children_reserve(&ch);
	if (rc < 0)
		return rc;
	prepare_children(srv);
	struct forker fk = {srv, &ch};

	uint64_t accept_resume = 0; /* non-zero: out of fds, the listener rests until then */
	srv->sched.busy = 1;        /* the parent's callbacks run inside this loop only */
	while (!srv->stop_requested) {
		if (accept_resume && ymk__os_now_ms() >= accept_resume)
			accept_resume = 0;
		int timeout = poll_timeout(&ch, srv, accept_resume);
		int sched = ymk__sched_timeout(&srv->sched, ymk__os_now_ms()); /* timers and posts */
		if (sched >= 0 && (timeout < 0 || sched < timeout))
			timeout = sched;
		/* poll() ignores a negative fd: that is how the listener rests. */
		ch.pfd[0] = (struct pollfd){.fd = accept_resume ? -1 : srv->listen_fd, .events = POLLIN};
		ch.pfd[1] = (struct pollfd){.fd = srv->wake_fd[0], .events = POLLIN};
		int n = poll(ch.pfd, 2 + ch.n, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (ch.pfd[1].revents) {
			/* A wake-up stops the loop only when a stop asked for it. */
			char sink[64];
			while (read(srv->wake_fd[0], sink, sizeof sink) > 0) {
			}
			if (srv->stop_requested)
				break;
		}
		ymk__sched_run(srv);
		reap(&fk, ymk__os_now_ms());
		if (!(ch.pfd[0].revents & POLLIN))
			continue;
		/* A bounded batch per wake-up: reaping and the stop request are looked at again before
		 * more are taken (the listener is level-triggered, so the rest waits in the backlog). */
		if (ymk__listen_accept_batch(srv, take_connection, &fk) < 0)
			accept_resume = ymk__os_now_ms() + YMK__ACCEPT_PAUSE_MS;
	}

	/* Stopping: the children's connections end now; reap every one so none is left a zombie.
	 * Sockets still reading a PROXY header are closed unreported (no decision was made). */
	for (size_t i = 0; i < ch.n; i++)
		if (ch.kid[i].pid > 0)
			kill(ch.kid[i].pid, SIGTERM);
	while (ch.n) {
		struct child *k = &ch.kid[ch.n - 1];
		if (k->pid > 0) {
			int status = 0;
			pid_t r;
			while ((r = waitpid(k->pid, &status, 0)) < 0 && errno == EINTR) {
			}
			report_child(k, r == k->pid ? status : 0, 1);
		}
		children_remove(&ch, ch.n - 1);
	}
	ymk__clients_free(&ch.clients);
	ymk__free(ch.pfd);
	ymk__free(ch.kid);
	srv->sched.busy = 0;
	return rc;
}
