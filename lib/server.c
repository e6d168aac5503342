/* server.c: the server handle's lifecycle, the listener, and what both process models share
 * (the stop pipe, the Date cache, the prebuilt 503, diagnostics). */
#include "alloc.h"
#include "conn.h"
#include "fcache.h"
#include "fs.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *ymk_version(void)
{
	return "0.1.0";
}

const char *ymk_strerror(int err)
{
	switch (err) {
	case YMK_OK: return "success";
	case YMK_EINVAL: return "invalid argument";
	case YMK_ENOMEM: return "out of memory";
	case YMK_ESTATE: return "not allowed in the current state";
	case YMK_EADDRESS: return "listen address cannot be parsed";
	case YMK_ENOROOT: return "no document root and no handler configured";
	case YMK_ENOTDIR: return "document root is not a directory";
	case YMK_ERESPONDED: return "request already answered";
	case YMK_ENOCREDENTIALS: return "no credentials of this scheme";
	case YMK_EBADCREDENTIALS: return "malformed credentials";
	}
	if (err < 0 && err > -4096) {
		/* strerror() is not thread-safe in every libc; the names we hand out are static. */
		switch (-err) {
		case ENOENT: return "no such file or directory";
		case EACCES: return "permission denied";
		case EADDRINUSE: return "address already in use";
		case EADDRNOTAVAIL: return "address not available";
		case EAFNOSUPPORT: return "address family not supported";
		case EMFILE: return "too many open files";
		case ENFILE: return "too many open files in system";
		case ENOMEM: return "out of memory";
		case ENOTDIR: return "not a directory";
		case EINVAL: return "invalid argument";
		case EPERM: return "operation not permitted";
		case ELOOP: return "symbolic link refused";
		case EAGAIN: return "resource temporarily unavailable";
		case EINTR: return "interrupted";
		default: return "system error";
		}
	}
	return "unknown error";
}

void ymk__log(const ymk_server *srv, enum ymk_log_level level, const char *fmt, ...)
{
	if (!srv->s.log)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	srv->s.log(level, msg, srv->s.log_user);
}

void ymk__http_date(time_t t, char out[32])
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		memcpy(out, "Thu, 01 Jan 1970 00:00:00 GMT", 30);
		return;
	}
	int y = tm.tm_year + 1900;
	char *p = out;
	memcpy(p, days[tm.tm_wday], 3), p += 3;
	*p++ = ',', *p++ = ' ';
	*p++ = (char)('0' + tm.tm_mday / 10), *p++ = (char)('0' + tm.tm_mday % 10), *p++ = ' ';
	memcpy(p, months[tm.tm_mon], 3), p += 3;
	*p++ = ' ';
	*p++ = (char)('0' + y / 1000), *p++ = (char)('0' + y / 100 % 10);
	*p++ = (char)('0' + y / 10 % 10), *p++ = (char)('0' + y % 10), *p++ = ' ';
	*p++ = (char)('0' + tm.tm_hour / 10), *p++ = (char)('0' + tm.tm_hour % 10), *p++ = ':';
	*p++ = (char)('0' + tm.tm_min / 10), *p++ = (char)('0' + tm.tm_min % 10), *p++ = ':';
	*p++ = (char)('0' + tm.tm_sec / 10), *p++ = (char)('0' + tm.tm_sec % 10);
	memcpy(p, " GMT", 5);
}

const char *ymk__server_date(ymk_server *srv)
{
	time_t now = time(NULL);
	if (now != srv->date_sec) {
		srv->date_sec = now;
		ymk__http_date(now, srv->date);
	}
	return srv->date;
}

const char *ymk__server_lastmod(ymk_server *srv, time_t t)
{
	if (t != srv->lastmod_sec || !srv->lastmod[0]) {
		srv->lastmod_sec = t;
		ymk__http_date(t, srv->lastmod);
	}
	return srv->lastmod;
}

int ymk__set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

void ymk__reject_busy(ymk_server *srv, int fd)
{
	char sink[4096];
	(void)send(fd, srv->busy, srv->busy_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)shutdown(fd, SHUT_WR);
	(void)recv(fd, sink, sizeof sink, MSG_DONTWAIT);
	close(fd);
}

static void build_busy(ymk_server *srv)
{
	static const char body[] = "<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title>"
				   "</head><body><h1>503 Service Unavailable</h1></body></html>\n";
	int n = snprintf(srv->busy, sizeof srv->busy,
			 "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html; charset=utf-8\r\n"
			 "Content-Length: %zu\r\nRetry-After: %d\r\nConnection: close\r\n\r\n%s",
			 sizeof body - 1, YMK_DEFAULT_RETRY_AFTER_S, body);
	srv->busy_len = n > 0 && (size_t)n < sizeof srv->busy ? (size_t)n : 0;
}

static void note_port(ymk_server *srv, int fd)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof bound;
	srv->port = 0;
	if (getsockname(fd, (struct sockaddr *)&bound, &blen) < 0)
		return;
	if (bound.ss_family == AF_INET6)
		srv->port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
	else if (bound.ss_family == AF_INET)
		srv->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

int ymk__listen_open(ymk_server *srv, int reuseport)
{
	struct sockaddr_storage ss = srv->s.listen_addr;
	const struct sockaddr *sa = (const struct sockaddr *)&ss;
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1, v6only = 1;
	if (sa->sa_family == AF_UNIX) {
		/* Replace a stale socket left by an earlier run, never any other kind of file. */
		struct stat st;
		const char *path = ((const struct sockaddr_un *)sa)->sun_path;
		if (lstat(path, &st) == 0) {
			/* Only a socket nobody listens on is stale: a refused connect proves it. */
			int probe = S_ISSOCK(st.st_mode) ? socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) : -1;
			int stale = probe >= 0 && connect(probe, sa, srv->s.listen_len) < 0 && errno == ECONNREFUSED;
			if (probe >= 0)
				close(probe);
			if (!stale) {
				close(fd);
				return -EADDRINUSE;
			}
			(void)unlink(path);
		}
	} else {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (reuseport)
			(void)setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	}
	if (sa->sa_family == AF_INET6) {
		/* "[::]" means every address, IPv4 ones included; a specific address means itself. */
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		v6only = !IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr);
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
		if (srv->port) /* a worker binds the port the first socket got */
			((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)srv->port);
	} else if (sa->sa_family == AF_INET && srv->port) {
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)srv->port);
	}
	if (bind(fd, sa, srv->s.listen_len) < 0 || listen(fd, 1024) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	note_port(srv, fd);
	return fd;
}

/* Takes over a listening socket handed in by the embedder. */
static int adopt_listener(ymk_server *srv, int fd)
{
	int type = 0, listening = 0;
	socklen_t len = sizeof type;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -errno;
	len = sizeof listening;
	if (type != SOCK_STREAM || getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening)
		return YMK_EINVAL;
	int fl = fcntl(fd, F_GETFD);
	if (ymk__set_nonblock(fd) < 0 || fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -errno;
	note_port(srv, fd);
	return fd;
}

int ymk_server_new(ymk_server **out, const ymk_config *cfg)
{
	if (!out)
		return YMK_EINVAL;
	*out = NULL;
	if (!cfg)
		return YMK_EINVAL;
	/* The detail goes into the caller's config: it is const to the caller's code paths, but the
	 * error slot is documented as written by this call. */
	ymk_config *errcfg = (ymk_config *)cfg;
	errcfg->err[0] = '\0';

	if (!cfg->s.root && !cfg->s.handler && !cfg->s.bundle) {
		snprintf(errcfg->err, sizeof errcfg->err, "neither a root, a bundle nor a handler is set");
		return YMK_ENOROOT;
	}
	if (cfg->s.max_header_bytes < cfg->s.max_request_line + 4) {
		snprintf(errcfg->err, sizeof errcfg->err,
			 "max_header_bytes (%zu) must be at least max_request_line + 4 (%zu)",
			 cfg->s.max_header_bytes, cfg->s.max_request_line + 4);
		return YMK_EINVAL;
	}

	ymk_server *srv = ymk__calloc(1, sizeof *srv);
	if (!srv)
		return YMK_ENOMEM;
	srv->s = cfg->s;
	srv->s.root = NULL;
	srv->s.error_pages = NULL;
	srv->s.listen_fd = -1; /* the config's fd is adopted below, only on success */
	srv->error_fd = srv->root_fd = srv->listen_fd = srv->wake_fd[0] = srv->wake_fd[1] = -1;
	int err = YMK_ENOMEM;

	if (cfg->s.root && !(srv->s.root = ymk__strdup(cfg->s.root)))
		goto fail;
	if (cfg->s.error_pages && !(srv->s.error_pages = ymk__strdup(cfg->s.error_pages)))
		goto fail;
	/* path, query copy, file name: see conn.c and static.c */
	srv->scratch_len = 3 * srv->s.max_request_line + 64;
	if (!(srv->scratch = ymk__malloc(srv->scratch_len)))
		goto fail;
	if (srv->s.root) {
		err = ymk__fs_open_root(srv->s.root);
		if (err < 0) {
			snprintf(errcfg->err, sizeof errcfg->err, "root \"%.200s\": %s", srv->s.root,
				 ymk_strerror(err));
			goto fail;
		}
		srv->root_fd = err;
	}
	if (srv->s.error_pages) {
		err = ymk__fs_open_root(srv->s.error_pages);
		if (err < 0) {
			snprintf(errcfg->err, sizeof errcfg->err, "error pages \"%.200s\": %s",
				 srv->s.error_pages, ymk_strerror(err));
			goto fail;
		}
		srv->error_fd = err;
	}
	if (pipe2(srv->wake_fd, O_NONBLOCK | O_CLOEXEC) < 0) {
		err = -errno;
		goto fail;
	}
	if (cfg->s.listen_fd >= 0)
		err = adopt_listener(srv, cfg->s.listen_fd);
	else
		err = ymk__listen_open(srv, srv->s.model == YMK_MODEL_EVENT && srv->s.workers > 1);
	if (err < 0) {
		snprintf(errcfg->err, sizeof errcfg->err, "listen: %s", ymk_strerror(err));
		goto fail;
	}
	srv->listen_fd = err;
	srv->s.listen_fd = cfg->s.listen_fd; /* adopted: remembered so workers share it */
	srv->owns_socket_file = cfg->s.listen_fd < 0 && srv->s.listen_addr.ss_family == AF_UNIX;
	if (srv->s.model == YMK_MODEL_EVENT && (err = ymk__loop_new(srv)) < 0)
		goto fail;
	build_busy(srv);
	/* The pools' slot arrays now, so that giving a buffer back never allocates. */
	srv->pool_in = (struct ymk__pool){.cap = 64, .size = srv->s.max_header_bytes + 4096};
	srv->pool_out = (struct ymk__pool){.cap = 64, .size = YMK__OUT_STD};
	err = YMK_ENOMEM;
	if (!(srv->pool_in.v = ymk__calloc(64, sizeof(void *))) ||
	    !(srv->pool_out.v = ymk__calloc(64, sizeof(void *))))
		goto fail;
	*out = srv;
	return 0;
fail:
	if (cfg->s.listen_fd >= 0 && srv->listen_fd == cfg->s.listen_fd)
		srv->listen_fd = -1; /* a handed-in fd stays the caller's when creation fails */
	ymk_server_free(srv);
	return err;
}

int ymk_server_run(ymk_server *srv)
{
	if (!srv)
		return YMK_EINVAL;
	int rc = srv->s.model == YMK_MODEL_FORK ? ymk__fork_run(srv)
		 : srv->s.workers > 1		 ? ymk__workers_run(srv)
						 : ymk__loop_run(srv);
	/* Consume the stop request so that a later run serves again. */
	char sink[64];
	while (read(srv->wake_fd[0], sink, sizeof sink) > 0) {
	}
	srv->stop_requested = 0;
	return rc;
}

void ymk_server_wake(ymk_server *srv)
{
	if (!srv)
		return;
	int saved = errno; /* async-signal-safe: keep the interrupted code's errno */
	(void)!write(srv->wake_fd[1], "x", 1);
	errno = saved;
}

void ymk_server_stop(ymk_server *srv)
{
	if (!srv)
		return;
	srv->stop_requested = 1;
	ymk_server_wake(srv);
}

int ymk_server_fd(const ymk_server *srv)
{
	return srv ? ymk__loop_fd(srv) : YMK_EINVAL;
}

int ymk_server_timeout(const ymk_server *srv)
{
	return srv ? ymk__loop_timeout(srv) : YMK_EINVAL;
}

int ymk_server_process(ymk_server *srv)
{
	return srv ? ymk__loop_process(srv, 0) : YMK_EINVAL;
}

int ymk_server_port(const ymk_server *srv)
{
	return srv ? srv->port : YMK_EINVAL;
}

void ymk_server_free(ymk_server *srv)
{
	if (!srv)
		return;
	ymk__loop_free(srv);
	ymk__fcache_free(srv);
	ymk__pool_free(&srv->pool_in);
	ymk__pool_free(&srv->pool_out);
	if (srv->listen_fd >= 0) {
		close(srv->listen_fd);
		/* The socket file this server created goes with it. */
		if (srv->owns_socket_file)
			(void)unlink(((struct sockaddr_un *)&srv->s.listen_addr)->sun_path);
	}
	if (srv->root_fd >= 0)
		close(srv->root_fd);
	if (srv->error_fd >= 0)
		close(srv->error_fd);
	if (srv->wake_fd[0] >= 0)
		close(srv->wake_fd[0]);
	if (srv->wake_fd[1] >= 0)
		close(srv->wake_fd[1]);
	ymk__free(srv->scratch);
	ymk__free(srv->s.root);
	ymk__free(srv->s.error_pages);
	ymk__free(srv);
}
