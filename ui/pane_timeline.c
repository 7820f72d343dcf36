/* pane_timeline.c — the timeline pane (key 6; a strip on tall screens):
 * requests per minute as stacked bars by status class (2xx/3xx, 4xx, 499,
 * 5xx: each its own glyph and colour, ASCII when the locale is not UTF-8),
 * event markers and the incident's start (!) and recovery (+) on the same
 * axis, a cursor (Left / Right) whose minute's counts and events are
 * listed under the axis (Enter: the logs pane jumps there), `z` cycles the
 * span (5 min / 30 min / 3 h). Below: per-upstream times and 5xx share,
 * the top failing paths, or the log_format line to add when the access log
 * lacks the upstream fields. Reads s->timeline only (src/timeline.h);
 * every outside string goes through ui_put* (sanitized). */
#include "ui.h"
#include "pane_logs.h"
#include "pane_timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timeline.h"

static const int tl_spans[] = { 5, 30, 180 };   /* minutes */
#define TL_NSPANS ((int)(sizeof tl_spans / sizeof *tl_spans))
#define TL_LABEL 6                               /* the y-axis label column */

static int tl_span(const struct tui *t)
{
	int i = t->tl_span >= 0 && t->tl_span < TL_NSPANS ? t->tl_span : 1;
	return tl_spans[i];
}

static void tl_hm(double when, char *buf, size_t size)
{
	time_t tt = (time_t)when;
	struct tm lt;
	localtime_r(&tt, &lt);
	strftime(buf, size, "%H:%M", &lt);
}

static void tl_hms(double when, char *buf, size_t size)
{
	time_t tt = (time_t)when;
	struct tm lt;
	localtime_r(&tt, &lt);
	strftime(buf, size, "%H:%M:%S", &lt);
}

/* The newest minute shown (the current one). */
static long tl_end(const struct tui *t, const struct gw_snapshot *s)
{
	(void)t;
	return (long)((s->finished > 0 ? s->finished : s->taken) / 60);
}

/* The cursor's minute: t->tl_cursor, or the newest when it follows. */
static long tl_cursor(const struct tui *t, long first, long last)
{
	long c = t->tl_cursor ? t->tl_cursor : last;
	return c < first ? first : c > last ? last : c;
}

struct tl_col {
	unsigned ok, n4xx, n499, n5xx;
	int mark;                        /* the marker character, 0 none */
	int bad;
	long m0, m1;                     /* minutes [m0, m1] */
};

struct tl_item {
	double t;
	const struct timeline_event *e;          /* NULL: an incident mark */
	const struct timeline_incident *in;
	int recovery;
};

static int tl_item_cmp(const void *a, const void *b)
{
	const struct tl_item *x = a, *y = b;
	if (x->t != y->t) return x->t < y->t ? -1 : 1;
	return (x->e != NULL) - (y->e != NULL);  /* the incident's marks first */
}

/* The events and incident marks of minutes [m0, m1], in time order. */
static void tl_put_events_of(struct ui_lines *L, const struct timeline *tl, long m0, long m1, int width)
{
	struct tl_item it[64];
	size_t n = 0;
	for (size_t i = 0; i < timeline_nincidents(tl) && n < 62; i++) {
		const struct timeline_incident *in = timeline_incident(tl, i);
		if ((long)(in->start / 60) >= m0 && (long)(in->start / 60) <= m1)
			it[n++] = (struct tl_item){ in->start, NULL, in, 0 };
		if (in->recovered && (long)(in->recovered / 60) >= m0 && (long)(in->recovered / 60) <= m1)
			it[n++] = (struct tl_item){ in->recovered, NULL, in, 1 };
	}
	for (size_t i = 0; i < timeline_nevents(tl) && n < 64; i++) {
		const struct timeline_event *e = timeline_event(tl, i);
		long m = (long)(e->time / 60);
		if (m >= m0 && m <= m1) it[n++] = (struct tl_item){ e->time, e, NULL, 0 };
	}
	qsort(it, n, sizeof *it, tl_item_cmp);
	for (size_t i = 0; i < n; i++) {
		char hms[16];
		tl_hms(it[i].t, hms, sizeof hms);
		ui_line_new(L);
		if (!it[i].e && !it[i].recovery) {
			ui_putf(L, UI_FAIL, "  %s  ! incident: first failing request", hms);
		} else if (!it[i].e) {
			ui_putf(L, UI_OK, "  %s  + recovered (%u failed)", hms, it[i].in->failed);
		} else {
			const struct timeline_event *e = it[i].e;
			ui_putf(L, timeline_kind_bad(e->kind) ? UI_FAIL : UI_NORMAL, "  %s%s %c %s: ", hms,
				e->approx ? "~" : " ", timeline_kind_mark(e->kind), timeline_kind_id(e->kind));
			ui_wrap(L, UI_NORMAL, e->text, sizeof e->text, width, 14);
		}
	}
	if (!n) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, "  no event in this minute");
	}
}

static void tl_traffic(struct ui_lines *L, const struct timeline *tl, double since, int width)
{
	const struct timeline_fields *fl = timeline_get_fields(tl);
	struct timeline_upstream_stat us[TIMELINE_MAX_UPSTREAMS];
	size_t nu = timeline_upstreams(tl, since, us, TIMELINE_MAX_UPSTREAMS);
	ui_line_new(L);
	ui_line_new(L);
	ui_puts(L, UI_BOLD, "Upstreams (current window)");
	if (fl->known) ui_putf(L, UI_DIM, "  log_format %s", fl->format_name);
	if (nu) {
		ui_line_new(L);
		ui_putf(L, UI_DIM, "  %-28s %7s %6s %9s %9s %9s", "address", "tries", "5xx%", "p50", "p95", "p99");
	}
	for (size_t i = 0; i < nu; i++) {
		const struct timeline_upstream_stat *u = &us[i];
		char p[3][16];
		const double v[3] = { u->p50, u->p95, u->p99 };
		for (int k = 0; k < 3; k++) {
			if (v[k] < 0) gw_fmt(p[k], sizeof p[k], "-");
			else if (v[k] < 1) gw_fmt(p[k], sizeof p[k], "%.0f ms", v[k] * 1000);
			else gw_fmt(p[k], sizeof p[k], "%.2f s", v[k]);
		}
		ui_line_new(L);
		ui_puts(L, UI_NORMAL, "  ");
		ui_cell(L, UI_NORMAL, u->addr, sizeof u->addr, 28, 0);
		ui_putf(L, u->share_5xx > 0 ? UI_FAIL : UI_NORMAL, " %7u %5.1f%% %9s %9s %9s", u->tries, u->share_5xx * 100,
			p[0], p[1], p[2]);
	}
	if (!nu) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, fl->has_upstream_addr ? "  no proxied request in the window"
							 : "  the access log has no $upstream_addr");
	}
	if (fl->hint[0]) {
		ui_line_new(L);
		ui_puts(L, UI_WARN, "  to see upstream times, add to http{} and name it in access_log:");
		ui_line_new(L);
		ui_puts(L, UI_NORMAL, "  ");
		ui_wrap(L, UI_BOLD, fl->hint, sizeof fl->hint, width, 4);
		ui_line_new(L);
		ui_puts(L, UI_BOLD, "    access_log /var/log/nginx/access.log timeline;");
	}
	struct timeline_path_stat ps[8];
	size_t np = timeline_paths(tl, since, ps, 8);
	ui_line_new(L);
	ui_puts(L, UI_BOLD, "Top failing paths (current window)");
	for (size_t i = 0; i < np; i++) {
		ui_line_new(L);
		ui_putf(L, UI_FAIL, "  %6u 5xx", ps[i].n5xx);
		ui_putf(L, UI_DIM, " of %-6u last %3d  ", ps[i].requests, ps[i].last_status);
		ui_put(L, UI_NORMAL, ps[i].path, sizeof ps[i].path);
	}
	if (!np) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, "  none");
	}
}

static void timeline_build(struct tui *t, struct ui_lines *L, int width)
{
	const struct gw_snapshot *s = tui_snap(t);
	const struct timeline *tl = s ? s->timeline : NULL;
	struct pane *p = &t->panes[LAYOUT_TIMELINE];
	int ascii = theme_ascii();
	if (!tl) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, s ? "no timeline (no access log read)" : "waiting for the first probe pass");
		p->count[0] = '\0';
		return;
	}
	int span = tl_span(t);
	long last = tl_end(t, s), first = last - span + 1;
	long cur = tl_cursor(t, first, last);
	int cw = width - TL_LABEL;
	if (cw < 10) cw = 10;
	int rows = p->r.h - 2 - 4;           /* title, summary, markers, axis, cursor line */
	if (rows > 8) rows = 8;
	if (rows < 1) rows = 1;
	const struct timeline_progress *pg = timeline_get_progress(tl);
	if (pg->backfilling && pg->total)
		gw_fmt(p->count, sizeof p->count, "%d min, backfill %llu%%", span, pg->done * 100 / pg->total);
	else
		gw_fmt(p->count, sizeof p->count, "%d min", span);

	/* columns: each covers minutes [m0, m1] */
	struct tl_col col[512];
	if (cw > (int)(sizeof col / sizeof *col)) cw = (int)(sizeof col / sizeof *col);
	unsigned max = 0, tot = 0, t5 = 0;
	int curcol = -1;
	for (int c = 0; c < cw; c++) {
		struct tl_col *k = &col[c];
		memset(k, 0, sizeof *k);
		k->m0 = first + (long)c * span / cw;
		k->m1 = first + (long)(c + 1) * span / cw - 1;
		if (k->m1 < k->m0) k->m1 = k->m0;
		for (long m = k->m0; m <= k->m1; m++) {
			const struct timeline_minute *mm = timeline_minute(tl, m);
			if (!mm) continue;
			k->ok += mm->n2xx + mm->n3xx;
			k->n4xx += mm->n4xx;
			k->n499 += mm->n499;
			k->n5xx += mm->n5xx;
		}
		unsigned sum = k->ok + k->n4xx + k->n499 + k->n5xx;
		if (sum > max) max = sum;
		if (c == 0 || k->m0 != col[c - 1].m0) {
			tot += sum;
			t5 += k->n5xx;
		}
		if (cur >= k->m0 && cur <= k->m1 && curcol < 0) curcol = c;
	}
	/* markers: bad events win; the incident marks win over all */
	for (size_t i = 0; i < timeline_nevents(tl); i++) {
		const struct timeline_event *e = timeline_event(tl, i);
		long m = (long)(e->time / 60);
		for (int c = 0; c < cw; c++)
			if (m >= col[c].m0 && m <= col[c].m1 && (!col[c].mark || (!col[c].bad && timeline_kind_bad(e->kind)))) {
				col[c].mark = (unsigned char)timeline_kind_mark(e->kind);
				col[c].bad = timeline_kind_bad(e->kind);
			}
	}
	for (size_t i = 0; i < timeline_nincidents(tl); i++) {
		const struct timeline_incident *in = timeline_incident(tl, i);
		long ms = (long)(in->start / 60), mr = in->recovered ? (long)(in->recovered / 60) : -1;
		for (int c = 0; c < cw; c++) {
			if (ms >= col[c].m0 && ms <= col[c].m1) { col[c].mark = '!'; col[c].bad = 2; }
			if (mr >= col[c].m0 && mr <= col[c].m1) { col[c].mark = '+'; col[c].bad = 2; }
		}
	}

	/* summary */
	struct timeline_incident inc;
	ui_line_new(L);
	ui_putf(L, UI_NORMAL, "%u requests", tot);
	ui_putf(L, t5 ? UI_FAIL : UI_DIM, ", 5xx %u (%.1f%%)", t5, tot ? 100.0 * t5 / tot : 0.0);
	if (timeline_current_incident(tl, t->diag.since > 0 ? t->diag.since : s->taken - 300, &inc)) {
		char a[16], b[16];
		tl_hms(inc.start, a, sizeof a);
		if (inc.recovered) {
			tl_hms(inc.recovered, b, sizeof b);
			ui_putf(L, UI_WARN, "  incident %s, recovered %s", a, b);
		} else {
			ui_putf(L, UI_FAIL, "  INCIDENT since %s (%u failed)", a, inc.failed);
		}
	}
	if (pg->backfilling && pg->total)
		ui_putf(L, UI_DIM, "  reading older lines %llu%%", pg->done * 100 / pg->total);

	/* the bars: each cell row shows the class that fills most of it */
	static const char *const eighths[] = { " ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
	const char *g_ok = ascii ? "#" : "\u2588", *g_4 = ascii ? "+" : "\u2592", *g_499 = ascii ? "." : "\u2591",
		   *g_5 = ascii ? "X" : "\u2593";
	for (int r = rows - 1; r >= 0; r--) {
		ui_line_new(L);
		if (r == rows - 1) ui_putf(L, UI_DIM, "%*u ", TL_LABEL - 1, max);
		else if (r == 0) ui_putf(L, UI_DIM, "%*s ", TL_LABEL - 1, "0");
		else ui_putf(L, UI_DIM, "%*s ", TL_LABEL - 1, "");
		for (int c = 0; c < cw; c++) {
			const struct tl_col *k = &col[c];
			unsigned sum = k->ok + k->n4xx + k->n499 + k->n5xx;
			/* height in eighths of a cell */
			unsigned h8 = max ? (unsigned)((unsigned long long)sum * (unsigned)rows * 8 / max) : 0;
			if (sum && !h8) h8 = 1;
			unsigned lo = (unsigned)r * 8, hi = lo + 8;
			if (h8 <= lo) {
				ui_puts(L, c == curcol ? UI_SEL : UI_NORMAL, " ");
				continue;
			}
			/* which class is at this cell's middle (stack: ok, 4xx, 499, 5xx from the bottom) */
			unsigned long long mid = (unsigned long long)(lo + 4) * max / ((unsigned long long)rows * 8);
			if (mid >= sum) mid = sum - 1;        /* the top cell: what is at its bottom */
			const char *g = g_ok;
			int role = UI_OK;
			if (mid >= k->ok) { g = g_4; role = UI_WARN; }
			if (mid >= (unsigned long long)k->ok + k->n4xx) { g = g_499; role = UI_DIM; }
			if (mid >= (unsigned long long)k->ok + k->n4xx + k->n499) { g = g_5; role = UI_FAIL; }
			if (h8 < hi) {       /* the top cell: a partial block */
				if (ascii) g = role == UI_FAIL ? "x" : h8 - lo >= 4 ? g : "_";
				else g = role == UI_FAIL ? g_5 : eighths[h8 - lo];
			}
			ui_puts(L, c == curcol ? UI_SEL : role, g);
		}
	}
	/* markers */
	ui_line_new(L);
	ui_putf(L, UI_DIM, "%*s ", TL_LABEL - 1, "ev");
	for (int c = 0; c < cw; c++) {
		char m[2] = { col[c].mark ? (char)col[c].mark : (ascii ? '-' : ' '), 0 };
		int role = c == curcol ? UI_SEL : col[c].bad ? UI_FAIL : col[c].mark ? UI_BOLD : UI_DIM;
		if (!col[c].mark && !ascii) {
			ui_puts(L, role, "\u2500");
			continue;
		}
		ui_puts(L, role, m);
	}
	/* the time axis: a label every 12 columns or so */
	ui_line_new(L);
	ui_putf(L, UI_DIM, "%*s ", TL_LABEL - 1, "");
	char axis[600];
	memset(axis, ' ', sizeof axis);
	int step = cw >= 60 ? 12 : 10;
	for (int c = 0; c + 5 <= cw; c += step) {
		char hm[8];
		tl_hm((double)col[c].m0 * 60, hm, sizeof hm);
		memcpy(axis + c, hm, 5);
	}
	axis[cw < (int)sizeof axis - 1 ? cw : (int)sizeof axis - 1] = '\0';
	ui_puts(L, UI_DIM, axis);

	/* the cursor's minute */
	const struct timeline_minute *mm = timeline_minute(tl, cur);
	char hm[8];
	tl_hm((double)cur * 60, hm, sizeof hm);
	ui_line_new(L);
	ui_putf(L, UI_SEL, "%s%s", t->tl_cursor ? "cursor " : "now ", hm);
	if (mm)
		ui_putf(L, UI_NORMAL, "  %u req: 2xx %u, 3xx %u, 4xx %u, 499 %u, 5xx %u", mm->total, mm->n2xx, mm->n3xx,
			mm->n4xx, mm->n499, mm->n5xx);
	else
		ui_puts(L, UI_DIM, "  no request");
	ui_puts(L, UI_DIM, "  (Left/Right, Enter: logs there, z: span)");
	tl_put_events_of(L, tl, cur, cur, width);

	tl_traffic(L, tl, t->diag.since > 0 ? t->diag.since : s->taken - 300, width);
}

void pane_timeline_key(struct tui *t, int key)
{
	const struct gw_snapshot *s = tui_snap(t);
	struct pane *p = &t->panes[LAYOUT_TIMELINE];
	if (!s) return;
	int span = tl_span(t);
	long last = tl_end(t, s), first = last - span + 1;
	long cur = tl_cursor(t, first, last);
	int step = span >= 180 ? 5 : 1;
	switch (key) {
	case KEY_LEFT: cur -= step; break;
	case KEY_RIGHT: cur += step; break;
	case 'z':
		t->tl_span = (t->tl_span + 1) % TL_NSPANS;
		tui_set_status(t, "timeline: the last %d minutes", tl_span(t));
		break;
	case '\r': {
		if (pane_logs_jump_time(t, (double)cur * 60) < 0)
			tui_set_status(t, "no log line kept at or after that minute");
		break;
	}
	default: return;
	}
	if (key == KEY_LEFT || key == KEY_RIGHT) {
		t->tl_cursor = cur >= last ? 0 : cur < first ? first : cur;   /* at the end: follow now */
	}
	p->built_width = -1;
	p->dirty = 1;
}

const struct pane_class pane_timeline_class = {
	.title = "Timeline",
	.filterable = 0,
	.follow_tail = 0,
	.header_line = 0,
	.build = timeline_build,
};
