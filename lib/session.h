/* session.h: the public connection object (ymk_conn): what the embedder's accept hook, its
 * handlers and its close hook see of one connection (addresses, the listener, the model, the
 * attached state), and the close report, made exactly once.
 *
 * A model fills one at accept (ymk__session_init) and, on a PROXY listener, again from the
 * header; the door's decision (admit.c) runs the accept hook on it; a connection that is served
 * carries it in struct ymk__conn, where requests reach it through their conn pointer; whoever
 * ends the connection calls ymk__session_report(). A fork child gets the parent's copy. */
#ifndef YMK_SESSION_H
#define YMK_SESSION_H

#include "internal.h"

#include <stdint.h>
#include <sys/socket.h>

struct ymk__proxy_hdr;

struct ymk_conn {
	ymk_server *srv;
	int fd; /* the connection's socket in this process; -1 once closed (local is then as read) */
	struct sockaddr_storage peer, local, sock_peer;
	socklen_t peer_len, local_len, sock_peer_len; /* local_len 0: not read yet (lazily) */
	unsigned listener;
	enum ymk_model model;
	int proxied; /* peer and local came from a PROXY header */
	void *state;
	uint64_t t_accept; /* monotonic ms */
	int decided;       /* the accept decision ran: a close report is owed */
	int reported;      /* the close report was made */
	int counted;       /* the model counts it in its per-client table */
};

/* A connection just accepted on fd from peer. */
void ymk__session_init(struct ymk_conn *c, ymk_server *srv, int fd, const struct sockaddr_storage *peer,
		       socklen_t peer_len, uint64_t now);

/* The client and local addresses from a PROXY header (the socket's peer stays as sock_peer). A
 * LOCAL header changes nothing. */
void ymk__session_proxied(struct ymk_conn *c, const struct ymk__proxy_hdr *h);

/* The close report: the close hook is called with it once, when the decision ran and no report
 * was made yet. The connection's fd must already be closed or about to be. */
void ymk__session_report(struct ymk_conn *c, enum ymk_conn_end end, uint64_t requests, uint64_t bytes_in,
			 uint64_t bytes_out);

#endif
