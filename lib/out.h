/* out.h: the output object: one answer's bytes as the connection sends them.
 *
 * An answer is its head (and, for small answers, its body) in buf, followed by a body source:
 * none, memory that outlives the answer (a bundle, a cached file's bytes, or the embedder's
 * buffer with a free callback), a range of an open file, segments (a multipart answer: pieces of
 * buf and of the memory or the file, in order), or a body that comes over time (out_stream.c): a
 * producer asked for bytes only when the transport took what it had, or a stream the embedder
 * writes into a bounded buffer, with chunked framing or a declared length.
 * response.c builds answers into it; ymk__out_send() writes it through a transport. A new kind of
 * answer is a new body source here, and neither the builders' callers nor conn.c change. */
#ifndef YMK_OUT_H
#define YMK_OUT_H

#include "alloc.h"
#include "transport.h"
#include "ymawky.h"

#include <stddef.h>
#include <stdint.h>

/* The standard size of buf (from the pool): heads, error pages and small handler answers. Bodies
 * of files and bundles are sent from where they are, never copied into it. */
#define YMK__OUT_STD 4096

enum ymk__body_kind {
	YMK__BODY_NONE, /* everything is in buf */
	YMK__BODY_MEM,  /* buf, then mem[off..end) */
	YMK__BODY_FILE, /* buf, then the file fd from off to end */
	YMK__BODY_SEGS, /* the segments in order (segment 0 is the head) */
	YMK__BODY_DYN,  /* buf, then a producer's or a stream's bytes as they come (out_stream.c) */
};

/* ymk__out_send(): the source has nothing to send now; the connection waits for the embedder. */
#define YMK__OUT_WAIT 2
/* ymk__out_send(): a body over time (or a file) sent its share for one step (YMK__OUT_STEP_BYTES,
 * YMK__OUT_STEP_FILE_BYTES) and has more: the connection lets the others run and comes back (a
 * body as fast as the socket must not hold the loop, nor a 1 KiB answer on another connection
 * behind it). */
#define YMK__OUT_YIELD 3
#define YMK__OUT_STEP_BYTES (64u * 1024)
/* sendfile() copies nothing, so a file's share is larger; 256 KiB rather than 1 MiB keeps less
 * queued per socket under paced TCP (docs/performance.md, large files). */
#define YMK__OUT_STEP_FILE_BYTES (256u * 1024)

struct ymk__dyn;

/* One piece of a multipart answer: bytes of buf, or a range of the body source (mem or fd). */
struct ymk__seg {
	uint64_t off, len;
	int from_source;
};

struct ymk__fentry;

struct ymk__out {
	struct ymk__pool *pool; /* buffers of YMK__OUT_STD bytes; NULL: buf is the caller's, fixed */
	char *buf;
	size_t len, cap;
	size_t head_len; /* bytes of buf that are the head */
	size_t sent;     /* bytes of buf sent (kinds other than SEGS) */

	enum ymk__body_kind kind;
	int fd;                     /* FILE, or SEGS from a file; -1 when none */
	const unsigned char *mem;   /* MEM, or SEGS from memory */
	struct ymk__fentry *fentry; /* when set, mem or fd belongs to this cache entry: released */
	ymk_free_fn *mem_free;      /* when set, mem is the embedder's: given back through this */
	void *mem_free_user;
	struct ymk__dyn *dyn;     /* DYN */
	uint64_t start, off, end; /* MEM/FILE: the range of the source; off = next byte to send */
	struct ymk__seg *segs;
	size_t nsegs, seg_i;
	uint64_t seg_done; /* bytes of segs[seg_i] sent */
	uint64_t seg_body; /* body bytes sent through segments */

	uint64_t body_len;          /* body bytes the answer carries (0 for HEAD), for the access log */
	uint64_t flushed;           /* bytes of buf sent before ymk__out_trim() gave it back */
	int status;                 /* of the answer */
	unsigned char close;        /* the answer says Connection: close */
	unsigned char oom;          /* building ran out of memory: the answer is unusable */
	unsigned char aborted;      /* the source failed or fell short of its length: the connection closes */
	unsigned char source_short; /* sending failed because the file ended before the promised length */
};

void ymk__out_init(struct ymk__out *o, struct ymk__pool *pool);

/* An output object over the caller's fixed buffer (no pool): it never grows, and a builder that
 * needs more room sets oom. */
void ymk__out_init_fixed(struct ymk__out *o, char *buf, size_t cap);

/* Room for `more` bytes past len (buf from the pool first, then grown). 0, or -1 with oom set. */
int ymk__out_reserve(struct ymk__out *o, size_t more);

/* Appends bytes to buf; after a failed reservation it does nothing (oom stays set). */
void ymk__out_put(struct ymk__out *o, const void *p, size_t n);

/* Sets the body source (the source is taken over: an fd is closed, an entry released, when the
 * answer ends). */
void ymk__out_body_mem(struct ymk__out *o, const unsigned char *mem, struct ymk__fentry *owner, uint64_t off,
		       uint64_t len);
void ymk__out_body_file(struct ymk__out *o, int fd, struct ymk__fentry *owner, uint64_t off, uint64_t len);
/* The embedder's memory, given back with free_fn(user) when the answer ends. */
void ymk__out_body_taken(struct ymk__out *o, const unsigned char *mem, uint64_t len, ymk_free_fn *free_fn,
			 void *user);

/* Lets go of the body source: closes the file, releases the cache entry, forgets memory and
 * segments. buf stays as it is (a HEAD answer keeps its head). */
void ymk__out_drop_body(struct ymk__out *o);

/* ymk__out_drop_body(), and the answer is empty again; buf is kept for the next one. */
void ymk__out_reset(struct ymk__out *o);

/* ymk__out_reset(), and buf goes back to the pool (a grown one is freed): an idle connection holds
 * no output buffer. */
void ymk__out_release(struct ymk__out *o);

/* Writes what the transport takes. Returns 1 when the whole answer was sent, 0 when the
 * transport is blocked (its `blocked` says on what), YMK__OUT_WAIT when the source has nothing to
 * send now (a stream without data, a producer that said "later"), YMK__OUT_YIELD when it sent its
 * share of this step and has more, -1 when the connection failed
 * or the source ended before the length already promised or failed (then `aborted` is set).
 * *progress is set when any byte left. */
int ymk__out_send(struct ymk__out *o, struct ymk__transport *t, int *progress);

/* Body bytes sent so far (chunked framing included). */
uint64_t ymk__out_body_sent(const struct ymk__out *o);

/* 1 when ymk__out_send() can make progress: an answer was built and its source is not waiting. */
int ymk__out_ready(const struct ymk__out *o);

/* An answer whose head has been sent and whose body comes over time gives buf back to the pool,
 * so that a stream waiting for data holds no output buffer. */
void ymk__out_trim(struct ymk__out *o);

/* ---- bodies that come over time (out_stream.c) ---------------------------------------------
 * length: the body's declared length, or -1 (then chunked frames it, or the connection's close
 * ends it). The source is taken over: free_fn(user) runs exactly once when the answer ends, and
 * at once when the source cannot be set up (YMK_ENOMEM). */
int ymk__out_body_producer(struct ymk__out *o, int64_t length, int chunked, ymk_produce_fn *produce,
			   ymk_free_fn *free_fn, void *user);
/* A stream the embedder writes into; discard: HEAD, writes are counted and dropped. */
int ymk__out_body_stream(struct ymk__out *o, int64_t length, int chunked, int discard);

/* Queues data[0..len) (framed) when there is room: bytes taken, YMK_EAGAIN (no room),
 * YMK_EINVAL (past the declared length), YMK_ESTATE (no stream, or ended), YMK_ENOMEM. */
long ymk__out_stream_write(struct ymk__out *o, const void *data, size_t len);

/* The most data bytes one ymk__out_stream_write() takes whole now, and the most it could ever take
 * (with the buffer empty). */
size_t ymk__out_stream_room(const struct ymk__out *o);
size_t ymk__out_stream_room_max(const struct ymk__out *o);

/* No more writes: the queue, then the last chunk, then the answer is complete. 0 or YMK_ESTATE. */
int ymk__out_stream_end(struct ymk__out *o);

/* A producer that said "later" is asked again. 0 or YMK_ESTATE (no dynamic body). */
int ymk__out_stream_resume(struct ymk__out *o);

/* What out.c asks of the dynamic sources. */
int ymk__out_dyn_send(struct ymk__out *o, struct ymk__transport *t, int *progress);
int ymk__out_dyn_ready(const struct ymk__out *o);
uint64_t ymk__out_dyn_sent(const struct ymk__out *o);
void ymk__out_dyn_free(struct ymk__out *o);
/* Bytes of the answer sent so far, head and body (a connection's byte count). */
uint64_t ymk__out_wire_sent(const struct ymk__out *o);

#endif
