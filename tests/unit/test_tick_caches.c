/* test_tick_caches.c — the caches that keep an idle dashboard tick cheap
 * must let every change through, on real files, processes and sockets:
 *   - procs: a process that execs into gunicorn under the same pid is seen
 *     with its new role and command line; a process started between two
 *     refreshes is seen; an exiting one goes;
 *   - nginx config: an include edited in place (same size, mtime put back),
 *     a new file matching an include glob, a removed one, a missing include
 *     that appears: each is parsed; unchanged, the result is identical;
 *   - log tails: an append, a rotation, and an unchanged file whose events
 *     age out of the window, each give what an uncached read gives;
 *   - listeners: the cached owner exits, its child keeps the socket: the
 *     child is the owner;
 *   - an app server's environment (no systemd): read once per process, read
 *     again when the same pid execs with another environment.
 * Every process started here is killed by pid in the teardown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "listeners.h"
#include "logread.h"
#include "nginx_conf.h"
#include "procs.h"
#include "units.h"

static char dir[64];
static pid_t kids[4];
static int nkids;

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	nkids = 0;
	snprintf(dir, sizeof dir, "/tmp/gwtop-caches-XXXXXX");
	if (!mkdtemp(dir)) return -1;
	chmod(dir, 0755);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < nkids; i++) {
		if (kids[i] <= 0) continue;
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);   /* ECHILD for a grandchild: it was killed all the same */
	}
	nkids = 0;
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void append(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0) return -1;
	buf[n] = '\0';
	return (int)n;
}

/* ---------------------------------------------------------------- procs */

static const struct gw_proc *proc_of(const struct gw_snapshot *s, pid_t pid)
{
	int i = procs_find(s, pid);
	return i >= 0 ? &s->procs.v[i] : NULL;
}

/* A shell waits on a pipe, then execs python running a script named
 * "gunicorn": same pid, new program. The shell has no role (nothing makes
 * it re-read every tick): only the exec tells. */
static void test_procs_exec_same_pid(void **state)
{
	(void)state;
	char script[128], cmd[512], want[256], comm[64];
	int pfd[2];
	snprintf(script, sizeof script, "%s/gunicorn", dir);
	put(script, "import time\ntime.sleep(30)\n");
	snprintf(cmd, sizeof cmd, "read x; exec /usr/bin/python3 %s", script);
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[0], 0);
		close(pfd[0]);
		close(pfd[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	kids[nkids++] = pid;
	close(pfd[0]);
	usleep(200000);

	struct gw_snapshot s;
	struct procs_state *st = procs_state_new();
	snapshot_init(&s);
	for (int tick = 0; tick < 3; tick++) {       /* the first refresh reads all; the next ones may not */
		assert_int_equal(procs_refresh(&s, st), 0);
		const struct gw_proc *p = proc_of(&s, pid);
		assert_non_null(p);
		assert_string_equal(p->comm, "sh");
		assert_int_equal(p->role, GW_ROLE_OTHER);
		usleep(50000);
	}

	/* exec, and wait until the kernel shows the new program */
	assert_int_equal(write(pfd[1], "\n", 1), 1);
	close(pfd[1]);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	for (int k = 0; k < 100; k++) {
		if (read_small(path, comm, sizeof comm) > 0 && !strncmp(comm, "python3", 7)) break;
		usleep(20000);
	}
	assert_int_equal(strncmp(comm, "python3", 7), 0);

	assert_int_equal(procs_refresh(&s, st), 0);
	const struct gw_proc *p = proc_of(&s, pid);
	assert_non_null(p);
	snprintf(want, sizeof want, "/usr/bin/python3 %s", script);
	assert_string_equal(p->cmdline, want);
	assert_string_equal(p->comm, "python3");
	assert_int_equal(p->role, GW_ROLE_GUNICORN_MASTER);

	/* a process started now is in the next refresh, one that exits is not */
	char *argv[] = { "/usr/bin/python3", script, NULL };
	pid_t late = fork();
	assert_true(late >= 0);
	if (late == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	kids[nkids++] = late;
	usleep(300000);
	assert_int_equal(procs_refresh(&s, st), 0);
	p = proc_of(&s, late);
	assert_non_null(p);
	assert_string_equal(p->cmdline, want);
	assert_int_equal(p->role, GW_ROLE_GUNICORN_MASTER);

	kill(late, SIGKILL);
	waitpid(late, NULL, 0);
	kids[--nkids] = 0;
	assert_int_equal(procs_refresh(&s, st), 0);
	assert_null(proc_of(&s, late));

	/* a plain fork, no exec and no role (only its fork tells), then its
	 * exit (only the exit tells) */
	pid_t plain = fork();
	assert_true(plain >= 0);
	if (plain == 0) {
		pause();
		_exit(0);
	}
	kids[nkids++] = plain;
	usleep(100000);
	assert_int_equal(procs_refresh(&s, st), 0);
	p = proc_of(&s, plain);
	assert_non_null(p);
	assert_int_equal(p->role, GW_ROLE_OTHER);
	assert_int_equal(p->ppid, getpid());
	assert_int_equal(procs_refresh(&s, st), 0);
	assert_non_null(proc_of(&s, plain));
	kill(plain, SIGKILL);
	waitpid(plain, NULL, 0);
	kids[--nkids] = 0;
	assert_int_equal(procs_refresh(&s, st), 0);
	assert_null(proc_of(&s, plain));
	/* still sorted, still there */
	assert_non_null(proc_of(&s, pid));
	for (size_t k = 1; k < s.procs.n; k++)
		assert_true(s.procs.v[k - 1].pid < s.procs.v[k].pid);
	procs_state_free(st);
	snapshot_free(&s);
}

/* ---------------------------------------------------------------- nginx config */

static int pass_port(const struct gw_nginx_conf *c, int port)
{
	for (size_t i = 0; i < c->passes.n; i++)
		if (c->passes.v[i].addr.port == port) return 1;
	return 0;
}

/* Parse through the cache and without it: the two must agree. */
static int parse_both(struct nginx_conf_cache *cc, struct gw_nginx_conf *c, const char *conf)
{
	struct gw_nginx_conf plain;
	memset(&plain, 0, sizeof plain);
	int rc = nginx_conf_parse_cached(cc, c, conf, dir);
	assert_int_equal(nginx_conf_parse(&plain, conf, dir), rc);
	assert_int_equal(c->ok, plain.ok);
	assert_string_equal(c->error, plain.error);
	assert_int_equal(c->passes.n, plain.passes.n);
	for (size_t i = 0; i < plain.passes.n; i++) {
		assert_string_equal(c->passes.v[i].arg, plain.passes.v[i].arg);
		assert_string_equal(c->passes.v[i].loc.file, plain.passes.v[i].loc.file);
		assert_int_equal(c->passes.v[i].loc.line, plain.passes.v[i].loc.line);
	}
	assert_int_equal(c->files.n, plain.files.n);
	assert_int_equal(c->upstreams.n, plain.upstreams.n);
	for (size_t i = 0; i < plain.upstreams.n; i++)
		assert_int_equal(c->upstreams.v[i].servers.n, plain.upstreams.v[i].servers.n);
	nginx_conf_free(&plain);
	return rc;
}

/* The caches trust a file only once its ctime is two seconds older than
 * the read (timestamps are coarse): let what was just written settle. */
static void settle(void)
{
	usleep(2200000);
}

/* Write title over this process's argv area (/proc/self/stat's arg_start
 * and arg_end), as setproctitle does: /proc/PID/cmdline shows it. */
static int retitle(const char *title)
{
	char st[1024];
	ssize_t n = read_small("/proc/self/stat", st, sizeof st);
	char *q = n > 0 ? strrchr(st, ')') : NULL, *save = NULL;
	unsigned long long v[60] = { 0 };
	int k = 3;                          /* the fields after "(comm)" are 3, 4, ... */
	for (char *tok = q ? strtok_r(q + 1, " ", &save) : NULL; tok && k < 60;
	     tok = strtok_r(NULL, " ", &save), k++)
		v[k] = strtoull(tok, NULL, 10);
	char *a = (char *)(uintptr_t)v[48], *e = (char *)(uintptr_t)v[49];
	size_t len = (size_t)(e - a), tl = strlen(title);
	if (!a || e <= a || tl >= len) return -1;
	memset(a, 0, len);
	memcpy(a, title, tl);
	return 0;
}

/* A child that looks like a gunicorn master: comm "gunicorn", title
 * first; on a byte written to *wfd it retitles itself later (argv
 * overwritten: no exec, no event) and burns burn_ms of cpu. Returns once
 * the first title shows in /proc. */
static pid_t titled_child(const char *first, const char *later, long burn_ms, int *wfd)
{
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char x;
		close(pfd[1]);
		prctl(PR_SET_NAME, "gunicorn", 0, 0, 0);
		if (retitle(first) < 0) _exit(2);
		if (read(pfd[0], &x, 1) != 1) _exit(1);
		if (retitle(later) < 0) _exit(2);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do clock_gettime(CLOCK_MONOTONIC, &t1);
		while ((t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L < burn_ms);
		pause();
		_exit(0);
	}
	kids[nkids++] = pid;
	close(pfd[0]);
	*wfd = pfd[1];
	char path[64], cl[128];
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	for (int k = 0; k < 100; k++) {
		if (read_small(path, cl, sizeof cl) > 0 && !strcmp(cl, first)) break;
		usleep(10000);
	}
	return pid;
}

/* A watched process (an app server) is read every tick without an event:
 * gunicorn retitles itself by writing over its argv (no exec, no event),
 * and its cpu time moves. The child takes a gunicorn master's title, then
 * on a byte from the pipe another one, and burns ~0.3 s of cpu. */
static void test_procs_watched_retitle(void **state)
{
	(void)state;
	int wfd;
	pid_t pid = titled_child("gunicorn: master [app]", "gunicorn: master [retitled]", 300, &wfd);

	struct gw_snapshot s;
	struct procs_state *st = procs_state_new();
	snapshot_init(&s);
	for (int tick = 0; tick < 3; tick++) {
		assert_int_equal(procs_refresh(&s, st), 0);
		const struct gw_proc *p = proc_of(&s, pid);
		assert_non_null(p);
		assert_string_equal(p->comm, "gunicorn");
		assert_string_equal(p->cmdline, "gunicorn: master [app]");
		assert_int_equal(p->role, GW_ROLE_GUNICORN_MASTER);
		usleep(50000);
	}
	unsigned long long ticks0 = proc_of(&s, pid)->cpu_ticks;
	assert_int_equal(write(wfd, "x", 1), 1);
	close(wfd);
	usleep(600000);                           /* the retitle, then 0.3 s of cpu */
	assert_int_equal(procs_refresh(&s, st), 0);
	const struct gw_proc *p = proc_of(&s, pid);
	assert_non_null(p);
	assert_string_equal(p->cmdline, "gunicorn: master [retitled]");
	assert_true(p->cpu_ticks > ticks0);
	assert_true(p->cpu_pct > 5.0);
	assert_true(p->rss_kb > 0);
	snapshot_free(&s);
	procs_state_free(st);
}

/* Past its first seconds a watched process's cmdline is not read every
 * tick: setproctitle happens once, at start. A retitle later shows within
 * the recheck time (shortened here: 0.3 s young, 3 s recheck), not at the
 * next tick; the numbers from stat still move every tick. */
static void test_procs_title_recheck(void **state)
{
	(void)state;
	int wfd;
	pid_t pid = titled_child("gunicorn: master [first]", "gunicorn: master [later]", 0, &wfd);
	char path[64], cl[128];
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);

	struct gw_snapshot s;
	struct procs_state *st = procs_state_new();
	procs_title_timing(st, 0.3, 3.0);
	snapshot_init(&s);
	assert_int_equal(procs_refresh(&s, st), 0);       /* young: read */
	assert_string_equal(proc_of(&s, pid)->cmdline, "gunicorn: master [first]");
	usleep(500000);                                    /* no longer young */
	assert_int_equal(write(wfd, "x", 1), 1);
	close(wfd);
	for (int k = 0; k < 100; k++) {                    /* the child has retitled */
		if (read_small(path, cl, sizeof cl) > 0 && strstr(cl, "[later]")) break;
		usleep(10000);
	}
	assert_int_equal(procs_refresh(&s, st), 0);       /* ~0.6 s after the read: kept */
	assert_non_null(proc_of(&s, pid));
	assert_string_equal(proc_of(&s, pid)->cmdline, "gunicorn: master [first]");
	assert_int_equal(proc_of(&s, pid)->role, GW_ROLE_GUNICORN_MASTER);
	usleep(2700000);                                   /* past the 3 s recheck */
	assert_int_equal(procs_refresh(&s, st), 0);
	assert_string_equal(proc_of(&s, pid)->cmdline, "gunicorn: master [later]");
	snapshot_free(&s);
	procs_state_free(st);
}

static void test_conf_cache_invalidates(void **state)
{
	(void)state;
	char conf[128], confd[128], a[128], b[128], note[128], extra[128];
	snprintf(conf, sizeof conf, "%s/nginx.conf", dir);
	snprintf(confd, sizeof confd, "%s/conf.d", dir);
	snprintf(a, sizeof a, "%s/conf.d/a.conf", dir);
	snprintf(b, sizeof b, "%s/conf.d/b.conf", dir);
	snprintf(note, sizeof note, "%s/conf.d/README", dir);
	snprintf(extra, sizeof extra, "%s/extra.conf", dir);
	assert_int_equal(mkdir(confd, 0755), 0);
	put(conf, "events {}\nhttp {\n  include conf.d/*.conf;\n  upstream app { server 127.0.0.1:9100; }\n}\n");
	put(a, "server { listen 8080; location / { proxy_pass http://127.0.0.1:9001; } }\n");
	settle();

	struct nginx_conf_cache *cc = nginx_conf_cache_new();
	struct gw_nginx_conf c;
	memset(&c, 0, sizeof c);
	assert_int_equal(parse_both(cc, &c, conf), 0);
	assert_int_equal(nginx_conf_cache_parses(cc), 1);
	assert_true(pass_port(&c, 9001));
	assert_int_equal(c.files.n, 2);
	/* unchanged: served from the cache, the same result, also after a free */
	nginx_conf_free(&c);
	assert_int_equal(parse_both(cc, &c, conf), 0);
	assert_int_equal(nginx_conf_cache_parses(cc), 1);
	assert_true(pass_port(&c, 9001));
	assert_int_equal(c.upstreams.n, 1);
	assert_int_equal(c.upstreams.v[0].servers.n, 1);

	/* a file the glob does not match appears in its directory: globbed
	 * again, same matches, still no parse */
	put(note, "not a config\n");
	assert_int_equal(parse_both(cc, &c, conf), 0);
	assert_int_equal(nginx_conf_cache_parses(cc), 1);

	/* the include edited in place: same size, mtime put back as it was */
	struct stat sb;
	assert_int_equal(stat(a, &sb), 0);
	put(a, "server { listen 8080; location / { proxy_pass http://127.0.0.1:9002; } }\n");
	struct timespec ts[2] = { sb.st_atim, sb.st_mtim };
	assert_int_equal(utimensat(AT_FDCWD, a, ts, 0), 0);
	assert_int_equal(parse_both(cc, &c, conf), 0);
	assert_false(pass_port(&c, 9001));
	assert_true(pass_port(&c, 9002));
	settle();
	assert_int_equal(parse_both(cc, &c, conf), 0);      /* parsed once more: it was racy */
	unsigned parses = nginx_conf_cache_parses(cc);
	assert_int_equal(parse_both(cc, &c, conf), 0);      /* then trusted */
	assert_int_equal(nginx_conf_cache_parses(cc), parses);

	/* a new file that the glob matches, then gone again */
	put(b, "server { listen 8081; location /b { proxy_pass http://127.0.0.1:9003; } }\n");
	assert_int_equal(parse_both(cc, &c, conf), 0);
	assert_true(pass_port(&c, 9003));
	assert_int_equal(c.files.n, 3);
	settle();
	assert_int_equal(parse_both(cc, &c, conf), 0);
	assert_int_equal(unlink(b), 0);
	assert_int_equal(parse_both(cc, &c, conf), 0);
	assert_false(pass_port(&c, 9003));

	/* an include of a file that is not there (an error), then it appears */
	put(a, "include extra.conf;\nserver { listen 8080; location / { proxy_pass http://127.0.0.1:9002; } }\n");
	assert_int_equal(parse_both(cc, &c, conf), -1);
	assert_true(c.error[0] != '\0');
	settle();
	assert_int_equal(parse_both(cc, &c, conf), -1);
	parses = nginx_conf_cache_parses(cc);
	assert_int_equal(parse_both(cc, &c, conf), -1);     /* still missing: the cached error */
	assert_int_equal(nginx_conf_cache_parses(cc), parses);
	put(extra, "server { listen 8082; location /x { proxy_pass http://127.0.0.1:9004; } }\n");
	assert_int_equal(parse_both(cc, &c, conf), 0);
	assert_true(pass_port(&c, 9004));

	/* another config path: parsed, not the cached one */
	char other[128];
	snprintf(other, sizeof other, "%s/other.conf", dir);
	put(other, "events {}\nhttp { server { location / { proxy_pass http://127.0.0.1:9005; } } }\n");
	assert_int_equal(parse_both(cc, &c, other), 0);
	assert_true(pass_port(&c, 9005));
	assert_false(pass_port(&c, 9004));

	nginx_conf_free(&c);
	nginx_conf_cache_free(cc);
}

/* The same snippet included from 200 server blocks is one dependency (one
 * stat per tick, not 200), and an edit of it is still seen. */
static void test_conf_cache_dedupes_includes(void **state)
{
	(void)state;
	char conf[128], snip[128];
	snprintf(conf, sizeof conf, "%s/many.conf", dir);
	snprintf(snip, sizeof snip, "%s/proxy_params", dir);
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "events {}\nhttp {\n");
	for (int i = 0; i < 200; i++)
		fprintf(f, "  server { listen %d; location / { include proxy_params; proxy_pass http://127.0.0.1:%d; } }\n",
			10000 + i, 20000 + i);
	fprintf(f, "}\n");
	assert_int_equal(fclose(f), 0);
	put(snip, "proxy_read_timeout 30s;\n");
	settle();

	struct nginx_conf_cache *cc = nginx_conf_cache_new();
	struct gw_nginx_conf c;
	memset(&c, 0, sizeof c);
	assert_int_equal(parse_both(cc, &c, conf), 0);
	assert_int_equal(c.passes.n, 200);
	assert_int_equal(nginx_conf_cache_ndeps(cc), 2);      /* many.conf, proxy_params */
	assert_int_equal(parse_both(cc, &c, conf), 0);
	assert_int_equal(nginx_conf_cache_parses(cc), 1);
	put(snip, "proxy_read_timeout 31s;\n");                   /* same size: ctime moved */
	assert_int_equal(parse_both(cc, &c, conf), 0);
	assert_int_equal(nginx_conf_cache_parses(cc), 2);
	nginx_conf_free(&c);
	nginx_conf_cache_free(cc);
}

/* ---------------------------------------------------------------- log tails */

/* An nginx error.log line at epoch t (local time, as nginx writes it). */
static void err_line(char *out, size_t size, double t, int port)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char stamp[32];
	localtime_r(&tt, &tm);
	strftime(stamp, sizeof stamp, "%Y/%m/%d %H:%M:%S", &tm);
	snprintf(out, size, "%s [error] 41#41: *1 connect() failed (111: Connection refused) while connecting "
		 "to upstream, client: 127.0.0.1, server: _, request: \"GET / HTTP/1.1\", upstream: "
		 "\"http://127.0.0.1:%d/\", host: \"x\"\n", stamp, port);
}

/* The cached read and a plain one of the same file give the same events. */
static int tail_both(struct logread_cache *lc, const char *path, double since)
{
	struct gw_snapshot a, b;
	snapshot_init(&a);
	snapshot_init(&b);
	int na = logread_tail_cached(lc, &a, path, "nginx-error", LOGREAD_NGINX_ERROR, 0, since);
	int nb = logread_tail(&b, path, "nginx-error", LOGREAD_NGINX_ERROR, 0, since);
	logread_cache_sweep(lc);
	assert_int_equal(na, nb);
	assert_int_equal(a.events.n, b.events.n);
	for (size_t i = 0; i < a.events.n; i++) {
		assert_int_equal(a.events.v[i].kind, b.events.v[i].kind);
		assert_true(a.events.v[i].time == b.events.v[i].time);
		assert_string_equal(a.events.v[i].upstream, b.events.v[i].upstream);
		assert_string_equal(a.events.v[i].line, b.events.v[i].line);
	}
	assert_int_equal(a.log_sources.n, 1);
	assert_int_equal(a.log_sources.v[0].readable, b.log_sources.v[0].readable);
	assert_true(a.log_sources.v[0].size == b.log_sources.v[0].size);
	assert_true(a.log_sources.v[0].inode == b.log_sources.v[0].inode);
	snapshot_free(&a);
	snapshot_free(&b);
	return na;
}

static void test_log_cache(void **state)
{
	(void)state;
	char path[128], old[128], line[512];
	double now = (double)time(NULL);
	snprintf(path, sizeof path, "%s/error.log", dir);
	snprintf(old, sizeof old, "%s/error.log.1", dir);
	err_line(line, sizeof line, now - 20, 9001);
	put(path, line);
	settle();
	now += 3;

	struct logread_cache *lc = logread_cache_new();
	assert_int_equal(tail_both(lc, path, now - 300), 1);
	assert_int_equal(logread_cache_reads(lc), 1);
	assert_int_equal(tail_both(lc, path, now - 300), 1);     /* unchanged: not read again */
	assert_int_equal(logread_cache_reads(lc), 1);

	/* appended: seen */
	err_line(line, sizeof line, now - 5, 9002);
	append(path, line);
	assert_int_equal(tail_both(lc, path, now - 300), 2);
	settle();
	now += 3;
	assert_int_equal(tail_both(lc, path, now - 300), 2);     /* read once more: it was racy */
	unsigned reads = logread_cache_reads(lc);

	/* unchanged, but the window moved past the first line: it leaves,
	 * recomputed from the cached events */
	assert_int_equal(tail_both(lc, path, now - 10), 1);
	assert_int_equal(tail_both(lc, path, now - 1), 0);
	assert_int_equal(logread_cache_reads(lc), reads);
	/* read with a narrow window, then a wider one: read again, not served
	 * from the cache (it never held the older lines) */
	err_line(line, sizeof line, now - 3, 9004);
	append(path, line);
	settle();
	now += 3;
	assert_int_equal(tail_both(lc, path, now - 12), 2);
	assert_int_equal(tail_both(lc, path, now - 300), 3);

	/* rotated: a new file under the same name */
	assert_int_equal(rename(path, old), 0);
	err_line(line, sizeof line, now - 2, 9003);
	put(path, line);
	assert_int_equal(tail_both(lc, path, now - 300), 1);

	/* gone: unreadable, as without the cache */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(tail_both(lc, path, now - 300), -1);
	logread_cache_free(lc);
}

/* ---------------------------------------------------------------- listeners */

static int port_pid(const struct gw_snapshot *s, int port)
{
	for (size_t i = 0; i < s->listeners.n; i++)
		if (s->listeners.v[i].family == AF_INET && s->listeners.v[i].port == port)
			return s->listeners.v[i].pid;
	return -1;
}

/* A child listens on three ports (a pid with several listeners is checked
 * through its fd directory) and forks a grandchild that inherits them: the
 * child owns them. The child exits: the grandchild, still holding them, is
 * the owner now (the cached owner is checked, not trusted). */
static void test_listener_owner_moves(void **state)
{
	(void)state;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t c1 = fork();
	assert_true(c1 >= 0);
	if (c1 == 0) {
		int msg[4];
		close(pfd[0]);
		for (int k = 0; k < 3; k++) {
			int fd = socket(AF_INET, SOCK_STREAM, 0);
			struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			socklen_t len = sizeof sa;
			if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 8) < 0 ||
			    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
				_exit(1);
			msg[k] = ntohs(sa.sin_port);
		}
		pid_t c2 = fork();
		if (c2 < 0) _exit(1);
		if (c2 == 0) {
			close(pfd[1]);
			pause();
			_exit(0);
		}
		msg[3] = c2;
		if (write(pfd[1], msg, sizeof msg) != sizeof msg) _exit(1);
		pause();
		_exit(0);
	}
	kids[nkids++] = c1;
	close(pfd[1]);
	int msg[4];
	assert_int_equal(read(pfd[0], msg, sizeof msg), (int)sizeof msg);
	close(pfd[0]);
	kids[nkids++] = msg[3];              /* the grandchild: killed by pid in the teardown */

	struct gw_snapshot s;
	snapshot_init(&s);
	struct listeners_state *ls = listeners_state_new();
	assert_int_equal(listeners_refresh(ls, &s), 0);
	for (int k = 0; k < 3; k++) assert_int_equal(port_pid(&s, msg[k]), c1);
	assert_int_equal(listeners_refresh(ls, &s), 0);      /* from the cache now */
	for (int k = 0; k < 3; k++) assert_int_equal(port_pid(&s, msg[k]), c1);

	kill(c1, SIGKILL);
	waitpid(c1, NULL, 0);
	kids[0] = 0;
	assert_int_equal(listeners_refresh(ls, &s), 0);
	for (int k = 0; k < 3; k++) assert_int_equal(port_pid(&s, msg[k]), msg[3]);
	listeners_state_free(ls);
	snapshot_free(&s);
}


/* ---------------------------------------------------------------- app environment */

static void units_done(void *ud)
{
	*(int *)ud = 1;
}

/* One units pass over a snapshot that holds pid as a gunicorn master; the
 * db target found in its environment (display), "" for none. */
static void env_pass(sd_event *e, struct units_prober *p, pid_t pid, char *display, size_t size)
{
	struct gw_snapshot s;
	struct gw_options o;
	char path[64], buf[512];
	int done = 0;
	snapshot_init(&s);
	memset(&o, 0, sizeof o);
	struct gw_proc *pr = gw_vec_push(&s.procs);
	pr->pid = pid;
	pr->role = GW_ROLE_GUNICORN_MASTER;
	GW_COPY(pr->comm, "python3");
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	int n = read_small(path, buf, sizeof buf);
	assert_true(n > 0);
	for (int i = 0; i < n; i++)
		if (!buf[i]) buf[i] = ' ';
	GW_COPY(pr->cmdline, buf);
	pr->start_time = 1.7e9;
	assert_int_equal(units_probe_start(p, &s, &o, units_done, &done), 0);
	while (!done) assert_true(sd_event_run(e, UINT64_MAX) >= 0);
	display[0] = '\0';
	for (size_t i = 0; i < s.dbs.n; i++)
		if (strstr(s.dbs.v[i].source, "the environment of")) gw_strlcpy(display, s.dbs.v[i].display, size);
	snapshot_free(&s);
}

/* A shell with DATABASE_URL=a waits on a pipe, then execs env + sleep with
 * DATABASE_URL=b: same pid and start time, another environment. */
static void test_app_env_per_process(void **state)
{
	(void)state;
	if (access("/run/systemd/system", F_OK) == 0)
		skip();                      /* with systemd the units' environment is used instead */
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[1]);
		char *envp[] = { "DATABASE_URL=postgresql://app:pw@127.0.0.1:1/a", "PATH=/usr/bin:/bin", NULL };
		execle("/bin/sh", "sh", "-c",
		       "read x; exec env -i DATABASE_URL=postgresql://app:pw@127.0.0.1:2/b sleep 60", (char *)NULL, envp);
		_exit(127);
	}
	kids[nkids++] = pid;
	close(fds[0]);
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	for (int i = 0; i < 200 && !(read_small(path, buf, sizeof buf) > 0 && !strcmp(buf, "sh")); i++)
		usleep(10000);

	sd_event *e = NULL;
	assert_int_equal(sd_event_new(&e), 0);
	struct units_prober *p = units_prober_new(e);
	assert_non_null(p);
	char d[GW_TEXT];
	env_pass(e, p, pid, d, sizeof d);
	assert_non_null(strstr(d, "127.0.0.1:1/a"));
	assert_null(strstr(d, "pw"));                  /* masked */
	env_pass(e, p, pid, d, sizeof d);              /* the same process: the same answer */
	assert_non_null(strstr(d, "127.0.0.1:1/a"));

	assert_int_equal(write(fds[1], "go\n", 3), 3);
	for (int i = 0; i < 200 && !(read_small(path, buf, sizeof buf) > 0 && !strcmp(buf, "sleep")); i++)
		usleep(10000);
	assert_string_equal(buf, "sleep");
	env_pass(e, p, pid, d, sizeof d);              /* exec'd: the new environment */
	assert_non_null(strstr(d, "127.0.0.1:2/b"));
	close(fds[1]);
	units_prober_free(p);
	sd_event_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_procs_exec_same_pid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_procs_watched_retitle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_procs_title_recheck, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conf_cache_invalidates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conf_cache_dedupes_includes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listener_owner_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_env_per_process, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
