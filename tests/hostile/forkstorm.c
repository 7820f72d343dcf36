/* forkstorm.c RATE SECONDS — a bounded fork storm for tests/hostile: start
 * short-lived child processes as fast as the machine manages, at most RATE
 * per second (<= 10000), for SECONDS, then stop. Most children are
 * vfork()ed and exit at once (a fork() copies the page tables: on a VM that
 * alone can cost a millisecond); one in 50 is fork()ed and lingers 1-5 ms,
 * so /proc entries also vanish while a reader is inside them. Every third
 * child first renames itself "gunicorn" (what a crash-looping app server
 * looks like in /proc). At most 512 children live at a time; at the end any
 * still alive are killed by PID (only ours) and reaped. An alarm ends the
 * generator itself if it ever overstays.
 * Prints "FORKS SECONDS RATE PEAK_LIVE". Build: cc -O2 -o forkstorm forkstorm.c */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIVE 512

static pid_t live[MAX_LIVE];
static int nlive, peak;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void forget(pid_t pid)
{
	for (int i = 0; i < nlive; i++)
		if (live[i] == pid) { live[i] = live[--nlive]; return; }
}

/* Reap what has exited; block for one when block is set. */
static void reap(int block)
{
	pid_t pid;
	while ((pid = waitpid(-1, NULL, block ? 0 : WNOHANG)) > 0) {
		forget(pid);
		block = 0;
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: forkstorm RATE SECONDS\n");
		return 2;
	}
	double rate = atof(argv[1]), secs = atof(argv[2]);
	if (rate <= 0 || rate > 10000) rate = 10000;
	if (secs <= 0 || secs > 60) secs = 10;
	alarm((unsigned)secs + 30);          /* never outlive the test by much */

	unsigned long n = 0;
	double t0 = now(), el;
	while ((el = now() - t0) < secs) {
		if (n >= rate * el) {        /* ahead of the rate: let time pass */
			reap(0);
			struct timespec ts = { 0, 100000 };
			nanosleep(&ts, NULL);
			continue;
		}
		if (nlive >= MAX_LIVE) reap(1);
		int linger = n % 50 == 0, rename = n % 3 == 0;
		pid_t pid = linger ? fork() : vfork();
		if (pid < 0) {               /* EAGAIN under a process limit: back off */
			reap(nlive > 0);
			continue;
		}
		if (pid == 0) {              /* (a vfork child: syscalls and _exit only) */
			if (rename) prctl(PR_SET_NAME, "gunicorn", 0, 0, 0);
			if (linger) {
				struct timespec ts = { 0, (long)(1 + n % 5) * 1000000 };
				nanosleep(&ts, NULL);
			}
			_exit(0);
		}
		live[nlive++] = pid;
		if (nlive > peak) peak = nlive;
		n++;
		reap(0);
	}
	el = now() - t0;
	for (int i = 0; i < nlive; i++) kill(live[i], SIGKILL);
	while (nlive > 0 && waitpid(-1, NULL, 0) > 0) nlive--;
	printf("%lu %.1f %.0f %d\n", n, el, n / el, peak);
	return 0;
}
