/* transport.h: how a connection's bytes travel, behind one interface: receive, send a vector,
 * send from a file, shut the output down, and say whether input is buffered above the kernel.
 *
 * conn.c, out.c and the 503 path move bytes only through this interface, so a layer such as TLS
 * sits here without any of them changing. transport_sock.c is the plain socket; the unit tests
 * have a memory transport. Calls never block: a call that cannot progress returns -EAGAIN and
 * sets `blocked` to the readiness it waits for (a TLS write may need input first, and a TLS read
 * output), which is what the connection then tells its driver to wait for. */
#ifndef YMK_TRANSPORT_H
#define YMK_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct ymk__transport;

struct ymk__transport_ops {
	/* Reads up to len bytes: the count (> 0), 0 at the end of input, -EAGAIN, or -errno. */
	long (*recv)(struct ymk__transport *t, void *buf, size_t len);
	/* Sends from the vector: the bytes taken (> 0), -EAGAIN, or -errno. more: more bytes follow
	 * at once, so a partial packet may wait for them. */
	long (*sendv)(struct ymk__transport *t, const struct iovec *iov, int iovcnt, int more);
	/* Sends up to count bytes of the regular file fd from *off, advancing *off: the bytes taken
	 * (> 0), 0 when the file ended before count bytes, -EAGAIN, or -errno. */
	long (*sendfile)(struct ymk__transport *t, int fd, uint64_t *off, uint64_t count, int more);
	/* Ends the output direction once everything was sent (a FIN; a TLS close_notify first).
	 * 0 or -errno. */
	int (*shutdown)(struct ymk__transport *t);
	/* Optional (NULL: nothing to say): what the layer must send before a close that does not
	 * wait for the client (a TLS close_notify). A plain socket has none: close() sends the FIN. */
	void (*goodbye)(struct ymk__transport *t);
	/* Bytes of input the layer holds that the kernel does not know about (decrypted records):
	 * while it is non-zero, readiness of fd says nothing and recv must be called. */
	size_t (*pending)(const struct ymk__transport *t);
	/* Releases the layer and closes fd. */
	void (*close)(struct ymk__transport *t);
};

/* Readiness a transport waits for after -EAGAIN (the values of loop.h's YMK__EV_*). */
#define YMK__TR_READ (1u << 0)
#define YMK__TR_WRITE (1u << 1)

struct ymk__transport {
	const struct ymk__transport_ops *ops;
	int fd;           /* the fd whose readiness drives the transport */
	unsigned blocked; /* after -EAGAIN: YMK__TR_READ or YMK__TR_WRITE */
	void *impl;       /* the layer's state; NULL for a plain socket */
	/* A deadline of the layer's own (monotonic ms; 0: none), which the connection keeps as well
	 * as its own: a TLS handshake's. When it passes before a request began, the connection is
	 * closed unanswered. */
	uint64_t deadline;
};

/* A plain socket transport over the connected, non-blocking socket fd (transport_sock.c). */
void ymk__transport_socket(struct ymk__transport *t, int fd);

#endif
