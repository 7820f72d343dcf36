/* pane_logs.h — the logs pane's own keys and its live stream (owned by
 * pane_logs.c: created on the pane's first build, on the dashboard's
 * sd-event loop, fed the sources of every probe pass). */
#ifndef GW_PANE_LOGS_H
#define GW_PANE_LOGS_H

struct tui;
struct logstream;

/* Keys of the logs pane: 'a' access lines on/off, 'e' severity filter,
 * 's' one source / all, 'i' jump to the current incident's first error,
 * 'f' follow on/off. */
void pane_logs_key(struct tui *t, int key);

/* The stream (NULL before the pane was first built). */
struct logstream *pane_logs_stream(void);

/* Free the stream (also registered with atexit; safe to call twice). */
void pane_logs_free(void);

#endif
