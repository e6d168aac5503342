/* consumer.c: a program outside the build tree that finds libymawky through pkg-config.
 * .ci/run installs the library into a fresh prefix with the README's commands, builds this with
 * the README's line, `cc consumer.c $(pkg-config --cflags --libs ymawky) -Wl,-rpath,...`, and
 * runs it without LD_LIBRARY_PATH: it serves one request to itself over loopback and checks the
 * answer, so compiling, linking, the run-time library path and the installed header all have to
 * agree. */
#include <ymawky.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
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
	if (ymk_config_new(&cfg) || ymk_config_set_listen(cfg, "127.0.0.1:0") ||
	    ymk_config_set_handler(cfg, hello, NULL) || ymk_server_new(&srv, cfg)) {
		fprintf(stderr, "consumer: setup failed\n");
		return 1;
	}
	ymk_config_free(cfg);
	pid_t pid = fork();
	if (pid == 0) {
		ymk_server_run(srv); /* the parent kills this child when done */
		_exit(0);
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)ymk_server_port(srv))};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char buf[1024] = {0};
	size_t got = 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		const char req[] = "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
		(void)!write(fd, req, sizeof req - 1);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		while (got < sizeof buf - 1 && poll(&p, 1, 5000) == 1) {
			ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
	}
	close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ymk_server_free(srv);
	int ok = strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0 && strstr(buf, "\r\n\r\nhi\n") != NULL;
	printf("consumer: libymawky %s: %s\n", ymk_version(), ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
