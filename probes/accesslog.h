/* accesslog.h — nginx access.log lines (the default "combined" layout and
 * anything that starts like it) and 5xx counting per minute, with the start
 * of the current burst of 5xx answers = the incident's start. Pure: no I/O. */
#ifndef GW_ACCESSLOG_H
#define GW_ACCESSLOG_H

#include <stddef.h>

/* One parsed line. Strings point nowhere: only what counting and display
 * need is kept. */
struct accesslog_entry {
	double time;                 /* epoch from "[24/Nov/2026:12:01:02 +0100]" (zone honoured) */
	int status;                  /* HTTP status, 100-599 */
	char method[16];             /* "GET" ("" when the request is "-" or garbage) */
};

/* Parse `$remote_addr - $remote_user [$time_local] "$request" $status ...`.
 * line need not be NUL-terminated and may hold any bytes.
 * Returns 1 and fills e when the time and status were found, else 0. */
int accesslog_parse(const char *line, size_t len, struct accesslog_entry *e);

/* A request gwtop sent through nginx itself (probes/through.c): from
 * loopback, with a User-Agent "gwtop/VERSION (through)". Left out of every
 * failure count. line need not be NUL-terminated. */
int accesslog_is_own(const char *line, size_t len);

/* ---- any log_format (the timeline, issue 19): a format string from the
 * config compiled into literals and variables, then lines split by it. */

enum accesslog_var {
	AL_V_OTHER = 0, AL_V_REMOTE_ADDR, AL_V_TIME_LOCAL, AL_V_TIME_ISO8601, AL_V_MSEC,
	AL_V_REQUEST, AL_V_REQUEST_URI, AL_V_URI, AL_V_STATUS, AL_V_HTTP_USER_AGENT,
	AL_V_UPSTREAM_ADDR, AL_V_UPSTREAM_STATUS, AL_V_UPSTREAM_RESPONSE_TIME, AL_V_REQUEST_TIME,
	AL_V_MAX
};

#define ACCESSLOG_MAX_SEGS 64

struct accesslog_format {
	int nseg;
	struct accesslog_seg {
		int var;             /* enum accesslog_var, or -1: a literal */
		char lit[48];        /* the literal's bytes */
	} seg[ACCESSLOG_MAX_SEGS];
	int has[AL_V_MAX];       /* the format holds this variable */
};

/* The combined format (nginx's default for access_log without a name). */
extern const char accesslog_combined[];
/* What to paste into the http{} block when the upstream fields are missing. */
extern const char accesslog_hint_format[];

/* Compile an nginx log_format string ("$remote_addr - ... $status ...").
 * Returns 1 when it has a time ($time_local, $time_iso8601 or $msec) and
 * $status, else 0 (f is still filled). */
int accesslog_format_compile(const char *fmt, struct accesslog_format *f);

/* One line split by a format. Pointers point into the line (not
 * NUL-terminated, len 0 absent). */
struct accesslog_fields {
	double time;
	int status;
	const char *path;            /* from $request's 2nd word, $request_uri or $uri */
	size_t path_len;
	const char *upstream_addr, *upstream_status, *upstream_time;
	size_t upstream_addr_len, upstream_status_len, upstream_time_len;
	double request_time;         /* -1 absent */
};

/* Returns 1 when the time and the status were found. A line that does not
 * follow f but starts like combined is read with accesslog_parse (time,
 * status and path only). line need not be NUL-terminated. */
int accesslog_parse_fields(const struct accesslog_format *f, const char *line, size_t len,
			   struct accesslog_fields *out);

#define ACCESSLOG_MINUTES 60         /* per-minute buckets kept */
#define ACCESSLOG_BURST_GAP 3        /* whole minutes without 5xx that end a burst */

struct accesslog_minute {
	long minute;                 /* epoch / 60; 0 = unused */
	unsigned total, n5xx, n502, n503, n504;
	double first_5xx;            /* earliest 5xx time in this minute, 0 none */
	double last_5xx;
};

/* Counters over the last ACCESSLOG_MINUTES minutes. Lines may be added out
 * of order (several access logs); lines older than the window are dropped.
 * Zero-initialise (= {0}) before use. */
struct accesslog_stats {
	struct accesslog_minute m[ACCESSLOG_MINUTES];
	long newest;                 /* newest minute seen */
	unsigned long lines;         /* lines counted in total */
};

void accesslog_stats_add(struct accesslog_stats *st, double time, int status);

/* The minute bucket of epoch minute `minute` (NULL when not kept). */
const struct accesslog_minute *accesslog_stats_minute(const struct accesslog_stats *st, long minute);

/* Sum the last `minutes` minutes up to now (epoch). */
void accesslog_stats_sum(const struct accesslog_stats *st, double now, int minutes,
			 struct accesslog_minute *out);

/* The current burst of 5xx: the newest 5xx answer is at most `recent`
 * seconds before now, and going back from it the burst runs while no more
 * than ACCESSLOG_BURST_GAP whole minutes pass without a 5xx. *start = the
 * first 5xx of the burst (the incident's start), *last = the newest 5xx,
 * *count = 5xx answers in it (each may be NULL).
 * Returns 1 when there is a current burst, 0 otherwise. */
int accesslog_burst(const struct accesslog_stats *st, double now, double recent,
		    double *start, double *last, unsigned *count);

#endif
