/* timeline.c — the timeline model (see timeline.h): per-minute request
 * buckets, per-second failure counts for the incidents, events, per
 * upstream / per path stats. Pure: no I/O, no clock. */
#include "timeline.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TL_SECONDS (TIMELINE_MINUTES * 60)
/* upstream-time histogram: bucket 0 < 1 ms, bucket b >= 1 holds
 * (2^((b-1)/8), 2^(b/8)] ms: the upper bound is at most 9 % over */
#define TL_HIST_STEPS 8
#define TL_HIST (1 + 20 * TL_HIST_STEPS)
#define TL_TRACKED 64                /* processes / units / containers remembered between passes */

struct tl_second {
	long sec;
	unsigned ok, fail;
};

struct tl_up {
	char addr[GW_NAME];
	unsigned tries, n5xx, no_status, timed;
	unsigned hist[TL_HIST];
};

struct tl_path {
	char path[TIMELINE_PATH];
	unsigned requests, n5xx;
	int last_status;
	double last_5xx;
};

struct tl_stats {
	long minute;
	int nup, npath;
	struct tl_up up[TIMELINE_MAX_UPSTREAMS];
	struct tl_path path[TIMELINE_MAX_PATHS];
};

struct tl_unit_seen {
	char name[GW_NAME];
	char active[32];
	unsigned nrestarts;
};

struct tl_ctr_seen {
	char name[GW_NAME];
	char id[72], image[GW_NAME], state[32], health[32];
	unsigned restarts;
};

struct tl_proc_seen {
	pid_t pid;
	double start;
	char comm[64];
};

struct timeline {
	struct timeline_minute min[TIMELINE_MINUTES];
	long newest;                 /* newest minute */
	struct tl_second *secs;      /* TL_SECONDS */
	long newest_sec;
	int inc_dirty;
	GW_VEC(struct timeline_incident) inc;
	GW_VEC(struct timeline_event) ev;
	struct tl_stats *stats;      /* TIMELINE_STATS_MINUTES */
	struct timeline_fields fields;
	struct timeline_progress progress;
	/* what the previous pass showed (timeline_observe) */
	int observed;
	pid_t nginx_master;
	size_t nunits, nctrs, napps;
	struct tl_unit_seen units[TL_TRACKED];
	struct tl_ctr_seen ctrs[TL_TRACKED];
	struct tl_proc_seen apps[TL_TRACKED];
	const struct timeline_tap *tap;  /* told of every change (record), NULL none */
	void *tap_ud;
};

/* ---------------------------------------------------------------- kinds */

static const struct {
	const char *id;
	char mark;
	int bad;
} tl_kinds[TL_EV_KIND_MAX] = {
	[TL_EV_NGINX_START] = { "nginx_start", 'N', 0 },
	[TL_EV_NGINX_RELOAD] = { "nginx_reload", 'R', 0 },
	[TL_EV_NGINX_STOP] = { "nginx_stop", 'N', 1 },
	[TL_EV_CONFIG_EDIT] = { "config_edit", 'C', 0 },
	[TL_EV_UNIT_START] = { "unit_start", 'S', 0 },
	[TL_EV_UNIT_STOP] = { "unit_stop", 's', 1 },
	[TL_EV_UNIT_FAIL] = { "unit_fail", 'F', 1 },
	[TL_EV_UNIT_RESTART] = { "unit_restart", 'S', 1 },
	[TL_EV_APP_START] = { "app_start", 'A', 0 },
	[TL_EV_APP_EXIT] = { "app_exit", 'X', 1 },
	[TL_EV_APP_BOOT_ERROR] = { "app_boot_error", 'B', 1 },
	[TL_EV_OOM_KILL] = { "oom_kill", 'O', 1 },
	[TL_EV_CONTAINER_START] = { "container_start", 'D', 0 },
	[TL_EV_CONTAINER_STOP] = { "container_stop", 'd', 1 },
	[TL_EV_CONTAINER_RESTART] = { "container_restart", 'D', 1 },
	[TL_EV_CONTAINER_HEALTH] = { "container_health", 'H', 0 },
	[TL_EV_DEPLOY] = { "deploy", 'V', 0 },
	[TL_EV_ACTION] = { "action", 'G', 0 },
	[TL_EV_INCIDENT_START] = { "incident_start", '!', 1 },
	[TL_EV_RECOVERY] = { "recovery", '+', 0 },
};

const char *timeline_kind_id(enum timeline_kind k)
{
	return (unsigned)k < TL_EV_KIND_MAX && tl_kinds[k].id ? tl_kinds[k].id : "?";
}

char timeline_kind_mark(enum timeline_kind k)
{
	return (unsigned)k < TL_EV_KIND_MAX && tl_kinds[k].mark ? tl_kinds[k].mark : '?';
}

int timeline_kind_bad(enum timeline_kind k)
{
	return (unsigned)k < TL_EV_KIND_MAX && tl_kinds[k].bad;
}

/* ---------------------------------------------------------------- object */

struct timeline *timeline_new(void)
{
	struct timeline *tl = gw_xcalloc(1, sizeof *tl);
	tl->secs = gw_xcalloc(TL_SECONDS, sizeof *tl->secs);
	tl->stats = gw_xcalloc(TIMELINE_STATS_MINUTES, sizeof *tl->stats);
	return tl;
}

void timeline_free(struct timeline *tl)
{
	if (!tl) return;
	free(tl->secs);
	free(tl->stats);
	gw_vec_free(&tl->inc);
	gw_vec_free(&tl->ev);
	free(tl);
}

/* ---------------------------------------------------------------- paths */

static int tl_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Is the segment s[0..n) an id: a number, a UUID, a hex hash (>= 8 hex
 * digits with a digit), a long token with digits (>= 16 chars)? */
static int tl_is_id(const char *s, size_t n)
{
	size_t digits = 0, hex = 0, alnum = 0, dash = 0;
	if (!n) return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9') digits++;
		if (tl_is_hex(c)) hex++;
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
			alnum++;
		if (c == '-') dash++;
	}
	if (digits == n) return 1;
	if (n == 36 && dash == 4 && hex == 32) return 1;                 /* UUID */
	if (hex == n && n >= 8 && digits) return 1;                       /* hash */
	if (n >= 16 && digits && alnum + dash == n) return 1;            /* token */
	return 0;
}

void timeline_path_normalize(const char *in, size_t len, char *out, size_t size)
{
	size_t o = 0;
	if (!size) return;
	const char *q = memchr(in, '?', len);
	if (q) len = (size_t)(q - in);
	const char *h = memchr(in, '#', len);
	if (h) len = (size_t)(h - in);
	size_t i = 0;
	while (i < len && o + 1 < size) {
		if (in[i] == '/') {
			out[o++] = '/';
			i++;
			continue;
		}
		size_t j = i;
		while (j < len && in[j] != '/') j++;
		/* a segment "123.json" keeps its extension */
		size_t stem = j - i;
		const char *dot = memchr(in + i, '.', j - i);
		if (dot && dot > in + i && j - (size_t)(dot - in) <= 6) stem = (size_t)(dot - (in + i));
		if (tl_is_id(in + i, stem)) {
			for (const char *r = ":id"; *r && o + 1 < size; r++) out[o++] = *r;
			i += stem;
		}
		while (i < j && o + 1 < size) out[o++] = in[i++];
		i = j;
	}
	out[o] = '\0';
}

/* ---------------------------------------------------------------- requests */

static struct tl_stats *tl_stats_slot(struct timeline *tl, long minute)
{
	struct tl_stats *st = &tl->stats[(unsigned long)minute % TIMELINE_STATS_MINUTES];
	if (st->minute != minute) {
		if (st->minute > minute) return NULL;        /* holds a newer minute */
		memset(st, 0, sizeof *st);
		st->minute = minute;
	}
	return st;
}

static int tl_hist_bucket(double secs)
{
	double ms = secs * 1000.0;
	if (ms < 1.0) return 0;
	int b = 1 + (int)floor(log2(ms) * TL_HIST_STEPS);
	return b >= TL_HIST ? TL_HIST - 1 : b;
}

static double tl_hist_upper(int b)
{
	return b <= 0 ? 0.001 : pow(2.0, (double)b / TL_HIST_STEPS) / 1000.0;
}

/* The next item of a "a, b : c" list: [*p, end) -> one item, *p moves on. */
static int tl_next_item(const char **p, const char *end, const char **item, size_t *n)
{
	const char *s = *p;
	if (!s || s >= end) return 0;
	const char *e = s;
	while (e < end) {
		if (e + 1 < end && e[0] == ',' && e[1] == ' ') break;
		if (e + 2 < end && e[0] == ' ' && e[1] == ':' && e[2] == ' ') break;
		e++;
	}
	*item = s;
	*n = (size_t)(e - s);
	if (e >= end) *p = end;
	else *p = e + (e[0] == ',' ? 2 : 3);
	return 1;
}

static void tl_add_upstreams(struct tl_stats *st, const struct timeline_request *r)
{
	const char *pa = r->upstream_addr, *ea = pa ? pa + r->upstream_addr_len : NULL;
	const char *ps = r->upstream_status, *es = ps ? ps + r->upstream_status_len : NULL;
	const char *pt = r->upstream_time, *et = pt ? pt + r->upstream_time_len : NULL;
	const char *a, *s = NULL, *t = NULL;
	size_t na, ns = 0, nt = 0;
	if (!pa) return;
	while (tl_next_item(&pa, ea, &a, &na)) {
		int has_s = ps && tl_next_item(&ps, es, &s, &ns);
		int has_t = pt && tl_next_item(&pt, et, &t, &nt);
		if (!na || (na == 1 && a[0] == '-')) continue;
		if (na >= GW_NAME) na = GW_NAME - 1;
		struct tl_up *u = NULL;
		for (int i = 0; i < st->nup && !u; i++)
			if (strlen(st->up[i].addr) == na && !memcmp(st->up[i].addr, a, na)) u = &st->up[i];
		if (!u) {
			if (st->nup >= TIMELINE_MAX_UPSTREAMS) continue;
			u = &st->up[st->nup++];
			memcpy(u->addr, a, na);
			u->addr[na] = '\0';
		}
		u->tries++;
		int status = 0;
		if (has_s && ns == 3 && s[0] >= '1' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9')
			status = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
		if (!status) u->no_status++;
		else if (status >= 500) u->n5xx++;
		if (has_t && nt && t[0] >= '0' && t[0] <= '9') {
			char buf[32];
			size_t k = nt < sizeof buf - 1 ? nt : sizeof buf - 1;
			memcpy(buf, t, k);
			buf[k] = '\0';
			double v = strtod(buf, NULL);
			if (v >= 0) {
				u->timed++;
				u->hist[tl_hist_bucket(v)]++;
			}
		}
	}
}

static void tl_add_path(struct tl_stats *st, const struct timeline_request *r, int fail)
{
	char norm[TIMELINE_PATH];
	if (!r->path || !r->path_len) return;
	timeline_path_normalize(r->path, r->path_len, norm, sizeof norm);
	struct tl_path *p = NULL;
	for (int i = 0; i < st->npath && !p; i++)
		if (!strcmp(st->path[i].path, norm)) p = &st->path[i];
	if (!p && st->npath < TIMELINE_MAX_PATHS) {
		p = &st->path[st->npath++];
	} else if (!p && fail) {
		/* full: a failing path takes the place of the least busy path without failures */
		for (int i = 0; i < st->npath; i++) {
			struct tl_path *c = &st->path[i];
			if (!c->n5xx && (!p || c->requests < p->requests)) p = c;
		}
		if (p) memset(p, 0, sizeof *p);
	}
	if (!p) return;
	if (!p->path[0]) GW_COPY(p->path, norm);
	p->requests++;
	if (fail) {
		p->n5xx++;
		if (r->time >= p->last_5xx) {
			p->last_5xx = r->time;
			p->last_status = r->status;
		}
	}
}

void timeline_set_tap(struct timeline *tl, const struct timeline_tap *tap, void *ud)
{
	tl->tap = tap;
	tl->tap_ud = ud;
}

void timeline_add_request(struct timeline *tl, const struct timeline_request *r)
{
	if (!r || r->time <= 0 || r->status < 100 || r->status > 599) return;
	if (tl->tap && tl->tap->request) tl->tap->request(tl->tap_ud, r);
	long minute = (long)(r->time / 60);
	if (minute <= tl->newest - TIMELINE_MINUTES) return;        /* older than the window */
	if (minute > tl->newest) tl->newest = minute;
	struct timeline_minute *m = &tl->min[(unsigned long)minute % TIMELINE_MINUTES];
	if (m->minute != minute) {
		if (m->minute > minute) return;
		memset(m, 0, sizeof *m);
		m->minute = minute;
	}
	if (r->own) {
		m->own++;
		return;
	}
	int st = r->status, fail = st >= 500;
	m->total++;
	if (st == 499) m->n499++;
	else if (st >= 500) m->n5xx++;
	else if (st >= 400) m->n4xx++;
	else if (st >= 300) m->n3xx++;
	else m->n2xx++;
	if (st == 500) m->n500++;
	if (st == 502) m->n502++;
	if (st == 503) m->n503++;
	if (st == 504) m->n504++;
	if (fail) {
		if (!m->first_5xx || r->time < m->first_5xx) m->first_5xx = r->time;
		if (r->time > m->last_5xx) m->last_5xx = r->time;
	}

	/* the seconds (incidents): 499 is neither a failure nor an answer */
	long sec = (long)r->time;
	if (sec > tl->newest_sec) tl->newest_sec = sec;
	if (st != 499 && sec > tl->newest_sec - TL_SECONDS) {
		struct tl_second *s = &tl->secs[(unsigned long)sec % TL_SECONDS];
		if (s->sec != sec && s->sec < sec) {
			memset(s, 0, sizeof *s);
			s->sec = sec;
		}
		if (s->sec == sec) {
			if (fail) s->fail++;
			else s->ok++;
			tl->inc_dirty = 1;
		}
	}

	struct tl_stats *sst = minute > tl->newest - TIMELINE_STATS_MINUTES ? tl_stats_slot(tl, minute) : NULL;
	if (sst) {
		tl_add_upstreams(sst, r);
		tl_add_path(sst, r, fail);
	}
}

size_t timeline_seconds(const struct timeline *tl, struct timeline_second *out, size_t max)
{
	size_t n = 0;
	for (long sec = tl->newest_sec - TL_SECONDS + 1; sec <= tl->newest_sec && n < max; sec++) {
		if (sec <= 0) continue;
		const struct tl_second *s = &tl->secs[(unsigned long)sec % TL_SECONDS];
		if (s->sec != sec || (!s->ok && !s->fail)) continue;
		out[n++] = (struct timeline_second){ sec, s->ok, s->fail };
	}
	return n;
}

void timeline_restore_minute(struct timeline *tl, const struct timeline_minute *m)
{
	if (!m || m->minute <= 0 || m->minute <= tl->newest - TIMELINE_MINUTES) return;
	if (m->minute > tl->newest) tl->newest = m->minute;
	tl->min[(unsigned long)m->minute % TIMELINE_MINUTES] = *m;
}

void timeline_restore_second(struct timeline *tl, const struct timeline_second *s)
{
	if (!s || s->sec <= 0 || s->sec <= tl->newest_sec - TL_SECONDS) return;
	if (s->sec > tl->newest_sec) tl->newest_sec = s->sec;
	struct tl_second *d = &tl->secs[(unsigned long)s->sec % TL_SECONDS];
	d->sec = s->sec;
	d->ok = s->ok;
	d->fail = s->fail;
	tl->inc_dirty = 1;
}

/* ---------------------------------------------------------------- incidents */

static void tl_incidents(struct timeline *tl)
{
	if (!tl->inc_dirty) return;
	tl->inc_dirty = 0;
	gw_vec_clear(&tl->inc);
	struct timeline_incident cur = { 0 };
	int in = 0;
	unsigned streak = 0;
	long cand = 0;
	for (long sec = tl->newest_sec - TL_SECONDS + 1; sec <= tl->newest_sec; sec++) {
		if (sec <= 0) continue;
		const struct tl_second *s = &tl->secs[(unsigned long)sec % TL_SECONDS];
		if (s->sec != sec || (!s->ok && !s->fail)) continue;
		if (s->fail) {
			if (!in) {
				memset(&cur, 0, sizeof cur);
				cur.start = (double)sec;
				in = 1;
			}
			cur.failed += s->fail;
			cur.last_fail = (double)sec;
			streak = 0;
			continue;
		}
		if (!in) continue;
		if (!streak) cand = sec;
		streak += s->ok;
		if (streak >= TIMELINE_RECOVER_OK) {
			cur.recovered = (double)cand;
			if (tl->inc.n >= TIMELINE_MAX_INCIDENTS) {
				memmove(tl->inc.v, tl->inc.v + 1, (tl->inc.n - 1) * sizeof *tl->inc.v);
				tl->inc.n--;
			}
			*(struct timeline_incident *)gw_vec_push(&tl->inc) = cur;
			in = 0;
			streak = 0;
		}
	}
	if (in) {
		if (tl->inc.n >= TIMELINE_MAX_INCIDENTS) {
			memmove(tl->inc.v, tl->inc.v + 1, (tl->inc.n - 1) * sizeof *tl->inc.v);
			tl->inc.n--;
		}
		*(struct timeline_incident *)gw_vec_push(&tl->inc) = cur;
	}
}

/* The incidents are computed when first read after requests came in: the
 * object is never really const (timeline_new allocates it). */
static struct timeline *tl_mut(const struct timeline *tl)
{
	return (struct timeline *)(uintptr_t)tl;
}

size_t timeline_nincidents(const struct timeline *tl)
{
	tl_incidents(tl_mut(tl));
	return tl->inc.n;
}

const struct timeline_incident *timeline_incident(const struct timeline *tl, size_t i)
{
	tl_incidents(tl_mut(tl));
	return i < tl->inc.n ? &tl->inc.v[i] : NULL;
}

int timeline_current_incident(const struct timeline *tl, double since, struct timeline_incident *out)
{
	tl_incidents(tl_mut(tl));
	if (!tl->inc.n) return 0;
	const struct timeline_incident *c = &tl->inc.v[tl->inc.n - 1];
	if (c->recovered && c->recovered < since) return 0;
	if (out) *out = *c;
	return 1;
}

/* ---------------------------------------------------------------- events */

/* Same kind and subject this close in time: the same event seen again. */
static double tl_same_within(enum timeline_kind k)
{
	switch (k) {
	case TL_EV_APP_BOOT_ERROR: return 30;     /* a crash loop is one marker per 30 s */
	case TL_EV_ACTION: return 0;
	default: return 2;
	}
}

/* Room for an event at its place in time order, NULL when it is a repeat
 * or older than everything kept in a full list. */
static struct timeline_event *tl_event_slot(struct timeline *tl, double time, enum timeline_kind kind,
					    const char *subject)
{
	if (time <= 0 || (unsigned)kind >= TL_EV_KIND_MAX) return NULL;
	if (!subject) subject = "";
	double win = tl_same_within(kind);
	for (size_t i = tl->ev.n; i-- > 0;) {
		const struct timeline_event *e = &tl->ev.v[i];
		if (win > 0 && e->kind == kind && fabs(e->time - time) <= win && !strncmp(e->subject, subject, GW_NAME - 1))
			return NULL;
		if (e->time < time - 60) break;
	}
	if (tl->ev.n >= TIMELINE_MAX_EVENTS) {
		if (time < tl->ev.v[0].time) return NULL;
		memmove(tl->ev.v, tl->ev.v + 1, (tl->ev.n - 1) * sizeof *tl->ev.v);
		tl->ev.n--;
	}
	gw_vec_push(&tl->ev);
	/* keep time order: insert after the last event not newer than it */
	size_t at = tl->ev.n - 1;
	while (at > 0 && tl->ev.v[at - 1].time > time) at--;
	if (at < tl->ev.n - 1)
		memmove(&tl->ev.v[at + 1], &tl->ev.v[at], (tl->ev.n - 1 - at) * sizeof *tl->ev.v);
	struct timeline_event *e = &tl->ev.v[at];
	memset(e, 0, sizeof *e);
	return e;
}

static void tl_event_fill(struct timeline *tl, struct timeline_event *e, double time, enum timeline_kind kind,
			  int approx, const char *subject)
{
	e->time = time;
	e->kind = kind;
	e->approx = approx;
	GW_COPY(e->subject, subject);
	if (tl->tap && tl->tap->event) tl->tap->event(tl->tap_ud, e);
}

void timeline_add_event(struct timeline *tl, double time, enum timeline_kind kind, int approx,
			const char *subject, const char *fmt, ...)
{
	if (!subject) subject = "";
	struct timeline_event *e = tl_event_slot(tl, time, kind, subject);
	if (!e) return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof e->text, fmt, ap);
	va_end(ap);
	tl_event_fill(tl, e, time, kind, approx, subject);
}

void timeline_add_event_text(struct timeline *tl, double time, enum timeline_kind kind, int approx,
			     const char *subject, const char *text)
{
	if (!subject) subject = "";
	struct timeline_event *e = tl_event_slot(tl, time, kind, subject);
	if (!e) return;
	GW_COPY(e->text, text ? text : "");
	tl_event_fill(tl, e, time, kind, approx, subject);
}

void timeline_action(struct timeline *tl, double time, const char *what, int ok, const char *msg)
{
	timeline_add_event(tl, time, TL_EV_ACTION, 0, what ? what : "", "gwtop %s: %s%s%s", what ? what : "action",
			   ok ? "done" : "failed", msg && msg[0] ? ": " : "", msg ? msg : "");
}

size_t timeline_nevents(const struct timeline *tl)
{
	return tl->ev.n;
}

const struct timeline_event *timeline_event(const struct timeline *tl, size_t i)
{
	return i < tl->ev.n ? &tl->ev.v[i] : NULL;
}

/* ---------------------------------------------------------------- observe a pass */

static int tl_is_app_master(const struct gw_snapshot *s, const struct gw_proc *p)
{
	if (p->role != GW_ROLE_GUNICORN_MASTER && p->role != GW_ROLE_UVICORN_MASTER && p->role != GW_ROLE_APP_SERVER)
		return 0;
	for (size_t i = 0; i < s->procs.n; i++)      /* a worker of another app server is not a master */
		if (s->procs.v[i].pid == p->ppid &&
		    (s->procs.v[i].role == GW_ROLE_GUNICORN_MASTER || s->procs.v[i].role == GW_ROLE_UVICORN_MASTER ||
		     s->procs.v[i].role == GW_ROLE_APP_SERVER))
			return 0;
	return 1;
}

static void tl_observe_procs(struct timeline *tl, const struct gw_snapshot *s, double from)
{
	const struct gw_nginx_runtime *n = &s->nginx;
	char subj[GW_NAME];
	if (n->master_pid > 0) {
		if (n->master_start >= from)
			timeline_add_event(tl, n->master_start, TL_EV_NGINX_START, 0, "nginx",
					   "nginx master started (pid %d)", (int)n->master_pid);
		if (n->last_reload >= from && n->last_reload > n->master_start + 2)
			timeline_add_event(tl, n->last_reload, TL_EV_NGINX_RELOAD, 0, "nginx",
					   "nginx reloaded: new workers (master pid %d)", (int)n->master_pid);
	} else if (tl->observed && tl->nginx_master > 0) {
		timeline_add_event(tl, s->taken, TL_EV_NGINX_STOP, 1, "nginx", "nginx master (pid %d) is gone",
				   (int)tl->nginx_master);
	}
	tl->nginx_master = n->master_pid;

	struct tl_proc_seen now[TL_TRACKED] = { 0 };
	size_t nnow = 0;
	for (size_t i = 0; i < s->procs.n && nnow < TL_TRACKED; i++) {
		const struct gw_proc *p = &s->procs.v[i];
		if (!tl_is_app_master(s, p)) continue;
		now[nnow].pid = p->pid;
		now[nnow].start = p->start_time;
		GW_COPY(now[nnow].comm, p->comm);
		nnow++;
		gw_fmt(subj, sizeof subj, "pid %d", (int)p->pid);
		if (p->start_time >= from)
			timeline_add_event(tl, p->start_time, TL_EV_APP_START, 0, subj, "%s started (%s, pid %d%s%s)",
					   p->comm, gw_role_name(p->role), (int)p->pid, p->unit[0] ? ", " : "", p->unit);
	}
	for (size_t k = 0; tl->observed && k < tl->napps; k++) {
		int alive = 0;
		for (size_t i = 0; i < nnow && !alive; i++)
			alive = now[i].pid == tl->apps[k].pid && fabs(now[i].start - tl->apps[k].start) < 2;
		if (alive) continue;
		gw_fmt(subj, sizeof subj, "pid %d", (int)tl->apps[k].pid);
		timeline_add_event(tl, s->taken, TL_EV_APP_EXIT, 1, subj, "%s (pid %d) is gone", tl->apps[k].comm,
				   (int)tl->apps[k].pid);
	}
	memcpy(tl->apps, now, nnow * sizeof *now);
	tl->napps = nnow;
}

static void tl_observe_units(struct timeline *tl, const struct gw_snapshot *s, double from)
{
	struct tl_unit_seen now[TL_TRACKED] = { 0 };
	size_t nnow = 0;
	for (size_t i = 0; i < s->units.n && nnow < TL_TRACKED; i++) {
		const struct gw_unit *u = &s->units.v[i];
		if (!u->loaded) continue;
		const struct tl_unit_seen *was = NULL;
		for (size_t k = 0; k < tl->nunits && !was; k++)
			if (!strcmp(tl->units[k].name, u->name)) was = &tl->units[k];
		double started = u->exec_main_start > 0 ? u->exec_main_start : u->active_enter;
		if (!strcmp(u->active_state, "active") && started >= from)
			timeline_add_event(tl, started, TL_EV_UNIT_START, 0, u->name, "%s started (MainPID %d)", u->name,
					   (int)u->main_pid);
		/* when it stopped / failed: systemd's InactiveEnterTimestamp, else this pass */
		int down = !strcmp(u->active_state, "failed") || !strcmp(u->active_state, "inactive");
		int dated = u->inactive_enter >= from && u->inactive_enter <= s->taken + 60;
		int stopped_known = down && dated;
		double stopped = stopped_known ? u->inactive_enter : s->taken;
		if (was ? strcmp(was->active, u->active_state) != 0 : (down && stopped_known)) {
			/* first seen (the first pass, --check): a stop / failure systemd
			 * dated inside the window; later: any change of state */
			if (!strcmp(u->active_state, "failed"))
				timeline_add_event(tl, stopped, TL_EV_UNIT_FAIL, !stopped_known, u->name,
						   "%s failed: result %s, exit status %d", u->name,
						   u->result[0] ? u->result : "?", u->exec_main_status);
			else if ((!was || !strcmp(was->active, "active")) && strcmp(u->active_state, "activating") &&
				 strcmp(u->active_state, "reloading"))
				timeline_add_event(tl, stopped, TL_EV_UNIT_STOP, !stopped_known, u->name,
						   "%s is %s (exit status %d)", u->name, u->active_state, u->exec_main_status);
		}
		/* first seen running again: it stopped (or failed: systemd keeps no
		 * result of an earlier run) at InactiveEnterTimestamp, before this start */
		if (!was && !strcmp(u->active_state, "active") && dated && u->inactive_enter <= started)
			timeline_add_event(tl, u->inactive_enter, TL_EV_UNIT_STOP, 0, u->name, "%s stopped (then started again)",
					   u->name);
		if (was ? u->nrestarts > was->nrestarts : u->nrestarts > 0) {
			/* first seen: the newest restart is the running process's start, when
			 * systemd dated it inside the window; else this pass */
			int at_start = !was && !strcmp(u->active_state, "active") && started >= from;
			if (was)
				timeline_add_event(tl, s->taken, TL_EV_UNIT_RESTART, 1, u->name,
						   "%s restarted by systemd (NRestarts %u, exit status %d)", u->name,
						   u->nrestarts, u->exec_main_status);
			else             /* the exit status of the run before is gone */
				timeline_add_event(tl, at_start ? started : s->taken, TL_EV_UNIT_RESTART, !at_start, u->name,
						   "%s restarted by systemd (NRestarts %u)", u->name, u->nrestarts);
		}
		GW_COPY(now[nnow].name, u->name);
		GW_COPY(now[nnow].active, u->active_state);
		now[nnow].nrestarts = u->nrestarts;
		nnow++;
	}
	memcpy(tl->units, now, nnow * sizeof *now);
	tl->nunits = nnow;
}

static void tl_observe_containers(struct timeline *tl, const struct gw_snapshot *s, double from)
{
	struct tl_ctr_seen now[TL_TRACKED] = { 0 };
	size_t nnow = 0;
	for (size_t i = 0; i < s->containers.n && nnow < TL_TRACKED; i++) {
		const struct gw_container *c = &s->containers.v[i];
		const struct tl_ctr_seen *was = NULL;
		for (size_t k = 0; k < tl->nctrs && !was; k++)
			if (!strcmp(tl->ctrs[k].name, c->name)) was = &tl->ctrs[k];
		if (c->started_at >= from && !strcmp(c->state, "running"))
			timeline_add_event(tl, c->started_at, TL_EV_CONTAINER_START, 0, c->name, "container %s started",
					   c->name);
		if (!was) {
			/* first seen (the first pass, --check): what its state dates inside the window */
			if (c->created_at >= from && c->created_at <= s->taken + 60)
				timeline_add_event(tl, c->created_at, TL_EV_DEPLOY, 0, c->name, "container %s created (image %s%s%.19s)",
						   c->name, c->image, c->image_id[0] ? " " : "", c->image_id);
			if (strcmp(c->state, "running") && strcmp(c->state, "created") && c->finished_at >= from &&
			    c->finished_at > c->started_at)
				timeline_add_event(tl, c->finished_at, TL_EV_CONTAINER_STOP, 0, c->name,
						   "container %s %s (exit code %d)", c->name, c->state, c->exit_code);
			if (c->restart_count > 0) {
				int at_start = !strcmp(c->state, "running") && c->started_at >= from;
				timeline_add_event(tl, at_start ? c->started_at : s->taken, TL_EV_CONTAINER_RESTART, !at_start,
						   c->name, "container %s restarted (RestartCount %u)", c->name, c->restart_count);
			}
			/* (a stopped container keeps a stale "unhealthy": not news) */
			if (!strcmp(c->state, "running") && c->health[0] && strcmp(c->health, "healthy") &&
			    strcmp(c->health, "starting"))
				timeline_add_event(tl, s->taken, TL_EV_CONTAINER_HEALTH, 1, c->name, "container %s: %s",
						   c->name, c->health);
		} else {
			if (strcmp(was->state, c->state) && strcmp(c->state, "running"))
				timeline_add_event(tl, c->finished_at >= from ? c->finished_at : s->taken, TL_EV_CONTAINER_STOP,
						   c->finished_at < from, c->name, "container %s %s (exit code %d)", c->name,
						   c->state, c->exit_code);
			if (c->restart_count > was->restarts)
				timeline_add_event(tl, s->taken, TL_EV_CONTAINER_RESTART, 1, c->name,
						   "container %s restarted (RestartCount %u, exit code %d)", c->name,
						   c->restart_count, c->exit_code);
			if (strcmp(was->health, c->health) && c->health[0] && !strcmp(c->state, "running"))
				timeline_add_event(tl, s->taken, TL_EV_CONTAINER_HEALTH, 1, c->name, "container %s: %s -> %s",
						   c->name, was->health[0] ? was->health : "none", c->health);
			if (strcmp(was->image, c->image))
				timeline_add_event(tl, s->taken, TL_EV_DEPLOY, 1, c->name, "container %s: image %s -> %s",
						   c->name, was->image, c->image);
			else if (strcmp(was->id, c->id)) {
				int dated = c->created_at >= from && c->created_at <= s->taken + 60;
				timeline_add_event(tl, dated ? c->created_at : s->taken, TL_EV_DEPLOY, !dated, c->name,
						   "container %s recreated (image %s%s%.19s)", c->name, c->image,
						   c->image_id[0] ? " " : "", c->image_id);
			}
		}
		struct tl_ctr_seen *w = &now[nnow++];
		GW_COPY(w->name, c->name);
		GW_COPY(w->id, c->id);
		GW_COPY(w->image, c->image);
		GW_COPY(w->state, c->state);
		GW_COPY(w->health, c->health);
		w->restarts = c->restart_count;
	}
	memcpy(tl->ctrs, now, nnow * sizeof *now);
	tl->nctrs = nnow;
}

static void tl_observe_logs(struct timeline *tl, const struct gw_snapshot *s, double from)
{
	char subj[GW_NAME];
	for (size_t i = 0; i < s->events.n; i++) {
		const struct gw_log_event *e = &s->events.v[i];
		if (e->time < from) continue;
		switch (e->kind) {
		case GW_LOG_OOM_KILL:
			gw_fmt(subj, sizeof subj, "pid %d", (int)e->pid);
			timeline_add_event(tl, e->time, TL_EV_OOM_KILL, 0, subj, "OOM kill: %s (pid %d)",
					   e->detail[0] ? e->detail : "?", (int)e->pid);
			break;
		case GW_LOG_APP_WORKER_BOOT:
		case GW_LOG_APP_MODULE_NOT_FOUND:
		case GW_LOG_APP_CONFIG:
			timeline_add_event(tl, e->time, TL_EV_APP_BOOT_ERROR, 0, e->source, "%s: %s", e->source,
					   e->detail[0] ? e->detail : e->line);
			break;
		default:
			break;
		}
	}
}

void timeline_observe(struct timeline *tl, const struct gw_snapshot *s)
{
	double from = s->taken - TIMELINE_MINUTES * 60.0;
	tl_observe_procs(tl, s, from);
	tl_observe_units(tl, s, from);
	tl_observe_containers(tl, s, from);
	tl_observe_logs(tl, s, from);
	for (size_t i = 0; i < s->conf.files.n; i++) {
		const struct gw_conf_file *f = &s->conf.files.v[i];
		if ((double)f->mtime >= from && (double)f->mtime <= s->taken + 60)
			timeline_add_event(tl, (double)f->mtime, TL_EV_CONFIG_EDIT, 0, f->path, "config edited: %s", f->path);
	}
	tl->observed = 1;
}

void timeline_set_fields(struct timeline *tl, const struct timeline_fields *f)
{
	if (tl->tap && tl->tap->fields && memcmp(&tl->fields, f, sizeof *f)) tl->tap->fields(tl->tap_ud, f);
	tl->fields = *f;
}

void timeline_set_progress(struct timeline *tl, const struct timeline_progress *p)
{
	const struct timeline_progress *o = &tl->progress;
	if (tl->tap && tl->tap->progress && (o->backfilling != p->backfilling || o->done != p->done ||
	    o->total != p->total || o->since != p->since || o->lines != p->lines || o->unparsed != p->unparsed))
		tl->tap->progress(tl->tap_ud, p);
	tl->progress = *p;
}

const struct timeline_fields *timeline_get_fields(const struct timeline *tl)
{
	return &tl->fields;
}

const struct timeline_progress *timeline_get_progress(const struct timeline *tl)
{
	return &tl->progress;
}

/* ---------------------------------------------------------------- reads */

long timeline_newest_minute(const struct timeline *tl)
{
	return tl->newest;
}

const struct timeline_minute *timeline_minute(const struct timeline *tl, long minute)
{
	const struct timeline_minute *m = &tl->min[(unsigned long)minute % TIMELINE_MINUTES];
	return minute > 0 && m->minute == minute ? m : NULL;
}

static int tl_up_cmp(const void *a, const void *b)
{
	const struct timeline_upstream_stat *x = a, *y = b;
	if (x->tries != y->tries) return x->tries > y->tries ? -1 : 1;
	return strcmp(x->addr, y->addr);
}

size_t timeline_upstreams(const struct timeline *tl, double since, struct timeline_upstream_stat *out, size_t max)
{
	struct timeline_upstream_stat all[TIMELINE_MAX_UPSTREAMS * 4];
	unsigned (*hist)[TL_HIST] = gw_xcalloc(TIMELINE_MAX_UPSTREAMS * 4, sizeof *hist);
	size_t n = 0;
	long from = (long)(since / 60);
	for (int k = 0; k < TIMELINE_STATS_MINUTES; k++) {
		const struct tl_stats *st = &tl->stats[k];
		if (!st->minute || st->minute < from || st->minute <= tl->newest - TIMELINE_STATS_MINUTES) continue;
		for (int i = 0; i < st->nup; i++) {
			const struct tl_up *u = &st->up[i];
			size_t j = 0;
			while (j < n && strcmp(all[j].addr, u->addr)) j++;
			if (j == n) {
				if (n >= sizeof all / sizeof *all) continue;
				memset(&all[n], 0, sizeof all[n]);
				GW_COPY(all[n].addr, u->addr);
				n++;
			}
			all[j].tries += u->tries;
			all[j].n5xx += u->n5xx;
			all[j].no_status += u->no_status;
			all[j].timed += u->timed;
			for (int b = 0; b < TL_HIST; b++) hist[j][b] += u->hist[b];
		}
	}
	for (size_t j = 0; j < n; j++) {
		struct timeline_upstream_stat *u = &all[j];
		u->share_5xx = u->tries ? (double)(u->n5xx + u->no_status) / u->tries : 0;
		u->p50 = u->p95 = u->p99 = -1;
		if (!u->timed) continue;
		const double qs[3] = { 0.50, 0.95, 0.99 };
		double *outs[3] = { &u->p50, &u->p95, &u->p99 };
		for (int q = 0; q < 3; q++) {
			unsigned long long want = (unsigned long long)ceil(qs[q] * u->timed), acc = 0;
			if (!want) want = 1;
			for (int b = 0; b < TL_HIST; b++) {
				acc += hist[j][b];
				if (acc >= want) {
					*outs[q] = tl_hist_upper(b);
					break;
				}
			}
		}
	}
	free(hist);
	qsort(all, n, sizeof *all, tl_up_cmp);
	if (n > max) n = max;
	if (n) memcpy(out, all, n * sizeof *out);
	return n;
}

static int tl_path_cmp(const void *a, const void *b)
{
	const struct timeline_path_stat *x = a, *y = b;
	if (x->n5xx != y->n5xx) return x->n5xx > y->n5xx ? -1 : 1;
	if (x->requests != y->requests) return x->requests > y->requests ? -1 : 1;
	return strcmp(x->path, y->path);
}

size_t timeline_paths(const struct timeline *tl, double since, struct timeline_path_stat *out, size_t max)
{
	GW_VEC(struct timeline_path_stat) all = { 0 };
	GW_VEC(double) last = { 0 };
	long from = (long)(since / 60);
	for (int k = 0; k < TIMELINE_STATS_MINUTES; k++) {
		const struct tl_stats *st = &tl->stats[k];
		if (!st->minute || st->minute < from || st->minute <= tl->newest - TIMELINE_STATS_MINUTES) continue;
		for (int i = 0; i < st->npath; i++) {
			const struct tl_path *p = &st->path[i];
			size_t j = 0;
			while (j < all.n && strcmp(all.v[j].path, p->path)) j++;
			if (j == all.n) {
				GW_COPY(((struct timeline_path_stat *)gw_vec_push(&all))->path, p->path);
				*(double *)gw_vec_push(&last) = 0;
			}
			all.v[j].requests += p->requests;
			all.v[j].n5xx += p->n5xx;
			if (p->n5xx && p->last_5xx >= last.v[j]) {
				last.v[j] = p->last_5xx;
				all.v[j].last_status = p->last_status;
			}
		}
	}
	size_t n = 0;
	for (size_t j = 0; j < all.n; j++)
		if (all.v[j].n5xx) all.v[n++] = all.v[j];
	if (n > 1) qsort(all.v, n, sizeof *all.v, tl_path_cmp);   /* all.v is NULL when nothing was seen */
	if (n > max) n = max;
	if (n) memcpy(out, all.v, n * sizeof *out);
	gw_vec_free(&all);
	gw_vec_free(&last);
	return n;
}
