/* pane_logs.h — the logs pane's own keys and its live stream (owned by
 * pane_logs.c: created on the pane's first build, on the dashboard's
 * sd-event loop, fed the sources of every probe pass). */
#ifndef GW_PANE_LOGS_H
#define GW_PANE_LOGS_H

struct tui;
struct logstream;

/* Keys of the logs pane: 'a' access lines on/off, 'e' severity filter,
 * 'o' one source (cycles) / all, 'i' jump to the current incident's first error,
 * 'f' follow on/off. */
void pane_logs_key(struct tui *t, int key);

/* Add gwtop's own note (an action and its outcome) to the pane, at the
 * current time: shown with source "gwtop" among the log lines, level
 * notice (ok) or error. The last PANE_LOGS_NOTES are kept (copied). */
#define PANE_LOGS_NOTES 32
void pane_logs_note(struct tui *t, int ok, const char *msg);

/* The stream (NULL before the pane was first built). */
struct logstream *pane_logs_stream(void);

/* Free the stream (also registered with atexit; safe to call twice). */
void pane_logs_free(void);

#endif
