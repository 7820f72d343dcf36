/* pane_findings.h — the findings pane's selection: where a log line's
 * link (logs pane, Enter) lands. */
#ifndef GW_PANE_FINDINGS_H
#define GW_PANE_FINDINGS_H

struct tui;
struct gw_finding;

/* Select f (a finding of t->diag) in the findings pane: its first line is
 * drawn selected and scrolled to the top at the next build, and stays
 * selected across probe passes while a finding with the same cause and
 * summary is there. NULL clears the selection. */
void pane_findings_select(struct tui *t, const struct gw_finding *f);

#endif
