/* accesslog.c — parse nginx access.log lines and count 5xx per minute; find
 * the start of the current 5xx burst. Pure functions, no I/O. */
#include "accesslog.h"

#include "model.h"

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
