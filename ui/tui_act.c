/* tui_act.c — the dashboard's actions: the keys that change the system
 * (r restart, s start, R reload nginx) and `t` (a fresh nginx -t), wired to
 * src/actions.c. Every changing action first asks y/N in a small modal
 * dialog (ncdu-style) naming the action and the equivalent command; only
 * y/Y confirms, every other key cancels. The job then runs on the loop
 * while keys keep working: the footer shows it, the outcome goes to the
 * status line and as a line into the logs pane, and a probe pass follows
 * at once (with a fresh nginx -t). After a restart / start the next passes
 * tell whether the app answers on its target again.
 *
 * `r` on a container (the selected process runs in one, or nginx's target
 * leads to one: docker_match_target) restarts the container through the
 * engine's API (actions_restart_container), with the same dialog.
 *
 * --read-only is refused in keys.c (changes_system) before anything here
 * runs, and the actions object is read-only too. */
#include "ui.h"
#include "pane_logs.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "actions.h"
#include "docker.h"
#include "gather.h"
#include "incident.h"
#include "tlfeed.h"

#define ACT_FOLLOW_PASSES 6          /* passes to wait for the app to answer */
#define ACT_STATUS_SECS 12

void tui_act_init(struct tui *t)
{
	t->act = actions_new(t->e, t->o->read_only, t->o->nginx_bin);
}

void tui_act_free(struct tui *t)
{
	actions_free(t->act);            /* cancels a job in flight */
	t->act = NULL;
	if (t->cfw) {
		delwin(t->cfw);
		t->cfw = NULL;
	}
}

static const char *act_verb(enum actions_kind k)
{
	switch (k) {
	case ACT_RESTART: return "restarting";
	case ACT_START: return "starting";
	case ACT_RELOAD_NGINX: return "nginx -t, then reloading nginx";
	case ACT_NGINX_TEST: return "running nginx -t";
	case ACT_RESTART_CONTAINER: return "restarting container";
	}
	return "?";
}

void tui_act_footer(const struct tui *t, char *buf, size_t size)
{
	buf[0] = '\0';
	if (t->act && actions_busy(t->act) && t->job[0])
		gw_fmt(buf, size, "%s... %.0f s", t->job, gw_mono() - t->job_started);
}

/* ------------------------------------------------------------ outcomes */

/* The actions of this session and their outcomes, for the incident
 * report (`e`): the last INCIDENT_ACTIONS, oldest first. One dashboard
 * per process, like the logs pane's stream. */
static struct incident_action act_hist[INCIDENT_ACTIONS];
static size_t act_nhist;

static void act_remember(const struct tui *t, enum actions_kind kind, int ok, const char *msg)
{
	struct incident_action *a;
	if (act_nhist == INCIDENT_ACTIONS) {
		memmove(act_hist, act_hist + 1, sizeof act_hist - sizeof *act_hist);
		act_nhist--;
	}
	a = &act_hist[act_nhist++];
	memset(a, 0, sizeof *a);
	a->when = gw_now();
	a->ok = ok;
	switch (kind) {
	case ACT_RESTART: gw_fmt(a->what, sizeof a->what, "restart %s", t->confirm_unit); break;
	case ACT_START: gw_fmt(a->what, sizeof a->what, "start %s", t->confirm_unit); break;
	case ACT_RESTART_CONTAINER: gw_fmt(a->what, sizeof a->what, "restart container %s", t->confirm_unit); break;
	case ACT_RELOAD_NGINX: gw_fmt(a->what, sizeof a->what, "reload nginx (nginx -t first)"); break;
	case ACT_NGINX_TEST: gw_fmt(a->what, sizeof a->what, "nginx -t"); break;
	}
	GW_COPY(a->outcome, msg ? msg : "");
}

void tui_act_report(struct tui *t)
{
	const struct gw_snapshot *s = tui_snap(t);
	char written[4096], err[2048], msg[GW_TEXT];
	if (!s) {
		tui_set_status(t, "incident report: wait for the first probe pass");
		return;
	}
	if (incident_report(s, &t->diag, act_hist, act_nhist, NULL, written, sizeof written, err, sizeof err) < 0) {
		tui_set_status_for(t, ACT_STATUS_SECS, "incident report NOT written: %s", err);
		gw_fmt(msg, sizeof msg, "incident report not written: %s", err);
		pane_logs_note(t, 0, msg);
		return;
	}
	/* the status line sanitizes: ui_puts */
	tui_set_status_for(t, 60, "incident report written: %s", written);
	gw_fmt(msg, sizeof msg, "incident report written: %s", written);
	pane_logs_note(t, 1, msg);
}

static void act_done(void *ud, enum actions_kind kind, int ok, const char *msg)
{
	struct tui *t = ud;
	t->job[0] = '\0';
	t->ftr_dirty = 1;
	act_remember(t, kind, ok, msg);
	if (kind == ACT_NGINX_TEST) {
		t->ntest_state = 2;
		t->ntest_ok = ok;
		t->ntest_when = gw_now();
		GW_COPY(t->ntest_msg, msg);
		if (t->ov == OV_PAGER)
			tui_overlay_open(t, OV_PAGER);          /* rebuilt with the result */
		tui_set_status(t, "nginx -t %s", ok ? "passed" : "FAILED (details in the pager: t)");
	} else {
		tui_set_status_for(t, ACT_STATUS_SECS, "%s", msg);
		pane_logs_note(t, ok, msg);
		if (kind == ACT_RELOAD_NGINX && !ok && strstr(msg, "nginx -t failed")) {
			/* show nginx's own lines in full: the pager, as after `t` */
			t->ntest_state = 2;
			t->ntest_ok = 0;
			t->ntest_when = gw_now();
			const char *lines = strstr(msg, "config): ");
			gw_fmt(t->ntest_msg, sizeof t->ntest_msg, "nginx -t FAILED: %s", lines ? lines + 9 : msg);
			tui_overlay_open(t, OV_PAGER);
		}
		if (ok && (kind == ACT_RESTART || kind == ACT_START || kind == ACT_RESTART_CONTAINER)) {
			GW_COPY(t->follow_unit, t->confirm_unit);
			t->follow_passes = ACT_FOLLOW_PASSES;
		}
	}
	timeline_action(tlfeed_timeline(t->tlf), gw_now(), act_verb(kind), ok, msg);   /* on the timeline's axis */
	gather_invalidate_ntest(t->g);
	tui_probe_soon(t);
}

/* After a restart / start: once the app's targets answer (or after
 * ACT_FOLLOW_PASSES passes), say so in the logs pane. */
void tui_act_pass_done(struct tui *t)
{
	const struct gw_snapshot *s = tui_snap(t);
	char msg[GW_TEXT], reason[GW_TEXT + 64];
	int n = 0, good = 0;
	if (!t->follow_passes || !s)
		return;
	const struct gw_target *bad = NULL;
	const struct gw_target_state *bad_ts = NULL;
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct gw_target *tg = &s->targets.v[i];
		const struct gw_target_state *ts = path_target_judged(t, i);
		if (tg->down || tg->backup)
			continue;
		n++;
		if (ts->state == GW_HS_OK)
			good++;
		else if (!bad) {
			bad = tg;
			bad_ts = ts;
		}
	}
	if (!n) {
		t->follow_passes = 0;
		return;
	}
	if (good == n) {
		gw_fmt(msg, sizeof msg, "after %s: the app answers on %s%s", t->follow_unit, s->targets.v[0].display,
		    n > 1 ? " and every other target" : "");
		pane_logs_note(t, 1, msg);
		t->follow_passes = 0;
		return;
	}
	if (--t->follow_passes == 0 && bad) {
		path_target_reason(bad, bad_ts, reason, sizeof reason);
		gw_fmt(msg, sizeof msg, "after %s: %s still does not answer: %s", t->follow_unit, bad->display, reason);
		pane_logs_note(t, 0, msg);
		tui_set_status_for(t, ACT_STATUS_SECS, "%s", msg);
	}
}

/* ------------------------------------------------------------ starting */

static void act_start(struct tui *t)
{
	const struct gw_snapshot *s = tui_snap(t);
	enum actions_kind k = (enum actions_kind)t->confirm_kind;
	char note[GW_TEXT + 64];
	int r;

	if (actions_busy(t->act)) {
		tui_set_status(t, "busy: one action at a time (still %s)", t->job[0] ? t->job : "working");
		return;
	}
	switch (k) {
	case ACT_RESTART: r = actions_restart_unit(t->act, t->confirm_unit, act_done, t); break;
	case ACT_RESTART_CONTAINER: {
		const struct gw_container *c = NULL;
		for (size_t i = 0; s && i < s->containers.n && !c; i++)
			if (!strcmp(s->containers.v[i].name, t->confirm_unit))
				c = &s->containers.v[i];
		if (!c) {
			tui_set_status(t, "container %s is gone from the last pass: nothing restarted", t->confirm_unit);
			return;
		}
		r = actions_restart_container(t->act, s->docker_socket, c->id, c->name, act_done, t);
		break;
	}
	case ACT_START: r = actions_start_unit(t->act, t->confirm_unit, act_done, t); break;
	case ACT_RELOAD_NGINX:
		if (!s) {
			tui_set_status(t, "no probe pass yet: nginx is not known");
			return;
		}
		r = actions_reload_nginx(t->act, s, act_done, t);
		break;
	default: return;
	}
	if (r < 0) {
		tui_set_status(t, "cannot start the action: %s", strerror(-r));
		return;
	}
	gw_fmt(t->job, sizeof t->job, "%s%s%s", act_verb(k), k == ACT_RELOAD_NGINX ? "" : " ",
	    k == ACT_RELOAD_NGINX ? "" : t->confirm_unit);
	t->job_started = gw_mono();
	t->ftr_dirty = 1;
	/* the dialog's question without its [y/N]: what was confirmed */
	gw_fmt(note, sizeof note, "confirmed: %s", t->confirm_text);
	char *yn = strstr(note, " [y/N]");
	if (yn)
		*yn = '\0';
	pane_logs_note(t, 1, note);
}

/* The process on processes-pane line li, NULL none. procs_unit_at returns
 * a pointer into that process's unit field (or a literal "" when there is
 * none), which leads back to the process. */
static const struct gw_proc *act_proc_at(const struct tui *t, const struct gw_snapshot *s, int li)
{
	const char *u = procs_unit_at(t, li);
	const char *lo = (const char *)s->procs.v, *hi = (const char *)(s->procs.v + s->procs.n);
	if (!s->procs.n || u < lo || u >= hi)
		return NULL;
	return (const struct gw_proc *)(const void *)(u - offsetof(struct gw_proc, unit));
}

static const struct gw_proc *act_find_proc(const struct gw_snapshot *s, pid_t pid)
{
	for (size_t i = 0; i < s->procs.n; i++)
		if (s->procs.v[i].pid == pid)
			return &s->procs.v[i];
	return NULL;
}

/* The container process p runs in: its cgroup names the container's id,
 * or p is (a descendant of) the container's init process. -1 none. */
static int act_container_of(const struct gw_snapshot *s, const struct gw_proc *p)
{
	for (size_t i = 0; i < s->containers.n; i++) {
		const struct gw_container *c = &s->containers.v[i];
		if (strlen(c->id) >= 12 && strstr(p->cgroup, c->id))
			return (int)i;
	}
	for (int depth = 0; p && depth < 32; depth++) {
		for (size_t i = 0; i < s->containers.n; i++)
			if (s->containers.v[i].pid > 0 && s->containers.v[i].pid == p->pid)
				return (int)i;
		p = p->ppid > 1 ? act_find_proc(s, p->ppid) : NULL;
	}
	return -1;
}

/* The container `r` acts on: the selected process's, else (nothing selected
 * or a process outside any unit) the one nginx's first target leads to
 * when no app unit serves it. -1 none. */
static int act_container(struct tui *t, const struct gw_snapshot *s)
{
	const struct pane *p = &t->panes[LAYOUT_PROCS];
	if (!s->containers.n)
		return -1;
	if (p->sel >= 0 && (size_t)p->sel < p->vis.n) {
		const struct gw_proc *pr = act_proc_at(t, s, p->vis.v[p->sel]);
		if (pr) {
			int ci = act_container_of(s, pr);
			if (ci >= 0 || gw_ends_with(pr->unit, ".service"))
				return ci;
		}
	}
	if (actions_app_unit(s)[0])
		return -1;
	for (size_t i = 0; i < s->targets.n; i++) {
		struct gw_container_match m;
		if (s->targets.v[i].backup || s->targets.v[i].down)
			continue;
		if (docker_match_target(s, &s->targets.v[i], &m) != GW_VIA_NONE)
			return m.container;
	}
	return -1;
}

/* The log source of the process selected in the processes pane: its
 * container's ("container:NAME") or its unit's ("unit:NAME"). 0, or -1 when
 * nothing is selected or the process has neither. */
int tui_act_selected_source(struct tui *t, char *buf, size_t size)
{
	const struct gw_snapshot *s = tui_snap(t);
	const struct pane *p = &t->panes[LAYOUT_PROCS];
	if (!s || p->sel < 0 || (size_t)p->sel >= p->vis.n)
		return -1;
	const struct gw_proc *pr = act_proc_at(t, s, p->vis.v[p->sel]);
	if (!pr)
		return -1;
	int ci = act_container_of(s, pr);
	if (ci >= 0)
		gw_fmt(buf, size, "container:%s", s->containers.v[ci].name);
	else if (pr->unit[0])
		gw_fmt(buf, size, "unit:%s", pr->unit);
	else
		return -1;
	return 0;
}

/* The unit `r` / `s` act on: the selected process's in the processes pane,
 * else the app unit on the path. NULL (and a status) when the selected
 * process runs in a unit that is not a service (a scope, a session). */
static const char *act_unit(struct tui *t, const struct gw_snapshot *s)
{
	const struct pane *p = &t->panes[LAYOUT_PROCS];
	if (p->sel >= 0 && (size_t)p->sel < p->vis.n) {
		const char *u = procs_unit_at(t, p->vis.v[p->sel]);
		if (u[0] && !gw_ends_with(u, ".service")) {
			tui_set_status(t, "the selected process runs in %s, not a service: nothing to restart or start", u);
			return NULL;
		}
		if (u[0])
			return u;
	}
	return actions_app_unit(s);
}

static const struct gw_unit *act_find_unit(const struct gw_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->units.n; i++)
		if (!strcmp(s->units.v[i].name, name))
			return &s->units.v[i];
	return NULL;
}

static void act_ask(struct tui *t, enum actions_kind k, const char *unit)
{
	t->confirm_kind = k;
	GW_COPY(t->confirm_unit, unit ? unit : "");
	actions_confirm_text(k, t->confirm_unit, tui_snap(t), t->confirm_text, sizeof t->confirm_text);
	t->confirming = 1;
	if (t->cfw) {
		delwin(t->cfw);
		t->cfw = NULL;
	}
	t->ov_dirty = 1;
}

static void act_ntest(struct tui *t)
{
	const struct gw_snapshot *s = tui_snap(t);
	tui_overlay_open(t, OV_PAGER);
	if (!s || actions_busy(t->act) ||
	    actions_nginx_test(t->act, s, act_done, t) < 0) {
		/* no facts yet, or a job runs: the next pass runs nginx -t */
		gather_invalidate_ntest(t->g);
		tui_probe_now(t);
		return;
	}
	t->ntest_state = 1;
	GW_COPY(t->job, act_verb(ACT_NGINX_TEST));
	t->job_started = gw_mono();
	t->ftr_dirty = 1;
}

void tui_act_key(struct tui *t, int key)
{
	const struct gw_snapshot *s = tui_snap(t);
	if (t->player) {
		/* a replay: this host is not the recorded one */
		tui_set_status(t, "a replay runs nothing on this host (the recording is read-only)");
		return;
	}
	if (key == 't') {
		act_ntest(t);
		return;
	}
	if (!s) {
		tui_set_status(t, "wait for the first probe pass");
		return;
	}
	if (actions_busy(t->act)) {
		tui_set_status(t, "busy: one action at a time (still %s)", t->job[0] ? t->job : "working");
		return;
	}
	if (key == 'R') {
		if (s->nginx.master_pid <= 0 && !actions_nginx_unit(s)[0]) {
			tui_set_status(t, "no running nginx to reload");
			return;
		}
		act_ask(t, ACT_RELOAD_NGINX, NULL);
		return;
	}
	if (key == 'r') {
		int ci = act_container(t, s);
		if (ci >= 0) {
			act_ask(t, ACT_RESTART_CONTAINER, s->containers.v[ci].name);
			return;
		}
	}
	const char *unit = act_unit(t, s);
	if (!unit)
		return;
	if (!unit[0]) {
		tui_set_status(t, "no unit to %s: select a process with a unit (3: processes), or name it with --unit",
		    key == 'r' ? "restart" : "start");
		return;
	}
	const struct gw_unit *u = act_find_unit(s, unit);
	if (key == 's' && u && u->loaded && !strcmp(u->active_state, "active")) {
		tui_set_status(t, "%s is already active (r restarts it)", unit);
		return;
	}
	act_ask(t, key == 'r' ? ACT_RESTART : ACT_START, unit);
}

/* ------------------------------------------------------------ the dialog */

void tui_act_confirm_key(struct tui *t, int key)
{
	t->confirming = 0;
	if (t->cfw) {
		delwin(t->cfw);
		t->cfw = NULL;
	}
	tui_mark_all(t);
	if (key == 'y' || key == 'Y') {
		act_start(t);
		return;
	}
	tui_set_status(t, "cancelled: nothing was changed");
}

void tui_act_draw(struct tui *t)
{
	char line[GW_TEXT];
	const char *hint = "y: yes   n / Esc / Enter / any other key: no";
	if (!t->confirming)
		return;
	ui_safe(line, sizeof line, t->confirm_text, sizeof t->confirm_text);
	int tw = (int)strlen(line), hw = (int)strlen(hint);
	int w = (tw > hw ? tw : hw) + 6, h = 6;
	if (w > t->cols)
		w = t->cols;
	if (h > t->rows)
		h = t->rows;
	if (!t->cfw) {
		t->cfw = newwin(h, w, (t->rows - h) / 2, (t->cols - w) / 2);
		if (!t->cfw)
			return;
	}
	WINDOW *win = t->cfw;
	werase(win);
	wattrset(win, theme_attr(UI_WARN) | A_BOLD);
	if (theme_ascii())
		wborder(win, '|', '|', '-', '-', '+', '+', '+', '+');
	else
		box(win, 0, 0);
	mvwaddnstr(win, 0, 2, " Confirm: this changes the system ", w - 4);
	wattrset(win, theme_attr(UI_BOLD));
	mvwaddnstr(win, 2, 3, line, w - 6);
	wattrset(win, theme_attr(UI_DIM));
	mvwaddnstr(win, 3, 3, hint, w - 6);
	wattrset(win, A_NORMAL);
	touchwin(win);
	wnoutrefresh(win);
}
