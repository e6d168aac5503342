/* response.c: every answer, built into an output object from a small context (see response.h).
 *
 * Heads are assembled with memcpy and a decimal writer, not printf: this is the hot path of every
 * request. Every answer goes through the same few builders, so HEAD, Range and the headers every
 * response carries are decided in one place (head_begin()). Error pages name the status only,
 * never request data. */
#include "response.h"

#include "alloc.h"
#include "cond.h"
#include "hex.h"
#include "path.h"
#include "range.h"

#include <string.h>

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

/* ---- writing ------------------------------------------------------------------------------ */

/* A head is some thirty small pieces, most of them literals: when they fit, they are copied here,
 * where the compiler sees a literal's length and copies it in a few moves, instead of one call
 * into out.c (and one into memcpy) per piece. */
static inline void put(struct ymk__resp *r, const void *s, size_t n)
{
	struct ymk__out *o = r->out;
	if (n == 0) /* also when s is NULL (no added headers): memcpy may not be given NULL */
		return;
	if (o->buf && !o->oom && n <= o->cap - o->len) {
		memcpy(o->buf + o->len, s, n);
		o->len += n;
		return;
	}
	ymk__out_put(o, s, n);
}

static void puts_(struct ymk__resp *r, const char *s)
{
	put(r, s, strlen(s));
}

#define PUT_LIT(r, lit) put((r), (lit), sizeof(lit) - 1)

/* The decimal digits of v into buf; returns the length. */
static size_t fmt_u64(char *buf, uint64_t v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

static void put_u64(struct ymk__resp *r, uint64_t v)
{
	char buf[24];
	put(r, buf, fmt_u64(buf, v));
}

/* ---- heads ------------------------------------------------------------------------------ */

/* Starts an answer: the status line and the headers every answer carries, whatever built it. This
 * is the one place for a header that belongs on every answer. */
static void head_begin(struct ymk__resp *r, int status)
{
	struct ymk__out *o = r->out;
	o->len = o->sent = o->head_len = 0;
	o->status = status;
	o->body_len = 0;
	char line[16] = "HTTP/1.1 000 ";
	line[9] = (char)('0' + status / 100 % 10);
	line[10] = (char)('0' + status / 10 % 10);
	line[11] = (char)('0' + status % 10);
	put(r, line, 13);
	puts_(r, ymk__status_reason(status));
	const char *date = r->date ? r->date : r->dates ? ymk__date_now(r->dates) : NULL;
	if (date) {
		PUT_LIT(r, "\r\nDate: ");
		puts_(r, date);
	}
	PUT_LIT(r, "\r\nX-Content-Type-Options: nosniff\r\n");
}

/* Ends the head. has_length: a Content-Length (of length) is part of this answer. */
static void head_end(struct ymk__resp *r, int has_length, uint64_t length)
{
	if (has_length) {
		PUT_LIT(r, "Content-Length: ");
		put_u64(r, length);
		PUT_LIT(r, "\r\n");
	}
	if (!r->keep_alive)
		PUT_LIT(r, "Connection: close\r\n");
	else if (r->ka_header)
		PUT_LIT(r, "Connection: keep-alive\r\n");
	PUT_LIT(r, "\r\n");
	r->out->head_len = r->out->len;
	r->out->close = !r->keep_alive;
}

/* After a builder ran: an answer that could not be built is no answer at all (the caller closes
 * the connection unanswered). */
static void finish(struct ymk__resp *r)
{
	struct ymk__out *o = r->out;
	if (!o->oom)
		return;
	ymk__out_drop_body(o);
	o->len = o->sent = o->head_len = 0;
	o->body_len = 0;
	o->close = 1;
}

void ymk__resp_error(struct ymk__resp *r, int status, int close_after, const char *extra)
{
	static const char a[] = "<!DOCTYPE html>\n<html><head><title>";
	static const char b[] = "</title></head><body><h1>";
	static const char z[] = "</h1></body></html>\n";
	char title[64];
	size_t tlen = fmt_u64(title, (uint64_t)status);
	const char *reason = ymk__status_reason(status);
	size_t rlen = strlen(reason);
	title[tlen++] = ' ';
	memcpy(title + tlen, reason, rlen);
	tlen += rlen;

	/* The body source of an answer built before (a file whose preconditions failed) goes. */
	ymk__out_reset(r->out);
	char *page = NULL;
	size_t page_len = 0;
	if (status >= 400 && r->error_page && r->error_page(r->error_page_ctx, status, &page, &page_len) != 0)
		page = NULL;

	if (close_after)
		r->keep_alive = 0;
	head_begin(r, status);
	PUT_LIT(r, "Content-Type: text/html; charset=utf-8\r\n");
	if (extra)
		puts_(r, extra);
	uint64_t blen = page ? page_len : (sizeof a - 1) + tlen + (sizeof b - 1) + tlen + (sizeof z - 1);
	head_end(r, 1, blen);
	if (!r->is_head) {
		if (page) {
			put(r, page, page_len);
		} else {
			PUT_LIT(r, a);
			put(r, title, tlen);
			PUT_LIT(r, b);
			put(r, title, tlen);
			PUT_LIT(r, z);
		}
		r->out->body_len = blen;
	}
	ymk__free(page);
	finish(r);
}

void ymk__resp_options(struct ymk__resp *r, const char *allow)
{
	head_begin(r, 204);
	PUT_LIT(r, "Allow: ");
	puts_(r, allow);
	PUT_LIT(r, "\r\n");
	head_end(r, 0, 0);
	finish(r);
}

void ymk__resp_continue(struct ymk__out *o)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	o->len = o->sent = 0;
	ymk__out_put(o, cont, sizeof cont - 1);
	o->head_len = o->len;
}

/* The request headers an answer with a representation depends on. */
struct conditionals {
	struct ymk__preconditions pc;
	const struct ymk__http_header *range, *if_range;
};

static int name_is(const struct ymk__http_header *h, const char *name, size_t len)
{
	return h->name_len == len && ymk__ascii_ieq(h->name, len, name);
}
#define NAME_IS(h, lit) name_is((h), (lit), sizeof(lit) - 1)

/* Finds them in one walk over the head (six ymk__http_find() calls were a tenth of a small
 * answer's instructions), taking the first of each name as ymk__http_find() does. Most headers
 * are passed over on their first letter. */
static void find_conditionals(const struct ymk__http_request *http, struct conditionals *c)
{
	memset(c, 0, sizeof *c);
	if (!http)
		return;
	for (size_t i = 0; i < http->n_headers; i++) {
		const struct ymk__http_header *h = &http->headers[i];
		const char **val = NULL;
		size_t *len = NULL;
		if (h->name_len < 5)
			continue;
		if ((h->name[0] | 0x20) == 'r') {
			if (!c->range && NAME_IS(h, "Range"))
				c->range = h;
			continue;
		}
		if ((h->name[0] | 0x20) != 'i' || (h->name[1] | 0x20) != 'f' || h->name[2] != '-')
			continue;
		if (NAME_IS(h, "If-Match"))
			val = &c->pc.if_match, len = &c->pc.if_match_len;
		else if (NAME_IS(h, "If-None-Match"))
			val = &c->pc.if_none_match, len = &c->pc.if_none_match_len;
		else if (NAME_IS(h, "If-Modified-Since"))
			val = &c->pc.if_modified_since, len = &c->pc.if_modified_since_len;
		else if (NAME_IS(h, "If-Unmodified-Since"))
			val = &c->pc.if_unmodified_since, len = &c->pc.if_unmodified_since_len;
		else if (!c->if_range && NAME_IS(h, "If-Range"))
			c->if_range = h;
		if (val && !*val) {
			*val = h->value;
			*len = h->value_len;
		}
	}
}

/* Applies the Range header of a GET to a representation of `size` bytes, after If-Range (which
 * needs validators: without them a conditional range is never applied).
 * Returns 200 (whole), 206 (parts[0..*n) filled) or 416. */
static int apply_range(const struct ymk__resp *r, const struct conditionals *c, uint64_t size,
		       const struct ymk__validators *v, struct ymk__range *parts, size_t *n)
{
	*n = 0;
	if (!r->http || r->http->method_id != YMK__METHOD_GET)
		return 200;
	const struct ymk__http_header *h = c->range;
	if (!h)
		return 200;
	const struct ymk__http_header *ir = c->if_range;
	if (ir && (!v || !ymk__if_range_applies(ir->value, ir->value_len, v)))
		return 200;
	switch (ymk__range_parse(h->value, h->value_len, size, YMK__RANGE_MAX_PARTS, parts, n)) {
	case YMK__RANGE_UNSATISFIABLE: return 416;
	case YMK__RANGE_OK: return 206;
	default: break;
	}
	*n = 0;
	return 200;
}

static void put_content_range(struct ymk__resp *r, uint64_t first, uint64_t len, uint64_t size)
{
	PUT_LIT(r, "Content-Range: bytes ");
	put_u64(r, first);
	PUT_LIT(r, "-");
	put_u64(r, first + len - 1);
	PUT_LIT(r, "/");
	put_u64(r, size);
	PUT_LIT(r, "\r\n");
}

static void respond_416(struct ymk__resp *r, uint64_t size)
{
	char extra[64] = "Content-Range: bytes */";
	size_t n = strlen(extra);
	n += fmt_u64(extra + n, size);
	memcpy(extra + n, "\r\n", 3);
	ymk__resp_error(r, 416, 0, extra);
}

/* A boundary that differs per answer; RFC 9110 14.6 allows any token that does not occur in the
 * parts, and 20 random-looking characters are as good as it gets without scanning them. */
static void make_boundary(uint64_t nonce, char out[24])
{
	uint64_t x = nonce * 0x9e3779b97f4a7c15ull;
	x ^= x >> 30, x *= 0xbf58476d1ce4e5b9ull, x ^= x >> 27, x *= 0x94d049bb133111ebull, x ^= x >> 31;
	memcpy(out, "ymk", 3);
	size_t n = 3 + ymk__hex_u64(out + 3, x);
	out[n] = '\0';
}

/* A part header "\r\n--B\r\nContent-Type: T\r\nContent-Range: ...\r\n\r\n" into buf. */
static void put_part_head(struct ymk__resp *r, const char *boundary, const char *type, uint64_t first,
			  uint64_t len, uint64_t size)
{
	PUT_LIT(r, "\r\n--");
	puts_(r, boundary);
	PUT_LIT(r, "\r\nContent-Type: ");
	puts_(r, type);
	PUT_LIT(r, "\r\n");
	put_content_range(r, first, len, size);
	PUT_LIT(r, "\r\n");
}

/* The length of the multipart body for these parts, without building it. */
static uint64_t multipart_length(const char *boundary, const char *type, const struct ymk__range *parts,
				 size_t n, uint64_t size)
{
	char num[24];
	uint64_t total = 0;
	size_t blen = strlen(boundary), tlen = strlen(type), slen = fmt_u64(num, size);
	for (size_t i = 0; i < n; i++) {
		uint64_t len = parts[i].last - parts[i].first + 1;
		total += 4 + blen + 2 + 14 + tlen + 2 + 21 + fmt_u64(num, parts[i].first) + 1 +
			 fmt_u64(num, parts[i].last) + 1 + slen + 2 + 2 + len;
	}
	return total + 4 + blen + 4;
}

/* Content-Type of a 200/206 answer: the type, or the multipart type when there are parts. */
static void put_type(struct ymk__resp *r, const char *type, size_t nparts, const char *boundary)
{
	PUT_LIT(r, "Content-Type: ");
	if (nparts > 1) {
		PUT_LIT(r, "multipart/byteranges; boundary=");
		puts_(r, boundary);
	} else {
		puts_(r, type);
	}
	PUT_LIT(r, "\r\n");
}

static void respond_not_modified(struct ymk__resp *r, const struct ymk__repr *rp, const char *lastmod)
{
	head_begin(r, 304);
	if (rp->revalidate)
		PUT_LIT(r, "Cache-Control: no-cache\r\n");
	PUT_LIT(r, "ETag: ");
	put(r, rp->etag, rp->etag_len);
	PUT_LIT(r, "\r\nLast-Modified: ");
	puts_(r, lastmod);
	PUT_LIT(r, "\r\n");
	if (rp->vary)
		PUT_LIT(r, "Vary: Accept-Encoding\r\n");
	put(r, r->extra, r->extra_len);
	head_end(r, 0, 0);
	finish(r);
}

static void body_from_source(struct ymk__resp *r, const struct ymk__range *parts, size_t n,
			     const char *boundary, const char *type, uint64_t size, uint64_t len);

void ymk__resp_repr(struct ymk__resp *r, const struct ymk__repr *rp)
{
	struct ymk__out *o = r->out;
	/* The source is the answer's from here on, so that every way out lets go of it. A small
	 * cached file is sent from its bytes in memory, like a bundle: the head and the body leave in
	 * one send. */
	ymk__out_reset(o);
	if (rp->mem)
		ymk__out_body_mem(o, rp->mem, rp->fentry, 0, 0);
	else
		ymk__out_body_file(o, rp->fd, rp->fentry, 0, 0);
	char lm[32];
	const char *lastmod = lm;
	if (rp->lastmod)
		lastmod = rp->lastmod;
	else if (r->dates)
		lastmod = ymk__date_lastmod(r->dates, rp->mtime);
	else
		ymk__http_date(rp->mtime, lm);

	struct ymk__validators v = {
		.exists = 1, .etag = rp->etag, .etag_len = rp->etag_len, .mtime = rp->mtime};
	struct conditionals c;
	find_conditionals(r->http, &c);
	int id = r->http ? (int)r->http->method_id : YMK__METHOD_GET;
	int pre = ymk__preconditions_eval(&c.pc, &v, id == YMK__METHOD_GET || id == YMK__METHOD_HEAD);
	if (pre) {
		ymk__out_drop_body(o);
		if (pre == 304)
			respond_not_modified(r, rp, lastmod);
		else
			ymk__resp_error(r, pre, 0, NULL);
		return;
	}

	struct ymk__range parts[YMK__RANGE_MAX_PARTS];
	size_t n = 0;
	int status = apply_range(r, &c, rp->size, &v, parts, &n);
	if (status == 416) {
		respond_416(r, rp->size);
		return;
	}
	char boundary[24] = "";
	uint64_t len = rp->size;
	if (n == 1) {
		len = parts[0].last - parts[0].first + 1;
	} else if (n > 1) {
		make_boundary(r->nonce, boundary);
		len = multipart_length(boundary, rp->type, parts, n, rp->size);
	}

	/* head_begin() empties buf but keeps the source taken above. */
	head_begin(r, status);
	put_type(r, rp->type, n, boundary);
	if (rp->encoding) {
		PUT_LIT(r, "Content-Encoding: ");
		puts_(r, rp->encoding);
		PUT_LIT(r, "\r\n");
	}
	if (rp->vary)
		PUT_LIT(r, "Vary: Accept-Encoding\r\n");
	if (rp->revalidate)
		PUT_LIT(r, "Cache-Control: no-cache\r\n");
	PUT_LIT(r, "Last-Modified: ");
	puts_(r, lastmod);
	PUT_LIT(r, "\r\nETag: ");
	put(r, rp->etag, rp->etag_len);
	PUT_LIT(r, "\r\nAccept-Ranges: bytes\r\n");
	if (n == 1)
		put_content_range(r, parts[0].first, len, rp->size);
	put(r, r->extra, r->extra_len);
	head_end(r, 1, len);

	body_from_source(r, parts, n, boundary, rp->type, rp->size, len);
}

/* After the head: the body is the source's bytes (the range of one part, or segments for a
 * multipart answer), or nothing (HEAD, an empty body), which lets go of the source at once. */
static void body_from_source(struct ymk__resp *r, const struct ymk__range *parts, size_t n,
			     const char *boundary, const char *type, uint64_t size, uint64_t len)
{
	struct ymk__out *o = r->out;
	if (r->is_head || len == 0) {
		ymk__out_drop_body(o); /* no body: the source goes now, the head stays */
		finish(r);
		return;
	}
	o->body_len = len;
	if (n <= 1) {
		uint64_t first = n ? parts[0].first : 0;
		o->start = o->off = first;
		o->end = first + len;
		finish(r);
		return;
	}
	/* Multipart: the head, then per part its header (from buf) and its bytes (from the source),
	 * then the closing boundary. */
	struct ymk__seg *segs = ymk__calloc(2 * n + 2, sizeof *segs);
	if (!segs) {
		o->oom = 1;
		finish(r);
		return;
	}
	size_t k = 0;
	segs[k++] = (struct ymk__seg){.off = 0, .len = o->len};
	for (size_t i = 0; i < n; i++) {
		size_t at = o->len;
		uint64_t plen = parts[i].last - parts[i].first + 1;
		put_part_head(r, boundary, type, parts[i].first, plen, size);
		segs[k++] = (struct ymk__seg){.off = at, .len = o->len - at};
		segs[k++] = (struct ymk__seg){.off = parts[i].first, .len = plen, .from_source = 1};
	}
	size_t at = o->len;
	PUT_LIT(r, "\r\n--");
	puts_(r, boundary);
	PUT_LIT(r, "--\r\n");
	segs[k++] = (struct ymk__seg){.off = at, .len = o->len - at};
	o->kind = YMK__BODY_SEGS;
	o->segs = segs;
	o->nsegs = k;
	finish(r);
}

void ymk__resp_memory(struct ymk__resp *r, int status, const char *content_type, const void *body,
		      size_t size, const char *location)
{
	struct ymk__range parts[YMK__RANGE_MAX_PARTS];
	size_t n = 0;
	int no_body = status == 204 || status == 304;
	const char *type = content_type ? content_type : "application/octet-stream";
	ymk__out_reset(r->out);
	if (status == 200) {
		struct conditionals c;
		find_conditionals(r->http, &c);
		status = apply_range(r, &c, size, NULL, parts, &n);
		if (status == 416) {
			respond_416(r, size);
			return;
		}
	}
	char boundary[24] = "";
	uint64_t len = size;
	if (n == 1) {
		len = parts[0].last - parts[0].first + 1;
	} else if (n > 1) {
		make_boundary(r->nonce, boundary);
		len = multipart_length(boundary, type, parts, n, size);
	}
	head_begin(r, status);
	if (!no_body && content_type)
		put_type(r, type, n, boundary);
	if (status == 200 || status == 206)
		PUT_LIT(r, "Accept-Ranges: bytes\r\n");
	if (n == 1)
		put_content_range(r, parts[0].first, len, size);
	if (location) {
		PUT_LIT(r, "Location: ");
		puts_(r, location);
		PUT_LIT(r, "\r\n");
	}
	put(r, r->extra, r->extra_len);
	head_end(r, !no_body, len);
	if (!no_body && !r->is_head) {
		if (n <= 1) {
			put(r, (const char *)body + (n ? parts[0].first : 0), (size_t)len);
		} else {
			for (size_t i = 0; i < n; i++) {
				uint64_t plen = parts[i].last - parts[i].first + 1;
				put_part_head(r, boundary, type, parts[i].first, plen, size);
				put(r, (const char *)body + parts[i].first, (size_t)plen);
			}
			PUT_LIT(r, "\r\n--");
			puts_(r, boundary);
			PUT_LIT(r, "--\r\n");
		}
		r->out->body_len = len;
	}
	finish(r);
}

void ymk__resp_created(struct ymk__resp *r, const char *path, int replaced)
{
	if (replaced) {
		ymk__resp_memory(r, 204, NULL, NULL, 0, NULL);
		return;
	}
	size_t plen = strlen(path);
	char *loc = ymk__malloc(3 * plen + 1);
	if (!loc || ymk__path_encode(path, plen, loc, 3 * plen + 1) < 0) {
		ymk__free(loc);
		loc = NULL;
	}
	ymk__resp_memory(r, 201, NULL, "", 0, loc);
	ymk__free(loc);
}

void ymk__resp_taken(struct ymk__resp *r, int status, const char *content_type, const void *body, size_t size,
		     ymk_free_fn *free_fn, void *user)
{
	struct ymk__range parts[YMK__RANGE_MAX_PARTS];
	size_t n = 0;
	const char *type = content_type ? content_type : "application/octet-stream";
	/* The memory is the answer's source from here on, so that every way out gives it back. */
	ymk__out_reset(r->out);
	ymk__out_body_taken(r->out, body, size, free_fn, user);
	if (status == 204 || status == 304) {
		ymk__out_drop_body(r->out);
		ymk__resp_memory(r, status, NULL, NULL, 0, NULL);
		return;
	}
	if (status == 200) {
		struct conditionals c;
		find_conditionals(r->http, &c);
		status = apply_range(r, &c, size, NULL, parts, &n);
		if (status == 416) {
			respond_416(r, size);
			return;
		}
	}
	char boundary[24] = "";
	uint64_t len = size;
	if (n == 1) {
		len = parts[0].last - parts[0].first + 1;
	} else if (n > 1) {
		make_boundary(r->nonce, boundary);
		len = multipart_length(boundary, type, parts, n, size);
	}
	head_begin(r, status);
	put_type(r, type, n, boundary);
	if (status == 200 || status == 206)
		PUT_LIT(r, "Accept-Ranges: bytes\r\n");
	if (n == 1)
		put_content_range(r, parts[0].first, len, size);
	put(r, r->extra, r->extra_len);
	head_end(r, 1, len);
	body_from_source(r, parts, n, boundary, type, size, len);
}

int ymk__resp_stream_head(struct ymk__resp *r, int status, const char *content_type, int64_t length,
			  const char *more)
{
	int chunked = 0;
	ymk__out_reset(r->out);
	if (length < 0) {
		if (r->http && r->http->version_minor >= 1)
			chunked = 1;
		else
			r->keep_alive = 0; /* HTTP/1.0: the close ends the body */
	}
	head_begin(r, status);
	PUT_LIT(r, "Content-Type: ");
	puts_(r, content_type ? content_type : "application/octet-stream");
	PUT_LIT(r, "\r\n");
	if (more)
		puts_(r, more);
	put(r, r->extra, r->extra_len);
	if (chunked)
		PUT_LIT(r, "Transfer-Encoding: chunked\r\n");
	head_end(r, length >= 0, length >= 0 ? (uint64_t)length : 0);
	if (length > 0 && !r->is_head)
		r->out->body_len = (uint64_t)length;
	finish(r);
	return chunked;
}
