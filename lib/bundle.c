/* bundle.c: the bundle link of the handler chain: GET and HEAD of the files compiled into the
 * program, answered from their memory (the gzip variant when the client accepts it), after the
 * path policy, with the same validators, preconditions and Range as files. A path the bundle does
 * not have is passed on to the static files. */
#include "cond.h"
#include "handler.h"
#include "request.h"

#include <string.h>

#define INDEX_NAME "index.html"

/* The entry for a '/'-rooted path of len bytes (binary search: the files are sorted). */
static const ymk_bundle_file *bundle_find(const ymk_bundle *b, const char *path, size_t len)
{
	size_t lo = 0, hi = b->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *p = b->files[mid].path;
		int cmp = strncmp(p, path, len);
		if (cmp == 0)
			cmp = p[len] ? 1 : 0;
		if (cmp == 0)
			return &b->files[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void respond_entry(struct ymk_request *r, const ymk_bundle_file *f)
{
	struct ymk__repr rp = {
		.size = f->size,
		.etag = f->etag,
		.etag_len = strlen(f->etag),
		.mtime = (time_t)f->mtime,
		.type = f->content_type ? f->content_type : "application/octet-stream",
		.vary = f->gzip_data != NULL,
		.fd = -1,
		.mem = f->data,
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
	r->resp.extra = r->extra;
	r->resp.extra_len = r->extra_len;
	ymk__resp_repr(&r->resp, &rp);
}

int ymk__bundle_serve(struct ymk_request *r)
{
	const ymk_server *srv = r->srv;
	const ymk_bundle *b = srv->s.bundle;
	enum ymk__method m = r->http->method_id;
	if ((m != YMK__METHOD_GET && m != YMK__METHOD_HEAD) || !(srv->s.methods & YMK_METHOD_GET))
		return YMK__LINK_PASS;

	/* The lookup key is built in the request's scratch name, which has room for the longest
	 * path the limits allow plus "/index.html". */
	char *key = r->fsname;
	size_t n = strlen(r->path);
	if (n + sizeof INDEX_NAME + 1 > r->fsname_cap)
		return YMK__LINK_PASS;
	memcpy(key, r->path, n);
	if (key[n - 1] == '/') {
		memcpy(key + n, INDEX_NAME, sizeof INDEX_NAME);
		n += sizeof INDEX_NAME - 1;
	}
	const ymk_bundle_file *f = bundle_find(b, key, n);
	int redirect = 0;
	if (!f && key[n - 1] != '/' && !r->p.trailing_slash) {
		/* "/dir" when the bundle has "/dir/index.html": the same redirect a directory gets. */
		key[n] = '/';
		memcpy(key + n + 1, INDEX_NAME, sizeof INDEX_NAME);
		redirect = bundle_find(b, key, n + sizeof INDEX_NAME) != NULL;
	}
	if (!f && !redirect)
		return YMK__LINK_PASS;
	if (ymk__static_admit(r))
		return YMK__LINK_ANSWERED;
	if (f)
		respond_entry(r, f);
	else
		ymk__static_redirect_dir(r);
	return YMK__LINK_ANSWERED;
}
