/* test_memory.c — memory probe against the real /proc and fixture text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memory.h"
#include "util.h"

static void test_refresh_real(void **state)
{
	(void)state;
	struct gw_snapshot s;
	snapshot_init(&s);
	struct memory_state *ms = memory_state_new();
	assert_int_equal(memory_refresh(ms, &s), 0);
	memory_state_free(ms);
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

static unsigned long vmrss_kb(const char *status)
{
	const char *p = strstr(status, "VmRSS:");
	return p ? strtoul(p + 6, NULL, 10) : 0;
}

/* The kept-fd reader the memory probe uses every tick: each pread at 0 of
 * a /proc file is a fresh look (not the text of the first read); a file
 * rewritten in place shows its new text; a dead fd is dropped and the next
 * call opens the path again. */
static void test_pread_kept(void **state)
{
	(void)state;
	char buf[8192];
	int fd = -1;

	/* /proc: VmRSS of this process grows between two reads of the same fd */
	assert_true(gw_pread_kept(&fd, "/proc/self/status", buf, sizeof buf) > 0);
	assert_true(fd >= 0);
	int first_fd = fd;
	unsigned long before = vmrss_kb(buf);
	assert_true(before > 0);
	size_t big = 32u << 20;
	char *mem = malloc(big);
	assert_non_null(mem);
	memset(mem, 1, big);                       /* touched: resident */
	assert_true(gw_pread_kept(&fd, "/proc/self/status", buf, sizeof buf) > 0);
	assert_int_equal(fd, first_fd);            /* the same fd, not reopened */
	assert_true(vmrss_kb(buf) >= before + 16 * 1024);
	free(mem);
	close(fd);

	/* a regular file rewritten in place; then its fd closed behind our back */
	char path[] = "/tmp/gwtop-test-kept.XXXXXX";
	int w = mkstemp(path);
	assert_true(w >= 0);
	assert_int_equal(write(w, "one\n", 4), 4);
	fd = -1;
	assert_int_equal(gw_pread_kept(&fd, path, buf, sizeof buf), 4);
	assert_string_equal(buf, "one\n");
	assert_int_equal(pwrite(w, "two!\n", 5, 0), 5);
	assert_int_equal(gw_pread_kept(&fd, path, buf, sizeof buf), 5);
	assert_string_equal(buf, "two!\n");
	/* at most n-1 bytes, NUL-terminated */
	assert_int_equal(gw_pread_kept(&fd, path, buf, 3), 2);
	assert_string_equal(buf, "tw");
	close(fd);                                 /* stale: EBADF */
	assert_int_equal(gw_pread_kept(&fd, path, buf, sizeof buf), -1);
	assert_int_equal(fd, -1);
	assert_int_equal(gw_pread_kept(&fd, path, buf, sizeof buf), 5);
	assert_true(fd >= 0);
	close(fd);
	close(w);
	unlink(path);
	fd = -1;
	assert_int_equal(gw_pread_kept(&fd, path, buf, sizeof buf), -1);   /* gone */
	assert_int_equal(fd, -1);

	/* the probe itself, twice (its fds kept between the calls) */
	struct gw_snapshot s;
	struct memory_state *ms = memory_state_new();
	for (int i = 0; i < 2; i++) {
		snapshot_init(&s);
		assert_int_equal(memory_refresh(ms, &s), 0);
		assert_true(s.mem.ok && s.mem.total_kb > 0 && s.mem.available_kb <= s.mem.total_kb);
		snapshot_free(&s);
	}
	memory_state_free(ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refresh_real),
		cmocka_unit_test(test_parse_fixture),
		cmocka_unit_test(test_pread_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
