/* Pieces several views share: the status line, the epoch bar, the class bars,
 * the input line. (The curves are view_curves.c, the attention map view_map.c.) */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gen.h"
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

void format_clock(char *out, size_t len, double seconds)
{
    long s = isfinite(seconds) && seconds > 0 ? (long)seconds : 0;
    snprintf(out, len, "%02ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
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

/* ------------------------------------------------------------ status line */

/* One field of the status line, long and short. When the line does not fit,
 * fields go short, then go, one level at a time: a field is short from level
 * brief_at on and gone from drop_at on (0: never). */
typedef struct {
    char text[80], brief[80];
    int style;
    int brief_at, drop_at;
} Field;

enum { STATUS_FIELDS = 8, STATUS_LEVELS = 11 };

static int fields_width(const Field *f, int n, int level)
{
    int w = 0, shown = 0;
    for (int i = 0; i < n; i++) {
        if (f[i].drop_at && level >= f[i].drop_at)
            continue;
        bool brief = f[i].brief_at && level >= f[i].brief_at;
        w += text_width(brief ? f[i].brief : f[i].text) + (shown++ ? 2 : 0);
    }
    return w;
}

static void add_field(Field *f, int *n, int style, int brief_at, int drop_at, const char *text,
                      const char *brief)
{
    f[*n] = (Field){.style = style, .brief_at = brief_at, .drop_at = drop_at};
    snprintf(f[*n].text, sizeof f[*n].text, "%s", text);
    snprintf(f[*n].brief, sizeof f[*n].brief, "%s", brief ? brief : text);
    (*n)++;
}

/* Step, epoch, learning rate, the sentences/s watched (and computed), the time
 * watched, the time left at that pace, the pace. The levels: 1 the compute
 * rate goes, 2-3 the elapsed time shortens then goes, 4 the step loses its
 * total, 5 the lr goes (unless changed by +/-), 6 the epoch, 7 the ETA, 8 the
 * pace shortens, 9 the rate goes, 10 a changed lr goes. */
static int status_fields(const UiState *ui, Field *f)
{
    const SnapshotData *s = &ui->snap;
    const TrainProgress *p = &s->progress;
    int n = 0;
    char text[80], brief[80], rate[32], compute[32], clock[16];
    snprintf(text, sizeof text, "%s %ld/%ld", msg(MSG_STEP), p->step, p->total_steps);
    snprintf(brief, sizeof brief, "%s %ld", msg(MSG_STEP), p->step);
    add_field(f, &n, STYLE_TITLE, 4, 0, text, brief);
    snprintf(text, sizeof text, "%s %d/%d", msg(MSG_EPOCH), p->epoch + 1, p->epochs);
    add_field(f, &n, STYLE_LABEL, 0, 6, text, NULL);
    bool scaled = fabsf(s->lr_scale - 1.0f) > 1e-4f;
    if (scaled)
        snprintf(text, sizeof text, "lr %.2e (x%.3g)", (double)p->lr, (double)s->lr_scale);
    else
        snprintf(text, sizeof text, "lr %.2e", (double)p->lr);
    add_field(f, &n, scaled ? STYLE_WARN : STYLE_LABEL, 0, scaled ? 10 : 5, text, NULL);
    if (s->steps_run > 0) { /* no rate before a step is measured */
        /* a language model's "sentences" are windows of max_len predicted tokens */
        const bool lm = ui_is_lm(ui);
        const double per = lm ? (double)ui->inf.model->cfg.max_len : 1.0;
        const char *unit = msg(lm ? MSG_TOKENS_PER_S : MSG_SENT_PER_S);
        format_count(rate, sizeof rate, s->watched_sentences_per_s * per);
        format_count(compute, sizeof compute, s->compute_sentences_per_s * per);
        snprintf(text, sizeof text, "%s %s (%s %s/s)", rate, unit, msg(MSG_COMPUTE), compute);
        snprintf(brief, sizeof brief, "%s %s", rate, unit);
        add_field(f, &n, STYLE_LABEL, 1, 9, text, brief);
    }
    format_clock(clock, sizeof clock, s->elapsed_s);
    snprintf(text, sizeof text, "%s %s", msg(MSG_ELAPSED), clock);
    add_field(f, &n, STYLE_LABEL, 2, 3, text, clock);
    long left = p->total_steps - p->step;
    if (left > 0 && s->watched_steps_per_s > 0 && s->state != TRAIN_STATE_DONE) {
        format_clock(clock, sizeof clock, (double)left / s->watched_steps_per_s);
        snprintf(text, sizeof text, "%s %s", msg(MSG_ETA), clock);
        add_field(f, &n, STYLE_LABEL, 0, 7, text, NULL);
    }
    if (s->pace > 0.0f) {
        snprintf(text, sizeof text, "%s %.3g %s", msg(MSG_PACE), (double)s->pace, msg(MSG_STEPS_PER_S));
        snprintf(brief, sizeof brief, "%s %.3g/s", msg(MSG_PACE), (double)s->pace);
    } else {
        snprintf(text, sizeof text, "%s %s", msg(MSG_PACE), msg(MSG_PACE_MAX));
        snprintf(brief, sizeof brief, "%s", text);
    }
    add_field(f, &n, STYLE_LABEL, 8, 0, text, brief);
    return n;
}

/* The fields at the first level that fits; the state always, on the right. */
void draw_status_line(const UiState *ui, const Canvas *c, int y)
{
    Field f[STATUS_FIELDS];
    int n = status_fields(ui, f);
    int st;
    const char *state = state_text(ui->snap.state, &st);
    int avail = c->w - text_width(state) - 2;
    int level = 0;
    while (level + 1 < STATUS_LEVELS && fields_width(f, n, level) > avail)
        level++;
    int x = 0, shown = 0;
    for (int i = 0; i < n; i++) {
        if (f[i].drop_at && level >= f[i].drop_at)
            continue;
        bool brief = f[i].brief_at && level >= f[i].brief_at;
        x += shown++ ? 2 : 0;
        x += canvas_text(c, y, x, avail - x, brief ? f[i].brief : f[i].text, f[i].style);
    }
    canvas_text(c, y, c->w - text_width(state) - 1, -1, state, st);
}

/* ------------------------------------------------------------ epoch bar */

/* The step of the first validation pass ([train] eval_every, else the end of
 * the epoch), as the trainer runs it. */
static long first_validation_step(const UiState *ui)
{
    const TrainProgress *p = &ui->snap.progress;
    long step = ui->eval_every > 0 ? (p->step / ui->eval_every + 1) * ui->eval_every
                                   : ((long)p->epoch + 1) * p->steps_per_epoch;
    return step < p->total_steps ? step : p->total_steps;
}

void draw_epoch_bar(const UiState *ui, const Canvas *c, int y)
{
    const TrainProgress *p = &ui->snap.progress;
    float frac = p->steps_per_epoch > 0 ? (float)p->step_in_epoch / (float)p->steps_per_epoch : 0;
    int x = canvas_printf(c, y, 0, -1, STYLE_LABEL, "%s %3.0f%% ", msg(MSG_EPOCH), frac * 100.0);
    char text[2][128];
    if (!p->has_val) {
        snprintf(text[0], sizeof text[0], "%s", msg(MSG_VAL_NONE));
        snprintf(text[1], sizeof text[1], "%s", msg(MSG_VAL_NONE));
    } else if (p->val_step < 0 && p->step >= p->total_steps) {
        text[0][0] = text[1][0] = '\0'; /* a finished run opened again: none to come */
    } else if (p->val_step < 0) {
        snprintf(text[0], sizeof text[0], msg(MSG_VAL_FIRST), first_validation_step(ui));
        snprintf(text[1], sizeof text[1], "val @%ld", first_validation_step(ui));
    } else if (p->is_lm) {
        snprintf(text[0], sizeof text[0], msg(MSG_VAL_FIGURES_LM), (double)p->val_loss,
                 (double)p->val_perplexity, (double)p->val_bpc, p->val_step);
        snprintf(text[1], sizeof text[1], "val %.3f / %.3f bpc", (double)p->val_loss,
                 (double)p->val_bpc);
    } else {
        snprintf(text[0], sizeof text[0], msg(MSG_VAL_FIGURES), (double)p->val_loss,
                 (double)p->val_acc * 100.0, p->val_step);
        snprintf(text[1], sizeof text[1], "val %.3f / %.1f%%", (double)p->val_loss,
                 (double)p->val_acc * 100.0);
    }
    /* the figures whole, the bar in what is left (10 to 60 columns) */
    int pick = text_width(text[0]) + 2 + 10 <= c->w - x ? 0 : 1;
    int tw = text_width(text[pick]);
    int w = c->w - x - tw - 2;
    w = w > 60 ? 60 : w;
    if (w >= 4)
        plot_bar(c, y, x, w, frac, STYLE_BAR, STYLE_BAR_EMPTY);
    canvas_text(c, y, x + (w >= 4 ? w : 0) + 2, -1, text[pick],
                p->val_step >= 0 ? STYLE_CURVE_VAL : STYLE_DIM);
}

/* ------------------------------------------------------------ class bars */

/* A language model's bars: the most probable tokens after the sentence's last. */
static void draw_next_token_bars(const UiState *ui, const Canvas *c, int y, int x, int w, int max_rows)
{
    const Inference *inf = &ui->inf;
    int V = inf->model->cfg.vocab_size, n = V < INFER_NEXT_TOP ? V : INFER_NEXT_TOP, bw = w - 6 - 9;
    for (int i = 0; i < n && i < max_rows && bw >= 4; i++) {
        int id = inf->next_top[i], style = i == 0 ? STYLE_GOOD : STYLE_LABEL;
        char label[32];
        gen_token_label(inf->vocab, id, label, sizeof label);
        canvas_text(c, y + i, x, 6, label, style);
        plot_bar(c, y + i, x + 7, bw, inf->next[id], i == 0 ? STYLE_GOOD : STYLE_BAR, STYLE_BAR_EMPTY);
        canvas_printf(c, y + i, x + 8 + bw, 7, style, "%5.1f%%", (double)inf->next[id] * 100.0);
    }
}

void draw_class_bars(const UiState *ui, const Canvas *c, int y, int x, int w, int max_rows)
{
    const Inference *inf = &ui->inf;
    if (!inf->valid)
        return;
    if (inf->lm) {
        draw_next_token_bars(ui, c, y, x, w, max_rows);
        return;
    }
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

/* What the model makes of the sentence's words, or "" when nothing is amiss:
 * no known word, unknown words, tokens beyond max_len. */
void sentence_notice(const UiState *ui, char *out, size_t len)
{
    const Inference *inf = &ui->inf;
    char unknown[128] = "", cut[128] = "";
    out[0] = '\0';
    if (!inf->valid)
        return;
    if (inf->n_unknown == inf->n_tokens)
        snprintf(unknown, sizeof unknown, "%s", msg(MSG_NO_KNOWN_WORD));
    else if (inf->n_unknown > 0)
        snprintf(unknown, sizeof unknown, msg(MSG_UNKNOWN_WORDS), inf->n_unknown);
    if (inf->n_words > inf->n_tokens)
        snprintf(cut, sizeof cut, msg(MSG_TRUNCATED), inf->n_words, inf->n_tokens);
    snprintf(out, len, "%s%s%s", unknown, unknown[0] && cut[0] ? "; " : "", cut);
}

MsgId no_prediction_msg(const UiState *ui, MsgId otherwise)
{
    return ui->inf.nonfinite ? MSG_NOT_FINITE : otherwise;
}

/* ------------------------------------------------------------ input line */

/* Bytes of the character at s: its lead byte and at most three continuation
 * bytes (a sentence from a config file need not be valid UTF-8). */
static int char_bytes(const char *s)
{
    int n = 1;
    while (n < 4 && (s[n] & 0xC0) == 0x80)
        n++;
    return n;
}

/* Columns of the character at s (n <= 4 bytes). */
static int char_columns(const char *s, int n)
{
    char one[8];
    memcpy(one, s, (size_t)n);
    one[n] = '\0';
    return text_width(one);
}

/* Byte offset of the first character drawn so that the cursor (a byte offset)
 * shows in w columns: 0 while the text up to it fits, else the earliest start
 * that leaves room for the left sign and the cursor itself. */
static int window_start(const char *s, int cursor, int w)
{
    int start = cursor, width = 0;
    while (start > 0) {
        int prev = start - 1;
        while (prev > 0 && start - prev < 4 && (s[prev] & 0xC0) == 0x80)
            prev--;
        int cw = char_columns(s + prev, start - prev);
        if (width + cw > w - 2)
            break;
        width += cw;
        start = prev;
    }
    return start;
}

bool view_shows_sentence(ViewId view, int h, int w)
{
    switch (view) {
    case VIEW_DASHBOARD: return dashboard_is_large(h, w);
    case VIEW_ATTENTION: case VIEW_MODEL: case VIEW_GENERATE: return true;
    default: return false;
    }
}

void draw_sentence_line(const UiState *ui, const Canvas *c, int y)
{
    int x = canvas_printf(c, y, 0, -1, STYLE_KEY, "%s> ", msg(ui->inf.lm ? MSG_PROMPT : MSG_SENTENCE));
    const char *hint = msg(MSG_EDIT_HINT);
    int hint_w = ui->editing ? 0 : text_width(hint) + 2;
    int w = c->w - x - hint_w;
    if (w < 10)
        w = c->w - x, hint_w = 0;
    const char *s = ui->sentence;
    bool arrows = c->theme->utf8;
    if (!ui->editing) { /* the start, and a sign when there is more */
        int used = canvas_text(c, y, x, w, s, STYLE_NORMAL);
        if (text_width(s) > used)
            canvas_put(c, y, x + w - 1, arrows ? L'\x2026' : L'>', STYLE_DIM);
        if (hint_w)
            canvas_text(c, y, c->w - hint_w + 2, -1, hint, STYLE_DIM);
        return;
    }
    int start = window_start(s, ui->edit_pos, w);
    canvas_fill(c, y, x, 1, w, L' ', STYLE_INPUT);
    if (!s[0])
        canvas_text(c, y, x + 1, w - 1, msg(MSG_TYPE_SENTENCE), STYLE_DIM);
    int cx = x, col = 0, printed = 0;
    if (start > 0) {
        canvas_put(c, y, x, arrows ? L'\x2026' : L'<', STYLE_DIM);
        cx++, col++;
    }
    char one[8];
    for (int i = start; s[i] && col < w; ) {
        int n = char_bytes(s + i);
        memcpy(one, s + i, (size_t)n);
        one[n] = '\0';
        int gw = text_width(one);
        if (col + gw > w - (s[i + n] ? 1 : 0))
            break;
        canvas_text(c, y, cx, gw, one, i == ui->edit_pos ? STYLE_CURSOR : STYLE_INPUT);
        cx += gw, col += gw, printed += gw, i += n;
    }
    if (!s[ui->edit_pos] && col < w)
        canvas_put(c, y, cx, L' ', STYLE_CURSOR); /* the cursor after the last character */
    if (text_width(s + start) > printed)
        canvas_put(c, y, x + w - 1, arrows ? L'\x2026' : L'>', STYLE_DIM);
}
