/* harness.c: the shared server harness of the integration test programs (see harness.h). The
 * fixture tree, the forked server child and its teardown, raw request helpers and the expect_*
 * assertions. Check runs each test in a forked process and ends a failed one with _exit(), so the
 * cleanup is arranged three ways: stop() on success, an atexit() handler in the test process, and
 * the server child removing the tree itself when its parent died (PR_SET_PDEATHSIG). */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

const char HELLO[] = "hello, world\n";
const char INDEX[] = "<!doctype html><title>root</title><p>root index</p>\n";
const char SUB_INDEX[] = "<!doctype html><title>sub</title><p>sub index</p>\n";
const char PAGE[] = "<!doctype html><p>page</p>\n";
const char OHWELL[] = "ohwell three dots\n";
const char HEHE[] = "hehe two dots\n";
const char SPACE[] = "with a space\n";
const char CAFE[] = "caf\xc3\xa9 au lait\n";
const char UNKNOWN[] = "unknown extension\n";
const char NOINDEX_FILE[] = "inside noindex\n";
const char SECRET[] = "top secret outside the root\n";
const char RESERVED[] = "reserved upload temp\n";

struct harness H;

static ymk_server *volatile child_server;

/* SIGHUP in the server child: the certificate files are read again (the reload tests). */
static void on_sighup(int sig)
{
	(void)sig;
	if (child_server != NULL)
		(void)ymk_server_tls_reload(child_server);
}

static void on_sigterm(int sig)
{
	(void)sig;
	/* Should ymk_server_run() never return, SIGALRM ends the process anyway. */
	alarm(10);
	if (child_server != NULL)
		ymk_server_stop(child_server);
}

int model_of(int i)
{
	return i == 0 ? YMK_MODEL_EVENT : YMK_MODEL_FORK;
}

void join(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	ck_assert_msg(n > 0 && (size_t)n < size, "path too long: %s/%s", dir, name);
}

void put_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	const char *p = data;
	int fd;

	join(path, sizeof path, dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		ck_assert_msg(n > 0, "write %s: %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	ck_assert_int_eq(close(fd), 0);
}

void put_text(const char *dir, const char *name, const char *text)
{
	put_file(dir, name, text, strlen(text));
}

unsigned char big_byte(size_t i)
{
	return (unsigned char)((i * 7) % 251);
}

void make_dir(const char *dir, const char *name)
{
	char path[PATH_MAX];

	join(path, sizeof path, dir, name);
	ck_assert_msg(mkdir(path, 0755) == 0, "mkdir %s: %s", path, strerror(errno));
}

void make_link_in(const char *dir, const char *target, const char *name)
{
	char path[PATH_MAX];

	join(path, sizeof path, dir, name);
	ck_assert_msg(symlink(target, path) == 0, "symlink %s: %s", path, strerror(errno));
}

void make_link(const char *target, const char *name)
{
	make_link_in(H.root, target, name);
}

static void make_tree(void)
{
	char path[PATH_MAX];
	unsigned char *big;

	ck_assert_int_lt(snprintf(H.base, sizeof H.base, "/tmp/ymk-integ-XXXXXX"), (int)sizeof H.base);
	ck_assert_msg(mkdtemp(H.base) != NULL, "mkdtemp: %s", strerror(errno));
	join(H.root, sizeof H.root, H.base, "root");
	join(H.log_path, sizeof H.log_path, H.base, "access.log");
	ck_assert_msg(mkdir(H.root, 0755) == 0, "mkdir %s: %s", H.root, strerror(errno));

	put_text(H.base, "secret.txt", SECRET);
	put_text(H.root, "hello.txt", HELLO);
	put_text(H.root, "index.html", INDEX);
	put_text(H.root, "page.html", PAGE);
	put_text(H.root, "ohwell...txt", OHWELL);
	put_text(H.root, "hehe..txt", HEHE);
	put_text(H.root, "with space.txt", SPACE);
	put_text(H.root, "caf\xc3\xa9.txt", CAFE);
	put_text(H.root, "data.unknownext", UNKNOWN);
	put_text(H.root, "empty.txt", "");
	put_text(H.root, ".ymk-upload-123", RESERVED);

	big = malloc(BIG_LEN);
	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < BIG_LEN; i++)
		big[i] = big_byte(i);
	put_file(H.root, "big.bin", big, BIG_LEN);
	free(big);

	make_dir(H.root, "sub");
	join(path, sizeof path, H.root, "sub");
	put_text(path, "index.html", SUB_INDEX);
	make_dir(H.root, "noindex");
	join(path, sizeof path, H.root, "noindex");
	put_text(path, "file.txt", NOINDEX_FILE);

	make_link("hello.txt", "link-in.txt");
	make_link("/etc/passwd", "link-out");
	make_link("sub", "linkdir");
	join(path, sizeof path, H.root, "fifo");
	ck_assert_msg(mkfifo(path, 0644) == 0, "mkfifo %s: %s", path, strerror(errno));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void remove_tree(void)
{
	if (H.base[0] != '\0')
		nftw(H.base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	H.base[0] = '\0';
}

/* Sends SIGTERM and waits up to STOP_MS; then SIGKILL. Returns the wait status, or -1 when the
 * process had to be killed. */
int end_server(void)
{
	long long deadline = tc_now_ms() + STOP_MS;
	int status = 0;
	pid_t pid = H.server;

	H.server = 0;
	if (pid <= 0)
		return 0;
	kill(pid, SIGTERM);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			return status;
		if (w < 0 && errno != EINTR)
			return status;
		if (tc_now_ms() >= deadline)
			break;
		poll(NULL, 0, 10);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return -1;
}

/* Runs at a normal exit of the test process (Check ends a failed test with _exit(), so the
 * server child cleans up then: see start()). */
static void harness_atexit(void)
{
	if (getpid() != H.owner)
		return;
	end_server();
	remove_tree();
}

void start(const struct server_opts *o)
{
	ymk_config *cfg = NULL;
	ymk_server *srv = NULL;
	sigset_t block;
	sigset_t old;
	pid_t parent = getpid();
	int rc;

	/* A leftover from a test that failed in no-fork mode. */
	end_server();
	remove_tree();
	H.owner = parent;
	if (!H.atexit_set) {
		atexit(harness_atexit);
		H.atexit_set = true;
	}
	make_tree();
	if (o->fixtures)
		o->fixtures();

	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_root(cfg, H.root), 0);
	rc = ymk_config_set_listen(cfg, o->listen ? o->listen : "127.0.0.1:0");
	ck_assert_msg(rc == 0, "set_listen: %s (%s)", ymk_strerror(rc), ymk_config_error(cfg));
	ck_assert_int_eq(ymk_config_set_model(cfg, o->model), 0);
	if (o->max_connections)
		ck_assert_int_eq(ymk_config_set_max_connections(cfg, o->max_connections), 0);
	if (o->read_timeout_ms)
		ck_assert_int_eq(ymk_config_set_read_timeout(cfg, o->read_timeout_ms), 0);
	if (o->header_timeout_ms)
		ck_assert_int_eq(ymk_config_set_header_timeout(cfg, o->header_timeout_ms), 0);
	if (o->keepalive_timeout_ms)
		ck_assert_int_eq(ymk_config_set_keepalive_timeout(cfg, o->keepalive_timeout_ms), 0);
	if (o->handler)
		ck_assert_int_eq(ymk_config_set_handler(cfg, o->handler, o->handler_user), 0);
	if (o->access_log)
		ck_assert_int_eq(ymk_config_set_access_log(cfg, o->access_log, o->access_log_user), 0);
	if (o->methods) {
		rc = ymk_config_set_methods(cfg, o->methods);
		ck_assert_msg(rc == 0, "set_methods(%#x): %s (%s)", o->methods, ymk_strerror(rc),
			      ymk_config_error(cfg));
	}
	if (o->max_body)
		ck_assert_int_eq(ymk_config_set_max_body(cfg, o->max_body), 0);
	if (o->workers)
		ck_assert_int_eq(ymk_config_set_workers(cfg, o->workers), 0);
	if (o->body_grace_ms || o->body_min_rate) {
		rc = ymk_config_set_body_deadline(
			cfg, o->body_grace_ms ? o->body_grace_ms : YMK_DEFAULT_BODY_GRACE_MS,
			o->body_min_rate ? o->body_min_rate : YMK_DEFAULT_BODY_MIN_RATE);
		ck_assert_msg(rc == 0, "set_body_deadline: %s (%s)", ymk_strerror(rc), ymk_config_error(cfg));
	}
	if (o->file_mode)
		ck_assert_int_eq(ymk_config_set_file_mode(cfg, o->file_mode), 0);
	if (o->policy)
		ck_assert_int_eq(ymk_config_set_policy(cfg, o->policy, o->policy_user), 0);
	if (o->verdict)
		ck_assert_int_eq(ymk_config_set_upload_verdict(cfg, o->verdict, o->verdict_user), 0);
	if (o->listing)
		ck_assert_int_eq(ymk_config_set_listing(cfg, 1), 0);
	if (o->precompressed)
		ck_assert_int_eq(ymk_config_set_precompressed(cfg, 1), 0);
	if (o->error_pages) {
		char dir[PATH_MAX];

		join(dir, sizeof dir, H.base, o->error_pages);
		rc = ymk_config_set_error_pages(cfg, dir);
		ck_assert_msg(rc == 0, "set_error_pages(%s): %s (%s)", dir, ymk_strerror(rc),
			      ymk_config_error(cfg));
	}

	/* TLS mode (client.h): the same suites over HTTPS, with the test PKI's certificate. */
	if (getenv("YMK_TEST_TLS_CERT") && !o->no_env_cert) {
		rc = ymk_config_add_tls_cert_file(cfg, getenv("YMK_TEST_TLS_CERT"),
						  getenv("YMK_TEST_TLS_KEY"));
		ck_assert_msg(rc == 0, "add_tls_cert_file: %s (%s)", ymk_strerror(rc), ymk_config_error(cfg));
	}
	if (o->configure)
		o->configure(cfg);

	rc = ymk_server_new(&srv, cfg);
	ck_assert_msg(rc == 0 && srv != NULL, "ymk_server_new: %d %s (%s)", rc, ymk_strerror(rc),
		      ymk_config_error(cfg));
	ymk_config_free(cfg);
	H.port = ymk_server_port(srv);
	H.host = o->host ? o->host : "127.0.0.1";
	ck_assert_msg(H.port > 0 && H.port < 65536, "ymk_server_port: %d", H.port);

	/* SIGTERM stays blocked until the child has its handler. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &block, &old), 0);
	fflush(NULL);
	H.server = fork();
	if (H.server == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_sigterm;
		sigemptyset(&sa.sa_mask);
		child_server = srv;
		sigaction(SIGTERM, &sa, NULL);
		sa.sa_handler = on_sighup;
		sigaction(SIGHUP, &sa, NULL);
		/* Check kills the test's process group after each test, which would leave no chance
		 * to clean up: use a group of our own, and never outlive the test process. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(3);
		sigprocmask(SIG_SETMASK, &old, NULL);
		rc = ymk_server_run(srv);
		ymk_server_free(srv);
#ifdef __SANITIZE_ADDRESS__
		/* _exit() skips LeakSanitizer's check at exit: what the server leaked fails the stop. */
		if (__lsan_do_recoverable_leak_check())
			_exit(4);
#endif
		/* A failed assertion ends the test process with _exit(), skipping its atexit
		 * cleanup; the death signal stopped us, so the tree is ours to remove. */
		if (getppid() != parent)
			remove_tree();
		_exit(rc == 0 ? 0 : 1);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	ck_assert_msg(H.server > 0, "fork: %s", strerror(errno));
	setpgid(H.server, H.server); /* as the child does: whichever runs first */
	ymk_server_free(srv);
}

void start_model(int i)
{
	struct server_opts o = {.model = model_of(i)};

	start(&o);
}

/* Stops the server and asserts that ymk_server_run() returned 0 after the SIGTERM. */
void stop(void)
{
	int status = end_server();

	ck_assert_msg(status != -1, "server did not exit within %d ms of SIGTERM", STOP_MS);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "server child: %s %d (exit 1: ymk_server_run failed; 4: it leaked memory)",
		      WIFEXITED(status) ? "exit status" : "killed by signal",
		      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	remove_tree();
}

/* ---------------------------------------------------------------------------------------------
 * Request helpers and expectations
 * ------------------------------------------------------------------------------------------- */

void conn_open(tc_conn *c)
{
	int rc = tc_connect(c, H.host, H.port, IO_MS);

	ck_assert_msg(rc == 0, "connect to %s port %d: %s", H.host, H.port, c->err);
}

/* Sends raw and reads one response; a failed send is tolerated when a response still arrives (a
 * server may answer and close before it read all of an oversized request). */
void exchange_len(tc_conn *c, const char *raw, size_t len, bool head, tc_response *r)
{
	char send_err[sizeof c->err] = "";

	if (tc_send(c, raw, len, IO_MS) < 0)
		memcpy(send_err, c->err, sizeof send_err);
	if (tc_read_response(c, r, head, IO_MS) < 0)
		ck_abort_msg("request %s: no valid response: %s%s%s", tc_show(raw, len), c->err,
			     send_err[0] ? "; send failed before: " : "", send_err);
}

void exchange(tc_conn *c, const char *raw, bool head, tc_response *r)
{
	exchange_len(c, raw, strlen(raw), head, r);
}

/* One request on a fresh connection. */
void fetch(const char *raw, bool head, tc_response *r)
{
	tc_conn c;

	conn_open(&c);
	exchange(&c, raw, head, r);
	tc_close(&c);
}

void get(const char *target, tc_response *r)
{
	char raw[8192];
	int n = snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target);

	ck_assert(n > 0 && (size_t)n < sizeof raw);
	fetch(raw, false, r);
}

void expect_status(const tc_response *r, int status, const char *ctx)
{
	ck_assert_msg(r->status == status, "%s: expected status %d, got %d %s", ctx, status, r->status,
		      r->reason);
}

void expect_header(const tc_response *r, const char *name, const char *want, const char *ctx)
{
	const char *got = tc_header(r, name);

	ck_assert_msg(got != NULL, "%s (status %d): header %s absent, expected \"%s\"", ctx, r->status, name,
		      want);
	ck_assert_msg(strcmp(got, want) == 0, "%s (status %d): header %s: expected \"%s\", got \"%s\"", ctx,
		      r->status, name, want, got);
}

void expect_no_header(const tc_response *r, const char *name, const char *ctx)
{
	const char *got = tc_header(r, name);

	ck_assert_msg(got == NULL, "%s (status %d): unexpected header %s: %s", ctx, r->status, name,
		      got ? got : "");
}

void expect_body(const tc_response *r, const void *want, size_t len, const char *ctx)
{
	size_t first_diff = 0;

	while (first_diff < len && first_diff < r->body_len &&
	       ((const char *)want)[first_diff] == r->body[first_diff])
		first_diff++;
	ck_assert_msg(r->body_len == len && first_diff == len,
		      "%s (status %d): body differs: expected %zu bytes, got %zu (first difference at "
		      "byte %zu); got: %s",
		      ctx, r->status, len, r->body_len, first_diff, tc_show(r->body, r->body_len));
}

void expect_body_str(const tc_response *r, const char *want, const char *ctx)
{
	expect_body(r, want, strlen(want), ctx);
}

void expect_body_lacks(const tc_response *r, const char *needle, const char *ctx)
{
	ck_assert_msg(memmem(r->body, r->body_len, needle, strlen(needle)) == NULL,
		      "%s (status %d): body echoes \"%s\": %s", ctx, r->status, needle,
		      tc_show(r->body, r->body_len));
}

void expect_closed(tc_conn *c, const char *ctx)
{
	size_t extra = 0;
	int rc = tc_wait_eof(c, CLOSE_MS, &extra);

	ck_assert_msg(rc == 1, "%s: server did not close the connection: %s", ctx, c->err);
	ck_assert_msg(extra == 0, "%s: %zu unexpected bytes after the response before EOF", ctx, extra);
}

/* The server answered and keeps the connection: a further request on it is served. */
void expect_still_open(tc_conn *c, const char *ctx)
{
	tc_response r;

	if (tc_send_str(c, GET_HELLO, IO_MS) < 0 || tc_read_response(c, &r, false, IO_MS) < 0)
		ck_abort_msg("%s: connection not usable for a following request: %s", ctx, c->err);
	expect_status(&r, 200, ctx);
	expect_body_str(&r, HELLO, ctx);
	tc_response_free(&r);
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7). */
bool is_imf_fixdate(const char *s)
{
	static const char days[] = "Mon,Tue,Wed,Thu,Fri,Sat,Sun,";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const char shape[] = "Www, 99 Mmm 9999 99:99:99 GMT"; /* 9: a digit */
	bool day_ok = false;
	bool month_ok = false;

	if (strlen(s) != sizeof shape - 1)
		return false;
	for (size_t i = 0; i < sizeof days - 1; i += 4)
		day_ok |= memcmp(s, days + i, 4) == 0;
	for (size_t i = 0; i < sizeof months - 1; i += 3)
		month_ok |= memcmp(s + 8, months + i, 3) == 0;
	if (!day_ok || !month_ok)
		return false;
	for (size_t i = 4; i < sizeof shape - 1; i++) {
		char want = shape[i];

		if (i >= 8 && i < 11)
			continue; /* the month */
		if (want == '9') {
			if (s[i] < '0' || s[i] > '9')
				return false;
		} else if (s[i] != want) {
			return false;
		}
	}
	return true;
}

void expect_date(const tc_response *r, const char *name, const char *ctx)
{
	const char *v = tc_header(r, name);

	ck_assert_msg(v != NULL, "%s: header %s absent", ctx, name);
	ck_assert_msg(is_imf_fixdate(v), "%s: header %s is not an IMF-fixdate: \"%s\"", ctx, name, v);
}

void run_get_cases(const struct get_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		tc_response r;
		char ctx[300];

		snprintf(ctx, sizeof ctx, "GET %s", tc_show(cases[i].target, strlen(cases[i].target)));
		get(cases[i].target, &r);
		expect_status(&r, cases[i].status, ctx);
		if (cases[i].body)
			expect_body_str(&r, cases[i].body, ctx);
		if (cases[i].content_type)
			expect_header(&r, "Content-Type", cases[i].content_type, ctx);
		tc_response_free(&r);
	}
}

void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *np;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	np = realloc(t->p, t->len + (size_t)n + 1);
	ck_assert_ptr_nonnull(np);
	t->p = np;
	va_start(ap, fmt);
	vsnprintf(t->p + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

void text_repeat(struct text *t, char ch, size_t n)
{
	char *np = realloc(t->p, t->len + n + 1);

	ck_assert_ptr_nonnull(np);
	t->p = np;
	memset(t->p + t->len, ch, n);
	t->len += n;
	t->p[t->len] = '\0';
}

void text_bytes(struct text *t, const void *data, size_t n)
{
	char *np = realloc(t->p, t->len + n + 1);

	ck_assert_ptr_nonnull(np);
	t->p = np;
	if (n > 0)
		memcpy(t->p + t->len, data, n);
	t->len += n;
	t->p[t->len] = '\0';
}

char *read_whole(const char *path, size_t *len)
{
	char *p = NULL;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*len = 0;
	if (fd < 0)
		return NULL;
	for (;;) {
		char *np = realloc(p, n + 4096 + 1);
		ssize_t got;

		ck_assert_ptr_nonnull(np);
		p = np;
		got = read(fd, p + n, 4096);
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	p[n] = '\0';
	*len = n;
	return p;
}

/* A tree without a server, for tests of configuration calls. */
void scratch_dir(void)
{
	remove_tree();
	H.owner = getpid();
	if (!H.atexit_set) {
		atexit(harness_atexit);
		H.atexit_set = true;
	}
	make_tree();
}

TCase *harness_case(const char *name, int timeout_s)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, timeout_s);
	return tc;
}

int harness_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
