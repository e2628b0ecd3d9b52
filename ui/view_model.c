/* View 4: the architecture with parameter counts, FLOPs per token, the sentence
 * (its input line), the mean representation norm after each stage for it, and
 * the gradient norm per layer during training. Columns follow the width: a
 * count is printed whole or its row's shape is left out, never cut. */
#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "plot.h"
#include "views.h"

/* The widest the tables grow, and the height below which the parts of an
 * encoder layer are not listed one by one. */
#define MODEL_TABLE_W 90
#define MODEL_DETAIL_MIN_H 22

typedef struct {
    char name[48], shape[48];
    size_t count;
    int style;
} ArchRow;

static int arch_rows(const UiState *ui, ArchRow *r, bool detail)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    ParamBudget b = model_param_budget(mc);
    int n = 0, C = mc->d_model;
    r[n] = (ArchRow){.count = b.embedding, .style = STYLE_LABEL};
    snprintf(r[n].name, sizeof r[n].name, "%s", msg(MSG_EMBEDDING));
    snprintf(r[n++].shape, sizeof r[0].shape, "%d x %d", mc->vocab_size, C);
    r[n] = (ArchRow){.count = b.pos_encoding, .style = STYLE_LABEL};
    snprintf(r[n].name, sizeof r[n].name, "%s", msg(MSG_POS_ENCODING));
    snprintf(r[n++].shape, sizeof r[0].shape, "%d x %d %s", mc->max_len, C,
             msg(mc->pos_encoding == POS_ENCODING_LEARNED ? MSG_LEARNED : MSG_SINCOS));
    r[n] = (ArchRow){.count = b.per_layer, .style = STYLE_TITLE};
    snprintf(r[n].name, sizeof r[n].name, "%s", msg(MSG_ENCODER_LAYER));
    snprintf(r[n++].shape, sizeof r[0].shape, msg(MSG_TIMES_LAYERS), mc->num_layers);
    if (detail) {
        r[n] = (ArchRow){.count = b.attention, .style = STYLE_LABEL};
        snprintf(r[n].name, sizeof r[n].name, "  %s", msg(MSG_MHA));
        snprintf(r[n++].shape, sizeof r[0].shape, "qkv %dx%d + out %dx%d", 3 * C, C, C, C);
        r[n] = (ArchRow){.count = b.norms, .style = STYLE_LABEL};
        snprintf(r[n].name, sizeof r[n].name, "  2 x LayerNorm");
        snprintf(r[n++].shape, sizeof r[0].shape, "gamma, beta");
        r[n] = (ArchRow){.count = b.feed_forward, .style = STYLE_LABEL};
        snprintf(r[n].name, sizeof r[n].name, "  %s", msg(MSG_FEED_FORWARD));
        snprintf(r[n++].shape, sizeof r[0].shape, "%d->%d->%d ReLU", C, mc->d_ff, C);
    }
    r[n] = (ArchRow){.count = b.classifier, .style = STYLE_LABEL};
    snprintf(r[n].name, sizeof r[n].name, "%s", msg(MSG_CLASSIFIER));
    snprintf(r[n++].shape, sizeof r[0].shape, "%d->%d->%d", C, C / 2, mc->num_classes);
    r[n] = (ArchRow){.count = b.total, .style = STYLE_GOOD};
    snprintf(r[n].name, sizeof r[n].name, "%s", msg(MSG_TOTAL));
    snprintf(r[n++].shape, sizeof r[0].shape, "%s", msg(MSG_PARAMS));
    return n;
}

/* The rows as a table in w columns: name, shape (when it fits whole), count
 * right-aligned. Returns rows drawn. */
static int draw_arch(const UiState *ui, const Canvas *c, int y, int w, bool detail)
{
    ArchRow r[8];
    int n = arch_rows(ui, r, detail), name_w = 0, shape_w = 0;
    for (int i = 0; i < n; i++) {
        int nw = text_width(r[i].name), sw = text_width(r[i].shape);
        name_w = nw > name_w ? nw : name_w;
        shape_w = sw > shape_w ? sw : shape_w;
    }
    int count_w = 9, shape_x = 2 + name_w + 2;
    bool shapes = shape_x + shape_w + 2 + count_w <= w;
    for (int i = 0; i < n; i++) {
        char num[32];
        format_count(num, sizeof num, (double)r[i].count);
        canvas_text(c, y + i, 2, name_w, r[i].name, r[i].style);
        if (shapes)
            canvas_text(c, y + i, shape_x, shape_w, r[i].shape, STYLE_DIM);
        canvas_printf(c, y + i, w - count_w, count_w, STYLE_LABEL, "%*s", count_w, num);
    }
    return n;
}

static void norm_bars(const Canvas *c, int y, int x, int w, int rows, const float *v, int n,
                      bool first_is_embedding, int style)
{
    float hi = 0;
    int vw = 0;
    for (int i = 0; i < n; i++) {
        char value[16];
        hi = v[i] > hi ? v[i] : hi;
        int len = snprintf(value, sizeof value, "%.3g", (double)v[i]);
        vw = len > vw ? len : vw;
    }
    for (int i = 0; i < n && i < rows; i++) {
        char label[24];
        if (first_is_embedding && i == 0)
            snprintf(label, sizeof label, "%s", msg(MSG_AFTER_EMB));
        else
            snprintf(label, sizeof label, "%s %d", msg(MSG_LAYER), first_is_embedding ? i : i + 1);
        canvas_text(c, y + i, x, 13, label, STYLE_LABEL);
        plot_bar(c, y + i, x + 14, w - 14 - vw - 1, hi > 0 ? v[i] / hi : 0, style, STYLE_BAR_EMPTY);
        canvas_printf(c, y + i, x + w - vw, vw, STYLE_LABEL, "%*.3g", vw, (double)v[i]);
    }
}

static void draw_title(const UiState *ui, const Canvas *c, int y)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    char shape[128];
    snprintf(shape, sizeof shape, "V=%d C=%d heads=%d d_k=%d F=%d L=%d K=%d T<=%d", mc->vocab_size,
             mc->d_model, mc->num_heads, mc->d_model / mc->num_heads, mc->d_ff, mc->num_layers,
             mc->num_classes, mc->max_len);
    int x = 0;
    if (text_width(msg(MSG_ARCH)) + 2 + text_width(shape) <= c->w)
        x = canvas_printf(c, y, 0, -1, STYLE_TITLE, "%s: ", msg(MSG_ARCH));
    canvas_text(c, y, x, -1, shape, STYLE_TITLE);
}

void view_model_draw(const UiState *ui, const Canvas *c)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    int w = c->w < MODEL_TABLE_W ? c->w : MODEL_TABLE_W;
    int y = 0;
    draw_title(ui, c, y++);
    y += draw_arch(ui, c, y, w, c->h >= MODEL_DETAIL_MIN_H);
    char fwd[32], trn[32];
    format_count(fwd, sizeof fwd, ui->flops_fwd);
    format_count(trn, sizeof trn, ui->flops_train);
    canvas_printf(c, y++, 2, -1, STYLE_LABEL, msg(MSG_FLOPS), mc->max_len, fwd, trn);
    draw_sentence_line(ui, c, y++);
    int rows_left = c->h - y;
    int half = rows_left / 2;
    canvas_text(c, y, 0, -1, msg(MSG_REPR_NORM), STYLE_TITLE);
    if (ui->inf.valid)
        norm_bars(c, y + 1, 2, w - 2, half - 1, ui->inf.norms, mc->num_layers + 1, true,
                  STYLE_CURVE_TRAIN);
    else
        canvas_text(c, y + 1, 2, -1, msg(ui->editing ? MSG_TYPE_SENTENCE : MSG_EMPTY_SENTENCE),
                    STYLE_DIM);
    int gy = y + half;
    canvas_text(c, gy, 0, -1, msg(MSG_GRAD_NORM), STYLE_TITLE);
    /* num_layers <= MODEL_MAX_LAYERS, the size of layer_grad_norm: validated */
    norm_bars(c, gy + 1, 2, w - 2, rows_left - half - 1, ui->snap.progress.layer_grad_norm,
              mc->num_layers, false, STYLE_CURVE_VAL);
}
