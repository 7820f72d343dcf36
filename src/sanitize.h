/* sanitize.h — make outside bytes (logs, cmdlines, config, HTTP) safe to
 * show on a terminal or put in a report.
 *
 * Policy (sanitize_text):
 *  - output is valid UTF-8 and always NUL-terminated (when size > 0);
 *  - TAB becomes one space;
 *  - every other C0 control (0x00-0x1F: NUL, BEL, BS, ESC, CR, LF, ...),
 *    DEL (0x7F), every C1 control U+0080-U+009F (raw byte or UTF-8
 *    encoded), bidi controls (U+061C, U+200E, U+200F, U+202A-U+202E,
 *    U+2066-U+2069) and every ill-formed UTF-8 sequence (overlong,
 *    surrogate, > U+10FFFF, truncated, stray continuation byte) become
 *    U+FFFD, one per code point / per maximal ill-formed subpart, so the
 *    reader sees that something was there. An escape sequence such as
 *    "\x1b[31m" thus prints as "\uFFFD[31m": inert text;
 *  - truncation never splits a UTF-8 sequence.
 * sanitize_ascii applies the same rules but writes pure printable ASCII:
 * every replaced or non-ASCII code point becomes a single '?'.
 * sanitize_json keeps C0 controls (jansson escapes them) and replaces only
 * ill-formed UTF-8, NUL, C1 and bidi controls: for json_stringn.
 *
 * All return the number of bytes written, excluding the NUL. */
#ifndef GW_SANITIZE_H
#define GW_SANITIZE_H

#include <stddef.h>

size_t sanitize_text(char *dst, size_t size, const char *src, size_t len);
/* All three mask secrets first (sanitize_mask): every sink that shows
 * outside text (screen, text / JSON / Prometheus reports) goes through
 * them, so none prints a password. */
size_t sanitize_ascii(char *dst, size_t size, const char *src, size_t len);
size_t sanitize_json(char *dst, size_t size, const char *src, size_t len);

/* Display columns of an (already sanitized) string: wcwidth() per decoded
 * code point (needs an UTF-8 LC_CTYPE to know wide characters); anything
 * non-printable or ill-formed counts 1. Never negative. */
int sanitize_width(const char *s);

/* Decode one code point from s (at most len bytes, len >= 1). Returns the
 * number of bytes consumed (>= 1); *cp is the code point, or -1 when the
 * bytes are ill-formed (then the return value is the maximal ill-formed
 * subpart to replace by one U+FFFD). */
size_t sanitize_decode(const unsigned char *s, size_t len, long *cp);

/* Secrets (the one masking function of gwtop; every sink uses it):
 *  - the password of a URL's user info: "scheme://user:PASSWORD@host",
 *    up to the LAST '@' of the token (blanks, quotes and <> end a token),
 *    so a password holding '/', '+', '=', '?' or '@' (base64) is covered;
 *  - the value of a secret key, "KEY=VALUE" / "KEY = VALUE" or a quoted
 *    "KEY": "VALUE" (JSON, Python repr), where KEY ends with password,
 *    passwd, secret, token, secret_key, api_key, apikey (sslpassword,
 *    PGPASSWORD, client_secret) or its last word is pass, pwd, pw, auth
 *    (DB_PASS, MYSQL_PWD). A bare value ends at a blank, '&', ';' or a
 *    quote; a quoted one at its closing quote.
 * Each secret becomes "***". Writes at most size-1 bytes and a NUL;
 * returns the bytes written. The output may be up to 2 bytes per secret
 * longer than the input: 2 * len + 1 always fits. */
size_t sanitize_mask(char *dst, size_t size, const char *src, size_t len);
/* The same on a NUL-terminated string in a buffer of size bytes (the
 * result is cut to fit). Returns the new length. */
size_t sanitize_mask_inplace(char *buf, size_t size);
/* 0 when s[0..len) cannot hold a secret by the rules above (no '@', no
 * '=', no quoted key): a fast pre-check. */
int sanitize_mask_hint(const char *s, size_t len);

#endif
