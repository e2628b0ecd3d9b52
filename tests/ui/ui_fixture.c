/* The view and key tests' state: see ui_fixture.h. */
#include "ui_fixture.h"

#include <criterion/criterion.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/lang.h"

const char *const fixture_labels[2] = {"negative", "positive"};
static const char *const vocab_words[] = {"<PAD>", "<UNK>", "great", "movie", "the", "was"};
static Vocab *vocab;
static TokenizerConfig tc = {TOKENIZER_WHITESPACE, true};

void fixture_open(UiState *ui, int d_model)
{
    setlocale(LC_ALL, "C.UTF-8");
    lang_set(LANG_EN);
    lang_set_utf8(true);
    char err[256];
    vocab = vocab_from_list(vocab_words, 6, err, sizeof err);
    cr_assert_not_null(vocab, "%s", err);
    ModelConfig mc = model_config_default();
    mc.vocab_size = 6;
    mc.d_model = d_model;
    mc.num_layers = 2;
    mc.max_len = 10;
    cr_assert_eq(ui_state_init(ui, &mc, &tc, vocab, fixture_labels, 2, "the movie was great", err,
                               sizeof err), 0, "%s", err);
    for (long s = 1; s <= 50; s++) {
        metric_history_push(&ui->snap.train_loss, s, 0.7f / (float)s);
        metric_history_push(&ui->snap.train_acc, s, 1.0f - 0.5f / (float)s);
    }
    TrainProgress *p = &ui->snap.progress;
    p->step = 50;
    p->total_steps = 100;
    p->epochs = 4;
    p->epoch = 1;
    p->steps_per_epoch = 25;
    p->lr = 1e-3f;
    p->val_step = p->best_step = -1;
    ui->snap.lr_scale = 1.0f;
    ui->snap.pace = 15.0f;
    ui->snap.state = TRAIN_STATE_RUNNING;
    ui->snap.steps_run = 50;
    ui->snap.watched_steps_per_s = 15.0;
    ui->snap.watched_sentences_per_s = 240.0;
    ui->snap.compute_sentences_per_s = 14112.0;
    ui->screen_h = 40;
    ui->screen_w = 132;
    ui_state_run_sentence(ui);
}

void fixture_close(UiState *ui)
{
    ui_state_free(ui);
    vocab_free(vocab);
    vocab = NULL;
}

void fixture_sentence(UiState *ui, const char *sentence)
{
    snprintf(ui->sentence, sizeof ui->sentence, "%s", sentence);
    ui->edit_pos = 0;
    ui_state_run_sentence(ui);
}

char *fixture_text(const Canvas *c)
{
    char *out = calloc((size_t)c->h * (size_t)(c->w + 1) + 1, 1);
    for (int y = 0; y < c->h; y++) {
        char *row = out + (size_t)y * (size_t)(c->w + 1);
        canvas_row_text(c, y, row, c->w + 1);
        size_t n = strlen(row);
        memset(row + n, ' ', (size_t)c->w - n); /* wide glyphs make a row shorter */
        row[c->w] = '\n';
    }
    return out;
}

char *fixture_draw(void (*draw)(const UiState *, const Canvas *), const UiState *ui, int h, int w,
                   const Theme *t)
{
    Canvas c = canvas_offscreen(h, w, t);
    cr_assert_not_null(c.cells);
    draw(ui, &c);
    char *text = fixture_text(&c);
    canvas_free_offscreen(&c);
    return text;
}

int fixture_count_glyph(const Canvas *c, int y, int x, int h, int w, wchar_t g)
{
    int n = 0;
    for (int r = y; r < y + h; r++)
        for (int col = x; col < x + w; col++)
            n += canvas_glyph_at(c, r, col) == g;
    return n;
}
