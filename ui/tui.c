/* tui.c — the dashboard's life: terminal set-up, the sd-event sources
 * (stdin, the probe timer, a 1 s tick for the age text, SIGWINCH, SIGINT,
 * SIGTERM), the two snapshots (shown / being filled, swapped when a pass is
 * done), and coalesced drawing: events only set dirty flags; the loop
 * draws after each dispatch (per-pane windows, wnoutrefresh, one
 * doupdate). An idle screen redraws nothing but the header's age text. */
#include "tui.h"
#include "ui.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "diagnose.h"
#include "gather.h"
#include "record.h"
#include "report.h"
#include "tlfeed.h"

static const struct pane_class *const tui_classes[LAYOUT_NPANES] = {
	&pane_path_class, &pane_findings_class, &pane_procs_class,
	&pane_listeners_class, &pane_logs_class, &pane_timeline_class,
};

/* ------------------------------------------------------------ state helpers */

const struct gw_snapshot *tui_snap(const struct tui *t)
{
	return t->have ? &t->snap[t->shown] : NULL;
}

void *ui_pane_state(struct tui *t, int pi, size_t size, void (*free_fn)(void *state))
{
	struct pane *p = &t->panes[pi];
	if (!p->state) {
		p->state = gw_xcalloc(1, size);
		p->state_free = free_fn;
	}
	return p->state;
}

/* Same choice as the --check text: the verdict, else the first warn/crit. */
const struct gw_finding *tui_verdict(const struct tui *t)
{
	return t->have ? report_verdict(&t->diag) : NULL;
}

void tui_mark_all(struct tui *t)
{
	for (int i = 0; i < LAYOUT_NPANES; i++)
		t->panes[i].dirty = 1;
	t->hdr_dirty = t->ftr_dirty = t->ov_dirty = 1;
}

/* Rebuild every pane's lines at the next draw. force: also redraw panes
 * whose content did not change (new windows); else only changed panes are
 * redrawn. */
static void tui_rebuild_all(struct tui *t, int force)
{
	for (int i = 0; i < LAYOUT_NPANES; i++)
		t->panes[i].built_width = force ? -2 : -1;
	if (force)
		tui_mark_all(t);
	else
		t->hdr_dirty = 1;
}

void tui_set_status(struct tui *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->status, sizeof t->status, fmt, ap);
	va_end(ap);
	t->status_until = gw_mono() + 4;
	t->ftr_dirty = 1;
}

void tui_set_status_for(struct tui *t, double secs, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->status, sizeof t->status, fmt, ap);
	va_end(ap);
	t->status_until = gw_mono() + secs;
	t->ftr_dirty = 1;
}

static int pane_rows(const struct pane *p)
{
	int rows = p->r.h - 1 - (p->cls->header_line ? 1 : 0);
	return rows < 0 ? 0 : rows;
}

void tui_scroll(struct tui *t, int pi, int delta)
{
	struct pane *p = &t->panes[pi];
	int maxtop = (int)p->vis.n - pane_rows(p);
	if (maxtop < 0)
		maxtop = 0;
	if (delta == INT_MIN)
		p->top = 0;
	else if (delta == INT_MAX)
		p->top = maxtop;
	else
		p->top += delta;
	if (p->top > maxtop)
		p->top = maxtop;
	if (p->top < 0)
		p->top = 0;
	p->at_bottom = p->top >= maxtop;
	p->dirty = 1;
}

void tui_overlay_open(struct tui *t, enum ui_overlay ov)
{
	t->ov = ov;
	t->ov_top = 0;
	if (t->ovw) {
		delwin(t->ovw);
		t->ovw = NULL;
	}
	t->ov_dirty = 1;
}

void tui_overlay_close(struct tui *t)
{
	t->ov = OV_NONE;
	if (t->ovw) {
		delwin(t->ovw);
		t->ovw = NULL;
	}
	tui_mark_all(t);
}

/* ------------------------------------------------------------ probing */

static void tui_start_pass(struct tui *t);
static int tui_loop(struct tui *t);

static void tui_pass_done(void *ud)
{
	struct tui *t = ud;
	double now = gw_now();
	tlfeed_pass(t->tlf, &t->snap[!t->shown]);   /* the timeline: events, new access-log lines */
	tui_show_filled(t, now);
	if (t->rec) {
		char why[GW_TEXT];
		recorder_frame(t->rec, tui_snap(t), &t->diag, now);
		if (!t->rec_failed_said && recorder_failed(t->rec, why, sizeof why)) {
			t->rec_failed_said = 1;
			tui_set_status_for(t, 10, "%s", why);
		}
	}
	if (t->probe_again) {
		t->probe_again = 0;
		tui_start_pass(t);
	}
}

void tui_show_filled(struct tui *t, double now)
{
	int fill = !t->shown;
	double window = t->o->recent_window > 0 ? t->o->recent_window : 300;
	if (t->player && player_window(t->player) > 0)
		window = player_window(t->player);   /* as it was diagnosed when recorded */
	struct gw_diag_config cfg = { .now = now, .recent_window = window };

	diagnosis_free(&t->diag);
	memset(&t->diag, 0, sizeof t->diag);
	diagnose(&t->snap[fill], &cfg, &t->diag);
	if (t->have)
		snapshot_free(&t->snap[t->shown]);   /* leaves it snapshot_init'ed */
	t->shown = fill;
	t->have = 1;
	t->running = 0;
	t->passes++;
	tui_rebuild_all(t, 0);
	tui_logs_pass_done(t);
	/* the header now says "0 s ago": the age tick comes 1.25 s after the
	 * last pass, so at --interval 1 the next pass redraws the header
	 * before the age would (one header redraw a second instead of two) */
	if (t->tick) {
		sd_event_source_set_time_relative(t->tick, 1250000);
		sd_event_source_set_enabled(t->tick, SD_EVENT_ONESHOT);
	}
	if (t->ov == OV_PAGER || t->ov == OV_TOUR) {
		if (t->ovw) {
			delwin(t->ovw);
			t->ovw = NULL;       /* rebuilt with the new facts at draw */
		}
	}
	tui_act_pass_done(t);
}

static void tui_start_pass(struct tui *t)
{
	int fill = !t->shown;
	if (t->player || t->running || gather_busy(t->g))
		return;                      /* a replay probes nothing */
	snapshot_init(&t->snap[fill]);
	t->running = 1;
	t->pass_started = gw_mono();
	/* no header redraw for "probing": a pass is usually in within
	 * milliseconds; one that takes longer shows it at the next 1 s tick */
	if (gather_start(t->g, &t->snap[fill], tui_snap(t), tui_pass_done, t) < 0) {
		t->running = 0;
		snapshot_free(&t->snap[fill]);
	}
}

void tui_probe_now(struct tui *t)
{
	if (t->player) {
		tui_set_status(t, "a replay probes nothing (Space pauses, . steps)");
		return;
	}
	if (t->running) {
		tui_set_status(t, "a probe pass is already running");
		return;
	}
	tui_set_status(t, "probing now");
	gather_force_http(t->g);
	tui_start_pass(t);
}

void tui_probe_soon(struct tui *t)
{
	if (t->player)
		return;
	gather_force_http(t->g);     /* asked for: fresh HTTP results, not the heartbeat's */
	if (t->running)
		t->probe_again = 1;
	else
		tui_start_pass(t);
}

static int tui_on_soon(sd_event_source *src, uint64_t usec, void *ud)
{
	(void)src;
	(void)usec;
	struct tui *t = ud;
	if (t->paused)
		return 0;
	t->event_passes++;
	tui_probe_soon(t);
	return 0;
}

void tui_probe_event(struct tui *t)
{
	int on = SD_EVENT_OFF;
	if (!t->soon || t->paused)
		return;
	if (sd_event_source_get_enabled(t->soon, &on) >= 0 && on != SD_EVENT_OFF)
		return;                      /* one is due already: events coalesce */
	sd_event_source_set_time_relative(t->soon, TUI_EVENT_DEBOUNCE_MS * 1000);
	sd_event_source_set_enabled(t->soon, SD_EVENT_ONESHOT);
}

/* The process connector: a watched process exited. The source sleeps
 * TUI_EVENT_DEBOUNCE_MS after each wake-up, so a fork storm costs at most
 * ten wake-ups a second (the events wait in the socket meanwhile). */
static int tui_on_procev(sd_event_source *src, int fd, uint32_t revents, void *ud)
{
	(void)fd;
	(void)revents;
	struct tui *t = ud;
	if (gather_pump(t->g))
		tui_probe_event(t);
	sd_event_source_set_enabled(src, SD_EVENT_OFF);
	if (t->procev_rearm) {
		sd_event_source_set_time_relative(t->procev_rearm, TUI_EVENT_DEBOUNCE_MS * 1000);
		sd_event_source_set_enabled(t->procev_rearm, SD_EVENT_ONESHOT);
	}
	return 0;
}

static int tui_on_procev_rearm(sd_event_source *src, uint64_t usec, void *ud)
{
	(void)src;
	(void)usec;
	struct tui *t = ud;
	if (t->procev)
		sd_event_source_set_enabled(t->procev, SD_EVENT_ON);
	return 0;
}

/* systemd reported a watched unit's state change (probes/units.c, through
 * gather_set_units_notify): probe at once rather than at the next tick. */

static void tui_units_changed(void *ud)
{
	tui_probe_soon(ud);
}

/* ------------------------------------------------------------ drawing */

static void tui_fill_row(WINDOW *w, int y, int x, int cols, attr_t a)
{
	wattrset(w, a);
	wmove(w, y, x);
	for (int i = 0; i < cols; i++)
		waddch(w, ' ');
	wattrset(w, A_NORMAL);
}

static void tui_age_text(const struct tui *t, char *buf, size_t size)
{
	const struct gw_snapshot *s = tui_snap(t);
	if (!s) {
		gw_fmt(buf, size, "first probe %.0f s", gw_mono() - t->pass_started);
		return;
	}
	double when = s->finished > 0 ? s->finished : s->taken;
	double age = gw_now() - when;
	gw_fmt(buf, size, "%.0f s ago", age < 0 ? 0 : age);
}

static void tui_draw_header(struct tui *t)
{
	WINDOW *w = t->hdr;
	const struct gw_snapshot *s = tui_snap(t);
	const struct gw_diagnosis *d = &t->diag;
	const struct ui_glyphs *g = theme_glyphs();
	const struct gw_finding *v = tui_verdict(t);
	struct ui_lines L = { 0 };
	char age[32], when[64] = "";
	int cols = t->lay.header.w;

	tui_age_text(t, age, sizeof age);
	GW_COPY(t->last_age, age);

	/* row 0: status badge + verdict (same words as --check) */
	ui_line_new(&L);
	if (!s) {
		ui_puts(&L, UI_UNKNOWN, " ? ");
		ui_puts(&L, UI_BOLD, "probing the stack...");
	} else {
		int code = report_exit_code(d);
		const char *st = code == 0 ? "OK" : code == 1 ? "WARN" : code == 2 ? "CRIT" : "UNKNOWN";
		int role = code == 0 ? UI_OK : code == 1 ? UI_WARN : code == 2 ? UI_FAIL : UI_UNKNOWN;
		const char *mk = code == 0 ? g->ok : code == 1 ? g->warn : code == 2 ? g->fail : g->unknown;
		ui_putf(&L, role, " %s %s ", mk, st);
		if (d->unknown) {
			ui_puts(&L, UI_NORMAL, " ");
			ui_put(&L, UI_NORMAL, d->unknown_reason, sizeof d->unknown_reason);
		} else if (v) {
			ui_puts(&L, UI_NORMAL, " ");
			ui_puts(&L, UI_BOLD, gw_cause_id(v->cause));
			ui_putf(&L, UI_NORMAL, " (%s): ", gw_hop_id(v->hop));
			ui_put(&L, UI_NORMAL, v->summary, sizeof v->summary);
		} else {
			ui_puts(&L, UI_BOLD, " healthy");
			ui_puts(&L, UI_NORMAL, ": every hop answered");
		}
	}
	/* row 1: host, time of the last probe and its age, state */
	ui_line_new(&L);
	if (s && (s->finished > 0 || s->taken > 0))
		gw_time_str(s->finished > 0 ? s->finished : s->taken, when, sizeof when);
	ui_putf(&L, UI_HEADER, " gwtop %s host ", g->dot);
	ui_put(&L, UI_HEADER, s && s->hostname[0] ? s->hostname : "?", 64);
	if (when[0])
		ui_putf(&L, UI_HEADER, " %s probed %s (%s)", g->dot, when, age);
	else
		ui_putf(&L, UI_HEADER, " %s %s", g->dot, age);
	if (t->player)
		ui_putf(&L, UI_HEADER, " %s REPLAY %gx%s", g->dot, t->rp_speed, t->rp_ended ? " (end)" : "");
	else
		ui_putf(&L, UI_HEADER, " %s every %g s", g->dot, t->o->interval > 0 ? t->o->interval : 2.0);
	if (t->rec)
		ui_putf(&L, UI_HEADER, " %s REC", g->dot);
	if (t->running && s)
		ui_putf(&L, UI_HEADER, " %s probing", g->dot);
	if (t->paused)
		ui_putf(&L, UI_HEADER, " %s PAUSED", g->dot);
	if (s && !s->is_root)
		ui_putf(&L, UI_HEADER, " %s not root: some facts hidden", g->dot);

	werase(w);
	if (t->lay.header.h >= 2) {
		ui_draw_line(w, 0, 0, cols, &L.lines.v[0], 0);
		tui_fill_row(w, 1, 0, cols, theme_attr(UI_HEADER));
		ui_draw_line(w, 1, 0, cols, &L.lines.v[1], 0);
	} else {
		/* one row: badge + verdict, age at the right */
		int aw = (int)strlen(age) + 2;
		ui_draw_line(w, 0, 0, cols - aw > 10 ? cols - aw : cols, &L.lines.v[0], 0);
		if (cols - aw > 10)
			mvwaddstr(w, 0, cols - aw + 1, age);
	}
	wnoutrefresh(w);
	ui_lines_free(&L);
	t->hdr_dirty = 0;
}

static void tui_draw_footer(struct tui *t)
{
	WINDOW *w = t->ftr;
	int cols = t->lay.footer.w;
	struct ui_lines L = { 0 };
	char job[GW_TEXT];
	ui_line_new(&L);
	if (t->o->read_only)
		ui_puts(&L, UI_WARN, "read-only ");
	tui_act_footer(t, job, sizeof job);
	if (job[0] && !t->prompting) {
		ui_puts(&L, UI_WARN, job);
		ui_puts(&L, UI_NORMAL, " | ");
	}
	if (t->prompting) {
		const struct pane *p = &t->panes[t->panes[t->focus].cls->filterable ? t->focus : LAYOUT_LOGS];
		ui_putf(&L, UI_BOLD, "Filter %s: ", p->cls->title);
		ui_puts(&L, UI_NORMAL, t->prompt);
		ui_puts(&L, UI_SEL, " ");
		ui_puts(&L, UI_DIM, "   Enter apply  Esc cancel");
	} else if (t->status[0] && gw_mono() < t->status_until) {
		ui_puts(&L, UI_BOLD, t->status);
	} else {
		static const char *const hints[][2] = {
			{ "F1", "Help" }, { "Tab", "Focus" }, { "1-6", "Zoom" }, { "/", "Filter" },
			{ "Spc", "Pause" }, { "c", "Probe" }, { "t", "nginx-t" }, { "T", "Tour" },
			{ "r", "Restart" }, { "R", "Reload" }, { "q", "Quit" },
		};
		for (size_t i = 0; i < sizeof hints / sizeof *hints; i++) {
			if (t->o->read_only && (!strcmp(hints[i][0], "r") || !strcmp(hints[i][0], "R")))
				continue;
			ui_puts(&L, UI_KEY, hints[i][0]);
			ui_puts(&L, UI_KEYLABEL, hints[i][1]);
			ui_puts(&L, UI_NORMAL, " ");
		}
	}
	werase(w);
	ui_draw_line(w, 0, 0, cols, &L.lines.v[0], 0);
	wnoutrefresh(w);
	ui_lines_free(&L);
	t->ftr_dirty = 0;
}

static void tui_draw_pane(struct tui *t, int pi)
{
	struct pane *p = &t->panes[pi];
	WINDOW *w = p->win;
	int sep = p->r.x > 0 ? 1 : 0;
	int cw = p->r.w - sep;
	int rows = pane_rows(p);
	size_t first = p->cls->header_line ? 1 : 0;

	gw_vec_clear(&p->vis);
	for (size_t i = first; i < p->lines.lines.n; i++)
		if (ui_line_matches(&p->lines.lines.v[i], p->filter))
			*gw_vec_push(&p->vis) = (int)i;
	int n = (int)p->vis.n, maxtop = n - rows > 0 ? n - rows : 0;
	if (p->cls->follow_tail && p->at_bottom)
		p->top = maxtop;
	if (p->top > maxtop)
		p->top = maxtop;
	if (p->top < 0)
		p->top = 0;
	if (p->sel >= n)
		p->sel = -1;

	werase(w);
	if (sep) {
		const char *vl = theme_glyphs()->vline;
		wattrset(w, theme_attr(UI_DIM));
		for (int y = 1; y < p->r.h; y++)
			mvwaddstr(w, y, 0, vl);
		wattrset(w, A_NORMAL);
	}
	/* title bar: " 1 Request path (3 targets)   [1-5/9]" */
	struct ui_lines T = { 0 };
	char pos[48] = "";
	int focused = pi == t->focus;
	int trole = focused ? UI_TITLE_FOCUS : UI_TITLE;
	ui_line_new(&T);
	ui_putf(&T, trole, "%s%d %s", focused ? ">" : " ", pi + 1, p->cls->title);
	if (p->count[0])
		ui_putf(&T, trole, " (%s)", p->count);
	if (p->filter[0])
		ui_putf(&T, trole, " filter \"%s\"", p->filter);
	if (n > rows)
		gw_fmt(pos, sizeof pos, " %d-%d/%d ", p->top + 1, p->top + rows < n ? p->top + rows : n, n);
	tui_fill_row(w, 0, 0, p->r.w, theme_attr(trole));
	ui_draw_line(w, 0, 0, p->r.w, &T.lines.v[0], 0);
	if (pos[0] && (int)strlen(pos) < p->r.w / 2) {
		wattrset(w, theme_attr(trole));
		mvwaddstr(w, 0, p->r.w - (int)strlen(pos), pos);
		wattrset(w, A_NORMAL);
	}
	ui_lines_free(&T);

	int y = 1;
	if (first && p->lines.lines.n && y < p->r.h)
		ui_draw_line(w, y++, sep, cw, &p->lines.lines.v[0], 0);
	for (int r = 0; r < rows && y < p->r.h; r++, y++) {
		int vi = p->top + r;
		if (vi >= n)
			break;
		attr_t extra = vi == p->sel ? A_REVERSE : 0;
		ui_draw_line(w, y, sep, cw, &p->lines.lines.v[p->vis.v[vi]], extra);
	}
	wnoutrefresh(w);
	p->dirty = 0;
}

static void tui_apply_layout(struct tui *t)
{
	getmaxyx(stdscr, t->rows, t->cols);
	layout_compute(t->cols, t->rows, t->zoom, &t->lay);
	if (t->hdr) { delwin(t->hdr); t->hdr = NULL; }
	if (t->ftr) { delwin(t->ftr); t->ftr = NULL; }
	if (t->ovw) { delwin(t->ovw); t->ovw = NULL; }
	if (t->cfw) { delwin(t->cfw); t->cfw = NULL; }
	for (int i = 0; i < LAYOUT_NPANES; i++) {
		struct pane *p = &t->panes[i];
		if (p->win) { delwin(p->win); p->win = NULL; }
		p->r = t->lay.pane[i];
		if (layout_visible(&t->lay, i))
			p->win = newwin(p->r.h, p->r.w, p->r.y, p->r.x);
	}
	if (!t->lay.too_small) {
		t->hdr = newwin(t->lay.header.h, t->lay.header.w, t->lay.header.y, t->lay.header.x);
		t->ftr = newwin(1, t->lay.footer.w, t->lay.footer.y, t->lay.footer.x);
		if (!layout_visible(&t->lay, t->focus))
			for (int i = 0; i < LAYOUT_NPANES; i++)
				if (layout_visible(&t->lay, i)) {
					t->focus = i;
					break;
				}
	}
	werase(stdscr);
	wnoutrefresh(stdscr);
	t->layout_dirty = 0;
	tui_rebuild_all(t, 1);
}

static void tui_draw(struct tui *t)
{
	int drew = 0;
	if (t->layout_dirty) {
		tui_apply_layout(t);
		drew = 1;
	}
	if (t->lay.too_small) {
		werase(stdscr);
		mvwaddnstr(stdscr, t->rows / 2 - 1, 0, "terminal too small", t->cols);
		mvwaddnstr(stdscr, t->rows / 2, 0, "need 40x10, q quits", t->cols);
		wnoutrefresh(stdscr);
		doupdate();
		t->hdr_dirty = t->ftr_dirty = t->ov_dirty = 0;
		return;
	}
	for (int i = 0; i < LAYOUT_NPANES; i++) {
		struct pane *p = &t->panes[i];
		if (!p->win)
			continue;
		int cw = p->r.w - (p->r.x > 0 ? 1 : 0);
		if (p->built_width != cw) {
			/* build aside; an unchanged pane is not redrawn */
			struct ui_lines fresh = { 0 };
			char count[sizeof p->count];
			GW_COPY(count, p->count);
			p->count[0] = '\0';
			p->cls->build(t, &fresh, cw);
			if (p->built_width == -2 || !ui_lines_equal(&fresh, &p->lines) ||
			    strcmp(count, p->count)) {
				ui_lines_free(&p->lines);
				p->lines = fresh;
				p->dirty = 1;
			} else {
				ui_lines_free(&fresh);
			}
			p->built_width = cw;
		}
		if (p->dirty) {
			tui_draw_pane(t, i);
			drew = 1;
		}
	}
	if (t->hdr_dirty && t->hdr) {
		tui_draw_header(t);
		drew = 1;
	}
	if (t->ftr_dirty && t->ftr) {
		tui_draw_footer(t);
		drew = 1;
	}
	if (t->ov != OV_NONE && (t->ov_dirty || drew || !t->ovw)) {
		overlay_draw(t);
		drew = 1;
	}
	if (t->confirming && (t->ov_dirty || drew || !t->cfw)) {
		tui_act_draw(t);
		drew = 1;
	}
	t->ov_dirty = 0;
	/* This runs after every event (each curl socket event, timer, key):
	 * doupdate with nothing queued still costs syscalls (the SIGTSTP
	 * handler swap), so only when something was drawn. */
	if (drew)
		doupdate();
}

/* ------------------------------------------------------------ event sources */

static int tui_on_input(sd_event_source *src, int fd, uint32_t revents, void *ud)
{
	(void)src; (void)fd;
	struct tui *t = ud;
	int ch;
	while (!t->quit && (ch = wgetch(t->input)) != ERR)
		keys_handle(t, ch);
	if (!t->quit && (revents & (EPOLLHUP | EPOLLERR))) {
		t->quit = 1;
		sd_event_exit(t->e, 0);
	}
	return 0;
}

static uint64_t tui_interval_usec(const struct tui *t)
{
	double iv = t->o->interval > 0.05 ? t->o->interval : 2.0;
	return (uint64_t)(iv * 1e6);
}

static int tui_on_timer(sd_event_source *src, uint64_t usec, void *ud)
{
	(void)usec;
	struct tui *t = ud;
	if (!t->paused)
		tui_start_pass(t);
	tui_logs_backstop(t);
	sd_event_source_set_time_relative(src, tui_interval_usec(t));
	sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
	return 0;
}

static int tui_on_tick(sd_event_source *src, uint64_t usec, void *ud)
{
	(void)usec;
	struct tui *t = ud;
	char age[32];
	tui_age_text(t, age, sizeof age);
	if (strcmp(age, t->last_age))
		t->hdr_dirty = 1;
	if (t->status[0] && gw_mono() >= t->status_until) {
		t->status[0] = '\0';
		t->ftr_dirty = 1;
	}
	if (t->job[0])
		t->ftr_dirty = 1;            /* the job's seconds */
	sd_event_source_set_time_relative(src, 1000000);
	sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
	return 0;
}

static int tui_on_signal(sd_event_source *src, const struct signalfd_siginfo *si, void *ud)
{
	(void)src;
	struct tui *t = ud;
	if (si->ssi_signo == SIGWINCH) {
		struct winsize ws;
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
			resizeterm(ws.ws_row, ws.ws_col);
		t->layout_dirty = 1;
		return 0;
	}
	t->quit = 1;
	sd_event_exit(t->e, 0);
	return 0;
}

/* ------------------------------------------------------------ crashes */

/* On a fatal signal the terminal must not stay in curses mode: put back the
 * termios saved at start, leave the alternate screen, show the cursor (all
 * async-signal-safe), then die of the same signal. Sanitizer builds keep
 * their own reporting handlers. */
static struct termios tui_saved_tio;
static int tui_saved_tio_ok;

#if !defined(__SANITIZE_ADDRESS__)
static void tui_on_fatal(int sig)
{
	static const char reset[] = "\033[0m\033[?1000l\033[?25h\033[?1049l\r\n";
	if (tui_saved_tio_ok) tcsetattr(STDIN_FILENO, TCSANOW, &tui_saved_tio);
	if (write(STDOUT_FILENO, reset, sizeof reset - 1) < 0) { /* nothing left to try */ }
	signal(sig, SIG_DFL);
	raise(sig);
}
#endif

static void tui_fatal_handlers(void)
{
	tui_saved_tio_ok = tcgetattr(STDIN_FILENO, &tui_saved_tio) == 0;
#if !defined(__SANITIZE_ADDRESS__)
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tui_on_fatal;
	sa.sa_flags = (int)SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaction(sigs[i], &sa, NULL);
#endif
}

/* ------------------------------------------------------------ run */

static void tui_cleanup(struct tui *t)
{
	sd_event_source **srcs[] = { &t->timer, &t->tick, &t->io, &t->sig_winch,
		&t->sig_int, &t->sig_term, &t->sig_hup, &t->soon, &t->procev, &t->procev_rearm };
	for (size_t i = 0; i < sizeof srcs / sizeof *srcs; i++)
		*srcs[i] = sd_event_source_disable_unref(*srcs[i]);
	tui_act_free(t);
	tui_logs_free(t);
	tui_replay_free(t);
	recorder_close(t->rec);
	t->rec = NULL;
	if (t->g)
		gather_free(t->g);
	t->g = NULL;
	tlfeed_free(t->tlf);
	t->tlf = NULL;
	for (int i = 0; i < LAYOUT_NPANES; i++) {
		ui_lines_free(&t->panes[i].lines);
		gw_vec_free(&t->panes[i].vis);
		if (t->panes[i].state) (t->panes[i].state_free ? t->panes[i].state_free : free)(t->panes[i].state);
		t->panes[i].state = NULL;
		if (t->panes[i].win)
			delwin(t->panes[i].win);
	}
	ui_lines_free(&t->ov_lines);
	if (t->ovw) delwin(t->ovw);
	if (t->hdr) delwin(t->hdr);
	if (t->ftr) delwin(t->ftr);
	if (t->input) delwin(t->input);
	endwin();
	diagnosis_free(&t->diag);
	snapshot_free(&t->snap[0]);
	snapshot_free(&t->snap[1]);
}

int tui_run(sd_event *e, const struct gw_options *o)
{
	static struct tui tui;           /* big (two snapshots): not on the stack */
	struct tui *t = &tui;
	sigset_t ss;

	memset(t, 0, sizeof *t);
	t->e = e;
	t->o = o;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "gwtop: the dashboard needs a terminal (use --check for text output)\n");
		return 1;
	}
	setlocale(LC_ALL, "");
	sigemptyset(&ss);
	sigaddset(&ss, SIGWINCH);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	tui_fatal_handlers();

	snapshot_init(&t->snap[0]);
	snapshot_init(&t->snap[1]);
	if (o->replay) {
		char err[GW_TEXT];
		if (tui_replay_open(t, err, sizeof err) < 0) {
			fprintf(stderr, "gwtop: %s\n", err);
			return 1;
		}
		return tui_loop(t);
	}
	if (o->record) {
		char err[GW_TEXT];
		if (!(t->rec = recorder_open(o->record, (size_t)(o->record_max * 1048576), o->interval,
					     o->recent_window, err, sizeof err))) {
			fprintf(stderr, "gwtop: %s\n", err);
			return 1;
		}
	}
	t->g = gather_new(e, o);
	/* while all is well the HTTP probes run at least every 10 s, not every
	 * tick; failures seen by events (a 5xx, an error line, an exit) and
	 * listeners that come or go start a probing pass at once */
	if (t->g)
		gather_set_heartbeat(t->g, (int)(10.0 / (o->interval > 0.05 ? o->interval : 2.0)));
	if (!t->g) {
		fprintf(stderr, "gwtop: cannot set up the probes\n");
		recorder_close(t->rec);
		return 1;
	}
	t->tlf = tlfeed_new(e, o);
	if (t->rec) {
		timeline_set_tap(tlfeed_timeline(t->tlf), recorder_timeline_tap(), t->rec);
		recorder_set_timeline(t->rec, tlfeed_timeline(t->tlf));
	}
	gather_set_units_notify(t->g, tui_units_changed, t);
	return tui_loop(t);
}

/* The screen, the event sources and the loop: the live dashboard's and a
 * replay's (t->player: no probes, a replay timer instead). */
static int tui_loop(struct tui *t)
{
	sd_event *e = t->e;
	const struct gw_options *o = t->o;
	int r;

	tui_act_init(t);
	t->tl_span = 1;                  /* 30 min */

	set_escdelay(25);
	if (!initscr()) {
		if (t->g) gather_free(t->g);
		t->g = NULL;
		tui_act_free(t);
		tui_replay_free(t);
		recorder_close(t->rec);
		t->rec = NULL;
		return 1;
	}
	/* ncurses 6.4 flushes its output after every cursor movement until
	 * the screen has been through endwin() once (mvcur() treats it as a
	 * low-level terminfo caller): a doupdate that changes five places is
	 * five write(2)s, and five wake-ups of the terminal.  One endwin() +
	 * refresh() here, before anything is drawn, and a frame is one write. */
	endwin();
	refresh();
	cbreak();
	noecho();
	nonl();
	typeahead(-1);                   /* no poll of stdin inside each doupdate: keys come via the loop */
	curs_set(0);
	theme_init(o->no_color);
	ui_text_init(theme_ascii());
	t->input = newwin(1, 1, 0, 0);
	keypad(t->input, TRUE);
	nodelay(t->input, TRUE);
	wnoutrefresh(t->input);          /* never touched again: wgetch won't redraw it */
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	mouseinterval(0);

	for (int i = 0; i < LAYOUT_NPANES; i++) {
		t->panes[i].cls = tui_classes[i];
		t->panes[i].sel = -1;
		t->panes[i].at_bottom = 1;
		t->panes[i].built_width = -1;
	}
	t->focus = LAYOUT_PATH;
	t->layout_dirty = 1;

	r = sd_event_add_io(e, &t->io, STDIN_FILENO, EPOLLIN, tui_on_input, t);
	if (r >= 0)
		r = sd_event_add_signal(e, &t->sig_winch, SIGWINCH, tui_on_signal, t);
	if (r >= 0)
		r = sd_event_add_signal(e, &t->sig_int, SIGINT, tui_on_signal, t);
	if (r >= 0)
		r = sd_event_add_signal(e, &t->sig_term, SIGTERM, tui_on_signal, t);
	if (r >= 0)   /* the SSH session dropped: leave cleanly */
		r = sd_event_add_signal(e, &t->sig_hup, SIGHUP, tui_on_signal, t);
	if (r >= 0 && !t->player)
		r = sd_event_add_time_relative(e, &t->timer, CLOCK_MONOTONIC, tui_interval_usec(t),
		    10000, tui_on_timer, t);
	if (r >= 0 && t->player)
		r = tui_replay_start(t);
	if (r >= 0)
		r = sd_event_add_time_relative(e, &t->tick, CLOCK_MONOTONIC, 1000000, 50000, tui_on_tick, t);
	if (r >= 0)
		r = sd_event_add_time_relative(e, &t->soon, CLOCK_MONOTONIC, 3600000000ULL, 1000, tui_on_soon, t);
	if (r >= 0)
		sd_event_source_set_enabled(t->soon, SD_EVENT_OFF);
	if (r >= 0 && t->g && gather_event_fd(t->g) >= 0 &&
	    sd_event_add_io(e, &t->procev, gather_event_fd(t->g), EPOLLIN, tui_on_procev, t) >= 0 &&
	    sd_event_add_time_relative(e, &t->procev_rearm, CLOCK_MONOTONIC, 3600000000ULL, 1000,
				       tui_on_procev_rearm, t) >= 0)
		sd_event_source_set_enabled(t->procev_rearm, SD_EVENT_OFF);
	if (r < 0) {
		tui_cleanup(t);
		fprintf(stderr, "gwtop: event loop set-up failed: %s\n", strerror(-r));
		return 1;
	}
	/* the first frame (header, "probing the stack...", empty panes) before
	 * anything is read: the first pass and the logs' start-up backfill
	 * fill it in as they come */
	tui_draw(t);
	tui_start_pass(t);
	tui_logs_start(t);
	tui_draw(t);
	/* The loop by hand, drawing after each dispatch (sd_event_run
	 * dispatches one source per call). Not a post source: that is one more
	 * loop iteration (epoll_wait, timer re-arm) after every event. */
	while (sd_event_get_state(e) != SD_EVENT_FINISHED) {
		r = sd_event_run(e, UINT64_MAX);
		if (r < 0)
			break;
		if (!t->quit)
			tui_draw(t);
	}
	if (r >= 0 && sd_event_get_exit_code(e, &r) < 0)
		r = 0;
	tui_cleanup(t);
	if (r < 0) {
		fprintf(stderr, "gwtop: event loop: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
