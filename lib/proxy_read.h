/* proxy_read.h: reading a PROXY header off a connected socket, exactly: the bytes after it (HTTP,
 * or a TLS handshake that a TLS transport then reads) stay in the socket.
 *
 * It reads beneath every transport, on the raw socket, before the transport reads anything, so it
 * works the same in front of plain HTTP and in front of TLS. Bytes are looked at with MSG_PEEK and
 * taken only as far as they belong to the header; every byte of an unfinished header is taken
 * into the reader's buffer, so the socket is never left readable with nothing to do (a
 * level-triggered poll() does not spin on it). */
#ifndef YMK_PROXY_READ_H
#define YMK_PROXY_READ_H

#include "proxy.h"

#include <stddef.h>

struct ymk__proxy_rd {
	size_t have; /* header bytes taken so far */
	unsigned char buf[YMK__PROXY_MAX];
};

/* Reads on from the non-blocking socket fd. Returns 1 when the header is complete (h is filled,
 * rd->have is its length, and not one byte after it was taken); 0 when more bytes are needed (wait
 * for readability); -1 when the bytes are not a valid PROXY header, or the peer closed or failed
 * first. */
int ymk__proxy_read(int fd, struct ymk__proxy_rd *rd, struct ymk__proxy_hdr *h);

#endif
