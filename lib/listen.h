/* listen.h: the listening socket and what happens at its door, shared by every process model:
 * opening or adopting the listener, accepting, and the prebuilt 503 sent past the cap. */
#ifndef YMK_LISTEN_H
#define YMK_LISTEN_H

#include "internal.h"
#include "transport.h"

#include <sys/socket.h>

/* Opens a listening socket for the configured address (SO_REUSEPORT when reuseport; a worker
 * binds the port the first socket got) and sets srv->port. Returns the fd or -errno. */
int ymk__listen_open(ymk_server *srv, int reuseport);

/* Takes over a bound, listening stream socket handed in by the embedder: makes it non-blocking
 * and close-on-exec and sets srv->port. Returns fd, YMK_EINVAL (not a listening stream socket)
 * or -errno. */
int ymk__listen_adopt(ymk_server *srv, int fd);

/* What a model does with one accepted connection (non-blocking, close-on-exec, TCP_NODELAY on
 * TCP): take owns fd from then on. */
typedef void ymk__take_fn(void *ctx, int fd, const struct sockaddr_storage *peer, socklen_t peer_len);

/* Accepts at most YMK__ACCEPT_BATCH connections, handing each to take, and stops early when none
 * is waiting. Returns 0, or the -errno after which accepting must pause for YMK__ACCEPT_PAUSE_MS
 * (out of descriptors or memory; already logged). */
int ymk__listen_accept_batch(ymk_server *srv, ymk__take_fn *take, void *ctx);

/* Makes the transport for a connection accepted on this server's listener (a plain socket). */
void ymk__listen_transport(ymk_server *srv, int fd, struct ymk__transport *tr);

/* Builds the 503 answer sent past the cap, once per server (no formatting on the accept path). */
void ymk__listen_busy_init(ymk_server *srv);

/* Refuses an accepted connection: sends the prebuilt 503 without blocking, drains what the
 * client already sent (so the close does not turn into a reset that eats the 503), closes. On a
 * TLS listener the socket is closed at once, before any TLS state is made. */
void ymk__listen_reject(ymk_server *srv, int fd);

/* What ymk__listen_reject() does, with any answer (len 0: none) over a transport: sends what the
 * socket takes at once, shuts the output down, drains, closes the transport. Returns the bytes
 * sent (or -errno). On a TLS listener nothing is sent: the transport is closed at once. */
long ymk__listen_send_close(ymk_server *srv, struct ymk__transport *tr, const void *answer, size_t len);

/* How long accepting pauses when the process is out of descriptors (accept() keeps failing while
 * the listener stays readable), and how many connections one wake-up accepts at most, so that a
 * flood of new connections never starves the open ones. */
#define YMK__ACCEPT_PAUSE_MS 100
#define YMK__ACCEPT_BATCH 16

#endif
