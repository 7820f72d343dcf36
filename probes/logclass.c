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

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Start the event: zero it, strip the line end, keep the raw line. */
static struct span logclass_begin(const char *line, size_t len, struct gw_log_event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->kind = GW_LOG_OTHER;
	ev->level = GW_LV_INFO;
	if (!line) len = 0;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	logclass_copy(ev->line, sizeof ev->line, line ? line : "", len);
	return (struct span){ line ? line : "", len };
}

/* Exactly n decimal digits at *p (p < end); advances. */
static int logclass_digits(const char **p, const char *end, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (*p >= end || !isdigit((unsigned char)**p)) return 0;
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
	while (*p < end && isdigit((unsigned char)**p) && k < 10) {
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

/* mktime for local time, cached per local hour: mktime consults the zone
 * (and stats /etc/localtime) on every call, which dominated reading a few
 * MiB of error.log. Zone offsets change only at whole hours' boundaries, so
 * an hour's start plus minutes and seconds is exact. The key includes $TZ.
 * Single-threaded use only (as the rest of gwtop). */
static double logclass_localtime(const struct tm *tm)
{
	static struct { int y, mo, d, h; char tz[64]; double base; int valid; } c;
	const char *tz = getenv("TZ");
	if (!tz) tz = "";
	if (c.valid && c.y == tm->tm_year && c.mo == tm->tm_mon && c.d == tm->tm_mday &&
	    c.h == tm->tm_hour && !strncmp(c.tz, tz, sizeof c.tz))
		return c.base + tm->tm_min * 60 + tm->tm_sec;
	struct tm h = *tm;
	h.tm_min = h.tm_sec = 0;
	h.tm_isdst = -1;
	time_t t = mktime(&h);
	if (t == (time_t)-1) return 0;
	c.y = tm->tm_year; c.mo = tm->tm_mon; c.d = tm->tm_mday; c.h = tm->tm_hour;
	logclass_copy(c.tz, sizeof c.tz, tz, strnlen(tz, sizeof c.tz - 1));
	c.base = (double)t;
	c.valid = 1;
	return c.base + tm->tm_min * 60 + tm->tm_sec;
}

/* ---------------------------------------------------------------- nginx */

static const struct { const char *name; enum gw_level level; } nginx_levels[] = {
	{ "debug", GW_LV_DEBUG }, { "info", GW_LV_INFO }, { "notice", GW_LV_NOTICE },
	{ "warn", GW_LV_WARN }, { "error", GW_LV_ERROR }, { "crit", GW_LV_CRIT },
	{ "alert", GW_LV_ALERT }, { "emerg", GW_LV_EMERG },
};

/* End of a quoted field value starting at p: the '"' followed by
 * ", key: " or by the end of the line. */
static const char *logclass_value_end(const char *p, const char *end)
{
	for (const char *q = p; q < end; q++) {
		if (*q != '"') continue;
		if (q + 1 == end) return q;
		if (q + 2 < end && q[1] == ',' && q[2] == ' ') {
			const char *k = q + 3;
			while (k < end && (islower((unsigned char)*k) || *k == '_')) k++;
			if (k > q + 3 && k + 1 < end && k[0] == ':' && k[1] == ' ') return q;
		}
	}
	return end;
}

/* Copy the value of `, key: "..."` found in ctx into dst; returns where
 * the value ends (to search the next field after it), or ctx.p. */
static const char *logclass_field(struct span ctx, const char *key, char *dst, size_t size)
{
	const char *k = logclass_find(ctx, key);
	if (!k) return ctx.p;
	const char *v = k + strlen(key), *end = ctx.p + ctx.n;
	const char *e = logclass_value_end(v, end);
	logclass_copy(dst, size, v, (size_t)(e - v));
	return e;
}

/* First "(N: " in the message: the errno nginx appends. */
static int logclass_errno(struct span s)
{
	const char *end = s.p + s.n;
	for (const char *q = s.p; q < end; q++) {
		if (*q != '(') continue;
		const char *d = q + 1;
		long v;
		if (logclass_number(&d, end, &v) && d + 1 < end && d[0] == ':' && d[1] == ' ')
			return (int)v;
	}
	return 0;
}

static enum gw_log_kind logclass_nginx_kind(struct span head, int err, enum gw_level level)
{
	if (logclass_has(head, "could not be resolved") || logclass_has(head, "host not found in upstream") ||
	    logclass_has(head, "while resolving"))
		return GW_LOG_RESOLVE;
	if (logclass_has(head, "no live upstreams"))
		return GW_LOG_NO_LIVE;
	if (logclass_has(head, "upstream sent too big header"))
		return GW_LOG_BIG_HEADER;
	if (logclass_has(head, "upstream sent invalid") || logclass_has(head, "upstream sent no valid"))
		return GW_LOG_INVALID_HEADER;
	if (logclass_has(head, "upstream prematurely closed connection"))
		return GW_LOG_PREMATURE_CLOSE;
	if (logclass_has(head, "upstream timed out"))
		return GW_LOG_TIMEOUT;
	/* errno-carrying failures count only on the upstream side of the
	 * request ("while connecting to upstream", "... from upstream") */
	if (err && logclass_has(head, "upstream")) {
		int is_connect = logclass_has(head, "connect() ");
		switch (err) {
		case 111: return GW_LOG_CONNECT_REFUSED;       /* ECONNREFUSED */
		case 113: case 101:                            /* EHOSTUNREACH, ENETUNREACH */
			return is_connect ? GW_LOG_CONNECT_REFUSED : GW_LOG_OTHER;
		case 2:   return is_connect ? GW_LOG_SOCKET_NOENT : GW_LOG_OTHER;
		case 13:  return is_connect ? GW_LOG_SOCKET_EACCES : GW_LOG_OTHER;
		case 11:  return GW_LOG_AGAIN;                 /* EAGAIN: backlog full */
		case 104: case 32: return GW_LOG_RESET;        /* ECONNRESET, EPIPE */
		case 110: return GW_LOG_TIMEOUT;
		default: break;
		}
	}
	if (level == GW_LV_EMERG)
		return GW_LOG_NGINX_EMERG;
	return GW_LOG_OTHER;
}

/* "[level]" at *p; advances past ']'. */
static int logclass_nginx_level(const char **p, const char *end, enum gw_level *out)
{
	if (!logclass_char(p, end, '[')) return 0;
	const char *lv = *p;
	while (*p < end && islower((unsigned char)**p) && *p - lv < 8) (*p)++;
	size_t lvn = (size_t)(*p - lv);
	for (size_t i = 0; i < sizeof nginx_levels / sizeof *nginx_levels; i++)
		if (strlen(nginx_levels[i].name) == lvn && !memcmp(nginx_levels[i].name, lv, lvn)) {
			*out = nginx_levels[i].level;
			return logclass_char(p, end, ']');
		}
	return 0;
}

int logclass_nginx_error(const char *line, size_t len, struct gw_log_event *ev)
{
	struct span s = logclass_begin(line, len, ev);
	const char *p = s.p, *end = s.p + s.n;
	struct tm tm;
	enum gw_level level;
	int have_time = 0;

	if (logclass_starts(s, "nginx: [")) {
		/* stderr form (journal of nginx.service, nginx -t):
		 * "nginx: [emerg] msg" — no time, no pid */
		p += 7;
		if (!logclass_nginx_level(&p, end, &level) || !logclass_char(&p, end, ' '))
			return 0;
	} else {
		long pid, tid;
		if (!logclass_datetime(&p, end, '/', &tm) || !logclass_char(&p, end, ' ') ||
		    !logclass_nginx_level(&p, end, &level) || !logclass_char(&p, end, ' ') ||
		    !logclass_number(&p, end, &pid) || !logclass_char(&p, end, '#') ||
		    !logclass_number(&p, end, &tid) || !logclass_char(&p, end, ':'))
			return 0;
		logclass_char(&p, end, ' ');
		ev->pid = (pid_t)pid;
		have_time = 1;
	}
	ev->level = level;
	if (p < end && *p == '*') {                     /* "*13 " connection number */
		const char *q = p + 1;
		long conn;
		if (logclass_number(&q, end, &conn) && logclass_char(&q, end, ' '))
			p = q;
	}
	if (have_time) ev->time = logclass_localtime(&tm);

	struct span msg = { p, (size_t)(end - p) };
	struct span head = msg;
	const char *client = logclass_find(msg, ", client: ");
	if (client) head.n = (size_t)(client - msg.p);
	logclass_copy(ev->detail, sizeof ev->detail, head.p, head.n);
	ev->err = logclass_errno(head);
	if (client) {
		/* request: comes before upstream: (ngx_http_log_error_handler);
		 * search upstream: after the request's value, which the client
		 * controls */
		struct span ctx = { client, (size_t)(end - client) };
		const char *after = logclass_field(ctx, ", request: \"", ev->request, sizeof ev->request);
		ctx = (struct span){ after, (size_t)(end - after) };
		logclass_field(ctx, ", upstream: \"", ev->upstream, sizeof ev->upstream);
	}
	ev->kind = logclass_nginx_kind(head, ev->err, ev->level);
	return 1;
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
