/* View 1: live loss and accuracy curves, status, epoch progress; a checkpoint
 * just opened shows its own figures instead until training starts; on a large
 * terminal also the sentence, an attention map and the prediction. */
#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "plot.h"
#include "views.h"

/* Rows of the sentence, map and prediction below the curves on a large terminal. */
#define DASHBOARD_BOTTOM_H 10

bool dashboard_is_large(int h, int w) { return h >= 30 && w >= 100; }

/* The opened checkpoint's figures, until a step is taken or `r` starts again. */
static bool shows_checkpoint(const UiState *ui)
{
    return ui->checkpoint[0] && ui->snap.steps_run == 0 && ui->snap.resets == 0;
}

static void draw_checkpoint_card(const UiState *ui, const Canvas *c, int y, int h)
{
    const CheckpointInfo *info = &ui->ckpt_info;
    const char *slash = strrchr(ui->checkpoint, '/');
    const char *base = slash ? slash + 1 : ui->checkpoint;
    char title[300];
    snprintf(title, sizeof title, msg(MSG_CKPT_TITLE), base);
    plot_box(c, y, 0, h, c->w, title, STYLE_FRAME);
    int row = y + 2, x = 3, w = c->w - 6;
    if (base != ui->checkpoint)
        row += canvas_text(c, row, x, w, ui->checkpoint, STYLE_DIM) > 0;
    if (info->step >= 0)
        row += canvas_printf(c, row, x, w, STYLE_LABEL, msg(MSG_CKPT_STEP), info->step,
                             info->total_steps >= 0 ? info->total_steps : info->step) > 0;
    if (info->val_step >= 0 && info->val_loss == info->val_loss) /* loss recorded */
        row += canvas_printf(c, row, x, w, STYLE_GOOD, msg(MSG_CKPT_VAL), (double)info->val_acc * 100.0,
                             (double)info->val_loss, info->val_step) > 0;
    else if (info->val_step >= 0)
        row += canvas_printf(c, row, x, w, STYLE_GOOD, msg(MSG_CKPT_VAL_ACC),
                             (double)info->val_acc * 100.0, info->val_step) > 0;
    if (info->data[0])
        row += canvas_printf(c, row, x, w, STYLE_LABEL, msg(MSG_CKPT_DATA), info->data) > 0;
    if (info->step < 0 && info->val_step < 0)
        row += canvas_text(c, row, x, w, msg(MSG_CKPT_NO_INFO), STYLE_DIM) > 0;
    char classes[256] = "";
    for (int k = 0; k < ui->inf.num_labels; k++) {
        size_t used = strlen(classes);
        snprintf(classes + used, sizeof classes - used, "%s%s", k ? ", " : "", ui->inf.labels[k]);
    }
    row += canvas_printf(c, row, x, w, STYLE_LABEL, msg(MSG_CKPT_CLASSES), classes) > 0;
    const TrainProgress *p = &ui->snap.progress;
    char next[512];
    if (p->step >= p->total_steps)
        snprintf(next, sizeof next, msg(MSG_CKPT_COMPLETE), p->step, p->total_steps);
    else
        snprintf(next, sizeof next, msg(MSG_CKPT_SPACE), ui->data_name);
    canvas_text_wrapped(c, row + 1, x, w, y + h - row - 2, next, STYLE_WARN);
}

static void draw_boxes(const UiState *ui, const Canvas *c, int top, int ch)
{
    const SnapshotData *s = &ui->snap;
    const TrainProgress *p = &s->progress;
    long best_step = p->has_val ? p->best_step : -1; /* none before validation */
    if (c->w >= 90) {
        int lw = c->w / 2;
        draw_curves(c, top, 0, ch, lw, msg(MSG_LOSS), &s->train_loss, &s->val_loss, false,
                    -1, 0.0f);
        draw_curves(c, top, lw, ch, c->w - lw, msg(MSG_ACCURACY), &s->train_acc, &s->val_acc, true,
                    best_step, p->best_val_acc);
    } else {
        int lh = ch / 2;
        draw_curves(c, top, 0, lh, c->w, msg(MSG_LOSS), &s->train_loss, &s->val_loss, false,
                    -1, 0.0f);
        draw_curves(c, top + lh, 0, ch - lh, c->w, msg(MSG_ACCURACY), &s->train_acc, &s->val_acc,
                    true, best_step, p->best_val_acc);
    }
}

/* The sentence, one head's map and the prediction, in the bottom h rows. */
static void draw_sentence_panel(const UiState *ui, const Canvas *c, int y, int h)
{
    draw_sentence_line(ui, c, y);
    const ModelConfig *mc = &ui->inf.model->cfg;
    int mw = c->w / 2;
    canvas_printf(c, y + 1, 0, mw, STYLE_TITLE, "%s %d/%d  %s %d/%d", msg(MSG_LAYER), ui->layer + 1,
                  mc->num_layers, msg(MSG_HEAD), ui->head + 1, mc->num_heads);
    draw_attention_map(ui, c, y + 2, 0, h - 2, mw - 2, ui->layer, ui->head, true, false);
    int x = mw + canvas_text(c, y + 1, mw, -1, msg(MSG_PREDICTION), STYLE_TITLE) + 2;
    char notice[256];
    sentence_notice(ui, notice, sizeof notice);
    canvas_text(c, y + 1, x, -1, notice, STYLE_WARN);
    draw_class_bars(ui, c, y + 2, mw, c->w - mw, h - 2);
}

void view_dashboard_draw(const UiState *ui, const Canvas *c)
{
    draw_status_line(ui, c, 0);
    draw_epoch_bar(ui, c, 1);
    int top = 2;
    bool large = dashboard_is_large(c->h, c->w);
    int bottom_h = large ? DASHBOARD_BOTTOM_H : 0;
    int ch = c->h - top - bottom_h;
    if (shows_checkpoint(ui))
        draw_checkpoint_card(ui, c, top, ch);
    else
        draw_boxes(ui, c, top, ch);
    if (large)
        draw_sentence_panel(ui, c, c->h - bottom_h, bottom_h);
}
