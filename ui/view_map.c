/* Maps of the sentence: a matrix whose rows are the query tokens and whose
 * columns are key tokens (attention weights, scores) or dimensions (q, k, v,
 * a head's output), a heat cell each, its value written inside when the cell
 * is wide enough. Words the vocabulary lacks are labelled <UNK> (with the
 * typed word where the label has room). Columns too narrow for their words are
 * numbered, and each row label starts with its number. A sentence larger than
 * the area shows a window around the cell cursor, and a line says which rows
 * and columns are shown: nothing is hidden without a sign. */
#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "plot.h"
#include "views.h"

/* Widest row label, and the cell widths the map uses. */
#define MAP_LABEL_MAX 18
#define MAP_CELL_MAX 7
#define MAP_CELL_MIN 3   /* a two-digit number and a space */
/* Columns show words when each fits, or when they have this much room. */
#define MAP_WORD_MIN 5

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

void token_label(const Inference *inf, int i, bool numbered, bool with_word, char *out,
                 size_t len)
{
    char number[16] = "";
    if (numbered)
        snprintf(number, sizeof number, "%d ", i + 1);
    if (infer_unknown(inf, i))
        snprintf(out, len, "%s" VOCAB_UNK_TOKEN "%s%s", number, with_word ? " " : "",
                 with_word ? inf->tokens[i] : "");
    else
        snprintf(out, len, "%s%s", number, inf->tokens[i]);
}

/* The first of `vis` cells of an n-long axis: 0, or a window around the cursor. */
static int window_first(int n, int vis, int cursor, bool follow)
{
    if (n <= vis || !follow)
        return 0;
    return clamp(cursor - vis / 2, 0, n - vis);
}

/* How the map of a sentence fits in a h x w area. */
typedef struct {
    int nq, nk;             /* query rows, columns (key tokens, padding included, or dims) */
    int lw;                 /* row label column, its gap included */
    int cw;                 /* cell width */
    int rows, cols;         /* shown */
    int q0, k0;             /* first shown */
    bool numbered;          /* column headers are token numbers */
    bool clipped;           /* something is not shown: the window line says what */
    int decimals;           /* of the numbers inside cells: one for the whole map */
} MapLayout;

/* Row labels: the widest word (with its <UNK>), after a column of numbers. */
static int label_width(const Inference *inf, int nq, int nk, bool numbered)
{
    int lw = 0;
    for (int i = 0; i < nq; i++) {
        char label[64];
        token_label(inf, i, false, true, label, sizeof label);
        int tw = text_width(label);
        lw = tw > lw ? tw : lw;
    }
    if (numbered)
        lw += snprintf(NULL, 0, "%d", nk) + 1;
    return lw > MAP_LABEL_MAX ? MAP_LABEL_MAX : lw;
}

/* Whether every column header from k0 on fits in cw - 1 columns. */
static bool headers_fit(const Inference *inf, const TokenMap *tm, int k0, int cols, int cw)
{
    for (int k = k0; k < k0 + cols; k++) {
        char label[64];
        if (tm->dims)
            snprintf(label, sizeof label, "%d", k);
        else
            token_label(inf, k, false, false, label, sizeof label);
        if (text_width(label) > cw - 1)
            return false;
    }
    return true;
}

static MapLayout map_layout(const UiState *ui, const TokenMap *tm, int h, int w)
{
    const Inference *inf = &ui->inf;
    MapLayout m = {.nq = inf->n_tokens, .nk = tm->cols};
    const int cell_max = tm->cell_max > 0 ? tm->cell_max : MAP_CELL_MAX;
    const bool headers = tm->col_labels, follow = tm->cursor;
    m.rows = h - (headers ? 1 : 0);
    if (m.nq > m.rows)
        m.rows--; /* room for the window line */
    m.rows = clamp(m.rows, 0, m.nq);
    for (int pass = 0; pass < 2; pass++) { /* labels widen when numbered */
        m.lw = !tm->row_labels ? 0 : tm->label_w > 0 ? tm->label_w
                                 : label_width(inf, m.nq, m.nk, m.numbered && !tm->dims) + 1;
        int avail = w - m.lw;
        m.cw = m.nk > 0 ? clamp(avail / m.nk, 1, cell_max) : 1;
        if (headers && !tm->dims && m.cw < MAP_CELL_MIN)
            m.cw = m.nk <= 9 && m.cw < 2 ? 2 : m.nk <= 9 ? m.cw : MAP_CELL_MIN; /* 1-digit numbers */
        m.cols = clamp(avail / m.cw, 0, m.nk);
        m.k0 = window_first(m.nk, m.cols, tm->dims ? 0 : ui->cur_k, follow && !tm->dims);
        m.numbered = headers && !tm->dims && m.cw - 1 < MAP_WORD_MIN &&
                     !headers_fit(inf, tm, m.k0, m.cols, m.cw);
    }
    if (m.nk > m.cols && m.rows == m.nq && m.rows + (headers ? 1 : 0) >= h)
        m.rows--; /* columns hidden: the window line needs a row too */
    m.rows = clamp(m.rows, 0, m.nq);
    m.q0 = window_first(m.nq, m.rows, ui->cur_q, follow);
    m.clipped = m.rows < m.nq || m.cols < m.nk;
    m.decimals = plot_decimals_for(tm->lo, tm->hi, m.cw - 1);
    return m;
}

/* Column headers: token words (or numbers), or dimension numbers where they fit. */
static void draw_headers(const UiState *ui, const Canvas *c, int y, int x, const TokenMap *tm,
                         const MapLayout *m)
{
    const Inference *inf = &ui->inf;
    for (int k = m->k0; k < m->k0 + m->cols; k++) {
        char label[64];
        int style = STYLE_LABEL, cx = x + m->lw + (k - m->k0) * m->cw;
        if (tm->dims) {
            int every = m->cw >= 3 ? 1 : m->cw == 2 ? 4 : 8; /* room for the number */
            if (k % every != 0)
                continue;
            snprintf(label, sizeof label, "%d", k);
            canvas_text(c, y, cx, every * m->cw, label, STYLE_DIM);
            continue;
        }
        if (m->numbered)
            snprintf(label, sizeof label, "%d", k + 1);
        else
            token_label(inf, k, false, false, label, sizeof label);
        style = k >= inf->n_tokens ? STYLE_DIM : infer_unknown(inf, k) ? STYLE_WARN : STYLE_LABEL;
        int room = m->cw > 1 ? m->cw - 1 : 1, tw = text_width(label);
        bool right = tm->numbers && m->cw >= MAP_NUMBER_MIN && tw < room; /* over the numbers */
        canvas_text(c, y, cx + (right ? m->cw - tw : 0), room, label, style);
    }
}

/* The word against the map; numbered, the numbers in a column first. */
static void draw_row_label(const UiState *ui, const Canvas *c, int y, int x, int q,
                           const TokenMap *tm, const MapLayout *m)
{
    const Inference *inf = &ui->inf;
    char label[64];
    token_label(inf, q, false, true, label, sizeof label);
    int room = m->lw - 1, style = tm->cursor && q == ui->cur_q ? STYLE_CURSOR
                                  : infer_unknown(inf, q)     ? STYLE_WARN : STYLE_LABEL;
    if (m->numbered) {
        int nw = snprintf(NULL, 0, "%d", m->nk);
        canvas_printf(c, y, x, nw, STYLE_DIM, "%*d", nw, q + 1);
        canvas_text(c, y, x + nw + 1, room - nw - 1, label, style);
    } else {
        int tw = text_width(label);
        canvas_text(c, y, x + (room > tw ? room - tw : 0), room, label, style);
    }
}

static void draw_cell(const UiState *ui, const Canvas *c, int y, int cx, int q, int k,
                      const TokenMap *tm, const MapLayout *m)
{
    const bool numbers = tm->numbers && m->cw >= MAP_NUMBER_MIN;
    const bool on_cursor = tm->cursor && !tm->dims && q == ui->cur_q && k == ui->cur_k;
    bool masked = !tm->dims && tm->mask != MAP_MASK_NONE &&
                  infer_masked(&ui->inf, q, k, tm->mask == MAP_MASK_WHATIF);
    float v = tm->v[(size_t)q * tm->ld + k] * (tm->scale != 0.0f ? tm->scale : 1.0f);
    if (masked && tm->inf_text && m->cw >= 3)
        plot_masked_text(c, y, cx, m->cw, c->theme->utf8 ? "-\u221e" : "-inf");
    else if (masked)
        plot_heat_cell(c, y, cx, m->cw, v, tm->lo, tm->hi, true);
    else if (numbers)
        plot_heat_number(c, y, cx, m->cw, v, tm->lo, tm->hi, m->decimals,
                         on_cursor ? STYLE_CURSOR : -1);
    else
        plot_heat_cell(c, y, cx, m->cw, v, tm->lo, tm->hi, false);
    if (on_cursor && !(numbers && !masked)) {
        canvas_put(c, y, cx, L'[', STYLE_CURSOR);
        if (m->cw > 1)
            canvas_put(c, y, cx + m->cw - 1, L']', STYLE_CURSOR);
    }
}

int draw_token_map(const UiState *ui, const Canvas *c, int y, int x, int h, int w,
                   const TokenMap *tm)
{
    const Inference *inf = &ui->inf;
    if (!inf->valid) {
        canvas_text(c, y, x, w, msg(no_prediction_msg(ui, ui->editing ? MSG_TYPE_SENTENCE : MSG_EMPTY_SENTENCE)), STYLE_DIM);
        return 1;
    }
    MapLayout m = map_layout(ui, tm, h, w);
    if (m.cols < 1 || m.rows < 1)
        return 0;
    int top = y;
    if (tm->col_labels)
        draw_headers(ui, c, top++, x, tm, &m);
    for (int q = m.q0; q < m.q0 + m.rows; q++) {
        int row_y = top + q - m.q0;
        if (tm->row_labels)
            draw_row_label(ui, c, row_y, x, q, tm, &m);
        for (int k = m.k0; k < m.k0 + m.cols; k++)
            draw_cell(ui, c, row_y, x + m.lw + (k - m.k0) * m.cw, q, k, tm, &m);
    }
    int used = top - y + m.rows;
    if (m.clipped && !tm->quiet) {
        char line[160];
        snprintf(line, sizeof line, msg(MSG_MAP_WINDOW), m.q0 + 1, m.q0 + m.rows, m.nq, m.k0 + 1,
                 m.k0 + m.cols, m.nk);
        if (text_width(line) > c->w - x)
            snprintf(line, sizeof line, msg(MSG_MAP_WINDOW_SHORT), m.q0 + 1, m.q0 + m.rows, m.nq,
                     m.k0 + 1, m.k0 + m.cols, m.nk);
        canvas_text(c, y + used, x, c->w - x, line, STYLE_WARN); /* may pass beside maps */
        used++;
    }
    return used;
}

int map_label_width(const Inference *inf, bool numbered)
{
    return label_width(inf, inf->n_tokens, inf->shown, numbered) + 1;
}

TokenMap token_map_weights(const UiState *ui, const float *weights, bool whatif)
{
    return (TokenMap){.v = weights, .ld = ui->inf.T, .cols = ui->inf.shown, .lo = 0.0f, .hi = 1.0f,
                      .mask = whatif ? MAP_MASK_WHATIF : MAP_MASK_MODEL, .row_labels = true,
                      .col_labels = true};
}

int draw_attention_map(const UiState *ui, const Canvas *c, int y, int x, int h, int w, int layer,
                       int head, bool labels, bool cursor)
{
    const Inference *inf = &ui->inf;
    const float *att = activations_attention(inf->acts, layer) + (size_t)head * inf->T * inf->T;
    TokenMap tm = token_map_weights(ui, att, false);
    tm.row_labels = tm.col_labels = labels;
    tm.cursor = cursor;
    return draw_token_map(ui, c, y, x, h, w, &tm);
}
