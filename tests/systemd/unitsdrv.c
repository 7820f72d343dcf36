/* unitsdrv.c — test driver for the systemd probe (probes/units.c), run
 * inside the sdbox: one probe pass over the live processes, then the units,
 * databases and journal events it found, one per line, for the scenario
 * scripts to grep:
 *   unit NAME app=0|1 nginx=0|1 loaded=0|1 active=STATE sub=SUB result=R nrestarts=N mainpid=P rpm=R pidchanges=N file=PATH
 *   db KIND DISPLAY probed=0|1 reachable=0|1 err=N source=...
 *   event SOURCE KIND detail
 * Usage: unitsdrv [--unit NAME]... [--ticks N] [--interval S] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "options.h"
#include "procs.h"
#include "units.h"

static int pass_done;

static void on_done(void *ud)
{
	(void)ud;
	pass_done = 1;
}

int main(int argc, char **argv)
{
	struct gw_options o;
	int ticks = 1;
	double interval = 1.0;
	sd_event *e = NULL;
	sigset_t ss;

	memset(&o, 0, sizeof o);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--unit") && i + 1 < argc) *(const char **)gw_vec_push(&o.units) = argv[++i];
		else if (!strcmp(argv[i], "--ticks") && i + 1 < argc) ticks = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--interval") && i + 1 < argc) interval = atof(argv[++i]);
	}
	sigemptyset(&ss);
	sigaddset(&ss, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	sd_event_default(&e);
	struct procs_state *ps = procs_state_new();
	struct units_prober *p = units_prober_new(e);
	struct gw_snapshot s;
	for (int t = 0; t < ticks; t++) {
		snapshot_init(&s);
		procs_refresh(&s, ps);
		procs_nginx_runtime(&s);
		pass_done = 0;
		if (units_probe_start(p, &s, &o, on_done, NULL) < 0) { fprintf(stderr, "start failed\n"); return 1; }
		while (!pass_done) sd_event_run(e, (uint64_t)-1);
		if (t + 1 < ticks) {
			snapshot_free(&s);
			usleep((useconds_t)(interval * 1e6));
		}
	}
	printf("systemd available=%d error=%s\n", s.systemd_available, s.systemd_error);
	for (size_t i = 0; i < s.units.n; i++) {
		const struct gw_unit *u = &s.units.v[i];
		printf("unit %s app=%d nginx=%d loaded=%d active=%s sub=%s result=%s nrestarts=%u mainpid=%d rpm=%.1f pidchanges=%d file=%s exec=%s envfiles=%s error=%s\n",
		       u->name, u->is_app, u->is_nginx, u->loaded, u->active_state, u->sub_state, u->result, u->nrestarts,
		       (int)u->main_pid, u->restarts_per_min, u->main_pid_changes, u->fragment_path, u->exec_start,
		       u->env_files, u->error);
	}
	for (size_t i = 0; i < s.dbs.n; i++) {
		const struct gw_db_target *d = &s.dbs.v[i];
		printf("db %s %s probed=%d reachable=%d err=%d source=%s\n", d->kind, d->display, d->probed, d->reachable,
		       d->err, d->source);
	}
	for (size_t i = 0; i < s.events.n; i++) {
		const struct gw_log_event *ev = &s.events.v[i];
		printf("event %s %s %s\n", ev->source, gw_log_kind_name(ev->kind), ev->detail[0] ? ev->detail : ev->line);
	}
	snapshot_free(&s);
	units_prober_free(p);
	procs_state_free(ps);
	gw_vec_free(&o.units);
	sd_event_unref(e);
	return 0;
}
