/* Key handlers (they only change UiState or post a command to the training
 * thread, and return flags) and the table that binds them. */
#include "keys.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "views.h"

#define CTRL(c) ((c) & 0x1f)
#define KEY_TAB '\t'
#define KEY_ESC 27

static int key_pause(UiState *ui, int key)
{
    (void)key;
    train_thread_toggle_pause(ui->tt);
    return UI_HANDLED | UI_REDRAW;
}

static int key_save(UiState *ui, int key)
{
    (void)key;
    train_thread_request_save(ui->tt, ui->save_path);
    return UI_HANDLED | UI_REDRAW;
}

static int key_reset(UiState *ui, int key)
{
    (void)key;
    train_thread_request_reset(ui->tt);
    return UI_HANDLED | UI_REDRAW;
}

static int key_lr(UiState *ui, int key)
{
    train_thread_scale_lr(ui->tt, key == '-' || key == '_' ? -1 : 1);
    return UI_HANDLED | UI_REDRAW;
}

static int key_pace(UiState *ui, int key)
{
    train_thread_change_pace(ui->tt, key == '<' || key == ',' ? -1 : 1);
    return UI_HANDLED | UI_REDRAW;
}

static int key_view(UiState *ui, int key)
{
    ui->view = (ViewId)(key - '1');
    return UI_HANDLED | UI_REDRAW;
}

static int key_next_view(UiState *ui, int key)
{
    if (ui->view == VIEW_HELP)
        ui->view = ui->view_before_help;
    if (key == KEY_BTAB)
        ui->view = (ViewId)((ui->view + VIEW_HELP - 1) % VIEW_HELP);
    else
        ui->view = (ViewId)((ui->view + 1) % VIEW_HELP);
    return UI_HANDLED | UI_REDRAW;
}

static int key_help(UiState *ui, int key)
{
    (void)key;
    if (ui->view == VIEW_HELP) {
        ui->view = ui->view_before_help;
    } else {
        ui->view_before_help = ui->view;
        ui->view = VIEW_HELP;
        ui->help_scroll = 0;
    }
    return UI_HANDLED | UI_REDRAW;
}

static int key_quit(UiState *ui, int key)
{
    (void)ui;
    (void)key;
    return UI_HANDLED | UI_QUIT;
}

static int key_edit(UiState *ui, int key)
{
    (void)key;
    if (ui->view != VIEW_ATTENTION && ui->view != VIEW_DASHBOARD && ui->view != VIEW_MODEL)
        ui->view = VIEW_ATTENTION;
    ui->editing = true;
    return UI_HANDLED | UI_REDRAW;
}

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static int key_head(UiState *ui, int key)
{
    int NH = ui->inf.model->cfg.num_heads;
    int d = key == KEY_LEFT || key == 'h' ? -1 : 1;
    ui->head = (ui->head + d + NH) % NH;
    return UI_HANDLED | UI_REDRAW;
}

static int key_layer(UiState *ui, int key)
{
    int up = key == KEY_UP || key == 'k';
    if (ui->view == VIEW_HELP) {
        ui->help_scroll = clamp(ui->help_scroll + (up ? -1 : 1), 0, view_help_lines() - 1);
        return UI_HANDLED | UI_REDRAW;
    }
    int L = ui->inf.model->cfg.num_layers;
    ui->layer = (ui->layer + (up ? -1 : 1) + L) % L;
    return UI_HANDLED | UI_REDRAW;
}

static int key_all_heads(UiState *ui, int key)
{
    (void)key;
    ui->all_heads = !ui->all_heads;
    return UI_HANDLED | UI_REDRAW;
}

static int key_cursor(UiState *ui, int key)
{
    int n = ui->inf.shown > 0 ? ui->inf.shown : 1;
    int nq = ui->inf.n_tokens > 0 ? ui->inf.n_tokens : 1;
    switch (key) {
    case 'H': case KEY_SLEFT: ui->cur_k--; break;
    case 'L': case KEY_SRIGHT: ui->cur_k++; break;
    case 'K': case KEY_SR: ui->cur_q--; break;
    default: ui->cur_q++; break;
    }
    ui->cur_k = clamp(ui->cur_k, 0, n - 1);
    ui->cur_q = clamp(ui->cur_q, 0, nq - 1);
    return UI_HANDLED | UI_REDRAW;
}

static const KeyBinding bindings[] = {
    {{' '}, "Space", MSG_KEY_PAUSE, key_pause},
    {{'s'}, "s", MSG_KEY_SAVE, key_save},
    {{'r'}, "r", MSG_KEY_RESET, key_reset},
    {{'+', '='}, "+", MSG_KEY_LR_UP, key_lr},
    {{'-', '_'}, "-", MSG_KEY_LR_DOWN, key_lr},
    {{'>', '.'}, ">", MSG_KEY_PACE_UP, key_pace},
    {{'<', ','}, "<", MSG_KEY_PACE_DOWN, key_pace},
    {{'1'}, "1", MSG_KEY_VIEW1, key_view},
    {{'2'}, "2", MSG_KEY_VIEW2, key_view},
    {{'3'}, "3", MSG_KEY_VIEW3, key_view},
    {{'4'}, "4", MSG_KEY_VIEW4, key_view},
    {{KEY_TAB, KEY_BTAB}, "Tab", MSG_KEY_NEXT_VIEW, key_next_view},
    {{'/'}, "/", MSG_KEY_EDIT, key_edit},
    {{KEY_LEFT, KEY_RIGHT, 'h', 'l'}, "Left/Right h/l", MSG_KEY_HEAD, key_head},
    {{KEY_UP, KEY_DOWN, 'k', 'j'}, "Up/Down k/j", MSG_KEY_LAYER, key_layer},
    {{'a'}, "a", MSG_KEY_ALL_HEADS, key_all_heads},
    {{'H', 'L', 'K', 'J', KEY_SLEFT, KEY_SRIGHT, KEY_SR, KEY_SF}, "H J K L, Shift+arrows",
     MSG_KEY_CURSOR, key_cursor},
    {{'?', KEY_F(1)}, "?", MSG_KEY_HELP, key_help},
    {{'q', 'Q', CTRL('c')}, "q", MSG_KEY_QUIT, key_quit},
};

const KeyBinding *key_table(int *count)
{
    *count = (int)(sizeof bindings / sizeof bindings[0]);
    return bindings;
}

/* The input line: printable characters are appended as UTF-8, Backspace
 * removes the last character, Enter/Esc leave. */
static int edit_sentence(UiState *ui, int key, bool is_function)
{
    size_t len = strlen(ui->sentence);
    if ((!is_function && (key == '\n' || key == '\r' || key == KEY_ESC)) ||
        (is_function && key == KEY_ENTER)) {
        ui->editing = false;
        return UI_HANDLED | UI_REDRAW;
    }
    if ((is_function && key == KEY_BACKSPACE) || (!is_function && (key == 127 || key == 8))) {
        while (len > 0) { /* drop continuation bytes, then the lead byte */
            unsigned char b = (unsigned char)ui->sentence[--len];
            ui->sentence[len] = '\0';
            if ((b & 0xC0) != 0x80)
                break;
        }
        return UI_HANDLED | UI_REDRAW | UI_RERUN;
    }
    if (!is_function && key == CTRL('u')) {
        ui->sentence[0] = '\0';
        return UI_HANDLED | UI_REDRAW | UI_RERUN;
    }
    if (!is_function && key == CTRL('c'))
        return UI_HANDLED | UI_QUIT;
    if (is_function || key < 32)
        return UI_HANDLED;
    char mb[16];
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t n = wcrtomb(mb, (wchar_t)key, &st);
    if (n == (size_t)-1 || len + n + 1 > sizeof ui->sentence)
        return UI_HANDLED;
    memcpy(ui->sentence + len, mb, n);
    ui->sentence[len + n] = '\0';
    return UI_HANDLED | UI_REDRAW | UI_RERUN;
}

int keys_dispatch(UiState *ui, int key, bool is_function)
{
    if (ui->editing)
        return edit_sentence(ui, key, is_function);
    if (!is_function && key == KEY_ESC && ui->view == VIEW_HELP)
        return key_help(ui, key);
    int n;
    const KeyBinding *t = key_table(&n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < KEY_BINDING_MAX_KEYS && t[i].keys[j]; j++) {
            int k = t[i].keys[j];
            /* curses codes are above the character range; characters come unshifted */
            bool k_is_function = k >= KEY_MIN;
            if (k == key && k_is_function == is_function)
                return t[i].handler(ui, key);
        }
    return 0;
}
