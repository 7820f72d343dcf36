/* test_units.c — the pure parts of the systemd / database probes: ExecStart
 * bind parsing, EnvironmentFile lines, URL masking, database extraction
 * from an environment, systemd's start-failure messages, and the unit-file
 * checks against real files in a temp dir. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "journal.h"
#include "units.h"
#include "addr.h"

static void test_exec_bind(void **state)
{
	struct gw_addr a;
	(void)state;
	assert_true(appbind_parse("/usr/bin/python3 /usr/bin/gunicorn --workers 2 --bind unix:/run/gunicorn/gunicorn.sock app:app", &a));
	assert_int_equal(a.kind, GW_ADDR_UNIX);
	assert_string_equal(a.path, "/run/gunicorn/gunicorn.sock");
	assert_true(appbind_parse("/srv/venv/bin/gunicorn -b 127.0.0.1:8001 app:app", &a));
	assert_int_equal(a.kind, GW_ADDR_INET);
	assert_string_equal(a.host, "127.0.0.1");
	assert_int_equal(a.port, 8001);
	assert_true(appbind_parse("gunicorn --bind=0.0.0.0:5000 app:app", &a));
	assert_int_equal(a.port, 5000);
	assert_string_equal(a.host, "0.0.0.0");
	assert_true(appbind_parse("gunicorn -b[::1]:9000 app:app", &a));
	assert_int_equal(a.kind, GW_ADDR_INET6);
	assert_string_equal(a.host, "::1");
	assert_int_equal(a.port, 9000);
	assert_true(appbind_parse("/srv/venv/bin/uvicorn main:app --host 0.0.0.0 --port 8002", &a));
	assert_int_equal(a.port, 8002);
	assert_true(appbind_parse("uvicorn main:app --uds /run/app/uv.sock", &a));
	assert_string_equal(a.path, "/run/app/uv.sock");
	assert_true(appbind_parse("/srv/venv/bin/gunicorn app:app", &a));   /* gunicorn's default */
	assert_string_equal(a.host, "127.0.0.1");
	assert_int_equal(a.port, 8000);
	assert_true(appbind_parse("python3 manage.py runserver 0.0.0.0:8080", &a));
	assert_int_equal(a.port, 8080);
	assert_true(appbind_parse("uwsgi --http-socket :9090 --module app", &a));
	assert_int_equal(a.port, 9090);
	assert_false(appbind_parse("/usr/sbin/nginx -g daemon on;", &a));
	assert_false(appbind_parse("/usr/bin/python3 /srv/app/worker.py", &a));
}

static void test_bind_matches(void **state)
{
	struct gw_addr b, t;
	(void)state;
	appbind_parse("gunicorn -b 0.0.0.0:8000 a:a", &b);
	memset(&t, 0, sizeof t);
	t.kind = GW_ADDR_INET;
	GW_COPY(t.host, "127.0.0.1");
	t.port = 8000;
	assert_true(addr_bind_matches(&b, &t, ADDR_MATCH_LOOSE));
	t.port = 8001;
	assert_false(addr_bind_matches(&b, &t, ADDR_MATCH_LOOSE));
	appbind_parse("gunicorn -b unix:/run/a.sock a:a", &b);
	memset(&t, 0, sizeof t);
	t.kind = GW_ADDR_UNIX;
	GW_COPY(t.path, "/run/a.sock");
	assert_true(addr_bind_matches(&b, &t, ADDR_MATCH_LOOSE));
	GW_COPY(t.path, "/run/b.sock");
	assert_false(addr_bind_matches(&b, &t, ADDR_MATCH_LOOSE));
}

/* What the probe stores for the rules: the ExecStart bind and the first
 * target it is meant for (loose: the loopback of either family, a name by
 * its port), -1 when none. */
static void test_fill_bind(void **state)
{
	struct gw_snapshot s;
	struct gw_unit u;
	(void)state;
	snapshot_init(&s);
	struct gw_target *t = gw_vec_push(&s.targets);
	t->addr.kind = GW_ADDR_UNIX;
	GW_COPY(t->addr.path, "/run/a.sock");
	t = gw_vec_push(&s.targets);
	t->addr.kind = GW_ADDR_INET6;
	GW_COPY(t->addr.host, "::1");
	t->addr.port = 8000;
	memset(&u, 0, sizeof u);
	GW_COPY(u.exec_start, "/usr/bin/gunicorn -b 127.0.0.1:8000 app:app");
	units_fill_bind(&u, &s);
	assert_true(u.has_bind);
	assert_string_equal(u.bind.host, "127.0.0.1");
	assert_int_equal(u.target_idx, 1);
	GW_COPY(u.exec_start, "/usr/bin/gunicorn -b 10.0.0.5:8000 app:app");
	units_fill_bind(&u, &s);
	assert_true(u.has_bind);
	assert_int_equal(u.target_idx, -1);
	GW_COPY(u.exec_start, "/usr/bin/gunicorn --bind unix:/run/a.sock app:app");
	units_fill_bind(&u, &s);
	assert_int_equal(u.target_idx, 0);
	GW_COPY(u.exec_start, "/srv/app/worker.py");
	units_fill_bind(&u, &s);
	assert_false(u.has_bind);
	assert_int_equal(u.target_idx, -1);
	/* fix: a localhost target is not served by another address's bind
	 * (units_bind_matches trusted the port of every name) */
	GW_COPY(t->addr.host, "localhost");
	t->addr.kind = GW_ADDR_HOST;
	GW_COPY(u.exec_start, "/usr/bin/gunicorn -b 10.0.0.5:8000 app:app");
	units_fill_bind(&u, &s);
	assert_int_equal(u.target_idx, -1);
	GW_COPY(u.exec_start, "/usr/bin/gunicorn -b [::1]:8000 app:app");
	units_fill_bind(&u, &s);
	assert_int_equal(u.target_idx, 1);
	snapshot_free(&s);
}

static void test_env_parse_line(void **state)
{
	char k[64], v[256];
	(void)state;
	assert_true(db_env_parse_line("DATABASE_URL=postgres://u:p@h/db", k, sizeof k, v, sizeof v));
	assert_string_equal(k, "DATABASE_URL");
	assert_string_equal(v, "postgres://u:p@h/db");
	assert_true(db_env_parse_line("export SECRET_KEY=\"a b \\\"c\\\"\"", k, sizeof k, v, sizeof v));
	assert_string_equal(k, "SECRET_KEY");
	assert_string_equal(v, "a b \"c\"");
	assert_true(db_env_parse_line("  DB_HOST = 'db.internal' ", k, sizeof k, v, sizeof v));
	assert_string_equal(k, "DB_HOST");
	assert_string_equal(v, "db.internal");
	assert_false(db_env_parse_line("# comment", k, sizeof k, v, sizeof v));
	assert_false(db_env_parse_line("; comment", k, sizeof k, v, sizeof v));
	assert_false(db_env_parse_line("   ", k, sizeof k, v, sizeof v));
	assert_false(db_env_parse_line("no equals sign", k, sizeof k, v, sizeof v));
	assert_false(db_env_parse_line("1BAD=x", k, sizeof k, v, sizeof v));
}

static void test_mask(void **state)
{
	char out[512];
	(void)state;
	db_mask_url("postgresql://app:S3cret@127.0.0.1:5432/app", out, sizeof out);
	assert_string_equal(out, "postgresql://app:***@127.0.0.1:5432/app");
	db_mask_url("redis://:hunter2@cache:6379/0", out, sizeof out);
	assert_string_equal(out, "redis://:***@cache:6379/0");
	db_mask_url("postgres://db/app?user=a&password=zz&sslmode=require", out, sizeof out);
	assert_string_equal(out, "postgres://db/app?user=a&password=***&sslmode=require");
	db_mask_url("mysql://user@db/app", out, sizeof out);
	assert_string_equal(out, "mysql://user@db/app");
	/* the password may hold '@' */
	db_mask_url("postgres://u:p@ss@h:1/d", out, sizeof out);
	assert_null(strstr(out, "p@ss"));
	char line[256] = "OperationalError: could not connect: postgres://app:TopSecret@10.0.0.5:5432/app refused";
	db_mask_text(line, sizeof line);
	assert_null(strstr(line, "TopSecret"));
	assert_non_null(strstr(line, "postgres://app:***@10.0.0.5:5432/app refused"));
	char tiny[24] = "x mysql://a:b@c/d";
	db_mask_text(tiny, sizeof tiny);
	assert_null(strstr(tiny, ":b@"));
}

static void test_url_parse(void **state)
{
	struct gw_db_target t;
	(void)state;
	assert_true(db_url_parse("postgresql+psycopg2://app:pw@127.0.0.1:5499/appdb", &t));
	assert_string_equal(t.kind, "postgres");
	assert_int_equal(t.addr.kind, GW_ADDR_INET);
	assert_int_equal(t.addr.port, 5499);
	assert_null(strstr(t.display, "pw@"));
	assert_true(db_url_parse("redis://cache", &t));
	assert_string_equal(t.kind, "redis");
	assert_int_equal(t.addr.kind, GW_ADDR_HOST);
	assert_int_equal(t.addr.port, 6379);
	assert_true(db_url_parse("mysql://u:p@[::1]/x", &t));
	assert_int_equal(t.addr.kind, GW_ADDR_INET6);
	assert_int_equal(t.addr.port, 3306);
	assert_true(db_url_parse("postgres:///app?host=/var/run/postgresql", &t));
	assert_int_equal(t.addr.kind, GW_ADDR_UNIX);
	assert_string_equal(t.addr.path, "/var/run/postgresql/.s.PGSQL.5432");
	assert_false(db_url_parse("sqlite:///db.sqlite3", &t));
	assert_false(db_url_parse("https://example.com/", &t));
	assert_false(db_url_parse("not a url", &t));
}

static void test_env_targets(void **state)
{
	struct gw_snapshot s;
	struct db_env e = { 0 };
	(void)state;
	snapshot_init(&s);
	const char file[] = "# app\nDATABASE_URL=postgres://app:pw1@db1:5432/app\nREDIS_URL=redis://:pw2@127.0.0.1:6380/1\n"
			    "DB_HOST=10.1.1.1\nDB_PORT=3307\nDB_ENGINE=django.db.backends.mysql\nSECRET_KEY=zzz\n";
	db_env_load(&e, file, sizeof file - 1, '\n', "/etc/app.env (EnvironmentFile of app.service)");
	const char environ[] = "PATH=/usr/bin\0POSTGRES_HOST=127.0.0.1\0POSTGRES_PORT=5433\0";
	db_env_load(&e, environ, sizeof environ - 1, '\0', "pid 12");
	assert_int_equal(db_env_targets(&e, &s), 4);
	int seen = 0;
	for (size_t i = 0; i < s.dbs.n; i++) {
		const struct gw_db_target *d = &s.dbs.v[i];
		assert_null(strstr(d->display, "pw1"));
		assert_null(strstr(d->display, "pw2"));
		if (!strcmp(d->kind, "mysql") && d->addr.port == 3307) seen |= 1;
		if (!strcmp(d->kind, "redis") && d->addr.port == 6380) seen |= 2;
		if (!strcmp(d->kind, "postgres") && d->addr.port == 5433) seen |= 4;
		if (!strcmp(d->kind, "postgres") && !strcmp(d->addr.host, "db1")) {
			seen |= 8;
			assert_non_null(strstr(d->source, "DATABASE_URL in /etc/app.env"));
		}
	}
	assert_int_equal(seen, 15);
	/* same address twice: one target */
	assert_int_equal(db_env_targets(&e, &s), 0);
	db_env_free(&e);
	/* fix (issue 18, one equality): a host name in another case is the
	 * same database (db_addr_eq compared names case-sensitively) */
	struct db_env e2 = { 0 };
	const char upper[] = "DATABASE_URL=postgres://app:pw1@DB1:5432/app\n";
	db_env_load(&e2, upper, sizeof upper - 1, '\n', "/etc/other.env");
	assert_int_equal(db_env_targets(&e2, &s), 0);
	db_env_free(&e2);
	snapshot_free(&s);
}

static void test_manager_messages(void **state)
{
	struct gw_log_event ev;
	(void)state;
	const char *m = "gunicorn.service: Failed to load environment files: No such file or directory";
	assert_int_equal(journal_classify_manager(m, strlen(m), &ev), 1);
	assert_int_equal(ev.kind, GW_LOG_APP_CONFIG);
	assert_string_equal(ev.detail, "Failed to load environment files: No such file or directory");
	m = "gunicorn.service: Changing to the requested working directory failed: No such file or directory";
	assert_int_equal(journal_classify_manager(m, strlen(m), &ev), 1);
	m = "gunicorn.service: Main process exited, code=exited, status=1/FAILURE";
	assert_int_equal(journal_classify_manager(m, strlen(m), &ev), 2);
	assert_int_equal(ev.kind, GW_LOG_OTHER);
	m = "Started gunicorn.service - gunicorn daemon.";
	assert_int_equal(journal_classify_manager(m, strlen(m), &ev), 0);
}

/* Real files: a temp dir holds the app, a non-executable "binary", an env file. */
static void test_check_file(void **state)
{
	char dir[] = "/var/tmp/gwtop-units.XXXXXX", path[256], envf[256], bin[256];
	struct gw_unit u;
	struct units_problem pr[8];
	(void)state;
	assert_non_null(mkdtemp(dir));
	gw_fmt(bin, sizeof bin, "%s/gunicorn", dir);
	gw_fmt(envf, sizeof envf, "%s/app.env", dir);
	FILE *f = fopen(bin, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\n", f);
	fclose(f);
	chmod(bin, 0644);                      /* not executable */

	memset(&u, 0, sizeof u);
	u.loaded = 1;
	GW_COPY(u.name, "app.service");
	GW_COPY(u.working_dir, dir);
	gw_fmt(u.exec_start, sizeof u.exec_start, "%s --bind unix:/run/gwtop-test-nodir/app.sock app:app", bin);
	gw_fmt(u.env_files, sizeof u.env_files, "%s -%s/optional.env", envf, dir);
	GW_COPY(u.user, "gwtop-no-such-user");
	int n = units_check_file(&u, pr, 8);
	int kinds = 0;
	for (int i = 0; i < n; i++) {
		kinds |= 1 << pr[i].kind;
		if (pr[i].kind == UP_ENVFILE_MISSING) {
			assert_string_equal(pr[i].path, envf);
			assert_true(pr[i].fatal);
		}
	}
	assert_true(kinds & (1 << UP_EXEC_NOT_EXEC));
	assert_true(kinds & (1 << UP_ENVFILE_MISSING));
	assert_true(kinds & (1 << UP_USER_MISSING));
	assert_true(kinds & (1 << UP_RUNTIME_DIR));
	assert_false(kinds & (1 << UP_WORKDIR_MISSING));

	/* fixed: executable, env file present, no user, RuntimeDirectory= */
	chmod(bin, 0755);
	f = fopen(envf, "w");
	assert_non_null(f);
	fclose(f);
	u.user[0] = '\0';
	u.runtime_directory = 1;
	gw_fmt(path, sizeof path, "%s/app.py", dir);   /* the module of app:app */
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(units_check_file(&u, pr, 8), 0);
	unlink(path);

	/* a working directory that is gone */
	gw_fmt(path, sizeof path, "%s/gone", dir);
	GW_COPY(u.working_dir, path);
	assert_int_equal(units_check_file(&u, pr, 8), 1);
	assert_int_equal(pr[0].kind, UP_WORKDIR_MISSING);
	assert_non_null(strstr(pr[0].text, path));

	unlink(bin);
	unlink(envf);
	rmdir(dir);
}

static void touch(const char *dir, const char *rel)
{
	char path[512];
	gw_fmt(path, sizeof path, "%s/%s", dir, rel);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
}

/* Returns the UP_MODULE_MISSING problem's index, or -1. */
static int module_problem(const struct gw_unit *u, struct units_problem *pr)
{
	int n = units_check_file(u, pr, 8);
	for (int i = 0; i < n; i++)
		if (pr[i].kind == UP_MODULE_MISSING) return i;
	return -1;
}

/* module:app against WorkingDirectory=, --chdir, --pythonpath, packages. */
static void test_check_module(void **state)
{
	char dir[] = "/var/tmp/gwtop-units-mod.XXXXXX", sub[300], pkg[300], inner[320];
	struct gw_unit u;
	struct units_problem pr[8];
	(void)state;
	assert_non_null(mkdtemp(dir));
	gw_fmt(sub, sizeof sub, "%s/src", dir);
	gw_fmt(pkg, sizeof pkg, "%s/proj", dir);
	gw_fmt(inner, sizeof inner, "%s/proj/wsgi.py", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(mkdir(pkg, 0755), 0);
	touch(dir, "app.py");
	touch(sub, "other.py");
	touch(dir, "proj/__init__.py");
	touch(dir, "proj/wsgi.py");

	memset(&u, 0, sizeof u);
	u.loaded = 1;
	GW_COPY(u.name, "gunicorn.service");
	GW_COPY(u.working_dir, dir);
	u.runtime_directory = 1;

	/* the lab's unit: app.py exists */
	GW_COPY(u.exec_start, "/usr/bin/python3 /usr/bin/gunicorn --workers 2 --bind unix:/run/gunicorn/gunicorn.sock "
			      "--umask 007 --group www-data app:app");
	assert_int_equal(module_problem(&u, pr), -1);

	/* a typo: names the module and the directory, fatal */
	GW_COPY(u.exec_start, "/usr/bin/gunicorn -b 127.0.0.1:8000 app_typo:app");
	int i = module_problem(&u, pr);
	assert_true(i >= 0);
	assert_true(pr[i].fatal);
	assert_string_equal(pr[i].path, dir);
	assert_non_null(strstr(pr[i].text, "app_typo"));
	assert_non_null(strstr(pr[i].text, dir));

	/* dotted: package dir + module file; a wrong inner name is caught */
	GW_COPY(u.exec_start, "/usr/bin/gunicorn proj.wsgi:application");
	assert_int_equal(module_problem(&u, pr), -1);
	GW_COPY(u.exec_start, "/usr/bin/gunicorn proj.wsgii:application");
	assert_true(module_problem(&u, pr) >= 0);

	/* uvicorn with a factory call and --app-dir pointing elsewhere */
	GW_COPY(u.exec_start, "/usr/bin/uvicorn --factory other:create_app() --port 9000");
	assert_true(module_problem(&u, pr) >= 0);
	gw_fmt(u.exec_start, sizeof u.exec_start, "/usr/bin/uvicorn --app-dir %s other:create_app --port 9000", sub);
	assert_int_equal(module_problem(&u, pr), -1);

	/* gunicorn --chdir / --pythonpath */
	gw_fmt(u.exec_start, sizeof u.exec_start, "/usr/bin/gunicorn --chdir %s other:app", sub);
	assert_int_equal(module_problem(&u, pr), -1);
	gw_fmt(u.exec_start, sizeof u.exec_start, "/usr/bin/gunicorn --pythonpath /nonexistent,%s other:app", sub);
	assert_int_equal(module_problem(&u, pr), -1);

	/* PYTHONPATH in the environment: cannot tell, no problem */
	GW_COPY(u.exec_start, "/usr/bin/gunicorn app_typo:app");
	GW_COPY(u.environment, "PYTHONPATH=/opt/lib");
	assert_int_equal(module_problem(&u, pr), -1);
	u.environment[0] = '\0';

	/* installed in the system's dist-packages (python3-flask: flask/) */
	GW_COPY(u.exec_start, "/usr/bin/gunicorn flask:app");
	assert_int_equal(module_problem(&u, pr), -1);

	/* not an app server, or option values only: nothing to tell */
	GW_COPY(u.exec_start, "/usr/bin/python3 -c print:x");
	assert_int_equal(module_problem(&u, pr), -1);
	GW_COPY(u.exec_start, "/usr/bin/gunicorn -c python:gconf --bind 127.0.0.1:8000");
	assert_int_equal(module_problem(&u, pr), -1);

	char p[400];
	gw_fmt(p, sizeof p, "%s/app.py", dir); unlink(p);
	gw_fmt(p, sizeof p, "%s/other.py", sub); unlink(p);
	gw_fmt(p, sizeof p, "%s/__init__.py", pkg); unlink(p);
	unlink(inner);
	rmdir(sub);
	rmdir(pkg);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_bind),
		cmocka_unit_test(test_bind_matches),
		cmocka_unit_test(test_fill_bind),
		cmocka_unit_test(test_env_parse_line),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_env_targets),
		cmocka_unit_test(test_manager_messages),
		cmocka_unit_test(test_check_file),
		cmocka_unit_test(test_check_module),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
