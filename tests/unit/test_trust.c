/* test_trust.c — src/trust.c, the rules of what gwtop as root believes and
 * touches (issue 17): safe paths (owner root, not writable by group or
 * others, sticky directories only on the way to root's entries, symlinks
 * followed and their directories checked), files named by processes opened
 * only when regular and outside /dev /proc /sys (a FIFO is never opened
 * for reading), trusted app processes by uid and cgroup, the nginx master
 * check, and the nginx -t refusal. Needs root (chown). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust.h"

static char dir[256];

static void pathf(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void mkfile(const char *name, mode_t mode, uid_t uid)
{
	char p[512];
	pathf(p, sizeof p, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	close(fd);
	assert_int_equal(chmod(p, mode), 0);
	assert_int_equal(lchown(p, uid, uid), 0);
}

static void mkd(const char *name, mode_t mode, uid_t uid)
{
	char p[512];
	pathf(p, sizeof p, name);
	assert_int_equal(mkdir(p, mode), 0);
	assert_int_equal(chmod(p, mode), 0);
	assert_int_equal(chown(p, uid, uid), 0);
}

static int safe(const char *name, const char *want_why)
{
	char p[512], why[512];
	if (name[0] == '/') snprintf(p, sizeof p, "%s", name);
	else pathf(p, sizeof p, name);
	int r = trust_path_safe(p, why, sizeof why);
	if (want_why && !strstr(why, want_why)) fail_msg("%s: why '%s' lacks '%s'", p, why, want_why);
	return r;
}

static int setup(void **state)
{
	(void)state;
	if (geteuid() != 0) { print_message("needs root (chown)\n"); skip(); }
	snprintf(dir, sizeof dir, "/tmp/gwtop-trust.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_safe_paths(void **state)
{
	(void)state;
	assert_true(safe("/etc/passwd", NULL));
	assert_true(safe("/etc/../etc/./passwd", NULL));
	mkfile("root.conf", 0644, 0);
	assert_true(safe("root.conf", NULL));
	mkfile("nobody.conf", 0644, 65534);
	assert_false(safe("nobody.conf", "owned by uid 65534"));
	mkfile("open.conf", 0666, 0);
	assert_false(safe("open.conf", "writable by group or others"));
	mkfile("group.conf", 0664, 0);
	assert_false(safe("group.conf", "writable by group or others"));

	/* a directory others may write: not on the way, sticky or not as the object */
	mkd("open", 0777, 0);
	mkfile("open/x.conf", 0644, 0);
	assert_false(safe("open/x.conf", "open is writable by group or others"));
	mkd("sticky", 01777, 0);
	mkfile("sticky/root.conf", 0644, 0);
	mkfile("sticky/nobody.conf", 0644, 65534);
	assert_true(safe("sticky/root.conf", NULL));          /* like /tmp/gwtop-lab.X/... */
	assert_false(safe("sticky/nobody.conf", "owned by uid 65534"));
	assert_false(safe("sticky", "writable by group or others"));   /* a prefix of /tmp itself */
	assert_false(safe("sticky/missing.conf", "No such file"));     /* anyone could create it */
	assert_true(safe("missing/deeper.conf", NULL));                 /* no one but root could */

	/* a nobody-owned directory on the way */
	mkd("att", 0755, 65534);
	mkfile("att/evil.conf", 0644, 0);
	assert_false(safe("att/evil.conf", "att is owned by uid 65534"));

	/* symlinks: followed, the target's directories checked, the link's owner too */
	char p[512], t[512];
	pathf(p, sizeof p, "link-to-att.conf");
	pathf(t, sizeof t, "att/evil.conf");
	assert_int_equal(symlink(t, p), 0);
	assert_false(safe("link-to-att.conf", "att is owned by uid 65534"));
	pathf(p, sizeof p, "rel-link.conf");
	assert_int_equal(symlink("root.conf", p), 0);
	assert_true(safe("rel-link.conf", NULL));
	pathf(p, sizeof p, "nobody-link.conf");
	assert_int_equal(symlink("root.conf", p), 0);
	assert_int_equal(lchown(p, 65534, 65534), 0);
	assert_false(safe("nobody-link.conf", "owned by uid 65534"));
	pathf(p, sizeof p, "loop");
	assert_int_equal(symlink("loop", p), 0);
	assert_false(safe("loop", "too many symbolic links"));
}

static void test_open_regular(void **state)
{
	(void)state;
	struct stat st;
	char why[512], p[512];
	errno = 0;
	assert_int_equal(trust_open_regular("/dev/zero", &st, why, sizeof why), -1);
	assert_int_equal(errno, EINVAL);
	assert_true(S_ISCHR(st.st_mode));
	assert_non_null(strstr(why, "character device"));
	assert_int_equal(trust_open_regular("/proc/self/status", &st, why, sizeof why), -1);
	assert_int_equal(errno, EXDEV);
	assert_non_null(strstr(why, "/proc"));
	assert_int_equal(trust_open_regular("/nonexistent/x.log", &st, why, sizeof why), -1);
	assert_int_equal(errno, ENOENT);

	/* a FIFO nobody writes to: refused at once (a read open would block or eat data) */
	pathf(p, sizeof p, "fifo");
	assert_int_equal(mkfifo(p, 0644), 0);
	double t0 = gw_mono();
	assert_int_equal(trust_open_regular(p, &st, why, sizeof why), -1);
	assert_int_equal(errno, EINVAL);
	assert_true(gw_mono() - t0 < 1.0);
	assert_non_null(strstr(why, "FIFO"));

	/* a symlink to a device: the device is what counts */
	pathf(p, sizeof p, "zero.log");
	assert_int_equal(symlink("/dev/zero", p), 0);
	assert_int_equal(trust_open_regular(p, &st, why, sizeof why), -1);
	assert_int_equal(errno, EINVAL);

	/* a regular file: opened for reading, its bytes readable */
	mkfile("app.log", 0644, 0);
	pathf(p, sizeof p, "app.log");
	int fd = trust_open_regular(p, &st, why, sizeof why);
	assert_true(fd >= 0);
	assert_true(S_ISREG(st.st_mode));
	char buf[8];
	assert_int_equal(read(fd, buf, sizeof buf), 2);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(fd);
}

static void test_cgroups(void **state)
{
	(void)state;
	const char *user_sshd = "/user.slice/user-1000.slice/user@1000.service/app.slice/sshd.service";
	assert_true(trust_cgroup_user(user_sshd));
	assert_false(trust_cgroup_user("/system.slice/nginx.service"));
	assert_true(trust_cgroup_system("/system.slice/gunicorn.service"));
	assert_true(trust_cgroup_system("/system.slice/docker-4f1c2a.scope"));
	assert_true(trust_cgroup_system("/kubepods/besteffort/pod1/abc"));
	assert_false(trust_cgroup_system(user_sshd));
	assert_false(trust_cgroup_system("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-abc.scope"));
	assert_false(trust_cgroup_system("/user.slice/user-1000.slice/session-2.scope"));
	assert_false(trust_cgroup_system("/"));
	assert_false(trust_cgroup_system(""));

	assert_true(trust_app_process(0, "/"));
	assert_false(trust_app_process(65534, "/"));
	assert_true(trust_app_process(998, "/system.slice/gunicorn.service"));
	assert_false(trust_app_process(1000, user_sshd));
}

static void test_nginx_master(void **state)
{
	(void)state;
	char why[512];
	assert_false(trust_nginx_master(getpid(), 65534, "/", why, sizeof why));
	assert_non_null(strstr(why, "runs as uid 65534"));
	assert_false(trust_nginx_master(getpid(), 0, "/user.slice/user-0.slice/user@0.service/x.service", why, sizeof why));
	assert_non_null(strstr(why, "user's systemd"));
	/* this test binary runs as root but is not nginx */
	assert_false(trust_nginx_master(getpid(), 0, "/", why, sizeof why));
	assert_non_null(strstr(why, "is not nginx"));
}

static void test_nginx_test_refusal(void **state)
{
	(void)state;
	char why[1024], conf[512], prefix[512], inc[512];
	struct gw_nginx_conf c;
	memset(&c, 0, sizeof c);

	mkd("site", 0755, 0);
	mkfile("site/nginx.conf", 0644, 0);
	mkd("site/prefix", 0755, 0);
	pathf(conf, sizeof conf, "site/nginx.conf");
	pathf(prefix, sizeof prefix, "site/prefix/");
	trust_force(1);
	assert_true(trust_nginx_test_ok("/usr/sbin/nginx", conf, prefix, &c, why, sizeof why));

	mkd("att", 0755, 65534);
	mkfile("att/evil.conf", 0644, 65534);
	pathf(conf, sizeof conf, "att/evil.conf");
	assert_false(trust_nginx_test_ok("/usr/sbin/nginx", conf, prefix, &c, why, sizeof why));
	assert_non_null(strstr(why, "refused to run nginx -t as root: the config"));

	pathf(conf, sizeof conf, "site/nginx.conf");
	pathf(prefix, sizeof prefix, "att/");
	assert_false(trust_nginx_test_ok("/usr/sbin/nginx", conf, prefix, &c, why, sizeof why));
	assert_non_null(strstr(why, "the prefix"));

	pathf(prefix, sizeof prefix, "site/prefix/");
	pathf(inc, sizeof inc, "att/evil.conf");
	struct gw_conf_file *f = gw_vec_push(&c.files);
	GW_COPY(f->path, inc);
	assert_false(trust_nginx_test_ok("/usr/sbin/nginx", conf, prefix, &c, why, sizeof why));
	assert_non_null(strstr(why, "the included file"));

	mkfile("att-bin", 0755, 65534);
	pathf(inc, sizeof inc, "att-bin");
	assert_false(trust_nginx_test_ok(inc, conf, prefix, NULL, why, sizeof why));
	assert_non_null(strstr(why, "the binary"));

	/* without root nothing is refused: gwtop cannot gain what it does not have */
	trust_force(0);
	assert_true(trust_nginx_test_ok(inc, conf, prefix, &c, why, sizeof why));
	trust_force(-1);
	gw_vec_free(&c.files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_safe_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_regular, setup, teardown),
		cmocka_unit_test(test_cgroups),
		cmocka_unit_test(test_nginx_master),
		cmocka_unit_test_setup_teardown(test_nginx_test_refusal, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
