/* test_bundle.c: serving an asset bundle (files compiled into the program), in both models, with
 * a hand-written bundle: index and directory handling, the gzip variant with Vary, validators and
 * 304, Range and multipart, HEAD, 404 without a root, 404 for a file named with a trailing slash
 * (also with a root behind the bundle), the config checks on bundles, and the promise that a
 * bundle answer allocates nothing per request (counted at the allocator door). */
#include "alloc.h"
#include "ymawky.h"
#include "../thread_server.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const unsigned char app_js[] = "console.log('app');\n";
static const unsigned char app_gz[] = "GZIPPED-APP";
static const unsigned char index_html[] = "<!DOCTYPE html><p>root</p>\n";
static const unsigned char sub_html[] = "<p>sub</p>\n";
static const unsigned char big[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static const ymk_bundle_file files[] = {
	{"/app.js", app_js, sizeof app_js - 1, "text/javascript; charset=utf-8", "\"js1\"", 1700000000,
	 app_gz, sizeof app_gz - 1, "\"js1-gz\""},
	{"/big.txt", big, sizeof big - 1, "text/plain; charset=utf-8", "\"big1\"", 1700000000, NULL, 0, NULL},
	{"/index.html", index_html, sizeof index_html - 1, "text/html; charset=utf-8", "\"ix1\"", 1700000000,
	 NULL, 0, NULL},
	{"/sub/index.html", sub_html, sizeof sub_html - 1, "text/html; charset=utf-8", "\"sub1\"", 1700000000,
	 NULL, 0, NULL},
};
static const ymk_bundle bundle = {YMK_BUNDLE_VERSION, sizeof files / sizeof files[0], files};

static int dial(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

/* Sends req on fd and reads one response: the head, then Content-Length body bytes (none when
 * no_body). Returns the whole response in buf (NUL-terminated). */
static void exchange(int fd, const char *req, int no_body, char *buf, size_t cap)
{
	ck_assert_int_eq(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	size_t got = 0;
	long long end = now_ms() + 5000;
	while (got < cap - 1 && now_ms() < end) {
		buf[got] = '\0';
		char *sep = strstr(buf, "\r\n\r\n");
		if (sep) {
			const char *cl = strstr(buf, "Content-Length: ");
			size_t want = (no_body || !cl || cl > sep) ? 0 : strtoul(cl + 16, NULL, 10);
			if (got >= (size_t)(sep + 4 - buf) + want)
				break;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
}

static const char *body_of(const char *resp)
{
	const char *sep = strstr(resp, "\r\n\r\n");
	return sep ? sep + 4 : "";
}

static struct runner start_root(int model, const char *root)
{
	ymk_config *cfg;
	struct runner r = {.srv = NULL, .rc = -1};
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
	ck_assert_int_eq(ymk_config_set_model(cfg, model), 0);
	ck_assert_int_eq(ymk_config_set_bundle(cfg, &bundle), 0);
	if (root)
		ck_assert_int_eq(ymk_config_set_root(cfg, root), 0);
	ck_assert_int_eq(ymk_server_new(&r.srv, cfg), 0);
	ymk_config_free(cfg);
	return r;
}

static struct runner start(int model)
{
	return start_root(model, NULL);
}

START_TEST(test_bundle_answers)
{
	int model = _i ? YMK_MODEL_FORK : YMK_MODEL_EVENT;
	struct runner r = start(model);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, run_thread, &r), 0);
	int fd = dial(ymk_server_port(r.srv));
	char buf[8192];

	exchange(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0, buf, sizeof buf);
	ck_assert_msg(!strncmp(buf, "HTTP/1.1 200 OK\r\n", 17), "%s", buf);
	ck_assert_str_eq(body_of(buf), (const char *)index_html);
	ck_assert_ptr_nonnull(strstr(buf, "ETag: \"ix1\"\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "Content-Type: text/html; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "Cache-Control: no-cache\r\n"));

	exchange(fd, "GET /sub HTTP/1.1\r\nHost: x\r\n\r\n", 0, buf, sizeof buf);
	ck_assert_msg(!strncmp(buf, "HTTP/1.1 301 ", 13) && strstr(buf, "Location: /sub/\r\n"), "%s", buf);
	exchange(fd, "GET /sub/ HTTP/1.1\r\nHost: x\r\n\r\n", 0, buf, sizeof buf);
	ck_assert_str_eq(body_of(buf), (const char *)sub_html);

	exchange(fd, "GET /app.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br, gzip\r\n\r\n", 0, buf, sizeof buf);
	ck_assert_str_eq(body_of(buf), (const char *)app_gz);
	ck_assert_ptr_nonnull(strstr(buf, "Content-Encoding: gzip\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "Vary: Accept-Encoding\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "ETag: \"js1-gz\"\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "Content-Type: text/javascript; charset=utf-8\r\n"));
	exchange(fd, "GET /app.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=0\r\n\r\n", 0, buf, sizeof buf);
	ck_assert_str_eq(body_of(buf), (const char *)app_js);
	ck_assert_ptr_null(strstr(buf, "Content-Encoding"));
	ck_assert_ptr_nonnull(strstr(buf, "Vary: Accept-Encoding\r\n"));

	exchange(fd, "GET /big.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: W/\"big1\"\r\n\r\n", 1, buf, sizeof buf);
	ck_assert_msg(!strncmp(buf, "HTTP/1.1 304 ", 13), "%s", buf);
	ck_assert_str_eq(body_of(buf), "");
	ck_assert_ptr_nonnull(strstr(buf, "Cache-Control: no-cache\r\n"));
	exchange(fd, "GET /big.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=10-15\r\n\r\n", 0, buf, sizeof buf);
	ck_assert_msg(!strncmp(buf, "HTTP/1.1 206 ", 13), "%s", buf);
	ck_assert_str_eq(body_of(buf), "abcdef");
	ck_assert_ptr_nonnull(strstr(buf, "Content-Range: bytes 10-15/36\r\n"));
	exchange(fd, "GET /big.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1,-2\r\n\r\n", 0, buf, sizeof buf);
	ck_assert_ptr_nonnull(strstr(buf, "multipart/byteranges; boundary="));
	ck_assert_ptr_nonnull(strstr(buf, "Content-Range: bytes 0-1/36\r\n\r\n01\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "Content-Range: bytes 34-35/36\r\n\r\nyz\r\n"));
	exchange(fd, "HEAD /big.txt HTTP/1.1\r\nHost: x\r\n\r\n", 1, buf, sizeof buf);
	ck_assert_ptr_nonnull(strstr(buf, "Content-Length: 36\r\n"));
	ck_assert_str_eq(body_of(buf), "");
	exchange(fd, "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n", 0, buf, sizeof buf);
	ck_assert_msg(!strncmp(buf, "HTTP/1.1 404 ", 13), "%s", buf);
	/* A file of the bundle named as a directory is not there, as for files of the root. */
	exchange(fd, "GET /app.js/ HTTP/1.1\r\nHost: x\r\n\r\n", 0, buf, sizeof buf);
	ck_assert_msg(!strncmp(buf, "HTTP/1.1 404 ", 13), "%s", buf);
	exchange(fd, "HEAD /app.js/ HTTP/1.1\r\nHost: x\r\n\r\n", 1, buf, sizeof buf);
	ck_assert_msg(!strncmp(buf, "HTTP/1.1 404 ", 13), "%s", buf);
	exchange(fd, "GET /sub/index.html/ HTTP/1.1\r\nHost: x\r\n\r\n", 0, buf, sizeof buf);
	ck_assert_msg(!strncmp(buf, "HTTP/1.1 404 ", 13), "%s", buf);
	exchange(fd, "PUT /big.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 0, buf, sizeof buf);
	ck_assert_msg(!strncmp(buf, "HTTP/1.1 405 ", 13), "%s", buf);

	close(fd);
	ymk_server_stop(r.srv);
	pthread_join(t, NULL);
	ck_assert_int_eq(r.rc, 0);
	ymk_server_free(r.srv);
}
END_TEST

/* A bundle in front of a root: "file/" is 404 whichever of the two has the file, and the root
 * still serves what the bundle lacks. */
START_TEST(test_bundle_over_root_slash)
{
	int model = _i ? YMK_MODEL_FORK : YMK_MODEL_EVENT;
	char root[] = "/tmp/ymk-bundle-XXXXXX", path[64], buf[8192];
	ck_assert_ptr_nonnull(mkdtemp(root));
	const char *names[] = {"app.js", "only-root.txt"};
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s", root, names[i]);
		FILE *f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs("from the root\n", f);
		fclose(f);
	}
	struct runner r = start_root(model, root);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, run_thread, &r), 0);
	int fd = dial(ymk_server_port(r.srv));

	exchange(fd, "GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n", 0, buf, sizeof buf);
	ck_assert_str_eq(body_of(buf), (const char *)app_js);
	exchange(fd, "GET /only-root.txt HTTP/1.1\r\nHost: x\r\n\r\n", 0, buf, sizeof buf);
	ck_assert_str_eq(body_of(buf), "from the root\n");
	const char *slashed[] = {"GET /app.js/", "HEAD /app.js/", "GET /only-root.txt/",
				 "HEAD /only-root.txt/"};
	for (size_t i = 0; i < 4; i++) {
		char req[128];
		snprintf(req, sizeof req, "%s HTTP/1.1\r\nHost: x\r\n\r\n", slashed[i]);
		exchange(fd, req, slashed[i][0] == 'H', buf, sizeof buf);
		ck_assert_msg(!strncmp(buf, "HTTP/1.1 404 ", 13), "%s: %s", slashed[i], buf);
		ck_assert_ptr_null(strstr(buf, "from the root"));
	}

	close(fd);
	ymk_server_stop(r.srv);
	pthread_join(t, NULL);
	ck_assert_int_eq(r.rc, 0);
	ymk_server_free(r.srv);
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s", root, names[i]);
		ck_assert_int_eq(unlink(path), 0);
	}
	ck_assert_int_eq(rmdir(root), 0);
}
END_TEST

/* After one warm-up request on a keep-alive connection, bundle answers allocate nothing. */
START_TEST(test_bundle_no_allocation)
{
	struct runner r = start(YMK_MODEL_EVENT);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, run_thread, &r), 0);
	int fd = dial(ymk_server_port(r.srv));
	char buf[8192];
	const char *req[] = {
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /app.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n",
		"GET /big.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=3-9\r\n\r\n",
		"GET /big.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"big1\"\r\n\r\n",
		"HEAD /sub/ HTTP/1.1\r\nHost: x\r\n\r\n",
	};
	exchange(fd, req[0], 0, buf, sizeof buf); /* warm-up: the connection's buffers */
	unsigned long before = ymk__alloc_count();
	for (int round = 0; round < 20; round++)
		for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
			exchange(fd, req[i], i >= 3, buf, sizeof buf);
			ck_assert_msg(!strncmp(buf, "HTTP/1.1 2", 10) || !strncmp(buf, "HTTP/1.1 304", 12), "%s", buf);
		}
	unsigned long after = ymk__alloc_count();
	ck_assert_msg(after == before, "%lu allocations for 100 bundle requests", after - before);
	close(fd);
	ymk_server_stop(r.srv);
	pthread_join(t, NULL);
	ymk_server_free(r.srv);
}
END_TEST

START_TEST(test_bundle_config)
{
	ymk_config *cfg;
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ymk_bundle_file unsorted[2] = {files[1], files[0]};
	ymk_bundle bad = {YMK_BUNDLE_VERSION, 2, unsorted};
	ck_assert_int_eq(ymk_config_set_bundle(cfg, &bad), YMK_EINVAL);
	ck_assert_ptr_nonnull(strstr(ymk_config_error(cfg), "sorted"));
	ymk_bundle future = {YMK_BUNDLE_VERSION + 1, 0, NULL};
	ck_assert_int_eq(ymk_config_set_bundle(cfg, &future), YMK_EINVAL);
	ymk_bundle_file relative = files[0];
	relative.path = "app.js";
	ymk_bundle rel = {YMK_BUNDLE_VERSION, 1, &relative};
	ck_assert_int_eq(ymk_config_set_bundle(cfg, &rel), YMK_EINVAL);
	ck_assert_int_eq(ymk_config_set_bundle(cfg, &bundle), 0);
	ck_assert_int_eq(ymk_config_set_bundle(cfg, NULL), 0);
	ymk_config_free(cfg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bundle");
	TCase *tc = tcase_create("bundle");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_bundle_answers, 0, 2);
	tcase_add_loop_test(tc, test_bundle_over_root_slash, 0, 2);
	tcase_add_test(tc, test_bundle_no_allocation);
	tcase_add_test(tc, test_bundle_config);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
