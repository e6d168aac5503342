/* fcache.h: a small cache of open files for the static handler, per process.
 *
 * An entry keeps the fd (opened beneath the root like any file), its stat, and for small files
 * their bytes. Every hit is revalidated with one fstat() of the cached fd: a replaced or deleted
 * file (st_nlink 0) or one changed in place (size, mtime, ctime, inode) is reopened. An entry is
 * also reopened once it is older than the configured validity, which bounds how long a file can
 * be served from an old path after a directory was renamed away. Entries in use by a response are
 * reference-counted and never closed under it.
 *
 * An entry also keeps what every answer from it says about the file: its ETag and Last-Modified,
 * made from the stat it was opened with, and the built-in table's media type for its path. A hit
 * copies them instead of formatting them again. They cannot go stale: a file whose stat changed
 * is a miss, and the new entry makes them anew. */
#ifndef YMK_FCACHE_H
#define YMK_FCACHE_H

#include "internal.h"

#include <stdint.h>
#include <sys/stat.h>

/* Files up to this size are kept in memory and leave with the head in one send; larger ones go by
 * sendfile() from the cached descriptor. At 16 KiB the copy cost the client more than sendfile's
 * page-cache pages did (docs/performance.md, the 16 KiB case); at 8 KiB the two are even. */
#define YMK__FCACHE_SMALL 8192

struct ymk__fentry;

/* Opens the normalised path rel beneath the root, through the cache. Returns an fd and fills *st.
 * When *entry is set, the fd belongs to the entry: release it with ymk__fcache_release(), never
 * close it; *entry is NULL for anything not cached (directories, special files, cache off or
 * full), and the caller then owns and closes the fd. Returns -errno like ymk__fs_open_read(). */
int ymk__fcache_open(ymk_server *srv, const char *rel, struct stat *st, struct ymk__fentry **entry);

/* The bytes of a small cached file, or NULL. Valid while the entry is referenced. */
const unsigned char *ymk__fcache_data(const struct ymk__fentry *e);

/* The fd of a cached entry. */
int ymk__fcache_fd(const struct ymk__fentry *e);

/* The entity-tag of the entry's file (as ymk__etag() makes it from the stat ymk__fcache_open()
 * gave) with its length in *len, and its Last-Modified as an IMF-fixdate. Valid while the entry
 * is referenced. */
const char *ymk__fcache_etag(const struct ymk__fentry *e, size_t *len);
const char *ymk__fcache_lastmod(const struct ymk__fentry *e);

/* The built-in table's media type for the entry's path ("application/octet-stream" when the table
 * has none). Only the table's answer is kept: the embedder's MIME hook is asked on every request
 * (see ymk__content_type()), since nothing promises that its answer depends on the path alone. */
const char *ymk__fcache_type(const struct ymk__fentry *e);

/* Gives the reference from ymk__fcache_open() back. */
void ymk__fcache_release(struct ymk__fentry *e);

/* Closes and frees every entry (none may be referenced). */
void ymk__fcache_free(ymk_server *srv);

#endif
