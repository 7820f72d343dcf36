/* fuzz_nginx_conf.c — libFuzzer target for the nginx config parser
 * (probes/nginx_conf.c) including include resolution and target building.
 *
 * The input is split on the marker line "#--FILE--\n" into at most 8 files
 * of an in-memory tree: /fz/nginx.conf, /fz/f1.conf ... /fz/f7.conf, so
 * inputs can `include f1.conf;`, `include *.conf;`, include themselves
 * (loops) etc. The parser's open/stat/fstat/read/close/glob/globfree
 * are redirected here at link time (-Wl,--wrap=..., see fuzz/run.sh): while
 * the parser runs, every path is looked up in the tree (no syscall per
 * include, no real file is ever read, every input gives the same result);
 * outside it the calls pass through (libFuzzer uses them too).
 *
 * The tree also holds what a disk tree could not give cheaply or
 * deterministically, each reached by an include:
 *   /fz/special/noperm   open() fails with EACCES
 *   /fz/special/eio      read() fails with EIO
 *   /fz/special/big      fstat() says 17 MiB (the size cap)
 *   /fz/special/fifo     not a regular file; /dev/null a character device
 *   /fz/special/chain/N  "include /fz/special/chain/N+1;" (the depth cap)
 *   /fz/special/small    a small valid config (the re-parse below)
 *   /fz/f7.conf          fstat() says 0 bytes, like a /proc file (the
 *                        read loop must grow the buffer)
 *   a pattern under /fz/special/err  glob() fails with GLOB_ABORTED
 *
 * Properties: no crash / leak / UB; every string the parser fills is
 * NUL-terminated; an error always comes with its file; no virtual file is
 * left open; through the parse cache (nginx_conf_parse_cached), a second
 * call with nothing changed reads no file and gives an identical deep
 * copy; a re-parse into the same struct frees the old tables. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nginx_conf.h"

#define MARKER "#--FILE--\n"
#define NFILES 8
#define NCHAIN 40
#define FZ_FD0 (INT_MAX - 64)        /* virtual fds: never a kernel fd */

/* ---------------------------------------------------------------- the tree */

enum fz_kind { FZ_REG, FZ_DIR, FZ_FIFO, FZ_CHR, FZ_NOPERM, FZ_EIO, FZ_BIG };

struct fz_node {
	char path[48];
	uint64_t hash;               /* of path: the lookup compares it first */
	enum fz_kind kind;
	const char *data;
	size_t len;
	size_t st_size;              /* what fstat says */
};

static struct fz_node fz_nodes[NFILES + NCHAIN + 16];
static size_t fz_nnodes;
static char fz_chain[NCHAIN][48];
static const char fz_small[] =
	"http { upstream u { server 127.0.0.1:1; server unix:/run/u.sock down; }\n"
	" server { listen 80; server_name a; proxy_read_timeout 5s;\n"
	"  location / { proxy_pass http://u; } location /x { proxy_pass http://[::1]:8000/; } } }\n";

static struct {
	int used;
	const struct fz_node *n;
	size_t off;
} fz_fds[16];

/* FNV-1a. A strcmp per node per stat() was a fifth of the run time:
 * libFuzzer hooks strcmp to learn from its operands. */
static uint64_t fz_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;
	for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct fz_node *fz_add(const char *path, enum fz_kind kind, const char *data, size_t len)
{
	struct fz_node *n = &fz_nodes[fz_nnodes++];
	snprintf(n->path, sizeof n->path, "%s", path);
	n->hash = fz_hash(n->path);
	n->kind = kind;
	n->data = data;
	n->len = len;
	n->st_size = kind == FZ_BIG ? 17u * 1024 * 1024 : len;
	return n;
}

/* Collapse "//", "/./" and "/x/../" the way the kernel resolves a path. */
static void fz_normalize(const char *in, char *out, size_t size)
{
	size_t o = 0;
	const char *p = in;
	out[0] = '\0';
	if (*p != '/') { snprintf(out, size, "%s", in); return; }
	while (*p) {
		while (*p == '/') p++;
		if (!*p) break;
		size_t n = strcspn(p, "/");
		if (n == 1 && p[0] == '.') {
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 0 && out[o - 1] != '/') o--;
			if (o > 0) o--;
		} else if (o + 1 + n < size) {
			out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		out[o] = '\0';
	}
	if (!o) snprintf(out, size, "/");
}

static const struct fz_node *fz_lookup(const char *path)
{
	char norm[PATH_MAX];
	fz_normalize(path, norm, sizeof norm);
	uint64_t h = fz_hash(norm);
	for (size_t i = 0; i < fz_nnodes; i++)
		if (fz_nodes[i].hash == h && !strcmp(fz_nodes[i].path, norm)) return &fz_nodes[i];
	return NULL;
}

/* Set while the parser runs: then every path is looked up in the tree
 * (what is not there does not exist); otherwise the calls pass through. */
static int fz_active;
static unsigned long fz_reads;       /* virtual read() calls */

/* ---------------------------------------------------------------- the calls */

int __real_open(const char *path, int flags, ...);
int __real_stat(const char *path, struct stat *st);
int __real_fstat(int fd, struct stat *st);
ssize_t __real_read(int fd, void *buf, size_t n);
int __real_close(int fd);
int __real_glob(const char *pat, int flags, int (*errfn)(const char *, int), glob_t *g);
void __real_globfree(glob_t *g);
int __wrap_open(const char *path, int flags, ...);
int __wrap_stat(const char *path, struct stat *st);
int __wrap_fstat(int fd, struct stat *st);
ssize_t __wrap_read(int fd, void *buf, size_t n);
int __wrap_close(int fd);
int __wrap_glob(const char *pat, int flags, int (*errfn)(const char *, int), glob_t *g);
void __wrap_globfree(glob_t *g);

int __wrap_open(const char *path, int flags, ...)
{
	if (!fz_active) {
		int mode = 0;
		if (flags & (O_CREAT | O_TMPFILE)) {
			va_list ap;
			va_start(ap, flags);
			mode = va_arg(ap, int);
			va_end(ap);
		}
		return __real_open(path, flags, mode);
	}
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT)) abort();   /* a probe never writes */
	const struct fz_node *n = fz_lookup(path);
	if (!n) { errno = ENOENT; return -1; }
	if (n->kind == FZ_NOPERM) { errno = EACCES; return -1; }
	for (int i = 0; i < (int)(sizeof fz_fds / sizeof *fz_fds); i++) {
		if (fz_fds[i].used) continue;
		fz_fds[i].used = 1;
		fz_fds[i].n = n;
		fz_fds[i].off = 0;
		return FZ_FD0 + i;
	}
	errno = EMFILE;                      /* the parser holds one fd at a time */
	return -1;
}

static int fz_fd(int fd)
{
	int i = fd - FZ_FD0;
	if (fd < FZ_FD0 || i >= (int)(sizeof fz_fds / sizeof *fz_fds)) return -1;
	if (!fz_fds[i].used) abort();        /* use of a closed virtual fd */
	return i;
}

static void fz_fill_stat(const struct fz_node *n, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_dev = 42;
	st->st_ino = (ino_t)(n - fz_nodes) + 1;
	st->st_size = (off_t)n->st_size;
	st->st_mtime = 1700000000;
	st->st_mode = n->kind == FZ_DIR ? S_IFDIR | 0755 : n->kind == FZ_FIFO ? S_IFIFO | 0644 :
		      n->kind == FZ_CHR ? S_IFCHR | 0666 : S_IFREG | 0644;
}

int __wrap_fstat(int fd, struct stat *st)
{
	int i = fz_fd(fd);
	if (i < 0) return __real_fstat(fd, st);
	fz_fill_stat(fz_fds[i].n, st);
	return 0;
}

/* stat() of a file one cannot open still works (noperm included). */
int __wrap_stat(const char *path, struct stat *st)
{
	if (!fz_active) return __real_stat(path, st);
	const struct fz_node *n = fz_lookup(path);
	if (!n) { errno = ENOENT; return -1; }
	fz_fill_stat(n, st);
	return 0;
}

ssize_t __wrap_read(int fd, void *buf, size_t count)
{
	int i = fz_fd(fd);
	if (i < 0) return __real_read(fd, buf, count);
	const struct fz_node *n = fz_fds[i].n;
	if (n->kind == FZ_DIR) { errno = EISDIR; return -1; }
	if (n->kind == FZ_EIO) { errno = EIO; return -1; }
	size_t left = n->len - fz_fds[i].off;
	if (count > left) count = left;
	if (count) memcpy(buf, n->data + fz_fds[i].off, count);
	fz_fds[i].off += count;
	fz_reads++;
	return (ssize_t)count;
}

int __wrap_close(int fd)
{
	int i = fz_fd(fd);
	if (i < 0) return __real_close(fd);
	fz_fds[i].used = 0;
	return 0;
}

static int fz_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* glob(3) over the tree: wildcards do not cross '/' nor match a leading
 * '.', results sorted; a pattern outside the tree goes to the real glob. */
int __wrap_glob(const char *pat, int flags, int (*errfn)(const char *, int), glob_t *g)
{
	if (!fz_active) return __real_glob(pat, flags, errfn, g);
	if (flags) abort();                  /* the parser asks for the plain form */
	char norm[PATH_MAX];
	fz_normalize(pat, norm, sizeof norm);
	memset(g, 0, sizeof *g);
	g->gl_flags = -1;                    /* ours: globfree below frees it */
	if (!strncmp(norm, "/fz/special/err", 15)) return GLOB_ABORTED;
	g->gl_pathv = calloc(fz_nnodes + 1, sizeof *g->gl_pathv);
	if (!g->gl_pathv) return GLOB_NOSPACE;
	for (size_t i = 0; i < fz_nnodes; i++)
		if (!fnmatch(norm, fz_nodes[i].path, FNM_PATHNAME | FNM_PERIOD))
			g->gl_pathv[g->gl_pathc++] = strdup(fz_nodes[i].path);
	if (!g->gl_pathc) {
		free(g->gl_pathv);
		g->gl_pathv = NULL;
		return GLOB_NOMATCH;
	}
	qsort(g->gl_pathv, g->gl_pathc, sizeof *g->gl_pathv, fz_cmp);
	return 0;
}

void __wrap_globfree(glob_t *g)
{
	if (g->gl_flags != -1) { __real_globfree(g); return; }
	for (size_t i = 0; i < g->gl_pathc; i++) free(g->gl_pathv[i]);
	free(g->gl_pathv);
	memset(g, 0, sizeof *g);
}

/* The fixed part of the tree; then the input's files are added after it. */
static size_t fz_fixed;

static void fz_init(void)
{
	if (fz_fixed) return;
	fz_add("/fz", FZ_DIR, NULL, 0);
	fz_add("/fz/special", FZ_DIR, NULL, 0);
	fz_add("/fz/special/noperm", FZ_NOPERM, NULL, 0);
	fz_add("/fz/special/eio", FZ_EIO, NULL, 0);
	fz_add("/fz/special/big", FZ_BIG, NULL, 0);
	fz_add("/fz/special/fifo", FZ_FIFO, NULL, 0);
	fz_add("/dev/null", FZ_CHR, NULL, 0);
	fz_add("/fz/special/small", FZ_REG, fz_small, strlen(fz_small));
	fz_add("/fz/special/chain", FZ_DIR, NULL, 0);
	for (int i = 0; i < NCHAIN; i++) {
		char p[48];
		snprintf(fz_chain[i], sizeof fz_chain[i], "include /fz/special/chain/%d;\n", i + 1);
		snprintf(p, sizeof p, "/fz/special/chain/%d", i);
		fz_add(p, FZ_REG, fz_chain[i], strlen(fz_chain[i]));
	}
	fz_fixed = fz_nnodes;
}

/* ---------------------------------------------------------------- checks */

#define FZ_TERMINATED(a) do { if (!memchr((a), '\0', sizeof(a))) abort(); } while (0)

static void fz_check(const struct gw_nginx_conf *c)
{
	FZ_TERMINATED(c->error);
	FZ_TERMINATED(c->user);
	FZ_TERMINATED(c->group);
	if (!c->ok && !c->error[0]) abort();
	for (size_t i = 0; i < c->passes.n; i++) {
		FZ_TERMINATED(c->passes.v[i].arg);
		FZ_TERMINATED(c->passes.v[i].addr.host);
		FZ_TERMINATED(c->passes.v[i].addr.path);
		FZ_TERMINATED(c->passes.v[i].location);
		if (c->passes.v[i].loc.line < 1) abort();
	}
	for (size_t i = 0; i < c->listens.n; i++) FZ_TERMINATED(c->listens.v[i].raw);
	for (size_t i = 0; i < c->upstreams.n; i++) {
		FZ_TERMINATED(c->upstreams.v[i].name);
		for (size_t j = 0; j < c->upstreams.v[i].servers.n; j++)
			FZ_TERMINATED(c->upstreams.v[i].servers.v[j].raw);
	}
	for (size_t i = 0; i < c->settings.n; i++) FZ_TERMINATED(c->settings.v[i].value);
	for (size_t i = 0; i < c->logs.n; i++) FZ_TERMINATED(c->logs.v[i].path);
	for (size_t i = 0; i < c->warnings.n; i++) FZ_TERMINATED(c->warnings.v[i].text);
	if (c->files.n > NGINX_CONF_MAX_FILES) abort();
	for (size_t i = 0; i < sizeof fz_fds / sizeof *fz_fds; i++)
		if (fz_fds[i].used) abort();     /* a virtual fd leaked */
}

#define FZ_SAME_VEC(a, b) do { \
	if ((a).n != (b).n) abort(); \
	if ((a).n && (!(a).v || !(b).v || (a).v == (b).v || \
		      memcmp((a).v, (b).v, (a).n * sizeof *(a).v))) abort(); \
} while (0)

/* b is a copy of a (the cache's deep copy): same values, own tables (a
 * shared table would be freed twice). */
static void fz_same(const struct gw_nginx_conf *a, const struct gw_nginx_conf *b)
{
	if (a->parsed != b->parsed || a->ok != b->ok || strcmp(a->error, b->error) ||
	    strcmp(a->conf_path, b->conf_path) || strcmp(a->prefix, b->prefix) ||
	    strcmp(a->user, b->user) || strcmp(a->group, b->group))
		abort();
	FZ_SAME_VEC(a->warnings, b->warnings);
	FZ_SAME_VEC(a->files, b->files);
	FZ_SAME_VEC(a->listens, b->listens);
	FZ_SAME_VEC(a->passes, b->passes);
	FZ_SAME_VEC(a->settings, b->settings);
	FZ_SAME_VEC(a->logs, b->logs);
	if (a->upstreams.n != b->upstreams.n) abort();
	for (size_t i = 0; i < a->upstreams.n; i++) {
		if (strcmp(a->upstreams.v[i].name, b->upstreams.v[i].name)) abort();
		FZ_SAME_VEC(a->upstreams.v[i].servers, b->upstreams.v[i].servers);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_init();
	fz_nnodes = fz_fixed;
	const char *p = (const char *)data, *end = p + size;
	for (int i = 0; i < NFILES; i++) {
		const char *m = i < NFILES - 1 ? memmem(p, (size_t)(end - p), MARKER, strlen(MARKER)) : NULL;
		const char *stop = m ? m : end;
		char path[32];
		if (i == 0) snprintf(path, sizeof path, "/fz/nginx.conf");
		else snprintf(path, sizeof path, "/fz/f%d.conf", i);
		struct fz_node *n = fz_add(path, FZ_REG, p, (size_t)(stop - p));
		if (i == NFILES - 1) n->st_size = 0;  /* sized like a /proc file */
		if (!m) break;
		p = m + strlen(MARKER);
	}

	/* through the parse cache (nothing changes in between: the second call
	 * must be a hit that gives an identical copy); relative log paths
	 * against either prefix */
	struct gw_snapshot s;
	struct gw_nginx_conf c2;
	struct nginx_conf_cache *cc = nginx_conf_cache_new();
	const char *prefix = size & 1 ? "/prefix/" : NULL;
	snapshot_init(&s);
	memset(&c2, 0, sizeof c2);
	fz_active = 1;
	int r1 = nginx_conf_parse_cached(cc, &s.conf, "/fz/nginx.conf", prefix);
	fz_reads = 0;
	int r2 = nginx_conf_parse_cached(cc, &c2, "/fz/nginx.conf", prefix);
	fz_active = 0;
	fz_check(&s.conf);
	if (r1 != r2 || fz_reads) abort();  /* a hit reads no file */
	fz_same(&s.conf, &c2);
	nginx_conf_free(&c2);
	nginx_conf_cache_free(cc);
	nginx_conf_build_targets(&s);
	for (size_t t = 0; t < s.targets.n; t++) {
		FZ_TERMINATED(s.targets.v[t].display);
		if (s.targets.v[t].addr.kind == GW_ADDR_UPSTREAM) abort();
	}
	/* a re-parse into the same struct must free the old tables (a small
	 * fixed config: parsing the input twice would double the cost) */
	fz_active = 1;
	if (nginx_conf_parse(&s.conf, "/fz/special/small", NULL) != 0) abort();
	fz_active = 0;
	fz_check(&s.conf);
	if (s.conf.passes.n != 2 || s.conf.upstreams.n != 1 || s.conf.files.n != 1) abort();
	snapshot_free(&s);
	return 0;
}
