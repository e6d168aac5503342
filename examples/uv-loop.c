/* uv-loop: libymawky served from a libuv loop, through uv_poll_t handles and a uv_timer_t.
 *
 * The adapter (struct ymawky_uv) is the part to copy: a uv_poll_t watches ymk_server_fd() for
 * readability, a one-shot uv_timer_t is armed with ymk_server_timeout(), and either wake-up calls
 * ymk_server_process() and re-arms the timer. With the portable build's poll() backend there is
 * no such fd (YMK_ENOTSUP): the adapter then watches every fd of ymk_server_pollfds() with a
 * uv_poll_t of its own, made anew after each step, since libuv keeps its own epoll or kqueue
 * registrations and an fd the server closed may come back as another connection with the same
 * number (docs/event-loops.md). The rest is a main: SIGINT and SIGTERM through uv_signal_t close
 * every handle so that uv_run() returns, and a one-second timer of the program's own prints the
 * request count on stdout when it changes. GET /later is deferred by the handler and answered
 * 200 ms later by a libuv timer of the program's own, between the server's steps
 * (docs/streaming.md). See docs/event-loops.md.
 *
 * usage: uv-loop [--root DIR] [--listen ADDR] [--keepalive-timeout MS]
 *        (defaults: www, 127.0.0.1:8080, the library's 5000 ms) */
#include <ymawky.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* ---- the adapter ---------------------------------------------------------------------------- */

struct ymawky_uv {
	uv_poll_t poll; /* on ymk_server_fd(), where the server has one */
	uv_timer_t timer;
	ymk_server *srv;
	uv_loop_t *loop;
	int one_fd;
	uv_poll_t **each; /* otherwise: one handle per fd of ymk_server_pollfds() */
	int n_each;
};

static void ymawky_uv_timer_cb(uv_timer_t *t);
static void ymawky_uv_poll_cb(uv_poll_t *p, int status, int events);

static void ymawky_uv_free_handle(uv_handle_t *h)
{
	free(h);
}

/* The poll backend: closes the handles of the last set and watches the current one. */
static int ymawky_uv_watch_each(struct ymawky_uv *u)
{
	for (int i = 0; i < u->n_each; i++)
		uv_close((uv_handle_t *)u->each[i], ymawky_uv_free_handle);
	u->n_each = 0;
	free(u->each);
	u->each = NULL;
	int n = ymk_server_pollfds(u->srv, NULL, 0);
	if (n < 0)
		return n;
	struct pollfd *fds = malloc((size_t)n * sizeof *fds);
	u->each = malloc((size_t)n * sizeof *u->each);
	if (!fds || !u->each || ymk_server_pollfds(u->srv, fds, (size_t)n) != n) {
		free(fds);
		return UV_ENOMEM;
	}
	int err = 0;
	for (int i = 0; i < n && !err; i++) {
		uv_poll_t *h = malloc(sizeof *h);
		if (!h || (err = uv_poll_init(u->loop, h, fds[i].fd)) < 0) {
			free(h);
			err = err ? err : UV_ENOMEM;
			break;
		}
		h->data = u;
		u->each[u->n_each++] = h;
		err = uv_poll_start(h,
				    (fds[i].events & POLLIN ? UV_READABLE : 0) |
					    (fds[i].events & POLLOUT ? UV_WRITABLE : 0),
				    ymawky_uv_poll_cb);
	}
	free(fds);
	return err;
}

/* One step: all ready work, then the timer set to the next deadline (or stopped: none pending). */
static void ymawky_uv_step(struct ymawky_uv *u)
{
	int err = ymk_server_process(u->srv);
	if (err < 0)
		fprintf(stderr, "ymk_server_process: %s\n", ymk_strerror(err));
	if (!u->one_fd && (err = ymawky_uv_watch_each(u)) < 0)
		fprintf(stderr, "uv-loop: %s\n", err < -4096 ? ymk_strerror(err) : uv_strerror(err));
	int ms = ymk_server_timeout(u->srv);
	if (ms >= 0)
		uv_timer_start(&u->timer, ymawky_uv_timer_cb, (uint64_t)ms, 0);
	else
		uv_timer_stop(&u->timer);
}

static void ymawky_uv_poll_cb(uv_poll_t *p, int status, int events)
{
	(void)status; /* an error on a watched fd still means: look at the server */
	(void)events;
	ymawky_uv_step(p->data);
}

static void ymawky_uv_timer_cb(uv_timer_t *t)
{
	ymawky_uv_step(t->data);
}

/* Serves srv (an event-model server, not run with ymk_server_run()) on loop. The caller ignores
 * SIGPIPE. Returns 0, a libuv error, or YMK_ESTATE for a fork-model server. */
static int ymawky_uv_start(struct ymawky_uv *u, uv_loop_t *loop, ymk_server *srv)
{
	int fd = ymk_server_fd(srv), err;
	if (fd < 0 && fd != YMK_ENOTSUP)
		return fd;
	u->srv = srv;
	u->loop = loop;
	u->one_fd = fd >= 0;
	u->poll.data = u->timer.data = u;
	if ((err = uv_timer_init(loop, &u->timer)) < 0)
		return err;
	if (u->one_fd && ((err = uv_poll_init(loop, &u->poll, fd)) < 0 ||
			  (err = uv_poll_start(&u->poll, UV_READABLE, ymawky_uv_poll_cb)) < 0))
		return err;
	ymawky_uv_step(u); /* arms the timer for deadlines already pending, watches the fds */
	return 0;
}

/* Stops serving; srv may be freed once the loop has run the close callbacks. */
static void ymawky_uv_close(struct ymawky_uv *u)
{
	if (u->one_fd)
		uv_close((uv_handle_t *)&u->poll, NULL);
	for (int i = 0; i < u->n_each; i++)
		uv_close((uv_handle_t *)u->each[i], ymawky_uv_free_handle);
	free(u->each);
	u->each = NULL;
	u->n_each = 0;
	uv_close((uv_handle_t *)&u->timer, NULL);
}

/* ---- the program ---------------------------------------------------------------------------- */

static unsigned long hits, hits_shown;
static struct ymawky_uv served;
static uv_signal_t sig_int, sig_term;
static uv_timer_t tick_timer;

static void count(const ymk_access_entry *e, void *user)
{
	(void)e;
	(void)user;
	hits++;
}

static void tick(uv_timer_t *t)
{
	(void)t;
	if (hits != hits_shown)
		printf("hits %lu\n", hits_shown = hits), fflush(stdout);
}

/* GET /later: kept by the handler, answered 200 ms later by a libuv timer of the program's own,
 * between the server's steps (docs/streaming.md). One at a time. */
static ymk_request *later;
static uv_timer_t later_timer;

static void later_closed(ymk_request *req, enum ymk_close_reason why, void *user)
{
	(void)req, (void)why, (void)user;
	later = NULL; /* answered, or the client left: the pointer is stale from here on */
}

static void answer_later(uv_timer_t *t)
{
	(void)t;
	if (later)
		ymk_respond_buffer(later, 200, "text/plain", "later\n", 6);
}

static int handler(ymk_request *req, void *user)
{
	(void)user;
	if (strcmp(ymk_request_path(req), "/later"))
		return YMK_PASS;
	if (later)
		return 503;
	later = req;
	ymk_request_on_close(req, later_closed, NULL);
	uv_timer_start(&later_timer, answer_later, 200, 0);
	return ymk_request_defer(req);
}

static void on_signal(uv_signal_t *s, int signum)
{
	(void)s;
	(void)signum;
	/* Closing every handle lets uv_run() return with nothing left to do. */
	ymawky_uv_close(&served);
	uv_close((uv_handle_t *)&sig_int, NULL);
	uv_close((uv_handle_t *)&sig_term, NULL);
	uv_close((uv_handle_t *)&tick_timer, NULL);
	uv_close((uv_handle_t *)&later_timer, NULL);
}

int main(int argc, char **argv)
{
	const char *root = "www", *listen = "127.0.0.1:8080";
	unsigned keepalive_ms = YMK_DEFAULT_KEEPALIVE_TIMEOUT_MS;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--root"))
			root = argv[i + 1];
		else if (!strcmp(argv[i], "--listen"))
			listen = argv[i + 1];
		else if (!strcmp(argv[i], "--keepalive-timeout"))
			keepalive_ms = (unsigned)strtoul(argv[i + 1], NULL, 10);
	}
	ymk_config *cfg;
	ymk_server *srv = NULL;
	int err = ymk_config_new(&cfg);
	if (!err)
		err = ymk_config_set_root(cfg, root);
	if (!err)
		err = ymk_config_set_listen(cfg, listen);
	if (!err)
		err = ymk_config_set_keepalive_timeout(cfg, keepalive_ms);
	if (!err)
		err = ymk_config_set_access_log(cfg, count, NULL);
	if (!err)
		err = ymk_config_set_handler(cfg, handler, NULL);
	if (!err)
		err = ymk_server_new(&srv, cfg);
	if (err) {
		fprintf(stderr, "uv-loop: %s (%s)\n", ymk_strerror(err), cfg ? ymk_config_error(cfg) : "");
		ymk_config_free(cfg);
		return 1;
	}
	ymk_config_free(cfg);
	signal(SIGPIPE, SIG_IGN); /* required when driving the server from our own loop */

	uv_loop_t *loop = uv_default_loop();
	if ((err = ymawky_uv_start(&served, loop, srv)) < 0) {
		fprintf(stderr, "uv-loop: %s\n", err == YMK_ESTATE ? ymk_strerror(err) : uv_strerror(err));
		ymk_server_free(srv);
		return 1;
	}
	uv_signal_init(loop, &sig_int);
	uv_signal_start(&sig_int, on_signal, SIGINT);
	uv_signal_init(loop, &sig_term);
	uv_signal_start(&sig_term, on_signal, SIGTERM);
	uv_timer_init(loop, &tick_timer);
	uv_timer_start(&tick_timer, tick, 1000, 1000);
	uv_timer_init(loop, &later_timer);
	fprintf(stderr, "uv-loop: listening on port %d\n", ymk_server_port(srv));

	uv_run(loop, UV_RUN_DEFAULT); /* until on_signal() has closed every handle */

	uv_loop_close(loop);
	ymk_server_free(srv); /* closes the connections still open */
	printf("bye after %lu hits\n", hits);
	return 0;
}
