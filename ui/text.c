/* text.c — the line builder the panes and overlays fill. Every byte put
 * here goes through sanitize_text (sanitize_ascii without a UTF-8 locale),
 * so nothing from logs, cmdlines or config reaches curses raw; code points
 * the terminal cannot measure (wcwidth < 0) become U+FFFD / '?'. Lines are
 * cut by display columns when drawn. */
#include "ui.h"
#include "text.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "sanitize.h"

static int text_ascii;

void ui_text_init(int ascii)
{
	text_ascii = ascii;
}

void ui_lines_clear(struct ui_lines *L)
{
	for (size_t i = 0; i < L->lines.n; i++)
		free(L->lines.v[i].text);
	gw_vec_clear(&L->lines);
}

void ui_lines_free(struct ui_lines *L)
{
	ui_lines_clear(L);
	gw_vec_free(&L->lines);
}

struct ui_line *ui_line_new(struct ui_lines *L)
{
	struct ui_line *ln = gw_vec_push(&L->lines);
	ln->cap = 64;
	ln->text = gw_xmalloc(ln->cap);
	ln->text[0] = '\0';
	return ln;
}

static struct ui_line *text_cur(struct ui_lines *L)
{
	return L->lines.n ? &L->lines.v[L->lines.n - 1] : ui_line_new(L);
}

/* Width of one decoded code point as curses will draw it. */
static int text_cpw(long cp)
{
	if (text_ascii || cp < 0x80)
		return 1;
	int w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

void ui_safe(char *dst, size_t size, const char *raw, size_t max)
{
	size_t len = raw ? strnlen(raw, max) : 0;
	char tmp[4096];
	if (text_ascii) {
		sanitize_ascii(dst, size, raw, len);
		return;
	}
	size_t n = sanitize_text(tmp, sizeof tmp < size ? sizeof tmp : size, raw, len);
	/* replace what the terminal cannot measure */
	size_t i = 0, o = 0;
	while (i < n && o + 4 < size) {
		long cp;
		size_t k = sanitize_decode((const unsigned char *)tmp + i, n - i, &cp);
		if (cp >= 0x80 && wcwidth((wchar_t)cp) < 0) {
			memcpy(dst + o, "\xef\xbf\xbd", 3);
			o += 3;
		} else {
			memcpy(dst + o, tmp + i, k);
			o += k;
		}
		i += k;
	}
	dst[o] = '\0';
}

static void text_append(struct ui_line *ln, int role, const char *safe, size_t n)
{
	if (!n)
		return;
	if (ln->len + n + 1 > ln->cap) {
		while (ln->len + n + 1 > ln->cap)
			ln->cap *= 2;
		ln->text = gw_xrealloc(ln->text, ln->cap);
	}
	memcpy(ln->text + ln->len, safe, n);
	if (ln->nseg && (ln->seg[ln->nseg - 1].role == role || ln->nseg == UI_MAXSEG)) {
		ln->seg[ln->nseg - 1].len += n;
	} else {
		ln->seg[ln->nseg].role = role;
		ln->seg[ln->nseg].off = ln->len;
		ln->seg[ln->nseg].len = n;
		ln->nseg++;
	}
	ln->len += n;
	ln->text[ln->len] = '\0';
}

void ui_put(struct ui_lines *L, int role, const char *raw, size_t max)
{
	char buf[4096];
	ui_safe(buf, sizeof buf, raw, max);
	text_append(text_cur(L), role, buf, strlen(buf));
}

void ui_puts(struct ui_lines *L, int role, const char *raw)
{
	ui_put(L, role, raw, 4095);
}

void ui_putf(struct ui_lines *L, int role, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	ui_put(L, role, buf, sizeof buf);
}

size_t ui_fit(const char *s, size_t len, int cols, int *used)
{
	size_t i = 0;
	int w = 0;
	while (i < len) {
		long cp;
		size_t k = sanitize_decode((const unsigned char *)s + i, len - i, &cp);
		int cw = text_cpw(cp);
		if (w + cw > cols)
			break;
		w += cw;
		i += k;
	}
	if (used)
		*used = w;
	return i;
}

int ui_line_width(const struct ui_line *ln)
{
	int w;
	ui_fit(ln->text, ln->len, 1 << 29, &w);
	return w;
}

void ui_pad_to(struct ui_lines *L, int col)
{
	struct ui_line *ln = text_cur(L);
	int w = ui_line_width(ln);
	static const char sp[] = "                                                                ";
	while (w < col) {
		int n = col - w > 64 ? 64 : col - w;
		text_append(ln, UI_NORMAL, sp, (size_t)n);
		w += n;
	}
}

void ui_cell(struct ui_lines *L, int role, const char *raw, size_t max, int cols, int right)
{
	char buf[4096];
	int used;
	if (cols <= 0)
		return;
	ui_safe(buf, sizeof buf, raw, max);
	size_t n = ui_fit(buf, strlen(buf), cols, &used);
	struct ui_line *ln = text_cur(L);
	if (right) {
		int start = ui_line_width(ln) + cols - used;
		ui_pad_to(L, start);
		text_append(ln, role, buf, n);
	} else {
		int start = ui_line_width(ln);
		text_append(ln, role, buf, n);
		ui_pad_to(L, start + cols);
	}
}

void ui_wrap(struct ui_lines *L, int role, const char *raw, size_t max, int width, int indent)
{
	char buf[4096] = "";
	ui_safe(buf, sizeof buf, raw, max);
	size_t len = strlen(buf), pos = 0;
	if (indent > width / 2)
		indent = width / 2;
	struct ui_line *ln = text_cur(L);
	if (len && width - ui_line_width(ln) < 12 && ui_line_width(ln) > indent) {
		ln = ui_line_new(L);             /* no room left on this line */
		ui_pad_to(L, indent);
	}
	for (;;) {
		int room = width - ui_line_width(ln);
		if (room < 1)
			room = 1;
		int used;
		size_t n = ui_fit(buf + pos, len - pos, room, &used);
		if (pos + n < len && n > 0) {
			/* break at the last space if there is one in the second half */
			size_t b = n;
			while (b > n / 2 && buf[pos + b] != ' ' && buf[pos + b - 1] != ' ')
				b--;
			if (b > n / 2)
				n = b;
		}
		if (n == 0 && pos < len)
			n = 1;
		text_append(ln, role, buf + pos, n);
		pos += n;
		while (pos < len && buf[pos] == ' ')
			pos++;
		if (pos >= len)
			break;
		ln = ui_line_new(L);
		ui_pad_to(L, indent);
	}
}

void ui_draw_line(WINDOW *w, int y, int x, int cols, const struct ui_line *ln, attr_t extra)
{
	int col = 0;
	attr_t lattr = (ln ? theme_attr(ln->role) : 0) | extra;
	wmove(w, y, x);
	if (ln) {
		for (int i = 0; i < ln->nseg && col < cols; i++) {
			const struct ui_seg *s = &ln->seg[i];
			int used;
			size_t n = ui_fit(ln->text + s->off, s->len, cols - col, &used);
			attr_t a = ln->role != UI_NORMAL ? lattr : (theme_attr(s->role) | extra);
			/* a search match on the selected (reversed) line: reverse
			 * again would hide it; underline + bold keep it apart */
			if (s->role == UI_SEL && extra && ln->role == UI_NORMAL)
				a = theme_attr(UI_SEL) | A_UNDERLINE | A_BOLD;
			wattrset(w, a);
			waddnstr(w, ln->text + s->off, (int)n);
			col += used;
			if (n < s->len)
				break;
		}
	}
	wattrset(w, lattr);
	for (; col < cols; col++)
		waddch(w, ' ');
	wattrset(w, A_NORMAL);
}

int ui_lines_equal(const struct ui_lines *a, const struct ui_lines *b)
{
	if (a->lines.n != b->lines.n)
		return 0;
	for (size_t i = 0; i < a->lines.n; i++) {
		const struct ui_line *x = &a->lines.v[i], *y = &b->lines.v[i];
		if (x->len != y->len || x->nseg != y->nseg || x->role != y->role ||
		    memcmp(x->text, y->text, x->len))
			return 0;
		for (int k = 0; k < x->nseg; k++)
			if (x->seg[k].role != y->seg[k].role || x->seg[k].off != y->seg[k].off ||
			    x->seg[k].len != y->seg[k].len)
				return 0;
	}
	return 1;
}

int ui_line_matches(const struct ui_line *ln, const char *pat)
{
	if (!pat || !pat[0])
		return 1;
	return strcasestr(ln->text, pat) != NULL;
}

/* Does a code point start at byte o of the safe text s (or does s end there)? */
static int text_boundary(const char *s, size_t o)
{
	return ((unsigned char)s[o] & 0xc0) != 0x80;
}

/* ln's segments cut again so the nm matches at mo (pl bytes each, in
 * order, not overlapping) get role hl; adjacent pieces of one role merge.
 * 0 when that needs more than UI_MAXSEG segments. */
static int text_recut(const struct ui_line *ln, const size_t *mo, int nm, size_t pl, int hl,
		      struct ui_seg *out, int *nout)
{
	int n = 0, m = 0;
	for (int i = 0; i < ln->nseg; i++) {
		size_t off = ln->seg[i].off, end = off + ln->seg[i].len;
		while (off < end) {
			while (m < nm && mo[m] + pl <= off)
				m++;
			int in = m < nm && mo[m] <= off;
			size_t cut = in ? mo[m] + pl : m < nm ? mo[m] : end;
			int role = in ? hl : ln->seg[i].role;
			if (cut > end)
				cut = end;
			if (n && out[n - 1].role == role && out[n - 1].off + out[n - 1].len == off) {
				out[n - 1].len += cut - off;
			} else {
				if (n == UI_MAXSEG)
					return 0;
				out[n++] = (struct ui_seg){ .role = role, .off = off, .len = cut - off };
			}
			off = cut;
		}
	}
	*nout = n;
	return 1;
}

int ui_line_highlight(struct ui_line *ln, const char *pat, int hl)
{
	size_t pl = pat ? strlen(pat) : 0, mo[UI_MAXSEG];
	int nm = 0, nout = 0;
	struct ui_seg out[UI_MAXSEG];
	if (!pl || !ln->text)
		return 0;
	for (const char *p = ln->text; nm < UI_MAXSEG && (p = strcasestr(p, pat));) {
		size_t o = (size_t)(p - ln->text);
		if (text_boundary(ln->text, o) && text_boundary(ln->text, o + pl)) {
			mo[nm++] = o;
			p += pl;
		} else {
			p++;
		}
	}
	while (nm > 0 && !text_recut(ln, mo, nm, pl, hl, out, &nout))
		nm--;                                /* fewer matches until the segments fit */
	if (nm > 0) {
		memcpy(ln->seg, out, (size_t)nout * sizeof *out);
		ln->nseg = nout;
	}
	return nm;
}
