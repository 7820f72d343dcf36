/* test_accesslog.c — nginx access.log lines as nginx 1.22 writes them
 * (combined format, escaped quotes, zones east and west of UTC, garbage)
 * and 5xx counting: 502 and 504 apart, bursts, out-of-order input, the
 * 60-minute window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "accesslog.h"

/* 2026-11-24 12:01:02 UTC */
#define T0 1795521662.0

static void test_parse_combined(void **state)
{
	(void)state;
	struct accesslog_entry e;
	const char *l = "127.0.0.1 - - [24/Nov/2026:12:01:02 +0000] \"GET /api/x?a=1 HTTP/1.1\" 502 157 \"-\" \"curl/7.88.1\"\n";
	assert_int_equal(accesslog_parse(l, strlen(l), &e), 1);
	assert_int_equal(e.status, 502);
	assert_string_equal(e.method, "GET");
	assert_true(e.time == T0);
}

static void test_parse_zones(void **state)
{
	(void)state;
	struct accesslog_entry e;
	const char *east = "::1 - bob [24/Nov/2026:13:01:02 +0100] \"POST / HTTP/1.1\" 504 0 \"-\" \"x\"";
	const char *west = "10.0.0.1 - - [24/Nov/2026:06:31:02 -0530] \"GET / HTTP/1.0\" 200 5 \"-\" \"-\"";
	assert_int_equal(accesslog_parse(east, strlen(east), &e), 1);
	assert_true(e.time == T0);
	assert_int_equal(e.status, 504);
	assert_string_equal(e.method, "POST");
	assert_int_equal(accesslog_parse(west, strlen(west), &e), 1);
	assert_true(e.time == T0);
	assert_int_equal(e.status, 200);
}

static void test_parse_odd_requests(void **state)
{
	(void)state;
	struct accesslog_entry e;
	/* nginx escapes a quote in the request line as \x22; a bare "-" request (400) */
	const char *esc = "1.2.3.4 - - [24/Nov/2026:12:01:02 +0000] \"GET /\\x22a HTTP/1.1\" 404 1 \"-\" \"-\"";
	const char *dash = "1.2.3.4 - - [24/Nov/2026:12:01:02 +0000] \"-\" 400 0 \"-\" \"-\"";
	assert_int_equal(accesslog_parse(esc, strlen(esc), &e), 1);
	assert_int_equal(e.status, 404);
	assert_int_equal(accesslog_parse(dash, strlen(dash), &e), 1);
	assert_int_equal(e.status, 400);
	assert_string_equal(e.method, "");
}

static void test_parse_garbage(void **state)
{
	(void)state;
	struct accesslog_entry e;
	const char *bad[] = {
		"", "[", "2026/11/24 12:01:02 [error] 1#1: *1 connect() failed",
		"1.2.3.4 - - [24/Foo/2026:12:01:02 +0000] \"GET / HTTP/1.1\" 200 1",
		"1.2.3.4 - - [24/Nov/2026:12:01:02 +0000] \"GET / HTTP/1.1\" 9999 1",
		"1.2.3.4 - - [24/Nov/2026:12:01:02 +0000] \"GET / HTTP/1.1\" 20",
		"1.2.3.4 - - [24/Nov/2026:12:01:02 +0000] \"GET / HTTP/1.1",
		"1.2.3.4 - - [24/Nov/2026:12:01:02] \"GET / HTTP/1.1\" 200 1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(accesslog_parse(bad[i], strlen(bad[i]), &e), 0);
	/* not NUL-terminated: the parser must stop at len */
	char buf[64];
	memset(buf, '[', sizeof buf);
	assert_int_equal(accesslog_parse(buf, sizeof buf, &e), 0);
}

static void test_counts_502_504_apart(void **state)
{
	(void)state;
	struct accesslog_stats st = { 0 };
	for (int i = 0; i < 10; i++) accesslog_stats_add(&st, T0 + i, 200);
	for (int i = 0; i < 4; i++) accesslog_stats_add(&st, T0 + 10 + i, 502);
	for (int i = 0; i < 3; i++) accesslog_stats_add(&st, T0 + 20 + i, 504);
	accesslog_stats_add(&st, T0 + 30, 500);
	accesslog_stats_add(&st, T0 + 31, 404);
	struct accesslog_minute sum;
	accesslog_stats_sum(&st, T0 + 40, 5, &sum);
	assert_int_equal(sum.total, 19);
	assert_int_equal(sum.n5xx, 8);
	assert_int_equal(sum.n502, 4);
	assert_int_equal(sum.n504, 3);
	assert_true(sum.first_5xx == T0 + 10);
	assert_true(sum.last_5xx == T0 + 30);
	const struct accesslog_minute *m = accesslog_stats_minute(&st, (long)(T0 / 60));
	assert_non_null(m);
	assert_true(m->total >= 1);
}

static void test_burst_start(void **state)
{
	(void)state;
	struct accesslog_stats st = { 0 };
	/* an old incident, 20 minutes of calm, then the current one starting at +1800 */
	for (int i = 0; i < 30; i++) accesslog_stats_add(&st, T0 + i * 10, 502);
	for (int i = 0; i < 120; i++) accesslog_stats_add(&st, T0 + 300 + i * 10, 200);
	/* added out of order, as two access logs would be */
	for (int i = 20; i >= 0; i--) accesslog_stats_add(&st, T0 + 1800 + i * 30, i % 2 ? 504 : 502);
	double start, last;
	unsigned n;
	assert_int_equal(accesslog_burst(&st, T0 + 1800 + 600 + 5, 300, &start, &last, &n), 1);
	assert_true(start == T0 + 1800);
	assert_true(last == T0 + 1800 + 600);
	assert_int_equal(n, 21);
	/* the burst is over when its last 5xx is older than `recent` */
	assert_int_equal(accesslog_burst(&st, T0 + 1800 + 600 + 301, 300, NULL, NULL, NULL), 0);
}

static void test_burst_gap_tolerance(void **state)
{
	(void)state;
	struct accesslog_stats st = { 0 };
	/* 5xx every 2 minutes (one empty minute between): one burst */
	for (int i = 0; i < 5; i++) accesslog_stats_add(&st, T0 + i * 120, 502);
	double start;
	assert_int_equal(accesslog_burst(&st, T0 + 4 * 120 + 1, 300, &start, NULL, NULL), 1);
	assert_true(start == T0);
	/* a gap of more than ACCESSLOG_BURST_GAP empty minutes splits it */
	accesslog_stats_add(&st, T0 + 4 * 120 + (ACCESSLOG_BURST_GAP + 2) * 60, 504);
	assert_int_equal(accesslog_burst(&st, T0 + 4 * 120 + (ACCESSLOG_BURST_GAP + 2) * 60 + 1, 300,
					 &start, NULL, NULL), 1);
	assert_true(start == T0 + 4 * 120 + (ACCESSLOG_BURST_GAP + 2) * 60);
}

static void test_window(void **state)
{
	(void)state;
	struct accesslog_stats st = { 0 };
	accesslog_stats_add(&st, T0, 502);
	accesslog_stats_add(&st, T0 + 3 * 3600, 200);
	/* older than the window: ignored, never counted into a recycled slot */
	accesslog_stats_add(&st, T0 + 60, 504);
	struct accesslog_minute sum;
	accesslog_stats_sum(&st, T0 + 3 * 3600, 60, &sum);
	assert_int_equal(sum.total, 1);
	assert_int_equal(sum.n5xx, 0);
	assert_null(accesslog_stats_minute(&st, (long)(T0 / 60)));
	assert_int_equal(accesslog_burst(&st, T0 + 3 * 3600, 300, NULL, NULL, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_combined),
		cmocka_unit_test(test_parse_zones),
		cmocka_unit_test(test_parse_odd_requests),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_counts_502_504_apart),
		cmocka_unit_test(test_burst_start),
		cmocka_unit_test(test_burst_gap_tolerance),
		cmocka_unit_test(test_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
