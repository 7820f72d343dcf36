/* test_actions.c — src/actions.c on a real sd-event loop without systemd:
 * read-only refuses everything (callback from the loop, not inside the
 * call), the confirm texts, reload refused when the real `nginx -t` fails
 * on a broken config in a temp dir, bad unit names refused. The systemd
 * paths (RestartUnit, ReloadUnit, polkit) run in tests/systemd/run.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "actions.h"

static int calls, last_ok;
static char last_msg[1024];

static void on_result(void *ud, enum actions_kind kind, int ok, const char *msg)
{
	(void)ud;
	(void)kind;
	calls++;
	last_ok = ok;
	GW_COPY(last_msg, msg);
}

static void loop_until_called(sd_event *e)
{
	for (int i = 0; i < 2000 && !calls; i++) sd_event_run(e, 10000);
}

static void test_read_only(void **state)
{
	sd_event *e = NULL;
	struct gw_snapshot s;
	(void)state;
	sd_event_new(&e);
	snapshot_init(&s);
	struct actions *a = actions_new(e, 1, "/usr/sbin/nginx");
	calls = 0;
	assert_int_equal(actions_restart_unit(a, "gunicorn.service", on_result, NULL), 0);
	assert_int_equal(calls, 0);                       /* never from inside the call */
	assert_true(actions_busy(a));
	assert_int_equal(actions_start_unit(a, "x.service", on_result, NULL), -EBUSY);
	loop_until_called(e);
	assert_int_equal(calls, 1);
	assert_false(last_ok);
	assert_non_null(strstr(last_msg, "read-only"));
	calls = 0;
	assert_int_equal(actions_reload_nginx(a, &s, on_result, NULL), 0);
	loop_until_called(e);
	assert_false(last_ok);
	assert_non_null(strstr(last_msg, "read-only"));
	actions_free(a);
	snapshot_free(&s);
	sd_event_unref(e);
}

static void test_confirm(void **state)
{
	char buf[256];
	struct gw_snapshot s;
	(void)state;
	snapshot_init(&s);
	actions_confirm_text(ACT_RESTART, "gunicorn.service", &s, buf, sizeof buf);
	assert_string_equal(buf, "Restart gunicorn.service? (systemctl restart gunicorn.service) [y/N]");
	actions_confirm_text(ACT_START, "app.service", &s, buf, sizeof buf);
	assert_string_equal(buf, "Start app.service? (systemctl start app.service) [y/N]");
	s.nginx.master_pid = 4242;
	actions_confirm_text(ACT_RELOAD_NGINX, NULL, &s, buf, sizeof buf);
	assert_string_equal(buf, "Reload nginx? (nginx -t && kill -HUP 4242) [y/N]");
	struct gw_unit *u = gw_vec_push(&s.units);
	GW_COPY(u->name, "nginx.service");
	u->is_nginx = u->loaded = 1;
	actions_confirm_text(ACT_RELOAD_NGINX, NULL, &s, buf, sizeof buf);
	assert_string_equal(buf, "Reload nginx? (nginx -t && systemctl reload nginx.service) [y/N]");
	snapshot_free(&s);
}

static void test_reload_refused_on_bad_config(void **state)
{
	char dir[] = "/var/tmp/gwtop-act.XXXXXX", conf[256];
	sd_event *e = NULL;
	struct gw_snapshot s;
	(void)state;
	assert_non_null(mkdtemp(dir));
	gw_fmt(conf, sizeof conf, "%s/nginx.conf", dir);
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\nhttp { gwtop_bogus_directive on; }\n", dir, dir);
	fclose(f);
	sd_event_new(&e);
	snapshot_init(&s);
	GW_COPY(s.conf.conf_path, conf);
	GW_COPY(s.conf.prefix, dir);
	s.nginx.master_pid = getpid();          /* must never be signalled: nginx -t fails first */
	struct actions *a = actions_new(e, 0, "/usr/sbin/nginx");
	calls = 0;
	assert_int_equal(actions_reload_nginx(a, &s, on_result, NULL), 0);
	loop_until_called(e);
	assert_int_equal(calls, 1);
	assert_false(last_ok);
	assert_non_null(strstr(last_msg, "refused to reload"));
	assert_non_null(strstr(last_msg, "gwtop_bogus_directive"));
	calls = 0;
	assert_int_equal(actions_restart_unit(a, "-rf; reboot", on_result, NULL), 0);
	loop_until_called(e);
	assert_false(last_ok);
	assert_non_null(strstr(last_msg, "not a unit name"));
	actions_free(a);
	snapshot_free(&s);
	sd_event_unref(e);
	char p[300];
	gw_fmt(p, sizeof p, "%s/error.log", dir); unlink(p);
	unlink(conf);
	rmdir(dir);
}

/* A child that sleeps until signalled; its start time as epoch seconds
 * (the way the process table computes it). */
static pid_t spawn_sleeper(double *start)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (;;) pause();
	}
	assert_true(pid > 0);
	/* its start time (set at fork) is readable at once */
	unsigned long long t = actions_start_ticks(pid);
	assert_true(t > 0);
	struct timespec bt;
	clock_gettime(CLOCK_BOOTTIME, &bt);
	*start = gw_now() - (bt.tv_sec + bt.tv_nsec / 1e9) + (double)t / (double)sysconf(_SC_CLK_TCK);
	return pid;
}

/* issue 17 finding 9: the reload's SIGHUP goes to the process the snapshot
 * saw, through a pidfd, with its start time read again just before. */
static void test_pinned_signal_reaches_the_pinned_process(void **state)
{
	(void)state;
	double start;
	pid_t pid = spawn_sleeper(&start);
	int fd;
	unsigned long long ticks;
	char why[256];
	assert_int_equal(actions_pin(pid, start, &fd, &ticks, why, sizeof why), 0);
	assert_true(fd >= 0);
	assert_int_equal(actions_signal_pinned(fd, pid, ticks, SIGTERM, why, sizeof why), 0);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	close(fd);
}

static void test_pinned_process_gone(void **state)
{
	(void)state;
	double start;
	pid_t pid = spawn_sleeper(&start);
	int fd, st;
	unsigned long long ticks;
	char why[256];
	assert_int_equal(actions_pin(pid, start, &fd, &ticks, why, sizeof why), 0);
	/* it exits (and is reaped) while nginx -t would run */
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	errno = 0;
	assert_int_equal(actions_signal_pinned(fd, pid, ticks, SIGTERM, why, sizeof why), -1);
	assert_int_equal(errno, ESRCH);
	assert_non_null(strstr(why, "no longer the process gwtop saw"));
	close(fd);
}

static void test_pid_now_another_process(void **state)
{
	(void)state;
	double a_start, b_start;
	pid_t a = spawn_sleeper(&a_start);
	int fd, st;
	unsigned long long a_ticks;
	char why[256];
	assert_int_equal(actions_pin(a, a_start, &fd, &a_ticks, why, sizeof why), 0);
	close(fd);
	/* b stands for the process that got a's pid: one started at least a
	 * clock tick later (spawned again until it is, within 5 s) */
	pid_t b;
	int bfd;
	unsigned long long b_ticks;
	double deadline = gw_mono() + 5.0;
	for (;;) {
		b = spawn_sleeper(&b_start);
		assert_int_equal(actions_pin(b, b_start, &bfd, &b_ticks, why, sizeof why), 0);
		if (b_ticks > a_ticks || gw_mono() > deadline) break;
		close(bfd);
		kill(b, SIGKILL);
		waitpid(b, &st, 0);
	}
	assert_true(b_ticks > a_ticks);
	/* the snapshot's start time (a's) does not match b: refused at pin time */
	int xfd;
	unsigned long long xt;
	assert_int_equal(actions_pin(b, a_start - 5.0, &xfd, &xt, why, sizeof why), -1);
	assert_non_null(strstr(why, "no longer the process gwtop saw"));
	/* and at signal time: b's pidfd with a's start time is never signalled */
	assert_int_equal(actions_signal_pinned(bfd, b, a_ticks, SIGTERM, why, sizeof why), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(waitpid(b, &st, WNOHANG), 0);      /* b still runs */
	assert_int_equal(kill(b, 0), 0);
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	waitpid(a, &st, 0);
	waitpid(b, &st, 0);
	close(bfd);
}

int main(void)
{
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_confirm),
		cmocka_unit_test(test_reload_refused_on_bad_config),
		cmocka_unit_test(test_pinned_signal_reaches_the_pinned_process),
		cmocka_unit_test(test_pinned_process_gone),
		cmocka_unit_test(test_pid_now_another_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
