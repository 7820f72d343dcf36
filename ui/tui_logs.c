/* tui_logs.c — the controller's part of the live log stream
 * (probes/logstream.c): the dashboard owns the stream, not a pane. It is
 * created on the dashboard's loop when the loop starts, fed the sources
 * of every probe pass (logstream_sync), checked from the probe timer
 * (logstream_backstop), and freed when the dashboard ends. A line that
 * says a request failed just now starts a pass (tui_probe_event); new
 * lines tell the logs pane, which only renders what the stream holds
 * (ui/pane_logs.c). */
#include "ui.h"
#include "pane_logs.h"

#include <string.h>

#include "logstream.h"
#include "record.h"

/* A request failed just now (see logstream_set_alarm): probe at once. */
static void tui_logs_alarm(void *ud)
{
	tui_probe_event(ud);
}

static void tui_logs_notify(void *ud)
{
	pane_logs_changed(ud);
}

void tui_logs_start(struct tui *t)
{
	if (t->logs || !t->e)
		return;
	/* --since widens the start-up window; a replay reads no journal */
	struct logstream_config lc = { .window = t->o->since, .no_journal = t->player != NULL };
	t->logs = logstream_new(t->e, &lc);
	logstream_set_notify(t->logs, tui_logs_notify, t);
	if (t->player) {
		/* a replay: the lines come from the recording only, never from
		 * this host's files or journal */
		player_set_logs(t->player, t->logs);
		return;
	}
	logstream_set_alarm(t->logs, tui_logs_alarm, t);
	if (t->rec)
		logstream_set_tap(t->logs, recorder_log_tap, t->rec);
	/* --error-log / --access-log / --app-log / --unit are known now: the
	 * first screen need not wait for the first probe pass */
	logstream_sync(t->logs, NULL, t->o);
}

void tui_logs_pass_done(struct tui *t)
{
	if (t->logs && tui_snap(t) && !t->player)
		logstream_sync(t->logs, tui_snap(t), t->o);
}

void tui_logs_backstop(struct tui *t)
{
	if (t->logs)
		logstream_backstop(t->logs);
}

int tui_logs_follow(struct tui *t, const char *name)
{
	const struct gw_snapshot *s = tui_snap(t);
	int k = t->logs ? logstream_find_source(t->logs, name) : -1;
	if (t->player)
		return k;                    /* a replay follows nothing new */
	if (k < 0 && t->logs && s && !strncmp(name, "container:", 10))
		k = logstream_add_container(t->logs, s, name + 10);
	if (k < 0 && t->logs && !strncmp(name, "unit:", 5))
		k = logstream_add_unit(t->logs, name + 5, LOGSTREAM_JOURNAL_APP);
	return k;
}

void tui_logs_free(struct tui *t)
{
	pane_logs_free();
	logstream_free(t->logs);
	t->logs = NULL;
}
