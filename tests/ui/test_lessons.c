/* The lessons of issue 13, without a terminal: the numbers (ui/lesson.c)
 * against their definitions, recomputed here in double from the model's
 * read-outs; each panel drawn off-screen and its text checked against those
 * numbers; the keys that walk them; the cost of a keystroke logged. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui/keys.h"
#include "ui/lang.h"
#include "ui/plot.h"
#include "ui/views.h"
#include "ui_fixture.h"

static UiState ui;
static Theme mono, c256;

static void setup(void)
{
    fixture_open(&ui, 64);
    theme_init(&mono, COLOR_MODE_MONO, false);
    theme_init(&c256, COLOR_MODE_256, true);
    ui.theme = &mono;
    ui.view = VIEW_ATTENTION;
}

static void teardown(void) { fixture_close(&ui); }

TestSuite(lesson, .init = setup, .fini = teardown);
TestSuite(panels, .init = setup, .fini = teardown);

static char *draw(void (*fn)(const UiState *, const Canvas *), int h, int w)
{
    return fixture_draw(fn, &ui, h, w, &mono);
}

#define EXPECT_TEXT(text, needle) \
    cr_expect(strstr(text, needle), "no '%s' in:\n%s", needle, text)

/* ------------------------------------------------------------- numbers */

/* Scores are q.k/sqrt(d_k) of the kept q, k; the weights the forward's; the
 * spreads divide by sqrt(d_k) exactly; unscaled, softmax is sharper. */
Test(lesson, heads_numbers_match_their_definitions)
{
    const Lesson *ls = &ui.lesson;
    const Inference *inf = &ui.inf;
    cr_assert(ls->valid);
    const int T = ls->T, HS = ls->HS, C = ls->C;
    cr_expect_eq(T, inf->T);
    cr_expect_eq(ls->n_real, 4);
    cr_expect_eq(HS, 16);
    const float *qkv = activations_qkv(inf->acts, 0);
    for (int h = 0; h < ls->NH; h++) {
        const float *s = lesson_scores(ls, h), *w = lesson_weights(ls, h, false);
        const float *att = activations_attention(inf->acts, 0) + (size_t)h * T * T;
        for (int q = 0; q < T; q++)
            for (int k = 0; k < T; k++) {
                double dot = 0;
                for (int i = 0; i < HS; i++)
                    dot += (double)qkv[(size_t)q * 3 * C + h * 3 * HS + i] *
                           qkv[(size_t)k * 3 * C + h * 3 * HS + HS + i];
                cr_expect(fabs(s[q * T + k] - dot / 4.0) < 1e-4 * fmax(1.0, fabs(dot)),
                          "head %d score (%d, %d): %g vs %g", h, q, k, s[q * T + k], dot / 4.0);
                cr_expect(fabsf(w[q * T + k] - att[q * T + k]) < 1e-6f);
            }
        const HeadLesson *hl = &ls->heads[h];
        cr_expect(fabsf(hl->sd_raw / 4.0f - hl->sd_scaled) < 1e-4f * hl->sd_raw, "sd %g / 4 vs %g",
                  hl->sd_raw, hl->sd_scaled);
        cr_expect_geq(hl->max_w_unscaled, hl->max_w_scaled - 1e-6f);
        cr_expect(hl->entropy >= 0.0f && hl->entropy <= hl->entropy_max + 1e-5f, "entropy %g of %g",
                  hl->entropy, hl->entropy_max);
        cr_expect_float_eq(hl->entropy_max, 2.0f, 1e-5f, "4 real keys: log2 4 = 2 bits");
    }
    for (size_t i = 0; i < (size_t)T * T; i++) {
        double mean = 0;
        for (int h = 0; h < ls->NH; h++)
            mean += lesson_weights(ls, h, false)[i] / ls->NH;
        cr_expect(fabs(ls->average[i] - mean) < 1e-6);
    }
}

/* The causal what-if: nothing above the diagonal, rows of the real queries
 * sum to 1, out = weights v. */
Test(lesson, causal_what_if)
{
    const Lesson *ls = &ui.lesson;
    const int T = ls->T, HS = ls->HS, C = ls->C;
    cr_expect(ls->whatif_causal, "the encoder's what-if is the causal mask");
    const float *v = activations_qkv(ui.inf.acts, 0) + 2 * HS;
    for (int h = 0; h < ls->NH; h++) {
        const float *w = lesson_weights(ls, h, true), *out = lesson_out(ls, h, true);
        for (int q = 0; q < ls->n_real; q++) {
            double sum = 0;
            for (int k = 0; k < T; k++) {
                if (k > q)
                    cr_expect_eq(w[q * T + k], 0.0f);
                sum += w[q * T + k];
            }
            cr_expect(fabs(sum - 1.0) < 1e-5, "row %d sums to %g", q, sum);
            for (int i = 0; i < HS; i++) {
                double o = 0;
                for (int k = 0; k < T; k++)
                    o += (double)w[q * T + k] * v[(size_t)k * 3 * C + h * 3 * HS + i];
                cr_expect(fabs(out[q * HS + i] - o) < 1e-4, "out (%d, %d)", q, i);
            }
        }
        cr_expect_float_eq(w[0], 1.0f, 1e-6f, "the first token sees only itself");
    }
}

/* The data flow: a layer's output is the next layer's input; the ReLU share
 * is a share; the means are over the real tokens; the embeddings' norms. */
Test(lesson, data_flow_chains_the_layers)
{
    const Lesson *ls = &ui.lesson;
    const int T = ls->T, C = ls->C;
    for (int t = 0; t < T; t++) {
        const float *l0 = ls->flow + (size_t)t * FLOW_STAGES;
        const float *l1 = ls->flow + ((size_t)T + t) * FLOW_STAGES;
        cr_expect_float_eq(l0[FLOW_OUT], l1[FLOW_IN], 1e-6f, "token %d", t);
        cr_expect(l0[FLOW_RELU] >= 0.0f && l0[FLOW_RELU] <= 1.0f);
        /* LayerNorm with gamma 1, beta 0 (untrained): norm near sqrt(C - 1) */
        cr_expect(fabsf(l0[FLOW_NORM1] - sqrtf((float)C - 1.0f)) < 0.1f, "|LN1| %g", l0[FLOW_NORM1]);
    }
    double mean = 0;
    for (int t = 0; t < ls->n_real; t++)
        mean += ls->flow[(size_t)t * FLOW_STAGES + FLOW_ATTN] / ls->n_real;
    cr_expect(fabs(ls->flow_mean[FLOW_ATTN] - mean) < 1e-4, "%g vs %g", ls->flow_mean[FLOW_ATTN], mean);
    const float *emb = activations_embedded(ui.inf.acts);
    for (int t = 0; t < ls->n_real; t++) {
        double e2 = 0, s2 = 0;
        for (int i = 0; i < C; i++) {
            double e = model_params(ui.inf.model).tok_emb[(size_t)ui.inf.ids[t] * C + i] * 8.0;
            e2 += e * e;
            s2 += (double)emb[(size_t)t * C + i] * emb[(size_t)t * C + i];
        }
        cr_expect(fabs(ls->emb_norm[t] - sqrt(e2)) < 1e-3, "|E sqrt C| token %d", t);
        cr_expect(fabs(ls->sum_norm[t] - sqrt(s2)) < 1e-3);
        cr_expect(fabs(ls->pe_norm[t] - sqrt(32.0)) < 1e-3, "a sinusoid row has norm sqrt(C/2)");
    }
}

/* A new layer reruns the numbers for it. */
Test(lesson, the_layer_key_reruns_them)
{
    int flags = keys_dispatch(&ui, 'j', false);
    cr_expect(flags & UI_RERUN);
    ui_state_run_sentence(&ui);
    cr_expect_eq(ui.lesson.layer, 1);
    const float *att = activations_attention(ui.inf.acts, 1);
    cr_expect_float_eq(lesson_weights(&ui.lesson, 2, false)[5], att[2 * ui.inf.T * ui.inf.T + 5],
                       1e-6f);
}

/* -------------------------------------------------------------- panels */

/* Step by step with v: each step's formula and numbers on screen. */
Test(panels, the_steps_walked_with_v)
{
    const HeadLesson *hl = &ui.lesson.heads[0];
    cr_expect_eq(ui.step, STEP_SOFTMAX, "the view opens on the weights");
    keys_dispatch(&ui, 'v', false);
    cr_expect_eq(ui.step, STEP_OUTPUT);
    char *t = draw(view_attention_draw, 38, 132);
    EXPECT_TEXT(t, "[weights x V]");
    EXPECT_TEXT(t, "out[the] = ");
    free(t);
    keys_dispatch(&ui, 'v', false);
    cr_expect_eq(ui.step, STEP_QKV, "v wraps");
    t = draw(view_attention_draw, 38, 132);
    EXPECT_TEXT(t, "q . k dimension by dimension");
    EXPECT_TEXT(t, "q[the]");
    char want[128];
    snprintf(want, sizeof want, "sd(q) %.2f, sd(k) %.2f", (double)hl->sd_q, (double)hl->sd_k);
    EXPECT_TEXT(t, want);
    free(t);
    keys_dispatch(&ui, 'v', false);
    keys_dispatch(&ui, 'v', false);
    cr_expect_eq(ui.step, STEP_SCALED);
    t = draw(view_attention_draw, 38, 132);
    snprintf(want, sizeof want, "/ sqrt(16) = / 4.00: sd %.2f -> %.2f", (double)hl->sd_raw,
             (double)hl->sd_scaled);
    EXPECT_TEXT(t, want);
    snprintf(want, sizeof want, "%.2f unscaled, %.2f scaled", (double)hl->max_w_unscaled,
             (double)hl->max_w_scaled);
    EXPECT_TEXT(t, want);
    free(t);
    keys_dispatch(&ui, 'v', false);
    t = draw(view_attention_draw, 38, 132);
    EXPECT_TEXT(t, "padding keys get -inf");
    EXPECT_TEXT(t, "-inf");
    free(t);
    keys_dispatch(&ui, 'V', false);
    cr_expect_eq(ui.step, STEP_SCALED, "V goes back");
}

/* The weights step writes each weight in its cell, as the cursor line says. */
Test(panels, numbers_inside_wide_cells)
{
    ui.cur_q = 1;
    ui.cur_k = 2;
    Canvas c = canvas_offscreen(38, 80, &mono);
    view_attention_draw(&ui, &c);
    char *t = fixture_text(&c);
    const float w = lesson_weights(&ui.lesson, 0, false)[1 * ui.lesson.T + 2];
    char want[64];
    snprintf(want, sizeof want, "\"movie\" -> key 3 \"was\" = %.3f", (double)w);
    EXPECT_TEXT(t, want);
    /* the row of "movie": every real key's weight, 3 decimals, in its cell */
    const char *row = strstr(t, "\nmovie ");
    cr_assert_not_null(row, "%s", t);
    for (int k = 0; k < 4; k++) {
        snprintf(want, sizeof want, "%.3f", (double)lesson_weights(&ui.lesson, 0, false)[ui.lesson.T + k]);
        const char *end = strchr(row + 1, '\n');
        const char *at = strstr(row, want);
        cr_expect(at && at < end, "weight %s not in the row of 'movie':\n%s", want, t);
    }
    free(t);
    canvas_free_offscreen(&c);
    /* narrow cells (3 columns): no numbers, the shades */
    Canvas n = canvas_offscreen(10, 28, &mono);
    draw_attention_map(&ui, &n, 0, 0, 10, 28, 0, 0, true, false);
    t = fixture_text(&n);
    cr_expect_null(strstr(t, "0.0"), "%s", t);
    cr_expect(strstr(t, "movie"), "%s", t);
    free(t);
    canvas_free_offscreen(&n);
}

/* c marks the what-if and shows the causal mask's -inf above the diagonal. */
Test(panels, the_causal_what_if_is_marked)
{
    keys_dispatch(&ui, 'V', false); /* the mask step */
    keys_dispatch(&ui, 'c', false);
    cr_expect(ui.whatif);
    char *t = draw(view_attention_draw, 38, 132);
    EXPECT_TEXT(t, "WHAT-IF: causal mask (c)");
    EXPECT_TEXT(t, "causal mask: a key after the query gets -inf");
    const char *row = strstr(t, "\n  the ");
    cr_assert_not_null(row, "%s", t);
    int infs = 0;
    for (const char *p = row; (p = strstr(p + 1, "-inf")) && p < strchr(row + 1, '\n');)
        infs++;
    cr_expect_geq(infs, 5, "the first query: every later key masked:\n%s", t);
    free(t);
    keys_dispatch(&ui, 'c', false);
    t = draw(view_attention_draw, 38, 132);
    cr_expect_null(strstr(t, "WHAT-IF"), "%s", t);
    free(t);
}

/* a: every head and their average, entropies and the cost of 1 head vs H. */
Test(panels, every_head_side_by_side)
{
    keys_dispatch(&ui, 'a', false);
    cr_expect_eq(ui.panel, PANEL_HEADS);
    char *t = draw(view_attention_draw, 38, 132);
    char want[96];
    snprintf(want, sizeof want, "[h1 %.2fb]", (double)ui.lesson.heads[0].entropy);
    EXPECT_TEXT(t, want);
    snprintf(want, sizeof want, "h4 %.2fb", (double)ui.lesson.heads[3].entropy);
    EXPECT_TEXT(t, want);
    EXPECT_TEXT(t, "avg");
    /* d_model 64, T = 6: 4 * 64^2 + 4 * 64 = 16,640 parameters; 8*6*64^2 + 4*36*64 FLOPs */
    EXPECT_TEXT(t, " 1 head(s) of d_k  64: 16.6k parameters, 205.8k FLOPs, 36 weights");
    EXPECT_TEXT(t, " 4 head(s) of d_k  16: 16.6k parameters, 205.8k FLOPs, 144 weights");
    free(t);
    keys_dispatch(&ui, 'a', false);
    cr_expect_eq(ui.panel, PANEL_STEPS);
}

/* f: the cursor's query's weights to every key, one column per head. */
Test(panels, token_focus)
{
    keys_dispatch(&ui, 'f', false);
    keys_dispatch(&ui, 'J', false);
    cr_expect_eq(ui.panel, PANEL_FOCUS);
    char *t = draw(view_attention_draw, 38, 132);
    EXPECT_TEXT(t, "\"movie\" (query 2/4");
    const int T = ui.lesson.T;
    const char *row = strstr(t, "\n  was ");
    cr_assert_not_null(row, "%s", t);
    for (int h = 0; h < 4; h++) {
        char want[16];
        snprintf(want, sizeof want, "%5.3f", (double)lesson_weights(&ui.lesson, h, false)[T + 2]);
        cr_expect(strstr(row, want) && strstr(row, want) < strchr(row + 1, '\n'),
                  "head %d's weight %s of movie -> was:\n%s", h, want, t);
    }
    free(t);
    keys_dispatch(&ui, 'v', false);
    cr_expect_eq(ui.panel, PANEL_STEPS, "v goes back to the steps");
}

/* The PE cursor: the value with its formula, the wavelength, the window. */
Test(panels, pe_cursor_formula_and_window)
{
    ui.view = VIEW_PE;
    for (int i = 0; i < 3; i++)
        keys_dispatch(&ui, 'J', false);
    for (int i = 0; i < 6; i++)
        keys_dispatch(&ui, 'L', false);
    cr_expect(ui.pe_pos == 3 && ui.pe_dim == 6);
    char *t = draw(view_pe_draw, 38, 132);
    char want[160];
    snprintf(want, sizeof want, "= sin(3 / 10000^(6/64)) = sin(3 / 2.371) = sin(1.2651) = %.4f",
             (double)ui.pe.pe[3 * 64 + 6]);
    EXPECT_TEXT(t, want);
    EXPECT_TEXT(t, "wavelength 2 pi 10000^(6/64) = 14.90 positions");
    free(t);
    keys_dispatch(&ui, 'L', false);
    t = draw(view_pe_draw, 38, 132);
    EXPECT_TEXT(t, "PE(pos 3, dim 7 = 2i+1) = cos(3 / 10000^(6/64))");
    free(t);
    for (int i = 0; i < 200; i++) { /* to the last position and dimension */
        keys_dispatch(&ui, 'J', false);
        keys_dispatch(&ui, 'L', false);
    }
    cr_expect(ui.pe_pos == 9 && ui.pe_dim == 63, "kept in the table: %d %d", ui.pe_pos, ui.pe_dim);
    t = draw(view_pe_draw, 22, 60);
    EXPECT_TEXT(t, "-9 of 10, dim");
    EXPECT_TEXT(t, "-63 of 64");
    free(t);
}

/* w puts the cursor's dimension in the waves (4 at most), W the first ones. */
Test(panels, waves_chosen_with_w)
{
    ui.view = VIEW_PE;
    for (int i = 0; i < 6; i++)
        keys_dispatch(&ui, 'L', false);
    keys_dispatch(&ui, 'w', false);
    cr_expect_eq(ui.num_waves, 4);
    cr_expect_eq(ui.waves[0], 6, "the oldest replaced");
    keys_dispatch(&ui, 'w', false);
    cr_expect_eq(ui.waves[1], 1, "already drawn: nothing changes");
    char *t = draw(view_pe_draw, 38, 132);
    EXPECT_TEXT(t, "d=6 (sin, 14.9)");
    free(t);
    keys_dispatch(&ui, 'W', false);
    cr_expect_eq(ui.waves[0], 0);
}

/* The cosine by offset is the same curve from any position (sinusoid). */
Test(panels, cosine_depends_on_the_offset_only)
{
    ui.view = VIEW_PE;
    ui.pe_pos = 4;
    char *t = draw(view_pe_draw, 38, 132);
    const char *at = strstr(t, "the curves differ by ");
    cr_expect(strstr(t, "cos(PE_p, PE_q)"), "the matrix beside the curve:\n%s", t);
    cr_assert_not_null(at, "%s", t);
    double gap = 1;
    cr_expect_eq(sscanf(at, "the curves differ by %lf", &gap), 1);
    cr_expect_lt(gap, 1e-5, "cos(PE_p, PE_p+k) from 0 and from 4 differ by %g", gap);
    EXPECT_TEXT(t, "p=4 dashed");
    free(t);
}

/* The sentence's embeddings beside embedding + PE, with their norms. */
Test(panels, sentence_embeddings_and_pe)
{
    ui.view = VIEW_PE;
    char *t = fixture_draw_pages(view_pe_draw, &ui, VIEW_PE, 22, 80, &mono);
    char want[64];
    snprintf(want, sizeof want, "%9.2f %6.2f %7.2f", (double)ui.lesson.emb_norm[1],
             (double)ui.lesson.pe_norm[1], (double)ui.lesson.sum_norm[1]);
    EXPECT_TEXT(t, want);
    EXPECT_TEXT(t, "E x sqrt(d)+PE");
    free(t);
}

/* The Model view's data flow: each layer's means, token by token, the head. */
Test(panels, model_data_flow)
{
    ui.view = VIEW_MODEL;
    char *t = fixture_draw_pages(view_model_draw, &ui, VIEW_MODEL, 38, 132, &mono);
    const float *m = ui.lesson.flow_mean;
    char want[128];
    snprintf(want, sizeof want, "> layer 1     %8.2f %8.2f %8.2f %7.0f%% %8.2f %8.2f", (double)m[0],
             (double)m[1], (double)m[2], (double)m[3] * 100.0, (double)m[4], (double)m[5]);
    EXPECT_TEXT(t, want);
    EXPECT_TEXT(t, "layer 1 token by token");
    const float *logits = activations_logits(ui.inf.acts);
    snprintf(want, sizeof want, "negative %.3f  positive %.3f", (double)logits[0], (double)logits[1]);
    EXPECT_TEXT(t, want);
    snprintf(want, sizeof want, "|x| %.2f", (double)ui.lesson.pooled_norm);
    EXPECT_TEXT(t, want);
    EXPECT_TEXT(t, "num_layers                            2            7");
    EXPECT_TEXT(t, "353,442");
    free(t);
    ui.screen_h = 24, ui.screen_w = 80;
    cr_expect_geq(view_page_count(&ui, VIEW_MODEL), 2, "80x24: paged");
    keys_dispatch(&ui, 'v', false);
    cr_expect_eq(ui.page[VIEW_MODEL], 1);
    for (int i = 0; i < 10; i++)
        keys_dispatch(&ui, 'v', false);
    cr_expect_lt(ui.page[VIEW_MODEL], view_page_count(&ui, VIEW_MODEL), "pages wrap");
}

/* The dashboard: step numbers on the x axis, the log scale, the examples'
 * table against their probabilities, the schedule. */
Test(panels, dashboard_lessons)
{
    ui.view = VIEW_DASHBOARD;
    char *t = draw(view_dashboard_draw, 38, 132);
    EXPECT_TEXT(t, "--10--");
    EXPECT_TEXT(t, "--40--");
    const Examples *ex = &ui.examples;
    cr_assert(ex->valid);
    char want[128];
    int p = ex->predicted[9];
    snprintf(want, sizeof want, "waste of time       negative %-8s", ui.inf.labels[p]);
    EXPECT_TEXT(t, want);
    snprintf(want, sizeof want, "%5.1f%%", (double)ex->probs[9 * 2 + p] * 100.0);
    EXPECT_TEXT(t, want);
    EXPECT_TEXT(t, "yours: the movie was great");
    EXPECT_TEXT(t, "learning rate: constant");
    EXPECT_TEXT(t, "now 1.00e-03 (step 50)");
    free(t);
    keys_dispatch(&ui, 'g', false);
    t = draw(view_dashboard_draw, 38, 132);
    EXPECT_TEXT(t, "loss (log scale, g)");
    EXPECT_TEXT(t, "|0.7 "); /* the top label stays in the loss's units */
    free(t);
}

/* The schedule drawn is the trainer's: warm-up then cosine. */
Test(panels, lr_schedule_curve)
{
    ui.schedule = (LrSchedule){.kind = LR_WARMUP_COSINE, .peak_lr = 1e-3f, .min_lr = 0.0f};
    ui.warmup_fraction = 0.1f;
    ui.snap.lr_scale = 1.0f;
    Snapshot snap;
    cr_assert_eq(snapshot_init(&snap, 0), 0);
    SnapshotData d = ui.snap;
    d.progress.total_steps = 1000;
    snapshot_publish(&snap, &d);
    ui_state_refresh(&ui, &snap);
    snapshot_destroy(&snap);
    cr_assert_eq(ui.lr_points, UI_LR_POINTS);
    LrSchedule s = {.kind = LR_WARMUP_COSINE, .peak_lr = 1e-3f, .warmup_steps = 100,
                    .total_steps = 1000};
    for (int i = 0; i < ui.lr_points; i++)
        cr_expect_float_eq(ui.lr_plan[i], lr_schedule_at(&s, (long)ui.lr_step[i]), 1e-9f);
    cr_expect_float_eq(ui.lr_plan[ui.lr_points - 1], 0.0f, 1e-9f, "cosine to min_lr");
    char *t = draw(view_dashboard_draw, 38, 132);
    EXPECT_TEXT(t, "learning rate: warm-up then cosine");
    free(t);
}

/* ------------------------------------------------------------- the cost */

/* One keystroke's work at the default model (d_model 64, 4 heads, 2 layers,
 * max_len 32) on a sentence filling max_len: the forward and every lesson
 * number. Logged, not asserted (machines differ): median of 200. */
Test(lesson, a_keystroke_costs_this_much)
{
    fixture_close(&ui);
    static const char *words[40];
    static char store[40][8];
    for (int i = 0; i < 40; i++) {
        snprintf(store[i], sizeof store[i], i == 0 ? "<PAD>" : i == 1 ? "<UNK>" : "w%02d", i);
        words[i] = store[i];
    }
    char err[256];
    Vocab *v = vocab_from_list(words, 40, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    ModelConfig mc = model_config_default();
    mc.vocab_size = 40;
    mc.num_layers = 2;
    mc.max_len = 32;
    static const TokenizerConfig tc = {TOKENIZER_WHITESPACE, true};
    static const char *const labels[2] = {"negative", "positive"};
    char sentence[400] = "";
    for (int i = 0; i < 32; i++)
        snprintf(sentence + strlen(sentence), sizeof sentence - strlen(sentence), "w%02d ", 2 + i);
    static UiState big;
    cr_assert_eq(ui_state_init(&big, &mc, &tc, v, labels, 2, sentence, err, sizeof err), 0, "%s", err);
    double t[200];
    for (int i = 0; i < 200; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        ui_state_run_sentence(&big);
        clock_gettime(CLOCK_MONOTONIC, &b);
        t[i] = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
    }
    cr_assert(big.lesson.valid && big.lesson.T == 32);
    for (int i = 1; i < 200; i++) /* insertion sort: the median */
        for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
            double x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    fprintf(stderr, "keystroke at the default model, T = 32, forward + lessons: median %.0f us, "
            "min %.0f us, max %.0f us (200 runs)\n", t[100], t[0], t[199]);
    ui_state_free(&big);
    vocab_free(v);
    fixture_open(&ui, 64);
}

/* The examples' table is predicted on the dashboard only, every 5 weight
 * copies, and at once on coming to it. */
Test(lesson, examples_follow_the_weights_on_the_dashboard)
{
    Snapshot snap;
    cr_assert_eq(snapshot_init(&snap, ui.inf.model->num_params), 0);
    ui.view = VIEW_ATTENTION;
    snapshot_publish_weights(&snap, ui.inf.model->params, 60);
    cr_expect(ui_state_refresh(&ui, &snap), "newer weights");
    cr_expect_eq(ui.examples_version, -1, "not on the dashboard: not predicted");
    ui.view = VIEW_DASHBOARD;
    ui_state_refresh(&ui, &snap);
    long first = ui.inf.weights_version;
    cr_expect_eq(ui.examples_version, first, "at once on coming to the dashboard");
    for (int i = 1; i <= 5; i++) {
        snapshot_publish_weights(&snap, ui.inf.model->params, 60 + i);
        ui_state_refresh(&ui, &snap);
        cr_expect_eq(ui.examples_version, i < 5 ? first : first + 5, "after %d copies", i);
    }
    snapshot_destroy(&snap);
}
