/* mime.c: the built-in extension -> media type table, consulted for every file the static handler
 * sends, after the embedder's hook has declined. The table is a const array sorted by extension so
 * that a lookup is one lower-casing copy into a small stack buffer and a binary search: no
 * allocation, no locale, nothing to initialise. Text types name UTF-8 because browsers otherwise
 * guess the charset, and a guess is a way to misread (or mis-execute) a file. JavaScript is
 * text/javascript, the one type RFC 9239 keeps. Pre-compressed sidecars (.gz next to the original)
 * are not a content coding here: a .gz file is served as what it is, application/gzip. */
#include "mime.h"

#include "ymawky.h"

#include <string.h>

#define UTF8 "; charset=utf-8"

struct mime_entry {
	const char *ext; /* lower case, without the dot */
	const char *type;
};

/* Sorted by ext in strcmp() order; the unit test looks every entry up, which fails if not. */
static const struct mime_entry mime_table[] = {
	{"3gp", "video/3gpp"},
	{"7z", "application/x-7z-compressed"},
	{"aac", "audio/aac"},
	{"apng", "image/apng"},
	{"atom", "application/atom+xml" UTF8},
	{"avi", "video/x-msvideo"},
	{"avif", "image/avif"},
	{"bmp", "image/bmp"},
	{"bz2", "application/x-bzip2"},
	{"cjs", "text/javascript" UTF8},
	{"css", "text/css" UTF8},
	{"csv", "text/csv" UTF8},
	{"doc", "application/msword"},
	{"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
	{"eot", "application/vnd.ms-fontobject"},
	{"epub", "application/epub+zip"},
	{"flac", "audio/flac"},
	{"gif", "image/gif"},
	{"glb", "model/gltf-binary"},
	{"gltf", "model/gltf+json" UTF8},
	{"gz", "application/gzip"},
	{"heic", "image/heic"},
	{"htm", "text/html" UTF8},
	{"html", "text/html" UTF8},
	{"ico", "image/x-icon"},
	{"ics", "text/calendar" UTF8},
	{"jar", "application/java-archive"},
	{"jpeg", "image/jpeg"},
	{"jpg", "image/jpeg"},
	{"js", "text/javascript" UTF8},
	{"json", "application/json" UTF8},
	{"jsonld", "application/ld+json" UTF8},
	{"jxl", "image/jxl"},
	{"m4a", "audio/mp4"},
	{"m4v", "video/mp4"},
	{"map", "application/json" UTF8},
	{"md", "text/markdown" UTF8},
	{"mid", "audio/midi"},
	{"midi", "audio/midi"},
	{"mjs", "text/javascript" UTF8},
	{"mkv", "video/x-matroska"},
	{"mov", "video/quicktime"},
	{"mp3", "audio/mpeg"},
	{"mp4", "video/mp4"},
	{"mpeg", "video/mpeg"},
	{"mpg", "video/mpeg"},
	{"odp", "application/vnd.oasis.opendocument.presentation"},
	{"ods", "application/vnd.oasis.opendocument.spreadsheet"},
	{"odt", "application/vnd.oasis.opendocument.text"},
	{"oga", "audio/ogg"},
	{"ogg", "audio/ogg"},
	{"ogv", "video/ogg"},
	{"opus", "audio/ogg"},
	{"otf", "font/otf"},
	{"pdf", "application/pdf"},
	{"png", "image/png"},
	{"ppt", "application/vnd.ms-powerpoint"},
	{"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
	{"rar", "application/vnd.rar"},
	{"rss", "application/rss+xml" UTF8},
	{"rtf", "application/rtf"},
	{"svg", "image/svg+xml" UTF8},
	{"tar", "application/x-tar"},
	{"tgz", "application/gzip"},
	{"tif", "image/tiff"},
	{"tiff", "image/tiff"},
	{"toml", "application/toml" UTF8},
	{"ttf", "font/ttf"},
	{"txt", "text/plain" UTF8},
	{"vtt", "text/vtt" UTF8},
	{"wasm", "application/wasm"},
	{"wav", "audio/wav"},
	{"weba", "audio/webm"},
	{"webm", "video/webm"},
	{"webmanifest", "application/manifest+json" UTF8},
	{"webp", "image/webp"},
	{"woff", "font/woff"},
	{"woff2", "font/woff2"},
	{"xhtml", "application/xhtml+xml" UTF8},
	{"xls", "application/vnd.ms-excel"},
	{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
	{"xml", "application/xml" UTF8},
	{"xz", "application/x-xz"},
	{"yaml", "application/yaml" UTF8},
	{"yml", "application/yaml" UTF8},
	{"zip", "application/zip"},
	{"zst", "application/zstd"},
};

/* Longer than any extension in the table, so a longer one is unknown without a search. */
#define MIME_EXT_MAX 15

const char *ymk__mime_builtin(const char *path, size_t len)
{
	char ext[MIME_EXT_MAX + 1];
	size_t seg = 0, dot = 0, i, ext_len;
	int have_dot = 0;
	size_t lo, hi;

	if (path == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (path[i] == '/') {
			seg = i + 1;
			have_dot = 0;
		} else if (path[i] == '.') {
			dot = i;
			have_dot = 1;
		}
	}
	/* A dot that opens the segment marks a hidden file, not an extension (".bashrc"). */
	if (!have_dot || dot == seg)
		return NULL;
	ext_len = len - dot - 1;
	if (ext_len == 0 || ext_len > MIME_EXT_MAX)
		return NULL;
	for (i = 0; i < ext_len; i++) {
		char c = path[dot + 1 + i];

		if (c == '\0') /* would end the string early and match a shorter extension */
			return NULL;
		ext[i] = (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
	}
	ext[ext_len] = '\0';

	lo = 0;
	hi = sizeof(mime_table) / sizeof(mime_table[0]);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(ext, mime_table[mid].ext);

		if (cmp == 0)
			return mime_table[mid].type;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

YMK_EXPORT const char *ymk_mime_lookup(const char *path)
{
	const char *type;

	if (path == NULL)
		return "application/octet-stream";
	type = ymk__mime_builtin(path, strlen(path));
	return type != NULL ? type : "application/octet-stream";
}
