/* test_tls.c: what only a TLS port does, in both process models (the rest of HTTP over TLS is
 * the other suites run in TLS mode): the negotiated version, cipher and SNI name a handler reads,
 * certificates picked by SNI, ALPN, the handshake deadline, plain HTTP closed and logged, a
 * certificate reload while 16 keep-alive clients stay connected, workers, a self-signed
 * certificate from memory, the configuration errors in plain words, answers that take time (a
 * produced body, a deferred answer, Server-Sent Events), and the door's refusals closed without a
 * byte. Runs with the test PKI of tests/tls/make-certs.sh (YMK_TEST_PKI) and the client in TLS
 * mode (YMK_TEST_TLS_CA). */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

static const char *pki(const char *name)
{
	static char bufs[8][PATH_MAX];
	static unsigned next;
	char *b = bufs[next++ % 8];
	const char *dir = getenv("YMK_TEST_PKI");
	ck_assert_msg(dir != NULL, "YMK_TEST_PKI is not set (run through meson test)");
	snprintf(b, PATH_MAX, "%s/%s", dir, name);
	return b;
}

static bool is_openssl(void)
{
	return strncmp(ymk_tls_backend(), "OpenSSL", 7) == 0;
}

/* ---- the log, through a file (callbacks run in the server's processes) -------------------- */

static void log_to_file(enum ymk_log_level level, const char *msg, void *user)
{
	(void)level;
	(void)user;
	char path[PATH_MAX];
	join(path, sizeof path, H.base, "server.log");
	FILE *f = fopen(path, "a");
	if (f) {
		fprintf(f, "%s\n", msg);
		fclose(f);
	}
}

/* Waits up to 5 s for the server's log to hold needle. */
static bool log_has(const char *needle)
{
	char path[PATH_MAX];
	join(path, sizeof path, H.base, "server.log");
	for (long long end = tc_now_ms() + 5000; tc_now_ms() < end; poll(NULL, 0, 20)) {
		size_t len;
		char *text = read_whole(path, &len);
		bool found = text && strstr(text, needle);
		free(text);
		if (found)
			return true;
	}
	return false;
}

/* ---- what a handler reads ------------------------------------------------------------------ */

static int info_handler(ymk_request *req, void *user)
{
	(void)user;
	char body[300];
	const char *v = ymk_request_tls_version(req), *c = ymk_request_tls_cipher(req),
		   *n = ymk_request_tls_server_name(req);
	int len = snprintf(body, sizeof body, "%s %s %s", v ? v : "-", c ? c : "-", n ? n : "-");
	return ymk_respond_buffer(req, 200, "text/plain", body, (size_t)len);
}

static void get_on(tc_conn *c, const char *target, tc_response *r)
{
	char raw[300];
	snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", target);
	exchange(c, raw, false, r);
}

START_TEST(test_info)
{
	struct server_opts o = {.model = model_of(_i), .handler = info_handler};
	start(&o);
	const char *want = is_openssl() ? "TLSv1.3 TLS_AES_128_GCM_SHA256 localhost"
					: "TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 localhost";
	tc_conn c;
	tc_response r;
	conn_open(&c);
	get_on(&c, "/", &r);
	expect_status(&r, 200, "TLS info");
	expect_body_str(&r, want, "version, cipher and SNI name seen by the handler");
	tc_response_free(&r);
	tc_close(&c);

	/* Without SNI the name is NULL (and the first certificate is presented). */
	ck_assert_msg(tc_connect_tls(&c, H.host, H.port, NULL, NULL, IO_MS) == 0, "no SNI: %s", c.err);
	get_on(&c, "/", &r);
	ck_assert_msg(r.body_len > 2 && strcmp(r.body + r.body_len - 2, " -") == 0,
		      "no SNI: the handler saw a name: %s", r.body);
	tc_response_free(&r);
	tc_close(&c);
	stop();
}
END_TEST

/* ---- SNI picks the certificate --------------------------------------------------------------- */

static int pick(const char *name, void *user)
{
	(void)user;
	if (!strcmp(name, "other.test"))
		return 1;
	if (!strcmp(name, "nowhere.test"))
		return 7; /* names no certificate */
	return strcmp(name, "localhost") == 0 ? 0 : -1;
}

static void configure_sni(ymk_config *cfg)
{
	int rc = ymk_config_add_tls_cert_file(cfg, pki("other.pem"), pki("other.key"));
	ck_assert_msg(rc == 1, "second certificate: %d %s", rc, ymk_config_error(cfg));
	ck_assert_int_eq(ymk_config_set_tls_sni(cfg, pick, NULL), 0);
}

START_TEST(test_sni)
{
	struct server_opts o = {.model = model_of(_i), .handler = info_handler, .configure = configure_sni};
	start(&o);
	tc_conn c;
	tc_response r;
	char cn[128];

	/* The client verifies the certificate against the name it asked for. */
	ck_assert_msg(tc_connect_tls(&c, H.host, H.port, "other.test", NULL, IO_MS) == 0, "other.test: %s",
		      c.err);
	ck_assert_str_eq(tc_tls_peer_cn(&c, cn, sizeof cn), "other.test");
	get_on(&c, "/", &r);
	ck_assert_msg(strstr(r.body, " other.test") != NULL, "handler's SNI name: %s", r.body);
	tc_response_free(&r);
	tc_close(&c);

	ck_assert_msg(tc_connect_tls(&c, H.host, H.port, "localhost", NULL, IO_MS) == 0, "localhost: %s",
		      c.err);
	ck_assert_str_eq(tc_tls_peer_cn(&c, cn, sizeof cn), "localhost");
	tc_close(&c);

	ck_assert_msg(tc_connect_tls(&c, H.host, H.port, "refused.test", NULL, IO_MS) < 0,
		      "a name the callback refuses got a handshake");
	tc_close(&c);
	ck_assert_msg(tc_connect_tls(&c, H.host, H.port, "nowhere.test", NULL, IO_MS) < 0,
		      "an index naming no certificate got a handshake");
	tc_close(&c);
	stop();
}
END_TEST

/* ---- ALPN -------------------------------------------------------------------------------------- */

START_TEST(test_alpn)
{
	start_model(_i);
	tc_conn c;
	tc_response r;
	ck_assert_msg(tc_connect_tls(&c, H.host, H.port, "localhost", "\x02h2\x08http/1.1", IO_MS) == 0,
		      "h2 and http/1.1 offered: %s", c.err);
	const unsigned char *sel;
	unsigned len;
	SSL_get0_alpn_selected(c.tls, &sel, &len);
	ck_assert_msg(len == 8 && memcmp(sel, "http/1.1", 8) == 0, "ALPN selected %.*s", (int)len, sel);
	get_on(&c, "/hello.txt", &r);
	expect_body_str(&r, HELLO, "GET over http/1.1 chosen by ALPN");
	tc_response_free(&r);
	tc_close(&c);
	ck_assert_msg(tc_connect_tls(&c, H.host, H.port, "localhost", "\x02h2", IO_MS) < 0,
		      "a client offering only h2 got a handshake");
	tc_close(&c);
	stop();
}
END_TEST

/* ---- the handshake deadline and what is not TLS ------------------------------------------ */

static int raw_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)H.port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	ck_assert_msg(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect: %s",
		      strerror(errno));
	return fd;
}

/* Milliseconds until the server closes fd (EOF or reset), at most limit; *bytes gets what came. */
static long long until_closed(int fd, int limit, size_t *bytes)
{
	long long t0 = tc_now_ms();
	*bytes = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)(t0 + limit - tc_now_ms());
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return -1;
		char buf[512];
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n <= 0)
			return tc_now_ms() - t0;
		*bytes += (size_t)n;
	}
}

static void configure_short_handshake(ymk_config *cfg)
{
	ck_assert_int_eq(ymk_config_set_tls_handshake_timeout(cfg, 600), 0);
	ck_assert_int_eq(ymk_config_set_log(cfg, log_to_file, NULL), 0);
}

START_TEST(test_stalled_handshake)
{
	struct server_opts o = {.model = model_of(_i), .configure = configure_short_handshake};
	start(&o);
	/* Silent after connecting, and a ClientHello cut short after its record header. */
	int silent = raw_connect(), partial = raw_connect();
	static const unsigned char hello_start[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
	ck_assert(send(partial, hello_start, sizeof hello_start, MSG_NOSIGNAL) ==
		  (ssize_t)sizeof hello_start);
	long long t0 = tc_now_ms();
	/* Meanwhile the server serves others (the fork model's parent never handshakes). */
	tc_conn c;
	tc_response r;
	conn_open(&c);
	get_on(&c, "/hello.txt", &r);
	expect_body_str(&r, HELLO, "a client served while two handshakes stall");
	tc_response_free(&r);
	tc_close(&c);
	size_t got;
	long long waited = until_closed(silent, 5000, &got);
	long long at = tc_now_ms() - t0;
	ck_assert_msg(waited >= 0,
		      "a silent connection was not closed within 5 s of a 600 ms handshake deadline");
	ck_assert_msg(at >= 450 && got == 0, "silent connection closed after %lld ms with %zu bytes", at,
		      got);
	long long w2 = until_closed(partial, 5000, &got);
	at = tc_now_ms() - t0;
	ck_assert_msg(w2 >= 0 && at >= 450 && at < 5000, "a stalled ClientHello closed after %lld ms", at);
	close(silent);
	close(partial);
	stop();
}
END_TEST

START_TEST(test_plain_http_closed)
{
	struct server_opts o = {.model = model_of(_i), .configure = configure_short_handshake};
	start(&o);
	int fd = raw_connect();
	ck_assert(send(fd, GET_HELLO, strlen(GET_HELLO), MSG_NOSIGNAL) == (ssize_t)strlen(GET_HELLO));
	size_t got;
	long long ms = until_closed(fd, 3000, &got);
	close(fd);
	ck_assert_msg(ms >= 0 && ms < 400, "plain HTTP on the TLS port: closed after %lld ms (want at once)",
		      ms);
	ck_assert_msg(got == 0, "plain HTTP on the TLS port got %zu bytes back (no plaintext answer)", got);
	ck_assert_msg(log_has("plain HTTP from 127.0.0.1 on the TLS port: closed"), "not logged");
	stop();
}
END_TEST

/* ---- reload with keep-alive clients ---------------------------------------------------------- */

#define KEEPERS 16

static void copy_file(const char *from, const char *to_name)
{
	size_t len;
	char *text = read_whole(from, &len);
	ck_assert_msg(text != NULL, "read %s", from);
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%s.tmp", to_name);
	put_file(H.base, tmp, text, len);
	free(text);
	char a[PATH_MAX], b[PATH_MAX];
	join(a, sizeof a, H.base, tmp);
	join(b, sizeof b, H.base, to_name);
	ck_assert_int_eq(rename(a, b), 0); /* atomic, as a renewal tool does it */
}

static void cert_files_fixture(void)
{
	copy_file(pki("server.pem"), "cert.pem");
	copy_file(pki("server.key"), "key.pem");
}

static void configure_files(ymk_config *cfg)
{
	char c[PATH_MAX], k[PATH_MAX];
	join(c, sizeof c, H.base, "cert.pem");
	join(k, sizeof k, H.base, "key.pem");
	int rc = ymk_config_add_tls_cert_file(cfg, c, k);
	ck_assert_msg(rc == 0, "add_tls_cert_file: %d %s", rc, ymk_config_error(cfg));
	ck_assert_int_eq(ymk_config_set_log(cfg, log_to_file, NULL), 0);
}

/* The SHA-256 of the certificate the connection was shown, or of the PEM file's. */
static void digest_peer(const tc_conn *c, unsigned char md[32])
{
	X509 *x = SSL_get1_peer_certificate(c->tls);
	unsigned n = 0;
	ck_assert(x && X509_digest(x, EVP_sha256(), md, &n) && n == 32);
	X509_free(x);
}

static void digest_file(const char *path, unsigned char md[32])
{
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "open %s", path);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	unsigned n = 0;
	ck_assert(x && X509_digest(x, EVP_sha256(), md, &n) && n == 32);
	X509_free(x);
}

static void fresh_shows(const unsigned char want[32], const char *ctx)
{
	unsigned char md[32];
	tc_conn c;
	tc_response r;
	/* The server reloads before the next accept: give the signal a moment to land. */
	for (long long end = tc_now_ms() + 5000;;) {
		conn_open(&c);
		digest_peer(&c, md);
		if (memcmp(md, want, 32) == 0 || tc_now_ms() > end)
			break;
		tc_close(&c);
		poll(NULL, 0, 20);
	}
	ck_assert_msg(memcmp(md, want, 32) == 0, "%s: a new connection was shown another certificate", ctx);
	get_on(&c, "/hello.txt", &r);
	expect_body_str(&r, HELLO, ctx);
	tc_response_free(&r);
	tc_close(&c);
}

START_TEST(test_reload_keeps_connections)
{
	struct server_opts o = {.model = model_of(_i),
				.keepalive_timeout_ms = 30000,
				.fixtures = cert_files_fixture,
				.configure = configure_files,
				.no_env_cert = true};
	start(&o);
	unsigned char old_md[32], new_md[32], md[32];
	digest_file(pki("server.pem"), old_md);
	digest_file(pki("renewed.pem"), new_md);
	ck_assert(memcmp(old_md, new_md, 32) != 0);

	tc_conn keep[KEEPERS];
	tc_response r;
	for (int i = 0; i < KEEPERS; i++) {
		conn_open(&keep[i]);
		get_on(&keep[i], "/hello.txt", &r);
		expect_body_str(&r, HELLO, "keep-alive client before the reload");
		tc_response_free(&r);
	}
	copy_file(pki("renewed.pem"), "cert.pem");
	copy_file(pki("renewed.key"), "key.pem");
	ck_assert_int_eq(kill(H.server, SIGHUP), 0);
	fresh_shows(new_md, "a new connection after the reload");
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < KEEPERS; i++) {
			char ctx[64];
			snprintf(ctx, sizeof ctx, "keep-alive client %d after the reload, round %d", i,
				 round);
			get_on(&keep[i], "/hello.txt", &r);
			expect_status(&r, 200, ctx);
			expect_body_str(&r, HELLO, ctx);
			tc_response_free(&r);
			digest_peer(&keep[i], md);
			ck_assert_msg(memcmp(md, old_md, 32) == 0, "%s: its certificate changed", ctx);
		}
	}
	ck_assert_msg(log_has("tls reload: 1 certificate file pair read again"), "reload not logged");

	/* A broken renewal keeps what is served, and says why. */
	put_text(H.base, "key.pem", "not a key\n");
	ck_assert_int_eq(kill(H.server, SIGHUP), 0);
	fresh_shows(new_md, "a new connection after a failed reload");
	ck_assert_msg(log_has("keeping the certificates in use"), "failed reload not logged");
	for (int i = 0; i < KEEPERS; i++) {
		get_on(&keep[i], "/hello.txt", &r);
		expect_body_str(&r, HELLO, "keep-alive client after a failed reload");
		tc_response_free(&r);
		tc_close(&keep[i]);
	}
	stop();
}
END_TEST

/* ---- workers -------------------------------------------------------------------------------- */

static void configure_workers(ymk_config *cfg)
{
	ck_assert_int_eq(ymk_config_set_workers(cfg, 3), 0);
}

START_TEST(test_workers)
{
	struct server_opts o = {.model = YMK_MODEL_EVENT, .configure = configure_workers};
	start(&o);
	for (int i = 0; i < 24; i++) {
		tc_conn c;
		tc_response r;
		conn_open(&c);
		get_on(&c, "/big.bin", &r);
		expect_status(&r, 200, "GET /big.bin over TLS with 3 workers");
		ck_assert_uint_eq(r.body_len, BIG_LEN);
		for (size_t k = 0; k < BIG_LEN; k += 997)
			ck_assert_uint_eq((unsigned char)r.body[k], big_byte(k));
		tc_response_free(&r);
		tc_close(&c);
	}
	stop();
}
END_TEST

/* ---- a self-signed certificate, served from memory ------------------------------------------- */

static char ss_cert[4096], ss_key[4096];

static void configure_self_signed(ymk_config *cfg)
{
	int rc = ymk_config_add_tls_cert(cfg, ss_cert, strlen(ss_cert), ss_key, strlen(ss_key) + 1);
	ck_assert_msg(rc == 0, "self-signed from memory: %d %s", rc, ymk_config_error(cfg));
}

START_TEST(test_self_signed)
{
	ck_assert_int_eq(ymk_tls_self_signed("127.0.0.1", 30, ss_cert, sizeof ss_cert, ss_key, sizeof ss_key),
			 0);
	char small[64];
	ck_assert_int_eq(ymk_tls_self_signed("127.0.0.1", 30, small, sizeof small, ss_key, sizeof ss_key),
			 YMK_ENOMEM);
	ck_assert_int_eq(ymk_tls_self_signed("bad host!", 30, ss_cert, sizeof ss_cert, ss_key, sizeof ss_key),
			 YMK_EINVAL);
	ck_assert_int_eq(ymk_tls_self_signed("127.0.0.1", 0, ss_cert, sizeof ss_cert, ss_key, sizeof ss_key),
			 YMK_EINVAL);
	ck_assert_int_eq(ymk_tls_self_signed("127.0.0.1", 30, ss_cert, sizeof ss_cert, ss_key, sizeof ss_key),
			 0);

	BIO *b = BIO_new_mem_buf(ss_cert, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	b = BIO_new_mem_buf(ss_key, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	ck_assert_msg(x && k, "the PEM texts do not parse");
	ck_assert_int_eq(X509_check_private_key(x, k), 1);
	ck_assert_int_eq(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
	ck_assert_int_eq(X509_check_ca(x), 0);
	ck_assert_int_eq(EVP_PKEY_get_bits(k), 256);
	ck_assert_int_eq(X509_get_extended_key_usage(x) & XKU_SSL_SERVER, XKU_SSL_SERVER);
	int days = 0, secs = 0;
	ck_assert(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)));
	ck_assert_msg(days >= 29 && days <= 30, "valid for %d more days", days);
	ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
	ck_assert_int_eq(X509_verify(x, k), 1); /* signed by its own key */

	struct server_opts o = {
		.model = model_of(_i), .configure = configure_self_signed, .no_env_cert = true};
	start(&o);
	/* A client that trusts this one certificate. */
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), x);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	int fd = raw_connect();
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
	ck_assert_msg(SSL_connect(ssl) == 1, "handshake with the self-signed certificate: %s",
		      ERR_reason_error_string(ERR_get_error()));
	ck_assert(SSL_write(ssl, GET_HELLO, (int)strlen(GET_HELLO)) > 0);
	char buf[512];
	int n = SSL_read(ssl, buf, sizeof buf - 1);
	ck_assert(n > 12);
	buf[n] = '\0';
	ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "answer: %s", buf);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	X509_free(x);
	EVP_PKEY_free(k);
	stop();
}
END_TEST

/* ---- configuration errors, in plain words ------------------------------------------------ */

static void expect_refused(int rc, int want, const ymk_config *cfg, const char *words, const char *ctx)
{
	ck_assert_msg(rc == want, "%s: %d (%s), expected %d", ctx, rc, ymk_strerror(rc), want);
	ck_assert_msg(strstr(ymk_config_error(cfg), words) != NULL, "%s: the error says \"%s\", not \"%s\"",
		      ctx, ymk_config_error(cfg), words);
}

START_TEST(test_config_errors)
{
	ymk_config *cfg;
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	size_t clen, klen, olen;
	char *cert = read_whole(pki("server.pem"), &clen), *key = read_whole(pki("server.key"), &klen),
	     *other_key = read_whole(pki("other.key"), &olen);
	ck_assert(cert && key && other_key);

	expect_refused(ymk_config_add_tls_cert(cfg, "hello", 5, key, klen), YMK_ETLS, cfg,
		       "no PEM certificate found", "not a certificate");
	expect_refused(ymk_config_add_tls_cert(cfg, cert, clen, cert, clen), YMK_ETLS, cfg,
		       "no unencrypted PEM private key", "a certificate as the key");
	expect_refused(ymk_config_add_tls_cert(cfg, cert, clen, other_key, olen), YMK_ETLS, cfg,
		       "does not belong to the certificate", "another certificate's key");
	expect_refused(ymk_config_add_tls_cert_file(cfg, "/nonexistent/cert.pem", pki("server.key")), -ENOENT,
		       cfg, "\"/nonexistent/cert.pem\": no such file", "a missing file");
	expect_refused(ymk_config_add_tls_cert(cfg, NULL, 0, key, klen), YMK_EINVAL, cfg, "both",
		       "no certificate");
	expect_refused(ymk_config_set_tls_min_version(cfg, 0x0302), YMK_EINVAL, cfg, "neither",
		       "TLS 1.1 floor");
	expect_refused(ymk_config_set_tls_handshake_timeout(cfg, 0), YMK_EINVAL, cfg, "tls_handshake_timeout",
		       "no handshake time");
	if (!is_openssl())
		expect_refused(ymk_config_set_tls_min_version(cfg, YMK_TLS_1_3), YMK_ETLS, cfg,
			       "TLS 1.2 at most", "TLS 1.3 on mbed TLS");

	/* TLS settings without a certificate are a mistake, not plain HTTP. */
	ymk_server *srv = NULL;
	scratch_dir();
	ck_assert_int_eq(ymk_config_set_root(cfg, H.root), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
	expect_refused(ymk_server_new(&srv, cfg), YMK_EINVAL, cfg, "no certificate",
		       "TLS settings, no certificate");
	ck_assert_int_eq(ymk_config_add_tls_cert(cfg, cert, clen, key, klen), 0);
	ck_assert_int_eq(ymk_server_new(&srv, cfg), 0);
	ck_assert_int_eq(ymk_server_tls_reload(srv), 0);
	ymk_server_free(srv);
	ymk_config_free(cfg);

	/* A plain server has nothing to reload. */
	ck_assert_int_eq(ymk_config_new(&cfg), 0);
	ck_assert_int_eq(ymk_config_set_root(cfg, H.root), 0);
	ck_assert_int_eq(ymk_config_set_listen(cfg, "127.0.0.1:0"), 0);
	ck_assert_int_eq(ymk_server_new(&srv, cfg), 0);
	ck_assert_int_eq(ymk_server_tls_reload(srv), YMK_ESTATE);
	ymk_server_free(srv);
	ymk_config_free(cfg);
	free(cert);
	free(key);
	free(other_key);
	remove_tree();
}
END_TEST

/* ---- answers that take time, over TLS ------------------------------------------------------ */

#define PRODUCED_LEN (3u * 1024 * 1024 + 17) /* many 16 KiB records, and a short last one */

static unsigned char produced_byte(size_t k)
{
	return (unsigned char)((k * 131u + (k >> 12)) & 0xff);
}

static long produce_pattern(char *buf, size_t cap, void *user)
{
	size_t *at = user;
	size_t n = PRODUCED_LEN - *at < cap ? PRODUCED_LEN - *at : cap;
	if (n > 777)
		n -= 777; /* pieces that do not line up with records */
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)produced_byte(*at + i);
	*at += n;
	return (long)n;
}

static void free_counter(void *user)
{
	free(user);
}

struct later {
	ymk_request *req;
	int sent;
};

static void later_closed(ymk_request *req, enum ymk_close_reason why, void *user)
{
	(void)req, (void)why;
	((struct later *)user)->req = NULL;
}

static void later_free(ymk_request *req, enum ymk_close_reason why, void *user)
{
	later_closed(req, why, user);
	free(user);
}

/* Three events 40 ms apart from a server timer, then the end of the stream. */
static void sse_tick(ymk_server *srv, void *user)
{
	struct later *l = user;
	if (!l->req)
		return;
	char id[12], data[48];
	snprintf(id, sizeof id, "%d", l->sent + 1);
	snprintf(data, sizeof data, "tick %d\nover tls", l->sent + 1);
	ck_assert_int_eq(ymk_sse_send(l->req, "tick", id, data), 0);
	if (++l->sent == 3)
		ck_assert_int_eq(ymk_stream_end(l->req), 0);
	else
		ck_assert_int_eq(ymk_server_timer(srv, 40, sse_tick, l, NULL), 0);
}

static void answer_later(ymk_server *srv, void *user)
{
	(void)srv;
	struct later *l = user;
	if (l->req)
		ck_assert_int_eq(ymk_respond_buffer(l->req, 200, "text/plain", "answered later\n", 15), 0);
}

static int timely_handler(ymk_request *req, void *user)
{
	(void)user;
	const char *path = ymk_request_path(req);
	if (!strcmp(path, "/produce")) {
		size_t *at = calloc(1, sizeof *at);
		ck_assert_ptr_nonnull(at);
		/* ?unknown: no length (chunked to 1.1, close-delimited to 1.0). */
		int64_t len = ymk_request_query(req) ? -1 : (int64_t)PRODUCED_LEN;
		return ymk_respond_producer(req, 200, NULL, len, produce_pattern, free_counter, at);
	}
	if (strcmp(path, "/sse") && strcmp(path, "/later"))
		return YMK_PASS; /* the files */
	struct later *l = calloc(1, sizeof *l);
	ck_assert_ptr_nonnull(l);
	l->req = req;
	if (!strcmp(path, "/sse")) {
		ck_assert_int_eq(ymk_sse_open(req), 0);
		ck_assert_int_eq(ymk_request_on_close(req, later_free, l), 0);
		return ymk_server_timer(ymk_request_server(req), 40, sse_tick, l, NULL);
	}
	ck_assert_int_eq(ymk_request_defer(req), 0);
	ck_assert_int_eq(ymk_request_on_close(req, later_free, l), 0);
	return ymk_server_timer(ymk_request_server(req), 100, answer_later, l, NULL);
}

static void expect_produced(const tc_response *r, const char *ctx)
{
	expect_status(r, 200, ctx);
	ck_assert_msg(r->body_len == PRODUCED_LEN, "%s: %zu bytes, want %u", ctx, r->body_len, PRODUCED_LEN);
	for (size_t k = 0; k < PRODUCED_LEN; k++)
		if ((unsigned char)r->body[k] != produced_byte(k))
			ck_abort_msg("%s: byte %zu differs", ctx, k);
}

START_TEST(test_answers_over_time)
{
	struct server_opts o = {.model = model_of(_i), .handler = timely_handler};
	start(&o);
	tc_conn c;
	tc_response r;
	conn_open(&c);
	/* A produced body of known length, then a deferred answer, on one keep-alive connection. */
	get_on(&c, "/produce", &r);
	expect_produced(&r, "GET /produce over TLS");
	tc_response_free(&r);
	long long t0 = tc_now_ms();
	get_on(&c, "/later", &r);
	expect_status(&r, 200, "GET /later over TLS");
	expect_body_str(&r, "answered later\n", "the deferred answer over TLS");
	ck_assert_msg(tc_now_ms() - t0 >= 90, "the deferred answer came before its timer");
	tc_response_free(&r);
	expect_still_open(&c, "after a deferred answer over TLS");
	tc_close(&c);

	/* No length, HTTP/1.0: the body ends with the connection (a close_notify, then EOF). */
	conn_open(&c);
	exchange(&c, "GET /produce?unknown HTTP/1.0\r\nHost: localhost\r\n\r\n", false, &r);
	expect_produced(&r, "GET /produce?unknown HTTP/1.0 over TLS");
	ck_assert_msg(r.until_eof, "the unknown length was not close-delimited");
	tc_response_free(&r);
	tc_close(&c);

	/* Server-Sent Events from a server timer, whole events in order, then the end. */
	conn_open(&c);
	exchange(&c, "GET /sse HTTP/1.0\r\nHost: localhost\r\n\r\n", false, &r);
	expect_status(&r, 200, "GET /sse over TLS");
	expect_header(&r, "Content-Type", "text/event-stream; charset=utf-8", "SSE over TLS");
	expect_body_str(&r,
			"event: tick\nid: 1\ndata: tick 1\ndata: over tls\n\n"
			"event: tick\nid: 2\ndata: tick 2\ndata: over tls\n\n"
			"event: tick\nid: 3\ndata: tick 3\ndata: over tls\n\n",
			"three events over TLS");
	tc_response_free(&r);
	tc_close(&c);
	stop();
}
END_TEST

/* ---- the door's refusals on a TLS port ----------------------------------------------------- */

static int refuse_403(ymk_conn *conn, void *user)
{
	(void)conn, (void)user;
	return 403;
}

static void configure_refusing(ymk_config *cfg)
{
	ck_assert_int_eq(ymk_config_set_accept_hook(cfg, refuse_403, NULL), 0);
	ck_assert_int_eq(ymk_config_set_log(cfg, log_to_file, NULL), 0);
}

START_TEST(test_door_refusal_closes)
{
	struct server_opts o = {.model = model_of(_i), .configure = configure_refusing};
	start(&o);
	/* The ClientHello's first bytes are sent; no plaintext 403 and no handshake come back. */
	int fd = raw_connect();
	static const unsigned char hello_start[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
	(void)send(fd, hello_start, sizeof hello_start, MSG_NOSIGNAL);
	size_t got;
	long long ms = until_closed(fd, 3000, &got);
	close(fd);
	ck_assert_msg(ms >= 0 && ms < 1000, "a refused TLS connection closed after %lld ms (want at once)",
		      ms);
	ck_assert_msg(got == 0, "a refused TLS connection got %zu bytes (want none)", got);
	tc_conn c;
	ck_assert_msg(tc_connect_tls(&c, H.host, H.port, "localhost", NULL, IO_MS) < 0,
		      "a TLS handshake succeeded on a connection the accept hook refused");
	tc_close(&c);
	ck_assert_msg(log_has("refused by the accept hook (403)"), "the refusal was not logged");
	stop();
}
END_TEST

static Suite *tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = harness_case("tls", 60);
	tcase_add_loop_test(tc, test_info, 0, 2);
	tcase_add_loop_test(tc, test_sni, 0, 2);
	tcase_add_loop_test(tc, test_alpn, 0, 2);
	tcase_add_loop_test(tc, test_stalled_handshake, 0, 2);
	tcase_add_loop_test(tc, test_plain_http_closed, 0, 2);
	tcase_add_loop_test(tc, test_reload_keeps_connections, 0, 2);
	tcase_add_test(tc, test_workers);
	tcase_add_loop_test(tc, test_self_signed, 0, 2);
	tcase_add_test(tc, test_config_errors);
	tcase_add_loop_test(tc, test_answers_over_time, 0, 2);
	tcase_add_loop_test(tc, test_door_refusal_closes, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(tls_suite());
}
