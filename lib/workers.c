/* workers.c: the event model on several processes. ymk_server_run() forks workers that each run
 * the same event loop on their own SO_REUSEPORT socket bound to the server's address, so the
 * kernel spreads new connections across processes (and cores); the calling process serves as one
 * of them. A Unix socket or a handed-in fd cannot be bound twice: workers then share that one
 * socket. Each worker has its own wake pipe and loop, a SIGTERM handler that stops its loop, and
 * leaves with _exit() so none of the embedder's exit handlers run in it. */
#include "internal.h"
#include "listen.h"
#include "log.h"
#include "models.h"
#include "wake.h"

#include "alloc.h"
#include "os.h"
#include "schedule.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The server of this worker process, for its SIGTERM handler. Set only in a worker, which is a
 * process of ours running nothing but the loop. */
static ymk_server *worker_server;

static void worker_on_term(int sig)
{
	(void)sig;
	ymk__wake(worker_server, 1);
}

static void worker_main(ymk_server *srv)
{
	static const int dfl[] = {SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM};
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (size_t i = 0; i < sizeof dfl / sizeof dfl[0]; i++)
		sigaction(dfl[i], &sa, NULL);

	/* A loop of its own: the parent's epoll set and wake pipe are shared objects after fork. */
	ymk__loop_free(srv);
	close(srv->wake_fd[0]);
	close(srv->wake_fd[1]);
	if (ymk__os_pipe(srv->wake_fd) < 0)
		_exit(1);
	srv->stop_requested = 0;
	ymk__sched_free(&srv->sched); /* timers and posts stay with the process that made them */
	if (srv->s.listen_fd < 0 && srv->s.listen_addr.ss_family != AF_UNIX) {
		int fd = ymk__listen_open(srv, 1);
		if (fd < 0) {
			ymk__log(&srv->s, YMK_LOG_ERROR, "worker %ld: listen: %s", (long)getpid(),
				 ymk_strerror(fd));
			_exit(1);
		}
		close(srv->listen_fd);
		srv->listen_fd = fd;
	}
	if (ymk__loop_new(srv) < 0)
		_exit(1);
	worker_server = srv;
	sa.sa_handler = worker_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (srv->stop_requested == 0)
		(void)ymk__loop_run(srv);
	_exit(0);
}

int ymk__workers_run(ymk_server *srv)
{
	unsigned n = srv->s.workers - 1;
	pid_t *pids = ymk__calloc(n, sizeof *pids);
	if (!pids)
		return YMK_ENOMEM;
	unsigned started = 0;
	for (; started < n; started++) {
		/* Block SIGTERM across fork so that a stop cannot reach a worker before its handler. */
		sigset_t term, old;
		sigemptyset(&term);
		sigaddset(&term, SIGTERM);
		sigprocmask(SIG_BLOCK, &term, &old);
		pid_t pid = fork();
		if (pid == 0)
			worker_main(srv);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (pid < 0) {
			ymk__log(&srv->s, YMK_LOG_ERROR, "fork of worker: %s", ymk_strerror(-errno));
			break;
		}
		pids[started] = pid;
	}
	int rc = ymk__loop_run(srv);
	for (unsigned i = 0; i < started; i++)
		kill(pids[i], SIGTERM);
	for (unsigned i = 0; i < started; i++)
		while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR) {
		}
	ymk__free(pids);
	return rc;
}
