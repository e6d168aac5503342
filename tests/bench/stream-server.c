/* stream-server.c: the server tests/bench/stream.sh measures: answers that take time over the
 * public API, beside static files from a root.
 *
 *   GET /produce?n=BYTES      a producer, length unknown (chunked to HTTP/1.1)
 *   GET /produce-len?n=BYTES  a producer with Content-Length
 *   GET /buffer?n=BYTES       the same bytes made first, then ymk_respond_buffer() (which copies):
 *                             what a handler had to do before producers, for comparison
 *   GET /sse                  an SSE stream that stays idle (keep-alive comments only)
 *   anything else             the static files of --root
 *
 * The producer fills each buffer from a 64 KiB block of bytes, so that what is measured is the
 * library's path (framing, back-pressure, sending), not the making of the bytes.
 *
 * usage: stream-server --root DIR [--listen ADDR] [--model event|fork]
 * Prints "stream-server: listening on port N" on stderr once it is ready; SIGTERM stops it. */
#include <ymawky.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ymk_server *server;
static unsigned char block[65536];

struct job {
	uint64_t left;
};

static long produce(char *buf, size_t cap, void *user)
{
	struct job *j = user;
	size_t n = j->left < cap ? (size_t)j->left : cap;
	for (size_t done = 0; done < n;) {
		size_t k = n - done < sizeof block ? n - done : sizeof block;
		memcpy(buf + done, block, k);
		done += k;
	}
	j->left -= n;
	return (long)n;
}

static uint64_t size_of(const ymk_request *req)
{
	const char *q = ymk_request_query(req);
	return q && !strncmp(q, "n=", 2) ? strtoull(q + 2, NULL, 10) : 1u << 20;
}

static int handler(ymk_request *req, void *user)
{
	(void)user;
	const char *path = ymk_request_path(req);
	int known = !strcmp(path, "/produce-len");
	if (known || !strcmp(path, "/produce")) {
		struct job *j = malloc(sizeof *j);
		if (!j)
			return 503;
		j->left = size_of(req);
		return ymk_respond_producer(req, 200, "application/octet-stream",
					    known ? (int64_t)j->left : -1, produce, free, j);
	}
	if (!strcmp(path, "/buffer")) {
		uint64_t n = size_of(req);
		char *b = malloc(n ? n : 1);
		if (!b)
			return 503;
		struct job j = {n};
		produce(b, n, &j);
		int rc = ymk_respond_buffer(req, 200, "application/octet-stream", b, n);
		free(b);
		return rc;
	}
	if (!strcmp(path, "/sse"))
		return ymk_sse_open(req);
	return YMK_PASS;
}

static void on_term(int sig)
{
	(void)sig;
	ymk_server_stop(server);
}

int main(int argc, char **argv)
{
	const char *root = NULL, *listen = "127.0.0.1:0", *model = "event";
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--root"))
			root = argv[i + 1];
		else if (!strcmp(argv[i], "--listen"))
			listen = argv[i + 1];
		else if (!strcmp(argv[i], "--model"))
			model = argv[i + 1];
	}
	if (!root) {
		fprintf(stderr, "usage: stream-server --root DIR [--listen ADDR] [--model event|fork]\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof block; i++)
		block[i] = (unsigned char)(i * 7 % 251);
	ymk_config *cfg;
	int err = ymk_config_new(&cfg);
	if (!err)
		err = ymk_config_set_root(cfg, root);
	if (!err)
		err = ymk_config_set_listen(cfg, listen);
	if (!err)
		err = ymk_config_set_model(cfg, strcmp(model, "fork") ? YMK_MODEL_EVENT : YMK_MODEL_FORK);
	if (!err)
		err = ymk_config_set_max_connections(cfg, 4096);
	if (!err)
		err = ymk_config_set_keepalive_timeout(cfg, 600000);
	if (!err)
		err = ymk_config_set_handler(cfg, handler, NULL);
	if (!err)
		err = ymk_server_new(&server, cfg);
	if (err) {
		fprintf(stderr, "stream-server: %s (%s)\n", ymk_strerror(err),
			cfg ? ymk_config_error(cfg) : "");
		ymk_config_free(cfg);
		return 1;
	}
	ymk_config_free(cfg);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fprintf(stderr, "stream-server: listening on port %d\n", ymk_server_port(server));
	err = ymk_server_run(server);
	ymk_server_free(server);
	return err ? 1 : 0;
}
