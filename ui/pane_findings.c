/* pane_findings.c — the verdict first, then every other finding: summary,
 * evidence, fix and the equivalent manual command; then what the probes
 * could not see (snapshot notes). Long texts wrap to the pane width.
 * One finding can be selected (a jump from a log line in the logs pane):
 * it is found again by cause and summary at every build, since a new
 * probe pass or another width moves its lines. */
#include "ui.h"
#include "pane_findings.h"

#include <stdio.h>
#include <string.h>

void pane_findings_details(struct ui_lines *L, const struct gw_finding *f, int width, int indent)
{
	for (int i = 0; i < f->nevidence && i < GW_MAX_EVIDENCE; i++) {
		ui_line_new(L);
		ui_putf(L, UI_DIM, "%*sevidence: ", indent, "");
		ui_wrap(L, UI_NORMAL, f->evidence[i], sizeof f->evidence[i], width, indent + 10);
	}
	for (int i = 0; i < f->nfix && i < GW_MAX_FIX; i++) {
		ui_line_new(L);
		ui_putf(L, UI_OK, "%*sfix: ", indent, "");
		ui_wrap(L, UI_NORMAL, f->fix[i], sizeof f->fix[i], width, indent + 5);
	}
}

/* The finding selected from elsewhere (the logs pane's "» cause"). */
struct findings_sel {
	int active;
	int scroll;                      /* put it at the top at the next build */
	enum gw_cause cause;
	char summary[GW_TEXT];
};

static struct findings_sel *findings_sel(struct tui *t)
{
	return ui_pane_state(t, LAYOUT_FINDINGS, sizeof(struct findings_sel), NULL);
}

void pane_findings_select(struct tui *t, const struct gw_finding *f)
{
	struct findings_sel *fs = findings_sel(t);
	fs->active = f != NULL;
	fs->scroll = 1;
	if (f) {
		fs->cause = f->cause;
		GW_COPY(fs->summary, f->summary);
	} else {
		t->panes[LAYOUT_FINDINGS].sel = -1;
	}
	t->panes[LAYOUT_FINDINGS].built_width = -2;   /* redraw even if the text is the same */
}

/* The finding's first line is li: select it if it is the wanted one. */
static void findings_mark(struct tui *t, const struct gw_finding *f, size_t li, int *found)
{
	struct pane *p = &t->panes[LAYOUT_FINDINGS];
	struct findings_sel *fs = findings_sel(t);
	if (!fs->active || *found || f->cause != fs->cause || strcmp(f->summary, fs->summary))
		return;
	*found = 1;
	if (p->sel != (int)li || fs->scroll)
		p->dirty = 1;
	p->sel = (int)li;                        /* not filterable: shown index = line index */
	if (fs->scroll)
		p->top = (int)li;                /* clamped when drawn */
	fs->scroll = 0;
}

static void findings_one(struct ui_lines *L, const struct gw_finding *f, int verdict, int width)
{
	int role = theme_role_sev(f->severity);
	ui_line_new(L);
	ui_puts(L, role, theme_marker_sev(f->severity));
	ui_putf(L, verdict ? UI_BOLD : role, " %s%s", verdict ? "VERDICT " : "", gw_cause_id(f->cause));
	ui_putf(L, UI_DIM, " (%s, %s): ", gw_hop_id(f->hop), gw_severity_name(f->severity));
	ui_wrap(L, verdict ? UI_BOLD : UI_NORMAL, f->summary, sizeof f->summary, width, 2);
	pane_findings_details(L, f, width, 2);
	for (int i = 0; i < f->ncommands && i < GW_MAX_FIX; i++) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, "  $ ");
		ui_wrap(L, UI_BOLD, f->commands[i], sizeof f->commands[i], width, 4);
	}
}

static void findings_build(struct tui *t, struct ui_lines *L, int width)
{
	const struct gw_snapshot *s = tui_snap(t);
	const struct gw_diagnosis *d = &t->diag;
	if (!s) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, "probing...");
		return;
	}
	if (d->unknown) {
		ui_line_new(L);
		ui_puts(L, UI_UNKNOWN, theme_glyphs()->unknown);
		ui_puts(L, UI_BOLD, " UNKNOWN: ");
		ui_wrap(L, UI_NORMAL, d->unknown_reason, sizeof d->unknown_reason, width, 2);
	}
	const struct gw_finding *v = tui_verdict(t);
	if (!v && !d->unknown) {
		ui_line_new(L);
		ui_puts(L, UI_OK, theme_glyphs()->ok);
		ui_puts(L, UI_BOLD, " healthy: ");
		ui_puts(L, UI_NORMAL, "every hop answered");
	}
	int found = 0;
	if (v) {
		findings_mark(t, v, L->lines.n, &found);
		findings_one(L, v, 1, width);
	}
	size_t n = 0;
	for (size_t i = 0; i < d->findings.n; i++) {
		const struct gw_finding *f = &d->findings.v[i];
		if (f == v)
			continue;
		findings_mark(t, f, L->lines.n, &found);
		findings_one(L, f, 0, width);
		n++;
	}
	struct findings_sel *fs = findings_sel(t);
	if (fs->active && !found) {                  /* gone (fixed): nothing selected */
		fs->active = 0;
		t->panes[LAYOUT_FINDINGS].sel = -1;
		t->panes[LAYOUT_FINDINGS].dirty = 1;
	}
	for (size_t i = 0; i < s->notes.n; i++) {
		ui_line_new(L);
		ui_putf(L, UI_DIM, "note (%s): ", s->notes.v[i].probe);
		ui_wrap(L, UI_DIM, s->notes.v[i].text, sizeof s->notes.v[i].text, width, 2);
	}
	gw_fmt(t->panes[LAYOUT_FINDINGS].count, sizeof t->panes[LAYOUT_FINDINGS].count,
	    "%zu finding%s", d->findings.n, d->findings.n == 1 ? "" : "s");
	(void)n;
}

const struct pane_class pane_findings_class = {
	.title = "Findings",
	.build = findings_build,
};
