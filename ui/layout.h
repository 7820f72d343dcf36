/* layout.h — where the header, the five panes and the footer go for a
 * given terminal size. Pure arithmetic, no curses: unit-tested. */
#ifndef GW_LAYOUT_H
#define GW_LAYOUT_H

/* Panes in zoom-key order: key '1' zooms LAYOUT_PATH, ... '5' LAYOUT_LOGS,
 * '6' LAYOUT_TIMELINE (a strip only on tall screens, see layout.c). */
enum layout_pane {
	LAYOUT_PATH = 0,
	LAYOUT_FINDINGS,
	LAYOUT_PROCS,
	LAYOUT_LISTENERS,
	LAYOUT_LOGS,
	LAYOUT_TIMELINE,
	LAYOUT_NPANES
};

#define LAYOUT_MIN_COLS 40
#define LAYOUT_MIN_ROWS 10

/* A rectangle of the screen; w == 0 || h == 0 means "not shown". */
struct layout_rect {
	int x, y, w, h;
};

struct layout {
	int cols, rows;
	int too_small;               /* below 40x10: show only a message */
	struct layout_rect header;   /* 1 or 2 rows */
	struct layout_rect footer;   /* 1 row */
	struct layout_rect pane[LAYOUT_NPANES];
};

/* Fill out for a cols x rows screen. zoom: 0 = normal, 1..6 = that pane
 * alone (see enum layout_pane + 1). Never produces negative sizes or
 * rectangles outside the screen; a shown pane has h >= 2 (title + 1 line). */
void layout_compute(int cols, int rows, int zoom, struct layout *out);

/* Is the pane shown? */
int layout_visible(const struct layout *l, int pane);

/* Which shown pane contains the screen cell (x, y); -1 none. */
int layout_pane_at(const struct layout *l, int x, int y);

#endif
