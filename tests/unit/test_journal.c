/* test_journal.c — journal_unit_events on a real journal file written by
 * systemd-journal-remote: the unit's own lines and PID 1's messages about
 * it, oldest first; what the app prints while systemd stops it (between
 * "Stopping" and the next manager message) is dropped as shutdown noise,
 * while the traceback of a start that fails on its own (followed by
 * "Main process exited", "Scheduled restart job", "Stopped" of the
 * automatic restart) is kept. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>
#include <systemd/sd-messages.h>

#include "journal.h"
#include "journal_remote.h"


static char tmp[256];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof tmp, "/tmp/gwtop-journal.XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Feed export-format text to systemd-journal-remote, into tmp/j.journal. */
static void journal_write(const char *export)
{
	char out[600], in[600];
	snprintf(out, sizeof out, "%s/j.journal", tmp);
	snprintf(in, sizeof in, "%s/in.export", tmp);
	FILE *f = fopen(in, "w");
	assert_non_null(f);
	fputs(export, f);
	fclose(f);
	jr_write(in, out);
	unlink(in);
}

static double now;

/* entry: one export record at now + dt */
static void entry(char *buf, size_t size, double dt, const char *fields, const char *msg)
{
	char bid[64];
	jr_boot_id(bid, sizeof bid);
	snprintf(buf + strlen(buf), size - strlen(buf), "__REALTIME_TIMESTAMP=%llu\n_BOOT_ID=%s\n%sMESSAGE=%s\n\n",
		 (unsigned long long)((now + dt) * 1e6), bid, fields, msg);
}

#define APP "_SYSTEMD_UNIT=gunicorn.service\n_PID=700\n"
#define MGR "_PID=1\nUNIT=gunicorn.service\n"
#define MGR_ID(id) "_PID=1\nUNIT=gunicorn.service\nMESSAGE_ID=" id "\n"

static size_t count(const struct gw_snapshot *s, const char *needle)
{
	size_t n = 0;
	for (size_t i = 0; i < s->events.n; i++)
		if (strstr(s->events.v[i].line, needle)) n++;
	return n;
}

/* systemctl restart of a running gunicorn whose signal handler raised while
 * stopping, then a start that exits 1 in a Restart=always loop */
static void test_stop_noise_dropped(void **state)
{
	(void)state;
	if (access(JR_REMOTE, X_OK) != 0) skip();
	static char exp[16384];
	exp[0] = '\0';
	now = (double)time(NULL) - 60;
		entry(exp, sizeof exp, 0.1, APP, "RuntimeError: old failure from an earlier start id=early");
	entry(exp, sizeof exp, 10, MGR_ID(SD_MESSAGE_UNIT_STOPPING_STR), "Stopping gunicorn.service...");
	entry(exp, sizeof exp, 10.1, APP, "Traceback (most recent call last):");
	entry(exp, sizeof exp, 10.2, APP,
	      "RuntimeError: reentrant call inside <_io.BufferedWriter name='<stderr>'> id=noise");
	entry(exp, sizeof exp, 10.3, MGR_ID(SD_MESSAGE_UNIT_SUCCESS_STR), "gunicorn.service: Deactivated successfully.");
	entry(exp, sizeof exp, 10.4, MGR_ID(SD_MESSAGE_UNIT_STOPPED_STR), "Stopped gunicorn.service.");
	entry(exp, sizeof exp, 10.5, MGR_ID(SD_MESSAGE_UNIT_STARTING_STR), "Starting gunicorn.service...");
	entry(exp, sizeof exp, 11, APP, "ModuleNotFoundError: No module named 'gwtop_missing' id=boot");
	entry(exp, sizeof exp, 11.1, MGR, "gunicorn.service: Main process exited, code=exited, status=1/FAILURE");
	entry(exp, sizeof exp, 11.2, MGR_ID(SD_MESSAGE_UNIT_RESTART_SCHEDULED_STR),
	      "gunicorn.service: Scheduled restart job, restart counter is at 1.");
	entry(exp, sizeof exp, 11.3, MGR_ID(SD_MESSAGE_UNIT_STOPPED_STR), "Stopped gunicorn.service.");
	journal_write(exp);

	sd_journal *j = (sd_journal *)1;
	/* the one opener: a missing directory fails and leaves no handle */
	assert_int_equal(journal_open(&j, JOURNAL_DIRECTORY, "/nonexistent-gwtop-journal"), -ENOENT);
	assert_null(j);
	j = (sd_journal *)1;
	assert_int_equal(journal_open(&j, JOURNAL_FILE, "/nonexistent-gwtop-journal/x.journal"), -ENOENT);
	assert_null(j);
	assert_int_equal(journal_open(&j, JOURNAL_DIRECTORY, tmp), 0);
	assert_non_null(j);
	struct gw_snapshot *s = calloc(1, sizeof *s);
	assert_non_null(s);
	int n = journal_unit_events(j, s, "gunicorn.service", now - 5, JOURNAL_MAX_ENTRIES);
	assert_true(n > 0);
	assert_int_equal(count(s, "id=noise"), 0);       /* printed while being stopped */
	assert_int_equal(count(s, "id=boot"), 1);        /* why the new start fails */
	assert_int_equal(count(s, "id=early"), 1);       /* before the stop: kept */
	assert_int_equal(count(s, "Main process exited"), 1);
	for (size_t i = 1; i < s->events.n; i++) assert_true(s->events.v[i - 1].time <= s->events.v[i].time);
	for (size_t i = 0; i < s->events.n; i++)
		assert_string_equal(s->events.v[i].source, "journal:gunicorn.service");

	/* the window: only entries at or after since */
	gw_vec_free(&s->events);
	memset(&s->events, 0, sizeof s->events);
	n = journal_unit_events(j, s, "gunicorn.service", now + 10.9, JOURNAL_MAX_ENTRIES);
	assert_int_equal(count(s, "id=early"), 0);
	assert_int_equal(count(s, "id=boot"), 1);
	gw_vec_free(&s->events);
	free(s);
	sd_journal_close(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stop_noise_dropped, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
