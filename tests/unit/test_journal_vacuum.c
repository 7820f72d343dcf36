/* test_journal_vacuum.c — the live stream's journal follower (probes/logjournal.c)
 * while the journal under it is rotated, vacuumed and replaced, the way
 * journald and `journalctl --vacuum-*` do it to a running reader: a real
 * journal directory written by systemd-journal-remote, followed on a real
 * sd-event loop (inotify on the directory, sd_journal_process):
 *  - rotation: the active file renamed away (archived), a new one with the
 *    same name takes the new entries;
 *  - vacuum: the archived files deleted while the reader has them open;
 *  - everything deleted (the active file too), the directory empty for a
 *    while, then a new file;
 *  - a file replaced by rename over it;
 *  - a file truncated under the reader's mmap (a crashed disk, a hostile
 *    hand): checked in a child process, which must not die of a signal.
 * Every step: new lines still arrive, each exactly once, in time order,
 * the source stays ok. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "logstream.h"
#include "journal_remote.h"



static char tmp[256], jdir[512];
static sd_event *ev;
static double t0;                    /* entry i is stamped t0 + i */

/* ---------------------------------------------------------------- helpers */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof tmp, "/tmp/gwtop-jvacuum.XXXXXX");
	if (!mkdtemp(tmp)) return -1;
	snprintf(jdir, sizeof jdir, "%s/journal", tmp);
	if (mkdir(jdir, 0755) < 0) return -1;
	t0 = (double)time(NULL) - 600;
	alarm(120);
	return sd_event_new(&ev) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	alarm(0);
	ev = sd_event_unref(ev);
	return nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Entries id=from..to-1 of app.service (export format) appended to the
 * journal file `file` by systemd-journal-remote (it creates the file or
 * appends to it). */
static void jwrite(const char *file, int from, int to)
{
	char bid[64], exp[512], tmpf[600];
	jr_boot_id(bid, sizeof bid);
	snprintf(tmpf, sizeof tmpf, "%s/batch.export", tmp);
	FILE *f = fopen(tmpf, "w");
	assert_non_null(f);
	for (int i = from; i < to; i++) {
		snprintf(exp, sizeof exp,
			 "__REALTIME_TIMESTAMP=%llu\n_BOOT_ID=%s\n_SYSTEMD_UNIT=app.service\nPRIORITY=6\n"
			 "MESSAGE=[INFO] Booting worker id=%d\n\n",
			 (unsigned long long)((t0 + i) * 1e6), bid, i);
		fputs(exp, f);
	}
	fclose(f);
	jr_write(tmpf, file);
	unlink(tmpf);
}

static void jpath(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", jdir, name);
}

static size_t count_id(struct logstream *ls, int src, int id)
{
	char want[16];
	size_t n = 0;
	snprintf(want, sizeof want, "id=%d", id);
	for (size_t i = 0; i < logstream_count(ls); i++) {
		const struct logstream_line *l = logstream_get(ls, i);
		const char *p = strstr(l->text, want);
		if (l->src == src && !(l->flags & LOGSTREAM_F_MARK) && p && !p[strlen(want)]) n++;
	}
	return n;
}

/* Run the loop until line id=id of src is there or 5 s pass. */
static int pump_id(struct logstream *ls, int src, int id)
{
	double end = gw_mono() + 5;
	while (!count_id(ls, src, id) && gw_mono() < end) sd_event_run(ev, 50000);
	return count_id(ls, src, id) > 0;
}

static void settle(double secs)
{
	double end = gw_mono() + secs;
	while (gw_mono() < end) sd_event_run(ev, 20000);
}

/* ids 0..n-1 each exactly once, the ring in time order, the source ok */
static void assert_state(struct logstream *ls, int src, int n)
{
	for (int id = 0; id < n; id++) {
		size_t c = count_id(ls, src, id);
		if (c != 1) fprintf(stderr, "id=%d seen %zu times\n", id, c);
		assert_int_equal(c, 1);
	}
	assert_int_equal(count_id(ls, src, n), 0);
	for (size_t i = 1; i < logstream_count(ls); i++)
		assert_true(logstream_get(ls, i - 1)->time <= logstream_get(ls, i)->time);
	assert_true(logstream_source(ls, (size_t)src)->ok);
}

static struct logstream *follow(int *src)
{
	struct logstream_config c = { .journal_dir = jdir, .window = 3600 };
	struct logstream *ls = logstream_new(ev, &c);
	assert_non_null(ls);
	*src = logstream_add_unit(ls, "app.service", LOGSTREAM_JOURNAL_APP);
	assert_true(*src >= 0);
	return ls;
}

/* ---------------------------------------------------------------- tests */

static void test_rotate_and_vacuum(void **state)
{
	(void)state;
	if (access(JR_REMOTE, X_OK) != 0) skip();
	char active[600], archived[600];
	jpath(active, sizeof active, "j.journal");
	jpath(archived, sizeof archived, "j@0000000000000001-0000000000000001.journal");
	jwrite(active, 0, 3);
	int src;
	struct logstream *ls = follow(&src);
	assert_state(ls, src, 3);

	/* live, before anything happens to the files */
	jwrite(active, 3, 5);
	assert_true(pump_id(ls, src, 4));
	assert_state(ls, src, 5);

	/* rotation: the active file is archived (renamed), a new one of the
	 * same name gets the next entries */
	assert_int_equal(rename(active, archived), 0);
	settle(0.2);
	jwrite(active, 5, 8);
	assert_true(pump_id(ls, src, 7));
	settle(0.3);
	assert_state(ls, src, 8);

	/* vacuum: the archived file is deleted under the reader */
	assert_int_equal(unlink(archived), 0);
	settle(0.2);
	jwrite(active, 8, 10);
	assert_true(pump_id(ls, src, 9));
	settle(0.3);
	assert_state(ls, src, 10);

	/* everything deleted: an empty directory for a while, then a new file */
	assert_int_equal(unlink(active), 0);
	settle(1.2);                         /* the 1 s backstop timer runs too */
	logstream_poll(ls);
	assert_state(ls, src, 10);           /* what was read stays */
	jwrite(active, 10, 12);
	assert_true(pump_id(ls, src, 11));
	settle(0.3);
	assert_state(ls, src, 12);

	/* replaced: a new file written elsewhere renamed over the active one */
	char other[600];
	snprintf(other, sizeof other, "%s/elsewhere.journal", tmp);
	jwrite(other, 12, 15);
	assert_int_equal(rename(other, active), 0);
	assert_true(pump_id(ls, src, 14));
	settle(0.3);
	assert_state(ls, src, 15);

	/* a second file next to it (journald's user-1000.journal, say) */
	char second[600];
	jpath(second, sizeof second, "second.journal");
	jwrite(second, 15, 17);
	assert_true(pump_id(ls, src, 16));
	settle(0.3);
	assert_state(ls, src, 17);
	logstream_free(ls);
}

/* Many rotations and vacuums in a row, each with one new entry: every
 * entry arrives once. */
static void test_rotate_often(void **state)
{
	(void)state;
	if (access(JR_REMOTE, X_OK) != 0) skip();
	char active[600], archived[600];
	jpath(active, sizeof active, "j.journal");
	jwrite(active, 0, 1);
	int src;
	struct logstream *ls = follow(&src);
	int n = 1;
	for (int round = 0; round < 12; round++) {
		snprintf(archived, sizeof archived, "%s/j@%04d.journal", jdir, round);
		assert_int_equal(rename(active, archived), 0);
		if (round % 3 == 2) {        /* vacuum all archived files now and then */
			char old[600];
			for (int k = round - 2; k <= round; k++) {
				snprintf(old, sizeof old, "%s/j@%04d.journal", jdir, k);
				assert_int_equal(unlink(old), 0);
			}
		}
		jwrite(active, n, n + 1);
		n++;
		assert_true(pump_id(ls, src, n - 1));
	}
	settle(0.3);
	assert_state(ls, src, n);
	logstream_free(ls);
}

/* A journal file truncated while the follower has it mapped: in a child
 * (a SIGBUS would end it), which goes on taking new lines from another
 * file afterwards. */
static void test_truncated_under_reader(void **state)
{
	(void)state;
	if (access(JR_REMOTE, X_OK) != 0) skip();
	char active[600], second[600];
	jpath(active, sizeof active, "j.journal");
	jpath(second, sizeof second, "second.journal");
	jwrite(active, 0, 40);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int src;
		alarm(60);
		ev = NULL;                   /* an sd-event loop does not cross fork() */
		if (sd_event_new(&ev) < 0) _exit(4);
		struct logstream *ls = follow(&src);
		int ok = count_id(ls, src, 39) == 1;
		struct stat st;
		ok = ok && stat(active, &st) == 0 && truncate(active, st.st_size / 3) == 0;
		settle(0.5);
		logstream_poll(ls);
		jwrite(second, 40, 42);
		ok = ok && pump_id(ls, src, 41);
		settle(0.3);
		logstream_poll(ls);
		ok = ok && count_id(ls, src, 41) == 1;
		logstream_free(ls);
		_exit(ok ? 0 : 3);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st)) fprintf(stderr, "follower died of signal %d\n", WTERMSIG(st));
	assert_false(WIFSIGNALED(st));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rotate_and_vacuum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_often, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_under_reader, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
