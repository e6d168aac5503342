/* fork.c: the fork-per-connection model (ymawky's): the parent accepts, a child serves one
 * connection with the same protocol code and exits.
 *
 * Children are watched through pidfds, so the library installs no SIGCHLD handler and never
 * reaps a child that is not its own. Past the cap on live children the parent answers 503 from a
 * prebuilt buffer without blocking. A child restores default signal dispositions (the embedder's
 * handlers belong to the parent) and leaves with _exit(), so no atexit handler or stdio buffer of
 * the embedder runs twice. A crash in a handler costs one connection. */
#include "alloc.h"
#include "conn.h"
#include "listen.h"
#include "log.h"
#include "models.h"
#include "os.h"
#include "schedule.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct children {
	struct pollfd *pfd; /* [0] listener, [1] wake pipe, [2 + i] child i's pidfd */
	pid_t *pid;
	size_t n, cap;
	int untracked; /* children without a pidfd: reaped by polling */
};

/* Makes room for one more child, so that recording it after fork() cannot fail. */
static int children_reserve(struct children *ch)
{
	if (ch->pfd && ch->n < ch->cap)
		return 0;
	size_t cap = ch->cap ? 2 * ch->cap : 64;
	struct pollfd *pfd = ymk__realloc(ch->pfd, (cap + 2) * sizeof *pfd);
	if (!pfd)
		return YMK_ENOMEM;
	ch->pfd = pfd;
	pid_t *p = ymk__realloc(ch->pid, cap * sizeof *p);
	if (!p)
		return YMK_ENOMEM;
	ch->pid = p;
	ch->cap = cap;
	return 0;
}

static void children_add(struct children *ch, pid_t pid, int pidfd)
{
	ch->pid[ch->n] = pid;
	ch->pfd[2 + ch->n] = (struct pollfd){.fd = pidfd, .events = POLLIN};
	ch->untracked += pidfd < 0;
	ch->n++;
}

static void children_remove(struct children *ch, size_t i)
{
	if (ch->pfd[2 + i].fd >= 0)
		close(ch->pfd[2 + i].fd);
	else
		ch->untracked--;
	ch->n--;
	ch->pid[i] = ch->pid[ch->n];
	ch->pfd[2 + i] = ch->pfd[2 + ch->n];
}

static void reap(struct children *ch)
{
	for (size_t i = ch->n; i-- > 0;) {
		if (ch->pfd[2 + i].fd >= 0 && !ch->pfd[2 + i].revents)
			continue;
		pid_t r = waitpid(ch->pid[i], NULL, WNOHANG);
		if (r == ch->pid[i] || (r < 0 && errno == ECHILD))
			children_remove(ch, i);
	}
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
		if (n < 0 && errno != EINTR)
			break;
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

static void child_main(ymk_server *srv, int fd, const struct sockaddr *peer, socklen_t plen)
{
	reset_child_signals();
	/* The listener must not outlive the parent in a child; the siblings' pidfds and the wake
	 * pipe are harmless and go with the child's exit, so closing them one by one (a system call
	 * per live child) is not worth it. */
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
	if (ymk__conn_init(&c, srv, &tr, peer, plen, ymk__os_now_ms()) < 0)
		_exit(1);
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

/* A new connection: a child of its own, unless the cap is reached (503 from the prebuilt buffer). */
static void take_connection(void *ctx, int fd, const struct sockaddr_storage *peer, socklen_t plen)
{
	struct forker *fk = ctx;
	ymk_server *srv = fk->srv;
	if (fk->ch->n >= srv->s.max_connections || children_reserve(fk->ch) < 0) {
		ymk__listen_reject(srv, fd);
		return;
	}
	(void)ymk__date_now(&srv->dates); /* current in the child's copy: no formatting there */
	pid_t pid = fork();
	if (pid == 0)
		child_main(srv, fd, (const struct sockaddr *)peer, plen);
	if (pid < 0) {
		ymk__log(&srv->s, YMK_LOG_ERROR, "fork: %s", ymk_strerror(-errno));
		ymk__listen_reject(srv, fd);
		return;
	}
	close(fd);
	children_add(fk->ch, pid, ymk__os_child_fd(pid));
}

int ymk__fork_run(ymk_server *srv)
{
	struct children ch = {0};
	int rc = children_reserve(&ch);
	if (rc < 0)
		return rc;
	prepare_children(srv);

	uint64_t accept_resume = 0; /* non-zero: out of fds, the listener rests until then */
	srv->sched.busy = 1;        /* the parent's callbacks run inside this loop only */
	while (!srv->stop_requested) {
		int timeout = ch.untracked ? 200 : -1;
		uint64_t now = ymk__os_now_ms();
		if (accept_resume) {
			if (now >= accept_resume)
				accept_resume = 0;
			else if (timeout < 0 || accept_resume - now < (uint64_t)timeout)
				timeout = (int)(accept_resume - now);
		}
		int sched = ymk__sched_timeout(&srv->sched, now); /* the embedder's timers and posts */
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
		reap(&ch);
		if (!(ch.pfd[0].revents & POLLIN))
			continue;
		/* A bounded batch per wake-up: reaping and the stop request are looked at again before
		 * more are taken (the listener is level-triggered, so the rest waits in the backlog). */
		struct forker fk = {srv, &ch};
		if (ymk__listen_accept_batch(srv, take_connection, &fk) < 0)
			accept_resume = ymk__os_now_ms() + YMK__ACCEPT_PAUSE_MS;
	}

	/* Stopping: the children's connections end now; reap every one so none is left a zombie. */
	for (size_t i = 0; i < ch.n; i++)
		kill(ch.pid[i], SIGTERM);
	for (size_t i = 0; i < ch.n; i++) {
		while (waitpid(ch.pid[i], NULL, 0) < 0 && errno == EINTR) {
		}
		if (ch.pfd[2 + i].fd >= 0)
			close(ch.pfd[2 + i].fd);
	}
	ymk__free(ch.pfd);
	ymk__free(ch.pid);
	srv->sched.busy = 0;
	return rc;
}
