/* Ceiling reference for the benchmark (used when ../shared/bench/ceiling.c is absent): one epoll
 * loop, keep-alive, a fixed 1 KiB response from memory for every request head (no parsing beyond
 * "\r\n\r\n"); closes after answering a request that carries "Connection: close".
 * Same command line as ymawky-serve: --listen A.B.C.D:PORT (other arguments are ignored).
 * Build: cc -O2 -o ceiling ceiling.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static char resp[2048];
static int resp_len;

int main(int argc, char **argv)
{
	int port = 8080, one = 1;
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--listen"))
			port = atoi(strrchr(argv[i + 1], ':') + 1);
	char body[1024];
	memset(body, 'x', sizeof body);
	resp_len = snprintf(resp, sizeof resp,
		"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1024\r\n"
		"Accept-Ranges: bytes\r\n\r\n");
	memcpy(resp + resp_len, body, 1024);
	resp_len += 1024;
	signal(SIGPIPE, SIG_IGN);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (void *)&a, sizeof a) || listen(ls, 4096)) {
		perror("bind");
		return 1;
	}
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	struct epoll_event evs[256];
	char buf[16384];
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ls) {
				int c;
				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					struct epoll_event e = { .events = EPOLLIN, .data.fd = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
				}
				continue;
			}
			ssize_t r = read(fd, buf, sizeof buf);
			if (r <= 0) {
				close(fd);
				continue;
			}
			int reqs = 0;
			for (ssize_t k = 3; k < r; k++)
				if (buf[k] == '\n' && buf[k - 1] == '\r' && buf[k - 2] == '\n' && buf[k - 3] == '\r')
					reqs++;
			for (int k = 0; k < reqs; k++)
				if (write(fd, resp, (size_t)resp_len) < 0)
					break;
			if (memmem(buf, (size_t)r, "Connection: close", 17))
				close(fd);
		}
	}
}
