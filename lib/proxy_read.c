/* proxy_read.c: the PROXY header off a socket, and not a byte more (see proxy_read.h). */
#include "proxy_read.h"

#include <errno.h>
#include <sys/socket.h>

/* Takes exactly n bytes the peek showed are there. 0 or -1. */
static int take(int fd, unsigned char *to, size_t n)
{
	while (n > 0) {
		ssize_t got = recv(fd, to, n, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		to += got;
		n -= (size_t)got;
	}
	return 0;
}

int ymk__proxy_read(int fd, struct ymk__proxy_rd *rd, struct ymk__proxy_hdr *h)
{
	for (;;) {
		size_t room = sizeof rd->buf - rd->have;
		if (room == 0)
			return -1;
		ssize_t n = recv(fd, rd->buf + rd->have, room, MSG_PEEK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		if (n == 0)
			return -1; /* closed before the header ended */
		long r = ymk__proxy_parse(rd->buf, rd->have + (size_t)n, h);
		if (r == YMK__PROXY_BAD)
			return -1;
		/* Complete: take up to its end. Unfinished: every byte seen belongs to it. */
		size_t want = r > 0 ? (size_t)r - rd->have : (size_t)n;
		if (take(fd, rd->buf + rd->have, want) < 0)
			return -1;
		rd->have += want;
		if (r > 0)
			return 1;
	}
}
