/* internal.h: the structures shared by the server, the two process models and the protocol core.
 * Not installed; nothing here is part of the ABI. */
#ifndef YMK_INTERNAL_H
#define YMK_INTERNAL_H

#include "alloc.h"
#include "ymawky.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#define YMK__ERRMSG_MAX 256

/* Every setting; a ymk_config holds one, a ymk_server copies it. */
struct ymk__settings {
	char *root; /* owned */
	struct sockaddr_storage listen_addr;
	socklen_t listen_len;
	int model;
	unsigned max_connections;
	size_t max_request_line;
	size_t max_header_bytes;
	unsigned max_headers;
	unsigned read_timeout_ms;
	unsigned header_timeout_ms;
	unsigned write_timeout_ms;
	unsigned keepalive_timeout_ms;
	ymk_handler_fn *handler;
	void *handler_user;
	ymk_mime_fn *mime;
	void *mime_user;
	ymk_log_fn *log;
	void *log_user;
	ymk_access_fn *access;
	void *access_user;
	unsigned methods; /* YMK_METHOD_* of the static handler */
	uint64_t max_body;
	unsigned body_grace_ms;
	unsigned body_min_rate;
	unsigned file_mode;
	ymk_policy_fn *policy;
	void *policy_user;
	ymk_verdict_fn *verdict;
	void *verdict_user;
	int listing;
	int precompressed;
	char *error_pages; /* owned */
	const ymk_bundle *bundle;
	int listen_fd;    /* handed in by the embedder, or -1 */
	unsigned workers; /* event-model processes */
	unsigned fcache_entries; /* open-file cache size, 0 = off */
	unsigned fcache_valid_ms;
};

struct ymk_config {
	struct ymk__settings s;
	char err[YMK__ERRMSG_MAX];
};

struct ymk__loop; /* loop_epoll.c */

struct ymk_server {
	struct ymk__settings s;
	int root_fd;
	int error_fd; /* directory of custom error pages, or -1 */
	int listen_fd;
	int owns_socket_file; /* a Unix socket this server bound: removed by ymk_server_free() */
	int port;
	int wake_fd[2]; /* ymk_server_stop() and _wake() write to [1]; the models poll [0] */
	struct ymk__loop *loop; /* the event model's loop state (NULL in the fork model) */
	struct ymk__fcache *fcache; /* open-file cache of this process, made on first use */
	struct ymk__pool pool_in;   /* connections' input buffers */
	struct ymk__pool pool_out;  /* connections' output buffers of the standard size */
	volatile sig_atomic_t stop_requested;

	/* Scratch space for one request's decoded path, query and file name: requests are handled one at a
	 * time per process, so one buffer per server is enough (a fork child has its own copy). */
	char *scratch;
	size_t scratch_len;

	/* Cached Date header value, refreshed when the second changes, and the last Last-Modified
	 * formatted (most answers in a row are for the same few files). */
	time_t date_sec;
	char date[32];
	time_t lastmod_sec;
	char lastmod[32];

	/* The 503 answer sent past the cap, prebuilt so the accept path never formats anything. */
	char busy[512];
	size_t busy_len;
};

/* Logs through the embedder's callback, if any (printf-like; truncated to one line). */
void ymk__log(const ymk_server *srv, enum ymk_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The current Date value (IMF-fixdate), cached per second. */
const char *ymk__server_date(ymk_server *srv);

/* t as an IMF-fixdate, through a one-entry cache; valid until the next call. */
const char *ymk__server_lastmod(ymk_server *srv, time_t t);

/* Writes t as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", 29 bytes + NUL) without locale. */
void ymk__http_date(time_t t, char out[32]);

/* The two models (loop_epoll.c, fork.c). Each run returns 0 when stopped, or a negative code. */
int ymk__loop_new(ymk_server *srv);
void ymk__loop_free(ymk_server *srv);
int ymk__loop_run(ymk_server *srv);
int ymk__loop_fd(const ymk_server *srv);
int ymk__loop_timeout(const ymk_server *srv);
int ymk__loop_process(ymk_server *srv, int timeout);
int ymk__fork_run(ymk_server *srv);

/* Accept-path helper shared by both models: sends the prebuilt 503 without blocking, drains what
 * the client already sent (so the close does not turn into a reset that eats the 503), closes. */
void ymk__reject_busy(ymk_server *srv, int fd);

/* Opens a listening socket for the configured address (SO_REUSEPORT when reuseport), sets
 * srv->port; returns the fd or -errno. */
int ymk__listen_open(ymk_server *srv, int reuseport);

/* Event model with workers: forks them, serves, stops and reaps them (workers.c). */
int ymk__workers_run(ymk_server *srv);

/* Makes fd non-blocking; 0 or -errno. */
int ymk__set_nonblock(int fd);

#endif
