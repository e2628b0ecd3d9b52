/* The key table: one line per binding, filled in one place; the main loop
 * dispatches through it and the help screen lists it. The handlers are where
 * the state the views show changes by key: each keeps it within range. */
#ifndef MINILLM_UI_KEYS_H
#define MINILLM_UI_KEYS_H

#include <stdbool.h>

#include "lang.h"
#include "state.h"

/* What a key handler asks of the main loop (htop style): OR-combined. */
enum {
    UI_HANDLED = 1 << 0,
    UI_REDRAW = 1 << 1,
    UI_RERUN = 1 << 2,   /* sentence changed: run the forward again */
    UI_QUIT = 1 << 3,
};

typedef int (*KeyHandler)(UiState *ui, int key);

#define KEY_BINDING_MAX_KEYS 8

typedef struct {
    int keys[KEY_BINDING_MAX_KEYS]; /* curses key codes / characters; 0 ends the list */
    const char *label;              /* as the help shows it */
    const char *label_fr;           /* in French, when the key names differ; NULL: label */
    MsgId help;
    KeyHandler handler;
    bool lm_only;                   /* a language model's (the Generate view): a
                                     * classifier's keys and help skip it */
} KeyBinding;

const KeyBinding *key_table(int *count);
/* The binding's label in a language (folding to ASCII is the caller's). */
const char *key_label(const KeyBinding *b, Lang lang);
/* Runs the handler bound to key; returns UI_* flags (0 when unbound). While the
 * input line is focused, keys edit the sentence instead (characters are
 * inserted at the cursor; Left/Right, Home/End, Ctrl-A/E move it; Backspace,
 * Delete, Ctrl-W (word), Ctrl-U (to the start), Ctrl-K (to the end) cut;
 * Enter/Esc leave). key is a character from wget_wch (is_function false) or a
 * KEY_* code (is_function true). */
int keys_dispatch(UiState *ui, int key, bool is_function);

#endif
