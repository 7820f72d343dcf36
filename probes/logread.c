/* logread.c — read the end of a log file (bounded), split it into lines,
 * classify them (logclass) and append events to the snapshot.
 *
 * The file is opened non-blocking and must be a regular file; at most
 * max_bytes are read with pread from the end, so the cost never depends on
 * the file's size. When reading starts inside the file, the first (partial)
 * line is skipped. Lines longer than LOGREAD_LINE_MAX are classified on
 * their first LOGREAD_LINE_MAX bytes. */
#include "logread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logclass.h"
#include "trust.h"

/* At most this many events are kept per call (the newest): a 4 MiB
 * error.log full of failures must not cost tens of MiB of events. */
#define LOGREAD_MAX_EVENTS 2000

int logread_classify(int kind, const char *line, size_t len, struct gw_log_event *ev)
{
	switch (kind) {
	case LOGREAD_NGINX_ERROR: return logclass_nginx_error(line, len, ev);
	case LOGREAD_APP:         return logclass_app(line, len, ev);
	case LOGREAD_KERNEL:      return logclass_kernel(line, len, ev);
	default:
		memset(ev, 0, sizeof *ev);
		return 0;
	}
}

/* State of one pass over a buffer. Events go to a ring of the newest
 * LOGREAD_MAX_EVENTS first, then to the snapshot in file order. */
struct logread_pass {
	struct gw_snapshot *s;
	const char *source;
	int kind;
	double since;
	struct gw_log_event *ring;   /* owned; grows up to LOGREAD_MAX_EVENTS */
	size_t ring_cap;
	size_t total;                /* events pushed so far */
	/* app: an open traceback whose final exception line is still to come */
	int in_tb;
	struct gw_log_event tb;
	double last_time;            /* time of the last line that had one */
	/* app: the last timed unclassified line and where it belongs */
	int have_other;
	struct gw_log_event other;
	size_t other_seq;            /* events pushed before it */
};

static void logread_push(struct logread_pass *p, const struct gw_log_event *ev)
{
	if (ev->time != 0 && ev->time < p->since) return;
	if (p->total < LOGREAD_MAX_EVENTS && p->total == p->ring_cap) {
		p->ring_cap = p->ring_cap ? p->ring_cap * 2 : 16;
		if (p->ring_cap > LOGREAD_MAX_EVENTS) p->ring_cap = LOGREAD_MAX_EVENTS;
		p->ring = gw_xrealloc(p->ring, p->ring_cap * sizeof *p->ring);
	}
	struct gw_log_event *e = &p->ring[p->total % LOGREAD_MAX_EVENTS];
	*e = *ev;
	GW_COPY(e->source, p->source);
	logclass_mask(e);
	p->total++;
}

static int logread_indented(const char *line, size_t len)
{
	return len > 0 && (line[0] == ' ' || line[0] == '\t');
}

static int logread_is_exception_kind(enum gw_log_kind k)
{
	return k == GW_LOG_APP_MODULE_NOT_FOUND || k == GW_LOG_APP_CONFIG ||
	       k == GW_LOG_APP_DB || k == GW_LOG_APP_EXCEPTION;
}

static void logread_line(struct logread_pass *p, const char *line, size_t len)
{
	struct gw_log_event ev;
	if (len > LOGREAD_LINE_MAX) len = LOGREAD_LINE_MAX;
	logread_classify(p->kind, line, len, &ev);

	if (p->kind == LOGREAD_APP) {
		if (ev.kind == GW_LOG_APP_TRACEBACK) {
			if (p->in_tb) logread_push(p, &p->tb);     /* never finished */
			if (!ev.time) ev.time = p->last_time;
			p->tb = ev;
			p->in_tb = 1;
			return;
		}
		if (p->in_tb) {
			if (logread_indented(line, len)) return;  /* frames, code, ^^^ */
			p->in_tb = 0;
			if (logread_is_exception_kind(ev.kind)) {
				if (!ev.time) ev.time = p->tb.time;
				logread_push(p, &ev);
				return;
			}
			logread_push(p, &p->tb);
		}
	}
	if (ev.time) p->last_time = ev.time;
	if (ev.kind != GW_LOG_OTHER) {
		logread_push(p, &ev);
	} else if (p->kind == LOGREAD_APP && ev.time) {
		p->other = ev;
		GW_COPY(p->other.source, p->source);
		logclass_mask(&p->other);
		p->have_other = 1;
		p->other_seq = p->total;
	}
}

/* Split buf into lines and classify them. Returns lines seen. */
static size_t logread_lines(struct logread_pass *p, const char *buf, size_t len)
{
	size_t n = 0;
	const char *q = buf, *end = buf + len;
	while (q < end) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		size_t l = nl ? (size_t)(nl - q) : (size_t)(end - q);
		logread_line(p, q, l);
		n++;
		q = nl ? nl + 1 : end;
	}
	return n;
}

static void logread_finish(struct logread_pass *p)
{
	struct gw_snapshot *s = p->s;
	if (p->in_tb) {
		logread_push(p, &p->tb);
		p->in_tb = 0;
	}
	size_t kept = p->total < LOGREAD_MAX_EVENTS ? p->total : LOGREAD_MAX_EVENTS;
	size_t first = p->total - kept;
	int other = p->have_other && p->other.time >= p->since;
	size_t other_at = other && p->other_seq > first ? p->other_seq : first;
	for (size_t seq = first; seq <= p->total; seq++) {
		/* the "last line seen" goes where it was in the file */
		if (other && seq == other_at)
			*(struct gw_log_event *)gw_vec_push(&s->events) = p->other;
		if (seq < p->total)
			*(struct gw_log_event *)gw_vec_push(&s->events) = p->ring[seq % LOGREAD_MAX_EVENTS];
	}
}

/* *capped: more than LOGREAD_MAX_EVENTS events were found (the oldest dropped). */
static size_t logread_run(struct gw_snapshot *s, const char *source, int kind,
			  const char *buf, size_t len, double since, int *appended, int *capped)
{
	struct logread_pass *p = gw_xcalloc(1, sizeof *p);   /* holds two events: keep off the stack */
	size_t before = s->events.n;
	p->s = s;
	p->source = source;
	p->kind = kind;
	p->since = since;
	size_t lines = logread_lines(p, buf, len);
	logread_finish(p);
	*appended = (int)(s->events.n - before);
	if (capped) *capped = p->total > LOGREAD_MAX_EVENTS;
	free(p->ring);
	free(p);
	return lines;
}

int logread_buffer(struct gw_snapshot *s, const char *source, int kind,
		   const char *buf, size_t len, double since)
{
	int appended = 0;
	logread_run(s, source, kind, buf, len, since, &appended, NULL);
	return appended;
}

static const char *logread_ftype(mode_t m)
{
	if (S_ISDIR(m)) return "is a directory";
	if (S_ISFIFO(m)) return "is a FIFO, not a regular file";
	if (S_ISSOCK(m)) return "is a socket, not a regular file";
	if (S_ISCHR(m) || S_ISBLK(m)) return "is a device, not a regular file";
	return "is not a regular file";
}

static int logread_fail(struct gw_snapshot *s, struct gw_log_source *src, const char *why)
{
	src->readable = 0;
	GW_COPY(src->error, why);
	snapshot_note(s, "logs", "cannot read %s: %s", src->path, why);
	return -1;
}

/* nginx error.log lines start with a local "YYYY/MM/DD HH:MM:SS" that sorts
 * as text: binary-search the buffer for the first line not older than
 * `since`, so that old history costs nothing to skip (start-up with a big
 * log of old lines is as fast as with a small one). Lines that do not
 * start with a time (continuations) count as new: the search only ever
 * skips what is provably old. */
static int logread_line_is_old(const char *p, size_t n, const char *cut)
{
	if (n < 19 || p[4] != '/' || p[7] != '/' || p[10] != ' ' || p[13] != ':' || p[16] != ':')
		return 0;
	return memcmp(p, cut, 19) < 0;
}

static void logread_skip_old(const char **bp, size_t *lenp, double since)
{
	const char *b = *bp, *end = b + *lenp;
	char cut[32];
	time_t t = (time_t)since;
	struct tm tm;
	if (!localtime_r(&t, &tm) || strftime(cut, sizeof cut, "%Y/%m/%d %H:%M:%S", &tm) != 19) return;
	if (!logread_line_is_old(b, (size_t)(end - b), cut)) return;      /* nothing provably old */
	const char *lo = b, *hi = end;       /* lo: a line start that is old; hi: first not-old bound */
	while (hi - lo > 1024) {
		const char *mid = lo + (hi - lo) / 2;
		const char *nl = memchr(mid, '\n', (size_t)(hi - mid));
		if (!nl || nl + 1 >= hi) break;
		mid = nl + 1;
		if (logread_line_is_old(mid, (size_t)(end - mid), cut)) lo = mid;
		else hi = mid;
	}
	/* walk line by line from lo to the first line that is not old */
	while (lo < end && logread_line_is_old(lo, (size_t)(end - lo), cut)) {
		const char *nl = memchr(lo, '\n', (size_t)(end - lo));
		if (!nl) { lo = end; break; }
		lo = nl + 1;
	}
	*lenp = (size_t)(end - lo);
	*bp = lo;
}

char *logread_range(int fd, off_t from, size_t want, size_t *got, int *err)
{
	char *buf = gw_xmalloc(want + 1);
	size_t n = 0;
	*err = 0;
	while (n < want) {
		ssize_t r = pread(fd, buf + n, want - n, from + (off_t)n);
		if (r < 0) {
			if (errno == EINTR) continue;
			*err = errno;
			break;
		}
		if (r == 0) break;                     /* truncated under us */
		n += (size_t)r;
	}
	*got = n;
	return buf;
}

const char *logread_after_partial(const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);
	return nl ? nl + 1 : NULL;
}

static int logread_follow_(struct gw_snapshot *s, const char *path, const char *tag, int kind,
			   size_t max_bytes, double since, const struct gw_log_source *prev, int *capped)
{
	struct gw_log_source *src = gw_vec_push(&s->log_sources);
	GW_COPY(src->path, path);
	GW_COPY(src->tag, tag ? tag : "");
	if (!max_bytes) max_bytes = LOGREAD_DEFAULT_MAX;

	/* paths come from configs and command lines: a regular file only,
	 * checked through O_PATH before it is opened (trust.h) */
	struct stat st;
	char why[GW_TEXT];
	int fd = trust_open_regular(path, &st, why, sizeof why);
	if (fd < 0) {
		if (errno == EINVAL) return logread_fail(s, src, logread_ftype(st.st_mode));
		if (errno == EACCES || errno == EPERM)
			gw_fmt(why, sizeof why, "%s (needs root?)", strerror(errno));
		return logread_fail(s, src, why);
	}
	src->inode = st.st_ino;
	src->size = st.st_size;

	off_t size = st.st_size;
	off_t start = size > (off_t)max_bytes ? size - (off_t)max_bytes : 0;
	int at_boundary = start == 0;
	if (prev && prev->inode == st.st_ino && prev->offset <= size && prev->offset >= start) {
		start = prev->offset;                  /* same file, not truncated */
		at_boundary = 1;
	}
	size_t got;
	int e;
	char *buf = logread_range(fd, start, (size_t)(size - start), &got, &e);
	if (e) {
		free(buf);
		close(fd);
		return logread_fail(s, src, strerror(e));
	}
	close(fd);

	const char *b = buf;
	size_t blen = got;
	if (!at_boundary) {                            /* skip the partial first line */
		const char *nl = logread_after_partial(buf, got);
		b = nl ? nl : buf + got;
		blen = got - (size_t)(b - buf);
	}
	if (kind == LOGREAD_NGINX_ERROR && since > 0)
		logread_skip_old(&b, &blen, since);
	char source[GW_NAME];
	gw_fmt(source, sizeof source, "%s:%s", tag ? tag : "log", path);
	int appended = 0;
	src->lines_read = logread_run(s, source, kind, b, blen, since, &appended, capped);
	src->offset = start + (off_t)got;
	src->readable = 1;
	free(buf);
	return appended;
}

int logread_follow(struct gw_snapshot *s, const char *path, const char *tag, int kind,
		   size_t max_bytes, double since, const struct gw_log_source *prev)
{
	return logread_follow_(s, path, tag, kind, max_bytes, since, prev, NULL);
}

int logread_tail(struct gw_snapshot *s, const char *path, const char *tag, int kind,
		 size_t max_bytes, double since)
{
	return logread_follow_(s, path, tag, kind, max_bytes, since, NULL, NULL);
}

/* ---------------------------------------------------------------- cache */

/* A file whose ctime is this close to the read may change again without
 * its stat() moving (timestamps are as coarse as a jiffy, or a second on
 * some filesystems): it is read again until it is older (git's "racily
 * clean" rule). */
#define LOGREAD_RACY 2.0

/* One file's last read. */
struct logread_cached {
	char path[GW_PATH], tag[GW_NAME];
	int kind;
	size_t max_bytes;
	int used;                    /* asked for since the last sweep */
	/* stat() before that read */
	dev_t dev;
	ino_t ino;
	off_t size;
	mode_t mode;
	struct timespec mtime, ctime;
	double at;                   /* gw_now() just before that stat() */
	double since;                /* the read kept events with time >= since (or 0) */
	struct gw_log_source src;
	struct gw_log_event *ev;     /* owned */
	size_t nev;
};

struct logread_cache {
	GW_VEC(struct logread_cached) v;
	unsigned reads;              /* files really read so far */
};

unsigned logread_cache_reads(const struct logread_cache *c)
{
	return c->reads;
}

struct logread_cache *logread_cache_new(void)
{
	return gw_xcalloc(1, sizeof(struct logread_cache));
}

void logread_cache_free(struct logread_cache *c)
{
	if (!c) return;
	for (size_t i = 0; i < c->v.n; i++) free(c->v.v[i].ev);
	gw_vec_free(&c->v);
	free(c);
}

void logread_cache_sweep(struct logread_cache *c)
{
	size_t k = 0;
	for (size_t i = 0; i < c->v.n; i++) {
		if (!c->v.v[i].used) {
			free(c->v.v[i].ev);
			continue;
		}
		c->v.v[i].used = 0;
		c->v.v[k++] = c->v.v[i];
	}
	c->v.n = k;
}

static int logread_same_file(const struct logread_cached *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
	       e->mode == st->st_mode &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       e->ctime.tv_sec == st->st_ctim.tv_sec && e->ctime.tv_nsec == st->st_ctim.tv_nsec &&
	       (double)st->st_ctim.tv_sec + st->st_ctim.tv_nsec / 1e9 < e->at - LOGREAD_RACY;
}

int logread_tail_cached(struct logread_cache *c, struct gw_snapshot *s, const char *path, const char *tag,
			int kind, size_t max_bytes, double since)
{
	struct logread_cached *e = NULL;
	struct stat st;
	if (!tag) tag = "";
	for (size_t i = 0; i < c->v.n && !e; i++) {
		struct logread_cached *x = &c->v.v[i];
		if (x->kind == kind && x->max_bytes == max_bytes && !strcmp(x->path, path) && !strcmp(x->tag, tag))
			e = x;
	}
	double at = gw_now();
	int have_st = stat(path, &st) == 0;
	if (e && have_st && e->src.readable && since >= e->since && logread_same_file(e, &st)) {
		/* unchanged: the same events, less those the window has left behind */
		int appended = 0;
		e->used = 1;
		*(struct gw_log_source *)gw_vec_push(&s->log_sources) = e->src;
		for (size_t i = 0; i < e->nev; i++) {
			if (e->ev[i].time != 0 && e->ev[i].time < since) continue;
			*(struct gw_log_event *)gw_vec_push(&s->events) = e->ev[i];
			appended++;
		}
		return appended;
	}
	size_t before = s->events.n;
	int capped = 0;
	c->reads++;
	int n = logread_follow_(s, path, tag, kind, max_bytes, since, NULL, &capped);
	const struct gw_log_source *src = &s->log_sources.v[s->log_sources.n - 1];
	if (strlen(path) >= sizeof e->path || strlen(tag) >= sizeof e->tag) return n;   /* cannot key it */
	if (!e) {
		e = gw_vec_push(&c->v);
		GW_COPY(e->path, path);
		GW_COPY(e->tag, tag);
		e->kind = kind;
		e->max_bytes = max_bytes;
	}
	e->used = 1;
	free(e->ev);
	e->ev = NULL;
	e->nev = 0;
	/* only a complete read of a file that was there can stand for the next ones */
	e->src = *src;
	if (n < 0 || capped || !have_st) {
		e->src.readable = 0;
		return n;
	}
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->size = st.st_size;
	e->mode = st.st_mode;
	e->mtime = st.st_mtim;
	e->ctime = st.st_ctim;
	e->at = at;
	e->since = since;
	e->nev = s->events.n - before;
	if (e->nev) {
		e->ev = gw_xmalloc(e->nev * sizeof *e->ev);
		memcpy(e->ev, s->events.v + before, e->nev * sizeof *e->ev);
	}
	return n;
}
