/* sse.c: Server-Sent Events over a stream (the WHATWG HTML "server-sent events" format): the
 * answer's head, events framed as field lines, and the keep-alive comments the connection asks
 * for when a stream has been silent. */
#include "stream.h"

#include "alloc.h"
#include "out.h"

#include <string.h>

#define SSE_TYPE "text/event-stream; charset=utf-8"
/* No caching anywhere, and no proxy buffering (nginx reads X-Accel-Buffering). The library never
 * compresses an answer, so no Content-Encoding can hold events back either. */
#define SSE_HEADERS "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"
#define KEEPALIVE ": keep-alive\n\n"

int ymk_sse_open(ymk_request *req)
{
	int err = ymk__stream_open(req, 200, SSE_TYPE, -1, SSE_HEADERS);
	if (err)
		return err;
	req->sse = 1;
	req->sse_keepalive_ms = YMK_DEFAULT_SSE_KEEPALIVE_MS;
	return 0;
}

int ymk_sse_set_keepalive(ymk_request *req, unsigned ms)
{
	if (!req || ms > YMK_MAX_TIMEOUT_MS)
		return YMK_EINVAL;
	if (!req->sse || req->closing)
		return YMK_ESTATE;
	req->sse_keepalive_ms = ms;
	ymk__request_kick(req); /* the deadline changed */
	return 0;
}

/* The length of the next line of s (up to CR, LF or the end), and of its line break in *brk
 * (0 at the end, 2 for CRLF). */
static size_t line_len(const char *s, size_t *brk)
{
	size_t n = strcspn(s, "\r\n");
	*brk = s[n] == '\0' ? 0 : s[n] == '\r' && s[n + 1] == '\n' ? 2 : 1;
	return n;
}

/* Writes the event into out (when not NULL) and returns its length. */
static size_t format(char *out, const char *event, const char *id, const char *data)
{
	size_t n = 0;
#define PUT(p, len)                                  \
	do {                                         \
		if (out)                             \
			memcpy(out + n, (p), (len)); \
		n += (len);                          \
	} while (0)
	if (event) {
		PUT("event: ", 7);
		PUT(event, strlen(event));
		PUT("\n", 1);
	}
	if (id) {
		PUT("id: ", 4);
		PUT(id, strlen(id));
		PUT("\n", 1);
	}
	/* Every line of data is a "data:" line; a break at the very end gives a last, empty line,
	 * which the client's parser turns back into that break. */
	for (const char *p = data; p;) {
		size_t brk, len = line_len(p, &brk);
		PUT("data: ", 6);
		PUT(p, len);
		PUT("\n", 1);
		p = brk ? p + len + brk : NULL;
	}
	PUT("\n", 1);
#undef PUT
	return n;
}

int ymk_sse_send(ymk_request *req, const char *event, const char *id, const char *data)
{
	if (!req)
		return YMK_EINVAL;
	if (!req->sse || req->closing || req->stream_ended)
		return YMK_ESTATE;
	if ((event && strpbrk(event, "\r\n")) || (id && strpbrk(id, "\r\n")))
		return YMK_EINVAL;
	struct ymk__out *o = req->resp.out;
	size_t len = format(NULL, event, id, data);
	if (len > ymk__out_stream_room_max(o))
		return YMK_EINVAL;
	if (len > ymk__out_stream_room(o)) {
		req->want_writable = 1;
		return YMK_EAGAIN; /* whole events only: a part of one would garble the stream */
	}
	char small[1024], *buf = len <= sizeof small ? small : ymk__malloc(len);
	if (!buf)
		return YMK_ENOMEM;
	format(buf, event, id, data);
	long n = ymk__out_stream_write(o, buf, len);
	if (buf != small)
		ymk__free(buf);
	if (n < 0)
		return (int)n;
	ymk__request_kick(req);
	return 0;
}

int ymk__sse_keepalive(struct ymk_request *r)
{
	long n = ymk__out_stream_write(r->resp.out, KEEPALIVE, sizeof KEEPALIVE - 1);
	return n < 0 ? (int)n : 0;
}
