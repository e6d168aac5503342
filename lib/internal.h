/* internal.h: the structures shared by the server, the two process models and the protocol core.
 * Not installed; nothing here is part of the ABI. */
#ifndef YMK_INTERNAL_H
#define YMK_INTERNAL_H

#include "alloc.h"
#include "httpdate.h"
#include "schedule.h"
#include "ymawky.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#define YMK__ERRMSG_MAX 256

struct ymk__tls_conf; /* tls.h */

/* Every setting; a ymk_config holds one, a ymk_server copies it. */
struct ymk__settings {
	char *root; /* owned */
	struct sockaddr_storage listen_addr;
	socklen_t listen_len;
	enum ymk_model model;
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
	int listen_fd;           /* handed in by the embedder, or -1 */
	unsigned workers;        /* event-model processes */
	unsigned fcache_entries; /* open-file cache size, 0 = off */
	unsigned fcache_valid_ms;
	struct ymk__tls_conf *tls;  /* owned by the config (tls.h); NULL: no TLS setting given */
	ymk_accept_fn *accept_hook; /* connection decisions and reports (admit.c, session.c) */
	void *accept_user;
	ymk_close_fn *close_hook;
	void *close_user;
	unsigned max_per_client;      /* live connections per client address, 0 = no limit */
	int proxy_protocol;           /* connections begin with a PROXY header */
	uint64_t max_handler_body;    /* a body a handler reads into memory (YMK_READ_BODY) */
	unsigned deferred_timeout_ms; /* idle limit of a deferred request; 0: none */
};

struct ymk_config {
	struct ymk__settings s;
	char err[YMK__ERRMSG_MAX];
};

struct ymk__loop; /* loop.c */
struct ymk__tls;  /* tls.h */
struct ymk_request;

/* The handler chain (handler.h): each link's entry point answers the request or passes it on. */
typedef int ymk__link_fn(struct ymk_request *r);
#define YMK__CHAIN_MAX 4
struct ymk__chain {
	ymk__link_fn *links[YMK__CHAIN_MAX];
	unsigned n;
};

struct ymk_server {
	struct ymk__settings s;
	int root_fd;
	int error_fd; /* directory of custom error pages, or -1 */
	int listen_fd;
	int owns_socket_file; /* a Unix socket this server bound: removed by ymk_server_free() */
	int port;
	int wake_fd[2];               /* ymk_server_stop() and _wake() write to [1]; the models poll [0] */
	struct ymk__loop *loop;       /* the event model's loop state (NULL in the fork model) */
	struct ymk__tls *tls;         /* the listener's TLS (tls.h), or NULL: plain HTTP */
	struct ymk__fcache *fcache;   /* open-file cache of this process, made on first use */
	struct ymk__pool pool_in;     /* connections' input buffers */
	struct ymk__pool pool_out;    /* connections' output buffers of the standard size */
	struct ymk__pool pool_req;    /* request objects (request.h) */
	struct ymk__pool pool_reqbuf; /* their parsed heads and path buffers (request.h) */
	struct ymk__sched sched;      /* posted calls, timers, connections made ready (schedule.h) */
	int wake_inherited;           /* a fork child: wake_fd is the parent's (see wake.h) */
	volatile sig_atomic_t stop_requested;
	struct ymk__chain chain; /* built once by ymk_server_new() */
	char allow_all[64];      /* the Allow value of OPTIONS * */
	uint64_t nonce;          /* varies multipart boundaries between answers */

	/* The Date of this second and the last Last-Modified formatted (most answers in a row are
	 * for the same few files), per process. */
	struct ymk__datecache dates;

	/* The 503 answer sent past the cap, prebuilt so the accept path never formats anything. */
	char busy[512];
	size_t busy_len;

	/* Refusals at the door are logged at most YMK__REFUSAL_LOG_MAX a second (admit.c). */
	uint64_t refusal_second;
	unsigned refusal_logged, refusal_unlogged;
};

#endif
