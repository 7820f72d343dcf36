/* logstream.h — the live merged log stream of the dashboard: nginx error
 * and access logs, app log files, the journal of the app and nginx units
 * and kernel messages, in one time-ordered, bounded ring of lines.
 *
 * Everything is driven by the caller's sd-event loop: files are followed
 * with tail -F semantics through inotify (rotation by rename: the old file
 * is read to its end, then the new one; copytruncate; deletion and
 * re-creation; a file that does not exist yet), the journal through
 * sd_journal_get_fd(), containers through a follow request to the engine's
 * API (libcurl multi on the loop, see logstream_add_container). Nothing
 * blocks and nothing polls in a thread; a 1 s timer re-checks every file as
 * a backstop.
 *
 * Start-up reads each file from its END (at most backfill_bytes), so the
 * first screen costs the same with a 1 GiB log as with an empty one.
 *
 * Times: nginx error.log (local time without a zone, DST resolved against
 * the previous line), the journal (UTC µs), the container engine's
 * RFC 3339 stamps (UTC ns), access.log and gunicorn (with a zone) all
 * become epoch seconds. A line without a time takes the time of
 * the previous line of its source, else its arrival time.
 *
 * Text is stored raw (NUL bytes become 0x1A so it stays a C string); it
 * MUST be sanitized when shown (sanitize.h). Lines longer than
 * LOGSTREAM_TEXT_MAX are cut (flag LOGSTREAM_F_CUT).
 *
 * The dashboard's controller owns the stream (ui/tui_logs.c); the logs
 * pane only renders it. Its parts: logstream_int.h. */
#ifndef GW_LOGSTREAM_H
#define GW_LOGSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "accesslog.h"
#include "model.h"
#include "options.h"

#define LOGSTREAM_DEFAULT_CAP 20000             /* lines in the ring */
#define LOGSTREAM_DEFAULT_WINDOW (15 * 60)       /* start-up: last 15 minutes... */
#define LOGSTREAM_DEFAULT_LINES 200              /* ...or at least the last N lines per source */
#define LOGSTREAM_BACKFILL_BYTES ((size_t)2 << 20)
#define LOGSTREAM_TEXT_MAX 4096                  /* bytes kept of one line */

enum logstream_type {
	LOGSTREAM_NGINX_ERROR,       /* nginx error.log file */
	LOGSTREAM_NGINX_ACCESS,      /* nginx access.log file */
	LOGSTREAM_APP_FILE,          /* gunicorn --error-logfile, uvicorn output, ... */
	LOGSTREAM_JOURNAL_APP,       /* journal of an app unit */
	LOGSTREAM_JOURNAL_NGINX,     /* journal of nginx's unit */
	LOGSTREAM_KERNEL,            /* journal, _TRANSPORT=kernel */
	LOGSTREAM_CONTAINER,         /* a container's stdout + stderr (Engine API) */
	LOGSTREAM_MARKER,            /* gwtop's own notes ("error.log rotated") */
};

enum {
	LOGSTREAM_F_TIMED = 1,       /* the line carried its own time */
	LOGSTREAM_F_ACCESS = 2,      /* an access.log line (status is set) */
	LOGSTREAM_F_CUT = 4,         /* longer than LOGSTREAM_TEXT_MAX, cut */
	LOGSTREAM_F_MARK = 8,        /* a note by gwtop, not a line from the source */
	LOGSTREAM_F_BACKFILL = 16,   /* read at start-up, not live */
	LOGSTREAM_F_OWN = 32,        /* about gwtop's own request through nginx (THROUGH_MARK) */
};

struct logstream_line {
	double time;                 /* epoch, see above */
	uint64_t seq;                /* arrival order: unique, increasing */
	uint16_t src;                /* logstream_source() index */
	uint8_t level;               /* enum gw_level */
	uint8_t kind;                /* enum gw_log_kind (GW_LOG_OTHER unclassified) */
	uint8_t flags;               /* LOGSTREAM_F_* */
	uint16_t status;             /* access lines: HTTP status */
	uint32_t len;                /* bytes in text */
	char *text;                  /* owned by the stream; raw, NUL-terminated */
};

struct logstream_source {
	enum logstream_type type;
	char tag[GW_NAME];           /* short: "nginx-err", "nginx-acc", "gunicorn.service", "app.log", "kernel",
	                                a container's name */
	char name[GW_PATH];          /* path or "unit:NAME" / "kernel" / "container:NAME" */
	int ok;                      /* reading works (file open / journal open) */
	char error[GW_TEXT];         /* why not ("No such file or directory: waiting for it") */
	unsigned long lines;         /* lines taken from it so far */
	int hidden;                  /* filtered out by the user (the stream keeps its lines) */
};

struct logstream_config {
	size_t cap;                  /* ring lines; 0 = LOGSTREAM_DEFAULT_CAP */
	double window;               /* start-up window seconds (--since); 0 = default */
	size_t backfill_lines;       /* at least this many lines per source; 0 = default */
	size_t backfill_bytes;       /* read at most this from a file's end; 0 = default */
	const char *journal_dir;     /* read this journal directory (tests), NULL = the local journal */
	int no_journal;              /* do not open the journal at all */
};

struct logstream;

/* Create a stream on e. cfg may be NULL (defaults). The stream keeps a
 * reference on e; free it with logstream_free before the loop goes. */
struct logstream *logstream_new(sd_event *e, const struct logstream_config *cfg);
void logstream_free(struct logstream *ls);

/* Follow a file (idempotent by path: returns the existing source). tag NULL
 * = derived from type and path. Returns the source index, -1 on bad args.
 * A missing file (or directory) is waited for. */
int logstream_add_file(struct logstream *ls, const char *path, enum logstream_type type,
		       const char *tag);
/* Follow a unit's journal (app unless type is LOGSTREAM_JOURNAL_NGINX).
 * Idempotent by name. Returns the source index. */
int logstream_add_unit(struct logstream *ls, const char *unit, enum logstream_type type);
/* Follow kernel messages (journal _TRANSPORT=kernel). Returns the source index. */
int logstream_add_kernel(struct logstream *ls);

/* Follow the container NAME of snapshot s (its engine socket, id, state):
 * GET /containers/{id}/logs?follow=1&stdout=1&stderr=1&timestamps=1, the
 * last backfill_lines lines first. Source name "container:NAME", tag NAME.
 * Each line takes the engine's time stamp (stripped from the text) and
 * logclass_app's level and kind, the journal's app lines' classifier. A
 * stderr line is not raised to warn: gunicorn, uvicorn and most servers
 * write their normal lines to stderr.
 * The engine ends the stream when the container stops. Called again with a
 * newer snapshot (logstream_sync does that on every pass) it follows again
 * when the container runs or was (re)started, asking since= the newest line
 * taken; lines at that very nanosecond are matched by content, so nothing is
 * shown twice; at most LOGSTREAM_CATCHUP_LINES written while no stream was
 * open are caught up. A container recreated under the same name (a new id)
 * is read from its start. An engine that refuses (HTTP error: a log driver
 * that cannot be read) is asked again only after a new start.
 * Returns the source index, -1 when s has no engine or no such container or
 * LOGSTREAM_MAX_CONTAINERS are followed already. */
#define LOGSTREAM_MAX_CONTAINERS 32
#define LOGSTREAM_CATCHUP_LINES 1000
int logstream_add_container(struct logstream *ls, const struct gw_snapshot *s, const char *name);

/* Take the sources a probe pass discovered and the command line's:
 * error_log / access_log paths of the parsed config (not "off", "syslog:",
 * "stderr"), --error-log, --access-log, --app-log FILE|unit:NAME, app log
 * files in s->log_sources (tag "app"), the units of nginx and app-server
 * processes, --unit, the kernel, and when an engine answered the containers
 * whose logs matter (docker_logs_pick: nginx's targets lead to them, or
 * they restart / are unhealthy / exited with an error), plus every
 * container followed before (logstream_add_container). Only adds: sources
 * never go away. s and o may each be NULL. */
void logstream_sync(struct logstream *ls, const struct gw_snapshot *s, const struct gw_options *o);

/* Called (from the loop) when a live line (not the start-up backfill)
 * says a request failed just now: an nginx upstream error line, or an
 * access line with a 5xx (not 499, not gwtop's own request through nginx).
 * The dashboard starts a pass at once on it. */
void logstream_set_alarm(struct logstream *ls, void (*fn)(void *ud), void *ud);

/* Called (from the loop) whenever lines were added or dropped. */
void logstream_set_notify(struct logstream *ls, void (*fn)(void *ud), void *ud);

/* The ring, oldest first: 0 <= i < logstream_count(). Indices shift when
 * old lines drop out; seq does not. */
size_t logstream_count(const struct logstream *ls);
const struct logstream_line *logstream_get(const struct logstream *ls, size_t i);
/* Index of the line with this seq, or (size_t)-1 when it is gone. */
size_t logstream_find_seq(const struct logstream *ls, uint64_t seq);
/* First index whose time >= t (logstream_count() when none). */
size_t logstream_find_time(const struct logstream *ls, double t);
/* Changes whenever the ring changes. */
uint64_t logstream_generation(const struct logstream *ls);

size_t logstream_nsources(const struct logstream *ls);
/* Index of the source named name ("container:app", "unit:x.service", a
 * path), -1 none. */
int logstream_find_source(const struct logstream *ls, const char *name);
const struct logstream_source *logstream_source(const struct logstream *ls, size_t idx);
/* Show / hide a source in views that honour it (the pane's filter). */
void logstream_source_hide(struct logstream *ls, size_t idx, int hidden);

/* 5xx per minute from every access log. */
const struct accesslog_stats *logstream_access(const struct logstream *ls);

/* Start of the current incident: the current 5xx burst's start (access
 * log), else the first error-level line (level >= GW_LV_ERROR or a
 * classified kind) of the newest run of errors no more than `recent`
 * seconds old. Returns 1 and sets *start, or 0 when there is none. */
int logstream_incident(const struct logstream *ls, double now, double recent, double *start);

/* Check every follower now (the inotify and journal callbacks do this by
 * themselves; for tests and after a resume). */
void logstream_poll(struct logstream *ls);

/* The dashboard's probe timer fired: do the backstop's checks now (unless
 * they ran in the last quarter second) and push the backstop timer 1.5 s
 * out, so at a 1 s probe interval the loop wakes once a second, not twice. */
void logstream_backstop(struct logstream *ls);

/* Bytes held by the ring (lines + text) and the ring's line cap. */
size_t logstream_memory(const struct logstream *ls);
size_t logstream_cap(const struct logstream *ls);

/* Record / replay (issue 19): the tap is told of every line as it enters
 * the ring (its source: logstream_source(ls, l->src)); the recorder writes
 * them (text as in the ring: masked at ingest, raw otherwise). A replay
 * makes sources with no follower and injects the recorded lines. */
void logstream_set_tap(struct logstream *ls, void (*fn)(void *ud, const struct logstream *ls,
							 const struct logstream_line *l), void *ud);
/* A source whose lines come from logstream_inject only; idempotent by name.
 * Returns its index, -1 on bad arguments. */
int logstream_add_replayed(struct logstream *ls, enum logstream_type type, const char *name, const char *tag);
/* One line of source src (time, level, kind, flags, status and text taken
 * from l; the text is copied, cut at LOGSTREAM_TEXT_MAX) into the ring now. */
void logstream_inject(struct logstream *ls, size_t src, const struct logstream_line *l);

/* Short label for a source type ("nginx-err", ...). */
const char *logstream_type_name(enum logstream_type t);

#endif
