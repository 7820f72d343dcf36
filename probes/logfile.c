/* logfile.c — the log layer's file followers (see logstream_int.h):
 * tail -F over one inotify fd on the sd-event loop. A follower has a
 * current reader and, after a rename/delete, an old reader that is drained
 * until it stays quiet (the writer reopened). Start-up reads the file's
 * END (at most backfill_bytes: the last LS_FIRST_BYTES at once, the older
 * part on a deferred pass), with the same line splitter the live reading
 * uses; logread.c's bounded pread does the reading for both. */
#include "logstream_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logread.h"
#include "trust.h"

#define LS_CHUNK ((size_t)256 << 10)      /* pread size */
#define LS_READ_BUDGET ((off_t)16 << 20)   /* per check and reader; the rest on a deferred pass */
#define LS_SKIP_BYTES ((off_t)64 << 20)    /* a backlog larger than this is skipped to its end */
#define LS_OLD_GRACE 5.0                   /* seconds an old (rotated) file is drained after it went quiet */
#define LS_FIRST_BYTES ((off_t)64 << 10)   /* start-up: read at once, the rest deferred */

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

static void ls_check_file(struct logstream *ls, struct ls_file *f);

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

/* Start-up: the end of the file, at most backfill_bytes; lines older than
 * the window are dropped unless among the last backfill_lines. The last
 * LS_FIRST_BYTES now, the rest from ls_backfill_rest on a deferred pass. */
static void ls_backfill(struct logstream *ls, struct ls_file *f, struct ls_reader *r, off_t size)
{
	struct ls_batch b = { 0 };
	off_t start = size > (off_t)ls->cfg.backfill_bytes ? size - (off_t)ls->cfg.backfill_bytes : 0;
	off_t first = size - LS_FIRST_BYTES > start ? size - LS_FIRST_BYTES : start;
	size_t got;
	int err;                                   /* a failed read: what came before it */
	char *buf = logread_range(r->fd, first, (size_t)(size - first), &got, &err);
	const char *p = buf;
	size_t len = got;
	if (first > 0) {                           /* skip the partial first line */
		const char *nl = logread_after_partial(buf, got);
		p = nl ? nl : buf + got;
		len = got - (size_t)(p - buf);
		if (first > start && nl) {
			f->bf_from = start;
			f->bf_to = first + (off_t)(nl - buf);
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
	size_t got;
	int err;
	char *buf = logread_range(r->fd, from, (size_t)(to - from), &got, &err);
	const char *p = buf;
	size_t len = got;
	if (from > 0) {
		const char *nl = logread_after_partial(buf, got);
		p = nl ? nl : buf + got;
		len = got - (size_t)(p - buf);
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

int ls_files_inotify(sd_event_source *es, int fd, uint32_t revents, void *ud)
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

void ls_files_poll(struct logstream *ls)
{
	for (size_t i = 0; i < ls->files.n; i++)
		if (ls->files.v[i]->bf_to > ls->files.v[i]->bf_from) ls_backfill_rest(ls, ls->files.v[i]);
	for (size_t i = 0; i < ls->files.n; i++) ls_check_file(ls, ls->files.v[i]);
}

void ls_files_free(struct logstream *ls)
{
	for (size_t i = 0; i < ls->files.n; i++) {
		ls_reader_close(ls, &ls->files.v[i]->cur);
		ls_reader_close(ls, &ls->files.v[i]->old);
	}
	for (size_t i = 0; i < ls->files.n; i++) free(ls->files.v[i]);
	gw_vec_free(&ls->files);
}

size_t ls_files_memory(const struct logstream *ls)
{
	return ls->files.n * (sizeof(struct ls_file) + 2 * LOGSTREAM_TEXT_MAX);
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
