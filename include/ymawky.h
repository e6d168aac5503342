/* ymawky.h: the whole public API of libymawky, an embeddable static-file HTTP/1.1 server.
 *
 * Read this header top to bottom as the reference manual; docs/ adds guides.
 *
 * Shape: build an opaque ymk_config with typed setters (each refuses a bad value at once), create
 * an opaque ymk_server from it (the server keeps its own copy), run it until ymk_server_stop(),
 * free it. Requests can be answered by a handler callback, or passed on to the built-in static-file
 * handler that serves the document root.
 *
 * Errors: every function that can fail returns an int: 0 on success, a negative code on failure.
 * A failed system call passes through as -errno (for example -EADDRINUSE); the library's own codes
 * are the YMK_E* values below, in a range of their own. ymk_strerror() names any of them.
 *
 * Threads: a ymk_config or ymk_server is used from one thread at a time, the server's thread (the
 * one in ymk_server_run() or driving ymk_server_process()), except ymk_server_stop() and
 * ymk_server_wake(), which any thread or a signal handler may call, and ymk_server_post(), which
 * any thread may call to have a function run on the server's thread (that is how another thread
 * answers a deferred request). Callbacks run in the server's thread; in the fork model in the
 * child process serving the connection (the accept hook, and the close hook once more, in the
 * parent), and with workers in whichever process took the connection. */
#ifndef YMAWKY_H
#define YMAWKY_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(YMK_BUILDING_LIBRARY) && defined(__GNUC__)
#define YMK_EXPORT __attribute__((visibility("default")))
#else
#define YMK_EXPORT
#endif

/* Version of this header. ymk_version() tells the version of the library actually linked. */
#define YMK_VERSION_MAJOR 0
#define YMK_VERSION_MINOR 1
#define YMK_VERSION_PATCH 0

/* Returns the linked library's version as "MAJOR.MINOR.PATCH" (a static string). */
YMK_EXPORT const char *ymk_version(void);

/* ---------------------------------------------------------------------------------------------
 * Error codes (negative). Kernel errors are -errno values, which are all above -4096.
 * ------------------------------------------------------------------------------------------- */
enum ymk_error {
	YMK_OK = 0,
	YMK_EINVAL = -10001,          /* an argument is NULL or out of its documented range */
	YMK_ENOMEM = -10002,          /* an allocation failed */
	YMK_ESTATE = -10003,          /* the call is not allowed in the object's current state */
	YMK_EADDRESS = -10004,        /* a listen address could not be parsed */
	YMK_ENOROOT = -10005,         /* no document root was set and no handler either */
	YMK_ENOTDIR = -10006,         /* the document root is not a directory */
	YMK_ERESPONDED = -10007,      /* the request was already answered */
	YMK_ENOCREDENTIALS = -10008,  /* no credentials of the asked-for scheme (ymk_auth_*) */
	YMK_EBADCREDENTIALS = -10009, /* credentials of that scheme, but malformed (ymk_auth_*) */
	YMK_EAGAIN = -10010,          /* nothing can be taken now: the stream's buffer is full */
	YMK_ENOTSUP = -10011,         /* not in this build: ymk_server_fd() with the poll backend */
	YMK_ENOTLS = -10012,          /* the library was built without TLS (meson -Dtls) */
	YMK_ETLS = -10013,            /* the TLS library refused a certificate, key or setting */
};

/* A short English description of any code this library returns (ymk_error values and -errno).
 * Never returns NULL; unknown codes give a generic text. */
YMK_EXPORT const char *ymk_strerror(int err);

/* ---------------------------------------------------------------------------------------------
 * Defaults. Each limit's default is named; ymawky's own limits where it had one.
 * ------------------------------------------------------------------------------------------- */
#define YMK_DEFAULT_LISTEN "127.0.0.1:8080"
#define YMK_DEFAULT_MAX_REQUEST_LINE 4096       /* bytes; also the longest decoded path (PATH_MAX) */
#define YMK_DEFAULT_MAX_HEADER_BYTES 8192       /* bytes of the whole request head */
#define YMK_DEFAULT_MAX_HEADERS 100             /* header lines */
#define YMK_DEFAULT_MAX_CONNECTIONS 256         /* live connections (event) / live children (fork) */
#define YMK_DEFAULT_READ_TIMEOUT_MS 10000       /* longest silence while a request is being read */
#define YMK_DEFAULT_HEADER_TIMEOUT_MS 10000     /* whole head, from its first byte */
#define YMK_DEFAULT_WRITE_TIMEOUT_MS 10000      /* longest stall while a response is being sent */
#define YMK_DEFAULT_KEEPALIVE_TIMEOUT_MS 5000   /* idle time between requests on one connection */
#define YMK_DEFAULT_RETRY_AFTER_S 1             /* Retry-After of the 503 sent past the cap */
#define YMK_DEFAULT_MAX_BODY (1ull << 30)       /* bytes of a PUT body (1 GiB) */
#define YMK_DEFAULT_MAX_HANDLER_BODY (1u << 20) /* bytes of a body a handler reads into memory */
#define YMK_DEFAULT_DEFERRED_TIMEOUT_MS 60000   /* a deferred request's longest wait without sending */
#define YMK_DEFAULT_SSE_KEEPALIVE_MS 15000      /* silence after which an SSE stream gets a comment */
#define YMK_DEFAULT_BODY_GRACE_MS 5000          /* a body must arrive within grace + length / rate */
#define YMK_DEFAULT_BODY_MIN_RATE 16384         /* bytes per second (ymawky: 5 s + length / 16 KiB/s) */
#define YMK_DEFAULT_FILE_MODE 0644              /* mode of files created by PUT */
#define YMK_DEFAULT_FILE_CACHE_ENTRIES 64       /* open files kept per process */
#define YMK_DEFAULT_FILE_CACHE_VALID_MS 1000    /* an open file is reopened after this long */

/* Upper bounds the setters accept. */
#define YMK_MAX_HEADERS_LIMIT 256
#define YMK_MAX_TIMEOUT_MS (24u * 3600u * 1000u)

/* The most stream bytes (framing included) the library holds for one connection beyond what the
 * kernel's socket buffer took: a slow reader never makes it hold more (ymk_stream_write()). */
#define YMK_STREAM_BUFFER_MAX 65536

/* ---------------------------------------------------------------------------------------------
 * Opaque types
 * ------------------------------------------------------------------------------------------- */
typedef struct ymk_config ymk_config;   /* settings; copied by ymk_server_new() */
typedef struct ymk_server ymk_server;   /* a listening server */
typedef struct ymk_request ymk_request; /* one request; valid during the callback that got it, or
					 * until its close callback when deferred */
typedef struct ymk_conn ymk_conn;       /* one connection (see "Connections" below) */

/* How connections are served. The protocol code is the same in both. */
enum ymk_model {
	YMK_MODEL_EVENT = 0, /* default: one non-blocking epoll loop in the calling thread */
	YMK_MODEL_FORK = 1,  /* a child process per connection, as ymawky did */
};

/* Methods of the static-file handler, as flags for ymk_config_set_methods(). The values are
 * fixed: new methods get new bits, never renumbered. */
#define YMK_METHOD_GET (1u << 0)
#define YMK_METHOD_HEAD (1u << 1)
#define YMK_METHOD_OPTIONS (1u << 2)
#define YMK_METHOD_PUT (1u << 3)
#define YMK_METHOD_DELETE (1u << 4)
#define YMK_METHODS_READ (YMK_METHOD_GET | YMK_METHOD_HEAD | YMK_METHOD_OPTIONS) /* the default */

/* ---------------------------------------------------------------------------------------------
 * Asset bundles: files compiled into the program (firmware web UIs with no disk)
 *
 * The ymawky-bundle program turns a directory into a C source file that defines one ymk_bundle;
 * ymk_config_set_bundle() serves it. These structs are the generated file's ABI: fields are only
 * ever appended, and `version` says which ones a bundle has.
 * ------------------------------------------------------------------------------------------- */
#define YMK_BUNDLE_VERSION 1

typedef struct ymk_bundle_file {
	const char *path; /* "/index.html": '/'-rooted, normalised, no "." or ".." segments */
	const unsigned char *data;
	uint64_t size;
	const char *content_type;       /* e.g. "text/html; charset=utf-8" */
	const char *etag;               /* strong entity-tag with its quotes, fixed at build time */
	int64_t mtime;                  /* Last-Modified, seconds since the epoch */
	const unsigned char *gzip_data; /* a gzip-encoded variant, or NULL */
	uint64_t gzip_size;
	const char *gzip_etag; /* the variant's own strong entity-tag (NULL when no variant) */
} ymk_bundle_file;

typedef struct ymk_bundle {
	unsigned version; /* YMK_BUNDLE_VERSION of the generator that wrote it */
	size_t count;
	const ymk_bundle_file *files; /* sorted by path (strcmp order) */
} ymk_bundle;

/* ---------------------------------------------------------------------------------------------
 * Callbacks
 * ------------------------------------------------------------------------------------------- */

/* Returned by a handler to pass the request on to the static-file handler. */
#define YMK_PASS 1

/* Returned by a handler to have the request body read first: the library reads the whole body
 * into memory (up to ymk_config_set_max_handler_body(), default YMK_DEFAULT_MAX_HANDLER_BODY,
 * which ymk_request_set_body_limit() may lower; more is answered 413 without calling the handler
 * again), sending "100 Continue" first when the client asked for it, under the same deadlines as
 * any body; then it calls the handler again with ymk_request_body() available. After
 * ymk_request_stream_body() the body goes to that callback in pieces instead, at any size up to
 * the PUT limit (ymk_config_set_max_body()). A handler that answers without asking for the body
 * never receives it: the library discards it and closes the connection after the answer. */
#define YMK_READ_BODY 2

/* Returned by a body callback (ymk_body_fn) to pause: it took the piece it was given, and wants
 * no more until ymk_request_resume_body(). */
#define YMK_PAUSE 3

/* A request handler, called once per request after the head was parsed and the path validated
 * (a request the library refuses, such as a traversal or a malformed head, never reaches it).
 * Return 0 after answering (ymk_respond_*(), ymk_stream_open(), ymk_sse_open()) or after
 * ymk_request_defer(); YMK_PASS to let the static-file handler answer; YMK_READ_BODY; or an HTTP
 * status 400..599 to have the library send its error page (with the headers added by
 * ymk_response_header(), such as a 401's WWW-Authenticate). Any other value, or 0 without an
 * answer, is answered 500; once the request is deferred, the return value is ignored.
 * Runs in the thread that called ymk_server_run(); in the fork model, in the child process. */
typedef int ymk_handler_fn(ymk_request *req, void *user);

/* A path policy, asked by the static-file handler for every request it would serve (GET, HEAD,
 * PUT, DELETE) after the path was decoded and validated and before any body byte is read.
 * It sees the method, the path, the headers, the peer and ymk_request_content_length().
 * Return 0 to allow, or a status 400..599 (401, 403, 405, 413, 415, 507...) to refuse; the client
 * then gets that status and no body byte is stored. For PUT it may call
 * ymk_request_set_body_limit() (only lowers the limit) and ymk_request_set_file_mode().
 * A refusal can say why: headers added with ymk_response_header() (WWW-Authenticate, which a 401
 * must carry, CORS headers, Retry-After...) go on it, and ymk_respond_buffer(req, 400..599, type,
 * body, len) gives it its own body instead of the library's page (that answer is then the
 * refusal, whatever the policy returns). A 405 always gets the Allow header from the library.
 * Headers added by a policy that allows go on the static handler's success answers only.
 * For OPTIONS it is asked once per enabled method with ymk_request_is_probe() true, to build the
 * Allow header: a method it refuses is left out; headers and answers given in a probe are
 * ignored. Runs where the handler runs (fork model: in the child). */
typedef int ymk_policy_fn(ymk_request *req, void *user);

/* An upload verdict: the last look at a finished upload before it replaces anything. fd is the
 * complete, flushed temporary file (read it with pread(); do not close it), size its length.
 * Return 0 to let it replace the target, or a status 400..599 to reject it: the temporary file is
 * discarded and the old file stays byte for byte as it was. Like a policy, it can add headers to
 * its refusal and give it a body with ymk_respond_buffer() (a JSON error, say); headers added by a
 * verdict that accepts go on the 201 or 204. Runs where the handler runs. */
typedef int ymk_verdict_fn(ymk_request *req, int fd, uint64_t size, void *user);

/* A MIME hook: given the request's decoded path (as ymk_request_path() gives it), return a media
 * type (a string that must stay valid while the server runs) or NULL to use the built-in table.
 * It is asked for every answer, also for a file served from the open-file cache (its answer is
 * never cached), so it may depend on more than the path. Runs where the handler runs. */
typedef const char *ymk_mime_fn(const char *path, void *user);

/* Log levels for ymk_log_fn. */
enum ymk_log_level {
	YMK_LOG_ERROR = 0,
	YMK_LOG_WARN = 1,
	YMK_LOG_INFO = 2,
};

/* A diagnostics callback: one line of text without a newline (valid during the call only).
 * The library never writes to stdout or stderr itself. */
typedef void ymk_log_fn(enum ymk_log_level level, const char *msg, void *user);

/* What the access-log callback sees of one finished request. Fields are only ever appended;
 * check `size` (sizeof the struct the library was built with) before reading a newer field.
 * Every pointer is valid during the call only.
 * method and target are the raw bytes the client sent, NUL-terminated and never escaped. The
 * parser lets no control bytes or spaces through, and a method is a token, but a target may hold
 * quotes, backslashes and bytes 0x80..0xFF (an 8-bit CSI, invalid UTF-8): pass both through
 * ymk_log_escape() before writing them into a log line or onto a terminal. */
typedef struct ymk_access_entry {
	size_t size;
	const char *method;          /* as sent, e.g. "GET" ("-" when the request line was unreadable) */
	const char *target;          /* the raw request-target as sent, not decoded ("-" when unreadable) */
	int version_minor;           /* 0 or 1 (HTTP/1.x); -1 when unreadable */
	int status;                  /* the status sent */
	uint64_t bytes_sent;         /* body bytes sent (headers excluded) */
	uint64_t duration_us;        /* from the head's first byte to the last byte of the response */
	const struct sockaddr *peer; /* the client's address */
	socklen_t peer_len;
} ymk_access_entry;

/* An access-log callback, called once per finished response (also for 4xx/5xx and 408).
 * Runs where the handler runs. */
typedef void ymk_access_fn(const ymk_access_entry *entry, void *user);

/* Escapes in[0..len) for a log line, as nginx and lighttpd write request data into theirs:
 * printable ASCII (0x20..0x7E) is copied, except '"' and '\', which get a backslash before them;
 * every other byte (controls, DEL, 0x80..0xFF) becomes "\xHH" with upper-case hex digits. The
 * result holds printable ASCII only, so it cannot end a quoted field early or drive a terminal.
 *
 * Like snprintf(): writes at most cap - 1 characters and a NUL to out (when cap > 0; out may be
 * NULL when cap is 0), and returns the length of the whole escaped text, NUL excluded, which is
 * at most 4 * len. A return value >= cap means the output was cut; it is cut between two escapes,
 * never inside one. in may be NULL when len is 0. Pure: any thread, any process, no allocation. */
YMK_EXPORT size_t ymk_log_escape(char *out, size_t cap, const char *in, size_t len);

/* Connection decisions and reports (see "Connections" below for what a ymk_conn tells).
 *
 * The accept hook is called once per connection, before any byte of HTTP is read: on a plain
 * listener as soon as the connection is accepted, before any byte at all; on a PROXY listener
 * (ymk_config_set_proxy_protocol()) once the PROXY header was read, so that it sees the client the
 * proxy relays for (and the proxy itself through ymk_conn_socket_peer()). It runs in the process
 * that accepted the connection: in the event model in the loop's thread, with workers in the
 * worker that accepted it, in the fork model in the parent before fork(), so a refused client
 * costs no process. It returns YMK_CONN_ALLOW; YMK_CONN_REFUSE to close the connection without
 * sending a byte; or a status 400..599 (403, 421, 429, 503...) answered once with the library's
 * built-in page and "Connection: close", after which the connection is closed. Any other value
 * refuses. A refused connection never reaches a handler. The hook may attach state to the
 * connection with ymk_conn_set_state(); the close hook gets it back, also after a refusal. Once
 * TLS exists, a TLS listener's accept hook also sees the TLS state through ymk_conn_tls_*()
 * accessors (the SNI name, the peer certificate). The ymk_conn pointer is valid during the call. */
#define YMK_CONN_ALLOW 0
#define YMK_CONN_REFUSE 1
typedef int ymk_accept_fn(ymk_conn *conn, void *user);

/* How a connection ended (ymk_conn_report.end). Values are fixed; new ones are appended. */
enum ymk_conn_end {
	YMK_CONN_END_CLIENT = 0,  /* the client closed or reset the connection */
	YMK_CONN_END_IDLE = 1,    /* no request came: the keep-alive timeout between requests, or the
				   * read timeout of a new connection */
	YMK_CONN_END_TIMEOUT = 2, /* a deadline passed while a request was read or an answer sent
				   * (a 408 was sent where a request had started) */
	YMK_CONN_END_DONE = 3,    /* the server closed it after an answer that ends the connection
				   * (Connection: close, HTTP/1.0, an error that closes) */
	YMK_CONN_END_ERROR = 4,   /* the server gave up: out of memory, an answer that could not be
				   * built or completed (a file that shrank under its Content-Length) */
	YMK_CONN_END_STOPPED = 5, /* ymk_server_stop() or ymk_server_free() ended it */
	YMK_CONN_END_REFUSED = 6, /* the accept hook refused it (closed, or answered its status) */
	YMK_CONN_END_LIMIT = 7,   /* refused with 503 past the connection cap or the per-client limit */
	YMK_CONN_END_FORKED = 8,  /* fork model, in the parent: the child served it and reported its
				   * end itself; this call is for the parent's copy of the state */
	YMK_CONN_END_CRASHED = 9, /* fork model, in the parent: the child died without reporting (a
				   * crash in a handler, a signal) */
};

/* What the close hook learns of a connection. Fields are only ever appended; check `size`
 * (sizeof the struct the library was built with) before reading a newer field. */
typedef struct ymk_conn_report {
	size_t size;
	enum ymk_conn_end end;
	uint64_t requests;    /* answers sent (error answers included; a 100 Continue is not one) */
	uint64_t bytes_in;    /* bytes read from the connection (a PROXY header included) */
	uint64_t bytes_out;   /* bytes sent: heads and bodies */
	uint64_t duration_us; /* from accept to close */
} ymk_conn_report;

/* The close hook: called exactly once for every connection that reached the accept decision (with
 * or without an accept hook), however it ends, in the process that ends it, as its socket is
 * closed. It gets the connection (its state, to free it) and the report. A connection dropped
 * before the decision (a PROXY header that was malformed or late) is not reported.
 * In the fork model the child reports the connection's end; the parent, which ran the accept hook
 * and so holds its own copy of the state, reports too, once, when it reaps the child: with
 * YMK_CONN_END_FORKED when the child reported, YMK_CONN_END_STOPPED when ymk_server_stop() ended
 * the child, YMK_CONN_END_CRASHED when it died otherwise (the parent's reports carry the duration
 * only). The pointers are valid during the call. */
typedef void ymk_close_fn(ymk_conn *conn, const ymk_conn_report *report, void *user);

/* ---------------------------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------------------------- */

/* Creates a configuration holding every default (YMK_DEFAULT_*): listen on 127.0.0.1:8080, event
 * model, no document root, no callbacks. Returns 0, YMK_EINVAL (out is NULL) or YMK_ENOMEM. */
YMK_EXPORT int ymk_config_new(ymk_config **out);

/* Frees a configuration. NULL is fine. A server created from it is unaffected. */
YMK_EXPORT void ymk_config_free(ymk_config *cfg);

/* The detail of the last setter that failed on cfg ("" when none failed). Valid until the next
 * call on cfg. Never NULL for a non-NULL cfg. */
YMK_EXPORT const char *ymk_config_error(const ymk_config *cfg);

/* The document root served by the static-file handler. The directory is opened by
 * ymk_server_new(); every file is then opened beneath it, never through a symlink.
 * Returns 0 or YMK_EINVAL (NULL, empty, or longer than 4095 bytes). */
YMK_EXPORT int ymk_config_set_root(ymk_config *cfg, const char *dir);

/* The address to listen on: "IPv4:PORT" ("127.0.0.1:8080", "0.0.0.0:0"), "[IPv6]:PORT"
 * ("[::1]:8080"; "[::]:PORT" is dual-stack: it also accepts IPv4 clients), or "unix:PATH" for a
 * Unix domain socket (a stale socket file at PATH, one that refuses connections, is replaced; a
 * live socket or any other file there makes ymk_server_new() fail with -EADDRINUSE). Port 0 picks a free port; ymk_server_port() tells which.
 * Replaces an fd given with ymk_config_set_listen_fd(). Returns 0 or YMK_EADDRESS. */
YMK_EXPORT int ymk_config_set_listen(ymk_config *cfg, const char *addr);

/* Listens on an already bound and listening stream socket instead of an address (socket
 * activation, or a socket the embedder set up itself). ymk_server_new() checks it, makes it
 * non-blocking and close-on-exec, and the server owns it from then on (ymk_server_free() closes
 * it); if ymk_server_new() fails, the fd stays the caller's. -1 goes back to the address.
 * Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_listen_fd(ymk_config *cfg, int fd);

/* The PROXY protocol (versions 1 and 2, as HAProxy and most load balancers send it) on the
 * listener, default off. On: every connection must begin with a PROXY header, which is read
 * exactly (the bytes after it, HTTP or a TLS handshake, are left for what follows) within the
 * header timeout; the client and local addresses it names then stand for the connection's:
 * ymk_request_peer(), ymk_conn_peer() and ymk_conn_local(), the access log and the per-client
 * limit see the real client. A header that is malformed, of an unknown version or late closes the
 * connection without a byte sent (and is logged, rate-limited). A v1 "UNKNOWN" or a v2 "LOCAL"
 * header (a proxy's health check) keeps the connection's own addresses. Only trusted proxies may
 * reach such a listener: anyone who can connect can claim any address (restrict it with the
 * accept hook on ymk_conn_socket_peer(), or by where it listens). Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_proxy_protocol(ymk_config *cfg, int enabled);

/* Event model: serve with n processes (1..256, default 1). ymk_server_run() forks n - 1 workers,
 * each with its own listening socket bound with SO_REUSEPORT to the same address, so the kernel
 * spreads connections across them (a Unix socket or a handed-in fd is shared instead); the
 * calling process serves as one of them. Callbacks then run in several processes. Stopping sends
 * SIGTERM to the workers, which finish at once, and reaps them before run returns. A worker that
 * dies is not replaced. Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_workers(ymk_config *cfg, unsigned n);

/* The process model. Returns 0 or YMK_EINVAL (not a value of enum ymk_model). */
YMK_EXPORT int ymk_config_set_model(ymk_config *cfg, enum ymk_model model);

/* The cap on live connections (event model) or live children (fork model), 1..1000000.
 * Past it a client gets 503 with Retry-After and the connection is closed. Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_max_connections(ymk_config *cfg, unsigned n);

/* The most live connections one client address may hold (0, the default: no limit other than the
 * cap), 0..1000000. Past it that client gets 503 with Retry-After and the connection is closed;
 * other clients are unaffected. Counted per IPv4 or IPv6 address (IPv4 clients of a dual-stack
 * listener count as their IPv4 address; the port does not count), after the PROXY header on a
 * PROXY listener; Unix-socket clients are not limited. The count is per process: the event loop's
 * connections, each worker's own, or the fork parent's live children. Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_max_connections_per_client(ymk_config *cfg, unsigned n);

/* The longest request line, and the longest decoded path; longer gets 414. 16..65536.
 * Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_max_request_line(ymk_config *cfg, size_t bytes);

/* The longest request head (request line + header lines); longer gets 431. Must be at least the
 * request-line limit + 4; checked again by ymk_server_new(). 64..1048576. Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_max_header_bytes(ymk_config *cfg, size_t bytes);

/* The most header lines in one request; more gets 431. 1..YMK_MAX_HEADERS_LIMIT.
 * Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_max_headers(ymk_config *cfg, unsigned n);

/* Timeouts in milliseconds, each 1..YMK_MAX_TIMEOUT_MS. Returns 0 or YMK_EINVAL.
 * read:      longest silence while a request head is being read (connection closed; 408 first
 *            when part of a request had arrived)
 * header:    the whole head must arrive within this time from its first byte (408, then close):
 *            the slowloris guard
 * write:     longest time without progress while a response is sent (connection closed)
 * keepalive: how long an idle connection is kept between requests (closed silently) */
YMK_EXPORT int ymk_config_set_read_timeout(ymk_config *cfg, unsigned ms);
YMK_EXPORT int ymk_config_set_header_timeout(ymk_config *cfg, unsigned ms);
YMK_EXPORT int ymk_config_set_write_timeout(ymk_config *cfg, unsigned ms);
YMK_EXPORT int ymk_config_set_keepalive_timeout(ymk_config *cfg, unsigned ms);

/* The request handler and its user pointer; NULL removes it (every request then goes to the
 * static-file handler). Returns 0 or YMK_EINVAL (cfg NULL). */
YMK_EXPORT int ymk_config_set_handler(ymk_config *cfg, ymk_handler_fn *fn, void *user);

/* The methods the static-file handler serves: YMK_METHOD_* flags, default YMK_METHODS_READ.
 * PUT and DELETE are off unless set here. A known method that is not enabled is answered 405 with
 * an Allow header. GET and HEAD go together (either both or neither). Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_methods(ymk_config *cfg, unsigned methods);

/* The largest PUT body, in bytes (1..2^62); a larger Content-Length is answered 413 before any
 * byte is stored, a chunked body is cut off at the limit with 413. Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_max_body(ymk_config *cfg, uint64_t bytes);

/* The body deadline: a body must arrive completely within grace_ms + received / min_rate seconds
 * of its start (min_rate in bytes per second, 1..2^30; grace 1..YMK_MAX_TIMEOUT_MS), and the read
 * timeout applies between its bytes. Past it: 408 and close, nothing stored. Returns 0 or
 * YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_body_deadline(ymk_config *cfg, unsigned grace_ms, unsigned min_rate);

/* The mode of files created by PUT (permission bits only, 0..0777; the umask is not applied).
 * A replaced file keeps this mode too. Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_file_mode(ymk_config *cfg, unsigned mode);

/* The open-file cache of the static handler: up to `entries` files (0..4096; 0 turns it off)
 * stay open per process, small ones (8 KiB) with their bytes in memory, so a repeated request
 * costs one fstat() instead of an open, a stat and a close. Every hit is checked with fstat() of
 * the open file: a file replaced or deleted (by this server's PUT/DELETE or anyone else) or
 * changed in place is reopened at once. A cached file is reopened by path at least every
 * valid_ms (1..YMK_MAX_TIMEOUT_MS), which bounds the one staleness left: after a directory on
 * the path was renamed away while its files kept existing elsewhere, the old file can be served
 * for up to valid_ms. Defaults: YMK_DEFAULT_FILE_CACHE_ENTRIES, YMK_DEFAULT_FILE_CACHE_VALID_MS.
 * Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_file_cache(ymk_config *cfg, unsigned entries, unsigned valid_ms);

/* The path policy and its user pointer; NULL removes it. Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_policy(ymk_config *cfg, ymk_policy_fn *fn, void *user);

/* The upload verdict hook; NULL removes it. Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_upload_verdict(ymk_config *cfg, ymk_verdict_fn *fn, void *user);

/* Directory listings for directories without index.html (default off: 403). Listings are sorted,
 * HTML-escaped, and never show names starting with '.'. Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_listing(ymk_config *cfg, int enabled);

/* Precompressed sidecars (default off): when "file.br" or "file.gz" exists beside "file" and the
 * client accepts that coding, it is sent with Content-Encoding, the original's Content-Type, its
 * own ETag and "Vary: Accept-Encoding". Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_precompressed(ymk_config *cfg, int enabled);

/* A directory of custom error pages named CODE.html ("404.html"), opened by ymk_server_new()
 * beneath which pages are read like any file (no symlinks); a missing page falls back to the
 * built-in one. NULL removes it. Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_error_pages(ymk_config *cfg, const char *dir);

/* An asset bundle served for GET and HEAD in front of the document root (a path the bundle has is
 * answered from it; any other path goes on to the root, or is 404 without one). "/dir/" serves
 * "/dir/index.html"; "/dir" redirects when the bundle has "/dir/index.html". HEAD, preconditions,
 * Range (also multipart) and the gzip variant (with Vary: Accept-Encoding) apply as for files;
 * bundle answers carry "Cache-Control: no-cache" (caches revalidate with the ETag: a firmware
 * update is never hidden by a cached old UI);
 * bodies are sent straight from the bundle's memory, with no allocation per request except for
 * multi-range answers. The bundle must outlive the server (generated ones are static data).
 * NULL removes it. Returns 0, or YMK_EINVAL for an unknown version or files not sorted. */
YMK_EXPORT int ymk_config_set_bundle(ymk_config *cfg, const ymk_bundle *bundle);

/* The MIME hook, asked before the built-in table; NULL removes it. Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_mime_hook(ymk_config *cfg, ymk_mime_fn *fn, void *user);

/* The diagnostics callback; NULL (the default) discards diagnostics. Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_log(ymk_config *cfg, ymk_log_fn *fn, void *user);

/* The access-log callback; NULL (the default) disables it. Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_access_log(ymk_config *cfg, ymk_access_fn *fn, void *user);

/* The largest body a handler reads into memory with YMK_READ_BODY, in bytes (1..2^62; default
 * YMK_DEFAULT_MAX_HANDLER_BODY). The PUT limit (ymk_config_set_max_body()) caps it too, and
 * ymk_request_set_body_limit() can lower it for one request. A larger Content-Length is answered
 * 413 before any byte is read, a chunked body is cut off at the limit with 413. A body streamed
 * to the handler (ymk_request_stream_body()) is not held in memory and is limited by the PUT
 * limit instead. Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_max_handler_body(ymk_config *cfg, uint64_t bytes);

/* The idle limit of a deferred request (ymk_request_defer(), streams, SSE, producers waiting for
 * data), in milliseconds (0..YMK_MAX_TIMEOUT_MS; 0: none; default
 * YMK_DEFAULT_DEFERRED_TIMEOUT_MS): the longest time it may wait for the embedder without a byte
 * being sent. Past it, a request not answered yet gets 503 and its connection closes; an answer
 * under way is cut off (the connection closes). SSE keep-alive comments count as bytes sent, so
 * an SSE stream stays open. ymk_request_set_idle_timeout() changes it for one request. Returns 0
 * or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_deferred_timeout(ymk_config *cfg, unsigned ms);

/* The accept hook (ymk_accept_fn) and the close hook (ymk_close_fn), each with its user pointer;
 * NULL removes one. Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_config_set_accept_hook(ymk_config *cfg, ymk_accept_fn *fn, void *user);
YMK_EXPORT int ymk_config_set_close_hook(ymk_config *cfg, ymk_close_fn *fn, void *user);

/* ---------------------------------------------------------------------------------------------
 * HTTPS: TLS on the listener (docs/tls.md)
 *
 * Adding a certificate makes the listener speak TLS only: every connection starts with a
 * handshake, in every process model (the fork model does it in the child, never in the parent).
 * The library is built with one backend, OpenSSL 3 or mbed TLS 2.28 (meson -Dtls=auto|openssl|
 * mbedtls|disabled); built without one, these setters return YMK_ENOTLS. What a TLS port does:
 *   - protocols: TLS 1.2 and 1.3 (mbed TLS 2.28 has TLS 1.2 only), floor set below; ECDHE key
 *     exchange with AES-GCM or ChaCha20-Poly1305 only, in the server's order of preference; no
 *     renegotiation, no compression; session tickets for resumption;
 *   - ALPN: "http/1.1" is selected when the client offers it; a client offering only other
 *     protocols (only "h2") is refused with the no_application_protocol alert;
 *   - the handshake has its own deadline (ymk_config_set_tls_handshake_timeout()), so a stalled
 *     handshake is cut off like a slow request head; a failed handshake is logged at
 *     YMK_LOG_INFO with the peer and the reason;
 *   - plain HTTP sent to the TLS port is closed at once, unanswered, and logged (YMK_LOG_INFO);
 *   - past the connection cap a TLS connection is closed at once, without a handshake and without
 *     the 503 (a handshake costs more than any answer: spending it on a refused client would let a
 *     flood buy the server's CPU); the plaintext 503 is never sent on a TLS port.
 * ------------------------------------------------------------------------------------------- */

/* Protocol versions for ymk_config_set_tls_min_version() and the wire values of RFC 8446. */
#define YMK_TLS_1_2 0x0303
#define YMK_TLS_1_3 0x0304
#define YMK_DEFAULT_TLS_MIN_VERSION YMK_TLS_1_2
#define YMK_DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS 10000 /* from accept to the end of the handshake */

/* The TLS backend the library was built with and its version ("OpenSSL 3.0.11 19 Sep 2023",
 * "mbed TLS 2.28.3"), or NULL when it was built without TLS. */
YMK_EXPORT const char *ymk_tls_backend(void);

/* Adds a certificate from memory: cert is PEM text holding the certificate first and then its
 * chain (intermediates) in order, key the PEM private key (RSA or EC, unencrypted), lengths in
 * bytes (a terminating NUL may be included or not). Both are copied and checked at once: they
 * must parse and the key must belong to the certificate. The first certificate added is the one
 * served when no SNI callback picks another. Returns the certificate's index (0, 1, ...), or
 * YMK_EINVAL (NULL or empty), YMK_ETLS (refused: the reason in plain words in
 * ymk_config_error()), YMK_ENOMEM or YMK_ENOTLS. At most 64 certificates. */
YMK_EXPORT int ymk_config_add_tls_cert(ymk_config *cfg, const char *cert, size_t cert_len, const char *key,
				       size_t key_len);

/* Adds a certificate from a PEM file and a key file (they may be the same file), read and checked
 * now, and read again by every ymk_server_tls_reload(). Returns the index as
 * ymk_config_add_tls_cert() does, or -errno when a file cannot be read (the file is named in
 * ymk_config_error()). */
YMK_EXPORT int ymk_config_add_tls_cert_file(ymk_config *cfg, const char *cert_file, const char *key_file);

/* An SNI callback: given the host name the client asked for in its handshake (server_name, RFC
 * 6066: ASCII, at most 255 bytes, valid during the call), return the index of the certificate to
 * present, or a negative value to refuse the handshake (unrecognized_name alert). It is called
 * only when the client sent a name; without a name, or without a callback, the first certificate
 * is presented. An index that names no certificate refuses the handshake too. Runs in the
 * process doing the handshake (fork model: the child), before any request exists. */
typedef int ymk_tls_sni_fn(const char *server_name, void *user);

/* Sets the SNI callback; NULL removes it. Returns 0, YMK_EINVAL or YMK_ENOTLS. */
YMK_EXPORT int ymk_config_set_tls_sni(ymk_config *cfg, ymk_tls_sni_fn *fn, void *user);

/* The lowest protocol version accepted: YMK_TLS_1_2 (the default) or YMK_TLS_1_3. Returns 0,
 * YMK_EINVAL, YMK_ENOTLS, or YMK_ETLS when the backend cannot speak it (mbed TLS 2.28 has no
 * TLS 1.3). */
YMK_EXPORT int ymk_config_set_tls_min_version(ymk_config *cfg, int version);

/* The handshake's deadline, from accept to its last message (1..YMK_MAX_TIMEOUT_MS, default
 * YMK_DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS); the connection is closed unanswered when it passes.
 * Returns 0, YMK_EINVAL or YMK_ENOTLS. */
YMK_EXPORT int ymk_config_set_tls_handshake_timeout(ymk_config *cfg, unsigned ms);

/* ---------------------------------------------------------------------------------------------
 * Server lifecycle
 * ------------------------------------------------------------------------------------------- */

/* Creates a server from a copy of cfg: validates the settings, opens the document root and binds
 * and listens on the address (so ymk_server_port() is known before ymk_server_run()).
 * Returns 0 and sets *out; or YMK_EINVAL, YMK_ENOMEM, YMK_ENOROOT, YMK_ENOTDIR, or -errno from the
 * kernel (-ENOENT for a missing root, -EADDRINUSE, -EACCES...), with the detail in
 * ymk_config_error(cfg): that is the one thing written into cfg, which is why it is not const
 * (the server keeps no reference to it). On failure *out is set to NULL and nothing is left open. */
YMK_EXPORT int ymk_server_new(ymk_server **out, ymk_config *cfg);

/* Serves until ymk_server_stop() is called, then returns 0 (or a negative code if the loop
 * itself failed). In the fork model the children still serving are sent SIGTERM and reaped
 * before it returns. Call it from one thread; calling it again after it returned serves again. */
YMK_EXPORT int ymk_server_run(ymk_server *srv);

/* Asks ymk_server_run() to return soon. Safe from any thread and from a signal handler
 * (it only writes to a pipe or eventfd). Calling it before ymk_server_run() makes the next run
 * return at once. */
YMK_EXPORT void ymk_server_stop(ymk_server *srv);

/* Driving the event model from the embedder's own loop (poll, epoll, select, libuv, GLib...),
 * instead of ymk_server_run(); in the same thread that owns the server:
 *   - watch ymk_server_fd() for readability; it is level-triggered: it stays readable while
 *     there is work, so polling it again right after ymk_server_process() is correct. Where
 *     the build's loop backend is poll() (the portable build), there is no such fd: watch the
 *     fds of ymk_server_pollfds() instead, which works with every backend;
 *   - wait at most ymk_server_timeout() milliseconds (-1: no deadline pending);
 *   - call ymk_server_process() after every wake-up, whether the fd was readable or the timeout
 *     passed; it does all ready work without blocking.
 * The embedder must ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)) in this mode: sendfile() raises it
 * on a reset peer, and unlike ymk_server_run() these calls never touch signal dispositions.
 * In the fork model these calls return YMK_ESTATE. */

/* The one pollable fd of an event-model server (an epoll fd on Linux, a kqueue fd on macOS), or
 * YMK_ESTATE; YMK_ENOTSUP with the poll backend of the portable build (see ymk_server_pollfds). */
YMK_EXPORT int ymk_server_fd(const ymk_server *srv);

/* The fds an embedder's poll() must watch for an event-model server, with the events to watch
 * (POLLIN or POLLOUT; revents zero): the one fd of ymk_server_fd() where the backend has one,
 * every listening, wake-up and connection fd with the poll backend. Fills at most cap entries of
 * fds and returns how many there are in all: when that is more than cap, call again with a
 * larger array. The set changes only inside ymk_server_process(): fetch it again after each
 * call, and poll at most ymk_server_timeout() ms. YMK_EINVAL for a NULL server (or NULL fds with
 * a non-zero cap), YMK_ESTATE in the fork model. */
YMK_EXPORT int ymk_server_pollfds(const ymk_server *srv, struct pollfd *fds, size_t cap);

/* Milliseconds until ymk_server_process() must run even without readiness: -1 none pending,
 * 0 now; YMK_ESTATE in the fork model. */
YMK_EXPORT int ymk_server_timeout(const ymk_server *srv);

/* Does all ready work (accepts, reads, writes, expired deadlines) without blocking.
 * Returns 0, -errno if the kernel's wait call failed, or YMK_ESTATE in the fork model. */
YMK_EXPORT int ymk_server_process(ymk_server *srv);

/* Makes ymk_server_fd() readable (with the poll backend: the wake-up pipe among the fds of
 * ymk_server_pollfds()), so that a loop blocked in poll() on it wakes up. Safe from any
 * thread and from a signal handler; it does not stop anything. */
YMK_EXPORT void ymk_server_wake(ymk_server *srv);

/* The port the server listens on (the real one when port 0 was asked for). */
YMK_EXPORT int ymk_server_port(const ymk_server *srv);

/* Asks the server to read its certificate files (ymk_config_add_tls_cert_file()) again, for
 * certificate renewals without a restart: every process of the server (workers, the fork
 * model's parent) loads them before its next handshake, and new connections get the new
 * certificates while the connections already open keep theirs until they end; none is dropped.
 * Certificates given from memory stay as they are. A file that cannot be read or a pair that no
 * longer matches keeps all the old certificates and is logged (YMK_LOG_ERROR). Safe from any
 * thread and from a signal handler (a SIGHUP handler is the usual caller). Returns 0, YMK_EINVAL,
 * or YMK_ESTATE when the server has no TLS. */
YMK_EXPORT int ymk_server_tls_reload(ymk_server *srv);

/* A self-signed certificate for host (a DNS name or an IP address, at most 253 bytes), valid for
 * days (1..36500) from now, for a device that ships without one: an ECDSA P-256 key made from
 * the backend's random generator, the host as the subject's common name and as its one subject
 * alternative name, "CA:FALSE" and the serverAuth key usage. Writes the certificate's PEM text into
 * cert and the key's into key, NUL-terminated (4096 bytes each are always enough). Browsers do not
 * trust it until told to (docs/tls.md). Returns 0, YMK_EINVAL (bad host or days, NULL buffers),
 * YMK_ENOMEM (a buffer too small), YMK_ETLS or YMK_ENOTLS. */
YMK_EXPORT int ymk_tls_self_signed(const char *host, unsigned days, char *cert, size_t cert_cap, char *key,
				   size_t key_cap);

/* Closes the listener and the root and frees the server. NULL is fine. Must not be called while
 * ymk_server_run() is running. */
YMK_EXPORT void ymk_server_free(ymk_server *srv);

/* ---------------------------------------------------------------------------------------------
 * The request, inside a handler
 * ------------------------------------------------------------------------------------------- */

/* The method as sent ("GET", "POST", ...). */
YMK_EXPORT const char *ymk_request_method(const ymk_request *req);

/* The raw request-target as sent, not decoded ("/a%20b.txt?x=1"). */
YMK_EXPORT const char *ymk_request_target(const ymk_request *req);

/* The decoded, normalised path: always starts with '/', no "." or ".." segments, no empty
 * segments; ends in '/' when the target's path did ("/docs/"). This is the path the static-file
 * handler would serve, relative to the root. */
YMK_EXPORT const char *ymk_request_path(const ymk_request *req);

/* The query string after '?', not decoded, or NULL when the target had none. */
YMK_EXPORT const char *ymk_request_query(const ymk_request *req);

/* The value of the first header with this name (case-insensitive), leading and trailing blanks
 * removed, or NULL when absent. */
YMK_EXPORT const char *ymk_request_header(const ymk_request *req, const char *name);

/* The HTTP minor version: 0 for HTTP/1.0, 1 for HTTP/1.1. */
YMK_EXPORT int ymk_request_version(const ymk_request *req);

/* The client's address; *len receives its length when len is not NULL. */
YMK_EXPORT const struct sockaddr *ymk_request_peer(const ymk_request *req, socklen_t *len);

/* The connection the request came on: its local address, listener and attached state (see
 * "Connections"). Valid as long as the request is; NULL for a NULL request. */
YMK_EXPORT ymk_conn *ymk_request_conn(const ymk_request *req);

/* The server the request came to (for ymk_server_timer() and ymk_server_post() from a handler;
 * in the fork model and with workers, the process's own copy of it), or NULL for NULL. */
YMK_EXPORT ymk_server *ymk_request_server(const ymk_request *req);

/* The request body's declared length: Content-Length, or -1 when the body is chunked (length
 * unknown) or when there is no body at all (then ymk_request_has_body() is 0). */
YMK_EXPORT int64_t ymk_request_content_length(const ymk_request *req);

/* 1 when the request carries a body (Content-Length > 0 or chunked), else 0. */
YMK_EXPORT int ymk_request_has_body(const ymk_request *req);

/* 1 inside a policy call made to build an OPTIONS answer (the method is the one probed), else 0. */
YMK_EXPORT int ymk_request_is_probe(const ymk_request *req);

/* Lowers the body limit for this request (a handler before returning YMK_READ_BODY, or the
 * policy for a PUT); a larger value than the current limit is ignored. Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_request_set_body_limit(ymk_request *req, uint64_t bytes);

/* The mode of the file a PUT creates or replaces (policy only; permission bits 0..0777).
 * Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_request_set_file_mode(ymk_request *req, unsigned mode);

/* The body read for a handler that returned YMK_READ_BODY: during the handler's second call a
 * non-NULL pointer (also for an empty body) valid for that call, with its length in *len (when
 * len is not NULL); in the first call NULL and *len 0. */
YMK_EXPORT const void *ymk_request_body(const ymk_request *req, size_t *len);

/* The TLS protocol version of the request's connection ("TLSv1.2", "TLSv1.3"), or NULL when the
 * connection is plain HTTP. A static string. */
YMK_EXPORT const char *ymk_request_tls_version(const ymk_request *req);

/* The connection's cipher suite by its IANA name ("TLS_AES_128_GCM_SHA256",
 * "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), the same with either backend, or NULL when plain. */
YMK_EXPORT const char *ymk_request_tls_cipher(const ymk_request *req);

/* The host name the client sent in its handshake (SNI), valid during the callback, or NULL when
 * it sent none or the connection is plain. It is what the certificate was chosen by; the Host
 * header of the request may name another host (compare them where that matters). */
YMK_EXPORT const char *ymk_request_tls_server_name(const ymk_request *req);

/* ---------------------------------------------------------------------------------------------
 * Answering, inside a handler, and refusing, inside a policy or verdict (at most one ymk_respond_*
 * per request)
 * ------------------------------------------------------------------------------------------- */

/* Adds a response header to the answer about to be given: a handler's own answer, the static
 * handler's success answer after YMK_PASS or an allowing policy, or the refusal of a policy or
 * verdict. Library-generated errors (a missing file, a limit, a failed precondition...) never
 * carry it. Name must be a token, value must hold no CR, LF or NUL. Refused, because the library
 * writes them itself: Content-Length, Content-Range, Content-Type (the answer's argument), Date,
 * Connection, Keep-Alive, Transfer-Encoding, Trailer, Upgrade; inside a policy or verdict also
 * Allow. In a probe (ymk_request_is_probe()) it does nothing and returns 0.
 * Returns 0, YMK_EINVAL, YMK_ENOMEM, or YMK_ERESPONDED. */
YMK_EXPORT int ymk_response_header(ymk_request *req, const char *name, const char *value);

/* Answers with status (200..599, not 1xx, 204 and 304 carry no body) and a copy of body[0..len).
 * content_type may be NULL ("application/octet-stream"). HEAD gets the same headers and no body;
 * a 200 answer to GET still honours Range. Inside a policy or verdict it gives the refusal's body:
 * status must be 400..599, and the answer is sent once the hook returned (in a probe it does
 * nothing and returns 0). Returns 0, YMK_EINVAL, YMK_ENOMEM or YMK_ERESPONDED. */
YMK_EXPORT int ymk_respond_buffer(ymk_request *req, int status, const char *content_type, const void *body,
				  size_t len);

/* Answers 200 with the regular file open at fd, which the library takes over in every case (it is
 * closed after sending, or at once on failure). content_type may be NULL (the MIME hook, then the
 * table, applied to the request path). Last-Modified, ETag, HEAD and Range are applied as for
 * static files. Not in a policy or verdict (YMK_EINVAL). Returns 0, YMK_EINVAL (not a regular
 * file), -errno (fstat failed), YMK_ERESPONDED, or YMK_ENOMEM (the answer could not be built: the
 * connection closes unanswered). */
YMK_EXPORT int ymk_respond_fd(ymk_request *req, int fd, const char *content_type);

/* The built-in media type for a path's extension, or "application/octet-stream". Text types carry
 * "; charset=utf-8". Never NULL. */
YMK_EXPORT const char *ymk_mime_lookup(const char *path);

/* ---------------------------------------------------------------------------------------------
 * Answers that take time: deferred requests, streams, producers, Server-Sent Events, request
 * bodies in pieces, posted calls and timers (docs/streaming.md is the guide)
 *
 * Every call in this section except ymk_server_post() belongs to the server's thread: inside a
 * callback (handler, body, timer, posted call, writable, close), or between ymk_server_process()
 * calls in the embedder's loop. Another thread hands work over with ymk_server_post(). The
 * library never calls a request's callbacks from inside a ymk_* call made for another request:
 * writing to one stream from a second request's callback only queues the bytes and marks the
 * connection ready, and its callbacks (writable, close) run later from the loop.
 * ------------------------------------------------------------------------------------------- */

/* How a request ended, for its close callback. */
enum ymk_close_reason {
	YMK_CLOSE_DONE = 0,    /* the answer was sent completely (handed to the kernel) */
	YMK_CLOSE_CLIENT = 1,  /* the client closed the connection, or it failed (a reset) */
	YMK_CLOSE_TIMEOUT = 2, /* a deadline passed: the idle limit, the write timeout, a stalled body */
	YMK_CLOSE_STOPPED = 3, /* the server stopped, or was freed, with the request open */
	YMK_CLOSE_ABORTED = 4, /* the answer could not be completed (a producer failed, a stream ended
				* short of its length, out of memory, a body refused): the
				* connection was closed so that the client never takes it for whole */
};

/* Called exactly once when a request is over, however it ended, on the server's thread (fork
 * model: in the child). req is still readable during the call and invalid after it returns:
 * this is where per-request state is freed. It is never called from inside a ymk_* call. */
typedef void ymk_request_close_fn(ymk_request *req, enum ymk_close_reason reason, void *user);

/* A function run on the server's thread (ymk_server_post(), ymk_server_timer()). */
typedef void ymk_post_fn(ymk_server *srv, void *user);
typedef void ymk_timer_fn(ymk_server *srv, void *user);

/* Called on the server's thread when a stream that refused a write (YMK_EAGAIN) has room again:
 * its buffer was sent. */
typedef void ymk_writable_fn(ymk_request *req, void *user);

/* A producer: writes at most cap bytes of the body into buf and returns how many (> 0); 0 at the
 * end of the body; YMK_EAGAIN when it has nothing now (ymk_stream_resume() asks again); any
 * other negative value for a failure, which closes the connection (the body is never presented
 * as complete). Called on the server's thread, only when the connection can take more bytes. */
typedef long ymk_produce_fn(char *buf, size_t cap, void *user);

/* Frees what a producer or a taken buffer used; called exactly once, however the answer ends. */
typedef void ymk_free_fn(void *user);

/* A body callback (ymk_request_stream_body()): data[0..len) is the next piece of the request body
 * as it arrived (de-chunked; at most 64 KiB), then one call with len 0 (data NULL) when the body
 * is complete. Return 0 to go on; YMK_PAUSE to take no more until ymk_request_resume_body(); or a
 * status 400..599 to refuse: the library answers it (or sends the answer the callback gave with
 * ymk_respond_*()), reads nothing more and closes the connection. An answer given before the body
 * is complete closes the connection after it too. In the last call (len 0) answer, defer, or
 * return a status; 0 without an answer is answered 500. */
typedef int ymk_body_fn(ymk_request *req, const void *data, size_t len, void *user);

/* Keeps the request after the handler (or the last body callback) returns 0: it stays valid until
 * its close callback has run, and is answered later with any ymk_respond_*() or stream call.
 * While it waits, the connection only watches for the client going away (bytes the client
 * pipelines are kept for after the answer), and the idle limit applies
 * (ymk_config_set_deferred_timeout()). The request's head is copied into a right-sized block and
 * the connection's buffers go back to the pools, so a waiting request holds well under a KiB.
 * Call ymk_request_on_close() too: it is how the embedder learns that the pointer went stale.
 * Fork model: call it before handing req to another thread (the child then wakes on posts).
 * Returns 0; YMK_ESTATE in a policy, verdict or probe, or in a body callback before the body is
 * complete; YMK_EINVAL for NULL. Calling it twice is harmless. */
YMK_EXPORT int ymk_request_defer(ymk_request *req);

/* Sets the close callback (NULL removes it). Any request may have one, deferred or not.
 * Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_request_on_close(ymk_request *req, ymk_request_close_fn *fn, void *user);

/* The idle limit of this request in milliseconds (0: none; at most YMK_MAX_TIMEOUT_MS), in place
 * of the one set with ymk_config_set_deferred_timeout(). Returns 0 or YMK_EINVAL. */
YMK_EXPORT int ymk_request_set_idle_timeout(ymk_request *req, unsigned ms);

/* Runs fn(srv, user) on the server's thread at its next wake-up, which this call causes (the
 * wake pipe). The one call of this section that any thread may make; calls run in the order they
 * were posted. A call still pending when the server is freed is dropped without being run.
 * Fork model: a post in the parent runs in the parent, a post from a thread of a child runs in
 * that child. Returns 0, YMK_EINVAL or YMK_ENOMEM. */
YMK_EXPORT int ymk_server_post(ymk_server *srv, ymk_post_fn *fn, void *user);

/* Runs fn(srv, user) once on the server's thread, ms milliseconds from now (0..
 * YMK_MAX_TIMEOUT_MS) or as soon after as the loop wakes; *id (when id is not NULL) names it for
 * ymk_server_timer_cancel(). Served by every model: ymk_server_run(), the embedder's loop
 * (ymk_server_timeout() counts it) and the fork child (a timer set in a child runs there; those
 * of the parent stay in the parent, and with workers in the process that set them). Cost: one
 * allocation and O(log n) in the number of pending timers; a cancel is O(n), so keep a few
 * periodic timers rather than one per request. Timers pending when the server is freed are
 * dropped. Returns 0, YMK_EINVAL or YMK_ENOMEM. */
YMK_EXPORT int ymk_server_timer(ymk_server *srv, unsigned ms, ymk_timer_fn *fn, void *user, uint64_t *id);

/* Cancels a pending timer. Returns 0, or YMK_EINVAL when no timer with that id is pending (it
 * already ran, or was cancelled). */
YMK_EXPORT int ymk_server_timer_cancel(ymk_server *srv, uint64_t id);

/* Starts an answer whose body is written later with ymk_stream_write(): status (200..599, not
 * 204 or 304), content_type (NULL: application/octet-stream) and the body's length, or -1 when
 * unknown: then HTTP/1.1 gets it chunked and HTTP/1.0 until the connection closes
 * ("Connection: close"). The head is sent at once; headers added with ymk_response_header() go
 * on it. The request is deferred (see ymk_request_defer()) until ymk_stream_end(). A stream that
 * ends short of its length, or is written past it, never passes for complete: the connection is
 * closed (YMK_CLOSE_ABORTED). HEAD gets the head only; writes are then accepted and dropped.
 * Returns 0, YMK_EINVAL, YMK_ENOMEM, YMK_ESTATE (in a policy or verdict, or mid-body) or
 * YMK_ERESPONDED. */
YMK_EXPORT int ymk_stream_open(ymk_request *req, int status, const char *content_type, int64_t length);

/* Queues data[0..len) of an open stream and returns how many bytes were taken: all of them, or
 * fewer when the connection's buffer (YMK_STREAM_BUFFER_MAX, framing included, beyond what the
 * kernel's socket buffer holds) has less room; YMK_EAGAIN when it has none: wait for the writable
 * callback (ymk_request_on_writable()). The bytes leave as the client reads them. Also YMK_EINVAL
 * (NULL, or more than the declared length), YMK_ESTATE (no stream open, or already ended) or
 * YMK_ENOMEM. len 0 returns 0. */
YMK_EXPORT long ymk_stream_write(ymk_request *req, const void *data, size_t len);

/* The writable callback of a stream (NULL removes it): called once after a ymk_stream_write() or
 * ymk_sse_send() that returned YMK_EAGAIN, when the buffer has been sent. Returns 0 or
 * YMK_EINVAL. */
YMK_EXPORT int ymk_request_on_writable(ymk_request *req, ymk_writable_fn *fn, void *user);

/* Ends an open stream: what is queued is sent, then the last chunk (chunked), and the request is
 * over once it all left (its close callback says YMK_CLOSE_DONE, or YMK_CLOSE_ABORTED when the
 * body is shorter than its declared length). Returns 0, YMK_EINVAL or YMK_ESTATE. */
YMK_EXPORT int ymk_stream_end(ymk_request *req);

/* Asks a producer that returned YMK_EAGAIN to produce again (with a stream, does nothing).
 * Returns 0, YMK_EINVAL or YMK_ESTATE (no producer or stream). */
YMK_EXPORT int ymk_stream_resume(ymk_request *req);

/* Answers with a body made by produce (see ymk_produce_fn) as the connection takes it: status
 * (200..599, not 204 or 304), content_type (NULL: application/octet-stream), length, or -1 when
 * unknown (chunked to HTTP/1.1, close-delimited to HTTP/1.0). With a known length the producer
 * is asked for at most the bytes still due and not called again once they were given; ending
 * early closes the connection (YMK_CLOSE_ABORTED). HEAD never calls the producer. free_fn (may be
 * NULL) is called with user exactly once, however the answer ends, also when this call fails.
 * Memory stays bounded (one 64 KiB buffer) whatever the length. Returns 0, YMK_EINVAL,
 * YMK_ENOMEM, YMK_ESTATE (in a policy or verdict, or mid-body) or YMK_ERESPONDED. */
YMK_EXPORT int ymk_respond_producer(ymk_request *req, int status, const char *content_type, int64_t length,
				    ymk_produce_fn *produce, ymk_free_fn *free_fn, void *user);

/* Answers like ymk_respond_buffer() (HEAD, Range on a 200 to GET), but sends body[0..len) from
 * the caller's memory without copying it; free_fn(user) (may be NULL) is called exactly once when
 * the library no longer needs the bytes: after sending, when the connection ends, at once for
 * HEAD, 204 or 304, and when this call fails. The bytes must stay unchanged until then. Returns
 * 0, YMK_EINVAL, YMK_ENOMEM, YMK_ESTATE (in a policy or verdict) or YMK_ERESPONDED. */
YMK_EXPORT int ymk_respond_buffer_take(ymk_request *req, int status, const char *content_type,
				       const void *body, size_t len, ymk_free_fn *free_fn, void *user);

/* Opens a Server-Sent Events stream: 200 with "Content-Type: text/event-stream; charset=utf-8",
 * "Cache-Control: no-cache" and "X-Accel-Buffering: no" (so a proxy does not hold events back);
 * never compressed; chunked to HTTP/1.1, close-delimited to HTTP/1.0. The request is deferred
 * (ymk_request_defer()) and a comment (": keep-alive") is sent after every
 * YMK_DEFAULT_SSE_KEEPALIVE_MS without an event (ymk_sse_set_keepalive()), which also keeps it
 * within the idle limit. A client that reconnects sends the id of the last event it saw:
 * ymk_request_header(req, "Last-Event-ID"). End it with ymk_stream_end(). Returns as
 * ymk_stream_open(). */
YMK_EXPORT int ymk_sse_open(ymk_request *req);

/* Sends one event: "event: EVENT" when event is not NULL, "id: ID" when id is not NULL (neither
 * may hold CR or LF), then data split into "data:" lines at every CRLF, LF or CR (the WHATWG
 * rules; NULL: no data line, which a browser does not dispatch, but an id still updates its
 * Last-Event-ID), then the blank line. The event is taken whole or not at all: 0, or YMK_EAGAIN
 * when the buffer lacks room (the writable callback says when to try again); YMK_EINVAL (line
 * breaks in event or id, or an event larger than YMK_STREAM_BUFFER_MAX), YMK_ESTATE (no SSE
 * stream open) or YMK_ENOMEM. */
YMK_EXPORT int ymk_sse_send(ymk_request *req, const char *event, const char *id, const char *data);

/* The keep-alive interval of an SSE stream in milliseconds (0: none; at most YMK_MAX_TIMEOUT_MS).
 * Returns 0, YMK_EINVAL or YMK_ESTATE (no SSE stream open). */
YMK_EXPORT int ymk_sse_set_keepalive(ymk_request *req, unsigned ms);

/* Has the request body given to fn in pieces as it arrives (see ymk_body_fn) instead of read into
 * memory: call it in the handler, then return YMK_READ_BODY. The limit is the PUT limit
 * (ymk_config_set_max_body(), which ymk_request_set_body_limit() may lower), and the same
 * deadlines and "100 Continue" rules apply as for a PUT (a paused body's time does not count).
 * Returns 0, YMK_EINVAL (NULL) or YMK_ESTATE (not in a handler's first call). */
YMK_EXPORT int ymk_request_stream_body(ymk_request *req, ymk_body_fn *fn, void *user);

/* Resumes a body callback that returned YMK_PAUSE. Returns 0, YMK_EINVAL or YMK_ESTATE (no body
 * being streamed). */
YMK_EXPORT int ymk_request_resume_body(ymk_request *req);

/* ---------------------------------------------------------------------------------------------
 * Connections: what the accept hook, the handlers (through ymk_request_conn()) and the close hook
 * see of one connection. A ymk_conn lives as long as its connection, in the process serving it;
 * the one given to a callback is valid during that call (and the request's as long as the
 * request). Every accessor accepts NULL (returning NULL, 0 or YMK_EINVAL).
 * ------------------------------------------------------------------------------------------- */

/* The client's address (what ymk_request_peer() returns): on a PROXY listener the client the
 * header names, else the socket's peer. *len receives its length when len is not NULL. */
YMK_EXPORT const struct sockaddr *ymk_conn_peer(const ymk_conn *conn, socklen_t *len);

/* The address the client connected to, its port included (the header's destination on a PROXY
 * listener); for a listener on every address ("0.0.0.0", "[::]") it tells which interface
 * address was reached. Read from the socket on first use; NULL when it cannot be read. */
YMK_EXPORT const struct sockaddr *ymk_conn_local(const ymk_conn *conn, socklen_t *len);

/* The socket's own peer: the proxy on a PROXY listener, the same as ymk_conn_peer() otherwise. */
YMK_EXPORT const struct sockaddr *ymk_conn_socket_peer(const ymk_conn *conn, socklen_t *len);

/* 1 when the addresses came from a PROXY header (not for a LOCAL or UNKNOWN one), else 0. */
YMK_EXPORT int ymk_conn_proxied(const ymk_conn *conn);

/* Which of the server's listeners accepted the connection: 0 (a server has one listener; were
 * there several, they would be numbered in the order configured). */
YMK_EXPORT int ymk_conn_listener(const ymk_conn *conn);

/* The process model serving the connection (an enum ymk_model value). */
YMK_EXPORT int ymk_conn_model(const ymk_conn *conn);

/* The embedder's state attached to the connection (NULL until set). Set it in the accept hook,
 * or in any callback of the process serving the connection (a login handler that binds a session
 * to the connection); the close hook gets it back to free it. In the fork model state attached in
 * the parent's accept hook is copied into the child by fork(), state attached in the child stays
 * there. ymk_conn_set_state() returns 0 or YMK_EINVAL. */
YMK_EXPORT void *ymk_conn_state(const ymk_conn *conn);
YMK_EXPORT int ymk_conn_set_state(ymk_conn *conn, void *state);

/* ---------------------------------------------------------------------------------------------
 * Authentication helpers, for a policy or handler (pure functions: no I/O, no allocation; any
 * thread). They parse and compare; deciding, and answering 401 with a WWW-Authenticate challenge
 * (see ymk_policy_fn), stays with the caller.
 * ------------------------------------------------------------------------------------------- */

/* Basic credentials (RFC 7617) from an Authorization value, as ymk_request_header(req,
 * "Authorization") gives it (NULL is fine): "Basic" (any case), spaces, then canonical padded
 * base64 of user-id ":" password. Decodes into buf[0..cap) as "user\0password\0" and points *user
 * and *password there (cap must be at least the decoded length + 1; 3 * n / 4 + 1 bytes for n
 * characters of base64 are always enough). The user-id ends at the first colon; the password may
 * hold colons; both may be empty and are not checked for any encoding. Returns 0;
 * YMK_ENOCREDENTIALS when the value is NULL, empty or of another scheme; YMK_EBADCREDENTIALS when
 * it is Basic but malformed (no token, anything after it, non-canonical base64, no colon, a
 * control byte such as NUL in either part), or too long for buf; YMK_EINVAL when buf, user or
 * password is NULL. On failure *user and *password are NULL and buf holds nothing useful. */
YMK_EXPORT int ymk_auth_basic(const char *authorization, char *buf, size_t cap, const char **user,
			      const char **password);

/* A Bearer token (RFC 6750 section 2.1) from an Authorization value (NULL is fine): "Bearer" (any
 * case), spaces, then a token68 (letters, digits, "-._~+/", then any '=') and nothing after it.
 * *token points into authorization (it runs to its end) and *len, when len is not NULL, is its
 * length. Returns 0, YMK_ENOCREDENTIALS, YMK_EBADCREDENTIALS (as for ymk_auth_basic()) or
 * YMK_EINVAL when token is NULL; on failure *token is NULL. */
YMK_EXPORT int ymk_auth_bearer(const char *authorization, const char **token, size_t *len);

/* 1 when a[0..alen) and b[0..blen) hold the same bytes, else 0, in a time that depends on the two
 * lengths only, never on the bytes, so a client cannot find a secret byte by byte by timing the
 * answers. It does leak the lengths: to hide the secret's length too, compare fixed-length values
 * (digests of both sides, or a fixed-size token). A NULL pointer with a length above 0 gives 0. */
YMK_EXPORT int ymk_secret_equal(const void *a, size_t alen, const void *b, size_t blen);

#ifdef __cplusplus
}
#endif

#endif /* YMAWKY_H */
