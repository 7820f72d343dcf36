/* pane_listeners.c — listening sockets: address/port or socket path,
 * family, accept queue / backlog, owner. Listeners an upstream target uses
 * come first and are marked; a target nobody listens on shows as a red
 * "missing" row. */
#include "ui.h"
#include "diagnose.h"   /* diagnose_queue_full: the one test of a full queue */

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

static const char *listeners_family(int f)
{
	return f == AF_INET ? "tcp4" : f == AF_INET6 ? "tcp6" : f == AF_UNIX ? "unix" : "?";
}

/* Address column: what is left after mark, family, queue and owner. */
static int listeners_addr_width(int width)
{
	int aw = width - 32;
	return aw < 16 ? 16 : aw > 48 ? 48 : aw;
}

static void listeners_row(struct ui_lines *L, const struct gw_snapshot *s, const struct gw_listener *l,
    int used, int width)
{
	const struct ui_glyphs *g = theme_glyphs();
	char addr[GW_PATH + 80], buf[48];
	int full = diagnose_queue_full(l);
	int aw = listeners_addr_width(width);

	ui_line_new(L);
	ui_puts(L, used ? UI_OK : UI_NORMAL, used ? g->mark : " ");
	ui_puts(L, UI_NORMAL, " ");
	if (l->family == AF_UNIX)
		gw_fmt(addr, sizeof addr, "%s", l->path);
	else if (l->family == AF_INET6)
		gw_fmt(addr, sizeof addr, "[%s]:%d", l->addr[0] ? l->addr : "::", l->port);
	else
		gw_fmt(addr, sizeof addr, "%s:%d", l->addr[0] ? l->addr : "0.0.0.0", l->port);
	ui_cell(L, used ? UI_BOLD : UI_NORMAL, addr, sizeof addr, aw, 0);
	ui_puts(L, UI_NORMAL, " ");
	ui_cell(L, UI_DIM, listeners_family(l->family), 8, 5, 0);
	gw_fmt(buf, sizeof buf, "%u/%u", l->queue, l->backlog);
	ui_cell(L, full ? UI_FAIL : UI_NORMAL, buf, sizeof buf, 9, 1);
	ui_puts(L, UI_NORMAL, " ");
	if (l->pid > 0)
		ui_putf(L, UI_NORMAL, "%d %s", (int)l->pid, l->comm);
	else
		ui_puts(L, UI_UNKNOWN, s->is_root ? "?" : "? (needs root)");
	if (full)
		ui_puts(L, UI_FAIL, " queue full");
}

static void listeners_missing(struct ui_lines *L, const struct gw_target *t, int width)
{
	const struct ui_glyphs *g = theme_glyphs();
	int aw = listeners_addr_width(width);
	ui_line_new(L);
	ui_puts(L, UI_FAIL, g->fail);
	ui_puts(L, UI_NORMAL, " ");
	ui_cell(L, UI_FAIL, t->display, sizeof t->display, aw, 0);
	ui_puts(L, UI_NORMAL, " ");
	ui_puts(L, UI_FAIL, "missing: nginx targets it, nobody listens");
	if (t->pass_loc.file[0])
		ui_putf(L, UI_DIM, " (%s:%d)", t->pass_loc.file, t->pass_loc.line);
}

static void listeners_build(struct tui *t, struct ui_lines *L, int width)
{
	const struct gw_snapshot *s = tui_snap(t);
	if (!s) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, "probing...");
		return;
	}
	int aw = listeners_addr_width(width);
	ui_line_new(L);
	ui_puts(L, UI_BOLD, "  ");
	ui_cell(L, UI_BOLD, "ADDRESS", 8, aw, 0);
	ui_puts(L, UI_BOLD, " FAM  QUEUE/MAX OWNER");

	unsigned char *used = gw_xcalloc(s->listeners.n + 1, 1);
	size_t missing = 0;
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct gw_target *tg = &s->targets.v[i];
		if (tg->listener_idx >= 0 && (size_t)tg->listener_idx < s->listeners.n)
			used[tg->listener_idx] = 1;
		else if (tg->addr.kind == GW_ADDR_INET || tg->addr.kind == GW_ADDR_INET6 ||
		    tg->addr.kind == GW_ADDR_UNIX || tg->addr.kind == GW_ADDR_HOST) {
			listeners_missing(L, tg, width);
			missing++;
		}
	}
	for (size_t i = 0; i < s->listeners.n; i++)
		if (used[i])
			listeners_row(L, s, &s->listeners.v[i], 1, width);
	for (size_t i = 0; i < s->listeners.n; i++)
		if (!used[i])
			listeners_row(L, s, &s->listeners.v[i], 0, width);
	free(used);
	gw_fmt(t->panes[LAYOUT_LISTENERS].count, sizeof t->panes[LAYOUT_LISTENERS].count,
	    "%zu%s%zu missing", s->listeners.n, missing ? ", " : "", missing);
	if (!missing)
		gw_fmt(t->panes[LAYOUT_LISTENERS].count, sizeof t->panes[LAYOUT_LISTENERS].count,
		    "%zu", s->listeners.n);
}

const struct pane_class pane_listeners_class = {
	.title = "Listeners",
	.filterable = 1,
	.header_line = 1,
	.build = listeners_build,
};
