/* The Attention view's multi-head panels (notebook 2): every head of the
 * layer side by side with their average, each head's entropy and what one
 * head costs against H heads (`a`); and bertviz's head view, one query
 * token's weights to every key as bars, a column per head (`f`). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "plot.h"
#include "views.h"

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* "h2 0.31b" above each head's map (the selected one in brackets), "avg" last. */
static void draw_head_titles(const UiState *ui, const Canvas *c, int y, int x0, int each)
{
    const Lesson *ls = &ui->lesson;
    for (int h = 0; h <= ls->NH; h++) {
        char title[64];
        bool selected = h == ui->head, avg = h == ls->NH;
        if (avg)
            snprintf(title, sizeof title, "%s", msg(MSG_HEADS_AVG));
        else if (each >= 10)
            snprintf(title, sizeof title, "%sh%d %.2fb%s", selected ? "[" : "", h + 1,
                     (double)ls->heads[h].entropy, selected ? "]" : "");
        else
            snprintf(title, sizeof title, "%sh%d%s", selected ? "[" : "", h + 1, selected ? "]" : "");
        canvas_text(c, y, x0 + h * each, each - 1, title, selected ? STYLE_TAB : STYLE_TITLE);
    }
}

/* Parameters and FLOPs of one head of width d_model against H heads of d_k:
 * the same, the heads only cut d_model; H times the T x T weights. */
static int draw_cost(const UiState *ui, const Canvas *c, int y)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    const double C = mc->d_model, T = ui->inf.T;
    const double params = 4.0 * C * C + 4.0 * C;
    const double flops = 8.0 * T * C * C + 4.0 * T * T * C; /* projections; q k^T and weights v */
    char p[32], f[32];
    format_count(p, sizeof p, params);
    format_count(f, sizeof f, flops);
    canvas_printf(c, y, 0, -1, STYLE_TITLE, msg(MSG_HEADS_COST_TITLE), mc->d_model, ui->inf.T);
    const int heads[2] = {1, mc->num_heads};
    for (int i = 0; i < 2; i++)
        canvas_printf(c, y + 1 + i, 2, -1, STYLE_LABEL, msg(MSG_HEADS_COST_ROW), heads[i],
                      mc->d_model / heads[i], p, f, (long)heads[i] * ui->inf.T * ui->inf.T);
    canvas_text_wrapped(c, y + 3, 2, c->w - 2, 2, msg(MSG_HEADS_COST_NOTE), STYLE_DIM);
    return 5;
}

void draw_heads_panel(const UiState *ui, const Canvas *c)
{
    const Lesson *ls = &ui->lesson;
    if (!ui->inf.valid || !ls->valid) {
        canvas_text(c, 0, 0, -1, msg(no_prediction_msg(ui, MSG_EMPTY_SENTENCE)), STYLE_DIM);
        return;
    }
    /* every map laid out alike: the labels' column fixed, room for numbers in it */
    const int lw = map_label_width(&ui->inf, true), maps = ls->NH + 1;
    const int each = (c->w - lw) / maps;
    const bool cost = c->h >= ui->inf.n_tokens + 11;
    const int map_h = c->h - 3 - (cost ? 5 : 0);
    if (each < 3) {
        canvas_text(c, 0, 0, -1, msg(MSG_TOO_SMALL), STYLE_WARN);
        return;
    }
    draw_head_titles(ui, c, 0, lw, each);
    int used = 0;
    for (int h = 0; h < maps; h++) {
        const float *w = h < ls->NH ? lesson_weights(ls, h, ui->whatif) : ls->average;
        TokenMap tm = token_map_weights(ui, w, ui->whatif);
        tm.row_labels = h == 0;
        tm.label_w = lw;
        tm.cursor = true;
        tm.quiet = h > 0;
        int x = h == 0 ? 0 : lw + h * each;
        int r = draw_token_map(ui, c, 1, x, map_h, (h == 0 ? lw : 0) + each - 1, &tm);
        used = r > used ? r : used;
    }
    int y = 1 + used, legend_w = each - 1 > 8 ? each - 1 : 8;
    canvas_text(c, y, 0, lw, "0..1", STYLE_DIM);
    plot_heat_legend(c, y, lw, legend_w, 0.0f, 1.0f);
    int lines = canvas_text_wrapped(c, y, lw + legend_w + 2, c->w - lw - legend_w - 2, 2,
                                    msg(MSG_HEADS_ENTROPY), STYLE_DIM);
    if (cost)
        draw_cost(ui, c, y + lines + 1 < c->h - 5 ? y + lines + 1 : c->h - 5);
}

/* One key's row of the focus panel: a bar per head (and the average). */
static void draw_focus_row(const UiState *ui, const Canvas *c, int y, int k, int lw, int col_w)
{
    const Lesson *ls = &ui->lesson;
    const int T = ls->T;
    char label[64];
    token_label(&ui->inf, k, false, true, label, sizeof label);
    int style = k >= ui->inf.n_tokens ? STYLE_DIM : infer_unknown(&ui->inf, k) ? STYLE_WARN
                                                                               : STYLE_LABEL;
    int tw = text_width(label);
    canvas_text(c, y, tw < lw - 1 ? lw - 1 - tw : 0, lw - 1, label, style);
    for (int h = 0; h <= ls->NH; h++) {
        const float *w = h < ls->NH ? lesson_weights(ls, h, ui->whatif) : ls->average;
        int x = lw + h * col_w;
        if (infer_masked(&ui->inf, ui->cur_q, k, ui->whatif)) {
            plot_heat_cell(c, y, x, 2, 0.0f, 0.0f, 1.0f, true);
            continue;
        }
        float v = w[(size_t)ui->cur_q * T + k];
        bool number = col_w >= 11;
        int bw = col_w - 1 - (number ? 6 : 0);
        plot_bar(c, y, x, bw, v, h == ui->head ? STYLE_GOOD : STYLE_BAR, STYLE_BAR_EMPTY);
        if (number)
            canvas_printf(c, y, x + bw + 1, 5, STYLE_LABEL, "%5.3f", (double)v);
    }
}

void draw_focus_panel(const UiState *ui, const Canvas *c)
{
    const Lesson *ls = &ui->lesson;
    if (!ui->inf.valid || !ls->valid) {
        canvas_text(c, 0, 0, -1, msg(no_prediction_msg(ui, MSG_EMPTY_SENTENCE)), STYLE_DIM);
        return;
    }
    char word[64];
    token_label(&ui->inf, ui->cur_q, false, true, word, sizeof word);
    canvas_printf(c, 0, 0, -1, STYLE_LABEL, msg(MSG_FOCUS_QUERY), word, ui->cur_q + 1,
                  ui->inf.n_tokens, ui->layer + 1);
    const int lw = map_label_width(&ui->inf, false), col_w = (c->w - lw) / (ls->NH + 1);
    if (col_w < 4) {
        canvas_text(c, 1, 0, -1, msg(MSG_TOO_SMALL), STYLE_WARN);
        return;
    }
    canvas_text(c, 1, 0, lw - 1, msg(MSG_FOCUS_KEYS), STYLE_DIM);
    for (int h = 0; h <= ls->NH; h++) {
        char title[32];
        if (h == ls->NH)
            snprintf(title, sizeof title, "%s", msg(MSG_HEADS_AVG));
        else
            snprintf(title, sizeof title, h == ui->head ? "[h%d]" : "h%d", h + 1);
        canvas_text(c, 1, lw + h * col_w, col_w - 1, title, h == ui->head ? STYLE_TAB : STYLE_TITLE);
    }
    const int n = ui->inf.shown, rows = c->h - 2 - (c->h - 2 < n ? 1 : 0);
    const int first = n > rows ? clamp(ui->cur_k - rows / 2, 0, n - rows) : 0;
    for (int k = first; k < n && k - first < rows; k++)
        draw_focus_row(ui, c, 2 + k - first, k, lw, col_w);
    if (n > rows) {
        char line[96];
        snprintf(line, sizeof line, msg(MSG_FOCUS_WINDOW), first + 1, first + rows, n);
        canvas_text(c, 2 + rows, 0, -1, line, STYLE_WARN);
    }
}
