/* journal.c — an app unit's journal, read backwards and bounded (see
 * journal.h). */
#include "journal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-messages.h>

#include "db.h"
#include "logclass.h"

/* systemd's start failures, as PID 1 words them (systemd 247-255). */
static const struct {
	const char *needle;
	const char *what;
} journal_start_failures[] = {
	{ "Failed to load environment files", "EnvironmentFile= cannot be loaded" },
	{ "Changing to the requested working directory failed", "WorkingDirectory= does not exist" },
	{ "Failed to determine user credentials", "User= does not exist" },
	{ "Failed to determine group credentials", "Group= does not exist" },
	{ "Failed to determine supplementary groups", "the user's groups cannot be determined" },
	{ "Failed to locate executable", "the ExecStart= binary is missing" },
	{ "Unable to locate executable", "the ExecStart= binary is missing" },
	{ "Failed to execute", "the ExecStart= binary cannot be executed" },
	{ "Failed at step", "the unit failed before exec" },
	{ "Failed to set up mount namespacing", "a path in the unit's sandboxing does not exist" },
};

static const char *journal_other_failures[] = {
	"Main process exited, code=", "Start request repeated too quickly", "Failed with result",
	"Failed to start", "Scheduled restart job",
};

int journal_classify_manager(const char *msg, size_t len, struct gw_log_event *ev)
{
	char buf[GW_LINE];
	gw_fmt(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), msg);
	memset(ev, 0, sizeof *ev);
	for (size_t i = 0; i < sizeof journal_start_failures / sizeof *journal_start_failures; i++) {
		const char *p = strstr(buf, journal_start_failures[i].needle);
		if (!p) continue;
		ev->kind = GW_LOG_APP_CONFIG;
		ev->level = GW_LV_ERROR;
		GW_COPY(ev->line, buf);
		/* detail: the message without the "unit.service: " prefix */
		GW_COPY(ev->detail, p);
		return 1;
	}
	for (size_t i = 0; i < sizeof journal_other_failures / sizeof *journal_other_failures; i++) {
		if (!strstr(buf, journal_other_failures[i])) continue;
		ev->kind = GW_LOG_OTHER;
		ev->level = strstr(buf, "Scheduled restart") ? GW_LV_NOTICE : GW_LV_ERROR;
		GW_COPY(ev->line, buf);
		const char *c = strstr(buf, ": ");
		GW_COPY(ev->detail, c ? c + 2 : buf);
		return 2;
	}
	return 0;
}

int journal_open(sd_journal **j, enum journal_from from, const char *path)
{
	const char *paths[] = { path, NULL };
	int r;
	*j = NULL;
	switch (from) {
	case JOURNAL_DIRECTORY: r = sd_journal_open_directory(j, path, 0); break;
	case JOURNAL_FILE:      r = sd_journal_open_files(j, paths, 0); break;
	case JOURNAL_LOCAL:
	default:                r = sd_journal_open(j, SD_JOURNAL_LOCAL_ONLY); break;
	}
	if (r < 0) *j = NULL;
	return r < 0 ? r : 0;
}

int journal_match_unit(sd_journal *j, const char *unit)
{
	char m[GW_NAME + 32];
	int r;
	gw_fmt(m, sizeof m, "_SYSTEMD_UNIT=%s", unit);
	if ((r = sd_journal_add_match(j, m, 0)) < 0 || (r = sd_journal_add_disjunction(j)) < 0)
		return r;
	/* systemd's own messages about the unit ("Main process exited") */
	gw_fmt(m, sizeof m, "UNIT=%s", unit);
	if ((r = sd_journal_add_match(j, m, 0)) < 0 || (r = sd_journal_add_match(j, "_PID=1", 0)) < 0)
		return r;
	return 0;
}

int journal_data(sd_journal *j, const char *field, const char **val, size_t *len)
{
	const void *d;
	size_t l, fl = strlen(field);
	if (sd_journal_get_data(j, field, &d, &l) < 0 || l <= fl) return 0;
	*val = (const char *)d + fl + 1;
	*len = l - fl - 1;
	return 1;
}

static int journal_field(sd_journal *j, const char *field, char *out, size_t size)
{
	const char *v;
	size_t n;
	out[0] = '\0';
	if (!journal_data(j, field, &v, &n)) return 0;
	gw_fmt(out, size, "%.*s", (int)(n < size ? n : size - 1), v);
	return 1;
}

int journal_unit_events(sd_journal *j, struct gw_snapshot *s, const char *unit, double since,
			size_t max_entries)
{
	GW_VEC(struct gw_log_event) found = { 0 };
	size_t scanned = 0;
	size_t mark = 0;
	int r, manager;

	sd_journal_flush_matches(j);
	if ((r = journal_match_unit(j, unit)) < 0)
		return r;
	if ((r = sd_journal_seek_tail(j)) < 0) return r;

	/* newest first into found[], then reversed */
	while (scanned < max_entries && found.n < JOURNAL_MAX_EVENTS && (r = sd_journal_previous(j)) > 0) {
		uint64_t usec = 0;
		char msg[GW_LINE * 2], pid[16], field[GW_NAME];
		struct gw_log_event ev;
		int ok;
		scanned++;
		if (sd_journal_get_realtime_usec(j, &usec) < 0) continue;
		if ((double)usec / 1e6 < since) break;
		if (!journal_field(j, "MESSAGE", msg, sizeof msg)) continue;
		journal_field(j, "_PID", pid, sizeof pid);
		if (journal_field(j, "UNIT", field, sizeof field) && !strcmp(field, unit) && !strcmp(pid, "1")) {
			/* Newest first: the app lines kept since the previous
			 * manager message all came after this one. When this one
			 * is "Stopping", they are what the app printed while being
			 * stopped (a traceback from a signal handler, say) —
			 * shutdown noise, not why it fails now: drop them. */
			char id[40];
			if (journal_field(j, "MESSAGE_ID", id, sizeof id) && !strcmp(id, SD_MESSAGE_UNIT_STOPPING_STR))
				found.n = mark;
			ok = journal_classify_manager(msg, strlen(msg), &ev);
			manager = 1;
		} else {
			ok = logclass_app(msg, strlen(msg), &ev) && ev.kind != GW_LOG_OTHER;
			manager = 0;
		}
		if (!ok) {
			if (manager) mark = found.n;
			continue;
		}
		ev.time = (double)usec / 1e6;
		if (!ev.pid) ev.pid = gw_atoi(pid);
		gw_fmt(ev.source, sizeof ev.source, "journal:%s", unit);
		logclass_mask(&ev);
		*(struct gw_log_event *)gw_vec_push(&found) = ev;
		if (manager) mark = found.n;
	}
	for (size_t i = found.n; i-- > 0;)
		*(struct gw_log_event *)gw_vec_push(&s->events) = found.v[i];
	r = (int)found.n;
	gw_vec_free(&found);
	sd_journal_flush_matches(j);
	return r;
}

int journal_unit_restarts(sd_journal *j, const char *unit, double since, double *last)
{
	char m1[GW_NAME + 32];
	int n = 0, r;
	size_t scanned = 0;
	*last = 0;
	gw_fmt(m1, sizeof m1, "UNIT=%s", unit);
	sd_journal_flush_matches(j);
	if ((r = sd_journal_add_match(j, m1, 0)) < 0 ||
	    (r = sd_journal_add_match(j, "MESSAGE_ID=" SD_MESSAGE_UNIT_RESTART_SCHEDULED_STR, 0)) < 0)
		return r;
	if ((r = sd_journal_seek_tail(j)) < 0) return r;
	while (scanned++ < JOURNAL_MAX_ENTRIES && sd_journal_previous(j) > 0) {
		uint64_t usec;
		if (sd_journal_get_realtime_usec(j, &usec) < 0) continue;
		if ((double)usec / 1e6 < since) break;
		if (!*last) *last = (double)usec / 1e6;
		n++;
	}
	sd_journal_flush_matches(j);
	return n;
}
