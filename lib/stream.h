/* stream.h: what the SSE helpers and the connection share with stream.c. */
#ifndef YMK_STREAM_H
#define YMK_STREAM_H

#include "request.h"

/* ymk_stream_open() with extra header lines in more ("Name: value\r\n"...; may be NULL). */
int ymk__stream_open(struct ymk_request *r, int status, const char *type, int64_t length, const char *more);

/* Queues an SSE keep-alive comment on the request's stream (the connection's deadline for it
 * passed). 0, or a negative code when it could not be queued. */
int ymk__sse_keepalive(struct ymk_request *r);

#endif
