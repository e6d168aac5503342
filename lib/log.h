/* log.h: diagnostics through the embedder's log callback. */
#ifndef YMK_LOG_H
#define YMK_LOG_H

#include "ymawky.h"

struct ymk__settings;

/* Formats one line (printf-like, truncated to 511 bytes) and hands it to the settings' log
 * callback, if any. Nothing is written anywhere else. */
void ymk__log(const struct ymk__settings *s, enum ymk_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
