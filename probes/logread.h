/* logread.h — bounded reading of log files from their END, classified into
 * snapshot events. Cost depends on max_bytes, never on the file's size:
 * a 10 GB error.log costs what a 4 MiB one does. */
#ifndef GW_LOGREAD_H
#define GW_LOGREAD_H

#include <stddef.h>
#include <sys/types.h>

#include "model.h"

enum logread_kind {
	LOGREAD_NGINX_ERROR,         /* logclass_nginx_error */
	LOGREAD_APP,                 /* logclass_app (gunicorn, uvicorn, Python) */
	LOGREAD_KERNEL,              /* logclass_kernel */
};

#define LOGREAD_DEFAULT_MAX ((size_t)4 << 20)   /* bytes read from the end */
#define LOGREAD_LINE_MAX ((size_t)64 << 10)     /* longer lines are cut */

/* Read at most max_bytes (0 = LOGREAD_DEFAULT_MAX) from the end of path,
 * classify each line with the classifier of kind and append to s->events:
 *   - classified events (kind != GW_LOG_OTHER) with time >= since or
 *     time unknown (0);
 *   - app logs: a Python traceback is one event, its final "XError: msg"
 *     line (time taken from the line that announced it); plus at most one
 *     GW_LOG_OTHER event per call: the last line that carries a time, so
 *     "last line seen" is known.
 * Events get source "<tag>:<path>" and are appended in file order.
 * Records a gw_log_source in s->log_sources (readable / error, size, offset
 * = where reading stopped, inode, lines_read) and a note when unreadable.
 * Opens O_NONBLOCK|O_CLOEXEC|O_NOCTTY; refuses FIFOs, directories, devices.
 * Returns the number of events appended, -1 when the file could not be read. */
int logread_tail(struct gw_snapshot *s, const char *path, const char *tag, int kind,
		 size_t max_bytes, double since);

/* Like logread_tail, but continues where prev (a source recorded by an
 * earlier call for the same path) stopped when the file is the same inode
 * and did not shrink; otherwise (rotated, truncated, prev NULL) reads the
 * end as logread_tail does. Still bounded by max_bytes. */
int logread_follow(struct gw_snapshot *s, const char *path, const char *tag, int kind,
		   size_t max_bytes, double since, const struct gw_log_source *prev);

/* The dashboard reads the same tails every tick. A cache keeps, per (path,
 * tag, kind, max_bytes), the events of the last read with the stat() the
 * file had before it (device, inode, size, mode, mtime and ctime in ns).
 * While that signature holds (and is older than a couple of seconds: a
 * timestamp is coarse), the file is not read again: the cached events
 * are filtered against the new `since` instead (the window moves with
 * time; events are never re-dated). A read that hit LOGREAD_MAX_EVENTS or
 * failed is not reused. `since` must not go back for a hit. Entries not
 * asked for between two logread_cache_sweep calls are dropped there. */
struct logread_cache;
struct logread_cache *logread_cache_new(void);
void logread_cache_free(struct logread_cache *c);
void logread_cache_sweep(struct logread_cache *c);

/* logread_tail through the cache: the same events and gw_log_source as
 * logread_tail (lines_read is that of the read the events came from). */
int logread_tail_cached(struct logread_cache *c, struct gw_snapshot *s, const char *path, const char *tag,
			int kind, size_t max_bytes, double since);
/* How many times the cache really read a file (for tests). */
unsigned logread_cache_reads(const struct logread_cache *c);

/* Classify the lines of an in-memory buffer (e.g. journal messages joined
 * by '\n') and append events as logread_tail does, with the given source
 * name. Returns the number of events appended. */
int logread_buffer(struct gw_snapshot *s, const char *source, int kind,
		   const char *buf, size_t len, double since);

/* The reading both the probe pass and the live stream's start-up backfill
 * (logfile.c) do: pread [from, from + want) of fd whole into a new buffer
 * (want + 1 bytes, malloc'd; EINTR retried, a shorter file ends it).
 * *got = the bytes read; *err = the errno of a failed read, else 0 (the
 * bytes got before it are in the buffer). */
char *logread_range(int fd, off_t from, size_t want, size_t *got, int *err);
/* A read that began inside a file: where its first whole line starts
 * (after the first '\n'), NULL when buf holds no '\n'. */
const char *logread_after_partial(const char *buf, size_t len);

/* Dispatch one line to the classifier of kind; returns its result. */
int logread_classify(int kind, const char *line, size_t len, struct gw_log_event *ev);

#endif
