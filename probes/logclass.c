/* logclass.c — pure classifiers for nginx error.log, app (gunicorn, uvicorn,
 * Python) and kernel lines. No I/O; works on (pointer, length) spans so a
 * line may hold NUL bytes or any binary junk.
 *
 * Message formats are those of nginx 1.22 (ngx_log.c: "%Y/%m/%d %T [level]
 * pid#tid: *conn msg (errno: text) while action, client: ..., server: ...,
 * request: "...", upstream: "...", host: "..."), gunicorn 20/21 glogging
 * ("[%Y-%m-%d %H:%M:%S %z] [pid] [LEVEL] msg"), uvicorn ("LEVEL:    msg") and
 * the kernel's mm/oom_kill.c ("%s: Killed process %d (%s) total-vm:..."). */
#include "logclass.h"
#include "sanitize.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct span {
	const char *p;
	size_t n;
};

static const char *logclass_find(struct span s, const char *needle)
{
	return memmem(s.p, s.n, needle, strlen(needle));
}

static int logclass_has(struct span s, const char *needle)
{
	return logclass_find(s, needle) != NULL;
}

static int logclass_starts(struct span s, const char *prefix)
{
	size_t l = strlen(prefix);
	return s.n >= l && memcmp(s.p, prefix, l) == 0;
}

/* Copy a span into a fixed buffer, truncating, always terminated. */
static void logclass_copy(char *dst, size_t size, const char *p, size_t n)
{
	if (!size) return;
	if (n > size - 1) n = size - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

/* Start the event: every field empty (strings "" — on the hot nginx path
 * only their first byte is cleared: zeroing the whole 2.7 KiB event cost
 * a fifth of the time per line), strip the line end, keep the raw line.
 * A field added to struct gw_log_event must be reset here. */
static struct span logclass_begin_lean(const char *line, size_t len, struct gw_log_event *ev)
{
	ev->time = 0;
	ev->err = 0;
	ev->pid = 0;
	ev->source[0] = ev->upstream[0] = ev->request[0] = ev->detail[0] = '\0';
	ev->kind = GW_LOG_OTHER;
	ev->level = GW_LV_INFO;
	if (!line) len = 0;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	logclass_copy(ev->line, sizeof ev->line, line ? line : "", len);
	return (struct span){ line ? line : "", len };
}

/* Start the event: zero all of it (app and kernel lines: not hot). */
static struct span logclass_begin(const char *line, size_t len, struct gw_log_event *ev)
{
	memset(ev, 0, sizeof *ev);
	return logclass_begin_lean(line, len, ev);
}

/* Exactly n decimal digits at *p (p < end); advances. */
static int logclass_digits(const char **p, const char *end, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (*p >= end || (unsigned)(**p - '0') > 9) return 0;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 1;
}

/* 1..10 digits; advances. */
static int logclass_number(const char **p, const char *end, long *out)
{
	long v = 0;
	int k = 0;
	while (*p < end && (unsigned)(**p - '0') <= 9 && k < 10) {
		v = v * 10 + (**p - '0');
		(*p)++, k++;
	}
	*out = v;
	return k > 0;
}

static int logclass_char(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c) return 0;
	(*p)++;
	return 1;
}

/* "YYYY?MM?DD HH:MM:SS" with sep between the date parts; fills tm. */
static int logclass_datetime(const char **p, const char *end, char sep, struct tm *tm)
{
	int y, mo, d, h, mi, se;
	if (!logclass_digits(p, end, 4, &y) || !logclass_char(p, end, sep) ||
	    !logclass_digits(p, end, 2, &mo) || !logclass_char(p, end, sep) ||
	    !logclass_digits(p, end, 2, &d) || !logclass_char(p, end, ' ') ||
	    !logclass_digits(p, end, 2, &h) || !logclass_char(p, end, ':') ||
	    !logclass_digits(p, end, 2, &mi) || !logclass_char(p, end, ':') ||
	    !logclass_digits(p, end, 2, &se))
		return 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return 0;
	memset(tm, 0, sizeof *tm);
	tm->tm_year = y - 1900;
	tm->tm_mon = mo - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = se;
	tm->tm_isdst = -1;
	return 1;
}

extern char **environ;

/* getenv("TZ") ("" when unset) without scanning the environment for every
 * line: the slot where TZ was found (or the terminator's, when unset) is
 * checked again instead. setenv/putenv/unsetenv replace, move or append
 * slot pointers, or move environ itself, so an unchanged environ and slot
 * pointer still holding "TZ=" mean an unchanged answer (putenv'd buffers
 * changed in place show in the value, which callers compare). Assumes no
 * clearenv (gwtop uses setenv only). Single-threaded, as gwtop. */
static const char *logclass_tz(void)
{
	static char **env;           /* environ when looked up */
	static size_t slot;          /* TZ's slot, or the terminating NULL's */
	static const char *entry;    /* env[slot] then */
	if (environ && environ == env && environ[slot] == entry) {
		if (!entry) return "";
		if (entry[0] == 'T' && entry[1] == 'Z' && entry[2] == '=') return entry + 3;
	}
	env = environ;
	slot = 0;
	entry = NULL;
	if (!env) return "";
	for (; env[slot]; slot++)
		if (env[slot][0] == 'T' && env[slot][1] == 'Z' && env[slot][2] == '=') {
			entry = env[slot];
			return entry + 3;
		}
	return "";
}

/* mktime for local time, cached per local hour: mktime consults the zone
 * (and stats /etc/localtime) on every call, which dominated reading a few
 * MiB of error.log. Zone offsets change only at whole hours' boundaries, so
 * an hour's start plus minutes and seconds is exact. The key includes $TZ.
 * Returns 0 if mktime cannot place the time. Single-threaded use only (as
 * the rest of gwtop). */
static int logclass_localtime(const struct tm *tm, double *out)
{
	static struct { int y, mo, d, h; char tz[64]; double base; int valid; } c;
	const char *tz = logclass_tz();
	if (!c.valid || c.y != tm->tm_year || c.mo != tm->tm_mon || c.d != tm->tm_mday ||
	    c.h != tm->tm_hour || strncmp(c.tz, tz, sizeof c.tz)) {
		struct tm h = *tm;
		h.tm_min = h.tm_sec = 0;
		h.tm_isdst = -1;
		time_t t = mktime(&h);
		if (t == (time_t)-1) return 0;
		c.y = tm->tm_year; c.mo = tm->tm_mon; c.d = tm->tm_mday; c.h = tm->tm_hour;
		logclass_copy(c.tz, sizeof c.tz, tz, strnlen(tz, sizeof c.tz - 1));
		c.base = (double)t;
		c.valid = 1;
	}
	*out = c.base + tm->tm_min * 60 + tm->tm_sec;
	return 1;
}

/* ---------------------------------------------------------------- nginx */

/* The nginx classifier runs on every line the live stream reads (and on a
 * whole error.log at start-up), so it is one pass over the line instead of
 * a memmem per phrase: the prefix is parsed by position (the time through
 * a per-minute cache), the message head is walked once, 16 bytes at a
 * time, visiting only the bytes a phrase can be anchored on (',' for
 * ", client: ", '(' for the errno and "connect() ", 'u' for "upstream...",
 * 'v' for "...resolv..."), and each hit is confirmed by comparing the whole
 * phrase. Every phrase holds its anchor byte at a fixed offset, so checking
 * each anchor hit finds every occurrence memmem would: the results are
 * those of searching the phrases one by one (tests/unit/test_logclass.c
 * keeps that reference and compares both on real and mutated lines). The
 * context fields (request, upstream) are found forward from ", client: "
 * as before, so a request holding `, upstream: "` cannot fool them. */

#define LOGCLASS_LIT(s) (s), (sizeof(s) - 1)

static int logclass_lower(int c)
{
	return (unsigned)(c - 'a') < 26;
}

/* The n bytes of lit start `back` bytes before q, inside [lo, end). */
static inline __attribute__((always_inline)) int logclass_at(const char *lo, const char *end, const char *q, size_t back,
		       const char *lit, size_t n)
{
	if ((size_t)(q - lo) < back) return 0;
	q -= back;
	return (size_t)(end - q) >= n && memcmp(q, lit, n) == 0;
}

/* The phrase lit holds the byte found at q (its first c): is it there? */
#define LOGCLASS_ANCHORED(lo, end, q, lit, c) \
	logclass_at((lo), (end), (q), (size_t)(strchr((lit), (c)) - (lit)), LOGCLASS_LIT(lit))

/* memchr for the short spans of one line: inline, 16 bytes at a time
 * (libc's memchr costs more in its call than in its scan here). */
static const char *logclass_chr(const char *p, const char *end, char c)
{
#ifdef __SSE2__
	__m128i cv = _mm_set1_epi8(c);
	for (; end - p >= 16; p += 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), cv));
		if (m) return p + __builtin_ctz(m);
	}
#endif
	for (; p < end; p++)
		if (*p == c) return p;
	return NULL;
}

/* First occurrence of the n-byte lit (starting with ',') in [p, end). */
static const char *logclass_comma_find(const char *p, const char *end, const char *lit, size_t n)
{
	while ((p = logclass_chr(p, end, ','))) {
		if ((size_t)(end - p) >= n && memcmp(p, lit, n) == 0) return p;
		p++;
	}
	return NULL;
}

/* End of a quoted field value starting at p: the '"' followed by
 * ", key: " or by the end of the line. */
static const char *logclass_value_end(const char *p, const char *end)
{
	const char *q = p;
	while ((q = logclass_chr(q, end, '"'))) {
		if (q + 1 == end) return q;
		if (q + 2 < end && q[1] == ',' && q[2] == ' ') {
			const char *k = q + 3;
			while (k < end && (logclass_lower((unsigned char)*k) || *k == '_')) k++;
			if (k > q + 3 && k + 1 < end && k[0] == ':' && k[1] == ' ') return q;
		}
		q++;
	}
	return end;
}

/* Copy the value of the first `, key: "...` (lit) in [p, end) into dst;
 * returns where the value ends (to search the next field after it), or p. */
static const char *logclass_field(const char *p, const char *end, const char *lit, size_t n,
				  char *dst, size_t size)
{
	const char *k = logclass_comma_find(p, end, lit, n);
	if (!k) return p;
	const char *v = k + n;
	const char *e = logclass_value_end(v, end);
	logclass_copy(dst, size, v, (size_t)(e - v));
	return e;
}

/* Phrases of the message head, as bits. */
enum {
	LC_RESOLVE = 1 << 0,         /* could not be resolved, host not found in upstream, while resolving */
	LC_NO_LIVE = 1 << 1,         /* no live upstreams */
	LC_BIG = 1 << 2,             /* upstream sent too big header */
	LC_INVALID = 1 << 3,         /* upstream sent invalid, upstream sent no valid */
	LC_PREMATURE = 1 << 4,       /* upstream prematurely closed connection */
	LC_TIMEOUT = 1 << 5,         /* upstream timed out */
	LC_UPSTREAM = 1 << 6,        /* "upstream" anywhere */
	LC_CONNECT = 1 << 7,         /* "connect() " anywhere */
	LC_TLS = 1 << 8,             /* SSL_do_handshake() failed, upstream SSL certificate verify error /
					does not match, SSL handshaking to upstream */
	LC_WORKER_CONNS = 1 << 9,    /* worker_connections are not enough */
};

/* The message head: up to ", client: " (or the end), its errno and phrases. */
struct lc_head {
	const char *end;             /* the ", client: " or the line's end */
	int err;                     /* the first "(N: ", 0 none */
	unsigned f;                  /* LC_* */
};

/* Bytes that start a check in logclass_head: bit i of the mask of a
 * 16-byte block is set when byte i is one of them. SSE2 where the target
 * has it (every x86-64), a table elsewhere and for the last partial block. */
static const unsigned char logclass_anchor[256] = { [','] = 1, ['('] = 1, ['u'] = 1, ['v'] = 1 };

static unsigned logclass_mask_tail(const char *p, size_t n)
{
	unsigned m = 0;
	for (size_t i = 0; i < n && i < 16; i++)
		m |= (unsigned)logclass_anchor[(unsigned char)p[i]] << i;
	return m;
}

static unsigned logclass_mask16(const char *p)
{
#ifdef __SSE2__
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(',')),
					      _mm_cmpeq_epi8(v, _mm_set1_epi8('('))),
				 _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('u')),
					      _mm_cmpeq_epi8(v, _mm_set1_epi8('v'))));
	return (unsigned)_mm_movemask_epi8(m);
#else
	return logclass_mask_tail(p, 16);
#endif
}

/* One pass over the message at [p, end), 16 bytes at a time, visiting
 * only the anchor bytes; stops at ", client: ". None of the phrases holds
 * a ',', so one that starts in the head also ends there: checking against
 * the line's end is checking in the head. */
static void logclass_head(const char *p, const char *end, struct lc_head *h)
{
	const char *lo = p;
	h->err = 0;
	h->f = 0;
	for (const char *blk = p; blk < end; blk += 16) {
		size_t left = (size_t)(end - blk);
		unsigned m = left >= 16 ? logclass_mask16(blk) : logclass_mask_tail(blk, left);
		for (; m; m &= m - 1) {
			const char *q = blk + __builtin_ctz(m);
			switch (*q) {
			case ',':
				if (logclass_at(lo, end, q, 0, LOGCLASS_LIT(", client: "))) {
					h->end = q;
					return;
				}
				break;
			case '(':
				/* the errno nginx appends: "(111: Connection refused)" */
				if (!h->err) {
					const char *d = q + 1;
					long v;
					if (logclass_number(&d, end, &v) && d + 1 < end && d[0] == ':' && d[1] == ' ')
						h->err = (int)v;
				}
				if (LOGCLASS_ANCHORED(lo, end, q, "connect() ", '('))
					h->f |= LC_CONNECT;
				if (LOGCLASS_ANCHORED(lo, end, q, "SSL_do_handshake() failed", '('))
					h->f |= LC_TLS;
				break;
			case 'u': {
				if (LOGCLASS_ANCHORED(lo, end, q, "worker_connections are not enough", 'u'))
					h->f |= LC_WORKER_CONNS;
				if ((size_t)(end - q) < 8 || memcmp(q, "upstream", 8)) break;
				const char *a = q + 8;           /* just after "upstream" */
				h->f |= LC_UPSTREAM;
				if (logclass_at(lo, end, q, 19, LOGCLASS_LIT("SSL handshaking to upstream")))
					h->f |= LC_TLS;
				if (logclass_at(lo, end, q, 18, LOGCLASS_LIT("host not found in upstream")))
					h->f |= LC_RESOLVE;
				if (logclass_at(lo, end, q, 8, LOGCLASS_LIT("no live upstreams")))
					h->f |= LC_NO_LIVE;
				if (a < end && *a == ' ') {
					if (logclass_at(lo, end, a, 0, LOGCLASS_LIT(" sent too big header")))
						h->f |= LC_BIG;
					if (logclass_at(lo, end, a, 0, LOGCLASS_LIT(" sent invalid")) ||
					    logclass_at(lo, end, a, 0, LOGCLASS_LIT(" sent no valid")))
						h->f |= LC_INVALID;
					if (logclass_at(lo, end, a, 0, LOGCLASS_LIT(" prematurely closed connection")))
						h->f |= LC_PREMATURE;
					if (logclass_at(lo, end, a, 0, LOGCLASS_LIT(" timed out")))
						h->f |= LC_TIMEOUT;
					if (logclass_at(lo, end, a, 0, LOGCLASS_LIT(" SSL certificate verify error")) ||
					    logclass_at(lo, end, a, 0, LOGCLASS_LIT(" SSL certificate does not match")))
						h->f |= LC_TLS;
				}
				break;
			}
			case 'v':
				if (LOGCLASS_ANCHORED(lo, end, q, "could not be resolved", 'v') ||
				    LOGCLASS_ANCHORED(lo, end, q, "while resolving", 'v') ||
				    LOGCLASS_ANCHORED(lo, end, q, "no resolver defined to resolve", 'v'))
					h->f |= LC_RESOLVE;
				break;
			default:
				break;
			}
		}
	}
	h->end = end;
}

static enum gw_log_kind logclass_nginx_kind(const struct lc_head *h, enum gw_level level)
{
	unsigned f = h->f;
	if (f & LC_RESOLVE) return GW_LOG_RESOLVE;
	if (f & LC_NO_LIVE) return GW_LOG_NO_LIVE;
	if (f & LC_BIG) return GW_LOG_BIG_HEADER;
	if (f & LC_INVALID) return GW_LOG_INVALID_HEADER;
	if (f & LC_PREMATURE) return GW_LOG_PREMATURE_CLOSE;
	if (f & LC_TLS) return GW_LOG_TLS;         /* a handshake that timed out or was reset too */
	if (f & LC_WORKER_CONNS) return GW_LOG_WORKER_CONNECTIONS;
	/* nginx's own fd limit hits accept(), socket(), open(): any side */
	if (h->err == 24 || h->err == 23) return GW_LOG_FD_LIMIT;   /* EMFILE, ENFILE */
	if (f & LC_TIMEOUT) return GW_LOG_TIMEOUT;
	/* errno-carrying failures count only on the upstream side of the
	 * request ("while connecting to upstream", "... from upstream") */
	if (h->err && (f & LC_UPSTREAM)) {
		int is_connect = (f & LC_CONNECT) != 0;
		switch (h->err) {
		case 111: return GW_LOG_CONNECT_REFUSED;       /* ECONNREFUSED */
		case 113: case 101:                            /* EHOSTUNREACH, ENETUNREACH */
			return is_connect ? GW_LOG_CONNECT_REFUSED : GW_LOG_OTHER;
		case 2:   return is_connect ? GW_LOG_SOCKET_NOENT : GW_LOG_OTHER;
		case 13:  return is_connect ? GW_LOG_SOCKET_EACCES : GW_LOG_OTHER;
		case 11:  return GW_LOG_AGAIN;                 /* EAGAIN: backlog full */
		case 104: case 32: return GW_LOG_RESET;        /* ECONNRESET, EPIPE */
		case 110: return GW_LOG_TIMEOUT;
		case 99:  return is_connect ? GW_LOG_ADDR_NOTAVAIL : GW_LOG_OTHER;   /* EADDRNOTAVAIL */
		default: break;
		}
	}
	if (level == GW_LV_EMERG)
		return GW_LOG_NGINX_EMERG;
	return GW_LOG_OTHER;
}

/* "[level]" at *p; advances past ']'. The first letter tells the level. */
static int logclass_nginx_level(const char **p, const char *end, enum gw_level *out)
{
	const char *q = *p;
	if (end - q < 2 || q[0] != '[') return 0;
	q++;
	switch (*q) {
#define LC_LEVEL(lit, lv) \
		if (logclass_at(q, end, q, 0, LOGCLASS_LIT(lit))) { *out = (lv); *p = q + sizeof(lit) - 1; return 1; }
	case 'd': LC_LEVEL("debug]", GW_LV_DEBUG); break;
	case 'i': LC_LEVEL("info]", GW_LV_INFO); break;
	case 'n': LC_LEVEL("notice]", GW_LV_NOTICE); break;
	case 'w': LC_LEVEL("warn]", GW_LV_WARN); break;
	case 'e': LC_LEVEL("error]", GW_LV_ERROR); LC_LEVEL("emerg]", GW_LV_EMERG); break;
	case 'c': LC_LEVEL("crit]", GW_LV_CRIT); break;
	case 'a': LC_LEVEL("alert]", GW_LV_ALERT); break;
#undef LC_LEVEL
	default: break;
	}
	return 0;
}

/* Two digits at p, or -1. */
static int logclass_d2(const char *p)
{
	unsigned a = (unsigned)(p[0] - '0'), b = (unsigned)(p[1] - '0');
	return a < 10 && b < 10 ? (int)(a * 10 + b) : -1;
}

/* "YYYY/MM/DD HH:MM" at p (at least 16 bytes) into tm's year, mon, mday,
 * hour, min (tm_year - 1900, tm_mon - 1; tm_isdst -1, the rest 0).
 * Returns 0 if the layout or a field's range is wrong. */
static int logclass_nginx_minute(const char *p, struct tm *tm)
{
	int y0 = logclass_d2(p), y1 = logclass_d2(p + 2), mo = logclass_d2(p + 5),
	    d = logclass_d2(p + 8), h = logclass_d2(p + 11), mi = logclass_d2(p + 14);
	if (y0 < 0 || y1 < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || p[4] != '/' ||
	    p[7] != '/' || p[10] != ' ' || p[13] != ':')
		return 0;
	int y = y0 * 100 + y1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59)
		return 0;
	*tm = (struct tm){ .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			   .tm_hour = h, .tm_min = mi, .tm_isdst = -1 };
	return 1;
}

/* ":SS" at p + 16: the seconds, -1 if not. */
static int logclass_nginx_second(const char *p)
{
	int se = logclass_d2(p + 17);
	return p[16] != ':' || se < 0 || se > 60 ? -1 : se;
}

int logclass_nginx_stamp(const char *p, size_t len, struct tm *tm)
{
	int se;
	if (!p || len < 19 || (se = logclass_nginx_second(p)) < 0 || !logclass_nginx_minute(p, tm))
		return 0;
	tm->tm_sec = se;
	return 1;
}

/* "YYYY/MM/DD HH:MM:SS" at p (at least 19 bytes) -> epoch seconds of the
 * local time in *t (0 if mktime cannot tell). Returns 0 if the layout or a
 * field's range is wrong. Cached per minute on the text "YYYY/MM/DD HH:MM"
 * and $TZ: a log holds runs of lines of the same minute, so the common
 * case is a memcmp, two digits and an add. Single-threaded (as gwtop). */
static int logclass_nginx_time(const char *p, double *t)
{
	static struct { char key[16]; char tz[64]; double base; int ok; int valid; } c;
	int se = logclass_nginx_second(p);
	if (se < 0) return 0;
	const char *tz = logclass_tz();
	if (!c.valid || memcmp(c.key, p, 16) || strncmp(c.tz, tz, sizeof c.tz)) {
		struct tm tm;
		if (!logclass_nginx_minute(p, &tm))
			return 0;
		c.ok = logclass_localtime(&tm, &c.base);
		memcpy(c.key, p, 16);
		logclass_copy(c.tz, sizeof c.tz, tz, strnlen(tz, sizeof c.tz - 1));
		c.valid = 1;
	}
	*t = c.ok ? c.base + se : 0;
	return 1;
}

/* full: also line, detail, request and upstream (the diagnosis quotes
 * them); without: kind, level, time, pid and err only (the live stream
 * keeps the raw text itself). */
static int logclass_nginx(const char *line, size_t len, struct gw_log_event *ev, int full)
{
	struct span s;
	if (full) {
		s = logclass_begin_lean(line, len, ev);
	} else {
		ev->time = 0;
		ev->err = 0;
		ev->pid = 0;
		ev->source[0] = ev->upstream[0] = ev->request[0] = ev->detail[0] = ev->line[0] = '\0';
		ev->kind = GW_LOG_OTHER;
		ev->level = GW_LV_INFO;
		if (!line) len = 0;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		s = (struct span){ line ? line : "", len };
	}
	const char *p = s.p, *end = s.p + s.n;
	enum gw_level level;
	double t = 0;

	if (s.n >= 8 && !memcmp(p, "nginx: [", 8)) {
		/* stderr form (journal of nginx.service, nginx -t):
		 * "nginx: [emerg] msg" — no time, no pid */
		p += 7;
		if (!logclass_nginx_level(&p, end, &level) || !logclass_char(&p, end, ' '))
			return 0;
	} else {
		long pid, tid;
		if (s.n < 20 || !logclass_nginx_time(p, &t) || p[19] != ' ')
			return 0;
		p += 20;
		if (!logclass_nginx_level(&p, end, &level) || !logclass_char(&p, end, ' ') ||
		    !logclass_number(&p, end, &pid) || !logclass_char(&p, end, '#') ||
		    !logclass_number(&p, end, &tid) || !logclass_char(&p, end, ':'))
			return 0;
		logclass_char(&p, end, ' ');
		ev->pid = (pid_t)pid;
		ev->time = t;
	}
	ev->level = level;
	if (p < end && *p == '*') {                     /* "*13 " connection number */
		const char *q = p + 1;
		long conn;
		if (logclass_number(&q, end, &conn) && logclass_char(&q, end, ' '))
			p = q;
	}

	/* the message up to the context nginx appends (", client: ...") */
	struct lc_head h;
	logclass_head(p, end, &h);
	ev->err = h.err;
	ev->kind = logclass_nginx_kind(&h, ev->level);
	if (!full)
		return 1;
	logclass_copy(ev->detail, sizeof ev->detail, p, (size_t)(h.end - p));
	if (h.end < end) {
		/* request: comes before upstream: (ngx_http_log_error_handler);
		 * search upstream: after the request's value, which the client
		 * controls */
		const char *after = logclass_field(h.end, end, LOGCLASS_LIT(", request: \""),
						   ev->request, sizeof ev->request);
		logclass_field(after, end, LOGCLASS_LIT(", upstream: \""), ev->upstream, sizeof ev->upstream);
	}
	return 1;
}

int logclass_nginx_error(const char *line, size_t len, struct gw_log_event *ev)
{
	return logclass_nginx(line, len, ev, 1);
}

int logclass_nginx_error_kind(const char *line, size_t len, struct gw_log_event *ev)
{
	return logclass_nginx(line, len, ev, 0);
}

/* ---------------------------------------------------------------- app */

static const struct { const char *name; enum gw_level level; } app_levels[] = {
	{ "DEBUG", GW_LV_DEBUG }, { "TRACE", GW_LV_DEBUG }, { "INFO", GW_LV_INFO },
	{ "WARNING", GW_LV_WARN }, { "ERROR", GW_LV_ERROR }, { "CRITICAL", GW_LV_CRIT },
};

static int logclass_app_level(const char *p, size_t n, enum gw_level *out)
{
	for (size_t i = 0; i < sizeof app_levels / sizeof *app_levels; i++)
		if (strlen(app_levels[i].name) == n && !memcmp(app_levels[i].name, p, n)) {
			*out = app_levels[i].level;
			return 1;
		}
	return 0;
}

/* "[2026-11-24 12:01:02 +0000] [1234] [ERROR] " -> fills ev, returns the
 * message start or NULL. */
static const char *logclass_gunicorn_prefix(struct span s, struct gw_log_event *ev)
{
	const char *p = s.p, *end = s.p + s.n;
	struct tm tm;
	int zh, zm;
	long pid;
	if (!logclass_char(&p, end, '[') || !logclass_datetime(&p, end, '-', &tm) ||
	    !logclass_char(&p, end, ' ') || p >= end || (*p != '+' && *p != '-'))
		return NULL;
	int sign = *p++ == '-' ? -1 : 1;
	if (!logclass_digits(&p, end, 2, &zh) || !logclass_digits(&p, end, 2, &zm) ||
	    !logclass_char(&p, end, ']') || !logclass_char(&p, end, ' ') ||
	    !logclass_char(&p, end, '[') || !logclass_number(&p, end, &pid) ||
	    !logclass_char(&p, end, ']') || !logclass_char(&p, end, ' ') ||
	    !logclass_char(&p, end, '['))
		return NULL;
	const char *lv = p;
	while (p < end && *p != ']' && p - lv < 10) p++;
	if (!logclass_app_level(lv, (size_t)(p - lv), &ev->level) || !logclass_char(&p, end, ']'))
		return NULL;
	logclass_char(&p, end, ' ');
	tm.tm_isdst = 0;
	ev->time = (double)(timegm(&tm) - sign * (zh * 3600 + zm * 60));
	ev->pid = (pid_t)pid;
	return p;
}

/* "ERROR:    msg" (uvicorn's default formatter pads to 10 columns). */
static const char *logclass_uvicorn_prefix(struct span s, struct gw_log_event *ev)
{
	const char *colon = memchr(s.p, ':', s.n < 10 ? s.n : 10);
	if (!colon || !logclass_app_level(s.p, (size_t)(colon - s.p), &ev->level))
		return NULL;
	const char *p = colon + 1, *end = s.p + s.n;
	if (p >= end || *p != ' ') return NULL;
	while (p < end && *p == ' ') p++;
	return p;
}

static int logclass_ident(int c)
{
	return isalnum(c) || c == '_';
}

/* Length of the exception name at the start of s, 0 if s is not an
 * exception line. */
static size_t logclass_exception_name(struct span s)
{
	static const char *const endings[] = { "Error", "Exception", "ImproperlyConfigured",
		"KeyboardInterrupt", "SystemExit" };
	size_t i = 0;
	if (!s.n || !(isalpha((unsigned char)s.p[0]) || s.p[0] == '_')) return 0;
	while (i < s.n && (logclass_ident((unsigned char)s.p[i]) || s.p[i] == '.')) i++;
	if (i > 200 || s.p[i - 1] == '.') return 0;
	if (i < s.n && !(s.p[i] == ':' && (i + 1 == s.n || s.p[i + 1] == ' '))) return 0;
	if (i == 5 && !memcmp(s.p, "Error", 5)) return 0;   /* "Error: ..." from anything */
	for (size_t k = 0; k < sizeof endings / sizeof *endings; k++) {
		size_t l = strlen(endings[k]);
		if (i >= l && !memcmp(s.p + i - l, endings[k], l)) return i;
	}
	return 0;
}

/* 'SECRET_KEY' — a quoted upper-case name: what os.environ["X"] raises. */
static int logclass_env_key(struct span m)
{
	if (m.n < 3 || m.p[0] != '\'' || m.p[m.n - 1] != '\'') return 0;
	if (!isupper((unsigned char)m.p[1])) return 0;
	for (size_t i = 1; i + 1 < m.n; i++)
		if (!isupper((unsigned char)m.p[i]) && !isdigit((unsigned char)m.p[i]) && m.p[i] != '_')
			return 0;
	return 1;
}

static int logclass_db_name(struct span name)
{
	static const char *const db[] = { "OperationalError", "redis.exceptions.ConnectionError",
		"ServerSelectionTimeoutError", "asyncpg.exceptions.", "InterfaceError",
		"psycopg.OperationalError", "pymysql.err.OperationalError" };
	for (size_t i = 0; i < sizeof db / sizeof *db; i++)
		if (logclass_has(name, db[i])) return 1;
	return 0;
}

static void logclass_exception(struct span m, size_t nlen, struct gw_log_event *ev)
{
	struct span name = { m.p, nlen };
	struct span msg = { m.p + nlen, m.n - nlen };
	if (msg.n && msg.p[0] == ':') { msg.p++; msg.n--; }
	while (msg.n && msg.p[0] == ' ') { msg.p++; msg.n--; }
	if (msg.n) logclass_copy(ev->detail, sizeof ev->detail, msg.p, msg.n);
	else logclass_copy(ev->detail, sizeof ev->detail, name.p, name.n);
	if (ev->level < GW_LV_ERROR) ev->level = GW_LV_ERROR;

	const char *dot = name.p + name.n;
	while (dot > name.p && dot[-1] != '.') dot--;
	struct span last = { dot, (size_t)(name.p + name.n - dot) };

	if (logclass_starts(last, "ModuleNotFoundError") || logclass_starts(last, "ImportError"))
		ev->kind = GW_LOG_APP_MODULE_NOT_FOUND;
	else if (logclass_starts(last, "ImproperlyConfigured") || logclass_has(last, "UndefinedValueError") ||
		 logclass_starts(last, "EnvError") ||
		 (last.n == 8 && logclass_starts(last, "KeyError") && logclass_env_key(msg)))
		ev->kind = GW_LOG_APP_CONFIG;
	else if (logclass_db_name(name) || logclass_has(msg, "could not connect to server") ||
		 logclass_has(msg, "connection to server at"))
		ev->kind = GW_LOG_APP_DB;
	else
		ev->kind = GW_LOG_APP_EXCEPTION;
}

/* "(pid:123)", "(pid: 123)", "pid 123" -> 123. */
static pid_t logclass_pid_in(struct span m)
{
	static const char *const keys[] = { "(pid:", "pid " };
	for (size_t i = 0; i < 2; i++) {
		const char *k = logclass_find(m, keys[i]);
		if (!k) continue;
		const char *p = k + strlen(keys[i]), *end = m.p + m.n;
		while (p < end && *p == ' ') p++;
		long v;
		if (logclass_number(&p, end, &v)) return (pid_t)v;
	}
	return 0;
}

int logclass_app(const char *line, size_t len, struct gw_log_event *ev)
{
	struct span s = logclass_begin(line, len, ev);
	const char *msgp = logclass_gunicorn_prefix(s, ev);
	int framed = 1;
	if (!msgp) {
		ev->time = 0;
		ev->pid = 0;
		ev->level = GW_LV_INFO;
		msgp = logclass_uvicorn_prefix(s, ev);
	}
	if (!msgp) {
		framed = 0;
		ev->level = GW_LV_INFO;
		msgp = s.p;
	}
	struct span m = { msgp, (size_t)(s.p + s.n - msgp) };
	const char *k;

	if ((k = logclass_find(m, "Error loading ASGI app"))) {
		ev->kind = GW_LOG_APP_WORKER_BOOT;
		const char *d = k + strlen("Error loading ASGI app"), *end = m.p + m.n;
		while (d < end && (*d == '.' || *d == ' ')) d++;
		if (d < end) logclass_copy(ev->detail, sizeof ev->detail, d, (size_t)(end - d));
		else logclass_copy(ev->detail, sizeof ev->detail, k, (size_t)(end - k));
	} else if ((k = logclass_find(m, "Worker failed to boot")) || (k = logclass_find(m, "App failed to load"))) {
		ev->kind = GW_LOG_APP_WORKER_BOOT;
		logclass_copy(ev->detail, sizeof ev->detail, k, (size_t)(m.p + m.n - k));
	} else if (logclass_has(m, "WORKER TIMEOUT")) {
		ev->kind = GW_LOG_APP_WORKER_TIMEOUT;
		ev->pid = logclass_pid_in(m);
		logclass_copy(ev->detail, sizeof ev->detail, m.p, m.n);
	} else if (logclass_has(m, "was sent SIGKILL") || logclass_has(m, "terminated due to signal 9")) {
		ev->kind = GW_LOG_APP_WORKER_KILLED;
		ev->pid = logclass_pid_in(m);
		logclass_copy(ev->detail, sizeof ev->detail, m.p, m.n);
	} else if (logclass_starts(m, "Traceback (most recent call last):")) {
		ev->kind = GW_LOG_APP_TRACEBACK;
		if (ev->level < GW_LV_ERROR) ev->level = GW_LV_ERROR;
		logclass_copy(ev->detail, sizeof ev->detail, m.p, m.n);
	} else {
		size_t nlen = logclass_exception_name(m);
		if (nlen) logclass_exception(m, nlen, ev);
	}
	return framed || ev->kind != GW_LOG_OTHER;
}

/* ---------------------------------------------------------------- kernel */

int logclass_kernel(const char *line, size_t len, struct gw_log_event *ev)
{
	struct span s = logclass_begin(line, len, ev);
	const char *k = logclass_find(s, "Killed process ");
	if (!k) return 0;
	/* the phrase starts the message or follows "...out of memory: " */
	if (k > s.p && k[-1] != ' ' && k[-1] != ']')
		return 0;
	const char *p = k + strlen("Killed process "), *end = s.p + s.n;
	long pid;
	if (!logclass_number(&p, end, &pid) || !logclass_char(&p, end, ' ') || !logclass_char(&p, end, '('))
		return 0;
	/* comm may itself hold ')' : prefer the ')' before " total-vm:" */
	const char *tv = memmem(p, (size_t)(end - p), ") total-vm:", 11);
	const char *close = tv ? tv : memchr(p, ')', (size_t)(end - p));
	if (!close) return 0;
	ev->kind = GW_LOG_OOM_KILL;
	ev->level = GW_LV_ERROR;
	ev->pid = (pid_t)pid;
	logclass_copy(ev->detail, sizeof ev->detail, p, (size_t)(close - p));
	return 1;
}

void logclass_mask(struct gw_log_event *ev)
{
	sanitize_mask_inplace(ev->line, sizeof ev->line);
	sanitize_mask_inplace(ev->detail, sizeof ev->detail);
	sanitize_mask_inplace(ev->request, sizeof ev->request);
	sanitize_mask_inplace(ev->upstream, sizeof ev->upstream);
}
