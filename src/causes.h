/* causes.h — the cause registry: every stable cause id gwtop can name, in
 * one X-macro list (as tmux keeps its cmd_table). The rules (diag_add takes
 * a cause from here and gets its hop, rank and severity from its row), the
 * report (names, client_status in the JSON, Prometheus labels), the logs
 * pane's "» cause" links (the kinds of log line that support a cause) and
 * the README's cause table (tests/unit/test_causes.c checks it row by row)
 * all read this list.
 *
 * Adding a cause = one row here + one rule function (src/diagnose*.c, in
 * the rule table of diagnose.c) + one test (tests/unit/test_diagnose*.c),
 * and its README row (test_causes prints the row it expects).
 *
 * Columns of GW_CAUSE(ENUM, id, hop, rank, severity, client_status, kinds, doc):
 *   ENUM     GW_CAUSE_<ENUM>, the C name
 *   id       the stable id (JSON "cause", Prometheus label) — part of the
 *            JSON contract: never rename one
 *   hop      the hop of the request path it explains (GW_HOP_<hop>; NONE
 *            for healthy only)
 *   rank     how specific a root cause (higher wins among findings of the
 *            same severity on the same hop); a rule may add a weaker or
 *            stronger form with diag_add_as
 *   severity the usual severity (GW_SEV_<severity>); a rule may lower it
 *            (partial outage, stale config, history)
 *   status   what the client gets from nginx: 500, 502, 504, or 0 when the
 *            cause is not a server error answer (nginx not answering at
 *            all, a config the running nginx has not loaded)
 *   kinds    the kinds of log line that are evidence for it (GW_LOG_<kind>,
 *            or'ed with GW_CK), refinements included: a refused connect
 *            supports upstream_down and whatever upstream_down is refined
 *            to (app_boot_failure, oom_killed, ...)
 *   doc      one line for the README table
 *
 * Include model.h (which includes this after the hop / severity / log-kind
 * enums) or this file; both orders work. */
#ifndef GW_CAUSES_H
#include "model.h"
#endif
#ifndef GW_CAUSES_H
#define GW_CAUSES_H

#include <stdint.h>

#define GW_HOP_NONE GW_HOP_MAX   /* the hop of healthy: none */
#define GW_CK(k) (UINT32_C(1) << GW_LOG_##k)
#define GW_CK_DOWN GW_CK(CONNECT_REFUSED) | GW_CK(SOCKET_NOENT) | GW_CK(NO_LIVE)
#define GW_CK_BOOT GW_CK(APP_TRACEBACK) | GW_CK(APP_MODULE_NOT_FOUND) | GW_CK(APP_CONFIG) | \
	GW_CK(APP_DB) | GW_CK(APP_WORKER_BOOT) | GW_CK(APP_EXCEPTION)

#define GW_CAUSES(X) \
X(HEALTHY, healthy, NONE, 0, OK, 0, 0, \
  "every hop answers and nginx fails no requests") \
X(NGINX_DOWN, nginx_down, NGINX, 50, CRIT, 0, GW_CK(NGINX_EMERG), \
  "no nginx master process, or nothing listens on its listen ports") \
X(NGINX_CONFIG_INVALID, nginx_config_invalid, NGINX, 60, CRIT, 0, GW_CK(NGINX_EMERG), \
  "`nginx -t` fails (file:line); a reload or restart now would fail") \
X(NGINX_CONFIG_STALE, nginx_config_stale, NGINX, 40, WARN, 0, 0, \
  "a config file was edited after the last reload: the workers run the old config") \
X(UPSTREAM_DOWN, upstream_down, UPSTREAM, 60, CRIT, 502, GW_CK(CONNECT_REFUSED) | GW_CK(NO_LIVE), \
  "nothing listens at the target, no app process; `connect() failed (111)`, `no live upstreams`") \
X(PORT_MISMATCH, port_mismatch, UPSTREAM, 80, CRIT, 502, GW_CK(CONNECT_REFUSED) | GW_CK(SOCKET_NOENT), \
  "the app listens, but on another port / socket path than nginx targets (both named)") \
X(IP_FAMILY_MISMATCH, ip_family_mismatch, UPSTREAM, 80, CRIT, 502, GW_CK(CONNECT_REFUSED), \
  "nginx targets IPv6 and the app listens on IPv4 only, or the reverse") \
X(SOCKET_MISSING, socket_missing, UPSTREAM, 70, CRIT, 502, GW_CK(SOCKET_NOENT), \
  "the unix socket nginx targets does not exist, `(2: No such file or directory)`") \
X(SOCKET_PERMISSION, socket_permission, UPSTREAM, 85, CRIT, 502, GW_CK(SOCKET_EACCES), \
  "`(13: Permission denied)`: which path component denies which user") \
X(APP_CRASH_LOOP, app_crash_loop, APP, 70, CRIT, 502, GW_CK_DOWN | GW_CK_BOOT, \
  "the app unit or container restarts in a loop (NRestarts rising, start times churning)") \
X(APP_BOOT_FAILURE, app_boot_failure, APP, 90, CRIT, 502, GW_CK_DOWN | GW_CK_BOOT, \
  "the app exits at start: import error, missing setting, bad unit file, database down at boot") \
X(APP_CRASH_DURING_REQUEST, app_crash_during_request, APP, 65, CRIT, 502, \
  GW_CK(RESET) | GW_CK(PREMATURE_CLOSE) | GW_CK(APP_TRACEBACK) | GW_CK(APP_WORKER_TIMEOUT) | \
  GW_CK(APP_WORKER_KILLED) | GW_CK(APP_EXCEPTION) | GW_CK(OOM_KILL), \
  "`upstream prematurely closed connection`, `recv() failed (104)`, a worker killed or timed out") \
X(UPSTREAM_TIMEOUT, upstream_timeout, APP, 60, CRIT, 504, GW_CK(TIMEOUT) | GW_CK(APP_WORKER_TIMEOUT), \
  "`upstream timed out (110)`: the app answers slower than `proxy_read_timeout`") \
X(UPSTREAM_OVERLOADED, upstream_overloaded, UPSTREAM, 60, CRIT, 502, GW_CK(AGAIN) | GW_CK(TIMEOUT), \
  "accept queue full, `(11: Resource temporarily unavailable)`") \
X(UPSTREAM_INVALID_RESPONSE, upstream_invalid_response, APP, 60, CRIT, 502, \
  GW_CK(PREMATURE_CLOSE) | GW_CK(INVALID_HEADER), \
  "`upstream sent invalid header`, or no HTTP at all") \
X(UPSTREAM_HEADER_TOO_BIG, upstream_header_too_big, APP, 70, CRIT, 502, GW_CK(BIG_HEADER), \
  "`upstream sent too big header`: the app's response headers (cookies) do not fit `proxy_buffer_size` / `fastcgi_buffer_size`") \
X(WORKER_CONNECTIONS_EXHAUSTED, worker_connections_exhausted, NGINX, 70, CRIT, 500, GW_CK(WORKER_CONNECTIONS), \
  "`worker_connections are not enough`: every connection slot of the nginx workers is taken (a proxied request takes two)") \
X(FD_EXHAUSTED, fd_exhausted, NGINX, 72, CRIT, 500, GW_CK(FD_LIMIT), \
  "`(24: Too many open files)`: an nginx worker hit its open files limit (`worker_rlimit_nofile`, systemd `LimitNOFILE=`)") \
X(LOCAL_PORTS_EXHAUSTED, local_ports_exhausted, UPSTREAM, 78, CRIT, 502, GW_CK(ADDR_NOTAVAIL), \
  "`(99: Cannot assign requested address) while connecting to upstream`: no local port left for a new connection to the app (`ip_local_port_range`, TIME-WAIT)") \
X(UPSTREAM_KEEPALIVE_RACE, upstream_keepalive_race, APP, 67, CRIT, 502, GW_CK(RESET) | GW_CK(PREMATURE_CLOSE), \
  "a reset or close on a reused upstream connection (`keepalive` in the upstream) while the app is healthy: the app's keep-alive timeout is shorter than nginx's") \
X(UPSTREAM_MARKED_DOWN, upstream_marked_down, UPSTREAM, 75, CRIT, 502, GW_CK(NO_LIVE) | GW_CK(CONNECT_REFUSED), \
  "`no live upstreams` while every server of the upstream answers now: nginx still counts them failed (`max_fails` / `fail_timeout`)") \
X(UPSTREAM_TLS_FAILURE, upstream_tls_failure, UPSTREAM, 82, CRIT, 502, GW_CK(TLS), \
  "nginx's TLS to the app fails: `SSL_do_handshake() failed` (a plain-HTTP app behind `https://`; 504 when it waits), `upstream SSL certificate verify error` / `does not match`") \
X(UPSTREAM_RESOLVE_FAILURE, upstream_resolve_failure, NGINX, 60, CRIT, 502, GW_CK(RESOLVE), \
  "`could not be resolved`, `host not found in upstream`") \
X(OOM_KILLED, oom_killed, APP, 88, CRIT, 502, GW_CK_DOWN | GW_CK(RESET) | GW_CK(PREMATURE_CLOSE) | \
  GW_CK(APP_WORKER_KILLED) | GW_CK(OOM_KILL), \
  "the kernel killed an app process for lack of memory, or memory is nearly exhausted") \
X(DB_UNREACHABLE, db_unreachable, DB, 70, CRIT, 500, GW_CK(APP_DB), \
  "the app's database does not accept connections; `OperationalError` in the app log") \
X(CONTAINER_LOOPBACK_BIND, container_loopback_bind, UPSTREAM, 95, CRIT, 502, GW_CK_DOWN, \
  "the app in a container listens on 127.0.0.1 inside it: the published port reaches nothing") \
X(CONTAINER_PORT_MISMATCH, container_port_mismatch, UPSTREAM, 95, CRIT, 502, GW_CK_DOWN, \
  "the published / internal port of a container differs from the nginx target or the app's port") \
X(CONTAINER_UNHEALTHY, container_unhealthy, APP, 95, CRIT, 502, 0, \
  "a container's own health check fails (a restart loop is `app_crash_loop`)") \
X(UNEXPLAINED_5XX, unexplained_5xx, NGINX, 10, CRIT, 502, GW_CK_DOWN | GW_CK(SOCKET_EACCES) | GW_CK(AGAIN) | \
  GW_CK(RESET) | GW_CK(PREMATURE_CLOSE) | GW_CK(TIMEOUT) | GW_CK(BIG_HEADER) | GW_CK(INVALID_HEADER) | \
  GW_CK(RESOLVE) | GW_CK(TLS) | GW_CK(WORKER_CONNECTIONS) | GW_CK(FD_LIMIT) | GW_CK(ADDR_NOTAVAIL), \
  "nginx fails requests now and no rule names why: the evidence is nginx's own (the request through nginx, access-log statuses, error lines)")

enum gw_cause {
#define GW_CAUSE_ENUM(E, id, hop, rank, sev, status, kinds, doc) GW_CAUSE_##E,
	GW_CAUSES(GW_CAUSE_ENUM)
#undef GW_CAUSE_ENUM
	GW_CAUSE_MAX
};

/* One row of the registry. GW_HOP_MAX as hop: no hop (healthy). */
struct gw_cause_info {
	const char *id;
	enum gw_hop hop;
	int rank;
	enum gw_severity severity;
	int client_status;
	uint32_t kinds;          /* bit GW_LOG_x: a line of kind x supports it */
	const char *doc;
};

/* The row of a cause; an out-of-range value gets a row named "unknown". */
const struct gw_cause_info *gw_cause_info(enum gw_cause c);
const char *gw_cause_id(enum gw_cause c);                /* "upstream_down" */
/* The cause with this id, or -1. */
int gw_cause_by_id(const char *id);
/* Is a log line of kind k evidence for cause c? GW_LOG_OTHER supports nothing. */
int gw_cause_supported_by(enum gw_cause c, enum gw_log_kind k);

#endif
