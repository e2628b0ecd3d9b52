/* View 3 (notebook 3): the positional encoding. A cursor over (position,
 * dimension) with PE(pos, i) and its formula filled in and the dimension's
 * wavelength; the matrix, scrolling with the cursor over every position and
 * dimension; the waves of the dimensions chosen with w; the cosine similarity
 * as a function of the offset between positions (from position 0 and from
 * the cursor's: one curve, it depends on the offset only) beside the matrix of
 * it; the typed sentence's token embeddings next to embedding + PE. Panels
 * that do not fit go to further pages (v / V). A learned PE shows the trained
 * table (no formula). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "pages.h"
#include "plot.h"
#include "views.h"

enum { PE_PANEL_MATRIX, PE_PANEL_WAVES, PE_PANEL_COSINE, PE_PANEL_SENTENCE, PE_PANELS };

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static PageLayout pe_layout(const UiState *ui, int h)
{
    int tokens = ui->inf.n_tokens > 0 ? ui->inf.n_tokens : 1;
    const PanelSize sizes[PE_PANELS] = {
        [PE_PANEL_MATRIX] = {11, 3},
        [PE_PANEL_WAVES] = {7, 2},
        [PE_PANEL_COSINE] = {9, 2},
        [PE_PANEL_SENTENCE] = {(tokens < 4 ? tokens : 4) + 3, 1},
    };
    return pages_layout(sizes, PE_PANELS, h);
}

int view_pe_pages(const UiState *ui, int h, int w)
{
    (void)w;
    return pe_layout(ui, h).count;
}

/* The angle pos / 10000^(2i/C) of dimension d (2i = d rounded down to even). */
static double pe_angle(int pos, int d, int C, double *denominator)
{
    *denominator = pow(10000.0, (double)(d & ~1) / C);
    return pos / *denominator;
}

/* The cursor's value with the formula filled in, and the dimension's wavelength. */
static void draw_formula(const UiState *ui, const Canvas *c, int y)
{
    const PeTable *t = &ui->pe;
    const int p = ui->pe_pos, d = ui->pe_dim;
    const float v = t->pe[(size_t)p * t->C + d];
    if (t->learned) {
        canvas_printf(c, y, 0, -1, STYLE_LABEL, msg(MSG_PE_LEARNED_VALUE), p, d, (double)v);
        return;
    }
    double den, angle = pe_angle(p, d, t->C, &den);
    const char *f = d % 2 ? "cos" : "sin";
    char line[256];
    snprintf(line, sizeof line, "PE(pos %d, dim %d = 2i%s) = %s(%d / 10000^(%d/%d)) = %s(%d / %.4g) = "
             "%s(%.4f) = %.4f", p, d, d % 2 ? "+1" : "", f, p, d & ~1, t->C, f, p, den, f, angle,
             (double)v);
    if (text_width(line) > c->w) /* the value whole, the steps between shortened */
        snprintf(line, sizeof line, "PE(%d, %d) = %s(%d / 10000^(%d/%d)) = %s(%.4f) = %.4f", p, d, f,
                 p, d & ~1, t->C, f, angle, (double)v);
    canvas_text(c, y, 0, -1, line, STYLE_LABEL);
    canvas_printf(c, y + 1, 0, -1, STYLE_DIM, msg(MSG_PE_WAVELENGTH), d, d & ~1, t->C,
                  2.0 * M_PI * den);
}

/* Rows of positions, a column per dimension, the window around the cursor. */
static void draw_matrix(const UiState *ui, const Canvas *c, int y, int h)
{
    const PeTable *t = &ui->pe;
    const int lw = 5, cw = (c->w - lw) / t->C >= 2 ? 2 : 1;
    const int cols = clamp((c->w - lw) / cw, 1, t->C), rows = clamp(h - 2, 1, t->P);
    const int d0 = clamp(ui->pe_dim - cols / 2, 0, t->C - cols);
    const int p0 = clamp(ui->pe_pos - rows / 2, 0, t->P - rows);
    for (int d = d0; d < d0 + cols; d++)
        if (d % 8 == 0 || d == ui->pe_dim)
            canvas_printf(c, y, lw + (d - d0) * cw, d == ui->pe_dim ? 4 : 8,
                          d == ui->pe_dim ? STYLE_CURSOR : STYLE_DIM, "%d", d);
    for (int p = p0; p < p0 + rows; p++) {
        int row = y + 1 + p - p0;
        if (p % 4 == 0 || p == ui->pe_pos)
            canvas_printf(c, row, 0, 4, p == ui->pe_pos ? STYLE_CURSOR : STYLE_DIM, "%3d", p);
        for (int d = d0; d < d0 + cols; d++) {
            int x = lw + (d - d0) * cw;
            plot_heat_cell(c, row, x, cw, t->pe[(size_t)p * t->C + d], t->lo, t->hi, false);
            if (p == ui->pe_pos && d == ui->pe_dim)
                canvas_put(c, row, x, cw > 1 ? L'[' : L'#', STYLE_CURSOR);
        }
    }
    char range[96];
    snprintf(range, sizeof range, msg(MSG_PE_SHOWN), p0, p0 + rows - 1, t->P, d0, d0 + cols - 1, t->C);
    int used = canvas_text(c, y + 1 + rows, 0, -1, range, STYLE_DIM);
    plot_heat_legend(c, y + 1 + rows, used + 2, c->w - used - 2 < 30 ? c->w - used - 2 : 30, t->lo,
                     t->hi);
}

static void draw_matrix_panel(const UiState *ui, const Canvas *c)
{
    const PeTable *t = &ui->pe;
    const char *title = t->learned ? msg(MSG_PE_LEARNED) : msg(MSG_PE_MATRIX);
    canvas_text(c, 0, 0, -1, text_width(title) <= c->w ? title : msg(MSG_PE_MATRIX_SHORT),
                STYLE_TITLE);
    draw_formula(ui, c, 1);
    draw_matrix(ui, c, 3, c->h - 3);
}

/* The waves of the chosen dimensions, each with its colour and its dash
 * pattern (solid, dashed, dotted, long dashes) and its wavelength, both in
 * the legend. */
static void draw_waves(const UiState *ui, const Canvas *c)
{
    static const int styles[PE_WAVES] = {STYLE_CURVE_TRAIN, STYLE_CURVE_VAL, STYLE_CURVE_3,
                                         STYLE_CURVE_4};
    static const int on[PE_WAVES] = {0, 2, 1, 3}, period[PE_WAVES] = {0, 3, 2, 4};
    const PeTable *t = &ui->pe;
    plot_box(c, 0, 0, c->h, c->w, msg(MSG_PE_WAVES), STYLE_FRAME);
    if (c->h < 4)
        return;
    for (int i = 0; i < ui->num_waves; i++)
        plot_line_dashed(c, 1, 1, c->h - 3, c->w - 2, NULL, pe_table_wave(t, ui->waves[i]), t->P, 0,
                         (float)(t->P - 1), t->lo, t->hi, on[i], period[i], styles[i]);
    char entry[PE_WAVES][64], range[32];
    snprintf(range, sizeof range, "pos 0..%d", t->P - 1);
    for (int pass = 0; pass < 3; pass++) { /* whole; without the wavelength; without the range */
        int total = pass < 2 ? text_width(range) : 0;
        for (int i = 0; i < ui->num_waves; i++) {
            char sample[32], what[32] = "";
            int d = ui->waves[i];
            plot_dash_sample(c->theme, on[i], period[i], 4, sample, sizeof sample);
            if (!t->learned && pass == 0)
                snprintf(what, sizeof what, " (%s, %.3g)", d % 2 ? "cos" : "sin",
                         2.0 * M_PI * pow(10000.0, (double)(d & ~1) / t->C));
            snprintf(entry[i], sizeof entry[i], "%s d=%d%s", sample, d, what);
            total += text_width(entry[i]) + 2;
        }
        if (total <= c->w - 3 || pass == 2) {
            int lx = 2;
            for (int i = 0; i < ui->num_waves; i++)
                lx += canvas_text(c, c->h - 2, lx, c->w - lx - 1, entry[i], styles[i]) + 2;
            if (pass < 2)
                canvas_text(c, c->h - 2, lx, c->w - lx - 1, range, STYLE_DIM);
            return;
        }
    }
}

/* cos(PE_p, PE_p+offset) against the offset, from position 0 (solid) and
 * from the cursor's position (dashed), and the largest gap between them. */
static void draw_cosine_offsets(const UiState *ui, const Canvas *c, int w)
{
    const PeTable *t = &ui->pe;
    float from0[PE_COSINE_RANGE_POSITIONS], fromp[PE_COSINE_RANGE_POSITIONS];
    const int p = ui->pe_pos;
    int n = t->P < PE_COSINE_RANGE_POSITIONS ? t->P : PE_COSINE_RANGE_POSITIONS;
    int np = clamp(t->P - p, 1, n);
    double gap = 0;
    for (int k = 0; k < n; k++) {
        from0[k] = pe_table_cosine(t, 0, k);
        fromp[k] = k < np ? pe_table_cosine(t, p, p + k) : NAN;
        if (k < np)
            gap = fmax(gap, fabs((double)from0[k] - fromp[k]));
    }
    char title[128], top[16] = "1", bottom[16];
    snprintf(title, sizeof title, msg(MSG_PE_COS_OFFSET), p);
    plot_box(c, 0, 0, c->h, w, title, STYLE_FRAME);
    if (c->h < 5 || w < 16)
        return;
    snprintf(bottom, sizeof bottom, "%.2f", (double)t->cos_lo);
    int lw = (int)strlen(bottom), px = 1 + lw + 1, pw = w - 2 - lw - 1, ph = c->h - 3;
    canvas_text(c, 1, 1, lw, top, STYLE_DIM);
    canvas_text(c, ph, 1, lw, bottom, STYLE_DIM);
    plot_line(c, 1, px, ph, pw, NULL, from0, n, 0, (float)(n - 1), t->cos_lo, 1.0f,
              STYLE_CURVE_TRAIN);
    plot_line_dashed(c, 1, px, ph, pw, NULL, fromp, n, 0, (float)(n - 1), t->cos_lo, 1.0f,
                     PLOT_DASH_ON, PLOT_DASH_PERIOD, STYLE_CURVE_VAL);
    char note[160];
    snprintf(note, sizeof note, msg(MSG_PE_COS_GAP), gap);
    canvas_text(c, c->h - 2, 2, w - 3, note, STYLE_DIM);
    draw_x_ticks(c, c->h - 1, px, pw, (float)(n - 1), "k");
}

/* The cosine similarity between the first positions that fit, shaded over its
 * own range (near 1 everywhere at the start of the sinusoid: over [-1, 1] the
 * map would be one shade). */
static void draw_cosine_matrix(const PeTable *t, const Canvas *c, int x)
{
    const int cell = 2, avail = c->w - x;
    int np = clamp(c->h - 2, 0, t->P);
    if (np * cell + 4 > avail)
        np = (avail - 4) / cell;
    const char *title = msg(MSG_PE_COSINE);
    canvas_text(c, 0, x, avail, text_width(title) <= avail ? title : msg(MSG_PE_COSINE_SHORT),
                STYLE_TITLE);
    if (np <= 1)
        return;
    for (int p = 0; p < np; p++) {
        if (p % 4 == 0)
            canvas_printf(c, 1 + p, x, 4, STYLE_DIM, "%3d", p);
        for (int q = 0; q < np; q++)
            plot_heat_cell(c, 1 + p, x + 4 + q * cell, cell, pe_table_cosine(t, p, q), t->cos_lo,
                           t->cos_hi, false);
    }
    plot_heat_legend(c, 1 + np, x, np * cell + 4 < avail ? np * cell + 4 : avail, t->cos_lo,
                     t->cos_hi);
}

/* The curve keeps 60 columns; the matrix beside it gets what is left, when
 * that holds 4 positions or more. */
#define COS_CURVE_MIN_W 60

static void draw_cosine_panel(const UiState *ui, const Canvas *c)
{
    const PeTable *t = &ui->pe;
    int np = clamp(c->h - 2, 0, t->P), room = (c->w - COS_CURVE_MIN_W - 2 - 4) / 2;
    np = np < room ? np : room;
    bool beside = np >= 4;
    int matrix_w = np * 2 + 4;
    draw_cosine_offsets(ui, c, beside ? c->w - matrix_w - 2 : c->w);
    if (beside) {
        Canvas m = canvas_sub(c, 0, c->w - matrix_w, np + 2, matrix_w);
        draw_cosine_matrix(t, &m, 0);
    }
}

/* One token's vector as a strip of the first dims that fit in w columns. */
static void draw_vector(const Canvas *c, int y, int x, int w, const float *v, int n, float scale,
                        const float *add, float lo, float hi)
{
    for (int i = 0; i < n && i < w; i++)
        plot_heat_cell(c, y, x + i, 1, v[i] * scale + (add ? add[i] : 0.0f), lo, hi, false);
}

/* Each token: E[id] sqrt(C), PE(t), their sum (what the first layer reads), and the norms. */
static void draw_sentence_panel(const UiState *ui, const Canvas *c)
{
    const Inference *inf = &ui->inf;
    const Lesson *ls = &ui->lesson;
    const PeTable *t = &ui->pe;
    const int C = t->C, lw = map_label_width(inf, false), norms_w = 26;
    const int each = (c->w - lw - norms_w) / 3 - 1;
    canvas_printf(c, 0, 0, -1, STYLE_TITLE, msg(MSG_PE_SENTENCE), each < C ? each : C, C);
    if (!inf->valid || !ls->valid || each < 4) {
        canvas_text(c, 1, 0, -1, msg(inf->valid ? MSG_TOO_SMALL : no_prediction_msg(ui, MSG_EMPTY_SENTENCE)), STYLE_DIM);
        return;
    }
    static const char *const heads[3] = {"E x sqrt(d)", "PE(pos)", "E x sqrt(d)+PE"};
    for (int i = 0; i < 3; i++)
        canvas_text(c, 1, lw + i * (each + 1), each, heads[i], STYLE_LABEL);
    canvas_text(c, 1, lw + 3 * (each + 1), norms_w, "|E sqrt d|  |PE|   |sum|", STYLE_LABEL);
    const float scale = sqrtf((float)C), lo = fminf(ls->emb_lo, t->lo), hi = fmaxf(ls->emb_hi, t->hi);
    const float *tok = model_params(inf->model).tok_emb;
    const int rows = c->h - 2, n = inf->n_tokens;
    const int first = n > rows ? clamp(ui->cur_q - rows / 2, 0, n - rows) : 0;
    for (int k = first; k < n && k - first < rows; k++) {
        int y = 2 + k - first;
        char label[64];
        token_label(inf, k, false, true, label, sizeof label);
        int tw = text_width(label);
        canvas_text(c, y, tw < lw - 1 ? lw - 1 - tw : 0, lw - 1, label,
                    k == ui->cur_q ? STYLE_CURSOR : STYLE_LABEL);
        const float *e = tok + (size_t)inf->ids[k] * C, *pe = t->pe + (size_t)k * C;
        draw_vector(c, y, lw, each, e, C, scale, NULL, lo, hi);
        draw_vector(c, y, lw + each + 1, each, pe, C, 1.0f, NULL, lo, hi);
        draw_vector(c, y, lw + 2 * (each + 1), each, e, C, scale, pe, lo, hi);
        canvas_printf(c, y, lw + 3 * (each + 1), norms_w, STYLE_LABEL, "%9.2f %6.2f %7.2f",
                      (double)ls->emb_norm[k], (double)ls->pe_norm[k], (double)ls->sum_norm[k]);
    }
}

void view_pe_draw(const UiState *ui, const Canvas *c)
{
    PageLayout pl = pe_layout(ui, c->h);
    int page = ui->page[VIEW_PE] < pl.count ? ui->page[VIEW_PE] : 0;
    for (int i = 0; i < PE_PANELS; i++) {
        if (pl.page_of[i] != page)
            continue;
        Canvas p = canvas_sub(c, pl.y[i], 0, pl.h[i], c->w);
        switch (i) {
        case PE_PANEL_MATRIX: draw_matrix_panel(ui, &p); break;
        case PE_PANEL_WAVES: draw_waves(ui, &p); break;
        case PE_PANEL_COSINE: draw_cosine_panel(ui, &p); break;
        default: draw_sentence_panel(ui, &p); break;
        }
    }
}
