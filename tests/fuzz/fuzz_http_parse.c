/* fuzz_http_parse.c: libFuzzer target for ymk__http_parse(). Besides letting the sanitizers watch
 * every read, it checks the promises the event loop builds on, under the default limits and a few
 * small ones: a result's slices lie inside the consumed head, errors are only the documented
 * statuses, an accepted Host passes the host grammar on its own, and feeding the same bytes in
 * growing pieces never changes the verdict (AGAIN until the head is complete, then the same head;
 * once refused, always refused). Each prefix is parsed from its own exactly sized heap copy so
 * that AddressSanitizer sees a read past the prefix's end. */
#include "http_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Beyond this many bytes prefixes are taken with a growing stride to keep each run short. */
#define EVERY_PREFIX_UP_TO 1024

static const struct ymk__http_limits limit_sets[] = {
	{4096, 8192, 100},
	{64, 256, 8},
	{8, 24, 1},
};

static int slice_inside(const char *p, size_t n, const char *buf, size_t len)
{
	return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

static void check_result(int rc, const char *buf, size_t len, const struct ymk__http_limits *lim,
			 const struct ymk__http_request *req, size_t consumed)
{
	if (rc == YMK__HTTP_AGAIN)
		return;
	if (rc != 0) {
		if (rc != 400 && rc != 414 && rc != 431 && rc != 501 && rc != 505)
			abort();
		return;
	}
	if (consumed == 0 || consumed > len)
		abort();
	if (req->method_len == 0 || !slice_inside(req->method, req->method_len, buf, consumed))
		abort();
	if (req->target_len == 0 || !slice_inside(req->target, req->target_len, buf, consumed))
		abort();
	if (req->version_minor != 0 && req->version_minor != 1)
		abort();
	if (req->n_headers > lim->max_headers || req->n_headers > YMK__HTTP_MAX_HEADERS)
		abort();
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct ymk__http_header *h = &req->headers[i];

		if (h->name_len == 0 || !slice_inside(h->name, h->name_len, buf, consumed) ||
		    !slice_inside(h->value, h->value_len, buf, consumed))
			abort();
	}
	if (req->host != NULL && !slice_inside(req->host, req->host_len, buf, consumed))
		abort();
	if (req->version_minor == 1 && (req->host == NULL || req->host_len == 0))
		abort();
	/* An accepted Host is one the host grammar accepts, and its parts lie inside it. */
	if (req->host != NULL && req->host_len > 0) {
		struct ymk__host h;

		if (ymk__http_host_parse(req->host, req->host_len, &h) != 0 || h.name != req->host ||
		    h.name_len == 0 || h.name_len > req->host_len || h.port < -1 || h.port > 65535)
			abort();
	}
	if (req->content_length < -1 || (req->chunked && req->content_length != -1))
		abort();
	if (req->chunked && req->version_minor == 0)
		abort();
	/* The limits hold: the head (counted from the request line, after at most 8 skipped empty
	 * lines) and the request line ("method SP target SP HTTP/1.x") fit. */
	if ((size_t)(req->method - buf) > 2 * 8 || consumed - (size_t)(req->method - buf) > lim->max_header_bytes)
		abort();
	if ((size_t)(req->target + req->target_len - req->method) + 9 > lim->max_request_line)
		abort();
}

static int parse_copy(const uint8_t *data, size_t n, const struct ymk__http_limits *lim,
		      struct ymk__http_request *req, size_t *consumed)
{
	/* malloc(0) may return NULL; one byte keeps the pointer valid without being readable data. */
	char *copy = malloc(n > 0 ? n : 1);
	int rc;

	if (copy == NULL)
		abort();
	if (n > 0)
		memcpy(copy, data, n);
	rc = ymk__http_parse(copy, n, lim, req, consumed);
	check_result(rc, copy, n, lim, req, *consumed);
	free(copy);
	return rc;
}

static struct ymk__http_request req;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t l = 0; l < sizeof(limit_sets) / sizeof(limit_sets[0]); l++) {
		const struct ymk__http_limits *lim = &limit_sets[l];
		size_t consumed = 0, full_consumed = 0, seen_consumed = 0;
		int full = parse_copy(data, size, lim, &req, &full_consumed);
		int seen_error = 0, seen_ok = 0;

		for (size_t k = 0; k < size; k += k < EVERY_PREFIX_UP_TO ? 1 : 1 + k / 16) {
			int rc = parse_copy(data, k, lim, &req, &consumed);

			if (seen_error && rc < 400)
				abort();
			if (seen_ok && (rc != 0 || consumed != seen_consumed))
				abort();
			if (rc >= 400)
				seen_error = 1;
			if (rc == 0) {
				seen_ok = 1;
				seen_consumed = consumed;
			}
		}
		if (seen_error && full < 400)
			abort();
		if (seen_ok && (full != 0 || full_consumed != seen_consumed))
			abort();
		/* One byte short of a complete head must still wait for more. */
		if (full == 0 && parse_copy(data, full_consumed - 1, lim, &req, &consumed) != YMK__HTTP_AGAIN)
			abort();
	}
	return 0;
}
