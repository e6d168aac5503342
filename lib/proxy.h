/* proxy.h: the PROXY protocol header (versions 1 and 2) that a load balancer sends before the
 * first byte of the connection it relays, naming the client it relays for. Pure: no I/O, no
 * allocation; proxy_read.c reads the header off a socket with it.
 *
 * The parser takes the bytes received so far and says whether they are a complete, valid header
 * (and how long it is), the beginning of one (every byte so far belongs to it, so a reader may
 * consume them all), or not a PROXY header at all. Bytes after a complete header belong to what
 * follows (HTTP, or a TLS handshake) and are never looked at. */
#ifndef YMK_PROXY_H
#define YMK_PROXY_H

#include <stddef.h>
#include <sys/socket.h>

/* The longest header accepted: a version 1 line is at most 107 bytes; a version 2 header is 16
 * bytes plus its addresses and TLVs, at most this much in all (a longer one is refused). */
#define YMK__PROXY_MAX 2048

#define YMK__PROXY_AGAIN 0 /* every byte so far can begin a header: more are needed */
#define YMK__PROXY_BAD (-1)

struct ymk__proxy_hdr {
	int version; /* 1 or 2 */
	/* The header names no client (v1 UNKNOWN, v2 LOCAL, or v2 PROXY with an unspecified family
	 * or protocol): the connection's own addresses stand. */
	int local;
	struct sockaddr_storage src, dst; /* the client, and the address it connected to */
	socklen_t src_len, dst_len;
};

/* Parses buf[0..len). Returns the header's length (> 0) when it is complete and valid, and fills
 * h; YMK__PROXY_AGAIN when the bytes are a proper beginning of a header; YMK__PROXY_BAD when they
 * cannot be one (a wrong signature or version, malformed addresses or ports, a bare CR or LF, a v2
 * command, family or protocol the specification does not define, a datagram protocol, TLVs that
 * overrun the header, a CRC32c TLV that does not match, or a header longer than YMK__PROXY_MAX).
 * Never reads past len. */
long ymk__proxy_parse(const unsigned char *buf, size_t len, struct ymk__proxy_hdr *h);

#endif
