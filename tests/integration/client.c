/* client.c: the integration tests' raw HTTP/1.1 client. A non-blocking socket driven by poll() with
 * a deadline on every wait; a growing receive buffer capped at TC_MAX_HEAD + TC_MAX_BODY; a strict
 * response parser (CRLF line ends, "HTTP/1.x NNN" status line, name: value headers) so that a
 * malformed response from the server is reported instead of silently accepted. Chunked responses
 * are refused: the server answers every request the tests make with a length or by closing. */
#include "client.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#if TC_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif

/* Results of fill(). */
enum { FILL_DATA = 1, FILL_EOF = 0, FILL_ERROR = -1, FILL_TIMEOUT = -2 };

long long tc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 2, 3))) static void set_err(tc_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
}

static int remaining_ms(long long deadline)
{
	long long left = deadline - tc_now_ms();

	if (left < 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Waits for events on the socket: 1 ready, 0 deadline passed, -1 error. */
static int wait_fd(tc_conn *c, short events, long long deadline)
{
#if TC_TLS
	if (c->tls && (events & POLLIN) && SSL_pending(c->tls) > 0)
		return 1;
#endif
	for (;;) {
		struct pollfd p = {.fd = c->fd, .events = events};
		int left = remaining_ms(deadline);
		int n = poll(&p, 1, left);

#if TC_TLS
		if (n > 0 && c->tls && events == POLLIN && SSL_is_init_finished(c->tls)) {
			/* Readable may be a record that carries no data (a TLS 1.3 session ticket):
			 * only data, an end or an error counts. */
			char b;
			size_t got;
			ERR_clear_error();
			if (SSL_peek_ex(c->tls, &b, 1, &got) ||
			    SSL_get_error(c->tls, 0) != SSL_ERROR_WANT_READ) {
				ERR_clear_error();
				return 1;
			}
			continue;
		}
#endif
		if (n > 0)
			return 1;
		if (n == 0) {
			if (left == 0)
				return 0;
			continue; /* woke a hair early: go round with what is left */
		}
		if (errno == EINTR)
			continue;
		set_err(c, "poll: %s", strerror(errno));
		return -1;
	}
}

const char *tc_show(const char *data, size_t len)
{
	static char bufs[4][200];
	static unsigned next;
	char *out = bufs[next++ % 4];
	size_t o = 0;

	for (size_t i = 0; i < len && o + 8 < sizeof bufs[0]; i++) {
		unsigned char ch = (unsigned char)data[i];

		if (ch == '\r') {
			out[o++] = '\\';
			out[o++] = 'r';
		} else if (ch == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (ch < 0x20 || ch >= 0x7f || ch == '\\') {
			o += (size_t)snprintf(out + o, sizeof bufs[0] - o, "\\x%02x", ch);
		} else {
			out[o++] = (char)ch;
		}
		if (i + 1 < len && o + 8 >= sizeof bufs[0]) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
	}
	out[o] = '\0';
	return out;
}

static int connect_any(tc_conn *c, const char *src, const char *host, int port, int timeout_ms, int tls,
		       const char *sni, const char *alpn);

#if TC_TLS
bool tc_tls_enabled(void)
{
	const char *ca = getenv("YMK_TEST_TLS_CA");
	return ca && *ca;
}

static SSL_CTX *client_ctx(void)
{
	static SSL_CTX *ctx;
	if (!ctx) {
		signal(SIGPIPE, SIG_IGN); /* OpenSSL writes to the socket with write() */
		ctx = SSL_CTX_new(TLS_client_method());
		if (!ctx)
			return NULL;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if (SSL_CTX_load_verify_locations(ctx, getenv("YMK_TEST_TLS_CA"), NULL) != 1) {
			SSL_CTX_free(ctx);
			ctx = NULL;
			return NULL;
		}
		SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	}
	return ctx;
}

static const char *ssl_why(void)
{
	static char buf[200];
	unsigned long e = ERR_get_error();
	ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return e ? buf : "no OpenSSL error";
}

/* Waits for what OpenSSL asked for after a failed call; 1 go on, 0 timeout, -1 error. */
static int tls_wait(tc_conn *c, int ret, long long deadline)
{
	int e = SSL_get_error(c->tls, ret);
	if (e == SSL_ERROR_WANT_READ)
		return wait_fd(c, POLLIN, deadline);
	if (e == SSL_ERROR_WANT_WRITE)
		return wait_fd(c, POLLOUT, deadline);
	return -2;
}

static int tls_handshake(tc_conn *c, const char *host, const char *sni, const char *alpn, long long deadline)
{
	SSL_CTX *ctx = client_ctx();
	if (!ctx) {
		set_err(c, "TLS client context (CA %s): %s", getenv("YMK_TEST_TLS_CA"), ssl_why());
		return -1;
	}
	c->tls = SSL_new(ctx);
	if (!c->tls || !SSL_set_fd(c->tls, c->fd)) {
		set_err(c, "SSL_new: %s", ssl_why());
		return -1;
	}
	if (sni)
		SSL_set_tlsext_host_name(c->tls, sni);
	static const unsigned char http11[] = "\x08http/1.1";
	if (alpn)
		SSL_set_alpn_protos(c->tls, (const unsigned char *)alpn, (unsigned)strlen(alpn));
	else
		SSL_set_alpn_protos(c->tls, http11, sizeof http11 - 1);
	/* The certificate must name what was asked for: the SNI name, else the address. */
	X509_VERIFY_PARAM *vp = SSL_get0_param(c->tls);
	if (sni)
		X509_VERIFY_PARAM_set1_host(vp, sni, 0);
	else if (!X509_VERIFY_PARAM_set1_ip_asc(vp, host))
		X509_VERIFY_PARAM_set1_host(vp, host, 0);
	SSL_set_connect_state(c->tls);
	for (;;) {
		ERR_clear_error();
		int r = SSL_do_handshake(c->tls);
		if (r == 1)
			return 0;
		int w = tls_wait(c, r, deadline);
		if (w == 1)
			continue;
		if (w == 0)
			set_err(c, "TLS handshake: timed out");
		else if (w == -2)
			set_err(c, "TLS handshake failed: %s (verify: %s)", ssl_why(),
				X509_verify_cert_error_string(SSL_get_verify_result(c->tls)));
		return -1;
	}
}

int tc_connect(tc_conn *c, const char *host, int port, int timeout_ms)
{
	return tc_connect_from(c, NULL, host, port, timeout_ms);
}

int tc_connect_from(tc_conn *c, const char *src, const char *host, int port, int timeout_ms)
{
	const char *sni = getenv("YMK_TEST_TLS_SNI");
	return connect_any(c, src, host, port, timeout_ms, tc_tls_enabled(), sni ? sni : "localhost", NULL);
}

int tc_connect_tls(tc_conn *c, const char *host, int port, const char *sni, const char *alpn, int timeout_ms)
{
	return connect_any(c, NULL, host, port, timeout_ms, 1, sni, alpn);
}

const char *tc_tls_version(const tc_conn *c)
{
	return c->tls ? SSL_get_version(c->tls) : NULL;
}

const char *tc_tls_peer_cn(const tc_conn *c, char *buf, size_t len)
{
	if (!c->tls)
		return NULL;
	X509 *x = SSL_get1_peer_certificate(c->tls);
	if (!x)
		return NULL;
	int n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, (int)len);
	X509_free(x);
	return n < 0 ? NULL : buf;
}

#else
bool tc_tls_enabled(void)
{
	return false;
}

int tc_connect_tls(tc_conn *c, const char *host, int port, const char *sni, const char *alpn, int timeout_ms)
{
	(void)host, (void)port, (void)sni, (void)alpn, (void)timeout_ms;
	memset(c, 0, sizeof *c);
	c->fd = -1;
	set_err(c, "the tests were built without OpenSSL");
	return -1;
}

int tc_connect(tc_conn *c, const char *host, int port, int timeout_ms)
{
	return tc_connect_from(c, NULL, host, port, timeout_ms);
}

int tc_connect_from(tc_conn *c, const char *src, const char *host, int port, int timeout_ms)
{
	return connect_any(c, src, host, port, timeout_ms, 0, NULL, NULL);
}

const char *tc_tls_version(const tc_conn *c)
{
	(void)c;
	return NULL;
}

const char *tc_tls_peer_cn(const tc_conn *c, char *buf, size_t len)
{
	(void)c, (void)buf, (void)len;
	return NULL;
}
#endif

static int connect_any(tc_conn *c, const char *src, const char *host, int port, int timeout_ms, int tls,
		       const char *sni, const char *alpn)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int one = 1;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	memset(&ss, 0, sizeof ss);
	if (port <= 0 || port > 65535) {
		set_err(c, "bad port %d", port);
		return -1;
	}
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		len = sizeof *in4;
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof *in6;
	} else {
		set_err(c, "bad address %s", host);
		return -1;
	}

	c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		set_err(c, "socket: %s", strerror(errno));
		return -1;
	}
	if (src) {
		struct sockaddr_storage from;
		memset(&from, 0, sizeof from);
		from.ss_family = ss.ss_family;
		int ok = ss.ss_family == AF_INET
			       ? inet_pton(AF_INET, src, &((struct sockaddr_in *)&from)->sin_addr)
			       : inet_pton(AF_INET6, src, &((struct sockaddr_in6 *)&from)->sin6_addr);
		if (ok != 1 || bind(c->fd, (struct sockaddr *)&from, len) < 0) {
			set_err(c, "bind to %s: %s", src, ok != 1 ? "bad address" : strerror(errno));
			goto fail;
		}
	}
	if (connect(c->fd, (struct sockaddr *)&ss, len) < 0) {
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		int w;

		if (errno != EINPROGRESS) {
			set_err(c, "connect %s port %d: %s", host, port, strerror(errno));
			goto fail;
		}
		w = wait_fd(c, POLLOUT, tc_now_ms() + timeout_ms);
		if (w == 0)
			set_err(c, "connect %s port %d: timed out", host, port);
		if (w <= 0)
			goto fail;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr != 0) {
			set_err(c, "connect %s port %d: %s", host, port, strerror(soerr));
			goto fail;
		}
	}
	/* Small writes (a paced client) must leave at once. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#if TC_TLS
	if (tls && tls_handshake(c, host, sni, alpn, tc_now_ms() + timeout_ms) < 0)
		goto fail;
#else
	(void)tls, (void)sni, (void)alpn;
#endif
	return 0;
fail:
#if TC_TLS
	if (c->tls)
		SSL_free(c->tls);
#endif
	c->tls = NULL;
	close(c->fd);
	c->fd = -1;
	return -1;
}

void tc_close(tc_conn *c)
{
#if TC_TLS
	if (c->tls)
		SSL_free(c->tls);
#endif
	c->tls = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = 0;
	c->cap = 0;
}

int tc_send(tc_conn *c, const void *data, size_t len, int timeout_ms)
{
	const char *p = data;
	long long deadline = tc_now_ms() + timeout_ms;

#if TC_TLS
	while (len > 0 && c->tls) {
		size_t n = 0;
		ERR_clear_error();
		if (SSL_write_ex(c->tls, p, len, &n)) {
			p += n;
			len -= n;
			continue;
		}
		int w = tls_wait(c, 0, deadline);
		if (w == 1)
			continue;
		if (w == 0)
			set_err(c, "send: timed out with %zu bytes unsent", len);
		else if (w == -2)
			set_err(c, "send: TLS: %s (%zu bytes unsent)", ssl_why(), len);
		return -1;
	}
#endif
	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		int w;

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			w = wait_fd(c, POLLOUT, deadline);
			if (w == 0) {
				set_err(c, "send: timed out with %zu bytes unsent", len);
				return -1;
			}
			if (w < 0)
				return -1;
			continue;
		}
		set_err(c, "send: %s (%zu bytes unsent)", n < 0 ? strerror(errno) : "sent nothing", len);
		return -1;
	}
	return 0;
}

long tc_send_once(tc_conn *c, const void *data, size_t len)
{
#if TC_TLS
	if (c->tls) {
		size_t n = 0;
		ERR_clear_error();
		if (SSL_write_ex(c->tls, data, len, &n))
			return (long)n;
		ERR_clear_error();
		return -1;
	}
#endif
	return (long)send(c->fd, data, len, MSG_NOSIGNAL);
}

int tc_send_str(tc_conn *c, const char *s, int timeout_ms)
{
	return tc_send(c, s, strlen(s), timeout_ms);
}

/* Receives more bytes into c->buf. */
static int fill(tc_conn *c, long long deadline)
{
	if (c->eof)
		return FILL_EOF;
	if (c->cap - c->len < 4096) {
		size_t cap = c->cap ? c->cap * 2 : 16384;
		char *nb;

		if (cap > TC_MAX_HEAD + TC_MAX_BODY)
			cap = TC_MAX_HEAD + TC_MAX_BODY;
		if (cap <= c->len) {
			set_err(c, "response larger than the client's %u-byte buffer",
				TC_MAX_HEAD + TC_MAX_BODY);
			return FILL_ERROR;
		}
		nb = realloc(c->buf, cap);
		if (nb == NULL) {
			set_err(c, "out of memory");
			return FILL_ERROR;
		}
		c->buf = nb;
		c->cap = cap;
	}
#if TC_TLS
	while (c->tls) {
		size_t n = 0;
		ERR_clear_error();
		if (SSL_read_ex(c->tls, c->buf + c->len, c->cap - c->len, &n)) {
			c->len += n;
			return FILL_DATA;
		}
		int e = SSL_get_error(c->tls, 0);
		if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL || e == SSL_ERROR_SSL) {
			/* close_notify, a FIN or a reset: the stream ended (a reset shows as errno) */
			c->eof = true;
			c->reset = e == SSL_ERROR_SYSCALL && errno == ECONNRESET;
			ERR_clear_error();
			return FILL_EOF;
		}
		int w = tls_wait(c, 0, deadline);
		if (w == 0) {
			set_err(c, "timed out waiting for the server (%zu bytes buffered: %s)", c->len,
				tc_show(c->buf, c->len));
			return FILL_TIMEOUT;
		}
		if (w < 0)
			return FILL_ERROR;
	}
#endif
	for (;;) {
		ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		int w;

		if (n > 0) {
			c->len += (size_t)n;
			c->received += (size_t)n;
			return FILL_DATA;
		}
		if (n == 0) {
			c->eof = true;
			return FILL_EOF;
		}
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET) {
			c->eof = true;
			c->reset = true;
			return FILL_EOF;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			set_err(c, "recv: %s", strerror(errno));
			return FILL_ERROR;
		}
		w = wait_fd(c, POLLIN, deadline);
		if (w == 0) {
			set_err(c, "timed out waiting for the server (%zu bytes buffered: %s)", c->len,
				tc_show(c->buf, c->len));
			return FILL_TIMEOUT;
		}
		if (w < 0)
			return FILL_ERROR;
	}
}

static void consume(tc_conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

static const char *closed_how(const tc_conn *c)
{
	return c->reset ? "connection reset" : "EOF";
}

/* Splits r->head (NUL-terminated, ending in CRLF CRLF) into the status line and headers. */
static int parse_head(tc_conn *c, tc_response *r)
{
	char *line = r->head;
	char *eol = strstr(line, "\r\n");
	char *p;

	if (eol == NULL || memchr(line, '\n', (size_t)(eol - line)) != NULL) {
		set_err(c, "status line not ended by CRLF: %s", tc_show(line, strlen(line)));
		return -1;
	}
	*eol = '\0';
	if (strncmp(line, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)line[7]) || line[8] != ' ' ||
	    !isdigit((unsigned char)line[9]) || !isdigit((unsigned char)line[10]) ||
	    !isdigit((unsigned char)line[11]) || (line[12] != ' ' && line[12] != '\0')) {
		set_err(c, "bad status line: %s", tc_show(line, strlen(line)));
		return -1;
	}
	r->minor = line[7] - '0';
	r->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
	r->reason = line[12] ? line + 13 : line + 12;

	p = eol + 2;
	while (!(p[0] == '\r' && p[1] == '\n')) {
		char *colon;
		char *value;
		char *end;

		eol = strstr(p, "\r\n");
		if (eol == NULL || memchr(p, '\n', (size_t)(eol - p)) != NULL ||
		    memchr(p, '\r', (size_t)(eol - p)) != NULL) {
			set_err(c, "header line with a bare CR or LF: %s", tc_show(p, strlen(p)));
			return -1;
		}
		*eol = '\0';
		colon = strchr(p, ':');
		if (colon == NULL || colon == p || colon[-1] == ' ' || colon[-1] == '\t' || *p == ' ' ||
		    *p == '\t') {
			set_err(c, "malformed header line: %s", tc_show(p, strlen(p)));
			return -1;
		}
		if (r->nheaders == TC_MAX_HEADERS) {
			set_err(c, "more than %d response headers", TC_MAX_HEADERS);
			return -1;
		}
		*colon = '\0';
		value = colon + 1;
		while (*value == ' ' || *value == '\t')
			value++;
		end = value + strlen(value);
		while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		r->headers[r->nheaders].name = p;
		r->headers[r->nheaders].value = value;
		r->nheaders++;
		p = eol + 2;
	}
	return 0;
}

/* Parses a Content-Length value: digits only, within TC_MAX_BODY. */
static int parse_length(const char *s, size_t *out)
{
	size_t n = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		n = n * 10 + (size_t)(*s - '0');
		if (n > TC_MAX_BODY)
			return -1;
	}
	*out = n;
	return 0;
}

int tc_read_response(tc_conn *c, tc_response *r, bool head_request, int timeout_ms)
{
	long long deadline = tc_now_ms() + timeout_ms;
	size_t head_len = 0;
	size_t body_len;
	const char *cl;
	int f;

	memset(r, 0, sizeof *r);
	for (;;) {
		char *end = c->len >= 4 ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;

		if (end != NULL) {
			head_len = (size_t)(end - c->buf) + 4;
			break;
		}
		if (c->len > TC_MAX_HEAD) {
			set_err(c, "response head longer than %u bytes", TC_MAX_HEAD);
			return -1;
		}
		f = fill(c, deadline);
		if (f == FILL_EOF) {
			set_err(c, "%s before the end of a response head (%zu bytes: %s)", closed_how(c),
				c->len, tc_show(c->buf, c->len));
			return -1;
		}
		if (f < 0)
			return -1;
	}

	r->head = malloc(head_len + 1);
	if (r->head == NULL) {
		set_err(c, "out of memory");
		return -1;
	}
	memcpy(r->head, c->buf, head_len);
	r->head[head_len] = '\0';
	consume(c, head_len);
	if (parse_head(c, r) < 0)
		return -1;

	if (head_request || (r->status >= 100 && r->status < 200) || r->status == 204 || r->status == 304) {
		r->body = calloc(1, 1);
		if (r->body == NULL) {
			set_err(c, "out of memory");
			return -1;
		}
		return 0;
	}
	if (tc_header(r, "Transfer-Encoding") != NULL) {
		set_err(c, "the test client does not read Transfer-Encoding: %s",
			tc_header(r, "Transfer-Encoding"));
		return -1;
	}

	cl = tc_header(r, "Content-Length");
	if (cl != NULL) {
		if (tc_header_count(r, "Content-Length") != 1 || parse_length(cl, &body_len) < 0) {
			set_err(c, "bad Content-Length in response: %s", cl);
			return -1;
		}
		while (c->len < body_len) {
			f = fill(c, deadline);
			if (f == FILL_EOF) {
				set_err(c, "%s after %zu of %zu body bytes", closed_how(c), c->len, body_len);
				return -1;
			}
			if (f < 0)
				return -1;
		}
	} else {
		r->until_eof = true;
		while (!c->eof) {
			f = fill(c, deadline);
			if (f < 0)
				return -1;
		}
		body_len = c->len;
	}

	r->body = malloc(body_len + 1);
	if (r->body == NULL) {
		set_err(c, "out of memory");
		return -1;
	}
	if (body_len > 0)
		memcpy(r->body, c->buf, body_len);
	r->body[body_len] = '\0';
	r->body_len = body_len;
	consume(c, body_len);
	return 0;
}

void tc_response_free(tc_response *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof *r);
}

const char *tc_header(const tc_response *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

size_t tc_header_count(const tc_response *r, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			n++;
	return n;
}

int tc_wait_readable(tc_conn *c, int timeout_ms)
{
	if (c->len > 0 || c->eof)
		return 1;
	return wait_fd(c, POLLIN, tc_now_ms() + timeout_ms);
}

int tc_wait_eof(tc_conn *c, int timeout_ms, size_t *extra)
{
	long long deadline = tc_now_ms() + timeout_ms;
	size_t got = c->len;

	c->len = 0;
	while (!c->eof) {
		int f = fill(c, deadline);

		got += c->len;
		c->len = 0;
		if (f == FILL_TIMEOUT) {
			set_err(c, "no EOF within %d ms (%zu bytes received meanwhile)", timeout_ms, got);
			if (extra)
				*extra = got;
			return 0;
		}
		if (f == FILL_ERROR) {
			if (extra)
				*extra = got;
			return -1;
		}
	}
	if (extra)
		*extra = got;
	return 1;
}
