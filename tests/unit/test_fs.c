/* test_fs.c: the file door. Both the openat2 path and the portable O_NOFOLLOW walk must refuse
 * symlinks at any depth, report missing files precisely, and never block on a FIFO; a special file
 * that cannot be opened (a socket, a device without a driver) is -EPERM, whatever the open said. */
#include "fs.h"
#include "ymawky.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
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

/* A Unix socket file at rel: open() of one fails with ENXIO, bound or not. */
static void bind_socket(const char *rel)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int n = snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", tmp, rel);
	ck_assert(n > 0 && (size_t)n < sizeof sa.sun_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	close(fd);
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
	bind_socket("sock");
	bind_socket("dir/sock");
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

/* The kernel says ENXIO for a socket; the door says EPERM, at any depth, and the type check
 * itself follows no symlink (a symlink to a socket is still ELOOP). */
START_TEST(test_open_special)
{
	struct stat st;
	char p[256];

	ck_assert_int_eq(ymk__fs_open_walk(rootfd, "sock", O_RDONLY | O_NONBLOCK | O_CLOEXEC), -ENXIO);
	ck_assert_int_eq(ymk__fs_open_read(rootfd, "sock", &st), -EPERM);
	ck_assert_int_eq(ymk__fs_open_read(rootfd, "dir/sock", &st), -EPERM);
	snprintf(p, sizeof p, "%s/sock-link", tmp);
	ck_assert_int_eq(symlink("sock", p), 0);
	ck_assert_int_eq(ymk__fs_open_read(rootfd, "sock-link", &st), -ELOOP);
	ck_assert_int_eq(ymk__fs_open_read(rootfd, "sock/x", &st), -ENOTDIR);
	/* A character device whose driver is missing fails its open with ENXIO or ENODEV. Making
	 * one needs CAP_MKNOD, so this part runs only where the test may create device nodes. */
	snprintf(p, sizeof p, "%s/nodev", tmp);
	if (mknod(p, S_IFCHR | 0644, makedev(0, 0)) == 0) {
		int fd = ymk__fs_open_walk(rootfd, "nodev", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		ck_assert_msg(fd < 0, "the device (0, 0) opened");
		ck_assert_int_eq(ymk__fs_open_read(rootfd, "nodev", &st), -EPERM);
	}
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
	tcase_add_test(tc, test_open_special);
	tcase_add_test(tc, test_open_root);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
