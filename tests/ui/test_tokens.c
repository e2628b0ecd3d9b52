/* The Attention view with BPE tokens: the typed sentence's pieces with their
 * boundaries (un|watch|able), as the map's labels and in the tokens panel (`t`)
 * with ids, bytes, characters and the merge that made each piece; in colour and
 * in monochrome, at 80x24. Read back from off-screen canvases. */
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

static void setup(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    lang_set(LANG_EN);
    lang_set_utf8(true);
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
    mc.max_len = 10;
    cr_assert_eq(ui_state_init(&ui, &mc, &tc, vocab, labels, 2, "Unwatchable", err, sizeof err),
                 0, "%s", err);
    ui.screen_h = 24;
    ui.screen_w = 80;
    ui.view = VIEW_ATTENTION;
    ui_state_run_sentence(&ui);
    theme_init(&mono, COLOR_MODE_MONO, true);
    theme_init(&c256, COLOR_MODE_256, true);
}

static void teardown(void)
{
    ui_state_free(&ui);
    vocab_free(vocab);
}

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
    /* the pieces' row: the panel starts on row 3; two styles alternate and the
     * '|' between them is dimmed */
    char row[81];
    canvas_row_text(&c, 3, row, sizeof row);
    cr_assert_eq(strncmp(row, "un|watch|able", 13), 0, "row 3: %s", row);
    cr_expect_eq(canvas_style_at(&c, 3, 0), STYLE_TITLE);
    cr_expect_eq(canvas_style_at(&c, 3, 2), STYLE_DIM);
    cr_expect_eq(canvas_style_at(&c, 3, 3), STYLE_LABEL);
    cr_expect_eq(canvas_style_at(&c, 3, 9), STYLE_TITLE);
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
