/* test_fs.c: the file door. Both the openat2 path and the portable O_NOFOLLOW walk must refuse
 * symlinks at any depth, report missing files precisely, and never block on a FIFO. */
#include "fs.h"
#include "ymawky.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[64];
static int rootfd = -1;

static void put_file(const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", tmp, rel);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	char p[256];
	strcpy(tmp, "/tmp/ymk-fs-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(p, sizeof p, "%s/dir", tmp);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	put_file("a.txt", "hello");
	put_file("dir/b.txt", "inner");
	snprintf(p, sizeof p, "%s/link.txt", tmp);
	ck_assert_int_eq(symlink("a.txt", p), 0);
	snprintf(p, sizeof p, "%s/linkdir", tmp);
	ck_assert_int_eq(symlink("dir", p), 0);
	snprintf(p, sizeof p, "%s/out", tmp);
	ck_assert_int_eq(symlink("/etc", p), 0);
	snprintf(p, sizeof p, "%s/dir/up", tmp);
	ck_assert_int_eq(symlink("../a.txt", p), 0);
	snprintf(p, sizeof p, "%s/fifo", tmp);
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	rootfd = ymk__fs_open_root(tmp);
	ck_assert_int_ge(rootfd, 0);
}

static void teardown(void)
{
	char cmd[128];
	close(rootfd);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

/* Opens through one of the two doors; returns fd or -errno, with *st filled on success. */
static int open_via(int walk, const char *rel, struct stat *st)
{
	if (!walk)
		return ymk__fs_open_read(rootfd, rel, st);
	int fd = ymk__fs_open_walk(rootfd, rel, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0)
		ck_assert_int_eq(fstat(fd, st), 0);
	return fd;
}

static const struct {
	const char *rel;
	int expect; /* 0: opens; else the -errno */
	mode_t type;
	const char *content;
} cases[] = {
	{"a.txt", 0, S_IFREG, "hello"},
	{"dir/b.txt", 0, S_IFREG, "inner"},
	{"dir", 0, S_IFDIR, NULL},
	{"", 0, S_IFDIR, NULL},
	{"fifo", 0, S_IFIFO, NULL},
	{"missing", -ENOENT, 0, NULL},
	{"dir/missing", -ENOENT, 0, NULL},
	{"missing/x", -ENOENT, 0, NULL},
	{"a.txt/x", -ENOTDIR, 0, NULL},
	{"link.txt", -ELOOP, 0, NULL},
	{"linkdir/b.txt", -ELOOP, 0, NULL},
	{"linkdir", -ELOOP, 0, NULL},
	{"out/passwd", -ELOOP, 0, NULL},
	{"dir/up", -ELOOP, 0, NULL},
};

START_TEST(test_open_table)
{
	int walk = _i / (int)(sizeof cases / sizeof cases[0]);
	int k = _i % (int)(sizeof cases / sizeof cases[0]);
	struct stat st;
	int fd = open_via(walk, cases[k].rel, &st);
	if (cases[k].expect) {
		ck_assert_msg(fd == cases[k].expect, "%s via %s: got %d, want %d", cases[k].rel,
			      walk ? "walk" : "openat2", fd, cases[k].expect);
		return;
	}
	ck_assert_msg(fd >= 0, "%s via %s: %d", cases[k].rel, walk ? "walk" : "openat2", fd);
	ck_assert_uint_eq(st.st_mode & S_IFMT, cases[k].type);
	if (cases[k].content) {
		char buf[32] = {0};
		ck_assert_int_eq(read(fd, buf, sizeof buf - 1), (int)strlen(cases[k].content));
		ck_assert_str_eq(buf, cases[k].content);
	}
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fd);
}
END_TEST

START_TEST(test_open_root)
{
	char p[256];
	snprintf(p, sizeof p, "%s/a.txt", tmp);
	ck_assert_int_eq(ymk__fs_open_root(p), YMK_ENOTDIR);
	snprintf(p, sizeof p, "%s/nope", tmp);
	ck_assert_int_eq(ymk__fs_open_root(p), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fs");
	TCase *tc = tcase_create("open");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_open_table, 0, 2 * (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(tc, test_open_root);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
