/* test_sanitize.c — the terminal sanitizer: specific hostile inputs and a
 * property test over random byte strings, checked by an independent UTF-8
 * validator written here (not sanitize_decode). */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sanitize.h"

#define FFFD "\xef\xbf\xbd"

/* Independent check: returns 1 if s[0..len) is valid UTF-8 and contains no
 * C0 (< 0x20), DEL, C1 (U+0080-U+009F) nor bidi controls; fills the number
 * of code points. Table-free, written from RFC 3629. */
static int check_clean_utf8(const unsigned char *s, size_t len, int allow_c0)
{
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		unsigned long cp;
		size_t n;
		if (c < 0x80) { cp = c; n = 1; }
		else if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; n = 2; }
		else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; n = 3; }
		else if ((c & 0xF8) == 0xF0) { cp = c & 0x07; n = 4; }
		else return 0;
		if (i + n > len) return 0;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80) return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		/* overlong */
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
		if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
		if (!allow_c0 && cp < 0x20) return 0;
		if (cp == 0) return 0;
		if (cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) return 0;
		if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) return 0;
		i += n;
	}
	return 1;
}

static size_t san(char *dst, size_t size, const char *src)
{
	return sanitize_text(dst, size, src, strlen(src));
}

static void test_plain_passthrough(void **state)
{
	(void)state;
	char out[128];
	assert_int_equal(san(out, sizeof out, "GET /api HTTP/1.1"), 17);
	assert_string_equal(out, "GET /api HTTP/1.1");
	/* valid multi-byte kept: é, €, 𝄞 */
	const char *u = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e";
	san(out, sizeof out, u);
	assert_string_equal(out, u);
	/* tab -> space */
	san(out, sizeof out, "a\tb");
	assert_string_equal(out, "a b");
}

static void test_csi_and_osc(void **state)
{
	(void)state;
	char out[128];
	san(out, sizeof out, "\x1b[31mred\x1b[0m");
	assert_string_equal(out, FFFD "[31mred" FFFD "[0m");
	assert_null(strchr(out, 0x1b));
	san(out, sizeof out, "\x1b]0;title\x07rest");
	assert_string_equal(out, FFFD "]0;title" FFFD "rest");
	/* ASCII flavour */
	sanitize_ascii(out, sizeof out, "\x1b]0;t\x07", 6);
	assert_string_equal(out, "?]0;t?");
}

static void test_c1(void **state)
{
	(void)state;
	char out[64];
	/* raw 8-bit CSI (invalid UTF-8) */
	san(out, sizeof out, "a\x9b" "31mb");
	assert_string_equal(out, "a" FFFD "31mb");
	/* UTF-8 encoded C1: U+009B, U+0085 (NEL) */
	san(out, sizeof out, "a\xc2\x9b" "31m\xc2\x85");
	assert_string_equal(out, "a" FFFD "31m" FFFD);
	sanitize_ascii(out, sizeof out, "a\xc2\x9b" "x", 4);
	assert_string_equal(out, "a?x");
	/* DEL, BS, CR, LF, BEL */
	san(out, sizeof out, "x\x7f\x08\r\n\x07y");
	assert_string_equal(out, "x" FFFD FFFD FFFD FFFD FFFD "y");
}

static void test_bidi(void **state)
{
	(void)state;
	char out[64];
	/* RLO U+202E, LRI U+2066, PDI U+2069 */
	san(out, sizeof out, "ab\xe2\x80\xae" "cd\xe2\x81\xa6x\xe2\x81\xa9");
	assert_string_equal(out, "ab" FFFD "cd" FFFD "x" FFFD);
	/* U+2028 (not bidi) stays, U+202F stays */
	san(out, sizeof out, "\xe2\x80\xaf");
	assert_string_equal(out, "\xe2\x80\xaf");
}

static void test_nul_inside(void **state)
{
	(void)state;
	char out[64];
	const char in[] = "ab\0cd";
	size_t n = sanitize_text(out, sizeof out, in, 5);
	assert_int_equal(n, 2 + 3 + 2);
	assert_memory_equal(out, "ab" FFFD "cd", 8);
	n = sanitize_ascii(out, sizeof out, in, 5);
	assert_string_equal(out, "ab?cd");
	n = sanitize_json(out, sizeof out, in, 5);
	assert_string_equal(out, "ab" FFFD "cd");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	char out[64];
	san(out, sizeof out, "\xc0\xaf");            /* overlong '/' */
	assert_string_equal(out, FFFD FFFD);
	san(out, sizeof out, "\xe0\x80\xaf");        /* overlong 3-byte */
	assert_string_equal(out, FFFD FFFD FFFD);
	san(out, sizeof out, "\xed\xa0\x80");        /* surrogate D800 */
	assert_string_equal(out, FFFD FFFD FFFD);
	san(out, sizeof out, "\xf4\x90\x80\x80");    /* > U+10FFFF */
	assert_string_equal(out, FFFD FFFD FFFD FFFD);
	san(out, sizeof out, "\xff" "a");
	assert_string_equal(out, FFFD "a");
	/* truncated 3-byte sequence at the end of the input: one U+FFFD */
	san(out, sizeof out, "ok\xe2\x82");
	assert_string_equal(out, "ok" FFFD);
	/* truncated sequence followed by ASCII: the ASCII survives */
	san(out, sizeof out, "\xe2\x82z");
	assert_string_equal(out, FFFD "z");
}

static void test_truncation(void **state)
{
	(void)state;
	char out[8];
	/* "ab€€": 2 + 3 + 3 = 8 bytes, buffer holds 7 + NUL: the second € must not be split */
	size_t n = san(out, sizeof out, "ab\xe2\x82\xac\xe2\x82\xac");
	assert_int_equal(n, 5);
	assert_string_equal(out, "ab\xe2\x82\xac");
	/* a 3-byte sequence that reaches exactly the buffer end (truncated in the input) */
	char o2[6];
	n = san(o2, sizeof o2, "abc\xe2\x82");
	assert_int_equal(n, 3);                         /* FFFD does not fit after "abc" in 5 bytes */
	assert_string_equal(o2, "abc");
	/* size 1: just the NUL; size 0: nothing touched */
	char o3[1] = { 'x' };
	assert_int_equal(san(o3, 1, "abc"), 0);
	assert_int_equal(o3[0], '\0');
	char o4[2] = { 'x', 'y' };
	assert_int_equal(sanitize_text(o4, 0, "abc", 3), 0);
	assert_int_equal(o4[0], 'x');
	/* NULL source with len 0 is an empty string */
	assert_int_equal(sanitize_text(out, sizeof out, NULL, 0), 0);
	assert_string_equal(out, "");
}

static void test_json_mode_keeps_c0(void **state)
{
	(void)state;
	char out[64];
	sanitize_json(out, sizeof out, "a\nb\tc\x1b[0m\xc2\x9b\xff", 12);
	assert_string_equal(out, "a\nb\tc\x1b[0m" FFFD FFFD);
	assert_true(check_clean_utf8((const unsigned char *)out, strlen(out), 1));
}

static void test_width(void **state)
{
	(void)state;
	assert_int_equal(sanitize_width(""), 0);
	assert_int_equal(sanitize_width("abc"), 3);
	assert_int_equal(sanitize_width(NULL), 0);
	assert_int_equal(sanitize_width("caf\xc3\xa9"), 4);
	/* control chars count 1, never negative */
	assert_int_equal(sanitize_width("\x1b\x07"), 2);
	assert_int_equal(sanitize_width("\xff\xfe"), 2);
	/* CJK is wide in a UTF-8 locale (C.UTF-8 set in main) */
	assert_int_equal(sanitize_width("\xe6\x97\xa5"), 2);     /* 日 */
	assert_int_equal(sanitize_width("e\xcc\x81"), 1);        /* e + combining acute */
}

/* xorshift64*: a fixed seed makes failures reproducible */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

/* Biased generator: mixes raw bytes with interesting fragments. */
static size_t gen(unsigned char *buf, size_t cap)
{
	static const char *const frag[] = {
		"\x1b[", "\x1b]", "\x07", "\x9b", "\xc2\x9b", "\xc2\x85", "\xe2\x80\xae",
		"\xe2\x81\xa6", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\xe0\x80",
		"\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xe6\x97\xa5", "\r\n", "\t", "A",
	};
	size_t n = rng() % cap, i = 0;
	while (i < n) {
		uint64_t r = rng();
		if (r % 3 == 0) {
			const char *f = frag[(r >> 8) % (sizeof frag / sizeof *frag)];
			size_t fl = strlen(f);
			if (i + fl > n) break;
			memcpy(buf + i, f, fl);
			i += fl;
		} else {
			buf[i++] = (unsigned char)(r >> 16);
		}
	}
	return i;
}

static void test_property_random(void **state)
{
	(void)state;
	unsigned char in[96];
	char out[400], small[17], asc[128], js[400];
	for (int iter = 0; iter < 300000; iter++) {
		size_t len = gen(in, sizeof in);
		size_t n = sanitize_text(out, sizeof out, (const char *)in, len);
		if (n != strlen(out) || !check_clean_utf8((unsigned char *)out, n, 0))
			fail_msg("iteration %d: unclean text output", iter);
		if (memchr(out, 0x1b, n))
			fail_msg("iteration %d: ESC survived", iter);
		/* a small buffer truncates but still yields a clean, complete prefix */
		size_t m = sanitize_text(small, sizeof small, (const char *)in, len);
		if (m >= sizeof small || m != strlen(small) ||
		    !check_clean_utf8((unsigned char *)small, m, 0) || memcmp(small, out, m) != 0)
			fail_msg("iteration %d: bad truncated output", iter);
		size_t a = sanitize_ascii(asc, sizeof asc, (const char *)in, len);
		for (size_t k = 0; k < a; k++)
			if ((unsigned char)asc[k] < 0x20 || (unsigned char)asc[k] >= 0x7F)
				fail_msg("iteration %d: non-printable ASCII byte %#x", iter, (unsigned char)asc[k]);
		size_t j = sanitize_json(js, sizeof js, (const char *)in, len);
		if (j != strlen(js) || !check_clean_utf8((unsigned char *)js, j, 1))
			fail_msg("iteration %d: invalid json-mode output", iter);
		if (sanitize_width(out) < 0 || sanitize_width((const char *)asc) != (int)a)
			fail_msg("iteration %d: bad width", iter);
		/* width of raw (unsanitized, NUL-terminated) input is never negative */
		in[len < sizeof in ? len : sizeof in - 1] = 0;
		if (sanitize_width((const char *)in) < 0)
			fail_msg("iteration %d: negative width", iter);
	}
}


/* ------------------------------------------------------------ secrets */

static const char *mask(const char *src)
{
	static char out[1024];
	sanitize_mask(out, sizeof out, src, strlen(src));
	return out;
}

static void test_mask_url_userinfo(void **state)
{
	(void)state;
	assert_string_equal(mask("postgresql://app:S3cret@127.0.0.1:5432/app"),
	    "postgresql://app:***@127.0.0.1:5432/app");
	/* base64 password with '/', '+', '=': up to the LAST '@' */
	assert_string_equal(mask("DATABASE_URL=postgres://app:q8/Zk+4w/Xy==@db.internal:5432/app?sslmode=require"),
	    "DATABASE_URL=postgres://app:***@db.internal:5432/app?sslmode=require");
	assert_string_equal(mask("redis://:a/b@c@cache:6379/0"), "redis://:***@cache:6379/0");
	assert_string_equal(mask("x amqp://u:p?w#d@mq/ y"), "x amqp://u:***@mq/ y");
	/* no password: nothing to hide, nothing changed */
	assert_string_equal(mask("mysql://user@db/app"), "mysql://user@db/app");
	assert_string_equal(mask("http://127.0.0.1:8000/health"), "http://127.0.0.1:8000/health");
	assert_string_equal(mask("see https://example.com:8443/a and http://h:1/b"),
	    "see https://example.com:8443/a and http://h:1/b");
	/* two URLs in one line, each masked on its own */
	assert_string_equal(mask("a=postgres://u:x/y@h1/d,redis://:z/w@h2/0"),
	    "a=postgres://u:***@h1/d,redis://:***@h2/0");
	/* quoted in a Python repr */
	assert_string_equal(mask("OperationalError('postgres://app:Zm9v/YmFy@10.0.0.5/app')"),
	    "OperationalError('postgres://app:***@10.0.0.5/app')");
}

static void test_mask_key_values(void **state)
{
	(void)state;
	assert_string_equal(mask("host=db user=app password=hunter2 sslpassword=k3y/pass dbname=app"),
	    "host=db user=app password=*** sslpassword=*** dbname=app");
	assert_string_equal(mask("postgres://db/app?user=a&password=zz&sslmode=require"),
	    "postgres://db/app?user=a&password=***&sslmode=require");
	assert_string_equal(mask("PGPASSWORD='two words' psql"), "PGPASSWORD='***' psql");
	assert_string_equal(mask("DB_PASS = s3cr3t;Server=db"), "DB_PASS = ***;Server=db");
	assert_string_equal(mask("MYSQL_PWD=x CLIENT_SECRET=abc API_TOKEN=t0k SECRET_KEY=django"),
	    "MYSQL_PWD=*** CLIENT_SECRET=*** API_TOKEN=*** SECRET_KEY=***");
	assert_string_equal(mask("{\"user\": \"app\", \"password\": \"p@ss w\"}"),
	    "{\"user\": \"app\", \"password\": \"***\"}");
	/* not secrets */
	assert_string_equal(mask("bypass=1 compass=n passenger=x upstream=app"),
	    "bypass=1 compass=n passenger=x upstream=app");
	assert_string_equal(mask("FATAL: password authentication failed for user \"app\""),
	    "FATAL: password authentication failed for user \"app\"");
	assert_string_equal(mask("password= x"), "password= ***");
	assert_string_equal(mask("password="), "password=");
	/* idempotent */
	assert_string_equal(mask("password=*** postgres://u:***@h/d"), "password=*** postgres://u:***@h/d");
}

static void test_mask_sinks(void **state)
{
	(void)state;
	char out[256];
	const char *line = "\x1b[31mERROR could not connect to postgres://app:ab/cd+ef==@db/app password=x\x1b[0m";
	sanitize_text(out, sizeof out, line, strlen(line));
	assert_null(strstr(out, "ab/cd"));
	assert_null(strstr(out, "password=x"));
	assert_non_null(strstr(out, "postgres://app:***@db/app"));
	sanitize_ascii(out, sizeof out, line, strlen(line));
	assert_null(strstr(out, "ab/cd"));
	assert_non_null(strstr(out, "password=***"));
	sanitize_json(out, sizeof out, line, strlen(line));
	assert_null(strstr(out, "ab/cd"));
	/* in place, cut to the buffer, never a part of the secret */
	char buf[40] = "x postgres://u:longsecret/xy@host/db";
	sanitize_mask_inplace(buf, sizeof buf);
	assert_string_equal(buf, "x postgres://u:***@host/db");
	char small[12] = "pw=abcdefg";
	sanitize_mask_inplace(small, sizeof small);
	assert_string_equal(small, "pw=***");
	/* a short secret grows: still within 2 * len + 1 */
	char grow[16];
	assert_int_equal(sanitize_mask(grow, sizeof grow, "pw=a pw=b", 9), 13);
	assert_string_equal(grow, "pw=*** pw=***");
	assert_int_equal(sanitize_mask_hint("plain text: no secret", 21), 0);
}

/* Random lines with a password planted in a URL or a key=value: the
 * password never survives sanitize_text (whatever is around it). */
static void test_mask_property(void **state)
{
	(void)state;
	static const char alpha[] = "ABCxyz019+/=?#@:.,;-_ ";
	static const char *const pre[] = { "postgres://app:", "DATABASE_URL=mysql://u:", "password=",
		"sslpassword=", "DB_PASSWORD=\"", "'password': '" };
	static const char *const post[] = { "@db:5432/app", "@10.0.0.5/x?a=b", " next", " next", "\" next",
		"' next" };
	srand(1234);
	for (int iter = 0; iter < 20000; iter++) {
		size_t k = (size_t)rand() % (sizeof pre / sizeof *pre);
		char secret[24], line[256], out[1024];
		size_t sl = 6 + (size_t)rand() % 16;
		for (size_t i = 0; i < sl; i++) {
			/* url passwords: anything but blanks/quotes; key=value bare: no blank & ; */
			char c = alpha[(size_t)rand() % (sizeof alpha - 1)];
			if (c == ' ' || (k >= 2 && (c == '&' || c == ';' || c == '"' || c == '\'')) || c == ':')
				c = 'Q';
			if (k >= 2 && k <= 3 && (c == '@' || c == '=')) c = 'R';
			secret[i] = c;
		}
		secret[sl] = '\0';
		secret[0] = 'S';         /* never starts like "***" */
		snprintf(line, sizeof line, "lead %s%s%s tail", pre[k], secret, post[k]);
		sanitize_text(out, sizeof out, line, strlen(line));
		if (strstr(out, secret)) {
			print_error("secret %s survived in %s -> %s\n", secret, line, out);
			fail();
		}
	}
}

int main(void)
{
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "C.utf8");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_passthrough),
		cmocka_unit_test(test_csi_and_osc),
		cmocka_unit_test(test_c1),
		cmocka_unit_test(test_bidi),
		cmocka_unit_test(test_nul_inside),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_json_mode_keeps_c0),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_property_random),
		cmocka_unit_test(test_mask_url_userinfo),
		cmocka_unit_test(test_mask_key_values),
		cmocka_unit_test(test_mask_sinks),
		cmocka_unit_test(test_mask_property),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
