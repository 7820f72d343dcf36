/* units.c — the systemd probe (see units.h).
 *
 * One pass, all on the loop, never blocking on D-Bus:
 *   list     ListUnitsByPatterns(*.service)            -> which services exist, their state
 *   discover Get(ExecStart) of inactive / failing services not seen before
 *            (cached): is it an app server, or bound to an nginx target?
 *   props    GetAll(Unit) + GetAll(Service) of every chosen unit
 *   after    history (NRestarts / MainPID across passes), journal of the
 *            app units, their environment -> s->dbs
 *   db       non-blocking connects (db.c) -> done(ud)
 * The bus connection, the history and the discovery cache live in the
 * prober; the snapshot of the pass is only borrowed until done. */
#include "units.h"
#include "addr.h"
#include "appbind.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "db.h"
#include "journal.h"
#include "procs.h"
#include "trust.h"

#define UNITS_CALL_USEC (5 * 1000000ULL)   /* one D-Bus call at most */
#define UNITS_HIST 64                      /* samples kept per unit */
#define UNITS_HIST_SPAN 300.0              /* seconds of history that count */
#define UNITS_DISC_TTL 30.0                /* rediscover a service after this */
#define UNITS_JOURNAL_SPAN (15 * 60.0)
#define UNITS_SETTLE_USEC (1500 * 1000ULL) /* notify again after a state change */

struct units_sample {
	double t;
	unsigned nrestarts;
	pid_t pid;
};

struct units_hist {
	char name[GW_NAME];
	int is_app, is_nginx;
	int n;                       /* samples used (ring) */
	int head;
	struct units_sample s[UNITS_HIST];
};

struct units_disc {
	char name[GW_NAME];
	int is_app;
	double checked;              /* monotonic */
};

struct units_listed {
	char name[GW_NAME];
	char path[GW_PATH];
	char active[32];
	char load[32];
};

struct units_want {
	char name[GW_NAME];
	int is_app, is_nginx;
};

enum units_stage { ST_IDLE, ST_LIST, ST_DISC, ST_PROPS, ST_DB };

struct units_call {
	struct units_prober *p;
	size_t idx;                  /* disc index (ST_DISC) or unit index (ST_PROPS) */
	int service_iface;
};

/* An app server's environment as read from /proc/PID/environ: fixed at
 * exec, so read once per process (pid, start time and command line). */
struct units_penv {
	pid_t pid;
	double start;
	char cmdline[GW_LINE];
	int seen;                    /* in this pass (else dropped at its end) */
	struct db_env env;
};

struct units_prober {
	sd_event *e;
	sd_bus *bus;
	struct db_probe *db;
	GW_VEC(struct units_hist) hist;
	GW_VEC(struct units_disc) disc;
	GW_VEC(struct units_penv) penv;

	/* the pass in flight */
	int busy;
	enum units_stage stage;
	struct gw_snapshot *s;
	const struct gw_options *o;
	void (*done)(void *ud);
	void *ud;
	int pending;
	GW_VEC(sd_bus_slot *) slots;
	struct units_call *calls;
	sd_event_source *defer;
	GW_VEC(struct units_listed) listed;
	GW_VEC(struct units_want) want;
	GW_VEC(size_t) probing;      /* disc indexes asked this pass */

	/* PropertiesChanged of the watched units -> notify(notify_ud) */
	void (*notify)(void *ud);
	void *notify_ud;
	sd_bus_slot *match;          /* on `bus`; dropped with it */
	sd_bus_slot *subscribe;      /* Manager.Subscribe() in flight */
	sd_event_source *settle;     /* the follow-up notifies after a change */
	int settle_left;             /* how many follow-ups are still due */
};


/* ------------------------------------------------------------ unit-file checks */

/* May user (uid, gid + groups) do `want` (R_OK/X_OK bits) on st? */
static int units_may(const struct stat *st, uid_t uid, gid_t gid, const gid_t *groups, int ng, int want)
{
	mode_t m = st->st_mode;
	int bits;
	if (uid == 0) return want & X_OK && !S_ISDIR(m) ? (m & 0111) != 0 : 1;
	if (st->st_uid == uid) bits = (m >> 6) & 7;
	else {
		int ingroup = st->st_gid == gid;
		for (int i = 0; i < ng && !ingroup; i++) ingroup = groups[i] == st->st_gid;
		bits = ingroup ? (m >> 3) & 7 : m & 7;
	}
	return (bits & want) == want;
}

static void units_push(struct units_problem *out, int max, int *n, enum gw_unit_problem_kind k, int fatal,
		       const char *path, const char *fmt, const char *a1, const char *a2)
{
	if (*n >= max) return;
	struct units_problem *p = &out[(*n)++];
	memset(p, 0, sizeof *p);
	p->kind = k;
	p->fatal = fatal;
	GW_COPY(p->path, path);
	gw_fmt(p->text, sizeof p->text, fmt, a1, a2 ? a2 : "");
}

/* The first real word of ExecStart (systemd prefixes @-:+! stripped). */
static void units_argv0(const char *exec, char *out, size_t size, const char **rest)
{
	while (*exec == ' ') exec++;
	while (*exec && strchr("@-:+!", *exec)) exec++;
	size_t n = strcspn(exec, " ");
	gw_fmt(out, size, "%.*s", (int)n, exec);
	if (rest) *rest = exec + n;
}

static int units_tmpfiles_creates(const char *dir)
{
	static const char *pats[] = { "/etc/tmpfiles.d/*.conf", "/run/tmpfiles.d/*.conf", "/usr/lib/tmpfiles.d/*.conf" };
	for (size_t i = 0; i < sizeof pats / sizeof *pats; i++) {
		glob_t g;
		if (glob(pats[i], 0, NULL, &g) != 0) continue;
		for (size_t j = 0; j < g.gl_pathc; j++) {
			size_t len;
			char *t = gw_read_file(g.gl_pathv[j], 1 << 20, &len);
			int hit = t && strstr(t, dir);
			free(t);
			if (hit) { globfree(&g); return 1; }
		}
		globfree(&g);
	}
	return 0;
}

/* Is `t` "pkg.module:attr" (attr may be a call, "create_app()")? Option
 * values like unix:/run/x.sock or 127.0.0.1:8000 are not. */
static int units_is_app_spec(const char *t)
{
	const char *colon = strchr(t, ':');
	if (!colon || colon == t || !(colon[1] == '_' || (colon[1] >= 'A' && colon[1] <= 'Z') ||
				       (colon[1] >= 'a' && colon[1] <= 'z')))
		return 0;
	for (const char *c = t; c < colon; c++) {
		int alpha = *c == '_' || (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z');
		int digit = *c >= '0' && *c <= '9';
		int first = c == t || c[-1] == '.';
		if (*c == '.' ? first || c + 1 == colon : !(alpha || (digit && !first))) return 0;
	}
	return strcmp(t, "python") != 0 && !gw_starts_with(t, "python:");
}

/* Does module "a.b.c" resolve under dir: dir/a/b/c.py or the package dir? */
static int units_module_in(const char *dir, const char *mod)
{
	char path[GW_PATH], rel[GW_PATH];
	struct stat st;
	GW_COPY(rel, mod);
	for (char *c = rel; *c; c++)
		if (*c == '.') *c = '/';
	gw_fmt(path, sizeof path, "%s/%s.py", dir, rel);
	if (stat(path, &st) == 0) return 1;
	gw_fmt(path, sizeof path, "%s/%s", dir, rel);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);   /* package or namespace package */
}

/* Installed instead (the ExecStart's virtualenv, the system's dist-packages)? */
static int units_module_installed(const char *exec0, const char *mod)
{
	char top[GW_NAME], pat[GW_PATH];
	gw_fmt(top, sizeof top, "%.*s", (int)strcspn(mod, "."), mod);
	const char *slash = strrchr(exec0, '/');
	const char *pats[4] = { "/usr/lib/python3/dist-packages", "/usr/local/lib/python3*/dist-packages", NULL, NULL };
	if (slash && slash - exec0 > 4 && !strncmp(slash - 4, "/bin", 4)) {
		gw_fmt(pat, sizeof pat, "%.*s/lib/python3*/site-packages", (int)(slash - exec0 - 4), exec0);
		pats[2] = pat;
	}
	for (int i = 0; pats[i]; i++) {
		glob_t g;
		if (glob(pats[i], 0, NULL, &g) != 0) continue;
		int hit = 0;
		for (size_t j = 0; j < g.gl_pathc && !hit; j++) hit = units_module_in(g.gl_pathv[j], top);
		globfree(&g);
		if (hit) return 1;
	}
	return 0;
}

/* gunicorn / uvicorn / hypercorn "module:app": can python import the
 * module from WorkingDirectory= (or --chdir / --app-dir), --pythonpath, or
 * is it installed? Only told when the unit sets a directory and
 * PYTHONPATH is not in Environment=. */
static void units_check_module(const struct gw_unit *u, struct units_problem *out, int max, int *n)
{
	char buf[GW_LINE], dir[GW_PATH] = "", pypath[GW_LINE] = "", spec[GW_NAME] = "", exec0[GW_PATH] = "";
	char *save = NULL, *prev = NULL;
	int server = 0;

	if (strstr(u->environment, "PYTHONPATH=")) return;
	if (u->working_dir[0] && u->working_dir[0] != '~')
		GW_COPY(dir, u->working_dir + (u->working_dir[0] == '-'));
	GW_COPY(buf, u->exec_start);
	for (char *tok = strtok_r(buf, " \t", &save); tok; prev = tok, tok = strtok_r(NULL, " \t", &save)) {
		const char *b = strrchr(tok, '/') ? strrchr(tok, '/') + 1 : tok;
		if (!server) {
			if (gw_starts_with(b, "gunicorn") || gw_starts_with(b, "uvicorn") || gw_starts_with(b, "hypercorn")) {
				server = 1;
				if (strchr(tok, '/')) GW_COPY(exec0, tok);
			} else if (!exec0[0] || gw_starts_with(b, "python")) {
				GW_COPY(exec0, tok);     /* the interpreter of "python -m gunicorn" */
			}
			continue;
		}
		if (prev && (!strcmp(prev, "--chdir") || !strcmp(prev, "--app-dir"))) GW_COPY(dir, tok);
		else if (gw_starts_with(tok, "--chdir=")) GW_COPY(dir, tok + 8);
		else if (gw_starts_with(tok, "--app-dir=")) GW_COPY(dir, tok + 10);
		else if (prev && !strcmp(prev, "--pythonpath")) GW_COPY(pypath, tok);
		else if (gw_starts_with(tok, "--pythonpath=")) GW_COPY(pypath, tok + 13);
		else if (!spec[0] && tok[0] != '-' && units_is_app_spec(tok) &&
			 !(prev && (!strcmp(prev, "-c") || !strcmp(prev, "--config"))))
			gw_fmt(spec, sizeof spec, "%.*s", (int)strcspn(tok, ":"), tok);
	}
	if (!server || !spec[0] || !dir[0]) return;
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) return;   /* reported as WorkingDirectory */
	if (units_module_in(dir, spec)) return;
	save = NULL;
	for (char *d = strtok_r(pypath, ",", &save); d; d = strtok_r(NULL, ",", &save))
		if (d[0] != '/' || units_module_in(d, spec)) return;     /* relative: cannot tell */
	if (units_module_installed(exec0, spec)) return;

	char rel[GW_PATH], text[GW_TEXT];
	GW_COPY(rel, spec);
	for (char *c = rel; *c; c++)
		if (*c == '.') *c = '/';
	gw_fmt(text, sizeof text, "module %s (ExecStart) is not importable from %s: neither %s/%s.py nor %s/%s/ exists",
	       spec, dir, dir, rel, dir, rel);
	units_push(out, max, n, UP_MODULE_MISSING, 1, dir, "%s%s", text, NULL);
}

int units_check_file(const struct gw_unit *u, struct units_problem *out, int max)
{
	int n = 0;
	struct stat st;
	uid_t uid = 0;
	gid_t gid = 0, groups[64];
	int ng = 0, user_known = 1;
	char path[GW_PATH];

	if (!u->loaded) return 0;
	if (u->user[0]) {
		struct passwd *pw = getpwnam(u->user);
		if (pw) {
			uid = pw->pw_uid;
			gid = pw->pw_gid;
			ng = 64;
			if (getgrouplist(u->user, gid, groups, &ng) < 0) ng = 0;
		} else if (strspn(u->user, "0123456789") == strlen(u->user)) {
			uid = (uid_t)gw_atoi(u->user);
		} else {
			user_known = 0;
			units_push(out, max, &n, UP_USER_MISSING, 1, u->user, "User=%s does not exist on this host%s", u->user, NULL);
		}
	}
	if (u->group[0] && !getgrnam(u->group) && strspn(u->group, "0123456789") != strlen(u->group))
		units_push(out, max, &n, UP_GROUP_MISSING, 1, u->group, "Group=%s does not exist on this host%s", u->group, NULL);
	if (u->group[0]) {
		struct group *gr = getgrnam(u->group);
		if (gr) gid = gr->gr_gid;
	}

	/* WorkingDirectory= ("-" prefix: optional; "~": the user's home) */
	if (u->working_dir[0] && u->working_dir[0] != '~') {
		int opt = u->working_dir[0] == '-';
		GW_COPY(path, u->working_dir + opt);
		if (stat(path, &st) < 0) {
			if (!opt)
				units_push(out, max, &n, UP_WORKDIR_MISSING, 1, path, "WorkingDirectory=%s does not exist (%s)",
					   path, strerror(errno));
		} else if (!S_ISDIR(st.st_mode)) {
			units_push(out, max, &n, UP_WORKDIR_MISSING, 1, path, "WorkingDirectory=%s is not a directory%s", path, NULL);
		} else if (user_known && uid != 0 && !units_may(&st, uid, gid, groups, ng, R_OK | X_OK)) {
			units_push(out, max, &n, UP_WORKDIR_UNREADABLE, 1, path, "the service user %s cannot read WorkingDirectory=%s",
				   u->user, path);
		}
	}

	/* ExecStart= binary, and the script python runs */
	if (u->exec_start[0]) {
		char a0[GW_PATH], a1[GW_PATH] = "";
		const char *rest;
		units_argv0(u->exec_start, a0, sizeof a0, &rest);
		if (a0[0] && a0[0] != '/') {
			static const char *dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
			int found = 0;
			for (size_t i = 0; i < sizeof dirs / sizeof *dirs && !found; i++) {
				gw_fmt(path, sizeof path, "%s/%s", dirs[i], a0);
				found = access(path, F_OK) == 0;
			}
			if (!found)
				units_push(out, max, &n, UP_EXEC_MISSING, 1, a0, "ExecStart binary %s is not found in systemd's search path%s", a0, NULL);
			else
				GW_COPY(a0, path);
		}
		if (a0[0] == '/') {
			if (stat(a0, &st) < 0)
				units_push(out, max, &n, UP_EXEC_MISSING, 1, a0, "ExecStart binary %s does not exist (%s)", a0, strerror(errno));
			else if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
				units_push(out, max, &n, UP_EXEC_NOT_EXEC, 1, a0, "ExecStart binary %s is not executable%s", a0, NULL);
			else if (user_known && uid != 0 && !units_may(&st, uid, gid, groups, ng, X_OK))
				units_push(out, max, &n, UP_EXEC_NOT_EXEC, 1, a0, "the service user %s cannot execute %s", u->user, a0);
		}
		/* python /path/to/venv/bin/gunicorn: the script must exist too */
		const char *b = strrchr(a0, '/') ? strrchr(a0, '/') + 1 : a0;
		if (gw_starts_with(b, "python")) {
			while (*rest == ' ') rest++;
			size_t len = strcspn(rest, " ");
			gw_fmt(a1, sizeof a1, "%.*s", (int)len, rest);
			if (a1[0] == '/' && stat(a1, &st) < 0)
				units_push(out, max, &n, UP_EXEC_MISSING, 1, a1, "%s (run by ExecStart's python) does not exist (%s)",
					   a1, strerror(errno));
		}
	}

	/* EnvironmentFile= (systemd reads them as root before dropping privileges) */
	{
		char buf[GW_TEXT], *save = NULL;
		GW_COPY(buf, u->env_files);
		for (char *f = strtok_r(buf, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
			int opt = f[0] == '-';
			if (opt) f++;
			if (!f[0]) continue;
			if (stat(f, &st) < 0) {
				if (!opt)
					units_push(out, max, &n, UP_ENVFILE_MISSING, 1, f, "EnvironmentFile=%s does not exist (%s)", f,
						   strerror(errno));
			} else if (user_known && uid != 0 && !units_may(&st, uid, gid, groups, ng, R_OK)) {
				units_push(out, max, &n, UP_ENVFILE_UNREADABLE, 0, f,
					   "EnvironmentFile=%s is not readable by the service user %s (systemd loads it as root; an app that re-reads it, e.g. python-dotenv, fails)",
					   f, u->user);
			}
		}
	}

	/* a socket directory under /run that only exists until the next boot */
	{
		struct gw_addr a;
		if (appbind_parse(u->exec_start, &a) && a.kind == GW_ADDR_UNIX && gw_starts_with(a.path, "/run/")) {
			char dir[GW_PATH];
			GW_COPY(dir, a.path);
			char *sl = strrchr(dir, '/');
			if (sl) *sl = '\0';
			if (strcmp(dir, "/run") && !u->runtime_directory && !units_tmpfiles_creates(dir))
				units_push(out, max, &n, UP_RUNTIME_DIR, 0, dir,
					   "the socket directory %s is under /run (emptied at boot) but the unit has no RuntimeDirectory=%s",
					   dir, NULL);
		}
	}
	units_check_module(u, out, max, &n);
	return n;
}

/* ------------------------------------------------------------ prober lifecycle */

struct units_prober *units_prober_new(sd_event *e)
{
	struct units_prober *p = gw_xcalloc(1, sizeof *p);
	p->e = sd_event_ref(e);
	p->db = db_probe_new(e);
	return p;
}

/* Is `name` one of the units the last passes looked at (apps, nginx)? */
static int units_watched(const struct units_prober *p, const char *name)
{
	for (size_t i = 0; i < p->hist.n; i++)
		if ((p->hist.v[i].is_app || p->hist.v[i].is_nginx) && !strcmp(p->hist.v[i].name, name)) return 1;
	return 0;
}

static int units_on_settle(sd_event_source *es, uint64_t usec, void *ud)
{
	struct units_prober *p = ud;
	(void)es;
	(void)usec;
	p->settle = sd_event_source_disable_unref(p->settle);
	if (p->notify) p->notify(p->notify_ud);
	/* a slow start binds its socket later: look again, a little later each time */
	if (--p->settle_left > 0 &&
	    sd_event_add_time_relative(p->e, &p->settle, CLOCK_MONOTONIC,
				       UNITS_SETTLE_USEC * (uint64_t)(4 - p->settle_left), 0, units_on_settle, p) < 0)
		p->settle = NULL;
	return 0;
}

/* A watched unit changed: notify now, and once more a moment later (an
 * app is "active" before it has bound its socket, and no signal follows). */
static int units_on_changed(sd_bus_message *m, void *ud, sd_bus_error *ret)
{
	struct units_prober *p = ud;
	const char *iface = NULL;
	char *name = NULL;
	(void)ret;
	if (!p->notify || sd_bus_path_decode(sd_bus_message_get_path(m), "/org/freedesktop/systemd1/unit", &name) <= 0)
		return 0;
	int hit = units_watched(p, name) && sd_bus_message_read(m, "s", &iface) >= 0 &&
		  (!strcmp(iface, "org.freedesktop.systemd1.Unit") || !strcmp(iface, "org.freedesktop.systemd1.Service"));
	free(name);
	if (!hit) return 0;
	p->notify(p->notify_ud);
	p->settle_left = 3;                  /* follow-ups at +1.5 s, +4.5 s, +9 s */
	if (!p->settle &&
	    sd_event_add_time_relative(p->e, &p->settle, CLOCK_MONOTONIC, UNITS_SETTLE_USEC, 0, units_on_settle, p) < 0)
		p->settle = NULL;
	return 0;
}

static int units_on_subscribed(sd_bus_message *m, void *ud, sd_bus_error *ret)
{
	struct units_prober *p = ud;
	(void)m;
	(void)ret;
	p->subscribe = sd_bus_slot_unref(p->subscribe);
	return 0;
}

/* Ask systemd for its signals (it sends them on the system bus only while
 * a client is subscribed) and listen to the units' PropertiesChanged. */
static void units_subscribe(struct units_prober *p)
{
	if (!p->notify || !p->bus || p->match) return;
	if (sd_bus_add_match_async(p->bus, &p->match,
				   "type='signal',sender='org.freedesktop.systemd1',"
				   "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
				   "path_namespace='/org/freedesktop/systemd1/unit'",
				   units_on_changed, NULL, p) < 0) {
		p->match = NULL;
		return;
	}
	if (sd_bus_call_method_async(p->bus, &p->subscribe, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				     "org.freedesktop.systemd1.Manager", "Subscribe", units_on_subscribed, p, NULL) < 0)
		p->subscribe = NULL;
}

static void units_unsubscribe(struct units_prober *p)
{
	p->match = sd_bus_slot_unref(p->match);
	p->subscribe = sd_bus_slot_unref(p->subscribe);
	p->settle = sd_event_source_disable_unref(p->settle);
}

void units_prober_set_notify(struct units_prober *p, void (*fn)(void *ud), void *ud)
{
	p->notify = fn;
	p->notify_ud = ud;
	if (!fn) units_unsubscribe(p);
	else units_subscribe(p);
}

static void units_pass_reset(struct units_prober *p)
{
	for (size_t i = 0; i < p->slots.n; i++) sd_bus_slot_unref(p->slots.v[i]);
	gw_vec_free(&p->slots);
	free(p->calls);
	p->calls = NULL;
	p->defer = sd_event_source_disable_unref(p->defer);
	gw_vec_free(&p->listed);
	gw_vec_free(&p->want);
	gw_vec_free(&p->probing);
	p->pending = 0;
	p->stage = ST_IDLE;
}

void units_prober_free(struct units_prober *p)
{
	if (!p) return;
	units_pass_reset(p);
	units_unsubscribe(p);
	db_probe_free(p->db);
	if (p->bus) sd_bus_flush_close_unref(p->bus);
	gw_vec_free(&p->hist);
	gw_vec_free(&p->disc);
	for (size_t i = 0; i < p->penv.n; i++) db_env_free(&p->penv.v[i].env);
	gw_vec_free(&p->penv);
	sd_event_unref(p->e);
	free(p);
}

static void units_finish(struct units_prober *p)
{
	void (*done)(void *) = p->done;
	void *ud = p->ud;
	units_pass_reset(p);
	p->busy = 0;
	p->s = NULL;
	if (done) done(ud);
}

static int units_call(struct units_prober *p, const char *path, const char *iface, const char *member,
		      sd_bus_message_handler_t cb, void *ud, const char *types, ...)
{
	sd_bus_message *m = NULL;
	sd_bus_slot *slot = NULL;
	va_list ap;
	int r = sd_bus_message_new_method_call(p->bus, &m, "org.freedesktop.systemd1", path, iface, member);
	if (r < 0) return r;
	if (types) {
		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
	}
	if (r >= 0) r = sd_bus_call_async(p->bus, &slot, m, cb, ud, UNITS_CALL_USEC);
	sd_bus_message_unref(m);
	if (r < 0) return r;
	*(sd_bus_slot **)gw_vec_push(&p->slots) = slot;
	p->pending++;
	return 0;
}

/* ------------------------------------------------------------ history */

static struct units_hist *units_hist_get(struct units_prober *p, const char *name, int create)
{
	for (size_t i = 0; i < p->hist.n; i++)
		if (!strcmp(p->hist.v[i].name, name)) return &p->hist.v[i];
	if (!create) return NULL;
	struct units_hist *h = gw_vec_push(&p->hist);
	GW_COPY(h->name, name);
	return h;
}

static void units_hist_update(struct units_prober *p, struct gw_unit *u, double now)
{
	struct units_hist *h = units_hist_get(p, u->name, 1);
	h->is_app |= u->is_app;
	h->is_nginx |= u->is_nginx;
	if (!u->loaded) return;
	struct units_sample *smp = &h->s[h->head];
	smp->t = now;
	smp->nrestarts = u->nrestarts;
	smp->pid = u->main_pid;
	h->head = (h->head + 1) % UNITS_HIST;
	if (h->n < UNITS_HIST) h->n++;

	/* oldest sample within the span, and main PID changes over it */
	const struct units_sample *old = NULL;
	pid_t last = 0;
	int changes = 0;
	for (int k = h->n; k > 0; k--) {
		const struct units_sample *x = &h->s[(h->head - k + UNITS_HIST) % UNITS_HIST];
		if (now - x->t > UNITS_HIST_SPAN) continue;
		if (!old) old = x;
		if (x->pid && last && x->pid != last) changes++;
		if (x->pid) last = x->pid;
	}
	u->main_pid_changes = changes;
	if (old && old != smp && u->nrestarts >= old->nrestarts) {
		double span = now - old->t;
		if (span < 30) span = 30;
		double rate = (double)(u->nrestarts - old->nrestarts) * 60.0 / span;
		if (rate > u->restarts_per_min) u->restarts_per_min = rate;
	}
}

/* ------------------------------------------------------------ properties */

static int units_read_str(sd_bus_message *m, char *out, size_t size)
{
	const char *v = NULL;
	int r = sd_bus_message_read(m, "v", "s", &v);
	if (r >= 0 && v) gw_strlcpy(out, v, size);
	return r;
}

static int units_read_strv_joined(sd_bus_message *m, char *out, size_t size, int *count)
{
	char **l = NULL;
	int r = sd_bus_message_enter_container(m, 'v', "as");
	if (r < 0) return r;
	r = sd_bus_message_read_strv(m, &l);
	if (r < 0) return r;
	out[0] = '\0';
	int n = 0;
	for (char **x = l; x && *x; x++, n++) {
		gw_append(out, size, "%s%s", n ? " " : "", *x);
		free(*x);
	}
	free(l);
	if (count) *count = n;
	return sd_bus_message_exit_container(m);
}

static int units_read_exec(sd_bus_message *m, char *out, size_t size)
{
	int r, first = 1;
	out[0] = '\0';
	if ((r = sd_bus_message_enter_container(m, 'v', "a(sasbttttuii)")) < 0) return r;
	if ((r = sd_bus_message_enter_container(m, 'a', "(sasbttttuii)")) < 0) return r;
	while ((r = sd_bus_message_enter_container(m, 'r', "sasbttttuii")) > 0) {
		const char *path;
		char **argv = NULL;
		if ((r = sd_bus_message_read(m, "s", &path)) < 0) return r;
		if ((r = sd_bus_message_read_strv(m, &argv)) < 0) return r;
		if (first) {
			for (char **x = argv; x && *x; x++) gw_append(out, size, "%s%s", x == argv ? "" : " ", *x);
			/* argv[0] may be a bare name; prefer systemd's resolved path */
			if (argv && argv[0] && argv[0][0] != '/' && path[0] == '/') {
				char tmp[GW_LINE];
				const char *rest = out + strlen(argv[0]);
				gw_fmt(tmp, sizeof tmp, "%s%s", path, rest);
				gw_strlcpy(out, tmp, size);
			}
			first = 0;
		}
		for (char **x = argv; x && *x; x++) free(*x);
		free(argv);
		if ((r = sd_bus_message_skip(m, "bttttuii")) < 0) return r;
		if ((r = sd_bus_message_exit_container(m)) < 0) return r;
	}
	if (r < 0) return r;
	if ((r = sd_bus_message_exit_container(m)) < 0) return r;
	return sd_bus_message_exit_container(m);
}

static int units_read_envfiles(sd_bus_message *m, char *out, size_t size)
{
	int r;
	out[0] = '\0';
	if ((r = sd_bus_message_enter_container(m, 'v', "a(sb)")) < 0) return r;
	if ((r = sd_bus_message_enter_container(m, 'a', "(sb)")) < 0) return r;
	while ((r = sd_bus_message_enter_container(m, 'r', "sb")) > 0) {
		const char *f;
		int ign;
		if ((r = sd_bus_message_read(m, "sb", &f, &ign)) < 0) return r;
		gw_append(out, size, "%s%s%s", out[0] ? " " : "", ign ? "-" : "", f);
		if ((r = sd_bus_message_exit_container(m)) < 0) return r;
	}
	if (r < 0) return r;
	if ((r = sd_bus_message_exit_container(m)) < 0) return r;
	return sd_bus_message_exit_container(m);
}

static double units_usec(uint64_t t)
{
	return t && t != UINT64_MAX ? (double)t / 1e6 : 0;
}

static int units_parse_props(sd_bus_message *m, struct gw_unit *u)
{
	int r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0) return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *name;
		uint64_t t;
		uint32_t u32;
		int32_t i32;
		char tmp[64];
		if ((r = sd_bus_message_read(m, "s", &name)) < 0) return r;
		if (!strcmp(name, "ActiveState")) r = units_read_str(m, u->active_state, sizeof u->active_state);
		else if (!strcmp(name, "SubState")) r = units_read_str(m, u->sub_state, sizeof u->sub_state);
		else if (!strcmp(name, "Result")) r = units_read_str(m, u->result, sizeof u->result);
		else if (!strcmp(name, "Restart")) r = units_read_str(m, u->restart, sizeof u->restart);
		else if (!strcmp(name, "FragmentPath")) r = units_read_str(m, u->fragment_path, sizeof u->fragment_path);
		else if (!strcmp(name, "WorkingDirectory")) r = units_read_str(m, u->working_dir, sizeof u->working_dir);
		else if (!strcmp(name, "User")) r = units_read_str(m, u->user, sizeof u->user);
		else if (!strcmp(name, "Group")) r = units_read_str(m, u->group, sizeof u->group);
		else if (!strcmp(name, "LoadState")) {
			r = units_read_str(m, tmp, sizeof tmp);
			if (r >= 0 && strcmp(tmp, "loaded")) gw_fmt(u->error, sizeof u->error, "unit %s: LoadState=%s", u->name, tmp);
		} else if (!strcmp(name, "NRestarts")) {
			if ((r = sd_bus_message_read(m, "v", "u", &u32)) >= 0) u->nrestarts = u32;
		} else if (!strcmp(name, "MainPID")) {
			if ((r = sd_bus_message_read(m, "v", "u", &u32)) >= 0) u->main_pid = (pid_t)u32;
		} else if (!strcmp(name, "ExecMainCode")) {
			if ((r = sd_bus_message_read(m, "v", "i", &i32)) >= 0) u->exec_main_code = i32;
		} else if (!strcmp(name, "ExecMainStatus")) {
			if ((r = sd_bus_message_read(m, "v", "i", &i32)) >= 0) u->exec_main_status = i32;
		} else if (!strcmp(name, "ExecMainStartTimestamp")) {
			if ((r = sd_bus_message_read(m, "v", "t", &t)) >= 0) u->exec_main_start = units_usec(t);
		} else if (!strcmp(name, "ActiveEnterTimestamp")) {
			if ((r = sd_bus_message_read(m, "v", "t", &t)) >= 0) u->active_enter = units_usec(t);
		} else if (!strcmp(name, "InactiveEnterTimestamp")) {
			if ((r = sd_bus_message_read(m, "v", "t", &t)) >= 0) u->inactive_enter = units_usec(t);
		} else if (!strcmp(name, "ExecStart")) r = units_read_exec(m, u->exec_start, sizeof u->exec_start);
		else if (!strcmp(name, "EnvironmentFiles")) r = units_read_envfiles(m, u->env_files, sizeof u->env_files);
		else if (!strcmp(name, "Environment")) r = units_read_strv_joined(m, u->environment, sizeof u->environment, NULL);
		else if (!strcmp(name, "RuntimeDirectory")) {
			int cnt = 0;
			char buf[GW_TEXT];
			r = units_read_strv_joined(m, buf, sizeof buf, &cnt);
			u->runtime_directory = cnt > 0;
		} else r = sd_bus_message_skip(m, "v");
		if (r < 0) return r;
		if ((r = sd_bus_message_exit_container(m)) < 0) return r;
	}
	if (r < 0) return r;
	return sd_bus_message_exit_container(m);
}

/* ------------------------------------------------------------ stages */

static void units_stage_discover(struct units_prober *p);
static void units_stage_props(struct units_prober *p);
static void units_stage_after(struct units_prober *p);

static int units_want_has(struct units_prober *p, const char *name)
{
	for (size_t i = 0; i < p->want.n; i++)
		if (!strcmp(p->want.v[i].name, name)) return 1;
	return 0;
}

static void units_want_add(struct units_prober *p, const char *name, int is_app, int is_nginx)
{
	if (!name[0]) return;
	for (size_t i = 0; i < p->want.n; i++)
		if (!strcmp(p->want.v[i].name, name)) {
			p->want.v[i].is_app |= is_app;
			p->want.v[i].is_nginx |= is_nginx;
			return;
		}
	struct units_want *w = gw_vec_push(&p->want);
	GW_COPY(w->name, name);
	w->is_app = is_app && !is_nginx;
	w->is_nginx = is_nginx;
}

/* Units we know we want before asking systemd. */
static void units_want_known(struct units_prober *p)
{
	const struct gw_snapshot *s = p->s;
	for (size_t i = 0; i < s->procs.n; i++) {
		const struct gw_proc *pr = &s->procs.v[i];
		if (!gw_ends_with(pr->unit, ".service")) continue;
		switch (pr->role) {
		case GW_ROLE_NGINX_MASTER: case GW_ROLE_NGINX_WORKER:
			units_want_add(p, pr->unit, 0, 1);
			break;
		case GW_ROLE_GUNICORN_MASTER: case GW_ROLE_GUNICORN_WORKER: case GW_ROLE_UVICORN_MASTER:
		case GW_ROLE_UVICORN_WORKER: case GW_ROLE_APP_SERVER:
			units_want_add(p, pr->unit, 1, 0);
			break;
		default:
			break;
		}
	}
	for (size_t i = 0; p->o && i < p->o->units.n; i++) {
		char name[GW_NAME];
		const char *u = p->o->units.v[i];
		if (strchr(u, '.')) GW_COPY(name, u);
		else gw_fmt(name, sizeof name, "%s.service", u);
		units_want_add(p, name, !gw_starts_with(name, "nginx"), gw_starts_with(name, "nginx"));
	}
	for (size_t i = 0; i < p->hist.n; i++)
		if (p->hist.v[i].is_app || p->hist.v[i].is_nginx)
			units_want_add(p, p->hist.v[i].name, p->hist.v[i].is_app, p->hist.v[i].is_nginx);
}

static const char *const units_boring[] = {
	"systemd-", "dbus", "getty@", "serial-getty@", "user@", "user-runtime-dir@", "modprobe@", "apt-",
	"e2scrub", "fstrim", "logrotate", "man-db", "dpkg-", "ssh", "cron", "rsyslog", "networking",
	"ifup@", "console-", "keyboard-", "kmod", "plymouth", "emergency", "rescue", "initrd-",
	"polkit", "udisks", "accounts-daemon", "packagekit", "unattended-upgrades", "containerd",
	"docker", "nginx", "quotaon", "ldconfig", "autovt@", "container-getty@", "debug-shell",
	"blk-availability", "lvm2", "mdmonitor", "nftables", "ufw", "chrony", "ntp", "getty-static",
	NULL
};

static int units_is_boring(const char *name)
{
	for (const char *const *b = units_boring; *b; b++)
		if (gw_starts_with(name, *b)) return 1;
	return 0;
}

static int units_on_list(sd_bus_message *m, void *ud, sd_bus_error *ret)
{
	struct units_prober *p = ud;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	int r;
	(void)ret;
	p->pending--;
	if (e) {
		gw_fmt(p->s->systemd_error, sizeof p->s->systemd_error, "ListUnits: %s", e->message ? e->message : e->name);
		if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY) || sd_bus_error_has_name(e, SD_BUS_ERROR_TIMEOUT) ||
		    sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) || sd_bus_error_has_name(e, SD_BUS_ERROR_DISCONNECTED)) {
			p->s->systemd_available = 0;
			units_stage_after(p);
			return 0;
		}
	}
	if (!e && (r = sd_bus_message_enter_container(m, 'a', "(ssssssouso)")) >= 0) {
		const char *name, *desc, *load, *active, *sub, *follow, *path, *jt, *jp;
		uint32_t jid;
		while (sd_bus_message_read(m, "(ssssssouso)", &name, &desc, &load, &active, &sub, &follow, &path,
					   &jid, &jt, &jp) > 0) {
			struct units_listed *l = gw_vec_push(&p->listed);
			GW_COPY(l->name, name);
			GW_COPY(l->path, path);
			GW_COPY(l->active, active);
			GW_COPY(l->load, load);
		}
		sd_bus_message_exit_container(m);
	}
	units_stage_discover(p);
	return 0;
}

static struct units_disc *units_disc_get(struct units_prober *p, const char *name)
{
	for (size_t i = 0; i < p->disc.n; i++)
		if (!strcmp(p->disc.v[i].name, name)) return &p->disc.v[i];
	struct units_disc *d = gw_vec_push(&p->disc);
	GW_COPY(d->name, name);
	return d;
}

static int units_exec_is_app(const struct gw_snapshot *s, const char *exec)
{
	char a0[GW_PATH], comm[64];
	const char *rest;
	struct gw_addr bind;
	units_argv0(exec, a0, sizeof a0, &rest);
	const char *b = strrchr(a0, '/') ? strrchr(a0, '/') + 1 : a0;
	GW_COPY(comm, b);
	enum gw_role r = procs_classify(exec, comm, GW_ROLE_OTHER);
	if (r == GW_ROLE_GUNICORN_MASTER || r == GW_ROLE_UVICORN_MASTER || r == GW_ROLE_APP_SERVER ||
	    r == GW_ROLE_GUNICORN_WORKER || r == GW_ROLE_UVICORN_WORKER)
		return 1;
	if (strstr(exec, "gunicorn") || strstr(exec, "uvicorn") || strstr(exec, "hypercorn") || strstr(exec, "daphne"))
		return 1;
	if (appbind_parse(exec, &bind))
		for (size_t i = 0; i < s->targets.n; i++)
			if (addr_bind_matches(&bind, &s->targets.v[i].addr, ADDR_MATCH_LOOSE)) return 1;
	return 0;
}

static int units_on_exec(sd_bus_message *m, void *ud, sd_bus_error *ret)
{
	struct units_call *c = ud;
	struct units_prober *p = c->p;
	struct units_disc *d = &p->disc.v[c->idx];
	char exec[GW_LINE] = "";
	(void)ret;
	p->pending--;
	d->checked = gw_mono();
	d->is_app = 0;
	if (!sd_bus_message_is_method_error(m, NULL) && units_read_exec(m, exec, sizeof exec) >= 0 && exec[0])
		d->is_app = units_exec_is_app(p->s, exec);
	if (p->pending == 0) units_stage_props(p);
	return 0;
}

static void units_stage_discover(struct units_prober *p)
{
	double now = gw_mono();
	int nginx_running = p->s->nginx.master_pid != 0;
	p->stage = ST_DISC;
	for (size_t i = 0; i < p->listed.n; i++) {
		const char *name = p->listed.v[i].name;
		if (!strcmp(p->listed.v[i].load, "loaded") && !nginx_running && !strcmp(name, "nginx.service"))
			units_want_add(p, name, 0, 1);
		if (units_want_has(p, name) || units_is_boring(name) || strcmp(p->listed.v[i].load, "loaded")) continue;
		struct units_disc *d = units_disc_get(p, name);
		if (d->checked && now - d->checked < UNITS_DISC_TTL) {
			if (d->is_app) units_want_add(p, name, 1, 0);
			continue;
		}
		*(size_t *)gw_vec_push(&p->probing) = (size_t)(d - p->disc.v);
	}
	if (!p->probing.n) { units_stage_props(p); return; }
	p->calls = gw_xcalloc(p->probing.n, sizeof *p->calls);
	for (size_t i = 0; i < p->probing.n; i++) {
		struct units_call *c = &p->calls[i];
		char *path = NULL;
		c->p = p;
		c->idx = p->probing.v[i];
		if (sd_bus_path_encode("/org/freedesktop/systemd1/unit", p->disc.v[c->idx].name, &path) < 0) continue;
		units_call(p, path, "org.freedesktop.DBus.Properties", "Get", units_on_exec, c, "ss",
			   "org.freedesktop.systemd1.Service", "ExecStart");
		free(path);
	}
	if (p->pending == 0) units_stage_props(p);
}

static int units_on_props(sd_bus_message *m, void *ud, sd_bus_error *ret)
{
	struct units_call *c = ud;
	struct units_prober *p = c->p;
	struct gw_unit *u = &p->s->units.v[c->idx];
	const sd_bus_error *e = sd_bus_message_get_error(m);
	(void)ret;
	p->pending--;
	if (e) {
		if (!u->error[0])
			gw_fmt(u->error, sizeof u->error, "%s: %s", u->name, e->message ? e->message : e->name);
	} else if (units_parse_props(m, u) < 0) {
		gw_fmt(u->error, sizeof u->error, "%s: could not parse the properties", u->name);
	} else if (!c->service_iface) {
		u->loaded = !u->error[0];
	}
	if (p->pending == 0) units_stage_after(p);
	return 0;
}

static void units_stage_props(struct units_prober *p)
{
	struct gw_snapshot *s = p->s;
	size_t first = s->units.n, ncalls = 0;
	p->stage = ST_PROPS;
	for (size_t i = 0; i < p->probing.n; i++)
		if (p->disc.v[p->probing.v[i]].is_app) units_want_add(p, p->disc.v[p->probing.v[i]].name, 1, 0);
	for (size_t i = 0; i < p->want.n; i++) {
		struct gw_unit *u = gw_vec_push(&s->units);
		GW_COPY(u->name, p->want.v[i].name);
		u->is_app = p->want.v[i].is_app;
		u->is_nginx = p->want.v[i].is_nginx;
	}
	free(p->calls);
	p->calls = gw_xcalloc(2 * (s->units.n - first) + 1, sizeof *p->calls);
	for (size_t i = first; i < s->units.n; i++) {
		char *path = NULL;
		if (sd_bus_path_encode("/org/freedesktop/systemd1/unit", s->units.v[i].name, &path) < 0) continue;
		for (int svc = 0; svc < 2; svc++) {
			if (svc && !gw_ends_with(s->units.v[i].name, ".service")) continue;
			struct units_call *c = &p->calls[ncalls++];
			c->p = p;
			c->idx = i;
			c->service_iface = svc;
			if (units_call(p, path, "org.freedesktop.DBus.Properties", "GetAll", units_on_props, c, "s",
				       svc ? "org.freedesktop.systemd1.Service" : "org.freedesktop.systemd1.Unit") < 0)
				gw_fmt(s->units.v[i].error, sizeof s->units.v[i].error, "%s: cannot ask systemd", s->units.v[i].name);
		}
		free(path);
	}
	if (p->pending == 0) units_stage_after(p);
}

static void units_env_of(const struct gw_unit *u, struct db_env *env)
{
	char origin[GW_TEXT], buf[GW_LINE], *save = NULL;
	gw_fmt(origin, sizeof origin, "Environment= of %s", u->name);
	GW_COPY(buf, u->environment);
	for (char *kv = strtok_r(buf, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq || eq == kv) continue;
		*eq = '\0';
		db_env_set(env, kv, eq + 1, origin);
	}
	GW_COPY(buf, u->env_files);
	save = NULL;
	for (char *f = strtok_r(buf, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
		size_t len;
		if (f[0] == '-') f++;
		char *t = gw_read_file(f, 1 << 20, &len);
		if (!t) continue;
		gw_fmt(origin, sizeof origin, "%s (EnvironmentFile of %s)", f, u->name);
		db_env_load(env, t, len, '\n', origin);
		free(t);
	}
	if (u->main_pid > 0) {
		char path[64];
		size_t len;
		gw_fmt(path, sizeof path, "/proc/%d/environ", (int)u->main_pid);
		char *t = gw_read_file(path, 1 << 20, &len);
		if (t) {
			gw_fmt(origin, sizeof origin, "the environment of %s (pid %d)", u->name, (int)u->main_pid);
			db_env_load(env, t, len, '\0', origin);
			free(t);
		}
	}
}

static void units_on_db(void *ud)
{
	units_finish(ud);
}

static int units_on_defer(sd_event_source *es, void *ud)
{
	struct units_prober *p = ud;
	(void)es;
	units_stage_after(p);
	return 0;
}

/* Check the unit file's paths now (stat, getpwnam) so that diagnose stays
 * a pure function of the snapshot. */
void units_fill_problems(struct gw_unit *u)
{
	struct units_problem pr[8];
	int n = units_check_file(u, pr, 8);
	u->nproblems = 0;
	for (int i = 0; i < n && i < 8; i++) {
		struct gw_unit_problem *q = &u->problems[u->nproblems++];
		q->kind = pr[i].kind;
		q->fatal = pr[i].fatal;
		GW_COPY(q->path, pr[i].path);
		GW_COPY(q->text, pr[i].text);
	}
}

void units_fill_bind(struct gw_unit *u, const struct gw_snapshot *s)
{
	u->target_idx = -1;
	u->has_bind = appbind_parse(u->exec_start, &u->bind);
	if (!u->has_bind) return;
	for (size_t i = 0; i < s->targets.n; i++)
		if (addr_bind_matches(&u->bind, &s->targets.v[i].addr, ADDR_MATCH_LOOSE)) {
			u->target_idx = (int)i;
			return;
		}
}

/* The environment of an app server process without systemd: from the
 * cache while it is the same process, else read (NULL: unreadable). */
static const struct db_env *units_proc_env(struct units_prober *p, const struct gw_proc *pr)
{
	struct units_penv *c = NULL;
	for (size_t i = 0; i < p->penv.n && !c; i++)
		if (p->penv.v[i].pid == pr->pid) c = &p->penv.v[i];
	/* start_time is derived from the boot time each pass: equal to a few ms */
	if (c && (fabs(c->start - pr->start_time) > 1.0 || strcmp(c->cmdline, pr->cmdline))) {
		db_env_free(&c->env);
		memset(&c->env, 0, sizeof c->env);
		c->start = 0;
	}
	if (!c) {
		c = gw_vec_push(&p->penv);
		c->pid = pr->pid;
	}
	c->seen = 1;
	if (!c->start) {
		char path[64], origin[GW_TEXT];
		size_t len;
		gw_fmt(path, sizeof path, "/proc/%d/environ", (int)pr->pid);
		char *t = gw_read_file(path, 1 << 20, &len);
		if (!t) return NULL;        /* not cached: read again next pass */
		gw_fmt(origin, sizeof origin, "the environment of %s pid %d", pr->comm, (int)pr->pid);
		db_env_load(&c->env, t, len, '\0', origin);
		free(t);
		c->start = pr->start_time;
		GW_COPY(c->cmdline, pr->cmdline);
	}
	return &c->env;
}

/* Drop the cached environments of processes not seen in this pass. */
static void units_penv_sweep(struct units_prober *p)
{
	size_t k = 0;
	for (size_t i = 0; i < p->penv.n; i++) {
		if (p->penv.v[i].seen) {
			p->penv.v[i].seen = 0;
			p->penv.v[k++] = p->penv.v[i];
		} else {
			db_env_free(&p->penv.v[i].env);
		}
	}
	p->penv.n = k;
}

static void units_stage_after(struct units_prober *p)
{
	struct gw_snapshot *s = p->s;
	double now = gw_now();
	sd_journal *j = NULL;
	struct db_env env = { 0 };

	p->stage = ST_DB;
	if (s->systemd_available && journal_open(&j, JOURNAL_LOCAL, NULL) < 0) j = NULL;
	for (size_t i = 0; i < s->units.n; i++) {
		struct gw_unit *u = &s->units.v[i];
		if (u->error[0] && !u->loaded) snapshot_note(s, "systemd", "%s", u->error);
		units_fill_problems(u);
		units_fill_bind(u, s);
		if (j && u->is_app) {
			double last;
			int n60 = journal_unit_restarts(j, u->name, now - 60, &last);
			int n300 = journal_unit_restarts(j, u->name, now - UNITS_HIST_SPAN, &last);
			if (n60 > u->restarts_per_min) u->restarts_per_min = n60;
			if (n300 / 5.0 > u->restarts_per_min) u->restarts_per_min = n300 / 5.0;
			journal_unit_events(j, s, u->name, now - UNITS_JOURNAL_SPAN, JOURNAL_MAX_ENTRIES);
		}
		units_hist_update(p, u, now);
		if (u->is_app && u->loaded) units_env_of(u, &env);
	}
	if (j) sd_journal_close(j);
	if (!s->systemd_available) {
		/* no systemd: the app servers' own environment (root, or same user) */
		for (size_t i = 0; i < s->procs.n; i++) {
			const struct gw_proc *pr = &s->procs.v[i];
			if (pr->role != GW_ROLE_GUNICORN_MASTER && pr->role != GW_ROLE_UVICORN_MASTER &&
			    pr->role != GW_ROLE_APP_SERVER)
				continue;
			/* as root: not the environment of just any process with an
			 * app server's title (its database addresses get connected to) */
			if (trust_strict() && !trust_app_process(pr->uid, pr->cgroup)) continue;
			const struct db_env *pe = units_proc_env(p, pr);
			for (size_t k = 0; pe && k < pe->vars.n; k++)
				db_env_set(&env, pe->vars.v[k].key, pe->vars.v[k].val, pe->vars.v[k].origin);
		}
		units_penv_sweep(p);
	}
	db_env_targets(&env, s);
	db_env_free(&env);
	if (db_probe_start(p->db, s->dbs.v, s->dbs.n, 2.0, units_on_db, p) < 0)
		units_finish(p);
}

static int units_bus_ready(struct units_prober *p, struct gw_snapshot *s)
{
	int r;
	if (p->bus && sd_bus_is_open(p->bus) > 0) return 1;
	units_unsubscribe(p);
	if (p->bus) p->bus = sd_bus_flush_close_unref(p->bus);
	if ((r = sd_bus_open_system(&p->bus)) < 0) {
		gw_fmt(s->systemd_error, sizeof s->systemd_error, "cannot connect to the system bus: %s", strerror(-r));
		p->bus = NULL;
		return 0;
	}
	if ((r = sd_bus_attach_event(p->bus, p->e, SD_EVENT_PRIORITY_NORMAL)) < 0) {
		gw_fmt(s->systemd_error, sizeof s->systemd_error, "sd_bus_attach_event: %s", strerror(-r));
		p->bus = sd_bus_flush_close_unref(p->bus);
		return 0;
	}
	units_subscribe(p);
	return 1;
}

int units_probe_start(struct units_prober *p, struct gw_snapshot *s, const struct gw_options *o,
		      void (*done)(void *ud), void *ud)
{
	if (p->busy) return -EBUSY;
	units_pass_reset(p);
	p->busy = 1;
	p->s = s;
	p->o = o;
	p->done = done;
	p->ud = ud;
	s->systemd_available = 0;

	if (sd_booted() <= 0) {
		GW_COPY(s->systemd_error, "PID 1 is not systemd: units and their journal are not checked");
	} else if (units_bus_ready(p, s)) {
		s->systemd_available = 1;
		units_want_known(p);
		p->stage = ST_LIST;
		if (units_call(p, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "ListUnitsByPatterns",
			       units_on_list, p, "asas", 0, 1, "*.service") == 0)
			return 0;
		GW_COPY(s->systemd_error, "cannot call systemd over D-Bus");
		s->systemd_available = 0;
	}
	/* nothing asynchronous on the bus: continue from the loop */
	snapshot_note(s, "systemd", "%s", s->systemd_error);
	if (sd_event_add_defer(p->e, &p->defer, units_on_defer, p) < 0) {
		p->busy = 0;
		return -ENOMEM;
	}
	return 0;
}
