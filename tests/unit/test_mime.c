/* test_mime.c: table tests for ymk__mime_builtin() and ymk_mime_lookup(). Every extension of the
 * built-in table is looked up (which also proves the table is sorted, since the lookup is a binary
 * search), then case variants, paths with directories, and names without an extension. Each path
 * is copied to end right at a PROT_NONE page, so a read past path[0..len) faults. */
#include "mime.h"
#include "ymawky.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard.h"

#define UTF8 "; charset=utf-8"

struct mime_case {
	const char *path;
	const char *want; /* NULL: no built-in type */
};

static const struct mime_case cases[] = {
	/* Every entry of the table. */
	{"f.3gp", "video/3gpp"},
	{"f.7z", "application/x-7z-compressed"},
	{"f.aac", "audio/aac"},
	{"f.apng", "image/apng"},
	{"f.atom", "application/atom+xml" UTF8},
	{"f.avi", "video/x-msvideo"},
	{"f.avif", "image/avif"},
	{"f.bmp", "image/bmp"},
	{"f.bz2", "application/x-bzip2"},
	{"f.cjs", "text/javascript" UTF8},
	{"f.css", "text/css" UTF8},
	{"f.csv", "text/csv" UTF8},
	{"f.doc", "application/msword"},
	{"f.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
	{"f.eot", "application/vnd.ms-fontobject"},
	{"f.epub", "application/epub+zip"},
	{"f.flac", "audio/flac"},
	{"f.gif", "image/gif"},
	{"f.glb", "model/gltf-binary"},
	{"f.gltf", "model/gltf+json" UTF8},
	{"f.gz", "application/gzip"},
	{"f.heic", "image/heic"},
	{"f.htm", "text/html" UTF8},
	{"f.html", "text/html" UTF8},
	{"f.ico", "image/x-icon"},
	{"f.ics", "text/calendar" UTF8},
	{"f.jar", "application/java-archive"},
	{"f.jpeg", "image/jpeg"},
	{"f.jpg", "image/jpeg"},
	{"f.js", "text/javascript" UTF8},
	{"f.json", "application/json" UTF8},
	{"f.jsonld", "application/ld+json" UTF8},
	{"f.jxl", "image/jxl"},
	{"f.m4a", "audio/mp4"},
	{"f.m4v", "video/mp4"},
	{"f.map", "application/json" UTF8},
	{"f.md", "text/markdown" UTF8},
	{"f.mid", "audio/midi"},
	{"f.midi", "audio/midi"},
	{"f.mjs", "text/javascript" UTF8},
	{"f.mkv", "video/x-matroska"},
	{"f.mov", "video/quicktime"},
	{"f.mp3", "audio/mpeg"},
	{"f.mp4", "video/mp4"},
	{"f.mpeg", "video/mpeg"},
	{"f.mpg", "video/mpeg"},
	{"f.odp", "application/vnd.oasis.opendocument.presentation"},
	{"f.ods", "application/vnd.oasis.opendocument.spreadsheet"},
	{"f.odt", "application/vnd.oasis.opendocument.text"},
	{"f.oga", "audio/ogg"},
	{"f.ogg", "audio/ogg"},
	{"f.ogv", "video/ogg"},
	{"f.opus", "audio/ogg"},
	{"f.otf", "font/otf"},
	{"f.pdf", "application/pdf"},
	{"f.png", "image/png"},
	{"f.ppt", "application/vnd.ms-powerpoint"},
	{"f.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
	{"f.rar", "application/vnd.rar"},
	{"f.rss", "application/rss+xml" UTF8},
	{"f.rtf", "application/rtf"},
	{"f.svg", "image/svg+xml" UTF8},
	{"f.tar", "application/x-tar"},
	{"f.tgz", "application/gzip"},
	{"f.tif", "image/tiff"},
	{"f.tiff", "image/tiff"},
	{"f.toml", "application/toml" UTF8},
	{"f.ttf", "font/ttf"},
	{"f.txt", "text/plain" UTF8},
	{"f.vtt", "text/vtt" UTF8},
	{"f.wasm", "application/wasm"},
	{"f.wav", "audio/wav"},
	{"f.weba", "audio/webm"},
	{"f.webm", "video/webm"},
	{"f.webmanifest", "application/manifest+json" UTF8},
	{"f.webp", "image/webp"},
	{"f.woff", "font/woff"},
	{"f.woff2", "font/woff2"},
	{"f.xhtml", "application/xhtml+xml" UTF8},
	{"f.xls", "application/vnd.ms-excel"},
	{"f.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
	{"f.xml", "application/xml" UTF8},
	{"f.xz", "application/x-xz"},
	{"f.yaml", "application/yaml" UTF8},
	{"f.yml", "application/yaml" UTF8},
	{"f.zip", "application/zip"},
	{"f.zst", "application/zstd"},
	/* Case-insensitive matching. */
	{"INDEX.HTML", "text/html" UTF8},
	{"a.Html", "text/html" UTF8},
	{"a.HTM", "text/html" UTF8},
	{"a.CSS", "text/css" UTF8},
	{"a.Js", "text/javascript" UTF8},
	{"a.JSON", "application/json" UTF8},
	{"a.PNG", "image/png"},
	{"a.JpG", "image/jpeg"},
	{"a.JPEG", "image/jpeg"},
	{"a.SVG", "image/svg+xml" UTF8},
	{"a.WOFF2", "font/woff2"},
	{"a.Mp4", "video/mp4"},
	{"a.PDF", "application/pdf"},
	{"a.TXT", "text/plain" UTF8},
	{"a.WebManifest", "application/manifest+json" UTF8},
	{"a.7Z", "application/x-7z-compressed"},
	{"a.GZ", "application/gzip"},
	{"a.TiFf", "image/tiff"},
	/* Only the last segment's last extension counts. */
	{"dir/index.html", "text/html" UTF8},
	{"/abs/dir/style.css", "text/css" UTF8},
	{"a.tar.gz", "application/gzip"},
	{"a.html.txt", "text/plain" UTF8},
	{"archive.txt.zip", "application/zip"},
	{"d.html/file", NULL},
	{"d.css/.hidden", NULL},
	{"d.css/x.png", "image/png"},
	{"v1.2/readme", NULL},
	{"..bashrc", NULL},
	{"a..js", "text/javascript" UTF8},
	{"dir/..js", "text/javascript" UTF8},
	/* No extension, unknown, or not an extension at all. */
	{"", NULL},
	{"README", NULL},
	{"Makefile", NULL},
	{".bashrc", NULL},
	{"dir/.htaccess", NULL},
	{".html", NULL},
	{"dir/.html", NULL},
	{"file.", NULL},
	{"dir/file.", NULL},
	{".", NULL},
	{"..", NULL},
	{"/", NULL},
	{"dir/", NULL},
	{"a.html/", NULL},
	{"a.unknownext", NULL},
	{"a.exe", NULL},
	{"a.php", NULL},
	{"a.htmlx", NULL},
	{"a.htm l", NULL},
	{"a.ht", NULL},
	{"a.h", NULL},
	{"a.webmanifestx", NULL},
	{"a.averyveryverylongextension", NULL},
	{"a.j\xc3\xa9", NULL},
	{"a.\xff", NULL},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

START_TEST(test_builtin_table)
{
	const struct mime_case *c = &cases[_i];
	size_t len = strlen(c->path);
	struct guard in;
	const char *got;

	guard_init(&in, len);
	memcpy(in.at, c->path, len);
	got = ymk__mime_builtin(in.at, len);
	if (c->want == NULL)
		ck_assert_msg(got == NULL, "row %d (%s): got %s", _i, c->path, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, c->want) == 0, "row %d (%s): got %s", _i,
			      c->path, got ? got : "(null)");
	guard_free(&in);
}
END_TEST

/* The public function: the same table, with the fallback instead of NULL. */
START_TEST(test_public_lookup)
{
	const struct mime_case *c = &cases[_i];
	const char *got = ymk_mime_lookup(c->path);

	ck_assert_str_eq(got, c->want != NULL ? c->want : "application/octet-stream");
}
END_TEST

START_TEST(test_edges)
{
	ck_assert_str_eq(ymk_mime_lookup(NULL), "application/octet-stream");
	ck_assert_ptr_null(ymk__mime_builtin(NULL, 0));
	ck_assert_ptr_null(ymk__mime_builtin(NULL, 5));
	/* The length bounds the name: "a.html" cut to "a.ht", or a NUL inside the extension. */
	ck_assert_ptr_null(ymk__mime_builtin("a.html", 4));
	ck_assert_str_eq(ymk__mime_builtin("a.css.old", 5), "text/css" UTF8);
	ck_assert_ptr_null(ymk__mime_builtin("a.js\0x", 6));
	/* Every text type names its charset; binary ones do not. */
	ck_assert_ptr_nonnull(strstr(ymk_mime_lookup("x.xml"), "charset=utf-8"));
	ck_assert_ptr_null(strstr(ymk_mime_lookup("x.png"), "charset"));
}
END_TEST

static Suite *mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_builtin_table, 0, (int)NCASES);
	tcase_add_loop_test(tc, test_public_lookup, 0, (int)NCASES);
	tcase_add_test(tc, test_edges);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mime_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
