/* http_parse.h: the HTTP/1.x request-head parser (pure: no I/O, no allocation, no globals).
 *
 * ymk__http_parse() looks at the bytes a connection has buffered so far and either finds one
 * complete request head (request line + header fields + empty line), says it needs more bytes,
 * or refuses the request with the HTTP status the client must get. Every slice it hands back
 * points into the caller's buffer, which must stay unchanged while the result is used. */
#ifndef YMK_HTTP_PARSE_H
#define YMK_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Hard upper bound on header lines the request struct can hold; the configured limit is <= this. */
#define YMK__HTTP_MAX_HEADERS 256

/* Returned by ymk__http_parse() when the head is not complete yet and no limit is exceeded. */
#define YMK__HTTP_AGAIN (-2)

enum ymk__method {
	YMK__METHOD_OTHER = 0, /* a valid token the library does not know (answered 501) */
	YMK__METHOD_GET,
	YMK__METHOD_HEAD,
	YMK__METHOD_PUT,
	YMK__METHOD_DELETE,
	YMK__METHOD_OPTIONS,
	YMK__METHOD_POST,
	YMK__METHOD_PATCH,
	YMK__METHOD_TRACE,
	YMK__METHOD_CONNECT,
};

struct ymk__http_limits {
	size_t max_request_line; /* bytes in the request line, CRLF excluded (default 4096) -> 414 */
	size_t max_header_bytes; /* bytes of the whole head incl. request line and final empty line (default 8192) -> 431 */
	size_t max_headers; /* header field lines (default 100, at most YMK__HTTP_MAX_HEADERS) -> 431 */
};

struct ymk__http_header {
	const char *name; /* not NUL-terminated; exactly as sent (case preserved) */
	size_t name_len;
	const char *value; /* leading and trailing SP/HTAB removed; may be empty */
	size_t value_len;
};

struct ymk__http_request {
	const char *method; /* token as sent (methods are case-sensitive: "get" is OTHER) */
	size_t method_len;
	enum ymk__method method_id;
	const char *target; /* request-target as sent, not decoded */
	size_t target_len;
	int version_minor; /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
	size_t n_headers;

	/* Derived from the header fields (the parser validates them; see ymk__http_parse). */
	const char *host; /* NULL when absent */
	size_t host_len;
	int64_t content_length;    /* -1 when absent */
	int chunked;               /* Transfer-Encoding ends in "chunked" */
	int connection_close;      /* Connection has the token "close" */
	int connection_keep_alive; /* Connection has the token "keep-alive" */
	int expect_continue;       /* Expect: 100-continue (case-insensitive) */
	int has_expect_other;      /* Expect present with any other value (the server answers 417) */

	/* Last, so that a copy holding only the first n_headers entries is a valid prefix (a
	 * deferred request keeps such a right-sized copy, see request.c). */
	struct ymk__http_header headers[YMK__HTTP_MAX_HEADERS];
};

/* Parses one request head at the start of buf[0..len).
 *
 * Returns 0 when a complete head was found: *req is filled and *consumed is the number of bytes
 * of the head (request line, header lines and the empty line; any body or pipelined bytes after
 * it are not consumed). Leading empty lines (CRLF or LF) before the request line are skipped and
 * counted in *consumed (RFC 9112 2.2); at most 8 of them, more -> 400.
 * Returns YMK__HTTP_AGAIN when more bytes are needed and no limit is exceeded yet.
 * Returns an HTTP status (>= 400) when the request must be refused:
 *   414  request line longer than max_request_line (also detected before the line is complete)
 *   431  head longer than max_header_bytes (also before complete), or more than max_headers lines
 *   505  version "HTTP/" DIGIT+ "." DIGIT+ (or "HTTP/" DIGIT+) other than 1.0 and 1.1
 *   400  everything else that is malformed: method not a token, target empty or with CTL/SP/DEL,
 *        more or fewer than three parts, version not of the HTTP/x.y form, bare CR anywhere,
 *        NUL or other CTL (except HTAB in values), obs-fold (a line starting with SP/HT),
 *        whitespace between name and colon, empty or non-token name, missing colon;
 *        HTTP/1.1 without Host or with more than one Host, an empty Host in 1.1, a non-empty
 *        Host that ymk__http_host_parse() refuses (in either version), an absolute-form http or
 *        https target whose authority it refuses (userinfo included);
 *        Content-Length not 1*DIGIT, overflowing int64, or several differing values (across lines
 *        or inside one comma-separated line; identical repeats are accepted);
 *        Transfer-Encoding together with Content-Length; Transfer-Encoding whose last coding is
 *        not "chunked" (case-insensitive), or "chunked" appearing twice; Transfer-Encoding in HTTP/1.0.
 *   501  Transfer-Encoding that passes every check above but lists a coding other than "chunked"
 *        ("gzip, chunked"): RFC 9112 6.1, a coding the server does not understand.
 * Line endings: CRLF, or a bare LF (accepted consistently, RFC 9112 2.2). A CR not followed by LF
 * is 400. Bytes 0x80-0xFF are allowed in the target and in field values (obs-text), not in tokens.
 * Header field names are matched exactly and case-insensitively ("Hostname" is not "Host").
 * On a non-zero return *req and *consumed are unspecified. Never reads outside buf[0..len). */
int ymk__http_parse(const char *buf, size_t len, const struct ymk__http_limits *lim,
		    struct ymk__http_request *req, size_t *consumed);

enum ymk__host_kind {
	YMK__HOST_NAME = 1, /* reg-name */
	YMK__HOST_IPV4,     /* dotted quad */
	YMK__HOST_IPV6,     /* bracketed IPv6 literal */
};

/* A Host value or an authority, split (slices into the parsed bytes). */
struct ymk__host {
	enum ymk__host_kind kind;
	const char *name; /* the host as sent; an IPv6 literal with its brackets */
	size_t name_len;
	int port; /* 0..65535, or -1 when absent or empty */
};

/* Parses s[0..len) as RFC 3986 `host [ ":" port ]`, the grammar of Host (RFC 9110 7.2) and of an
 * http(s) authority without userinfo:
 *   reg-name    1*( unreserved / pct-encoded / sub-delims ): letters, digits, -._~!$&'()*+,;=
 *               and %XX (two hex digits). Not empty. A name made only of digits and dots must be
 *               a valid IPv4address ("1.2.3", "1.2.3.4.", "010.0.0.1" and "256.0.0.1" are refused).
 *   IPv4address four dec-octets 0-255 without leading zeros.
 *   IP-literal  "[" IPv6address "]", every RFC 3986 form ("::", "::1", "1::", "::ffff:1.2.3.4").
 *               IPvFuture ("[v1.x]") and zone identifiers ("[fe80::1%25eth0]") are refused.
 *   port        after a single ':', DIGITs only with a value of at most 65535 (leading zeros are
 *               fine); an empty port ("a:") is accepted as RFC 3986 allows, reported as -1.
 * Returns 0 and fills *out (when out is not NULL), or -1. Never reads outside s[0..len). */
int ymk__http_host_parse(const char *s, size_t len, struct ymk__host *out);

/* Where the authority of an absolute-form target lies: returns 1 and sets t[*start..*end) when
 * t[0..n) starts with "http://" or "https://" (case-insensitive), else 0. The authority runs to
 * the first '/', '?' or '#', and may be empty. The parser and path.c both read it here. */
int ymk__http_target_authority(const char *t, size_t n, size_t *start, size_t *end);

/* Finds a header by name (case-insensitive, exact). Returns the first match or NULL. */
const struct ymk__http_header *ymk__http_find(const struct ymk__http_request *req, const char *name);

/* Case-insensitive ASCII equality of a[0..alen) and the NUL-terminated string b. */
int ymk__ascii_ieq(const char *a, size_t alen, const char *b);

/* 1 when the comma-separated list value[0..len) holds the token (case-insensitive, OWS trimmed). */
int ymk__http_list_has(const char *value, size_t len, const char *token);

#endif
