/* alloc.h: the library's one door to the heap.
 *
 * Only alloc.c calls malloc/realloc/free, so a test can make the Nth allocation fail and check that
 * every caller turns it into a clean error with nothing leaked. */
#ifndef YMK_ALLOC_H
#define YMK_ALLOC_H

#include <stddef.h>

void *ymk__malloc(size_t n);
void *ymk__calloc(size_t count, size_t size);
void *ymk__realloc(void *p, size_t n);
void ymk__free(void *p);
char *ymk__strdup(const char *s);

/* A pool of equal-sized buffers: connections give their buffers back when they go idle and take
 * them again when they wake, so idle connections hold no buffer and busy ones do not allocate per
 * request. At most `cap` spare buffers are kept; more are freed. */
struct ymk__pool {
	void **v;
	size_t n, cap;
	size_t size; /* bytes of every buffer */
};
void *ymk__pool_get(struct ymk__pool *p);
void ymk__pool_put(struct ymk__pool *p, void *buf);
void ymk__pool_free(struct ymk__pool *p);

/* Test hook: allocations made so far (malloc, calloc, realloc), for asserting that a path
 * allocates nothing. Safe to read from another thread. */
unsigned long ymk__alloc_count(void);

/* Test hook: the allocation after `n` more successful ones fails (n = 0: the next one); a negative
 * n turns failure injection off. Not thread-safe; for unit tests only. */
void ymk__alloc_fail_after(long n);

#endif
