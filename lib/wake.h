/* wake.h: the stop flag and the wake pipe every model polls. Async-signal-safe. */
#ifndef YMK_WAKE_H
#define YMK_WAKE_H

#include "internal.h"

/* Makes the models' wake fd readable; with stop, also asks the running model to return. Keeps
 * errno, so a signal handler may call it. */
void ymk__wake(ymk_server *srv, int stop);

/* A fork child starts with its parent's wake pipe (srv->wake_inherited), which it must neither
 * poll nor drain: the parent reads it. Before anything in the child may wake it (a request
 * handed to another thread), the child gets a pipe of its own here. 0 or -errno; does nothing
 * when the pipe is already its own. Server thread only. */
int ymk__wake_private(ymk_server *srv);

#endif
