/* Pieces several views share: the status line, the epoch bar, the metric
 * curves, the attention map of one head, the class bars, the input line. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "plot.h"
#include "views.h"

void format_count(char *out, size_t len, double v)
{
    if (v >= 1e9)
        snprintf(out, len, "%.2fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(out, len, "%.2fM", v / 1e6);
    else if (v >= 1e4)
        snprintf(out, len, "%.1fk", v / 1e3);
    else
        snprintf(out, len, "%.0f", v);
}

static const char *state_text(TrainState s, int *style)
{
    switch (s) {
    case TRAIN_STATE_RUNNING: *style = STYLE_GOOD; return msg(MSG_RUNNING);
    case TRAIN_STATE_PAUSED: *style = STYLE_WARN; return msg(MSG_PAUSED);
    case TRAIN_STATE_DONE: *style = STYLE_GOOD; return msg(MSG_DONE);
    case TRAIN_STATE_ERROR: *style = STYLE_BAD; return msg(MSG_ERROR);
    default: *style = STYLE_DIM; return msg(MSG_STARTING);
    }
}

void draw_status_line(const UiState *ui, const Canvas *c, int y)
{
    const TrainProgress *p = &ui->snap.progress;
    long secs = (long)ui->snap.elapsed_s; /* as watched: pace waits included */
    int st;
    const char *state = state_text(ui->snap.state, &st);
    bool wide = c->w >= 110;
    int x = canvas_printf(c, y, 0, -1, STYLE_TITLE, "step %ld", p->step);
    if (wide)
        x += canvas_printf(c, y, x, -1, STYLE_DIM, "/%ld", p->total_steps);
    x += canvas_printf(c, y, x, -1, STYLE_LABEL, "  %s %d/%d  lr %.2e", msg(MSG_EPOCH),
                       p->epoch + 1, p->epochs, (double)p->lr);
    if (fabsf(ui->snap.lr_scale - 1.0f) > 1e-4f)
        x += canvas_printf(c, y, x, -1, STYLE_WARN, " (x%.3g)", (double)ui->snap.lr_scale);
    x += canvas_printf(c, y, x, -1, STYLE_LABEL, "  %.0f %s  %s%s%02ld:%02ld:%02ld  ",
                       p->sentences_per_s, wide ? msg(MSG_SENT_PER_S) : "/s",
                       wide ? msg(MSG_ELAPSED) : "", wide ? " " : "", secs / 3600, secs / 60 % 60, secs % 60);
    if (ui->snap.pace > 0.0f)
        x += canvas_printf(c, y, x, -1, STYLE_LABEL, "%s %.3g%s%s  ", msg(MSG_PACE),
                           (double)ui->snap.pace, wide ? " " : "", wide ? msg(MSG_STEPS_PER_S) : "/s");
    else
        x += canvas_printf(c, y, x, -1, STYLE_LABEL, "%s %s  ", msg(MSG_PACE), msg(MSG_PACE_MAX));
    if (wide)
        canvas_text(c, y, x, -1, state, st);
    else /* keep the state visible: right-aligned over whatever did not fit */
        canvas_printf(c, y, c->w - text_width(state) - 2, -1, st, " %s ", state);
}

void draw_epoch_bar(const UiState *ui, const Canvas *c, int y)
{
    const TrainProgress *p = &ui->snap.progress;
    float frac = p->steps_per_epoch > 0 ? (float)p->step_in_epoch / (float)p->steps_per_epoch : 0;
    int x = canvas_printf(c, y, 0, -1, STYLE_LABEL, "%s %3.0f%% ", msg(MSG_EPOCH), frac * 100.0);
    int w = c->w - x - 2;
    if (w > 60)
        w = 60;
    plot_bar(c, y, x, w, frac, STYLE_BAR, STYLE_BAR_EMPTY);
    if (p->has_val && p->val_step >= 0)
        canvas_printf(c, y, x + w + 2, -1, STYLE_LABEL, "val %.3f / %.1f%%", (double)p->val_loss,
                      (double)p->val_acc * 100.0);
}

void draw_curves(const Canvas *c, int y, int x, int h, int w, const char *title,
                 const MetricHistory *train, const MetricHistory *val, bool fixed01,
                 long best_step, float best)
{
    plot_box(c, y, x, h, w, title, STYLE_FRAME);
    if (h < 4 || w < 14)
        return;
    float lo = 0, hi = 1, vlo, vhi;
    if (!fixed01) {
        bool any = metric_history_range(train, &lo, &hi);
        if (metric_history_range(val, &vlo, &vhi)) {
            lo = any && lo < vlo ? lo : vlo;
            hi = any && hi > vhi ? hi : vhi;
        } else if (!any) {
            lo = 0, hi = 1;
        }
        if (lo > 0 && lo < 0.5f * hi)
            lo = 0; /* losses: show the floor when near */
        if (hi - lo < 1e-6f)
            hi = lo + 1e-3f;
    }
    float x_hi = 1;
    if (train->n > 0)
        x_hi = train->step[train->n - 1];
    if (val->n > 0 && val->step[val->n - 1] > x_hi)
        x_hi = val->step[val->n - 1];
    char top[16], bottom[16];
    snprintf(top, sizeof top, "%.3g", (double)hi);
    snprintf(bottom, sizeof bottom, "%.3g", (double)lo);
    int lw = (int)(strlen(top) > strlen(bottom) ? strlen(top) : strlen(bottom));
    int px = x + 1 + lw + 1, pw = w - 2 - lw - 1, py = y + 1, ph = h - 3;
    canvas_text(c, py, x + 1, lw, top, STYLE_DIM);
    canvas_text(c, py + ph - 1, x + 1, lw, bottom, STYLE_DIM);
    plot_line(c, py, px, ph, pw, train->step, train->value, train->n, 0, x_hi, lo, hi,
              STYLE_CURVE_TRAIN);
    if (val->n > 0)
        plot_line(c, py, px, ph, pw, val->step, val->value, val->n, 0, x_hi, lo, hi,
                  STYLE_CURVE_VAL);
    if (best_step >= 0) /* drawn last: stays visible over both curves */
        plot_marker(c, py, px, ph, pw, (float)best_step, best, 0, x_hi, lo, hi, STYLE_GOOD);
    /* legend with the latest values */
    int ly = y + h - 2, lx = x + 2;
    if (train->n > 0)
        lx += canvas_printf(c, ly, lx, w - 3, STYLE_CURVE_TRAIN, "%s %.3f  ", msg(MSG_TRAIN),
                            (double)train->value[train->n - 1]);
    if (val->n > 0)
        lx += canvas_printf(c, ly, lx, x + w - 1 - lx, STYLE_CURVE_VAL, "%s %.3f  ", msg(MSG_VAL),
                            (double)val->value[val->n - 1]);
    if (best_step >= 0)
        lx += canvas_printf(c, ly, lx, x + w - 1 - lx, STYLE_GOOD, "%s %.1f%% @ step %ld  ",
                            msg(MSG_BEST), (double)best * 100.0, best_step);
    canvas_printf(c, ly, lx, x + w - 1 - lx, STYLE_DIM, "step %.0f", (double)x_hi);
}

int draw_attention_map(const UiState *ui, const Canvas *c, int y, int x, int h, int w, int layer,
                       int head, bool labels, bool cursor)
{
    const Inference *inf = &ui->inf;
    if (!inf->valid) {
        canvas_text(c, y, x, w, msg(MSG_EMPTY_SENTENCE), STYLE_DIM);
        return 1;
    }
    int nq = inf->n_tokens, nk = inf->shown;
    int lw = 0;
    if (labels) {
        for (int q = 0; q < nk; q++) {
            int tw = text_width(inf->tokens[q]);
            lw = tw > lw ? tw : lw;
        }
        lw = lw > 12 ? 12 : lw;
        lw += 1;
    }
    int avail_w = w - lw;
    if (avail_w < 1)
        return 0;
    if (nk > avail_w) /* a long sentence on a narrow screen: the first keys that fit */
        nk = avail_w;
    int cw = nk > 0 ? avail_w / nk : 1;
    cw = cw > 7 ? 7 : cw;
    int rows = h - (labels ? 1 : 0);
    if (nq > rows)
        nq = rows > 0 ? rows : 0;
    int top = y;
    if (labels) { /* key labels, cut to the column width */
        for (int k = 0; k < nk; k++) {
            bool pad = k >= inf->n_tokens;
            canvas_text(c, y, x + lw + k * cw, cw > 1 ? cw - 1 : 1, inf->tokens[k],
                        pad ? STYLE_DIM : STYLE_LABEL);
        }
        top++;
    }
    for (int q = 0; q < nq; q++) {
        if (labels) {
            int tw = text_width(inf->tokens[q]);
            int pad = lw - 1 - tw;
            canvas_text(c, top + q, x + (pad > 0 ? pad : 0), lw - 1, inf->tokens[q],
                        cursor && q == ui->cur_q ? STYLE_CURSOR : STYLE_LABEL);
        }
        for (int k = 0; k < nk; k++) {
            bool masked;
            float v = infer_attention(inf, layer, head, q, k, &masked);
            plot_heat_cell(c, top + q, x + lw + k * cw, cw, v, 0.0f, 1.0f, masked);
            if (cursor && q == ui->cur_q && k == ui->cur_k) {
                canvas_put(c, top + q, x + lw + k * cw, L'[', STYLE_CURSOR);
                if (cw > 1)
                    canvas_put(c, top + q, x + lw + k * cw + cw - 1, L']', STYLE_CURSOR);
            }
        }
    }
    return (labels ? 1 : 0) + nq;
}

void draw_class_bars(const UiState *ui, const Canvas *c, int y, int x, int w, int max_rows)
{
    const Inference *inf = &ui->inf;
    if (!inf->valid)
        return;
    int K = inf->num_labels;
    int lw = 0;
    for (int k = 0; k < K; k++) {
        int tw = text_width(inf->labels[k]);
        lw = tw > lw ? tw : lw;
    }
    lw = lw > 14 ? 14 : lw;
    int bw = w - lw - 9;
    if (bw < 4)
        return;
    for (int k = 0; k < K && k < max_rows; k++) {
        bool best = k == inf->predicted;
        canvas_text(c, y + k, x, lw, inf->labels[k], best ? STYLE_GOOD : STYLE_LABEL);
        plot_bar(c, y + k, x + lw + 1, bw, inf->probs[k], best ? STYLE_GOOD : STYLE_BAR,
                 STYLE_BAR_EMPTY);
        canvas_printf(c, y + k, x + lw + 2 + bw, 7, best ? STYLE_GOOD : STYLE_LABEL, "%5.1f%%",
                      (double)inf->probs[k] * 100.0);
    }
}

void draw_sentence_line(const UiState *ui, const Canvas *c, int y)
{
    int x = canvas_printf(c, y, 0, -1, STYLE_KEY, "%s> ", msg(MSG_SENTENCE));
    int hint_w = text_width(msg(MSG_EDIT_HINT));
    int w = c->w - x - hint_w - 2;
    if (w < 10)
        w = c->w - x;
    /* show the end of a long sentence while typing */
    const char *s = ui->sentence;
    while (text_width(s) > w - 1 && *s) {
        s++;
        while ((*s & 0xC0) == 0x80)
            s++;
    }
    int used = canvas_text(c, y, x, w, s, ui->editing ? STYLE_INPUT : STYLE_NORMAL);
    if (ui->editing) {
        for (int i = used; i < w; i++)
            canvas_put(c, y, x + i, i == used ? L'_' : L' ', STYLE_INPUT);
    }
    if (x + w + 2 + hint_w <= c->w)
        canvas_text(c, y, c->w - hint_w, hint_w, msg(MSG_EDIT_HINT), STYLE_DIM);
}
