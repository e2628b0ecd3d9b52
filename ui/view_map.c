/* The attention map of one head: query rows, key columns, a heat cell each.
 * Words the vocabulary lacks are labelled <UNK> (with the typed word where the
 * label has room). Columns too narrow for their words are numbered, and each
 * row label starts with its number. A sentence larger than the area shows a
 * window around the cell cursor, and a line says which rows and columns are
 * shown: nothing is hidden without a sign. */
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
    int nq, nk;             /* query rows, key columns (padding included) */
    int lw;                 /* row label column, its gap included */
    int cw;                 /* cell width */
    int rows, cols;         /* shown */
    int q0, k0;             /* first shown */
    bool numbered;          /* column headers are token numbers */
    bool clipped;           /* something is not shown: the window line says what */
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

/* Whether every column header from k0 on fits in cw - 1 columns as a word. */
static bool headers_fit(const Inference *inf, int k0, int cols, int cw)
{
    for (int k = k0; k < k0 + cols; k++) {
        char label[64];
        token_label(inf, k, false, false, label, sizeof label);
        if (text_width(label) > cw - 1)
            return false;
    }
    return true;
}

static MapLayout map_layout(const UiState *ui, int h, int w, bool labels, bool follow)
{
    const Inference *inf = &ui->inf;
    MapLayout m = {.nq = inf->n_tokens, .nk = inf->shown};
    m.rows = h - (labels ? 1 : 0);
    if (m.nq > m.rows)
        m.rows--; /* room for the window line */
    m.rows = clamp(m.rows, 0, m.nq);
    for (int pass = 0; pass < 2; pass++) { /* labels widen when numbered */
        m.lw = labels ? label_width(inf, m.nq, m.nk, m.numbered) + 1 : 0;
        int avail = w - m.lw;
        m.cw = m.nk > 0 ? clamp(avail / m.nk, 1, MAP_CELL_MAX) : 1;
        if (labels && m.cw < MAP_CELL_MIN)
            m.cw = MAP_CELL_MIN;
        m.cols = clamp(avail / m.cw, 0, m.nk);
        m.k0 = window_first(m.nk, m.cols, ui->cur_k, follow);
        m.numbered = labels && m.cw - 1 < MAP_WORD_MIN && !headers_fit(inf, m.k0, m.cols, m.cw);
    }
    if (m.nk > m.cols && m.rows == m.nq && m.rows + (labels ? 1 : 0) >= h)
        m.rows--; /* columns hidden: the window line needs a row too */
    m.rows = clamp(m.rows, 0, m.nq);
    m.q0 = window_first(m.nq, m.rows, ui->cur_q, follow);
    m.clipped = m.rows < m.nq || m.cols < m.nk;
    return m;
}

static void draw_headers(const UiState *ui, const Canvas *c, int y, int x, const MapLayout *m)
{
    const Inference *inf = &ui->inf;
    for (int k = m->k0; k < m->k0 + m->cols; k++) {
        char label[64];
        bool pad = k >= inf->n_tokens;
        if (m->numbered)
            snprintf(label, sizeof label, "%d", k + 1);
        else
            token_label(inf, k, false, false, label, sizeof label);
        int style = pad ? STYLE_DIM : infer_unknown(inf, k) ? STYLE_WARN : STYLE_LABEL;
        canvas_text(c, y, x + m->lw + (k - m->k0) * m->cw, m->cw > 1 ? m->cw - 1 : 1, label, style);
    }
}

static void draw_row(const UiState *ui, const Canvas *c, int y, int x, int q, const MapLayout *m,
                     int layer, int head, bool labels, bool cursor)
{
    const Inference *inf = &ui->inf;
    if (labels) { /* the word against the map; numbered, the numbers in a column first */
        char label[64];
        token_label(inf, q, false, true, label, sizeof label);
        int room = m->lw - 1, style = cursor && q == ui->cur_q ? STYLE_CURSOR
                                      : infer_unknown(inf, q)   ? STYLE_WARN : STYLE_LABEL;
        if (m->numbered) {
            int nw = snprintf(NULL, 0, "%d", m->nk);
            canvas_printf(c, y, x, nw, STYLE_DIM, "%*d", nw, q + 1);
            canvas_text(c, y, x + nw + 1, room - nw - 1, label, style);
        } else {
            int tw = text_width(label);
            canvas_text(c, y, x + (room > tw ? room - tw : 0), room, label, style);
        }
    }
    for (int k = m->k0; k < m->k0 + m->cols; k++) {
        int cx = x + m->lw + (k - m->k0) * m->cw;
        bool masked;
        float v = infer_attention(inf, layer, head, q, k, &masked);
        plot_heat_cell(c, y, cx, m->cw, v, 0.0f, 1.0f, masked);
        if (cursor && q == ui->cur_q && k == ui->cur_k) {
            canvas_put(c, y, cx, L'[', STYLE_CURSOR);
            if (m->cw > 1)
                canvas_put(c, y, cx + m->cw - 1, L']', STYLE_CURSOR);
        }
    }
}

int draw_attention_map(const UiState *ui, const Canvas *c, int y, int x, int h, int w, int layer,
                       int head, bool labels, bool cursor)
{
    const Inference *inf = &ui->inf;
    if (!inf->valid) {
        canvas_text(c, y, x, w, msg(ui->editing ? MSG_TYPE_SENTENCE : MSG_EMPTY_SENTENCE), STYLE_DIM);
        return 1;
    }
    MapLayout m = map_layout(ui, h, w, labels, cursor);
    if (m.cols < 1 || m.rows < 1)
        return 0;
    int top = y;
    if (labels)
        draw_headers(ui, c, top++, x, &m);
    for (int q = m.q0; q < m.q0 + m.rows; q++)
        draw_row(ui, c, top + q - m.q0, x, q, &m, layer, head, labels, cursor);
    int used = top - y + m.rows;
    if (m.clipped) {
        char line[160];
        snprintf(line, sizeof line, msg(MSG_MAP_WINDOW), m.q0 + 1, m.q0 + m.rows, m.nq, m.k0 + 1,
                 m.k0 + m.cols, m.nk);
        if (text_width(line) > w)
            snprintf(line, sizeof line, msg(MSG_MAP_WINDOW_SHORT), m.q0 + 1, m.q0 + m.rows, m.nq,
                     m.k0 + 1, m.k0 + m.cols, m.nk);
        canvas_text(c, y + used, x, w, line, STYLE_WARN);
        used++;
    }
    return used;
}
