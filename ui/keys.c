/* Key handlers (they only change UiState or post a command to the training
 * thread, and return flags) and the table that binds them; the input line's
 * editing keys. */
#include "keys.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "merges.h"
#include "views.h"

#define CTRL(c) ((c) & 0x1f)
#define KEY_TAB '\t'
#define KEY_ESC 27

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Whether the Attention view shows the merges panel (its own scroll and search). */
static bool on_merges(const UiState *ui)
{
    return ui->view == VIEW_ATTENTION && ui->panel == PANEL_MERGES;
}

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
    int n = ui_is_lm(ui) ? VIEW_HELP : VIEW_GENERATE; /* the tabs there are */
    if (key == KEY_BTAB)
        ui->view = (ViewId)((ui->view + n - 1) % n);
    else
        ui->view = (ViewId)((ui->view + 1) % n);
    return UI_HANDLED | UI_REDRAW;
}

/* ------------------------------------------------- the Generate view's keys */

/* n: one token drawn after the text (in the Generate view). */
static int key_gen_token(UiState *ui, int key)
{
    (void)key;
    ui->view = VIEW_GENERATE;
    ui->gen.streaming = false;
    gen_step(&ui->gen);
    return UI_HANDLED | UI_REDRAW;
}

/* N: a token every frame, or no more. */
static int key_gen_stream(UiState *ui, int key)
{
    (void)key;
    ui->view = VIEW_GENERATE;
    ui->gen.streaming = !ui->gen.streaming;
    return UI_HANDLED | UI_REDRAW;
}

/* n / N in the merges panel: the next / previous match of its search; elsewhere
 * a language model's n (one token) and N (stream). */
static int key_n(UiState *ui, int key)
{
    if (on_merges(ui))
        return merges_search_next(ui, key == 'N' ? -1 : 1);
    if (!ui_is_lm(ui))
        return 0;
    return key == 'N' ? key_gen_stream(ui, key) : key_gen_token(ui, key);
}

/* e: back to the prompt alone and the seed's first draw. */
static int key_gen_erase(UiState *ui, int key)
{
    (void)key;
    gen_restart(&ui->gen, ui->inf.model, ui->inf.tc, ui->inf.vocab, ui->sentence,
                ui->inf.weights_version);
    ui->gen.sample_version = -1; /* the sample follows the new settings */
    return UI_HANDLED | UI_REDRAW;
}

static const float temperatures[] = {0.0f, 0.1f, 0.2f, 0.3f, 0.5f, 0.7f, 0.8f, 1.0f, 1.2f, 1.5f, 2.0f};
static const int top_ks[] = {0, 1, 2, 3, 5, 10, 20, 40, GEN_TOP_K_MAX};
#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* [ ]: the temperature down / up the list; { }: top-k (0: off). */
static int key_gen_sampling(UiState *ui, int key)
{
    SamplingConfig *s = &ui->gen.sampling;
    int d = key == '[' || key == '{' ? -1 : 1;
    if (key == '[' || key == ']') {
        int i = 0;
        while (i + 1 < COUNT_OF(temperatures) && temperatures[i] < s->temperature - 1e-6f)
            i++;
        s->temperature = temperatures[clamp(i + d, 0, COUNT_OF(temperatures) - 1)];
    } else {
        int i = 0;
        while (i + 1 < COUNT_OF(top_ks) && top_ks[i] < s->top_k)
            i++;
        s->top_k = top_ks[clamp(i + d, 0, COUNT_OF(top_ks) - 1)];
    }
    gen_resample_view(&ui->gen);
    ui->gen.sample_version = -1;
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

/* Esc: out of the help, else what the bottom line shows off it: the event,
 * or the note's item (the next one shows). */
static int key_escape(UiState *ui, int key)
{
    if (ui->view == VIEW_HELP)
        return key_help(ui, key);
    if (ui->bottom == BOTTOM_STATUS)
        ui->status_hidden = ui->snap.status_seq;
    else if (ui->bottom == BOTTOM_NOTE && ui->notes_dismissed < ui_note_count(ui))
        ui->notes_dismissed++;
    return UI_HANDLED | UI_REDRAW;
}

static int key_quit(UiState *ui, int key)
{
    (void)ui;
    (void)key;
    return UI_HANDLED | UI_QUIT;
}

/* `/`: the input line takes the keyboard, in a view that shows what the
 * sentence does (the frame shows the line itself where a view has no room). */
static int key_edit(UiState *ui, int key)
{
    (void)key;
    if (on_merges(ui) && ui_merges(ui)) /* a word model's panel has nothing to search */
        return merges_search_start(ui);
    if (ui->view == VIEW_PE || ui->view == VIEW_HELP)
        ui->view = VIEW_ATTENTION;
    ui->editing = true;
    ui->edit_pos = (int)strlen(ui->sentence);
    return UI_HANDLED | UI_REDRAW;
}

static int help_scroll_to(UiState *ui, int line)
{
    ui->help_scroll = clamp(line, 0, view_help_max_scroll(ui->screen_h - 2, ui->screen_w, ui_is_lm(ui)));
    return UI_HANDLED | UI_REDRAW;
}

static int key_head(UiState *ui, int key)
{
    int NH = ui->inf.model->cfg.num_heads;
    int d = key == KEY_LEFT || key == 'h' ? -1 : 1;
    ui->head = (ui->head + d + NH) % NH;
    return UI_HANDLED | UI_REDRAW;
}

/* The lessons' numbers are for the selected layer: a new one reruns them. */
static int key_layer(UiState *ui, int key)
{
    int up = key == KEY_UP || key == 'k';
    if (ui->view == VIEW_HELP)
        return help_scroll_to(ui, ui->help_scroll + (up ? -1 : 1));
    if (on_merges(ui))
        return merges_move_to(ui, ui->merge_sel + (up ? -1 : 1));
    int L = ui->inf.model->cfg.num_layers;
    ui->layer = (ui->layer + (up ? -1 : 1) + L) % L;
    return UI_HANDLED | UI_REDRAW | UI_RERUN;
}

static int key_page(UiState *ui, int key)
{
    if (on_merges(ui)) {
        int page = merges_panel_rows(ui);
        switch (key) {
        case KEY_PPAGE: return merges_move_to(ui, ui->merge_sel - page);
        case KEY_NPAGE: return merges_move_to(ui, ui->merge_sel + page);
        case KEY_HOME: return merges_move_to(ui, 0);
        default: return merges_move_to(ui, 1 << 30);
        }
    }
    if (ui->view != VIEW_HELP)
        return UI_HANDLED;
    int page = ui->screen_h - 4 > 1 ? ui->screen_h - 4 : 1;
    switch (key) {
    case KEY_PPAGE: return help_scroll_to(ui, ui->help_scroll - page);
    case KEY_NPAGE: return help_scroll_to(ui, ui->help_scroll + page);
    case KEY_HOME: return help_scroll_to(ui, 0);
    default: return help_scroll_to(ui, 1 << 20);
    }
}

/* `a`, `f`, `t` and `m`: a panel of the Attention view, or back to the steps. */
static int key_panel(UiState *ui, int key)
{
    AttentionPanel p = key == 'a'   ? PANEL_HEADS
                       : key == 'f' ? PANEL_FOCUS
                       : key == 't' ? PANEL_TOKENS
                                    : PANEL_MERGES;
    if (ui->view != VIEW_ATTENTION) {
        ui->view = VIEW_ATTENTION;
        ui->panel = p;
    } else {
        ui->panel = ui->panel == p ? PANEL_STEPS : p;
    }
    return UI_HANDLED | UI_REDRAW;
}

/* v / V: the next / previous step in the Attention view (from another panel:
 * back to the steps), the next / previous page elsewhere; both wrap. */
static int key_step(UiState *ui, int key)
{
    int d = key == 'V' ? -1 : 1;
    if (ui->view == VIEW_ATTENTION) {
        if (ui->panel != PANEL_STEPS)
            ui->panel = PANEL_STEPS;
        else
            ui->step = (AttentionStep)((ui->step + d + STEP_COUNT) % STEP_COUNT);
        return UI_HANDLED | UI_REDRAW;
    }
    if (ui->view == VIEW_HELP)
        return UI_HANDLED;
    int n = view_page_count(ui, ui->view);
    ui->page[ui->view] = n > 1 ? (ui->page[ui->view] + d + n) % n : 0;
    return UI_HANDLED | UI_REDRAW;
}

static int key_whatif(UiState *ui, int key)
{
    (void)key;
    ui->whatif = !ui->whatif;
    return UI_HANDLED | UI_REDRAW;
}

/* w: the PE cursor's dimension replaces the oldest wave (or is added); W: the
 * table's own choice again. */
static int key_waves(UiState *ui, int key)
{
    if (key == 'W') {
        for (int i = 0; i < ui->pe.num_waves; i++)
            ui->waves[i] = ui->pe.dims[i];
        ui->num_waves = ui->pe.num_waves;
        ui->wave_next = 0;
        return UI_HANDLED | UI_REDRAW;
    }
    for (int i = 0; i < ui->num_waves; i++)
        if (ui->waves[i] == ui->pe_dim)
            return UI_HANDLED | UI_REDRAW; /* drawn already */
    if (ui->num_waves < PE_WAVES) {
        ui->waves[ui->num_waves++] = ui->pe_dim;
    } else {
        ui->waves[ui->wave_next] = ui->pe_dim;
        ui->wave_next = (ui->wave_next + 1) % PE_WAVES;
    }
    ui->view = VIEW_PE;
    return UI_HANDLED | UI_REDRAW;
}

static int key_log(UiState *ui, int key)
{
    (void)key;
    ui->loss_log = !ui->loss_log;
    return UI_HANDLED | UI_REDRAW;
}

/* H J K L: the PE view's (position, dimension); elsewhere the attention cell
 * (query row, key column), which the Model view uses for its token. */
static int key_cursor(UiState *ui, int key)
{
    int dx = 0, dy = 0;
    switch (key) {
    case 'H': case KEY_SLEFT: dx = -1; break;
    case 'L': case KEY_SRIGHT: dx = 1; break;
    case 'K': case KEY_SR: dy = -1; break;
    default: dy = 1; break;
    }
    if (ui->view == VIEW_PE) {
        ui->pe_dim = clamp(ui->pe_dim + dx, 0, ui->pe.C - 1);
        ui->pe_pos = clamp(ui->pe_pos + dy, 0, ui->pe.P - 1);
        return UI_HANDLED | UI_REDRAW;
    }
    int n = ui->inf.shown > 0 ? ui->inf.shown : 1;
    int nq = ui->inf.n_tokens > 0 ? ui->inf.n_tokens : 1;
    ui->cur_k = clamp(ui->cur_k + dx, 0, n - 1);
    ui->cur_q = clamp(ui->cur_q + dy, 0, nq - 1);
    return UI_HANDLED | UI_REDRAW;
}

static const KeyBinding bindings[] = {
    {{' '}, "Space", "Espace", MSG_KEY_PAUSE, key_pause, false},
    {{'s'}, "s", NULL, MSG_KEY_SAVE, key_save, false},
    {{'r'}, "r", NULL, MSG_KEY_RESET, key_reset, false},
    {{'+', '='}, "+", NULL, MSG_KEY_LR_UP, key_lr, false},
    {{'-', '_'}, "-", NULL, MSG_KEY_LR_DOWN, key_lr, false},
    {{'>', '.'}, ">", NULL, MSG_KEY_PACE_UP, key_pace, false},
    {{'<', ','}, "<", NULL, MSG_KEY_PACE_DOWN, key_pace, false},
    {{'1'}, "1", NULL, MSG_KEY_VIEW1, key_view, false},
    {{'2'}, "2", NULL, MSG_KEY_VIEW2, key_view, false},
    {{'3'}, "3", NULL, MSG_KEY_VIEW3, key_view, false},
    {{'4'}, "4", NULL, MSG_KEY_VIEW4, key_view, false},
    {{'5'}, "5", NULL, MSG_KEY_VIEW5, key_view, true},
    {{KEY_TAB, KEY_BTAB}, "Tab", NULL, MSG_KEY_NEXT_VIEW, key_next_view, false},
    {{'/'}, "/", NULL, MSG_KEY_EDIT, key_edit, false},
    {{KEY_LEFT, KEY_RIGHT, 'h', 'l'}, "Left/Right h/l", "Gauche/Droite h/l", MSG_KEY_HEAD, key_head, false},
    {{KEY_UP, KEY_DOWN, 'k', 'j'}, "Up/Down k/j", "Haut/Bas k/j", MSG_KEY_LAYER, key_layer, false},
    {{KEY_PPAGE, KEY_NPAGE, KEY_HOME, KEY_END}, "PgUp/PgDn Home/End", "PgUp/PgDn Début/Fin",
     MSG_KEY_PAGE, key_page, false},
    {{'v', 'V'}, "v / V", NULL, MSG_KEY_STEP, key_step, false},
    {{'c'}, "c", NULL, MSG_KEY_WHATIF, key_whatif, false},
    {{'a'}, "a", NULL, MSG_KEY_ALL_HEADS, key_panel, false},
    {{'f'}, "f", NULL, MSG_KEY_FOCUS, key_panel, false},
    {{'t'}, "t", NULL, MSG_KEY_TOKENS, key_panel, false},
    {{'m'}, "m", NULL, MSG_KEY_MERGES, key_panel, false},
    {{'w', 'W'}, "w / W", NULL, MSG_KEY_WAVES, key_waves, false},
    {{'g'}, "g", NULL, MSG_KEY_LOG, key_log, false},
    {{'n', 'N'}, "n / N", NULL, MSG_KEY_MERGE_NEXT, key_n, false},
    {{'n'}, "n", NULL, MSG_KEY_GEN_TOKEN, key_n, true},
    {{'N'}, "N", NULL, MSG_KEY_GEN_STREAM, key_n, true},
    {{'e'}, "e", NULL, MSG_KEY_GEN_ERASE, key_gen_erase, true},
    {{'[', ']'}, "[ / ]", NULL, MSG_KEY_GEN_TEMPERATURE, key_gen_sampling, true},
    {{'{', '}'}, "{ / }", NULL, MSG_KEY_GEN_TOP_K, key_gen_sampling, true},
    {{'H', 'L', 'K', 'J', KEY_SLEFT, KEY_SRIGHT, KEY_SR, KEY_SF}, "H J K L, Shift+arrows",
     "H J K L, Maj+flèches", MSG_KEY_CURSOR, key_cursor, false},
    {{'?', KEY_F(1)}, "?, F1", NULL, MSG_KEY_HELP, key_help, false},
    {{KEY_ESC}, "Esc", "Échap", MSG_KEY_ESC, key_escape, false},
    {{'q', 'Q', CTRL('c')}, "q", NULL, MSG_KEY_QUIT, key_quit, false},
};

const KeyBinding *key_table(int *count)
{
    *count = (int)(sizeof bindings / sizeof bindings[0]);
    return bindings;
}

const char *key_label(const KeyBinding *b, Lang lang)
{
    return lang == LANG_FR && b->label_fr ? b->label_fr : b->label;
}

/* ------------------------------------------------------------ the input line */

/* Byte offset of the character before / after `pos` in s. */
static int char_before(const char *s, int pos)
{
    while (pos > 0 && ((unsigned char)s[--pos] & 0xC0) == 0x80) {}
    return pos;
}

static int char_after(const char *s, int pos)
{
    if (!s[pos])
        return pos;
    pos++;
    while (((unsigned char)s[pos] & 0xC0) == 0x80)
        pos++;
    return pos;
}

/* Removes bytes [from, to) of the sentence; the cursor goes to `from`. */
static int cut(UiState *ui, int from, int to)
{
    if (to <= from)
        return UI_HANDLED;
    memmove(ui->sentence + from, ui->sentence + to, strlen(ui->sentence + to) + 1);
    ui->edit_pos = from;
    return UI_HANDLED | UI_REDRAW | UI_RERUN;
}

/* Start of the word before the cursor (blanks before it skipped), as Ctrl-W. */
static int word_start(const char *s, int pos)
{
    while (pos > 0 && (s[pos - 1] == ' ' || s[pos - 1] == '\t'))
        pos--;
    while (pos > 0 && s[pos - 1] != ' ' && s[pos - 1] != '\t')
        pos--;
    return pos;
}

static int move_to(UiState *ui, int pos)
{
    ui->edit_pos = pos;
    return UI_HANDLED | UI_REDRAW;
}

/* A function key or control character of the input line; -1 when it is neither
 * (a character to insert). */
static int edit_command(UiState *ui, int key, bool is_function)
{
    const char *s = ui->sentence;
    int pos = ui->edit_pos, len = (int)strlen(s);
    if (is_function) {
        switch (key) {
        case KEY_ENTER: ui->editing = false; return UI_HANDLED | UI_REDRAW;
        case KEY_BACKSPACE: return cut(ui, char_before(s, pos), pos);
        case KEY_DC: return cut(ui, pos, char_after(s, pos));
        case KEY_LEFT: return move_to(ui, char_before(s, pos));
        case KEY_RIGHT: return move_to(ui, char_after(s, pos));
        case KEY_HOME: return move_to(ui, 0);
        case KEY_END: return move_to(ui, len);
        default: return UI_HANDLED;
        }
    }
    switch (key) {
    case '\n': case '\r': case KEY_ESC: ui->editing = false; return UI_HANDLED | UI_REDRAW;
    case 127: case 8: return cut(ui, char_before(s, pos), pos);
    case CTRL('a'): return move_to(ui, 0);
    case CTRL('e'): return move_to(ui, len);
    case CTRL('b'): return move_to(ui, char_before(s, pos));
    case CTRL('f'): return move_to(ui, char_after(s, pos));
    case CTRL('d'): return cut(ui, pos, char_after(s, pos));
    case CTRL('k'): return cut(ui, pos, len);
    case CTRL('u'): return cut(ui, 0, pos);
    case CTRL('w'): return cut(ui, word_start(s, pos), pos);
    case CTRL('c'): return UI_HANDLED | UI_QUIT;
    default: return key < 32 ? UI_HANDLED : -1;
    }
}

/* The input line: characters are inserted at the cursor as UTF-8; see
 * edit_command for the rest. */
static int edit_sentence(UiState *ui, int key, bool is_function)
{
    int flags = edit_command(ui, key, is_function);
    if (flags >= 0)
        return flags;
    char mb[16];
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t n = wcrtomb(mb, (wchar_t)key, &st);
    size_t len = strlen(ui->sentence);
    if (n == (size_t)-1 || len + n + 1 > sizeof ui->sentence)
        return UI_HANDLED;
    char *at = ui->sentence + ui->edit_pos;
    memmove(at + n, at, len - (size_t)ui->edit_pos + 1);
    memcpy(at, mb, n);
    ui->edit_pos += (int)n;
    return UI_HANDLED | UI_REDRAW | UI_RERUN;
}

int keys_dispatch(UiState *ui, int key, bool is_function)
{
    if (ui->editing)
        return edit_sentence(ui, key, is_function);
    if (ui->searching)
        return merges_search_key(ui, key, is_function);
    int n;
    const KeyBinding *t = key_table(&n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < KEY_BINDING_MAX_KEYS && t[i].keys[j]; j++) {
            int k = t[i].keys[j];
            /* curses codes are above the character range; characters come unshifted */
            bool k_is_function = k >= KEY_MIN;
            if (k == key && k_is_function == is_function)
                return t[i].lm_only && !ui_is_lm(ui) ? 0 : t[i].handler(ui, key);
        }
    return 0;
}
