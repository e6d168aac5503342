/* body.h: request bodies and where they go (body sinks).
 *
 * A handler that wants a request's body attaches a sink to the request before it returns: a
 * temporary file (an upload, put in place by its completion callback), memory (a handler reads
 * it on its second call), or the embedder's body callback, given each piece as it arrives (which
 * may pause the body, refuse it, or answer before it ended). The connection then feeds the body's bytes as they arrive, framed by
 * Content-Length or chunked. When the body is complete it calls ymk__body_complete(), and the
 * sink's completion callback answers the request; when something ends the body early (400 bad
 * chunking, 408, 413, 507...) the sink is thrown away and nothing is stored. The connection never
 * knows which handler a body belongs to. */
#ifndef YMK_BODY_H
#define YMK_BODY_H

#include "chunked.h"
#include "fs.h"

#include <stddef.h>
#include <stdint.h>

struct ymk_request;

enum ymk__sink_kind {
	YMK__SINK_NONE = 0,
	YMK__SINK_FILE,    /* a temporary file beside the target */
	YMK__SINK_MEMORY,  /* memory, up to the limit */
	YMK__SINK_HANDLER, /* the embedder's body callback (ymk_request_stream_body) */
};

/* Returned by ymk__body_feed() when a body callback answered before the body was complete: the
 * answer is sent and the rest of the body is not read. */
#define YMK__BODY_ANSWERED 2

/* Called once when the body was stored completely; answers the request. */
typedef void ymk__body_done_fn(struct ymk_request *r);

struct ymk__body {
	enum ymk__sink_kind kind;
	ymk__body_done_fn *done;

	int chunked;
	struct ymk__chunked dec;
	uint64_t remaining; /* Content-Length bytes still to come */
	uint64_t received;  /* body bytes stored */
	uint64_t limit;
	uint64_t t_start; /* when the body began (after a 100 Continue: when that was sent) */

	int dir_fd;              /* FILE: the target's directory */
	const char *base;        /* FILE: the target's name in dir_fd (the owner keeps the bytes) */
	struct ymk__tmpfile tmp; /* FILE */
	char *mem;               /* MEMORY: the body so far */
	size_t mem_len, mem_cap;
	struct ymk_request *req; /* HANDLER: the request whose callback gets the pieces */
	int paused;              /* HANDLER: the callback paused the body (no more until resumed) */
	int complete;            /* the framing ended: every body byte was stored */
	uint64_t t_paused;       /* HANDLER: when the callback paused */
};

/* The request has no body sink (what a fresh request starts with). */
void ymk__body_init(struct ymk__body *b);

/* Attaches a sink to the request for its body, up to limit bytes. A Content-Length over the limit
 * is refused at once (413), before a byte is read or a 100 Continue sent. For a FILE sink the
 * directory fd and the temporary file are taken over in every case. Returns 0, or the HTTP status
 * to answer instead (everything then released). */
int ymk__body_to_file(struct ymk_request *r, uint64_t limit, int dir_fd, struct ymk__tmpfile *tmp,
		      ymk__body_done_fn *done);
int ymk__body_to_memory(struct ymk_request *r, uint64_t limit, ymk__body_done_fn *done);
int ymk__body_to_handler(struct ymk_request *r, uint64_t limit, ymk__body_done_fn *done);

/* Feeds framed body bytes (data[0..len)); *used: bytes consumed. Returns 0 (more needed, or the
 * body callback paused: b->paused), 1 (the body is complete; bytes after *used belong to the next
 * request), YMK__BODY_ANSWERED, or the HTTP status that ends the request (400 bad chunking, 413
 * over the limit, 507 disk full, a body callback's refusal, 500...). */
int ymk__body_feed(struct ymk__body *b, const char *data, size_t len, size_t *used);

/* The body is complete: the sink's callback answers the request, then the sink is released. */
void ymk__body_complete(struct ymk_request *r);

/* A paused body callback wants more: the pause's time is not counted against the body deadline. */
void ymk__body_resume(struct ymk__body *b);

/* Throws the sink away: a temporary file is removed, memory freed. Safe to call twice. */
void ymk__body_free(struct ymk__body *b);

#endif
