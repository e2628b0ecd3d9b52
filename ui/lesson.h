/* What the lessons show of the typed sentence, computed after each forward
 * (ui_state_run_sentence), never while drawing: for the selected layer, each
 * head's scores before the mask, its weights and output with the model's mask
 * and with the causal mask toggled (the what-if), the spread of the scores and
 * of q and k, how sharp the softmax is with and without the sqrt(d_k) scaling,
 * the entropy of the weights, the heads' average; for every layer and token the
 * data flow (the residual stream's norm at each stage, the share of active
 * ReLU units); the sentence's embeddings against its positional encoding.
 * The numbers come from the model's read-outs (model.h); matrix products go
 * through the model's own attention_forward. */
#ifndef MINILLM_UI_LESSON_H
#define MINILLM_UI_LESSON_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"

/* Stages of the data flow through one encoder layer (post-norm, the notebook). */
typedef enum {
    FLOW_IN = 0,    /* the layer's input x */
    FLOW_ATTN,      /* x + attention(x) */
    FLOW_NORM1,     /* LayerNorm 1 */
    FLOW_RELU,      /* share of the feed-forward's ReLU units that are > 0 (not a norm) */
    FLOW_FFN,       /* norm1 + FFN(norm1) */
    FLOW_OUT,       /* LayerNorm 2: the layer's output */
    FLOW_STAGES
} FlowStage;

/* One head of the selected layer. Statistics are over the cells that count:
 * the sentence's real query tokens and the keys the model lets them see
 * (padding left out with the padding mask). */
typedef struct {
    float sd_q, sd_k;            /* standard deviation of q and of k entries */
    float sd_raw, sd_scaled;     /* of q k^T and of q k^T / sqrt(d_k) */
    float raw_lo, raw_hi;        /* range of q k^T (its map's colour scale) */
    float qkv_lo, qkv_hi;        /* range of q, k and v entries of the real tokens */
    float out_lo, out_hi;        /* range of the output rows (model's and what-if) */
    float max_w_scaled;          /* mean over queries of the largest weight: as trained */
    float max_w_unscaled;        /* the same if the scores were not divided by sqrt(d_k) */
    float entropy;               /* mean over queries of -sum w log2 w, in bits */
    float entropy_max;           /* the same for uniform weights (every key alike) */
} HeadLesson;

typedef struct {
    int T_max, C, NH, HS, F, L;
    bool valid;                  /* computed for the last forward */
    int T, n_real;               /* tokens fed, real ones (the rest padding) */
    int layer;                   /* the layer the per-head arrays are for */
    bool whatif_causal;          /* the what-if's mask is causal (the model's is not) */
    float *scores;               /* (NH, T, T) q k^T / sqrt(d_k), before the mask */
    float *weights;              /* (NH, T, T) softmax with the model's mask */
    float *out;                  /* (NH, T, HS) weights v */
    float *whatif_weights;       /* (NH, T, T) with the causal mask toggled */
    float *whatif_out;           /* (NH, T, HS) */
    float *average;              /* (T, T) the heads' mean weights */
    HeadLesson *heads;           /* (NH) */
    float *flow;                 /* (L, T, FLOW_STAGES) per token */
    float *flow_mean;            /* (L, FLOW_STAGES) over the real tokens */
    float *emb_norm, *pe_norm, *sum_norm; /* (T) |E[id] sqrt(C)|, |PE(t)|, |sum| */
    float emb_lo, emb_hi;        /* range of the sentence's E[id] sqrt(C) entries */
    float pooled_norm, pooled_lo, pooled_hi;
    float *scratch;              /* (T, 3 HS + T + HS) */
} Lesson;

int lesson_init(Lesson *ls, const ModelConfig *mc, char *err, size_t err_len);
void lesson_free(Lesson *ls);
/* From the last forward on a (batch 1, T tokens, the first n_real of them
 * real), for `layer`. */
void lesson_compute(Lesson *ls, const Model *m, const Activations *a, int T, int n_real, int layer);

/* (T, T) of head h: scores, weights or the what-if weights. */
const float *lesson_scores(const Lesson *ls, int h);
const float *lesson_weights(const Lesson *ls, int h, bool whatif);
/* (T, HS) of head h: the output, or the what-if's. */
const float *lesson_out(const Lesson *ls, int h, bool whatif);

#endif
