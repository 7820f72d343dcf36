/* diagnose_int.h — what the rule files share (diagnose.c, and the optional
 * diagnose_units.c / diagnose_docker.c). Not for the UI or reports. */
#ifndef GW_DIAGNOSE_INT_H
#define GW_DIAGNOSE_INT_H

#include "diagnose.h"

struct diag_ctx {
	const struct gw_snapshot *s;
	const struct gw_diag_config *cfg;
	struct gw_diagnosis *d;
	double since;            /* events at or after this are current */
	double since_nginx;      /* same for nginx's own log: also after its last reload */
	unsigned char *claimed;  /* per target: a specific rule set (docker) already
	                            explained it; the generic target rules skip it */
};

/* Add a finding; rank = how specific a root cause (higher wins among equals). */
struct gw_finding *diag_add(struct diag_ctx *c, const char *cause, enum gw_severity sev,
			    enum gw_hop hop, int rank, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void diag_evidence(struct gw_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_fix(struct gw_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_command(struct gw_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const struct gw_proc *diag_proc_by_pid(const struct gw_snapshot *s, pid_t pid);
int diag_role_is_app(enum gw_role r);
int diag_app_running(const struct gw_snapshot *s);
int diag_event_current(const struct diag_ctx *c, const struct gw_log_event *e);
void diag_event_evidence(struct gw_finding *f, const struct gw_log_event *e);
void diag_target_evidence(struct gw_finding *f, const struct gw_target *t);
void diag_probe_evidence(struct gw_finding *f, const struct gw_target *t);

/* nginx's testimony (diagnose_truth.c): after every other rule, so it
 * sees what they found; and the client hop, after hops are filled. */
void diagnose_truth(struct diag_ctx *c);
void diagnose_truth_client_hop(struct diag_ctx *c);

/* Optional rule sets (present when their files are): called by diagnose(). */
void diagnose_units(struct diag_ctx *c) __attribute__((weak));    /* app_crash_loop, unit files, db_unreachable */
void diagnose_docker(struct diag_ctx *c) __attribute__((weak));   /* container_* causes */

#endif
