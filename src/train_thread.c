/* Background training thread for the TUI: see train_thread.h. */
#include "train_thread.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errors.h"
#include "run.h"
#include "trainer.h"

/* The live learning-rate multiplier stays within [1/LIMIT, LIMIT]. */
#define LR_SCALE_LIMIT 1024.0f

struct TrainThread {
    Run *run;                        /* borrowed; its trainer is stepped here only */
    Trainer *trainer;                /* run->trainer */
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
    char save_path[TRAIN_THREAD_PATH_MAX];

    /* private to the thread: the block it publishes */
    SnapshotData data;
    long val_step_seen;
    double smooth_loss, smooth_acc, smooth_weight; /* TRAIN_CURVE_SMOOTHING averages */
    /* the rate window (TRAIN_RATE_WINDOW_S watched): what it counted so far */
    long rate_steps;
    double rate_sentences, rate_watched_s, rate_compute_s;
    bool rate_full;                  /* a whole window has been measured */
    int batch_size, train_n;         /* sentences per step: batch_size, the last of an
                                      * epoch what is left of train_n */
};

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

/* The event for the UI to word (ui/events.c); text: a path or the library's message. */
static void post_event(TrainThread *tt, TrainEvent ev, const char *text)
{
    ev.is_lm = trainer_progress(tt->trainer)->is_lm;
    size_t n = text ? strlen(text) : 0;
    n = n < sizeof ev.text ? n : sizeof ev.text - 1; /* a long error message cut */
    memcpy(ev.text, text ? text : "", n);
    ev.text[n] = '\0';
    tt->data.event = ev;
    tt->data.status_seq++;
}

static void clear_histories(TrainThread *tt)
{
    SnapshotData *d = &tt->data;
    tt->smooth_loss = tt->smooth_acc = tt->smooth_weight = 0.0;
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
    const double a = TRAIN_CURVE_SMOOTHING;
    tt->smooth_loss = a * tt->smooth_loss + (1.0 - a) * p->loss;
    /* a language model's second curve is bits per character: the loss in bits
     * per token times the epoch's tokens per character (1 with char tokens) */
    double second = p->acc;
    if (p->is_lm)
        second = p->loss / log(2.0) * (p->loss_avg > 0 && p->bpc_avg > 0 ? p->bpc_avg * log(2.0) / p->loss_avg : 1.0);
    tt->smooth_acc = a * tt->smooth_acc + (1.0 - a) * second;
    tt->smooth_weight = a * tt->smooth_weight + (1.0 - a);
    metric_history_push(&tt->data.train_loss, p->step, (float)(tt->smooth_loss / tt->smooth_weight));
    metric_history_push(&tt->data.train_acc, p->step, (float)(tt->smooth_acc / tt->smooth_weight));
    if (p->has_val && p->val_step >= 0 && p->val_step != tt->val_step_seen) {
        metric_history_push(&tt->data.val_loss, p->val_step, p->val_loss);
        metric_history_push(&tt->data.val_acc, p->val_step, p->is_lm ? p->val_bpc : p->val_acc);
        tt->val_step_seen = p->val_step;
    }
}

/* Sentences a step at position step_in_epoch feeds: a batch, the epoch's last
 * one what is left (oversampled rows are not counted: a rate, not a tally). */
static int step_sentences(const TrainThread *tt, long step_in_epoch, long steps_per_epoch)
{
    int B = tt->batch_size;
    if (step_in_epoch + 1 < steps_per_epoch || tt->train_n <= 0)
        return B;
    long rest = (long)tt->train_n - step_in_epoch * (long)B;
    return rest > 0 && rest < B ? (int)rest : B;
}

static void rate_window_clear(TrainThread *tt)
{
    tt->rate_steps = 0;
    tt->rate_sentences = tt->rate_watched_s = tt->rate_compute_s = 0.0;
}

/* The rates of the window into the published block: every window once one is
 * whole, until then the partial one (the first second of a run). */
static void rate_window_update(TrainThread *tt)
{
    bool whole = tt->rate_watched_s >= TRAIN_RATE_WINDOW_S;
    if ((whole || !tt->rate_full) && tt->rate_steps > 0 && tt->rate_watched_s > 0.0) {
        SnapshotData *d = &tt->data;
        d->watched_steps_per_s = (double)tt->rate_steps / tt->rate_watched_s;
        d->watched_sentences_per_s = tt->rate_sentences / tt->rate_watched_s;
        d->compute_sentences_per_s = tt->rate_compute_s > 0.0 ? tt->rate_sentences / tt->rate_compute_s : 0.0;
    }
    if (whole) {
        tt->rate_full = true;
        rate_window_clear(tt);
    }
}

static void publish_weights(TrainThread *tt)
{
    const Model *m = trainer_model(tt->trainer);
    snapshot_publish_weights(tt->snap, m->params, trainer_progress(tt->trainer)->step);
}

static void do_save(TrainThread *tt)
{
    char path[TRAIN_THREAD_PATH_MAX], err[512];
    pthread_mutex_lock(&tt->save_mutex);
    memcpy(path, tt->save_path, sizeof path);
    pthread_mutex_unlock(&tt->save_mutex);
    const TrainProgress *p = trainer_progress(tt->trainer);
    RunSaveKind kind = run_save_kind(tt->run);
    if (!path[0]) {
        snprintf(err, sizeof err, "path longer than %d bytes", TRAIN_THREAD_PATH_MAX - 1);
        post_event(tt, (TrainEvent){.kind = TRAIN_EVENT_SAVE_FAILED}, err);
    } else if (run_save(tt->run, path, kind, err, sizeof err) != 0) {
        post_event(tt, (TrainEvent){.kind = TRAIN_EVENT_SAVE_FAILED}, err);
    } else if (kind == RUN_SAVE_BEST) {
        const double best = p->is_lm ? (double)p->best_val_loss : (double)p->best_val_acc;
        post_event(tt, (TrainEvent){.kind = TRAIN_EVENT_SAVED_BEST, .step = p->best_step,
                                    .value = best}, path);
    } else {
        post_event(tt, (TrainEvent){.kind = TRAIN_EVENT_SAVED, .step = p->step}, path);
    }
}

static bool apply_lr_clicks(TrainThread *tt)
{
    int clicks = atomic_exchange(&tt->lr_clicks, 0);
    if (clicks == 0)
        return false;
    float scale = trainer_lr_scale(tt->trainer) * powf(TRAIN_THREAD_LR_FACTOR, (float)clicks);
    if (scale < 1.0f / LR_SCALE_LIMIT)
        scale = 1.0f / LR_SCALE_LIMIT;
    if (scale > LR_SCALE_LIMIT)
        scale = LR_SCALE_LIMIT;
    trainer_set_lr_scale(tt->trainer, scale);
    tt->data.lr_scale = scale;
    post_event(tt, (TrainEvent){.kind = TRAIN_EVENT_LR, .value = scale}, NULL);
    return true;
}

static bool apply_pace_clicks(TrainThread *tt)
{
    int clicks = atomic_exchange(&tt->pace_clicks, 0);
    if (clicks == 0)
        return false;
    for (; clicks > 0; clicks--)
        tt->data.pace = train_pace_faster(tt->data.pace);
    for (; clicks < 0; clicks++)
        tt->data.pace = train_pace_slower(tt->data.pace);
    post_event(tt, (TrainEvent){.kind = TRAIN_EVENT_PACE, .value = tt->data.pace}, NULL);
    return true;
}

/* `r`: the run from its start as configured: the seed's initial weights and
 * batch order (so a restart is reproducible), a fresh optimizer, the learning
 * rate x1; the pace, a way of watching, stays. */
static void reset_run(TrainThread *tt)
{
    trainer_reset(tt->trainer);
    trainer_set_lr_scale(tt->trainer, 1.0f);
    tt->data.progress = *trainer_progress(tt->trainer);
    tt->data.lr_scale = trainer_lr_scale(tt->trainer);
    tt->data.elapsed_s = tt->data.progress.elapsed_s;
    tt->data.steps_run = 0;
    tt->data.resets++;
    tt->data.watched_steps_per_s = tt->data.watched_sentences_per_s = 0.0;
    tt->data.compute_sentences_per_s = 0.0;
    tt->rate_full = false;
    rate_window_clear(tt);
    clear_histories(tt);
    tt->val_step_seen = -1;
    if (tt->data.state == TRAIN_STATE_DONE || tt->data.state == TRAIN_STATE_ERROR)
        tt->data.state = atomic_load(&tt->paused) != 0 ? TRAIN_STATE_PAUSED : TRAIN_STATE_RUNNING;
    post_event(tt, (TrainEvent){.kind = TRAIN_EVENT_RESTARTED, .seed = tt->run->cfg.train.seed},
               NULL);
    publish_weights(tt);
}

/* Applies pending commands; returns true when something changed that the UI
 * should see at once. */
static bool apply_commands(TrainThread *tt)
{
    bool changed = apply_lr_clicks(tt);
    changed |= apply_pace_clicks(tt);
    if (atomic_exchange(&tt->reset_requests, 0) > 0) {
        reset_run(tt);
        changed = true;
    }
    if (atomic_exchange(&tt->save_requests, 0) > 0) {
        do_save(tt);
        changed = true;
    }
    return changed;
}

/* The state while no step runs: paused by the user, or back to running when
 * resumed (also after an error: the user tries again); done stays done. Returns
 * true when it changed. */
static bool follow_pause(TrainThread *tt)
{
    bool paused = atomic_load(&tt->paused) != 0;
    TrainState state = tt->data.state;
    if (paused && state != TRAIN_STATE_ERROR && state != TRAIN_STATE_DONE)
        state = TRAIN_STATE_PAUSED;
    if (!paused && (state == TRAIN_STATE_PAUSED || state == TRAIN_STATE_ERROR))
        state = TRAIN_STATE_RUNNING;
    if (state == tt->data.state)
        return false;
    tt->data.state = state;
    return true;
}

/* One step; returns true when the UI should see the outcome at once (an error,
 * the end of training). */
static bool take_step(TrainThread *tt)
{
    char err[512];
    const TrainProgress *p = trainer_progress(tt->trainer);
    long step_before = p->step;
    int sentences = step_sentences(tt, p->step_in_epoch, p->steps_per_epoch);
    double t0 = now_ms();
    int rc = trainer_step(tt->trainer, err, sizeof err);
    if (rc == 1 && p->step == step_before) { /* the run is complete */
        tt->data.state = TRAIN_STATE_DONE;
        if (tt->data.steps_run > 0)
            post_event(tt, (TrainEvent){.kind = TRAIN_EVENT_COMPLETE}, NULL);
        else /* opened complete: nothing was trained here */
            post_event(tt, (TrainEvent){.kind = TRAIN_EVENT_NOTHING_LEFT, .step = p->step,
                                        .total = p->total_steps}, NULL);
        return true;
    }
    if (rc >= 0) {
        tt->rate_steps++;
        tt->rate_sentences += sentences;
        tt->rate_compute_s += (now_ms() - t0) / 1000.0;
        tt->data.steps_run++;
    }
    if (rc < 0) {
        /* the model is unchanged; stop here until the user resumes or resets */
        atomic_store(&tt->paused, 1);
        tt->data.state = TRAIN_STATE_ERROR;
        post_event(tt, (TrainEvent){.kind = TRAIN_EVENT_ERROR}, err);
        return true;
    }
    record_step(tt);
    if (rc == 1) { /* (the trainer says so on the call after the last step) */
        tt->data.state = TRAIN_STATE_DONE;
        post_event(tt, (TrainEvent){.kind = TRAIN_EVENT_COMPLETE}, NULL);
        return true;
    }
    return false;
}

static void *train_thread_main(void *arg)
{
    TrainThread *tt = arg;
    double last_publish = 0.0, last_weights = 0.0, last_step = -INFINITY, tick = now_ms();
    int publish_ms = tt->cfg.publish_interval_ms > 0 ? tt->cfg.publish_interval_ms
                                                    : TRAIN_THREAD_PUBLISH_MS;
    int weights_ms = tt->cfg.weights_interval_ms > 0 ? tt->cfg.weights_interval_ms
                                                    : TRAIN_THREAD_WEIGHTS_MS;

    publish_weights(tt);
    while (!atomic_load(&tt->quit)) {
        /* the watched clock: the time since the last turn counts when it was spent
         * training or waiting for the pace */
        double turn = now_ms();
        if (tt->data.state == TRAIN_STATE_RUNNING) {
            tt->data.elapsed_s += (turn - tick) / 1000.0;
            tt->rate_watched_s += (turn - tick) / 1000.0;
        }
        tick = turn;
        rate_window_update(tt);
        bool changed = apply_commands(tt);
        changed |= follow_pause(tt);
        double wait = train_pace_due_ms(last_step, tt->data.pace) - now_ms();
        bool idle = tt->data.state != TRAIN_STATE_RUNNING;
        if (idle || wait > 0.0) {
            if (changed)
                snapshot_publish(tt->snap, &tt->data);
            sleep_ms(idle ? PACE_NAP_MS : wait < PACE_NAP_MS ? wait : PACE_NAP_MS);
            continue;
        }
        last_step = now_ms();
        changed |= take_step(tt);
        double t = now_ms();
        if (t - last_weights >= weights_ms || tt->data.state == TRAIN_STATE_DONE) {
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

TrainThread *train_thread_start(Run *run, Snapshot *snap, const TrainThreadConfig *cfg,
                                char *err, size_t err_len)
{
    if (!run->trainer) {
        errorf(err, err_len, "no trainer to run (not a training run)");
        return NULL;
    }
    TrainThread *tt = calloc(1, sizeof *tt);
    if (!tt) {
        errorf(err, err_len, "out of memory starting the training thread");
        return NULL;
    }
    tt->run = run;
    tt->trainer = run->trainer;
    tt->batch_size = run->cfg.train.batch_size;
    tt->train_n = run->train_ids ? run->train_ids->n : 0;
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
    tt->data.progress = *trainer_progress(tt->trainer);
    tt->data.lr_scale = trainer_lr_scale(tt->trainer);
    tt->data.pace = cfg->pace > 0.0f ? cfg->pace : 0.0f;
    tt->data.elapsed_s = tt->data.progress.elapsed_s; /* a resumed run goes on counting */
    tt->data.state = cfg->start_paused ? TRAIN_STATE_PAUSED : TRAIN_STATE_RUNNING;
    tt->val_step_seen = -1;
    snapshot_publish(snap, &tt->data);
    if (pthread_create(&tt->thread, NULL, train_thread_main, tt) != 0) {
        errorf(err, err_len, "cannot start the training thread");
        pthread_mutex_destroy(&tt->save_mutex);
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
    /* an empty path tells do_save that the one asked for did not fit */
    snprintf(tt->save_path, sizeof tt->save_path, "%s",
             strlen(path) < sizeof tt->save_path ? path : "");
    pthread_mutex_unlock(&tt->save_mutex);
    atomic_fetch_add(&tt->save_requests, 1);
}
