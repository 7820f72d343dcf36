/* fuzz_sanitize.c — libFuzzer target for the terminal sanitizer
 * (src/sanitize.c). The first input byte picks the output buffer size,
 * the rest is the untrusted text. Properties, for each of sanitize_text,
 * sanitize_ascii and sanitize_json:
 *  - the result is NUL-terminated, its length is the return value and
 *    fits the buffer; nothing is written past the buffer (ASan);
 *  - the output is valid UTF-8 (checked with an independent decoder here);
 *  - text: no C0 (not even TAB/LF), no DEL, no C1, no bidi controls;
 *  - ascii: only 0x20..0x7E;
 *  - json: no NUL, no C1, no bidi controls;
 *  - sanitize_width() of the text output is >= 0. */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

/* Independent strict UTF-8 decoder (RFC 3629): returns bytes used or 0. */
static size_t fz_utf8(const unsigned char *s, size_t n, long *cp)
{
	unsigned char c = s[0];
	size_t len;
	long v, min;
	if (c < 0x80) { *cp = c; return 1; }
	if (c >= 0xC2 && c <= 0xDF) { len = 2; v = c & 0x1F; min = 0x80; }
	else if (c >= 0xE0 && c <= 0xEF) { len = 3; v = c & 0x0F; min = 0x800; }
	else if (c >= 0xF0 && c <= 0xF4) { len = 4; v = c & 0x07; min = 0x10000; }
	else return 0;
	if (n < len) return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
	*cp = v;
	return len;
}

static int fz_bidi(long cp)
{
	return cp == 0x061C || cp == 0x200E || cp == 0x200F ||
	       (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

enum { FZ_TEXT, FZ_ASCII, FZ_JSON };

static void fz_check(const char *out, size_t ret, size_t size, int mode)
{
	if (size == 0) { if (ret != 0) abort(); return; }
	if (ret >= size) abort();
	if (strlen(out) != ret) abort();
	const unsigned char *s = (const unsigned char *)out;
	size_t i = 0;
	while (i < ret) {
		long cp;
		size_t n = fz_utf8(s + i, ret - i, &cp);
		if (!n) abort();                          /* invalid UTF-8 */
		if (cp >= 0x80 && cp <= 0x9F) abort();    /* C1 */
		if (fz_bidi(cp)) abort();
		if (mode == FZ_TEXT && (cp < 0x20 || cp == 0x7F)) abort();
		if (mode == FZ_ASCII && (cp < 0x20 || cp > 0x7E)) abort();
		if (mode == FZ_JSON && cp == 0) abort();
		i += n;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	if (!setlocale(LC_CTYPE, "C.UTF-8")) setlocale(LC_CTYPE, "");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) return 0;
	size_t cap = data[0];                 /* 0..255; 255 = roomy */
	if (cap == 255) cap = 4 * size + 8;
	const char *src = (const char *)data + 1;
	size_t len = size - 1;
	/* exact-size copies so ASan catches reads past len / writes past cap */
	char *in = malloc(len ? len : 1);
	char *out = malloc(cap ? cap : 1);
	if (!in || !out) abort();
	if (len) memcpy(in, src, len);

	size_t r = sanitize_text(out, cap, in, len);
	fz_check(out, r, cap, FZ_TEXT);
	if (cap && sanitize_width(out) < 0) abort();
	r = sanitize_ascii(out, cap, in, len);
	fz_check(out, r, cap, FZ_ASCII);
	r = sanitize_json(out, cap, in, len);
	fz_check(out, r, cap, FZ_JSON);

	/* sanitize_width on raw (unsanitized, NUL-terminated) bytes too */
	char *z = malloc(len + 1);
	if (!z) abort();
	if (len) memcpy(z, in, len);
	z[len] = '\0';
	if (sanitize_width(z) < 0) abort();
	long cp;
	if (len) {
		size_t n = sanitize_decode((const unsigned char *)in, len, &cp);
		if (n < 1 || n > len) abort();
	}
	free(z);
	free(in);
	free(out);
	return 0;
}
