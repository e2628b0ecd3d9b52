/* View 4 (notebook 4): the sentence's input line; the data flow through the
 * encoder for it (view_flow.c); the configuration in the workshop's words
 * beside the workshop's own; the parameter count of every component and the
 * FLOPs per token; the gradient norm per layer during training. Panels that
 * do not fit go to further pages (v / V). Columns follow the width: a count is
 * printed whole or its row's shape is left out, never cut. */
#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "pages.h"
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
    bool lm = mc->task == MODEL_TASK_LM;
    r[n] = (ArchRow){.count = b.per_layer, .style = STYLE_TITLE};
    snprintf(r[n].name, sizeof r[n].name, "%s", msg(lm ? MSG_DECODER_LAYER : MSG_ENCODER_LAYER));
    snprintf(r[n].shape, sizeof r[0].shape, msg(MSG_TIMES_LAYERS), mc->num_layers);
    size_t used = strlen(r[n].shape);
    snprintf(r[n++].shape + used, sizeof r[0].shape - used, ", %s-LN", mc->norm == NORM_PRE ? "pre" : "post");
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
    if (mc->norm == NORM_PRE) {
        r[n] = (ArchRow){.count = b.final_norm, .style = STYLE_LABEL};
        snprintf(r[n].name, sizeof r[n].name, "%s", msg(MSG_FINAL_NORM));
        snprintf(r[n++].shape, sizeof r[0].shape, "gamma, beta");
    }
    if (lm) { /* lm_head: C -> V without bias; tied, the embedding's table (counted there) */
        r[n] = (ArchRow){.count = b.lm_head, .style = STYLE_LABEL};
        snprintf(r[n].name, sizeof r[n].name, "%s", msg(MSG_LM_HEAD));
        snprintf(r[n++].shape, sizeof r[0].shape, "%d->%d%s%s", C, mc->vocab_size,
                 mc->tie_embeddings ? ", " : "", mc->tie_embeddings ? msg(MSG_TIED) : "");
    } else {
        r[n] = (ArchRow){.count = b.classifier, .style = STYLE_LABEL};
        snprintf(r[n].name, sizeof r[n].name, "%s", msg(MSG_CLASSIFIER));
        snprintf(r[n++].shape, sizeof r[0].shape, "%d->%d->%d", C, C / 2, mc->num_classes);
    }
    r[n] = (ArchRow){.count = b.total, .style = STYLE_GOOD};
    snprintf(r[n].name, sizeof r[n].name, "%s", msg(MSG_TOTAL));
    snprintf(r[n++].shape, sizeof r[0].shape, "%s", msg(MSG_PARAMS));
    return n;
}

/* The rows as a table in w columns: name, shape (when it fits whole), count
 * right-aligned. Returns rows drawn. */
static int draw_arch(const UiState *ui, const Canvas *c, int y, int w, bool detail)
{
    ArchRow r[10];
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
                      int style)
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
        canvas_printf(c, y + i, x, 13, STYLE_LABEL, "%s %d", msg(MSG_LAYER), i + 1);
        plot_bar(c, y + i, x + 14, w - 14 - vw - 1, hi > 0 ? v[i] / hi : 0, style, STYLE_BAR_EMPTY);
        canvas_printf(c, y + i, x + w - vw, vw, STYLE_LABEL, "%*.3g", vw, (double)v[i]);
    }
}

static void draw_title(const UiState *ui, const Canvas *c, int y)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    char shape[128];
    int n = snprintf(shape, sizeof shape, "V=%d C=%d heads=%d d_k=%d F=%d L=%d", mc->vocab_size,
                     mc->d_model, mc->num_heads, mc->d_model / mc->num_heads, mc->d_ff, mc->num_layers);
    if (mc->task == MODEL_TASK_LM) /* a decoder: no classes */
        snprintf(shape + n, sizeof shape - (size_t)n, " lm T<=%d", mc->max_len);
    else
        snprintf(shape + n, sizeof shape - (size_t)n, " K=%d T<=%d", mc->num_classes, mc->max_len);
    int x = 0;
    if (text_width(msg(MSG_ARCH)) + 2 + text_width(shape) <= c->w)
        x = canvas_printf(c, y, 0, -1, STYLE_TITLE, "%s: ", msg(MSG_ARCH));
    canvas_text(c, y, x, -1, shape, STYLE_TITLE);
}

/* 353442 -> "353,442" */
static void format_grouped(char *out, size_t len, size_t v)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%zu", v), o = 0;
    for (int i = 0; i < n && (size_t)o + 2 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

/* The configuration in the workshop's words, this run's beside the
 * workshop's own (model_config_default: the notebook's seven layers). */
static void draw_workshop_table(const UiState *ui, const Canvas *c, int w)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    const ModelConfig ws = model_config_default();
    const struct { const char *name; long run, workshop; } rows[] = {
        {"d_model", mc->d_model, ws.d_model},
        {"num_heads", mc->num_heads, ws.num_heads},
        {"d_k = d_model / num_heads", mc->d_model / mc->num_heads, ws.d_model / ws.num_heads},
        {"d_ff", mc->d_ff, ws.d_ff},
        {"num_layers", mc->num_layers, ws.num_layers},
        {mc->task == MODEL_TASK_LM ? "num_classes (lm: LM head)" : "num_classes", mc->num_classes,
         ws.num_classes},
        {"vocab_size", mc->vocab_size, ws.vocab_size},
    };
    canvas_text(c, 0, 0, w, msg(MSG_PARAMS_TITLE), STYLE_TITLE);
    canvas_printf(c, 1, 0, w, STYLE_LABEL, "%-26s %12s %12s", "", msg(MSG_PARAMS_RUN),
                  msg(MSG_PARAMS_WORKSHOP));
    int n = (int)(sizeof rows / sizeof rows[0]);
    for (int i = 0; i < n; i++)
        canvas_printf(c, 2 + i, 0, w, rows[i].run != rows[i].workshop ? STYLE_WARN : STYLE_LABEL,
                      "%-26s %12ld %12ld", rows[i].name, rows[i].run, rows[i].workshop);
    char run[32], workshop[32];
    format_grouped(run, sizeof run, model_param_budget(mc).total);
    format_grouped(workshop, sizeof workshop, model_param_budget(&ws).total);
    canvas_printf(c, 2 + n, 0, w, STYLE_GOOD, "%-26s %12s %12s", msg(MSG_PARAMS), run, workshop);
}

/* The parameter count of every component and the FLOPs per token. */
static void draw_arch_panel(const UiState *ui, const Canvas *c, int x, int w)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    Canvas a = canvas_sub(c, 0, x, c->h, w);
    draw_title(ui, &a, 0);
    int y = 1 + draw_arch(ui, &a, 1, w, c->h >= 10);
    char fwd[32], trn[32];
    format_count(fwd, sizeof fwd, ui->flops_fwd);
    format_count(trn, sizeof trn, ui->flops_train);
    canvas_printf(&a, y, 2, -1, STYLE_LABEL, msg(MSG_FLOPS), mc->max_len, fwd, trn);
}

/* The table in the workshop's words; the components beside it when wide. */
#define WORKSHOP_TABLE_W 52
#define ARCH_BESIDE_MIN_W (WORKSHOP_TABLE_W + 2 + 60)

static void draw_params_panel(const UiState *ui, const Canvas *c)
{
    draw_workshop_table(ui, c, WORKSHOP_TABLE_W);
    if (c->w >= ARCH_BESIDE_MIN_W)
        draw_arch_panel(ui, c, WORKSHOP_TABLE_W + 2,
                        c->w - WORKSHOP_TABLE_W - 2 < MODEL_TABLE_W ? c->w - WORKSHOP_TABLE_W - 2
                                                                    : MODEL_TABLE_W);
}

static void draw_grads_panel(const UiState *ui, const Canvas *c)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    int w = c->w < MODEL_TABLE_W ? c->w : MODEL_TABLE_W;
    canvas_text(c, 0, 0, -1, msg(MSG_GRAD_NORM), STYLE_TITLE);
    /* num_layers <= MODEL_MAX_LAYERS, the size of layer_grad_norm: validated */
    norm_bars(c, 1, 2, w - 2, c->h - 1, ui->snap.progress.layer_grad_norm, mc->num_layers,
              STYLE_CURVE_VAL);
}

enum { M_FLOW_LAYERS, M_FLOW_TOKENS, M_FLOW_HEAD, M_PARAMS, M_ARCH, M_GRADS, M_PANELS };

/* The panels at this width (the components beside the workshop table when
 * wide: then no panel of their own), cut into pages of h rows. */
static PageLayout model_layout(const UiState *ui, int h, int w)
{
    const int L = ui->inf.model->cfg.num_layers;
    const bool beside = w >= ARCH_BESIDE_MIN_W;
    const PanelSize sizes[M_PANELS] = {
        [M_FLOW_LAYERS] = {flow_layers_rows(ui) + 1, 0},
        [M_FLOW_TOKENS] = {flow_tokens_rows(ui) + 1, 3},
        [M_FLOW_HEAD] = {flow_head_rows(ui), 0},
        [M_PARAMS] = {beside ? 12 : 10, 0},
        [M_ARCH] = {beside ? 0 : 11, 0},
        [M_GRADS] = {1 + (L < 4 ? L : 4), 1},
    };
    return pages_layout(sizes, M_PANELS, h - 1);
}

int view_model_pages(const UiState *ui, int h, int w)
{
    return model_layout(ui, h, w).count;
}

void view_model_draw(const UiState *ui, const Canvas *c)
{
    draw_sentence_line(ui, c, 0);
    PageLayout pl = model_layout(ui, c->h, c->w);
    int page = ui->page[VIEW_MODEL] < pl.count ? ui->page[VIEW_MODEL] : 0;
    for (int i = 0; i < M_PANELS; i++) {
        if (pl.page_of[i] != page || pl.h[i] <= 0)
            continue;
        Canvas p = canvas_sub(c, 1 + pl.y[i], 0, pl.h[i], c->w);
        switch (i) {
        case M_FLOW_LAYERS: draw_flow_layers(ui, &p); break;
        case M_FLOW_TOKENS: draw_flow_tokens(ui, &p); break;
        case M_FLOW_HEAD: draw_flow_head(ui, &p); break;
        case M_PARAMS: draw_params_panel(ui, &p); break;
        case M_ARCH: draw_arch_panel(ui, &p, 0, c->w < MODEL_TABLE_W ? c->w : MODEL_TABLE_W); break;
        default: draw_grads_panel(ui, &p); break;
        }
    }
}

