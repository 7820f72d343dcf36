/* logstream_int.h — what the parts of the log layer share; nothing else
 * includes it (the API is logstream.h).
 *
 *   logstream.c   the stream: creation, the loop's timer and deferred pass,
 *                 which sources a probe pass brings (logstream_sync), the
 *                 incident, the accessors
 *   logring.c     the ring of lines and the ingest of one raw line
 *                 (classified, timed, masked) into a batch
 *   logfile.c     file followers: tail -F over inotify, the start-up
 *                 backfill from the file's end
 *   logjournal.c  the journal follower: one sd_journal, its fd on the loop
 *   logctr.c      container followers: a follow request per container to
 *                 the engine (probes/docker.c's client)
 *
 * A follower turns what it reads into lines with ls_ingest (into a batch),
 * commits the batch into the ring with ls_commit, and says so with
 * ls_changed when the generation moved. */
#ifndef GW_LOGSTREAM_INT_H
#define GW_LOGSTREAM_INT_H

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>

#include "accesslog.h"
#include "logstream.h"

#define LS_BACKSTOP_USEC 1000000ULL

struct ls_file;                      /* logfile.c */
struct ls_ctr;                       /* logctr.c */

struct ls_src {
	struct logstream_source pub;
	double prev_time;            /* time of the previous line (file order) */
	long amb_hour;               /* DST: hour last found unambiguous */
};

struct ls_batch {
	GW_VEC(struct logstream_line) v;
};

struct logstream {
	sd_event *e;
	struct logstream_config cfg;
	char journal_dir[GW_PATH];

	/* ring */
	struct logstream_line *ring;
	size_t head, n, alloc;
	size_t text_bytes;
	uint64_t seq, gen;

	GW_VEC(struct ls_src) srcs;
	GW_VEC(struct ls_file *) files;
	GW_VEC(struct ls_ctr *) ctrs;

	int ifd;                     /* inotify, -1 unavailable */
	sd_event_source *ino_src, *timer, *defer;
	uint64_t polled;             /* CLOCK_MONOTONIC usec of the last ls_poll_all */

	/* journal */
	sd_journal *j;
	sd_event_source *j_src;
	int j_failed;
	int j_dirty;                 /* the match set changed */
	int in_sync;                 /* logstream_sync: set the journal up once at its end */
	uint64_t j_last_usec;        /* newest entry read */
	unsigned char *j_matched;    /* per source: was in the query when j_last_usec was read */
	size_t j_matched_n;

	struct accesslog_stats acc;
	struct gw_log_event scratch;  /* the classifiers' output for one line (large: not on the stack) */

	void (*notify)(void *);
	void *notify_ud;
	void (*tap)(void *, const struct logstream *, const struct logstream_line *);   /* the recorder */
	void *tap_ud;
	void (*alarm)(void *);           /* a request failed just now (see .h) */
	void *alarm_ud;
	int alarm_pending;
};

/* logring.c: the ring */
struct logstream_line *ls_at(const struct logstream *ls, size_t i);
/* Move the batch's lines into the ring (ownership of texts moves too). */
void ls_commit(struct logstream *ls, struct ls_batch *b);
void ls_batch_free(struct ls_batch *b);
/* The ring changed: the alarm (if a line raised it), then notify. */
void ls_changed(struct logstream *ls);
void ls_ring_free(struct logstream *ls);
/* logring.c: sources and ingest */
int ls_find_src(const struct logstream *ls, const char *name);
size_t ls_new_src(struct logstream *ls, enum logstream_type type, const char *name, const char *tag);
/* Classify one raw line of source si and append it to b.
 * jtime: the journal's or the engine's time (0 for files); jprio: PRIORITY (-1 none). */
void ls_ingest(struct logstream *ls, struct ls_batch *b, size_t si, const char *raw,
	       size_t len, int cut, double jtime, int jprio, int flags);
/* A note by gwtop about source si ("error.log rotated"), now. */
void ls_marker(struct logstream *ls, struct ls_batch *b, size_t si, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* logfile.c */
/* The backstop's and the deferred pass's check of every file. */
void ls_files_poll(struct logstream *ls);
/* The inotify fd's callback (ud: the stream). */
int ls_files_inotify(sd_event_source *es, int fd, uint32_t revents, void *ud);
void ls_files_free(struct logstream *ls);
size_t ls_files_memory(const struct logstream *ls);

/* logjournal.c */
int ls_is_journal(enum logstream_type t);
/* (Re)build the journal query from the journal sources and read. */
void ls_jsetup(struct logstream *ls);
/* Read what the journal got since (the backstop's check). */
void ls_jpoll(struct logstream *ls);
void ls_journal_free(struct logstream *ls);

/* logctr.c */
/* Every pass: the containers that matter now, and every one followed before. */
void ls_ctr_sync_all(struct logstream *ls, const struct gw_snapshot *s);
void ls_ctrs_free(struct logstream *ls);
size_t ls_ctrs_memory(const struct logstream *ls);

#endif
