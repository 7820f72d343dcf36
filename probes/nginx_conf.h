/* nginx_conf.h — the nginx configuration probe: find the active config,
 * parse nginx syntax (quotes, escapes, comments, blocks, globbed includes)
 * into struct gw_nginx_conf, and turn its *_pass directives into the
 * concrete upstream targets of the snapshot. No I/O beyond reading the
 * config files and one `nginx -V` (cached). */
#ifndef GW_NGINX_CONF_H
#define GW_NGINX_CONF_H

#include <stddef.h>

#include "model.h"

#define NGINX_CONF_MAX_FILE   (16u * 1024 * 1024)   /* bigger file: error */
/* included files: more -> warning (the fuzz target builds with a lower cap) */
#ifndef NGINX_CONF_MAX_FILES
#define NGINX_CONF_MAX_FILES  4096
#endif
/* entries per table (proxy_pass, listen, settings, logs, upstream servers):
 * includes multiply them (a file of 40 servers reached 4096 times was 780
 * MB; 190 MB at 20,000); beyond it a warning and the later ones are ignored */
#define NGINX_CONF_MAX_ITEMS  10000
#define NGINX_CONF_MAX_DEPTH  32
/* bytes read by one parse, all files together: more -> warning, the file
 * that would pass it and every later include are ignored */
#ifndef NGINX_CONF_MAX_TOTAL
#define NGINX_CONF_MAX_TOTAL  (64u * 1024 * 1024)
#endif                    /* include nesting: deeper -> warning */

/* Find the config nginx uses. Order: override (--nginx-conf) -> the running
 * master's cmdline in s->procs (-c, relative to -p) -> `nginx -V` of
 * nginx_bin (NULL: "nginx" from PATH, then /usr/sbin/nginx; run with argv
 * only, once per binary for a cache cc, every call for cc NULL) ->
 * /etc/nginx/nginx.conf.
 * prefix: -p of the master, else `nginx -V` --prefix=, else /usr/share/nginx/.
 * source: "--nginx-conf", "master cmdline", "nginx -V" or "default".
 * s may be NULL (no process information).
 * Returns 0, or -1 with errno set when the override names a file that
 * cannot be opened (conf then holds the override: the caller reports
 * "--nginx-conf CONF: strerror(errno)" and marks the snapshot unknown). */
struct nginx_conf_cache;
int nginx_conf_locate(struct nginx_conf_cache *cc, const struct gw_snapshot *s, const char *override,
		      const char *nginx_bin, char *conf, size_t conf_sz,
		      char *prefix, size_t prefix_sz, char *source, size_t source_sz);

/* Parse conf_path (and everything it includes) into c, which must be
 * zeroed or hold an earlier parse (its tables are freed first; conf_source
 * is kept). Relative include paths
 * are resolved against the directory of conf_path, relative log paths
 * against prefix (NULL or "": the directory of conf_path).
 * Sets c->parsed; c->ok = 0 with c->error / c->error_loc on the first
 * fatal error (what was extracted before the error is kept). Non-fatal
 * problems (unreadable include, include loop, caps) go to c->warnings.
 * Returns 0 when c->ok, -1 otherwise. Does not touch c->conf_source. */
int nginx_conf_parse(struct gw_nginx_conf *c, const char *conf_path, const char *prefix);

/* The dashboard parses the same config every tick: a cache re-parses only
 * when it changed. It remembers every path the last parse opened or failed
 * to open (its stat(): device, inode, size, mode, mtime and ctime in ns, or
 * the errno) and every include glob with its matches; a new file matching
 * a glob, an edited / replaced / chmod'ed include, a missing include that
 * appears: each makes the next call parse again, as does a file changed
 * less than two seconds before the parse (timestamps are coarse). */
struct nginx_conf_cache;
struct nginx_conf_cache *nginx_conf_cache_new(void);
void nginx_conf_cache_free(struct nginx_conf_cache *cc);

/* nginx_conf_parse through the cache: same conf_path and prefix as the
 * cached parse and nothing it read changed -> c gets a copy of the cached
 * result (files are only stat()ed, globs re-run); else a real parse, which
 * is cached. Returns what nginx_conf_parse returns. */
int nginx_conf_parse_cached(struct nginx_conf_cache *cc, struct gw_nginx_conf *c,
			    const char *conf_path, const char *prefix);
/* How many real parses the cache made (for tests: unchanged = no parse). */
unsigned nginx_conf_cache_parses(const struct nginx_conf_cache *cc);
/* How many files and globs the cached parse depends on, each counted once
 * however often it was included (each costs a stat() per tick). */
size_t nginx_conf_cache_ndeps(const struct nginx_conf_cache *cc);

/* Rebuild s->targets from s->conf: one target per direct pass, one per
 * server of a referenced upstream{} block, identical endpoints merged
 * (the first pass wins). Passes with $variables are skipped with a note. */
void nginx_conf_build_targets(struct gw_snapshot *s);

/* Helpers, exposed for tests and for other probes.
 * Parse an nginx time ("30", "500ms", "1m30s") into seconds, or a size
 * ("10m", "512k", "1g") into bytes. Return -1 if unparsable. */
double nginx_conf_parse_time(const char *v);
double nginx_conf_parse_size(const char *v);

#endif
