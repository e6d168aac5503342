/* harness.h: what the integration test programs share. A harness builds a fresh document root of
 * fixtures under a mkdtemp() directory, creates a server from a struct server_opts on a loopback
 * port 0 in the test process, forks a child that runs it (SIGTERM makes the child call
 * ymk_server_stop() from a signal handler, so every stop also proves that ymk_server_run() then
 * returns 0), and removes everything again. The expect_* helpers assert on responses read with
 * client.c and name the request in every failure message. Callbacks given in the options run in the
 * server child (event model) or in its per-connection children (fork model); the document root is
 * the same directory for the test process and the server, so a test can stat() what a request did.
 * Everything here uses the public API only. */
#ifndef YMK_TEST_HARNESS_H
#define YMK_TEST_HARNESS_H

#include "client.h"

#include <check.h>
#include <ymawky.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IO_MS 10000    /* deadline of one request/response exchange */
#define CLOSE_MS 5000  /* how long a server may take to close after a final response */
#define STOP_MS 5000   /* how long the server process may take to exit after SIGTERM */
#define BIG_LEN 100000 /* size of big.bin */
#define ALLOW "GET, HEAD, OPTIONS"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Contents of the common fixtures (see make_tree() in harness.c for the whole tree). */
extern const char HELLO[];        /* root/hello.txt, 13 bytes */
extern const char INDEX[];        /* root/index.html */
extern const char SUB_INDEX[];    /* root/sub/index.html */
extern const char PAGE[];         /* root/page.html */
extern const char OHWELL[];       /* root/ohwell...txt */
extern const char HEHE[];         /* root/hehe..txt */
extern const char SPACE[];        /* root/with space.txt */
extern const char CAFE[];         /* root/café.txt */
extern const char UNKNOWN[];      /* root/data.unknownext */
extern const char NOINDEX_FILE[]; /* root/noindex/file.txt */
extern const char SECRET[];       /* base/secret.txt, outside the root */
extern const char RESERVED[];     /* root/.ymk-upload-123 */

#define GET_HELLO "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"

/* The state of the current test. */
struct harness {
	pid_t owner; /* the test process (atexit runs only there) */
	bool atexit_set;
	char base[PATH_MAX];     /* the mkdtemp() directory; "" when none */
	char root[PATH_MAX];     /* base/root: the document root */
	char log_path[PATH_MAX]; /* base/access.log */
	pid_t server;            /* the server child; 0 when none */
	int port;
	const char *host;
};
extern struct harness H;

/* Options of one test server; zero (NULL, false) means the library's default throughout. */
struct server_opts {
	int model;
	const char *listen; /* NULL: "127.0.0.1:0" */
	const char *host;   /* NULL: "127.0.0.1" */
	unsigned max_connections;
	unsigned read_timeout_ms;
	unsigned header_timeout_ms;
	unsigned keepalive_timeout_ms;
	ymk_handler_fn *handler;
	void *handler_user;
	ymk_access_fn *access_log;
	void *access_log_user;
	unsigned methods;       /* YMK_METHOD_* flags */
	uint64_t max_body;      /* PUT body limit */
	unsigned body_grace_ms; /* the body deadline: set when either is non-zero (the other one */
	unsigned body_min_rate; /* then keeps its default) */
	unsigned file_mode;     /* mode of files created by PUT (0 cannot be asked for here) */
	ymk_policy_fn *policy;
	void *policy_user;
	ymk_verdict_fn *verdict;
	void *verdict_user;
	bool listing;
	bool precompressed;
	const char *error_pages;            /* a directory name under H.base (made by .fixtures) */
	void (*fixtures)(void);             /* adds fixtures after the common tree was built */
	void (*configure)(ymk_config *cfg); /* last settings before the server is made (TLS tests) */
	bool no_env_cert; /* TLS mode: leave out YMK_TEST_TLS_CERT (configure adds certificates) */
	unsigned workers; /* event-model processes (0: the default, one) */
};

/* In TLS mode (client.h) the server gets YMK_TEST_TLS_CERT and YMK_TEST_TLS_KEY, and SIGHUP
 * makes the server process call ymk_server_tls_reload(). */

/* YMK_MODEL_EVENT for loop index 0, YMK_MODEL_FORK for 1. */
int model_of(int i);

/* Fixture building; every failure is an assertion. */
void join(char *out, size_t size, const char *dir, const char *name);
void put_file(const char *dir, const char *name, const void *data, size_t len);
void put_text(const char *dir, const char *name, const char *text);
void make_dir(const char *dir, const char *name);
void make_link(const char *target, const char *name);                     /* in the root */
void make_link_in(const char *dir, const char *target, const char *name); /* anywhere */
unsigned char big_byte(size_t i);                                         /* byte i of big.bin */

/* Lifecycle. start() builds the tree, then the server; stop() asserts a clean exit after SIGTERM
 * and removes the tree. scratch_dir() only builds the tree (tests without a server). */
void start(const struct server_opts *o);
void start_model(int i);
void stop(void);
int end_server(void); /* SIGTERM, wait; the wait status, or -1 when it had to be killed */
void remove_tree(void);
void scratch_dir(void);

/* Requests. */
void conn_open(tc_conn *c);
void exchange_len(tc_conn *c, const char *raw, size_t len, bool head, tc_response *r);
void exchange(tc_conn *c, const char *raw, bool head, tc_response *r);
void fetch(const char *raw, bool head, tc_response *r);
void get(const char *target, tc_response *r);

/* Expectations; ctx names the request in failure messages. */
void expect_status(const tc_response *r, int status, const char *ctx);
void expect_header(const tc_response *r, const char *name, const char *want, const char *ctx);
void expect_no_header(const tc_response *r, const char *name, const char *ctx);
void expect_body(const tc_response *r, const void *want, size_t len, const char *ctx);
void expect_body_str(const tc_response *r, const char *want, const char *ctx);
void expect_body_lacks(const tc_response *r, const char *needle, const char *ctx);
void expect_closed(tc_conn *c, const char *ctx);
void expect_still_open(tc_conn *c, const char *ctx);
bool is_imf_fixdate(const char *s);
void expect_date(const tc_response *r, const char *name, const char *ctx);

/* A table row: GET target answers status; body and Content-Type checked when given. */
struct get_case {
	const char *target;
	int status;
	const char *body;
	const char *content_type;
};
void run_get_cases(const struct get_case *cases, size_t n);

/* A growing string for building requests. */
struct text {
	char *p;
	size_t len;
};
__attribute__((format(printf, 2, 3))) void text_add(struct text *t, const char *fmt, ...);
void text_repeat(struct text *t, char ch, size_t n);
void text_bytes(struct text *t, const void *data, size_t n);

/* A whole file, NUL-terminated (NULL when it cannot be opened); free() it. */
char *read_whole(const char *path, size_t *len);

/* A test case with the given timeout (seconds); its tests are added with tcase_add_loop_test(..,
 * 0, 2) so that each runs against both process models. */
TCase *harness_case(const char *name, int timeout_s);

/* Runs the suite with Check's environment settings; the exit status for main(). */
int harness_run(Suite *s);

#endif /* YMK_TEST_HARNESS_H */
