/* View 2: the sentence's input line, which layer and head, and one of three
 * panels: the step panel (self-attention step by step, view_steps.c), every
 * head of the layer side by side, or one query token's weights in every head
 * (view_heads.c); then what the model makes of the words (unknown, cut at
 * max_len) and the class probabilities. */
#include <stdio.h>

#include "lang.h"
#include "plot.h"
#include "views.h"

static const MsgId step_names[STEP_COUNT] = {MSG_STEP_QKV, MSG_STEP_RAW, MSG_STEP_SCALED,
                                             MSG_STEP_MASK, MSG_STEP_SOFTMAX, MSG_STEP_OUTPUT};

/* "Q,K,V > QK^T > /sqrt(d_k) > mask > [softmax] > .V" with the current step in
 * brackets and reverse video; numbered and shortened when narrow. */
static void draw_step_bar(const UiState *ui, const Canvas *c, int y, int w)
{
    const char *sep = c->theme->utf8 ? " \u203a " : " > ";
    for (int pass = 0; pass < 2; pass++) { /* names; then only the current one's */
        int total = 0;
        for (int s = 0; s < STEP_COUNT; s++)
            total += (pass == 0 || s == (int)ui->step ? text_width(msg(step_names[s])) : 1) + 2 +
                     (s ? text_width(sep) : 0);
        if (total > w && pass == 0)
            continue;
        int x = 0;
        for (int s = 0; s < STEP_COUNT; s++) {
            bool current = s == (int)ui->step;
            if (s)
                x += canvas_text(c, y, x, w - x, sep, STYLE_DIM);
            char label[64];
            if (pass == 0 || current)
                snprintf(label, sizeof label, "%s%s%s", current ? "[" : "", msg(step_names[s]),
                         current ? "]" : "");
            else
                snprintf(label, sizeof label, "%d", s + 1);
            x += canvas_text(c, y, x, w - x, label, current ? STYLE_TAB : STYLE_LABEL);
        }
        return;
    }
}

/* Row 2: the panel's name or the step bar; the what-if, marked. */
static void draw_panel_line(const UiState *ui, const Canvas *c, int y)
{
    const char *whatif = msg(ui->inf.model->cfg.causal ? MSG_WHATIF_NOT_CAUSAL : MSG_WHATIF_CAUSAL);
    int ww = ui->whatif ? text_width(whatif) + 2 : 0;
    if (ui->panel == PANEL_HEADS)
        canvas_text(c, y, 0, c->w - ww, msg(MSG_PANEL_HEADS), STYLE_TITLE);
    else if (ui->panel == PANEL_FOCUS)
        canvas_text(c, y, 0, c->w - ww, msg(MSG_PANEL_FOCUS), STYLE_TITLE);
    else if (ui->panel == PANEL_TOKENS)
        canvas_text(c, y, 0, c->w - ww, msg(MSG_PANEL_TOKENS), STYLE_TITLE);
    else if (ui->panel == PANEL_MERGES)
        canvas_text(c, y, 0, c->w - ww, msg(MSG_PANEL_MERGES), STYLE_TITLE);
    else
        draw_step_bar(ui, c, y, c->w - ww);
    if (ui->whatif)
        canvas_text(c, y, c->w - ww + 2, -1, whatif, STYLE_WARN);
}

/* Next tokens a language model's prediction lists below the panel. */
#define LM_BARS 3

/* Rows above the panel: the input line, layer and head, the pieces (BPE), the
 * panel's name or the step bar. */
static int header_rows(const UiState *ui)
{
    return vocab_bpe(ui->inf.vocab) ? 4 : 3;
}

/* Rows of the prediction below the panel (its title included); 0 when the
 * panel would keep fewer than 12 rows in a body of h rows. */
static int bars_rows(const UiState *ui, int h)
{
    int bars_h = (ui->inf.lm ? LM_BARS : ui->inf.num_labels) + 1; /* lm: the next tokens */
    return h - header_rows(ui) - bars_h >= 12 ? bars_h : 0;
}

int attention_panel_rows(const UiState *ui, int h)
{
    return h - header_rows(ui) - bars_rows(ui, h);
}

void view_attention_draw(const UiState *ui, const Canvas *c)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    const Inference *inf = &ui->inf;
    draw_sentence_line(ui, c, 0);
    int x = canvas_printf(c, 1, 0, -1, STYLE_TITLE, "%s %d/%d  %s %d/%d", msg(MSG_LAYER),
                          ui->layer + 1, mc->num_layers, msg(MSG_HEAD), ui->head + 1, mc->num_heads);
    char notice[256], step[64];
    sentence_notice(ui, notice, sizeof notice);
    snprintf(step, sizeof step, "  (%s %ld)", msg(MSG_WEIGHTS_OF_STEP), inf->weights_step);
    /* what the model makes of the words first: the weights' step when room is left */
    if (!notice[0] || x + text_width(step) + 2 + text_width(notice) <= c->w)
        x += canvas_text(c, 1, x, -1, step, STYLE_DIM);
    canvas_text(c, 1, x + 2, -1, notice, STYLE_WARN);
    int y = 2;
    if (vocab_bpe(inf->vocab)) /* the pieces above the map, whatever the panel */
        draw_pieces_line(ui, c, y++);
    draw_panel_line(ui, c, y++);
    /* the prediction at the bottom when the panel keeps 12 rows */
    int bars_h = bars_rows(ui, c->h);
    Canvas panel = canvas_sub(c, y, 0, attention_panel_rows(ui, c->h), c->w);
    switch (ui->panel) {
    case PANEL_HEADS: draw_heads_panel(ui, &panel); break;
    case PANEL_FOCUS: draw_focus_panel(ui, &panel); break;
    case PANEL_TOKENS: draw_tokens_panel(ui, &panel); break;
    case PANEL_MERGES: draw_merges_panel(ui, &panel); break;
    default: draw_step_panel(ui, &panel); break;
    }
    if (!bars_h)
        return;
    int by = c->h - bars_h + 1;
    canvas_text(c, by - 1, 0, -1, msg(inf->lm ? MSG_NEXT_TOKEN : MSG_PREDICTION), STYLE_TITLE);
    draw_class_bars(ui, c, by, 0, c->w < 80 ? c->w : 80, bars_h - 1);
}
