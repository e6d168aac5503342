/* response.c: response heads and small bodies, built straight into the connection's output buffer.
 *
 * Heads are assembled with memcpy and a decimal writer, not printf: this is the hot path of every
 * request. Every answer goes through the same few builders, so HEAD (headers without a body),
 * Range (on 200 answers to GET, for files and buffers alike) and the headers every response
 * carries are decided in one place. Error pages name the status only, never request data. */
#include "response.h"

#include "alloc.h"
#include "cond.h"
#include "fcache.h"
#include "fs.h"
#include "log.h"
#include "mime.h"
#include "os.h"
#include "range.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
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
	if (c->out && c->out_len + more <= c->out_cap)
		return 0;
	if (ymk__conn_out_reserve(c, more) < 0) {
		c->oom = 1;
		return -1;
	}
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

/* Decimal (base 10) or lower-case hex (base 16) digits of v into buf; returns the length. The two
 * bases get their own loops so that hex is shifts, not divisions: ETags are built per request. */
static size_t fmt_u64(char *buf, uint64_t v, unsigned base)
{
	char tmp[24];
	size_t n = 0;
	if (base == 16) {
		do {
			tmp[n++] = "0123456789abcdef"[v & 15];
			v >>= 4;
		} while (v);
	} else {
		do {
			tmp[n++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
	}
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
	puts_(c, ymk__date_now(&c->srv->dates));
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
	ymk__log(&c->srv->s, YMK_LOG_ERROR, "out of memory while building a %d response", c->status);
	c->out_len = c->out_off = c->out_head = 0;
	c->body_len = 0;
	c->keep_alive = 0;
	ymk__conn_drop_body(c);
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

	/* A custom page for 4xx and 5xx, read through the file door like any file; any trouble
	 * with it falls back to the built-in page. */
	char *page = NULL;
	size_t page_len = 0;
	if (status >= 400 && c->srv->error_fd >= 0) {
		char name[16];
		snprintf(name, sizeof name, "%d.html", status);
		if (ymk__fs_read_small(c->srv->error_fd, name, 65536, &page, &page_len) != 0)
			page = NULL;
	}

	if (close_after)
		c->keep_alive = 0;
	head_begin(c, status);
	PUT_LIT(c, "Content-Type: text/html; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n");
	if (extra)
		puts_(c, extra);
	uint64_t blen = page ? page_len : (sizeof a - 1) + tlen + (sizeof b - 1) + tlen + (sizeof z - 1);
	head_end(c, 1, blen);
	if (!c->is_head) {
		if (page) {
			put(c, page, page_len);
		} else {
			PUT_LIT(c, a);
			put(c, title, tlen);
			PUT_LIT(c, b);
			put(c, title, tlen);
			PUT_LIT(c, z);
		}
		c->body_len = blen;
	}
	ymk__free(page);
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

size_t ymk__etag(const struct stat *st, char *out)
{
	/* A strong validator that changes whenever the file is replaced (inode) or rewritten
	 * (size, nanosecond mtime). */
	size_t e = 0;
	uint64_t mtime_ns = (uint64_t)ymk__os_mtime_ns(st);
	out[e++] = '"';
	e += fmt_u64(out + e, (uint64_t)st->st_ino, 16);
	out[e++] = '-';
	e += fmt_u64(out + e, (uint64_t)st->st_size, 16);
	out[e++] = '-';
	e += fmt_u64(out + e, mtime_ns, 16);
	out[e++] = '"';
	return e;
}

/* Applies the Range header of a GET to a representation of `size` bytes, after If-Range (which
 * needs validators: without them a conditional range is never applied).
 * Returns 200 (whole), 206 (parts[0..*n) filled) or 416. */
static int apply_range(const struct ymk_request *r, uint64_t size, const struct ymk__validators *v,
		       struct ymk__range *parts, size_t *n)
{
	*n = 0;
	if (r->http->method_id != YMK__METHOD_GET)
		return 200;
	const struct ymk__http_header *h = ymk__http_find(r->http, "Range");
	if (!h)
		return 200;
	const struct ymk__http_header *ir = ymk__http_find(r->http, "If-Range");
	if (ir && (!v || !ymk__if_range_applies(ir->value, ir->value_len, v)))
		return 200;
	switch (ymk__range_parse(h->value, h->value_len, size, YMK__RANGE_MAX_PARTS, parts, n)) {
	case YMK__RANGE_UNSATISFIABLE:
		return 416;
	case YMK__RANGE_OK:
		return 206;
	default:
		*n = 0;
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

/* A boundary that differs per response; RFC 9110 14.6 allows any token that does not occur in
 * the parts, and 20 random-looking characters are as good as it gets without scanning them. */
static void make_boundary(char out[24])
{
	static uint64_t counter;
	uint64_t x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (++counter * 0x9e3779b97f4a7c15ull);
	x ^= x >> 30, x *= 0xbf58476d1ce4e5b9ull, x ^= x >> 27, x *= 0x94d049bb133111ebull, x ^= x >> 31;
	memcpy(out, "ymk", 3);
	size_t n = 3 + fmt_u64(out + 3, x, 16);
	out[n] = '\0';
}

/* Builds a part header "\r\n--B\r\nContent-Type: T\r\nContent-Range: ...\r\n\r\n" into out[]. */
static void put_part_head(struct ymk__conn *c, const char *boundary, const char *type, uint64_t first,
			  uint64_t len, uint64_t size)
{
	PUT_LIT(c, "\r\n--");
	puts_(c, boundary);
	PUT_LIT(c, "\r\nContent-Type: ");
	puts_(c, type);
	PUT_LIT(c, "\r\n");
	put_content_range(c, first, len, size);
	PUT_LIT(c, "\r\n");
}

/* The length of the multipart body for these parts, without building it. */
static uint64_t multipart_length(const char *boundary, const char *type, const struct ymk__range *parts,
				 size_t n, uint64_t size)
{
	char num[24];
	uint64_t total = 0;
	size_t blen = strlen(boundary), tlen = strlen(type), slen = fmt_u64(num, size, 10);
	for (size_t i = 0; i < n; i++) {
		uint64_t len = parts[i].last - parts[i].first + 1;
		total += 4 + blen + 2 + 14 + tlen + 2 + 21 + fmt_u64(num, parts[i].first, 10) + 1 +
			 fmt_u64(num, parts[i].last, 10) + 1 + slen + 2 + 2 + len;
	}
	return total + 4 + blen + 4;
}

/* Common headers of a 200/206 answer and the multipart Content-Type when there are parts. */
static void put_type(struct ymk__conn *c, const char *type, size_t nparts, const char *boundary)
{
	PUT_LIT(c, "Content-Type: ");
	if (nparts > 1) {
		PUT_LIT(c, "multipart/byteranges; boundary=");
		puts_(c, boundary);
	} else {
		puts_(c, type);
	}
	PUT_LIT(c, "\r\nX-Content-Type-Options: nosniff\r\n");
}

static void respond_not_modified(struct ymk_request *r, const char *etag, size_t elen, const char *lastmod,
				 int vary, int revalidate)
{
	struct ymk__conn *c = r->conn;
	head_begin(c, 304);
	if (revalidate)
		PUT_LIT(c, "Cache-Control: no-cache\r\n");
	PUT_LIT(c, "ETag: ");
	put(c, etag, elen);
	PUT_LIT(c, "\r\nLast-Modified: ");
	puts_(c, lastmod);
	PUT_LIT(c, "\r\n");
	if (vary)
		PUT_LIT(c, "Vary: Accept-Encoding\r\n");
	put(c, r->extra, r->extra_len);
	head_end(c, 0, 0);
	(void)finish(c);
}

static void request_preconditions(const struct ymk_request *r, struct ymk__preconditions *pc)
{
	static const char *const names[4] = {"If-Match", "If-None-Match", "If-Modified-Since",
					     "If-Unmodified-Since"};
	const char **vals[4] = {&pc->if_match, &pc->if_none_match, &pc->if_modified_since,
				&pc->if_unmodified_since};
	size_t *lens[4] = {&pc->if_match_len, &pc->if_none_match_len, &pc->if_modified_since_len,
			   &pc->if_unmodified_since_len};
	memset(pc, 0, sizeof *pc);
	for (int i = 0; i < 4; i++) {
		const struct ymk__http_header *h = ymk__http_find(r->http, names[i]);
		if (h) {
			*vals[i] = h->value;
			*lens[i] = h->value_len;
		}
	}
}

/* A representation to answer with: its bytes come from an open file or from memory that
 * outlives the response; everything else about the answer is decided the same way for both. */
struct repr {
	uint64_t size;
	const char *etag;
	size_t etag_len;
	time_t mtime;
	const char *type;
	const char *encoding; /* Content-Encoding, or NULL */
	int vary;             /* say "Vary: Accept-Encoding" */
	int fd;               /* -1: the bytes are at mem */
	const unsigned char *mem;
	struct ymk__fentry *fentry; /* the fd belongs to this cache entry */
	int revalidate;             /* say "Cache-Control: no-cache" */
};

static void release(struct ymk__conn *c, const struct repr *rp)
{
	if (rp->fentry)
		ymk__fcache_release(c->srv, rp->fentry);
	else if (rp->fd >= 0)
		close(rp->fd);
}

static void respond_repr(struct ymk_request *r, const struct repr *rp)
{
	struct ymk__conn *c = r->conn;
	const char *lastmod = ymk__date_lastmod(&c->srv->dates, rp->mtime);

	struct ymk__validators v = {.exists = 1, .etag = rp->etag, .etag_len = rp->etag_len, .mtime = rp->mtime};
	struct ymk__preconditions pc;
	request_preconditions(r, &pc);
	int id = r->http->method_id;
	int pre = ymk__preconditions_eval(&pc, &v, id == YMK__METHOD_GET || id == YMK__METHOD_HEAD);
	if (pre) {
		release(c, rp);
		if (pre == 304)
			respond_not_modified(r, rp->etag, rp->etag_len, lastmod, rp->vary, rp->revalidate);
		else
			ymk__respond_error(c, pre, 0, NULL);
		return;
	}

	struct ymk__range parts[YMK__RANGE_MAX_PARTS];
	size_t n = 0;
	int status = apply_range(r, rp->size, &v, parts, &n);
	if (status == 416) {
		release(c, rp);
		respond_416(r, rp->size);
		return;
	}
	char boundary[24] = "";
	uint64_t len = rp->size;
	if (n == 1) {
		len = parts[0].last - parts[0].first + 1;
	} else if (n > 1) {
		make_boundary(boundary);
		len = multipart_length(boundary, rp->type, parts, n, rp->size);
	}

	head_begin(c, status);
	put_type(c, rp->type, n, boundary);
	if (rp->encoding) {
		PUT_LIT(c, "Content-Encoding: ");
		puts_(c, rp->encoding);
		PUT_LIT(c, "\r\n");
	}
	if (rp->vary)
		PUT_LIT(c, "Vary: Accept-Encoding\r\n");
	if (rp->revalidate)
		PUT_LIT(c, "Cache-Control: no-cache\r\n");
	PUT_LIT(c, "Last-Modified: ");
	puts_(c, lastmod);
	PUT_LIT(c, "\r\nETag: ");
	put(c, rp->etag, rp->etag_len);
	PUT_LIT(c, "\r\nAccept-Ranges: bytes\r\n");
	if (n == 1)
		put_content_range(c, parts[0].first, len, rp->size);
	put(c, r->extra, r->extra_len);
	head_end(c, 1, len);

	if (c->is_head || len == 0) {
		release(c, rp);
		(void)finish(c);
		return;
	}
	/* A small cached file is sent from its bytes in memory, like a bundle: the head and the
	 * body leave in one sendmsg(). The entry's reference keeps the bytes until then. */
	const unsigned char *cached = rp->fentry ? ymk__fcache_data(rp->fentry) : NULL;
	c->fentry = rp->fentry;
	c->file_fd = cached ? -1 : rp->fd;
	c->ext_body = cached ? cached : rp->fd < 0 ? rp->mem : NULL;
	c->body_len = len;
	if (n <= 1) {
		c->file_start = c->file_off = n ? parts[0].first : 0;
		c->file_end = c->file_off + len;
		(void)finish(c);
		return;
	}
	/* Multipart: the head, then per part its header (from out[]) and its bytes (from the
	 * source), then the closing boundary. */
	struct ymk__seg *segs = ymk__calloc(2 * n + 2, sizeof *segs);
	if (!segs) {
		c->oom = 1;
		(void)finish(c);
		return;
	}
	size_t k = 0;
	segs[k++] = (struct ymk__seg){.off = 0, .len = c->out_len};
	for (size_t i = 0; i < n; i++) {
		size_t at = c->out_len;
		uint64_t plen = parts[i].last - parts[i].first + 1;
		put_part_head(c, boundary, rp->type, parts[i].first, plen, rp->size);
		segs[k++] = (struct ymk__seg){.off = at, .len = c->out_len - at};
		segs[k++] = (struct ymk__seg){.off = parts[i].first, .len = plen, .from_source = 1};
	}
	size_t at = c->out_len;
	PUT_LIT(c, "\r\n--");
	puts_(c, boundary);
	PUT_LIT(c, "--\r\n");
	segs[k++] = (struct ymk__seg){.off = at, .len = c->out_len - at};
	c->segs = segs;
	c->nsegs = k;
	c->seg_i = 0;
	c->seg_done = c->seg_body = 0;
	if (finish(c)) {
		ymk__free(c->segs);
		c->segs = NULL;
	}
}

void ymk__respond_file(struct ymk_request *r, int fd, const struct stat *st, const char *content_type,
		       const char *encoding, int vary, struct ymk__fentry *fentry)
{
	char etag[80];
	struct repr rp = {
		.size = (uint64_t)st->st_size, .etag = etag, .etag_len = ymk__etag(st, etag),
		.mtime = st->st_mtime, .type = content_type, .encoding = encoding, .vary = vary, .fd = fd,
		.fentry = fentry,
	};
	respond_repr(r, &rp);
}

void ymk__respond_bundle(struct ymk_request *r, const ymk_bundle_file *f)
{
	struct repr rp = {
		.size = f->size, .etag = f->etag, .etag_len = strlen(f->etag), .mtime = (time_t)f->mtime,
		.type = f->content_type ? f->content_type : "application/octet-stream",
		.vary = f->gzip_data != NULL, .fd = -1, .mem = f->data,
		/* A bundle's Last-Modified is its build time (often pinned for reproducible builds):
		 * heuristic freshness would let caches keep an old UI for years after an update, so
		 * caches must ask every time; the strong ETag makes that a cheap 304. */
		.revalidate = 1,
	};
	if (f->gzip_data) {
		const struct ymk__http_header *h = ymk__http_find(r->http, "Accept-Encoding");
		if (h && (ymk__accept_encoding(h->value, h->value_len, NULL, NULL) & YMK__CODING_GZIP)) {
			rp.size = f->gzip_size;
			rp.mem = f->gzip_data;
			rp.etag = f->gzip_etag ? f->gzip_etag : f->etag;
			rp.etag_len = strlen(rp.etag);
			rp.encoding = "gzip";
		}
	}
	respond_repr(r, &rp);
}

int ymk__respond_memory(struct ymk_request *r, int status, const char *content_type, const void *body,
			size_t size, const char *location)
{
	struct ymk__conn *c = r->conn;
	struct ymk__range parts[YMK__RANGE_MAX_PARTS];
	size_t n = 0;
	int no_body = status == 204 || status == 304;
	const char *type = content_type ? content_type : "application/octet-stream";
	if (status == 200) {
		status = apply_range(r, size, NULL, parts, &n);
		if (status == 416) {
			respond_416(r, size);
			return finish(c);
		}
	}
	char boundary[24] = "";
	uint64_t len = size;
	if (n == 1) {
		len = parts[0].last - parts[0].first + 1;
	} else if (n > 1) {
		make_boundary(boundary);
		len = multipart_length(boundary, type, parts, n, size);
	}
	head_begin(c, status);
	if (!no_body && content_type)
		put_type(c, type, n, boundary);
	if (status == 200 || status == 206)
		PUT_LIT(c, "Accept-Ranges: bytes\r\n");
	if (n == 1)
		put_content_range(c, parts[0].first, len, size);
	if (location) {
		PUT_LIT(c, "Location: ");
		puts_(c, location);
		PUT_LIT(c, "\r\n");
	}
	put(c, r->extra, r->extra_len);
	head_end(c, !no_body, len);
	if (!no_body && !c->is_head) {
		if (n <= 1) {
			put(c, (const char *)body + (n ? parts[0].first : 0), (size_t)len);
		} else {
			for (size_t i = 0; i < n; i++) {
				uint64_t plen = parts[i].last - parts[i].first + 1;
				put_part_head(c, boundary, type, parts[i].first, plen, size);
				put(c, (const char *)body + parts[i].first, (size_t)plen);
			}
			PUT_LIT(c, "\r\n--");
			puts_(c, boundary);
			PUT_LIT(c, "--\r\n");
		}
		c->body_len = len;
	}
	return finish(c);
}

void ymk__respond_created(struct ymk_request *r, int replaced)
{
	if (replaced) {
		(void)ymk__respond_memory(r, 204, NULL, NULL, 0, NULL);
		return;
	}
	size_t plen = strlen(r->path);
	char *loc = ymk__malloc(3 * plen + 1);
	if (!loc || ymk__path_encode(r->path, plen, loc, 3 * plen + 1) < 0) {
		ymk__free(loc);
		loc = NULL;
	}
	(void)ymk__respond_memory(r, 201, NULL, "", 0, loc);
	ymk__free(loc);
}
