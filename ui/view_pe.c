/* View 3: the positional encoding as a heat map (positions x dimensions), a
 * few dimensions as waves over the positions, and the cosine similarity
 * between positions. A learned PE shows the trained table. */
#include <math.h>
#include <stdlib.h>

#include "app.h"
#include "lang.h"
#include "plot.h"

void view_pe_draw(UiState *ui, const Canvas *c)
{
    const Model *m = ui->inf.model;
    const ModelConfig *mc = &m->cfg;
    int P = mc->max_len, C = mc->d_model;
    bool learned = mc->pos_encoding == POS_ENCODING_LEARNED;
    float *pe = malloc((size_t)P * (size_t)C * sizeof(float));
    if (!pe)
        return;
    const float *src = learned ? model_params(m).pos_emb : NULL;
    if (src) {
        for (size_t i = 0; i < (size_t)P * (size_t)C; i++)
            pe[i] = src[i];
    } else {
        positional_encoding_sinusoidal(pe, P, C);
    }
    float lo = pe[0], hi = pe[0];
    for (size_t i = 0; i < (size_t)P * (size_t)C; i++) {
        lo = pe[i] < lo ? pe[i] : lo;
        hi = pe[i] > hi ? pe[i] : hi;
    }
    int waves_h = c->h >= 24 ? c->h / 3 : 6;
    int top_h = c->h - waves_h;
    /* left: the matrix, one cell per dimension, as many positions as fit */
    int mat_w = C + 6 < c->w / 2 ? C + 6 : c->w / 2;
    int rows = top_h - 3, cols = mat_w - 6;
    rows = rows < P ? rows : P;
    canvas_printf(c, 0, 0, mat_w, STYLE_TITLE, "%s", learned ? msg(MSG_PE_LEARNED) : msg(MSG_PE_MATRIX));
    canvas_printf(c, 1, 0, mat_w, STYLE_DIM, "d=0..%d  pos=0..%d", cols - 1, rows - 1);
    for (int p = 0; p < rows; p++) {
        if (p % 4 == 0)
            canvas_printf(c, 2 + p, 0, 4, STYLE_DIM, "%3d", p);
        for (int d = 0; d < cols; d++)
            plot_heat_cell(c, 2 + p, 5 + d, 1, pe[(size_t)p * C + d], lo, hi, false);
    }
    plot_heat_legend(c, 2 + rows, 0, mat_w, lo, hi);
    /* right: cosine similarity between positions */
    int cx = mat_w + 2, cw_avail = c->w - cx;
    int np = top_h - 3;
    np = np < P ? np : P;
    int cell = 2;
    if (np * cell + 4 > cw_avail)
        np = (cw_avail - 4) / cell;
    canvas_text(c, 0, cx, cw_avail, msg(MSG_PE_COSINE), STYLE_TITLE);
    if (np > 1) {
        float *norm = malloc((size_t)np * sizeof(float));
        if (norm) {
            for (int p = 0; p < np; p++) {
                double s = 0;
                for (int d = 0; d < C; d++)
                    s += (double)pe[(size_t)p * C + d] * pe[(size_t)p * C + d];
                norm[p] = (float)sqrt(s);
            }
            for (int p = 0; p < np; p++) {
                if (p % 4 == 0)
                    canvas_printf(c, 2 + p, cx, 4, STYLE_DIM, "%3d", p);
                for (int q = 0; q < np; q++) {
                    double dot = 0;
                    for (int d = 0; d < C; d++)
                        dot += (double)pe[(size_t)p * C + d] * pe[(size_t)q * C + d];
                    float den = norm[p] * norm[q];
                    float cs = den > 0 ? (float)(dot / den) : 0.0f;
                    plot_heat_cell(c, 2 + p, cx + 4 + q * cell, cell, cs, -1.0f, 1.0f, false);
                }
            }
            free(norm);
            plot_heat_legend(c, 2 + np, cx, np * cell + 4 < cw_avail ? np * cell + 4 : cw_avail,
                             -1.0f, 1.0f);
        }
    }
    /* bottom: waves of a few dimensions over the positions */
    int wy = top_h;
    int dims[4] = {0, 1, C / 4 & ~1, C / 2 & ~1};
    int styles[4] = {STYLE_CURVE_TRAIN, STYLE_CURVE_VAL, STYLE_CURVE_3, STYLE_CURVE_4};
    plot_box(c, wy, 0, waves_h, c->w, msg(MSG_PE_WAVES), STYLE_FRAME);
    float *ys = malloc((size_t)P * sizeof(float));
    if (ys && waves_h >= 4) {
        for (int i = 0; i < 4; i++) {
            if (dims[i] >= C)
                continue;
            for (int p = 0; p < P; p++)
                ys[p] = pe[(size_t)p * C + dims[i]];
            plot_line(c, wy + 1, 1, waves_h - 3, c->w - 2, NULL, ys, P, 0, (float)(P - 1), lo, hi,
                      styles[i]);
        }
        int lx = 2;
        for (int i = 0; i < 4; i++)
            if (dims[i] < C)
                lx += canvas_printf(c, wy + waves_h - 2, lx, c->w - lx - 1, styles[i],
                                    "d=%d%s  ", dims[i],
                                    learned ? "" : dims[i] % 2 ? " (cos)" : " (sin)");
        canvas_printf(c, wy + waves_h - 2, lx, c->w - lx - 1, STYLE_DIM, "pos 0..%d", P - 1);
    }
    free(ys);
    free(pe);
}
