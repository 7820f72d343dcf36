/* pane_findings.h — the findings pane's selection: where a log line's
 * link (logs pane, Enter) lands. */
#ifndef GW_PANE_FINDINGS_H
#define GW_PANE_FINDINGS_H

struct tui;
struct gw_finding;
struct ui_lines;

/* Select f (a finding of t->diag) in the findings pane: its first line is
 * drawn selected and scrolled to the top at the next build, and stays
 * selected across probe passes while a finding with the same cause and
 * summary is there. NULL clears the selection. */
void pane_findings_select(struct tui *t, const struct gw_finding *f);

/* A finding's evidence and fix lines, each on its own line(s) indented by
 * indent columns and wrapped to width (the pane and the tour's checklist). */
void pane_findings_details(struct ui_lines *L, const struct gw_finding *f, int width, int indent);

#endif
