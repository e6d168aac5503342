/* wake.c: the stop flag and the wake pipe (see wake.h), below every model so that a worker's
 * signal handler and the public ymk_server_stop() share them. */
#include "wake.h"

#include "os.h"

#include <errno.h>
#include <unistd.h>

void ymk__wake(ymk_server *srv, int stop)
{
	int saved = errno; /* async-signal-safe: keep the interrupted code's errno */
	if (stop)
		srv->stop_requested = 1;
	(void)!write(srv->wake_fd[1], "x", 1);
	errno = saved;
}

int ymk__wake_private(ymk_server *srv)
{
	if (!srv->wake_inherited)
		return 0;
	int fds[2];
	int err = ymk__os_pipe(fds);
	if (err < 0)
		return err;
	close(srv->wake_fd[0]);
	close(srv->wake_fd[1]);
	srv->wake_fd[0] = fds[0];
	srv->wake_fd[1] = fds[1];
	srv->wake_inherited = 0;
	return 0;
}
