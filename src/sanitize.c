/* sanitize.c — strict UTF-8 decoding and the terminal / JSON filters
 * described in sanitize.h. No locale is needed except for the widths. */
#include "sanitize.h"

#include <stdlib.h>
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
	char stack[2048], *masked = NULL;

	if (size == 0)
		return 0;
	if (!src)
		len = 0;
	if (sanitize_mask_hint(src, len)) {
		/* secrets first, on a copy: "***" may be longer than what it
		 * hides (at most 2 bytes more per secret of >= 1 byte) */
		size_t need = 2 * len + 4;
		masked = need <= sizeof stack ? stack : malloc(need);
		if (!masked) {
			dst[0] = '\0';
			return 0;
		}
		len = sanitize_mask(masked, need, src, len);
		s = (const unsigned char *)masked;
	}
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
	if (masked && masked != stack)
		free(masked);
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

/* ------------------------------------------------------------ secrets */

static int sanitize_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int sanitize_key_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '-' || c == '.';
}

/* Does key k[0..n) end with suffix w (lower case)? */
static int sanitize_key_ends(const char *k, size_t n, const char *w)
{
	size_t wl = strlen(w);
	if (wl > n)
		return 0;
	for (size_t i = 0; i < wl; i++)
		if (sanitize_lower((unsigned char)k[n - wl + i]) != w[i])
			return 0;
	return 1;
}

/* A key whose value is a secret: ...password, ...passwd, ...secret,
 * ...token, ...secret_key / api_key / apikey, or a last word pass / pwd / pw
 * (DB_PASS, MYSQL_PWD; not "bypass"). */
static int sanitize_secret_key(const char *k, size_t n)
{
	static const char *const ends[] = { "password", "passwd", "secret", "token", "secret_key",
		"secret-key", "api_key", "apikey", "api-key" };
	static const char *const words[] = { "pass", "pwd", "pw", "auth" };
	for (size_t i = 0; i < sizeof ends / sizeof *ends; i++)
		if (sanitize_key_ends(k, n, ends[i]))
			return 1;
	for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
		size_t wl = strlen(words[i]);
		if (sanitize_key_ends(k, n, words[i]) &&
		    (n == wl || k[n - wl - 1] == '_' || k[n - wl - 1] == '-' || k[n - wl - 1] == '.'))
			return 1;
	}
	return 0;
}

static int sanitize_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0;
}

/* End of the token a URL's user info may span: blanks, quotes, <> end it. */
static size_t sanitize_token_end(const char *s, size_t i, size_t len)
{
	while (i < len && !sanitize_space((unsigned char)s[i]) && s[i] != '"' && s[i] != '\'' &&
	    s[i] != '<' && s[i] != '>')
		i++;
	return i;
}

/* If "://" starts at s+i: the span [*from, *to) of a password in the user
 * info ("scheme://user:PASSWORD@host", up to the LAST '@' of the token, so
 * that a password holding '/', '?' or '@' is still covered). */
static int sanitize_url_secret(const char *s, size_t len, size_t i, size_t *from, size_t *to)
{
	size_t a = i + 3, end = sanitize_token_end(s, a, len), c = a, at = 0;
	/* another URL in the same token ends this one */
	for (size_t k = a; k + 2 < end; k++)
		if (s[k] == ':' && s[k + 1] == '/' && s[k + 2] == '/') { end = k; break; }
	while (c < end && s[c] != ':' && s[c] != '/' && s[c] != '@' && s[c] != '?' && s[c] != '#')
		c++;
	if (c >= end || s[c] != ':')
		return 0;                    /* no "user:" before the host */
	for (size_t k = c + 1; k < end; k++)
		if (s[k] == '@') at = k;
	if (!at || at == c + 1)
		return 0;                    /* no '@' after it, or an empty password */
	*from = c + 1;
	*to = at;
	return 1;
}

/* If s[i] is '=' (or ':' after a quoted key) ending a secret key: the
 * value's span. The value may be quoted; else it ends at a blank, '&',
 * ';', ',' is kept (passwords hold it) or a quote. */
static int sanitize_kv_secret(const char *s, size_t len, size_t i, size_t *from, size_t *to)
{
	size_t ke = i, v = i + 1;
	int quoted_key = 0;
	if (s[i] == ':') {
		if (!i || (s[i - 1] != '"' && s[i - 1] != '\''))
			return 0;
		ke = i - 1;
		quoted_key = 1;
	}
	while (ke > 0 && (s[ke - 1] == ' ' || s[ke - 1] == '\t') && !quoted_key)
		ke--;
	size_t kb = ke;
	while (kb > 0 && sanitize_key_char((unsigned char)s[kb - 1]))
		kb--;
	if (kb == ke || !sanitize_secret_key(s + kb, ke - kb))
		return 0;
	while (v < len && (s[v] == ' ' || s[v] == '\t'))
		v++;
	if (v < len && (s[v] == '"' || s[v] == '\'')) {
		char q = s[v];
		size_t e = v + 1;
		while (e < len && s[e] != q && s[e] != '\n')
			e++;
		*from = v + 1;
		*to = e;
	} else {
		size_t e = v;
		while (e < len && !sanitize_space((unsigned char)s[e]) && s[e] != '&' && s[e] != ';' &&
		    s[e] != '"' && s[e] != '\'')
			e++;
		*from = v;
		*to = e;
	}
	if (*to == *from || (*to - *from == 3 && !memcmp(s + *from, "***", 3)))
		return 0;                    /* empty, or masked already */
	return 1;
}

size_t sanitize_mask(char *dst, size_t size, const char *src, size_t len)
{
	size_t in = 0, out = 0, from, to;

	if (size == 0)
		return 0;
	if (!src)
		len = 0;
#define SANITIZE_PUT(p, n) do { size_t n_ = (n); if (n_ > size - 1 - out) n_ = size - 1 - out; \
	memcpy(dst + out, (p), n_); out += n_; } while (0)
	while (in < len && out < size - 1) {
		char ch = src[in];
		int hit = 0;
		if (ch == ':' && in + 2 < len && src[in + 1] == '/' && src[in + 2] == '/')
			hit = sanitize_url_secret(src, len, in, &from, &to);
		else if (ch == '=' || ch == ':')
			hit = sanitize_kv_secret(src, len, in, &from, &to);
		if (!hit) {
			dst[out++] = ch;
			in++;
			continue;
		}
		SANITIZE_PUT(src + in, from - in);
		SANITIZE_PUT("***", 3);
		in = to;
	}
#undef SANITIZE_PUT
	dst[out] = '\0';
	return out;
}

size_t sanitize_mask_inplace(char *buf, size_t size)
{
	if (!buf || !size)
		return 0;
	size_t len = strnlen(buf, size - 1);
	if (!sanitize_mask_hint(buf, len))
		return len;
	char stack[1024];
	char *tmp = len < sizeof stack ? stack : malloc(len + 1);
	if (!tmp) {                              /* cannot mask: hide it all */
		buf[0] = '\0';
		return 0;
	}
	memcpy(tmp, buf, len);
	size_t n = sanitize_mask(buf, size, tmp, len);
	if (tmp != stack)
		free(tmp);
	return n;
}

int sanitize_mask_hint(const char *s, size_t len)
{
	return s && len && (memchr(s, '@', len) || memchr(s, '=', len) ||
	    (memchr(s, ':', len) && (memchr(s, '"', len) || memchr(s, '\'', len))));
}
