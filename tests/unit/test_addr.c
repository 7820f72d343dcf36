/* test_addr.c — the endpoint module (src/addr.c), table-driven: parsing
 * (IPv4, IPv6 with and without brackets, names, unix sockets, ports),
 * equality and its hash, "any", loopback and the names of localhost, the
 * bind match (exact and loose) and which listener takes a connection. The
 * rows marked "fix" are where one of the five old implementations was
 * wrong (issue 18 item 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "addr.h"

static struct gw_addr mk(enum gw_addr_kind k, const char *host, int port, const char *path)
{
	struct gw_addr a;
	memset(&a, 0, sizeof a);
	a.kind = k;
	GW_COPY(a.host, host);
	a.port = port;
	GW_COPY(a.path, path);
	return a;
}

#define INET(h, p) mk(GW_ADDR_INET, (h), (p), "")
#define INET6(h, p) mk(GW_ADDR_INET6, (h), (p), "")
#define HOST(h, p) mk(GW_ADDR_HOST, (h), (p), "")
#define UNIX(p) mk(GW_ADDR_UNIX, "", 0, (p))

/* ---------------------------------------------------------------- parse */

static void test_parse(void **st)
{
	static const struct {
		const char *text;
		int flags;
		int ret;                 /* a port was written */
		enum gw_addr_kind kind;
		const char *host;
		int port;
		const char *path;
	} rows[] = {
		{ "127.0.0.1:8000", 0, 1, GW_ADDR_INET, "127.0.0.1", 8000, "" },
		{ "127.0.0.1", 0, 0, GW_ADDR_INET, "127.0.0.1", 0, "" },
		{ "[::1]:8000", 0, 1, GW_ADDR_INET6, "::1", 8000, "" },
		{ "[::1]", 0, 0, GW_ADDR_INET6, "::1", 0, "" },
		{ "::1", 0, 0, GW_ADDR_INET6, "::1", 0, "" },                    /* bare IPv6 */
		{ "[2001:db8::5]:9000/api/", 0, 1, GW_ADDR_INET6, "2001:db8::5", 9000, "" },
		{ "[::1]:99999", 0, 0, GW_ADDR_INET6, "::1", 0, "" },            /* no such port */
		{ "[app]:80", 0, 1, GW_ADDR_HOST, "app", 80, "" },               /* brackets, a name */
		{ "[::1", 0, 0, GW_ADDR_HOST, "[::1", 0, "" },                   /* unclosed */
		{ "localhost:8000/api/?x=1", 0, 1, GW_ADDR_HOST, "localhost", 8000, "" },
		{ "App.Example:80", 0, 1, GW_ADDR_HOST, "App.Example", 80, "" }, /* case kept as written */
		{ "backend", 0, 0, GW_ADDR_HOST, "backend", 0, "" },
		{ "host:0", 0, 0, GW_ADDR_HOST, "host", 0, "" },
		{ "host:65536", 0, 0, GW_ADDR_HOST, "host", 0, "" },
		{ "host:65535", 0, 1, GW_ADDR_HOST, "host", 65535, "" },
		{ "*:80", 0, 1, GW_ADDR_INET, "", 80, "" },                      /* any */
		{ "8080", ADDR_PORT_ONLY, 1, GW_ADDR_INET, "", 8080, "" },       /* listen 8080 */
		{ "8080", 0, 0, GW_ADDR_HOST, "8080", 0, "" },                   /* proxy_pass http://8080 */
		{ "unix:/run/app.sock", 0, 1, GW_ADDR_UNIX, "", 0, "/run/app.sock" },
		{ "unix:/run/app.sock:/uri", 0, 1, GW_ADDR_UNIX, "", 0, "/run/app.sock" },
		{ "UNIX:/run/App.sock", 0, 1, GW_ADDR_UNIX, "", 0, "/run/App.sock" },
		{ "unix:@abstract", 0, 1, GW_ADDR_UNIX, "", 0, "@abstract" },
	};
	(void)st;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		struct gw_addr a;
		memset(&a, 0x5a, sizeof a);
		int r = addr_parse(rows[i].text, &a, rows[i].flags);
		if (r != rows[i].ret || a.kind != rows[i].kind || strcmp(a.host, rows[i].host) ||
		    a.port != rows[i].port || strcmp(a.path, rows[i].path))
			fail_msg("addr_parse(\"%s\", %d) = %d kind %d host \"%s\" port %d path \"%s\"", rows[i].text,
				 rows[i].flags, r, a.kind, a.host, a.port, a.path);
	}
}

static void test_family_and_normalise(void **st)
{
	static const struct {
		const char *host;
		int family;
		const char *norm;
	} rows[] = {
		{ "127.0.0.1", AF_INET, "127.0.0.1" },
		{ "::1", AF_INET6, "::1" },
		{ "0:0:0:0:0:0:0:1", AF_INET6, "::1" },
		{ "2001:DB8::0005", AF_INET6, "2001:db8::5" },
		{ "::ffff:127.0.0.1", AF_INET6, "::ffff:127.0.0.1" },
		{ "[::1]", 0, "[::1]" },                 /* brackets are not part of a host */
		{ "LocalHost", 0, "localhost" },
		{ "App.Example", 0, "app.example" },
		{ "127.0.0.01", 0, "127.0.0.01" },       /* not a literal inet_pton takes: a name */
		{ "*", 0, "" },
		{ "", 0, "" },
	};
	(void)st;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		char out[64];
		assert_int_equal(addr_family(rows[i].host, NULL), rows[i].family);
		assert_string_equal(addr_normalise(rows[i].host, out, sizeof out), rows[i].norm);
	}
}

/* ---------------------------------------------------------------- equality */

static void test_eq(void **st)
{
	struct row {
		struct gw_addr a, b;
		int eq;
	} rows[] = {
		{ INET("127.0.0.1", 80), INET("127.0.0.1", 80), 1 },
		{ INET("127.0.0.1", 80), INET("127.0.0.1", 81), 0 },
		{ INET("127.0.0.1", 80), INET("127.0.0.2", 80), 0 },
		/* host names are case-insensitive (db_addr_eq was not: fix) */
		{ HOST("DB.Example", 5432), HOST("db.example", 5432), 1 },
		{ HOST("db1", 5432), HOST("db2", 5432), 0 },
		/* IP literals by value (fix: both compared the text) */
		{ INET6("::1", 8000), INET6("0:0:0:0:0:0:0:1", 8000), 1 },
		{ INET6("2001:db8::5", 1), INET6("2001:DB8:0::5", 1), 1 },
		{ INET6("::1", 8000), INET6("::2", 8000), 0 },
		/* a kind is part of the endpoint */
		{ INET("127.0.0.1", 80), HOST("127.0.0.1", 80), 0 },
		{ INET("::1", 80), INET6("::1", 80), 0 },
		/* any, unspelled or "*": the same; a literal 0.0.0.0 names a family */
		{ INET("", 80), INET("*", 80), 1 },
		{ INET("", 80), INET("0.0.0.0", 80), 0 },
		/* unix: the path, byte for byte; the rest does not count */
		{ UNIX("/run/app.sock"), UNIX("/run/app.sock"), 1 },
		{ UNIX("/run/App.sock"), UNIX("/run/app.sock"), 0 },
		{ UNIX("/run/app.sock"), INET("/run/app.sock", 0), 0 },
		/* upstream{} names as nginx matches them: any case */
		{ mk(GW_ADDR_UPSTREAM, "Backend", 0, ""), mk(GW_ADDR_UPSTREAM, "backend", 0, ""), 1 },
	};
	(void)st;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		if (addr_eq(&rows[i].a, &rows[i].b) != rows[i].eq || addr_eq(&rows[i].b, &rows[i].a) != rows[i].eq)
			fail_msg("row %zu: addr_eq(\"%s\"/\"%s\", \"%s\"/\"%s\") != %d", i, rows[i].a.host, rows[i].a.path,
				 rows[i].b.host, rows[i].b.path, rows[i].eq);
		/* the hash nginx_conf merges targets with agrees with addr_eq */
		if (rows[i].eq && addr_hash(&rows[i].a) != addr_hash(&rows[i].b))
			fail_msg("row %zu: equal endpoints hash apart", i);
	}
	/* unix: a stray port or host is not part of the endpoint, for the hash too */
	struct gw_addr u1 = UNIX("/run/a.sock"), u2 = UNIX("/run/a.sock");
	u2.port = 9;
	assert_true(addr_eq(&u1, &u2));
	assert_true(addr_hash(&u1) == addr_hash(&u2));
}

/* ---------------------------------------------------------------- any, loopback */

static void test_any(void **st)
{
	static const struct {
		const char *host;
		int any;
	} rows[] = {
		{ "", 1 }, { "*", 1 }, { "0.0.0.0", 1 }, { "::", 1 }, { "0:0:0:0:0:0:0:0", 1 }, { "::0", 1 },
		{ "127.0.0.1", 0 }, { "::1", 0 }, { "0.0.0.1", 0 }, { "localhost", 0 }, { "any", 0 }, { "**", 0 },
	};
	(void)st;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
		if (addr_is_any(rows[i].host) != rows[i].any)
			fail_msg("addr_is_any(\"%s\") != %d", rows[i].host, rows[i].any);
}

static void test_loopback(void **st)
{
	static const struct {
		const char *host;
		int loopback, name;
	} rows[] = {
		{ "127.0.0.1", 1, 0 },
		{ "127.1.2.3", 1, 0 },                  /* all of 127.0.0.0/8 */
		{ "::1", 1, 0 },
		{ "0:0:0:0:0:0:0:1", 1, 0 },
		{ "::ffff:127.0.0.1", 1, 0 },
		{ "localhost", 1, 1 },
		{ "LOCALHOST", 1, 1 },                  /* fix: docker/units/db knew the lower case only */
		{ "localhost.localdomain", 1, 1 },      /* fix: docker's loopback knew one name */
		{ "ip6-localhost", 1, 1 },
		{ "ip6-loopback", 1, 1 },
		{ "localhost6", 1, 1 },                 /* fix: listeners knew four names */
		{ "localhost6.localdomain6", 1, 1 },
		{ "128.0.0.1", 0, 0 },
		{ "126.255.255.255", 0, 0 },
		{ "::2", 0, 0 },
		{ "::ffff:10.0.0.1", 0, 0 },
		{ "10.0.0.1", 0, 0 },
		{ "0.0.0.0", 0, 0 },
		{ "", 0, 0 },
		{ "localhost.example", 0, 0 },
		{ "mylocalhost", 0, 0 },
		{ "127.example", 0, 0 },                /* fix: docker took any "127." prefix */
	};
	(void)st;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		if (addr_is_loopback(rows[i].host) != rows[i].loopback)
			fail_msg("addr_is_loopback(\"%s\") != %d", rows[i].host, rows[i].loopback);
		if (addr_is_localhost_name(rows[i].host) != rows[i].name)
			fail_msg("addr_is_localhost_name(\"%s\") != %d", rows[i].host, rows[i].name);
	}
	size_t n = 0;
	while (addr_localhost_names[n]) assert_true(addr_is_localhost_name(addr_localhost_names[n++]));
	assert_int_equal(n, 6);
}

/* ---------------------------------------------------------------- bind match */

static void test_bind_matches(void **st)
{
	struct row {
		struct gw_addr bind, target;
		int exact, loose;
	} rows[] = {
		/* any binds, every spelling (fix: docker took no "*", units no "0:0::0") */
		{ INET("0.0.0.0", 8000), INET("127.0.0.1", 8000), 1, 1 },
		{ INET("*", 8000), INET("127.0.0.1", 8000), 1, 1 },
		{ INET("", 8000), HOST("app", 8000), 1, 1 },
		{ INET6("::", 8000), INET("10.0.0.5", 8000), 1, 1 },
		{ INET6("0:0:0:0:0:0:0:0", 8000), INET6("::1", 8000), 1, 1 },
		/* ports */
		{ INET("0.0.0.0", 8000), INET("127.0.0.1", 8001), 0, 0 },
		{ INET("127.0.0.1", 8000), INET("127.0.0.1", 8001), 0, 0 },
		/* the same host, as a value and in any case */
		{ INET("127.0.0.1", 8000), INET("127.0.0.1", 8000), 1, 1 },
		{ INET6("0::1", 8000), INET6("::1", 8000), 1, 1 },
		{ INET("app", 8000), HOST("APP", 8000), 1, 1 },
		/* a name of localhost reaches a loopback bind */
		{ INET("127.0.0.1", 8000), HOST("localhost", 8000), 1, 1 },
		{ INET("127.0.0.2", 8000), HOST("localhost", 8000), 1, 1 },
		{ INET6("::1", 8000), HOST("LocalHost", 8000), 1, 1 },
		{ INET("127.0.0.1", 8000), HOST("localhost.localdomain", 8000), 1, 1 },
		/* but not another address */
		{ INET("127.0.0.1", 8000), INET("10.0.0.5", 8000), 0, 0 },
		{ INET("10.0.0.5", 8000), HOST("localhost", 8000), 0, 0 },   /* fix: units trusted any name's port */
		/* loopback of the other family: only "meant for" (loose) */
		{ INET("127.0.0.1", 8000), INET6("::1", 8000), 0, 1 },
		{ INET6("::1", 8000), INET("127.0.0.1", 8000), 0, 1 },
		{ INET("127.0.0.2", 8000), INET("127.0.0.1", 8000), 0, 0 },
		/* an unresolved name: only the port can be compared (loose) */
		{ INET("10.0.0.5", 8000), HOST("app.internal", 8000), 0, 1 },
		{ INET("10.0.0.5", 8000), HOST("app.internal", 8001), 0, 0 },
		/* unix sockets: the path */
		{ UNIX("/run/app.sock"), UNIX("/run/app.sock"), 1, 1 },
		{ UNIX("/run/app.sock"), UNIX("/run/app2.sock"), 0, 0 },
		{ UNIX("/run/app.sock"), INET("0.0.0.0", 0), 0, 0 },
		{ INET("0.0.0.0", 0), UNIX("/run/app.sock"), 0, 0 },
	};
	(void)st;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		if (addr_bind_matches(&rows[i].bind, &rows[i].target, 0) != rows[i].exact)
			fail_msg("row %zu: bind %s:%d%s serves %s:%d%s exact != %d", i, rows[i].bind.host, rows[i].bind.port,
				 rows[i].bind.path, rows[i].target.host, rows[i].target.port, rows[i].target.path,
				 rows[i].exact);
		if (addr_bind_matches(&rows[i].bind, &rows[i].target, ADDR_MATCH_LOOSE) != rows[i].loose)
			fail_msg("row %zu: bind %s:%d%s serves %s:%d%s loose != %d", i, rows[i].bind.host, rows[i].bind.port,
				 rows[i].bind.path, rows[i].target.host, rows[i].target.port, rows[i].target.path,
				 rows[i].loose);
	}
}

/* ---------------------------------------------------------------- listeners */

static struct gw_listener lis(int family, const char *addr, int port, int v6only, const char *path)
{
	struct gw_listener l;
	memset(&l, 0, sizeof l);
	l.family = family;
	GW_COPY(l.addr, addr);
	l.port = port;
	l.v6only = v6only;
	GW_COPY(l.path, path);
	return l;
}

static void test_find_listener(void **st)
{
	const struct gw_listener ls[] = {
		lis(AF_INET, "127.0.0.1", 4000, -1, ""),    /* 0 */
		lis(AF_INET6, "::1", 6000, 1, ""),          /* 1 */
		lis(AF_INET, "0.0.0.0", 5000, -1, ""),      /* 2 */
		lis(AF_INET6, "::", 7000, 0, ""),           /* 3: dual-stack */
		lis(AF_INET6, "::", 7100, 1, ""),           /* 4: v6 only */
		lis(AF_UNIX, "", 0, -1, "/run/app.sock"),   /* 5 */
		lis(AF_INET, "10.0.0.5", 9000, -1, ""),     /* 6 */
		lis(AF_INET, "0.0.0.0", 80, -1, ""),        /* 7 */
		lis(AF_INET, "127.0.0.1", 5000, -1, ""),    /* 8: beats the wildcard 2 */
		lis(AF_INET6, "::ffff:127.0.0.1", 4100, -1, ""), /* 9 */
	};
	struct row {
		struct gw_addr a;
		int idx, score;
	} rows[] = {
		{ INET("127.0.0.1", 4000), 0, 3 },
		{ INET("127.0.0.2", 4000), -1, 0 },
		{ HOST("localhost", 4000), 0, 3 },
		{ HOST("LOCALHOST", 6000), 1, 3 },
		{ HOST("localhost6", 6000), 1, 3 },
		{ INET6("::1", 6000), 1, 3 },
		{ INET("127.0.0.1", 6000), -1, 0 },          /* v6only */
		{ INET6("::1", 4000), -1, 0 },               /* v4 only */
		{ INET("127.0.0.5", 5000), 2, 2 },           /* the wildcard */
		{ INET("127.0.0.1", 5000), 8, 3 },           /* the exact address wins */
		{ INET("127.0.0.1", 7000), 3, 1 },           /* dual-stack [::] */
		{ INET6("::1", 7000), 3, 2 },
		{ INET("127.0.0.1", 7100), -1, 0 },          /* [::] v6 only */
		{ INET6("::ffff:127.0.0.1", 4000), 0, 3 },   /* v4-mapped: its v4 address */
		{ INET("127.0.0.1", 4100), 9, 3 },           /* a v4-mapped listener */
		{ UNIX("/run/app.sock"), 5, 3 },
		{ UNIX("/run/other.sock"), -1, 0 },
		{ HOST("app.internal", 9000), -1, 0 },       /* names: the probe's job (/etc/hosts) */
		{ INET("127.0.0.1", 0), 7, 2 },              /* port 0 counts as 80 */
		/* fix: diagnose's addr_listened took any listener on the port */
		{ INET("127.0.0.1", 9000), -1, 0 },
		{ mk(GW_ADDR_VARIABLE, "$b", 9000, ""), -1, 0 },
	};
	(void)st;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		int score = -7;
		int idx = addr_find_listener(ls, sizeof ls / sizeof *ls, &rows[i].a, &score);
		if (idx != rows[i].idx || score != rows[i].score)
			fail_msg("row %zu: %s:%d%s -> listener %d score %d, want %d score %d", i, rows[i].a.host,
				 rows[i].a.port, rows[i].a.path, idx, score, rows[i].idx, rows[i].score);
		assert_int_equal(addr_find_listener(ls, sizeof ls / sizeof *ls, &rows[i].a, NULL), rows[i].idx);
	}
	/* a listener whose address does not parse takes nothing */
	struct gw_listener bad = lis(AF_INET, "not-an-ip", 4000, -1, "");
	assert_int_equal(addr_listener_score(&bad, "127.0.0.1", 4000), 0);
	assert_int_equal(addr_listener_score(&ls[0], "localhost", 4000), 0);   /* literals only */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_family_and_normalise),
		cmocka_unit_test(test_eq),
		cmocka_unit_test(test_any),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_bind_matches),
		cmocka_unit_test(test_find_listener),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
