/* pane_logs.c — the live merged log stream (probes/logstream.c): nginx error
 * and access logs, app log files, the app's and nginx's journal, kernel
 * messages, oldest first, newest at the bottom: time, source, level, the
 * line; coloured by severity, classified lines marked. Line 0 is a header:
 * 5xx per minute (502 / 504 apart), the incident's start, the filters.
 *
 * The stream belongs to the dashboard's controller (ui/tui_logs.c: created
 * with the loop, fed the sources each probe pass discovered); this pane
 * only renders what it holds, with its own view state (filters, the
 * selected line). New lines rebuild the pane at most every
 * LOGS_REBUILD_USEC. While updates are paused (space) the pane stays as
 * it is. Without a stream (no loop) the snapshot's classified events are
 * shown instead.
 *
 * gwtop's own notes (actions and their outcomes, pane_logs_note) are kept
 * here in a small ring and merged into the view by time, source "gwtop";
 * long ones wrap so nginx's message is readable in full.
 *
 * '/' filters the pane like the others; every occurrence of the pattern in
 * the shown lines is highlighted (on the built, sanitized text: text.h).
 * A classified line that supports a current finding carries "» cause" in
 * place of the plain mark: it is cited in the finding's evidence (same
 * text), or it is of a kind the rules cite for that cause
 * (the registry's kinds, gw_cause_supported_by) and current (inside the diagnosis window).
 * Enter jumps from such a line to its finding in the findings pane. */
#include "ui.h"
#include "pane_logs.h"
#include "pane_findings.h"
#include "text.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diagnose.h"
#include "logstream.h"

#define LOGS_MAX_BUILD 2000          /* newest lines built into the pane */
#define LOGS_TEXT_SHOWN 1024         /* bytes of a line put on the screen */
#define LOGS_REBUILD_USEC 100000

struct logs_row {                        /* per built line */
	double time;                     /* -1: not a log line */
	uint64_t seq;                    /* the stream line's seq, 0 none */
	int finding;                     /* index in t->diag it supports, -1 none */
	int cause;                       /* that finding's cause (enum gw_cause), -1 none */
	int cited;                       /* the finding's evidence quotes this line */
};

/* An evidence line of t->diag that quotes a log line (for the links). */
struct logs_quote {
	int finding;
	const char *text;
	size_t len;
};

static struct {
	const struct logstream *ls;      /* t->logs (the controller's), during a build or a key */
	struct tui *t;
	sd_event_source *later;          /* coalesces rebuilds */
	double last_mark;
	int min_level;                   /* 0 all, GW_LV_WARN, GW_LV_ERROR */
	int only_src;                    /* -1 all sources, else one */
	int hide_access;
	GW_VEC(struct logs_row) rows;
	struct logs_quote *quotes;       /* point into t->diag: valid during one build */
	size_t nquotes, quotes_cap;
	double since, since_nginx;       /* kind-only links: lines at or after these */
	int keep;                        /* after a filter change: select keep_seq again */
	uint64_t keep_seq;
	struct logs_note {
		double time;
		int ok;
		char text[GW_LINE];
	} notes[PANE_LOGS_NOTES];        /* ring, oldest at nnotes % PANE_LOGS_NOTES once full */
	unsigned nnotes;
} PL = { .only_src = -1 };

static const char *logs_level(enum gw_level lv)
{
	static const char *const n[] = { "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg" };
	return (unsigned)lv < 8 ? n[lv] : "?";
}

/* "nginx-error:/var/log/nginx/error.log" -> "nginx-error" */
static void logs_source(const char *src, char *buf, size_t size)
{
	gw_fmt(buf, size, "%s", src);
	char *c = strchr(buf, ':');
	if (c && c != buf && strncmp(buf, "journal", 7))
		*c = '\0';
}

static void logs_hms(double t, char *buf, size_t size)
{
	gw_fmt(buf, size, "--:--:--");
	if (t > 0) {
		time_t tt = (time_t)t;
		struct tm lt;
		localtime_r(&tt, &lt);
		strftime(buf, size, "%H:%M:%S", &lt);
	}
}

/* ------------------------------------------------------------ the stream */

static void logs_mark(void)
{
	if (!PL.t || PL.t->paused)
		return;
	PL.t->panes[LAYOUT_LOGS].built_width = -1;
	PL.last_mark = gw_mono();
}

static int logs_later(sd_event_source *s, uint64_t usec, void *ud)
{
	(void)s; (void)usec; (void)ud;
	logs_mark();
	return 0;
}

void pane_logs_changed(struct tui *t)
{
	PL.t = t;
	if (!PL.later && t->e) {
		sd_event_add_time_relative(t->e, &PL.later, CLOCK_MONOTONIC, LOGS_REBUILD_USEC, 10000, logs_later, NULL);
		if (PL.later)
			sd_event_source_set_enabled(PL.later, SD_EVENT_OFF);
	}
	if (gw_mono() - PL.last_mark >= LOGS_REBUILD_USEC / 1e6) {
		logs_mark();
	} else if (PL.later) {
		sd_event_source_set_time_relative(PL.later, LOGS_REBUILD_USEC);
		sd_event_source_set_enabled(PL.later, SD_EVENT_ONESHOT);
	}
}

void pane_logs_free(void)
{
	PL.later = sd_event_source_disable_unref(PL.later);
	PL.ls = NULL;
	PL.t = NULL;
	gw_vec_free(&PL.rows);
	free(PL.quotes);
	PL.quotes = NULL;
	PL.nquotes = PL.quotes_cap = 0;
}

/* One row per built line, in step with L. */
static void logs_row(double time, uint64_t seq, int finding, int cause, int cited)
{
	*gw_vec_push(&PL.rows) = (struct logs_row){ time, seq, finding, cause, cited };
}

/* ------------------------------------------------------------ links to findings */

/* Collect the evidence lines that quote a log line: diag_event_evidence
 * writes "SOURCE (HH:MM:SS): LINE" (LINE cut at 400 bytes). */
static void logs_links_prepare(struct tui *t)
{
	const struct gw_diagnosis *d = &t->diag;
	const struct gw_snapshot *s = tui_snap(t);
	PL.nquotes = 0;
	for (size_t fi = 0; s && fi < d->findings.n; fi++) {
		const struct gw_finding *f = &d->findings.v[fi];
		if (f->severity < GW_SEV_WARN)
			continue;
		for (int i = 0; i < f->nevidence && i < GW_MAX_EVIDENCE; i++) {
			const char *q = strstr(f->evidence[i], "): ");
			if (!q || !q[3])
				continue;
			if (PL.nquotes == PL.quotes_cap) {
				PL.quotes_cap = PL.quotes_cap ? 2 * PL.quotes_cap : 16;
				PL.quotes = gw_xrealloc(PL.quotes, PL.quotes_cap * sizeof *PL.quotes);
			}
			PL.quotes[PL.nquotes++] = (struct logs_quote){ (int)fi, q + 3, strlen(q + 3) };
		}
	}
	/* "current" is diagnose's window: since, and for nginx's lines also
	 * after its last reload (older ones describe the old config) */
	PL.since = d->since;
	PL.since_nginx = d->since_nginx;
}

/* The current finding a classified line supports: the one whose evidence
 * quotes it, else the first (verdict first) of a cause its kind is
 * evidence for, if the line is current. -1 none; *cited: quoted. */
static int logs_link(const struct tui *t, int kind, double time, const char *text, size_t len, int *cited)
{
	const struct gw_diagnosis *d = &t->diag;
	*cited = 0;
	if (kind == GW_LOG_OTHER || kind >= GW_LOG_KIND_MAX)
		return -1;
	for (size_t i = 0; i < PL.nquotes; i++) {
		const struct logs_quote *q = &PL.quotes[i];
		/* the whole line, or the first 200+ bytes of a long one */
		if (q->len <= len && (q->len == len || q->len >= 200) && !memcmp(q->text, text, q->len)) {
			*cited = 1;
			return q->finding;
		}
	}
	int nginx = kind >= GW_LOG_CONNECT_REFUSED && kind <= GW_LOG_NGINX_EMERG;
	if (time > 0 && time < (nginx ? PL.since_nginx : PL.since))
		return -1;                       /* history, not the current fault */
	for (size_t fi = 0; fi < d->findings.n; fi++)
		if (d->findings.v[fi].severity >= GW_SEV_WARN &&
		    gw_cause_supported_by(d->findings.v[fi].cause, (enum gw_log_kind)kind))
			return (int)fi;
	return -1;
}

/* "» upstream_down " in place of the plain mark of a classified line. */
static void logs_put_link(struct ui_lines *L, int role, int finding, const struct tui *t)
{
	ui_puts(L, UI_BOLD, theme_ascii() ? ">> " : "\xc2\xbb ");
	ui_puts(L, UI_BOLD, gw_cause_id(t->diag.findings.v[finding].cause));
	ui_puts(L, role, " ");
}

/* ------------------------------------------------------------ gwtop's notes */

void pane_logs_note(struct tui *t, int ok, const char *msg)
{
	struct logs_note *n = &PL.notes[PL.nnotes++ % PANE_LOGS_NOTES];
	n->time = gw_now();
	n->ok = ok;
	GW_COPY(n->text, msg);
	t->panes[LAYOUT_LOGS].built_width = -1;   /* even while paused: the user just acted */
}

static size_t logs_nnotes(void)
{
	return PL.nnotes < PANE_LOGS_NOTES ? PL.nnotes : PANE_LOGS_NOTES;
}

/* i-th kept note, oldest first */
static const struct logs_note *logs_note_at(size_t i)
{
	size_t first = PL.nnotes < PANE_LOGS_NOTES ? 0 : PL.nnotes % PANE_LOGS_NOTES;
	return &PL.notes[(first + i) % PANE_LOGS_NOTES];
}

static void logs_put_note(struct ui_lines *L, const struct logs_note *n, const char *pat, int width)
{
	char tm[16];
	if (pat && pat[0] && !strcasestr(n->text, pat) && !strcasestr("gwtop", pat))
		return;
	if (PL.min_level && (n->ok ? GW_LV_NOTICE : GW_LV_ERROR) < PL.min_level)
		return;
	if (PL.only_src >= 0)
		return;
	size_t before = L->lines.n;
	int role = n->ok ? UI_OK : UI_FAIL;
	logs_hms(n->time, tm, sizeof tm);
	ui_line_new(L);
	ui_puts(L, UI_DIM, tm);
	ui_puts(L, UI_NORMAL, " ");
	ui_cell(L, UI_BOLD, "gwtop", 8, 12, 0);
	ui_puts(L, UI_NORMAL, " ");
	ui_cell(L, role, n->ok ? "notice" : "error", 8, 6, 0);
	ui_puts(L, UI_NORMAL, " ");
	ui_wrap(L, role, n->text, sizeof n->text, width, 9);
	for (size_t i = before; i < L->lines.n; i++)
		logs_row(i == before ? n->time : -1, 0, -1, -1, 0);
}

/* ------------------------------------------------------------ build */

static int logs_wanted(const struct logstream_line *l, const char *pat)
{
	const struct logstream_source *s = logstream_source(PL.ls, l->src);
	if (PL.only_src >= 0 && l->src != PL.only_src)
		return 0;
	if (s && s->hidden)
		return 0;
	if (l->flags & LOGSTREAM_F_OWN)      /* gwtop's own request through nginx: not traffic */
		return 0;
	if (PL.hide_access && ((l->flags & LOGSTREAM_F_ACCESS) || (s && s->type == LOGSTREAM_NGINX_ACCESS)))
		return 0;
	if (PL.min_level && l->level < PL.min_level && !(l->flags & LOGSTREAM_F_MARK))
		return 0;
	/* the pane's '/' filter is applied again at draw; here only to keep
	 * LOGS_MAX_BUILD lines that can match (the link's cause is shown too) */
	if (pat && pat[0] && !strcasestr(l->text, pat) && !(s && strcasestr(s->tag, pat))) {
		int cited, fi = l->kind != GW_LOG_OTHER ? logs_link(PL.t, l->kind, l->time, l->text, l->len, &cited) : -1;
		return fi >= 0 && strcasestr(gw_cause_id(PL.t->diag.findings.v[fi].cause), pat);
	}
	return 1;
}

static void logs_header(struct ui_lines *L)
{
	const struct accesslog_stats *st = logstream_access(PL.ls);
	double now = gw_now(), start;
	struct accesslog_minute m1, m2, m15;
	char tm[16];
	accesslog_stats_sum(st, now, 1, &m1);                 /* this minute */
	accesslog_stats_sum(st, now, 2, &m2);                 /* and the one before */
	accesslog_stats_sum(st, now, 15, &m15);
	ui_line_new(L);
	if (st->lines) {
		ui_putf(L, m1.n5xx ? UI_FAIL : UI_DIM, "5xx this min %u (502 %u, 504 %u)", m1.n5xx, m1.n502, m1.n504);
		ui_putf(L, m2.n5xx > m1.n5xx ? UI_WARN : UI_DIM, " last min %u", m2.n5xx - m1.n5xx);
		ui_putf(L, UI_DIM, " 15m %u/%u", m15.n5xx, m15.total);
	} else {
		ui_puts(L, UI_DIM, "no access log");
	}
	if (logstream_incident(PL.ls, now, 300, &start)) {
		logs_hms(start, tm, sizeof tm);
		ui_putf(L, UI_WARN, " %s incident since %s (i)", theme_glyphs()->warn, tm);
	}
	const struct logstream_source *only = PL.only_src >= 0 ? logstream_source(PL.ls, (size_t)PL.only_src) : NULL;
	ui_putf(L, UI_DIM, " | src %s", only ? only->tag : "all");
	ui_putf(L, UI_DIM, " sev %s", PL.min_level ? logs_level((enum gw_level)PL.min_level) : "all");
	if (PL.hide_access)
		ui_puts(L, UI_DIM, " acc hidden");
	if (PL.t && PL.t->paused)
		ui_puts(L, UI_WARN, " PAUSED");
	logs_row(-1, 0, -1, -1, 0);
}

static void logs_build_stream(struct tui *t, struct ui_lines *L, int width)
{
	struct pane *p = &t->panes[LAYOUT_LOGS];
	size_t n = logstream_count(PL.ls), first = n, kept = 0;
	logs_header(L);
	while (first > 0 && kept < LOGS_MAX_BUILD)
		if (logs_wanted(logstream_get(PL.ls, --first), p->filter))
			kept++;
	size_t ni = 0, nn = logs_nnotes();
	for (size_t i = first; i < n; i++) {
		const struct logstream_line *l = logstream_get(PL.ls, i);
		const struct logstream_source *s = logstream_source(PL.ls, l->src);
		char tm[16];
		while (ni < nn && logs_note_at(ni)->time < l->time)   /* notes merged by time */
			logs_put_note(L, logs_note_at(ni++), p->filter, width);
		if (!logs_wanted(l, p->filter))
			continue;
		logs_hms(l->time, tm, sizeof tm);
		int role = (l->flags & LOGSTREAM_F_MARK) ? UI_DIM : theme_role_level((enum gw_level)l->level);
		ui_line_new(L);
		ui_puts(L, UI_DIM, tm);
		ui_puts(L, UI_NORMAL, " ");
		ui_cell(L, UI_DIM, s ? s->tag : "?", GW_NAME, 12, 0);
		ui_puts(L, UI_NORMAL, " ");
		ui_cell(L, role, logs_level((enum gw_level)l->level), 8, 6, 0);
		ui_puts(L, UI_NORMAL, " ");
		int cited = 0, fi = logs_link(t, l->kind, l->time, l->text, l->len, &cited);
		if (fi >= 0) {
			logs_put_link(L, role, fi, t);
		} else if (l->kind != GW_LOG_OTHER) {
			ui_puts(L, role, theme_glyphs()->mark);
			ui_puts(L, role, " ");
		}
		ui_put(L, role, l->text, l->len < LOGS_TEXT_SHOWN ? l->len : LOGS_TEXT_SHOWN);
		logs_row(l->time, l->seq, fi, fi >= 0 ? (int)t->diag.findings.v[fi].cause : -1, cited);
	}
	if (!n) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, "no log lines yet");
		logs_row(-1, 0, -1, -1, 0);
	}
	while (ni < nn)
		logs_put_note(L, logs_note_at(ni++), p->filter, width);
	size_t bad = 0;
	for (size_t i = 0; i < logstream_nsources(PL.ls); i++) {
		const struct logstream_source *s = logstream_source(PL.ls, i);
		if (s->ok || !s->error[0])
			continue;
		bad++;
		ui_line_new(L);
		ui_putf(L, UI_WARN, "%s %s %s: %s", theme_glyphs()->warn, s->tag, s->name, s->error);
		logs_row(-1, 0, -1, -1, 0);
	}
	gw_fmt(p->count, sizeof p->count, "%zu lines, %zu sources%s", n, logstream_nsources(PL.ls),
	    bad ? ", some unreadable" : "");
}

/* No stream: the snapshot's classified events (as before the stream). */
static void logs_build_events(struct tui *t, struct ui_lines *L, const struct gw_snapshot *s, int width)
{
	ui_line_new(L);
	ui_puts(L, UI_DIM, "classified events of the last probe pass");
	logs_row(-1, 0, -1, -1, 0);
	for (size_t i = 0; i < s->events.n; i++) {
		const struct gw_log_event *e = &s->events.v[i];
		char tm[16], src[GW_NAME];
		logs_hms(e->time, tm, sizeof tm);
		int role = theme_role_level(e->level);
		ui_line_new(L);
		ui_puts(L, UI_DIM, tm);
		ui_puts(L, UI_NORMAL, " ");
		logs_source(e->source, src, sizeof src);
		ui_cell(L, UI_DIM, src, sizeof src, 12, 0);
		ui_puts(L, UI_NORMAL, " ");
		ui_cell(L, role, logs_level(e->level), 8, 6, 0);
		ui_puts(L, UI_NORMAL, " ");
		int cited = 0, fi = logs_link(t, e->kind, e->time, e->line, strnlen(e->line, sizeof e->line), &cited);
		if (fi >= 0)
			logs_put_link(L, role, fi, t);
		ui_put(L, role, e->line, sizeof e->line);
		logs_row(e->time, 0, fi, fi >= 0 ? (int)t->diag.findings.v[fi].cause : -1, cited);
	}
	if (!s->events.n) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, "no classified log events");
		logs_row(-1, 0, -1, -1, 0);
	}
	for (size_t i = 0; i < logs_nnotes(); i++)
		logs_put_note(L, logs_note_at(i), t->panes[LAYOUT_LOGS].filter, width);
	for (size_t i = 0; i < s->log_sources.n; i++) {
		const struct gw_log_source *ls = &s->log_sources.v[i];
		if (ls->readable)
			continue;
		ui_line_new(L);
		ui_putf(L, UI_WARN, "%s cannot read %s: %s", theme_glyphs()->warn, ls->path, ls->error);
		logs_row(-1, 0, -1, -1, 0);
	}
	gw_fmt(t->panes[LAYOUT_LOGS].count, sizeof t->panes[LAYOUT_LOGS].count,
	    "%zu events, %zu sources", s->events.n, s->log_sources.n);
}

/* After a filter change: the line that was selected, selected again
 * among the lines now shown (the context around a match). */
static void logs_reselect(struct tui *t, struct ui_lines *L)
{
	struct pane *p = &t->panes[LAYOUT_LOGS];
	size_t li = 1;
	int vi = 0;
	PL.keep = 0;
	while (li < PL.rows.n && li < L->lines.n && PL.rows.v[li].seq != PL.keep_seq)
		vi += ui_line_matches(&L->lines.v[li++], p->filter);
	if (li >= PL.rows.n || li >= L->lines.n || !ui_line_matches(&L->lines.v[li], p->filter))
		return;
	int rows = p->r.h - 2;
	p->sel = vi;
	p->top = vi - (rows > 2 ? rows / 2 : 0);   /* clamped when drawn */
	if (p->top < 0)
		p->top = 0;
	p->at_bottom = 0;
}

static void logs_build(struct tui *t, struct ui_lines *L, int width)
{
	const struct gw_snapshot *s = tui_snap(t);
	const char *pat = t->panes[LAYOUT_LOGS].filter;
	PL.ls = t->logs;
	gw_vec_clear(&PL.rows);
	logs_links_prepare(t);
	if (PL.ls) {
		logs_build_stream(t, L, width);
	} else if (!s) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, "probing...");
		logs_row(-1, 0, -1, -1, 0);
	} else {
		logs_build_events(t, L, s, width);
	}
	PL.nquotes = 0;                          /* they point into t->diag */
	for (size_t i = 1; pat[0] && i < L->lines.n; i++)   /* line 0: the header */
		ui_line_highlight(&L->lines.v[i], pat, UI_SEL);
	if (PL.keep)
		logs_reselect(t, L);
}

void pane_logs_keep_selection(struct tui *t)
{
	const struct pane *p = &t->panes[LAYOUT_LOGS];
	PL.keep = 0;
	if (p->sel < 0 || (size_t)p->sel >= p->vis.n || (size_t)p->vis.v[p->sel] >= PL.rows.n)
		return;
	PL.keep_seq = PL.rows.v[p->vis.v[p->sel]].seq;
	PL.keep = PL.keep_seq != 0;
}

/* ------------------------------------------------------------ keys */

static void logs_rebuild(struct tui *t)
{
	t->panes[LAYOUT_LOGS].built_width = -1;
}

static void logs_jump_incident(struct tui *t)
{
	struct pane *p = &t->panes[LAYOUT_LOGS];
	double start;
	/* diagnose's window (none before the first pass) */
	if (!PL.ls || !logstream_incident(PL.ls, gw_now(), t->diag.window, &start)) {
		tui_set_status(t, "no current incident: no recent 5xx burst or error lines");
		return;
	}
	char tm[16];
	logs_hms(start, tm, sizeof tm);
	/* the first built line at or after the start, then its place among the shown ones */
	size_t li = 0;
	while (li < PL.rows.n && (PL.rows.v[li].time < 0 || PL.rows.v[li].time < start))
		li++;
	int vi = -1;
	for (size_t k = 0; k < p->vis.n; k++)
		if ((size_t)p->vis.v[k] >= li) {
			vi = (int)k;
			break;
		}
	if (li >= PL.rows.n || vi < 0) {
		tui_set_status(t, "incident since %s: its first lines are filtered out or no longer kept", tm);
		return;
	}
	p->sel = vi;
	tui_scroll(t, LAYOUT_LOGS, vi - p->top);
	p->at_bottom = 0;
	p->dirty = 1;
	tui_set_status(t, "incident since %s: its first error (f or End: follow again)", tm);
}

int pane_logs_jump_time(struct tui *t, double when)
{
	struct pane *p = &t->panes[LAYOUT_LOGS];
	size_t li = 0;
	while (li < PL.rows.n && (PL.rows.v[li].time < 0 || PL.rows.v[li].time < when))
		li++;
	int vi = -1;
	for (size_t k = 0; k < p->vis.n && vi < 0; k++)
		if ((size_t)p->vis.v[k] >= li) vi = (int)k;
	if (li >= PL.rows.n || vi < 0) return -1;
	char tm[16];
	logs_hms(PL.rows.v[li].time, tm, sizeof tm);
	p->sel = vi;
	tui_scroll(t, LAYOUT_LOGS, vi - p->top);
	p->at_bottom = 0;
	p->dirty = 1;
	tui_set_status(t, "logs at %s (f or End: follow again)", tm);
	return 0;
}

/* Enter: from the selected line (else the lowest linked line shown) to
 * the finding it supports, focused and selected in the findings pane. */
static void logs_jump_finding(struct tui *t)
{
	struct pane *p = &t->panes[LAYOUT_LOGS];
	int li = -1, rows = p->r.h - 2;
	if (p->sel >= 0 && (size_t)p->sel < p->vis.n) {
		li = p->vis.v[p->sel];
	} else {
		for (int vi = p->top + rows - 1; vi >= p->top && li < 0; vi--)
			if (vi >= 0 && (size_t)vi < p->vis.n && (size_t)p->vis.v[vi] < PL.rows.n &&
			    PL.rows.v[p->vis.v[vi]].finding >= 0)
				li = p->vis.v[vi];
	}
	if (li < 0 || (size_t)li >= PL.rows.n) {
		tui_set_status(t, "no line marked with a finding in view (n/N or i select a line)");
		return;
	}
	const struct logs_row *r = &PL.rows.v[li];
	const struct gw_diagnosis *d = &t->diag;
	if (r->finding < 0) {
		tui_set_status(t, "this line supports no current finding");
		return;
	}
	/* a probe pass may have replaced the diagnosis since the build */
	const struct gw_finding *f = NULL;
	if ((size_t)r->finding < d->findings.n && (int)d->findings.v[r->finding].cause == r->cause)
		f = &d->findings.v[r->finding];
	for (size_t i = 0; !f && i < d->findings.n; i++)
		if ((int)d->findings.v[i].cause == r->cause)
			f = &d->findings.v[i];
	if (!f) {
		tui_set_status(t, "%s is no longer a finding", gw_cause_id((enum gw_cause)r->cause));
		return;
	}
	pane_findings_select(t, f);
	if ((t->zoom && t->zoom != LAYOUT_FINDINGS + 1) || !layout_visible(&t->lay, LAYOUT_FINDINGS)) {
		t->zoom = LAYOUT_FINDINGS + 1;
		t->layout_dirty = 1;
	}
	t->focus = LAYOUT_FINDINGS;
	tui_mark_all(t);
	tui_set_status(t, "finding %s: %s", gw_cause_id(f->cause),
	    r->cited ? "its evidence quotes this log line" : "a current line of the kind it cites");
}

void pane_logs_key(struct tui *t, int key)
{
	struct pane *p = &t->panes[LAYOUT_LOGS];
	PL.ls = t->logs;
	switch (key) {
	case 'a':
		PL.hide_access = !PL.hide_access;
		tui_set_status(t, "logs: access-log lines %s", PL.hide_access ? "hidden" : "shown");
		break;
	case 'v':
		PL.min_level = PL.min_level == 0 ? GW_LV_WARN : PL.min_level == GW_LV_WARN ? GW_LV_ERROR : 0;
		tui_set_status(t, "logs: %s", PL.min_level == 0 ? "every severity" :
		    PL.min_level == GW_LV_WARN ? "warn and worse" : "error and worse");
		break;
	case 'o': {
		size_t n = PL.ls ? logstream_nsources(PL.ls) : 0;
		PL.only_src = PL.only_src + 1 >= (int)n ? -1 : PL.only_src + 1;
		const struct logstream_source *src = PL.only_src >= 0 ? logstream_source(PL.ls, (size_t)PL.only_src) : NULL;
		tui_set_status(t, "logs: %s", src ? src->name : "every source");
		break;
	}
	case 'L': {     /* the selected process's container / unit alone */
		char name[GW_NAME + 16];
		if (tui_act_selected_source(t, name, sizeof name) < 0) {
			tui_set_status(t, "logs: select a process of a container or unit in the processes pane first");
			return;
		}
		int k = tui_logs_follow(t, name);     /* the controller follows it */
		if (k < 0) {
			tui_set_status(t, "logs: no log stream for %s", name);
			return;
		}
		PL.only_src = k;
		tui_set_status(t, "logs: %s alone (o: every source)", name);
		break;
	}
	case 'i':
		logs_jump_incident(t);
		return;
	case '\r':
		logs_jump_finding(t);
		return;
	case 'f':
		p->at_bottom = !p->at_bottom;
		p->sel = -1;
		if (p->at_bottom)
			tui_scroll(t, LAYOUT_LOGS, INT_MAX);
		tui_set_status(t, "logs: %s", p->at_bottom ? "following new lines" : "staying here");
		p->dirty = 1;
		return;
	default:
		return;
	}
	p->sel = -1;
	logs_rebuild(t);
}

const struct pane_class pane_logs_class = {
	.title = "Logs",
	.filterable = 1,
	.follow_tail = 1,
	.header_line = 1,
	.build = logs_build,
};
