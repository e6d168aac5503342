/* admit.c: the door's decision and refusals (see admit.h). A refusal costs no allocation: a status
 * answer is built into a buffer on the stack through response.c, the 503 is the prebuilt one, and
 * both go out through the listener's transport like the cap's 503 always did (listen.c). */
#include "admit.h"

#include "listen.h"
#include "log.h"
#include "os.h"
#include "out.h"
#include "response.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int ymk__admit_decide(ymk_server *srv, struct ymk_conn *c, unsigned live, unsigned from_client)
{
	const struct ymk__settings *s = &srv->s;
	c->decided = 1;
	if (s->accept_hook) {
		int v = s->accept_hook(c, s->accept_user);
		if (v >= 400 && v <= 599)
			return v;
		if (v != YMK_CONN_ALLOW)
			return YMK__ADMIT_CLOSE; /* YMK_CONN_REFUSE, and any value it does not name */
	}
	if (s->max_per_client && from_client >= s->max_per_client)
		return YMK__ADMIT_LIMIT;
	if (live >= s->max_connections)
		return YMK__ADMIT_CAP;
	return 0;
}

static void show_addr(const struct sockaddr *sa, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
		port = ntohs(s4->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		port = ntohs(s6->sin6_port);
	} else if (sa->sa_family == AF_UNIX) {
		snprintf(out, cap, "a Unix-socket client");
		return;
	}
	snprintf(out, cap, sa->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
}

/* One line per event, at most YMK__REFUSAL_LOG_MAX a second per process; what is left out is
 * counted and said with the first line of a later second, so a flood cannot fill a disk. */
static void door_log(ymk_server *srv, const struct ymk_conn *c, const char *what)
{
	if (!srv->s.log)
		return;
	uint64_t second = ymk__os_now_ms() / 1000;
	if (second != srv->refusal_second) {
		if (srv->refusal_unlogged)
			ymk__log(&srv->s, YMK_LOG_INFO,
				 "%u more refused or dropped connections were not logged",
				 srv->refusal_unlogged);
		srv->refusal_second = second;
		srv->refusal_logged = srv->refusal_unlogged = 0;
	}
	if (srv->refusal_logged >= YMK__REFUSAL_LOG_MAX) {
		srv->refusal_unlogged++;
		return;
	}
	srv->refusal_logged++;
	char who[INET6_ADDRSTRLEN + 16], via[INET6_ADDRSTRLEN + 32] = "";
	show_addr(ymk__session_peer(c), who, sizeof who);
	if (c->proxied) {
		char proxy[INET6_ADDRSTRLEN + 16];
		show_addr(ymk_conn_socket_peer(c, NULL), proxy, sizeof proxy);
		snprintf(via, sizeof via, " (via %s)", proxy);
	}
	ymk__log(&srv->s, YMK_LOG_INFO, "connection from %s%s %s", who, via, what);
}

void ymk__admit_refuse(ymk_server *srv, struct ymk__transport *tr, struct ymk_conn *c, int refusal,
		       uint64_t bytes_in)
{
	char buf[512];
	const char *answer = NULL;
	size_t len = 0;
	enum ymk_conn_end end = YMK_CONN_END_REFUSED;
	if (refusal == YMK__ADMIT_LIMIT || refusal == YMK__ADMIT_CAP || refusal == 503) {
		answer = srv->busy;
		len = srv->busy_len;
		end = refusal == 503 ? YMK_CONN_END_REFUSED : YMK_CONN_END_LIMIT;
	} else if (refusal >= 400) {
		struct ymk__out o;
		ymk__out_init_fixed(&o, buf, sizeof buf);
		struct ymk__resp rs = {.out = &o, .dates = &srv->dates};
		ymk__resp_error(&rs, refusal, 1, NULL);
		answer = buf;
		len = o.oom ? 0 : o.len;
	}
	long sent = ymk__listen_send_close(srv, tr, answer, len);
	if (refusal == YMK__ADMIT_CLOSE)
		door_log(srv, c, "refused by the accept hook");
	else if (refusal == YMK__ADMIT_LIMIT)
		door_log(srv, c, "refused: over the per-client connection limit (503)");
	else if (refusal >= 400) {
		char what[64];
		snprintf(what, sizeof what, "refused by the accept hook (%d)", refusal);
		door_log(srv, c, what);
	}
	c->fd = -1;
	ymk__session_report(c, end, 0, bytes_in, sent > 0 ? (uint64_t)sent : 0);
}

void ymk__admit_log_drop(ymk_server *srv, const struct ymk_conn *c, const char *why)
{
	door_log(srv, c, why);
}
