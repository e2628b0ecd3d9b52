/* The Attention view's step panel (notebook 1): self-attention of the selected
 * layer and head walked one step at a time with v / V, on the typed sentence:
 * q, k, v of each token (and q . k dimension by dimension on the cursor), the
 * raw scores q k^T, the scaled ones with their spread before and after, the
 * mask as -inf, the softmax weights, the output sum of weights x v. `c`
 * shows what a causal mask would do (marked as a what-if). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "plot.h"
#include "views.h"

/* Most dimensions a vector strip lists. */
#define STRIP_MAX 512

static const float *head_qkv(const UiState *ui, int part)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    const int HS = mc->d_model / mc->num_heads;
    return activations_qkv(ui->inf.acts, ui->layer) + (size_t)3 * HS * ui->head + (size_t)HS * part;
}

/* One labelled vector as a strip of heat cells, numbers inside when they fit. */
static void draw_strip(const Canvas *c, int y, int x, int w, int lw, const char *label,
                       const float *v, int n, float lo, float hi)
{
    canvas_text(c, y, x, lw - 1, label, STYLE_LABEL);
    int cw = n > 0 ? (w - lw) / n : 0;
    cw = cw > 7 ? 7 : cw;
    int decimals = plot_decimals_for(lo, hi, cw - 1);
    for (int i = 0; i < n && cw >= 1; i++) {
        if (cw >= MAP_NUMBER_MIN)
            plot_heat_number(c, y, x + lw + i * cw, cw, v[i], lo, hi, decimals, -1);
        else
            plot_heat_cell(c, y, x + lw + i * cw, cw, v[i], lo, hi, false);
    }
}

/* bertviz's neuron view on the cursor: q of the query, k of the key, their
 * product per dimension, and what the sum becomes. */
static void draw_neurons(const UiState *ui, const Canvas *c, int y, int h)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    const Lesson *ls = &ui->lesson;
    const int HS = mc->d_model / mc->num_heads, ld = 3 * mc->d_model;
    const float *q = head_qkv(ui, 0) + (size_t)ui->cur_q * ld;
    const float *k = head_qkv(ui, 1) + (size_t)ui->cur_k * ld;
    float prod[STRIP_MAX], lim = 1e-6f;
    const int shown = HS < STRIP_MAX ? HS : STRIP_MAX; /* the strips' cells: fewer anyway */
    double dot = 0;
    for (int i = 0; i < HS; i++) {
        float p = q[i] * k[i];
        dot += p;
        if (i < shown)
            prod[i] = p;
        lim = fabsf(p) > lim ? fabsf(p) : lim;
    }
    char qw[64], kw[64], label[3][96];
    token_label(&ui->inf, ui->cur_q, false, false, qw, sizeof qw);
    token_label(&ui->inf, ui->cur_k, false, false, kw, sizeof kw);
    snprintf(label[0], sizeof label[0], "q[%s]", qw);
    snprintf(label[1], sizeof label[1], "k[%s]", kw);
    snprintf(label[2], sizeof label[2], "q*k");
    int lw = 2;
    for (int i = 0; i < 3; i++)
        lw = text_width(label[i]) + 1 > lw ? text_width(label[i]) + 1 : lw;
    lw = lw > 16 ? 16 : lw;
    const HeadLesson *hl = &ls->heads[ui->head];
    if (h < 5)
        return;
    canvas_text(c, y, 0, -1, msg(MSG_STEP_NEURONS), STYLE_TITLE);
    draw_strip(c, y + 1, 0, c->w, lw, label[0], q, shown, hl->qkv_lo, hl->qkv_hi);
    draw_strip(c, y + 2, 0, c->w, lw, label[1], k, shown, hl->qkv_lo, hl->qkv_hi);
    draw_strip(c, y + 3, 0, c->w, lw, label[2], prod, shown, -lim, lim);
    canvas_printf(c, y + 4, 0, -1, STYLE_LABEL, msg(MSG_STEP_NEURON_SUM), dot, HS,
                  dot / sqrt((double)HS));
}

/* Q | K | V of every token, side by side; the neuron view under them. */
static void draw_qkv(const UiState *ui, const Canvas *c)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    const HeadLesson *hl = &ui->lesson.heads[ui->head];
    const int HS = mc->d_model / mc->num_heads;
    const int lw = map_label_width(&ui->inf, false), each = (c->w - lw) / 3;
    const int neuron_h = c->h >= ui->inf.n_tokens + 9 ? 5 : 0;
    const int map_h = c->h - 1 - neuron_h;
    static const char *const names[3] = {"Q", "K", "V"};
    int used = 0;
    for (int p = 0; p < 3; p++) {
        int x = p == 0 ? 0 : lw + p * each;
        canvas_text(c, 0, x + (p == 0 ? lw : 0), each, names[p], STYLE_TITLE);
        TokenMap tm = {.v = head_qkv(ui, p), .ld = 3 * mc->d_model, .cols = HS, .dims = true,
                       .lo = hl->qkv_lo, .hi = hl->qkv_hi, .row_labels = p == 0,
                       .col_labels = true, .cursor = true, .numbers = true, .cell_max = 6};
        int r = draw_token_map(ui, c, 1, x, map_h, (p == 0 ? lw : 0) + each - 1, &tm);
        used = r > used ? r : used;
    }
    if (neuron_h)
        draw_neurons(ui, c, 1 + used + 1 > c->h - neuron_h ? c->h - neuron_h : 1 + used + 1,
                     neuron_h);
}

/* Row q of the output as its largest terms: "0.71 v[movie] + 0.20 v[great] ...". */
static void output_terms(const UiState *ui, const float *w, char *out, size_t len)
{
    const Inference *inf = &ui->inf;
    int chosen[3];
    size_t n = 0;
    out[0] = '\0';
    for (int term = 0; term < 3; term++) {
        int best = -1;
        for (int k = 0; k < inf->shown; k++) {
            bool taken = false;
            for (int j = 0; j < term; j++)
                taken |= chosen[j] == k;
            if (!taken && (best < 0 || w[k] > w[best]))
                best = k;
        }
        if (best < 0 || w[best] <= 0.0f)
            break;
        chosen[term] = best;
        char word[64];
        token_label(inf, best, false, false, word, sizeof word);
        n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s%.2f v[%s]", term ? " + " : "",
                              (double)w[best], word);
    }
    if (n < len)
        snprintf(out + n, len - n, "%s", " + ...");
}

/* V and the output of every query token, side by side. */
static void draw_output(const UiState *ui, const Canvas *c)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    const Lesson *ls = &ui->lesson;
    const HeadLesson *hl = &ls->heads[ui->head];
    const int HS = mc->d_model / mc->num_heads, lw = map_label_width(&ui->inf, false);
    const int each = (c->w - lw) / 2;
    char terms[256], word[64];
    token_label(&ui->inf, ui->cur_q, false, false, word, sizeof word);
    output_terms(ui, lesson_weights(ls, ui->head, ui->whatif) + (size_t)ui->cur_q * ls->T, terms,
                 sizeof terms);
    canvas_printf(c, 0, 0, -1, STYLE_LABEL, "out[%s] = %s", word, terms);
    canvas_text(c, 1, lw, each, "V", STYLE_TITLE);
    canvas_text(c, 1, lw + each, each, msg(MSG_STEP_OUTPUT_MAP), STYLE_TITLE);
    float lo = hl->out_lo < hl->qkv_lo ? hl->out_lo : hl->qkv_lo;
    float hi = hl->out_hi > hl->qkv_hi ? hl->out_hi : hl->qkv_hi;
    TokenMap v = {.v = head_qkv(ui, 2), .ld = 3 * mc->d_model, .cols = HS, .dims = true, .lo = lo,
                  .hi = hi, .row_labels = true, .col_labels = true, .cursor = true, .numbers = true,
                  .cell_max = 6};
    draw_token_map(ui, c, 2, 0, c->h - 2, lw + each - 1, &v);
    TokenMap o = v;
    o.v = lesson_out(ls, ui->head, ui->whatif);
    o.ld = HS;
    o.row_labels = false;
    draw_token_map(ui, c, 2, lw + each, c->h - 2, each, &o);
}

/* The formula and the figures of a step, on the panel's first line(s). */
static int step_caption(const UiState *ui, const Canvas *c)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    const HeadLesson *hl = &ui->lesson.heads[ui->head];
    const int HS = mc->d_model / mc->num_heads;
    char text[512];
    switch (ui->step) {
    case STEP_QKV:
        snprintf(text, sizeof text, msg(MSG_STEP_QKV_TEXT), HS,
                 (double)ui->lesson.flow_mean[(size_t)ui->layer * FLOW_STAGES + FLOW_IN],
                 (double)hl->sd_q, (double)hl->sd_k);
        break;
    case STEP_RAW:
        snprintf(text, sizeof text, msg(MSG_STEP_RAW_TEXT), (double)hl->sd_raw,
                 (double)hl->raw_lo, (double)hl->raw_hi);
        break;
    case STEP_SCALED:
        snprintf(text, sizeof text, msg(MSG_STEP_SCALED_TEXT), HS, sqrt((double)HS),
                 (double)hl->sd_raw, (double)hl->sd_scaled, (double)hl->max_w_unscaled,
                 (double)hl->max_w_scaled);
        break;
    case STEP_MASK:
        /* the mask drawn: the model's, its causal part toggled by the what-if */
        snprintf(text, sizeof text, "%s", msg(mc->causal != ui->whatif ? MSG_STEP_MASK_CAUSAL
                                              : mc->pad_mask ? MSG_STEP_MASK_PAD
                                                             : MSG_STEP_MASK_NONE));
        break;
    case STEP_SOFTMAX:
        snprintf(text, sizeof text, msg(MSG_STEP_SOFTMAX_TEXT), (double)hl->entropy,
                 (double)hl->entropy_max);
        break;
    default:
        snprintf(text, sizeof text, "%s", msg(MSG_STEP_OUTPUT_TEXT));
    }
    return canvas_text_wrapped(c, 0, 0, c->w, c->w < 100 ? 3 : 2, text, STYLE_NORMAL);
}

/* The score or weight under the cursor, by step. */
static void step_cursor_line(const UiState *ui, const Canvas *c, int y, const TokenMap *tm)
{
    const Inference *inf = &ui->inf;
    char query[64], key[64], val[32];
    token_label(inf, ui->cur_q, false, true, query, sizeof query);
    token_label(inf, ui->cur_k, false, true, key, sizeof key);
    bool masked = tm->mask != MAP_MASK_NONE &&
                  infer_masked(inf, ui->cur_q, ui->cur_k, tm->mask == MAP_MASK_WHATIF);
    float v = tm->v[(size_t)ui->cur_q * tm->ld + ui->cur_k] * (tm->scale != 0.0f ? tm->scale : 1.0f);
    if (masked && tm->inf_text)
        snprintf(val, sizeof val, "%s", c->theme->utf8 ? "-\u221e" : "-inf");
    else if (masked)
        snprintf(val, sizeof val, "%s", msg(MSG_MASKED));
    else
        snprintf(val, sizeof val, "%.3f", (double)v);
    canvas_printf(c, y, 0, -1, STYLE_LABEL, "%s %d \"%s\" -> %s %d \"%s\" = %s", msg(MSG_QUERY),
                  ui->cur_q + 1, query, msg(MSG_KEYCOL), ui->cur_k + 1, key, val);
}

/* The (T, T) map a step shows. */
static TokenMap step_map(const UiState *ui, AttentionStep step)
{
    const Lesson *ls = &ui->lesson;
    const HeadLesson *hl = &ls->heads[ui->head];
    const float root = sqrtf((float)ls->HS);
    TokenMap tm = token_map_weights(ui, lesson_scores(ls, ui->head), ui->whatif);
    tm.cursor = tm.numbers = true;
    tm.lo = hl->raw_lo / root;
    tm.hi = hl->raw_hi / root;
    switch (step) {
    case STEP_RAW:
        tm.scale = root;
        tm.lo = hl->raw_lo, tm.hi = hl->raw_hi;
        tm.mask = MAP_MASK_NONE;
        break;
    case STEP_SCALED:
        tm.mask = MAP_MASK_NONE;
        break;
    case STEP_MASK:
        tm.inf_text = true;
        break;
    default: /* the weights */
        tm.v = lesson_weights(ls, ui->head, ui->whatif);
        tm.lo = 0.0f, tm.hi = 1.0f;
    }
    return tm;
}

/* The colour scale of a map (and the masked cell's look) in w columns from x. */
static void draw_map_legend(const Canvas *c, int y, int x, int w, const TokenMap *tm)
{
    char range[64];
    snprintf(range, sizeof range, "%.3g .. %.3g", (double)tm->lo, (double)tm->hi);
    canvas_text(c, y, x, w, range, STYLE_DIM);
    plot_heat_legend(c, y + 1, x, w - 1, tm->lo, tm->hi);
    if (tm->mask != MAP_MASK_NONE) {
        plot_heat_cell(c, y + 3, x, 2, 0, 0, 1, true);
        canvas_text(c, y + 3, x + 3, w - 3, msg(MSG_MASKED), STYLE_DIM);
    }
}

/* Columns a (T, T) map takes with cells wide enough for numbers. */
static int map_width_with_numbers(const UiState *ui)
{
    return map_label_width(&ui->inf, false) + ui->inf.shown * 7;
}

/* A (T, T) step: the cursor's value, the map (after the previous step's map
 * when the terminal is wide enough for both with numbers), its colour scale. */
static void draw_matrix_step(const UiState *ui, const Canvas *c)
{
    TokenMap tm = step_map(ui, ui->step);
    step_cursor_line(ui, c, 0, &tm);
    const int legend_w = 22, need = map_width_with_numbers(ui);
    int x = 0, w = c->w - (c->w >= 70 ? legend_w + 2 : 0);
    if (ui->step > STEP_RAW && 2 * need + 2 <= w) {
        TokenMap before = step_map(ui, (AttentionStep)(ui->step - 1));
        static const MsgId names[STEP_COUNT] = {MSG_STEP_QKV, MSG_STEP_RAW, MSG_STEP_SCALED,
                                                MSG_STEP_MASK, MSG_STEP_SOFTMAX, MSG_STEP_OUTPUT};
        canvas_printf(c, 1, 0, need, STYLE_DIM, "%s:", msg(names[ui->step - 1]));
        canvas_printf(c, 1, need + 2, need, STYLE_TITLE, "%s:", msg(names[ui->step]));
        before.cursor = false;
        draw_token_map(ui, c, 2, 0, c->h - 2, need, &before);
        x = need + 2;
        w = need;
        tm.row_labels = false;
        draw_token_map(ui, c, 2, x, c->h - 2, w, &tm);
    } else {
        draw_token_map(ui, c, 1, 0, c->h - 1, w, &tm);
    }
    if (c->w >= 70)
        draw_map_legend(c, 1, c->w - legend_w, legend_w, &tm);
}

void draw_step_panel(const UiState *ui, const Canvas *c)
{
    if (!ui->inf.valid || !ui->lesson.valid) {
        canvas_text(c, 0, 0, -1, msg(no_prediction_msg(ui, ui->editing ? MSG_TYPE_SENTENCE : MSG_EMPTY_SENTENCE)), STYLE_DIM);
        return;
    }
    int top = step_caption(ui, c);
    Canvas body = canvas_sub(c, top, 0, c->h - top, c->w);
    if (ui->step == STEP_QKV)
        draw_qkv(ui, &body);
    else if (ui->step == STEP_OUTPUT)
        draw_output(ui, &body);
    else
        draw_matrix_step(ui, &body);
}
