/* View 2: the sentence input line, one head's attention map with labels and a
 * cell cursor, or all heads (and layers) side by side; what the model makes of
 * the words (unknown, cut at max_len); class probabilities. */
#include <stdio.h>

#include "lang.h"
#include "plot.h"
#include "views.h"

/* Every head of the layers that fit, one character per cell. */
static void draw_overview(const UiState *ui, const Canvas *c, int y, int h)
{
    const Inference *inf = &ui->inf;
    const ModelConfig *mc = &inf->model->cfg;
    int n = inf->shown, nq = inf->n_tokens;
    int cell_w = n * 2 + 2 <= (c->w - 4) / mc->num_heads ? 2 : 1;
    int map_w = n * cell_w + 2;
    int heads_fit = (c->w - 4) / map_w;
    if (heads_fit < 1 || nq + 1 > h) {
        canvas_text(c, y, 0, -1, msg(MSG_TOO_SMALL), STYLE_WARN);
        return;
    }
    int layers_fit = h / (nq + 1);
    bool all_layers = layers_fit >= mc->num_layers;
    int first = all_layers ? 0 : ui->layer, count = all_layers ? mc->num_layers : 1;
    for (int li = 0; li < count; li++) {
        int l = first + li;
        int row = y + li * (nq + 1);
        canvas_printf(c, row, 0, 4, STYLE_TITLE, "L%d", l + 1);
        for (int hd = 0; hd < mc->num_heads && hd < heads_fit; hd++) {
            int x0 = 4 + hd * map_w;
            if (li == 0)
                canvas_printf(c, row, x0, map_w - 1, hd == ui->head ? STYLE_CURSOR : STYLE_LABEL,
                              "h%d", hd + 1);
            for (int q = 0; q < nq; q++)
                for (int k = 0; k < n; k++) {
                    bool masked;
                    float v = infer_attention(inf, l, hd, q, k, &masked);
                    plot_heat_cell(c, row + 1 + q, x0 + k * cell_w, cell_w, v, 0.0f, 1.0f, masked);
                }
        }
    }
}

/* Row 2: the cell under the cursor, its tokens labelled as in the map. */
static void draw_cursor_line(const UiState *ui, const Canvas *c, int y)
{
    const Inference *inf = &ui->inf;
    bool masked;
    float v = infer_attention(inf, ui->layer, ui->head, ui->cur_q, ui->cur_k, &masked);
    char val[32], query[64], key[64];
    if (masked)
        snprintf(val, sizeof val, "%s", msg(MSG_MASKED));
    else
        snprintf(val, sizeof val, "%.3f", (double)v);
    token_label(inf, ui->cur_q, false, true, query, sizeof query);
    token_label(inf, ui->cur_k, false, true, key, sizeof key);
    canvas_printf(c, y, 0, -1, STYLE_LABEL, "%s %d \"%s\" -> %s %d \"%s\" = %s", msg(MSG_QUERY),
                  ui->cur_q + 1, query, msg(MSG_KEYCOL), ui->cur_k + 1, key, val);
}

void view_attention_draw(const UiState *ui, const Canvas *c)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    const Inference *inf = &ui->inf;
    draw_sentence_line(ui, c, 0);
    int x = canvas_printf(c, 1, 0, -1, STYLE_TITLE, "%s %d/%d  %s %d/%d", msg(MSG_LAYER),
                          ui->layer + 1, mc->num_layers, msg(MSG_HEAD), ui->head + 1, mc->num_heads);
    canvas_printf(c, 1, x, -1, STYLE_DIM, "  (%s %ld)", msg(MSG_WEIGHTS_OF_STEP), inf->weights_step);
    if (inf->valid)
        draw_cursor_line(ui, c, 2);
    char notice[256];
    sentence_notice(ui, notice, sizeof notice);
    canvas_text(c, 3, 0, -1, notice, STYLE_WARN);
    int bars_h = inf->num_labels + 2;
    int map_h = c->h - 4 - bars_h;
    int ly = 4, lx = c->w - 20;
    bool legend = !ui->all_heads && lx > 40; /* the ramp on the right, when there is room */
    if (ui->all_heads && inf->valid)
        draw_overview(ui, c, 4, map_h);
    else
        draw_attention_map(ui, c, 4, 0, map_h, legend ? c->w - 22 : c->w, ui->layer, ui->head,
                           true, true);
    if (legend) {
        canvas_text(c, ly, lx, 20, "0 .. 1", STYLE_DIM);
        plot_heat_legend(c, ly + 1, lx, 19, 0.0f, 1.0f);
        plot_heat_cell(c, ly + 3, lx, 2, 0, 0, 1, true);
        canvas_text(c, ly + 3, lx + 3, 16, msg(MSG_MASKED), STYLE_DIM);
    }
    int by = c->h - bars_h + 1;
    canvas_text(c, by - 1, 0, -1, msg(MSG_PREDICTION), STYLE_TITLE);
    draw_class_bars(ui, c, by, 0, c->w < 80 ? c->w : 80, bars_h - 1);
}
