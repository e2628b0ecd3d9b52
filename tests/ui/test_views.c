/* The views without a terminal: a small model, the UI-side inference on a
 * sentence, every view drawn into an off-screen canvas at the sizes a user
 * meets (60x18 to 200x60) and its text checked: numbers whole, unknown words
 * marked, long sentences windowed with a sign, monochrome told apart by glyphs,
 * a checkpoint's own figures. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/frame.h"
#include "ui/lang.h"
#include "ui/plot.h"
#include "ui/views.h"
#include "ui_fixture.h"

static UiState ui;
static Theme mono_ascii, mono_utf8, c256;

static void setup(void)
{
    fixture_open(&ui, 64);
    theme_init(&mono_ascii, COLOR_MODE_MONO, false);
    theme_init(&mono_utf8, COLOR_MODE_MONO, true);
    theme_init(&c256, COLOR_MODE_256, true);
    ui.theme = &mono_ascii;
}

static void teardown(void) { fixture_close(&ui); }

TestSuite(views, .init = setup, .fini = teardown);

/* The body sizes of the terminals a user tries (the screen less tabs and bottom line). */
static const int SIZES[][2] = {{16, 60}, {22, 80}, {28, 100}, {38, 132}, {58, 200}};
#define NUM_SIZES ((int)(sizeof SIZES / sizeof SIZES[0]))

static void expect_in(void (*draw)(const UiState *, const Canvas *), int h, int w, const Theme *t,
                      const char *needle)
{
    char *text = fixture_draw(draw, &ui, h, w, t);
    cr_expect(strstr(text, needle), "'%s' not in the %dx%d view:\n%s", needle, w, h, text);
    free(text);
}

/* The same on one of a view's pages (every page drawn). */
static void expect_on_a_page(void (*draw)(const UiState *, const Canvas *), ViewId view, int h,
                             int w, const char *needle)
{
    char *text = fixture_draw_pages(draw, &ui, view, h, w, &mono_ascii);
    cr_expect(strstr(text, needle), "'%s' on no page of the %dx%d view:\n%s", needle, w, h, text);
    free(text);
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

Test(views, every_view_draws_at_every_size)
{
    for (int i = 0; i < NUM_SIZES; i++) {
        int h = SIZES[i][0], w = SIZES[i][1];
        expect_in(view_dashboard_draw, h, w, &mono_ascii, "step 50");
        expect_in(view_dashboard_draw, h, w, &mono_ascii, "loss");
        expect_in(view_dashboard_draw, h, w, &mono_ascii, "accuracy");
        expect_on_a_page(view_dashboard_draw, VIEW_DASHBOARD, h, w, "waste of time");
        expect_on_a_page(view_dashboard_draw, VIEW_DASHBOARD, h, w, "learning rate");
        expect_in(view_attention_draw, h, w, &mono_ascii, "layer 1/2  head 1/4");
        if (h >= 22) /* below, the step panel keeps the rows */
            expect_in(view_attention_draw, h, w, &mono_ascii, "positive");
        expect_on_a_page(view_pe_draw, VIEW_PE, h, w, "cos");
        expect_on_a_page(view_pe_draw, VIEW_PE, h, w, "d=1");
        expect_on_a_page(view_pe_draw, VIEW_PE, h, w, "the sentence");
        expect_on_a_page(view_model_draw, VIEW_MODEL, h, w, "total");
        expect_on_a_page(view_model_draw, VIEW_MODEL, h, w, "layer 2");
        expect_on_a_page(view_model_draw, VIEW_MODEL, h, w, "353,442");
        expect_on_a_page(view_model_draw, VIEW_MODEL, h, w, "ReLU on");
        expect_in(view_help_draw, h, w, &mono_ascii, "Keys");
    }
    ui.panel = PANEL_HEADS;
    expect_in(view_attention_draw, 38, 132, &mono_ascii, "h4");
    ui.panel = PANEL_STEPS;
    ui.snap.state = TRAIN_STATE_ERROR;
    expect_in(view_dashboard_draw, 38, 132, &mono_ascii, "ERROR");
}

/* Item 4: the pace watched and the machine's speed, each named. */
Test(views, status_line_names_both_rates)
{
    expect_in(view_dashboard_draw, 38, 132, &mono_ascii, "240 sentences/s (compute 14.1k/s)");
    expect_in(view_dashboard_draw, 38, 132, &mono_ascii, "pace 15 steps/s");
    expect_in(view_dashboard_draw, 22, 80, &mono_ascii, "240 sentences/s");
    expect_in(view_dashboard_draw, 22, 80, &mono_ascii, "pace 15");
    /* 50 steps left at 15 steps/s */
    expect_in(view_dashboard_draw, 38, 132, &mono_ascii, "ETA 00:00:03");
    ui.snap.elapsed_s = 83.5;
    expect_in(view_dashboard_draw, 38, 132, &mono_ascii, "elapsed 00:01:23");
    ui.snap.pace = 0.0f;
    expect_in(view_dashboard_draw, 38, 132, &mono_ascii, "pace max");
    lang_set(LANG_FR);
    expect_in(view_dashboard_draw, 38, 132, &mono_ascii, "rythme max");
    expect_in(view_dashboard_draw, 38, 132, &mono_ascii, "240 phrases/s (calcul 14.1k/s)");
    lang_set(LANG_EN);
    ui.snap.steps_run = 0; /* nothing measured yet: no rate at all */
    char *text = fixture_draw(view_dashboard_draw, &ui, 38, 132, &mono_ascii);
    cr_expect_null(strstr(text, "sentences/s"), "a rate before any step:\n%s", text);
    free(text);
}

/* Item 10: when the first validation comes ([train] eval_every, else the end of the epoch). */
Test(views, epoch_bar_says_when_validation_comes)
{
    ui.snap.progress.has_val = true;
    ui.snap.progress.step_in_epoch = 0;
    expect_in(view_dashboard_draw, 38, 132, &mono_ascii, "first validation at step 50");
    ui.eval_every = 20;
    expect_in(view_dashboard_draw, 38, 132, &mono_ascii, "first validation at step 60");
    ui.snap.progress.has_val = false;
    expect_in(view_dashboard_draw, 38, 132, &mono_ascii, "no validation set");
}

/* The best validation step, marked on its curve and named in the legend. */
Test(views, best_validation_step_is_marked)
{
    const float val[5] = {0.70f, 0.78f, 0.827f, 0.80f, 0.81f};
    for (int i = 0; i < 5; i++)
        metric_history_push(&ui.snap.val_acc, 10 * (i + 1), val[i]);
    /* 80 columns: loss over accuracy; the accuracy box is rows 12..21, its
     * plot area rows 13..19 and columns 3..78 (after the "1"/"0" scale) */
    Canvas c = canvas_offscreen(22, 80, &mono_ascii);
    view_dashboard_draw(&ui, &c);
    char *text = fixture_text(&c);
    cr_expect_not(strstr(text, "best"), "no best before validation:\n%s", text);
    cr_expect_eq(fixture_count_glyph(&c, 13, 3, 7, 76, L'*'), 0);
    free(text);

    TrainProgress *p = &ui.snap.progress;
    p->has_val = true;
    p->val_step = 50;
    p->val_acc = 0.81f;
    p->best_val_acc = 0.827f;
    p->best_step = 30;
    canvas_fill(&c, 0, 0, 22, 80, L' ', STYLE_NORMAL);
    view_dashboard_draw(&ui, &c);
    text = fixture_text(&c);
    cr_expect(strstr(text, "best 82.7% @ step 30"), "best legend missing:\n%s", text);
    /* step 30 of 50 -> dot column round(0.6 * 75) = 45; 0.827 -> dot row
     * round(0.173 * 20) = 3 of 21, i.e. text row 1 of the plot */
    cr_expect_eq(canvas_glyph_at(&c, 14, 3 + 45), L'*', "marker not at the best point:\n%s", text);
    cr_expect_eq(canvas_style_at(&c, 14, 3 + 45), STYLE_GOOD);
    cr_expect_eq(fixture_count_glyph(&c, 13, 3, 7, 76, L'*'), 1, "exactly one marker");
    cr_expect_eq(fixture_count_glyph(&c, 3, 3, 7, 76, L'*'), 0, "none on the loss plot");
    free(text);
    canvas_free_offscreen(&c);

    /* wide layout and UTF-8: the diamond, and the French legend */
    Canvas w = canvas_offscreen(38, 132, &c256);
    lang_set(LANG_FR);
    view_dashboard_draw(&ui, &w);
    text = fixture_text(&w);
    cr_expect(strstr(text, "meilleure 82.7% @ pas 30"), "French legend missing:\n%s", text);
    /* the accuracy box: rows 2..22 (the lessons' 15 rows below), its plot rows
     * 3..20 (21: the legend) */
    cr_expect_eq(fixture_count_glyph(&w, 3, 66, 18, 66, (wchar_t)0x25c6), 1, "one diamond on the curve");
    cr_expect_eq(fixture_count_glyph(&w, 21, 66, 1, 66, (wchar_t)0x25c6), 1, "and one in the legend");
    cr_expect_eq(fixture_count_glyph(&w, 3, 0, 19, 66, (wchar_t)0x25c6), 0, "none in the loss box");
    lang_set(LANG_EN);
    free(text);
    canvas_free_offscreen(&w);
}

/* Item 3: without colour, the validation curve is dashed with a point at each
 * pass, and the legend shows both cues. */
Test(views, monochrome_curves_differ_by_glyphs)
{
    MetricHistory train, val;
    metric_history_clear(&train);
    metric_history_clear(&val);
    for (long s = 0; s <= 60; s++)
        metric_history_push(&train, s, 0.25f);
    for (long s = 0; s <= 60; s += 20)
        metric_history_push(&val, s, 0.75f);
    /* a 12 x 70 box: plot area rows 1..9, columns 3..68 (after the "1"/"0" scale) */
    Canvas c = canvas_offscreen(12, 70, &mono_ascii);
    draw_curves(&c, 0, 0, 12, 70, "accuracy", &train, &val, true, -1, 0.0f, false);
    char *text = fixture_text(&c);
    cr_expect(strstr(text, "--- train 0.250"), "solid sample for train:\n%s", text);
    cr_expect(strstr(text, "-- o validation 0.750"), "dashed sample and point for validation:\n%s", text);
    /* the validation row (0.75 of 9 rows, ASCII 3 dots a row -> row 1 + 2 = 3): a
     * gap every PLOT_DASH_PERIOD columns, points where the passes are */
    int drawn = 0, gaps = 0, points = 0;
    for (int x = 3; x < 69; x++) {
        wchar_t g = canvas_glyph_at(&c, 3, x);
        drawn += g != L' ';
        gaps += g == L' ' && (x - 3) % PLOT_DASH_PERIOD >= PLOT_DASH_ON;
        points += g == L'o';
    }
    cr_expect_eq(points, 4, "a point per pass:\n%s", text);
    cr_expect_gt(gaps, 15, "dashes: %d gaps:\n%s", gaps, text);
    cr_expect_gt(drawn, 35, "a dashed line, not dots: %d:\n%s", drawn, text);
    free(text);
    canvas_free_offscreen(&c);

    Canvas u = canvas_offscreen(12, 70, &mono_utf8);
    draw_curves(&u, 0, 0, 12, 70, "accuracy", &train, &val, true, -1, 0.0f, false);
    text = fixture_text(&u);
    cr_expect_eq(canvas_glyph_at(&u, 10, 2), (wchar_t)0x2500, "UTF-8: a line sample");
    cr_expect_eq(fixture_count_glyph(&u, 10, 0, 1, 70, (wchar_t)0x2022), 1, "the point in the legend");
    free(text);
    canvas_free_offscreen(&u);
}

/* Item 3: the cosine map is shaded over its own range: many shades, not one block. */
Test(views, monochrome_cosine_map_has_many_shades)
{
    for (int t = 0; t < 2; t++) {
        Canvas c = canvas_offscreen(38, 132, t ? &mono_utf8 : &mono_ascii);
        view_pe_draw(&ui, &c);
        /* the cosine map: under its title, after the 4 columns of position numbers */
        int ty = -1, tx = -1;
        for (int y = 0; y < c.h && ty < 0; y++) {
            char row[200];
            canvas_row_text(&c, y, row, sizeof row);
            const char *at = strstr(row, "cos(PE_p, PE_q)");
            if (at)
                ty = y, tx = (int)(at - row);
        }
        cr_assert_geq(ty, 0, "no cosine map title");
        wchar_t seen[16];
        int distinct = 0;
        for (int y = ty + 1; y < ty + 11; y++)
            for (int x = tx + 4; x < tx + 24; x++) {
                wchar_t g = canvas_glyph_at(&c, y, x);
                bool known = false;
                for (int i = 0; i < distinct; i++)
                    known |= seen[i] == g;
                if (!known && distinct < 16)
                    seen[distinct++] = g;
            }
        char *text = fixture_text(&c);
        cr_expect_geq(distinct, 5, "%d shades in the cosine map (%s):\n%s", distinct,
                      t ? "UTF-8" : "ASCII", text);
        free(text);
        canvas_free_offscreen(&c);
    }
    for (int l = 1; l < HEAT_LEVELS; l++)
        for (int m = 0; m < l; m++)
            cr_expect_neq(heat_glyph(&mono_utf8, l), heat_glyph(&mono_utf8, m),
                          "levels %d and %d share a glyph", m, l);
}

/* Item 5: a word the vocabulary lacks is labelled <UNK>, beside the typed word. */
Test(views, unknown_words_are_marked)
{
    fixture_sentence(&ui, "the xyzzyq movie");
    cr_expect_eq(ui.inf.n_unknown, 1);
    cr_expect(infer_unknown(&ui.inf, 1));
    cr_expect_not(infer_unknown(&ui.inf, 0));
    expect_in(view_attention_draw, 38, 132, &mono_ascii, "<UNK> xyzzyq");
    expect_in(view_attention_draw, 38, 132, &mono_ascii, "unknown words, fed as <UNK>: 1");
    ui.cur_q = 1;
    expect_in(view_attention_draw, 38, 132, &mono_ascii, "query 2 \"<UNK> xyzzyq\"");
    fixture_sentence(&ui, "zzqx blorf");
    expect_in(view_attention_draw, 38, 132, &mono_ascii, "no known word: the model sees only <UNK>");
    expect_in(view_dashboard_draw, 38, 132, &mono_ascii, "no known word");
    /* a wide character takes two cells, as in the terminal, and is not a '?' */
    fixture_sentence(&ui, "great \xe6\x98\xa0\xe7\x94\xbb");
    ui.cur_q = 1;
    Canvas c = canvas_offscreen(38, 132, &c256);
    view_attention_draw(&ui, &c);
    cr_expect_eq(fixture_count_glyph(&c, 0, 0, 38, 132, (wchar_t)0x6620), 3,
                 "the CJK word in the input line, the cursor line and its row label");
    cr_expect_eq(fixture_count_glyph(&c, 0, 0, 38, 132, CANVAS_WIDE_TAIL), 6, "two cells each");
    canvas_free_offscreen(&c);
}

/* Item 8: tokens past max_len are named. */
Test(views, truncation_is_shown)
{
    fixture_sentence(&ui, "the movie was great the movie was great the movie was great");
    cr_expect_eq(ui.inf.n_words, 12);
    cr_expect_eq(ui.inf.n_tokens, 10);
    expect_in(view_attention_draw, 38, 132, &mono_ascii,
              "12 tokens: the model reads the first 10 (max_len)");
}

/* Item 8: a sentence larger than the map shows a window that follows the
 * cursor, says which rows and columns it shows, and numbers narrow columns. */
Test(views, long_sentence_window_follows_the_cursor)
{
    fixture_sentence(&ui, "the movie was great the movie was great was great");
    cr_expect_eq(ui.inf.shown, 10, "no room left for padding columns");
    Canvas c = canvas_offscreen(UI_MIN_LINES - 2, UI_MIN_COLS, &mono_ascii);
    view_attention_draw(&ui, &c);
    char *text = fixture_text(&c);
    cr_expect(strstr(text, "rows 1-7 of 10, columns 1-10 of 10"), "window line:\n%s", text);
    cr_expect(strstr(text, "1    2    3"), "numbered columns:\n%s", text);
    cr_expect(strstr(text, " 1 the"), "numbered rows:\n%s", text);
    free(text);
    ui.cur_q = 8; /* J pressed 8 times */
    canvas_fill(&c, 0, 0, c.h, c.w, L' ', STYLE_NORMAL);
    view_attention_draw(&ui, &c);
    text = fixture_text(&c);
    cr_expect(strstr(text, "rows 4-10 of 10"), "the window followed the cursor:\n%s", text);
    cr_expect(strstr(text, " 9 was"), "the cursor's row is on screen:\n%s", text);
    int cursor_cells = 0;
    for (int y = 0; y < c.h; y++)
        for (int x = 0; x < c.w; x++)
            cursor_cells += canvas_style_at(&c, y, x) == STYLE_CURSOR;
    cr_expect_geq(cursor_cells, 3, "the row label and the cell's brackets");
    free(text);
    canvas_free_offscreen(&c);
    /* wide enough: words, no window line */
    fixture_sentence(&ui, "the movie was great");
    char *wide = fixture_draw(view_attention_draw, &ui, 38, 132, &mono_ascii);
    cr_expect(strstr(wide, "the  movie    was  great"), "word headers, over the numbers:\n%s", wide);
    cr_expect_null(strstr(wide, "rows 1-"), "%s", wide);
    free(wide);
}

/* Item 7: no number cut at any size: the architecture's counts and shapes, the
 * norms, the validation figures, the legend. */
Test(views, numbers_are_never_cut)
{
    UiState big;
    fixture_close(&ui);
    fixture_open(&big, 128);
    big.theme = &mono_ascii;
    ParamBudget b = model_param_budget(&big.inf.model->cfg);
    const size_t counts[] = {b.embedding, b.per_layer, b.classifier, b.total};
    TrainProgress *p = &big.snap.progress;
    p->has_val = true;
    p->val_step = 44, p->val_loss = 0.415f, p->val_acc = 0.914f;
    p->best_step = 44, p->best_val_acc = 0.986f;
    metric_history_push(&big.snap.val_acc, 44, 0.986f);
    metric_history_push(&big.snap.val_loss, 44, 0.415f);
    for (int i = 0; i < NUM_SIZES; i++) {
        int h = SIZES[i][0], w = SIZES[i][1];
        char *model = fixture_draw_pages(view_model_draw, &big, VIEW_MODEL, h, w, &mono_ascii);
        for (int k = 0; k < 4; k++) {
            char num[32];
            format_count(num, sizeof num, (double)counts[k]);
            cr_expect(strstr(model, num), "%s cut at %dx%d:\n%s", num, w, h, model);
        }
        if (w >= 100)
            cr_expect(strstr(model, "qkv 384x128 + out 128x128"), "shape cut at %d:\n%s", w, model);
        free(model);
        for (int lang = 0; lang < 2; lang++) {
            lang_set((Lang)lang);
            char *dash = fixture_draw(view_dashboard_draw, &big, h, w, &mono_ascii);
            cr_expect(strstr(dash, "0.415") && strstr(dash, "91.4%"), "val figures at %d:\n%s", w, dash);
            cr_expect(strstr(dash, "98.6% @"), "best at %d:\n%s", w, dash);
            const char *best_long = lang ? "98.6% @ pas 44" : "98.6% @ step 44";
            cr_expect(strstr(dash, best_long) || strstr(dash, "98.6% @44"), "best's step cut at %d:\n%s",
                      w, dash);
            free(dash);
        }
        lang_set(LANG_EN);
    }
    fixture_close(&big);
    fixture_open(&ui, 64);
    ui.theme = &mono_ascii;
}

/* Item 6: an opened checkpoint shows its own figures, paused, until a step is taken. */
Test(views, checkpoint_card)
{
    snprintf(ui.checkpoint, sizeof ui.checkpoint, "runs/toy.safetensors");
    ui.ckpt_info = checkpoint_info_none();
    ui.ckpt_info.step = ui.ckpt_info.total_steps = ui.ckpt_info.val_step = 440;
    ui.ckpt_info.val_acc = 0.9857f;
    ui.ckpt_info.val_loss = 0.0303f;
    snprintf(ui.ckpt_info.data, sizeof ui.ckpt_info.data, "embedded dataset");
    snprintf(ui.data_name, sizeof ui.data_name, "films.tsv");
    ui.snap.steps_run = 0;
    ui.snap.state = TRAIN_STATE_PAUSED;
    char *text = fixture_draw(view_dashboard_draw, &ui, 38, 132, &mono_ascii);
    cr_expect(strstr(text, "checkpoint toy.safetensors"), "%s", text);
    cr_expect(strstr(text, "weights of step 440 of 440"), "%s", text);
    cr_expect(strstr(text, "validation accuracy 98.57%, loss 0.0303 (step 440)"), "%s", text);
    cr_expect(strstr(text, "trained on embedded dataset"), "%s", text);
    cr_expect(strstr(text, "classes: negative, positive"), "%s", text);
    cr_expect(strstr(text, "Space trains on films.tsv"), "%s", text);
    cr_expect(strstr(text, "PAUSED"), "%s", text);
    free(text);
    ui.snap.progress.step = ui.snap.progress.total_steps; /* a finished run */
    expect_in(view_dashboard_draw, 22, 80, &mono_ascii, "this run is complete");
    ui.snap.steps_run = 1;
    text = fixture_draw(view_dashboard_draw, &ui, 38, 132, &mono_ascii);
    cr_expect_null(strstr(text, "weights of step 440"), "card after a step:\n%s", text);
    free(text);
}

Test(views, model_view_counts_parameters)
{
    ParamBudget b = model_param_budget(&ui.inf.model->cfg);
    char num[32];
    format_count(num, sizeof num, (double)b.total);
    expect_in(view_model_draw, 38, 132, &mono_ascii, num);
}

/* Item 2: the input line is on screen while it takes keys, in every view and size. */
Test(views, editor_is_visible_in_every_view)
{
    fixture_sentence(&ui, "hello world");
    ui.editing = true;
    ui.edit_pos = 5;
    for (int v = 0; v < VIEW_COUNT; v++)
        for (int i = 0; i < NUM_SIZES; i++) {
            ui.view = (ViewId)v;
            ui.view_before_help = VIEW_MODEL;
            ui.bottom = frame_bottom_line(&ui, 100.0, 8.0);
            Canvas c = canvas_offscreen(SIZES[i][0] + 2, SIZES[i][1], &mono_ascii);
            frame_draw(&ui, &c);
            char *text = fixture_text(&c);
            cr_expect(strstr(text, "sentence> hello world"), "no input line in view %d at %dx%d:\n%s",
                      v, SIZES[i][1], SIZES[i][0] + 2, text);
            int cursor = 0;
            for (int y = 0; y < c.h; y++)
                for (int x = 0; x < c.w; x++)
                    cursor += canvas_style_at(&c, y, x) == STYLE_CURSOR &&
                              canvas_glyph_at(&c, y, x) == L' ';
            cr_expect_geq(cursor, 1, "no input cursor (on the blank after 'hello')");
            cr_expect_null(strstr(text, "q quit"), "the key hints while typing:\n%s", text);
            free(text);
            canvas_free_offscreen(&c);
        }
    /* a sentence from a config file need not be UTF-8: ten stray continuation bytes */
    fixture_sentence(&ui, "a\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80 b");
    ui.edit_pos = (int)strlen(ui.sentence);
    for (int w = 20; w <= 80; w += 30) {
        Canvas odd = canvas_offscreen(3, w, &c256);
        draw_sentence_line(&ui, &odd, 0);
        cr_expect_eq(canvas_glyph_at(&odd, 0, 0), L's', "drawn at width %d", w);
        canvas_free_offscreen(&odd);
    }
    fixture_sentence(&ui, "hello world");
    ui.edit_pos = 5;
    Canvas tiny = canvas_offscreen(15, 50, &mono_ascii); /* below the minimum: still there */
    frame_draw(&ui, &tiny);
    char *text = fixture_text(&tiny);
    cr_expect(strstr(text, "terminal too small") && strstr(text, "sentence> hello world"), "%s", text);
    free(text);
    canvas_free_offscreen(&tiny);
    fixture_sentence(&ui, "");
    ui.view = VIEW_ATTENTION;
    expect_in(view_attention_draw, 38, 132, &mono_ascii, "(type a sentence)");
    ui.editing = false;
    expect_in(view_attention_draw, 38, 132, &mono_ascii, "(type a sentence: press /)");
}

/* Polish: the current tab is marked by brackets, not only by its colour. */
Test(views, current_tab_in_brackets)
{
    for (int v = 0; v < VIEW_COUNT; v++) {
        if (v == VIEW_GENERATE) /* a classifier has no Generate tab */
            continue;
        ui.view = (ViewId)v;
        ui.bottom = BOTTOM_HINTS;
        Canvas c = canvas_offscreen(40, 132, &mono_ascii);
        frame_draw(&ui, &c);
        char row[200], want[64];
        canvas_row_text(&c, 0, row, sizeof row);
        snprintf(want, sizeof want, "[%c %s]", v == VIEW_HELP ? '?' : '1' + v, view_name(v));
        cr_expect(strstr(row, want), "tab %d: %s", v, row);
        canvas_free_offscreen(&c);
    }
    ui.view = VIEW_PE;
    Canvas n = canvas_offscreen(18, 60, &mono_ascii);
    frame_draw(&ui, &n);
    char row[100];
    canvas_row_text(&n, 0, row, sizeof row);
    cr_expect(strstr(row, "[3 Positional encoding]") && strstr(row, " 4 ") && strstr(row, " ? "),
              "narrow tabs: %s", row);
    canvas_free_offscreen(&n);
}

/* Issue 14: weights that give NaN or infinite logits (a diverged run, or huge
 * weights loaded) show a message where the prediction would be, in every view
 * that shows one, and no class bars. */
Test(views, non_finite_output_is_a_message_not_a_prediction)
{
    Model *m = ui.inf.model;
    ModelWeights w = model_params(m);
    const size_t emb = (size_t)m->cfg.vocab_size * (size_t)m->cfg.d_model;
    for (size_t i = 0; i < emb; i++)
        w.tok_emb[i] = 3e38f; /* times sqrt(d_model): infinite embeddings */
    fixture_sentence(&ui, "the movie was great");
    cr_expect(ui.inf.nonfinite);
    cr_expect_not(ui.inf.valid);
    const char *says = "the model's output is NaN or infinite: no prediction";
    expect_in(view_dashboard_draw, 38, 132, &mono_ascii, says);
    expect_in(view_attention_draw, 38, 132, &mono_ascii, says);
    expect_on_a_page(view_model_draw, VIEW_MODEL, 38, 132, says);
    char *text = fixture_draw(view_dashboard_draw, &ui, 38, 132, &mono_ascii);
    cr_expect_null(strstr(text, "nan"), "no number from NaN logits:\n%s", text);
    free(text);
    /* finite weights again: a prediction again */
    w.tok_emb[0] = 0.0f;
    for (size_t i = 0; i < emb; i++)
        w.tok_emb[i] = 0.01f * (float)(i % 7);
    fixture_sentence(&ui, "the movie was great");
    cr_expect(ui.inf.valid);
    cr_expect_not(ui.inf.nonfinite);
}
