/* test_shell_quote.c — gw_shell_quote, the one quoting of values in the
 * commands gwtop prints for a human: hostile values (spaces, quotes,
 * $(...), backticks, globs, newlines, control bytes, UTF-8) round-trip
 * through a real bash (and dash for the plain '...' form) as exactly one
 * word with the same bytes, run nothing, and never cut inside a quote;
 * and the findings' commands carry them quoted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "diagnose.h"
#include "util.h"

/* What `SHELL -c 'printf "%s|" WORD'` prints: the words WORD expands to,
 * each followed by '|'. */
static char *shell_words(const char *shell, const char *word)
{
	char script[8192];
	int fd[2];
	static char out[8192];
	snprintf(script, sizeof script, "printf '%%s|' %s", word);
	assert_int_equal(pipe(fd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execl(shell, shell, "-c", script, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	size_t n = 0;
	ssize_t r;
	while (n < sizeof out - 1 && (r = read(fd[0], out + n, sizeof out - 1 - n)) > 0) n += (size_t)r;
	out[n] = '\0';
	close(fd[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return out;
}

static const char *const hostile[] = {
	"/run/gunicorn.sock",
	"/srv/my app/run/app.sock",
	"it's",
	"'",
	"''",
	"a'b'c",
	"$(touch /tmp/gwtop-shq-pwned)",
	"`touch /tmp/gwtop-shq-pwned`",
	"${HOME}",
	"$HOME",
	"*",
	"/tmp/[a-z]?*",
	"a;b|c&d>e<f",
	"-rf",
	"back\\slash",
	"\"double\"",
	"tab\there",
	"new\nline",
	"esc\x1b[31mred",
	"del\x7f",
	"\x01\x02\x1f",
	"quote'and\nnewline\\",
	"caf\xc3\xa9 \xe2\x9c\x93",
	"~root",
	"!event",
	"#comment",
	"",
};

static void test_roundtrip_bash(void **st)
{
	(void)st;
	char buf[GW_SHQ_SIZE(256)], want[1024];
	unlink("/tmp/gwtop-shq-pwned");
	for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
		const char *q = gw_shell_quote(hostile[i], buf, sizeof buf);
		snprintf(want, sizeof want, "%s|", hostile[i]);
		const char *got = shell_words("/bin/bash", q);
		if (strcmp(got, want))
			fail_msg("value %zu quoted as [%s]: bash gave [%s]", i, q, got);
		/* what a human sees has no raw control byte */
		for (const unsigned char *p = (const unsigned char *)q; *p; p++)
			assert_false(*p < 0x20 || *p == 0x7f);
	}
	assert_int_equal(access("/tmp/gwtop-shq-pwned", F_OK), -1);
}

static void test_roundtrip_dash(void **st)
{
	(void)st;
	char buf[GW_SHQ_SIZE(256)], want[1024];
	if (access("/bin/dash", X_OK))
		skip();
	for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
		int ctl = 0;
		for (const unsigned char *p = (const unsigned char *)hostile[i]; *p; p++) ctl |= *p < 0x20 || *p == 0x7f;
		if (ctl)
			continue;                /* $'...' is bash / zsh / ksh */
		const char *q = gw_shell_quote(hostile[i], buf, sizeof buf);
		snprintf(want, sizeof want, "%s|", hostile[i]);
		assert_string_equal(shell_words("/bin/dash", q), want);
	}
}

static void test_forms(void **st)
{
	(void)st;
	char buf[64];
	/* safe values stay as they are: the commands of healthy setups do not change */
	assert_string_equal(gw_shell_quote("/run/app.sock", buf, sizeof buf), "/run/app.sock");
	assert_string_equal(gw_shell_quote("gunicorn@site.service", buf, sizeof buf), "gunicorn@site.service");
	assert_string_equal(gw_shell_quote("http://127.0.0.1:8000/", buf, sizeof buf), "http://127.0.0.1:8000/");
	assert_string_equal(gw_shell_quote("", buf, sizeof buf), "''");
	assert_string_equal(gw_shell_quote("a b", buf, sizeof buf), "'a b'");
	assert_string_equal(gw_shell_quote("it's", buf, sizeof buf), "'it'\\''s'");
	assert_string_equal(gw_shell_quote("a\nb'", buf, sizeof buf), "$'a\\x0ab\\''");
	assert_string_equal(gw_shell_quote("http://[::1]:8000/", buf, sizeof buf), "'http://[::1]:8000/'");
	/* too long for the buffer: a placeholder, never a cut quote */
	char big[200];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	big[5] = ' ';
	assert_string_equal(gw_shell_quote(big, buf, sizeof buf), "'(too long to quote)'");
	assert_string_equal(gw_shell_quote(big, buf, 4), "''");
	char fits[GW_SHQ_SIZE(sizeof big)];
	const char *q = gw_shell_quote(big, fits, sizeof fits);
	assert_int_equal(q[0], '\'');
	assert_int_equal(strlen(q), strlen(big) + 2);
}

/* The findings' commands quote what came from outside: a socket path with
 * a command substitution, a worker user and a unit name. */
static void test_finding_commands(void **st)
{
	(void)st;
	struct gw_snapshot s;
	struct gw_diagnosis d;
	struct gw_diag_config cfg = { .now = 1800000000.0, .recent_window = 300 };
	snapshot_init(&s);
	s.is_root = 1;
	s.nginx.master_pid = 100;
	GW_COPY(s.nginx.worker_user, "www data");
	s.ntest.ran = s.ntest.ok = 1;
	struct gw_target *t = gw_vec_push(&s.targets);
	t->addr.kind = GW_ADDR_UNIX;
	GW_COPY(t->addr.path, "/run/$(reboot)/app.sock");
	gw_addr_str(&t->addr, t->display, sizeof t->display);
	GW_COPY(t->directive, "proxy_pass");
	t->listener_idx = -1;
	t->probed = 1;
	t->perm_checked = t->exists = 1;
	t->err = 13;
	diagnose(&s, &cfg, &d);
	int namei = 0, sudo = 0;
	for (size_t i = 0; i < d.findings.n; i++)
		for (int k = 0; k < d.findings.v[i].ncommands; k++) {
			const char *c = d.findings.v[i].commands[k];
			namei |= !strcmp(c, "namei -l '/run/$(reboot)/app.sock'");
			sudo |= !strcmp(c, "sudo -u 'www data' test -w '/run/$(reboot)/app.sock' && echo ok");
			assert_null(strstr(c, " /run/$("));          /* never unquoted */
		}
	assert_true(namei);
	assert_true(sudo);
	diagnosis_free(&d);
	snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_roundtrip_bash),
		cmocka_unit_test(test_roundtrip_dash),
		cmocka_unit_test(test_finding_commands),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
