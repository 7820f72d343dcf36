/* logjournal.c — the log layer's journal follower (see logstream_int.h):
 * one sd_journal (journal_open) with a disjunction of matches, one per
 * journal source (journal_match_unit for a unit: the same matches the
 * probe pass's journal.c reads), its fd on the loop. Setting it up walks
 * back from the end for the start-up window, then reads forward. */
#include "logstream_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"

int ls_is_journal(enum logstream_type t)
{
	return t == LOGSTREAM_JOURNAL_APP || t == LOGSTREAM_JOURNAL_NGINX || t == LOGSTREAM_KERNEL;
}

/* Which journal source the current entry belongs to, -1 none. */
static int ls_jsource(struct logstream *ls)
{
	const char *v;
	size_t n;
	char unit[GW_NAME];
	if (journal_data(ls->j, "_TRANSPORT", &v, &n) && n == 6 && !memcmp(v, "kernel", 6)) {
		int k = ls_find_src(ls, "kernel");
		if (k >= 0) return k;
	}
	static const char *const fields[] = { "_SYSTEMD_UNIT", "UNIT", "OBJECT_SYSTEMD_UNIT" };
	for (size_t i = 0; i < 3; i++) {
		if (!journal_data(ls->j, fields[i], &v, &n) || n >= sizeof unit - 5) continue;
		char name[GW_NAME];
		memcpy(unit, v, n);
		unit[n] = '\0';
		gw_fmt(name, sizeof name, "unit:%s", unit);
		int k = ls_find_src(ls, name);
		if (k >= 0) return k;
	}
	return -1;
}

static void ls_jentry(struct logstream *ls, struct ls_batch *b, int backfill)
{
	uint64_t usec = 0;
	if (sd_journal_get_realtime_usec(ls->j, &usec) < 0) return;
	int si = ls_jsource(ls);
	if (si < 0) return;
	/* the walk after a match change passes entries of sources already
	 * followed up to j_last_usec: taken before. Live reading only moves
	 * forward, so an entry stamped at or before the newest (the same
	 * microsecond, a clock stepped back) is new there. */
	if (backfill && usec <= ls->j_last_usec && (size_t)si < ls->j_matched_n && ls->j_matched[si]) return;
	const char *msg, *pr;
	size_t mlen, plen;
	if (!journal_data(ls->j, "MESSAGE", &msg, &mlen)) {
		msg = "";
		mlen = 0;
	}
	int prio = -1;
	if (journal_data(ls->j, "PRIORITY", &pr, &plen) && plen == 1 && pr[0] >= '0' && pr[0] <= '7')
		prio = pr[0] - '0';
	/* a journal message may hold several lines: each is a line of the stream */
	const char *p = msg, *end = msg + mlen;
	do {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n || !nl)
			ls_ingest(ls, b, (size_t)si, p, n, 0, usec / 1e6, prio,
				  backfill ? LOGSTREAM_F_BACKFILL : 0);
		p = nl ? nl + 1 : end;
	} while (p < end);
}

static void ls_jread(struct logstream *ls)
{
	struct ls_batch b = { 0 };
	uint64_t newest = ls->j_last_usec;
	int r;
	while ((r = sd_journal_next(ls->j)) > 0) {
		uint64_t usec;
		ls_jentry(ls, &b, 0);
		if (sd_journal_get_realtime_usec(ls->j, &usec) >= 0 && usec > newest) newest = usec;
		if (b.v.n >= ls->cfg.cap) {        /* a flood: commit in slices */
			ls_commit(ls, &b);
		}
	}
	ls->j_last_usec = newest;
	if (b.v.n) ls_commit(ls, &b);
	ls_batch_free(&b);
}

static int ls_jio(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct logstream *ls = ud;
	uint64_t g = ls->gen;
	(void)es; (void)fd; (void)revents;
	if (ls->j) {
		sd_journal_process(ls->j);
		ls_jread(ls);
	}
	if (g != ls->gen) ls_changed(ls);
	return 0;
}

/* (Re)build the journal query from the journal sources and position it:
 * backfill the window (at least backfill_lines per source), skipping what
 * was already taken for sources that were followed before. */
void ls_jsetup(struct logstream *ls)
{
	ls->j_dirty = 0;
	if (ls->cfg.no_journal || ls->j_failed) return;
	size_t nj = 0;
	for (size_t i = 0; i < ls->srcs.n; i++) nj += ls_is_journal(ls->srcs.v[i].pub.type);
	if (!nj) return;
	if (!ls->j) {
		int r = journal_open(&ls->j, ls->journal_dir[0] ? JOURNAL_DIRECTORY : JOURNAL_LOCAL, ls->journal_dir);
		if (r < 0) {
			ls->j_failed = 1;
			for (size_t i = 0; i < ls->srcs.n; i++)
				if (ls_is_journal(ls->srcs.v[i].pub.type))
					gw_fmt(ls->srcs.v[i].pub.error, sizeof ls->srcs.v[i].pub.error,
					       "journal: %s", strerror(-r));
			return;
		}
		int fd = sd_journal_get_fd(ls->j);
		if (fd >= 0)
			sd_event_add_io(ls->e, &ls->j_src, fd, (uint32_t)sd_journal_get_events(ls->j), ls_jio, ls);
	}
	sd_journal_flush_matches(ls->j);
	for (size_t i = 0; i < ls->srcs.n; i++) {
		struct ls_src *s = &ls->srcs.v[i];
		if (!ls_is_journal(s->pub.type)) continue;
		if (s->pub.type == LOGSTREAM_KERNEL) {
			sd_journal_add_match(ls->j, "_TRANSPORT=kernel", 0);
			sd_journal_add_disjunction(ls->j);
		} else {
			journal_match_unit(ls->j, s->pub.name + 5);   /* "unit:" */
			sd_journal_add_disjunction(ls->j);
		}
		s->pub.ok = 1;
		s->pub.error[0] = '\0';
	}
	/* walk back from the end: the window, at least backfill_lines per source */
	uint64_t since = (uint64_t)((gw_now() - ls->cfg.window) * 1e6);
	size_t want = ls->cfg.backfill_lines * nj, k = 0;
	sd_journal_seek_tail(ls->j);
	int positioned = 0;
	while (k < ls->cfg.cap && sd_journal_previous(ls->j) > 0) {
		uint64_t usec = 0;
		positioned = 1;
		k++;
		sd_journal_get_realtime_usec(ls->j, &usec);
		if (k >= want && usec < since) break;
		if (ls->j_last_usec && usec <= ls->j_last_usec && k >= want) break;
	}
	struct ls_batch b = { 0 };
	uint64_t newest = ls->j_last_usec;
	if (positioned) {
		/* the cursor is on the oldest entry wanted: take it, then go forward */
		int r = 1;
		do {
			uint64_t usec = 0;
			ls_jentry(ls, &b, 1);
			if (sd_journal_get_realtime_usec(ls->j, &usec) >= 0 && usec > newest) newest = usec;
			if (--k == 0) break;
			r = sd_journal_next(ls->j);
		} while (r > 0);
	}
	ls->j_last_usec = newest;
	ls_commit(ls, &b);
	ls_batch_free(&b);
	/* remember which sources are in the query now */
	free(ls->j_matched);
	ls->j_matched_n = ls->srcs.n;
	ls->j_matched = gw_xcalloc(ls->j_matched_n ? ls->j_matched_n : 1, 1);
	for (size_t i = 0; i < ls->srcs.n; i++) ls->j_matched[i] = (unsigned char)ls_is_journal(ls->srcs.v[i].pub.type);
	/* anything newer than the walk's start is read by ls_jread */
	ls_jread(ls);
}

void ls_jpoll(struct logstream *ls)
{
	if (ls->j_dirty) ls_jsetup(ls);
	else if (ls->j) {
		sd_journal_process(ls->j);
		ls_jread(ls);
	}
}

void ls_journal_free(struct logstream *ls)
{
	ls->j_src = sd_event_source_disable_unref(ls->j_src);
	if (ls->j) sd_journal_close(ls->j);
	ls->j = NULL;
	free(ls->j_matched);
	ls->j_matched = NULL;
}

static int ls_add_journal(struct logstream *ls, const char *name, const char *tag,
			  enum logstream_type type)
{
	int k = ls_find_src(ls, name);
	if (k >= 0) return k;
	size_t si = ls_new_src(ls, type, name, tag);
	if (ls->cfg.no_journal) {
		GW_COPY(ls->srcs.v[si].pub.error, "journal not read");
		return (int)si;
	}
	ls->j_dirty = 1;
	if (!ls->in_sync) {                        /* at once: the first screen has it */
		uint64_t g = ls->gen;
		ls_jsetup(ls);
		if (g != ls->gen) ls_changed(ls);
	}
	return (int)si;
}

int logstream_add_unit(struct logstream *ls, const char *unit, enum logstream_type type)
{
	char name[GW_NAME + 8];
	if (!unit || !unit[0] || strlen(unit) >= GW_NAME - 8) return -1;
	if (type != LOGSTREAM_JOURNAL_NGINX) type = LOGSTREAM_JOURNAL_APP;
	gw_fmt(name, sizeof name, "unit:%s", unit);
	return ls_add_journal(ls, name, unit, type);
}

int logstream_add_kernel(struct logstream *ls)
{
	return ls_add_journal(ls, "kernel", "kernel", LOGSTREAM_KERNEL);
}
