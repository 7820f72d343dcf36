/* test_diagnose.c — every diagnosis rule on fixture snapshots.
 * The snapshots are built by hand here: diagnose is a pure function, and
 * these tests pin its verdicts; the real-stack tests (tests/integration)
 * check that the probes produce such snapshots from real faults. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "diagnose.h"
#include "docker.h"
#include "listeners.h"

#define NOW 1800000000.0

static struct gw_snapshot *snap_new(void)
{
	struct gw_snapshot *s = calloc(1, sizeof *s);
	snapshot_init(s);
	s->taken = NOW - 1;
	s->is_root = 1;
	GW_COPY(s->conf.conf_path, "/etc/nginx/nginx.conf");
	s->conf.parsed = s->conf.ok = 1;
	s->nginx.master_pid = 100;
	s->nginx.nworkers = 2;
	s->nginx.last_reload = NOW - 3600;
	GW_COPY(s->nginx.worker_user, "www-data");
	s->ntest.ran = s->ntest.ok = 1;
	struct gw_conf_listen *l = gw_vec_push(&s->conf.listens);
	GW_COPY(l->raw, "127.0.0.1:8080");
	l->addr.kind = GW_ADDR_INET;
	GW_COPY(l->addr.host, "127.0.0.1");
	l->addr.port = 8080;
	struct gw_listener *nl = gw_vec_push(&s->listeners);
	nl->family = AF_INET;
	GW_COPY(nl->addr, "127.0.0.1");
	nl->port = 8080;
	nl->pid = 100;
	struct gw_proc *p = gw_vec_push(&s->procs);
	p->pid = 100; p->ppid = 1; p->role = GW_ROLE_NGINX_MASTER;
	GW_COPY(p->comm, "nginx");
	return s;
}

static void snap_free(struct gw_snapshot *s)
{
	snapshot_free(s);
	free(s);
}

static struct gw_proc *add_app(struct gw_snapshot *s, pid_t pid, const char *cmd)
{
	struct gw_proc *p = gw_vec_push(&s->procs);
	p->pid = pid; p->ppid = 1; p->role = GW_ROLE_GUNICORN_MASTER;
	p->start_time = NOW - 600;
	GW_COPY(p->comm, "gunicorn");
	GW_COPY(p->cmdline, cmd);
	return p;
}

static struct gw_listener *add_listener(struct gw_snapshot *s, int fam, const char *addr, int port,
					const char *path, pid_t pid)
{
	struct gw_listener *l = gw_vec_push(&s->listeners);
	l->family = fam;
	GW_COPY(l->addr, addr);
	l->port = port;
	GW_COPY(l->path, path);
	l->pid = pid;
	return l;
}

static struct gw_target *add_tcp(struct gw_snapshot *s, enum gw_addr_kind k, const char *host, int port)
{
	struct gw_target *t = gw_vec_push(&s->targets);
	t->addr.kind = k;
	GW_COPY(t->addr.host, host);
	t->addr.port = port;
	gw_addr_str(&t->addr, t->display, sizeof t->display);
	GW_COPY(t->directive, "proxy_pass");
	GW_COPY(t->scheme, "http");
	GW_COPY(t->pass_loc.file, "/etc/nginx/sites-enabled/app");
	t->pass_loc.line = 7;
	t->listener_idx = -1;
	t->probed = 1;
	return t;
}

static struct gw_target *add_unix(struct gw_snapshot *s, const char *path)
{
	struct gw_target *t = gw_vec_push(&s->targets);
	t->addr.kind = GW_ADDR_UNIX;
	GW_COPY(t->addr.path, path);
	gw_addr_str(&t->addr, t->display, sizeof t->display);
	GW_COPY(t->directive, "proxy_pass");
	GW_COPY(t->pass_loc.file, "/etc/nginx/sites-enabled/app");
	t->pass_loc.line = 3;
	t->listener_idx = -1;
	t->probed = 1;
	return t;
}

static void ok_target(struct gw_target *t)
{
	t->reachable = t->http_ok = 1;
	t->http_status = 200;
}

static struct gw_log_event *add_event(struct gw_snapshot *s, enum gw_log_kind k, double t,
				      const char *upstream, const char *line)
{
	struct gw_log_event *e = gw_vec_push(&s->events);
	e->kind = k;
	e->time = t;
	e->level = GW_LV_ERROR;
	GW_COPY(e->upstream, upstream);
	GW_COPY(e->line, line);
	GW_COPY(e->source, "nginx-error:/var/log/nginx/error.log");
	return e;
}

/* The matches the probes store in the snapshot (the listeners probe's app
 * binds, the docker probe's containers), then the rules. */
static void run(struct gw_snapshot *s, struct gw_diagnosis *d)
{
	struct gw_diag_config c = { .now = NOW, .recent_window = 300 };
	listeners_match_apps(s);
	docker_match_targets(s);
	diagnose(s, &c, d);
}

static const char *verdict_cause(const struct gw_diagnosis *d)
{
	const struct gw_finding *f = diagnosis_verdict(d);
	return f ? gw_cause_id(f->cause) : "healthy";
}

static int has_evidence(const struct gw_finding *f, const char *needle)
{
	for (int i = 0; i < f->nevidence; i++)
		if (strstr(f->evidence[i], needle)) return 1;
	return strstr(f->summary, needle) != NULL;
}

/* ------------------------------------------------------------------ */

static void test_healthy(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	add_app(s, 200, "/usr/bin/python3 /usr/bin/gunicorn --bind 127.0.0.1:8000 app:app");
	ok_target(add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000));
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "healthy");
	assert_int_equal(d.status, GW_SEV_OK);
	assert_int_equal(d.hops[GW_HOP_NGINX].status, GW_HS_OK);
	assert_int_equal(d.hops[GW_HOP_UPSTREAM].status, GW_HS_OK);
	assert_int_equal(d.hops[GW_HOP_APP].status, GW_HS_OK);
	diagnosis_free(&d);
	snap_free(s);
}

static void test_old_log_lines_are_history(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	add_app(s, 200, "gunicorn --bind 127.0.0.1:8000 app:app");
	ok_target(add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000));
	/* an hour-old timeout and premature close: history, not a fault */
	add_event(s, GW_LOG_TIMEOUT, NOW - 3000, "http://127.0.0.1:8000/", "upstream timed out (110");
	add_event(s, GW_LOG_PREMATURE_CLOSE, NOW - 3000, "http://127.0.0.1:8000/", "prematurely closed");
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "healthy");
	diagnosis_free(&d);
	snap_free(s);
}

static void test_nginx_down(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	s->nginx.master_pid = 0;
	s->procs.n = 0;
	add_app(s, 200, "gunicorn --bind 127.0.0.1:8000 app:app");
	ok_target(add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000));
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "nginx_down");
	assert_int_equal(diagnosis_verdict(&d)->hop, GW_HOP_NGINX);
	assert_int_equal(d.status, GW_SEV_CRIT);
	assert_int_equal(d.hops[GW_HOP_NGINX].status, GW_HS_FAIL);
	diagnosis_free(&d);
	snap_free(s);
}

static void test_upstream_down(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	struct gw_target *t = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000);
	t->err = ECONNREFUSED;
	add_event(s, GW_LOG_CONNECT_REFUSED, NOW - 5, "http://127.0.0.1:8000/",
		  "connect() failed (111: Connection refused) while connecting to upstream");
	run(s, &d);
	const struct gw_finding *f = diagnosis_verdict(&d);
	assert_string_equal(gw_cause_id(f->cause), "upstream_down");
	assert_int_equal(f->hop, GW_HOP_UPSTREAM);
	assert_true(has_evidence(f, "/etc/nginx/sites-enabled/app:7"));
	assert_true(has_evidence(f, "Connection refused"));
	assert_true(f->ncommands > 0 && f->nfix > 0);
	assert_int_equal(d.hops[GW_HOP_UPSTREAM].status, GW_HS_FAIL);
	diagnosis_free(&d);
	snap_free(s);
}

static void test_port_mismatch(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	add_app(s, 200, "gunicorn --bind 127.0.0.1:5000 app:app");
	add_listener(s, AF_INET, "127.0.0.1", 5000, "", 200);
	add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000)->err = ECONNREFUSED;
	run(s, &d);
	const struct gw_finding *f = diagnosis_verdict(&d);
	assert_string_equal(gw_cause_id(f->cause), "port_mismatch");
	assert_true(has_evidence(f, "127.0.0.1:8000"));
	assert_true(has_evidence(f, "127.0.0.1:5000"));
	diagnosis_free(&d);
	snap_free(s);
}

static void test_port_mismatch_from_cmdline_without_root(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	s->is_root = 0;
	add_app(s, 200, "/usr/bin/python3 /usr/bin/gunicorn -b 127.0.0.1:5000 app:app");
	add_listener(s, AF_INET, "127.0.0.1", 5000, "", 0);   /* owner hidden */
	add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000)->err = ECONNREFUSED;
	run(s, &d);
	const struct gw_finding *f = diagnosis_verdict(&d);
	assert_string_equal(gw_cause_id(f->cause), "port_mismatch");
	assert_true(has_evidence(f, "127.0.0.1:5000"));
	diagnosis_free(&d);
	snap_free(s);
}

/* Fixed with the address module (issue 18): the cmdline bind counted as
 * listened when anything listened on its port, on any address (diagnose's
 * addr_listened compared the port only). Here 127.0.0.1:5000 is the app's
 * bind, but what listens on 5000 is 10.0.0.5 (someone else): nothing to
 * name as "the app listens elsewhere". */
static void test_cmdline_bind_needs_its_own_listener(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	s->is_root = 0;
	add_app(s, 200, "/usr/bin/python3 /usr/bin/gunicorn -b 127.0.0.1:5000 app:app");
	add_listener(s, AF_INET, "10.0.0.5", 5000, "", 0);    /* owner hidden, another address */
	add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000)->err = ECONNREFUSED;
	run(s, &d);
	assert_int_equal(s->app_binds.n, 1);
	assert_int_equal(s->app_binds.v[0].listener_idx, -1);
	const struct gw_finding *f = diagnosis_verdict(&d);
	assert_non_null(f);
	assert_string_not_equal(gw_cause_id(f->cause), "port_mismatch");
	assert_false(has_evidence(f, "127.0.0.1:5000"));
	diagnosis_free(&d);
	snap_free(s);
}

static struct gw_proc *add_engine_proc(struct gw_snapshot *s, pid_t pid, pid_t ppid, const char *comm)
{
	struct gw_proc *p = gw_vec_push(&s->procs);
	p->pid = pid; p->ppid = ppid; p->role = GW_ROLE_DOCKER_PROXY;
	p->start_time = NOW - 600;
	GW_COPY(p->comm, comm);
	GW_COPY(p->cmdline, comm);
	return p;
}

static int has_cause(const struct gw_diagnosis *d, const char *cause)
{
	for (size_t i = 0; i < d->findings.n; i++)
		if (!strcmp(gw_cause_id(d->findings.v[i].cause), cause)) return 1;
	return 0;
}

/* Issue 20: with only the Docker engine left (the engine too slow to list
 * its containers), dockerd's own API socket — its role is docker-proxy's —
 * was named as where the app listens: "port_mismatch ... the app listens on
 * unix:/var/tmp/gwtop-docker.XXXX/dockerd/docker.sock (docker-proxy pid N)". */
static void test_engine_socket_is_not_the_app(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	add_engine_proc(s, 300, 1, "dockerd");
	add_engine_proc(s, 310, 1, "containerd")->role = GW_ROLE_OTHER;
	add_listener(s, AF_UNIX, "", 0, "/var/tmp/gwtop-docker.Ab12/dockerd/docker.sock", 300);
	add_listener(s, AF_UNIX, "", 0, "/var/tmp/gwtop-docker.Ab12/dockerd/exec/containerd/containerd.sock", 310);
	add_listener(s, AF_INET, "127.0.0.1", 2375, "", 300);   /* dockerd -H tcp:// */
	GW_COPY(s->docker_error, "the engine at /var/tmp/gwtop-docker.Ab12/slow.sock did not answer within 2.0 s");
	struct gw_target *t = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 40200);
	t->err = ECONNREFUSED;
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "upstream_down");
	assert_false(has_cause(&d, "port_mismatch"));
	diagnosis_free(&d);

	/* a unix target: socket_missing, not dockerd's socket */
	t->addr.kind = GW_ADDR_UNIX;
	GW_COPY(t->addr.path, "/run/app/app.sock");
	t->err = ENOENT; t->perm_checked = 1;
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "socket_missing");
	assert_false(has_cause(&d, "port_mismatch"));
	diagnosis_free(&d);

	/* a docker-proxy's TCP listener is a published port: still the app's */
	t->addr.kind = GW_ADDR_INET;
	t->addr.path[0] = '\0';
	t->err = ECONNREFUSED; t->perm_checked = 0;
	add_engine_proc(s, 320, 300, "docker-proxy");
	add_listener(s, AF_INET, "127.0.0.1", 40210, "", 320);
	run(s, &d);
	const struct gw_finding *f = diagnosis_verdict(&d);
	assert_string_equal(gw_cause_id(f->cause), "port_mismatch");
	assert_true(has_evidence(f, "127.0.0.1:40210"));
	assert_false(has_evidence(f, "docker.sock"));
	diagnosis_free(&d);

	/* the engine answered and no container publishes 40210: a leftover
	 * docker-proxy is no app either */
	s->docker_available = 1;
	s->docker_error[0] = '\0';
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "upstream_down");
	diagnosis_free(&d);

	/* ... and with a container publishing it, it is */
	struct gw_container *c = gw_vec_push(&s->containers);
	GW_COPY(c->name, "app-b1");
	GW_COPY(c->state, "running");
	c->nports = 1;
	c->ports[0].container_port = 8000;
	c->ports[0].host_port = 40210;
	GW_COPY(c->ports[0].host_ip, "127.0.0.1");
	GW_COPY(c->ports[0].proto, "tcp");
	run(s, &d);
	assert_true(has_cause(&d, "port_mismatch") || has_cause(&d, "container_port_mismatch"));
	diagnosis_free(&d);
	snap_free(s);
}

static void test_ip_family(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	add_app(s, 200, "gunicorn --bind 127.0.0.1:8000 app:app");
	add_listener(s, AF_INET, "127.0.0.1", 8000, "", 200);
	add_tcp(s, GW_ADDR_INET6, "::1", 8000)->err = ECONNREFUSED;
	run(s, &d);
	const struct gw_finding *f = diagnosis_verdict(&d);
	assert_string_equal(gw_cause_id(f->cause), "ip_family_mismatch");
	assert_true(has_evidence(f, "[::1]:8000"));
	assert_true(has_evidence(f, "IPv6"));
	diagnosis_free(&d);
	snap_free(s);
}

static void test_socket_missing(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	struct gw_target *t = add_unix(s, "/run/gunicorn/gunicorn.sock");
	t->err = ENOENT;
	t->perm_checked = 1;
	t->exists = 0;
	run(s, &d);
	const struct gw_finding *f = diagnosis_verdict(&d);
	assert_string_equal(gw_cause_id(f->cause), "socket_missing");
	assert_true(has_evidence(f, "/run/gunicorn/gunicorn.sock"));
	diagnosis_free(&d);
	snap_free(s);
}

static void test_socket_path_mismatch(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	add_app(s, 200, "gunicorn --bind unix:/run/app/other.sock app:app");
	add_listener(s, AF_UNIX, "", 0, "/run/app/other.sock", 200);
	struct gw_target *t = add_unix(s, "/run/app/app.sock");
	t->err = ENOENT; t->perm_checked = 1;
	run(s, &d);
	const struct gw_finding *f = diagnosis_verdict(&d);
	assert_string_equal(gw_cause_id(f->cause), "port_mismatch");
	assert_true(has_evidence(f, "/run/app/other.sock"));
	diagnosis_free(&d);
	snap_free(s);
}

static void test_socket_permission(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	add_app(s, 200, "gunicorn --bind unix:/srv/app/run/app.sock app:app");
	struct gw_target *t = add_unix(s, "/srv/app/run/app.sock");
	ok_target(t);                      /* root could connect ... */
	t->perm_checked = 1; t->exists = 1; t->perm_ok = 0;   /* ... the workers cannot */
	GW_COPY(t->perm_path, "/srv/app/run");
	GW_COPY(t->perm_detail, "drwx------ root root /srv/app/run: www-data has no search (x) permission");
	run(s, &d);
	const struct gw_finding *f = diagnosis_verdict(&d);
	assert_string_equal(gw_cause_id(f->cause), "socket_permission");
	assert_int_equal(f->hop, GW_HOP_UPSTREAM);
	assert_true(has_evidence(f, "/srv/app/run"));
	assert_true(has_evidence(f, "www-data"));
	assert_int_equal(d.status, GW_SEV_CRIT);
	diagnosis_free(&d);
	snap_free(s);
}

static void test_boot_failure_refines_down(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000)->err = ECONNREFUSED;
	struct gw_log_event *e = add_event(s, GW_LOG_APP_MODULE_NOT_FOUND, NOW - 20, "",
		"ModuleNotFoundError: No module named 'psycopg2'");
	GW_COPY(e->detail, "ModuleNotFoundError: No module named 'psycopg2'");
	GW_COPY(e->source, "app:/var/log/app.log");
	run(s, &d);
	const struct gw_finding *f = diagnosis_verdict(&d);
	assert_string_equal(gw_cause_id(f->cause), "app_boot_failure");
	assert_int_equal(f->hop, GW_HOP_APP);
	assert_non_null(strstr(f->summary, "psycopg2"));
	assert_true(has_evidence(f, "127.0.0.1:8000"));
	diagnosis_free(&d);
	snap_free(s);
}

static void test_boot_failure_before_restart_is_history(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	add_app(s, 200, "gunicorn --bind 127.0.0.1:5000 app:app")->start_time = NOW - 30;
	add_listener(s, AF_INET, "127.0.0.1", 5000, "", 200);
	add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000)->err = ECONNREFUSED;
	/* the import error happened before the running app started: not the cause now */
	add_event(s, GW_LOG_APP_MODULE_NOT_FOUND, NOW - 100, "", "ModuleNotFoundError: x");
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "port_mismatch");
	diagnosis_free(&d);
	snap_free(s);
}

static void test_boot_failure_names_why_in_restart_loop(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	/* a master just restarted (crash loop); the import error came from the
	 * attempt before, "Worker failed to boot" from this one */
	add_app(s, 200, "gunicorn --bind 127.0.0.1:8000 app:app")->start_time = NOW - 1;
	add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000)->err = ECONNREFUSED;
	struct gw_log_event *e = add_event(s, GW_LOG_APP_MODULE_NOT_FOUND, NOW - 4, "",
		"ModuleNotFoundError: No module named 'gwtop_no_such_module'");
	GW_COPY(e->detail, "ModuleNotFoundError: No module named 'gwtop_no_such_module'");
	GW_COPY(e->source, "journal:gunicorn.service");
	e = add_event(s, GW_LOG_APP_WORKER_BOOT, NOW - 0.5, "", "[ERROR] Worker failed to boot.");
	GW_COPY(e->detail, "Worker failed to boot.");
	GW_COPY(e->source, "journal:gunicorn.service");
	run(s, &d);
	const struct gw_finding *f = diagnosis_verdict(&d);
	assert_string_equal(gw_cause_id(f->cause), "app_boot_failure");
	assert_non_null(strstr(f->summary, "gwtop_no_such_module"));
	diagnosis_free(&d);
	snap_free(s);
}

static void test_worker_timeout_premature_close(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	add_app(s, 200, "gunicorn --bind 127.0.0.1:8000 --timeout 2 app:app");
	ok_target(add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000));
	add_event(s, GW_LOG_PREMATURE_CLOSE, NOW - 10, "http://127.0.0.1:8000/slow",
		  "upstream prematurely closed connection while reading response header from upstream");
	add_event(s, GW_LOG_APP_WORKER_TIMEOUT, NOW - 10, "", "[CRITICAL] WORKER TIMEOUT (pid:201)");
	run(s, &d);
	const struct gw_finding *f = diagnosis_verdict(&d);
	assert_string_equal(gw_cause_id(f->cause), "app_crash_during_request");
	assert_int_equal(f->hop, GW_HOP_APP);
	assert_true(has_evidence(f, "WORKER TIMEOUT"));
	diagnosis_free(&d);
	snap_free(s);
}

static void test_read_timeout_504(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	add_app(s, 200, "gunicorn --bind 127.0.0.1:8000 app:app");
	ok_target(add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000));
	struct gw_conf_setting *cs = gw_vec_push(&s->conf.settings);
	GW_COPY(cs->directive, "proxy_read_timeout");
	GW_COPY(cs->value, "1s");
	GW_COPY(cs->loc.file, "/etc/nginx/sites-enabled/app");
	cs->loc.line = 9;
	add_event(s, GW_LOG_TIMEOUT, NOW - 10, "http://127.0.0.1:8000/slow",
		  "upstream timed out (110: Connection timed out) while reading response header from upstream");
	run(s, &d);
	const struct gw_finding *f = diagnosis_verdict(&d);
	assert_string_equal(gw_cause_id(f->cause), "upstream_timeout");
	assert_true(has_evidence(f, "proxy_read_timeout 1s"));
	diagnosis_free(&d);
	snap_free(s);
}

static void test_reset_without_answer(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	struct gw_target *t = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000);
	t->reachable = 1;
	GW_COPY(t->error, "Recv failure: Connection reset by peer");
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "app_crash_during_request");
	assert_int_equal(d.status, GW_SEV_CRIT);
	diagnosis_free(&d);
	/* garbage instead of HTTP */
	GW_COPY(t->error, "Received HTTP/0.9 when not allowed");
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "upstream_invalid_response");
	diagnosis_free(&d);
	snap_free(s);
}

static void test_ntest_cannot_run_is_not_a_config_fault(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	ok_target(add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000));
	s->ntest.ok = 0;
	s->ntest.exit_code = 127;
	GW_COPY(s->ntest.output, "cannot execute /nonexistent: No such file or directory");
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "healthy");
	diagnosis_free(&d);
	s->ntest.exit_code = -1;
	GW_COPY(s->ntest.output, "nginx: the configuration file syntax is ok\nnginx -t timed out after 10 s");
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "nginx_config_invalid");
	assert_int_equal(d.status, GW_SEV_WARN);
	diagnosis_free(&d);
	snap_free(s);
}

static void test_hanging_app(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	struct gw_target *t = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000);
	t->reachable = 1; t->timed_out = 1;
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "upstream_timeout");
	diagnosis_free(&d);
	snap_free(s);
}

static void test_overloaded_queue(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	struct gw_listener *l = add_listener(s, AF_INET, "127.0.0.1", 8000, "", 200);
	l->queue = 5; l->backlog = 5;
	struct gw_target *t = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000);
	t->reachable = 1; t->timed_out = 1;
	t->listener_idx = (int)s->listeners.n - 1;
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "upstream_overloaded");
	diagnosis_free(&d);
	snap_free(s);
}

static void test_invalid_response(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	ok_target(add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000));
	add_event(s, GW_LOG_BIG_HEADER, NOW - 3, "http://127.0.0.1:8000/",
		  "upstream sent too big header while reading response header from upstream");
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "upstream_header_too_big");
	const struct gw_finding *v = diagnosis_verdict(&d);
	assert_int_equal(gw_cause_info(v->cause)->client_status, 502);
	assert_true(has_evidence(v, "proxy_buffer_size is not set: the default 4k|8k"));
	diagnosis_free(&d);
	snap_free(s);

	/* a proxy_buffer_size in the target's location is named with file:line */
	s = snap_new();
	struct gw_target *t = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000);
	ok_target(t);
	gw_strlcpy(t->location, "/", sizeof t->location);
	gw_strlcpy(t->directive, "proxy_pass", sizeof t->directive);
	gw_strlcpy(t->pass_loc.file, "/etc/nginx/sites-enabled/app", sizeof t->pass_loc.file);
	struct gw_conf_setting *cs = gw_vec_push(&s->conf.settings);
	gw_strlcpy(cs->directive, "proxy_buffer_size", sizeof cs->directive);
	gw_strlcpy(cs->value, "1k", sizeof cs->value);
	gw_strlcpy(cs->context, "location /", sizeof cs->context);
	gw_strlcpy(cs->loc.file, "/etc/nginx/sites-enabled/app", sizeof cs->loc.file);
	cs->loc.line = 12;
	add_event(s, GW_LOG_BIG_HEADER, NOW - 3, "http://127.0.0.1:8000/",
		  "upstream sent too big header while reading response header from upstream");
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "upstream_header_too_big");
	assert_true(has_evidence(diagnosis_verdict(&d), "proxy_buffer_size 1k at /etc/nginx/sites-enabled/app:12"));
	diagnosis_free(&d);
	snap_free(s);
}

/* proxy_pass https:// to a plain-HTTP app: the handshake hangs (the probe
 * times out like a slow app), plain HTTP answers: upstream_tls_failure, not
 * upstream_timeout. A certificate the config refuses: the same cause. */
static void test_tls_failure(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	struct gw_target *t = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000);
	gw_strlcpy(t->scheme, "https", sizeof t->scheme);
	gw_strlcpy(t->directive, "proxy_pass", sizeof t->directive);
	gw_strlcpy(t->pass_loc.file, "/etc/nginx/sites-enabled/app", sizeof t->pass_loc.file);
	t->pass_loc.line = 9;
	t->probed = t->reachable = t->timed_out = 1;
	t->plain_probed = 1;
	t->plain_status = 200;
	add_event(s, GW_LOG_TLS, NOW - 3, "https://127.0.0.1:8000/",
		  "upstream timed out (110: Connection timed out) while SSL handshaking to upstream");
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "upstream_tls_failure");
	const struct gw_finding *v = diagnosis_verdict(&d);
	assert_true(has_evidence(v, "plain HTTP to 127.0.0.1:8000: HTTP 200"));
	assert_non_null(strstr(v->fix[0], "use http:// in proxy_pass (/etc/nginx/sites-enabled/app:9)"));
	for (size_t i = 0; i < d.findings.n; i++)
		assert_int_not_equal(d.findings.v[i].cause, GW_CAUSE_UPSTREAM_TIMEOUT);
	diagnosis_free(&d);
	snap_free(s);

	s = snap_new();
	t = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8443);
	ok_target(t);
	gw_strlcpy(t->scheme, "https", sizeof t->scheme);
	add_event(s, GW_LOG_TLS, NOW - 3, "https://127.0.0.1:8443/",
		  "upstream SSL certificate verify error: (18:self-signed certificate) while SSL handshaking to upstream");
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "upstream_tls_failure");
	assert_non_null(strstr(diagnosis_verdict(&d)->fix[0], "proxy_ssl_trusted_certificate"));
	diagnosis_free(&d);
	snap_free(s);

	/* an http:// target never gets it */
	s = snap_new();
	ok_target(add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000));
	run(s, &d);
	for (size_t i = 0; i < d.findings.n; i++)
		assert_int_not_equal(d.findings.v[i].cause, GW_CAUSE_UPSTREAM_TLS_FAILURE);
	diagnosis_free(&d);
	snap_free(s);
}

/* no live upstreams while both servers answer: nginx still counts them
 * failed; with one server refusing it is the servers, not the marks */
static void test_marked_down(void **st)
{
	(void)st;
	for (int still_down = 0; still_down <= 1; still_down++) {
		struct gw_snapshot *s = snap_new();
		struct gw_diagnosis d;
		struct gw_conf_upstream *up = gw_vec_push(&s->conf.upstreams);
		gw_strlcpy(up->name, "app_pool", sizeof up->name);
		for (int k = 0; k < 2; k++) {
			struct gw_conf_upstream_server *sv = gw_vec_push(&up->servers);
			gw_fmt(sv->raw, sizeof sv->raw, "127.0.0.1:%d", 8000 + k);
			sv->max_fails = 1;
			sv->fail_timeout = 60;
			gw_strlcpy(sv->loc.file, "/etc/nginx/conf.d/pool.conf", sizeof sv->loc.file);
			sv->loc.line = 2 + k;
			struct gw_target *t = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000 + k);
			gw_strlcpy(t->upstream_name, "app_pool", sizeof t->upstream_name);
			if (still_down && k == 1) { t->reachable = 0; t->err = ECONNREFUSED; }
			else ok_target(t);
		}
		add_event(s, GW_LOG_CONNECT_REFUSED, NOW - 20, "http://127.0.0.1:8000/",
			  "connect() failed (111: Connection refused) while connecting to upstream");
		add_event(s, GW_LOG_NO_LIVE, NOW - 3, "http://app_pool/",
			  "no live upstreams while connecting to upstream");
		run(s, &d);
		int found = 0;
		for (size_t i = 0; i < d.findings.n; i++)
			found |= d.findings.v[i].cause == GW_CAUSE_UPSTREAM_MARKED_DOWN;
		if (still_down) {
			assert_false(found);
		} else {
			assert_string_equal(verdict_cause(&d), "upstream_marked_down");
			const struct gw_finding *v = diagnosis_verdict(&d);
			assert_true(has_evidence(v, "server 127.0.0.1:8001 max_fails=1 fail_timeout=60s (/etc/nginx/conf.d/pool.conf:3)"));
			assert_true(has_evidence(v, "127.0.0.1:8000: last failed at"));
			assert_non_null(strstr(v->fix[0], "wait fail_timeout (60s), or reload nginx"));
		}
		diagnosis_free(&d);
		snap_free(s);
	}
}

static struct gw_conf_setting *add_main_setting(struct gw_snapshot *s, const char *dir, const char *v, double num, int line)
{
	struct gw_conf_setting *cs = gw_vec_push(&s->conf.settings);
	gw_strlcpy(cs->directive, dir, sizeof cs->directive);
	gw_strlcpy(cs->value, v, sizeof cs->value);
	cs->value_num = num;
	gw_strlcpy(cs->context, "main", sizeof cs->context);
	gw_strlcpy(cs->loc.file, "/etc/nginx/nginx.conf", sizeof cs->loc.file);
	cs->loc.line = line;
	return cs;
}

/* the workers' limits: connection slots, open files (the worker's
 * /proc/PID/limits and fd count as procs read them) */
static void test_nginx_limits(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	ok_target(add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000));
	add_main_setting(s, "worker_connections", "16", 16, 8);
	add_main_setting(s, "worker_processes", "2", 2, 3);
	add_event(s, GW_LOG_WORKER_CONNECTIONS, NOW - 3, "http://127.0.0.1:8000/",
		  "16 worker_connections are not enough while connecting to upstream");
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "worker_connections_exhausted");
	const struct gw_finding *v = diagnosis_verdict(&d);
	assert_non_null(strstr(v->summary, "16 worker_connections x 2 workers = 32 connections"));
	assert_true(has_evidence(v, "worker_connections 16 (/etc/nginx/nginx.conf:8)"));
	assert_int_equal(gw_cause_info(v->cause)->client_status, 500);
	assert_int_equal(v->severity, GW_SEV_CRIT);
	diagnosis_free(&d);
	snap_free(s);

	/* only "reusing connections": no request failed, a warning */
	s = snap_new();
	ok_target(add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000));
	add_event(s, GW_LOG_WORKER_CONNECTIONS, NOW - 3, "", "16 worker_connections are not enough, reusing connections");
	run(s, &d);
	const struct gw_finding *w = NULL;
	for (size_t i = 0; i < d.findings.n; i++)
		if (d.findings.v[i].cause == GW_CAUSE_WORKER_CONNECTIONS_EXHAUSTED) w = &d.findings.v[i];
	assert_non_null(w);
	assert_int_equal(w->severity, GW_SEV_WARN);
	diagnosis_free(&d);
	snap_free(s);

	s = snap_new();
	ok_target(add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000));
	add_main_setting(s, "worker_rlimit_nofile", "11", 11, 6);
	s->nginx.limits_pid = 4242;
	s->nginx.nofile_soft = s->nginx.nofile_hard = 11;
	s->nginx.nfds = 11;
	add_event(s, GW_LOG_FD_LIMIT, NOW - 3, "http://127.0.0.1:8000/",
		  "socket() failed (24: Too many open files) while connecting to upstream");
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "fd_exhausted");
	v = diagnosis_verdict(&d);
	assert_true(has_evidence(v, "worker_rlimit_nofile 11 (/etc/nginx/nginx.conf:6)"));
	assert_true(has_evidence(v, "worker 4242: Max open files 11 (hard 11), 11 open now"));
	assert_true(has_evidence(v, "below twice worker_connections (512)"));
	diagnosis_free(&d);

	s->nginx.nfds = -1;                        /* not root: said so */
	run(s, &d);
	assert_true(has_evidence(diagnosis_verdict(&d), "its open fds need root to count"));
	diagnosis_free(&d);
	snap_free(s);
}

/* (99: Cannot assign requested address): the port range and the
 * connections to the target that hold it */
static void test_local_ports(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	struct gw_target *t = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000);
	t->probed = 0;
	gw_strlcpy(t->error, "not probed: gwtop could not open a socket (Cannot assign requested address)", sizeof t->error);
	t->conns_counted = 1;
	t->conns_timewait = 2;
	s->port_range_lo = 40000;
	s->port_range_hi = 40001;
	add_event(s, GW_LOG_ADDR_NOTAVAIL, NOW - 3, "http://127.0.0.1:8000/",
		  "connect() to 127.0.0.1:8000 failed (99: Cannot assign requested address) while connecting to upstream");
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "local_ports_exhausted");
	const struct gw_finding *v = diagnosis_verdict(&d);
	assert_true(has_evidence(v, "net.ipv4.ip_local_port_range 40000 40001: 2 local ports"));
	assert_true(has_evidence(v, "2 in TIME-WAIT, 0 open (the whole range)"));
	assert_non_null(strstr(v->fix[0], "keepalive"));
	diagnosis_free(&d);
	snap_free(s);
}

/* resets on a reused upstream connection, the app healthy, its keep-alive
 * (gunicorn --keep-alive 1) shorter than nginx's (60s default):
 * upstream_keepalive_race; without keepalive in the upstream, or with a
 * worker killed, it stays app_crash_during_request */
static void test_keepalive_race(void **st)
{
	(void)st;
	for (int variant = 0; variant < 3; variant++) {
		struct gw_snapshot *s = snap_new();
		struct gw_diagnosis d;
		struct gw_conf_upstream *up = gw_vec_push(&s->conf.upstreams);
		gw_strlcpy(up->name, "app_pool", sizeof up->name);
		up->keepalive = variant == 1 ? 0 : 4;
		up->keepalive_timeout = -1;
		gw_strlcpy(up->keepalive_loc.file, "/etc/nginx/conf.d/app.conf", sizeof up->keepalive_loc.file);
		up->keepalive_loc.line = 3;
		struct gw_proc *p = gw_vec_push(&s->procs);
		p->pid = 700;
		p->role = GW_ROLE_GUNICORN_MASTER;
		gw_strlcpy(p->cmdline, "/usr/bin/python3 /usr/bin/gunicorn --threads 2 --keep-alive 1 app:app", sizeof p->cmdline);
		struct gw_listener *l = gw_vec_push(&s->listeners);
		l->family = AF_INET;
		l->port = 8000;
		l->pid = 700;
		struct gw_target *t = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000);
		ok_target(t);
		t->listener_idx = (int)s->listeners.n - 1;
		gw_strlcpy(t->upstream_name, "app_pool", sizeof t->upstream_name);
		add_event(s, GW_LOG_RESET, NOW - 3, "http://127.0.0.1:8000/",
			  "recv() failed (104: Connection reset by peer) while reading response header from upstream");
		if (variant == 2) add_event(s, GW_LOG_APP_WORKER_KILLED, NOW - 4, "", "Worker (pid:7) was sent SIGKILL! Perhaps out of memory?");
		run(s, &d);
		if (variant == 0) {
			assert_string_equal(verdict_cause(&d), "upstream_keepalive_race");
			const struct gw_finding *v = diagnosis_verdict(&d);
			assert_true(has_evidence(v, "keepalive 4 in upstream app_pool (/etc/nginx/conf.d/app.conf:3)"));
			assert_true(has_evidence(v, "gunicorn --keep-alive 1s"));
			assert_non_null(strstr(v->fix[0], "keepalive_timeout 0.5s; in upstream app_pool"));
		} else {
			assert_string_not_equal(verdict_cause(&d), "upstream_keepalive_race");
		}
		diagnosis_free(&d);
		snap_free(s);
	}
}

static void test_config_invalid(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	ok_target(add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000));
	s->ntest.ok = 0;
	s->ntest.exit_code = 1;
	GW_COPY(s->ntest.output, "nginx: [emerg] unexpected \"}\" in /etc/nginx/sites-enabled/app:12\n"
				 "nginx: configuration file /etc/nginx/nginx.conf test failed\n");
	GW_COPY(s->ntest.error_file, "/etc/nginx/sites-enabled/app");
	s->ntest.error_line = 12;
	run(s, &d);
	const struct gw_finding *f = diagnosis_verdict(&d);
	assert_string_equal(gw_cause_id(f->cause), "nginx_config_invalid");
	assert_int_equal(f->hop, GW_HOP_NGINX);
	assert_true(has_evidence(f, "/etc/nginx/sites-enabled/app:12"));
	assert_int_equal(d.status, GW_SEV_CRIT);
	diagnosis_free(&d);
	snap_free(s);
}

static void test_resolve_failure_from_ntest(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	s->ntest.ok = 0;
	GW_COPY(s->ntest.output, "nginx: [emerg] host not found in upstream \"appserver:8000\" in /etc/nginx/sites-enabled/app:4\n");
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "upstream_resolve_failure");
	diagnosis_free(&d);
	snap_free(s);
}

static void test_config_stale_is_warning(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	add_app(s, 200, "gunicorn --bind 127.0.0.1:8000 app:app");
	add_listener(s, AF_INET, "127.0.0.1", 8000, "", 200);
	s->nginx.stale = 1;
	GW_COPY(s->nginx.stale_file, "/etc/nginx/sites-enabled/app");
	s->nginx.stale_mtime = (time_t)(NOW - 60);
	/* the edited config points at a port nobody serves; running nginx still uses the old one */
	add_tcp(s, GW_ADDR_INET, "127.0.0.1", 9999)->err = ECONNREFUSED;
	run(s, &d);
	const struct gw_finding *f = diagnosis_verdict(&d);
	assert_string_equal(gw_cause_id(f->cause), "nginx_config_stale");
	assert_int_equal(d.status, GW_SEV_WARN);
	assert_true(has_evidence(f, "/etc/nginx/sites-enabled/app"));
	diagnosis_free(&d);
	snap_free(s);
}

static void test_partial_upstream_is_warning(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	add_app(s, 200, "gunicorn --bind 127.0.0.1:8001 app:app");
	struct gw_target *a = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8001);
	struct gw_target *b = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8002);
	ok_target(a);
	GW_COPY(a->upstream_name, "backend");
	GW_COPY(b->upstream_name, "backend");
	b->err = ECONNREFUSED;
	run(s, &d);
	const struct gw_finding *f = diagnosis_verdict(&d);
	assert_string_equal(gw_cause_id(f->cause), "upstream_down");
	assert_int_equal(f->severity, GW_SEV_WARN);
	assert_int_equal(d.status, GW_SEV_WARN);
	assert_true(has_evidence(f, "127.0.0.1:8002"));
	diagnosis_free(&d);
	snap_free(s);
}

static void test_oom(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	add_app(s, 200, "gunicorn --bind 127.0.0.1:8000 app:app");
	ok_target(add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000));
	add_event(s, GW_LOG_PREMATURE_CLOSE, NOW - 10, "http://127.0.0.1:8000/", "upstream prematurely closed connection");
	struct gw_log_event *e = add_event(s, GW_LOG_OOM_KILL, NOW - 11, "",
		"Out of memory: Killed process 201 (gunicorn) total-vm:812345kB");
	GW_COPY(e->detail, "gunicorn");
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "oom_killed");
	diagnosis_free(&d);
	snap_free(s);
}

static void test_unknown(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	s->unknown = 1;
	GW_COPY(s->unknown_reason, "--nginx-conf /nope: No such file or directory");
	run(s, &d);
	assert_int_equal(d.unknown, 1);
	assert_non_null(strstr(d.unknown_reason, "/nope"));
	diagnosis_free(&d);
	snap_free(s);
}

static void test_first_hop_wins(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	/* nginx down AND the app down: the verdict is the first hop */
	s->nginx.master_pid = 0;
	add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000)->err = ECONNREFUSED;
	run(s, &d);
	assert_string_equal(verdict_cause(&d), "nginx_down");
	assert_true(d.findings.n >= 2);
	assert_string_equal(gw_cause_id(d.findings.v[1].cause), "upstream_down");
	diagnosis_free(&d);
	snap_free(s);
}

/* Diagnose is the one judge of a target: the path pane, the tour and the
 * report render d->targets. A socket the workers may not reach fails
 * whether or not the probe ran, and the upstream hop agrees. */
static void test_target_states(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	struct gw_target *perm = add_unix(s, "/srv/app/run/app.sock");
	perm->probed = 0;                  /* never probed */
	perm->perm_checked = 1; perm->exists = 1; perm->perm_ok = 0;
	GW_COPY(perm->perm_path, "/srv/app/run");
	struct gw_target *ok = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000);
	ok_target(ok);
	struct gw_target *err5 = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8001);
	ok_target(err5);
	err5->http_status = 503;
	struct gw_target *down = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8002);   /* refused, marked down */
	down->down = 1;
	struct gw_target *slow = add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8003);
	slow->reachable = 1; slow->timed_out = 1;
	run(s, &d);
	assert_int_equal(d.targets.n, 5);
	assert_int_equal(d.targets.v[0].state, GW_HS_FAIL);
	assert_int_equal(d.targets.v[0].why, GW_TW_PERMISSION);
	assert_int_equal(d.targets.v[0].probe, GW_PROBE_NOT_RUN);
	assert_int_equal(d.hops[GW_HOP_UPSTREAM].status, GW_HS_FAIL);
	assert_non_null(diagnosis_verdict(&d));
	assert_string_equal(gw_cause_id(diagnosis_verdict(&d)->cause), "socket_permission");
	assert_int_equal(d.targets.v[1].state, GW_HS_OK);
	assert_int_equal(d.targets.v[1].probe, GW_PROBE_HTTP);
	assert_int_equal(d.targets.v[2].state, GW_HS_WARN);        /* answers 503 */
	assert_int_equal(d.targets.v[3].state, GW_HS_UNKNOWN);     /* marked down: never a failure */
	assert_int_equal(d.targets.v[3].probe, GW_PROBE_CONNECT_FAILED);
	assert_true(d.targets.v[3].nothing_listens);
	assert_int_equal(d.targets.v[4].state, GW_HS_FAIL);
	assert_int_equal(d.targets.v[4].why, GW_TW_TIMED_OUT);
	assert_int_equal(d.targets.v[4].probe, GW_PROBE_ANSWER_TIMEOUT);
	assert_int_equal(d.checklist[GW_CHECK_DIRECT_PROBE], GW_HS_FAIL);
	assert_int_equal(d.checklist[GW_CHECK_SOCKET], GW_HS_FAIL);
	assert_int_equal(d.checklist[GW_CHECK_CONFIG_VALID], GW_HS_OK);
	assert_int_equal(d.checklist[GW_CHECK_HEALTH_ENDPOINT], GW_HS_OK);
	diagnosis_free(&d);
	assert_int_equal(d.targets.n, 0);
	snap_free(s);
}

/* A socket that is not there fails before any probe ran, in the pane and
 * in the hop alike (socket_missing); a `down` server's does not. */
static void test_missing_socket_unprobed(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	struct gw_target *t = add_unix(s, "/run/app/app.sock");
	t->probed = 0;
	t->perm_checked = 1;
	t->exists = 0;
	run(s, &d);
	assert_int_equal(d.targets.v[0].state, GW_HS_FAIL);
	assert_int_equal(d.targets.v[0].why, GW_TW_SOCKET_MISSING);
	assert_int_equal(d.hops[GW_HOP_UPSTREAM].status, GW_HS_FAIL);
	assert_string_equal(verdict_cause(&d), "socket_missing");
	diagnosis_free(&d);
	t->down = 1;
	run(s, &d);
	assert_int_equal(d.targets.v[0].state, GW_HS_UNKNOWN);
	assert_string_equal(verdict_cause(&d), "healthy");
	diagnosis_free(&d);
	snap_free(s);
}

/* The window every "current" in the panes means, and the one memory
 * threshold (the oom_killed warning and the tour's resource check). */
static void test_window_and_memory(void **st)
{
	(void)st;
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	ok_target(add_tcp(s, GW_ADDR_INET, "127.0.0.1", 8000));
	s->nginx.last_reload = NOW - 60;
	s->mem.ok = 1;
	s->mem.total_kb = 1000000;
	s->mem.available_kb = 80000;      /* 8 %: above the threshold */
	run(s, &d);
	assert_true(d.window == 300);
	assert_true(d.since == NOW - 300);
	assert_true(d.since_nginx == NOW - 61);
	assert_int_equal(d.checklist[GW_CHECK_RESOURCES], GW_HS_OK);
	assert_int_equal(d.checklist[GW_CHECK_NO_LOG_ERRORS], GW_HS_OK);
	assert_null(diagnosis_verdict(&d));
	diagnosis_free(&d);
	s->mem.available_kb = 40000;      /* 4 %: the warning and the checklist agree */
	add_event(s, GW_LOG_CONNECT_REFUSED, NOW - 10, "", "connect() failed (111: Connection refused)");
	run(s, &d);
	assert_int_equal(d.checklist[GW_CHECK_RESOURCES], GW_HS_WARN);
	assert_int_equal(d.checklist[GW_CHECK_NO_LOG_ERRORS], GW_HS_FAIL);
	int warned = 0;
	for (size_t i = 0; i < d.findings.n; i++)
		warned |= d.findings.v[i].cause == GW_CAUSE_OOM_KILLED;
	assert_true(warned);
	diagnosis_free(&d);
	add_event(s, GW_LOG_OOM_KILL, NOW - 20, "", "Out of memory: Killed process 4242 (gunicorn)");
	run(s, &d);
	assert_int_equal(d.checklist[GW_CHECK_RESOURCES], GW_HS_FAIL);   /* a kill fails it */
	diagnosis_free(&d);
	snap_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy),
		cmocka_unit_test(test_old_log_lines_are_history),
		cmocka_unit_test(test_nginx_down),
		cmocka_unit_test(test_upstream_down),
		cmocka_unit_test(test_port_mismatch),
		cmocka_unit_test(test_port_mismatch_from_cmdline_without_root),
		cmocka_unit_test(test_cmdline_bind_needs_its_own_listener),
		cmocka_unit_test(test_engine_socket_is_not_the_app),
		cmocka_unit_test(test_ip_family),
		cmocka_unit_test(test_socket_missing),
		cmocka_unit_test(test_socket_path_mismatch),
		cmocka_unit_test(test_socket_permission),
		cmocka_unit_test(test_boot_failure_refines_down),
		cmocka_unit_test(test_boot_failure_before_restart_is_history),
		cmocka_unit_test(test_boot_failure_names_why_in_restart_loop),
		cmocka_unit_test(test_worker_timeout_premature_close),
		cmocka_unit_test(test_read_timeout_504),
		cmocka_unit_test(test_hanging_app),
		cmocka_unit_test(test_reset_without_answer),
		cmocka_unit_test(test_ntest_cannot_run_is_not_a_config_fault),
		cmocka_unit_test(test_overloaded_queue),
		cmocka_unit_test(test_invalid_response),
		cmocka_unit_test(test_tls_failure),
		cmocka_unit_test(test_marked_down),
		cmocka_unit_test(test_nginx_limits),
		cmocka_unit_test(test_local_ports),
		cmocka_unit_test(test_keepalive_race),
		cmocka_unit_test(test_config_invalid),
		cmocka_unit_test(test_resolve_failure_from_ntest),
		cmocka_unit_test(test_config_stale_is_warning),
		cmocka_unit_test(test_partial_upstream_is_warning),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_first_hop_wins),
		cmocka_unit_test(test_target_states),
		cmocka_unit_test(test_window_and_memory),
		cmocka_unit_test(test_missing_socket_unprobed),
	};
	return cmocka_run_group_tests_name("diagnose", tests, NULL, NULL);
}
