/* tui_replay.c — `gwtop --replay FILE`: the dashboard with a recording
 * (src/record.h) in place of the probes. A 100 ms timer moves the
 * recording's clock (rp_vt) on by 0.1 s x speed unless paused and applies
 * what was written up to it: frames become the shown snapshot (diagnosed
 * again, at the moment they were), log lines go into the ring, requests
 * and events into the replayed timeline. gw_now() follows the recording's
 * clock, so ages and windows read as they did. Nothing is probed, nothing
 * on this host is read or changed (--replay implies --read-only).
 *
 * Keys: Space pause / resume, `.` the next frame (paused), `+` / `-`
 * speed x2 / /2 (1/4x to 64x), `>` on to the next frame whose verdict
 * differs from the shown one. Only forwards: start again to go back. */
#include "ui.h"

#include <math.h>
#include <string.h>

#include "record.h"

#define RP_TICK_USEC 100000
#define RP_SPEED_MIN 0.25
#define RP_SPEED_MAX 64

int tui_replay_open(struct tui *t, char *err, size_t n)
{
	t->player = player_open(t->o->replay, err, n);
	if (!t->player) return -1;
	t->rp_speed = 1;
	t->rp_vt = player_next_time(t->player);
	return 0;
}

void tui_replay_free(struct tui *t)
{
	t->rp_timer = sd_event_source_disable_unref(t->rp_timer);
	player_close(t->player);
	t->player = NULL;
	gw_now_set_replay(0);
}

static void rp_clock(struct tui *t)
{
	gw_now_set_replay(t->rp_vt);
	t->hdr_dirty = 1;
}

/* Apply the records up to `until` (one frame at most when one_frame). */
static int rp_apply(struct tui *t, double until, int one_frame)
{
	int r = player_advance(t->player, until, one_frame, &t->snap[!t->shown]);
	if (r == 1) {
		tui_show_filled(t, player_frame_now(t->player));
		if (player_frame_now(t->player) > t->rp_vt) t->rp_vt = player_frame_now(t->player);
	}
	if (r < 0 && !t->rp_ended) {
		const char *e = player_error(t->player);
		t->rp_ended = 1;
		t->paused = 1;
		if (e[0]) tui_set_status_for(t, 10, "replay: %s", e);
		else tui_set_status_for(t, 10, "end of the recording (%lu frames): q quits", player_frames(t->player));
	}
	return r;
}

static int rp_on_timer(sd_event_source *src, uint64_t usec, void *ud)
{
	(void)usec;
	struct tui *t = ud;
	if (!t->paused && !t->rp_ended) {
		t->rp_vt += RP_TICK_USEC / 1e6 * t->rp_speed;
		/* a quiet stretch of the recording (nothing for 10 s of its time:
		 * between the runs of a timer's --check --record) is skipped, not
		 * waited through */
		double next = player_next_time(t->player);
		if (next > t->rp_vt + 10) t->rp_vt = next;
		rp_apply(t, t->rp_vt, 0);
		rp_clock(t);
	}
	sd_event_source_set_time_relative(src, RP_TICK_USEC);
	sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
	return 0;
}

int tui_replay_start(struct tui *t)
{
	rp_clock(t);
	return sd_event_add_time_relative(t->e, &t->rp_timer, CLOCK_MONOTONIC, RP_TICK_USEC, 10000, rp_on_timer, t);
}

void tui_replay_key(struct tui *t, int key)
{
	if (!t->player) {
		tui_set_status(t, "only in a replay (gwtop --replay FILE)");
		return;
	}
	switch (key) {
	case '+':
	case '-':
		t->rp_speed = key == '+' ? t->rp_speed * 2 : t->rp_speed / 2;
		if (t->rp_speed < RP_SPEED_MIN) t->rp_speed = RP_SPEED_MIN;
		if (t->rp_speed > RP_SPEED_MAX) t->rp_speed = RP_SPEED_MAX;
		tui_set_status(t, "replay speed %gx", t->rp_speed);
		break;
	case '.':
		t->paused = 1;
		if (rp_apply(t, INFINITY, 1) == 1)
			tui_set_status(t, "frame %lu (paused: . next, Space plays)", player_frames(t->player));
		break;
	case '>': {
		char from[64];
		GW_COPY(from, t->have ? record_verdict_word(&t->diag) : "");
		t->paused = 1;
		int r;
		while ((r = rp_apply(t, INFINITY, 1)) == 1 && !strcmp(record_verdict_word(&t->diag), from)) {
		}
		if (r == 1) tui_set_status(t, "the verdict changed: %s (frame %lu, paused)", record_verdict_word(&t->diag),
					   player_frames(t->player));
		break;
	}
	case ' ':
		if (t->rp_ended) {
			tui_set_status(t, "end of the recording: q quits");
			return;
		}
		t->paused = !t->paused;
		tui_set_status(t, t->paused ? "replay paused (Space plays, . steps)" : "replay playing");
		break;
	}
	rp_clock(t);
}
