/* chunked.c: decodes the chunked transfer coding (RFC 9112 7.1) one byte of framing at a time, so
 * that the result never depends on how the input was split across reads: every decision is made
 * on the byte in hand plus the state, never by looking ahead, and the only bulk step (copying chunk
 * data) stops exactly where the chunk or the output space ends. The grammar is checked strictly,
 * extensions and trailer fields included, although both are thrown away: a body that two parsers
 * could frame differently is how request smuggling starts, so anything outside the grammar is an
 * error rather than a guess. Every line ends in CRLF: RFC 9112 2.2 lets a recipient take a bare LF
 * for the end of the start line and the header fields, but says nothing of that kind for chunked
 * framing, and a proxy that reads "3\nabc\n" one way while we read it another is a smuggling
 * channel. The one leniency is the grammar's own: whitespace may come before a ';' (the BWS of
 * the chunk-ext rule) but never ends a size line. A chunk whose size alone takes the body past
 * its limit is refused on the digit that crosses it, so a client cannot make the server wait for
 * data it would refuse anyway. Errors are sticky, and a finished body stays finished, so a
 * confused caller cannot restart the machine in the middle of a stream. */
#include "chunked.h"

#include <string.h>

enum {
	ST_SIZE_FIRST,    /* start of a chunk line: 1*HEXDIG must follow */
	ST_SIZE,          /* inside chunk-size */
	ST_WS_SEMI,       /* after BWS that may only lead to ';' */
	ST_EXT_NAME_PRE,  /* after ';': BWS then the first byte of chunk-ext-name */
	ST_EXT_NAME,      /* inside chunk-ext-name */
	ST_EXT_NAME_WS,   /* BWS after a name: '=' or ';' next */
	ST_EXT_VAL_PRE,   /* after '=': BWS then a token or a quoted-string */
	ST_EXT_VAL,       /* inside a token value */
	ST_EXT_QUOTED,    /* inside a quoted-string value */
	ST_EXT_ESCAPE,    /* after a backslash in a quoted-string */
	ST_EXT_QUOTE_END, /* right after the closing quote */
	ST_LINE_LF,       /* CR seen at the end of a chunk line: LF must follow */
	ST_DATA,          /* copying chunk data */
	ST_DATA_END,      /* after chunk data: CRLF must follow */
	ST_DATA_LF,       /* CR seen after chunk data: LF must follow */
	ST_TRAILER_FIRST, /* start of a trailer line, or the empty line that ends the body */
	ST_TRAILER_NAME,  /* inside a trailer field-name */
	ST_TRAILER_VALUE, /* after the colon of a trailer field */
	ST_TRAILER_LF,    /* CR seen at the end of a trailer line: LF must follow */
	ST_END_LF,        /* CR seen on the final empty line: LF must follow */
	ST_DONE,
	ST_ERROR,
	ST_TOO_LARGE, /* a chunk size took the body past the limit */
};

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* tchar (RFC 9110 5.6.2). */
static int is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* qdtext (RFC 9110 5.6.4): HTAB, SP, VCHAR except '"' and '\', obs-text. */
static int is_qdtext(unsigned char c)
{
	return c == '\t' || c == ' ' || (c >= 0x21 && c != '"' && c != '\\' && c != 0x7f);
}

/* What a quoted-pair may escape, and what a field value may hold: HTAB, SP, VCHAR, obs-text. */
static int is_text(unsigned char c)
{
	return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f);
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void ymk__chunked_init(struct ymk__chunked *d, uint64_t limit)
{
	d->state = ST_SIZE_FIRST;
	d->remaining = 0;
	d->total = 0;
	d->limit = limit;
	d->line_len = 0;
	d->trailer_bytes = 0;
}

/* The chunk line (size and extensions) ended: on to the data, or to the trailer after the last
 * chunk. */
static int after_chunk_line(const struct ymk__chunked *d)
{
	return d->remaining == 0 ? ST_TRAILER_FIRST : ST_DATA;
}

/* One byte of a chunk line: size, extensions or the line end. Returns the next state. Every byte
 * before the line end counts towards YMK__CHUNKED_LINE_MAX. */
static int step_chunk_line(struct ymk__chunked *d, unsigned char c)
{
	int st = d->state;
	int h;

	if (c == '\r' || c == '\n') {
		/* A line ends, with CRLF, only after a size digit, a name, a token value or a closing
		 * quote. */
		if (c == '\n' ||
		    (st != ST_SIZE && st != ST_EXT_NAME && st != ST_EXT_VAL && st != ST_EXT_QUOTE_END))
			return ST_ERROR;
		d->line_len = 0;
		return ST_LINE_LF;
	}
	if (++d->line_len > YMK__CHUNKED_LINE_MAX)
		return ST_ERROR;

	switch (st) {
	case ST_SIZE_FIRST:
	case ST_SIZE:
		h = hex_value(c);
		if (h >= 0) {
			/* A 17th significant digit would not fit; leading zeros are free. */
			if (d->remaining > (UINT64_MAX >> 4))
				return ST_ERROR;
			d->remaining = (d->remaining << 4) | (uint64_t)h;
			/* More digits only make the size larger: past the room left, it is refused now.
			 * total <= limit holds, since every earlier chunk fitted. */
			if (d->remaining > d->limit - d->total)
				return ST_TOO_LARGE;
			return ST_SIZE;
		}
		if (st == ST_SIZE_FIRST)
			return ST_ERROR;
		if (is_ws(c))
			return ST_WS_SEMI;
		return c == ';' ? ST_EXT_NAME_PRE : ST_ERROR;
	case ST_WS_SEMI:
		if (is_ws(c))
			return ST_WS_SEMI;
		return c == ';' ? ST_EXT_NAME_PRE : ST_ERROR;
	case ST_EXT_NAME_PRE:
		if (is_ws(c))
			return ST_EXT_NAME_PRE;
		return is_tchar(c) ? ST_EXT_NAME : ST_ERROR;
	case ST_EXT_NAME:
		if (is_tchar(c))
			return ST_EXT_NAME;
		if (is_ws(c))
			return ST_EXT_NAME_WS;
		if (c == '=')
			return ST_EXT_VAL_PRE;
		return c == ';' ? ST_EXT_NAME_PRE : ST_ERROR;
	case ST_EXT_NAME_WS:
		if (is_ws(c))
			return ST_EXT_NAME_WS;
		if (c == '=')
			return ST_EXT_VAL_PRE;
		return c == ';' ? ST_EXT_NAME_PRE : ST_ERROR;
	case ST_EXT_VAL_PRE:
		if (is_ws(c))
			return ST_EXT_VAL_PRE;
		if (c == '"')
			return ST_EXT_QUOTED;
		return is_tchar(c) ? ST_EXT_VAL : ST_ERROR;
	case ST_EXT_VAL:
		if (is_tchar(c))
			return ST_EXT_VAL;
		if (is_ws(c))
			return ST_WS_SEMI;
		return c == ';' ? ST_EXT_NAME_PRE : ST_ERROR;
	case ST_EXT_QUOTED:
		if (c == '"')
			return ST_EXT_QUOTE_END;
		if (c == '\\')
			return ST_EXT_ESCAPE;
		return is_qdtext(c) ? ST_EXT_QUOTED : ST_ERROR;
	case ST_EXT_ESCAPE: return is_text(c) ? ST_EXT_QUOTED : ST_ERROR;
	case ST_EXT_QUOTE_END:
		if (is_ws(c))
			return ST_WS_SEMI;
		return c == ';' ? ST_EXT_NAME_PRE : ST_ERROR;
	default: return ST_ERROR;
	}
}

/* One byte of the trailer section. Field lines follow the request head's rules: a name of tchar
 * right up to the colon, no obs-fold, values of HTAB, SP, VCHAR and obs-text, and lines end in
 * CRLF. All trailer bytes, line ends included, count towards YMK__CHUNKED_TRAILER_MAX; the final
 * empty line does not. */
static int step_trailer(struct ymk__chunked *d, unsigned char c)
{
	int st = d->state;

	if (st == ST_TRAILER_FIRST && c == '\r')
		return ST_END_LF;
	if (++d->trailer_bytes > YMK__CHUNKED_TRAILER_MAX)
		return ST_ERROR;
	if (st == ST_TRAILER_LF) {
		if (c != '\n')
			return ST_ERROR;
		d->line_len = 0;
		return ST_TRAILER_FIRST;
	}
	if (c == '\r' || c == '\n') {
		if (c == '\n' || st != ST_TRAILER_VALUE)
			return ST_ERROR;
		d->line_len = 0;
		return ST_TRAILER_LF;
	}
	if (++d->line_len > YMK__CHUNKED_LINE_MAX)
		return ST_ERROR;
	switch (st) {
	case ST_TRAILER_FIRST: return is_tchar(c) ? ST_TRAILER_NAME : ST_ERROR;
	case ST_TRAILER_NAME:
		if (is_tchar(c))
			return ST_TRAILER_NAME;
		return c == ':' ? ST_TRAILER_VALUE : ST_ERROR;
	case ST_TRAILER_VALUE: return is_text(c) ? ST_TRAILER_VALUE : ST_ERROR;
	default: return ST_ERROR;
	}
}

int ymk__chunked_decode(struct ymk__chunked *d, const char *in, size_t in_len, size_t *consumed, char *out,
			size_t out_cap, size_t *produced)
{
	size_t i = 0, o = 0;
	int rc = 0;

	if (d == NULL || consumed == NULL || produced == NULL) {
		if (consumed != NULL)
			*consumed = 0;
		if (produced != NULL)
			*produced = 0;
		if (d != NULL)
			d->state = ST_ERROR;
		return -1;
	}
	if ((in == NULL && in_len > 0) || (out == NULL && out_cap > 0))
		d->state = ST_ERROR;

	while (d->state != ST_DONE && d->state != ST_ERROR && d->state != ST_TOO_LARGE && i < in_len) {
		unsigned char c = (unsigned char)in[i];

		switch (d->state) {
		case ST_DATA: {
			size_t n = in_len - i;

			if (o == out_cap)
				goto out_full;
			if (n > out_cap - o)
				n = out_cap - o;
			if (n > d->remaining)
				n = (size_t)d->remaining;
			memcpy(out + o, in + i, n);
			i += n;
			o += n;
			d->remaining -= n;
			d->total += n;
			if (d->remaining == 0)
				d->state = ST_DATA_END;
			continue;
		}
		case ST_DATA_END: d->state = c == '\r' ? ST_DATA_LF : ST_ERROR; break;
		case ST_DATA_LF:
		case ST_LINE_LF:
		case ST_END_LF:
			if (c != '\n')
				d->state = ST_ERROR;
			else if (d->state == ST_DATA_LF)
				d->state = ST_SIZE_FIRST;
			else if (d->state == ST_LINE_LF)
				d->state = after_chunk_line(d);
			else
				d->state = ST_DONE;
			break;
		case ST_TRAILER_FIRST:
		case ST_TRAILER_NAME:
		case ST_TRAILER_VALUE:
		case ST_TRAILER_LF: d->state = step_trailer(d, c); break;
		default: d->state = step_chunk_line(d, c); break;
		}
		/* The offending byte is not consumed, so *consumed points at it. */
		if (d->state == ST_ERROR || d->state == ST_TOO_LARGE)
			break;
		i++;
	}
out_full:
	if (d->state == ST_DONE)
		rc = 1;
	else if (d->state == ST_ERROR)
		rc = -1;
	else if (d->state == ST_TOO_LARGE)
		rc = YMK__CHUNKED_TOO_LARGE;
	*consumed = i;
	*produced = o;
	return rc;
}
