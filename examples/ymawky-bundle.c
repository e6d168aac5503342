/* ymawky-bundle: turns a directory into a C source file defining one ymk_bundle, so that a program
 * with no disk (a firmware web UI) can serve its files with ymk_config_set_bundle().
 *
 * usage: ymawky-bundle [--gzip] [--name SYMBOL] [--mtime SECONDS] DIR OUTPUT.c
 *
 * Every regular file below DIR becomes one ymk_bundle_file; names starting with '.' are skipped
 * and a symlink or any other kind of file is an error, so what is served is exactly what was
 * meant. The output is a pure function of the input (files sorted by path, entity-tags hashed
 * from the content, gzip headers without a timestamp, no paths or dates of the build machine),
 * so builds are reproducible: Last-Modified is the file's mtime, clamped to SOURCE_DATE_EPOCH
 * when that is set, or the --mtime value for every file. The output is written to a temporary
 * file and renamed into place, so a failed run never leaves a half-written source behind. */
#include <ymawky.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if YMK_HAVE_ZLIB
#include <zlib.h>
#endif

#define MAX_FILES 100000
#define MAX_TOTAL (1ull << 30) /* bytes of all originals together */
#define MAX_DEPTH 64           /* nested directories: bounds the open directory fds */
#define MAX_PATH 4095          /* the library's longest path is 4096 bytes with its NUL */

struct entry {
	char *path; /* "/rel/path" as served */
	dev_t dev;  /* identity seen by the walk, checked again when the file is read */
	ino_t ino;
	int64_t mtime;
};

static struct entry *entries;
static size_t nentries, capentries;
static uint64_t total_size;
static const char *prog = "ymawky-bundle";

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static char *tmp_output; /* removed by die() so a failure leaves nothing behind */

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (tmp_output)
		unlink(tmp_output);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static void add_entry(const char *path, const struct stat *st)
{
	if (nentries == MAX_FILES)
		die("more than %d files", MAX_FILES);
	if ((uint64_t)st->st_size > MAX_TOTAL - total_size)
		die("%s: the files add up to more than 1 GiB", path);
	total_size += (uint64_t)st->st_size;
	if (nentries == capentries) {
		capentries = capentries ? capentries * 2 : 64;
		struct entry *n = realloc(entries, capentries * sizeof *entries);
		if (!n)
			die("out of memory");
		entries = n;
	}
	size_t len = strlen(path);
	struct entry *e = &entries[nentries++];
	e->path = xmalloc(len + 1);
	memcpy(e->path, path, len + 1);
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->mtime = (int64_t)st->st_mtime;
}

/* Walks the directory open at fd, whose served path is prefix ("" for the top). Directories are
 * opened with O_NOFOLLOW beneath their parent's fd, so a symlink can never lead the walk out of
 * DIR, and every entry is looked at with lstat semantics. */
static void walk(int fd, const char *prefix, int depth)
{
	if (depth > MAX_DEPTH)
		die("%s: directories nested more than %d deep", prefix, MAX_DEPTH);
	DIR *d = fdopendir(fd);
	if (!d)
		die("%s/: %s", prefix, strerror(errno));
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno)
				die("%s/: %s", prefix, strerror(errno));
			break;
		}
		if (de->d_name[0] == '.') /* also "." and ".." */
			continue;
		size_t plen = strlen(prefix), nlen = strlen(de->d_name);
		if (plen + 1 + nlen > MAX_PATH)
			die("%s/%s: path longer than %d bytes", prefix, de->d_name, MAX_PATH);
		char path[MAX_PATH + 1]; /* lengths checked just above */
		memcpy(path, prefix, plen);
		path[plen] = '/';
		memcpy(path + plen + 1, de->d_name, nlen + 1);
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			die("%s: %s", path, strerror(errno));
		if (S_ISLNK(st.st_mode))
			die("%s: is a symlink (refused: bundle real files only)", path);
		if (S_ISDIR(st.st_mode)) {
			int sub =
				openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				die("%s: %s", path, strerror(errno));
			walk(sub, path, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			add_entry(path, &st);
		} else {
			die("%s: not a regular file or directory", path);
		}
	}
	closedir(d);
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

/* Reads a file found by the walk. It is opened by path again, so it is checked to be the very
 * file the walk saw (same device and inode, still regular): a swap in between is an error rather
 * than a surprise in the firmware. */
static unsigned char *read_entry(int rootfd, const struct entry *e, size_t *len)
{
	int fd = openat(rootfd, e->path + 1, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", e->path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0)
		die("%s: %s", e->path, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_dev != e->dev || st.st_ino != e->ino)
		die("%s: changed while the directory was being read", e->path);
	size_t size = (size_t)st.st_size, got = 0;
	unsigned char *buf = xmalloc(size);
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("%s: %s", e->path, strerror(errno));
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != size)
		die("%s: changed size while being read", e->path);
	close(fd);
	*len = size;
	return buf;
}

/* 64-bit FNV-1a: a content hash for the entity-tag, fixed at build time. A strong validator only
 * has to change when the bytes change; it need not resist forgery. */
static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#if YMK_HAVE_ZLIB
/* Compresses with a gzip header whose mtime is 0, OS "unknown", no name: the same input gives the
 * same bytes on every machine. */
static unsigned char *gzip_bytes(const char *path, const unsigned char *in, size_t n, size_t *outlen)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		die("%s: deflateInit2 failed", path);
	gz_header hd;
	memset(&hd, 0, sizeof hd);
	hd.os = 255;
	if (deflateSetHeader(&zs, &hd) != Z_OK)
		die("%s: deflateSetHeader failed", path);
	uLong bound = deflateBound(&zs, (uLong)n) + 64;
	unsigned char *out = xmalloc(bound);
	zs.next_in = (Bytef *)(uintptr_t)in; /* zlib does not write through next_in */
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		die("%s: deflate failed", path);
	*outlen = (size_t)zs.total_out;
	deflateEnd(&zs);
	return out;
}
#endif

/* ---- output ------------------------------------------------------------------------------- */

static FILE *out;

static void put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void put(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
}

/* A C string literal for any bytes: printable ASCII as is, except '"', '\\' and '?' (no
 * trigraphs), everything else as a three-digit octal escape, which cannot run into the next
 * character the way a hex escape would. */
static void put_cstring(const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\' || *p == '?')
			fprintf(out, "\\%c", *p);
		else if (*p >= 0x20 && *p < 0x7f)
			fputc(*p, out);
		else
			fprintf(out, "\\%03o", *p);
	}
	fputc('"', out);
}

/* One static array; a zero-length file still gets a one-byte array so its pointer is valid and
 * distinct (C has no zero-length arrays). Lines are formatted by hand: fprintf per byte would make
 * a large bundle slow to generate. */
static void put_array(const char *sym, const char *kind, size_t idx, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	put("static const unsigned char %s_%s%zu[%zu] = {", sym, kind, idx, n ? n : 1);
	if (!n)
		put("0");
	char line[16 * 6 + 4];
	for (size_t i = 0; i < n; i += 16) {
		char *q = line;
		*q++ = '\n';
		*q++ = '\t';
		for (size_t j = i; j < n && j < i + 16; j++) {
			*q++ = '0';
			*q++ = 'x';
			*q++ = hex[p[j] >> 4];
			*q++ = hex[p[j] & 15];
			*q++ = ',';
			if (j + 1 < n && j + 1 < i + 16)
				*q++ = ' ';
		}
		fwrite(line, 1, (size_t)(q - line), out);
	}
	put("%s};\n", n ? "\n" : "");
}

struct meta {
	size_t size, gzip_size;
	uint64_t hash, gzip_hash;
	int has_gzip;
};

static int valid_symbol(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_'))
			return 0;
	return 1;
}

/* Seconds since the epoch, 0 up to the year 9999: enough for any real timestamp, and it keeps a
 * typo from turning into a date the HTTP-date formatter cannot write. */
static int parse_seconds(const char *s, int64_t *out_v)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || s[0] == '+' || v > 253402300799ull)
		return -1;
	*out_v = (int64_t)v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ymawky-bundle [--gzip] [--name SYMBOL] [--mtime SECONDS] DIR OUTPUT.c\n"
		   "  --gzip           add a gzip variant of each file when it is smaller\n"
		   "  --name SYMBOL    name of the ymk_bundle defined (default: ymk_bundle_assets)\n"
		   "  --mtime SECONDS  Last-Modified of every file (default: its mtime, clamped to\n"
		   "                   SOURCE_DATE_EPOCH when that is set)\n");
}

int main(int argc, char **argv)
{
	const char *sym = "ymk_bundle_assets", *dir = NULL, *output = NULL;
	int gzip = 0, have_mtime = 0, have_clamp = 0;
	int64_t fixed_mtime = 0, clamp = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--gzip")) {
			gzip = 1;
		} else if ((!strcmp(a, "--name") || !strcmp(a, "--mtime")) && i + 1 < argc) {
			const char *v = argv[++i];
			if (a[2] == 'n') {
				if (!valid_symbol(v))
					die("--name %s: not a C identifier", v);
				sym = v;
			} else {
				if (parse_seconds(v, &fixed_mtime))
					die("--mtime %s: not a number of seconds", v);
				have_mtime = 1;
			}
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "%s: unknown option or missing value: %s\n", prog, a);
			usage(stderr);
			return 2;
		} else if (!dir) {
			dir = a;
		} else if (!output) {
			output = a;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!dir || !output) {
		usage(stderr);
		return 2;
	}
#if !YMK_HAVE_ZLIB
	if (gzip)
		die("--gzip: this ymawky-bundle was built without zlib; rebuild with zlib installed "
		    "(Debian: zlib1g-dev) or drop --gzip");
#endif
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	if (sde && *sde && !have_mtime) {
		if (parse_seconds(sde, &clamp))
			die("SOURCE_DATE_EPOCH=%s: not a number of seconds", sde);
		have_clamp = 1;
	}

	int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		die("%s: %s", dir, strerror(errno));
	int walkfd = dup(rootfd);
	if (walkfd < 0)
		die("%s: %s", dir, strerror(errno));
	walk(walkfd, "", 0);
	/* Sorted by strcmp: readdir order differs between file systems, and the library looks
	 * paths up by binary search. */
	qsort(entries, nentries, sizeof *entries, by_path);

	size_t olen = strlen(output);
	tmp_output = xmalloc(olen + 16);
	snprintf(tmp_output, olen + 16, "%s.tmpXXXXXX", output);
	int ofd = mkstemp(tmp_output);
	if (ofd < 0) {
		int e = errno;
		free(tmp_output);
		tmp_output = NULL;
		die("%s: %s", output, strerror(e));
	}
	mode_t um = umask(0);
	umask(um);
	fchmod(ofd, 0666 & ~um); /* as a plain create would have made it, not mkstemp's 0600 */
	out = fdopen(ofd, "w");
	if (!out)
		die("%s: %s", output, strerror(errno));

	put("/* Generated by ymawky-bundle: %zu file%s. Do not edit; regenerate from the source directory. */\n"
	    "#include <ymawky.h>\n\n",
	    nentries, nentries == 1 ? "" : "s");
	struct meta *m = xmalloc(nentries * sizeof *m);
	for (size_t i = 0; i < nentries; i++) {
		size_t n;
		unsigned char *data = read_entry(rootfd, &entries[i], &n);
		m[i].size = n;
		m[i].hash = fnv1a(data, n);
		m[i].has_gzip = 0;
		/* The path in a comment for whoever reads the file: '*' and control bytes are shown as
		 * '?', so no name can open or close a comment. */
		put("/* ");
		for (const char *p = entries[i].path; *p; p++) {
			unsigned char c = (unsigned char)*p;
			fputc(c < 0x20 || c >= 0x7f || c == '*' ? '?' : c, out);
		}
		put(" */\n");
		put_array(sym, "data", i, data, n);
#if YMK_HAVE_ZLIB
		if (gzip) {
			size_t zn;
			unsigned char *z = gzip_bytes(entries[i].path, data, n, &zn);
			if (zn < n) {
				m[i].has_gzip = 1;
				m[i].gzip_size = zn;
				m[i].gzip_hash = fnv1a(z, zn);
				put_array(sym, "gzip", i, z, zn);
			}
			free(z);
		}
#endif
		free(data);
	}

	put("\nstatic const ymk_bundle_file %s_files[%zu] = {\n", sym, nentries ? nentries : 1);
	if (!nentries)
		put("\t{ .path = 0 }, /* placeholder: C has no empty arrays; count is 0 */\n");
	for (size_t i = 0; i < nentries; i++) {
		const struct entry *e = &entries[i];
		int64_t mt = have_mtime ? fixed_mtime : have_clamp && e->mtime > clamp ? clamp : e->mtime;
		put("\t{\n\t\t.path = ");
		put_cstring(e->path);
		put(",\n\t\t.data = %s_data%zu,\n\t\t.size = %zuu,\n\t\t.content_type = ", sym, i, m[i].size);
		put_cstring(ymk_mime_lookup(e->path));
		put(",\n\t\t.etag = \"\\\"%016" PRIx64 "\\\"\",\n\t\t.mtime = %" PRId64 "ll,\n", m[i].hash,
		    mt);
		if (m[i].has_gzip)
			put("\t\t.gzip_data = %s_gzip%zu,\n\t\t.gzip_size = %zuu,\n"
			    "\t\t.gzip_etag = \"\\\"%016" PRIx64 "-gz\\\"\",\n",
			    sym, i, m[i].gzip_size, m[i].gzip_hash);
		else
			put("\t\t.gzip_data = 0,\n\t\t.gzip_size = 0,\n\t\t.gzip_etag = 0,\n");
		put("\t},\n");
	}
	put("};\n\n"
	    "extern const ymk_bundle %s;\n"
	    "const ymk_bundle %s = {\n\t.version = %u,\n\t.count = %zu,\n\t.files = %s_files,\n};\n",
	    sym, sym, (unsigned)YMK_BUNDLE_VERSION, nentries, sym);

	if (fflush(out) || ferror(out) || fsync(ofd) < 0)
		die("%s: write failed: %s", output, strerror(errno));
	if (fclose(out))
		die("%s: write failed: %s", output, strerror(errno));
	if (rename(tmp_output, output) < 0)
		die("%s: %s", output, strerror(errno));
	free(tmp_output);
	tmp_output = NULL;
	for (size_t i = 0; i < nentries; i++)
		free(entries[i].path);
	free(entries);
	free(m);
	close(rootfd);
	return 0;
}
