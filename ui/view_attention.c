/* View 2: the sentence input line, one head's attention map with labels and a
 * cell cursor, or all heads (and layers) side by side; class probabilities. */
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

void view_attention_draw(const UiState *ui, const Canvas *c)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    draw_sentence_line(ui, c, 0);
    int x = canvas_printf(c, 1, 0, -1, STYLE_TITLE, "layer %d/%d  head %d/%d", ui->layer + 1,
                          mc->num_layers, ui->head + 1, mc->num_heads);
    x += canvas_printf(c, 1, x, -1, STYLE_DIM, "  (%s %ld)", msg(MSG_WEIGHTS_OF_STEP),
                        ui->inf.weights_step);
    const Inference *inf = &ui->inf;
    if (inf->valid) {
        bool masked;
        float v = infer_attention(inf, ui->layer, ui->head, ui->cur_q, ui->cur_k, &masked);
        char val[32];
        if (masked)
            snprintf(val, sizeof val, "%s", msg(MSG_MASKED));
        else
            snprintf(val, sizeof val, "%.3f", (double)v);
        canvas_printf(c, 2, 0, -1, STYLE_LABEL, "%s \"%s\" -> %s \"%s\" = %s", msg(MSG_QUERY),
                      inf->tokens[ui->cur_q], msg(MSG_KEYCOL), inf->tokens[ui->cur_k], val);
    }
    int bars_h = inf->num_labels + 2;
    int map_h = c->h - 4 - bars_h;
    if (ui->all_heads && inf->valid)
        draw_overview(ui, c, 4, map_h);
    else
        draw_attention_map(ui, c, 4, 0, map_h, c->w - 22, ui->layer, ui->head, true, true);
    int ly = 4;
    int lx = c->w - 20;
    if (!ui->all_heads && lx > 40) { /* ramp legend on the right */
        canvas_text(c, ly, lx, 20, "0 .. 1", STYLE_DIM);
        plot_heat_legend(c, ly + 1, lx, 19, 0.0f, 1.0f);
        plot_heat_cell(c, ly + 3, lx, 2, 0, 0, 1, true);
        canvas_text(c, ly + 3, lx + 3, 16, msg(MSG_MASKED), STYLE_DIM);
    }
    int by = c->h - bars_h + 1;
    canvas_text(c, by - 1, 0, -1, msg(MSG_PREDICTION), STYLE_TITLE);
    draw_class_bars(ui, c, by, 0, c->w < 80 ? c->w : 80, bars_h - 1);
}
