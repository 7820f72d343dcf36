/* procs.c — the process table from libproc2 (procps 4): identity, cmdline,
 * rss, start time, cpu, cgroup/unit and the role each process plays in the
 * request path (nginx, gunicorn, uvicorn, other app servers, docker, db).
 * Also derives the running nginx (master, workers, last reload, worker
 * identity) and config staleness from the table.
 *
 * Cost. procs_state keeps every process as the last refresh saw it
 * (procs_rec), and a refresh reads again only what may have changed:
 *   - processes with a role in the request path: every tick, stat +
 *     cmdline (cpu%, rss and state are shown for them; gunicorn and
 *     postgres retitle themselves without an exec);
 *   - new pids, and pids the kernel's process connector named since the
 *     last tick: fork, exec, comm change, uid/gid change, exit (and their
 *     children: an exit gives them a new parent);
 *   - every other process is taken from procs_rec as it was (not even a
 *     readdir of /proc: fork and exit events name new and gone pids; a
 *     zombie is re-read each tick, its reaping sends no event). What no
 *     event reports (cpu time, rss of a process no pane shows) may be up
 *     to PROCS_FULL_EVERY old.
 * Without the connector (not root, a container, ENOBUFS after a burst of
 * events), and every PROCS_FULL_EVERY seconds, the refresh reads
 * /proc/PID/stat of every process instead (libproc2 also stats the
 * directory: euid/egid); then the cmdline is read again only when comm or
 * the stack address changed (an exec), at a zombie, or for a watched one
 * (there also every python: an exec from python to python keeps the comm,
 * and the stack address when ASLR is off).
 * Reads by pid go through libproc2's select, which also reads
 * /proc/PID/status (and /proc/uptime once). /proc/PID/cgroup is read once
 * per process lifetime; status again for nginx workers (their groups) when
 * their record is read from scratch. */
#include "procs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <libproc2/pids.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-login.h>

#include "trust.h"

#define PROCS_FULL_EVERY 60.0        /* seconds between full reads of every process */
#define PROCS_TITLE_SETTLE 10.0      /* a watched process this young: cmdline every tick */
#define PROCS_TITLE_RECHECK 5.0      /* else its cmdline at most this old */
#define PROCS_SELECT_MAX 255         /* FILL_ID_MAX of libproc2's readproc.h: pids per select */

/* Items of a process; the walk over every process leaves out the last
 * (the cmdline): it reads /proc/PID/stat only. (No item from status: a
 * select by pid reads status for the tgid, but a status item makes it read
 * the file a second time.) */
enum {
	I_PID, I_PPID, I_EUID, I_EGID, I_EUSER, I_STATE, I_CMD, I_RSS,
	I_TICS_ALL, I_TICS_BEGAN, I_STACK, I_CMDLINE_V, I_MAX
};

static enum pids_item procs_items[I_MAX] = {
	[I_PID] = PIDS_ID_PID,
	[I_PPID] = PIDS_ID_PPID,
	[I_EUID] = PIDS_ID_EUID,
	[I_EGID] = PIDS_ID_EGID,
	[I_EUSER] = PIDS_ID_EUSER,
	[I_STATE] = PIDS_STATE,
	[I_CMD] = PIDS_CMD,
	[I_RSS] = PIDS_RSS,
	[I_TICS_ALL] = PIDS_TICS_ALL,
	[I_TICS_BEGAN] = PIDS_TICS_BEGAN,
	[I_STACK] = PIDS_ADDR_STACK_START,   /* new on every exec (ASLR); 0 when not ours to see */
	[I_CMDLINE_V] = PIDS_CMDLINE_V,
};

/* One process as the last refresh saw it: all a gw_proc holds but the
 * role (classified every tick). The groups of nginx workers are read once
 * per record read from scratch (setgroups sends no event, but a worker's
 * initgroups comes before its setuid, which does). Strings are owned (most
 * command lines are short or empty). */
struct procs_rec {
	pid_t pid, ppid;
	uid_t uid;
	gid_t gid;
	char user[32];
	char state;
	char comm[64];
	unsigned long rss_kb;
	unsigned long long began;    /* start ticks: tells a reused pid apart */
	unsigned long long ticks;    /* utime + stime */
	double when;                 /* gw_mono() of the read ticks and cpu_pct come from */
	double cpu_pct;
	unsigned long stack;         /* start of the stack: changes on exec */
	int watch;                   /* read every tick (see top) */
	int fresh;                   /* read this tick */
	int have_cmdline;            /* cmdline read along with stat */
	double cmdline_when;         /* gw_mono() of the last cmdline read (procs_quick) */
	int groups_known;            /* ngroups/groups read for this record */
	int ngroups;
	gid_t groups[32];
	char *cmdline;
	char *cgroup;
	char unit[GW_NAME];
	int trust_known;             /* nginx master check done for this exec + uid */
	int trust_ok;
	char trust_why[160];
};

struct procs_state {
	struct pids_info *info;          /* stat items: the walk over every process */
	struct pids_info *sel_info;      /* stat items + cmdline: select by pid */
	GW_VEC(struct procs_rec) prev;   /* sorted by pid */
	double full_mono;                /* when every process was last read */
	long hertz;
	long page_kb;
	int cn_fd;                       /* process connector, -1 none */
	int cn_tried;
	int cn_lost;                     /* events were lost: read everything */
	double title_settle, title_recheck;   /* PROCS_TITLE_*, see procs_quick */
	GW_VEC(pid_t) dirty;             /* tgids named by events since the last refresh */
	int watched_exit;                /* a watched process exited since procs_pump */
};

struct procs_state *procs_state_new(void)
{
	struct procs_state *st = gw_xcalloc(1, sizeof *st);
	st->hertz = sysconf(_SC_CLK_TCK);
	if (st->hertz <= 0) st->hertz = 100;
	st->page_kb = sysconf(_SC_PAGESIZE) / 1024;
	if (st->page_kb <= 0) st->page_kb = 4;
	st->cn_fd = -1;
	st->title_settle = PROCS_TITLE_SETTLE;
	st->title_recheck = PROCS_TITLE_RECHECK;
	return st;
}

void procs_title_timing(struct procs_state *st, double settle, double recheck)
{
	st->title_settle = settle;
	st->title_recheck = recheck;
}

static void procs_recs_free(struct procs_rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].cmdline);
		free(v[i].cgroup);
	}
}

void procs_state_free(struct procs_state *st)
{
	if (!st) return;
	if (st->info) procps_pids_unref(&st->info);
	if (st->sel_info) procps_pids_unref(&st->sel_info);
	if (st->cn_fd >= 0) close(st->cn_fd);
	procs_recs_free(st->prev.v, st->prev.n);
	gw_vec_free(&st->prev);
	gw_vec_free(&st->dirty);
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
	const char *p = cgroup;

	if (size) unit[0] = '\0';
	/* systemd's own rule (cg_path_get_unit): the first name below the
	 * slices. What lies below a unit is the unit's to name: a delegated
	 * subtree, a user's manager (user@UID.service/app.slice/sshd.service is
	 * the user's, not sshd). */
	while (*p) {
		while (*p == '/') p++;
		const char *e = p;
		while (*e && *e != '/') e++;
		size_t len = (size_t)(e - p);
		if ((len > 8 && !memcmp(e - 8, ".service", 8)) || (len > 6 && !memcmp(e - 6, ".scope", 6))) {
			/* a user's manager: nothing in it is a system unit to restart */
			if (len >= 5 && !memcmp(p, "user@", 5)) return;
			if (size) {
				size_t c = len < size - 1 ? len : size - 1;
				memcpy(unit, p, c);
				unit[c] = '\0';
			}
			return;
		}
		/* slices, and what only root names above the units (a
		 * container's cgroup root seen from the host) */
		p = e;
	}
}

/* The unit of pid as systemd sees it (sd_pid_get_unit: the system unit,
 * user@UID.service for a user's processes) when systemd runs, else from
 * the cgroup path; "" for anything in a user's manager (trust.h). */
static void procs_unit_of(pid_t pid, const char *cgroup, char *unit, size_t size)
{
	char *u = NULL;
	static int booted = -1;

	if (booted < 0) booted = sd_booted() > 0;
	if (booted && sd_pid_get_unit(pid, &u) >= 0 && u) {
		gw_strlcpy(unit, u, size);
		free(u);
	} else {
		procs_unit_from_cgroup(cgroup, unit, size);
	}
	if (gw_starts_with(unit, "user@") || trust_cgroup_user(cgroup)) unit[0] = '\0';
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

/* ---------------------------------------------------------------- process connector */

/* Subscribe to the kernel's process events (NETLINK_CONNECTOR, CN_IDX_PROC).
 * Needs CAP_NET_ADMIN in the initial namespaces; inside a container the
 * subscription is accepted but no event ever comes, so the kernel's
 * acknowledgement (a PROC_EVENT_NONE with err 0, queued before send()
 * returns) must be seen, else the connector counts as absent. */
static int procs_cn_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (fd < 0) return -1;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
	int rcv = 1 << 20;                   /* room for bursts of fork/exec/exit between ticks */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
	struct {
		struct nlmsghdr h;
		struct cn_msg cn;
		enum proc_cn_mcast_op op;
	} __attribute__((packed)) req;
	memset(&req, 0, sizeof req);
	req.h.nlmsg_len = sizeof req;
	req.h.nlmsg_type = NLMSG_DONE;
	req.h.nlmsg_pid = 0;
	req.cn.id.idx = CN_IDX_PROC;
	req.cn.id.val = CN_VAL_PROC;
	req.cn.len = sizeof req.op;
	req.op = PROC_CN_MCAST_LISTEN;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || send(fd, &req, sizeof req, 0) < 0) {
		close(fd);
		return -1;
	}
	char buf[4096] __attribute__((aligned(8)));
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < (ssize_t)(sizeof(struct nlmsghdr) + sizeof(struct cn_msg) + sizeof(struct proc_event)))
			break;
		struct proc_event ev;        /* copied: it sits 4-byte aligned after cn_msg */
		memcpy(&ev, buf + sizeof(struct nlmsghdr) + sizeof(struct cn_msg), sizeof ev);
		if (ev.what == PROC_EVENT_NONE)
			return ev.event_data.ack.err == 0 ? fd : (close(fd), -1);
	}
	close(fd);
	return -1;
}

static void procs_dirty_add(struct procs_state *st, pid_t pid)
{
	*(pid_t *)gw_vec_push(&st->dirty) = pid;
}

static int procs_pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

static int procs_dirty_has(const struct procs_state *st, pid_t pid)
{
	return st->dirty.n && bsearch(&pid, st->dirty.v, st->dirty.n, sizeof pid, procs_pid_cmp);
}

/* Was pid a watched process (nginx, an app server, a database) at the
 * last refresh? st->prev is sorted by pid. */
static int procs_is_watched(const struct procs_state *st, pid_t pid)
{
	size_t lo = 0, hi = st->prev.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (st->prev.v[mid].pid < pid) lo = mid + 1;
		else hi = mid;
	}
	return lo < st->prev.n && st->prev.v[lo].pid == pid && st->prev.v[lo].watch;
}

/* Take every queued event: the tgids they name go to st->dirty (sorted).
 * Returns 0, or -1 when there is no usable connector or events were lost. */
static int procs_cn_drain(struct procs_state *st)
{
	if (!st->cn_tried) {
		st->cn_tried = 1;
		st->cn_fd = procs_cn_open();
		st->cn_lost = 1;                 /* nothing known yet: read everything once */
	}
	if (st->cn_fd < 0) return -1;
	char buf[4096] __attribute__((aligned(8)));
	for (;;) {
		ssize_t n = recv(st->cn_fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR) continue;
			if (errno == ENOBUFS) { st->cn_lost = 1; continue; }   /* overflowed: go on draining */
			break;                                                  /* EAGAIN: all taken */
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const struct cn_msg *cn = NLMSG_DATA(h);
			struct proc_event ev;    /* copied: it sits 4-byte aligned after cn_msg */
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof *cn + sizeof ev) ||
			    cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC)
				continue;
			memcpy(&ev, cn->data, sizeof ev);
			switch (ev.what) {
			case PROC_EVENT_FORK:        /* a new process; a new thread changes nothing shown */
				if (ev.event_data.fork.child_pid == ev.event_data.fork.child_tgid)
					procs_dirty_add(st, ev.event_data.fork.child_tgid);
				break;
			case PROC_EVENT_EXEC:
				procs_dirty_add(st, ev.event_data.exec.process_tgid);
				break;
			case PROC_EVENT_UID:
			case PROC_EVENT_GID:
				procs_dirty_add(st, ev.event_data.id.process_tgid);
				break;
			case PROC_EVENT_COMM:        /* a thread's rename is not the process's */
				if (ev.event_data.comm.process_pid == ev.event_data.comm.process_tgid)
					procs_dirty_add(st, ev.event_data.comm.process_tgid);
				break;
			case PROC_EVENT_EXIT:
				if (ev.event_data.exit.process_pid == ev.event_data.exit.process_tgid) {
					procs_dirty_add(st, ev.event_data.exit.process_tgid);
					if (procs_is_watched(st, ev.event_data.exit.process_tgid)) st->watched_exit = 1;
				}
				break;
			default:
				break;
			}
		}
	}
	if (st->dirty.n > 1) qsort(st->dirty.v, st->dirty.n, sizeof *st->dirty.v, procs_pid_cmp);
	return st->cn_lost ? -1 : 0;
}

int procs_event_fd(struct procs_state *st)
{
	if (!st->cn_tried) {
		st->cn_tried = 1;
		st->cn_fd = procs_cn_open();
		st->cn_lost = 1;
	}
	return st->cn_fd;
}

int procs_pump(struct procs_state *st)
{
	procs_cn_drain(st);
	int exited = st->watched_exit;
	st->watched_exit = 0;
	return exited;
}

/* ---------------------------------------------------------------- refresh */

static int procs_rec_cmp(const void *a, const void *b)
{
	pid_t x = ((const struct procs_rec *)a)->pid, y = ((const struct procs_rec *)b)->pid;
	return (x > y) - (x < y);
}

/* The previous record of pid (any start time), NULL none. */
static struct procs_rec *procs_prev_of(struct procs_state *st, pid_t pid)
{
	struct procs_rec key = { .pid = pid };
	return st->prev.n ? bsearch(&key, st->prev.v, st->prev.n, sizeof key, procs_rec_cmp) : NULL;
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

/* A retitled process (setproctitle) leaves its argv area NUL-padded: the
 * empty arguments would show as trailing blanks. Both ways of reading a
 * cmdline (libproc2's vector, the raw read) end up the same. */
static void procs_trim_title(char *line)
{
	size_t n = strlen(line);
	while (n > 0 && line[n - 1] == ' ') n--;
	line[n] = '\0';
}

static void procs_join_argv(char **v, char *out, size_t size)
{
	out[0] = '\0';
	if (!v) return;
	/* libproc2 gives {"-"} for an empty cmdline (kernel threads, zombies) */
	if (v[0] && !strcmp(v[0], "-") && !v[1]) return;
	for (size_t i = 0; v[i]; i++)
		gw_append(out, size, "%s%s", i ? " " : "", v[i]);
	procs_trim_title(out);
}

/* Fill a new (zeroed) record from one libproc2 stack (with_cmdline: the
 * handle had that item). PIDS_VAL only indexes the stack: its info
 * argument is unused. */
static void procs_rec_fill(struct procs_state *st, struct procs_rec *r, struct pids_stack *k, int with_cmdline)
{
	const char *user = PIDS_VAL(I_EUSER, str, k, NULL);
	const char *comm = PIDS_VAL(I_CMD, str, k, NULL);
	r->pid = PIDS_VAL(I_PID, s_int, k, NULL);
	r->ppid = PIDS_VAL(I_PPID, s_int, k, NULL);
	r->uid = PIDS_VAL(I_EUID, u_int, k, NULL);
	r->gid = PIDS_VAL(I_EGID, u_int, k, NULL);
	GW_COPY(r->user, user ? user : "");
	r->state = PIDS_VAL(I_STATE, s_ch, k, NULL);
	GW_COPY(r->comm, comm ? comm : "");
	r->rss_kb = PIDS_VAL(I_RSS, ul_int, k, NULL) * (unsigned long)st->page_kb;
	r->ticks = PIDS_VAL(I_TICS_ALL, ull_int, k, NULL);
	r->began = PIDS_VAL(I_TICS_BEGAN, ull_int, k, NULL);
	r->stack = PIDS_VAL(I_STACK, ul_int, k, NULL);
	r->fresh = 1;
	if (with_cmdline) {
		char line[GW_LINE];
		procs_join_argv(PIDS_VAL(I_CMDLINE_V, strv, k, NULL), line, sizeof line);
		r->cmdline = line[0] ? gw_xstrdup(line) : NULL;
		r->have_cmdline = 1;
	}
}

/* The per-tick read of a watched process that no event named: its
 * /proc/PID/stat and (see below when) cmdline read directly (libproc2's
 * select also reads status and /proc/uptime). Appends a record made from
 * old with the new numbers and cmdline, or returns -1 when the process is gone
 * or is no longer the one old describes (another start time, an exec: new
 * stack or comm) -- then the caller reads it the full way. old keeps its
 * cgroup for the inheritance step. */
static int procs_quick(struct procs_state *st, struct procs_rec *old, double uptime, double mono,
		       void *out_vec)
{
	GW_VEC(struct procs_rec) *out = out_vec;
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)old->pid);
	if (gw_read_small(path, buf, sizeof buf) <= 0) return -1;
	char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren) return -1;
	size_t clen = (size_t)(close_paren - open_paren - 1);
	if (clen >= sizeof old->comm || strncmp(old->comm, open_paren + 1, clen) || old->comm[clen]) return -1;
	/* after "(comm) " comes field 3, the state; then f[k] is field 3 + k:
	 * ppid 4, utime 14, stime 15, starttime 22, rss 24, startstack 28 */
	unsigned long long f[26];
	const char *q = close_paren + 1;
	while (*q == ' ') q++;
	char state = *q;
	while (*q && *q != ' ') q++;
	int k;
	for (k = 1; k < 26 && *q; k++) {
		char *end;
		f[k] = strtoull(q, &end, 10);
		if (end == q) return -1;
		q = end;
	}
	if (k < 26 || !state) return -1;
	unsigned long long began = f[19], stack = f[25];
	if (began != old->began || stack != old->stack) return -1;

	/* The title: an exec shows in the stack address, a rename by prctl
	 * sends an event; what is left is a process rewriting its argv
	 * (setproctitle: gunicorn and uvicorn do it once, just after they
	 * start). So the cmdline is read again every tick while the process is
	 * young, else every PROCS_TITLE_RECHECK seconds (tests set both lower). */
	char line[GW_LINE];
	double age = uptime - (double)began / (double)st->hertz;
	int reread = !old->cmdline_when || age < st->title_settle ||
		     mono - old->cmdline_when >= st->title_recheck;
	if (reread) {
		snprintf(path, sizeof path, "/proc/%d/cmdline", (int)old->pid);
		ssize_t n = gw_read_small(path, line, sizeof line);
		if (n < 0) return -1;
		for (ssize_t i = 0; i < n; i++)
			if (line[i] == '\0') line[i] = ' ';
		line[n] = '\0';
		procs_trim_title(line);
	}

	struct procs_rec *r = gw_vec_push(out);
	*r = *old;
	r->ppid = (pid_t)f[1];
	r->state = state;
	r->ticks = f[11] + f[12];
	r->rss_kb = (unsigned long)f[21] * (unsigned long)st->page_kb;
	if (reread) {
		r->cmdline = line[0] ? gw_xstrdup(line) : NULL;
		r->cmdline_when = mono;
	} else {
		old->cmdline = NULL;         /* moves along */
	}
	r->cgroup = NULL;
	r->fresh = 1;
	r->have_cmdline = 1;
	return 0;
}

/* Read stat + cmdline of the pids with libproc2 selects into new records
 * appended to out. A pid gone in between is simply not appended. */
static void procs_select(struct procs_state *st, const unsigned *pids, size_t n, void *out_vec)
{
	GW_VEC(struct procs_rec) *out = out_vec;
	if (!n) return;
	if (!st->sel_info && procps_pids_new(&st->sel_info, procs_items, I_MAX) < 0) {
		st->sel_info = NULL;
		return;
	}
	for (size_t at = 0; at < n; at += PROCS_SELECT_MAX) {
		int chunk = (int)(n - at < PROCS_SELECT_MAX ? n - at : PROCS_SELECT_MAX);
		struct pids_fetch *f = procps_pids_select(st->sel_info, (unsigned *)pids + at, chunk, PIDS_SELECT_PID);
		if (!f) continue;
		for (int i = 0; i < f->counts->total; i++)
			procs_rec_fill(st, gw_vec_push(out), f->stacks[i], 1);
	}
}

int procs_refresh(struct gw_snapshot *s, struct procs_state *st)
{
	struct timespec bt;
	double now = gw_now(), mono = gw_mono(), boot;
	GW_VEC(struct procs_rec) next = { 0 };
	GW_VEC(unsigned) want = { 0 };

	clock_gettime(CLOCK_BOOTTIME, &bt);
	double uptime = bt.tv_sec + bt.tv_nsec / 1e9;
	boot = now - uptime;

	/* about as many records as last time: one allocation, not a doubling series */
	next.cap = st->prev.n + 16;
	next.v = gw_xmalloc(next.cap * sizeof *next.v);

	int full = procs_cn_drain(st) < 0 || !st->full_mono || mono - st->full_mono >= PROCS_FULL_EVERY;
	if (full) {
		/* Every process. Without the connector this is every tick: stat
		 * only, cmdlines below for those that need one. Else (the first
		 * pass, the periodic one, after lost events) stat + cmdline in one
		 * go, and the stat-only handle is never needed (its memory saved). */
		int with_cmdline = st->cn_fd >= 0 || !st->prev.n;
		struct pids_info **info = with_cmdline ? &st->sel_info : &st->info;
		struct pids_fetch *f = NULL;
		if (!*info && procps_pids_new(info, procs_items, with_cmdline ? I_MAX : I_MAX - 1) < 0) {
			*info = NULL;
			snapshot_note(s, "procs", "libproc2: cannot open the process table");
		} else if (!(f = procps_pids_reap(*info, PIDS_FETCH_TASKS_ONLY))) {
			snapshot_note(s, "procs", "libproc2: reading /proc failed: %s", strerror(errno));
		}
		if (!f) {
			gw_vec_clear(&st->dirty);
			gw_vec_free(&next);
			return -1;
		}
		for (int i = 0; i < f->counts->total; i++)
			procs_rec_fill(st, gw_vec_push(&next), f->stacks[i], with_cmdline);
		st->full_mono = mono;
		st->cn_lost = 0;
	} else {
		/* The events name every process that appeared (fork), went
		 * (exit) or changed: the others are kept as they were, without
		 * even a readdir of /proc. */
		for (size_t i = 0; i < st->prev.n; i++) {
			struct procs_rec *old = &st->prev.v[i];
			int dirty = procs_dirty_has(st, old->pid) || procs_dirty_has(st, old->ppid);
			if (old->watch && !dirty && procs_quick(st, old, uptime, mono, &next) == 0)
				continue;
			if (old->watch || dirty) {
				*(unsigned *)gw_vec_push(&want) = (unsigned)old->pid;
				continue;
			}
			struct procs_rec *r = gw_vec_push(&next);
			*r = *old;                   /* its strings move along */
			r->fresh = 0;
			old->cmdline = old->cgroup = NULL;
		}
		for (size_t i = 0; i < st->dirty.n; i++)     /* new ones (sorted: once each) */
			if ((i == 0 || st->dirty.v[i] != st->dirty.v[i - 1]) && !procs_prev_of(st, st->dirty.v[i]))
				*(unsigned *)gw_vec_push(&want) = (unsigned)st->dirty.v[i];
		procs_select(st, want.v, want.n, &next);
		gw_vec_clear(&want);
	}
	gw_vec_clear(&st->dirty);
	if (next.n > 1) qsort(next.v, next.n, sizeof *next.v, procs_rec_cmp);

	/* what the records read now inherit from their last read */
	for (size_t i = 0; i < next.n; i++) {
		struct procs_rec *r = &next.v[i];
		if (!r->fresh) continue;
		r->when = mono;
		struct procs_rec *old = procs_prev_of(st, r->pid);
		if (old && old->began != r->began) old = NULL;     /* a new process under a reused pid */
		/* over the time since that read: a kept record may be many ticks old */
		double dt = old ? mono - old->when : 0;
		if (old && dt > 0 && r->ticks >= old->ticks)
			r->cpu_pct = (double)(r->ticks - old->ticks) / (double)st->hertz / dt * 100.0;
		if (old) {
			r->cgroup = old->cgroup;
			old->cgroup = NULL;
			GW_COPY(r->unit, old->unit);
			if (old->trust_known && old->stack == r->stack && old->uid == r->uid &&
			    !strcmp(old->comm, r->comm)) {
				r->trust_known = 1;
				r->trust_ok = old->trust_ok;
				GW_COPY(r->trust_why, old->trust_why);
			}
		} else if (r->ppid != 2 && r->pid != 2) {     /* kernel threads: no cgroup of interest */
			char cg[GW_PATH];
			procs_read_cgroup(r->pid, cg, sizeof cg);
			procs_unit_of(r->pid, cg, r->unit, sizeof r->unit);
			r->cgroup = cg[0] ? gw_xstrdup(cg) : NULL;
		}
		if (r->have_cmdline) {
			if (!r->cmdline_when) r->cmdline_when = mono;
			continue;
		}
		/* stat only (the full walk): the cmdline stays unless it may have changed */
		if (old && !old->watch && old->stack == r->stack && (old->state == 'Z') == (r->state == 'Z') &&
		    !strcmp(old->comm, r->comm)) {
			r->cmdline = old->cmdline;
			old->cmdline = NULL;
		} else {
			*(unsigned *)gw_vec_push(&want) = (unsigned)r->pid;
		}
	}
	if (want.n) {
		/* fresher records for those: stat again, with the cmdline */
		size_t before = next.n;
		procs_select(st, want.v, want.n, &next);
		for (size_t i = before; i < next.n; i++) {
			struct procs_rec key = next.v[i];
			struct procs_rec *r = bsearch(&key, next.v, before, sizeof key, procs_rec_cmp);
			if (!r || r->began != key.began) {
				procs_recs_free(&next.v[i], 1);
				continue;
			}
			/* keep what was derived above (cpu%, cgroup, unit); take the new cmdline */
			free(r->cmdline);
			r->cmdline = key.cmdline;
			r->cmdline_when = mono;
			free(key.cgroup);
		}
		next.n = before;
	}
	gw_vec_free(&want);

	gw_vec_clear(&s->procs);
	if (s->procs.cap < next.n) {         /* exactly: a gw_proc is big and this is per snapshot */
		s->procs.v = gw_xrealloc(s->procs.v, next.n * sizeof *s->procs.v);
		s->procs.cap = next.n;
	}
	for (size_t i = 0; i < next.n; i++) {
		const struct procs_rec *r = &next.v[i];
		struct gw_proc *p = gw_vec_push(&s->procs);
		p->pid = r->pid;
		p->ppid = r->ppid;
		p->uid = r->uid;
		p->gid = r->gid;
		GW_COPY(p->user, r->user);
		p->state = r->state;
		GW_COPY(p->comm, r->comm);
		GW_COPY(p->cmdline, r->cmdline ? r->cmdline : "");
		p->rss_kb = r->rss_kb;
		p->start_time = boot + (double)r->began / (double)st->hertz;
		p->cpu_pct = r->cpu_pct;
		p->cpu_ticks = r->ticks;
		GW_COPY(p->cgroup, r->cgroup ? r->cgroup : "");
		GW_COPY(p->unit, r->unit);
	}

	/* roles: first alone, then again knowing the parent's first-pass role
	 * (gunicorn/uvicorn workers are children of their master) */
	enum gw_role *base = gw_xcalloc(s->procs.n ? s->procs.n : 1, sizeof *base);
	for (size_t i = 0; i < s->procs.n; i++)
		base[i] = procs_classify(s->procs.v[i].cmdline, s->procs.v[i].comm, GW_ROLE_OTHER);
	for (size_t i = 0; i < s->procs.n; i++) {
		struct gw_proc *p = &s->procs.v[i];
		int pi = procs_find(s, p->ppid);
		enum gw_role pr = pi >= 0 ? base[pi] : GW_ROLE_OTHER;
		p->role = pr == GW_ROLE_OTHER ? base[i] : procs_classify(p->cmdline, p->comm, pr);
		if (p->role == GW_ROLE_NGINX_MASTER && trust_strict()) {
			/* a title is not proof (trust.h): checked once per exec */
			struct procs_rec *r = &next.v[i];
			if (!r->trust_known) {
				r->trust_ok = trust_nginx_master(p->pid, p->uid, p->cgroup, r->trust_why, sizeof r->trust_why);
				r->trust_known = 1;
			}
			if (!r->trust_ok) {
				snapshot_note(s, "procs", "pid %d has an nginx master's title but is not trusted: %s; "
					      "its -c / -p are not used", (int)p->pid, r->trust_why);
				p->role = GW_ROLE_OTHER;
			}
		}
		if (p->role == GW_ROLE_NGINX_WORKER) {   /* sockperm needs the worker's groups */
			struct procs_rec *r = &next.v[i];
			if (!r->groups_known) {
				procs_read_groups(p);
				r->ngroups = p->ngroups;
				memcpy(r->groups, p->groups, sizeof r->groups);
				r->groups_known = 1;
			} else {
				p->ngroups = r->ngroups;
				memcpy(p->groups, r->groups, sizeof p->groups);
			}
		}
		/* a zombie too: its reaping sends no event, only a read shows it
		 * gone; and without the connector a python (see top) */
		next.v[i].watch = p->role != GW_ROLE_OTHER || p->state == 'Z' ||
				  (st->cn_fd < 0 && procs_is_python(p->comm));
	}
	free(base);

	procs_recs_free(st->prev.v, st->prev.n);
	gw_vec_free(&st->prev);
	st->prev.v = next.v;
	st->prev.n = next.n;
	st->prev.cap = next.cap;
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

/* Max open files of pid (soft, hard; -1 unlimited or unreadable) and its
 * open fds (-1 when /proc/PID/fd is not ours to read). */
static void procs_nofile(pid_t pid, long *soft, long *hard, int *nfds)
{
	char path[64], line[256];
	*soft = *hard = -1;
	*nfds = -1;
	gw_fmt(path, sizeof path, "/proc/%d/limits", (int)pid);
	FILE *f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof line, f)) {
			if (strncmp(line, "Max open files", 14)) continue;
			char *p = line + 14, *e;
			long a = strtol(p, &e, 10);
			if (e != p) *soft = a;
			p = e;
			long b = strtol(p, &e, 10);
			if (e != p) *hard = b;
			break;
		}
		fclose(f);
	}
	gw_fmt(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (d) {
		int n = 0;
		struct dirent *de;
		while ((de = readdir(d)))
			if (de->d_name[0] != '.') n++;
		closedir(d);
		*nfds = n;
	}
}

void procs_nginx_runtime(struct gw_snapshot *s)
{
	struct gw_nginx_runtime *n = &s->nginx;
	const struct gw_proc *master = NULL, *first = NULL;

	char b[PATH_MAX];
	int have_b = -1;                 /* realpath of our config: once, when needed */

	memset(n, 0, sizeof *n);
	/* The master that runs THIS config: its -c names it. A master without
	 * -c runs the compiled-in default and may be ours; a master whose -c
	 * names another file is another nginx, never ours. */
	for (size_t i = 0; i < s->procs.n; i++) {
		const struct gw_proc *p = &s->procs.v[i];
		char conf[GW_PATH], a[PATH_MAX];
		if (p->role != GW_ROLE_NGINX_MASTER) continue;
		procs_master_conf(p->cmdline, conf, sizeof conf);
		if (!s->conf.conf_path[0]) { master = p; break; }
		if (conf[0] && strcmp(conf, s->conf.conf_path) && have_b < 0)
			have_b = realpath(s->conf.conf_path, b) != NULL;
		if (!strcmp(conf, s->conf.conf_path) ||
		    (conf[0] && have_b > 0 && realpath(conf, a) && !strcmp(a, b)) ||
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
		n->limits_pid = worker->pid;
		procs_nofile(worker->pid, &n->nofile_soft, &n->nofile_hard, &n->nfds);
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
