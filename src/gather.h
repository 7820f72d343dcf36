/* gather.h — one probe pass: runs every probe into a snapshot. Local reads
 * (procfs, netlink, config, log tails) run at once; what can hang (HTTP to
 * the upstreams, `nginx -t`) runs on the sd-event loop, and `done` fires
 * when all of it is in. Used by --check (one pass) and the dashboard (one
 * pass per tick). */
#ifndef GW_GATHER_H
#define GW_GATHER_H

#include <systemd/sd-event.h>

#include "model.h"
#include "options.h"

struct gather;

struct gather *gather_new(sd_event *e, const struct gw_options *o);
void gather_free(struct gather *g);

/* Start a pass into `s` (initialised by the caller with snapshot_init; it
 * must stay valid until `done` runs). `prev` (may be NULL) is the previous
 * snapshot: its `nginx -t` result is reused when no config file changed.
 * Returns 0, or -1 if a pass is already running. */
int gather_start(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev,
		 void (*done)(void *ud), void *ud);
int gather_busy(const struct gather *g);

/* The HTTP probes (direct and through nginx) are the costly part of an
 * idle pass. With a heartbeat of n > 1 they run on every n-th pass only
 * while the previous pass found every target and every request through
 * nginx answering and the targets and their listeners are unchanged; the
 * passes between reuse the last results (s->http_reused says so). Any
 * other pass, and the one after gather_force_http(), probes. Default 1
 * (every pass: --check). */
void gather_set_heartbeat(struct gather *g, int n);
void gather_force_http(struct gather *g);

/* Process events for the loop: the fd to watch (-1 none) and, when it is
 * readable, gather_pump() takes the events (for the next pass) and returns
 * 1 when a watched process (nginx, an app server, a database) exited. */
int gather_event_fd(struct gather *g);
int gather_pump(struct gather *g);
/* Force `nginx -t` on the next pass (key `t`, after a reload). */
void gather_invalidate_ntest(struct gather *g);

#endif
