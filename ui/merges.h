/* The Attention view's merges panel (`m`): the BPE tokenizer's merges in the
 * order they were learned. Here is what the key handlers change (the selected
 * merge and the search, kept within range) and the search rule the panel
 * draws with: a merge matches when its piece (the bytes of the token it makes)
 * contains the search text's bytes. */
#ifndef MINILLM_UI_MERGES_H
#define MINILLM_UI_MERGES_H

#include <stdbool.h>

#include "src/bpe.h"
#include "state.h"

/* Whether merge i's piece contains text ("" matches nothing). */
bool merge_matches(const Bpe *bpe, int i, const char *text);
/* The first merge from `from` (included) going dir (+1 / -1), wrapping, that
 * matches text; -1 when none does. */
int merge_find(const Bpe *bpe, const char *text, int from, int dir);

/* The model's merges, NULL for a word or character tokenizer. */
const Bpe *ui_merges(const UiState *ui);
/* Key handlers' work; each returns UI_* flags (keys.h). */
int merges_move_to(UiState *ui, int sel);       /* the selection, kept within the merges */
int merges_search_start(UiState *ui);           /* `/`: the search line takes the keyboard */
int merges_search_next(UiState *ui, int dir);   /* n / N: the next / previous match */
/* A key while the search line has the keyboard: characters are appended and
 * the selection jumps to the first match from where `/` was pressed;
 * Backspace removes the last character, Ctrl-U all; Enter and Esc leave
 * (the text stays: n / N go on with it). */
int merges_search_key(UiState *ui, int key, bool is_function);

#endif
