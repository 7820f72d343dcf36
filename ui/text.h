/* text.h — search highlight on built lines (text.c; the line builder
 * itself is declared in ui.h). */
#ifndef GW_UI_TEXT_H
#define GW_UI_TEXT_H

#include "ui.h"

/* Re-cut ln's segments so that every case-insensitive (ASCII letters)
 * occurrence of pat in the line's text is drawn with role hl. The text is
 * the sanitized one, so offsets are bytes of safe text: a match never
 * starts or ends inside a UTF-8 sequence (it is skipped if it would) and
 * can never split an escape sequence (there are none left). When the
 * line's UI_MAXSEG segments run out, the later matches stay plain.
 * Returns the number of matches highlighted. */
int ui_line_highlight(struct ui_line *ln, const char *pat, int hl);

#endif
