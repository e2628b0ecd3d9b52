/* What the training thread shows the UI: one plain-data block (no pointers
 * inside) published under a mutex and copied whole by the UI once per frame,
 * plus a copy of the weights for live inference, versioned by step.
 * Neither side ever holds the lock for more than a memcpy. Plain data only:
 * nothing of the trainer, the datasets or the optimizer (train_thread.h has the
 * commands; the two headers are the whole contract between the thread and the UI). */
#ifndef MINILLM_SNAPSHOT_H
#define MINILLM_SNAPSHOT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "train_progress.h"

/* Points kept per curve; when full, neighbouring points are merged in pairs so
 * the whole run stays on screen at a halved resolution. Must be even. */
#define METRIC_HISTORY_CAP 512
#define SNAPSHOT_STATUS_LEN 256

/* The training curves (train_loss, train_acc) plot each step's batch value
 * smoothed by an exponential moving average of this decay, bias-corrected as
 * TensorBoard does: the epoch running means would jump back at every epoch
 * start. A bare literal, so that the help text can print it. */
#define TRAIN_CURVE_SMOOTHING 0.9

/* The rates shown on the status line are measured over this much watched time. */
#define TRAIN_RATE_WINDOW_S 1.0

/* A curve of (step, value) points over the whole run, in fixed storage. */
typedef struct {
    int n;                          /* points stored */
    int per_point;                  /* raw samples merged into one point */
    int pending_count;              /* raw samples in the point being filled */
    double pending_sum;
    float step[METRIC_HISTORY_CAP]; /* (n) step of the last sample of each point */
    float value[METRIC_HISTORY_CAP];/* (n) mean of the samples of each point */
} MetricHistory;

void metric_history_clear(MetricHistory *h);
void metric_history_push(MetricHistory *h, long step, float value);
/* Smallest and largest finite value; returns false when there is none. */
bool metric_history_range(const MetricHistory *h, float *lo, float *hi);

typedef enum {
    TRAIN_STATE_STARTING = 0,
    TRAIN_STATE_RUNNING,
    TRAIN_STATE_PAUSED,
    TRAIN_STATE_DONE,   /* all epochs trained; reset starts again */
    TRAIN_STATE_ERROR,  /* a step failed (non-finite loss): paused, message in event */
} TrainState;

/* The last event of the training thread, as data: the UI words it in its own
 * language (ui/events.h). */
typedef enum {
    TRAIN_EVENT_NONE = 0,
    TRAIN_EVENT_SAVED,        /* text: the path; step */
    TRAIN_EVENT_SAVED_BEST,   /* text: the path; step: the best one; value: its validation
                               * accuracy (classifier) or loss (language model, is_lm) */
    TRAIN_EVENT_SAVE_FAILED,  /* text: why (the library's message) */
    TRAIN_EVENT_LR,           /* value: the learning-rate multiplier */
    TRAIN_EVENT_PACE,         /* value: steps per second, 0 = no limit */
    TRAIN_EVENT_RESTARTED,    /* seed */
    TRAIN_EVENT_COMPLETE,
    TRAIN_EVENT_NOTHING_LEFT, /* step of total */
    TRAIN_EVENT_ERROR,        /* text: why (the library's message) */
} TrainEventKind;

typedef struct {
    TrainEventKind kind;
    bool is_lm;
    long step, total;
    double value;
    uint64_t seed;
    char text[SNAPSHOT_STATUS_LEN];
} TrainEvent;

typedef struct {
    uint64_t seq;                   /* bumped by every publish */
    TrainState state;
    TrainProgress progress;         /* the trainer's, after the last step */
    float lr_scale;                 /* live multiplier set by +/- */
    float pace;                     /* steps per second set by </>; 0 = no limit */
    double elapsed_s;               /* wall-clock time training, waits for the pace
                                     * included, pauses excluded (progress.elapsed_s
                                     * counts the steps only) */
    /* Rates over the last TRAIN_RATE_WINDOW_S seconds watched: what the pace lets
     * through, and the same steps over their compute time (the machine's speed;
     * progress.sentences_per_s is that over the whole epoch). */
    double watched_steps_per_s, watched_sentences_per_s, compute_sentences_per_s;
    long steps_run;                 /* steps taken since the thread started or the
                                     * last reset */
    int resets;                     /* `r` presses carried out: with steps_run 0 and
                                     * no reset, the weights are as opened */
    /* train_acc and val_acc: accuracy for a classifier; bits per character for
     * a language model (train: the smoothed loss / ln 2 x tokens per character) */
    MetricHistory train_loss, train_acc, val_loss, val_acc;
    uint64_t status_seq;            /* bumped with every event */
    TrainEvent event;               /* the last event: save, error, reset, pace, lr */
    long weights_version;           /* version of the weights copy below */
    long weights_step;              /* training step those weights come from */
} SnapshotData;

typedef struct {
    pthread_mutex_t mutex;
    SnapshotData data;              /* guarded by mutex */
    float *weights;                 /* (num_params) guarded by mutex */
    size_t num_params;
} Snapshot;

/* num_params: size of the weight copy (Model.num_params); 0 = no weights. */
int snapshot_init(Snapshot *s, size_t num_params);
void snapshot_destroy(Snapshot *s);
/* Writer side: copy a whole block in (seq is set here). */
void snapshot_publish(Snapshot *s, const SnapshotData *d);
/* Writer side: copy the parameters in; version and step are recorded in data. */
void snapshot_publish_weights(Snapshot *s, const float *params, long step);
/* Reader side: copy the whole block out. */
void snapshot_read(Snapshot *s, SnapshotData *out);
/* Reader side: when the weights version differs from *version, copy them into
 * params (num_params floats), update *version and return true. */
bool snapshot_read_weights(Snapshot *s, float *params, long *version, long *step);

#endif
