/* pane_path.c — the request path pane: client -> nginx -> each upstream
 * target (address, directive, config file:line, probe result) -> the app
 * server owning the target's listener -> app -> db. Each hop carries a
 * marker, a colour and a one-line reason; the first broken hop stands out. */
#include "ui.h"

#include <stdio.h>
#include <string.h>

static int path_role_is_app(enum gw_role r)
{
	return r == GW_ROLE_GUNICORN_MASTER || r == GW_ROLE_GUNICORN_WORKER ||
	    r == GW_ROLE_UVICORN_MASTER || r == GW_ROLE_UVICORN_WORKER ||
	    r == GW_ROLE_APP_SERVER || r == GW_ROLE_DOCKER_PROXY;
}

static const struct gw_proc *path_proc(const struct gw_snapshot *s, pid_t pid)
{
	for (size_t i = 0; pid > 0 && i < s->procs.n; i++)
		if (s->procs.v[i].pid == pid)
			return &s->procs.v[i];
	return NULL;
}

const struct gw_proc *path_target_server(const struct gw_snapshot *s, const struct gw_target *t)
{
	if (t->listener_idx < 0 || (size_t)t->listener_idx >= s->listeners.n)
		return NULL;
	const struct gw_proc *p = path_proc(s, s->listeners.v[t->listener_idx].pid);
	/* a worker's listener: climb to its master (gunicorn / uvicorn); a
	 * docker-proxy's parent is dockerd, the engine, not the app server */
	for (int hops = 0; p && p->role != GW_ROLE_DOCKER_PROXY && hops < 8; hops++) {
		const struct gw_proc *pp = path_proc(s, p->ppid);
		if (!pp || !path_role_is_app(pp->role))
			break;
		p = pp;
	}
	return p;
}

const struct gw_target_state *path_target_judged(const struct tui *t, size_t i)
{
	static const struct gw_target_state none = { GW_HS_UNKNOWN, GW_TW_NOT_PROBED, GW_PROBE_NOT_RUN, 0 };
	return i < t->diag.targets.n ? &t->diag.targets.v[i] : &none;
}

void path_target_reason(const struct gw_target *t, const struct gw_target_state *ts, char *buf, size_t size)
{
	switch (ts->why) {
	case GW_TW_SOCKET_MISSING:
		gw_fmt(buf, size, "socket missing (2: No such file or directory)");
		break;
	case GW_TW_PERMISSION:
		gw_fmt(buf, size, "permission denied: %s", t->perm_detail[0] ? t->perm_detail : t->perm_path);
		break;
	case GW_TW_MARKED_DOWN:
		gw_fmt(buf, size, "marked down");
		break;
	case GW_TW_NOT_PROBED:
		gw_fmt(buf, size, "not probed yet");
		break;
	case GW_TW_TIMED_OUT:
		gw_fmt(buf, size, "timed out after %.0f ms%s%s", t->total_ms,
		    t->error[0] ? ": " : "", t->error);
		break;
	case GW_TW_CONNECT_FAILED:
		gw_fmt(buf, size, "connect failed%s%s%s", t->err ? ": " : "",
		    t->err ? strerror(t->err) : "", t->err ? "" : t->error[0] ? t->error : "");
		break;
	case GW_TW_CONNECT_OK:
		gw_fmt(buf, size, "connect ok in %.0f ms (%s, not HTTP)", t->connect_ms, t->directive);
		break;
	case GW_TW_NO_VALID_HTTP:
		gw_fmt(buf, size, "connected, no valid HTTP answer%s%s", t->error[0] ? ": " : "", t->error);
		break;
	case GW_TW_HTTP:
		gw_fmt(buf, size, "HTTP %ld in %.0f ms", t->http_status, t->total_ms);
		break;
	}
	if (ts->nothing_listens)
		gw_append(buf, size, "; nothing listens");
}

static const char *path_base(const char *p)
{
	const char *b = strrchr(p, '/');
	return b ? b + 1 : p;
}

/* "▶ ✗ upstream  reason" — the hop line. */
static void path_hop(struct ui_lines *L, const char *name, enum gw_hop_status st,
    const char *detail, size_t dmax, int first, int width)
{
	const struct ui_glyphs *g = theme_glyphs();
	struct ui_line *ln = ui_line_new(L);
	int role = theme_role_hop(st);
	ui_puts(L, first ? UI_FAIL : UI_NORMAL, first ? g->first : " ");
	ui_puts(L, UI_NORMAL, " ");
	ui_puts(L, role, theme_marker_hop(st));
	ui_puts(L, UI_NORMAL, " ");
	ui_cell(L, first ? UI_BOLD : role, name, 32, 10, 0);
	ui_put(L, role, detail && detail[0] ? detail : gw_hop_status_name(st), dmax);
	if (first)
		ln->role = UI_FIRST;
	(void)width;
}

static void path_target(struct ui_lines *L, const struct gw_snapshot *s, const struct gw_target *t,
    const struct gw_target_state *ts, int last, int width)
{
	const struct ui_glyphs *g = theme_glyphs();
	int st = ts->state;
	int role = theme_role_hop(st);
	char reason[GW_TEXT + 64];

	ui_line_new(L);
	ui_putf(L, UI_DIM, "     %s", last ? g->elbow : g->tee);
	ui_puts(L, role, theme_marker_hop(st));
	ui_puts(L, UI_NORMAL, " ");
	ui_put(L, UI_BOLD, t->display, sizeof t->display);
	ui_putf(L, UI_DIM, " %s", t->directive);
	if (t->pass_loc.file[0])
		ui_putf(L, UI_DIM, " %s:%d", path_base(t->pass_loc.file), t->pass_loc.line);
	if (t->upstream_name[0])
		ui_putf(L, UI_DIM, " (upstream %s)", t->upstream_name);
	path_target_reason(t, ts, reason, sizeof reason);
	ui_line_new(L);
	ui_putf(L, UI_DIM, "     %s   ", last ? " " : g->vline);
	ui_wrap(L, role, reason, sizeof reason, width, 11);

	const struct gw_proc *p = path_target_server(s, t);
	ui_line_new(L);
	ui_putf(L, UI_DIM, "     %s   server: ", last ? " " : g->vline);
	if (p)
		ui_putf(L, UI_NORMAL, "%s pid %d (%s) %s", gw_role_name(p->role), (int)p->pid,
		    p->user, p->cmdline);
	else if (t->listener_idx >= 0 && (size_t)t->listener_idx < s->listeners.n)
		ui_putf(L, UI_UNKNOWN, "listener owner unknown%s",
		    s->is_root ? "" : " (needs root)");
	else
		ui_puts(L, UI_FAIL, "none");
}

static void path_build(struct tui *t, struct ui_lines *L, int width)
{
	const struct gw_snapshot *s = tui_snap(t);
	const struct gw_diagnosis *d = &t->diag;
	static const enum gw_hop order[] = { GW_HOP_CLIENT, GW_HOP_NGINX, GW_HOP_UPSTREAM, GW_HOP_APP, GW_HOP_DB };
	static const char *const names[] = { "client", "nginx", "upstream", "app", "db" };

	if (!s) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, "probing...");
		return;
	}
	/* the first broken hop behind the client: a failing client hop is
	 * what every fault looks like from outside, the marker goes to where
	 * it breaks (the client only when nothing behind it is broken) */
	int first = -1;
	for (size_t i = 1; i < 5 && first < 0; i++)
		if (d->hops[order[i]].status == GW_HS_FAIL)
			first = (int)i;
	for (size_t i = 1; i < 5 && first < 0; i++)
		if (d->hops[order[i]].status == GW_HS_WARN)
			first = (int)i;
	if (first < 0 && d->hops[GW_HOP_CLIENT].status >= GW_HS_WARN)
		first = 0;

	for (size_t i = 0; i < 5; i++) {
		const struct gw_hop_state *h = &d->hops[order[i]];
		char extra[GW_TEXT];
		extra[0] = '\0';
		if (order[i] == GW_HOP_NGINX && s->nginx.master_pid > 0 && !h->detail[0])
			gw_fmt(extra, sizeof extra, "master pid %d, %d workers",
			    (int)s->nginx.master_pid, s->nginx.nworkers);
		path_hop(L, names[i], h->status, extra[0] ? extra : h->detail,
		    extra[0] ? sizeof extra : sizeof h->detail, first == (int)i, width);
		if (order[i] == GW_HOP_UPSTREAM) {
			if (!s->targets.n) {
				ui_line_new(L);
				ui_puts(L, UI_UNKNOWN, "       no upstream targets found in the config");
			}
			for (size_t k = 0; k < s->targets.n; k++)
				path_target(L, s, &s->targets.v[k], path_target_judged(t, k), k + 1 == s->targets.n, width);
		}
	}
	size_t bad = 0;
	for (size_t k = 0; k < s->targets.n; k++)
		if (path_target_judged(t, k)->state == GW_HS_FAIL)
			bad++;
	gw_fmt(t->panes[LAYOUT_PATH].count, sizeof t->panes[LAYOUT_PATH].count,
	    "%zu target%s, %zu failing", s->targets.n, s->targets.n == 1 ? "" : "s", bad);
}

const struct pane_class pane_path_class = {
	.title = "Request path",
	.build = path_build,
};
