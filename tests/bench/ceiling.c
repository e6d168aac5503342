/* Fixed-response ceiling for the benchmark: the least work an epoll server can do per request.
 * One level-triggered epoll loop, keep-alive, the same answer from memory (a head and --body
 * BYTES of 'x', default 1024) for every request head seen (no parsing beyond "\r\n\r\n"); closes
 * after answering a request that carries "Connection: close". Answers owed to a connection whose
 * socket is full wait for EPOLLOUT, so a large body is never cut short.
 * Same command line as ymawky-serve: --listen A.B.C.D:PORT [--body BYTES] (other arguments are
 * ignored).  Build: cc -O2 -o ceiling ceiling.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXFD 65536

static char *resp;
static size_t resp_len;

/* Per connection (indexed by fd): answers still owed, bytes of the current one already sent,
 * and whether to close once they are all out. */
static struct {
	unsigned owed;
	size_t off;
	int close_after, want_out;
} conns[MAXFD];

static void drop(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	memset(&conns[fd], 0, sizeof conns[fd]);
}

/* Sends what is owed. Returns 0 when done or blocked, -1 when the connection is gone. */
static int flush(int ep, int fd)
{
	while (conns[fd].owed) {
		ssize_t w = send(fd, resp + conns[fd].off, resp_len - conns[fd].off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (w <= 0)
			return -1;
		conns[fd].off += (size_t)w;
		if (conns[fd].off == resp_len) {
			conns[fd].off = 0;
			conns[fd].owed--;
		}
	}
	int want_out = conns[fd].owed > 0;
	if (want_out != conns[fd].want_out) {
		struct epoll_event e = {.events = want_out ? EPOLLOUT : EPOLLIN, .data.fd = fd};
		epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
		conns[fd].want_out = want_out;
	}
	if (!conns[fd].owed && conns[fd].close_after)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	int port = 8080, one = 1;
	long body = 1024;
	for (int i = 1; i + 1 < argc; i++) {
		if (!strcmp(argv[i], "--listen") && strrchr(argv[i + 1], ':'))
			port = atoi(strrchr(argv[i + 1], ':') + 1);
		else if (!strcmp(argv[i], "--body"))
			body = atol(argv[i + 1]);
	}
	if (body < 0 || body > (64L << 20)) {
		fprintf(stderr, "ceiling: --body 0..67108864\n");
		return 2;
	}
	resp = malloc(256 + (size_t)body);
	if (!resp)
		return 1;
	resp_len = (size_t)snprintf(resp, 256,
				    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
				    "Content-Length: %ld\r\nAccept-Ranges: bytes\r\n\r\n",
				    body);
	memset(resp + resp_len, 'x', (size_t)body);
	resp_len += (size_t)body;
	signal(SIGPIPE, SIG_IGN);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (void *)&a, sizeof a) || listen(ls, 4096)) {
		perror("bind");
		return 1;
	}
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	struct epoll_event evs[256];
	static char buf[16384];
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ls) {
				int c;
				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					if (c >= MAXFD) {
						close(c);
						continue;
					}
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					struct epoll_event e = {.events = EPOLLIN, .data.fd = c};
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
				}
				continue;
			}
			if (evs[i].events & EPOLLOUT) {
				if (flush(ep, fd) < 0)
					drop(ep, fd);
				continue;
			}
			ssize_t r = read(fd, buf, sizeof buf);
			if (r <= 0) {
				drop(ep, fd);
				continue;
			}
			for (ssize_t k = 3; k < r; k++)
				if (buf[k] == '\n' && buf[k - 1] == '\r' && buf[k - 2] == '\n' && buf[k - 3] == '\r')
					conns[fd].owed++;
			if (memmem(buf, (size_t)r, "Connection: close", 17))
				conns[fd].close_after = 1;
			if (flush(ep, fd) < 0)
				drop(ep, fd);
		}
	}
}
