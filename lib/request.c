/* request.c: the public request accessors and answers a handler uses. They check their arguments
 * and the "answered once" rule, then hand over to response.c, which the static handler uses too,
 * so a handler's answer gets exactly the HEAD, Range and header treatment a static file gets. */
#include "alloc.h"
#include "response.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *ymk_request_method(const ymk_request *req)
{
	return req ? req->method : NULL;
}

const char *ymk_request_target(const ymk_request *req)
{
	return req ? req->target : NULL;
}

const char *ymk_request_path(const ymk_request *req)
{
	return req ? req->path : NULL;
}

const char *ymk_request_query(const ymk_request *req)
{
	return req ? req->query : NULL;
}

const char *ymk_request_header(const ymk_request *req, const char *name)
{
	if (!req || !name)
		return NULL;
	const struct ymk__http_header *h = ymk__http_find(req->http, name);
	if (!h)
		return NULL;
	return h->value_len ? h->value : "";
}

int ymk_request_version(const ymk_request *req)
{
	return req ? req->http->version_minor : YMK_EINVAL;
}

const struct sockaddr *ymk_request_peer(const ymk_request *req, socklen_t *len)
{
	if (!req)
		return NULL;
	if (len)
		*len = req->conn->peer_len;
	return (const struct sockaddr *)&req->conn->peer;
}

static int is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* A value the library will put in a header: no CR, LF (no NUL by construction). */
static int header_value_ok(const char *v)
{
	return strpbrk(v, "\r\n") == NULL;
}

int ymk_response_header(ymk_request *req, const char *name, const char *value)
{
	static const char *const reserved[] = {"Content-Length", "Content-Range", "Date", "Connection",
					       "Transfer-Encoding"};
	if (!req || !name || !value || !*name)
		return YMK_EINVAL;
	if (req->responded)
		return YMK_ERESPONDED;
	size_t nlen = strlen(name), vlen = strlen(value);
	for (size_t i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)name[i]))
			return YMK_EINVAL;
	if (!header_value_ok(value))
		return YMK_EINVAL;
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		if (ymk__ascii_ieq(name, nlen, reserved[i]))
			return YMK_EINVAL;

	size_t add = nlen + 2 + vlen + 2;
	char *p = ymk__realloc(req->extra, req->extra_len + add);
	if (!p)
		return YMK_ENOMEM;
	req->extra = p;
	p += req->extra_len;
	memcpy(p, name, nlen);
	memcpy(p + nlen, ": ", 2);
	memcpy(p + nlen + 2, value, vlen);
	memcpy(p + nlen + 2 + vlen, "\r\n", 2);
	req->extra_len += add;
	return 0;
}

int ymk_respond_buffer(ymk_request *req, int status, const char *content_type, const void *body,
		       size_t len)
{
	if (!req || status < 200 || status > 599 || (!body && len) ||
	    (content_type && !header_value_ok(content_type)))
		return YMK_EINVAL;
	if (req->responded)
		return YMK_ERESPONDED;
	req->responded = 1;
	return ymk__respond_memory(req, status, content_type ? content_type : "application/octet-stream",
				   body ? body : "", len, NULL);
}

int ymk_respond_fd(ymk_request *req, int fd, const char *content_type)
{
	if (!req) {
		if (fd >= 0)
			close(fd);
		return YMK_EINVAL;
	}
	if (req->responded) {
		if (fd >= 0)
			close(fd);
		return YMK_ERESPONDED;
	}
	struct stat st;
	if (fd < 0)
		return YMK_EINVAL;
	if (content_type && !header_value_ok(content_type)) {
		close(fd);
		return YMK_EINVAL;
	}
	if (fstat(fd, &st) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return YMK_EINVAL;
	}
	req->responded = 1;
	ymk__respond_file(req, fd, &st,
			  content_type ? content_type : ymk__content_type(req->conn->srv, req->path), NULL, 0, NULL);
	return req->conn->oom ? YMK_ENOMEM : 0;
}

int64_t ymk_request_content_length(const ymk_request *req)
{
	if (!req || req->probe || req->http->chunked)
		return -1;
	return req->http->content_length;
}

int ymk_request_has_body(const ymk_request *req)
{
	return req && !req->probe && (req->http->chunked || req->http->content_length > 0);
}

int ymk_request_is_probe(const ymk_request *req)
{
	return req && req->probe;
}

int ymk_request_set_body_limit(ymk_request *req, uint64_t bytes)
{
	if (!req)
		return YMK_EINVAL;
	if (bytes < req->body_limit)
		req->body_limit = bytes;
	return 0;
}

int ymk_request_set_file_mode(ymk_request *req, unsigned mode)
{
	if (!req || mode > 0777)
		return YMK_EINVAL;
	req->file_mode = mode;
	return 0;
}

const void *ymk_request_body(const ymk_request *req, size_t *len)
{
	if (len)
		*len = req ? req->body_len : 0;
	return req ? req->body : NULL;
}
