/* conn-login: a login bound to a connection, and a status page of the connected clients, with
 * libymawky's per-connection API.
 *
 * At start it makes a random login token, valid for --token-ttl seconds (default 300), and prints
 * it. The first request on a connection must carry it ("Authorization: Bearer TOKEN"); once it
 * was checked, the connection is logged in and its later requests (keep-alive, pipelined) need no
 * header. A request on a connection that is not logged in gets 401 with a Bearer challenge.
 * GET /status lists the connected clients and what each connection did; everything else is served
 * from --root.
 *
 * The accept hook attaches a session to each connection and links it into the list of live
 * connections; the close hook unlinks and frees it and prints the connection's report. In the fork
 * model the hooks run in the parent (the accept hook before fork()) and the list there tracks the
 * live children, so a child's /status shows the clients connected when it was forked. */
#include <ymawky.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct session {
	struct session *prev, *next;
	char addr[INET6_ADDRSTRLEN + 8];
	int logged_in;
	unsigned requests;
};

static struct session live; /* the list head: live.next is the first session */
static unsigned n_live;
static char token[33];
static time_t token_expires;
static ymk_server *server;

static void show(const struct sockaddr *sa, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "local";
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof host);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof host);
	snprintf(out, cap, "%s", host);
}

static int on_accept(ymk_conn *conn, void *user)
{
	(void)user;
	struct session *s = calloc(1, sizeof *s);
	if (!s)
		return 503; /* no memory for the session: the client hears so */
	show(ymk_conn_peer(conn, NULL), s->addr, sizeof s->addr);
	s->next = live.next;
	s->prev = &live;
	if (live.next)
		live.next->prev = s;
	live.next = s;
	n_live++;
	ymk_conn_set_state(conn, s);
	return YMK_CONN_ALLOW;
}

static void on_close(ymk_conn *conn, const ymk_conn_report *r, void *user)
{
	(void)user;
	struct session *s = ymk_conn_state(conn);
	if (!s)
		return;
	if (r->end != YMK_CONN_END_FORKED) /* the child reported this connection itself */
		fprintf(stderr, "conn-login: %s closed (end %d): %u requests, %s, %llu bytes in, %llu out\n",
			s->addr, (int)r->end, s->requests, s->logged_in ? "logged in" : "never logged in",
			(unsigned long long)r->bytes_in, (unsigned long long)r->bytes_out);
	s->prev->next = s->next;
	if (s->next)
		s->next->prev = s->prev;
	n_live--;
	free(s);
}

static int handler(ymk_request *req, void *user)
{
	(void)user;
	struct session *s = ymk_conn_state(ymk_request_conn(req));
	if (!s->logged_in) {
		const char *t;
		size_t len;
		if (ymk_auth_bearer(ymk_request_header(req, "Authorization"), &t, &len) != 0 ||
		    time(NULL) >= token_expires || !ymk_secret_equal(t, len, token, strlen(token))) {
			ymk_response_header(req, "WWW-Authenticate", "Bearer realm=\"conn-login\"");
			return 401;
		}
		s->logged_in = 1; /* checked once: the connection is logged in from now on */
	}
	s->requests++;
	if (strcmp(ymk_request_path(req), "/status") != 0)
		return YMK_PASS;
	char body[4096];
	size_t n = (size_t)snprintf(body, sizeof body, "connections: %u\n", n_live);
	for (const struct session *p = live.next; p && n < sizeof body - 128; p = p->next)
		n += (size_t)snprintf(body + n, sizeof body - n, "%s%s requests=%u %s\n", p->addr,
				      p == s ? " (this one)" : "", p->requests,
				      p->logged_in ? "logged-in" : "-");
	return ymk_respond_buffer(req, 200, "text/plain; charset=utf-8", body, n);
}

static void on_signal(int sig)
{
	(void)sig;
	ymk_server_stop(server);
}

static int make_token(void)
{
	unsigned char raw[16];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, raw, sizeof raw) != (ssize_t)sizeof raw) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

int main(int argc, char **argv)
{
	const char *root = "www", *listen = "127.0.0.1:8080", *model = "event";
	long ttl = 300;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--root"))
			root = argv[i + 1];
		else if (!strcmp(argv[i], "--listen"))
			listen = argv[i + 1];
		else if (!strcmp(argv[i], "--model"))
			model = argv[i + 1];
		else if (!strcmp(argv[i], "--token-ttl"))
			ttl = atol(argv[i + 1]);
		else {
			fprintf(stderr, "usage: conn-login [--root DIR] [--listen ADDR] [--model event|fork] "
					"[--token-ttl SECONDS]\n");
			return 2;
		}
	}
	if (make_token() < 0) {
		fprintf(stderr, "conn-login: cannot read /dev/urandom\n");
		return 1;
	}
	token_expires = time(NULL) + ttl;

	ymk_config *cfg;
	if (ymk_config_new(&cfg) != 0)
		return 1;
	int err = ymk_config_set_root(cfg, root);
	if (!err)
		err = ymk_config_set_listen(cfg, listen);
	if (!err)
		err = ymk_config_set_model(cfg, strcmp(model, "fork") ? YMK_MODEL_EVENT : YMK_MODEL_FORK);
	if (!err)
		err = ymk_config_set_handler(cfg, handler, NULL);
	if (!err)
		err = ymk_config_set_accept_hook(cfg, on_accept, NULL);
	if (!err)
		err = ymk_config_set_close_hook(cfg, on_close, NULL);
	if (!err)
		err = ymk_server_new(&server, cfg);
	if (err) {
		fprintf(stderr, "conn-login: %s (%s)\n", ymk_strerror(err), ymk_config_error(cfg));
		ymk_config_free(cfg);
		return 1;
	}
	ymk_config_free(cfg);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "conn-login: login token %s (valid for %ld s)\n", token, ttl);
	fprintf(stderr, "conn-login: serving %s on port %d\n", root, ymk_server_port(server));
	err = ymk_server_run(server);
	ymk_server_free(server);
	return err ? 1 : 0;
}
