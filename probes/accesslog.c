/* accesslog.c — parse nginx access.log lines and count 5xx per minute; find
 * the start of the current 5xx burst. Pure functions, no I/O. */
#include "accesslog.h"

#include "model.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int accesslog_digits(const char *p, const char *end, int n, int *out)
{
	int v = 0;
	if (end - p < n) return 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9') return 0;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 1;
}

static int accesslog_month(const char *p)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	for (int i = 0; i < 12; i++)
		if (!memcmp(months + 3 * i, p, 3)) return i;
	return -1;
}

/* "24/Nov/2026:12:01:02 +0100" (26 bytes) -> epoch, 0 when malformed. */
static double accesslog_time(const char *p, const char *end)
{
	int d, y, h, mi, s, zh, zm, mo;
	if (end - p < 26 || p[2] != '/' || p[6] != '/' || p[11] != ':' || p[14] != ':' ||
	    p[17] != ':' || p[20] != ' ' || (p[21] != '+' && p[21] != '-'))
		return 0;
	if (!accesslog_digits(p, end, 2, &d) || (mo = accesslog_month(p + 3)) < 0 ||
	    !accesslog_digits(p + 7, end, 4, &y) || !accesslog_digits(p + 12, end, 2, &h) ||
	    !accesslog_digits(p + 15, end, 2, &mi) || !accesslog_digits(p + 18, end, 2, &s) ||
	    !accesslog_digits(p + 22, end, 2, &zh) || !accesslog_digits(p + 24, end, 2, &zm))
		return 0;
	if (y < 1970 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || zh > 23 || zm > 59)
		return 0;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };
	int off = (zh * 60 + zm) * 60;
	if (p[21] == '-') off = -off;
	return (double)(timegm(&tm) - off);
}

int accesslog_parse(const char *line, size_t len, struct accesslog_entry *e)
{
	const char *end = line + len;
	memset(e, 0, sizeof *e);
	/* the time is the first "[...]" (remote_user cannot hold '[' unescaped) */
	const char *lb = memchr(line, '[', len > 256 ? 256 : len);
	if (!lb) return 0;
	e->time = accesslog_time(lb + 1, end);
	if (!e->time || lb + 27 >= end || lb[27] != ']') return 0;
	const char *p = lb + 28;
	if (p + 2 > end || p[0] != ' ' || p[1] != '"') return 0;
	p += 2;
	/* nginx escapes '"' inside $request as \x22: the next quote ends it */
	const char *q = memchr(p, '"', (size_t)(end - p));
	if (!q) return 0;
	const char *sp = memchr(p, ' ', (size_t)(q - p));
	size_t mlen = sp ? (size_t)(sp - p) : 0;
	if (mlen > 0 && mlen < sizeof e->method) {
		memcpy(e->method, p, mlen);
		e->method[mlen] = '\0';
	}
	p = q + 1;
	if (p >= end || *p != ' ') return 0;
	p++;
	int st;
	if (!accesslog_digits(p, end, 3, &st) || st < 100 || st > 599) return 0;
	if (p + 3 < end && p[3] != ' ') return 0;
	e->status = st;
	return 1;
}

int accesslog_is_own(const char *line, size_t len)
{
	static const char ua[] = "\"gwtop/";
	static const char tag[] = " (through)\"";
	if (!((len > 10 && !memcmp(line, "127.", 4)) || (len > 4 && !memcmp(line, "::1 ", 4))))
		return 0;
	const char *u = memmem(line, len, ua, sizeof ua - 1);
	return (u && memmem(u, len - (size_t)(u - line), tag, sizeof tag - 1) != NULL) ||
	       memmem(line, len, THROUGH_MARK " HTTP/", sizeof THROUGH_MARK + 5) != NULL;
}

static struct accesslog_minute *accesslog_slot(struct accesslog_stats *st, long minute)
{
	return &st->m[(unsigned long)minute % ACCESSLOG_MINUTES];
}

void accesslog_stats_add(struct accesslog_stats *st, double time, int status)
{
	if (time <= 0) return;
	long minute = (long)(time / 60);
	if (minute <= st->newest - ACCESSLOG_MINUTES) return;        /* older than the window */
	if (minute > st->newest) st->newest = minute;
	struct accesslog_minute *m = accesslog_slot(st, minute);
	if (m->minute != minute) {
		if (m->minute > minute) return;                      /* slot holds a newer minute */
		memset(m, 0, sizeof *m);
		m->minute = minute;
	}
	m->total++;
	st->lines++;
	if (status < 500 || status > 599) return;
	m->n5xx++;
	if (status == 502) m->n502++;
	if (status == 503) m->n503++;
	if (status == 504) m->n504++;
	if (!m->first_5xx || time < m->first_5xx) m->first_5xx = time;
	if (time > m->last_5xx) m->last_5xx = time;
}

const struct accesslog_minute *accesslog_stats_minute(const struct accesslog_stats *st, long minute)
{
	const struct accesslog_minute *m = &st->m[(unsigned long)minute % ACCESSLOG_MINUTES];
	return m->minute == minute && minute > 0 ? m : NULL;
}

void accesslog_stats_sum(const struct accesslog_stats *st, double now, int minutes,
			 struct accesslog_minute *out)
{
	memset(out, 0, sizeof *out);
	long cur = (long)(now / 60);
	if (minutes > ACCESSLOG_MINUTES) minutes = ACCESSLOG_MINUTES;
	for (int i = 0; i < minutes; i++) {
		const struct accesslog_minute *m = accesslog_stats_minute(st, cur - i);
		if (!m) continue;
		out->total += m->total;
		out->n5xx += m->n5xx;
		out->n502 += m->n502;
		out->n503 += m->n503;
		out->n504 += m->n504;
		if (m->first_5xx && (!out->first_5xx || m->first_5xx < out->first_5xx))
			out->first_5xx = m->first_5xx;
		if (m->last_5xx > out->last_5xx) out->last_5xx = m->last_5xx;
	}
	out->minute = cur;
}

int accesslog_burst(const struct accesslog_stats *st, double now, double recent,
		    double *start, double *last, unsigned *count)
{
	long cur = (long)(now / 60);
	long newest = -1;
	/* the newest minute with a 5xx (future minutes from clock skew count too) */
	for (long mn = st->newest; mn > st->newest - ACCESSLOG_MINUTES && mn > 0; mn--) {
		const struct accesslog_minute *m = accesslog_stats_minute(st, mn);
		if (m && m->n5xx) {
			newest = mn;
			break;
		}
	}
	if (newest < 0) return 0;
	const struct accesslog_minute *nm = accesslog_stats_minute(st, newest);
	if (nm->last_5xx < now - recent || newest < cur - ACCESSLOG_MINUTES) return 0;
	double first = nm->first_5xx;
	unsigned n = 0;
	int gap = 0;
	for (long mn = newest; mn > st->newest - ACCESSLOG_MINUTES && mn > 0; mn--) {
		const struct accesslog_minute *m = accesslog_stats_minute(st, mn);
		if (m && m->n5xx) {
			first = m->first_5xx;
			n += m->n5xx;
			gap = 0;
		} else if (++gap > ACCESSLOG_BURST_GAP) {
			break;
		}
	}
	if (start) *start = first;
	if (last) *last = nm->last_5xx;
	if (count) *count = n;
	return 1;
}

/* ---------------------------------------------------------------- any log_format */

const char accesslog_combined[] =
	"$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
	"\"$http_referer\" \"$http_user_agent\"";

const char accesslog_hint_format[] =
	"log_format timeline '$remote_addr - $remote_user [$time_local] \"$request\" $status "
	"$body_bytes_sent \"$http_referer\" \"$http_user_agent\" rt=$request_time "
	"ua=\"$upstream_addr\" us=\"$upstream_status\" urt=\"$upstream_response_time\"';";

static const struct {
	const char *name;
	int var;
} accesslog_vars[] = {
	{ "remote_addr", AL_V_REMOTE_ADDR }, { "time_local", AL_V_TIME_LOCAL },
	{ "time_iso8601", AL_V_TIME_ISO8601 }, { "msec", AL_V_MSEC }, { "request", AL_V_REQUEST },
	{ "request_uri", AL_V_REQUEST_URI }, { "uri", AL_V_URI }, { "status", AL_V_STATUS },
	{ "http_user_agent", AL_V_HTTP_USER_AGENT }, { "upstream_addr", AL_V_UPSTREAM_ADDR },
	{ "upstream_status", AL_V_UPSTREAM_STATUS },
	{ "upstream_response_time", AL_V_UPSTREAM_RESPONSE_TIME }, { "request_time", AL_V_REQUEST_TIME },
};

static int accesslog_is_name(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static struct accesslog_seg *accesslog_seg_push(struct accesslog_format *f, int var)
{
	if (f->nseg >= ACCESSLOG_MAX_SEGS) return NULL;
	struct accesslog_seg *s = &f->seg[f->nseg++];
	memset(s, 0, sizeof *s);
	s->var = var;
	return s;
}

int accesslog_format_compile(const char *fmt, struct accesslog_format *f)
{
	memset(f, 0, sizeof *f);
	const char *p = fmt;
	while (*p) {
		if (*p == '$' && (accesslog_is_name(p[1]) || p[1] == '{')) {
			const char *n = p + 1;
			int brace = *n == '{';
			if (brace) n++;
			size_t k = 0;
			while (accesslog_is_name(n[k])) k++;
			int var = AL_V_OTHER;
			for (size_t i = 0; i < sizeof accesslog_vars / sizeof *accesslog_vars; i++)
				if (strlen(accesslog_vars[i].name) == k && !memcmp(accesslog_vars[i].name, n, k))
					var = accesslog_vars[i].var;
			if (!accesslog_seg_push(f, var)) break;
			f->has[var] = 1;
			p = n + k + (brace && n[k] == '}');
			continue;
		}
		struct accesslog_seg *s = f->nseg ? &f->seg[f->nseg - 1] : NULL;
		if (!s || s->var != -1 || strlen(s->lit) + 1 >= sizeof s->lit) {
			if (!(s = accesslog_seg_push(f, -1))) break;
		}
		size_t l = strlen(s->lit);
		s->lit[l] = *p++;
		s->lit[l + 1] = '\0';
	}
	return (f->has[AL_V_TIME_LOCAL] || f->has[AL_V_TIME_ISO8601] || f->has[AL_V_MSEC]) && f->has[AL_V_STATUS];
}

/* "2026-11-24T12:01:02+01:00" -> epoch, 0 malformed. */
static double accesslog_iso(const char *p, size_t n)
{
	int y, mo, d, h, mi, s, zh = 0, zm = 0;
	const char *end = p + n;
	if (n < 20 || p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':') return 0;
	if (!accesslog_digits(p, end, 4, &y) || !accesslog_digits(p + 5, end, 2, &mo) ||
	    !accesslog_digits(p + 8, end, 2, &d) || !accesslog_digits(p + 11, end, 2, &h) ||
	    !accesslog_digits(p + 14, end, 2, &mi) || !accesslog_digits(p + 17, end, 2, &s))
		return 0;
	int sign = 0;
	if (p[19] == '+' || p[19] == '-') {
		if (n < 25 || !accesslog_digits(p + 20, end, 2, &zh) || p[22] != ':' || !accesslog_digits(p + 23, end, 2, &zm))
			return 0;
		sign = p[19] == '-' ? -1 : 1;
	} else if (p[19] != 'Z') {
		return 0;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return 0;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s };
	return (double)(timegm(&tm) - sign * (zh * 60 + zm) * 60);
}

static double accesslog_num(const char *p, size_t n)
{
	char buf[32];
	if (!n || n >= sizeof buf || p[0] < '0' || p[0] > '9') return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	char *e;
	double v = strtod(buf, &e);
	return *e ? -1 : v;
}

/* The end of a variable's value starting at p: where the literal lit
 * begins next. Lists ($upstream_*: "a, b : c") do not end at the ", " or
 * " : " inside them. NULL when lit is not found. */
static const char *accesslog_value_end(const char *p, const char *end, const char *lit, int list)
{
	size_t ll = strlen(lit);
	const char *q = p;
	while (q < end) {
		const char *m = memmem(q, (size_t)(end - q), lit, ll);
		if (!m) return NULL;
		if (list && m[0] == ' ' && ((m > p && m[-1] == ',') || (m + 2 < end && m[1] == ':' && m[2] == ' ') ||
					    (m >= p + 2 && m[-1] == ':' && m[-2] == ' '))) {
			q = m + 1;
			continue;
		}
		return m;
	}
	return NULL;
}

static void accesslog_request_path(const char *v, size_t n, const char **path, size_t *plen)
{
	const char *sp = memchr(v, ' ', n);
	if (!sp) return;
	const char *s = sp + 1, *e = memchr(s, ' ', n - (size_t)(s - v));
	if (!e) e = v + n;
	*path = s;
	*plen = (size_t)(e - s);
}

int accesslog_parse_fields(const struct accesslog_format *f, const char *line, size_t len,
			   struct accesslog_fields *out)
{
	const char *p = line, *end = line + len;
	memset(out, 0, sizeof *out);
	out->request_time = -1;
	while (end > line && (end[-1] == '\n' || end[-1] == '\r')) end--;
	int ok = 1;
	for (int i = 0; ok && i < f->nseg; i++) {
		const struct accesslog_seg *s = &f->seg[i];
		if (s->var < 0) {
			size_t ll = strlen(s->lit);
			if ((size_t)(end - p) < ll || memcmp(p, s->lit, ll)) ok = 0;
			else p += ll;
			continue;
		}
		const char *ve = end;
		if (i + 1 < f->nseg && f->seg[i + 1].var < 0) {
			int list = s->var == AL_V_UPSTREAM_ADDR || s->var == AL_V_UPSTREAM_STATUS ||
				   s->var == AL_V_UPSTREAM_RESPONSE_TIME;
			if (!(ve = accesslog_value_end(p, end, f->seg[i + 1].lit, list))) {
				ok = 0;
				break;
			}
		} else if (i + 1 < f->nseg) {
			ok = 0;          /* two variables in a row: cannot be split */
			break;
		}
		size_t n = (size_t)(ve - p);
		int st;
		switch (s->var) {
		case AL_V_TIME_LOCAL:
			if (n == 26) out->time = accesslog_time(p, ve);
			break;
		case AL_V_TIME_ISO8601: out->time = accesslog_iso(p, n); break;
		case AL_V_MSEC: {
			double v = accesslog_num(p, n);
			out->time = v > 0 ? v : 0;
			break;
		}
		case AL_V_STATUS:
			if (n == 3 && accesslog_digits(p, ve, 3, &st) && st >= 100 && st <= 599) out->status = st;
			break;
		case AL_V_REQUEST:
			if (!out->path) accesslog_request_path(p, n, &out->path, &out->path_len);
			break;
		case AL_V_REQUEST_URI:
		case AL_V_URI:
			out->path = p;
			out->path_len = n;
			break;
		case AL_V_UPSTREAM_ADDR: out->upstream_addr = p; out->upstream_addr_len = n; break;
		case AL_V_UPSTREAM_STATUS: out->upstream_status = p; out->upstream_status_len = n; break;
		case AL_V_UPSTREAM_RESPONSE_TIME: out->upstream_time = p; out->upstream_time_len = n; break;
		case AL_V_REQUEST_TIME: out->request_time = accesslog_num(p, n); break;
		default: break;
		}
		p = ve;
	}
	if (ok && out->time > 0 && out->status) return 1;
	/* not this format: what the combined prefix gives */
	struct accesslog_entry e;
	memset(out, 0, sizeof *out);
	out->request_time = -1;
	if (!accesslog_parse(line, (size_t)(end - line), &e)) return 0;
	out->time = e.time;
	out->status = e.status;
	const char *q = memchr(line, '"', (size_t)(end - line));
	if (q) {
		const char *qe = memchr(q + 1, '"', (size_t)(end - q - 1));
		if (qe) accesslog_request_path(q + 1, (size_t)(qe - q - 1), &out->path, &out->path_len);
	}
	return 1;
}
