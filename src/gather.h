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
/* Force `nginx -t` on the next pass (key `t`, after a reload). */
void gather_invalidate_ntest(struct gather *g);

#endif
