/* View 1: live loss and accuracy curves, status, epoch progress; on a large
 * terminal also an attention map and the prediction for the sentence. */
#include "lang.h"
#include "plot.h"
#include "views.h"

void view_dashboard_draw(const UiState *ui, const Canvas *c)
{
    draw_status_line(ui, c, 0);
    draw_epoch_bar(ui, c, 1);
    int top = 2;
    bool large = c->h >= 30 && c->w >= 100;
    int bottom_h = large ? 10 : 0;
    int ch = c->h - top - bottom_h;
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
    if (!large)
        return;
    int y = c->h - bottom_h;
    draw_sentence_line(ui, c, y);
    const ModelConfig *mc = &ui->inf.model->cfg;
    int mw = c->w / 2;
    canvas_printf(c, y + 1, 0, mw, STYLE_TITLE, "%s %d/%d  %s %d/%d", msg(MSG_LAYER), ui->layer + 1,
                  mc->num_layers, msg(MSG_HEAD), ui->head + 1, mc->num_heads);
    draw_attention_map(ui, c, y + 2, 0, bottom_h - 2, mw - 2, ui->layer, ui->head, true, false);
    canvas_text(c, y + 1, mw, -1, msg(MSG_PREDICTION), STYLE_TITLE);
    draw_class_bars(ui, c, y + 2, mw, c->w - mw, bottom_h - 2);
}
