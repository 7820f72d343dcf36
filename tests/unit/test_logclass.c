/* test_logclass.c — the log classifiers on REAL lines (tests/fixtures/logs,
 * produced by the real nginx, gunicorn and uvicorn: see its README), on
 * lines in formats taken from the projects' sources, and on junk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logclass.h"
#include "kernlog.h"

static char fixture_dir[512];

static char *load(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", fixture_dir, name);
	char *b = gw_read_file(path, 1 << 20, len);
	if (!b) fail_msg("cannot read fixture %s", path);
	return b;
}

/* The fixture line containing `needle` (must be unique when unique=1). */
static void find_line(const char *buf, const char *needle, int nth, const char **line, size_t *len)
{
	const char *p = buf;
	int seen = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (memmem(p, l, needle, strlen(needle)) && seen++ == nth) {
			*line = p;
			*len = l + (nl ? 1 : 0);       /* with its '\n': classifiers strip it */
			return;
		}
		p = nl ? nl + 1 : p + l;
	}
	fail_msg("fixture line not found: %s", needle);
}

static double utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };
	return (double)timegm(&tm);
}

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* ---------------------------------------------------------------- nginx */

struct nginx_case {
	const char *needle;
	int nth;
	enum gw_log_kind kind;
	enum gw_level level;
	int err;
	int pid;
	const char *upstream;
	const char *request;
	int sec;                 /* 2026/11/25 14:51:SS */
};

#define D "/tmp/gwtop-gen.lAeGpv"
static const struct nginx_case nginx_cases[] = {
	{ "GET /refused", 0, GW_LOG_CONNECT_REFUSED, GW_LV_ERROR, 111, 5981,
	  "http://127.0.0.1:1/refused?x=1", "GET /refused?x=1 HTTP/1.1", 33 },
	{ "missing.sock failed", 0, GW_LOG_SOCKET_NOENT, GW_LV_CRIT, 2, 5981,
	  "http://unix:" D "/missing.sock:/noent?x=1", "GET /noent?x=1 HTTP/1.1", 33 },
	{ "private.sock failed", 0, GW_LOG_SOCKET_EACCES, GW_LV_CRIT, 13, 5981,
	  "http://unix:" D "/private.sock:/eacces?x=1", "GET /eacces?x=1 HTTP/1.1", 33 },
	{ "full.sock failed", 0, GW_LOG_AGAIN, GW_LV_ERROR, 11, 5981,
	  "http://unix:" D "/full.sock:/again?x=1", "GET /again?x=1 HTTP/1.1", 33 },
	{ "stale.sock failed", 0, GW_LOG_CONNECT_REFUSED, GW_LV_ERROR, 111, 5981,
	  "http://unix:" D "/stale.sock:/stale?x=1", "GET /stale?x=1 HTTP/1.1", 33 },
	{ "upstream prematurely closed", 0, GW_LOG_PREMATURE_CLOSE, GW_LV_ERROR, 0, 5981,
	  "http://127.0.0.1:25959/premature?x=1", "GET /premature?x=1 HTTP/1.1", 33 },
	{ "recv() failed (104", 0, GW_LOG_RESET, GW_LV_ERROR, 104, 5981,
	  "http://127.0.0.1:25960/reset?x=1", "GET /reset?x=1 HTTP/1.1", 33 },
	{ "upstream timed out", 0, GW_LOG_TIMEOUT, GW_LV_ERROR, 110, 5981,
	  "http://127.0.0.1:25961/timeout?x=1", "GET /timeout?x=1 HTTP/1.1", 34 },
	{ "too big header", 0, GW_LOG_BIG_HEADER, GW_LV_ERROR, 0, 5981,
	  "http://127.0.0.1:25962/bighdr?x=1", "GET /bighdr?x=1 HTTP/1.1", 34 },
	{ "invalid header: \"X-Bad", 0, GW_LOG_INVALID_HEADER, GW_LV_ERROR, 0, 5981,
	  "http://127.0.0.1:25963/badhdr?x=1", "GET /badhdr?x=1 HTTP/1.1", 34 },
	{ "no valid HTTP/1.0 header", 0, GW_LOG_INVALID_HEADER, GW_LV_ERROR, 0, 5981,
	  "http://127.0.0.1:25964/garbage?x=1", "GET /garbage?x=1 HTTP/1.1", 34 },
	{ "connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: _, request: \"GET /nolive",
	  1, GW_LOG_CONNECT_REFUSED, GW_LV_ERROR, 111, 5981,
	  "http://127.0.0.1:7/nolive?x=1", "GET /nolive?x=1 HTTP/1.1", 35 },
	{ "temporarily disabled", 0, GW_LOG_OTHER, GW_LV_WARN, 0, 5981,
	  "http://127.0.0.1:9/nolive?x=1", "GET /nolive?x=1 HTTP/1.1", 35 },
	{ "no live upstreams", 0, GW_LOG_NO_LIVE, GW_LV_ERROR, 0, 5981,
	  "http://pair/nolive?x=1", "GET /nolive?x=1 HTTP/1.1", 35 },
	{ "while resolving, resolver", 0, GW_LOG_RESOLVE, GW_LV_ERROR, 111, 5981, "", "", 35 },
	{ "could not be resolved", 0, GW_LOG_RESOLVE, GW_LV_ERROR, 110, 5981,
	  "", "GET /resolve?x=1 HTTP/1.1", 36 },
	{ "bind() to 127.0.0.1:25959 failed", 0, GW_LOG_NGINX_EMERG, GW_LV_EMERG, 98, 6004, "", "", 36 },
	{ "still could not bind()", 0, GW_LOG_NGINX_EMERG, GW_LV_EMERG, 0, 6004, "", "", 36 },
	{ "host not found in upstream \"backend.invalid\"", 0, GW_LOG_RESOLVE, GW_LV_EMERG, 0, 6006, "", "", 38 },
	{ "using the \"epoll\" event method", 0, GW_LOG_OTHER, GW_LV_NOTICE, 0, 5978, "", "", 33 },
};

static void test_nginx_fixture(void **state)
{
	(void)state;
	size_t len;
	char *buf = load("nginx-error.log", &len);
	set_tz("UTC");
	for (size_t i = 0; i < sizeof nginx_cases / sizeof *nginx_cases; i++) {
		const struct nginx_case *c = &nginx_cases[i];
		const char *line;
		size_t l;
		struct gw_log_event ev;
		find_line(buf, c->needle, c->nth, &line, &l);
		assert_int_equal(logclass_nginx_error(line, l, &ev), 1);
		if (ev.kind != c->kind) fail_msg("%s: kind %s, want %s", c->needle,
						 gw_log_kind_name(ev.kind), gw_log_kind_name(c->kind));
		assert_int_equal(ev.level, c->level);
		assert_int_equal(ev.err, c->err);
		assert_int_equal(ev.pid, c->pid);
		assert_string_equal(ev.upstream, c->upstream);
		assert_string_equal(ev.request, c->request);
		assert_true(ev.time == utc(2026, 11, 25, 14, c->sec >= 60 ? 52 : 51, c->sec % 60));
		assert_non_null(strstr(ev.line, c->needle));
		assert_null(strchr(ev.line, '\n'));
	}
	/* the detail is the message without the request context */
	const char *line;
	size_t l;
	struct gw_log_event ev;
	find_line(buf, "GET /refused", 0, &line, &l);
	logclass_nginx_error(line, l, &ev);
	assert_string_equal(ev.detail, "connect() failed (111: Connection refused) while connecting to upstream");

	/* every line of the real log has the error.log layout */
	int lines = 0, classified = 0;
	for (const char *p = buf; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		assert_int_equal(logclass_nginx_error(p, n, &ev), 1);
		lines++;
		classified += ev.kind != GW_LOG_OTHER;
		p = nl ? nl + 1 : p + n;
	}
	assert_int_equal(lines, 43);
	assert_int_equal(classified, 24);
	free(buf);
}

/* nginx writes local time: the same text is another instant elsewhere. */
static void test_nginx_local_time(void **state)
{
	(void)state;
	static const char line[] = "2026/11/24 12:01:02 [error] 149#149: *13 connect() failed (111: Connection refused) "
		"while connecting to upstream, client: 127.0.0.1, server: _, request: \"GET / HTTP/1.1\", "
		"upstream: \"http://127.0.0.1:8000/\", host: \"127.0.0.1:8080\"";
	struct gw_log_event ev;
	set_tz("UTC");
	assert_int_equal(logclass_nginx_error(line, strlen(line), &ev), 1);
	assert_true(ev.time == utc(2026, 11, 24, 12, 1, 2));
	set_tz("Europe/Berlin");                 /* CET in November: UTC+1 */
	assert_int_equal(logclass_nginx_error(line, strlen(line), &ev), 1);
	assert_true(ev.time == utc(2026, 11, 24, 11, 1, 2));
	set_tz("America/New_York");              /* EST: UTC-5 */
	logclass_nginx_error(line, strlen(line), &ev);
	assert_true(ev.time == utc(2026, 11, 24, 17, 1, 2));
	set_tz("UTC");
	assert_int_equal(ev.kind, GW_LOG_CONNECT_REFUSED);
	assert_string_equal(ev.upstream, "http://127.0.0.1:8000/");
	assert_string_equal(ev.request, "GET / HTTP/1.1");
	assert_int_equal(ev.pid, 149);
}

/* nginx's stderr (journal of nginx.service, nginx -t), real output. */
static void test_nginx_stderr(void **state)
{
	(void)state;
	size_t len;
	char *buf = load("nginx-stderr.txt", &len);
	const char *line;
	size_t l;
	struct gw_log_event ev;
	find_line(buf, "host not found in upstream", 0, &line, &l);
	assert_int_equal(logclass_nginx_error(line, l, &ev), 1);
	assert_int_equal(ev.kind, GW_LOG_RESOLVE);
	assert_int_equal(ev.level, GW_LV_EMERG);
	assert_true(ev.time == 0);
	assert_int_equal(ev.pid, 0);
	assert_true(gw_starts_with(ev.detail, "host not found in upstream \"backend.invalid\" in /tmp/"));
	find_line(buf, "bind() to 127.0.0.1:2024 failed", 4, &line, &l);
	assert_int_equal(logclass_nginx_error(line, l, &ev), 1);
	assert_int_equal(ev.kind, GW_LOG_NGINX_EMERG);
	assert_int_equal(ev.err, 98);
	find_line(buf, "test failed", 0, &line, &l);
	assert_int_equal(logclass_nginx_error(line, l, &ev), 0);
	assert_int_equal(ev.kind, GW_LOG_OTHER);
	assert_int_equal(logclass_nginx_error("nginx: [bogus] x", 16, &ev), 0);
	assert_int_equal(logclass_nginx_error("nginx: [emerg]", 14, &ev), 0);
	free(buf);
}

/* Formats from the nginx source that the lab could not provoke. */
static void test_nginx_source_formats(void **state)
{
	(void)state;
	static const struct { const char *line; enum gw_log_kind kind; int err; } cases[] = {
		/* ngx_http_fastcgi_module.c: "upstream sent invalid status \"%V\"" */
		{ "2026/11/24 12:00:00 [error] 7#7: *1 upstream sent invalid status \"abc\" while reading response header from upstream, client: 10.0.0.1, server: x, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.2-fpm.sock:\", host: \"x\"",
		  GW_LOG_INVALID_HEADER, 0 },
		/* ngx_event_connect.c via upstream connect timeout */
		{ "2026/11/24 12:00:00 [error] 7#7: *2 upstream timed out (110: Connection timed out) while connecting to upstream, client: 10.0.0.1, server: x, request: \"GET / HTTP/1.1\", upstream: \"http://10.9.9.9:80/\", host: \"x\"",
		  GW_LOG_TIMEOUT, 110 },
		/* EPIPE while sending the body */
		{ "2026/11/24 12:00:00 [error] 7#7: *3 writev() failed (32: Broken pipe) while sending request to upstream, client: 10.0.0.1, server: x, request: \"POST /up HTTP/1.1\", upstream: \"http://127.0.0.1:8000/up\", host: \"x\"",
		  GW_LOG_RESET, 32 },
		/* client side resets are not upstream faults */
		{ "2026/11/24 12:00:00 [info] 7#7: *4 recv() failed (104: Connection reset by peer) while reading client request line, client: 10.0.0.1, server: 0.0.0.0:80",
		  GW_LOG_OTHER, 104 },
		{ "2026/11/24 12:00:00 [error] 7#7: *5 open() \"/var/www/html/favicon.ico\" failed (2: No such file or directory), client: 10.0.0.1, server: _, request: \"GET /favicon.ico HTTP/1.1\", host: \"x\"",
		  GW_LOG_OTHER, 2 },
		{ "2026/11/24 12:00:00 [emerg] 7#7: unknown directive \"proxy_pas\" in /etc/nginx/sites-enabled/default:12",
		  GW_LOG_NGINX_EMERG, 0 },
		/* no "*conn" and no context at all */
		{ "2026/11/24 12:00:00 [error] 7#7: no live upstreams while connecting to upstream",
		  GW_LOG_NO_LIVE, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct gw_log_event ev;
		assert_int_equal(logclass_nginx_error(cases[i].line, strlen(cases[i].line), &ev), 1);
		if (ev.kind != cases[i].kind) fail_msg("case %zu: kind %s", i, gw_log_kind_name(ev.kind));
		assert_int_equal(ev.err, cases[i].err);
	}
	/* a request line holding quotes and an "upstream:"-looking text */
	static const char tricky[] = "2026/11/24 12:00:00 [error] 7#7: *9 no live upstreams while connecting to upstream, client: 1.2.3.4, server: _, "
		"request: \"GET /a\"b, upstream: \"x HTTP/1.1\", upstream: \"http://backend/a\"b\", host: \"h\"";
	struct gw_log_event ev;
	assert_int_equal(logclass_nginx_error(tricky, strlen(tricky), &ev), 1);
	assert_int_equal(ev.kind, GW_LOG_NO_LIVE);
	assert_string_equal(ev.request, "GET /a\"b, upstream: \"x HTTP/1.1");
	assert_string_equal(ev.upstream, "http://backend/a\"b");
}

/* ---------------------------------------------------------------- app */

struct app_case {
	const char *file;
	const char *needle;
	int ret;
	enum gw_log_kind kind;
	enum gw_level level;
	int pid;
	const char *detail;      /* NULL: not checked */
	double time;             /* 0: no time */
};

static void check_app(const struct app_case *c, const char *line, size_t l)
{
	struct gw_log_event ev;
	int r = logclass_app(line, l, &ev);
	if (r != c->ret || ev.kind != c->kind)
		fail_msg("%s: ret %d kind %s, want %d %s", c->needle, r, gw_log_kind_name(ev.kind),
			 c->ret, gw_log_kind_name(c->kind));
	assert_int_equal(ev.level, c->level);
	assert_int_equal(ev.pid, c->pid);
	if (c->detail) assert_string_equal(ev.detail, c->detail);
	assert_true(ev.time == c->time);
}

static void test_app_fixtures(void **state)
{
	(void)state;
	double t18 = utc(2026, 11, 25, 14, 52, 18);
	const struct app_case cases[] = {
		{ "gunicorn.log", "Starting gunicorn 20.1.0", 1, GW_LOG_OTHER, GW_LV_INFO, 6254, NULL, t18 },
		{ "gunicorn.log", "[ERROR] Exception in worker process", 1, GW_LOG_OTHER, GW_LV_ERROR, 6255, NULL, t18 },
		{ "gunicorn.log", "Traceback (most recent call last):", 1, GW_LOG_APP_TRACEBACK, GW_LV_ERROR, 0, NULL, 0 },
		{ "gunicorn.log", "  File \"/usr/lib/python3/dist-packages/gunicorn/arbiter.py\"", 0, GW_LOG_OTHER, GW_LV_INFO, 0, NULL, 0 },
		{ "gunicorn.log", "    import flask_sqlalchemy", 0, GW_LOG_OTHER, GW_LV_INFO, 0, NULL, 0 },
		{ "gunicorn.log", "ModuleNotFoundError: No module named 'flask_sqlalchemy'", 1,
		  GW_LOG_APP_MODULE_NOT_FOUND, GW_LV_ERROR, 0, "No module named 'flask_sqlalchemy'", 0 },
		{ "gunicorn.log", "KeyError: 'SECRET_KEY'", 1, GW_LOG_APP_CONFIG, GW_LV_ERROR, 0, "'SECRET_KEY'", 0 },
		{ "gunicorn.log", "psycopg2.OperationalError: connection to server", 1, GW_LOG_APP_DB, GW_LV_ERROR, 0,
		  "connection to server at \"127.0.0.1\", port 1 failed: Connection refused", 0 },
		{ "gunicorn.log", "Is the server running on that host", 0, GW_LOG_OTHER, GW_LV_INFO, 0, NULL, 0 },
		{ "gunicorn.log", "[6254] [INFO] Reason: Worker failed to boot.", 1, GW_LOG_APP_WORKER_BOOT, GW_LV_INFO, 6254,
		  "Worker failed to boot.", t18 },
		{ "gunicorn.log", "Reason: App failed to load.", 1, GW_LOG_APP_WORKER_BOOT, GW_LV_INFO, 6263,
		  "App failed to load.", utc(2026, 11, 25, 14, 52, 19) },
		{ "gunicorn.log", "WORKER TIMEOUT (pid:6267)", 1, GW_LOG_APP_WORKER_TIMEOUT, GW_LV_CRIT, 6267,
		  "WORKER TIMEOUT (pid:6267)", utc(2026, 11, 25, 14, 52, 23) },
		{ "gunicorn.log", "was terminated due to signal 9", 1, GW_LOG_APP_WORKER_KILLED, GW_LV_WARN, 6270,
		  NULL, utc(2026, 11, 25, 14, 52, 24) },
		{ "uvicorn.log", "Could not import module \"missing_module\"", 1, GW_LOG_APP_WORKER_BOOT, GW_LV_ERROR, 0,
		  "Could not import module \"missing_module\".", 0 },
		{ "uvicorn.log", "Attribute \"nothere\" not found", 1, GW_LOG_APP_WORKER_BOOT, GW_LV_ERROR, 0,
		  "Attribute \"nothere\" not found in module \"asgi\".", 0 },
		{ "uvicorn.log", "ModuleNotFoundError: No module named 'flask_sqlalchemy'", 1,
		  GW_LOG_APP_MODULE_NOT_FOUND, GW_LV_ERROR, 0, "No module named 'flask_sqlalchemy'", 0 },
		{ "uvicorn.log", "    raise exc from None", 0, GW_LOG_OTHER, GW_LV_INFO, 0, NULL, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		size_t len;
		char *buf = load(cases[i].file, &len);
		const char *line;
		size_t l;
		find_line(buf, cases[i].needle, 0, &line, &l);
		check_app(&cases[i], line, l);
		free(buf);
	}
}

/* Formats from gunicorn 21+, Django, SQLAlchemy, uvicorn access lines. */
static void test_app_source_formats(void **state)
{
	(void)state;
	const struct app_case cases[] = {
		{ NULL, "[2026-11-24 12:01:02 +0000] [1234] [ERROR] Worker failed to boot.", 1,
		  GW_LOG_APP_WORKER_BOOT, GW_LV_ERROR, 1234, "Worker failed to boot.", utc(2026, 11, 24, 12, 1, 2) },
		{ NULL, "[2026-11-24 12:01:02 +0100] [99] [CRITICAL] WORKER TIMEOUT (pid:123)", 1,
		  GW_LOG_APP_WORKER_TIMEOUT, GW_LV_CRIT, 123, NULL, utc(2026, 11, 24, 11, 1, 2) },
		{ NULL, "[2026-11-24 12:01:02 -0500] [99] [ERROR] Worker (pid:123) was sent SIGKILL! Perhaps out of memory?", 1,
		  GW_LOG_APP_WORKER_KILLED, GW_LV_ERROR, 123, NULL, utc(2026, 11, 24, 17, 1, 2) },
		{ NULL, "ERROR:    Error loading ASGI app. Could not import module \"main\".", 1,
		  GW_LOG_APP_WORKER_BOOT, GW_LV_ERROR, 0, "Could not import module \"main\".", 0 },
		{ NULL, "ModuleNotFoundError: No module named 'psycopg2'", 1,
		  GW_LOG_APP_MODULE_NOT_FOUND, GW_LV_ERROR, 0, "No module named 'psycopg2'", 0 },
		{ NULL, "ImportError: cannot import name 'url' from 'django.conf.urls'", 1,
		  GW_LOG_APP_MODULE_NOT_FOUND, GW_LV_ERROR, 0, "cannot import name 'url' from 'django.conf.urls'", 0 },
		{ NULL, "django.core.exceptions.ImproperlyConfigured: The SECRET_KEY setting must not be empty.", 1,
		  GW_LOG_APP_CONFIG, GW_LV_ERROR, 0, "The SECRET_KEY setting must not be empty.", 0 },
		{ NULL, "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) could not connect to server: Connection refused", 1,
		  GW_LOG_APP_DB, GW_LV_ERROR, 0, "(psycopg2.OperationalError) could not connect to server: Connection refused", 0 },
		{ NULL, "psycopg2.OperationalError: connection to server at \"127.0.0.1\", port 5432 failed: Connection refused", 1,
		  GW_LOG_APP_DB, GW_LV_ERROR, 0, NULL, 0 },
		{ NULL, "redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.", 1,
		  GW_LOG_APP_DB, GW_LV_ERROR, 0, NULL, 0 },
		{ NULL, "KeyError: 'user_id'", 1, GW_LOG_APP_EXCEPTION, GW_LV_ERROR, 0, "'user_id'", 0 },
		{ NULL, "ValueError: invalid literal for int() with base 10: 'abc'", 1,
		  GW_LOG_APP_EXCEPTION, GW_LV_ERROR, 0, "invalid literal for int() with base 10: 'abc'", 0 },
		{ NULL, "KeyboardInterrupt", 1, GW_LOG_APP_EXCEPTION, GW_LV_ERROR, 0, "KeyboardInterrupt", 0 },
		{ NULL, "INFO:     127.0.0.1:53214 - \"GET / HTTP/1.1\" 200 OK", 1, GW_LOG_OTHER, GW_LV_INFO, 0, NULL, 0 },
		{ NULL, "During handling of the above exception, another exception occurred:", 0, GW_LOG_OTHER, GW_LV_INFO, 0, NULL, 0 },
		{ NULL, "Error: something went wrong", 0, GW_LOG_OTHER, GW_LV_INFO, 0, NULL, 0 },
		{ NULL, "ERROR:root:boom", 0, GW_LOG_OTHER, GW_LV_INFO, 0, NULL, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		check_app(&cases[i], cases[i].needle, strlen(cases[i].needle));
}

/* ---------------------------------------------------------------- kernel */

static void test_kernel_lines(void **state)
{
	(void)state;
	size_t len;
	char *buf = load("kernel-dmesg.txt", &len);
	static const struct { const char *needle; int ret; int pid; const char *name; } cases[] = {
		{ "Linux version", 0, 0, "" },
		{ "invoked oom-killer", 0, 0, "" },
		{ "Kill process 3100 (gunicorn) score", 0, 0, "" },      /* the choice, not the kill */
		{ "Killed process 3100 (gunicorn)", 1, 3100, "gunicorn" },
		{ "oom_reaper: reaped process", 0, 0, "" },
		{ "Out of memory: Killed process 3377", 1, 3377, "uvicorn" },
		{ "Memory cgroup out of memory: Killed process 3390", 1, 3390, "python3" },
		{ "EXT4-fs", 0, 0, "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *line;
		size_t l;
		struct gw_log_event ev;
		find_line(buf, cases[i].needle, 0, &line, &l);
		assert_int_equal(logclass_kernel(line, l, &ev), cases[i].ret);
		assert_int_equal(ev.kind, cases[i].ret ? GW_LOG_OOM_KILL : GW_LOG_OTHER);
		assert_int_equal(ev.pid, cases[i].pid);
		assert_string_equal(ev.detail, cases[i].name);
	}
	free(buf);

	/* a comm holding ") " and the bare modern message */
	static const char odd[] = "Out of memory: Killed process 77 (a) b) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0";
	struct gw_log_event ev;
	assert_int_equal(logclass_kernel(odd, strlen(odd), &ev), 1);
	assert_string_equal(ev.detail, "a) b");
	assert_int_equal(ev.pid, 77);
	assert_int_equal(ev.level, GW_LV_ERROR);
	/* "Killed process" inside another word is not a kill */
	static const char fake[] = "xKilled process 1 (x)";
	assert_int_equal(logclass_kernel(fake, strlen(fake), &ev), 0);
}

static void test_kmsg_record(void **state)
{
	(void)state;
	static const char rec[] = "3,1234,8812118501,-;Out of memory: Killed process 4242 (gunicorn) total-vm:1843212kB, "
		"anon-rss:1532100kB, file-rss:4kB, shmem-rss:0kB, UID:33 pgtables:3112kB oom_score_adj:0\n"
		" SUBSYSTEM=memory\n";
	struct gw_log_event ev;
	assert_int_equal(kernlog_kmsg_record(rec, strlen(rec), 1000.0, &ev), 1);
	assert_int_equal(ev.kind, GW_LOG_OOM_KILL);
	assert_int_equal(ev.pid, 4242);
	assert_string_equal(ev.detail, "gunicorn");
	assert_string_equal(ev.source, "kernel");
	assert_true(ev.time > 9812.118 && ev.time < 9812.119);
	static const char other[] = "6,1,0,-;Linux version 6.1.0";
	assert_int_equal(kernlog_kmsg_record(other, strlen(other), 1000.0, &ev), 0);
	static const char bad[] = "garbage without fields;Killed process 1 (x)";
	assert_int_equal(kernlog_kmsg_record(bad, strlen(bad), 1000.0, &ev), 0);
	assert_int_equal(kernlog_kmsg_record("", 0, 0, &ev), 0);
}

/* ---------------------------------------------------------------- junk */

static void test_junk(void **state)
{
	(void)state;
	struct gw_log_event ev;
	size_t big = 100 * 1024;
	char *huge = malloc(big);
	memset(huge, 'A', big);
	char *huge_nginx = malloc(big);
	static const char pfx[] = "2026/11/24 12:00:00 [error] 7#7: *1 ";
	memset(huge_nginx, 'x', big);
	memcpy(huge_nginx, pfx, sizeof pfx - 1);
	unsigned char bin[512];
	for (size_t i = 0; i < sizeof bin; i++) bin[i] = (unsigned char)(i * 131 + 7);
	static const char esc[] = "\x1b[2J\x1b[31mERROR\x1b[0m \x1b]0;title\x07 \x9b""6n";
	static const char nul[] = "2026/11/24\0 12:00:00 [error] 7#7: x";
	static const char *const partial[] = {
		"2026/11/24 12:00:00 [err", "2026/11/24 12:00:00 [error] ", "2026/11/24 12:00:00 [error] 7#",
		"2026/13/24 12:00:00 [error] 7#7: x", "2026/11/24 25:00:00 [error] 7#7: x",
		"2026/11/24 12:00:00 [bogus] 7#7: x", "[2026-11-24 12:01:02 +00", "[2026-11-24 12:01:02 +0000] [x] [ERROR] y",
		"(", "Killed process ", "Killed process 12 (",
		"Out of memory: Killed process abc (x)", "\n", "\r\n", "",
	};
	struct { const char *p; size_t n; } junk[] = {
		{ huge, big }, { (const char *)bin, sizeof bin }, { esc, sizeof esc - 1 },
		{ nul, sizeof nul - 1 }, { NULL, 0 },
	};
	for (size_t i = 0; i < sizeof junk / sizeof *junk; i++) {
		assert_int_equal(logclass_nginx_error(junk[i].p, junk[i].n, &ev), 0);
		assert_int_equal(ev.kind, GW_LOG_OTHER);
		assert_int_equal(logclass_app(junk[i].p, junk[i].n, &ev), 0);
		assert_int_equal(ev.kind, GW_LOG_OTHER);
		assert_int_equal(logclass_kernel(junk[i].p, junk[i].n, &ev), 0);
		assert_int_equal(ev.kind, GW_LOG_OTHER);
	}
	for (size_t i = 0; i < sizeof partial / sizeof *partial; i++) {
		size_t n = strlen(partial[i]);
		assert_int_equal(logclass_nginx_error(partial[i], n, &ev), 0);
		assert_int_equal(logclass_app(partial[i], n, &ev), 0);
		assert_int_equal(logclass_kernel(partial[i], n, &ev), 0);
		assert_int_equal(ev.kind, GW_LOG_OTHER);
	}
	/* a real layout with a cut message: recognised, nothing invented */
	static const char cut[] = "2026/11/24 12:00:00 [error] 7#7: *1 (12";
	assert_int_equal(logclass_nginx_error(cut, sizeof cut - 1, &ev), 1);
	assert_int_equal(ev.kind, GW_LOG_OTHER);
	assert_int_equal(ev.err, 0);
	assert_string_equal(ev.detail, "(12");
	/* a 100 KiB nginx line: parsed, the kept copy is cut and terminated */
	assert_int_equal(logclass_nginx_error(huge_nginx, big, &ev), 1);
	assert_int_equal(strlen(ev.line), sizeof ev.line - 1);
	assert_int_equal(strlen(ev.detail), sizeof ev.detail - 1);
	free(huge);
	free(huge_nginx);
}

int main(void)
{
	const char *f = __FILE__;
	const char *slash = strrchr(f, '/');
	snprintf(fixture_dir, sizeof fixture_dir, "%.*s/../fixtures/logs",
		 slash ? (int)(slash - f) : 1, slash ? f : ".");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nginx_fixture),
		cmocka_unit_test(test_nginx_local_time),
		cmocka_unit_test(test_nginx_stderr),
		cmocka_unit_test(test_nginx_source_formats),
		cmocka_unit_test(test_app_fixtures),
		cmocka_unit_test(test_app_source_formats),
		cmocka_unit_test(test_kernel_lines),
		cmocka_unit_test(test_kmsg_record),
		cmocka_unit_test(test_junk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
