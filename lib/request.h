/* request.h: the request object. It owns everything a request needs beyond the bytes of its head
 * (which the connection's input buffer keeps until the answer is done): the parsed head, the
 * decoded path and query, a scratch name for the file system, the answer's context, and its body
 * sink, so a request can outlive the callback that received it. Request objects and their
 * buffers come from two pools of the server: no allocation per request in the steady state.
 *
 * A deferred request (one that waits for the embedder) is compacted: its head bytes, the parsed
 * head's used headers, the path and the query are copied into one right-sized block, and the
 * buffers (about 20 KiB with the default limits) and the connection's input buffer go back to
 * their pools. The small object the embedder holds stays where it is. */
#ifndef YMK_REQUEST_H
#define YMK_REQUEST_H

#include "body.h"
#include "http_parse.h"
#include "internal.h"
#include "path.h"
#include "response.h"
#include "transport.h"

#include <sys/socket.h>
#include <sys/stat.h>

/* The request as handlers see it (the public ymk_request). */
struct ymk_request {
	ymk_server *srv;
	const struct ymk__transport *transport; /* the connection's, for the TLS accessors */
	struct ymk_conn *conn; /* the connection's object (session.h); set by the connection */
	const struct sockaddr *peer;
	socklen_t peer_len;
	struct ymk__http_request *http; /* the parsed head, in this object's block */
	const char *method;             /* NUL-terminated in the connection's input buffer */
	const char *target;             /* idem */
	char *path;                     /* "/" + rel (+ "/"), in this object's block */
	struct ymk__path p;             /* p.rel points into path */
	char *query;                    /* NUL-terminated copy, or NULL */
	char *fsname;                   /* scratch: "/" + the name the kernel sees (with room for a
					 * suffix such as "/index.html" or ".br"), fsname_cap bytes */
	size_t fsname_cap;
	struct ymk__resp resp; /* how the answer is built, and into which output object */
	int responded;
	/* The pooled buffers (http, path, query, fsname, the body sink), or NULL once compacted. */
	char *block;
	char *compact; /* the compacted head, path and query (ymk__request_compact), or NULL */
	int probe;     /* a policy call made to build an Allow header */
	uint64_t body_limit;
	unsigned file_mode;
	const void *body; /* the body read for a handler's second call */
	size_t body_len;
	/* Response headers added by the handler, the policy or the verdict: "Name: value\r\n" lines,
	 * NUL-terminated (so they can be given to ymk__resp_error() as they are). */
	char *extra;
	size_t extra_len;
	/* Inside a policy or verdict call: an answer given there is recorded as the refusal (its
	 * status, its content type, NUL, its body, in one allocation owned here) for static.c to
	 * send once the hook returned. */
	int in_hook;
	int refusal_status; /* 0: none recorded */
	char *refusal;
	size_t refusal_len;          /* bytes of the body after the type's NUL */
	struct ymk__body *body_sink; /* a body to read before the answer, or none (in block; NULL once
				      * compacted, when no body can be read any more) */

	/* Answers that take time (stream.c): the connection installs kick, which tells it that the
	 * request can make progress (an answer, stream data, a resumed body), and owner. */
	void (*kick)(struct ymk_request *r);
	void *owner;
	unsigned deferred : 1;      /* kept after its callback returned (ymk_request_defer) */
	unsigned closing : 1;       /* its close callback runs: no more calls on it */
	unsigned body_partial : 1;  /* inside a body callback before the body is complete */
	unsigned want_writable : 1; /* a write was refused: call on_writable once it has room */
	unsigned stream : 1;        /* an answer by ymk_stream_open()/ymk_sse_open() is open */
	unsigned stream_ended : 1;  /* ymk_stream_end() was called */
	unsigned sse : 1;           /* the stream is Server-Sent Events */
	unsigned body_paused : 1;   /* a body callback returned YMK_PAUSE */
	unsigned idle_ms;           /* idle limit while waiting for the embedder; 0: none */
	unsigned sse_keepalive_ms;  /* 0: no keep-alive comments */
	int close_hint;             /* the reason for the close callback when the library ended the
				    * answer itself (a 503 past the idle limit...); -1: none */
	ymk_request_close_fn *on_close;
	void *close_user;
	ymk_writable_fn *on_writable;
	void *writable_user;
	ymk_body_fn *body_fn;
	void *body_user;
};

/* The size of a request's buffers for the server's limits (pool_reqbuf's size; pool_req holds
 * struct ymk_request). */
size_t ymk__request_size(const struct ymk__settings *s);

/* Takes a request object and its buffers from the server's pools (or allocates them); NULL when
 * out of memory. Its http member is ready for the parser; the rest is set by
 * ymk__request_start(). */
struct ymk_request *ymk__request_get(ymk_server *srv);

/* Copies what a deferred request still needs (the head bytes head[0..head_len) that http points
 * into, the used headers, the path and the query) into one right-sized block and gives the
 * pooled buffers back; afterwards nothing of the request points into head. The body sink must be
 * empty. 0, or YMK_ENOMEM (the request is unchanged and keeps working). */
int ymk__request_compact(struct ymk_request *r, const char *head, size_t head_len);

/* Tells the connection that the request can make progress (after an answer or stream data was
 * given from outside the connection's own step). */
void ymk__request_kick(struct ymk_request *r);

/* The request is over: its close callback (if any) runs with the reason, once. */
void ymk__request_closed(struct ymk_request *r, enum ymk_close_reason reason);

/* The checks every answer makes: 0, or the code to return (YMK_EINVAL, YMK_ESTATE in a hook or a
 * closing request, YMK_ERESPONDED). */
int ymk__request_can_answer(const struct ymk_request *r);

/* Puts the handler's added headers on the answer context (before an answer is built). */
void ymk__request_with_extra(struct ymk_request *r);

/* Sets up a parsed request: decodes and checks the target's path into the request's buffers and
 * prepares the answer's context (resp must already name the output object and say is_head,
 * keep_alive and ka_header). Returns 0, or the HTTP status to answer (400, 403, 404, 414). */
int ymk__request_start(struct ymk_request *r, const struct sockaddr *peer, socklen_t peer_len);

/* Gives the request back to the pool: its body sink is thrown away, added headers freed. */
void ymk__request_put(struct ymk_request *r);

/* Appends "name: value\r\n" to r->extra, unchecked (the library's own headers). 0 or YMK_ENOMEM. */
int ymk__request_add_header(struct ymk_request *r, const char *name, const char *value);

/* Answers through response.c with the handler's added headers (see ymk__resp_memory and
 * ymk__resp_created). */
void ymk__request_memory(struct ymk_request *r, int status, const char *content_type, const void *body,
			 size_t len);
void ymk__request_created(struct ymk_request *r, int replaced);

/* Answers with the library's error page (custom page when configured), see ymk__resp_error. */
void ymk__request_error(struct ymk_request *r, int status, int close, const char *extra);

/* The custom error page source of a server (srv's error_fd), for struct ymk__resp. */
int ymk__error_page(void *srv, int status, char **page, size_t *len);

/* The media type for a request path: the embedder's hook first, then the built-in table, then
 * application/octet-stream. fentry, when not NULL, is the cache entry of the file at path: its
 * kept table answer stands in for the lookup. The hook is asked either way, on every call. */
struct ymk__fentry;
const char *ymk__content_type(ymk_server *srv, const char *path, const struct ymk__fentry *fentry);

/* Answers with the open regular file fd (taken over; or owned by fentry, a cache entry whose
 * reference is taken over instead, and whose kept ETag and Last-Modified are used) and its stat,
 * applying HEAD, preconditions and Range; the handler's added headers go on it. */
void ymk__request_file(struct ymk_request *r, int fd, const struct stat *st, const char *content_type,
		       const char *encoding, int vary, struct ymk__fentry *fentry);

#endif
