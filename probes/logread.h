/* logread.h — bounded reading of log files from their END, classified into
 * snapshot events. Cost depends on max_bytes, never on the file's size:
 * a 10 GB error.log costs what a 4 MiB one does. */
#ifndef GW_LOGREAD_H
#define GW_LOGREAD_H

#include <stddef.h>

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

/* Classify the lines of an in-memory buffer (e.g. journal messages joined
 * by '\n') and append events as logread_tail does, with the given source
 * name. Returns the number of events appended. */
int logread_buffer(struct gw_snapshot *s, const char *source, int kind,
		   const char *buf, size_t len, double since);

/* Dispatch one line to the classifier of kind; returns its result. */
int logread_classify(int kind, const char *line, size_t len, struct gw_log_event *ev);

#endif
