/* wake.c: the stop flag and the wake pipe (see wake.h), below every model so that a worker's
 * signal handler and the public ymk_server_stop() share them. */
#include "wake.h"

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
