/* The Model view's data flow (notebook 4): for the typed sentence, the
 * residual stream's norm through each encoder layer (its input, after
 * x + attention, after LayerNorm 1, the share of the feed-forward's ReLU units
 * that are active, after x + FFN, after LayerNorm 2) averaged over the tokens
 * for every layer and token by token for the selected one; then the pooled
 * vector, the classifier's logits and their softmax. */
#include <stdio.h>

#include "lang.h"
#include "plot.h"
#include "views.h"

/* Columns of a stage's number and of the row labels; narrower below 68
 * columns (the table then fits the 60 of the smallest terminal). */
#define FLOW_COL_W 9
#define FLOW_LABEL_W 14
#define FLOW_WIDE_MIN (FLOW_LABEL_W + FLOW_STAGES * FLOW_COL_W)

typedef struct {
    int label_w, col_w;
} FlowCols;

static FlowCols flow_cols(const Canvas *c)
{
    return c->w >= FLOW_WIDE_MIN ? (FlowCols){FLOW_LABEL_W, FLOW_COL_W} : (FlowCols){10, 8};
}

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Post-norm (the workshop): in, x + attn, LN1, ReLU, + FFN, LN2 (the output).
 * Pre-norm: LN1 normalises the layer's input before attention, and the output is
 * the residual stream itself (the + FFN column again). */
static void draw_stage_header(const UiState *ui, const Canvas *c, int y)
{
    const FlowCols fc = flow_cols(c);
    const bool pre = ui->inf.model->cfg.norm == NORM_PRE;
    const char *names[FLOW_STAGES] = {msg(MSG_FLOW_IN), "+attn", pre ? "LN1(in)" : "LN1",
                                      msg(MSG_FLOW_RELU), "+FFN", pre ? "out" : "LN2"};
    for (int s = 0; s < FLOW_STAGES; s++) {
        int tw = text_width(names[s]), x = fc.label_w + s * fc.col_w;
        canvas_text(c, y, x + (tw < fc.col_w - 1 ? fc.col_w - 1 - tw : 0), fc.col_w - 1, names[s],
                    STYLE_LABEL);
    }
}

/* One row of stage values: norms with 2 decimals, the ReLU share in percent. */
static void draw_stage_row(const Canvas *c, int y, const float *f, int style)
{
    const FlowCols fc = flow_cols(c);
    for (int s = 0; s < FLOW_STAGES; s++) {
        int x = fc.label_w + s * fc.col_w;
        if (s == FLOW_RELU)
            canvas_printf(c, y, x, fc.col_w, style, "%*.0f%%", fc.col_w - 2, (double)f[s] * 100.0);
        else
            canvas_printf(c, y, x, fc.col_w, style, "%*.2f", fc.col_w - 1, (double)f[s]);
    }
}

int flow_layers_rows(const UiState *ui) { return ui->inf.model->cfg.num_layers + 2; }

/* Every layer, averaged over the sentence's tokens; the selected one marked. */
void draw_flow_layers(const UiState *ui, const Canvas *c)
{
    const Lesson *ls = &ui->lesson;
    canvas_text(c, 0, 0, -1, msg(MSG_FLOW_TITLE), STYLE_TITLE);
    if (!ui->inf.valid || !ls->valid) {
        canvas_text(c, 1, 2, -1, msg(no_prediction_msg(ui, ui->editing ? MSG_TYPE_SENTENCE : MSG_EMPTY_SENTENCE)), STYLE_DIM);
        return;
    }
    const FlowCols fc = flow_cols(c);
    draw_stage_header(ui, c, 1);
    for (int l = 0; l < ls->L && 2 + l < c->h; l++) {
        bool sel = l == ui->layer;
        canvas_printf(c, 2 + l, 0, fc.label_w - 1, sel ? STYLE_CURSOR : STYLE_LABEL, "%s%s %d",
                      sel ? "> " : "  ", msg(MSG_LAYER), l + 1);
        draw_stage_row(c, 2 + l, ls->flow_mean + (size_t)l * FLOW_STAGES,
                       sel ? STYLE_TITLE : STYLE_LABEL);
    }
    if (c->w >= FLOW_WIDE_MIN + 30)
        canvas_text_wrapped(c, 1, FLOW_WIDE_MIN + 2, c->w - FLOW_WIDE_MIN - 2, c->h - 1,
                            msg(MSG_FLOW_NOTE), STYLE_DIM);
}

int flow_tokens_rows(const UiState *ui)
{
    int n = ui->inf.n_tokens > 0 ? ui->inf.n_tokens : 1;
    return 2 + (n < 4 ? n : 4);
}

/* The selected layer, token by token (the cursor's token marked; J/K). */
void draw_flow_tokens(const UiState *ui, const Canvas *c)
{
    const Lesson *ls = &ui->lesson;
    const Inference *inf = &ui->inf;
    canvas_printf(c, 0, 0, -1, STYLE_TITLE, msg(MSG_FLOW_TOKENS), ui->layer + 1);
    if (!inf->valid || !ls->valid)
        return;
    const FlowCols fc = flow_cols(c);
    draw_stage_header(ui, c, 1);
    const int rows = c->h - 2, n = inf->n_tokens;
    const int first = n > rows ? clamp(ui->cur_q - rows / 2, 0, n - rows) : 0;
    for (int t = first; t < n && t - first < rows; t++) {
        char label[64];
        bool sel = t == ui->cur_q;
        token_label(inf, t, false, true, label, sizeof label);
        canvas_text(c, 2 + t - first, 2, fc.label_w - 3, label,
                    sel ? STYLE_CURSOR : infer_unknown(inf, t) ? STYLE_WARN : STYLE_LABEL);
        draw_stage_row(c, 2 + t - first, ls->flow + ((size_t)ui->layer * ls->T + t) * FLOW_STAGES,
                       STYLE_LABEL);
    }
    if (n > rows) /* which tokens: on the title line */
        canvas_printf(c, 0, text_width(msg(MSG_FLOW_TOKENS)) + 4, -1, STYLE_WARN,
                      msg(MSG_FLOW_WINDOW), first + 1, first + rows, n);
}

/* A language model pools nothing: its LM head's next tokens after the sentence. */
#define FLOW_LM_BARS 5

int flow_head_rows(const UiState *ui) { return ui->inf.lm ? FLOW_LM_BARS + 1 : ui->inf.num_labels + 4; }

/* The pooled vector (a strip of its first dimensions), the logits, the softmax. */
void draw_flow_head(const UiState *ui, const Canvas *c)
{
    const Lesson *ls = &ui->lesson;
    const Inference *inf = &ui->inf;
    const ModelConfig *mc = &inf->model->cfg;
    if (!inf->valid || !ls->valid)
        return;
    if (inf->lm) {
        canvas_text(c, 0, 0, -1, msg(MSG_LM_FLOW_NEXT), STYLE_TITLE);
        draw_class_bars(ui, c, 1, 2, c->w - 2 < 80 ? c->w - 2 : 80, c->h - 1);
        return;
    }
    int x = canvas_printf(c, 0, 0, -1, STYLE_TITLE, msg(MSG_FLOW_POOLED),
                          msg(mc->pooling == POOLING_MAX ? MSG_FLOW_MAX : MSG_FLOW_MEAN),
                          (double)ls->pooled_norm) + 1;
    const float *pooled = activations_pooled(inf->acts);
    for (int i = 0; i < mc->d_model && x + i < c->w; i++)
        plot_heat_cell(c, 0, x + i, 1, pooled[i], ls->pooled_lo, ls->pooled_hi, false);
    const float *logits = activations_logits(inf->acts);
    x = canvas_text(c, 1, 0, -1, msg(MSG_FLOW_LOGITS), STYLE_TITLE);
    for (int k = 0; k < inf->num_labels; k++)
        x += canvas_printf(c, 1, x, -1, STYLE_LABEL, "  %s %.3f", inf->labels[k], (double)logits[k]);
    canvas_text(c, 2, 0, -1, msg(MSG_FLOW_SOFTMAX), STYLE_TITLE);
    draw_class_bars(ui, c, 3, 2, c->w - 2 < 80 ? c->w - 2 : 80, c->h - 3);
}
