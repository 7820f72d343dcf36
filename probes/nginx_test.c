/* nginx_test.c — `nginx -t` as a child process on the sd-event loop.
 *
 * One job per run: fork + exec with argv only (stdin /dev/null, stdout and
 * stderr into one pipe, every other fd closed), an io source draining the
 * pipe into out->output (bounded; the rest is read and discarded so the
 * child never blocks on a full pipe), a child source for the exit status and
 * a time source for the timeout. The child's exit ends the run (whatever is
 * still buffered in the pipe is drained then): a grandchild that inherited
 * the pipe cannot keep the run open.
 *
 * On timeout the child gets SIGKILL (by its pid, which stays ours until it
 * is reaped: only our child source reaps it). If even that does not end it
 * within NGINX_TEST_REAP_GRACE (a process in D state), the run ends anyway
 * and the child source is handed to the loop (floating) to reap it later.
 *
 * Jobs are found by their out pointer (nginx_test_cancel(out)); they live in
 * a list private to this file — single loop thread only. */
#include "nginx_test.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trust.h"

#define NGINX_TEST_REAP_GRACE_US 2000000ULL

struct nginx_test_job {
	struct nginx_test_job *next;
	struct gw_nginx_test *out;   /* borrowed from the caller */
	pid_t pid;
	int fd;                      /* pipe read end, -1 once closed */
	sd_event_source *io, *child, *timer;
	size_t len;                  /* bytes kept in out->output */
	int timed_out;
	double timeout_s;
	double start;                /* gw_mono() at fork */
	void (*done)(void *ud);
	void *ud;
};

static struct nginx_test_job *nginx_test_jobs;

static struct nginx_test_job *nginx_test_find(const struct gw_nginx_test *out)
{
	struct nginx_test_job *j;
	for (j = nginx_test_jobs; j; j = j->next)
		if (j->out == out)
			return j;
	return NULL;
}

static void nginx_test_unlink(struct nginx_test_job *job)
{
	struct nginx_test_job **pp;
	for (pp = &nginx_test_jobs; *pp; pp = &(*pp)->next)
		if (*pp == job) {
			*pp = job->next;
			return;
		}
}

/* Free the job's io and timer sources and the job; the child source is the
 * caller's business (it differs between reaped, cancelled and abandoned). */
static void nginx_test_free(struct nginx_test_job *job)
{
	nginx_test_unlink(job);
	job->io = sd_event_source_disable_unref(job->io);
	if (job->fd >= 0)
		close(job->fd);
	job->timer = sd_event_source_disable_unref(job->timer);
	free(job);
}

/* ---------------------------------------------------------------- output */

static void nginx_test_keep(struct nginx_test_job *job, const char *buf, size_t n)
{
	size_t room = sizeof job->out->output - 1 - job->len;
	if (n > room)
		n = room;
	memcpy(job->out->output + job->len, buf, n);
	job->len += n;
	job->out->output[job->len] = '\0';
}

/* Read what the pipe holds now. Closes it at EOF. */
static void nginx_test_drain(struct nginx_test_job *job)
{
	char buf[4096];

	while (job->fd >= 0) {
		ssize_t r = read(job->fd, buf, sizeof buf);
		if (r > 0) {
			nginx_test_keep(job, buf, (size_t)r);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		job->io = sd_event_source_disable_unref(job->io);
		close(job->fd);
		job->fd = -1;
	}
}

static int nginx_test_io_cb(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	(void)s;
	(void)fd;
	(void)revents;
	nginx_test_drain(ud);
	return 0;
}

/* Append a line of our own to the output, making room for it if needed. */
static void nginx_test_note(struct gw_nginx_test *out, const char *fmt, double v)
{
	char msg[128];
	size_t l, m, size = sizeof out->output;

	gw_fmt(msg, sizeof msg, fmt, v);
	l = strlen(out->output);
	m = strlen(msg);
	if (l && out->output[l - 1] != '\n')
		m++;
	if (l + m + 1 > size)
		l = size - m - 1;
	out->output[l] = '\0';
	if (l && out->output[l - 1] != '\n')
		gw_append(out->output, size, "\n");
	gw_append(out->output, size, "%s", msg);
}

/* ---------------------------------------------------------------- parse */

static int nginx_test_parse_line(const char *l, size_t n, char *file, size_t size, int *line)
{
	size_t i, colon, start = 0, k;
	int found = 0;

	while (n && (l[n - 1] == '\r' || l[n - 1] == ' '))
		n--;
	for (i = n; i && isdigit((unsigned char)l[i - 1]); i--)
		;
	if (i == n || i < 2 || l[i - 1] != ':')
		return 0;
	colon = i - 1;
	for (k = 0; k + 4 <= colon; k++)
		if (!memcmp(l + k, " in ", 4)) {
			start = k + 4;
			found = 1;
		}
	if (!found || start >= colon)
		return 0;
	if (colon - start >= size)
		return 0;
	memcpy(file, l + start, colon - start);
	file[colon - start] = '\0';
	long v = strtol(l + colon + 1, NULL, 10);   /* not atoi: no UB on overflow */
	*line = v > 0 && v < INT_MAX ? (int)v : 0;
	return 1;
}

int nginx_test_parse_error(const char *output, char *file, size_t size, int *line)
{
	const char *p = output, *nl;

	while (p && *p) {
		size_t n;
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if ((memmem(p, n, "[emerg]", 7) || memmem(p, n, "[alert]", 7) ||
		     memmem(p, n, "[crit]", 6) || memmem(p, n, "[error]", 7)) &&
		    nginx_test_parse_line(p, n, file, size, line))
			return 1;
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

/* ---------------------------------------------------------------- the end of a run */

static void nginx_test_complete(struct nginx_test_job *job, int exit_code)
{
	struct gw_nginx_test *out = job->out;
	void (*done)(void *) = job->done;
	void *ud = job->ud;

	nginx_test_drain(job);
	out->exit_code = exit_code;
	if (job->timed_out) {
		out->exit_code = -1;
		nginx_test_note(out, "nginx -t timed out after %g s", job->timeout_s);
	}
	out->ok = out->exit_code == 0;
	out->error_file[0] = '\0';
	out->error_line = 0;
	if (!out->ok)
		nginx_test_parse_error(out->output, out->error_file, sizeof out->error_file, &out->error_line);
	out->duration = gw_mono() - job->start;
	out->when = gw_now();
	out->ran = 1;
	nginx_test_free(job);
	if (done)
		done(ud);
}

static int nginx_test_child_cb(sd_event_source *s, const siginfo_t *si, void *ud)
{
	struct nginx_test_job *job = ud;
	int code = -1;

	if (!job) {
		/* an abandoned child finally exited: sd-event reaps it after we
		 * return; drop the loop's reference */
		sd_event_source_set_floating(s, 0);
		sd_event_source_unref(s);
		return 0;
	}
	if (si->si_code == CLD_EXITED)
		code = si->si_status;
	else if (!job->timed_out) {
		nginx_test_drain(job);
		nginx_test_note(job->out, "nginx -t killed by signal %g", si->si_status);
	}
	/* unref while dispatching is fine; sd-event reaps the zombie */
	job->child = sd_event_source_unref(job->child);
	nginx_test_complete(job, code);
	return 0;
}

static int nginx_test_timer_cb(sd_event_source *s, uint64_t usec, void *ud)
{
	struct nginx_test_job *job = ud;

	(void)usec;
	if (!job->timed_out) {
		job->timed_out = 1;
		kill(job->pid, SIGKILL);   /* not reaped yet: the pid is still ours */
		sd_event_source_set_time_relative(s, NGINX_TEST_REAP_GRACE_US);
		sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
		return 0;
	}
	/* SIGKILL did not end it (D state?): give up waiting, let the loop
	 * reap it whenever it dies, and report now. */
	sd_event_source_set_child_process_own(job->child, 0);
	sd_event_source_set_userdata(job->child, NULL);
	sd_event_source_set_floating(job->child, 1);
	job->child = sd_event_source_unref(job->child);
	nginx_test_note(job->out, "nginx -t (pid %g) did not die after SIGKILL", job->pid);
	nginx_test_complete(job, -1);
	return 0;
}

/* ---------------------------------------------------------------- start / cancel */

/* In the child after fork: only async-signal-safe calls. */
static void nginx_test_exec(const char *bin, char *const argv[], int devnull, int wfd)
{
	sigset_t none;
	const char *why;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(devnull, 0) < 0 || dup2(wfd, 1) < 0 || dup2(wfd, 2) < 0)
		_exit(127);
	close_range(3, ~0U, 0);
	if (strchr(bin, '/'))
		execv(bin, argv);
	else
		execvp(bin, argv);
	why = strerrordesc_np(errno);
	if (write(2, "gwtop: cannot execute ", 22) < 0 || write(2, bin, strlen(bin)) < 0 ||
	    write(2, ": ", 2) < 0 || write(2, why ? why : "?", why ? strlen(why) : 1) < 0 ||
	    write(2, "\n", 1) < 0)
		_exit(127);
	_exit(127);
}

static int nginx_test_fail(struct gw_nginx_test *out, int err, const char *what)
{
	gw_fmt(out->output, sizeof out->output, "cannot run nginx -t: %s: %s", what, strerror(err));
	out->ran = 1;
	out->ok = 0;
	out->exit_code = -1;
	out->when = gw_now();
	return -err;
}

int nginx_test_start(sd_event *e, const char *nginx_bin, const char *conf, const char *prefix,
    double timeout_s, struct gw_nginx_test *out, void (*done)(void *ud), void *ud)
{
	struct nginx_test_job *job;
	char *argv[8];
	int argc = 0, pfd[2], devnull, r;
	sigset_t cur, chld;
	pid_t pid;

	if (!e || !nginx_bin || !*nginx_bin || !conf || !out || !(timeout_s > 0))
		return -EINVAL;
	if (nginx_test_find(out))
		return -EBUSY;
	memset(out, 0, sizeof *out);
	out->exit_code = -1;

	/* As root: never with a binary, config or prefix another user could
	 * change (trust.h); the binary found in PATH is the one executed. */
	char exe[GW_PATH];
	if (trust_strict()) {
		char why[GW_TEXT];
		if (!trust_nginx_test_ok(nginx_bin, conf, prefix, NULL, why, sizeof why)) {
			GW_COPY(out->output, why);
			return -EPERM;
		}
		if (trust_which(nginx_bin, exe, sizeof exe) == 0) nginx_bin = exe;
	}

	/* sd_event_add_child() insists on SIGCHLD being blocked */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0 && !sigismember(&cur, SIGCHLD))
		pthread_sigmask(SIG_BLOCK, &chld, NULL);

	argv[argc++] = (char *)nginx_bin;
	argv[argc++] = (char *)"-t";
	argv[argc++] = (char *)"-c";
	argv[argc++] = (char *)conf;
	if (prefix && *prefix) {
		argv[argc++] = (char *)"-p";
		argv[argc++] = (char *)prefix;
	}
	argv[argc] = NULL;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return nginx_test_fail(out, errno, "pipe");
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		r = errno;
		close(pfd[0]);
		close(pfd[1]);
		return nginx_test_fail(out, r, "/dev/null");
	}
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);   /* our end only: nginx writes blocking */

	pid = fork();
	if (pid == 0)
		nginx_test_exec(nginx_bin, argv, devnull, pfd[1]);
	r = errno;
	close(devnull);
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return nginx_test_fail(out, r, "fork");
	}

	job = gw_xcalloc(1, sizeof *job);
	job->out = out;
	job->pid = pid;
	job->fd = pfd[0];
	job->timeout_s = timeout_s;
	job->start = gw_mono();
	job->done = done;
	job->ud = ud;
	job->next = nginx_test_jobs;
	nginx_test_jobs = job;

	if ((r = sd_event_add_child(e, &job->child, pid, WEXITED, nginx_test_child_cb, job)) < 0) {
		/* cannot watch it: do not leave it behind */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		nginx_test_free(job);
		return nginx_test_fail(out, -r, "sd_event_add_child");
	}
	sd_event_source_set_child_process_own(job->child, 1);
	if ((r = sd_event_add_io(e, &job->io, job->fd, EPOLLIN, nginx_test_io_cb, job)) < 0 ||
	    (r = sd_event_add_time_relative(e, &job->timer, CLOCK_MONOTONIC,
	        (uint64_t)(timeout_s * 1e6), 10000, nginx_test_timer_cb, job)) < 0) {
		kill(pid, SIGKILL);
		job->child = sd_event_source_unref(job->child);   /* owned: reaps it */
		nginx_test_free(job);
		return nginx_test_fail(out, -r, "sd-event");
	}
	return 0;
}

void nginx_test_cancel(struct gw_nginx_test *out)
{
	struct nginx_test_job *job = nginx_test_find(out);

	if (!job)
		return;
	/* not reaped yet (only our child source reaps): the pid is still ours */
	kill(job->pid, SIGKILL);
	/* the source owns the process: dropping it reaps the killed child */
	job->child = sd_event_source_unref(job->child);
	nginx_test_free(job);
	out->ran = 0;
}

int nginx_test_running(const struct gw_nginx_test *out)
{
	return nginx_test_find(out) != NULL;
}
