/* record.c — recordings: the recorder (taps + frames -> gzip JSON lines,
 * bounded in two segments) and the player (the same lines -> snapshots,
 * the timeline and the log ring). The format: record.h. */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "logstream.h"
#include "outfile.h"
#include "report.h"
#include "sanitize.h"
#include "snapjson.h"

#define REC_LINE_MAX ((size_t)256 << 20)   /* one record, uncompressed (a keyframe of a huge host) */

/* ---------------------------------------------------------------- strings */

/* raw bytes -> the snapshot's string form (snapjson.h: UTF-8 or {"latin1"}) */
static json_t *rec_str(const char *s, size_t len)
{
	return snapjson_string(s, s ? len : 0);
}

static json_t *rec_cstr(const char *s)
{
	return rec_str(s, s ? strlen(s) : 0);
}

static double rec_num(const json_t *o, const char *k)
{
	double d = json_number_value(json_object_get(o, k));
	return isfinite(d) ? d : 0;
}

static long long rec_int(const json_t *o, const char *k, long long lo, long long hi)
{
	const json_t *j = json_object_get(o, k);
	long long v = json_is_integer(j) ? json_integer_value(j) : (long long)rec_num(o, k);
	return v < lo ? lo : v > hi ? hi : v;
}

const char *record_verdict_word(const struct gw_diagnosis *d)
{
	if (d->unknown) return "unknown";
	const struct gw_finding *v = report_verdict(d);
	return v ? gw_cause_id(v->cause) : "healthy";
}

/* ================================================================ recorder */

struct recorder {
	int dirfd;
	char name[256], name1[264], shown[1024];
	gzFile gz;
	size_t max;
	double interval, window;
	unsigned seg;
	unsigned long long closed_bytes;     /* compressed bytes of finished segments */
	unsigned long frames;
	int failed;
	char why[GW_TEXT];
	struct rec_member {                  /* per snapjson key: as last written */
		char *text;                  /* the whole member's JSON */
		GW_VEC(char *) elems;        /* an array's elements' JSON (for the delta) */
	} last[128];
	GW_VEC(unsigned char) src_seen;      /* log source announced in this segment */
	const struct timeline *tl;
	char *probes_stable;                 /* the probes' table without its times, as last written */
	double probes_written;
	double last_prog;
	int last_backfilling;
};

static void rec_member_clear(struct rec_member *m)
{
	free(m->text);
	m->text = NULL;
	for (size_t i = 0; i < m->elems.n; i++) free(m->elems.v[i]);
	gw_vec_free(&m->elems);
}

static void rec_fail(struct recorder *r, const char *what, int err)
{
	if (r->failed) return;
	r->failed = 1;
	gw_fmt(r->why, sizeof r->why, "recording %s stopped: %s: %s", r->shown, what, strerror(err));
}

/* One record: "r" kind, "w" now in ms. Steals obj. */
static void rec_put(struct recorder *r, const char *kind, json_t *obj)
{
	if (!obj) return;
	if (r->failed || !r->gz) {
		json_decref(obj);
		return;
	}
	json_object_set_new(obj, "r", json_string(kind));
	json_object_set_new(obj, "w", json_integer((json_int_t)llround(gw_now() * 1000)));
	char *txt = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (!txt) return;
	size_t n = strlen(txt);
	txt[n] = '\n';
	if (gzwrite(r->gz, txt, (unsigned)(n + 1)) != (int)(n + 1)) {
		int e = errno;
		rec_fail(r, "write", e ? e : EIO);
	}
	free(txt);
}

static int rec_create(struct recorder *r)
{
	int fd = openat(r->dirfd, r->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) return -1;
	fchmod(fd, 0600);
	r->gz = gzdopen(fd, "wb6");
	if (!r->gz) {
		int e = errno;
		close(fd);
		errno = e ? e : ENOMEM;
		return -1;
	}
	return 0;
}

static void rec_timeline_checkpoint(struct recorder *r)
{
	const struct timeline *tl = r->tl;
	if (!tl) return;
	json_t *o = json_object(), *mins = json_array(), *secs = json_array(), *evs = json_array();
	long newest = timeline_newest_minute(tl);
	for (long m = newest - TIMELINE_MINUTES + 1; newest && m <= newest; m++) {
		const struct timeline_minute *b = timeline_minute(tl, m);
		if (!b) continue;
		json_array_append_new(mins, json_pack("[I,i,i,i,i,i,i,i,i,i,i,i,f,f]", (json_int_t)b->minute,
		    (int)b->total, (int)b->n2xx, (int)b->n3xx, (int)b->n4xx, (int)b->n499, (int)b->n5xx,
		    (int)b->n500, (int)b->n502, (int)b->n503, (int)b->n504, (int)b->own, b->first_5xx, b->last_5xx));
	}
	struct timeline_second *sv = gw_xmalloc(TIMELINE_MINUTES * 60 * sizeof *sv);
	size_t ns = timeline_seconds(tl, sv, TIMELINE_MINUTES * 60);
	for (size_t i = 0; i < ns; i++)
		json_array_append_new(secs, json_pack("[I,i,i]", (json_int_t)sv[i].sec, (int)sv[i].ok, (int)sv[i].fail));
	free(sv);
	for (size_t i = 0; i < timeline_nevents(tl); i++) {
		const struct timeline_event *e = timeline_event(tl, i);
		json_array_append_new(evs, json_pack("[f,i,i,o,o]", e->time, (int)e->kind, e->approx,
		    rec_cstr(e->subject), rec_cstr(e->text)));
	}
	json_object_set_new(o, "min", mins);
	json_object_set_new(o, "sec", secs);
	json_object_set_new(o, "ev", evs);
	rec_put(r, "tl", o);
}

static void rec_head(struct recorder *r)
{
	char host[64] = "";
	gethostname(host, sizeof host - 1);
	rec_put(r, "head", json_pack("{s:i,s:s,s:o,s:f,s:f,s:i}", "version", RECORD_VERSION, "gwtop",
	    GW_VERSION, "host", rec_cstr(host), "interval", r->interval, "window", r->window, "seg", (int)r->seg));
	gw_vec_clear(&r->src_seen);
	for (size_t i = 0; i < sizeof r->last / sizeof *r->last; i++)
		rec_member_clear(&r->last[i]);
	free(r->probes_stable);                /* a segment starts with every member */
	r->probes_stable = NULL;
	rec_timeline_checkpoint(r);
}

/* FILE -> FILE.1 (the older FILE.1 goes), a new FILE. */
static void rec_rotate(struct recorder *r)
{
	z_off_t off = gzoffset(r->gz);
	if (gzclose(r->gz) != Z_OK) {
		r->gz = NULL;
		rec_fail(r, "close", EIO);
		return;
	}
	r->gz = NULL;
	r->closed_bytes += off > 0 ? (unsigned long long)off : 0;
	if (renameat(r->dirfd, r->name, r->dirfd, r->name1) < 0) {
		rec_fail(r, "rename to .1", errno);
		return;
	}
	if (rec_create(r) < 0) {
		rec_fail(r, "a new segment", errno);
		return;
	}
	r->seg++;
	rec_head(r);
}

#ifndef GW_VERSION
#define GW_VERSION "0.0.0"
#endif

/* FILE exists (st: lstat'ed): 1 opened for appending, 0 it was full and
 * became FILE.1 (create a new one), -1 refused (err). Only a plain file of
 * ours with one link that starts as gzip does: never a link, a device, a
 * FIFO, another user's file, anything that is not a recording. */
static int rec_append(struct recorder *r, const struct stat *st, char *err, size_t errsz)
{
	struct stat fst;
	unsigned char magic[2] = { 0, 0 };
	const char *what = S_ISLNK(st->st_mode) ? "a symbolic link" : S_ISDIR(st->st_mode) ? "a directory" :
	    !S_ISREG(st->st_mode) ? "not a plain file" : st->st_uid != geteuid() ? "another user's file" :
	    st->st_nlink != 1 ? "a file with other hard links" : NULL;
	int fd = what ? -1 : openat(r->dirfd, r->name, O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (!what && fd < 0) what = strerror(errno);
	if (!what && (fstat(fd, &fst) < 0 || fst.st_dev != st->st_dev || fst.st_ino != st->st_ino))
		what = "changed while opened";
	if (!what && fst.st_size > 0 && (pread(fd, magic, 2, 0) != 2 || magic[0] != 0x1f || magic[1] != 0x8b))
		what = "not a gwtop recording (not gzip)";
	if (what) {
		if (fd >= 0) close(fd);
		gw_fmt(err, errsz, "refusing to record to %s: %s is there (gwtop appends only to a recording of its own; "
		    "choose another name)", r->shown, what);
		return -1;
	}
	if ((size_t)fst.st_size >= r->max / 2) {
		close(fd);
		if (renameat(r->dirfd, r->name, r->dirfd, r->name1) < 0) {
			gw_fmt(err, errsz, "cannot record to %s: rename to .1: %s", r->shown, strerror(errno));
			return -1;
		}
		return 0;
	}
	r->gz = gzdopen(fd, "ab6");
	if (!r->gz) {
		close(fd);
		gw_fmt(err, errsz, "cannot record to %s: %s", r->shown, strerror(ENOMEM));
		return -1;
	}
	return 1;
}

struct recorder *recorder_open(const char *path, size_t max_bytes, double interval, double window,
			       char *err, size_t errsz)
{
	struct outfile of;
	struct stat st;
	/* the directory's checks and fd are --output's */
	if (outfile_open_dir(&of, path, err, errsz) < 0) return NULL;
	struct recorder *r = gw_xcalloc(1, sizeof *r);
	r->dirfd = of.dirfd;
	GW_COPY(r->name, of.name);
	sanitize_text(r->shown, sizeof r->shown, path, strlen(path));
	gw_fmt(r->name1, sizeof r->name1, "%s.1", r->name);
	r->max = max_bytes ? max_bytes : RECORD_DEFAULT_MAX;
	if (r->max < RECORD_MIN_MAX) r->max = RECORD_MIN_MAX;
	r->interval = interval;
	r->window = window;
	r->seg = 1;
	r->last_backfilling = -1;
	if (r->dirfd >= 0 && fstatat(r->dirfd, r->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		/* an earlier recording of ours: appended to (a new gzip member),
		 * as a timer's `--check --record` does every minute */
		int rc = rec_append(r, &st, err, errsz);
		if (rc < 0) {
			recorder_close(r);
			return NULL;
		}
		if (rc > 0) {
			rec_head(r);
			return r;
		}
	}
	if (r->dirfd < 0 || rec_create(r) < 0) {
		gw_fmt(err, errsz, "cannot record to %s: %s", r->shown, strerror(errno));
		recorder_close(r);
		return NULL;
	}
	rec_head(r);
	return r;
}

void recorder_close(struct recorder *r)
{
	if (!r) return;
	if (r->gz) gzclose(r->gz);
	if (r->dirfd >= 0) close(r->dirfd);
	for (size_t i = 0; i < sizeof r->last / sizeof *r->last; i++) rec_member_clear(&r->last[i]);
	gw_vec_free(&r->src_seen);
	free(r->probes_stable);
	free(r);
}

void recorder_set_timeline(struct recorder *r, const struct timeline *tl)
{
	r->tl = tl;
}

int recorder_failed(const struct recorder *r, char *why, size_t n)
{
	if (!r || !r->failed) return 0;
	gw_fmt(why, n, "%s", r->why);
	return 1;
}

unsigned long long recorder_bytes(const struct recorder *r)
{
	z_off_t off = r->gz ? gzoffset(r->gz) : 0;
	return r->closed_bytes + (off > 0 ? (unsigned long long)off : 0);
}

unsigned long recorder_frames(const struct recorder *r)
{
	return r->frames;
}

/* The processes a replay needs: the roles gwtop knows, and the owners of
 * listeners and app binds (every other process is the host's business and
 * most of the recording's size). */
static void rec_trim_procs(json_t *procs, const struct gw_snapshot *s)
{
	size_t i = 0;
	while (i < json_array_size(procs)) {
		const json_t *p = json_array_get(procs, i);
		long long pid = json_integer_value(json_object_get(p, "pid"));
		int keep = json_integer_value(json_object_get(p, "role")) != GW_ROLE_OTHER;
		for (size_t k = 0; !keep && k < s->listeners.n; k++) keep = s->listeners.v[k].pid == pid;
		for (size_t k = 0; !keep && k < s->app_binds.n; k++) keep = s->app_binds.v[k].pid == pid;
		if (keep) i++;
		else json_array_remove(procs, i);
	}
}

/* An array member is written as a delta of the previous frame's: a list
 * of runs [start, count] (elements kept from the previous frame) and new
 * elements (objects) in order — the log events of the window slide and
 * take new lines in between, a process table changes a few rows. NULL
 * when the delta is not smaller (then the whole member is written).
 * Either way lm->elems becomes v's elements. */
static uint64_t rec_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static json_t *rec_array_delta(struct rec_member *lm, json_t *v)
{
	size_t n = json_array_size(v), pn = lm->elems.n, cap = 16;
	char **now = gw_xcalloc(n ? n : 1, sizeof *now);
	int objects = 1;
	for (size_t i = 0; i < n; i++) {
		now[i] = json_dumps(json_array_get(v, i), JSON_COMPACT | JSON_ENCODE_ANY);
		objects &= json_is_object(json_array_get(v, i)) && now[i];
	}
	json_t *ops = NULL;
	if (objects && pn && n) {
		/* the previous elements by content: open addressing, first occurrence */
		while (cap < pn * 2) cap *= 2;
		size_t *tab = gw_xmalloc(cap * sizeof *tab);
		for (size_t i = 0; i < cap; i++) tab[i] = (size_t)-1;
		for (size_t i = 0; i < pn; i++) {
			size_t h = (size_t)rec_hash(lm->elems.v[i]) & (cap - 1);
			while (tab[h] != (size_t)-1 && strcmp(lm->elems.v[tab[h]], lm->elems.v[i])) h = (h + 1) & (cap - 1);
			if (tab[h] == (size_t)-1) tab[h] = i;
		}
		ops = json_array();
		size_t run_start = 0, run_len = 0, literal = 0;
		for (size_t i = 0; i < n; i++) {
			if (run_len && run_start + run_len < pn && !strcmp(lm->elems.v[run_start + run_len], now[i])) {
				run_len++;
				continue;
			}
			if (run_len) json_array_append_new(ops, json_pack("[I,I]", (json_int_t)run_start, (json_int_t)run_len));
			run_len = 0;
			size_t h = (size_t)rec_hash(now[i]) & (cap - 1);
			while (tab[h] != (size_t)-1 && strcmp(lm->elems.v[tab[h]], now[i])) h = (h + 1) & (cap - 1);
			if (tab[h] != (size_t)-1) {
				run_start = tab[h];
				run_len = 1;
			} else {
				json_array_append(ops, json_array_get(v, i));
				literal++;
			}
		}
		if (run_len) json_array_append_new(ops, json_pack("[I,I]", (json_int_t)run_start, (json_int_t)run_len));
		free(tab);
		if (literal == n) {                  /* nothing kept: the whole member is as small */
			json_decref(ops);
			ops = NULL;
		}
	}
	for (size_t i = 0; i < pn; i++) free(lm->elems.v[i]);
	gw_vec_clear(&lm->elems);
	for (size_t i = 0; i < n; i++) *gw_vec_push(&lm->elems) = now[i] ? now[i] : strdup("");
	free(now);
	return ops;
}

/* The probes' table changes every pass (each probe's duration and last
 * success): written again only when something else in it changed (an
 * error came or went, a probe was added) or 30 s after the last time. */
#define REC_PROBES_EVERY 30.0
static int rec_probes_same(struct recorder *r, const json_t *v)
{
	json_t *c = json_deep_copy(v), *e;
	size_t i;
	json_array_foreach(c, i, e) {
		json_object_del(e, "duration");
		json_object_del(e, "last_ok");
	}
	char *txt = json_dumps(c, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(c);
	double now = gw_now();
	int same = txt && r->probes_stable && !strcmp(txt, r->probes_stable) && now - r->probes_written < REC_PROBES_EVERY;
	if (same) {
		free(txt);
		return 1;
	}
	free(r->probes_stable);
	r->probes_stable = txt;
	r->probes_written = now;
	return 0;
}

void recorder_frame(struct recorder *r, const struct gw_snapshot *s, const struct gw_diagnosis *d, double now)
{
	if (!r || r->failed || !r->gz) return;
	z_off_t off = gzoffset(r->gz);
	if (off > 0 && (size_t)off >= r->max / 2) rec_rotate(r);
	if (r->failed) return;
	json_t *m = json_object(), *dl = json_object();
	for (size_t k = 0; k < sizeof r->last / sizeof *r->last && snapjson_keys[k]; k++) {
		json_t *v = snapjson_encode_member(s, snapjson_keys[k]);
		if (!v) continue;
		if (!strcmp(snapjson_keys[k], "procs")) rec_trim_procs(v, s);
		struct rec_member *lm = &r->last[k];
		if (!strcmp(snapjson_keys[k], "probes") && rec_probes_same(r, v)) {
			json_decref(v);
			continue;
		}
		char *txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!txt || (lm->text && !strcmp(txt, lm->text))) {
			free(txt);
			json_decref(v);
			continue;
		}
		free(lm->text);
		lm->text = txt;
		if (!json_is_array(v)) {
			json_object_set_new(m, snapjson_keys[k], v);
			continue;
		}
		json_t *ops = rec_array_delta(lm, v);
		if (ops) {
			json_object_set_new(dl, snapjson_keys[k], ops);
			json_decref(v);
		} else {
			json_object_set_new(m, snapjson_keys[k], v);
		}
	}
	json_t *rec = json_pack("{s:f,s:o,s:f,s:s,s:s}", "t", s->taken, "m", m, "now", now,
	    "v", record_verdict_word(d), "st", gw_severity_name(d->status));
	if (json_object_size(dl)) json_object_set(rec, "d", dl);
	json_decref(dl);
	rec_put(r, "snap", rec);
	if (!r->failed && gzflush(r->gz, Z_SYNC_FLUSH) != Z_OK) rec_fail(r, "flush", errno ? errno : EIO);
	r->frames++;
}

/* ---------------------------------------------------------------- taps */

static void tap_request(void *ud, const struct timeline_request *q)
{
	struct recorder *r = ud;
	json_t *o = json_pack("{s:f,s:i}", "t", q->time, "st", q->status);
	if (q->own) json_object_set_new(o, "o", json_true());
	if (q->path && q->path_len) json_object_set_new(o, "p", rec_str(q->path, q->path_len));
	if (q->upstream_addr) json_object_set_new(o, "ua", rec_str(q->upstream_addr, q->upstream_addr_len));
	if (q->upstream_status) json_object_set_new(o, "us", rec_str(q->upstream_status, q->upstream_status_len));
	if (q->upstream_time) json_object_set_new(o, "ut", rec_str(q->upstream_time, q->upstream_time_len));
	if (q->request_time >= 0) json_object_set_new(o, "rt", json_real(q->request_time));
	rec_put(r, "req", o);
}

static void tap_event(void *ud, const struct timeline_event *e)
{
	rec_put(ud, "ev", json_pack("{s:f,s:i,s:i,s:o,s:o}", "t", e->time, "k", (int)e->kind, "a", e->approx,
	    "s", rec_cstr(e->subject), "x", rec_cstr(e->text)));
}

static void tap_fields(void *ud, const struct timeline_fields *f)
{
	rec_put(ud, "fields", json_pack("{s:i,s:o,s:i,s:i,s:i,s:i,s:o}", "known", f->known, "name",
	    rec_cstr(f->format_name), "ua", f->has_upstream_addr, "us", f->has_upstream_status, "ut",
	    f->has_upstream_time, "rt", f->has_request_time, "hint", rec_cstr(f->hint)));
}

static void tap_progress(void *ud, const struct timeline_progress *p)
{
	struct recorder *r = ud;
	double now = gw_now();
	/* the backfill's steps come every few ms: once a second is enough */
	if (p->backfilling == r->last_backfilling && now - r->last_prog < 1) return;
	r->last_prog = now;
	r->last_backfilling = p->backfilling;
	rec_put(r, "prog", json_pack("{s:i,s:f,s:f,s:f,s:f,s:f}", "b", p->backfilling, "done", (double)p->done,
	    "total", (double)p->total, "since", p->since, "lines", (double)p->lines, "unparsed", (double)p->unparsed));
}

static const struct timeline_tap rec_tap = { tap_request, tap_event, tap_fields, tap_progress };

const struct timeline_tap *recorder_timeline_tap(void)
{
	return &rec_tap;
}

void recorder_log_tap(void *ud, const struct logstream *ls, const struct logstream_line *l)
{
	struct recorder *r = ud;
	if (r->failed) return;
	while (r->src_seen.n <= l->src) *gw_vec_push(&r->src_seen) = 0;
	if (!r->src_seen.v[l->src]) {
		const struct logstream_source *src = logstream_source(ls, l->src);
		if (!src) return;
		r->src_seen.v[l->src] = 1;
		rec_put(r, "src", json_pack("{s:i,s:i,s:o,s:o}", "i", (int)l->src, "type", (int)src->type, "name",
		    rec_cstr(src->name), "tag", rec_cstr(src->tag)));
	}
	rec_put(r, "log", json_pack("{s:i,s:f,s:i,s:i,s:i,s:i,s:o}", "i", (int)l->src, "t", l->time, "lv",
	    (int)l->level, "k", (int)l->kind, "f", (int)l->flags, "st", (int)l->status, "x", rec_str(l->text, l->len)));
}

/* ================================================================ player */

struct player {
	char paths[2][4096];
	int npaths, cur;
	gzFile gz;
	char *line;
	size_t cap;
	json_t *pending;                     /* read, not applied yet */
	double pending_w;
	int at_end;
	int skip_checkpoint;                 /* a later segment: the state goes on from the one before */
	json_t *state;                       /* the snapshot's members as of the last frame */
	struct timeline *tl;
	struct logstream *ls;
	GW_VEC(int) srcmap;                  /* recorded source index -> ls index (-1 none) */
	char host[64];
	double interval, window;
	double frame_now;
	char verdict[64], status[16];
	unsigned long frames, skipped;
	char err[GW_TEXT];
};

static int play_open_seg(struct player *p)
{
	if (p->gz) {
		gzclose(p->gz);
		p->gz = NULL;
	}
	while (p->cur < p->npaths) {
		const char *path = p->paths[p->cur++];
		struct stat st;
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0) {
			gw_fmt(p->err, sizeof p->err, "cannot read %s: %s", path, strerror(errno));
			return -1;
		}
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			gw_fmt(p->err, sizeof p->err, "%s is not a regular file", path);
			return -1;
		}
		p->gz = gzdopen(fd, "rb");
		if (!p->gz) {
			close(fd);
			gw_fmt(p->err, sizeof p->err, "cannot read %s", path);
			return -1;
		}
		p->skip_checkpoint = p->cur > 1;
		return 0;
	}
	return 1;                            /* no more segments */
}

/* The next line of the recording into p->line: 1, 0 at the end, -1 error. */
static int play_line(struct player *p)
{
	for (;;) {
		if (!p->gz) {
			int r = play_open_seg(p);
			if (r) return r > 0 ? 0 : -1;
		}
		size_t n = 0;
		for (;;) {
			if (n + 2 >= p->cap) {
				if (p->cap >= REC_LINE_MAX) {
					gw_fmt(p->err, sizeof p->err, "a record longer than %zu MiB", REC_LINE_MAX >> 20);
					return -1;
				}
				p->cap = p->cap ? p->cap * 2 : 65536;
				p->line = gw_xrealloc(p->line, p->cap);
			}
			if (!gzgets(p->gz, p->line + n, (int)(p->cap - n))) break;
			n += strlen(p->line + n);
			if (n && p->line[n - 1] == '\n') break;
		}
		if (n) {
			p->line[n] = '\0';
			return 1;
		}
		int zerr = 0;
		const char *msg = gzerror(p->gz, &zerr);
		if (zerr != Z_OK && zerr != Z_BUF_ERROR) {
			/* a cut stream (the recorder was killed): what came before stands */
			p->skipped++;
			(void)msg;
		}
		gzclose(p->gz);
		p->gz = NULL;
	}
}

/* Read the next record into p->pending: 1, 0 at the end, -1 error. */
static int play_fetch(struct player *p)
{
	while (!p->pending) {
		int r = play_line(p);
		if (r <= 0) {
			p->at_end = 1;
			return r;
		}
		json_error_t je;
		json_t *j = json_loads(p->line, JSON_REJECT_DUPLICATES, &je);
		if (!json_is_object(j) || !json_is_string(json_object_get(j, "r"))) {
			json_decref(j);
			p->skipped++;
			continue;
		}
		p->pending = j;
		p->pending_w = rec_num(j, "w") / 1000.0;
	}
	return 1;
}

static void play_head(struct player *p, const json_t *j);

struct player *player_open(const char *path, char *err, size_t errsz)
{
	struct player *p = gw_xcalloc(1, sizeof *p);
	struct stat st;
	if (strlen(path) + 3 >= sizeof p->paths[0]) {
		gw_fmt(err, errsz, "--replay: the path is too long");
		free(p);
		return NULL;
	}
	gw_fmt(p->paths[p->npaths], sizeof p->paths[0], "%s.1", path);
	if (stat(p->paths[p->npaths], &st) == 0) p->npaths++;
	gw_fmt(p->paths[p->npaths++], sizeof p->paths[0], "%s", path);
	p->state = json_object();
	p->tl = timeline_new();
	if (play_fetch(p) < 0 || !p->pending || strcmp(json_string_value(json_object_get(p->pending, "r")), "head")) {
		char shown[1024];
		sanitize_text(shown, sizeof shown, path, strlen(path));
		if (p->err[0]) gw_fmt(err, errsz, "%s", p->err);
		else gw_fmt(err, errsz, "%s is not a gwtop recording (no head record)", shown);
		player_close(p);
		return NULL;
	}
	play_head(p, p->pending);            /* the host and the options: known before the first frame */
	return p;
}

void player_close(struct player *p)
{
	if (!p) return;
	if (p->gz) gzclose(p->gz);
	free(p->line);
	json_decref(p->pending);
	json_decref(p->state);
	timeline_free(p->tl);
	gw_vec_free(&p->srcmap);
	free(p);
}

const char *player_host(const struct player *p) { return p->host; }
double player_interval(const struct player *p) { return p->interval; }
double player_window(const struct player *p) { return p->window; }
struct timeline *player_timeline(struct player *p) { return p->tl; }
void player_set_logs(struct player *p, struct logstream *ls) { p->ls = ls; }
double player_frame_now(const struct player *p) { return p->frame_now; }
const char *player_frame_verdict(const struct player *p) { return p->verdict; }
const char *player_frame_status(const struct player *p) { return p->status; }
unsigned long player_frames(const struct player *p) { return p->frames; }
unsigned long player_skipped(const struct player *p) { return p->skipped; }
const char *player_error(const struct player *p) { return p->err; }

double player_next_time(struct player *p)
{
	return play_fetch(p) > 0 ? p->pending_w : 0;
}

static void play_head(struct player *p, const json_t *j)
{
	snapjson_string_get(json_object_get(j, "host"), p->host, sizeof p->host);
	p->interval = rec_num(j, "interval");
	p->window = rec_num(j, "window");
	if (p->interval < 0 || p->interval > 86400) p->interval = 0;
	if (p->window < 0 || p->window > 86400 * 7) p->window = 0;
}

static void play_checkpoint(struct player *p, const json_t *j)
{
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(j, "min"), i, v) {
		if (json_array_size(v) < 14) continue;
		struct timeline_minute m = { 0 };
		unsigned *f[] = { &m.total, &m.n2xx, &m.n3xx, &m.n4xx, &m.n499, &m.n5xx, &m.n500, &m.n502, &m.n503,
				  &m.n504, &m.own };
		m.minute = (long)json_number_value(json_array_get(v, 0));
		for (size_t k = 0; k < sizeof f / sizeof *f; k++) {
			double d = json_number_value(json_array_get(v, k + 1));
			*f[k] = d > 0 && d < 4e9 ? (unsigned)d : 0;
		}
		m.first_5xx = json_number_value(json_array_get(v, 12));
		m.last_5xx = json_number_value(json_array_get(v, 13));
		timeline_restore_minute(p->tl, &m);
	}
	json_array_foreach(json_object_get(j, "sec"), i, v) {
		double sec = json_number_value(json_array_get(v, 0)), ok = json_number_value(json_array_get(v, 1)),
		       fail = json_number_value(json_array_get(v, 2));
		if (!(sec > 0 && sec < 1e11) || !(ok >= 0 && ok < 4e9) || !(fail >= 0 && fail < 4e9)) continue;
		struct timeline_second s = { (long)sec, (unsigned)ok, (unsigned)fail };
		timeline_restore_second(p->tl, &s);
	}
	json_array_foreach(json_object_get(j, "ev"), i, v) {
		char subj[GW_NAME], text[GW_TEXT];
		double t = json_number_value(json_array_get(v, 0));
		long long k = json_integer_value(json_array_get(v, 1));
		if (!isfinite(t) || k < 0 || k >= TL_EV_KIND_MAX) continue;
		snapjson_string_get(json_array_get(v, 3), subj, sizeof subj);
		snapjson_string_get(json_array_get(v, 4), text, sizeof text);
		timeline_add_event_text(p->tl, t, (enum timeline_kind)k, json_integer_value(json_array_get(v, 2)) != 0,
					subj, text);
	}
}

static void play_request(struct player *p, const json_t *j)
{
	char path[2048], ua[512], us[256], ut[256];
	struct timeline_request q = {
		.time = rec_num(j, "t"), .status = (int)rec_int(j, "st", 0, 999), .own = json_is_true(json_object_get(j, "o")),
		.request_time = json_object_get(j, "rt") ? rec_num(j, "rt") : -1,
	};
	q.path_len = snapjson_string_get(json_object_get(j, "p"), path, sizeof path);
	q.path = path;
	if (json_object_get(j, "ua")) {
		q.upstream_addr_len = snapjson_string_get(json_object_get(j, "ua"), ua, sizeof ua);
		q.upstream_addr = ua;
	}
	if (json_object_get(j, "us")) {
		q.upstream_status_len = snapjson_string_get(json_object_get(j, "us"), us, sizeof us);
		q.upstream_status = us;
	}
	if (json_object_get(j, "ut")) {
		q.upstream_time_len = snapjson_string_get(json_object_get(j, "ut"), ut, sizeof ut);
		q.upstream_time = ut;
	}
	timeline_add_request(p->tl, &q);
}

static void play_src(struct player *p, const json_t *j)
{
	char name[GW_PATH], tag[GW_NAME];
	long long i = rec_int(j, "i", -1, UINT16_MAX - 1);
	if (i < 0 || !p->ls) return;
	snapjson_string_get(json_object_get(j, "name"), name, sizeof name);
	snapjson_string_get(json_object_get(j, "tag"), tag, sizeof tag);
	while (p->srcmap.n <= (size_t)i) *gw_vec_push(&p->srcmap) = -1;
	p->srcmap.v[i] = logstream_add_replayed(p->ls, (enum logstream_type)rec_int(j, "type", 0, LOGSTREAM_MARKER),
						name, tag);
}

static void play_log(struct player *p, const json_t *j)
{
	long long i = rec_int(j, "i", -1, UINT16_MAX - 1);
	if (!p->ls || i < 0 || (size_t)i >= p->srcmap.n || p->srcmap.v[i] < 0) return;
	char *text = gw_xmalloc(LOGSTREAM_TEXT_MAX + 1);
	struct logstream_line l = {
		.time = rec_num(j, "t"), .level = (uint8_t)rec_int(j, "lv", 0, GW_LV_EMERG),
		.kind = (uint8_t)rec_int(j, "k", 0, GW_LOG_KIND_MAX - 1), .flags = (uint8_t)rec_int(j, "f", 0, 255),
		.status = (uint16_t)rec_int(j, "st", 0, 999), .text = text,
	};
	l.len = (uint32_t)snapjson_string_get(json_object_get(j, "x"), text, LOGSTREAM_TEXT_MAX + 1);
	for (uint32_t k = 0; k < l.len; k++)
		if (!text[k]) text[k] = 0x1a;   /* as the ring keeps NULs */
	logstream_inject(p->ls, (size_t)p->srcmap.v[i], &l);
	free(text);
}

static int play_frame(struct player *p, const json_t *j, struct gw_snapshot *s)
{
	const json_t *m = json_object_get(j, "m"), *dl = json_object_get(j, "d"), *v;
	const char *key;
	if (!json_is_object(m)) return 0;
	json_object_update(p->state, (json_t *)(uintptr_t)m);
	/* array members as deltas: runs [start, count] of the previous
	 * frame's elements and new elements, in order */
	json_object_foreach((json_t *)(uintptr_t)dl, key, v) {
		json_t *cur = json_object_get(p->state, key), *next = json_array(), *op;
		size_t i;
		int bad = !json_is_array(cur) || !json_is_array(v);
		json_array_foreach(v, i, op) {
			if (bad) break;
			if (json_is_object(op)) {
				json_array_append(next, op);
				continue;
			}
			json_int_t st = json_integer_value(json_array_get(op, 0)), n = json_integer_value(json_array_get(op, 1));
			if (!json_is_array(op) || st < 0 || n < 0 || (size_t)st > json_array_size(cur) ||
			    (size_t)n > json_array_size(cur) - (size_t)st || json_array_size(next) + (size_t)n > 1000000) {
				bad = 1;
				break;
			}
			for (json_int_t k = 0; k < n; k++) json_array_append(next, json_array_get(cur, (size_t)(st + k)));
		}
		if (bad) {
			p->skipped++;
			json_decref(next);
			continue;
		}
		json_object_set_new(p->state, key, next);
	}
	snapshot_free(s);
	snapshot_init(s);
	char err[GW_TEXT];
	if (snapjson_apply(s, p->state, err, sizeof err) < 0) {
		p->skipped++;
		gw_fmt(p->err, sizeof p->err, "frame %lu: %s", p->frames + 1, err);
	}
	s->timeline = p->tl;
	p->frame_now = rec_num(j, "now");
	snapjson_string_get(json_object_get(j, "v"), p->verdict, sizeof p->verdict);
	snapjson_string_get(json_object_get(j, "st"), p->status, sizeof p->status);
	p->frames++;
	return 1;
}

int player_advance(struct player *p, double until, int stop_at_frame, struct gw_snapshot *s)
{
	int framed = 0;
	while (play_fetch(p) > 0 && p->pending_w <= until) {
		json_t *j = p->pending;
		p->pending = NULL;
		const char *r = json_string_value(json_object_get(j, "r"));
		if (!strcmp(r, "head")) play_head(p, j);
		else if (!strcmp(r, "tl")) { if (!p->skip_checkpoint) play_checkpoint(p, j); }
		else if (!strcmp(r, "snap")) framed |= play_frame(p, j, s);
		else if (!strcmp(r, "req")) play_request(p, j);
		else if (!strcmp(r, "ev")) {
			char subj[GW_NAME], text[GW_TEXT];
			long long k = rec_int(j, "k", -1, TL_EV_KIND_MAX);
			snapjson_string_get(json_object_get(j, "s"), subj, sizeof subj);
			snapjson_string_get(json_object_get(j, "x"), text, sizeof text);
			if (k >= 0 && k < TL_EV_KIND_MAX)
				timeline_add_event_text(p->tl, rec_num(j, "t"), (enum timeline_kind)k,
							rec_int(j, "a", 0, 1) != 0, subj, text);
		} else if (!strcmp(r, "src")) play_src(p, j);
		else if (!strcmp(r, "log")) play_log(p, j);
		else if (!strcmp(r, "fields")) {
			struct timeline_fields f = {
				.known = rec_int(j, "known", 0, 1) != 0, .has_upstream_addr = rec_int(j, "ua", 0, 1) != 0,
				.has_upstream_status = rec_int(j, "us", 0, 1) != 0, .has_upstream_time = rec_int(j, "ut", 0, 1) != 0,
				.has_request_time = rec_int(j, "rt", 0, 1) != 0,
			};
			snapjson_string_get(json_object_get(j, "name"), f.format_name, sizeof f.format_name);
			snapjson_string_get(json_object_get(j, "hint"), f.hint, sizeof f.hint);
			timeline_set_fields(p->tl, &f);
		} else if (!strcmp(r, "prog")) {
			struct timeline_progress g = {
				.backfilling = rec_int(j, "b", 0, 1) != 0, .done = (unsigned long long)rec_int(j, "done", 0, 1LL << 60),
				.total = (unsigned long long)rec_int(j, "total", 0, 1LL << 60), .since = rec_num(j, "since"),
				.lines = (unsigned long)rec_int(j, "lines", 0, 1LL << 60),
				.unparsed = (unsigned long)rec_int(j, "unparsed", 0, 1LL << 60),
			};
			timeline_set_progress(p->tl, &g);
		} else p->skipped++;
		json_decref(j);
		if (framed && stop_at_frame) break;
	}
	if (framed) return 1;
	return p->at_end && !p->pending ? -1 : 0;
}
