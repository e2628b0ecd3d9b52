/* The TUI's background training thread. It owns the Trainer, steps it at the
 * pace the user watches (at most `pace` steps per second, sleeping until the
 * next step is due; 0 = as fast as it can), publishes a Snapshot after each step (at most every few ms) and
 * the weights at most every weights_interval_ms, and obeys commands the UI
 * posts through atomics: pause/resume, reset, learning-rate scale, pace, save,
 * quit.
 * Training never waits for drawing and the UI never waits for a step. */
#ifndef MINILLM_TRAIN_THREAD_H
#define MINILLM_TRAIN_THREAD_H

#include <stdbool.h>
#include <stddef.h>

#include "snapshot.h"
#include "text.h"
#include "trainer.h"

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

typedef struct {
    /* For checkpoint_save; owned by the caller, must outlive the thread. */
    const TokenizerConfig *tokenizer;
    const Vocab *vocab;
    const char *const *labels;
    int num_labels;
    int publish_interval_ms;   /* progress block; 0 = 5 ms */
    int weights_interval_ms;   /* weight copy; 0 = 50 ms */
    float pace;                /* at most this many steps per second; 0 = no limit */
    bool start_paused;
    /* [train] save = best: a save writes the best model by validation accuracy
     * (as `train --save` does) once a validation pass has run, without an
     * optimizer sidecar; otherwise the current weights and their sidecar. */
    bool save_best;
} TrainThreadConfig;

typedef struct TrainThread TrainThread;

/* Takes ownership of trainer (freed by train_thread_stop, also on failure).
 * snap must be initialised with the trainer model's num_params and outlive the
 * thread. Returns NULL with err set when the thread cannot start. */
TrainThread *train_thread_start(Trainer *trainer, Snapshot *snap,
                                const TrainThreadConfig *cfg, char *err, size_t err_len);
/* Asks the thread to finish its step, joins it and frees the trainer. */
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
/* Saves trainer_model() and its optimizer state (path.optim) atomically to
 * path (copied) between two steps, or the best model when cfg.save_best; the
 * outcome shows in the snapshot status ("saved <path>" or the error). */
void train_thread_request_save(TrainThread *tt, const char *path);

#endif
