/* static.c: the static-file handler: GET and HEAD of regular files beneath the root (with index
 * files, directory redirects, listings and precompressed sidecars), atomic PUT, DELETE, and
 * OPTIONS. Every file operation goes through fs.c (beneath the root fd, no symlinks); only regular
 * files are ever sent, replaced or removed. The path policy is asked before anything is touched,
 * and before any body byte is read. */
#include "alloc.h"
#include "cond.h"
#include "fcache.h"
#include "fs.h"
#include "handler.h"
#include "listing.h"
#include "request.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define INDEX_NAME "index.html"

static int ask_hook(struct ymk_request *r, int call_verdict, int fd, uint64_t size);
static void refuse(struct ymk_request *r, int status);

/* The static handler's methods in the order Allow lists them. */
static const struct {
	unsigned flag;
	enum ymk__method id;
	const char *name;
} methods[] = {
	{YMK_METHOD_GET, YMK__METHOD_GET, "GET"},
	{YMK_METHOD_HEAD, YMK__METHOD_HEAD, "HEAD"},
	{YMK_METHOD_OPTIONS, YMK__METHOD_OPTIONS, "OPTIONS"},
	{YMK_METHOD_PUT, YMK__METHOD_PUT, "PUT"},
	{YMK_METHOD_DELETE, YMK__METHOD_DELETE, "DELETE"},
};
#define N_METHODS (sizeof methods / sizeof methods[0])

static unsigned method_flag(enum ymk__method id)
{
	for (size_t i = 0; i < N_METHODS; i++)
		if (methods[i].id == id)
			return methods[i].flag;
	return 0;
}

/* Appends "NAME" to an Allow list in out (at least 64 bytes). */
static void allow_add(char *out, const char *name)
{
	if (*out)
		strcat(out, ", ");
	strcat(out, name);
}

void ymk__static_allow_all(const ymk_server *srv, char *out)
{
	out[0] = '\0';
	for (size_t i = 0; i < N_METHODS; i++)
		if (srv->s.methods & methods[i].flag)
			allow_add(out, methods[i].name);
}

/* The methods allowed on this path: enabled in the config, not refused by the policy when probed,
 * and no writes on a directory. */
static void allow_path(struct ymk_request *r, int is_dir, char *out)
{
	const ymk_server *srv = r->srv;
	out[0] = '\0';
	for (size_t i = 0; i < N_METHODS; i++) {
		unsigned f = methods[i].flag;
		if (!(srv->s.methods & f))
			continue;
		if (is_dir && (f == YMK_METHOD_PUT || f == YMK_METHOD_DELETE))
			continue;
		if (srv->s.policy && f != YMK_METHOD_OPTIONS) {
			struct ymk_request probe = *r;
			probe.method = methods[i].name;
			probe.probe = 1;
			probe.in_hook = 1;
			probe.responded = 0;
			probe.extra = NULL;
			probe.extra_len = 0;
			probe.refusal = NULL;
			probe.refusal_status = 0;
			if (srv->s.policy(&probe, srv->s.policy_user) != 0)
				continue;
		}
		allow_add(out, methods[i].name);
	}
}

/* The status a failed open turns into. */
static int open_error_status(int err)
{
	switch (-err) {
	case ENOENT:
	case ENOTDIR: return 404;
	case ELOOP:
	case EXDEV:
	case EACCES:
	case EPERM: return 403;
	case ENAMETOOLONG: return 414;
	case EMFILE:
	case ENFILE: return 503;
	default: return 500;
	}
}

/* The root-relative name the kernel sees, NUL-terminated, in the request's scratch name:
 * "/" rel, so that the MIME hook can be given the "/"-form. Returns rel (fsname + 1). */
static char *file_name(struct ymk_request *r, char **fsname)
{
	char *f = r->fsname;
	f[0] = '/';
	memcpy(f + 1, r->p.rel, r->p.rel_len);
	f[1 + r->p.rel_len] = '\0';
	*fsname = f;
	return f + 1;
}

void ymk__static_redirect_dir(struct ymk_request *r)
{
	size_t cap = 3 * (r->p.rel_len + 2) + 16 + (r->query ? strlen(r->query) + 1 : 0) + 32;
	char *loc = ymk__malloc(cap);
	if (!loc) {
		ymk__request_error(r, 503, 1, NULL);
		return;
	}
	memcpy(loc, "Location: /", 11);
	long n = ymk__path_encode(r->p.rel, r->p.rel_len, loc + 11, cap - 11);
	size_t len = n < 0 ? 11 : 11 + (size_t)n;
	loc[len++] = '/';
	if (r->query) {
		loc[len++] = '?';
		size_t q = strlen(r->query);
		memcpy(loc + len, r->query, q);
		len += q;
	}
	memcpy(loc + len, "\r\n", 3);
	ymk__request_error(r, 301, 0, loc);
	ymk__free(loc);
}

/* The listing of an open directory, answered from memory. */
static void serve_listing(struct ymk_request *r, int dirfd)
{
	struct ymk__dirent *e;
	size_t n;
	char *pool;
	int err = ymk__fs_list(dirfd, &e, &n, &pool);
	if (err) {
		ymk__request_error(r, err == YMK_ENOMEM ? 503 : 500, 0, NULL);
		return;
	}
	ymk__listing_sort(e, n);
	size_t len = ymk__listing_html(r->path, e, n, NULL, 0);
	char *page = ymk__malloc(len);
	if (!page) {
		ymk__request_error(r, 503, 0, NULL);
	} else {
		ymk__listing_html(r->path, e, n, page, len);
		ymk__request_memory(r, 200, "text/html; charset=utf-8", page, len);
	}
	ymk__free(page);
	ymk__free(e);
	ymk__free(pool);
}

/* With sidecars on: the best precompressed variant of rel the client accepts, opened, or -1.
 * Prefers br over gzip at equal q. */
static int open_sidecar(struct ymk_request *r, char *rel, struct stat *st, const char **encoding)
{
	const struct ymk__http_header *h = ymk__http_find(r->http, "Accept-Encoding");
	unsigned qg = 0, qb = 0;
	unsigned ok = h ? ymk__accept_encoding(h->value, h->value_len, &qg, &qb) : 0;
	struct coding {
		unsigned bit;
		const char *ext, *name;
	};
	static const struct coding br = {YMK__CODING_BR, ".br", "br"}, gz = {YMK__CODING_GZIP, ".gz", "gzip"};
	const struct coding *order[2] = {&br, &gz};
	if (qg > qb) {
		order[0] = &gz;
		order[1] = &br;
	}
	size_t n = strlen(rel);
	for (int i = 0; i < 2; i++) {
		if (!(ok & order[i]->bit))
			continue;
		memcpy(rel + n, order[i]->ext, 4);
		int fd = ymk__fs_open_read(r->srv->root_fd, rel, st);
		rel[n] = '\0';
		if (fd >= 0 && S_ISREG(st->st_mode)) {
			*encoding = order[i]->name;
			return fd;
		}
		if (fd >= 0)
			close(fd);
	}
	return -1;
}

/* GET and HEAD from the root. Passes without a root (a bundle's miss): the chain answers 404. */
static int serve_read(struct ymk_request *r)
{
	ymk_server *srv = r->srv;
	if (srv->root_fd < 0)
		return YMK__LINK_PASS;
	char *fsname, *rel = file_name(r, &fsname);

	struct stat st;
	struct ymk__fentry *fe = NULL;
	int fd = ymk__fcache_open(srv, rel, &st, &fe);
	if (fd >= 0 && S_ISREG(st.st_mode) && r->p.trailing_slash) {
		/* "file/" names a directory that is not there (the kernel would say ENOTDIR); PUT and
		 * DELETE of the same path refuse it too. */
		if (fe)
			ymk__fcache_release(fe);
		else
			close(fd);
		ymk__request_error(r, 404, 0, NULL);
		return YMK__LINK_ANSWERED;
	}
	if (fd >= 0 && S_ISDIR(st.st_mode)) { /* directories are never cached: fd is ours */
		if (!r->p.trailing_slash) {
			close(fd);
			ymk__static_redirect_dir(r);
			return YMK__LINK_ANSWERED;
		}
		int dirfd = fd;
		size_t n = r->p.rel_len;
		if (n)
			rel[n++] = '/';
		memcpy(rel + n, INDEX_NAME, sizeof INDEX_NAME);
		fd = ymk__fcache_open(srv, rel, &st, &fe);
		if (fd == -ENOENT) {
			if (srv->s.listing)
				serve_listing(r, dirfd);
			else
				ymk__request_error(r, 403, 0, NULL);
			close(dirfd);
			return YMK__LINK_ANSWERED;
		}
		close(dirfd);
	}
	if (fd < 0) {
		ymk__request_error(r, open_error_status(fd), 0, NULL);
		return YMK__LINK_ANSWERED;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd); /* only regular files are cached: an fd for anything else is ours */
		ymk__request_error(r, 403, 0, NULL);
		return YMK__LINK_ANSWERED;
	}
	/* The type is the original's, also when a precompressed variant is sent. */
	const char *type = ymk__content_type(srv, fsname, fe);
	const char *encoding = NULL;
	if (srv->s.precompressed) {
		struct stat sst;
		int sfd = open_sidecar(r, rel, &sst, &encoding);
		if (sfd >= 0) {
			if (fe)
				ymk__fcache_release(fe);
			else
				close(fd);
			fe = NULL;
			fd = sfd;
			st = sst;
		}
	}
	ymk__request_file(r, fd, &st, type, encoding, srv->s.precompressed, fe);
	return YMK__LINK_ANSWERED;
}

/* Opens the target's directory for a write and looks at the target itself.
 * Returns the directory fd (and *base, *st, *exists), or -status. */
static int open_target(struct ymk_request *r, int missing_parent_status, const char **base, struct stat *st,
		       int *exists)
{
	char *fsname, *rel = file_name(r, &fsname);
	int dirfd = ymk__fs_open_parent(r->srv->root_fd, rel, base);
	if (dirfd < 0) {
		int s = open_error_status(dirfd);
		return -(s == 404 ? missing_parent_status : s);
	}
	int err = ymk__fs_stat_at(dirfd, *base, st);
	*exists = err == 0;
	if (err && err != -ENOENT) {
		close(dirfd);
		return -open_error_status(err);
	}
	return dirfd;
}

/* RFC 9110 13.2.2 for a write, against the target's current state. 0 or 412. */
static int write_preconditions(struct ymk_request *r, const struct stat *st, int exists)
{
	char etag[80];
	struct ymk__validators v = {.exists = exists};
	if (exists) {
		v.etag = etag;
		v.etag_len = ymk__etag(st, etag);
		v.mtime = st->st_mtime;
	}
	struct ymk__preconditions pc = {0};
	const struct ymk__http_header *h;
	if ((h = ymk__http_find(r->http, "If-Match")))
		pc.if_match = h->value, pc.if_match_len = h->value_len;
	if ((h = ymk__http_find(r->http, "If-None-Match")))
		pc.if_none_match = h->value, pc.if_none_match_len = h->value_len;
	if ((h = ymk__http_find(r->http, "If-Unmodified-Since")))
		pc.if_unmodified_since = h->value, pc.if_unmodified_since_len = h->value_len;
	return ymk__preconditions_eval(&pc, &v, 0);
}

static void finish_upload(struct ymk_request *r);

static void serve_put(struct ymk_request *r)
{
	const struct ymk__http_request *req = r->http;

	if (ymk__http_find(req, "Content-Range")) {
		ymk__request_error(r, 400, 1, NULL); /* a partial PUT would be taken for the whole */
		return;
	}
	if (r->p.trailing_slash || r->p.rel_len == 0) {
		ymk__request_error(r, 409, 1, NULL);
		return;
	}
	if (!req->chunked && req->content_length < 0) {
		ymk__request_error(r, 411, 1, NULL);
		return;
	}
	if (req->content_length > 0 && (uint64_t)req->content_length > r->body_limit) {
		ymk__request_error(r, 413, 1, NULL);
		return;
	}
	const char *base;
	struct stat st;
	int exists;
	int dirfd = open_target(r, 409, &base, &st, &exists);
	if (dirfd < 0) {
		ymk__request_error(r, -dirfd, 1, NULL);
		return;
	}
	int status = 0;
	if (exists && S_ISDIR(st.st_mode))
		status = 409;
	else if (exists && !S_ISREG(st.st_mode))
		status = 403; /* symlinks and special files are never written through or replaced */
	else
		status = write_preconditions(r, &st, exists);
	struct ymk__tmpfile tmp;
	if (!status) {
		int err = ymk__fs_tmp_create(dirfd, r->file_mode, &tmp);
		if (err)
			status = err == -ENOSPC || err == -EDQUOT ? 507
			       : err == -EACCES || err == -EROFS  ? 403
								  : 500;
	}
	if (status) {
		close(dirfd);
		ymk__request_error(r, status, 1, NULL);
		return;
	}
	/* base points into the request's scratch name, which nothing else uses until the answer. */
	status = ymk__body_to_file(r, r->body_limit, dirfd, &tmp, finish_upload);
	r->body_sink->base = base;
	if (status)
		ymk__request_error(r, status, 1, NULL);
}

/* The upload's body is complete: verdict, then put in place, then 201/204. */
static void finish_upload(struct ymk_request *r)
{
	struct ymk__body *b = r->body_sink;
	ymk_server *srv = r->srv;
	int status = 0;
	int err = ymk__fs_tmp_sync(&b->tmp);
	if (err)
		status = err == -ENOSPC || err == -EDQUOT ? 507 : 500;
	int refused = 0;
	if (!status && srv->s.verdict)
		refused = status = ask_hook(r, 1, b->tmp.fd, b->received);
	int replaced = 0;
	if (!status) {
		/* "If-None-Match: *" means create only: it must still hold at the moment of the
		 * rename, not just when the request arrived. */
		const struct ymk__http_header *inm = ymk__http_find(r->http, "If-None-Match");
		int create_only = inm && inm->value_len == 1 && inm->value[0] == '*';
		err = ymk__fs_tmp_commit(b->dir_fd, &b->tmp, b->base, create_only, &replaced);
		if (err)
			status = err == -EEXIST                    ? 412
			       : err == -EISDIR || err == -ENOTDIR ? 409
			       : err == -ENOSPC || err == -EDQUOT  ? 507
								   : 500;
	}
	if (status) {
		ymk__fs_tmp_discard(b->dir_fd, &b->tmp);
		if (refused)
			refuse(r, status);
		else
			ymk__request_error(r, status, 0, NULL);
		return;
	}
	ymk__request_created(r, replaced);
}

static void serve_delete(struct ymk_request *r)
{
	if (r->p.trailing_slash || r->p.rel_len == 0) {
		ymk__request_error(r, 403, 0, NULL);
		return;
	}
	const char *base;
	struct stat st;
	int exists;
	int dirfd = open_target(r, 404, &base, &st, &exists);
	if (dirfd < 0) {
		ymk__request_error(r, -dirfd, 0, NULL);
		return;
	}
	int status;
	if (!exists)
		status = 404;
	else if (!S_ISREG(st.st_mode))
		status = 403; /* directories, symlinks, special files */
	else if ((status = write_preconditions(r, &st, exists)) == 0) {
		int err = ymk__fs_unlink(dirfd, base);
		status = err == 0 ? 204 : err == -ENOENT ? 404 : open_error_status(err);
	}
	close(dirfd);
	if (status == 204)
		ymk__request_created(r, 1);
	else
		ymk__request_error(r, status, 0, NULL);
}

/* Whether the path names a directory (for OPTIONS and Allow): trailing slash, the root, or an
 * existing directory. */
static int path_is_dir(struct ymk_request *r)
{
	if (r->p.trailing_slash || r->p.rel_len == 0)
		return 1;
	char *fsname, *rel = file_name(r, &fsname);
	struct stat st;
	int fd = ymk__fs_open_read(r->srv->root_fd, rel, &st);
	if (fd < 0)
		return 0;
	close(fd);
	return S_ISDIR(st.st_mode);
}

static void respond_405(struct ymk_request *r)
{
	char allow[64], extra[80];
	allow_path(r, r->srv->root_fd >= 0 && path_is_dir(r), allow);
	memcpy(extra, "Allow: ", 7);
	strcpy(extra + 7, allow);
	strcat(extra, "\r\n");
	ymk__request_error(r, 405, 0, extra);
}

/* Calls the policy or the verdict (call_verdict: with fd and size) with answers recorded as its
 * refusal. Returns 0 (allowed) or the refusal's status: the answer it gave, else its return
 * value (500 outside 400..599). An answer counts as a refusal whatever the hook returned. */
static int ask_hook(struct ymk_request *r, int call_verdict, int fd, uint64_t size)
{
	const ymk_server *srv = r->srv;
	r->in_hook = 1;
	int st = call_verdict ? srv->s.verdict(r, fd, size, srv->s.verdict_user)
			      : srv->s.policy(r, srv->s.policy_user);
	r->in_hook = 0;
	if (r->refusal_status)
		return r->refusal_status;
	return st == 0 ? 0 : st >= 400 && st <= 599 ? st : 500;
}

/* Sends the refusal of the policy or the verdict: its status with the headers it added, and the
 * body it gave with ymk_respond_buffer() or else the library's page; a 405 also says what is
 * allowed (RFC 9110 15.5.6). */
static void refuse(struct ymk_request *r, int status)
{
	if (status == 405) {
		char allow[64];
		allow_path(r, r->srv->root_fd >= 0 && path_is_dir(r), allow);
		if (ymk__request_add_header(r, "Allow", allow) != 0) {
			status = 503;
			ymk__free(r->refusal);
			r->refusal = NULL;
			r->refusal_status = 0;
		}
	}
	if (r->refusal_status) {
		const char *type = r->refusal;
		ymk__request_memory(r, status, type, type + strlen(type) + 1, r->refusal_len);
		ymk__free(r->refusal);
		r->refusal = NULL;
		r->refusal_status = 0;
		return;
	}
	ymk__request_error(r, status, 0, r->extra);
}

int ymk__static_admit(struct ymk_request *r)
{
	if (!r->srv->s.policy)
		return 0;
	int st = ask_hook(r, 0, -1, 0);
	if (st)
		refuse(r, st);
	return st != 0;
}

int ymk__static_serve(struct ymk_request *r)
{
	ymk_server *srv = r->srv;
	unsigned flag = method_flag(r->http->method_id);
	char allow[64];

	if (!flag || !(srv->s.methods & flag)) {
		respond_405(r);
		return YMK__LINK_ANSWERED;
	}
	if (flag == YMK_METHOD_OPTIONS) {
		allow_path(r, srv->root_fd >= 0 && path_is_dir(r), allow);
		ymk__resp_options(&r->resp, allow);
		return YMK__LINK_ANSWERED;
	}
	if (srv->root_fd < 0 && !(srv->s.bundle && (flag == YMK_METHOD_GET || flag == YMK_METHOD_HEAD))) {
		ymk__request_error(r, 404, 0, NULL);
		return YMK__LINK_ANSWERED;
	}
	if (ymk__static_admit(r))
		return YMK__LINK_ANSWERED;
	switch (flag) {
	case YMK_METHOD_PUT: serve_put(r); return YMK__LINK_ANSWERED;
	case YMK_METHOD_DELETE: serve_delete(r); return YMK__LINK_ANSWERED;
	default: return serve_read(r);
	}
}
