/* test_conn_api.c: the per-connection API against a real server over loopback, in the event
 * model, the fork model and (where it applies) with workers: the accept hook refusing 127.0.0.2
 * and allowing 127.0.0.1 (closed with no byte, or the hook's status), state attached at accept and
 * seen by pipelined and sequential keep-alive requests, one close report for each way a
 * connection ends with counters that match what went over the wire, no child forked for a refused
 * client, the per-client limit, the local address inside a handler, and PROXY headers (v1, v2,
 * split, malformed) naming the client that handlers and the access log see.
 *
 * The server runs in a process of its own that exits normally, so LeakSanitizer sees what the
 * accept hook allocates there: every state is freed by the close hook, the fork parent's copies
 * included. Close reports are appended, one line each, to a file, from whichever process made
 * them. */
#include "../thread_server.h"
#include "client.h"
#include "ymawky.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define IO_MS 5000
#define WAIT_MS 8000

/* ---- the server's callbacks (their settings are copied into fork children) ------------------- */

enum refuse_mode { ALLOW_ALL, REFUSE_CLOSE, REFUSE_403 };

static struct {
	enum refuse_mode refuse; /* what 127.0.0.2 gets */
	int report_fd;           /* close reports, one line each */
	int access_fd;           /* access log: the peer of each request */
	char shrink[256];        /* a file the /shrink handler answers with, then truncates */
	unsigned accepted;       /* states made (per process) */
} g;

static int is_second(const struct sockaddr *sa)
{
	return sa && sa->sa_family == AF_INET &&
	       ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(0x7f000002);
}

static void show(const struct sockaddr *sa, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa && sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof host);
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	} else if (sa && sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof host);
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	}
	snprintf(out, cap, "%s:%u", host, port);
}

static int on_accept(ymk_conn *conn, void *user)
{
	(void)user;
	char *state = malloc(64);
	ck_assert_ptr_nonnull(state);
	snprintf(state, 64, "s%ld.%u", (long)getpid(), ++g.accepted);
	ck_assert_int_eq(ymk_conn_set_state(conn, state), 0);
	if (is_second(ymk_conn_peer(conn, NULL)))
		return g.refuse == REFUSE_CLOSE ? YMK_CONN_REFUSE
		     : g.refuse == REFUSE_403   ? 403
						: YMK_CONN_ALLOW;
	return YMK_CONN_ALLOW;
}

static void on_close(ymk_conn *conn, const ymk_conn_report *r, void *user)
{
	(void)user;
	char line[256], peer[64];
	char *state = ymk_conn_state(conn);
	show(ymk_conn_peer(conn, NULL), peer, sizeof peer);
	int n = snprintf(
		line, sizeof line, "pid=%ld end=%d req=%llu in=%llu out=%llu state=%s peer=%s size=%zu\n",
		(long)getpid(), (int)r->end, (unsigned long long)r->requests, (unsigned long long)r->bytes_in,
		(unsigned long long)r->bytes_out, state ? state : "-", peer, r->size);
	ck_assert_int_eq(write(g.report_fd, line, (size_t)n), n);
	free(state);
}

static void on_access(const ymk_access_entry *e, void *user)
{
	(void)user;
	char line[128], peer[64];
	show(e->peer, peer, sizeof peer);
	int n = snprintf(line, sizeof line, "%s %s %d\n", peer, e->target, e->status);
	ck_assert_int_eq(write(g.access_fd, line, (size_t)n), n);
}

static int handler(ymk_request *req, void *user)
{
	(void)user;
	const char *path = ymk_request_path(req);
	ymk_conn *conn = ymk_request_conn(req);
	char body[256], peer[64], local[64], sock[64];
	if (!strcmp(path, "/state")) {
		const char *state = ymk_conn_state(conn);
		show(ymk_conn_peer(conn, NULL), peer, sizeof peer);
		show(ymk_conn_local(conn, NULL), local, sizeof local);
		show(ymk_conn_socket_peer(conn, NULL), sock, sizeof sock);
		int n = snprintf(body, sizeof body,
				 "state=%s peer=%s local=%s sock=%s proxied=%d listener=%d model=%d",
				 state ? state : "-", peer, local, sock, ymk_conn_proxied(conn),
				 ymk_conn_listener(conn), ymk_conn_model(conn));
		/* The request's peer is the connection's. */
		socklen_t l1, l2;
		const struct sockaddr *a = ymk_request_peer(req, &l1), *b = ymk_conn_peer(conn, &l2);
		if (l1 != l2 || memcmp(a, b, l1))
			return 500;
		return ymk_respond_buffer(req, 200, "text/plain", body, (size_t)n);
	}
	if (!strcmp(path, "/shrink")) {
		/* The answer promises the file's length, then the file shrinks under it: the library
		 * cannot complete the answer and gives the connection up. */
		int fd = open(g.shrink, O_RDWR);
		if (fd < 0)
			return 500;
		int keep = dup(fd);
		int rc = ymk_respond_fd(req, fd, "application/octet-stream");
		ck_assert_int_eq(ftruncate(keep, 0), 0);
		close(keep);
		return rc;
	}
	return ymk_respond_buffer(req, 200, "text/plain", "ok\n", 3);
}

/* ---- the server, in a thread ----------------------------------------------------------------- */

struct opts {
	int model;
	unsigned workers;
	unsigned keepalive_ms, header_ms, read_ms;
	unsigned per_client;
	int proxy;
};

/* The server runs in a process of its own, so that no fork of the server (a fork child, a worker)
 * inherits the test's client sockets and keeps them open after the test closed them. That process
 * leaves with exit(), so LeakSanitizer checks it: the accept hook's states must all be freed. */
static pid_t server_pid;
static int server_port;
static char dir[64], reports[128], access_path[128];
static ymk_server *volatile child_srv;

static void on_term(int sig)
{
	(void)sig;
	ymk_server_stop(child_srv);
}

static void start_server(const struct opts *o)
{
	ymk_config *cfg;
	ymk_server *srv;
	snprintf(dir, sizeof dir, "/tmp/ymk-connapi-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(reports, sizeof reports, "%s/reports", dir);
	snprintf(access_path, sizeof access_path, "%s/access", dir);
	snprintf(g.shrink, sizeof g.shrink, "%s/shrink.bin", dir);
	g.report_fd = open(reports, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	g.access_fd = open(access_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	ck_assert_int_ge(g.report_fd, 0);
	ck_assert_int_ge(g.access_fd, 0);
	int fd = open(g.shrink, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	static char big[256 * 1024];
	memset(big, 'x', sizeof big);
	ck_assert_int_eq(write(fd, big, sizeof big), (ssize_t)sizeof big);
	close(fd);

	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
	ck_assert_int_eq(ymk_config_set_model(cfg, o->model), 0);
	ck_assert_int_eq(ymk_config_set_handler(cfg, handler, NULL), 0);
	ck_assert_int_eq(ymk_config_set_accept_hook(cfg, on_accept, NULL), 0);
	ck_assert_int_eq(ymk_config_set_close_hook(cfg, on_close, NULL), 0);
	ck_assert_int_eq(ymk_config_set_access_log(cfg, on_access, NULL), 0);
	if (o->workers)
		ck_assert_int_eq(ymk_config_set_workers(cfg, o->workers), 0);
	if (o->keepalive_ms)
		ck_assert_int_eq(ymk_config_set_keepalive_timeout(cfg, o->keepalive_ms), 0);
	if (o->header_ms)
		ck_assert_int_eq(ymk_config_set_header_timeout(cfg, o->header_ms), 0);
	if (o->read_ms)
		ck_assert_int_eq(ymk_config_set_read_timeout(cfg, o->read_ms), 0);
	if (o->per_client)
		ck_assert_int_eq(ymk_config_set_max_connections_per_client(cfg, o->per_client), 0);
	if (o->proxy)
		ck_assert_int_eq(ymk_config_set_proxy_protocol(cfg, 1), 0);
	ck_assert_int_eq(ymk_server_new(&srv, cfg), 0);
	ymk_config_free(cfg);
	server_port = ymk_server_port(srv);

	sigset_t term, old;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	fflush(NULL);
	server_pid = fork();
	if (server_pid == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_term;
		child_srv = srv;
		sigaction(SIGTERM, &sa, NULL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		int rc = ymk_server_run(srv);
		ymk_server_free(srv);
		exit(rc == 0 ? 0 : 1);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	ck_assert_int_gt(server_pid, 0);
	ymk_server_free(srv); /* the child has its own copy */
}

/* Stops the server; its reports stay readable until cleanup(). */
static void stop_run(void)
{
	int status = 0;
	kill(server_pid, SIGTERM);
	while (waitpid(server_pid, &status, 0) < 0 && errno == EINTR) {
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "server process ended with %d", status);
}

static void cleanup(void)
{
	close(g.report_fd);
	close(g.access_fd);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void stop_server(void)
{
	stop_run();
	cleanup();
}

static struct opts model_opts(int i)
{
	/* 0: event, 1: fork, 2: event with 2 workers */
	struct opts o = {.model = i == 1 ? YMK_MODEL_FORK : YMK_MODEL_EVENT, .workers = i == 2 ? 2 : 0};
	return o;
}

/* ---- reading the reports ----------------------------------------------------------------------- */

struct report {
	long pid;
	int end;
	unsigned long long req, in, out;
	char state[64], peer[64];
};

static int load_reports(struct report *r, int max)
{
	char buf[16384];
	int fd = open(reports, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	int k = 0;
	for (char *line = strtok(buf, "\n"); line && k < max; line = strtok(NULL, "\n")) {
		size_t size = 0;
		int got = sscanf(
			line, "pid=%ld end=%d req=%llu in=%llu out=%llu state=%63s peer=%63s size=%zu",
			&r[k].pid, &r[k].end, &r[k].req, &r[k].in, &r[k].out, r[k].state, r[k].peer, &size);
		ck_assert_msg(got == 8, "bad report line: %s", line);
		ck_assert_uint_eq(size, sizeof(ymk_conn_report));
		k++;
	}
	return k;
}

/* The reports whose end is not FORKED (the fork parent's own copies), waiting until there are at
 * least `want` of them. */
static int wait_reports(struct report *r, int max, int want)
{
	long long end = now_ms() + WAIT_MS;
	for (;;) {
		struct report all[64];
		int n = load_reports(all, 64), k = 0;
		for (int i = 0; i < n && k < max; i++)
			if (all[i].end != YMK_CONN_END_FORKED)
				r[k++] = all[i];
		if (k >= want || now_ms() > end)
			return k;
		poll(NULL, 0, 10);
	}
}

static const struct report *find_state(const struct report *r, int n, const char *state, int end)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(r[i].state, state) && (end < 0 || r[i].end == end))
			return &r[i];
	return NULL;
}

/* ---- the client side ----------------------------------------------------------------------------- */

static void dial(tc_conn *c, const char *from)
{
	int rc = tc_connect_from(c, from, "127.0.0.1", server_port, IO_MS);
	ck_assert_msg(rc == 0, "connect from %s: %s", from, c->err);
}

static void send_str(tc_conn *c, const char *s)
{
	ck_assert_msg(tc_send_str(c, s, IO_MS) == 0, "send: %s", c->err);
}

static void expect_answer(tc_conn *c, int status, tc_response *r)
{
	ck_assert_msg(tc_read_response(c, r, false, IO_MS) == 0, "no answer: %s", c->err);
	ck_assert_int_eq(r->status, status);
}

/* The value of "key=" in a /state body. */
static const char *field(const tc_response *r, const char *key, char *out, size_t cap)
{
	char pat[32];
	snprintf(pat, sizeof pat, "%s=", key);
	const char *p = strstr(r->body, pat);
	ck_assert_msg(p != NULL, "no %s in %s", key, r->body);
	p += strlen(pat);
	size_t n = strcspn(p, " ");
	snprintf(out, cap, "%.*s", (int)n, p);
	return out;
}

#define GET(path) "GET " path " HTTP/1.1\r\nHost: x\r\n\r\n"

/* ---- tests --------------------------------------------------------------------------------------- */

START_TEST(test_accept_refuses_second_address)
{
	for (int mode = REFUSE_CLOSE; mode <= REFUSE_403; mode++) {
		g.refuse = mode;
		struct opts o = model_opts(_i);
		start_server(&o);
		tc_conn a, b;
		tc_response r;

		dial(&a, "127.0.0.1");
		send_str(&a, GET("/state"));
		expect_answer(&a, 200, &r);
		char state[64], peer[64];
		field(&r, "state", state, sizeof state);
		ck_assert(strncmp(field(&r, "peer", peer, sizeof peer), "127.0.0.1:", 10) == 0);
		tc_response_free(&r);
		tc_close(&a);

		dial(&b, "127.0.0.2");
		send_str(&b, GET("/state"));
		if (mode == REFUSE_CLOSE) {
			size_t extra = 0;
			ck_assert_int_eq(tc_wait_eof(&b, IO_MS, &extra), 1);
			ck_assert_uint_eq(extra, 0); /* closed with no byte */
		} else {
			expect_answer(&b, 403, &r);
			ck_assert_str_eq(tc_header(&r, "Connection"), "close");
			tc_response_free(&r);
			ck_assert_int_eq(tc_wait_eof(&b, IO_MS, NULL), 1);
		}
		tc_close(&b);

		/* Two reports: the served one from 127.0.0.1, the refusal from 127.0.0.2 with the
		 * state the hook attached before refusing (freed by the close hook). */
		struct report rep[8];
		int n = wait_reports(rep, 8, 2);
		ck_assert_int_eq(n, 2);
		const struct report *served = find_state(rep, n, state, YMK_CONN_END_CLIENT);
		ck_assert_msg(served != NULL, "no CLIENT report of %s among %d: %s %d %ld, %s %d %ld", state,
			      n, rep[0].state, rep[0].end, rep[0].pid, rep[1].state, rep[1].end, rep[1].pid);
		ck_assert_uint_eq(served->req, 1);
		const struct report *refused = NULL;
		for (int i = 0; i < n; i++)
			if (rep[i].end == YMK_CONN_END_REFUSED)
				refused = &rep[i];
		ck_assert_ptr_nonnull(refused);
		ck_assert(strncmp(refused->peer, "127.0.0.2:", 10) == 0);
		ck_assert_uint_eq(refused->req, 0);
		ck_assert_str_ne(refused->state, "-");
		if (o.model == YMK_MODEL_FORK) {
			/* The decision was the parent's: the refusal is reported by the server
			 * process, the served connection by a child. */
			ck_assert_int_eq(refused->pid, (long)server_pid);
			ck_assert_int_ne(served->pid, (long)server_pid);
		}
		stop_server();
	}
}
END_TEST

START_TEST(test_fork_refusal_forks_no_child)
{
	/* Every report carries the pid of the process that made it: each child reports the one
	 * connection it served, the parent its refusals and its copies (FORKED). Five refused
	 * connections and two served ones must show exactly two child pids. */
	g.refuse = REFUSE_CLOSE;
	struct opts o = model_opts(1);
	start_server(&o);
	for (int i = 0; i < 7; i++) {
		tc_conn c;
		dial(&c, i % 3 == 0 && i < 6 ? "127.0.0.1" : "127.0.0.2");
		send_str(&c, GET("/hello"));
		tc_wait_eof(&c, 200, NULL);
		tc_close(&c);
	}
	struct report rep[16];
	int n = wait_reports(rep, 16, 7);
	ck_assert_int_eq(n, 7);
	long children[16];
	int nchildren = 0, refused = 0;
	for (int i = 0; i < n; i++) {
		if (rep[i].end == YMK_CONN_END_REFUSED) {
			refused++;
			ck_assert_int_eq(rep[i].pid, (long)server_pid);
			continue;
		}
		ck_assert_int_ne(rep[i].pid, (long)server_pid);
		for (int j = 0; j < nchildren; j++)
			ck_assert_int_ne(children[j], rep[i].pid);
		children[nchildren++] = rep[i].pid;
	}
	ck_assert_int_eq(refused, 5);
	ck_assert_int_eq(nchildren, 2);
	stop_run();
	/* After the stop the parent reported its copies of the two served connections too. */
	struct report all[32];
	int forked = 0;
	n = load_reports(all, 32);
	for (int i = 0; i < n; i++)
		forked += all[i].end == YMK_CONN_END_FORKED;
	ck_assert_int_eq(forked, 2);
	cleanup();
}
END_TEST

START_TEST(test_state_across_keepalive)
{
	g.refuse = ALLOW_ALL;
	struct opts o = model_opts(_i);
	start_server(&o);
	tc_conn c, d;
	tc_response r;
	char first[64] = "", s[64];

	dial(&c, "127.0.0.1");
	send_str(&c, GET("/state") GET("/state") GET("/state"));
	for (int i = 0; i < 6; i++) {
		if (i >= 3)
			send_str(&c, GET("/state"));
		expect_answer(&c, 200, &r);
		field(&r, "state", s, sizeof s);
		if (!first[0])
			snprintf(first, sizeof first, "%s", s);
		ck_assert_str_eq(s, first);
		tc_response_free(&r);
	}
	dial(&d, "127.0.0.1");
	send_str(&d, GET("/state"));
	expect_answer(&d, 200, &r);
	ck_assert_str_ne(field(&r, "state", s, sizeof s), first);
	tc_response_free(&r);
	tc_close(&c);
	tc_close(&d);
	struct report rep[8];
	int n = wait_reports(rep, 8, 2);
	ck_assert_int_eq(n, 2);
	const struct report *one = find_state(rep, n, first, YMK_CONN_END_CLIENT);
	ck_assert_msg(one != NULL, "no CLIENT report of %s among %d: %s %d, %s %d", first, n, rep[0].state,
		      rep[0].end, rep[1].state, rep[1].end);
	ck_assert_uint_eq(one->req, 6);
	stop_server();
}
END_TEST

START_TEST(test_conn_info_in_handler)
{
	g.refuse = ALLOW_ALL;
	struct opts o = model_opts(_i);
	start_server(&o);
	tc_conn c;
	tc_response r;
	char v[64], want[64];
	dial(&c, "127.0.0.2");
	send_str(&c, GET("/state"));
	expect_answer(&c, 200, &r);
	snprintf(want, sizeof want, "127.0.0.1:%d", server_port);
	ck_assert_str_eq(field(&r, "local", v, sizeof v), want);
	ck_assert(strncmp(field(&r, "peer", v, sizeof v), "127.0.0.2:", 10) == 0);
	ck_assert_str_eq(field(&r, "proxied", v, sizeof v), "0");
	ck_assert_str_eq(field(&r, "listener", v, sizeof v), "0");
	snprintf(want, sizeof want, "%d", o.model);
	ck_assert_str_eq(field(&r, "model", v, sizeof v), want);
	char peer[64], sock[64];
	ck_assert_str_eq(field(&r, "sock", sock, sizeof sock), field(&r, "peer", peer, sizeof peer));
	tc_response_free(&r);
	tc_close(&c);
	stop_server();
}
END_TEST

/* One connection's state, from the /state answer on it. */
static void state_of(tc_conn *c, char *state, size_t cap, size_t *sent)
{
	tc_response r;
	static const char req[] = GET("/state");
	send_str(c, req);
	*sent += sizeof req - 1;
	expect_answer(c, 200, &r);
	field(&r, "state", state, cap);
	tc_response_free(&r);
}

START_TEST(test_close_reports)
{
	g.refuse = ALLOW_ALL;
	struct opts o = model_opts(_i);
	o.keepalive_ms = 300;
	o.read_ms = 400;
	start_server(&o);
	char s_client[64], s_idle[64], s_408[64], s_error[64];
	size_t in_client = 0, in_idle = 0, in_408 = 0, in_error = 0;
	tc_conn c;

	/* The client closes after two answers. */
	dial(&c, "127.0.0.1");
	state_of(&c, s_client, sizeof s_client, &in_client);
	state_of(&c, s_client, sizeof s_client, &in_client);
	size_t out_client = c.received;
	tc_close(&c);

	/* The keep-alive timeout ends an idle connection after one answer. */
	tc_conn idle;
	dial(&idle, "127.0.0.1");
	state_of(&idle, s_idle, sizeof s_idle, &in_idle);
	ck_assert_int_eq(tc_wait_eof(&idle, WAIT_MS, NULL), 1);
	size_t out_idle = idle.received;
	tc_close(&idle);

	/* A head that stops halfway: 408 at the read timeout. */
	tc_conn slow;
	tc_response r;
	dial(&slow, "127.0.0.1");
	state_of(&slow, s_408, sizeof s_408, &in_408);
	static const char part[] = "GET /state HTTP/1.1\r\nHost: x\r\n";
	send_str(&slow, part);
	in_408 += sizeof part - 1;
	expect_answer(&slow, 408, &r);
	tc_response_free(&r);
	ck_assert_int_eq(tc_wait_eof(&slow, WAIT_MS, NULL), 1);
	size_t out_408 = slow.received;
	tc_close(&slow);

	/* A handler's answer that cannot be completed. */
	tc_conn bad;
	dial(&bad, "127.0.0.1");
	state_of(&bad, s_error, sizeof s_error, &in_error);
	static const char shrink[] = GET("/shrink");
	send_str(&bad, shrink);
	in_error += sizeof shrink - 1;
	ck_assert_int_eq(tc_wait_eof(&bad, WAIT_MS, NULL), 1);
	size_t out_error = bad.received;
	tc_close(&bad);

	struct report rep[16];
	int n = wait_reports(rep, 16, 4);
	ck_assert_int_eq(n, 4);
	const struct report *x;
	ck_assert_ptr_nonnull(x = find_state(rep, n, s_client, YMK_CONN_END_CLIENT));
	ck_assert_uint_eq(x->req, 2);
	ck_assert_uint_eq(x->in, in_client);
	ck_assert_uint_eq(x->out, out_client);
	ck_assert_ptr_nonnull(x = find_state(rep, n, s_idle, YMK_CONN_END_IDLE));
	ck_assert_uint_eq(x->req, 1);
	ck_assert_uint_eq(x->in, in_idle);
	ck_assert_uint_eq(x->out, out_idle);
	ck_assert_ptr_nonnull(x = find_state(rep, n, s_408, YMK_CONN_END_TIMEOUT));
	ck_assert_uint_eq(x->req, 2); /* the /state answer and the 408 */
	ck_assert_uint_eq(x->in, in_408);
	ck_assert_uint_eq(x->out, out_408);
	ck_assert_ptr_nonnull(x = find_state(rep, n, s_error, YMK_CONN_END_ERROR));
	ck_assert_uint_eq(x->in, in_error);
	ck_assert_uint_eq(x->out, out_error);
	ck_assert_uint_gt(x->out, 0);
	stop_server();
}
END_TEST

START_TEST(test_close_report_on_stop)
{
	/* Open when the server stops: reported by the loop that held it, or in the fork model by the
	 * parent that ended its child (with the duration only). */
	g.refuse = ALLOW_ALL;
	struct opts o = model_opts(_i);
	start_server(&o);
	char s_stop[64];
	size_t in_stop = 0;
	tc_conn open_at_stop;
	dial(&open_at_stop, "127.0.0.1");
	state_of(&open_at_stop, s_stop, sizeof s_stop, &in_stop);
	stop_run();
	struct report rep[4];
	const struct report *x;
	int n = wait_reports(rep, 4, 1);
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_nonnull(x = find_state(rep, n, s_stop, YMK_CONN_END_STOPPED));
	if (o.model != YMK_MODEL_FORK) {
		ck_assert_uint_eq(x->req, 1);
		ck_assert_uint_eq(x->in, in_stop);
		ck_assert_uint_eq(x->out, open_at_stop.received);
	}
	tc_close(&open_at_stop);
	cleanup();
}
END_TEST

START_TEST(test_per_client_limit)
{
	/* Two connections per client address: the third from 127.0.0.1 gets 503, 127.0.0.2 is
	 * unaffected, and a place freed by a close is taken again. */
	g.refuse = ALLOW_ALL;
	struct opts o = model_opts(_i);
	o.per_client = 2;
	start_server(&o);
	tc_conn a[2], extra, other, again;
	tc_response r;
	char s0[64], s1[64], st[64];
	size_t sent = 0;
	for (int i = 0; i < 2; i++) {
		dial(&a[i], "127.0.0.1");
		state_of(&a[i], i ? s1 : s0, sizeof s0, &sent);
	}
	dial(&extra, "127.0.0.1");
	send_str(&extra, GET("/state"));
	expect_answer(&extra, 503, &r);
	ck_assert_ptr_nonnull(tc_header(&r, "Retry-After"));
	tc_response_free(&r);
	ck_assert_int_eq(tc_wait_eof(&extra, IO_MS, NULL), 1);
	tc_close(&extra);
	dial(&other, "127.0.0.2");
	state_of(&other, st, sizeof st, &sent);

	/* The limit's refusal is reported as such. */
	struct report rep[16];
	int n = wait_reports(rep, 16, 1);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(rep[0].end, YMK_CONN_END_LIMIT);
	ck_assert(strncmp(rep[0].peer, "127.0.0.1:", 10) == 0);

	/* One of 127.0.0.1's connections ends; once the server knows (in the fork model when the
	 * parent reaped the child: its FORKED report), the client may connect again. */
	tc_close(&a[0]);
	long long end = now_ms() + WAIT_MS;
	for (;;) {
		struct report all[16];
		int k = load_reports(all, 16), seen = 0;
		for (int i = 0; i < k; i++)
			seen += !strcmp(all[i].state, s0) &&
				(o.model == YMK_MODEL_FORK ? all[i].end == YMK_CONN_END_FORKED : 1);
		if (seen || now_ms() > end)
			break;
		poll(NULL, 0, 10);
	}
	dial(&again, "127.0.0.1");
	state_of(&again, st, sizeof st, &sent);
	tc_close(&again);
	tc_close(&a[1]);
	tc_close(&other);
	stop_server();
}
END_TEST

/* The PROXY v2 header for a TCP connection from src:sport to dst:dport (IPv4 when the addresses
 * are IPv4, else IPv6), with a CRC32c TLV when crc; its length. */
static size_t v2_header(unsigned char *out, int cmd, const char *src, const char *dst, unsigned sport,
			unsigned dport)
{
	static const unsigned char sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
					      0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
	memcpy(out, sig, 12);
	out[12] = (unsigned char)(0x20 | cmd);
	int six = strchr(src, ':') != NULL;
	size_t alen = six ? 16 : 4, len = 2 * alen + 4;
	out[13] = six ? 0x21 : 0x11;
	out[14] = (unsigned char)(len >> 8);
	out[15] = (unsigned char)len;
	ck_assert_int_eq(inet_pton(six ? AF_INET6 : AF_INET, src, out + 16), 1);
	ck_assert_int_eq(inet_pton(six ? AF_INET6 : AF_INET, dst, out + 16 + alen), 1);
	unsigned char *p = out + 16 + 2 * alen;
	p[0] = (unsigned char)(sport >> 8);
	p[1] = (unsigned char)sport;
	p[2] = (unsigned char)(dport >> 8);
	p[3] = (unsigned char)dport;
	return 16 + len;
}

/* Sends the header and a request for /state at once, or the header in two pieces first. */
static void proxy_state(const void *hdr, size_t hlen, int split, tc_response *r, tc_conn *c)
{
	dial(c, "127.0.0.1");
	if (split) {
		ck_assert_int_eq(tc_send(c, hdr, 5, IO_MS), 0);
		ck_assert_int_eq(tc_wait_readable(c, 100), 0); /* nothing is answered to half a header */
		ck_assert_int_eq(tc_send(c, (const char *)hdr + 5, hlen - 5, IO_MS), 0);
		send_str(c, GET("/state"));
	} else {
		char buf[512];
		memcpy(buf, hdr, hlen);
		memcpy(buf + hlen, GET("/state"), sizeof GET("/state") - 1);
		ck_assert_int_eq(tc_send(c, buf, hlen + sizeof GET("/state") - 1, IO_MS), 0);
	}
	expect_answer(c, 200, r);
}

START_TEST(test_proxy_protocol)
{
	g.refuse = REFUSE_CLOSE; /* the accept hook judges the client the header names */
	struct opts o = model_opts(_i);
	o.proxy = 1;
	start_server(&o);
	tc_conn c;
	tc_response r;
	char v[80], sock[80];
	unsigned char hdr[128];

	/* Version 1, IPv4, in one piece with the request: the rest stays for HTTP. */
	static const char v1[] = "PROXY TCP4 203.0.113.7 198.51.100.1 4242 80\r\n";
	proxy_state(v1, sizeof v1 - 1, 0, &r, &c);
	ck_assert_str_eq(field(&r, "peer", v, sizeof v), "203.0.113.7:4242");
	ck_assert_str_eq(field(&r, "local", v, sizeof v), "198.51.100.1:80");
	ck_assert(strncmp(field(&r, "sock", sock, sizeof sock), "127.0.0.1:", 10) == 0);
	ck_assert_str_eq(field(&r, "proxied", v, sizeof v), "1");
	char s_v1[64];
	field(&r, "state", s_v1, sizeof s_v1);
	tc_response_free(&r);
	size_t out_v1 = c.received;
	tc_close(&c);

	/* Version 1, IPv6, the header split across two sends. */
	static const char v1six[] = "PROXY TCP6 2001:db8::7 2001:db8::1 65535 443\r\n";
	proxy_state(v1six, sizeof v1six - 1, 1, &r, &c);
	ck_assert_str_eq(field(&r, "peer", v, sizeof v), "2001:db8::7:65535");
	ck_assert_str_eq(field(&r, "local", v, sizeof v), "2001:db8::1:443");
	tc_response_free(&r);
	tc_close(&c);

	/* Version 2, IPv4 and IPv6. */
	size_t n = v2_header(hdr, 1, "192.0.2.9", "192.0.2.1", 1000, 8080);
	proxy_state(hdr, n, 0, &r, &c);
	ck_assert_str_eq(field(&r, "peer", v, sizeof v), "192.0.2.9:1000");
	ck_assert_str_eq(field(&r, "local", v, sizeof v), "192.0.2.1:8080");
	tc_response_free(&r);
	tc_close(&c);
	n = v2_header(hdr, 1, "2001:db8::9", "2001:db8::2", 7, 9);
	proxy_state(hdr, n, 1, &r, &c);
	ck_assert_str_eq(field(&r, "peer", v, sizeof v), "2001:db8::9:7");
	tc_response_free(&r);
	tc_close(&c);

	/* A LOCAL header (a health check) keeps the socket's addresses. */
	n = v2_header(hdr, 0, "192.0.2.9", "192.0.2.1", 1000, 8080);
	proxy_state(hdr, n, 0, &r, &c);
	ck_assert(strncmp(field(&r, "peer", v, sizeof v), "127.0.0.1:", 10) == 0);
	ck_assert_str_eq(field(&r, "proxied", v, sizeof v), "0");
	tc_response_free(&r);
	tc_close(&c);

	/* Malformed or missing headers, and a client the accept hook refuses: closed, no byte. */
	static const char *const bad[] = {
		"PROXY TCP4 203.0.113.7 198.51.100.1 04242 80\r\n" GET("/state"),
		"PROXY TCP4 203.0.113.7 198.51.100.1 4242 80\n" GET("/state"),
		"PROXY TCP5 203.0.113.7 198.51.100.1 4242 80\r\n" GET("/state"),
		"PROXY TCP4 203.0.113.7  198.51.100.1 4242 80\r\n" GET("/state"),
		GET("/state"),
		"PROXY TCP4 127.0.0.2 127.0.0.1 5555 80\r\n" GET("/state"),
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t extra = 0;
		dial(&c, "127.0.0.1");
		send_str(&c, bad[i]);
		ck_assert_int_eq(tc_wait_eof(&c, IO_MS, &extra), 1);
		ck_assert_msg(extra == 0, "%zu bytes answered to %s", extra, bad[i]);
		tc_close(&c);
	}
	n = v2_header(hdr, 1, "192.0.2.9", "192.0.2.1", 1000, 8080);
	hdr[12] = 0x31; /* version 3 */
	dial(&c, "127.0.0.1");
	ck_assert_int_eq(tc_send(&c, hdr, n, IO_MS), 0);
	ck_assert_int_eq(tc_wait_eof(&c, IO_MS, NULL), 1);
	tc_close(&c);

	/* The access log saw the real clients; the report counts the header's bytes too. The
	 * refused 127.0.0.2 is reported; the malformed headers are not (no decision was made). */
	struct report rep[16];
	int k = wait_reports(rep, 16, 6);
	ck_assert_int_eq(k, 6);
	const struct report *x = find_state(rep, k, s_v1, YMK_CONN_END_CLIENT);
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->in, sizeof v1 - 1 + sizeof GET("/state") - 1);
	ck_assert_uint_eq(x->out, out_v1);
	ck_assert_str_eq(x->peer, "203.0.113.7:4242");
	int refused = 0;
	for (int i = 0; i < k; i++)
		refused += rep[i].end == YMK_CONN_END_REFUSED && !strncmp(rep[i].peer, "127.0.0.2:5555", 14);
	ck_assert_int_eq(refused, 1);
	char *log = NULL;
	FILE *f = fopen(access_path, "r");
	ck_assert_ptr_nonnull(f);
	char line[256];
	int real = 0;
	while (fgets(line, sizeof line, f))
		real += !strncmp(line, "203.0.113.7:4242 /state 200", 27);
	fclose(f);
	free(log);
	ck_assert_int_eq(real, 1);
	stop_server();
}
END_TEST

START_TEST(test_proxy_header_deadline)
{
	/* A PROXY header that never completes is closed at the header timeout, unreported. */
	g.refuse = ALLOW_ALL;
	struct opts o = model_opts(_i);
	o.proxy = 1;
	o.header_ms = 300;
	start_server(&o);
	tc_conn c;
	dial(&c, "127.0.0.1");
	send_str(&c, "PROXY TCP4 1.2.3.4");
	long long t0 = now_ms();
	size_t extra = 0;
	ck_assert_int_eq(tc_wait_eof(&c, WAIT_MS, &extra), 1);
	ck_assert_uint_eq(extra, 0);
	ck_assert_int_ge(now_ms() - t0, 200);
	tc_close(&c);
	stop_run();
	struct report rep[4];
	ck_assert_int_eq(load_reports(rep, 4), 0);
	cleanup();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("conn_api");
	TCase *tc = tcase_create("conn_api");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_accept_refuses_second_address, 0, 3);
	tcase_add_test(tc, test_fork_refusal_forks_no_child);
	tcase_add_loop_test(tc, test_state_across_keepalive, 0, 3);
	tcase_add_loop_test(tc, test_conn_info_in_handler, 0, 3);
	tcase_add_loop_test(tc, test_close_reports, 0, 3);
	tcase_add_loop_test(tc, test_close_report_on_stop, 0, 3);
	tcase_add_loop_test(tc, test_per_client_limit, 0, 2);
	tcase_add_loop_test(tc, test_proxy_protocol, 0, 3);
	tcase_add_loop_test(tc, test_proxy_header_deadline, 0, 2);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
