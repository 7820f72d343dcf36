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

/* The lines of issue 16's causes, each captured from the real nginx of a
 * lab (tests/lab/lab.sh faults header_too_big, tls_wrong_version,
 * tls_plain, marked_down, worker_connections, fd_exhausted, local_ports,
 * keepalive_race;
 * the certificate lines from healthy_tls with proxy_ssl_verify on). */
static const struct { const char *needle; enum gw_log_kind kind; enum gw_level level; int err; const char *up; } causes2_cases[] = {
	{ "upstream sent too big header", GW_LOG_BIG_HEADER, GW_LV_ERROR, 0, "http://127.0.0.1:27897/bighdr" },
	{ "wrong version number) while SSL handshaking", GW_LOG_TLS, GW_LV_ERROR, 0, "https://127.0.0.1:20886/" },
	{ "upstream timed out (110: Connection timed out) while SSL handshaking", GW_LOG_TLS, GW_LV_ERROR, 110,
	  "https://127.0.0.1:30209/" },
	{ "upstream SSL certificate verify error", GW_LOG_TLS, GW_LV_ERROR, 0, "https://127.0.0.1:26705/" },
	{ "upstream SSL certificate does not match", GW_LOG_TLS, GW_LV_ERROR, 0, "https://127.0.0.1:26705/" },
	{ "no live upstreams", GW_LOG_NO_LIVE, GW_LV_ERROR, 0, "http://app_pool/" },
	{ "5 worker_connections are not enough while connecting to upstream", GW_LOG_WORKER_CONNECTIONS, GW_LV_ALERT, 0,
	  "http://127.0.0.1:36869/slow" },
	{ "5 worker_connections are not enough, reusing connections", GW_LOG_WORKER_CONNECTIONS, GW_LV_WARN, 0, "" },
	{ "socket() failed (24: Too many open files) while connecting to upstream", GW_LOG_FD_LIMIT, GW_LV_ALERT, 24,
	  "http://127.0.0.1:24793/" },
	{ "socketpair() failed (24: Too many open files)", GW_LOG_FD_LIMIT, GW_LV_ALERT, 24, "" },
	{ "POST / HTTP/1.1", GW_LOG_RESET, GW_LV_ERROR, 104, "http://127.0.0.1:31613/" },   /* keepalive_race */
	{ "(99: Cannot assign requested address) while connecting to upstream", GW_LOG_ADDR_NOTAVAIL, GW_LV_CRIT, 99,
	  "http://127.0.0.1:38273/slow" },
};

static void test_nginx_causes2(void **state)
{
	(void)state;
	size_t len;
	char *buf = load("nginx-error-causes2.log", &len);
	set_tz("UTC");
	for (size_t i = 0; i < sizeof causes2_cases / sizeof *causes2_cases; i++) {
		const char *line;
		size_t l;
		struct gw_log_event ev;
		find_line(buf, causes2_cases[i].needle, 0, &line, &l);
		assert_int_equal(logclass_nginx_error(line, l, &ev), 1);
		if (ev.kind != causes2_cases[i].kind)
			fail_msg("%s: kind %s, want %s", causes2_cases[i].needle, gw_log_kind_name(ev.kind),
				 gw_log_kind_name(causes2_cases[i].kind));
		assert_int_equal(ev.level, causes2_cases[i].level);
		assert_int_equal(ev.err, causes2_cases[i].err);
		assert_string_equal(ev.upstream, causes2_cases[i].up);
		assert_true(ev.time > 0);
	}
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

/* ------------------------------------------------- nginx: differential */

/* The reference: the nginx classifier as the plain phrase search it
 * replaces (memmem per phrase, mktime per line), kept here to check that
 * the one-pass classifier in logclass.c finds exactly the same things. */

static int ref_has(const char *p, size_t n, const char *needle)
{
	return memmem(p, n, needle, strlen(needle)) != NULL;
}

static int ref_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* 1..10 digits at *p; advances. */
static int ref_number(const char **p, const char *end, long *out)
{
	long v = 0;
	int k = 0;
	while (*p < end && ref_digit(**p) && k < 10) v = v * 10 + (*(*p)++ - '0'), k++;
	*out = v;
	return k > 0;
}

static int ref_char(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c) return 0;
	(*p)++;
	return 1;
}

static void ref_copy(char *dst, size_t size, const char *p, size_t n)
{
	if (n > size - 1) n = size - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static int ref_level(const char **p, const char *end, enum gw_level *out)
{
	static const char *const names[] = { "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg" };
	static const enum gw_level lv[] = { GW_LV_DEBUG, GW_LV_INFO, GW_LV_NOTICE, GW_LV_WARN, GW_LV_ERROR,
					    GW_LV_CRIT, GW_LV_ALERT, GW_LV_EMERG };
	if (!ref_char(p, end, '[')) return 0;
	const char *w = *p;
	while (*p < end && **p >= 'a' && **p <= 'z' && *p - w < 8) (*p)++;
	for (size_t i = 0; i < 8; i++)
		if (strlen(names[i]) == (size_t)(*p - w) && !memcmp(names[i], w, (size_t)(*p - w))) {
			*out = lv[i];
			return ref_char(p, end, ']');
		}
	return 0;
}

static const char *ref_value_end(const char *p, const char *end)
{
	for (const char *q = p; q < end; q++) {
		if (*q != '"') continue;
		if (q + 1 == end) return q;
		if (q + 2 < end && q[1] == ',' && q[2] == ' ') {
			const char *k = q + 3;
			while (k < end && ((*k >= 'a' && *k <= 'z') || *k == '_')) k++;
			if (k > q + 3 && k + 1 < end && k[0] == ':' && k[1] == ' ') return q;
		}
	}
	return end;
}

static const char *ref_field(const char *p, const char *end, const char *key, char *dst, size_t size)
{
	const char *k = memmem(p, (size_t)(end - p), key, strlen(key));
	if (!k) return p;
	const char *v = k + strlen(key), *e = ref_value_end(v, end);
	ref_copy(dst, size, v, (size_t)(e - v));
	return e;
}

static enum gw_log_kind ref_kind(const char *h, size_t n, int err, enum gw_level level)
{
	if (ref_has(h, n, "could not be resolved") || ref_has(h, n, "host not found in upstream") ||
	    ref_has(h, n, "while resolving") || ref_has(h, n, "no resolver defined to resolve"))
		return GW_LOG_RESOLVE;
	if (ref_has(h, n, "no live upstreams")) return GW_LOG_NO_LIVE;
	if (ref_has(h, n, "upstream sent too big header")) return GW_LOG_BIG_HEADER;
	if (ref_has(h, n, "upstream sent invalid") || ref_has(h, n, "upstream sent no valid"))
		return GW_LOG_INVALID_HEADER;
	if (ref_has(h, n, "upstream prematurely closed connection")) return GW_LOG_PREMATURE_CLOSE;
	if (ref_has(h, n, "SSL_do_handshake() failed") || ref_has(h, n, "SSL handshaking to upstream") ||
	    ref_has(h, n, "upstream SSL certificate verify error") ||
	    ref_has(h, n, "upstream SSL certificate does not match"))
		return GW_LOG_TLS;
	if (ref_has(h, n, "worker_connections are not enough")) return GW_LOG_WORKER_CONNECTIONS;
	if (err == 24 || err == 23) return GW_LOG_FD_LIMIT;
	if (ref_has(h, n, "upstream timed out")) return GW_LOG_TIMEOUT;
	if (err && ref_has(h, n, "upstream")) {
		int c = ref_has(h, n, "connect() ");
		switch (err) {
		case 111: return GW_LOG_CONNECT_REFUSED;
		case 113: case 101: return c ? GW_LOG_CONNECT_REFUSED : GW_LOG_OTHER;
		case 2: return c ? GW_LOG_SOCKET_NOENT : GW_LOG_OTHER;
		case 13: return c ? GW_LOG_SOCKET_EACCES : GW_LOG_OTHER;
		case 11: return GW_LOG_AGAIN;
		case 104: case 32: return GW_LOG_RESET;
		case 110: return GW_LOG_TIMEOUT;
		case 99: return c ? GW_LOG_ADDR_NOTAVAIL : GW_LOG_OTHER;
		default: break;
		}
	}
	return level == GW_LV_EMERG ? GW_LOG_NGINX_EMERG : GW_LOG_OTHER;
}

static int ref_nginx_error(const char *line, size_t len, struct gw_log_event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->kind = GW_LOG_OTHER;
	ev->level = GW_LV_INFO;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
	ref_copy(ev->line, sizeof ev->line, line, len);
	const char *p = line, *end = line + len;
	enum gw_level level;
	if (len >= 8 && !memcmp(line, "nginx: [", 8)) {
		p += 7;
		if (!ref_level(&p, end, &level) || !ref_char(&p, end, ' ')) return 0;
	} else {
		char stamp[20];
		struct tm tm;
		memset(&tm, 0, sizeof tm);
		int y, mo, d, h, mi, se, used = 0;
		long pid, tid;
		if (len < 20) return 0;
		for (int i = 0; i < 19; i++)            /* sscanf would take signs and spaces */
			if ((i == 4 || i == 7) ? line[i] != '/' : i == 10 ? line[i] != ' ' :
			    (i == 13 || i == 16) ? line[i] != ':' : !ref_digit(line[i]))
				return 0;
		memcpy(stamp, line, 19);
		stamp[19] = '\0';
		if (sscanf(stamp, "%4d/%2d/%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &used) != 6 || used != 19)
			return 0;
		if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return 0;
		p += 19;
		if (!ref_char(&p, end, ' ') || !ref_level(&p, end, &level) || !ref_char(&p, end, ' ') ||
		    !ref_number(&p, end, &pid) || !ref_char(&p, end, '#') || !ref_number(&p, end, &tid) ||
		    !ref_char(&p, end, ':'))
			return 0;
		ref_char(&p, end, ' ');
		tm.tm_year = y - 1900; tm.tm_mon = mo - 1; tm.tm_mday = d;
		tm.tm_hour = h; tm.tm_min = mi; tm.tm_sec = se; tm.tm_isdst = -1;
		time_t t = mktime(&tm);
		ev->time = t == (time_t)-1 ? 0 : (double)t;
		ev->pid = (pid_t)pid;
	}
	ev->level = level;
	if (p < end && *p == '*') {
		const char *q = p + 1;
		long conn;
		if (ref_number(&q, end, &conn) && ref_char(&q, end, ' ')) p = q;
	}
	const char *client = memmem(p, (size_t)(end - p), ", client: ", 10);
	const char *hend = client ? client : end;
	ref_copy(ev->detail, sizeof ev->detail, p, (size_t)(hend - p));
	for (const char *q = p; q < hend; q++) {         /* the first "(N: " */
		const char *dd = q + 1;
		long v;
		if (*q == '(' && ref_number(&dd, hend, &v) && dd + 1 < hend && dd[0] == ':' && dd[1] == ' ') {
			ev->err = (int)v;
			break;
		}
	}
	if (client) {
		const char *after = ref_field(client, end, ", request: \"", ev->request, sizeof ev->request);
		ref_field(after, end, ", upstream: \"", ev->upstream, sizeof ev->upstream);
	}
	ev->kind = ref_kind(p, (size_t)(hend - p), ev->err, ev->level);
	return 1;
}

static unsigned long diff_checked;

/* logclass_nginx_error and the reference agree on a line, which is given
 * to both in a buffer of exactly its size (ASan sees any over-read). */
static void diff_line(const char *line, size_t len)
{
	char *copy = malloc(len ? len : 1);
	memcpy(copy, line, len);
	struct gw_log_event *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	memset(a, 0x5a, sizeof *a);                  /* leftovers must not show */
	int ra = logclass_nginx_error(copy, len, a);
	int rb = ref_nginx_error(copy, len, b);
	if (ra != rb || a->kind != b->kind || a->level != b->level || a->err != b->err ||
	    a->pid != b->pid || a->time != b->time || strcmp(a->upstream, b->upstream) ||
	    strcmp(a->request, b->request) || strcmp(a->detail, b->detail) || strcmp(a->line, b->line) ||
	    a->source[0])
		fail_msg("differs on [%.*s]: ret %d/%d kind %s/%s level %d/%d err %d/%d pid %d/%d time %.0f/%.0f "
			 "upstream [%s]/[%s] request [%s]/[%s] detail [%s]/[%s]",
			 (int)len, line, ra, rb, gw_log_kind_name(a->kind), gw_log_kind_name(b->kind),
			 a->level, b->level, a->err, b->err, a->pid, b->pid, a->time, b->time,
			 a->upstream, b->upstream, a->request, b->request, a->detail, b->detail);
	/* the stream's variant: the same verdict, no strings */
	memset(b, 0x5a, sizeof *b);
	int rk = logclass_nginx_error_kind(copy, len, b);
	if (rk != ra || b->kind != a->kind || b->level != a->level || b->err != a->err || b->pid != a->pid ||
	    b->time != a->time || b->line[0] || b->detail[0] || b->request[0] || b->upstream[0] || b->source[0])
		fail_msg("logclass_nginx_error_kind differs on [%.*s]: ret %d/%d kind %s/%s", (int)len, line, rk, ra,
			 gw_log_kind_name(b->kind), gw_log_kind_name(a->kind));
	diff_checked++;
	free(a);
	free(b);
	free(copy);
}

static uint64_t diff_rng = 0x9e3779b97f4a7c15ull;

static unsigned diff_rand(unsigned n)
{
	diff_rng ^= diff_rng << 13;
	diff_rng ^= diff_rng >> 7;
	diff_rng ^= diff_rng << 17;
	return (unsigned)(diff_rng % n);
}

/* The texts the classifier looks for, whole and cut, and bytes it keys on. */
static const char *const diff_pieces[] = {
	"could not be resolved", "host not found in upstream", "while resolving", "no live upstreams",
	"no resolver defined to resolve", "no resolver defined to resolv",
	"upstream sent too big header", "upstream sent invalid", "upstream sent no valid",
	"upstream prematurely closed connection", "upstream timed out", "upstream", "connect() ",
	"could not be resolve", "host not found in upstrea", "while resolvin", "no live upstream",
	"upstream sent too big heade", "upstream sent invali", "upstream prematurely closed connectio",
	"upstream timed ou", "upstrea", "connect()", "(111: ", "(2: ", "(13: ", "(113: ", "(101: ",
	"(11: ", "(104: ", "(32: ", "(110: ", "(24: ", "(23: ", "(99: ", "(2: ",
	"SSL_do_handshake() failed", "SSL handshaking to upstream", "upstream SSL certificate verify error",
	"upstream SSL certificate does not match", "worker_connections are not enough",
	"SSL_do_handshake() faile", "SSL handshaking to upstrea", "upstream SSL certificate verify erro",
	"worker_connections are not enoug", "(24:", "(99:", "(12345678901: ", "(7:", "(", ", client: ", ", client:",
	", request: \"", ", upstream: \"", "\", host: \"", "\", upstream: \"", "\"", ",", ", ", "u", "v",
	"[error] ", "[emerg] ", "[warn] ", "*12 ", "\n", "\r", "\0", "\xff",
};

/* One random change to buf (len, capacity cap): returns the new length. */
static size_t diff_mutate(char *buf, size_t len, size_t cap)
{
	switch (diff_rand(6)) {
	case 0:                                          /* cut */
		return len ? diff_rand((unsigned)len + 1) : 0;
	case 1:                                          /* flip a byte */
		if (len) buf[diff_rand((unsigned)len)] = "(,uv\":  0123456789az_*[]#/"[diff_rand(27)];
		return len;
	case 2:                                          /* any byte */
		if (len) buf[diff_rand((unsigned)len)] = (char)diff_rand(256);
		return len;
	case 3: {                                        /* drop a range */
		if (!len) return 0;
		size_t at = diff_rand((unsigned)len), n = 1 + diff_rand(20);
		if (n > len - at) n = len - at;
		memmove(buf + at, buf + at + n, len - at - n);
		return len - n;
	}
	default: {                                       /* insert a piece */
		const char *piece = diff_pieces[diff_rand(sizeof diff_pieces / sizeof *diff_pieces)];
		size_t n = strlen(piece) ? strlen(piece) : 1, at = diff_rand((unsigned)len + 1);
		if (len + n > cap) return len;
		memmove(buf + at + n, buf + at, len - at);
		memcpy(buf + at, piece, n);
		return len + n;
	}
	}
}

static void diff_lines_of(const char *buf, const char ***lines, size_t **lens, size_t *count)
{
	for (const char *p = buf; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		*lines = realloc(*lines, (*count + 1) * sizeof **lines);
		*lens = realloc(*lens, (*count + 1) * sizeof **lens);
		(*lines)[*count] = p;
		(*lens)[*count] = n;
		(*count)++;
		p = nl ? nl + 1 : p + n;
	}
}

/* Every real line, the formats from the source, and 60,000 mutants of them
 * give the same event from the one-pass classifier and the reference (and
 * the same verdict from the stream's string-less variant). */
static void test_nginx_differential(void **state)
{
	(void)state;
	size_t len;
	char *err_log = load("nginx-error.log", &len);
	char *stderr_txt = load("nginx-stderr.txt", &len);
	char *causes2 = load("nginx-error-causes2.log", &len);
	const char **lines = NULL;
	size_t *lens = NULL, count = 0;
	diff_lines_of(err_log, &lines, &lens, &count);
	diff_lines_of(stderr_txt, &lines, &lens, &count);
	diff_lines_of(causes2, &lines, &lens, &count);
	static const char *const extra[] = {
		"2026/11/24 12:00:00 [error] 7#7: *1 upstream sent invalid status \"abc\" while reading response header from upstream, client: 10.0.0.1, server: x, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.2-fpm.sock:\", host: \"x\"",
		"2026/11/24 12:00:00 [error] 7#7: *3 writev() failed (32: Broken pipe) while sending request to upstream, client: 10.0.0.1, server: x, request: \"POST /up HTTP/1.1\", upstream: \"http://127.0.0.1:8000/up\", host: \"x\"",
		"2026/11/24 12:00:00 [info] 7#7: *4 recv() failed (104: Connection reset by peer) while reading client request line, client: 10.0.0.1, server: 0.0.0.0:80",
		"2026/11/24 12:00:00 [error] 7#7: *9 no live upstreams while connecting to upstream, client: 1.2.3.4, server: _, request: \"GET /a\"b, upstream: \"x HTTP/1.1\", upstream: \"http://backend/a\"b\", host: \"h\"",
		"2026/11/24 12:00:00 [error] 7#7: *9 connect() to 10.0.0.9:80 failed (113: No route to host) while connecting to upstream, client: 1.2.3.4, server: _, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.9:80/\", host: \"h\"",
		"2026/11/24 12:00:00 [error] 7#7: *9 recv() failed (113: No route to host) while reading upstream, client: 1.2.3.4",
		"2026/11/24 12:00:00 [alert] 7#7: *9 could not be resolved (3: Host not found) while resolving upstream",
		"2026/11/24 12:00:00 [debug] 7#7: *9 upstream sent too big header while reading response header from upstream",
		"2026/11/24 12:00:00 [crit] 7#7: *9 connect() to unix:/x.sock failed (11: Resource temporarily unavailable) while connecting to upstream",
		"2026/11/24 12:00:00 [crit] 7#7: *9 connect() to 127.0.0.1:8000 failed (99: Cannot assign requested address) while connecting to upstream, client: 1.2.3.4, server: _, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:8000/\", host: \"h\"",
		"2026/11/24 12:00:00 [alert] 7#7: 16 worker_connections are not enough",
		"2026/11/24 12:00:00 [crit] 7#7: accept4() failed (24: Too many open files)",
	};
	for (size_t i = 0; i < sizeof extra / sizeof *extra; i++) {
		lines = realloc(lines, (count + 1) * sizeof *lines);
		lens = realloc(lens, (count + 1) * sizeof *lens);
		lines[count] = extra[i];
		lens[count++] = strlen(extra[i]);
	}
	set_tz("UTC");
	diff_checked = 0;
	for (size_t i = 0; i < count; i++) diff_line(lines[i], lens[i]);
	assert_int_equal(diff_checked, count);

	/* mutants: 1 to 4 changes each; count what the reference saw so the
	 * mutants are known to reach every kind and the "not our layout" path */
	enum { CAP = 4096 };
	char *buf = malloc(CAP);
	unsigned long kinds[GW_LOG_KIND_MAX] = { 0 }, rejected = 0;
	for (int i = 0; i < 60000; i++) {
		size_t k = diff_rand((unsigned)count), n = lens[k];
		memcpy(buf, lines[k], n);
		for (unsigned m = 1 + diff_rand(4); m; m--) n = diff_mutate(buf, n, CAP);
		diff_line(buf, n);
		struct gw_log_event ev;
		if (ref_nginx_error(buf, n, &ev)) kinds[ev.kind]++;
		else rejected++;
	}
	assert_true(rejected > 1000);
	static const enum gw_log_kind want[] = { GW_LOG_OTHER, GW_LOG_RESOLVE, GW_LOG_NO_LIVE, GW_LOG_BIG_HEADER,
		GW_LOG_INVALID_HEADER, GW_LOG_PREMATURE_CLOSE, GW_LOG_TIMEOUT, GW_LOG_CONNECT_REFUSED,
		GW_LOG_SOCKET_NOENT, GW_LOG_SOCKET_EACCES, GW_LOG_AGAIN, GW_LOG_RESET, GW_LOG_NGINX_EMERG,
		GW_LOG_TLS, GW_LOG_WORKER_CONNECTIONS, GW_LOG_FD_LIMIT, GW_LOG_ADDR_NOTAVAIL };
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		if (kinds[want[i]] < 20) fail_msg("mutants reached %s only %lu times", gw_log_kind_name(want[i]), kinds[want[i]]);

	/* each phrase at every offset of a message, whole and cut by one
	 * byte, so it falls across every position of a 16-byte block */
	for (size_t ph = 0; ph < 11; ph++) {
		for (size_t cut = 0; cut <= 1; cut++) {
			for (size_t off = 0; off < 40; off++) {
				size_t pl = strlen(diff_pieces[ph]) - cut;
				int n = snprintf(buf, CAP, "2026/11/24 12:00:00 [error] 7#7: *1 %.*s%.*s (111: x) upstream%s",
						 (int)off, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
						 (int)pl, diff_pieces[ph], off % 2 ? ", client: 1.2.3.4" : "");
				diff_line(buf, (size_t)n);
				n = snprintf(buf, CAP, "2026/11/24 12:00:00 [error] 7#7: %.*s%.*s", (int)off,
					     "..............................................", (int)pl, diff_pieces[ph]);
				diff_line(buf, (size_t)n);
			}
		}
	}
	/* the minute cache: many minutes, seconds and zones in a row */
	static const char *const zones[] = { "UTC", "Europe/Berlin", NULL, "America/New_York", "Asia/Kolkata" };
	for (int i = 0; i < 500; i++) {
		if (i % 50 == 0 && zones[(i / 50) % 5]) {
			set_tz(zones[(i / 50) % 5]);
		} else if (i % 50 == 0) {                /* unset: the system's zone */
			unsetenv("TZ");
			tzset();
		}
		int n = snprintf(buf, CAP, "2026/%02d/%02d %02d:%02d:%02d [warn] 1#1: x", 1 + i % 12, 1 + i % 28,
				 (i * 7) % 24, (i * 13) % 60, (i * 31) % 61);
		diff_line(buf, (size_t)n);
		diff_line(buf, (size_t)n);
	}
	set_tz("UTC");
	free(buf);
	free(lines);
	free(lens);
	free(err_log);
	free(stderr_txt);
	free(causes2);
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

/* error.log's stamp as fields (the live stream's DST choice reads it):
 * exactly what logclass_nginx_error accepts as a time, nothing looser */
static void test_nginx_stamp(void **state)
{
	(void)state;
	struct tm tm;
	static const char ok[] = "2026/10/25 02:30:07 [error] 7#7: x";
	assert_int_equal(logclass_nginx_stamp(ok, sizeof ok - 1, &tm), 1);
	assert_int_equal(tm.tm_year, 126);
	assert_int_equal(tm.tm_mon, 9);
	assert_int_equal(tm.tm_mday, 25);
	assert_int_equal(tm.tm_hour, 2);
	assert_int_equal(tm.tm_min, 30);
	assert_int_equal(tm.tm_sec, 7);
	assert_int_equal(tm.tm_isdst, -1);
	/* not NUL-terminated after the stamp: only 19 bytes are read */
	assert_int_equal(logclass_nginx_stamp(ok, 19, &tm), 1);
	assert_int_equal(logclass_nginx_stamp(ok, 18, &tm), 0);
	static const char *const bad[] = {
		"2026/1/25 02:30:07 [error]", "2026/10/25 2:30:07 [error] ", "2026-10-25 02:30:07 [error]",
		"2026/13/25 02:30:07 [error]", "2026/10/25 24:30:07 [error]", "2026/10/25 02:60:07 [error]",
		"2026/10/25 02:30:61 [error]", "1969/10/25 02:30:07 [error]", "2026/10/25 02:30: 7 [error]",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct gw_log_event ev;
		assert_int_equal(logclass_nginx_stamp(bad[i], strlen(bad[i]), &tm), 0);
		/* the classifier agrees: no error.log layout */
		assert_int_equal(logclass_nginx_error(bad[i], strlen(bad[i]), &ev), 0);
	}
}

int main(void)
{
	const char *f = __FILE__;
	const char *slash = strrchr(f, '/');
	snprintf(fixture_dir, sizeof fixture_dir, "%.*s/../fixtures/logs",
		 slash ? (int)(slash - f) : 1, slash ? f : ".");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nginx_fixture),
		cmocka_unit_test(test_nginx_causes2),
		cmocka_unit_test(test_nginx_local_time),
		cmocka_unit_test(test_nginx_stamp),
		cmocka_unit_test(test_nginx_stderr),
		cmocka_unit_test(test_nginx_source_formats),
		cmocka_unit_test(test_nginx_differential),
		cmocka_unit_test(test_app_fixtures),
		cmocka_unit_test(test_app_source_formats),
		cmocka_unit_test(test_kernel_lines),
		cmocka_unit_test(test_kmsg_record),
		cmocka_unit_test(test_junk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
