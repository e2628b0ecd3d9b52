/* Pure plot primitives: they draw what they are given into a Canvas and keep
 * no state. Glyphs follow the theme: braille and eighth blocks when UTF-8,
 * ASCII otherwise; heat cells are coloured backgrounds or shade characters. */
#ifndef MINILLM_UI_PLOT_H
#define MINILLM_UI_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "canvas.h"

/* Polyline through (xs[i], ys[i]) scaled from [x_lo, x_hi] x [y_lo, y_hi] to the
 * canvas rectangle (y_hi at the top). Consecutive points are joined; NaN/inf
 * points break the line. Cells with no dot are left untouched, so several
 * series can share the rectangle. xs NULL = indices 0..n-1. */
void plot_line(const Canvas *c, int y, int x, int h, int w, const float *xs, const float *ys,
               int n, float x_lo, float x_hi, float y_lo, float y_hi, int style);

/* plot_line drawn dashed: of every `period` columns the first `on` (period 0:
 * solid). The second cue that tells curves apart without colour; the
 * validation curve uses PLOT_DASH_ON of PLOT_DASH_PERIOD. */
#define PLOT_DASH_ON 2
#define PLOT_DASH_PERIOD 3
void plot_line_dashed(const Canvas *c, int y, int x, int h, int w, const float *xs,
                      const float *ys, int n, float x_lo, float x_hi, float y_lo, float y_hi,
                      int on, int period, int style);
/* The same pattern over `cells` columns as legend text ("\u2500\u2500 " / "-- "). */
void plot_dash_sample(const Theme *t, int on, int period, int cells, char *out, size_t len);

/* A point glyph (plot_point_glyph) on every point of a series, in plot_line's
 * scales, when neighbouring points are PLOT_POINT_GAP columns apart or more
 * (closer, they would only thicken the line). Returns the points marked.
 * At most METRIC_POINTS_MAX points. */
#define PLOT_POINT_GAP 3
#define METRIC_POINTS_MAX 1024
int plot_points(const Canvas *c, int y, int x, int h, int w, const float *xs, const float *ys,
                int n, float x_lo, float x_hi, float y_lo, float y_hi, int style);
wchar_t plot_point_glyph(const Theme *t);

/* One marker glyph ('\u25c6' in UTF-8, '*' otherwise) at the cell where
 * plot_line would put the point (xv, yv) with the same rectangle and scales,
 * so it sits on that curve. Non-finite points draw nothing. */
void plot_marker(const Canvas *c, int y, int x, int h, int w, float xv, float yv, float x_lo,
                 float x_hi, float y_lo, float y_hi, int style);

/* One heat-map cell `w` columns wide for value v in [lo, hi]. A masked cell
 * (padding, causal mask) is drawn with a distinct glyph and style instead. */
void plot_heat_cell(const Canvas *c, int y, int x, int w, float v, float lo, float hi, bool masked);

/* Horizontal bar of `w` columns filled to frac in [0, 1] (eighth blocks in UTF-8). */
void plot_bar(const Canvas *c, int y, int x, int w, float frac, int style_fill, int style_empty);

/* Frame around a rectangle with an optional title in the top edge. */
void plot_box(const Canvas *c, int y, int x, int h, int w, const char *title, int style);

/* Legend of the heat ramp: `w` cells from lo to hi with both values printed. */
void plot_heat_legend(const Canvas *c, int y, int x, int w, float lo, float hi);

#endif
