/* Where the plot primitives draw: a curses WINDOW, or an off-screen grid of
 * cells (glyph + style) that tests read back. Coordinates are relative to the
 * canvas; anything outside is clipped. */
#ifndef MINILLM_UI_CANVAS_H
#define MINILLM_UI_CANVAS_H

#include <stdbool.h>
#include <wchar.h>

#include <curses.h>

#include "colors.h"

typedef struct {
    wchar_t ch;
    short style; /* StyleId or STYLE_HEAT_0 + level */
} Cell;

typedef struct {
    WINDOW *win;          /* draw here when not NULL ... */
    Cell *cells;          /* ... else into this (h, w) grid */
    int y0, x0;           /* origin inside win */
    int h, w;
    int stride;           /* off-screen: width of the whole grid */
    const Theme *theme;
} Canvas;

Canvas canvas_for_window(WINDOW *win, const Theme *theme);
/* An off-screen canvas of h x w blank cells (free with canvas_free_offscreen). */
Canvas canvas_offscreen(int h, int w, const Theme *theme);
void canvas_free_offscreen(Canvas *c);
/* A sub-rectangle sharing the same target, clipped to the parent. */
Canvas canvas_sub(const Canvas *c, int y, int x, int h, int w);

void canvas_put(const Canvas *c, int y, int x, wchar_t ch, int style);
/* Text (UTF-8 in a UTF-8 locale, else bytes) clipped to max_w columns (<0: to the
 * edge). A wide glyph (CJK, emoji) takes two columns, as in the terminal; a
 * byte that does not decode in the locale shows as '?'. Returns the columns used. */
int canvas_text(const Canvas *c, int y, int x, int max_w, const char *text, int style);
/* printf-style canvas_text. */
int canvas_printf(const Canvas *c, int y, int x, int max_w, int style, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Bytes of text's first line when wrapped at w columns: up to the last blank
 * that fits, the whole text when it fits; a word longer than w is cut. */
size_t canvas_wrap(const char *text, int w);
/* Text wrapped at blanks into lines of w columns, at most max_lines of them.
 * Returns the lines used. */
int canvas_text_wrapped(const Canvas *c, int y, int x, int w, int max_lines, const char *text,
                        int style);
void canvas_fill(const Canvas *c, int y, int x, int h, int w, wchar_t ch, int style);
/* Off-screen: the cell after a wide glyph (the glyph covers it). */
#define CANVAS_WIDE_TAIL ((wchar_t)0x10FFFF)

/* Display columns of a UTF-8 string (wide glyphs count 2). */
int text_width(const char *text);
/* Off-screen read-back, for tests: glyph / style at (y, x), or 0 / -1 outside. */
wchar_t canvas_glyph_at(const Canvas *c, int y, int x);
int canvas_style_at(const Canvas *c, int y, int x);
/* Row y as a narrow string (non-ASCII glyphs as '?', a wide glyph as one), for tests. */
void canvas_row_text(const Canvas *c, int y, char *out, int out_len);

#endif
