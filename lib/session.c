/* session.c: the connection object and its accessors, and the close report (see session.h). */
#include "session.h"

#include "os.h"
#include "proxy.h"

#include <string.h>

void ymk__session_init(struct ymk_conn *c, ymk_server *srv, int fd, const struct sockaddr_storage *peer,
		       socklen_t peer_len, uint64_t now)
{
	memset(c, 0, sizeof *c);
	c->srv = srv;
	c->fd = fd;
	if (peer_len > sizeof c->peer)
		peer_len = sizeof c->peer;
	memcpy(&c->peer, peer, peer_len);
	c->peer_len = peer_len;
	c->sock_peer = c->peer;
	c->sock_peer_len = peer_len;
	c->model = srv->s.model;
	c->t_accept = now;
}

void ymk__session_proxied(struct ymk_conn *c, const struct ymk__proxy_hdr *h)
{
	if (h->local)
		return;
	c->peer = h->src;
	c->peer_len = h->src_len;
	c->local = h->dst;
	c->local_len = h->dst_len;
	c->proxied = 1;
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
	return c ? (const struct sockaddr *)&c->peer : NULL;
}

const struct sockaddr *ymk_conn_socket_peer(const ymk_conn *c, socklen_t *len)
{
	if (len)
		*len = c ? c->sock_peer_len : 0;
	return c ? (const struct sockaddr *)&c->sock_peer : NULL;
}

const struct sockaddr *ymk_conn_local(const ymk_conn *c, socklen_t *len)
{
	if (len)
		*len = 0;
	if (!c)
		return NULL;
	if (!c->local_len && c->fd >= 0) {
		/* Read on first use: most connections never ask, and it is a system call. The object
		 * is the library's own, so filling the cache through a const pointer is sound. */
		struct ymk_conn *w = (struct ymk_conn *)c;
		socklen_t l = sizeof w->local;
		if (getsockname(c->fd, (struct sockaddr *)&w->local, &l) == 0)
			w->local_len = l > sizeof w->local ? sizeof w->local : l;
	}
	if (!c->local_len)
		return NULL;
	if (len)
		*len = c->local_len;
	return (const struct sockaddr *)&c->local;
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
