/* proxy.c: the PROXY protocol header parser (see proxy.h), after the specification HAProxy
 * publishes (doc/proxy-protocol.txt): version 1 is one line of text ending in CRLF, version 2 a
 * 16-byte binary block (a 12-byte signature, version and command, family and protocol, the length
 * of what follows) and then addresses and TLVs. Strict where the specification is: exactly one
 * space between fields, no leading zeroes, CRLF and nothing else to end a line, only the defined
 * commands, families and protocols. */
#include "proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>

static const unsigned char v1_sig[] = "PROXY ";
static const unsigned char v2_sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
					 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

#define V1_MAX 107 /* "PROXY UNKNOWN" with two full IPv6 addresses and ports, CRLF included */
#define V2_CRC32C 0x03

/* ---- version 1 ------------------------------------------------------------------------------ */

/* A decimal number 0..max without leading zeroes, in s[0..n). */
static int dec(const unsigned char *s, size_t n, unsigned max, unsigned *out)
{
	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* A dotted quad, each part 0..255 without leading zeroes. */
static int ipv4(const unsigned char *s, size_t n, struct in_addr *out)
{
	unsigned char b[4];
	size_t at = 0;
	for (int part = 0; part < 4; part++) {
		size_t end = at;
		while (end < n && s[end] != '.')
			end++;
		unsigned v;
		if (dec(s + at, end - at, 255, &v) < 0 || (part < 3) != (end < n))
			return -1;
		b[part] = (unsigned char)v;
		at = end + 1;
	}
	memcpy(out, b, 4);
	return 0;
}

/* Hexadecimal groups and colons (a dotted IPv4 tail is allowed too), as inet_pton reads them. */
static int ipv6(const unsigned char *s, size_t n, struct in6_addr *out)
{
	char tmp[INET6_ADDRSTRLEN];
	if (n == 0 || n >= sizeof tmp)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = s[i];
		int ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') ||
			 ch == ':' || ch == '.';
		if (!ok)
			return -1;
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return inet_pton(AF_INET6, tmp, out) == 1 ? 0 : -1;
}

static void set_in(struct sockaddr_storage *ss, socklen_t *len, const struct in_addr *a, unsigned port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof *ss);
	s4->sin_family = AF_INET;
	s4->sin_addr = *a;
	s4->sin_port = htons((uint16_t)port);
	*len = sizeof *s4;
}

static void set_in6(struct sockaddr_storage *ss, socklen_t *len, const struct in6_addr *a, unsigned port)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof *ss);
	s6->sin6_family = AF_INET6;
	s6->sin6_addr = *a;
	s6->sin6_port = htons((uint16_t)port);
	*len = sizeof *s6;
}

/* The fields after "PROXY " of a complete line line[0..n) (CRLF excluded). */
static int v1_fields(const unsigned char *line, size_t n, struct ymk__proxy_hdr *h)
{
	if (n >= 7 && !memcmp(line, "UNKNOWN", 7) && (n == 7 || line[7] == ' ')) {
		h->local = 1; /* whatever follows before the CRLF is ignored */
		return 0;
	}
	if (n < 5 || memcmp(line, "TCP", 3) || (line[3] != '4' && line[3] != '6') || line[4] != ' ')
		return -1;
	int six = line[3] == '6';
	const unsigned char *f[4];
	size_t flen[4];
	size_t at = 5;
	for (int i = 0; i < 4; i++) {
		size_t end = at;
		while (end < n && line[end] != ' ')
			end++;
		if ((i < 3) != (end < n)) /* three separating spaces, none at the end */
			return -1;
		f[i] = line + at;
		flen[i] = end - at;
		at = end + 1;
	}
	unsigned sport, dport;
	if (dec(f[2], flen[2], 65535, &sport) < 0 || dec(f[3], flen[3], 65535, &dport) < 0)
		return -1;
	if (six) {
		struct in6_addr s, d;
		if (ipv6(f[0], flen[0], &s) < 0 || ipv6(f[1], flen[1], &d) < 0)
			return -1;
		set_in6(&h->src, &h->src_len, &s, sport);
		set_in6(&h->dst, &h->dst_len, &d, dport);
	} else {
		struct in_addr s, d;
		if (ipv4(f[0], flen[0], &s) < 0 || ipv4(f[1], flen[1], &d) < 0)
			return -1;
		set_in(&h->src, &h->src_len, &s, sport);
		set_in(&h->dst, &h->dst_len, &d, dport);
	}
	return 0;
}

static long parse_v1(const unsigned char *buf, size_t len, struct ymk__proxy_hdr *h)
{
	size_t sig = sizeof v1_sig - 1;
	if (memcmp(buf, v1_sig, len < sig ? len : sig))
		return YMK__PROXY_BAD;
	for (size_t i = sig < len ? sig : len; i < len; i++) {
		if (buf[i] == '\n')
			return YMK__PROXY_BAD; /* an LF without its CR */
		if (buf[i] != '\r')
			continue;
		if (i + 1 == len)
			return len > V1_MAX - 1 ? YMK__PROXY_BAD : YMK__PROXY_AGAIN;
		if (buf[i + 1] != '\n' || i + 2 > V1_MAX)
			return YMK__PROXY_BAD;
		h->version = 1;
		return v1_fields(buf + sig, i - sig, h) < 0 ? YMK__PROXY_BAD : (long)(i + 2);
	}
	return len >= V1_MAX ? YMK__PROXY_BAD : YMK__PROXY_AGAIN;
}

/* ---- version 2 ------------------------------------------------------------------------------ */

/* CRC32c (Castagnoli, reflected), over p[0..n) with the 4 bytes at skip counted as zeroes. */
static uint32_t crc32c(const unsigned char *p, size_t n, size_t skip)
{
	uint32_t crc = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		crc ^= i >= skip && i < skip + 4 ? 0 : p[i];
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0x82F63B78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* TLVs in buf[at..total): each a type, a 16-bit length and its value, inside the header. */
static int v2_tlvs(const unsigned char *buf, size_t at, size_t total)
{
	while (at < total) {
		if (total - at < 3 || be16(buf + at + 1) > total - at - 3)
			return -1;
		size_t vlen = be16(buf + at + 1);
		if (buf[at] == V2_CRC32C) {
			if (vlen != 4)
				return -1;
			uint32_t want = (uint32_t)buf[at + 3] << 24 | (uint32_t)buf[at + 4] << 16 |
					(uint32_t)buf[at + 5] << 8 | buf[at + 6];
			if (crc32c(buf, total, at + 3) != want)
				return -1;
		}
		at += 3 + vlen;
	}
	return 0;
}

static void set_un(struct sockaddr_storage *ss, socklen_t *len, const unsigned char *path)
{
	struct sockaddr_un *su = (struct sockaddr_un *)ss;
	memset(ss, 0, sizeof *ss);
	su->sun_family = AF_UNIX;
	size_t n = strnlen((const char *)path, sizeof su->sun_path);
	memcpy(su->sun_path, path, n);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
}

static long parse_v2(const unsigned char *buf, size_t len, struct ymk__proxy_hdr *h)
{
	if (memcmp(buf, v2_sig, len < sizeof v2_sig ? len : sizeof v2_sig))
		return YMK__PROXY_BAD;
	if (len > 12 && ((buf[12] >> 4) != 2 || (buf[12] & 15) > 1))
		return YMK__PROXY_BAD; /* version 2; LOCAL or PROXY */
	if (len > 13 && ((buf[13] >> 4) > 3 || (buf[13] & 15) > 2))
		return YMK__PROXY_BAD; /* UNSPEC, INET, INET6, UNIX; UNSPEC, STREAM, DGRAM */
	if (len < 16)
		return YMK__PROXY_AGAIN;
	size_t total = 16 + be16(buf + 14);
	if (total > YMK__PROXY_MAX)
		return YMK__PROXY_BAD;
	if (len < total)
		return YMK__PROXY_AGAIN;
	h->version = 2;
	unsigned fam = buf[13] >> 4, proto = buf[13] & 15;
	if ((buf[12] & 15) == 0) { /* LOCAL: the proxy's own connection; the block is ignored */
		h->local = 1;
		return (long)total;
	}
	if (proto == 2)
		return YMK__PROXY_BAD; /* a datagram flow cannot be this stream */
	if (fam == 0 || proto == 0) {
		h->local = 1;
		return (long)total;
	}
	static const size_t need[] = {0, 12, 36, 216};
	const unsigned char *a = buf + 16;
	if (total - 16 < need[fam])
		return YMK__PROXY_BAD;
	if (fam == 1) {
		struct in_addr s, d;
		memcpy(&s, a, 4);
		memcpy(&d, a + 4, 4);
		set_in(&h->src, &h->src_len, &s, be16(a + 8));
		set_in(&h->dst, &h->dst_len, &d, be16(a + 10));
	} else if (fam == 2) {
		struct in6_addr s, d;
		memcpy(&s, a, 16);
		memcpy(&d, a + 16, 16);
		set_in6(&h->src, &h->src_len, &s, be16(a + 32));
		set_in6(&h->dst, &h->dst_len, &d, be16(a + 34));
	} else {
		set_un(&h->src, &h->src_len, a);
		set_un(&h->dst, &h->dst_len, a + 108);
	}
	if (v2_tlvs(buf, 16 + need[fam], total) < 0)
		return YMK__PROXY_BAD;
	return (long)total;
}

long ymk__proxy_parse(const unsigned char *buf, size_t len, struct ymk__proxy_hdr *h)
{
	memset(h, 0, sizeof *h);
	if (len == 0)
		return YMK__PROXY_AGAIN;
	if (buf[0] == 'P')
		return parse_v1(buf, len, h);
	if (buf[0] == 0x0D)
		return parse_v2(buf, len, h);
	return YMK__PROXY_BAD;
}
