/* test_nginx_conf.c — the nginx configuration probe on the fixture trees in
 * tests/fixtures/nginx/ (Debian-like layout, quoting, variables, IPv6, unix
 * sockets, all five *_pass directives, broken syntax, include loops,
 * missing includes), on generated hostile inputs (binary garbage, a file
 * over 16 MiB, deep and wide include trees), on nginx_conf_locate, and on
 * the real /usr/sbin/nginx -t, which must agree with the parser about which
 * fixtures are valid and where the broken ones break.
 * Run from the repository root (fixtures are found relative to the cwd). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "nginx_conf.h"

#define NGINX_BIN "/usr/sbin/nginx"

static char fixtures[PATH_MAX];      /* absolute tests/fixtures/nginx */

/* Absolute path of a fixture file (static buffer rotation: 4 at a time). */
static const char *fx(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int k;
	char *b = buf[k++ & 3];
	gw_fmt(b, PATH_MAX, "%s/%s", fixtures, rel);
	return b;
}

/* ------------------------------------------------------------ temp dirs */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	chmod(path, 0700);
	return remove(path);
}

static int tmp_setup(void **state)
{
	char *d = strdup("/tmp/gwtop-nginxconf-XXXXXX");
	if (!d || !mkdtemp(d)) return -1;
	*state = d;
	return 0;
}

static int tmp_teardown(void **state)
{
	char *d = *state;
	if (d) nftw(d, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
	return 0;
}

static void write_file(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void write_file(const char *path, const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
}

/* ------------------------------------------------------------ helpers */

static struct gw_nginx_conf *parse(const char *path, const char *prefix, int expect)
{
	struct gw_nginx_conf *c = calloc(1, sizeof *c);
	assert_non_null(c);
	int r = nginx_conf_parse(c, path, prefix);
	assert_int_equal(c->parsed, 1);
	assert_int_equal(r, expect);
	assert_int_equal(c->ok, expect == 0);
	return c;
}

static void conf_done(struct gw_nginx_conf *c)
{
	nginx_conf_free(c);
	free(c);
}

static int has_warning(const struct gw_nginx_conf *c, const char *needle,
		       const char *file, int line)
{
	for (size_t i = 0; i < c->warnings.n; i++) {
		const struct gw_conf_warning *w = &c->warnings.v[i];
		if (!strstr(w->text, needle)) continue;
		if (file && (strcmp(w->loc.file, file) || w->loc.line != line)) continue;
		return 1;
	}
	return 0;
}

static int has_file(const struct gw_nginx_conf *c, const char *path)
{
	for (size_t i = 0; i < c->files.n; i++)
		if (!strcmp(c->files.v[i].path, path)) return c->files.v[i].mtime > 0;
	return 0;
}

/* Run the real nginx -t on conf with a private prefix; returns the exit
 * status and the output in out. */
static int nginx_t(const char *conf, const char *tmpdir, char *out, size_t outsz)
{
	char logs[PATH_MAX], err[PATH_MAX], prefix[PATH_MAX];
	gw_fmt(logs, sizeof logs, "%s/logs", tmpdir);
	gw_fmt(err, sizeof err, "%s/logs/startup-error.log", tmpdir);
	gw_fmt(prefix, sizeof prefix, "%s/", tmpdir);
	mkdir(logs, 0755);
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execl(NGINX_BIN, "nginx", "-t", "-q", "-e", err, "-p", prefix, "-c", conf, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	size_t len = 0;
	ssize_t r;
	while (len + 1 < outsz && (r = read(pfd[0], out + len, outsz - 1 - len)) > 0) len += (size_t)r;
	out[len] = '\0';
	close(pfd[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ------------------------------------------------------------ tests */

static void test_debian_tree(void **state)
{
	(void)state;
	struct gw_nginx_conf *c = parse(fx("debian/nginx.conf"), "/srv/pfx", 0);
	assert_string_equal(c->error, "");
	assert_int_equal(c->warnings.n, 0);
	assert_string_equal(c->prefix, "/srv/pfx/");

	/* files: main + mime.types + the conf.d and sites-enabled globs (not sites-available) */
	assert_int_equal(c->files.n, 5);
	assert_true(has_file(c, fx("debian/nginx.conf")));
	assert_true(has_file(c, fx("debian/mime.types")));
	assert_true(has_file(c, fx("debian/conf.d/timeouts.conf")));
	assert_true(has_file(c, fx("debian/sites-enabled/app")));
	assert_true(has_file(c, fx("debian/sites-enabled/default")));
	assert_false(has_file(c, fx("debian/sites-available/default")));

	assert_string_equal(c->user, "www-data");
	assert_string_equal(c->group, "");
	assert_int_equal(c->user_loc.line, 2);

	/* listens: glob order is sorted, so sites-enabled/app comes first */
	assert_int_equal(c->listens.n, 3);
	assert_int_equal(c->listens.v[0].addr.kind, GW_ADDR_INET);
	assert_string_equal(c->listens.v[0].addr.host, "127.0.0.1");
	assert_int_equal(c->listens.v[0].addr.port, 8080);
	assert_string_equal(c->listens.v[0].server_name, "app.example.com");
	assert_string_equal(c->listens.v[0].loc.file, fx("debian/sites-enabled/app"));
	assert_int_equal(c->listens.v[0].loc.line, 3);
	assert_int_equal(c->listens.v[1].addr.kind, GW_ADDR_INET);
	assert_string_equal(c->listens.v[1].addr.host, "");
	assert_int_equal(c->listens.v[1].addr.port, 80);
	assert_string_equal(c->listens.v[1].server_name, "_");
	assert_int_equal(c->listens.v[2].addr.kind, GW_ADDR_INET6);
	assert_string_equal(c->listens.v[2].addr.host, "::");
	assert_int_equal(c->listens.v[2].addr.port, 80);

	/* passes with their context; the upstream is defined after its use */
	assert_int_equal(c->passes.n, 3);
	const struct gw_conf_pass *p = &c->passes.v[0];
	assert_string_equal(p->directive, "proxy_pass");
	assert_string_equal(p->arg, "http://app_backend");
	assert_string_equal(p->scheme, "http");
	assert_int_equal(p->addr.kind, GW_ADDR_UPSTREAM);
	assert_string_equal(p->addr.host, "app_backend");
	assert_string_equal(p->location, "/");
	assert_string_equal(p->server_name, "app.example.com");
	assert_int_equal(p->server_port, 8080);
	assert_string_equal(p->loc.file, fx("debian/sites-enabled/app"));
	assert_int_equal(p->loc.line, 7);
	p = &c->passes.v[1];
	assert_int_equal(p->addr.kind, GW_ADDR_INET);
	assert_string_equal(p->addr.host, "127.0.0.1");
	assert_int_equal(p->addr.port, 8000);
	assert_string_equal(p->location, "/api/");
	p = &c->passes.v[2];
	assert_int_equal(p->addr.kind, GW_ADDR_UNIX);
	assert_string_equal(p->addr.path, "/run/gunicorn.sock");
	assert_int_equal(p->addr.port, 0);
	assert_string_equal(p->location, "/static/");
	assert_int_equal(p->loc.line, 14);

	/* the upstream block */
	assert_int_equal(c->upstreams.n, 1);
	const struct gw_conf_upstream *u = &c->upstreams.v[0];
	assert_string_equal(u->name, "app_backend");
	assert_int_equal(u->loc.line, 18);
	assert_int_equal(u->servers.n, 5);
	assert_int_equal(u->servers.v[0].addr.port, 8001);
	assert_false(u->servers.v[0].down || u->servers.v[0].backup);
	assert_true(u->servers.v[1].backup);
	assert_false(u->servers.v[1].down);
	assert_true(u->servers.v[2].down);
	assert_int_equal(u->servers.v[2].loc.line, 21);
	assert_int_equal(u->servers.v[4].addr.kind, GW_ADDR_HOST);
	assert_string_equal(u->servers.v[4].addr.host, "localhost");
	assert_int_equal(u->servers.v[4].addr.port, 80);   /* no port means 80 */

	/* settings: values in seconds / bytes, with context */
	struct { const char *dir, *ctx; double v; const char *file; int line; } want[] = {
		{ "worker_processes", "main", -1, "debian/nginx.conf", 3 },        /* auto */
		{ "worker_connections", "main", 768, "debian/nginx.conf", 8 },     /* events{} */
		{ "client_max_body_size", "http", 10 * 1024 * 1024, "debian/nginx.conf", 17 },
		{ "proxy_read_timeout", "http", 90, "debian/nginx.conf", 18 },
		{ "proxy_connect_timeout", "http", 5, "debian/conf.d/timeouts.conf", 1 },
		{ "proxy_send_timeout", "http", 90, "debian/conf.d/timeouts.conf", 2 },
		{ "send_timeout", "http", 0.5, "debian/conf.d/timeouts.conf", 3 },
		{ "proxy_read_timeout", "location /", 30, "debian/sites-enabled/app", 8 },
	};
	assert_int_equal(c->settings.n, sizeof want / sizeof *want);
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		const struct gw_conf_setting *st = &c->settings.v[i];
		assert_string_equal(st->directive, want[i].dir);
		assert_string_equal(st->context, want[i].ctx);
		assert_float_equal(st->value_num, want[i].v, 1e-9);
		assert_string_equal(st->loc.file, fx(want[i].file));
		assert_int_equal(st->loc.line, want[i].line);
	}

	/* logs: relative paths resolved against the prefix */
	assert_int_equal(c->logs.n, 3);
	assert_false(c->logs.v[0].is_access);
	assert_string_equal(c->logs.v[0].path, "/srv/pfx/logs/error.log");
	assert_string_equal(c->logs.v[0].level, "warn");
	assert_true(c->logs.v[1].is_access);
	assert_string_equal(c->logs.v[1].path, "/srv/pfx/logs/access.log");
	assert_string_equal(c->logs.v[2].path, "/var/log/nginx/app.access.log");
	assert_int_equal(c->logs.v[2].loc.line, 5);
	conf_done(c);
}

static void test_debian_targets(void **state)
{
	(void)state;
	struct gw_snapshot *s = calloc(1, sizeof *s);
	assert_non_null(s);
	snapshot_init(s);
	assert_int_equal(nginx_conf_parse(&s->conf, fx("debian/nginx.conf"), NULL), 0);
	nginx_conf_build_targets(s);
	/* 5 upstream servers; the direct 127.0.0.1:8000 duplicates one; + unix */
	assert_int_equal(s->targets.n, 6);
	const char *disp[] = { "127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8003",
			       "127.0.0.1:8000", "localhost:80", "unix:/run/gunicorn.sock" };
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(s->targets.v[i].display, disp[i]);
		assert_int_equal(s->targets.v[i].listener_idx, -1);
		assert_int_not_equal(s->targets.v[i].addr.kind, GW_ADDR_UPSTREAM);
	}
	const struct gw_target *t = &s->targets.v[3];
	assert_string_equal(t->upstream_name, "app_backend");    /* first pass wins */
	assert_int_equal(t->pass_loc.line, 7);
	assert_int_equal(t->server_loc.line, 22);
	assert_string_equal(t->server_name, "app.example.com");
	assert_string_equal(t->directive, "proxy_pass");
	assert_string_equal(t->scheme, "http");
	assert_true(s->targets.v[1].backup);
	assert_true(s->targets.v[2].down);
	t = &s->targets.v[5];
	assert_int_equal(t->addr.kind, GW_ADDR_UNIX);
	assert_string_equal(t->upstream_name, "");
	assert_string_equal(t->location, "/static/");
	assert_int_equal(t->pass_loc.line, 14);
	assert_int_equal(t->server_loc.line, 0);
	/* re-parsing into the same struct and rebuilding do not duplicate */
	GW_COPY(s->conf.conf_source, "nginx -V");
	assert_int_equal(nginx_conf_parse(&s->conf, fx("debian/nginx.conf"), NULL), 0);
	assert_int_equal(s->conf.passes.n, 3);
	assert_int_equal(s->conf.files.n, 5);
	assert_string_equal(s->conf.conf_source, "nginx -V");
	nginx_conf_build_targets(s);
	assert_int_equal(s->targets.n, 6);
	assert_int_equal(s->notes.n, 0);
	snapshot_free(s);
	free(s);
}

static void test_all_passes_ipv6_unix(void **state)
{
	(void)state;
	struct gw_nginx_conf *c = parse(fx("passes/nginx.conf"), NULL, 0);
	struct { const char *dir, *scheme; enum gw_addr_kind kind; const char *host; int port;
		 const char *path, *location; } want[] = {
		{ "proxy_pass", "http", GW_ADDR_INET6, "::1", 8000, "", "/a" },
		{ "proxy_pass", "https", GW_ADDR_INET, "127.0.0.1", 443, "", "/b" },
		{ "proxy_pass", "http", GW_ADDR_HOST, "localhost", 9000, "", "/c" },
		{ "proxy_pass", "http", GW_ADDR_INET, "127.0.0.1", 80, "", "/d" },
		{ "fastcgi_pass", "", GW_ADDR_UNIX, "", 0, "/run/php/php8.2-fpm.sock", "~ \\.php$" },
		{ "fastcgi_pass", "", GW_ADDR_INET, "127.0.0.1", 9000, "", "/f" },
		{ "uwsgi_pass", "", GW_ADDR_UNIX, "", 0, "/run/uwsgi/app.sock", "/u" },
		{ "uwsgi_pass", "uwsgi", GW_ADDR_INET, "127.0.0.1", 3031, "", "/u2" },
		{ "scgi_pass", "", GW_ADDR_INET6, "::1", 4000, "", "/s" },
		{ "grpc_pass", "grpc", GW_ADDR_INET, "127.0.0.1", 50051, "", "/g" },
		{ "grpc_pass", "grpcs", GW_ADDR_INET6, "::1", 50052, "", "/g2" },
		{ "grpc_pass", "", GW_ADDR_UPSTREAM, "grpc_up", 0, "", "/g3" },
		{ "proxy_pass", "http", GW_ADDR_INET6, "::1", 8000, "", "/" },
	};
	assert_int_equal(c->passes.n, sizeof want / sizeof *want);
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		const struct gw_conf_pass *p = &c->passes.v[i];
		assert_string_equal(p->directive, want[i].dir);
		assert_string_equal(p->scheme, want[i].scheme);
		assert_int_equal(p->addr.kind, want[i].kind);
		assert_string_equal(p->addr.host, want[i].host);
		assert_int_equal(p->addr.port, want[i].port);
		assert_string_equal(p->addr.path, want[i].path);
		assert_string_equal(p->location, want[i].location);
		assert_int_equal(p->loc.line, i < 12 ? (int)i + 9 : 27);
		assert_int_equal(p->server_port, i < 12 ? 8443 : 8081);
		assert_string_equal(p->server_name, i < 12 ? "v6.example" : "");
	}
	/* listen forms */
	struct { const char *raw; enum gw_addr_kind kind; const char *host; int port; const char *path; } lw[] = {
		{ "[::1]:8443", GW_ADDR_INET6, "::1", 8443, "" },
		{ "unix:/tmp/gwtop-fixture-nginx.sock", GW_ADDR_UNIX, "", 0, "/tmp/gwtop-fixture-nginx.sock" },
		{ "*:8081", GW_ADDR_INET, "", 8081, "" },
		{ "localhost:8082", GW_ADDR_HOST, "localhost", 8082, "" },
		{ "8083", GW_ADDR_INET, "", 8083, "" },
		{ "[::]:8084", GW_ADDR_INET6, "::", 8084, "" },
	};
	assert_int_equal(c->listens.n, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(c->listens.v[i].raw, lw[i].raw);
		assert_int_equal(c->listens.v[i].addr.kind, lw[i].kind);
		assert_string_equal(c->listens.v[i].addr.host, lw[i].host);
		assert_int_equal(c->listens.v[i].addr.port, lw[i].port);
		assert_string_equal(c->listens.v[i].addr.path, lw[i].path);
	}

	/* targets: the second server's [::1]:8000 is merged into the first;
	 * grpc_up expands to its server */
	struct gw_snapshot *s = calloc(1, sizeof *s);
	assert_non_null(s);
	snapshot_init(s);
	s->conf = *c;                     /* hand the tables over */
	free(c);
	nginx_conf_build_targets(s);
	assert_int_equal(s->targets.n, 12);
	assert_string_equal(s->targets.v[0].display, "[::1]:8000");
	assert_int_equal(s->targets.v[0].pass_loc.line, 9);
	assert_string_equal(s->targets.v[4].display, "unix:/run/php/php8.2-fpm.sock");
	assert_true(s->targets.v[4].not_http);
	assert_false(s->targets.v[0].not_http);
	assert_string_equal(s->targets.v[11].display, "[::1]:50051");
	assert_string_equal(s->targets.v[11].upstream_name, "grpc_up");
	assert_string_equal(s->targets.v[11].directive, "grpc_pass");
	snapshot_free(s);
	free(s);
}

static void test_quoting_escapes_comments(void **state)
{
	(void)state;
	struct gw_nginx_conf *c = parse(fx("quoting/nginx.conf"), NULL, 0);
	assert_int_equal(c->listens.n, 1);
	assert_string_equal(c->listens.v[0].raw, "127.0.0.1:8090");
	assert_int_equal(c->listens.v[0].addr.port, 8090);
	assert_string_equal(c->listens.v[0].server_name, "quoted.example");
	assert_int_equal(c->passes.n, 5);           /* the commented-out one is not there */
	assert_string_equal(c->passes.v[0].arg, "http://127.0.0.1:8001/with space/");
	assert_string_equal(c->passes.v[0].location, "/with space/");
	assert_int_equal(c->passes.v[0].addr.port, 8001);
	assert_string_equal(c->passes.v[1].location, "/single'quote");
	assert_int_equal(c->passes.v[2].loc.line, 15);
	assert_string_equal(c->passes.v[3].location, "/hash#notcomment");
	assert_int_equal(c->passes.v[3].loc.line, 18);    /* where the directive starts */
	assert_int_equal(c->passes.v[3].addr.port, 8004);
	assert_string_equal(c->passes.v[4].location, "/brace{");
	assert_int_equal(c->passes.v[4].addr.port, 8005);
	conf_done(c);
}

/* Escapes inside and outside quotes, as nginx unescapes them. */
static void test_escapes_generated(void **state)
{
	char path[PATH_MAX];
	gw_fmt(path, sizeof path, "%s/esc.conf", (char *)*state);
	write_file(path,
		   "http { server { server_name \"a\\\"b\\\\c\\td\\x\";\n"
		   "location a\\ b { proxy_pass http://127.0.0.1:1; } } }\n");
	struct gw_nginx_conf *c = parse(path, NULL, 0);
	assert_int_equal(c->passes.n, 1);
	assert_string_equal(c->passes.v[0].server_name, "a\"b\\c\td\\x");
	assert_string_equal(c->passes.v[0].location, "a\\ b");
	assert_int_equal(c->passes.v[0].loc.line, 2);
	conf_done(c);
}

/* stream{} upstreams, an upstream name with a port (not the upstream), an
 * unknown host name, a snippet included twice (not a loop), if{} blocks. */
static void test_contexts_generated(void **state)
{
	const char *d = *state;
	char path[PATH_MAX], snip[PATH_MAX];
	gw_fmt(snip, sizeof snip, "%s/proxy.inc", d);
	write_file(snip, "proxy_read_timeout 7s;\n");
	gw_fmt(path, sizeof path, "%s/nginx.conf", d);
	write_file(path,
		   "events { }\n"                                               /* 1 */
		   "stream {\n"                                                  /* 2 */
		   "  upstream db { server 127.0.0.1:5432; server db2.internal:5432 backup; }\n"
		   "  server { listen 5433; proxy_pass db; }\n"                  /* 4 */
		   "}\n"
		   "http {\n"                                                    /* 6 */
		   "  upstream app { server 127.0.0.1:8000 max_fails=3 fail_timeout=1m; keepalive 8; keepalive_timeout 30s; }\n"
		   "  server {\n"                                                /* 8 */
		   "    location /a { include proxy.inc; proxy_pass http://app:8080; }\n"
		   "    location /b { include proxy.inc; if ($x) { proxy_pass http://backend.internal; } }\n"
		   "    listen 8088;\n"                                          /* 11: after the passes */
		   "    server_name late.example;\n"
		   "  }\n"
		   "}\n");
	struct gw_snapshot *s = calloc(1, sizeof *s);
	assert_non_null(s);
	snapshot_init(s);
	assert_int_equal(nginx_conf_parse(&s->conf, path, NULL), 0);
	struct gw_nginx_conf *c = &s->conf;
	assert_int_equal(c->warnings.n, 0);
	assert_int_equal(c->files.n, 2);             /* the snippet once in the list */
	assert_int_equal(c->settings.n, 2);          /* ... but read at both sites */
	assert_int_equal(c->upstreams.n, 2);
	assert_int_equal(c->upstreams.v[0].servers.v[0].max_fails, -1);        /* not given */
	assert_float_equal(c->upstreams.v[0].servers.v[0].fail_timeout, -1, 1e-9);
	assert_int_equal(c->upstreams.v[1].servers.v[0].max_fails, 3);
	assert_float_equal(c->upstreams.v[1].servers.v[0].fail_timeout, 60, 1e-9);
	assert_int_equal(c->upstreams.v[1].servers.v[0].loc.line, 7);
	assert_int_equal(c->upstreams.v[0].keepalive, 0);
	assert_float_equal(c->upstreams.v[0].keepalive_timeout, -1, 1e-9);
	assert_int_equal(c->upstreams.v[1].keepalive, 8);
	assert_int_equal(c->upstreams.v[1].keepalive_loc.line, 7);
	assert_float_equal(c->upstreams.v[1].keepalive_timeout, 30, 1e-9);
	assert_string_equal(c->settings.v[1].context, "location /b");
	assert_string_equal(c->settings.v[1].loc.file, snip);
	assert_int_equal(c->passes.n, 3);
	assert_int_equal(c->passes.v[0].addr.kind, GW_ADDR_UPSTREAM);     /* stream: proxy_pass db */
	assert_string_equal(c->passes.v[0].addr.host, "db");
	assert_int_equal(c->passes.v[0].server_port, 5433);
	assert_int_equal(c->passes.v[1].addr.kind, GW_ADDR_HOST);         /* app:8080 is not upstream app */
	assert_string_equal(c->passes.v[1].addr.host, "app");
	assert_int_equal(c->passes.v[1].addr.port, 8080);
	assert_int_equal(c->passes.v[2].addr.kind, GW_ADDR_HOST);
	assert_string_equal(c->passes.v[2].addr.host, "backend.internal");
	assert_int_equal(c->passes.v[2].addr.port, 80);
	assert_string_equal(c->passes.v[2].location, "/b");               /* through if{} */
	assert_string_equal(c->passes.v[2].server_name, "late.example");  /* known only at '}' */
	assert_int_equal(c->passes.v[2].server_port, 8088);
	nginx_conf_build_targets(s);
	assert_int_equal(s->targets.n, 4);
	assert_string_equal(s->targets.v[0].display, "127.0.0.1:5432");
	assert_true(s->targets.v[0].not_http);                            /* stream: TCP only */
	assert_string_equal(s->targets.v[1].display, "db2.internal:5432");
	assert_true(s->targets.v[1].backup);
	assert_string_equal(s->targets.v[2].display, "app:8080");
	assert_false(s->targets.v[2].not_http);
	assert_string_equal(s->targets.v[3].display, "backend.internal:80");
	snapshot_free(s);
	free(s);
}

static void test_variables(void **state)
{
	(void)state;
	struct gw_snapshot *s = calloc(1, sizeof *s);
	assert_non_null(s);
	snapshot_init(s);
	assert_int_equal(nginx_conf_parse(&s->conf, fx("variables/nginx.conf"), NULL), 0);
	struct gw_nginx_conf *c = &s->conf;
	assert_int_equal(c->upstreams.n, 0);        /* "server" inside map{} is data */
	assert_int_equal(c->passes.n, 3);
	assert_int_equal(c->passes.v[0].addr.kind, GW_ADDR_VARIABLE);
	assert_string_equal(c->passes.v[0].addr.host, "http://$backend");
	/* `set $up "127.0.0.1:8001";` is a constant: the target is known */
	assert_int_equal(c->passes.v[1].addr.kind, GW_ADDR_INET);
	assert_string_equal(c->passes.v[1].addr.host, "127.0.0.1");
	assert_int_equal(c->passes.v[1].addr.port, 8001);
	assert_string_equal(c->passes.v[1].arg, "http://${up}/b/");
	assert_int_equal(c->passes.v[2].addr.kind, GW_ADDR_INET);
	nginx_conf_build_targets(s);
	assert_int_equal(s->targets.n, 2);
	assert_string_equal(s->targets.v[0].display, "127.0.0.1:8001");
	assert_string_equal(s->targets.v[1].display, "127.0.0.1:8002");
	assert_int_equal(s->notes.n, 1);
	char want[PATH_MAX + 128];
	gw_fmt(want, sizeof want, "proxy_pass http://$backend at %s:11 uses variables: target not statically known",
		 fx("variables/nginx.conf"));
	assert_string_equal(s->notes.v[0].text, want);
	assert_string_equal(s->notes.v[0].probe, "nginx-conf");
	snapshot_free(s);
	free(s);
}

/* Variables only in the URI leave the host static; `set` constants are
 * scoped to their block; a variable-valued `set` hides an outer constant;
 * unix:/// is a socket path. */
static void test_variables_scoped(void **state)
{
	char path[PATH_MAX];
	struct gw_snapshot *s = calloc(1, sizeof *s);
	assert_non_null(s);
	snapshot_init(s);
	gw_fmt(path, sizeof path, "%s/nginx.conf", (char *)*state);
	write_file(path,
		   "events {}\nhttp {\n server {\n  listen 127.0.0.1:1;\n  set $backend 127.0.0.1:8001;\n"
		   "  location / { proxy_pass http://$backend; }\n"
		   "  location /b/ { set $backend 127.0.0.1:8002; proxy_pass http://$backend/x; }\n"
		   "  location /c/ { proxy_pass http://127.0.0.1:8003/api$request_uri; }\n"
		   "  location /d/ { uwsgi_pass unix:///run/app.sock; }\n"
		   "  location /e/ { proxy_pass http://$host$request_uri; }\n"
		   "  location /f/ { set $backend $http_x; proxy_pass http://$backend; }\n"
		   "  location /g/ { proxy_pass http://backend/room?x=$arg_x; }\n"
		   " }\n upstream backend { server 127.0.0.1:8004; }\n}\n"
		   "stream { server { listen 1; set $s 1; } }\n");
	assert_int_equal(nginx_conf_parse(&s->conf, path, NULL), 0);
	nginx_conf_build_targets(s);
	const char *want[] = { "127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8003", "unix:/run/app.sock",
			       "127.0.0.1:8004" };
	assert_int_equal(s->targets.n, 5);
	for (size_t i = 0; i < 5; i++) assert_string_equal(s->targets.v[i].display, want[i]);
	assert_string_equal(s->targets.v[3].directive, "uwsgi_pass");
	assert_int_equal(s->notes.n, 2);              /* /e/ and /f/ are not known */
	assert_non_null(strstr(s->notes.v[0].text, "http://$host$request_uri"));
	assert_non_null(strstr(s->notes.v[1].text, "http://$backend at"));
	snapshot_free(s);
	free(s);
}

/* Targets merge by endpoint (addr_eq): host names in any case, IPv6
 * literals by value ([0:0::1] is [::1]: fixed with the address module,
 * issue 18), unix paths byte for byte. */
static void test_targets_merge_by_endpoint(void **state)
{
	char path[PATH_MAX];
	struct gw_snapshot *s = calloc(1, sizeof *s);
	assert_non_null(s);
	snapshot_init(s);
	gw_fmt(path, sizeof path, "%s/nginx.conf", (char *)*state);
	write_file(path,
		   "events {}\nhttp {\n server {\n  listen 127.0.0.1:1;\n"
		   "  location /a/ { proxy_pass http://[::1]:8001; }\n"
		   "  location /b/ { proxy_pass http://[0:0::1]:8001/b/; }\n"
		   "  location /c/ { proxy_pass http://App.Local:8002; }\n"
		   "  location /d/ { proxy_pass http://app.local:8002; }\n"
		   "  location /e/ { proxy_pass http://unix:/run/App.sock; }\n"
		   "  location /f/ { proxy_pass http://unix:/run/app.sock; }\n"
		   "  location /g/ { proxy_pass http://[::2]:8001; }\n"
		   " }\n}\n");
	assert_int_equal(nginx_conf_parse(&s->conf, path, NULL), 0);
	nginx_conf_build_targets(s);
	const char *want[] = { "[::1]:8001", "App.Local:8002", "unix:/run/App.sock", "unix:/run/app.sock",
			       "[::2]:8001" };
	assert_int_equal(s->targets.n, 5);
	for (size_t i = 0; i < 5; i++) assert_string_equal(s->targets.v[i].display, want[i]);
	snapshot_free(s);
	free(s);
}

static void test_glob_no_match(void **state)
{
	(void)state;
	struct gw_nginx_conf *c = parse(fx("empty/nginx.conf"), NULL, 0);
	assert_int_equal(c->warnings.n, 0);
	assert_int_equal(c->files.n, 1);
	assert_int_equal(c->passes.n, 1);
	assert_int_equal(c->passes.v[0].addr.port, 8000);
	conf_done(c);
}

static void test_include_loop(void **state)
{
	(void)state;
	struct gw_nginx_conf *c = parse(fx("loop/nginx.conf"), NULL, 0);
	assert_int_equal(c->files.n, 3);
	assert_int_equal(c->passes.n, 1);           /* a.conf read once */
	assert_true(has_warning(c, "include loop", fx("loop/b.conf"), 2));
	assert_non_null(strstr(c->warnings.v[0].text, "a.conf"));
	conf_done(c);
}

static void test_missing_include(void **state)
{
	(void)state;
	struct gw_nginx_conf *c = parse(fx("missing/nginx.conf"), NULL, -1);
	assert_string_equal(c->error_loc.file, fx("missing/nginx.conf"));
	assert_int_equal(c->error_loc.line, 4);
	assert_non_null(strstr(c->error, "snippets/missing.conf"));
	assert_non_null(strstr(c->error, "No such file or directory"));
	assert_int_equal(c->passes.n, 1);           /* the rest is still read */
	conf_done(c);
}

/* Broken syntax: the exact file:line, what came before is kept, and the
 * real nginx -t names the same place (except for the unterminated quote,
 * where nginx reports the end of file and we report the opening quote). */
static void test_broken_syntax(void **state)
{
	struct { const char *conf, *err_file; int line; const char *msg; size_t passes; int nginx_same; } cases[] = {
		{ "broken/unclosed.conf", "broken/unclosed.conf", 8, "unexpected end of file, expecting \"}\"", 1, 1 },
		{ "broken/extra_brace.conf", "broken/extra_brace.conf", 8, "unexpected \"}\"", 1, 1 },
		{ "broken/unterminated.conf", "broken/unterminated.conf", 6, "unterminated double quoted string", 0, 0 },
		{ "broken/no_semicolon.conf", "broken/no_semicolon.conf", 8, "unexpected end of file, expecting \";\" or \"}\"", 0, 1 },
		{ "broken/main_include.conf", "broken/bad_include.inc", 5, "unexpected \"}\"", 1, 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct gw_nginx_conf *c = parse(fx(cases[i].conf), NULL, -1);
		assert_string_equal(c->error_loc.file, fx(cases[i].err_file));
		assert_int_equal(c->error_loc.line, cases[i].line);
		assert_non_null(strstr(c->error, cases[i].msg));
		assert_int_equal(c->passes.n, cases[i].passes);
		assert_int_equal(c->listens.n, 1);
		conf_done(c);

		char out[4096], where[PATH_MAX + 32];
		assert_int_not_equal(nginx_t(fx(cases[i].conf), *state, out, sizeof out), 0);
		gw_fmt(where, sizeof where, "in %s:%d\n", fx(cases[i].err_file), cases[i].line);
		if (cases[i].nginx_same) assert_non_null(strstr(out, where));
	}
}

static void test_nginx_t_accepts_valid_fixtures(void **state)
{
	const char *valid[] = { "debian/nginx.conf", "passes/nginx.conf", "quoting/nginx.conf",
				"variables/nginx.conf", "empty/nginx.conf" };
	for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
		char out[4096];
		int rc = nginx_t(fx(valid[i]), *state, out, sizeof out);
		if (rc != 0) fprintf(stderr, "nginx -t %s:\n%s\n", valid[i], out);
		assert_int_equal(rc, 0);
		struct gw_nginx_conf *c = parse(fx(valid[i]), NULL, 0);
		conf_done(c);
	}
}

static void test_binary_garbage(void **state)
{
	char path[PATH_MAX];
	gw_fmt(path, sizeof path, "%s/garbage.conf", (char *)*state);
	/* an ELF header: NUL bytes on line 1 */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x7f" "ELF\x02\x01\x01\0\0\0", 10), 10);
	close(fd);
	struct gw_nginx_conf *c = parse(path, NULL, -1);
	assert_non_null(strstr(c->error, "NUL"));
	assert_int_equal(c->error_loc.line, 1);
	conf_done(c);

	/* random bytes biased towards syntax characters: never a crash, and a
	 * result that is consistent (an error always has a location) */
	static const char alphabet[] = "{};\"'\\#$ \n\tabc:/[]*0123456789\0\xff";
	unsigned seed = 12345;
	for (int iter = 0; iter < 3000; iter++) {
		char buf[512];
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof buf);
		for (size_t k = 0; k < len; k++)
			buf[k] = rand_r(&seed) % 4 ? alphabet[rand_r(&seed) % (int)(sizeof alphabet - 1)]
						  : (char)(rand_r(&seed) & 0xff);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, buf, len), (ssize_t)len);
		close(fd);
		struct gw_nginx_conf cc = {0};
		int r = nginx_conf_parse(&cc, path, NULL);
		assert_int_equal(r == 0, cc.ok);
		if (!cc.ok) {
			assert_string_not_equal(cc.error, "");
			assert_string_equal(cc.error_loc.file, path);
			assert_true(cc.error_loc.line >= 1);
		}
		if (memchr(buf, '\0', len)) assert_false(cc.ok);
		nginx_conf_free(&cc);
	}
}

static void test_big_file(void **state)
{
	char big[PATH_MAX], main_conf[PATH_MAX];
	gw_fmt(big, sizeof big, "%s/big.conf", (char *)*state);
	gw_fmt(main_conf, sizeof main_conf, "%s/nginx.conf", (char *)*state);
	int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 17 * 1024 * 1024), 0);   /* sparse */
	close(fd);
	write_file(main_conf, "events { }\nhttp {\n\tinclude big.conf;\n}\n");
	struct gw_nginx_conf *c = parse(main_conf, NULL, -1);
	assert_string_equal(c->error_loc.file, main_conf);
	assert_int_equal(c->error_loc.line, 3);
	assert_non_null(strstr(c->error, "larger than 16 MiB"));
	conf_done(c);
	c = parse(big, NULL, -1);                    /* as the main file */
	assert_string_equal(c->error_loc.file, big);
	assert_non_null(strstr(c->error, "larger than 16 MiB"));
	conf_done(c);
}

static void test_include_depth_cap(void **state)
{
	const char *d = *state;
	char path[PATH_MAX];
	for (int i = 0; i < 40; i++) {
		gw_fmt(path, sizeof path, "%s/f%d.conf", d, i);
		write_file(path, "# level %d\ninclude f%d.conf;\n", i, i + 1);
	}
	gw_fmt(path, sizeof path, "%s/f40.conf", d);
	write_file(path, "worker_processes 1;\n");
	gw_fmt(path, sizeof path, "%s/f0.conf", d);
	struct gw_nginx_conf *c = parse(path, NULL, 0);
	assert_int_equal(c->files.n, NGINX_CONF_MAX_DEPTH + 1);
	char site[PATH_MAX];
	gw_fmt(site, sizeof site, "%s/f%d.conf", d, NGINX_CONF_MAX_DEPTH);
	assert_true(has_warning(c, "nested deeper than 32", site, 2));
	conf_done(c);
}

static void test_file_count_cap(void **state)
{
	const char *d = *state;
	char path[PATH_MAX];
	gw_fmt(path, sizeof path, "%s/many", d);
	assert_int_equal(mkdir(path, 0755), 0);
	for (int i = 0; i < NGINX_CONF_MAX_FILES + 4; i++) {
		gw_fmt(path, sizeof path, "%s/many/%05d.conf", d, i);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_true(fd >= 0);
		close(fd);
	}
	gw_fmt(path, sizeof path, "%s/nginx.conf", d);
	write_file(path, "events { }\n\ninclude many/*.conf;\n");
	struct gw_nginx_conf *c = parse(path, NULL, 0);
	assert_int_equal(c->files.n, NGINX_CONF_MAX_FILES);
	assert_true(has_warning(c, "more than 4096 config files", path, 3));
	conf_done(c);
}

static void test_unreadable_include(void **state)
{
	const char *d = *state;
	char path[PATH_MAX];
	gw_fmt(path, sizeof path, "%s/conf.d", d);
	assert_int_equal(mkdir(path, 0755), 0);
	gw_fmt(path, sizeof path, "%s/conf.d/dir.conf", d);      /* a directory matched by the glob */
	assert_int_equal(mkdir(path, 0755), 0);
	gw_fmt(path, sizeof path, "%s/conf.d/ok.conf", d);
	write_file(path, "server { listen 127.0.0.1:8111; }\n");
	gw_fmt(path, sizeof path, "%s/secret.conf", d);
	write_file(path, "server { listen 127.0.0.1:8112; }\n");
	assert_int_equal(chmod(path, 0), 0);
	gw_fmt(path, sizeof path, "%s/nginx.conf", d);
	write_file(path, "events { }\nhttp {\n\tinclude conf.d/*.conf;\n\tinclude secret.conf;\n}\n");

	struct gw_nginx_conf *c = parse(path, NULL, 0);
	assert_true(has_warning(c, "Is a directory", path, 3));
	assert_true(has_warning(c, "conf.d/dir.conf", path, 3));
	if (geteuid() != 0) {
		assert_true(has_warning(c, "Permission denied", path, 4));
		assert_int_equal(c->listens.n, 1);
	} else {
		assert_int_equal(c->listens.n, 2);   /* root reads mode 000 files */
	}
	assert_int_equal(c->listens.v[0].addr.port, 8111);
	conf_done(c);
}

static void test_main_missing(void **state)
{
	char path[PATH_MAX];
	gw_fmt(path, sizeof path, "%s/nope.conf", (char *)*state);
	struct gw_nginx_conf *c = parse(path, NULL, -1);
	assert_string_equal(c->error_loc.file, path);
	assert_int_equal(c->error_loc.line, 0);
	assert_non_null(strstr(c->error, "No such file or directory"));
	assert_int_equal(c->files.n, 0);
	conf_done(c);
}

static void test_time_size(void **state)
{
	(void)state;
	assert_float_equal(nginx_conf_parse_time("30"), 30, 1e-9);
	assert_float_equal(nginx_conf_parse_time("500ms"), 0.5, 1e-9);
	assert_float_equal(nginx_conf_parse_time("1m30s"), 90, 1e-9);
	assert_float_equal(nginx_conf_parse_time("2h"), 7200, 1e-9);
	assert_float_equal(nginx_conf_parse_time("1d"), 86400, 1e-9);
	assert_float_equal(nginx_conf_parse_time("1m 5s"), 65, 1e-9);
	assert_float_equal(nginx_conf_parse_time("abc"), -1, 1e-9);
	assert_float_equal(nginx_conf_parse_time("10x"), -1, 1e-9);
	assert_float_equal(nginx_conf_parse_time(""), -1, 1e-9);
	assert_float_equal(nginx_conf_parse_size("10m"), 10485760, 1e-9);
	assert_float_equal(nginx_conf_parse_size("512K"), 524288, 1e-9);
	assert_float_equal(nginx_conf_parse_size("1g"), 1073741824.0, 1e-9);
	assert_float_equal(nginx_conf_parse_size("0"), 0, 1e-9);
	assert_float_equal(nginx_conf_parse_size("100"), 100, 1e-9);
	assert_float_equal(nginx_conf_parse_size("10mb"), -1, 1e-9);
	assert_float_equal(nginx_conf_parse_size("m"), -1, 1e-9);
}

static void add_master(struct gw_snapshot *s, const char *cmdline)
{
	struct gw_proc *p = gw_vec_push(&s->procs);
	p->pid = 999999;
	p->role = GW_ROLE_NGINX_MASTER;
	GW_COPY(p->cmdline, cmdline);
}

static void test_locate(void **state)
{
	(void)state;
	char conf[GW_PATH], prefix[GW_PATH], source[64];
	struct gw_snapshot *s = calloc(1, sizeof *s);
	assert_non_null(s);
	snapshot_init(s);

	/* nothing running: nginx -V of the real binary */
	assert_int_equal(nginx_conf_locate(NULL, s, NULL, NGINX_BIN, conf, sizeof conf, prefix, sizeof prefix,
					   source, sizeof source), 0);
	assert_string_equal(conf, "/etc/nginx/nginx.conf");
	assert_string_equal(prefix, "/usr/share/nginx/");
	assert_string_equal(source, "nginx -V");

	/* a binary that does not exist: the Debian defaults */
	assert_int_equal(nginx_conf_locate(NULL, NULL, NULL, "/nonexistent/gwtop-nginx", conf, sizeof conf,
					   prefix, sizeof prefix, source, sizeof source), 0);
	assert_string_equal(conf, "/etc/nginx/nginx.conf");
	assert_string_equal(prefix, "/usr/share/nginx/");
	assert_string_equal(source, "default");

	/* the override wins, and a missing one is an error with errno */
	assert_int_equal(nginx_conf_locate(NULL, s, fx("debian/nginx.conf"), NGINX_BIN, conf, sizeof conf,
					   prefix, sizeof prefix, source, sizeof source), 0);
	assert_string_equal(conf, fx("debian/nginx.conf"));
	assert_string_equal(source, "--nginx-conf");
	errno = 0;
	assert_int_equal(nginx_conf_locate(NULL, s, "/nonexistent/nginx.conf", NGINX_BIN, conf, sizeof conf,
					   prefix, sizeof prefix, source, sizeof source), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(conf, "/nonexistent/nginx.conf");
	assert_string_equal(source, "--nginx-conf");

	/* the running master: -c relative to -p */
	add_master(s, "nginx: master process /usr/sbin/nginx -c conf/nginx.conf -p /srv/site");
	assert_int_equal(nginx_conf_locate(NULL, s, NULL, NGINX_BIN, conf, sizeof conf, prefix, sizeof prefix,
					   source, sizeof source), 0);
	assert_string_equal(conf, "/srv/site/conf/nginx.conf");
	assert_string_equal(prefix, "/srv/site/");
	assert_string_equal(source, "master cmdline");

	/* attached option values, -g with spaces before them */
	s->procs.n = 0;
	add_master(s, "nginx: master process nginx -g daemon off; -c/etc/x/nginx.conf -p/srv/y/");
	assert_int_equal(nginx_conf_locate(NULL, s, NULL, NGINX_BIN, conf, sizeof conf, prefix, sizeof prefix,
					   source, sizeof source), 0);
	assert_string_equal(conf, "/etc/x/nginx.conf");
	assert_string_equal(prefix, "/srv/y/");
	assert_string_equal(source, "master cmdline");

	/* a master without -c/-p: the compiled-in paths */
	s->procs.n = 0;
	add_master(s, "nginx: master process /usr/sbin/nginx -g daemon on; master_process on;");
	assert_int_equal(nginx_conf_locate(NULL, s, NULL, NGINX_BIN, conf, sizeof conf, prefix, sizeof prefix,
					   source, sizeof source), 0);
	assert_string_equal(conf, "/etc/nginx/nginx.conf");
	assert_string_equal(prefix, "/usr/share/nginx/");
	assert_string_equal(source, "nginx -V");

	/* workers are not masters */
	s->procs.n = 0;
	add_master(s, "nginx: worker process -c /wrong.conf");
	s->procs.v[0].role = GW_ROLE_NGINX_WORKER;
	assert_int_equal(nginx_conf_locate(NULL, s, NULL, NGINX_BIN, conf, sizeof conf, prefix, sizeof prefix,
					   source, sizeof source), 0);
	assert_string_equal(conf, "/etc/nginx/nginx.conf");
	snapshot_free(s);
	free(s);
}

/* issue 17 finding 6: with --nginx-conf, -p comes only from the master
 * whose -c is that very file; the override is the real path of the file. */
static void test_locate_override_prefix(void **state)
{
	(void)state;
	char conf[GW_PATH], prefix[GW_PATH], source[64], real[PATH_MAX];
	struct gw_snapshot *s = calloc(1, sizeof *s);
	assert_non_null(realpath(fx("debian/nginx.conf"), real));

	/* an unrelated master's -p is not lent to another config */
	add_master(s, "nginx: master process /usr/sbin/nginx -c /srv/other/nginx.conf -p /srv/other/");
	assert_int_equal(nginx_conf_locate(NULL, s, fx("debian/nginx.conf"), NGINX_BIN, conf, sizeof conf,
					   prefix, sizeof prefix, source, sizeof source), 0);
	assert_string_equal(conf, real);
	assert_string_equal(prefix, "/usr/share/nginx/");       /* nginx -V's */
	assert_string_equal(source, "--nginx-conf");

	/* a relative --nginx-conf: made absolute (the real path), same rule */
	assert_int_equal(nginx_conf_locate(NULL, s, "tests/fixtures/nginx/debian/nginx.conf", NGINX_BIN, conf, sizeof conf,
					   prefix, sizeof prefix, source, sizeof source), 0);
	assert_string_equal(conf, real);
	assert_string_equal(prefix, "/usr/share/nginx/");

	/* the master that runs this very file lends its -p */
	char title[GW_LINE];
	snprintf(title, sizeof title, "nginx: master process /usr/sbin/nginx -c %s -p /srv/site/", fx("debian/../debian/nginx.conf"));
	add_master(s, title);
	assert_int_equal(nginx_conf_locate(NULL, s, "tests/fixtures/nginx/debian/nginx.conf", NGINX_BIN, conf, sizeof conf,
					   prefix, sizeof prefix, source, sizeof source), 0);
	assert_string_equal(conf, real);
	assert_string_equal(prefix, "/srv/site/");
	snapshot_free(s);
	free(s);
}

/* issue 17 finding 12: a total budget of bytes per parse (64 MiB); past
 * it, a warning and the later includes are ignored. 5 files of 14 MiB. */
static void test_parse_budget(void **state)
{
	(void)state;
	char dir[] = "/tmp/gwtop-budget.XXXXXX", path[512], main_conf[512];
	assert_non_null(mkdtemp(dir));
	char *line = malloc(1025);
	memset(line, 'a', 1024);
	line[0] = '#';
	line[1023] = '\n';
	line[1024] = '\0';
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "%s/big%d.conf", dir, i);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		for (int k = 0; k < 14 * 1024; k++) fputs(line, f);
		fprintf(f, "upstream u%d { server 127.0.0.1:%d; }\n", i, 9000 + i);
		fclose(f);
	}
	free(line);
	snprintf(main_conf, sizeof main_conf, "%s/nginx.conf", dir);
	write_file(main_conf, "events {}\nhttp {\n    include %s/big*.conf;\n}\n", dir);
	struct gw_nginx_conf *c = calloc(1, sizeof *c);
	double t0 = gw_mono();
	nginx_conf_parse(c, main_conf, dir);
	double took = gw_mono() - t0;
	print_message("5 x 14 MiB: parsed in %.2f s\n", took);
	assert_true(c->parsed);
	assert_true(has_warning(c, "more than 64 MiB in all", NULL, 0));
	assert_true(has_warning(c, "big4.conf", NULL, 0));     /* the one past the budget is named */
	assert_int_equal((int)c->files.n, 5);                  /* nginx.conf + big0..big3 */
	nginx_conf_free(c);
	free(c);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	if (!getcwd(fixtures, sizeof fixtures - 32)) return 1;
	strcat(fixtures, "/tests/fixtures/nginx");
	if (access(fixtures, R_OK) != 0) {
		fprintf(stderr, "run from the repository root: %s missing\n", fixtures);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_tree),
		cmocka_unit_test(test_debian_targets),
		cmocka_unit_test(test_all_passes_ipv6_unix),
		cmocka_unit_test(test_quoting_escapes_comments),
		cmocka_unit_test_setup_teardown(test_escapes_generated, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_contexts_generated, tmp_setup, tmp_teardown),
		cmocka_unit_test(test_variables),
		cmocka_unit_test_setup_teardown(test_variables_scoped, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_targets_merge_by_endpoint, tmp_setup, tmp_teardown),
		cmocka_unit_test(test_glob_no_match),
		cmocka_unit_test(test_include_loop),
		cmocka_unit_test(test_missing_include),
		cmocka_unit_test_setup_teardown(test_broken_syntax, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_nginx_t_accepts_valid_fixtures, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_binary_garbage, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_big_file, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_include_depth_cap, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_file_count_cap, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_include, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_main_missing, tmp_setup, tmp_teardown),
		cmocka_unit_test(test_time_size),
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_locate_override_prefix),
		cmocka_unit_test(test_parse_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
