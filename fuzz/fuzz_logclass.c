/* fuzz_logclass.c — libFuzzer target for the pure log classifiers:
 * nginx error.log, gunicorn/uvicorn/Python app lines, kernel OOM lines
 * (probes/logclass.c), nginx access.log lines and 5xx counting
 * (probes/accesslog.c; also split by a log_format for the timeline), systemd's messages about a unit
 * (journal_classify_manager) and the secret masking applied to journal
 * lines (db_mask_text). The input is one line of any bytes (not
 * NUL-terminated: it is copied to an exact-size heap buffer so ASan sees
 * any read past its end); for the access.log counters it is also split
 * into lines. Properties: no crash/UB; kind in range; every string field
 * NUL-terminated; the return value agrees with the kind; a parsed access
 * line has a time and a status in 100..599; a timed error.log line's
 * stamp reads as fields in range (logclass_nginx_stamp); the per-minute sums and the
 * 5xx burst agree with each other. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "db.h"
#include "journal.h"
#include "logclass.h"

#define FZ_TERMINATED(a) do { if (!memchr((a), '\0', sizeof(a))) abort(); } while (0)

static void fz_check(const struct gw_log_event *ev)
{
	if ((unsigned)ev->kind >= GW_LOG_KIND_MAX) abort();
	if ((unsigned)ev->level > GW_LV_EMERG) abort();
	if (ev->time != ev->time) abort();  /* NaN */
	FZ_TERMINATED(ev->source);
	FZ_TERMINATED(ev->upstream);
	FZ_TERMINATED(ev->request);
	FZ_TERMINATED(ev->detail);
	FZ_TERMINATED(ev->line);
}

/* A field of accesslog_parse_fields: absent, or inside the line. */
static void fz_in_line(const char *p, size_t n, const char *line, size_t len)
{
	if (p && (p < line || p + n > line + len)) abort();
}

/* The timeline's parser (any log_format): the README's format with the
 * upstream fields, and one that splits on single spaces. */
static void fz_fields(const char *line, size_t len)
{
	static struct accesslog_format f[2];
	static int ready;
	if (!ready) {
		accesslog_format_compile("$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
					 "\"$http_referer\" \"$http_user_agent\" rt=$request_time ua=\"$upstream_addr\" "
					 "us=\"$upstream_status\" urt=\"$upstream_response_time\"", &f[0]);
		accesslog_format_compile("$msec $status $upstream_addr $upstream_response_time $request_uri", &f[1]);
		ready = 1;
	}
	for (int k = 0; k < 2; k++) {
		struct accesslog_fields a;
		if (!accesslog_parse_fields(&f[k], line, len, &a)) continue;
		if (a.time != a.time || a.time <= 0 || a.status < 100 || a.status > 599) abort();
		fz_in_line(a.path, a.path_len, line, len);
		fz_in_line(a.upstream_addr, a.upstream_addr_len, line, len);
		fz_in_line(a.upstream_status, a.upstream_status_len, line, len);
		fz_in_line(a.upstream_time, a.upstream_time_len, line, len);
	}
}

static void fz_access_one(const char *line, size_t len, struct accesslog_stats *st, double *newest)
{
	struct accesslog_entry e;
	fz_fields(line, len);
	memset(&e, 0xA5, sizeof e);
	int r = accesslog_parse(line, len, &e);
	FZ_TERMINATED(e.method);
	if (!r) return;
	if (!e.time || e.time != e.time || e.status < 100 || e.status > 599) abort();
	accesslog_stats_add(st, e.time, e.status);
	if (e.time > *newest) *newest = e.time;
}

/* Every line of the input into the counters, then the 5xx sums and burst. */
static void fz_access(const char *buf, size_t size)
{
	static struct accesslog_stats st;
	double newest = 0;
	memset(&st, 0, sizeof st);
	fz_access_one(buf, size, &st, &newest);   /* the whole input as one line */
	memset(&st, 0, sizeof st);
	newest = 0;
	for (const char *p = buf, *end = buf + size; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		fz_access_one(p, n, &st, &newest);
		p += n + 1;
	}
	if (!newest) return;
	struct accesslog_minute sum;
	accesslog_stats_sum(&st, newest, ACCESSLOG_MINUTES, &sum);
	if (sum.n5xx > sum.total || sum.n502 + sum.n503 + sum.n504 > sum.n5xx) abort();
	double start, last;
	unsigned count;
	if (accesslog_burst(&st, newest, 3600, &start, &last, &count)) {
		if (!count || count > sum.n5xx || start > last || last > newest) abort();
	} else if (sum.n5xx) {
		abort();                     /* a 5xx in the last hour is a current burst */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size ? size : 1);
	if (!line) return 0;
	if (size) memcpy(line, data, size);
	struct gw_log_event ev;

	memset(&ev, 0xA5, sizeof ev);       /* the classifier must zero it */
	int r = logclass_nginx_error(line, size, &ev);
	fz_check(&ev);
	if (!r && ev.kind != GW_LOG_OTHER) abort();
	/* the live stream's DST choice reads the stamp of every timed
	 * error.log line: one parser, so it reads every such line */
	struct tm tm;
	int st = logclass_nginx_stamp(line, size, &tm);
	if (r && ev.time && !st) abort();
	if (st && (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
		   tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_year < 70))
		abort();

	memset(&ev, 0xA5, sizeof ev);
	logclass_app(line, size, &ev);
	fz_check(&ev);

	memset(&ev, 0xA5, sizeof ev);
	r = logclass_kernel(line, size, &ev);
	fz_check(&ev);
	if (r && ev.kind != GW_LOG_OOM_KILL) abort();

	memset(&ev, 0xA5, sizeof ev);
	r = journal_classify_manager(line, size, &ev);
	fz_check(&ev);
	if (r < 0 || r > 2 || (r == 1) != (ev.kind == GW_LOG_APP_CONFIG)) abort();
	if (r) {                             /* as journal_unit_events keeps it */
		db_mask_text(ev.line, sizeof ev.line);
		db_mask_text(ev.detail, sizeof ev.detail);
		fz_check(&ev);
	}

	fz_access(line, size);
	free(line);
	return 0;
}
