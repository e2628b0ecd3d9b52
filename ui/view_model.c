/* View 4: the architecture with parameter counts, FLOPs per token, the mean
 * representation norm after each stage for the sentence, and the gradient
 * norm per layer during training. */
#include <stdio.h>

#include "app.h"
#include "lang.h"
#include "plot.h"

static int row_count(const Canvas *c, int y, const char *name, const char *shape, size_t n,
                     int style)
{
    char num[32];
    format_count(num, sizeof num, (double)n);
    canvas_text(c, y, 2, 26, name, style);
    canvas_text(c, y, 28, 24, shape, STYLE_DIM);
    canvas_printf(c, y, 52, 12, STYLE_LABEL, "%10s", num);
    return 1;
}

static void norm_bars(const Canvas *c, int y, int x, int w, int rows, const float *v, int n,
                      bool first_is_embedding, int style)
{
    float hi = 0;
    for (int i = 0; i < n; i++)
        hi = v[i] > hi ? v[i] : hi;
    for (int i = 0; i < n && i < rows; i++) {
        char label[24];
        if (first_is_embedding && i == 0)
            snprintf(label, sizeof label, "%s", msg(MSG_AFTER_EMB));
        else
            snprintf(label, sizeof label, "%s %d", msg(MSG_LAYER), first_is_embedding ? i : i + 1);
        canvas_text(c, y + i, x, 13, label, STYLE_LABEL);
        plot_bar(c, y + i, x + 14, w - 24, hi > 0 ? v[i] / hi : 0, style, STYLE_BAR_EMPTY);
        canvas_printf(c, y + i, x + w - 9, 9, STYLE_LABEL, "%8.3g", (double)v[i]);
    }
}

void view_model_draw(UiState *ui, const Canvas *c)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    ParamBudget b = model_param_budget(mc);
    char shape[64];
    int y = 0;
    canvas_printf(c, y++, 0, -1, STYLE_TITLE, "%s: V=%d C=%d heads=%d d_k=%d F=%d L=%d K=%d T<=%d",
                  msg(MSG_ARCH), mc->vocab_size, mc->d_model, mc->num_heads,
                  mc->d_model / mc->num_heads, mc->d_ff, mc->num_layers, mc->num_classes,
                  mc->max_len);
    snprintf(shape, sizeof shape, "%d x %d", mc->vocab_size, mc->d_model);
    y += row_count(c, y, "embedding", shape, b.embedding, STYLE_LABEL);
    snprintf(shape, sizeof shape, "%d x %d %s", mc->max_len, mc->d_model,
             mc->pos_encoding == POS_ENCODING_LEARNED ? "learned" : "sin/cos buffer");
    y += row_count(c, y, "positional encoding", shape, b.pos_encoding, STYLE_LABEL);
    snprintf(shape, sizeof shape, "x%d layers", mc->num_layers);
    y += row_count(c, y, "encoder layer", shape, b.per_layer, STYLE_TITLE);
    snprintf(shape, sizeof shape, "qkv %dx%d + out %dx%d", 3 * mc->d_model, mc->d_model,
             mc->d_model, mc->d_model);
    y += row_count(c, y, "  multi-head attention", shape, b.attention, STYLE_LABEL);
    y += row_count(c, y, "  2 x LayerNorm", "gamma, beta", b.norms, STYLE_LABEL);
    snprintf(shape, sizeof shape, "%d->%d->%d ReLU", mc->d_model, mc->d_ff, mc->d_model);
    y += row_count(c, y, "  feed-forward", shape, b.feed_forward, STYLE_LABEL);
    snprintf(shape, sizeof shape, "%d->%d->%d", mc->d_model, mc->d_model / 2, mc->num_classes);
    y += row_count(c, y, "classifier", shape, b.classifier, STYLE_LABEL);
    y += row_count(c, y, msg(MSG_TOTAL), msg(MSG_PARAMS), b.total, STYLE_GOOD);
    char fwd[32], trn[32];
    format_count(fwd, sizeof fwd, ui->flops_fwd);
    format_count(trn, sizeof trn, ui->flops_train);
    canvas_printf(c, y++, 2, -1, STYLE_LABEL, "%s (T=%d): forward %s, training %s", msg(MSG_FLOPS),
                  mc->max_len, fwd, trn);
    y++;
    int rows_left = c->h - y;
    int half = rows_left / 2;
    int w = c->w < 90 ? c->w : 90;
    canvas_text(c, y, 0, -1, msg(MSG_REPR_NORM), STYLE_TITLE);
    if (ui->inf.valid)
        norm_bars(c, y + 1, 2, w - 2, half - 1, ui->inf.norms, mc->num_layers + 1, true,
                  STYLE_CURVE_TRAIN);
    else
        canvas_text(c, y + 1, 2, -1, msg(MSG_EMPTY_SENTENCE), STYLE_DIM);
    int gy = y + half;
    canvas_text(c, gy, 0, -1, msg(MSG_GRAD_NORM), STYLE_TITLE);
    int L = mc->num_layers < MODEL_MAX_LAYERS ? mc->num_layers : MODEL_MAX_LAYERS;
    norm_bars(c, gy + 1, 2, w - 2, rows_left - half - 1, ui->snap.progress.layer_grad_norm, L,
              false, STYLE_CURVE_VAL);
}
