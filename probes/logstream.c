/* logstream.c — the live merged log stream (see logstream.h).
 *
 * Pieces, top to bottom:
 *  - the ring: lines sorted by (time, seq) in an array of 2*cap slots
 *    (live lines [head, head+n)); appends are O(1) amortised, a late line
 *    is inserted by binary search (it is almost always near the end), a
 *    large batch (start-up) is merged in O(n+m);
 *  - ingest: one raw line -> classified logstream_line in a batch;
 *  - file followers: tail -F over one inotify fd on the sd-event loop. A
 *    follower has a current reader and, after a rename/delete, an old
 *    reader that is drained until it stays quiet (the writer reopened);
 *  - the journal follower: one sd_journal with a disjunction of matches,
 *    its fd on the loop;
 *  - container followers: one follow request per container to the engine's
 *    API, each on its own curlev (one transfer: cancelling it cancels
 *    nothing else), the bytes demultiplexed as they come (docker_demux);
 *  - a 1 s backstop timer re-checks everything (directories that do not
 *    exist yet, filesystems without inotify); the dashboard runs those
 *    checks from its probe timer instead (logstream_backstop).
 * Ownership: the stream owns every line's text, the readers' fds, the
 * journal and the follow requests; callers get const pointers valid until
 * the loop runs again. */
#include "logstream.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "curlev.h"
#include "docker.h"
#include "logclass.h"
#include "sanitize.h"
#include "trust.h"

#define LS_CHUNK ((size_t)256 << 10)      /* pread size */
#define LS_READ_BUDGET ((off_t)16 << 20)   /* per check and reader; the rest on a deferred pass */
#define LS_SKIP_BYTES ((off_t)64 << 20)    /* a backlog larger than this is skipped to its end */
#define LS_OLD_GRACE 5.0                   /* seconds an old (rotated) file is drained after it went quiet */
#define LS_BACKSTOP_USEC 1000000ULL
#define LS_SMALL_BATCH 16
#define LS_FIRST_BYTES ((off_t)64 << 10)   /* start-up: read at once, the rest deferred */
#define LS_INCIDENT_GAP 180.0              /* seconds between errors that still make one incident */
#define LS_CTR_LINE_MAX (LOGSTREAM_TEXT_MAX + 64)   /* a container line split across reads: text + time stamp */
#define LS_CTR_SEEN 8                      /* lines remembered at the newest time stamp */

/* ------------------------------------------------------------------ types */

struct ls_reader {
	int fd;                      /* -1 closed */
	dev_t dev;
	ino_t ino;
	off_t off;                   /* bytes consumed (the partial line included) */
	int wd;                      /* inotify watch on the inode, -1 none */
	char *part;                  /* the incomplete last line, LOGSTREAM_TEXT_MAX bytes, owned */
	size_t plen;
	int cut;                     /* the partial line overflowed: the rest up to '\n' is dropped */
	double quiet_since;          /* old reader: gw_mono() of its last data */
};

struct ls_file {
	size_t src;
	char path[GW_PATH];
	char dir[GW_PATH];
	char base[256];
	int dir_wd;                  /* -1 none (directory missing) */
	int started;                 /* first check done: later files are read from 0 */
	/* start-up in two steps: the last LS_FIRST_BYTES at once (the first
	 * screen), the older part of the backfill on a deferred pass */
	off_t bf_from, bf_to;        /* pending older range, empty when bf_to <= bf_from */
	dev_t bf_dev;
	ino_t bf_ino;
	size_t bf_have;              /* lines the first step kept */
	struct ls_reader cur, old;
};

/* A followed container. The request's state lives here; lines go to src. */
struct ls_ctr {
	struct logstream *ls;
	size_t src;
	char id[72];                 /* the container (a recreated one has a new id) */
	char sock[GW_PATH];          /* the engine's socket */
	struct curlev *cv;           /* NULL until the first request */
	CURL *easy;                  /* the follow request open, NULL none */
	struct docker_demux dm;
	long http;                   /* its status, 0 before the headers */
	char body[256];              /* an error answer, NUL-terminated */
	size_t blen;
	char errbuf[CURL_ERROR_SIZE];
	double asked;                /* gw_now() of the request */
	double started_at;           /* State.StartedAt the request was made for */
	int took;                    /* this request gave lines */
	int refused;                 /* HTTP error: ask again only after a new start */
	int64_t wm;                  /* newest line taken (engine ns), 0 none yet */
	uint64_t seen[LS_CTR_SEEN];  /* hashes of the lines taken at exactly wm */
	int nseen;
	struct ls_batch *b;          /* where lines go while a feed runs */
};

struct ls_src {
	struct logstream_source pub;
	double prev_time;            /* time of the previous line (file order) */
	long amb_hour;               /* DST: hour last found unambiguous */
};

struct ls_batch {
	GW_VEC(struct logstream_line) v;
};

struct logstream {
	sd_event *e;
	struct logstream_config cfg;
	char journal_dir[GW_PATH];

	/* ring */
	struct logstream_line *ring;
	size_t head, n, alloc;
	size_t text_bytes;
	uint64_t seq, gen;

	GW_VEC(struct ls_src) srcs;
	GW_VEC(struct ls_file *) files;
	GW_VEC(struct ls_ctr *) ctrs;

	int ifd;                     /* inotify, -1 unavailable */
	sd_event_source *ino_src, *timer, *defer;
	uint64_t polled;             /* CLOCK_MONOTONIC usec of the last ls_poll_all */

	/* journal */
	sd_journal *j;
	sd_event_source *j_src;
	int j_failed;
	int j_dirty;                 /* the match set changed */
	int in_sync;                 /* logstream_sync: set the journal up once at its end */
	uint64_t j_last_usec;        /* newest entry read */
	unsigned char *j_matched;    /* per source: was in the query when j_last_usec was read */
	size_t j_matched_n;

	struct accesslog_stats acc;
	struct gw_log_event scratch;  /* the classifiers' output for one line (large: not on the stack) */

	void (*notify)(void *);
	void *notify_ud;
	void (*alarm)(void *);           /* a request failed just now (see .h) */
	void *alarm_ud;
	int alarm_pending;
};

static void ls_check_file(struct logstream *ls, struct ls_file *f);

/* ------------------------------------------------------------------ ring */

static struct logstream_line *ls_at(const struct logstream *ls, size_t i)
{
	return &ls->ring[ls->head + i];
}

static void ls_drop_oldest(struct logstream *ls)
{
	struct logstream_line *l = ls_at(ls, 0);
	ls->text_bytes -= l->len + 1;
	free(l->text);
	ls->head++;
	ls->n--;
}

/* Make room for one more line at the end of the slot array. */
static void ls_room(struct logstream *ls)
{
	if (ls->head + ls->n < ls->alloc) return;
	memmove(ls->ring, ls->ring + ls->head, ls->n * sizeof *ls->ring);
	ls->head = 0;
}

/* Index of the first line with time > t (upper bound). Late lines are
 * nearly always close to the end: gallop back from it, then bisect. */
static size_t ls_upper(const struct logstream *ls, double t)
{
	size_t n = ls->n, step = 1, lo, hi = n;
	while (step <= n && ls_at(ls, n - step)->time > t) {
		hi = n - step;
		step *= 2;
	}
	lo = step <= n ? n - step + 1 : 0;
	if (lo > hi) lo = hi;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ls_at(ls, mid)->time > t) hi = mid;
		else lo = mid + 1;
	}
	return lo;
}

static void ls_insert(struct logstream *ls, const struct logstream_line *l)
{
	ls_room(ls);
	size_t pos = (ls->n && ls_at(ls, ls->n - 1)->time > l->time) ? ls_upper(ls, l->time) : ls->n;
	struct logstream_line *base = ls->ring + ls->head;
	memmove(base + pos + 1, base + pos, (ls->n - pos) * sizeof *base);
	base[pos] = *l;
	ls->n++;
	ls->text_bytes += l->len + 1;
	while (ls->n > ls->cfg.cap) ls_drop_oldest(ls);
}

static int ls_line_cmp(const void *a, const void *b)
{
	const struct logstream_line *x = a, *y = b;
	if (x->time != y->time) return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Move the batch's lines into the ring (ownership of texts moves too). */
static void ls_commit(struct logstream *ls, struct ls_batch *b)
{
	size_t m = b->v.n;
	if (!m) return;
	qsort(b->v.v, m, sizeof *b->v.v, ls_line_cmp);
	if (m <= LS_SMALL_BATCH || !ls->n || ls_at(ls, ls->n - 1)->time <= b->v.v[0].time) {
		for (size_t i = 0; i < m; i++) ls_insert(ls, &b->v.v[i]);
	} else {
		/* merge, keep the newest cap lines */
		size_t total = ls->n + m, keep = total < ls->cfg.cap ? total : ls->cfg.cap;
		struct logstream_line *out = gw_xmalloc(ls->alloc * sizeof *out);
		size_t i = ls->n, k = m, w = total;
		while (w > 0) {
			const struct logstream_line *pick;
			if (k == 0 || (i > 0 && ls_line_cmp(ls_at(ls, i - 1), &b->v.v[k - 1]) > 0))
				pick = ls_at(ls, --i);
			else
				pick = &b->v.v[--k];
			w--;
			if (w >= total - keep) {
				out[w - (total - keep)] = *pick;
			} else {
				ls->text_bytes -= pick->len + 1;   /* counted below for batch lines */
				free(pick->text);
			}
		}
		for (size_t x = 0; x < m; x++) ls->text_bytes += b->v.v[x].len + 1;
		free(ls->ring);
		ls->ring = out;
		ls->head = 0;
		ls->n = keep;
	}
	b->v.n = 0;
	ls->gen++;
}

static void ls_batch_free(struct ls_batch *b)
{
	for (size_t i = 0; i < b->v.n; i++) free(b->v.v[i].text);
	gw_vec_free(&b->v);
}

static void ls_changed(struct logstream *ls)
{
	if (ls->alarm_pending && ls->alarm) {
		ls->alarm_pending = 0;
		ls->alarm(ls->alarm_ud);
	}
	if (ls->notify) ls->notify(ls->notify_ud);
}

/* ------------------------------------------------------------------ sources */

const char *logstream_type_name(enum logstream_type t)
{
	switch (t) {
	case LOGSTREAM_NGINX_ERROR:   return "nginx-err";
	case LOGSTREAM_NGINX_ACCESS:  return "nginx-acc";
	case LOGSTREAM_APP_FILE:      return "app";
	case LOGSTREAM_JOURNAL_APP:   return "journal";
	case LOGSTREAM_JOURNAL_NGINX: return "journal";
	case LOGSTREAM_KERNEL:        return "kernel";
	case LOGSTREAM_CONTAINER:     return "container";
	case LOGSTREAM_MARKER:        return "gwtop";
	}
	return "?";
}

static int ls_find_src(const struct logstream *ls, const char *name)
{
	for (size_t i = 0; i < ls->srcs.n; i++)
		if (!strcmp(ls->srcs.v[i].pub.name, name)) return (int)i;
	return -1;
}

static size_t ls_new_src(struct logstream *ls, enum logstream_type type, const char *name,
			 const char *tag)
{
	struct ls_src *s = gw_vec_push(&ls->srcs);
	s->pub.type = type;
	GW_COPY(s->pub.name, name);
	GW_COPY(s->pub.tag, tag);
	s->amb_hour = -1;
	return ls->srcs.n - 1;
}

/* ------------------------------------------------------------------ ingest */

static enum gw_level ls_prio_level(int prio)
{
	static const enum gw_level map[8] = { GW_LV_EMERG, GW_LV_ALERT, GW_LV_CRIT, GW_LV_ERROR,
					      GW_LV_WARN, GW_LV_NOTICE, GW_LV_INFO, GW_LV_DEBUG };
	return prio >= 0 && prio < 8 ? map[prio] : GW_LV_INFO;
}

/* One scanf-style %<width>d: blanks, optional sign, digits; the width counts
 * the sign. 0 when there is no digit. */
static int ls_num(const char **p, int width, int *out)
{
	const char *s = *p;
	int neg = 0, v = 0, nd = 0;
	while (isspace((unsigned char)*s)) s++;
	if (*s == '+' || *s == '-') { neg = *s == '-'; s++; width--; }
	for (; nd < width && isdigit((unsigned char)*s); nd++, s++) v = v * 10 + (*s - '0');
	if (!nd) return 0;
	*out = neg ? -v : v;
	*p = s;
	return 1;
}

/* "YYYY/MM/DD HH:MM:SS" (the fields as sscanf's "%4d/%2d/%2d %2d:%2d:%2d"
 * reads them) into w's year, mon, mday, hour, min, sec as written. */
static int ls_stamp(const char *s, struct tm *w)
{
	int *f[6] = { &w->tm_year, &w->tm_mon, &w->tm_mday, &w->tm_hour, &w->tm_min, &w->tm_sec };
	static const char sep[6] = { '/', '/', ' ', ':', ':', '\0' };
	for (int i = 0; i < 6; i++) {
		if (!ls_num(&s, i ? 2 : 4, f[i])) return 0;
		if (sep[i] == ' ') { while (isspace((unsigned char)*s)) s++; }
		else if (sep[i] && *s++ != sep[i]) return 0;
	}
	return 1;
}

/* nginx writes local time without a zone. Around a DST change one wall
 * clock hour happens twice: choose the reading that keeps the source's
 * lines in order (the first one not before the previous line). */
static double ls_local_fix(struct ls_src *s, const char *line, size_t len, double t)
{
	long hour = (long)(t / 3600);
	if (hour == s->amb_hour) return t;
	time_t a = (time_t)t - 3600, b = (time_t)t + 3600;
	struct tm ta, tb;
	localtime_r(&a, &ta);
	localtime_r(&b, &tb);
	if (ta.tm_gmtoff == tb.tm_gmtoff) {
		s->amb_hour = hour;
		return t;
	}
	struct tm w;
	char head[20];
	memset(&w, 0, sizeof w);
	if (len < 19) return t;
	memcpy(head, line, 19);                    /* line is not NUL-terminated */
	head[19] = '\0';
	if (!ls_stamp(head, &w))
		return t;
	w.tm_year -= 1900;
	w.tm_mon -= 1;
	double cand[2];
	int nc = 0;
	for (int dst = 0; dst <= 1; dst++) {
		struct tm x = w, back;
		x.tm_isdst = dst;
		time_t c = mktime(&x);
		if (c == (time_t)-1) continue;
		localtime_r(&c, &back);
		if (back.tm_hour == w.tm_hour && back.tm_min == w.tm_min && back.tm_isdst == dst)
			cand[nc++] = (double)c;
	}
	if (nc < 2 || cand[0] == cand[1]) return t;
	double lo = cand[0] < cand[1] ? cand[0] : cand[1], hi = cand[0] < cand[1] ? cand[1] : cand[0];
	if (s->prev_time > 0)
		return lo >= s->prev_time - 1 ? lo : hi;
	return hi <= gw_now() + 60 ? hi : lo;    /* no history: the later reading if it is not in the future */
}

/* Classify one raw line of source si and append it to b.
 * jtime: the journal's or the engine's time (0 for files); jprio: PRIORITY (-1 none). */
static void ls_ingest(struct logstream *ls, struct ls_batch *b, size_t si, const char *raw,
		      size_t len, int cut, double jtime, int jprio, int flags)
{
	struct ls_src *s = &ls->srcs.v[si];
	struct gw_log_event *ev = &ls->scratch;
	struct logstream_line l;
	memset(&l, 0, sizeof l);
	int known = 0;
	if (len && raw[len - 1] == '\r') len--;

	switch (s->pub.type) {
	case LOGSTREAM_NGINX_ERROR:
	case LOGSTREAM_JOURNAL_NGINX:
		known = logclass_nginx_error_kind(raw, len, ev);
		if (known && ev->time && s->pub.type == LOGSTREAM_NGINX_ERROR)
			ev->time = ls_local_fix(s, raw, len, ev->time);
		if (known && memmem(raw, len, THROUGH_MARK " HTTP/", sizeof THROUGH_MARK + 5))
			flags |= LOGSTREAM_F_OWN;
		else if (!(flags & LOGSTREAM_F_BACKFILL) && ev->kind >= GW_LOG_CONNECT_REFUSED &&
			 ev->kind < GW_LOG_NGINX_EMERG)
			ls->alarm_pending = 1;
		break;
	case LOGSTREAM_NGINX_ACCESS: {
		struct accesslog_entry ae;
		memset(ev, 0, sizeof *ev);
		ev->level = GW_LV_INFO;
		if (accesslog_parse(raw, len, &ae)) {
			known = 1;
			ev->time = ae.time;
			l.status = (uint16_t)ae.status;
			ev->level = ae.status >= 500 ? GW_LV_ERROR : ae.status >= 400 ? GW_LV_WARN : GW_LV_INFO;
			/* gwtop's own requests through nginx are not traffic */
			if (accesslog_is_own(raw, len)) {
				flags |= LOGSTREAM_F_OWN;
			} else {
				accesslog_stats_add(&ls->acc, ae.time, ae.status);
				if (!(flags & LOGSTREAM_F_BACKFILL) && ae.status >= 500)
					ls->alarm_pending = 1;
			}
		}
		flags |= LOGSTREAM_F_ACCESS;
		break;
	}
	case LOGSTREAM_KERNEL:
		known = logclass_kernel(raw, len, ev);
		if (!known) ev->level = GW_LV_INFO;
		break;
	case LOGSTREAM_APP_FILE:
	case LOGSTREAM_JOURNAL_APP:
	case LOGSTREAM_CONTAINER:    /* jtime: the engine's stamp */
	case LOGSTREAM_MARKER:
	default:
		known = logclass_app(raw, len, ev);
		break;
	}
	if (jprio >= 0) {
		enum gw_level jl = ls_prio_level(jprio);
		if (!known || jl > ev->level) ev->level = jl;
	}
	double t = jtime > 0 ? jtime : ev->time;
	if (t > 0) {
		flags |= LOGSTREAM_F_TIMED;
	} else {
		t = s->prev_time > 0 ? s->prev_time : gw_now();
	}
	s->prev_time = t;
	l.time = t;
	l.seq = ++ls->seq;
	l.src = (uint16_t)si;
	l.level = (uint8_t)ev->level;
	l.kind = (uint8_t)ev->kind;
	l.flags = (uint8_t)(flags | (cut ? LOGSTREAM_F_CUT : 0));
	if (len > LOGSTREAM_TEXT_MAX) {
		len = LOGSTREAM_TEXT_MAX;
		l.flags |= LOGSTREAM_F_CUT;
	}
	l.text = gw_xmalloc(len + 1);
	for (size_t i = 0; i < len; i++) l.text[i] = raw[i] ? raw[i] : '\x1a';
	l.text[len] = '\0';
	if (sanitize_mask_hint(l.text, len)) {
		/* secrets never enter the ring (sanitize_mask: "***" may be
		 * longer than what it hides) */
		char *m = gw_xmalloc(2 * len + 4);
		len = sanitize_mask(m, 2 * len + 4, l.text, len);
		free(l.text);
		l.text = m;
	}
	l.len = (uint32_t)len;
	*(struct logstream_line *)gw_vec_push(&b->v) = l;
	s->pub.lines++;
}

static void ls_marker(struct logstream *ls, struct ls_batch *b, size_t si, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void ls_marker(struct logstream *ls, struct ls_batch *b, size_t si, const char *fmt, ...)
{
	char text[GW_TEXT];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	struct logstream_line l = {
		.time = gw_now(), .seq = ++ls->seq, .src = (uint16_t)si, .level = GW_LV_NOTICE,
		.kind = GW_LOG_OTHER, .flags = LOGSTREAM_F_MARK, .len = (uint32_t)strlen(text),
	};
	l.text = gw_xstrdup(text);
	*(struct logstream_line *)gw_vec_push(&b->v) = l;
}

/* ------------------------------------------------------------------ file readers */

static void ls_reader_init(struct ls_reader *r)
{
	memset(r, 0, sizeof *r);
	r->fd = -1;
	r->wd = -1;
}

static void ls_reader_close(struct logstream *ls, struct ls_reader *r)
{
	if (r->fd >= 0) close(r->fd);
	if (r->wd >= 0 && ls->ifd >= 0) {
		/* another reader may share the inode (never the old and the new one) */
		int shared = 0;
		for (size_t i = 0; i < ls->files.n; i++) {
			struct ls_file *f = ls->files.v[i];
			if ((&f->cur != r && f->cur.wd == r->wd) || (&f->old != r && f->old.wd == r->wd))
				shared = 1;
		}
		if (!shared) inotify_rm_watch(ls->ifd, r->wd);
	}
	free(r->part);
	ls_reader_init(r);
}

/* Feed bytes to the reader's line splitter; complete lines go to b. */
static void ls_feed(struct logstream *ls, struct ls_batch *b, size_t si, struct ls_reader *r,
		    const char *buf, size_t len, int flags)
{
	const char *p = buf, *end = buf + len;
	if (!r->part) r->part = gw_xmalloc(LOGSTREAM_TEXT_MAX);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (!r->plen && !r->cut && nl) {
			/* whole line in the buffer: no copy */
			ls_ingest(ls, b, si, p, n, n > LOGSTREAM_TEXT_MAX, 0, -1, flags);
		} else {
			size_t room = LOGSTREAM_TEXT_MAX - r->plen;
			size_t take = n < room ? n : room;
			memcpy(r->part + r->plen, p, take);
			r->plen += take;
			if (take < n) r->cut = 1;
			if (nl) {
				ls_ingest(ls, b, si, r->part, r->plen, r->cut, 0, -1, flags);
				r->plen = 0;
				r->cut = 0;
			}
		}
		p = nl ? nl + 1 : end;
	}
}

/* A line that never got its '\n' (the file went away): take it as is. */
static void ls_flush_partial(struct logstream *ls, struct ls_batch *b, size_t si, struct ls_reader *r)
{
	if (r->plen || r->cut) ls_ingest(ls, b, si, r->part, r->plen, r->cut, 0, -1, 0);
	r->plen = 0;
	r->cut = 0;
}

static void ls_watch(struct logstream *ls, struct ls_reader *r)
{
	if (ls->ifd < 0 || r->fd < 0 || r->wd >= 0) return;
	char proc[64];
	gw_fmt(proc, sizeof proc, "/proc/self/fd/%d", r->fd);
	/* the watch is on exactly the inode we hold open, whatever the path names now */
	r->wd = inotify_add_watch(ls->ifd, proc, IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF);
}

static int ls_open(const char *path, struct stat *st, char *why, size_t whysize)
{
	/* a regular file only, checked through O_PATH first (trust.h) */
	char tw[GW_TEXT];
	int fd = trust_open_regular(path, st, tw, sizeof tw);
	if (fd < 0) {
		if (errno == EINVAL) gw_fmt(why, whysize, "not a regular file");
		else if (errno == EXDEV) gw_fmt(why, whysize, "%s", tw);
		else gw_fmt(why, whysize, "%s%s", strerror(errno),
			    errno == EACCES || errno == EPERM ? " (needs root?)" :
			    errno == ENOENT ? ": waiting for it" : "");
		return -1;
	}
	return fd;
}

/* Keep the lines of a start-up batch that are in the window or among the
 * last `last` lines; untimed leading lines (traceback frames) take the
 * first time that follows. Then into the ring. */
static void ls_backfill_commit(struct logstream *ls, struct ls_batch *b, size_t last)
{
	double first = 0;
	for (size_t i = 0; i < b->v.n && !first; i++)
		if (b->v.v[i].flags & LOGSTREAM_F_TIMED) first = b->v.v[i].time;
	for (size_t i = 0; i < b->v.n && first && !(b->v.v[i].flags & LOGSTREAM_F_TIMED); i++)
		b->v.v[i].time = first;
	double since = gw_now() - ls->cfg.window;
	size_t w = 0;
	for (size_t i = 0; i < b->v.n; i++) {
		struct logstream_line *l = &b->v.v[i];
		if (l->time >= since || i + last >= b->v.n) b->v.v[w++] = *l;
		else free(l->text);
	}
	b->v.n = w;
	ls_commit(ls, b);
}

/* pread [from, to) whole. Returns the bytes got (malloc'd in *out). */
static size_t ls_pread_range(int fd, off_t from, off_t to, char **out)
{
	size_t want = (size_t)(to - from), got = 0;
	char *buf = gw_xmalloc(want + 1);
	while (got < want) {
		ssize_t n = pread(fd, buf + got, want - got, from + (off_t)got);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) break;
		got += (size_t)n;
	}
	*out = buf;
	return got;
}

/* Start-up: the end of the file, at most backfill_bytes; lines older than
 * the window are dropped unless among the last backfill_lines. The last
 * LS_FIRST_BYTES now, the rest from ls_backfill_rest on a deferred pass. */
static void ls_backfill(struct logstream *ls, struct ls_file *f, struct ls_reader *r, off_t size)
{
	struct ls_batch b = { 0 };
	off_t start = size > (off_t)ls->cfg.backfill_bytes ? size - (off_t)ls->cfg.backfill_bytes : 0;
	off_t first = size - LS_FIRST_BYTES > start ? size - LS_FIRST_BYTES : start;
	char *buf;
	size_t got = ls_pread_range(r->fd, first, size, &buf);
	const char *p = buf;
	size_t len = got;
	if (first > 0) {                           /* skip the partial first line */
		const char *nl = memchr(buf, '\n', got);
		len = nl ? got - (size_t)(nl + 1 - buf) : 0;
		p = nl ? nl + 1 : buf + got;
		if (first > start && nl) {
			f->bf_from = start;
			f->bf_to = first + (off_t)(nl + 1 - buf);
			f->bf_dev = r->dev;
			f->bf_ino = r->ino;
		}
	}
	ls_feed(ls, &b, f->src, r, p, len, LOGSTREAM_F_BACKFILL);
	free(buf);
	r->off = first + (off_t)got;
	f->bf_have = b.v.n;
	ls_backfill_commit(ls, &b, ls->cfg.backfill_lines);
	ls_batch_free(&b);
	if (f->bf_to > f->bf_from && ls->defer) sd_event_source_set_enabled(ls->defer, SD_EVENT_ONESHOT);
}

/* The older part of the start-up read (see ls_backfill). */
static void ls_backfill_rest(struct logstream *ls, struct ls_file *f)
{
	struct ls_reader *r = f->cur.fd >= 0 && f->cur.ino == f->bf_ino && f->cur.dev == f->bf_dev ? &f->cur :
			      f->old.fd >= 0 && f->old.ino == f->bf_ino && f->old.dev == f->bf_dev ? &f->old : NULL;
	off_t from = f->bf_from, to = f->bf_to;
	f->bf_from = f->bf_to = 0;
	if (!r) return;
	struct ls_src *s = &ls->srcs.v[f->src];
	double prev = s->prev_time;
	struct ls_reader tmp;
	ls_reader_init(&tmp);
	struct ls_batch b = { 0 };
	char *buf;
	size_t got = ls_pread_range(r->fd, from, to, &buf);
	const char *p = buf;
	size_t len = got;
	if (from > 0) {
		const char *nl = memchr(buf, '\n', got);
		len = nl ? got - (size_t)(nl + 1 - buf) : 0;
		p = nl ? nl + 1 : buf + got;
	}
	s->prev_time = 0;
	ls_feed(ls, &b, f->src, &tmp, p, len, LOGSTREAM_F_BACKFILL);
	ls_flush_partial(ls, &b, f->src, &tmp);
	s->prev_time = prev;
	free(tmp.part);
	free(buf);
	size_t last = ls->cfg.backfill_lines > f->bf_have ? ls->cfg.backfill_lines - f->bf_have : 0;
	ls_backfill_commit(ls, &b, last);
	ls_batch_free(&b);
}

/* Read what was appended to r. Returns 1 when it got data. */
static int ls_read_more(struct logstream *ls, struct ls_file *f, struct ls_reader *r,
			struct ls_batch *b, int *more)
{
	struct stat st;
	if (r->fd < 0 || fstat(r->fd, &st) < 0) return 0;
	if (st.st_size < r->off) {
		ls_flush_partial(ls, b, f->src, r);
		ls_marker(ls, b, f->src, "gwtop: %s was truncated (copytruncate?): reading it from the start", f->path);
		r->off = 0;
	}
	if (st.st_size - r->off > LS_SKIP_BYTES) {
		off_t to = st.st_size - (off_t)ls->cfg.backfill_bytes;
		ls_marker(ls, b, f->src, "gwtop: skipped %lld MiB of %s (written faster than shown)",
			  (long long)((to - r->off) >> 20), f->path);
		r->off = to;
		r->plen = 0;
		r->cut = 1;                        /* drop up to the next '\n' */
	}
	/* nothing new in a regular file (size 0 may be a /proc-like file: read) */
	if (S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size == r->off) return 0;
	off_t budget = LS_READ_BUDGET;
	int got_any = 0;
	char *buf = NULL;
	/* a few new lines (the usual case) need a few KiB, not a whole chunk:
	 * sized from what stat says is there, plus room for what came since */
	size_t len = LS_CHUNK;
	if (S_ISREG(st.st_mode)) {
		off_t left = st.st_size - r->off;   /* <= 0: size 0 (a /proc-like file) */
		if (left < (off_t)(LS_CHUNK / 2))
			len = (left > 0 ? (size_t)left : 0) + 4096;
	}
	for (;;) {
		if (budget <= 0) {
			*more = 1;
			break;
		}
		if (!buf) buf = gw_xmalloc(len);
		ssize_t n = pread(r->fd, buf, len, r->off);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) break;
		ls_feed(ls, b, f->src, r, buf, (size_t)n, 0);
		r->off += n;
		budget -= n;
		got_any = 1;
	}
	free(buf);
	return got_any;
}

static void ls_dir_watch(struct logstream *ls, struct ls_file *f)
{
	if (ls->ifd < 0 || f->dir_wd >= 0) return;
	f->dir_wd = inotify_add_watch(ls->ifd, f->dir, IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
				      IN_DELETE | IN_ATTRIB | IN_ONLYDIR);
}

/* The tail -F step for one file: drain the readers, then see whether the
 * path now names another file (rotated / re-created) or none (deleted). */
static void ls_check_file(struct logstream *ls, struct ls_file *f)
{
	struct ls_batch b = { 0 };
	struct ls_src *s = &ls->srcs.v[f->src];
	int more = 0;
	double mono = gw_mono();

	ls_dir_watch(ls, f);
	if (f->cur.fd >= 0) ls_read_more(ls, f, &f->cur, &b, &more);
	if (f->old.fd >= 0) {
		if (ls_read_more(ls, f, &f->old, &b, &more)) f->old.quiet_since = mono;
		if (mono - f->old.quiet_since > LS_OLD_GRACE) {
			ls_flush_partial(ls, &b, f->src, &f->old);
			ls_reader_close(ls, &f->old);
		}
	}

	struct stat st;
	int exists = stat(f->path, &st) == 0;
	if (f->cur.fd >= 0 && (!exists || st.st_ino != f->cur.ino || st.st_dev != f->cur.dev)) {
		/* renamed away or deleted: keep draining it as the old file */
		if (f->old.fd >= 0) {
			ls_read_more(ls, f, &f->old, &b, &more);
			ls_flush_partial(ls, &b, f->src, &f->old);
			ls_reader_close(ls, &f->old);
		}
		f->old = f->cur;
		f->old.quiet_since = mono;
		ls_reader_init(&f->cur);
		ls_marker(ls, &b, f->src, "gwtop: %s %s", f->path,
			  exists ? "was rotated: reading the old file to its end, then the new one" :
				   "was removed or renamed: waiting for it");
		if (!exists) {
			s->pub.ok = 0;
			GW_COPY(s->pub.error, "removed or renamed: waiting for it");
		}
	}
	if (f->cur.fd < 0 && (exists || !f->started)) {
		char why[GW_TEXT];
		struct stat ost;
		int fd = ls_open(f->path, &ost, why, sizeof why);
		if (fd < 0) {
			s->pub.ok = 0;
			GW_COPY(s->pub.error, why);
		} else if (f->old.fd >= 0 && ost.st_ino == f->old.ino && ost.st_dev == f->old.dev) {
			close(fd);                 /* renamed back: still the old one */
		} else {
			f->cur.fd = fd;
			f->cur.dev = ost.st_dev;
			f->cur.ino = ost.st_ino;
			s->pub.ok = 1;
			s->pub.error[0] = '\0';
			ls_watch(ls, &f->cur);
			if (!f->started) {
				ls_commit(ls, &b);      /* markers first */
				ls_backfill(ls, f, &f->cur, ost.st_size);
			} else {
				f->cur.off = 0;         /* a new file: all of it is new */
				ls_read_more(ls, f, &f->cur, &b, &more);
			}
		}
	}
	f->started = 1;
	if (b.v.n) ls_commit(ls, &b);
	ls_batch_free(&b);
	if (more && ls->defer) sd_event_source_set_enabled(ls->defer, SD_EVENT_ONESHOT);
}

/* ------------------------------------------------------------------ journal */

static int ls_is_journal(enum logstream_type t)
{
	return t == LOGSTREAM_JOURNAL_APP || t == LOGSTREAM_JOURNAL_NGINX || t == LOGSTREAM_KERNEL;
}

static int ls_jfield(sd_journal *j, const char *field, const char **val, size_t *len)
{
	const void *d;
	size_t l, fl = strlen(field);
	if (sd_journal_get_data(j, field, &d, &l) < 0 || l <= fl) return 0;
	*val = (const char *)d + fl + 1;
	*len = l - fl - 1;
	return 1;
}

/* Which journal source the current entry belongs to, -1 none. */
static int ls_jsource(struct logstream *ls)
{
	const char *v;
	size_t n;
	char unit[GW_NAME];
	if (ls_jfield(ls->j, "_TRANSPORT", &v, &n) && n == 6 && !memcmp(v, "kernel", 6)) {
		int k = ls_find_src(ls, "kernel");
		if (k >= 0) return k;
	}
	static const char *const fields[] = { "_SYSTEMD_UNIT", "UNIT", "OBJECT_SYSTEMD_UNIT" };
	for (size_t i = 0; i < 3; i++) {
		if (!ls_jfield(ls->j, fields[i], &v, &n) || n >= sizeof unit - 5) continue;
		char name[GW_NAME];
		memcpy(unit, v, n);
		unit[n] = '\0';
		gw_fmt(name, sizeof name, "unit:%s", unit);
		int k = ls_find_src(ls, name);
		if (k >= 0) return k;
	}
	return -1;
}

static void ls_jentry(struct logstream *ls, struct ls_batch *b, int backfill)
{
	uint64_t usec = 0;
	if (sd_journal_get_realtime_usec(ls->j, &usec) < 0) return;
	int si = ls_jsource(ls);
	if (si < 0) return;
	/* the walk after a match change passes entries of sources already
	 * followed up to j_last_usec: taken before. Live reading only moves
	 * forward, so an entry stamped at or before the newest (the same
	 * microsecond, a clock stepped back) is new there. */
	if (backfill && usec <= ls->j_last_usec && (size_t)si < ls->j_matched_n && ls->j_matched[si]) return;
	const char *msg, *pr;
	size_t mlen, plen;
	if (!ls_jfield(ls->j, "MESSAGE", &msg, &mlen)) {
		msg = "";
		mlen = 0;
	}
	int prio = -1;
	if (ls_jfield(ls->j, "PRIORITY", &pr, &plen) && plen == 1 && pr[0] >= '0' && pr[0] <= '7')
		prio = pr[0] - '0';
	/* a journal message may hold several lines: each is a line of the stream */
	const char *p = msg, *end = msg + mlen;
	do {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n || !nl)
			ls_ingest(ls, b, (size_t)si, p, n, 0, usec / 1e6, prio,
				  backfill ? LOGSTREAM_F_BACKFILL : 0);
		p = nl ? nl + 1 : end;
	} while (p < end);
}

static void ls_jread(struct logstream *ls)
{
	struct ls_batch b = { 0 };
	uint64_t newest = ls->j_last_usec;
	int r;
	while ((r = sd_journal_next(ls->j)) > 0) {
		uint64_t usec;
		ls_jentry(ls, &b, 0);
		if (sd_journal_get_realtime_usec(ls->j, &usec) >= 0 && usec > newest) newest = usec;
		if (b.v.n >= ls->cfg.cap) {        /* a flood: commit in slices */
			ls_commit(ls, &b);
		}
	}
	ls->j_last_usec = newest;
	if (b.v.n) ls_commit(ls, &b);
	ls_batch_free(&b);
}

static int ls_jio(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct logstream *ls = ud;
	uint64_t g = ls->gen;
	(void)es; (void)fd; (void)revents;
	if (ls->j) {
		sd_journal_process(ls->j);
		ls_jread(ls);
	}
	if (g != ls->gen) ls_changed(ls);
	return 0;
}

/* (Re)build the journal query from the journal sources and position it:
 * backfill the window (at least backfill_lines per source), skipping what
 * was already taken for sources that were followed before. */
static void ls_jsetup(struct logstream *ls)
{
	ls->j_dirty = 0;
	if (ls->cfg.no_journal || ls->j_failed) return;
	size_t nj = 0;
	for (size_t i = 0; i < ls->srcs.n; i++) nj += ls_is_journal(ls->srcs.v[i].pub.type);
	if (!nj) return;
	if (!ls->j) {
		int r = ls->journal_dir[0] ? sd_journal_open_directory(&ls->j, ls->journal_dir, 0)
					   : sd_journal_open(&ls->j, SD_JOURNAL_LOCAL_ONLY);
		if (r < 0) {
			ls->j = NULL;
			ls->j_failed = 1;
			for (size_t i = 0; i < ls->srcs.n; i++)
				if (ls_is_journal(ls->srcs.v[i].pub.type))
					gw_fmt(ls->srcs.v[i].pub.error, sizeof ls->srcs.v[i].pub.error,
					       "journal: %s", strerror(-r));
			return;
		}
		int fd = sd_journal_get_fd(ls->j);
		if (fd >= 0)
			sd_event_add_io(ls->e, &ls->j_src, fd, (uint32_t)sd_journal_get_events(ls->j), ls_jio, ls);
	}
	sd_journal_flush_matches(ls->j);
	for (size_t i = 0; i < ls->srcs.n; i++) {
		struct ls_src *s = &ls->srcs.v[i];
		char m[GW_NAME + 32];
		if (!ls_is_journal(s->pub.type)) continue;
		if (s->pub.type == LOGSTREAM_KERNEL) {
			sd_journal_add_match(ls->j, "_TRANSPORT=kernel", 0);
			sd_journal_add_disjunction(ls->j);
		} else {
			const char *unit = s->pub.name + 5;   /* "unit:" */
			gw_fmt(m, sizeof m, "_SYSTEMD_UNIT=%s", unit);
			sd_journal_add_match(ls->j, m, 0);
			sd_journal_add_disjunction(ls->j);
			/* systemd's own messages about the unit ("Main process exited") */
			gw_fmt(m, sizeof m, "UNIT=%s", unit);
			sd_journal_add_match(ls->j, m, 0);
			sd_journal_add_match(ls->j, "_PID=1", 0);
			sd_journal_add_disjunction(ls->j);
		}
		s->pub.ok = 1;
		s->pub.error[0] = '\0';
	}
	/* walk back from the end: the window, at least backfill_lines per source */
	uint64_t since = (uint64_t)((gw_now() - ls->cfg.window) * 1e6);
	size_t want = ls->cfg.backfill_lines * nj, k = 0;
	sd_journal_seek_tail(ls->j);
	int positioned = 0;
	while (k < ls->cfg.cap && sd_journal_previous(ls->j) > 0) {
		uint64_t usec = 0;
		positioned = 1;
		k++;
		sd_journal_get_realtime_usec(ls->j, &usec);
		if (k >= want && usec < since) break;
		if (ls->j_last_usec && usec <= ls->j_last_usec && k >= want) break;
	}
	struct ls_batch b = { 0 };
	uint64_t newest = ls->j_last_usec;
	if (positioned) {
		/* the cursor is on the oldest entry wanted: take it, then go forward */
		int r = 1;
		do {
			uint64_t usec = 0;
			ls_jentry(ls, &b, 1);
			if (sd_journal_get_realtime_usec(ls->j, &usec) >= 0 && usec > newest) newest = usec;
			if (--k == 0) break;
			r = sd_journal_next(ls->j);
		} while (r > 0);
	}
	ls->j_last_usec = newest;
	ls_commit(ls, &b);
	ls_batch_free(&b);
	/* remember which sources are in the query now */
	free(ls->j_matched);
	ls->j_matched_n = ls->srcs.n;
	ls->j_matched = gw_xcalloc(ls->j_matched_n ? ls->j_matched_n : 1, 1);
	for (size_t i = 0; i < ls->srcs.n; i++) ls->j_matched[i] = (unsigned char)ls_is_journal(ls->srcs.v[i].pub.type);
	/* anything newer than the walk's start is read by ls_jread */
	ls_jread(ls);
}

/* ------------------------------------------------------------------ containers */

static uint64_t ls_hash(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL;       /* FNV-1a */
	for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

/* One line of the stream ("<RFC 3339 ns> message"). Lines the engine sends
 * again after a reconnect (since= is inclusive, and some engines round it
 * down) are older than wm, or at wm with a text already taken: dropped. */
static void ls_ctr_line(const char *line, size_t len, int stream, void *ud)
{
	struct ls_ctr *c = ud;
	int64_t ns = 0;
	size_t k = docker_log_stamp(line, len, &ns);
	(void)stream;
	if (k) {
		uint64_t h = ls_hash(line + k, len - k);
		if (ns < c->wm) return;
		if (ns == c->wm) {
			for (int i = 0; i < c->nseen; i++)
				if (c->seen[i] == h) return;
		} else {
			c->wm = ns;
			c->nseen = 0;
		}
		if (c->nseen < LS_CTR_SEEN) c->seen[c->nseen++] = h;
		if (k == len) return;                   /* an empty line */
	}
	double t = k ? (double)ns / 1e9 : 0;
	c->took = 1;
	ls_ingest(c->ls, c->b, c->src, line + k, len - k, c->dm.cut, t, -1,
		  t && t < c->asked - 1 ? LOGSTREAM_F_BACKFILL : 0);
}

static void ls_ctr_commit(struct logstream *ls, struct ls_batch *b)
{
	uint64_t g = ls->gen;
	ls_commit(ls, b);
	ls_batch_free(b);
	if (g != ls->gen) ls_changed(ls);
}

static size_t ls_ctr_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct ls_ctr *c = ud;
	size_t n = size * nmemb;
	if (!c->http) curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->http);
	if (c->http != 200) {                       /* an error answer: keep its start */
		size_t take = sizeof c->body - 1 - c->blen;
		if (take > n) take = n;
		memcpy(c->body + c->blen, p, take);
		c->blen += take;
		c->body[c->blen] = '\0';
		return n;
	}
	struct ls_batch b = { 0 };
	c->b = &b;
	docker_demux_feed(&c->dm, p, n, ls_ctr_line, c);
	c->b = NULL;
	struct ls_src *s = &c->ls->srcs.v[c->src];
	s->pub.ok = 1;
	s->pub.error[0] = '\0';
	ls_ctr_commit(c->ls, &b);
	return n;
}

static void ls_ctr_done(CURL *easy, CURLcode res, void *ud)
{
	struct ls_ctr *c = ud;
	struct logstream *ls = c->ls;
	struct ls_src *s = &ls->srcs.v[c->src];
	struct ls_batch b = { 0 };
	if (!c->http) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &c->http);
	c->b = &b;
	docker_demux_end(&c->dm, ls_ctr_line, c);   /* a last line without '\n' */
	c->b = NULL;
	c->easy = NULL;
	if (res == CURLE_OK && c->http == 200) {
		/* the engine ends a follow when the container stops: say so, unless
		 * this request only found it stopped again (nothing new) */
		if (c->took) ls_marker(ls, &b, c->src, "container %s stopped: its log ended", s->pub.tag);
	} else if (c->http && c->http != 200) {
		const char *m = strstr(c->body, "\"message\":\"");
		char msg[200] = "";
		if (m) gw_fmt(msg, sizeof msg, "%.*s", (int)strcspn(m + 11, "\""), m + 11);
		gw_fmt(s->pub.error, sizeof s->pub.error, "engine: logs: HTTP %ld%s%s", c->http,
		       msg[0] ? ": " : "", msg);
		s->pub.ok = 0;
		c->refused = 1;
	} else {
		gw_fmt(s->pub.error, sizeof s->pub.error, "engine at %s: %s", c->sock,
		       c->errbuf[0] ? c->errbuf : curl_easy_strerror(res));
		s->pub.ok = 0;
	}
	ls_ctr_commit(ls, &b);
}

/* Drop the request in flight (no callback) and the line it was building. */
static void ls_ctr_stop(struct ls_ctr *c)
{
	if (c->easy) curlev_cancel(c->cv);
	c->easy = NULL;
	free(c->dm.line);
	docker_demux_init(&c->dm, 0, LS_CTR_LINE_MAX);
}

static void ls_ctr_ask(struct ls_ctr *c)
{
	struct logstream *ls = c->ls;
	struct ls_src *s = &ls->srcs.v[c->src];
	char url[GW_PATH], since[48] = "";
	CURL *e;
	if (c->wm)
		gw_fmt(since, sizeof since, "&since=%lld.%09lld", (long long)(c->wm / 1000000000),
		       (long long)(c->wm % 1000000000));
	gw_fmt(url, sizeof url, "http://localhost/v1.41/containers/%s/logs?follow=1&stdout=1&stderr=1"
	       "&timestamps=1&tail=%zu%s", c->id, c->wm ? (size_t)LOGSTREAM_CATCHUP_LINES : ls->cfg.backfill_lines,
	       since);
	if ((!c->cv && !(c->cv = curlev_new(ls->e))) || !(e = curl_easy_init())) {
		GW_COPY(s->pub.error, "cannot start a request to the engine (curl)");
		return;
	}
	docker_demux_init(&c->dm, 0, LS_CTR_LINE_MAX);
	c->http = 0;
	c->blen = 0;
	c->body[0] = c->errbuf[0] = '\0';
	c->asked = gw_now();
	c->took = 0;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, c->sock);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 2000L);   /* no overall timeout: it follows */
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, ls_ctr_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "gwtop");
	if (curlev_add(c->cv, e, ls_ctr_done, c) < 0) {
		GW_COPY(s->pub.error, "cannot start a request to the engine (curl)");
		return;
	}
	c->easy = e;
}

static int ls_ctr_id_ok(const char *id)
{
	return id[0] && strspn(id, "abcdefABCDEF0123456789") == strlen(id);
}

/* Follow gc (of a snapshot whose engine answered at sock): see
 * logstream_add_container for when it asks again. */
static int ls_ctr_sync(struct logstream *ls, const char *sock, const struct gw_container *gc)
{
	char name[GW_PATH];
	struct ls_ctr *c = NULL;
	gw_fmt(name, sizeof name, "container:%s", gc->name);
	int k = ls_find_src(ls, name);
	for (size_t i = 0; k >= 0 && i < ls->ctrs.n && !c; i++)
		if (ls->ctrs.v[i]->src == (size_t)k) c = ls->ctrs.v[i];
	if (!c) {
		if (k >= 0 || ls->ctrs.n >= LOGSTREAM_MAX_CONTAINERS || !gc->name[0]) return k;
		k = (int)ls_new_src(ls, LOGSTREAM_CONTAINER, name, gc->name);
		c = gw_xcalloc(1, sizeof *c);
		c->ls = ls;
		c->src = (size_t)k;
		docker_demux_init(&c->dm, 0, LS_CTR_LINE_MAX);
		*(struct ls_ctr **)gw_vec_push(&ls->ctrs) = c;
	}
	if (!ls_ctr_id_ok(gc->id)) return k;
	GW_COPY(c->sock, sock);
	int fresh = strcmp(c->id, gc->id) != 0, restarted = gc->started_at != c->started_at;
	if (fresh) {
		if (c->id[0]) {
			struct ls_batch b = { 0 };
			ls_marker(ls, &b, c->src, "container %s was recreated: id %.12s", gc->name, gc->id);
			ls_ctr_commit(ls, &b);
		}
		GW_COPY(c->id, gc->id);
		c->wm = 0;                              /* a new container: all its lines are new */
		c->nseen = 0;
	}
	if (fresh || restarted) {
		c->refused = 0;
		ls_ctr_stop(c);   /* a stream from before the (re)start ends by itself; this is sure */
	}
	if (!c->easy && (fresh || restarted || (!c->refused && !strcmp(gc->state, "running")))) {
		c->started_at = gc->started_at;
		ls_ctr_ask(c);
	}
	return k;
}

int logstream_add_container(struct logstream *ls, const struct gw_snapshot *s, const char *name)
{
	if (!s || !name || !s->docker_available || !s->docker_socket[0]) return -1;
	for (size_t i = 0; i < s->containers.n; i++)
		if (!strcmp(s->containers.v[i].name, name))
			return ls_ctr_sync(ls, s->docker_socket, &s->containers.v[i]);
	return -1;
}

/* Every pass: the containers that matter now, and every one followed before
 * (to follow its restarts). */
static void ls_ctr_sync_all(struct logstream *ls, const struct gw_snapshot *s)
{
	size_t pick[LOGSTREAM_MAX_CONTAINERS];
	if (!s->docker_available || !s->docker_socket[0]) return;
	size_t n = docker_logs_pick(s, gw_now(), pick, LOGSTREAM_MAX_CONTAINERS);
	for (size_t i = 0; i < n; i++) ls_ctr_sync(ls, s->docker_socket, &s->containers.v[pick[i]]);
	for (size_t k = 0; k < ls->ctrs.n; k++)
		logstream_add_container(ls, s, ls->srcs.v[ls->ctrs.v[k]->src].pub.tag);
}

/* ------------------------------------------------------------------ loop callbacks */

static void ls_poll_all(struct logstream *ls)
{
	uint64_t g = ls->gen;
	if (sd_event_now(ls->e, CLOCK_MONOTONIC, &ls->polled) < 0) ls->polled = 0;
	for (size_t i = 0; i < ls->files.n; i++)
		if (ls->files.v[i]->bf_to > ls->files.v[i]->bf_from) ls_backfill_rest(ls, ls->files.v[i]);
	for (size_t i = 0; i < ls->files.n; i++) ls_check_file(ls, ls->files.v[i]);
	if (ls->j_dirty) ls_jsetup(ls);
	else if (ls->j) {
		sd_journal_process(ls->j);
		ls_jread(ls);
	}
	if (g != ls->gen) ls_changed(ls);
}

static int ls_inotify(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct logstream *ls = ud;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	unsigned char *hit = gw_xcalloc(ls->files.n + 1, 1);
	int all = 0;
	uint64_t g = ls->gen;
	(void)es; (void)revents;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0) break;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW) all = 1;
			for (size_t i = 0; i < ls->files.n; i++) {
				struct ls_file *f = ls->files.v[i];
				if (ev->wd == f->cur.wd || ev->wd == f->old.wd) {
					hit[i] = 1;
					if (ev->mask & IN_IGNORED) {
						if (ev->wd == f->cur.wd) f->cur.wd = -1;
						if (ev->wd == f->old.wd) f->old.wd = -1;
					}
				}
				if (ev->wd == f->dir_wd) {
					if (ev->mask & IN_IGNORED) f->dir_wd = -1;
					if (!ev->len || !strcmp(ev->name, f->base) || (ev->mask & IN_IGNORED))
						hit[i] = 1;
				}
			}
			p += sizeof *ev + ev->len;
		}
	}
	for (size_t i = 0; i < ls->files.n; i++)
		if (all || hit[i]) ls_check_file(ls, ls->files.v[i]);
	free(hit);
	if (g != ls->gen) ls_changed(ls);
	return 0;
}

static int ls_timer(sd_event_source *es, uint64_t usec, void *ud)
{
	struct logstream *ls = ud;
	ls_poll_all(ls);
	sd_event_source_set_time(es, usec + LS_BACKSTOP_USEC);
	sd_event_source_set_enabled(es, SD_EVENT_ON);
	return 0;
}

static int ls_defer(sd_event_source *es, void *ud)
{
	(void)es;
	ls_poll_all(ud);
	return 0;
}

/* ------------------------------------------------------------------ public */

struct logstream *logstream_new(sd_event *e, const struct logstream_config *cfg)
{
	struct logstream *ls = gw_xcalloc(1, sizeof *ls);
	if (cfg) ls->cfg = *cfg;
	if (!ls->cfg.cap) ls->cfg.cap = LOGSTREAM_DEFAULT_CAP;
	if (ls->cfg.window <= 0) ls->cfg.window = LOGSTREAM_DEFAULT_WINDOW;
	if (!ls->cfg.backfill_lines) ls->cfg.backfill_lines = LOGSTREAM_DEFAULT_LINES;
	if (!ls->cfg.backfill_bytes) ls->cfg.backfill_bytes = LOGSTREAM_BACKFILL_BYTES;
	if (ls->cfg.journal_dir) GW_COPY(ls->journal_dir, ls->cfg.journal_dir);
	ls->cfg.journal_dir = NULL;                    /* not kept: the copy is */
	ls->alloc = 2 * ls->cfg.cap;
	ls->ring = gw_xmalloc(ls->alloc * sizeof *ls->ring);
	ls->e = sd_event_ref(e);
	ls->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ls->ifd >= 0)
		sd_event_add_io(e, &ls->ino_src, ls->ifd, EPOLLIN, ls_inotify, ls);
	uint64_t now = 0;
	sd_event_now(e, CLOCK_MONOTONIC, &now);
	sd_event_add_time(e, &ls->timer, CLOCK_MONOTONIC, now + LS_BACKSTOP_USEC, 100000, ls_timer, ls);
	sd_event_add_defer(e, &ls->defer, ls_defer, ls);
	if (ls->defer) sd_event_source_set_enabled(ls->defer, SD_EVENT_OFF);
	return ls;
}

void logstream_free(struct logstream *ls)
{
	if (!ls) return;
	for (size_t i = 0; i < ls->files.n; i++) {
		ls_reader_close(ls, &ls->files.v[i]->cur);
		ls_reader_close(ls, &ls->files.v[i]->old);
	}
	for (size_t i = 0; i < ls->files.n; i++) free(ls->files.v[i]);
	gw_vec_free(&ls->files);
	for (size_t i = 0; i < ls->ctrs.n; i++) {
		curlev_free(ls->ctrs.v[i]->cv);         /* drops the request, no callback */
		free(ls->ctrs.v[i]->dm.line);
		free(ls->ctrs.v[i]);
	}
	gw_vec_free(&ls->ctrs);
	sd_event_source_disable_unref(ls->ino_src);
	sd_event_source_disable_unref(ls->timer);
	sd_event_source_disable_unref(ls->defer);
	sd_event_source_disable_unref(ls->j_src);
	if (ls->ifd >= 0) close(ls->ifd);
	if (ls->j) sd_journal_close(ls->j);
	free(ls->j_matched);
	for (size_t i = 0; i < ls->n; i++) free(ls_at(ls, i)->text);
	free(ls->ring);
	gw_vec_free(&ls->srcs);
	sd_event_unref(ls->e);
	free(ls);
}

static void ls_file_tag(enum logstream_type type, const char *path, char *tag, size_t size)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if ((type == LOGSTREAM_NGINX_ERROR && !strcmp(base, "error.log")) ||
	    (type == LOGSTREAM_NGINX_ACCESS && !strcmp(base, "access.log")))
		gw_fmt(tag, size, "%s", logstream_type_name(type));
	else if (type == LOGSTREAM_NGINX_ERROR || type == LOGSTREAM_NGINX_ACCESS)
		gw_fmt(tag, size, "%s:%s", type == LOGSTREAM_NGINX_ERROR ? "err" : "acc", base);
	else
		gw_fmt(tag, size, "%s", base);
}

int logstream_add_file(struct logstream *ls, const char *path, enum logstream_type type,
		       const char *tag)
{
	if (!path || !path[0] || strlen(path) >= GW_PATH || ls_is_journal(type)) return -1;
	int k = ls_find_src(ls, path);
	if (k >= 0) return k;
	char t[GW_NAME];
	if (tag) GW_COPY(t, tag);
	else ls_file_tag(type, path, t, sizeof t);
	size_t si = ls_new_src(ls, type, path, t);
	struct ls_file *f = gw_xcalloc(1, sizeof *f);
	f->src = si;
	GW_COPY(f->path, path);
	const char *slash = strrchr(path, '/');
	if (slash) {
		gw_fmt(f->dir, sizeof f->dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
		GW_COPY(f->base, slash + 1);
	} else {
		GW_COPY(f->dir, ".");
		GW_COPY(f->base, path);
	}
	f->dir_wd = -1;
	ls_reader_init(&f->cur);
	ls_reader_init(&f->old);
	*(struct ls_file **)gw_vec_push(&ls->files) = f;
	uint64_t g = ls->gen;
	ls_check_file(ls, f);
	if (g != ls->gen) ls_changed(ls);
	return (int)si;
}

static int ls_add_journal(struct logstream *ls, const char *name, const char *tag,
			  enum logstream_type type)
{
	int k = ls_find_src(ls, name);
	if (k >= 0) return k;
	size_t si = ls_new_src(ls, type, name, tag);
	if (ls->cfg.no_journal) {
		GW_COPY(ls->srcs.v[si].pub.error, "journal not read");
		return (int)si;
	}
	ls->j_dirty = 1;
	if (!ls->in_sync) {                        /* at once: the first screen has it */
		uint64_t g = ls->gen;
		ls_jsetup(ls);
		if (g != ls->gen) ls_changed(ls);
	}
	return (int)si;
}

int logstream_add_unit(struct logstream *ls, const char *unit, enum logstream_type type)
{
	char name[GW_NAME + 8];
	if (!unit || !unit[0] || strlen(unit) >= GW_NAME - 8) return -1;
	if (type != LOGSTREAM_JOURNAL_NGINX) type = LOGSTREAM_JOURNAL_APP;
	gw_fmt(name, sizeof name, "unit:%s", unit);
	return ls_add_journal(ls, name, unit, type);
}

int logstream_add_kernel(struct logstream *ls)
{
	return ls_add_journal(ls, "kernel", "kernel", LOGSTREAM_KERNEL);
}

static int ls_file_log(const char *p)
{
	return p[0] == '/' && strcmp(p, "/dev/null") && !gw_starts_with(p, "/dev/");
}

static int ls_unit_ok(const char *u)
{
	return u[0] && gw_ends_with(u, ".service") && !gw_starts_with(u, "user@");
}

void logstream_sync(struct logstream *ls, const struct gw_snapshot *s, const struct gw_options *o)
{
	ls->in_sync = 1;
	if (o) {
		for (size_t i = 0; i < o->error_logs.n; i++)
			logstream_add_file(ls, o->error_logs.v[i], LOGSTREAM_NGINX_ERROR, NULL);
		for (size_t i = 0; i < o->access_logs.n; i++)
			logstream_add_file(ls, o->access_logs.v[i], LOGSTREAM_NGINX_ACCESS, NULL);
		for (size_t i = 0; i < o->app_logs.n; i++) {
			const char *a = o->app_logs.v[i];
			if (gw_starts_with(a, "unit:")) logstream_add_unit(ls, a + 5, LOGSTREAM_JOURNAL_APP);
			else logstream_add_file(ls, a, LOGSTREAM_APP_FILE, NULL);
		}
		for (size_t i = 0; i < o->units.n; i++)
			logstream_add_unit(ls, o->units.v[i], LOGSTREAM_JOURNAL_APP);
	}
	if (s) {
		for (size_t i = 0; i < s->conf.logs.n; i++) {
			const struct gw_conf_log *l = &s->conf.logs.v[i];
			if (!ls_file_log(l->path)) continue;
			if (l->is_access && o && o->access_logs.n) continue;
			if (!l->is_access && o && o->error_logs.n) continue;
			logstream_add_file(ls, l->path, l->is_access ? LOGSTREAM_NGINX_ACCESS : LOGSTREAM_NGINX_ERROR, NULL);
		}
		for (size_t i = 0; i < s->log_sources.n; i++) {
			const struct gw_log_source *l = &s->log_sources.v[i];
			if (!ls_file_log(l->path)) continue;
			if (!strcmp(l->tag, "app")) logstream_add_file(ls, l->path, LOGSTREAM_APP_FILE, NULL);
			else if (!strcmp(l->tag, "nginx-error")) logstream_add_file(ls, l->path, LOGSTREAM_NGINX_ERROR, NULL);
		}
		for (size_t i = 0; i < s->procs.n; i++) {
			const struct gw_proc *p = &s->procs.v[i];
			if (!ls_unit_ok(p->unit)) continue;
			if (p->role == GW_ROLE_NGINX_MASTER)
				logstream_add_unit(ls, p->unit, LOGSTREAM_JOURNAL_NGINX);
			else if (p->role == GW_ROLE_GUNICORN_MASTER || p->role == GW_ROLE_UVICORN_MASTER ||
				 p->role == GW_ROLE_GUNICORN_WORKER || p->role == GW_ROLE_UVICORN_WORKER ||
				 p->role == GW_ROLE_APP_SERVER)
				logstream_add_unit(ls, p->unit, LOGSTREAM_JOURNAL_APP);
		}
		for (size_t i = 0; i < s->units.n; i++) {
			const struct gw_unit *u = &s->units.v[i];
			if (!ls_unit_ok(u->name)) continue;
			if (u->is_nginx) logstream_add_unit(ls, u->name, LOGSTREAM_JOURNAL_NGINX);
			else if (u->is_app) logstream_add_unit(ls, u->name, LOGSTREAM_JOURNAL_APP);
		}
		ls_ctr_sync_all(ls, s);
	}
	if (!ls->cfg.no_journal) logstream_add_kernel(ls);
	ls->in_sync = 0;
	if (ls->j_dirty) {
		uint64_t g = ls->gen;
		ls_jsetup(ls);
		if (g != ls->gen) ls_changed(ls);
	}
}

void logstream_set_alarm(struct logstream *ls, void (*fn)(void *ud), void *ud)
{
	ls->alarm = fn;
	ls->alarm_ud = ud;
}

void logstream_set_notify(struct logstream *ls, void (*fn)(void *ud), void *ud)
{
	ls->notify = fn;
	ls->notify_ud = ud;
}

size_t logstream_count(const struct logstream *ls) { return ls->n; }

const struct logstream_line *logstream_get(const struct logstream *ls, size_t i)
{
	return i < ls->n ? ls_at(ls, i) : NULL;
}

size_t logstream_find_seq(const struct logstream *ls, uint64_t seq)
{
	for (size_t i = ls->n; i-- > 0;)
		if (ls_at(ls, i)->seq == seq) return i;
	return (size_t)-1;
}

size_t logstream_find_time(const struct logstream *ls, double t)
{
	size_t lo = 0, hi = ls->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ls_at(ls, mid)->time < t) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}

uint64_t logstream_generation(const struct logstream *ls) { return ls->gen; }
size_t logstream_nsources(const struct logstream *ls) { return ls->srcs.n; }
int logstream_find_source(const struct logstream *ls, const char *name) { return ls_find_src(ls, name); }

const struct logstream_source *logstream_source(const struct logstream *ls, size_t idx)
{
	return idx < ls->srcs.n ? &ls->srcs.v[idx].pub : NULL;
}

void logstream_source_hide(struct logstream *ls, size_t idx, int hidden)
{
	if (idx < ls->srcs.n) {
		ls->srcs.v[idx].pub.hidden = hidden;
		ls->gen++;
	}
}

const struct accesslog_stats *logstream_access(const struct logstream *ls) { return &ls->acc; }

static int ls_is_error(const struct logstream_line *l)
{
	if (l->flags & (LOGSTREAM_F_MARK | LOGSTREAM_F_ACCESS)) return 0;
	return l->level >= GW_LV_ERROR || l->kind != GW_LOG_OTHER;
}

int logstream_incident(const struct logstream *ls, double now, double recent, double *start)
{
	double t;
	if (accesslog_burst(&ls->acc, now, recent, &t, NULL, NULL)) {
		*start = t;
		return 1;
	}
	size_t i = ls->n;
	while (i > 0 && !ls_is_error(ls_at(ls, i - 1))) i--;
	if (!i || ls_at(ls, i - 1)->time < now - recent) return 0;
	double first = ls_at(ls, i - 1)->time;
	for (size_t k = i - 1; k-- > 0;) {
		const struct logstream_line *l = ls_at(ls, k);
		if (first - l->time > LS_INCIDENT_GAP) break;
		if (ls_is_error(l)) first = l->time;
	}
	*start = first;
	return 1;
}

void logstream_poll(struct logstream *ls) { ls_poll_all(ls); }

void logstream_backstop(struct logstream *ls)
{
	uint64_t now;
	if (!ls->timer || sd_event_now(ls->e, CLOCK_MONOTONIC, &now) < 0) return;
	if (now - ls->polled >= LS_BACKSTOP_USEC / 4) ls_poll_all(ls);
	sd_event_source_set_time(ls->timer, now + LS_BACKSTOP_USEC * 3 / 2);
}

size_t logstream_memory(const struct logstream *ls)
{
	/* malloc rounds every text up to 16 bytes and adds 8 of its own */
	return ls->alloc * sizeof *ls->ring + ls->text_bytes + ls->n * 16 +
	       ls->srcs.n * sizeof *ls->srcs.v + ls->files.n * (sizeof(struct ls_file) + 2 * LOGSTREAM_TEXT_MAX) +
	       ls->ctrs.n * (sizeof(struct ls_ctr) + LS_CTR_LINE_MAX);
}

size_t logstream_cap(const struct logstream *ls) { return ls->cfg.cap; }
