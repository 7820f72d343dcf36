/* test_docker.c — the Docker Engine API probe and the container rules.
 *
 * Parsers, the log frame demultiplexer and /proc/PID/net/tcp parsing run on
 * bytes recorded from a real dockerd 20.10.24 (tests/fixtures/docker, see
 * its README). The container rules run diagnose() on snapshots built from
 * those recordings. The asynchronous probe runs for real on an sd-event loop
 * against a unix socket served by a child process that replays the recorded
 * answers, a socket nobody listens on, and one that never answers. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "diagnose.h"
#include "docker.h"
#include "options.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures/docker"
#endif

/* ---------------------------------------------------------------- helpers */

static char *fixture(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", FIXTURES, name);
	char *b = gw_read_file(path, 1u << 24, len);
	if (!b)
		fail_msg("cannot read fixture %s: %s", path, strerror(errno));
	return b;
}

static struct gw_snapshot *snap_new(void)
{
	struct gw_snapshot *s = calloc(1, sizeof *s);
	snapshot_init(s);
	s->is_root = 1;
	GW_COPY(s->conf.conf_path, "/etc/nginx/nginx.conf");
	s->conf.parsed = s->conf.ok = 1;
	s->nginx.master_pid = 100;
	s->nginx.nworkers = 1;
	s->ntest.ran = s->ntest.ok = 1;
	struct gw_proc *p = gw_vec_push(&s->procs);
	p->pid = 100;
	p->role = GW_ROLE_NGINX_MASTER;
	GW_COPY(p->comm, "nginx");
	s->docker_available = 1;
	return s;
}

static void snap_free(struct gw_snapshot *s)
{
	snapshot_free(s);
	free(s);
}

/* A container from its recorded inspect (and net/tcp when recorded). */
static struct gw_container *add_container(struct gw_snapshot *s, const char *name)
{
	char f[128], err[256];
	size_t len;
	int tty = -1;
	struct gw_container *c = gw_vec_push(&s->containers);
	snprintf(f, sizeof f, "inspect-%s.json", name);
	char *j = fixture(f, &len);
	assert_int_equal(docker_parse_inspect(c, j, len, &tty, err, sizeof err), 0);
	free(j);
	snprintf(f, sizeof f, "%s/net-tcp-%s.txt", FIXTURES, name);
	if (access(f, F_OK) == 0) {
		char *t = fixture(f + strlen(FIXTURES) + 1, &len);
		c->inside_known = 1;
		docker_parse_net_tcp(c, t, 0);
		free(t);
	}
	return c;
}

static struct gw_target *add_target(struct gw_snapshot *s, enum gw_addr_kind k, const char *host, int port)
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
	return t;
}

static void target_refused(struct gw_target *t)
{
	t->probed = 1;
	t->err = ECONNREFUSED;
	GW_COPY(t->error, "Failed to connect");
}

static void target_empty_reply(struct gw_target *t)
{
	t->probed = t->reachable = 1;
	GW_COPY(t->error, "Empty reply from server");
}

static void target_200(struct gw_target *t)
{
	t->probed = t->reachable = t->http_ok = 1;
	t->http_status = 200;
}

static const struct gw_finding *find(const struct gw_diagnosis *d, const char *cause)
{
	for (size_t i = 0; i < d->findings.n; i++)
		if (!strcmp(gw_cause_id(d->findings.v[i].cause), cause))
			return &d->findings.v[i];
	return NULL;
}

static int mentions(const struct gw_finding *f, const char *needle)
{
	if (strstr(f->summary, needle))
		return 1;
	for (int i = 0; i < f->nevidence; i++)
		if (strstr(f->evidence[i], needle))
			return 1;
	for (int i = 0; i < f->nfix; i++)
		if (strstr(f->fix[i], needle))
			return 1;
	for (int i = 0; i < f->ncommands; i++)
		if (strstr(f->commands[i], needle))
			return 1;
	return 0;
}

static void run_diag(struct gw_snapshot *s, double now, struct gw_diagnosis *d)
{
	struct gw_diag_config cfg = { .now = now, .recent_window = 300 };
	docker_match_targets(s);         /* what the probe does at the end of its pass */
	diagnose(s, &cfg, d);
}

#define T_0 docker_parse_time("2026-11-25T15:14:30Z", NULL)

/* ---------------------------------------------------------------- parsers */

static void test_parse_time(void **state)
{
	const char *end;
	(void)state;
	assert_true(docker_parse_time("2026-11-24T12:10:37Z", NULL) == 1795522237.0);
	double t = docker_parse_time("2026-11-24T12:10:37.250000000Z rest", &end);
	assert_true(t > 1795522237.24 && t < 1795522237.26);
	assert_string_equal(end, " rest");
	assert_true(docker_parse_time("2026-11-24T13:10:37+01:00", NULL) == 1795522237.0);
	assert_true(docker_parse_time("2026-11-24T07:10:37.5-05:00", NULL) == 1795522237.5);
	assert_true(docker_parse_time("0001-01-01T00:00:00Z", NULL) == 0);
	assert_true(docker_parse_time("garbage", &end) == 0);
}

static void test_parse_list(void **state)
{
	struct gw_snapshot *s = snap_new();
	char err[256];
	size_t len;
	char *j = fixture("containers.json", &len);
	(void)state;
	assert_int_equal(docker_parse_list(s, j, len, err, sizeof err), 7);
	free(j);
	int seen = 0;
	for (size_t i = 0; i < s->containers.n; i++) {
		const struct gw_container *c = &s->containers.v[i];
		assert_int_equal(strlen(c->id), 64);
		assert_string_equal(c->image, "gwtop-app");
		if (!strcmp(c->name, "app-b2")) {
			seen++;
			assert_string_equal(c->state, "running");
			/* docker lists the exposed 8000 and the published 9000 */
			int pub = 0, exp = 0;
			for (int k = 0; k < c->nports; k++) {
				if (c->ports[k].container_port == 9000 && c->ports[k].host_port == 21030 &&
				    !strcmp(c->ports[k].host_ip, "127.0.0.1"))
					pub = 1;
				if (c->ports[k].container_port == 8000 && c->ports[k].host_port == 0)
					exp = 1;
			}
			assert_true(pub && exp);
			assert_string_equal(c->health, "healthy");   /* from "Up 42 seconds (healthy)" */
		}
		if (!strcmp(c->name, "app-crash")) {
			seen++;
			assert_string_equal(c->state, "restarting");
			assert_true(gw_starts_with(c->status, "Restarting (1)"));
		}
		if (!strcmp(c->name, "app-ok"))
			assert_string_equal(c->health, "unhealthy");
		if (!strcmp(c->name, "app-exit")) {
			seen++;
			assert_string_equal(c->state, "exited");
		}
	}
	assert_int_equal(seen, 3);
	assert_int_equal(docker_parse_list(s, "{\"message\":\"x\"}", 15, err, sizeof err), -1);
	assert_int_equal(docker_parse_list(s, "[{", 2, err, sizeof err), -1);
	assert_true(err[0] != '\0');
	snap_free(s);
}

static void test_parse_inspect(void **state)
{
	struct gw_snapshot *s = snap_new();
	(void)state;
	const struct gw_container *b2 = add_container(s, "app-b2");
	assert_string_equal(b2->name, "app-b2");
	assert_string_equal(b2->state, "running");
	assert_true(b2->pid > 0);
	assert_true(b2->started_at > 1.7e9);
	assert_true(b2->finished_at == 0);
	int pub = 0, exp = 0, ip = 0;
	for (int k = 0; k < b2->nports; k++) {
		const struct gw_port_map *pm = &b2->ports[k];
		if (docker_port_is_address(pm)) {
			ip = !strcmp(pm->host_ip, "172.17.0.4");
			continue;
		}
		if (pm->container_port == 9000 && pm->host_port == 21030 && !strcmp(pm->proto, "tcp"))
			pub = 1;
		if (pm->container_port == 8000 && pm->host_port == 0)
			exp = 1;
	}
	assert_true(pub && exp && ip);
	assert_string_equal(b2->health, "healthy");

	/* an exited container has Ports {}: the configured PortBindings count */
	const struct gw_container *ex = add_container(s, "app-exit");
	assert_string_equal(ex->state, "exited");
	assert_int_equal(ex->exit_code, 3);
	assert_int_equal(ex->pid, 0);
	assert_true(ex->finished_at > ex->started_at);
	int bound = 0;
	for (int k = 0; k < ex->nports; k++)
		if (ex->ports[k].host_port == 21060 && ex->ports[k].container_port == 8000)
			bound = 1;
	assert_true(bound);

	const struct gw_container *sick = add_container(s, "app-sick");
	assert_string_equal(sick->health, "unhealthy");
	assert_int_equal(sick->failing_streak, 7);
	assert_true(strstr(sick->health_log, "exit -1") != NULL);
	assert_null(strchr(sick->health_log, '\n'));

	const struct gw_container *cr = add_container(s, "app-crash");
	assert_int_equal(cr->restart_count, 6);

	struct gw_container tc = { 0 };
	char err[256];
	size_t len;
	int tty = 0;
	char *j = fixture("inspect-app-tty.json", &len);
	assert_int_equal(docker_parse_inspect(&tc, j, len, &tty, err, sizeof err), 0);
	assert_int_equal(tty, 1);
	free(j);
	j = fixture("inspect-app-ok.json", &len);
	tty = 1;
	assert_int_equal(docker_parse_inspect(&tc, j, len, &tty, err, sizeof err), 0);
	assert_int_equal(tty, 0);
	free(j);
	assert_int_equal(docker_parse_inspect(&tc, "nope", 4, &tty, err, sizeof err), -1);
	snap_free(s);
}

static void test_net_tcp(void **state)
{
	struct gw_container c = { 0 };
	size_t len;
	char *t;
	(void)state;

	t = fixture("net-tcp-app-lo.txt", &len);
	assert_int_equal(docker_parse_net_tcp(&c, t, 0), 1);   /* the ESTABLISHED row is not a listener */
	free(t);
	assert_string_equal(c.inside[0].addr, "127.0.0.1");
	assert_int_equal(c.inside[0].port, 8000);

	memset(&c, 0, sizeof c);
	t = fixture("net-tcp-app-ok.txt", &len);
	docker_parse_net_tcp(&c, t, 0);
	free(t);
	assert_int_equal(c.ninside, 1);
	assert_string_equal(c.inside[0].addr, "0.0.0.0");

	/* tcp6: ::1 and :: listeners, duplicates collapse */
	memset(&c, 0, sizeof c);
	const char *v6 =
		"  sl  local_address                         remote_address                        st\n"
		"   0: 00000000000000000000000001000000:1F40 00000000000000000000000000000000:0000 0A 0\n"
		"   1: 00000000000000000000000000000000:2328 00000000000000000000000000000000:0000 0A 0\n"
		"   2: 00000000000000000000000000000000:2328 00000000000000000000000000000000:0000 0A 0\n"
		"   3: 00000000000000000000000001000000:1F40 00000000000000000000000001000000:A000 01 0\n";
	assert_int_equal(docker_parse_net_tcp(&c, v6, 1), 2);
	assert_string_equal(c.inside[0].addr, "::1");
	assert_int_equal(c.inside[0].port, 8000);
	assert_string_equal(c.inside[1].addr, "::");
	assert_int_equal(c.inside[1].port, 9000);
}

/* ---------------------------------------------------------------- logs */

struct lines {
	int n, streams[64];
	char text[64][256];
};

static void collect(const char *line, size_t len, int stream, void *ud)
{
	struct lines *l = ud;
	if (l->n >= 64)
		return;
	l->streams[l->n] = stream;
	snprintf(l->text[l->n], sizeof l->text[0], "%.*s", (int)len, line);
	l->n++;
}

static void test_logs_split(void **state)
{
	struct lines l = { 0 };
	size_t len;
	char *b = fixture("logs-app-crash.bin", &len);
	(void)state;

	/* multiplexed: stdout "booting", stderr "ImportError: ...", per restart */
	size_t nl = docker_logs_split(b, len, 0, collect, &l);
	assert_int_equal(nl, (size_t)l.n);
	assert_true(l.n >= 4 && l.n % 2 == 0);
	assert_int_equal(l.streams[0], 1);
	assert_true(strstr(l.text[0], "Z booting") != NULL);
	assert_int_equal(l.streams[1], 2);
	assert_true(strstr(l.text[1], "Z ImportError: no module named app") != NULL);

	/* a truncated last frame is used as far as it goes */
	struct lines t = { 0 };
	docker_logs_split(b, len - 10, 0, collect, &t);
	assert_int_equal(t.n, l.n);
	assert_int_equal(strlen(t.text[t.n - 1]), strlen(l.text[l.n - 1]) - 9);   /* 10 = "\n" + 9 chars */
	free(b);

	/* Tty: raw, "\r\n" */
	struct lines r = { 0 };
	b = fixture("logs-app-tty.bin", &len);
	assert_int_equal(docker_logs_split(b, len, 1, collect, &r), 2);
	assert_int_equal(r.streams[0], 0);
	assert_true(gw_ends_with(r.text[0], "Z hello tty"));
	assert_true(gw_ends_with(r.text[1], "Z second line"));
	/* not frames although Tty was not known: falls back to raw */
	struct lines r2 = { 0 };
	assert_int_equal(docker_logs_split(b, len, 0, collect, &r2), 2);
	assert_true(gw_ends_with(r2.text[1], "Z second line"));
	free(b);

	/* an empty body, a header alone */
	struct lines e = { 0 };
	assert_int_equal(docker_logs_split("", 0, 0, collect, &e), 0);
	assert_int_equal(docker_logs_split("\x01\0\0\0\0\0\0\x05", 8, 0, collect, &e), 0);
}

static void test_logs_ingest(void **state)
{
	struct gw_snapshot *s = snap_new();
	struct gw_container *c = gw_vec_push(&s->containers);
	size_t len;
	char *b = fixture("logs-app-crash.bin", &len);
	(void)state;

	GW_COPY(c->name, "app-crash");
	docker_logs_ingest(s, c, b, len, 0);
	free(b);
	assert_true(s->events.n >= 2);
	int imports = 0;
	for (size_t i = 0; i < s->events.n; i++) {
		const struct gw_log_event *e = &s->events.v[i];
		assert_string_equal(e->source, "docker:app-crash");
		assert_true(e->time > 1.79e9);        /* the engine's timestamp */
		assert_false(gw_starts_with(e->line, "2026-"));   /* stripped from the line */
		if (e->kind == GW_LOG_APP_MODULE_NOT_FOUND) {
			imports++;
			assert_string_equal(e->line, "ImportError: no module named app");
		}
		if (i)
			assert_true(e->time >= s->events.v[i - 1].time);
	}
	assert_true(imports >= 2);
	assert_string_equal(c->last_log, "ImportError: no module named app");

	/* exited app: its one line, a config error */
	struct gw_container *x = gw_vec_push(&s->containers);
	GW_COPY(x->name, "app-exit");
	size_t before = s->events.n;
	b = fixture("logs-app-exit.bin", &len);
	docker_logs_ingest(s, x, b, len, 0);
	free(b);
	assert_int_equal(s->events.n, before + 1);
	assert_string_equal(x->last_log, "KeyError: DATABASE_URL");
	snap_free(s);
}

/* ---------------------------------------------------------------- mapping */

static void test_match(void **state)
{
	struct gw_snapshot *s = snap_new();
	struct gw_container_match m;
	(void)state;

	add_container(s, "app-ok");     /* 0: 127.0.0.1:21000->8000, 172.17.0.2 */
	add_container(s, "app-b2");     /* 1: 127.0.0.1:21030->9000 */
	add_container(s, "app-exit");   /* 2: exited, 127.0.0.1:21060->8000 */
	struct gw_container *comp = gw_vec_push(&s->containers);
	GW_COPY(comp->name, "shop-web-1");
	GW_COPY(comp->state, "running");

	assert_int_equal(docker_match_target(s, add_target(s, GW_ADDR_INET, "127.0.0.1", 21030), &m),
			 GW_VIA_PUBLISHED);
	assert_int_equal(m.container, 1);
	assert_int_equal(m.container_port, 9000);
	assert_int_equal(s->containers.v[1].ports[m.port].host_port, 21030);

	assert_int_equal(docker_match_target(s, add_target(s, GW_ADDR_HOST, "localhost", 21000), &m),
			 GW_VIA_PUBLISHED);
	assert_int_equal(m.container, 0);
	/* bound to 127.0.0.1 only: another host address does not reach it */
	assert_int_equal(docker_match_target(s, add_target(s, GW_ADDR_INET, "10.1.2.3", 21000), &m),
			 GW_VIA_NONE);
	/* an exited container keeps its binding */
	assert_int_equal(docker_match_target(s, add_target(s, GW_ADDR_INET, "127.0.0.1", 21060), &m),
			 GW_VIA_PUBLISHED);
	assert_int_equal(m.container, 2);

	assert_int_equal(docker_match_target(s, add_target(s, GW_ADDR_INET, "172.17.0.2", 8000), &m),
			 GW_VIA_ADDRESS);
	assert_int_equal(m.container, 0);
	assert_int_equal(m.container_port, 8000);

	assert_int_equal(docker_match_target(s, add_target(s, GW_ADDR_HOST, "web", 8000), &m),
			 GW_VIA_NAME);
	assert_int_equal(m.container, 3);
	assert_int_equal(docker_match_target(s, add_target(s, GW_ADDR_HOST, "we", 8000), &m), GW_VIA_NONE);

	/* nothing at 21031: app-b2's 21030 is the nearby mapping... unless targeted */
	assert_int_equal(docker_match_target(s, add_target(s, GW_ADDR_INET, "127.0.0.1", 21003), &m),
			 GW_VIA_NONE);   /* 21000 is targeted above */
	s->targets.n = 0;
	struct gw_target *t = add_target(s, GW_ADDR_INET, "127.0.0.1", 21031);
	assert_int_equal(docker_match_target(s, t, &m), GW_VIA_NEAR);
	assert_int_equal(m.container, 1);
	/* something listens there: not a container's business */
	t->listener_idx = 0;
	assert_int_equal(docker_match_target(s, t, &m), GW_VIA_NONE);
	/* far away ports are not guessed */
	assert_int_equal(docker_match_target(s, add_target(s, GW_ADDR_INET, "127.0.0.1", 5432), &m),
			 GW_VIA_NONE);
	/* unix sockets never map */
	struct gw_target *u = add_target(s, GW_ADDR_UNIX, "", 0);
	GW_COPY(u->addr.path, "/run/app.sock");
	assert_int_equal(docker_match_target(s, u, &m), GW_VIA_NONE);

	/* fixed with the address module (issue 18): a `*` binding is any
	 * address (docker_is_any knew "", 0.0.0.0, :: only), and every name of
	 * localhost in any case reaches a loopback binding (it knew "localhost") */
	s->targets.n = 0;
	struct gw_container *star = gw_vec_push(&s->containers);
	GW_COPY(star->name, "star");
	GW_COPY(star->state, "running");
	star->nports = 1;
	star->ports[0] = (struct gw_port_map){ .container_port = 80, .proto = "tcp", .host_ip = "*", .host_port = 21090 };
	assert_int_equal(docker_match_target(s, add_target(s, GW_ADDR_INET, "127.0.0.1", 21090), &m),
			 GW_VIA_PUBLISHED);
	assert_int_equal(m.container, 4);
	assert_int_equal(docker_match_target(s, add_target(s, GW_ADDR_HOST, "LocalHost", 21030), &m),
			 GW_VIA_PUBLISHED);
	assert_int_equal(m.container, 1);
	assert_int_equal(docker_match_target(s, add_target(s, GW_ADDR_HOST, "localhost.localdomain", 21030), &m),
			 GW_VIA_PUBLISHED);
	/* still: a loopback binding is not reached through another host address */
	assert_int_equal(docker_match_target(s, add_target(s, GW_ADDR_HOST, "localhost.example", 21030), &m),
			 GW_VIA_NONE);
	/* and the probe stores the match in the target for the rules */
	docker_match_targets(s);
	assert_int_equal(s->targets.v[0].container.how, GW_VIA_PUBLISHED);
	assert_int_equal(s->targets.v[0].container.container, 4);
	assert_int_equal(s->targets.v[s->targets.n - 1].container.how, GW_VIA_NONE);
	snap_free(s);
}

/* ---------------------------------------------------------------- rules */

static void test_rule_loopback(void **state)
{
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	(void)state;
	add_container(s, "app-lo");
	struct gw_target *t = add_target(s, GW_ADDR_INET, "127.0.0.1", 21010);
	target_empty_reply(t);
	/* the host port is held by docker-proxy */
	struct gw_listener *l = gw_vec_push(&s->listeners);
	l->family = AF_INET;
	GW_COPY(l->addr, "127.0.0.1");
	l->port = 21010;
	l->pid = 555;
	t->listener_idx = (int)s->listeners.n - 1;
	struct gw_proc *p = gw_vec_push(&s->procs);
	p->pid = 555;
	p->role = GW_ROLE_DOCKER_PROXY;
	GW_COPY(p->comm, "docker-proxy");

	run_diag(s, T_0, &d);
	const struct gw_finding *v = diagnosis_verdict(&d);
	assert_non_null(v);
	assert_string_equal(gw_cause_id(v->cause), "container_loopback_bind");
	assert_int_equal(v->hop, GW_HOP_UPSTREAM);
	assert_int_equal(v->severity, GW_SEV_CRIT);
	assert_true(mentions(v, "app-lo"));
	assert_true(mentions(v, "127.0.0.1:8000"));
	assert_true(mentions(v, "--bind 0.0.0.0:8000"));
	assert_true(mentions(v, "held by docker-proxy (pid 555)"));
	assert_true(mentions(v, "healthy by its own check"));
	diagnosis_free(&d);
	snap_free(s);
}

static void test_rule_container_port(void **state)
{
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	(void)state;
	add_container(s, "app-b2");
	target_empty_reply(add_target(s, GW_ADDR_INET, "127.0.0.1", 21030));
	run_diag(s, T_0, &d);
	const struct gw_finding *v = diagnosis_verdict(&d);
	assert_non_null(v);
	assert_string_equal(gw_cause_id(v->cause), "container_port_mismatch");
	assert_true(mentions(v, "host port 21030"));
	assert_true(mentions(v, "container port 9000/tcp"));
	assert_true(mentions(v, "listens on 8000"));
	assert_true(mentions(v, "-p 127.0.0.1:21030:8000"));
	diagnosis_free(&d);
	snap_free(s);
}

static void test_rule_host_port(void **state)
{
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	(void)state;
	/* app-ok publishes 21000; nginx targets 21002 where nothing listens */
	add_container(s, "app-ok");
	GW_COPY(s->containers.v[0].health, "healthy");
	target_refused(add_target(s, GW_ADDR_INET, "127.0.0.1", 21002));
	run_diag(s, T_0, &d);
	const struct gw_finding *v = diagnosis_verdict(&d);
	assert_non_null(v);
	assert_string_equal(gw_cause_id(v->cause), "container_port_mismatch");
	assert_int_equal(v->rank, 95);
	assert_true(mentions(v, "host port 21002"));
	assert_true(mentions(v, "host port 21000"));
	assert_true(mentions(v, "container port 8000"));
	assert_true(mentions(v, "127.0.0.1:21000"));   /* the fix: where it is published */
	diagnosis_free(&d);
	snap_free(s);
}

static void test_rule_crash_loop(void **state)
{
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	size_t len;
	(void)state;
	struct gw_container *c = add_container(s, "app-crash");
	char *b = fixture("logs-app-crash.bin", &len);
	docker_logs_ingest(s, c, b, len, 0);
	free(b);
	struct gw_target *t = add_target(s, GW_ADDR_INET, "127.0.0.1", 21040);
	target_refused(t);

	/* one look: running again, RestartCount 6, started seconds ago */
	run_diag(s, T_0, &d);
	const struct gw_finding *v = diagnosis_verdict(&d);
	assert_non_null(v);
	assert_string_equal(gw_cause_id(v->cause), "app_crash_loop");
	assert_int_equal(v->severity, GW_SEV_CRIT);
	assert_true(mentions(v, "app-crash"));
	assert_true(mentions(v, "RestartCount 6"));
	assert_true(mentions(v, "ImportError: no module named app"));
	assert_true(mentions(v, "docker logs --tail 50 app-crash"));
	diagnosis_free(&d);

	/* an hour later with no rise seen, the same record is not a loop */
	run_diag(s, T_0 + 3600, &d);
	assert_null(find(&d, "app_crash_loop"));
	diagnosis_free(&d);

	/* the restarting state, or a rise across ticks, is */
	GW_COPY(c->state, "restarting");
	c->exit_code = 1;
	run_diag(s, T_0 + 3600, &d);
	assert_non_null(find(&d, "app_crash_loop"));
	assert_true(mentions(find(&d, "app_crash_loop"), "last exit code 1"));
	diagnosis_free(&d);
	GW_COPY(c->state, "running");
	c->restarts_rising = 1;
	run_diag(s, T_0 + 3600, &d);
	assert_true(mentions(find(&d, "app_crash_loop"), "rose between two probe passes"));
	diagnosis_free(&d);

	/* off the request path: a warning only */
	s->targets.n = 0;
	run_diag(s, T_0 + 3600, &d);
	assert_int_equal(find(&d, "app_crash_loop")->severity, GW_SEV_WARN);
	diagnosis_free(&d);
	snap_free(s);
}

static void test_rule_exited(void **state)
{
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	size_t len;
	(void)state;
	struct gw_container *c = add_container(s, "app-exit");
	char *b = fixture("logs-app-exit.bin", &len);
	docker_logs_ingest(s, c, b, len, 0);
	free(b);
	target_refused(add_target(s, GW_ADDR_INET, "127.0.0.1", 21060));
	run_diag(s, T_0, &d);
	const struct gw_finding *v = diagnosis_verdict(&d);
	assert_non_null(v);
	assert_string_equal(gw_cause_id(v->cause), "upstream_down");
	assert_int_equal(v->rank, 95);
	assert_int_equal(v->hop, GW_HOP_UPSTREAM);
	assert_true(mentions(v, "container app-exit"));
	assert_true(mentions(v, "exit code 3"));
	assert_true(mentions(v, "KeyError: DATABASE_URL"));
	assert_true(mentions(v, "docker start app-exit"));
	diagnosis_free(&d);
	snap_free(s);
}

static void test_rule_unhealthy(void **state)
{
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	(void)state;
	add_container(s, "app-sick");
	struct gw_target *t = add_target(s, GW_ADDR_INET, "127.0.0.1", 21050);
	target_200(t);
	run_diag(s, T_0, &d);
	const struct gw_finding *v = diagnosis_verdict(&d);
	assert_non_null(v);
	assert_string_equal(gw_cause_id(v->cause), "container_unhealthy");
	assert_int_equal(v->severity, GW_SEV_WARN);   /* nginx's target still answers */
	assert_int_equal(d.status, GW_SEV_WARN);
	assert_true(mentions(v, "failed 7 times in a row"));
	assert_true(mentions(v, "Health check exceeded timeout"));
	assert_true(mentions(v, "still answers"));
	diagnosis_free(&d);
	/* when nginx gets errors too, it is critical */
	memset(t, 0, offsetof(struct gw_target, listener_idx));
	t->addr.kind = GW_ADDR_INET;
	GW_COPY(t->addr.host, "127.0.0.1");
	t->addr.port = 21050;
	t->http_ok = 0;
	t->http_status = 0;
	target_empty_reply(t);
	run_diag(s, T_0, &d);
	assert_int_equal(find(&d, "container_unhealthy")->severity, GW_SEV_CRIT);
	diagnosis_free(&d);
	snap_free(s);
}

static void test_rule_healthy_and_absent(void **state)
{
	struct gw_snapshot *s = snap_new();
	struct gw_diagnosis d;
	(void)state;
	struct gw_container *c = add_container(s, "app-ok");
	GW_COPY(c->health, "healthy");   /* recorded under load: its check had timed out */
	target_200(add_target(s, GW_ADDR_INET, "127.0.0.1", 21000));
	run_diag(s, T_0, &d);
	assert_null(diagnosis_verdict(&d));
	assert_int_equal(d.status, GW_SEV_OK);
	diagnosis_free(&d);

	/* no engine: the rules stay silent even with a sick container recorded */
	add_container(s, "app-lo");
	target_empty_reply(add_target(s, GW_ADDR_INET, "127.0.0.1", 21010));
	s->docker_available = 0;
	run_diag(s, T_0, &d);
	assert_null(find(&d, "container_loopback_bind"));
	diagnosis_free(&d);
	snap_free(s);
}

/* ---------------------------------------------------------------- the async probe */

struct fake {
	char dir[64];
	char sock[100];
	pid_t pid;
};

/* Answer one HTTP request from the fixtures: the list, an inspect by id
 * (looked up in the recorded inspect files), logs, else 404. */
static void fake_answer(int fd, const char *dir, int mode)
{
	char req[4096];
	ssize_t n = 0, r;
	while (n < (ssize_t)sizeof req - 1 && (r = read(fd, req + n, sizeof req - 1 - (size_t)n)) > 0) {
		n += r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	if (n <= 0 || mode == 1) {   /* mode 1: never answer */
		pause();
		return;
	}
	req[n] = '\0';
	char path[1024] = "", file[1200] = "";
	sscanf(req, "GET %1023s", path);
	const char *type = "application/json";
	if (!strcmp(path, "/v1.41/containers/json?all=1")) {
		snprintf(file, sizeof file, "%s/containers.json", dir);
	} else if (gw_starts_with(path, "/v1.41/containers/")) {
		char id[80] = "";
		sscanf(path + 18, "%79[^/]", id);
		const char *names[] = { "app-ok", "app-lo", "app-b2", "app-crash", "app-sick", "app-exit", "app-tty" };
		for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
			char f[1200];
			size_t len;
			snprintf(f, sizeof f, "%s/inspect-%s.json", dir, names[i]);
			char *j = gw_read_file(f, 1u << 20, &len);
			int hit = j && strstr(j, id) && strlen(id) == 64;
			free(j);
			if (!hit)
				continue;
			if (strstr(path, "/logs?")) {
				snprintf(file, sizeof file, "%s/logs-%s.bin", dir, names[i]);
				type = "application/octet-stream";
				if (access(file, F_OK))
					snprintf(file, sizeof file, "/dev/null");
			} else {
				memcpy(file, f, sizeof file);
			}
		}
	}
	size_t blen = 0;
	char *body = file[0] ? gw_read_file(file, 1u << 24, &blen) : NULL;
	char head[256];
	if (body)
		snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", type, blen);
	else
		snprintf(head, sizeof head, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 37\r\nConnection: close\r\n\r\n");
	if (write(fd, head, strlen(head)) < 0)
		return;
	if (body) {
		if (write(fd, body, blen) < 0) {}
	} else if (write(fd, "{\"message\":\"No such container: nope\"}", 37) < 0) {
	}
	free(body);
}

/* mode 0: replay; 1: accept, never answer; 2: bound socket, no listener */
static void fake_start(struct fake *f, int mode, const char *fixdir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(f->dir, "/tmp/gwtop-dockerut.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof f->sock, "%s/docker.sock", f->dir);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->sock);
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(ls >= 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
	f->pid = 0;
	if (mode == 2) {
		close(ls);
		return;
	}
	assert_int_equal(listen(ls, 64), 0);
	pid_t test = getpid();
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != test)      /* the test died before prctl: no orphan */
			_exit(0);
		pid_t engine = getpid();
		for (;;) {
			int c = accept(ls, NULL, NULL);
			if (c < 0)
				continue;
			if (mode == 1) {
				if (fork() == 0) {
					prctl(PR_SET_PDEATHSIG, SIGKILL);
					if (getppid() != engine)
						_exit(0);
					fake_answer(c, fixdir, mode);
					_exit(0);
				}
				continue;   /* keep c open: the client waits */
			}
			fake_answer(c, fixdir, mode);
			close(c);
		}
	}
	close(ls);
}

static void fake_stop(struct fake *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
		f->pid = 0;
	}
	unlink(f->sock);
	rmdir(f->dir);
}

struct pass {
	sd_event *e;
	int done;
};

static void pass_done(void *ud)
{
	struct pass *p = ud;
	p->done++;
}

/* One probe pass on a fresh loop; returns seconds it took. */
static double run_pass(struct docker_prober *dp, sd_event *e, struct gw_snapshot *s, const struct gw_options *o,
		       int *ndone)
{
	struct pass p = { .e = e };
	double t0 = gw_mono();
	int r = docker_probe_start(dp, s, o, pass_done, &p);
	if (r)
		print_error("docker_probe_start: %s\n", strerror(-r));
	assert_int_equal(r, 0);
	assert_int_equal(p.done, 0);   /* never from inside start */
	assert_int_equal(docker_probe_start(dp, s, o, pass_done, &p), -EBUSY);
	while (!p.done && gw_mono() - t0 < 20)
		sd_event_run(e, 100000);
	sd_event_run(e, 0);   /* a second done would show here */
	*ndone = p.done;
	return gw_mono() - t0;
}

static void test_probe_replay(void **state)
{
	struct fake f;
	struct gw_options o = { .probe_timeout = 5 };
	sd_event *e = NULL;
	int nd;
	(void)state;

	/* a writable copy of the fixtures: the second pass sees a higher RestartCount */
	char fixdir[64] = "/tmp/gwtop-dockerfx.XXXXXX", cmd[256];
	assert_non_null(mkdtemp(fixdir));
	snprintf(cmd, sizeof cmd, "cp %s/* %s/", FIXTURES, fixdir);
	assert_int_equal(system(cmd), 0);

	fake_start(&f, 0, fixdir);
	o.docker_socket = f.sock;
	assert_true(sd_event_new(&e) >= 0);
	struct docker_prober *dp = docker_prober_new(e);
	assert_non_null(dp);

	struct gw_snapshot *s = snap_new();
	s->docker_available = 0;
	target_refused(add_target(s, GW_ADDR_INET, "127.0.0.1", 21040));   /* app-crash: targeted */
	run_pass(dp, e, s, &o, &nd);
	assert_int_equal(nd, 1);
	assert_int_equal(s->docker_available, 1);
	assert_string_equal(s->docker_error, "");
	assert_string_equal(s->docker_socket, f.sock);
	assert_int_equal(s->containers.n, 7);
	const struct gw_container *crash = NULL, *tty = NULL, *lo = NULL;
	for (size_t i = 0; i < s->containers.n; i++) {
		if (!strcmp(s->containers.v[i].name, "app-crash"))
			crash = &s->containers.v[i];
		if (!strcmp(s->containers.v[i].name, "app-tty"))
			tty = &s->containers.v[i];
		if (!strcmp(s->containers.v[i].name, "app-lo"))
			lo = &s->containers.v[i];
	}
	assert_non_null(crash);
	assert_int_equal(crash->restart_count, 6);   /* inspect filled it */
	assert_false(crash->restarts_rising);
	assert_string_equal(crash->last_log, "ImportError: no module named app");
	assert_non_null(tty);
	assert_string_equal(tty->last_log, "second line");   /* unhealthy: logs fetched, raw (Tty) */
	assert_non_null(lo);
	assert_string_equal(lo->last_log, "");   /* off the path and healthy: logs not fetched */
	int from_crash = 0;
	for (size_t i = 0; i < s->events.n; i++)
		if (!strcmp(s->events.v[i].source, "docker:app-crash") && s->events.v[i].kind == GW_LOG_APP_MODULE_NOT_FOUND)
			from_crash++;
	assert_true(from_crash >= 2);
	int probe_rec = 0;
	for (size_t i = 0; i < s->probes.n; i++)
		if (!strcmp(s->probes.v[i].name, "docker") && s->probes.v[i].last_ok > 0)
			probe_rec = 1;
	assert_true(probe_rec);
	snap_free(s);

	/* second pass: RestartCount 6 -> 7 */
	char path[128];
	size_t len;
	snprintf(path, sizeof path, "%s/inspect-app-crash.json", fixdir);
	char *j = gw_read_file(path, 1u << 20, &len);
	json_t *root = json_loadb(j, len, 0, NULL);
	free(j);
	json_object_set_new(root, "RestartCount", json_integer(7));
	assert_int_equal(json_dump_file(root, path, 0), 0);
	json_decref(root);
	s = snap_new();
	run_pass(dp, e, s, &o, &nd);
	assert_int_equal(nd, 1);
	for (size_t i = 0; i < s->containers.n; i++) {
		const struct gw_container *c = &s->containers.v[i];
		if (!strcmp(c->name, "app-crash")) {
			assert_int_equal(c->restart_count, 7);
			assert_true(c->restarts_rising);
		} else {
			assert_false(c->restarts_rising);
		}
	}
	snap_free(s);

	docker_prober_free(dp);
	sd_event_unref(e);
	fake_stop(&f);
	snprintf(cmd, sizeof cmd, "rm -rf %s", fixdir);
	assert_int_equal(system(cmd), 0);
}

static void test_probe_dead_and_slow(void **state)
{
	struct fake f;
	struct gw_options o = { .probe_timeout = 0.6 };
	sd_event *e = NULL;
	int nd;
	(void)state;
	assert_true(sd_event_new(&e) >= 0);
	struct docker_prober *dp = docker_prober_new(e);

	/* a socket file nobody listens on */
	fake_start(&f, 2, FIXTURES);
	o.docker_socket = f.sock;
	struct gw_snapshot *s = snap_new();
	s->docker_available = 0;
	run_pass(dp, e, s, &o, &nd);
	assert_int_equal(nd, 1);
	assert_int_equal(s->docker_available, 0);
	assert_non_null(strstr(s->docker_error, "GET /containers/json"));
	assert_int_equal(s->notes.n, 1);
	snap_free(s);
	fake_stop(&f);

	/* an engine that accepts and never answers: the deadline ends the pass */
	fake_start(&f, 1, FIXTURES);
	o.docker_socket = f.sock;
	s = snap_new();
	s->docker_available = 0;
	double took = run_pass(dp, e, s, &o, &nd);
	assert_int_equal(nd, 1);
	assert_true(took >= 0.5 && took < 2.0);
	assert_non_null(strstr(s->docker_error, "did not answer within 0.6 s"));
	snap_free(s);

	/* the loop late past the deadline (a busy machine): curl's own timeout,
	 * set to the same instant, may be seen before the pass timer; the note
	 * is the same either way (issue 20: slow_engine's note went missing) */
	for (int k = 0; k < 3; k++) {
		struct pass lp = { .e = e };
		s = snap_new();
		s->docker_available = 0;
		assert_int_equal(docker_probe_start(dp, s, &o, pass_done, &lp), 0);
		if (k) sd_event_run(e, 0);       /* k > 0: the request is connected */
		usleep(800000);                  /* past the 0.6 s deadline, loop not run */
		double t0 = gw_mono();
		while (!lp.done && gw_mono() - t0 < 5)
			sd_event_run(e, 100000);
		assert_int_equal(lp.done, 1);
		if (!strstr(s->docker_error, "did not answer within 0.6 s (the container list)"))
			print_error("late loop %d: docker_error '%s'\n", k, s->docker_error);
		assert_non_null(strstr(s->docker_error, "did not answer within 0.6 s (the container list)"));
		snap_free(s);
	}
	fake_stop(&f);

	/* no socket at all: a quiet note, done from the loop */
	o.docker_socket = NULL;
	setenv("DOCKER_HOST", "unix:///nonexistent/gwtop-test.sock", 1);
	s = snap_new();
	s->docker_available = 0;
	run_pass(dp, e, s, &o, &nd);
	assert_int_equal(nd, 1);
	assert_int_equal(s->docker_available, 0);
	assert_string_equal(s->docker_error, "");
	assert_int_equal(s->notes.n, 1);
	assert_non_null(strstr(s->notes.v[0].text, "DOCKER_HOST=unix:///nonexistent/gwtop-test.sock"));
	snap_free(s);
	unsetenv("DOCKER_HOST");

	/* freeing mid-pass cancels without calling done */
	fake_start(&f, 1, FIXTURES);
	o.docker_socket = f.sock;
	o.probe_timeout = 5;
	s = snap_new();
	struct pass p = { .e = e };
	assert_int_equal(docker_probe_start(dp, s, &o, pass_done, &p), 0);
	sd_event_run(e, 100000);
	docker_prober_free(dp);
	assert_int_equal(p.done, 0);
	snap_free(s);
	fake_stop(&f);
	sd_event_unref(e);
}

static void test_find_socket(void **state)
{
	char buf[256], why[256];
	(void)state;
	assert_int_equal(docker_find_socket("/nonexistent.sock", NULL, buf, sizeof buf, why, sizeof why), 0);
	assert_string_equal(buf, "/nonexistent.sock");
	assert_non_null(strstr(why, "--docker-socket /nonexistent.sock"));
	assert_int_equal(docker_find_socket(NULL, "tcp://10.0.0.1:2375", buf, sizeof buf, why, sizeof why),
			 access("/var/run/docker.sock", F_OK) == 0 || access("/run/podman/podman.sock", F_OK) == 0);
	/* a regular file is not a socket */
	assert_int_equal(docker_find_socket("/etc/passwd", NULL, buf, sizeof buf, why, sizeof why), 0);
	assert_non_null(strstr(why, "not a socket"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_parse_inspect),
		cmocka_unit_test(test_net_tcp),
		cmocka_unit_test(test_logs_split),
		cmocka_unit_test(test_logs_ingest),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_rule_loopback),
		cmocka_unit_test(test_rule_container_port),
		cmocka_unit_test(test_rule_host_port),
		cmocka_unit_test(test_rule_crash_loop),
		cmocka_unit_test(test_rule_exited),
		cmocka_unit_test(test_rule_unhealthy),
		cmocka_unit_test(test_rule_healthy_and_absent),
		cmocka_unit_test(test_find_socket),
		cmocka_unit_test(test_probe_replay),
		cmocka_unit_test(test_probe_dead_and_slow),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
