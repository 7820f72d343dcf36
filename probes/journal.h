/* journal.h — what the systemd journal says about an app unit: its own
 * output (_SYSTEMD_UNIT=) and systemd's messages about it (UNIT=, from PID 1:
 * "Failed to load environment files", "Scheduled restart job"). Read from
 * the end, bounded by time and entry count: cost never depends on the
 * journal's size. Local file reads only (no D-Bus). */
#ifndef GW_JOURNAL_H
#define GW_JOURNAL_H

#include <stddef.h>

#include <systemd/sd-journal.h>

#include "model.h"

/* Where journal_open reads. */
enum journal_from {
	JOURNAL_LOCAL,               /* this machine's journal (SD_JOURNAL_LOCAL_ONLY) */
	JOURNAL_DIRECTORY,           /* the journal files in a directory (tests, a copied journal) */
	JOURNAL_FILE,                /* one journal file */
};

/* The one place gwtop opens a journal: the probe pass (units.c, kernlog.c)
 * and the live stream (logjournal.c). path: the directory or file (unused
 * for JOURNAL_LOCAL). Returns 0, or a negative errno with *j NULL. */
int journal_open(sd_journal **j, enum journal_from from, const char *path);

/* Add the matches of unit's journal: its own output (_SYSTEMD_UNIT=unit)
 * or systemd's messages about it (UNIT=unit and _PID=1); the caller adds
 * a disjunction after it to match more. The probe pass and the live
 * stream read a unit with the same matches. Returns 0 or a negative errno. */
int journal_match_unit(sd_journal *j, const char *unit);

/* The current entry's field (without "FIELD="): points into the journal's
 * buffer, valid until the cursor moves. Returns 1, 0 when it has none. */
int journal_data(sd_journal *j, const char *field, const char **val, size_t *len);

#define JOURNAL_MAX_ENTRIES 2000     /* scanned per unit */
#define JOURNAL_MAX_EVENTS 200       /* kept per unit (the newest) */

/* Append the unit's classified events with realtime >= since (scanning at
 * most max_entries from the end) to s->events, oldest first: app lines
 * classified with logclass_app (kind != GW_LOG_OTHER), and systemd's
 * start-failure messages (journal_classify_manager). source =
 * "journal:UNIT", time = the entry's realtime, pid = _PID. Secrets in URLs
 * are masked in line and detail. Returns the number appended, or a
 * negative errno. */
int journal_unit_events(sd_journal *j, struct gw_snapshot *s, const char *unit, double since,
			size_t max_entries);

/* Number of "Scheduled restart job" messages (automatic restarts) for unit
 * with realtime >= since; *last = realtime of the newest (0 none). */
int journal_unit_restarts(sd_journal *j, const char *unit, double since, double *last);

/* Classify one message systemd (PID 1) logged about a unit. Returns 1 and
 * fills ev (kind GW_LOG_APP_CONFIG, level, detail, line) when it says why a
 * start failed: environment file, working directory, executable, user;
 * 2 for other lifecycle failures worth showing (exit status, start limit:
 * kind GW_LOG_OTHER, level error); 0 otherwise. Pure. */
int journal_classify_manager(const char *msg, size_t len, struct gw_log_event *ev);

#endif
