/* listen.c: the listener and its door (see listen.h): opening or adopting the socket, accepting,
 * and the 503 past the cap, prebuilt so that refusing costs no formatting. */
#include "listen.h"

#include "log.h"
#include "os.h"
#include "out.h"
#include "response.h"
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
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
	int fd = ymk__os_socket(sa->sa_family, SOCK_STREAM);
	if (fd < 0)
		return fd;
	int one = 1, v6only = 1;
	if (sa->sa_family == AF_UNIX) {
		/* Replace a stale socket left by an earlier run, never any other kind of file. */
		struct stat st;
		const char *path = ((const struct sockaddr_un *)sa)->sun_path;
		if (lstat(path, &st) == 0) {
			/* Only a socket nobody listens on is stale: a refused connect proves it. */
			int probe = S_ISSOCK(st.st_mode) ? ymk__os_socket(AF_UNIX, SOCK_STREAM) : -1;
			int stale = probe >= 0 && connect(probe, sa, srv->s.listen_len) < 0 &&
				    errno == ECONNREFUSED;
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

int ymk__listen_adopt(ymk_server *srv, int fd)
{
	int type = 0, listening = 0;
	socklen_t len = sizeof type;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return errno == ENOTSOCK ? YMK_EINVAL
					 : -errno; /* not a socket at all: the caller's mistake */
	len = sizeof listening;
	if (type != SOCK_STREAM || getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
	    !listening)
		return YMK_EINVAL;
	int fl = fcntl(fd, F_GETFD);
	if (set_nonblock(fd) < 0 || fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -errno;
	note_port(srv, fd);
	return fd;
}

static int accept_one(ymk_server *srv, struct sockaddr_storage *peer, socklen_t *peer_len)
{
	*peer_len = sizeof *peer;
	int fd = ymk__os_accept(srv->listen_fd, (struct sockaddr *)peer, peer_len);
	if (fd < 0)
		return fd;
	if (peer->ss_family == AF_INET || peer->ss_family == AF_INET6) {
		int one = 1;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	return fd;
}

int ymk__listen_accept_batch(ymk_server *srv, ymk__take_fn *take, void *ctx)
{
	if (srv->tls)
		ymk__tls_refresh(srv->tls); /* certificates reloaded before the next handshakes */
	for (int accepted = 0; accepted < YMK__ACCEPT_BATCH;) {
		struct sockaddr_storage peer;
		socklen_t plen;
		int fd = accept_one(srv, &peer, &plen);
		if (fd == -EINTR || fd == -ECONNABORTED)
			continue;
		if (fd == -EAGAIN)
			return 0;
		if (fd < 0) {
			ymk__log(&srv->s, YMK_LOG_WARN, "accept: %s; pausing new connections",
				 ymk_strerror(fd));
			return fd;
		}
		accepted++;
		take(ctx, fd, &peer, plen);
	}
	return 0;
}

void ymk__listen_transport(ymk_server *srv, int fd, struct ymk__transport *tr)
{
	if (srv->tls)
		ymk__tls_transport(srv->tls, fd, tr);
	else
		ymk__transport_socket(tr, fd);
}

void ymk__listen_busy_init(ymk_server *srv)
{
	/* The library's own 503 page, built like every other answer (no Date: it is built once, and
	 * RFC 9110 6.6.1 lets a 5xx go without one). */
	char extra[48];
	snprintf(extra, sizeof extra, "Retry-After: %d\r\n", YMK_DEFAULT_RETRY_AFTER_S);
	struct ymk__out o;
	ymk__out_init_fixed(&o, srv->busy, sizeof srv->busy);
	struct ymk__resp rs = {.out = &o};
	ymk__resp_error(&rs, 503, 1, extra);
	srv->busy_len = o.oom ? 0 : o.len;
}

long ymk__listen_send_close(ymk_server *srv, struct ymk__transport *tr, const void *answer, size_t len)
{
	if (srv->tls) {
		/* A TLS client never gets a plaintext refusal, and a handshake to refuse it would cost
		 * more than serving it: the connection is closed at once, no byte sent, and no TLS
		 * work done (docs/tls.md). */
		tr->ops->close(tr);
		return 0;
	}
	char sink[4096];
	long sent = 0;
	if (len) {
		struct iovec iov = {.iov_base = (void *)answer, .iov_len = len};
		sent = tr->ops->sendv(tr, &iov, 1, 0);
	}
	(void)tr->ops->shutdown(tr);
	(void)tr->ops->recv(tr, sink, sizeof sink); /* drained without waiting */
	tr->ops->close(tr);
	return sent;
}

void ymk__listen_reject(ymk_server *srv, int fd)
{
	if (srv->tls) {
		close(fd);
		return;
	}
	struct ymk__transport tr;
	ymk__listen_transport(srv, fd, &tr);
	(void)ymk__listen_send_close(srv, &tr, srv->busy, srv->busy_len);
}
