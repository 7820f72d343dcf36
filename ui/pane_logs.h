/* pane_logs.h — the logs pane's own keys and notes. It renders the live
 * stream the dashboard's controller owns (t->logs, ui/tui_logs.c). */
#ifndef GW_PANE_LOGS_H
#define GW_PANE_LOGS_H

struct tui;

/* Keys of the logs pane: 'a' access lines on/off, 'v' severity filter,
 * 'o' one source (cycles) / all, 'i' jump to the current incident's first error,
 * 'f' follow on/off, '\r' (Enter) go to the finding the selected line
 * (none selected: the lowest marked line in view) supports. */
void pane_logs_key(struct tui *t, int key);

/* Before the '/' filter changes: remember the selected line, so that it
 * is selected again (and in view) among the lines the new filter shows,
 * e.g. all of them: a match seen in its context. */
void pane_logs_keep_selection(struct tui *t);

/* Add gwtop's own note (an action and its outcome) to the pane, at the
 * current time: shown with source "gwtop" among the log lines, level
 * notice (ok) or error. The last PANE_LOGS_NOTES are kept (copied). */
#define PANE_LOGS_NOTES 32
void pane_logs_note(struct tui *t, int ok, const char *msg);

/* The stream's lines changed (its notify, from the controller): rebuild
 * the pane, at most every LOGS_REBUILD_USEC. */
void pane_logs_changed(struct tui *t);

/* Select the first shown line at or after `when` (epoch) and scroll to it
 * (the timeline's Enter). 0, or -1 when no such line is kept / shown. */
int pane_logs_jump_time(struct tui *t, double when);

/* Free the pane's own state (the controller does at exit; safe twice). */
void pane_logs_free(void);

#endif
