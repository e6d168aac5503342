/* main.c: libymawky used as a meson subproject. Serves one request to itself in a single thread,
 * driving the server from its own poll() loop (ymk_server_fd/timeout/process), and checks the
 * answer: the subproject's dependency object, its include directory and the library must agree. */
#define _POSIX_C_SOURCE 200809L
#include <ymawky.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int hello(ymk_request *req, void *user)
{
	(void)user;
	if (strcmp(ymk_request_path(req), "/hello") != 0)
		return 404;
	return ymk_respond_buffer(req, 200, "text/plain", "hi\n", 3);
}

int main(void)
{
	ymk_config *cfg;
	ymk_server *srv;
	signal(SIGPIPE, SIG_IGN);
	if (ymk_config_new(&cfg) || ymk_config_set_listen(cfg, "127.0.0.1:0") ||
	    ymk_config_set_handler(cfg, hello, NULL) || ymk_server_new(&srv, cfg)) {
		fprintf(stderr, "subproject consumer: setup failed\n");
		return 1;
	}
	ymk_config_free(cfg);

	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)ymk_server_port(srv))};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char buf[1024] = {0};
	size_t got = 0;
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) { /* completes in the backlog */
		const char req[] = "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
		(void)!write(fd, req, sizeof req - 1);
		for (int rounds = 0; rounds < 200 && got < sizeof buf - 1; rounds++) {
			struct pollfd p[2] = {{.fd = ymk_server_fd(srv), .events = POLLIN},
					      {.fd = fd, .events = POLLIN}};
			int t = ymk_server_timeout(srv);
			if (poll(p, 2, t < 0 || t > 100 ? 100 : t) < 0)
				break;
			ymk_server_process(srv);
			if (p[1].revents) {
				ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
				if (n <= 0)
					break; /* Connection: close: the answer is complete */
				got += (size_t)n;
			}
		}
	}
	if (fd >= 0)
		close(fd);
	ymk_server_free(srv);
	int ok = strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0 && strstr(buf, "\r\n\r\nhi\n") != NULL;
	printf("subproject consumer: libymawky %s: %s\n", ymk_version(), ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
