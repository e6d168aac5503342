/* log.c: diagnostics go to the embedder's callback and nowhere else (see log.h). */
#include "log.h"

#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

void ymk__log(const struct ymk__settings *s, enum ymk_log_level level, const char *fmt, ...)
{
	if (!s->log)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	s->log(level, msg, s->log_user);
}
