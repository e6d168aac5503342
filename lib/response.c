/* response.c: response heads and small bodies, built straight into the connection's output buffer.
 *
 * Heads are assembled with memcpy and a decimal writer, not printf: this is the hot path of every
 * request. Every answer goes through the same few builders, so HEAD (headers without a body),
 * Range (on 200 answers to GET, for files and buffers alike) and the headers every response
 * carries are decided in one place. Error pages name the status only, never request data. */
#include "response.h"

#include "alloc.h"
#include "mime.h"
#include "range.h"

#include <string.h>
#include <unistd.h>

const char *ymk__status_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 418: return "I'm a teapot";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	case 507: return "Insufficient Storage";
	}
	return "Unknown";
}

/* ---- output buffer ---------------------------------------------------------------------- */

static int reserve(struct ymk__conn *c, size_t more)
{
	if (c->oom)
		return -1;
	if (c->out_len + more <= c->out_cap)
		return 0;
	size_t cap = c->out_cap ? c->out_cap : 1024;
	while (cap < c->out_len + more)
		cap *= 2;
	char *p = ymk__realloc(c->out, cap);
	if (!p) {
		c->oom = 1;
		return -1;
	}
	c->out = p;
	c->out_cap = cap;
	return 0;
}

static void put(struct ymk__conn *c, const void *s, size_t n)
{
	if (n && reserve(c, n) == 0) {
		memcpy(c->out + c->out_len, s, n);
		c->out_len += n;
	}
}

static void puts_(struct ymk__conn *c, const char *s)
{
	put(c, s, strlen(s));
}

#define PUT_LIT(c, lit) put((c), (lit), sizeof(lit) - 1)

/* Decimal (or lower-case hex) digits of v into buf; returns the length. */
static size_t fmt_u64(char *buf, uint64_t v, unsigned base)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

static void put_u64(struct ymk__conn *c, uint64_t v)
{
	char buf[24];
	put(c, buf, fmt_u64(buf, v, 10));
}

/* ---- heads ------------------------------------------------------------------------------ */

static void head_begin(struct ymk__conn *c, int status)
{
	c->out_len = c->out_off = 0;
	c->status = status;
	char line[16] = "HTTP/1.1 000 ";
	line[9] = (char)('0' + status / 100 % 10);
	line[10] = (char)('0' + status / 10 % 10);
	line[11] = (char)('0' + status % 10);
	put(c, line, 13);
	puts_(c, ymk__status_reason(status));
	PUT_LIT(c, "\r\nDate: ");
	puts_(c, ymk__server_date(c->srv));
	PUT_LIT(c, "\r\n");
}

/* Ends the head. has_length: a Content-Length (of length) is part of this answer. */
static void head_end(struct ymk__conn *c, int has_length, uint64_t length)
{
	if (has_length) {
		PUT_LIT(c, "Content-Length: ");
		put_u64(c, length);
		PUT_LIT(c, "\r\n");
	}
	if (!c->keep_alive)
		PUT_LIT(c, "Connection: close\r\n");
	else if (c->ka_header)
		PUT_LIT(c, "Connection: keep-alive\r\n");
	PUT_LIT(c, "\r\n");
	c->out_head = c->out_len;
}

/* After a builder ran: a response that could not be built closes the connection unanswered. */
static int finish(struct ymk__conn *c)
{
	if (!c->oom)
		return 0;
	ymk__log(c->srv, YMK_LOG_ERROR, "out of memory while building a %d response", c->status);
	c->out_len = c->out_off = c->out_head = 0;
	c->body_len = 0;
	c->keep_alive = 0;
	if (c->file_fd >= 0)
		close(c->file_fd);
	c->file_fd = -1;
	return YMK_ENOMEM;
}

void ymk__respond_error(struct ymk__conn *c, int status, int close_after, const char *extra)
{
	static const char a[] = "<!DOCTYPE html>\n<html><head><title>";
	static const char b[] = "</title></head><body><h1>";
	static const char z[] = "</h1></body></html>\n";
	char title[64];
	size_t tlen = fmt_u64(title, (uint64_t)status, 10);
	const char *reason = ymk__status_reason(status);
	size_t rlen = strlen(reason);
	title[tlen++] = ' ';
	memcpy(title + tlen, reason, rlen);
	tlen += rlen;

	if (close_after)
		c->keep_alive = 0;
	head_begin(c, status);
	PUT_LIT(c, "Content-Type: text/html; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n");
	if (extra)
		puts_(c, extra);
	uint64_t blen = (sizeof a - 1) + tlen + (sizeof b - 1) + tlen + (sizeof z - 1);
	head_end(c, 1, blen);
	if (!c->is_head) {
		PUT_LIT(c, a);
		put(c, title, tlen);
		PUT_LIT(c, b);
		put(c, title, tlen);
		PUT_LIT(c, z);
		c->body_len = blen;
	}
	(void)finish(c);
}

void ymk__respond_options(struct ymk__conn *c, const char *allow)
{
	head_begin(c, 204);
	PUT_LIT(c, "Allow: ");
	puts_(c, allow);
	PUT_LIT(c, "\r\n");
	head_end(c, 0, 0);
	(void)finish(c);
}

const char *ymk__content_type(ymk_server *srv, const char *path)
{
	if (srv->s.mime) {
		/* The hook's answer goes into a header: one with a line break is ignored. */
		const char *t = srv->s.mime(path, srv->s.mime_user);
		if (t && *t && !strpbrk(t, "\r\n"))
			return t;
	}
	const char *t = ymk__mime_builtin(path, strlen(path));
	return t ? t : "application/octet-stream";
}

/* Applies the Range header of a GET to a representation of `size` bytes.
 * Returns 200 (whole), 206 (*first, *len set) or 416. */
static int apply_range(const struct ymk_request *r, uint64_t size, uint64_t *first, uint64_t *len)
{
	*first = 0;
	*len = size;
	if (r->http->method_id != YMK__METHOD_GET)
		return 200;
	const struct ymk__http_header *h = ymk__http_find(r->http, "Range");
	if (!h)
		return 200;
	struct ymk__range parts[YMK__RANGE_MAX_PARTS];
	size_t n = 0;
	switch (ymk__range_parse(h->value, h->value_len, size, YMK__RANGE_MAX_PARTS, parts, &n)) {
	case YMK__RANGE_UNSATISFIABLE:
		return 416;
	case YMK__RANGE_OK:
		if (n != 1)
			return 200; /* several parts: multipart/byteranges is not built yet, send it all */
		*first = parts[0].first;
		*len = parts[0].last - parts[0].first + 1;
		return 206;
	default:
		return 200;
	}
}

static void put_content_range(struct ymk__conn *c, uint64_t first, uint64_t len, uint64_t size)
{
	PUT_LIT(c, "Content-Range: bytes ");
	put_u64(c, first);
	PUT_LIT(c, "-");
	put_u64(c, first + len - 1);
	PUT_LIT(c, "/");
	put_u64(c, size);
	PUT_LIT(c, "\r\n");
}

static void respond_416(struct ymk_request *r, uint64_t size)
{
	char extra[64] = "Content-Range: bytes */";
	size_t n = strlen(extra);
	n += fmt_u64(extra + n, size, 10);
	memcpy(extra + n, "\r\n", 3);
	ymk__respond_error(r->conn, 416, 0, extra);
}

void ymk__respond_file(struct ymk_request *r, int fd, const struct stat *st, const char *content_type)
{
	struct ymk__conn *c = r->conn;
	uint64_t size = (uint64_t)st->st_size, first, len;
	int status = apply_range(r, size, &first, &len);
	if (status == 416) {
		close(fd);
		respond_416(r, size);
		return;
	}

	char date[32];
	ymk__http_date(st->st_mtime, date);
	/* A strong validator that changes whenever the file is replaced (inode) or rewritten
	 * (size, nanosecond mtime). */
	char etag[80];
	size_t e = 0;
	uint64_t mtime_ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
	etag[e++] = '"';
	e += fmt_u64(etag + e, (uint64_t)st->st_ino, 16);
	etag[e++] = '-';
	e += fmt_u64(etag + e, size, 16);
	etag[e++] = '-';
	e += fmt_u64(etag + e, mtime_ns, 16);
	etag[e++] = '"';

	head_begin(c, status);
	PUT_LIT(c, "Content-Type: ");
	puts_(c, content_type);
	PUT_LIT(c, "\r\nLast-Modified: ");
	puts_(c, date);
	PUT_LIT(c, "\r\nETag: ");
	put(c, etag, e);
	PUT_LIT(c, "\r\nAccept-Ranges: bytes\r\nX-Content-Type-Options: nosniff\r\n");
	if (status == 206)
		put_content_range(c, first, len, size);
	put(c, r->extra, r->extra_len);
	head_end(c, 1, len);

	if (c->is_head || len == 0) {
		close(fd);
	} else {
		c->file_fd = fd;
		c->file_start = c->file_off = first;
		c->file_end = first + len;
		c->body_len = len;
	}
	(void)finish(c);
}

int ymk__respond_memory(struct ymk_request *r, int status, const char *content_type, const void *body,
			size_t size, const char *location)
{
	struct ymk__conn *c = r->conn;
	uint64_t first = 0, len = size;
	int no_body = status == 204 || status == 304;
	if (status == 200) {
		status = apply_range(r, size, &first, &len);
		if (status == 416) {
			respond_416(r, size);
			return finish(c);
		}
	}
	head_begin(c, status);
	if (!no_body) {
		PUT_LIT(c, "Content-Type: ");
		puts_(c, content_type);
		PUT_LIT(c, "\r\nX-Content-Type-Options: nosniff\r\n");
	}
	if (status == 200 || status == 206)
		PUT_LIT(c, "Accept-Ranges: bytes\r\n");
	if (status == 206)
		put_content_range(c, first, len, size);
	if (location) {
		PUT_LIT(c, "Location: ");
		puts_(c, location);
		PUT_LIT(c, "\r\n");
	}
	put(c, r->extra, r->extra_len);
	head_end(c, !no_body, len);
	if (!no_body && !c->is_head) {
		put(c, (const char *)body + first, (size_t)len);
		c->body_len = len;
	}
	return finish(c);
}
