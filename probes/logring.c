/* logring.c — the log layer's ring of lines (see logstream_int.h): lines
 * sorted by (time, seq) in an array of 2*cap slots (live lines [head,
 * head+n)); appends are O(1) amortised, a late line is inserted by binary
 * search (it is almost always near the end), a large batch (start-up) is
 * merged in O(n+m). And the ingest every follower shares: one raw line ->
 * a classified, timed logstream_line in a batch, its secrets masked before
 * it enters the ring. */
#include "logstream_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logclass.h"
#include "sanitize.h"

#define LS_SMALL_BATCH 16

/* ------------------------------------------------------------------ ring */

struct logstream_line *ls_at(const struct logstream *ls, size_t i)
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

void ls_commit(struct logstream *ls, struct ls_batch *b)
{
	size_t m = b->v.n;
	if (!m) return;
	qsort(b->v.v, m, sizeof *b->v.v, ls_line_cmp);
	if (ls->tap)
		for (size_t i = 0; i < m; i++) ls->tap(ls->tap_ud, ls, &b->v.v[i]);
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

void ls_batch_free(struct ls_batch *b)
{
	for (size_t i = 0; i < b->v.n; i++) free(b->v.v[i].text);
	gw_vec_free(&b->v);
}

void ls_changed(struct logstream *ls)
{
	if (ls->alarm_pending && ls->alarm) {
		ls->alarm_pending = 0;
		ls->alarm(ls->alarm_ud);
	}
	if (ls->notify) ls->notify(ls->notify_ud);
}

void ls_ring_free(struct logstream *ls)
{
	for (size_t i = 0; i < ls->n; i++) free(ls_at(ls, i)->text);
	free(ls->ring);
	ls->ring = NULL;
	ls->n = 0;
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

int ls_find_src(const struct logstream *ls, const char *name)
{
	for (size_t i = 0; i < ls->srcs.n; i++)
		if (!strcmp(ls->srcs.v[i].pub.name, name)) return (int)i;
	return -1;
}

size_t ls_new_src(struct logstream *ls, enum logstream_type type, const char *name,
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
	if (!logclass_nginx_stamp(line, len, &w))   /* the fields as written */
		return t;
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

void ls_ingest(struct logstream *ls, struct ls_batch *b, size_t si, const char *raw,
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

void ls_marker(struct logstream *ls, struct ls_batch *b, size_t si, const char *fmt, ...)
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

/* ------------------------------------------------------------------ record / replay */

void logstream_set_tap(struct logstream *ls, void (*fn)(void *ud, const struct logstream *ls,
							 const struct logstream_line *l), void *ud)
{
	ls->tap = fn;
	ls->tap_ud = ud;
}

int logstream_add_replayed(struct logstream *ls, enum logstream_type type, const char *name, const char *tag)
{
	if (!name || !*name || (unsigned)type > LOGSTREAM_MARKER) return -1;
	int k = ls_find_src(ls, name);
	if (k >= 0) return k;
	if (ls->srcs.n >= UINT16_MAX) return -1;
	size_t si = ls_new_src(ls, type, name, tag && *tag ? tag : logstream_type_name(type));
	ls->srcs.v[si].pub.ok = 1;
	return (int)si;
}

void logstream_inject(struct logstream *ls, size_t src, const struct logstream_line *l)
{
	if (src >= ls->srcs.n || !l || !l->text) return;
	struct ls_batch b = { 0 };
	struct logstream_line *n = gw_vec_push(&b.v);
	*n = *l;
	n->seq = ++ls->seq;
	n->src = (uint16_t)src;
	n->len = (uint32_t)strnlen(l->text, LOGSTREAM_TEXT_MAX);
	n->text = gw_xmalloc(n->len + 1);
	memcpy(n->text, l->text, n->len);
	n->text[n->len] = '\0';
	ls->srcs.v[src].pub.lines++;
	ls_commit(ls, &b);
	ls_batch_free(&b);
	ls_changed(ls);
}
