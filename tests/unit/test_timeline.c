/* test_timeline.c — the timeline model (src/timeline.c) and the access-log
 * format parser it is fed by (probes/accesslog.c accesslog_format_*):
 * per-minute classes (own and 499 apart), incidents (start, recovery,
 * interleaving, out-of-order input), events (time order, dedupe, derived
 * from hand-built snapshots), per-upstream percentiles and 5xx share, the
 * normalised failing paths, log_format compile/split on hostile lines, and
 * a whole file through the feeder's reader (tlfeed_read_file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "accesslog.h"
#include "diagnose.h"
#include "report.h"
#include "timeline.h"
#include "tlfeed.h"

/* 2026-11-24 12:01:00 UTC (a minute boundary) */
#define T0 1795521660.0

static void req(struct timeline *tl, double t, int status)
{
	struct timeline_request r = { .time = t, .status = status, .request_time = -1 };
	timeline_add_request(tl, &r);
}

static void test_minutes_by_class(void **state)
{
	(void)state;
	struct timeline *tl = timeline_new();
	req(tl, T0 + 1, 200);
	req(tl, T0 + 2, 204);
	req(tl, T0 + 3, 301);
	req(tl, T0 + 4, 404);
	req(tl, T0 + 5, 499);
	req(tl, T0 + 6, 502);
	req(tl, T0 + 7, 504);
	struct timeline_request own = { .time = T0 + 8, .status = 502, .own = 1 };
	timeline_add_request(tl, &own);
	req(tl, T0 + 61, 500);
	const struct timeline_minute *m = timeline_minute(tl, (long)(T0 / 60));
	assert_non_null(m);
	assert_int_equal(m->total, 7);
	assert_int_equal(m->n2xx, 2);
	assert_int_equal(m->n3xx, 1);
	assert_int_equal(m->n4xx, 1);
	assert_int_equal(m->n499, 1);
	assert_int_equal(m->n5xx, 2);
	assert_int_equal(m->n502, 1);
	assert_int_equal(m->n504, 1);
	assert_int_equal(m->own, 1);
	assert_true(m->first_5xx == T0 + 6 && m->last_5xx == T0 + 7);
	m = timeline_minute(tl, (long)(T0 / 60) + 1);
	assert_non_null(m);
	assert_int_equal(m->n500, 1);
	assert_int_equal(timeline_newest_minute(tl), (long)(T0 / 60) + 1);
	assert_null(timeline_minute(tl, (long)(T0 / 60) - 1));
	/* older than the window: dropped, never into a recycled slot */
	req(tl, T0 + TIMELINE_MINUTES * 60.0 + 5, 200);
	req(tl, T0 + 30, 200);
	assert_null(timeline_minute(tl, (long)(T0 / 60)));
	timeline_free(tl);
}

static void test_incident_start_recovery(void **state)
{
	(void)state;
	struct timeline *tl = timeline_new();
	for (int i = 0; i < 10; i++) req(tl, T0 + i, 200);
	/* the app dies at +10: 5xx; a 499 and own requests change nothing */
	for (int i = 10; i < 40; i++) req(tl, T0 + i, 502);
	req(tl, T0 + 20, 499);
	/* back at +40: one success then a 5xx in the same second — not over */
	req(tl, T0 + 40, 200);
	req(tl, T0 + 41, 502);
	for (int i = 42; i < 50; i++) req(tl, T0 + i, 200);
	assert_int_equal(timeline_nincidents(tl), 1);
	const struct timeline_incident *in = timeline_incident(tl, 0);
	assert_true(in->start == T0 + 10);
	assert_true(in->last_fail == T0 + 41);
	assert_true(in->recovered == T0 + 42);
	assert_int_equal(in->failed, 31);
	struct timeline_incident cur;
	assert_int_equal(timeline_current_incident(tl, T0, &cur), 1);
	assert_int_equal(timeline_current_incident(tl, T0 + 43, &cur), 0);   /* recovered before since */
	/* a second one, still failing */
	req(tl, T0 + 100, 503);
	assert_int_equal(timeline_nincidents(tl), 2);
	assert_int_equal(timeline_current_incident(tl, T0 + 43, &cur), 1);
	assert_true(cur.start == T0 + 100 && cur.recovered == 0);
	timeline_free(tl);
}

/* Backfill after the tail: the same incident whatever the order. */
static void test_incident_out_of_order(void **state)
{
	(void)state;
	struct timeline *a = timeline_new(), *b = timeline_new();
	int st[60];
	for (int i = 0; i < 60; i++) st[i] = i >= 20 && i < 35 ? 504 : 200;
	for (int i = 0; i < 60; i++) req(a, T0 + i, st[i]);
	for (int i = 59; i >= 0; i--) req(b, T0 + i, st[i]);
	assert_int_equal(timeline_nincidents(a), 1);
	assert_int_equal(timeline_nincidents(b), 1);
	assert_memory_equal(timeline_incident(a, 0), timeline_incident(b, 0), sizeof(struct timeline_incident));
	assert_true(timeline_incident(b, 0)->start == T0 + 20);
	assert_true(timeline_incident(b, 0)->recovered == T0 + 35);
	timeline_free(a);
	timeline_free(b);
}

static void test_events_order_dedupe(void **state)
{
	(void)state;
	struct timeline *tl = timeline_new();
	timeline_add_event(tl, T0 + 30, TL_EV_UNIT_FAIL, 1, "app.service", "app.service failed: %s", "exit-code");
	timeline_add_event(tl, T0 + 10, TL_EV_NGINX_RELOAD, 0, "nginx", "reload");
	timeline_add_event(tl, T0 + 50, TL_EV_UNIT_START, 0, "app.service", "started");
	timeline_add_event(tl, T0 + 11, TL_EV_NGINX_RELOAD, 0, "nginx", "reload again (same, 1 s apart)");
	timeline_action(tl, T0 + 45, "restart app.service", 1, "MainPID 5 -> 6");
	assert_int_equal(timeline_nevents(tl), 4);
	assert_int_equal(timeline_event(tl, 0)->kind, TL_EV_NGINX_RELOAD);
	assert_int_equal(timeline_event(tl, 1)->kind, TL_EV_UNIT_FAIL);
	assert_string_equal(timeline_event(tl, 1)->text, "app.service failed: exit-code");
	assert_int_equal(timeline_event(tl, 1)->approx, 1);
	assert_int_equal(timeline_event(tl, 2)->kind, TL_EV_ACTION);
	assert_non_null(strstr(timeline_event(tl, 2)->text, "done: MainPID 5 -> 6"));
	assert_int_equal(timeline_event(tl, 3)->kind, TL_EV_UNIT_START);
	assert_null(timeline_event(tl, 4));
	assert_string_equal(timeline_kind_id(TL_EV_OOM_KILL), "oom_kill");
	assert_string_equal(timeline_kind_id(TL_EV_KIND_MAX), "?");
	assert_true(timeline_kind_bad(TL_EV_UNIT_FAIL));
	assert_false(timeline_kind_bad(TL_EV_NGINX_RELOAD));
	/* bounded: the oldest go first */
	for (int i = 0; i < TIMELINE_MAX_EVENTS + 10; i++)
		timeline_add_event(tl, T0 + 100 + i * 5, TL_EV_CONFIG_EDIT, 0, "f", "edit %d", i);
	assert_int_equal(timeline_nevents(tl), TIMELINE_MAX_EVENTS);
	assert_true(timeline_event(tl, 0)->time > T0 + 50);
	timeline_free(tl);
}

/* Events derived from two hand-built passes. */
static void test_observe(void **state)
{
	(void)state;
	struct timeline *tl = timeline_new();
	struct gw_snapshot *s = calloc(1, sizeof *s);
	snapshot_init(s);
	s->taken = T0 + 600;
	s->nginx.master_pid = 100;
	s->nginx.master_start = T0;
	s->nginx.last_reload = T0 + 300;
	struct gw_proc *p = gw_vec_push(&s->procs);
	p->pid = 200;
	p->ppid = 1;
	p->role = GW_ROLE_GUNICORN_MASTER;
	p->start_time = T0 + 100;
	GW_COPY(p->comm, "gunicorn");
	struct gw_proc *w = gw_vec_push(&s->procs);
	w->pid = 201;
	w->ppid = 200;
	w->role = GW_ROLE_GUNICORN_WORKER;
	w->start_time = T0 + 101;
	struct gw_unit *u = gw_vec_push(&s->units);
	GW_COPY(u->name, "app.service");
	u->loaded = 1;
	GW_COPY(u->active_state, "active");
	u->exec_main_start = T0 + 100;
	u->main_pid = 200;
	struct gw_log_event *e = gw_vec_push(&s->events);
	e->kind = GW_LOG_OOM_KILL;
	e->time = T0 + 200;
	e->pid = 999;
	GW_COPY(e->detail, "python3");
	struct gw_conf_file *cf = gw_vec_push(&s->conf.files);
	GW_COPY(cf->path, "/etc/nginx/nginx.conf");
	cf->mtime = (time_t)(T0 + 290);
	timeline_observe(tl, s);
	timeline_observe(tl, s);             /* the same pass again adds nothing */
	const enum timeline_kind want1[] = { TL_EV_NGINX_START, TL_EV_APP_START, TL_EV_UNIT_START, TL_EV_OOM_KILL,
					     TL_EV_CONFIG_EDIT, TL_EV_NGINX_RELOAD };
	assert_int_equal(timeline_nevents(tl), 6);
	for (size_t i = 0; i < 6; i++) {
		const struct timeline_event *ev = timeline_event(tl, i);
		int found = 0;
		for (size_t k = 0; k < 6; k++) found |= ev->kind == want1[k];
		assert_true(found);
		if (i) assert_true(ev->time >= timeline_event(tl, i - 1)->time);
	}
	/* the next pass: the app's master is gone, the unit failed */
	s->taken = T0 + 700;
	s->procs.n = 0;
	GW_COPY(u->active_state, "failed");
	GW_COPY(u->result, "signal");
	u->exec_main_status = 9;
	timeline_observe(tl, s);
	assert_int_equal(timeline_nevents(tl), 8);
	int exit_seen = 0, fail_seen = 0;
	for (size_t i = 6; i < 8; i++) {
		const struct timeline_event *ev = timeline_event(tl, i);
		assert_true(ev->time == T0 + 700 && ev->approx);
		exit_seen |= ev->kind == TL_EV_APP_EXIT;
		if (ev->kind == TL_EV_UNIT_FAIL) {
			fail_seen = 1;
			assert_non_null(strstr(ev->text, "exit status 9"));
		}
	}
	assert_true(exit_seen && fail_seen);
	snapshot_free(s);
	free(s);
	timeline_free(tl);
}

/* The first pass (--check): what happened before gwtop looked, from the
 * dates systemd and the engine keep (InactiveEnterTimestamp, NRestarts,
 * FinishedAt, RestartCount, Created); nothing from the same state again. */
static const struct timeline_event *find_ev(const struct timeline *tl, enum timeline_kind k, const char *subject)
{
	for (size_t i = 0; i < timeline_nevents(tl); i++) {
		const struct timeline_event *e = timeline_event(tl, i);
		if (e->kind == k && !strcmp(e->subject, subject)) return e;
	}
	return NULL;
}

static void test_observe_first_pass(void **state)
{
	(void)state;
	struct timeline *tl = timeline_new();
	struct gw_snapshot *s = calloc(1, sizeof *s);
	snapshot_init(s);
	s->taken = T0 + 600;
	struct gw_unit *u = gw_vec_push(&s->units);          /* failed, dated */
	GW_COPY(u->name, "fail.service");
	u->loaded = 1;
	GW_COPY(u->active_state, "failed");
	GW_COPY(u->result, "exit-code");
	u->exec_main_status = 3;
	u->inactive_enter = T0 + 500;
	u = gw_vec_push(&s->units);                          /* stopped, then started; restarted by systemd */
	GW_COPY(u->name, "app.service");
	u->loaded = 1;
	GW_COPY(u->active_state, "active");
	u->inactive_enter = T0 + 100;
	u->exec_main_start = T0 + 200;
	u->nrestarts = 2;
	u = gw_vec_push(&s->units);                          /* inactive since before the window: nothing */
	GW_COPY(u->name, "old.service");
	u->loaded = 1;
	GW_COPY(u->active_state, "inactive");
	u->inactive_enter = T0 - 2 * TIMELINE_MINUTES * 60.0;
	struct gw_container *c = gw_vec_push(&s->containers);   /* exited with 137 */
	GW_COPY(c->name, "web");
	GW_COPY(c->state, "exited");
	GW_COPY(c->image, "app:1");
	GW_COPY(c->image_id, "sha256:0123456789abcdef0123");
	c->created_at = T0 + 10;
	c->started_at = T0 + 11;
	c->finished_at = T0 + 300;
	c->exit_code = 137;
	GW_COPY(c->health, "unhealthy");                     /* stale, it is not running: no event */
	c = gw_vec_push(&s->containers);                     /* restarted by its policy, unhealthy */
	GW_COPY(c->name, "api");
	GW_COPY(c->state, "running");
	GW_COPY(c->health, "unhealthy");
	c->created_at = T0 - 2 * TIMELINE_MINUTES * 60.0;
	c->started_at = T0 + 400;
	c->restart_count = 4;
	timeline_observe(tl, s);

	const struct timeline_event *e = find_ev(tl, TL_EV_UNIT_FAIL, "fail.service");
	assert_non_null(e);
	assert_true(e->time == T0 + 500 && !e->approx);
	assert_non_null(strstr(e->text, "result exit-code, exit status 3"));
	e = find_ev(tl, TL_EV_UNIT_STOP, "app.service");
	assert_non_null(e);
	assert_true(e->time == T0 + 100 && !e->approx);
	e = find_ev(tl, TL_EV_UNIT_RESTART, "app.service");
	assert_non_null(e);
	assert_true(e->time == T0 + 200 && !e->approx);
	assert_non_null(strstr(e->text, "NRestarts 2"));
	assert_null(find_ev(tl, TL_EV_UNIT_STOP, "old.service"));
	e = find_ev(tl, TL_EV_CONTAINER_STOP, "web");
	assert_non_null(e);
	assert_true(e->time == T0 + 300 && strstr(e->text, "exit code 137"));
	e = find_ev(tl, TL_EV_DEPLOY, "web");
	assert_non_null(e);
	assert_true(e->time == T0 + 10 && strstr(e->text, "app:1 sha256:0123456789ab"));
	assert_null(find_ev(tl, TL_EV_DEPLOY, "api"));        /* created before the window */
	e = find_ev(tl, TL_EV_CONTAINER_RESTART, "api");
	assert_non_null(e);
	assert_true(e->time == T0 + 400 && strstr(e->text, "RestartCount 4"));
	e = find_ev(tl, TL_EV_CONTAINER_HEALTH, "api");
	assert_non_null(e);
	assert_true(e->approx && strstr(e->text, "unhealthy"));
	assert_null(find_ev(tl, TL_EV_CONTAINER_HEALTH, "web"));
	/* in time order */
	for (size_t i = 1; i < timeline_nevents(tl); i++)
		assert_true(timeline_event(tl, i)->time >= timeline_event(tl, i - 1)->time);

	/* the same state seen again adds nothing */
	size_t n = timeline_nevents(tl);
	s->taken = T0 + 610;
	timeline_observe(tl, s);
	assert_int_equal(timeline_nevents(tl), n);
	/* a later pass: web recreated from another image (dated by Created) */
	c = &s->containers.v[0];
	GW_COPY(c->id, "new");
	GW_COPY(c->state, "running");
	GW_COPY(c->image_id, "sha256:fedcba9876543210fedc");
	c->created_at = T0 + 605;
	c->started_at = T0 + 606;
	timeline_observe(tl, s);
	int found = 0;
	for (size_t i = 0; i < timeline_nevents(tl); i++) {
		e = timeline_event(tl, i);
		if (e->kind == TL_EV_DEPLOY && e->time == T0 + 605 && strstr(e->text, "recreated") &&
		    strstr(e->text, "sha256:fedcba987654"))
			found = 1;
	}
	assert_true(found);
	snapshot_free(s);
	free(s);
	timeline_free(tl);
}

static void test_path_normalize(void **state)
{
	(void)state;
	char out[TIMELINE_PATH];
	const struct {
		const char *in, *want;
	} cases[] = {
		{ "/api/users/123/orders?x=1", "/api/users/:id/orders" },
		{ "/u/550e8400-e29b-41d4-a716-446655440000/x", "/u/:id/x" },
		{ "/static/app.9f86d081884c7d65.js", "/static/app.9f86d081884c7d65.js" },
		{ "/blob/9f86d081884c7d659a2feaa0c55ad015", "/blob/:id" },
		{ "/img/42.png", "/img/:id.png" },
		{ "/t/AbC123xYz789QwE456", "/t/:id" },
		{ "/about", "/about" },
		{ "/deadbeef/cafe", "/deadbeef/cafe" },      /* hex words without a digit stay */
		{ "/", "/" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		timeline_path_normalize(cases[i].in, strlen(cases[i].in), out, sizeof out);
		assert_string_equal(out, cases[i].want);
	}
	/* bounded, and raw control bytes are kept raw (sanitized at output) */
	char big[1000];
	memset(big, 'a', sizeof big);
	big[0] = '/';
	timeline_path_normalize(big, sizeof big, out, sizeof out);
	assert_int_equal(strlen(out), TIMELINE_PATH - 1);
	timeline_path_normalize("/\x1b[2J", 5, out, sizeof out);
	assert_string_equal(out, "/\x1b[2J");
}

static void up(struct timeline *tl, double t, int status, const char *addr, const char *ust, const char *utime,
	       const char *path)
{
	struct timeline_request r = { .time = t, .status = status, .request_time = -1, .path = path,
				      .path_len = path ? strlen(path) : 0 };
	r.upstream_addr = addr;
	r.upstream_addr_len = addr ? strlen(addr) : 0;
	r.upstream_status = ust;
	r.upstream_status_len = ust ? strlen(ust) : 0;
	r.upstream_time = utime;
	r.upstream_time_len = utime ? strlen(utime) : 0;
	timeline_add_request(tl, &r);
}

static void test_upstreams_and_paths(void **state)
{
	(void)state;
	struct timeline *tl = timeline_new();
	char t[16], path[32];
	/* A: 100 answers of 1..100 ms; B: 10 tries, 4 of them 502 */
	for (int i = 1; i <= 100; i++) {
		snprintf(t, sizeof t, "%.3f", i / 1000.0);
		snprintf(path, sizeof path, "/api/item/%d", i);
		up(tl, T0 + i % 50, 200, "127.0.0.1:8000", "200", t, path);
	}
	for (int i = 0; i < 10; i++)
		up(tl, T0 + i, i < 4 ? 502 : 200, "unix:/run/b.sock", i < 4 ? "502" : "200", "0.002", "/b");
	/* a request tried on two servers, then an internal redirect to a third */
	up(tl, T0 + 5, 200, "10.0.0.1:80, 10.0.0.2:80 : 10.0.0.3:80", "502, 504 : 200", "0.001, 3.000 : 0.010", "/c");
	/* no answer at all */
	up(tl, T0 + 6, 502, "10.0.0.1:80", "-", "-", "/c?q=1");
	struct timeline_upstream_stat us[8];
	size_t n = timeline_upstreams(tl, T0, us, 8);
	assert_int_equal(n, 5);
	assert_string_equal(us[0].addr, "127.0.0.1:8000");
	assert_int_equal(us[0].tries, 100);
	assert_int_equal(us[0].n5xx, 0);
	/* bucket upper bounds: at most 9 % over the true value */
	assert_true(us[0].p50 >= 0.050 && us[0].p50 <= 0.050 * 1.1);
	assert_true(us[0].p95 >= 0.095 && us[0].p95 <= 0.095 * 1.1);
	assert_true(us[0].p99 >= 0.099 && us[0].p99 <= 0.099 * 1.1);
	assert_string_equal(us[1].addr, "unix:/run/b.sock");
	assert_int_equal(us[1].n5xx, 4);
	assert_true(us[1].share_5xx > 0.39 && us[1].share_5xx < 0.41);
	const struct timeline_upstream_stat *a1 = NULL, *a2 = NULL, *a3 = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(us[i].addr, "10.0.0.1:80")) a1 = &us[i];
		if (!strcmp(us[i].addr, "10.0.0.2:80")) a2 = &us[i];
		if (!strcmp(us[i].addr, "10.0.0.3:80")) a3 = &us[i];
	}
	assert_non_null(a1);
	assert_non_null(a2);
	assert_non_null(a3);
	assert_int_equal(a1->tries, 2);
	assert_int_equal(a1->n5xx, 1);
	assert_int_equal(a1->no_status, 1);
	assert_true(a1->share_5xx == 1.0);
	assert_int_equal(a1->timed, 1);
	assert_true(a2->p50 >= 3.0 && a2->p50 < 3.3);
	assert_int_equal(a3->n5xx, 0);
	/* since after everything: nothing */
	assert_int_equal(timeline_upstreams(tl, T0 + 3600, us, 8), 0);

	struct timeline_path_stat ps[8];
	size_t np = timeline_paths(tl, T0, ps, 8);
	assert_int_equal(np, 2);                 /* /api/item/:id has no 5xx: not listed */
	assert_string_equal(ps[0].path, "/b");
	assert_int_equal(ps[0].n5xx, 4);
	assert_int_equal(ps[0].requests, 10);
	assert_int_equal(ps[0].last_status, 502);
	assert_string_equal(ps[1].path, "/c");
	assert_int_equal(ps[1].requests, 2);
	assert_int_equal(ps[1].n5xx, 1);
	timeline_free(tl);
}

static void test_format_compile_parse(void **state)
{
	(void)state;
	struct accesslog_format f;
	struct accesslog_fields a;
	const char *fmt = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
			  "\"$http_referer\" \"$http_user_agent\" rt=$request_time ua=\"$upstream_addr\" "
			  "us=\"$upstream_status\" urt=\"$upstream_response_time\"";
	assert_int_equal(accesslog_format_compile(fmt, &f), 1);
	assert_true(f.has[AL_V_UPSTREAM_ADDR] && f.has[AL_V_UPSTREAM_STATUS] && f.has[AL_V_UPSTREAM_RESPONSE_TIME]);
	assert_true(f.has[AL_V_REQUEST_TIME]);
	const char *l = "10.1.2.3 - - [24/Nov/2026:12:01:02 +0000] \"GET /api/x/7?a=1 HTTP/1.1\" 502 157 \"-\" "
			"\"curl/8 (x; y)\" rt=0.003 ua=\"127.0.0.1:8000, 127.0.0.1:8001\" us=\"502, 502\" "
			"urt=\"0.001, 0.002\"\n";
	assert_int_equal(accesslog_parse_fields(&f, l, strlen(l), &a), 1);
	assert_true(a.time == T0 + 2);
	assert_int_equal(a.status, 502);
	assert_int_equal((int)a.path_len, 12);
	assert_memory_equal(a.path, "/api/x/7?a=1", 12);
	assert_int_equal((int)a.upstream_addr_len, 30);
	assert_memory_equal(a.upstream_addr, "127.0.0.1:8000, 127.0.0.1:8001", 30);
	assert_memory_equal(a.upstream_status, "502, 502", a.upstream_status_len);
	assert_memory_equal(a.upstream_time, "0.001, 0.002", a.upstream_time_len);
	assert_true(a.request_time > 0.0029 && a.request_time < 0.0031);

	/* unquoted lists after a space: ", " inside the value does not end it */
	assert_int_equal(accesslog_format_compile("[$time_iso8601] $status $upstream_addr $upstream_response_time $uri",
						  &f), 1);
	l = "[2026-11-24T13:01:02+01:00] 504 10.0.0.1:80, 10.0.0.2:80 : 10.0.0.3:80 1.000, 2.000 : 0.5 /p/1";
	assert_int_equal(accesslog_parse_fields(&f, l, strlen(l), &a), 1);
	assert_true(a.time == T0 + 2);
	assert_int_equal(a.status, 504);
	assert_int_equal((int)a.upstream_addr_len, (int)strlen("10.0.0.1:80, 10.0.0.2:80 : 10.0.0.3:80"));
	assert_memory_equal(a.upstream_time, "1.000, 2.000 : 0.5", a.upstream_time_len);
	assert_memory_equal(a.path, "/p/1", 4);

	/* $msec and ${name} */
	assert_int_equal(accesslog_format_compile("${msec} ${status}", &f), 1);
	l = "1795521662.123 200";
	assert_int_equal(accesslog_parse_fields(&f, l, strlen(l), &a), 1);
	assert_true(a.time > T0 + 2.1 && a.time < T0 + 2.2);

	/* a format without a time or a status is refused */
	assert_int_equal(accesslog_format_compile("$remote_addr $request", &f), 0);

	/* a line that does not follow the format but starts like combined */
	assert_int_equal(accesslog_format_compile(fmt, &f), 1);
	l = "::1 - - [24/Nov/2026:12:01:02 +0000] \"POST /x HTTP/1.1\" 201 3 \"-\" \"-\"";
	assert_int_equal(accesslog_parse_fields(&f, l, strlen(l), &a), 1);
	assert_int_equal(a.status, 201);
	assert_null(a.upstream_addr);
	assert_memory_equal(a.path, "/x", 2);
}

/* Hostile lines: truncated at every length, garbage bytes, no crash and no
 * read past the line (run under SANITIZE=1 too). */
static void test_format_hostile(void **state)
{
	(void)state;
	struct accesslog_format f;
	struct accesslog_fields a;
	/* the format we tell users to paste, between its quotes */
	char hint[1024];
	const char *q1 = strchr(accesslog_hint_format, '\''), *q2 = strrchr(accesslog_hint_format, '\'');
	assert_true(q1 && q2 > q1);
	snprintf(hint, sizeof hint, "%.*s", (int)(q2 - q1 - 1), q1 + 1);
	assert_int_equal(accesslog_format_compile(hint, &f), 1);
	const char *l = "10.1.2.3 - - [24/Nov/2026:12:01:02 +0000] \"GET /\x1b]0;x\x07 HTTP/1.1\" 502 157 \"-\" "
			"\"\xff\xfe\" rt=0.003 ua=\"127.0.0.1:8000\" us=\"502\" urt=\"0.001\"";
	size_t n = strlen(l);
	for (size_t k = 0; k <= n; k++) {
		char *copy = malloc(k ? k : 1);
		memcpy(copy, l, k);
		(void)accesslog_parse_fields(&f, copy, k, &a);
		free(copy);
	}
	assert_int_equal(accesslog_parse_fields(&f, l, n, &a), 1);
	assert_int_equal(a.status, 502);
	assert_non_null(a.upstream_addr);
	assert_memory_equal(a.upstream_addr, "127.0.0.1:8000", 14);
	/* a format of 200 variables: bounded */
	char big[2000] = "";
	for (int i = 0; i < 200; i++) strcat(big, "$status ");
	(void)accesslog_format_compile(big, &f);
	assert_true(f.nseg <= ACCESSLOG_MAX_SEGS);
}

/* A whole file through the feeder's reader. */
static void test_read_file(void **state)
{
	(void)state;
	char path[] = "/tmp/gwtop-test-timeline-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *fp = fdopen(fd, "w");
	for (int i = 0; i < 300; i++)
		fprintf(fp, "127.0.0.%d - - [24/Nov/2026:12:%02d:%02d +0000] \"GET /k/%d HTTP/1.1\" %d 1 \"-\" \"-\"\n",
			2 + i % 3, 1 + i / 60, i % 60, i, i >= 100 && i < 130 ? 502 : 200);
	fprintf(fp, "garbage line\n");
	fprintf(fp, "127.0.0.1 - - [24/Nov/2026:12:06:00 +0000] \"GET /x?gwtop=through HTTP/1.1\" 502 1 \"-\" "
		    "\"gwtop/0.1 (through)\"\n");
	fprintf(fp, "127.0.0.2 - - [24/Nov/2026:12:06:01 +0000] \"GET /partial HTTP/1.1\" 200 1 \"-\" \"-\"");
	fclose(fp);
	struct timeline *tl = timeline_new();
	assert_int_equal(tlfeed_read_file(tl, path, NULL, T0 + 30), 303);
	unlink(path);
	const struct timeline_minute *m = timeline_minute(tl, (long)(T0 / 60));
	assert_non_null(m);
	assert_int_equal(m->total, 30);                  /* since T0 + 30 */
	m = timeline_minute(tl, (long)(T0 / 60) + 1);
	assert_int_equal(m->n5xx, 20);
	assert_int_equal(m->n2xx, 40);
	m = timeline_minute(tl, (long)(T0 / 60) + 5);
	assert_int_equal(m->own, 1);
	assert_int_equal(m->total, 1);                   /* the last line without a newline counts at the end of a file */
	assert_int_equal(timeline_nincidents(tl), 1);
	assert_true(timeline_incident(tl, 0)->start == T0 + 100);
	assert_true(timeline_incident(tl, 0)->recovered == T0 + 130);
	timeline_free(tl);
}

/* --check --json: "timeline" and "traffic", hostile bytes from the log
 * escaped (never a raw ESC in the output). */
static void test_json(void **state)
{
	(void)state;
	struct timeline *tl = timeline_new();
	struct gw_snapshot *s = calloc(1, sizeof *s);
	struct gw_diagnosis *d = calloc(1, sizeof *d);
	snapshot_init(s);
	s->taken = T0 + 120;
	s->timeline = tl;
	struct timeline_progress pg = { .since = T0 - 600, .lines = 5 };
	timeline_set_progress(tl, &pg);
	struct timeline_fields fl = { .known = 1, .format_name = "combined" };
	GW_COPY(fl.hint, "log_format timeline '...';");
	timeline_set_fields(tl, &fl);
	up(tl, T0 + 1, 200, "127.0.0.1:8000", "200", "0.010", "/ok");
	up(tl, T0 + 2, 502, "127.0.0.1:8000", "502", "0.001", "/evil/\x1b]0;pwn\x07/42");
	up(tl, T0 + 3, 200, "127.0.0.1:8000", "200", "0.010", "/ok");
	up(tl, T0 + 4, 200, "127.0.0.1:8000", "200", "0.010", "/ok");
	up(tl, T0 + 5, 200, "127.0.0.1:8000", "200", "0.010", "/ok");
	timeline_add_event(tl, T0 + 3, TL_EV_UNIT_START, 0, "app\x1b[2J.service", "started \x1b[31mred");
	d->since = T0 - 300;
	char *text = report_json(s, d);
	assert_null(memchr(text, 0x1b, strlen(text)));
	json_error_t err;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	if (!root) fail_msg("JSON does not parse: %s", err.text);
	json_t *t = json_object_get(root, "timeline"), *tr = json_object_get(root, "traffic");
	assert_non_null(t);
	assert_non_null(tr);
	json_t *mins = json_object_get(t, "minutes");
	assert_int_equal(json_array_size(mins), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(mins, 0), "5xx")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(mins, 0), "2xx")), 4);
	json_t *ev = json_object_get(t, "events");
	/* merged by time; at the same second the incident's marks come first */
	assert_int_equal(json_array_size(ev), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "kind")), "incident_start");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 1), "kind")), "recovery");
	assert_true(json_real_value(json_object_get(json_array_get(ev, 1), "t")) == T0 + 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 2), "kind")), "unit_start");
	json_t *inc = json_object_get(t, "incident");
	assert_true(json_is_object(inc));
	assert_true(json_real_value(json_object_get(inc, "start")) == T0 + 2);
	json_t *u = json_array_get(json_object_get(tr, "upstreams"), 0);
	assert_string_equal(json_string_value(json_object_get(u, "addr")), "127.0.0.1:8000");
	assert_int_equal(json_integer_value(json_object_get(u, "5xx")), 1);
	json_t *fp = json_array_get(json_object_get(tr, "failing_paths"), 0);
	const char *path = json_string_value(json_object_get(fp, "path"));
	assert_non_null(path);
	assert_true(strncmp(path, "/evil/", 6) == 0 && strstr(path, "/:id") != NULL);
	assert_string_equal(json_string_value(json_object_get(tr, "hint")), "log_format timeline '...';");
	json_decref(root);
	free(text);
	snapshot_free(s);
	free(s);
	free(d);
	timeline_free(tl);
}

/* nginx's error.log notice lines: reloads and stops on the axis (local time). */
static void test_error_lines(void **state)
{
	(void)state;
	struct timeline *tl = timeline_new();
	const char *reload = "2026/11/24 12:01:02 [notice] 812#812: signal 1 (SIGHUP) received from 900, reconfiguring";
	const char *sig = "2026/11/24 12:01:02 [notice] 900#900: signal process started";
	const char *stop = "2026/11/24 12:05:00 [notice] 812#812: signal 15 (SIGTERM) received from 1, exiting";
	const char *other = "2026/11/24 12:06:00 [error] 813#813: *1 connect() failed (111: Connection refused)";
	const char *junk = "2026/13/99 99:99:99 [notice] reconfiguring";
	const char *oldw = "2026/11/24 12:01:03 [notice] 813#813: gracefully shutting down";   /* a reload's old worker */
	assert_int_equal(tlfeed_error_line(tl, reload, strlen(reload)), 1);
	assert_int_equal(tlfeed_error_line(tl, sig, strlen(sig)), 1);     /* the same reload: one event */
	assert_int_equal(tlfeed_error_line(tl, stop, strlen(stop)), 1);
	assert_int_equal(tlfeed_error_line(tl, other, strlen(other)), 0);
	assert_int_equal(tlfeed_error_line(tl, junk, strlen(junk)), 0);
	assert_int_equal(tlfeed_error_line(tl, oldw, strlen(oldw)), 0);
	assert_int_equal(tlfeed_error_line(tl, reload, 20), 0);          /* cut short */
	assert_int_equal(timeline_nevents(tl), 2);
	assert_int_equal(timeline_event(tl, 0)->kind, TL_EV_NGINX_RELOAD);
	assert_int_equal(timeline_event(tl, 1)->kind, TL_EV_NGINX_STOP);
	assert_true(timeline_event(tl, 1)->time - timeline_event(tl, 0)->time == 238);
	struct tm tm = { .tm_year = 126, .tm_mon = 10, .tm_mday = 24, .tm_hour = 12, .tm_min = 1, .tm_sec = 2, .tm_isdst = -1 };
	assert_true(timeline_event(tl, 0)->time == (double)mktime(&tm));
	timeline_free(tl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minutes_by_class),
		cmocka_unit_test(test_incident_start_recovery),
		cmocka_unit_test(test_incident_out_of_order),
		cmocka_unit_test(test_events_order_dedupe),
		cmocka_unit_test(test_observe),
		cmocka_unit_test(test_observe_first_pass),
		cmocka_unit_test(test_path_normalize),
		cmocka_unit_test(test_upstreams_and_paths),
		cmocka_unit_test(test_format_compile_parse),
		cmocka_unit_test(test_format_hostile),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_error_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
