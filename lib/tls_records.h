/* tls_records.h: the plaintext side of writing TLS records, which both TLS backends share
 * (tls_records.c): a head and a small body gathered into one record, a body of many records
 * corked so that they leave in full TCP segments, and a file read into a pooled buffer of one
 * record's size and handed to the backend's write until it took all of it. The backend gives
 * its write call, which encrypts and sends what it can of one buffer. A connection that could not
 * get its TLS state has a transport here too, whose every call fails. */
#ifndef YMK_TLS_RECORDS_H
#define YMK_TLS_RECORDS_H

#include "alloc.h"
#include "transport.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct ymk__tls_out {
	struct ymk__pool *bufs; /* buffers of YMK__TLS_BUF bytes (the context's pool) */
	char *buf;              /* a file's plaintext being encrypted (from the pool), or NULL */
	size_t pend_off;        /* bytes of buf the backend already took */
	size_t pend_len;        /* bytes in buf */
	int corked;             /* a body larger than a record is being written: corked */
};

/* Encrypts and sends what it can of p[0..n): bytes taken (> 0), or -errno (-EAGAIN: retry with
 * the same bytes). */
typedef long ymk__tls_write_fn(struct ymk__transport *t, const void *p, size_t n);

/* The transport's sendv once the handshake is done. */
long ymk__tls_out_sendv(struct ymk__tls_out *o, struct ymk__transport *t, ymk__tls_write_fn *write,
			const struct iovec *iov, int iovcnt);

/* The transport's sendfile once the handshake is done, without kernel TLS. */
long ymk__tls_out_sendfile(struct ymk__tls_out *o, struct ymk__transport *t, ymk__tls_write_fn *write, int fd,
			   uint64_t *off, uint64_t count, int more);

/* Gives the file buffer back to the pool (an idle connection holds none). */
void ymk__tls_out_give_back(struct ymk__tls_out *o);

/* The transport of a connection that could not get its TLS state (out of memory): every call
 * fails with -ENOMEM, and closing it closes fd. A backend starts a connection with it and
 * replaces it once the state is there. */
void ymk__tls_transport_broken(struct ymk__transport *tr, int fd);

#endif
