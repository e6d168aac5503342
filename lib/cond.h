/* cond.h: conditional requests, HTTP dates and content negotiation (pure: no I/O, no allocation).
 *
 * RFC 9110 section 13 (preconditions, evaluated in the order of 13.2.2), section 5.6.7 (HTTP-date)
 * and 12.5.3 (Accept-Encoding). The caller passes the header values it found (NULL when absent)
 * and the representation's validators; these functions decide. A file's entity-tag is made here
 * too, so that the file cache can keep it with the file. */
#ifndef YMK_COND_H
#define YMK_COND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

/* Parses an HTTP-date: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the obsolete RFC 850 form
 * ("Sunday, 06-Nov-94 08:49:37 GMT"; two-digit years 70-99 -> 19xx, 00-69 -> 20xx) and asctime
 * ("Sun Nov  6 08:49:37 1994"). Exact grammar, case-sensitive month/day names as RFC 9110 says
 * (accept any case for robustness is NOT wanted: a malformed date is invalid). The weekday is
 * not cross-checked. Returns 0 and sets *out (seconds since the epoch, UTC), or -1 when invalid. */
int ymk__http_date_parse(const char *s, size_t len, time_t *out);

/* The validators of the selected representation. */
struct ymk__validators {
	int exists;       /* 0: no current representation (a PUT creating a file) */
	const char *etag; /* the strong entity-tag including its quotes, e.g. "\"1a-2b\""; NULL if none */
	size_t etag_len;
	time_t mtime; /* Last-Modified in seconds; meaningful when exists */
};

/* The longest entity-tag ymk__etag() writes: three 64-bit hex numbers, two dashes, two quotes. */
#define YMK__ETAG_MAX (3 * 16 + 2 + 2)

/* The strong entity-tag of a file (inode, size, nanosecond mtime), quotes included, into out (at
 * least YMK__ETAG_MAX bytes, not NUL-terminated). Returns its length. */
size_t ymk__etag(const struct stat *st, char *out);

/* The request's precondition headers: each value without surrounding blanks, NULL when absent. */
struct ymk__preconditions {
	const char *if_match;
	size_t if_match_len;
	const char *if_none_match;
	size_t if_none_match_len;
	const char *if_modified_since;
	size_t if_modified_since_len;
	const char *if_unmodified_since;
	size_t if_unmodified_since_len;
};

/* Evaluates the preconditions, RFC 9110 13.2.2:
 * 1. If-Match present: false -> 412. "*" is true iff exists; otherwise a list of entity-tags
 *    compared with the STRONG function (a weak tag W/"x" never matches); a malformed list is false.
 * 2. else If-Unmodified-Since present and a valid date and exists: mtime > date -> 412.
 *    (An invalid date is ignored.)
 * 3. If-None-Match present: "*" is true (-> fails) iff exists; a list compared with the WEAK
 *    function (W/"x" matches "x"); when it fails: 304 for GET/HEAD (is_get_or_head), else 412.
 * 4. else If-Modified-Since present, is_get_or_head, valid date, exists: mtime <= date -> 304.
 * Returns 0 when the request proceeds, or 304 or 412.
 * Entity-tag list grammar: "*" | 1#( [ "W/" ] DQUOTE *etagc DQUOTE ) with OWS around commas;
 * etagc = %x21 / %x23-7E / obs-text. Empty elements (",,") are tolerated. */
int ymk__preconditions_eval(const struct ymk__preconditions *pc, const struct ymk__validators *v,
			    int is_get_or_head);

/* If-Range (RFC 9110 13.1.5): returns 1 when the Range applies, 0 when the whole representation
 * must be sent. value is an entity-tag (applies iff it is strong and equals v->etag byte for byte)
 * or an HTTP-date (applies iff it equals v->mtime exactly). Anything else (weak tag, bad date)
 * -> 0. */
int ymk__if_range_applies(const char *value, size_t len, const struct ymk__validators *v);

/* Content codings the library can serve precompressed. */
#define YMK__CODING_GZIP (1u << 0)
#define YMK__CODING_BR (1u << 1)

/* Parses Accept-Encoding (RFC 9110 12.5.3): a list of coding [ OWS ";" OWS "q=" qvalue ], codings
 * case-insensitive, "x-gzip" is gzip, "*" matches every coding not listed; q=0 means not
 * acceptable; a malformed element is skipped. Returns the YMK__CODING_* bits the client accepts
 * with q > 0, and writes their q-values in thousandths to *q_gzip / *q_br (0 when not accepted).
 * value NULL (header absent) -> 0: only the identity coding. */
unsigned ymk__accept_encoding(const char *value, size_t len, unsigned *q_gzip, unsigned *q_br);

#endif
