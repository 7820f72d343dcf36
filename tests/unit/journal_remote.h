/* journal_remote.h — test helpers (header-only, static): real journal files
 * written by systemd-journal-remote from export-format text. Include after
 * cmocka.h. */
#ifndef GW_TEST_JOURNAL_REMOTE_H
#define GW_TEST_JOURNAL_REMOTE_H

#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define JR_REMOTE "/lib/systemd/systemd-journal-remote"

/* This boot's id without dashes, as _BOOT_ID= wants it ("" unknown). */
static void jr_boot_id(char *buf, size_t size)
{
	buf[0] = '\0';
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
	if (!f) return;
	if (fgets(buf, (int)size, f)) {
		char *o = buf;
		for (char *c = buf; *c; c++) if (*c != '-' && *c != '\n') *o++ = *c;
		*o = '\0';
	}
	fclose(f);
}

/* Feed the export-format file `input` to systemd-journal-remote, which
 * creates (or appends to) the journal file `journal`; asserts it succeeded. */
static void jr_write(const char *input, const char *journal)
{
	char out[700];
	snprintf(out, sizeof out, "--output=%s", journal);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int in = open(input, O_RDONLY);
		int dn = open("/dev/null", O_WRONLY);
		dup2(in, 0);
		dup2(dn, 2);
		execl(JR_REMOTE, "systemd-journal-remote", out, "-", (char *)NULL);
		_exit(127);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

#endif
