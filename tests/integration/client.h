/* client.h: a tiny raw-socket HTTP/1.1 client for the integration tests. It sends exactly the bytes a
 * test gives it and reads back one response at a time, so a test can write malformed, pipelined or
 * paced requests and see precisely what the server answered and whether it closed the connection.
 * Every call takes a deadline; nothing blocks without one. Responses are held in bounded buffers. */
#ifndef YMK_TEST_CLIENT_H
#define YMK_TEST_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#define TC_MAX_HEAD (64u * 1024u)        /* longest response head accepted */
#define TC_MAX_BODY (8u * 1024u * 1024u) /* longest response body accepted */
#define TC_MAX_HEADERS 64

/* One connection. The buffer holds bytes received but not yet consumed by a response, so
 * pipelined responses are read one after the other. */
typedef struct tc_conn {
	int fd;
	void *tls; /* the OpenSSL SSL object in TLS mode (tc_tls_enabled()), else NULL */
	char *buf;
	size_t len;
	size_t cap;
	bool eof;        /* the peer closed its side (or reset the connection) */
	bool reset;      /* the close was a reset (ECONNRESET) */
	size_t received; /* bytes received in all */
	char err[256];   /* why the last failing call failed */
} tc_conn;

typedef struct tc_field {
	const char *name;
	const char *value;
} tc_field;

/* One parsed response. head and body are owned; free with tc_response_free(). */
typedef struct tc_response {
	int minor; /* HTTP/1.minor of the status line */
	int status;
	const char *reason; /* points into head */
	size_t nheaders;
	tc_field headers[TC_MAX_HEADERS];
	char *head; /* the head, split in place into NUL-terminated strings */
	char *body; /* body bytes, NUL-terminated for convenience (never NULL after success) */
	size_t body_len;
	bool until_eof; /* the body had no length and ran until the connection closed */
} tc_response;

/* TLS mode: when the environment names a CA file in YMK_TEST_TLS_CA, every connection is TLS
 * (OpenSSL's client), verified against that CA for the address connected to, with SNI from
 * YMK_TEST_TLS_SNI (default "localhost") and ALPN http/1.1. The same calls then send and read the
 * decrypted bytes; EOF is the end of the TLS stream (close_notify or the TCP FIN). */
bool tc_tls_enabled(void);

/* Like tc_connect() but TLS with the given SNI name (NULL: none) and ALPN list (wire format, NULL:
 * http/1.1), whatever the environment says; the CA is YMK_TEST_TLS_CA's. */
int tc_connect_tls(tc_conn *c, const char *host, int port, const char *sni, const char *alpn, int timeout_ms);

/* The connection's negotiated version ("TLSv1.3"), and the subject CN of the server's certificate
 * (into buf); NULL when not TLS. */
const char *tc_tls_version(const tc_conn *c);
const char *tc_tls_peer_cn(const tc_conn *c, char *buf, size_t len);

/* Milliseconds on the monotonic clock. */
long long tc_now_ms(void);

/* Connects to host ("127.0.0.1" or "::1") at port within timeout_ms. Returns 0, or -1 with c->err. */
int tc_connect(tc_conn *c, const char *host, int port, int timeout_ms);

/* The same from the local address src ("127.0.0.2"), or from any when src is NULL. */
int tc_connect_from(tc_conn *c, const char *src, const char *host, int port, int timeout_ms);

/* Closes the socket and frees the buffer. Safe to call twice. */
void tc_close(tc_conn *c);

/* Sends all len bytes within timeout_ms. Returns 0, or -1 with c->err (peer closed, timeout...). */
int tc_send(tc_conn *c, const void *data, size_t len, int timeout_ms);
int tc_send_str(tc_conn *c, const char *s, int timeout_ms);

/* One send() of the bytes (in TLS mode one SSL_write(), one record up to 16 KiB), for tests that
 * need bytes to arrive together. Returns what it sent, or -1. */
long tc_send_once(tc_conn *c, const void *data, size_t len);

/* Reads one response within timeout_ms. head_request says the request was HEAD (no body follows);
 * 1xx, 204 and 304 never have a body either. The body is read by Content-Length, else until EOF.
 * Returns 0, or -1 with c->err. r is always left in a state tc_response_free() accepts. */
int tc_read_response(tc_conn *c, tc_response *r, bool head_request, int timeout_ms);
void tc_response_free(tc_response *r);

/* The value of the first header with this name (case-insensitive), or NULL. */
const char *tc_header(const tc_response *r, const char *name);
/* How many headers carry this name. */
size_t tc_header_count(const tc_response *r, const char *name);

/* Returns 1 when bytes are buffered or arrive (or the peer closes) within timeout_ms, 0 when
 * nothing happened by then, -1 on error. Consumes nothing. */
int tc_wait_readable(tc_conn *c, int timeout_ms);

/* Waits up to timeout_ms for the peer to close, discarding what arrives (counted in *extra, which
 * also counts bytes still buffered). Returns 1 on EOF or reset, 0 on timeout, -1 on error. */
int tc_wait_eof(tc_conn *c, int timeout_ms, size_t *extra);

/* A printable, escaped, truncated copy of raw bytes for failure messages (one of a few rotating
 * static buffers). */
const char *tc_show(const char *data, size_t len);

#endif /* YMK_TEST_CLIENT_H */
