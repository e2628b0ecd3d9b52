/* Checkpoints: F32 safetensors whose tensor names and shapes are the workshop's
 * PyTorch state_dict; __metadata__ carries format, config JSON, vocab, labels.
 * Optimizer state goes to a sidecar "<path>.optim" so the model file loads
 * strictly in PyTorch. Every write is atomic (files.h: atomic_write_file).
 *
 * Values: nothing non-finite is written or loaded (a weight, a moment; the
 * message names the tensor and element), a second moment is never negative, and
 * every config or optimizer setting that the INI config also has must be within
 * the INI's range for it (config.c's key table, the one source of the ranges).
 * Weights have no bound on their size: a large finite weight loads.
 *
 * Model + sidecar as one transaction: the sidecar records the FNV-1a 64 hash of
 * the model file's bytes (whole file, header included) and the step; a sidecar
 * whose hash is not that of the model file beside it is refused naming both
 * files. The model is written first: killed between the two writes, the new model
 * stays and the old sidecar is refused on resume (training restarts its
 * optimizer), never continued on the wrong weights. */
#ifndef MINILLM_CHECKPOINT_H
#define MINILLM_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "model/optim.h"
#include "files.h" /* atomic_write_file */
#include "text.h"

#define CHECKPOINT_FORMAT "minillm-tui/1"
#define CHECKPOINT_OPTIM_FORMAT "minillm-tui-optim/1"
/* The largest step a sidecar may record: 2^53, far above any run the INI allows
 * (1e6 epochs of at most 2^31 batches) and far from where counting up overflows. */
#define CHECKPOINT_MAX_STEP ((long)1 << 53)

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
    uint64_t file_hash;      /* checkpoint_hash of the file's bytes: its sidecar must match */
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
/* The same over a file's bytes held in memory; `name` stands for the file in
 * messages. (tests/fuzz feeds it inputs without files.) */
int checkpoint_load_memory(const char *name, const unsigned char *bytes, size_t len,
                           Checkpoint *out, char *err, size_t err_len);
void checkpoint_free(Checkpoint *c);

/* FNV-1a 64 of a model file's bytes: what ties a sidecar to its model. */
uint64_t checkpoint_hash(const void *bytes, size_t len);
/* The same, of the file at path (read in blocks). 0, or -1 with err. */
int checkpoint_file_hash(const char *path, uint64_t *hash, char *err, size_t err_len);

/* Optimizer sidecar, itself a safetensors file: tensors "m" and "v" [num_params],
 * __metadata__ format CHECKPOINT_OPTIM_FORMAT, "optimizer" (JSON config), "step",
 * "num_params", "model_fnv1a64" (16 hex digits: checkpoint_hash of its model file).
 * `path` is the sidecar's own path (see checkpoint_optim_path).
 * Load restores m, v, step and the config (like PyTorch's load_state_dict); if opt
 * is not initialised (opt->m NULL) it is initialised for the file's size, otherwise
 * its size must match. On failure opt is unchanged.
 *
 * The model (checkpoint_save_info; info may be NULL) and its sidecar in one
 * call: both checked, then the model written, then the sidecar with the hash of
 * the bytes just written. */
int checkpoint_save_with_optimizer(const char *path, const Model *m, const TokenizerConfig *tc,
                                   const Vocab *v, const char *const *labels, int num_labels,
                                   const CheckpointInfo *info, const Optimizer *opt, char *err,
                                   size_t err_len);
/* The sidecar alone, for the model file whose hash is model_hash. */
int optimizer_state_save_matching(const char *path, const Optimizer *opt, uint64_t model_hash,
                                  char *err, size_t err_len);
/* Loads the sidecar at path if it belongs to the model file model_path whose
 * hash is model_hash (Checkpoint.file_hash of the model just loaded: no second
 * read, and no race with a save in between); else -1 naming both files. */
int optimizer_state_load_matching(const char *path, Optimizer *opt, const char *model_path,
                                  uint64_t model_hash, char *err, size_t err_len);
/* The same two for a sidecar "<model>.optim" whose model file is read from disk
 * for its hash: the model must be saved first (checkpoint_save), and a sidecar
 * whose model file is missing or another is refused. */
int optimizer_state_save(const char *path, const Optimizer *opt, char *err, size_t err_len);
int optimizer_state_load(const char *path, Optimizer *opt, char *err, size_t err_len);
/* Over a sidecar's bytes in memory (`name` in messages); model_hash NULL: no
 * check of the pair. (tests/fuzz feeds it inputs without files.) */
int optimizer_state_load_memory(const char *name, const unsigned char *bytes, size_t len,
                                Optimizer *opt, const char *model_path,
                                const uint64_t *model_hash, char *err, size_t err_len);
/* "<model_path>.optim". */
void checkpoint_optim_path(const char *model_path, char *out, size_t out_len);

#endif
