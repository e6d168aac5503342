/* test_auth.c: table tests for the credentials parsers (ymk__auth_basic, ymk__auth_bearer) and
 * ymk_secret_equal(). Each input is copied so that it ends right at a PROT_NONE page, so reading
 * one byte past value[0..len) faults; a Basic row that parses is decoded into a buffer of exactly
 * the size it needs, itself against a guard page, so writing one byte too many faults too, and
 * the row is tried again with one byte less, which must be refused. The public wrappers are
 * checked on C strings and NULL arguments. */
#include "auth.h"
#include "ymawky.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"

#define S(x) x, sizeof(x) - 1
#define NO YMK_ENOCREDENTIALS
#define BAD YMK_EBADCREDENTIALS

struct basic_case {
	const char *value;
	size_t len;
	int want;
	const char *user; /* on success: the decoded parts, lengths given (they may hold any byte) */
	size_t user_len;
	const char *pass;
	size_t pass_len;
};

static const struct basic_case basic[] = {
	/* Well formed. */
	{S("Basic dXNlcjpwYXNz"), 0, S("user"), S("pass")},
	{S("basic dXNlcjpwYXNz"), 0, S("user"), S("pass")},
	{S("BASIC dXNlcjpwYXNz"), 0, S("user"), S("pass")},
	{S("Basic    dXNlcjpwYXNz"), 0, S("user"), S("pass")},
	{S("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), 0, S("Aladdin"), S("open sesame")},
	{S("Basic dGVzdDoxMjPCow=="), 0, S("test"), S("123\xc2\xa3")},
	{S("Basic OnB3"), 0, S(""), S("pw")},
	{S("Basic dTo="), 0, S("u"), S("")},
	{S("Basic Og=="), 0, S(""), S("")},
	{S("Basic dTpwOmE6Yg=="), 0, S("u"), S("p:a:b")},
	{S("Basic //46gA=="), 0, S("\xff\xfe"), S("\x80")},
	/* Not Basic at all. */
	{S(""), NO, NULL, 0, NULL, 0},
	{S("Bearer dXNlcjpwYXNz"), NO, NULL, 0, NULL, 0},
	{S("Basicx dXNlcjpwYXNz"), NO, NULL, 0, NULL, 0},
	{S("Bas dXNlcjpwYXNz"), NO, NULL, 0, NULL, 0},
	{S("Digest username=\"u\""), NO, NULL, 0, NULL, 0},
	{S(" Basic dXNlcjpwYXNz"), NO, NULL, 0, NULL, 0},
	{S("=dXNlcjpwYXNz"), NO, NULL, 0, NULL, 0},
	/* Basic, malformed framing. */
	{S("Basic"), BAD, NULL, 0, NULL, 0},
	{S("Basic "), BAD, NULL, 0, NULL, 0},
	{S("Basic   "), BAD, NULL, 0, NULL, 0},
	{S("Basic\tdXNlcjpwYXNz"), BAD, NULL, 0, NULL, 0},
	{S("Basic,dXNlcjpwYXNz"), BAD, NULL, 0, NULL, 0},
	{S("Basic dXNlcjpwYXNz "), BAD, NULL, 0, NULL, 0},
	{S("Basic dXNlcjpwYXNz\t"), BAD, NULL, 0, NULL, 0},
	{S("Basic dXNlcjpwYXNz, realm=\"x\""), BAD, NULL, 0, NULL, 0},
	{S("Basic dXNlcjpw YXNz"), BAD, NULL, 0, NULL, 0},
	{S("Basic realm=\"x\""), BAD, NULL, 0, NULL, 0},
	{S("Basic dXNlcjpwYXNz\0"), BAD, NULL, 0, NULL, 0},
	/* Base64 that is not canonical padded base64. */
	{S("Basic dXNlcjpwYXN"), BAD, NULL, 0, NULL, 0},
	{S("Basic dXNlcjpwYXNz="), BAD, NULL, 0, NULL, 0},
	{S("Basic dXNlcjpwYXNz===="), BAD, NULL, 0, NULL, 0},
	{S("Basic dTo"), BAD, NULL, 0, NULL, 0},
	{S("Basic Og"), BAD, NULL, 0, NULL, 0},
	{S("Basic dXNl=jpwYXNz"), BAD, NULL, 0, NULL, 0},
	{S("Basic dXNlcjpw-XNz"), BAD, NULL, 0, NULL, 0},
	{S("Basic dXNlcjpw_XNz"), BAD, NULL, 0, NULL, 0},
	{S("Basic dXNlcjpw.XNz"), BAD, NULL, 0, NULL, 0},
	{S("Basic dXNlcjpw~XNz"), BAD, NULL, 0, NULL, 0},
	{S("Basic dTp="), BAD, NULL, 0, NULL, 0},  /* "u:" with a leftover bit set */
	{S("Basic Oh=="), BAD, NULL, 0, NULL, 0},  /* ":" with leftover bits set */
	{S("Basic Oi=="), BAD, NULL, 0, NULL, 0},
	{S("Basic A==="), BAD, NULL, 0, NULL, 0},
	{S("Basic ===="), BAD, NULL, 0, NULL, 0},
	{S("Basic =dXN"), BAD, NULL, 0, NULL, 0},
	/* Decoded, but not user-id ":" password without control characters. */
	{S("Basic dXNlcg=="), BAD, NULL, 0, NULL, 0},          /* "user": no colon */
	{S("Basic dXMAcjpwdw=="), BAD, NULL, 0, NULL, 0},      /* NUL in the user-id */
	{S("Basic dXNlcjpwAHc="), BAD, NULL, 0, NULL, 0},      /* NUL in the password */
	{S("Basic dXNlcjpwAXc="), BAD, NULL, 0, NULL, 0},      /* 0x01 */
	{S("Basic dXNlcjpwf3c="), BAD, NULL, 0, NULL, 0},      /* DEL */
	{S("Basic dXNlcjpwdwo="), BAD, NULL, 0, NULL, 0},      /* a trailing LF */
	{S("Basic AA=="), BAD, NULL, 0, NULL, 0},              /* one NUL byte */
};

struct bearer_case {
	const char *value;
	size_t len;
	int want;
	const char *token; /* on success */
};

static const struct bearer_case bearer[] = {
	{S("Bearer abc"), 0, "abc"},
	{S("bearer abc"), 0, "abc"},
	{S("BEARER abc"), 0, "abc"},
	{S("Bearer    abc"), 0, "abc"},
	{S("Bearer a"), 0, "a"},
	{S("Bearer mF_9.B5f-4.1JqM"), 0, "mF_9.B5f-4.1JqM"}, /* RFC 6750's example */
	{S("Bearer AZaz09-._~+/"), 0, "AZaz09-._~+/"},
	{S("Bearer abc=="), 0, "abc=="},
	{S("Bearer abc="), 0, "abc="},
	{S(""), NO, NULL},
	{S("Basic abc"), NO, NULL},
	{S("Bearerx abc"), NO, NULL},
	{S("Bear abc"), NO, NULL},
	{S("Token abc"), NO, NULL},
	{S("\"Bearer\" abc"), NO, NULL},
	{S("Bearer"), BAD, NULL},
	{S("Bearer "), BAD, NULL},
	{S("Bearer\tabc"), BAD, NULL},
	{S("Bearer=abc"), BAD, NULL},
	{S("Bearer abc "), BAD, NULL},
	{S("Bearer abc def"), BAD, NULL},
	{S("Bearer abc,def"), BAD, NULL},
	{S("Bearer abc, realm=\"x\""), BAD, NULL},
	{S("Bearer =abc"), BAD, NULL},
	{S("Bearer ="), BAD, NULL},
	{S("Bearer abc=def"), BAD, NULL},
	{S("Bearer abc==="), 0, "abc==="},
	{S("Bearer a\"b"), BAD, NULL},
	{S("Bearer a:b"), BAD, NULL},
	{S("Bearer a%20b"), BAD, NULL},
	{S("Bearer abc\0"), BAD, NULL},
	{S("Bearer \xc3\xa9t\xc3\xa9"), BAD, NULL},
};

#define NBASIC (sizeof basic / sizeof basic[0])
#define NBEARER (sizeof bearer / sizeof bearer[0])

START_TEST(test_basic_table)
{
	const struct basic_case *c = &basic[_i];
	struct guard in, out;
	size_t need = c->want == 0 ? c->user_len + 1 + c->pass_len + 1 : 64;
	size_t ulen = 777, plen = 777;
	int rc;

	guard_init(&in, c->len);
	memcpy(in.at, c->value, c->len);
	guard_init(&out, need);
	rc = ymk__auth_basic(in.at, c->len, out.at, need, &ulen, &plen);
	ck_assert_msg(rc == c->want, "basic row %d (%s): got %d, want %d", _i,
		      c->value, rc, c->want);
	if (rc == 0) {
		ck_assert_uint_eq(ulen, c->user_len);
		ck_assert_uint_eq(plen, c->pass_len);
		ck_assert_msg(memcmp(out.at, c->user, ulen) == 0 && out.at[ulen] == '\0',
			      "basic row %d: user", _i);
		ck_assert_msg(memcmp(out.at + ulen + 1, c->pass, plen) == 0 &&
				      out.at[ulen + 1 + plen] == '\0',
			      "basic row %d: password", _i);
		/* One byte less does not fit: refused, not truncated. */
		guard_free(&out);
		guard_init(&out, need - 1);
		rc = ymk__auth_basic(in.at, c->len, out.at, need - 1, &ulen, &plen);
		ck_assert_msg(rc == BAD, "basic row %d with cap %zu: got %d", _i, need - 1, rc);
	} else {
		ck_assert_uint_eq(ulen, 777); /* untouched unless it parsed */
		ck_assert_uint_eq(plen, 777);
	}
	guard_free(&out);
	guard_free(&in);
}
END_TEST

START_TEST(test_bearer_table)
{
	const struct bearer_case *c = &bearer[_i];
	struct guard in;
	size_t off = 777, len = 777;
	int rc;

	guard_init(&in, c->len);
	memcpy(in.at, c->value, c->len);
	rc = ymk__auth_bearer(in.at, c->len, &off, &len);
	ck_assert_msg(rc == c->want, "bearer row %d (%s): got %d, want %d", _i, c->value, rc,
		      c->want);
	if (rc == 0) {
		ck_assert_uint_eq(len, strlen(c->token));
		ck_assert_uint_eq(off + len, c->len);
		ck_assert_msg(memcmp(in.at + off, c->token, len) == 0, "bearer row %d: token", _i);
	} else {
		ck_assert_uint_eq(off, 777);
		ck_assert_uint_eq(len, 777);
	}
	guard_free(&in);
}
END_TEST

/* A long, valid Basic value (a 3000-byte password) and one byte past the buffer. */
START_TEST(test_basic_long)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char plain[3003];
	char value[6 + 4004 + 1];
	size_t n = 0, k = 6, ulen, plen;
	struct guard out;

	memcpy(plain, "u:", 2);
	for (n = 2; n < sizeof plain; n++)
		plain[n] = (char)('a' + n % 26);
	memcpy(value, "Basic ", 6);
	for (size_t i = 0; i < sizeof plain; i += 3) {
		unsigned w = (unsigned char)plain[i] << 16 | (unsigned char)plain[i + 1] << 8 |
			     (unsigned char)plain[i + 2];
		value[k++] = b64[w >> 18];
		value[k++] = b64[w >> 12 & 63];
		value[k++] = b64[w >> 6 & 63];
		value[k++] = b64[w & 63];
	}
	guard_init(&out, sizeof plain + 1);
	ck_assert_int_eq(ymk__auth_basic(value, k, out.at, sizeof plain + 1, &ulen, &plen), 0);
	ck_assert_uint_eq(ulen, 1);
	ck_assert_uint_eq(plen, sizeof plain - 2);
	ck_assert(memcmp(out.at + 2, plain + 2, plen) == 0);
	guard_free(&out);
	ck_assert_int_eq(ymk__auth_basic(value, k, plain, 1, &ulen, &plen), BAD);
}
END_TEST

START_TEST(test_public_wrappers)
{
	char buf[64];
	const char *user = "x", *pass = "x", *tok = "x";
	size_t len = 9;

	ck_assert_int_eq(ymk_auth_basic("Basic dXNlcjpwYXNz", buf, sizeof buf, &user, &pass), 0);
	ck_assert_str_eq(user, "user");
	ck_assert_str_eq(pass, "pass");
	ck_assert_ptr_eq(user, buf);
	ck_assert_int_eq(ymk_auth_basic(NULL, buf, sizeof buf, &user, &pass), NO);
	ck_assert_ptr_null(user);
	ck_assert_ptr_null(pass);
	ck_assert_int_eq(ymk_auth_basic("Basic dXNlcg==", buf, sizeof buf, &user, &pass), BAD);
	ck_assert_ptr_null(user);
	ck_assert_int_eq(ymk_auth_basic("Basic dXNlcjpwYXNz", buf, 10, &user, &pass), 0);
	ck_assert_int_eq(ymk_auth_basic("Basic dXNlcjpwYXNz", buf, 9, &user, &pass), BAD);
	ck_assert_int_eq(ymk_auth_basic("Basic dXNlcjpwYXNz", NULL, 64, &user, &pass), YMK_EINVAL);
	ck_assert_int_eq(ymk_auth_basic("Basic dXNlcjpwYXNz", buf, 64, NULL, &pass), YMK_EINVAL);
	ck_assert_int_eq(ymk_auth_basic("Basic dXNlcjpwYXNz", buf, 64, &user, NULL), YMK_EINVAL);

	const char *v = "Bearer tok-1";
	ck_assert_int_eq(ymk_auth_bearer(v, &tok, &len), 0);
	ck_assert_ptr_eq(tok, v + 7);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(ymk_auth_bearer(v, &tok, NULL), 0);
	ck_assert_str_eq(tok, "tok-1");
	ck_assert_int_eq(ymk_auth_bearer(NULL, &tok, &len), NO);
	ck_assert_ptr_null(tok);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(ymk_auth_bearer("Bearer a b", &tok, &len), BAD);
	ck_assert_int_eq(ymk_auth_bearer(v, NULL, &len), YMK_EINVAL);
	ck_assert_str_eq(ymk_strerror(NO), "no credentials of this scheme");
	ck_assert_str_eq(ymk_strerror(BAD), "malformed credentials");
}
END_TEST

struct equal_case {
	const char *a;
	size_t alen;
	const char *b;
	size_t blen;
	int want;
};

static const struct equal_case equal[] = {
	{S("secret"), S("secret"), 1},
	{S("secret"), S("secreT"), 0},
	{S("secret"), S("Secret"), 0},
	{S("secret"), S("secre"), 0},
	{S("secre"), S("secret"), 0},
	{S("secret"), S("secret\0"), 0},
	{S("a\0b"), S("a\0b"), 1},
	{S("a\0b"), S("a\0c"), 0},
	{S(""), S(""), 1},
	{S(""), S("x"), 0},
	{S("x"), S(""), 0},
	{S("\x80\xff"), S("\x80\xff"), 1},
	{S("\x80\xff"), S("\x80\xfe"), 0},
};

START_TEST(test_secret_equal)
{
	const struct equal_case *c = &equal[_i];
	struct guard ga, gb;

	/* Both at a guard page: a read past either length faults. */
	guard_init(&ga, c->alen);
	guard_init(&gb, c->blen);
	memcpy(ga.at, c->a, c->alen);
	memcpy(gb.at, c->b, c->blen);
	ck_assert_msg(ymk_secret_equal(ga.at, c->alen, gb.at, c->blen) == c->want, "equal row %d", _i);
	ck_assert_msg(ymk_secret_equal(gb.at, c->blen, ga.at, c->alen) == c->want, "equal row %d swapped",
		      _i);
	guard_free(&ga);
	guard_free(&gb);
}
END_TEST

START_TEST(test_secret_equal_null)
{
	ck_assert_int_eq(ymk_secret_equal(NULL, 0, NULL, 0), 1);
	ck_assert_int_eq(ymk_secret_equal(NULL, 0, "", 0), 1);
	ck_assert_int_eq(ymk_secret_equal(NULL, 1, "a", 1), 0);
	ck_assert_int_eq(ymk_secret_equal("a", 1, NULL, 1), 0);
}
END_TEST

static Suite *auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_basic_table, 0, (int)NBASIC);
	tcase_add_loop_test(tc, test_bearer_table, 0, (int)NBEARER);
	tcase_add_test(tc, test_basic_long);
	tcase_add_test(tc, test_public_wrappers);
	tcase_add_loop_test(tc, test_secret_equal, 0, (int)(sizeof equal / sizeof equal[0]));
	tcase_add_test(tc, test_secret_equal_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(auth_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
