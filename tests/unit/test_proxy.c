/* test_proxy.c: the PROXY header parser (lib/proxy.c) as a table of inputs and outcomes, each
 * input placed against a PROT_NONE page so that a read past its end faults, and every proper
 * prefix of each valid header checked to be "more needed" (so a header may arrive a byte at a
 * time, and a reader may take all of an unfinished header). Then the per-client table
 * (lib/clients.c): counts per address, IPv4 and its mapped IPv6 form as one client, removal with
 * collisions, growth. */
#include "clients.h"
#include "proxy.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "guard.h"

#define S(x) (const unsigned char *)(x), sizeof(x) - 1
#define BAD YMK__PROXY_BAD
#define AGAIN YMK__PROXY_AGAIN

struct v1_case {
	const unsigned char *in;
	size_t len;
	long want;             /* the header's length, AGAIN or BAD */
	const char *src, *dst; /* "addr port" when the header names them; NULL for a LOCAL one */
};

static const struct v1_case v1[] = {
	{S("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"), 47, "192.168.0.1 56324", "192.168.0.11 443"},
	{S("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n"), 47, "192.168.0.1 56324",
	 "192.168.0.11 443"},
	{S("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"), 56, "255.255.255.255 65535",
	 "255.255.255.255 65535"},
	{S("PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n"), 32, "0.0.0.0 0", "0.0.0.0 0"},
	{S("PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n"), 40, "2001:db8::1 1", "2001:db8::2 2"},
	{S("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 "
	   "65535\r\n"),
	 104, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535",
	 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535"},
	{S("PROXY TCP6 ::ffff:1.2.3.4 ::1 80 81\r\n"), 37, "::ffff:1.2.3.4 80", "::1 81"},
	{S("PROXY UNKNOWN\r\n"), 15, NULL, NULL},
	{S("PROXY UNKNOWN whatever comes before the CRLF\r\n"), 46, NULL, NULL},
	/* Prefixes of a header. */
	{S(""), AGAIN, NULL, NULL},
	{S("P"), AGAIN, NULL, NULL},
	{S("PROXY"), AGAIN, NULL, NULL},
	{S("PROXY TCP4 1.2.3.4 5.6.7.8 1 2"), AGAIN, NULL, NULL},
	{S("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"), AGAIN, NULL, NULL},
	/* Not a header. */
	{S("GET / HTTP/1.1\r\n"), BAD, NULL, NULL},
	{S("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), BAD, NULL, NULL},
	{S("PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n"), BAD, NULL, NULL},
	{S("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n"), BAD, NULL, NULL},
	{S("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), BAD, NULL, NULL},
	{S("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rx"), BAD, NULL, NULL},
	{S("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP4 1.2.3. 5.6.7.8 1 2\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP4 ::1 5.6.7.8 1 2\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP6 1.2.3.4 ::1 1 2\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP6 2001:db8::g ::1 1 2\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n"), BAD, NULL, NULL},
	{S("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"), BAD, NULL, NULL},
	{S("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"), BAD, NULL, NULL},
	{S("PROXY UNKNOWNX\r\n"), BAD, NULL, NULL},
	{S("PROXY \r\n"), BAD, NULL, NULL},
	/* 108 bytes: one more than a line may have. */
	{S("PROXY UNKNOWN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	   "\r\n"),
	 BAD, NULL, NULL},
	/* 107 bytes: the longest there is. */
	{S("PROXY UNKNOWN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	   "\r\n"),
	 107, NULL, NULL},
	{S("PROXY UNKNOWN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
	 BAD, NULL, NULL},
};

/* "addr port" of a parsed address. */
static void show(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN];
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
		snprintf(out, cap, "%s %u", host, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		snprintf(out, cap, "%s %u", host, ntohs(s6->sin6_port));
	} else if (ss->ss_family == AF_UNIX) {
		snprintf(out, cap, "unix %s", ((const struct sockaddr_un *)ss)->sun_path);
	} else {
		snprintf(out, cap, "family %d", ss->ss_family);
	}
}

/* Parses in[0..len) placed against the guard page. */
static long parse_guarded(const unsigned char *in, size_t len, struct ymk__proxy_hdr *h)
{
	struct guard gd;
	guard_init(&gd, len);
	unsigned char *at = (unsigned char *)guard_end(&gd, len);
	memcpy(at, in, len);
	long r = ymk__proxy_parse(at, len, h);
	guard_free(&gd);
	return r;
}

static void check_case(const unsigned char *in, size_t len, long want, const char *src, const char *dst,
		       int version, const char *what)
{
	struct ymk__proxy_hdr h;
	long r = parse_guarded(in, len, &h);
	ck_assert_msg(r == want, "%s (case %s): got %ld, want %ld", what,
		      in[0] == 'P' ? (const char *)in : "v2", r, want);
	if (r <= 0)
		return;
	ck_assert_int_eq(h.version, version);
	char a[128];
	if (!src) {
		ck_assert_msg(h.local, "%s: no addresses expected", what);
	} else {
		ck_assert_int_eq(h.local, 0);
		show(&h.src, a, sizeof a);
		ck_assert_str_eq(a, src);
		show(&h.dst, a, sizeof a);
		ck_assert_str_eq(a, dst);
	}
	/* Every proper prefix is a beginning: more bytes needed, never BAD. */
	for (size_t n = 0; n < (size_t)r; n++)
		ck_assert_msg(parse_guarded(in, n, &h) == AGAIN, "%s: prefix of %zu bytes is not AGAIN", what,
			      n);
}

START_TEST(test_v1_table)
{
	for (size_t i = 0; i < sizeof v1 / sizeof v1[0]; i++)
		check_case(v1[i].in, v1[i].len, v1[i].want, v1[i].src, v1[i].dst, 1, "v1");
}
END_TEST

/* A v2 header: ver_cmd, fam, then the block (addresses and TLVs). */
static size_t v2(unsigned char *out, unsigned ver_cmd, unsigned fam, const void *block, size_t blen)
{
	static const unsigned char sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
					      0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
	memcpy(out, sig, 12);
	out[12] = (unsigned char)ver_cmd;
	out[13] = (unsigned char)fam;
	out[14] = (unsigned char)(blen >> 8);
	out[15] = (unsigned char)blen;
	if (blen)
		memcpy(out + 16, block, blen);
	return 16 + blen;
}

static const unsigned char ip4_block[12] = {192, 0, 2,    9,    192,  0,
					    2,   1, 0x03, 0xe8, 0x1f, 0x90}; /* 1000, 8080 */

/* CRC32c as RFC 4960 appendix B computes it, bit by bit (the parser's own is not reused). */
static uint32_t crc_ref(const unsigned char *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
	}
	return ~c;
}

START_TEST(test_v2_table)
{
	unsigned char h[4096], block[4096];
	size_t n;

	/* TCP over IPv4 and IPv6. */
	n = v2(h, 0x21, 0x11, ip4_block, sizeof ip4_block);
	check_case(h, n, (long)n, "192.0.2.9 1000", "192.0.2.1 8080", 2, "v2 ipv4");
	unsigned char b6[36] = {0};
	b6[0] = 0x20, b6[1] = 0x01, b6[2] = 0x0d, b6[3] = 0xb8, b6[15] = 9;
	b6[16] = 0x20, b6[17] = 0x01, b6[18] = 0x0d, b6[19] = 0xb8, b6[31] = 2;
	b6[32] = 0, b6[33] = 7, b6[34] = 0xff, b6[35] = 0xff;
	n = v2(h, 0x21, 0x21, b6, sizeof b6);
	check_case(h, n, (long)n, "2001:db8::9 7", "2001:db8::2 65535", 2, "v2 ipv6");
	/* Bytes after the header are not part of it. */
	memcpy(h + n, "GET /", 5);
	check_case(h, n + 5, (long)n, "2001:db8::9 7", "2001:db8::2 65535", 2, "v2 followed by HTTP");

	/* Unix addresses. */
	memset(block, 0, 216);
	memcpy(block, "/run/client.sock", 16);
	memcpy(block + 108, "/run/server.sock", 16);
	n = v2(h, 0x21, 0x31, block, 216);
	check_case(h, n, (long)n, "unix /run/client.sock", "unix /run/server.sock", 2, "v2 unix");

	/* LOCAL: the block is ignored whatever it holds; UNSPEC family or protocol too. */
	n = v2(h, 0x20, 0x00, NULL, 0);
	check_case(h, n, (long)n, NULL, NULL, 2, "v2 local");
	n = v2(h, 0x20, 0x11, ip4_block, sizeof ip4_block);
	check_case(h, n, (long)n, NULL, NULL, 2, "v2 local with addresses");
	n = v2(h, 0x21, 0x00, "xyz", 3);
	check_case(h, n, (long)n, NULL, NULL, 2, "v2 proxy unspec");
	n = v2(h, 0x21, 0x10, ip4_block, sizeof ip4_block);
	check_case(h, n, (long)n, NULL, NULL, 2, "v2 proxy inet, unspec protocol");

	/* TLVs: skipped when well-formed, a CRC32c checked. */
	memcpy(block, ip4_block, 12);
	memcpy(block + 12, "\x04\x00\x02xx\x05\x00\x00", 8); /* NOOP of 2 bytes, empty UNIQUE_ID */
	n = v2(h, 0x21, 0x11, block, 20);
	check_case(h, n, (long)n, "192.0.2.9 1000", "192.0.2.1 8080", 2, "v2 tlvs");
	memcpy(block + 12, "\x03\x00\x04\x00\x00\x00\x00", 7);
	n = v2(h, 0x21, 0x11, block, 19);
	uint32_t crc = crc_ref(h, n);
	h[n - 4] = (unsigned char)(crc >> 24), h[n - 3] = (unsigned char)(crc >> 16);
	h[n - 2] = (unsigned char)(crc >> 8), h[n - 1] = (unsigned char)crc;
	check_case(h, n, (long)n, "192.0.2.9 1000", "192.0.2.1 8080", 2, "v2 crc32c");
	h[16] ^= 1; /* a changed address: the checksum no longer matches */
	check_case(h, n, BAD, NULL, NULL, 2, "v2 crc32c mismatch");
	memcpy(block + 12, "\x04\x00\x05xx", 5); /* a TLV longer than what is left */
	n = v2(h, 0x21, 0x11, block, 17);
	check_case(h, n, BAD, NULL, NULL, 2, "v2 tlv overrun");
	memcpy(block + 12, "\x04\x00", 2); /* a TLV cut in its own header */
	n = v2(h, 0x21, 0x11, block, 14);
	check_case(h, n, BAD, NULL, NULL, 2, "v2 tlv cut");
	memcpy(block + 12, "\x03\x00\x02\x00\x00", 5); /* a CRC32c TLV of the wrong size */
	n = v2(h, 0x21, 0x11, block, 17);
	check_case(h, n, BAD, NULL, NULL, 2, "v2 crc32c size");

	/* The longest header accepted, and one byte more. */
	memset(block, 0, sizeof block);
	memcpy(block, ip4_block, 12);
	size_t tl = YMK__PROXY_MAX - 16 - 12 - 3;
	block[12] = 0x04, block[13] = (unsigned char)(tl >> 8), block[14] = (unsigned char)tl;
	n = v2(h, 0x21, 0x11, block, 12 + 3 + tl);
	ck_assert_uint_eq(n, YMK__PROXY_MAX);
	check_case(h, n, (long)n, "192.0.2.9 1000", "192.0.2.1 8080", 2, "v2 longest");
	n = v2(h, 0x21, 0x11, block, 12 + 3 + tl + 1);
	check_case(h, 16, BAD, NULL, NULL, 2, "v2 too long, refused from its length");

	/* Not valid: version, command, family, protocol, short address blocks, the signature. */
	n = v2(h, 0x11, 0x11, ip4_block, 12);
	check_case(h, n, BAD, NULL, NULL, 2, "v2 version 1 nibble");
	n = v2(h, 0x31, 0x11, ip4_block, 12);
	check_case(h, n, BAD, NULL, NULL, 2, "v2 version 3");
	check_case(h, 13, BAD, NULL, NULL, 2, "v2 version 3, known at byte 13");
	n = v2(h, 0x22, 0x11, ip4_block, 12);
	check_case(h, n, BAD, NULL, NULL, 2, "v2 command 2");
	n = v2(h, 0x21, 0x41, ip4_block, 12);
	check_case(h, n, BAD, NULL, NULL, 2, "v2 family 4");
	n = v2(h, 0x21, 0x13, ip4_block, 12);
	check_case(h, n, BAD, NULL, NULL, 2, "v2 protocol 3");
	n = v2(h, 0x21, 0x12, ip4_block, 12);
	check_case(h, n, BAD, NULL, NULL, 2, "v2 datagram");
	n = v2(h, 0x21, 0x11, ip4_block, 11);
	check_case(h, n, BAD, NULL, NULL, 2, "v2 ipv4 block short");
	n = v2(h, 0x21, 0x21, b6, 35);
	check_case(h, n, BAD, NULL, NULL, 2, "v2 ipv6 block short");
	n = v2(h, 0x21, 0x31, block, 215);
	check_case(h, n, BAD, NULL, NULL, 2, "v2 unix block short");
	n = v2(h, 0x21, 0x11, ip4_block, 12);
	for (size_t i = 0; i < 12; i++) {
		unsigned char c[64];
		memcpy(c, h, n);
		c[i] ^= 0x40;
		check_case(c, i + 1, BAD, NULL, NULL, 2, "v2 signature byte");
	}
	/* Prefixes of a v2 header wait for more. */
	for (size_t i = 0; i < n; i++)
		check_case(h, i, AGAIN, NULL, NULL, 2, "v2 prefix");
}
END_TEST

/* ---- clients.c -------------------------------------------------------------------------------- */

static struct sockaddr_storage addr(const char *a)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	if (strchr(a, ':')) {
		ss.ss_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, a, &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(1234);
	} else {
		ss.ss_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, a, &((struct sockaddr_in *)&ss)->sin_addr), 1);
		((struct sockaddr_in *)&ss)->sin_port = htons(4321);
	}
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

START_TEST(test_clients)
{
	struct ymk__clients t = {0};
	struct sockaddr_storage one = addr("127.0.0.1"), two = addr("127.0.0.2"),
				mapped = addr("::ffff:127.0.0.1"), six = addr("2001:db8::1");
	struct sockaddr_un un = {.sun_family = AF_UNIX};

	ck_assert_uint_eq(ymk__clients_count(&t, SA(one)), 0);
	ck_assert_int_eq(ymk__clients_add(&t, SA(one)), 0);
	ck_assert_int_eq(ymk__clients_add(&t, SA(one)), 0);
	ck_assert_int_eq(ymk__clients_add(&t, SA(two)), 0);
	ck_assert_int_eq(ymk__clients_add(&t, SA(six)), 0);
	ck_assert_uint_eq(ymk__clients_count(&t, SA(one)), 2);
	ck_assert_uint_eq(ymk__clients_count(&t, SA(mapped)),
			  2); /* the same client, as a dual-stack listener sees it */
	ck_assert_uint_eq(ymk__clients_count(&t, SA(two)), 1);
	ck_assert_uint_eq(ymk__clients_count(&t, SA(six)), 1);
	/* A Unix-socket peer is not counted. */
	ck_assert_int_eq(ymk__clients_countable((const struct sockaddr *)&un), 0);
	ck_assert_int_eq(ymk__clients_add(&t, (const struct sockaddr *)&un), 0);
	ck_assert_uint_eq(ymk__clients_count(&t, (const struct sockaddr *)&un), 0);
	ck_assert_uint_eq(t.n, 3);
	ymk__clients_remove(&t, SA(mapped));
	ck_assert_uint_eq(ymk__clients_count(&t, SA(one)), 1);
	ymk__clients_remove(&t, SA(one));
	ck_assert_uint_eq(ymk__clients_count(&t, SA(one)), 0);
	ck_assert_uint_eq(t.n, 2);
	ymk__clients_remove(&t, SA(one)); /* not there: nothing happens */
	ck_assert_uint_eq(ymk__clients_count(&t, SA(two)), 1);

	/* Many clients: growth, and removals in an order that shifts entries back across runs. */
	for (unsigned i = 0; i < 3000; i++) {
		char a[32];
		snprintf(a, sizeof a, "10.%u.%u.%u", i >> 16 & 255, i >> 8 & 255, i & 255);
		struct sockaddr_storage ss = addr(a);
		for (unsigned k = 0; k <= i % 3; k++)
			ck_assert_int_eq(ymk__clients_add(&t, SA(ss)), 0);
	}
	ck_assert_uint_eq(t.n, 3002);
	for (unsigned i = 0; i < 3000; i += 2) {
		char a[32];
		snprintf(a, sizeof a, "10.%u.%u.%u", i >> 16 & 255, i >> 8 & 255, i & 255);
		struct sockaddr_storage ss = addr(a);
		for (unsigned k = 0; k <= i % 3; k++)
			ymk__clients_remove(&t, SA(ss));
	}
	for (unsigned i = 0; i < 3000; i++) {
		char a[32];
		snprintf(a, sizeof a, "10.%u.%u.%u", i >> 16 & 255, i >> 8 & 255, i & 255);
		struct sockaddr_storage ss = addr(a);
		ck_assert_uint_eq(ymk__clients_count(&t, SA(ss)), i % 2 ? i % 3 + 1 : 0);
	}
	ck_assert_uint_eq(t.n, 1500 + 2);
	ck_assert_uint_eq(ymk__clients_count(&t, SA(two)), 1);
	ck_assert_uint_eq(ymk__clients_count(&t, SA(six)), 1);
	ymk__clients_free(&t);
	ck_assert_uint_eq(ymk__clients_count(&t, SA(two)), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("proxy");
	tcase_add_test(tc, test_v1_table);
	tcase_add_test(tc, test_v2_table);
	tcase_add_test(tc, test_clients);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
