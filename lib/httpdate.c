/* httpdate.c: IMF-fixdate formatting and the per-process date cache (see httpdate.h). */
#include "httpdate.h"

#include <string.h>

void ymk__http_date(time_t t, char out[32])
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		memcpy(out, "Thu, 01 Jan 1970 00:00:00 GMT", 30);
		return;
	}
	int y = tm.tm_year + 1900;
	char *p = out;
	memcpy(p, days[tm.tm_wday], 3), p += 3;
	*p++ = ',', *p++ = ' ';
	*p++ = (char)('0' + tm.tm_mday / 10), *p++ = (char)('0' + tm.tm_mday % 10), *p++ = ' ';
	memcpy(p, months[tm.tm_mon], 3), p += 3;
	*p++ = ' ';
	*p++ = (char)('0' + y / 1000), *p++ = (char)('0' + y / 100 % 10);
	*p++ = (char)('0' + y / 10 % 10), *p++ = (char)('0' + y % 10), *p++ = ' ';
	*p++ = (char)('0' + tm.tm_hour / 10), *p++ = (char)('0' + tm.tm_hour % 10), *p++ = ':';
	*p++ = (char)('0' + tm.tm_min / 10), *p++ = (char)('0' + tm.tm_min % 10), *p++ = ':';
	*p++ = (char)('0' + tm.tm_sec / 10), *p++ = (char)('0' + tm.tm_sec % 10);
	memcpy(p, " GMT", 5);
}

const char *ymk__date_now(struct ymk__datecache *dc)
{
	time_t now = time(NULL);
	if (now != dc->date_sec || !dc->date[0]) {
		dc->date_sec = now;
		ymk__http_date(now, dc->date);
	}
	return dc->date;
}

const char *ymk__date_lastmod(struct ymk__datecache *dc, time_t t)
{
	if (t != dc->lastmod_sec || !dc->lastmod[0]) {
		dc->lastmod_sec = t;
		ymk__http_date(t, dc->lastmod);
	}
	return dc->lastmod;
}
