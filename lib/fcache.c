/* fcache.c: the open-file cache (see fcache.h for what it promises). A plain array scanned with a
 * hash in front: a few dozen entries, and a compare is cheaper than any index to maintain. */
#include "fcache.h"

#include "alloc.h"
#include "cond.h"
#include "fs.h"
#include "httpdate.h"
#include "mime.h"
#include "os.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

struct ymk__fentry {
	uint32_t hash;
	char *key;
	int fd;
	struct stat st;
	uint64_t opened_ms;
	uint64_t used; /* recency stamp for eviction */
	unsigned refs;
	int live; /* findable; a dead entry waits for its last reference, then is freed */
	unsigned char *data;
	/* What answers say about the file, made once from st and key (see fcache.h). */
	const char *type;
	size_t etag_len;
	char etag[YMK__ETAG_MAX];
	char lastmod[32];
};

struct ymk__fcache {
	struct ymk__fentry *e;
	size_t n;
	uint64_t tick;
};

static uint32_t hash_of(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void entry_clear(struct ymk__fentry *e)
{
	if (e->fd >= 0)
		close(e->fd);
	ymk__free(e->key);
	ymk__free(e->data);
	memset(e, 0, sizeof *e);
	e->fd = -1;
}

/* The entry no longer stands for its path; it goes once nobody uses it. */
static void entry_kill(struct ymk__fentry *e)
{
	e->live = 0;
	if (e->refs == 0)
		entry_clear(e);
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       ymk__os_mtime_ns(a) == ymk__os_mtime_ns(b) && ymk__os_ctime_ns(a) == ymk__os_ctime_ns(b);
}

static struct ymk__fcache *cache_of(ymk_server *srv)
{
	if (!srv->fcache && srv->s.fcache_entries) {
		struct ymk__fcache *fc = ymk__calloc(1, sizeof *fc);
		struct ymk__fentry *e = fc ? ymk__calloc(srv->s.fcache_entries, sizeof *e) : NULL;
		if (!e) {
			ymk__free(fc);
			return NULL;
		}
		for (unsigned i = 0; i < srv->s.fcache_entries; i++)
			e[i].fd = -1;
		fc->e = e;
		fc->n = srv->s.fcache_entries;
		srv->fcache = fc;
	}
	return srv->fcache;
}

/* A free slot, or the least recently used unreferenced one (emptied); NULL when all are busy. */
static struct ymk__fentry *slot_for_new(struct ymk__fcache *fc)
{
	struct ymk__fentry *best = NULL;
	for (size_t i = 0; i < fc->n; i++) {
		struct ymk__fentry *e = &fc->e[i];
		if (!e->live && e->refs == 0 && e->fd < 0)
			return e;
		if (e->live && e->refs == 0 && (!best || e->used < best->used))
			best = e;
	}
	if (best)
		entry_clear(best);
	return best;
}

int ymk__fcache_open(ymk_server *srv, const char *rel, struct stat *st, struct ymk__fentry **entry)
{
	*entry = NULL;
	struct ymk__fcache *fc = cache_of(srv);
	if (!fc)
		return ymk__fs_open_read(srv->root_fd, rel, st);

	uint64_t now = ymk__os_now_ms();
	uint32_t h = hash_of(rel);
	for (size_t i = 0; i < fc->n; i++) {
		struct ymk__fentry *e = &fc->e[i];
		if (!e->live || e->hash != h || strcmp(e->key, rel))
			continue;
		struct stat cur;
		if (now - e->opened_ms >= srv->s.fcache_valid_ms || fstat(e->fd, &cur) < 0 ||
		    cur.st_nlink == 0 || !same_file(&cur, &e->st)) {
			entry_kill(e);
			break;
		}
		e->refs++;
		e->used = ++fc->tick;
		*st = e->st;
		*entry = e;
		return e->fd;
	}

	int fd = ymk__fs_open_read(srv->root_fd, rel, st);
	if (fd < 0 || !S_ISREG(st->st_mode))
		return fd;
	struct ymk__fentry *e = slot_for_new(fc);
	if (!e)
		return fd; /* every entry is in use: serve uncached */
	size_t klen = strlen(rel) + 1;
	e->key = ymk__malloc(klen);
	if (!e->key)
		return fd;
	memcpy(e->key, rel, klen);
	if (st->st_size > 0 && st->st_size <= YMK__FCACHE_SMALL &&
	    (e->data = ymk__malloc((size_t)st->st_size))) {
		size_t got = 0;
		while (got < (size_t)st->st_size) {
			ssize_t r = pread(fd, e->data + got, (size_t)st->st_size - got, (off_t)got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		if (got != (size_t)st->st_size) { /* changed under us: do not keep a torn copy */
			ymk__free(e->data);
			e->data = NULL;
		}
	}
	e->type = ymk_mime_lookup(e->key);
	e->etag_len = ymk__etag(st, e->etag);
	ymk__http_date(st->st_mtime, e->lastmod);
	e->hash = h;
	e->fd = fd;
	e->st = *st;
	e->opened_ms = now;
	e->used = ++fc->tick;
	e->refs = 1;
	e->live = 1;
	*entry = e;
	return fd;
}

const unsigned char *ymk__fcache_data(const struct ymk__fentry *e)
{
	return e->data;
}

int ymk__fcache_fd(const struct ymk__fentry *e)
{
	return e->fd;
}

const char *ymk__fcache_etag(const struct ymk__fentry *e, size_t *len)
{
	*len = e->etag_len;
	return e->etag;
}

const char *ymk__fcache_lastmod(const struct ymk__fentry *e)
{
	return e->lastmod;
}

const char *ymk__fcache_type(const struct ymk__fentry *e)
{
	return e->type;
}

void ymk__fcache_release(struct ymk__fentry *e)
{
	if (e && --e->refs == 0 && !e->live)
		entry_clear(e);
}

void ymk__fcache_free(ymk_server *srv)
{
	struct ymk__fcache *fc = srv->fcache;
	if (!fc)
		return;
	for (size_t i = 0; i < fc->n; i++)
		if (fc->e[i].fd >= 0 || fc->e[i].key)
			entry_clear(&fc->e[i]);
	ymk__free(fc->e);
	ymk__free(fc);
	srv->fcache = NULL;
}
