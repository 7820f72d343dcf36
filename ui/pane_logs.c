/* pane_logs.c — the live merged log stream (src/logstream.c): nginx error
 * and access logs, app log files, the app's and nginx's journal, kernel
 * messages, oldest first, newest at the bottom: time, source, level, the
 * line; coloured by severity, classified lines marked. Line 0 is a header:
 * 5xx per minute (502 / 504 apart), the incident's start, the filters.
 *
 * The stream is created on the pane's first build on the dashboard's loop
 * and fed the sources each probe pass discovered; new lines rebuild the
 * pane at most every LOGS_REBUILD_USEC. While updates are paused (space)
 * the pane stays as it is. Without a stream (no loop) the snapshot's
 * classified events are shown instead.
 *
 * gwtop's own notes (actions and their outcomes, pane_logs_note) are kept
 * here in a small ring and merged into the view by time, source "gwtop";
 * long ones wrap so nginx's message is readable in full. */
#include "ui.h"
#include "pane_logs.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logstream.h"

#define LOGS_MAX_BUILD 2000          /* newest lines built into the pane */
#define LOGS_TEXT_SHOWN 1024         /* bytes of a line put on the screen */
#define LOGS_REBUILD_USEC 100000

static struct {
	struct logstream *ls;
	struct tui *t;
	sd_event_source *later;          /* coalesces rebuilds */
	double last_mark;
	int synced_pass;
	int min_level;                   /* 0 all, GW_LV_WARN, GW_LV_ERROR */
	int only_src;                    /* -1 all sources, else one */
	int hide_access;
	GW_VEC(double) times;            /* time of each built line (-1: not a log line) */
	struct logs_note {
		double time;
		int ok;
		char text[GW_LINE];
	} notes[PANE_LOGS_NOTES];        /* ring, oldest at nnotes % PANE_LOGS_NOTES once full */
	unsigned nnotes;
} PL = { .only_src = -1, .synced_pass = -1 };

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

static void logs_notify(void *ud)
{
	(void)ud;
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
	logstream_free(PL.ls);
	PL.ls = NULL;
	PL.t = NULL;
	gw_vec_free(&PL.times);
}

struct logstream *pane_logs_stream(void)
{
	return PL.ls;
}

static void logs_ensure(struct tui *t)
{
	if (PL.ls || !t->e)
		return;
	struct logstream_config lc = { .window = t->o->since };   /* --since widens the start-up window */
	PL.ls = logstream_new(t->e, &lc);
	PL.t = t;
	logstream_set_notify(PL.ls, logs_notify, NULL);
	sd_event_add_time_relative(t->e, &PL.later, CLOCK_MONOTONIC, LOGS_REBUILD_USEC, 10000, logs_later, NULL);
	if (PL.later)
		sd_event_source_set_enabled(PL.later, SD_EVENT_OFF);
	atexit(pane_logs_free);
	/* --error-log / --access-log / --app-log / --unit are known now: the
	 * first screen need not wait for the first probe pass */
	logstream_sync(PL.ls, NULL, t->o);
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
		*gw_vec_push(&PL.times) = i == before ? n->time : -1;
}

/* ------------------------------------------------------------ build */

static int logs_wanted(const struct logstream_line *l, const char *pat)
{
	const struct logstream_source *s = logstream_source(PL.ls, l->src);
	if (PL.only_src >= 0 && l->src != PL.only_src)
		return 0;
	if (s && s->hidden)
		return 0;
	if (PL.hide_access && ((l->flags & LOGSTREAM_F_ACCESS) || (s && s->type == LOGSTREAM_NGINX_ACCESS)))
		return 0;
	if (PL.min_level && l->level < PL.min_level && !(l->flags & LOGSTREAM_F_MARK))
		return 0;
	/* the pane's '/' filter is applied again at draw; here only to keep
	 * LOGS_MAX_BUILD lines that can match */
	if (pat && pat[0] && !strcasestr(l->text, pat) && !(s && strcasestr(s->tag, pat)))
		return 0;
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
	*gw_vec_push(&PL.times) = -1;
}

static void logs_build_stream(struct tui *t, struct ui_lines *L, int width)
{
	struct pane *p = &t->panes[LAYOUT_LOGS];
	size_t n = logstream_count(PL.ls), first = n, kept = 0;
	gw_vec_clear(&PL.times);
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
		if (l->kind != GW_LOG_OTHER) {
			ui_puts(L, role, theme_glyphs()->mark);
			ui_puts(L, role, " ");
		}
		ui_put(L, role, l->text, l->len < LOGS_TEXT_SHOWN ? l->len : LOGS_TEXT_SHOWN);
		*gw_vec_push(&PL.times) = l->time;
	}
	if (!n) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, "no log lines yet");
		*gw_vec_push(&PL.times) = -1;
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
		*gw_vec_push(&PL.times) = -1;
	}
	gw_fmt(p->count, sizeof p->count, "%zu lines, %zu sources%s", n, logstream_nsources(PL.ls),
	    bad ? ", some unreadable" : "");
}

/* No stream: the snapshot's classified events (as before the stream). */
static void logs_build_events(struct tui *t, struct ui_lines *L, const struct gw_snapshot *s, int width)
{
	ui_line_new(L);
	ui_puts(L, UI_DIM, "classified events of the last probe pass");
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
		ui_put(L, role, e->line, sizeof e->line);
	}
	if (!s->events.n) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, "no classified log events");
	}
	gw_vec_clear(&PL.times);               /* notes push their times: unused here */
	for (size_t i = 0; i < logs_nnotes(); i++)
		logs_put_note(L, logs_note_at(i), t->panes[LAYOUT_LOGS].filter, width);
	for (size_t i = 0; i < s->log_sources.n; i++) {
		const struct gw_log_source *ls = &s->log_sources.v[i];
		if (ls->readable)
			continue;
		ui_line_new(L);
		ui_putf(L, UI_WARN, "%s cannot read %s: %s", theme_glyphs()->warn, ls->path, ls->error);
	}
	gw_fmt(t->panes[LAYOUT_LOGS].count, sizeof t->panes[LAYOUT_LOGS].count,
	    "%zu events, %zu sources", s->events.n, s->log_sources.n);
}

static void logs_build(struct tui *t, struct ui_lines *L, int width)
{
	const struct gw_snapshot *s = tui_snap(t);
	logs_ensure(t);
	if (PL.ls && s && t->passes != PL.synced_pass) {
		PL.synced_pass = t->passes;
		logstream_sync(PL.ls, s, t->o);
	}
	if (PL.ls) {
		logs_build_stream(t, L, width);
		return;
	}
	if (!s) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, "probing...");
		return;
	}
	logs_build_events(t, L, s, width);
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
	double recent = t->o && t->o->recent_window > 0 ? t->o->recent_window : 300;
	if (!PL.ls || !logstream_incident(PL.ls, gw_now(), recent, &start)) {
		tui_set_status(t, "no current incident: no recent 5xx burst or error lines");
		return;
	}
	char tm[16];
	logs_hms(start, tm, sizeof tm);
	/* the first built line at or after the start, then its place among the shown ones */
	size_t li = 0;
	while (li < PL.times.n && (PL.times.v[li] < 0 || PL.times.v[li] < start))
		li++;
	int vi = -1;
	for (size_t k = 0; k < p->vis.n; k++)
		if ((size_t)p->vis.v[k] >= li) {
			vi = (int)k;
			break;
		}
	if (li >= PL.times.n || vi < 0) {
		tui_set_status(t, "incident since %s: its first lines are filtered out or no longer kept", tm);
		return;
	}
	p->sel = vi;
	tui_scroll(t, LAYOUT_LOGS, vi - p->top);
	p->at_bottom = 0;
	p->dirty = 1;
	tui_set_status(t, "incident since %s: its first error (f or End: follow again)", tm);
}

void pane_logs_key(struct tui *t, int key)
{
	struct pane *p = &t->panes[LAYOUT_LOGS];
	switch (key) {
	case 'a':
		PL.hide_access = !PL.hide_access;
		tui_set_status(t, "logs: access-log lines %s", PL.hide_access ? "hidden" : "shown");
		break;
	case 'e':
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
	case 'i':
		logs_jump_incident(t);
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
