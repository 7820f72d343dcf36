/* test_layout.c — layout_compute on real terminal sizes: every shown
 * rectangle inside the screen, no overlaps, no negative sizes, panes tile
 * the body, zoom shows one pane, tiny terminals get "too small". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "layout.h"

static int rect_shown(const struct layout_rect *r)
{
	return r->w > 0 && r->h > 0;
}

static int rect_overlap(const struct layout_rect *a, const struct layout_rect *b)
{
	if (!rect_shown(a) || !rect_shown(b))
		return 0;
	return a->x < b->x + b->w && b->x < a->x + a->w &&
	    a->y < b->y + b->h && b->y < a->y + a->h;
}

/* Invariants every layout must hold; returns the number of shown panes. */
static int check_sane(int cols, int rows, int zoom, struct layout *l)
{
	layout_compute(cols, rows, zoom, l);
	assert_false(l->too_small);
	const struct layout_rect *all[LAYOUT_NPANES + 2];
	int n = 0, shown = 0;
	all[n++] = &l->header;
	all[n++] = &l->footer;
	for (int i = 0; i < LAYOUT_NPANES; i++)
		all[n++] = &l->pane[i];
	long area = 0;
	for (int i = 0; i < n; i++) {
		const struct layout_rect *r = all[i];
		assert_true(r->x >= 0 && r->y >= 0 && r->w >= 0 && r->h >= 0);
		if (!rect_shown(r))
			continue;
		assert_true(r->x + r->w <= cols);
		assert_true(r->y + r->h <= rows);
		area += (long)r->w * r->h;
		for (int j = 0; j < i; j++)
			assert_false(rect_overlap(r, all[j]));
	}
	for (int i = 0; i < LAYOUT_NPANES; i++)
		if (layout_visible(l, i)) {
			assert_true(l->pane[i].h >= 2);
			shown++;
		}
	/* header + footer + panes tile the whole screen */
	assert_int_equal(area, (long)cols * rows);
	assert_int_equal(l->footer.y, rows - 1);
	return shown;
}

static void test_80x24(void **state)
{
	(void)state;
	struct layout l;
	assert_int_equal(check_sane(80, 24, 0, &l), LAYOUT_NPANES - 1);
	assert_false(layout_visible(&l, LAYOUT_TIMELINE));   /* only zoomed (6) at this size */
	assert_int_equal(l.header.h, 2);
	/* path and findings side by side on top, logs full width at the bottom */
	assert_int_equal(l.pane[LAYOUT_PATH].y, l.pane[LAYOUT_FINDINGS].y);
	assert_true(l.pane[LAYOUT_PATH].x < l.pane[LAYOUT_FINDINGS].x);
	assert_int_equal(l.pane[LAYOUT_LOGS].w, 80);
	/* path pane fits client, nginx, a target, app server, app, db + title */
	assert_true(l.pane[LAYOUT_PATH].h >= 7);
	assert_true(l.pane[LAYOUT_LOGS].h >= 4);
	assert_int_equal(layout_pane_at(&l, 0, 2), LAYOUT_PATH);
	assert_int_equal(layout_pane_at(&l, 79, 2), LAYOUT_FINDINGS);
	assert_int_equal(layout_pane_at(&l, 10, 22), LAYOUT_LOGS);
	assert_int_equal(layout_pane_at(&l, 10, 23), -1);   /* footer */
	assert_int_equal(layout_pane_at(&l, 10, 0), -1);    /* header */
}

static void test_200x60(void **state)
{
	(void)state;
	struct layout l;
	assert_int_equal(check_sane(200, 60, 0, &l), LAYOUT_NPANES);
	/* the timeline strip under findings */
	assert_true(layout_visible(&l, LAYOUT_TIMELINE));
	assert_int_equal(l.pane[LAYOUT_TIMELINE].x, 0);
	assert_int_equal(l.pane[LAYOUT_TIMELINE].y, l.pane[LAYOUT_FINDINGS].y + l.pane[LAYOUT_FINDINGS].h);
	assert_true(l.pane[LAYOUT_TIMELINE].h >= 6);
	/* wide: two columns, logs get a tall share */
	assert_int_equal(l.pane[LAYOUT_PATH].x, 0);
	assert_true(l.pane[LAYOUT_PROCS].x > 0);
	assert_int_equal(l.pane[LAYOUT_PROCS].x, l.pane[LAYOUT_LOGS].x);
	assert_true(l.pane[LAYOUT_LOGS].h >= 20);
}

static void test_tiny_40x12(void **state)
{
	(void)state;
	struct layout l;
	int shown = check_sane(40, 12, 0, &l);
	assert_int_equal(shown, 3);          /* path, findings, logs */
	assert_true(layout_visible(&l, LAYOUT_PATH));
	assert_true(layout_visible(&l, LAYOUT_FINDINGS));
	assert_true(layout_visible(&l, LAYOUT_LOGS));
	assert_false(layout_visible(&l, LAYOUT_PROCS));
	assert_int_equal(l.header.h, 1);
	/* zooming into a hidden pane still shows it */
	assert_int_equal(check_sane(40, 12, 3, &l), 1);
	assert_true(layout_visible(&l, LAYOUT_PROCS));
	assert_int_equal(l.pane[LAYOUT_PROCS].h, 10);
}

static void test_too_small(void **state)
{
	(void)state;
	struct layout l;
	int sizes[][2] = { { 39, 24 }, { 80, 9 }, { 0, 0 }, { -5, -5 }, { 1, 1 } };
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		layout_compute(sizes[i][0], sizes[i][1], 0, &l);
		assert_true(l.too_small);
		assert_true(l.cols >= 0 && l.rows >= 0);
		for (int p = 0; p < LAYOUT_NPANES; p++)
			assert_false(layout_visible(&l, p));
		assert_int_equal(layout_pane_at(&l, 0, 0), -1);
	}
	layout_compute(40, 10, 0, &l);       /* the smallest that works */
	assert_false(l.too_small);
}

static void test_zoom_each(void **state)
{
	(void)state;
	struct layout l;
	for (int z = 1; z <= LAYOUT_NPANES; z++) {
		assert_int_equal(check_sane(80, 24, z, &l), 1);
		assert_true(layout_visible(&l, z - 1));
		assert_int_equal(l.pane[z - 1].w, 80);
		assert_int_equal(l.pane[z - 1].h, 21);
	}
	/* out-of-range zoom behaves like none */
	assert_int_equal(check_sane(80, 24, 9, &l), LAYOUT_NPANES - 1);
	/* a tall normal screen gets the strip above the logs */
	assert_int_equal(check_sane(120, 50, 0, &l), LAYOUT_NPANES);
	assert_int_equal(l.pane[LAYOUT_TIMELINE].w, 120);
	assert_int_equal(l.pane[LAYOUT_TIMELINE].y + l.pane[LAYOUT_TIMELINE].h, l.pane[LAYOUT_LOGS].y);
	/* 200x50 (the TUI test's size) too */
	assert_int_equal(check_sane(200, 50, 0, &l), LAYOUT_NPANES);
}

static void test_every_size(void **state)
{
	(void)state;
	struct layout l;
	for (int c = LAYOUT_MIN_COLS; c <= 260; c += 7)
		for (int r = LAYOUT_MIN_ROWS; r <= 90; r += 3)
			for (int z = 0; z <= LAYOUT_NPANES; z++)
				assert_true(check_sane(c, r, z, &l) >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_80x24),
		cmocka_unit_test(test_200x60),
		cmocka_unit_test(test_tiny_40x12),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_zoom_each),
		cmocka_unit_test(test_every_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
