/* What a training run reports after each step: plain data (no pointers), filled
 * by the trainer, printed by the `train` command and copied whole into the
 * snapshot the TUI draws. */
#ifndef MINILLM_TRAIN_PROGRESS_H
#define MINILLM_TRAIN_PROGRESS_H

#include <stdbool.h>

#include "model/model.h"

typedef struct {
    long step, total_steps;          /* optimizer steps taken / planned */
    int epoch, epochs;               /* epoch is 0-based, the one in progress */
    long step_in_epoch, steps_per_epoch;
    float loss;                      /* last batch */
    float loss_avg, acc_avg;         /* running means over the current epoch */
    float lr;                        /* learning rate used by the last step */
    float grad_norm;                 /* global, before clipping */
    float layer_grad_norm[MODEL_MAX_LAYERS]; /* per encoder layer, last step; 0 beyond L */
    bool has_val;
    float val_loss, val_acc;         /* last validation pass */
    long val_step;                   /* step of that pass; -1 = none yet */
    float best_val_acc;
    long best_step;                  /* -1 = none yet */
    double sentences_per_s;          /* over the current epoch */
    double elapsed_s;                /* training time, pauses excluded */
    bool done;
    float acc;                       /* accuracy of the last batch */
    int batch_len;                   /* T fed for the last batch (model_tokens_to_feed:
                                        its longest sentence with the padding mask, else
                                        max_len) */
} TrainProgress;

#endif
