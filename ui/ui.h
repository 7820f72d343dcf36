/* ui.h — internals shared by the dashboard's files: the line builder every
 * pane fills (outside text is sanitized on the way in), the theme, the
 * pane table, the overlays and the key table. Only ui/ includes this. */
#ifndef GW_UI_H
#define GW_UI_H

#include <curses.h>
#include <systemd/sd-event.h>

#include "layout.h"
#include "model.h"
#include "options.h"

/* ------------------------------------------------------------ theme (theme.c) */

enum ui_role {
	UI_NORMAL = 0,
	UI_OK, UI_WARN, UI_FAIL, UI_UNKNOWN,   /* hop / severity states */
	UI_DIM, UI_BOLD,
	UI_TITLE, UI_TITLE_FOCUS,              /* pane title bars */
	UI_HEADER,                             /* header background */
	UI_KEY, UI_KEYLABEL,                   /* footer key hints */
	UI_SEL,                                /* selected / matched line */
	UI_FIRST,                              /* the first broken hop */
	UI_NROLES
};

/* Markers next to every colour: colour is never the only signal. */
struct ui_glyphs {
	const char *ok, *fail, *warn, *unknown;
	const char *arrow, *vline, *tee, *elbow, *first, *mark, *ellipsis, *dot;
};

/* Decide colour / ASCII mode and set up colour pairs (after initscr).
 * no_color: --no-color or NO_COLOR set. */
void theme_init(int no_color);
int theme_ascii(void);                  /* locale is not UTF-8 */
int theme_color(void);
attr_t theme_attr(int role);
const struct ui_glyphs *theme_glyphs(void);
int theme_role_hop(enum gw_hop_status s);
int theme_role_sev(enum gw_severity s);
int theme_role_level(enum gw_level lv);
const char *theme_marker_hop(enum gw_hop_status s);
const char *theme_marker_sev(enum gw_severity s);

/* ------------------------------------------------------------ lines (text.c) */

#define UI_MAXSEG 24

struct ui_seg {
	int role;
	size_t off, len;                 /* bytes in the line's text */
};

/* One display line: sanitized text cut into coloured segments. */
struct ui_line {
	char *text;                      /* owned, NUL-terminated, already safe */
	size_t len, cap;
	int nseg;
	struct ui_seg seg[UI_MAXSEG];
	int role;                        /* whole-line emphasis (UI_NORMAL none) */
};

struct ui_lines {
	GW_VEC(struct ui_line) lines;
};

void ui_text_init(int ascii);
void ui_lines_clear(struct ui_lines *L);
void ui_lines_free(struct ui_lines *L);
/* Start a new line; the ui_put* calls append to the last line. */
struct ui_line *ui_line_new(struct ui_lines *L);
/* Append outside (or any) text, at most max bytes of raw, sanitized. */
void ui_put(struct ui_lines *L, int role, const char *raw, size_t max);
void ui_puts(struct ui_lines *L, int role, const char *raw);
/* Format, then sanitize the result: arguments may be outside strings. */
void ui_putf(struct ui_lines *L, int role, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Append raw cut or padded to exactly cols display columns. */
void ui_cell(struct ui_lines *L, int role, const char *raw, size_t max, int cols, int right);
/* Pad the current line with spaces up to display column col. */
void ui_pad_to(struct ui_lines *L, int col);
/* Append raw, wrapping at width columns; continuation lines start with
 * indent spaces and keep role. */
void ui_wrap(struct ui_lines *L, int role, const char *raw, size_t max, int width, int indent);
/* Display columns of the current (last) line. */
int ui_line_width(const struct ui_line *ln);
/* Bytes of s (safe text) that fit in cols columns; *used gets the columns. */
size_t ui_fit(const char *s, size_t len, int cols, int *used);
/* Draw ln at (y, x) in at most cols columns; extra is OR'ed into every
 * segment; the rest of the row is cleared with the line's role. */
void ui_draw_line(WINDOW *w, int y, int x, int cols, const struct ui_line *ln, attr_t extra);
/* Same text and colours (to skip redrawing an unchanged pane). */
int ui_lines_equal(const struct ui_lines *a, const struct ui_lines *b);
/* Case-insensitive substring test on the line's text. */
int ui_line_matches(const struct ui_line *ln, const char *pat);
/* Sanitize raw into dst for direct use (header, overlays). */
void ui_safe(char *dst, size_t size, const char *raw, size_t max);

/* ------------------------------------------------------------ panes */

struct tui;

struct pane_class {
	const char *title;
	int filterable;                  /* '/' applies here */
	int follow_tail;                 /* stick to the bottom (logs) */
	int header_line;                 /* line 0 is a column header: never scrolls or filters */
	void (*build)(struct tui *t, struct ui_lines *L, int width);
};

extern const struct pane_class pane_path_class, pane_findings_class,
	pane_procs_class, pane_listeners_class, pane_logs_class, pane_timeline_class;

struct pane {
	const struct pane_class *cls;
	WINDOW *win;
	struct layout_rect r;
	struct ui_lines lines;
	int built_width;                 /* -1: rebuild (redraw if changed), -2: rebuild + redraw */
	int dirty;
	int top;                         /* first shown line (of the filtered list) */
	int at_bottom;                   /* follow_tail panes: user is at the end */
	int sel;                         /* n/N match cursor, -1 none */
	char filter[64];
	char count[48];                  /* title suffix set by build ("12 events") */
	GW_VEC(int) vis;                 /* indices of lines passing the filter */
	void *state;                     /* the pane's own state (ui_pane_state), owned */
	void (*state_free)(void *state);
};

/* The state of pane pi: made zeroed (size bytes) on first use, freed with
 * the dashboard by free_fn (NULL: free()). */
void *ui_pane_state(struct tui *t, int pi, size_t size, void (*free_fn)(void *state));

/* ------------------------------------------------------------ overlays */

enum ui_overlay { OV_NONE = 0, OV_HELP, OV_PAGER, OV_TOUR };

/* ------------------------------------------------------------ the dashboard */

struct gather;
struct logstream;
struct tlfeed;

struct tui {
	sd_event *e;
	const struct gw_options *o;
	struct gather *g;

	struct gw_snapshot snap[2];      /* displayed one and the one being filled */
	int shown;                       /* index of the displayed snapshot */
	int have;                        /* snap[shown] holds a finished pass */
	int running;                     /* a pass fills snap[!shown] */
	struct gw_diagnosis diag;        /* of snap[shown] */
	double pass_started;             /* gw_mono() of the running pass */
	int passes;

	int paused, quit;
	struct layout lay;
	int cols, rows;
	int zoom, focus;
	WINDOW *hdr, *ftr, *input, *ovw;
	struct pane panes[LAYOUT_NPANES];

	enum ui_overlay ov;
	struct ui_lines ov_lines;
	int ov_top;
	int tour_step;

	int prompting;                   /* '/' prompt active in the footer */
	char prompt[64];

	char status[GW_TEXT];            /* transient message in the footer */
	double status_until;

	int hdr_dirty, ftr_dirty, ov_dirty, layout_dirty, full_redraw;
	char last_age[32];               /* header age text last drawn */

	sd_event_source *timer, *tick, *io, *sig_winch, *sig_int, *sig_term, *sig_hup;
	int probe_again;                 /* start another pass when the running one ends */
	/* events that start a pass at once (debounced): a new upstream error
	 * line or 5xx, a watched process's exit */
	sd_event_source *soon, *procev, *procev_rearm;
	unsigned event_passes;           /* passes started by an event (tests, bench) */

	/* actions (tui_act.c): the y/N dialog, the job in flight, the follow-up */
	struct actions *act;             /* owned; read-only with --read-only */
	int confirming;                  /* the y/N dialog is up */
	int confirm_kind;                /* enum actions_kind */
	char confirm_unit[GW_NAME];
	char confirm_text[GW_TEXT];
	WINDOW *cfw;
	char job[GW_TEXT];               /* footer text while a job runs ("" none) */
	double job_started;              /* gw_mono() */
	char follow_unit[GW_NAME];       /* after restart/start: does the app answer? */
	int follow_passes;
	/* the last `t` (nginx -t) run by the actions module, for the pager */
	int ntest_state;                 /* 0 none, 1 running, 2 done */
	int ntest_ok;
	double ntest_when;               /* gw_now() */
	char ntest_msg[GW_LINE];

	/* the live log stream (tui_logs.c): owned here, rendered by the logs pane */
	struct logstream *logs;
	/* the timeline (probes/tlfeed.c owns it; snapshots point at it) and
	 * its pane's axis: span index (5 / 30 / 180 min), cursor minute (0 = now) */
	struct tlfeed *tlf;
	int tl_span;
	long tl_cursor;

	/* --record: the recorder (src/record.h), fed after every pass */
	struct recorder *rec;
	int rec_failed_said;
	/* --replay (tui_replay.c): the player instead of the probes; the
	 * recording's clock (rp_vt), its speed, the end reached */
	struct player *player;
	sd_event_source *rp_timer;
	double rp_vt, rp_speed;
	int rp_ended;
};

/* tui.c */
void tui_mark_all(struct tui *t);
void tui_probe_now(struct tui *t);
void tui_set_status(struct tui *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, shown for secs seconds (action outcomes stay longer). */
void tui_set_status_for(struct tui *t, double secs, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Start a pass without a status message; if one is running, start another
 * when it ends (its facts may predate an action). */
void tui_probe_soon(struct tui *t);
/* Something failed just now (a new upstream error line, a 5xx, a watched
 * process exited): a pass TUI_EVENT_DEBOUNCE_MS from now, at most one per
 * that interval, whatever --interval is. */
#define TUI_EVENT_DEBOUNCE_MS 100
void tui_probe_event(struct tui *t);
const struct gw_snapshot *tui_snap(const struct tui *t);      /* NULL before the first pass */
const struct gw_finding *tui_verdict(const struct tui *t);
void tui_scroll(struct tui *t, int pane, int delta);           /* INT_MIN/INT_MAX: home/end */
void tui_overlay_open(struct tui *t, enum ui_overlay ov);
void tui_overlay_close(struct tui *t);

/* tui_logs.c: the controller owns the live log stream (probes/logstream.c) */
void tui_logs_start(struct tui *t);               /* with the loop: create, sync the options' sources */
void tui_logs_pass_done(struct tui *t);           /* a pass is shown: take the sources it found */
void tui_logs_backstop(struct tui *t);            /* from the probe timer */
/* 'L': the stream's source "container:NAME" / "unit:NAME", followed now if
 * it was not; its index, -1 none. */
int tui_logs_follow(struct tui *t, const char *name);
void tui_logs_free(struct tui *t);

/* tui.c: a filled snapshot (snap[!shown]) diagnosed at `now` and shown */
void tui_show_filled(struct tui *t, double now);

/* tui_replay.c: --replay */
int tui_replay_open(struct tui *t, char *err, size_t n);   /* before the screen: 0 or -1 with err */
int tui_replay_start(struct tui *t);                        /* with the loop */
void tui_replay_key(struct tui *t, int key);                /* Space . + - > */
void tui_replay_free(struct tui *t);

/* keys.c */
struct ui_key {
	int key;
	const char *name;                /* as shown in help ("F1", "Tab") */
	const char *help;
	int changes_system;              /* 1: the action changes the system (confirm, --read-only) */
	void (*fn)(struct tui *t, int key);
};
extern const struct ui_key ui_keys[];
extern const size_t ui_nkeys;
void keys_handle(struct tui *t, int key);

/* tui_act.c: the keys that change the system (r, s, R) and `t`, the
 * modal y/N dialog, the job in the footer, outcomes in the status line and
 * the logs pane. */
void tui_act_init(struct tui *t);                 /* after gather_new */
void tui_act_free(struct tui *t);
void tui_act_key(struct tui *t, int key);         /* r s R t from the key table */
void tui_act_confirm_key(struct tui *t, int key); /* any key while confirming */
void tui_act_draw(struct tui *t);                 /* the dialog, above everything */
void tui_act_pass_done(struct tui *t);            /* follow-up after restart/start */
/* The footer's job text ("restarting gunicorn.service... 2 s"), "" none. */
void tui_act_footer(const struct tui *t, char *buf, size_t size);
/* `e`: the incident report (src/incident.h) of the shown pass, with the
 * actions taken in this session, written to /var/tmp; the path (or why
 * not) on the status line and in the logs pane. */
void tui_act_report(struct tui *t);
/* "container:NAME" / "unit:NAME" of the selected process; -1 none */
int tui_act_selected_source(struct tui *t, char *buf, size_t size);

/* pane_procs.c: the unit of the process on pane line li ("" none). */
const char *procs_unit_at(const struct tui *t, int li);

/* overlay.c: help, nginx -t pager, tour */
void overlay_build(struct tui *t, int width);
void overlay_key(struct tui *t, int key);
void overlay_draw(struct tui *t);

/* pane_path.c: shared with the tour */
/* Diagnose's judgment of target i of the shown snapshot (not probed when
 * the diagnosis has none), and its reason in words. */
const struct gw_target_state *path_target_judged(const struct tui *t, size_t i);
void path_target_reason(const struct gw_target *t, const struct gw_target_state *ts, char *buf, size_t size);
const struct gw_proc *path_target_server(const struct gw_snapshot *s, const struct gw_target *t);

#endif
