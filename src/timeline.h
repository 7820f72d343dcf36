/* timeline.h — the incident's story on one time axis (issue 19 items 1-2).
 *
 * A controller-owned object (the feeder probes/tlfeed.c owns it; --check
 * and the dashboard each hold one feeder) that outlives the snapshots. A
 * finished snapshot points at it: s->timeline (borrowed, may be NULL), so
 * report.c, incident.c and the panes read it from the snapshot they have.
 *
 * What it holds:
 *  - requests per minute by status class (2xx, 3xx, 4xx, 5xx, 499 apart;
 *    gwtop's own requests counted apart, never as traffic), fed from the
 *    access logs (TIMELINE_MINUTES kept);
 *  - events on the same axis (reloads, restarts, unit and container state
 *    changes, OOM kills, app boot errors, config edits, deploys, gwtop's
 *    own actions), oldest first, at most TIMELINE_MAX_EVENTS;
 *  - incidents: the first failing request of a run of failures and the
 *    first success that ended it (recovery), from the requests;
 *  - per upstream address and per normalised request path: counts, 5xx
 *    share and upstream-time percentiles over a window (the last
 *    TIMELINE_STATS_MINUTES at most).
 *
 * Pure data + update functions: no I/O, no clock (times are passed in).
 * Every string in it (paths, addresses, unit names, log text) is raw
 * outside bytes: sanitize at output (sanitize.h), escape in JSON.
 *
 * API stability: names here are kept; new things are added, not renamed. */
#ifndef GW_TIMELINE_H
#define GW_TIMELINE_H

#include <stddef.h>

#include "model.h"

#define TIMELINE_MINUTES 180         /* per-minute buckets kept (the 3 h zoom) */
#define TIMELINE_MAX_EVENTS 512      /* oldest dropped first */
#define TIMELINE_MAX_INCIDENTS 32    /* oldest dropped first */
#define TIMELINE_STATS_MINUTES 60    /* per-upstream / per-path stats kept per minute */
#define TIMELINE_MAX_UPSTREAMS 16    /* distinct upstream addresses per minute */
#define TIMELINE_MAX_PATHS 64        /* distinct normalised paths per minute */
#define TIMELINE_RECOVER_OK 3        /* successes in a row (no 5xx between) that end an incident */
#define TIMELINE_PATH 160            /* a normalised path kept (bytes, truncated beyond) */

/* ---------------------------------------------------------------- requests */

/* One request from an access log line, as the parser found it. Strings
 * point into the caller's line (not NUL-terminated; len 0 = absent). */
struct timeline_request {
	double time;                 /* epoch (access logs have 1 s resolution) */
	int status;                  /* $status, 100-599 */
	int own;                     /* gwtop's own request (accesslog_is_own): counted apart */
	const char *path;            /* the request path ($request's 2nd word, query included) */
	size_t path_len;
	const char *upstream_addr;   /* $upstream_addr ("127.0.0.1:8000", "unix:/x", "a, b : c"), NULL none */
	size_t upstream_addr_len;
	const char *upstream_status; /* $upstream_status as logged ("502", "502, 200", "-"), NULL none */
	size_t upstream_status_len;
	const char *upstream_time;   /* $upstream_response_time as logged ("0.012", "0.001, 0.030", "-") */
	size_t upstream_time_len;
	double request_time;         /* $request_time seconds, -1 absent */
};

/* One minute of requests. A request is in exactly one of n2xx (1xx and
 * 2xx), n3xx, n4xx (not 499), n499, n5xx; own requests only in `own`. */
struct timeline_minute {
	long minute;                 /* epoch / 60; 0 = unused */
	unsigned total;              /* n2xx + n3xx + n4xx + n499 + n5xx (own excluded) */
	unsigned n2xx, n3xx, n4xx, n499, n5xx;
	unsigned n500, n502, n503, n504;
	unsigned own;                /* gwtop's own requests through nginx */
	double first_5xx, last_5xx;  /* epoch, 0 none */
};

/* ---------------------------------------------------------------- events */

/* Stable ids (timeline_kind_id): the JSON contract. Add at the end. */
enum timeline_kind {
	TL_EV_NGINX_START = 0,       /* nginx master started (its start time) */
	TL_EV_NGINX_RELOAD,          /* new worker generation / "signal process started" / "reconfiguring" */
	TL_EV_NGINX_STOP,            /* the master is gone */
	TL_EV_CONFIG_EDIT,           /* an nginx config file's mtime */
	TL_EV_UNIT_START,            /* a unit became active (ExecMainStartTimestamp / ActiveEnter) */
	TL_EV_UNIT_STOP,             /* a unit left active cleanly */
	TL_EV_UNIT_FAIL,             /* a unit failed: text has the result and exit status */
	TL_EV_UNIT_RESTART,          /* NRestarts rose (Restart= at work) */
	TL_EV_APP_START,             /* an app server master process started (its start time) */
	TL_EV_APP_EXIT,              /* an app server master process is gone */
	TL_EV_APP_BOOT_ERROR,        /* worker failed to boot, import error, app config error */
	TL_EV_OOM_KILL,              /* the kernel killed a process for memory */
	TL_EV_CONTAINER_START,       /* a container started (State.StartedAt) */
	TL_EV_CONTAINER_STOP,        /* a container stopped / exited (exit code in text) */
	TL_EV_CONTAINER_RESTART,     /* RestartCount rose */
	TL_EV_CONTAINER_HEALTH,      /* health changed (text: "unhealthy", ...) */
	TL_EV_DEPLOY,                /* new app code: WorkingDirectory mtime, a container's new image */
	TL_EV_ACTION,                /* gwtop's own action (restart, reload, nginx -t) and outcome */
	TL_EV_INCIDENT_START,        /* only in merged views (JSON): see struct timeline_incident */
	TL_EV_RECOVERY,              /* only in merged views (JSON) */
	TL_EV_KIND_MAX
};

/* "nginx_reload", "unit_fail", ... (never NULL). */
const char *timeline_kind_id(enum timeline_kind k);
/* One character for the axis marker ('R' reload, 'X' failure, ...); ASCII. */
char timeline_kind_mark(enum timeline_kind k);
/* 1 when the kind is bad news (failure, OOM, exit, boot error, unhealthy). */
int timeline_kind_bad(enum timeline_kind k);

struct timeline_event {
	double time;                 /* epoch */
	enum timeline_kind kind;
	int approx;                  /* time = when gwtop noticed (a pass), not when it happened */
	char subject[GW_NAME];       /* unit, container, file, pid ("" none); raw */
	char text[GW_TEXT];          /* one line for humans; raw (sanitize at output) */
};

/* ---------------------------------------------------------------- incidents */

/* A run of failing requests (5xx, own requests and 499 left out). It starts
 * at the first 5xx while not in an incident, and ends at the first success
 * (1xx-4xx) of TIMELINE_RECOVER_OK successes in a row with no 5xx between
 * (to the second: successes and 5xx in the same second do not end it). */
struct timeline_incident {
	double start;                /* the first failing request (epoch) */
	double last_fail;            /* the newest failing request */
	double recovered;            /* the first success of the run that ended it; 0 = still failing */
	unsigned failed;             /* failing requests in it */
};

/* ---------------------------------------------------------------- per upstream / per path */

struct timeline_upstream_stat {
	char addr[GW_NAME];          /* one address as logged ("127.0.0.1:8000", "unix:/run/app.sock"); raw */
	unsigned tries;              /* attempts to this address (a request tried on 2 counts on each) */
	unsigned n5xx;               /* attempts whose $upstream_status was 5xx (502 included) */
	unsigned no_status;          /* attempts with no status ("-": no answer) */
	double share_5xx;            /* (n5xx + no_status) / tries, 0..1 */
	unsigned timed;              /* attempts with a time */
	double p50, p95, p99;        /* $upstream_response_time, seconds; -1 none (bucket upper bounds, <= 10 % over) */
};

struct timeline_path_stat {
	char path[TIMELINE_PATH];    /* normalised (ids folded to ":id", query dropped); raw otherwise */
	unsigned requests, n5xx;
	int last_status;             /* the newest 5xx status seen (0 none) */
};

/* Which fields the access log format gives (filled by the feeder from the
 * config's log_format, or detected). */
struct timeline_fields {
	int known;                   /* a format was found / detected */
	char format_name[GW_NAME];   /* "combined", "main", ... */
	int has_upstream_addr, has_upstream_status, has_upstream_time, has_request_time;
	char hint[GW_TEXT];          /* when some are missing: the log_format line to paste; "" none */
};

/* Start-up backfill progress (the feeder reads the access logs from
 * --since in the background). */
struct timeline_progress {
	int backfilling;             /* still reading older lines */
	unsigned long long done, total;   /* bytes */
	double since;                /* the backfill's start (epoch) */
	unsigned long lines, unparsed;    /* access-log lines read / not understood */
};

/* ---------------------------------------------------------------- the object */

struct timeline;

struct timeline *timeline_new(void);
void timeline_free(struct timeline *tl);

/* Updates. Requests may come in any order (several logs, backfill after
 * the tail); lines older than TIMELINE_MINUTES before the newest are
 * dropped. */
void timeline_add_request(struct timeline *tl, const struct timeline_request *r);
/* An event; dropped when the same kind + subject + time (to the second)
 * is already there. text is printf-formatted. */
void timeline_add_event(struct timeline *tl, double time, enum timeline_kind kind, int approx,
			const char *subject, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* gwtop's own action and its outcome (ui/tui_act.c, from actions_cb). */
void timeline_action(struct timeline *tl, double time, const char *what, int ok, const char *msg);
/* Events from a finished pass: start times in it (nginx master, workers,
 * units, containers, app servers, config mtimes), log events (OOM kills,
 * boot errors, nginx reload lines) and what changed since the previous
 * pass given to it (a unit failed, a master is gone, health changed).
 * Keeps what it needs of s; s is not kept. */
void timeline_observe(struct timeline *tl, const struct gw_snapshot *s);
void timeline_set_fields(struct timeline *tl, const struct timeline_fields *f);
void timeline_set_progress(struct timeline *tl, const struct timeline_progress *p);

/* A tap: told of every change from outside the model, in order — each
 * request taken (after the validity check), each event stored (after the
 * de-duplication: what is told is what the model holds), the fields and
 * the progress. The recorder (src/record.h) writes them; a replay feeds
 * them back through the same update functions (timeline_add_request,
 * timeline_add_event_text, ...) and gets the same model. NULL fn = not told. */
struct timeline_tap {
	void (*request)(void *ud, const struct timeline_request *r);
	void (*event)(void *ud, const struct timeline_event *e);
	void (*fields)(void *ud, const struct timeline_fields *f);
	void (*progress)(void *ud, const struct timeline_progress *p);
};
void timeline_set_tap(struct timeline *tl, const struct timeline_tap *tap, void *ud);
/* An event with its text as it is (a replayed event: no printf). */
void timeline_add_event_text(struct timeline *tl, double time, enum timeline_kind kind, int approx,
			     const char *subject, const char *text);

/* A segment's checkpoint (record.h "tl"): the seconds that hold requests
 * (for the incidents) read out, and minutes and seconds put back as they
 * were. timeline_seconds fills up to max, oldest first; returns how many. */
struct timeline_second { long sec; unsigned ok, fail; };
size_t timeline_seconds(const struct timeline *tl, struct timeline_second *out, size_t max);
void timeline_restore_minute(struct timeline *tl, const struct timeline_minute *m);
void timeline_restore_second(struct timeline *tl, const struct timeline_second *s);

/* Reads. */
long timeline_newest_minute(const struct timeline *tl);          /* 0 none */
/* The bucket of epoch minute `minute`, NULL when none (no request). */
const struct timeline_minute *timeline_minute(const struct timeline *tl, long minute);
size_t timeline_nevents(const struct timeline *tl);
const struct timeline_event *timeline_event(const struct timeline *tl, size_t i);   /* oldest first */
/* Incidents, oldest first (the current one last). */
size_t timeline_nincidents(const struct timeline *tl);
const struct timeline_incident *timeline_incident(const struct timeline *tl, size_t i);
/* The newest incident if it is still failing or recovered at or after
 * `since`: 1 and *out, else 0. */
int timeline_current_incident(const struct timeline *tl, double since, struct timeline_incident *out);
/* Per upstream address over the minutes from `since` on: up to max, most
 * tries first. Returns how many. */
size_t timeline_upstreams(const struct timeline *tl, double since, struct timeline_upstream_stat *out, size_t max);
/* The top failing paths from `since` on: up to max, most 5xx first (paths
 * without 5xx are left out). */
size_t timeline_paths(const struct timeline *tl, double since, struct timeline_path_stat *out, size_t max);
const struct timeline_fields *timeline_get_fields(const struct timeline *tl);
const struct timeline_progress *timeline_get_progress(const struct timeline *tl);

/* "/api/users/123/orders/9f86d081884c7d65?x=1" -> "/api/users/:id/orders/:id":
 * the query is dropped, segments that are numbers, UUIDs, hex hashes (>= 8
 * hex digits with a digit) or long mixed tokens (>= 16 chars with digits)
 * become ":id". out is NUL-terminated; other bytes are copied raw. */
void timeline_path_normalize(const char *in, size_t len, char *out, size_t size);

#endif
