/* test_config_file.c — the `key = value` config file on real files in a
 * temp dir: every key, comments, quotes, errors with file:line, the default
 * search (/etc + XDG / HOME), precedence of flags over the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config_file.h"

static char base[64];

static const char *P(const char *rel)
{
	static char buf[8][256];
	static int k;
	char *b = buf[k++ % 8];
	snprintf(b, 256, "%s/%s", base, rel);
	return b;
}

static void put(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}
#define PUT(path, s) put((path), (s), strlen(s))

static void opts_free(struct gw_options *o)
{
	gw_vec_free(&o->error_logs);
	gw_vec_free(&o->access_logs);
	gw_vec_free(&o->app_logs);
	gw_vec_free(&o->units);
	gw_vec_free(&o->upstreams);
	config_file_free();
}

static int rm_tree(const char *dir)
{
	/* argv only, no shell: our own temp dir */
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/rm", "rm", "-rf", "--", dir, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return st;
}

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof base, "/tmp/gwtop-cfg-XXXXXX");
	return mkdtemp(base) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	config_file_free();
	return rm_tree(base);
}

static void test_every_key(void **state)
{
	(void)state;
	struct gw_options o = { .interval = 2, .recent_window = 300, .probe_timeout = 3 };
	char err[512] = "";
	PUT(P("all.conf"),
	    "# gwtop settings\n"
	    "\n"
	    "nginx-conf = /etc/nginx/nginx.conf\n"
	    "nginx-bin=/usr/sbin/nginx\n"
	    "   error-log   =   /var/log/nginx/error.log   \n"
	    "error-log = /var/log/nginx/other#1.log\n"
	    "access-log = /var/log/nginx/access.log\n"
	    "app-log = unit:gunicorn.service\n"
	    "app-log = /srv/app/log/app.log\n"
	    "unit = gunicorn.service\n"
	    "upstream = unix:/run/gunicorn.sock\n"
	    "upstream = \"http://127.0.0.1:8000\"\n"
	    "interval = 0.5\n"
	    "window = 600\n"
	    "timeout = 1.5\n"
	    "read-only = yes\n"
	    "no-color = TRUE\n"
	    "docker-socket = /run/docker.sock\n"
	    "theme = colorblind\r\n"
	    "\t# indented comment\n");
	assert_int_equal(config_file_load(P("all.conf"), &o, err, sizeof err), 0);
	assert_string_equal(err, "");
	assert_string_equal(o.nginx_conf, "/etc/nginx/nginx.conf");
	assert_string_equal(o.nginx_bin, "/usr/sbin/nginx");
	assert_int_equal(o.error_logs.n, 2);
	assert_string_equal(o.error_logs.v[0], "/var/log/nginx/error.log");
	assert_string_equal(o.error_logs.v[1], "/var/log/nginx/other#1.log");
	assert_int_equal(o.access_logs.n, 1);
	assert_int_equal(o.app_logs.n, 2);
	assert_string_equal(o.app_logs.v[0], "unit:gunicorn.service");
	assert_string_equal(o.units.v[0], "gunicorn.service");
	assert_int_equal(o.upstreams.n, 2);
	assert_string_equal(o.upstreams.v[1], "http://127.0.0.1:8000");
	assert_true(o.interval == 0.5);
	assert_true(o.recent_window == 600);
	assert_true(o.probe_timeout == 1.5);
	assert_int_equal(o.read_only, 1);
	assert_int_equal(o.no_color, 1);
	assert_string_equal(o.docker_socket, "/run/docker.sock");
	assert_null(config_file_value("docker-socket"));  /* a field, not an extra */
	assert_string_equal(config_file_value("theme"), "colorblind");
	assert_null(config_file_value("interval"));      /* has a field: not an extra */
	opts_free(&o);
	assert_null(config_file_value("theme"));
}

/* The stored strings are copies: they survive the file and its buffer. */
static void test_strings_outlive_file(void **state)
{
	(void)state;
	struct gw_options o = { 0 };
	char err[256];
	PUT(P("s.conf"), "nginx-conf = /a/b.conf\nunit = x.service\n");
	assert_int_equal(config_file_load(P("s.conf"), &o, err, sizeof err), 0);
	assert_int_equal(unlink(P("s.conf")), 0);
	PUT(P("s2.conf"), "nginx-conf = /zzzzzzzzzzzzzz\n");   /* reuse heap */
	assert_string_equal(o.nginx_conf, "/a/b.conf");
	assert_string_equal(o.units.v[0], "x.service");
	opts_free(&o);
}

struct bad_case {
	const char *text;
	const char *want;       /* substring of err, after "FILE:" */
};

static void test_bad_lines(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
		{ "nginx-conf = /x\nfoo = bar\n", ":2: unknown key 'foo'" },
		{ "# c\n\ninterval = fast\n", ":3: interval wants a number of seconds" },
		{ "interval = 0\n", ":1: interval wants" },
		{ "timeout = -3\n", ":1: timeout wants" },
		{ "window = 1e9\n", ":1: window wants" },
		{ "read-only = maybe\n", ":1: read-only wants yes or no, not 'maybe'" },
		{ "\n\n\n\nnginx-conf /etc/nginx/nginx.conf\n", ":5: expected 'key = value'" },
		{ "= value\n", ":1: missing key" },
		{ "unit =\n", ":1: unit has an empty value" },
		{ "unit = \"\"\n", ":1: unit has an empty value" },
		{ "theme = rainbow\n", ":1: theme wants default or colorblind" },
		{ "docker-socket = docker.sock\n", ":1: docker-socket wants an absolute path" },
		{ "upstream = \"\n", ":1: unterminated quote" },
		{ "check = yes\n", ":1: unknown key 'check'" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct gw_options o = { 0 };
		char err[512] = "", want[512];
		PUT(P("bad.conf"), cases[i].text);
		assert_int_equal(config_file_load(P("bad.conf"), &o, err, sizeof err), -1);
		snprintf(want, sizeof want, "%s%s", P("bad.conf"), cases[i].want);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("case %zu: got \"%s\", want prefix \"%s\"", i, err, want);
		opts_free(&o);
	}
}

static void test_binary_and_missing(void **state)
{
	(void)state;
	struct gw_options o = { 0 };
	char err[512], want[512];
	put(P("bin.conf"), "unit = a\nun\0it = b\n", 19);
	assert_int_equal(config_file_load(P("bin.conf"), &o, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s:2: NUL byte", P("bin.conf"));
	assert_memory_equal(err, want, strlen(want));
	assert_int_equal(o.units.n, 0);               /* rejected before applying */

	assert_int_equal(config_file_load(P("nope.conf"), &o, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: No such file or directory", P("nope.conf"));
	assert_string_equal(err, want);

	/* unreadable (as a directory) */
	assert_int_equal(mkdir(P("dir.conf"), 0755), 0);
	assert_int_equal(config_file_load(P("dir.conf"), &o, err, sizeof err), -1);
	assert_non_null(strstr(err, "dir.conf: "));
	opts_free(&o);
}

/* No trailing newline, CRLF, and a key written like a flag. */
static void test_edges(void **state)
{
	(void)state;
	struct gw_options o = { 0 };
	char err[256];
	PUT(P("e.conf"), "--unit = a.service\r\nunit=b.service");
	assert_int_equal(config_file_load(P("e.conf"), &o, err, sizeof err), 0);
	assert_int_equal(o.units.n, 2);
	assert_string_equal(o.units.v[0], "a.service");
	assert_string_equal(o.units.v[1], "b.service");
	PUT(P("q.conf"), "nginx-conf = \"  /spaced path/n.conf \"\n");
	assert_int_equal(config_file_load(P("q.conf"), &o, err, sizeof err), 0);
	assert_string_equal(o.nginx_conf, "  /spaced path/n.conf ");
	PUT(P("empty.conf"), "");
	assert_int_equal(config_file_load(P("empty.conf"), &o, err, sizeof err), 0);
	opts_free(&o);
}

/* /etc file then the XDG file: user scalars win, lists add up; a missing
 * file is skipped; HOME is used without XDG_CONFIG_HOME. */
static void test_default_search(void **state)
{
	(void)state;
	struct gw_options o = { 0 };
	char err[512], path[512];

	assert_int_equal(mkdir(P("xdg"), 0755), 0);
	assert_int_equal(mkdir(P("xdg/gwtop"), 0755), 0);
	PUT(P("etc.conf"), "nginx-conf = /etc/nginx/nginx.conf\nunit = sys.service\ninterval = 5\n");
	PUT(P("xdg/gwtop/config"), "nginx-conf = /home/me/nginx.conf\nunit = me.service\n");
	setenv("XDG_CONFIG_HOME", P("xdg"), 1);
	config_file_user_path(path, sizeof path);
	assert_string_equal(path, P("xdg/gwtop/config"));

	assert_int_equal(config_file_load_default(P("etc.conf"), &o, err, sizeof err), 2);
	assert_string_equal(o.nginx_conf, "/home/me/nginx.conf");
	assert_true(o.interval == 5);
	assert_int_equal(o.units.n, 2);
	assert_string_equal(o.units.v[0], "sys.service");
	assert_string_equal(o.units.v[1], "me.service");
	opts_free(&o);

	/* no /etc file; HOME fallback; nothing there either -> 0 files */
	memset(&o, 0, sizeof o);
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", P("home"), 1);
	config_file_user_path(path, sizeof path);
	assert_string_equal(path, P("home/.config/gwtop/config"));
	assert_int_equal(config_file_load_default(P("missing.conf"), &o, err, sizeof err), 0);
	assert_null(o.nginx_conf);

	/* a bad user file is an error naming it */
	setenv("XDG_CONFIG_HOME", P("xdg"), 1);
	PUT(P("xdg/gwtop/config"), "unit = ok\nbogus\n");
	assert_int_equal(config_file_load_default(P("missing.conf"), &o, err, sizeof err), -1);
	snprintf(path, sizeof path, "%s:2: expected 'key = value'", P("xdg/gwtop/config"));
	assert_string_equal(err, path);
	opts_free(&o);
	unsetenv("XDG_CONFIG_HOME");
}

/* main's order: config, then flags. The first flag of a list replaces what
 * the file put there; later flags append; lists the file did not touch and
 * a second round of flags are unaffected. */
static void test_flags_replace_lists(void **state)
{
	(void)state;
	struct gw_options o = { 0 };
	char err[256];
	PUT(P("l.conf"), "upstream = http://127.0.0.1:1\nupstream = http://127.0.0.1:2\nunit = a.service\n");
	assert_int_equal(config_file_load(P("l.conf"), &o, err, sizeof err), 0);
	assert_int_equal(o.upstreams.n, 2);

	config_file_list_flag(&o, "upstream");
	*gw_vec_push(&o.upstreams) = "http://127.0.0.1:9";
	config_file_list_flag(&o, "upstream");
	*gw_vec_push(&o.upstreams) = "http://127.0.0.1:10";
	assert_int_equal(o.upstreams.n, 2);
	assert_string_equal(o.upstreams.v[0], "http://127.0.0.1:9");
	assert_string_equal(o.upstreams.v[1], "http://127.0.0.1:10");

	config_file_list_flag(&o, "error-log");       /* file set none: no-op */
	*gw_vec_push(&o.error_logs) = "/x.log";
	assert_int_equal(o.error_logs.n, 1);
	assert_int_equal(o.units.n, 1);               /* no --unit flag: file's list stays */
	config_file_list_flag(&o, "interval");        /* not a list: ignored */
	config_file_list_flag(&o, "nonsense");
	opts_free(&o);
}

/* Running as root: a file another user owns or may write, or a symlink,
 * is ignored (returns 0, none of its values used); a root-owned 0644 file
 * loads. Messages never echo control bytes or secrets from the file. */
static void test_root_trust(void **state)
{
	(void)state;
	struct gw_options o = { 0 };
	char err[512];
	if (geteuid() != 0) {
		skip();
		return;
	}
	PUT(P("own.conf"), "nginx-bin = /tmp/evil/nginx\nunit = x.service\n");
	assert_int_equal(chown(P("own.conf"), 65534, 65534), 0);
	assert_int_equal(config_file_load(P("own.conf"), &o, err, sizeof err), 0);
	assert_null(o.nginx_bin);
	assert_int_equal(o.units.n, 0);

	PUT(P("gw.conf"), "nginx-bin = /tmp/evil/nginx\n");
	assert_int_equal(chmod(P("gw.conf"), 0664), 0);
	assert_int_equal(config_file_load(P("gw.conf"), &o, err, sizeof err), 0);
	assert_null(o.nginx_bin);
	assert_int_equal(chmod(P("gw.conf"), 0644), 0);
	assert_int_equal(symlink(P("gw.conf"), P("link.conf")), 0);
	assert_int_equal(config_file_load(P("link.conf"), &o, err, sizeof err), 0);
	assert_null(o.nginx_bin);

	/* the default search skips it too, and counts it as not loaded */
	assert_int_equal(mkdir(P("hx"), 0755), 0);
	assert_int_equal(mkdir(P("hx/gwtop"), 0755), 0);
	PUT(P("hx/gwtop/config"), "nginx-bin = /tmp/evil/nginx\n");
	assert_int_equal(chown(P("hx/gwtop/config"), 65534, 65534), 0);
	setenv("XDG_CONFIG_HOME", P("hx"), 1);
	assert_int_equal(config_file_load_default(P("missing.conf"), &o, err, sizeof err), 0);
	assert_null(o.nginx_bin);
	unsetenv("XDG_CONFIG_HOME");

	/* root's own 0644 file loads */
	assert_int_equal(config_file_load(P("gw.conf"), &o, err, sizeof err), 0);
	assert_non_null(o.nginx_bin);
	assert_string_equal(o.nginx_bin, "/tmp/evil/nginx");
	opts_free(&o);

	/* an error message shows a hostile value inert and masked */
	memset(&o, 0, sizeof o);
	PUT(P("esc.conf"), "interval = \x1b]0;pwned\x07 password=hunter2\n");
	assert_int_equal(config_file_load(P("esc.conf"), &o, err, sizeof err), -1);
	assert_null(strchr(err, '\x1b'));
	assert_null(strchr(err, '\x07'));
	assert_null(strstr(err, "hunter2"));
	assert_non_null(strstr(err, "interval wants a number"));
	opts_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_strings_outlive_file),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_binary_and_missing),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_default_search),
		cmocka_unit_test(test_flags_replace_lists),
		cmocka_unit_test(test_root_trust),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
