/* The dashboard's lesson panels (notebook 5): the notebook's example
 * sentences and the typed one with what the model predicts now (a confidence
 * bar each, right or wrong against the notebook's label), refreshed as the
 * weights arrive; the learning-rate schedule over the run with the current
 * step marked. */
#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "plot.h"
#include "views.h"

/* Widest sentence and class columns of the table. */
#define EXAMPLE_TEXT_MAX 28
#define EXAMPLE_CLASS_MAX 12

/* The title, the header, the examples, the typed sentence and what the model
 * makes of its words (unknown, cut at max_len). */
/* A language model has no example sentences: the sample of its prompt instead. */
#define LM_SAMPLE_ROWS 6

int examples_rows(const UiState *ui) { return ui->inf.lm ? LM_SAMPLE_ROWS : ui->examples.n + 4; }

/* One row: the sentence, the expected class (when known), the prediction and
 * its confidence bar, and whether it is right. */
static void draw_example_row(const Canvas *c, int y, int tw, int cw, const char *text,
                             const char *expected, const char *predicted, float confidence,
                             int right)
{
    const bool utf8 = c->theme->utf8;
    /* without a label (the typed sentence) the text has the label's room too */
    int room = expected ? tw : tw + 1 + cw, used = canvas_text(c, y, 0, room, text, STYLE_LABEL);
    if (used < text_width(text))
        canvas_put(c, y, used - 1, utf8 ? L'\x2026' : L'>', STYLE_DIM);
    if (expected)
        canvas_text(c, y, tw + 1, cw, expected, STYLE_DIM);
    int style = right > 0 ? STYLE_GOOD : right == 0 ? STYLE_BAD : STYLE_LABEL;
    canvas_text(c, y, tw + cw + 2, cw, predicted, style);
    int bx = tw + 2 * cw + 3, bw = c->w - bx - 10;
    if (bw >= 4)
        plot_bar(c, y, bx, bw, confidence, style == STYLE_LABEL ? STYLE_BAR : style, STYLE_BAR_EMPTY);
    canvas_printf(c, y, bx + (bw >= 4 ? bw : 0) + 1, 6, style, "%5.1f%%", (double)confidence * 100.0);
    if (right >= 0)
        canvas_text(c, y, c->w - 2, 2, right ? (utf8 ? "\u2713" : "ok") : (utf8 ? "\u2717" : "x"),
                    style);
}

void draw_examples(const UiState *ui, const Canvas *c)
{
    if (ui->inf.lm) {
        draw_gen_sample(ui, c, 0, c->h);
        return;
    }
    const Examples *ex = &ui->examples;
    const Inference *inf = &ui->inf;
    int right = 0, known = 0;
    for (int i = 0; i < ex->n && ex->valid; i++)
        if (ex->expected[i] >= 0) {
            known++;
            right += ex->predicted[i] == ex->expected[i];
        }
    int x = canvas_printf(c, 0, 0, -1, STYLE_TITLE, msg(MSG_EXAMPLES_TITLE), inf->weights_step);
    if (known > 0)
        canvas_printf(c, 0, x + 2, -1, right == known ? STYLE_GOOD : STYLE_LABEL,
                      msg(MSG_EXAMPLES_RIGHT), right, known);
    int tw = 8, cw = 5;
    for (int i = 0; i < ex->n; i++)
        tw = text_width(ex->toy->text[i]) > tw ? text_width(ex->toy->text[i]) : tw;
    for (int k = 0; k < inf->num_labels; k++)
        cw = text_width(inf->labels[k]) > cw ? text_width(inf->labels[k]) : cw;
    tw = tw > EXAMPLE_TEXT_MAX ? EXAMPLE_TEXT_MAX : tw;
    cw = cw > EXAMPLE_CLASS_MAX ? EXAMPLE_CLASS_MAX : cw;
    canvas_printf(c, 1, 0, -1, STYLE_DIM, "%-*s %-*s %-*s %s", tw, msg(MSG_EXAMPLES_SENTENCE), cw,
                  msg(MSG_EXAMPLES_LABEL), cw, msg(MSG_EXAMPLES_PREDICTED), msg(MSG_EXAMPLES_CONF));
    for (int i = 0; i < ex->n && 2 + i < c->h; i++) {
        if (!ex->valid) { /* before the first weights arrive */
            canvas_printf(c, 2 + i, 0, -1, STYLE_LABEL, "%-*.*s %-*s -", tw, tw, ex->toy->text[i], cw,
                          examples_label(ex, i));
            continue;
        }
        int p = ex->predicted[i];
        draw_example_row(c, 2 + i, tw, cw, ex->toy->text[i], examples_label(ex, i), inf->labels[p],
                         ex->probs[(size_t)i * ex->K + p],
                         ex->expected[i] < 0 ? -1 : p == ex->expected[i]);
    }
    int y = 2 + ex->n;
    if (y >= c->h)
        return;
    if (inf->valid) {
        char yours[UI_SENTENCE_MAX + 16];
        snprintf(yours, sizeof yours, msg(MSG_EXAMPLES_YOURS), ui->sentence);
        draw_example_row(c, y, tw, cw, yours, NULL, inf->labels[inf->predicted],
                         inf->probs[inf->predicted], -1);
        char notice[256];
        sentence_notice(ui, notice, sizeof notice);
        canvas_text(c, y + 1, 2, -1, notice, STYLE_WARN);
    } else {
        canvas_text(c, y, 0, -1, msg(no_prediction_msg(ui, MSG_EMPTY_SENTENCE)),
                    ui->inf.nonfinite ? STYLE_WARN : STYLE_DIM);
    }
}

/* The planned learning rate over the run's steps (times the +/- scale), the
 * step and rate of now marked. */
void draw_lr_schedule(const UiState *ui, const Canvas *c)
{
    const TrainProgress *p = &ui->snap.progress;
    char title[128];
    snprintf(title, sizeof title, msg(MSG_LR_TITLE),
             msg(ui->schedule.kind == LR_WARMUP_COSINE ? MSG_LR_COSINE : MSG_LR_CONSTANT));
    plot_box(c, 0, 0, c->h, c->w, title, STYLE_FRAME);
    if (c->h < 4 || c->w < 20 || ui->lr_points < 2)
        return;
    float hi = 0.0f;
    for (int i = 0; i < ui->lr_points; i++)
        hi = ui->lr_plan[i] > hi ? ui->lr_plan[i] : hi;
    hi = hi > 0.0f ? hi * 1.05f : 1e-3f;
    char top[16];
    snprintf(top, sizeof top, "%.2g", (double)hi);
    int lw = (int)strlen(top), px = 1 + lw + 1, pw = c->w - 2 - lw - 1, ph = c->h - 2;
    canvas_text(c, 1, 1, lw, top, STYLE_DIM);
    canvas_text(c, ph, 1, lw, "0", STYLE_DIM);
    float x_hi = ui->lr_step[ui->lr_points - 1];
    plot_line(c, 1, px, ph, pw, ui->lr_step, ui->lr_plan, ui->lr_points, 0, x_hi, 0.0f, hi,
              STYLE_CURVE_TRAIN);
    plot_marker(c, 1, px, ph, pw, (float)p->step, p->lr, 0, x_hi, 0.0f, hi, STYLE_GOOD);
    char now[64];
    int nw = snprintf(now, sizeof now, msg(MSG_LR_NOW), (double)p->lr, p->step);
    canvas_text(c, ph, c->w - 2 - nw, nw, now, STYLE_GOOD); /* over the plot's bottom right */
    draw_x_ticks(c, c->h - 1, px, pw, x_hi, NULL);
}
