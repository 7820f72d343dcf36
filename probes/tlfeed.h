/* tlfeed.h — the timeline's feeder (issue 19): owns the timeline
 * (src/timeline.h) for its controller (--check's run, the dashboard) and
 * feeds it after every probe pass: the pass's events (timeline_observe),
 * the access logs' new lines, and at start-up a backfill from --since.
 *
 * The backfill never holds the first frame: the newest TLFEED_TAIL bytes
 * of each log are read at once, the older part (from the first line at or
 * after --since, found by bisection) in TLFEED_STEP steps on the event loop at idle
 * priority, with its progress in timeline_get_progress(). Without an event
 * loop (--check) the backfill is read at once. */
#ifndef GW_TLFEED_H
#define GW_TLFEED_H

#include <systemd/sd-event.h>

#include "model.h"
#include "options.h"
#include "timeline.h"

#define TLFEED_TAIL ((size_t)512 << 10)      /* read before the first frame */
#define TLFEED_CHUNK ((size_t)4 << 20)       /* the read buffer */
#define TLFEED_STEP ((size_t)1 << 20)        /* backfill bytes per loop iteration (a few ms) */
#define TLFEED_MAX_LOGS 8

struct tlfeed;

/* e NULL: everything synchronous (--check). */
struct tlfeed *tlfeed_new(sd_event *e, const struct gw_options *o);
void tlfeed_free(struct tlfeed *f);
struct timeline *tlfeed_timeline(struct tlfeed *f);

/* After a finished pass: observe s, read the access logs' new lines, start
 * the backfill of a log seen for the first time, and set s->timeline. */
void tlfeed_pass(struct tlfeed *f, struct gw_snapshot *s);

/* The start-up window in seconds (--since, else 30 min; at most the
 * timeline's TIMELINE_MINUTES). */
double tlfeed_window(const struct gw_options *o);

/* One nginx error.log line ("2026/12/07 21:00:00 [notice] 12#12: ...") into
 * tl: a master's "reconfiguring" / "signal process started" (a reload),
 * "signal N received from PID, exiting" / ", shutting down" (a stop). Only at
 * error_log level notice or lower does nginx write them. Returns 1 when an
 * event was added. */
int tlfeed_error_line(struct timeline *tl, const char *line, size_t len);

/* Read the whole file at path as an access log with format fmt (NULL =
 * combined) into tl from `since` on, in one go (tests and bench). Returns
 * the lines read, -1 when it cannot be read. */
long tlfeed_read_file(struct timeline *tl, const char *path, const char *fmt, double since);

#endif
