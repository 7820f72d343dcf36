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

/* Call fn(ud) from the loop when systemd reports a state change of a unit
 * the last passes watched (probes/units.c): the dashboard probes at once
 * rather than at the next tick. fn NULL: no more calls. */
void gather_set_units_notify(struct gather *g, void (*fn)(void *ud), void *ud);

/* ---------------------------------------------------------------- the probe table
 *
 * A pass runs gather.c's table of probe rows in order. Each row declares
 * the facts it reads from the snapshot (filled by rows above it) and the
 * facts it fills. */
enum gather_fact {
	GF_PROCS      = 1u << 0,   /* s->procs (procs.c) */
	GF_CONFIG     = 1u << 1,   /* s->conf, s->unknown (nginx_conf.c) */
	GF_NGINX      = 1u << 2,   /* s->nginx: master, workers' identity, stale config (procs.c) */
	GF_TARGETS    = 1u << 3,   /* s->targets: the config's, /etc/hosts names, --upstream */
	GF_THROUGH    = 1u << 4,   /* s->through: the requests through nginx to make (through.c) */
	GF_LISTENERS  = 1u << 5,   /* s->listeners, targets' listener_idx, socket permissions */
	GF_MEMORY     = 1u << 6,   /* s->mem (memory.c) */
	GF_LOGS       = 1u << 7,   /* s->log_sources, s->events, s->access (logread.c, accesstail.c) */
	GF_KERNEL     = 1u << 8,   /* OOM kills, s->mem.kernel_log_* (kernlog.c) */
	GF_HTTP       = 1u << 9,   /* targets' probe results, s->through answers (upstream.c, through.c) */
	GF_UNITS      = 1u << 10,  /* s->units, s->dbs, journal events (units.c, db.c) */
	GF_CONTAINERS = 1u << 11,  /* s->containers, their log events (docker.c) */
	GF_NTEST      = 1u << 12,  /* s->ntest (nginx_test.c) */
	GF_CONNS      = 1u << 13,  /* targets' conns_*, s->port_range_* (when nginx logged EADDRNOTAVAIL) */
};

struct gather_probe {
	const char *name;
	/* fill the snapshot; an asynchronous row launches its work on the loop */
	void (*run)(struct gather *g, struct gw_snapshot *s, const struct gw_snapshot *prev);
	unsigned needs;              /* GF_* facts read, given by rows above */
	unsigned gives;              /* GF_* facts filled */
	int async;                   /* gives them when its work is in (after the last row
	                                ran): no row may need them */
};

/* The table, in the order a pass runs it. */
const struct gather_probe *gather_probes(size_t *n);
/* 0 if every row's needs are given by synchronous rows above it, every
 * row gives something and names are unique; else -1 and why. */
int gather_probes_check(const struct gather_probe *rows, size_t n, char *why, size_t whysize);

#endif
