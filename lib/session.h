/* session.h: the public connection object (ymk_conn): what the embedder's accept hook, its
 * handlers and its close hook see of one connection (addresses, the listener, the model, the
 * attached state), and the close report, made exactly once.
 *
 * A model fills one at accept (ymk__session_init) and, on a PROXY listener, again from the
 * header; the door's decision (admit.c) runs the accept hook on it; a connection that is served
 * carries it in struct ymk__conn, where requests reach it through their conn pointer; whoever
 * ends the connection calls ymk__session_report(), and its owner ymk__session_free(). A fork
 * child gets the parent's copy. The object is small (an idle connection carries it): the addresses
 * few connections ask for are allocated when first needed (struct ymk__conn_more). */
#ifndef YMK_SESSION_H
#define YMK_SESSION_H

#include "internal.h"

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

struct ymk__proxy_hdr;

/* What few connections need, kept out of line so that an idle connection does not carry it: the
 * local address (read when first asked for), the socket's peer of a PROXY connection, and a
 * client address too long for the inline form (a named Unix-socket client). */
struct ymk__conn_more {
	struct sockaddr_storage local, sock_peer, peer;
	socklen_t local_len, sock_peer_len; /* local_len 0: not read yet; sock_peer_len 0: the peer */
};

/* A client address in the inline form: IPv4 and IPv6 fit; a longer one is in more->peer. */
union ymk__addr_inline {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

struct ymk_conn {
	ymk_server *srv;
	void *state;
	uint64_t t_accept;           /* monotonic ms */
	struct ymk__conn_more *more; /* NULL until needed; the connection's own (ymk__session_free) */
	union ymk__addr_inline peer; /* when peer_len fits it, else more->peer */
	socklen_t peer_len;
	int fd; /* the connection's socket in this process; -1 once closed (local is then as read) */
	unsigned short listener;
	unsigned char model;    /* enum ymk_model */
	unsigned char proxied;  /* peer and local came from a PROXY header */
	unsigned char decided;  /* the accept decision ran: a close report is owed */
	unsigned char reported; /* the close report was made */
	unsigned char counted;  /* the model counts it in its per-client table */
};

/* A connection just accepted on fd from peer. Returns 0, or YMK_ENOMEM when the peer's address
 * is a long one that could not be kept (nothing is then held). */
int ymk__session_init(struct ymk_conn *c, ymk_server *srv, int fd, const struct sockaddr_storage *peer,
		      socklen_t peer_len, uint64_t now);

/* Frees what the connection holds out of line. The object is then as after a failed init. Every
 * owner of a struct ymk_conn calls it once at the end (a copy moved elsewhere is not freed). */
void ymk__session_free(struct ymk_conn *c);

/* The client's address (what ymk_conn_peer() returns). */
static inline const struct sockaddr *ymk__session_peer(const struct ymk_conn *c)
{
	return c->peer_len > sizeof c->peer ? (const struct sockaddr *)&c->more->peer : &c->peer.sa;
}

/* The client and local addresses from a PROXY header (the socket's peer is kept as the socket
 * peer). A LOCAL header changes nothing. Returns 0, or YMK_ENOMEM (nothing changed). */
int ymk__session_proxied(struct ymk_conn *c, const struct ymk__proxy_hdr *h);

/* The close report: the close hook is called with it once, when the decision ran and no report
 * was made yet. The connection's fd must already be closed or about to be. */
void ymk__session_report(struct ymk_conn *c, enum ymk_conn_end end, uint64_t requests, uint64_t bytes_in,
			 uint64_t bytes_out);

#endif
