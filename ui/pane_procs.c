/* pane_procs.c — app-relevant processes (role != other) as a tree by
 * ppid: pid, user, state, cpu%, rss, start time, role, cmdline [unit].
 * The pid of every built line is kept so that the selection (keys.c)
 * maps back to a process and its unit (r / s act on it). */
#include "ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct procs_pane {
	GW_VEC(pid_t) pids;              /* pid of each built line, -1 none */
};

static void procs_pane_free(void *state)
{
	struct procs_pane *pp = state;
	gw_vec_free(&pp->pids);
	free(pp);
}

static struct procs_pane *procs_pane(struct tui *t)
{
	return ui_pane_state(t, LAYOUT_PROCS, sizeof(struct procs_pane), procs_pane_free);
}

const char *procs_unit_at(const struct tui *t, int li)
{
	const struct gw_snapshot *s = tui_snap(t);
	const struct procs_pane *pp = t->panes[LAYOUT_PROCS].state;
	if (!s || !pp || li < 0 || (size_t)li >= pp->pids.n || pp->pids.v[li] <= 0)
		return "";
	for (size_t i = 0; i < s->procs.n; i++)
		if (s->procs.v[i].pid == pp->pids.v[li])
			return s->procs.v[i].unit;
	return "";
}

struct procs_ctx {
	const struct gw_snapshot *s;
	struct ui_lines *L;
	int width;
	unsigned char *done;
	struct procs_pane *pp;
};

static int procs_relevant(const struct gw_proc *p)
{
	return p->role != GW_ROLE_OTHER;
}

static int procs_role(const struct gw_proc *p)
{
	if (p->state == 'Z' || p->state == 'D')
		return UI_WARN;
	switch (p->role) {
	case GW_ROLE_NGINX_MASTER: case GW_ROLE_GUNICORN_MASTER: case GW_ROLE_UVICORN_MASTER:
		return UI_BOLD;
	default:
		return UI_NORMAL;
	}
}

static void procs_row(struct procs_ctx *c, const struct gw_proc *p, int depth, int last)
{
	const struct ui_glyphs *g = theme_glyphs();
	char buf[64], tm[16];
	struct ui_lines *L = c->L;

	ui_line_new(L);
	*gw_vec_push(&c->pp->pids) = p->pid;
	gw_fmt(buf, sizeof buf, "%d", (int)p->pid);
	ui_cell(L, UI_NORMAL, buf, sizeof buf, 7, 1);
	ui_puts(L, UI_NORMAL, " ");
	ui_cell(L, UI_NORMAL, p->user, sizeof p->user, 8, 0);
	ui_putf(L, p->state == 'Z' || p->state == 'D' ? UI_WARN : UI_NORMAL, " %c", p->state ? p->state : '?');
	gw_fmt(buf, sizeof buf, "%.1f", p->cpu_pct);
	ui_cell(L, UI_NORMAL, buf, sizeof buf, 6, 1);
	if (p->rss_kb >= 1024 * 1024)
		gw_fmt(buf, sizeof buf, "%.1fG", p->rss_kb / 1048576.0);
	else
		gw_fmt(buf, sizeof buf, "%luM", p->rss_kb / 1024);
	ui_cell(L, UI_NORMAL, buf, sizeof buf, 7, 1);
	tm[0] = '\0';
	if (p->start_time > 0) {
		time_t st = (time_t)p->start_time;
		struct tm lt;
		localtime_r(&st, &lt);
		strftime(tm, sizeof tm, "%H:%M:%S", &lt);
	}
	ui_puts(L, UI_NORMAL, " ");
	ui_cell(L, UI_DIM, tm, sizeof tm, 8, 0);
	ui_puts(L, UI_NORMAL, " ");
	for (int i = 1; i < depth && i < 6; i++)
		ui_puts(L, UI_DIM, "  ");
	if (depth > 0)
		ui_puts(L, UI_DIM, last ? g->elbow : g->tee);
	ui_put(L, procs_role(p), p->cmdline[0] ? p->cmdline : p->comm, sizeof p->cmdline);
	ui_putf(L, UI_DIM, " [%s%s%s]", gw_role_name(p->role), p->unit[0] ? " " : "", p->unit);
}

static int procs_parent_relevant(const struct gw_snapshot *s, const struct gw_proc *p)
{
	for (size_t i = 0; i < s->procs.n; i++)
		if (s->procs.v[i].pid == p->ppid && p->ppid != p->pid)
			return procs_relevant(&s->procs.v[i]);
	return 0;
}

static void procs_tree(struct procs_ctx *c, size_t idx, int depth, int last)
{
	const struct gw_snapshot *s = c->s;
	if (c->done[idx] || depth > 32)
		return;
	c->done[idx] = 1;
	procs_row(c, &s->procs.v[idx], depth, last);
	size_t nkids = 0, seen = 0;
	for (size_t i = 0; i < s->procs.n; i++)
		if (!c->done[i] && procs_relevant(&s->procs.v[i]) && s->procs.v[i].ppid == s->procs.v[idx].pid)
			nkids++;
	for (size_t i = 0; i < s->procs.n; i++)
		if (!c->done[i] && procs_relevant(&s->procs.v[i]) && s->procs.v[i].ppid == s->procs.v[idx].pid) {
			seen++;
			procs_tree(c, i, depth + 1, seen == nkids);
		}
}

static void procs_build(struct tui *t, struct ui_lines *L, int width)
{
	const struct gw_snapshot *s = tui_snap(t);
	struct procs_pane *pp = procs_pane(t);
	gw_vec_clear(&pp->pids);
	if (!s) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, "probing...");
		return;
	}
	struct procs_ctx c = { s, L, width, gw_xcalloc(s->procs.n + 1, 1), pp };
	size_t n = 0;
	ui_line_new(L);
	*gw_vec_push(&pp->pids) = -1;
	ui_puts(L, UI_BOLD, "    PID USER     S  CPU%    RSS START    COMMAND");
	for (size_t i = 0; i < s->procs.n; i++)
		if (procs_relevant(&s->procs.v[i]) && !procs_parent_relevant(s, &s->procs.v[i]))
			procs_tree(&c, i, 0, 1);
	for (size_t i = 0; i < s->procs.n; i++)
		if (c.done[i])
			n++;
	if (!n) {
		ui_line_new(L);
		ui_puts(L, UI_UNKNOWN, "no nginx / app / db processes found");
		*gw_vec_push(&pp->pids) = -1;
	}
	free(c.done);
	gw_fmt(t->panes[LAYOUT_PROCS].count, sizeof t->panes[LAYOUT_PROCS].count,
	    "%zu of %zu", n, s->procs.n);
}

const struct pane_class pane_procs_class = {
	.title = "Processes",
	.filterable = 1,
	.header_line = 1,
	.build = procs_build,
};
