/* log_escape.c: makes request bytes safe to write into a log line. A request-target reaches the
 * access log as the client sent it, and a log is read by programs that split fields on quotes and
 * by terminals that act on control sequences (0x9B is a one-byte CSI in 8-bit terminals), so the
 * escaped form holds printable ASCII only, in the convention nginx and lighttpd logs use:
 * "\xHH" for every byte outside 0x20..0x7E, a backslash before '"' and '\'. Output that does not
 * fit is cut between two escapes, never inside one, so a cut line never ends in a lone backslash
 * that would swallow the quote a log format puts after it. Pure: no allocation, no state. */
#include "ymawky.h"

#include <stdint.h>
#include <string.h>

size_t ymk_log_escape(char *out, size_t cap, const char *in, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t need = 0, o = 0;
	int full = 0;

	if (out == NULL)
		cap = 0;
	if (in == NULL)
		len = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		char seq[4];
		size_t n;

		if (c == '"' || c == '\\') {
			seq[0] = '\\';
			seq[1] = (char)c;
			n = 2;
		} else if (c >= 0x20 && c < 0x7f) {
			seq[0] = (char)c;
			n = 1;
		} else {
			seq[0] = '\\';
			seq[1] = 'x';
			seq[2] = hex[c >> 4];
			seq[3] = hex[c & 15];
			n = 4;
		}
		/* One byte of cap is always kept for the NUL. */
		if (!full && n < cap - o) {
			memcpy(out + o, seq, n);
			o += n;
		} else {
			full = 1;
		}
		need = need > SIZE_MAX - n ? SIZE_MAX : need + n;
	}
	if (cap > 0)
		out[o] = '\0';
	return need;
}
