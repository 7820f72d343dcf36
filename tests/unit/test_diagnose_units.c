/* test_diagnose_units.c — the systemd / database rules on fixture
 * snapshots: crash loop beats upstream_down, the unit named on a stopped
 * app, a boot failure from the unit's journal, port_mismatch from the
 * ExecStart bind, db_unreachable with the URL masked, unit-file mistakes
 * (real temp paths: the rule stats them). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "diagnose.h"
#include "units.h"

static const double NOW = 1800000000.0;

static void fixture(struct gw_snapshot *s)
{
	snapshot_init(s);
	s->nginx.master_pid = 40;
	s->systemd_available = 1;
	struct gw_target *t = gw_vec_push(&s->targets);
	t->addr.kind = GW_ADDR_UNIX;
	GW_COPY(t->addr.path, "/run/gunicorn/gunicorn.sock");
	GW_COPY(t->display, "unix:/run/gunicorn/gunicorn.sock");
	GW_COPY(t->directive, "proxy_pass");
	GW_COPY(t->pass_loc.file, "/etc/nginx/sites-enabled/app");
	t->pass_loc.line = 3;
	t->listener_idx = -1;
	t->probed = 1;
	t->reachable = 0;
	t->err = ENOENT;
	t->perm_checked = 1;
	t->exists = 0;
	struct gw_unit *u = gw_vec_push(&s->units);
	GW_COPY(u->name, "gunicorn.service");
	u->loaded = u->is_app = 1;
	GW_COPY(u->fragment_path, "/etc/systemd/system/gunicorn.service");
	GW_COPY(u->exec_start, "/usr/bin/python3 /usr/bin/gunicorn --bind unix:/run/gunicorn/gunicorn.sock app:app");
	GW_COPY(u->working_dir, "/");
	GW_COPY(u->restart, "always");
	u->runtime_directory = 1;
}

static const struct gw_finding *run(struct gw_snapshot *s, struct gw_diagnosis *d)
{
	struct gw_diag_config cfg = { .now = NOW, .recent_window = 300 };
	for (size_t i = 0; i < s->units.n; i++)
		units_fill_bind(&s->units.v[i], s);   /* what the probe does: the rules read the match */
	diagnose(s, &cfg, d);
	return diagnosis_verdict(d);
}

static int has(const struct gw_finding *f, const char *needle)
{
	if (strstr(f->summary, needle)) return 1;
	for (int i = 0; i < f->nevidence; i++) if (strstr(f->evidence[i], needle)) return 1;
	for (int i = 0; i < f->ncommands; i++) if (strstr(f->commands[i], needle)) return 1;
	return 0;
}

static void test_crash_loop_wins(void **state)
{
	struct gw_snapshot s;
	struct gw_diagnosis d;
	(void)state;
	fixture(&s);
	struct gw_unit *u = &s.units.v[0];
	GW_COPY(u->active_state, "activating");
	GW_COPY(u->sub_state, "auto-restart");
	u->nrestarts = 7;
	u->restarts_per_min = 6;
	u->exec_main_code = 1;
	u->exec_main_status = 1;
	const struct gw_finding *v = run(&s, &d);
	assert_non_null(v);
	assert_string_equal(gw_cause_id(v->cause), "app_crash_loop");
	assert_int_equal(v->severity, GW_SEV_CRIT);
	assert_true(has(v, "gunicorn.service"));
	assert_true(has(v, "6.0 restarts/min"));
	assert_true(has(v, "unix:/run/gunicorn/gunicorn.sock"));   /* the absorbed target evidence */
	for (size_t i = 0; i < d.findings.n; i++) assert_string_not_equal(gw_cause_id(d.findings.v[i].cause), "socket_missing");
	diagnosis_free(&d);
	snapshot_free(&s);
}

/* Restarted by hand three times in a few minutes (a deploy), Restart=no,
 * NRestarts=0, running and answering: not a crash loop. The same PID churn
 * with systemd's own restarts is one. */
static void test_manual_restarts_not_a_loop(void **state)
{
	struct gw_snapshot s;
	struct gw_diagnosis d;
	(void)state;
	fixture(&s);
	s.targets.v[0].reachable = s.targets.v[0].http_ok = 1;
	s.targets.v[0].http_status = 200;
	s.targets.v[0].err = 0;
	s.targets.v[0].exists = 1;
	s.targets.v[0].perm_ok = 1;
	struct gw_unit *u = &s.units.v[0];
	GW_COPY(u->active_state, "active");
	GW_COPY(u->sub_state, "running");
	GW_COPY(u->restart, "no");
	u->main_pid = 4242;
	u->nrestarts = 0;
	u->main_pid_changes = 4;
	run(&s, &d);
	for (size_t i = 0; i < d.findings.n; i++) assert_string_not_equal(gw_cause_id(d.findings.v[i].cause), "app_crash_loop");
	diagnosis_free(&d);
	GW_COPY(u->restart, "on-failure");
	u->nrestarts = 4;
	run(&s, &d);
	int loop = 0;
	for (size_t i = 0; i < d.findings.n; i++) loop |= !strcmp(gw_cause_id(d.findings.v[i].cause), "app_crash_loop");
	assert_true(loop);
	diagnosis_free(&d);
	snapshot_free(&s);
}

static void test_stopped_unit_named(void **state)
{
	struct gw_snapshot s;
	struct gw_diagnosis d;
	(void)state;
	fixture(&s);
	GW_COPY(s.units.v[0].active_state, "inactive");
	GW_COPY(s.units.v[0].sub_state, "dead");
	const struct gw_finding *v = run(&s, &d);
	assert_non_null(v);
	assert_string_equal(gw_cause_id(v->cause), "socket_missing");
	assert_true(has(v, "gunicorn.service is inactive"));
	assert_true(has(v, "systemctl start gunicorn.service"));
	diagnosis_free(&d);
	snapshot_free(&s);
}

static void test_journal_boot_failure_in_loop(void **state)
{
	struct gw_snapshot s;
	struct gw_diagnosis d;
	(void)state;
	fixture(&s);
	struct gw_unit *u = &s.units.v[0];
	GW_COPY(u->active_state, "active");
	GW_COPY(u->sub_state, "running");
	u->nrestarts = 3;
	u->restarts_per_min = 3;
	s.targets.v[0].reachable = 1;               /* the master binds, the workers die */
	s.targets.v[0].err = 0;
	s.targets.v[0].exists = 1;
	s.targets.v[0].perm_ok = 1;
	struct gw_log_event *e = gw_vec_push(&s.events);
	e->kind = GW_LOG_APP_MODULE_NOT_FOUND;
	e->time = NOW - 5;
	GW_COPY(e->source, "journal:gunicorn.service");
	GW_COPY(e->detail, "No module named 'psycopg2'");
	GW_COPY(e->line, "ModuleNotFoundError: No module named 'psycopg2'");
	const struct gw_finding *v = run(&s, &d);
	assert_non_null(v);
	assert_string_equal(gw_cause_id(v->cause), "app_boot_failure");
	assert_true(has(v, "psycopg2"));
	assert_true(has(v, "journal:gunicorn.service"));
	diagnosis_free(&d);
	snapshot_free(&s);
}

static void test_bind_mismatch(void **state)
{
	struct gw_snapshot s;
	struct gw_diagnosis d;
	(void)state;
	fixture(&s);
	struct gw_unit *u = &s.units.v[0];
	GW_COPY(u->exec_start, "/usr/bin/gunicorn --bind 127.0.0.1:8001 app:app");
	GW_COPY(u->active_state, "active");
	GW_COPY(u->sub_state, "running");
	const struct gw_finding *v = run(&s, &d);
	assert_non_null(v);
	assert_string_equal(gw_cause_id(v->cause), "port_mismatch");
	assert_true(has(v, "unix:/run/gunicorn/gunicorn.sock"));
	assert_true(has(v, "127.0.0.1:8001"));
	assert_true(has(v, "/etc/systemd/system/gunicorn.service"));
	diagnosis_free(&d);
	snapshot_free(&s);
}

static void test_envfile_missing(void **state)
{
	struct gw_snapshot s;
	struct gw_diagnosis d;
	(void)state;
	fixture(&s);
	struct gw_unit *u = &s.units.v[0];
	GW_COPY(u->env_files, "/nonexistent/gwtop-test/app.env");
	GW_COPY(u->active_state, "failed");
	GW_COPY(u->sub_state, "failed");
	GW_COPY(u->result, "resources");
	units_fill_problems(u);          /* what the probe does after reading the unit */
	const struct gw_finding *v = run(&s, &d);
	assert_non_null(v);
	assert_string_equal(gw_cause_id(v->cause), "app_boot_failure");
	assert_true(has(v, "/nonexistent/gwtop-test/app.env"));
	assert_true(has(v, "/etc/systemd/system/gunicorn.service"));
	diagnosis_free(&d);
	snapshot_free(&s);
}

static void test_db_unreachable(void **state)
{
	struct gw_snapshot s;
	struct gw_diagnosis d;
	(void)state;
	fixture(&s);
	s.targets.v[0].reachable = 1;
	s.targets.v[0].http_ok = 1;
	s.targets.v[0].http_status = 200;
	s.targets.v[0].exists = s.targets.v[0].perm_ok = 1;
	s.targets.v[0].err = 0;
	GW_COPY(s.units.v[0].active_state, "active");
	struct gw_db_target *db = gw_vec_push(&s.dbs);
	GW_COPY(db->kind, "postgres");
	GW_COPY(db->display, "postgres://app:***@127.0.0.1:5499/app");
	GW_COPY(db->source, "DATABASE_URL in Environment= of gunicorn.service");
	db->addr.kind = GW_ADDR_INET;
	GW_COPY(db->addr.host, "127.0.0.1");
	db->addr.port = 5499;
	db->probed = 1;
	db->err = ECONNREFUSED;
	const struct gw_finding *v = run(&s, &d);
	assert_non_null(v);
	assert_string_equal(gw_cause_id(v->cause), "db_unreachable");
	assert_int_equal(v->hop, GW_HOP_DB);
	assert_true(has(v, "127.0.0.1:5499"));
	assert_true(has(v, "app:***@"));
	diagnosis_free(&d);
	/* reachable: no finding */
	s.dbs.v[0].reachable = 1;
	s.dbs.v[0].err = 0;
	v = run(&s, &d);
	assert_null(v);
	diagnosis_free(&d);
	snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_loop_wins),
		cmocka_unit_test(test_manual_restarts_not_a_loop),
		cmocka_unit_test(test_stopped_unit_named),
		cmocka_unit_test(test_journal_boot_failure_in_loop),
		cmocka_unit_test(test_bind_mismatch),
		cmocka_unit_test(test_envfile_missing),
		cmocka_unit_test(test_db_unreachable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
