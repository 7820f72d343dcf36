/* actions.c — restart / start a unit, reload nginx, nginx -t: asynchronous
 * jobs on the loop, audited to the journal (see actions.h).
 *
 * A unit job: Get(MainPID) -> match JobRemoved + Subscribe -> RestartUnit /
 * StartUnit / ReloadUnit(name, "replace") -> the JobRemoved signal of our
 * job -> Get(MainPID) again -> callback. One job at a time; the object owns
 * its own bus connection (independent of the probe's).
 *
 * A container job talks HTTP to the engine's unix socket through its own
 * curlev (libcurl multi on the loop): GET /containers/{id}/json (pid before)
 * -> POST /containers/{id}/restart -> GET .../json (pid and state after). */
#include "actions.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>
#include <curl/curl.h>
#include <jansson.h>

#include "audit.h"
#include "curlev.h"
#include "docker.h"
#include "nginx_test.h"
#include "trust.h"

#define ACT_JOB_USEC (90 * 1000000ULL)     /* give up following a job after this */
#define ACT_SETTLE_USEC (600 * 1000ULL)     /* let nginx start its new workers */
#define ACT_MAXW 64
#define ACT_ENGINE_MS 5000L                 /* an inspect */
#define ACT_RESTART_MS 70000L               /* docker restart: stop timeout (t=10) + start */
#define ACT_BODY_MAX (1 << 20)

struct actions {
	sd_event *e;
	sd_bus *bus;
	int read_only;
	char nginx_bin[GW_PATH];

	/* the job in flight */
	int busy;
	enum actions_kind kind;
	char unit[GW_NAME];
	char method[32];             /* RestartUnit, StartUnit, ReloadUnit */
	actions_cb cb;
	void *ud;
	sd_bus_slot *match, *call;
	sd_event_source *timer, *defer;
	char job[256];
	pid_t old_main;
	/* nginx */
	struct gw_nginx_test nt;
	char conf[GW_PATH], prefix[GW_PATH];
	pid_t master;
	int master_fd;               /* pidfd of master, -1 none (owned) */
	unsigned long long master_ticks;   /* its start time in clock ticks */
	pid_t old_w[ACT_MAXW];
	int nold;
	/* a result waiting for the loop (refusals) */
	int pend_ok;
	char pend_msg[GW_LINE];
	/* a container job (engine API); cv is created on first use, owned */
	struct curlev *cv;
	char sock[GW_PATH];
	char cid[72];
	int step;                    /* 0 inspect before, 1 restart, 2 inspect after */
	pid_t old_pid;
	char *body;                  /* the response being read, owned */
	size_t blen;
	char errbuf[CURL_ERROR_SIZE];
	char audit_err[256];         /* this job's audit records that failed, "" none */
};

static const char *const act_names[] = { "restart", "start", "reload-nginx", "nginx-test", "restart-container" };

/* ------------------------------------------------------------ audit + finish */

/* Journal AND syslog (audit.h); a record either could not take is kept
 * in audit_err, which the job's outcome shows (the status line). */
static void act_audit(struct actions *a, const char *phase, const char *msg)
{
	char why[256];
	if (audit_write(strcmp(phase, "failed") ? LOG_NOTICE : LOG_WARNING, act_names[a->kind], a->unit,
		a->cid, phase, msg, why, sizeof why) < 0 && !a->audit_err[0])
		GW_COPY(a->audit_err, why);
}

static void act_reset(struct actions *a)
{
	a->match = sd_bus_slot_unref(a->match);
	a->call = sd_bus_slot_unref(a->call);
	a->timer = sd_event_source_disable_unref(a->timer);
	a->defer = sd_event_source_disable_unref(a->defer);
	if (nginx_test_running(&a->nt)) nginx_test_cancel(&a->nt);
	if (a->master_fd >= 0) close(a->master_fd);
	a->master_fd = -1;
	/* a container job finishes from its last transfer's callback: nothing
	 * is in flight then, and curlev may not be cancelled from there */
	free(a->body);
	a->body = NULL;
	a->blen = 0;
	a->cid[0] = '\0';
	a->job[0] = '\0';
	a->busy = 0;
}

static void act_finish(struct actions *a, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void act_finish(struct actions *a, int ok, const char *fmt, ...)
{
	char msg[GW_LINE];
	va_list ap;
	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0) msg[0] = '\0';
	va_end(ap);
	act_audit(a, ok ? "done" : "failed", msg);
	if (a->audit_err[0]) {
		size_t l = strlen(msg);
		gw_fmt(msg + l, sizeof msg - l, " [audit not fully written: %s]", a->audit_err);
	}
	actions_cb cb = a->cb;
	void *ud = a->ud;
	enum actions_kind k = a->kind;
	act_reset(a);
	if (cb) cb(ud, k, ok, msg);
}

static int act_on_defer(sd_event_source *es, void *ud)
{
	struct actions *a = ud;
	(void)es;
	act_finish(a, a->pend_ok, "%s", a->pend_msg);
	return 0;
}

/* Refuse / fail before anything asynchronous started: deliver from the loop. */
static int act_later(struct actions *a, int ok, const char *msg)
{
	a->pend_ok = ok;
	GW_COPY(a->pend_msg, msg);
	if (sd_event_add_defer(a->e, &a->defer, act_on_defer, a) < 0) {
		a->busy = 0;
		return -ENOMEM;
	}
	return 0;
}

/* ------------------------------------------------------------ lifecycle */

struct actions *actions_new(sd_event *e, int read_only, const char *nginx_bin)
{
	struct actions *a = gw_xcalloc(1, sizeof *a);
	a->e = sd_event_ref(e);
	a->read_only = read_only;
	GW_COPY(a->nginx_bin, nginx_bin ? nginx_bin : "nginx");
	a->master_fd = -1;
	return a;
}

void actions_free(struct actions *a)
{
	if (!a) return;
	curlev_free(a->cv);              /* drops a container request in flight */
	act_reset(a);
	if (a->bus) sd_bus_flush_close_unref(a->bus);
	sd_event_unref(a->e);
	free(a);
}

int actions_busy(const struct actions *a)
{
	return a->busy;
}

int actions_read_only(const struct actions *a)
{
	return a->read_only;
}

/* Begin a job; 1 = go on, 0 = refused (callback already scheduled). */
static int act_begin(struct actions *a, enum actions_kind k, const char *unit, actions_cb cb, void *ud, int *ret)
{
	*ret = 0;
	if (a->busy) {
		/* cannot use the job slot: answer through a one-off defer would clash; say so synchronously-later */
		*ret = -EBUSY;
		return 0;
	}
	a->busy = 1;
	a->kind = k;
	a->cb = cb;
	a->ud = ud;
	GW_COPY(a->unit, unit ? unit : "");
	a->audit_err[0] = '\0';
	act_audit(a, "requested", "asked from the dashboard");
	if (a->read_only && k != ACT_NGINX_TEST) {
		*ret = act_later(a, 0, "refused: gwtop runs with --read-only (no restarts, no reloads)");
		return 0;
	}
	return 1;
}

/* ------------------------------------------------------------ bus helpers */

static int act_bus(struct actions *a, char *err, size_t n)
{
	int r;
	if (a->bus && sd_bus_is_open(a->bus) > 0) return 0;
	if (a->bus) a->bus = sd_bus_flush_close_unref(a->bus);
	if ((r = sd_bus_open_system(&a->bus)) < 0) {
		gw_fmt(err, n, "systemd is not reachable over D-Bus (%s)", strerror(-r));
		a->bus = NULL;
		return r;
	}
	if ((r = sd_bus_attach_event(a->bus, a->e, SD_EVENT_PRIORITY_NORMAL)) < 0) {
		gw_fmt(err, n, "sd_bus_attach_event: %s", strerror(-r));
		a->bus = sd_bus_flush_close_unref(a->bus);
		return r;
	}
	return 0;
}

static int act_unit_name_ok(const char *u)
{
	if (!u[0] || u[0] == '-' || strlen(u) >= GW_NAME) return 0;
	for (const char *p = u; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(":_.@-\\", *p)) return 0;
	return strchr(u, '.') != NULL;
}

static void act_bus_error(struct actions *a, const sd_bus_error *e)
{
	const char *verb = a->kind == ACT_RELOAD_NGINX ? "reload" : act_names[a->kind];
	if (sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED) ||
	    sd_bus_error_has_name(e, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED) ||
	    (geteuid() != 0 && sd_bus_error_has_name(e, "org.freedesktop.DBus.Error.AuthFailed")))
		act_finish(a, 0, "needs root: run sudo gwtop, or: sudo systemctl %s %s (systemd: %s)", verb, a->unit,
			   e->message ? e->message : e->name);
	else if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit"))
		act_finish(a, 0, "no such unit %s", a->unit);
	else if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.JobTypeNotApplicable"))
		act_finish(a, 0, "cannot %s %s: %s", verb, a->unit, e->message ? e->message : e->name);
	else
		act_finish(a, 0, "%s %s failed: %s%s%s", verb, a->unit, e->name ? e->name : "error",
			   e->message ? ": " : "", e->message ? e->message : "");
}

static int act_get_main_pid(struct actions *a, sd_bus_message_handler_t cb)
{
	char *path = NULL;
	int r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", a->unit, &path);
	if (r < 0) return r;
	a->call = sd_bus_slot_unref(a->call);
	r = sd_bus_call_method_async(a->bus, &a->call, "org.freedesktop.systemd1", path,
				     "org.freedesktop.DBus.Properties", "Get", cb, a, "ss",
				     "org.freedesktop.systemd1.Service", "MainPID");
	free(path);
	return r;
}

static pid_t act_read_main_pid(sd_bus_message *m)
{
	uint32_t pid = 0;
	if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "v", "u", &pid) < 0) return 0;
	return (pid_t)pid;
}

/* ------------------------------------------------------------ the master, pinned */

unsigned long long actions_start_ticks(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (gw_read_small(path, buf, sizeof buf) <= 0) return 0;
	const char *q = strrchr(buf, ')');     /* the comm may hold anything */
	if (!q) return 0;
	q++;
	/* the tokens after "comm)" are fields 3, 4, ...: the start time is
	 * field 22, the 20th of them */
	for (int tok = 1; tok < 20; tok++) {
		while (*q == ' ') q++;
		while (*q && *q != ' ') q++;
		if (!*q) return 0;
	}
	while (*q == ' ') q++;
	return strtoull(q, NULL, 10);
}

int actions_pin(pid_t pid, double expect_start, int *pidfd, unsigned long long *ticks, char *why, size_t n)
{
	*pidfd = -1;
	*ticks = 0;
	if (pid <= 0) {
		gw_fmt(why, n, "no process");
		return -1;
	}
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		gw_fmt(why, n, "pid %d: %s", (int)pid, strerror(errno));
		return -1;
	}
	/* after the pidfd: if pid still has the start time the snapshot saw,
	 * the pidfd is that process (a live pid is never reused) */
	unsigned long long t = actions_start_ticks(pid);
	long hz = sysconf(_SC_CLK_TCK);
	struct timespec bt;
	clock_gettime(CLOCK_BOOTTIME, &bt);
	double boot = gw_now() - (bt.tv_sec + bt.tv_nsec / 1e9);
	double start = boot + (double)t / (double)(hz > 0 ? hz : 100);
	if (!t || (expect_start > 0 && (start - expect_start > 1.0 || expect_start - start > 1.0))) {
		close(fd);
		gw_fmt(why, n, "pid %d is no longer the process gwtop saw", (int)pid);
		return -1;
	}
	*pidfd = fd;
	*ticks = t;
	return 0;
}

int actions_signal_pinned(int pidfd, pid_t pid, unsigned long long ticks, int sig, char *why, size_t n)
{
	if (pidfd < 0 || actions_start_ticks(pid) != ticks) {
		gw_fmt(why, n, "pid %d is no longer the process gwtop saw (it exited or its pid was reused)", (int)pid);
		errno = ESRCH;
		return -1;
	}
	/* by pidfd: a process that exited since is ESRCH, never a new one */
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0) {
		int e = errno;
		if (e == ESRCH) gw_fmt(why, n, "pid %d exited", (int)pid);
		else gw_fmt(why, n, "%s", strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ nginx workers */

/* Live workers of master (children not "shutting down"), sorted by pid. */
static int act_workers(pid_t master, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;
	if (!d || master <= 0) { if (d) closedir(d); return 0; }
	while ((de = readdir(d)) && n < max) {
		char path[300];
		size_t len;
		if (!isdigit((unsigned char)de->d_name[0])) continue;
		pid_t pid = gw_atoi(de->d_name);
		if (pid <= 0 || gw_proc_ppid(pid) != master) continue;
		gw_fmt(path, sizeof path, "/proc/%d/cmdline", (int)pid);
		char *cl = gw_read_file(path, 4096, &len);
		if (cl && !strstr(cl, "shutting down") && strstr(cl, "worker process")) out[n++] = pid;
		free(cl);
	}
	closedir(d);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && out[j] < out[j - 1]; j--) { pid_t t = out[j]; out[j] = out[j - 1]; out[j - 1] = t; }
	return n;
}

static void act_pids_str(const pid_t *p, int n, char *buf, size_t size)
{
	buf[0] = '\0';
	for (int i = 0; i < n; i++) gw_append(buf, size, "%s%d", i ? " " : "", (int)p[i]);
	if (!n) gw_fmt(buf, size, "none");
}

static int act_on_settled(sd_event_source *es, uint64_t usec, void *ud)
{
	struct actions *a = ud;
	pid_t now[ACT_MAXW];
	char before[512], after[512];
	(void)es;
	(void)usec;
	int n = act_workers(a->master, now, ACT_MAXW);
	act_pids_str(a->old_w, a->nold, before, sizeof before);
	act_pids_str(now, n, after, sizeof after);
	int changed = n != a->nold;
	for (int i = 0; i < n && !changed; i++) changed = now[i] != a->old_w[i];
	if (changed)
		act_finish(a, 1, "reloaded nginx%s%s (master %d): workers %s -> %s", a->unit[0] ? " via " : " by SIGHUP",
			   a->unit, (int)a->master, before, after);
	else
		act_finish(a, 0, "reload sent to nginx (master %d) but its workers did not change (%s): see the error log",
			   (int)a->master, before);
	return 0;
}

static void act_settle(struct actions *a)
{
	uint64_t now;
	a->timer = sd_event_source_disable_unref(a->timer);
	sd_event_now(a->e, CLOCK_MONOTONIC, &now);
	if (sd_event_add_time(a->e, &a->timer, CLOCK_MONOTONIC, now + ACT_SETTLE_USEC, 10000, act_on_settled, a) < 0)
		act_finish(a, 1, "reload sent to nginx (master %d)", (int)a->master);
}

/* ------------------------------------------------------------ unit jobs */

static int act_on_main_after(sd_bus_message *m, void *ud, sd_bus_error *ret)
{
	struct actions *a = ud;
	(void)ret;
	pid_t pid = act_read_main_pid(m);
	a->call = sd_bus_slot_unref(a->call);
	if (a->kind == ACT_RESTART)
		act_finish(a, 1, "restarted %s: MainPID %d -> %d", a->unit, (int)a->old_main, (int)pid);
	else
		act_finish(a, 1, "started %s: MainPID %d", a->unit, (int)pid);
	return 0;
}

static int act_on_job_removed(sd_bus_message *m, void *ud, sd_bus_error *ret)
{
	struct actions *a = ud;
	uint32_t id;
	const char *job, *unit, *result;
	(void)ret;
	if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) < 0) return 0;
	if (!a->job[0] || strcmp(job, a->job)) return 0;
	a->match = sd_bus_slot_unref(a->match);
	if (strcmp(result, "done")) {
		act_finish(a, 0, "%s %s: the job ended with result '%s' (see journalctl -u %s -n 50)",
			   a->kind == ACT_RELOAD_NGINX ? "reload" : act_names[a->kind], a->unit, result, a->unit);
		return 0;
	}
	if (a->kind == ACT_RELOAD_NGINX) {
		act_settle(a);
		return 0;
	}
	if (act_get_main_pid(a, act_on_main_after) < 0)
		act_finish(a, 1, "%s %s: done", act_names[a->kind], a->unit);
	return 0;
}

static int act_on_job_timeout(sd_event_source *es, uint64_t usec, void *ud)
{
	struct actions *a = ud;
	(void)es;
	(void)usec;
	act_finish(a, 0, "%s %s: still running after %d s; see systemctl status %s",
		   a->kind == ACT_RELOAD_NGINX ? "reload" : act_names[a->kind], a->unit, (int)(ACT_JOB_USEC / 1000000), a->unit);
	return 0;
}

static int act_on_enqueued(sd_bus_message *m, void *ud, sd_bus_error *ret)
{
	struct actions *a = ud;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	const char *job;
	uint64_t now;
	(void)ret;
	a->call = sd_bus_slot_unref(a->call);
	if (e) { act_bus_error(a, e); return 0; }
	if (sd_bus_message_read(m, "o", &job) < 0) { act_finish(a, 0, "%s: bad reply from systemd", a->method); return 0; }
	GW_COPY(a->job, job);
	sd_event_now(a->e, CLOCK_MONOTONIC, &now);
	sd_event_add_time(a->e, &a->timer, CLOCK_MONOTONIC, now + ACT_JOB_USEC, 100000, act_on_job_timeout, a);
	return 0;
}

static int act_enqueue(struct actions *a)
{
	int r = sd_bus_match_signal_async(a->bus, &a->match, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
					  "org.freedesktop.systemd1.Manager", "JobRemoved", act_on_job_removed, NULL, a);
	if (r < 0) return r;
	/* systemd emits job signals only to subscribers (harmless if already) */
	sd_bus_call_method_async(a->bus, NULL, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				 "org.freedesktop.systemd1.Manager", "Subscribe", NULL, NULL, "");
	return sd_bus_call_method_async(a->bus, &a->call, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
					"org.freedesktop.systemd1.Manager", a->method, act_on_enqueued, a, "ss",
					a->unit, "replace");
}

static int act_on_main_before(sd_bus_message *m, void *ud, sd_bus_error *ret)
{
	struct actions *a = ud;
	(void)ret;
	a->old_main = act_read_main_pid(m);
	a->call = sd_bus_slot_unref(a->call);
	if (act_enqueue(a) < 0) act_finish(a, 0, "%s %s: cannot talk to systemd", act_names[a->kind], a->unit);
	return 0;
}

static int act_unit_job(struct actions *a, enum actions_kind k, const char *method, const char *unit,
			actions_cb cb, void *ud)
{
	char err[GW_TEXT];
	int ret;
	if (!act_begin(a, k, unit, cb, ud, &ret)) return ret;
	GW_COPY(a->method, method);
	if (!unit || !act_unit_name_ok(unit)) return act_later(a, 0, "refused: not a unit name");
	if (act_bus(a, err, sizeof err) < 0) {
		char msg[GW_TEXT + GW_NAME + 64];
		gw_fmt(msg, sizeof msg, "%s; by hand: systemctl %s %s", err, act_names[k], unit);
		return act_later(a, 0, msg);
	}
	if (act_get_main_pid(a, act_on_main_before) < 0) return act_later(a, 0, "cannot ask systemd for the unit");
	return 0;
}

int actions_restart_unit(struct actions *a, const char *unit, actions_cb cb, void *ud)
{
	return act_unit_job(a, ACT_RESTART, "RestartUnit", unit, cb, ud);
}

int actions_start_unit(struct actions *a, const char *unit, actions_cb cb, void *ud)
{
	return act_unit_job(a, ACT_START, "StartUnit", unit, cb, ud);
}

/* ------------------------------------------------------------ container jobs */

static size_t act_on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct actions *a = ud;
	size_t n = size * nmemb;
	return gw_buf_append(&a->body, &a->blen, ACT_BODY_MAX, ptr, n) ? n : 0;
}

static void act_on_engine(CURL *easy, CURLcode res, void *ud);

/* One request to the engine (docker.c's client); the answer arrives in
 * act_on_engine. */
static int act_engine(struct actions *a, int post, const char *path, long ms)
{
	free(a->body);
	a->body = NULL;
	a->blen = 0;
	a->errbuf[0] = '\0';
	CURL *c = docker_engine_request(a->sock, path, 2000L, ms, a->errbuf, act_on_body, a);
	if (!c) return -1;
	if (post) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	}
	return curlev_add(a->cv, c, act_on_engine, a);
}

/* The engine's {"message": ...} of an error body, else the body's start. */
static void act_engine_message(const struct actions *a, char *buf, size_t size)
{
	json_t *j = a->body ? json_loadb(a->body, a->blen, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(j, "message"));
	if (m) gw_fmt(buf, size, "%s", m);
	else gw_fmt(buf, size, "%.200s", a->body ? a->body : "empty answer");
	json_decref(j);
}

/* State.Pid and State.Status of an inspect body (0 / "" if unknown). */
static pid_t act_inspect_state(const struct actions *a, char *status, size_t size)
{
	json_t *j = a->body ? json_loadb(a->body, a->blen, 0, NULL) : NULL;
	json_t *st = json_object_get(j, "State");
	pid_t pid = (pid_t)json_integer_value(json_object_get(st, "Pid"));
	const char *stat = json_string_value(json_object_get(st, "Status"));
	gw_fmt(status, size, "%s", stat ? stat : "");
	json_decref(j);
	return pid;
}

static void act_on_engine(CURL *easy, CURLcode res, void *ud)
{
	struct actions *a = ud;
	char path[128], msg[GW_TEXT], state[32];
	long code = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	if (res != CURLE_OK) {
		act_finish(a, 0, "the container engine at %s did not answer (%s)%s; by hand: docker restart %s", a->sock,
			   a->errbuf[0] ? a->errbuf : curl_easy_strerror(res),
			   a->step == 1 ? ": the restart may still be under way" : "", a->unit);
		return;
	}
	if (code == 404) {
		act_engine_message(a, msg, sizeof msg);
		act_finish(a, 0, "no such container %s (%s)", a->unit, msg);
		return;
	}
	switch (a->step) {
	case 0:
		if (code == 200) a->old_pid = act_inspect_state(a, state, sizeof state);
		a->step = 1;
		gw_fmt(path, sizeof path, "/containers/%s/restart?t=10", a->cid);
		if (act_engine(a, 1, path, ACT_RESTART_MS) < 0)
			act_finish(a, 0, "cannot send the restart to %s; by hand: docker restart %s", a->sock, a->unit);
		return;
	case 1:
		if (code != 204 && code != 200) {
			act_engine_message(a, msg, sizeof msg);
			act_finish(a, 0, "docker restart %s failed: HTTP %ld: %s", a->unit, code, msg);
			return;
		}
		act_audit(a, "restarted", "the engine restarted the container");
		a->step = 2;
		gw_fmt(path, sizeof path, "/containers/%s/json", a->cid);
		if (act_engine(a, 0, path, ACT_ENGINE_MS) < 0)
			act_finish(a, 1, "restarted container %s", a->unit);
		return;
	default: {
		pid_t pid = code == 200 ? act_inspect_state(a, state, sizeof state) : 0;
		if (code != 200)
			act_finish(a, 1, "restarted container %s", a->unit);
		else if (strcmp(state, "running"))
			act_finish(a, 0, "restarted container %s, but it is %s now (see docker logs %s)", a->unit,
				   state[0] ? state : "not running", a->unit);
		else
			act_finish(a, 1, "restarted container %s: pid %d -> %d, running", a->unit, (int)a->old_pid, (int)pid);
		return;
	}
	}
}

static int act_container_ref_ok(const char *s)
{
	if (!s[0] || s[0] == '-' || s[0] == '.' || strlen(s) >= 72) return 0;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p)) return 0;
	return 1;
}

int actions_restart_container(struct actions *a, const char *socket_path, const char *id, const char *name,
			      actions_cb cb, void *ud)
{
	char path[128];
	int ret;
	const char *ref = id && id[0] ? id : name;
	if (a->busy) return -EBUSY;
	if (ref && act_container_ref_ok(ref)) GW_COPY(a->cid, ref);
	if (!act_begin(a, ACT_RESTART_CONTAINER, name && name[0] ? name : ref, cb, ud, &ret)) return ret;
	if (!a->cid[0]) return act_later(a, 0, "refused: not a container id or name");
	if (!socket_path || !socket_path[0]) return act_later(a, 0, "no container engine socket known");
	GW_COPY(a->sock, socket_path);
	if (!a->cv && !(a->cv = curlev_new(a->e))) return act_later(a, 0, "cannot set up libcurl");
	a->step = 0;
	a->old_pid = 0;
	gw_fmt(path, sizeof path, "/containers/%s/json", a->cid);
	if (act_engine(a, 0, path, ACT_ENGINE_MS) < 0) return act_later(a, 0, "cannot set up the request to the engine");
	return 0;
}

/* ------------------------------------------------------------ nginx */

const char *actions_app_unit(const struct gw_snapshot *s)
{
	for (size_t i = 0; i < s->units.n; i++)
		if (s->units.v[i].is_app) return s->units.v[i].name;
	return "";
}

const char *actions_nginx_unit(const struct gw_snapshot *s)
{
	for (size_t i = 0; i < s->units.n; i++)
		if (s->units.v[i].is_nginx && s->units.v[i].loaded) return s->units.v[i].name;
	for (size_t i = 0; i < s->procs.n; i++)
		if (s->procs.v[i].pid == s->nginx.master_pid && gw_ends_with(s->procs.v[i].unit, ".service"))
			return s->procs.v[i].unit;
	return "";
}

static void act_first_lines(const char *out, char *buf, size_t size)
{
	buf[0] = '\0';
	for (const char *p = out; *p;) {
		size_t n = strcspn(p, "\n");
		if (n && !memmem(p, n, "test failed", 11)) gw_append(buf, size, "%s%.*s", buf[0] ? " | " : "", (int)n, p);
		p += n + (p[n] == '\n');
		if (strlen(buf) > 300) break;
	}
}

static void act_on_test(void *ud)
{
	struct actions *a = ud;
	char lines[GW_TEXT];
	act_first_lines(a->nt.output, lines, sizeof lines);
	if (a->kind == ACT_NGINX_TEST) {
		act_finish(a, a->nt.ok, "nginx -t %s: %s", a->nt.ok ? "ok" : "FAILED", lines);
		return;
	}
	if (!a->nt.ok) {
		act_finish(a, 0, "refused to reload: nginx -t failed (the running nginx keeps its old config): %s", lines);
		return;
	}
	if (a->unit[0]) {
		char err[GW_TEXT];
		if (act_bus(a, err, sizeof err) < 0 || act_enqueue(a) < 0) {
			act_finish(a, 0, "nginx -t ok, but %s; by hand: systemctl reload %s", err, a->unit);
			return;
		}
		return;
	}
	if (a->master <= 0) {
		act_finish(a, 0, "nginx -t ok, but no nginx master process to reload");
		return;
	}
	char why[GW_TEXT];
	if (actions_signal_pinned(a->master_fd, a->master, a->master_ticks, SIGHUP, why, sizeof why) < 0) {
		if (errno == EPERM)
			act_finish(a, 0, "needs root: run sudo gwtop, or: sudo kill -HUP %d (nginx master)", (int)a->master);
		else
			act_finish(a, 0, "not reloaded: %s", why);
		return;
	}
	act_audit(a, "signalled", "SIGHUP sent to the nginx master");
	act_settle(a);
}

static int act_nginx(struct actions *a, enum actions_kind k, const struct gw_snapshot *s, actions_cb cb, void *ud)
{
	int ret;
	const char *unit = k == ACT_RELOAD_NGINX ? actions_nginx_unit(s) : "";
	if (!act_begin(a, k, unit, cb, ud, &ret)) return ret;
	GW_COPY(a->method, "ReloadUnit");
	GW_COPY(a->conf, s->conf.conf_path[0] ? s->conf.conf_path : "/etc/nginx/nginx.conf");
	GW_COPY(a->prefix, s->conf.prefix);
	a->master = s->nginx.master_pid;
	a->nold = act_workers(a->master, a->old_w, ACT_MAXW);
	char why[GW_TEXT];
	/* as root: nothing another user could change (trust.h), includes too */
	if (!trust_nginx_test_ok(a->nginx_bin, a->conf, a->prefix, &s->conf, why, sizeof why))
		return act_later(a, 0, why);
	/* the signal goes to this very process (pidfd), not to whatever
	 * holds its pid by the time nginx -t is done */
	if (k == ACT_RELOAD_NGINX && !unit[0] && a->master > 0 &&
	    actions_pin(a->master, s->nginx.master_start, &a->master_fd, &a->master_ticks, why, sizeof why) < 0) {
		char msg[GW_TEXT + 32];
		gw_fmt(msg, sizeof msg, "not reloaded: %s", why);
		return act_later(a, 0, msg);
	}
	int r = nginx_test_start(a->e, a->nginx_bin, a->conf, a->prefix[0] ? a->prefix : NULL, 10.0, &a->nt,
				 act_on_test, a);
	if (r < 0) {
		char msg[GW_TEXT + 64];
		gw_fmt(msg, sizeof msg, "cannot run nginx -t: %s", a->nt.output[0] ? a->nt.output : strerror(-r));
		return act_later(a, 0, msg);
	}
	return 0;
}

int actions_reload_nginx(struct actions *a, const struct gw_snapshot *s, actions_cb cb, void *ud)
{
	return act_nginx(a, ACT_RELOAD_NGINX, s, cb, ud);
}

int actions_nginx_test(struct actions *a, const struct gw_snapshot *s, actions_cb cb, void *ud)
{
	return act_nginx(a, ACT_NGINX_TEST, s, cb, ud);
}

void actions_confirm_text(enum actions_kind kind, const char *unit, const struct gw_snapshot *s,
			  char *buf, size_t size)
{
	const char *nu = s ? actions_nginx_unit(s) : "";
	switch (kind) {
	case ACT_RESTART:
		gw_fmt(buf, size, "Restart %s? (systemctl restart %s) [y/N]", unit, unit);
		break;
	case ACT_START:
		gw_fmt(buf, size, "Start %s? (systemctl start %s) [y/N]", unit, unit);
		break;
	case ACT_RELOAD_NGINX:
		if (nu[0])
			gw_fmt(buf, size, "Reload nginx? (nginx -t && systemctl reload %s) [y/N]", nu);
		else
			gw_fmt(buf, size, "Reload nginx? (nginx -t && kill -HUP %d) [y/N]", s ? (int)s->nginx.master_pid : 0);
		break;
	case ACT_RESTART_CONTAINER:
		gw_fmt(buf, size, "Restart container %s? (docker restart %s) [y/N]", unit, unit);
		break;
	case ACT_NGINX_TEST:
		gw_fmt(buf, size, "Run nginx -t? (nginx -t -c %s) [y/N]",
		       s && s->conf.conf_path[0] ? s->conf.conf_path : "/etc/nginx/nginx.conf");
		break;
	}
}
