/* procs.h — the process table probe (libproc2 / procps 4): every process
 * with its role in the request path, and the running nginx derived from it. */
#ifndef GW_PROCS_H
#define GW_PROCS_H

#include "model.h"

/* Keeps the libproc2 handle and, per pid, what the previous tick saw
 * (cpu ticks for cpu_pct, the cgroup so it is read once per process).
 * Owned by the caller: procs_state_new() / procs_state_free(). */
struct procs_state;

struct procs_state *procs_state_new(void);
void procs_state_free(struct procs_state *st);

/* Replace s->procs with every process on the host. 0 ok, -1 error (a note
 * says why). Roles are classified; supplementary groups are read only for
 * nginx workers. As root (trust_strict), a process titled as the nginx
 * master that trust_nginx_master refuses gets GW_ROLE_OTHER and a note
 * says why: its -c / -p are never used. */
int procs_refresh(struct gw_snapshot *s, struct procs_state *st);

/* The process connector for the event loop: its fd (-1 when there is
 * none: not root, a container), readable when processes fork, exec, exit.
 * procs_pump() takes what is queued (for the next refresh) and returns 1
 * when a watched process (nginx, an app server, a database: a role at the
 * last refresh) exited since the last call. */
int procs_event_fd(struct procs_state *st);
int procs_pump(struct procs_state *st);

/* A watched process's cmdline is read every tick while it is younger than
 * settle seconds, else when the last read is recheck seconds old (10 and 5
 * by default; tests shorten them). */
void procs_title_timing(struct procs_state *st, double settle, double recheck);

/* Fill s->nginx from s->procs: the master (the one whose -c matches
 * s->conf.conf_path when known), its workers, last reload time and the
 * worker identity (from a running worker, else from s->conf.user). */
void procs_nginx_runtime(struct gw_snapshot *s);

/* Set s->nginx.stale when a file of s->conf.files changed after the last
 * reload (1 s slack). Call after procs_nginx_runtime and the config probe. */
void procs_nginx_stale(struct gw_snapshot *s);

/* Role of one process from its argv[0]-style command line and comm; the
 * parent's role decides master vs worker for gunicorn / uvicorn. Exposed
 * for tests. */
enum gw_role procs_classify(const char *cmdline, const char *comm, enum gw_role parent_role);

/* Systemd unit from a cgroup path, by systemd's rule (the first unit below
 * the slices): "/system.slice/gunicorn.service" -> "gunicorn.service",
 * "/system.slice/nginx.service/init.scope" -> "nginx.service"; "" when none
 * and for anything in a user's manager ("user@1000.service/app.slice/
 * sshd.service" is the user's to name: never offered for restart). */
void procs_unit_from_cgroup(const char *cgroup, char *unit, size_t size);

/* Index of the process with that pid in s->procs, -1 none. */
int procs_find(const struct gw_snapshot *s, pid_t pid);

#endif
