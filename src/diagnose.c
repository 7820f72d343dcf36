/* diagnose.c — the rules: snapshot -> findings + verdict. Pure: no I/O, no
 * clock (the caller passes `now`), so every rule is unit-testable on a
 * fixture snapshot.
 *
 * How the verdict is chosen: each rule adds findings with a severity, a hop
 * and a rank (how specific a root cause it names). The verdict is the most
 * severe finding on the earliest hop of the request path; among equals the
 * highest rank wins. Rules refine rather than stack: when a target is down
 * and the app log says why (ModuleNotFoundError), the finding is
 * app_boot_failure carrying the target evidence, not upstream_down. */
#include "diagnose.h"
#include "diagnose_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>


/* ------------------------------------------------------------ finding helpers */

static struct gw_finding *diag_vadd(struct diag_ctx *c, enum gw_cause cause, struct gw_subject about,
				    enum gw_severity sev, int rank, const char *fmt, va_list ap)
{
	const struct gw_cause_info *ci = gw_cause_info(cause);
	struct gw_finding *f = gw_vec_push(&c->d->findings);
	f->cause = cause;
	f->subject = about;
	f->severity = sev;
	f->hop = ci->hop;
	f->rank = rank == DIAG_RANK ? ci->rank : rank;
	if (vsnprintf(f->summary, sizeof f->summary, fmt, ap) < 0) f->summary[0] = '\0';
	return f;
}

struct gw_finding *diag_add(struct diag_ctx *c, enum gw_cause cause, struct gw_subject about,
			    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct gw_finding *f = diag_vadd(c, cause, about, gw_cause_info(cause)->severity, DIAG_RANK, fmt, ap);
	va_end(ap);
	return f;
}

struct gw_finding *diag_add_as(struct diag_ctx *c, enum gw_cause cause, struct gw_subject about,
			       enum gw_severity sev, int rank, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct gw_finding *f = diag_vadd(c, cause, about, sev, rank, fmt, ap);
	va_end(ap);
	return f;
}

void diag_recause(struct gw_finding *f, enum gw_cause cause)
{
	f->cause = cause;
	f->hop = gw_cause_info(cause)->hop;
}

struct gw_subject diag_on_target(const struct diag_ctx *c, const struct gw_target *t)
{
	if (!t) return DIAG_NO_SUBJECT;
	return (struct gw_subject){ GW_SUBJ_TARGET, (int)(t - c->s->targets.v) };
}

struct gw_subject diag_on_unit(const struct diag_ctx *c, const struct gw_unit *u)
{
	if (!u) return DIAG_NO_SUBJECT;
	return (struct gw_subject){ GW_SUBJ_UNIT, (int)(u - c->s->units.v) };
}

struct gw_subject diag_on_container(const struct diag_ctx *c, const struct gw_container *ct)
{
	if (!ct) return DIAG_NO_SUBJECT;
	return (struct gw_subject){ GW_SUBJ_CONTAINER, (int)(ct - c->s->containers.v) };
}

struct gw_finding *diag_find(struct diag_ctx *c, enum gw_cause cause, enum gw_subject_kind kind)
{
	for (size_t i = 0; i < c->d->findings.n; i++) {
		struct gw_finding *f = &c->d->findings.v[i];
		if (f->cause == cause && (kind == GW_SUBJ_NONE || f->subject.kind == kind)) return f;
	}
	return NULL;
}

int diag_is_about_target(const struct diag_ctx *c, const struct gw_finding *f, const struct gw_target *t)
{
	if (!t) return 1;
	return f->subject.kind == GW_SUBJ_TARGET && f->subject.index == (int)(t - c->s->targets.v);
}

static void add_line(char (*arr)[GW_TEXT], int *n, int max, const char *fmt, va_list ap)
{
	char buf[GW_TEXT];
	if (vsnprintf(buf, sizeof buf, fmt, ap) < 0) return;
	for (int i = 0; i < *n; i++)
		if (!strcmp(arr[i], buf)) return;
	if (*n >= max) return;
	GW_COPY(arr[*n], buf);
	(*n)++;
}

void diag_evidence(struct gw_finding *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_line(f->evidence, &f->nevidence, GW_MAX_EVIDENCE, fmt, ap);
	va_end(ap);
}

void diag_fix(struct gw_finding *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_line(f->fix, &f->nfix, GW_MAX_FIX, fmt, ap);
	va_end(ap);
}

void diag_command(struct gw_finding *f, const char *fmt, ...)
{
	va_list ap;
	char probe[GW_TEXT];
	va_start(ap, fmt);
	int n = vsnprintf(probe, sizeof probe, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof probe) return;   /* would be cut, maybe inside a quote */
	va_start(ap, fmt);
	add_line(f->commands, &f->ncommands, GW_MAX_FIX, fmt, ap);
	va_end(ap);
}

static const char *base_name(const char *p)
{
	const char *b = strrchr(p, '/');
	return b ? b + 1 : p;
}

static void loc_str(const struct gw_srcloc *l, char *buf, size_t n)
{
	if (l->file[0]) gw_fmt(buf, n, "%s:%d", l->file, l->line);
	else gw_fmt(buf, n, "(unknown location)");
}

static void time_hms(double t, char *buf, size_t n)
{
	char full[32];
	if (t <= 0) { gw_fmt(buf, n, "time unknown"); return; }
	gw_time_str(t, full, sizeof full);
	gw_fmt(buf, n, "%s", full + 11 < full + strlen(full) ? full + 11 : full);
}

/* ------------------------------------------------------------ snapshot queries */

const struct gw_proc *diag_proc_by_pid(const struct gw_snapshot *s, pid_t pid)
{
	for (size_t i = 0; i < s->procs.n; i++)
		if (s->procs.v[i].pid == pid) return &s->procs.v[i];
	return NULL;
}

int diag_role_is_app(enum gw_role r)
{
	return r == GW_ROLE_GUNICORN_MASTER || r == GW_ROLE_GUNICORN_WORKER ||
	       r == GW_ROLE_UVICORN_MASTER || r == GW_ROLE_UVICORN_WORKER ||
	       r == GW_ROLE_APP_SERVER || r == GW_ROLE_DOCKER_PROXY;
}

static int role_is_app_master(enum gw_role r)
{
	return r == GW_ROLE_GUNICORN_MASTER || r == GW_ROLE_UVICORN_MASTER || r == GW_ROLE_APP_SERVER;
}

/* The newest start time of an app master process (restart = history reset). */
static double app_last_start(const struct gw_snapshot *s)
{
	double t = 0;
	for (size_t i = 0; i < s->procs.n; i++)
		if (role_is_app_master(s->procs.v[i].role) && s->procs.v[i].start_time > t)
			t = s->procs.v[i].start_time;
	return t;
}

int diag_app_running(const struct gw_snapshot *s)
{
	for (size_t i = 0; i < s->procs.n; i++)
		if (diag_role_is_app(s->procs.v[i].role) && s->procs.v[i].role != GW_ROLE_DOCKER_PROXY) return 1;
	return 0;
}

static int event_is_nginx(const struct gw_log_event *e)
{
	return e->kind >= GW_LOG_CONNECT_REFUSED && e->kind <= GW_LOG_NGINX_EMERG;
}

int diag_event_is_own(const struct gw_log_event *e)
{
	return strstr(e->request, THROUGH_MARK) != NULL;
}

int diag_event_current(const struct diag_ctx *c, const struct gw_log_event *e)
{
	return e->time <= 0 || e->time >= (event_is_nginx(e) ? c->since_nginx : c->since);
}

/* Does an nginx event's upstream: "..." name this target? Events without an
 * upstream value match any target. */
int diag_event_matches_target(const struct gw_log_event *e, const struct gw_target *t)
{
	if (!e->upstream[0]) return 1;
	if (t->addr.kind == GW_ADDR_UNIX) {
		char want[GW_PATH + 8];
		gw_fmt(want, sizeof want, "unix:%s", t->addr.path);
		return strstr(e->upstream, want) != NULL;
	}
	char hp[300];
	if (t->addr.kind == GW_ADDR_INET6) gw_fmt(hp, sizeof hp, "[%s]:%d", t->addr.host, t->addr.port);
	else gw_fmt(hp, sizeof hp, "%s:%d", t->addr.host, t->addr.port);
	const char *p = strstr(e->upstream, hp);
	if (!p) return 0;
	char after = p[strlen(hp)];
	return after == '\0' || after == '/' || after == '"';
}

/* When the process now serving target t started (its listener's owner, a
 * worker's master): nginx's errors about t from before are about a process
 * that is gone, history. 0 when not known (no listener, owner not seen). */
static double target_began(const struct gw_snapshot *s, const struct gw_target *t)
{
	if (!t || !s->listeners.v || t->listener_idx < 0 || (size_t)t->listener_idx >= s->listeners.n) return 0;
	pid_t pid = s->listeners.v[t->listener_idx].pid;
	const struct gw_proc *p = pid ? diag_proc_by_pid(s, pid) : NULL;
	if (p && (p->role == GW_ROLE_GUNICORN_WORKER || p->role == GW_ROLE_UVICORN_WORKER))
		p = diag_proc_by_pid(s, p->ppid);
	return p && diag_role_is_app(p->role) ? p->start_time : 0;
}

/* The newest current nginx event of a kind (for a target, or any when t NULL). */
static const struct gw_log_event *nginx_event(const struct diag_ctx *c, enum gw_log_kind k,
					      const struct gw_target *t, int *count)
{
	const struct gw_log_event *last = NULL;
	double began = target_began(c->s, t), own_ok = 0;
	int n = 0;
	/* gwtop's own request through nginx answered since: its older failures are history */
	for (size_t i = 0; i < c->s->through.n; i++) {
		const struct gw_through *th = &c->s->through.v[i];
		if (th->probed && th->answered && th->status < 500 && th->when > own_ok) own_ok = th->when;
	}
	for (size_t i = 0; i < c->s->events.n; i++) {
		const struct gw_log_event *e = &c->s->events.v[i];
		if (e->kind != k || !diag_event_current(c, e)) continue;
		if (t && !diag_event_matches_target(e, t)) continue;
		if (began > 0 && e->time > 0 && e->time < began - 1) continue;
		if (own_ok > 0 && e->time > 0 && e->time < own_ok && diag_event_is_own(e)) continue;
		n++;
		/* a real client's line is better evidence than one gwtop's own
		 * request through nginx caused: the newest of those, else ours */
		int own = diag_event_is_own(e);
		if (!last || (!own && diag_event_is_own(last)) ||
		    (own == diag_event_is_own(last) && e->time >= last->time))
			last = e;
	}
	if (count) *count = n;
	return last;
}

/* App-side events (journal / app log) since the window start, not superseded
 * by a later restart of the app when `after_restart` is set. */
static const struct gw_log_event *app_event(const struct diag_ctx *c, const enum gw_log_kind *kinds,
					    size_t nk, double not_before)
{
	const struct gw_log_event *best = NULL;
	for (size_t i = 0; i < c->s->events.n; i++) {
		const struct gw_log_event *e = &c->s->events.v[i];
		if (!diag_event_current(c, e) || (e->time > 0 && e->time < not_before)) continue;
		for (size_t k = 0; k < nk; k++) {
			if (e->kind != kinds[k]) continue;
			/* prefer the most specific kind (earlier in the list), then the newest */
			if (!best) { best = e; break; }
			size_t bk = 0;
			while (bk < nk && kinds[bk] != best->kind) bk++;
			if (k < bk || (k == bk && e->time >= best->time)) best = e;
			break;
		}
	}
	return best;
}

void diag_event_evidence(struct gw_finding *f, const struct gw_log_event *e)
{
	char hms[32];
	time_hms(e->time, hms, sizeof hms);
	diag_evidence(f, "%s (%s): %.400s", e->source[0] ? e->source : "log", hms, e->line);
}

/* A container engine's listener stands for an app only as a container's
 * published host port. The engine's own sockets (dockerd's docker.sock, a
 * TCP API port) are not an app's (issue 20: dockerd's API socket was named
 * as where the app listens). With the engine's container list, its ports
 * decide; without it, a docker-proxy / conmon / rootlessport TCP listener
 * is a published port by construction, a dockerd one cannot be told. */
static int listener_is_published(const struct gw_snapshot *s, const struct gw_listener *l,
				 const struct gw_proc *p)
{
	if (l->family == AF_UNIX) return 0;
	for (size_t i = 0; i < s->containers.n; i++)
		for (int k = 0; k < s->containers.v[i].nports && k < 16; k++)
			if (s->containers.v[i].ports[k].host_port == l->port) return 1;
	if (s->docker_available) return 0;
	return strcmp(p->comm, "dockerd") != 0;
}

/* The listeners owned by app-ish processes (not nginx), for mismatch rules. */
static int listener_is_app(const struct gw_snapshot *s, const struct gw_listener *l)
{
	const struct gw_proc *p;
	if (!l->pid) return 0;
	p = diag_proc_by_pid(s, l->pid);
	if (p && p->role == GW_ROLE_DOCKER_PROXY) return listener_is_published(s, l, p);
	return p && diag_role_is_app(p->role);
}

static void listener_str(const struct gw_listener *l, char *buf, size_t n)
{
	if (l->family == AF_UNIX) gw_fmt(buf, n, "unix:%s", l->path);
	else if (l->family == AF_INET6) gw_fmt(buf, n, "[%s]:%d", l->addr, l->port);
	else gw_fmt(buf, n, "%s:%d", l->addr, l->port);
}

static void owner_str(const struct gw_snapshot *s, const struct gw_listener *l, char *buf, size_t n)
{
	const struct gw_proc *p = l->pid ? diag_proc_by_pid(s, l->pid) : NULL;
	if (p) gw_fmt(buf, n, "%s pid %d", p->role != GW_ROLE_OTHER ? gw_role_name(p->role) : p->comm, (int)p->pid);
	else if (l->pid) gw_fmt(buf, n, "pid %d", (int)l->pid);
	else gw_fmt(buf, n, "owner unknown");
}


/* The ranks of the weaker (or more specific) forms of a cause; the usual
 * rank of each cause is its row in causes.h. */
enum {
	RANK_NTEST_NOT_ROOT = 1,     /* nginx -t tripped over permissions without root: info */
	RANK_CONF_UNREAD = 2,        /* our parser failed where nginx -t did not */
	RANK_NTEST_HANGS = 5,        /* nginx -t did not finish */
	RANK_MEMORY_LOW = 10,        /* memory nearly exhausted, nothing killed yet */
	RANK_OOM_HISTORY = 20,       /* a recent OOM kill that no failure points to */
	RANK_PARTIAL = 30,           /* one server of an upstream down, the others answer */
	RANK_QUEUE_FULL = 62,        /* the listener's queue is full while the probe answered */
	RANK_PROBE_NO_HTTP = 64,     /* the direct probe was dropped / got no HTTP */
	RANK_RESOLVE_PROBE = 70,     /* the upstream name does not resolve for the probe either */
};

/* ------------------------------------------------------------ nginx rules */

static void rule_unknown(struct diag_ctx *c)
{
	if (!c->s->unknown) return;
	c->d->unknown = 1;
	GW_COPY(c->d->unknown_reason, c->s->unknown_reason);
}

static void rule_nginx_down(struct diag_ctx *c)
{
	const struct gw_snapshot *s = c->s;
	if (s->nginx.master_pid) {
		/* master up: is anything listening on its listen ports? */
		int nlisten = 0, seen = 0;
		char missing[GW_TEXT] = "";
		for (size_t i = 0; i < s->conf.listens.n; i++) {
			const struct gw_conf_listen *cl = &s->conf.listens.v[i];
			if (cl->addr.kind == GW_ADDR_UNIX || !cl->addr.port) continue;
			nlisten++;
			for (size_t j = 0; j < s->listeners.n; j++)
				if (s->listeners.v[j].family != AF_UNIX && s->listeners.v[j].port == cl->addr.port) {
					seen++;
					goto next;
				}
			if (!missing[0]) gw_fmt(missing, sizeof missing, "%s (%s:%d)", cl->raw, cl->loc.file, cl->loc.line);
next:;
		}
		if (nlisten && !seen && s->listeners.n) {
			struct gw_finding *f = diag_add(c, GW_CAUSE_NGINX_DOWN, DIAG_NO_SUBJECT,
				"nginx master %d runs but nothing listens on its ports", (int)s->nginx.master_pid);
			diag_evidence(f, "no listening socket for listen %s", missing);
			diag_fix(f, "check the nginx error log for bind() failures, then restart nginx");
			diag_command(f, "ss -ltnp");
			diag_command(f, "systemctl restart nginx");
		}
		return;
	}
	struct gw_finding *f = diag_add(c, GW_CAUSE_NGINX_DOWN, DIAG_NO_SUBJECT,
					   "nginx is not running: no master process");
	diag_evidence(f, "no process \"nginx: master process\" in the process table");
	if (s->conf.conf_path[0]) diag_evidence(f, "configuration: %s", s->conf.conf_path);
	for (size_t i = 0; i < s->conf.listens.n && i < 3; i++)
		diag_evidence(f, "listen %s (%s:%d): nobody serves it", s->conf.listens.v[i].raw,
			 s->conf.listens.v[i].loc.file, s->conf.listens.v[i].loc.line);
	for (size_t i = 0; i < s->events.n; i++)       /* why it could not start */
		if (s->events.v[i].kind == GW_LOG_NGINX_EMERG && diag_event_current(c, &s->events.v[i]))
			diag_event_evidence(f, &s->events.v[i]);
	diag_fix(f, "start nginx (after nginx -t passes)");
	diag_command(f, "nginx -t && systemctl start nginx");
	diag_command(f, "journalctl -u nginx -n 50");
}

static void rule_config_invalid(struct diag_ctx *c)
{
	const struct gw_snapshot *s = c->s;
	const struct gw_nginx_test *t = &s->ntest;
	if (!t->ran || t->ok) return;
	/* the binary could not run at all: that says nothing about the config
	 * (gather leaves a note) */
	if (t->exit_code == 127) return;
	if (t->exit_code == -1 && strstr(t->output, "timed out")) {
		struct gw_finding *f = diag_add_as(c, GW_CAUSE_NGINX_CONFIG_INVALID, DIAG_NO_SUBJECT, GW_SEV_WARN, RANK_NTEST_HANGS,
			"nginx -t did not finish: it hangs (a log or pid path that blocks, such as a FIFO?)");
		diag_evidence(f, "%.400s", t->output);
		diag_fix(f, "check the error_log / access_log / pid paths nginx opens during the test");
		diag_command(f, "timeout 10 nginx -t");
		return;
	}
	/* nginx -t run without root trips over pid/log permissions: not a config fault */
	if (!s->is_root && strstr(t->output, "Permission denied") && !strstr(t->output, "[emerg] unexpected") &&
	    !strstr(t->output, "directive")) {
		struct gw_finding *f = diag_add_as(c, GW_CAUSE_NGINX_CONFIG_INVALID, DIAG_NO_SUBJECT, GW_SEV_INFO, RANK_NTEST_NOT_ROOT,
						   "nginx -t could not run fully without root");
		diag_evidence(f, "%.400s", t->output);
		diag_command(f, "sudo nginx -t");
		return;
	}
	int resolve = strstr(t->output, "host not found in upstream") != NULL;
	enum gw_cause cause = resolve ? GW_CAUSE_UPSTREAM_RESOLVE_FAILURE : GW_CAUSE_NGINX_CONFIG_INVALID;
	char first[GW_TEXT] = "";
	const char *em = strstr(t->output, "[emerg]");
	if (!em) em = strstr(t->output, "nginx:");
	if (em) {
		size_t n = strcspn(em, "\n");
		gw_fmt(first, sizeof first, "%.*s", (int)(n < 400 ? n : 400), em);
	}
	struct gw_finding *f = diag_add(c, cause, DIAG_NO_SUBJECT,
		"nginx -t fails%s%s: %s", t->error_file[0] ? " at " : "",
		t->error_file[0] ? base_name(t->error_file) : "", first[0] ? first : "see output");
	if (t->error_file[0]) diag_evidence(f, "%s:%d", t->error_file, t->error_line);
	for (const char *p = t->output; *p && f->nevidence < 5;) {
		size_t n = strcspn(p, "\n");
		if (n) diag_evidence(f, "nginx -t: %.*s", (int)(n < 400 ? n : 400), p);
		p += n + (p[n] == '\n');
	}
	if (s->nginx.master_pid)
		diag_evidence(f, "the running nginx (master %d) keeps its old config; a reload or restart now would fail",
			 (int)s->nginx.master_pid);
	if (resolve) diag_fix(f, "make the upstream host resolvable (DNS, /etc/hosts) or use an IP address");
	if (t->error_file[0]) diag_fix(f, "fix %s line %d, then reload", t->error_file, t->error_line);
	else diag_fix(f, "fix the error nginx -t names, then reload");
	diag_fix(f, "do not restart nginx until nginx -t passes");
	diag_command(f, "nginx -t -c %s", DIAG_Q(s->conf.conf_path[0] ? s->conf.conf_path : "/etc/nginx/nginx.conf"));
}

static void rule_config_parse(struct diag_ctx *c)
{
	const struct gw_nginx_conf *k = &c->s->conf;
	if (!k->parsed || k->ok || (c->s->ntest.ran && !c->s->ntest.ok)) return;
	/* our parser failed but nginx -t did not (or did not run): tell, softly */
	struct gw_finding *f = diag_add_as(c, GW_CAUSE_NGINX_CONFIG_INVALID, DIAG_NO_SUBJECT, c->s->ntest.ran ? GW_SEV_INFO : GW_SEV_WARN,
					   RANK_CONF_UNREAD, "gwtop could not fully read the nginx config: %.300s", k->error);
	if (k->error_loc.file[0]) diag_evidence(f, "%s:%d", k->error_loc.file, k->error_loc.line);
	diag_command(f, "nginx -T");
}

static void rule_config_stale(struct diag_ctx *c)
{
	const struct gw_snapshot *s = c->s;
	if (!s->nginx.master_pid || !s->nginx.stale) return;
	char mt[32], rl[32];
	gw_time_str((double)s->nginx.stale_mtime, mt, sizeof mt);
	gw_time_str(s->nginx.last_reload, rl, sizeof rl);
	struct gw_finding *f = diag_add(c, GW_CAUSE_NGINX_CONFIG_STALE, DIAG_NO_SUBJECT,
		"%s was edited after nginx last loaded its config: the running workers use the old version",
		s->nginx.stale_file);
	diag_evidence(f, "%s modified %s", s->nginx.stale_file, mt);
	diag_evidence(f, "nginx workers started (last reload) %s", rl);
	diag_fix(f, "check the edit with nginx -t, then reload nginx so it takes effect");
	diag_command(f, "nginx -t && systemctl reload nginx");
}

/* ------------------------------------------------------------ upstream rules */

/* ------------------------------------------------------------ judging one target
 * The one place a target is judged: its probe's outcome (the rules, the
 * upstream hop's count, the report's result) and its state on the path
 * (the path pane, the tour, the follow-up after a restart). */

enum gw_probe_outcome diagnose_probe_outcome(const struct gw_target *t)
{
	if (!t->probed) return GW_PROBE_NOT_RUN;
	if (t->reachable && t->not_http) return GW_PROBE_CONNECT_OK;
	if (t->reachable && t->http_ok) return GW_PROBE_HTTP;
	if (t->timed_out) return t->reachable ? GW_PROBE_ANSWER_TIMEOUT : GW_PROBE_CONNECT_TIMEOUT;
	if (t->reachable) return GW_PROBE_NO_HTTP;
	return GW_PROBE_CONNECT_FAILED;
}

static enum gw_target_why target_why(const struct gw_target *t)
{
	if (t->addr.kind == GW_ADDR_UNIX && t->perm_checked && !t->exists) return GW_TW_SOCKET_MISSING;
	if (t->perm_checked && !t->perm_ok) return GW_TW_PERMISSION;
	if (!t->probed) return t->down ? GW_TW_MARKED_DOWN : GW_TW_NOT_PROBED;
	if (t->timed_out) return GW_TW_TIMED_OUT;
	if (!t->reachable) return GW_TW_CONNECT_FAILED;
	if (t->not_http) return GW_TW_CONNECT_OK;
	if (!t->http_ok) return GW_TW_NO_VALID_HTTP;
	return GW_TW_HTTP;
}

/* A `down` or `backup` server is never a failure (nginx does not use it,
 * or only when the others fail); a socket that is missing or that the
 * workers may not reach fails whether or not the probe ran. */
static enum gw_hop_status target_hop_state(const struct gw_target *t)
{
	if (t->down || t->backup) return t->probed && t->reachable ? GW_HS_OK : GW_HS_UNKNOWN;
	switch (target_why(t)) {
	case GW_TW_SOCKET_MISSING: case GW_TW_PERMISSION: case GW_TW_TIMED_OUT: case GW_TW_CONNECT_FAILED:
	case GW_TW_NO_VALID_HTTP:
		return GW_HS_FAIL;
	case GW_TW_MARKED_DOWN: case GW_TW_NOT_PROBED:
		return GW_HS_UNKNOWN;
	case GW_TW_CONNECT_OK:
		return GW_HS_OK;
	case GW_TW_HTTP:
		break;
	}
	return t->http_status >= 500 ? GW_HS_WARN : GW_HS_OK;
}

void diagnose_target(const struct gw_target *t, struct gw_target_state *out)
{
	out->state = target_hop_state(t);
	out->why = target_why(t);
	out->probe = diagnose_probe_outcome(t);
	out->nothing_listens = t->listener_idx < 0 && t->probed && !t->reachable;
}

int diagnose_queue_full(const struct gw_listener *l)
{
	return l->backlog > 0 && l->queue >= l->backlog;
}

/* The rules' view of the probe. */
enum tstate { T_OK, T_UNKNOWN, T_DOWN, T_SLOW, T_BAD };

static enum tstate target_state(const struct gw_target *t)
{
	switch (diagnose_probe_outcome(t)) {
	case GW_PROBE_NOT_RUN: return T_UNKNOWN;
	case GW_PROBE_HTTP: case GW_PROBE_CONNECT_OK: return T_OK;
	case GW_PROBE_ANSWER_TIMEOUT: return T_SLOW;   /* connected, no answer */
	case GW_PROBE_NO_HTTP: return T_BAD;           /* connected: reset, closed, or garbage */
	case GW_PROBE_CONNECT_TIMEOUT: case GW_PROBE_CONNECT_FAILED: break;
	}
	return T_DOWN;
}

void diag_target_evidence(struct gw_finding *f, const struct gw_target *t)
{
	char loc[GW_PATH + 16];
	loc_str(&t->pass_loc, loc, sizeof loc);
	if (t->upstream_name[0]) {
		char sl[GW_PATH + 16];
		loc_str(&t->server_loc, sl, sizeof sl);
		diag_evidence(f, "%s %s (%s) -> upstream %s: server %s (%s)", t->directive,
			 t->upstream_name, loc, t->upstream_name, t->display, sl);
	} else {
		diag_evidence(f, "%s %s (%s)", t->directive, t->display, loc);
	}
}

void diag_probe_evidence(struct gw_finding *f, const struct gw_target *t)
{
	if (!t->probed) return;
	if (t->reachable && t->http_ok)
		diag_evidence(f, "direct probe %s: HTTP %ld in %.0f ms", t->display, t->http_status, t->total_ms);
	else if (t->reachable && t->timed_out)
		diag_evidence(f, "direct probe %s: connected, no answer within %.1f s", t->display, t->total_ms / 1000.0);
	else if (t->err)
		diag_evidence(f, "direct probe %s: connect failed (%d: %s)", t->display, t->err, strerror(t->err));
	else if (t->error[0])
		diag_evidence(f, "direct probe %s: %s", t->display, t->error);
}

static void probe_command(struct gw_finding *f, const struct gw_target *t)
{
	if (t->not_http) {
		if (t->addr.kind == GW_ADDR_UNIX) diag_command(f, "ss -lxp | grep -F %s", DIAG_Q(t->addr.path));
		else diag_command(f, "ss -ltnp 'sport = :%d'", t->addr.port);
		return;
	}
	/* https: -k, as nginx does not verify an upstream's certificate by default */
	int tls = !strcmp(t->scheme, "https");
	const char *sch = tls ? "https" : "http", *k = tls ? "-k " : "";
	if (t->addr.kind == GW_ADDR_UNIX) {
		diag_command(f, "curl -sS %s-o /dev/null -w '%%{http_code}\\n' --unix-socket %s %s://localhost/", k, DIAG_Q(t->addr.path), sch);
		return;
	}
	char url[GW_PATH];
	if (t->addr.kind == GW_ADDR_INET6) gw_fmt(url, sizeof url, "%s://[%s]:%d/", sch, t->addr.host, t->addr.port);
	else gw_fmt(url, sizeof url, "%s://%s:%d/", sch, t->addr.host, t->addr.port);
	diag_command(f, "curl -sS %s-o /dev/null -w '%%{http_code}\\n' %s", k, DIAG_Q(url));
}

static void nginx_events_evidence(struct diag_ctx *c, struct gw_finding *f, const struct gw_target *t,
				  enum gw_log_kind k)
{
	int n = 0;
	const struct gw_log_event *e = nginx_event(c, k, t, &n);
	if (!e) return;
	diag_event_evidence(f, e);
	if (n > 1) diag_evidence(f, "%d such error.log lines in the last %.0f min", n, c->cfg->recent_window / 60);
}

/* App boot trouble in the app's own logs, newer than the window start. */
static const struct gw_log_event *boot_failure_event(struct diag_ctx *c)
{
	static const enum gw_log_kind kinds[] = {
		GW_LOG_APP_MODULE_NOT_FOUND, GW_LOG_APP_CONFIG, GW_LOG_APP_DB, GW_LOG_APP_EXCEPTION,
		GW_LOG_APP_WORKER_BOOT,
	};
	static const enum gw_log_kind specific[] = {
		GW_LOG_APP_MODULE_NOT_FOUND, GW_LOG_APP_CONFIG, GW_LOG_APP_DB,
	};
	/* Only what happened after the app's newest start counts when it runs. */
	double nb = diag_app_running(c->s) ? app_last_start(c->s) - 2 : 0;
	const struct gw_log_event *e = app_event(c, kinds, sizeof kinds / sizeof *kinds, nb);
	/* "Worker failed to boot" says that, not why: in a restart loop the
	 * why (the import error) may come from the attempt just before the
	 * newest start. Take the most specific line of the last minute. */
	if (e && (e->kind == GW_LOG_APP_WORKER_BOOT || e->kind == GW_LOG_APP_EXCEPTION) && e->time > 0) {
		const struct gw_log_event *why = app_event(c, specific, sizeof specific / sizeof *specific, e->time - 60);
		if (why) e = why;
	}
	return e;
}

static const struct gw_log_event *oom_event(struct diag_ctx *c)
{
	static const enum gw_log_kind kinds[] = { GW_LOG_OOM_KILL, GW_LOG_APP_WORKER_KILLED };
	return app_event(c, kinds, 2, 0);
}

static void add_boot_failure(struct diag_ctx *c, const struct gw_target *t, const struct gw_log_event *e)
{
	const char *what = e->detail[0] ? e->detail : e->line;
	char hms[32];
	time_hms(e->time, hms, sizeof hms);
	struct gw_finding *f = diag_add(c, GW_CAUSE_APP_BOOT_FAILURE, diag_on_target(c, t),
		"app boot failure: %.300s (%s, %s)", what, base_name(e->source), hms);
	diag_event_evidence(f, e);
	if (t) { diag_target_evidence(f, t); diag_probe_evidence(f, t); }
	if (!diag_app_running(c->s)) diag_evidence(f, "no gunicorn/uvicorn/app server process is running");
	switch (e->kind) {
	case GW_LOG_APP_MODULE_NOT_FOUND:
		diag_fix(f, "install the missing package into the app's virtualenv, or fix the module path / WorkingDirectory");
		break;
	case GW_LOG_APP_CONFIG:
		diag_fix(f, "set the missing setting / environment variable (EnvironmentFile=, .env) the app reads at start");
		break;
	case GW_LOG_APP_DB:
		diag_fix(f, "make the database reachable (is it running? host/port/credentials in the app's environment)");
		break;
	default:
		diag_fix(f, "fix the error in the app log, then start the app again");
	}
	diag_fix(f, "restart the app server and probe again");
	const char *src = strchr(e->source, ':') ? strchr(e->source, ':') + 1 : e->source;
	if (gw_starts_with(e->source, "docker:"))
		diag_command(f, "docker logs --tail 50 %s", DIAG_Q(src));
	else if (gw_starts_with(e->source, "journal:"))
		diag_command(f, "journalctl -u %s -n 50", DIAG_Q(src));
	else if (e->source[0])
		diag_command(f, "tail -n 50 %s", DIAG_Q(src));
}

/* Listeners of app processes that nginx does not target: port/path mismatch. */
/* Is this listener one that some target of this config already uses? */
static int listener_targeted(const struct gw_snapshot *s, size_t li)
{
	for (size_t i = 0; i < s->targets.n; i++)
		if (s->targets.v[i].listener_idx == (int)li) return 1;
	return 0;
}

/* The app master behind a listener's owner (a worker's parent). */
static pid_t app_master_of(const struct gw_snapshot *s, pid_t pid)
{
	const struct gw_proc *p = diag_proc_by_pid(s, pid);
	if (p && (p->role == GW_ROLE_GUNICORN_WORKER || p->role == GW_ROLE_UVICORN_WORKER)) return p->ppid;
	return pid;
}

/* Could this app process be what the target's directive talks to? An HTTP
 * app server (gunicorn, uvicorn) for proxy_pass; for fastcgi_pass /
 * uwsgi_pass / scgi_pass only a generic app server (php-fpm, uwsgi). */
static int speaks_protocol(const struct gw_snapshot *s, const struct gw_target *t, pid_t pid)
{
	const struct gw_proc *p = diag_proc_by_pid(s, pid);
	if (!p) return 0;
	if (!strcmp(t->directive, "proxy_pass") || !strcmp(t->directive, "--upstream") ||
	    !strcmp(t->directive, "grpc_pass"))
		return 1;
	return p->role == GW_ROLE_APP_SERVER;
}

/* An app server listening where nginx does not look: port / path / family
 * mismatch. Only a clear answer counts: the same port in the other address
 * family, or exactly one app server whose listeners no target uses (with
 * several unrelated apps on the host, naming one would be a guess). */
static int find_app_elsewhere(struct diag_ctx *c, const struct gw_target *t, char *other, size_t n,
			      int *same_port_other_family)
{
	const struct gw_snapshot *s = c->s;
	pid_t cand = 0;
	int ncand = 0;
	*same_port_other_family = 0;
	other[0] = '\0';
	for (size_t i = 0; i < s->listeners.n; i++) {
		const struct gw_listener *l = &s->listeners.v[i];
		char ls[GW_PATH + 16], own[64];
		if (!listener_is_app(s, l) || listener_targeted(s, i) || !speaks_protocol(s, t, l->pid)) continue;
		listener_str(l, ls, sizeof ls);
		owner_str(s, l, own, sizeof own);
		if (t->addr.kind != GW_ADDR_UNIX && l->family != AF_UNIX && l->port == t->addr.port &&
		    (l->family == AF_INET6) != (t->addr.kind == GW_ADDR_INET6)) {
			*same_port_other_family = 1;
			gw_fmt(other, n, "%s (%s)", ls, own);
			return 1;
		}
		pid_t m = app_master_of(s, l->pid);
		if (m != cand) {
			ncand++;
			cand = m;
			gw_fmt(other, n, "%s (%s)", ls, own);
		}
	}
	if (ncand == 1) return 1;
	if (ncand > 1 || s->is_root) { other[0] = '\0'; return 0; }
	/* Without root we do not see owners: fall back to the apps' cmdline
	 * binds, counted only where something really listens. */
	for (size_t i = 0; i < s->app_binds.n; i++) {
		const struct gw_app_bind *ab = &s->app_binds.v[i];
		const struct gw_proc *p = diag_proc_by_pid(s, ab->pid);
		const struct gw_addr *a = &ab->addr;
		char as[GW_PATH + 16];
		int used = 0;
		if (!p || !role_is_app_master(p->role) || !speaks_protocol(s, t, p->pid) || ab->listener_idx < 0)
			continue;
		for (size_t j = 0; j < s->targets.n; j++) {
			const struct gw_addr *b = &s->targets.v[j].addr;
			if (a->kind == b->kind && a->port == b->port && !strcmp(a->path, b->path)) used = 1;
		}
		if (used) continue;
		gw_addr_str(a, as, sizeof as);
		if (t->addr.kind != GW_ADDR_UNIX && a->kind != GW_ADDR_UNIX && a->port == t->addr.port &&
		    (a->kind == GW_ADDR_INET6) != (t->addr.kind == GW_ADDR_INET6)) {
			*same_port_other_family = 1;
			gw_fmt(other, n, "%s (%s pid %d, from its command line)", as, gw_role_name(p->role), (int)p->pid);
			return 1;
		}
		ncand++;
		gw_fmt(other, n, "%s (%s pid %d, from its command line)", as, gw_role_name(p->role), (int)p->pid);
	}
	if (ncand == 1) return 1;
	other[0] = '\0';
	return 0;
}

static void rule_target_down(struct diag_ctx *c, const struct gw_target *t, int partial, int stale)
{
	const struct gw_snapshot *s = c->s;
	enum gw_severity sev = partial || stale ? GW_SEV_WARN : GW_SEV_CRIT;
	const char *suffix = stale ? " (in the edited config, not yet loaded)" : "";
	struct gw_finding *f;
	char other[GW_TEXT];
	int samefam = 0;

	if (partial) {
		/* the same port answers on the other address family: the name
		 * resolved (at nginx's load) to both, the app binds one */
		const struct gw_target *sib = NULL;
		for (size_t j = 0; j < s->targets.n && !sib; j++) {
			const struct gw_target *o = &s->targets.v[j];
			if (o != t && !strcmp(o->upstream_name, t->upstream_name) && o->addr.port == t->addr.port &&
			    (o->addr.kind == GW_ADDR_INET6) != (t->addr.kind == GW_ADDR_INET6) &&
			    o->addr.kind != GW_ADDR_UNIX && t->addr.kind != GW_ADDR_UNIX && target_state(o) == T_OK)
				sib = o;
		}
		if (sib) {
			f = diag_add_as(c, GW_CAUSE_IP_FAMILY_MISMATCH, diag_on_target(c, t), GW_SEV_WARN, 80,
				"nginx tries %s first and is refused: the app listens on the other address family only; each request falls back to %s",
				t->display, sib->display);
			diag_target_evidence(f, t);
			diag_probe_evidence(f, t);
			diag_probe_evidence(f, sib);
			nginx_events_evidence(c, f, t, GW_LOG_CONNECT_REFUSED);
			diag_fix(f, "make the app listen on both families (a second --bind, or [::] with IPV6_V6ONLY off), or name the address nginx should use (127.0.0.1 / [::1]) instead of %s",
				 t->upstream_name);
			diag_command(f, "getent ahosts %s", DIAG_Q(t->upstream_name));
			diag_command(f, "ss -ltn 'sport = :%d'", t->addr.port);
			return;
		}
		f = diag_add_as(c, GW_CAUSE_UPSTREAM_DOWN, diag_on_target(c, t), sev, RANK_PARTIAL,
			"server %s of upstream %s is down; nginx retries the other servers%s",
			t->display, t->upstream_name, suffix);
		diag_target_evidence(f, t);
		diag_probe_evidence(f, t);
		nginx_events_evidence(c, f, t, GW_LOG_CONNECT_REFUSED);
		diag_fix(f, "start the app instance behind %s, or mark the server `down` in upstream %s",
		    t->display, t->upstream_name);
		probe_command(f, t);
		return;
	}

	/* unix socket: missing file or permission */
	if (t->addr.kind == GW_ADDR_UNIX) {
		if (t->perm_checked && t->exists && !t->perm_ok) goto perm;
		if ((t->perm_checked && !t->exists) || t->err == ENOENT) {
			const struct gw_log_event *be = boot_failure_event(c);
			if (be && !stale) { add_boot_failure(c, t, be); return; }
			if (find_app_elsewhere(c, t, other, sizeof other, &samefam)) {
				f = diag_add_as(c, GW_CAUSE_PORT_MISMATCH, diag_on_target(c, t), sev, DIAG_RANK,
					"nginx targets %s but the app listens on %s%s", t->display, other, suffix);
			} else {
				f = diag_add_as(c, GW_CAUSE_SOCKET_MISSING, diag_on_target(c, t), sev, DIAG_RANK,
					"socket %s does not exist: the app is not running or binds elsewhere%s",
					t->addr.path, suffix);
			}
			diag_target_evidence(f, t);
			diag_probe_evidence(f, t);
			if (t->perm_detail[0]) diag_evidence(f, "%s", t->perm_detail);
			nginx_events_evidence(c, f, t, GW_LOG_SOCKET_NOENT);
			if (!diag_app_running(s)) diag_evidence(f, "no gunicorn/uvicorn/app server process is running");
			diag_fix(f, "start the app server with --bind unix:%s (or point %s at where it listens)",
			    t->addr.path, t->directive);
			diag_fix(f, "a socket under /run vanishes at reboot: use RuntimeDirectory= in the unit");
			diag_command(f, "ls -l %s", DIAG_Q(t->addr.path));
			diag_command(f, "ss -lxp");
			return;
		}
	}

	if (t->err == EACCES) {
perm:
		f = diag_add_as(c, GW_CAUSE_SOCKET_PERMISSION, diag_on_target(c, t), sev, DIAG_RANK,
			"nginx workers (%s) cannot connect to %s: %s%s",
			s->nginx.worker_user[0] ? s->nginx.worker_user : "worker user",
			t->display, t->perm_path[0] ? t->perm_path : "permission denied", suffix);
		diag_target_evidence(f, t);
		if (t->perm_detail[0]) diag_evidence(f, "%s", t->perm_detail);
		nginx_events_evidence(c, f, t, GW_LOG_SOCKET_EACCES);
		diag_fix(f, "let the worker user reach the socket: group www-data/nginx on the socket (gunicorn --group, --umask 007) and search (x) permission on every parent directory");
		diag_fix(f, "or run the nginx workers as a user that may (the `user` directive)");
		diag_command(f, "namei -l %s", DIAG_Q(t->addr.path));
		if (s->nginx.worker_user[0])
			diag_command(f, "sudo -u %s test -w %s && echo ok", DIAG_Q(s->nginx.worker_user), DIAG_Q(t->addr.path));
		return;
	}

	/* TCP (or a unix socket that exists but refuses): nothing accepts there */
	const struct gw_log_event *be = boot_failure_event(c);
	if (be && !stale) { add_boot_failure(c, t, be); return; }
	const struct gw_log_event *oe = oom_event(c);
	if (oe && !stale && !diag_app_running(s)) {
		f = diag_add_as(c, GW_CAUSE_OOM_KILLED, diag_on_target(c, t), sev, DIAG_RANK,
			"the app was killed for lack of memory (%.200s)", oe->detail[0] ? oe->detail : "OOM");
		diag_event_evidence(f, oe);
		diag_target_evidence(f, t);
		diag_probe_evidence(f, t);
		diag_fix(f, "reduce workers / memory per worker, add memory or swap, look for a leak (max_requests)");
		diag_command(f, "journalctl -k | grep -i 'out of memory'");
		diag_command(f, "free -m");
		return;
	}
	if (find_app_elsewhere(c, t, other, sizeof other, &samefam)) {
		if (samefam)
			f = diag_add_as(c, GW_CAUSE_IP_FAMILY_MISMATCH, diag_on_target(c, t), sev, DIAG_RANK,
				"nginx targets %s (%s) but the app listens on %s%s", t->display,
				t->addr.kind == GW_ADDR_INET6 ? "IPv6" : "IPv4", other, suffix);
		else
			f = diag_add_as(c, GW_CAUSE_PORT_MISMATCH, diag_on_target(c, t), sev, DIAG_RANK,
				"nginx targets %s but the app listens on %s%s", t->display, other, suffix);
		diag_target_evidence(f, t);
		diag_probe_evidence(f, t);
		nginx_events_evidence(c, f, t, GW_LOG_CONNECT_REFUSED);
		if (samefam)
			diag_fix(f, "bind the app to the address family nginx uses (e.g. --bind [::1]:%d or both), or change %s to the app's address",
			    t->addr.port, t->directive);
		else
			diag_fix(f, "make %s and the app's bind agree (change one of them), then reload/restart", t->directive);
		diag_command(f, "ss -ltnp");
		probe_command(f, t);
		return;
	}
	const char *what = t->not_http ? "nothing accepts connections at" : "nothing listens at";
	if (t->addr.kind == GW_ADDR_HOST && t->error[0] && strstr(t->error, "esolve")) {
		f = diag_add_as(c, GW_CAUSE_UPSTREAM_RESOLVE_FAILURE, diag_on_target(c, t), sev, RANK_RESOLVE_PROBE,
			"upstream host %s does not resolve%s", t->addr.host, suffix);
		diag_target_evidence(f, t);
		diag_probe_evidence(f, t);
		diag_fix(f, "fix the name (DNS, /etc/hosts, compose service name) or use an IP address");
		diag_command(f, "getent hosts %s", DIAG_Q(t->addr.host));
		return;
	}
	f = diag_add_as(c, GW_CAUSE_UPSTREAM_DOWN, diag_on_target(c, t), sev, DIAG_RANK, "%s %s (%s)%s", what, t->display,
			t->directive, suffix);
	diag_target_evidence(f, t);
	diag_probe_evidence(f, t);
	nginx_events_evidence(c, f, t, GW_LOG_CONNECT_REFUSED);
	nginx_events_evidence(c, f, t, GW_LOG_NO_LIVE);
	if (!diag_app_running(s)) diag_evidence(f, "no gunicorn/uvicorn/app server process is running");
	diag_fix(f, "start the app server that should listen on %s", t->display);
	diag_fix(f, "if it runs under systemd: systemctl status / journalctl -u to see why it stopped");
	probe_command(f, t);
	diag_command(f, "ss -ltnp");
}

/* The app accepts the connection, then resets it, closes it or answers
 * something that is not HTTP: nginx sees the same and answers 502. */
static void rule_target_bad(struct diag_ctx *c, const struct gw_target *t)
{
	int reset = strstr(t->error, "reset") || strstr(t->error, "Recv failure") ||
		    strstr(t->error, "Empty reply") || strstr(t->error, "closed");
	struct gw_finding *f;
	if (reset)
		f = diag_add_as(c, GW_CAUSE_APP_CRASH_DURING_REQUEST, diag_on_target(c, t), GW_SEV_CRIT, RANK_PROBE_NO_HTTP,
			"the app at %s accepts connections but drops them without an answer", t->display);
	else
		f = diag_add_as(c, GW_CAUSE_UPSTREAM_INVALID_RESPONSE, diag_on_target(c, t), GW_SEV_CRIT, RANK_PROBE_NO_HTTP,
			"the app at %s does not answer valid HTTP", t->display);
	diag_target_evidence(f, t);
	diag_evidence(f, "direct probe %s: connected, then: %s", t->display, t->error[0] ? t->error : "no HTTP response");
	nginx_events_evidence(c, f, t, reset ? GW_LOG_RESET : GW_LOG_INVALID_HEADER);
	nginx_events_evidence(c, f, t, GW_LOG_PREMATURE_CLOSE);
	if (reset) diag_fix(f, "read the app log for the crash of the worker that took the request");
	else diag_fix(f, "check that the process on %s speaks HTTP (not uwsgi/fastcgi/TLS) and writes valid headers", t->display);
	probe_command(f, t);
}

static void rule_target_slow(struct diag_ctx *c, const struct gw_target *t)
{
	struct gw_finding *f = diag_add(c, GW_CAUSE_UPSTREAM_TIMEOUT, diag_on_target(c, t),
		"the app at %s accepts connections but does not answer", t->display);
	diag_target_evidence(f, t);
	diag_probe_evidence(f, t);
	const struct gw_listener *l = t->listener_idx >= 0 && (size_t)t->listener_idx < c->s->listeners.n
		? &c->s->listeners.v[t->listener_idx] : NULL;
	if (l && diagnose_queue_full(l)) {
		diag_recause(f, GW_CAUSE_UPSTREAM_OVERLOADED);
		gw_fmt(f->summary, sizeof f->summary, "the app at %s is overloaded: accept queue full (%u/%u)",
		       t->display, l->queue, l->backlog);
		diag_fix(f, "add workers (gunicorn --workers / --threads), find the slow requests, raise the backlog");
	} else {
		diag_fix(f, "find what the app is waiting for (database, external API, a deadlock); py-spy dump --pid <worker>");
	}
	nginx_events_evidence(c, f, t, GW_LOG_TIMEOUT);
	probe_command(f, t);
}

/* The setting `name` in effect where target t is passed to: the one in its
 * location (same file as the *_pass), else its server's, else http's (a
 * setting at a deeper level wins, as nginx inherits them). NULL: not set. */
static const struct gw_conf_setting *setting_for(const struct gw_snapshot *s, const struct gw_target *t,
						 const char *name)
{
	const struct gw_conf_setting *best = NULL;
	int best_depth = 0;
	char loc[GW_NAME + 16], srv[GW_NAME + 16];
	gw_fmt(loc, sizeof loc, "location %s", t->location);
	gw_fmt(srv, sizeof srv, "server %s", t->server_name);
	for (size_t i = 0; i < s->conf.settings.n; i++) {
		const struct gw_conf_setting *st = &s->conf.settings.v[i];
		int depth = 0;
		if (strcmp(st->directive, name)) continue;
		if (t->location[0] && !strcmp(st->context, loc) && !strcmp(st->loc.file, t->pass_loc.file)) depth = 3;
		else if (!strcmp(st->context, srv) || (!t->server_name[0] && !strcmp(st->context, "server"))) depth = 2;
		else if (!strcmp(st->context, "http") || !strcmp(st->context, "main")) depth = 1;
		if (depth > best_depth) { best = st; best_depth = depth; }
	}
	return best;
}

/* "proxy" for proxy_pass, "fastcgi" for fastcgi_pass, ... */
static void pass_module(const struct gw_target *t, char *buf, size_t n)
{
	gw_strlcpy(buf, t->directive[0] ? t->directive : "proxy_pass", n);
	char *us = strrchr(buf, '_');
	if (us) *us = '\0';
}

/* "upstream sent too big header": the response head does not fit the
 * location's proxy_buffer_size (fastcgi_buffer_size, ...). */
static void rule_header_too_big(struct diag_ctx *c, const struct gw_target *t, const struct gw_log_event *e, int n)
{
	char mod[32], dir[48], where[GW_PATH + 40];
	pass_module(t, mod, sizeof mod);
	gw_fmt(dir, sizeof dir, "%s_buffer_size", mod);
	const struct gw_conf_setting *st = setting_for(c->s, t, dir);
	if (st) gw_fmt(where, sizeof where, "%s %s at %s:%d", dir, st->value, st->loc.file, st->loc.line);
	else gw_fmt(where, sizeof where, "%s is not set: the default 4k|8k (one memory page)", dir);
	struct gw_finding *f = diag_add(c, GW_CAUSE_UPSTREAM_HEADER_TOO_BIG, diag_on_target(c, t),
		"the app at %s sends response headers bigger than %s %s (502)", t->display, dir,
		st ? st->value : "(default 4k|8k)");
	diag_event_evidence(f, e);
	if (n > 1) diag_evidence(f, "%d such error.log lines in the last %.0f min", n, c->cfg->recent_window / 60);
	diag_evidence(f, "%s (%s)", where, st ? st->context : "in effect for this location");
	diag_target_evidence(f, t);
	if (e->request[0]) diag_evidence(f, "request: %.200s", e->request);
	diag_fix(f, "raise %s for location %s (e.g. %s 16k; and %s_buffers 8 16k;), then reload nginx",
		 dir, t->location[0] ? t->location : "/", dir, mod);
	diag_fix(f, "or make the app send smaller headers (big or many Set-Cookie headers)");
	if (st) diag_command(f, "grep -n %s %s", DIAG_Q(dir), DIAG_Q(st->loc.file));
	diag_command(f, "curl -s -o /dev/null -D - %s | wc -c", DIAG_Q(t->display));
}

/* The value of option opt ("--keep-alive") in a command line: "--opt N"
 * or "--opt=N"; -1 when absent or not a number. */
static double cmdline_opt(const char *cmdline, const char *opt)
{
	size_t n = strlen(opt);
	for (const char *p = strstr(cmdline, opt); p; p = strstr(p + 1, opt)) {
		if (p != cmdline && p[-1] != ' ') continue;
		const char *v = p + n;
		if (*v != ' ' && *v != '=') continue;
		char *end;
		double d = strtod(v + 1, &end);
		if (end != v + 1 && (*end == ' ' || *end == '\0') && d >= 0) return d;
	}
	return -1;
}

/* A reset / premature close on a connection nginx reused (keepalive in the
 * upstream) while the app answers fresh connections: the app closed the
 * idle connection (its keep-alive timeout is shorter than nginx's) just as
 * nginx sent a request on it. nginx retries idempotent requests by itself;
 * a POST gets the 502. Returns 1 when it named the cause. */
static int rule_keepalive_race(struct diag_ctx *c, const struct gw_target *t, const struct gw_log_event *ep,
			       const struct gw_log_event *er, int n)
{
	const struct gw_snapshot *s = c->s;
	if (!t->upstream_name[0] || !t->http_ok) return 0;
	const struct gw_conf_upstream *up = NULL;
	for (size_t i = 0; i < s->conf.upstreams.n && !up; i++)
		if (!strcmp(s->conf.upstreams.v[i].name, t->upstream_name) && s->conf.upstreams.v[i].keepalive > 0)
			up = &s->conf.upstreams.v[i];
	if (!up) return 0;
	/* the app itself failing explains a reset better */
	static const enum gw_log_kind crash[] = { GW_LOG_APP_WORKER_TIMEOUT, GW_LOG_APP_WORKER_KILLED, GW_LOG_OOM_KILL,
						  GW_LOG_APP_TRACEBACK, GW_LOG_APP_EXCEPTION };
	if (app_event(c, crash, sizeof crash / sizeof *crash, 0)) return 0;
	/* the app's keep-alive, from the command line of its server */
	if (t->listener_idx < 0 || (size_t)t->listener_idx >= s->listeners.n) return 0;
	const struct gw_proc *p = diag_proc_by_pid(s, s->listeners.v[t->listener_idx].pid);
	if (p && (p->role == GW_ROLE_GUNICORN_WORKER || p->role == GW_ROLE_UVICORN_WORKER)) {
		const struct gw_proc *m = diag_proc_by_pid(s, p->ppid);
		if (m) p = m;
	}
	if (!p) return 0;
	double app_ka;
	const char *how;
	if (p->role == GW_ROLE_GUNICORN_MASTER) {
		how = "gunicorn --keep-alive";
		app_ka = cmdline_opt(p->cmdline, "--keep-alive");
		if (app_ka < 0) { app_ka = 2; how = "gunicorn's default --keep-alive"; }
	} else if (p->role == GW_ROLE_UVICORN_MASTER) {
		how = "uvicorn --timeout-keep-alive";
		app_ka = cmdline_opt(p->cmdline, "--timeout-keep-alive");
		if (app_ka < 0) { app_ka = 5; how = "uvicorn's default --timeout-keep-alive"; }
	} else {
		return 0;
	}
	double ngx_ka = up->keepalive_timeout >= 0 ? up->keepalive_timeout : 60;
	if (app_ka >= ngx_ka) return 0;
	const struct gw_log_event *e = er && (!ep || er->time >= ep->time) ? er : ep;
	struct gw_finding *f = diag_add(c, GW_CAUSE_UPSTREAM_KEEPALIVE_RACE, diag_on_target(c, t),
		"nginx reuses idle connections to %s that the app closes first: its keep-alive (%gs) is shorter than nginx's keepalive_timeout (%gs)",
		t->display, app_ka, ngx_ka);
	diag_event_evidence(f, e);
	if (n > 1) diag_evidence(f, "%d such error.log lines in the last %.0f min", n, c->cfg->recent_window / 60);
	diag_evidence(f, "keepalive %d in upstream %s (%s:%d): nginx keeps idle connections to the app and reuses them",
		 up->keepalive, up->name, up->keepalive_loc.file, up->keepalive_loc.line);
	if (up->keepalive_timeout >= 0)
		diag_evidence(f, "keepalive_timeout %gs (%s:%d)", ngx_ka, up->keepalive_timeout_loc.file, up->keepalive_timeout_loc.line);
	else
		diag_evidence(f, "keepalive_timeout not set in upstream %s: nginx's default 60s", up->name);
	diag_evidence(f, "%s %gs (pid %d: %.200s)", how, app_ka, (int)p->pid, p->cmdline);
	diag_probe_evidence(f, t);
	diag_evidence(f, "fresh connections succeed: the failures come from idle connections the app closed as nginx sent on them (a POST is not retried: 502)");
	diag_fix(f, "make nginx drop idle connections first: keepalive_timeout %gs; in upstream %s (below the app's %gs)",
		 app_ka > 1 ? app_ka - 1 : app_ka / 2, up->name, app_ka);
	diag_fix(f, "or raise the app's keep-alive above nginx's %gs (gunicorn --keep-alive, uvicorn --timeout-keep-alive)", ngx_ka);
	diag_command(f, "ss -tno state established dst %s", DIAG_Q(t->display));
	return 1;
}

/* Request-level failures seen in error.log while the target accepts connections. */
static void rule_target_requests(struct diag_ctx *c, const struct gw_target *t)
{
	const struct gw_snapshot *s = c->s;
	int n;
	const struct gw_log_event *e;
	struct gw_finding *f;

	if ((e = nginx_event(c, GW_LOG_TIMEOUT, t, &n))) {
		f = diag_add(c, GW_CAUSE_UPSTREAM_TIMEOUT, diag_on_target(c, t),
			"requests to %s time out (504): the app answers slower than nginx waits", t->display);
		diag_event_evidence(f, e);
		if (n > 1) diag_evidence(f, "%d timeouts in the last %.0f min", n, c->cfg->recent_window / 60);
		diag_target_evidence(f, t);
		for (size_t i = 0; i < s->conf.settings.n; i++) {
			const struct gw_conf_setting *st = &s->conf.settings.v[i];
			if (strstr(st->directive, "read_timeout"))
				diag_evidence(f, "%s %s (%s, %s:%d)", st->directive, st->value, st->context, st->loc.file, st->loc.line);
		}
		if (e->request[0]) diag_fix(f, "find why %.200s is slow (database, external calls); it must answer within the read timeout", e->request);
		diag_fix(f, "raise proxy_read_timeout only once the app is known healthy");
		diag_command(f, "grep 'upstream timed out' %s | tail", DIAG_Q(e->source[0] && strchr(e->source, ':') ? strchr(e->source, ':') + 1 : "error.log"));
	}
	int np = 0, nr = 0;
	const struct gw_log_event *ep = nginx_event(c, GW_LOG_PREMATURE_CLOSE, t, &np);
	const struct gw_log_event *er = nginx_event(c, GW_LOG_RESET, t, &nr);
	if ((ep || er) && !rule_keepalive_race(c, t, ep, er, np + nr)) {
		static const enum gw_log_kind wk[] = { GW_LOG_APP_WORKER_TIMEOUT, GW_LOG_APP_WORKER_KILLED, GW_LOG_OOM_KILL };
		const struct gw_log_event *we = app_event(c, wk, 3, 0);
		const struct gw_log_event *oe = oom_event(c);
		if (oe && oe->kind == GW_LOG_OOM_KILL) {
			f = diag_add(c, GW_CAUSE_OOM_KILLED, diag_on_target(c, t),
				"app processes are killed for lack of memory (%.200s) while serving requests",
				oe->detail[0] ? oe->detail : "OOM");
			diag_event_evidence(f, oe);
			diag_fix(f, "reduce workers / memory per worker, add memory, look for a leak (max_requests)");
			diag_command(f, "journalctl -k | grep -i 'out of memory'");
		} else {
			f = diag_add(c, GW_CAUSE_APP_CRASH_DURING_REQUEST, diag_on_target(c, t),
				"the app closes connections mid-request (502)%s%.200s",
				we ? ": " : "", we ? (we->kind == GW_LOG_APP_WORKER_TIMEOUT ? "gunicorn WORKER TIMEOUT kills slow workers"
						      : we->detail[0] ? we->detail : we->line) : "");
		}
		if (ep) diag_event_evidence(f, ep);
		if (er) diag_event_evidence(f, er);
		if (np + nr > 1) diag_evidence(f, "%d such error.log lines in the last %.0f min", np + nr, c->cfg->recent_window / 60);
		if (we) diag_event_evidence(f, we);
		diag_target_evidence(f, t);
		if (we && we->kind == GW_LOG_APP_WORKER_TIMEOUT) {
			diag_fix(f, "find the slow request; raise gunicorn --timeout only if the slowness is legitimate");
			diag_fix(f, "keep gunicorn --timeout above proxy_read_timeout, or nginx sees the worker die (502)");
		} else {
			diag_fix(f, "read the app log around the time of the error for the crash");
		}
		diag_command(f, "journalctl -u <app unit> --since '-10min'");
	}
	if ((e = nginx_event(c, GW_LOG_BIG_HEADER, t, &n))) rule_header_too_big(c, t, e, n);
	if ((e = nginx_event(c, GW_LOG_INVALID_HEADER, t, &n))) {
		f = diag_add(c, GW_CAUSE_UPSTREAM_INVALID_RESPONSE, diag_on_target(c, t),
			"the app at %s sends an invalid HTTP response", t->display);
		diag_event_evidence(f, e);
		diag_target_evidence(f, t);
		diag_fix(f, "check the app speaks HTTP on that port (not uwsgi/fastcgi) and writes valid headers");
		probe_command(f, t);
	}
	if ((e = nginx_event(c, GW_LOG_ADDR_NOTAVAIL, t, &n))) {
		int range = s->port_range_lo > 0 && s->port_range_hi >= s->port_range_lo
			? s->port_range_hi - s->port_range_lo + 1 : 0;
		f = diag_add(c, GW_CAUSE_LOCAL_PORTS_EXHAUSTED, diag_on_target(c, t),
			"nginx finds no free local port to connect to %s (502)%s", t->display,
			t->conns_counted && t->conns_timewait ? ": closed connections wait in TIME-WAIT" : "");
		diag_event_evidence(f, e);
		if (n > 1) diag_evidence(f, "%d such error.log lines in the last %.0f min", n, c->cfg->recent_window / 60);
		if (range)
			diag_evidence(f, "net.ipv4.ip_local_port_range %d %d: %d local ports for all connections to one address",
				 s->port_range_lo, s->port_range_hi, range);
		if (t->conns_counted)
			diag_evidence(f, "connections to %s now: %d in TIME-WAIT, %d open%s", t->display, t->conns_timewait,
				 t->conns_open, range && t->conns_timewait + t->conns_open >= range ? " (the whole range)" : "");
		diag_target_evidence(f, t);
		if (t->error[0]) diag_evidence(f, "direct probe %s: %s", t->display, t->error);
		diag_fix(f, "reuse connections to the app: keepalive 32; in an upstream{} block, with proxy_http_version 1.1; and proxy_set_header Connection \"\"; in the location");
		diag_fix(f, "widen the port range (sysctl -w net.ipv4.ip_local_port_range=\"1024 65000\") and let TIME-WAIT ports be reused (net.ipv4.tcp_tw_reuse=1)");
		diag_command(f, "sysctl net.ipv4.ip_local_port_range net.ipv4.tcp_tw_reuse");
		if (t->addr.kind == GW_ADDR_INET)
			diag_command(f, "ss -tan state time-wait dst %s:%d | wc -l", DIAG_Q(t->addr.host), t->addr.port);
	}
	if ((e = nginx_event(c, GW_LOG_AGAIN, t, &n))) {
		f = diag_add(c, GW_CAUSE_UPSTREAM_OVERLOADED, diag_on_target(c, t),
			"the app's socket %s refuses new connections: its accept queue is full", t->display);
		diag_event_evidence(f, e);
		diag_target_evidence(f, t);
		diag_fix(f, "add workers, find slow requests, raise the listen backlog (gunicorn --backlog, net.core.somaxconn)");
		diag_command(f, "ss -lx | grep -F %s", DIAG_Q(t->addr.path[0] ? t->addr.path : t->display));
	}
	if ((e = nginx_event(c, GW_LOG_RESOLVE, NULL, &n))) {
		f = diag_add(c, GW_CAUSE_UPSTREAM_RESOLVE_FAILURE, DIAG_NO_SUBJECT,
			"nginx cannot resolve an upstream host name");
		diag_event_evidence(f, e);
		diag_fix(f, "fix DNS / the resolver directive, or use an IP address");
	}
}

/* proxy_pass https:// and the TLS handshake fails: the target speaks plain
 * HTTP (the plain-HTTP probe answers), or its certificate is refused.
 * Returns 1 when it named the cause (the other target rules then stay out:
 * a hung handshake looks like a slow app to them). */
static int rule_tls_failure(struct diag_ctx *c, const struct gw_target *t)
{
	if (strcmp(t->scheme, "https")) return 0;
	int n = 0;
	const struct gw_log_event *e = nginx_event(c, GW_LOG_TLS, t, &n);
	int plain = t->plain_probed && t->plain_status > 0;
	if (!e && !plain) return 0;
	const char *line = e ? e->line : "";
	int verify = strstr(line, "certificate verify error") != NULL;
	int name = strstr(line, "certificate does not match") != NULL;
	int hung = strstr(line, "timed out") != NULL;
	struct gw_finding *f;
	if (plain)
		f = diag_add(c, GW_CAUSE_UPSTREAM_TLS_FAILURE, diag_on_target(c, t),
			"nginx speaks TLS to %s (%s https://) but it answers plain HTTP%s", t->display, t->directive,
			hung ? ": the handshake hangs until proxy_connect_timeout (504)" : " (502)");
	else if (verify)
		f = diag_add(c, GW_CAUSE_UPSTREAM_TLS_FAILURE, diag_on_target(c, t),
			"nginx does not trust the certificate of %s (proxy_ssl_verify on)", t->display);
	else if (name)
		f = diag_add(c, GW_CAUSE_UPSTREAM_TLS_FAILURE, diag_on_target(c, t),
			"the certificate of %s does not match the name nginx checks (proxy_ssl_name)", t->display);
	else
		f = diag_add(c, GW_CAUSE_UPSTREAM_TLS_FAILURE, diag_on_target(c, t),
			"the TLS handshake from nginx to %s fails", t->display);
	if (e) diag_event_evidence(f, e);
	if (n > 1) diag_evidence(f, "%d such error.log lines in the last %.0f min", n, c->cfg->recent_window / 60);
	diag_target_evidence(f, t);
	if (t->probed && !t->http_ok)
		diag_evidence(f, "direct probe over https %s: %s", t->display,
			 t->timed_out ? "connected, the TLS handshake got no answer" : t->error[0] ? t->error : "no HTTP answer");
	else diag_probe_evidence(f, t);
	if (t->plain_probed)
		diag_evidence(f, t->plain_status > 0 ? "plain HTTP to %s: HTTP %ld: it speaks plain HTTP"
			      : "plain HTTP to %s: no answer either", t->display, t->plain_status);
	static const char *const tls_words[] = { "proxy_ssl_verify", "proxy_ssl_name", "proxy_ssl_server_name",
						 "proxy_ssl_trusted_certificate" };
	for (size_t i = 0; i < sizeof tls_words / sizeof *tls_words; i++) {
		const struct gw_conf_setting *st = setting_for(c->s, t, tls_words[i]);
		if (st) diag_evidence(f, "%s %s at %s:%d", st->directive, st->value, st->loc.file, st->loc.line);
	}
	char at[GW_PATH + 16];
	loc_str(&t->pass_loc, at, sizeof at);
	if (plain || (!verify && !name && t->plain_probed && t->plain_status > 0))
		diag_fix(f, "the app speaks plain HTTP: use http:// in %s (%s), then reload nginx; or give the app a certificate",
			 t->directive, at);
	else if (verify)
		diag_fix(f, "give nginx the CA that signed the app's certificate (proxy_ssl_trusted_certificate), or renew an expired certificate");
	else if (name)
		diag_fix(f, "set proxy_ssl_name to a name in the certificate (and proxy_ssl_server_name on for SNI), or fix the certificate's names");
	else
		diag_fix(f, "check that %s speaks TLS at all (http:// for a plain app), and the protocols / ciphers both allow", t->display);
	char hp[GW_PATH + 16];
	if (t->addr.kind == GW_ADDR_INET6) gw_fmt(hp, sizeof hp, "[%s]:%d", t->addr.host, t->addr.port);
	else gw_fmt(hp, sizeof hp, "%s:%d", t->addr.host, t->addr.port);
	if (t->addr.kind != GW_ADDR_UNIX) {
		diag_command(f, "openssl s_client -connect %s -brief </dev/null", DIAG_Q(hp));
		char url[GW_PATH + 24];
		gw_fmt(url, sizeof url, "http://%s/", hp);
		diag_command(f, "curl -sS -o /dev/null -w '%%{http_code}\\n' %s", DIAG_Q(url));
	}
	return 1;
}

static void rule_overloaded_listener(struct diag_ctx *c, const struct gw_target *t)
{
	const struct gw_listener *l;
	if (t->listener_idx < 0 || (size_t)t->listener_idx >= c->s->listeners.n) return;
	l = &c->s->listeners.v[t->listener_idx];
	if (!diagnose_queue_full(l)) return;
	struct gw_finding *f = diag_add_as(c, GW_CAUSE_UPSTREAM_OVERLOADED, diag_on_target(c, t), GW_SEV_CRIT, RANK_QUEUE_FULL,
		"the accept queue of %s is full (%u of %u): the app does not accept fast enough",
		t->display, l->queue, l->backlog);
	diag_target_evidence(f, t);
	diag_fix(f, "add workers, find slow requests, raise the listen backlog");
	diag_command(f, "ss -ltn");
}

static void rule_targets(struct diag_ctx *c)
{
	const struct gw_snapshot *s = c->s;
	int stale = s->nginx.stale && s->nginx.master_pid;
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct gw_target *t = &s->targets.v[i];
		enum tstate st = target_state(t);
		int partial = 0;
		if (c->claimed && c->claimed[i]) continue;
		if (st == T_DOWN && t->upstream_name[0]) {
			/* another primary server of the same upstream answers: partial */
			for (size_t j = 0; j < s->targets.n; j++) {
				const struct gw_target *o = &s->targets.v[j];
				if (j != i && !strcmp(o->upstream_name, t->upstream_name) && !o->down &&
				    target_state(o) == T_OK)
					partial = 1;
			}
			if (t->down) continue;   /* marked down on purpose */
		}
		/* a stale config: only the error log shows what the running nginx does */
		int live_errors = 0;
		if (stale) {
			int n1 = 0, n2 = 0, n3 = 0;
			nginx_event(c, GW_LOG_CONNECT_REFUSED, t, &n1);
			nginx_event(c, GW_LOG_SOCKET_NOENT, t, &n2);
			nginx_event(c, GW_LOG_SOCKET_EACCES, t, &n3);
			live_errors = n1 + n2 + n3;
		}
		if (st != T_DOWN && rule_tls_failure(c, t)) continue;
		if (st == T_DOWN) rule_target_down(c, t, partial, stale && !live_errors);
		else if (st == T_SLOW) rule_target_slow(c, t);
		else if (st == T_BAD) rule_target_bad(c, t);
		else if (t->addr.kind == GW_ADDR_UNIX && t->perm_checked && t->exists && !t->perm_ok)
			rule_target_down(c, t, 0, stale && !live_errors);   /* root got in; the workers cannot */
		else if (st == T_UNKNOWN && target_why(t) == GW_TW_SOCKET_MISSING && !t->down && !t->backup)
			rule_target_down(c, t, 0, stale && !live_errors);   /* not probed yet, but no socket there */
		if (st == T_OK) rule_overloaded_listener(c, t);
		if (st != T_DOWN && st != T_BAD) rule_target_requests(c, t);
	}
}

/* Does an nginx event's upstream: "scheme://NAME/..." name upstream NAME? */
static int event_names_upstream(const struct gw_log_event *e, const char *name)
{
	const char *p = strstr(e->upstream, "://");
	if (!p || !name[0]) return 0;
	p += 3;
	size_t n = strlen(name);
	return !strncmp(p, name, n) && (p[n] == '\0' || p[n] == '/' || p[n] == '"');
}

/* "no live upstreams" now, while every server of that upstream answers its
 * direct probe: nginx has marked them all failed (max_fails within
 * fail_timeout) when they were down, and keeps them out until fail_timeout
 * has passed, although they are back. */
static void rule_marked_down(struct diag_ctx *c)
{
	const struct gw_snapshot *s = c->s;
	for (size_t u = 0; u < s->conf.upstreams.n; u++) {
		const struct gw_conf_upstream *up = &s->conf.upstreams.v[u];
		const struct gw_log_event *nl = NULL;
		int n = 0;
		for (size_t i = 0; i < s->events.n; i++) {
			const struct gw_log_event *e = &s->events.v[i];
			if (e->kind != GW_LOG_NO_LIVE || !diag_event_current(c, e) || !event_names_upstream(e, up->name)) continue;
			n++;
			if (!nl || e->time >= nl->time) nl = e;
		}
		if (!nl) continue;
		/* every (non-down, non-backup) server of it answers now */
		int nsrv = 0, nok = 0;
		const struct gw_target *first = NULL;
		for (size_t j = 0; j < s->targets.n; j++) {
			const struct gw_target *t = &s->targets.v[j];
			if (strcmp(t->upstream_name, up->name) || t->down || t->backup) continue;
			nsrv++;
			if (target_state(t) == T_OK && t->http_ok) { nok++; if (!first) first = t; }
		}
		if (!nsrv || nok != nsrv) continue;
		struct gw_finding *f = diag_add(c, GW_CAUSE_UPSTREAM_MARKED_DOWN, diag_on_target(c, first),
			"nginx answers \"no live upstreams\" for upstream %s although its %d server%s answer%s now: it still counts them failed",
			up->name, nsrv, nsrv == 1 ? "" : "s", nsrv == 1 ? "s" : "");
		diag_event_evidence(f, nl);
		if (n > 1) diag_evidence(f, "%d such error.log lines in the last %.0f min", n, c->cfg->recent_window / 60);
		double worst_until = 0, longest = 0;
		for (size_t k = 0; k < up->servers.n; k++) {
			const struct gw_conf_upstream_server *sv = &up->servers.v[k];
			if (sv->down || sv->backup) continue;
			int mf = sv->max_fails >= 0 ? sv->max_fails : 1;
			double ft = sv->fail_timeout >= 0 ? sv->fail_timeout : 10;
			if (ft > longest) longest = ft;
			diag_evidence(f, "server %s max_fails=%d fail_timeout=%gs%s (%s:%d)", sv->raw, mf, ft,
				 sv->max_fails < 0 && sv->fail_timeout < 0 ? " (nginx's defaults)" :
				 sv->max_fails < 0 || sv->fail_timeout < 0 ? " (partly nginx's defaults)" : "",
				 sv->loc.file, sv->loc.line);
		}
		for (size_t j = 0; j < s->targets.n; j++) {
			const struct gw_target *t = &s->targets.v[j];
			if (strcmp(t->upstream_name, up->name) || t->down || t->backup) continue;
			/* its last failure (any time in the window), and when the app came back */
			const struct gw_log_event *fail = NULL;
			for (size_t i = 0; i < s->events.n; i++) {
				const struct gw_log_event *e = &s->events.v[i];
				if (!diag_event_current(c, e) || !event_is_nginx(e) || e->kind == GW_LOG_NO_LIVE ||
				    e->kind == GW_LOG_NGINX_EMERG || !e->upstream[0] || !diag_event_matches_target(e, t)) continue;
				if (!fail || e->time >= fail->time) fail = e;
			}
			char hms[32], back[32];
			double began = target_began(s, t);
			time_hms(began, back, sizeof back);
			if (fail) {
				time_hms(fail->time, hms, sizeof hms);
				diag_evidence(f, "%s: last failed at %s (%s); %s now: HTTP %ld%s%s", t->display, hms,
					 gw_log_kind_name(fail->kind), began > 0 ? "back" : "answers", t->http_status,
					 began > 0 ? ", its app process started at " : "", began > 0 ? back : "");
				if (fail->time + longest > worst_until) worst_until = fail->time + longest;
			} else {
				diag_evidence(f, "%s: answers now: HTTP %ld", t->display, t->http_status);
			}
		}
		if (worst_until > 0) {
			char until[32];
			time_hms(worst_until, until, sizeof until);
			diag_evidence(f, "nginx tries the servers again after fail_timeout: about %s", until);
		}
		diag_fix(f, "wait fail_timeout (%gs), or reload nginx now to clear the failure counts: systemctl reload nginx (nginx -s reload)",
			 longest > 0 ? longest : 10);
		diag_fix(f, "let a failed app come back fast and be seen: a /health endpoint that fails fast, a shorter fail_timeout, max_fails=0 for a single server");
		diag_command(f, "nginx -t && nginx -s reload");
	}
}

/* A main / events setting (worker_connections, worker_rlimit_nofile, ...). */
static const struct gw_conf_setting *main_setting(const struct gw_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->conf.settings.n; i++)
		if (!strcmp(s->conf.settings.v[i].directive, name) && !strcmp(s->conf.settings.v[i].context, "main"))
			return &s->conf.settings.v[i];
	return NULL;
}

static void setting_evidence(struct gw_finding *f, const struct gw_conf_setting *st, const char *name,
			     const char *unset)
{
	if (st) diag_evidence(f, "%s %s (%s:%d)", st->directive, st->value, st->loc.file, st->loc.line);
	else diag_evidence(f, "%s is not set: %s", name, unset);
}

/* The workers' own limits: connection slots and open files. */
static void rule_nginx_limits(struct diag_ctx *c)
{
	const struct gw_snapshot *s = c->s;
	const struct gw_nginx_runtime *n = &s->nginx;
	const struct gw_conf_setting *wc = main_setting(s, "worker_connections");
	const struct gw_conf_setting *wp = main_setting(s, "worker_processes");
	const struct gw_conf_setting *rl = main_setting(s, "worker_rlimit_nofile");
	long conns = wc && wc->value_num > 0 ? (wc->value_num < 1e9 ? (long)wc->value_num : 1000000000L) : 512;   /* nginx's default */
	/* a config may say any number (the parser takes up to 1e15): capped before the cast */
	int workers = n->nworkers > 0 ? n->nworkers :
	    wp && wp->value_num > 0 ? (wp->value_num < 1e6 ? (int)wp->value_num : 1000000) : 1;
	const struct gw_log_event *e;
	int cnt;

	if ((e = nginx_event(c, GW_LOG_WORKER_CONNECTIONS, NULL, &cnt))) {
		/* "..., reusing connections" alone: nginx closed idle keep-alive
		 * clients to make room, no request failed (yet): a warning */
		const struct gw_log_event *failed = NULL;
		for (size_t i = 0; i < s->events.n; i++) {
			const struct gw_log_event *x = &s->events.v[i];
			if (x->kind == GW_LOG_WORKER_CONNECTIONS && diag_event_current(c, x) &&
			    !strstr(x->line, "reusing connections") && (!failed || x->time >= failed->time))
				failed = x;
		}
		struct gw_finding *f = diag_add_as(c, GW_CAUSE_WORKER_CONNECTIONS_EXHAUSTED, DIAG_NO_SUBJECT,
			failed ? GW_SEV_CRIT : GW_SEV_WARN, 70,
			"nginx %s connection slots: %ld worker_connections x %d worker%s = %ld connections, about %ld proxied requests at once",
			failed ? "ran out of" : "is short of (it closes idle keep-alive clients)",
			conns, workers, workers == 1 ? "" : "s", conns * workers, conns * workers / 2);
		if (failed) e = failed;
		diag_event_evidence(f, e);
		if (cnt > 1) diag_evidence(f, "%d such error.log lines in the last %.0f min", cnt, c->cfg->recent_window / 60);
		setting_evidence(f, wc, "worker_connections", "nginx's default 512");
		setting_evidence(f, wp, "worker_processes", "nginx's default 1");
		if (n->nworkers) diag_evidence(f, "%d worker process%s running (master %d)", n->nworkers,
					      n->nworkers == 1 ? "" : "es", (int)n->master_pid);
		diag_evidence(f, "each proxied request holds two connections (client and upstream); the listen sockets hold some too");
		char at[GW_PATH + 24] = "";
		if (wc) gw_fmt(at, sizeof at, " (%s:%d)", wc->loc.file, wc->loc.line);
		diag_fix(f, "raise worker_connections in events{}%s (e.g. 1024 or more) and worker_rlimit_nofile to at least twice it, then reload nginx",
			 at);
		diag_fix(f, "find what keeps connections open: slow upstream answers, long keep-alive, slow clients (timeouts)");
		diag_command(f, "ss -s");
		diag_command(f, "ss -tn state established | wc -l");
	}
	if ((e = nginx_event(c, GW_LOG_FD_LIMIT, NULL, &cnt))) {
		struct gw_finding *f;
		if (n->limits_pid && n->nofile_soft > 0)
			f = diag_add(c, GW_CAUSE_FD_EXHAUSTED, DIAG_NO_SUBJECT,
				"nginx workers hit their open files limit (%ld)%s", n->nofile_soft,
				"; requests that need a new socket or file fail (500)");
		else
			f = diag_add(c, GW_CAUSE_FD_EXHAUSTED, DIAG_NO_SUBJECT,
				"nginx workers hit their open files limit; requests that need a new socket or file fail (500)");
		diag_event_evidence(f, e);
		if (cnt > 1) diag_evidence(f, "%d such error.log lines in the last %.0f min", cnt, c->cfg->recent_window / 60);
		setting_evidence(f, rl, "worker_rlimit_nofile", "the workers keep the limit nginx was started with (systemd LimitNOFILE=, ulimit -n)");
		setting_evidence(f, wc, "worker_connections", "nginx's default 512");
		if (n->limits_pid) {
			char lim[64];
			if (n->nofile_soft > 0) gw_fmt(lim, sizeof lim, "%ld (hard %ld)", n->nofile_soft, n->nofile_hard);
			else gw_fmt(lim, sizeof lim, "unknown");
			if (n->nfds >= 0)
				diag_evidence(f, "worker %d: Max open files %s, %d open now (/proc/%d/limits, /proc/%d/fd)",
					 (int)n->limits_pid, lim, n->nfds, (int)n->limits_pid, (int)n->limits_pid);
			else
				diag_evidence(f, "worker %d: Max open files %s; its open fds need root to count (/proc/%d/fd)",
					 (int)n->limits_pid, lim, (int)n->limits_pid);
		}
		if (rl && n->nofile_soft > 0 && rl->value_num > 0 && rl->value_num < 2.0 * (double)conns)
			diag_evidence(f, "worker_rlimit_nofile %s is below twice worker_connections (%ld): each proxied request takes two fds",
				 rl->value, conns);
		char at[GW_PATH + 24] = "";
		if (rl) gw_fmt(at, sizeof at, " (%s:%d)", rl->loc.file, rl->loc.line);
		diag_fix(f, "raise worker_rlimit_nofile%s to at least twice worker_connections (e.g. 65535), then reload nginx", at);
		diag_fix(f, "under systemd also LimitNOFILE= in the nginx unit (systemctl edit nginx), then restart it");
		if (n->limits_pid) {
			diag_command(f, "grep 'open files' /proc/%d/limits", (int)n->limits_pid);
			diag_command(f, "ls /proc/%d/fd | wc -l", (int)n->limits_pid);
		}
	}
}

static void rule_oom_history(struct diag_ctx *c)
{
	const struct gw_log_event *e = oom_event(c);
	/* the target rules already named the kill as the cause of a failure */
	if (diag_find(c, GW_CAUSE_OOM_KILLED, GW_SUBJ_TARGET)) return;
	if (!e || e->kind != GW_LOG_OOM_KILL) return;
	struct gw_finding *f = diag_add_as(c, GW_CAUSE_OOM_KILLED, DIAG_NO_SUBJECT, GW_SEV_WARN, RANK_OOM_HISTORY,
		"the kernel killed %.200s for lack of memory recently", e->detail[0] ? e->detail : "a process");
	diag_event_evidence(f, e);
	if (c->s->mem.ok)
		diag_evidence(f, "memory available now: %lu MiB of %lu MiB", c->s->mem.available_kb / 1024,
			 c->s->mem.total_kb / 1024);
	diag_fix(f, "\"a restart fixes it for a while\" points to memory pressure or a leak");
	diag_command(f, "journalctl -k | grep -i 'out of memory'");
	diag_command(f, "free -m");
}

/* Less than DIAG_MEM_LOW_PERCENT of the memory available. */
static int memory_low(const struct gw_memory *m)
{
	return m->ok && m->total_kb && m->available_kb * 100 < m->total_kb * DIAG_MEM_LOW_PERCENT;
}

static void rule_memory(struct diag_ctx *c)
{
	const struct gw_memory *m = &c->s->mem;
	if (memory_low(m)) {
		struct gw_finding *f = diag_add_as(c, GW_CAUSE_OOM_KILLED, DIAG_NO_SUBJECT, GW_SEV_WARN, RANK_MEMORY_LOW,
			"memory is nearly exhausted: %lu MiB of %lu MiB available", m->available_kb / 1024,
			m->total_kb / 1024);
		if (m->psi_some10 >= 0) diag_evidence(f, "memory pressure (PSI some avg10): %.1f%%", m->psi_some10);
		diag_fix(f, "find the process that grows (ps aux --sort=-rss | head); the OOM killer is next");
		diag_command(f, "free -m");
	}
}

/* ------------------------------------------------------------ hops + verdict */

static void hops_fill(struct diag_ctx *c)
{
	const struct gw_snapshot *s = c->s;
	struct gw_hop_state *h = c->d->hops;
	int ok = 0, down = 0, unknown = 0;

	h[GW_HOP_CLIENT].status = s->nginx.master_pid ? GW_HS_OK : GW_HS_UNKNOWN;
	gw_fmt(h[GW_HOP_CLIENT].detail, GW_TEXT, "%s", "requests reach this host's nginx listeners");

	if (s->nginx.master_pid) {
		h[GW_HOP_NGINX].status = GW_HS_OK;
		gw_fmt(h[GW_HOP_NGINX].detail, GW_TEXT, "master %d, %d worker%s; config %s%s",
		       (int)s->nginx.master_pid, s->nginx.nworkers, s->nginx.nworkers == 1 ? "" : "s",
		       s->conf.conf_path, s->ntest.ran ? (s->ntest.ok ? " (nginx -t ok)" : " (nginx -t FAILED)") : "");
	} else {
		h[GW_HOP_NGINX].status = GW_HS_FAIL;
		gw_fmt(h[GW_HOP_NGINX].detail, GW_TEXT, "no nginx master process (config %s)", s->conf.conf_path);
	}

	for (size_t i = 0; i < s->targets.n; i++) {
		enum tstate st = target_state(&s->targets.v[i]);
		if (st == T_OK) ok++;
		else if (st == T_UNKNOWN) unknown++;
		else down++;
	}
	/* a *_pass whose address only nginx knows at run time ($variables):
	 * that part of the hop was not seen, so the hop is never ok */
	const struct gw_conf_pass *var = NULL;
	size_t nvar = 0;
	for (size_t i = 0; i < s->conf.passes.n; i++)
		if (s->conf.passes.v[i].addr.kind == GW_ADDR_VARIABLE && !nvar++) var = &s->conf.passes.v[i];
	if (!s->targets.n && var) {
		h[GW_HOP_UPSTREAM].status = GW_HS_UNKNOWN;
		gw_fmt(h[GW_HOP_UPSTREAM].detail, GW_TEXT, "%s %.200s (%s:%d): the target is a variable nginx resolves per request; not probed",
		       var->directive, var->arg, var->loc.file, var->loc.line);
	} else if (!s->targets.n) {
		h[GW_HOP_UPSTREAM].status = GW_HS_UNKNOWN;
		gw_fmt(h[GW_HOP_UPSTREAM].detail, GW_TEXT, "no proxy_pass / *_pass target in the config");
	} else {
		h[GW_HOP_UPSTREAM].status = down ? GW_HS_FAIL : unknown || nvar ? GW_HS_UNKNOWN : GW_HS_OK;
		gw_fmt(h[GW_HOP_UPSTREAM].detail, GW_TEXT, "%zu target%s: %d answer%s, %d down%s", s->targets.n,
		       s->targets.n == 1 ? "" : "s", ok, ok == 1 ? "s" : "", down,
		       unknown ? ", some not probed" : "");
		if (nvar)
			gw_append(h[GW_HOP_UPSTREAM].detail, GW_TEXT, "; %zu more behind variables, not known (%.100s)", nvar,
				  var->arg);
	}

	int masters = 0, workers = 0;
	for (size_t i = 0; i < s->procs.n; i++) {
		if (role_is_app_master(s->procs.v[i].role)) masters++;
		else if (s->procs.v[i].role == GW_ROLE_GUNICORN_WORKER || s->procs.v[i].role == GW_ROLE_UVICORN_WORKER) workers++;
	}
	int http = 0;
	for (size_t i = 0; i < s->targets.n; i++) if (s->targets.v[i].http_ok) http++;
	const struct gw_unit *au = NULL;
	for (size_t i = 0; i < s->units.n && !au; i++)
		if (s->units.v[i].is_app && s->units.v[i].loaded) au = &s->units.v[i];
	char unit[GW_NAME + 48] = "";
	if (au) gw_fmt(unit, sizeof unit, "%s %s/%s; ", au->name, au->active_state, au->sub_state);
	if (masters || workers || http) {
		h[GW_HOP_APP].status = http ? GW_HS_OK : GW_HS_UNKNOWN;
		gw_fmt(h[GW_HOP_APP].detail, GW_TEXT, "%s%d app server%s, %d worker%s%s", unit, masters,
		       masters == 1 ? "" : "s", workers, workers == 1 ? "" : "s", http ? "; answers HTTP" : "");
	} else {
		h[GW_HOP_APP].status = s->targets.n ? GW_HS_FAIL : GW_HS_UNKNOWN;
		gw_fmt(h[GW_HOP_APP].detail, GW_TEXT, "%sno app server process found", unit);
	}
	int dbok = 0, dbdown = 0;
	size_t shown = 0;
	for (size_t i = 0; i < s->dbs.n; i++) {
		if (!s->dbs.v[i].probed) continue;
		if (s->dbs.v[i].reachable) dbok++;
		else if (!dbdown++) shown = i;
	}
	if (dbok || dbdown) {
		h[GW_HOP_DB].status = dbdown ? GW_HS_FAIL : GW_HS_OK;
		gw_fmt(h[GW_HOP_DB].detail, GW_TEXT, "%s %s%s", s->dbs.v[shown].display,
		       dbdown ? "unreachable" : "accepts connections",
		       s->dbs.n > 1 ? " (and more)" : "");
	} else {
		h[GW_HOP_DB].status = GW_HS_UNKNOWN;
		gw_fmt(h[GW_HOP_DB].detail, GW_TEXT, "not checked (no database address known)");
	}

	/* findings override: a finding marks its hop */
	for (size_t i = 0; i < c->d->findings.n; i++) {
		const struct gw_finding *f = &c->d->findings.v[i];
		enum gw_hop_status hs = f->severity == GW_SEV_CRIT ? GW_HS_FAIL : f->severity == GW_SEV_WARN ? GW_HS_WARN : GW_HS_OK;
		if (f->severity < GW_SEV_WARN) continue;
		if (h[f->hop].status == GW_HS_FAIL && hs != GW_HS_FAIL) continue;
		if (hs == GW_HS_FAIL || h[f->hop].status != GW_HS_FAIL) {
			if (h[f->hop].status != hs || !(h[f->hop].status == GW_HS_FAIL))
				GW_COPY(h[f->hop].detail, f->summary);
			h[f->hop].status = hs;
		}
	}
	/* db errors seen by the app */
	static const enum gw_log_kind dbk[] = { GW_LOG_APP_DB };
	const struct gw_log_event *dbe = app_event(c, dbk, 1, 0);
	if (dbe) {
		h[GW_HOP_DB].status = GW_HS_FAIL;
		gw_fmt(h[GW_HOP_DB].detail, GW_TEXT, "app log: %.400s", dbe->detail[0] ? dbe->detail : dbe->line);
	}
	diagnose_truth_client_hop(c);
}

/* ------------------------------------------------------------ the rule table
 *
 * The rules run in this order, by phase:
 *   claim    rule sets that name a more specific root cause for a target
 *            than the generic rules (a container serves it) mark it in
 *            c->claimed; the generic target rules then leave it alone
 *   generic  one finding per broken thing, from the snapshot
 *   refine   rules that read the findings made so far: fold a target's
 *            upstream_down into the unit that explains it, name the unit,
 *            skip a history finding the generic rules already made current
 * Ties in (severity, hop, rank) keep the order the findings were made in,
 * so within a phase the order of the rows is part of the output. */
enum diag_phase { DIAG_CLAIM, DIAG_GENERIC, DIAG_REFINE };

static const struct diag_rule {
	const char *name;
	enum diag_phase phase;
	void (*run)(struct diag_ctx *c);
} diag_rules[] = {
	{ "docker",          DIAG_CLAIM,   diagnose_docker },   /* diagnose_docker.c */
	{ "unknown",         DIAG_GENERIC, rule_unknown },
	{ "nginx_down",      DIAG_GENERIC, rule_nginx_down },
	{ "config_invalid",  DIAG_GENERIC, rule_config_invalid },
	{ "config_parse",    DIAG_GENERIC, rule_config_parse },
	{ "config_stale",    DIAG_GENERIC, rule_config_stale },
	{ "targets",         DIAG_GENERIC, rule_targets },
	{ "marked_down",     DIAG_GENERIC, rule_marked_down },
	{ "nginx_limits",    DIAG_GENERIC, rule_nginx_limits },
	{ "memory",          DIAG_GENERIC, rule_memory },
	{ "units",           DIAG_REFINE,  diagnose_units },    /* diagnose_units.c */
	{ "oom_history",     DIAG_REFINE,  rule_oom_history },
	{ "testimony",       DIAG_REFINE,  diagnose_truth },    /* diagnose_truth.c: last, held against the rest */
};

int diagnose_rules_ordered(void)
{
	for (size_t i = 1; i < sizeof diag_rules / sizeof *diag_rules; i++)
		if (diag_rules[i].phase < diag_rules[i - 1].phase) return 0;
	return 1;
}

/* ------------------------------------------------------------ what the panes render */

static void targets_fill(struct diag_ctx *c)
{
	for (size_t i = 0; i < c->s->targets.n; i++)
		diagnose_target(&c->s->targets.v[i], gw_vec_push(&c->d->targets));
}

/* The tour's checklist (after hops_fill: two items are hop states). */
static void checklist_fill(struct diag_ctx *c)
{
	const struct gw_snapshot *s = c->s;
	enum gw_hop_status *k = c->d->checklist;
	enum gw_hop_status bind = s->targets.n ? GW_HS_OK : GW_HS_UNKNOWN, probe = bind, sock = GW_HS_UNKNOWN;
	enum gw_hop_status health = GW_HS_UNKNOWN;

	k[GW_CHECK_CONFIG_VALID] = s->ntest.ran ? (s->ntest.ok ? GW_HS_OK : GW_HS_FAIL) : GW_HS_UNKNOWN;
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct gw_target *tg = &s->targets.v[i];
		enum gw_hop_status st = c->d->targets.v[i].state;
		if (tg->down || tg->backup) continue;
		if (tg->listener_idx < 0) bind = GW_HS_FAIL;
		if (st == GW_HS_FAIL || (st == GW_HS_WARN && probe != GW_HS_FAIL)) probe = st;
		if (tg->addr.kind == GW_ADDR_UNIX && tg->perm_checked)
			sock = (tg->exists && tg->perm_ok && sock != GW_HS_FAIL) ? GW_HS_OK : GW_HS_FAIL;
		if (tg->http_ok && tg->http_status >= 200 && tg->http_status < 400 && health != GW_HS_FAIL)
			health = GW_HS_OK;
	}
	k[GW_CHECK_TARGET_BIND] = bind;
	k[GW_CHECK_DIRECT_PROBE] = probe;
	k[GW_CHECK_SOCKET] = sock;
	k[GW_CHECK_HEALTH_ENDPOINT] = health;
	k[GW_CHECK_APP_RUNNING] = c->d->hops[GW_HOP_APP].status;
	k[GW_CHECK_DB] = c->d->hops[GW_HOP_DB].status;
	k[GW_CHECK_ENVIRONMENT] = k[GW_CHECK_CONTAINERS] = k[GW_CHECK_TIMEOUTS] = GW_HS_UNKNOWN;

	k[GW_CHECK_NO_LOG_ERRORS] = GW_HS_OK;
	for (size_t i = 0; i < s->events.n; i++)
		if (s->events.v[i].level >= GW_LV_ERROR && s->events.v[i].time > c->cfg->now - c->cfg->recent_window)
			k[GW_CHECK_NO_LOG_ERRORS] = GW_HS_FAIL;

	/* low memory as rule_memory has it warns; a current OOM kill fails */
	enum gw_hop_status mem = GW_HS_UNKNOWN;
	if (s->mem.ok) mem = memory_low(&s->mem) ? GW_HS_WARN : GW_HS_OK;
	if (oom_event(c)) mem = GW_HS_FAIL;
	k[GW_CHECK_RESOURCES] = mem;
}

static int finding_cmp(const void *a, const void *b)
{
	const struct gw_finding *x = a, *y = b;
	if (x->severity != y->severity) return (int)y->severity - (int)x->severity;
	if (x->hop != y->hop) return (int)x->hop - (int)y->hop;
	return y->rank - x->rank;
}

/* Verdict first: a stable sort by finding_cmp (ties keep the order the
 * rules made them in). Insertion sort on indices: a few findings, big. */
static void diag_sort(struct gw_diagnosis *d)
{
	size_t n = d->findings.n;
	if (n < 2) return;
	size_t *ix = gw_xcalloc(n, sizeof *ix);
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		for (; j > 0 && finding_cmp(&d->findings.v[ix[j - 1]], &d->findings.v[i]) > 0; j--) ix[j] = ix[j - 1];
		ix[j] = i;
	}
	struct gw_finding *sorted = gw_xcalloc(n, sizeof *sorted);
	for (size_t i = 0; i < n; i++) sorted[i] = d->findings.v[ix[i]];
	memcpy(d->findings.v, sorted, n * sizeof *sorted);
	free(sorted);
	free(ix);
}

void diagnose(const struct gw_snapshot *s, const struct gw_diag_config *cfg, struct gw_diagnosis *d)
{
	struct diag_ctx c = { .s = s, .cfg = cfg, .d = d };
	double reset = s->nginx.last_reload;
	memset(d, 0, sizeof *d);
	d->verdict = -1;
	c.since = c.since_nginx = cfg->now - cfg->recent_window;
	/* error.log lines before the last nginx reload describe the old config: history */
	if (reset > c.since && reset < cfg->now) c.since_nginx = reset - 1;

	c.claimed = gw_xcalloc(s->targets.n ? s->targets.n : 1, 1);
	for (size_t i = 0; i < sizeof diag_rules / sizeof *diag_rules; i++)
		diag_rules[i].run(&c);

	free(c.claimed);
	c.claimed = NULL;
	diag_sort(d);
	d->status = GW_SEV_OK;
	for (size_t i = 0; i < d->findings.n; i++)
		if (d->findings.v[i].severity > d->status) d->status = d->findings.v[i].severity;
	if (d->status == GW_SEV_INFO) d->status = GW_SEV_OK;
	if (d->status >= GW_SEV_WARN) d->verdict = 0;
	d->window = cfg->recent_window;
	d->since = c.since;
	d->since_nginx = c.since_nginx;
	targets_fill(&c);
	hops_fill(&c);
	checklist_fill(&c);
}

void diagnosis_free(struct gw_diagnosis *d)
{
	gw_vec_free(&d->findings);
	gw_vec_free(&d->targets);
	d->verdict = -1;
}

const struct gw_finding *diagnosis_verdict(const struct gw_diagnosis *d)
{
	return d->verdict >= 0 && (size_t)d->verdict < d->findings.n ? &d->findings.v[d->verdict] : NULL;
}
