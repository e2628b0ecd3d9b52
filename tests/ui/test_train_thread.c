/* The TUI's training thread on a small model of the embedded data: it publishes steps,
 * obeys pause, learning-rate scale, pace (the `<` `>` keys), reset, save and
 * stop, and a non-finite loss pauses it with the error in the status instead
 * of ending anything. The pacing arithmetic is checked as pure functions.
 * Waits poll the snapshot with a generous deadline; nothing is timed. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "src/run.h"
#include "src/train_thread.h"
#include "ui/keys.h"
#include "ui/events.h"
#include "ui/lang.h"

/* The last event as the English interface words it (ui/events.c). */
static const char *status_text(const SnapshotData *snap)
{
    static char text[SNAPSHOT_STATUS_LEN + 160];
    lang_set(LANG_EN);
    train_event_text(&snap->event, text, sizeof text);
    return text;
}

#define DEADLINE_S 30.0

static Run run;
static Snapshot snap;
static SnapshotData d;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap(void)
{
    struct timespec ts = {0, 5 * 1000000L};
    nanosleep(&ts, NULL);
}

typedef bool (*Cond)(const SnapshotData *d, long arg);
static bool wait_until(Cond cond, long arg)
{
    double end = now_s() + DEADLINE_S;
    do {
        snapshot_read(&snap, &d);
        if (cond(&d, arg))
            return true;
        nap();
    } while (now_s() < end);
    return false;
}

static bool step_above(const SnapshotData *s, long n) { return s->progress.step > n; }
static bool state_is(const SnapshotData *s, long st) { return s->state == (TrainState)st; }
static bool status_seq_above(const SnapshotData *s, long n) { return s->status_seq > (uint64_t)n; }

/* A one-layer model on the embedded data (validated on its held-out part once
 * per epoch, or every 5 steps with `validate`); `poison`: NaN weights, so that
 * the first step fails. */
static void open_run_epochs(bool poison, bool validate, int epochs)
{
    char err[256];
    AppConfig cfg = app_config_default();
    cfg.model.num_layers = 1;
    cfg.train.epochs = epochs;
    cfg.train.batch_size = 4;
    if (validate)
        cfg.train.eval_every = 5;
    RunSpec spec = {.purpose = RUN_TRAIN};
    cr_assert_eq(run_open(&run, &cfg, &spec, err, sizeof err), 0, "%s", err);
    if (poison) {
        Model *m = trainer_train_model(run.trainer);
        for (size_t i = 0; i < m->num_params; i++)
            m->params[i] = NAN;
    }
    cr_assert_eq(snapshot_init(&snap, run_model(&run)->num_params), 0);
}

static void open_run(bool poison, bool validate)
{
    open_run_epochs(poison, validate, 100000); /* never done during the test */
}

static void cleanup(void)
{
    snapshot_destroy(&snap);
    run_close(&run);
}

Test(train_thread, commands)
{
    open_run(false, false);
    TrainThreadConfig tc = {0};
    char err[256] = "";
    TrainThread *tt = train_thread_start(&run, &snap, &tc, err, sizeof err);
    cr_assert_not_null(tt, "%s", err);

    cr_assert(wait_until(step_above, 5), "no steps published");
    cr_expect_gt(d.train_loss.n, 0, "loss curve empty");
    cr_expect(isfinite(d.progress.loss));
    cr_expect_geq(d.weights_version, 1, "weights never published");

    train_thread_toggle_pause(tt);
    cr_assert(wait_until(state_is, TRAIN_STATE_PAUSED), "pause not published");
    long paused_at = d.progress.step;
    for (int i = 0; i < 20; i++)
        nap();
    snapshot_read(&snap, &d);
    cr_expect_eq(d.progress.step, paused_at, "steps taken while paused");

    uint64_t seq = d.status_seq;
    train_thread_scale_lr(tt, 1);
    cr_assert(wait_until(status_seq_above, (long)seq));
    cr_expect_float_eq(d.lr_scale, TRAIN_THREAD_LR_FACTOR, 1e-6);

    char dir[] = "/tmp/minillm-tt-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    seq = d.status_seq;
    train_thread_request_save(tt, path);
    cr_assert(wait_until(status_seq_above, (long)seq), "no save outcome");
    cr_expect(strstr(status_text(&d), "saved") && strstr(status_text(&d), path), "status: %s", status_text(&d));
    cr_expect_eq(access(path, R_OK), 0, "checkpoint file missing");

    seq = d.status_seq;
    train_thread_request_reset(tt);
    cr_assert(wait_until(status_seq_above, (long)seq));
    cr_expect_eq(d.progress.step, 0, "reset while paused keeps step 0");
    cr_expect_eq(d.train_loss.n, 0, "curves cleared");

    train_thread_set_paused(tt, false);
    cr_assert(wait_until(step_above, 2), "no steps after resume");
    cr_expect_eq(d.state, TRAIN_STATE_RUNNING);
    train_thread_stop(tt);

    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
    cleanup();
}

static bool best_before(const SnapshotData *s, long n)
{
    return s->progress.best_step >= 0 && s->progress.step > s->progress.best_step + n;
}

/* With [train] save = best, `s` writes the best weights by validation accuracy, as
 * `train --save` does, and no optimizer sidecar (an old one would not match them). */
Test(train_thread, save_best_writes_the_best_weights)
{
    open_run(false, true);
    run.cfg.train.save = TRAIN_SAVE_BEST;
    Trainer *t = run.trainer;
    TrainThreadConfig tc = {0};
    char err[256] = "";
    TrainThread *tt = train_thread_start(&run, &snap, &tc, err, sizeof err);
    cr_assert_not_null(tt, "%s", err);
    /* paused after a step that is not the best one (a validation pass may make
     * the step the pause lands on the best: then resume and pause again). The
     * trainer itself says where it stopped: the thread is idle while paused. */
    bool paused_after_best = false;
    for (int attempt = 0; attempt < 20 && !paused_after_best; attempt++) {
        cr_assert(wait_until(best_before, 3), "no validation pass before the latest steps");
        train_thread_set_paused(tt, true);
        cr_assert(wait_until(state_is, TRAIN_STATE_PAUSED));
        const TrainProgress *p = trainer_progress(t);
        paused_after_best = p->step > p->best_step && d.progress.step == p->step;
        if (!paused_after_best) {
            train_thread_set_paused(tt, false);
            cr_assert(wait_until(state_is, TRAIN_STATE_RUNNING));
        }
    }
    cr_assert(paused_after_best, "never paused after the best step (step %ld, best %ld)",
              trainer_progress(t)->step, trainer_progress(t)->best_step);

    char dir[] = "/tmp/minillm-tt-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128], sidecar[160];
    snprintf(path, sizeof path, "%s/best.safetensors", dir);
    checkpoint_optim_path(path, sidecar, sizeof sidecar);
    FILE *f = fopen(sidecar, "w");
    cr_assert_not_null(f);
    fputs("{}", f);
    fclose(f);

    uint64_t seq = d.status_seq;
    train_thread_request_save(tt, path);
    cr_assert(wait_until(status_seq_above, (long)seq), "no save outcome");
    char expected[64];
    snprintf(expected, sizeof expected, "at step %ld", d.progress.best_step);
    cr_expect(strstr(status_text(&d), "best") && strstr(status_text(&d), expected) && strstr(status_text(&d), path),
              "status: %s", status_text(&d));
    cr_expect_neq(access(sidecar, F_OK), 0, "a stale optimizer sidecar was kept");

    /* paused: the thread writes neither model now */
    Checkpoint ck;
    cr_assert_eq(checkpoint_load(path, &ck, err, sizeof err), 0, "%s", err);
    const Model *best = trainer_best_model(t);
    cr_assert_eq(ck.model->num_params, best->num_params);
    /* the figures the TUI shows when it opens the file: the best pass's */
    cr_expect_eq(ck.info.step, d.progress.best_step);
    cr_expect_eq(ck.info.val_step, d.progress.best_step);
    cr_expect_eq(ck.info.val_acc, d.progress.best_val_acc);
    cr_expect_eq(ck.info.total_steps, d.progress.total_steps);
    cr_expect_eq(memcmp(ck.model->params, best->params, best->num_params * sizeof(float)), 0,
                 "the file does not hold the best weights");
    cr_expect_neq(memcmp(ck.model->params, trainer_model(t)->params, best->num_params * sizeof(float)), 0,
                  "the file holds the current weights (the best are %ld steps older)",
                  d.progress.step - d.progress.best_step);
    checkpoint_free(&ck);
    train_thread_stop(tt);

    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
    cleanup();
}

Test(pace, due_time_of_the_next_step)
{
    cr_expect_float_eq(train_pace_due_ms(1000.0, 20.0f), 1050.0, 1e-9, "one period after the last start");
    cr_expect_float_eq(train_pace_due_ms(1000.0, 0.5f), 3000.0, 1e-9);
    cr_expect_float_eq(train_pace_due_ms(1000.0, 0.0f), 1000.0, 1e-9, "no limit: due at once");
    cr_expect(train_pace_due_ms(-INFINITY, 15.0f) < 0.0, "no step yet: the first is due at once");
}

Test(pace, faster_and_slower_ladder)
{
    /* > from the default: 15, 30, ... 960, then no limit, which stays */
    float pace = 15.0f, expected = 15.0f;
    for (int i = 0; i < 6; i++) {
        pace = train_pace_faster(pace);
        expected *= 2.0f;
        cr_expect_float_eq(pace, expected, 1e-6, "click %d", i + 1);
    }
    cr_expect_float_eq(pace, TRAIN_PACE_FASTEST, 1e-6);
    cr_expect_eq(train_pace_faster(pace), 0.0f, "above the fastest: no limit");
    cr_expect_eq(train_pace_faster(600.0f), 0.0f, "1200 would be above the fastest");
    cr_expect_eq(train_pace_faster(0.0f), 0.0f, "no limit stays");
    /* < from no limit comes back down the ladder */
    cr_expect_float_eq(train_pace_slower(0.0f), TRAIN_PACE_FASTEST, 1e-6);
    cr_expect_float_eq(train_pace_slower(30.0f), 15.0f, 1e-6);
    cr_expect_float_eq(train_pace_slower(0.4f), TRAIN_PACE_SLOWEST, 1e-6, "stops at the slowest");
    cr_expect_float_eq(train_pace_slower(TRAIN_PACE_SLOWEST), TRAIN_PACE_SLOWEST, 1e-6);
    cr_expect_float_eq(train_pace_slower(0.1f), 0.1f, 1e-6, "a slower configured pace is kept");
    for (float p = 15.0f; p > 0.0f; p = train_pace_faster(p))
        cr_expect_float_eq(train_pace_slower(train_pace_faster(p)), p, 1e-6, "> then < from %g", (double)p);
}

static bool pace_is(const SnapshotData *s, long centi) { return (long)lroundf(s->pace * 100.0f) == centi; }

Test(pace, keys_change_the_published_pace)
{
    open_run(false, false);
    TrainThreadConfig tc = {.pace = 15.0f};
    char err[256] = "";
    TrainThread *tt = train_thread_start(&run, &snap, &tc, err, sizeof err);
    cr_assert_not_null(tt, "%s", err);
    snapshot_read(&snap, &d);
    cr_expect_float_eq(d.pace, 15.0f, 1e-6, "the configured pace is published at start");
    cr_assert(wait_until(step_above, 2), "no steps at 15 steps/s");
    cr_expect_gt(d.elapsed_s, d.progress.elapsed_s, "the watched clock counts the waits for the pace");

    static UiState ui; /* large: not on the stack */
    memset(&ui, 0, sizeof ui);
    ui.tt = tt;
    uint64_t seq = d.status_seq;
    cr_expect_eq(keys_dispatch(&ui, '>', false) & UI_HANDLED, UI_HANDLED);
    cr_assert(wait_until(pace_is, 3000), "pace after > is %g", (double)d.pace);
    cr_expect_gt(d.status_seq, seq);
    cr_expect_str_eq(status_text(&d), "pace 30 steps/s");
    keys_dispatch(&ui, '<', false);
    keys_dispatch(&ui, ',', false);
    cr_assert(wait_until(pace_is, 750), "pace after < < is %g", (double)d.pace);
    cr_expect_str_eq(status_text(&d), "pace 7.5 steps/s");
    for (int i = 0; i < 8; i++) /* 15 30 60 120 240 480 960, then no limit */
        keys_dispatch(&ui, i % 2 ? '.' : '>', false);
    cr_assert(wait_until(pace_is, 0), "pace after 8 x > is %g", (double)d.pace);
    cr_expect_str_eq(status_text(&d), "pace max");
    long at = d.progress.step;
    cr_expect(wait_until(step_above, at + 20), "no steps at full speed");

    seq = d.status_seq;
    train_thread_request_reset(tt);
    cr_assert(wait_until(status_seq_above, (long)seq));
    cr_expect_eq(d.pace, 0.0f, "a reset keeps the pace");
    train_thread_stop(tt);
    cleanup();
}

Test(train_thread, non_finite_loss_pauses_with_message)
{
    open_run(true, false);
    TrainThreadConfig tc = {0};
    char err[256] = "";
    TrainThread *tt = train_thread_start(&run, &snap, &tc, err, sizeof err);
    cr_assert_not_null(tt, "%s", err);
    cr_assert(wait_until(state_is, TRAIN_STATE_ERROR), "no error state");
    cr_expect(strstr(status_text(&d), "training error"), "status: %s", status_text(&d));
    cr_expect(train_thread_paused(tt));
    cr_expect_eq(d.progress.step, 0, "the failed step is not counted");
    /* Issue 14: `s` on the NaN weights writes nothing and says why. */
    char dir[] = "/tmp/minillm-tt-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    uint64_t seq = d.status_seq;
    train_thread_request_save(tt, path);
    cr_assert(wait_until(status_seq_above, (long)seq), "no save outcome");
    cr_expect(strstr(status_text(&d), "save failed: not saved: the weights are not finite, the training "
                               "diverged"), "status: %s", status_text(&d));
    cr_expect_neq(access(path, F_OK), 0, "a file was written");
    char sidecar[160];
    snprintf(sidecar, sizeof sidecar, "%s.optim", path);
    cr_expect_neq(access(sidecar, F_OK), 0, "a sidecar was written");
    cr_expect_eq(rmdir(dir), 0, "the directory holds nothing");
    train_thread_stop(tt);
    cleanup();
}

static bool steps_run_above(const SnapshotData *s, long n) { return s->steps_run > n; }

/* Issue 12, item 4: the rate watched is what the pace lets through, the compute
 * rate what the machine does; item 12: `r` starts the run again as configured,
 * the learning rate x1 included. */
Test(train_thread, rates_and_a_fresh_restart)
{
    open_run(false, false);
    TrainThreadConfig tc = {.pace = 20.0f};
    char err[256] = "";
    TrainThread *tt = train_thread_start(&run, &snap, &tc, err, sizeof err);
    cr_assert_not_null(tt, "%s", err);
    cr_assert(wait_until(steps_run_above, 30), "no steps");
    cr_expect_gt(d.watched_steps_per_s, 0.0);
    cr_expect_leq(d.watched_steps_per_s, 20.0 * 1.25, "faster than the pace: %g", d.watched_steps_per_s);
    double per_step = d.watched_sentences_per_s / d.watched_steps_per_s;
    cr_expect(per_step > 3.0 && per_step <= 4.0 + 1e-9, "sentences per step %g (batch 4)", per_step);
    cr_expect_geq(d.compute_sentences_per_s, d.watched_sentences_per_s,
                  "the compute rate excludes the pace's waits");

    train_thread_scale_lr(tt, 3);
    uint64_t seq = d.status_seq;
    cr_assert(wait_until(status_seq_above, (long)seq));
    cr_expect_gt(d.lr_scale, 1.9f);
    seq = d.status_seq;
    train_thread_request_reset(tt);
    cr_assert(wait_until(status_seq_above, (long)seq));
    cr_expect_float_eq(d.lr_scale, 1.0f, 1e-6, "the learning rate back to x1");
    cr_expect_eq(d.resets, 1);
    cr_expect(strstr(status_text(&d), "seed 42") && strstr(status_text(&d), "learning rate x1"), "%s", status_text(&d));
    cr_expect_lt(d.steps_run, 30);
    train_thread_stop(tt);
    cleanup();
}

static bool state_done(const SnapshotData *s, long n) { (void)n; return s->state == TRAIN_STATE_DONE; }

/* Item 6: a run opened complete (a checkpoint of a finished run) starts paused
 * and, resumed, says there is nothing left instead of drawing a step it did not
 * take; a run that ends in the session says it is complete. */
Test(train_thread, complete_runs_say_so)
{
    open_run_epochs(false, false, 1);
    char err[256] = "";
    int rc;
    while ((rc = trainer_step(run.trainer, err, sizeof err)) == 0) {}
    cr_assert_eq(rc, 1, "%s", err);
    long total = trainer_progress(run.trainer)->total_steps;
    TrainThreadConfig tc = {.start_paused = true};
    TrainThread *tt = train_thread_start(&run, &snap, &tc, err, sizeof err);
    cr_assert_not_null(tt, "%s", err);
    cr_assert(wait_until(state_is, TRAIN_STATE_PAUSED));
    cr_expect_eq(d.progress.step, total);
    train_thread_set_paused(tt, false);
    cr_assert(wait_until(state_done, 0), "not done");
    char want[96];
    snprintf(want, sizeof want, "nothing left to train (step %ld of %ld)", total, total);
    cr_expect(strstr(status_text(&d), want), "%s", status_text(&d));
    cr_expect_eq(d.steps_run, 0);
    cr_expect_eq(d.train_loss.n, 0, "no point for a step not taken");
    train_thread_stop(tt);
    cleanup();

    open_run_epochs(false, false, 1);
    TrainThreadConfig fast = {0};
    tt = train_thread_start(&run, &snap, &fast, err, sizeof err);
    cr_assert_not_null(tt, "%s", err);
    cr_assert(wait_until(state_done, 0), "not done");
    cr_expect(strstr(status_text(&d), "training complete"), "%s", status_text(&d));
    cr_expect_eq(d.steps_run, d.progress.total_steps);
    train_thread_stop(tt);
    cleanup();
}

/* Every event is worded in both languages, with its numbers and its path. */
Test(train_thread, events_worded_in_english_and_french)
{
    char text[SNAPSHOT_STATUS_LEN + 160];
    TrainEvent saved = {.kind = TRAIN_EVENT_SAVED, .step = 45};
    snprintf(saved.text, sizeof saved.text, "/tmp/m.safetensors");
    TrainEvent best = {.kind = TRAIN_EVENT_SAVED_BEST, .step = 300, .value = 0.9857};
    snprintf(best.text, sizeof best.text, "/tmp/b.safetensors");
    TrainEvent best_lm = best;
    best_lm.is_lm = true;
    best_lm.value = 1.4697;
    const struct {
        TrainEvent e;
        const char *en, *fr;
    } cases[] = {
        {saved, "saved /tmp/m.safetensors (step 45)", "enregistré : /tmp/m.safetensors (pas 45)"},
        {best, "98.6% at step 300", "98.6 % au pas 300"},
        {best_lm, "validation loss 1.4697 at step 300", "perte de validation 1.4697 au pas 300"},
        {{.kind = TRAIN_EVENT_LR, .value = 0.5}, "learning rate x0.5", "taux d'apprentissage x0.5"},
        {{.kind = TRAIN_EVENT_PACE, .value = 30}, "pace 30 steps/s", "rythme 30 pas/s"},
        {{.kind = TRAIN_EVENT_PACE, .value = 0}, "pace max", "rythme max"},
        {{.kind = TRAIN_EVENT_RESTARTED, .seed = 42}, "seed 42", "graine 42"},
        {{.kind = TRAIN_EVENT_COMPLETE}, "training complete", "entraînement terminé"},
        {{.kind = TRAIN_EVENT_NOTHING_LEFT, .step = 7, .total = 7}, "(step 7 of 7)", "(pas 7 sur 7)"},
        {{.kind = TRAIN_EVENT_ERROR}, "training error (paused)", "erreur d'entraînement (en pause)"},
        {{.kind = TRAIN_EVENT_SAVE_FAILED}, "save failed", "échec de l'enregistrement"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lang_set(LANG_EN);
        train_event_text(&cases[i].e, text, sizeof text);
        cr_expect(strstr(text, cases[i].en), "event %zu in English: \"%s\"", i, text);
        lang_set(LANG_FR);
        train_event_text(&cases[i].e, text, sizeof text);
        cr_expect(strstr(text, cases[i].fr), "event %zu in French: \"%s\"", i, text);
    }
    lang_set(LANG_EN);
}
