/* conn.h: one connection's protocol state machine, the same code in every process model.
 *
 * The socket is non-blocking in every model. ymk__conn_step() does all the work that can be done
 * without blocking and says what it waits for; the driver (the event loop, or the fork child's
 * poll loop) calls it again when the fd is ready, and calls ymk__conn_expire() when the deadline
 * from ymk__conn_deadline() has passed. */
#ifndef YMK_CONN_H
#define YMK_CONN_H

#include "chunked.h"
#include "fs.h"
#include "http_parse.h"
#include "internal.h"
#include "path.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum ymk__want {
	YMK__WANT_CLOSE = 0, /* done: the driver closes and frees the connection */
	YMK__WANT_READ = 1,
	YMK__WANT_WRITE = 2,
};

enum ymk__conn_state {
	YMK__ST_READ_HEAD,
	YMK__ST_SEND_CONTINUE, /* writing "100 Continue", then READ_BODY */
	YMK__ST_READ_BODY,
	YMK__ST_SEND,
	YMK__ST_LINGER, /* response sent, write side shut: discard input until EOF or a deadline */
};

/* Where a request body goes. */
enum ymk__body_sink {
	YMK__SINK_UPLOAD = 1,  /* a temporary file, put in place when complete (PUT) */
	YMK__SINK_HANDLER = 2, /* memory, then the handler is called again */
};

/* A request whose body is being read. It outlives the call that parsed the head, so it keeps its
 * own copy of the parsed request (whose slices point into the connection's input buffer, which
 * holds the head unchanged until the response is done) and of the decoded path. */
struct ymk__pending {
	enum ymk__body_sink sink;
	struct ymk__http_request http;
	struct ymk__path p;
	char *path;  /* "/" rel ["/"] NUL, then the query copy, then the file's base name */
	char *query; /* NULL when none */
	const char *base;

	int chunked;
	struct ymk__chunked dec;
	uint64_t remaining; /* Content-Length bytes still to come */
	uint64_t received;  /* body bytes stored */
	uint64_t limit;
	uint64_t t_start;

	int dir_fd; /* upload: the target's directory */
	struct ymk__tmpfile tmp;
	unsigned mode;

	char *mem; /* handler: the body so far */
	size_t mem_len, mem_cap;
};

/* One piece of a response body: bytes of out[] or a range of the body source (the file, or the
 * static memory of a bundle). */
struct ymk__seg {
	uint64_t off, len;
	int from_source;
};

struct ymk__conn {
	ymk_server *srv;
	int fd;
	enum ymk__conn_state state;
	struct sockaddr_storage peer;
	socklen_t peer_len;

	/* Input: the head being read, then pipelined bytes after it. */
	char *in;
	size_t in_len, in_cap;
	size_t head_len;  /* bytes of the current request's head, consumed after its response */
	int head_started; /* a byte of the current request has arrived */
	int rd_drained;   /* a short read emptied the socket since the last readiness report */
	int served;       /* requests answered on this connection */

	/* Output: status line and headers, then a memory body, if any. */
	char *out;
	size_t out_len, out_off, out_cap;
	/* The body source, sent after out[]: a file, or memory that outlives the response (a bundle);
	 * file_off..file_end is the range to send from either. */
	int file_fd; /* -1 when none */
	struct ymk__fentry *fentry; /* when set, file_fd belongs to this cache entry: released, not closed */
	const unsigned char *ext_body; /* NULL when none */
	uint64_t file_off, file_end;
	struct ymk__seg *segs; /* multipart: pieces sent in order instead of out[] + file; or NULL */
	size_t nsegs, seg_i;
	uint64_t seg_done; /* bytes of segs[seg_i] sent */
	uint64_t seg_body; /* body bytes sent through segments */

	struct ymk__pending *pend; /* a body being read, or NULL */

	int keep_alive;    /* the current response leaves the connection open */
	int keep_alive_asked; /* what the request's headers asked for */
	int ka_header;     /* HTTP/1.0 keep-alive: say "Connection: keep-alive" */
	int is_head;       /* the current request is HEAD: headers only */
	int oom;           /* building the current response ran out of memory */
	size_t out_head;   /* bytes of out[] that are the head (the rest is body) */
	uint64_t file_start;
	int status;        /* of the current response */
	uint64_t body_len; /* of the current response, for the access log */
	const char *log_method, *log_target;
	int log_version;

	uint64_t t_head;     /* first byte of the current request */
	uint64_t t_activity; /* last progress in either direction */
	uint64_t t_linger;   /* end of lingering close */
	int body_unread;     /* the current request has a body nobody reads */
	int linger_needed;   /* input may still arrive after the answer: wait for the client's FIN */
	size_t lingered;     /* bytes discarded while lingering */

	size_t heap_index;    /* owned by the event loop: position in its timer heap */
	uint64_t heap_key;    /* owned by the event loop: the deadline the heap is ordered by */
	unsigned ev_interest; /* owned by the event loop: the readiness registered (YMK__EV_*) */
};

/* The standard output buffer: heads, error pages and small handler answers. Bodies of files and
 * bundles are sent from where they are, never copied into it. */
#define YMK__OUT_STD 4096

/* Makes sure c->out exists (from the server's pool), with room for `more` bytes past out_len.
 * 0 or YMK_ENOMEM. */
int ymk__conn_out_reserve(struct ymk__conn *c, size_t more);

/* Lets go of the current response's body source: releases the file-cache entry or closes the
 * file, and forgets a memory body. */
void ymk__conn_drop_body(struct ymk__conn *c);

/* Prepares a connection for an accepted, non-blocking socket (takes over fd).
 * Returns 0 or YMK_ENOMEM (fd is then still the caller's). */
int ymk__conn_init(struct ymk__conn *c, ymk_server *srv, int fd, const struct sockaddr *peer,
		   socklen_t peer_len, uint64_t now);

/* Frees the buffers and closes the socket and any open file. */
void ymk__conn_close(struct ymk__conn *c);

/* Does all ready work. Returns what the connection waits for. */
enum ymk__want ymk__conn_step(struct ymk__conn *c, uint64_t now);

/* The time (monotonic ms) at which ymk__conn_expire() must be called. */
uint64_t ymk__conn_deadline(const struct ymk__conn *c);

/* The deadline passed: answers 408 where a request had started, else gives up on the connection. */
enum ymk__want ymk__conn_expire(struct ymk__conn *c, uint64_t now);

/* The fd whose readiness the driver watches. */
int ymk__conn_fd(const struct ymk__conn *c);

#endif
