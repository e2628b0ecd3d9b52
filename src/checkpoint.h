/* Checkpoints: F32 safetensors whose tensor names and shapes are the workshop's
 * PyTorch state_dict; __metadata__ carries format, config JSON, vocab, labels.
 * Optimizer state goes to a sidecar "<path>.optim" so the model file loads
 * strictly in PyTorch. Every write is atomic (temp file, fsync, rename). */
#ifndef MINILLM_CHECKPOINT_H
#define MINILLM_CHECKPOINT_H

#include <stddef.h>

#include "model/model.h"
#include "model/optim.h"
#include "files.h" /* atomic_write_file */
#include "text.h"

#define CHECKPOINT_FORMAT "minillm-tui/1"
#define CHECKPOINT_OPTIM_FORMAT "minillm-tui-optim/1"

/* What the training run knew of the weights it saved: __metadata__ "training",
 * a JSON object {"step", "total_steps", "val_step", "val_accuracy", "val_loss",
 * "data"}, every key optional (a file from before it, or from elsewhere, has
 * none of them). The TUI shows it when it opens the checkpoint. */
typedef struct {
    long step;               /* optimizer steps behind the weights; -1 = not recorded */
    long total_steps;        /* steps the run planned; -1 = not recorded */
    long val_step;           /* step of the validation figures below; -1 = none */
    float val_acc;           /* accuracy on the run's validation set, in [0, 1] */
    float val_loss;          /* its loss; NAN = not recorded */
    char data[1024];         /* what it trained on (a file, "embedded dataset"); "" = not recorded */
} CheckpointInfo;

/* An info with nothing recorded (-1 steps, NAN loss, no data). */
CheckpointInfo checkpoint_info_none(void);

typedef struct {
    Model *model;            /* created from the file's config */
    TokenizerConfig tokenizer;
    Vocab *vocab;
    int num_labels;
    char **labels;           /* (num_labels) class names */
    CheckpointInfo info;     /* checkpoint_info_none() when the file has no "training" */
} Checkpoint;

/* The file holds the parameters of the model's views in state_dict order and, for
 * the sinusoidal encoding, the notebook's buffer "encoder.pos_encoding.pe"
 * [5000, d_model] after the embedding. __metadata__: "format" = CHECKPOINT_FORMAT,
 * "config" = {"vocab_size", "d_model", "num_heads", "d_ff", "num_layers",
 * "num_classes", "max_len", "layernorm": "workshop"|"standard", "pos_encoding":
 * "sinusoidal"|"learned", "pad_mask", "causal", "tokenizer": "whitespace"|"words",
 * "lowercase", "dropout", "embedding_dropout", "pooling": "max" (written only when
 * not the notebook's mean)} (the last three optional on load),
 * "vocab" = JSON array of tokens in id order, "labels" = JSON array of class names.
 * Same model, same bytes. Vocabulary tokens and labels must be valid UTF-8. */
int checkpoint_save(const char *path, const Model *m, const TokenizerConfig *tc,
                    const Vocab *v, const char *const *labels, int num_labels,
                    char *err, size_t err_len);
/* checkpoint_save plus __metadata__ "training" from info (NULL: none, the same
 * bytes as checkpoint_save). A non-finite val_loss and an empty or non-UTF-8
 * data are left out; negative steps too. */
int checkpoint_save_info(const char *path, const Model *m, const TokenizerConfig *tc,
                         const Vocab *v, const char *const *labels, int num_labels,
                         const CheckpointInfo *info, char *err, size_t err_len);
/* Validates header length, JSON, dtypes, shapes, offsets, every expected tensor;
 * reports the first problem in err (naming the file and the tensor/key). The
 * sinusoid rows the model uses (< max_len) must equal ours within 1e-4; the
 * values are not loaded (the model computes its own). On failure *out is empty. */
int checkpoint_load(const char *path, Checkpoint *out, char *err, size_t err_len);
void checkpoint_free(Checkpoint *c);

/* Optimizer sidecar, itself a safetensors file: tensors "m" and "v" [num_params],
 * __metadata__ format CHECKPOINT_OPTIM_FORMAT, "optimizer" (JSON config), "step",
 * "num_params". `path` is the sidecar's own path (see checkpoint_optim_path).
 * Load restores m, v, step and the config (like PyTorch's load_state_dict); if opt
 * is not initialised (opt->m NULL) it is initialised for the file's size, otherwise
 * its size must match. */
int optimizer_state_save(const char *path, const Optimizer *opt, char *err, size_t err_len);
int optimizer_state_load(const char *path, Optimizer *opt, char *err, size_t err_len);
/* "<model_path>.optim". */
void checkpoint_optim_path(const char *model_path, char *out, size_t out_len);

#endif
