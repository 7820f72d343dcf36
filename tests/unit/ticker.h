/* ticker.h — for the unit tests that check a probe never blocks the event
 * loop: a periodic 50 ms sd-event timer counting its ticks and its worst
 * lateness.  Include after cmocka.h (the set-up asserts). */
#ifndef GW_TEST_TICKER_H
#define GW_TEST_TICKER_H

#include <stdint.h>
#include <string.h>
#include <systemd/sd-event.h>

struct ticker {
	sd_event_source *src;
	uint64_t next;
	int ticks;
	double worst_late_ms;
};

static inline int ticker_cb(sd_event_source *s, uint64_t usec, void *ud)
{
	struct ticker *tk = ud;
	uint64_t now;
	(void)usec;
	sd_event_now(sd_event_source_get_event(s), CLOCK_MONOTONIC, &now);
	if (now > tk->next && (now - tk->next) / 1000.0 > tk->worst_late_ms)
		tk->worst_late_ms = (now - tk->next) / 1000.0;
	tk->ticks++;
	tk->next += 50000;
	sd_event_source_set_time(s, tk->next);
	return 0;
}

static inline void ticker_start(sd_event *e, struct ticker *tk)
{
	uint64_t now;
	memset(tk, 0, sizeof *tk);
	assert_true(sd_event_now(e, CLOCK_MONOTONIC, &now) >= 0);
	tk->next = now + 50000;
	assert_true(sd_event_add_time(e, &tk->src, CLOCK_MONOTONIC, tk->next, 1000, ticker_cb, tk) >= 0);
	assert_true(sd_event_source_set_enabled(tk->src, SD_EVENT_ON) >= 0);
}

#endif
