/* fuzz_snapjson.c — libFuzzer target for the snapshot decoder
 * (src/snapjson.c), which reads recordings made on another host: the input
 * is JSON text (a frame); a NUL byte in it splits two frames, applied one
 * after the other onto the same snapshot (as replay does: a later frame
 * carries only the members that changed). Properties:
 *  - snapjson_apply returns 0 or -1 (with a message), never anything else;
 *  - after each frame the snapshot is valid: every string NUL-terminated,
 *    every fixed-array count within its array, every enum within its
 *    range, every double finite and within +-SNAPJSON_MAX_DOUBLE, every index (targets' listener_idx and
 *    container match, units' target_idx, app_binds' listener_idx) -1 or
 *    within its vector;
 *  - the real diagnose() runs on it without a crash or UB (what replay
 *    does with a frame);
 *  - what it decoded round-trips: encode -> JSON text -> apply onto a fresh
 *    snapshot -> encode gives the same JSON (json_equal);
 *  - no leak when frames replace members (LeakSanitizer). */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"
#include "snapjson.h"

#define MAXM 64

struct fz_vec {
	void *v;
	size_t n, cap;
};

/* Walk struct `name` at p through the codec's own description. */
static void check_struct(const char *name, const unsigned char *p)
{
	struct snapjson_member m[MAXM];
	int k = snapjson_describe(name, m, MAXM, NULL, NULL);
	if (k <= 0 || k > MAXM) abort();
	for (int j = 0; j < k; j++) {
		const unsigned char *f = p + m[j].off;
		switch (m[j].kind) {
		case 's':
			if (!memchr(f, 0, m[j].size)) abort();
			break;
		case 'e': {
			int v;
			memcpy(&v, f, sizeof v);
			if (v < 0 || v > m[j].emax) abort();
			break;
		}
		case 'd': {
			double d;
			memcpy(&d, f, sizeof d);
			if (!isfinite(d) || fabs(d) > SNAPJSON_MAX_DOUBLE) abort();
			break;
		}
		case 'S':
			check_struct(m[j].sub, f);
			break;
		case 'v': {
			struct fz_vec h;
			memcpy(&h, f, sizeof h);
			if (h.n > h.cap || (h.n && !h.v) || h.n > SNAPJSON_MAX_VEC) abort();
			for (size_t i = 0; i < h.n && m[j].sub; i++)
				check_struct(m[j].sub, (const unsigned char *)h.v + i * m[j].elem_size);
			break;
		}
		case 'a': {
			int n;
			memcpy(&n, p + m[j].count_off, sizeof n);
			if (n < 0 || (size_t)n > m[j].size / m[j].elem_size) abort();
			for (int i = 0; i < n && m[j].sub; i++) check_struct(m[j].sub, f + (size_t)i * m[j].elem_size);
			break;
		}
		default:
			break;
		}
	}
}

static int in_range(int i, size_t n)
{
	return i == -1 || (i >= 0 && (size_t)i < n);
}

static void check_snapshot(const struct gw_snapshot *s)
{
	check_struct("gw_snapshot", (const unsigned char *)s);
	for (size_t i = 0; i < s->targets.n; i++) {
		const struct gw_target *t = &s->targets.v[i];
		if (!in_range(t->listener_idx, s->listeners.n)) abort();
		const struct gw_container_match *c = &t->container;
		if (!in_range(c->container, s->containers.n)) abort();
		if (c->container == -1 && (c->how != GW_VIA_NONE || c->port != -1)) abort();
		if (c->container >= 0 && !in_range(c->port, (size_t)s->containers.v[c->container].nports)) abort();
	}
	for (size_t i = 0; i < s->units.n; i++)
		if (!in_range(s->units.v[i].target_idx, s->targets.n)) abort();
	for (size_t i = 0; i < s->app_binds.n; i++)
		if (!in_range(s->app_binds.v[i].listener_idx, s->listeners.n)) abort();
}

static void apply_frame(struct gw_snapshot *s, const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerr);
	if (!j) return;
	char err[256];
	memset(err, 0x55, sizeof err);
	int r = snapjson_apply(s, j, err, sizeof err);
	json_decref(j);
	if (r != 0 && r != -1) abort();
	if (!memchr(err, 0, sizeof err)) abort();
	if (r == -1 && !err[0]) abort();
	check_snapshot(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_snapshot *s = calloc(1, sizeof *s);
	if (!s) return 0;
	snapshot_init(s);
	const uint8_t *nul = memchr(data, 0, size);
	size_t first = nul ? (size_t)(nul - data) : size;
	apply_frame(s, data, first);
	if (nul) apply_frame(s, nul + 1, size - first - 1);

	struct gw_diag_config cfg = { .now = 1800000000.0, .recent_window = 300 };
	struct gw_diagnosis d;
	diagnose(s, &cfg, &d);
	diagnosis_free(&d);

	/* the decoded snapshot round-trips exactly */
	json_t *a = snapjson_encode(s);
	char *text = json_dumps(a, JSON_COMPACT);
	if (!text) abort();
	json_error_t jerr;
	json_t *back = json_loads(text, 0, &jerr);
	if (!back) abort();
	struct gw_snapshot *s2 = calloc(1, sizeof *s2);
	if (!s2) abort();
	snapshot_init(s2);
	if (snapjson_apply(s2, back, NULL, 0)) abort();
	json_t *b = snapjson_encode(s2);
	if (!json_equal(a, b)) abort();
	json_decref(a);
	json_decref(b);
	json_decref(back);
	free(text);
	snapshot_free(s2);
	free(s2);
	snapshot_free(s);
	free(s);
	return 0;
}
