/* diagnose_truth.c — nginx's own testimony held against the diagnosis.
 *
 * What nginx did to the last requests is the ground truth: the request
 * gwtop sent through nginx itself (s->through), the access logs' statuses
 * (s->access) and the upstream error lines in error.log. The other rules
 * reason from the config on disk and gwtop's direct probes; this file runs
 * after them and makes sure that:
 *   - the verdict is never `healthy` while nginx fails requests now: when no
 *     rule named a cause, it says so (`unexplained_5xx`, with the evidence);
 *   - an address nginx really used that the config on disk no longer names
 *     (while the on-disk target answers) makes a stale running config a
 *     crit when requests fail;
 *   - the client hop shows what a client gets.
 * Pure: reads the snapshot, adds findings. */
#include <string.h>

#include "diagnose_int.h"

/* How requests fare now, from nginx's side. */
struct truth {
	int through_n, through_ok, through_fail;
	const struct gw_through *bad;        /* the first failing request through nginx */
	double last_success;                 /* newest answered request (access log or ours) */
	int access_failing;                  /* 5xx in the window, none answered since */
	int access_mixed;                    /* 5xx between answers: some requests fail */
	int access_recovered;                /* a run of 5xx, then answers: history */
	int fresh_errors;                    /* upstream error lines newer than the last success */
	const struct gw_log_event *last_error;
};

static int truth_through_failed(const struct gw_through *t)
{
	return t->probed && (!t->answered || t->status >= 500);
}

/* An nginx error.log line about an upstream (what nginx did to a request). */
static int truth_upstream_event(const struct gw_log_event *e)
{
	/* [error] and worse: "worker_connections are not enough, reusing
	 * connections" is a [warn] that failed no request */
	return e->kind >= GW_LOG_CONNECT_REFUSED && e->kind < GW_LOG_NGINX_EMERG && e->level >= GW_LV_ERROR &&
	       !diag_event_is_own(e);
}

static void truth_gather(const struct diag_ctx *c, struct truth *t)
{
	const struct gw_snapshot *s = c->s;
	const struct gw_access *a = &s->access;
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < s->through.n; i++) {
		const struct gw_through *th = &s->through.v[i];
		if (!th->probed) continue;
		t->through_n++;
		if (truth_through_failed(th)) {
			t->through_fail++;
			if (!t->bad) t->bad = th;
		} else {
			t->through_ok++;
			if (th->when > t->last_success) t->last_success = th->when;
		}
	}
	if (a->read) {
		if (a->last_ok > t->last_success) t->last_success = a->last_ok;
		if (a->n5xx && a->last_5xx > t->last_success) t->access_failing = 1;
		else if (a->n5xx && a->ok_after_5xx >= 1 && (!a->interleaved || a->last_5xx < c->cfg->now - 60))
			t->access_recovered = 1;
		else if (a->n5xx) t->access_mixed = 1;
	}
	for (size_t i = 0; i < s->events.n; i++) {
		const struct gw_log_event *e = &s->events.v[i];
		if (!truth_upstream_event(e) || !diag_event_current(c, e)) continue;
		if (e->time <= 0 || e->time <= t->last_success) continue;
		t->fresh_errors++;
		if (!t->last_error || e->time >= t->last_error->time) t->last_error = e;
	}
}

static int truth_failing_now(const struct truth *t)
{
	return t->through_fail || t->access_failing || t->fresh_errors;
}

static int truth_some_succeed(const struct truth *t)
{
	return t->through_ok > 0 || t->access_mixed;
}

static const struct gw_finding *truth_worst(const struct diag_ctx *c, enum gw_severity *sev)
{
	const struct gw_finding *w = NULL;
	*sev = GW_SEV_OK;
	for (size_t i = 0; i < c->d->findings.n; i++) {
		const struct gw_finding *f = &c->d->findings.v[i];
		if (f->severity > *sev || (w && f->severity == *sev && f->rank > w->rank)) {
			*sev = f->severity;
			w = f;
		}
	}
	return w;
}

static void truth_hms(double t, char *buf, size_t n)
{
	char full[32];
	gw_time_str(t, full, sizeof full);
	gw_fmt(buf, n, "%s", strlen(full) > 11 ? full + 11 : full);
}

static void truth_through_str(const struct gw_through *t, char *buf, size_t n)
{
	if (t->answered)
		gw_fmt(buf, n, "GET %s (Host: %s) through nginx: HTTP %ld in %.0f ms", t->url, t->host, t->status,
		       t->total_ms);
	else
		gw_fmt(buf, n, "GET %s (Host: %s) through nginx: no answer%s (%.200s)", t->url, t->host,
		       t->timed_out ? " in time" : "", t->error);
}

/* The error.log lines our own request through nginx produced: same request
 * line, from loopback, within the request's time. */
static void truth_through_lines(const struct diag_ctx *c, struct gw_finding *f, const struct gw_through *t)
{
	char req[GW_PATH + 32];
	int shown = 0;
	gw_fmt(req, sizeof req, "request: \"GET %s HTTP/1.1\"", t->path);
	for (size_t i = c->s->events.n; i-- > 0 && shown < 2;) {
		const struct gw_log_event *e = &c->s->events.v[i];
		if (e->time <= 0 || e->time < t->when - t->total_ms / 1000.0 - 2 || e->time > t->when + 2) continue;
		if (!strstr(e->line, req) || !(strstr(e->line, "client: 127.") || strstr(e->line, "client: ::1")))
			continue;
		diag_event_evidence(f, e);
		shown++;
	}
}

/* Evidence of how requests fare: ours, the access log, error.log. */
static void truth_evidence(const struct diag_ctx *c, struct gw_finding *f, const struct truth *t)
{
	const struct gw_access *a = &c->s->access;
	char buf[GW_TEXT];
	if (t->bad) {
		truth_through_str(t->bad, buf, sizeof buf);
		diag_evidence(f, "%s", buf);
		truth_through_lines(c, f, t->bad);
	}
	if (a->read && a->n5xx) {
		char hms[32];
		truth_hms(a->last_5xx, hms, sizeof hms);
		diag_evidence(f, "%s: %u of %u requests answered 5xx in the last %.0f min (500: %u, 502: %u, 503: %u, 504: %u), newest at %s",
			      a->path, a->n5xx, a->total, c->cfg->recent_window / 60, a->n500, a->n502, a->n503,
			      a->n504, hms);
		if (a->last_5xx_line[0]) diag_evidence(f, "newest: %.400s", a->last_5xx_line);
	}
	if (t->last_error) {
		diag_event_evidence(f, t->last_error);
		if (t->fresh_errors > 1)
			diag_evidence(f, "%d upstream error lines since the last request that succeeded", t->fresh_errors);
	}
}

/* An address nginx used (error.log `upstream: "..."`) that no target of
 * the config on disk names. Returns the event, or NULL. */
static const struct gw_log_event *truth_foreign_upstream(const struct diag_ctx *c, const struct truth *t)
{
	const struct gw_snapshot *s = c->s;
	const struct gw_log_event *e = t->last_error;
	if (!e || !e->upstream[0] || !s->targets.n) return NULL;
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct gw_target *g = &s->targets.v[i];
		if (g->addr.kind == GW_ADDR_VARIABLE) return NULL;   /* cannot tell */
		if (diag_event_matches_target(e, g)) return NULL;
		if (g->upstream_name[0] && strstr(e->upstream, g->upstream_name)) return NULL;
	}
	return e;
}

static int truth_targets_answer(const struct gw_snapshot *s)
{
	int ok = 0;
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct gw_target *g = &s->targets.v[i];
		if (!g->probed) continue;
		if (!g->reachable || (!g->not_http && !g->http_ok)) return 0;
		ok++;
	}
	return ok > 0;
}

/* nginx connects to an address the config on disk no longer names while
 * the on-disk targets answer: the running config is stale. */
static int truth_rule_stale(struct diag_ctx *c, const struct truth *t)
{
	const struct gw_log_event *e = truth_foreign_upstream(c, t);
	if (!e || !truth_targets_answer(c->s)) return 0;
	struct gw_finding *f = diag_find(c, GW_CAUSE_NGINX_CONFIG_STALE, GW_SUBJ_NONE);
	if (f) {
		f->severity = GW_SEV_CRIT;
		f->rank = 95;
		gw_fmt(f->summary, sizeof f->summary,
		       "nginx still runs its old config: it connects to %.200s, which %s no longer names, and requests fail",
		       e->upstream, c->s->conf.conf_path);
	} else {
		f = diag_add_as(c, GW_CAUSE_NGINX_CONFIG_STALE, DIAG_NO_SUBJECT, GW_SEV_CRIT, 95,
			     "nginx connects to %.200s, which the config on disk (%s) does not name: the running config is not the one on disk",
			     e->upstream, c->s->conf.conf_path);
		diag_fix(f, "check the config with nginx -t, then reload nginx so the running workers use it");
		diag_command(f, "nginx -t && systemctl reload nginx");
	}
	diag_evidence(f, "error.log: nginx used upstream \"%.200s\"; the config's targets on disk answer the direct probe", e->upstream);
	truth_evidence(c, f, t);
	return 1;
}

static void truth_rule_unexplained(struct diag_ctx *c, const struct truth *t, int total)
{
	const struct gw_access *a = &c->s->access;
	struct gw_finding *f = diag_add_as(c, GW_CAUSE_UNEXPLAINED_5XX, DIAG_NO_SUBJECT, total ? GW_SEV_CRIT : GW_SEV_WARN,
		DIAG_RANK,
		"nginx %s requests now and no rule of gwtop names why: the evidence below is what nginx says",
		total ? "fails" : "fails some");
	truth_evidence(c, f, t);
	diag_fix(f, "read the error.log lines (the upstream: address nginx used and the errno) and compare the request through nginx with the direct probes");
	diag_fix(f, "direct probe fine but the route through nginx fails: nginx's routing, server_name/Host, headers, TLS or a stale upstream");
	if (t->bad) {
		char hh[GW_NAME + 8];
		gw_fmt(hh, sizeof hh, "Host: %s", t->bad->host);
		diag_command(f, "curl -sk -o /dev/null -w '%%{http_code}\\n' -H %s %s", DIAG_Q(hh), DIAG_Q(t->bad->url));
	}
	for (size_t i = 0; i < c->s->log_sources.n; i++)
		if (gw_starts_with(c->s->log_sources.v[i].tag, "nginx-error")) {
			diag_command(f, "tail -n 30 %s", DIAG_Q(c->s->log_sources.v[i].path));
			break;
		}
	if (a->read) diag_command(f, "awk '$9 >= 500' %s | tail -n 20", DIAG_Q(a->path));
}

/* The newest app-side failure (boot error, OOM kill, killed worker) in the
 * window that is older than the app's current start: history. */
static const struct gw_log_event *truth_app_history(const struct diag_ctx *c, double *started)
{
	static const enum gw_log_kind kinds[] = {
		GW_LOG_APP_MODULE_NOT_FOUND, GW_LOG_APP_CONFIG, GW_LOG_APP_DB, GW_LOG_APP_WORKER_BOOT,
		GW_LOG_APP_WORKER_KILLED, GW_LOG_OOM_KILL, GW_LOG_APP_TRACEBACK,
	};
	const struct gw_snapshot *s = c->s;
	const struct gw_log_event *best = NULL;
	*started = 0;
	for (size_t i = 0; i < s->procs.n; i++) {
		enum gw_role r = s->procs.v[i].role;
		if ((r == GW_ROLE_GUNICORN_MASTER || r == GW_ROLE_UVICORN_MASTER || r == GW_ROLE_APP_SERVER) &&
		    s->procs.v[i].start_time > *started)
			*started = s->procs.v[i].start_time;
	}
	if (!*started) return NULL;
	for (size_t i = 0; i < s->events.n; i++) {
		const struct gw_log_event *e = &s->events.v[i];
		if (e->time <= 0 || e->time >= *started || !diag_event_current(c, e)) continue;
		for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
			if (e->kind == kinds[k] && (!best || e->time >= best->time)) best = e;
	}
	return best;
}

/* Failed, then recovered: an info note, never the verdict. */
static void truth_rule_recovered(struct diag_ctx *c, const struct truth *t)
{
	const struct gw_access *a = &c->s->access;
	double started;
	const struct gw_log_event *h = truth_app_history(c, &started);
	char at[32], f5[32], l5[32], st[32];
	enum gw_cause cause = GW_CAUSE_UNEXPLAINED_5XX;
	if (h) cause = h->kind == GW_LOG_OOM_KILL || h->kind == GW_LOG_APP_WORKER_KILLED ? GW_CAUSE_OOM_KILLED
									    : GW_CAUSE_APP_BOOT_FAILURE;
	truth_hms(a->recovered_at ? a->recovered_at : c->cfg->now, at, sizeof at);
	truth_hms(a->first_5xx, f5, sizeof f5);
	truth_hms(a->last_5xx, l5, sizeof l5);
	struct gw_finding *f = diag_add_as(c, cause, DIAG_NO_SUBJECT, GW_SEV_INFO, 1,
		"recovered at %s: %u request%s answered 5xx between %s and %s, %u answered since",
		at, a->n5xx, a->n5xx == 1 ? "" : "s", f5, l5, a->ok_after_5xx);
	if (h) {
		truth_hms(started, st, sizeof st);
		diag_evidence(f, "before the app's current start (%s):", st);
		diag_event_evidence(f, h);
	}
	if (a->last_5xx_line[0]) diag_evidence(f, "last 5xx: %.400s", a->last_5xx_line);
	(void)t;
}

void diagnose_truth(struct diag_ctx *c)
{
	struct truth t;
	enum gw_severity worst;
	truth_gather(c, &t);
	if (t.access_recovered && !truth_failing_now(&t)) {
		truth_rule_recovered(c, &t);
		return;
	}
	if (!truth_failing_now(&t) && !t.access_mixed) return;
	if (c->s->unknown) return;
	truth_worst(c, &worst);
	int total = truth_failing_now(&t) && !truth_some_succeed(&t);
	if (truth_failing_now(&t) && worst < GW_SEV_CRIT && truth_rule_stale(c, &t)) return;
	if (total && worst < GW_SEV_CRIT) truth_rule_unexplained(c, &t, 1);
	else if (!total && worst < GW_SEV_WARN) truth_rule_unexplained(c, &t, 0);
}

void diagnose_truth_client_hop(struct diag_ctx *c)
{
	struct gw_hop_state *h = &c->d->hops[GW_HOP_CLIENT];
	struct truth t;
	char buf[GW_TEXT];
	truth_gather(c, &t);
	if (t.bad) {
		truth_through_str(t.bad, buf, sizeof buf);
		h->status = GW_HS_FAIL;
		GW_COPY(h->detail, buf);
	} else if (t.access_failing) {
		h->status = GW_HS_FAIL;
		gw_fmt(h->detail, GW_TEXT, "access log: %u of %u requests answered 5xx, none answered since",
		       c->s->access.n5xx, c->s->access.total);
	} else if (t.through_ok) {
		const struct gw_through *ok = NULL;
		for (size_t i = 0; i < c->s->through.n && !ok; i++)
			if (c->s->through.v[i].probed && !truth_through_failed(&c->s->through.v[i])) ok = &c->s->through.v[i];
		if (!ok) return;
		truth_through_str(ok, buf, sizeof buf);
		h->status = t.access_mixed || t.fresh_errors ? GW_HS_WARN : GW_HS_OK;
		if (t.through_n > 1) gw_fmt(h->detail, GW_TEXT, "%.400s (+%d more server%s)", buf, t.through_n - 1,
					    t.through_n > 2 ? "s" : "");
		else GW_COPY(h->detail, buf);
	}
}
