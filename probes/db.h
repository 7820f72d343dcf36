/* db.h — the databases an app needs, from its environment: EnvironmentFile
 * parsing, DATABASE_URL / DB_HOST / POSTGRES_* / MYSQL_* / REDIS_URL
 * extraction, password masking, and a non-blocking TCP/unix connect probe
 * driven by sd-event (names resolved with sd-resolve). */
#ifndef GW_DB_H
#define GW_DB_H

#include <stddef.h>

#include <systemd/sd-event.h>

#include "model.h"

/* One line of an EnvironmentFile (the systemd syntax that matters):
 * "KEY=VALUE", optional "export ", '...' and "..." quoting (backslash
 * escapes inside double quotes), whitespace around KEY, comments starting
 * with '#' or ';'. Returns 1 and fills key/val, 0 for blank, comment or
 * malformed lines. */
int db_env_parse_line(const char *line, char *key, size_t ks, char *val, size_t vs);

/* url with its password masked: "postgres://app:***@db:5432/app"; also
 * "password=" / "pass=" query parameters. Never fails. */
void db_mask_url(const char *url, char *out, size_t size);

/* Mask every "scheme://user:password@" in free text (log lines), in place
 * (text is a buffer of size bytes; the result is truncated to fit). */
void db_mask_text(char *text, size_t size);

/* Parse a database URL into t (kind, addr with default port, display
 * masked). Returns 1 when it names something to connect to (a host or a
 * unix socket), 0 otherwise (sqlite, unknown scheme, garbage). */
int db_url_parse(const char *url, struct gw_db_target *t);

/* An app's environment, gathered from several places. Later sets of the
 * same key win (callers add in systemd's order: Environment=, then
 * EnvironmentFile=, then the running process's /proc/PID/environ). Owns its
 * storage: db_env_free. */
struct db_env_var {
	char key[64];
	char val[GW_TEXT];
	char origin[GW_TEXT];        /* "EnvironmentFile /etc/app.env of app.service" */
};
struct db_env {
	GW_VEC(struct db_env_var) vars;
};

void db_env_set(struct db_env *e, const char *key, const char *val, const char *origin);
/* Text of KEY=VALUE records separated by sep ('\n' for files, '\0' for
 * /proc/PID/environ, ' ' is NOT supported: Environment= comes as an array). */
void db_env_load(struct db_env *e, const char *buf, size_t len, char sep, const char *origin);
void db_env_free(struct db_env *e);

/* Append the database targets named by e to s->dbs (deduplicated by
 * address). Returns how many were added. */
int db_env_targets(const struct db_env *e, struct gw_snapshot *s);

/* Connect probe. One struct per owner, reusable across passes. */
struct db_probe;
struct db_probe *db_probe_new(sd_event *e);
/* Cancels what is in flight (done is not called). */
void db_probe_free(struct db_probe *p);
/* Connect to each of v[0..n) without blocking; fills probed, reachable,
 * err (errno; ETIMEDOUT after timeout_s) and connect_ms. v must stay valid
 * until done(ud), which is called exactly once from the loop (also when
 * n == 0). Returns 0, or -EBUSY when a run is in flight. */
int db_probe_start(struct db_probe *p, struct gw_db_target *v, size_t n, double timeout_s,
		   void (*done)(void *ud), void *ud);

#endif
