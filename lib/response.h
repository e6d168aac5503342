/* response.h: every answer the library gives, built into an output object (pure: no I/O).
 *
 * The builders take a small context (struct ymk__resp) instead of a connection: the request head
 * (for Range, preconditions and Accept-Encoding), whether the request is HEAD, whether the
 * connection stays open, the Date value, and an optional source of custom error pages. So HEAD
 * (headers without a body), Range (on 200 answers to GET, for files and buffers alike), the
 * preconditions and the headers every answer carries are decided in one place, and every kind of
 * answer can be built and checked byte for byte without a socket. Error pages name the status only,
 * never request data. */
#ifndef YMK_RESPONSE_H
#define YMK_RESPONSE_H

#include "cond.h"
#include "http_parse.h"
#include "httpdate.h"
#include "out.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

struct ymk__resp {
	struct ymk__out *out;
	const struct ymk__http_request *http; /* the request's head; NULL when none could be parsed */
	int is_head;                          /* headers only */
	int keep_alive;                       /* the connection stays open unless an answer closes it */
	int ka_header;                        /* HTTP/1.0 keep-alive: say "Connection: keep-alive" */
	const char *date;                     /* a fixed Date value, or NULL: the current time */
	struct ymk__datecache *dates;         /* formats Date and Last-Modified; with date, NULL
						* means no Date at all (the prebuilt 503) */
	const char *extra;                    /* header lines ("Name: value\r\n") a handler added */
	size_t extra_len;
	uint64_t nonce; /* makes multipart boundaries differ between answers */
	/* A custom page for an error status: 0 and *page (from ymk__malloc, freed by the builder)
	 * with its length, or non-zero for the built-in page. NULL: always the built-in page. */
	int (*error_page)(void *ctx, int status, char **page, size_t *len);
	void *error_page_ctx;
};

/* The reason phrase for a status ("Not Found"); "Unknown" for a status without one. */
const char *ymk__status_reason(int status);

/* The library's short HTML page for a status (3xx, 4xx, 5xx; a custom page for 4xx and 5xx when
 * the context has one), which never names request data. close: the answer closes the connection.
 * extra, when not NULL, holds complete header lines ("Allow: GET\r\n") to add. */
void ymk__resp_error(struct ymk__resp *r, int status, int close, const char *extra);

/* 204 to OPTIONS with the given Allow value. */
void ymk__resp_options(struct ymk__resp *r, const char *allow);

/* The interim "100 Continue" (no other header) into an empty output object. */
void ymk__resp_continue(struct ymk__out *o);

/* A representation to answer with: its bytes come from an open file or from memory that outlives
 * the answer; everything else about the answer is decided the same way for both. */
struct ymk__repr {
	uint64_t size;
	const char *etag; /* strong, with its quotes */
	size_t etag_len;
	time_t mtime;
	const char *lastmod;        /* mtime as an IMF-fixdate, or NULL: formatted from mtime */
	const char *type;           /* Content-Type */
	const char *encoding;       /* Content-Encoding, or NULL */
	int vary;                   /* say "Vary: Accept-Encoding" */
	int revalidate;             /* say "Cache-Control: no-cache" */
	int fd;                     /* -1: the bytes are at mem */
	const unsigned char *mem;   /* the bytes when fd is -1, or a cached copy of the file's */
	struct ymk__fentry *fentry; /* fd and mem belong to this cache entry */
};

/* Answers 200, 206 (one part or multipart/byteranges), 304, 412 or 416 for the representation,
 * after the request's preconditions, If-Range and Range; HEAD gets the headers only. The source
 * (fd or fentry) is taken over in every case: it becomes the body source, or is let go of at once. */
void ymk__resp_repr(struct ymk__resp *r, const struct ymk__repr *rp);

/* Answers with a copy of body[0..len) (Range applied to a 200 answer to GET; no body for 204 and
 * 304). content_type NULL: no Content-Type. location, when not NULL, becomes a Location header. */
void ymk__resp_memory(struct ymk__resp *r, int status, const char *content_type, const void *body, size_t len,
		      const char *location);

/* As ymk__resp_memory() (without a Location), but the body is sent from the caller's memory, which
 * becomes the answer's source: free_fn(user) gives it back when the answer ends (at once for
 * HEAD, 204, 304 and 416). */
void ymk__resp_taken(struct ymk__resp *r, int status, const char *content_type, const void *body, size_t len,
		     ymk_free_fn *free_fn, void *user);

/* The head of an answer whose body comes over time (a producer, a stream): Content-Type (NULL:
 * application/octet-stream), then the lines in more (may be NULL) and the handler's, then the
 * framing: Content-Length when length >= 0, else chunked to HTTP/1.1 and close-delimited to
 * HTTP/1.0 (Connection: close). Returns 1 when the body must be chunked. No body source is set. */
int ymk__resp_stream_head(struct ymk__resp *r, int status, const char *content_type, int64_t length,
			  const char *more);

/* "201 Created" with a Location for the (decoded) path, or "204 No Content" when replaced. */
void ymk__resp_created(struct ymk__resp *r, const char *path, int replaced);

#endif
