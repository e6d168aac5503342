/* wake.h: the stop flag and the wake pipe every model polls. Async-signal-safe. */
#ifndef YMK_WAKE_H
#define YMK_WAKE_H

#include "internal.h"

/* Makes the models' wake fd readable; with stop, also asks the running model to return. Keeps
 * errno, so a signal handler may call it. */
void ymk__wake(ymk_server *srv, int stop);

#endif
