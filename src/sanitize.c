/* sanitize.c — strict UTF-8 decoding and the terminal / JSON filters
 * described in sanitize.h. No locale is needed except for the widths. */
#include "sanitize.h"

#include <string.h>
#include <wchar.h>

enum sanitize_mode { SANITIZE_TEXT, SANITIZE_ASCII, SANITIZE_JSON };

static const char sanitize_fffd[] = "\xef\xbf\xbd";

size_t sanitize_decode(const unsigned char *s, size_t len, long *cp)
{
	unsigned char b = s[0];
	unsigned char lo = 0x80, hi = 0xBF;     /* allowed range of the 2nd byte */
	size_t need, i;
	long c;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xC2 && b <= 0xDF) {
		need = 1; c = b & 0x1F;
	} else if (b >= 0xE0 && b <= 0xEF) {
		need = 2; c = b & 0x0F;
		if (b == 0xE0) lo = 0xA0;            /* overlong */
		if (b == 0xED) hi = 0x9F;            /* surrogates */
	} else if (b >= 0xF0 && b <= 0xF4) {
		need = 3; c = b & 0x07;
		if (b == 0xF0) lo = 0x90;            /* overlong */
		if (b == 0xF4) hi = 0x8F;            /* > U+10FFFF */
	} else {
		*cp = -1;                            /* continuation, C0/C1 lead, F5..FF */
		return 1;
	}
	for (i = 1; i <= need; i++) {
		if (i >= len) {                      /* truncated */
			*cp = -1;
			return i;
		}
		unsigned char t = s[i];
		if (i == 1 ? (t < lo || t > hi) : (t < 0x80 || t > 0xBF)) {
			*cp = -1;
			return i;                    /* maximal subpart: bytes before t */
		}
		c = (c << 6) | (t & 0x3F);
	}
	*cp = c;
	return need + 1;
}

static int sanitize_is_bidi(long cp)
{
	return cp == 0x061C || cp == 0x200E || cp == 0x200F ||
	    (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static size_t sanitize_run(char *dst, size_t size, const char *src, size_t len,
    enum sanitize_mode mode)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t in = 0, out = 0;

	if (size == 0)
		return 0;
	if (!src)
		len = 0;
	while (in < len) {
		long cp;
		size_t n = sanitize_decode(s + in, len - in, &cp);
		const char *emit = (const char *)s + in;
		size_t elen = n;
		int bad = cp < 0 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
		    sanitize_is_bidi(cp) || cp == 0;

		if (cp == '\t' && mode != SANITIZE_JSON) {
			emit = " "; elen = 1;
		} else if (cp >= 0 && cp < 0x20 && cp != 0) {
			if (mode != SANITIZE_JSON)
				bad = 1;             /* JSON: jansson escapes it */
		}
		if (bad) {
			if (mode == SANITIZE_ASCII) { emit = "?"; elen = 1; }
			else { emit = sanitize_fffd; elen = 3; }
		} else if (mode == SANITIZE_ASCII && cp >= 0x80) {
			emit = "?"; elen = 1;
		}
		if (out + elen > size - 1)
			break;                       /* never split a sequence */
		memcpy(dst + out, emit, elen);
		out += elen;
		in += n;
	}
	dst[out] = '\0';
	return out;
}

size_t sanitize_text(char *dst, size_t size, const char *src, size_t len)
{
	return sanitize_run(dst, size, src, len, SANITIZE_TEXT);
}

size_t sanitize_ascii(char *dst, size_t size, const char *src, size_t len)
{
	return sanitize_run(dst, size, src, len, SANITIZE_ASCII);
}

size_t sanitize_json(char *dst, size_t size, const char *src, size_t len)
{
	return sanitize_run(dst, size, src, len, SANITIZE_JSON);
}

int sanitize_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = s ? strlen(s) : 0, i = 0;
	int w = 0;

	while (i < len) {
		long cp;
		size_t n = sanitize_decode(p + i, len - i, &cp);
		int cw = cp < 0 ? 1 : wcwidth((wchar_t)cp);
		if (cw < 0)
			cw = 1;
		if (w > 0x3fffffff - cw)             /* absurdly long: saturate */
			return 0x3fffffff;
		w += cw;
		i += n;
	}
	return w;
}
