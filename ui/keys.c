/* keys.c — every key of the dashboard in ONE table (key, name, help text,
 * changes-the-system flag, action), the '/' filter prompt and the mouse.
 * The help overlay is generated from this table. The keys that change the
 * system (changes_system = 1: r, s, R) go through a y/N dialog
 * (tui_act.c) and are refused here, before anything runs, under
 * --read-only. In the processes pane Up/Down move a selection: `r` / `s`
 * act on the selected process's unit. */
#include "ui.h"

#include <limits.h>
#include <string.h>

#include "pane_logs.h"
#include "pane_timeline.h"

#define CTRL(c) ((c) & 0x1f)

static struct pane *keys_focused(struct tui *t)
{
	return &t->panes[t->focus];
}

static void k_help(struct tui *t, int key)
{
	(void)key;
	tui_overlay_open(t, OV_HELP);
}

static void k_focus(struct tui *t, int key)
{
	int dir = key == KEY_BTAB ? -1 : 1;
	for (int i = 0; i < LAYOUT_NPANES; i++) {
		int f = (t->focus + dir * (i + 1) + 2 * LAYOUT_NPANES) % LAYOUT_NPANES;
		if (layout_visible(&t->lay, f)) {
			t->focus = f;
			break;
		}
	}
	tui_mark_all(t);
}

/* Processes pane: move the selection (what r / s act on), keep it shown. */
static void keys_select(struct tui *t, int key, int page)
{
	struct pane *p = &t->panes[LAYOUT_PROCS];
	int n = (int)p->vis.n, rows = p->r.h - 2;
	if (!n)
		return;
	int sel = p->sel < 0 ? p->top - 1 : p->sel;
	switch (key) {
	case KEY_UP: case 'k': sel = p->sel < 0 ? p->top : sel - 1; break;
	case KEY_DOWN: case 'j': sel++; break;
	case KEY_PPAGE: sel -= page; break;
	case KEY_NPAGE: sel += page; break;
	case KEY_HOME: case 'g': sel = 0; break;
	case KEY_END: case 'G': sel = n - 1; break;
	}
	if (sel < 0)
		sel = 0;
	if (sel >= n)
		sel = n - 1;
	p->sel = sel;
	if (rows < 1)
		rows = 1;
	if (sel < p->top)
		tui_scroll(t, LAYOUT_PROCS, sel - p->top);
	else if (sel >= p->top + rows)
		tui_scroll(t, LAYOUT_PROCS, sel - (p->top + rows) + 1);
	p->dirty = 1;
	const char *u = procs_unit_at(t, p->vis.v[sel]);
	if (u[0])
		tui_set_status(t, "selected unit %s (r restarts, s starts it)", u);
}

static void k_scroll(struct tui *t, int key)
{
	struct pane *p = keys_focused(t);
	int page = p->r.h > 3 ? p->r.h - 2 : 1;
	if (t->focus == LAYOUT_PROCS) {
		keys_select(t, key, page);
		return;
	}
	switch (key) {
	case KEY_UP: case 'k': tui_scroll(t, t->focus, -1); break;
	case KEY_DOWN: case 'j': tui_scroll(t, t->focus, 1); break;
	case KEY_PPAGE: tui_scroll(t, t->focus, -page); break;
	case KEY_NPAGE: tui_scroll(t, t->focus, page); break;
	case KEY_HOME: case 'g': tui_scroll(t, t->focus, INT_MIN); break;
	case KEY_END: case 'G': tui_scroll(t, t->focus, INT_MAX); break;
	}
}

static void k_zoom(struct tui *t, int key)
{
	int z = key - '0';
	t->zoom = t->zoom == z ? 0 : z;
	if (t->zoom)
		t->focus = z - 1;
	t->layout_dirty = 1;
}

/* The pane '/' and n/N act on: the focused one if it filters, else logs. */
static int keys_filter_pane(struct tui *t)
{
	if (t->panes[t->focus].cls->filterable)
		return t->focus;
	return LAYOUT_LOGS;
}

static void k_filter(struct tui *t, int key)
{
	(void)key;
	t->prompting = 1;
	t->prompt[0] = '\0';                         /* Enter on empty clears */
	t->ftr_dirty = 1;
}

static void k_match(struct tui *t, int key)
{
	int pi = keys_filter_pane(t);
	struct pane *p = &t->panes[pi];
	int n = (int)p->vis.n;
	if (!p->filter[0]) {
		tui_set_status(t, "no filter: press / first");
		return;
	}
	if (!n) {
		tui_set_status(t, "no line matches \"%s\"", p->filter);
		return;
	}
	if (p->sel < 0)
		p->sel = key == 'n' ? 0 : n - 1;
	else
		p->sel = (p->sel + (key == 'n' ? 1 : -1) + n) % n;
	int rows = p->r.h - 1 - (p->cls->header_line ? 1 : 0);
	if (p->sel < p->top || p->sel >= p->top + rows)
		tui_scroll(t, pi, p->sel - p->top - (rows > 2 ? rows / 2 : 0));
	p->at_bottom = 0;
	p->dirty = 1;
	const char *u = pi == LAYOUT_PROCS ? procs_unit_at(t, p->vis.v[p->sel]) : "";
	tui_set_status(t, "match %d of %d for \"%s\"%s%s%s", p->sel + 1, n, p->filter,
	    u[0] ? " (selected unit " : "", u, u[0] ? ": r restarts it)" : "");
}

static void k_replay(struct tui *t, int key)
{
	tui_replay_key(t, key);
}

static void k_pause(struct tui *t, int key)
{
	if (t->player) {
		tui_replay_key(t, key);
		return;
	}
	t->paused = !t->paused;
	t->hdr_dirty = 1;
	tui_set_status(t, t->paused ? "updates paused (space resumes, c probes once)" : "updates resumed");
}

static void k_probe(struct tui *t, int key)
{
	(void)key;
	tui_probe_now(t);
}

static void k_act(struct tui *t, int key)
{
	tui_act_key(t, key);
}

static void k_report(struct tui *t, int key)
{
	(void)key;
	tui_act_report(t);
}

static void k_tour(struct tui *t, int key)
{
	(void)key;
	t->tour_step = 0;
	tui_overlay_open(t, OV_TOUR);
}

static void k_quit(struct tui *t, int key)
{
	(void)key;
	t->quit = 1;
	sd_event_exit(t->e, 0);
}

static void k_logs(struct tui *t, int key)
{
	pane_logs_key(t, key);
}

/* The timeline's keys; Enter there jumps the logs, elsewhere it is the logs' Enter. */
static void k_timeline(struct tui *t, int key)
{
	if (key == '\r' && t->focus != LAYOUT_TIMELINE) {
		pane_logs_key(t, key);
		return;
	}
	if ((key == KEY_LEFT || key == KEY_RIGHT || key == '\r') && !layout_visible(&t->lay, LAYOUT_TIMELINE)) {
		tui_set_status(t, "the timeline is not shown: press 6");
		return;
	}
	pane_timeline_key(t, key);
}

static void k_redraw(struct tui *t, int key)
{
	(void)key;
	clearok(curscr, TRUE);
	t->layout_dirty = 1;
}

const struct ui_key ui_keys[] = {
	{ '?', "?", "help: this list of keys", 0, k_help },
	{ KEY_F(1), "F1", "help", 0, k_help },
	{ '\t', "Tab", "focus the next pane", 0, k_focus },
	{ KEY_BTAB, "S-Tab", "focus the previous pane", 0, k_focus },
	{ KEY_UP, "Up", "scroll the focused pane up", 0, k_scroll },
	{ KEY_DOWN, "Down", "scroll the focused pane down", 0, k_scroll },
	{ KEY_PPAGE, "PgUp", "scroll one page up", 0, k_scroll },
	{ KEY_NPAGE, "PgDn", "scroll one page down", 0, k_scroll },
	{ KEY_HOME, "Home", "go to the top", 0, k_scroll },
	{ KEY_END, "End", "go to the bottom (logs: follow new lines)", 0, k_scroll },
	{ '1', "1", "zoom the request path pane (again: restore)", 0, k_zoom },
	{ '2', "2", "zoom the findings pane", 0, k_zoom },
	{ '3', "3", "zoom the processes pane", 0, k_zoom },
	{ '4', "4", "zoom the listeners pane", 0, k_zoom },
	{ '5', "5", "zoom the logs pane", 0, k_zoom },
	{ '/', "/", "filter (any case), matches highlighted; empty: clear", 0, k_filter },
	{ 'n', "n", "next filter match (selected, kept in view)", 0, k_match },
	{ 'N', "N", "previous filter match", 0, k_match },
	{ ' ', "Space", "pause / resume updates", 0, k_pause },
	{ 'c', "c", "probe now", 0, k_probe },
	{ 't', "t", "run `nginx -t` now and show its output", 0, k_act },
	{ 'T', "T", "tour: walk the request path hop by hop", 0, k_tour },
	{ 'e', "e", "incident report: a Markdown file for the ticket (its path shows below)", 0, k_report },
	{ CTRL('l'), "^L", "redraw the screen", 0, k_redraw },
	{ 'q', "q", "quit", 0, k_quit },
	{ KEY_F(10), "F10", "quit", 0, k_quit },
	{ 'r', "r", "restart the selected process's unit, else the app's unit (asks y/N)", 1, k_act },
	{ 's', "s", "start the selected / app unit when it is stopped (asks y/N)", 1, k_act },
	{ 'R', "R", "reload nginx: nginx -t first, refused when it fails (asks y/N)", 1, k_act },
	{ 'f', "f", "logs: follow new lines / stay here", 0, k_logs },
	{ 'i', "i", "logs: jump to the first error of the current incident", 0, k_logs },
	{ 'v', "v", "logs: severity filter (all, warn+, error+)", 0, k_logs },
	{ 'o', "o", "logs: show one source (cycles) / all", 0, k_logs },
	{ 'L', "L", "logs: only the selected process's container / unit", 0, k_logs },
	{ 'a', "a", "logs: show / hide access-log lines", 0, k_logs },
	{ '\r', "Enter", "logs: go to the finding a marked line supports (selected, else lowest shown); timeline: the logs at the cursor", 0, k_timeline },
	{ '6', "6", "zoom the timeline pane (requests per minute, events, upstreams)", 0, k_zoom },
	{ KEY_LEFT, "Left", "timeline: cursor a minute back (3 h span: 5 min)", 0, k_timeline },
	{ KEY_RIGHT, "Right", "timeline: cursor a minute on (at the end: follows now)", 0, k_timeline },
	{ 'z', "z", "timeline: span 5 min / 30 min / 3 h", 0, k_timeline },
	{ '.', ".", "replay: the next frame (pauses)", 0, k_replay },
	{ '+', "+", "replay: twice as fast (up to 64x)", 0, k_replay },
	{ '-', "-", "replay: half as fast (down to 1/4x)", 0, k_replay },
	{ '>', ">", "replay: on to the next change of the verdict (pauses)", 0, k_replay },
};
const size_t ui_nkeys = sizeof ui_keys / sizeof *ui_keys;

static void keys_prompt(struct tui *t, int key)
{
	size_t len = strlen(t->prompt);
	t->ftr_dirty = 1;
	if (key == 27) {                              /* Esc: cancel */
		t->prompting = 0;
		return;
	}
	if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		int pi = keys_filter_pane(t);
		struct pane *p = &t->panes[pi];
		t->prompting = 0;
		if (pi == LAYOUT_LOGS)
			pane_logs_keep_selection(t);
		GW_COPY(p->filter, t->prompt);
		p->sel = -1;
		p->top = 0;
		p->at_bottom = 1;
		p->dirty = 1;
		p->built_width = -1;                 /* logs: build the lines the new filter can show */
		if (p->filter[0])
			tui_set_status(t, "%s: filter \"%s\" (n/N: matches, / + Enter on empty: clear)",
			    p->cls->title, p->filter);
		else
			tui_set_status(t, "%s: filter cleared", p->cls->title);
		return;
	}
	if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		if (len)
			t->prompt[len - 1] = '\0';
		return;
	}
	if (key >= 0x20 && key < 0x7f && len + 1 < sizeof t->prompt) {
		t->prompt[len] = (char)key;
		t->prompt[len + 1] = '\0';
	}
}

static void keys_mouse(struct tui *t)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return;
	int pi = layout_pane_at(&t->lay, ev.x, ev.y);
	if (pi < 0)
		return;
	if (ev.bstate & BUTTON4_PRESSED) {
		tui_scroll(t, pi, -3);
	} else if (ev.bstate & BUTTON5_PRESSED) {
		tui_scroll(t, pi, 3);
	} else if (ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_RELEASED)) {
		if (t->focus != pi) {
			t->focus = pi;
			tui_mark_all(t);
		}
	}
}

void keys_handle(struct tui *t, int key)
{
	if (key == KEY_RESIZE) {
		t->layout_dirty = 1;
		return;
	}
	if (key == KEY_F(10)) {
		k_quit(t, key);
		return;
	}
	if (t->confirming) {                          /* modal: y confirms, anything else cancels */
		tui_act_confirm_key(t, key);
		return;
	}
	if (t->prompting) {
		keys_prompt(t, key);
		return;
	}
	if (t->ov != OV_NONE) {
		if (key == CTRL('l'))
			k_redraw(t, key);
		else
			overlay_key(t, key);
		return;
	}
	if (key == KEY_MOUSE) {
		keys_mouse(t);
		return;
	}
	if (t->lay.too_small && key != 'q' && key != CTRL('l'))
		return;
	if (key == '\n' || key == KEY_ENTER)         /* one Enter in the table */
		key = '\r';
	for (size_t i = 0; i < ui_nkeys; i++)
		if (ui_keys[i].key == key) {
			if (ui_keys[i].changes_system && t->player) {
				tui_set_status(t, "`%s` refused: a replay runs nothing on this host (the recording is read-only)",
				    ui_keys[i].name);
				return;
			}
			if (ui_keys[i].changes_system && t->o->read_only) {
				tui_set_status(t, "`%s` refused: gwtop runs with --read-only (no restarts, no reloads)",
				    ui_keys[i].name);
				return;
			}
			ui_keys[i].fn(t, key);
			return;
		}
	if (key == 'j' || key == 'k' || key == 'g' || key == 'G')
		k_scroll(t, key);
}
