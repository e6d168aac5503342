/* http_parse.c: turns the bytes a connection has buffered into one validated request head, or
 * says why it cannot. It keeps no state between calls: the event loop simply calls again with a
 * longer buffer, so the parser re-walks the head each time (heads are a few KiB at most) and
 * instead guarantees the properties that make this safe: a prefix of a valid head is always
 * YMK__HTTP_AGAIN, an input that already breaks a size limit is refused at once rather than left
 * to grow, and once an input is refused every longer input is refused too. The framing rules
 * (Host, Content-Length, Transfer-Encoding) are checked here, strictly, because disagreeing with
 * a proxy in front of us about where a request ends is how request smuggling starts; Host and an
 * absolute-form authority are parsed to the RFC 3986 grammar, not merely to its alphabet, since a
 * value two parsers split differently ("a:1:2", "[zz]]:80") routes differently too. */
#include "http_parse.h"

#include <string.h>

/* Byte classes; one table lookup per byte keeps every scan a tight loop. */
enum {
	CLASS_TOKEN = 1u << 0,    /* tchar (RFC 9110 5.6.2): methods and field names */
	CLASS_VALUE = 1u << 1,    /* field-value byte: HTAB, SP, VCHAR, obs-text */
	CLASS_TARGET = 1u << 2,   /* request-target byte: VCHAR or obs-text (no CTL, SP, DEL) */
	CLASS_REG_NAME = 1u << 3, /* unreserved / sub-delims (RFC 3986): reg-name bytes but "%XX" */
};

#define T CLASS_TOKEN
#define V CLASS_VALUE
#define R CLASS_TARGET
#define H CLASS_REG_NAME
/* Eight bytes a row, each row labelled with its first byte: kept out of clang-format. */
/* clang-format off */
static const unsigned char byte_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
	0, V, 0, 0, 0, 0, 0, 0, /* 0x08 */
	0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
	0, 0, 0, 0, 0, 0, 0, 0, /* 0x18 */
	V, T | V | R | H, V | R, T | V | R, T | V | R | H, T | V | R, T | V | R | H, T | V | R | H, /* 0x20 */
	V | R | H, V | R | H, T | V | R | H, T | V | R | H, V | R | H, T | V | R | H, T | V | R | H, V | R, /* 0x28 */
	T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, /* 0x30 */
	T | V | R | H, T | V | R | H, V | R, V | R | H, V | R, V | R | H, V | R, V | R, /* 0x38 */
	V | R, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, /* 0x40 */
	T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, /* 0x48 */
	T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, /* 0x50 */
	T | V | R | H, T | V | R | H, T | V | R | H, V | R, V | R, V | R, T | V | R, T | V | R | H, /* 0x58 */
	T | V | R, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, /* 0x60 */
	T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, /* 0x68 */
	T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, T | V | R | H, /* 0x70 */
	T | V | R | H, T | V | R | H, T | V | R | H, V | R, T | V | R, V | R, T | V | R | H, 0, /* 0x78 */
	V | R, V | R, V | R, V | R, V | R, V | R, V | R, V | R, /* 0x80 */
	V | R, V | R, V | R, V | R, V | R, V | R, V | R, V | R, /* 0x88 */
	V | R, V | R, V | R, V | R, V | R, V | R, V | R, V | R, /* 0x90 */
	V | R, V | R, V | R, V | R, V | R, V | R, V | R, V | R, /* 0x98 */
	V | R, V | R, V | R, V | R, V | R, V | R, V | R, V | R, /* 0xa0 */
	V | R, V | R, V | R, V | R, V | R, V | R, V | R, V | R, /* 0xa8 */
	V | R, V | R, V | R, V | R, V | R, V | R, V | R, V | R, /* 0xb0 */
	V | R, V | R, V | R, V | R, V | R, V | R, V | R, V | R, /* 0xb8 */
	V | R, V | R, V | R, V | R, V | R, V | R, V | R, V | R, /* 0xc0 */
	V | R, V | R, V | R, V | R, V | R, V | R, V | R, V | R, /* 0xc8 */
	V | R, V | R, V | R, V | R, V | R, V | R, V | R, V | R, /* 0xd0 */
	V | R, V | R, V | R, V | R, V | R, V | R, V | R, V | R, /* 0xd8 */
	V | R, V | R, V | R, V | R, V | R, V | R, V | R, V | R, /* 0xe0 */
	V | R, V | R, V | R, V | R, V | R, V | R, V | R, V | R, /* 0xe8 */
	V | R, V | R, V | R, V | R, V | R, V | R, V | R, V | R, /* 0xf0 */
	V | R, V | R, V | R, V | R, V | R, V | R, V | R, V | R, /* 0xf8 */
};
/* clang-format on */
#undef T
#undef V
#undef R
#undef H

/* RFC 9112 2.2 lets a server skip "at least one" empty line before a request; a small bound keeps a
 * client from holding the connection open with an endless stream of them. */
#define MAX_LEADING_EMPTY_LINES 8

#define STATUS_BAD_REQUEST 400
#define STATUS_URI_TOO_LONG 414
#define STATUS_HEADERS_TOO_LARGE 431
#define STATUS_NOT_IMPLEMENTED 501
#define STATUS_VERSION_NOT_SUPPORTED 505

static int has_class(unsigned char c, unsigned cls)
{
	return (byte_class[c] & cls) != 0;
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Shrinks [*p, *p + *n) so it neither starts nor ends with SP/HTAB. */
static void trim_ows(const char **p, size_t *n)
{
	const char *s = *p;
	size_t len = *n;

	while (len > 0 && is_ows(s[0])) {
		s++;
		len--;
	}
	while (len > 0 && is_ows(s[len - 1]))
		len--;
	*p = s;
	*n = len;
}

static int all_class(const char *s, size_t n, unsigned cls)
{
	for (size_t i = 0; i < n; i++)
		if (!has_class((unsigned char)s[i], cls))
			return 0;
	return 1;
}

static enum ymk__method method_id(const char *m, size_t n)
{
	/* Dispatch on length first so each candidate costs one memcmp. */
	switch (n) {
	case 3:
		if (memcmp(m, "GET", 3) == 0)
			return YMK__METHOD_GET;
		if (memcmp(m, "PUT", 3) == 0)
			return YMK__METHOD_PUT;
		break;
	case 4:
		if (memcmp(m, "HEAD", 4) == 0)
			return YMK__METHOD_HEAD;
		if (memcmp(m, "POST", 4) == 0)
			return YMK__METHOD_POST;
		break;
	case 5:
		if (memcmp(m, "PATCH", 5) == 0)
			return YMK__METHOD_PATCH;
		if (memcmp(m, "TRACE", 5) == 0)
			return YMK__METHOD_TRACE;
		break;
	case 6:
		if (memcmp(m, "DELETE", 6) == 0)
			return YMK__METHOD_DELETE;
		break;
	case 7:
		if (memcmp(m, "OPTIONS", 7) == 0)
			return YMK__METHOD_OPTIONS;
		if (memcmp(m, "CONNECT", 7) == 0)
			return YMK__METHOD_CONNECT;
		break;
	default: break;
	}
	return YMK__METHOD_OTHER;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Returns the minor version (0 or 1), 505 for a well-formed version we do not speak, 400 otherwise.
 * The "HTTP" name is case-sensitive (RFC 9112 2.3). */
static int parse_version(const char *v, size_t n)
{
	size_t i = 5, digits = 0;

	if (n == 8 && memcmp(v, "HTTP/1.", 7) == 0 && (v[7] == '0' || v[7] == '1'))
		return v[7] - '0';
	if (n < 5 || memcmp(v, "HTTP/", 5) != 0)
		return STATUS_BAD_REQUEST;
	while (i < n && is_digit(v[i])) {
		i++;
		digits++;
	}
	if (digits == 0)
		return STATUS_BAD_REQUEST;
	if (i == n)
		return STATUS_VERSION_NOT_SUPPORTED;
	if (v[i] != '.')
		return STATUS_BAD_REQUEST;
	i++;
	digits = 0;
	while (i < n && is_digit(v[i])) {
		i++;
		digits++;
	}
	if (digits == 0 || i != n)
		return STATUS_BAD_REQUEST;
	return STATUS_VERSION_NOT_SUPPORTED;
}

static int is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986 IPv4address: four dec-octets (0-255, no leading zero) joined by dots, nothing else. */
static int ipv4_valid(const char *s, size_t n)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t start;
		unsigned v = 0;

		if (part > 0) {
			if (i == n || s[i] != '.')
				return 0;
			i++;
		}
		start = i;
		while (i < n && is_digit(s[i]) && i - start < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
			return 0;
	}
	return i == n;
}

/* RFC 3986 IPv6address: eight h16 pieces (1-4 hex digits) joined by ':', or fewer with one "::"
 * standing for at least one zero piece; the last two pieces may be written as an IPv4address. */
static int ipv6_valid(const char *s, size_t n)
{
	size_t i = 0;
	int pieces = 0, compressed = 0;

	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		compressed = 1;
		i = 2;
		if (i == n)
			return 1;
	}
	for (;;) {
		size_t start = i;

		while (i < n && is_hex(s[i]) && i - start < 4)
			i++;
		if (i < n && s[i] == '.') {
			/* An IPv4 tail ends the address and fills two pieces. */
			if (!ipv4_valid(s + start, n - start))
				return 0;
			pieces += 2;
			break;
		}
		if (i == start || (i < n && is_hex(s[i])))
			return 0; /* an empty piece (":::" or a lone ':'), or one of 5+ digits */
		pieces++;
		if (i == n)
			break;
		if (s[i] != ':' || ++i == n)
			return 0; /* a byte outside the grammar, or a trailing single ':' */
		if (s[i] == ':') {
			if (compressed)
				return 0;
			compressed = 1;
			if (++i == n)
				break;
		}
		if (pieces > 8)
			return 0;
	}
	return compressed ? pieces <= 7 : pieces == 8;
}

/* reg-name (RFC 3986 3.2.2), non-empty. A name of digits and dots alone cannot be a DNS name,
 * and resolvers disagree on how to read forms like "1.2.3", "010.0.0.1" or "1.2.3.4.": such a
 * name must be a plain IPv4address. Returns the kind, or 0 when invalid. */
static enum ymk__host_kind reg_name_kind(const char *s, size_t n)
{
	int numeric = 1;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (n - i < 3 || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return 0;
			i += 2;
			numeric = 0;
			continue;
		}
		if (!has_class((unsigned char)s[i], CLASS_REG_NAME))
			return 0;
		if (!is_digit(s[i]) && s[i] != '.')
			numeric = 0;
	}
	if (!numeric)
		return YMK__HOST_NAME;
	return ipv4_valid(s, n) ? YMK__HOST_IPV4 : 0;
}

int ymk__http_host_parse(const char *s, size_t len, struct ymk__host *out)
{
	struct ymk__host h = {.port = -1};
	size_t end; /* where the host ends: the end, or the ':' before the port */

	if (s == NULL || len == 0)
		return -1;
	if (s[0] == '[') {
		/* IP-literal. IPvFuture ("[v1.x]") fails the IPv6 grammar at its 'v': no such version
		 * exists, so nothing could be addressed by one. Zone identifiers (RFC 6874) fail at '%'. */
		const char *close = memchr(s, ']', len);

		if (close == NULL || !ipv6_valid(s + 1, (size_t)(close - s) - 1))
			return -1;
		end = (size_t)(close - s) + 1;
		h.kind = YMK__HOST_IPV6;
	} else {
		const char *colon = memchr(s, ':', len);

		end = colon != NULL ? (size_t)(colon - s) : len;
		h.kind = reg_name_kind(s, end);
		if (h.kind == 0)
			return -1;
	}
	h.name = s;
	h.name_len = end;
	if (end < len) {
		unsigned long v = 0;

		if (s[end] != ':')
			return -1;
		for (size_t i = end + 1; i < len; i++) {
			if (!is_digit(s[i]))
				return -1;
			v = v * 10 + (unsigned long)(s[i] - '0');
			if (v > 65535)
				return -1;
		}
		/* RFC 3986 allows an empty port ("a:"); it means the scheme's default, like no port. */
		if (len - end > 1)
			h.port = (int)v;
	}
	if (out != NULL)
		*out = h;
	return 0;
}

/* Case-insensitive prefix test of t[0..n) against the lower-case NUL-terminated prefix. */
static int has_prefix_ci(const char *t, size_t n, const char *prefix)
{
	size_t i;

	for (i = 0; prefix[i] != '\0'; i++)
		if (i >= n || to_lower((unsigned char)t[i]) != prefix[i])
			return 0;
	return 1;
}

int ymk__http_target_authority(const char *t, size_t n, size_t *start, size_t *end)
{
	size_t a, i;

	if (has_prefix_ci(t, n, "http://"))
		a = 7;
	else if (has_prefix_ci(t, n, "https://"))
		a = 8;
	else
		return 0;
	for (i = a; i < n && t[i] != '/' && t[i] != '?' && t[i] != '#'; i++)
		;
	*start = a;
	*end = i;
	return 1;
}

/* The authority of an absolute-form http(s) target follows the Host rule; RFC 9110 4.2.4 makes a
 * userinfo part ("user@") an error, and the '@' fails the reg-name test. Other target forms are
 * left to path.c, which refuses what it cannot use. */
static int check_authority(const char *t, size_t n)
{
	size_t start, end;

	if (!ymk__http_target_authority(t, n, &start, &end))
		return 0;
	return ymk__http_host_parse(t + start, end - start, NULL) == 0 ? 0 : STATUS_BAD_REQUEST;
}

/* Splits the request line line[0..n) (line end excluded) into its three parts. */
static int parse_request_line(const char *line, size_t n, struct ymk__http_request *req)
{
	const char *end = line + n;
	const char *sp1, *sp2, *version;
	int v;

	sp1 = memchr(line, ' ', n);
	if (sp1 == NULL || sp1 == line || !all_class(line, (size_t)(sp1 - line), CLASS_TOKEN))
		return STATUS_BAD_REQUEST;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - (sp1 + 1)));
	if (sp2 == NULL || sp2 == sp1 + 1 || !all_class(sp1 + 1, (size_t)(sp2 - (sp1 + 1)), CLASS_TARGET))
		return STATUS_BAD_REQUEST;
	version = sp2 + 1;
	v = parse_version(version, (size_t)(end - version));
	if (v != 0 && v != 1)
		return v;

	if (check_authority(sp1 + 1, (size_t)(sp2 - (sp1 + 1))) != 0)
		return STATUS_BAD_REQUEST;

	req->method = line;
	req->method_len = (size_t)(sp1 - line);
	req->method_id = method_id(line, req->method_len);
	req->target = sp1 + 1;
	req->target_len = (size_t)(sp2 - (sp1 + 1));
	req->version_minor = v;
	return 0;
}

/* Parses one field line line[0..n) (line end excluded, n > 0) into *h. */
static int parse_header_line(const char *line, size_t n, struct ymk__http_header *h)
{
	size_t i = 0;
	const char *value;
	size_t value_len;

	/* A leading SP/HTAB is obs-fold (RFC 9112 5.2) and fails the token test like any other
	 * non-token byte, so one loop covers folds, empty names, spaces before the colon and CTLs. */
	while (i < n && has_class((unsigned char)line[i], CLASS_TOKEN))
		i++;
	if (i == 0 || i == n || line[i] != ':')
		return STATUS_BAD_REQUEST;
	value = line + i + 1;
	value_len = n - i - 1;
	if (!all_class(value, value_len, CLASS_VALUE))
		return STATUS_BAD_REQUEST;
	trim_ows(&value, &value_len);
	h->name = line;
	h->name_len = i;
	h->value = value;
	h->value_len = value_len;
	return 0;
}

/* Calls back with each OWS-trimmed element of a comma-separated list, empty ones included (an
 * empty value is one empty element); stops at the first non-zero return and passes it on. */
typedef int (*list_element_fn)(const char *elem, size_t len, void *ctx);

static int list_each(const char *value, size_t len, list_element_fn fn, void *ctx)
{
	const char *p = value, *end = value + len;

	for (;;) {
		const char *comma = p < end ? memchr(p, ',', (size_t)(end - p)) : NULL;
		const char *elem = p;
		size_t elen = (size_t)((comma != NULL ? comma : end) - p);
		int rc;

		trim_ows(&elem, &elen);
		rc = fn(elem, elen, ctx);
		if (rc != 0 || comma == NULL)
			return rc;
		p = comma + 1;
	}
}

struct content_length_state {
	int64_t value; /* -1 until the first element */
};

static int content_length_element(const char *elem, size_t len, void *ctx)
{
	struct content_length_state *st = ctx;
	int64_t v = 0;

	/* Empty elements are refused too: "Content-Length: 5," is not a number a proxy agrees on. */
	if (len == 0)
		return STATUS_BAD_REQUEST;
	for (size_t i = 0; i < len; i++) {
		int d;

		if (!is_digit(elem[i]))
			return STATUS_BAD_REQUEST;
		d = elem[i] - '0';
		if (v > (INT64_MAX - d) / 10)
			return STATUS_BAD_REQUEST;
		v = v * 10 + d;
	}
	if (st->value >= 0 && st->value != v)
		return STATUS_BAD_REQUEST;
	st->value = v;
	return 0;
}

struct transfer_coding_state {
	int chunked_seen;
	int last_is_chunked;
	int any;
	int other; /* a coding other than chunked was listed */
};

static int transfer_coding_element(const char *elem, size_t len, void *ctx)
{
	struct transfer_coding_state *st = ctx;
	int chunked;

	/* RFC 9110 5.6.1: empty list elements are legal and carry nothing. */
	if (len == 0)
		return 0;
	chunked = ymk__ascii_ieq(elem, len, "chunked");
	if (chunked && st->chunked_seen)
		return STATUS_BAD_REQUEST;
	st->chunked_seen |= chunked;
	st->last_is_chunked = chunked;
	st->other |= !chunked;
	st->any = 1;
	return 0;
}

/* Derives and checks the framing and connection fields once the whole head is in. */
static int derive_fields(struct ymk__http_request *req)
{
	struct content_length_state cl = {.value = -1};
	struct transfer_coding_state te = {0};
	size_t n_host = 0;
	int have_cl = 0, have_te = 0;

	req->host = NULL;
	req->host_len = 0;
	req->chunked = 0;
	req->connection_close = 0;
	req->connection_keep_alive = 0;
	req->expect_continue = 0;
	req->has_expect_other = 0;

	for (size_t i = 0; i < req->n_headers; i++) {
		const struct ymk__http_header *h = &req->headers[i];
		int rc;

		/* Every name we care about is at least 4 bytes; its first byte picks the candidate. */
		switch (to_lower((unsigned char)h->name[0])) {
		case 'h':
			if (!ymk__ascii_ieq(h->name, h->name_len, "host"))
				break;
			if (++n_host > 1)
				return STATUS_BAD_REQUEST;
			/* Empty is left to the version check below (HTTP/1.0 may send it). */
			if (h->value_len > 0 && ymk__http_host_parse(h->value, h->value_len, NULL) != 0)
				return STATUS_BAD_REQUEST;
			req->host = h->value;
			req->host_len = h->value_len;
			break;
		case 'c':
			if (ymk__ascii_ieq(h->name, h->name_len, "content-length")) {
				have_cl = 1;
				rc = list_each(h->value, h->value_len, content_length_element, &cl);
				if (rc != 0)
					return rc;
			} else if (ymk__ascii_ieq(h->name, h->name_len, "connection")) {
				if (ymk__http_list_has(h->value, h->value_len, "close"))
					req->connection_close = 1;
				if (ymk__http_list_has(h->value, h->value_len, "keep-alive"))
					req->connection_keep_alive = 1;
			}
			break;
		case 't':
			if (!ymk__ascii_ieq(h->name, h->name_len, "transfer-encoding"))
				break;
			have_te = 1;
			rc = list_each(h->value, h->value_len, transfer_coding_element, &te);
			if (rc != 0)
				return rc;
			break;
		case 'e':
			if (!ymk__ascii_ieq(h->name, h->name_len, "expect"))
				break;
			if (ymk__ascii_ieq(h->value, h->value_len, "100-continue"))
				req->expect_continue = 1;
			else
				req->has_expect_other = 1;
			break;
		default: break;
		}
	}

	if (req->version_minor == 1 && (req->host == NULL || req->host_len == 0))
		return STATUS_BAD_REQUEST;
	if (have_te) {
		/* RFC 9112 6.1: a 1.0 peer cannot have meant chunked framing, and TE beside CL is the
		 * classic smuggling shape; refusing both is simpler than guessing which one a proxy used. */
		if (req->version_minor == 0 || have_cl || !te.any || !te.last_is_chunked)
			return STATUS_BAD_REQUEST;
		/* The framing is unambiguous now, but a coding under the chunked one ("gzip, chunked")
		 * would have to be undone to get the body: RFC 9112 6.1 says 501, not silence. */
		if (te.other)
			return STATUS_NOT_IMPLEMENTED;
		req->chunked = 1;
	}
	req->content_length = have_cl ? cl.value : -1;
	return 0;
}

/* Skips the empty lines RFC 9112 2.2 allows before a request line. Returns 0 with *pos at the
 * request line's first byte, YMK__HTTP_AGAIN, or 400. */
static int skip_leading_empty_lines(const char *buf, size_t len, size_t *pos)
{
	size_t p = 0;
	int count = 0;

	for (;;) {
		if (p == len)
			return YMK__HTTP_AGAIN;
		if (buf[p] == '\n') {
			p++;
		} else if (buf[p] == '\r') {
			if (p + 1 == len)
				return YMK__HTTP_AGAIN;
			if (buf[p + 1] != '\n')
				return STATUS_BAD_REQUEST;
			p += 2;
		} else {
			break;
		}
		if (++count > MAX_LEADING_EMPTY_LINES)
			return STATUS_BAD_REQUEST;
	}
	*pos = p;
	return 0;
}

/* Length of a line's content: the bytes before its LF, minus the CR of a CRLF. */
static size_t line_content_len(const char *line, const char *lf)
{
	size_t n = (size_t)(lf - line);

	return n > 0 && line[n - 1] == '\r' ? n - 1 : n;
}

int ymk__http_parse(const char *buf, size_t len, const struct ymk__http_limits *lim,
		    struct ymk__http_request *req, size_t *consumed)
{
	const size_t max_line = lim->max_request_line;
	const size_t max_head = lim->max_header_bytes;
	const size_t max_headers = lim->max_headers < YMK__HTTP_MAX_HEADERS ? lim->max_headers
									    : YMK__HTTP_MAX_HEADERS;
	const char *head, *lf;
	size_t start, avail, probe, p;
	int rc;

	rc = skip_leading_empty_lines(buf, len, &start);
	if (rc != 0)
		return rc;
	head = buf + start;
	avail = len - start;

	/* The request line's LF can only be up to max_line + 2 bytes in (content plus CRLF); written
	 * so that a huge limit cannot overflow. */
	probe = max_line < SIZE_MAX - 2 && max_line + 2 < avail ? max_line + 2 : avail;
	lf = memchr(head, '\n', probe);
	if (lf == NULL) {
		/* The content is at least probe bytes, or probe - 1 if the last one is the CR of a CRLF
		 * still on its way; probe <= max_line + 2 here. */
		if (probe > max_line && (probe - max_line > 1 || head[max_line] != '\r'))
			return STATUS_URI_TOO_LONG;
		/* probe == avail now: no LF yet anywhere, so the head will be longer than avail. */
		if (avail >= max_head)
			return STATUS_HEADERS_TOO_LARGE;
		return YMK__HTTP_AGAIN;
	}
	if (line_content_len(head, lf) > max_line)
		return STATUS_URI_TOO_LONG;
	if ((size_t)(lf - head) >= max_head)
		return STATUS_HEADERS_TOO_LARGE;
	rc = parse_request_line(head, line_content_len(head, lf), req);
	if (rc != 0)
		return rc;

	/* From here on every LF must lie inside head[0..max_head) or the head is too large. */
	if (avail > max_head)
		avail = max_head;
	req->n_headers = 0;
	p = (size_t)(lf - head) + 1;
	for (;;) {
		const char *line = head + p;
		size_t n;

		if (p < avail && req->n_headers == max_headers && line[0] != '\r' && line[0] != '\n')
			return STATUS_HEADERS_TOO_LARGE;
		lf = memchr(line, '\n', avail - p);
		if (lf == NULL)
			return len - start >= max_head ? STATUS_HEADERS_TOO_LARGE : YMK__HTTP_AGAIN;
		n = line_content_len(line, lf);
		if (n == 0)
			break;
		if (req->n_headers == max_headers)
			return STATUS_HEADERS_TOO_LARGE;
		rc = parse_header_line(line, n, &req->headers[req->n_headers]);
		if (rc != 0)
			return rc;
		req->n_headers++;
		p = (size_t)(lf - head) + 1;
	}

	rc = derive_fields(req);
	if (rc != 0)
		return rc;
	*consumed = (size_t)(lf - buf) + 1;
	return 0;
}

const struct ymk__http_header *ymk__http_find(const struct ymk__http_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (ymk__ascii_ieq(req->headers[i].name, req->headers[i].name_len, name))
			return &req->headers[i];
	return NULL;
}

int ymk__ascii_ieq(const char *a, size_t alen, const char *b)
{
	size_t i;

	/* b's NUL ends the walk before it can run past a shorter b. */
	for (i = 0; i < alen; i++)
		if (b[i] == '\0' || to_lower((unsigned char)a[i]) != to_lower((unsigned char)b[i]))
			return 0;
	return b[i] == '\0';
}

struct list_match_state {
	const char *token;
};

static int list_match_element(const char *elem, size_t len, void *ctx)
{
	const struct list_match_state *st = ctx;

	return ymk__ascii_ieq(elem, len, st->token);
}

int ymk__http_list_has(const char *value, size_t len, const char *token)
{
	struct list_match_state st = {.token = token};

	/* An empty value holds no tokens; returning early also keeps a NULL value out of the walk. */
	if (len == 0)
		return 0;
	return list_each(value, len, list_match_element, &st) != 0;
}
