/* test_procs.c — the process probe against real processes: a python child
 * with a recognizable argv, a real gunicorn (master + 2 workers) and a real
 * nginx (master + 2 workers as nobody), reload and staleness; plus the
 * classification and cgroup->unit rules on fixture strings. Every process
 * started here is stopped by pid in the teardown, also on failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procs.h"
#include "util.h"

static char dir[64];
static pid_t child;
static int child_sig = SIGTERM;

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	child = 0;
	snprintf(dir, sizeof dir, "/tmp/gwtop-procs-XXXXXX");
	if (!mkdtemp(dir)) return -1;
	chmod(dir, 0755);
	return 0;
}

/* Children of pid (its workers), from /proc/N/stat. */
static int kids_of(pid_t pid, pid_t *kids, int max)
{
	int n = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;
	if (!d) return 0;
	while ((de = readdir(d)) && n < max) {
		char path[64], buf[512];
		int ppid = 0;
		if (de->d_name[0] < '1' || de->d_name[0] > '9') continue;
		snprintf(path, sizeof path, "/proc/%d/stat", atoi(de->d_name));
		FILE *f = fopen(path, "r");
		if (!f) continue;
		size_t len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[len] = '\0';
		char *c = strrchr(buf, ')');
		if (c && sscanf(c + 1, " %*c %d", &ppid) == 1 && ppid == pid)
			kids[n++] = (pid_t)atoi(de->d_name);
	}
	closedir(d);
	return n;
}

/* Stop what we started, by pid: the master gracefully (10 s), then SIGKILL;
 * its workers (noted before) are killed by pid if they outlive it. */
static int teardown(void **state)
{
	(void)state;
	if (child > 0) {
		pid_t kids[64];
		int nk = kids_of(child, kids, 64);
		kill(child, child_sig);
		for (int i = 0; i < 1000; i++) {
			if (waitpid(child, NULL, WNOHANG) == child) { child = 0; break; }
			usleep(10000);
		}
		if (child > 0) {
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			child = 0;
		}
		for (int i = 0; i < nk; i++) kill(kids[i], SIGKILL);  /* no-op when they exited */
	}
	child_sig = SIGTERM;
	if (dir[0]) nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static pid_t spawn(char *const argv[])
{
	char log[128];
	snprintf(log, sizeof log, "%s/child.log", dir);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); close(fd); }
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	bind(fd, (struct sockaddr *)&a, sizeof a);
	getsockname(fd, (struct sockaddr *)&a, &len);
	close(fd);
	return ntohs(a.sin_port);
}

static void write_file(const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static size_t count_children(const struct gw_snapshot *s, pid_t ppid, enum gw_role role)
{
	size_t n = 0;
	for (size_t i = 0; i < s->procs.n; i++)
		if (s->procs.v[i].ppid == ppid && s->procs.v[i].role == role) n++;
	return n;
}

/* Refresh until master has nkids children of role (max ~15 s). */
static int wait_children(struct gw_snapshot *s, struct procs_state *st, pid_t master,
			 enum gw_role role, size_t nkids)
{
	for (int i = 0; i < 150; i++) {
		assert_int_equal(procs_refresh(s, st), 0);
		if (count_children(s, master, role) == nkids) return 1;
		usleep(100000);
	}
	return 0;
}

/* ---------------------------------------------------------------- tests */

static void test_python_child(void **state)
{
	(void)state;
	char *argv[] = { "/usr/bin/python3", "-c", "import time; time.sleep(30)", "gwtop-test-marker", NULL };
	double before = gw_now();
	child = spawn(argv);
	usleep(200000);                      /* let exec happen */
	double after = gw_now();

	struct gw_snapshot s;
	struct procs_state *st = procs_state_new();
	snapshot_init(&s);
	assert_int_equal(procs_refresh(&s, st), 0);
	assert_true(s.procs.n > 5);
	int i = procs_find(&s, child);
	assert_true(i >= 0);
	const struct gw_proc *p = &s.procs.v[i];
	assert_int_equal(p->ppid, getpid());
	assert_string_equal(p->cmdline, "/usr/bin/python3 -c import time; time.sleep(30) gwtop-test-marker");
	assert_string_equal(p->comm, "python3");
	assert_int_equal(p->uid, geteuid());
	assert_string_equal(p->user, getpwuid(geteuid())->pw_name);
	assert_true(p->start_time >= before - 1.0 && p->start_time <= after + 1.0);
	assert_true(p->rss_kb > 0);
	assert_true(p->state == 'S' || p->state == 'R');
	assert_int_equal(p->role, GW_ROLE_OTHER);
	/* ourselves too, and sorted by pid */
	assert_true(procs_find(&s, getpid()) >= 0);
	for (size_t k = 1; k < s.procs.n; k++)
		assert_true(s.procs.v[k - 1].pid < s.procs.v[k].pid);

	/* second tick: cpu_pct is computed and sane */
	usleep(100000);
	assert_int_equal(procs_refresh(&s, st), 0);
	i = procs_find(&s, child);
	assert_true(i >= 0);
	assert_true(s.procs.v[i].cpu_pct >= 0 && s.procs.v[i].cpu_pct <= 100.0 * 64);
	procs_state_free(st);
	snapshot_free(&s);
}

static void test_gunicorn(void **state)
{
	(void)state;
	char bind[64];
	int port = free_port();
	snprintf(bind, sizeof bind, "127.0.0.1:%d", port);
	write_file("app.py",
		   "def app(environ, start_response):\n"
		   "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
		   "    return [b'ok\\n']\n");
	char *argv[] = { "/usr/bin/python3", "/usr/bin/gunicorn", "--bind", bind, "--workers", "2",
			 "--chdir", dir, "app:app", NULL };
	child = spawn(argv);

	struct gw_snapshot s;
	struct procs_state *st = procs_state_new();
	snapshot_init(&s);
	assert_true(wait_children(&s, st, child, GW_ROLE_GUNICORN_WORKER, 2));
	int m = procs_find(&s, child);
	assert_true(m >= 0);
	assert_int_equal(s.procs.v[m].role, GW_ROLE_GUNICORN_MASTER);
	assert_non_null(strstr(s.procs.v[m].cmdline, "gunicorn"));
	for (size_t i = 0; i < s.procs.n; i++) {
		const struct gw_proc *p = &s.procs.v[i];
		if (p->ppid == child) {
			assert_int_equal(p->role, GW_ROLE_GUNICORN_WORKER);
			assert_true(p->start_time >= s.procs.v[m].start_time);
		}
	}
	procs_state_free(st);
	snapshot_free(&s);
}

static void nginx_conf(int port)
{
	char conf[2048];
	snprintf(conf, sizeof conf,
		 "user nobody nogroup;\n"
		 "worker_processes 2;\n"
		 "daemon off;\n"
		 "pid %s/nginx.pid;\n"
		 "error_log %s/error.log;\n"
		 "events { worker_connections 64; }\n"
		 "http {\n"
		 "  access_log off;\n"
		 "  client_body_temp_path %s/body;\n"
		 "  proxy_temp_path %s/proxy;\n"
		 "  fastcgi_temp_path %s/fastcgi;\n"
		 "  uwsgi_temp_path %s/uwsgi;\n"
		 "  scgi_temp_path %s/scgi;\n"
		 "  server { listen 127.0.0.1:%d; location / { return 200 \"ok\\n\"; } }\n"
		 "}\n", dir, dir, dir, dir, dir, dir, dir, port);
	write_file("nginx.conf", conf);
}

static void test_nginx(void **state)
{
	(void)state;
	char conf[128], prefix[128];
	snprintf(conf, sizeof conf, "%s/nginx.conf", dir);
	snprintf(prefix, sizeof prefix, "%s/", dir);
	nginx_conf(free_port());
	char *argv[] = { "/usr/sbin/nginx", "-c", conf, "-p", prefix, NULL };
	child_sig = SIGQUIT;                 /* graceful: the master stops its workers */
	child = spawn(argv);

	struct gw_snapshot s;
	struct procs_state *st = procs_state_new();
	snapshot_init(&s);
	assert_true(wait_children(&s, st, child, GW_ROLE_NGINX_WORKER, 2));
	int m = procs_find(&s, child);
	assert_true(m >= 0);
	assert_int_equal(s.procs.v[m].role, GW_ROLE_NGINX_MASTER);
	assert_true(gw_starts_with(s.procs.v[m].cmdline, "nginx: master process"));

	GW_COPY(s.conf.conf_path, conf);
	procs_nginx_runtime(&s);
	struct passwd *nob = getpwnam("nobody");
	assert_non_null(nob);
	assert_int_equal(s.nginx.master_pid, child);
	assert_int_equal(s.nginx.nworkers, 2);
	assert_true(s.nginx.worker_ids_known);
	assert_int_equal(s.nginx.worker_uid, nob->pw_uid);
	assert_int_equal(s.nginx.worker_gid, 65534);          /* nogroup */
	assert_string_equal(s.nginx.worker_user, "nobody");
	assert_true(s.nginx.master_start > 0);
	assert_true(s.nginx.last_reload >= s.nginx.master_start);
	double first = s.nginx.last_reload;

	/* staleness: a file newer than the workers is stale, an older one not */
	struct gw_conf_file *f = gw_vec_push(&s.conf.files);
	GW_COPY(f->path, conf);
	f->mtime = (time_t)first - 5;
	procs_nginx_stale(&s);
	assert_false(s.nginx.stale);
	f = gw_vec_push(&s.conf.files);
	gw_fmt(f->path, sizeof f->path, "%s/conf.d/app.conf", dir);
	f->mtime = (time_t)first + 10;
	procs_nginx_stale(&s);
	assert_true(s.nginx.stale);
	assert_string_equal(s.nginx.stale_file, f->path);
	assert_int_equal(s.nginx.stale_mtime, (time_t)first + 10);

	/* reload replaces the workers: last_reload moves forward */
	sleep(1);
	assert_int_equal(kill(child, SIGHUP), 0);
	int moved = 0;
	for (int i = 0; i < 100 && !moved; i++) {
		usleep(100000);
		assert_int_equal(procs_refresh(&s, st), 0);
		procs_nginx_runtime(&s);
		moved = s.nginx.last_reload > first + 0.5 && s.nginx.nworkers == 2;
	}
	assert_true(moved);
	assert_int_equal(s.nginx.master_pid, child);
	procs_state_free(st);
	snapshot_free(&s);
}

static void test_nginx_not_running(void **state)
{
	(void)state;
	struct gw_snapshot s;
	snapshot_init(&s);
	GW_COPY(s.conf.conf_path, "/nonexistent/gwtop/nginx.conf");
	/* another nginx may run on the host: give the snapshot none */
	procs_nginx_runtime(&s);
	assert_int_equal(s.nginx.master_pid, 0);
	assert_int_equal(s.nginx.nworkers, 0);
	assert_true(s.nginx.worker_ids_known);            /* from the default user nobody */
	assert_string_equal(s.nginx.worker_user, "nobody");
	assert_int_equal(s.nginx.worker_uid, getpwnam("nobody")->pw_uid);
	assert_int_equal(s.nginx.worker_gid, getpwnam("nobody")->pw_gid);

	GW_COPY(s.conf.user, "root");
	GW_COPY(s.conf.group, "nogroup");
	procs_nginx_runtime(&s);
	assert_int_equal(s.nginx.worker_uid, 0);
	assert_int_equal(s.nginx.worker_gid, 65534);
	assert_true(s.nginx.worker_ngroups >= 1);
	procs_nginx_stale(&s);                           /* nothing runs: never stale */
	assert_false(s.nginx.stale);
	snapshot_free(&s);
}

static void test_classify(void **state)
{
	(void)state;
	const enum gw_role O = GW_ROLE_OTHER;
	assert_int_equal(procs_classify("nginx: master process /usr/sbin/nginx -g daemon on;", "nginx", O), GW_ROLE_NGINX_MASTER);
	assert_int_equal(procs_classify("nginx: worker process", "nginx", GW_ROLE_NGINX_MASTER), GW_ROLE_NGINX_WORKER);
	assert_int_equal(procs_classify("nginx: cache manager process", "nginx", O), GW_ROLE_NGINX_WORKER);
	assert_int_equal(procs_classify("/usr/bin/python3 /usr/bin/gunicorn -b 127.0.0.1:8000 app:app", "gunicorn", O), GW_ROLE_GUNICORN_MASTER);
	assert_int_equal(procs_classify("/usr/bin/python3 /usr/bin/gunicorn -b 127.0.0.1:8000 app:app", "gunicorn", GW_ROLE_GUNICORN_MASTER), GW_ROLE_GUNICORN_WORKER);
	assert_int_equal(procs_classify("/srv/app/venv/bin/python3.11 /srv/app/venv/bin/gunicorn app:app", "gunicorn", O), GW_ROLE_GUNICORN_MASTER);
	assert_int_equal(procs_classify("gunicorn: master [app:app]", "gunicorn", O), GW_ROLE_GUNICORN_MASTER);
	assert_int_equal(procs_classify("gunicorn: worker [app:app]", "gunicorn", GW_ROLE_GUNICORN_MASTER), GW_ROLE_GUNICORN_WORKER);
	assert_int_equal(procs_classify("/usr/bin/python3 -m gunicorn app:app", "python3", O), GW_ROLE_GUNICORN_MASTER);
	assert_int_equal(procs_classify("/usr/bin/python3 -m uvicorn main:app --port 8000", "python3", O), GW_ROLE_UVICORN_MASTER);
	assert_int_equal(procs_classify("/srv/venv/bin/uvicorn main:app --workers 2", "uvicorn", O), GW_ROLE_UVICORN_MASTER);
	assert_int_equal(procs_classify("/usr/bin/python3 -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7) --multiprocessing-fork",
					"python3", GW_ROLE_UVICORN_MASTER), GW_ROLE_UVICORN_WORKER);
	assert_int_equal(procs_classify("/usr/bin/python3 -c from multiprocessing.resource_tracker import main;main(4)",
					"python3", GW_ROLE_UVICORN_MASTER), GW_ROLE_OTHER);
	assert_int_equal(procs_classify("uwsgi --ini /etc/uwsgi/app.ini", "uwsgi", O), GW_ROLE_APP_SERVER);
	assert_int_equal(procs_classify("php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)", "php-fpm8.2", O), GW_ROLE_APP_SERVER);
	assert_int_equal(procs_classify("node /srv/app/server.js", "node", O), GW_ROLE_APP_SERVER);
	assert_int_equal(procs_classify("/usr/bin/python3 manage.py runserver 0.0.0.0:8000", "python3", O), GW_ROLE_APP_SERVER);
	assert_int_equal(procs_classify("/usr/bin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8080", "docker-proxy", O), GW_ROLE_DOCKER_PROXY);
	assert_int_equal(procs_classify("/usr/bin/dockerd -H fd://", "dockerd", O), GW_ROLE_DOCKER_PROXY);
	assert_int_equal(procs_classify("postgres: checkpointer ", "postgres", O), GW_ROLE_DB);
	assert_int_equal(procs_classify("/usr/bin/redis-server 127.0.0.1:6379", "redis-server", O), GW_ROLE_DB);
	assert_int_equal(procs_classify("/usr/sbin/mariadbd", "mariadbd", O), GW_ROLE_DB);
	assert_int_equal(procs_classify("", "kworker/0:1", O), GW_ROLE_OTHER);
	assert_int_equal(procs_classify("/usr/bin/python3 /usr/bin/unattended-upgrade", "python3", O), GW_ROLE_OTHER);
	assert_int_equal(procs_classify("bash", "bash", O), GW_ROLE_OTHER);
}

static void test_unit_from_cgroup(void **state)
{
	(void)state;
	char u[GW_NAME];
	procs_unit_from_cgroup("/system.slice/gunicorn.service", u, sizeof u);
	assert_string_equal(u, "gunicorn.service");
	procs_unit_from_cgroup("/system.slice/docker-4f1c2a.scope", u, sizeof u);
	assert_string_equal(u, "docker-4f1c2a.scope");
	/* issue 17 finding 8: what lies under a user's manager is the user's
	 * to name; nothing there is a system unit to restart */
	procs_unit_from_cgroup("/user.slice/user-1000.slice/user@1000.service/app.slice/api.service", u, sizeof u);
	assert_string_equal(u, "");
	procs_unit_from_cgroup("/user.slice/user-1000.slice/user@1000.service/app.slice/sshd.service", u, sizeof u);
	assert_string_equal(u, "");
	procs_unit_from_cgroup("/user.slice/user-1000.slice/user@1000.service", u, sizeof u);
	assert_string_equal(u, "");
	/* below a unit, its own subtree (delegation, a container) names nothing */
	procs_unit_from_cgroup("/system.slice/docker-4f1c2a.scope/system.slice/sshd.service", u, sizeof u);
	assert_string_equal(u, "docker-4f1c2a.scope");
	procs_unit_from_cgroup("/user.slice/user-1000.slice/session-3.scope", u, sizeof u);
	assert_string_equal(u, "session-3.scope");
	procs_unit_from_cgroup("/lxc.payload.box/system.slice/nginx.service", u, sizeof u);
	assert_string_equal(u, "nginx.service");
	procs_unit_from_cgroup("/docker/4f1c2a", u, sizeof u);
	assert_string_equal(u, "");
	procs_unit_from_cgroup("/system.slice/nginx.service/init.scope", u, sizeof u);
	assert_string_equal(u, "nginx.service");
	procs_unit_from_cgroup("/init.scope", u, sizeof u);
	assert_string_equal(u, "init.scope");
	procs_unit_from_cgroup("/", u, sizeof u);
	assert_string_equal(u, "");
	procs_unit_from_cgroup("/system.slice", u, sizeof u);
	assert_string_equal(u, "");
	procs_unit_from_cgroup("", u, sizeof u);
	assert_string_equal(u, "");
}

/* gw_proc_ppid: the parent from /proc/PID/stat, also when the process
 * named itself with spaces and parentheses; 0 for a pid that is gone. */
static void test_proc_ppid(void **state)
{
	(void)state;
	assert_int_equal(gw_proc_ppid(getpid()), getppid());
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t c = fork();
	assert_true(c >= 0);
	if (c == 0) {
		char x;
		prctl(PR_SET_NAME, "a) S 1 (b) c");
		close(go[1]);
		(void)!read(go[0], &x, 1);      /* until the parent closes */
		_exit(0);
	}
	close(go[0]);
	char comm[64] = "";
	for (int i = 0; i < 200 && !strstr(comm, "a) S 1"); i++) {   /* the rename has happened */
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/comm", (int)c);
		FILE *f = fopen(path, "r");
		if (f) { if (!fgets(comm, sizeof comm, f)) comm[0] = '\0'; fclose(f); }
		usleep(5000);
	}
	assert_non_null(strstr(comm, "a) S 1 (b) c"));
	assert_int_equal(gw_proc_ppid(c), getpid());
	close(go[1]);
	assert_int_equal(waitpid(c, NULL, 0), c);
	assert_int_equal(gw_proc_ppid(c), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_unit_from_cgroup),
		cmocka_unit_test(test_nginx_not_running),
		cmocka_unit_test(test_proc_ppid),
		cmocka_unit_test_setup_teardown(test_python_child, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gunicorn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nginx, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
