/* Live inference on the UI side: a private copy of the weights (refreshed from
 * the snapshot when the trainer published newer ones) and activations for one
 * sentence, so typing never touches the training thread's model. */
#ifndef MINILLM_UI_INFER_H
#define MINILLM_UI_INFER_H

#include <stdbool.h>

#include "model/model.h"
#include "src/snapshot.h"
#include "src/text.h"

/* Next tokens a language model's prediction lists. */
#define INFER_NEXT_TOP 10

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
    int n_tokens;               /* real tokens of the sentence, at most max_len */
    int n_words;                /* tokens of the whole sentence: beyond max_len they are cut */
    int n_unknown;              /* tokens fed as <UNK> (not in the vocabulary) */
    int T;                      /* length fed to the forward */
    int shown;                  /* key columns drawn: real tokens + a few pads */
    bool valid;                 /* a forward has run for the current sentence */
    bool nonfinite;             /* it gave NaN or infinite logits: no prediction (valid false) */
    float *probs;               /* (num_labels) class probabilities */
    int predicted;              /* argmax of probs */
    float norms[MODEL_MAX_LAYERS + 1]; /* mean vector norm after the embedding, each layer */
    /* A language model predicts the token after the sentence's last one: */
    bool lm;                    /* the model is a language model (no classes) */
    float *next;                /* (V) softmax of that prediction (lm only) */
    int next_top[INFER_NEXT_TOP]; /* its most probable tokens, most probable first */
} Inference;

int infer_init(Inference *inf, const ModelConfig *mc, const TokenizerConfig *tc,
               const Vocab *vocab, const char *const *labels, int num_labels, char *err,
               size_t err_len);
void infer_free(Inference *inf);
/* Takes newer weights from the snapshot if any; returns true when it did. */
bool infer_refresh_weights(Inference *inf, Snapshot *snap);
/* Tokenizes the sentence and runs the forward in eval mode, feeding the real
 * tokens (the first max_len) and up to two padding tokens (shown as masked
 * columns) by the model's rule (model_tokens_to_feed). */
void infer_run(Inference *inf, const char *sentence);
/* Whether token i is fed as <UNK>: a word the vocabulary does not have. */
bool infer_unknown(const Inference *inf, int i);
/* Whether key k is masked for query q: a padding key with the padding mask, or
 * k > q under a causal mask (the model's; with `whatif`, the causal mask toggled). */
bool infer_masked(const Inference *inf, int q, int k, bool whatif);
/* Attention weight of (query q, key k) in layer/head; masked tells whether the
 * cell is masked (padding key with pad_mask, or causal k > q). */
float infer_attention(const Inference *inf, int layer, int head, int q, int k, bool *masked);

#endif
