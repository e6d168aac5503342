/* server.c: the server handle's lifecycle: it validates and copies the settings, opens the root
 * and the listener, and hands the work to the configured process model. Nothing below calls back
 * into this file. */
#include "alloc.h"
#include "fcache.h"
#include "fs.h"
#include "handler.h"
#include "internal.h"
#include "listen.h"
#include "models.h"
#include "os.h"
#include "out.h"
#include "request.h"
#include "tls.h"
#include "wake.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int ymk_server_new(ymk_server **out, ymk_config *cfg)
{
	if (!out)
		return YMK_EINVAL;
	*out = NULL;
	if (!cfg)
		return YMK_EINVAL;
	/* The detail of a failure goes into the caller's config. */
	cfg->err[0] = '\0';

	if (!cfg->s.root && !cfg->s.handler && !cfg->s.bundle) {
		snprintf(cfg->err, sizeof cfg->err, "neither a root, a bundle nor a handler is set");
		return YMK_ENOROOT;
	}
	if (cfg->s.max_header_bytes < cfg->s.max_request_line + 4) {
		snprintf(cfg->err, sizeof cfg->err,
			 "max_header_bytes (%zu) must be at least max_request_line + 4 (%zu)",
			 cfg->s.max_header_bytes, cfg->s.max_request_line + 4);
		return YMK_EINVAL;
	}

	ymk_server *srv = ymk__calloc(1, sizeof *srv);
	if (!srv)
		return YMK_ENOMEM;
	ymk__sched_init(&srv->sched);
	srv->s = cfg->s;
	srv->s.root = NULL;
	srv->s.error_pages = NULL;
	srv->s.listen_fd = -1; /* the config's fd is adopted below, only on success */
	srv->s.tls = NULL;     /* the config's TLS settings become srv->tls below */
	srv->error_fd = srv->root_fd = srv->listen_fd = srv->wake_fd[0] = srv->wake_fd[1] = -1;
	int err = YMK_ENOMEM;

	if (cfg->s.root && !(srv->s.root = ymk__strdup(cfg->s.root)))
		goto fail;
	if (cfg->s.error_pages && !(srv->s.error_pages = ymk__strdup(cfg->s.error_pages)))
		goto fail;
	if (srv->s.root) {
		err = ymk__fs_open_root(srv->s.root);
		if (err < 0) {
			snprintf(cfg->err, sizeof cfg->err, "root \"%.200s\": %s", srv->s.root,
				 ymk_strerror(err));
			goto fail;
		}
		srv->root_fd = err;
	}
	if (srv->s.error_pages) {
		err = ymk__fs_open_root(srv->s.error_pages);
		if (err < 0) {
			snprintf(cfg->err, sizeof cfg->err, "error pages \"%.200s\": %s", srv->s.error_pages,
				 ymk_strerror(err));
			goto fail;
		}
		srv->error_fd = err;
	}
	if (cfg->s.tls) {
		if (cfg->s.tls->ncerts == 0) {
			snprintf(cfg->err, sizeof cfg->err,
				 "tls: TLS settings were given but no certificate");
			err = YMK_EINVAL;
			goto fail;
		}
		if ((err = ymk__tls_new(&srv->tls, cfg->s.tls, &srv->s, cfg->err, sizeof cfg->err)) < 0)
			goto fail;
	}
	if ((err = ymk__os_pipe(srv->wake_fd)) < 0)
		goto fail;
	if (cfg->s.listen_fd >= 0)
		err = ymk__listen_adopt(srv, cfg->s.listen_fd);
	else
		err = ymk__listen_open(srv, srv->s.model == YMK_MODEL_EVENT && srv->s.workers > 1);
	if (err < 0) {
		snprintf(cfg->err, sizeof cfg->err, "listen: %s", ymk_strerror(err));
		goto fail;
	}
	srv->listen_fd = err;
	srv->s.listen_fd = cfg->s.listen_fd; /* adopted: remembered so workers share it */
	srv->owns_socket_file = cfg->s.listen_fd < 0 && srv->s.listen_addr.ss_family == AF_UNIX;
	if (srv->s.model == YMK_MODEL_EVENT && (err = ymk__loop_new(srv)) < 0)
		goto fail;
	ymk__listen_busy_init(srv);
	ymk__chain_build(srv);
	ymk__static_allow_all(srv, srv->allow_all);
	srv->nonce = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	/* The pools' slot arrays now, so that giving a buffer back never allocates. */
	srv->pool_in = (struct ymk__pool){.cap = 64, .size = srv->s.max_header_bytes + 4096};
	srv->pool_out = (struct ymk__pool){.cap = 64, .size = YMK__OUT_STD};
	srv->pool_req = (struct ymk__pool){.cap = 64, .size = sizeof(struct ymk_request)};
	srv->pool_reqbuf = (struct ymk__pool){.cap = 64, .size = ymk__request_size(&srv->s)};
	err = YMK_ENOMEM;
	if (!(srv->pool_in.v = ymk__calloc(64, sizeof(void *))) ||
	    !(srv->pool_out.v = ymk__calloc(64, sizeof(void *))) ||
	    !(srv->pool_req.v = ymk__calloc(64, sizeof(void *))) ||
	    !(srv->pool_reqbuf.v = ymk__calloc(64, sizeof(void *))))
		goto fail;
	*out = srv;
	return 0;
fail:
	if (cfg->s.listen_fd >= 0 && srv->listen_fd == cfg->s.listen_fd)
		srv->listen_fd = -1; /* a handed-in fd stays the caller's when creation fails */
	ymk_server_free(srv);
	return err;
}

int ymk_server_run(ymk_server *srv)
{
	if (!srv)
		return YMK_EINVAL;
	int rc = srv->s.model == YMK_MODEL_FORK ? ymk__fork_run(srv)
	       : srv->s.workers > 1             ? ymk__workers_run(srv)
						: ymk__loop_run(srv);
	/* Consume the stop request so that a later run serves again. */
	char sink[64];
	while (read(srv->wake_fd[0], sink, sizeof sink) > 0) {
	}
	srv->stop_requested = 0;
	return rc;
}

void ymk_server_wake(ymk_server *srv)
{
	if (srv)
		ymk__wake(srv, 0);
}

void ymk_server_stop(ymk_server *srv)
{
	if (srv)
		ymk__wake(srv, 1);
}

int ymk_server_fd(const ymk_server *srv)
{
	return srv ? ymk__loop_fd(srv) : YMK_EINVAL;
}

int ymk_server_pollfds(const ymk_server *srv, struct pollfd *fds, size_t cap)
{
	if (!srv || (!fds && cap))
		return YMK_EINVAL;
	return ymk__loop_pollfds(srv, fds, cap);
}

int ymk_server_timeout(const ymk_server *srv)
{
	return srv ? ymk__loop_timeout(srv) : YMK_EINVAL;
}

int ymk_server_process(ymk_server *srv)
{
	return srv ? ymk__loop_process(srv, 0) : YMK_EINVAL;
}

int ymk_server_tls_reload(ymk_server *srv)
{
	if (!srv)
		return YMK_EINVAL;
	if (!srv->tls)
		return YMK_ESTATE;
	ymk__tls_request_reload(srv->tls);
	return 0;
}

int ymk_server_port(const ymk_server *srv)
{
	return srv ? srv->port : YMK_EINVAL;
}

void ymk_server_free(ymk_server *srv)
{
	if (!srv)
		return;
	ymk__loop_free(srv);
	ymk__tls_free(srv->tls);      /* after the connections, which hold its contexts */
	ymk__sched_free(&srv->sched); /* after the loop: closing requests may still set timers */
	ymk__fcache_free(srv);
	ymk__pool_free(&srv->pool_in);
	ymk__pool_free(&srv->pool_out);
	ymk__pool_free(&srv->pool_req);
	ymk__pool_free(&srv->pool_reqbuf);
	if (srv->listen_fd >= 0) {
		close(srv->listen_fd);
		/* The socket file this server created goes with it. */
		if (srv->owns_socket_file)
			(void)unlink(((struct sockaddr_un *)&srv->s.listen_addr)->sun_path);
	}
	if (srv->root_fd >= 0)
		close(srv->root_fd);
	if (srv->error_fd >= 0)
		close(srv->error_fd);
	if (srv->wake_fd[0] >= 0)
		close(srv->wake_fd[0]);
	if (srv->wake_fd[1] >= 0)
		close(srv->wake_fd[1]);
	ymk__free(srv->s.root);
	ymk__free(srv->s.error_pages);
	ymk__free(srv);
}
