/* ymawky-serve: the ymawky replacement, a thin command-line program over libymawky.
 *
 * Serves a directory (default "www") on 127.0.0.1:8080 in the event model (or --model fork, as
 * ymawky did), prints one Common Log Format line per request on stderr, and exits cleanly on
 * SIGINT or SIGTERM. Started by systemd socket activation (LISTEN_PID, LISTEN_FDS), it serves the
 * socket passed as fd 3 instead of binding one (docs/deployment.md). --allow and --deny decide on
 * each client with the library's accept hook, before a byte is read (in the fork model before a
 * process is forked); the library logs each refusal, at most ten lines a second. With --tls-cert
 * and --tls-key it serves HTTPS only, and SIGHUP reads the certificate files again (docs/tls.md). */
#include <ymawky.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static ymk_server *server;

static void on_signal(int sig)
{
	(void)sig;
	ymk_server_stop(server); /* async-signal-safe */
}

static void on_hup(int sig)
{
	(void)sig;
	(void)ymk_server_tls_reload(server); /* async-signal-safe: new handshakes get the new files */
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ymawky-serve [options]\n"
		"  --root DIR              document root (default: www)\n"
		"  --listen ADDR           A.B.C.D:PORT, [IPv6]:PORT or unix:PATH (default: %s)\n"
		"  --model event|fork      process model (default: event)\n"
		"  --max-conns N           live connections / children before 503 (default: %d)\n"
		"  --max-conns-per-client N  live connections of one client address before 503\n"
		"                          (default: 0, no limit)\n"
		"  --allow CIDR            serve only clients in CIDR (repeatable; 10.0.0.0/8, fd00::/8,\n"
		"                          192.0.2.7); with none given every client may connect\n"
		"  --deny CIDR             refuse clients in CIDR (repeatable; wins over --allow);\n"
		"                          a refused client's connection is closed with no byte sent\n"
		"  --proxy-protocol        connections begin with a PROXY header (v1 or v2, as HAProxy\n"
		"                          sends with send-proxy): the log and --allow/--deny see the\n"
		"                          client it names; let only the proxy reach this port\n"
		"  --workers N             event model: N processes sharing the port (default: 1)\n"
		"  --file-cache N          open files kept per process, 0 = off (default: 64)\n"
		"  --header-timeout MS     whole request head deadline (default: %d)\n"
		"  --read-timeout MS       longest silence inside a request (default: %d)\n"
		"  --keepalive-timeout MS  idle time between requests (default: %d)\n"
		"  --allow-put             accept PUT (atomic uploads)\n"
		"  --allow-delete          accept DELETE\n"
		"  --writable              both of the above\n"
		"  --max-body BYTES        largest PUT body (default: 1 GiB)\n"
		"  --listing               list directories without index.html\n"
		"  --precompressed         serve file.br / file.gz to clients that accept them\n"
		"  --error-pages DIR       custom CODE.html error pages\n"
		"  --tls-cert FILE         serve HTTPS with this PEM certificate (chain after it)\n"
		"  --tls-key FILE          ... and this PEM private key; SIGHUP reads both again\n"
		"  --tls-min 1.2|1.3       lowest TLS version accepted (default: 1.2)\n"
		"  --quiet                 no access log\n"
		"  --help                  this text\n"
		"Started by systemd socket activation (LISTEN_PID, LISTEN_FDS), it serves the socket\n"
		"passed as fd 3 and takes no --listen.\n",
		YMK_DEFAULT_LISTEN, YMK_DEFAULT_MAX_CONNECTIONS, YMK_DEFAULT_HEADER_TIMEOUT_MS,
		YMK_DEFAULT_READ_TIMEOUT_MS, YMK_DEFAULT_KEEPALIVE_TIMEOUT_MS);
}

/* One Common Log Format line per request; a single fprintf so lines from fork children do not
 * interleave mid-line. Method and target are escaped (\xHH, \", \\): a target may hold quotes and
 * bytes 0x80..0xFF, which would otherwise shift the line's fields or drive the terminal. */
static void access_line(const ymk_access_entry *e, void *user)
{
	(void)user;
	char host[INET6_ADDRSTRLEN] = "-";
	if (e->peer && e->peer->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)e->peer)->sin_addr, host, sizeof host);
	else if (e->peer && e->peer->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)e->peer)->sin6_addr, host, sizeof host);
	char when[64];
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S %z", localtime_r(&now, &tm));
	char bytes[24] = "-";
	if (e->bytes_sent)
		snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)e->bytes_sent);
	if (e->version_minor < 0) {
		fprintf(stderr, "%s - - [%s] \"-\" %d %s\n", host, when, e->status, bytes);
		return;
	}
	/* At most 16 bytes of method and 512 of target, as before escaping: each may grow to 4. */
	char method[4 * 16 + 1], target[4 * 512 + 1];
	size_t mlen = strlen(e->method), tlen = strlen(e->target);
	ymk_log_escape(method, sizeof method, e->method, mlen < 16 ? mlen : 16);
	ymk_log_escape(target, sizeof target, e->target, tlen < 512 ? tlen : 512);
	fprintf(stderr, "%s - - [%s] \"%s %s HTTP/1.%d\" %d %s\n", host, when, method, target,
		e->version_minor, e->status, bytes);
}

static void log_line(enum ymk_log_level level, const char *msg, void *user)
{
	(void)user;
	const char *kind = level == YMK_LOG_ERROR ? "error" : level == YMK_LOG_WARN ? "warning" : "info";
	fprintf(stderr, "ymawky-serve: %s: %s\n", kind, msg);
}

/* Socket activation, as sd_listen_fds(1) does it: the sockets start at fd 3, and they are ours
 * only when LISTEN_PID names this process (an inherited environment names the parent). The
 * variables are removed in every case, so that nothing started from here takes them for its
 * own. Returns the number of sockets passed (0: none), or -1 with *why set. */
enum { LISTEN_FDS_START = 3 };

static int listen_fds(const char **why)
{
	const char *pid_s = getenv("LISTEN_PID"), *n_s = getenv("LISTEN_FDS");
	int n = 0;
	if (pid_s && n_s) {
		char *end;
		errno = 0;
		long pid = strtol(pid_s, &end, 10);
		if (errno || end == pid_s || *end || pid <= 0) {
			*why = "LISTEN_PID is not a process id";
			n = -1;
		} else if (pid == (long)getpid()) {
			errno = 0;
			long v = strtol(n_s, &end, 10);
			if (errno || end == n_s || *end || v < 0 || v > 1024) {
				*why = "LISTEN_FDS is not a count of descriptors";
				n = -1;
			} else {
				n = (int)v;
			}
		}
	}
	for (int fd = LISTEN_FDS_START; n > 0 && fd < LISTEN_FDS_START + n; fd++) {
		int flags = fcntl(fd, F_GETFD), type = 0, listening = 0;
		socklen_t tl = sizeof type, ll = sizeof listening;
		if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
			*why = "a descriptor named by LISTEN_FDS is not open";
			n = -1;
		} else if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM ||
			   getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ll) < 0 || !listening) {
			*why = "the passed descriptor is not a listening stream socket (ListenStream=, Accept=no)";
			n = -1;
		}
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return n;
}

static int parse_uint(const char *s, unsigned *out);

/* --allow and --deny: address prefixes, kept as 16-byte IPv6 addresses (IPv4 as ::ffff:a.b.c.d,
 * so that IPv4 clients of a dual-stack listener match IPv4 rules). */
struct cidr {
	unsigned char addr[16];
	unsigned bits;
};
#define MAX_RULES 64
static struct cidr allow[MAX_RULES], deny[MAX_RULES];
static unsigned n_allow, n_deny;

static int parse_cidr(const char *s, struct cidr *c)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	if (hlen == 0 || hlen >= sizeof host)
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	unsigned max;
	memset(c, 0, sizeof *c);
	if (inet_pton(AF_INET, host, c->addr + 12) == 1) {
		c->addr[10] = c->addr[11] = 0xff;
		max = 32;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		max = 128;
	} else {
		return -1;
	}
	unsigned bits = max;
	if (slash && (parse_uint(slash + 1, &bits) < 0 || bits > max || !slash[1]))
		return -1;
	c->bits = bits + (128 - max);
	return 0;
}

static int in_cidr(const unsigned char a[16], const struct cidr *c)
{
	unsigned full = c->bits / 8, rest = c->bits % 8;
	if (memcmp(a, c->addr, full))
		return 0;
	return !rest || ((a[full] ^ c->addr[full]) & (0xff00u >> rest) & 0xff) == 0;
}

/* The accept hook: a client in a --deny prefix, or outside every --allow prefix (when some are
 * given), is closed without a byte. Unix-socket clients have no address and are not filtered. */
static int filter(ymk_conn *conn, void *user)
{
	(void)user;
	const struct sockaddr *sa = ymk_conn_peer(conn, NULL);
	unsigned char a[16] = {0};
	if (sa->sa_family == AF_INET) {
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else {
		return YMK_CONN_ALLOW;
	}
	for (unsigned i = 0; i < n_deny; i++)
		if (in_cidr(a, &deny[i]))
			return YMK_CONN_REFUSE;
	for (unsigned i = 0; i < n_allow; i++)
		if (in_cidr(a, &allow[i]))
			return YMK_CONN_ALLOW;
	return n_allow ? YMK_CONN_REFUSE : YMK_CONN_ALLOW;
}

static int parse_uint(const char *s, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 0xffffffffUL || s[0] == '-')
		return -1;
	*out = (unsigned)v;
	return 0;
}

int main(int argc, char **argv)
{
	ymk_config *cfg;
	int err = ymk_config_new(&cfg);
	if (err) {
		fprintf(stderr, "ymawky-serve: %s\n", ymk_strerror(err));
		return 1;
	}
	const char *root = "www", *tls_cert = NULL, *tls_key = NULL;
	int quiet = 0, listen_given = 0;
	unsigned methods = YMK_METHODS_READ;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned n = 0;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			ymk_config_free(cfg);
			return 0;
		} else if (!strcmp(a, "--quiet")) {
			quiet = 1;
			continue;
		} else if (!strcmp(a, "--allow-put") || !strcmp(a, "--allow-delete") ||
			   !strcmp(a, "--writable")) {
			methods |= a[2] == 'w' ? YMK_METHOD_PUT | YMK_METHOD_DELETE
				 : a[8] == 'p' ? YMK_METHOD_PUT
					       : YMK_METHOD_DELETE;
			continue;
		} else if (!strcmp(a, "--proxy-protocol")) {
			err = ymk_config_set_proxy_protocol(cfg, 1);
			continue;
		} else if (!strcmp(a, "--listing") || !strcmp(a, "--precompressed")) {
			err = a[2] == 'l' ? ymk_config_set_listing(cfg, 1)
					  : ymk_config_set_precompressed(cfg, 1);
			continue;
		}
		if (!v) {
			fprintf(stderr, "ymawky-serve: %s needs a value\n", a);
			usage(stderr);
			ymk_config_free(cfg);
			return 2;
		}
		i++;
		if (!strcmp(a, "--root"))
			root = v;
		else if (!strcmp(a, "--listen")) {
			err = ymk_config_set_listen(cfg, v);
			listen_given = 1;
		} else if (!strcmp(a, "--model"))
			err = !strcmp(v, "event") ? ymk_config_set_model(cfg, YMK_MODEL_EVENT)
			    : !strcmp(v, "fork")  ? ymk_config_set_model(cfg, YMK_MODEL_FORK)
						  : ymk_config_set_model(cfg, -1);
		else if (!strcmp(a, "--file-cache"))
			err = parse_uint(v, &n)
				    ? YMK_EINVAL
				    : ymk_config_set_file_cache(cfg, n, YMK_DEFAULT_FILE_CACHE_VALID_MS);
		else if (!strcmp(a, "--workers"))
			err = parse_uint(v, &n) ? YMK_EINVAL : ymk_config_set_workers(cfg, n);
		else if (!strcmp(a, "--max-conns"))
			err = parse_uint(v, &n) ? YMK_EINVAL : ymk_config_set_max_connections(cfg, n);
		else if (!strcmp(a, "--max-conns-per-client"))
			err = parse_uint(v, &n) ? YMK_EINVAL
						: ymk_config_set_max_connections_per_client(cfg, n);
		else if (!strcmp(a, "--allow") || !strcmp(a, "--deny")) {
			int is_allow = a[2] == 'a';
			unsigned *count = is_allow ? &n_allow : &n_deny;
			if (*count == MAX_RULES ||
			    parse_cidr(v, is_allow ? &allow[*count] : &deny[*count]) < 0) {
				fprintf(stderr, "ymawky-serve: %s %s: %s\n", a, v,
					*count == MAX_RULES
						? "too many rules (64 of each at most)"
						: "not an address or prefix (A.B.C.D[/N], IPV6[/N])");
				ymk_config_free(cfg);
				return 2;
			}
			(*count)++;
		} else if (!strcmp(a, "--header-timeout"))
			err = parse_uint(v, &n) ? YMK_EINVAL : ymk_config_set_header_timeout(cfg, n);
		else if (!strcmp(a, "--read-timeout"))
			err = parse_uint(v, &n) ? YMK_EINVAL : ymk_config_set_read_timeout(cfg, n);
		else if (!strcmp(a, "--keepalive-timeout"))
			err = parse_uint(v, &n) ? YMK_EINVAL : ymk_config_set_keepalive_timeout(cfg, n);
		else if (!strcmp(a, "--max-body"))
			err = parse_uint(v, &n) ? YMK_EINVAL : ymk_config_set_max_body(cfg, n);
		else if (!strcmp(a, "--error-pages"))
			err = ymk_config_set_error_pages(cfg, v);
		else if (!strcmp(a, "--tls-cert"))
			tls_cert = v;
		else if (!strcmp(a, "--tls-key"))
			tls_key = v;
		else if (!strcmp(a, "--tls-min"))
			err = ymk_config_set_tls_min_version(cfg, !strcmp(v, "1.2")   ? YMK_TLS_1_2
								  : !strcmp(v, "1.3") ? YMK_TLS_1_3
										      : -1);
		else {
			fprintf(stderr, "ymawky-serve: unknown option %s\n", a);
			usage(stderr);
			ymk_config_free(cfg);
			return 2;
		}
		if (err) {
			fprintf(stderr, "ymawky-serve: %s %s: %s (%s)\n", a, v, ymk_strerror(err),
				ymk_config_error(cfg));
			ymk_config_free(cfg);
			return 2;
		}
	}
	if (!tls_cert != !tls_key) {
		fprintf(stderr, "ymawky-serve: --tls-cert and --tls-key go together\n");
		ymk_config_free(cfg);
		return 2;
	}
	if (tls_cert && (err = ymk_config_add_tls_cert_file(cfg, tls_cert, tls_key)) < 0) {
		fprintf(stderr, "ymawky-serve: %s (%s)\n", ymk_strerror(err), ymk_config_error(cfg));
		ymk_config_free(cfg);
		return 2;
	}
	const char *why = NULL;
	int activated = listen_fds(&why);
	if (activated < 0 || activated > 1 || (activated == 1 && listen_given)) {
		if (activated > 1)
			fprintf(stderr,
				"ymawky-serve: systemd passed %d sockets; ymawky-serve serves one "
				"(give the .socket unit a single ListenStream=)\n",
				activated);
		else if (activated == 1)
			fprintf(stderr, "ymawky-serve: --listen given, but systemd passed a socket: drop "
					"--listen and set the address in the .socket unit\n");
		else
			fprintf(stderr, "ymawky-serve: socket activation: %s\n", why);
		ymk_config_free(cfg);
		return 2;
	}
	if (activated == 1)
		ymk_config_set_listen_fd(cfg, LISTEN_FDS_START);
	ymk_config_set_root(cfg, root);
	ymk_config_set_methods(cfg, methods);
	ymk_config_set_log(cfg, log_line, NULL);
	if (n_allow || n_deny)
		ymk_config_set_accept_hook(cfg, filter, NULL);
	if (!quiet)
		ymk_config_set_access_log(cfg, access_line, NULL);

	err = ymk_server_new(&server, cfg);
	if (err) {
		fprintf(stderr, "ymawky-serve: %s (%s)\n", ymk_strerror(err), ymk_config_error(cfg));
		ymk_config_free(cfg);
		return 1;
	}
	ymk_config_free(cfg);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (tls_cert) {
		sa.sa_handler = on_hup;
		sigaction(SIGHUP, &sa, NULL);
	}

	fprintf(stderr, "ymawky-serve: serving %s on port %d%s%s\n", root, ymk_server_port(server),
		tls_cert ? " over TLS" : "", activated ? " (socket from systemd)" : "");
	err = ymk_server_run(server);
	ymk_server_free(server);
	if (err) {
		fprintf(stderr, "ymawky-serve: %s\n", ymk_strerror(err));
		return 1;
	}
	return 0;
}
