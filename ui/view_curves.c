/* The loss and accuracy boxes: the training curve solid, the validation curve
 * dashed with a point at each pass (told apart without colour too), the best
 * validation step marked, and a legend that names each cue and never cuts a
 * number: pieces that do not fit are shortened, then left out whole. */
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

void draw_curves(const Canvas *c, int y, int x, int h, int w, const char *title,
                 const MetricHistory *train, const MetricHistory *val, bool fixed01,
                 long best_step, float best)
{
    plot_box(c, y, x, h, w, title, STYLE_FRAME);
    if (h < 4 || w < 14)
        return;
    float lo, hi;
    curve_range(train, val, fixed01, &lo, &hi);
    float x_hi = 1;
    if (train->n > 0)
        x_hi = train->step[train->n - 1];
    if (val->n > 0 && val->step[val->n - 1] > x_hi)
        x_hi = val->step[val->n - 1];
    char top[16], bottom[16];
    snprintf(top, sizeof top, "%.3g", (double)hi);
    snprintf(bottom, sizeof bottom, "%.3g", (double)lo);
    int lw = (int)(strlen(top) > strlen(bottom) ? strlen(top) : strlen(bottom));
    int px = x + 1 + lw + 1, pw = w - 2 - lw - 1, py = y + 1, ph = h - 3;
    canvas_text(c, py, x + 1, lw, top, STYLE_DIM);
    canvas_text(c, py + ph - 1, x + 1, lw, bottom, STYLE_DIM);
    plot_line(c, py, px, ph, pw, train->step, train->value, train->n, 0, x_hi, lo, hi,
              STYLE_CURVE_TRAIN);
    if (val->n > 0) {
        plot_line_dashed(c, py, px, ph, pw, val->step, val->value, val->n, 0, x_hi, lo, hi,
                         PLOT_DASH_ON, PLOT_DASH_PERIOD, STYLE_CURVE_VAL);
        plot_points(c, py, px, ph, pw, val->step, val->value, val->n, 0, x_hi, lo, hi,
                    STYLE_CURVE_VAL);
    }
    if (best_step >= 0) /* drawn last: stays visible over both curves */
        plot_marker(c, py, px, ph, pw, (float)best_step, best, 0, x_hi, lo, hi, STYLE_GOOD);
    LegendPiece pieces[LEGEND_PIECES];
    int n = legend_pieces(c, pieces, train, val, best_step, best, x_hi);
    draw_legend(c, y + h - 2, x + 2, w - 3, pieces, n);
}
