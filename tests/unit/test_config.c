/* test_config.c: configuration setters, error codes and texts, server creation failures, and
 * allocation failure injection over the whole create path (every failure must be a clean
 * YMK_ENOMEM with nothing leaked; AddressSanitizer's leak check covers the "nothing leaked"). */
#include "alloc.h"
#include "internal.h"
#include "ymawky.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(test_defaults)
{
	ymk_config *cfg = NULL;
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(cfg->s.model, YMK_MODEL_EVENT);
	ck_assert_uint_eq(cfg->s.max_connections, YMK_DEFAULT_MAX_CONNECTIONS);
	ck_assert_uint_eq(cfg->s.max_request_line, 4096);
	ck_assert_uint_eq(cfg->s.max_header_bytes, 8192);
	ck_assert_uint_eq(cfg->s.max_headers, 100);
	ck_assert_uint_eq(cfg->s.read_timeout_ms, 10000);
	ck_assert_uint_eq(cfg->s.header_timeout_ms, 10000);
	ck_assert_str_eq(ymk_config_error(cfg), "");
	ymk_config_free(cfg);
	ymk_config_free(NULL);
	ck_assert_int_eq(ymk_config_new(NULL), YMK_EINVAL);
}
END_TEST

START_TEST(test_setters_refuse)
{
	ymk_config *cfg;
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_model(cfg, 7), YMK_EINVAL);
	ck_assert_ptr_nonnull(strstr(ymk_config_error(cfg), "model"));
	ck_assert_int_eq(ymk_config_set_model(cfg, YMK_MODEL_FORK), 0);
	ck_assert_str_eq(ymk_config_error(cfg), "");
	ck_assert_int_eq(ymk_config_set_max_connections(cfg, 0), YMK_EINVAL);
	ck_assert_int_eq(ymk_config_set_max_connections(cfg, 1000001), YMK_EINVAL);
	ck_assert_int_eq(ymk_config_set_max_connections(cfg, 1), 0);
	ck_assert_int_eq(ymk_config_set_max_request_line(cfg, 15), YMK_EINVAL);
	ck_assert_int_eq(ymk_config_set_max_request_line(cfg, 65537), YMK_EINVAL);
	ck_assert_int_eq(ymk_config_set_max_header_bytes(cfg, 63), YMK_EINVAL);
	ck_assert_int_eq(ymk_config_set_max_headers(cfg, 0), YMK_EINVAL);
	ck_assert_int_eq(ymk_config_set_max_headers(cfg, YMK_MAX_HEADERS_LIMIT + 1), YMK_EINVAL);
	ck_assert_int_eq(ymk_config_set_read_timeout(cfg, 0), YMK_EINVAL);
	ck_assert_int_eq(ymk_config_set_header_timeout(cfg, YMK_MAX_TIMEOUT_MS + 1), YMK_EINVAL);
	ck_assert_int_eq(ymk_config_set_write_timeout(cfg, 1), 0);
	ck_assert_int_eq(ymk_config_set_keepalive_timeout(NULL, 1), YMK_EINVAL);
	ck_assert_int_eq(ymk_config_set_root(cfg, ""), YMK_EINVAL);
	ck_assert_int_eq(ymk_config_set_root(cfg, NULL), YMK_EINVAL);
	char longpath[5000];
	memset(longpath, 'a', sizeof longpath - 1);
	longpath[sizeof longpath - 1] = '\0';
	ck_assert_int_eq(ymk_config_set_root(cfg, longpath), YMK_EINVAL);
	const char *bad[] = {"nonsense", "1.2.3.4", "[::1]", "127.0.0.1:99999", "127.0.0.1:", ":80",
			     "127.0.0.1:8x", "[::1]80", "::1:80", "256.0.0.1:80", "127.0.0.1:-1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(ymk_config_set_listen(cfg, bad[i]) == YMK_EADDRESS, "%s accepted", bad[i]);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "0.0.0.0:0"), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "[::1]:65535"), 0);
	ymk_config_free(cfg);
}
END_TEST

START_TEST(test_strerror)
{
	const int codes[] = {0, YMK_EINVAL, YMK_ENOMEM, YMK_ESTATE, YMK_EADDRESS, YMK_ENOROOT,
			     YMK_ENOTDIR, YMK_ERESPONDED, -ENOENT, -EADDRINUSE, -1234567, 42};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		const char *s = ymk_strerror(codes[i]);
		ck_assert_ptr_nonnull(s);
		ck_assert_int_gt((int)strlen(s), 0);
	}
	ck_assert_str_eq(ymk_strerror(-EADDRINUSE), "address already in use");
	ck_assert_str_ne(ymk_strerror(YMK_EINVAL), ymk_strerror(YMK_ENOMEM));
}
END_TEST

START_TEST(test_server_new_errors)
{
	ymk_config *cfg;
	ymk_server *srv = (ymk_server *)1;
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
	ck_assert_int_eq(ymk_server_new(&srv, cfg), YMK_ENOROOT);
	ck_assert_ptr_null(srv);
	ck_assert_int_eq(ymk_config_set_root(cfg, "/nonexistent/ymk"), 0);
	ck_assert_int_eq(ymk_server_new(&srv, cfg), -ENOENT);
	ck_assert_ptr_nonnull(strstr(ymk_config_error(cfg), "root"));
	ck_assert_int_eq(ymk_config_set_root(cfg, "/etc/hostname"), 0);
	ck_assert_int_eq(ymk_server_new(&srv, cfg), YMK_ENOTDIR);
	ck_assert_int_eq(ymk_config_set_root(cfg, "/tmp"), 0);
	ck_assert_int_eq(ymk_config_set_max_header_bytes(cfg, 100), 0);
	ck_assert_int_eq(ymk_server_new(&srv, cfg), YMK_EINVAL); /* < request line + 4 */
	ck_assert_int_eq(ymk_config_set_max_header_bytes(cfg, 8192), 0);

	ck_assert_int_eq(ymk_server_new(&srv, cfg), 0);
	int port = ymk_server_port(srv);
	ck_assert_int_gt(port, 0);
	ymk_config *cfg2;
	ck_assert_int_eq(ymk_config_new(&cfg2), 0);
	char addr[32];
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	ck_assert_int_eq(ymk_config_set_listen(cfg2, addr), 0);
	ck_assert_int_eq(ymk_config_set_root(cfg2, "/tmp"), 0);
	ymk_server *srv2 = NULL;
	ck_assert_int_eq(ymk_server_new(&srv2, cfg2), -EADDRINUSE);
	ck_assert_ptr_null(srv2);
	ymk_server_free(srv);
	ymk_server_free(NULL);
	ymk_config_free(cfg2);
	ymk_config_free(cfg);
	ck_assert_int_eq(ymk_server_new(NULL, cfg), YMK_EINVAL);
}
END_TEST

START_TEST(test_stop_before_run)
{
	for (int model = 0; model < 2; model++) {
		ymk_config *cfg;
		ymk_server *srv;
		ck_assert_int_eq(ymk_config_new(&cfg), 0);
		ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
		ck_assert_int_eq(ymk_config_set_root(cfg, "/tmp"), 0);
		ck_assert_int_eq(ymk_config_set_model(cfg, model), 0);
		ck_assert_int_eq(ymk_server_new(&srv, cfg), 0);
		ymk_config_free(cfg);
		ymk_server_stop(srv);
		ck_assert_int_eq(ymk_server_run(srv), 0);
		/* The stop was consumed: a second stop + run works the same. */
		ymk_server_stop(srv);
		ck_assert_int_eq(ymk_server_run(srv), 0);
		ymk_server_free(srv);
	}
}
END_TEST

/* Fails each allocation of the create path in turn: every failure is a clean YMK_ENOMEM. */
START_TEST(test_alloc_failures)
{
	int clean_runs = 0;
	for (long n = 0; n < 64 && clean_runs == 0; n++) {
		ymk_config *cfg = NULL;
		ymk_server *srv = NULL;
		ymk__alloc_fail_after(n);
		int err = ymk_config_new(&cfg);
		if (err == 0)
			err = ymk_config_set_root(cfg, "/tmp");
		if (err == 0)
			err = ymk_config_set_listen(cfg, "127.0.0.1:0");
		if (err == 0)
			err = ymk_server_new(&srv, cfg);
		ymk__alloc_fail_after(-1);
		if (err == 0) {
			ck_assert_ptr_nonnull(srv);
			clean_runs++;
		} else {
			ck_assert_msg(err == YMK_ENOMEM, "allocation %ld: got %d", n, err);
			ck_assert_ptr_null(srv);
		}
		ymk_server_free(srv);
		ymk_config_free(cfg);
	}
	ck_assert_int_eq(clean_runs, 1);
}
END_TEST

START_TEST(test_version)
{
	char want[32];
	snprintf(want, sizeof want, "%d.%d.%d", YMK_VERSION_MAJOR, YMK_VERSION_MINOR, YMK_VERSION_PATCH);
	ck_assert_str_eq(ymk_version(), want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_setters_refuse);
	tcase_add_test(tc, test_strerror);
	tcase_add_test(tc, test_server_new_errors);
	tcase_add_test(tc, test_stop_before_run);
	tcase_add_test(tc, test_alloc_failures);
	tcase_add_test(tc, test_version);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
