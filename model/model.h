/* The workshop's MiniLLM: the sentiment classifier (an encoder, task classify)
 * and the causal language model built from the same blocks (a decoder, task lm):
 * configuration, parameters, forward and backward. No UI here; see README
 * "Architecture". Incremental decoding with a key/value cache is in generate.h.
 *
 * Axis letters used in shape comments throughout model/:
 *   B batch, T sequence length (<= max_len), C d_model, NH num_heads,
 *   HS head size d_k = C/NH, F d_ff, V vocab_size, K num_classes, L num_layers.
 *
 * Tensor names and shapes follow the PyTorch state_dict exactly (Linear weights
 * are [out, in]): the notebook's for the classifier (encoder.*, classifier.*),
 * tools/decoder_model.py's for the language model (decoder.*, lm_head.weight),
 * so a checkpoint is a plain copy of views.
 */
#ifndef MINILLM_MODEL_H
#define MINILLM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define MODEL_PAD_ID 0
#define MODEL_UNK_ID 1
#define MODEL_NAME_MAX 96
/* Most encoder layers (per-layer read-outs are sized by it). */
#define MODEL_MAX_LAYERS 64
/* Tensors per encoder layer (qkv, output linear, two norms, two FFN linears:
 * weight and bias, or gamma and beta, each). */
#define MODEL_LAYER_TENSORS 12
/* The notebook's PositionalEncoding registers a [5000, C] buffer. */
#define MODEL_SINUSOID_BUFFER_LEN 5000

typedef enum { LAYERNORM_WORKSHOP = 0, LAYERNORM_STANDARD = 1 } LayerNormKind;
typedef enum { POS_ENCODING_SINUSOIDAL = 0, POS_ENCODING_LEARNED = 1 } PosEncodingKind;
/* classify: the notebook's encoder, pooled, then the classifier head (B, K).
 * lm: the same blocks with the causal mask always on, then a language-model
 * head C -> V without bias: logits (B, T, V), row (b, t) predicting token t+1. */
typedef enum { MODEL_TASK_CLASSIFY = 0, MODEL_TASK_LM = 1 } ModelTask;
/* Where each block's two LayerNorms sit.
 * post (the workshop): x = LN1(x + attn(x)); x = LN2(x + ffn(x)).
 * pre (GPT-2): x = x + attn(LN1(x)); x = x + ffn(LN2(x)); after the last block
 * one final LayerNorm (encoder.norm / decoder.norm). Either task. */
typedef enum { NORM_POST = 0, NORM_PRE = 1 } NormPlacement;
/* How the encoder's output (B, T, C) becomes one vector per sentence (B, C):
 * mean over non-pad positions (the notebook), or max over them (max-over-time, as
 * CNN text classifiers pool). Same tensors either way, so either checkpoint loads. */
typedef enum { POOLING_MEAN = 0, POOLING_MAX = 1 } PoolingKind;

typedef struct {
    int vocab_size;   /* V */
    int d_model;      /* C */
    int num_heads;    /* NH, divides d_model */
    int d_ff;         /* F */
    int num_layers;   /* L */
    int num_classes;  /* K */
    int max_len;      /* longest sequence; learned PE table has max_len rows */
    float dropout;    /* one rate for every dropout site of the notebook */
    float embedding_dropout; /* < 0: use `dropout` (the notebook); else its own rate */
    LayerNormKind layernorm;
    PosEncodingKind pos_encoding;
    bool pad_mask;    /* PAD keys get -inf, PAD positions left out of the mean pool */
    bool causal;      /* decoder mask: query t sees keys <= t */
    PoolingKind pooling; /* POOLING_MEAN = the notebook */
    ModelTask task;   /* MODEL_TASK_CLASSIFY = the notebook. LM: the causal mask is
                       * always on; num_classes, pooling and pad_mask are unused
                       * (num_classes may be 0; right padding cannot reach earlier
                       * positions through the causal mask, and targets equal to
                       * MODEL_PAD_ID are not counted by model_lm_loss) */
    NormPlacement norm; /* NORM_POST = the workshop's block */
    bool tie_embeddings; /* LM only: lm_head.weight is the embedding table (one
                          * storage, its gradient the sum of both uses) */
} ModelConfig;

/* The workshop's seed configuration (vocab 22, d 64, 4 heads, d_ff 256, 7 layers;
 * classify, post-norm, untied). */
ModelConfig model_config_default(void);
/* 0 if valid, else -1 with a message naming the field and what is allowed. */
int model_config_validate(const ModelConfig *cfg, char *err, size_t err_len);

/* Tokens to feed for sequences whose longest has `longest` real tokens: just
 * that with the padding mask (the result does not depend on padding then; at
 * least 1, at most max_len), else max_len (pads take part in attention and
 * pooling, as in the notebook, so every sequence is padded to the same length).
 * Training, evaluation and live inference all feed this. A language model
 * (causal mask: right padding never reaches earlier positions) feeds `longest`
 * as with the padding mask. */
int model_tokens_to_feed(const ModelConfig *cfg, int longest);

/* Which part of the model a tensor belongs to. In the buffer (and m->views) they
 * come in this order: the embedding table, the learned PE table (only with
 * POS_ENCODING_LEARNED), the layers 0..L-1 (MODEL_LAYER_TENSORS each, the same
 * order in every layer), the final LayerNorm (NORM_PRE only), then the classifier
 * (classify) or the LM head (lm).
 * Names: classify "encoder.*"; lm "decoder.*" and "lm_head.weight". With
 * tie_embeddings the "lm_head.weight" view has the embedding's offset: the same
 * floats, counted once in num_params (a checkpoint that writes every view writes
 * both names, as PyTorch's state_dict of a tied model holds both). */
typedef enum {
    PARAM_TOKEN_EMBEDDING = 0, /* encoder.embedding.weight, decoder.embedding.weight */
    PARAM_POS_EMBEDDING,       /* encoder.pos_encoding.pe, decoder.pos_encoding.weight */
    PARAM_ENCODER_LAYER,       /* encoder.layers.<layer>.*, decoder.layers.<layer>.* */
    PARAM_CLASSIFIER,          /* classifier.* */
    PARAM_FINAL_NORM,          /* encoder.norm.*, decoder.norm.* (NORM_PRE only) */
    PARAM_LM_HEAD,             /* lm_head.weight */
} ParamRole;

/* The state_dict name of the fixed sinusoidal PE buffer ([MODEL_SINUSOID_BUFFER_LEN,
 * C], not a parameter, so not a view): "encoder.pos_encoding.pe" or
 * "decoder.pos_encoding.pe". */
const char *model_sinusoid_buffer_name(const ModelConfig *cfg);

/* One named tensor inside the contiguous parameter (and gradient) buffer. */
typedef struct {
    char name[MODEL_NAME_MAX]; /* PyTorch state_dict name */
    int ndim;                  /* 1 or 2 */
    int shape[2];
    size_t offset;             /* in floats, into params and grads */
    size_t numel;
    ParamRole role;
    int layer;                 /* encoder layer; -1 outside the encoder layers */
} ParamView;

/* Parameter count of each component, as the Model view lists them. */
typedef struct {
    size_t embedding;       /* V*C */
    size_t pos_encoding;    /* max_len*C when learned, else 0 (a buffer, not a parameter) */
    size_t attention;       /* per layer: qkv + output linear, weights and biases */
    size_t norms;           /* per layer: both LayerNorms */
    size_t feed_forward;    /* per layer */
    size_t per_layer;       /* attention + norms + feed_forward */
    size_t final_norm;      /* 2*C with NORM_PRE, else 0 */
    size_t classifier;      /* 0 for the language model */
    size_t lm_head;         /* V*C for an untied language model; 0 when tied (the
                             * embedding table serves) and for the classifier */
    size_t total;           /* equals PyTorch's sum(p.numel() for p in parameters()),
                             * which counts a tied table once */
} ParamBudget;

/* Pointers into the parameter buffer for one encoder layer (or its gradients). */
typedef struct {
    float *qkv_w;   /* (3C, C) */
    float *qkv_b;   /* (3C) */
    float *out_w;   /* (C, C)  attention.linear_layer */
    float *out_b;   /* (C) */
    float *ln1_g;   /* (C) norm1.gamma */
    float *ln1_b;   /* (C) norm1.beta */
    float *ff1_w;   /* (F, C) */
    float *ff1_b;   /* (F) */
    float *ff2_w;   /* (C, F) */
    float *ff2_b;   /* (C) */
    float *ln2_g;   /* (C) */
    float *ln2_b;   /* (C) */
} LayerWeights;

/* The tensors outside the layers; NULL where the configuration has none. */
typedef struct {
    float *tok_emb;   /* (V, C) embedding.weight */
    float *pos_emb;   /* (max_len, C) learned PE, or NULL when sinusoidal */
    float *norm_g;    /* (C) final LayerNorm gamma (NORM_PRE), else NULL */
    float *norm_b;    /* (C) its beta */
    float *cls1_w;    /* (C/2, C) classifier.0.weight (classify) */
    float *cls1_b;    /* (C/2) */
    float *cls2_w;    /* (K, C/2) classifier.3.weight */
    float *cls2_b;    /* (K) */
    float *lm_head;   /* (V, C) lm_head.weight (lm); == tok_emb when tied */
} ModelWeights;

typedef struct Model {
    ModelConfig cfg;
    size_t num_params;
    float *params;      /* (num_params) one allocation; views below point into it */
    float *grads;       /* (num_params) same layout */
    ParamView *views;   /* (num_views) in state_dict order */
    int num_views;
    float *sinusoid;    /* (max_len, C) fixed table, used when pos_encoding is sinusoidal */
    void *internal;     /* owned by model.c */
} Model;

/* Allocates parameters and initialises them like PyTorch's defaults
 * (Embedding N(0,1), Linear U(-1/sqrt(in), 1/sqrt(in)) for weight and bias,
 * LayerNorm gamma 1 beta 0, learned PE N(0,1)*0.02), drawing from `rng`.
 * Returns NULL with a message in err on an invalid config or out of memory. */
Model *model_create(const ModelConfig *cfg, Rng *rng, char *err, size_t err_len);
void model_free(Model *m);
/* Same config required; copies the parameter values only (cheap memcpy). */
void model_copy_params(Model *dst, const Model *src);
/* Views for layer l (params or grads) and for the non-layer tensors. The
 * gradient views are used by model.c's backward and by the finite-difference
 * tests, which compare a tensor's gradient with its numerical one. */
LayerWeights model_layer_params(const Model *m, int l);
LayerWeights model_layer_grads(const Model *m, int l);
ModelWeights model_params(const Model *m);
ModelWeights model_grads(const Model *m);
/* The same views into any buffer with the parameter layout (base: num_params
 * floats), such as a batch shard's gradient buffer. */
LayerWeights model_layer_views(const Model *m, float *base, int l);
ModelWeights model_weight_views(const Model *m, float *base);
/* NULL when no tensor has that name. Only the tests call it (to reach one tensor
 * by its state_dict name); checkpoints walk m->views. */
const ParamView *model_find_view(const Model *m, const char *name);
/* Index in m->views of the first tensor with that role (and, for
 * PARAM_ENCODER_LAYER, of that layer; `layer` is ignored otherwise); -1 when
 * the model has none (no PE table when sinusoidal, layer out of range). The
 * tensors before model_view_index(m, PARAM_ENCODER_LAYER, 0) are the embedding
 * tables; layer l's are [index(l), index(l) + MODEL_LAYER_TENSORS). */
int model_view_index(const Model *m, ParamRole role, int layer);
ParamBudget model_param_budget(const ModelConfig *cfg);
/* FLOPs per token for a sequence of length T: matmuls (2 per MAC) and attention. */
void model_flops_per_token(const ModelConfig *cfg, int T, double *forward, double *training);
/* PE(pos,2i)=sin(pos/10000^(2i/C)), PE(pos,2i+1)=cos(...), computed as the notebook does. */
void positional_encoding_sinusoidal(float *out /* (rows, C) */, int rows, int C);
void model_zero_grad(Model *m);

/* Activations and scratch for one batch shape, kept for backward.
 * Allocated once by activations_create for at most B sequences of at most T
 * tokens (NULL if B or T < 1, T > max_len or out of memory); any smaller B and
 * T work.
 * The training step never allocates. Forward only reads the model, so two
 * threads may run forward on one Model with their own Activations while
 * nobody writes its parameters. */
typedef struct Activations Activations;
Activations *activations_create(const Model *m, int B, int T);
void activations_free(Activations *a);
/* The bytes activations_create(m, B, T) allocates for a model of cfg (its
 * per-shard gradient buffers aside): for a memory estimate before anything is
 * allocated. */
size_t activations_bytes(const ModelConfig *cfg, int B, int T);

/* Forward for tokens (B, T) (ids, MODEL_PAD_ID = padding), T <= the T reserved.
 * `dropout_rng` NULL = eval mode (no dropout). Returns the logits, owned by `a`:
 * classify (B, K); lm (B, T, V), row (b, t) predicting the token after position t.
 * NULL if B or T exceed the reservation, a token id is outside [0, V), or `a`
 * was made for a model of another shape: model_forward_error says which. */
const float *model_forward(Model *m, Activations *a, const int *tokens, int B, int T,
                           Rng *dropout_rng);
/* Why the last model_forward (or _perturbed) on `a` returned NULL, naming the
 * input ("a batch of 40 x 12 tokens does not fit the 32 x 10 ...", "token id 25
 * (sequence 3, position 4) is outside the vocabulary [0, 22)"); "" after a
 * forward that ran. */
const char *model_forward_error(const Activations *a);
/* The same with `emb_delta` (B, T, C) added to the embedded input (embedding * sqrt(C)
 * + PE, before embedding dropout): adversarial training perturbs the input there.
 * emb_delta NULL = model_forward. */
const float *model_forward_perturbed(Model *m, Activations *a, const int *tokens, int B, int T,
                                     Rng *dropout_rng, const float *emb_delta);
/* Softmax cross-entropy of the last forward against labels (B); mean over the batch.
 * label_smoothing 0 = the notebook. Also stores dlogits for backward.
 * `correct` (may be NULL) receives how many argmax predictions equal the label.
 * Classify only (NAN on a language model's activations). */
float model_loss(Activations *a, const int *labels, float label_smoothing, int *correct);
/* Language model: next-token cross-entropy of the last forward, in nats, the mean
 * over the positions whose target (B, T) is not MODEL_PAD_ID (targets[b][t] is the
 * token after tokens[b][t]: usually the input shifted by one). Stores dlogits for
 * model_backward (the gradient of that mean; 0 at positions not counted).
 * `counted` (may be NULL) receives how many positions were counted; none counted:
 * loss 0 and zero gradients. NAN on a classifier's activations, or when a target is
 * outside [0, V) (model_forward_error then names it). */
float model_lm_loss(Activations *a, const int *targets, int *counted);
/* Accumulates (+=) into m->grads the gradient of the last model_loss (nothing
 * if no loss was computed since the last forward). Zero the grads once per step. */
void model_backward(Model *m, Activations *a);
/* R-Drop (classify only; NAN otherwise): a and b hold two forwards of the same batch (different dropout masks), each
 * followed by model_loss. Turns their stored gradients into those of the mean of the
 * two losses plus alpha/2 * the batch-mean symmetric KL of their predictions (see
 * rdrop_consistency in layers.h); returns that KL term. Then model_backward both. */
float model_rdrop_loss(Activations *a, Activations *b, float alpha);
/* After model_backward: the gradient of the loss w.r.t. the embedded input (B, T, C)
 * of the last forward (what model_forward_perturbed perturbs). Valid until the next
 * backward. */
const float *activations_embedding_grad(const Activations *a);

/* Threads. The model's own kernels run on a small pool (parallel.h), its matrix
 * products on OpenBLAS. OpenBLAS's thread count is one process-wide global, and
 * OpenBLAS does not document changing it while another thread is inside a BLAS
 * call as safe; so it is set here once, before any thread that runs the model
 * starts (the run set-up does it), and nothing in model/ changes it afterwards.
 * threads: cores to use (0 = OpenBLAS's own default, its count before the first
 * call). shard_batches (see model_shards_pay_off): OpenBLAS at one thread and the
 * training batches cut into one shard per thread; otherwise OpenBLAS at
 * `threads`. Concurrent calls into OpenBLAS from several threads (the UI's
 * batch-1 forward during a training step) are safe in OpenBLAS >= 0.3.7. */
void model_set_threads(int threads, bool shard_batches);
/* Whether cutting batches of B sequences of T tokens into one shard per thread
 * (OpenBLAS at one thread inside) beats OpenBLAS's own threads on the whole
 * batch: products too small for OpenBLAS to split well (see model.c). */
bool model_shards_pay_off(const ModelConfig *cfg, int B, int T);

/* Data parallelism over the batch. With S >= 2 shards, model_forward and
 * model_backward cut the B sequences into S contiguous shards, run each on the
 * pool's threads (each shard's products single-threaded when OpenBLAS is at one
 * thread, as model_set_threads sets it for shards), and backward adds each
 * shard's parameter gradient into m->grads in shard order. Results then depend
 * on the shard count (rounding of the gradient sums; with dropout, each shard
 * draws its own key from the one Rng), not on the threads.
 * shards: 0 = automatic, the default (one shard per pool thread when OpenBLAS
 * runs at one thread and model_shards_pay_off(B, T); else 1), 1 = never, n >= 2 =
 * n shards whenever B >= n, on at most that many threads. Allocates the shard
 * gradient buffers ((n - 1) x num_params floats) if needed; -1 when out of memory
 * or n is not in [0, PARALLEL_MAX_THREADS] (the setting is then unchanged). */
int activations_set_shards(Activations *a, const Model *m, int shards);
/* The shards activations_create picks for B x T on this run's threads (after
 * model_set_threads); each beyond the first has a gradient buffer of num_params. */
int activations_auto_shards(const ModelConfig *cfg, int B, int T);
/* Shards the last forward ran with (1 = unsharded). */
int activations_shards(const Activations *a);

/* Read-outs of the last forward, for the visualiser and `predict --attention`. */
const float *activations_attention(const Activations *a, int layer); /* (B, NH, T, T) */
/* (B, K) softmax of the logits, computed by the forward (softmax_probs: the
 * numbers model_loss's cross-entropy uses). NULL for a language model (its
 * forward computes no softmax; sample_next_token in generate.h does for one row). */
const float *activations_probs(const Activations *a);
/* Mean L2 norm over non-pad positions of batch row b: index 0 after the embedding
 * (+PE), index l+1 after layer l (the residual stream with NORM_PRE, before the
 * final LayerNorm). out has L+1 entries. */
void activations_layer_norms(const Activations *a, int b, float *out);
/* (B, C) the pooled encoder output (the Model view's data flow, predict --internals). */
const float *activations_pooled(const Activations *a);

/* Read-outs of one encoder layer's last forward, for the lessons of the TUI and
 * `predict --internals`: pointers into the kept buffers, (B, T, .) with the last
 * forward's T; NULL for a layer out of range. After a training forward they hold
 * the dropped-out values the backward uses. */
const float *activations_embedded(const Activations *a);        /* (B, T, C) emb*sqrt(C)+PE */
const float *activations_qkv(const Activations *a, int layer);  /* (B, T, 3C): head h's
                                                                 * [q | k | v] at columns 3*HS*h */
const float *activations_attention_residual(const Activations *a, int layer); /* (B, T, C)
                                                                 * x + attention(x); pre:
                                                                 * x + attention(LN1(x)) */
const float *activations_norm1(const Activations *a, int layer);       /* (B, T, C) */
const float *activations_ffn_hidden(const Activations *a, int layer);  /* (B, T, F) after ReLU */
/* post: norm1 + FFN; pre: x + attention + FFN(LN2(.)), the layer's output */
const float *activations_ffn_residual(const Activations *a, int layer);/* (B, T, C) */
/* What the next layer reads: post: LN2 of the FFN residual; pre: the FFN residual */
const float *activations_layer_output(const Activations *a, int layer);/* (B, T, C) */
const float *activations_logits(const Activations *a);                 /* (B, K) */
/* The first row b of the last forward's batch whose logits are not all finite
 * (NaN or infinite: weights that diverged or are too large for float), or -1.
 * A language model's row is its T positions' logits.
 * Such a row's probabilities are not a prediction: callers say so instead. */
int activations_nonfinite_row(const Activations *a);
/* scores (T, T) = q k^T / sqrt(HS) of sequence b, layer, head: before the mask
 * and the softmax (the forward overwrites them with the weights). -1 when b,
 * layer or head is out of range. */
int activations_scores(const Activations *a, int b, int layer, int head, float *scores);
/* One head recomputed from the kept q, k, v with a mask and scale of the
 * caller's choice (the model's padding mask when it has one, plus the causal
 * mask when `causal`; scores divided by sqrt(HS) when `scaled`): weights (T, T)
 * and out (T, HS) = weights v, through attention_forward itself. With the
 * model's own causal setting and scaled, they are the forward's. scratch:
 * (T, 3 HS) floats. -1 when b, layer or head is out of range. */
int activations_head_attention(const Activations *a, int b, int layer, int head, bool causal,
                               bool scaled, float *scratch, float *weights, float *out);

#endif
