/* diagnose_docker.c — rules for containers on the request path (the Docker
 * step of the playbook): container_loopback_bind, container_port_mismatch,
 * container_unhealthy, app_crash_loop for containers, and upstream_down for
 * an exited container nginx targets. Pure, like diagnose.c.
 *
 * Each nginx target comes mapped to the container that serves it (the
 * docker probe's t->container: published host port, container address,
 * compose name, or a nearby published port when nothing serves the target), then the
 * container is checked from the outside in: restarting? exited? does the app
 * inside listen where the published port forwards (State.Pid's net/tcp)?
 * healthy? These name the root cause more precisely than the generic
 * upstream_down / port_mismatch of diagnose.c, hence rank 95. */
#include "diagnose_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

#define DD_RANK 95

enum {
	DD_LOOP = 1,
	DD_DOWN = 2,
	DD_BIND = 4,
	DD_PORT = 8,
	DD_HEALTH = 16,
};

enum dd_inside { DD_IN_UNKNOWN, DD_IN_OK, DD_IN_LOOPBACK, DD_IN_OTHER, DD_IN_NONE };

static int dd_running(const struct gw_container *ct)
{
	return !strcmp(ct->state, "running");
}

static int dd_target_answers(const struct gw_target *t)
{
	return t->probed && t->reachable && t->http_ok && t->http_status > 0 && t->http_status < 500;
}

static int dd_target_failing(const struct gw_target *t)
{
	return t->probed && !dd_target_answers(t) && !(t->not_http && t->reachable);
}

static int dd_crash_looping(const struct diag_ctx *c, const struct gw_container *ct)
{
	if (!strcmp(ct->state, "restarting") || ct->restarts_rising)
		return 1;
	/* one look only (--check): several restarts and the current run is young */
	return ct->restart_count >= 3 && ct->started_at > c->cfg->now - 300 &&
	       (dd_running(ct) || !strcmp(ct->state, "exited"));
}

/* What the app inside listens on, relative to the port nginx reaches. */
static enum dd_inside dd_inside(const struct gw_container *ct, int port, char *listens, size_t n,
				int *other_port)
{
	int loop = 0, ok = 0, other_loop = 0;

	listens[0] = '\0';
	*other_port = 0;
	if (!ct->inside_known)
		return DD_IN_UNKNOWN;
	for (int i = 0; i < ct->ninside; i++) {
		const char *a = ct->inside[i].addr;
		int p = ct->inside[i].port;
		gw_append(listens, n, "%s%s%s%s:%d", listens[0] ? ", " : "", strchr(a, ':') ? "[" : "", a,
			  strchr(a, ':') ? "]" : "", p);
		if (p == port) {
			if (addr_is_loopback(a))
				loop = 1;
			else
				ok = 1;
		} else if (!*other_port || (other_loop && !addr_is_loopback(a))) {
			*other_port = p;   /* prefer a port the app serves on all interfaces */
			other_loop = addr_is_loopback(a);
		}
	}
	if (ok)
		return DD_IN_OK;
	if (loop)
		return DD_IN_LOOPBACK;
	return ct->ninside ? DD_IN_OTHER : DD_IN_NONE;
}

static void dd_ports_str(const struct gw_container *ct, char *buf, size_t n)
{
	buf[0] = '\0';
	for (int i = 0; i < ct->nports; i++) {
		const struct gw_port_map *pm = &ct->ports[i];
		if (!strcmp(pm->proto, GW_PROTO_ADDRESS))
			continue;
		if (pm->host_port)
			gw_append(buf, n, "%s%s%s%d->%d/%s", buf[0] ? ", " : "", pm->host_ip,
				  pm->host_ip[0] ? ":" : "", pm->host_port, pm->container_port, pm->proto);
		else
			gw_append(buf, n, "%s%d/%s", buf[0] ? ", " : "", pm->container_port, pm->proto);
	}
	if (!buf[0])
		gw_fmt(buf, n, "none");
}

static void dd_state_evidence(struct gw_finding *f, const struct gw_container *ct)
{
	char ports[GW_TEXT];
	dd_ports_str(ct, ports, sizeof ports);
	diag_evidence(f, "container %s (%s): state %s%s%s%s, RestartCount %u, ports %s", ct->name, ct->image,
		      ct->state, ct->status[0] ? " \"" : "", ct->status, ct->status[0] ? "\"" : "",
		      ct->restart_count, ports);
}

/* The newest error line of the container's own log. */
static const struct gw_log_event *dd_log_error(const struct diag_ctx *c, const struct gw_container *ct)
{
	char src[GW_NAME];
	const struct gw_log_event *best = NULL;

	gw_fmt(src, sizeof src, "docker:%s", ct->name);
	for (size_t i = 0; i < c->s->events.n; i++) {
		const struct gw_log_event *e = &c->s->events.v[i];
		if (strcmp(e->source, src) || e->kind == GW_LOG_OTHER)
			continue;
		if (!best || e->time >= best->time)
			best = e;
	}
	return best;
}

static void dd_log_evidence(struct diag_ctx *c, struct gw_finding *f, const struct gw_container *ct)
{
	const struct gw_log_event *e = dd_log_error(c, ct);
	if (e)
		diag_event_evidence(f, e);
	if (ct->last_log[0] && (!e || !strstr(e->line, ct->last_log)))
		diag_evidence(f, "last log line of %s: %s", ct->name, ct->last_log);
}

/* The host listener belongs to docker-proxy / conmon / dockerd. */
static void dd_proxy_evidence(struct diag_ctx *c, struct gw_finding *f, const struct gw_target *t)
{
	const struct gw_listener *l;
	const struct gw_proc *p;

	if (t->listener_idx < 0 || (size_t)t->listener_idx >= c->s->listeners.n)
		return;
	l = &c->s->listeners.v[t->listener_idx];
	if (!l->pid || !(p = diag_proc_by_pid(c->s, l->pid)) || p->role != GW_ROLE_DOCKER_PROXY)
		return;
	diag_evidence(f, "host port %d is held by %s (pid %d), not by the app: a listener there does not mean the app is reachable",
		      l->port, p->comm, (int)p->pid);
}

static void dd_health_note(struct gw_finding *f, const struct gw_container *ct, const struct gw_target *t)
{
	if (strcmp(ct->health, "healthy") || !dd_target_failing(t))
		return;
	diag_evidence(f, "%s reports healthy by its own check, but the check runs inside the container: it does not see what nginx sees",
		      ct->name);
}

static void dd_commands(struct gw_finding *f, const struct gw_container *ct)
{
	diag_command(f, "docker ps -a --filter name=%s", DIAG_Q(ct->name));
	diag_command(f, "docker logs --tail 50 %s", DIAG_Q(ct->name));
}

static void dd_crash_loop(struct diag_ctx *c, const struct gw_container *ct, const struct gw_target *t)
{
	const struct gw_log_event *e = dd_log_error(c, ct);
	const char *why = e ? e->line : ct->last_log;
	struct gw_finding *f = diag_add_as(c, GW_CAUSE_APP_CRASH_LOOP, diag_on_container(c, ct), t ? GW_SEV_CRIT : GW_SEV_WARN, DD_RANK,
		"container %s restarts in a loop (RestartCount %u, last exit code %d)%s%.250s",
		ct->name, ct->restart_count, ct->exit_code, why[0] ? ": " : "", why);
	dd_state_evidence(f, ct);
	if (ct->restarts_rising)
		diag_evidence(f, "RestartCount rose between two probe passes");
	dd_log_evidence(c, f, ct);
	if (t) {
		diag_target_evidence(f, t);
		diag_probe_evidence(f, t);
	}
	diag_fix(f, "fix the error its log shows (it exits at start: code %d), then: docker restart %s", ct->exit_code, ct->name);
	diag_fix(f, "a restart policy only hides the crash: the app must boot");
	dd_commands(f, ct);
	diag_command(f, "docker inspect --format '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' %s", DIAG_Q(ct->name));
}

static void dd_not_running(struct diag_ctx *c, const struct gw_container *ct, const struct gw_target *t)
{
	const char *how;
	char code[64] = "";
	struct gw_finding *f;

	if (!strcmp(ct->state, "paused"))
		how = "is paused";
	else if (!strcmp(ct->state, "created"))
		how = "was created but never started";
	else if (!strcmp(ct->state, "removed"))
		how = "was removed";
	else {
		how = "has exited";
		gw_fmt(code, sizeof code, " (exit code %d%s)", ct->exit_code,
		       ct->exit_code == 137 ? ": SIGKILL, out of memory?" : ct->exit_code == 143 ? ": SIGTERM" : "");
	}
	f = diag_add_as(c, GW_CAUSE_UPSTREAM_DOWN, diag_on_target(c, t), GW_SEV_CRIT, DD_RANK,
		"nginx targets %s, served by container %s, which %s%s%s%.200s", t->display, ct->name, how, code,
		ct->last_log[0] ? "; last log line: " : "", ct->last_log);
	dd_state_evidence(f, ct);
	dd_log_evidence(c, f, ct);
	diag_target_evidence(f, t);
	diag_probe_evidence(f, t);
	if (!strcmp(ct->state, "paused"))
		diag_fix(f, "docker unpause %s", ct->name);
	else
		diag_fix(f, "find why it stopped in its log, then: docker start %s", ct->name);
	diag_fix(f, "give it a restart policy (--restart unless-stopped) once it boots cleanly");
	dd_commands(f, ct);
}

/* nginx targets a host port no container publishes; ct publishes another. */
static void dd_near(struct diag_ctx *c, const struct gw_container *ct, const struct gw_target *t,
		    const struct gw_container_match *m)
{
	const struct gw_port_map *pm = &ct->ports[m->port];
	char listens[GW_TEXT], app[GW_TEXT + 64] = "";
	int other = 0;
	enum dd_inside in = dd_inside(ct, pm->container_port, listens, sizeof listens, &other);
	int app_port = in == DD_IN_OTHER && other ? other : pm->container_port;

	if (in != DD_IN_UNKNOWN)
		gw_fmt(app, sizeof app, "; the app inside listens on %s", listens[0] ? listens : "nothing");
	struct gw_finding *f = diag_add(c, GW_CAUSE_CONTAINER_PORT_MISMATCH, diag_on_target(c, t),
		"nginx targets host port %d (%s), but container %s publishes host port %d -> container port %d%s",
		t->addr.port, t->display, ct->name, pm->host_port, pm->container_port, app);
	diag_target_evidence(f, t);
	diag_probe_evidence(f, t);
	diag_evidence(f, "no container publishes host port %d", t->addr.port);
	dd_state_evidence(f, ct);
	diag_fix(f, "point %s at %s:%d (%s:%d), where %s is published", t->directive,
		 !addr_is_any(pm->host_ip) ? pm->host_ip : "127.0.0.1", pm->host_port,
		 t->pass_loc.file, t->pass_loc.line, ct->name);
	diag_fix(f, "or publish the port nginx uses: docker run -p %s%s%d:%d ...", pm->host_ip,
		 pm->host_ip[0] ? ":" : "", t->addr.port, app_port);
	diag_command(f, "docker port %s", DIAG_Q(ct->name));
	diag_command(f, "ss -ltnp 'sport = :%d'", t->addr.port);
}

static void dd_bind(struct diag_ctx *c, const struct gw_container *ct, const struct gw_target *t,
		    const struct gw_container_match *m, const char *listens)
{
	const struct gw_port_map *pm = m->port >= 0 ? &ct->ports[m->port] : NULL;
	struct gw_finding *f;

	if (pm)
		f = diag_add(c, GW_CAUSE_CONTAINER_LOOPBACK_BIND, diag_on_target(c, t),
			"container %s: the app listens on 127.0.0.1:%d inside the container, but published port %d forwards to the container's interface: nothing answers",
			ct->name, m->container_port, pm->host_port);
	else
		f = diag_add(c, GW_CAUSE_CONTAINER_LOOPBACK_BIND, diag_on_target(c, t),
			"container %s: the app listens on 127.0.0.1:%d inside the container; nginx connects to %s from outside",
			ct->name, m->container_port, t->display);
	diag_evidence(f, "inside %s (pid %d, /proc/%d/net/tcp): listening on %s", ct->name, (int)ct->pid,
		      (int)ct->pid, listens);
	diag_target_evidence(f, t);
	diag_probe_evidence(f, t);
	dd_proxy_evidence(c, f, t);
	dd_health_note(f, ct, t);
	dd_state_evidence(f, ct);
	diag_fix(f, "make the app listen on all interfaces inside the container: --bind 0.0.0.0:%d (gunicorn), --host 0.0.0.0 (uvicorn), then restart %s",
		 m->container_port, ct->name);
	diag_command(f, "nsenter -t %d -n ss -ltn", (int)ct->pid);
	diag_command(f, "docker logs --tail 50 %s", DIAG_Q(ct->name));
}

static void dd_port(struct diag_ctx *c, const struct gw_container *ct, const struct gw_target *t,
		    const struct gw_container_match *m, const char *listens, int app_port)
{
	const struct gw_port_map *pm = m->port >= 0 ? &ct->ports[m->port] : NULL;
	struct gw_finding *f;

	if (pm)
		f = diag_add(c, GW_CAUSE_CONTAINER_PORT_MISMATCH, diag_on_target(c, t),
			"nginx targets host port %d, published by container %s to container port %d/%s, but the app inside listens on %d (%s)",
			pm->host_port, ct->name, pm->container_port, pm->proto, app_port, listens);
	else
		f = diag_add(c, GW_CAUSE_CONTAINER_PORT_MISMATCH, diag_on_target(c, t),
			"nginx targets container %s at %s (port %d), but the app inside listens on %d (%s)",
			ct->name, t->display, m->container_port, app_port, listens);
	diag_target_evidence(f, t);
	diag_probe_evidence(f, t);
	dd_proxy_evidence(c, f, t);
	dd_health_note(f, ct, t);
	dd_state_evidence(f, ct);
	if (pm) {
		diag_fix(f, "publish the port the app listens on: docker run -p %s%s%d:%d ... (instead of %d:%d)",
			 pm->host_ip, pm->host_ip[0] ? ":" : "", pm->host_port, app_port, pm->host_port,
			 pm->container_port);
		diag_fix(f, "or make the app inside listen on 0.0.0.0:%d", pm->container_port);
	} else {
		diag_fix(f, "point %s at port %d, or make the app listen on 0.0.0.0:%d", t->directive, app_port,
			 m->container_port);
	}
	diag_command(f, "docker port %s", DIAG_Q(ct->name));
	diag_command(f, "nsenter -t %d -n ss -ltn", (int)ct->pid);
}

static void dd_unhealthy(struct diag_ctx *c, const struct gw_container *ct, const struct gw_target *t)
{
	int failing = t && dd_target_failing(t);
	struct gw_finding *f = diag_add_as(c, GW_CAUSE_CONTAINER_UNHEALTHY, diag_on_container(c, ct), failing ? GW_SEV_CRIT : GW_SEV_WARN, DIAG_RANK, "container %s is unhealthy: its health check failed %d time%s in a row%s%.250s",
		ct->name, ct->failing_streak, ct->failing_streak == 1 ? "" : "s",
		ct->health_log[0] ? ": " : "", ct->health_log);
	dd_state_evidence(f, ct);
	if (ct->health_log[0])
		diag_evidence(f, "last health check: %s", ct->health_log);
	if (t) {
		diag_target_evidence(f, t);
		diag_probe_evidence(f, t);
		if (dd_target_answers(t))
			diag_evidence(f, "nginx's target still answers: the health check and the app disagree (check command, its port, or a dependency)");
	}
	dd_log_evidence(c, f, ct);
	diag_fix(f, "find why the check fails; it runs inside the container: its command, the port it checks and the app's bind must agree");
	diag_fix(f, "fix the app or the check, then: docker restart %s", ct->name);
	diag_command(f, "docker inspect --format '{{json .State.Health}}' %s", DIAG_Q(ct->name));
	diag_command(f, "docker logs --tail 50 %s", DIAG_Q(ct->name));
}

/* One nginx target served by a container. */
static void dd_target(struct diag_ctx *c, const struct gw_target *t, const struct gw_container_match *m,
		      unsigned char *flags)
{
	const struct gw_container *ct = &c->s->containers.v[m->container];
	unsigned char *fl = &flags[m->container];
	char listens[GW_TEXT];
	int other = 0;

	if (dd_crash_looping(c, ct)) {
		if (!(*fl & DD_LOOP))
			dd_crash_loop(c, ct, t);
		*fl |= DD_LOOP;
		return;
	}
	if (!dd_running(ct)) {
		if (!(*fl & DD_DOWN))
			dd_not_running(c, ct, t);
		*fl |= DD_DOWN;
		return;
	}
	if (m->how == GW_VIA_NEAR) {
		if (dd_target_failing(t) || !t->probed) {
			dd_near(c, ct, t, m);
			*fl |= DD_PORT;
		}
	} else {
		switch (dd_inside(ct, m->container_port, listens, sizeof listens, &other)) {
		case DD_IN_LOOPBACK:
			dd_bind(c, ct, t, m, listens);
			*fl |= DD_BIND;
			break;
		case DD_IN_OTHER:
			dd_port(c, ct, t, m, listens, other);
			*fl |= DD_PORT;
			break;
		case DD_IN_NONE:
			if (dd_target_failing(t) && !(*fl & DD_DOWN)) {
				struct gw_finding *f = diag_add_as(c, GW_CAUSE_UPSTREAM_DOWN, diag_on_target(c, t), GW_SEV_CRIT, DD_RANK,
					"container %s runs, but nothing listens inside it (nginx reaches port %d there)",
					ct->name, m->container_port);
				diag_target_evidence(f, t);
				diag_probe_evidence(f, t);
				dd_proxy_evidence(c, f, t);
				dd_state_evidence(f, ct);
				dd_log_evidence(c, f, ct);
				diag_fix(f, "see why the app did not bind (still booting? crashed workers?): docker logs --tail 50 %s",
					 ct->name);
				*fl |= DD_DOWN;
			}
			break;
		default:
			break;
		}
	}
	if (!strcmp(ct->health, "unhealthy") && !(*fl & DD_HEALTH)) {
		dd_unhealthy(c, ct, t);
		*fl |= DD_HEALTH;
	}
}

void diagnose_docker(struct diag_ctx *c)
{
	const struct gw_snapshot *s = c->s;
	unsigned char *flags;

	if (!s->docker_available || !s->containers.n)
		return;
	flags = gw_xcalloc(s->containers.n, 1);
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct gw_target *t = &s->targets.v[i];
		const struct gw_container_match *m = &t->container;
		size_t before = c->d->findings.n;
		if (t->down || m->how == GW_VIA_NONE || m->container < 0 || (size_t)m->container >= s->containers.n ||
		    m->port >= s->containers.v[m->container].nports)
			continue;
		dd_target(c, t, m, flags);
		/* a crit container finding is the root cause for this target:
		 * the generic upstream rules in diagnose.c leave it alone */
		for (size_t k = before; k < c->d->findings.n; k++)
			if (c->d->findings.v[k].severity == GW_SEV_CRIT && c->claimed) c->claimed[i] = 1;
	}
	/* containers off the request path: warn only */
	for (size_t i = 0; i < s->containers.n; i++) {
		const struct gw_container *ct = &s->containers.v[i];
		if (flags[i])
			continue;
		if (dd_crash_looping(c, ct))
			dd_crash_loop(c, ct, NULL);
		else if (dd_running(ct) && !strcmp(ct->health, "unhealthy"))
			dd_unhealthy(c, ct, NULL);
	}
	free(flags);
}
