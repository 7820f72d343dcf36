/* nginx_conf.c — the nginx configuration probe: locate the active config,
 * tokenize and parse nginx syntax the way ngx_conf_file.c does (words,
 * quotes with backslash escapes, # comments, ; { }, include with glob(3)),
 * extract what gwtop needs into struct gw_nginx_conf (listens, *_pass
 * targets, upstream{} blocks, timeouts, logs, user, file list), and build
 * the snapshot's upstream targets from it.
 *
 * The parser is iterative (an explicit block stack, so deep nesting in a
 * hostile file cannot blow the C stack) and bounded: 16 MiB per file, 4096
 * files, include depth 32. It never executes anything; `nginx -V` is run
 * by nginx_conf_locate with argv only (once per binary and cache). */
#include "nginx_conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "trust.h"

extern char **environ;

#define NP_MAX_WARNINGS 100
#define NP_MAX_ARGS 1024

/* ---------------------------------------------------------------- tokenizer */

enum np_tok { TOK_EOF, TOK_WORD, TOK_SEMI, TOK_LBRACE, TOK_RBRACE, TOK_ERR };

struct np_lex {
	const char *buf;
	size_t len, pos;
	int line;                    /* current line, 1-based */
	int need_space;              /* just closed a quoted word */
	char *tok;                   /* current word, unescaped (owned) */
	size_t toklen, tokcap;
	int tokline;                 /* line the word started on */
	char err[GW_TEXT];
	int errline;
};

static void np_lex_putc(struct np_lex *l, char ch)
{
	if (l->toklen + 1 >= l->tokcap) {
		l->tokcap = l->tokcap ? l->tokcap * 2 : 64;
		l->tok = gw_xrealloc(l->tok, l->tokcap);
	}
	l->tok[l->toklen++] = ch;
	l->tok[l->toklen] = '\0';
}

static int np_lex_error(struct np_lex *l, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int np_lex_error(struct np_lex *l, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (vsnprintf(l->err, sizeof l->err, fmt, ap) < 0) l->err[0] = '\0';
	va_end(ap);
	l->errline = line;
	return TOK_ERR;
}

static int np_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* A backslash escape at l->pos (the backslash): nginx turns \" \' \\ into
 * the character, \t \r \n into control characters, keeps others as is. */
static void np_lex_escape(struct np_lex *l)
{
	char nx = l->buf[l->pos + 1];
	switch (nx) {
	case '"': case '\'': case '\\': np_lex_putc(l, nx); break;
	case 't': np_lex_putc(l, '\t'); break;
	case 'r': np_lex_putc(l, '\r'); break;
	case 'n': np_lex_putc(l, '\n'); break;
	default:
		np_lex_putc(l, '\\');
		np_lex_putc(l, nx);
		if (nx == '\n') l->line++;
	}
	l->pos += 2;
}

static int np_lex_next(struct np_lex *l)
{
	for (;;) {
		if (l->pos >= l->len) return TOK_EOF;
		char ch = l->buf[l->pos];
		if (ch == '\0')
			return np_lex_error(l, l->line, "unexpected NUL byte (binary file?)");
		if (l->need_space) {
			if (np_is_space(ch)) {
				l->need_space = 0;
			} else if (ch == ';' || ch == '{') {
				l->need_space = 0;
				continue;
			} else {
				return np_lex_error(l, l->line, "unexpected \"%c\" after a quoted string", ch);
			}
		}
		if (np_is_space(ch)) {
			if (ch == '\n') l->line++;
			l->pos++;
			continue;
		}
		if (ch == '#') {
			while (l->pos < l->len && l->buf[l->pos] != '\n') l->pos++;
			continue;
		}
		if (ch == ';') { l->pos++; return TOK_SEMI; }
		if (ch == '{') { l->pos++; return TOK_LBRACE; }
		if (ch == '}') { l->pos++; return TOK_RBRACE; }

		l->toklen = 0;
		np_lex_putc(l, 'x');         /* make sure tok is allocated */
		l->toklen = 0;
		l->tok[0] = '\0';
		l->tokline = l->line;
		if (ch == '"' || ch == '\'') {
			char quote = ch;
			l->pos++;
			for (;;) {
				if (l->pos >= l->len)
					return np_lex_error(l, l->tokline, "unterminated %s quoted string",
							    quote == '"' ? "double" : "single");
				char c = l->buf[l->pos];
				if (c == '\0')
					return np_lex_error(l, l->line, "unexpected NUL byte (binary file?)");
				if (c == '\\' && l->pos + 1 < l->len && l->buf[l->pos + 1] != '\0') {
					np_lex_escape(l);
					continue;
				}
				l->pos++;
				if (c == quote) {
					l->need_space = 1;
					return TOK_WORD;
				}
				if (c == '\n') l->line++;
				np_lex_putc(l, c);
			}
		}
		/* unquoted word: ends at whitespace, ';' or '{' (not "${");
		 * like nginx, '}' and quotes inside a word are plain characters */
		for (;;) {
			if (l->pos >= l->len) return TOK_WORD;
			char c = l->buf[l->pos];
			if (c == '\0')
				return np_lex_error(l, l->line, "unexpected NUL byte (binary file?)");
			if (np_is_space(c) || c == ';') return TOK_WORD;
			if (c == '{' && !(l->toklen && l->tok[l->toklen - 1] == '$' &&
					  (l->pos == 0 || l->buf[l->pos - 1] == '$')))
				return TOK_WORD;
			if (c == '\\' && l->pos + 1 < l->len && l->buf[l->pos + 1] != '\0') {
				np_lex_escape(l);
				continue;
			}
			np_lex_putc(l, c);
			l->pos++;
		}
	}
}

/* ---------------------------------------------------------------- parser state */

enum np_kind { K_MAIN, K_HTTP, K_STREAM, K_SERVER, K_LOCATION, K_UPSTREAM, K_OPAQUE, K_OTHER };

struct np_frame {
	enum np_kind kind;
	char arg[GW_NAME];           /* location argument */
	int line;
	char server_name[GW_NAME];   /* K_SERVER: first server_name */
	int server_port;             /* K_SERVER: first listen port */
	int have_port;
	size_t listen0, pass0, set0; /* K_SERVER: table sizes when it opened */
	size_t up_idx;               /* K_UPSTREAM: index in c->upstreams */
};

/* A `set $name value;` whose value holds no variable: known at parse time. */
struct np_set {
	char name[64];
	char value[GW_TEXT];
	size_t depth;                /* stack depth where it was set */
};

struct np_incl {
	dev_t dev;
	ino_t ino;
};

struct np {
	struct gw_nginx_conf *c;
	char confdir[GW_PATH];
	char prefix[GW_PATH];        /* ends with '/' */
	GW_VEC(struct np_frame) stack;
	struct np_incl incl[NGINX_CONF_MAX_DEPTH + 2];
	int nincl;
	size_t nfiles;
	int files_capped;
	size_t bytes;                /* read so far by this parse (NGINX_CONF_MAX_TOTAL) */
	int bytes_capped;
	unsigned capped;             /* tables that hit NGINX_CONF_MAX_ITEMS (np_room's bits) */
	int fatal;                   /* stop parsing */
	GW_VEC(unsigned char) pass_noport;   /* parallel to c->passes */
	GW_VEC(struct np_set) sets;          /* `set $name constant;` of the open blocks */
	struct nginx_conf_cache *deps;       /* records what the parse read (NULL: nothing) */
};

/* ---------------------------------------------------------------- cache
 *
 * What a parse depended on: every path it tried to open, with the stat()
 * signature it had (or the errno), and every include glob with what it
 * matched. If all of them are unchanged, a new parse would read the same
 * bytes and produce the same result. ctime is in the signature because it
 * moves on every write and chmod/chown, even when a tool restores mtime.
 * A timestamp is only as fine as the filesystem's clock (a jiffy; a second
 * on some): a file whose ctime is within NP_RACY seconds of the parse may
 * change again without its signature moving, so it is not trusted (like
 * git's "racily clean" entries): the next call parses again. */
#define NP_RACY 2.0

struct np_dep {
	char *path;                  /* file path or glob pattern (owned) */
	int is_glob;
	int glob_rc;                 /* glob: its return code */
	char *matches;               /* glob: the matches, '\n'-joined (owned) */
	char *dir;                   /* glob: its directory, when only the last component has
					wildcards (owned); the signature below is then the dir's */
	/* stat() signature of the file (or the glob's dir) */
	int err;                     /* errno, 0 ok */
	dev_t dev;
	ino_t ino;
	off_t size;
	mode_t mode;
	struct timespec mtime, ctime;
	double at;                   /* gw_now() when the signature was taken (or just before) */
};

/* `nginx -V` of one binary: --conf-path and --prefix, run once per
 * binary and kept in the cache (it is a fast local exec). */
struct np_v {
	int done;
	char bin[GW_PATH];
	char conf[GW_PATH];
	char prefix[GW_PATH];
};

struct nginx_conf_cache {
	struct np_v v;               /* for nginx_conf_locate */
	int valid;
	char conf_path[GW_PATH], prefix[GW_PATH];
	int rc;                      /* what nginx_conf_parse returned */
	double parsed_at;            /* gw_now() when that parse began */
	unsigned parses;             /* real parses so far */
	struct gw_nginx_conf conf;   /* the result (conf_source not used) */
	GW_VEC(struct np_dep) deps;
};

static void np_dep_stat(struct np_dep *d, const struct stat *st, int err)
{
	d->err = err;
	if (err) return;
	d->dev = st->st_dev;
	d->ino = st->st_ino;
	d->size = st->st_size;
	d->mode = st->st_mode;
	d->mtime = st->st_mtim;
	d->ctime = st->st_ctim;
}

/* Record a file the parser opened (st from fstat) or failed to open
 * (st NULL: its stat() result is recorded instead). */
static void np_dep_file(struct np *p, const char *path, const struct stat *st)
{
	if (!p->deps) return;
	struct np_dep *d = gw_vec_push(&p->deps->deps);
	struct stat sb;
	d->path = gw_xstrdup(path);
	d->at = p->deps->parsed_at;
	if (st) np_dep_stat(d, st, 0);
	else np_dep_stat(d, &sb, stat(path, &sb) < 0 ? errno : 0);
}

static char *np_glob_joined(const glob_t *g)
{
	size_t len = 1;
	for (size_t i = 0; i < g->gl_pathc; i++) len += strlen(g->gl_pathv[i]) + 1;
	char *out = gw_xmalloc(len);
	out[0] = '\0';
	for (size_t i = 0, o = 0; i < g->gl_pathc; i++) {
		size_t n = strlen(g->gl_pathv[i]);
		memcpy(out + o, g->gl_pathv[i], n);
		o += n;
		out[o++] = '\n';
		out[o] = '\0';
	}
	return out;
}

/* A glob's matches change only with its directory's entries when all the
 * wildcards are in the last component (conf.d/NAME.conf with a star for
 * NAME): the directory's signature then stands in for running glob again. */
static void np_dep_glob(struct np *p, const char *pattern, int rc, const glob_t *g)
{
	if (!p->deps) return;
	struct np_dep *d = gw_vec_push(&p->deps->deps);
	const char *slash = strrchr(pattern, '/');
	d->path = gw_xstrdup(pattern);
	d->is_glob = 1;
	d->glob_rc = rc;
	d->matches = np_glob_joined(g);
	d->at = p->deps->parsed_at;
	size_t n = slash ? (size_t)(slash - pattern) : 0;
	int wild = !slash;
	for (size_t i = 0; i < n && !wild; i++) wild = strchr("*?[", pattern[i]) != NULL;
	if (!wild) {
		struct stat sb;
		d->dir = gw_xstrdup(n ? pattern : "/");
		d->dir[n ? n : 1] = '\0';
		np_dep_stat(d, &sb, stat(d->dir, &sb) < 0 ? errno : 0);
	}
}

/* Does d (a file, or a glob's directory at path) still have its signature,
 * one old enough to trust (see NP_RACY)? */
static int np_dep_same(const struct np_dep *d, const char *path)
{
	struct stat sb;
	struct np_dep now;
	memset(&now, 0, sizeof now);
	np_dep_stat(&now, &sb, stat(path, &sb) < 0 ? errno : 0);
	if (now.err != d->err) return 0;
	if (now.err) return 1;
	return now.dev == d->dev && now.ino == d->ino && now.size == d->size && now.mode == d->mode &&
	       now.mtime.tv_sec == d->mtime.tv_sec && now.mtime.tv_nsec == d->mtime.tv_nsec &&
	       now.ctime.tv_sec == d->ctime.tv_sec && now.ctime.tv_nsec == d->ctime.tv_nsec &&
	       (double)now.ctime.tv_sec + now.ctime.tv_nsec / 1e9 < d->at - NP_RACY;
}

/* Is every dependency as it was? A glob whose directory changed is run
 * again; same matches: it still holds (and the directory's new signature
 * is kept, so the next call need not glob). */
static int np_deps_unchanged(struct nginx_conf_cache *cc)
{
	for (size_t i = 0; i < cc->deps.n; i++) {
		struct np_dep *d = &cc->deps.v[i];
		if (!d->is_glob) {
			if (!np_dep_same(d, d->path)) return 0;
			continue;
		}
		if (d->dir && np_dep_same(d, d->dir))
			continue;
		glob_t g;
		struct stat sb;
		double at = gw_now();
		int err = d->dir ? (stat(d->dir, &sb) < 0 ? errno : 0) : 0;
		memset(&g, 0, sizeof g);
		int rc = glob(d->path, 0, NULL, &g);
		char *m = np_glob_joined(&g);
		int same = rc == d->glob_rc && !strcmp(m, d->matches);
		free(m);
		globfree(&g);
		if (!same) return 0;
		if (d->dir) {
			np_dep_stat(d, &sb, err);
			d->at = at;
		}
	}
	return 1;
}

/* A file included N times (a conf.d glob from several server blocks, an
 * include fan-out up to the file cap) was recorded N times. The check
 * does not care about order: sort by path and keep one record of each, so
 * it costs one stat() per distinct file. (Two records of one path differ
 * only if the file changed during the parse; its ctime is then within
 * NP_RACY of the parse and the next check parses again either way.) */
static int np_dep_cmp(const void *a, const void *b)
{
	const struct np_dep *x = a, *y = b;
	if (x->is_glob != y->is_glob) return x->is_glob - y->is_glob;
	return strcmp(x->path, y->path);
}

static void np_deps_dedupe(struct nginx_conf_cache *cc)
{
	if (cc->deps.n < 2) return;
	qsort(cc->deps.v, cc->deps.n, sizeof *cc->deps.v, np_dep_cmp);
	size_t o = 1;
	for (size_t i = 1; i < cc->deps.n; i++) {
		struct np_dep *d = &cc->deps.v[i];
		if (!np_dep_cmp(d, &cc->deps.v[o - 1])) {
			free(d->path);
			free(d->matches);
			free(d->dir);
			continue;
		}
		cc->deps.v[o++] = *d;
	}
	cc->deps.n = o;
}

static void np_deps_free(struct nginx_conf_cache *cc)
{
	for (size_t i = 0; i < cc->deps.n; i++) {
		free(cc->deps.v[i].path);
		free(cc->deps.v[i].matches);
		free(cc->deps.v[i].dir);
	}
	gw_vec_free(&cc->deps);
}

/* A deep copy of src's tables into dst (dst's own are not freed). */
#define NP_VEC_DUP(dst, src) do { \
	(dst).n = (dst).cap = (src).n; \
	(dst).v = (src).n ? gw_xmalloc((src).n * sizeof *(src).v) : NULL; \
	if ((src).n) memcpy((dst).v, (src).v, (src).n * sizeof *(src).v); \
} while (0)

static void np_conf_copy(struct gw_nginx_conf *dst, const struct gw_nginx_conf *src)
{
	*dst = *src;
	NP_VEC_DUP(dst->warnings, src->warnings);
	NP_VEC_DUP(dst->files, src->files);
	NP_VEC_DUP(dst->listens, src->listens);
	NP_VEC_DUP(dst->passes, src->passes);
	NP_VEC_DUP(dst->upstreams, src->upstreams);
	for (size_t i = 0; i < src->upstreams.n; i++)
		NP_VEC_DUP(dst->upstreams.v[i].servers, src->upstreams.v[i].servers);
	NP_VEC_DUP(dst->settings, src->settings);
	NP_VEC_DUP(dst->logs, src->logs);
	NP_VEC_DUP(dst->log_formats, src->log_formats);
}

/* A non-fatal problem at file:line (the include site). */
static void np_warn(struct np *p, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void np_warn(struct np *p, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	if (p->c->warnings.n >= NP_MAX_WARNINGS) return;
	struct gw_conf_warning *w = gw_vec_push(&p->c->warnings);
	va_start(ap, fmt);
	if (vsnprintf(w->text, sizeof w->text, fmt, ap) < 0) w->text[0] = '\0';
	va_end(ap);
	GW_COPY(w->loc.file, file ? file : "");
	w->loc.line = line;
}

/* Record an error (the first one is kept); stop = abort the whole parse. */
static void np_error(struct np *p, int stop, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void np_error(struct np *p, int stop, const char *file, int line, const char *fmt, ...)
{
	struct gw_nginx_conf *c = p->c;
	if (stop) p->fatal = 1;
	if (c->error[0]) return;
	va_list ap;
	va_start(ap, fmt);
	if (vsnprintf(c->error, sizeof c->error, fmt, ap) < 0) c->error[0] = '\0';
	va_end(ap);
	c->ok = 0;
	GW_COPY(c->error_loc.file, file);
	c->error_loc.line = line;
}

static void np_loc(struct gw_srcloc *loc, const char *file, int line)
{
	GW_COPY(loc->file, file);
	loc->line = line;
}

static struct np_frame *np_top(struct np *p)
{
	return p->stack.n ? &p->stack.v[p->stack.n - 1] : NULL;
}

static enum np_kind np_top_kind(struct np *p)
{
	return p->stack.n ? p->stack.v[p->stack.n - 1].kind : K_MAIN;
}

static struct np_frame *np_find(struct np *p, enum np_kind k)
{
	for (size_t i = p->stack.n; i-- > 0;)
		if (p->stack.v[i].kind == k) return &p->stack.v[i];
	return NULL;
}

/* ---------------------------------------------------------------- values */

double nginx_conf_parse_time(const char *v)
{
	double total = 0;
	const char *s = v;
	int any = 0;
	if (!s || !*s) return -1;
	while (*s) {
		while (*s == ' ') s++;
		if (!*s) break;
		if (!isdigit((unsigned char)*s)) return -1;
		double n = 0;
		while (isdigit((unsigned char)*s)) {
			n = n * 10 + (*s - '0');
			if (n > 1e15) return -1;
			s++;
		}
		double mul;
		if (s[0] == 'm' && s[1] == 's') { mul = 0.001; s += 2; }
		else if (*s == 's') { mul = 1; s++; }
		else if (*s == 'm') { mul = 60; s++; }
		else if (*s == 'h') { mul = 3600; s++; }
		else if (*s == 'd') { mul = 86400; s++; }
		else if (*s == 'w') { mul = 7 * 86400; s++; }
		else if (*s == 'M') { mul = 30 * 86400; s++; }
		else if (*s == 'y') { mul = 365 * 86400; s++; }
		else if (*s == '\0' || *s == ' ') {
			if (any) return -1;     /* nginx: a bare number only on its own */
			mul = 1;
		} else return -1;
		total += n * mul;
		any = 1;
	}
	return any ? total : -1;
}

double nginx_conf_parse_size(const char *v)
{
	if (!v || !isdigit((unsigned char)*v)) return -1;
	double n = 0;
	const char *s = v;
	while (isdigit((unsigned char)*s)) {
		n = n * 10 + (*s - '0');
		if (n > 1e15) return -1;
		s++;
	}
	switch (*s) {
	case '\0': return n;
	case 'k': case 'K': n *= 1024; break;
	case 'm': case 'M': n *= 1024 * 1024; break;
	case 'g': case 'G': n *= 1024.0 * 1024 * 1024; break;
	default: return -1;
	}
	return s[1] ? -1 : n;
}

/* Resolve a relative path against dir (which may or may not end in '/'). */
static void np_full_path(char *out, size_t size, const char *dir, const char *path)
{
	if (path[0] == '/' || !dir[0]) { gw_strlcpy(out, path, size); return; }
	size_t dl = strlen(dir);
	gw_fmt(out, size, "%s%s%s", dir, dir[dl - 1] == '/' ? "" : "/", path);
}

/* ---------------------------------------------------------------- directives */

static const char *const np_pass_directives[] = {
	"proxy_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass", "grpc_pass", NULL
};

static const char *const np_time_settings[] = {
	"proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout", "send_timeout",
	"fastcgi_connect_timeout", "fastcgi_read_timeout", "fastcgi_send_timeout",
	"uwsgi_connect_timeout", "uwsgi_read_timeout", "uwsgi_send_timeout",
	"scgi_read_timeout", "grpc_read_timeout", NULL
};

/* sizes in bytes (value_num), and counts */
static const char *const np_size_settings[] = {
	"client_max_body_size", "proxy_buffer_size", "fastcgi_buffer_size", "uwsgi_buffer_size",
	"scgi_buffer_size", "grpc_buffer_size", "worker_processes", "worker_connections",
	"worker_rlimit_nofile", NULL
};

/* words kept as written (value_num -1): the upstream TLS settings */
static const char *const np_word_settings[] = {
	"proxy_ssl_verify", "proxy_ssl_name", "proxy_ssl_server_name", "proxy_ssl_trusted_certificate", NULL
};

static int np_in(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s)) return 1;
	return 0;
}

static void np_context(struct np *p, char *out, size_t size)
{
	for (size_t i = p->stack.n; i-- > 0;) {
		struct np_frame *f = &p->stack.v[i];
		switch (f->kind) {
		case K_LOCATION: gw_fmt(out, size, "location %s", f->arg); return;
		case K_SERVER: gw_fmt(out, size, "server"); return;   /* name added at '}' */
		case K_HTTP: gw_fmt(out, size, "http"); return;
		case K_STREAM: gw_fmt(out, size, "stream"); return;
		case K_UPSTREAM: gw_fmt(out, size, "upstream %s", f->arg); return;
		default: break;
		}
	}
	gw_fmt(out, size, "main");
}

/* Room for one more entry in a table of n (see NGINX_CONF_MAX_ITEMS)? The
 * first refusal per table is a warning naming where it happened. */
static int np_room(struct np *p, size_t n, unsigned bit, const char *what, const char *file, int line)
{
	if (n < NGINX_CONF_MAX_ITEMS) return 1;
	if (!(p->capped & bit)) {
		p->capped |= bit;
		np_warn(p, file, line, "more than %d %s in the config (includes multiply them): %s:%d and later ones ignored",
			NGINX_CONF_MAX_ITEMS, what, file, line);
	}
	return 0;
}

/* `set $name value;`: remembered while its block is open when the value
 * is a constant (no '$'); a variable value forgets any earlier constant. */
static void np_do_set(struct np *p, int argc, char **argv)
{
	if (argc < 3 || argv[1][0] != '$' || !argv[1][1] || strlen(argv[1] + 1) >= 64) return;
	for (size_t i = p->sets.n; i-- > 0;)
		if (!strcmp(p->sets.v[i].name, argv[1] + 1) && p->sets.v[i].depth == p->stack.n) {
			memmove(&p->sets.v[i], &p->sets.v[i + 1], (p->sets.n - i - 1) * sizeof *p->sets.v);
			p->sets.n--;
		}
	if (p->sets.n >= 256) return;
	struct np_set *v = gw_vec_push(&p->sets);
	GW_COPY(v->name, argv[1] + 1);
	v->depth = p->stack.n;
	if (strchr(argv[2], '$')) v->value[0] = '\0';   /* not known: shadows outer constants */
	else GW_COPY(v->value, argv[2]);
}

/* Replace $name / ${name} in arg by the constants of open `set`s.
 * Returns 1 when every variable was replaced, 0 otherwise (out then holds
 * what could be replaced, the rest left as written). */
static int np_expand(const struct np *p, const char *arg, char *out, size_t size)
{
	size_t o = 0;
	int all = 1;
	out[0] = '\0';
	for (const char *c = arg; *c && o + 1 < size;) {
		if (*c != '$') { out[o++] = *c++; continue; }
		const char *n = c + 1, *ne;
		int brace = *n == '{';
		if (brace) n++;
		for (ne = n; *ne && (isalnum((unsigned char)*ne) || *ne == '_'); ne++) {}
		if (brace && *ne != '}') { all = 0; out[o++] = *c++; continue; }
		size_t nl = (size_t)(ne - n);
		const char *val = NULL;
		for (size_t i = p->sets.n; i-- > 0 && !val;)
			if (strlen(p->sets.v[i].name) == nl && !memcmp(p->sets.v[i].name, n, nl))
				val = p->sets.v[i].value[0] ? p->sets.v[i].value : "";
		if (!nl || !val || !*val) {
			all = 0;
			size_t k = (size_t)((brace ? ne + 1 : ne) - c);
			if (o + k >= size) break;
			memcpy(out + o, c, k);
			o += k;
		} else {
			size_t vl = strlen(val);
			if (o + vl >= size) break;
			memcpy(out + o, val, vl);
			o += vl;
		}
		c = brace ? ne + 1 : ne;
	}
	out[o] = '\0';
	return all;
}

/* Does the host part of a *_pass argument (after the scheme) hold a '$'?
 * Variables in the URI part leave the target static. */
static int np_host_has_var(const char *arg)
{
	const char *s = strstr(arg, "://");
	s = s ? s + 3 : arg;
	if (!strncasecmp(s, "unix:", 5)) {
		const char *e = strchr(s + 5, ':');
		return memchr(s, '$', e ? (size_t)(e - s) : strlen(s)) != NULL;
	}
	return memchr(s, '$', strcspn(s, "/?")) != NULL;
}

static void np_do_pass(struct np *p, const char *file, int line, int argc, char **argv)
{
	if (!np_room(p, p->c->passes.n, 1, "*_pass directives", file, line)) return;
	struct gw_conf_pass *ps = gw_vec_push(&p->c->passes);
	unsigned char *np = gw_vec_push(&p->pass_noport);
	GW_COPY(ps->directive, argv[0]);
	np_loc(&ps->loc, file, line);
	struct np_frame *loc = np_find(p, K_LOCATION);
	if (loc) GW_COPY(ps->location, loc->arg);
	if (argc < 2) return;                /* nginx -t reports it; kind NONE */
	char expanded[GW_TEXT] = "";
	const char *arg = argv[1];
	GW_COPY(ps->arg, arg);
	if (strchr(arg, '$')) {
		np_expand(p, arg, expanded, sizeof expanded);
		if (np_host_has_var(expanded)) {
			ps->addr.kind = GW_ADDR_VARIABLE;
			GW_COPY(ps->addr.host, arg);
			return;
		}
		arg = expanded;              /* variables only in the URI, or constants */
	}
	const char *s = arg, *sep = strstr(arg, "://");
	if (sep && sep > arg && (size_t)(sep - arg) < sizeof ps->scheme) {
		int alpha = 1;
		for (const char *q = arg; q < sep; q++)
			if (!isalpha((unsigned char)*q)) alpha = 0;
		if (alpha) {
			size_t k = (size_t)(sep - arg);
			for (size_t i = 0; i < k; i++) ps->scheme[i] = (char)tolower((unsigned char)arg[i]);
			ps->scheme[k] = '\0';
			s = sep + 3;
		}
		if (!strcmp(ps->scheme, "unix") && s[0] == '/') {
			/* uwsgi_pass unix:///run/app.sock: the socket /run/app.sock */
			ps->scheme[0] = '\0';
			ps->addr.kind = GW_ADDR_UNIX;
			GW_COPY(ps->addr.path, s);
			*np = 0;
			return;
		}
	}
	*np = (unsigned char)!addr_parse(s, &ps->addr, 0);
}

static void np_do_listen(struct np *p, const char *file, int line, int argc, char **argv)
{
	struct np_frame *srv = np_find(p, K_SERVER);
	if (!srv || argc < 2) return;
	if (!np_room(p, p->c->listens.n, 2, "listen directives", file, line)) return;
	struct gw_conf_listen *l = gw_vec_push(&p->c->listens);
	GW_COPY(l->raw, argv[1]);
	np_loc(&l->loc, file, line);
	if (!addr_parse(argv[1], &l->addr, ADDR_PORT_ONLY)) l->addr.port = 80;
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "ssl")) l->ssl = 1;
	if (!srv->have_port) {
		srv->have_port = 1;
		srv->server_port = l->addr.port;
	}
}

static void np_do_upstream_server(struct np *p, struct np_frame *f, const char *file, int line,
				  int argc, char **argv)
{
	if (argc < 2 || f->up_idx >= p->c->upstreams.n) return;
	struct gw_conf_upstream *up = &p->c->upstreams.v[f->up_idx];
	if (!np_room(p, up->servers.n, 32, "servers in one upstream block", file, line)) return;
	struct gw_conf_upstream_server *sv = gw_vec_push(&up->servers);
	GW_COPY(sv->raw, argv[1]);
	np_loc(&sv->loc, file, line);
	if (!addr_parse(argv[1], &sv->addr, 0)) sv->addr.port = 80;
	sv->max_fails = -1;
	sv->fail_timeout = -1;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "down")) sv->down = 1;
		else if (!strcmp(argv[i], "backup")) sv->backup = 1;
		else if (gw_starts_with(argv[i], "max_fails=")) {
			double n = nginx_conf_parse_size(argv[i] + 10);
			sv->max_fails = n >= 0 && n < 1e6 ? (int)n : -1;
		} else if (gw_starts_with(argv[i], "fail_timeout="))
			sv->fail_timeout = nginx_conf_parse_time(argv[i] + 13);
	}
}

static void np_do_log(struct np *p, const char *file, int line, int argc, char **argv)
{
	if (argc < 2) return;
	if (!np_room(p, p->c->logs.n, 4, "log directives", file, line)) return;
	struct gw_conf_log *lg = gw_vec_push(&p->c->logs);
	lg->is_access = !strcmp(argv[0], "access_log");
	np_loc(&lg->loc, file, line);
	const char *v = argv[1];
	if (!strcmp(v, "off") || !strcmp(v, "stderr") || gw_starts_with(v, "syslog:") ||
	    gw_starts_with(v, "memory:") || strchr(v, '$'))
		GW_COPY(lg->path, v);
	else
		np_full_path(lg->path, sizeof lg->path, p->prefix, v);
	if (!lg->is_access && argc >= 3) GW_COPY(lg->level, argv[2]);
	if (lg->is_access && argc >= 3 && !strchr(argv[2], '=')) GW_COPY(lg->format, argv[2]);
}

/* log_format NAME [escape=default|json|none] STRING...: nginx joins the strings. */
static void np_do_log_format(struct np *p, const char *file, int line, int argc, char **argv)
{
	if (argc < 3) return;
	if (!np_room(p, p->c->log_formats.n, 64, "log_format directives", file, line)) return;
	struct gw_conf_log_format *f = gw_vec_push(&p->c->log_formats);
	GW_COPY(f->name, argv[1]);
	for (int i = gw_starts_with(argv[2], "escape=") ? 3 : 2; i < argc; i++)
		gw_append(f->format, sizeof f->format, "%s", argv[i]);
}

static void np_do_setting(struct np *p, const char *file, int line, int argc, char **argv, int is_size)
{
	if (argc < 2) return;
	if (!np_room(p, p->c->settings.n, 8, "timeout and size settings", file, line)) return;
	struct gw_conf_setting *st = gw_vec_push(&p->c->settings);
	GW_COPY(st->directive, argv[0]);
	GW_COPY(st->value, argv[1]);
	st->value_num = is_size == 2 ? -1 : is_size ? nginx_conf_parse_size(argv[1]) : nginx_conf_parse_time(argv[1]);
	np_context(p, st->context, sizeof st->context);
	np_loc(&st->loc, file, line);
}

static void np_include(struct np *p, const char *file, int line, const char *arg);

static void np_directive(struct np *p, const char *file, int line, int argc, char **argv)
{
	const char *name = argv[0];
	enum np_kind top = np_top_kind(p);

	if (!strcmp(name, "include")) {
		if (argc != 2)
			np_error(p, 1, file, line, "invalid number of arguments in \"include\" directive");
		else
			np_include(p, file, line, argv[1]);
		return;
	}
	if (top == K_OPAQUE) return;             /* map/types/geo bodies are data */
	if (top == K_UPSTREAM) {
		struct np_frame *uf = np_top(p);
		if (!strcmp(name, "server")) np_do_upstream_server(p, uf, file, line, argc, argv);
		else if (argc >= 2 && uf->up_idx < p->c->upstreams.n && !strcmp(name, "keepalive")) {
			struct gw_conf_upstream *up = &p->c->upstreams.v[uf->up_idx];
			double v = nginx_conf_parse_size(argv[1]);
			up->keepalive = v > 0 && v < 1e6 ? (int)v : 0;
			np_loc(&up->keepalive_loc, file, line);
		} else if (argc >= 2 && uf->up_idx < p->c->upstreams.n && !strcmp(name, "keepalive_timeout")) {
			struct gw_conf_upstream *up = &p->c->upstreams.v[uf->up_idx];
			up->keepalive_timeout = nginx_conf_parse_time(argv[1]);
			np_loc(&up->keepalive_timeout_loc, file, line);
		}
		return;
	}
	if (!strcmp(name, "user")) {
		if (top != K_MAIN || argc < 2) return;
		GW_COPY(p->c->user, argv[1]);
		if (argc >= 3) GW_COPY(p->c->group, argv[2]);
		np_loc(&p->c->user_loc, file, line);
	} else if (!strcmp(name, "listen")) {
		np_do_listen(p, file, line, argc, argv);
	} else if (!strcmp(name, "server_name")) {
		struct np_frame *srv = np_find(p, K_SERVER);
		if (!srv || srv->server_name[0]) return;
		for (int i = 1; i < argc; i++)
			if (argv[i][0]) { GW_COPY(srv->server_name, argv[i]); break; }
	} else if (!strcmp(name, "set")) {
		np_do_set(p, argc, argv);
	} else if (np_in(np_pass_directives, name)) {
		np_do_pass(p, file, line, argc, argv);
	} else if (np_in(np_time_settings, name)) {
		np_do_setting(p, file, line, argc, argv, 0);
	} else if (np_in(np_size_settings, name)) {
		np_do_setting(p, file, line, argc, argv, 1);
	} else if (np_in(np_word_settings, name)) {
		np_do_setting(p, file, line, argc, argv, 2);
	} else if (!strcmp(name, "error_log") || !strcmp(name, "access_log")) {
		np_do_log(p, file, line, argc, argv);
	} else if (!strcmp(name, "log_format")) {
		np_do_log_format(p, file, line, argc, argv);
	}
}

static void np_block_open(struct np *p, const char *file, int line, int argc, char **argv)
{
	enum np_kind top = np_top_kind(p);
	const char *name = argv[0];
	struct np_frame *f = gw_vec_push(&p->stack);
	f->line = line;
	if (top == K_OPAQUE) { f->kind = K_OPAQUE; return; }
	if (!strcmp(name, "http")) f->kind = K_HTTP;
	else if (!strcmp(name, "stream")) f->kind = K_STREAM;
	else if (!strcmp(name, "server") && top != K_UPSTREAM) {
		f->kind = K_SERVER;
		f->listen0 = p->c->listens.n;
		f->pass0 = p->c->passes.n;
		f->set0 = p->c->settings.n;
	} else if (!strcmp(name, "location")) {
		f->kind = K_LOCATION;
		for (int i = 1; i < argc; i++)
			gw_append(f->arg, sizeof f->arg, "%s%s", i > 1 ? " " : "", argv[i]);
	} else if (!strcmp(name, "upstream")) {
		f->kind = K_UPSTREAM;
		f->up_idx = p->c->upstreams.n;
		if (!np_room(p, p->c->upstreams.n, 16, "upstream blocks", file, line)) {
			f->up_idx = SIZE_MAX;        /* its servers go nowhere */
			if (argc >= 2) GW_COPY(f->arg, argv[1]);
		} else {
			struct gw_conf_upstream *up = gw_vec_push(&p->c->upstreams);
			up->keepalive_timeout = -1;
			if (argc >= 2) {
				GW_COPY(up->name, argv[1]);
				GW_COPY(f->arg, argv[1]);
			}
			np_loc(&up->loc, file, line);
		}
	} else if (!strcmp(name, "map") || !strcmp(name, "types") || !strcmp(name, "geo") ||
		   !strcmp(name, "split_clients") || !strcmp(name, "charset_map") ||
		   !strcmp(name, "match")) {
		f->kind = K_OPAQUE;
	} else {
		f->kind = K_OTHER;               /* events, if, limit_except, mail, ... */
	}
}

/* Closing a server{}: now its server_name and first listen are known. */
static void np_block_close(struct np *p)
{
	struct np_frame f = p->stack.v[--p->stack.n];
	while (p->sets.n && p->sets.v[p->sets.n - 1].depth > p->stack.n) p->sets.n--;
	struct gw_nginx_conf *c = p->c;
	if (f.kind != K_SERVER) return;
	for (size_t i = f.listen0; i < c->listens.n; i++)
		GW_COPY(c->listens.v[i].server_name, f.server_name);
	for (size_t i = f.pass0; i < c->passes.n; i++) {
		GW_COPY(c->passes.v[i].server_name, f.server_name);
		c->passes.v[i].server_port = f.server_port;
	}
	for (size_t i = f.set0; i < c->settings.n; i++)
		if (!strcmp(c->settings.v[i].context, "server") && f.server_name[0])
			gw_fmt(c->settings.v[i].context, sizeof c->settings.v[i].context,
			       "server %s", f.server_name);
}

static const char *np_block_name(enum np_kind k)
{
	switch (k) {
	case K_HTTP: return "http";
	case K_STREAM: return "stream";
	case K_SERVER: return "server";
	case K_LOCATION: return "location";
	case K_UPSTREAM: return "upstream";
	default: return "block";
	}
}

/* Parse one file's text; blocks opened here must close here. */
static void np_parse_buf(struct np *p, const char *file, const char *buf, size_t len)
{
	struct np_lex l = { .buf = buf, .len = len, .line = 1 };
	size_t base = p->stack.n;
	GW_VEC(char *) args = {0};
	size_t nargs_seen = 0;
	int argline = 0;

	while (!p->fatal) {
		int t = np_lex_next(&l);
		if (t == TOK_ERR) {
			np_error(p, 1, file, l.errline, "%s", l.err);
			break;
		}
		if (t == TOK_WORD) {
			if (!nargs_seen++) argline = l.tokline;
			if (args.n < NP_MAX_ARGS) *(char **)gw_vec_push(&args) = gw_xstrdup(l.tok);
			continue;
		}
		if (t == TOK_EOF) {
			if (nargs_seen)
				np_error(p, 1, file, l.line, "unexpected end of file, expecting \";\" or \"}\"");
			else if (p->stack.n > base)
				np_error(p, 1, file, l.line,
					 "unexpected end of file, expecting \"}\" (%s{ opened at line %d)",
					 np_block_name(np_top(p)->kind), np_top(p)->line);
			break;
		}
		if (t == TOK_SEMI) {
			if (!nargs_seen) { np_error(p, 1, file, l.line, "unexpected \";\""); break; }
			np_directive(p, file, argline, (int)args.n, args.v);
		} else if (t == TOK_LBRACE) {
			if (!nargs_seen) { np_error(p, 1, file, l.line, "unexpected \"{\""); break; }
			np_block_open(p, file, argline, (int)args.n, args.v);
		} else if (t == TOK_RBRACE) {
			if (nargs_seen || p->stack.n <= base) {
				np_error(p, 1, file, l.line, "unexpected \"}\"");
				break;
			}
			np_block_close(p);
		}
		for (size_t i = 0; i < args.n; i++) free(args.v[i]);
		gw_vec_clear(&args);
		nargs_seen = 0;
	}
	for (size_t i = 0; i < args.n; i++) free(args.v[i]);
	gw_vec_free(&args);
	free(l.tok);
}

static void np_add_file(struct np *p, const char *path, time_t mtime)
{
	for (size_t i = 0; i < p->c->files.n; i++)
		if (!strcmp(p->c->files.v[i].path, path)) return;
	struct gw_conf_file *f = gw_vec_push(&p->c->files);
	GW_COPY(f->path, path);
	f->mtime = mtime;
}

/* Read and parse one file. from_file/from_line: the include site (NULL for
 * the main file); glob: it came from a glob match. */
static void np_parse_file(struct np *p, const char *path, const char *from_file, int from_line, int glob)
{
	if (p->fatal) return;
	if (p->nfiles >= NGINX_CONF_MAX_FILES) {
		if (!p->files_capped)
			np_warn(p, from_file, from_line, "more than %d config files: %s (included at %s:%d) and later includes ignored",
				NGINX_CONF_MAX_FILES, path, from_file ? from_file : "?", from_line);
		p->files_capped = 1;
		return;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0) close(fd);
		np_dep_file(p, path, NULL);
		if (!from_file)
			np_error(p, 1, path, 0, "open() \"%s\" failed (%d: %s)", path, e, strerror(e));
		else if (e == ENOENT && !glob)
			np_error(p, 0, from_file, from_line, "open() \"%s\" failed (%d: %s)", path, e, strerror(e));
		else
			np_warn(p, from_file, from_line, "cannot read %s included at %s:%d: %s", path, from_file, from_line, strerror(e));
		return;
	}
	np_dep_file(p, path, &st);
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		const char *why = S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file";
		if (!from_file) np_error(p, 1, path, 0, "cannot read %s: %s", path, why);
		else np_warn(p, from_file, from_line, "cannot read %s included at %s:%d: %s", path, from_file, from_line, why);
		return;
	}
	for (int i = 0; i < p->nincl; i++) {
		if (p->incl[i].dev == st.st_dev && p->incl[i].ino == st.st_ino) {
			close(fd);
			np_warn(p, from_file, from_line, "include loop: %s included again at %s:%d (ignored)",
				path, from_file ? from_file : "?", from_line);
			return;
		}
	}
	if (p->nincl > NGINX_CONF_MAX_DEPTH) {
		close(fd);
		np_warn(p, from_file, from_line, "includes nested deeper than %d: %s at %s:%d ignored",
			NGINX_CONF_MAX_DEPTH, path, from_file ? from_file : "?", from_line);
		return;
	}
	if (st.st_size > (off_t)NGINX_CONF_MAX_FILE) {
		close(fd);
		if (from_file)
			np_error(p, 1, from_file, from_line, "%s is larger than 16 MiB (%lld bytes)",
				 path, (long long)st.st_size);
		else
			np_error(p, 1, path, 0, "%s is larger than 16 MiB (%lld bytes)", path, (long long)st.st_size);
		return;
	}
	/* a total budget: 4,096 files of 16 MiB are 64 GiB to read */
	if (p->bytes_capped || p->bytes + (size_t)st.st_size > NGINX_CONF_MAX_TOTAL) {
		close(fd);
		if (!p->bytes_capped)
			np_warn(p, from_file, from_line, "the config is more than %u MiB in all: %s (included at %s:%d) "
				"and later includes ignored", NGINX_CONF_MAX_TOTAL >> 20, path,
				from_file ? from_file : "?", from_line);
		p->bytes_capped = 1;
		return;
	}
	size_t cap = (size_t)st.st_size + 1, len = 0;
	char *buf = gw_xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap > NGINX_CONF_MAX_FILE) break;   /* grew while reading: cut */
			cap = cap * 2 > NGINX_CONF_MAX_FILE + 1 ? NGINX_CONF_MAX_FILE + 1 : cap * 2;
			buf = gw_xrealloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR) continue;
			int e = errno;
			close(fd);
			free(buf);
			if (from_file)
				np_warn(p, from_file, from_line, "cannot read %s included at %s:%d: %s", path, from_file, from_line, strerror(e));
			else
				np_error(p, 1, path, 0, "read() \"%s\" failed (%d: %s)", path, e, strerror(e));
			return;
		}
		if (r == 0) break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	if (len > NGINX_CONF_MAX_FILE) {
		free(buf);
		np_error(p, 1, from_file ? from_file : path, from_file ? from_line : 0,
			 "%s is larger than 16 MiB", path);
		return;
	}
	p->nfiles++;
	p->bytes += len;
	np_add_file(p, path, st.st_mtime);
	const char *nul = memchr(buf, '\0', len);
	if (nul) {                           /* binary data, even inside a comment */
		int line = 1;
		for (const char *q = buf; q < nul; q++) line += *q == '\n';
		free(buf);
		np_error(p, 1, path, line, "unexpected NUL byte (binary file?)");
		return;
	}
	p->incl[p->nincl].dev = st.st_dev;
	p->incl[p->nincl].ino = st.st_ino;
	p->nincl++;
	np_parse_buf(p, path, buf, len);
	p->nincl--;
	free(buf);
}

static void np_include(struct np *p, const char *file, int line, const char *arg)
{
	char path[GW_PATH];
	if (!arg[0]) { np_error(p, 1, file, line, "empty include path"); return; }
	if (gw_strlcpy(path, arg, sizeof path) >= sizeof path ||
	    (arg[0] != '/' && strlen(p->confdir) + strlen(arg) + 2 > sizeof path)) {
		np_warn(p, file, line, "include path too long at %s:%d (ignored)", file, line);
		return;
	}
	np_full_path(path, sizeof path, p->confdir, arg);
	if (!strpbrk(path, "*?[")) {
		np_parse_file(p, path, file, line, 0);
		return;
	}
	glob_t g;
	memset(&g, 0, sizeof g);
	int r = glob(path, 0, NULL, &g);
	np_dep_glob(p, path, r, &g);
	if (r == 0) {
		for (size_t i = 0; i < g.gl_pathc && !p->fatal; i++)
			np_parse_file(p, g.gl_pathv[i], file, line, 1);
	} else if (r != GLOB_NOMATCH) {
		np_warn(p, file, line, "include %s at %s:%d: glob failed (%s)", path, file, line,
			r == GLOB_NOSPACE ? "out of memory" : "read error");
	}
	globfree(&g);
}

/* After the whole config is read: name -> upstream{} block, default ports. */
/* Upstream blocks by name: sorted once (case-insensitively, as nginx
 * matches them), then found by binary search. Includes can multiply blocks
 * and passes (a file with N of each included N times): a linear search per
 * pass was quadratic (40,950 of each: 17 s). Equal names keep their order,
 * so the first block of a name is the one found, as before. */
struct np_upref {
	const char *name;
	size_t i;
};

static int np_upref_cmp(const void *a, const void *b)
{
	const struct np_upref *x = a, *y = b;
	int r = strcasecmp(x->name, y->name);
	return r ? r : (x->i > y->i) - (x->i < y->i);
}

static struct np_upref *np_up_index(const struct gw_nginx_conf *c)
{
	struct np_upref *ix = gw_xmalloc((c->upstreams.n ? c->upstreams.n : 1) * sizeof *ix);
	for (size_t u = 0; u < c->upstreams.n; u++) ix[u] = (struct np_upref){ c->upstreams.v[u].name, u };
	qsort(ix, c->upstreams.n, sizeof *ix, np_upref_cmp);
	return ix;
}

/* The first upstream{} called name, NULL when there is none. */
static const struct gw_conf_upstream *np_up_find(const struct gw_nginx_conf *c, const struct np_upref *ix,
						 const char *name)
{
	size_t lo = 0, hi = c->upstreams.n;
	while (lo < hi) {                    /* the first entry >= name */
		size_t mid = lo + (hi - lo) / 2;
		if (strcasecmp(ix[mid].name, name) < 0) lo = mid + 1;
		else hi = mid;
	}
	return lo < c->upstreams.n && !strcasecmp(ix[lo].name, name) ? &c->upstreams.v[ix[lo].i] : NULL;
}

static void np_finish(struct np *p)
{
	struct gw_nginx_conf *c = p->c;
	while (p->stack.n) np_block_close(p);
	struct np_upref *ups = np_up_index(c);
	for (size_t i = 0; i < c->passes.n; i++) {
		struct gw_conf_pass *ps = &c->passes.v[i];
		int noport = i < p->pass_noport.n && p->pass_noport.v[i];
		if (!noport || (ps->addr.kind != GW_ADDR_INET && ps->addr.kind != GW_ADDR_INET6 &&
				ps->addr.kind != GW_ADDR_HOST))
			continue;
		if (np_up_find(c, ups, ps->addr.host)) {
			ps->addr.kind = GW_ADDR_UPSTREAM;
			continue;
		}
		if (!strcmp(ps->directive, "proxy_pass") || !strcmp(ps->directive, "grpc_pass")) {
			if (!strcmp(ps->scheme, "https") || !strcmp(ps->scheme, "grpcs")) ps->addr.port = 443;
			else if (ps->scheme[0]) ps->addr.port = 80;
		}
	}
	free(ups);
}

static int np_parse(struct gw_nginx_conf *c, const char *conf_path, const char *prefix,
		    struct nginx_conf_cache *deps)
{
	struct np p;
	char source[sizeof c->conf_source];
	GW_COPY(source, c->conf_source);
	nginx_conf_free(c);                  /* a re-parse starts clean */
	GW_COPY(c->conf_source, source);
	memset(&p, 0, sizeof p);
	p.c = c;
	p.deps = deps;
	c->parsed = 1;
	c->ok = 1;
	c->error[0] = '\0';
	GW_COPY(c->conf_path, conf_path);

	GW_COPY(p.confdir, conf_path);
	char *slash = strrchr(p.confdir, '/');
	if (slash == p.confdir) p.confdir[1] = '\0';
	else if (slash) *slash = '\0';
	else gw_strlcpy(p.confdir, ".", sizeof p.confdir);

	const char *pre = prefix && prefix[0] ? prefix : p.confdir;
	gw_fmt(p.prefix, sizeof p.prefix, "%s%s", pre, gw_ends_with(pre, "/") ? "" : "/");
	GW_COPY(c->prefix, p.prefix);

	np_parse_file(&p, conf_path, NULL, 0, 0);
	np_finish(&p);
	gw_vec_free(&p.stack);
	gw_vec_free(&p.pass_noport);
	gw_vec_free(&p.sets);
	return c->ok ? 0 : -1;
}

int nginx_conf_parse(struct gw_nginx_conf *c, const char *conf_path, const char *prefix)
{
	return np_parse(c, conf_path, prefix, NULL);
}

struct nginx_conf_cache *nginx_conf_cache_new(void)
{
	return gw_xcalloc(1, sizeof(struct nginx_conf_cache));
}

unsigned nginx_conf_cache_parses(const struct nginx_conf_cache *cc)
{
	return cc->parses;
}

size_t nginx_conf_cache_ndeps(const struct nginx_conf_cache *cc)
{
	return cc->deps.n;
}

void nginx_conf_cache_free(struct nginx_conf_cache *cc)
{
	if (!cc) return;
	np_deps_free(cc);
	nginx_conf_free(&cc->conf);
	free(cc);
}

int nginx_conf_parse_cached(struct nginx_conf_cache *cc, struct gw_nginx_conf *c,
			    const char *conf_path, const char *prefix)
{
	if (!prefix) prefix = "";
	if (cc->valid && !strcmp(cc->conf_path, conf_path) && !strcmp(cc->prefix, prefix) &&
	    np_deps_unchanged(cc)) {
		char source[sizeof c->conf_source];
		GW_COPY(source, c->conf_source);
		nginx_conf_free(c);
		np_conf_copy(c, &cc->conf);
		GW_COPY(c->conf_source, source);
		return cc->rc;
	}
	cc->valid = 0;
	np_deps_free(cc);
	nginx_conf_free(&cc->conf);
	cc->parsed_at = gw_now();
	cc->parses++;
	int rc = np_parse(c, conf_path, prefix, cc);
	np_deps_dedupe(cc);
	np_conf_copy(&cc->conf, c);
	GW_COPY(cc->conf_path, conf_path);
	GW_COPY(cc->prefix, prefix);
	cc->rc = rc;
	/* a path too long to keep cannot be compared: no caching then */
	cc->valid = strlen(conf_path) < sizeof cc->conf_path && strlen(prefix) < sizeof cc->prefix;
	return rc;
}

/* ---------------------------------------------------------------- targets */

/* The targets added so far, by endpoint: open addressing on addr_hash
 * (consistent with addr_eq), so merging stays linear (a scan per pass was
 * quadratic: 20,000 distinct proxy_pass took 4 s). slot: target index + 1,
 * 0 = free; at most half full. */
struct np_tset {
	size_t *slot;
	size_t mask;
};

static void np_add_target(struct gw_snapshot *s, struct np_tset *set, const struct gw_conf_pass *ps,
			  const struct gw_addr *addr, const struct gw_conf_upstream *up,
			  const struct gw_conf_upstream_server *sv)
{
	size_t h = addr_hash(addr) & set->mask;
	for (; set->slot[h]; h = (h + 1) & set->mask)
		if (addr_eq(&s->targets.v[set->slot[h] - 1].addr, addr)) return;
	struct gw_target *t = gw_vec_push(&s->targets);
	set->slot[h] = s->targets.n;
	t->addr = *addr;
	gw_addr_str(addr, t->display, sizeof t->display);
	GW_COPY(t->directive, ps->directive);
	GW_COPY(t->scheme, ps->scheme);
	t->pass_loc = ps->loc;
	GW_COPY(t->location, ps->location);
	GW_COPY(t->server_name, ps->server_name);
	t->listener_idx = -1;
	/* HTTP probe only where nginx speaks HTTP/1 to it (not fastcgi & co, not stream{}) */
	t->not_http = strcmp(ps->directive, "proxy_pass") != 0 ||
		      (strcmp(ps->scheme, "http") != 0 && strcmp(ps->scheme, "https") != 0);
	if (up) GW_COPY(t->upstream_name, up->name);
	if (sv) {
		t->down = sv->down;
		t->backup = sv->backup;
		t->server_loc = sv->loc;
	}
}

void nginx_conf_build_targets(struct gw_snapshot *s)
{
	struct gw_nginx_conf *c = &s->conf;
	gw_vec_clear(&s->targets);
	size_t most = c->passes.n, cap = 16;          /* targets there can be at most */
	for (size_t u = 0; u < c->upstreams.n; u++) most += c->upstreams.v[u].servers.n;
	while (cap < 2 * most) cap *= 2;
	struct np_tset set = { gw_xcalloc(cap, sizeof *set.slot), cap - 1 };
	struct np_upref *ups = np_up_index(c);
	for (size_t i = 0; i < c->passes.n; i++) {
		const struct gw_conf_pass *ps = &c->passes.v[i];
		switch (ps->addr.kind) {
		case GW_ADDR_VARIABLE:
			snapshot_note(s, "nginx-conf", "%s %s at %s:%d uses variables: target not statically known",
				      ps->directive, ps->arg, ps->loc.file, ps->loc.line);
			break;
		case GW_ADDR_UPSTREAM: {
			const struct gw_conf_upstream *up = np_up_find(c, ups, ps->addr.host);
			for (size_t k = 0; up && k < up->servers.n; k++)
				np_add_target(s, &set, ps, &up->servers.v[k].addr, up, &up->servers.v[k]);
			break;
		}
		case GW_ADDR_INET: case GW_ADDR_INET6: case GW_ADDR_HOST: case GW_ADDR_UNIX:
			np_add_target(s, &set, ps, &ps->addr, NULL, NULL);
			break;
		default:
			break;
		}
	}
	free(ups);
	free(set.slot);
}

/* ---------------------------------------------------------------- locating */


static int np_run_capture(const char *bin, char *out, size_t outsz)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	char *argv[] = { (char *)bin, (char *)"-V", NULL };
	pid_t pid;
	int r = posix_spawnp(&pid, bin, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (r != 0) { close(pfd[0]); return -1; }
	size_t len = 0;
	double deadline = gw_mono() + 2.0;
	for (;;) {
		double left = deadline - gw_mono();
		if (left <= 0) { kill(pid, SIGKILL); break; }
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		int n = poll(&pf, 1, (int)(left * 1000) + 1);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) continue;
		char tmp[4096];
		ssize_t k = read(pfd[0], tmp, sizeof tmp);
		if (k < 0 && errno == EINTR) continue;
		if (k <= 0) break;
		size_t c = (size_t)k < outsz - 1 - len ? (size_t)k : outsz - 1 - len;
		memcpy(out + len, tmp, c);
		len += c;
	}
	out[len] = '\0';
	close(pfd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
	return 0;
}

/* As root, only a binary no other user could have changed (trust.h); a
 * bare name is resolved in PATH first and that file is run. */
static int np_run_capture_safe(const char *bin, char *out, size_t outsz)
{
	char exe[GW_PATH], why[GW_TEXT];
	out[0] = '\0';
	if (!trust_strict()) return np_run_capture(bin, out, outsz);
	if (trust_which(bin, exe, sizeof exe) < 0 || !trust_path_safe(exe, why, sizeof why)) return -1;
	return np_run_capture(exe, out, outsz);
}

static void np_v_opt(const char *out, const char *opt, char *dst, size_t size)
{
	const char *s = strstr(out, opt);
	dst[0] = '\0';
	if (!s) return;
	s += strlen(opt);
	size_t n = strcspn(s, " \t\r\n");
	if (n >= size) return;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void np_nginx_v(struct np_v *v, const char *bin, char *conf, size_t conf_sz, char *prefix, size_t prefix_sz)
{
	if (!bin || !bin[0]) bin = "nginx";
	if (!v->done || strcmp(v->bin, bin)) {
		char out[8192];
		memset(v, 0, sizeof *v);
		v->done = 1;
		GW_COPY(v->bin, bin);
		int r = np_run_capture_safe(bin, out, sizeof out);
		if ((r < 0 || !strstr(out, "--")) && !strchr(bin, '/'))
			r = np_run_capture_safe("/usr/sbin/nginx", out, sizeof out);
		if (r == 0) {
			np_v_opt(out, "--conf-path=", v->conf, sizeof v->conf);
			np_v_opt(out, "--prefix=", v->prefix, sizeof v->prefix);
		}
	}
	gw_strlcpy(conf, v->conf, conf_sz);
	gw_strlcpy(prefix, v->prefix, prefix_sz);
}

/* Pull -c and -p out of a master's rewritten cmdline
 * ("nginx: master process /usr/sbin/nginx -c /x/nginx.conf -p /x/"). */
static void np_master_args(const char *cmdline, char *c_arg, size_t c_sz, char *p_arg, size_t p_sz)
{
	char buf[GW_LINE];
	c_arg[0] = p_arg[0] = '\0';
	GW_COPY(buf, cmdline);
	char *s = strstr(buf, "master process");
	s = s ? s + strlen("master process") : buf;
	char *save = NULL, *tok, *want = NULL;
	size_t want_sz = 0;
	int first = 1;
	for (tok = strtok_r(s, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (want) { gw_strlcpy(want, tok, want_sz); want = NULL; continue; }
		if (first) { first = 0; if (tok[0] != '-') continue; }   /* the binary */
		if (tok[0] != '-' || !tok[1]) continue;
		char opt = tok[1];
		if (opt == 'c' || opt == 'p') {
			char *dst = opt == 'c' ? c_arg : p_arg;
			size_t sz = opt == 'c' ? c_sz : p_sz;
			if (tok[2]) gw_strlcpy(dst, tok + 2, sz);
			else { want = dst; want_sz = sz; }
		}
	}
}

static void np_with_slash(char *p, size_t size)
{
	size_t n = strlen(p);
	if (n && p[n - 1] != '/' && n + 1 < size) { p[n] = '/'; p[n + 1] = '\0'; }
}

/* The -p of master pr, made absolute against its working directory. */
static void np_master_prefix(const struct gw_proc *pr, char *m_prefix, size_t size)
{
	char tmp[GW_PATH * 2];
	if (!m_prefix[0] || m_prefix[0] == '/') return;
	char link[64], cwd[GW_PATH];
	gw_fmt(link, sizeof link, "/proc/%d/cwd", (int)pr->pid);
	ssize_t n = readlink(link, cwd, sizeof cwd - 1);
	if (n > 0) {
		cwd[n] = '\0';
		np_full_path(tmp, sizeof tmp, cwd, m_prefix);
		gw_strlcpy(m_prefix, tmp, size);
	}
}

int nginx_conf_locate(struct nginx_conf_cache *cc, const struct gw_snapshot *s, const char *override,
		      const char *nginx_bin, char *conf, size_t conf_sz, char *prefix, size_t prefix_sz,
		      char *source, size_t source_sz)
{
	struct np_v once = { 0 }, *v = cc ? &cc->v : &once;
	char m_conf[GW_PATH] = "", m_prefix[GW_PATH] = "";
	char v_conf[GW_PATH] = "", v_prefix[GW_PATH] = "";
	char tmp[GW_PATH * 2], want[PATH_MAX] = "";
	int have_master = 0, v_done = 0;

	conf[0] = prefix[0] = source[0] = '\0';
	if (override && override[0] && !realpath(override, want)) want[0] = '\0';
	/* The masters in s->procs are trusted ones only (procs.c drops the
	 * role of a title it cannot verify). With --nginx-conf, only a master
	 * whose -c is that very file lends its -p; else nginx -V's. */
	for (size_t i = 0; s && i < s->procs.n; i++) {
		const struct gw_proc *pr = &s->procs.v[i];
		char c[GW_PATH], p[GW_PATH];
		if (pr->role != GW_ROLE_NGINX_MASTER) continue;
		np_master_args(pr->cmdline, c, sizeof c, p, sizeof p);
		np_master_prefix(pr, p, sizeof p);
		if (override && override[0]) {
			char full[GW_PATH * 2], real[PATH_MAX];
			const char *pre = p;
			if (!want[0]) break;
			if (!c[0] || (c[0] != '/' && !p[0])) {
				if (!v_done) np_nginx_v(v, nginx_bin, v_conf, sizeof v_conf, v_prefix, sizeof v_prefix);
				v_done = 1;
				if (!c[0]) GW_COPY(c, v_conf);
				if (!p[0]) pre = v_prefix;
			}
			if (!c[0]) continue;
			char pw[GW_PATH];
			gw_fmt(pw, sizeof pw, "%s%s", pre[0] ? pre : "/usr/share/nginx/",
			       gw_ends_with(pre[0] ? pre : "/", "/") ? "" : "/");
			np_full_path(full, sizeof full, pw, c);
			if (!realpath(full, real) || strcmp(real, want)) continue;
		}
		have_master = 1;
		GW_COPY(m_conf, c);
		GW_COPY(m_prefix, p);
		break;
	}
	int need_v = !m_prefix[0] || (!override && !m_conf[0]) || (m_conf[0] && m_conf[0] != '/');
	if (need_v && !v_done) np_nginx_v(v, nginx_bin, v_conf, sizeof v_conf, v_prefix, sizeof v_prefix);

	/* prefix: -p, else nginx -V, else Debian's */
	gw_strlcpy(prefix, m_prefix[0] ? m_prefix : v_prefix[0] ? v_prefix : "/usr/share/nginx/", prefix_sz);
	np_with_slash(prefix, prefix_sz);

	if (override && override[0]) {
		/* the file itself, not a path relative to some prefix */
		gw_strlcpy(conf, want[0] ? want : override, conf_sz);
		gw_strlcpy(source, "--nginx-conf", source_sz);
		/* readable? (every tick: one system call, not an open and a close) */
		return faccessat(AT_FDCWD, conf, R_OK, AT_EACCESS) < 0 ? -1 : 0;
	}
	if (m_conf[0]) {
		np_full_path(tmp, sizeof tmp, prefix, m_conf);
		gw_strlcpy(conf, tmp, conf_sz);
		gw_strlcpy(source, "master cmdline", source_sz);
	} else if (v_conf[0]) {
		np_full_path(tmp, sizeof tmp, prefix, v_conf);
		gw_strlcpy(conf, tmp, conf_sz);
		gw_strlcpy(source, have_master && m_prefix[0] ? "master cmdline" : "nginx -V", source_sz);
	} else {
		gw_strlcpy(conf, "/etc/nginx/nginx.conf", conf_sz);
		gw_strlcpy(source, "default", source_sz);
	}
	return 0;
}
