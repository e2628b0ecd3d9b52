/* The TUI's training thread on the workshop's toy data: it publishes steps,
 * obeys pause, learning-rate scale, reset, save and stop, and a non-finite
 * loss pauses it with the error in the status instead of ending anything.
 * Waits poll the snapshot with a generous deadline; nothing is timed. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "src/dataset.h"
#include "src/train_thread.h"

#define DEADLINE_S 30.0

static Dataset *data;
static Vocab *vocab;
static EncodedDataset *enc;
static AppConfig cfg;
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

static Trainer *make_trainer(bool poison)
{
    char err[256];
    data = dataset_workshop_toy();
    cr_assert_not_null(data);
    cfg = app_config_default();
    cfg.model.num_layers = 1;
    cfg.train.epochs = 100000; /* never done during the test */
    cfg.train.batch_size = 4;
    vocab = vocab_from_dataset(data, &cfg.data.tokenizer, 1, 0);
    cr_assert_not_null(vocab);
    cfg.model.vocab_size = vocab_size(vocab);
    cfg.model.num_classes = data->num_classes;
    enc = dataset_encode(data, &cfg.data.tokenizer, vocab, cfg.model.max_len);
    cr_assert_not_null(enc);
    Model *m = NULL;
    if (poison) {
        Rng rng;
        rng_seed(&rng, 3);
        m = model_create(&cfg.model, &rng, err, sizeof err);
        cr_assert_not_null(m, "%s", err);
        for (size_t i = 0; i < m->num_params; i++)
            m->params[i] = NAN;
    }
    Trainer *t = trainer_create(&cfg, m, enc, NULL, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    cr_assert_eq(snapshot_init(&snap, trainer_model(t)->num_params), 0);
    return t;
}

static void cleanup(void)
{
    snapshot_destroy(&snap);
    encoded_dataset_free(enc);
    vocab_free(vocab);
    dataset_free(data);
}

Test(train_thread, commands)
{
    Trainer *t = make_trainer(false);
    const char *names[2] = {data->label_names[0], data->label_names[1]};
    TrainThreadConfig tc = {.tokenizer = &cfg.data.tokenizer, .vocab = vocab, .labels = names,
                            .num_labels = 2};
    char err[256] = "";
    TrainThread *tt = train_thread_start(t, &snap, &tc, err, sizeof err);
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
    cr_expect(strstr(d.status, "saved") && strstr(d.status, path), "status: %s", d.status);
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

Test(train_thread, non_finite_loss_pauses_with_message)
{
    Trainer *t = make_trainer(true);
    TrainThreadConfig tc = {.tokenizer = &cfg.data.tokenizer, .vocab = vocab};
    char err[256] = "";
    TrainThread *tt = train_thread_start(t, &snap, &tc, err, sizeof err);
    cr_assert_not_null(tt, "%s", err);
    cr_assert(wait_until(state_is, TRAIN_STATE_ERROR), "no error state");
    cr_expect(strstr(d.status, "training error"), "status: %s", d.status);
    cr_expect(train_thread_paused(tt));
    cr_expect_eq(d.progress.step, 0, "the failed step is not counted");
    train_thread_stop(tt);
    cleanup();
}
