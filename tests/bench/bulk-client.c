/* bulk-client: the benchmark's client for large answers, where wrk's small reads are the limit.
 *
 *   bulk-client [-c CONNS] [-d SECONDS] [-l BYTES] [-s STATUS] [-H 'Name: value']... URL
 *
 * URL is http://A.B.C.D:PORT/PATH. Keeps CONNS (default 4) keep-alive connections, each with one
 * GET in flight, for SECONDS (default 5), in one thread and one level-triggered epoll loop; every
 * answer is read with recv() into one 256 KiB buffer and thrown away. Every answer's status must
 * be STATUS (default 200) and its Content-Length must be BYTES (default: whatever the first answer
 * says); the body must end exactly where its Content-Length says, before the next request is sent.
 * Any mismatch, a connection closed by the server, or an answer that does not parse is reported on
 * stderr and the exit status is 1: a wrong answer must never pass as a fast one.
 *
 * Prints one line of key=value pairs on stdout:
 *   requests   answers completed in the interval     seconds  the interval's length
 *   rps        requests / seconds                    MBps     bytes received / seconds / 2^20
 *   p50_ms p90_ms p99_ms max_ms   latency percentiles: GET sent to last body byte received
 *   client_cpu_us                 this program's user + system CPU per request
 * Build: cc -O2 -o bulk-client bulk-client.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ (256 * 1024)
#define HEADCAP 8192
#define MAXCONNS 4096

struct conn {
	int fd;
	int in_head;		/* reading the head (else the body) */
	char head[HEADCAP + 1];
	size_t head_len;
	uint64_t body_left;
	uint64_t t_sent;	/* ns */
	unsigned long served;
};

static char request[4096];
static size_t request_len;
static long want_status = 200;
static long long want_len = -1;
static uint32_t *lat_us;	/* latencies of completed answers */
static size_t nlat, lat_cap;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int i, const struct conn *c)
{
	fprintf(stderr, "bulk-client: connection %d, answer %lu: %s\n", i, c ? c->served + 1 : 0, what);
	exit(1);
}

static void send_request(int i, struct conn *c)
{
	size_t off = 0;
	c->t_sent = now_ns();
	while (off < request_len) { /* a few hundred bytes into an empty socket: never blocks long */
		ssize_t w = send(c->fd, request + off, request_len - off, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			die(strerror(errno), i, c);
		off += (size_t)w;
	}
	c->in_head = 1;
	c->head_len = 0;
}

/* Parses a complete head (NUL-terminated in c->head). Sets body_left; exits on a mismatch. */
static void parse_head(int i, struct conn *c)
{
	char msg[256];
	long status = 0;
	if (strncmp(c->head, "HTTP/1.1 ", 9) || (status = strtol(c->head + 9, NULL, 10)) < 100)
		die("no HTTP/1.1 status line", i, c);
	if (status != want_status) {
		snprintf(msg, sizeof msg, "status %ld, want %ld", status, want_status);
		die(msg, i, c);
	}
	long long len = -1;
	for (char *p = strstr(c->head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
		if (!strncasecmp(p + 2, "content-length:", 15)) {
			char *end;
			len = strtoll(p + 17, &end, 10);
			if (end == p + 17 || len < 0)
				die("bad Content-Length", i, c);
		}
		if (!strncasecmp(p + 2, "transfer-encoding:", 18))
			die("Transfer-Encoding: this client reads Content-Length bodies only", i, c);
	}
	if (len < 0)
		die("no Content-Length", i, c);
	if (want_len < 0)
		want_len = len;
	if (len != want_len) {
		snprintf(msg, sizeof msg, "Content-Length %lld, want %lld", len, want_len);
		die(msg, i, c);
	}
	c->body_left = (uint64_t)len;
	c->in_head = 0;
}

static void record(uint64_t ns)
{
	if (nlat == lat_cap) {
		lat_cap = lat_cap ? 2 * lat_cap : 65536;
		lat_us = realloc(lat_us, lat_cap * sizeof *lat_us);
		if (!lat_us) {
			perror("bulk-client");
			exit(1);
		}
	}
	uint64_t us = ns / 1000;
	lat_us[nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* Consumes received bytes. Returns 1 when an answer completed (then n must be used up). */
static int consume(int i, struct conn *c, const char *p, size_t n, uint64_t t, int counting,
		   unsigned long *done)
{
	while (n) {
		if (c->in_head) {
			/* Copy byte-wise up to the end of the head; the rest is body. */
			size_t k = 0;
			while (k < n && c->in_head) {
				if (c->head_len == HEADCAP)
					die("head longer than 8 KiB", i, c);
				c->head[c->head_len++] = p[k++];
				if (c->head_len >= 4 && !memcmp(c->head + c->head_len - 4, "\r\n\r\n", 4)) {
					c->head[c->head_len] = '\0';
					parse_head(i, c);
				}
			}
			p += k;
			n -= k;
			if (c->in_head)
				return 0;
		}
		size_t b = n < c->body_left ? n : (size_t)c->body_left;
		c->body_left -= b;
		p += b;
		n -= b;
		if (c->body_left == 0) {
			if (n)
				die("bytes after the end of the body (Content-Length too short?)", i, c);
			c->served++;
			if (counting) {
				record(t - c->t_sent);
				(*done)++;
			}
			return 1;
		}
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(double q)
{
	if (!nlat)
		return 0;
	size_t k = (size_t)(q * (double)(nlat - 1) + 0.5);
	return lat_us[k] / 1000.0;
}

static void usage(void)
{
	fprintf(stderr, "usage: bulk-client [-c CONNS] [-d SECONDS] [-l BYTES] [-s STATUS] [-H 'Name: value']... "
			"http://A.B.C.D:PORT/PATH\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int nconn = 4, opt;
	double secs = 5;
	char extra[2048] = "";
	size_t extra_len = 0;
	while ((opt = getopt(argc, argv, "c:d:l:s:H:")) != -1) {
		switch (opt) {
		case 'c': nconn = atoi(optarg); break;
		case 'd': secs = atof(optarg); break;
		case 'l': want_len = atoll(optarg); break;
		case 's': want_status = atol(optarg); break;
		case 'H': {
			int w = snprintf(extra + extra_len, sizeof extra - extra_len, "%s\r\n", optarg);
			if (w < 0 || (size_t)w >= sizeof extra - extra_len)
				usage();
			extra_len += (size_t)w;
			break;
		}
		default: usage();
		}
	}
	if (optind + 1 != argc || nconn < 1 || nconn > MAXCONNS || secs <= 0)
		usage();
	/* http://A.B.C.D:PORT/PATH */
	const char *url = argv[optind];
	char host[64];
	int port;
	int off = 0;
	if (sscanf(url, "http://%63[0-9.]:%d%n", host, &port, &off) != 2 || url[off] != '/')
		usage();
	const char *path = url + off;
	int w = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s:%d\r\n%s\r\n", path, host, port, extra);
	if (w < 0 || (size_t)w >= sizeof request)
		usage();
	request_len = (size_t)w;

	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		usage();
	int ep = epoll_create1(0);
	struct conn *conns = calloc((size_t)nconn, sizeof *conns);
	char *buf = malloc(BUFSZ);
	if (ep < 0 || !conns || !buf) {
		perror("bulk-client");
		return 1;
	}
	for (int i = 0; i < nconn; i++) {
		struct conn *c = &conns[i];
		int one = 1;
		c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
			perror("bulk-client: connect");
			return 1;
		}
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e);
	}

	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	uint64_t t0 = now_ns(), t_end = t0 + (uint64_t)(secs * 1e9), t = t0;
	unsigned long done = 0;
	uint64_t bytes = 0;
	for (int i = 0; i < nconn; i++)
		send_request(i, &conns[i]);
	struct epoll_event evs[256];
	while (t < t_end) {
		int n = epoll_wait(ep, evs, 256, 100);
		if (n < 0 && errno != EINTR) {
			perror("bulk-client: epoll_wait");
			return 1;
		}
		for (int k = 0; k < n; k++) {
			int i = (int)evs[k].data.u32;
			struct conn *c = &conns[i];
			for (;;) {
				ssize_t r = recv(c->fd, buf, BUFSZ, MSG_DONTWAIT);
				if (r < 0 && errno == EINTR)
					continue;
				if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
					break;
				if (r < 0)
					die(strerror(errno), i, c);
				if (r == 0)
					die("connection closed by the server", i, c);
				t = now_ns();
				if (t < t_end)
					bytes += (uint64_t)r;
				if (consume(i, c, buf, (size_t)r, t, t < t_end, &done)) {
					if (t < t_end)
						send_request(i, c);
					break;
				}
				if (r < BUFSZ) /* a short read: the socket is (almost surely) drained */
					break;
			}
		}
		t = now_ns();
	}
	getrusage(RUSAGE_SELF, &ru1);
	double el = (double)(t_end - t0) / 1e9;
	double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1e6 +
		     (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
	qsort(lat_us, nlat, sizeof *lat_us, cmp_u32);
	printf("requests=%lu seconds=%.3f rps=%.1f MBps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
	       "client_cpu_us=%.1f\n",
	       done, el, (double)done / el, (double)bytes / el / 1048576.0, pct(0.50), pct(0.90), pct(0.99),
	       nlat ? lat_us[nlat - 1] / 1000.0 : 0.0, done ? cpu / (double)done : 0.0);
	return 0;
}
