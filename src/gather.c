/* gather.c — one probe pass into a snapshot (see gather.h).
 *
 * Order matters: processes first (they locate the running nginx and its
 * config), then the config (targets, log paths, worker user), then listeners
 * and permissions (they need the targets), then the log tails, then the two
 * asynchronous probes: HTTP to every target and `nginx -t`.
 *
 * The dashboard repeats a pass every tick on a host that mostly did not
 * change: the config is re-parsed only when a file of it changed and a log
 * tail is re-read only when its file changed (caches below, see
 * nginx_conf.h and logread.h); the HTTP probes run every tick. */
#include "gather.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accesstail.h"
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
#include "upstream.h"

#define LOG_TAIL_BYTES (4u << 20)

/* Optional probes, linked in when their files are part of the build
 * (probes/units.c: systemd units, journal, databases; probes/docker.c). */
struct units_prober;
struct units_prober *units_prober_new(sd_event *e) __attribute__((weak));
void units_prober_free(struct units_prober *p) __attribute__((weak));
int units_probe_start(struct units_prober *p, struct gw_snapshot *s, const struct gw_options *o,
		      void (*done)(void *ud), void *ud) __attribute__((weak));
struct docker_prober;
struct docker_prober *docker_prober_new(sd_event *e) __attribute__((weak));
void docker_prober_free(struct docker_prober *p) __attribute__((weak));
int docker_probe_start(struct docker_prober *p, struct gw_snapshot *s, const struct gw_options *o,
		       void (*done)(void *ud), void *ud) __attribute__((weak));

struct gather {
	sd_event *e;
	const struct gw_options *o;
	struct procs_state *ps;
	struct nginx_conf_cache *conf_cache;
	struct logread_cache *log_cache;
	struct upstream_prober *up;
	struct through_prober *through;
	struct accesstail_cache *access_cache;
	struct units_prober *units;  /* NULL when not built in */
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
	g->conf_cache = nginx_conf_cache_new();
	g->log_cache = logread_cache_new();
	g->up = upstream_prober_new(e);
	g->through = through_prober_new(e);
	g->access_cache = accesstail_cache_new();
	if (units_prober_new) g->units = units_prober_new(e);
	if (docker_prober_new) g->docker = docker_prober_new(e);
	g->ntest_invalid = 1;
	g->heartbeat = 1;
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
	nginx_conf_cache_free(g->conf_cache);
	logread_cache_free(g->log_cache);
	sd_event_unref(g->e);
	free(g);
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

	t0 = gw_mono();
	kernlog_read(s, since);
	if (!s->mem.kernel_log_readable && s->mem.kernel_log_error[0])
		snapshot_note(s, "kernel", "kernel log (OOM kills) not readable: %s", s->mem.kernel_log_error);
	probe_mark(s, "kernel-log", t0, s->mem.kernel_log_readable, s->mem.kernel_log_error);
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

int gather_start(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev,
		 void (*done)(void *ud), void *ud)
{
	const struct gw_options *o = g->o;
	char conf[GW_PATH], prefix[GW_PATH], source[64];
	double t0;

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

	t0 = gw_mono();
	procs_refresh(s, g->ps);
	probe_mark(s, "processes", t0, s->procs.n > 0, NULL);

	t0 = gw_mono();
	if (nginx_conf_locate(s, o->nginx_conf, o->nginx_bin, conf, sizeof conf, prefix, sizeof prefix,
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

	procs_nginx_runtime(s);
	procs_nginx_stale(s);
	nginx_conf_build_targets(s);
	hostsfile_expand_targets(s, NULL);   /* names as nginx resolved them at load */
	add_cli_targets(g, s);
	if (!o->no_probe_through && !s->unknown) through_plan(s, o->probe_path);

	t0 = gw_mono();
	listeners_refresh(s);
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

	t0 = gw_mono();
	memory_refresh(s);
	probe_mark(s, "memory", t0, s->mem.ok, NULL);

	read_logs(g, s);
	/* Connections to the targets (all TCP states, a dump of every socket
	 * on the host) only for the rule that reads them: local_ports_exhausted,
	 * when nginx logged (99: Cannot assign requested address). On a busy
	 * host this dump was the idle tick's largest cost. */
	for (size_t i = 0; i < s->events.n; i++)
		if (s->events.v[i].kind == GW_LOG_ADDR_NOTAVAIL) {
			listeners_count_conns(s);
			break;
		}

	/* asynchronous part */
	g->pending = 1;                  /* held until both are launched */
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
	if (g->units) {
		g->pending++;
		if (units_probe_start(g->units, s, o, async_done, g) < 0) g->pending--;
	}
	if (g->docker) {
		g->pending++;
		if (docker_probe_start(g->docker, s, o, async_done, g) < 0) g->pending--;
	}
	double sig = conf_signature(&s->conf);
	if (s->conf.files.n && !s->unknown) {
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
	async_done(g);
	return 0;
}
