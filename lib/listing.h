/* listing.h: the HTML of a directory listing (pure: no I/O; the caller reads the directory).
 *
 * Names are shown HTML-escaped and linked percent-encoded, sorted, with sizes and dates, and the
 * names the library reserves or hides never appear. */
#ifndef YMK_LISTING_H
#define YMK_LISTING_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ymk__dirent {
	const char *name; /* NUL-terminated, as the file system has it (any bytes but '/' and NUL) */
	int is_dir;
	uint64_t size;
	time_t mtime;
};

/* 1 when a directory entry must not be listed: ".", "..", names starting with '.' (hidden files,
 * which also covers the reserved ".ymk-upload-" prefix). */
int ymk__listing_hidden(const char *name);

/* Sorts entries in place: directories first, then by name in byte order (strcmp). */
void ymk__listing_sort(struct ymk__dirent *e, size_t n);

/* Writes the HTML page for the directory whose decoded request path is `path` (starts and ends
 * with '/', e.g. "/docs/"): a <!DOCTYPE html> page with <meta charset="utf-8">, a title and h1
 * "Index of <path>" (HTML-escaped), a link "../" unless path is "/", then one row per entry
 * (callers pass only visible entries, already sorted): an <a href="..."> whose href is the
 * percent-encoded name (every byte except A-Z a-z 0-9 - . _ ~ as %XX) plus "/" for directories,
 * the HTML-escaped name (& < > " ' escaped; bytes >= 0x80 passed through) plus "/" for
 * directories, the size in bytes ("-" for directories) and the mtime as "YYYY-MM-DD HH:MM" UTC.
 * Returns the number of bytes the page needs (excluding a NUL); writes at most cap bytes to out
 * (out may be NULL when cap is 0), so calling twice (measure, then fill) works; no NUL is written. */
size_t ymk__listing_html(const char *path, const struct ymk__dirent *e, size_t n, char *out, size_t cap);

#endif
