/* glib-loop: libymawky served from a GLib main loop, through a GSource.
 *
 * The adapter (ymawky_source_new) is the part to copy: a GSource that watches the fds of
 * ymk_server_pollfds() (the one epoll or kqueue fd of ymk_server_fd(), or every fd of the server
 * with the portable build's poll() backend), hands GLib ymk_server_timeout() as its timeout,
 * and calls ymk_server_process() on every wake-up, readable or not. The rest is a main: a GMainLoop, SIGINT and SIGTERM through
 * g_unix_signal_add(), and a one-second timer of the program's own that prints the request count
 * on stdout when it changes, to show that the loop is shared. GET /later is deferred by the
 * handler and answered 200 ms later from a GLib timeout of the program's own, between the
 * server's steps (docs/streaming.md). See docs/event-loops.md.
 *
 * usage: glib-loop [--root DIR] [--listen ADDR] [--keepalive-timeout MS]
 *        (defaults: www, 127.0.0.1:8080, the library's 5000 ms) */
#include <ymawky.h>

#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the adapter ---------------------------------------------------------------------------- */

typedef struct {
	GSource source; /* first: GLib allocates the whole struct and hands back this member */
	ymk_server *srv;
	struct pollfd *fds; /* the set the tags were made for */
	gpointer *tags;
	int n, cap;
} ymawky_source;

/* Makes the source watch the server's current set of fds. The set changes only inside
 * ymk_server_process(), and then usually not at all (one fd, except with the poll backend):
 * when it is the same, nothing is done; otherwise every fd is added anew. 0 or an error code. */
static int ymawky_sync(ymawky_source *ys)
{
	struct pollfd *cur = g_newa(struct pollfd, ys->cap ? ys->cap : 1);
	int n = ymk_server_pollfds(ys->srv, cur, (size_t)ys->cap);
	if (n < 0)
		return n;
	if (n > ys->cap) { /* more than fit: grow, and ask again */
		ys->cap = n * 2;
		ys->fds = g_renew(struct pollfd, ys->fds, ys->cap);
		ys->tags = g_renew(gpointer, ys->tags, ys->cap);
		return ymawky_sync(ys);
	}
	if (n == ys->n && memcmp(cur, ys->fds, (size_t)n * sizeof *cur) == 0)
		return 0;
	for (int i = 0; i < ys->n; i++)
		g_source_remove_unix_fd(&ys->source, ys->tags[i]);
	for (int i = 0; i < n; i++) {
		GIOCondition cond = (cur[i].events & POLLIN ? G_IO_IN : 0) |
				    (cur[i].events & POLLOUT ? G_IO_OUT : 0);
		ys->tags[i] = g_source_add_unix_fd(&ys->source, cur[i].fd, cond);
		ys->fds[i] = cur[i];
	}
	ys->n = n;
	return 0;
}

static gboolean ymawky_prepare(GSource *s, gint *timeout)
{
	*timeout = ymk_server_timeout(((ymawky_source *)s)->srv); /* -1: no deadline pending */
	return *timeout == 0;                                     /* a deadline passed: dispatch now */
}

static gboolean ymawky_check(GSource *s)
{
	ymawky_source *ys = (ymawky_source *)s;
	/* Ready, or woken by our timeout: both are a wake-up that ymk_server_process() must see. */
	for (int i = 0; i < ys->n; i++)
		if (g_source_query_unix_fd(s, ys->tags[i]))
			return TRUE;
	return ymk_server_timeout(ys->srv) == 0;
}

static gboolean ymawky_dispatch(GSource *s, GSourceFunc cb, gpointer data)
{
	ymawky_source *ys = (ymawky_source *)s;
	int err = ymk_server_process(ys->srv);
	if (err == 0)
		err = ymawky_sync(ys);
	if (err < 0) {
		g_warning("ymk_server_process: %s", ymk_strerror(err));
		return G_SOURCE_REMOVE;
	}
	return cb ? cb(data) : G_SOURCE_CONTINUE; /* an optional callback after each step */
}

static void ymawky_finalize(GSource *s)
{
	ymawky_source *ys = (ymawky_source *)s;
	g_free(ys->fds);
	g_free(ys->tags);
}

static GSourceFuncs ymawky_funcs = {.prepare = ymawky_prepare,
				    .check = ymawky_check,
				    .dispatch = ymawky_dispatch,
				    .finalize = ymawky_finalize};

/* A source that serves srv (an event-model server, not run with ymk_server_run()); attach it with
 * g_source_attach(). The caller ignores SIGPIPE and keeps srv alive until the source is gone. */
static GSource *ymawky_source_new(ymk_server *srv)
{
	if (ymk_server_timeout(srv) == YMK_ESTATE)
		return NULL; /* a fork-model server cannot be driven from a loop */
	GSource *s = g_source_new(&ymawky_funcs, sizeof(ymawky_source));
	ymawky_source *ys = (ymawky_source *)s;
	ys->srv = srv;
	ys->cap = 8;
	ys->fds = g_new(struct pollfd, ys->cap);
	ys->tags = g_new(gpointer, ys->cap);
	if (ymawky_sync(ys) < 0) {
		g_source_unref(s);
		return NULL;
	}
	g_source_set_name(s, "ymawky");
	return s;
}

/* ---- the program ---------------------------------------------------------------------------- */

static unsigned long hits, hits_shown;

static void count(const ymk_access_entry *e, void *user)
{
	(void)e;
	(void)user;
	hits++;
}

static gboolean tick(gpointer user)
{
	(void)user;
	if (hits != hits_shown)
		printf("hits %lu\n", hits_shown = hits), fflush(stdout);
	return G_SOURCE_CONTINUE;
}

/* GET /later: kept by the handler, answered by the program's own timeout. One at a time. */
static ymk_request *later;

static void later_closed(ymk_request *req, enum ymk_close_reason why, void *user)
{
	(void)req, (void)why, (void)user;
	later = NULL; /* answered, or the client left: the pointer is stale from here on */
}

static gboolean answer_later(gpointer user)
{
	(void)user;
	if (later)
		ymk_respond_buffer(later, 200, "text/plain", "later\n", 6);
	return G_SOURCE_REMOVE;
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
	g_timeout_add(200, answer_later, NULL);
	return ymk_request_defer(req);
}

static gboolean on_signal(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
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
		fprintf(stderr, "glib-loop: %s (%s)\n", ymk_strerror(err), cfg ? ymk_config_error(cfg) : "");
		ymk_config_free(cfg);
		return 1;
	}
	ymk_config_free(cfg);
	signal(SIGPIPE, SIG_IGN); /* required when driving the server from our own loop */

	GMainLoop *loop = g_main_loop_new(NULL, FALSE);
	GSource *src = ymawky_source_new(srv);
	g_source_attach(src, NULL);
	guint sig_int = g_unix_signal_add(SIGINT, on_signal, loop);
	guint sig_term = g_unix_signal_add(SIGTERM, on_signal, loop);
	guint timer = g_timeout_add_seconds(1, tick, NULL);
	fprintf(stderr, "glib-loop: listening on port %d\n", ymk_server_port(srv));

	g_main_loop_run(loop);

	g_source_remove(timer);
	g_source_remove(sig_term);
	g_source_remove(sig_int);
	g_source_destroy(src);
	g_source_unref(src);
	g_main_loop_unref(loop);
	ymk_server_free(srv); /* closes the connections still open */
	printf("bye after %lu hits\n", hits);
	return 0;
}
