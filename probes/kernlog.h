/* kernlog.h — kernel OOM kills from /dev/kmsg or the systemd journal. */
#ifndef GW_KERNLOG_H
#define GW_KERNLOG_H

#include <stddef.h>

#include "model.h"

/* What reads keep for the next (the open /dev/kmsg, its position, the OOM
 * kills found so far): one per caller, freed with the caller. */
struct kernlog_state;
struct kernlog_state *kernlog_state_new(void);
void kernlog_state_free(struct kernlog_state *st);

/* Read kernel messages newer than since (epoch; 0 = all that are kept) and
 * append OOM kills (GW_LOG_OOM_KILL, source "kernel", oldest first) to
 * s->events. Tries /dev/kmsg (non-blocking, read until EAGAIN), else the
 * local journal (_TRANSPORT=kernel, a bounded number of entries from the
 * end). Sets s->mem.kernel_log_readable / kernel_log_error.
 * Returns the number of events appended, -1 when no kernel log was readable. */
int kernlog_read(struct kernlog_state *st, struct gw_snapshot *s, double since);

/* The same from one journal file (journal_open, JOURNAL_FILE): for tests and for
 * journals copied from another host. Sets kernel_log_readable / _error. */
int kernlog_read_journal_file(struct gw_snapshot *s, const char *file, double since);

/* Parse one /dev/kmsg record "prio,seq,usec,flags;message\n KEY=v..." into
 * ev (classified by logclass_kernel; time = boot + usec). Returns 1 for an
 * OOM kill, 0 otherwise (also for malformed records). Pure. */
int kernlog_kmsg_record(const char *rec, size_t len, double boot, struct gw_log_event *ev);

#endif
