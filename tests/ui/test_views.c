/* The views and key handlers without a terminal: a small model, the UI-side
 * inference on a sentence, every view drawn into an off-screen canvas at two
 * sizes and its text checked; keys change views, heads, layers and edit the
 * sentence; the language choice. */
#include <criterion/criterion.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/keys.h"
#include "ui/lang.h"
#include "ui/plot.h"
#include "ui/state.h"
#include "ui/views.h"

static const char *const vocab_words[] = {"<PAD>", "<UNK>", "great", "movie", "the", "was"};
static const char *const labels[] = {"negative", "positive"};
static Vocab *vocab;
static TokenizerConfig tc = {TOKENIZER_WHITESPACE, true};
static UiState ui;
static Theme theme;

static void setup(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    lang_set(LANG_EN);
    char err[256];
    vocab = vocab_from_list(vocab_words, 6, err, sizeof err);
    cr_assert_not_null(vocab, "%s", err);
    ModelConfig mc = model_config_default();
    mc.vocab_size = 6;
    mc.num_layers = 2;
    mc.max_len = 10;
    cr_assert_eq(ui_state_init(&ui, &mc, &tc, vocab, labels, 2, "the movie was great", err, sizeof err),
                 0, "%s", err);
    theme_init(&theme, COLOR_MODE_MONO, false);
    ui.theme = &theme;
    for (long s = 1; s <= 50; s++) {
        metric_history_push(&ui.snap.train_loss, s, 0.7f / (float)s);
        metric_history_push(&ui.snap.train_acc, s, 1.0f - 0.5f / (float)s);
    }
    ui.snap.progress.step = 50;
    ui.snap.progress.total_steps = 100;
    ui.snap.progress.epochs = 4;
    ui.snap.progress.epoch = 1;
    ui.snap.progress.steps_per_epoch = 25;
    ui.snap.progress.lr = 1e-3f;
    ui.snap.lr_scale = 1.0f;
    ui.snap.pace = 15.0f;
    ui.snap.state = TRAIN_STATE_RUNNING;
    ui_state_run_sentence(&ui);
}

static void teardown(void)
{
    ui_state_free(&ui);
    vocab_free(vocab);
}

TestSuite(views, .init = setup, .fini = teardown);

/* The whole canvas as text, rows joined by '\n'. */
static char *screen_text(const Canvas *c)
{
    char *out = calloc((size_t)c->h * (size_t)(c->w + 1) + 1, 1);
    for (int y = 0; y < c->h; y++) {
        canvas_row_text(c, y, out + (size_t)y * (size_t)(c->w + 1), c->w + 1);
        out[(size_t)y * (size_t)(c->w + 1) + (size_t)c->w] = '\n';
    }
    return out;
}

Test(views, inference_attention_rows_sum_to_one)
{
    Inference *inf = &ui.inf;
    cr_assert(inf->valid);
    cr_expect_eq(inf->n_tokens, 4);
    cr_expect_eq(inf->shown, 6, "4 tokens and 2 padding columns");
    cr_expect_str_eq(inf->tokens[1], "movie");
    cr_expect_str_eq(inf->tokens[4], "<pad>");
    for (int l = 0; l < 2; l++)
        for (int h = 0; h < 4; h++)
            for (int q = 0; q < inf->n_tokens; q++) {
                double sum = 0;
                for (int k = 0; k < inf->T; k++) {
                    bool masked;
                    float v = infer_attention(inf, l, h, q, k, &masked);
                    cr_expect_eq(masked, k >= 4, "pad keys are masked");
                    if (masked)
                        cr_expect_eq(v, 0.0f, "masked weight must be exactly 0");
                    sum += v;
                }
                cr_expect_float_eq(sum, 1.0, 1e-5, "layer %d head %d row %d sums to %g", l, h, q, sum);
            }
    cr_expect_float_eq(inf->probs[0] + inf->probs[1], 1.0f, 1e-5);
    cr_expect(inf->norms[0] > 0.0f);
    infer_run(inf, "");
    cr_expect_not(inf->valid, "an empty sentence runs no forward");
}

static void check_view(void (*draw)(const UiState *, const Canvas *), int h, int w, const char *needle)
{
    Canvas c = canvas_offscreen(h, w, &theme);
    draw(&ui, &c);
    char *text = screen_text(&c);
    cr_expect(strstr(text, needle), "'%s' not in the %dx%d view:\n%s", needle, w, h, text);
    free(text);
    canvas_free_offscreen(&c);
}

Test(views, every_view_draws_at_two_sizes)
{
    int sizes[2][2] = {{38, 132}, {22, 80}};
    for (int i = 0; i < 2; i++) {
        int h = sizes[i][0], w = sizes[i][1];
        check_view(view_dashboard_draw, h, w, "step 50");
        check_view(view_dashboard_draw, h, w, "loss");
        check_view(view_dashboard_draw, h, w, "accuracy");
        check_view(view_attention_draw, h, w, "layer 1/2  head 1/4");
        check_view(view_attention_draw, h, w, "movie");
        check_view(view_attention_draw, h, w, "positive");
        check_view(view_pe_draw, h, w, "cosine");
        check_view(view_pe_draw, h, w, "d=1 (cos)");
        check_view(view_model_draw, h, w, "total");
        check_view(view_model_draw, h, w, "layer 2");
        check_view(view_help_draw, h, w, "Keys");
    }
    ui.all_heads = true;
    check_view(view_attention_draw, 38, 132, "h4");
    ui.all_heads = false;
    ui.snap.state = TRAIN_STATE_ERROR;
    check_view(view_dashboard_draw, 38, 132, "ERROR");
}

Test(views, status_line_shows_the_pace)
{
    check_view(view_dashboard_draw, 38, 132, "pace 15 steps/s");
    check_view(view_dashboard_draw, 22, 80, "pace 15/s");
    ui.snap.elapsed_s = 83.5;
    check_view(view_dashboard_draw, 38, 132, "elapsed 00:01:23");
    ui.snap.pace = 7.5f;
    check_view(view_dashboard_draw, 38, 132, "pace 7.5 steps/s");
    ui.snap.pace = 0.0f;
    check_view(view_dashboard_draw, 38, 132, "pace max");
    check_view(view_dashboard_draw, 22, 80, "pace max");
    lang_set(LANG_FR);
    check_view(view_dashboard_draw, 38, 132, "rythme max");
    lang_set(LANG_EN);
}

/* Cells of glyph g inside the rectangle (y, x, h, w) of canvas c. */
static int count_glyph(const Canvas *c, int y, int x, int h, int w, wchar_t g)
{
    int n = 0;
    for (int r = y; r < y + h; r++)
        for (int col = x; col < x + w; col++)
            n += canvas_glyph_at(c, r, col) == g;
    return n;
}

Test(views, best_validation_step_is_marked)
{
    /* validation every 10 steps, best at step 30 */
    const float val[5] = {0.70f, 0.78f, 0.827f, 0.80f, 0.81f};
    for (int i = 0; i < 5; i++)
        metric_history_push(&ui.snap.val_acc, 10 * (i + 1), val[i]);
    /* 80 columns: loss over accuracy; the accuracy box is rows 12..21, its
     * plot area rows 13..19 and columns 3..78 (after the "1"/"0" scale) */
    Canvas c = canvas_offscreen(22, 80, &theme);
    view_dashboard_draw(&ui, &c);
    char *text = screen_text(&c);
    cr_expect_not(strstr(text, "best"), "no best before validation:\n%s", text);
    cr_expect_eq(count_glyph(&c, 13, 3, 7, 76, L'*'), 0);
    free(text);

    ui.snap.progress.has_val = true;
    ui.snap.progress.val_step = 50;
    ui.snap.progress.val_acc = 0.81f;
    ui.snap.progress.best_val_acc = 0.827f;
    ui.snap.progress.best_step = 30;
    canvas_fill(&c, 0, 0, 22, 80, L' ', STYLE_NORMAL);
    view_dashboard_draw(&ui, &c);
    text = screen_text(&c);
    cr_expect(strstr(text, "best 82.7% @ step 30"), "best legend missing:\n%s", text);
    /* step 30 of 50 -> dot column round(0.6 * 75) = 45; 0.827 -> dot row
     * round(0.173 * 20) = 3 of 21, i.e. text row 1 of the plot */
    cr_expect_eq(canvas_glyph_at(&c, 14, 3 + 45), L'*', "marker not at the best point:\n%s", text);
    cr_expect_eq(canvas_style_at(&c, 14, 3 + 45), STYLE_GOOD);
    cr_expect_eq(count_glyph(&c, 13, 3, 7, 76, L'*'), 1, "exactly one marker");
    cr_expect_eq(count_glyph(&c, 3, 3, 7, 76, L'*'), 0, "none on the loss plot");
    free(text);
    canvas_free_offscreen(&c);

    /* wide layout and UTF-8: the diamond, and the French legend */
    Theme utf8;
    theme_init(&utf8, COLOR_MODE_256, true);
    Canvas w = canvas_offscreen(38, 132, &utf8);
    lang_set(LANG_FR);
    view_dashboard_draw(&ui, &w);
    text = screen_text(&w);
    cr_expect(strstr(text, "meilleure 82.7% @ step 30"), "French legend missing:\n%s", text);
    cr_expect_eq(count_glyph(&w, 3, 66, 24, 66, (wchar_t)0x25c6), 1, "one diamond in the accuracy box");
    cr_expect_eq(count_glyph(&w, 3, 0, 24, 66, (wchar_t)0x25c6), 0, "none in the loss box");
    lang_set(LANG_EN);
    free(text);
    canvas_free_offscreen(&w);
}

Test(views, long_sentence_on_the_smallest_screen)
{
    snprintf(ui.sentence, sizeof ui.sentence, "the movie was great the movie was great was great");
    ui_state_run_sentence(&ui);
    cr_expect_eq(ui.inf.n_tokens, 10, "cut at max_len");
    cr_expect_eq(ui.inf.shown, 10, "no room left for padding columns");
    Canvas c = canvas_offscreen(UI_MIN_LINES - 2, UI_MIN_COLS, &theme);
    view_attention_draw(&ui, &c);
    int heat = 0;
    for (int y = 0; y < c.h; y++)
        for (int x = 0; x < c.w; x++)
            heat += canvas_style_at(&c, y, x) >= STYLE_HEAT_0;
    cr_expect_geq(heat, 10 * 10, "heat cells drawn: %d", heat);
    canvas_free_offscreen(&c);
}

Test(views, model_view_counts_parameters)
{
    ParamBudget b = model_param_budget(&ui.inf.model->cfg);
    char num[32];
    format_count(num, sizeof num, (double)b.total);
    check_view(view_model_draw, 38, 132, num);
}

Test(views, help_lists_every_key_of_the_table)
{
    int n;
    const KeyBinding *t = key_table(&n);
    Canvas c = canvas_offscreen(80, 132, &theme);
    ui.view_before_help = VIEW_ATTENTION;
    view_help_draw(&ui, &c);
    char *text = screen_text(&c);
    for (int i = 0; i < n; i++) {
        cr_expect(strstr(text, t[i].label), "key '%s' missing from help", t[i].label);
        cr_expect(strstr(text, msg(t[i].help)), "help text of '%s' missing", t[i].label);
        cr_expect_not_null(t[i].handler);
    }
    cr_expect(strstr(text, "softmax(Q K^T / sqrt(d_k)) V"), "attention formula missing");
    cr_expect(strstr(text, "PE(pos, 2i)"), "PE formula missing");
    cr_expect(strstr(text, "LayerNorm(x)"), "LayerNorm formula missing");
    free(text);
    canvas_free_offscreen(&c);
}

Test(views, keys_switch_views_heads_layers)
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
    cr_expect(ui.all_heads);
    keys_dispatch(&ui, 'L', false);
    keys_dispatch(&ui, 'J', false);
    cr_expect_eq(ui.cur_k, 1);
    cr_expect_eq(ui.cur_q, 1);
    keys_dispatch(&ui, '?', false);
    cr_expect_eq(ui.view, VIEW_HELP);
    keys_dispatch(&ui, 27, false);
    cr_expect_eq(ui.view, VIEW_ATTENTION, "Esc leaves the help");
    cr_expect_eq(keys_dispatch(&ui, 'q', false) & UI_QUIT, UI_QUIT);
    cr_expect_eq(keys_dispatch(&ui, 3, false) & UI_QUIT, UI_QUIT, "Ctrl-C");
    cr_expect_eq(keys_dispatch(&ui, 'Z', false), 0, "unbound key");
}

Test(views, input_line_edits_utf8)
{
    keys_dispatch(&ui, '/', false);
    cr_expect(ui.editing);
    cr_expect_eq(keys_dispatch(&ui, 21, false) & UI_RERUN, UI_RERUN, "Ctrl-U clears");
    cr_expect_str_eq(ui.sentence, "");
    keys_dispatch(&ui, 'q', false); /* typed, not quit */
    keys_dispatch(&ui, L'\x00e9', false);
    cr_expect_str_eq(ui.sentence, "q\xc3\xa9");
    keys_dispatch(&ui, KEY_BACKSPACE, true);
    cr_expect_str_eq(ui.sentence, "q", "Backspace removes a whole character");
    keys_dispatch(&ui, '\r', false);
    cr_expect_not(ui.editing);
    keys_dispatch(&ui, '/', false);
    keys_dispatch(&ui, 27, false);
    cr_expect_not(ui.editing, "Esc leaves the input");
}

Test(lang, selection_and_french)
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
    cr_expect_str_eq(msg(MSG_TOO_SMALL), "terminal trop petit");
    cr_expect(strstr(view_explanation(VIEW_ATTENTION, LANG_FR), "softmax(Q K^T / sqrt(d_k)) V"));
    for (int i = 0; i < MSG_COUNT; i++)
        cr_expect(msg((MsgId)i)[0] != '\0', "French message %d is empty", i);
    lang_set(LANG_EN);
}
