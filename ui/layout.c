/* layout.c — screen geometry for the dashboard (see layout.h).
 *
 *   wide (>= 160x30)        normal (>= 80 cols, >= 18 body rows)   compact
 *   +--------+---------+    +-----------+-----------+              +-----------+
 *   | path   | procs   |    | path      | findings  |              | path      |
 *   |        +---------+    +-----------+-----------+              +-----------+
 *   +--------+ listen. |    | procs         | list. |              | findings  |
 *   |findings+---------+    +---------------+-------+              +-----------+
 *   |        | logs    |    | logs                  |              | logs      |
 *   +--------+---------+    +-----------------------+              +-----------+
 * Compact hides processes and listeners (zoom 3 / 4 still shows them).
 * The timeline (zoom 6) is a strip of LAYOUT_STRIP rows only on tall
 * screens: under findings in the wide layout with >= 40 body rows, above
 * the logs in the normal one with >= 40 body rows. */
#include "layout.h"

#include <string.h>

#define LAYOUT_STRIP 8               /* the timeline strip: title, chart, markers, axis, cursor line */

static struct layout_rect layout_rect(int x, int y, int w, int h)
{
	struct layout_rect r = { x, y, w, h };
	if (w <= 0 || h <= 0)
		r.w = r.h = 0;
	return r;
}

/* Split h rows into n parts by percentages (last takes the rest); every
 * part gets at least min rows when possible. */
static void layout_split(int h, int n, const int *pct, int min, int *out)
{
	int used = 0;
	for (int i = 0; i < n; i++) {
		int left = h - used;
		int need_after = (n - 1 - i) * min;
		int part = i == n - 1 ? left : h * pct[i] / 100;
		if (part < min)
			part = min;
		if (part > left - need_after)
			part = left - need_after;
		if (part < 0)
			part = 0;
		out[i] = part;
		used += part;
	}
}

void layout_compute(int cols, int rows, int zoom, struct layout *out)
{
	memset(out, 0, sizeof *out);
	out->cols = cols < 0 ? 0 : cols;
	out->rows = rows < 0 ? 0 : rows;
	if (cols < LAYOUT_MIN_COLS || rows < LAYOUT_MIN_ROWS) {
		out->too_small = 1;
		return;
	}

	int hh = rows >= 16 ? 2 : 1;
	out->header = layout_rect(0, 0, cols, hh);
	out->footer = layout_rect(0, rows - 1, cols, 1);
	int by = hh, bh = rows - hh - 1;

	if (zoom >= 1 && zoom <= LAYOUT_NPANES) {
		out->pane[zoom - 1] = layout_rect(0, by, cols, bh);
		return;
	}

	if (cols >= 160 && rows >= 30) {
		int lw = cols * 45 / 100, rw = cols - lw;
		int l[2], r[3];
		int strip = bh >= 40 ? LAYOUT_STRIP : 0;
		layout_split(bh - strip, 2, (const int[]){ 45, 55 }, 2, l);
		layout_split(bh, 3, (const int[]){ 30, 25, 45 }, 2, r);
		out->pane[LAYOUT_PATH] = layout_rect(0, by, lw, l[0]);
		out->pane[LAYOUT_FINDINGS] = layout_rect(0, by + l[0], lw, l[1]);
		if (strip)
			out->pane[LAYOUT_TIMELINE] = layout_rect(0, by + l[0] + l[1], lw, strip);
		out->pane[LAYOUT_PROCS] = layout_rect(lw, by, rw, r[0]);
		out->pane[LAYOUT_LISTENERS] = layout_rect(lw, by + r[0], rw, r[1]);
		out->pane[LAYOUT_LOGS] = layout_rect(lw, by + r[0] + r[1], rw, r[2]);
	} else if (cols >= 80 && bh >= 18) {
		int h[3];
		int lw = cols / 2, pw = cols * 6 / 10;
		int strip = bh >= 40 ? LAYOUT_STRIP : 0;
		layout_split(bh - strip, 3, (const int[]){ 40, 25, 35 }, 2, h);
		out->pane[LAYOUT_PATH] = layout_rect(0, by, lw, h[0]);
		out->pane[LAYOUT_FINDINGS] = layout_rect(lw, by, cols - lw, h[0]);
		out->pane[LAYOUT_PROCS] = layout_rect(0, by + h[0], pw, h[1]);
		out->pane[LAYOUT_LISTENERS] = layout_rect(pw, by + h[0], cols - pw, h[1]);
		if (strip)
			out->pane[LAYOUT_TIMELINE] = layout_rect(0, by + h[0] + h[1], cols, strip);
		out->pane[LAYOUT_LOGS] = layout_rect(0, by + h[0] + h[1] + strip, cols, h[2]);
	} else if (bh >= 6) {
		int h[3];
		layout_split(bh, 3, (const int[]){ 35, 35, 30 }, 2, h);
		out->pane[LAYOUT_PATH] = layout_rect(0, by, cols, h[0]);
		out->pane[LAYOUT_FINDINGS] = layout_rect(0, by + h[0], cols, h[1]);
		out->pane[LAYOUT_LOGS] = layout_rect(0, by + h[0] + h[1], cols, h[2]);
	} else {
		out->pane[LAYOUT_PATH] = layout_rect(0, by, cols, bh);
	}
}

int layout_visible(const struct layout *l, int pane)
{
	if (l->too_small || pane < 0 || pane >= LAYOUT_NPANES)
		return 0;
	return l->pane[pane].w > 0 && l->pane[pane].h > 0;
}

int layout_pane_at(const struct layout *l, int x, int y)
{
	for (int i = 0; i < LAYOUT_NPANES; i++) {
		const struct layout_rect *r = &l->pane[i];
		if (layout_visible(l, i) && x >= r->x && x < r->x + r->w &&
		    y >= r->y && y < r->y + r->h)
			return i;
	}
	return -1;
}
