/* tlbench.c — the timeline's start-up on a big access log (bench/tlbench.sh):
 * the feeder's first pass (the tail and the bisection to --since: what
 * stands before the dashboard's first frame), then the backfill on the
 * sd-event loop until it is done. Prints "key value" lines.
 *
 *   tlbench ACCESS_LOG SINCE_SECONDS */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"
#include "options.h"
#include "timeline.h"
#include "tlfeed.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: tlbench ACCESS_LOG SINCE_SECONDS\n");
		return 2;
	}
	struct gw_options o = { 0 };
	*(const char **)gw_vec_push(&o.access_logs) = argv[1];
	o.since = strtod(argv[2], NULL);
	sd_event *e = NULL;
	if (sd_event_default(&e) < 0) return 1;
	struct gw_snapshot *s = gw_xcalloc(1, sizeof *s);
	snapshot_init(s);
	s->taken = gw_now();
	struct tlfeed *f = tlfeed_new(e, &o);
	double t0 = gw_mono();
	tlfeed_pass(f, s);
	double t1 = gw_mono();
	const struct timeline *tl = tlfeed_timeline(f);
	const struct timeline_progress *pg = timeline_get_progress(tl);
	unsigned long lines_first = pg->lines;
	int iters = 0;
	double worst = 0;
	while (pg->backfilling) {
		double a = gw_mono();
		if (sd_event_run(e, 0) < 0) break;
		double b = gw_mono() - a;
		if (b > worst) worst = b;
		iters++;
	}
	double t2 = gw_mono();
	unsigned long long total = 0;
	for (long m = timeline_newest_minute(tl) - TIMELINE_MINUTES + 1; m <= timeline_newest_minute(tl); m++) {
		const struct timeline_minute *mm = timeline_minute(tl, m);
		if (mm) total += mm->total + mm->own;
	}
	printf("first_pass_ms %.1f\n", (t1 - t0) * 1000);
	printf("first_pass_lines %lu\n", lines_first);
	printf("backfill_s %.3f\n", t2 - t1);
	printf("backfill_bytes %llu\n", (unsigned long long)pg->total);
	printf("backfill_iterations %d\n", iters);
	printf("backfill_longest_iteration_ms %.1f\n", worst * 1000);
	printf("lines %lu\n", pg->lines);
	printf("unparsed %lu\n", pg->unparsed);
	printf("requests_counted %llu\n", total);
	printf("incidents %zu\n", timeline_nincidents(tl));
	tlfeed_free(f);
	snapshot_free(s);
	free(s);
	gw_vec_free(&o.access_logs);
	sd_event_unref(e);
	return 0;
}
