/* Background training thread for the TUI: see train_thread.h. */
#include "train_thread.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checkpoint.h"

#define SAVE_PATH_MAX 1024

struct TrainThread {
    Trainer *trainer;
    Snapshot *snap;
    TrainThreadConfig cfg;
    pthread_t thread;

    /* commands posted by the UI */
    atomic_bool quit;
    atomic_int paused;               /* 0 or 1 (atomic_fetch_xor needs an integer) */
    atomic_int reset_requests;
    atomic_int lr_clicks;
    atomic_int pace_clicks;
    atomic_int save_requests;
    pthread_mutex_t save_mutex;  /* guards save_path */
    char save_path[SAVE_PATH_MAX];

    /* private to the thread: the block it publishes */
    SnapshotData data;
    long val_step_seen;
    /* the curves plot the batch loss/accuracy smoothed by an exponential moving
     * average (bias-corrected, as TensorBoard does); the epoch running means
     * would jump back at every epoch start */
    double ema_loss, ema_acc, ema_weight;
};

#define CURVE_SMOOTHING 0.9

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms)
{
    struct timespec ts = {(time_t)(ms / 1000.0), (long)(fmod(ms, 1000.0) * 1e6)};
    nanosleep(&ts, NULL);
}

/* Longest nap while a paced step is not due yet: commands (quit, pause, a new
 * pace) are seen within it. */
#define PACE_NAP_MS 10.0

float train_pace_faster(float pace)
{
    if (pace <= 0.0f || 2.0f * pace > TRAIN_PACE_FASTEST)
        return 0.0f;
    return 2.0f * pace;
}

float train_pace_slower(float pace)
{
    if (pace <= 0.0f)
        return TRAIN_PACE_FASTEST;
    if (pace / 2.0f < TRAIN_PACE_SLOWEST)
        return pace < TRAIN_PACE_SLOWEST ? pace : TRAIN_PACE_SLOWEST;
    return pace / 2.0f;
}

double train_pace_due_ms(double last_step_ms, float pace)
{
    if (pace <= 0.0f)
        return last_step_ms;
    return last_step_ms + 1000.0 / (double)pace;
}

static void format_pace(char *out, size_t len, float pace)
{
    if (pace <= 0.0f)
        snprintf(out, len, "pace max");
    else
        snprintf(out, len, "pace %.3g steps/s", (double)pace);
}

static void set_status(TrainThread *tt, const char *msg)
{
    snprintf(tt->data.status, sizeof tt->data.status, "%s", msg);
    tt->data.status_seq++;
}

static void clear_histories(TrainThread *tt)
{
    SnapshotData *d = &tt->data;
    tt->ema_loss = tt->ema_acc = tt->ema_weight = 0.0;
    metric_history_clear(&d->train_loss);
    metric_history_clear(&d->train_acc);
    metric_history_clear(&d->val_loss);
    metric_history_clear(&d->val_acc);
}

/* Copies progress in and extends the curves with what the last step added. */
static void record_step(TrainThread *tt)
{
    const TrainProgress *p = trainer_progress(tt->trainer);
    tt->data.progress = *p;
    tt->data.lr_scale = trainer_lr_scale(tt->trainer);
    tt->ema_loss = CURVE_SMOOTHING * tt->ema_loss + (1.0 - CURVE_SMOOTHING) * p->loss;
    tt->ema_acc = CURVE_SMOOTHING * tt->ema_acc + (1.0 - CURVE_SMOOTHING) * p->acc;
    tt->ema_weight = CURVE_SMOOTHING * tt->ema_weight + (1.0 - CURVE_SMOOTHING);
    metric_history_push(&tt->data.train_loss, p->step, (float)(tt->ema_loss / tt->ema_weight));
    metric_history_push(&tt->data.train_acc, p->step, (float)(tt->ema_acc / tt->ema_weight));
    if (p->has_val && p->val_step >= 0 && p->val_step != tt->val_step_seen) {
        metric_history_push(&tt->data.val_loss, p->val_step, p->val_loss);
        metric_history_push(&tt->data.val_acc, p->val_step, p->val_acc);
        tt->val_step_seen = p->val_step;
    }
}

static void publish_weights(TrainThread *tt)
{
    const Model *m = trainer_model(tt->trainer);
    snapshot_publish_weights(tt->snap, m->params, trainer_progress(tt->trainer)->step);
}

static void do_save(TrainThread *tt)
{
    char path[SAVE_PATH_MAX], err[512], msg[SNAPSHOT_STATUS_LEN];
    pthread_mutex_lock(&tt->save_mutex);
    memcpy(path, tt->save_path, sizeof path);
    pthread_mutex_unlock(&tt->save_mutex);
    const TrainProgress *p = trainer_progress(tt->trainer);
    char opt_path[SAVE_PATH_MAX + 8];
    checkpoint_optim_path(path, opt_path, sizeof opt_path);
    if (tt->cfg.save_best && p->best_step >= 0) {
        if (checkpoint_save(path, trainer_best_model(tt->trainer), tt->cfg.tokenizer,
                            tt->cfg.vocab, tt->cfg.labels, tt->cfg.num_labels, err,
                            sizeof err) == 0) {
            /* a sidecar left by an earlier save belongs to other weights: a resume
             * from this file must start a fresh optimizer, as after `train --save` */
            remove(opt_path);
            snprintf(msg, sizeof msg, "saved the best model (%.1f%% at step %ld) to %.200s",
                     100.0 * p->best_val_acc, p->best_step, path);
        } else {
            snprintf(msg, sizeof msg, "save failed: %.200s", err);
        }
    } else if (checkpoint_save(path, trainer_model(tt->trainer), tt->cfg.tokenizer, tt->cfg.vocab,
                               tt->cfg.labels, tt->cfg.num_labels, err, sizeof err) == 0) {
        if (optimizer_state_save(opt_path, trainer_optimizer(tt->trainer), err, sizeof err) == 0)
            snprintf(msg, sizeof msg, "saved %.200s (step %ld)", path, p->step);
        else
            snprintf(msg, sizeof msg, "saved %.100s; optimizer state not saved: %.100s", path, err);
    } else {
        snprintf(msg, sizeof msg, "save failed: %.200s", err);
    }
    set_status(tt, msg);
}

/* Applies pending commands; returns true when something changed that the UI
 * should see at once. */
static bool apply_commands(TrainThread *tt)
{
    bool changed = false;
    int clicks = atomic_exchange(&tt->lr_clicks, 0);
    if (clicks != 0) {
        float scale = trainer_lr_scale(tt->trainer) * powf(TRAIN_THREAD_LR_FACTOR, (float)clicks);
        if (scale < 1.0f / 1024.0f)
            scale = 1.0f / 1024.0f;
        if (scale > 1024.0f)
            scale = 1024.0f;
        trainer_set_lr_scale(tt->trainer, scale);
        tt->data.lr_scale = scale;
        char msg[64];
        snprintf(msg, sizeof msg, "learning rate x%.3g", (double)scale);
        set_status(tt, msg);
        changed = true;
    }
    int pace_clicks = atomic_exchange(&tt->pace_clicks, 0);
    if (pace_clicks != 0) {
        for (; pace_clicks > 0; pace_clicks--)
            tt->data.pace = train_pace_faster(tt->data.pace);
        for (; pace_clicks < 0; pace_clicks++)
            tt->data.pace = train_pace_slower(tt->data.pace);
        char msg[64];
        format_pace(msg, sizeof msg, tt->data.pace);
        set_status(tt, msg);
        changed = true;
    }
    if (atomic_exchange(&tt->reset_requests, 0) > 0) {
        trainer_reset(tt->trainer);
        tt->data.progress = *trainer_progress(tt->trainer);
        tt->data.lr_scale = trainer_lr_scale(tt->trainer);
        tt->data.elapsed_s = tt->data.progress.elapsed_s;
        clear_histories(tt);
        tt->val_step_seen = -1;
        if (tt->data.state == TRAIN_STATE_DONE || tt->data.state == TRAIN_STATE_ERROR)
            tt->data.state = atomic_load(&tt->paused) != 0 ? TRAIN_STATE_PAUSED : TRAIN_STATE_RUNNING;
        set_status(tt, "model reset to fresh weights");
        publish_weights(tt);
        changed = true;
    }
    if (atomic_exchange(&tt->save_requests, 0) > 0) {
        do_save(tt);
        changed = true;
    }
    return changed;
}

static void *train_thread_main(void *arg)
{
    TrainThread *tt = arg;
    char err[512];
    double last_publish = 0.0, last_weights = 0.0, last_step = -INFINITY, tick = now_ms();
    int publish_ms = tt->cfg.publish_interval_ms > 0 ? tt->cfg.publish_interval_ms : 5;
    int weights_ms = tt->cfg.weights_interval_ms > 0 ? tt->cfg.weights_interval_ms : 50;

    publish_weights(tt);
    while (!atomic_load(&tt->quit)) {
        /* the watched clock: the time since the last turn counts when it was spent
         * training or waiting for the pace */
        double turn = now_ms();
        if (tt->data.state == TRAIN_STATE_RUNNING)
            tt->data.elapsed_s += (turn - tick) / 1000.0;
        tick = turn;
        bool changed = apply_commands(tt);
        bool paused = atomic_load(&tt->paused) != 0;
        TrainState idle = tt->data.state;
        if (paused && idle != TRAIN_STATE_ERROR && idle != TRAIN_STATE_DONE)
            idle = TRAIN_STATE_PAUSED;
        if (!paused && idle == TRAIN_STATE_PAUSED)
            idle = TRAIN_STATE_RUNNING;
        if (!paused && idle == TRAIN_STATE_ERROR)
            idle = TRAIN_STATE_RUNNING; /* resumed by the user: try again */
        if (idle != tt->data.state) {
            tt->data.state = idle;
            changed = true;
        }
        if (paused || tt->data.state == TRAIN_STATE_DONE) {
            if (changed)
                snapshot_publish(tt->snap, &tt->data);
            sleep_ms(10);
            continue;
        }
        double wait = train_pace_due_ms(last_step, tt->data.pace) - now_ms();
        if (wait > 0.0) {
            if (changed)
                snapshot_publish(tt->snap, &tt->data);
            sleep_ms(wait < PACE_NAP_MS ? wait : PACE_NAP_MS);
            continue;
        }
        last_step = now_ms();
        int rc = trainer_step(tt->trainer, err, sizeof err);
        if (rc < 0) {
            /* the model is unchanged; stop here until the user resumes or resets */
            atomic_store(&tt->paused, 1);
            tt->data.state = TRAIN_STATE_ERROR;
            char msg[SNAPSHOT_STATUS_LEN];
            snprintf(msg, sizeof msg, "training error (paused): %.200s", err);
            set_status(tt, msg);
            snapshot_publish(tt->snap, &tt->data);
            continue;
        }
        record_step(tt);
        if (rc == 1) {
            tt->data.state = TRAIN_STATE_DONE;
            set_status(tt, "training complete (r: start again)");
            changed = true;
        }
        double t = now_ms();
        if (rc == 1 || t - last_weights >= weights_ms) {
            publish_weights(tt);
            last_weights = t;
        }
        if (changed || t - last_publish >= publish_ms) {
            snapshot_publish(tt->snap, &tt->data);
            last_publish = t;
        }
    }
    snapshot_publish(tt->snap, &tt->data);
    return NULL;
}

TrainThread *train_thread_start(Trainer *trainer, Snapshot *snap, const TrainThreadConfig *cfg,
                                char *err, size_t err_len)
{
    TrainThread *tt = calloc(1, sizeof *tt);
    if (!tt) {
        snprintf(err, err_len, "out of memory starting the training thread");
        trainer_free(trainer);
        return NULL;
    }
    tt->trainer = trainer;
    tt->snap = snap;
    tt->cfg = *cfg;
    atomic_init(&tt->quit, false);
    atomic_init(&tt->paused, cfg->start_paused ? 1 : 0);
    atomic_init(&tt->reset_requests, 0);
    atomic_init(&tt->lr_clicks, 0);
    atomic_init(&tt->pace_clicks, 0);
    atomic_init(&tt->save_requests, 0);
    pthread_mutex_init(&tt->save_mutex, NULL);
    clear_histories(tt);
    tt->data.progress = *trainer_progress(trainer);
    tt->data.lr_scale = trainer_lr_scale(trainer);
    tt->data.pace = cfg->pace > 0.0f ? cfg->pace : 0.0f;
    tt->data.elapsed_s = tt->data.progress.elapsed_s; /* a resumed run goes on counting */
    tt->data.state = cfg->start_paused ? TRAIN_STATE_PAUSED : TRAIN_STATE_RUNNING;
    tt->val_step_seen = -1;
    snapshot_publish(snap, &tt->data);
    if (pthread_create(&tt->thread, NULL, train_thread_main, tt) != 0) {
        snprintf(err, err_len, "cannot start the training thread");
        pthread_mutex_destroy(&tt->save_mutex);
        trainer_free(trainer);
        free(tt);
        return NULL;
    }
    return tt;
}

void train_thread_stop(TrainThread *tt)
{
    if (!tt)
        return;
    atomic_store(&tt->quit, true);
    pthread_join(tt->thread, NULL);
    pthread_mutex_destroy(&tt->save_mutex);
    trainer_free(tt->trainer);
    free(tt);
}

void train_thread_set_paused(TrainThread *tt, bool paused) { atomic_store(&tt->paused, paused ? 1 : 0); }
bool train_thread_paused(TrainThread *tt) { return atomic_load(&tt->paused) != 0; }
void train_thread_toggle_pause(TrainThread *tt) { atomic_fetch_xor(&tt->paused, 1); }
void train_thread_request_reset(TrainThread *tt) { atomic_fetch_add(&tt->reset_requests, 1); }
void train_thread_scale_lr(TrainThread *tt, int clicks) { atomic_fetch_add(&tt->lr_clicks, clicks); }
void train_thread_change_pace(TrainThread *tt, int clicks) { atomic_fetch_add(&tt->pace_clicks, clicks); }

void train_thread_request_save(TrainThread *tt, const char *path)
{
    pthread_mutex_lock(&tt->save_mutex);
    snprintf(tt->save_path, sizeof tt->save_path, "%s", path);
    pthread_mutex_unlock(&tt->save_mutex);
    atomic_fetch_add(&tt->save_requests, 1);
}
