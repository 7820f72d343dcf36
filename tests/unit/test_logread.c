/* test_logread.c — bounded reading of real files from their end (small,
 * 64 MiB sparse, 64 MiB of content, missing, directory, FIFO, unreadable as
 * nobody), traceback grouping, follow across append / truncate / rotation,
 * and kernlog on a real journal file written by systemd-journal-remote. */
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

#include "kernlog.h"
#include "logread.h"

static char fixture_dir[512];
static char tmp[256];

/* ---------------------------------------------------------------- helpers */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof tmp, "/tmp/gwtop-logread.XXXXXX");
	if (!mkdtemp(tmp)) return -1;
	chmod(tmp, 0755);
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	alarm(0);
	return nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void path_in(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmp, name);
}

static char *fixture(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", fixture_dir, name);
	char *b = gw_read_file(path, 1 << 20, len);
	if (!b) fail_msg("cannot read fixture %s", path);
	return b;
}

static void write_file(const char *path, const char *data, size_t len, int append)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Bytes this process has read so far (read/pread syscalls). */
static unsigned long long rchar(void)
{
	char *b = gw_read_file("/proc/self/io", 4096, NULL);
	assert_non_null(b);
	char *r = strstr(b, "rchar: ");
	unsigned long long v = r ? strtoull(r + 7, NULL, 10) : 0;
	free(b);
	return v;
}

static double utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };
	return (double)timegm(&tm);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char m[] = "test_logread: blocked (no progress within the alarm)\n";
	if (write(2, m, sizeof m - 1) < 0) { /* nothing to do */ }
	_exit(99);
}

/* ---------------------------------------------------------------- files */

static const char l_refused[] = "2026/11/25 14:51:33 [error] 5981#5981: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: _, request: \"GET /refused?x=1 HTTP/1.1\", upstream: \"http://127.0.0.1:1/refused?x=1\", host: \"127.0.0.1:25958\"\n";
static const char l_noent[] = "2026/11/25 14:51:33 [crit] 5981#5981: *3 connect() to unix:/tmp/gwtop-gen.lAeGpv/missing.sock failed (2: No such file or directory) while connecting to upstream, client: 127.0.0.1, server: _, request: \"GET /noent?x=1 HTTP/1.1\", upstream: \"http://unix:/tmp/gwtop-gen.lAeGpv/missing.sock:/noent?x=1\", host: \"127.0.0.1:25958\"\n";
static const char l_notice[] = "2026/11/25 14:51:33 [notice] 5979#5979: start worker process 5981\n";

static void test_small_file(void **state)
{
	(void)state;
	char path[512], big[1100] = "";
	path_in(path, sizeof path, "error.log");
	strcat(big, l_notice);
	strcat(big, l_refused);
	strcat(big, l_noent);
	while (strlen(big) + sizeof l_notice < 1024) strcat(big, l_notice);
	write_file(path, big, strlen(big), 0);

	struct gw_snapshot s;
	struct stat st;
	snapshot_init(&s);
	assert_int_equal(logread_tail(&s, path, "nginx-error", LOGREAD_NGINX_ERROR, 0, 0), 2);
	assert_int_equal(s.events.n, 2);
	assert_int_equal(s.events.v[0].kind, GW_LOG_CONNECT_REFUSED);
	assert_int_equal(s.events.v[1].kind, GW_LOG_SOCKET_NOENT);
	assert_string_equal(s.events.v[1].upstream, "http://unix:/tmp/gwtop-gen.lAeGpv/missing.sock:/noent?x=1");
	char src[600];
	snprintf(src, sizeof src, "nginx-error:%s", path);
	assert_string_equal(s.events.v[0].source, src);

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(s.log_sources.n, 1);
	struct gw_log_source *ls = &s.log_sources.v[0];
	assert_int_equal(ls->readable, 1);
	assert_string_equal(ls->error, "");
	assert_string_equal(ls->tag, "nginx-error");
	assert_int_equal(ls->size, st.st_size);
	assert_int_equal(ls->offset, st.st_size);
	assert_int_equal(ls->inode, st.st_ino);
	assert_int_equal(ls->lines_read, 2 + (strlen(big) - strlen(l_refused) - strlen(l_noent)) / strlen(l_notice));

	/* since: everything is older -> nothing, source still recorded */
	assert_int_equal(logread_tail(&s, path, "nginx-error", LOGREAD_NGINX_ERROR, 0, utc(2026, 11, 25, 15, 0, 0)), 0);
	assert_int_equal(s.events.n, 2);
	assert_int_equal(s.log_sources.n, 2);
	snapshot_free(&s);
}

/* Old history is skipped by a binary search on the line times: 20,000 old
 * lines then 2 new ones -> only the new are read (lines_read counts them). */
static void test_skip_old_history(void **state)
{
	(void)state;
	char path[512];
	path_in(path, sizeof path, "history.log");
	const char *old = "2026/11/25 13:00:00 [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: _, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:8000/\", host: \"x\"\n";
	size_t ol = strlen(old), n = 20000;
	char *buf = malloc(ol * n + sizeof l_refused + sizeof l_noent);
	assert_non_null(buf);
	for (size_t i = 0; i < n; i++) memcpy(buf + i * ol, old, ol);
	size_t len = ol * n;
	memcpy(buf + len, l_refused, strlen(l_refused)); len += strlen(l_refused);   /* 14:51:3x */
	memcpy(buf + len, l_noent, strlen(l_noent)); len += strlen(l_noent);
	write_file(path, buf, len, 0);
	free(buf);

	struct gw_snapshot s;
	snapshot_init(&s);
	assert_int_equal(logread_tail(&s, path, "nginx-error", LOGREAD_NGINX_ERROR, 0, utc(2026, 11, 25, 14, 0, 0)), 2);
	assert_int_equal(s.events.n, 2);
	assert_int_equal(s.events.v[0].kind, GW_LOG_CONNECT_REFUSED);
	assert_true(s.log_sources.v[0].lines_read <= 4);    /* the old lines were never classified */
	/* and without a window everything is read */
	assert_int_equal(logread_tail(&s, path, "nginx-error", LOGREAD_NGINX_ERROR, 0, 0) > 2, 1);
	snapshot_free(&s);
}

/* 64 MiB sparse file, the real log at its end: only the end is read. */
static void test_big_sparse(void **state)
{
	(void)state;
	char path[512];
	size_t flen;
	char *fx = fixture("nginx-error.log", &flen);
	path_in(path, sizeof path, "sparse.log");
	off_t size = (off_t)64 << 20;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size - (off_t)flen), 0);
	assert_int_equal(pwrite(fd, fx, flen, size - (off_t)flen), (ssize_t)flen);
	close(fd);

	struct gw_snapshot s;
	snapshot_init(&s);
	unsigned long long before = rchar();
	int n = logread_tail(&s, path, "nginx-error", LOGREAD_NGINX_ERROR, 0, 0);
	unsigned long long read_bytes = rchar() - before;
	assert_true(read_bytes <= LOGREAD_DEFAULT_MAX + 16384);
	assert_true(read_bytes >= flen);
	/* the zero run plus the first fixture line form the skipped partial line */
	assert_int_equal(n, 24);
	assert_int_equal(s.log_sources.v[0].lines_read, 42);
	assert_int_equal(s.log_sources.v[0].offset, size);
	assert_int_equal(s.log_sources.v[0].size, size);
	struct gw_log_event *last = &s.events.v[s.events.n - 1];
	assert_int_equal(last->kind, GW_LOG_RESOLVE);
	assert_non_null(strstr(last->line, "host not found in upstream \"backend.invalid\""));
	assert_int_equal(s.events.v[s.events.n - 2].kind, GW_LOG_NGINX_EMERG);
	snapshot_free(&s);
	free(fx);
	unlink(path);
}

/* 64 MiB of real lines: same cost, the newest events, capped. */
static void test_big_content(void **state)
{
	(void)state;
	char path[512];
	size_t flen;
	char *fx = fixture("nginx-error.log", &flen);
	path_in(path, sizeof path, "content.log");
	size_t chunk_len = 0, reps = (1 << 20) / flen;
	char *chunk = gw_xmalloc(reps * flen);
	for (size_t i = 0; i < reps; i++, chunk_len += flen) memcpy(chunk + chunk_len, fx, flen);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	off_t total = 0;
	while (total < ((off_t)64 << 20)) {
		assert_int_equal(write(fd, chunk, chunk_len), (ssize_t)chunk_len);
		total += (off_t)chunk_len;
	}
	static const char last_line[] = "2026/11/25 15:00:00 [error] 77#77: *9 upstream prematurely closed connection while reading response header from upstream, client: 127.0.0.1, server: _, request: \"GET /the-last-one HTTP/1.1\", upstream: \"http://127.0.0.1:8000/the-last-one\", host: \"x\"\n";
	assert_int_equal(write(fd, last_line, sizeof last_line - 1), (ssize_t)sizeof last_line - 1);
	close(fd);

	struct gw_snapshot s;
	snapshot_init(&s);
	double t0 = gw_mono();
	unsigned long long before = rchar();
	int n = logread_tail(&s, path, "nginx-error", LOGREAD_NGINX_ERROR, 0, 0);
	unsigned long long read_bytes = rchar() - before;
	double took = gw_mono() - t0;
	assert_true(read_bytes <= LOGREAD_DEFAULT_MAX + 16384);
	assert_int_equal(n, 2000);                     /* capped to the newest */
	assert_int_equal(s.events.n, 2000);
	assert_true(s.log_sources.v[0].lines_read < LOGREAD_DEFAULT_MAX / 100);
	assert_int_equal(s.log_sources.v[0].offset, total + (off_t)sizeof last_line - 1);
	struct gw_log_event *last = &s.events.v[s.events.n - 1];
	assert_int_equal(last->kind, GW_LOG_PREMATURE_CLOSE);
	assert_string_equal(last->request, "GET /the-last-one HTTP/1.1");
	for (size_t i = 0; i < s.events.n; i++)         /* no torn first line */
		assert_memory_equal(s.events.v[i].line, "2026/11/25 ", 11);
	print_message("64 MiB file: read %llu bytes in %.3f s\n", read_bytes, took);
	snapshot_free(&s);
	free(chunk);
	free(fx);
	unlink(path);
}

/* A tiny window starting mid-line: the torn line is skipped. */
static void test_window_mid_line(void **state)
{
	(void)state;
	char path[512];
	size_t flen;
	char *fx = fixture("nginx-error.log", &flen);
	path_in(path, sizeof path, "mid.log");
	write_file(path, fx, flen, 0);
	struct gw_snapshot s;
	snapshot_init(&s);
	logread_tail(&s, path, "nginx-error", LOGREAD_NGINX_ERROR, 1000, 0);
	/* count the complete lines in the last 1000 bytes, less the torn one */
	size_t complete = 0;
	for (const char *p = fx + flen - 1000; p < fx + flen; p++)
		if (*p == '\n') complete++;
	if (fx[flen - 1001] != '\n') complete--;
	assert_int_equal(s.log_sources.v[0].lines_read, complete);
	assert_int_equal(s.log_sources.v[0].offset, (off_t)flen);
	assert_true(s.events.n >= 1);
	for (size_t i = 0; i < s.events.n; i++)
		assert_memory_equal(s.events.v[i].line, "2026/11/25 ", 11);
	snapshot_free(&s);
	free(fx);
}

static void test_missing_dir_fifo(void **state)
{
	(void)state;
	char path[512];
	struct gw_snapshot s;
	snapshot_init(&s);

	path_in(path, sizeof path, "nope.log");
	assert_int_equal(logread_tail(&s, path, "nginx-error", LOGREAD_NGINX_ERROR, 0, 0), -1);
	assert_int_equal(s.log_sources.v[0].readable, 0);
	assert_string_equal(s.log_sources.v[0].error, "No such file or directory");
	assert_true(s.notes.n >= 1);
	assert_non_null(strstr(s.notes.v[s.notes.n - 1].text, path));

	assert_int_equal(logread_tail(&s, tmp, "nginx-error", LOGREAD_NGINX_ERROR, 0, 0), -1);
	assert_int_equal(s.log_sources.v[1].readable, 0);
	assert_string_equal(s.log_sources.v[1].error, "is a directory");

	path_in(path, sizeof path, "fifo");
	assert_int_equal(mkfifo(path, 0644), 0);
	signal(SIGALRM, on_alarm);
	alarm(10);                                     /* a blocking open would hang here */
	assert_int_equal(logread_tail(&s, path, "app", LOGREAD_APP, 0, 0), -1);
	alarm(0);
	assert_int_equal(s.log_sources.v[2].readable, 0);
	assert_non_null(strstr(s.log_sources.v[2].error, "FIFO"));
	assert_int_equal(s.events.n, 0);
	snapshot_free(&s);
	unlink(path);
}

/* A root-only log read as nobody: the error says why. */
static void test_permission_denied(void **state)
{
	(void)state;
	if (geteuid() != 0) skip();
	char path[512];
	path_in(path, sizeof path, "secret.log");
	write_file(path, l_refused, sizeof l_refused - 1, 0);
	assert_int_equal(chmod(path, 0600), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534)) _exit(2);
		struct gw_snapshot s;
		snapshot_init(&s);
		int r = logread_tail(&s, path, "nginx-error", LOGREAD_NGINX_ERROR, 0, 0);
		int ok = r == -1 && s.log_sources.n == 1 && !s.log_sources.v[0].readable &&
			 !strcmp(s.log_sources.v[0].error, "Permission denied (needs root?)") && s.events.n == 0;
		_exit(ok ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Binary junk, escape sequences, a 100 KiB line, NULs between real lines. */
static void test_junk_file(void **state)
{
	(void)state;
	char path[512];
	path_in(path, sizeof path, "junk.log");
	size_t cap = 300 << 10, len = 0;
	char *b = gw_xmalloc(cap);
#define ADD(p, n) do { memcpy(b + len, (p), (n)); len += (n); } while (0)
	ADD(l_refused, sizeof l_refused - 1);
	for (int i = 0; i < 4096; i++) b[len++] = (char)(i * 37 + 11);   /* binary, some '\n' */
	b[len++] = '\n';
	static const char esc[] = "\x1b[2J\x1b]0;pwned\x07\n";
	ADD(esc, sizeof esc - 1);
	static const char pfx[] = "2026/11/25 14:51:40 [error] 1#1: *1 no live upstreams while connecting to upstream, client: 1.1.1.1, server: _, request: \"GET /";
	ADD(pfx, sizeof pfx - 1);
	memset(b + len, 'a', 100 << 10); len += 100 << 10;           /* a 100 KiB line */
	b[len++] = '\n';
	ADD("\0\0\0\0\n", 5);
	ADD(l_noent, sizeof l_noent - 1);
	static const char tail[] = "2026/11/25 14:51:41 [error] 1#1: truncated without newline (104: x) from upstream";
	ADD(tail, sizeof tail - 1);
#undef ADD
	write_file(path, b, len, 0);
	struct gw_snapshot s;
	snapshot_init(&s);
	int n = logread_tail(&s, path, "nginx-error", LOGREAD_NGINX_ERROR, 0, 0);
	assert_int_equal(n, 4);
	assert_int_equal(s.events.v[0].kind, GW_LOG_CONNECT_REFUSED);
	assert_int_equal(s.events.v[1].kind, GW_LOG_NO_LIVE);        /* cut at 64 KiB, still read */
	assert_int_equal(strlen(s.events.v[1].line), sizeof s.events.v[1].line - 1);
	assert_int_equal(s.events.v[2].kind, GW_LOG_SOCKET_NOENT);
	assert_int_equal(s.events.v[3].kind, GW_LOG_RESET);          /* last line without '\n' */
	assert_int_equal(s.log_sources.v[0].offset, (off_t)len);
	/* the same junk through the app and kernel classifiers */
	assert_int_equal(logread_tail(&s, path, "app", LOGREAD_APP, 0, 0), 0);
	assert_int_equal(logread_tail(&s, path, "kernel", LOGREAD_KERNEL, 0, 0), 0);
	snapshot_free(&s);
	free(b);
}

/* ---------------------------------------------------------------- app logs */

static void test_app_gunicorn(void **state)
{
	(void)state;
	char path[1024];
	snprintf(path, sizeof path, "%s/gunicorn.log", fixture_dir);
	struct gw_snapshot s;
	snapshot_init(&s);
	static const enum gw_log_kind want[] = {
		GW_LOG_APP_MODULE_NOT_FOUND, GW_LOG_APP_WORKER_BOOT, GW_LOG_APP_CONFIG, GW_LOG_APP_WORKER_BOOT,
		GW_LOG_APP_DB, GW_LOG_APP_WORKER_BOOT, GW_LOG_APP_WORKER_BOOT, GW_LOG_APP_WORKER_TIMEOUT,
		GW_LOG_APP_WORKER_KILLED, GW_LOG_OTHER,
	};
	size_t nwant = sizeof want / sizeof *want;
	assert_int_equal(logread_tail(&s, path, "app", LOGREAD_APP, 0, 0), (int)nwant);
	for (size_t i = 0; i < nwant; i++)
		if (s.events.v[i].kind != want[i])
			fail_msg("event %zu: %s, want %s", i, gw_log_kind_name(s.events.v[i].kind), gw_log_kind_name(want[i]));
	/* the final exception line is the event; its time is the traceback's */
	assert_string_equal(s.events.v[0].detail, "No module named 'flask_sqlalchemy'");
	assert_true(s.events.v[0].time == utc(2026, 11, 25, 14, 52, 18));
	assert_string_equal(s.events.v[2].detail, "'SECRET_KEY'");
	assert_true(s.events.v[4].time == utc(2026, 11, 25, 14, 52, 19));
	assert_int_equal(s.events.v[7].pid, 6267);
	assert_int_equal(s.events.v[8].pid, 6270);
	/* the last line seen */
	assert_non_null(strstr(s.events.v[9].line, "Shutting down: Master"));
	assert_true(s.events.v[9].time == utc(2026, 11, 25, 14, 52, 25));
	snapshot_free(&s);

	/* since cuts the older events */
	snapshot_init(&s);
	assert_int_equal(logread_tail(&s, path, "app", LOGREAD_APP, 0, utc(2026, 11, 25, 14, 52, 23)), 3);
	assert_int_equal(s.events.v[0].kind, GW_LOG_APP_WORKER_TIMEOUT);
	assert_int_equal(s.events.v[1].kind, GW_LOG_APP_WORKER_KILLED);
	assert_int_equal(s.events.v[2].kind, GW_LOG_OTHER);
	snapshot_free(&s);
}

static void test_app_uvicorn(void **state)
{
	(void)state;
	char path[1024];
	snprintf(path, sizeof path, "%s/uvicorn.log", fixture_dir);
	struct gw_snapshot s;
	snapshot_init(&s);
	/* no timestamps: kept whatever since says */
	assert_int_equal(logread_tail(&s, path, "app", LOGREAD_APP, 0, gw_now()), 4);
	assert_int_equal(s.events.v[0].kind, GW_LOG_APP_WORKER_BOOT);
	assert_int_equal(s.events.v[1].kind, GW_LOG_APP_MODULE_NOT_FOUND);
	assert_int_equal(s.events.v[2].kind, GW_LOG_APP_CONFIG);
	assert_int_equal(s.events.v[3].kind, GW_LOG_APP_WORKER_BOOT);
	for (size_t i = 0; i < 4; i++) assert_true(s.events.v[i].time == 0);
	snapshot_free(&s);
}

static void test_traceback_unfinished(void **state)
{
	(void)state;
	static const char text[] =
		"[2026-11-24 12:01:02 +0000] [7] [ERROR] Exception in worker process\n"
		"Traceback (most recent call last):\n"
		"  File \"/srv/app/wsgi.py\", line 3, in <module>\n"
		"some unrelated line\n"
		"Traceback (most recent call last):\n"
		"  File \"/srv/app/wsgi.py\", line 9, in <module>\n";
	struct gw_snapshot s;
	snapshot_init(&s);
	assert_int_equal(logread_buffer(&s, "journal:app.service", LOGREAD_APP, text, sizeof text - 1, 0), 3);
	assert_int_equal(s.events.v[0].kind, GW_LOG_OTHER);           /* last timed line, in place */
	assert_int_equal(s.events.v[1].kind, GW_LOG_APP_TRACEBACK);
	assert_int_equal(s.events.v[2].kind, GW_LOG_APP_TRACEBACK);
	assert_true(s.events.v[1].time == utc(2026, 11, 24, 12, 1, 2));
	assert_string_equal(s.events.v[1].source, "journal:app.service");
	snapshot_free(&s);
}

/* ---------------------------------------------------------------- follow */

static void test_follow(void **state)
{
	(void)state;
	char path[512], moved[512];
	path_in(path, sizeof path, "follow.log");
	path_in(moved, sizeof moved, "follow.log.1");
	write_file(path, l_refused, sizeof l_refused - 1, 0);
	write_file(path, l_notice, sizeof l_notice - 1, 1);
	struct gw_snapshot s;
	struct gw_log_source prev;
	snapshot_init(&s);
	assert_int_equal(logread_follow(&s, path, "nginx-error", LOGREAD_NGINX_ERROR, 0, 0, NULL), 1);
	prev = s.log_sources.v[0];

	write_file(path, l_noent, sizeof l_noent - 1, 1);               /* appended */
	assert_int_equal(logread_follow(&s, path, "nginx-error", LOGREAD_NGINX_ERROR, 0, 0, &prev), 1);
	assert_int_equal(s.events.v[1].kind, GW_LOG_SOCKET_NOENT);
	assert_int_equal(s.log_sources.v[1].lines_read, 1);
	prev = s.log_sources.v[1];

	assert_int_equal(logread_follow(&s, path, "nginx-error", LOGREAD_NGINX_ERROR, 0, 0, &prev), 0);
	assert_int_equal(s.log_sources.v[2].lines_read, 0);           /* nothing new */
	prev = s.log_sources.v[2];

	write_file(path, l_refused, sizeof l_refused - 1, 0);           /* truncated + rewritten */
	assert_int_equal(logread_follow(&s, path, "nginx-error", LOGREAD_NGINX_ERROR, 0, 0, &prev), 1);
	assert_int_equal(s.events.v[2].kind, GW_LOG_CONNECT_REFUSED);
	prev = s.log_sources.v[3];

	assert_int_equal(rename(path, moved), 0);                      /* rotated */
	write_file(path, l_noent, sizeof l_noent - 1, 0);
	write_file(path, l_notice, sizeof l_notice - 1, 1);
	write_file(path, l_notice, sizeof l_notice - 1, 1);
	assert_int_equal(logread_follow(&s, path, "nginx-error", LOGREAD_NGINX_ERROR, 0, 0, &prev), 1);
	assert_int_equal(s.events.v[3].kind, GW_LOG_SOCKET_NOENT);
	assert_int_equal(s.log_sources.v[4].lines_read, 3);
	assert_true(s.log_sources.v[4].inode != prev.inode);
	snapshot_free(&s);
}

/* ---------------------------------------------------------------- kernel */

static void test_kernel_text(void **state)
{
	(void)state;
	char path[1024];
	snprintf(path, sizeof path, "%s/kernel-dmesg.txt", fixture_dir);
	struct gw_snapshot s;
	snapshot_init(&s);
	assert_int_equal(logread_tail(&s, path, "kernel", LOGREAD_KERNEL, 0, 0), 3);
	assert_int_equal(s.events.v[0].pid, 3100);
	assert_string_equal(s.events.v[0].detail, "gunicorn");
	assert_int_equal(s.events.v[1].pid, 3377);
	assert_int_equal(s.events.v[2].pid, 3390);
	assert_string_equal(s.events.v[2].detail, "python3");
	snapshot_free(&s);
}

/* Build a real journal file from the export fixture with systemd-journal-remote. */
static int make_journal(const char *out)
{
	static const char jr[] = "/lib/systemd/systemd-journal-remote";
	char exp[1024], arg[600];
	if (access(jr, X_OK) != 0) return -1;
	snprintf(exp, sizeof exp, "%s/kernel-oom.export", fixture_dir);
	snprintf(arg, sizeof arg, "--output=%s", out);
	pid_t pid = fork();
	if (pid < 0) return -1;
	if (pid == 0) {
		int in = open(exp, O_RDONLY | O_CLOEXEC);
		int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (in < 0 || nul < 0 || dup2(in, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0) _exit(127);
		execl(jr, jr, arg, "-", (char *)NULL);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return -1;
	return 0;
}

static void test_kernlog_journal_file(void **state)
{
	(void)state;
	char path[512];
	path_in(path, sizeof path, "kernel.journal");
	if (make_journal(path) != 0) {
		print_message("systemd-journal-remote missing or failed: skipped\n");
		skip();
	}
	struct gw_snapshot s;
	snapshot_init(&s);
	assert_int_equal(kernlog_read_journal_file(&s, path, 0), 2);
	assert_int_equal(s.mem.kernel_log_readable, 1);
	assert_int_equal(s.events.v[0].kind, GW_LOG_OOM_KILL);
	assert_int_equal(s.events.v[0].pid, 4242);
	assert_string_equal(s.events.v[0].detail, "gunicorn");
	assert_string_equal(s.events.v[0].source, "kernel");
	assert_true(s.events.v[0].time == utc(2026, 11, 24, 12, 1, 0));
	assert_int_equal(s.events.v[1].pid, 5151);                    /* memory cgroup form */
	assert_string_equal(s.events.v[1].detail, "python3");
	assert_true(s.events.v[1].time == utc(2026, 11, 24, 12, 2, 2));
	snapshot_free(&s);

	snapshot_init(&s);
	assert_int_equal(kernlog_read_journal_file(&s, path, utc(2026, 11, 24, 12, 1, 30)), 1);
	assert_int_equal(s.events.v[0].pid, 5151);
	snapshot_free(&s);

	snapshot_init(&s);
	path_in(path, sizeof path, "none.journal");
	assert_int_equal(kernlog_read_journal_file(&s, path, 0), -1);
	assert_int_equal(s.mem.kernel_log_readable, 0);
	assert_true(s.mem.kernel_log_error[0] != '\0');
	snapshot_free(&s);
}

/* The live kernel log of this host: must answer at once, never block. */
static void test_kernlog_live(void **state)
{
	(void)state;
	struct gw_snapshot s;
	snapshot_init(&s);
	signal(SIGALRM, on_alarm);
	alarm(20);
	double t0 = gw_mono();
	struct kernlog_state *ks = kernlog_state_new();
	int n = kernlog_read(ks, &s, 0);
	double took = gw_mono() - t0;
	alarm(0);
	print_message("kernlog_read: %d OOM events, readable=%d (%s), %.3f s\n", n,
		      s.mem.kernel_log_readable, s.mem.kernel_log_error, took);
	if (n < 0) {
		assert_int_equal(s.mem.kernel_log_readable, 0);
		assert_true(s.mem.kernel_log_error[0] != '\0');
	} else {
		assert_int_equal(s.mem.kernel_log_readable, 1);
		assert_int_equal(s.events.n, (size_t)n);
		for (size_t i = 0; i < s.events.n; i++)
			assert_int_equal(s.events.v[i].kind, GW_LOG_OOM_KILL);
	}
	if (geteuid() == 0 && access("/dev/kmsg", R_OK) == 0)
		assert_int_equal(s.mem.kernel_log_readable, 1);
	snapshot_free(&s);
	/* nothing is newer than the future */
	snapshot_init(&s);
	n = kernlog_read(ks, &s, gw_now() + 3600);
	assert_true(n <= 0);
	assert_int_equal(s.events.n, 0);
	snapshot_free(&s);
	kernlog_state_free(ks);
}

/* The range read the probe pass and the stream's backfill share: whole,
 * short at the end of the file, and the first whole line after an offset
 * inside a line. */
static void test_range_read(void **state)
{
	(void)state;
	char path[512];
	path_in(path, sizeof path, "range.log");
	static const char text[] = "first line\nsecond line\nthird";
	write_file(path, text, sizeof text - 1, 0);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	size_t got;
	int err = -1;
	char *buf = logread_range(fd, 3, 100, &got, &err);   /* asks past the end */
	assert_int_equal(err, 0);
	assert_int_equal(got, sizeof text - 1 - 3);
	assert_memory_equal(buf, text + 3, got);
	const char *nl = logread_after_partial(buf, got);
	assert_non_null(nl);
	assert_int_equal(strncmp(nl, "second line\n", 12), 0);
	free(buf);
	buf = logread_range(fd, 23, 5, &got, &err);           /* "third": no '\n' */
	assert_int_equal(got, 5);
	assert_null(logread_after_partial(buf, got));
	free(buf);
	close(fd);
	buf = logread_range(-1, 0, 4, &got, &err);            /* a failed read says why */
	assert_int_equal(err, EBADF);
	assert_int_equal(got, 0);
	free(buf);
}

int main(void)
{
	const char *f = __FILE__;
	const char *slash = strrchr(f, '/');
	snprintf(fixture_dir, sizeof fixture_dir, "%.*s/../fixtures/logs",
		 slash ? (int)(slash - f) : 1, slash ? f : ".");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_small_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skip_old_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_sparse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_mid_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_dir_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permission_denied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_junk_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_gunicorn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_uvicorn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_traceback_unfinished, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernlog_journal_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernlog_live, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
