/* logclass.h — pure log-line classifiers: nginx error.log, gunicorn /
 * uvicorn / Python app output, kernel OOM messages. No I/O.
 *
 * Every classifier takes one line (not necessarily NUL-terminated, may hold
 * any bytes; a trailing "\n" / "\r\n" is ignored), resets *ev and fills it:
 * kind, level, time (epoch, 0 unknown), err, pid, upstream, request, detail
 * and line (the raw line, truncated); fields not found are 0 / "".
 * ev->source is left "" for the caller. logclass_app and logclass_kernel
 * zero all of *ev; logclass_nginx_error (hot: every line of a followed
 * error.log) sets every field but leaves the bytes after each string's
 * terminator as they were. */
#ifndef GW_LOGCLASS_H
#define GW_LOGCLASS_H

#include <stddef.h>
#include <time.h>

#include "model.h"

/* An nginx error.log line ("2026/11/24 12:01:02 [error] 149#149: *13 ...")
 * or nginx's stderr form ("nginx: [emerg] ...", time 0, pid 0) as the
 * journal of nginx.service and `nginx -t` show it. error.log holds local
 * time without a zone: converted like mktime (tm_isdst = -1).
 * Returns 1 if the line has the error.log layout (kind may still be
 * GW_LOG_OTHER: a [notice] line), 0 otherwise (ev->kind = GW_LOG_OTHER). */
int logclass_nginx_error(const char *line, size_t len, struct gw_log_event *ev);
/* The same classification (same return, kind, level, time, pid, err) for
 * the live stream, which keeps the raw line itself: line, detail, request
 * and upstream are left "" (not copied, not searched). */
int logclass_nginx_error_kind(const char *line, size_t len, struct gw_log_event *ev);
/* error.log's time stamp "YYYY/MM/DD HH:MM:SS" at p (len >= 19) into tm's
 * fields as written (tm_year - 1900, tm_mon - 1, tm_isdst -1): the layout
 * and ranges logclass_nginx_error accepts. Returns 0 if it is not one.
 * (The live stream resolves a DST-ambiguous hour with it.) */
int logclass_nginx_stamp(const char *p, size_t len, struct tm *tm);

/* A gunicorn ("[2026-11-24 12:01:02 +0000] [1234] [ERROR] ..."), uvicorn
 * ("ERROR:    ...") or Python ("Traceback ...", "XError: msg") line.
 * detail = the key message ("No module named 'psycopg2'").
 * Returns 1 if the line is recognised (gunicorn/uvicorn layout, a traceback
 * header or an exception line), 0 otherwise. */
int logclass_app(const char *line, size_t len, struct gw_log_event *ev);

/* A kernel message ("Out of memory: Killed process 1234 (gunicorn) ...",
 * "Memory cgroup out of memory: Killed process ...", "Killed process ...").
 * A dmesg "[  123.456789] " prefix is allowed. OOM kills: kind OOM_KILL,
 * pid = killed pid, detail = process name. Returns 1 for an OOM kill, else 0. */
int logclass_kernel(const char *line, size_t len, struct gw_log_event *ev);

/* Mask the secrets (sanitize_mask) in ev's strings, in place: every
 * reader of app / nginx / container / journal lines calls it before it
 * keeps an event. */
void logclass_mask(struct gw_log_event *ev);

#endif
