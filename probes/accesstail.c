/* accesstail.c — the access logs' tails summed into s->access (see
 * accesstail.h). Lines are parsed with accesslog_parse (the combined layout
 * and whatever starts like it); lines it cannot parse are skipped. */
#include "accesstail.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accesslog.h"
#include "trust.h"

struct at_rec {
	double time;
	short status;
	char own;
};

/* One file's last read: its stat() signature and its parsed records. */
struct at_file {
	char path[GW_PATH];
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	GW_VEC(struct at_rec) recs;
	char last_5xx_line[GW_LINE];
	double last_5xx_time;
};

struct accesstail_cache {
	GW_VEC(struct at_file) files;
};

struct accesstail_cache *accesstail_cache_new(void)
{
	return gw_xcalloc(1, sizeof(struct accesstail_cache));
}

void accesstail_cache_free(struct accesstail_cache *c)
{
	if (!c) return;
	for (size_t i = 0; i < c->files.n; i++) gw_vec_free(&c->files.v[i].recs);
	gw_vec_free(&c->files);
	free(c);
}

static struct at_file *at_lookup(struct accesstail_cache *c, const char *path)
{
	for (size_t i = 0; i < c->files.n; i++)
		if (!strcmp(c->files.v[i].path, path)) return &c->files.v[i];
	struct at_file *f = gw_vec_push(&c->files);
	memset(f, 0, sizeof *f);
	GW_COPY(f->path, path);
	return f;
}

/* Parse buf[0..len) (complete lines only) into f. */
static void at_parse(struct at_file *f, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	f->recs.n = 0;
	f->last_5xx_line[0] = '\0';
	f->last_5xx_time = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct accesslog_entry e;
		if (n && accesslog_parse(p, n, &e)) {
			struct at_rec *r = gw_vec_push(&f->recs);
			r->time = e.time;
			r->status = (short)e.status;
			r->own = (char)accesslog_is_own(p, n);
			if (e.status >= 500 && !r->own && e.time >= f->last_5xx_time) {
				f->last_5xx_time = e.time;
				gw_fmt(f->last_5xx_line, sizeof f->last_5xx_line, "%.*s",
				       (int)(n < GW_LINE - 1 ? n : GW_LINE - 1), p);
			}
		}
		if (!nl) break;
		p = nl + 1;
	}
}

/* Read the end of the file into f (unless its signature holds). */
static int at_refresh(struct at_file *f, const char *path, char *err, size_t errsz)
{
	/* a path from the config or the command line: opened only as a
	 * regular file outside /dev, /proc, /sys (trust.h) */
	struct stat st;
	int fd = trust_open_regular(path, &st, err, errsz);
	if (fd < 0) {
		if (!err[0]) gw_fmt(err, errsz, "%s", strerror(errno));
		return -1;
	}
	if (f->ino == st.st_ino && f->dev == st.st_dev && f->size == st.st_size &&
	    f->mtime.tv_sec == st.st_mtim.tv_sec && f->mtime.tv_nsec == st.st_mtim.tv_nsec) {
		close(fd);
		return 0;
	}
	off_t from = st.st_size > (off_t)ACCESSTAIL_MAX ? st.st_size - (off_t)ACCESSTAIL_MAX : 0;
	size_t want = (size_t)(st.st_size - from);
	char *buf = malloc(want + 1);
	size_t got = 0;
	if (!buf) {
		close(fd);
		gw_fmt(err, errsz, "out of memory");
		return -1;
	}
	while (got < want) {
		ssize_t r = pread(fd, buf + got, want - got, from + (off_t)got);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) break;
		got += (size_t)r;
	}
	close(fd);
	const char *start = buf;
	if (from > 0) {                      /* skip the partial first line */
		const char *nl = memchr(buf, '\n', got);
		start = nl ? nl + 1 : buf + got;
	}
	at_parse(f, start, got - (size_t)(start - buf));
	free(buf);
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = st.st_size;
	f->mtime = st.st_mtim;
	return 0;
}

int accesstail_read(struct accesstail_cache *c, struct gw_snapshot *s, const char *path, double since)
{
	struct at_file local, *f;
	struct gw_access *a = &s->access;
	char err[GW_TEXT] = "";

	if (c) {
		f = at_lookup(c, path);
	} else {
		memset(&local, 0, sizeof local);
		f = &local;
	}
	if (at_refresh(f, path, err, sizeof err) < 0) {
		snapshot_note(s, "access-log", "cannot read %s: %s", path, err);
		if (!c) gw_vec_free(&local.recs);
		return -1;
	}
	if (!a->read) GW_COPY(a->path, path);
	a->read = 1;
	a->since = since;
	double first5 = 0, last5 = 0, first_ok = 0;
	unsigned ok_after = 0;
	int between = 0, inter = 0;
	for (size_t i = 0; i < f->recs.n; i++) {       /* file order = time order */
		const struct at_rec *r = &f->recs.v[i];
		if (r->time < since || r->own || r->status == 499) continue;
		if (r->status >= 500) {
			if (!first5) first5 = r->time;
			last5 = r->time;
			inter |= between;
			ok_after = 0;
			first_ok = 0;
		} else if (first5) {
			between = 1;
			if (!ok_after++) first_ok = r->time;
		}
	}
	if (last5 && last5 >= a->last_5xx) {
		a->ok_after_5xx = ok_after;
		a->recovered_at = first_ok;
		a->interleaved |= inter;
	}
	for (size_t i = 0; i < f->recs.n; i++) {
		const struct at_rec *r = &f->recs.v[i];
		if (r->time < since) continue;
		if (r->own) {
			a->own++;
			continue;
		}
		a->total++;
		if (r->status == 499) a->n499++;
		else if (r->status >= 500) {
			a->n5xx++;
			if (r->status == 500) a->n500++;
			if (r->status == 502) a->n502++;
			if (r->status == 503) a->n503++;
			if (r->status == 504) a->n504++;
			if (!a->first_5xx || r->time < a->first_5xx) a->first_5xx = r->time;
			if (r->time > a->last_5xx) a->last_5xx = r->time;
		} else {
			if (r->status >= 400) a->n4xx++;
			else if (r->status >= 300) a->n3xx++;
			else if (r->status >= 200) a->n2xx++;
			if (r->time > a->last_ok) a->last_ok = r->time;
		}
	}
	if (f->last_5xx_line[0] && f->last_5xx_time >= since && f->last_5xx_time >= a->last_5xx)
		GW_COPY(a->last_5xx_line, f->last_5xx_line);
	if (!c) gw_vec_free(&local.recs);
	return 0;
}
