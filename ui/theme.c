/* theme.c — colours, emphasis and markers. Three modes: colour (default
 * palette green/yellow/red, or the colour-blind-safe blue/orange one with
 * GWTOP_THEME=colorblind), no colour (NO_COLOR / --no-color: bold and
 * reverse only), and ASCII glyphs when the locale is not UTF-8. Every state
 * colour comes with a marker (✓ ✗ ! ?), so colour is never the only signal. */
#include "ui.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>

static int theme_is_ascii;
static int theme_has_color;
static attr_t theme_attrs[UI_NROLES];

static const struct ui_glyphs theme_utf8 = {
	.ok = "\xe2\x9c\x93", .fail = "\xe2\x9c\x97", .warn = "!", .unknown = "?",
	.arrow = "\xe2\x86\x92", .vline = "\xe2\x94\x82", .tee = "\xe2\x94\x9c\xe2\x94\x80",
	.elbow = "\xe2\x94\x94\xe2\x94\x80", .first = "\xe2\x96\xb6", .mark = "\xe2\x97\x86",
	.ellipsis = "\xe2\x80\xa6", .dot = "\xc2\xb7",
};
static const struct ui_glyphs theme_plain = {
	.ok = "+", .fail = "x", .warn = "!", .unknown = "?",
	.arrow = "->", .vline = "|", .tee = "|-", .elbow = "`-", .first = ">",
	.mark = "*", .ellipsis = "~", .dot = "-",
};

enum { P_OK = 1, P_WARN, P_FAIL, P_UNKNOWN, P_TITLE, P_TITLE_FOCUS, P_HEADER, P_KEYLABEL, P_SEL, P_FIRST };

void theme_init(int no_color)
{
	const char *cs = nl_langinfo(CODESET);
	theme_is_ascii = !(cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8")));

	const char *nc = getenv("NO_COLOR");
	if (nc && nc[0])
		no_color = 1;
	theme_has_color = !no_color && has_colors();

	for (int i = 0; i < UI_NROLES; i++)
		theme_attrs[i] = A_NORMAL;

	if (!theme_has_color) {
		theme_attrs[UI_OK] = A_NORMAL;
		theme_attrs[UI_WARN] = A_BOLD;
		theme_attrs[UI_FAIL] = A_BOLD | A_UNDERLINE;
		theme_attrs[UI_UNKNOWN] = A_DIM;
		theme_attrs[UI_DIM] = A_DIM;
		theme_attrs[UI_BOLD] = A_BOLD;
		theme_attrs[UI_TITLE] = A_UNDERLINE;
		theme_attrs[UI_TITLE_FOCUS] = A_REVERSE | A_BOLD;
		theme_attrs[UI_HEADER] = A_REVERSE;
		theme_attrs[UI_KEY] = A_BOLD;
		theme_attrs[UI_KEYLABEL] = A_REVERSE;
		theme_attrs[UI_SEL] = A_REVERSE;
		theme_attrs[UI_FIRST] = A_BOLD | A_REVERSE;
		return;
	}

	start_color();
	use_default_colors();
	const char *th = getenv("GWTOP_THEME");
	int cb = th && (!strcmp(th, "colorblind") || !strcmp(th, "cb"));
	short orange = COLORS >= 256 ? 208 : COLOR_YELLOW;
	short ok = cb ? COLOR_BLUE : COLOR_GREEN;
	short warn = COLOR_YELLOW;   /* both themes: yellow stays apart from blue and orange */
	short fail = cb ? orange : COLOR_RED;
	short grey = COLORS >= 256 ? 245 : COLOR_WHITE;

	init_pair(P_OK, ok, -1);
	init_pair(P_WARN, warn, -1);
	init_pair(P_FAIL, fail, -1);
	init_pair(P_UNKNOWN, grey, -1);
	init_pair(P_TITLE, COLOR_BLACK, COLOR_CYAN);
	init_pair(P_TITLE_FOCUS, COLOR_BLACK, COLOR_YELLOW);
	init_pair(P_HEADER, COLOR_WHITE, COLOR_BLUE);
	init_pair(P_KEYLABEL, COLOR_BLACK, COLOR_CYAN);
	init_pair(P_SEL, COLOR_BLACK, COLOR_CYAN);
	init_pair(P_FIRST, COLOR_WHITE, fail);

	theme_attrs[UI_OK] = COLOR_PAIR(P_OK);
	theme_attrs[UI_WARN] = COLOR_PAIR(P_WARN) | A_BOLD;
	theme_attrs[UI_FAIL] = COLOR_PAIR(P_FAIL) | A_BOLD;
	theme_attrs[UI_UNKNOWN] = COLOR_PAIR(P_UNKNOWN);
	theme_attrs[UI_DIM] = COLOR_PAIR(P_UNKNOWN);
	theme_attrs[UI_BOLD] = A_BOLD;
	theme_attrs[UI_TITLE] = COLOR_PAIR(P_TITLE);
	theme_attrs[UI_TITLE_FOCUS] = COLOR_PAIR(P_TITLE_FOCUS) | A_BOLD;
	theme_attrs[UI_HEADER] = COLOR_PAIR(P_HEADER);
	theme_attrs[UI_KEY] = A_BOLD;
	theme_attrs[UI_KEYLABEL] = COLOR_PAIR(P_KEYLABEL);
	theme_attrs[UI_SEL] = COLOR_PAIR(P_SEL);
	theme_attrs[UI_FIRST] = COLOR_PAIR(P_FIRST) | A_BOLD;
}

int theme_ascii(void)
{
	return theme_is_ascii;
}

int theme_color(void)
{
	return theme_has_color;
}

attr_t theme_attr(int role)
{
	return role >= 0 && role < UI_NROLES ? theme_attrs[role] : A_NORMAL;
}

const struct ui_glyphs *theme_glyphs(void)
{
	return theme_is_ascii ? &theme_plain : &theme_utf8;
}

int theme_role_hop(enum gw_hop_status s)
{
	switch (s) {
	case GW_HS_OK: return UI_OK;
	case GW_HS_WARN: return UI_WARN;
	case GW_HS_FAIL: return UI_FAIL;
	default: return UI_UNKNOWN;
	}
}

int theme_role_sev(enum gw_severity s)
{
	switch (s) {
	case GW_SEV_OK: return UI_OK;
	case GW_SEV_INFO: return UI_NORMAL;
	case GW_SEV_WARN: return UI_WARN;
	default: return UI_FAIL;
	}
}

int theme_role_level(enum gw_level lv)
{
	if (lv >= GW_LV_ERROR)
		return UI_FAIL;
	if (lv == GW_LV_WARN)
		return UI_WARN;
	if (lv <= GW_LV_DEBUG)
		return UI_DIM;
	return UI_NORMAL;
}

const char *theme_marker_hop(enum gw_hop_status s)
{
	const struct ui_glyphs *g = theme_glyphs();
	switch (s) {
	case GW_HS_OK: return g->ok;
	case GW_HS_WARN: return g->warn;
	case GW_HS_FAIL: return g->fail;
	default: return g->unknown;
	}
}

const char *theme_marker_sev(enum gw_severity s)
{
	const struct ui_glyphs *g = theme_glyphs();
	switch (s) {
	case GW_SEV_OK: return g->ok;
	case GW_SEV_INFO: return "i";
	case GW_SEV_WARN: return g->warn;
	default: return g->fail;
	}
}
