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
 * edge). Returns the columns used. */
int canvas_text(const Canvas *c, int y, int x, int max_w, const char *text, int style);
/* printf-style canvas_text. */
int canvas_printf(const Canvas *c, int y, int x, int max_w, int style, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void canvas_fill(const Canvas *c, int y, int x, int h, int w, wchar_t ch, int style);
/* Display columns of a UTF-8 string. */
int text_width(const char *text);
/* Off-screen read-back, for tests: glyph / style at (y, x), or 0 / -1 outside. */
wchar_t canvas_glyph_at(const Canvas *c, int y, int x);
int canvas_style_at(const Canvas *c, int y, int x);
/* Row y as a narrow string (non-ASCII glyphs as '?'), for tests. */
void canvas_row_text(const Canvas *c, int y, char *out, int out_len);

#endif
