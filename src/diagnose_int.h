/* diagnose_int.h — what the rule files share (diagnose.c, diagnose_truth.c,
 * diagnose_units.c, diagnose_docker.c). Not for the UI or reports. */
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

/* What a finding is about (its subject): the snapshot index of a target,
 * a unit or a container, or nothing. t / u / ct NULL: nothing. */
#define DIAG_NO_SUBJECT ((struct gw_subject){ GW_SUBJ_NONE, -1 })
struct gw_subject diag_on_target(const struct diag_ctx *c, const struct gw_target *t);
struct gw_subject diag_on_unit(const struct diag_ctx *c, const struct gw_unit *u);
struct gw_subject diag_on_container(const struct diag_ctx *c, const struct gw_container *ct);

/* Add a finding of a registered cause (causes.h): its hop, severity and
 * rank (how specific a root cause; higher wins among equals) come from the
 * cause's row. diag_add_as gives the severity and rank of a weaker (or
 * more specific) form of the cause; rank DIAG_RANK = the row's. */
#define DIAG_RANK (-1)
struct gw_finding *diag_add(struct diag_ctx *c, enum gw_cause cause, struct gw_subject about,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
struct gw_finding *diag_add_as(struct diag_ctx *c, enum gw_cause cause, struct gw_subject about,
			       enum gw_severity sev, int rank, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Another finding on the same evidence names a different cause (hop from
 * its row; severity and rank kept). */
void diag_recause(struct gw_finding *f, enum gw_cause cause);
/* The first finding of a cause (about subject kind `kind`, or any when
 * GW_SUBJ_NONE), NULL if none. */
struct gw_finding *diag_find(struct diag_ctx *c, enum gw_cause cause, enum gw_subject_kind kind);
/* Is f about target t (its subject), or is t NULL? */
int diag_is_about_target(const struct diag_ctx *c, const struct gw_finding *f, const struct gw_target *t);

/* A value quoted for a command line (gw_shell_quote) in a buffer that
 * lives to the end of the enclosing block: diag_command(f, "ls -l %s",
 * DIAG_Q(path)). For values up to GW_PATH bytes (longer: a placeholder). */
#define DIAG_QSIZE GW_SHQ_SIZE(GW_PATH)
#define DIAG_Q(v) gw_shell_quote((v), (char[DIAG_QSIZE]){ 0 }, DIAG_QSIZE)

/* diag_command: a command is added whole or not at all (never cut inside
 * a quoted word). */
void diag_evidence(struct gw_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_fix(struct gw_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_command(struct gw_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const struct gw_proc *diag_proc_by_pid(const struct gw_snapshot *s, pid_t pid);
int diag_role_is_app(enum gw_role r);
int diag_app_running(const struct gw_snapshot *s);
int diag_event_current(const struct diag_ctx *c, const struct gw_log_event *e);
/* An nginx line about gwtop's own request through nginx (its request line
 * carries THROUGH_MARK, model.h). */
int diag_event_is_own(const struct gw_log_event *e);
/* Does an nginx line's upstream: "..." name target t? (No upstream value:
 * any target.) */
int diag_event_matches_target(const struct gw_log_event *e, const struct gw_target *t);
void diag_event_evidence(struct gw_finding *f, const struct gw_log_event *e);
void diag_target_evidence(struct gw_finding *f, const struct gw_target *t);
void diag_probe_evidence(struct gw_finding *f, const struct gw_target *t);

/* nginx's testimony (diagnose_truth.c): after every other rule, so it
 * sees what they found; and the client hop, after hops are filled. */
void diagnose_truth(struct diag_ctx *c);
void diagnose_truth_client_hop(struct diag_ctx *c);

/* The rule sets of diagnose_units.c and diagnose_docker.c: rows of
 * diagnose.c's rule table. (The report fuzzer links without them and
 * defines them empty in fuzz/stubs_diagnose.c.) */
void diagnose_units(struct diag_ctx *c);    /* refine: app_crash_loop, unit files, db_unreachable */
void diagnose_docker(struct diag_ctx *c);   /* claim: container_* causes */

#endif
