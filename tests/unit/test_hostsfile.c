/* test_hostsfile.c — names in a hosts file as nginx's getaddrinfo() sees
 * them at load: every address in file order, comments and aliases, IPv6;
 * a name given as several addresses becomes one target each. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostsfile.h"

static char path[64];

static int setup(void **state)
{
	(void)state;
	strcpy(path, "/tmp/gwtop-hosts-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0) return -1;
	const char *txt = "# comment localhost\n127.0.0.1\tlocalhost vm\n::1 localhost ip6-localhost # v6\n"
			  "bogus app\n10.0.0.7   app App.internal\n127.0.0.1 localhost\n\n  fe80::1%eth0 app\n";
	if (write(fd, txt, strlen(txt)) != (ssize_t)strlen(txt)) return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void test_lookup(void **state)
{
	struct gw_addr a[HOSTSFILE_MAX];
	(void)state;
	assert_int_equal(hostsfile_lookup(path, "localhost", a, HOSTSFILE_MAX), 2);   /* the repeat counted once */
	assert_int_equal(a[0].kind, GW_ADDR_INET);
	assert_string_equal(a[0].host, "127.0.0.1");
	assert_int_equal(a[1].kind, GW_ADDR_INET6);
	assert_string_equal(a[1].host, "::1");
	assert_int_equal(hostsfile_lookup(path, "APP", a, HOSTSFILE_MAX), 1);         /* names are case-blind */
	assert_string_equal(a[0].host, "10.0.0.7");
	assert_int_equal(hostsfile_lookup(path, "app.internal", a, 1), 1);
	assert_int_equal(hostsfile_lookup(path, "comment", a, HOSTSFILE_MAX), 0);
	assert_int_equal(hostsfile_lookup(path, "v6", a, HOSTSFILE_MAX), 0);
	assert_int_equal(hostsfile_lookup("/nonexistent/hosts", "localhost", a, HOSTSFILE_MAX), 0);
}

static void test_expand(void **state)
{
	struct gw_snapshot *s = calloc(1, sizeof *s);
	(void)state;
	assert_non_null(s);
	snapshot_init(s);
	struct gw_target *t = gw_vec_push(&s->targets);
	t->addr.kind = GW_ADDR_HOST;
	GW_COPY(t->addr.host, "localhost");
	t->addr.port = 8000;
	GW_COPY(t->directive, "proxy_pass");
	t = gw_vec_push(&s->targets);
	t->addr.kind = GW_ADDR_HOST;
	GW_COPY(t->addr.host, "db.example");        /* not in the file: left to DNS */
	t->addr.port = 9000;
	hostsfile_expand_targets(s, path);
	assert_int_equal(s->targets.n, 3);
	assert_string_equal(s->targets.v[0].display, "127.0.0.1:8000 (localhost:8000 in /etc/hosts)");
	assert_string_equal(s->targets.v[0].upstream_name, "localhost");
	assert_int_equal(s->targets.v[1].addr.kind, GW_ADDR_HOST);
	assert_string_equal(s->targets.v[2].display, "[::1]:8000 (localhost:8000 in /etc/hosts)");
	assert_string_equal(s->targets.v[2].directive, "proxy_pass");
	assert_int_equal(s->targets.v[2].addr.port, 8000);
	snapshot_free(s);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expand, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
