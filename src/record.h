/* record.h — `gwtop --record FILE` and `gwtop --replay FILE` (issue 19
 * item 4): what the dashboard (or --check) saw, kept as gzip-compressed JSON
 * lines, and played back in the same dashboard on any host.
 *
 * A recording is one or two segments: FILE (the newest) and FILE.1 (the
 * one before). Each segment is a gzip stream of JSON objects, one per line,
 * each with "r" (its kind) and "w" (the wall-clock time it was written):
 *
 *   head    version, gwtop version, host, interval, window, segment number
 *   snap    a finished probe pass: "m" the snapshot's members that changed
 *           since the previous frame (all of them in a segment's first
 *           frame; src/snapjson.h), "now" the clock diagnose used, the
 *           verdict ("v": a cause id, "healthy" or "unknown") and the status
 *   src     a log source (index, type, name, tag), before its first line
 *   log     a line as it entered the log ring (already masked at ingest)
 *   req/ev  a request / an event as the timeline took it (timeline_set_tap)
 *   fields/prog  the timeline's access-log fields and backfill progress
 *   tl      a segment's start: the timeline as it stands (minutes,
 *           incidents, events), so a segment replays alone
 *
 * Strings are written as the snapshot's are (snapjson_string): a JSON
 * string when valid UTF-8, else {"latin1": S}, each byte one code point.
 *
 * Bounded: when a segment passes half of max_bytes (compressed) it becomes
 * FILE.1 (the previous FILE.1 is dropped: the oldest goes first) and a new
 * FILE starts with a full frame and the timeline. Written with a sync flush
 * after every frame: a crash loses at most one interval.
 *
 * Files are made as --output's are (src/outfile.h): through the directory's
 * fd, O_EXCL | O_NOFOLLOW, mode 0600, refused as root in a directory another
 * user controls. An existing FILE is appended to (a new gzip member: a
 * timer's `--check --record` every minute) only when it is a plain file of
 * ours with one link that starts as gzip; anything else is refused, never
 * replaced nor followed. */
#ifndef GW_RECORD_H
#define GW_RECORD_H

#include <stddef.h>

#include <jansson.h>

#include "model.h"
#include "timeline.h"

#define RECORD_DEFAULT_MAX ((size_t)50 << 20)   /* 50 MiB for FILE + FILE.1 */
#define RECORD_MIN_MAX ((size_t)64 << 10)
#define RECORD_VERSION 1

struct logstream;
struct logstream_line;

/* ---------------------------------------------------------------- writing */

struct recorder;

/* Create FILE, or append to the recording there. interval / window: the options the
 * replay shows and diagnoses with. NULL with err. */
struct recorder *recorder_open(const char *path, size_t max_bytes, double interval, double window,
			       char *err, size_t errsz);
/* Finish the stream (the file stays complete). NULL is fine. */
void recorder_close(struct recorder *r);
/* A finished pass and its diagnosis (diagnosed at `now`). */
void recorder_frame(struct recorder *r, const struct gw_snapshot *s, const struct gw_diagnosis *d, double now);
/* The taps: give them to timeline_set_tap(tl, recorder_timeline_tap(), r)
 * and logstream_set_tap(ls, recorder_log_tap, r). */
const struct timeline_tap *recorder_timeline_tap(void);
void recorder_log_tap(void *r, const struct logstream *ls, const struct logstream_line *l);
/* The timeline the next segment starts with (its "tl" record); NULL none. */
void recorder_set_timeline(struct recorder *r, const struct timeline *tl);
/* After a write error the recorder stops: 1 and why, else 0. */
int recorder_failed(const struct recorder *r, char *why, size_t n);
/* Compressed bytes written so far (every segment), frames written. */
unsigned long long recorder_bytes(const struct recorder *r);
unsigned long recorder_frames(const struct recorder *r);

/* ---------------------------------------------------------------- playing */

struct player;

/* Open FILE.1 (when there) then FILE for playing. Untrusted input: any
 * record that does not make sense is skipped (counted in player_skipped). */
struct player *player_open(const char *path, char *err, size_t errsz);
void player_close(struct player *p);
/* From the head record: the recording's host, interval, window (0 unknown). */
const char *player_host(const struct player *p);
double player_interval(const struct player *p);
double player_window(const struct player *p);
/* The replayed timeline (owned by the player). */
struct timeline *player_timeline(struct player *p);
/* Lines go into ls (sources made with logstream_add_replayed); NULL: dropped. */
void player_set_logs(struct player *p, struct logstream *ls);
/* Time ("w") of the next record; 0 at the end. */
double player_next_time(struct player *p);
/* Apply the records written at or before `until`, stopping after the
 * first frame when stop_at_frame. Returns 1 when a frame was applied (its
 * snapshot goes into *s: snapshot_free'd and rebuilt; s->timeline set),
 * 0 when none, -1 at the end of the recording or on a read error
 * (player_error). */
int player_advance(struct player *p, double until, int stop_at_frame, struct gw_snapshot *s);
/* Of the last frame applied: when it was diagnosed, the verdict and
 * status the recording says (cause id, "healthy" or "unknown"). */
double player_frame_now(const struct player *p);
const char *player_frame_verdict(const struct player *p);
const char *player_frame_status(const struct player *p);
unsigned long player_frames(const struct player *p);
unsigned long player_skipped(const struct player *p);
const char *player_error(const struct player *p);

/* The verdict words a frame records: a cause id, "healthy", "unknown". */
const char *record_verdict_word(const struct gw_diagnosis *d);

#endif
