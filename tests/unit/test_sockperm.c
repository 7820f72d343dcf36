/* test_sockperm.c — the namei-style permission walk on a real temp tree with
 * real unix sockets, checked as `nobody` while the test runs as root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sockperm.h"

static char base[64];
static uid_t nob_uid = 65534;
static gid_t nob_gid = 65534;

static void mk_socket(const char *path, mode_t mode, gid_t gid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	close(fd);                       /* the file stays: enough for the walk */
	assert_int_equal(chmod(path, mode), 0);
	assert_int_equal(chown(path, 0, gid), 0);
}

static void mk_dir(const char *path, mode_t mode)
{
	assert_int_equal(mkdir(path, mode), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static char *P(const char *rel)
{
	static char buf[8][256];
	static int k;
	char *b = buf[k++ % 8];
	snprintf(b, 256, "%s/%s", base, rel);
	return b;
}

static int setup(void **state)
{
	(void)state;
	struct passwd *pw = getpwnam("nobody");
	if (pw) { nob_uid = pw->pw_uid; nob_gid = pw->pw_gid; }
	snprintf(base, sizeof base, "/tmp/gwtop-sockperm-XXXXXX");
	if (!mkdtemp(base)) return -1;
	chmod(base, 0755);
	return 0;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

static int teardown(void **state)
{
	(void)state;
	if (base[0]) nftw(base, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void test_locked_dir(void **state)
{
	(void)state;
	struct gw_target t = { 0 };
	mk_dir(P("locked"), 0700);
	mk_socket(P("locked/app.sock"), 0777, 0);
	assert_int_equal(sockperm_check(P("locked/app.sock"), nob_uid, nob_gid, NULL, 0, "nobody", &t), -1);
	assert_true(t.perm_checked);
	assert_false(t.perm_ok);
	assert_string_equal(t.perm_path, P("locked"));
	assert_non_null(strstr(t.perm_detail, "drwx------ root root"));
	assert_non_null(strstr(t.perm_detail, "nobody (uid 65534) has no search permission"));

	/* root passes everything */
	memset(&t, 0, sizeof t);
	assert_int_equal(sockperm_check(P("locked/app.sock"), 0, 0, NULL, 0, "root", &t), 0);
	assert_true(t.perm_ok);
	assert_true(t.exists);
}

static void test_socket_mode(void **state)
{
	(void)state;
	struct gw_target t = { 0 };
	mk_dir(P("open"), 0755);
	mk_socket(P("open/root.sock"), 0660, 0);
	assert_int_equal(sockperm_check(P("open/root.sock"), nob_uid, nob_gid, NULL, 0, "nobody", &t), -1);
	assert_true(t.exists);
	assert_false(t.perm_ok);
	assert_string_equal(t.perm_path, P("open/root.sock"));
	assert_non_null(strstr(t.perm_detail, "srw-rw---- root root"));
	assert_non_null(strstr(t.perm_detail, "no write permission"));

	/* group access through a supplementary group */
	mk_socket(P("open/grp.sock"), 0660, 4242);
	gid_t groups[] = { 100, 4242 };
	memset(&t, 0, sizeof t);
	assert_int_equal(sockperm_check(P("open/grp.sock"), nob_uid, nob_gid, groups, 2, "nobody", &t), 0);
	assert_true(t.perm_ok);
	memset(&t, 0, sizeof t);
	assert_int_equal(sockperm_check(P("open/grp.sock"), nob_uid, nob_gid, groups, 1, "nobody", &t), -1);

	/* 0777 -> ok, and the username is looked up when not given */
	mk_socket(P("open/all.sock"), 0777, 0);
	memset(&t, 0, sizeof t);
	assert_int_equal(sockperm_check(P("open/all.sock"), nob_uid, nob_gid, NULL, 0, NULL, &t), 0);
	assert_true(t.perm_ok);
	assert_true(t.exists);
	assert_non_null(strstr(t.perm_detail, "may connect"));

	/* owner bits win over "other" bits for the owner */
	mk_socket(P("open/own.sock"), 0077, 0);
	assert_int_equal(chown(P("open/own.sock"), nob_uid, 0), 0);
	memset(&t, 0, sizeof t);
	assert_int_equal(sockperm_check(P("open/own.sock"), nob_uid, nob_gid, NULL, 0, "nobody", &t), -1);
}

static void test_missing(void **state)
{
	(void)state;
	struct gw_target t = { 0 };
	mk_dir(P("open"), 0755);
	assert_int_equal(sockperm_check(P("open/missing/x.sock"), nob_uid, nob_gid, NULL, 0, "nobody", &t), -1);
	assert_false(t.exists);
	assert_false(t.perm_ok);
	assert_string_equal(t.perm_path, P("open/missing"));
	assert_non_null(strstr(t.perm_detail, "does not exist"));

	memset(&t, 0, sizeof t);
	assert_int_equal(sockperm_check(P("open/gone.sock"), nob_uid, nob_gid, NULL, 0, "nobody", &t), -1);
	assert_false(t.exists);
	assert_string_equal(t.perm_path, P("open/gone.sock"));
}

static void test_symlinks(void **state)
{
	(void)state;
	struct gw_target t = { 0 };
	mk_dir(P("open"), 0755);
	mk_dir(P("locked"), 0700);
	mk_socket(P("open/all.sock"), 0777, 0);
	mk_socket(P("locked/all.sock"), 0777, 0);
	assert_int_equal(symlink("open", P("rel")), 0);             /* relative to its dir */
	assert_int_equal(symlink(P("locked"), P("abs")), 0);        /* absolute */
	assert_int_equal(symlink("all.sock", P("open/link.sock")), 0);
	assert_int_equal(symlink("loop2", P("loop1")), 0);
	assert_int_equal(symlink("loop1", P("loop2")), 0);

	assert_int_equal(sockperm_check(P("rel/link.sock"), nob_uid, nob_gid, NULL, 0, "nobody", &t), 0);
	assert_true(t.perm_ok);
	assert_string_equal(t.perm_path, P("open/all.sock"));

	memset(&t, 0, sizeof t);
	assert_int_equal(sockperm_check(P("abs/all.sock"), nob_uid, nob_gid, NULL, 0, "nobody", &t), -1);
	assert_string_equal(t.perm_path, P("locked"));

	memset(&t, 0, sizeof t);
	assert_int_equal(sockperm_check(P("loop1/x.sock"), nob_uid, nob_gid, NULL, 0, "nobody", &t), -1);
	assert_non_null(strstr(t.perm_detail, "symbolic links"));

	/* ".." and "." components */
	memset(&t, 0, sizeof t);
	assert_int_equal(sockperm_check(P("locked/../open/./all.sock"), 0, 0, NULL, 0, "root", &t), 0);
	assert_string_equal(t.perm_path, P("open/all.sock"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_locked_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks, setup, teardown),
	};
	if (geteuid() != 0) {
		fprintf(stderr, "test_sockperm: needs root (chown to other users)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
