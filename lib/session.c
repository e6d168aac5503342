/* session.c: the connection object and its accessors, and the close report (see session.h). */
#include "session.h"

#include "alloc.h"
#include "os.h"
#include "proxy.h"

#include <string.h>

/* The out-of-line part, allocated on first need (zeroed: nothing read yet). */
static struct ymk__conn_more *more_of(struct ymk_conn *c)
{
	if (!c->more)
		c->more = ymk__calloc(1, sizeof *c->more);
	return c->more;
}

/* Keeps addr as the client's address: inline when it fits, else in the out-of-line part. */
static int set_peer(struct ymk_conn *c, const struct sockaddr_storage *addr, socklen_t len)
{
	if (len > sizeof(struct sockaddr_storage))
		len = sizeof(struct sockaddr_storage);
	if (len <= sizeof c->peer) {
		memset(&c->peer, 0, sizeof c->peer);
		memcpy(&c->peer, addr, len);
	} else {
		struct ymk__conn_more *m = more_of(c);
		if (!m)
			return YMK_ENOMEM;
		m->peer = *addr;
	}
	c->peer_len = len;
	return 0;
}

int ymk__session_init(struct ymk_conn *c, ymk_server *srv, int fd, const struct sockaddr_storage *peer,
		      socklen_t peer_len, uint64_t now)
{
	memset(c, 0, sizeof *c);
	c->srv = srv;
	c->fd = fd;
	c->model = (unsigned char)srv->s.model;
	c->t_accept = now;
	return set_peer(c, peer, peer_len);
}

void ymk__session_free(struct ymk_conn *c)
{
	ymk__free(c->more);
	c->more = NULL;
	if (c->peer_len > sizeof c->peer)
		c->peer_len = 0; /* it was out of line */
}

int ymk__session_proxied(struct ymk_conn *c, const struct ymk__proxy_hdr *h)
{
	if (h->local)
		return 0;
	struct ymk__conn_more *m = more_of(c);
	if (!m)
		return YMK_ENOMEM;
	if (!m->sock_peer_len) {
		memset(&m->sock_peer, 0, sizeof m->sock_peer);
		memcpy(&m->sock_peer, ymk__session_peer(c), c->peer_len);
		m->sock_peer_len = c->peer_len ? c->peer_len : (socklen_t)sizeof(sa_family_t);
	}
	(void)set_peer(c, &h->src, h->src_len); /* cannot fail: the out-of-line part is there */
	m->local = h->dst;
	m->local_len = h->dst_len;
	c->proxied = 1;
	return 0;
}

void ymk__session_report(struct ymk_conn *c, enum ymk_conn_end end, uint64_t requests, uint64_t bytes_in,
			 uint64_t bytes_out)
{
	const struct ymk__settings *s = &c->srv->s;
	if (!c->decided || c->reported)
		return;
	c->reported = 1;
	if (!s->close_hook)
		return;
	ymk_conn_report r;
	memset(&r, 0, sizeof r);
	r.size = sizeof r;
	r.end = end;
	r.requests = requests;
	r.bytes_in = bytes_in;
	r.bytes_out = bytes_out;
	r.duration_us = (ymk__os_now_ms() - c->t_accept) * 1000u;
	s->close_hook(c, &r, s->close_user);
}

/* ---- accessors ----------------------------------------------------------------------------- */

const struct sockaddr *ymk_conn_peer(const ymk_conn *c, socklen_t *len)
{
	if (len)
		*len = c ? c->peer_len : 0;
	return c ? ymk__session_peer(c) : NULL;
}

const struct sockaddr *ymk_conn_socket_peer(const ymk_conn *c, socklen_t *len)
{
	if (c && c->more && c->more->sock_peer_len) {
		if (len)
			*len = c->more->sock_peer_len;
		return (const struct sockaddr *)&c->more->sock_peer;
	}
	return ymk_conn_peer(c, len);
}

const struct sockaddr *ymk_conn_local(const ymk_conn *c, socklen_t *len)
{
	if (len)
		*len = 0;
	if (!c)
		return NULL;
	/* Read on first use: most connections never ask, and it is a system call and an allocation.
	 * The object is the library's own, so filling the cache through a const pointer is sound. */
	struct ymk_conn *w = (struct ymk_conn *)c;
	if ((!c->more || !c->more->local_len) && c->fd >= 0 && more_of(w)) {
		socklen_t l = sizeof w->more->local;
		if (getsockname(c->fd, (struct sockaddr *)&w->more->local, &l) == 0)
			w->more->local_len = l > sizeof w->more->local ? sizeof w->more->local : l;
	}
	if (!c->more || !c->more->local_len)
		return NULL;
	if (len)
		*len = c->more->local_len;
	return (const struct sockaddr *)&c->more->local;
}

int ymk_conn_proxied(const ymk_conn *c)
{
	return c && c->proxied;
}

int ymk_conn_listener(const ymk_conn *c)
{
	return c ? (int)c->listener : YMK_EINVAL;
}

int ymk_conn_model(const ymk_conn *c)
{
	return c ? (int)c->model : YMK_EINVAL;
}

void *ymk_conn_state(const ymk_conn *c)
{
	return c ? c->state : NULL;
}

int ymk_conn_set_state(ymk_conn *c, void *state)
{
	if (!c)
		return YMK_EINVAL;
	c->state = state;
	return 0;
}
