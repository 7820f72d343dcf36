/* test_logstream.c — the live merged stream on real files, real inotify and
 * a real journal written by systemd-journal-remote, driven by a real
 * sd-event loop: time order across sources (nginx local time, gunicorn
 * with a zone, the journal's UTC, access.log) under TZ=Europe/Berlin incl.
 * the DST fall-back hour; tail -F: append, rename rotation with the writer
 * still on the old file, copytruncate, delete + re-create, a file (and
 * directory) that does not exist yet; hostile lines; a 1 GiB (sparse) log
 * starting as fast as a tiny one; the ring cap; journal follow incl. a
 * kernel-transport OOM kill and a unit added later; the incident start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "logstream.h"
#include "journal_remote.h"
#include "sanitize.h"

static char tmp[256];
static sd_event *ev;

/* ---------------------------------------------------------------- helpers */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof tmp, "/tmp/gwtop-logstream.XXXXXX");
	if (!mkdtemp(tmp)) return -1;
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	alarm(60);
	return sd_event_new(&ev) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	alarm(0);
	ev = sd_event_unref(ev);
	return nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void path_in(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmp, name);
}

static void append(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(const char *path, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, (size_t)n), n);
	close(fd);
}

/* Lines of source src (markers excluded) whose text contains needle. */
static size_t count_lines(struct logstream *ls, int src, const char *needle)
{
	size_t n = 0;
	for (size_t i = 0; i < logstream_count(ls); i++) {
		const struct logstream_line *l = logstream_get(ls, i);
		if ((src < 0 || l->src == src) && !(l->flags & LOGSTREAM_F_MARK) &&
		    (!needle || strstr(l->text, needle)))
			n++;
	}
	return n;
}

/* Run the loop until count_lines(src, needle) >= want or 5 s pass. */
static size_t pump(struct logstream *ls, int src, const char *needle, size_t want)
{
	double end = gw_mono() + 5;
	size_t n;
	while ((n = count_lines(ls, src, needle)) < want && gw_mono() < end)
		sd_event_run(ev, 50000);
	return n;
}

/* Run the loop for a while (to see that nothing more arrives). */
static void settle(double secs)
{
	double end = gw_mono() + secs;
	while (gw_mono() < end) sd_event_run(ev, 20000);
}

/* Every "id=N" with N < n appears exactly once among src's lines. */
static void assert_each_once(struct logstream *ls, int src, int n)
{
	int *seen = calloc((size_t)n, sizeof *seen);
	for (size_t i = 0; i < logstream_count(ls); i++) {
		const struct logstream_line *l = logstream_get(ls, i);
		const char *p = strstr(l->text, "id=");
		if (l->src != src || (l->flags & LOGSTREAM_F_MARK) || !p) continue;
		int id = atoi(p + 3);
		assert_true(id >= 0 && id < n);
		seen[id]++;
	}
	for (int i = 0; i < n; i++) {
		if (seen[i] != 1) fprintf(stderr, "id=%d seen %d times\n", i, seen[i]);
		assert_int_equal(seen[i], 1);
	}
	free(seen);
}

static void assert_ordered(struct logstream *ls)
{
	for (size_t i = 1; i < logstream_count(ls); i++)
		assert_true(logstream_get(ls, i - 1)->time <= logstream_get(ls, i)->time);
}

/* nginx error.log time (local, no zone) for epoch t */
static void nginx_time(double t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	strftime(buf, size, "%Y/%m/%d %H:%M:%S", &tm);
}

static struct logstream *new_stream(size_t cap)
{
	struct logstream_config c = { .cap = cap, .no_journal = 1 };
	return logstream_new(ev, &c);
}

/* ---------------------------------------------------------------- ordering */

static void test_merge_order_berlin(void **state)
{
	(void)state;
	char err[512], app[512], acc[512], ts[32];
	path_in(err, sizeof err, "error.log");
	path_in(app, sizeof app, "app.log");
	path_in(acc, sizeof acc, "access.log");
	double base = (double)(time(NULL) - 120);
	/* the same instants written three ways: nginx local, gunicorn in UTC, access in +0100/+0200 */
	for (int i = 0; i < 6; i += 2) {
		nginx_time(base + i, ts, sizeof ts);
		append(err, "%s [error] 10#10: *%d connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, request: \"GET /e%d HTTP/1.1\", upstream: \"http://127.0.0.1:9/\" seq=%d\n",
		       ts, i, i, i);
	}
	for (int i = 1; i < 6; i += 2) {
		time_t tt = (time_t)(base + i);
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
		append(app, "[%s +0000] [42] [ERROR] Worker failed seq=%d\n", ts, i);
	}
	struct logstream *ls = new_stream(0);
	int se = logstream_add_file(ls, err, LOGSTREAM_NGINX_ERROR, NULL);
	int sa = logstream_add_file(ls, app, LOGSTREAM_APP_FILE, NULL);
	/* access.log appears later: read from its start, merged into the past */
	{
		time_t tt = (time_t)(base + 6);
		struct tm tm;
		localtime_r(&tt, &tm);
		char z[8];
		strftime(ts, sizeof ts, "%d/%b/%Y:%H:%M:%S", &tm);
		strftime(z, sizeof z, "%z", &tm);
		append(acc, "127.0.0.1 - - [%s %s] \"GET / HTTP/1.1\" 502 157 \"-\" \"curl\" seq=6\n", ts, z);
	}
	int sc = logstream_add_file(ls, acc, LOGSTREAM_NGINX_ACCESS, NULL);
	assert_true(se >= 0 && sa >= 0 && sc >= 0);
	assert_string_equal(logstream_source(ls, (size_t)se)->tag, "nginx-err");
	assert_string_equal(logstream_source(ls, (size_t)sc)->tag, "nginx-acc");
	assert_int_equal(count_lines(ls, -1, "seq="), 7);
	for (size_t i = 0; i < 7; i++) {
		const struct logstream_line *l = logstream_get(ls, i);
		char want[16];
		snprintf(want, sizeof want, "seq=%zu", i);
		assert_non_null(strstr(l->text, want));
		assert_true(l->time == base + (double)i);
		assert_true(l->flags & LOGSTREAM_F_TIMED);
	}
	const struct logstream_line *l0 = logstream_get(ls, 0), *l6 = logstream_get(ls, 6);
	assert_int_equal(l0->kind, GW_LOG_CONNECT_REFUSED);
	assert_int_equal(l0->level, GW_LV_ERROR);
	assert_int_equal(l6->status, 502);
	assert_true(l6->flags & LOGSTREAM_F_ACCESS);
	logstream_free(ls);
}

/* 2025-10-26 in Berlin: 02:00-02:59 happens twice (CEST, then CET). */
static void test_dst_fall_back(void **state)
{
	(void)state;
	char err[512];
	path_in(err, sizeof err, "error.log");
	/* 00:30 UTC = 02:30 CEST; 01:30 UTC = 02:30 CET */
	const double cest_0230 = 1761438600.0, cet_0230 = cest_0230 + 3600;
	append(err, "2025/10/26 01:50:00 [error] 1#1: *1 upstream timed out (110: Connection timed out) id=0\n");
	append(err, "2025/10/26 02:30:00 [error] 1#1: *2 upstream timed out (110: Connection timed out) id=1\n");
	append(err, "2025/10/26 02:59:59 [error] 1#1: *3 upstream timed out (110: Connection timed out) id=2\n");
	append(err, "2025/10/26 02:00:01 [error] 1#1: *4 upstream timed out (110: Connection timed out) id=3\n");
	append(err, "2025/10/26 02:30:00 [error] 1#1: *5 upstream timed out (110: Connection timed out) id=4\n");
	append(err, "2025/10/26 03:00:00 [error] 1#1: *6 upstream timed out (110: Connection timed out) id=5\n");
	struct logstream *ls = new_stream(0);
	int s = logstream_add_file(ls, err, LOGSTREAM_NGINX_ERROR, NULL);
	assert_int_equal(count_lines(ls, s, "id="), 6);
	assert_each_once(ls, s, 6);
	/* file order is time order: every line keeps its place */
	for (size_t i = 0; i < 6; i++) {
		char want[8];
		snprintf(want, sizeof want, "id=%zu", i);
		assert_non_null(strstr(logstream_get(ls, i)->text, want));
	}
	assert_ordered(ls);
	assert_true(logstream_get(ls, 1)->time == cest_0230);
	assert_true(logstream_get(ls, 4)->time == cet_0230);
	assert_true(logstream_get(ls, 5)->time == cet_0230 + 1800);
	logstream_free(ls);
}

/* ---------------------------------------------------------------- tail -F */

static void test_follow_append_and_partial(void **state)
{
	(void)state;
	char p[512];
	path_in(p, sizeof p, "app.log");
	append(p, "old line id=0\n");
	struct logstream *ls = new_stream(0);
	int s = logstream_add_file(ls, p, LOGSTREAM_APP_FILE, NULL);
	assert_int_equal(count_lines(ls, s, "id="), 1);
	uint64_t g = logstream_generation(ls);
	append(p, "new line id=1\nhalf a li");
	assert_int_equal(pump(ls, s, "id=", 2), 2);
	assert_true(logstream_generation(ls) != g);
	settle(0.2);
	assert_int_equal(count_lines(ls, s, "half"), 0);      /* no '\n' yet */
	append(p, "ne id=2\n");
	assert_int_equal(pump(ls, s, "half a line id=2", 1), 1);
	assert_each_once(ls, s, 3);
	logstream_free(ls);
}

/* logrotate without copytruncate: rename, create, the writer keeps writing
 * to the old file until it reopens (nginx -s reopen). */
static void test_rotate_rename(void **state)
{
	(void)state;
	char p[512], p1[512];
	path_in(p, sizeof p, "error.log");
	path_in(p1, sizeof p1, "error.log.1");
	int w = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);   /* the writer's fd */
	assert_true(w >= 0);
	struct logstream *ls = new_stream(0);
	int s = logstream_add_file(ls, p, LOGSTREAM_APP_FILE, NULL);
	int id = 0;
	char line[64];
	for (; id < 50; id++) {
		int n = snprintf(line, sizeof line, "line id=%d\n", id);
		assert_int_equal(write(w, line, (size_t)n), n);
	}
	assert_int_equal(pump(ls, s, "id=", 50), 50);
	assert_int_equal(rename(p, p1), 0);
	append(p, "first of new file id=%d\n", id++);          /* `create` + a new writer */
	for (; id < 80; id++) {                                   /* the old writer goes on */
		int n = snprintf(line, sizeof line, "late old line id=%d\n", id);
		assert_int_equal(write(w, line, (size_t)n), n);
	}
	close(w);                                                 /* reopen: now the new file */
	for (; id < 100; id++) append(p, "new line id=%d\n", id);
	assert_int_equal(pump(ls, s, "id=", 100), 100);
	settle(0.3);
	assert_each_once(ls, s, 100);
	assert_true(logstream_source(ls, (size_t)s)->ok);
	logstream_free(ls);
}

static void test_copytruncate(void **state)
{
	(void)state;
	char p[512];
	path_in(p, sizeof p, "app.log");
	struct logstream *ls = new_stream(0);
	for (int i = 0; i < 30; i++) append(p, "before truncate id=%d\n", i);
	int s = logstream_add_file(ls, p, LOGSTREAM_APP_FILE, NULL);
	assert_int_equal(count_lines(ls, s, "id="), 30);
	assert_int_equal(truncate(p, 0), 0);
	settle(0.1);
	for (int i = 30; i < 40; i++) append(p, "after truncate id=%d\n", i);
	assert_int_equal(pump(ls, s, "id=", 40), 40);
	settle(0.2);
	assert_each_once(ls, s, 40);
	/* the user is told */
	int marked = 0;
	for (size_t i = 0; i < logstream_count(ls); i++)
		if ((logstream_get(ls, i)->flags & LOGSTREAM_F_MARK) && strstr(logstream_get(ls, i)->text, "truncated"))
			marked = 1;
	assert_true(marked);
	logstream_free(ls);
}

static void test_delete_recreate(void **state)
{
	(void)state;
	char p[512];
	path_in(p, sizeof p, "app.log");
	append(p, "one id=0\n");
	struct logstream *ls = new_stream(0);
	int s = logstream_add_file(ls, p, LOGSTREAM_APP_FILE, NULL);
	assert_int_equal(unlink(p), 0);
	settle(0.1);
	assert_false(logstream_source(ls, (size_t)s)->ok);
	append(p, "two id=1\n");
	assert_int_equal(pump(ls, s, "id=", 2), 2);
	append(p, "three id=2\n");
	assert_int_equal(pump(ls, s, "id=", 3), 3);
	settle(0.2);
	assert_each_once(ls, s, 3);
	assert_true(logstream_source(ls, (size_t)s)->ok);
	logstream_free(ls);
}

static void test_not_there_yet(void **state)
{
	(void)state;
	char d[512], p[512];
	path_in(d, sizeof d, "later");
	path_in(p, sizeof p, "later/error.log");
	struct logstream *ls = new_stream(0);
	int s = logstream_add_file(ls, p, LOGSTREAM_NGINX_ERROR, NULL);
	assert_true(s >= 0);
	assert_false(logstream_source(ls, (size_t)s)->ok);
	assert_non_null(strstr(logstream_source(ls, (size_t)s)->error, "No such file"));
	assert_int_equal(mkdir(d, 0755), 0);                  /* the directory appears: backstop timer */
	append(p, "2026/01/01 00:00:00 [error] 1#1: *1 no live upstreams while connecting to upstream id=0\n");
	append(p, "2026/01/01 00:00:01 [error] 1#1: *2 no live upstreams while connecting to upstream id=1\n");
	assert_int_equal(pump(ls, s, "id=", 2), 2);          /* a new file is read from its start */
	assert_int_equal(logstream_get(ls, 0)->kind, GW_LOG_NO_LIVE);
	append(p, "2026/01/01 00:00:02 [error] 1#1: *3 no live upstreams while connecting to upstream id=2\n");
	assert_int_equal(pump(ls, s, "id=", 3), 3);
	assert_each_once(ls, s, 3);
	logstream_free(ls);
}

/* ---------------------------------------------------------------- hostile input, size */

static void test_hostile_lines(void **state)
{
	(void)state;
	char p[512];
	path_in(p, sizeof p, "app.log");
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	static const char esc[] = "esc \x1b[2J\x1b]0;pwned\x07 title\n";
	static const char bad[] = "bad utf8 \xff\xfe\xc3 \xed\xa0\x80 end\n";
	static const char nul[] = "nul \0 inside\n";
	assert_int_equal(write(fd, esc, sizeof esc - 1), (ssize_t)sizeof esc - 1);
	assert_int_equal(write(fd, bad, sizeof bad - 1), (ssize_t)sizeof bad - 1);
	assert_int_equal(write(fd, nul, sizeof nul - 1), (ssize_t)sizeof nul - 1);
	size_t big = (size_t)1 << 20;
	char *huge = malloc(big);
	memset(huge, 'A', big);
	assert_int_equal(write(fd, huge, big), (ssize_t)big);
	assert_int_equal(write(fd, "\nafter the big one\n", 19), 19);
	struct logstream *ls = new_stream(0);
	int s = logstream_add_file(ls, p, LOGSTREAM_APP_FILE, NULL);
	assert_int_equal(count_lines(ls, s, NULL), 1);        /* the first screen: the last 64 KiB */
	settle(0.2);                                          /* the deferred rest */
	assert_int_equal(count_lines(ls, s, NULL), 5);
	assert_ordered(ls);
	/* and the same live, in pieces */
	assert_int_equal(write(fd, huge, big / 2), (ssize_t)(big / 2));
	settle(0.1);
	assert_int_equal(write(fd, huge, big / 2), (ssize_t)(big / 2));
	assert_int_equal(write(fd, "\nlive after\n", 12), 12);
	close(fd);
	free(huge);
	assert_int_equal(pump(ls, s, "live after", 1), 1);
	assert_int_equal(count_lines(ls, s, NULL), 7);
	int cut = 0;
	for (size_t i = 0; i < logstream_count(ls); i++) {
		const struct logstream_line *l = logstream_get(ls, i);
		char out[LOGSTREAM_TEXT_MAX * 3 + 1];
		assert_true(l->len <= LOGSTREAM_TEXT_MAX);
		assert_int_equal(strlen(l->text), l->len);     /* NUL became 0x1A: still a C string */
		sanitize_text(out, sizeof out, l->text, l->len);
		for (const unsigned char *c = (const unsigned char *)out; *c; c++)
			assert_true(*c >= 0x20 && *c != 0x7f);
		if (l->flags & LOGSTREAM_F_CUT) {
			cut++;
			assert_int_equal(l->len, LOGSTREAM_TEXT_MAX);
		}
		if (strstr(l->text, "nul ")) assert_non_null(strstr(l->text, "inside"));
	}
	assert_int_equal(cut, 2);
	logstream_free(ls);
}

static void test_huge_file_starts_fast(void **state)
{
	(void)state;
	char big[512], tiny[512], ts[32];
	path_in(big, sizeof big, "big.log");
	path_in(tiny, sizeof tiny, "tiny.log");
	/* 1 GiB: a hole (no disk), then 8 MiB of real recent lines at the end */
	int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)1 << 30), 0);
	assert_true(lseek(fd, 0, SEEK_END) > 0);
	nginx_time((double)time(NULL) - 60, ts, sizeof ts);
	char line[256];
	int n = snprintf(line, sizeof line, "\n%s [error] 7#7: *1 connect() failed (111: Connection refused) while connecting to upstream\n", ts);
	assert_int_equal(write(fd, line, (size_t)n), n);
	n--;
	for (size_t w = 0; w < ((size_t)8 << 20); w += (size_t)n)
		assert_int_equal(write(fd, line + 1, (size_t)n), n);
	close(fd);
	append(tiny, "%s [error] 7#7: *1 connect() failed (111: Connection refused)\n", ts);

	struct logstream *ls = new_stream(0);
	double t0 = gw_mono();
	logstream_add_file(ls, tiny, LOGSTREAM_NGINX_ERROR, NULL);
	double t_tiny = gw_mono() - t0;
	t0 = gw_mono();
	int s = logstream_add_file(ls, big, LOGSTREAM_NGINX_ERROR, NULL);
	double t_big = gw_mono() - t0;
	size_t first = count_lines(ls, s, NULL);
	fprintf(stderr, "first screen: tiny %.1f ms, 1 GiB %.1f ms, %zu lines\n",
		t_tiny * 1e3, t_big * 1e3, first);
	assert_true(t_big < 0.5);                  /* generous for ASan on a loaded box; bench/logbench.sh measures */
	assert_true(first >= 100);                 /* a screenful at once */
	settle(0.3);                               /* the deferred rest of the start-up read */
	assert_true(count_lines(ls, s, NULL) > 10000);
	assert_ordered(ls);
	assert_true(logstream_count(ls) <= logstream_cap(ls));
	logstream_free(ls);
}

static void test_ring_cap(void **state)
{
	(void)state;
	char p[512];
	path_in(p, sizeof p, "app.log");
	struct logstream *ls = new_stream(100);
	int s = logstream_add_file(ls, p, LOGSTREAM_APP_FILE, NULL);
	for (int i = 0; i < 1000; i += 10) {
		char buf[1024] = "";
		for (int k = i; k < i + 10; k++)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "line id=%d\n", k);
		append(p, "%s", buf);
		sd_event_run(ev, 1000);
	}
	pump(ls, s, "id=999", 1);
	assert_int_equal(logstream_count(ls), 100);
	assert_non_null(strstr(logstream_get(ls, 0)->text, "id=900"));
	assert_non_null(strstr(logstream_get(ls, 99)->text, "id=999"));
	assert_true(logstream_memory(ls) < 256 * 1024);
	assert_int_equal(logstream_source(ls, (size_t)s)->lines, 1000);
	size_t i = logstream_find_seq(ls, logstream_get(ls, 50)->seq);
	assert_int_equal(i, 50);
	logstream_free(ls);
}

/* ---------------------------------------------------------------- journal */

/* Write export-format entries into dir/j.journal with systemd-journal-remote. */
static void journal_write(const char *dir, const char *export)
{
	char out[600], tmpf[600];
	snprintf(out, sizeof out, "%s/j.journal", dir);
	snprintf(tmpf, sizeof tmpf, "%s.export", dir);
	FILE *f = fopen(tmpf, "w");
	assert_non_null(f);
	fputs(export, f);
	fclose(f);
	jr_write(tmpf, out);
	unlink(tmpf);
}

static void entry(char *buf, size_t size, double t, const char *fields, const char *msg)
{
	char bid[64];
	jr_boot_id(bid, sizeof bid);
	snprintf(buf + strlen(buf), size - strlen(buf),
		 "__REALTIME_TIMESTAMP=%llu\n_BOOT_ID=%s\n%sMESSAGE=%s\n\n",
		 (unsigned long long)(t * 1e6), bid, fields, msg);
}

static void test_journal_follow(void **state)
{
	(void)state;
	if (access("/lib/systemd/systemd-journal-remote", X_OK) != 0) skip();
	char dir[512], exp[8192] = "", err[512], ts[32];
	path_in(dir, sizeof dir, "journal");
	assert_int_equal(mkdir(dir, 0755), 0);
	path_in(err, sizeof err, "error.log");
	double now = (double)time(NULL);
	entry(exp, sizeof exp, now - 50, "_SYSTEMD_UNIT=app.service\nPRIORITY=3\n",
	      "ModuleNotFoundError: No module named 'psycopg2' id=0");
	entry(exp, sizeof exp, now - 40, "_SYSTEMD_UNIT=other.service\nPRIORITY=3\n", "not followed");
	entry(exp, sizeof exp, now - 30, "_TRANSPORT=kernel\nPRIORITY=3\nSYSLOG_IDENTIFIER=kernel\n",
	      "Out of memory: Killed process 1234 (gunicorn) total-vm:812345kB, anon-rss:512000kB id=2");
	entry(exp, sizeof exp, now - 10.5, "_PID=1\nUNIT=app.service\nPRIORITY=4\n",
	      "app.service: Main process exited, code=exited, status=3/NOTIMPLEMENTED id=4");
	journal_write(dir, exp);
	/* nginx's error.log line between them, in local time */
	nginx_time(now - 20, ts, sizeof ts);
	append(err, "%s [error] 9#9: *7 connect() failed (111: Connection refused) while connecting to upstream id=3\n", ts);

	struct logstream_config c = { .journal_dir = dir };
	struct logstream *ls = logstream_new(ev, &c);
	int se = logstream_add_file(ls, err, LOGSTREAM_NGINX_ERROR, NULL);
	int sa = logstream_add_unit(ls, "app.service", LOGSTREAM_JOURNAL_APP);
	int sk = logstream_add_kernel(ls);
	assert_true(se >= 0 && sa >= 0 && sk >= 0);
	assert_string_equal(logstream_source(ls, (size_t)sa)->tag, "app.service");
	assert_true(logstream_source(ls, (size_t)sa)->ok);
	assert_int_equal(count_lines(ls, -1, NULL), 4);
	assert_int_equal(count_lines(ls, -1, "not followed"), 0);
	static const int order[] = { 0, 2, 3, 4 };
	for (size_t i = 0; i < 4; i++) {
		char want[8];
		snprintf(want, sizeof want, "id=%d", order[i]);
		assert_non_null(strstr(logstream_get(ls, i)->text, want));
	}
	assert_int_equal(logstream_get(ls, 0)->src, sa);
	assert_int_equal(logstream_get(ls, 0)->kind, GW_LOG_APP_MODULE_NOT_FOUND);
	assert_true(logstream_get(ls, 0)->time == now - 50);
	assert_int_equal(logstream_get(ls, 1)->src, sk);
	assert_int_equal(logstream_get(ls, 1)->kind, GW_LOG_OOM_KILL);
	assert_int_equal(logstream_get(ls, 2)->src, se);
	assert_int_equal(logstream_get(ls, 3)->src, sa);          /* systemd's note about the unit */
	assert_int_equal(logstream_get(ls, 3)->level, GW_LV_WARN);

	/* live: a second batch appended to the same journal file */
	exp[0] = '\0';
	entry(exp, sizeof exp, now - 5, "_SYSTEMD_UNIT=app.service\nPRIORITY=6\n",
	      "[2026-01-01 00:00:00 +0000] [99] [ERROR] Worker failed to boot. id=5");
	entry(exp, sizeof exp, now - 4, "_SYSTEMD_UNIT=later.service\nPRIORITY=6\n", "later unit id=6");
	journal_write(dir, exp);
	assert_int_equal(pump(ls, sa, "id=5", 1), 1);
	assert_int_equal(logstream_get(ls, logstream_count(ls) - 1)->kind, GW_LOG_APP_WORKER_BOOT);
	assert_int_equal(count_lines(ls, -1, "id=6"), 0);

	/* a unit discovered later: its recent history comes in, nothing is doubled */
	int sl = logstream_add_unit(ls, "later.service", LOGSTREAM_JOURNAL_APP);
	assert_int_equal(count_lines(ls, sl, "id=6"), 1);
	settle(0.2);
	for (int i = 0; i <= 6; i++) {
		char want[8];
		snprintf(want, sizeof want, "id=%d", i);
		if (i == 1) continue;
		assert_int_equal(count_lines(ls, -1, want), 1);
	}
	assert_ordered(ls);

	/* live entries stamped at the newest line's time, and before it (a
	 * clock stepped back): each arrives once */
	exp[0] = '\0';
	entry(exp, sizeof exp, now - 4, "_SYSTEMD_UNIT=app.service\nPRIORITY=6\n", "same stamp id=7");
	entry(exp, sizeof exp, now - 9, "_SYSTEMD_UNIT=app.service\nPRIORITY=6\n", "clock stepped back id=8");
	journal_write(dir, exp);
	assert_int_equal(pump(ls, sa, "id=8", 1), 1);
	assert_int_equal(count_lines(ls, -1, "id=7"), 1);
	assert_int_equal(count_lines(ls, -1, "id=8"), 1);
	logstream_free(ls);
}

/* A journal that cannot be opened: the sources say why, files still work. */
static void test_journal_unavailable(void **state)
{
	(void)state;
	char dir[512], err[512];
	path_in(dir, sizeof dir, "no-such-journal-dir");
	path_in(err, sizeof err, "error.log");
	append(err, "2026/01/01 00:00:00 [error] 1#1: *1 no live upstreams while connecting to upstream\n");
	struct logstream_config c = { .journal_dir = dir };
	struct logstream *ls = logstream_new(ev, &c);
	int su = logstream_add_unit(ls, "app.service", LOGSTREAM_JOURNAL_APP);
	int se = logstream_add_file(ls, err, LOGSTREAM_NGINX_ERROR, NULL);
	assert_true(su >= 0 && se >= 0);
	const struct logstream_source *u = logstream_source(ls, (size_t)su);
	assert_false(u->ok);
	assert_non_null(strstr(u->error, "journal: No such file"));
	assert_int_equal(count_lines(ls, se, "no live upstreams"), 1);
	assert_int_equal(logstream_add_unit(ls, "app.service", LOGSTREAM_JOURNAL_APP), su);   /* idempotent */
	assert_int_equal(logstream_add_unit(ls, "", LOGSTREAM_JOURNAL_APP), -1);
	logstream_free(ls);
}

/* ---------------------------------------------------------------- incident */

static void test_incident_start(void **state)
{
	(void)state;
	char acc[512], err[512], ts[32];
	path_in(acc, sizeof acc, "access.log");
	path_in(err, sizeof err, "error.log");
	time_t now = time(NULL);
	for (int i = 0; i < 40; i++) {
		time_t t = now - 600 + i * 15;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(ts, sizeof ts, "%d/%b/%Y:%H:%M:%S", &tm);
		int st = i < 20 ? 200 : (i % 2 ? 504 : 502);
		append(acc, "127.0.0.1 - - [%s +0000] \"GET / HTTP/1.1\" %d 1 \"-\" \"-\"\n", ts, st);
	}
	struct logstream *ls = new_stream(0);
	logstream_add_file(ls, acc, LOGSTREAM_NGINX_ACCESS, NULL);
	double start = 0;
	assert_int_equal(logstream_incident(ls, (double)now, 300, &start), 1);
	assert_true(start == (double)(now - 600 + 20 * 15));
	struct accesslog_minute sum;
	accesslog_stats_sum(logstream_access(ls), (double)now, 15, &sum);
	assert_int_equal(sum.n502, 10);
	assert_int_equal(sum.n504, 10);
	size_t i = logstream_find_time(ls, start);
	assert_int_equal(logstream_get(ls, i)->status, 502);
	logstream_free(ls);

	/* without an access log: the first error of the newest run of errors */
	ls = new_stream(0);
	nginx_time((double)now - 900, ts, sizeof ts);
	append(err, "%s [error] 1#1: *1 upstream timed out (110: Connection timed out) old\n", ts);
	nginx_time((double)now - 100, ts, sizeof ts);
	append(err, "%s [error] 1#1: *2 upstream timed out (110: Connection timed out) first\n", ts);
	nginx_time((double)now - 50, ts, sizeof ts);
	append(err, "%s [notice] 1#1: signal process started\n", ts);
	nginx_time((double)now - 20, ts, sizeof ts);
	append(err, "%s [error] 1#1: *3 upstream timed out (110: Connection timed out) last\n", ts);
	logstream_add_file(ls, err, LOGSTREAM_NGINX_ERROR, NULL);
	assert_int_equal(logstream_incident(ls, (double)now, 300, &start), 1);
	assert_true(start == (double)now - 100);
	assert_int_equal(logstream_incident(ls, (double)now + 1000, 300, &start), 0);
	logstream_free(ls);
}

static void test_sync_from_snapshot(void **state)
{
	(void)state;
	char err[512], acc[512];
	path_in(err, sizeof err, "error.log");
	path_in(acc, sizeof acc, "access.log");
	append(err, "2026/01/01 00:00:00 [error] 1#1: *1 no live upstreams while connecting to upstream\n");
	struct gw_snapshot s;
	snapshot_init(&s);
	struct gw_conf_log *l = gw_vec_push(&s.conf.logs);
	GW_COPY(l->path, err);
	l = gw_vec_push(&s.conf.logs);
	l->is_access = 1;
	GW_COPY(l->path, acc);
	l = gw_vec_push(&s.conf.logs);
	GW_COPY(l->path, "syslog:server=unix:/dev/log");
	l = gw_vec_push(&s.conf.logs);
	l->is_access = 1;
	GW_COPY(l->path, "off");
	struct gw_proc *p = gw_vec_push(&s.procs);
	p->role = GW_ROLE_GUNICORN_MASTER;
	GW_COPY(p->unit, "gunicorn.service");
	p = gw_vec_push(&s.procs);
	p->role = GW_ROLE_NGINX_MASTER;
	GW_COPY(p->unit, "session-3.scope");                  /* started by hand: no unit journal */
	struct logstream *ls = new_stream(0);                  /* no_journal: units are listed, not read */
	logstream_sync(ls, &s, NULL);
	logstream_sync(ls, &s, NULL);                          /* idempotent */
	assert_int_equal(logstream_nsources(ls), 3);
	assert_int_equal(logstream_source(ls, 0)->type, LOGSTREAM_NGINX_ERROR);
	assert_int_equal(logstream_source(ls, 1)->type, LOGSTREAM_NGINX_ACCESS);
	assert_false(logstream_source(ls, 1)->ok);              /* not there yet */
	assert_int_equal(logstream_source(ls, 2)->type, LOGSTREAM_JOURNAL_APP);
	assert_string_equal(logstream_source(ls, 2)->tag, "gunicorn.service");
	assert_int_equal(count_lines(ls, 0, NULL), 1);
	logstream_free(ls);
	snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_merge_order_berlin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dst_fall_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_append_and_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copytruncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_recreate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_there_yet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_file_starts_fast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_follow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incident_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_from_snapshot, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
