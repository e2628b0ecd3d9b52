/* Live inference on the UI side: a private copy of the weights (refreshed from
 * the snapshot when the trainer published newer ones) and activations for one
 * sentence, so typing never touches the training thread's model. */
#ifndef MINILLM_UI_INFER_H
#define MINILLM_UI_INFER_H

#include <stdbool.h>

#include "model/model.h"
#include "src/dataset.h"
#include "src/snapshot.h"
#include "src/text.h"

typedef struct {
    Model *model;               /* UI copy of the weights */
    Activations *acts;          /* batch 1, T = max_len */
    const TokenizerConfig *tc;
    const Vocab *vocab;
    const char *const *labels;
    int num_labels;
    long weights_version, weights_step;
    int *ids;                   /* (max_len) */
    char (*tokens)[32];         /* (max_len) display text of each id */
    int n_tokens;               /* real tokens of the sentence */
    int T;                      /* length fed to the forward */
    int shown;                  /* key columns drawn: real tokens + a few pads */
    bool valid;                 /* a forward has run for the current sentence */
    float probs[DATASET_MAX_CLASSES];
    int predicted;
    float norms[MODEL_MAX_LAYERS + 1];
} Inference;

int infer_init(Inference *inf, const ModelConfig *mc, const TokenizerConfig *tc,
               const Vocab *vocab, const char *const *labels, int num_labels, char *err,
               size_t err_len);
void infer_free(Inference *inf);
/* Takes newer weights from the snapshot if any; returns true when it did. */
bool infer_refresh_weights(Inference *inf, Snapshot *snap);
/* Tokenizes the sentence and runs the forward in eval mode. */
void infer_run(Inference *inf, const char *sentence);
/* Attention weight of (query q, key k) in layer/head; masked tells whether the
 * cell is masked (padding key with pad_mask, or causal k > q). */
float infer_attention(const Inference *inf, int layer, int head, int q, int k, bool *masked);

#endif
