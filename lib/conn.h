/* conn.h: one connection's protocol state machine, the same code in every process model.
 *
 * The connection knows a transport (transport.h) and an output object (out.h), not sockets or
 * files; it hands each request to the handler chain (handler.h) and feeds request bodies to the
 * request's body sink (body.h). Every model drives it the same way: ymk__conn_step() does all the
 * work that can be done without blocking and says what it waits for; the driver (the event loop,
 * or the fork child's poll loop) calls it again when the transport's fd is ready, or when the
 * connection was made ready in the server's scheduler (schedule.h: the embedder answered a deferred
 * request, wrote stream data, resumed a body), and calls ymk__conn_expire() when the deadline
 * from ymk__conn_deadline() has passed. */
#ifndef YMK_CONN_H
#define YMK_CONN_H

#include "internal.h"
#include "out.h"
#include "session.h"
#include "transport.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum ymk__want {
	YMK__WANT_CLOSE = 0, /* done: the driver closes and frees the connection */
	YMK__WANT_READ = 1,
	YMK__WANT_WRITE = 2,
	YMK__WANT_WAIT = 3, /* waiting for the embedder (a kick) or the deadline: the fd need not be
			     * watched (an edge-triggered driver may keep its registration) */
};

enum ymk__conn_state {
	YMK__ST_READ_HEAD,
	YMK__ST_SEND_CONTINUE, /* writing "100 Continue", then READ_BODY */
	YMK__ST_READ_BODY,
	YMK__ST_SEND,
	YMK__ST_LINGER, /* response sent, write side shut: discard input until EOF or a deadline */
	YMK__ST_WAIT,   /* a deferred request or an answer over time waits for the embedder; input is
			 * read only to notice the client going away (and kept, if it is pipelined) */
};

struct ymk__conn {
	ymk_server *srv;
	struct ymk__transport tr;
	struct ymk_conn info;         /* what the embedder sees: addresses, listener, state (session.h) */
	uint64_t bytes_in, bytes_out; /* for the close report */

	/* Input: the head being read, then pipelined bytes after it. The head stays here unchanged
	 * until its answer is done: the request's parsed slices point into it. */
	char *in;
	size_t in_len;   /* of a buffer of the input pool's size */
	size_t head_len; /* bytes of the current request's head, consumed after its response */

	struct ymk_request *req; /* the request being read or answered (SEND_CONTINUE and READ_BODY
				  * always have one, with a body sink); NULL between requests */
	struct ymk__out out;     /* the answer being sent */
	const char *log_method, *log_target;

	uint64_t t_head;     /* first byte of the current request */
	uint64_t t_activity; /* last progress in either direction */
	uint64_t t_linger;   /* end of lingering close */
	size_t lingered;     /* bytes discarded while lingering */

	struct ymk__ready ready;     /* in the server's ready list (schedule.h) once the embedder kicked */
	unsigned heap_index;         /* owned by the event loop: position in its timer heap */
	uint64_t heap_key;           /* owned by the event loop: the deadline the heap is ordered by */
	struct ymk__proxy_rd *proxy; /* owned by the event loop: a PROXY header still being read */
	unsigned ev_interest;        /* owned by the event loop: the readiness registered (YMK__EV_*) */

	enum ymk__conn_state state;
	int end;        /* how it ended (enum ymk_conn_end), once known; -1 before */
	int end_reason; /* enum ymk_close_reason for the request's close callback on close */
	int served;     /* requests answered on this connection */
	int log_version;
	/* Flags, kept small: an idle connection is this object and nothing else. */
	unsigned char head_started; /* a byte of the current request has arrived */
	unsigned char rd_drained;   /* a short read emptied the transport since the last readiness report */
	unsigned char keep_alive_asked; /* what the request's headers asked for */
	unsigned char body_unread;      /* the current request has a body nobody reads */
	unsigned char linger_needed; /* input may still arrive after the answer: wait for the client's FIN */
	unsigned char held;          /* the current request was compacted while it waited */
	unsigned char close_now;     /* LINGER: nothing can be pending, close without reading first */
};

/* Prepares a connection over an accepted transport (taken over on success; on failure it stays
 * the caller's), described by info (copied). Returns 0 or YMK_ENOMEM. */
int ymk__conn_init(struct ymk__conn *c, ymk_server *srv, const struct ymk__transport *tr,
		   const struct ymk_conn *info, uint64_t now);

/* Ends the connection: an answer being sent is logged as it stands, a body being read is thrown
 * away (nothing stored), the buffers go back to the pools, the transport is closed, and the close
 * report is made (with the end set by ymk__conn_set_end(), else the one the state implies). */
void ymk__conn_close(struct ymk__conn *c);

/* Says how the connection ends (an enum ymk_conn_end), unless that is already known: a driver
 * that closes a connection for its own reasons (a stop) calls it before ymk__conn_close(). */
void ymk__conn_set_end(struct ymk__conn *c, int end);

/* Does all ready work. Returns what the connection waits for. */
enum ymk__want ymk__conn_step(struct ymk__conn *c, uint64_t now);

/* The time (monotonic ms) at which ymk__conn_expire() must be called. */
uint64_t ymk__conn_deadline(const struct ymk__conn *c);

/* The deadline passed: answers 408 where a request had started, else gives up on the connection. */
enum ymk__want ymk__conn_expire(struct ymk__conn *c, uint64_t now);

/* The fd whose readiness the driver watches. */
int ymk__conn_fd(const struct ymk__conn *c);

#endif
