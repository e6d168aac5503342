/* handler.c: the handler chain (see handler.h), with its first and last links: the embedder's
 * handler, which may answer, defer the request, read the body first (into memory, or given to
 * its body callback in pieces), pass, or name an error status; and the 404 at the end. */
#include "handler.h"

#include "body.h"
#include "request.h"

/* What a handler's return value means once its call is over: an answer given, the request
 * deferred, or else the library's page for the status it named (500 for anything else). */
static void handler_returned(struct ymk_request *r, int rc)
{
	if (!r->responded && !r->deferred)
		ymk__request_error(r, rc >= 400 && rc <= 599 ? rc : 500, 0, r->extra);
}

/* The embedder's handler is called a second time once the body it asked for is in memory. */
static void handler_body_done(struct ymk_request *r)
{
	ymk_server *srv = r->srv;
	r->body = r->body_sink->mem ? r->body_sink->mem : "";
	r->body_len = r->body_sink->mem_len;
	int rc = srv->s.handler(r, srv->s.handler_user);
	r->body = NULL; /* the memory goes with the sink: a deferred request must not see it */
	r->body_len = 0;
	handler_returned(r, rc);
}

/* The body callback hears of the end of the body. */
static void handler_stream_done(struct ymk_request *r)
{
	handler_returned(r, r->body_fn(r, NULL, 0, r->body_user));
}

static int embedder_link(struct ymk_request *r)
{
	ymk_server *srv = r->srv;
	uint64_t max_body = r->body_limit;
	int rc = srv->s.handler(r, srv->s.handler_user);
	if (r->responded || (r->deferred && rc != YMK_READ_BODY))
		return YMK__LINK_ANSWERED;
	if (rc == YMK_READ_BODY) {
		/* In pieces up to the PUT limit, or into memory up to the handler-body limit (both
		 * as lowered by the handler). */
		int st = r->body_fn ? ymk__body_to_handler(r, r->body_limit, handler_stream_done)
				    : ymk__body_to_memory(r,
							  r->body_limit < srv->s.max_handler_body
								  ? r->body_limit
								  : srv->s.max_handler_body,
							  handler_body_done);
		if (st)
			ymk__request_error(r, st, 1, NULL);
		return YMK__LINK_ANSWERED;
	}
	if (rc == YMK_PASS) {
		r->body_limit = max_body;
		r->body_fn = NULL;
		return YMK__LINK_PASS;
	}
	/* A bare status: the library's page, with the headers the handler added (a 401's
	 * WWW-Authenticate, a CORS header). */
	ymk__request_error(r, rc >= 400 && rc <= 599 ? rc : 500, 0, r->extra);
	return YMK__LINK_ANSWERED;
}

static int not_found_link(struct ymk_request *r)
{
	ymk__request_error(r, 404, 0, NULL);
	return YMK__LINK_ANSWERED;
}

void ymk__chain_build(ymk_server *srv)
{
	struct ymk__chain *ch = &srv->chain;
	ch->n = 0;
	if (srv->s.handler)
		ch->links[ch->n++] = embedder_link;
	if (srv->s.bundle)
		ch->links[ch->n++] = ymk__bundle_serve;
	ch->links[ch->n++] = ymk__static_serve;
	ch->links[ch->n++] = not_found_link;
}

void ymk__chain_serve(struct ymk_request *r)
{
	const struct ymk__chain *ch = &r->srv->chain;
	for (unsigned i = 0; i < ch->n; i++)
		if (ch->links[i](r) == YMK__LINK_ANSWERED)
			return;
}
