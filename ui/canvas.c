/* Canvas: see canvas.h. */
#include "canvas.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Canvas canvas_for_window(WINDOW *win, const Theme *theme)
{
    Canvas c = {0};
    c.win = win;
    c.theme = theme;
    getmaxyx(win, c.h, c.w);
    return c;
}

Canvas canvas_offscreen(int h, int w, const Theme *theme)
{
    Canvas c = {0};
    c.theme = theme;
    if (h <= 0 || w <= 0)
        return c;
    c.cells = calloc((size_t)h * (size_t)w, sizeof(Cell));
    if (!c.cells)
        return c;
    c.h = h;
    c.w = w;
    c.stride = w;
    for (int i = 0; i < h * w; i++)
        c.cells[i] = (Cell){L' ', STYLE_NORMAL};
    return c;
}

void canvas_free_offscreen(Canvas *c)
{
    free(c->cells);
    c->cells = NULL;
    c->h = c->w = c->stride = 0;
}

Canvas canvas_sub(const Canvas *c, int y, int x, int h, int w)
{
    Canvas s = *c;
    if (y < 0) { h += y; y = 0; }
    if (x < 0) { w += x; x = 0; }
    if (y + h > c->h) h = c->h - y;
    if (x + w > c->w) w = c->w - x;
    s.y0 = c->y0 + y;
    s.x0 = c->x0 + x;
    s.h = h > 0 ? h : 0;
    s.w = w > 0 ? w : 0;
    return s;
}

void canvas_put(const Canvas *c, int y, int x, wchar_t ch, int style)
{
    if (y < 0 || x < 0 || y >= c->h || x >= c->w)
        return;
    if (style < 0 || style >= STYLE_TOTAL)
        style = STYLE_NORMAL;
    if (c->win) {
        wchar_t s[2] = {ch, 0};
        cchar_t cc;
        setcchar(&cc, s, c->theme->attr[style], c->theme->pair[style], NULL);
        mvwadd_wch(c->win, c->y0 + y, c->x0 + x, &cc);
    } else if (c->cells) {
        c->cells[(size_t)(c->y0 + y) * (size_t)c->stride + (size_t)(c->x0 + x)] =
            (Cell){ch, (short)style};
    }
}

/* Decodes one character of text; returns bytes used (>= 1). Bytes that do not
 * decode in the current locale show as '?'. */
static int next_char(const char *text, wchar_t *out)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t n = mbrtowc(out, text, MB_CUR_MAX, &st);
    if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
        *out = L'?';
        return 1;
    }
    return (int)n;
}

/* Columns of a glyph: 0 (combining), 1, or 2 (wide); unknown widths count 1. */
static int glyph_width(wchar_t ch)
{
    int w = wcwidth(ch);
    return w < 0 ? 1 : w > 2 ? 2 : w;
}

/* The second cell of a wide glyph: the terminal draws the glyph over both
 * cells; off-screen, the cell holds CANVAS_WIDE_TAIL. */
static void put_wide_tail(const Canvas *c, int y, int x, int style)
{
    if (!c->win)
        canvas_put(c, y, x, CANVAS_WIDE_TAIL, style);
}

int canvas_text(const Canvas *c, int y, int x, int max_w, const char *text, int style)
{
    if (max_w < 0 || max_w > c->w - x)
        max_w = c->w - x;
    int used = 0;
    while (*text) {
        wchar_t ch;
        text += next_char(text, &ch);
        int gw = glyph_width(ch);
        if (gw == 0)
            continue; /* combining marks: dropped, cells stay aligned */
        if (used + gw > max_w)
            break;
        if (ch < 32)
            ch = L' ';
        canvas_put(c, y, x + used, ch, style);
        if (gw == 2) /* CJK, emoji: two cells, as the terminal draws them */
            put_wide_tail(c, y, x + used + 1, style);
        used += gw;
    }
    return used;
}

size_t canvas_wrap(const char *text, int w)
{
    size_t len = 0, cut = 0;
    int used = 0;
    while (text[len]) {
        wchar_t ch;
        int n = next_char(text + len, &ch);
        int gw = glyph_width(ch);
        if (used + gw > w)
            break;
        used += gw;
        len += (size_t)n;
        if (text[len] == ' ' || !text[len])
            cut = len;
    }
    if (!text[len])
        return len;
    if (cut == 0) /* one word longer than the line: cut it (at least one character) */
        return len > 0 ? len : (size_t)next_char(text, &(wchar_t){0});
    return cut;
}

int canvas_text_wrapped(const Canvas *c, int y, int x, int w, int max_lines, const char *text,
                        int style)
{
    int lines = 0;
    char line[1024];
    while (*text && lines < max_lines) {
        size_t n = canvas_wrap(text, w);
        size_t copy = n < sizeof line ? n : sizeof line - 1;
        memcpy(line, text, copy);
        line[copy] = '\0';
        canvas_text(c, y + lines++, x, w, line, style);
        text += n;
        while (*text == ' ')
            text++;
    }
    return lines;
}

int canvas_printf(const Canvas *c, int y, int x, int max_w, int style, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return canvas_text(c, y, x, max_w, buf, style);
}

void canvas_fill(const Canvas *c, int y, int x, int h, int w, wchar_t ch, int style)
{
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            canvas_put(c, y + i, x + j, ch, style);
}

int text_width(const char *text)
{
    int used = 0;
    while (*text) {
        wchar_t ch;
        text += next_char(text, &ch);
        used += glyph_width(ch);
    }
    return used;
}

wchar_t canvas_glyph_at(const Canvas *c, int y, int x)
{
    if (!c->cells || y < 0 || x < 0 || y >= c->h || x >= c->w)
        return 0;
    return c->cells[(size_t)(c->y0 + y) * (size_t)c->stride + (size_t)(c->x0 + x)].ch;
}

int canvas_style_at(const Canvas *c, int y, int x)
{
    if (!c->cells || y < 0 || x < 0 || y >= c->h || x >= c->w)
        return -1;
    return c->cells[(size_t)(c->y0 + y) * (size_t)c->stride + (size_t)(c->x0 + x)].style;
}

void canvas_row_text(const Canvas *c, int y, char *out, int out_len)
{
    int n = 0;
    for (int x = 0; x < c->w && n + 1 < out_len; x++) {
        wchar_t ch = canvas_glyph_at(c, y, x);
        if (ch == CANVAS_WIDE_TAIL)
            continue;
        out[n++] = ch > 0 && ch < 128 ? (char)ch : '?';
    }
    if (out_len > 0)
        out[n] = '\0';
}
