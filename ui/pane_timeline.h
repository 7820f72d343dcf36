/* pane_timeline.h — the timeline pane's keys (see pane_timeline.c). */
#ifndef GW_PANE_TIMELINE_H
#define GW_PANE_TIMELINE_H

struct tui;

/* KEY_LEFT / KEY_RIGHT move the cursor a minute (5 in the 3 h span), 'z'
 * cycles the span 5 min / 30 min / 3 h, '\r' jumps the logs pane to the
 * cursor's minute. Other keys: nothing. */
void pane_timeline_key(struct tui *t, int key);

#endif
