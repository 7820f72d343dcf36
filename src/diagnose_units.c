/* diagnose_units.c — the systemd and database rules: app_crash_loop,
 * unit-file mistakes (each naming the unit file), the bind in ExecStart
 * against nginx's target (port_mismatch), db_unreachable; and the unit's
 * name added to the upstream / app findings diagnose.c made.
 *
 * Rules refine rather than stack (see diagnose.c): when a unit explains why
 * a target is down (it crash-loops, its EnvironmentFile is missing), the
 * upstream_down / socket_missing finding for that target is folded into
 * the unit's finding (its evidence kept) so the verdict names the root.
 *
 * Pure: the unit-file checks (stat, getpwnam) ran in the probe, which left
 * their results in gw_unit.problems, and so did the ExecStart bind and the
 * target it serves (gw_unit.bind, target_idx). */
#include "diagnose_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define RANK_UNIT_FILE 93    /* above app_boot_failure (90): the unit cannot even start */
#define RANK_LOOP_DOWN 92    /* crash loop that explains a dead target */
#define RANK_LOOP_OTHER 85   /* a crash loop beside a more specific root cause */
#define RANK_LOOP 70

struct absorbed {
	int n;
	char ev[GW_MAX_EVIDENCE * 2][GW_TEXT];
};

static int du_target_down(const struct gw_target *t)
{
	return t && t->probed && !t->reachable;
}

static int du_app_units(const struct gw_snapshot *s)
{
	int n = 0;
	for (size_t i = 0; i < s->units.n; i++) n += s->units.v[i].is_app && s->units.v[i].loaded;
	return n;
}

/* The target this unit serves (its ExecStart bind matches: the probe's
 * u->target_idx), NULL if none. */
static const struct gw_target *du_unit_target(const struct gw_snapshot *s, const struct gw_unit *u, int *has_bind,
					     struct gw_addr *bind)
{
	*has_bind = u->has_bind;
	*bind = u->bind;
	if (!u->has_bind || u->target_idx < 0 || (size_t)u->target_idx >= s->targets.n) return NULL;
	return &s->targets.v[u->target_idx];
}

/* Does the unit explain target t being down? Its bind matches t, or it has
 * no known bind and is the only app unit. */
static const struct gw_target *du_down_target(const struct diag_ctx *c, const struct gw_unit *u)
{
	struct gw_addr bind;
	int has_bind;
	const struct gw_target *t = du_unit_target(c->s, u, &has_bind, &bind);
	if (t) return du_target_down(t) ? t : NULL;
	if (has_bind || du_app_units(c->s) != 1) return NULL;
	for (size_t i = 0; i < c->s->targets.n; i++)
		if (du_target_down(&c->s->targets.v[i])) return &c->s->targets.v[i];
	return NULL;
}

/* The target this running unit serves when it gets no HTTP answer from it
 * (connect refused, dropped, timed out); NULL if it answers or is unknown. */
static const struct gw_target *du_failing_target(const struct diag_ctx *c, const struct gw_unit *u)
{
	struct gw_addr bind;
	int has_bind;
	const struct gw_target *t = du_unit_target(c->s, u, &has_bind, &bind);
	if (!t && !has_bind && du_app_units(c->s) == 1 && c->s->targets.n == 1) t = &c->s->targets.v[0];
	if (!t || !t->probed) return NULL;
	if (t->not_http) return t->reachable ? NULL : t;
	return t->http_ok ? NULL : t;
}

/* Is f a finding du_absorb folds into a unit's finding for target t (any
 * target when t is NULL)? The target's upstream_down / socket_missing
 * (not the unit's own RuntimeDirectory warning, whose subject is the unit);
 * with `symptoms`, also its request-level failures (a crash loop, a unit
 * that cannot load its app explains those too). */
static int du_finding_for_target(const struct diag_ctx *c, const struct gw_finding *f, const struct gw_target *t,
				 int symptoms)
{
	if (symptoms && (f->cause == GW_CAUSE_APP_CRASH_DURING_REQUEST || f->cause == GW_CAUSE_UPSTREAM_TIMEOUT))
		return diag_is_about_target(c, f, t);
	if (f->cause != GW_CAUSE_UPSTREAM_DOWN && f->cause != GW_CAUSE_SOCKET_MISSING) return 0;
	if (f->severity < GW_SEV_WARN || f->subject.kind != GW_SUBJ_TARGET) return 0;
	return diag_is_about_target(c, f, t);
}

/* Remove the upstream_down / socket_missing findings about t, keeping
 * their evidence in *a. */
static void du_absorb(struct diag_ctx *c, const struct gw_target *t, int symptoms, struct absorbed *a)
{
	for (size_t i = 0; i < c->d->findings.n;) {
		struct gw_finding *f = &c->d->findings.v[i];
		if (!du_finding_for_target(c, f, t, symptoms)) { i++; continue; }
		for (int k = 0; k < f->nevidence && a->n < (int)(sizeof a->ev / sizeof *a->ev); k++) {
			GW_COPY(a->ev[a->n], f->evidence[k]);
			a->n++;
		}
		memmove(f, f + 1, (c->d->findings.n - i - 1) * sizeof *f);
		c->d->findings.n--;
	}
}

static void du_absorbed_evidence(struct gw_finding *f, const struct absorbed *a)
{
	for (int i = 0; i < a->n; i++) diag_evidence(f, "%s", a->ev[i]);
}

static const char *du_file(const struct gw_unit *u)
{
	return u->fragment_path[0] ? u->fragment_path : "(unit file unknown)";
}

static void du_state_evidence(struct gw_finding *f, const struct gw_unit *u)
{
	char t[32] = "";
	if (u->exec_main_start > 0) gw_time_str(u->exec_main_start, t, sizeof t);
	diag_evidence(f, "%s (%s): %s (%s)%s%s%s, NRestarts=%u, Restart=%s, MainPID=%d", u->name, du_file(u),
		      u->active_state, u->sub_state, u->result[0] && strcmp(u->result, "success") ? ", Result: " : "",
		      u->result[0] && strcmp(u->result, "success") ? u->result : "", "", u->nrestarts,
		      u->restart[0] ? u->restart : "?", (int)u->main_pid);
	if (u->exec_main_code > 0 && !(u->exec_main_code == 1 && u->exec_main_status == 0 && !strcmp(u->active_state, "active")))
		diag_evidence(f, "last main process: %s %d%s%s",
			      u->exec_main_code == 1 ? "exited, status" : u->exec_main_code == 2 ? "killed by signal" :
			      u->exec_main_code == 3 ? "dumped core, signal" : "code",
			      u->exec_main_status, t[0] ? ", started " : "", t);
}

/* The newest current journal event of the unit (any kind when kind < 0). */
static int du_running(const struct gw_unit *u);

/* The newest current line of the unit's journal. A running unit is judged
 * by its current invocation: what it logged before its main process
 * started (ExecMainStartTimestamp) is history. */
static const struct gw_log_event *du_unit_event(const struct diag_ctx *c, const struct gw_unit *u, int kind,
					       int app_only)
{
	char src[GW_NAME + 16];
	const struct gw_log_event *best = NULL;
	double began = du_running(u) && u->exec_main_start > 0 ? u->exec_main_start - 1 : 0;
	gw_fmt(src, sizeof src, "journal:%s", u->name);
	for (size_t i = 0; i < c->s->events.n; i++) {
		const struct gw_log_event *e = &c->s->events.v[i];
		if (strcmp(e->source, src) || !diag_event_current(c, e)) continue;
		if (e->time > 0 && e->time < began) continue;
		if (kind >= 0 && (int)e->kind != kind) continue;
		if (app_only && e->kind == GW_LOG_OTHER) continue;
		if (!best || e->time >= best->time) best = e;
	}
	return best;
}

static int du_running(const struct gw_unit *u)
{
	return !strcmp(u->active_state, "active") || !strcmp(u->active_state, "reloading");
}

/* ------------------------------------------------------------ unit files */

static void du_problem_fix(struct gw_finding *f, const struct gw_unit *u, const struct gw_unit_problem *p)
{
	switch (p->kind) {
	case UP_WORKDIR_MISSING:
		diag_fix(f, "create %s (deploy the app there) or fix WorkingDirectory= in %s", p->path, du_file(u));
		diag_command(f, "ls -ld %s", DIAG_Q(p->path));
		break;
	case UP_WORKDIR_UNREADABLE:
		diag_fix(f, "let %s read and enter %s (chown/chmod, or a group), or change User=", u->user, p->path);
		diag_command(f, "namei -l %s", DIAG_Q(p->path));
		break;
	case UP_EXEC_MISSING: case UP_EXEC_NOT_EXEC:
		diag_fix(f, "fix ExecStart= in %s: the virtualenv / binary path must exist and be executable", du_file(u));
		diag_command(f, "ls -l %s", DIAG_Q(p->path));
		break;
	case UP_ENVFILE_MISSING:
		diag_fix(f, "create %s (or prefix the path with '-' in EnvironmentFile= if it is optional)", p->path);
		diag_command(f, "ls -l %s", DIAG_Q(p->path));
		break;
	case UP_ENVFILE_UNREADABLE:
		diag_fix(f, "chgrp the file to the service's group and chmod 640");
		diag_command(f, "ls -l %s", DIAG_Q(p->path));
		break;
	case UP_USER_MISSING: case UP_GROUP_MISSING:
		diag_fix(f, "create the user/group (useradd --system %s) or fix User=/Group= in %s", p->path, du_file(u));
		diag_command(f, "getent passwd %s", DIAG_Q(p->path));
		break;
	case UP_RUNTIME_DIR:
		diag_fix(f, "add RuntimeDirectory=%s to [Service] of %s (systemd creates it at every start)",
			 p->path + 5, du_file(u));
		break;
	case UP_MODULE_MISSING:
		diag_fix(f, "fix the module in ExecStart= or WorkingDirectory= (or --chdir) in %s: python must find the module under %s",
			 du_file(u), p->path);
		diag_command(f, "ls -la %s", DIAG_Q(p->path));
		break;
	}
	diag_command(f, "systemctl cat %s", DIAG_Q(u->name));
	if (p->fatal) diag_command(f, "systemctl daemon-reload && systemctl restart %s", DIAG_Q(u->name));
}

/* Returns 1 when a crit finding (the unit cannot start) was added. */
static int du_rule_unit_file(struct diag_ctx *c, const struct gw_unit *u)
{
	int n = u->nproblems, crit = 0;
	for (int i = 0; i < n; i++) {
		const struct gw_unit_problem *p = &u->problems[i];
		struct absorbed ab = { 0 };
		struct gw_finding *f;
		if (p->kind == UP_RUNTIME_DIR) {
			f = diag_add_as(c, GW_CAUSE_SOCKET_MISSING, diag_on_unit(c, u), GW_SEV_WARN, 20, "%s: %s", u->name, p->text);
			diag_evidence(f, "unit file: %s", du_file(u));
			diag_evidence(f, "ExecStart=%.400s", u->exec_start);
			du_problem_fix(f, u, p);
			continue;
		}
		/* A fatal mistake in a unit that runs: its served target failing
		 * (a gunicorn master whose workers cannot import the module
		 * accepts and drops) is the same root cause, not a later one. */
		const struct gw_target *broken = du_running(u) && p->fatal ? du_failing_target(c, u) : NULL;
		enum gw_severity sev = !p->fatal ? GW_SEV_INFO : du_running(u) && !broken ? GW_SEV_WARN : GW_SEV_CRIT;
		if (broken) {
			du_absorb(c, broken, 1, &ab);
			crit = 1;
		} else if (sev == GW_SEV_CRIT) {
			const struct gw_target *t = du_down_target(c, u);
			if (t || du_app_units(c->s) == 1) du_absorb(c, t, 0, &ab);
			crit = 1;
		}
		f = diag_add_as(c, GW_CAUSE_APP_BOOT_FAILURE, diag_on_unit(c, u), sev, sev == GW_SEV_CRIT ? RANK_UNIT_FILE : 15,
			     "%s cannot start: %s (unit file %s)%s", u->name, p->text, du_file(u),
			     sev == GW_SEV_WARN ? " — it runs now, the next restart fails" : "");
		diag_evidence(f, "unit file: %s", du_file(u));
		const struct gw_log_event *e = du_unit_event(c, u, GW_LOG_APP_CONFIG, 0);
		if (e) diag_event_evidence(f, e);
		du_state_evidence(f, u);
		du_absorbed_evidence(f, &ab);
		du_problem_fix(f, u, p);
	}
	return crit;
}

/* ------------------------------------------------------------ crash loop */

static int du_crash_looping(const struct gw_unit *u)
{
	if (!strcmp(u->sub_state, "auto-restart")) return 1;
	if (!strcmp(u->active_state, "activating") && u->nrestarts > 0) return 1;
	if (!strcmp(u->result, "start-limit-hit") && !du_running(u)) return 1;
	if (u->restarts_per_min >= 2.0) return 1;
	/* a crash loop is the process manager restarting it: main PID
	 * changes alone are also what restarts by hand (a deploy) look like */
	return u->main_pid_changes >= 3 && u->nrestarts > 0 && strcmp(u->restart, "no");
}

/* The unit's own boot-failure line (priority like diagnose.c's). */
static const struct gw_log_event *du_boot_event(const struct diag_ctx *c, const struct gw_unit *u)
{
	static const enum gw_log_kind kinds[] = {
		GW_LOG_APP_MODULE_NOT_FOUND, GW_LOG_APP_CONFIG, GW_LOG_APP_DB, GW_LOG_APP_WORKER_BOOT, GW_LOG_APP_EXCEPTION,
	};
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
		const struct gw_log_event *e = du_unit_event(c, u, (int)kinds[k], 1);
		if (e) return e;
	}
	return NULL;
}

static void du_rule_crash_loop(struct diag_ctx *c, const struct gw_unit *u, int root_known)
{
	if (!du_crash_looping(u)) return;
	struct gw_addr bind;
	int has_bind;
	const struct gw_target *t = du_down_target(c, u);
	const struct gw_target *served = du_unit_target(c->s, u, &has_bind, &bind);
	struct gw_finding *bf = diag_find(c, GW_CAUSE_APP_BOOT_FAILURE, GW_SUBJ_NONE);
	int down = t != NULL || !du_running(u) || u->restarts_per_min >= 2.0;
	struct absorbed ab = { 0 };
	int rank;
	enum gw_severity sev = down ? GW_SEV_CRIT : GW_SEV_WARN;
	char hms[32] = "time unknown";

	/* it dies at start and its journal says why: that is the root */
	const struct gw_log_event *be = du_boot_event(c, u);
	if (be && down && !root_known && !(bf && bf->severity == GW_SEV_CRIT)) {
		du_absorb(c, t ? t : served, 1, &ab);
		if (be->time > 0) {
			char full[32];
			gw_time_str(be->time, full, sizeof full);
			GW_COPY(hms, strlen(full) > 11 ? full + 11 : full);
		}
		bf = diag_add_as(c, GW_CAUSE_APP_BOOT_FAILURE, diag_on_unit(c, u), GW_SEV_CRIT, 91,
			"app boot failure: %.300s (journal of %s, %s)%s",
			be->detail[0] ? be->detail : be->line, u->name, hms,
			strcmp(u->restart, "no") && (u->nrestarts || u->restarts_per_min > 0)
				? "; systemd restarts it in a loop" : "; it fails at start");
		diag_event_evidence(bf, be);
		du_state_evidence(bf, u);
		du_absorbed_evidence(bf, &ab);
		ab.n = 0;
		if (be->kind == GW_LOG_APP_MODULE_NOT_FOUND)
			diag_fix(bf, "install the missing package into the app's virtualenv, or fix the module path / WorkingDirectory= in %s", du_file(u));
		else if (be->kind == GW_LOG_APP_CONFIG)
			diag_fix(bf, "set the missing setting / environment variable (EnvironmentFile= in %s)", du_file(u));
		else if (be->kind == GW_LOG_APP_DB)
			diag_fix(bf, "make the database reachable (host/port/credentials in the app's environment)");
		else
			diag_fix(bf, "fix the error in the journal, then restart %s", u->name);
		diag_command(bf, "journalctl -u %s -n 50 --no-pager", DIAG_Q(u->name));
		diag_command(bf, "systemctl restart %s", DIAG_Q(u->name));
		root_known = 1;
	}

	if (root_known || (bf && bf->severity == GW_SEV_CRIT)) rank = RANK_LOOP_OTHER;
	else if (down) rank = RANK_LOOP_DOWN;
	else rank = RANK_LOOP;
	if (rank == RANK_LOOP_DOWN) {
		du_absorb(c, t ? t : served, 1, &ab);
	}

	char rate[64] = "";
	if (u->restarts_per_min > 0) gw_fmt(rate, sizeof rate, ", %.1f restarts/min", u->restarts_per_min);
	char last[64] = "";
	if (u->exec_main_code == 1) gw_fmt(last, sizeof last, ", last exit status %d", u->exec_main_status);
	else if (u->exec_main_code >= 2) gw_fmt(last, sizeof last, ", last killed by signal %d", u->exec_main_status);
	struct gw_finding *f = diag_add_as(c, GW_CAUSE_APP_CRASH_LOOP, diag_on_unit(c, u), sev, rank,
		"%s is crash-looping: %s (%s), NRestarts=%u%s%s%s", u->name, u->active_state, u->sub_state,
		u->nrestarts, rate, last, !strcmp(u->result, "start-limit-hit") ? "; systemd gave up (start-limit-hit)" : "");
	du_state_evidence(f, u);
	if (u->main_pid_changes) diag_evidence(f, "main PID changed %d times in the last minutes", u->main_pid_changes);
	const struct gw_log_event *e = du_unit_event(c, u, -1, 1);
	if (e) diag_event_evidence(f, e);
	e = du_unit_event(c, u, GW_LOG_OTHER, 0);
	if (e) diag_event_evidence(f, e);
	du_absorbed_evidence(f, &ab);
	diag_fix(f, "read why it exits right after start: journalctl -u %s -n 50", u->name);
	if (!strcmp(u->result, "start-limit-hit"))
		diag_fix(f, "after fixing it: systemctl reset-failed %s && systemctl start %s", u->name, u->name);
	diag_fix(f, "\"a restart fixes it for a while\" points to memory, leaks or worker starvation");
	diag_command(f, "journalctl -u %s -n 50 --no-pager", DIAG_Q(u->name));
	diag_command(f, "systemctl status %s", DIAG_Q(u->name));
}

/* ------------------------------------------------------------ naming the unit */

static void du_replace_cmd(struct gw_finding *f, const char *unit)
{
	for (int i = 0; i < f->ncommands; i++) {
		char *p = strstr(f->commands[i], "<app unit>");
		if (!p) continue;
		char tmp[GW_TEXT];
		gw_fmt(tmp, sizeof tmp, "%.*s%s%s", (int)(p - f->commands[i]), f->commands[i], DIAG_Q(unit), p + 10);
		GW_COPY(f->commands[i], tmp);
	}
}

/* Add the unit to the findings diagnose.c made about its target / the app. */
static void du_name_unit(struct diag_ctx *c, const struct gw_unit *u)
{
	struct gw_addr bind;
	int has_bind;
	const struct gw_target *t = du_unit_target(c->s, u, &has_bind, &bind);
	int only = du_app_units(c->s) == 1;
	for (size_t i = 0; i < c->d->findings.n; i++) {
		struct gw_finding *f = &c->d->findings.v[i];
		int on_target = f->subject.kind == GW_SUBJ_TARGET;
		int about_target = (f->cause == GW_CAUSE_UPSTREAM_DOWN || f->cause == GW_CAUSE_SOCKET_MISSING) &&
				   on_target && ((t && diag_is_about_target(c, f, t)) || (!has_bind && only));
		/* the app's failures; an OOM kill only as the cause of a target's
		 * failure (not the host-wide memory warnings) */
		int about_app = f->cause == GW_CAUSE_APP_BOOT_FAILURE || f->cause == GW_CAUSE_APP_CRASH_DURING_REQUEST ||
				f->cause == GW_CAUSE_UPSTREAM_TIMEOUT || (f->cause == GW_CAUSE_OOM_KILLED && on_target);
		if (!about_target && !(about_app && (only || t))) continue;
		if (strstr(f->summary, u->name)) { du_replace_cmd(f, u->name); continue; }
		if (about_target && !du_running(u)) {
			char tail[GW_NAME + 64];
			gw_fmt(tail, sizeof tail, "; unit %s is %s (%s)", u->name, u->active_state, u->sub_state);
			gw_append(f->summary, sizeof f->summary, "%s", tail);
			diag_fix(f, "start it: systemctl start %s", u->name);
			diag_command(f, "systemctl start %s", DIAG_Q(u->name));
		}
		du_state_evidence(f, u);
		du_replace_cmd(f, u->name);
		diag_command(f, "journalctl -u %s -n 50 --no-pager", DIAG_Q(u->name));
	}
}

/* ------------------------------------------------------------ bind vs nginx */

static void du_rule_bind(struct diag_ctx *c, const struct gw_unit *u)
{
	const struct gw_snapshot *s = c->s;
	struct gw_addr bind;
	int has_bind;
	char bs[GW_PATH + 16];
	if (!s->targets.n || du_unit_target(s, u, &has_bind, &bind) || !has_bind) return;
	gw_addr_str(&bind, bs, sizeof bs);

	/* diagnose.c may have seen the mismatch from the listeners already */
	struct gw_finding *pm = diag_find(c, GW_CAUSE_PORT_MISMATCH, GW_SUBJ_NONE);
	if (pm) {
		diag_evidence(pm, "ExecStart of %s (%s) binds %s", u->name, du_file(u), bs);
		if (!strstr(pm->summary, u->name))
			gw_append(pm->summary, sizeof pm->summary, " (ExecStart of %s in %s)", u->name, du_file(u));
		diag_command(pm, "systemctl cat %s", DIAG_Q(u->name));
		return;
	}
	/* the target nginx uses that nobody serves */
	const struct gw_target *t = NULL;
	for (size_t i = 0; i < s->targets.n && !t; i++)
		if (du_target_down(&s->targets.v[i]) && !s->targets.v[i].down) t = &s->targets.v[i];
	if (!t) return;
	struct absorbed ab = { 0 };
	du_absorb(c, t, 0, &ab);
	struct gw_finding *f = diag_add(c, GW_CAUSE_PORT_MISMATCH, diag_on_target(c, t),
		"nginx targets %s but %s binds %s (ExecStart in %s)", t->display, u->name, bs, du_file(u));
	diag_target_evidence(f, t);
	diag_evidence(f, "ExecStart of %s (%s): %.300s", u->name, du_file(u), u->exec_start);
	du_state_evidence(f, u);
	du_absorbed_evidence(f, &ab);
	diag_fix(f, "make %s and the --bind in %s agree (change one), then daemon-reload + restart, or reload nginx",
		 t->directive, du_file(u));
	diag_command(f, "systemctl cat %s", DIAG_Q(u->name));
	diag_command(f, "ss -ltnpx");
}

/* ------------------------------------------------------------ databases */

static void du_rule_db(struct diag_ctx *c)
{
	const struct gw_snapshot *s = c->s;
	for (size_t i = 0; i < s->dbs.n; i++) {
		const struct gw_db_target *d = &s->dbs.v[i];
		char as[GW_PATH + 16];
		if (!d->probed || d->reachable) continue;
		gw_addr_str(&d->addr, as, sizeof as);
		struct gw_finding *f = diag_add(c, GW_CAUSE_DB_UNREACHABLE, DIAG_NO_SUBJECT,
			"the app's %s at %s is unreachable: connect failed (%d: %s)", d->kind, as, d->err, strerror(d->err));
		diag_evidence(f, "%s: %s", d->source, d->display);
		diag_evidence(f, "connect to %s: %s (%.0f ms)", as, strerror(d->err), d->connect_ms);
		for (size_t k = s->events.n; k-- > 0;) {
			const struct gw_log_event *e = &s->events.v[k];
			if (e->kind == GW_LOG_APP_DB && diag_event_current(c, e)) { diag_event_evidence(f, e); break; }
		}
		diag_fix(f, "start the %s server, or fix the host/port the app is given (%s)", d->kind, d->source);
		diag_fix(f, "check firewalls / listen_addresses on the database side");
		if (d->addr.kind == GW_ADDR_UNIX) diag_command(f, "ls -l %s", DIAG_Q(d->addr.path));
		else diag_command(f, "ss -ltn 'sport = :%d'", d->addr.port);
		if (!strcmp(d->kind, "postgres")) diag_command(f, "systemctl status postgresql");
		else if (!strcmp(d->kind, "mysql")) diag_command(f, "systemctl status mariadb mysql");
		else if (!strcmp(d->kind, "redis")) diag_command(f, "systemctl status redis-server");
	}
}

void diagnose_units(struct diag_ctx *c)
{
	const struct gw_snapshot *s = c->s;
	for (size_t i = 0; i < s->units.n; i++) {
		const struct gw_unit *u = &s->units.v[i];
		if (!u->is_app || !u->loaded) continue;
		int root = du_rule_unit_file(c, u);
		du_rule_bind(c, u);
		du_rule_crash_loop(c, u, root);
		du_name_unit(c, u);
	}
	du_rule_db(c);
}
