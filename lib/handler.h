/* handler.h: the handler chain. ymk_server_new() builds it once: the embedder's handler (when
 * set), the bundle (when set), the static files, then 404. The connection hands every request to
 * ymk__chain_serve(), which gives it to each link in turn until one answers. A link answers (with
 * an answer in the request's output object, or a body sink attached whose completion answers) or
 * passes the request on. */
#ifndef YMK_HANDLER_H
#define YMK_HANDLER_H

#include "internal.h"

struct ymk_request;

#define YMK__LINK_ANSWERED 0
#define YMK__LINK_PASS 1

/* Builds srv->chain from the settings. */
void ymk__chain_build(ymk_server *srv);

/* Runs the request through the chain until a link answers. */
void ymk__chain_serve(struct ymk_request *r);

/* The links of the other handler files. */
int ymk__bundle_serve(struct ymk_request *r);
int ymk__static_serve(struct ymk_request *r);

/* What the bundle shares with the static handler (static.c): the path policy, asked before a
 * read is answered (1 when it refused: the refusal is answered, with Allow for a 405); the 301
 * from "/dir" to "/dir/" (the decoded path re-encoded, so the Location never carries raw request
 * bytes other than the already valid query). */
int ymk__static_admit(struct ymk_request *r);
void ymk__static_redirect_dir(struct ymk_request *r);

/* The Allow value for the server's enabled methods ("GET, HEAD, OPTIONS, PUT, DELETE" at most)
 * into out (at least 64 bytes); what OPTIONS * answers. */
void ymk__static_allow_all(const ymk_server *srv, char *out);

#endif
