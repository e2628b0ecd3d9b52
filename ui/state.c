/* The UI's state: see state.h. */
#include "state.h"

#include <stdio.h>
#include <string.h>

#include "src/lm_generate.h"
#include "views.h"

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

int ui_state_init(UiState *ui, const ModelConfig *mc, const TokenizerConfig *tc,
                  const Vocab *vocab, const char *const *labels, int num_labels,
                  const char *sentence, char *err, size_t err_len)
{
    memset(ui, 0, sizeof *ui);
    if (infer_init(&ui->inf, mc, tc, vocab, labels, num_labels, err, err_len) != 0)
        return -1;
    if (pe_table_init(&ui->pe, mc, err, err_len) != 0) {
        infer_free(&ui->inf);
        return -1;
    }
    pe_table_update(&ui->pe, ui->inf.model);
    if (lesson_init(&ui->lesson, mc, err, err_len) != 0 ||
        examples_init(&ui->examples, ui->inf.model, tc, vocab, labels, num_labels, err,
                      err_len) != 0 ||
        gen_init(&ui->gen, ui->inf.model, GEN_DEFAULT_SEED, err, err_len) != 0) {
        ui_state_free(ui);
        return -1;
    }
    for (int i = 0; i < ui->pe.num_waves; i++)
        ui->waves[i] = ui->pe.dims[i];
    ui->num_waves = ui->pe.num_waves;
    ui->step = STEP_SOFTMAX;
    ui->examples_version = -1;
    ui->schedule = (LrSchedule){.kind = LR_CONSTANT, .peak_lr = 1e-3f};
    model_flops_per_token(mc, mc->max_len, &ui->flops_fwd, &ui->flops_train);
    snprintf(ui->sentence, sizeof ui->sentence, "%s", sentence);
    ui->edit_pos = (int)strlen(ui->sentence);
    ui->ckpt_info = checkpoint_info_none();
    ui->view = VIEW_DASHBOARD;
    metric_history_clear(&ui->snap.train_loss);
    metric_history_clear(&ui->snap.train_acc);
    metric_history_clear(&ui->snap.val_loss);
    metric_history_clear(&ui->snap.val_acc);
    return 0;
}

void ui_state_free(UiState *ui)
{
    infer_free(&ui->inf);
    pe_table_free(&ui->pe);
    lesson_free(&ui->lesson);
    examples_free(&ui->examples);
    gen_free(&ui->gen);
}

bool ui_is_lm(const UiState *ui) { return ui->inf.lm; }

/* The planned learning rate over the run's steps, times the live +/- scale:
 * the trainer's schedule (its warm-up rounded as trainer.c rounds it). */
static void lr_plan_update(UiState *ui)
{
    const TrainProgress *p = &ui->snap.progress;
    LrSchedule s = ui->schedule;
    s.total_steps = p->total_steps;
    s.warmup_steps = (long)((double)ui->warmup_fraction * (double)p->total_steps + 0.5);
    int n = p->total_steps > 0 ? UI_LR_POINTS : 0;
    float scale = ui->snap.lr_scale > 0.0f ? ui->snap.lr_scale : 1.0f;
    for (int i = 0; i < n; i++) {
        long step = (long)((double)p->total_steps * i / (n - 1));
        ui->lr_step[i] = (float)step;
        ui->lr_plan[i] = lr_schedule_at(&s, step) * scale;
    }
    ui->lr_points = n;
}

/* Weight copies between two predictions of the examples: 5, four times a
 * second at the training thread's 50 ms (TRAIN_THREAD_WEIGHTS_MS). */
#define EXAMPLES_EVERY 5

/* The examples' table is on the dashboard: predicted there only, every
 * EXAMPLES_EVERY weight copies, and at once on coming to the dashboard with
 * newer weights than the table's. */
static void examples_refresh(UiState *ui)
{
    long v = ui->inf.weights_version;
    bool arrived = !ui->examples_on_dashboard;
    ui->examples_on_dashboard = ui->view == VIEW_DASHBOARD;
    if (ui->inf.lm || ui->view != VIEW_DASHBOARD || v < 0 || v == ui->examples_version)
        return;
    if (!arrived && ui->examples_version >= 0 && v - ui->examples_version < EXAMPLES_EVERY)
        return;
    examples_run(&ui->examples, ui->inf.model);
    ui->examples_version = v;
}

bool ui_state_refresh(UiState *ui, Snapshot *snap)
{
    snapshot_read(snap, &ui->snap);
    lr_plan_update(ui);
    bool fresh = infer_refresh_weights(&ui->inf, snap);
    if (fresh)
        pe_table_update(&ui->pe, ui->inf.model);
    examples_refresh(ui);
    return fresh;
}

/* The Generate view's text follows the prompt line (a new prompt starts it
 * again) and the weights (the cache is filled again with newer ones). */
static void gen_follow(UiState *ui)
{
    GenState *gs = &ui->gen;
    if (gs->n_history == 0 || strcmp(gs->prompt, ui->sentence) != 0)
        gen_restart(gs, ui->inf.model, ui->inf.tc, ui->inf.vocab, ui->sentence,
                    ui->inf.weights_version);
    else if (gs->weights_version != ui->inf.weights_version)
        gen_refeed(gs, ui->inf.weights_version);
}

/* The fixed prompt's sample, drawn with the view's settings and seed. */
static void sample_refresh(UiState *ui, double now)
{
    GenState *gs = &ui->gen;
    long v = ui->inf.weights_version;
    if (v == gs->sample_version || (gs->sample_version >= 0 && now - gs->sample_time < GEN_SAMPLE_EVERY_S))
        return;
    GenerateSpec spec = {.prompt = gs->prompt, .tokens = GEN_SAMPLE_TOKENS,
                         .sampling = gs->sampling, .seed = gs->seed};
    GenerateResult r;
    char err[256];
    if (lm_generate(ui->inf.model, ui->inf.tc, ui->inf.vocab, &spec, NULL, NULL, &r, err,
                    sizeof err) == 0)
        snprintf(gs->sample, sizeof gs->sample, "%s%s", gs->prompt, r.text);
    else
        snprintf(gs->sample, sizeof gs->sample, "%s", err);
    generate_result_free(&r);
    gs->sample_version = v;
    gs->sample_step = ui->inf.weights_step;
    gs->sample_time = now;
}

void ui_state_tick(UiState *ui, double now)
{
    if (!ui->inf.lm)
        return;
    GenState *gs = &ui->gen;
    if (gs->streaming && ui->view == VIEW_GENERATE && !gen_step(gs))
        gs->streaming = false;
    if (ui->view == VIEW_DASHBOARD || ui->view == VIEW_GENERATE)
        sample_refresh(ui, now);
}

void ui_state_run_sentence(UiState *ui)
{
    infer_run(&ui->inf, ui->sentence);
    ui->cur_q = clamp(ui->cur_q, 0, ui->inf.n_tokens > 0 ? ui->inf.n_tokens - 1 : 0);
    ui->cur_k = clamp(ui->cur_k, 0, ui->inf.shown > 0 ? ui->inf.shown - 1 : 0);
    ui->lesson.valid = false;
    if (ui->inf.lm)
        gen_follow(ui);
    if (ui->inf.valid)
        lesson_compute(&ui->lesson, ui->inf.model, ui->inf.acts, ui->inf.T, ui->inf.n_tokens,
                       ui->layer);
}

void ui_state_resized(UiState *ui, int h, int w)
{
    ui->screen_h = h;
    ui->screen_w = w;
    for (int v = 0; v < VIEW_COUNT; v++) {
        int n = view_page_count(ui, (ViewId)v);
        ui->page[v] = clamp(ui->page[v], 0, n > 0 ? n - 1 : 0);
    }
}

/* The note's items are joined by this (run.c's note_add). */
#define NOTE_SEPARATOR "; "

int ui_note_count(const UiState *ui)
{
    if (!ui->note[0])
        return 0;
    int n = 1;
    for (const char *p = ui->note; (p = strstr(p, NOTE_SEPARATOR)) != NULL; p += 2)
        n++;
    return n;
}

bool ui_note_item(const UiState *ui, int i, char *out, size_t len)
{
    const char *p = ui->note;
    if (!p[0] || i < 0)
        return false;
    for (; i > 0; i--) {
        p = strstr(p, NOTE_SEPARATOR);
        if (!p)
            return false;
        p += 2;
    }
    const char *end = strstr(p, NOTE_SEPARATOR);
    size_t n = end ? (size_t)(end - p) : strlen(p);
    snprintf(out, len, "%.*s", (int)n, p);
    return true;
}
