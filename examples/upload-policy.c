/* upload-policy: serves a directory and accepts uploads under /uploads/ only, under rules a device
 * or a small site would want, written as a libymawky path policy and upload verdict:
 *
 *   - with --token-file, PUT and DELETE need "Authorization: Bearer TOKEN" (the file's first
 *     line): 401 with a WWW-Authenticate challenge and a JSON reason otherwise, 400 for a
 *     malformed Authorization; the token is compared through its SHA-256 in constant time, so
 *     neither its bytes nor its length show in the answer's timing;
 *   - PUT and DELETE only below /uploads/ (403 elsewhere); reads are allowed everywhere;
 *   - only .txt, .json, .png and .jpg names (415 otherwise), at most 4 MiB (413 past it, before a
 *     byte is stored);
 *   - each finished upload is checked before it replaces anything: PNG and JPEG must start with
 *     their magic bytes, JSON with '{' or '[', and when the client sends X-Content-SHA256 the
 *     file's SHA-256 must match it (422 otherwise, and the old file stays as it was).
 *
 * usage: upload-policy [--root DIR] [--listen ADDR:PORT] [--model event|fork] [--token-file FILE]
 * It prints "upload-policy: listening on port N" on stderr once it is ready. */
#include <ymawky.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_UPLOAD (4u << 20)

/* ---- SHA-256 (FIPS 180-4), small and self-contained --------------------------------------- */

struct sha256 {
	uint32_t h[8];
	uint8_t block[64];
	size_t fill;
	uint64_t total;
};

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a[8];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
		       p[4 * i + 3];
	for (int i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 7] +
		       (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(a, s->h, sizeof a);
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = a[7] + (ror(a[4], 6) ^ ror(a[4], 11) ^ ror(a[4], 25)) +
			      ((a[4] & a[5]) ^ (~a[4] & a[6])) + K[i] + w[i];
		uint32_t t2 = (ror(a[0], 2) ^ ror(a[0], 13) ^ ror(a[0], 22)) +
			      ((a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]));
		memmove(a + 1, a, 7 * sizeof a[0]);
		a[4] += t1;
		a[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		s->h[i] += a[i];
}

static void sha256_init(struct sha256 *s)
{
	static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(s->h, h0, sizeof h0);
	s->fill = 0;
	s->total = 0;
}

static void sha256_update(struct sha256 *s, const uint8_t *p, size_t n)
{
	s->total += n;
	while (n) {
		size_t k = 64 - s->fill < n ? 64 - s->fill : n;
		memcpy(s->block + s->fill, p, k);
		s->fill += k, p += k, n -= k;
		if (s->fill == 64) {
			sha256_block(s, s->block);
			s->fill = 0;
		}
	}
}

static void sha256_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->total * 8;
	uint8_t pad = 0x80, zero = 0, len[8];
	sha256_update(s, &pad, 1);
	while (s->fill != 56)
		sha256_update(s, &zero, 1);
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, len, 8);
	for (int i = 0; i < 32; i++)
		out[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

static void sha256_hex(struct sha256 *s, char out[65])
{
	uint8_t d[32];
	sha256_final(s, d);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void sha256(const void *p, size_t n, uint8_t out[32])
{
	struct sha256 s;
	sha256_init(&s);
	sha256_update(&s, p, n);
	sha256_final(&s, out);
}

/* ---- the token ---------------------------------------------------------------------------- */

static int token_required;
static uint8_t token_digest[32]; /* SHA-256 of the token: the secret itself is not kept */

/* Reads the token from the first line of a file (a file, not the command line, where any local
 * user could read it in the process list). It must be a Bearer token68: letters, digits and
 * "-._~+/", then any '='. */
static int load_token(const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		fprintf(stderr, "upload-policy: %s: %s\n", file, strerror(errno));
		return -1;
	}
	char line[512];
	int ok = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	size_t n = ok ? strcspn(line, "\r\n") : 0;
	line[n] = '\0';
	char header[sizeof line + 8];
	snprintf(header, sizeof header, "Bearer %s", line);
	const char *tok;
	if (!ok || ymk_auth_bearer(header, &tok, NULL) != 0) {
		fprintf(stderr,
			"upload-policy: %s: the first line must be a token (letters, digits, -._~+/)\n",
			file);
		return -1;
	}
	sha256(line, n, token_digest);
	memset(line, 0, sizeof line);
	memset(header, 0, sizeof header);
	token_required = 1;
	return 0;
}

/* Refuses a write without the right token: 401 with the RFC 6750 challenge (and error= when a
 * token was sent but is wrong), 400 for a malformed Authorization; a JSON reason in the body. */
static int refuse_token(ymk_request *req, int rc)
{
	const char *challenge = "Bearer realm=\"uploads\"", *reason = "a token is required";
	int status = 401;
	if (rc == YMK_EBADCREDENTIALS) {
		challenge = "Bearer realm=\"uploads\", error=\"invalid_request\"";
		reason = "malformed Authorization header";
		status = 400;
	} else if (rc == 0) {
		challenge = "Bearer realm=\"uploads\", error=\"invalid_token\"";
		reason = "wrong token";
	}
	char body[96];
	int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}\n", reason);
	ymk_response_header(req, "WWW-Authenticate", challenge);
	ymk_response_header(req, "Cache-Control", "no-store");
	ymk_respond_buffer(req, status, "application/json", body, (size_t)n);
	return status; /* the library's page for it, should that copy have failed */
}

/* 0 when the request carries the token, else the refusal. */
static int check_token(ymk_request *req)
{
	const char *tok;
	size_t len;
	int rc = ymk_auth_bearer(ymk_request_header(req, "Authorization"), &tok, &len);
	if (rc == 0) {
		uint8_t got[32];
		sha256(tok, len, got); /* equal lengths: the comparison leaks nothing about the token */
		if (ymk_secret_equal(got, sizeof got, token_digest, sizeof token_digest))
			return 0;
	}
	return refuse_token(req, rc);
}

/* ---- the policy --------------------------------------------------------------------------- */

static const char *extension(const char *path)
{
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
	return dot && (!slash || dot > slash + 1) ? dot + 1 : "";
}

static int policy(ymk_request *req, void *user)
{
	(void)user;
	const char *m = ymk_request_method(req), *path = ymk_request_path(req);
	if (!strcmp(m, "GET") || !strcmp(m, "HEAD"))
		return 0;
	/* A probe (building an OPTIONS answer) carries no credentials to check: PUT and DELETE are
	 * listed where the path rules allow them, and a request for them will be asked for the
	 * token. Credentials come first otherwise, so that a client without them learns nothing
	 * about the paths. */
	if (token_required && !ymk_request_is_probe(req)) {
		int st = check_token(req);
		if (st)
			return st;
	}
	if (strncmp(path, "/uploads/", 9) != 0)
		return 403;
	if (!strcmp(m, "DELETE"))
		return 0;
	const char *ext = extension(path);
	if (strcasecmp(ext, "txt") && strcasecmp(ext, "json") && strcasecmp(ext, "png") &&
	    strcasecmp(ext, "jpg"))
		return 415;
	ymk_request_set_body_limit(req, MAX_UPLOAD); /* 413 before a byte is stored */
	ymk_request_set_file_mode(req, 0644);
	return 0;
}

static int verdict(ymk_request *req, int fd, uint64_t size, void *user)
{
	(void)user;
	const char *ext = extension(ymk_request_path(req));
	uint8_t head[8] = {0};
	if (pread(fd, head, sizeof head, 0) < 0)
		return 500;
	if (!strcasecmp(ext, "png") && (size < 8 || memcmp(head, "\x89PNG\r\n\x1a\n", 8)))
		return 422;
	if (!strcasecmp(ext, "jpg") && (size < 3 || memcmp(head, "\xff\xd8\xff", 3)))
		return 422;
	if (!strcasecmp(ext, "json") && (size < 1 || (head[0] != '{' && head[0] != '[')))
		return 422;

	const char *want = ymk_request_header(req, "X-Content-SHA256");
	if (want) {
		struct sha256 s;
		uint8_t buf[65536];
		char got[65];
		sha256_init(&s);
		for (uint64_t off = 0; off < size;) {
			ssize_t n = pread(fd, buf, sizeof buf, (off_t)off);
			if (n <= 0)
				return 500;
			sha256_update(&s, buf, (size_t)n);
			off += (uint64_t)n;
		}
		sha256_hex(&s, got);
		if (strlen(want) != 64 || strncasecmp(want, got, 64) != 0)
			return 422;
	}
	return 0;
}

/* ---- the program -------------------------------------------------------------------------- */

static ymk_server *server;

static void on_signal(int sig)
{
	(void)sig;
	ymk_server_stop(server);
}

int main(int argc, char **argv)
{
	const char *root = "www", *listen = "127.0.0.1:8080", *token_file = NULL;
	int model = YMK_MODEL_EVENT;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--root"))
			root = argv[i + 1];
		else if (!strcmp(argv[i], "--listen"))
			listen = argv[i + 1];
		else if (!strcmp(argv[i], "--model"))
			model = !strcmp(argv[i + 1], "fork") ? YMK_MODEL_FORK : YMK_MODEL_EVENT;
		else if (!strcmp(argv[i], "--token-file"))
			token_file = argv[i + 1];
		else {
			fprintf(stderr,
				"usage: upload-policy [--root DIR] [--listen ADDR:PORT] [--model event|fork] "
				"[--token-file FILE]\n");
			return 2;
		}
	}
	if (token_file && load_token(token_file) < 0)
		return 1;
	ymk_config *cfg;
	int err = ymk_config_new(&cfg);
	if (!err)
		err = ymk_config_set_root(cfg, root);
	if (!err)
		err = ymk_config_set_listen(cfg, listen);
	if (!err)
		err = ymk_config_set_model(cfg, model);
	if (!err)
		err = ymk_config_set_methods(cfg, YMK_METHODS_READ | YMK_METHOD_PUT | YMK_METHOD_DELETE);
	if (!err)
		err = ymk_config_set_policy(cfg, policy, NULL);
	if (!err)
		err = ymk_config_set_upload_verdict(cfg, verdict, NULL);
	if (!err)
		err = ymk_server_new(&server, cfg);
	if (err) {
		fprintf(stderr, "upload-policy: %s (%s)\n", ymk_strerror(err),
			cfg ? ymk_config_error(cfg) : "");
		ymk_config_free(cfg);
		return 1;
	}
	ymk_config_free(cfg);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "upload-policy: listening on port %d\n", ymk_server_port(server));
	err = ymk_server_run(server);
	ymk_server_free(server);
	return err ? 1 : 0;
}
