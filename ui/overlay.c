/* overlay.c — windows drawn over the panes: the help (generated from the
 * key table), a pager for the `nginx -t` output (the fresh run of `t` /
 * a refused `R` first, then the last probe pass's), and the tour that walks the
 * request path hop by hop (what is checked, what was found, the manual
 * command) and ends on the healthy-stack checklist. */
#include "ui.h"
#include "pane_findings.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ help */

static void overlay_help(struct tui *t, struct ui_lines *L, int width)
{
	ui_line_new(L);
	ui_puts(L, UI_BOLD, "gwtop: why does nginx answer 502/504, and what to do about it");
	ui_line_new(L);
	for (size_t i = 0; i < ui_nkeys; i++) {
		const struct ui_key *k = &ui_keys[i];
		ui_line_new(L);
		ui_puts(L, UI_NORMAL, "  ");
		ui_cell(L, UI_KEY, k->name, 16, 7, 0);
		char help[512];
		gw_fmt(help, sizeof help, "%s%s", k->help, k->changes_system ? " [changes the system]" : "");
		ui_wrap(L, k->changes_system ? UI_WARN : UI_NORMAL, help, sizeof help, width, 9);
	}
	ui_line_new(L);
	ui_line_new(L);
	ui_puts(L, UI_DIM, "  Mouse: click focuses a pane, the wheel scrolls it.");
	ui_line_new(L);
	ui_wrap(L, UI_DIM, "  Markers: ok / ! warning / x failed / ? unknown; the first broken hop is marked and highlighted.",
	    256, width, 2);
	ui_line_new(L);
	ui_wrap(L, UI_DIM, "  Keys marked [changes the system] ask y/N first, naming the command (default No: only y confirms); "
	    "each action and its outcome go to the journal (identifier gwtop) and the logs pane.", 512, width, 2);
	if (t->o->read_only) {
		ui_line_new(L);
		ui_puts(L, UI_WARN, "  read-only: gwtop runs with --read-only, those keys are disabled.");
	}
	ui_line_new(L);
	ui_line_new(L);
	ui_puts(L, UI_DIM, "  Esc / q / ? closes this help; F10 quits.");
}

/* ------------------------------------------------------------ nginx -t pager */

/* The run `t` started (actions_nginx_test): its message is nginx's
 * lines joined by " | " after "nginx -t ok: " / "...: ". */
static void overlay_pager_fresh(struct tui *t, struct ui_lines *L, int width)
{
	char when[64] = "";
	ui_line_new(L);
	if (t->ntest_state == 1) {
		ui_puts(L, UI_DIM, "running nginx -t now...");
		ui_line_new(L);
		return;
	}
	gw_time_str(t->ntest_when, when, sizeof when);
	ui_puts(L, t->ntest_ok ? UI_OK : UI_FAIL, t->ntest_ok ? theme_glyphs()->ok : theme_glyphs()->fail);
	ui_putf(L, UI_BOLD, " nginx -t, run now (%s): ", when);
	ui_puts(L, t->ntest_ok ? UI_OK : UI_FAIL, t->ntest_ok ? "passed" : "FAILED");
	const char *p = strstr(t->ntest_msg, ": ");
	p = p ? p + 2 : t->ntest_msg;
	while (*p) {
		const char *bar = strstr(p, " | ");
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		ui_line_new(L);
		ui_puts(L, UI_NORMAL, "  ");
		int role = memmem(p, n, "[emerg]", 7) ? UI_FAIL : UI_NORMAL;
		ui_wrap(L, role, p, n, width, 4);
		p += n + (bar ? 3 : 0);
	}
	ui_line_new(L);
	ui_line_new(L);
	ui_puts(L, UI_DIM, "the last probe pass:");
}

static void overlay_pager(struct tui *t, struct ui_lines *L, int width)
{
	const struct gw_snapshot *s = tui_snap(t);
	if (t->ntest_state)
		overlay_pager_fresh(t, L, width);
	ui_line_new(L);
	if (!s || !s->ntest.ran) {
		ui_puts(L, UI_DIM, "nginx -t has not run yet; it runs on the next probe pass...");
		return;
	}
	const struct gw_nginx_test *nt = &s->ntest;
	char when[64] = "";
	if (nt->when > 0)
		gw_time_str(nt->when, when, sizeof when);
	ui_puts(L, nt->ok ? UI_OK : UI_FAIL, nt->ok ? theme_glyphs()->ok : theme_glyphs()->fail);
	ui_putf(L, UI_BOLD, " nginx -t -c %s", s->conf.conf_path[0] ? s->conf.conf_path : "?");
	ui_putf(L, nt->ok ? UI_OK : UI_FAIL, "  %s (exit %d)", nt->ok ? "passed" : "FAILED", nt->exit_code);
	ui_line_new(L);
	ui_putf(L, UI_DIM, "ran %s, took %.2f s", when, nt->duration);
	if (nt->error_file[0]) {
		ui_line_new(L);
		ui_putf(L, UI_FAIL, "error at %s:%d", nt->error_file, nt->error_line);
	}
	ui_line_new(L);
	/* one pager line per output line; each one sanitized */
	const char *p = nt->output, *end = nt->output + strnlen(nt->output, sizeof nt->output);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		ui_line_new(L);
		int role = strstr(p, "[emerg]") && (!nl || strstr(p, "[emerg]") < nl) ? UI_FAIL : UI_NORMAL;
		ui_put(L, role, p, n);
		p += n + 1;
	}
}

/* ------------------------------------------------------------ tour */

struct tour_hop {
	enum gw_hop hop;
	const char *title;
	const char *checks;
	const char *commands[4];
};

static const struct tour_hop tour_hops[] = {
	{ GW_HOP_CLIENT, "client -> nginx",
	  "A browser or curl connects to nginx's listen ports. gwtop checks that nginx listens where its config says.",
	  { "ss -ltnp", "curl -sI http://127.0.0.1/", NULL } },
	{ GW_HOP_NGINX, "nginx",
	  "The master process is running, the config is valid (`nginx -t`), it was reloaded after the last edit, and every proxy_pass / fastcgi_pass target is known.",
	  { "nginx -t", "ps -C nginx -o pid,user,lstart,cmd", "grep -Rn proxy_pass /etc/nginx/", NULL } },
	{ GW_HOP_UPSTREAM, "nginx -> upstream target",
	  "Something listens at each target (port or unix socket), nginx's worker user may reach the socket, and a direct probe from this box answers HTTP.",
	  { "ss -ltnpx", "curl -sI http://127.0.0.1:8000/", "curl --unix-socket /run/app.sock http://localhost/", "namei -l /run/app.sock" } },
	{ GW_HOP_APP, "app server -> app",
	  "The app server (gunicorn / uvicorn / container) runs, is not crash-looping or being OOM-killed, booted without errors, and answers in time.",
	  { "systemctl status APP", "journalctl -u APP -n 50", "dmesg | grep -i oom", NULL } },
	{ GW_HOP_DB, "app -> database",
	  "The database and other services the app needs are reachable from this host.",
	  { "ss -tnp", "pg_isready -h HOST -p PORT", NULL } },
};
#define TOUR_NHOPS (sizeof tour_hops / sizeof *tour_hops)
#define TOUR_NSTEPS ((int)TOUR_NHOPS + 1)

static void tour_item(struct ui_lines *L, enum gw_hop_status st, const char *text, int width)
{
	ui_line_new(L);
	ui_puts(L, UI_NORMAL, "  ");
	ui_puts(L, theme_role_hop(st), theme_marker_hop(st));
	ui_puts(L, UI_NORMAL, " ");
	ui_wrap(L, UI_NORMAL, text, 256, width, 4);
}

/* The checklist, as diagnose answered it (d->checklist). */
static const char *const tour_checks[GW_CHECK_MAX] = {
	[GW_CHECK_CONFIG_VALID] = "config valid (nginx -t)",
	[GW_CHECK_TARGET_BIND] = "every upstream target = a real bind (something listens there)",
	[GW_CHECK_APP_RUNNING] = "app running and stable after restart",
	[GW_CHECK_DIRECT_PROBE] = "direct probe of every target succeeds",
	[GW_CHECK_NO_LOG_ERRORS] = "no current upstream errors in nginx / app logs",
	[GW_CHECK_SOCKET] = "unix socket exists with the right permissions (if a socket)",
	[GW_CHECK_DB] = "database and required services reachable",
	[GW_CHECK_ENVIRONMENT] = "environment loaded in the running process (not checked yet)",
	[GW_CHECK_CONTAINERS] = "containers healthy and mapped as expected (if Docker; not checked yet)",
	[GW_CHECK_TIMEOUTS] = "timeouts and body size fit the real requests (compare proxy_read_timeout with slow requests)",
	[GW_CHECK_RESOURCES] = "resource usage within safe limits (memory, no OOM kills)",
	[GW_CHECK_HEALTH_ENDPOINT] = "a health endpoint exists and answers (a target answered 2xx/3xx)",
};

static void tour_checklist(struct tui *t, struct ui_lines *L, int width)
{
	const struct gw_diagnosis *d = &t->diag;

	ui_line_new(L);
	ui_puts(L, UI_BOLD, "The checklist a healthy stack satisfies:");
	ui_line_new(L);
	for (int i = 0; i < GW_CHECK_MAX; i++)
		tour_item(L, d->checklist[i], tour_checks[i], width);
}

static void overlay_tour(struct tui *t, struct ui_lines *L, int width)
{
	const struct gw_snapshot *s = tui_snap(t);
	const struct gw_diagnosis *d = &t->diag;
	int step = t->tour_step;

	ui_line_new(L);
	if (!s) {
		ui_puts(L, UI_DIM, "waiting for the first probe pass...");
		return;
	}
	if (step >= (int)TOUR_NHOPS) {
		ui_putf(L, UI_DIM, "Step %d/%d  ", step + 1, TOUR_NSTEPS);
		tour_checklist(t, L, width);
		return;
	}
	const struct tour_hop *h = &tour_hops[step];
	const struct gw_hop_state *hs = &d->hops[h->hop];
	ui_putf(L, UI_DIM, "Step %d/%d  ", step + 1, TOUR_NSTEPS);
	ui_puts(L, UI_BOLD, h->title);
	ui_line_new(L);
	ui_line_new(L);
	ui_puts(L, UI_BOLD, "What is checked");
	ui_line_new(L);
	ui_puts(L, UI_NORMAL, "  ");
	ui_wrap(L, UI_NORMAL, h->checks, 512, width, 2);
	ui_line_new(L);
	ui_line_new(L);
	ui_puts(L, UI_BOLD, "What was found");
	ui_line_new(L);
	ui_puts(L, UI_NORMAL, "  ");
	ui_puts(L, theme_role_hop(hs->status), theme_marker_hop(hs->status));
	ui_putf(L, theme_role_hop(hs->status), " %s: ", gw_hop_status_name(hs->status));
	ui_wrap(L, UI_NORMAL, hs->detail, sizeof hs->detail, width, 4);
	if (h->hop == GW_HOP_UPSTREAM)
		for (size_t i = 0; i < s->targets.n; i++) {
			const struct gw_target *tg = &s->targets.v[i];
			char reason[GW_TEXT + 64];
			const struct gw_target_state *ts = path_target_judged(t, i);
			int st = ts->state;
			path_target_reason(tg, ts, reason, sizeof reason);
			ui_line_new(L);
			ui_puts(L, UI_NORMAL, "    ");
			ui_puts(L, theme_role_hop(st), theme_marker_hop(st));
			ui_putf(L, UI_BOLD, " %s", tg->display);
			ui_putf(L, UI_DIM, " (%s %s:%d): ", tg->directive, tg->pass_loc.file, tg->pass_loc.line);
			ui_wrap(L, UI_NORMAL, reason, sizeof reason, width, 6);
		}
	int ncmd = 0;
	for (size_t i = 0; i < d->findings.n; i++) {
		const struct gw_finding *f = &d->findings.v[i];
		if (f->hop != h->hop && !(h->hop == GW_HOP_CLIENT && f->hop == GW_HOP_CLIENT))
			continue;
		ui_line_new(L);
		ui_puts(L, UI_NORMAL, "    ");
		ui_puts(L, theme_role_sev(f->severity), theme_marker_sev(f->severity));
		ui_putf(L, UI_BOLD, " %s: ", gw_cause_id(f->cause));
		ui_wrap(L, UI_NORMAL, f->summary, sizeof f->summary, width, 6);
		pane_findings_details(L, f, width, 6);
		ncmd += f->ncommands;
	}
	ui_line_new(L);
	ui_line_new(L);
	ui_puts(L, UI_BOLD, "The manual command");
	for (size_t i = 0; i < d->findings.n; i++) {
		const struct gw_finding *f = &d->findings.v[i];
		if (f->hop != h->hop)
			continue;
		for (int k = 0; k < f->ncommands && k < GW_MAX_FIX; k++) {
			ui_line_new(L);
			ui_puts(L, UI_DIM, "  $ ");
			ui_wrap(L, UI_BOLD, f->commands[k], sizeof f->commands[k], width, 4);
		}
	}
	if (!ncmd)
		for (int k = 0; k < 4 && h->commands[k]; k++) {
			ui_line_new(L);
			ui_puts(L, UI_DIM, "  $ ");
			ui_puts(L, UI_BOLD, h->commands[k]);
		}
}

/* ------------------------------------------------------------ common */

static const char *overlay_title(const struct tui *t)
{
	switch (t->ov) {
	case OV_HELP: return "Help";
	case OV_PAGER: return "nginx -t";
	case OV_TOUR: return "Tour of the request path";
	default: return "";
	}
}

static void overlay_geom(const struct tui *t, int *y, int *x, int *h, int *w)
{
	*w = t->cols - 4 > 100 ? 100 : t->cols - 4;
	*h = t->rows - 2;
	if (*w < 10)
		*w = t->cols;
	if (*h < 4)
		*h = t->rows;
	*x = (t->cols - *w) / 2;
	*y = (t->rows - *h) / 2;
}

void overlay_build(struct tui *t, int width)
{
	ui_lines_clear(&t->ov_lines);
	switch (t->ov) {
	case OV_HELP: overlay_help(t, &t->ov_lines, width); break;
	case OV_PAGER: overlay_pager(t, &t->ov_lines, width); break;
	case OV_TOUR: overlay_tour(t, &t->ov_lines, width); break;
	default: break;
	}
}

void overlay_key(struct tui *t, int key)
{
	int y, x, h, w;
	overlay_geom(t, &y, &x, &h, &w);
	int page = h > 4 ? h - 3 : 1;
	switch (key) {
	case 27: case 'q': case KEY_F(1):
		tui_overlay_close(t);
		return;
	case '?':
		if (t->ov == OV_HELP) {
			tui_overlay_close(t);
			return;
		}
		tui_overlay_open(t, OV_HELP);
		return;
	case KEY_UP: case 'k': t->ov_top--; break;
	case KEY_DOWN: case 'j': t->ov_top++; break;
	case KEY_PPAGE: t->ov_top -= page; break;
	case KEY_NPAGE: t->ov_top += page; break;
	case KEY_HOME: t->ov_top = 0; break;
	case KEY_END: t->ov_top = INT_MAX / 2; break;
	case KEY_RIGHT: case ' ': case '\n': case '\r': case KEY_ENTER: case 'n':
		if (t->ov == OV_TOUR) {
			if (t->tour_step + 1 >= TOUR_NSTEPS) {
				tui_overlay_close(t);
				return;
			}
			t->tour_step++;
			t->ov_top = 0;
			overlay_build(t, w - 4);
		} else if (key == ' ') {
			t->ov_top += page;
		}
		break;
	case KEY_LEFT: case KEY_BACKSPACE: case 127: case 'p':
		if (t->ov == OV_TOUR && t->tour_step > 0) {
			t->tour_step--;
			t->ov_top = 0;
			overlay_build(t, w - 4);
		}
		break;
	default:
		return;
	}
	t->ov_dirty = 1;
}

void overlay_draw(struct tui *t)
{
	int y, x, h, w;
	overlay_geom(t, &y, &x, &h, &w);
	if (!t->ovw) {
		t->ovw = newwin(h, w, y, x);
		if (!t->ovw)
			return;
		overlay_build(t, w - 4);
	}
	WINDOW *win = t->ovw;
	int rows = h - 2, n = (int)t->ov_lines.lines.n;
	if (t->ov_top > n - rows)
		t->ov_top = n - rows;
	if (t->ov_top < 0)
		t->ov_top = 0;
	werase(win);
	wattrset(win, theme_attr(UI_BOLD));
	if (theme_ascii())
		wborder(win, '|', '|', '-', '-', '+', '+', '+', '+');
	else
		box(win, 0, 0);
	char title[128];
	gw_fmt(title, sizeof title, " %s ", overlay_title(t));
	mvwaddnstr(win, 0, 2, title, w - 4);
	const char *hint = t->ov == OV_TOUR ? " Right/Enter next  Left back  Esc close " : " Esc close  Up/Down/PgUp/PgDn scroll ";
	if ((int)strlen(hint) + 4 < w)
		mvwaddstr(win, h - 1, w - 2 - (int)strlen(hint), hint);
	if (n > rows) {
		char pos[48];
		gw_fmt(pos, sizeof pos, " %d-%d/%d ", t->ov_top + 1, t->ov_top + rows < n ? t->ov_top + rows : n, n);
		mvwaddstr(win, h - 1, 2, pos);
	}
	wattrset(win, A_NORMAL);
	for (int r = 0; r < rows; r++) {
		int li = t->ov_top + r;
		ui_draw_line(win, 1 + r, 2, w - 4, li < n ? &t->ov_lines.lines.v[li] : NULL, 0);
	}
	touchwin(win);
	wnoutrefresh(win);
}
