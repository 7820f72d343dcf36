/* test_nginx_test.c — `nginx -t` as a child of the sd-event loop: the real
 * /usr/sbin/nginx on a valid and on broken temp configs (run with -p
 * tmpdir), fake "nginx" shell scripts that hang (killed at the timeout while
 * the loop keeps ticking), flood the pipe, or cannot be executed, and cancel.
 * Each test runs its own sd_event loop until done or a 10 s deadline. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ticker.h"

#include "nginx_test.h"

#define NGINX "/usr/sbin/nginx"

static char tmpdir[256];

static void path_in(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	char p[512];
	FILE *f;
	path_in(p, sizeof p, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static pid_t read_pid(const char *name)
{
	char p[512];
	char *s;
	pid_t pid;
	path_in(p, sizeof p, name);
	s = gw_read_file(p, 64, NULL);
	if (!s)
		return 0;
	pid = (pid_t)atoi(s);
	free(s);
	return pid;
}

/* rm -r of our temp dir (two levels are enough for what we create) */
static void rm_tree(const char *dir)
{
	char cmdless[512];
	static const char *const sub[] = { "logs", "conf.d", NULL };
	static const char *const files[] = {
		"nginx.conf", "bad.conf", "missing.conf", "fake-nginx", "flood-nginx", "quick-nginx",
		"sh.pid", "sleep.pid", "logs/error.log", "logs/nginx.pid", "conf.d/app.conf", NULL
	};
	for (int i = 0; files[i]; i++) {
		snprintf(cmdless, sizeof cmdless, "%s/%s", dir, files[i]);
		unlink(cmdless);
	}
	for (int i = 0; sub[i]; i++) {
		snprintf(cmdless, sizeof cmdless, "%s/%s", dir, sub[i]);
		rmdir(cmdless);
	}
	rmdir(dir);
}

static int setup(void **state)
{
	char p[512];
	(void)state;
	strcpy(tmpdir, "/tmp/gwtop-ntest-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	path_in(p, sizeof p, "logs");
	mkdir(p, 0755);
	path_in(p, sizeof p, "conf.d");
	mkdir(p, 0755);
	return 0;
}

static int teardown(void **state)
{
	pid_t pid;
	(void)state;
	/* a fake nginx still running after a failed test: our child */
	if ((pid = read_pid("sh.pid")) > 0 && waitpid(pid, NULL, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	/* the grandchild the hanging fake nginx left behind: we are a child
	 * subreaper (main), so it was reparented to us — end it by pid, reap */
	if ((pid = read_pid("sleep.pid")) > 0 && waitpid(pid, NULL, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	rm_tree(tmpdir);
	return 0;
}

struct run {
	int calls;
};

static void on_done(void *ud)
{
	((struct run *)ud)->calls++;
}

static double run_loop(sd_event *e, struct run *r, double max_s)
{
	double t0 = gw_mono();
	while (!r->calls && gw_mono() - t0 < max_s)
		assert_true(sd_event_run(e, 100000) >= 0);
	return gw_mono() - t0;
}

/* Run nginx -t to completion on a fresh loop. */
static void ntest_run(const char *bin, const char *conf, double timeout_s, struct gw_nginx_test *out)
{
	sd_event *e = NULL;
	struct run r = { 0 };
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(nginx_test_start(e, bin, conf, tmpdir, timeout_s, out, on_done, &r), 0);
	assert_int_equal(r.calls, 0);
	assert_true(nginx_test_running(out));
	run_loop(e, &r, 10);
	assert_int_equal(r.calls, 1);
	assert_false(nginx_test_running(out));
	assert_true(out->ran);
	sd_event_unref(e);
}

static const char valid_conf[] =
	"worker_processes 1;\n"
	"error_log logs/error.log;\n"        /* relative: needs -p tmpdir */
	"pid logs/nginx.pid;\n"
	"events { worker_connections 16; }\n"
	"http {\n"
	"    access_log off;\n"
	"    include conf.d/*.conf;\n"
	"}\n";

static const char app_ok[] =
	"server {\n"
	"    listen 127.0.0.1:18089;\n"
	"    location / { proxy_pass http://127.0.0.1:8000; }\n"
	"}\n";

/* ---------------------------------------------------------------- tests */

static void test_parse_error(void **state)
{
	char f[512];
	int line = 0;
	(void)state;
	assert_true(nginx_test_parse_error(
		"nginx: [emerg] unexpected \"}\" in /etc/nginx/sites-enabled/app:12\n"
		"nginx: configuration file /etc/nginx/nginx.conf test failed\n", f, sizeof f, &line));
	assert_string_equal(f, "/etc/nginx/sites-enabled/app");
	assert_int_equal(line, 12);

	/* the warning about `user` comes first but is not the error */
	assert_true(nginx_test_parse_error(
		"nginx: [warn] the \"user\" directive makes sense only if the master process runs with super-user privileges, ignored in /x/nginx.conf:1\n"
		"nginx: [emerg] \"proxy_pass\" directive is not allowed here in /x/conf.d/a b.conf:5\n", f, sizeof f, &line));
	assert_string_equal(f, "/x/conf.d/a b.conf");
	assert_int_equal(line, 5);

	assert_true(nginx_test_parse_error(
		"nginx: [emerg] open() \"/etc/nginx/missing.conf\" failed (2: No such file or directory) in /x/nginx.conf:5\r\n",
		f, sizeof f, &line));
	assert_string_equal(f, "/x/nginx.conf");
	assert_int_equal(line, 5);

	line = 0;
	assert_false(nginx_test_parse_error(
		"nginx: [emerg] open() \"/run/nginx.pid\" failed (13: Permission denied)\n"
		"nginx: configuration file /etc/nginx/nginx.conf test failed\n", f, sizeof f, &line));
	assert_false(nginx_test_parse_error("", f, sizeof f, &line));
	assert_false(nginx_test_parse_error("nginx: [emerg] x in :12\n", f, sizeof f, &line));
	assert_int_equal(line, 0);
}

static void test_valid_config(void **state)
{
	struct gw_nginx_test out;
	char conf[512];
	(void)state;
	write_file("nginx.conf", valid_conf, 0644);
	write_file("conf.d/app.conf", app_ok, 0644);
	path_in(conf, sizeof conf, "nginx.conf");
	ntest_run(NGINX, conf, 10, &out);
	assert_true(out.ok);
	assert_int_equal(out.exit_code, 0);
	assert_non_null(strstr(out.output, "syntax is ok"));
	assert_non_null(strstr(out.output, "test is successful"));
	assert_string_equal(out.error_file, "");
	assert_int_equal(out.error_line, 0);
	assert_true(out.duration > 0 && out.duration < 10);
	assert_true(out.when > 0);
}

static void test_broken_config(void **state)
{
	struct gw_nginx_test out;
	char conf[512], app[512];
	(void)state;
	write_file("nginx.conf", valid_conf, 0644);
	write_file("conf.d/app.conf",
		"server {\n"
		"    listen 127.0.0.1:18089;\n"
		"    location / { proxy_pass http://127.0.0.1:8000 }\n"   /* missing ; */
		"}\n", 0644);
	path_in(conf, sizeof conf, "nginx.conf");
	path_in(app, sizeof app, "conf.d/app.conf");
	ntest_run(NGINX, conf, 10, &out);
	assert_false(out.ok);
	assert_int_equal(out.exit_code, 1);
	assert_non_null(strstr(out.output, "[emerg]"));
	assert_non_null(strstr(out.output, "test failed"));
	assert_string_equal(out.error_file, app);
	assert_int_equal(out.error_line, 3);
}

static void test_missing_include(void **state)
{
	struct gw_nginx_test out;
	char conf[512];
	(void)state;
	write_file("missing.conf",
		"events {}\n"
		"error_log logs/error.log;\n"
		"http {\n"
		"    include /nonexistent/gwtop/app.conf;\n"
		"}\n", 0644);
	path_in(conf, sizeof conf, "missing.conf");
	ntest_run(NGINX, conf, 10, &out);
	assert_false(out.ok);
	assert_non_null(strstr(out.output, "No such file or directory"));
	assert_string_equal(out.error_file, conf);
	assert_int_equal(out.error_line, 4);
}

/* A "nginx" that hangs, with a grandchild holding the pipe: killed at the
 * 1 s timeout, reported, reaped, and the loop kept ticking meanwhile. */
static void test_timeout_kills(void **state)
{
	struct gw_nginx_test out;
	struct run r = { 0 };
	struct ticker tk;
	sd_event *e = NULL;
	char bin[512], script[1024];
	pid_t sh;
	double secs;
	(void)state;

	snprintf(script, sizeof script,
		"#!/bin/sh\n"
		"echo $$ > %s/sh.pid\n"
		"sleep 30 &\n"
		"echo $! > %s/sleep.pid\n"
		"echo started >&2\n"
		"wait\n", tmpdir, tmpdir);
	write_file("fake-nginx", script, 0755);
	path_in(bin, sizeof bin, "fake-nginx");

	assert_int_equal(sd_event_new(&e), 0);
	ticker_start(e, &tk);
	assert_int_equal(nginx_test_start(e, bin, "/nonexistent.conf", NULL, 1.0, &out, on_done, &r), 0);
	secs = run_loop(e, &r, 10);
	assert_int_equal(r.calls, 1);
	assert_true(secs > 0.9 && secs < 2.0);
	assert_true(out.ran);
	assert_false(out.ok);
	assert_int_equal(out.exit_code, -1);
	assert_non_null(strstr(out.output, "started"));
	assert_non_null(strstr(out.output, "nginx -t timed out after 1 s"));
	assert_true(tk.ticks >= 15);
	assert_true(tk.worst_late_ms < 100);   /* blocked would be ~1000 */

	/* the killed child is reaped (no zombie left) */
	sh = read_pid("sh.pid");
	assert_true(sh > 0);
	assert_int_equal(kill(sh, 0), -1);
	assert_int_equal(errno, ESRCH);

	sd_event_source_disable_unref(tk.src);
	sd_event_unref(e);
}

/* 100 KB of output and exit 3: bounded output, no deadlock on a full pipe. */
static void test_flood_and_exit_code(void **state)
{
	struct gw_nginx_test out;
	char bin[512];
	(void)state;
	write_file("flood-nginx",
		"#!/bin/sh\n"
		"echo \"args: $*\"\n"
		"i=0; while [ $i -lt 2000 ]; do echo 'nginx: [warn] 0123456789012345678901234567890123456789' >&2; i=$((i+1)); done\n"
		"exit 3\n", 0755);
	path_in(bin, sizeof bin, "flood-nginx");
	ntest_run(bin, "/x/nginx.conf", 10, &out);
	assert_int_equal(out.exit_code, 3);
	assert_false(out.ok);
	assert_int_equal(strlen(out.output), sizeof out.output - 1);
	/* argv exactly as documented, -p from run_test */
	assert_true(gw_starts_with(out.output, "args: -t -c /x/nginx.conf -p /tmp/gwtop-ntest-"));
}

static void test_exec_failure(void **state)
{
	struct gw_nginx_test out;
	(void)state;
	ntest_run("/nonexistent/sbin/nginx", "/etc/nginx/nginx.conf", 5, &out);
	assert_false(out.ok);
	assert_int_equal(out.exit_code, 127);
	assert_non_null(strstr(out.output, "cannot execute /nonexistent/sbin/nginx: No such file or directory"));
}

/* Cancel: no callback, the child killed and reaped; busy and reuse. */
static void test_cancel(void **state)
{
	struct gw_nginx_test out;
	struct run r = { 0 }, r2 = { 0 };
	sd_event *e = NULL;
	char bin[512], script[512];
	pid_t pid = 0;
	double t0;
	(void)state;

	snprintf(script, sizeof script, "#!/bin/sh\necho $$ > %s/sh.pid\nexec sleep 30\n", tmpdir);
	write_file("fake-nginx", script, 0755);
	path_in(bin, sizeof bin, "fake-nginx");
	unlink(strcat(strcpy(script, tmpdir), "/sh.pid"));

	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(nginx_test_start(e, bin, "/x.conf", NULL, 5, &out, on_done, &r), 0);
	assert_int_equal(nginx_test_start(e, bin, "/x.conf", NULL, 5, &out, on_done, &r), -EBUSY);
	t0 = gw_mono();
	while (!(pid = read_pid("sh.pid")) && gw_mono() - t0 < 5)
		assert_true(sd_event_run(e, 20000) >= 0);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, 0), 0);
	nginx_test_cancel(&out);
	assert_false(nginx_test_running(&out));
	assert_false(out.ran);
	assert_int_equal(kill(pid, 0), -1);   /* killed and reaped */
	assert_int_equal(errno, ESRCH);
	t0 = gw_mono();
	while (gw_mono() - t0 < 0.3)
		assert_true(sd_event_run(e, 50000) >= 0);
	assert_int_equal(r.calls, 0);
	nginx_test_cancel(&out);   /* no-op */

	/* the same out can run again */
	write_file("quick-nginx", "#!/bin/sh\necho 'nginx: configuration file x test is successful' >&2\n", 0755);
	path_in(bin, sizeof bin, "quick-nginx");
	assert_int_equal(nginx_test_start(e, bin, "/x.conf", NULL, 5, &out, on_done, &r2), 0);
	run_loop(e, &r2, 10);
	assert_int_equal(r2.calls, 1);
	assert_true(out.ok);
	assert_non_null(strstr(out.output, "test is successful"));
	sd_event_unref(e);
}

static void test_bad_args(void **state)
{
	struct gw_nginx_test out;
	sd_event *e = NULL;
	(void)state;
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(nginx_test_start(e, "", "/x.conf", NULL, 1, &out, on_done, NULL), -EINVAL);
	assert_int_equal(nginx_test_start(e, NGINX, NULL, NULL, 1, &out, on_done, NULL), -EINVAL);
	assert_int_equal(nginx_test_start(e, NGINX, "/x.conf", NULL, 0, &out, on_done, NULL), -EINVAL);
	sd_event_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_error),
		cmocka_unit_test_setup_teardown(test_valid_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_include, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_kills, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood_and_exit_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test(test_bad_args),
	};
	/* orphaned grandchildren come to us, so teardown can reap them */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
