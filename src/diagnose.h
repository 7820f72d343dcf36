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

/* Memory below this share (percent) of the total available is low: the
 * oom_killed warning and the tour's resource check. */
#define DIAG_MEM_LOW_PERCENT 5

/* The one judge of a target (pure): its probe's outcome and its state on
 * the request path, with the reason. diagnose() fills d->targets with it;
 * call it directly only for a diagnosis made without diagnose(). */
enum gw_probe_outcome diagnose_probe_outcome(const struct gw_target *t);
void diagnose_target(const struct gw_target *t, struct gw_target_state *out);

/* Is a listener's accept queue full (the app does not accept fast enough)?
 * upstream_overloaded's test, and the listeners pane's mark. */
int diagnose_queue_full(const struct gw_listener *l);

/* Do the rule table's phases run in order (claim, generic, refine)? For
 * the unit test that guards the table. */
int diagnose_rules_ordered(void);

#endif
