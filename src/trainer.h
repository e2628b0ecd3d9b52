/* Mini-batch training of a Model on an encoded dataset: batching (shuffled,
 * optionally length-bucketed), learning-rate schedule, clipping, optimizer,
 * validation, best-by-validation tracking, an optional average of the weights
 * (EMA or SWA). Used by the headless `train` command and by the TUI's training
 * thread; it never prints. */
#ifndef MINILLM_TRAINER_H
#define MINILLM_TRAINER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "dataset.h"
#include "lm_data.h"
#include "lm_eval.h"
#include "model/model.h"
#include "model/optim.h"
#include "train_progress.h"

typedef struct Trainer Trainer;

/* Takes ownership of model (may be NULL: a fresh one from cfg->model and the seed),
 * train/val datasets (val may be NULL), vocab and labels stay owned by the caller. */
Trainer *trainer_create(const AppConfig *cfg, Model *model, const EncodedDataset *train,
                        const EncodedDataset *val, char *err, size_t err_len);
/* The language model's trainer (cfg->model.task = lm): each step draws
 * batch_size windows of max_len + 1 tokens from data (lm_data_window, from
 * (seed, step)), feeds the first max_len and learns to predict each next token.
 * An epoch is the training text's tokens once, rounded up to whole steps
 * (LM_SYNTHETIC_STEPS_PER_EPOCH for a synthetic task); validation is the
 * evaluation protocol (lm_eval.h) on data->val, and the best model the one of
 * lowest validation loss. data stays owned by the caller and must outlive the
 * trainer. The classifier's options (label smoothing, word dropout and
 * deletion, oversampling, R-Drop, adversarial training) must be off. */
Trainer *trainer_create_lm(const AppConfig *cfg, Model *model, const LmData *data, char *err,
                           size_t err_len);
void trainer_free(Trainer *t);
/* One optimizer step. Returns 0 on success, 1 when training is complete,
 * -1 on an error (a non-finite loss or gradient, an update that would make a
 * weight or an Adam moment non-finite, a batch the model refused) with
 * err set; the model is left unchanged then. */
int trainer_step(Trainer *t, char *err, size_t err_len);
/* Loss and accuracy of trainer_model's weights on a dataset, eval mode (what
 * validation runs; public for the tests, which evaluate on their own sets). */
int trainer_evaluate(Trainer *t, const EncodedDataset *d, float *loss, float *acc);
/* The evaluation protocol on s with trainer_model's weights (language model). */
int trainer_evaluate_lm(Trainer *t, const LmStream *s, LmEvalResult *out, char *err,
                        size_t err_len);
const TrainProgress *trainer_progress(const Trainer *t);
/* Weights to use for inference and saving: the weight average when ema_decay or
 * swa_start is set, else the weights being optimised. */
const Model *trainer_model(const Trainer *t);
/* The best model by validation accuracy so far (trainer_model when no validation). */
const Model *trainer_best_model(const Trainer *t);
Optimizer *trainer_optimizer(Trainer *t);
void trainer_set_lr_scale(Trainer *t, float scale); /* live +/- in the TUI */
float trainer_lr_scale(const Trainer *t);
/* Fresh weights from the seed, optimizer and progress reset (the LR scale is kept). */
void trainer_reset(Trainer *t);
/* The weights being optimised (not the average): what a resumed run continues
 * from. Only the tests call it (to compare with the average, and to break a
 * weight on purpose); the run set-up passes its model to trainer_create. */
Model *trainer_train_model(Trainer *t);
/* Resuming: positions the run at `step` (weights and optimizer state already restored
 * by the caller, e.g. from a checkpoint and its sidecar). The shuffles and dropout are
 * derived from (seed, epoch) and (seed, step), so the continuation equals the
 * uninterrupted run. -1 with err when step is beyond the planned total. */
int trainer_set_step(Trainer *t, long step, char *err, size_t err_len);
/* Sentence indices of the epoch in progress in the order they are fed, batch after
 * batch (batch b starts at batch_starts[b]; both arrays owned by the trainer and valid
 * until the next step). NULL before the first step of the epoch. Only the tests
 * call it: it is how they see length buckets and oversampling. */
const int *trainer_epoch_order(const Trainer *t, int *n, const int **batch_starts,
                               int *num_batches);

#endif
