/* View 1 (notebook 5): live loss and accuracy curves (step numbers on the x
 * axis, the loss on a log scale with g), status, epoch progress; a checkpoint
 * just opened shows its own figures instead until training starts; the
 * notebook's sentences and the typed one as the model predicts them now and
 * the learning-rate schedule (view_examples.c), below the curves on a large
 * terminal (with the sentence's attention map when there is room), else on
 * page 2 (v). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "plot.h"
#include "views.h"

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
    if (ui->inf.lm && info->val_step >= 0 && info->val_loss == info->val_loss) /* no accuracy */
        row += canvas_printf(c, row, x, w, STYLE_GOOD, msg(MSG_CKPT_VAL_LM), (double)info->val_loss,
                             exp((double)info->val_loss), info->val_step) > 0;
    else if (info->val_step >= 0 && info->val_loss == info->val_loss) /* loss recorded */
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
    if (!ui->inf.lm)
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
    char loss[96], second[128];
    snprintf(loss, sizeof loss, "%s%s", msg(MSG_LOSS), ui->loss_log ? msg(MSG_LOG_SCALE) : "");
    /* a language model: bits per character (in the accuracy curves, see
     * snapshot.h), the perplexities in the title; no best marked by accuracy */
    if (p->is_lm) {
        snprintf(second, sizeof second, "%s  ", msg(MSG_BPC));
        size_t used = strlen(second);
        snprintf(second + used, sizeof second - used, msg(MSG_TRAIN_FIGURES_LM),
                 (double)p->ppl_avg, (double)p->bpc_avg);
        best_step = -1;
    } else {
        snprintf(second, sizeof second, "%s", msg(MSG_ACCURACY));
    }
    bool beside = c->w >= 90;
    int lw = beside ? c->w / 2 : c->w, lh = beside ? ch : ch / 2;
    draw_curves(c, top, 0, lh, lw, loss, &s->train_loss, &s->val_loss, false, -1, 0.0f, ui->loss_log);
    draw_curves(c, beside ? top : top + lh, beside ? lw : 0, beside ? ch : ch - lh, c->w - (beside ? lw : 0),
                second, &s->train_acc, &s->val_acc, !p->is_lm, best_step, p->best_val_acc, false);
}

/* The typed sentence's map and prediction in h rows (the examples' table has
 * the prediction too: here the head's weights). */
static void draw_sentence_map(const UiState *ui, const Canvas *c)
{
    const ModelConfig *mc = &ui->inf.model->cfg;
    canvas_printf(c, 0, 0, -1, STYLE_TITLE, "%s %d/%d  %s %d/%d", msg(MSG_LAYER), ui->layer + 1,
                  mc->num_layers, msg(MSG_HEAD), ui->head + 1, mc->num_heads);
    draw_attention_map(ui, c, 1, 0, c->h - 1, c->w, ui->layer, ui->head, true, false);
}

/* Below the curves (or on pages 2 and 3, `only` then says which panel: 1 the
 * table, 2 the schedule, 0 both): the examples' table, the schedule, and on a
 * large terminal the sentence's line and map. */
static void draw_lessons(const UiState *ui, const Canvas *c, bool large, int only)
{
    int y = 0;
    if (large)
        draw_sentence_line(ui, c, y++);
    bool beside = c->w >= 100;
    int table_w = beside ? c->w / 2 + 8 : c->w, table_h = only == 2 ? 0 : examples_rows(ui);
    if (only != 2) {
        Canvas table = canvas_sub(c, y, 0, table_h, table_w);
        draw_examples(ui, &table);
    }
    if (only == 1)
        return;
    int lx = beside ? table_w + 2 : 0, ly = beside || only == 2 ? y : y + table_h + 1;
    int lr_h = c->h - ly, map_h = 0;
    if (large && beside && lr_h >= 16) { /* room for the map under the schedule */
        map_h = lr_h - 8;
        lr_h = 8;
    }
    Canvas lr = canvas_sub(c, ly, lx, lr_h, c->w - lx);
    draw_lr_schedule(ui, &lr);
    if (map_h > 0) {
        Canvas map = canvas_sub(c, ly + lr_h, lx, map_h, c->w - lx);
        draw_sentence_map(ui, &map);
    }
}

/* Rows the lessons' panels take below the curves on a large terminal: from 50
 * rows on, 10 more, for the sentence's map under the schedule. */
static int lessons_rows(const UiState *ui, int h) { return 1 + examples_rows(ui) + (h >= 50 ? 10 : 0); }

/* The schedule needs 5 rows under the table, or the width to stand beside it. */
#define LR_MIN_H 5

int view_dashboard_pages(const UiState *ui, int h, int w)
{
    if (dashboard_is_large(h, w))
        return 1;
    return w >= 100 || h - 2 >= examples_rows(ui) + 1 + LR_MIN_H ? 2 : 3;
}

void view_dashboard_draw(const UiState *ui, const Canvas *c)
{
    draw_status_line(ui, c, 0);
    draw_epoch_bar(ui, c, 1);
    int top = 2, page = ui->page[VIEW_DASHBOARD];
    bool large = dashboard_is_large(c->h, c->w);
    if (!large && page > 0) {
        Canvas rest = canvas_sub(c, top, 0, c->h - top, c->w);
        int pages = view_dashboard_pages(ui, c->h, c->w);
        draw_lessons(ui, &rest, false, pages == 2 ? 0 : page);
        return;
    }
    int bottom_h = large ? lessons_rows(ui, c->h) : 0;
    int ch = c->h - top - bottom_h;
    if (shows_checkpoint(ui))
        draw_checkpoint_card(ui, c, top, ch);
    else
        draw_boxes(ui, c, top, ch);
    if (large) {
        Canvas rest = canvas_sub(c, c->h - bottom_h, 0, bottom_h, c->w);
        draw_lessons(ui, &rest, true, 0);
    }
}
