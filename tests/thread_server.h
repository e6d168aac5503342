/* thread_server.h: the scaffolding of tests that run a server in a thread of the test process:
 * ymk_server_run() in a thread, and a monotonic clock for deadlines. Shared by the unit and
 * integration tests that need it; static functions only. */
#ifndef YMK_TEST_THREAD_SERVER_H
#define YMK_TEST_THREAD_SERVER_H

#include "ymawky.h"

#include <pthread.h>
#include <time.h>

struct runner {
	ymk_server *srv;
	int rc; /* what ymk_server_run() returned */
	pthread_t t;
};

static inline void *run_thread(void *arg)
{
	struct runner *r = arg;
	r->rc = ymk_server_run(r->srv);
	return NULL;
}

static inline long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
