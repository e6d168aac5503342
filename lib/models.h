/* models.h: the process models as the server handle sees them. Each run returns 0 when stopped,
 * or a negative code. */
#ifndef YMK_MODELS_H
#define YMK_MODELS_H

#include "internal.h"

#include <poll.h>
#include <stddef.h>

/* The event model's loop (loop.c): created by ymk_server_new(), freed by ymk_server_free(). */
int ymk__loop_new(ymk_server *srv);
void ymk__loop_free(ymk_server *srv);
int ymk__loop_run(ymk_server *srv);
int ymk__loop_fd(const ymk_server *srv);
int ymk__loop_pollfds(const ymk_server *srv, struct pollfd *fds, size_t cap);
int ymk__loop_timeout(const ymk_server *srv);
int ymk__loop_process(ymk_server *srv, int timeout);

/* The fork model (fork.c). */
int ymk__fork_run(ymk_server *srv);

/* The event model on several processes: forks the workers, serves, stops and reaps them
 * (workers.c). */
int ymk__workers_run(ymk_server *srv);

#endif
