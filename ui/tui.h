/* tui.h — the full-screen dashboard (ncursesw on sd-event). */
#ifndef GW_TUI_H
#define GW_TUI_H

#include <systemd/sd-event.h>

#include "options.h"

/* Run the dashboard on e until the user quits (q / F10 / SIGINT / SIGTERM).
 * The caller has blocked SIGCHLD; tui_run blocks SIGWINCH, SIGINT and
 * SIGTERM itself and handles them with sd_event_add_signal. Probes run one
 * pass every o->interval seconds. Returns the exit status (0 on a normal
 * quit, 1 if the terminal could not be set up). */
int tui_run(sd_event *e, const struct gw_options *o);

#endif
