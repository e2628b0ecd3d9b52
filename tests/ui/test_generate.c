/* The Generate view and the other views on a language model (issue 15): the
 * next-token bars against the model's softmax, the view's draws against
 * lm_generate (what `generate` prints), the dashboard's bits per character,
 * the Model view's LM head, the help's four topics in both languages, and
 * every view at 80x24 without a cut number. */
#include <criterion/criterion.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/lm_generate.h"
#include "ui/frame.h"
#include "ui/keys.h"
#include "ui/lang.h"
#include "ui/views.h"
#include "ui_fixture.h"

static const char *const chars[] = {"<PAD>", "<UNK>", "\n", " ", "a", "b", "c", "d", "e", "t"};
static Vocab *vocab;
static TokenizerConfig tc = {TOKENIZER_CHAR, false};
static UiState ui;
static Theme mono;

static void lm_open(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    lang_set(LANG_EN);
    lang_set_utf8(true);
    theme_init(&mono, COLOR_MODE_MONO, true);
    char err[256];
    vocab = vocab_from_list(chars, 10, err, sizeof err);
    cr_assert_not_null(vocab, "%s", err);
    ModelConfig mc = model_config_default();
    mc.task = MODEL_TASK_LM;
    mc.causal = true;
    mc.norm = NORM_PRE;
    mc.num_classes = 0;
    mc.vocab_size = 10;
    mc.d_model = 32;
    mc.num_layers = 2;
    mc.max_len = 16;
    cr_assert_eq(ui_state_init(&ui, &mc, &tc, vocab, NULL, 0, "a cat", err, sizeof err), 0, "%s", err);
    ui.screen_h = 24;
    ui.screen_w = 80;
    ui.view = VIEW_GENERATE;
    ui_state_run_sentence(&ui);
}

static void lm_close(void)
{
    ui_state_free(&ui);
    vocab_free(vocab);
}

TestSuite(generate, .init = lm_open, .fini = lm_close);

/* The bars: the model's own softmax after the prompt (a full forward, not the
 * cache), most probable first, each percentage on screen. */
Test(generate, bars_are_the_models_softmax)
{
    const Model *m = ui.inf.model;
    int ids[16], V = m->cfg.vocab_size;
    long n = encode_text(&tc, vocab, "a cat", 5, ids, NULL);
    cr_assert_eq(n, 5);
    Activations *a = activations_create(m, 1, 16);
    const float *logits = model_forward((Model *)m, a, ids, 1, (int)n, NULL);
    cr_assert_not_null(logits);
    float p[10];
    gen_softmax(logits + (size_t)(n - 1) * V, V, 1.0f, p);
    const GenState *gs = &ui.gen;
    cr_assert(gs->valid);
    char *text = fixture_draw(view_generate_draw, &ui, 22, 80, &mono);
    for (int i = 0; i < gs->n_top; i++) {
        int id = gs->top[i];
        cr_expect(fabsf(gs->probs[id] - p[id]) < 1e-5f, "token %d: %g vs %g", id,
                  (double)gs->probs[id], (double)p[id]);
        if (i > 0)
            cr_expect(p[gs->top[i - 1]] >= p[id], "bars in order");
        char pct[32];
        snprintf(pct, sizeof pct, "%5.1f%%", (double)p[id] * 100.0);
        cr_expect(strstr(text, pct), "%s missing:\n%s", pct, text);
    }
    cr_expect_eq(gs->n_top, 10);
    free(text);
    activations_free(a);
}

/* n, pressed 40 times (past max_len: the window slides), draws what
 * lm_generate draws for the same prompt and seed, greedy and sampled. */
static void expect_same_as_generate(float temperature, int top_k)
{
    ui.gen.sampling.temperature = temperature;
    ui.gen.sampling.top_k = top_k;
    keys_dispatch(&ui, 'e', false);
    for (int i = 0; i < 40; i++)
        keys_dispatch(&ui, 'n', false);
    cr_assert_eq(gen_generated(&ui.gen), 40);
    GenerateSpec spec = {.prompt = "a cat", .tokens = 40, .seed = 42,
                         .sampling = {.temperature = temperature, .top_k = top_k, .top_p = 1.0f}};
    GenerateResult r;
    char err[256];
    cr_assert_eq(lm_generate(ui.inf.model, &tc, vocab, &spec, NULL, NULL, &r, err, sizeof err), 0, "%s", err);
    for (int i = 0; i < 40; i++)
        cr_expect_eq(ui.gen.history[ui.gen.n_prompt + i], r.ids[i], "T %g token %d", (double)temperature, i);
    generate_result_free(&r);
}

Test(generate, draws_equal_the_generate_command)
{
    expect_same_as_generate(0.0f, 0);
    expect_same_as_generate(1.0f, 0);
    expect_same_as_generate(0.7f, 3);
}

Test(generate, keys_set_temperature_and_top_k)
{
    keys_dispatch(&ui, '[', false);
    cr_expect_float_eq(ui.gen.sampling.temperature, 0.8f, 1e-6);
    for (int i = 0; i < 20; i++)
        keys_dispatch(&ui, '[', false);
    cr_expect_eq(ui.gen.sampling.temperature, 0.0f);
    keys_dispatch(&ui, '}', false);
    keys_dispatch(&ui, '}', false);
    cr_expect_eq(ui.gen.sampling.top_k, 2);
    float kept = 0;
    int nonzero = 0;
    for (int i = 0; i < 10; i++)
        kept += ui.gen.sampled[i], nonzero += ui.gen.sampled[i] > 0;
    cr_expect_eq(nonzero, 1, "greedy: one token drawn");
    cr_expect_float_eq(kept, 1.0f, 1e-5);
}

Test(generate, dashboard_shows_bits_per_character)
{
    TrainProgress *p = &ui.snap.progress;
    p->is_lm = true;
    p->has_val = true;
    p->step = p->val_step = 100;
    p->total_steps = 600;
    p->val_loss = 1.5f;
    p->val_perplexity = expf(1.5f);
    p->val_bpc = 1.5f / logf(2.0f);
    p->ppl_avg = 5.0f;
    p->bpc_avg = 2.3f;
    ui.view = VIEW_DASHBOARD;
    char *text = fixture_draw(view_dashboard_draw, &ui, 38, 132, &mono);
    cr_expect(strstr(text, "bits per character"), "%s", text);
    cr_expect(strstr(text, "bpc 2.164"), "validation bpc:\n%s", text);
    cr_expect(strstr(text, "ppl 4.48"), "validation perplexity:\n%s", text);
    cr_expect_null(strstr(text, "accuracy"), "%s", text);
    free(text);
    /* the rate in tokens (windows x max_len 16), not in sentences */
    ui.snap.steps_run = 10;
    ui.snap.watched_sentences_per_s = 15.0;
    ui.snap.compute_sentences_per_s = 100.0;
    text = fixture_draw(view_dashboard_draw, &ui, 38, 132, &mono);
    cr_expect(strstr(text, "240 tokens/s (compute 1600/s)"), "%s", text);
    cr_expect_null(strstr(text, "sentences/s"), "%s", text);
    free(text);
}

Test(generate, model_view_shows_the_lm_head)
{
    char *text = fixture_draw_pages(view_model_draw, &ui, VIEW_MODEL, 38, 132, &mono);
    cr_expect(strstr(text, "LM head"), "%s", text);
    cr_expect(strstr(text, "32->10"), "d_model -> V:\n%s", text);
    cr_expect(strstr(text, "final LayerNorm"), "%s", text);
    cr_expect(strstr(text, "pre-LN"), "%s", text);
    cr_expect_null(strstr(text, "classifier"), "%s", text);
    free(text);
}

Test(generate, help_explains_the_four_topics_in_both_languages)
{
    const char *topics[2][6] = {
        {"Causal mask", "Teacher forcing", "KV cache", "Temperature", "Top-k", "Top-p"},
        {"Masque causal", "Teacher forcing", "Cache KV", "Température", "Top-k", "Top-p"},
    };
    for (int lang = 0; lang < 2; lang++) {
        lang_set((Lang)lang);
        ui.view = VIEW_HELP;
        ui.view_before_help = VIEW_GENERATE;
        int lines = view_help_lines(80, true);
        cr_expect_gt(lines, view_help_lines(80, false), "the Generate view's keys and text");
        Canvas c = canvas_offscreen(lines + 2, 80, &mono);
        view_help_draw(&ui, &c);
        char *text = fixture_text(&c);
        for (int i = 0; i < 6; i++) /* text rows show accents as '?': compare the words only */
            cr_expect(strstr(view_explanation(VIEW_GENERATE), topics[lang][i]), "%s", topics[lang][i]);
        cr_expect(strstr(text, "[ / ]") && strstr(text, "{ / }"), "sampling keys listed:\n%s", text);
        canvas_free_offscreen(&c);
        free(text);
    }
    lang_set(LANG_EN);
}

/* Every view of a language model at 80x24 in both languages: the tab of the
 * view in brackets, the bars' percentages whole. */
Test(generate, every_view_fits_80x24)
{
    for (int lang = 0; lang < 2; lang++) {
        lang_set((Lang)lang);
        for (int v = 0; v < VIEW_COUNT; v++) {
            ui.view = (ViewId)v;
            ui.bottom = BOTTOM_HINTS;
            Canvas c = canvas_offscreen(24, 80, &mono);
            frame_draw(&ui, &c);
            char row[200], want[8];
            canvas_row_text(&c, 0, row, sizeof row);
            snprintf(want, sizeof want, "[%c", v == VIEW_HELP ? '?' : '1' + v);
            cr_expect(strstr(row, want), "view %d tab: %s", v, row);
            if (v == VIEW_GENERATE) {
                char *text = fixture_text(&c);
                for (int i = 0; i < ui.gen.n_top; i++) {
                    char pct[32];
                    snprintf(pct, sizeof pct, "%5.1f%%", (double)ui.gen.sampled[ui.gen.top[i]] * 100.0);
                    cr_expect(strstr(text, pct), "%s cut:\n%s", pct, text);
                }
                free(text);
            }
            canvas_free_offscreen(&c);
        }
    }
    lang_set(LANG_EN);
}

/* A classifier has no Generate view: key 5 and the sampling keys do nothing. */
Test(generate, classifier_has_no_generate_view)
{
    UiState cls;
    fixture_open(&cls, 64);
    cls.view = VIEW_DASHBOARD;
    cr_expect_eq(keys_dispatch(&cls, '5', false), 0);
    cr_expect_eq(keys_dispatch(&cls, 'n', false), 0);
    cr_expect_eq(cls.view, VIEW_DASHBOARD);
    for (int i = 0; i < 4; i++)
        keys_dispatch(&cls, '\t', false);
    cr_expect_eq(cls.view, VIEW_DASHBOARD, "Tab cycles through 4 views");
    fixture_close(&cls);
}
