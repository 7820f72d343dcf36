/* db.c — databases from the app's environment and a non-blocking connect
 * probe (see db.h). Secrets: URLs are only ever stored masked (display);
 * the raw environment stays in struct db_env, owned by the caller. */
#include "db.h"
#include "addr.h"
#include "sanitize.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* ------------------------------------------------------------ EnvironmentFile */

int db_env_parse_line(const char *line, char *key, size_t ks, char *val, size_t vs)
{
	const char *p = line, *k;
	size_t kn, o = 0;

	while (*p == ' ' || *p == '\t') p++;
	if (!*p || *p == '#' || *p == ';' || *p == '\n' || *p == '\r') return 0;
	if (!strncmp(p, "export ", 7)) {
		p += 7;
		while (*p == ' ' || *p == '\t') p++;
	}
	k = p;
	while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '.')) p++;
	kn = (size_t)(p - k);
	while (*p == ' ' || *p == '\t') p++;
	if (!kn || *p != '=' || isdigit((unsigned char)*k)) return 0;
	p++;
	while (*p == ' ' || *p == '\t') p++;
	gw_fmt(key, ks, "%.*s", (int)kn, k);

	/* value: quoted pieces and bare text up to the end of the line, whose
	 * trailing blanks do not count */
	const char *vend = p + strcspn(p, "\r\n");
	while (vend > p && (vend[-1] == ' ' || vend[-1] == '\t')) vend--;
	while (p < vend) {
		char c = *p;
		if (c == '\'') {
			for (p++; p < vend && *p != '\''; p++)
				if (o + 1 < vs) val[o++] = *p;
			if (p < vend) p++;
		} else if (c == '"') {
			for (p++; p < vend && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < vend) p++;
				if (o + 1 < vs) val[o++] = *p;
			}
			if (p < vend) p++;
		} else if (c == '\\' && p + 1 < vend) {
			if (o + 1 < vs) val[o++] = p[1];
			p += 2;
		} else {
			if (o + 1 < vs) val[o++] = c;
			p++;
		}
	}
	if (vs) val[o] = '\0';
	return 1;
}

/* ------------------------------------------------------------ masking */

/* Both are sanitize_mask (sanitize.h), the one masking function. */
void db_mask_url(const char *url, char *out, size_t size)
{
	sanitize_mask(out, size, url, strlen(url));
}

void db_mask_text(char *text, size_t size)
{
	sanitize_mask_inplace(text, size);
}

/* ------------------------------------------------------------ URLs */

struct db_scheme {
	const char *prefix;
	const char *kind;
	int port;
};

static const struct db_scheme db_schemes[] = {
	{ "postgres", "postgres", 5432 }, { "postgresql", "postgres", 5432 }, { "pgsql", "postgres", 5432 },
	{ "postgis", "postgres", 5432 }, { "psql", "postgres", 5432 }, { "timescale", "postgres", 5432 },
	{ "mysql", "mysql", 3306 }, { "mysql2", "mysql", 3306 }, { "mariadb", "mysql", 3306 },
	{ "mysqlgis", "mysql", 3306 },
	{ "redis", "redis", 6379 }, { "rediss", "redis", 6379 }, { "valkey", "redis", 6379 },
	{ "mongodb", "mongo", 27017 }, { "amqp", "amqp", 5672 }, { "amqps", "amqp", 5671 },
	{ "memcache", "memcached", 11211 }, { "pymemcache", "memcached", 11211 },
};

static void db_percent_decode(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
			char h[3] = { p[1], p[2], 0 };
			*o++ = (char)strtol(h, NULL, 16);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

static void db_set_host(struct gw_addr *a, const char *host, int port)
{
	memset(a, 0, sizeof *a);
	GW_COPY(a->host, host);
	a->port = port;
	int fam = addr_family(host, NULL);
	a->kind = fam == AF_INET ? GW_ADDR_INET : fam == AF_INET6 ? GW_ADDR_INET6 : GW_ADDR_HOST;
}

/* Postgres: a directory holds .s.PGSQL.PORT. */
static void db_set_unix(struct gw_addr *a, const char *kind, const char *path, int port)
{
	memset(a, 0, sizeof *a);
	a->kind = GW_ADDR_UNIX;
	a->port = 0;
	if (!strcmp(kind, "postgres") && !gw_ends_with(path, ".sock") && !strstr(path, ".s.PGSQL."))
		gw_fmt(a->path, sizeof a->path, "%s/.s.PGSQL.%d", path, port);
	else
		GW_COPY(a->path, path);
}

int db_url_parse(const char *url, struct gw_db_target *t)
{
	const char *sep = strstr(url, "://");
	char scheme[32], host[256] = "", qhost[GW_PATH] = "";
	const struct db_scheme *sc = NULL;
	int port = 0;

	memset(t, 0, sizeof *t);
	if (!sep || sep == url || (size_t)(sep - url) >= sizeof scheme) return 0;
	gw_fmt(scheme, sizeof scheme, "%.*s", (int)(sep - url), url);
	for (char *c = scheme; *c; c++) *c = (char)tolower((unsigned char)*c);
	char *plus = strchr(scheme, '+');
	if (plus) *plus = '\0';
	for (size_t i = 0; i < sizeof db_schemes / sizeof *db_schemes; i++)
		if (!strcmp(scheme, db_schemes[i].prefix)) sc = &db_schemes[i];
	if (!sc) return 0;
	GW_COPY(t->kind, sc->kind);

	/* the user info ends at the LAST '@' (a base64 password holds '/'),
	 * as sanitize_mask has it; the host then runs to '/', '?' or '#' */
	const char *auth = sep + 3, *aend, *at = strrchr(auth, '@');
	const char *hp = at ? at + 1 : auth;
	aend = hp;
	while (*aend && *aend != '/' && *aend != '?' && *aend != '#') aend++;
	size_t hn = (size_t)(aend - hp);
	const char *comma = memchr(hp, ',', hn);       /* several hosts: the first */
	if (comma) hn = (size_t)(comma - hp);

	if (hn && hp[0] == '[') {
		const char *rb = memchr(hp, ']', hn);
		if (!rb) return 0;
		gw_fmt(host, sizeof host, "%.*s", (int)(rb - hp - 1), hp + 1);
		if (rb + 1 < hp + hn && rb[1] == ':') port = gw_atoi(rb + 2);
	} else if (hn) {
		const char *colon = memchr(hp, ':', hn);
		if (colon) {
			gw_fmt(host, sizeof host, "%.*s", (int)(colon - hp), hp);
			port = gw_atoi(colon + 1);
		} else {
			gw_fmt(host, sizeof host, "%.*s", (int)hn, hp);
		}
	}
	db_percent_decode(host);
	if (port <= 0 || port > 65535) port = sc->port;

	/* ?host=/var/run/postgresql (libpq) */
	const char *q = strchr(aend, '?');
	if (q) {
		const char *h = strstr(q, "host=");
		if (h && (h[-1] == '?' || h[-1] == '&')) {
			size_t n = strcspn(h + 5, "&#");
			gw_fmt(qhost, sizeof qhost, "%.*s", (int)n, h + 5);
			db_percent_decode(qhost);
		}
	}
	if (qhost[0] == '/') {
		db_set_unix(&t->addr, t->kind, qhost, port);
	} else if (host[0] == '/') {
		db_set_unix(&t->addr, t->kind, host, port);
	} else if (host[0]) {
		db_set_host(&t->addr, host, port);
	} else if (!strcmp(t->kind, "postgres")) {
		db_set_unix(&t->addr, t->kind, "/var/run/postgresql", port);
	} else if (!strcmp(t->kind, "mysql")) {
		db_set_unix(&t->addr, t->kind, "/var/run/mysqld/mysqld.sock", port);
	} else {
		db_set_host(&t->addr, "127.0.0.1", port);
	}
	db_mask_url(url, t->display, sizeof t->display);
	return 1;
}

/* ------------------------------------------------------------ environment */

static int db_key_is_url(const char *k)
{
	return gw_ends_with(k, "URL") || gw_ends_with(k, "URI") || gw_ends_with(k, "DSN") ||
	       gw_ends_with(k, "_URLS") || !strcmp(k, "DATABASE");
}

/* Only what db_env_targets looks up is kept: a process environment has
 * dozens of other variables, and this runs every tick. */
static int db_key_wanted(const char *k)
{
	return db_key_is_url(k) || gw_ends_with(k, "HOST") || gw_ends_with(k, "PORT") ||
	       gw_ends_with(k, "ENGINE");
}

void db_env_set(struct db_env *e, const char *key, const char *val, const char *origin)
{
	if (!db_key_wanted(key)) return;
	struct db_env_var *v = NULL;
	for (size_t i = 0; i < e->vars.n; i++)
		if (!strcmp(e->vars.v[i].key, key)) v = &e->vars.v[i];
	if (!v) {
		v = gw_vec_push(&e->vars);
		GW_COPY(v->key, key);
	}
	GW_COPY(v->val, val);
	GW_COPY(v->origin, origin);
}

void db_env_load(struct db_env *e, const char *buf, size_t len, char sep, const char *origin)
{
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, sep, (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[GW_TEXT + 128], key[64], val[GW_TEXT];
		if (n < sizeof line) {
			memcpy(line, p, n);
			line[n] = '\0';
			if (sep == '\0') {
				/* environ: KEY=VALUE verbatim, no quoting */
				char *eq = strchr(line, '=');
				if (eq && eq != line && (size_t)(eq - line) < sizeof key) {
					*eq = '\0';
					db_env_set(e, line, eq + 1, origin);
				}
			} else if (db_env_parse_line(line, key, sizeof key, val, sizeof val)) {
				db_env_set(e, key, val, origin);
			}
		}
		p += n + 1;
	}
}

void db_env_free(struct db_env *e)
{
	gw_vec_free(&e->vars);
}

static const struct db_env_var *db_env_get(const struct db_env *e, const char *key)
{
	for (size_t i = 0; i < e->vars.n; i++)
		if (!strcmp(e->vars.v[i].key, key)) return &e->vars.v[i];
	return NULL;
}

static int db_push(struct gw_snapshot *s, const struct gw_db_target *t)
{
	for (size_t i = 0; i < s->dbs.n; i++)
		if (addr_eq(&s->dbs.v[i].addr, &t->addr)) return 0;   /* host names: any case */
	*(struct gw_db_target *)gw_vec_push(&s->dbs) = *t;
	return 1;
}

/* HOST/PORT pairs: prefix, kind (NULL = guess from *_ENGINE), default port. */
static const struct { const char *prefix; const char *kind; int port; } db_pairs[] = {
	{ "DB_", NULL, 0 }, { "DATABASE_", NULL, 0 }, { "POSTGRES_", "postgres", 5432 },
	{ "POSTGRESQL_", "postgres", 5432 }, { "PG", "postgres", 5432 }, { "MYSQL_", "mysql", 3306 },
	{ "MARIADB_", "mysql", 3306 }, { "REDIS_", "redis", 6379 }, { "MONGO_", "mongo", 27017 },
};

int db_env_targets(const struct db_env *e, struct gw_snapshot *s)
{
	int added = 0;
	for (size_t i = 0; i < e->vars.n; i++) {
		const struct db_env_var *v = &e->vars.v[i];
		struct gw_db_target t;
		if (!db_key_is_url(v->key) || !db_url_parse(v->val, &t)) continue;
		gw_fmt(t.source, sizeof t.source, "%s in %s", v->key, v->origin);
		added += db_push(s, &t);
	}
	for (size_t i = 0; i < sizeof db_pairs / sizeof *db_pairs; i++) {
		char hk[64], pk[64], ek[64];
		gw_fmt(hk, sizeof hk, "%sHOST", db_pairs[i].prefix);
		gw_fmt(pk, sizeof pk, "%sPORT", db_pairs[i].prefix);
		gw_fmt(ek, sizeof ek, "%sENGINE", db_pairs[i].prefix);
		const struct db_env_var *h = db_env_get(e, hk), *p = db_env_get(e, pk), *en = db_env_get(e, ek);
		if (!h || !h->val[0]) continue;
		struct gw_db_target t;
		memset(&t, 0, sizeof t);
		const char *kind = db_pairs[i].kind;
		int port = db_pairs[i].port;
		if (!kind) {
			kind = "db";
			port = 5432;
			if (en && (strstr(en->val, "mysql") || strstr(en->val, "maria"))) { kind = "mysql"; port = 3306; }
			else if (en && strstr(en->val, "postg")) kind = "postgres";
		}
		if (p && gw_atoi(p->val) > 0 && gw_atoi(p->val) < 65536) port = gw_atoi(p->val);
		GW_COPY(t.kind, kind);
		if (h->val[0] == '/') db_set_unix(&t.addr, kind, h->val, port);
		else db_set_host(&t.addr, h->val, port);
		gw_addr_str(&t.addr, t.display, sizeof t.display);
		gw_fmt(t.source, sizeof t.source, "%s%s%s in %s", hk, p ? "/" : "", p ? pk : "", h->origin);
		added += db_push(s, &t);
	}
	return added;
}

/* ------------------------------------------------------------ connect probe */

struct db_conn {
	struct db_probe *p;
	size_t i;
	int fd;
	int finished;
	int resolving;
	struct gaicb gai;            /* getaddrinfo_a request (resolving) */
	char host[256];              /* copies: glibc reads them from its thread */
	char port_str[8];
	struct addrinfo hints;
	sd_event_source *io;
	double t0;
};

struct db_probe {
	sd_event *e;
	struct gw_db_target *v;
	size_t n, remaining;
	struct db_conn *c;
	sd_event_source *timer, *poll, *defer;
	int busy;
	void (*done)(void *ud);
	void *ud;
};

struct db_probe *db_probe_new(sd_event *e)
{
	struct db_probe *p = gw_xcalloc(1, sizeof *p);
	p->e = sd_event_ref(e);
	return p;
}

static void db_conn_close(struct db_conn *c)
{
	c->io = sd_event_source_disable_unref(c->io);
	if (c->fd >= 0) close(c->fd);
	c->fd = -1;
}

/* End the run: close everything. A lookup glibc cannot cancel still writes
 * into its gaicb: then the conn array is leaked on purpose, never freed
 * under the resolver thread's feet. */
static void db_run_reset(struct db_probe *p)
{
	int leak = 0;
	for (size_t i = 0; p->c && i < p->n; i++) {
		struct db_conn *c = &p->c[i];
		if (c->resolving) {
			int r = gai_cancel(&c->gai);
			if (r == EAI_NOTCANCELED) leak = 1;
			else if (r == EAI_ALLDONE && gai_error(&c->gai) == 0 && c->gai.ar_result)
				freeaddrinfo(c->gai.ar_result);
			c->resolving = 0;
		}
		db_conn_close(c);
	}
	if (!leak) free(p->c);
	p->c = NULL;
	p->timer = sd_event_source_disable_unref(p->timer);
	p->poll = sd_event_source_disable_unref(p->poll);
	p->defer = sd_event_source_disable_unref(p->defer);
	p->busy = 0;
}

void db_probe_free(struct db_probe *p)
{
	if (!p) return;
	db_run_reset(p);
	sd_event_unref(p->e);
	free(p);
}

static int db_on_defer(sd_event_source *es, void *ud)
{
	struct db_probe *p = ud;
	void (*done)(void *) = p->done;
	void *dud = p->ud;
	(void)es;
	db_run_reset(p);
	if (done) done(dud);
	return 0;
}

static void db_conn_finish(struct db_conn *c, int err)
{
	struct db_probe *p = c->p;
	struct gw_db_target *t = &p->v[c->i];
	if (c->finished) return;
	c->finished = 1;
	t->probed = 1;
	t->err = err;
	t->reachable = err == 0;
	t->connect_ms = (gw_mono() - c->t0) * 1000.0;
	db_conn_close(c);
	if (--p->remaining == 0 && !p->defer)
		sd_event_add_defer(p->e, &p->defer, db_on_defer, p);
}

static int db_on_io(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct db_conn *c = ud;
	int err = 0;
	socklen_t len = sizeof err;
	(void)es;
	(void)revents;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
	db_conn_finish(c, err);
	return 0;
}

static void db_connect(struct db_conn *c, const struct sockaddr *sa, socklen_t salen)
{
	struct db_probe *p = c->p;
	c->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) { db_conn_finish(c, errno); return; }
	if (connect(c->fd, sa, salen) == 0) { db_conn_finish(c, 0); return; }
	if (errno != EINPROGRESS && errno != EAGAIN) { db_conn_finish(c, errno); return; }
	if (sd_event_add_io(p->e, &c->io, c->fd, EPOLLOUT, db_on_io, c) < 0) db_conn_finish(c, EIO);
}

static int db_on_timeout(sd_event_source *es, uint64_t usec, void *ud)
{
	struct db_probe *p = ud;
	(void)es;
	(void)usec;
	for (size_t i = 0; i < p->n; i++)
		if (!p->c[i].finished) db_conn_finish(&p->c[i], ETIMEDOUT);
	return 0;
}

/* Poll getaddrinfo_a results (glibc's resolver thread fills them). */
static int db_on_poll(sd_event_source *es, uint64_t usec, void *ud)
{
	struct db_probe *p = ud;
	int pending = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct db_conn *c = &p->c[i];
		if (!c->resolving || c->finished) continue;
		int r = gai_error(&c->gai);
		if (r == EAI_INPROGRESS) { pending = 1; continue; }
		c->resolving = 0;
		if (r != 0 || !c->gai.ar_result) {
			if (c->gai.ar_result) freeaddrinfo(c->gai.ar_result);
			db_conn_finish(c, EHOSTUNREACH);
			continue;
		}
		struct addrinfo *ai = c->gai.ar_result;
		db_connect(c, ai->ai_addr, ai->ai_addrlen);
		freeaddrinfo(ai);
	}
	if (pending) {
		sd_event_source_set_time(es, usec + 20000);
		sd_event_source_set_enabled(es, SD_EVENT_ONESHOT);
	}
	return 0;
}

int db_probe_start(struct db_probe *p, struct gw_db_target *v, size_t n, double timeout_s,
		   void (*done)(void *ud), void *ud)
{
	uint64_t now;
	int resolving = 0;
	if (p->busy) return -EBUSY;
	p->busy = 1;
	p->v = v;
	p->n = n;
	p->remaining = n;
	p->done = done;
	p->ud = ud;
	p->c = gw_xcalloc(n ? n : 1, sizeof *p->c);
	sd_event_now(p->e, CLOCK_MONOTONIC, &now);
	if (!n) {
		sd_event_add_defer(p->e, &p->defer, db_on_defer, p);
		return 0;
	}
	sd_event_add_time(p->e, &p->timer, CLOCK_MONOTONIC, now + (uint64_t)(timeout_s * 1e6), 10000,
			  db_on_timeout, p);
	for (size_t i = 0; i < n; i++) {
		struct db_conn *c = &p->c[i];
		struct gw_addr *a = &v[i].addr;
		c->p = p;
		c->i = i;
		c->fd = -1;
		c->t0 = gw_mono();
		if (a->kind == GW_ADDR_UNIX) {
			struct sockaddr_un un = { .sun_family = AF_UNIX };
			if (strlen(a->path) >= sizeof un.sun_path) { db_conn_finish(c, ENAMETOOLONG); continue; }
			memcpy(un.sun_path, a->path, strlen(a->path) + 1);
			db_connect(c, (struct sockaddr *)&un, sizeof un);
		} else if (a->kind == GW_ADDR_INET || (a->kind == GW_ADDR_HOST && !strcmp(a->host, "localhost"))) {
			struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons((uint16_t)a->port) };
			inet_pton(AF_INET, a->kind == GW_ADDR_INET ? a->host : "127.0.0.1", &in.sin_addr);
			db_connect(c, (struct sockaddr *)&in, sizeof in);
		} else if (a->kind == GW_ADDR_INET6) {
			struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)a->port) };
			if (inet_pton(AF_INET6, a->host, &in6.sin6_addr) != 1) { db_conn_finish(c, EINVAL); continue; }
			db_connect(c, (struct sockaddr *)&in6, sizeof in6);
		} else if (a->kind == GW_ADDR_HOST) {
			struct gaicb *list[1] = { &c->gai };
			gw_fmt(c->port_str, sizeof c->port_str, "%d", a->port);
			c->hints.ai_socktype = SOCK_STREAM;
			GW_COPY(c->host, a->host);
			c->gai.ar_name = c->host;
			c->gai.ar_service = c->port_str;
			c->gai.ar_request = &c->hints;
			if (getaddrinfo_a(GAI_NOWAIT, list, 1, NULL) != 0) { db_conn_finish(c, EHOSTUNREACH); continue; }
			c->resolving = 1;
			resolving = 1;
		} else {
			db_conn_finish(c, EINVAL);
		}
	}
	if (resolving && !p->poll)
		sd_event_add_time(p->e, &p->poll, CLOCK_MONOTONIC, now + 5000, 1000, db_on_poll, p);
	return 0;
}
