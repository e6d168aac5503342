/* Raw sendfile reference for the benchmark's large-file cases: the limit of loopback for a file.
 * One edge-triggered epoll loop, keep-alive. A GET of /NAME (NAME a regular file directly in the
 * root) is answered with a fixed head, sent with MSG_MORE, and the whole file by sendfile(); the
 * open descriptor and the head are kept per name, so a request costs recv + send + sendfile. No
 * other parsing, no validators, no ranges: anything else gets a fixed 404. A connection waits for
 * EPOLLOUT only while its socket is full.
 * Same command line as ymawky-serve: --root DIR --listen A.B.C.D:PORT (other arguments are
 * ignored).  Build: cc -O2 -o sendfile-ref sendfile-ref.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXFILES 16
#define INCAP 4096

static struct file {
	char name[256];
	int fd;
	off_t size;
	char head[160];
	size_t head_len;
} files[MAXFILES];
static int nfiles, root_fd;

static const char not_found[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";

struct conn {
	int fd;
	char in[INCAP];
	size_t in_len;
	const char *head; /* the answer being sent: head bytes, then the file's [off, end) */
	size_t head_len, head_off;
	int file_fd;
	off_t off, end;
	int want_out;
};

static struct file *file_for(const char *name, size_t len)
{
	for (int i = 0; i < nfiles; i++)
		if (strlen(files[i].name) == len && !memcmp(files[i].name, name, len))
			return &files[i];
	if (nfiles == MAXFILES || len == 0 || len >= sizeof files[0].name || memchr(name, '/', len))
		return NULL;
	struct file *f = &files[nfiles];
	memcpy(f->name, name, len);
	f->name[len] = '\0';
	struct stat st;
	f->fd = openat(root_fd, f->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (f->fd < 0 || fstat(f->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (f->fd >= 0)
			close(f->fd);
		return NULL;
	}
	f->size = st.st_size;
	f->head_len = (size_t)snprintf(f->head, sizeof f->head,
				       "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
				       "Content-Length: %lld\r\n\r\n",
				       (long long)st.st_size);
	nfiles++;
	return f;
}

/* Takes the next request head out of in[]; 1 when an answer was set up, 0 when more is needed,
 * -1 on a request this program cannot answer at all (no head within INCAP bytes). */
static int next_request(struct conn *c)
{
	char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
	if (!end)
		return c->in_len == INCAP ? -1 : 0;
	size_t used = (size_t)(end + 4 - c->in);
	struct file *f = NULL;
	if (c->in_len > 5 && !memcmp(c->in, "GET /", 5)) {
		char *sp = memchr(c->in + 5, ' ', used - 5);
		if (sp)
			f = file_for(c->in + 5, (size_t)(sp - (c->in + 5)));
	}
	if (f) {
		c->head = f->head;
		c->head_len = f->head_len;
		c->file_fd = f->fd;
		c->off = 0;
		c->end = f->size;
	} else {
		c->head = not_found;
		c->head_len = sizeof not_found - 1;
		c->file_fd = -1;
		c->off = c->end = 0;
	}
	c->head_off = 0;
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
	return 1;
}

/* Sends the current answer. 1: done, 0: socket full, -1: failed. */
static int send_answer(struct conn *c)
{
	while (c->head_off < c->head_len) {
		ssize_t w = send(c->fd, c->head + c->head_off, c->head_len - c->head_off,
				 MSG_NOSIGNAL | (c->off < c->end ? MSG_MORE : 0));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w <= 0)
			return -1;
		c->head_off += (size_t)w;
	}
	while (c->off < c->end) {
		ssize_t w = sendfile(c->fd, c->file_fd, &c->off, (size_t)(c->end - c->off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w <= 0)
			return -1;
	}
	c->head = NULL;
	return 1;
}

/* Works until the socket blocks. 0: keep the connection, -1: close it. */
static int step(int ep, struct conn *c)
{
	for (;;) {
		if (c->head) {
			int r = send_answer(c);
			if (r < 0)
				return -1;
			if (r == 0)
				break;
			continue;
		}
		int r = next_request(c);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		ssize_t n = recv(c->fd, c->in + c->in_len, INCAP - c->in_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -1;
		c->in_len += (size_t)n;
	}
	int want_out = c->head != NULL;
	if (want_out != c->want_out) {
		struct epoll_event e = {.events = (want_out ? EPOLLOUT : EPOLLIN) | EPOLLET, .data.ptr = c};
		if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e) < 0)
			return -1;
		c->want_out = want_out;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int port = 8080, one = 1;
	const char *root = ".";
	for (int i = 1; i + 1 < argc; i++) {
		if (!strcmp(argv[i], "--listen") && strrchr(argv[i + 1], ':'))
			port = atoi(strrchr(argv[i + 1], ':') + 1);
		else if (!strcmp(argv[i], "--root"))
			root = argv[i + 1];
	}
	root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		perror(root);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (void *)&a, sizeof a) || listen(ls, 4096)) {
		perror("bind");
		return 1;
	}
	int ep = epoll_create1(0);
	static char tag_listen;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &tag_listen};
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	struct epoll_event evs[256];
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &tag_listen) {
				int fd;
				while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					struct conn *c = calloc(1, sizeof *c);
					if (!c) {
						close(fd);
						continue;
					}
					c->fd = fd;
					c->file_fd = -1;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					struct epoll_event e = {.events = EPOLLIN | EPOLLET, .data.ptr = c};
					if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0 || step(ep, c) < 0) {
						close(fd);
						free(c);
					}
				}
				continue;
			}
			struct conn *c = evs[i].data.ptr;
			if (step(ep, c) < 0) {
				close(c->fd);
				free(c);
			}
		}
	}
}
