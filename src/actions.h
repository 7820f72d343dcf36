/* actions.h — the only code in gwtop that changes the system: restart /
 * start a unit, reload nginx (gated on `nginx -t`), run `nginx -t`. Every
 * action is an asynchronous job on the sd-event loop; its outcome arrives
 * through a callback as one human sentence, and action + outcome are
 * written to the journal (SYSLOG_IDENTIFIER=gwtop). A read-only actions
 * object refuses everything. The UI asks y/N first (actions_confirm_text). */
#ifndef GW_ACTIONS_H
#define GW_ACTIONS_H

#include <systemd/sd-event.h>

#include "model.h"

enum actions_kind { ACT_RESTART, ACT_START, ACT_RELOAD_NGINX, ACT_NGINX_TEST, ACT_RESTART_CONTAINER };

/* ok: 1 done, 0 failed or refused. msg: "restarted gunicorn.service:
 * MainPID 56 -> 63", "refused: read-only mode", "needs root: run sudo
 * gwtop, or: sudo systemctl restart gunicorn.service", "nginx -t failed,
 * not reloading: ...". Valid only during the call. */
typedef void (*actions_cb)(void *ud, enum actions_kind kind, int ok, const char *msg);

struct actions;

/* nginx_bin: NULL = "nginx" from PATH. */
struct actions *actions_new(sd_event *e, int read_only, const char *nginx_bin);
/* Cancels a job in flight (its callback is not called). */
void actions_free(struct actions *a);
int actions_busy(const struct actions *a);
int actions_read_only(const struct actions *a);

/* Each returns 0 and calls cb exactly once, later, from the loop — also
 * for refusals (read-only, bad unit name, no bus). Returns -EBUSY without
 * calling cb while another job is in flight (actions_busy). */
int actions_restart_unit(struct actions *a, const char *unit, actions_cb cb, void *ud);
int actions_start_unit(struct actions *a, const char *unit, actions_cb cb, void *ud);
/* POST /containers/{id}/restart on the engine's unix socket (libcurl
 * multi on the loop), then GET /containers/{id}/json for the new state:
 * msg "restarted container app-ok: pid 812 -> 1040, running" or the
 * engine's error ("no such container ..."). name is for messages and the
 * audit (GWTOP_UNIT=name, GWTOP_CONTAINER=id). Read-only refuses. */
int actions_restart_container(struct actions *a, const char *socket_path, const char *id, const char *name,
			      actions_cb cb, void *ud);
/* nginx -t on s->conf.conf_path first; refuses when it fails. Then
 * ReloadUnit when nginx runs as a unit (s->units is_nginx, or the master's
 * cgroup), else SIGHUP to s->nginx.master_pid; reports the new workers. */
int actions_reload_nginx(struct actions *a, const struct gw_snapshot *s, actions_cb cb, void *ud);
/* nginx -t alone (read-only: allowed). msg = nginx's output. */
int actions_nginx_test(struct actions *a, const struct gw_snapshot *s, actions_cb cb, void *ud);

/* The y/N question for a kind: "Restart gunicorn.service? (systemctl
 * restart gunicorn.service) [y/N]"; unit may be NULL for nginx kinds
 * (then the nginx unit name of s, or "nginx" by signal). For
 * ACT_RESTART_CONTAINER unit is the container's name: "Restart container
 * app-ok? (docker restart app-ok) [y/N]". */
void actions_confirm_text(enum actions_kind kind, const char *unit, const struct gw_snapshot *s,
			  char *buf, size_t size);

/* The reload's target, pinned (exposed for tests). actions_pin opens a
 * pidfd of pid and checks that pid still has the start time expect_start
 * (epoch seconds, 1 s slack; <= 0: any) — then the pidfd is that process;
 * *ticks gets its start time in clock ticks. actions_signal_pinned reads
 * the start time of pid again just before the signal and sends it through
 * the pidfd: another process now under that pid is never signalled. Both
 * return 0, or -1 with why (errno ESRCH when the process is gone or
 * replaced). actions_start_ticks: field 22 of /proc/PID/stat, 0 none. */
int actions_pin(pid_t pid, double expect_start, int *pidfd, unsigned long long *ticks, char *why, size_t n);
int actions_signal_pinned(int pidfd, pid_t pid, unsigned long long ticks, int sig, char *why, size_t n);
unsigned long long actions_start_ticks(pid_t pid);

/* The app unit on the request path (for `r` with nothing selected): the
 * first is_app unit of s, else "". And nginx's unit, else "". */
const char *actions_app_unit(const struct gw_snapshot *s);
const char *actions_nginx_unit(const struct gw_snapshot *s);

#endif
