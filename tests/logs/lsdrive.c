/* lsdrive.c — drives probes/logstream.c outside the TUI, for the real-stack
 * log tests (the scripts in tests/logs) and bench/logbench.sh.
 *
 *   lsdrive follow [--journal-dir D] [--unit U]... [--kernel] TYPE:PATH...
 *       follow until SIGTERM/SIGINT; every line that enters the stream is
 *       printed once as "LINE<TAB>time<TAB>tag<TAB>flags<TAB>text" (text
 *       sanitized); at exit the ring in stream order as "RING<TAB>..." lines.
 *       TYPE: err, acc, app. Prints "READY" once the start-up read is in.
 *   lsdrive first PATH         time to the first screen of an error.log (ms)
 *   lsdrive classify PATH      classify every line of PATH (logclass_nginx_error_kind):
 *                              lines, errors, seconds, MiB/s
 *   lsdrive ingest PATH DIR MiB  append MiB of PATH to a followed file in DIR, 32 MiB
 *                              steps: the live path (read, split, classify, ring)
 *   lsdrive fill PATH DIR CAP  fill a ring of CAP lines from PATH (via DIR); memory held
 *
 * Exit 0 on success, 2 on usage errors. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logclass.h"
#include "logstream.h"
#include "sanitize.h"

static uint64_t printed_seq;
static struct logstream *the_ls;

static void print_line(const char *kind, const struct logstream_line *l)
{
	static char out[LOGSTREAM_TEXT_MAX * 3 + 1];
	const struct logstream_source *s = logstream_source(the_ls, l->src);
	sanitize_text(out, sizeof out, l->text, l->len);
	printf("%s\t%.6f\t%s\t%d\t%s\n", kind, l->time, s ? s->tag : "?", l->flags, out);
}

/* Print lines not printed yet, in arrival (seq) order. */
static void print_new(void *ud)
{
	(void)ud;
	for (;;) {
		const struct logstream_line *best = NULL;
		for (size_t i = 0; i < logstream_count(the_ls); i++) {
			const struct logstream_line *l = logstream_get(the_ls, i);
			if (l->seq > printed_seq && (!best || l->seq < best->seq)) best = l;
		}
		if (!best) break;
		print_line("LINE", best);
		printed_seq = best->seq;
	}
	fflush(stdout);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
	(void)si; (void)ud;
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int parse_type(const char *arg, enum logstream_type *t, const char **path)
{
	const char *c = strchr(arg, ':');
	if (!c) return 0;
	if (!strncmp(arg, "err:", 4)) *t = LOGSTREAM_NGINX_ERROR;
	else if (!strncmp(arg, "acc:", 4)) *t = LOGSTREAM_NGINX_ACCESS;
	else if (!strncmp(arg, "app:", 4)) *t = LOGSTREAM_APP_FILE;
	else return 0;
	*path = c + 1;
	return 1;
}

static int cmd_follow(int argc, char **argv)
{
	sd_event *e;
	struct logstream_config c = { .no_journal = 1 };
	sd_event_default(&e);
	int i = 0;
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--journal-dir") && i + 1 < argc) {
			c.journal_dir = argv[++i];
			c.no_journal = 0;
		} else if (!strcmp(argv[i], "--journal")) {
			c.no_journal = 0;
		}
	}
	the_ls = logstream_new(e, &c);
	logstream_set_notify(the_ls, print_new, NULL);
	for (int k = 0; k < argc; k++) {
		enum logstream_type t;
		const char *path;
		if (!strcmp(argv[k], "--unit") && k + 1 < argc) logstream_add_unit(the_ls, argv[++k], LOGSTREAM_JOURNAL_APP);
		else if (!strcmp(argv[k], "--kernel")) logstream_add_kernel(the_ls);
		else if (k >= i && parse_type(argv[k], &t, &path)) logstream_add_file(the_ls, path, t, NULL);
	}
	/* the deferred rest of the start-up read */
	for (int k = 0; k < 5; k++) sd_event_run(e, 0);
	print_new(NULL);
	printf("READY\n");
	fflush(stdout);
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	sd_event_add_signal(e, NULL, SIGTERM, on_signal, NULL);
	sd_event_add_signal(e, NULL, SIGINT, on_signal, NULL);
	sd_event_loop(e);
	logstream_poll(the_ls);
	print_new(NULL);
	for (size_t k = 0; k < logstream_count(the_ls); k++) print_line("RING", logstream_get(the_ls, k));
	for (size_t k = 0; k < logstream_nsources(the_ls); k++) {
		const struct logstream_source *s = logstream_source(the_ls, k);
		printf("SOURCE\t%s\t%s\tok=%d\tlines=%lu\t%s\n", s->tag, s->name, s->ok, s->lines, s->error);
	}
	logstream_free(the_ls);
	sd_event_unref(e);
	return 0;
}

static int cmd_first(const char *path)
{
	sd_event *e;
	sd_event_new(&e);
	struct logstream_config c = { .no_journal = 1 };
	double t0 = gw_mono();
	the_ls = logstream_new(e, &c);
	logstream_add_file(the_ls, path, LOGSTREAM_NGINX_ERROR, NULL);
	double t1 = gw_mono();
	size_t first = logstream_count(the_ls);
	while (sd_event_run(e, 0) > 0) {}
	double t2 = gw_mono();
	printf("first_screen_ms %.2f lines %zu full_backfill_ms %.2f lines %zu\n",
	       (t1 - t0) * 1e3, first, (t2 - t0) * 1e3, logstream_count(the_ls));
	logstream_free(the_ls);
	sd_event_unref(e);
	return 0;
}

static int cmd_classify(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	size_t cap = (size_t)4 << 20, have = 0;
	char *buf = malloc(cap);
	struct gw_log_event *ev = malloc(sizeof *ev);
	unsigned long long lines = 0, errors = 0, bytes = 0;
	double t0 = gw_mono();
	for (;;) {
		ssize_t n = read(fd, buf + have, cap - have);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) break;
		have += (size_t)n;
		bytes += (size_t)n;
		char *p = buf, *end = buf + have, *nl;
		while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
			logclass_nginx_error_kind(p, (size_t)(nl - p), ev);
			lines++;
			if (ev->level >= GW_LV_ERROR) errors++;
			p = nl + 1;
		}
		have = (size_t)(end - p);
		memmove(buf, p, have);
		if (have == cap) have = 0;            /* a line longer than the buffer */
	}
	double dt = gw_mono() - t0;
	printf("lines %llu errors %llu seconds %.3f MiB/s %.1f\n", lines, errors, dt,
	       (double)bytes / (1 << 20) / dt);
	free(ev);
	free(buf);
	close(fd);
	return 0;
}

static int cmd_ingest(const char *src, const char *dir, long mib)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/ingest.log", dir);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (out < 0 || in < 0) {
		perror("open");
		return 1;
	}
	sd_event *e;
	sd_event_new(&e);
	struct logstream_config c = { .no_journal = 1 };
	the_ls = logstream_new(e, &c);
	int si = logstream_add_file(the_ls, path, LOGSTREAM_NGINX_ERROR, NULL);
	size_t step = (size_t)32 << 20;
	char *buf = malloc(step);
	double busy = 0;
	long done = 0;
	while (done < mib) {
		ssize_t n = read(in, buf, step);
		if (n <= 0) break;
		if (write(out, buf, (size_t)n) != n) break;
		double t0 = gw_mono();
		logstream_poll(the_ls);
		while (sd_event_run(e, 0) > 0) {}
		busy += gw_mono() - t0;
		done += (long)(n >> 20);
	}
	const struct logstream_source *s = logstream_source(the_ls, (size_t)si);
	printf("ingested_mib %ld lines %lu seconds %.3f MiB/s %.1f ring %zu\n", done, s->lines, busy,
	       (double)done / busy, logstream_count(the_ls));
	free(buf);
	close(in);
	close(out);
	unlink(path);
	logstream_free(the_ls);
	sd_event_unref(e);
	return 0;
}

static long rss_kb(void)
{
	char *s = gw_read_file("/proc/self/status", 65536, NULL);
	long kb = 0;
	char *p = s ? strstr(s, "VmRSS:") : NULL;
	if (p) kb = strtol(p + 6, NULL, 10);
	free(s);
	return kb;
}

static int cmd_fill(const char *src, const char *dir, size_t cap)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/fill.log", dir);
	long before = rss_kb();
	sd_event *e;
	sd_event_new(&e);
	struct logstream_config c = { .no_journal = 1, .cap = cap };
	the_ls = logstream_new(e, &c);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (out < 0 || in < 0) {
		perror("open");
		return 1;
	}
	logstream_add_file(the_ls, path, LOGSTREAM_NGINX_ERROR, NULL);
	char *buf = malloc((size_t)8 << 20);
	while (logstream_count(the_ls) < cap) {
		ssize_t n = read(in, buf, (size_t)8 << 20);
		if (n <= 0) break;
		if (write(out, buf, (size_t)n) != n) break;
		logstream_poll(the_ls);
	}
	/* and twice more through it: steady state, old lines dropping out */
	for (int k = 0; k < 4; k++) {
		ssize_t n = read(in, buf, (size_t)8 << 20);
		if (n <= 0) break;
		if (write(out, buf, (size_t)n) != n) break;
		logstream_poll(the_ls);
	}
	long after = rss_kb();
	printf("cap %zu lines %zu stream_bytes %zu rss_growth_kb %ld\n", cap, logstream_count(the_ls),
	       logstream_memory(the_ls), after - before);
	free(buf);
	close(in);
	close(out);
	unlink(path);
	logstream_free(the_ls);
	sd_event_unref(e);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "follow")) return cmd_follow(argc - 2, argv + 2);
	if (argc == 3 && !strcmp(argv[1], "first")) return cmd_first(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "classify")) return cmd_classify(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "ingest")) return cmd_ingest(argv[2], argv[3], atol(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "fill")) return cmd_fill(argv[2], argv[3], (size_t)atol(argv[4]));
	fprintf(stderr, "usage: lsdrive follow|first|classify|ingest|fill ... (see the top of lsdrive.c)\n");
	return 2;
}
