/* View 3: the positional encoding as a heat map (positions x dimensions), a
 * few dimensions as waves over the positions, and the cosine similarity
 * between positions. A learned PE shows the trained table. The numbers come
 * from the state's PeTable, computed when the table changes. */
#include "lang.h"
#include "plot.h"
#include "views.h"

/* Left: the matrix, one cell per dimension, as many positions and dimensions as
 * fit in w columns and h rows. */
static void draw_matrix(const PeTable *t, const Canvas *c, int h, int w)
{
    int rows = h - 3 < t->P ? h - 3 : t->P, cols = w - 6;
    const char *title = t->learned ? msg(MSG_PE_LEARNED) : msg(MSG_PE_MATRIX);
    canvas_text(c, 0, 0, w, text_width(title) <= w ? title : msg(MSG_PE_MATRIX_SHORT), STYLE_TITLE);
    canvas_printf(c, 1, 0, w, STYLE_DIM, "d=0..%d  pos=0..%d", cols - 1, rows - 1);
    for (int p = 0; p < rows; p++) {
        if (p % 4 == 0)
            canvas_printf(c, 2 + p, 0, 4, STYLE_DIM, "%3d", p);
        for (int d = 0; d < cols; d++)
            plot_heat_cell(c, 2 + p, 5 + d, 1, t->pe[(size_t)p * t->C + d], t->lo, t->hi, false);
    }
    plot_heat_legend(c, 2 + rows, 0, w, t->lo, t->hi);
}

/* Right of x: the cosine similarity between the first positions that fit in h
 * rows, shaded over its own range (near 1 everywhere at the start of the
 * sinusoid: over [-1, 1] the map would be one shade). */
static void draw_cosine(const PeTable *t, const Canvas *c, int x, int h)
{
    const int cell = 2;
    int avail = c->w - x;
    int np = h - 3 < t->P ? h - 3 : t->P;
    if (np * cell + 4 > avail)
        np = (avail - 4) / cell;
    const char *title = msg(MSG_PE_COSINE);
    canvas_text(c, 0, x, avail, text_width(title) <= avail ? title : msg(MSG_PE_COSINE_SHORT),
                STYLE_TITLE);
    if (np <= 1)
        return;
    for (int p = 0; p < np; p++) {
        if (p % 4 == 0)
            canvas_printf(c, 2 + p, x, 4, STYLE_DIM, "%3d", p);
        for (int q = 0; q < np; q++)
            plot_heat_cell(c, 2 + p, x + 4 + q * cell, cell, pe_table_cosine(t, p, q), t->cos_lo,
                           t->cos_hi, false);
    }
    plot_heat_legend(c, 2 + np, x, np * cell + 4 < avail ? np * cell + 4 : avail, t->cos_lo,
                     t->cos_hi);
}

/* Below y: the waves of a few dimensions over the positions, each with its
 * colour and its dash pattern (solid, dashed, dotted, long dashes), both in
 * the legend. */
static void draw_waves(const PeTable *t, const Canvas *c, int y, int h)
{
    static const int styles[PE_WAVES] = {STYLE_CURVE_TRAIN, STYLE_CURVE_VAL, STYLE_CURVE_3,
                                         STYLE_CURVE_4};
    static const int on[PE_WAVES] = {0, 2, 1, 3}, period[PE_WAVES] = {0, 3, 2, 4};
    plot_box(c, y, 0, h, c->w, msg(MSG_PE_WAVES), STYLE_FRAME);
    if (h < 4)
        return;
    for (int i = 0; i < t->num_waves; i++)
        plot_line_dashed(c, y + 1, 1, h - 3, c->w - 2, NULL, t->waves + (size_t)i * t->P, t->P, 0,
                         (float)(t->P - 1), t->lo, t->hi, on[i], period[i], styles[i]);
    char entry[PE_WAVES][64], range[32];
    snprintf(range, sizeof range, "pos 0..%d", t->P - 1);
    for (int pass = 0; pass < 3; pass++) { /* whole; without sin/cos; without the range */
        int total = pass < 2 ? text_width(range) : 0;
        for (int i = 0; i < t->num_waves; i++) {
            char sample[32];
            plot_dash_sample(c->theme, on[i], period[i], 4, sample, sizeof sample);
            snprintf(entry[i], sizeof entry[i], "%s d=%d%s", sample, t->dims[i],
                     t->learned || pass > 0 ? "" : t->dims[i] % 2 ? " (cos)" : " (sin)");
            total += text_width(entry[i]) + 2;
        }
        if (total <= c->w - 3 || pass == 2) {
            int lx = 2;
            for (int i = 0; i < t->num_waves; i++)
                lx += canvas_text(c, y + h - 2, lx, c->w - lx - 1, entry[i], styles[i]) + 2;
            if (pass < 2)
                canvas_text(c, y + h - 2, lx, c->w - lx - 1, range, STYLE_DIM);
            return;
        }
    }
}

void view_pe_draw(const UiState *ui, const Canvas *c)
{
    const PeTable *t = &ui->pe;
    int waves_h = c->h >= 24 ? c->h / 3 : 6;
    int top_h = c->h - waves_h;
    int mat_w = t->C + 6 < c->w / 2 ? t->C + 6 : c->w / 2;
    draw_matrix(t, c, top_h, mat_w);
    draw_cosine(t, c, mat_w + 2, top_h);
    draw_waves(t, c, top_h, waves_h);
}
