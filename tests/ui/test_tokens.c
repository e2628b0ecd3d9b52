/* The Attention view with BPE tokens: the typed sentence's pieces with their
 * boundaries (un|watch|able) on the line above the map (cut with a marker when
 * they do not fit), as the map's labels and in the tokens panel (`t`) with ids,
 * bytes, characters and the merge that made each piece; in colour and in
 * monochrome, at 80x24. Read back from off-screen canvases. */
#include <criterion/criterion.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "src/bpe.h"
#include "ui/canvas.h"
#include "ui/lang.h"
#include "ui/state.h"
#include "ui/views.h"

static UiState ui;
static Vocab *vocab;
static Theme mono, c256;
static TokenizerConfig tc = {TOKENIZER_BPE, true};
static const char *const labels[2] = {"negative", "positive"};

/* Merges that cut "unwatchable" as un|watch|able: un, wa, tc, watc, watch, ab,
 * le, able (ids 256..263). */
static const char *const MERGES =
    "{\"format\": \"minillm-tui-bpe/1\", \"split\": \"gpt2-like/1\", \"merges\": "
    "[[117, 110], [119, 97], [116, 99], [257, 258], [259, 104], [97, 98], [108, 101], [261, 262]], "
    "\"counts\": [9, 8, 7, 6, 5, 4, 3, 2]}";

/* The state on a fresh model reading max_len tokens, "Unwatchable" typed. */
static void open_ui(int max_len)
{
    char err[256] = "";
    Bpe *bpe = bpe_from_json(MERGES, strlen(MERGES), "test", err, sizeof err);
    cr_assert_not_null(bpe, "%s", err);
    vocab = vocab_from_bpe(bpe, 2, err, sizeof err);
    cr_assert_not_null(vocab, "%s", err);
    ModelConfig mc = model_config_default();
    mc.vocab_size = vocab_size(vocab);
    mc.d_model = 32;
    mc.num_heads = 2;
    mc.d_ff = 64;
    mc.num_layers = 2;
    mc.max_len = max_len;
    cr_assert_eq(ui_state_init(&ui, &mc, &tc, vocab, labels, 2, "Unwatchable", err, sizeof err),
                 0, "%s", err);
    ui.screen_h = 24;
    ui.screen_w = 80;
    ui.view = VIEW_ATTENTION;
    ui_state_run_sentence(&ui);
}

static void close_ui(void)
{
    ui_state_free(&ui);
    vocab_free(vocab);
}

static void setup(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    lang_set(LANG_EN);
    lang_set_utf8(true);
    theme_init(&mono, COLOR_MODE_MONO, true);
    theme_init(&c256, COLOR_MODE_256, true);
    open_ui(10);
}

static void teardown(void) { close_ui(); }

TestSuite(tokens, .init = setup, .fini = teardown);

/* The Attention view's body at 80x24 (less the tab bar and the bottom line). */
static char *draw(const Theme *t, Canvas *keep)
{
    Canvas c = canvas_offscreen(22, 80, t);
    view_attention_draw(&ui, &c);
    char *text = calloc(22 * 81 + 1, 1);
    for (int y = 0; y < 22; y++) {
        canvas_row_text(&c, y, text + y * 81, 81);
        text[y * 81 + strlen(text + y * 81)] = '\n';
    }
    for (int i = 0; i < 22 * 81; i++)
        if (!text[i])
            text[i] = ' ';
    if (keep)
        *keep = c;
    else
        canvas_free_offscreen(&c);
    return text;
}

Test(tokens, the_sentence_is_cut_into_pieces)
{
    const Inference *inf = &ui.inf;
    cr_assert_eq(inf->n_tokens, 3, "un|watch|able (lower-cased first)");
    cr_expect_str_eq(inf->tokens[0], "un");
    cr_expect_str_eq(inf->tokens[1], "watch");
    cr_expect_str_eq(inf->tokens[2], "able");
    cr_expect_eq(inf->ids[0], 2 + 256, "merge 0 after <PAD> and <UNK>");
    cr_expect_eq(inf->ids[1], 2 + 260);
    cr_expect_eq(inf->ids[2], 2 + 263);
    cr_expect_eq(inf->n_words, 3);
}

Test(tokens, the_map_labels_are_the_pieces)
{
    ui.panel = PANEL_STEPS;
    ui.step = STEP_SOFTMAX;
    char *text = draw(&mono, NULL);
    cr_expect(strstr(text, "watch"), "no piece label:\n%s", text);
    cr_expect(strstr(text, "able"), "no piece label:\n%s", text);
    free(text);
}

static void expect_panel(const Theme *t)
{
    ui.panel = PANEL_TOKENS;
    Canvas c;
    char *text = draw(t, &c);
    cr_expect(strstr(text, "un|watch|able"), "no boundaries:\n%s", text);
    cr_expect(strstr(text, "piece"), "no header:\n%s", text);
    /* watch: model id 262, 5 bytes, 5 characters, merge 5 of 8 (count 5) */
    cr_expect(strstr(text, "262     5     5  merge 5 of 8 (seen 5 times)"), "no watch row:\n%s", text);
    cr_expect(strstr(text, "258     2     2  merge 1 of 8 (seen 9 times)"), "no un row:\n%s", text);
    cr_expect(strstr(text, "265     4     4  merge 8 of 8 (seen 2 times)"), "no able row:\n%s", text);
    /* the pieces' row: the panel starts on row 4 (below the pieces line); two
     * styles alternate and the '|' between them is dimmed */
    char row[81];
    canvas_row_text(&c, 4, row, sizeof row);
    cr_assert_eq(strncmp(row, "un|watch|able", 13), 0, "row 4: %s", row);
    cr_expect_eq(canvas_style_at(&c, 4, 0), STYLE_TITLE);
    cr_expect_eq(canvas_style_at(&c, 4, 2), STYLE_DIM);
    cr_expect_eq(canvas_style_at(&c, 4, 3), STYLE_LABEL);
    cr_expect_eq(canvas_style_at(&c, 4, 9), STYLE_TITLE);
    canvas_free_offscreen(&c);
    free(text);
}

Test(tokens, the_tokens_panel_in_colour) { expect_panel(&c256); }
Test(tokens, the_tokens_panel_in_monochrome) { expect_panel(&mono); }

Test(tokens, bytes_that_no_merge_joins_are_byte_values)
{
    snprintf(ui.sentence, sizeof ui.sentence, "%s", "zé");
    ui_state_run_sentence(&ui);
    ui.panel = PANEL_TOKENS;
    char *text = draw(&mono, NULL);
    /* z, then the two bytes of é: one character, counted in its first byte */
    cr_expect(strstr(text, "z|\\xC3|\\xA9"), "no byte pieces:\n%s", text);
    cr_expect(strstr(text, "124     1     1  a byte value"), "no z row:\n%s", text);
    cr_expect(strstr(text, "197     1     1  a byte value"), "no 0xC3 row:\n%s", text);
    cr_expect(strstr(text, "171     1     0  a byte value"), "no 0xA9 row:\n%s", text);
    free(text);
}

Test(tokens, a_long_sentence_says_what_is_left_out)
{
    snprintf(ui.sentence, sizeof ui.sentence, "%s",
             "unwatchable unwatchable unwatchable unwatchable unwatchable unwatchable");
    ui_state_run_sentence(&ui);
    ui.panel = PANEL_TOKENS;
    char *text = draw(&mono, NULL);
    cr_expect_eq(ui.inf.n_tokens, 10, "max_len");
    cr_expect_gt(ui.inf.n_words, 10);
    cr_expect(strstr(text, "more tokens (the model reads 10)"), "no cut line:\n%s", text);
    free(text);
}

/* Row 2 of the view, the line under the layer and head: "pieces " then the
 * pieces joined by '|', above the panel's line and the map, whatever the panel. */
static void expect_pieces_line(const Theme *t, AttentionPanel panel, AttentionStep step)
{
    ui.panel = panel;
    ui.step = step;
    Canvas c;
    char *text = draw(t, &c);
    char row[81];
    canvas_row_text(&c, 2, row, sizeof row);
    cr_expect_eq(strncmp(row, "pieces un|watch|able ", 21), 0, "row 2: %s\n%s", row, text);
    /* the map's labels are below it */
    const char *line3 = strstr(text, "pieces un|watch|able");
    const char *label = line3 ? strstr(line3 + 20, "watch") : NULL;
    cr_expect(label, "no map label below the pieces:\n%s", text);
    cr_expect_eq(canvas_style_at(&c, 2, 0), STYLE_DIM, "the word 'pieces'");
    cr_expect_eq(canvas_style_at(&c, 2, 9), STYLE_DIM, "a '|'");
    cr_expect_eq(canvas_style_at(&c, 2, 7), STYLE_TITLE, "un");
    cr_expect_eq(canvas_style_at(&c, 2, 10), STYLE_LABEL, "watch: the other style");
    cr_expect_eq(canvas_style_at(&c, 2, 16), STYLE_TITLE, "able");
    canvas_free_offscreen(&c);
    free(text);
}

Test(tokens, the_pieces_line_is_above_the_map_in_colour)
{
    expect_pieces_line(&c256, PANEL_STEPS, STEP_SOFTMAX);
    expect_pieces_line(&c256, PANEL_HEADS, STEP_SOFTMAX);
    expect_pieces_line(&c256, PANEL_STEPS, STEP_RAW);
}

Test(tokens, the_pieces_line_is_above_the_map_in_monochrome)
{
    expect_pieces_line(&mono, PANEL_STEPS, STEP_SOFTMAX);
    expect_pieces_line(&mono, PANEL_FOCUS, STEP_SOFTMAX);
}

/* Pieces wider than the line: as many as fit, then the marker in the last
 * column; nothing beyond 80 columns. */
static void expect_cut(const Theme *t, wchar_t marker)
{
    close_ui();
    open_ui(64);
    /* 40 tokens: no merge joins the two bytes of e-acute, each shown as \xHH */
    char sentence[64] = "";
    for (int i = 0; i < 20; i++)
        strcat(sentence, "\xc3\xa9");
    snprintf(ui.sentence, sizeof ui.sentence, "%s", sentence);
    ui_state_run_sentence(&ui);
    cr_assert_eq(ui.inf.n_tokens, 40);
    ui.panel = PANEL_STEPS;
    Canvas c;
    char *text = draw(t, &c);
    char row[81];
    canvas_row_text(&c, 2, row, sizeof row);
    cr_expect_eq(strncmp(row, "pieces \\xC3|\\xA9|\\xC3|", 22), 0, "row 2: %s", row);
    cr_expect_eq(canvas_glyph_at(&c, 2, 79), marker, "row 2: %s", row);
    cr_expect_eq(canvas_style_at(&c, 2, 79), STYLE_DIM);
    canvas_free_offscreen(&c);
    free(text);
}

Test(tokens, pieces_that_do_not_fit_are_cut_with_a_marker)
{
    expect_cut(&c256, L'\x2026');
    Theme ascii;
    theme_init(&ascii, COLOR_MODE_MONO, false);
    expect_cut(&ascii, L'>');
}

Test(tokens, pieces_beyond_max_len_are_marked)
{
    snprintf(ui.sentence, sizeof ui.sentence, "%s", "unwatchable unwatchable unwatchable unwatchable");
    ui_state_run_sentence(&ui);
    cr_assert_gt(ui.inf.n_words, ui.inf.n_tokens);
    Canvas c;
    char *text = draw(&mono, &c);
    char row[81];
    canvas_row_text(&c, 2, row, sizeof row);
    /* 10 pieces: un|watch|able| |un|... then the marker right after them */
    cr_expect_eq(strncmp(row, "pieces un|watch|able| |un|watch|able| |un|watch?", 48), 0,
                 "row 2: %s", row);
    cr_expect_eq(canvas_glyph_at(&c, 2, 47), L'\x2026');
    canvas_free_offscreen(&c);
    free(text);
}
