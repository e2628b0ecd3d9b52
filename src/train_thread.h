/* The TUI's background training thread, and with snapshot.h the whole contract
 * between it and the UI: the thread steps the run's trainer at the pace the
 * user watches (at most `pace` steps per second, sleeping until the next step is
 * due; 0 = as fast as it can), publishes a Snapshot after each step (at most
 * every few ms) and the weights at most every weights_interval_ms, and obeys
 * the commands below, which the UI posts through atomics: pause/resume, reset,
 * learning-rate scale, pace, save, quit. Nothing of the trainer, the datasets
 * or the optimizer shows here: the UI holds a Run only to hand it over.
 * Training never waits for drawing and the UI never waits for a step. */
#ifndef MINILLM_TRAIN_THREAD_H
#define MINILLM_TRAIN_THREAD_H

#include <stdbool.h>
#include <stddef.h>

#include "snapshot.h"

typedef struct Run Run; /* run.h: the run whose trainer the thread steps */

/* Multiplier applied to the lr scale by one `+` (one `-` divides by it). */
#define TRAIN_THREAD_LR_FACTOR 1.25f

/* Pace ladder of `>` (x2) and `<` (/2), in steps per second. Above FASTEST
 * there is no limit (pace 0); `<` from no limit comes back to FASTEST, the
 * top of the default pace's ladder (15 x 2^6). Below SLOWEST `<` stops. */
#define TRAIN_PACE_FASTEST 960.0f
#define TRAIN_PACE_SLOWEST 0.25f

/* The pace after one `>`: twice as fast, no limit (0) above TRAIN_PACE_FASTEST. */
float train_pace_faster(float pace);
/* The pace after one `<`: half as fast, not below TRAIN_PACE_SLOWEST (nor
 * below a slower configured pace); from no limit (0), TRAIN_PACE_FASTEST. */
float train_pace_slower(float pace);
/* When the next step is due (ms, same clock as last_step_ms) if the last one
 * started at last_step_ms: one period 1000/pace later, or at once (last_step_ms)
 * when pace is 0. Counting from the start of the last step keeps the pace
 * exact whatever a step costs; a step slower than the period just runs late. */
double train_pace_due_ms(double last_step_ms, float pace);

/* Default intervals between two publications: of the progress block, of the
 * weight copy (the UI draws at most every few tens of ms). */
#define TRAIN_THREAD_PUBLISH_MS 5
#define TRAIN_THREAD_WEIGHTS_MS 50
/* Longest save path (train_thread_request_save copies it). */
#define TRAIN_THREAD_PATH_MAX 1024

typedef struct {
    int publish_interval_ms;   /* progress block; 0 = TRAIN_THREAD_PUBLISH_MS */
    int weights_interval_ms;   /* weight copy; 0 = TRAIN_THREAD_WEIGHTS_MS */
    float pace;                /* at most this many steps per second; 0 = no limit */
    bool start_paused;
} TrainThreadConfig;

typedef struct TrainThread TrainThread;

/* Steps run->trainer (a RUN_TRAIN run, borrowed: run and snap must outlive the
 * thread; run_close comes after train_thread_stop). snap must be initialised
 * with run_model(run)->num_params. Returns NULL with err set when the thread
 * cannot start. */
TrainThread *train_thread_start(Run *run, Snapshot *snap, const TrainThreadConfig *cfg,
                                char *err, size_t err_len);
/* Asks the thread to finish its step and joins it. */
void train_thread_stop(TrainThread *tt);

void train_thread_set_paused(TrainThread *tt, bool paused);
bool train_thread_paused(TrainThread *tt);
void train_thread_toggle_pause(TrainThread *tt);
void train_thread_request_reset(TrainThread *tt);
/* clicks > 0 multiplies the lr scale by TRAIN_THREAD_LR_FACTOR^clicks. */
void train_thread_scale_lr(TrainThread *tt, int clicks);
/* clicks > 0 applies train_pace_faster that many times, < 0 train_pace_slower;
 * the new pace shows in the snapshot (pace) and its status. */
void train_thread_change_pace(TrainThread *tt, int clicks);
/* Saves the model between two steps, atomically, to path (copied, at most
 * TRAIN_THREAD_PATH_MAX - 1 bytes: a longer one fails with a message): what
 * run_save_kind says ([train] save = best: the best model by validation
 * accuracy once a validation pass has run, as `train --save` writes it; else
 * the current weights and their optimizer state in path.optim). The outcome
 * shows in the snapshot status ("saved <path>" or the error). */
void train_thread_request_save(TrainThread *tt, const char *path);

#endif
