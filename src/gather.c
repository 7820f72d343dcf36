/* gather.c — one probe pass into a snapshot (see gather.h).
 *
 * A pass runs the rows of gather_table[] (at the end of this file) in
 * order: each row names what it needs from the rows above it (processes
 * locate the running nginx and its config; the config gives the targets;
 * listeners and permissions need the targets ...) and what it gives, and
 * gather_probes_check() holds the table to that. The synchronous rows
 * (procfs, netlink, the config, log tails) fill the snapshot at once; the
 * asynchronous ones (HTTP to every target and through nginx, systemd
 * units, Docker, `nginx -t`) run on the sd-event loop and the pass ends
 * when the last of them is in.
 *
 * The dashboard repeats a pass every tick on a host that mostly did not
 * change: the config is re-parsed only when a file of it changed and a log
 * tail is re-read only when its file changed (caches below, see
 * nginx_conf.h and logread.h); the HTTP probes run every tick (or every
 * n-th quiet one, gather_set_heartbeat). */
#include "gather.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accesstail.h"
#include "docker.h"
#include "hostsfile.h"
#include "kernlog.h"
#include "listeners.h"
#include "logread.h"
#include "memory.h"
#include "nginx_conf.h"
#include "nginx_test.h"
#include "procs.h"
#include "sockperm.h"
#include "through.h"
#include "trust.h"
#include "units.h"
#include "upstream.h"

#define LOG_TAIL_BYTES (4u << 20)

struct gather {
	sd_event *e;
	const struct gw_options *o;
	struct procs_state *ps;
	struct listeners_state *ls;
	struct memory_state *mem;
	struct kernlog_state *kern;
	struct nginx_conf_cache *conf_cache;
	struct logread_cache *log_cache;
	struct upstream_prober *up;
	struct through_prober *through;
	struct accesstail_cache *access_cache;
	struct units_prober *units;
	struct docker_prober *docker;
	struct gw_snapshot *s;       /* the pass in flight (not owned) */
	int pending;                 /* async probes still out */
	int busy;
	void (*done)(void *ud);
	void *ud;
	double t0;
	double conf_sig;             /* config files signature at the last nginx -t */
	int heartbeat;               /* HTTP probes every n-th quiet pass (gather_set_heartbeat) */
	int quiet;                   /* quiet passes since the last HTTP probes */
	int force_http;
	int ntest_invalid;
	char ntest_refused[GW_TEXT]; /* why nginx -t was refused at conf_sig ("" ran) */
};

struct gather *gather_new(sd_event *e, const struct gw_options *o)
{
	struct gather *g = gw_xcalloc(1, sizeof *g);
	/* Every pass allocates a snapshot of the same size as the last one
	 * (the process table alone is some 200 KiB) and frees the older one.
	 * glibc's defaults would mmap such a table afresh each time (its
	 * dynamic threshold only grows past sizes already freed) or trim the
	 * freed heap: a few dozen page faults per tick. Keep it in the heap. */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	mallopt(M_TRIM_THRESHOLD, 4 << 20);
	g->e = sd_event_ref(e);
	g->o = o;
	g->ps = procs_state_new();
	g->ls = listeners_state_new();
	g->mem = memory_state_new();
	g->kern = kernlog_state_new();
	g->conf_cache = nginx_conf_cache_new();
	g->log_cache = logread_cache_new();
	g->up = upstream_prober_new(e);
	g->through = through_prober_new(e);
	g->access_cache = accesstail_cache_new();
	g->units = units_prober_new(e);
	g->docker = docker_prober_new(e);
	g->ntest_invalid = 1;
	g->heartbeat = 1;
	char why[GW_TEXT];
	size_t n;
	const struct gather_probe *rows = gather_probes(&n);
	if (gather_probes_check(rows, n, why, sizeof why) < 0) {
		fprintf(stderr, "gwtop: the probe table is out of order: %s\n", why);   /* a programming error */
		abort();
	}
	return g;
}

void gather_free(struct gather *g)
{
	if (!g) return;
	upstream_prober_free(g->up);
	through_prober_free(g->through);
	accesstail_cache_free(g->access_cache);
	if (g->units) units_prober_free(g->units);
	if (g->docker) docker_prober_free(g->docker);
	procs_state_free(g->ps);
	listeners_state_free(g->ls);
	memory_state_free(g->mem);
	kernlog_state_free(g->kern);
	nginx_conf_cache_free(g->conf_cache);
	logread_cache_free(g->log_cache);
	sd_event_unref(g->e);
	free(g);
}

void gather_set_units_notify(struct gather *g, void (*fn)(void *ud), void *ud)
{
	units_prober_set_notify(g->units, fn, ud);
}

int gather_busy(const struct gather *g)
{
	return g->busy;
}

int gather_event_fd(struct gather *g)
{
	return procs_event_fd(g->ps);
}

int gather_pump(struct gather *g)
{
	return procs_pump(g->ps);
}

void gather_set_heartbeat(struct gather *g, int n)
{
	g->heartbeat = n > 1 ? n : 1;
}

void gather_force_http(struct gather *g)
{
	g->force_http = 1;
}

/* Did the previous pass find everything answering, with the same targets
 * and requests through nginx, and do the same targets still have (or not
 * have) a listener? Then this pass may reuse its HTTP results. */
static int gather_http_quiet(const struct gw_snapshot *prev, const struct gw_snapshot *s)
{
	if (!prev || prev->targets.n != s->targets.n || prev->through.n != s->through.n) return 0;
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct gw_target *a = &prev->targets.v[i], *b = &s->targets.v[i];
		if (strcmp(a->display, b->display) || (a->listener_idx >= 0) != (b->listener_idx >= 0)) return 0;
		if (!a->probed || !a->reachable || (!a->not_http && !a->http_ok) || a->http_status >= 500)
			return 0;
		if (b->perm_checked && !b->perm_ok) return 0;
	}
	for (size_t i = 0; i < s->through.n; i++) {
		const struct gw_through *a = &prev->through.v[i], *b = &s->through.v[i];
		if (strcmp(a->url, b->url) || strcmp(a->host, b->host) || !a->answered || a->status >= 500) return 0;
	}
	return 1;
}

static void gather_http_reuse(const struct gw_snapshot *prev, struct gw_snapshot *s)
{
	for (size_t i = 0; i < s->targets.n; i++) {
		struct gw_target *b = &s->targets.v[i];
		const struct gw_target *a = &prev->targets.v[i];
		b->probed = a->probed;
		b->reachable = a->reachable;
		b->http_ok = a->http_ok;
		b->http_status = a->http_status;
		b->err = a->err;
		b->timed_out = a->timed_out;
		b->connect_ms = a->connect_ms;
		b->total_ms = a->total_ms;
		b->not_http = a->not_http;
		GW_COPY(b->error, a->error);
	}
	for (size_t i = 0; i < s->through.n; i++) s->through.v[i] = prev->through.v[i];
	s->http_reused = prev->http_reused ? prev->http_reused : prev->taken;
}

void gather_invalidate_ntest(struct gather *g)
{
	g->ntest_invalid = 1;
}

static void probe_mark(struct gw_snapshot *s, const char *name, double t0, int ok, const char *err)
{
	struct gw_probe_status *p = gw_vec_push(&s->probes);
	GW_COPY(p->name, name);
	p->duration = gw_mono() - t0;
	if (ok) p->last_ok = gw_now();
	if (err) GW_COPY(p->error, err);
}

static void finish(struct gather *g)
{
	struct gw_snapshot *s = g->s;
	if (s->ntest.ran && s->ntest.exit_code == 127)
		snapshot_note(s, "nginx -t", "cannot run nginx -t (%s): the config was not tested; use --nginx-bin",
			      g->o->nginx_bin ? g->o->nginx_bin : "nginx");
	s->finished = gw_now();
	probe_mark(s, "total", g->t0, 1, NULL);
	g->busy = 0;
	g->s = NULL;
	if (g->done) g->done(g->ud);
}

static void async_done(void *ud)
{
	struct gather *g = ud;
	if (--g->pending == 0) finish(g);
}

/* Signature of the config files' mtimes: changes when any file is edited. */
static double conf_signature(const struct gw_nginx_conf *c)
{
	double sig = (double)c->files.n;
	for (size_t i = 0; i < c->files.n; i++) sig += (double)c->files.v[i].mtime * (double)(i + 1);
	return sig;
}

static int path_is_file_log(const char *p)
{
	return p[0] == '/' && strcmp(p, "/dev/null") && !gw_starts_with(p, "/dev/std");
}

static int seen_path(const struct gw_snapshot *s, const char *path)
{
	for (size_t i = 0; i < s->log_sources.n; i++)
		if (!strcmp(s->log_sources.v[i].path, path)) return 1;
	return 0;
}

/* App log files named on an app server's command line (gunicorn
 * --error-logfile / --log-file). */
static void app_logs_from_cmdlines(struct gather *g, struct gw_snapshot *s, double since)
{
	for (size_t i = 0; i < s->procs.n; i++) {
		const struct gw_proc *p = &s->procs.v[i];
		char buf[GW_LINE], *save = NULL, *prev = NULL;
		if (p->role != GW_ROLE_GUNICORN_MASTER && p->role != GW_ROLE_UVICORN_MASTER &&
		    p->role != GW_ROLE_APP_SERVER)
			continue;
		/* as root: only what a trusted process names (trust.h), and
		 * logread opens it only if it is a regular file */
		if (trust_strict() && !trust_app_process(p->uid, p->cgroup)) continue;
		GW_COPY(buf, p->cmdline);
		for (char *tok = strtok_r(buf, " ", &save); tok; prev = tok, tok = strtok_r(NULL, " ", &save)) {
			const char *val = NULL;
			if (prev && (!strcmp(prev, "--error-logfile") || !strcmp(prev, "--log-file"))) val = tok;
			else if (gw_starts_with(tok, "--error-logfile=")) val = tok + 16;
			else if (gw_starts_with(tok, "--log-file=")) val = tok + 11;
			if (val && val[0] == '/' && !seen_path(s, val))
				logread_tail_cached(g->log_cache, s, val, "app", LOGREAD_APP, LOG_TAIL_BYTES, since);
		}
	}
}

/* nginx's testimony: the access logs of the config (or --access-log),
 * summed over the recent window into s->access. */
static void read_access_logs(struct gather *g, struct gw_snapshot *s)
{
	const struct gw_options *o = g->o;
	double since = s->taken - (o->recent_window > 0 ? o->recent_window : 300);
	int n = 0;

	for (size_t i = 0; i < o->access_logs.n; i++, n++)
		accesstail_read(g->access_cache, s, o->access_logs.v[i], since);
	for (size_t i = 0; !o->access_logs.n && i < s->conf.logs.n && n < 8; i++) {
		const struct gw_conf_log *l = &s->conf.logs.v[i];
		int dup = 0;
		if (!l->is_access || !path_is_file_log(l->path)) continue;
		for (size_t k = 0; k < i && !dup; k++)
			dup = s->conf.logs.v[k].is_access && !strcmp(s->conf.logs.v[k].path, l->path);
		if (dup) continue;
		accesstail_read(g->access_cache, s, l->path, since);
		n++;
	}
}

static void read_logs(struct gather *g, struct gw_snapshot *s)
{
	const struct gw_options *o = g->o;
	double since = s->taken - (o->recent_window > 0 ? o->recent_window : 300) - 60;
	double t0 = gw_mono();

	if (o->error_logs.n) {
		for (size_t i = 0; i < o->error_logs.n; i++)
			logread_tail_cached(g->log_cache, s, o->error_logs.v[i], "nginx-error", LOGREAD_NGINX_ERROR,
					    LOG_TAIL_BYTES, since);
	} else {
		for (size_t i = 0; i < s->conf.logs.n; i++) {
			const struct gw_conf_log *l = &s->conf.logs.v[i];
			if (l->is_access || !path_is_file_log(l->path) || seen_path(s, l->path)) continue;
			logread_tail_cached(g->log_cache, s, l->path, "nginx-error", LOGREAD_NGINX_ERROR,
					    LOG_TAIL_BYTES, since);
		}
		if (!s->log_sources.n && s->conf.parsed) {
			const char *def = "/var/log/nginx/error.log";   /* Debian's compiled-in default */
			if (access(def, F_OK) == 0)
				logread_tail_cached(g->log_cache, s, def, "nginx-error", LOGREAD_NGINX_ERROR,
						    LOG_TAIL_BYTES, since);
		}
	}
	for (size_t i = 0; i < o->app_logs.n; i++) {
		const char *a = o->app_logs.v[i];
		if (gw_starts_with(a, "unit:")) continue;   /* read by the journal probe (main adds it to --unit) */
		if (!seen_path(s, a))
			logread_tail_cached(g->log_cache, s, a, "app", LOGREAD_APP, LOG_TAIL_BYTES, since);
	}
	app_logs_from_cmdlines(g, s, since);
	read_access_logs(g, s);
	logread_cache_sweep(g->log_cache);
	for (size_t i = 0; i < s->log_sources.n; i++) {
		const struct gw_log_source *ls = &s->log_sources.v[i];
		if (!ls->readable)
			snapshot_note(s, "logs", "cannot read %s: %s", ls->path, ls->error);
	}
	probe_mark(s, "logs", t0, 1, NULL);
}

/* --upstream URL: extra targets given by hand. */
static void add_cli_targets(struct gather *g, struct gw_snapshot *s)
{
	for (size_t i = 0; i < g->o->upstreams.n; i++) {
		const char *u = g->o->upstreams.v[i];
		struct gw_target *t = gw_vec_push(&s->targets);
		const char *hp = strstr(u, "://");
		t->listener_idx = -1;
		GW_COPY(t->directive, "--upstream");
		GW_COPY(t->scheme, "http");
		hp = hp ? hp + 3 : u;
		if (gw_starts_with(hp, "unix:")) {
			t->addr.kind = GW_ADDR_UNIX;
			GW_COPY(t->addr.path, hp + 5);
			char *c = strchr(t->addr.path, ':');
			if (c) *c = '\0';
		} else if (hp[0] == '[') {
			const char *e = strchr(hp, ']');
			t->addr.kind = GW_ADDR_INET6;
			gw_fmt(t->addr.host, sizeof t->addr.host, "%.*s", e ? (int)(e - hp - 1) : 0, hp + 1);
			t->addr.port = e && e[1] == ':' ? gw_atoi(e + 2) : 80;
		} else {
			size_t n = strcspn(hp, ":/");
			gw_fmt(t->addr.host, sizeof t->addr.host, "%.*s", (int)n, hp);
			t->addr.port = hp[n] == ':' ? gw_atoi(hp + n + 1) : 80;
			t->addr.kind = strspn(t->addr.host, "0123456789.") == strlen(t->addr.host) ? GW_ADDR_INET : GW_ADDR_HOST;
		}
		gw_addr_str(&t->addr, t->display, sizeof t->display);
	}
}

/* ---------------------------------------------------------------- the probe rows
 *
 * One function per row of gather_probes[] below. A synchronous row fills
 * its part of the snapshot and returns; an asynchronous one launches its
 * work on the loop with g->pending++ and async_done as the callback. */

static void probe_procs(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev)
{
	(void)prev;
	double t0 = gw_mono();
	procs_refresh(s, g->ps);
	probe_mark(s, "processes", t0, s->procs.n > 0, NULL);
}

/* Where the config is (the running master's -c, --nginx-conf, nginx -V)
 * and its parse (cached while no file of it changed). */
static void probe_config(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev)
{
	const struct gw_options *o = g->o;
	char conf[GW_PATH], prefix[GW_PATH], source[64];
	double t0 = gw_mono();

	(void)prev;
	if (nginx_conf_locate(g->conf_cache, s, o->nginx_conf, o->nginx_bin, conf, sizeof conf, prefix, sizeof prefix,
			      source, sizeof source) < 0) {
		s->unknown = 1;
		gw_fmt(s->unknown_reason, sizeof s->unknown_reason, "--nginx-conf %s: %s", conf, strerror(errno));
		GW_COPY(s->conf.conf_path, conf);
	} else {
		nginx_conf_parse_cached(g->conf_cache, &s->conf, conf, prefix);
		GW_COPY(s->conf.conf_source, source);
		if (!s->conf.ok && !s->conf.files.n) {
			s->unknown = 1;
			gw_fmt(s->unknown_reason, sizeof s->unknown_reason, "cannot read the nginx config %s: %s",
			       conf, s->conf.error);
		}
	}
	probe_mark(s, "nginx-config", t0, s->conf.ok, s->conf.error);
	/* what the parser could not follow (include loops, unreadable includes) */
	if (s->conf.error[0] && s->conf.files.n)
		snapshot_note(s, "nginx-config", "%s:%d: %s", s->conf.error_loc.file, s->conf.error_loc.line, s->conf.error);
	for (size_t i = 0; i < s->conf.warnings.n && i < 10; i++)
		snapshot_note(s, "nginx-config", "%s:%d: %s", s->conf.warnings.v[i].loc.file,
			      s->conf.warnings.v[i].loc.line, s->conf.warnings.v[i].text);
}

/* The running master and its workers' identity; is the config newer? */
static void probe_nginx_runtime(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev)
{
	(void)g;
	(void)prev;
	procs_nginx_runtime(s);
	procs_nginx_stale(s);
}

static void probe_targets(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev)
{
	(void)prev;
	nginx_conf_build_targets(s);
	hostsfile_expand_targets(s, NULL);   /* names as nginx resolved them at load */
	add_cli_targets(g, s);
}

/* The requests through nginx itself to make (the client hop). */
static void probe_through_plan(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev)
{
	(void)prev;
	if (!g->o->no_probe_through && !s->unknown) through_plan(s, g->o->probe_path);
}

/* Listening sockets, each target's listener, and the permissions of the
 * unix sockets for nginx's workers. */
static void probe_listeners(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev)
{
	double t0 = gw_mono();

	(void)prev;
	listeners_refresh(g->ls, s);
	for (size_t i = 0; i < s->targets.n; i++) {
		struct gw_target *t = &s->targets.v[i];
		t->listener_idx = listeners_find(s, &t->addr);
		if (t->addr.kind == GW_ADDR_UNIX && s->nginx.worker_ids_known) {
			const struct gw_nginx_runtime *n = &s->nginx;
			struct stat sb;
			sockperm_check(t->addr.path, n->worker_uid, n->worker_gid, n->worker_groups,
				       n->worker_ngroups, n->worker_user, t);
			/* the walk stops at a denied directory; we may still see the socket */
			if (!t->exists && lstat(t->addr.path, &sb) == 0) t->exists = 1;
		}
	}
	probe_mark(s, "listeners", t0, 1, NULL);
}

static void probe_memory(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev)
{
	double t0 = gw_mono();

	(void)prev;
	memory_refresh(g->mem, s);
	probe_mark(s, "memory", t0, s->mem.ok, NULL);
}

static void probe_logs(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev)
{
	(void)prev;
	read_logs(g, s);
}

static void probe_kernel_log(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev)
{
	const struct gw_options *o = g->o;
	double since = s->taken - (o->recent_window > 0 ? o->recent_window : 300) - 60;
	double t0 = gw_mono();

	(void)prev;
	kernlog_read(g->kern, s, since);
	if (!s->mem.kernel_log_readable && s->mem.kernel_log_error[0])
		snapshot_note(s, "kernel", "kernel log (OOM kills) not readable: %s", s->mem.kernel_log_error);
	probe_mark(s, "kernel-log", t0, s->mem.kernel_log_readable, s->mem.kernel_log_error);
}

/* Connections to the targets (all TCP states, a dump of every socket
 * on the host) only for the rule that reads them: local_ports_exhausted,
 * when nginx logged (99: Cannot assign requested address). On a busy
 * host this dump was the idle tick's largest cost. */
static void probe_conns(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev)
{
	(void)g;
	(void)prev;
	for (size_t i = 0; i < s->events.n; i++)
		if (s->events.v[i].kind == GW_LOG_ADDR_NOTAVAIL) {
			listeners_count_conns(s);
			break;
		}
}

/* HTTP to every target and through nginx (curl multi on the loop), or
 * the last pass's results on a quiet pass (gather_set_heartbeat). */
static void probe_http(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev)
{
	const struct gw_options *o = g->o;
	int reuse = g->heartbeat > 1 && !g->force_http && gather_http_quiet(prev, s) && ++g->quiet < g->heartbeat;

	if (reuse) gather_http_reuse(prev, s);
	else g->quiet = 0;
	g->force_http = 0;
	if (s->targets.n && !reuse) {
		g->pending++;
		if (upstream_probe_start(g->up, s->targets.v, s->targets.n,
					 o->probe_timeout > 0 ? o->probe_timeout : 3.0, async_done, g) < 0)
			g->pending--;
	}
	if (s->through.n && g->through && !reuse) {
		g->pending++;
		if (through_probe_start(g->through, s->through.v, s->through.n,
					o->probe_timeout > 0 ? o->probe_timeout : 3.0, async_done, g) < 0)
			g->pending--;
	}
}

/* systemd units, their journal, databases (sd-bus on the loop). */
static void probe_units(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev)
{
	(void)prev;
	if (g->units) {
		g->pending++;
		if (units_probe_start(g->units, s, g->o, async_done, g) < 0) g->pending--;
	}
}

/* Containers (the Engine API over curl multi on the loop). */
static void probe_docker(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev)
{
	(void)prev;
	if (g->docker) {
		g->pending++;
		if (docker_probe_start(g->docker, s, g->o, async_done, g) < 0) g->pending--;
	}
}

/* `nginx -t` (a child on the loop) when a config file changed since the
 * last run or after gather_invalidate_ntest; else the last result. */
static void probe_nginx_test(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev)
{
	const struct gw_options *o = g->o;
	double sig = conf_signature(&s->conf);

	if (!s->conf.files.n || s->unknown) return;
	const char *bin = o->nginx_bin ? o->nginx_bin : "nginx";
	const char *tprefix = s->conf.prefix[0] ? s->conf.prefix : NULL;
	if (!g->ntest_invalid && prev && prev->ntest.ran && sig == g->conf_sig) {
		s->ntest = prev->ntest;      /* no file changed: the last result holds */
	} else if (!g->ntest_invalid && g->ntest_refused[0] && sig == g->conf_sig) {
		snapshot_note(s, "nginx -t", "%s", g->ntest_refused);   /* still refused */
	} else {
		g->conf_sig = sig;
		g->ntest_invalid = 0;
		g->ntest_refused[0] = '\0';
		/* as root: nothing another user could change (trust.h) */
		if (!trust_nginx_test_ok(bin, s->conf.conf_path, tprefix, &s->conf, g->ntest_refused,
					 sizeof g->ntest_refused)) {
			snapshot_note(s, "nginx -t", "%s", g->ntest_refused);
		} else {
			g->pending++;
			int r = nginx_test_start(g->e, bin, s->conf.conf_path, tprefix, 10.0, &s->ntest, async_done, g);
			if (r < 0) g->pending--;
			if (r == -EPERM) {
				GW_COPY(g->ntest_refused, s->ntest.output);
				s->ntest.output[0] = '\0';
				snapshot_note(s, "nginx -t", "%s", g->ntest_refused);
			}
		}
	}
}

/* ---------------------------------------------------------------- the probe table
 *
 * One pass runs these rows in this order. `needs`: the facts (gather.h)
 * the row reads from the snapshot, which rows above it must give;
 * `gives`: what it fills. An asynchronous row gives its facts only when
 * its work is in, after every row has run, so no row may need them.
 * gather_probes_check() holds the table to that (at gather_new and in
 * tests/unit/test_gather_table.c). Adding a probe: one row here. */
static const struct gather_probe gather_table[] = {
	{ "processes",     probe_procs,         0,                                    GF_PROCS,     0 },
	{ "nginx-config",  probe_config,        GF_PROCS,                             GF_CONFIG,    0 },
	{ "nginx-runtime", probe_nginx_runtime, GF_PROCS | GF_CONFIG,                 GF_NGINX,     0 },
	{ "targets",       probe_targets,       GF_CONFIG,                            GF_TARGETS,   0 },
	{ "through-plan",  probe_through_plan,  GF_CONFIG,                            GF_THROUGH,   0 },
	{ "listeners",     probe_listeners,     GF_PROCS | GF_NGINX | GF_TARGETS,     GF_LISTENERS, 0 },
	{ "memory",        probe_memory,        0,                                    GF_MEMORY,    0 },
	{ "logs",          probe_logs,          GF_PROCS | GF_CONFIG,                 GF_LOGS,      0 },
	{ "kernel-log",    probe_kernel_log,    0,                                    GF_KERNEL,    0 },
	{ "conns",         probe_conns,         GF_LOGS | GF_TARGETS,                 GF_CONNS,     0 },
	{ "http",          probe_http,          GF_TARGETS | GF_LISTENERS | GF_THROUGH, GF_HTTP,    1 },
	{ "units",         probe_units,         GF_PROCS | GF_NGINX | GF_TARGETS,     GF_UNITS,     1 },
	{ "docker",        probe_docker,        GF_TARGETS,                           GF_CONTAINERS, 1 },
	{ "nginx -t",      probe_nginx_test,    GF_CONFIG,                            GF_NTEST,     1 },
};

const struct gather_probe *gather_probes(size_t *n)
{
	*n = sizeof gather_table / sizeof *gather_table;
	return gather_table;
}

int gather_probes_check(const struct gather_probe *rows, size_t n, char *why, size_t whysize)
{
	unsigned have = 0, later = 0;   /* given by synchronous rows so far; by asynchronous ones */

	for (size_t i = 0; i < n; i++) {
		const struct gather_probe *r = &rows[i];
		unsigned missing = r->needs & ~have;
		if (!r->name || !r->run) {
			gw_fmt(why, whysize, "row %zu: no name or no run function", i);
			return -1;
		}
		if (missing) {
			gw_fmt(why, whysize, "%s needs %s (0x%x), which %s", r->name,
			       (missing & later) ? "an asynchronous probe's result" : "a fact", missing,
			       (missing & later) ? "is not in before the pass ends" : "no row above it gives");
			return -1;
		}
		if (!r->gives) {
			gw_fmt(why, whysize, "%s gives nothing", r->name);
			return -1;
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(rows[k].name, r->name)) {
				gw_fmt(why, whysize, "%s: two rows of that name", r->name);
				return -1;
			}
		if (r->async) later |= r->gives;
		else have |= r->gives;
	}
	if (why && whysize) why[0] = '\0';
	return 0;
}

int gather_start(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev,
		 void (*done)(void *ud), void *ud)
{
	if (g->busy) return -1;
	g->busy = 1;
	g->s = s;
	g->done = done;
	g->ud = ud;
	g->t0 = gw_mono();
	s->taken = gw_now();
	s->is_root = geteuid() == 0;
	gethostname(s->hostname, sizeof s->hostname - 1);
	if (!s->is_root)
		snapshot_note(s, "gwtop", "running without root: other users' sockets, fds and some logs are hidden; run sudo gwtop for the full picture");

	g->pending = 1;                  /* held until every asynchronous row is launched */
	for (size_t i = 0; i < sizeof gather_table / sizeof *gather_table; i++)
		gather_table[i].run(g, s, prev);
	async_done(g);
	return 0;
}
