/* admit.h: the door's decision on one connection, the same in every process model: the
 * embedder's accept hook, then the per-client limit, then the connection cap; and carrying out a
 * refusal (no byte, the hook's status, or the prebuilt 503) with its rate-limited log line and its
 * close report.
 *
 * A model calls ymk__admit_decide() once the client is known: at accept, or on a PROXY listener
 * once the header was read (proxy_read.h). The event loop decides in its own process; the fork
 * parent decides before fork(), so a refused client costs no process. */
#ifndef YMK_ADMIT_H
#define YMK_ADMIT_H

#include "internal.h"
#include "session.h"
#include "transport.h"

/* Refusals other than a status (ymk__admit_decide() returns a status 400..599 for the hook's). */
#define YMK__ADMIT_CLOSE (-1) /* the accept hook refused: close, no byte sent */
#define YMK__ADMIT_LIMIT (-2) /* past the per-client limit: the prebuilt 503 */
#define YMK__ADMIT_CAP (-3)   /* past the connection cap: the prebuilt 503 */

/* Decides on the connection described by c. live: the connections the model holds (this one not
 * counted); from_client: how many of them come from this client. Returns 0 to serve it, or the
 * refusal for ymk__admit_refuse(). A close report is owed from then on, whatever the answer. */
int ymk__admit_decide(ymk_server *srv, struct ymk_conn *c, unsigned live, unsigned from_client);

/* Carries out a refusal on the connection's transport (taken over and closed): sends the status
 * answer or the 503 without blocking (or nothing), closes, logs (rate-limited) and makes the close
 * report (YMK_CONN_END_REFUSED or YMK_CONN_END_LIMIT). bytes_in: bytes already read (a PROXY
 * header). */
void ymk__admit_refuse(ymk_server *srv, struct ymk__transport *tr, struct ymk_conn *c, int refusal,
		       uint64_t bytes_in);

/* A connection dropped before any decision (a PROXY header malformed or late): one log line,
 * rate-limited like the refusals. */
void ymk__admit_log_drop(ymk_server *srv, const struct ymk_conn *c, const char *why);

/* At most this many door log lines a second; the rest are counted and the count logged after. */
#define YMK__REFUSAL_LOG_MAX 10

#endif
