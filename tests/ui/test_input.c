/* The key handlers and the input line without a terminal (every character of a
 * paste lands, the cursor keys edit in the middle), the help (every key, wrapped
 * at 80 columns, scrolled to its end and no further), the note on the bottom
 * line, and the English and French texts (accents in UTF-8, ASCII otherwise). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ui/keys.h"
#include "ui/lang.h"
#include "ui/views.h"
#include "ui_fixture.h"

static UiState ui;
static Theme mono;

static void setup(void)
{
    fixture_open(&ui, 64);
    theme_init(&mono, COLOR_MODE_MONO, false);
    ui.theme = &mono;
}

static void teardown(void) { fixture_close(&ui); }

TestSuite(keys, .init = setup, .fini = teardown);
TestSuite(help, .init = setup, .fini = teardown);
TestSuite(notes, .init = setup, .fini = teardown);

/* UTF-8 text as canvas_row_text reads it back: one '?' per non-ASCII character. */
static void as_row_text(const char *text, char *out, size_t len)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && n + 1 < len; p++)
        if (*p < 0x80)
            out[n++] = (char)*p;
        else if ((*p & 0xC0) != 0x80)
            out[n++] = '?';
    out[n] = '\0';
}

static void type(const char *text)
{
    for (const char *p = text; *p; p++)
        keys_dispatch(&ui, (unsigned char)*p, false);
}

Test(keys, switch_views_heads_layers)
{
    cr_expect_eq(keys_dispatch(&ui, '2', false) & UI_REDRAW, UI_REDRAW);
    cr_expect_eq(ui.view, VIEW_ATTENTION);
    keys_dispatch(&ui, '\t', false);
    cr_expect_eq(ui.view, VIEW_PE);
    keys_dispatch(&ui, KEY_BTAB, true);
    cr_expect_eq(ui.view, VIEW_ATTENTION);
    keys_dispatch(&ui, KEY_RIGHT, true);
    cr_expect_eq(ui.head, 1);
    keys_dispatch(&ui, 'h', false);
    keys_dispatch(&ui, 'h', false);
    cr_expect_eq(ui.head, 3, "wraps around");
    keys_dispatch(&ui, KEY_UP, true);
    cr_expect_eq(ui.layer, 1, "wraps to the last layer");
    keys_dispatch(&ui, 'j', false);
    cr_expect_eq(ui.layer, 0);
    keys_dispatch(&ui, 'a', false);
    cr_expect_eq(ui.panel, PANEL_HEADS);
    keys_dispatch(&ui, 'L', false);
    keys_dispatch(&ui, 'J', false);
    cr_expect_eq(ui.cur_k, 1);
    cr_expect_eq(ui.cur_q, 1);
    keys_dispatch(&ui, '?', false);
    cr_expect_eq(ui.view, VIEW_HELP);
    keys_dispatch(&ui, 27, false);
    cr_expect_eq(ui.view, VIEW_ATTENTION, "Esc leaves the help");
    keys_dispatch(&ui, KEY_F(1), true);
    cr_expect_eq(ui.view, VIEW_HELP, "F1 opens the help");
    cr_expect_eq(keys_dispatch(&ui, 'q', false) & UI_QUIT, UI_QUIT);
    cr_expect_eq(keys_dispatch(&ui, 3, false) & UI_QUIT, UI_QUIT, "Ctrl-C");
    cr_expect_eq(keys_dispatch(&ui, 'Z', false), 0, "unbound key");
}

/* Item 2: `/` in the Model view edits there (the view shows the line); keys
 * typed are text, `q` included, until Enter. */
Test(keys, slash_edits_in_the_model_view)
{
    keys_dispatch(&ui, '4', false);
    keys_dispatch(&ui, '/', false);
    cr_expect(ui.editing);
    cr_expect_eq(ui.view, VIEW_MODEL, "the model view shows the sentence line");
    cr_expect(view_shows_sentence(VIEW_MODEL, 16, 60));
    keys_dispatch(&ui, 21, false); /* Ctrl-U: all before the cursor (at the end) */
    cr_expect_eq(keys_dispatch(&ui, 'q', false) & UI_QUIT, 0, "q is typed, not quit");
    cr_expect_str_eq(ui.sentence, "q");
    keys_dispatch(&ui, '\r', false);
    cr_expect_not(ui.editing);
    keys_dispatch(&ui, '3', false);
    keys_dispatch(&ui, '/', false);
    cr_expect_eq(ui.view, VIEW_ATTENTION, "the PE view does not show the sentence");
}

/* Item 1: a 300-character paste, key by key, lands whole (the input line holds it). */
Test(keys, long_paste_lands_whole)
{
    char paste[301];
    for (int i = 0; i < 300; i++)
        paste[i] = i % 11 == 10 ? ' ' : (char)('a' + i % 26);
    paste[300] = '\0';
    keys_dispatch(&ui, '/', false);
    keys_dispatch(&ui, 21, false);
    type(paste);
    cr_expect_str_eq(ui.sentence, paste);
    cr_expect_eq(ui.edit_pos, 300);
}

/* Polish: the input line's cursor keys. */
Test(keys, input_line_cursor_and_cuts)
{
    keys_dispatch(&ui, '/', false);
    keys_dispatch(&ui, 21, false);
    cr_expect_str_eq(ui.sentence, "");
    type("the movie was great");
    keys_dispatch(&ui, KEY_HOME, true);
    type("oh ");
    cr_expect_str_eq(ui.sentence, "oh the movie was great");
    keys_dispatch(&ui, KEY_END, true);
    keys_dispatch(&ui, 23, false); /* Ctrl-W */
    cr_expect_str_eq(ui.sentence, "oh the movie was ");
    keys_dispatch(&ui, 23, false);
    cr_expect_str_eq(ui.sentence, "oh the movie ");
    keys_dispatch(&ui, KEY_LEFT, true);
    keys_dispatch(&ui, KEY_LEFT, true); /* the cursor on the 'e' */
    keys_dispatch(&ui, KEY_BACKSPACE, true);
    cr_expect_str_eq(ui.sentence, "oh the move ");
    keys_dispatch(&ui, KEY_DC, true);
    cr_expect_str_eq(ui.sentence, "oh the mov ");
    keys_dispatch(&ui, L'\x00e9', false);
    cr_expect_str_eq(ui.sentence, "oh the mov\xc3\xa9 ");
    keys_dispatch(&ui, KEY_LEFT, true);
    keys_dispatch(&ui, KEY_RIGHT, true);
    keys_dispatch(&ui, KEY_BACKSPACE, true);
    cr_expect_str_eq(ui.sentence, "oh the mov ", "Backspace removes a whole character");
    keys_dispatch(&ui, 1, false); /* Ctrl-A */
    keys_dispatch(&ui, 11, false); /* Ctrl-K */
    cr_expect_str_eq(ui.sentence, "");
    type("a b");
    keys_dispatch(&ui, KEY_LEFT, true);
    keys_dispatch(&ui, 21, false); /* Ctrl-U: up to the cursor */
    cr_expect_str_eq(ui.sentence, "b");
    cr_expect_eq(ui.edit_pos, 0);
    keys_dispatch(&ui, 27, false);
    cr_expect_not(ui.editing, "Esc leaves the input");
}

/* Polish: every key of the table, F1 among them, with its whole help text at 80
 * columns (wrapped, not cut); the scroll stops with the end at the bottom. */
Test(help, lists_every_key_wrapped_at_80_columns)
{
    int n;
    const KeyBinding *t = key_table(&n);
    for (int lang = 0; lang < 2; lang++) {
        lang_set((Lang)lang);
        int lines = view_help_lines(80, false);
        char *text = fixture_draw(view_help_draw, &ui, lines + 2, 80, &mono);
        for (int i = 0; i < n; i++) {
            if (t[i].lm_only) /* a classifier's help leaves the Generate view's keys out */
                continue;
            char label[64];
            as_row_text(key_label(&t[i], (Lang)lang), label, sizeof label);
            cr_expect(strstr(text, label), "key '%s' missing from help", label);
            char help[256], last[256];
            as_row_text(msg(t[i].help), help, sizeof help);
            const char *word = strrchr(help, ' ');
            snprintf(last, sizeof last, "%s", word ? word + 1 : help);
            cr_expect(strstr(text, last), "the end of '%s' missing (cut?):\n%s", help, text);
        }
        cr_expect(strstr(text, "?, F1"), "F1 listed");
        cr_expect(strstr(text, "softmax(Q K^T / sqrt(d_k)) V"), "attention formula missing");
        cr_expect(strstr(text, "LayerNorm(x)"), "LayerNorm formula missing");
        for (char *line = text; *line; line = strchr(line, '\n') + 1)
            cr_expect_leq(strchr(line, '\n') - line, 80);
        free(text);
    }
    lang_set(LANG_EN);
}

Test(help, scrolls_to_its_end_and_no_further)
{
    ui.screen_h = 24;
    ui.screen_w = 80;
    keys_dispatch(&ui, '?', false);
    for (int i = 0; i < 500; i++)
        keys_dispatch(&ui, KEY_DOWN, true);
    int body = ui.screen_h - 2, lines = view_help_lines(80, false);
    cr_expect_eq(ui.help_scroll, lines - (body - 1), "the last line at the bottom, no further");
    keys_dispatch(&ui, KEY_HOME, true);
    cr_expect_eq(ui.help_scroll, 0);
    keys_dispatch(&ui, KEY_NPAGE, true);
    cr_expect_eq(ui.help_scroll, ui.screen_h - 4);
    keys_dispatch(&ui, KEY_END, true);
    char *text = fixture_draw(view_help_draw, &ui, body, 80, &mono);
    char want[64];
    snprintf(want, sizeof want, "lines %d-%d of %d", ui.help_scroll + 1, lines, lines);
    cr_expect(strstr(text, want), "%s", text);
    cr_expect(strstr(text, "gradient L2 norm"), "the last line shows:\n%s", text);
    free(text);
}

/* Items 6, 11: the set-up's note, one item at a time, each until Esc. */
Test(notes, esc_takes_them_off_one_by_one)
{
    snprintf(ui.note, sizeof ui.note, "data.tsv: skipped 1 bad line; ignored, the checkpoint "
             "decides: model.d_model=128 (checkpoint: 64); data.tsv:5: label \"x\" is not a number");
    cr_expect_eq(ui_note_count(&ui), 3);
    char item[256];
    cr_expect(ui_note_item(&ui, 1, item, sizeof item));
    cr_expect_str_eq(item, "ignored, the checkpoint decides: model.d_model=128 (checkpoint: 64)");
    cr_expect_not(ui_note_item(&ui, 3, item, sizeof item));
    ui.bottom = BOTTOM_NOTE;
    keys_dispatch(&ui, 27, false);
    cr_expect_eq(ui.notes_dismissed, 1);
    ui.bottom = BOTTOM_STATUS; /* an event on the bottom line: Esc hides it, not a note */
    ui.snap.status_seq = 7;
    keys_dispatch(&ui, 27, false);
    cr_expect_eq(ui.notes_dismissed, 1);
    cr_expect_eq(ui.status_hidden, 7);
}

/* Polish: French with its accents in UTF-8, ASCII without; key names translated;
 * the same printf conversions in both languages. */
Test(lang, selection_accents_and_ascii)
{
    cr_expect_eq(lang_select("fr"), LANG_FR);
    cr_expect_eq(lang_select("en"), LANG_EN);
    setenv("LC_ALL", "fr_FR.UTF-8", 1);
    cr_expect_eq(lang_select("auto"), LANG_FR);
    cr_expect_eq(lang_select("en"), LANG_EN, "the config wins over the locale");
    setenv("LC_ALL", "", 1);
    unsetenv("LC_MESSAGES");
    setenv("LANG", "de_DE.UTF-8", 1);
    cr_expect_eq(lang_select("auto"), LANG_EN);
    setenv("LANG", "fr_CA.UTF-8", 1);
    cr_expect_eq(lang_select(""), LANG_FR);

    lang_set(LANG_FR);
    lang_set_utf8(true);
    cr_expect_str_eq(msg(MSG_VIEW_MODEL), "Modèle");
    cr_expect_str_eq(msg(MSG_EPOCH), "époque");
    cr_expect(strstr(view_explanation(VIEW_ATTENTION), "Concat(tête_1..tête_h)"));
    lang_set_utf8(false);
    cr_expect_str_eq(msg(MSG_VIEW_MODEL), "Modele");
    cr_expect_str_eq(msg(MSG_EDIT_HINT), "/ modifier");
    for (int i = 0; i < MSG_COUNT; i++)
        for (const char *p = msg((MsgId)i); *p; p++)
            cr_expect_lt((unsigned char)*p, 0x80, "message %d not ASCII: %s", i, msg((MsgId)i));
    for (int v = 0; v < VIEW_COUNT; v++)
        for (const char *p = view_explanation(v); *p; p++)
            cr_expect_lt((unsigned char)*p, 0x80, "explanation %d not ASCII", v);
    lang_set_utf8(true);
    lang_set(LANG_EN);

    int n;
    const KeyBinding *t = key_table(&n);
    cr_expect_str_eq(key_label(&t[0], LANG_FR), "Espace");
    cr_expect_str_eq(key_label(&t[0], LANG_EN), "Space");
    for (int i = 0; i < MSG_COUNT; i++) {
        const char *en = msg_in(LANG_EN, (MsgId)i), *fr = msg_in(LANG_FR, (MsgId)i);
        cr_expect(fr[0], "French message %d is empty", i);
        /* the conversions, in order */
        const char *a = en, *b = fr;
        for (;;) {
            a = strchr(a, '%');
            b = strchr(b, '%');
            if (!a || !b)
                break;
            size_t la = strcspn(a + 1, "dsfegl%") + 2, lb = strcspn(b + 1, "dsfegl%") + 2;
            cr_expect(la == lb && strncmp(a, b, la) == 0, "message %d: %s / %s", i, en, fr);
            a += la, b += lb;
        }
        cr_expect(!a && !b, "message %d has other conversions in French: %s / %s", i, en, fr);
    }
    char out[64];
    lang_fold_ascii("«\xc2\xa0" "déjà vu\xc2\xa0» — 映", out, sizeof out);
    cr_expect_str_eq(out, "\" deja vu \" - ?");
}
