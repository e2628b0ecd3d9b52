/* The model's operations as forward/backward pairs, side by side (llm.c style):
 * outputs first, then inputs, then sizes. Every backward ADDS into the gradients
 * it is given (the caller zeroes them once), and a NULL input gradient is skipped.
 * Row-major everywhere; Linear weights are [out, in] like PyTorch.
 * Axis letters as in model.h; N = number of rows (usually B*T).
 * Some backwards also come as _set, overwriting the input gradient: model.c uses
 * those where it is the first writer (nothing to zero). The adding ones are the
 * contract above, checked by the finite-difference tests; attention_backward
 * and layernorm_backward are called only there. */
#ifndef MINILLM_LAYERS_H
#define MINILLM_LAYERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "rng.h"

/* out (N, OC) = inp (N, IC) @ weight^T (OC, IC) + bias (OC, may be NULL). */
void linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                    int N, int IC, int OC);
void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int N, int IC, int OC);
/* out (OC) = weight (OC, IC; row stride ldw) inp (IC) + bias (OC, may be NULL):
 * linear_forward of one row, the generator's. Through cblas_sgemv: sgemm with one
 * row packs the whole weight matrix on OpenBLAS kernels that have no small-matrix
 * path (Haswell, Zen: a generated token 4x slower than with the Cooperlake kernel,
 * measured), sgemv reads it once on all of them. */
void linear_forward_vec(float *out, const float *inp, const float *weight, int ldw,
                        const float *bias, int IC, int OC);
/* The same, but dinp is overwritten instead of added to (dweight, dbias still add). */
void linear_backward_set(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, int N, int IC, int OC);

/* out (B, T, C) = tok_emb[tokens] * sqrt(C) + pos_table[t] (pos_table: (>=T, C)). */
void embedding_forward(float *out, const int *tokens, const float *tok_emb,
                       const float *pos_table, int B, int T, int C);
/* dpos_emb NULL when the positional table is the fixed sinusoid. */
void embedding_backward(float *dtok_emb, float *dpos_emb, const float *dout,
                        const int *tokens, int B, int T, int C);

/* Multi-head self-attention core, as the notebook: qkv (B, T, 3C) is the fused
 * projection whose row holds, for head h, [q_h | k_h | v_h] at columns h*3HS.
 * att (B, NH, T, T) receives softmax(q k^T / sqrt(HS) + mask); out (B, T, C) the
 * heads' values concatenated head-major. key_pad (B, T) nonzero = PAD key, may
 * be NULL; causal: query t sees keys <= t. A query with every key masked gets an
 * all-zero row (PyTorch would give NaN). */
void attention_forward(float *out, float *att, const float *qkv, const uint8_t *key_pad,
                       bool causal, int B, int T, int C, int NH);
/* scratch: (B, NH, T, T) floats. Masked entries have probability 0, so they get no
 * gradient. causal: the forward's flag; with it (and T above one block of 32
 * queries) forward and backward skip the products of the masked upper triangle. */
void attention_backward(float *dqkv, float *scratch, const float *dout, const float *qkv,
                        const float *att, bool causal, int B, int T, int C, int NH);
/* The same, but dqkv is overwritten instead of added to. */
void attention_backward_set(float *dqkv, float *scratch, const float *dout, const float *qkv,
                            const float *att, bool causal, int B, int T, int C, int NH);

/* Attention of one new query over the cached keys and values of positions
 * 0..n-1 (incremental decoding; the query's own key and value are row n-1), for
 * NH heads of size HS: q the query's fused qkv row (q_h at q + h*3HS, as qkv
 * above); head h's keys and values (n, HS) at kcache + h*cache_stride and
 * vcache + h*cache_stride; out the heads' values, head h at out + h*HS. Head h's
 * weights (n) are written at att + h*att_stride. The same scaling and softmax as
 * attention_forward's causal row n-1. A caller may pass a range of heads (all
 * pointers offset to its first head). */
void attention_cached_forward(float *out, float *att, size_t att_stride, const float *q,
                              const float *kcache, const float *vcache, size_t cache_stride,
                              int n, int HS, int NH);

/* LayerNorm over the last axis of inp (N, C).
 * workshop: gamma * (x - mean) / (std_unbiased + eps) + beta
 * standard: gamma * (x - mean) / sqrt(var_biased + eps) + beta
 * Per row it keeps mean and rstd (the factor multiplying x - mean), and for the
 * workshop kind the unbiased std (needed by its backward). std may be NULL for
 * the standard kind. */
#define LAYERNORM_EPS 1e-5f
void layernorm_forward(float *out, float *mean, float *rstd, float *std, const float *inp,
                       const float *gamma, const float *beta, LayerNormKind kind, int N, int C);
void layernorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                        const float *inp, const float *gamma, const float *mean,
                        const float *rstd, const float *std, LayerNormKind kind, int N, int C);
/* The same, but dinp is overwritten instead of added to (dgamma, dbeta still add). */
void layernorm_backward_set(float *dinp, float *dgamma, float *dbeta, const float *dout,
                            const float *inp, const float *gamma, const float *mean,
                            const float *rstd, const float *std, LayerNormKind kind, int N, int C);

/* In place is fine for both (out == inp; dinp == dout masks the gradient instead
 * of adding). The backward reads the
 * forward's output: out > 0 exactly where inp > 0. */
/* max(x, 0); a NaN stays NaN (as torch.relu), so a diverged model's logits say so. */
void relu_forward(float *out, const float *inp, size_t n);
void relu_backward(float *dinp, const float *dout, const float *out, size_t n);

/* Inverted dropout: keep[i] = 1 with probability 1-p (24-bit uniforms, two per
 * 64-bit word), out = inp * keep / (1-p). Each call draws one 64-bit key from
 * rng; the words are splitmix64(key + pair * 0x9E3779B97F4A7C15), so a seed
 * fixes the mask and any thread count computes the same one. */
void dropout_forward(float *out, uint8_t *keep, const float *inp, float p, Rng *rng, size_t n);
/* dinp == dout: scales in place instead of adding. */
void dropout_backward(float *dinp, const float *dout, const uint8_t *keep, float p, size_t n);
/* dinp = dout * keep / (1-p), overwriting. */
void dropout_backward_set(float *dinp, const float *dout, const uint8_t *keep, float p, size_t n);
/* Fused: out = residual + dropout(inp) (out may be inp or residual). */
void dropout_residual_forward(float *out, uint8_t *keep, const float *inp, const float *residual,
                              float p, Rng *rng, size_t n);
/* Fused: out = dropout(relu(inp)), same mask stream as dropout_forward, no mask kept:
 * out > 0 exactly where the gradient passes (kept and inp > 0, as 1/(1-p) > 1). */
void relu_dropout_forward(float *out, const float *inp, float p, Rng *rng, size_t n);
/* In place: d = out > 0 ? d / (1-p) : 0 (out from relu_dropout_forward). */
void relu_dropout_backward(float *d, const float *out, float p, size_t n);

/* out = a + b. (Backward of a residual is the identity into both branches.) */
void residual_forward(float *out, const float *a, const float *b, size_t n);

/* out (B, C) = mean over t of inp (B, T, C); with key_pad, PAD positions are left
 * out and the sum is divided by max(count, 1). */
void mean_pool_forward(float *out, const float *inp, const uint8_t *key_pad, int B, int T, int C);
void mean_pool_backward(float *dinp, const float *dout, const uint8_t *key_pad, int B, int T, int C);
/* out (B, C) = max over t of inp (B, T, C), PAD positions left out; argmax (B, C)
 * receives the winning t (-1 and out 0 when a row has only PAD). The backward adds
 * dout to the winner only (ties go to the first t, as the gradient must go to one). */
void max_pool_forward(float *out, int *argmax, const float *inp, const uint8_t *key_pad, int B,
                      int T, int C);
void max_pool_backward(float *dinp, const float *dout, const int *argmax, int B, int T, int C);

/* probs (B, K) = softmax of each row of logits (B, K), computed in double and
 * rounded: the classifier's probabilities (the same numbers softmax_cross_entropy
 * writes). */
void softmax_probs(float *probs, const float *logits, int B, int K);

/* log sum_k exp(z_k) over z (K), in double with the maximum subtracted first: the
 * classifier's softmax (softmax_probs) and sampling's log-probabilities. */
double log_sum_exp(const float *z, int K);

/* The language model's next-token cross-entropy over N rows of logits (N, V):
 * row_loss (N) receives -log softmax(z_n)[targets[n]] (0 where targets[n] ==
 * ignore_id), dlogits (N, V) scale * (softmax(z_n) - onehot) (0 rows where
 * ignored; overwritten). Returns the sum of row_loss, in row order in double.
 * Float softmax with the attention's vectorised exp: N*V exps per step. */
double token_cross_entropy(float *dlogits, float *row_loss, const float *logits,
                           const int *targets, int ignore_id, float scale, int N, int V);

/* Softmax cross-entropy with PyTorch's label smoothing: target distribution
 * (1 - s) * onehot + s / K. Writes probs (B, K) and dlogits (B, K) (the gradient
 * of the batch-mean loss, so divided by B; overwritten, not added), returns the
 * mean loss. correct (may be NULL) counts argmax == label. */
float softmax_cross_entropy(float *probs, float *dlogits, const float *logits,
                            const int *labels, float label_smoothing, int B, int K,
                            int *correct);

/* R-Drop (Liang et al. 2021): two forward passes of one batch with different dropout
 * masks, logits_a and logits_b (B, K). On entry dlogits_a and dlogits_b hold the
 * gradients of each pass's batch-mean cross-entropy (softmax_cross_entropy); on return
 * those of  (CE_a + CE_b) / 2 + alpha / 2 * mean_b [KL(p_a || p_b) + KL(p_b || p_a)],
 * the average keeping the scale of one pass. Returns the KL term (alpha / 2 * mean). */
float rdrop_consistency(float *dlogits_a, float *dlogits_b, const float *logits_a,
                        const float *logits_b, float alpha, int B, int K);

#endif
