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
    /* Language model (model.task = lm); for the classifier is_lm is false and
     * these stay 0. Its sentences_per_s counts training windows of max_len + 1
     * tokens; acc and acc_avg stay 0; the best model is the one of lowest
     * validation loss (best_step). Validation figures follow the evaluation
     * protocol of src/lm_eval.h. */
    bool is_lm;
    float ppl_avg;                   /* exp(loss_avg): training perplexity, this epoch */
    float bpc_avg;                   /* training bits per character, this epoch */
    float val_perplexity, val_bpc;   /* last validation pass (val_loss is its mean nats) */
    float best_val_loss;             /* of the best validation pass (best_step) */
    double tokens_per_s;             /* predicted training tokens per second, this epoch */
} TrainProgress;

#endif
