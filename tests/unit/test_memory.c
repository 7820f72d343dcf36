/* test_memory.c — memory probe against the real /proc and fixture text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "memory.h"

static void test_refresh_real(void **state)
{
	(void)state;
	struct gw_snapshot s;
	snapshot_init(&s);
	assert_int_equal(memory_refresh(&s), 0);
	assert_true(s.mem.ok);
	assert_true(s.mem.total_kb > 0);
	assert_true(s.mem.available_kb > 0);
	assert_true(s.mem.available_kb <= s.mem.total_kb);
	assert_true(s.mem.swap_free_kb <= s.mem.swap_total_kb);
	if (access("/proc/pressure/memory", R_OK) == 0) {
		assert_true(s.mem.psi_some10 >= 0);
		assert_true(s.mem.psi_full10 >= 0);
	} else {
		assert_true(s.mem.psi_some10 == -1);
	}
	snapshot_free(&s);
}

static void test_parse_fixture(void **state)
{
	(void)state;
	struct gw_memory m = { 0 };
	const char *mi =
		"MemTotal:        2013400 kB\n"
		"MemFree:           81236 kB\n"
		"MemAvailable:      95012 kB\n"
		"Buffers:            1024 kB\n"
		"SwapCached:            0 kB\n"
		"SwapTotal:       1048572 kB\n"
		"SwapFree:          10240 kB\n";
	assert_int_equal(memory_parse_meminfo(mi, &m), 0);
	assert_int_equal(m.total_kb, 2013400);
	assert_int_equal(m.available_kb, 95012);
	assert_int_equal(m.swap_total_kb, 1048572);
	assert_int_equal(m.swap_free_kb, 10240);

	memory_parse_psi("some avg10=12.50 avg60=3.00 avg300=1.00 total=123\n"
			 "full avg10=4.25 avg60=1.00 avg300=0.50 total=45\n", &m);
	assert_true(m.psi_some10 > 12.49 && m.psi_some10 < 12.51);
	assert_true(m.psi_full10 > 4.24 && m.psi_full10 < 4.26);

	/* old kernel: no MemAvailable, estimate from free + cache */
	struct gw_memory o = { 0 };
	assert_int_equal(memory_parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 200 kB\n", &o), 0);
	assert_int_equal(o.available_kb, 310);
	/* garbage */
	struct gw_memory g = { 0 };
	assert_int_equal(memory_parse_meminfo("nothing here\n", &g), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refresh_real),
		cmocka_unit_test(test_parse_fixture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
