/* Plot primitives: see plot.h. */
#include "plot.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Sub-cell resolution of line plots: braille has 2x4 dots per cell; ASCII
 * uses 3 heights per cell ('.', '-', '\''). */
enum { BRAILLE_SX = 2, BRAILLE_SY = 4, ASCII_SX = 1, ASCII_SY = 3 };

/* Braille dot bit for column dx (0..1), row dy (0..3 from the top). */
static const uint8_t braille_bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

static void set_dot(uint8_t *dots, int w, int sx, int sy, int px, int py)
{
    int cx = px / sx, cy = py / sy;
    if (sx == BRAILLE_SX)
        dots[cy * w + cx] |= braille_bit[py % sy][px % sx];
    else
        dots[cy * w + cx] |= (uint8_t)(1u << (py % sy));
}

static void draw_segment(uint8_t *dots, int w, int sx, int sy, int x0, int y0, int x1, int y1)
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0);
    int stx = x0 < x1 ? 1 : -1, sty = y0 < y1 ? 1 : -1;
    int e = dx + dy;
    for (;;) {
        set_dot(dots, w, sx, sy, x0, y0);
        if (x0 == x1 && y0 == y1)
            break;
        int e2 = 2 * e;
        if (e2 >= dy) { e += dy; x0 += stx; }
        if (e2 <= dx) { e += dx; y0 += sty; }
    }
}

static wchar_t ascii_line_glyph(uint8_t bits)
{
    switch (bits) {
    case 1: return L'\'';  /* top third */
    case 2: return L'-';
    case 4: return L'.';
    default: return L'|';  /* several heights: a steep part */
    }
}

static void widen_empty_range(float *lo, float *hi)
{
    if (!(*hi > *lo)) {
        *lo -= 0.5f;
        *hi = *lo + 1.0f;
    }
}

/* Point (xv, yv) to a dot of a pw x ph grid (y_hi on row 0), clamped inside. */
static void to_dot(float xv, float yv, float x_lo, float x_hi, float y_lo, float y_hi, int pw,
                   int ph, int *px, int *py)
{
    float fx = (xv - x_lo) / (x_hi - x_lo), fy = (yv - y_lo) / (y_hi - y_lo);
    fx = fx < 0 ? 0 : fx > 1 ? 1 : fx;
    fy = fy < 0 ? 0 : fy > 1 ? 1 : fy;
    *px = (int)lroundf(fx * (float)(pw - 1));
    *py = (int)lroundf((1.0f - fy) * (float)(ph - 1));
}

/* The dots of a plot of up to this many cells live on the stack (a 400 x 80 plot):
 * drawing allocates nothing per frame; only a larger one allocates. */
#define PLOT_STACK_CELLS 32768

/* plot_line and plot_line_dashed: of every `period` columns the first `on` are
 * drawn (period 0: all). */
static void plot_series(const Canvas *c, int y, int x, int h, int w, const float *xs,
                        const float *ys, int n, float x_lo, float x_hi, float y_lo, float y_hi,
                        int style, int on, int period)
{
    if (h <= 0 || w <= 0 || n <= 0)
        return;
    bool braille = c->theme->utf8;
    int sx = braille ? BRAILLE_SX : ASCII_SX, sy = braille ? BRAILLE_SY : ASCII_SY;
    int pw = w * sx, ph = h * sy;
    uint8_t stack_dots[PLOT_STACK_CELLS];
    size_t cells = (size_t)h * (size_t)w;
    uint8_t *dots = cells <= PLOT_STACK_CELLS ? stack_dots : malloc(cells);
    if (!dots)
        return;
    memset(dots, 0, cells);
    widen_empty_range(&x_lo, &x_hi);
    widen_empty_range(&y_lo, &y_hi);
    bool have_prev = false;
    int prev_x = 0, prev_y = 0;
    for (int i = 0; i < n; i++) {
        float xv = xs ? xs[i] : (float)i, yv = ys[i];
        if (!isfinite(xv) || !isfinite(yv)) {
            have_prev = false;
            continue;
        }
        int px, py;
        to_dot(xv, yv, x_lo, x_hi, y_lo, y_hi, pw, ph, &px, &py);
        if (have_prev)
            draw_segment(dots, w, sx, sy, prev_x, prev_y, px, py);
        else
            set_dot(dots, w, sx, sy, px, py);
        prev_x = px;
        prev_y = py;
        have_prev = true;
    }
    for (int r = 0; r < h; r++)
        for (int col = 0; col < w; col++) {
            uint8_t b = dots[r * w + col];
            if (!b || (period > 0 && col % period >= on))
                continue;
            wchar_t g = braille ? (wchar_t)(0x2800 + b) : ascii_line_glyph(b);
            canvas_put(c, y + r, x + col, g, style);
        }
    if (dots != stack_dots)
        free(dots);
}

void plot_line(const Canvas *c, int y, int x, int h, int w, const float *xs, const float *ys,
               int n, float x_lo, float x_hi, float y_lo, float y_hi, int style)
{
    plot_series(c, y, x, h, w, xs, ys, n, x_lo, x_hi, y_lo, y_hi, style, 0, 0);
}

void plot_line_dashed(const Canvas *c, int y, int x, int h, int w, const float *xs,
                      const float *ys, int n, float x_lo, float x_hi, float y_lo, float y_hi,
                      int on, int period, int style)
{
    plot_series(c, y, x, h, w, xs, ys, n, x_lo, x_hi, y_lo, y_hi, style, on, period);
}

void plot_dash_sample(const Theme *t, int on, int period, int cells, char *out, size_t len)
{
    const char *ink = t->utf8 ? "\u2500" : "-";
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < cells; i++) {
        const char *g = period > 0 && i % period >= on ? " " : ink;
        size_t gl = strlen(g);
        if (used + gl + 1 > len)
            break;
        memcpy(out + used, g, gl + 1);
        used += gl;
    }
}

/* The cell of (xv, yv) in plot_line's scales; false for a non-finite point. */
static bool point_cell(const Canvas *c, int h, int w, float xv, float yv, float x_lo, float x_hi,
                       float y_lo, float y_hi, int *row, int *col)
{
    if (h <= 0 || w <= 0 || !isfinite(xv) || !isfinite(yv))
        return false;
    bool braille = c->theme->utf8;
    int sx = braille ? BRAILLE_SX : ASCII_SX, sy = braille ? BRAILLE_SY : ASCII_SY;
    widen_empty_range(&x_lo, &x_hi);
    widen_empty_range(&y_lo, &y_hi);
    int px, py;
    to_dot(xv, yv, x_lo, x_hi, y_lo, y_hi, w * sx, h * sy, &px, &py);
    *row = py / sy;
    *col = px / sx;
    return true;
}

void plot_marker(const Canvas *c, int y, int x, int h, int w, float xv, float yv, float x_lo,
                 float x_hi, float y_lo, float y_hi, int style)
{
    int row, col;
    if (point_cell(c, h, w, xv, yv, x_lo, x_hi, y_lo, y_hi, &row, &col))
        canvas_put(c, y + row, x + col, c->theme->utf8 ? L'\x25c6' : L'*', style); /* black diamond */
}

int plot_points(const Canvas *c, int y, int x, int h, int w, const float *xs, const float *ys,
                int n, float x_lo, float x_hi, float y_lo, float y_hi, int style)
{
    int cols[METRIC_POINTS_MAX], rows[METRIC_POINTS_MAX], m = 0;
    for (int i = 0; i < n && m < METRIC_POINTS_MAX; i++)
        if (point_cell(c, h, w, xs ? xs[i] : (float)i, ys[i], x_lo, x_hi, y_lo, y_hi, &rows[m],
                       &cols[m]))
            m++;
    for (int i = 1; i < m; i++)
        if (cols[i] - cols[i - 1] < PLOT_POINT_GAP)
            return 0; /* too close: they would only thicken the line */
    for (int i = 0; i < m; i++)
        canvas_put(c, y + rows[i], x + cols[i], plot_point_glyph(c->theme), style);
    return m;
}

wchar_t plot_point_glyph(const Theme *t) { return t->utf8 ? L'\x2022' : L'o'; } /* bullet */

void plot_heat_cell(const Canvas *c, int y, int x, int w, float v, float lo, float hi, bool masked)
{
    if (masked) {
        wchar_t g = c->theme->utf8 ? L'\x00b7' : L'x'; /* middle dot */
        for (int i = 0; i < w; i++)
            canvas_put(c, y, x + i, i == w / 2 ? g : L' ', STYLE_MASKED);
        return;
    }
    int level = heat_level(v, lo, hi);
    wchar_t g = heat_glyph(c->theme, level);
    for (int i = 0; i < w; i++)
        canvas_put(c, y, x + i, g, STYLE_HEAT_0 + level);
}

void plot_bar(const Canvas *c, int y, int x, int w, float frac, int style_fill, int style_empty)
{
    if (w <= 0)
        return;
    if (!(frac >= 0.0f))
        frac = 0.0f;
    if (frac > 1.0f)
        frac = 1.0f;
    bool utf8 = c->theme->utf8;
    int eighths = (int)lroundf(frac * (float)(w * 8));
    int full = eighths / 8, part = eighths % 8;
    for (int i = 0; i < w; i++) {
        if (i < full) {
            canvas_put(c, y, x + i, utf8 ? L'\x2588' : L'#', style_fill);
        } else if (i == full && part > 0 && utf8) {
            canvas_put(c, y, x + i, (wchar_t)(0x2590 - part), style_fill); /* left 1/8..7/8 */
        } else {
            canvas_put(c, y, x + i, utf8 ? L'\x2591' : L'.', style_empty);
        }
    }
}

void plot_box(const Canvas *c, int y, int x, int h, int w, const char *title, int style)
{
    if (h < 2 || w < 2)
        return;
    bool u = c->theme->utf8;
    wchar_t hz = u ? L'\x2500' : L'-', vt = u ? L'\x2502' : L'|';
    wchar_t tl = u ? L'\x250c' : L'+', tr = u ? L'\x2510' : L'+';
    wchar_t bl = u ? L'\x2514' : L'+', br = u ? L'\x2518' : L'+';
    for (int i = 1; i < w - 1; i++) {
        canvas_put(c, y, x + i, hz, style);
        canvas_put(c, y + h - 1, x + i, hz, style);
    }
    for (int j = 1; j < h - 1; j++) {
        canvas_put(c, y + j, x, vt, style);
        canvas_put(c, y + j, x + w - 1, vt, style);
    }
    canvas_put(c, y, x, tl, style);
    canvas_put(c, y, x + w - 1, tr, style);
    canvas_put(c, y + h - 1, x, bl, style);
    canvas_put(c, y + h - 1, x + w - 1, br, style);
    if (title && *title && w > 6) {
        canvas_put(c, y, x + 2, L' ', style);
        int used = canvas_text(c, y, x + 3, w - 6, title, STYLE_TITLE);
        canvas_put(c, y, x + 3 + used, L' ', style);
    }
}

void plot_heat_legend(const Canvas *c, int y, int x, int w, float lo, float hi)
{
    char buf[32];
    int lw = canvas_printf(c, y, x, w, STYLE_LABEL, "%.2g ", (double)lo);
    snprintf(buf, sizeof buf, " %.2g", (double)hi);
    int rw = (int)strlen(buf);
    int cells = w - lw - rw;
    if (cells < 2)
        return;
    for (int i = 0; i < cells; i++) {
        float v = lo + (hi - lo) * ((float)i + 0.5f) / (float)cells;
        plot_heat_cell(c, y, x + lw + i, 1, v, lo, hi, false);
    }
    canvas_text(c, y, x + lw + cells, rw, buf, STYLE_LABEL);
}
