/* alloc.c: the heap door (see alloc.h). Everything that allocates goes through here so that tests
 * can inject allocation failures; in normal use it is a thin pass-through to the C library. */
#include "alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static long fail_countdown = -1;
static atomic_ulong allocations;

unsigned long ymk__alloc_count(void)
{
	return atomic_load_explicit(&allocations, memory_order_relaxed);
}

static int should_fail(void)
{
	atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
	if (fail_countdown < 0)
		return 0;
	if (fail_countdown == 0) {
		fail_countdown = -1;
		return 1;
	}
	fail_countdown--;
	return 0;
}

void ymk__alloc_fail_after(long n)
{
	fail_countdown = n;
}

void *ymk__malloc(size_t n)
{
	if (should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *ymk__calloc(size_t count, size_t size)
{
	if (should_fail())
		return NULL;
	return calloc(count ? count : 1, size ? size : 1);
}

void *ymk__realloc(void *p, size_t n)
{
	if (should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

void ymk__free(void *p)
{
	free(p);
}

char *ymk__strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = ymk__malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

void *ymk__pool_get(struct ymk__pool *p)
{
	return p->n ? p->v[--p->n] : ymk__malloc(p->size);
}

void ymk__pool_put(struct ymk__pool *p, void *buf)
{
	if (!buf)
		return;
	if (p->v && p->n < p->cap)
		p->v[p->n++] = buf;
	else
		ymk__free(buf);
}

void ymk__pool_free(struct ymk__pool *p)
{
	while (p->n)
		ymk__free(p->v[--p->n]);
	ymk__free(p->v);
	p->v = NULL;
}
