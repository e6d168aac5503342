/* response.h: building a response head (and small bodies) into a connection's output buffer.
 *
 * Status lines, the headers every response carries, error pages that never echo request data,
 * and the file and buffer answers that apply HEAD and Range the same way for every source. */
#ifndef YMK_RESPONSE_H
#define YMK_RESPONSE_H

#include "conn.h"
#include "http_parse.h"
#include "path.h"

#include <sys/stat.h>

/* The request as handlers see it (the public ymk_request). Lives on the stack of the call that
 * processes one request. */
struct ymk_request {
	struct ymk__conn *conn;
	const struct ymk__http_request *http;
	const char *method;  /* NUL-terminated in the connection's input buffer */
	const char *target;  /* idem */
	const char *path;    /* "/" + rel (+ "/"), in the server's scratch buffer */
	const struct ymk__path *p;
	const char *query;   /* NUL-terminated copy, or NULL */
	int responded;
	int probe;           /* a policy call made to build an Allow header */
	uint64_t body_limit;
	unsigned file_mode;
	const void *body;    /* the body read for a handler's second call */
	size_t body_len;
	/* Extra response headers added by the handler, the policy or the verdict: "Name: value\r\n"
	 * lines, NUL-terminated (so they can be given to ymk__respond_error() as they are). */
	char *extra;
	size_t extra_len;
	/* Inside a policy or verdict call: an answer given there is recorded as the refusal (its
	 * status, its content type, NUL, its body, in one allocation owned here) for static.c to
	 * send once the hook returned. */
	int in_hook;
	int refusal_status; /* 0: none recorded */
	char *refusal;
	size_t refusal_len; /* bytes of the body after the type's NUL */
};

/* Appends "name: value\r\n" to r->extra, unchecked (the library's own headers). 0 or YMK_ENOMEM. */
int ymk__request_add_header(struct ymk_request *r, const char *name, const char *value);

/* The reason phrase for a status ("Not Found"); "Unknown" for a status without one. */
const char *ymk__status_reason(int status);

/* Answers with the library's short HTML page for a status (3xx, 4xx, 5xx); the page names only
 * the status, never request data. close forces Connection: close. extra, when not NULL, holds
 * complete header lines ("Allow: GET\r\n") to add. Never fails: when memory is short the
 * connection is closed without an answer. */
void ymk__respond_error(struct ymk__conn *c, int status, int close, const char *extra);

/* Answers 204 to OPTIONS with the given Allow value. */
void ymk__respond_options(struct ymk__conn *c, const char *allow);

/* Answers with the open regular file fd (taken over; or owned by fentry, a cache entry whose
 * reference is taken over instead) and its stat, applying HEAD, the
 * preconditions (304, 412), If-Range and Range (206, multipart, 416). content_type is the media
 * type to send; encoding, when not NULL, a Content-Encoding ("gzip", "br"); vary adds
 * "Vary: Accept-Encoding". */
struct ymk__fentry;
void ymk__respond_file(struct ymk_request *r, int fd, const struct stat *st, const char *content_type,
		       const char *encoding, int vary, struct ymk__fentry *fentry);

/* Answers from a bundle entry (its gzip variant when the client accepts gzip), applying HEAD,
 * preconditions and Range like ymk__respond_file; the body is sent from the bundle's memory. */
void ymk__respond_bundle(struct ymk_request *r, const ymk_bundle_file *f);

/* The strong entity-tag of a file, quotes included, into out (at least 64 bytes). Its length. */
size_t ymk__etag(const struct stat *st, char *out);

/* Answers "201 Created" with a Location for the request path, or "204 No Content". */
void ymk__respond_created(struct ymk_request *r, int replaced);

/* Answers with a copy of body[0..len) (Range applied to a 200 answer to GET). location, when not
 * NULL, becomes a Location header. Returns 0 or YMK_ENOMEM (the connection then closes). */
int ymk__respond_memory(struct ymk_request *r, int status, const char *content_type, const void *body,
			size_t len, const char *location);

/* The media type for a request path: the embedder's hook first, then the built-in table,
 * then application/octet-stream. */
const char *ymk__content_type(ymk_server *srv, const char *path);

/* The static-file handler: answers r from the document root (static.c). */
void ymk__static_serve(struct ymk_request *r);

/* Writes the Allow value for the server's enabled methods ("GET, HEAD, OPTIONS, PUT, DELETE" at
 * most) into out (at least 64 bytes); for OPTIONS *. */
void ymk__allow_server(const ymk_server *srv, char *out);

/* The upload of a pending PUT is complete: verdict, then put in place, then 201/204 (static.c). */
void ymk__static_finish_upload(struct ymk__conn *c, struct ymk_request *r);

/* Starts reading the body of r into a sink (conn.c). For an upload, dir_fd, tmp and base are
 * taken over. Returns 0, or an HTTP status to answer instead (everything then released). */
int ymk__conn_start_body(struct ymk_request *r, enum ymk__body_sink sink, uint64_t limit, int dir_fd,
			 struct ymk__tmpfile *tmp, const char *base, unsigned mode);

#endif
