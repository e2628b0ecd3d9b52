/* The Attention view's merges panel (`m`): the BPE tokenizer's merges in the
 * order they were learned, one row each: its rank, the two parts, the piece
 * they make and the pair's count when it was learned. Pieces are quoted (a
 * leading space is part of a piece) and shown by token_display (line ends
 * escaped, a byte that is not a whole character as \xHH). The selected merge
 * is marked '>' (and in reverse video), the search's matches '*'; the list
 * follows the selection. Up/Down PgUp/PgDn Home/End move it, `/` searches
 * (merges.h). A word or character model has no merges and says so. */
#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "merges.h"
#include "views.h"

/* Columns of one row: the mark, the rank, three pieces, the count. */
typedef struct {
    int rank_x, left_x, right_x, piece_x, count_x, piece_w, count_w;
} MergeColumns;

static MergeColumns merge_columns(int w)
{
    MergeColumns m = {.rank_x = 1, .count_w = 11};
    m.piece_w = (w - 8 - m.count_w) / 3 - 3; /* each piece: quotes and a sign after it */
    m.piece_w = m.piece_w > 16 ? 16 : m.piece_w < 4 ? 4 : m.piece_w;
    m.left_x = 8;
    m.right_x = m.left_x + m.piece_w + 5;
    m.piece_x = m.right_x + m.piece_w + 5;
    m.count_x = m.piece_x + m.piece_w + 2;
    return m;
}

/* Token id's bytes quoted in at most w + 2 columns, the end cut with a marker. */
static void draw_piece(const Canvas *c, int y, int x, int w, const Bpe *bpe, int id, int style)
{
    size_t len = 0;
    const unsigned char *bytes = bpe_token_bytes(bpe, id, &len);
    char shown[32], quoted[40];
    token_display((const char *)bytes, len, shown);
    snprintf(quoted, sizeof quoted, "\"%s\"", shown);
    if (text_width(quoted) <= w + 2) {
        canvas_text(c, y, x, -1, quoted, style);
        return;
    }
    canvas_text(c, y, x, w + 1, quoted, style);
    canvas_put(c, y, x + w + 1, c->theme->utf8 ? L'\x2026' : L'>', STYLE_DIM);
}

static void draw_merge_row(const UiState *ui, const Canvas *c, int y, const MergeColumns *m, int i)
{
    const Bpe *bpe = ui_merges(ui);
    int left = 0, right = 0;
    int64_t count = 0;
    bpe_merge(bpe, i, &left, &right, &count);
    bool sel = i == ui->merge_sel, match = ui->merge_search[0] && merge_matches(bpe, i, ui->merge_search);
    int style = sel ? STYLE_CURSOR : STYLE_LABEL;
    if (sel)
        canvas_fill(c, y, 0, 1, c->w, L' ', STYLE_CURSOR);
    canvas_text(c, y, 0, 1, sel ? ">" : match ? "*" : " ", sel ? STYLE_CURSOR : STYLE_WARN);
    canvas_printf(c, y, m->rank_x, 6, sel ? STYLE_CURSOR : STYLE_DIM, "%6d", i + 1);
    draw_piece(c, y, m->left_x, m->piece_w, bpe, left, style);
    canvas_text(c, y, m->left_x + m->piece_w + 3, 1, "+", sel ? STYLE_CURSOR : STYLE_DIM);
    draw_piece(c, y, m->right_x, m->piece_w, bpe, right, style);
    canvas_text(c, y, m->right_x + m->piece_w + 3, 1, "=", sel ? STYLE_CURSOR : STYLE_DIM);
    draw_piece(c, y, m->piece_x, m->piece_w, bpe, BPE_NUM_BYTES + i,
               sel ? STYLE_CURSOR : match ? STYLE_WARN : STYLE_TITLE);
    canvas_printf(c, y, m->count_x, m->count_w, style, "%*lld", m->count_w, (long long)count);
}

/* Row 0: the search (its cursor while typing) and its matches, or how many
 * merges there are; which ranks the list shows, on the right. */
static void draw_search_line(const UiState *ui, const Canvas *c, int M, int top, int rows)
{
    char window[64], found[96];
    int last = top + rows < M ? top + rows : M;
    snprintf(window, sizeof window, msg(MSG_MERGES_WINDOW), top + 1, last, M);
    int ww = text_width(window);
    canvas_text(c, 0, c->w - ww, ww, window, STYLE_DIM);
    if (!ui->searching && !ui->merge_search[0]) {
        canvas_printf(c, 0, 0, c->w - ww - 2, STYLE_LABEL, msg(MSG_MERGES_HINT), M);
        return;
    }
    int x = canvas_text(c, 0, 0, -1, msg(MSG_MERGES_SEARCH), STYLE_TITLE);
    x += canvas_text(c, 0, x, c->w - ww - 2 - x, ui->merge_search, STYLE_INPUT);
    if (ui->searching)
        canvas_put(c, 0, x++, L' ', STYLE_CURSOR);
    if (!ui->merge_search[0])
        return;
    if (ui->merge_matches > 0)
        snprintf(found, sizeof found, msg(MSG_MERGES_FOUND), ui->merge_matches);
    else
        snprintf(found, sizeof found, "%s", msg(MSG_MERGES_NOT_FOUND));
    canvas_text(c, 0, x + 2, c->w - ww - 4 - x, found, ui->merge_matches ? STYLE_LABEL : STYLE_WARN);
}

static void draw_header(const Canvas *c, const MergeColumns *m)
{
    int w = text_width(msg(MSG_MERGES_COUNT));
    canvas_printf(c, 1, m->rank_x, 6, STYLE_TITLE, "%6s", msg(MSG_MERGES_RANK));
    canvas_text(c, 1, m->left_x, m->piece_w + 2, msg(MSG_MERGES_LEFT), STYLE_TITLE);
    canvas_text(c, 1, m->right_x, m->piece_w + 2, msg(MSG_MERGES_RIGHT), STYLE_TITLE);
    canvas_text(c, 1, m->piece_x, m->piece_w + 2, msg(MSG_MERGES_PIECE), STYLE_TITLE);
    canvas_text(c, 1, m->count_x + m->count_w - w, w, msg(MSG_MERGES_COUNT), STYLE_TITLE);
}

/* The first merge the list shows: the selection in its middle, the list full. */
static int first_shown(int sel, int M, int rows)
{
    int top = sel - rows / 2;
    top = top > M - rows ? M - rows : top;
    return top < 0 ? 0 : top;
}

int merges_panel_rows(const UiState *ui)
{
    int rows = attention_panel_rows(ui, ui->screen_h - 2) - 2; /* less the tabs and bottom line */
    return rows > 1 ? rows : 1;
}

void draw_merges_panel(const UiState *ui, const Canvas *c)
{
    const Bpe *bpe = ui_merges(ui);
    int M = bpe ? bpe_num_merges(bpe) : 0;
    if (M == 0) {
        canvas_text_wrapped(c, 0, 0, c->w, c->h, msg(bpe ? MSG_MERGES_EMPTY : MSG_MERGES_NONE),
                            STYLE_LABEL);
        return;
    }
    if (c->h < 3)
        return;
    MergeColumns m = merge_columns(c->w);
    int rows = c->h - 2, top = first_shown(ui->merge_sel, M, rows);
    draw_search_line(ui, c, M, top, rows);
    draw_header(c, &m);
    for (int r = 0; r < rows && top + r < M; r++)
        draw_merge_row(ui, c, 2 + r, &m, top + r);
}
