/* The Attention view's tokens panel (`t`): what the tokenizer made of the typed
 * sentence. First its pieces joined by '|' (un|watch|able; a leading space is
 * part of a BPE piece), alternating two styles so that the boundaries show in
 * colour, and the '|' so that they show without; then one row per token: its
 * piece, its model id, its bytes and characters, and what made it: a byte
 * value or merge r of the tokenizer's merges (with the pair's count when it was
 * learned), a word of the vocabulary, or <UNK>. */
#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "src/bpe.h"
#include "views.h"

/* Piece i's style: a word fed as <UNK> warned, else two styles alternating so
 * that the boundaries show in colour (the '|' shows them without). */
static int piece_style(const Inference *inf, int i)
{
    return infer_unknown(inf, i) ? STYLE_WARN : i % 2 ? STYLE_LABEL : STYLE_TITLE;
}

/* The pieces joined by '|' from row y, wrapped over at most max_rows rows.
 * Returns the rows used. */
static int draw_pieces(const UiState *ui, const Canvas *c, int y, int max_rows)
{
    const Inference *inf = &ui->inf;
    int x = 0, row = 0;
    for (int i = 0; i < inf->n_tokens && row < max_rows; i++) {
        char label[64];
        token_label(inf, i, false, true, label, sizeof label);
        int w = text_width(label) + (i > 0);
        if (x > 0 && x + w > c->w) {
            if (++row >= max_rows)
                break;
            x = 0;
        }
        if (i > 0)
            x += canvas_text(c, y + row, x, -1, "|", STYLE_DIM);
        x += canvas_text(c, y + row, x, c->w - x, label, piece_style(inf, i));
    }
    return row + 1;
}

void draw_pieces_line(const UiState *ui, const Canvas *c, int y)
{
    const Inference *inf = &ui->inf;
    const wchar_t more = c->theme->utf8 ? L'\x2026' : L'>';
    const bool cut = inf->n_words > inf->n_tokens; /* tokens beyond max_len: more follow */
    int x = canvas_text(c, y, 0, -1, msg(MSG_PIECES), STYLE_DIM) + 1;
    for (int i = 0; i < inf->n_tokens; i++) {
        char label[64];
        token_label(inf, i, false, true, label, sizeof label);
        bool last = i + 1 == inf->n_tokens && !cut;
        int room = c->w - x - (last ? 0 : 1); /* a column kept for the marker */
        bool fits = text_width(label) + (i > 0) <= room;
        if (i > 0 && x < c->w - 1)
            x += canvas_text(c, y, x, 1, "|", STYLE_DIM);
        if (!fits) { /* as much as fits, then the marker in the last column */
            canvas_text(c, y, x, c->w - 1 - x, label, piece_style(inf, i));
            canvas_put(c, y, c->w - 1, more, STYLE_DIM);
            return;
        }
        x += canvas_text(c, y, x, -1, label, piece_style(inf, i));
    }
    if (cut && inf->n_tokens > 0)
        canvas_put(c, y, x, more, STYLE_DIM);
}

/* What made token i: "a byte value", "merge r of M (seen n times)", ... */
static void token_origin(const Inference *inf, int i, char *out, size_t len)
{
    const Bpe *bpe = vocab_bpe(inf->vocab);
    if (infer_unknown(inf, i)) {
        snprintf(out, len, "%s", msg(MSG_TOKENS_UNK));
    } else if (!bpe) {
        snprintf(out, len, "%s", msg(MSG_TOKENS_WORD));
    } else {
        int b = inf->ids[i] - vocab_num_specials(inf->vocab);
        int64_t count = 0;
        if (b < BPE_NUM_BYTES || bpe_merge(bpe, b - BPE_NUM_BYTES, NULL, NULL, &count) != 0)
            snprintf(out, len, "%s", msg(MSG_TOKENS_BYTE));
        else
            snprintf(out, len, msg(MSG_TOKENS_MERGE), b - BPE_NUM_BYTES + 1, bpe_num_merges(bpe),
                     (long long)count);
    }
}

static void draw_token_row(const UiState *ui, const Canvas *c, int y, int i)
{
    const Inference *inf = &ui->inf;
    char label[64], origin[96];
    token_label(inf, i, false, true, label, sizeof label);
    size_t bytes = 0;
    const char *b = vocab_token_bytes(inf->vocab, inf->ids[i], &bytes);
    int chars = vocab_bpe(inf->vocab) ? token_chars(b, bytes) : (int)utf8_count_chars(b, bytes);
    token_origin(inf, i, origin, sizeof origin);
    canvas_printf(c, y, 0, 3, STYLE_DIM, "%2d", i + 1);
    canvas_text(c, y, 4, 16, label, infer_unknown(inf, i) ? STYLE_WARN : STYLE_LABEL);
    canvas_printf(c, y, 20, -1, STYLE_NORMAL, "%6d %5zu %5d", inf->ids[i], bytes, chars);
    canvas_text(c, y, 40, c->w - 40, origin, STYLE_DIM);
}

void draw_tokens_panel(const UiState *ui, const Canvas *c)
{
    const Inference *inf = &ui->inf;
    if (inf->n_tokens <= 0 || c->h < 3)
        return;
    int y = draw_pieces(ui, c, 0, c->h >= 8 ? 3 : 1) + 1;
    canvas_text(c, y++, 0, -1, msg(MSG_TOKENS_HEADER), STYLE_TITLE);
    int room = c->h - y, n = inf->n_tokens;
    bool cut = n > room || inf->n_words > n;
    int rows = cut && n >= room ? room - 1 : n;
    for (int i = 0; i < rows; i++)
        draw_token_row(ui, c, y + i, i);
    if (cut && rows < room)
        canvas_printf(c, y + rows, 0, -1, STYLE_DIM, msg(MSG_TOKENS_MORE),
                      (inf->n_words > n ? inf->n_words : n) - rows, n);
}
