/* test_gather_table.c — gather's table of probe rows (src/gather.c):
 *   - the real table passes gather_probes_check: every row's needs are
 *     given by synchronous rows above it, every row gives something, the
 *     names are unique;
 *   - the check refuses a table that breaks each of those rules (rows of
 *     the real table moved or altered), so it can fail;
 *   - a real pass (gather_new + gather_start on an sd-event loop, a config
 *     in a temp dir whose upstream and server are closed loopback ports)
 *     runs the rows in table order: the probe marks of the snapshot follow
 *     the table, "total" comes last, `done` fires once, and the
 *     asynchronous HTTP row did probe the target. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gather.h"

static const struct gather_probe *row_named(const struct gather_probe *rows, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rows[i].name, name)) return &rows[i];
	fail_msg("no row %s in the table", name);
	return NULL;
}

static void test_table_ordered(void **state)
{
	(void)state;
	size_t n;
	const struct gather_probe *rows = gather_probes(&n);
	char why[512] = "unset";
	assert_true(n >= 10);
	assert_int_equal(gather_probes_check(rows, n, why, sizeof why), 0);
	assert_string_equal(why, "");
	/* the facts later rows read are all given by some row */
	unsigned given = 0;
	for (size_t i = 0; i < n; i++) given |= rows[i].gives;
	for (size_t i = 0; i < n; i++) assert_int_equal(rows[i].needs & ~given, 0);
	/* the probes that depend on others declare it */
	assert_true(row_named(rows, n, "listeners")->needs & GF_TARGETS);
	assert_true(row_named(rows, n, "nginx-config")->needs & GF_PROCS);
	assert_true(row_named(rows, n, "http")->async);
}

/* A copy of the real table to break. */
static struct gather_probe *copy_table(size_t *n)
{
	const struct gather_probe *rows = gather_probes(n);
	struct gather_probe *c = malloc(*n * sizeof *c);
	assert_non_null(c);
	memcpy(c, rows, *n * sizeof *c);
	return c;
}

static void test_check_refuses(void **state)
{
	(void)state;
	size_t n;
	char why[512];
	struct gather_probe *c = copy_table(&n), t;

	/* the config before the processes that locate it */
	assert_string_equal(c[0].name, "processes");
	assert_string_equal(c[1].name, "nginx-config");
	t = c[0], c[0] = c[1], c[1] = t;
	assert_int_equal(gather_probes_check(c, n, why, sizeof why), -1);
	assert_non_null(strstr(why, "nginx-config"));
	free(c);

	/* the listeners first: no targets yet */
	c = copy_table(&n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(c[i].name, "listeners")) t = c[i], c[i] = c[0], c[0] = t;
	assert_int_equal(gather_probes_check(c, n, why, sizeof why), -1);
	assert_non_null(strstr(why, "listeners needs"));
	free(c);

	/* a row that needs an asynchronous row's result: it is not in yet */
	c = copy_table(&n);
	c[n - 1].needs |= GF_HTTP;
	assert_int_equal(gather_probes_check(c, n, why, sizeof why), -1);
	assert_non_null(strstr(why, "asynchronous"));
	free(c);

	/* two rows of one name; a row that gives nothing; no run function */
	c = copy_table(&n);
	c[2].name = c[1].name;
	assert_int_equal(gather_probes_check(c, n, why, sizeof why), -1);
	assert_non_null(strstr(why, "two rows"));
	free(c);
	c = copy_table(&n);
	c[3].gives = 0;
	assert_int_equal(gather_probes_check(c, n, why, sizeof why), -1);
	assert_non_null(strstr(why, "gives nothing"));
	free(c);
	c = copy_table(&n);
	c[4].run = NULL;
	assert_int_equal(gather_probes_check(c, n, why, sizeof why), -1);
	free(c);
}

struct pass {
	sd_event *e;
	int done;
};

static void pass_done(void *ud)
{
	struct pass *p = ud;
	p->done++;
	sd_event_exit(p->e, 0);
}

static int pass_deadline(sd_event_source *src, uint64_t usec, void *ud)
{
	(void)src;
	(void)usec;
	sd_event_exit(((struct pass *)ud)->e, 0);
	return 0;
}

/* A closed loopback port (bound, never listened, then closed). */
static int closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void test_pass_runs_table_in_order(void **state)
{
	(void)state;
	char dir[] = "/tmp/gwtop-gtable.XXXXXX", conf[128];
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof conf, "%s/nginx.conf", dir);
	FILE *fp = fopen(conf, "w");
	assert_non_null(fp);
	fprintf(fp, "events {}\nhttp {\n upstream app { server 127.0.0.1:%d; }\n"
		    " server { listen 127.0.0.1:%d; location / { proxy_pass http://app; } }\n}\n",
		closed_port(), closed_port());
	fclose(fp);

	struct gw_options o = { 0 };
	o.nginx_conf = conf;
	o.nginx_bin = "/nonexistent/gwtop-nginx";   /* no nginx -t run */
	o.probe_timeout = 2.0;
	o.recent_window = 300;

	sd_event *e = NULL;
	sd_event_source *deadline = NULL;
	assert_true(sd_event_new(&e) >= 0);
	struct pass p = { .e = e };
	struct gather *g = gather_new(e, &o);
	struct gw_snapshot *s = calloc(1, sizeof *s);
	assert_non_null(s);
	snapshot_init(s);
	assert_int_equal(gather_start(g, s, NULL, pass_done, &p), 0);
	assert_int_equal(gather_start(g, s, NULL, pass_done, &p), -1);   /* one pass at a time */
	if (!p.done) {
		sd_event_add_time_relative(e, &deadline, CLOCK_MONOTONIC, 15 * 1000000ULL, 0, pass_deadline, &p);
		sd_event_loop(e);
	}
	assert_int_equal(p.done, 1);
	assert_false(gather_busy(g));

	/* the marks follow the table's order; "total" closes the pass */
	size_t n, last = 0, seen = 0;
	const struct gather_probe *rows = gather_probes(&n);
	assert_true(s->probes.n >= 7);
	for (size_t i = 0; i < s->probes.n; i++) {
		for (size_t r = 0; r < n; r++) {
			if (strcmp(rows[r].name, s->probes.v[i].name)) continue;
			assert_true(r >= last);
			last = r;
			seen++;
		}
	}
	assert_true(seen >= 6);   /* processes nginx-config listeners memory logs kernel-log */
	assert_string_equal(s->probes.v[0].name, "processes");
	assert_string_equal(s->probes.v[s->probes.n - 1].name, "total");

	/* what each row gave: the config, its target, no listener, the probe */
	assert_true(s->conf.parsed);
	assert_int_equal(s->targets.n, 1);
	assert_int_equal(s->targets.v[0].listener_idx, -1);
	assert_true(s->targets.v[0].probed);
	assert_false(s->targets.v[0].reachable);

	snapshot_free(s);
	free(s);
	gather_free(g);
	sd_event_source_unref(deadline);
	sd_event_unref(e);
	assert_int_equal(unlink(conf), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_ordered),
		cmocka_unit_test(test_check_refuses),
		cmocka_unit_test(test_pass_runs_table_in_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
