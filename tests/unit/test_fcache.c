/* test_fcache.c: the open-file cache must never serve what is no longer there. Served through a
 * real server (event model, in a thread): a file rewritten in place, replaced by rename, deleted,
 * grown past the in-memory size; a directory renamed away (stale for at most the validity
 * window); the number of open descriptors bounded by the cache size; and the cache turned off.
 * The ETag, Last-Modified and media type an entry keeps must follow the file too, and a MIME hook
 * must still be asked on every request. */
#include "../thread_server.h"
#include "cond.h"
#include "ymawky.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char root[64];

static void put_file(const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* GET path (with the header lines in more, may be "") on a fresh connection: returns the status,
 * the head into head (when not NULL) and the body into out. */
static int exchange(int port, const char *path, const char *more, char *head, size_t head_cap, char *out,
		    size_t cap)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	char req[512], buf[65536];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n", path,
			 more);
	ck_assert_int_eq(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
	size_t got = 0;
	long long end = now_ms() + 5000;
	while (got < sizeof buf - 1 && now_ms() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t r = recv(fd, buf + got, sizeof buf - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	const char *sep = strstr(buf, "\r\n\r\n");
	snprintf(out, cap, "%s", sep ? sep + 4 : "");
	if (head)
		snprintf(head, head_cap, "%.*s", sep ? (int)(sep + 2 - buf) : 0, buf);
	return got > 12 ? atoi(buf + 9) : -1;
}

static int get(int port, const char *path, char *out, size_t cap)
{
	return exchange(port, path, "", NULL, 0, out, cap);
}

/* The value of header name in head (name given with its colon and space), into out. */
static void header_of(const char *head, const char *name, char *out, size_t cap)
{
	const char *h = strstr(head, name);
	ck_assert_msg(h != NULL, "no %s in %s", name, head);
	h += strlen(name);
	snprintf(out, cap, "%.*s", (int)strcspn(h, "\r\n"), h);
}

/* The ETag and Last-Modified values the file at rel should be served with now. */
static void validators_of(const char *rel, char *etag, char *lastmod)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", root, rel);
	ck_assert_int_eq(stat(p, &st), 0);
	etag[ymk__etag(&st, etag)] = '\0';
	struct tm tm;
	ck_assert_ptr_nonnull(gmtime_r(&st.st_mtime, &tm));
	ck_assert_uint_gt(strftime(lastmod, 32, "%a, %d %b %Y %H:%M:%S GMT", &tm), 0);
}

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/* Starts a server in a thread (with the MIME hook, when not NULL); r must stay where it is until
 * stop(r). */
static void start_with(struct runner *r, unsigned entries, unsigned valid_ms, ymk_mime_fn *mime)
{
	ymk_config *cfg;
	memset(r, 0, sizeof *r);
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_root(cfg, root), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
	ck_assert_int_eq(ymk_config_set_file_cache(cfg, entries, valid_ms), 0);
	if (mime)
		ck_assert_int_eq(ymk_config_set_mime_hook(cfg, mime, NULL), 0);
	ck_assert_int_eq(ymk_server_new(&r->srv, cfg), 0);
	ymk_config_free(cfg);
	ck_assert_int_eq(pthread_create(&r->t, NULL, run_thread, r), 0);
}

static void start(struct runner *r, unsigned entries, unsigned valid_ms)
{
	start_with(r, entries, valid_ms, NULL);
}

static void stop(struct runner *r)
{
	ymk_server_stop(r->srv);
	pthread_join(r->t, NULL);
	ck_assert_int_eq(r->rc, 0);
	ymk_server_free(r->srv);
}

static void setup(void)
{
	strcpy(root, "/tmp/ymk-fcache-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_changes_are_seen)
{
	char body[65536], p[256], q[256];
	put_file("a.txt", "one");
	struct runner r;
	start(&r, 64, 60000); /* a long window: only revalidation can save us */
	int port = ymk_server_port(r.srv);
	ck_assert_int_eq(get(port, "/a.txt", body, sizeof body), 200);
	ck_assert_str_eq(body, "one");

	/* Rewritten in place, same size: mtime/ctime change. */
	struct timespec pause = {0, 20 * 1000 * 1000};
	nanosleep(&pause, NULL);
	put_file("a.txt", "two");
	ck_assert_int_eq(get(port, "/a.txt", body, sizeof body), 200);
	ck_assert_str_eq(body, "two");

	/* Replaced by rename (what an atomic upload does). */
	put_file("a.new", "three");
	snprintf(p, sizeof p, "%s/a.new", root);
	snprintf(q, sizeof q, "%s/a.txt", root);
	ck_assert_int_eq(rename(p, q), 0);
	ck_assert_int_eq(get(port, "/a.txt", body, sizeof body), 200);
	ck_assert_str_eq(body, "three");

	/* Grown past the in-memory size: served by sendfile, whole. */
	char *big = malloc(40001);
	memset(big, 'b', 40000);
	big[40000] = '\0';
	put_file("a.txt", big);
	ck_assert_int_eq(get(port, "/a.txt", body, sizeof body), 200);
	ck_assert_str_eq(body, big);
	free(big);

	/* Deleted. */
	ck_assert_int_eq(unlink(q), 0);
	ck_assert_int_eq(get(port, "/a.txt", body, sizeof body), 404);
	stop(&r);
}
END_TEST

START_TEST(test_directory_swap_bounded)
{
	char body[256], p[256], q[256];
	snprintf(p, sizeof p, "%s/d", root);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	put_file("d/b.txt", "old");
	struct runner r;
	start(&r, 64, 300);
	int port = ymk_server_port(r.srv);
	ck_assert_int_eq(get(port, "/d/b.txt", body, sizeof body), 200);
	ck_assert_str_eq(body, "old");
	/* The directory moves away (its file lives on, unchanged) and a new one takes its place. */
	snprintf(q, sizeof q, "%s/d.old", root);
	ck_assert_int_eq(rename(p, q), 0);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	put_file("d/b.txt", "new");
	long long t0 = now_ms();
	int fresh = 0;
	while (!fresh && now_ms() - t0 < 3000) {
		ck_assert_int_eq(get(port, "/d/b.txt", body, sizeof body), 200);
		fresh = !strcmp(body, "new");
		if (!fresh)
			ck_assert_str_eq(body, "old");
	}
	ck_assert_msg(fresh, "still stale after 3 s with a 300 ms validity");
	ck_assert_int_le(now_ms() - t0, 1500);
	stop(&r);
}
END_TEST

START_TEST(test_descriptors_bounded)
{
	char body[64], name[32];
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "f%03d.txt", i);
		put_file(name, name);
	}
	struct runner r;
	start(&r, 16, 60000);
	int port = ymk_server_port(r.srv);
	ck_assert_int_eq(get(port, "/f000.txt", body, sizeof body), 200);
	int base = open_fds();
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 100; i++) {
			char path[40];
			snprintf(path, sizeof path, "/f%03d.txt", i);
			ck_assert_int_eq(get(port, path, body, sizeof body), 200);
			ck_assert_str_eq(body, path + 1);
		}
	/* At most the 16 cached files more (plus the last connection, still closing). */
	ck_assert_int_le(open_fds(), base + 16 + 1);
	stop(&r);
}
END_TEST

START_TEST(test_cache_off)
{
	char body[64];
	put_file("a.txt", "x");
	struct runner r;
	start(&r, 0, 1);
	int port = ymk_server_port(r.srv);
	int base = open_fds();
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(get(port, "/a.txt", body, sizeof body), 200);
	/* Nothing kept open once the last connection's lingering close is over. */
	long long end = now_ms() + 3000;
	while (open_fds() > base && now_ms() < end) {
		struct timespec pause = {0, 10 * 1000 * 1000};
		nanosleep(&pause, NULL);
	}
	ck_assert_int_eq(open_fds(), base);
	stop(&r);
	ymk_config *cfg;
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_file_cache(cfg, 4097, 1000), YMK_EINVAL);
	ck_assert_int_eq(ymk_config_set_file_cache(cfg, 8, 0), YMK_EINVAL);
	ymk_config_free(cfg);
}
END_TEST

/* GET rel: 200 with the ETag and Last-Modified the file has now, and the body text. Returns the
 * ETag in etag. */
static void expect_current(int port, const char *rel, const char *text, char *etag)
{
	char head[4096], body[4096], path[256], want_etag[80], want_lm[32], got[128];
	snprintf(path, sizeof path, "/%s", rel);
	ck_assert_int_eq(exchange(port, path, "", head, sizeof head, body, sizeof body), 200);
	ck_assert_str_eq(body, text);
	validators_of(rel, want_etag, want_lm);
	header_of(head, "\r\nETag: ", got, sizeof got);
	ck_assert_str_eq(got, want_etag);
	header_of(head, "\r\nLast-Modified: ", got, sizeof got);
	ck_assert_str_eq(got, want_lm);
	strcpy(etag, want_etag);
}

START_TEST(test_validators_follow_the_file)
{
	char e1[80], e2[80], e3[80], e4[80], head[4096], body[4096], inm[128], p[256];
	put_file("v.txt", "first");
	struct runner r;
	start(&r, 64, 60000);
	int port = ymk_server_port(r.srv);
	expect_current(port, "v.txt", "first", e1);
	expect_current(port, "v.txt", "first", e1); /* a hit says the same */
	snprintf(inm, sizeof inm, "If-None-Match: %s\r\n", e1);
	ck_assert_int_eq(exchange(port, "/v.txt", inm, head, sizeof head, body, sizeof body), 304);

	/* Rewritten with another size. */
	put_file("v.txt", "second!");
	expect_current(port, "v.txt", "second!", e2);
	ck_assert_str_ne(e2, e1);
	ck_assert_int_eq(exchange(port, "/v.txt", inm, head, sizeof head, body, sizeof body), 200);

	/* The same size, only the mtime moved (back to 2001): a new ETag and Last-Modified. */
	snprintf(p, sizeof p, "%s/v.txt", root);
	struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
	ck_assert_int_eq(utimensat(AT_FDCWD, p, times, 0), 0);
	expect_current(port, "v.txt", "second!", e3);
	ck_assert_str_ne(e3, e2);
	ck_assert_int_eq(exchange(port, "/v.txt", "", head, sizeof head, body, sizeof body), 200);
	ck_assert_ptr_nonnull(strstr(head, "\r\nLast-Modified: Sun, 09 Sep 2001 01:46:40 GMT\r\n"));

	/* Only the nanoseconds of the mtime differ. */
	times[0].tv_nsec = times[1].tv_nsec = 5000;
	ck_assert_int_eq(utimensat(AT_FDCWD, p, times, 0), 0);
	expect_current(port, "v.txt", "second!", e4);
	ck_assert_str_ne(e4, e3);

	/* Another file in the cache keeps its own. */
	put_file("w.txt", "other");
	char ew[80];
	expect_current(port, "w.txt", "other", ew);
	expect_current(port, "v.txt", "second!", e4);
	stop(&r);
}
END_TEST

/* A MIME hook whose answer the test changes while the server runs: a cached entry must not keep
 * it. */
static const char *_Atomic hook_answer;
static atomic_int hook_calls;

static const char *changing_hook(const char *path, void *user)
{
	(void)user;
	if (strcmp(path, "/h.txt") && strcmp(path, "/h.unknownext"))
		return NULL;
	atomic_fetch_add(&hook_calls, 1);
	return atomic_load(&hook_answer);
}

static void expect_type(int port, const char *path, const char *type)
{
	char head[4096], body[256], got[128];
	ck_assert_int_eq(exchange(port, path, "", head, sizeof head, body, sizeof body), 200);
	header_of(head, "\r\nContent-Type: ", got, sizeof got);
	ck_assert_str_eq(got, type);
}

START_TEST(test_mime_hook_asked_every_request)
{
	put_file("h.txt", "hooked");
	put_file("h.unknownext", "?");
	struct runner r;
	atomic_store(&hook_answer, "text/x-one");
	atomic_store(&hook_calls, 0);
	start_with(&r, 64, 60000, changing_hook);
	int port = ymk_server_port(r.srv);
	expect_type(port, "/h.txt", "text/x-one");
	expect_type(port, "/h.txt", "text/x-one"); /* a hit */
	atomic_store(&hook_answer, "text/x-two");
	expect_type(port, "/h.txt", "text/x-two");
	/* Declining (NULL) or answering with a line break falls back to the table, cached or not. */
	atomic_store(&hook_answer, NULL);
	expect_type(port, "/h.txt", "text/plain; charset=utf-8");
	expect_type(port, "/h.unknownext", "application/octet-stream");
	atomic_store(&hook_answer, "text/x-bad\r\nX-Injected: 1");
	expect_type(port, "/h.txt", "text/plain; charset=utf-8");
	atomic_store(&hook_answer, "text/x-three");
	expect_type(port, "/h.txt", "text/x-three");
	expect_type(port, "/h.unknownext", "text/x-three");
	int calls = atomic_load(&hook_calls); /* six for h.txt, two for h.unknownext */
	ck_assert_int_eq(calls, 8);
	/* A path the hook declines gets the table's type from the entry. */
	put_file("plain.css", "p{}");
	expect_type(port, "/plain.css", "text/css; charset=utf-8");
	expect_type(port, "/plain.css", "text/css; charset=utf-8");
	stop(&r);
}
END_TEST

START_TEST(test_types_without_hook)
{
	put_file("t.html", "<p>");
	put_file("T.PNG", "png");
	put_file("noext", "n");
	put_file(".hidden", "h");
	put_file("index.html", "<i>");
	struct runner r;
	start(&r, 64, 60000);
	int port = ymk_server_port(r.srv);
	for (int round = 0; round < 2; round++) { /* a miss, then hits */
		expect_type(port, "/t.html", "text/html; charset=utf-8");
		expect_type(port, "/T.PNG", "image/png");
		expect_type(port, "/noext", "application/octet-stream");
		expect_type(port, "/.hidden", "application/octet-stream");
		expect_type(port, "/", "text/html; charset=utf-8"); /* index.html, through the cache */
	}
	/* The cache off gives the same answers. */
	stop(&r);
	start(&r, 0, 1);
	port = ymk_server_port(r.srv);
	expect_type(port, "/T.PNG", "image/png");
	expect_type(port, "/noext", "application/octet-stream");
	stop(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcache");
	TCase *tc = tcase_create("fcache");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_changes_are_seen);
	tcase_add_test(tc, test_directory_swap_bounded);
	tcase_add_test(tc, test_descriptors_bounded);
	tcase_add_test(tc, test_cache_off);
	tcase_add_test(tc, test_validators_follow_the_file);
	tcase_add_test(tc, test_mime_hook_asked_every_request);
	tcase_add_test(tc, test_types_without_hook);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
