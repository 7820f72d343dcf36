/* kernlog.c — kernel OOM kills: /dev/kmsg first (one record per read(),
 * non-blocking, stop at EAGAIN), else the journal's kernel transport via
 * sd-journal. Both are bounded: a record / entry budget per call. */
#include "kernlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "journal.h"
#include "logclass.h"

#define KERNLOG_KMSG "/dev/kmsg"
#define KERNLOG_MAX_RECORDS 200000   /* kmsg ring: a few MiB at most */
#define KERNLOG_MAX_ENTRIES 50000    /* journal entries walked back from the end */

/* Epoch of boot as the printk clock sees it (it does not count suspend,
 * like CLOCK_MONOTONIC). */
static double kernlog_boot_epoch(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return gw_now() - (ts.tv_sec + ts.tv_nsec / 1e9);
}

int kernlog_kmsg_record(const char *rec, size_t len, double boot, struct gw_log_event *ev)
{
	const char *end = rec + len, *semi = memchr(rec, ';', len);
	memset(ev, 0, sizeof *ev);
	if (!semi) return 0;
	/* prio,seq,usec,flags */
	const char *p = rec;
	int field = 0;
	unsigned long long usec = 0;
	int have_usec = 0;
	for (; p < semi; p++) {
		if (*p == ',') { field++; continue; }
		if (field == 2) {
			if (*p < '0' || *p > '9') return 0;
			usec = usec * 10 + (unsigned long long)(*p - '0');
			have_usec = 1;
		}
	}
	if (field < 2 || !have_usec) return 0;
	const char *msg = semi + 1;
	const char *nl = memchr(msg, '\n', (size_t)(end - msg));
	size_t mlen = nl ? (size_t)(nl - msg) : (size_t)(end - msg);
	if (!logclass_kernel(msg, mlen, ev)) return 0;
	ev->time = boot + usec / 1e6;
	GW_COPY(ev->source, "kernel");
	return 1;
}

static void kernlog_set(struct gw_snapshot *s, int readable, const char *error)
{
	s->mem.kernel_log_readable = readable;
	GW_COPY(s->mem.kernel_log_error, error ? error : "");
}

/* Returns events appended, -1 if /dev/kmsg is not readable (errno-ish text in why). */
/* /dev/kmsg stays open across probe passes: each pass reads only the
 * records that arrived since the last one (the fd keeps its position), and
 * the OOM kills found so far are kept here (the newest KERNLOG_KEEP). */
#define KERNLOG_KEEP 256
struct kernlog_state {
	int kmsg_fd;                 /* -1 not open */
	GW_VEC(struct gw_log_event) kept;
};

struct kernlog_state *kernlog_state_new(void)
{
	struct kernlog_state *st = gw_xcalloc(1, sizeof *st);
	st->kmsg_fd = -1;
	return st;
}

void kernlog_state_free(struct kernlog_state *st)
{
	if (!st) return;
	if (st->kmsg_fd >= 0) close(st->kmsg_fd);
	gw_vec_free(&st->kept);
	free(st);
}

static int kernlog_kmsg(struct kernlog_state *st, struct gw_snapshot *s, double since, char *why, size_t whysize)
{
	if (st->kmsg_fd < 0) {
		st->kmsg_fd = open(KERNLOG_KMSG, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (st->kmsg_fd < 0) {
			gw_fmt(why, whysize, KERNLOG_KMSG ": %s%s", strerror(errno),
			       errno == EACCES || errno == EPERM ? " (needs root?)" : "");
			return -1;
		}
	}
	int fd = st->kmsg_fd;
	double boot = kernlog_boot_epoch();
	char *buf = gw_xmalloc(8192 + 1);
	struct gw_log_event *ev = gw_xmalloc(sizeof *ev);
	int appended = 0, failed = 0;
	for (int i = 0; i < KERNLOG_MAX_RECORDS; i++) {
		ssize_t r = read(fd, buf, 8192);
		if (r < 0) {
			if (errno == EINTR || errno == EPIPE) continue;   /* EPIPE: overwritten, go on */
			if (errno != EAGAIN) {
				gw_fmt(why, whysize, KERNLOG_KMSG ": %s%s", strerror(errno),
				       errno == EPERM ? " (needs root?)" : "");
				failed = 1;
			}
			break;
		}
		if (r == 0) break;
		if (kernlog_kmsg_record(buf, (size_t)r, boot, ev)) {
			if (st->kept.n == KERNLOG_KEEP) {
				memmove(st->kept.v, st->kept.v + 1, (KERNLOG_KEEP - 1) * sizeof *st->kept.v);
				st->kept.n--;
			}
			*(struct gw_log_event *)gw_vec_push(&st->kept) = *ev;
		}
	}
	free(ev);
	free(buf);
	if (failed) {
		close(st->kmsg_fd);
		st->kmsg_fd = -1;
		if (!st->kept.n) return -1;
	}
	for (size_t i = 0; i < st->kept.n; i++)
		if (st->kept.v[i].time >= since) {
			*(struct gw_log_event *)gw_vec_push(&s->events) = st->kept.v[i];
			appended++;
		}
	return appended;
}

/* Walk the kernel entries of j back from the end until since or the entry
 * budget; append OOM kills oldest first. Returns events appended, sets *seen
 * to the number of kernel entries looked at. */
static int kernlog_journal(struct gw_snapshot *s, sd_journal *j, double since, int *seen)
{
	GW_VEC(struct gw_log_event) found = { 0 };
	struct gw_log_event ev;
	*seen = 0;
	if (sd_journal_add_match(j, "_TRANSPORT=kernel", 0) < 0 || sd_journal_seek_tail(j) < 0)
		return 0;
	for (int i = 0; i < KERNLOG_MAX_ENTRIES && sd_journal_previous(j) > 0; i++) {
		uint64_t usec = 0;
		const void *data;
		size_t len;
		(*seen)++;
		if (sd_journal_get_realtime_usec(j, &usec) < 0) continue;
		double t = usec / 1e6;
		if (t < since) break;
		if (sd_journal_get_data(j, "MESSAGE", &data, &len) < 0 || len < 8) continue;
		if (!logclass_kernel((const char *)data + 8, len - 8, &ev)) continue;
		ev.time = t;
		GW_COPY(ev.source, "kernel");
		*(struct gw_log_event *)gw_vec_push(&found) = ev;
	}
	for (size_t i = found.n; i-- > 0;)
		*(struct gw_log_event *)gw_vec_push(&s->events) = found.v[i];
	int n = (int)found.n;
	gw_vec_free(&found);
	return n;
}

int kernlog_read_journal_file(struct gw_snapshot *s, const char *file, double since)
{
	sd_journal *j = NULL;
	char why[GW_TEXT];
	int r = journal_open(&j, JOURNAL_FILE, file);
	if (r < 0) {
		gw_fmt(why, sizeof why, "journal %s: %s", file, strerror(-r));
		kernlog_set(s, 0, why);
		return -1;
	}
	int seen;
	int n = kernlog_journal(s, j, since, &seen);
	sd_journal_close(j);
	kernlog_set(s, 1, NULL);
	return n;
}

int kernlog_read(struct kernlog_state *st, struct gw_snapshot *s, double since)
{
	char why[GW_TEXT] = "";
	int n = kernlog_kmsg(st, s, since, why, sizeof why);
	if (n >= 0) {
		kernlog_set(s, 1, NULL);
		return n;
	}
	sd_journal *j = NULL;
	int r = journal_open(&j, JOURNAL_LOCAL, NULL);
	if (r < 0) {
		gw_append(why, sizeof why, "; journal: %s", strerror(-r));
		kernlog_set(s, 0, why);
		snapshot_note(s, "memory", "kernel log not readable: %s", why);
		return -1;
	}
	int seen;
	n = kernlog_journal(s, j, since, &seen);
	sd_journal_close(j);
	if (!seen) {
		/* an unprivileged user sees no kernel entries at all */
		gw_append(why, sizeof why, "; journal: no kernel messages visible (needs root or group adm/systemd-journal?)");
		kernlog_set(s, 0, why);
		snapshot_note(s, "memory", "kernel log not readable: %s", why);
		return -1;
	}
	kernlog_set(s, 1, NULL);
	return n;
}
