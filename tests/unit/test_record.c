/* test_record.c — recordings (src/record.c): what the recorder writes the
 * player gives back (snapshots member by member, the verdicts, the
 * timeline's minutes, incidents and events, bytes that are not UTF-8,
 * array members written as deltas of the previous frame),
 * the bound (segments rotate, FILE + FILE.1 stay under the limit, a lone
 * newest segment replays with its checkpoint), and hostile files (not
 * gzip, garbage lines, a stream cut short, a FIFO, an existing name, a
 * symbolic link planted at the name). Real files in a temp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "diagnose.h"
#include "record.h"
#include "snapjson.h"
#include "timeline.h"

#define T0 1796680000.0

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/gwtop-rec.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	/* only our own mkdtemp directory */
	snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

/* A small stack: nginx, one target, its app; `up` decides whether the
 * target answers. Every string member a probe would fill, some hostile. */
static void snap_fill(struct gw_snapshot *s, double t, int up)
{
	snapshot_init(s);
	/* the window's log events slide: the last 5 frames' (written as deltas),
	 * every 7th frame one in the middle changed (written whole) */
	long f = lround((t - T0) / 2);
	for (long k = f - 4 < 0 ? 0 : f - 4; k <= f; k++) {
		struct gw_log_event *e = gw_vec_push(&s->events);
		e->kind = up ? GW_LOG_OTHER : GW_LOG_CONNECT_REFUSED;
		e->time = T0 + k * 2;
		e->level = GW_LV_ERROR;
		snprintf(e->line, sizeof e->line, "event %ld%s", k, k == f - 2 && f % 7 == 0 ? " (changed)" : "");
	}
	s->taken = t;
	s->finished = t + 0.05;
	s->is_root = 1;
	GW_COPY(s->hostname, "web-1");
	GW_COPY(s->conf.conf_path, "/etc/nginx/nginx.conf");
	s->conf.parsed = s->conf.ok = 1;
	s->ntest.ran = s->ntest.ok = 1;
	s->nginx.master_pid = 100;
	s->nginx.nworkers = 1;
	struct gw_proc *p = gw_vec_push(&s->procs);
	p->pid = 100;
	p->role = GW_ROLE_NGINX_MASTER;
	GW_COPY(p->comm, "nginx");
	GW_COPY(p->cmdline, "nginx: master process \xff\xfe not utf-8 \x1b[31m");
	p = gw_vec_push(&s->procs);          /* a bystander: trimmed from recordings */
	p->pid = 4242;
	GW_COPY(p->comm, "bash");
	struct gw_target *tg = gw_vec_push(&s->targets);
	tg->addr.kind = GW_ADDR_INET;
	GW_COPY(tg->addr.host, "127.0.0.1");
	tg->addr.port = 8000;
	gw_addr_str(&tg->addr, tg->display, sizeof tg->display);
	GW_COPY(tg->directive, "proxy_pass");
	GW_COPY(tg->scheme, "http");
	tg->listener_idx = -1;
	/* no container: the decoder writes the unused indices as -1 */
	tg->container.container = tg->container.port = -1;
	tg->probed = 1;
	if (up) {
		struct gw_listener *l = gw_vec_push(&s->listeners);
		l->family = 2;
		GW_COPY(l->addr, "127.0.0.1");
		l->port = 8000;
		l->pid = 200;
		tg->listener_idx = 0;
		tg->reachable = tg->http_ok = 1;
		tg->http_status = 200;
		p = gw_vec_push(&s->procs);
		p->pid = 200;
		p->role = GW_ROLE_GUNICORN_MASTER;
		GW_COPY(p->comm, "gunicorn");
	} else {
		tg->err = 111;
		GW_COPY(tg->error, "Connection refused");
	}
}

/* What a frame's snapshot looks like once recorded: the bystander process gone. */
static char *snap_text(struct gw_snapshot *s)
{
	json_t *j = snapjson_encode(s);
	json_t *procs = json_object_get(j, "procs");
	for (size_t i = 0; i < json_array_size(procs);)
		if (json_integer_value(json_object_get(json_array_get(procs, i), "pid")) == 4242)
			json_array_remove(procs, i);
		else
			i++;
	char *txt = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return txt;
}

static void diag(const struct gw_snapshot *s, struct gw_diagnosis *d)
{
	struct gw_diag_config c = { .now = s->finished, .recent_window = 300 };
	memset(d, 0, sizeof *d);
	diagnose(s, &c, d);
}

/* Record n frames (up, then down from frame n/3 to 2n/3, then up), with
 * requests and events through the timeline's tap; keep each frame's text
 * and verdict. */
static void record_run(const char *path, size_t max, int n, char **texts, char verdicts[][64])
{
	char err[256];
	struct recorder *r = recorder_open(path, max, 2, 300, err, sizeof err);
	assert_non_null(r);
	struct timeline *tl = timeline_new();
	timeline_set_tap(tl, recorder_timeline_tap(), r);
	recorder_set_timeline(r, tl);
	for (int i = 0; i < n; i++) {
		double t = T0 + i * 2;
		int up = i < n / 3 || i >= 2 * n / 3;
		struct gw_snapshot s;
		struct gw_diagnosis d;
		snap_fill(&s, t, up);
		for (int k = 0; k < 3; k++) {
			char path2[64];
			snprintf(path2, sizeof path2, "/items/%d?\xc3\x28=%d", i * 3 + k, k);   /* invalid UTF-8 */
			struct timeline_request q = { .time = t + k * 0.5, .status = up ? 200 : 502, .path = path2,
						      .path_len = strlen(path2), .request_time = -1 };
			timeline_add_request(tl, &q);
		}
		if (i == n / 3)
			timeline_add_event(tl, t, TL_EV_APP_EXIT, 1, "pid 200", "gunicorn (pid 200) is gone \xfe");
		if (i == 2 * n / 3)
			timeline_add_event(tl, t, TL_EV_APP_START, 0, "pid 201", "gunicorn started");
		diag(&s, &d);
		if (texts) texts[i] = snap_text(&s);
		if (verdicts) snprintf(verdicts[i], 64, "%s", record_verdict_word(&d));
		recorder_frame(r, &s, &d, s.finished);
		diagnosis_free(&d);
		snapshot_free(&s);
	}
	char why[256];
	assert_false(recorder_failed(r, why, sizeof why));
	recorder_close(r);
	timeline_free(tl);
}

static void test_round_trip(void **state)
{
	(void)state;
	enum { N = 30 };
	char path[128], *texts[N], verdicts[N][64], err[256];
	path_of(path, sizeof path, "a.gz");
	record_run(path, 0, N, texts, verdicts);
	assert_string_equal(verdicts[0], "healthy");
	assert_string_not_equal(verdicts[N / 2], "healthy");

	struct player *p = player_open(path, err, sizeof err);
	assert_non_null(p);
	assert_string_equal(player_host(p)[0] ? "ok" : "", "ok");
	assert_true(fabs(player_window(p) - 300) < 1e-9);
	struct gw_snapshot s;
	snapshot_init(&s);
	int i = 0;
	while (player_advance(p, INFINITY, 1, &s) == 1) {
		assert_true(i < N);
		char *got = snap_text(&s);
		assert_string_equal(got, texts[i]);               /* every member, byte for byte */
		assert_string_equal(player_frame_verdict(p), verdicts[i]);
		struct gw_diagnosis d;
		diag(&s, &d);
		assert_string_equal(record_verdict_word(&d), verdicts[i]);   /* judged again: the same */
		diagnosis_free(&d);
		assert_ptr_equal(s.timeline, player_timeline(p));
		free(got);
		free(texts[i]);
		i++;
	}
	assert_int_equal(i, N);
	assert_int_equal(player_skipped(p), 0);
	/* the sliding events went as deltas, the changed ones whole */
	gzFile gz = gzopen(path, "rb");
	char line[1 << 16];
	int deltas = 0, changed = 0;
	while (gzgets(gz, line, sizeof line)) {
		const char *d = strstr(line, "\"d\":{\"events\"");
		deltas += d != NULL;
		changed += d && strstr(d, "(changed)");   /* a changed event: a new element in the delta */
	}
	gzclose(gz);
	assert_true(deltas >= N / 2);
	assert_true(changed >= N / 7 - 1);
	/* the timeline: 3 requests a frame, the down third 502 */
	const struct timeline *tl = player_timeline(p);
	unsigned total = 0, n5 = 0;
	for (long m = (long)(T0 / 60); m <= (long)((T0 + 2 * N) / 60); m++) {
		const struct timeline_minute *b = timeline_minute(tl, m);
		if (b) total += b->total, n5 += b->n5xx;
	}
	assert_int_equal(total, 3 * N);
	assert_int_equal(n5, 3 * (2 * N / 3 - N / 3));
	assert_int_equal(timeline_nincidents(tl), 1);
	const struct timeline_incident *in = timeline_incident(tl, 0);
	assert_true(fabs(in->start - floor(T0 + 2 * (N / 3))) < 1e-9);
	assert_true(in->recovered > 0);
	assert_int_equal(timeline_nevents(tl), 2);
	assert_int_equal(timeline_event(tl, 0)->kind, TL_EV_APP_EXIT);
	assert_string_equal(timeline_event(tl, 0)->text, "gunicorn (pid 200) is gone \xfe");   /* bytes kept */
	struct timeline_path_stat ps[4];
	size_t np = timeline_paths(tl, 0, ps, 4);
	assert_true(np >= 1);
	snapshot_free(&s);
	player_close(p);
}

static off_t fsize(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? st.st_size : -1;
}

static void test_bounded(void **state)
{
	(void)state;
	enum { N = 2400 };
	char path[128], path1[140], err[256];
	path_of(path, sizeof path, "b.gz");
	snprintf(path1, sizeof path1, "%s.1", path);
	size_t max = 64 << 10;
	char **texts = calloc(N, sizeof *texts);
	record_run(path, max, N, texts, NULL);
	assert_true(fsize(path1) > 0);                       /* it rotated */
	/* a segment rotates once past max/2: the pair stays within max plus
	 * one frame's overshoot */
	assert_true(fsize(path) + fsize(path1) <= (off_t)max + 8192);

	struct player *p = player_open(path, err, sizeof err);
	assert_non_null(p);
	struct gw_snapshot s;
	snapshot_init(&s);
	unsigned long frames = 0;
	char *last = NULL;
	while (player_advance(p, INFINITY, 1, &s) == 1) {
		frames++;
		free(last);
		last = snap_text(&s);
	}
	print_message("bounded: %lu of %d frames kept, %lld + %lld bytes\n", frames, N, (long long)fsize(path1),
		      (long long)fsize(path));
	assert_true(frames > 0 && frames < N);                /* the oldest went */
	assert_string_equal(last, texts[N - 1]);             /* the newest is whole */
	player_close(p);
	free(last);
	last = NULL;

	/* the newest segment alone (FILE.1 removed): its first frame is whole
	 * and its checkpoint brings the timeline's history */
	unlink(path1);
	p = player_open(path, err, sizeof err);
	assert_non_null(p);
	frames = 0;
	while (player_advance(p, INFINITY, 1, &s) == 1) {
		frames++;
		free(last);
		last = snap_text(&s);
	}
	assert_true(frames > 0);
	assert_string_equal(last, texts[N - 1]);
	const struct timeline *tl = player_timeline(p);
	assert_int_equal(timeline_nevents(tl), 2);             /* from the checkpoint */
	assert_true(timeline_nincidents(tl) >= 1);
	free(last);
	snapshot_free(&s);
	player_close(p);
	for (int i = 0; i < N; i++) free(texts[i]);
	free(texts);
}

static void test_hostile_files(void **state)
{
	(void)state;
	char path[128], err[256];
	struct gw_snapshot s;
	snapshot_init(&s);

	/* plain text, not gzip, no head */
	path_of(path, sizeof path, "plain");
	FILE *f = fopen(path, "w");
	fputs("hello\n{\"r\":\"snap\"}\n", f);
	fclose(f);
	assert_null(player_open(path, err, sizeof err));
	assert_non_null(strstr(err, "not a gwtop recording"));

	/* garbage lines between good ones: skipped, the frames stay */
	char good[128];
	path_of(good, sizeof good, "good.gz");
	record_run(good, 0, 6, NULL, NULL);
	gzFile in = gzopen(good, "rb");
	path_of(path, sizeof path, "junk.gz");
	gzFile out = gzopen(path, "wb");
	char line[1 << 16];
	int k = 0;
	while (gzgets(in, line, sizeof line)) {
		gzputs(out, line);
		if (k++ % 2) gzputs(out, "\x01\x02{not json\n[1,2]\n{\"r\":\"snap\",\"m\":[]}\n{\"r\":7}\n");
	}
	gzclose(in);
	gzclose(out);
	struct player *p = player_open(path, err, sizeof err);
	assert_non_null(p);
	int frames = 0;
	while (player_advance(p, INFINITY, 1, &s) == 1) frames++;
	assert_int_equal(frames, 6);
	assert_true(player_skipped(p) > 0);
	player_close(p);

	/* cut short (the recorder was killed): what came before plays */
	path_of(path, sizeof path, "cut.gz");
	int fdin = open(good, O_RDONLY), fdout = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char buf[1 << 16];
	ssize_t n = read(fdin, buf, sizeof buf);
	assert_true(n > 200);
	assert_int_equal(write(fdout, buf, (size_t)n * 2 / 3), (ssize_t)((size_t)n * 2 / 3));
	close(fdin);
	close(fdout);
	p = player_open(path, err, sizeof err);
	assert_non_null(p);
	frames = 0;
	while (player_advance(p, INFINITY, 1, &s) == 1) frames++;
	assert_true(frames >= 1 && frames < 6);
	player_close(p);

	/* a FIFO / a device: refused, nothing hangs */
	path_of(path, sizeof path, "fifo");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_null(player_open(path, err, sizeof err));
	assert_non_null(strstr(err, "not a regular file"));
	assert_null(player_open("/dev/zero", err, sizeof err));

	/* recording: a file that is not a recording, another user's, one with
	 * a second hard link, and a planted link are refused, their contents
	 * untouched */
	char plain[128];
	path_of(plain, sizeof plain, "plain");
	assert_null(recorder_open(plain, 0, 2, 300, err, sizeof err));
	assert_non_null(strstr(err, "not a gwtop recording"));
	char theirs[128];
	path_of(theirs, sizeof theirs, "theirs.gz");
	record_run(theirs, 0, 2, NULL, NULL);
	off_t theirs_size = fsize(theirs);
	if (geteuid() == 0) {
		assert_int_equal(chown(theirs, 65534, 65534), 0);
		assert_null(recorder_open(theirs, 0, 2, 300, err, sizeof err));
		assert_non_null(strstr(err, "another user's file"));
		assert_int_equal(fsize(theirs), theirs_size);
	}
	char linked[128], twin[140];
	path_of(linked, sizeof linked, "linked.gz");
	record_run(linked, 0, 2, NULL, NULL);
	snprintf(twin, sizeof twin, "%s.twin", linked);
	assert_int_equal(link(linked, twin), 0);
	assert_null(recorder_open(linked, 0, 2, 300, err, sizeof err));
	assert_non_null(strstr(err, "other hard links"));
	char target[128];
	path_of(target, sizeof target, "victim");
	f = fopen(target, "w");
	fputs("precious\n", f);
	fclose(f);
	path_of(path, sizeof path, "link.gz");
	assert_int_equal(symlink(target, path), 0);
	assert_null(recorder_open(path, 0, 2, 300, err, sizeof err));
	assert_int_equal(fsize(target), 9);
	snapshot_free(&s);
}

/* An existing recording is appended to (a timer's --check --record): the
 * player reads both runs; past half the bound the old one becomes FILE.1. */
static void test_append(void **state)
{
	(void)state;
	char path[128], path1[140], err[256];
	path_of(path, sizeof path, "timer.gz");
	snprintf(path1, sizeof path1, "%s.1", path);
	record_run(path, 0, 4, NULL, NULL);
	off_t one = fsize(path);
	record_run(path, 0, 5, NULL, NULL);
	assert_true(fsize(path) > one);
	struct player *p = player_open(path, err, sizeof err);
	assert_non_null(p);
	struct gw_snapshot s;
	snapshot_init(&s);
	int frames = 0;
	while (player_advance(p, INFINITY, 1, &s) == 1) frames++;
	assert_int_equal(frames, 9);
	assert_int_equal(player_skipped(p), 0);
	player_close(p);
	/* a file already past half the bound: it becomes FILE.1 and the run
	 * starts a new FILE */
	char big[128], big1[140];
	path_of(big, sizeof big, "big.gz");
	snprintf(big1, sizeof big1, "%s.1", big);
	record_run(big, 0, 1500, NULL, NULL);
	off_t before = fsize(big);
	assert_true(before >= (off_t)(RECORD_MIN_MAX / 2));
	assert_true(fsize(big1) < 0);
	record_run(big, RECORD_MIN_MAX, 2, NULL, NULL);
	assert_int_equal(fsize(big1), before);
	assert_true(fsize(big) > 0 && fsize(big) < before);
	assert_true(fsize(path1) < 0);                        /* the small one never rotated */
	snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_hostile_files),
		cmocka_unit_test(test_append),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
