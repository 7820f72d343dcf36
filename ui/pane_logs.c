/* pane_logs.c — classified log events (nginx error/access, app logs,
 * journal, kernel) oldest first, newest at the bottom: time, source, level,
 * the line; coloured by severity. */
#include "ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *logs_level(enum gw_level lv)
{
	static const char *const n[] = { "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg" };
	return (unsigned)lv < 8 ? n[lv] : "?";
}

/* "nginx-error:/var/log/nginx/error.log" -> "nginx-error" */
static void logs_source(const char *src, char *buf, size_t size)
{
	gw_fmt(buf, size, "%s", src);
	char *c = strchr(buf, ':');
	if (c && c != buf && strncmp(buf, "journal", 7))
		*c = '\0';
}

/* Sources are read one after another: merge them by time for display
 * (stable: equal times keep their order). */
struct logs_ord {
	double time;
	size_t idx;
};

static int logs_cmp(const void *a, const void *b)
{
	const struct logs_ord *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void logs_build(struct tui *t, struct ui_lines *L, int width)
{
	const struct gw_snapshot *s = tui_snap(t);
	(void)width;
	if (!s) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, "probing...");
		return;
	}
	for (size_t i = 0; i < s->log_sources.n; i++) {
		const struct gw_log_source *ls = &s->log_sources.v[i];
		if (ls->readable)
			continue;
		ui_line_new(L);
		ui_putf(L, UI_WARN, "%s cannot read %s: %s", theme_glyphs()->warn, ls->path, ls->error);
	}
	struct logs_ord *ord = gw_xcalloc(s->events.n + 1, sizeof *ord);
	for (size_t i = 0; i < s->events.n; i++) {
		ord[i].time = s->events.v[i].time;
		ord[i].idx = i;
	}
	qsort(ord, s->events.n, sizeof *ord, logs_cmp);
	for (size_t i = 0; i < s->events.n; i++) {
		const struct gw_log_event *e = &s->events.v[ord[i].idx];
		char tm[16] = "--:--:--", src[GW_NAME];
		if (e->time > 0) {
			time_t tt = (time_t)e->time;
			struct tm lt;
			localtime_r(&tt, &lt);
			strftime(tm, sizeof tm, "%H:%M:%S", &lt);
		}
		int role = theme_role_level(e->level);
		ui_line_new(L);
		ui_puts(L, UI_DIM, tm);
		ui_puts(L, UI_NORMAL, " ");
		logs_source(e->source, src, sizeof src);
		ui_cell(L, UI_DIM, src, sizeof src, 12, 0);
		ui_puts(L, UI_NORMAL, " ");
		ui_cell(L, role, logs_level(e->level), 8, 6, 0);
		ui_puts(L, UI_NORMAL, " ");
		ui_put(L, role == UI_NORMAL ? UI_NORMAL : role, e->line, sizeof e->line);
	}
	free(ord);
	if (!s->events.n) {
		ui_line_new(L);
		ui_puts(L, UI_DIM, "no classified log events");
	}
	gw_fmt(t->panes[LAYOUT_LOGS].count, sizeof t->panes[LAYOUT_LOGS].count,
	    "%zu events, %zu sources", s->events.n, s->log_sources.n);
}

const struct pane_class pane_logs_class = {
	.title = "Logs",
	.filterable = 1,
	.follow_tail = 1,
	.build = logs_build,
};
