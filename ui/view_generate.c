/* View 5 (a language model): the prompt and the text generated after it, the
 * next token's distribution (the 10 most probable, under the model and as the
 * sampler draws), the causal attention of the text in the key/value cache (the
 * triangle), and the fixed prompt's sample refreshed while training. It draws
 * ui->gen (gen.h) as the main loop and the keys left it. */
#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "plot.h"
#include "src/lm_generate.h"
#include "views.h"

/* Columns of a token's label in the bars and the triangle's rows. */
#define GEN_LABEL_W 6

/* Lays the text out (prompt dim, generated normal) by characters in c's
 * width, a newline as a sign that ends its row; draws the rows from `skip` on
 * at row y when c is not NULL. Returns the rows the whole text takes. */
static int layout_text(const UiState *ui, const Canvas *c, int w, int y, int skip)
{
    const GenState *gs = &ui->gen;
    int row = 0, col = 0;
    for (int i = 0; i < gs->n_history; i++) {
        const char *t = lm_token_text(ui->inf.vocab, gs->history[i]);
        bool newline = strcmp(t, "\n") == 0;
        int tw = newline ? 1 : text_width(t);
        if (col + tw > w)
            row++, col = 0;
        if (c && row >= skip && newline)
            canvas_put(c, y + row - skip, col, c->theme->utf8 ? L'\x21b5' : L'|', STYLE_DIM);
        else if (c && row >= skip)
            canvas_text(c, y + row - skip, col, tw, t, i < gs->n_prompt ? STYLE_DIM : STYLE_NORMAL);
        col += tw;
        if (newline)
            row++, col = 0;
    }
    return row + 1;
}

/* The text in h rows from row y: its last rows when it is longer. */
static void draw_text(const UiState *ui, const Canvas *c, int y, int h)
{
    int rows = layout_text(ui, NULL, c->w, 0, 0);
    layout_text(ui, c, c->w, y, rows > h ? rows - h : 0);
}

/* The 10 most probable next tokens: bar of p under the model, p, p drawn. */
static void draw_bars(const UiState *ui, const Canvas *c)
{
    const GenState *gs = &ui->gen;
    canvas_text(c, 0, 0, -1, msg(MSG_GEN_BARS), STYLE_TITLE);
    int bw = c->w - GEN_LABEL_W - 16;
    for (int i = 0; gs->valid && i < gs->n_top && 1 + i < c->h && bw >= 4; i++) {
        int id = gs->top[i];
        char label[32];
        gen_token_label(ui->inf.vocab, id, label, sizeof label);
        int style = i == 0 ? STYLE_GOOD : STYLE_LABEL;
        canvas_text(c, 1 + i, 0, GEN_LABEL_W, label, style);
        plot_bar(c, 1 + i, GEN_LABEL_W + 1, bw, gs->probs[id], i == 0 ? STYLE_GOOD : STYLE_BAR,
                 STYLE_BAR_EMPTY);
        canvas_printf(c, 1 + i, GEN_LABEL_W + 2 + bw, 15, style, "%5.1f%% %6.1f%%",
                      (double)gs->probs[id] * 100.0, (double)gs->sampled[id] * 100.0);
    }
}

/* The causal attention of the last tokens in the cache: row = query, column
 * = key, the keys after each query masked. */
static void draw_triangle(const UiState *ui, const Canvas *c)
{
    const GenState *gs = &ui->gen;
    const ModelConfig *mc = &ui->inf.model->cfg;
    int P = gs->g && gs->valid ? generator_position(gs->g) : 0;
    int cell = c->w - GEN_LABEL_W >= 2 * 8 ? 2 : 1;
    int n = (c->w - GEN_LABEL_W) / cell, rows = c->h - 2;
    n = n < rows ? n : rows;
    n = n < P ? n : P;
    canvas_printf(c, 0, 0, -1, STYLE_TITLE, msg(MSG_GEN_CAUSAL), ui->layer + 1, mc->num_layers,
                  ui->head + 1, mc->num_heads);
    if (n <= 0)
        return;
    const float *att = generator_attention(gs->g, ui->layer); /* (NH, maxc, maxc) */
    int maxc = generator_max_context(gs->g), first = P - n;
    const float *head = att + (size_t)ui->head * maxc * maxc;
    char label[32];
    for (int j = 0; j < n; j++) { /* column labels: the key's character */
        const char *t = lm_token_text(ui->inf.vocab, gs->history[gs->window + first + j]);
        canvas_text(c, 1, GEN_LABEL_W + j * cell, 1, strcmp(t, "\n") && strcmp(t, " ") ? t : "_",
                    STYLE_LABEL);
    }
    for (int i = 0; i < n; i++) {
        int q = first + i;
        gen_token_label(ui->inf.vocab, gs->history[gs->window + q], label, sizeof label);
        canvas_text(c, 2 + i, 0, GEN_LABEL_W - 1, label, STYLE_LABEL);
        for (int j = 0; j < n; j++) {
            int k = first + j;
            plot_heat_cell(c, 2 + i, GEN_LABEL_W + j * cell, cell, head[(size_t)q * maxc + k], 0.0f,
                           1.0f, k > q);
        }
    }
}

int draw_gen_sample(const UiState *ui, const Canvas *c, int y, int h)
{
    const GenState *gs = &ui->gen;
    if (h < 2 || gs->sample_version < 0)
        return 0;
    canvas_printf(c, y, 0, -1, STYLE_TITLE, msg(MSG_GEN_SAMPLE), gs->sample_step, GEN_SAMPLE_EVERY_S_INT);
    char flat[GEN_SAMPLE_MAX * 3];
    size_t n = 0;
    for (const char *p = gs->sample; *p && n + 4 < sizeof flat; p++) {
        if (*p == '\n') {
            memcpy(flat + n, " | ", 3);
            n += 3;
        } else {
            flat[n++] = *p;
        }
    }
    flat[n] = '\0';
    return 1 + canvas_text_wrapped(c, y + 1, 0, c->w, h - 1, flat, STYLE_NORMAL);
}

void view_generate_draw(const UiState *ui, const Canvas *c)
{
    const GenState *gs = &ui->gen;
    draw_sentence_line(ui, c, 0);
    int x = canvas_printf(c, 1, 0, -1, STYLE_LABEL, msg(MSG_GEN_SETTINGS), (double)gs->sampling.temperature,
                          gs->sampling.top_k, (unsigned long long)gs->seed, ui->inf.weights_step);
    if (gs->streaming)
        canvas_text(c, 1, x + 2, -1, msg(MSG_GEN_STREAMING), STYLE_WARN);
    else if (gs->n_history >= GEN_HISTORY_MAX)
        canvas_text(c, 1, x + 2, -1, msg(MSG_GEN_FULL), STYLE_WARN);
    canvas_printf(c, 2, 0, -1, STYLE_TITLE, msg(MSG_GEN_TEXT), gen_generated(gs));
    /* a tall terminal gives its rows to the triangle, the text keeps 6 */
    int sample_h = c->h >= 30 ? 5 : 3, lower_h = 12;
    int text_h = c->h - 3 - lower_h - sample_h;
    text_h = text_h < 2 ? 2 : text_h > 6 ? 6 : text_h;
    Canvas text = canvas_sub(c, 3, 0, text_h, c->w);
    draw_text(ui, &text, 0, text_h);
    int ly = 3 + text_h, lh = c->h - ly - sample_h;
    int bars_w = c->w >= 100 ? 56 : c->w / 2;
    Canvas bars = canvas_sub(c, ly, 0, lh, bars_w - 1);
    draw_bars(ui, &bars);
    Canvas tri = canvas_sub(c, ly, bars_w + 1, lh, c->w - bars_w - 1);
    draw_triangle(ui, &tri);
    draw_gen_sample(ui, c, ly + lh, c->h - ly - lh);
}
