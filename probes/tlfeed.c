/* tlfeed.c — the timeline's feeder (see tlfeed.h). */
#include "tlfeed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "trust.h"

struct tl_log {
	char path[GW_PATH];
	struct accesslog_format fmt;
	dev_t dev;
	ino_t ino;
	off_t live;                  /* next byte to read at the end (complete lines before it are in) */
	off_t bf_from, bf_to;        /* backfill still to read: [bf_from, bf_to) */
	int gone;                    /* not named by the last pass */
};

/* An nginx error log followed for reload / stop lines (from its end). */
struct tl_errlog {
	char path[GW_PATH];
	dev_t dev;
	ino_t ino;
	off_t off;
};

struct tlfeed {
	sd_event *e;
	const struct gw_options *o;
	struct timeline *tl;
	GW_VEC(struct tl_log) logs;
	sd_event_source *bf;         /* the backfill's idle source, NULL none */
	double since;                /* the backfill's start */
	unsigned long long bf_total, bf_done;
	unsigned long lines, unparsed;
	char *buf;                   /* TLFEED_CHUNK + 1 */
	GW_VEC(struct tl_deploy { char dir[GW_PATH]; double mtime; }) deploys;
	GW_VEC(struct tl_errlog) errlogs;
};

double tlfeed_window(const struct gw_options *o)
{
	double w = o && o->since > 0 ? o->since : 1800;
	return w > TIMELINE_MINUTES * 60.0 ? TIMELINE_MINUTES * 60.0 : w;
}

struct tlfeed *tlfeed_new(sd_event *e, const struct gw_options *o)
{
	struct tlfeed *f = gw_xcalloc(1, sizeof *f);
	f->e = e ? sd_event_ref(e) : NULL;
	f->o = o;
	f->tl = timeline_new();
	f->buf = gw_xmalloc(TLFEED_CHUNK + 1);
	return f;
}

void tlfeed_free(struct tlfeed *f)
{
	if (!f) return;
	sd_event_source_disable_unref(f->bf);
	if (f->e) sd_event_unref(f->e);
	timeline_free(f->tl);
	gw_vec_free(&f->logs);
	gw_vec_free(&f->deploys);
	gw_vec_free(&f->errlogs);
	free(f->buf);
	free(f);
}

struct timeline *tlfeed_timeline(struct tlfeed *f)
{
	return f->tl;
}

/* Parse the complete lines of buf[0..len) into tl; returns the bytes used
 * (up to and with the last newline; all of it when `all`). */
static size_t tl_parse(struct timeline *tl, const struct accesslog_format *fmt, const char *buf, size_t len,
		       int all, double since, unsigned long *lines, unsigned long *unparsed)
{
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl && !all) break;
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct accesslog_fields a;
		if (n) {
			(*lines)++;
			if (accesslog_parse_fields(fmt, p, n, &a)) {
				if (a.time >= since) {
					struct timeline_request r = {
						.time = a.time, .status = a.status, .own = accesslog_is_own(p, n),
						.path = a.path, .path_len = a.path_len,
						.upstream_addr = a.upstream_addr, .upstream_addr_len = a.upstream_addr_len,
						.upstream_status = a.upstream_status, .upstream_status_len = a.upstream_status_len,
						.upstream_time = a.upstream_time, .upstream_time_len = a.upstream_time_len,
						.request_time = a.request_time,
					};
					timeline_add_request(tl, &r);
				}
			} else {
				(*unparsed)++;
			}
		}
		if (!nl) {
			p = end;
			break;
		}
		p = nl + 1;
	}
	return (size_t)(p - buf);
}

static ssize_t tl_pread(int fd, char *buf, size_t want, off_t at)
{
	size_t got = 0;
	while (got < want) {
		ssize_t r = pread(fd, buf + got, want - got, at + (off_t)got);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) return -1;
		if (r == 0) break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Read [from, to) of fd into tl in chunks; returns where it stopped (a
 * line start), at most `budget` bytes later. */
static off_t tl_read_range(struct tlfeed *f, int fd, const struct accesslog_format *fmt, off_t from, off_t to,
			   size_t budget, int all_at_end)
{
	while (from < to && budget) {
		size_t want = (size_t)(to - from);
		if (want > TLFEED_CHUNK) want = TLFEED_CHUNK;
		if (want > budget) want = budget < 65536 ? 65536 : budget;   /* a line over the step: 64 KiB more */
		ssize_t got = tl_pread(fd, f->buf, want, from);
		if (got <= 0) break;
		int last = from + got >= to;
		size_t used = tl_parse(f->tl, fmt, f->buf, (size_t)got, last && all_at_end, f->since, &f->lines,
				       &f->unparsed);
		if (!used && last && !all_at_end) break;     /* a partial last line: next time */
		if (!used) {                 /* one line longer than a chunk: skip it */
			const char *nl = memchr(f->buf, '\n', (size_t)got);
			used = nl ? (size_t)(nl - f->buf) + 1 : (size_t)got;
		}
		from += (off_t)used;
		budget = budget > used ? budget - used : 0;
		if (last && !all_at_end && used < (size_t)got) break;
	}
	return from;
}

/* The first line start at or after off (off itself when 0). */
static off_t tl_line_start(int fd, off_t off, off_t size, char *buf)
{
	while (off > 0 && off < size) {
		ssize_t got = tl_pread(fd, buf, 4096, off - 1);
		if (got <= 0) return size;
		const char *nl = memchr(buf, '\n', (size_t)got);
		if (nl) return off - 1 + (off_t)(nl - buf) + 1;
		off += got - 1;
	}
	return off < size ? off : size;
}

/* The time of the first parsable line at or after off (0 none near). */
static double tl_time_at(int fd, const struct accesslog_format *fmt, off_t off, off_t size, char *buf)
{
	off = tl_line_start(fd, off, size, buf);
	ssize_t got = tl_pread(fd, buf, 8192, off);
	const char *p = buf, *end = buf + (got > 0 ? got : 0);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) break;
		struct accesslog_fields a;
		if (accesslog_parse_fields(fmt, p, (size_t)(nl - p), &a)) return a.time;
		p = nl + 1;
	}
	return 0;
}

/* The first line start whose time is >= since (bisection; lines are in
 * time order but for a few seconds of jitter between workers). */
static off_t tl_find_since(int fd, const struct accesslog_format *fmt, off_t size, double since, char *buf)
{
	off_t lo = 0, hi = size;
	while (hi - lo > 65536) {
		off_t mid = lo + (hi - lo) / 2;
		double t = tl_time_at(fd, fmt, mid, size, buf);
		if (t && t < since - 5) lo = mid;
		else hi = mid;
	}
	return tl_line_start(fd, lo, size, buf);
}

static const char *tl_format_of(const struct gw_snapshot *s, const char *fmtname)
{
	if (!fmtname || !fmtname[0] || !strcmp(fmtname, "combined")) return accesslog_combined;
	for (size_t i = 0; i < s->conf.log_formats.n; i++)
		if (!strcmp(s->conf.log_formats.v[i].name, fmtname)) return s->conf.log_formats.v[i].format;
	return accesslog_combined;
}

static int tl_on_backfill(sd_event_source *src, void *ud);

static void tl_progress(struct tlfeed *f)
{
	struct timeline_progress p = {
		.backfilling = f->bf_done < f->bf_total,
		.done = f->bf_done, .total = f->bf_total,
		.since = f->since, .lines = f->lines, .unparsed = f->unparsed,
	};
	timeline_set_progress(f->tl, &p);
}

/* One step of the backfill (or all of it without a loop). Returns 1 while
 * more is left. */
static int tl_backfill_step(struct tlfeed *f, size_t budget)
{
	for (size_t i = 0; i < f->logs.n && budget; i++) {
		struct tl_log *l = &f->logs.v[i];
		if (l->bf_from >= l->bf_to) continue;
		char err[GW_TEXT] = "";
		struct stat st;
		int fd = trust_open_regular(l->path, &st, err, sizeof err);
		if (fd < 0 || st.st_ino != l->ino || st.st_dev != l->dev) {   /* rotated away: give up */
			if (fd >= 0) close(fd);
			f->bf_done += (unsigned long long)(l->bf_to - l->bf_from);
			l->bf_from = l->bf_to;
			continue;
		}
		off_t was = l->bf_from;
		l->bf_from = tl_read_range(f, fd, &l->fmt, l->bf_from, l->bf_to, budget, 0);
		close(fd);
		if (l->bf_from == was) l->bf_from = l->bf_to;    /* no progress: stop */
		f->bf_done += (unsigned long long)(l->bf_from - was);
		budget = budget > (size_t)(l->bf_from - was) ? budget - (size_t)(l->bf_from - was) : 0;
	}
	int more = 0;
	for (size_t i = 0; i < f->logs.n; i++) more |= f->logs.v[i].bf_from < f->logs.v[i].bf_to;
	if (!more) f->bf_done = f->bf_total;
	tl_progress(f);
	return more;
}

static int tl_on_backfill(sd_event_source *src, void *ud)
{
	struct tlfeed *f = ud;
	(void)src;
	if (!tl_backfill_step(f, TLFEED_STEP)) {
		sd_event_source_disable_unref(f->bf);
		f->bf = NULL;
	}
	return 0;
}

/* A log seen for the first time: its tail now, the rest from `since` as backfill. */
static void tl_log_start(struct tlfeed *f, struct tl_log *l, int fd, const struct stat *st)
{
	off_t size = st->st_size;
	off_t tail = size > (off_t)TLFEED_TAIL ? tl_line_start(fd, size - (off_t)TLFEED_TAIL, size, f->buf) : 0;
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	l->live = tl_read_range(f, fd, &l->fmt, tail, size, (size_t)-1, 0);
	l->bf_to = tail;
	l->bf_from = tail > 0 ? tl_find_since(fd, &l->fmt, tail, f->since, f->buf) : 0;
	if (l->bf_from > l->bf_to) l->bf_from = l->bf_to;
	f->bf_total += (unsigned long long)(l->bf_to - l->bf_from);
}

static void tl_log_follow(struct tlfeed *f, struct tl_log *l, const char *path)
{
	char err[GW_TEXT] = "";
	struct stat st;
	int fd = trust_open_regular(path, &st, err, sizeof err);
	if (fd < 0) return;                  /* accesstail notes it */
	if (!l->ino) {
		tl_log_start(f, l, fd, &st);
	} else {
		if (st.st_ino != l->ino || st.st_dev != l->dev || st.st_size < l->live) {   /* rotated / truncated */
			l->ino = st.st_ino;
			l->dev = st.st_dev;
			l->live = 0;
		}
		/* at most 64 MiB per pass: a log growing faster is followed over several passes */
		l->live = tl_read_range(f, fd, &l->fmt, l->live, st.st_size, (size_t)64 << 20, 0);
	}
	close(fd);
}

static struct tl_log *tl_lookup(struct tlfeed *f, const char *path, const char *fmt, struct timeline_fields *fl)
{
	struct tl_log *l = NULL;
	for (size_t i = 0; i < f->logs.n && !l; i++)
		if (!strcmp(f->logs.v[i].path, path)) l = &f->logs.v[i];
	if (!l) {
		if (f->logs.n >= TLFEED_MAX_LOGS) return NULL;
		l = gw_vec_push(&f->logs);
		GW_COPY(l->path, path);
	}
	if (!accesslog_format_compile(fmt, &l->fmt)) accesslog_format_compile(accesslog_combined, &l->fmt);
	/* what any of the logs gives; the format named is the first with the upstream address */
	if (!fl->has_upstream_addr && l->fmt.has[AL_V_UPSTREAM_ADDR]) fl->format_name[0] = '\0';
	fl->known = 1;
	fl->has_upstream_addr |= l->fmt.has[AL_V_UPSTREAM_ADDR];
	fl->has_upstream_status |= l->fmt.has[AL_V_UPSTREAM_STATUS];
	fl->has_upstream_time |= l->fmt.has[AL_V_UPSTREAM_RESPONSE_TIME];
	fl->has_request_time |= l->fmt.has[AL_V_REQUEST_TIME];
	l->gone = 0;
	return l;
}

static int tl_is_file_log(const char *p)
{
	return p[0] == '/' && strcmp(p, "/dev/null") && !gw_starts_with(p, "/dev/std");
}

/* New code: the mtime of an app unit's WorkingDirectory. */
static void tl_deploys(struct tlfeed *f, const struct gw_snapshot *s)
{
	for (size_t i = 0; i < s->units.n; i++) {
		const struct gw_unit *u = &s->units.v[i];
		struct stat st;
		if (!u->is_app || u->working_dir[0] != '/' || stat(u->working_dir, &st) < 0) continue;
		double mt = (double)st.st_mtim.tv_sec;
		struct tl_deploy *d = NULL;
		for (size_t k = 0; k < f->deploys.n && !d; k++)
			if (!strcmp(f->deploys.v[k].dir, u->working_dir)) d = &f->deploys.v[k];
		if (!d) {
			if (f->deploys.n >= 16) continue;
			d = gw_vec_push(&f->deploys);
			GW_COPY(d->dir, u->working_dir);
		}
		if (d->mtime != mt && mt >= s->taken - TIMELINE_MINUTES * 60.0)
			timeline_add_event(f->tl, mt, TL_EV_DEPLOY, 0, u->name, "%s: WorkingDirectory %s changed (new code?)",
					   u->name, u->working_dir);
		d->mtime = mt;
	}
}

int tlfeed_error_line(struct timeline *tl, const char *line, size_t len)
{
	/* "YYYY/MM/DD HH:MM:SS [notice] " at fixed places */
	static const char shape[] = "dddd/dd/dd dd:dd:dd [notice]";
	int v[6] = { 0 }, k = 0;
	if (len < sizeof shape - 1) return 0;
	for (size_t i = 0; i < sizeof shape - 1; i++) {
		if (shape[i] != 'd') {
			if (line[i] != shape[i]) return 0;
			if (i < 19) k++;
			continue;
		}
		if (line[i] < '0' || line[i] > '9') return 0;
		v[k] = v[k] * 10 + (line[i] - '0');
	}
	int y = v[0], mo = v[1], d = v[2], h = v[3], mi = v[4], sec = v[5];
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return 0;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
			 .tm_sec = sec, .tm_isdst = -1 };
	double t = (double)mktime(&tm);          /* nginx writes local time */
	if (t <= 0) return 0;
	if (memmem(line, len, "reconfiguring", 13) || memmem(line, len, "signal process started", 22)) {
		timeline_add_event(tl, t, TL_EV_NGINX_RELOAD, 0, "nginx", "nginx reloaded (error.log: %s)",
				   memmem(line, len, "reconfiguring", 13) ? "reconfiguring" : "signal process started");
		return 1;
	}
	/* the master told to stop ("signal 15 (SIGTERM) received from 1, exiting",
	 * SIGQUIT: "shutting down"); old workers' "gracefully shutting down" is a reload */
	if (memmem(line, len, "received from", 13) &&
	    (memmem(line, len, "exiting", 7) || memmem(line, len, ", shutting down", 15))) {
		timeline_add_event(tl, t, TL_EV_NGINX_STOP, 0, "nginx", "nginx stopping (error.log)");
		return 1;
	}
	return 0;
}

/* nginx's error logs: new notice lines about reloads and stops. A log
 * seen for the first time is read from its last TLFEED_TAIL bytes. */
static void tl_errlogs(struct tlfeed *f, const struct gw_snapshot *s)
{
	for (size_t i = 0; i < s->conf.logs.n; i++) {
		const struct gw_conf_log *lg = &s->conf.logs.v[i];
		if (lg->is_access || !tl_is_file_log(lg->path)) continue;
		struct tl_errlog *e = NULL;
		for (size_t k = 0; k < f->errlogs.n && !e; k++)
			if (!strcmp(f->errlogs.v[k].path, lg->path)) e = &f->errlogs.v[k];
		if (!e) {
			if (f->errlogs.n >= TLFEED_MAX_LOGS) continue;
			e = gw_vec_push(&f->errlogs);
			GW_COPY(e->path, lg->path);
		}
		char err[GW_TEXT] = "";
		struct stat st;
		int fd = trust_open_regular(e->path, &st, err, sizeof err);
		if (fd < 0) continue;
		if (st.st_ino != e->ino || st.st_dev != e->dev || st.st_size < e->off) {
			e->off = e->ino ? 0 : (st.st_size > (off_t)TLFEED_TAIL ? st.st_size - (off_t)TLFEED_TAIL : 0);
			e->ino = st.st_ino;
			e->dev = st.st_dev;
		}
		while (e->off < st.st_size) {
			size_t want = (size_t)(st.st_size - e->off);
			if (want > TLFEED_CHUNK) want = TLFEED_CHUNK;
			ssize_t got = tl_pread(fd, f->buf, want, e->off);
			if (got <= 0) break;
			const char *p = f->buf, *end = f->buf + got;
			while (p < end) {
				const char *nl = memchr(p, '\n', (size_t)(end - p));
				if (!nl) break;
				if (memmem(p, (size_t)(nl - p), "[notice]", 8)) tlfeed_error_line(f->tl, p, (size_t)(nl - p));
				p = nl + 1;
			}
			if (p == f->buf) {               /* a line longer than a chunk */
				e->off += got;
				continue;
			}
			e->off += (off_t)(p - f->buf);
			if (p < end && e->off + (end - p) >= st.st_size) break;   /* a partial last line */
		}
		close(fd);
	}
}

void tlfeed_pass(struct tlfeed *f, struct gw_snapshot *s)
{
	const struct gw_options *o = f->o;
	struct timeline_fields fl = { 0 };
	int first = !f->since;
	if (first) f->since = s->taken - tlfeed_window(o);
	s->timeline = f->tl;
	timeline_observe(f->tl, s);
	tl_deploys(f, s);
	tl_errlogs(f, s);

	for (size_t i = 0; i < f->logs.n; i++) f->logs.v[i].gone = 1;
	const char *fmtname = NULL;
	if (o && o->access_logs.n) {
		/* --access-log: the config's format for that path if it names it */
		for (size_t i = 0; i < o->access_logs.n; i++) {
			fmtname = NULL;
			for (size_t k = 0; k < s->conf.logs.n && !fmtname; k++)
				if (s->conf.logs.v[k].is_access && !strcmp(s->conf.logs.v[k].path, o->access_logs.v[i]))
					fmtname = s->conf.logs.v[k].format;
			struct tl_log *l = tl_lookup(f, o->access_logs.v[i], tl_format_of(s, fmtname), &fl);
			if (!fl.format_name[0]) GW_COPY(fl.format_name, fmtname && fmtname[0] ? fmtname : "combined");
			if (l) tl_log_follow(f, l, l->path);
		}
	} else {
		for (size_t i = 0; i < s->conf.logs.n; i++) {
			const struct gw_conf_log *lg = &s->conf.logs.v[i];
			if (!lg->is_access || !tl_is_file_log(lg->path)) continue;
			struct tl_log *l = tl_lookup(f, lg->path, tl_format_of(s, lg->format), &fl);
			if (!fl.format_name[0]) GW_COPY(fl.format_name, lg->format[0] ? lg->format : "combined");
			if (l) tl_log_follow(f, l, l->path);
		}
	}
	if (fl.known && !(fl.has_upstream_addr && fl.has_upstream_status && fl.has_upstream_time))
		gw_fmt(fl.hint, sizeof fl.hint, "%s", accesslog_hint_format);
	timeline_set_fields(f->tl, &fl);

	int more = 0;
	for (size_t i = 0; i < f->logs.n; i++) more |= f->logs.v[i].bf_from < f->logs.v[i].bf_to;
	if (more && !f->e) {
		while (tl_backfill_step(f, (size_t)-1)) {
		}
	} else if (more && !f->bf) {
		if (sd_event_add_defer(f->e, &f->bf, tl_on_backfill, f) >= 0) {
			sd_event_source_set_priority(f->bf, SD_EVENT_PRIORITY_IDLE);
			sd_event_source_set_enabled(f->bf, SD_EVENT_ON);
		} else {
			while (tl_backfill_step(f, (size_t)-1)) {
			}
		}
	}
	tl_progress(f);
}

long tlfeed_read_file(struct timeline *tl, const char *path, const char *fmt, double since)
{
	struct tlfeed f = { .tl = tl, .since = since };
	struct accesslog_format af;
	char err[GW_TEXT] = "";
	struct stat st;
	if (!accesslog_format_compile(fmt ? fmt : accesslog_combined, &af)) accesslog_format_compile(accesslog_combined, &af);
	int fd = trust_open_regular(path, &st, err, sizeof err);
	if (fd < 0) return -1;
	f.buf = gw_xmalloc(TLFEED_CHUNK + 1);
	tl_read_range(&f, fd, &af, 0, st.st_size, (size_t)-1, 1);
	close(fd);
	free(f.buf);
	return (long)f.lines;
}
