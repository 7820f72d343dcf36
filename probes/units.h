/* units.h — the systemd probe: the units of the app servers and of nginx
 * over sd-bus (asynchronous, on the sd-event loop), their journal, and the
 * databases named in the apps' environment (db.h). Also the static
 * unit-file checks and the ExecStart bind with the target it serves, both
 * stored in the unit for the rules. */
#ifndef GW_UNITS_H
#define GW_UNITS_H

#include <systemd/sd-event.h>

#include "model.h"
#include "appbind.h"   /* appbind_parse */
#include "options.h"

/* Persists across probe passes (bus connection, per-unit history of
 * NRestarts and MainPID, discovery cache). Owned by the caller. */
struct units_prober;

struct units_prober *units_prober_new(sd_event *e);
void units_prober_free(struct units_prober *p);

/* Call fn(ud) from the loop as soon as systemd reports a property change
 * (PropertiesChanged) of a unit the last passes watched (the app units,
 * nginx's): the dashboard probes at once instead of at the next tick.
 * Subscribes to systemd's signals on the bus connection of the passes
 * (from the next pass on if none is open yet). fn NULL: unsubscribe. */
void units_prober_set_notify(struct units_prober *p, void (*fn)(void *ud), void *ud);

/* One pass: fills s->systemd_available / systemd_error, s->units (the
 * units of relevant processes, nginx's, o->units, and inactive / failing
 * services whose ExecStart runs an app server), s->dbs (probed), and
 * appends the app units' journal events to s->events. Needs s->procs and
 * s->targets. done(ud) is called exactly once, from the loop; s is not
 * touched after that. Returns 0, or -EBUSY while a pass is in flight. */
int units_probe_start(struct units_prober *p, struct gw_snapshot *s, const struct gw_options *o,
		      void (*done)(void *ud), void *ud);


/* Static checks of a unit's file against the filesystem and the user
 * database (stat/access/getpwnam — this one does I/O; diagnose calls it
 * until the snapshot carries the results). */
struct units_problem {
	enum gw_unit_problem_kind kind;  /* UP_* (model.h) */
	int fatal;                   /* the unit cannot start with it */
	char path[GW_PATH];          /* the path / name at fault */
	char text[GW_TEXT];          /* "EnvironmentFile /etc/app.env does not exist" */
};
int units_check_file(const struct gw_unit *u, struct units_problem *out, int max);
/* Run units_check_file and store the results in u->problems (the probe
 * calls it for every loaded unit; diagnose only reads them). */
void units_fill_problems(struct gw_unit *u);
/* The bind in u's ExecStart (appbind_parse) into u->has_bind / u->bind,
 * and the first of s->targets it is meant to serve (addr_bind_matches,
 * ADDR_MATCH_LOOSE) into u->target_idx, -1 none. The probe calls it for
 * every unit; the rules only read it. */
void units_fill_bind(struct gw_unit *u, const struct gw_snapshot *s);

#endif
