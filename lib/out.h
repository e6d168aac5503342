/* out.h: the output object: one answer's bytes as the connection sends them.
 *
 * An answer is its head (and, for small answers, its body) in buf, followed by a body source:
 * none, memory that outlives the answer (a bundle, a cached file's bytes), a range of an open
 * file, or segments (a multipart answer: pieces of buf and of the memory or the file, in order).
 * response.c builds answers into it; ymk__out_send() writes it through a transport. A new kind of
 * answer is a new body source here, and neither the builders' callers nor conn.c change. */
#ifndef YMK_OUT_H
#define YMK_OUT_H

#include "alloc.h"
#include "transport.h"

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
};

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
	const unsigned char *mem;   /* MEM, or SEGS from memory */
	int fd;                     /* FILE, or SEGS from a file; -1 when none */
	struct ymk__fentry *fentry; /* when set, mem or fd belongs to this cache entry: released */
	uint64_t start, off, end;   /* MEM/FILE: the range of the source; off = next byte to send */
	struct ymk__seg *segs;
	size_t nsegs, seg_i;
	uint64_t seg_done; /* bytes of segs[seg_i] sent */
	uint64_t seg_body; /* body bytes sent through segments */

	int status;        /* of the answer */
	uint64_t body_len; /* body bytes the answer carries (0 for HEAD), for the access log */
	int close;         /* the answer says Connection: close */
	int oom;           /* building ran out of memory: the answer is unusable */
	int source_short;  /* sending failed because the file ended before the promised length */
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

/* Lets go of the body source: closes the file, releases the cache entry, forgets memory and
 * segments. buf stays as it is (a HEAD answer keeps its head). */
void ymk__out_drop_body(struct ymk__out *o);

/* ymk__out_drop_body(), and the answer is empty again; buf is kept for the next one. */
void ymk__out_reset(struct ymk__out *o);

/* ymk__out_reset(), and buf goes back to the pool (a grown one is freed): an idle connection holds
 * no output buffer. */
void ymk__out_release(struct ymk__out *o);

/* Writes what the transport takes. Returns 1 when the whole answer was sent, 0 when the
 * transport is blocked (its `blocked` says on what), -1 when the connection failed or the file
 * ended before the length already promised. *progress is set when any byte left. */
int ymk__out_send(struct ymk__out *o, struct ymk__transport *t, int *progress);

/* Body bytes sent so far. */
uint64_t ymk__out_body_sent(const struct ymk__out *o);

/* Bytes of the answer sent so far, head and body (a connection's byte count). */
uint64_t ymk__out_wire_sent(const struct ymk__out *o);

#endif
