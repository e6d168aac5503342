/* event-loop: libymawky driven from a program's own poll() loop, in one thread.
 *
 * The program already has a main loop: it reads commands from stdin and runs a timer once a
 * second. libymawky joins that loop through the fds it asks to be watched (ymk_server_pollfds:
 * the one epoll or kqueue fd of ymk_server_fd, or with the portable build's poll() backend every
 * fd of the server), a deadline (ymk_server_timeout) and a non-blocking step
 * (ymk_server_process); no thread, no callback into the program's loop. Type "hits" for the
 * number of requests served so far, "quit" to stop.
 *
 * usage: event-loop [--root DIR] [--listen ADDR:PORT]   (defaults: www, 127.0.0.1:8080) */
#include <ymawky.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long hits;

static void count(const ymk_access_entry *e, void *user)
{
	(void)e;
	(void)user;
	hits++;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	const char *root = "www", *listen = "127.0.0.1:8080";
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--root"))
			root = argv[i + 1];
		else if (!strcmp(argv[i], "--listen"))
			listen = argv[i + 1];
	}
	ymk_config *cfg;
	ymk_server *srv = NULL;
	int err = ymk_config_new(&cfg);
	if (!err)
		err = ymk_config_set_root(cfg, root);
	if (!err)
		err = ymk_config_set_listen(cfg, listen);
	if (!err)
		err = ymk_config_set_access_log(cfg, count, NULL);
	if (!err)
		err = ymk_server_new(&srv, cfg);
	if (err) {
		fprintf(stderr, "event-loop: %s (%s)\n", ymk_strerror(err), cfg ? ymk_config_error(cfg) : "");
		ymk_config_free(cfg);
		return 1;
	}
	ymk_config_free(cfg);
	signal(SIGPIPE, SIG_IGN); /* required when driving the server from our own loop */
	fprintf(stderr, "event-loop: listening on port %d\n", ymk_server_port(srv));

	long long next_tick = now_ms() + 1000;
	unsigned long ticks = 0;
	int stdin_open = 1, running = 1;
	/* pfd[0] is our stdin; the server's fds follow. */
	size_t cap = 16;
	struct pollfd *pfd = malloc(cap * sizeof *pfd);
	while (running && pfd) {
		/* Wait for the first of: stdin, the server's fds, the server's deadline, our timer. */
		int timeout = (int)(next_tick - now_ms());
		int srv_timeout = ymk_server_timeout(srv);
		if (timeout < 0)
			timeout = 0;
		if (srv_timeout >= 0 && srv_timeout < timeout)
			timeout = srv_timeout;
		int nfds = ymk_server_pollfds(srv, pfd + 1, cap - 1);
		if (nfds < 0)
			break;
		if ((size_t)nfds > cap - 1) { /* more than fit: grow, and ask again */
			struct pollfd *p = realloc(pfd, ((size_t)nfds + 1) * sizeof *pfd);
			if (!p)
				break;
			pfd = p;
			cap = (size_t)nfds + 1;
			continue;
		}
		pfd[0] = (struct pollfd){.fd = stdin_open ? 0 : -1, .events = POLLIN};
		if (poll(pfd, (nfds_t)nfds + 1, timeout) < 0)
			continue;
		/* The rule: call process after every wake-up, readable or not. */
		if (ymk_server_process(srv) < 0)
			break;
		if (pfd[0].revents) {
			char line[256];
			ssize_t n = read(0, line, sizeof line - 1);
			if (n <= 0) {
				stdin_open = 0;
			} else {
				line[n] = '\0';
				if (!strncmp(line, "quit", 4))
					running = 0;
				else if (!strncmp(line, "hits", 4))
					printf("hits %lu\n", hits), fflush(stdout);
			}
		}
		if (now_ms() >= next_tick) {
			ticks++;
			next_tick += 1000;
		}
	}
	free(pfd);
	printf("bye after %lu ticks, %lu hits\n", ticks, hits);
	ymk_server_free(srv);
	return 0;
}
