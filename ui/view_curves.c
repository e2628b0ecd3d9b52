/* The loss and accuracy boxes: the training curve solid, the validation curve
 * dashed with a point at each pass (told apart without colour too), the best
 * validation step marked, and a legend that names each cue and never cuts a
 * number: pieces that do not fit are shortened, then left out whole. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "plot.h"
#include "views.h"

#define LEGEND_PIECES 4

/* One legend entry: a sample of the curve's glyphs (may be empty), then text,
 * long and short. */
typedef struct {
    char sample[16];
    char text[64], brief[64];
    int style;
} LegendPiece;

static int piece_width(const LegendPiece *p, bool brief)
{
    int w = text_width(brief ? p->brief : p->text);
    return w + (p->sample[0] ? text_width(p->sample) + 1 : 0);
}

/* The legend at a level of brevity: 0 all long; 1 without the last piece (the
 * step range); then one more piece short per level from the first; then the
 * pieces from the end left out. Returns the pieces shown; brief[i] says how. */
static int legend_level(const LegendPiece *p, int n, int level, bool *brief)
{
    int count = level >= 1 ? n - 1 : n;
    for (int i = 0; i < n; i++)
        brief[i] = i < level - 1;
    int dropped = level - 1 - (n - 1);
    return dropped > 0 ? count - dropped : count;
}

static void draw_legend(const Canvas *c, int y, int x, int w, const LegendPiece *p, int n)
{
    bool brief[LEGEND_PIECES];
    int count = 0;
    for (int level = 0; level <= 2 * n; level++) {
        count = legend_level(p, n, level, brief);
        int total = 0;
        for (int i = 0; i < count; i++)
            total += piece_width(&p[i], brief[i]) + (i ? 2 : 0);
        if (total <= w || count <= 0)
            break;
    }
    for (int i = 0; i < count; i++) {
        if (p[i].sample[0])
            x += canvas_text(c, y, x, -1, p[i].sample, p[i].style) + 1;
        x += canvas_text(c, y, x, -1, brief[i] ? p[i].brief : p[i].text, p[i].style) + 2;
    }
}

/* The legend's samples: a solid stretch of line; a dashed one and the point glyph. */
static void curve_samples(const Theme *t, char *solid, char *dashed, size_t len)
{
    plot_dash_sample(t, 0, 0, 3, solid, len);
    plot_dash_sample(t, PLOT_DASH_ON, PLOT_DASH_PERIOD, PLOT_DASH_PERIOD, dashed, len);
    size_t used = strlen(dashed);
    snprintf(dashed + used, len - used, "%s", t->utf8 ? "\u2022" : "o");
}

static int legend_pieces(const Canvas *c, LegendPiece *p, const MetricHistory *train,
                         const MetricHistory *val, long best_step, float best, float x_hi)
{
    int n = 0;
    char solid[16], dashed[16];
    curve_samples(c->theme, solid, dashed, sizeof solid);
    if (train->n > 0) {
        p[n] = (LegendPiece){.style = STYLE_CURVE_TRAIN};
        snprintf(p[n].sample, sizeof p[n].sample, "%s", solid);
        snprintf(p[n].text, sizeof p[n].text, "%s %.3f", msg(MSG_TRAIN),
                 (double)train->value[train->n - 1]);
        snprintf(p[n].brief, sizeof p[n].brief, "%.3f", (double)train->value[train->n - 1]);
        n++;
    }
    if (val->n > 0) {
        p[n] = (LegendPiece){.style = STYLE_CURVE_VAL};
        snprintf(p[n].sample, sizeof p[n].sample, "%s", dashed);
        snprintf(p[n].text, sizeof p[n].text, "%s %.3f", msg(MSG_VAL), (double)val->value[val->n - 1]);
        snprintf(p[n].brief, sizeof p[n].brief, "val %.3f", (double)val->value[val->n - 1]);
        n++;
    }
    if (best_step >= 0) {
        p[n] = (LegendPiece){.style = STYLE_GOOD};
        snprintf(p[n].sample, sizeof p[n].sample, "%s", c->theme->utf8 ? "\u25c6" : "*");
        snprintf(p[n].text, sizeof p[n].text, "%s %.1f%% @ %s %ld", msg(MSG_BEST),
                 (double)best * 100.0, msg(MSG_STEP), best_step);
        snprintf(p[n].brief, sizeof p[n].brief, "%.1f%% @%ld", (double)best * 100.0, best_step);
        n++;
    }
    p[n] = (LegendPiece){.style = STYLE_DIM};
    snprintf(p[n].text, sizeof p[n].text, "%s %.0f", msg(MSG_STEP), (double)x_hi);
    snprintf(p[n].brief, sizeof p[n].brief, "@%.0f", (double)x_hi);
    return n + 1;
}

/* The value range of both curves (losses: from 0 when the floor is near). */
static void curve_range(const MetricHistory *train, const MetricHistory *val, bool fixed01,
                        float *lo, float *hi)
{
    *lo = 0, *hi = 1;
    if (fixed01)
        return;
    float vlo, vhi;
    bool any = metric_history_range(train, lo, hi);
    if (metric_history_range(val, &vlo, &vhi)) {
        *lo = any && *lo < vlo ? *lo : vlo;
        *hi = any && *hi > vhi ? *hi : vhi;
    } else if (!any) {
        *lo = 0, *hi = 1;
    }
    if (*lo > 0 && *lo < 0.5f * *hi)
        *lo = 0;
    if (*hi - *lo < 1e-6f)
        *hi = *lo + 1e-3f;
}

/* A copy of h with log10 of every value (a value <= 0 becomes NaN: no point). */
static void log_copy(const MetricHistory *h, MetricHistory *out)
{
    *out = *h;
    for (int i = 0; i < h->n; i++)
        out->value[i] = h->value[i] > 0.0f ? log10f(h->value[i]) : NAN;
}

/* A round step between ticks of [0, hi] so that labels are at least `gap`
 * columns apart in w columns: 1, 2 or 5 times a power of ten. */
static double tick_step(double hi, int w, int gap)
{
    double raw = hi * gap / (w > 1 ? w : 1), p = pow(10.0, floor(log10(raw > 0 ? raw : 1)));
    return raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
}

void draw_x_ticks(const Canvas *c, int y, int x, int w, float x_hi, const char *unit)
{
    if (!unit)
        unit = msg(MSG_STEP);
    const int uw = text_width(unit);
    if (w < 12 || !(x_hi > 0))
        return;
    const double step = tick_step(x_hi, w, 10);
    int free_from = x; /* labels never overlap */
    for (double v = 0; v <= x_hi + 1e-9; v += step) {
        char label[16];
        if (v >= 1e6)
            snprintf(label, sizeof label, "%gM", v / 1e6);
        else if (v >= 1e4)
            snprintf(label, sizeof label, "%gk", v / 1e3);
        else
            snprintf(label, sizeof label, "%g", v);
        int col = x + (int)lround(v / x_hi * (w - 1)), lw = text_width(label);
        int at = col - lw / 2 < x ? x : col - lw / 2;
        if (at < free_from || at + lw > x + w)
            continue;
        canvas_text(c, y, at, lw, label, STYLE_DIM);
        free_from = at + lw + 1;
    }
    if (free_from + uw + 1 <= x + w)
        canvas_text(c, y, x + w - uw - 1, uw, unit, STYLE_DIM);
}

/* "0.0123" for a value of the axis, its log10 shown as the number it stands for. */
static void axis_label(char *out, size_t len, float v, bool log_y)
{
    snprintf(out, len, "%.3g", log_y ? pow(10.0, (double)v) : (double)v);
}

void draw_curves(const Canvas *c, int y, int x, int h, int w, const char *title,
                 const MetricHistory *train, const MetricHistory *val, bool fixed01,
                 long best_step, float best, bool log_y)
{
    plot_box(c, y, x, h, w, title, STYLE_FRAME);
    if (h < 4 || w < 14)
        return;
    static MetricHistory log_train, log_val; /* large: not on the stack */
    if (log_y) {
        log_copy(train, &log_train);
        log_copy(val, &log_val);
    }
    const MetricHistory *pt = log_y ? &log_train : train, *pv = log_y ? &log_val : val;
    float lo, hi;
    curve_range(pt, pv, fixed01 || log_y, &lo, &hi); /* log: [0, 1] = 1 .. 10 until data */
    if (log_y && metric_history_range(pt, &lo, &hi)) { /* no floor at 0 on a log scale */
        float vlo, vhi;
        if (metric_history_range(pv, &vlo, &vhi))
            lo = fminf(lo, vlo), hi = fmaxf(hi, vhi);
        if (hi - lo < 1e-3f)
            hi = lo + 1e-3f;
    }
    float x_hi = 1;
    if (train->n > 0)
        x_hi = train->step[train->n - 1];
    if (val->n > 0 && val->step[val->n - 1] > x_hi)
        x_hi = val->step[val->n - 1];
    char top[16], bottom[16];
    axis_label(top, sizeof top, hi, log_y);
    axis_label(bottom, sizeof bottom, lo, log_y);
    int lw = (int)(strlen(top) > strlen(bottom) ? strlen(top) : strlen(bottom));
    int px = x + 1 + lw + 1, pw = w - 2 - lw - 1, py = y + 1, ph = h - 3;
    canvas_text(c, py, x + 1, lw, top, STYLE_DIM);
    canvas_text(c, py + ph - 1, x + 1, lw, bottom, STYLE_DIM);
    plot_line(c, py, px, ph, pw, pt->step, pt->value, pt->n, 0, x_hi, lo, hi, STYLE_CURVE_TRAIN);
    if (pv->n > 0) {
        plot_line_dashed(c, py, px, ph, pw, pv->step, pv->value, pv->n, 0, x_hi, lo, hi,
                         PLOT_DASH_ON, PLOT_DASH_PERIOD, STYLE_CURVE_VAL);
        plot_points(c, py, px, ph, pw, pv->step, pv->value, pv->n, 0, x_hi, lo, hi,
                    STYLE_CURVE_VAL);
    }
    if (best_step >= 0) /* drawn last: stays visible over both curves */
        plot_marker(c, py, px, ph, pw, (float)best_step, best, 0, x_hi, lo, hi, STYLE_GOOD);
    draw_x_ticks(c, y + h - 1, px, pw, x_hi, NULL);
    LegendPiece pieces[LEGEND_PIECES];
    int n = legend_pieces(c, pieces, train, val, best_step, best, x_hi);
    draw_legend(c, y + h - 2, x + 2, w - 3, pieces, n);
}
