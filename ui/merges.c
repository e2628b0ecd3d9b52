/* The merges panel's search and selection: see merges.h. */
#include "merges.h"

#include <string.h>
#include <wchar.h>

#include "keys.h"

#define CTRL(c) ((c) & 0x1f)
#define KEY_ESC 27

static bool bytes_contain(const unsigned char *hay, size_t n, const char *needle, size_t m)
{
    for (size_t i = 0; m > 0 && i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

bool merge_matches(const Bpe *bpe, int i, const char *text)
{
    size_t len = 0;
    const unsigned char *piece = bpe_token_bytes(bpe, BPE_NUM_BYTES + i, &len);
    return piece && bytes_contain(piece, len, text, strlen(text));
}

int merge_find(const Bpe *bpe, const char *text, int from, int dir)
{
    int M = bpe_num_merges(bpe);
    for (int k = 0; k < M; k++) {
        int i = ((from + dir * k) % M + M) % M;
        if (merge_matches(bpe, i, text))
            return i;
    }
    return -1;
}

const Bpe *ui_merges(const UiState *ui)
{
    return vocab_bpe(ui->inf.vocab);
}

int merges_move_to(UiState *ui, int sel)
{
    const Bpe *bpe = ui_merges(ui);
    int last = bpe ? bpe_num_merges(bpe) - 1 : 0;
    ui->merge_sel = sel < 0 || last < 0 ? 0 : sel > last ? last : sel;
    return UI_HANDLED | UI_REDRAW;
}

int merges_search_start(UiState *ui)
{
    ui->searching = true;
    ui->merge_search[0] = '\0';
    ui->merge_matches = 0;
    ui->merge_search_from = ui->merge_sel;
    return UI_HANDLED | UI_REDRAW;
}

int merges_search_next(UiState *ui, int dir)
{
    const Bpe *bpe = ui_merges(ui);
    if (!bpe || !ui->merge_search[0])
        return UI_HANDLED;
    int i = merge_find(bpe, ui->merge_search, ui->merge_sel + dir, dir);
    return i >= 0 ? merges_move_to(ui, i) : UI_HANDLED;
}

/* The text changed: its matches counted, the selection on the first one from
 * where the search started (back there when there is none). */
static int search_again(UiState *ui)
{
    const Bpe *bpe = ui_merges(ui);
    ui->merge_matches = 0;
    int found = -1;
    if (bpe && ui->merge_search[0]) {
        for (int i = 0; i < bpe_num_merges(bpe); i++)
            ui->merge_matches += merge_matches(bpe, i, ui->merge_search);
        found = merge_find(bpe, ui->merge_search, ui->merge_search_from, 1);
    }
    return merges_move_to(ui, found >= 0 ? found : ui->merge_search_from);
}

/* The last character (UTF-8) off the text; all of it for Ctrl-U. */
static int search_cut(UiState *ui, bool all)
{
    size_t n = strlen(ui->merge_search);
    if (n == 0)
        return UI_HANDLED;
    while (!all && n > 1 && ((unsigned char)ui->merge_search[n - 1] & 0xC0) == 0x80)
        n--;
    ui->merge_search[all ? 0 : n - 1] = '\0';
    return search_again(ui);
}

int merges_search_key(UiState *ui, int key, bool is_function)
{
    if (is_function) {
        if (key == KEY_ENTER)
            ui->searching = false;
        else if (key == KEY_BACKSPACE)
            return search_cut(ui, false);
        return UI_HANDLED | UI_REDRAW;
    }
    switch (key) {
    case '\n': case '\r': case KEY_ESC: ui->searching = false; return UI_HANDLED | UI_REDRAW;
    case 127: case 8: return search_cut(ui, false);
    case CTRL('u'): return search_cut(ui, true);
    case CTRL('c'): return UI_HANDLED | UI_QUIT;
    default: break;
    }
    if (key < 32)
        return UI_HANDLED;
    char mb[16];
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t n = wcrtomb(mb, (wchar_t)key, &st), len = strlen(ui->merge_search);
    if (n == (size_t)-1 || len + n + 1 > sizeof ui->merge_search)
        return UI_HANDLED;
    memcpy(ui->merge_search + len, mb, n);
    ui->merge_search[len + n] = '\0';
    return search_again(ui);
}
