/* test_write.c: integration tests of the writing side of libymawky through its public API: PUT
 * (Content-Length and chunked bodies, Expect: 100-continue, limits, refusals, preconditions, the
 * failure cases that must leave the old file byte for byte intact with no temporary file behind),
 * DELETE, OPTIONS and the Allow header, the path policy, the upload verdict hook, and a handler
 * that asks for the request body with YMK_READ_BODY. Servers run through harness.c in a forked child
 * and every HTTP case runs once per process model (loop index 0 = event, 1 = fork). The document root
 * is shared with the server, so each test checks the files themselves (bytes, mode, directory
 * listing) besides the responses. Every wait has a deadline; no sleep() synchronises anything. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RW (YMK_METHODS_READ | YMK_METHOD_PUT | YMK_METHOD_DELETE)
#define ALLOW_ALL "GET, HEAD, OPTIONS, PUT, DELETE"
#define ALLOW_PUT "GET, HEAD, OPTIONS, PUT"
#define ALLOW_DELETE "GET, HEAD, OPTIONS, DELETE"
#define CLEAN_MS 5000 /* how long a server may take to remove what a failed upload left */

static const char OLD[] = "the old contents of w/target.txt\n";
static const char RO_FILE[] = "read-only by policy\n";

/* ---------------------------------------------------------------------------------------------
 * Fixtures and file checks
 * ------------------------------------------------------------------------------------------- */

static void write_fixtures(void)
{
	char path[PATH_MAX];

	make_dir(H.root, "w");
	join(path, sizeof path, H.root, "w");
	put_text(path, "target.txt", OLD);
	make_dir(H.root, "uploads");
	join(path, sizeof path, H.root, "uploads");
	make_dir(path, "small");
	make_dir(path, "private");
	make_dir(path, "typed");
	make_dir(path, "cl");
	make_dir(H.root, "denied");
	join(path, sizeof path, H.root, "denied");
	put_text(path, "d.txt", "put refused here\n");
	make_dir(H.root, "ro");
	join(path, sizeof path, H.root, "ro");
	put_text(path, "x.txt", RO_FILE);
	make_dir(H.root, "ro405");
	join(path, sizeof path, H.root, "ro405");
	put_text(path, "x.txt", RO_FILE);
	make_dir(H.root, "hidden");
	join(path, sizeof path, H.root, "hidden");
	put_text(path, "f.txt", "not for reading\n");
}

static void root_path(char *out, size_t size, const char *rel)
{
	join(out, size, H.root, rel);
}

/* The file rel (beneath the root) holds exactly data[0..len). */
static void expect_file(const char *rel, const void *data, size_t len, const char *ctx)
{
	char path[PATH_MAX];
	size_t got_len = 0;
	size_t diff = 0;
	char *got;

	root_path(path, sizeof path, rel);
	got = read_whole(path, &got_len);
	ck_assert_msg(got != NULL, "%s: file %s cannot be read: %s", ctx, rel, strerror(errno));
	while (diff < len && diff < got_len && got[diff] == ((const char *)data)[diff])
		diff++;
	ck_assert_msg(got_len == len && diff == len,
		      "%s: file %s differs: expected %zu bytes, has %zu (first difference at %zu): %s",
		      ctx, rel, len, got_len, diff, tc_show(got, got_len));
	free(got);
}

static void expect_file_str(const char *rel, const char *text, const char *ctx)
{
	expect_file(rel, text, strlen(text), ctx);
}

static void expect_absent(const char *rel, const char *ctx)
{
	char path[PATH_MAX];
	struct stat st;

	root_path(path, sizeof path, rel);
	ck_assert_msg(lstat(path, &st) < 0 && errno == ENOENT, "%s: %s exists (it must not)", ctx,
		      rel);
}

static void expect_absent_outside(const char *name, const char *ctx)
{
	char path[PATH_MAX];
	struct stat st;

	join(path, sizeof path, H.base, name);
	ck_assert_msg(lstat(path, &st) < 0 && errno == ENOENT,
		      "%s: %s was created outside the root", ctx, name);
}

static void expect_mode(const char *rel, unsigned mode, const char *ctx)
{
	char path[PATH_MAX];
	struct stat st;

	root_path(path, sizeof path, rel);
	ck_assert_msg(lstat(path, &st) == 0, "%s: stat %s: %s", ctx, rel, strerror(errno));
	ck_assert_msg(S_ISREG(st.st_mode), "%s: %s is not a regular file", ctx, rel);
	ck_assert_msg((st.st_mode & 07777) == mode, "%s: %s has mode %04o, expected %04o", ctx, rel,
		      (unsigned)(st.st_mode & 07777), mode);
}

static void expect_symlink(const char *rel, const char *ctx)
{
	char path[PATH_MAX];
	struct stat st;

	root_path(path, sizeof path, rel);
	ck_assert_msg(lstat(path, &st) == 0 && S_ISLNK(st.st_mode), "%s: %s is no longer a symlink",
		      ctx, rel);
}

static void expect_dir(const char *rel, const char *ctx)
{
	char path[PATH_MAX];
	struct stat st;

	root_path(path, sizeof path, rel);
	ck_assert_msg(lstat(path, &st) == 0 && S_ISDIR(st.st_mode), "%s: %s is no longer a directory",
		      ctx, rel);
}

/* The names in a directory, sorted. */
struct names {
	char **v;
	size_t n;
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_add(struct names *s, const char *name)
{
	char **nv = realloc(s->v, (s->n + 1) * sizeof *nv);

	ck_assert_ptr_nonnull(nv);
	s->v = nv;
	s->v[s->n] = strdup(name);
	ck_assert_ptr_nonnull(s->v[s->n]);
	s->n++;
	qsort(s->v, s->n, sizeof *s->v, cmp_names);
}

static void list_names(const char *rel, struct names *out)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	out->v = NULL;
	out->n = 0;
	root_path(path, sizeof path, rel);
	d = opendir(path);
	ck_assert_msg(d != NULL, "opendir %s: %s", path, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		names_add(out, e->d_name);
	}
	closedir(d);
}

static void names_free(struct names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static bool names_equal(const struct names *a, const struct names *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

static const char *names_show(const struct names *s)
{
	static char buf[2048];
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n && o + 2 < sizeof buf; i++) {
		int n = snprintf(buf + o, sizeof buf - o, "%s%s", i ? " " : "", s->v[i]);

		if (n < 0)
			break;
		o += (size_t)n;
	}
	return buf;
}

/* The directory rel holds exactly the names of before (plus added when not NULL), waiting up to
 * CLEAN_MS for the server to finish cleaning up (a fork child may still be unwinding). A name
 * starting with ".ymk-upload-" that was not in before is a leftover temporary file. */
static void expect_clean(const char *rel, const struct names *before, const char *added,
			 const char *ctx)
{
	long long deadline = tc_now_ms() + CLEAN_MS;
	struct names want = {0};
	struct names now = {0};

	for (size_t i = 0; i < before->n; i++)
		names_add(&want, before->v[i]);
	if (added)
		names_add(&want, added);
	for (;;) {
		list_names(rel, &now);
		if (names_equal(&now, &want) || tc_now_ms() >= deadline)
			break;
		names_free(&now);
		poll(NULL, 0, 20);
	}
	for (size_t i = 0; i < now.n; i++) {
		bool known = false;

		for (size_t j = 0; j < want.n; j++)
			known |= strcmp(now.v[i], want.v[j]) == 0;
		ck_assert_msg(known || strncmp(now.v[i], ".ymk-upload-", 12) != 0,
			      "%s: temporary file %s/%s left behind", ctx, rel, now.v[i]);
	}
	ck_assert_msg(names_equal(&now, &want), "%s: directory %s holds [%s], expected [%s]", ctx,
		      rel[0] ? rel : ".", names_show(&now), names_show(&want));
	names_free(&want);
	names_free(&now);
}

/* ---------------------------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------------------------- */

/* "METHOD target HTTP/1.1", Host, extra header lines (each ending in CRLF), Content-Length when
 * body is not NULL, the blank line, the body. */
static void build(struct text *t, const char *method, const char *target, const char *extra,
		  const void *body, size_t len)
{
	text_add(t, "%s %s HTTP/1.1\r\nHost: x\r\n%s", method, target, extra ? extra : "");
	if (body != NULL)
		text_add(t, "Content-Length: %zu\r\n", len);
	text_add(t, "\r\n");
	if (body != NULL)
		text_bytes(t, body, len);
}

/* One request on a fresh connection. */
static void request(const char *method, const char *target, const char *extra, const void *body,
		    size_t len, tc_response *r)
{
	struct text t = {0};
	tc_conn c;

	build(&t, method, target, extra, body, len);
	conn_open(&c);
	exchange_len(&c, t.p, t.len, strcmp(method, "HEAD") == 0, r);
	tc_close(&c);
	free(t.p);
}

static void put_str(const char *target, const char *extra, const char *body, tc_response *r)
{
	request("PUT", target, extra, body, strlen(body), r);
}

/* A request that must be answered with status and nothing else checked. */
static void expect_request(const char *method, const char *target, const char *extra,
			   const char *body, int status)
{
	char ctx[256];
	tc_response r;

	snprintf(ctx, sizeof ctx, "%s %s%s%s", method, target, extra ? " " : "",
		 extra ? tc_show(extra, strlen(extra)) : "");
	request(method, target, extra, body, body ? strlen(body) : 0, &r);
	expect_status(&r, status, ctx);
	tc_response_free(&r);
}

static void expect_get(const char *target, const void *body, size_t len, const char *ctx)
{
	tc_response r;

	get(target, &r);
	expect_status(&r, 200, ctx);
	expect_body(&r, body, len, ctx);
	tc_response_free(&r);
}

/* A 201 Created: Location names the target (hex digits in either case). */
static void expect_created(const tc_response *r, const char *location, const char *ctx)
{
	const char *got;

	expect_status(r, 201, ctx);
	got = tc_header(r, "Location");
	ck_assert_msg(got != NULL, "%s: 201 without Location", ctx);
	ck_assert_msg(strcasecmp(got, location) == 0, "%s: Location \"%s\", expected \"%s\"", ctx, got,
		      location);
}

/* Reads a "100 Continue" interim response: exactly "HTTP/1.1 100 Continue\r\n\r\n", and nothing
 * after it for a while (the final response must wait for the body). */
static void expect_continue(tc_conn *c, const char *ctx)
{
	tc_response r;
	int w;

	if (tc_read_response(c, &r, false, IO_MS) < 0)
		ck_abort_msg("%s: no interim response: %s", ctx, c->err);
	ck_assert_msg(r.status == 100 && r.minor == 1 && strcmp(r.reason, "Continue") == 0 &&
			      r.nheaders == 0,
		      "%s: expected \"HTTP/1.1 100 Continue\\r\\n\\r\\n\", got HTTP/1.%d %d %s with %zu "
		      "headers",
		      ctx, r.minor, r.status, r.reason, r.nheaders);
	tc_response_free(&r);
	w = tc_wait_readable(c, 300);
	ck_assert_msg(w == 0, "%s: more bytes after 100 Continue before the body was sent (%s)", ctx,
		      w == 1 ? tc_show(c->buf, c->len) : c->err);
}

/* Sends raw in pieces cut at the given offsets; between pieces, asserts that no response came
 * early (which also paces the pieces into separate segments). */
static void send_pieces(tc_conn *c, const char *raw, size_t len, const size_t *cuts, size_t ncuts,
			const char *ctx)
{
	size_t off = 0;

	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		int w;

		ck_assert(end >= off && end <= len);
		ck_assert_msg(tc_send(c, raw + off, end - off, IO_MS) == 0, "%s: send: %s", ctx, c->err);
		off = end;
		if (i == ncuts)
			break;
		w = tc_wait_readable(c, 50);
		ck_assert_msg(w == 0, "%s: the server answered after only %zu of %zu bytes: %s", ctx, off,
			      len, w == 1 ? tc_show(c->buf, c->len) : c->err);
	}
}

static char *filled(char ch, size_t n)
{
	char *p = malloc(n + 1);

	ck_assert_ptr_nonnull(p);
	memset(p, ch, n);
	p[n] = '\0';
	return p;
}

/* ---------------------------------------------------------------------------------------------
 * Callbacks run in the server
 * ------------------------------------------------------------------------------------------- */

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* PUT refused under /denied/, DELETE refused under /ro/ (403) and /ro405/ (405), reads refused
 * under /hidden/ (404); everything else allowed. */
static int policy_misc(ymk_request *req, void *user)
{
	const char *method = ymk_request_method(req);
	const char *path = ymk_request_path(req);
	bool read = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	(void)user;
	if (strcmp(method, "PUT") == 0 && has_prefix(path, "/denied/"))
		return 403;
	if (strcmp(method, "DELETE") == 0 && has_prefix(path, "/ro/"))
		return 403;
	if (strcmp(method, "DELETE") == 0 && has_prefix(path, "/ro405/"))
		return 405;
	if (read && has_prefix(path, "/hidden/"))
		return 404;
	return 0;
}

/* PUT only under /uploads/; per-directory limit, mode, media type and declared length rules. */
static int policy_uploads(ymk_request *req, void *user)
{
	const char *path = ymk_request_path(req);

	(void)user;
	if (strcmp(ymk_request_method(req), "PUT") != 0)
		return 0;
	if (!has_prefix(path, "/uploads/"))
		return 403;
	if (has_prefix(path, "/uploads/small/") && ymk_request_set_body_limit(req, 100) != 0)
		return 599;
	if (has_prefix(path, "/uploads/private/") && ymk_request_set_file_mode(req, 0600) != 0)
		return 599;
	if (has_prefix(path, "/uploads/typed/")) {
		const char *type = ymk_request_header(req, "Content-Type");

		if (type == NULL || strcmp(type, "text/plain") != 0)
			return 415;
	}
	if (has_prefix(path, "/uploads/cl/")) {
		int64_t cl = ymk_request_content_length(req);

		if (cl < 0 && ymk_request_has_body(req))
			return 411;
		if (cl > 10)
			return 413;
	}
	return 0;
}

/* Rejects uploads starting with "BAD"; 599 flags a size that disagrees with Content-Length. */
static int verdict_bad(ymk_request *req, int fd, uint64_t size, void *user)
{
	int64_t cl = ymk_request_content_length(req);
	char head[3];

	(void)user;
	if (cl >= 0 && (uint64_t)cl != size)
		return 599;
	if (size >= 3 && pread(fd, head, 3, 0) == 3 && memcmp(head, "BAD", 3) == 0)
		return 422;
	return 0;
}

/* Refusals that say why (all other requests allowed):
 *   /auth/...     everything but a probe needs "Authorization: Bearer good": 401 with
 *                 WWW-Authenticate and Cache-Control; under /auth/json/ with a JSON body too;
 *                 probes add a header (which must not show) and leave DELETE out of Allow;
 *   /cors/...     GET and HEAD: 403 with CORS headers;
 *   /json405/...  DELETE: 405 with a JSON body (the library adds Allow);
 *   /hook/rc      403 whose X-Rc header reports what the API refused inside the policy;
 *   /hook/closed  an answer given, then 0 returned: still refused with that answer;
 *   /hook/allow   allowed, with a header for the answer (X-Policy). */
#define J401 "{\"error\":\"token required\"}"
#define J405 "{\"error\":\"read-only\"}"
#define J422 "{\"error\":\"bad magic\",\"offset\":0}"

static int policy_refuse(ymk_request *req, void *user)
{
	const char *method = ymk_request_method(req);
	const char *path = ymk_request_path(req);
	bool read = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	(void)user;
	if (has_prefix(path, "/auth/")) {
		const char *auth = ymk_request_header(req, "Authorization");

		if (ymk_request_is_probe(req)) {
			if (ymk_response_header(req, "X-Probe", "1") != 0)
				return 599;
			return strcmp(method, "DELETE") == 0 ? 401 : 0;
		}
		if (auth != NULL && strcmp(auth, "Bearer good") == 0)
			return 0;
		if (ymk_response_header(req, "WWW-Authenticate", "Bearer realm=\"tests\"") != 0 ||
		    ymk_response_header(req, "Cache-Control", "no-store") != 0)
			return 599;
		if (has_prefix(path, "/auth/json/"))
			return ymk_respond_buffer(req, 401, "application/json", J401, strlen(J401)) == 0 ? 401
													: 599;
		return 401;
	}
	if (has_prefix(path, "/cors/") && read) {
		if (ymk_response_header(req, "Access-Control-Allow-Origin", "https://app.example") != 0 ||
		    ymk_response_header(req, "Vary", "Origin") != 0)
			return 599;
		return 403;
	}
	if (has_prefix(path, "/json405/") && strcmp(method, "DELETE") == 0) {
		if (ymk_request_is_probe(req))
			return 405;
		return ymk_respond_buffer(req, 405, "application/json", J405, strlen(J405)) == 0 ? 405 : 599;
	}
	if (strcmp(path, "/hook/rc") == 0 && !ymk_request_is_probe(req)) {
		char rc[160];
		char file[PATH_MAX];
		int fd;

		join(file, sizeof file, H.root, "hello.txt");
		fd = open(file, O_RDONLY | O_CLOEXEC);
		snprintf(rc, sizeof rc, "%d %d %d %d %d",
			 ymk_respond_buffer(req, 200, "text/plain", "no", 2),
			 ymk_respond_buffer(req, 302, "text/plain", "no", 2),
			 ymk_response_header(req, "Allow", "GET"),
			 ymk_response_header(req, "Content-Type", "text/plain"),
			 ymk_respond_fd(req, fd, "text/plain"));
		if (ymk_response_header(req, "X-Rc", rc) != 0)
			return 599;
		return 403;
	}
	if (strcmp(path, "/hook/closed") == 0 && !ymk_request_is_probe(req)) {
		(void)ymk_respond_buffer(req, 403, "text/plain; charset=utf-8", "closed\n", 7);
		return 0;
	}
	if (strcmp(path, "/hook/allow") == 0 && !ymk_request_is_probe(req) &&
	    ymk_response_header(req, "X-Policy", "allowed") != 0)
		return 599;
	return 0;
}

/* Rejects "BAD..." with a JSON 422 (and X-Reason), "HDR..." with 503 and Retry-After on the
 * library's page; accepts the rest with X-Verdict on the 201 or 204. */
static int verdict_refuse(ymk_request *req, int fd, uint64_t size, void *user)
{
	char head[3] = {0};

	(void)user;
	if (size >= 3 && pread(fd, head, 3, 0) != 3)
		return 599;
	if (memcmp(head, "BAD", 3) == 0) {
		if (ymk_response_header(req, "X-Reason", "magic") != 0)
			return 599;
		return ymk_respond_buffer(req, 422, "application/json", J422, strlen(J422)) == 0 ? 422 : 599;
	}
	if (memcmp(head, "HDR", 3) == 0)
		return ymk_response_header(req, "Retry-After", "30") == 0 ? 503 : 599;
	return ymk_response_header(req, "X-Verdict", "ok") == 0 ? 0 : 599;
}

static void refusal_fixtures(void)
{
	char path[PATH_MAX];

	write_fixtures();
	make_dir(H.root, "auth");
	join(path, sizeof path, H.root, "auth");
	put_text(path, "secret.txt", "for token holders\n");
	make_dir(path, "json");
	make_dir(H.root, "cors");
	join(path, sizeof path, H.root, "cors");
	put_text(path, "x.txt", "not for other origins\n");
	make_dir(H.root, "json405");
	join(path, sizeof path, H.root, "json405");
	put_text(path, "x.txt", RO_FILE);
	make_dir(H.root, "hook");
	join(path, sizeof path, H.root, "hook");
	put_text(path, "allow", "allowed\n");
}

/* /api/echo and /api/small (body limit 10) answer with the body they asked for; /api/ignore
 * answers without reading it; everything else goes to the static-file handler. */
static int body_handler(ymk_request *req, void *user)
{
	const char *path = ymk_request_path(req);

	(void)user;
	if (strcmp(path, "/api/echo") == 0 || strcmp(path, "/api/small") == 0) {
		size_t len = 0;
		const void *body = ymk_request_body(req, &len);
		char num[32];

		if (body != NULL || !ymk_request_has_body(req)) {
			snprintf(num, sizeof num, "%zu", len);
			ymk_response_header(req, "X-Body-Len", num);
			return ymk_respond_buffer(req, 200, "application/octet-stream", body ? body : "",
						  len) == 0
				       ? 0
				       : 599;
		}
		if (strcmp(path, "/api/small") == 0 && ymk_request_set_body_limit(req, 10) != 0)
			return 599;
		return YMK_READ_BODY;
	}
	if (strcmp(path, "/api/ignore") == 0)
		return ymk_respond_buffer(req, 200, "text/plain", "ignored", 7) == 0 ? 0 : 599;
	if (strcmp(path, "/api/login") == 0) {
		/* A bare status after a header: the library's page carries the challenge. */
		if (ymk_response_header(req, "WWW-Authenticate", "Bearer realm=\"api\"") != 0)
			return 599;
		return 401;
	}
	if (strcmp(path, "/api/twice") == 0) {
		/* A header of the first call survives to the answer of the second. */
		if (!ymk_request_body(req, NULL)) {
			ymk_response_header(req, "X-First-Call", "1");
			return YMK_READ_BODY;
		}
		return ymk_respond_buffer(req, 200, "text/plain", "second", 6) == 0 ? 0 : 599;
	}
	return YMK_PASS;
}

static void start_rw(int i, ymk_policy_fn *policy)
{
	struct server_opts o = {.model = model_of(i), .methods = RW, .fixtures = write_fixtures,
				.policy = policy};

	start(&o);
}

/* ---------------------------------------------------------------------------------------------
 * 1-2: PUT
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_put_create_replace)
{
	static const char first[] = "new\r\nfile \0 with \xff bytes\n";
	static const char second[] = "replaced";
	struct text t = {0};
	char path[PATH_MAX];
	struct stat st;
	const char *ctx = "PUT /new.txt";
	tc_conn c;
	tc_response r;

	start_rw(_i, NULL);

	conn_open(&c);
	build(&t, "PUT", "/new.txt", NULL, first, sizeof first - 1);
	exchange_len(&c, t.p, t.len, false, &r);
	expect_created(&r, "/new.txt", ctx);
	tc_response_free(&r);
	expect_file("new.txt", first, sizeof first - 1, ctx);
	expect_mode("new.txt", 0644, ctx);
	/* The same connection serves a following request. */
	exchange(&c, "GET /new.txt HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	expect_status(&r, 200, "GET /new.txt after PUT on the same connection");
	expect_body(&r, first, sizeof first - 1, "GET /new.txt after PUT on the same connection");
	tc_response_free(&r);

	ctx = "PUT /new.txt (replace)";
	t.len = 0;
	build(&t, "PUT", "/new.txt", NULL, second, sizeof second - 1);
	exchange_len(&c, t.p, t.len, false, &r);
	expect_status(&r, 204, ctx);
	ck_assert_msg(r.body_len == 0, "%s: 204 with a body", ctx);
	tc_response_free(&r);
	expect_still_open(&c, "GET after a replacing PUT on the same connection");
	tc_close(&c);
	expect_get("/new.txt", second, sizeof second - 1, "GET /new.txt after the replace");
	expect_file("new.txt", second, sizeof second - 1, ctx);
	expect_mode("new.txt", 0644, ctx);

	ctx = "PUT /caf%C3%A9-new.txt";
	put_str("/caf%C3%A9-new.txt", NULL, "caf\xc3\xa9 body\n", &r);
	expect_created(&r, "/caf%C3%A9-new.txt", ctx);
	tc_response_free(&r);
	expect_file_str("caf\xc3\xa9-new.txt", "caf\xc3\xa9 body\n", ctx);
	expect_get("/caf%C3%A9-new.txt", "caf\xc3\xa9 body\n", 11, "GET /caf%C3%A9-new.txt");

	ctx = "PUT /with%20space-new.txt";
	put_str("/with%20space-new.txt", NULL, "spaced", &r);
	expect_created(&r, "/with%20space-new.txt", ctx);
	tc_response_free(&r);
	expect_file_str("with space-new.txt", "spaced", ctx);

	ctx = "PUT /empty-new.txt with Content-Length: 0";
	put_str("/empty-new.txt", NULL, "", &r);
	expect_created(&r, "/empty-new.txt", ctx);
	tc_response_free(&r);
	expect_file("empty-new.txt", "", 0, ctx);

	ctx = "PUT /sub/new.txt";
	put_str("/sub/new.txt", NULL, "in sub", &r);
	expect_created(&r, "/sub/new.txt", ctx);
	tc_response_free(&r);
	expect_file_str("sub/new.txt", "in sub", ctx);

	/* Location encodes what would otherwise end the path. */
	put_str("/a%3Fb%23c.txt", NULL, "qh", &r);
	expect_created(&r, "/a%3Fb%23c.txt", "PUT /a%3Fb%23c.txt");
	tc_response_free(&r);
	expect_file_str("a?b#c.txt", "qh", "PUT /a%3Fb%23c.txt");
	expect_request("PUT", "/linkdir%2Fx.txt", NULL, "via %2F", 403);
	expect_absent("sub/x.txt", "PUT /linkdir%2Fx.txt");
	expect_request("PUT", "/", NULL, "root", 409);
	expect_file_str("index.html", INDEX, "PUT /");

	/* A same-size replacement within the same second still changes the ETag. */
	{
		char etag1[256];
		char inm[300];

		put_str("/e.txt", NULL, "aaaaa", &r);
		expect_created(&r, "/e.txt", "PUT /e.txt");
		tc_response_free(&r);
		get("/e.txt", &r);
		ck_assert_msg(tc_header(&r, "ETag") != NULL, "GET /e.txt: no ETag");
		snprintf(etag1, sizeof etag1, "%s", tc_header(&r, "ETag"));
		tc_response_free(&r);
		put_str("/e.txt", NULL, "bbbbb", &r);
		expect_status(&r, 204, "PUT /e.txt (same size)");
		tc_response_free(&r);
		snprintf(inm, sizeof inm, "If-None-Match: %s\r\n", etag1);
		request("GET", "/e.txt", inm, NULL, 0, &r);
		expect_status(&r, 200, "GET /e.txt with the ETag of the replaced contents");
		expect_body_str(&r, "bbbbb", "GET /e.txt after a same-size replace");
		ck_assert_msg(tc_header(&r, "ETag") && strcmp(tc_header(&r, "ETag"), etag1) != 0,
			      "a same-size replacement kept the ETag %s", etag1);
		tc_response_free(&r);
	}

	/* A larger body, byte for byte. */
	{
		size_t n = 3u * 1024u * 1024u + 7u;
		char *big = malloc(n);

		ck_assert_ptr_nonnull(big);
		for (size_t i = 0; i < n; i++)
			big[i] = (char)big_byte(i * 13 + 5);
		request("PUT", "/big-new.bin", NULL, big, n, &r);
		expect_created(&r, "/big-new.bin", "PUT of 3 MiB");
		tc_response_free(&r);
		expect_file("big-new.bin", big, n, "PUT of 3 MiB");
		free(big);
	}

	/* The created file is a plain file with one link (no temp name left linked to it). */
	root_path(path, sizeof path, "new.txt");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_msg(st.st_nlink == 1, "new.txt has %lu links", (unsigned long)st.st_nlink);
	free(t.p);
	stop();
}
END_TEST

START_TEST(test_put_file_mode_config)
{
	struct server_opts o = {.model = model_of(_i), .methods = RW, .fixtures = write_fixtures,
				.file_mode = 0666};
	mode_t old_mask = umask(022);
	tc_response r;

	start(&o);
	umask(old_mask);
	put_str("/mode-new.txt", NULL, "mode", &r);
	expect_created(&r, "/mode-new.txt", "PUT /mode-new.txt (file mode 0666)");
	tc_response_free(&r);
	expect_mode("mode-new.txt", 0666, "PUT /mode-new.txt (file mode 0666, umask 022 not applied)");
	put_str("/w/target.txt", NULL, "replaced", &r);
	expect_status(&r, 204, "PUT /w/target.txt (file mode 0666)");
	tc_response_free(&r);
	expect_mode("w/target.txt", 0666, "replaced file gets the configured mode");
	stop();
}
END_TEST

START_TEST(test_put_chunked)
{
	static const char raw[] = "PUT /chunked.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
				  "\r\n"
				  "5\r\nHello\r\n"
				  "7;name=value\r\n, chunk\r\n"
				  "A\r\ned\r\nbytes!\r\n"
				  "0\r\nX-Trailer: t\r\n\r\n";
	static const char want[] = "Hello, chunked\r\nbytes!";
	static const char raw2[] = "PUT /chunked.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
				   "\r\n"
				   "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n"
				   "3;a=b;c\r\n123\r\n"
				   "0\r\n\r\n";
	struct text body = {0};
	struct text big = {0};
	size_t cuts[8];
	size_t head_len = (size_t)(strstr(raw2, "\r\n\r\n") + 4 - raw2);
	tc_conn c;
	tc_response r;

	start_rw(_i, NULL);
	conn_open(&c);
	exchange(&c, raw, false, &r);
	expect_created(&r, "/chunked.txt", "chunked PUT /chunked.txt");
	tc_response_free(&r);
	expect_file_str("chunked.txt", want, "chunked PUT /chunked.txt");
	exchange(&c, "GET /chunked.txt HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	expect_status(&r, 200, "GET /chunked.txt after the chunked PUT");
	expect_body_str(&r, want, "GET /chunked.txt after the chunked PUT");
	tc_response_free(&r);

	/* The same framing cut at awkward places: inside the size line, between CR and LF, inside
	 * the data, inside the last chunk and its empty trailer. */
	cuts[0] = head_len - 1;
	cuts[1] = head_len + 1;
	cuts[2] = head_len + 3;
	cuts[3] = head_len + 10;
	cuts[4] = head_len + 4 + 26 + 1;
	cuts[5] = sizeof raw2 - 1 - 4;
	cuts[6] = sizeof raw2 - 1 - 2;
	send_pieces(&c, raw2, sizeof raw2 - 1, cuts, 7, "chunked PUT in pieces");
	if (tc_read_response(&c, &r, false, IO_MS) < 0)
		ck_abort_msg("chunked PUT in pieces: %s", c.err);
	expect_status(&r, 204, "chunked PUT in pieces (replace)");
	tc_response_free(&r);
	expect_file_str("chunked.txt", "abcdefghijklmnopqrstuvwxyz123", "chunked PUT in pieces");
	expect_still_open(&c, "GET after the chunked PUT in pieces");
	tc_close(&c);

	/* A larger chunked body in 4 KiB chunks, lower-case hex. */
	text_add(&big, "PUT /chunked-big.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (size_t i = 0; i < 50; i++) {
		char chunk[4096];

		for (size_t j = 0; j < sizeof chunk; j++)
			chunk[j] = (char)big_byte(i * sizeof chunk + j);
		text_add(&big, "%zx\r\n", sizeof chunk);
		text_bytes(&big, chunk, sizeof chunk);
		text_bytes(&body, chunk, sizeof chunk);
		text_add(&big, "\r\n");
	}
	text_add(&big, "0\r\n\r\n");
	conn_open(&c);
	exchange_len(&c, big.p, big.len, false, &r);
	expect_created(&r, "/chunked-big.bin", "chunked PUT of 200 KiB");
	tc_response_free(&r);
	tc_close(&c);
	expect_file("chunked-big.bin", body.p, body.len, "chunked PUT of 200 KiB");
	free(big.p);
	free(body.p);
	stop();
}
END_TEST

/* A request pipelined right behind a body is not taken for body bytes. */
START_TEST(test_put_pipelined)
{
	static const char raw[] = "PUT /p.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
				  "GET /p.txt HTTP/1.1\r\nHost: x\r\n\r\n"
				  "PUT /p.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
				  "3\r\nbye\r\n0\r\n\r\n"
				  "GET /p.txt HTTP/1.1\r\nHost: x\r\n\r\n"
				  "DELETE /p.txt HTTP/1.1\r\nHost: x\r\n\r\n"
				  "GET /p.txt HTTP/1.1\r\nHost: x\r\n\r\n";
	static const int want[] = {201, 200, 204, 200, 204, 404};
	static const char *const bodies[] = {NULL, "hello", NULL, "bye", NULL, NULL};
	tc_conn c;

	start_rw(_i, NULL);
	conn_open(&c);
	ck_assert_msg(tc_send(&c, raw, sizeof raw - 1, IO_MS) == 0, "send: %s", c.err);
	for (size_t i = 0; i < NELEM(want); i++) {
		char ctx[64];
		tc_response r;

		snprintf(ctx, sizeof ctx, "pipelined response %zu of %zu", i + 1, NELEM(want));
		if (tc_read_response(&c, &r, false, IO_MS) < 0)
			ck_abort_msg("%s: %s", ctx, c.err);
		expect_status(&r, want[i], ctx);
		if (bodies[i])
			expect_body_str(&r, bodies[i], ctx);
		tc_response_free(&r);
	}
	expect_still_open(&c, "GET after pipelined writes");
	tc_close(&c);
	expect_absent("p.txt", "pipelined PUT, PUT, DELETE");
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 3: Expect: 100-continue
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_expect_continue)
{
	static const char head[] = "PUT /exp.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n"
				   "Expect: 100-continue\r\n\r\n";
	static const char denied[] = "PUT /denied/x.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n"
				     "Expect: 100-continue\r\n\r\n";
	tc_conn c;
	tc_response r;

	start_rw(_i, policy_misc);
	conn_open(&c);
	ck_assert_msg(tc_send_str(&c, head, IO_MS) == 0, "send: %s", c.err);
	expect_continue(&c, "PUT /exp.txt with Expect: 100-continue");
	exchange(&c, "hello world", false, &r);
	expect_created(&r, "/exp.txt", "PUT /exp.txt body after 100 Continue");
	tc_response_free(&r);
	expect_file_str("exp.txt", "hello world", "PUT /exp.txt with Expect");
	expect_still_open(&c, "GET after the PUT with Expect");
	tc_close(&c);

	/* Head and body in one go: at most one 100 first, then the final answer, nothing after. */
	conn_open(&c);
	ck_assert(tc_send_str(&c, "PUT /exp3.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
			      "Expect: 100-continue\r\n\r\nabc", IO_MS) == 0);
	if (tc_read_response(&c, &r, false, IO_MS) < 0)
		ck_abort_msg("PUT with Expect and the body at once: %s", c.err);
	if (r.status == 100) {
		tc_response_free(&r);
		if (tc_read_response(&c, &r, false, IO_MS) < 0)
			ck_abort_msg("PUT with Expect and the body at once, after 100: %s", c.err);
	}
	expect_created(&r, "/exp3.txt", "PUT with Expect and the body at once");
	tc_response_free(&r);
	expect_still_open(&c, "GET after PUT with Expect and the body at once");
	tc_close(&c);
	expect_file_str("exp3.txt", "abc", "PUT with Expect and the body at once");

	/* HTTP/1.0 has no 100 Continue: the expectation is ignored (RFC 9110 10.1.1). */
	conn_open(&c);
	ck_assert(tc_send_str(&c, "PUT /exp10.txt HTTP/1.0\r\nContent-Length: 4\r\n"
			      "Expect: 100-continue\r\n\r\n", IO_MS) == 0);
	ck_assert_msg(tc_wait_readable(&c, 300) == 0, "HTTP/1.0 PUT with Expect: the server sent "
		      "something before the body: %s", tc_show(c.buf, c.len));
	exchange(&c, "1.0!", false, &r);
	expect_created(&r, "/exp10.txt", "HTTP/1.0 PUT with Expect");
	tc_response_free(&r);
	tc_close(&c);
	expect_file_str("exp10.txt", "1.0!", "HTTP/1.0 PUT with Expect");

	/* The policy refuses: the final answer comes at once, no 100 first. */
	conn_open(&c);
	ck_assert_msg(tc_send_str(&c, denied, IO_MS) == 0, "send: %s", c.err);
	if (tc_read_response(&c, &r, false, IO_MS) < 0)
		ck_abort_msg("PUT /denied/x.txt with Expect: no response: %s", c.err);
	expect_status(&r, 403, "PUT /denied/x.txt with Expect (first response)");
	tc_response_free(&r);
	tc_close(&c);
	expect_absent("denied/x.txt", "PUT /denied/x.txt with Expect");
	stop();
}
END_TEST

START_TEST(test_expect_continue_limit)
{
	struct server_opts o = {.model = model_of(_i), .methods = RW, .fixtures = write_fixtures,
				.max_body = 1000};
	tc_conn c;
	tc_response r;

	start(&o);
	conn_open(&c);
	ck_assert_msg(tc_send_str(&c, "PUT /exp2.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n"
				      "Expect: 100-continue\r\n\r\n", IO_MS) == 0,
		      "send: %s", c.err);
	if (tc_read_response(&c, &r, false, IO_MS) < 0)
		ck_abort_msg("PUT over the limit with Expect: no response: %s", c.err);
	expect_status(&r, 413, "PUT over the limit with Expect (first response)");
	tc_response_free(&r);
	tc_close(&c);
	expect_absent("exp2.txt", "PUT over the limit with Expect");
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 4-5: limits, framing and refusals
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_put_limits_and_conflicts)
{
	struct server_opts o = {.model = model_of(_i), .methods = RW, .fixtures = write_fixtures,
				.max_body = 1000};
	struct names before;
	struct text t = {0};
	char *k1 = filled('k', 1000);
	tc_conn c;
	tc_response r;

	start(&o);
	list_names("w", &before);

	expect_request("PUT", "/w/new411.txt", NULL, NULL, 411);
	expect_absent("w/new411.txt", "PUT without a length");

	/* Over the limit by Content-Length: answered from the head alone. */
	conn_open(&c);
	ck_assert(tc_send_str(&c, "PUT /w/target.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n"
			      "\r\n", IO_MS) == 0);
	if (tc_read_response(&c, &r, false, IO_MS) < 0)
		ck_abort_msg("PUT with Content-Length 1001 over max_body 1000: no answer before the "
			     "body: %s", c.err);
	expect_status(&r, 413, "PUT with Content-Length 1001 over max_body 1000");
	tc_response_free(&r);
	tc_close(&c);
	expect_file_str("w/target.txt", OLD, "PUT over the limit");
	expect_clean("w", &before, NULL, "PUT over the limit");

	/* Chunked past the limit: 15 chunks of 100 bytes. */
	text_add(&t, "PUT /w/target.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 15; i++) {
		text_add(&t, "64\r\n");
		text_repeat(&t, 'z', 100);
		text_add(&t, "\r\n");
	}
	text_add(&t, "0\r\n\r\n");
	conn_open(&c);
	exchange_len(&c, t.p, t.len, false, &r);
	expect_status(&r, 413, "chunked PUT of 1500 bytes over max_body 1000");
	tc_response_free(&r);
	tc_close(&c);
	expect_file_str("w/target.txt", OLD, "chunked PUT over the limit");
	expect_clean("w", &before, NULL, "chunked PUT over the limit");

	/* Exactly at the limit is fine, either way. */
	request("PUT", "/exact.txt", NULL, k1, 1000, &r);
	expect_created(&r, "/exact.txt", "PUT of exactly max_body bytes");
	tc_response_free(&r);
	expect_file("exact.txt", k1, 1000, "PUT of exactly max_body bytes");
	free(t.p);
	t.p = NULL;
	t.len = 0;
	text_add(&t, "PUT /exact2.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "3e8\r\n");
	text_bytes(&t, k1, 1000);
	text_add(&t, "\r\n0\r\n\r\n");
	conn_open(&c);
	exchange_len(&c, t.p, t.len, false, &r);
	expect_created(&r, "/exact2.txt", "chunked PUT of exactly max_body bytes");
	tc_response_free(&r);
	tc_close(&c);
	expect_file("exact2.txt", k1, 1000, "chunked PUT of exactly max_body bytes");

	expect_request("PUT", "/w/target.txt", "Content-Range: bytes 0-4/10\r\n", "12345", 400);
	expect_file_str("w/target.txt", OLD, "PUT with Content-Range");

	/* Broken framing: refused, the old file untouched, nothing left behind. */
	{
		static const struct {
			const char *what;
			const char *raw;
		} bad[] = {
			{"Transfer-Encoding: gzip",
			 "PUT /w/target.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc"},
			{"Transfer-Encoding: chunked, gzip",
			 "PUT /w/target.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
			 "3\r\nabc\r\n0\r\n\r\n"},
			{"Content-Length with Transfer-Encoding",
			 "PUT /w/target.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
			{"two different Content-Length values",
			 "PUT /w/target.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
			 "Content-Length: 4\r\n\r\nabcd"},
			{"chunk size not hex",
			 "PUT /w/target.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "zz\r\nabc\r\n0\r\n\r\n"},
			{"chunk data not followed by CRLF",
			 "PUT /w/target.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "3\r\nabcdef\r\n0\r\n\r\n"},
			{"chunk size overflowing 64 bits",
			 "PUT /w/target.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "10000000000000003\r\nabc\r\n0\r\n\r\n"},
		};

		for (size_t i = 0; i < NELEM(bad); i++) {
			char ctx[128];

			snprintf(ctx, sizeof ctx, "PUT with %s", bad[i].what);
			conn_open(&c);
			exchange(&c, bad[i].raw, false, &r);
			ck_assert_msg(r.status == 400 || (i == 6 && r.status == 413),
				      "%s: expected status 400%s, got %d", ctx, i == 6 ? " or 413" : "",
				      r.status);
			tc_response_free(&r);
			tc_close(&c);
			expect_file_str("w/target.txt", OLD, ctx);
			expect_clean("w", &before, NULL, ctx);
		}
	}

	expect_request("PUT", "/sub", NULL, "dir", 409);
	expect_dir("sub", "PUT /sub");
	expect_file_str("sub/index.html", SUB_INDEX, "PUT /sub");
	expect_request("PUT", "/sub/", NULL, "dir", 409);
	expect_dir("sub", "PUT /sub/");
	expect_request("PUT", "/newdir/", NULL, "dir", 409);
	expect_absent("newdir", "PUT /newdir/");
	expect_request("PUT", "/missing/x.txt", NULL, "orphan", 409);
	expect_absent("missing", "PUT /missing/x.txt");
	expect_request("PUT", "/hello.txt/x", NULL, "under a file", 409);
	expect_file_str("hello.txt", HELLO, "PUT /hello.txt/x");

	names_free(&before);
	free(t.p);
	free(k1);
	stop();
}
END_TEST

/* Chunked framing needs CRLF everywhere (size lines, after data, trailers, the final line), and a
 * transfer coding other than chunked is 501: each is refused and closes the connection, the old
 * file stays as it was, a new one is not created, and no temporary file is left. */
START_TEST(test_put_chunked_strict)
{
	static const struct {
		const char *what;
		const char *body;
	} bare_lf[] = {
		{"bare LF after the size lines (issue 11)", "3\nabc\n0\n\n"},
		{"bare LF after a size line with an extension", "3;x=y\nabc\r\n0\r\n\r\n"},
		{"bare LF after chunk data", "3\r\nabc\n0\r\n\r\n"},
		{"bare LF after the last chunk's size", "3\r\nabc\r\n0\n\r\n"},
		{"bare LF after a trailer field", "3\r\nabc\r\n0\r\nX: y\n\r\n"},
		{"bare LF as the final empty line", "3\r\nabc\r\n0\r\n\n"},
	};
	static const char *const targets[] = {"/w/target.txt", "/w/new.txt"};
	struct names before;

	start_rw(_i, NULL);
	list_names("w", &before);
	for (size_t t = 0; t < NELEM(targets); t++) {
		for (size_t i = 0; i <= NELEM(bare_lf); i++) {
			bool coding = i == NELEM(bare_lf); /* the last round: a gzip coding */
			struct text raw = {0};
			char ctx[160];
			tc_conn c;
			tc_response r;

			snprintf(ctx, sizeof ctx, "chunked PUT %s with %s", targets[t],
				 coding ? "Transfer-Encoding: gzip, chunked" : bare_lf[i].what);
			text_add(&raw, "PUT %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: %s\r\n\r\n%s",
				 targets[t], coding ? "gzip, chunked" : "chunked",
				 coding ? "3\r\nabc\r\n0\r\n\r\n" : bare_lf[i].body);
			conn_open(&c);
			exchange_len(&c, raw.p, raw.len, false, &r);
			expect_status(&r, coding ? 501 : 400, ctx);
			expect_header(&r, "Connection", "close", ctx);
			expect_closed(&c, ctx);
			tc_response_free(&r);
			tc_close(&c);
			free(raw.p);
			expect_file_str("w/target.txt", OLD, ctx);
			expect_absent("w/new.txt", ctx);
			expect_clean("w", &before, NULL, ctx);
		}
	}
	/* The same framing with CRLF throughout is stored. */
	{
		tc_conn c;
		tc_response r;

		conn_open(&c);
		exchange(&c, "PUT /w/new.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			     "3;x=y\r\nabc\r\n0\r\nX: y\r\n\r\n", false, &r);
		expect_created(&r, "/w/new.txt", "chunked PUT /w/new.txt with CRLF throughout");
		tc_response_free(&r);
		tc_close(&c);
		expect_file_str("w/new.txt", "abc", "chunked PUT /w/new.txt with CRLF throughout");
	}
	names_free(&before);
	stop();
}
END_TEST

/* A chunk whose declared size alone takes the body past its limit is answered 413 at once: the
 * test sends the size line and no data, with the server's read timeout and body deadline far
 * beyond the client's wait, so a server that waited for the data could not answer in time. The
 * default 1 GiB limit (issue 11's 8000000000000000), a policy's lower PUT limit, and a handler's
 * body limit; nothing is stored, and the connection is closed. */
START_TEST(test_put_chunk_size_limit)
{
	static const struct {
		const char *what;
		const char *raw;
		const char *created; /* a file that must not appear, or NULL */
	} cases[] = {
		{"chunk size 8000000000000000 (limit 1 GiB)",
		 "PUT /uploads/big.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "8000000000000000\r\n",
		 "uploads/big.bin"},
		{"chunk size 40000001 (limit 1 GiB)",
		 "PUT /uploads/big.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "40000001;ext=1\r\n",
		 "uploads/big.bin"},
		{"chunk size 65 (policy limit 100)",
		 "PUT /uploads/small/a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "65\r\n",
		 "uploads/small/a.txt"},
		{"a second chunk past the policy limit of 100",
		 "PUT /uploads/small/b.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
		 "Expect: 100-continue\r\n\r\n"
		 "32\r\n01234567890123456789012345678901234567890123456789\r\n33\r\n",
		 "uploads/small/b.txt"},
		{"chunk size b (handler limit 10)",
		 "POST /api/small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n",
		 NULL},
	};
	struct server_opts o = {.model = model_of(_i), .methods = RW, .fixtures = write_fixtures,
				.policy = policy_uploads, .handler = body_handler,
				.read_timeout_ms = 60000, .body_grace_ms = 60000};
	struct names before;

	start(&o);
	list_names("uploads/small", &before);
	for (size_t i = 0; i < NELEM(cases); i++) {
		tc_conn c;
		tc_response r;

		conn_open(&c);
		ck_assert(tc_send_str(&c, cases[i].raw, IO_MS) == 0);
		if (tc_read_response(&c, &r, false, IO_MS) < 0)
			ck_abort_msg("%s: no answer before the chunk's data: %s", cases[i].what, c.err);
		if (r.status == 100) { /* the body was accepted for reading: the answer follows */
			tc_response_free(&r);
			if (tc_read_response(&c, &r, false, IO_MS) < 0)
				ck_abort_msg("%s: no final answer: %s", cases[i].what, c.err);
		}
		expect_status(&r, 413, cases[i].what);
		expect_header(&r, "Connection", "close", cases[i].what);
		expect_closed(&c, cases[i].what);
		tc_response_free(&r);
		tc_close(&c);
		if (cases[i].created)
			expect_absent(cases[i].created, cases[i].what);
		expect_clean("uploads/small", &before, NULL, cases[i].what);
	}
	names_free(&before);
	stop();
}
END_TEST

START_TEST(test_put_refused)
{
	struct names root_before;
	tc_response r;

	start_rw(_i, NULL);
	list_names("", &root_before);

	expect_request("PUT", "/../x.txt", NULL, "escape", 403);
	expect_absent_outside("x.txt", "PUT /../x.txt");
	expect_request("PUT", "/%2e%2e/x.txt", NULL, "escape", 403);
	expect_absent_outside("x.txt", "PUT /%2e%2e/x.txt");
	expect_request("PUT", "/sub/../../x.txt", NULL, "escape", 403);
	expect_absent_outside("x.txt", "PUT /sub/../../x.txt");
	expect_request("PUT", "/%2E%2E%2Fsecret.txt", NULL, "overwrite", 403);
	{
		char path[PATH_MAX];
		size_t len = 0;
		char *got;

		join(path, sizeof path, H.base, "secret.txt");
		got = read_whole(path, &len);
		ck_assert_msg(got != NULL && strcmp(got, SECRET) == 0,
			      "PUT /%%2E%%2E%%2Fsecret.txt changed the file outside the root");
		free(got);
	}

	expect_request("PUT", "/link-in.txt", NULL, "through the link", 403);
	expect_symlink("link-in.txt", "PUT /link-in.txt");
	expect_file_str("hello.txt", HELLO, "PUT /link-in.txt");
	expect_request("PUT", "/linkdir/x.txt", NULL, "through the dir link", 403);
	expect_absent("sub/x.txt", "PUT /linkdir/x.txt");

	expect_request("PUT", "/.ymk-upload-9", NULL, "reserved", 404);
	expect_absent(".ymk-upload-9", "PUT /.ymk-upload-9");
	expect_request("PUT", "/./.ymk-upload-9", NULL, "reserved", 404);
	expect_absent(".ymk-upload-9", "PUT /./.ymk-upload-9");
	expect_request("PUT", "/.ymk-upload-123", NULL, "reserved", 404);
	expect_file_str(".ymk-upload-123", RESERVED, "PUT /.ymk-upload-123");
	expect_request("PUT", "/sub/.ymk-upload-1", NULL, "reserved", 404);
	expect_absent("sub/.ymk-upload-1", "PUT /sub/.ymk-upload-1");

	expect_request("PUT", "/%zz.txt", NULL, "bad escape", 400);
	expect_request("PUT", "/a%00.txt", NULL, "nul", 400);

	/* Nothing at all was added to the root. */
	expect_clean("", &root_before, NULL, "refused PUTs");
	get("/hello.txt", &r);
	expect_status(&r, 200, "GET /hello.txt after refused PUTs");
	expect_body_str(&r, HELLO, "GET /hello.txt after refused PUTs");
	tc_response_free(&r);
	names_free(&root_before);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 6: failure safety
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_put_client_disconnects)
{
	static const char head[] = "PUT /w/target.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n"
				   "\r\n";
	static const char head_new[] = "PUT /w/gone.txt HTTP/1.1\r\nHost: x\r\n"
				       "Transfer-Encoding: chunked\r\n\r\n1000\r\n";
	char *part = filled('D', 5000);
	struct names before;
	tc_conn c;
	tc_response r;

	start_rw(_i, NULL);
	list_names("w", &before);

	conn_open(&c);
	ck_assert(tc_send_str(&c, head, IO_MS) == 0);
	ck_assert(tc_send(&c, part, 5000, IO_MS) == 0);
	tc_close(&c);
	expect_clean("w", &before, NULL, "PUT /w/target.txt, client gone after 5000 of 200000 bytes");
	expect_file_str("w/target.txt", OLD, "PUT /w/target.txt, client gone");

	/* A new file, chunked, client gone mid-chunk: nothing is created. */
	conn_open(&c);
	ck_assert(tc_send_str(&c, head_new, IO_MS) == 0);
	ck_assert(tc_send(&c, part, 3000, IO_MS) == 0);
	tc_close(&c);
	expect_clean("w", &before, NULL, "chunked PUT /w/gone.txt, client gone mid-chunk");

	/* The server is still serving, and nothing turned up late. */
	get("/w/target.txt", &r);
	expect_status(&r, 200, "GET /w/target.txt after the aborted uploads");
	expect_body_str(&r, OLD, "GET /w/target.txt after the aborted uploads");
	tc_response_free(&r);
	expect_clean("w", &before, NULL, "after the aborted uploads");
	names_free(&before);
	free(part);
	stop();
}
END_TEST

START_TEST(test_put_stalled_body)
{
	static const char head[] = "PUT /w/target.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n"
				   "\r\n";
	struct server_opts o = {.model = model_of(_i), .methods = RW, .fixtures = write_fixtures,
				.body_grace_ms = 500, .body_min_rate = 1000000, .read_timeout_ms = 1000};
	char *half = filled('S', 5000);
	struct names before;
	long long t0;
	long long took;
	size_t extra = 0;
	int rc;
	tc_conn c;
	tc_response r;

	start(&o);
	list_names("w", &before);
	conn_open(&c);
	ck_assert(tc_send_str(&c, head, IO_MS) == 0);
	ck_assert(tc_send(&c, half, 5000, IO_MS) == 0);
	t0 = tc_now_ms();
	if (tc_read_response(&c, &r, false, 4000) < 0)
		ck_abort_msg("stalled PUT (grace 500 ms, read timeout 1000 ms): no answer within 4 s: %s",
			     c.err);
	took = tc_now_ms() - t0;
	expect_status(&r, 408, "stalled PUT body");
	ck_assert_msg(took >= 300, "stalled PUT: 408 after only %lld ms (grace 500 ms)", took);
	tc_response_free(&r);
	rc = tc_wait_eof(&c, (int)(took < 4000 ? 4000 - took : 1), &extra);
	ck_assert_msg(rc == 1, "stalled PUT: no EOF within 4 s after the stall: %s", c.err);
	ck_assert_msg(extra == 0, "stalled PUT: %zu bytes after the 408", extra);
	tc_close(&c);
	expect_file_str("w/target.txt", OLD, "stalled PUT");
	expect_clean("w", &before, NULL, "stalled PUT");
	names_free(&before);
	free(half);
	stop();
}
END_TEST

START_TEST(test_upload_verdict)
{
	struct server_opts o = {.model = model_of(_i), .methods = RW, .fixtures = write_fixtures,
				.verdict = verdict_bad};
	struct names before;
	tc_response r;

	start(&o);
	list_names("w", &before);
	put_str("/w/target.txt", NULL, "BAD replacement", &r);
	expect_status(&r, 422, "PUT /w/target.txt rejected by the verdict");
	tc_response_free(&r);
	expect_file_str("w/target.txt", OLD, "PUT rejected by the verdict");
	expect_clean("w", &before, NULL, "PUT rejected by the verdict");

	{
		tc_conn c;

		conn_open(&c);
		exchange(&c, "PUT /w/new-bad.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			     "3\r\nBAD\r\n4\r\n new\r\n0\r\n\r\n",
			 false, &r);
		expect_status(&r, 422, "chunked PUT /w/new-bad.txt rejected by the verdict");
		tc_response_free(&r);
		tc_close(&c);
	}
	expect_absent("w/new-bad.txt", "new file rejected by the verdict");
	expect_clean("w", &before, NULL, "new file rejected by the verdict");

	put_str("/w/target.txt", NULL, "OK replacement", &r);
	expect_status(&r, 204, "PUT /w/target.txt accepted by the verdict");
	tc_response_free(&r);
	expect_file_str("w/target.txt", "OK replacement", "PUT accepted by the verdict");
	put_str("/w/fine.txt", NULL, "OK new", &r);
	expect_created(&r, "/w/fine.txt", "PUT /w/fine.txt accepted by the verdict");
	tc_response_free(&r);
	expect_clean("w", &before, "fine.txt", "PUTs accepted by the verdict");
	names_free(&before);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 7: the path policy
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_put_policy)
{
	char *b200 = filled('s', 200);
	char *b50 = filled('s', 50);
	tc_conn c;
	tc_response r;

	start_rw(_i, policy_uploads);

	expect_request("PUT", "/elsewhere.txt", NULL, "no", 403);
	expect_absent("elsewhere.txt", "PUT outside /uploads/");
	expect_request("PUT", "/w/target.txt", NULL, "no", 403);
	expect_file_str("w/target.txt", OLD, "PUT /w/target.txt outside /uploads/");
	get("/hello.txt", &r);
	expect_status(&r, 200, "GET /hello.txt under the upload policy");
	tc_response_free(&r);

	put_str("/uploads/a.txt", NULL, "uploaded", &r);
	expect_created(&r, "/uploads/a.txt", "PUT /uploads/a.txt");
	tc_response_free(&r);
	expect_file_str("uploads/a.txt", "uploaded", "PUT /uploads/a.txt");
	expect_mode("uploads/a.txt", 0644, "PUT /uploads/a.txt");

	request("PUT", "/uploads/small/x.txt", NULL, b200, 200, &r);
	expect_status(&r, 413, "PUT of 200 bytes under /uploads/small/ (policy limit 100)");
	tc_response_free(&r);
	expect_absent("uploads/small/x.txt", "PUT over the policy limit");
	request("PUT", "/uploads/small/x.txt", NULL, b50, 50, &r);
	expect_created(&r, "/uploads/small/x.txt", "PUT of 50 bytes under /uploads/small/");
	tc_response_free(&r);
	conn_open(&c);
	exchange(&c, "PUT /uploads/small/y.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "64\r\nssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss"
		     "ssssssssssssssssssss\r\n1\r\ns\r\n0\r\n\r\n",
		 false, &r);
	expect_status(&r, 413, "chunked PUT of 101 bytes under /uploads/small/ (policy limit 100)");
	tc_response_free(&r);
	tc_close(&c);
	expect_absent("uploads/small/y.txt", "chunked PUT over the policy limit");

	put_str("/uploads/private/p.txt", NULL, "private", &r);
	expect_created(&r, "/uploads/private/p.txt", "PUT /uploads/private/p.txt");
	tc_response_free(&r);
	expect_mode("uploads/private/p.txt", 0600, "PUT /uploads/private/p.txt");
	put_str("/uploads/private/p.txt", NULL, "private 2", &r);
	expect_status(&r, 204, "PUT /uploads/private/p.txt (replace)");
	tc_response_free(&r);
	expect_mode("uploads/private/p.txt", 0600, "PUT /uploads/private/p.txt (replace)");
	expect_file_str("uploads/private/p.txt", "private 2", "PUT /uploads/private/p.txt (replace)");

	expect_request("PUT", "/uploads/typed/t.txt", "Content-Type: application/json\r\n", "{}", 415);
	expect_request("PUT", "/uploads/typed/t.txt", NULL, "untyped", 415);
	expect_absent("uploads/typed/t.txt", "PUT refused with 415");
	put_str("/uploads/typed/t.txt", "Content-Type: text/plain\r\n", "typed", &r);
	expect_created(&r, "/uploads/typed/t.txt", "PUT /uploads/typed/t.txt as text/plain");
	tc_response_free(&r);

	/* The policy sees the declared length (and -1 for a chunked body). */
	expect_request("PUT", "/uploads/cl/big.txt", NULL, "01234567890123456789", 413);
	expect_absent("uploads/cl/big.txt", "PUT refused by the policy on its length");
	put_str("/uploads/cl/small.txt", NULL, "01234", &r);
	expect_created(&r, "/uploads/cl/small.txt", "PUT /uploads/cl/small.txt");
	tc_response_free(&r);
	conn_open(&c);
	exchange(&c, "PUT /uploads/cl/ch.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "2\r\nab\r\n0\r\n\r\n",
		 false, &r);
	expect_status(&r, 411, "chunked PUT under /uploads/cl/ (policy wants a length)");
	tc_response_free(&r);
	tc_close(&c);
	expect_absent("uploads/cl/ch.txt", "chunked PUT refused by the policy");
	free(b200);
	free(b50);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 8: concurrent uploads to one path
 * ------------------------------------------------------------------------------------------- */

#define RACE_LEN (1024u * 1024u)
#define RACE_PIECE (64u * 1024u)

START_TEST(test_concurrent_puts)
{
	static const char head[] = "PUT /race.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n";
	char *a = filled('A', RACE_LEN);
	char *b = filled('B', RACE_LEN);
	char path[PATH_MAX];
	struct names before;
	size_t len = 0;
	char *got;
	tc_conn ca;
	tc_conn cb;
	tc_response ra;
	tc_response rb;

	start_rw(_i, NULL);
	list_names("", &before);
	conn_open(&ca);
	conn_open(&cb);
	ck_assert_msg(tc_send_str(&ca, head, IO_MS) == 0, "A: %s", ca.err);
	ck_assert_msg(tc_send_str(&cb, head, IO_MS) == 0, "B: %s", cb.err);
	for (size_t off = 0; off < RACE_LEN; off += RACE_PIECE) {
		ck_assert_msg(tc_send(&ca, a + off, RACE_PIECE, IO_MS) == 0, "A at %zu: %s", off, ca.err);
		ck_assert_msg(tc_send(&cb, b + off, RACE_PIECE, IO_MS) == 0, "B at %zu: %s", off, cb.err);
	}
	if (tc_read_response(&ca, &ra, false, IO_MS) < 0)
		ck_abort_msg("concurrent PUT A: %s", ca.err);
	if (tc_read_response(&cb, &rb, false, IO_MS) < 0)
		ck_abort_msg("concurrent PUT B: %s", cb.err);
	ck_assert_msg((ra.status == 201 || ra.status == 204) && (rb.status == 201 || rb.status == 204),
		      "concurrent PUTs answered %d and %d (expected 201 or 204 each)", ra.status,
		      rb.status);
	tc_response_free(&ra);
	tc_response_free(&rb);
	tc_close(&ca);
	tc_close(&cb);

	root_path(path, sizeof path, "race.txt");
	got = read_whole(path, &len);
	ck_assert_msg(got != NULL, "race.txt missing after two PUTs");
	ck_assert_msg(len == RACE_LEN, "race.txt has %zu bytes, expected %u", len, RACE_LEN);
	ck_assert_msg(memcmp(got, a, RACE_LEN) == 0 || memcmp(got, b, RACE_LEN) == 0,
		      "race.txt is neither all 'A' nor all 'B' (starts %s)", tc_show(got, 16));
	free(got);
	expect_clean("", &before, "race.txt", "two concurrent PUTs");
	names_free(&before);
	free(a);
	free(b);
	stop();
}
END_TEST

/* A reader during an upload sees the old file whole; after it, the new one. */
START_TEST(test_put_atomic_for_readers)
{
	static const char head[] = "PUT /atomic.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n";
	char *a = filled('A', RACE_LEN);
	char *b = filled('B', RACE_LEN);
	tc_conn c;
	tc_response r;

	start_rw(_i, NULL);
	request("PUT", "/atomic.txt", NULL, a, RACE_LEN, &r);
	expect_created(&r, "/atomic.txt", "PUT /atomic.txt (all A)");
	tc_response_free(&r);

	conn_open(&c);
	ck_assert(tc_send_str(&c, head, IO_MS) == 0);
	ck_assert(tc_send(&c, b, RACE_LEN / 2, IO_MS) == 0);
	get("/atomic.txt", &r);
	expect_status(&r, 200, "GET /atomic.txt during the upload");
	expect_body(&r, a, RACE_LEN, "GET /atomic.txt during the upload (the old file, whole)");
	tc_response_free(&r);
	ck_assert(tc_send(&c, b + RACE_LEN / 2, RACE_LEN / 2, IO_MS) == 0);
	if (tc_read_response(&c, &r, false, IO_MS) < 0)
		ck_abort_msg("PUT /atomic.txt (all B): %s", c.err);
	expect_status(&r, 204, "PUT /atomic.txt (all B)");
	tc_response_free(&r);
	tc_close(&c);
	get("/atomic.txt", &r);
	expect_status(&r, 200, "GET /atomic.txt after the upload");
	expect_body(&r, b, RACE_LEN, "GET /atomic.txt after the upload");
	tc_response_free(&r);
	free(a);
	free(b);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 9-10: DELETE, OPTIONS, methods not enabled
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_delete)
{
	char path[PATH_MAX];
	const char *etag;
	char extra[256];
	tc_response r;

	start_rw(_i, policy_misc);

	request("DELETE", "/page.html", NULL, NULL, 0, &r);
	expect_status(&r, 204, "DELETE /page.html");
	ck_assert_msg(r.body_len == 0, "DELETE /page.html: 204 with a body");
	tc_response_free(&r);
	expect_absent("page.html", "DELETE /page.html");
	expect_request("GET", "/page.html", NULL, NULL, 404);
	expect_request("DELETE", "/page.html", NULL, NULL, 404);
	expect_request("DELETE", "/missing/x.txt", NULL, NULL, 404);

	expect_request("DELETE", "/sub", NULL, NULL, 403);
	expect_request("DELETE", "/sub/", NULL, NULL, 403);
	expect_dir("sub", "DELETE /sub");
	expect_file_str("sub/index.html", SUB_INDEX, "DELETE /sub");
	expect_request("DELETE", "/link-in.txt", NULL, NULL, 403);
	expect_symlink("link-in.txt", "DELETE /link-in.txt");
	expect_file_str("hello.txt", HELLO, "DELETE /link-in.txt");
	expect_request("DELETE", "/linkdir/index.html", NULL, NULL, 403);
	expect_file_str("sub/index.html", SUB_INDEX, "DELETE /linkdir/index.html");
	expect_request("DELETE", "/.ymk-upload-x", NULL, NULL, 404);
	expect_request("DELETE", "/.ymk-upload-123", NULL, NULL, 404);
	expect_file_str(".ymk-upload-123", RESERVED, "DELETE /.ymk-upload-123");
	expect_request("DELETE", "/hello.txt/x", NULL, NULL, 404);
	expect_file_str("hello.txt", HELLO, "DELETE /hello.txt/x");
	expect_request("DELETE", "/../secret.txt", NULL, NULL, 403);
	join(path, sizeof path, H.base, "secret.txt");
	ck_assert_msg(access(path, F_OK) == 0, "DELETE /../secret.txt removed the file outside");

	expect_request("DELETE", "/hello.txt", "If-Match: \"wrong\"\r\n", NULL, 412);
	expect_file_str("hello.txt", HELLO, "DELETE /hello.txt with a wrong If-Match");

	get("/with%20space.txt", &r);
	expect_status(&r, 200, "GET /with%20space.txt");
	etag = tc_header(&r, "ETag");
	ck_assert_msg(etag != NULL, "GET /with%%20space.txt: no ETag");
	snprintf(extra, sizeof extra, "If-Match: %s\r\n", etag);
	tc_response_free(&r);
	expect_request("DELETE", "/with%20space.txt", extra, NULL, 204);
	expect_absent("with space.txt", "DELETE with the matching If-Match");

	/* Refused by the policy under /ro/. */
	expect_request("DELETE", "/ro/x.txt", NULL, NULL, 403);
	expect_file_str("ro/x.txt", RO_FILE, "DELETE /ro/x.txt (policy)");

	/* Reads refused by the policy. */
	expect_request("GET", "/hidden/f.txt", NULL, NULL, 404);
	expect_request("HEAD", "/hidden/f.txt", NULL, NULL, 404);
	expect_request("GET", "/hello.txt", NULL, NULL, 200);

	/* A file made by PUT can be deleted again. */
	expect_request("PUT", "/tmp-made.txt", NULL, "x", 201);
	expect_request("DELETE", "/tmp-made.txt", NULL, NULL, 204);
	expect_absent("tmp-made.txt", "DELETE of a PUT file");

	/* A policy's 405 carries Allow (RFC 9110 15.5.6), the same as OPTIONS lists for the path. */
	{
		char allow[256];

		request("OPTIONS", "/ro405/x.txt", NULL, NULL, 0, &r);
		expect_status(&r, 204, "OPTIONS /ro405/x.txt");
		ck_assert_msg(tc_header(&r, "Allow") != NULL, "OPTIONS /ro405/x.txt: no Allow");
		snprintf(allow, sizeof allow, "%s", tc_header(&r, "Allow"));
		tc_response_free(&r);
		ck_assert_msg(strcmp(allow, ALLOW_PUT) == 0, "OPTIONS /ro405/x.txt: Allow \"%s\"", allow);
		request("DELETE", "/ro405/x.txt", NULL, NULL, 0, &r);
		expect_status(&r, 405, "DELETE /ro405/x.txt (policy 405)");
		expect_header(&r, "Allow", allow, "DELETE /ro405/x.txt (policy 405)");
		tc_response_free(&r);
		expect_file_str("ro405/x.txt", RO_FILE, "DELETE /ro405/x.txt (policy 405)");
	}
	stop();
}
END_TEST

START_TEST(test_methods_not_enabled)
{
	struct server_opts o = {.model = model_of(_i), .fixtures = write_fixtures};
	tc_response r;

	/* Default: reads only. */
	start(&o);
	request("PUT", "/x.txt", NULL, "x", 1, &r);
	expect_status(&r, 405, "PUT with the default methods");
	expect_header(&r, "Allow", ALLOW, "PUT with the default methods");
	tc_response_free(&r);
	expect_absent("x.txt", "PUT with the default methods");
	request("DELETE", "/hello.txt", NULL, NULL, 0, &r);
	expect_status(&r, 405, "DELETE with the default methods");
	expect_header(&r, "Allow", ALLOW, "DELETE with the default methods");
	tc_response_free(&r);
	expect_file_str("hello.txt", HELLO, "DELETE with the default methods");
	request("OPTIONS", "/hello.txt", NULL, NULL, 0, &r);
	expect_status(&r, 204, "OPTIONS /hello.txt with the default methods");
	expect_header(&r, "Allow", ALLOW, "OPTIONS /hello.txt with the default methods");
	tc_response_free(&r);
	stop();

	/* PUT only. */
	o.methods = YMK_METHODS_READ | YMK_METHOD_PUT;
	start(&o);
	request("DELETE", "/hello.txt", NULL, NULL, 0, &r);
	expect_status(&r, 405, "DELETE with GET, HEAD, OPTIONS, PUT enabled");
	expect_header(&r, "Allow", ALLOW_PUT, "DELETE with GET, HEAD, OPTIONS, PUT enabled");
	tc_response_free(&r);
	expect_file_str("hello.txt", HELLO, "DELETE not enabled");
	request("OPTIONS", "*", NULL, NULL, 0, &r);
	expect_status(&r, 204, "OPTIONS * with PUT enabled");
	expect_header(&r, "Allow", ALLOW_PUT, "OPTIONS * with PUT enabled");
	tc_response_free(&r);
	request("POST", "/hello.txt", NULL, "x", 1, &r);
	expect_status(&r, 405, "POST with PUT enabled");
	expect_header(&r, "Allow", ALLOW_PUT, "POST with PUT enabled");
	tc_response_free(&r);
	stop();

	/* DELETE only. */
	o.methods = YMK_METHODS_READ | YMK_METHOD_DELETE;
	start(&o);
	request("PUT", "/hello.txt", NULL, "x", 1, &r);
	expect_status(&r, 405, "PUT with GET, HEAD, OPTIONS, DELETE enabled");
	expect_header(&r, "Allow", ALLOW_DELETE, "PUT with GET, HEAD, OPTIONS, DELETE enabled");
	tc_response_free(&r);
	expect_file_str("hello.txt", HELLO, "PUT not enabled");
	stop();
}
END_TEST

START_TEST(test_options)
{
	static const struct {
		const char *target;
		const char *allow;
	} cases[] = {
		{"/hello.txt", ALLOW_ALL},
		{"/w/target.txt", ALLOW_ALL},
		{"/ro/x.txt", ALLOW_PUT},
		{"/denied/d.txt", ALLOW_DELETE},
		{"/sub/", ALLOW},
		{"*", ALLOW_ALL},
	};

	start_rw(_i, policy_misc);
	for (size_t i = 0; i < NELEM(cases); i++) {
		char ctx[128];
		tc_response r;

		snprintf(ctx, sizeof ctx, "OPTIONS %s (PUT and DELETE enabled)", cases[i].target);
		request("OPTIONS", cases[i].target, NULL, NULL, 0, &r);
		expect_status(&r, 204, ctx);
		expect_header(&r, "Allow", cases[i].allow, ctx);
		ck_assert_msg(r.body_len == 0, "%s: 204 with a body", ctx);
		tc_response_free(&r);
	}
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 11: PUT preconditions
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_put_preconditions)
{
	char inm[300];
	char extra[256];
	const char *etag;
	tc_response r;

	start_rw(_i, NULL);
	put_str("/w/target.txt", "If-None-Match: *\r\n", "must not land", &r);
	expect_status(&r, 412, "PUT /w/target.txt with If-None-Match: * (exists)");
	tc_response_free(&r);
	expect_file_str("w/target.txt", OLD, "PUT with If-None-Match: * on an existing file");

	put_str("/w/fresh.txt", "If-None-Match: *\r\n", "fresh", &r);
	expect_created(&r, "/w/fresh.txt", "PUT /w/fresh.txt with If-None-Match: * (missing)");
	tc_response_free(&r);
	expect_file_str("w/fresh.txt", "fresh", "PUT with If-None-Match: * on a missing file");

	put_str("/w/target.txt", "If-Match: \"nope\"\r\n", "must not land", &r);
	expect_status(&r, 412, "PUT /w/target.txt with If-Match: \"nope\"");
	tc_response_free(&r);
	expect_file_str("w/target.txt", OLD, "PUT with a wrong If-Match");

	put_str("/w/nothing.txt", "If-Match: \"nope\"\r\n", "must not land", &r);
	expect_status(&r, 412, "PUT /w/nothing.txt with If-Match on a missing file");
	tc_response_free(&r);
	expect_absent("w/nothing.txt", "PUT with If-Match on a missing file");

	get("/w/target.txt", &r);
	expect_status(&r, 200, "GET /w/target.txt");
	etag = tc_header(&r, "ETag");
	ck_assert_msg(etag != NULL, "GET /w/target.txt: no ETag");
	snprintf(extra, sizeof extra, "If-Match: %s\r\n", etag);
	tc_response_free(&r);
	put_str("/w/target.txt", extra, "matched", &r);
	expect_status(&r, 204, "PUT /w/target.txt with the current ETag in If-Match");
	tc_response_free(&r);
	expect_file_str("w/target.txt", "matched", "PUT with a matching If-Match");

	put_str("/w/target.txt", "If-Unmodified-Since: Tue, 31 Dec 2019 00:00:00 GMT\r\n", "late", &r);
	expect_status(&r, 412, "PUT /w/target.txt with If-Unmodified-Since before its mtime");
	tc_response_free(&r);
	expect_file_str("w/target.txt", "matched", "PUT with a failing If-Unmodified-Since");
	get("/w/target.txt", &r);
	ck_assert_msg(tc_header(&r, "ETag") != NULL, "GET /w/target.txt: no ETag");
	snprintf(inm, sizeof inm, "If-None-Match: %s\r\n", tc_header(&r, "ETag"));
	tc_response_free(&r);
	put_str("/w/target.txt", inm, "inm", &r);
	expect_status(&r, 412, "PUT /w/target.txt with its current ETag in If-None-Match");
	tc_response_free(&r);
	expect_file_str("w/target.txt", "matched", "PUT with a matching If-None-Match");
	expect_request("DELETE", "/w/target.txt", "If-None-Match: *\r\n", NULL, 412);
	expect_request("DELETE", "/w/target.txt", inm, NULL, 412);
	expect_request("DELETE", "/w/target.txt",
		       "If-Unmodified-Since: Tue, 31 Dec 2019 00:00:00 GMT\r\n", NULL, 412);
	expect_file_str("w/target.txt", "matched", "DELETE with failing preconditions");

	/* The old tag no longer matches. */
	put_str("/w/target.txt", extra, "stale", &r);
	expect_status(&r, 412, "PUT /w/target.txt with the previous ETag");
	tc_response_free(&r);
	expect_file_str("w/target.txt", "matched", "PUT with a stale If-Match");
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 12: a handler reading the body
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_handler_body)
{
	static const char bin[] = "a\0b\r\nc";
	struct server_opts o = {.model = model_of(_i), .methods = RW, .fixtures = write_fixtures,
				.handler = body_handler};
	struct text t = {0};
	size_t extra = 0;
	tc_conn c;
	tc_response r;

	start(&o);

	conn_open(&c);
	build(&t, "POST", "/api/echo", NULL, bin, sizeof bin - 1);
	exchange_len(&c, t.p, t.len, false, &r);
	expect_status(&r, 200, "POST /api/echo with Content-Length");
	expect_body(&r, bin, sizeof bin - 1, "POST /api/echo with Content-Length");
	expect_header(&r, "X-Body-Len", "6", "POST /api/echo with Content-Length");
	tc_response_free(&r);
	expect_still_open(&c, "GET after POST /api/echo");

	exchange(&c, "POST /api/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nX-T: 1\r\n\r\n",
		 false, &r);
	expect_status(&r, 200, "POST /api/echo chunked");
	expect_body_str(&r, "hello world", "POST /api/echo chunked");
	tc_response_free(&r);

	exchange(&c, "POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", false, &r);
	expect_status(&r, 200, "POST /api/echo with Content-Length: 0");
	expect_body_str(&r, "", "POST /api/echo with Content-Length: 0");
	expect_header(&r, "Content-Length", "0", "POST /api/echo with Content-Length: 0");
	tc_response_free(&r);

	ck_assert(tc_send_str(&c, "POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n"
			      "Expect: 100-continue\r\n\r\n", IO_MS) == 0);
	expect_continue(&c, "POST /api/echo with Expect: 100-continue");
	exchange(&c, "expected", false, &r);
	expect_status(&r, 200, "POST /api/echo after 100 Continue");
	expect_body_str(&r, "expected", "POST /api/echo after 100 Continue");
	tc_response_free(&r);
	expect_still_open(&c, "GET after POST /api/echo with Expect");
	tc_close(&c);

	request("POST", "/api/small", NULL, "01234567890123456789", 20, &r);
	expect_status(&r, 413, "POST /api/small with 20 bytes (body limit 10)");
	tc_response_free(&r);
	request("POST", "/api/small", NULL, "0123456789", 10, &r);
	expect_status(&r, 200, "POST /api/small with 10 bytes (body limit 10)");
	expect_body_str(&r, "0123456789", "POST /api/small with 10 bytes");
	tc_response_free(&r);
	conn_open(&c);
	exchange(&c, "POST /api/small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "8\r\n01234567\r\n8\r\n89012345\r\n0\r\n\r\n",
		 false, &r);
	expect_status(&r, 413, "chunked POST /api/small with 16 bytes (body limit 10)");
	tc_response_free(&r);
	tc_close(&c);

	/* A request pipelined behind a handler's body. */
	conn_open(&c);
	ck_assert(tc_send_str(&c, "POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n"
			      "abc" GET_HELLO, IO_MS) == 0);
	if (tc_read_response(&c, &r, false, IO_MS) < 0)
		ck_abort_msg("pipelined POST /api/echo: %s", c.err);
	expect_status(&r, 200, "pipelined POST /api/echo");
	expect_body_str(&r, "abc", "pipelined POST /api/echo");
	tc_response_free(&r);
	if (tc_read_response(&c, &r, false, IO_MS) < 0)
		ck_abort_msg("GET pipelined behind POST /api/echo: %s", c.err);
	expect_status(&r, 200, "GET pipelined behind POST /api/echo");
	expect_body_str(&r, HELLO, "GET pipelined behind POST /api/echo");
	tc_response_free(&r);
	tc_close(&c);

	/* Answered without reading the body: the answer, then the close. */
	conn_open(&c);
	exchange(&c, "GET /api/login HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	expect_status(&r, 401, "GET /api/login (a bare 401)");
	expect_header(&r, "WWW-Authenticate", "Bearer realm=\"api\"", "GET /api/login (a bare 401)");
	expect_header(&r, "Content-Type", "text/html; charset=utf-8", "GET /api/login (a bare 401)");
	tc_response_free(&r);
	exchange(&c, "POST /api/twice HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", false, &r);
	expect_status(&r, 200, "POST /api/twice");
	expect_header(&r, "X-First-Call", "1", "POST /api/twice (the first call's header)");
	expect_body_str(&r, "second", "POST /api/twice");
	tc_response_free(&r);

	exchange(&c, "POST /api/ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde", false,
		 &r);
	expect_status(&r, 200, "POST /api/ignore");
	expect_body_str(&r, "ignored", "POST /api/ignore");
	tc_response_free(&r);
	ck_assert_msg(tc_wait_eof(&c, CLOSE_MS, &extra) == 1,
		      "POST /api/ignore: connection not closed after an answer that left the body "
		      "unread: %s", c.err);
	ck_assert_msg(extra == 0, "POST /api/ignore: %zu bytes after the answer", extra);
	tc_close(&c);

	/* PUT still reaches the static-file handler through YMK_PASS. */
	expect_request("PUT", "/passed.txt", NULL, "passed", 201);
	expect_file_str("passed.txt", "passed", "PUT through a handler's YMK_PASS");

	/* Over the limit with Expect: the 413 comes at once, without a 100. */
	conn_open(&c);
	ck_assert(tc_send_str(&c, "POST /api/small HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n"
			      "Expect: 100-continue\r\n\r\n", IO_MS) == 0);
	if (tc_read_response(&c, &r, false, IO_MS) < 0)
		ck_abort_msg("POST /api/small (20 bytes) with Expect: %s", c.err);
	expect_status(&r, 413, "POST /api/small (20 bytes) with Expect (first response)");
	tc_response_free(&r);
	tc_close(&c);
	free(t.p);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 9: a flood of new connections does not starve the open ones
 * ------------------------------------------------------------------------------------------- */

#define FLOODERS 4
#define FLOOD_MS 3000     /* how long the keep-alive client keeps asking while the flood runs */
#define FAIR_MS 1000      /* the longest a keep-alive GET may wait during the flood */
#define FLOOD_TIMEOUT 1500 /* header and keep-alive timeouts of the flooded server */

static void flood_fixtures(void)
{
	char path[PATH_MAX];
	char name[32];

	write_fixtures();
	make_dir(H.root, "flood");
	make_dir(H.root, "many");
	join(path, sizeof path, H.root, "many");
	for (int i = 0; i < 400; i++) {
		snprintf(name, sizeof name, "entry-%03d.txt", i);
		put_text(path, name, "x");
	}
}

/* One flooder: new connections without end, each a PUT with a 4 KiB body or a GET of a large
 * listing, with Connection: close. Counts its answers in *done; ends when killed. */
static void flooder(int k, volatile unsigned *done)
{
	static char body[4096];
	char req[512];

	memset(body, 'f', sizeof body);
	for (unsigned n = 0;; n++) {
		tc_conn c;
		tc_response r;
		bool put = n % 2 == 0;

		if (tc_connect(&c, "127.0.0.1", H.port, IO_MS) < 0)
			continue;
		if (put)
			snprintf(req, sizeof req, "PUT /flood/%d.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
				 "Content-Length: %zu\r\n\r\n", k, sizeof body);
		else
			snprintf(req, sizeof req, "GET /many/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
		if (tc_send_str(&c, req, IO_MS) == 0 && (!put || tc_send(&c, body, sizeof body, IO_MS) == 0) &&
		    tc_read_response(&c, &r, false, IO_MS) == 0) {
			tc_response_free(&r);
			(*done)++;
		}
		tc_close(&c);
	}
}

START_TEST(test_flood_fairness)
{
	struct server_opts o = {.model = model_of(_i), .methods = RW, .fixtures = flood_fixtures,
				.listing = true, .header_timeout_ms = FLOOD_TIMEOUT,
				.keepalive_timeout_ms = FLOOD_TIMEOUT};
	volatile unsigned *done;
	pid_t kids[FLOODERS];
	tc_conn ka, slow, idle;
	tc_response r;
	long long t0, worst = 0;
	int gets = 0;

	start(&o);
	done = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(done != MAP_FAILED);
	for (int k = 0; k < FLOODERS; k++) {
		kids[k] = fork();
		ck_assert(kids[k] >= 0);
		if (kids[k] == 0) {
			alarm(60);
			flooder(k, &done[k]);
		}
	}
	/* The flood is on once every flooder has had answers. */
	t0 = tc_now_ms();
	for (int k = 0; k < FLOODERS; k++)
		while (done[k] < 3 && tc_now_ms() - t0 < 20000)
			poll(NULL, 0, 5);
	for (int k = 0; k < FLOODERS; k++)
		ck_assert_msg(done[k] >= 3, "flooder %d got %u answers in 20 s", k, done[k]);

	/* The keep-alive client connects into the flood: its accept and first answer count too. */
	conn_open(&ka);

	/* Deadlines must still fire: a head that never ends gets 408, an idle connection is closed. */
	conn_open(&slow);
	ck_assert(tc_send_str(&slow, "GET /hello.txt HTTP/1.1\r\nHost: x\r\n", IO_MS) == 0);
	conn_open(&idle);
	exchange(&idle, GET_HELLO, false, &r); /* then idle: the keep-alive timeout applies */
	expect_status(&r, 200, "GET /hello.txt on the connection left idle");
	tc_response_free(&r);
	long long t_deadlines = tc_now_ms();

	t0 = tc_now_ms();
	while (tc_now_ms() - t0 < FLOOD_MS) {
		long long t = tc_now_ms();
		ck_assert_msg(tc_send_str(&ka, GET_HELLO, IO_MS) == 0, "keep-alive GET %d: %s", gets, ka.err);
		if (tc_read_response(&ka, &r, false, IO_MS) < 0)
			ck_abort_msg("keep-alive GET %d during the flood: %s", gets, ka.err);
		t = tc_now_ms() - t;
		expect_status(&r, 200, "keep-alive GET during the flood");
		expect_body_str(&r, HELLO, "keep-alive GET during the flood");
		tc_response_free(&r);
		worst = t > worst ? t : worst;
		ck_assert_msg(t <= FAIR_MS, "keep-alive GET %d waited %lld ms during the flood (at most %d)",
			      gets, t, FAIR_MS);
		gets++;
		poll(NULL, 0, 10);
	}

	/* Both deadlines (1.5 s) passed during the flood; each must have fired within 2 s after it. */
	if (tc_read_response(&slow, &r, false, (int)(FLOOD_TIMEOUT + 2000 - (tc_now_ms() - t_deadlines))) < 0)
		ck_abort_msg("the unfinished head got no 408 during the flood: %s", slow.err);
	expect_status(&r, 408, "unfinished head during the flood");
	tc_response_free(&r);
	ck_assert_msg(tc_wait_eof(&idle, (int)(FLOOD_TIMEOUT + 2000 - (tc_now_ms() - t_deadlines)), NULL) == 1,
		      "the idle connection was not closed at its deadline during the flood");
	for (int k = 0; k < FLOODERS; k++) {
		kill(kids[k], SIGKILL);
		waitpid(kids[k], NULL, 0);
	}
	ck_assert_msg(gets >= 10, "only %d keep-alive GETs in %d ms", gets, FLOOD_MS);
	tc_close(&ka);
	tc_close(&slow);
	tc_close(&idle);
	munmap((void *)done, 4096);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * 13: refusals with headers and bodies
 * ------------------------------------------------------------------------------------------- */

/* The library's page for a status, as ymk__respond_error() builds it. */
static void page_for(char *out, size_t size, const char *title)
{
	snprintf(out, size,
		 "<!DOCTYPE html>\n<html><head><title>%s</title></head><body><h1>%s</h1></body></html>\n",
		 title, title);
}

/* The headers every library page carries. */
static void expect_page_headers(const tc_response *r, const char *ctx)
{
	expect_header(r, "Content-Type", "text/html; charset=utf-8", ctx);
	expect_header(r, "X-Content-Type-Options", "nosniff", ctx);
	expect_date(r, "Date", ctx);
}

START_TEST(test_policy_refusal_headers)
{
	struct server_opts o = {.model = model_of(_i), .methods = RW, .fixtures = refusal_fixtures,
				.policy = policy_refuse};
	char page[256], len[16];
	tc_conn c;
	tc_response r;

	start(&o);

	/* 401 with the challenge RFC 9110 11.6.1 requires, on the library's page. */
	page_for(page, sizeof page, "401 Unauthorized");
	get("/auth/secret.txt", &r);
	expect_status(&r, 401, "GET /auth/secret.txt without a token");
	expect_header(&r, "WWW-Authenticate", "Bearer realm=\"tests\"", "GET /auth/secret.txt");
	expect_header(&r, "Cache-Control", "no-store", "GET /auth/secret.txt");
	ck_assert_uint_eq(tc_header_count(&r, "WWW-Authenticate"), 1);
	expect_page_headers(&r, "GET /auth/secret.txt");
	expect_body_str(&r, page, "GET /auth/secret.txt");
	tc_response_free(&r);
	request("GET", "/auth/secret.txt", "Authorization: Bearer good\r\n", NULL, 0, &r);
	expect_status(&r, 200, "GET /auth/secret.txt with the token");
	expect_body_str(&r, "for token holders\n", "GET /auth/secret.txt with the token");
	expect_no_header(&r, "WWW-Authenticate", "GET /auth/secret.txt with the token");
	tc_response_free(&r);

	/* HEAD: the same head, no body; the next answer on the connection proves it. */
	conn_open(&c);
	exchange(&c, "HEAD /auth/secret.txt HTTP/1.1\r\nHost: x\r\n\r\n", true, &r);
	expect_status(&r, 401, "HEAD /auth/secret.txt");
	expect_header(&r, "WWW-Authenticate", "Bearer realm=\"tests\"", "HEAD /auth/secret.txt");
	snprintf(len, sizeof len, "%zu", strlen(page));
	expect_header(&r, "Content-Length", len, "HEAD /auth/secret.txt");
	expect_page_headers(&r, "HEAD /auth/secret.txt");
	tc_response_free(&r);
	exchange(&c, "HEAD /auth/json/x HTTP/1.1\r\nHost: x\r\n\r\n", true, &r);
	expect_status(&r, 401, "HEAD /auth/json/x");
	expect_header(&r, "Content-Type", "application/json", "HEAD /auth/json/x");
	snprintf(len, sizeof len, "%zu", strlen(J401));
	expect_header(&r, "Content-Length", len, "HEAD /auth/json/x");
	tc_response_free(&r);
	exchange(&c, GET_HELLO, false, &r);
	expect_status(&r, 200, "GET /hello.txt after two refused HEADs");
	expect_body_str(&r, HELLO, "GET /hello.txt after two refused HEADs");
	tc_response_free(&r);
	tc_close(&c);

	/* The policy's own body and type. */
	get("/auth/json/x", &r);
	expect_status(&r, 401, "GET /auth/json/x");
	expect_header(&r, "Content-Type", "application/json", "GET /auth/json/x");
	expect_header(&r, "WWW-Authenticate", "Bearer realm=\"tests\"", "GET /auth/json/x");
	expect_header(&r, "X-Content-Type-Options", "nosniff", "GET /auth/json/x");
	expect_no_header(&r, "Accept-Ranges", "GET /auth/json/x");
	expect_body_str(&r, J401, "GET /auth/json/x");
	tc_response_free(&r);
	/* A Range does not apply to a refusal. */
	request("GET", "/auth/json/x", "Range: bytes=0-1\r\n", NULL, 0, &r);
	expect_status(&r, 401, "GET /auth/json/x with Range");
	expect_body_str(&r, J401, "GET /auth/json/x with Range");
	tc_response_free(&r);

	/* A refused PUT: nothing stored, the unread body closes the connection. */
	conn_open(&c);
	exchange(&c, "PUT /auth/json/new.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde",
		 false, &r);
	expect_status(&r, 401, "PUT /auth/json/new.txt");
	expect_header(&r, "WWW-Authenticate", "Bearer realm=\"tests\"", "PUT /auth/json/new.txt");
	expect_header(&r, "Connection", "close", "PUT /auth/json/new.txt");
	expect_body_str(&r, J401, "PUT /auth/json/new.txt");
	tc_response_free(&r);
	expect_closed(&c, "PUT /auth/json/new.txt refused before its body");
	tc_close(&c);
	expect_absent("auth/json/new.txt", "PUT refused with 401");
	expect_request("PUT", "/auth/json/new.txt", "Authorization: Bearer good\r\n", "abcde", 201);
	expect_file_str("auth/json/new.txt", "abcde", "PUT with the token");

	/* 403 with CORS headers. */
	request("GET", "/cors/x.txt", "Origin: https://app.example\r\n", NULL, 0, &r);
	expect_status(&r, 403, "GET /cors/x.txt");
	expect_header(&r, "Access-Control-Allow-Origin", "https://app.example", "GET /cors/x.txt");
	expect_header(&r, "Vary", "Origin", "GET /cors/x.txt");
	page_for(page, sizeof page, "403 Forbidden");
	expect_body_str(&r, page, "GET /cors/x.txt");
	tc_response_free(&r);

	/* A 405 with the policy's body still says what is allowed, once. */
	request("DELETE", "/json405/x.txt", NULL, NULL, 0, &r);
	expect_status(&r, 405, "DELETE /json405/x.txt");
	expect_header(&r, "Allow", ALLOW_PUT, "DELETE /json405/x.txt");
	ck_assert_uint_eq(tc_header_count(&r, "Allow"), 1);
	expect_header(&r, "Content-Type", "application/json", "DELETE /json405/x.txt");
	expect_body_str(&r, J405, "DELETE /json405/x.txt");
	tc_response_free(&r);
	expect_file_str("json405/x.txt", RO_FILE, "DELETE refused with 405");

	/* Inside a policy: no success answers, no fd answers, no Allow or Content-Type header. */
	get("/hook/rc", &r);
	expect_status(&r, 403, "GET /hook/rc");
	{
		char want[160];

		snprintf(want, sizeof want, "%d %d %d %d %d", YMK_EINVAL, YMK_EINVAL, YMK_EINVAL,
			 YMK_EINVAL, YMK_EINVAL);
		expect_header(&r, "X-Rc", want, "GET /hook/rc");
	}
	tc_response_free(&r);
	/* An answer given is the refusal, whatever the policy then returns. */
	get("/hook/closed", &r);
	expect_status(&r, 403, "GET /hook/closed");
	expect_header(&r, "Content-Type", "text/plain; charset=utf-8", "GET /hook/closed");
	expect_body_str(&r, "closed\n", "GET /hook/closed");
	tc_response_free(&r);

	/* A policy that allows: its header goes on the success answer, not on library errors. */
	get("/hook/allow", &r);
	expect_status(&r, 200, "GET /hook/allow");
	expect_header(&r, "X-Policy", "allowed", "GET /hook/allow");
	expect_body_str(&r, "allowed\n", "GET /hook/allow");
	tc_response_free(&r);
	request("GET", "/hook/allow", "Range: bytes=9-\r\n", NULL, 0, &r);
	expect_status(&r, 416, "GET /hook/allow with an unsatisfiable Range");
	expect_no_header(&r, "X-Policy", "416 made by the library");
	expect_page_headers(&r, "416 made by the library");
	tc_response_free(&r);
	stop();
}
END_TEST

START_TEST(test_refusal_probes)
{
	struct server_opts o = {.model = model_of(_i), .methods = RW, .fixtures = refusal_fixtures,
				.policy = policy_refuse};
	static const struct {
		const char *target;
		const char *allow;
	} cases[] = {
		{"/auth/secret.txt", ALLOW_PUT},
		{"/auth/json/x", ALLOW_PUT},
		{"/cors/x.txt", "OPTIONS, PUT, DELETE"},
		{"/json405/x.txt", ALLOW_PUT},
		{"/hook/rc", ALLOW_ALL},
	};

	start(&o);
	for (size_t i = 0; i < NELEM(cases); i++) {
		char ctx[128];
		tc_response r;

		snprintf(ctx, sizeof ctx, "OPTIONS %s", cases[i].target);
		request("OPTIONS", cases[i].target, NULL, NULL, 0, &r);
		expect_status(&r, 204, ctx);
		expect_header(&r, "Allow", cases[i].allow, ctx);
		expect_no_header(&r, "X-Probe", ctx);
		expect_no_header(&r, "WWW-Authenticate", ctx);
		expect_no_header(&r, "Content-Type", ctx);
		ck_assert_msg(r.body_len == 0, "%s: 204 with a body", ctx);
		tc_response_free(&r);
	}
	stop();
}
END_TEST

START_TEST(test_verdict_refusal_body)
{
	struct server_opts o = {.model = model_of(_i), .methods = RW, .fixtures = refusal_fixtures,
				.policy = policy_refuse, .verdict = verdict_refuse};
	struct names before;
	char page[256];
	tc_conn c;
	tc_response r;

	start(&o);
	list_names("w", &before);

	/* 422 with a JSON body and its type; the body was read, so the connection stays open. */
	conn_open(&c);
	exchange(&c, "PUT /w/target.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\nBAD img", false,
		 &r);
	expect_status(&r, 422, "PUT /w/target.txt (BAD)");
	expect_header(&r, "Content-Type", "application/json", "PUT /w/target.txt (BAD)");
	expect_header(&r, "X-Reason", "magic", "PUT /w/target.txt (BAD)");
	expect_header(&r, "X-Content-Type-Options", "nosniff", "PUT /w/target.txt (BAD)");
	expect_no_header(&r, "Connection", "PUT /w/target.txt (BAD)");
	expect_body_str(&r, J422, "PUT /w/target.txt (BAD)");
	tc_response_free(&r);
	expect_still_open(&c, "GET after a verdict's 422");
	/* The same on a chunked body. */
	exchange(&c, "PUT /w/new.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "3\r\nBAD\r\n2\r\n!!\r\n0\r\n\r\n",
		 false, &r);
	expect_status(&r, 422, "chunked PUT /w/new.txt (BAD)");
	expect_body_str(&r, J422, "chunked PUT /w/new.txt (BAD)");
	tc_response_free(&r);
	tc_close(&c);
	expect_file_str("w/target.txt", OLD, "PUT refused by the verdict with a body");
	expect_absent("w/new.txt", "new file refused by the verdict with a body");
	expect_clean("w", &before, NULL, "PUTs refused by the verdict with a body");

	/* A header on the library's page. */
	put_str("/w/target.txt", NULL, "HDR busy", &r);
	expect_status(&r, 503, "PUT /w/target.txt (HDR)");
	expect_header(&r, "Retry-After", "30", "PUT /w/target.txt (HDR)");
	page_for(page, sizeof page, "503 Service Unavailable");
	expect_page_headers(&r, "PUT /w/target.txt (HDR)");
	expect_body_str(&r, page, "PUT /w/target.txt (HDR)");
	tc_response_free(&r);
	expect_file_str("w/target.txt", OLD, "PUT refused by the verdict with a header");

	/* Accepted: the verdict's header goes on the 204 and the 201. */
	put_str("/w/target.txt", NULL, "fine", &r);
	expect_status(&r, 204, "PUT /w/target.txt (fine)");
	expect_header(&r, "X-Verdict", "ok", "PUT /w/target.txt (fine)");
	tc_response_free(&r);
	put_str("/w/made.txt", NULL, "fine", &r);
	expect_created(&r, "/w/made.txt", "PUT /w/made.txt (fine)");
	expect_header(&r, "X-Verdict", "ok", "PUT /w/made.txt (fine)");
	tc_response_free(&r);
	expect_file_str("w/target.txt", "fine", "PUT accepted by the verdict");
	expect_clean("w", &before, "made.txt", "PUTs accepted by the verdict");
	names_free(&before);
	stop();
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * The runner
 * ------------------------------------------------------------------------------------------- */

static Suite *write_suite(void)
{
	Suite *s = suite_create("write");
	TCase *tc;

	tc = harness_case("put", 60);
	tcase_add_loop_test(tc, test_put_create_replace, 0, 2);
	tcase_add_loop_test(tc, test_put_file_mode_config, 0, 2);
	tcase_add_loop_test(tc, test_put_chunked, 0, 2);
	tcase_add_loop_test(tc, test_put_pipelined, 0, 2);
	tcase_add_loop_test(tc, test_expect_continue, 0, 2);
	tcase_add_loop_test(tc, test_expect_continue_limit, 0, 2);
	tcase_add_loop_test(tc, test_put_limits_and_conflicts, 0, 2);
	tcase_add_loop_test(tc, test_put_refused, 0, 2);
	tcase_add_loop_test(tc, test_put_chunked_strict, 0, 2);
	tcase_add_loop_test(tc, test_put_chunk_size_limit, 0, 2);
	tcase_add_loop_test(tc, test_put_preconditions, 0, 2);
	suite_add_tcase(s, tc);

	tc = harness_case("safety", 60);
	tcase_add_loop_test(tc, test_put_client_disconnects, 0, 2);
	tcase_add_loop_test(tc, test_put_stalled_body, 0, 2);
	tcase_add_loop_test(tc, test_upload_verdict, 0, 2);
	tcase_add_loop_test(tc, test_concurrent_puts, 0, 2);
	tcase_add_loop_test(tc, test_put_atomic_for_readers, 0, 2);
	tcase_add_loop_test(tc, test_flood_fairness, 0, 2);
	suite_add_tcase(s, tc);

	tc = harness_case("policy", 60);
	tcase_add_loop_test(tc, test_put_policy, 0, 2);
	suite_add_tcase(s, tc);

	tc = harness_case("delete-options", 60);
	tcase_add_loop_test(tc, test_delete, 0, 2);
	tcase_add_loop_test(tc, test_methods_not_enabled, 0, 2);
	tcase_add_loop_test(tc, test_options, 0, 2);
	suite_add_tcase(s, tc);

	tc = harness_case("refusals", 60);
	tcase_add_loop_test(tc, test_policy_refusal_headers, 0, 2);
	tcase_add_loop_test(tc, test_refusal_probes, 0, 2);
	tcase_add_loop_test(tc, test_verdict_refusal_body, 0, 2);
	suite_add_tcase(s, tc);

	tc = harness_case("handler", 60);
	tcase_add_loop_test(tc, test_handler_body, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(write_suite());
}
