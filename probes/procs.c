/* procs.c — the process table from libproc2 (procps 4): identity, cmdline,
 * rss, start time, cpu, cgroup/unit and the role each process plays in the
 * request path (nginx, gunicorn, uvicorn, other app servers, docker, db).
 * Also derives the running nginx (master, workers, last reload, worker
 * identity) and config staleness from the table.
 *
 * Cost: one /proc walk per tick reading stat + cmdline (+ status only for
 * nginx workers); /proc/PID/cgroup is read once per process lifetime and
 * cached in procs_state keyed by (pid, start ticks). */
#include "procs.h"

#include <errno.h>
#include <limits.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libproc2/pids.h>

enum {
	I_PID, I_PPID, I_EUID, I_EGID, I_EUSER, I_STATE, I_CMD, I_CMDLINE_V,
	I_RSS, I_TICS_ALL, I_TICS_BEGAN, I_MAX
};

static enum pids_item procs_items[I_MAX] = {
	[I_PID] = PIDS_ID_PID,
	[I_PPID] = PIDS_ID_PPID,
	[I_EUID] = PIDS_ID_EUID,
	[I_EGID] = PIDS_ID_EGID,
	[I_EUSER] = PIDS_ID_EUSER,
	[I_STATE] = PIDS_STATE,
	[I_CMD] = PIDS_CMD,
	[I_CMDLINE_V] = PIDS_CMDLINE_V,
	[I_RSS] = PIDS_RSS,
	[I_TICS_ALL] = PIDS_TICS_ALL,
	[I_TICS_BEGAN] = PIDS_TICS_BEGAN,
};

/* What the previous tick knew about one process. */
struct procs_prev {
	pid_t pid;
	unsigned long long began;    /* start ticks: tells a reused pid apart */
	unsigned long long ticks;    /* utime + stime */
	char cgroup[GW_PATH];
	char unit[GW_NAME];
};

struct procs_state {
	struct pids_info *info;
	GW_VEC(struct procs_prev) prev;  /* sorted by pid */
	double prev_mono;                /* when prev was taken, 0 never */
	long hertz;
	long page_kb;
};

struct procs_state *procs_state_new(void)
{
	struct procs_state *st = gw_xcalloc(1, sizeof *st);
	st->hertz = sysconf(_SC_CLK_TCK);
	if (st->hertz <= 0) st->hertz = 100;
	st->page_kb = sysconf(_SC_PAGESIZE) / 1024;
	if (st->page_kb <= 0) st->page_kb = 4;
	return st;
}

void procs_state_free(struct procs_state *st)
{
	if (!st) return;
	if (st->info) procps_pids_unref(&st->info);
	gw_vec_free(&st->prev);
	free(st);
}

/* ---------------------------------------------------------------- classification */

static int procs_is_python(const char *base)
{
	return gw_starts_with(base, "python");
}

static const char *procs_basename(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The program a command line runs: argv[0]'s basename, or for python the
 * script's basename / the -m module. Copied into name (no trailing ':'). */
static void procs_program(const char *cmdline, const char *comm, char *name, size_t size)
{
	char buf[GW_LINE];
	char *argv[16];
	int argc = 0;

	GW_COPY(buf, cmdline);
	for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && argc < 16; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	if (argc == 0) {
		gw_strlcpy(name, comm, size);
		return;
	}
	const char *prog = procs_basename(argv[0]);
	if (procs_is_python(prog)) {
		for (int i = 1; i < argc; i++) {
			if (!strcmp(argv[i], "-m") && i + 1 < argc) { prog = argv[i + 1]; break; }
			if (!strcmp(argv[i], "-c")) break;
			if (!strcmp(argv[i], "-X") || !strcmp(argv[i], "-W")) { i++; continue; }
			if (argv[i][0] == '-') continue;
			prog = procs_basename(argv[i]);
			break;
		}
	}
	gw_strlcpy(name, prog, size);
	size_t n = strlen(name);
	if (n && name[n - 1] == ':') name[n - 1] = '\0';
}

static int procs_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(name, *list)) return 1;
	return 0;
}

enum gw_role procs_classify(const char *cmdline, const char *comm, enum gw_role parent_role)
{
	static const char *const dbs[] = { "postgres", "postmaster", "mysqld", "mariadbd",
		"redis-server", "memcached", "mongod", NULL };
	static const char *const docker[] = { "docker-proxy", "conmon", "dockerd", "rootlessport", NULL };
	static const char *const apps[] = { "uwsgi", "hypercorn", "daphne", "waitress-serve",
		"granian", "node", "nodejs", "bun", "puma", "unicorn", "passenger", "php-fpm",
		/* python scripts / modules that run an app */
		"manage.py", "app.py", "main.py", "wsgi.py", "asgi.py", "server.py", "run.py",
		"flask", "waitress", "aiohttp.web", NULL };
	char name[GW_NAME];
	int parent_gunicorn = parent_role == GW_ROLE_GUNICORN_MASTER || parent_role == GW_ROLE_GUNICORN_WORKER;
	int parent_uvicorn = parent_role == GW_ROLE_UVICORN_MASTER || parent_role == GW_ROLE_UVICORN_WORKER;

	if (gw_starts_with(cmdline, "nginx: master process")) return GW_ROLE_NGINX_MASTER;
	if (gw_starts_with(cmdline, "nginx: worker process") ||
	    gw_starts_with(cmdline, "nginx: cache manager process") ||
	    gw_starts_with(cmdline, "nginx: cache loader process"))
		return GW_ROLE_NGINX_WORKER;
	if (gw_starts_with(cmdline, "gunicorn: master")) return GW_ROLE_GUNICORN_MASTER;
	if (gw_starts_with(cmdline, "gunicorn: worker")) return GW_ROLE_GUNICORN_WORKER;

	procs_program(cmdline, comm, name, sizeof name);
	if (!strcmp(name, "nginx"))
		return parent_role == GW_ROLE_NGINX_MASTER ? GW_ROLE_NGINX_WORKER : GW_ROLE_NGINX_MASTER;
	if (!strcmp(name, "gunicorn") || gw_starts_with(name, "gunicorn."))
		return parent_gunicorn ? GW_ROLE_GUNICORN_WORKER : GW_ROLE_GUNICORN_MASTER;
	if (!strcmp(name, "uvicorn") || gw_starts_with(name, "uvicorn."))
		return parent_uvicorn ? GW_ROLE_UVICORN_WORKER : GW_ROLE_UVICORN_MASTER;
	/* uvicorn --workers/--reload children: multiprocessing spawn of python */
	if (parent_role == GW_ROLE_UVICORN_MASTER && strstr(cmdline, "spawn_main"))
		return GW_ROLE_UVICORN_WORKER;
	if (parent_gunicorn && strstr(cmdline, "spawn_main"))
		return GW_ROLE_GUNICORN_WORKER;
	if (procs_in(name, dbs) || procs_in(comm, dbs)) return GW_ROLE_DB;
	if (procs_in(name, docker) || procs_in(comm, docker)) return GW_ROLE_DOCKER_PROXY;
	if (procs_in(name, apps) || gw_starts_with(name, "php-fpm") || gw_starts_with(comm, "php-fpm") ||
	    !strcmp(comm, "uwsgi"))
		return GW_ROLE_APP_SERVER;
	return GW_ROLE_OTHER;
}

/* ---------------------------------------------------------------- cgroup / unit */

void procs_unit_from_cgroup(const char *cgroup, char *unit, size_t size)
{
	const char *best = NULL, *init = NULL;
	size_t best_len = 0, init_len = 0;
	const char *p = cgroup;

	if (size) unit[0] = '\0';
	while (*p) {
		while (*p == '/') p++;
		const char *e = p;
		while (*e && *e != '/') e++;
		size_t len = (size_t)(e - p);
		if ((len > 8 && !memcmp(e - 8, ".service", 8)) ||
		    (len > 6 && !memcmp(e - 6, ".scope", 6))) {
			/* a delegated unit may hold "init.scope" below it: skip that */
			if (len == 10 && !strncmp(p, "init.scope", 10)) { init = p; init_len = len; }
			else { best = p; best_len = len; }
		}
		p = e;
	}
	if (!best && init) { best = init; best_len = init_len; }
	if (best && size) {
		size_t c = best_len < size - 1 ? best_len : size - 1;
		memcpy(unit, best, c);
		unit[c] = '\0';
	}
}

/* The cgroup of pid: the unified "0::" path, or "name=systemd" on hybrid
 * hosts where the unified one is "/". */
static void procs_read_cgroup(pid_t pid, char *out, size_t size)
{
	char path[64], *buf, *uni = NULL, *sd = NULL;

	out[0] = '\0';
	snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
	if (!(buf = gw_read_file(path, 16384, NULL))) return;
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (gw_starts_with(l, "0::")) uni = l + 3;
		else {
			char *c = strstr(l, ":name=systemd:");
			if (c) sd = c + 14;
		}
	}
	if (uni && strcmp(uni, "/")) gw_strlcpy(out, uni, size);
	else if (sd) gw_strlcpy(out, sd, size);
	else if (uni) gw_strlcpy(out, uni, size);
	free(buf);
}

/* Supplementary groups from /proc/PID/status "Groups:". */
static void procs_read_groups(struct gw_proc *p)
{
	char path[64], *buf, *g;

	p->ngroups = 0;
	snprintf(path, sizeof path, "/proc/%d/status", (int)p->pid);
	if (!(buf = gw_read_file(path, 65536, NULL))) return;
	if ((g = strstr(buf, "\nGroups:"))) {
		char *q = g + 8;
		while (p->ngroups < (int)(sizeof p->groups / sizeof *p->groups)) {
			char *end;
			while (*q == ' ' || *q == '\t') q++;
			if (*q < '0' || *q > '9') break;
			unsigned long v = strtoul(q, &end, 10);
			p->groups[p->ngroups++] = (gid_t)v;
			q = end;
		}
	}
	free(buf);
}

/* ---------------------------------------------------------------- refresh */

static int procs_prev_cmp(const void *a, const void *b)
{
	pid_t x = ((const struct procs_prev *)a)->pid, y = ((const struct procs_prev *)b)->pid;
	return (x > y) - (x < y);
}

static const struct procs_prev *procs_prev_find(const struct procs_state *st, pid_t pid,
						 unsigned long long began)
{
	struct procs_prev key = { .pid = pid };
	const struct procs_prev *p = st->prev.n ?
		bsearch(&key, st->prev.v, st->prev.n, sizeof key, procs_prev_cmp) : NULL;
	return p && p->began == began ? p : NULL;
}

static int procs_cmp_pid(const void *a, const void *b)
{
	pid_t x = ((const struct gw_proc *)a)->pid, y = ((const struct gw_proc *)b)->pid;
	return (x > y) - (x < y);
}

int procs_find(const struct gw_snapshot *s, pid_t pid)
{
	size_t lo = 0, hi = s->procs.n;
	while (lo < hi) {                 /* s->procs is sorted by pid */
		size_t mid = (lo + hi) / 2;
		if (s->procs.v[mid].pid == pid) return (int)mid;
		if (s->procs.v[mid].pid < pid) lo = mid + 1;
		else hi = mid;
	}
	return -1;
}

static void procs_join_argv(char **v, char *out, size_t size)
{
	out[0] = '\0';
	if (!v) return;
	/* libproc2 gives {"-"} for an empty cmdline (kernel threads, zombies) */
	if (v[0] && !strcmp(v[0], "-") && !v[1]) return;
	for (size_t i = 0; v[i]; i++)
		gw_append(out, size, "%s%s", i ? " " : "", v[i]);
}

int procs_refresh(struct gw_snapshot *s, struct procs_state *st)
{
	struct timespec bt;
	double now = gw_now(), mono = gw_mono(), boot;
	GW_VEC(struct procs_prev) next = { 0 };

	if (!st->info && procps_pids_new(&st->info, procs_items, I_MAX) < 0) {
		st->info = NULL;
		snapshot_note(s, "procs", "libproc2: cannot open the process table");
		return -1;
	}
	clock_gettime(CLOCK_BOOTTIME, &bt);
	boot = now - (bt.tv_sec + bt.tv_nsec / 1e9);

	struct pids_fetch *f = procps_pids_reap(st->info, PIDS_FETCH_TASKS_ONLY);
	if (!f) {
		snapshot_note(s, "procs", "libproc2: reading /proc failed: %s", strerror(errno));
		return -1;
	}
	gw_vec_clear(&s->procs);
	double dt = st->prev_mono > 0 ? mono - st->prev_mono : 0;
	for (int i = 0; i < f->counts->total; i++) {
		struct pids_stack *k = f->stacks[i];
		struct gw_proc *p = gw_vec_push(&s->procs);
		const char *user;

		p->pid = PIDS_VAL(I_PID, s_int, k, st->info);
		p->ppid = PIDS_VAL(I_PPID, s_int, k, st->info);
		p->uid = PIDS_VAL(I_EUID, u_int, k, st->info);
		p->gid = PIDS_VAL(I_EGID, u_int, k, st->info);
		user = PIDS_VAL(I_EUSER, str, k, st->info);
		GW_COPY(p->user, user ? user : "");
		p->state = PIDS_VAL(I_STATE, s_ch, k, st->info);
		GW_COPY(p->comm, PIDS_VAL(I_CMD, str, k, st->info) ? PIDS_VAL(I_CMD, str, k, st->info) : "");
		procs_join_argv(PIDS_VAL(I_CMDLINE_V, strv, k, st->info), p->cmdline, sizeof p->cmdline);
		p->rss_kb = PIDS_VAL(I_RSS, ul_int, k, st->info) * (unsigned long)st->page_kb;
		p->cpu_ticks = PIDS_VAL(I_TICS_ALL, ull_int, k, st->info);
		unsigned long long began = PIDS_VAL(I_TICS_BEGAN, ull_int, k, st->info);
		p->start_time = boot + (double)began / (double)st->hertz;

		const struct procs_prev *old = procs_prev_find(st, p->pid, began);
		if (old && dt > 0 && p->cpu_ticks >= old->ticks)
			p->cpu_pct = (double)(p->cpu_ticks - old->ticks) / (double)st->hertz / dt * 100.0;
		if (old) {
			GW_COPY(p->cgroup, old->cgroup);
			GW_COPY(p->unit, old->unit);
		} else if (p->ppid != 2 && p->pid != 2) {     /* kernel threads: no cgroup of interest */
			procs_read_cgroup(p->pid, p->cgroup, sizeof p->cgroup);
			procs_unit_from_cgroup(p->cgroup, p->unit, sizeof p->unit);
		}
		struct procs_prev *n = gw_vec_push(&next);
		n->pid = p->pid;
		n->began = began;
		n->ticks = p->cpu_ticks;
		GW_COPY(n->cgroup, p->cgroup);
		GW_COPY(n->unit, p->unit);
	}

	if (s->procs.n)                      /* qsort(NULL, 0) is UB (nonnull) */
		qsort(s->procs.v, s->procs.n, sizeof *s->procs.v, procs_cmp_pid);
	if (next.n)
		qsort(next.v, next.n, sizeof *next.v, procs_prev_cmp);
	gw_vec_free(&st->prev);
	st->prev.v = next.v;
	st->prev.n = next.n;
	st->prev.cap = next.cap;
	st->prev_mono = mono;

	/* roles: first alone, then again knowing the parent's first-pass role
	 * (gunicorn/uvicorn workers are children of their master) */
	enum gw_role *base = gw_xcalloc(s->procs.n, sizeof *base);
	for (size_t i = 0; i < s->procs.n; i++)
		base[i] = procs_classify(s->procs.v[i].cmdline, s->procs.v[i].comm, GW_ROLE_OTHER);
	for (size_t i = 0; i < s->procs.n; i++) {
		struct gw_proc *p = &s->procs.v[i];
		int pi = procs_find(s, p->ppid);
		enum gw_role pr = pi >= 0 ? base[pi] : GW_ROLE_OTHER;
		p->role = pr == GW_ROLE_OTHER ? base[i] : procs_classify(p->cmdline, p->comm, pr);
		if (p->role == GW_ROLE_NGINX_WORKER)
			procs_read_groups(p);
	}
	free(base);
	return 0;
}

/* ---------------------------------------------------------------- nginx runtime */

/* The -c argument of an nginx master's title, "" when absent. */
static void procs_master_conf(const char *cmdline, char *out, size_t size)
{
	const char *c = strstr(cmdline, " -c ");
	out[0] = '\0';
	if (!c) return;
	c += 4;
	while (*c == ' ') c++;
	size_t n = strcspn(c, " ");
	if (n >= size) n = size - 1;
	memcpy(out, c, n);
	out[n] = '\0';
}

static void procs_worker_from_conf(struct gw_nginx_runtime *n, const struct gw_nginx_conf *conf)
{
	const char *user = conf->user[0] ? conf->user : "nobody";
	struct passwd *pw = getpwnam(user);
	struct group *gr = NULL;

	GW_COPY(n->worker_user, user);
	if (!pw) return;
	n->worker_uid = pw->pw_uid;
	if (conf->group[0]) gr = getgrnam(conf->group);
	else gr = getgrnam(user);
	n->worker_gid = gr ? gr->gr_gid : pw->pw_gid;
	int ng = (int)(sizeof n->worker_groups / sizeof *n->worker_groups);
	if (getgrouplist(user, n->worker_gid, n->worker_groups, &ng) < 0)
		ng = (int)(sizeof n->worker_groups / sizeof *n->worker_groups);
	n->worker_ngroups = ng;
	n->worker_ids_known = 1;
}

void procs_nginx_runtime(struct gw_snapshot *s)
{
	struct gw_nginx_runtime *n = &s->nginx;
	const struct gw_proc *master = NULL, *first = NULL;

	memset(n, 0, sizeof *n);
	/* The master that runs THIS config: its -c names it. A master without
	 * -c runs the compiled-in default and may be ours; a master whose -c
	 * names another file is another nginx, never ours. */
	for (size_t i = 0; i < s->procs.n; i++) {
		const struct gw_proc *p = &s->procs.v[i];
		char conf[GW_PATH], a[PATH_MAX], b[PATH_MAX];
		if (p->role != GW_ROLE_NGINX_MASTER) continue;
		procs_master_conf(p->cmdline, conf, sizeof conf);
		if (!s->conf.conf_path[0]) { master = p; break; }
		if (!strcmp(conf, s->conf.conf_path) ||
		    (conf[0] && realpath(conf, a) && realpath(s->conf.conf_path, b) && !strcmp(a, b)) ||
		    (!conf[0] && !strcmp(s->conf.conf_path, "/etc/nginx/nginx.conf"))) {
			master = p;
			break;
		}
		if (!conf[0] && !first) first = p;
	}
	if (!master) master = first;

	const struct gw_proc *worker = NULL;
	if (master) {
		n->master_pid = master->pid;
		n->master_start = master->start_time;
		for (size_t i = 0; i < s->procs.n; i++) {
			const struct gw_proc *p = &s->procs.v[i];
			if (p->ppid != master->pid || p->role != GW_ROLE_NGINX_WORKER) continue;
			if (p->start_time > n->last_reload) n->last_reload = p->start_time;
			if (!strstr(p->cmdline, "worker process")) continue;
			n->nworkers++;
			if (!worker) worker = p;
		}
	}
	if (worker) {
		n->worker_uid = worker->uid;
		n->worker_gid = worker->gid;
		n->worker_ngroups = worker->ngroups;
		memcpy(n->worker_groups, worker->groups, sizeof n->worker_groups);
		if (worker->user[0]) GW_COPY(n->worker_user, worker->user);
		else gw_fmt(n->worker_user, sizeof n->worker_user, "%u", (unsigned)worker->uid);
		n->worker_ids_known = 1;
	} else {
		procs_worker_from_conf(n, &s->conf);
	}
}

void procs_nginx_stale(struct gw_snapshot *s)
{
	struct gw_nginx_runtime *n = &s->nginx;

	n->stale = 0;
	n->stale_file[0] = '\0';
	n->stale_mtime = 0;
	if (!n->master_pid || n->last_reload <= 0) return;
	for (size_t i = 0; i < s->conf.files.n; i++) {
		const struct gw_conf_file *f = &s->conf.files.v[i];
		time_t m = f->mtime;
		if (!m) {
			struct stat sb;
			if (stat(f->path, &sb) < 0) continue;
			m = sb.st_mtime;
		}
		if ((double)m > n->last_reload + 1.0 && m > n->stale_mtime) {
			n->stale = 1;
			n->stale_mtime = m;
			GW_COPY(n->stale_file, f->path);
		}
	}
}
