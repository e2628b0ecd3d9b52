/* The key table: one line per binding, filled in one place; the main loop
 * dispatches through it and the help screen lists it. */
#ifndef MINILLM_UI_KEYS_H
#define MINILLM_UI_KEYS_H

#include "app.h"
#include "lang.h"

typedef int (*KeyHandler)(UiState *ui, int key);

#define KEY_BINDING_MAX_KEYS 8

typedef struct {
    int keys[KEY_BINDING_MAX_KEYS]; /* curses key codes / characters; 0 ends the list */
    const char *label;              /* as the help shows it */
    MsgId help;
    KeyHandler handler;
} KeyBinding;

const KeyBinding *key_table(int *count);
/* Runs the handler bound to key; returns UI_* flags (0 when unbound). While the
 * input line is focused, keys edit the sentence instead. wide is a character
 * from wget_wch (is_function false) or a KEY_* code (is_function true). */
int keys_dispatch(UiState *ui, int key, bool is_function);

#endif
