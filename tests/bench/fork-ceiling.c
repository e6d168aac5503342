/* Fork ceiling for the benchmark: the least a fork-per-connection server can do.
 * accept(); fork(); the child reads the request head, writes a fixed 1 KiB response with
 * "Connection: close" and exits; the parent closes its copy, reaps the children that have ended
 * (waitpid, WNOHANG, after each accept) and goes on. Reaping matters to the benchmark: with
 * SIGCHLD ignored the kernel discards children unseen, and their CPU time never reaches the
 * parent's cutime/cstime, which is where the cost of the children that are gone is read.
 * Same command line as ymawky-serve: --listen A.B.C.D:PORT (other arguments are ignored).
 * Build: cc -O2 -o fork-ceiling fork-ceiling.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char resp[2048];
static int resp_len;

static void serve(int c)
{
	char buf[16384];
	size_t have = 0;
	for (;;) { /* read until the end of the head */
		ssize_t r = read(c, buf + have, sizeof buf - have);
		if (r <= 0)
			return;
		have += (size_t)r;
		if (memmem(buf, have, "\r\n\r\n", 4) || have == sizeof buf)
			break;
	}
	for (int off = 0; off < resp_len;) {
		ssize_t w = write(c, resp + off, (size_t)(resp_len - off));
		if (w <= 0)
			return;
		off += (int)w;
	}
	shutdown(c, SHUT_WR);
}

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
		"Accept-Ranges: bytes\r\nConnection: close\r\n\r\n");
	memcpy(resp + resp_len, body, 1024);
	resp_len += 1024;
	signal(SIGPIPE, SIG_IGN);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (void *)&a, sizeof a) || listen(ls, 4096)) {
		perror("bind");
		return 1;
	}
	for (;;) {
		int c = accept(ls, NULL, NULL);
		if (c < 0)
			continue;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		pid_t p = fork();
		if (p == 0) {
			close(ls);
			serve(c);
			close(c);
			_exit(0);
		}
		close(c);
		while (waitpid(-1, NULL, WNOHANG) > 0) {
		}
	}
}
