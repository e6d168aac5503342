/* mime.h: file name -> media type (the built-in table; the embedder's hook is asked first by the caller). */
#ifndef YMK_MIME_H
#define YMK_MIME_H

#include <stddef.h>

/* The type for the extension of the last segment of path[0..len) (after the last '.', which must
 * not be the segment's first byte: ".bashrc" has no extension), matched case-insensitively.
 * Text types carry "; charset=utf-8". Unknown or no extension -> NULL (the caller then uses
 * "application/octet-stream"). Returns a static string. Pure: no I/O, no allocation. */
const char *ymk__mime_builtin(const char *path, size_t len);

#endif
