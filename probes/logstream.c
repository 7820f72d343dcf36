/* logstream.c — the live merged log stream (see logstream.h): the log
 * layer's object. Its parts (logstream_int.h): the ring and the ingest
 * (logring.c), the file followers (logfile.c), the journal follower
 * (logjournal.c), the container followers (logctr.c). Here: creation and
 * the loop's sources (a 1 s backstop timer re-checks everything —
 * directories that do not exist yet, filesystems without inotify; the
 * dashboard runs those checks from its probe timer instead,
 * logstream_backstop), which sources a probe pass brings (logstream_sync),
 * the incident, the accessors.
 * Ownership: the stream owns every line's text, the readers' fds, the
 * journal and the follow requests; callers get const pointers valid until
 * the loop runs again. The dashboard's controller (ui/tui_logs.c) owns the
 * stream. */
#include "logstream_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define LS_INCIDENT_GAP 180.0              /* seconds between errors that still make one incident */

/* ------------------------------------------------------------------ loop callbacks */

static void ls_poll_all(struct logstream *ls)
{
	uint64_t g = ls->gen;
	if (sd_event_now(ls->e, CLOCK_MONOTONIC, &ls->polled) < 0) ls->polled = 0;
	ls_files_poll(ls);
	ls_jpoll(ls);
	if (g != ls->gen) ls_changed(ls);
}

static int ls_timer(sd_event_source *es, uint64_t usec, void *ud)
{
	struct logstream *ls = ud;
	ls_poll_all(ls);
	sd_event_source_set_time(es, usec + LS_BACKSTOP_USEC);
	sd_event_source_set_enabled(es, SD_EVENT_ON);
	return 0;
}

static int ls_defer(sd_event_source *es, void *ud)
{
	(void)es;
	ls_poll_all(ud);
	return 0;
}

/* ------------------------------------------------------------------ public */

struct logstream *logstream_new(sd_event *e, const struct logstream_config *cfg)
{
	struct logstream *ls = gw_xcalloc(1, sizeof *ls);
	if (cfg) ls->cfg = *cfg;
	if (!ls->cfg.cap) ls->cfg.cap = LOGSTREAM_DEFAULT_CAP;
	if (ls->cfg.window <= 0) ls->cfg.window = LOGSTREAM_DEFAULT_WINDOW;
	if (!ls->cfg.backfill_lines) ls->cfg.backfill_lines = LOGSTREAM_DEFAULT_LINES;
	if (!ls->cfg.backfill_bytes) ls->cfg.backfill_bytes = LOGSTREAM_BACKFILL_BYTES;
	if (ls->cfg.journal_dir) GW_COPY(ls->journal_dir, ls->cfg.journal_dir);
	ls->cfg.journal_dir = NULL;                    /* not kept: the copy is */
	ls->alloc = 2 * ls->cfg.cap;
	ls->ring = gw_xmalloc(ls->alloc * sizeof *ls->ring);
	ls->e = sd_event_ref(e);
	ls->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ls->ifd >= 0)
		sd_event_add_io(e, &ls->ino_src, ls->ifd, EPOLLIN, ls_files_inotify, ls);
	uint64_t now = 0;
	sd_event_now(e, CLOCK_MONOTONIC, &now);
	sd_event_add_time(e, &ls->timer, CLOCK_MONOTONIC, now + LS_BACKSTOP_USEC, 100000, ls_timer, ls);
	sd_event_add_defer(e, &ls->defer, ls_defer, ls);
	if (ls->defer) sd_event_source_set_enabled(ls->defer, SD_EVENT_OFF);
	return ls;
}

void logstream_free(struct logstream *ls)
{
	if (!ls) return;
	ls_files_free(ls);
	ls_ctrs_free(ls);
	sd_event_source_disable_unref(ls->ino_src);
	sd_event_source_disable_unref(ls->timer);
	sd_event_source_disable_unref(ls->defer);
	ls_journal_free(ls);
	if (ls->ifd >= 0) close(ls->ifd);
	ls_ring_free(ls);
	gw_vec_free(&ls->srcs);
	sd_event_unref(ls->e);
	free(ls);
}

static int ls_file_log(const char *p)
{
	return p[0] == '/' && strcmp(p, "/dev/null") && !gw_starts_with(p, "/dev/");
}

static int ls_unit_ok(const char *u)
{
	return u[0] && gw_ends_with(u, ".service") && !gw_starts_with(u, "user@");
}

void logstream_sync(struct logstream *ls, const struct gw_snapshot *s, const struct gw_options *o)
{
	ls->in_sync = 1;
	if (o) {
		for (size_t i = 0; i < o->error_logs.n; i++)
			logstream_add_file(ls, o->error_logs.v[i], LOGSTREAM_NGINX_ERROR, NULL);
		for (size_t i = 0; i < o->access_logs.n; i++)
			logstream_add_file(ls, o->access_logs.v[i], LOGSTREAM_NGINX_ACCESS, NULL);
		for (size_t i = 0; i < o->app_logs.n; i++) {
			const char *a = o->app_logs.v[i];
			if (gw_starts_with(a, "unit:")) logstream_add_unit(ls, a + 5, LOGSTREAM_JOURNAL_APP);
			else logstream_add_file(ls, a, LOGSTREAM_APP_FILE, NULL);
		}
		for (size_t i = 0; i < o->units.n; i++)
			logstream_add_unit(ls, o->units.v[i], LOGSTREAM_JOURNAL_APP);
	}
	if (s) {
		for (size_t i = 0; i < s->conf.logs.n; i++) {
			const struct gw_conf_log *l = &s->conf.logs.v[i];
			if (!ls_file_log(l->path)) continue;
			if (l->is_access && o && o->access_logs.n) continue;
			if (!l->is_access && o && o->error_logs.n) continue;
			logstream_add_file(ls, l->path, l->is_access ? LOGSTREAM_NGINX_ACCESS : LOGSTREAM_NGINX_ERROR, NULL);
		}
		for (size_t i = 0; i < s->log_sources.n; i++) {
			const struct gw_log_source *l = &s->log_sources.v[i];
			if (!ls_file_log(l->path)) continue;
			if (!strcmp(l->tag, "app")) logstream_add_file(ls, l->path, LOGSTREAM_APP_FILE, NULL);
			else if (!strcmp(l->tag, "nginx-error")) logstream_add_file(ls, l->path, LOGSTREAM_NGINX_ERROR, NULL);
		}
		for (size_t i = 0; i < s->procs.n; i++) {
			const struct gw_proc *p = &s->procs.v[i];
			if (!ls_unit_ok(p->unit)) continue;
			if (p->role == GW_ROLE_NGINX_MASTER)
				logstream_add_unit(ls, p->unit, LOGSTREAM_JOURNAL_NGINX);
			else if (p->role == GW_ROLE_GUNICORN_MASTER || p->role == GW_ROLE_UVICORN_MASTER ||
				 p->role == GW_ROLE_GUNICORN_WORKER || p->role == GW_ROLE_UVICORN_WORKER ||
				 p->role == GW_ROLE_APP_SERVER)
				logstream_add_unit(ls, p->unit, LOGSTREAM_JOURNAL_APP);
		}
		for (size_t i = 0; i < s->units.n; i++) {
			const struct gw_unit *u = &s->units.v[i];
			if (!ls_unit_ok(u->name)) continue;
			if (u->is_nginx) logstream_add_unit(ls, u->name, LOGSTREAM_JOURNAL_NGINX);
			else if (u->is_app) logstream_add_unit(ls, u->name, LOGSTREAM_JOURNAL_APP);
		}
		ls_ctr_sync_all(ls, s);
	}
	if (!ls->cfg.no_journal) logstream_add_kernel(ls);
	ls->in_sync = 0;
	if (ls->j_dirty) {
		uint64_t g = ls->gen;
		ls_jsetup(ls);
		if (g != ls->gen) ls_changed(ls);
	}
}

void logstream_set_alarm(struct logstream *ls, void (*fn)(void *ud), void *ud)
{
	ls->alarm = fn;
	ls->alarm_ud = ud;
}

void logstream_set_notify(struct logstream *ls, void (*fn)(void *ud), void *ud)
{
	ls->notify = fn;
	ls->notify_ud = ud;
}

size_t logstream_nsources(const struct logstream *ls) { return ls->srcs.n; }
int logstream_find_source(const struct logstream *ls, const char *name) { return ls_find_src(ls, name); }

const struct logstream_source *logstream_source(const struct logstream *ls, size_t idx)
{
	return idx < ls->srcs.n ? &ls->srcs.v[idx].pub : NULL;
}

void logstream_source_hide(struct logstream *ls, size_t idx, int hidden)
{
	if (idx < ls->srcs.n) {
		ls->srcs.v[idx].pub.hidden = hidden;
		ls->gen++;
	}
}

const struct accesslog_stats *logstream_access(const struct logstream *ls) { return &ls->acc; }

static int ls_is_error(const struct logstream_line *l)
{
	if (l->flags & (LOGSTREAM_F_MARK | LOGSTREAM_F_ACCESS)) return 0;
	return l->level >= GW_LV_ERROR || l->kind != GW_LOG_OTHER;
}

int logstream_incident(const struct logstream *ls, double now, double recent, double *start)
{
	double t;
	if (accesslog_burst(&ls->acc, now, recent, &t, NULL, NULL)) {
		*start = t;
		return 1;
	}
	size_t i = ls->n;
	while (i > 0 && !ls_is_error(ls_at(ls, i - 1))) i--;
	if (!i || ls_at(ls, i - 1)->time < now - recent) return 0;
	double first = ls_at(ls, i - 1)->time;
	for (size_t k = i - 1; k-- > 0;) {
		const struct logstream_line *l = ls_at(ls, k);
		if (first - l->time > LS_INCIDENT_GAP) break;
		if (ls_is_error(l)) first = l->time;
	}
	*start = first;
	return 1;
}

void logstream_poll(struct logstream *ls) { ls_poll_all(ls); }

void logstream_backstop(struct logstream *ls)
{
	uint64_t now;
	if (!ls->timer || sd_event_now(ls->e, CLOCK_MONOTONIC, &now) < 0) return;
	if (now - ls->polled >= LS_BACKSTOP_USEC / 4) ls_poll_all(ls);
	sd_event_source_set_time(ls->timer, now + LS_BACKSTOP_USEC * 3 / 2);
}

size_t logstream_memory(const struct logstream *ls)
{
	/* malloc rounds every text up to 16 bytes and adds 8 of its own */
	return ls->alloc * sizeof *ls->ring + ls->text_bytes + ls->n * 16 +
	       ls->srcs.n * sizeof *ls->srcs.v + ls_files_memory(ls) + ls_ctrs_memory(ls);
}

size_t logstream_cap(const struct logstream *ls) { return ls->cfg.cap; }
