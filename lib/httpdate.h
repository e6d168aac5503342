/* httpdate.h: HTTP dates as the answers carry them (IMF-fixdate), and a small cache of them.
 *
 * Formatting is pure; the cache only remembers the last second it formatted, so that the Date and
 * Last-Modified of most answers cost a comparison. Parsing dates lives in cond.h. */
#ifndef YMK_HTTPDATE_H
#define YMK_HTTPDATE_H

#include <time.h>

/* Writes t as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", 29 bytes + NUL) without locale;
 * a time outside years 0..9999 is written as the epoch. */
void ymk__http_date(time_t t, char out[32]);

/* The last Date and the last Last-Modified formatted, per process. */
struct ymk__datecache {
	time_t date_sec;
	char date[32];
	time_t lastmod_sec;
	char lastmod[32];
};

/* The current time as a Date value; valid until the next call on dc. */
const char *ymk__date_now(struct ymk__datecache *dc);

/* t as an IMF-fixdate; valid until the next ymk__date_lastmod() on dc. */
const char *ymk__date_lastmod(struct ymk__datecache *dc, time_t t);

#endif
