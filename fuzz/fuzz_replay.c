/* fuzz_replay.c — libFuzzer target for the player of recordings
 * (src/record.c): the input is a recording file (gzip or plain: zlib
 * reads both), as someone may hand one over. Properties, for every frame
 * the player gives: every index in the snapshot points into its vector,
 * diagnose() runs on it, the verdict word is a short printable string; the
 * player's own counts stay sane; nothing crashes, leaks or hangs. Log
 * records go to fuzz/stubs_logstream.c, which traps on an out-of-range
 * source, type or line. */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diagnose.h"
#include "record.h"

static char fz_path[64];

static void fz_check_snapshot(const struct gw_snapshot *s)
{
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct gw_target *t = &s->targets.v[i];
		if (t->listener_idx >= (int)s->listeners.n || t->listener_idx < -1) __builtin_trap();
		if (t->container.how != GW_VIA_NONE &&
		    (t->container.container < 0 || t->container.container >= (int)s->containers.n)) __builtin_trap();
	}
	for (size_t i = 0; i < s->app_binds.n; i++)
		if (s->app_binds.v[i].listener_idx >= (int)s->listeners.n) __builtin_trap();
	for (size_t i = 0; i < s->units.n; i++)
		if (s->units.v[i].target_idx >= (int)s->targets.n || s->units.v[i].nproblems > 8) __builtin_trap();
}

static void fz_cleanup(void)
{
	unlink(fz_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fz_path[0]) {
		snprintf(fz_path, sizeof fz_path, "/tmp/gwtop-fuzz-replay.%d", (int)getpid());
		atexit(fz_cleanup);
	}
	int fd = open(fz_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	close(fd);
	char err[512];
	struct player *p = player_open(fz_path, err, sizeof err);
	if (!p) return 0;
	player_set_logs(p, (struct logstream *)(uintptr_t)1);   /* the stubs never dereference it */
	struct gw_snapshot *s = calloc(1, sizeof *s);
	snapshot_init(s);
	int frames = 0;
	while (frames < 64 && player_advance(p, INFINITY, 1, s) == 1) {
		fz_check_snapshot(s);
		struct gw_diagnosis d;
		struct gw_diag_config c = { .now = player_frame_now(p), .recent_window = 300 };
		memset(&d, 0, sizeof d);
		diagnose(s, &c, &d);
		if (strlen(record_verdict_word(&d)) > 64 || strlen(player_frame_verdict(p)) >= 64) __builtin_trap();
		diagnosis_free(&d);
		frames++;
	}
	if (player_frames(p) < (unsigned long)frames) __builtin_trap();
	snapshot_free(s);
	free(s);
	player_close(p);
	return 0;
}
