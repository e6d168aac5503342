/* static.c: the static-file handler: GET and HEAD of regular files beneath the root, OPTIONS,
 * directory redirects and index files. Every file is opened through fs.c (beneath the root fd,
 * no symlinks); only regular files are ever sent. */
#include "alloc.h"
#include "fs.h"
#include "response.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define INDEX_NAME "index.html"

/* The status a failed open turns into. */
static int open_error_status(int err)
{
	switch (-err) {
	case ENOENT:
	case ENOTDIR:
		return 404;
	case ELOOP:
	case EXDEV:
	case EACCES:
	case EPERM:
		return 403;
	case ENAMETOOLONG:
		return 414;
	case EMFILE:
	case ENFILE:
		return 503;
	default:
		return 500;
	}
}

/* 301 to the slash form of a directory path: the decoded path is re-encoded, so the Location
 * never carries raw bytes from the request other than its (already valid) query. */
static void redirect_to_directory(struct ymk_request *r)
{
	size_t cap = 3 * (r->p->rel_len + 2) + 16 + (r->query ? strlen(r->query) + 1 : 0) + 32;
	char *loc = ymk__malloc(cap);
	if (!loc) {
		ymk__respond_error(r->conn, 500, 1, NULL);
		return;
	}
	memcpy(loc, "Location: /", 11);
	long n = ymk__path_encode(r->p->rel, r->p->rel_len, loc + 11, cap - 11);
	size_t len = n < 0 ? 11 : 11 + (size_t)n;
	loc[len++] = '/';
	if (r->query) {
		loc[len++] = '?';
		size_t q = strlen(r->query);
		memcpy(loc + len, r->query, q);
		len += q;
	}
	memcpy(loc + len, "\r\n", 3);
	ymk__respond_error(r->conn, 301, 0, loc);
	ymk__free(loc);
}

void ymk__static_serve(struct ymk_request *r)
{
	struct ymk__conn *c = r->conn;
	ymk_server *srv = c->srv;

	switch (r->http->method_id) {
	case YMK__METHOD_GET:
	case YMK__METHOD_HEAD:
		break;
	case YMK__METHOD_OPTIONS:
		ymk__respond_options(c, YMK__ALLOW_STATIC);
		return;
	default:
		ymk__respond_error(c, 405, 0, "Allow: " YMK__ALLOW_STATIC "\r\n");
		return;
	}
	if (srv->root_fd < 0) {
		ymk__respond_error(c, 404, 0, NULL);
		return;
	}

	/* The name the kernel sees: "/" rel ["/" index], built in the scratch area set aside for it
	 * (the request path itself may end in '/', which the kernel name must not). The leading '/'
	 * is only for the MIME hook, which gets paths in the form ymk_request_path() uses. */
	char *fsname = srv->scratch + 2 * srv->s.max_request_line + 8;
	char *rel = fsname + 1;
	fsname[0] = '/';
	memcpy(rel, r->p->rel, r->p->rel_len);
	rel[r->p->rel_len] = '\0';

	struct stat st;
	int fd = ymk__fs_open_read(srv->root_fd, rel, &st);
	if (fd >= 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		if (!r->p->trailing_slash) {
			redirect_to_directory(r);
			return;
		}
		size_t n = r->p->rel_len;
		if (n)
			rel[n++] = '/';
		memcpy(rel + n, INDEX_NAME, sizeof INDEX_NAME);
		fd = ymk__fs_open_read(srv->root_fd, rel, &st);
		if (fd == -ENOENT) {
			/* A directory without an index: no listing in this version. */
			ymk__respond_error(c, 403, 0, NULL);
			return;
		}
	}
	if (fd < 0) {
		ymk__respond_error(c, open_error_status(fd), 0, NULL);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		ymk__respond_error(c, 403, 0, NULL);
		return;
	}
	const char *type = ymk__content_type(srv, fsname);
	ymk__respond_file(r, fd, &st, type);
}
