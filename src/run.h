/* One run of the model, set up in one place for the `train`, `eval` and
 * `predict` commands and the TUI: the checkpoint (when one is named), the data
 * by the [data] rules, the vocabulary and class names, the encoded sets and,
 * for training, the trainer with its optimizer state and step. The Run owns
 * every one of them and run_close frees them all; a training thread borrows
 * the trainer and is stopped before run_close. */
#ifndef MINILLM_RUN_H
#define MINILLM_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "checkpoint.h"
#include "config.h"
#include "dataset.h"
#include "lm_data.h"
#include "trainer.h"

/* What the run is for: it decides what run_open builds. */
typedef enum {
    RUN_TRAIN,   /* training and validation sets, vocabulary, trainer */
    RUN_EVAL,    /* the checkpoint's model and the validation set of the [data] rules */
    RUN_PREDICT, /* the checkpoint's model, vocabulary and class names */
} RunPurpose;

typedef struct {
    RunPurpose purpose;
    /* The saved model to start from: required for RUN_EVAL and RUN_PREDICT. For
     * training, NULL means fresh weights from [model] and the seed; a checkpoint
     * keeps its model, tokenizer and vocabulary, and continues its run when its
     * optimizer state (checkpoint_optim_path) is there, else starts a fresh
     * optimizer (the note says which). */
    const char *checkpoint;
    /* Training: the optimizer state must restore, step included, or run_open
     * fails (train --resume: the continuation equals the uninterrupted run). */
    bool resume;
    /* Bad data lines go here as "file:line: reason" (NULL: nowhere). */
    FILE *log;
} RunSpec;

typedef struct Run {
    AppConfig cfg;              /* the run's settings: [model] and the tokenizer are the
                                 * checkpoint's when there is one; vocab_size and
                                 * num_classes are filled in */
    const Vocab *vocab;         /* the checkpoint's, or built from the training sentences */
    const char *const *labels;  /* (num_labels) class names: the checkpoint's or the data's */
    int num_labels;
    Dataset *train;             /* RUN_TRAIN: the training sentences */
    Dataset *val;               /* RUN_TRAIN: validation (NULL: none); RUN_EVAL: the
                                 * sentences to evaluate (val_path, else the embedded
                                 * held-out part) */
    EncodedDataset *train_ids;  /* token ids of train */
    EncodedDataset *val_ids;    /* token ids of val; NULL when val is NULL or empty */
    LmData *lm;                 /* a language model (model.task = lm, the config's or the
                                 * checkpoint's): its text streams instead of the
                                 * datasets above (RUN_TRAIN: training and validation;
                                 * RUN_EVAL: the text to evaluate, lm->val); vocab is
                                 * then its char vocabulary, labels NULL */
    Trainer *trainer;           /* RUN_TRAIN */
    Model *model;               /* RUN_EVAL, RUN_PREDICT: the checkpoint's weights */
    char data_name[1024];       /* the file trained on or evaluated, or which embedded set */
    char note[512];             /* what the set-up did that the user should hear of:
                                 * bad lines skipped, optimizer state restored or not,
                                 * config keys the checkpoint overrides, unnamed classes */
    CheckpointInfo info;        /* the checkpoint's training figures (checkpoint_info_none()
                                 * without a checkpoint or without them) */
    /* private to run.c: what the pointers above may point into */
    Checkpoint checkpoint;
    Vocab *built_vocab;
    char label_store[256];      /* [data] label_names split: label_list points into it */
    const char *label_list[CONFIG_MAX_LABEL_NAMES];
} Run;

/* Builds the run for spec->purpose from cfg (validated by the caller). On failure
 * err names the file or setting and why, and nothing is left allocated (run_close
 * is then a no-op). model_set_threads runs here, once, through trainer_create:
 * before any training or UI thread starts. */
int run_open(Run *r, const AppConfig *cfg, const RunSpec *spec, char *err, size_t err_len);
/* Frees everything the run owns; any training thread must be stopped first. */
void run_close(Run *r);

/* The weights to show and save: the trainer's (averaged when enabled) or the
 * checkpoint's. */
const Model *run_model(const Run *r);

/* Which weights a save writes. */
typedef enum {
    RUN_SAVE_CURRENT, /* run_model() and its optimizer state in path.optim */
    RUN_SAVE_BEST,    /* the best model by validation accuracy (run_model() when no
                       * validation ran), without optimizer state: a stale path.optim
                       * belongs to other weights and is removed */
} RunSaveKind;

/* What `[train] save` asks a final save to write: the best model once a
 * validation pass has run when save = best, else the current one. */
RunSaveKind run_save_kind(const Run *r);
/* The "training" figures a save of this kind stores: the step of the weights,
 * the validation accuracy and loss that go with them, the data trained on. */
CheckpointInfo run_save_info(const Run *r, RunSaveKind kind);
/* Writes a checkpoint of a training run atomically (safetensors + metadata,
 * with the step and validation figures of the weights written as "training"). */
int run_save(Run *r, const char *path, RunSaveKind kind, char *err, size_t err_len);

#endif
