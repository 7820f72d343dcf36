/* diagnose.h — the pure function snapshot -> findings + verdict. No I/O. */
#ifndef GW_DIAGNOSE_H
#define GW_DIAGNOSE_H

#include "model.h"

struct gw_diag_config {
	double now;              /* evaluation time (epoch); lets tests pin the clock */
	double recent_window;    /* log events newer than now - window are current (s) */
};

/* Fill d (caller: memset 0 / diagnosis_free first). */
void diagnose(const struct gw_snapshot *s, const struct gw_diag_config *cfg, struct gw_diagnosis *d);
void diagnosis_free(struct gw_diagnosis *d);
const struct gw_finding *diagnosis_verdict(const struct gw_diagnosis *d);

/* Can a log line of kind k be evidence for a finding with this cause id?
 * The rules' own use of each kind, refinements included (a refused
 * connect supports upstream_down, and app_boot_failure when that is what
 * upstream_down was refined to). For the dashboard's links from log lines
 * to findings. GW_LOG_OTHER supports nothing. */
int diagnose_kind_supports(enum gw_log_kind k, const char *cause);

#endif
