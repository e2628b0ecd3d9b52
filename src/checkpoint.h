/* Checkpoints: F32 safetensors whose tensor names and shapes are the workshop's
 * PyTorch state_dict; __metadata__ carries format, config JSON, vocab, labels.
 * Optimizer state goes to a sidecar "<path>.optim" so the model file loads
 * strictly in PyTorch. Every write is atomic (temp file, fsync, rename). */
#ifndef MINILLM_CHECKPOINT_H
#define MINILLM_CHECKPOINT_H

#include <stddef.h>

#include "model/model.h"
#include "model/optim.h"
#include "text.h"

#define CHECKPOINT_FORMAT "minillm-tui/1"

typedef struct {
    Model *model;            /* created from the file's config */
    TokenizerConfig tokenizer;
    Vocab *vocab;
    int num_labels;
    char **labels;           /* (num_labels) class names */
} Checkpoint;

int checkpoint_save(const char *path, const Model *m, const TokenizerConfig *tc,
                    const Vocab *v, const char *const *labels, int num_labels,
                    char *err, size_t err_len);
/* Validates header length, JSON, dtypes, shapes, offsets, every expected tensor;
 * reports the first problem in err (naming the file and the tensor/key). */
int checkpoint_load(const char *path, Checkpoint *out, char *err, size_t err_len);
void checkpoint_free(Checkpoint *c);

/* Optimizer sidecar: moments and step, atomically written. */
int optimizer_state_save(const char *path, const Optimizer *opt, char *err, size_t err_len);
int optimizer_state_load(const char *path, Optimizer *opt, char *err, size_t err_len);

/* Writes a file atomically: temp file in the same directory, fsync, rename. */
int atomic_write_file(const char *path, const void *data, size_t len, char *err, size_t err_len);

#endif
