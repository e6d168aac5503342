/* fuzz_cond.c: libFuzzer target for cond.c. The first byte holds flags (bit 0: the representation
 * exists, bit 1: GET/HEAD, bits 2-7: If-Match, If-None-Match, If-Modified-Since,
 * If-Unmodified-Since, If-Range and Accept-Encoding present); the rest is split at '\n' into the
 * representation's Last-Modified date, its entity-tag, then those six header values in that order.
 * Each part is copied to a heap block of exactly its size so ASan catches any over-read. Beyond
 * "no crash" it checks what callers rely on: evaluation answers only 0, 304 or 412, never 304 to
 * a method that is not GET/HEAD, and agrees with a direct reading of RFC 9110 when only one date
 * header is present; If-Range applies only on an exact match; Accept-Encoding weights stay within
 * 0..1000 and agree with the bits; and every date that parses is in 1970..9999 and survives being
 * formatted back to an IMF-fixdate and parsed again (byte for byte, weekday aside, for an input
 * that was an IMF-fixdate). */
#include "cond.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { P_MTIME, P_ETAG, P_IM, P_INM, P_IMS, P_IUS, P_IF_RANGE, P_AE, N_PARTS };

/* Formats t as an IMF-fixdate (29 bytes plus NUL) with the civil-from-days inverse of the
 * library's arithmetic, written independently here so the two can disagree. */
static void format_imf(time_t t, char out[30])
{
	static const char *const wd[7] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
	static const char *const mon[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int64_t secs = (int64_t)t, days = secs / 86400, rem = secs % 86400;
	int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);

	snprintf(out, 30, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[days % 7], (int)d,
		 mon[m - 1], (int)y, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

static void check_date(const char *s, size_t len)
{
	char buf[30];
	time_t t, again;

	if (ymk__http_date_parse(s, len, &t) != 0)
		return;
	if (t < 0 || (int64_t)t > 253402300799LL)
		abort();
	format_imf(t, buf);
	if (ymk__http_date_parse(buf, 29, &again) != 0 || again != t)
		abort();
	if (len == 29 && s[3] == ',' && memcmp(buf + 3, s + 3, 26) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *part[N_PARTS] = {NULL};
	size_t len[N_PARTS] = {0};
	struct ymk__preconditions pc;
	struct ymk__validators v;
	unsigned flags, bits, bits2, qg = 9999, qb = 9999;
	size_t i, k, start;
	time_t date;
	int rc, get, only_ims, only_ius;

	if (size < 1)
		return 0;
	flags = data[0];
	for (i = 1, k = 0, start = 1; i <= size && k < N_PARTS; i++) {
		if (i < size && data[i] != '\n')
			continue;
		len[k] = i - start;
		part[k] = malloc(len[k] ? len[k] : 1);
		if (part[k] == NULL)
			goto out;
		memcpy(part[k], data + start, len[k]);
		k++;
		start = i + 1;
	}
	for (i = 0; i < N_PARTS; i++)
		if (part[i] != NULL)
			check_date(part[i], len[i]);

	v.exists = flags & 1u;
	get = (flags >> 1) & 1u;
	v.etag = part[P_ETAG];
	v.etag_len = len[P_ETAG];
	v.mtime = (time_t)784111777;
	if (part[P_MTIME] != NULL && ymk__http_date_parse(part[P_MTIME], len[P_MTIME], &date) == 0)
		v.mtime = date;

#define HEADER(p, bit) ((flags & (1u << (bit))) ? part[p] : NULL)
	pc.if_match = HEADER(P_IM, 2);
	pc.if_match_len = len[P_IM];
	pc.if_none_match = HEADER(P_INM, 3);
	pc.if_none_match_len = len[P_INM];
	pc.if_modified_since = HEADER(P_IMS, 4);
	pc.if_modified_since_len = len[P_IMS];
	pc.if_unmodified_since = HEADER(P_IUS, 5);
	pc.if_unmodified_since_len = len[P_IUS];

	rc = ymk__preconditions_eval(&pc, &v, get);
	if (rc != 0 && rc != 304 && rc != 412)
		abort();
	if (rc == 304 && !get)
		abort();
	if (pc.if_match != NULL && !v.exists && rc != 412)
		abort();
	if (!pc.if_match && !pc.if_none_match && !pc.if_modified_since && !pc.if_unmodified_since &&
	    rc != 0)
		abort();
	only_ims = !pc.if_match && !pc.if_none_match && pc.if_modified_since &&
		   !pc.if_unmodified_since;
	if (only_ims) {
		int want = get && v.exists &&
					   ymk__http_date_parse(pc.if_modified_since,
								pc.if_modified_since_len,
								&date) == 0 &&
					   v.mtime <= date ?
				   304 :
				   0;
		if (rc != want)
			abort();
	}
	only_ius = !pc.if_match && !pc.if_none_match && !pc.if_modified_since &&
		   pc.if_unmodified_since;
	if (only_ius) {
		int want = v.exists &&
					   ymk__http_date_parse(pc.if_unmodified_since,
								pc.if_unmodified_since_len,
								&date) == 0 &&
					   v.mtime > date ?
				   412 :
				   0;
		if (rc != want)
			abort();
	}

	if (HEADER(P_IF_RANGE, 6) != NULL) {
		const char *ir = part[P_IF_RANGE];
		size_t n = len[P_IF_RANGE];

		rc = ymk__if_range_applies(ir, n, &v);
		if (rc != 0 && rc != 1)
			abort();
		if (rc == 1 && !v.exists)
			abort();
		if (rc == 1 && n > 0 && ir[0] == '"' &&
		    (v.etag == NULL || v.etag_len != n || memcmp(v.etag, ir, n) != 0))
			abort();
		if (rc == 1 && (n == 0 || ir[0] != '"') &&
		    (ymk__http_date_parse(ir, n, &date) != 0 || date != v.mtime))
			abort();
	}

	bits = ymk__accept_encoding(HEADER(P_AE, 7), len[P_AE], &qg, &qb);
	if (qg > 1000 || qb > 1000 || (bits & ~(YMK__CODING_GZIP | YMK__CODING_BR)) != 0)
		abort();
	if (!(bits & YMK__CODING_GZIP) != (qg == 0) || !(bits & YMK__CODING_BR) != (qb == 0))
		abort();
	if (HEADER(P_AE, 7) == NULL && bits != 0)
		abort();
	bits2 = ymk__accept_encoding(HEADER(P_AE, 7), len[P_AE], NULL, NULL);
	if (bits2 != bits)
		abort();
out:
	for (i = 0; i < N_PARTS; i++)
		free(part[i]);
	return 0;
}
