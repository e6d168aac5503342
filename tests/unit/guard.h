/* guard.h: test inputs that end exactly at a PROT_NONE page (STYLE.md habit 13), shared by the
 * unit tests of the pure modules: a read or write one byte past the given length faults at once
 * instead of passing unnoticed. Include after <check.h>. */
#ifndef YMK_TEST_GUARD_H
#define YMK_TEST_GUARD_H

#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

struct guard {
	char *map;
	size_t maplen;
	size_t body; /* usable bytes before the guard page */
	char *at;    /* the last `len` usable bytes given to guard_init start here */
};

static inline void guard_init(struct guard *g, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (len + page - 1) / page * page;

	if (body == 0)
		body = page;
	g->maplen = body + page;
	g->body = body;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(g->map, MAP_FAILED);
	ck_assert_int_eq(mprotect(g->map + body, page, PROT_NONE), 0);
	g->at = g->map + body - len;
}

/* The address where n bytes end exactly at the guard page. */
static inline char *guard_end(const struct guard *g, size_t n)
{
	ck_assert_uint_le(n, g->body);
	return g->map + g->body - n;
}

static inline void guard_free(struct guard *g)
{
	munmap(g->map, g->maplen);
}

#endif
