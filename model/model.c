/* The workshop's MiniLLM, classifier and language model: the activations arena,
 * the forward and backward of the whole model built from layers.c, batch shards,
 * the losses and the read-outs. The parameter buffer and its views are in
 * params.c. */
#include "model.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "errors.h"
#include "parallel.h"

/* Room for model_forward_error's message. */
#define FORWARD_ERROR_LEN 160
/* Most batch shards (activations_set_shards): one per pool thread at most. */
#define MODEL_MAX_SHARDS PARALLEL_MAX_THREADS

static float embedding_dropout_rate(const ModelConfig *cfg)
{
    return cfg->embedding_dropout < 0.0f ? cfg->dropout : cfg->embedding_dropout;
}

/* ----------------------------------------------------------- activations */

/* One layer's activations. x is the layer's input.
 * post: qkv(x), res1 = x + drop(attn), ln1 = LN1(res1),
 *       res2 = ln1 + drop(ffn(ln1)), ln2 = LN2(res2) the output.
 * pre:  ln1 = LN1(x), qkv(ln1), res1 = x + drop(attn), ln2 = LN2(res1),
 *       res2 = res1 + drop(ffn(ln2)) the output.
 * The statistics of LN1 and LN2 are those of the rows each normalised. */
typedef struct {
    float *qkv;       /* (B, T, 3C) */
    float *att;       /* (B, NH, T, T) probabilities */
    float *atty;      /* (B, T, C) heads concatenated */
    float *res1;      /* (B, T, C) residual + dropout(attention output) */
    uint8_t *keep1;   /* (B, T, C) */
    float *ln1;       /* (B, T, C) */
    float *ln1_mean, *ln1_rstd, *ln1_std; /* (B, T) */
    float *ffh;       /* (B, T, F) relu(linear1), or dropout(relu(linear1)) in training:
                       * either way > 0 exactly where the gradient passes, so no mask */
    float *res2;      /* (B, T, C) residual + dropout(ffn output); pre: the output */
    uint8_t *keep2;   /* (B, T, C) */
    float *ln2;       /* (B, T, C) post: the layer's output */
    float *ln2_mean, *ln2_rstd, *ln2_std; /* (B, T) */
} LayerActs;

/* The layer's output: where the next layer (or the head) reads. */
static float *layer_output(const LayerActs *la, NormPlacement norm)
{
    return norm == NORM_PRE ? la->res2 : la->ln2;
}

struct Activations {
    ModelConfig cfg;  /* of the model it was made for */
    int B_max, T_max; /* reserved shape */
    int B, T;         /* shape of the last forward */
    bool emb_dropout, dropout; /* whether dropout ran in the last forward */
    float p_emb, p;   /* the rates it ran with */
    bool pad_mask;    /* and the switches: the caller may flip them between calls */
    bool causal;      /* the causal mask: cfg.causal, always for the language model */
    LayerNormKind layernorm;
    PoolingKind pooling;
    bool lm;          /* cfg.task == MODEL_TASK_LM (fixed: it shapes the buffers) */
    bool has_loss;
    int *tokens;      /* (B, T) copy of the last forward's input */
    uint8_t *key_pad; /* (B, T) 1 = PAD; used only when cfg.pad_mask */
    float *emb;       /* (B, T, C) embedding * sqrt(C) + PE */
    uint8_t *keep0;   /* (B, T, C) */
    float *x0;        /* (B, T, C) dropout(emb) */
    LayerActs *layers;/* (L) */
    float *fin;       /* (B, T, C) final LayerNorm's output (NORM_PRE), else NULL */
    float *fin_mean, *fin_rstd, *fin_std; /* (B, T) */
    float *pooled;    /* (B, C) */
    int *pool_arg;    /* (B, C) max pooling's winning position */
    const float *emb_delta; /* (B, T, C) added to the embedded input; NULL = none */
    float *cls_h;     /* (B, C/2) relu(classifier.0) */
    uint8_t *keep_cls;/* (B, C/2) */
    float *cls_d;     /* (B, C/2) dropout(cls_h) */
    float *logits;    /* classify (B, K); lm (B, T, V) */
    float *probs;     /* (B, K); NULL for lm */
    float *dlogits;   /* as logits */
    float *row_loss;  /* lm: (B, T) each position's cross-entropy, summed in order */
    /* backward scratch */
    float *dx, *da, *db, *dc; /* (B, T, C) each */
    float *dqkv;      /* (B, T, 3C) */
    float *dff;       /* (B, T, F) */
    float *datt;      /* (B, NH, T, T) */
    float *dfin;      /* (B, T, C) gradient w.r.t. the final LayerNorm's output */
    float *dpooled;   /* (B, C) */
    float *dcls;      /* (B, C/2) */
    void *block;      /* the one allocation everything above points into */
    /* batch shards (activations_set_shards) */
    int shards_wanted;     /* 0 automatic, 1 never, n */
    int shards;            /* of the last forward */
    float *shard_grads;    /* (shard_grad_count, shard_grads_numel): shards 1.. */
    int shard_grad_count;
    size_t shard_grads_numel; /* num_params of the model they were made for */
    Rng *shard_rng;        /* (MODEL_MAX_SHARDS) each shard's dropout keys, seeded per
                            * forward; behind a pointer so that rows_view's copy of
                            * this struct does not read them while shards draw */
    char *forward_error;   /* (FORWARD_ERROR_LEN) why the last forward refused; "" = it ran */
};

/* Two passes over the same layout: the first (base NULL) only measures. */
typedef struct {
    char *base;
    size_t used;
} Arena;

static void *carve(Arena *ar, size_t bytes)
{
    size_t at = (ar->used + 63) & ~(size_t)63; /* cache-line aligned */
    ar->used = at + bytes;
    return ar->base ? ar->base + at : NULL;
}

#define F32(n) ((float *)carve(ar, (n) * sizeof(float)))
#define U8(n) ((uint8_t *)carve(ar, (n) * sizeof(uint8_t)))

static void layout_layers(Activations *a, Arena *ar)
{
    const ModelConfig *cfg = &a->cfg;
    const size_t B = (size_t)a->B_max, T = (size_t)a->T_max, C = (size_t)cfg->d_model;
    const size_t F = (size_t)cfg->d_ff, NH = (size_t)cfg->num_heads;
    const size_t BT = B * T, BTC = BT * C, BTF = BT * F;
    for (int l = 0; l < cfg->num_layers; l++) {
        LayerActs *la = &a->layers[l];
        la->qkv = F32(BTC * 3);
        la->att = F32(B * NH * T * T);
        la->atty = F32(BTC);
        la->res1 = F32(BTC);
        la->keep1 = U8(BTC);
        la->ln1 = F32(BTC);
        la->ln1_mean = F32(BT);
        la->ln1_rstd = F32(BT);
        la->ln1_std = F32(BT);
        la->ffh = F32(BTF);
        la->res2 = F32(BTC);
        la->keep2 = U8(BTC);
        la->ln2 = F32(BTC);
        la->ln2_mean = F32(BT);
        la->ln2_rstd = F32(BT);
        la->ln2_std = F32(BT);
    }
}

/* What follows the layers: the final LayerNorm, then the classifier (pooling,
 * two linears) or the LM head's logits. */
static void layout_head(Activations *a, Arena *ar)
{
    const ModelConfig *cfg = &a->cfg;
    const size_t B = (size_t)a->B_max, T = (size_t)a->T_max, C = (size_t)cfg->d_model;
    const size_t K = (size_t)cfg->num_classes, V = (size_t)cfg->vocab_size;
    const size_t BT = B * T, H = C / 2;
    if (cfg->norm == NORM_PRE) {
        a->fin = F32(BT * C);
        a->fin_mean = F32(BT);
        a->fin_rstd = F32(BT);
        a->fin_std = F32(BT);
        a->dfin = F32(BT * C);
    }
    if (a->lm) {
        a->logits = F32(BT * V);
        a->dlogits = F32(BT * V);
        a->row_loss = F32(BT);
        return;
    }
    a->pooled = F32(B * C);
    a->pool_arg = (int *)carve(ar, B * C * sizeof(int));
    a->cls_h = F32(B * H);
    a->keep_cls = U8(B * H);
    a->cls_d = F32(B * H);
    a->logits = F32(B * K);
    a->probs = F32(B * K);
    a->dlogits = F32(B * K);
    a->dpooled = F32(B * C);
    a->dcls = F32(B * H);
}

static void layout_activations(Activations *a, Arena *ar)
{
    const ModelConfig *cfg = &a->cfg;
    const size_t B = (size_t)a->B_max, T = (size_t)a->T_max, C = (size_t)cfg->d_model;
    const size_t F = (size_t)cfg->d_ff, NH = (size_t)cfg->num_heads;
    const size_t BT = B * T, BTC = BT * C, BTF = BT * F;
    a->forward_error = (char *)carve(ar, FORWARD_ERROR_LEN);
    a->tokens = (int *)carve(ar, BT * sizeof(int));
    a->key_pad = U8(BT);
    a->emb = F32(BTC);
    a->keep0 = U8(BTC);
    a->x0 = embedding_dropout_rate(cfg) > 0.0f ? F32(BTC) : NULL;
    layout_layers(a, ar);
    layout_head(a, ar);
    a->dx = F32(BTC);
    a->da = F32(BTC);
    a->db = F32(BTC);
    a->dc = F32(BTC);
    a->dqkv = F32(BTC * 3);
    a->dff = F32(BTF);
    a->datt = F32(B * NH * T * T);
}
#undef F32
#undef U8

Activations *activations_create(const Model *m, int B, int T)
{
    if (B < 1 || T < 1 || T > m->cfg.max_len)
        return NULL;
    Activations *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->cfg = m->cfg;
    a->lm = m->cfg.task == MODEL_TASK_LM;
    a->B_max = B;
    a->T_max = T;
    a->layers = calloc((size_t)m->cfg.num_layers, sizeof *a->layers);
    a->shard_rng = calloc(MODEL_MAX_SHARDS, sizeof *a->shard_rng);
    if (!a->layers || !a->shard_rng) {
        free(a->layers);
        free(a->shard_rng);
        free(a);
        return NULL;
    }
    Arena ar = {NULL, 0};
    layout_activations(a, &ar);
    /* calloc: a read-out before the first forward sees zeros, not garbage. */
    ar.base = calloc(1, ar.used + 64);
    if (!ar.base) {
        free(a->layers);
        free(a->shard_rng);
        free(a);
        return NULL;
    }
    a->block = ar.base;
    ar.used = 0;
    layout_activations(a, &ar);
    parallel_prepare(); /* the step itself then starts no thread */
    if (activations_set_shards(a, m, 0) != 0) {
        activations_free(a);
        return NULL;
    }
    return a;
}

size_t activations_bytes(const ModelConfig *cfg, int B, int T)
{
    if (cfg->num_layers < 0 || cfg->num_layers > MODEL_MAX_LAYERS)
        return SIZE_MAX;
    Activations a = {.cfg = *cfg, .lm = cfg->task == MODEL_TASK_LM, .B_max = B, .T_max = T};
    LayerActs layers[MODEL_MAX_LAYERS];
    a.layers = layers;
    Arena ar = {NULL, 0};
    layout_activations(&a, &ar); /* no base: only measures */
    return sizeof a + ar.used + 64;
}

void activations_free(Activations *a)
{
    if (!a)
        return;
    free(a->shard_grads);
    free(a->shard_rng);
    free(a->block);
    free(a->layers);
    free(a);
}

/* ---------------------------------------------------------- batch shards */

/* Multiply-adds of one (B*T, C) x (C, C) product from which OpenBLAS's own
 * threads do as well as batch shards. Measured on 2 cores, idle, steps/s
 * sharded vs OpenBLAS 2 threads (bench/results/perf-s2-2026-11-27.md): seed
 * (100 rows x 64^2 = 4e5 MACs) 500-515 vs 265-280, small (1.7e7) 28.5-29.6 vs
 * 15.3, medium (1.3e8) 4.02 vs 3.66, large (5.4e8) 0.73 vs 0.71: within noise
 * at large, where an extra gradient buffer costs 104 MB per shard. */
#define SHARD_MAX_ROW_MACS (1u << 28)

bool model_shards_pay_off(const ModelConfig *cfg, int B, int T)
{
    const double C = cfg->d_model;
    return B >= 2 && (double)B * T * C * C < (double)SHARD_MAX_ROW_MACS;
}

void model_set_threads(int threads, bool shard_batches)
{
    static int blas_default; /* OpenBLAS's count before we first changed it */
    if (blas_default == 0)
        blas_default = openblas_get_num_threads() > 0 ? openblas_get_num_threads() : 1;
    if (threads <= 0)
        threads = blas_default;
    parallel_set_threads(threads);
    openblas_set_num_threads(shard_batches && threads > 1 ? 1 : threads);
}

/* Shards for a batch of B sequences of length T; wanted as in
 * activations_set_shards (0 automatic). */
static int shards_for(int wanted, const ModelConfig *cfg, int B, int T)
{
    int n = wanted;
    if (n == 0)
        n = openblas_get_num_threads() == 1 && model_shards_pay_off(cfg, B, T) ? parallel_threads()
                                                                             : 1;
    if (n > MODEL_MAX_SHARDS)
        n = MODEL_MAX_SHARDS;
    return n > B ? B : n < 1 ? 1 : n;
}

int activations_auto_shards(const ModelConfig *cfg, int B, int T)
{
    return shards_for(0, cfg, B, T);
}

int activations_set_shards(Activations *a, const Model *m, int shards)
{
    if (shards < 0 || shards > MODEL_MAX_SHARDS)
        return -1;
    const int n = shards_for(shards, &a->cfg, a->B_max, a->T_max);
    const int count = n - 1; /* shard 0 adds into m->grads itself */
    if (count > 0 && (count > a->shard_grad_count || a->shard_grads_numel != m->num_params)) {
        float *buf = calloc((size_t)count * m->num_params, sizeof(float)); /* see shard_chunk */
        if (!buf)
            return -1;
        free(a->shard_grads);
        a->shard_grads = buf;
        a->shard_grad_count = count;
        a->shard_grads_numel = m->num_params;
    }
    a->shards_wanted = shards;
    return 0;
}

int activations_shards(const Activations *a)
{
    return a->shards > 1 ? a->shards : 1;
}

/* Sequences [b0, b0 + B) of a batch-major buffer with `per_seq` entries per
 * sequence; NULL stays NULL. */
#define SEQ_ROWS(ptr, b0, per_seq) ((ptr) ? (ptr) + (size_t)(b0) * (per_seq) : NULL)

/* A copy of `a` whose per-sequence buffers start at sequence b0 of the last
 * forward's (B, T) layout; the layers' buffers through layer_rows. */
static Activations rows_view(const Activations *a, int b0)
{
    const size_t T = (size_t)a->T, C = (size_t)a->cfg.d_model, F = (size_t)a->cfg.d_ff;
    const size_t NH = (size_t)a->cfg.num_heads, H = C / 2;
    /* logits per sequence: K, or T x V for the language model */
    const size_t out = a->lm ? T * (size_t)a->cfg.vocab_size : (size_t)a->cfg.num_classes;
    Activations v = *a;
    v.tokens = SEQ_ROWS(a->tokens, b0, T);
    v.key_pad = SEQ_ROWS(a->key_pad, b0, T);
    v.emb = SEQ_ROWS(a->emb, b0, T * C);
    v.keep0 = SEQ_ROWS(a->keep0, b0, T * C);
    v.x0 = SEQ_ROWS(a->x0, b0, T * C);
    v.pooled = SEQ_ROWS(a->pooled, b0, C);
    v.pool_arg = SEQ_ROWS(a->pool_arg, b0, C);
    v.cls_h = SEQ_ROWS(a->cls_h, b0, H);
    v.keep_cls = SEQ_ROWS(a->keep_cls, b0, H);
    v.cls_d = SEQ_ROWS(a->cls_d, b0, H);
    v.fin = SEQ_ROWS(a->fin, b0, T * C);
    v.fin_mean = SEQ_ROWS(a->fin_mean, b0, T);
    v.fin_rstd = SEQ_ROWS(a->fin_rstd, b0, T);
    v.fin_std = SEQ_ROWS(a->fin_std, b0, T);
    v.dfin = SEQ_ROWS(a->dfin, b0, T * C);
    v.logits = SEQ_ROWS(a->logits, b0, out);
    v.probs = SEQ_ROWS(a->probs, b0, out);
    v.dlogits = SEQ_ROWS(a->dlogits, b0, out);
    v.row_loss = SEQ_ROWS(a->row_loss, b0, T);
    v.dx = SEQ_ROWS(a->dx, b0, T * C);
    v.da = SEQ_ROWS(a->da, b0, T * C);
    v.db = SEQ_ROWS(a->db, b0, T * C);
    v.dc = SEQ_ROWS(a->dc, b0, T * C);
    v.dqkv = SEQ_ROWS(a->dqkv, b0, 3 * T * C);
    v.dff = SEQ_ROWS(a->dff, b0, T * F);
    v.datt = SEQ_ROWS(a->datt, b0, NH * T * T);
    v.dpooled = SEQ_ROWS(a->dpooled, b0, C);
    v.dcls = SEQ_ROWS(a->dcls, b0, H);
    return v;
}

static LayerActs layer_rows(const Activations *a, int l, int b0)
{
    const size_t T = (size_t)a->T, C = (size_t)a->cfg.d_model, F = (size_t)a->cfg.d_ff;
    const size_t NH = (size_t)a->cfg.num_heads;
    const LayerActs *la = &a->layers[l];
    return (LayerActs){
        .qkv = SEQ_ROWS(la->qkv, b0, 3 * T * C),
        .att = SEQ_ROWS(la->att, b0, NH * T * T),
        .atty = SEQ_ROWS(la->atty, b0, T * C),
        .res1 = SEQ_ROWS(la->res1, b0, T * C),
        .keep1 = SEQ_ROWS(la->keep1, b0, T * C),
        .ln1 = SEQ_ROWS(la->ln1, b0, T * C),
        .ln1_mean = SEQ_ROWS(la->ln1_mean, b0, T),
        .ln1_rstd = SEQ_ROWS(la->ln1_rstd, b0, T),
        .ln1_std = SEQ_ROWS(la->ln1_std, b0, T),
        .ffh = SEQ_ROWS(la->ffh, b0, T * F),
        .res2 = SEQ_ROWS(la->res2, b0, T * C),
        .keep2 = SEQ_ROWS(la->keep2, b0, T * C),
        .ln2 = SEQ_ROWS(la->ln2, b0, T * C),
        .ln2_mean = SEQ_ROWS(la->ln2_mean, b0, T),
        .ln2_rstd = SEQ_ROWS(la->ln2_rstd, b0, T),
        .ln2_std = SEQ_ROWS(la->ln2_std, b0, T),
    };
}

/* --------------------------------------------------------------- forward */

/* Activations made for another model serve if the shapes (and the dropout
 * buffers, allocated only when a rate is > 0) are the same. 0, or -1 with the
 * first difference in err. */
static int check_activations_fit(const Activations *a, const ModelConfig *cfg, char *err,
                                 size_t err_len)
{
    const ModelConfig *own = &a->cfg;
    const char *what = "these activations were made for a model with";
    if (own->d_model != cfg->d_model)
        return errorf(err, err_len, "%s d_model %d, not %d", what, own->d_model,
                            cfg->d_model);
    if (own->num_heads != cfg->num_heads)
        return errorf(err, err_len, "%s %d heads, not %d", what, own->num_heads,
                            cfg->num_heads);
    if (own->d_ff != cfg->d_ff)
        return errorf(err, err_len, "%s d_ff %d, not %d", what, own->d_ff, cfg->d_ff);
    if (own->num_layers != cfg->num_layers)
        return errorf(err, err_len, "%s %d layers, not %d", what, own->num_layers,
                            cfg->num_layers);
    if (own->task != cfg->task)
        return errorf(err, err_len, "%s task %s, not %s", what,
                      own->task == MODEL_TASK_LM ? "lm" : "classify",
                      cfg->task == MODEL_TASK_LM ? "lm" : "classify");
    if (own->norm != cfg->norm)
        return errorf(err, err_len, "%s %s-norm blocks, not %s-norm", what,
                      own->norm == NORM_PRE ? "pre" : "post", cfg->norm == NORM_PRE ? "pre" : "post");
    if (cfg->task == MODEL_TASK_LM && own->vocab_size != cfg->vocab_size)
        return errorf(err, err_len, "%s a vocabulary of %d, not %d", what, own->vocab_size,
                      cfg->vocab_size);
    if (cfg->task != MODEL_TASK_LM && own->num_classes != cfg->num_classes)
        return errorf(err, err_len, "%s %d classes, not %d", what, own->num_classes,
                            cfg->num_classes);
    if (cfg->dropout > 0.0f && own->dropout <= 0.0f)
        return errorf(err, err_len, "%s dropout 0 (no dropout buffers), not %g", what,
                            (double)cfg->dropout);
    if (embedding_dropout_rate(cfg) > 0.0f && embedding_dropout_rate(own) <= 0.0f)
        return errorf(err, err_len, "%s embedding dropout 0 (no buffer for it), not %g",
                            what, (double)embedding_dropout_rate(cfg));
    return 0;
}

/* Whether model_forward can run tokens (B, T) on a: 0, or -1 with the reason
 * in a->forward_error. */
static int check_forward_input(const Activations *a, const ModelConfig *cfg, const int *tokens,
                               int B, int T, char *err, size_t err_len)
{
    if (B < 1 || T < 1)
        return errorf(err, err_len, "a batch of %d x %d tokens is empty", B, T);
    if (B > a->B_max || T > a->T_max)
        return errorf(err, err_len,
                            "a batch of %d x %d tokens does not fit the %d x %d these activations "
                            "were made for", B, T, a->B_max, a->T_max);
    if (check_activations_fit(a, cfg, err, err_len) != 0)
        return -1;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const int id = tokens[(size_t)b * T + t];
            if (id < 0 || id >= cfg->vocab_size)
                return errorf(err, err_len,
                                    "token id %d (sequence %d, position %d) is outside the "
                                    "vocabulary [0, %d)", id, b + 1, t + 1, cfg->vocab_size);
        }
    return 0;
}

/* What one layer's forward needs besides its weights and activations. */
typedef struct {
    const ModelConfig *cfg;
    const uint8_t *key_pad; /* (B, T) or NULL */
    bool causal;
    bool dropout;
    Rng *rng;
    int B, T;
} LayerPass;

/* The workshop's block: x = LN1(x + attn(x)); x = LN2(x + ffn(x)). */
static void layer_forward_post(LayerActs *la, const float *x, const LayerWeights *w,
                               const LayerPass *lp)
{
    const ModelConfig *cfg = lp->cfg;
    const int C = cfg->d_model, F = cfg->d_ff, NH = cfg->num_heads, N = lp->B * lp->T;
    const size_t NC = (size_t)N * C, NF = (size_t)N * F;
    const float p = cfg->dropout;
    const bool dropout = lp->dropout;
    Rng *rng = lp->rng;

    linear_forward(la->qkv, x, w->qkv_w, w->qkv_b, N, C, 3 * C);
    attention_forward(la->atty, la->att, la->qkv, lp->key_pad, lp->causal, lp->B, lp->T, C, NH);
    linear_forward(la->res1, la->atty, w->out_w, w->out_b, N, C, C);
    if (dropout)
        dropout_residual_forward(la->res1, la->keep1, la->res1, x, p, rng, NC);
    else
        residual_forward(la->res1, x, la->res1, NC);
    layernorm_forward(la->ln1, la->ln1_mean, la->ln1_rstd, la->ln1_std, la->res1, w->ln1_g,
                      w->ln1_b, cfg->layernorm, N, C);

    linear_forward(la->ffh, la->ln1, w->ff1_w, w->ff1_b, N, C, F);
    if (dropout)
        relu_dropout_forward(la->ffh, la->ffh, p, rng, NF);
    else
        relu_forward(la->ffh, la->ffh, NF);
    linear_forward(la->res2, la->ffh, w->ff2_w, w->ff2_b, N, F, C);
    if (dropout)
        dropout_residual_forward(la->res2, la->keep2, la->res2, la->ln1, p, rng, NC);
    else
        residual_forward(la->res2, la->ln1, la->res2, NC);
    layernorm_forward(la->ln2, la->ln2_mean, la->ln2_rstd, la->ln2_std, la->res2, w->ln2_g,
                      w->ln2_b, cfg->layernorm, N, C);
}

/* GPT-2's block: x = x + attn(LN1(x)); x = x + ffn(LN2(x)). */
static void layer_forward_pre(LayerActs *la, const float *x, const LayerWeights *w,
                              const LayerPass *lp)
{
    const ModelConfig *cfg = lp->cfg;
    const int C = cfg->d_model, F = cfg->d_ff, NH = cfg->num_heads, N = lp->B * lp->T;
    const size_t NC = (size_t)N * C, NF = (size_t)N * F;
    const float p = cfg->dropout;
    const bool dropout = lp->dropout;
    Rng *rng = lp->rng;

    layernorm_forward(la->ln1, la->ln1_mean, la->ln1_rstd, la->ln1_std, x, w->ln1_g, w->ln1_b,
                      cfg->layernorm, N, C);
    linear_forward(la->qkv, la->ln1, w->qkv_w, w->qkv_b, N, C, 3 * C);
    attention_forward(la->atty, la->att, la->qkv, lp->key_pad, lp->causal, lp->B, lp->T, C, NH);
    linear_forward(la->res1, la->atty, w->out_w, w->out_b, N, C, C);
    if (dropout)
        dropout_residual_forward(la->res1, la->keep1, la->res1, x, p, rng, NC);
    else
        residual_forward(la->res1, x, la->res1, NC);

    layernorm_forward(la->ln2, la->ln2_mean, la->ln2_rstd, la->ln2_std, la->res1, w->ln2_g,
                      w->ln2_b, cfg->layernorm, N, C);
    linear_forward(la->ffh, la->ln2, w->ff1_w, w->ff1_b, N, C, F);
    if (dropout)
        relu_dropout_forward(la->ffh, la->ffh, p, rng, NF);
    else
        relu_forward(la->ffh, la->ffh, NF);
    linear_forward(la->res2, la->ffh, w->ff2_w, w->ff2_b, N, F, C);
    if (dropout)
        dropout_residual_forward(la->res2, la->keep2, la->res2, la->res1, p, rng, NC);
    else
        residual_forward(la->res2, la->res1, la->res2, NC);
}

/* The classifier on the encoder's output x (B, T, C): pooling, two linears. */
static void classifier_forward(Activations *v, const float *x, const ModelWeights *w,
                               const uint8_t *key_pad, Rng *rng, int B)
{
    const int T = v->T, C = v->cfg.d_model, H = C / 2, K = v->cfg.num_classes;
    if (v->pooling == POOLING_MAX)
        max_pool_forward(v->pooled, v->pool_arg, x, key_pad, B, T, C);
    else
        mean_pool_forward(v->pooled, x, key_pad, B, T, C);
    linear_forward(v->cls_h, v->pooled, w->cls1_w, w->cls1_b, B, C, H);
    relu_forward(v->cls_h, v->cls_h, (size_t)B * H);
    const float *cls_in = v->cls_h;
    if (v->dropout) {
        dropout_forward(v->cls_d, v->keep_cls, v->cls_h, v->p, rng, (size_t)B * H);
        cls_in = v->cls_d;
    }
    linear_forward(v->logits, cls_in, w->cls2_w, w->cls2_b, B, H, K);
    softmax_probs(v->probs, v->logits, B, K);
}

/* The forward of sequences [b0, b0 + B) of the batch set up by model_forward,
 * into the same rows of a's buffers; per-sequence throughout, so any cut of the
 * batch gives the same activations (dropout aside: the rng's keys). */
static void forward_rows(const Model *m, Activations *a, int b0, int B, Rng *rng)
{
    const ModelConfig *cfg = &m->cfg;
    const int T = a->T, C = cfg->d_model;
    const size_t BT = (size_t)B * T;
    Activations v = rows_view(a, b0);
    const uint8_t *key_pad = a->pad_mask ? v.key_pad : NULL;
    ModelWeights w = model_params(m);
    const float *pos = cfg->pos_encoding == POS_ENCODING_LEARNED ? w.pos_emb : m->sinusoid;
    embedding_forward(v.emb, v.tokens, w.tok_emb, pos, B, T, C);
    if (a->emb_delta)
        residual_forward(v.emb, v.emb, a->emb_delta + (size_t)b0 * T * C, BT * C);
    const float *x = v.emb;
    if (a->emb_dropout) {
        dropout_forward(v.x0, v.keep0, v.emb, a->p_emb, rng, BT * C);
        x = v.x0;
    }
    const LayerPass lp = {.cfg = cfg, .key_pad = key_pad, .causal = a->causal,
                          .dropout = a->dropout, .rng = rng, .B = B, .T = T};
    for (int l = 0; l < cfg->num_layers; l++) {
        LayerWeights lw = model_layer_params(m, l);
        LayerActs la = layer_rows(a, l, b0);
        if (cfg->norm == NORM_PRE)
            layer_forward_pre(&la, x, &lw, &lp);
        else
            layer_forward_post(&la, x, &lw, &lp);
        x = layer_output(&la, cfg->norm);
    }
    if (cfg->norm == NORM_PRE) {
        layernorm_forward(v.fin, v.fin_mean, v.fin_rstd, v.fin_std, x, w.norm_g, w.norm_b,
                          cfg->layernorm, (int)BT, C);
        x = v.fin;
    }
    if (a->lm)
        linear_forward(v.logits, x, w.lm_head, NULL, (int)BT, C, cfg->vocab_size);
    else
        classifier_forward(&v, x, &w, key_pad, rng, B);
}

static void backward_rows(const Model *m, Activations *a, int b0, int B, float *grads,
                          bool embedding_grads);

typedef struct {
    const Model *m;
    Activations *a;
    bool backward;
    bool dropout;  /* forward: use the shards' rngs */
} ShardJob;

static void shard_range(const Activations *a, int s, int *b0, int *count)
{
    const int S = a->shards;
    *b0 = (int)((long)a->B * s / S);
    *count = (int)((long)a->B * (s + 1) / S) - *b0;
}

static void shard_chunk(void *ctx, size_t begin, size_t end)
{
    const ShardJob *j = ctx;
    Activations *a = j->a;
    for (size_t s = begin; s < end; s++) {
        int b0, count;
        shard_range(a, (int)s, &b0, &count);
        if (!j->backward) {
            forward_rows(j->m, a, b0, count, j->dropout ? &a->shard_rng[s] : NULL);
            continue;
        }
        /* Shard buffers are zero here: calloc'd, and zeroed again by the
         * reduction that reads them (no memset on one thread while the other
         * waits). */
        float *grads = s == 0 ? j->m->grads : a->shard_grads + (s - 1) * a->shard_grads_numel;
        backward_rows(j->m, a, b0, count, grads, false);
    }
}

/* Every shard of a->shards on its own thread (fewer threads: some run one after
 * the other, same numbers). OpenBLAS's thread count is left as it is: model_set_threads
 * put it at one thread for a sharded run, once, before any other thread started. */
static void run_shards(ShardJob *job)
{
    parallel_for_threads((size_t)job->a->shards, parallel_threads(), shard_chunk, job);
}

const float *model_forward(Model *m, Activations *a, const int *tokens, int B, int T,
                           Rng *dropout_rng)
{
    return model_forward_perturbed(m, a, tokens, B, T, dropout_rng, NULL);
}

const float *model_forward_perturbed(Model *m, Activations *a, const int *tokens, int B, int T,
                                     Rng *dropout_rng, const float *emb_delta)
{
    const ModelConfig *cfg = &m->cfg;
    /* One look at every input, so the caller can say why it was refused. */
    if (check_forward_input(a, cfg, tokens, B, T, a->forward_error, FORWARD_ERROR_LEN) != 0)
        return NULL;
    a->forward_error[0] = '\0';
    const size_t BT = (size_t)B * T;

    a->B = B;
    a->T = T;
    a->has_loss = false;
    memcpy(a->tokens, tokens, BT * sizeof(int));
    if (cfg->pad_mask)
        for (size_t i = 0; i < BT; i++)
            a->key_pad[i] = tokens[i] == MODEL_PAD_ID;
    const float p_emb = embedding_dropout_rate(cfg);
    a->emb_dropout = dropout_rng && p_emb > 0.0f;
    a->dropout = dropout_rng && cfg->dropout > 0.0f;
    a->p_emb = p_emb;
    a->p = cfg->dropout;
    a->pad_mask = cfg->pad_mask && !a->lm; /* the causal mask makes it moot */
    a->causal = cfg->causal || a->lm;
    a->layernorm = cfg->layernorm;

    a->pooling = cfg->pooling;
    a->emb_delta = emb_delta;
    a->shards = shards_for(a->shards_wanted, cfg, B, T);
    if (a->shards <= 1) {
        forward_rows(m, a, 0, B, dropout_rng);
        a->emb_delta = NULL; /* the caller's buffer: only for this forward */
        return a->logits;
    }
    const bool any_dropout = a->emb_dropout || a->dropout;
    for (int s = 0; s < a->shards && any_dropout; s++)
        rng_seed(&a->shard_rng[s], rng_next_u64(dropout_rng));
    ShardJob job = {.m = m, .a = a, .backward = false, .dropout = any_dropout};
    run_shards(&job);
    a->emb_delta = NULL;
    return a->logits;
}

float model_loss(Activations *a, const int *labels, float label_smoothing, int *correct)
{
    if (a->lm) {
        a->has_loss = false;
        return NAN;
    }
    a->has_loss = true;
    return softmax_cross_entropy(a->probs, a->dlogits, a->logits, labels, label_smoothing, a->B,
                                 a->cfg.num_classes, correct);
}

float model_lm_loss(Activations *a, const int *targets, int *counted)
{
    a->has_loss = false;
    if (counted)
        *counted = 0;
    if (!a->lm)
        return NAN;
    const int B = a->B, T = a->T, V = a->cfg.vocab_size;
    int count = 0;
    for (int i = 0; i < B * T; i++) {
        const int y = targets[i];
        if (y < 0 || y >= V) {
            errorf(a->forward_error, FORWARD_ERROR_LEN,
                   "target id %d (sequence %d, position %d) is outside the vocabulary [0, %d)",
                   y, i / T + 1, i % T + 1, V);
            return NAN;
        }
        count += y != MODEL_PAD_ID;
    }
    const double sum = token_cross_entropy(a->dlogits, a->row_loss, a->logits, targets,
                                           MODEL_PAD_ID, count > 0 ? 1.0f / (float)count : 0.0f,
                                           B * T, V);
    a->has_loss = true;
    if (counted)
        *counted = count;
    return count > 0 ? (float)(sum / count) : 0.0f;
}

float model_rdrop_loss(Activations *a, Activations *b, float alpha)
{
    if (a->lm || b->lm || !a->has_loss || !b->has_loss || a->B != b->B ||
        a->cfg.num_classes != b->cfg.num_classes)
        return NAN;
    return rdrop_consistency(a->dlogits, b->dlogits, a->logits, b->logits, alpha, a->B,
                             a->cfg.num_classes);
}

/* -------------------------------------------------------------- backward */

/* The two branches' backward, shared by both block layouts. The feed-forward
 * one: from dout, the gradient w.r.t. the branch's output before its dropout, to
 * the gradient w.r.t. linear1's output (after the ReLU's backward) in a->dff. */
static void ffn_branch_backward(Activations *a, const LayerActs *la, const LayerWeights *w,
                                const LayerWeights *g, const float *dout, int N)
{
    const int C = a->cfg.d_model, F = a->cfg.d_ff;
    const float p = a->p;
    if (a->dropout) {
        dropout_backward_set(a->db, dout, la->keep2, p, (size_t)N * C);
        dout = a->db;
    }
    linear_backward_set(a->dff, g->ff2_w, g->ff2_b, dout, la->ffh, w->ff2_w, N, F, C);
    if (a->dropout)
        relu_dropout_backward(a->dff, la->ffh, p, (size_t)N * F);
    else
        relu_backward(a->dff, a->dff, la->ffh, (size_t)N * F);
}

/* The attention one: from dout (the branch's output before its dropout) to the
 * gradient w.r.t. the fused qkv in a->dqkv. */
static void attention_branch_backward(Activations *a, const LayerActs *la, const LayerWeights *w,
                                      const LayerWeights *g, const float *dout, int B, int T)
{
    const int C = a->cfg.d_model, N = B * T;
    if (a->dropout) {
        dropout_backward_set(a->db, dout, la->keep1, a->p, (size_t)N * C);
        dout = a->db;
    }
    linear_backward_set(a->dc, g->out_w, g->out_b, dout, la->atty, w->out_w, N, C, C);
    attention_backward_set(a->dqkv, a->datt, a->dc, la->qkv, la->att, a->causal, B, T, C,
                           a->cfg.num_heads);
}

/* dout: gradient w.r.t. the layer's output (in a->dx); on return a->dx holds the
 * gradient w.r.t. the layer's input x. Uses da, db, dc, dqkv, dff, datt as scratch;
 * each is overwritten by its first writer, so nothing needs zeroing. */
static void layer_backward_post(Activations *a, const LayerActs *la, const float *x,
                                const LayerWeights *w, const LayerWeights *g, int B, int T)
{
    const int C = a->cfg.d_model, F = a->cfg.d_ff, N = B * T;
    /* norm2: dres2 into da */
    layernorm_backward_set(a->da, g->ln2_g, g->ln2_b, a->dx, la->res2, w->ln2_g, la->ln2_mean,
                           la->ln2_rstd, la->ln2_std, a->layernorm, N, C);
    ffn_branch_backward(a, la, w, g, a->da, N);
    /* d ln1 = residual (da) + feed-forward input gradient, added into da */
    linear_backward(a->da, g->ff1_w, g->ff1_b, a->dff, la->ln1, w->ff1_w, N, C, F);
    /* norm1: dres1 into dx */
    layernorm_backward_set(a->dx, g->ln1_g, g->ln1_b, a->da, la->res1, w->ln1_g, la->ln1_mean,
                           la->ln1_rstd, la->ln1_std, a->layernorm, N, C);
    attention_branch_backward(a, la, w, g, a->dx, B, T);
    /* d x = residual (dx) + qkv input gradient, added into dx */
    linear_backward(a->dx, g->qkv_w, g->qkv_b, a->dqkv, x, w->qkv_w, N, C, 3 * C);
}

/* The same contract for the pre-norm block: a->dx holds d res2 (the output) on
 * entry, d x on return; each branch's LayerNorm adds its input gradient into
 * the residual stream's. */
static void layer_backward_pre(Activations *a, const LayerActs *la, const float *x,
                               const LayerWeights *w, const LayerWeights *g, int B, int T)
{
    const int C = a->cfg.d_model, F = a->cfg.d_ff, N = B * T;
    /* feed-forward branch: res2 = res1 + drop(ffn(LN2(res1))) */
    ffn_branch_backward(a, la, w, g, a->dx, N);
    linear_backward_set(a->da, g->ff1_w, g->ff1_b, a->dff, la->ln2, w->ff1_w, N, C, F);
    /* d res1 = d res2 (dx) + LN2's input gradient, added into dx */
    layernorm_backward(a->dx, g->ln2_g, g->ln2_b, a->da, la->res1, w->ln2_g, la->ln2_mean,
                       la->ln2_rstd, la->ln2_std, a->layernorm, N, C);
    /* attention branch: res1 = x + drop(attn(LN1(x))) */
    attention_branch_backward(a, la, w, g, a->dx, B, T);
    linear_backward_set(a->da, g->qkv_w, g->qkv_b, a->dqkv, la->ln1, w->qkv_w, N, C, 3 * C);
    /* d x = d res1 (dx) + LN1's input gradient, added into dx */
    layernorm_backward(a->dx, g->ln1_g, g->ln1_b, a->da, x, w->ln1_g, la->ln1_mean,
                       la->ln1_rstd, la->ln1_std, a->layernorm, N, C);
}

/* The classifier's backward from v->dlogits down to dx (B, T, C), the gradient
 * w.r.t. the pooled sequence (overwritten). */
static void classifier_backward(Activations *v, float *dx, const ModelWeights *w,
                                const ModelWeights *g, const uint8_t *key_pad, int B)
{
    const int T = v->T, C = v->cfg.d_model, H = C / 2, K = v->cfg.num_classes;
    memset(v->dcls, 0, (size_t)B * H * sizeof(float));
    linear_backward(v->dcls, g->cls2_w, g->cls2_b, v->dlogits, v->dropout ? v->cls_d : v->cls_h,
                    w->cls2_w, B, H, K);
    if (v->dropout)
        dropout_backward(v->dcls, v->dcls, v->keep_cls, v->p, (size_t)B * H);
    relu_backward(v->dcls, v->dcls, v->cls_h, (size_t)B * H);
    memset(v->dpooled, 0, (size_t)B * C * sizeof(float));
    linear_backward(v->dpooled, g->cls1_w, g->cls1_b, v->dcls, v->pooled, w->cls1_w, B, C, H);
    memset(dx, 0, (size_t)B * T * C * sizeof(float));
    if (v->pooling == POOLING_MAX)
        max_pool_backward(dx, v->dpooled, v->pool_arg, B, T, C);
    else
        mean_pool_backward(dx, v->dpooled, key_pad, B, T, C);
}

/* The layers' input: the embedding, after its dropout when there was one. */
static const float *layers_input(const Activations *v)
{
    return v->emb_dropout ? v->x0 : v->emb;
}

/* The backward of sequences [b0, b0 + B), adding into the parameter gradient
 * buffer `grads` (m->grads's layout); scratch in the same rows of a's buffers.
 * Without embedding_grads it stops at the embedding's input gradient (a->dx
 * rows): see model_backward. */
static void backward_rows(const Model *m, Activations *a, int b0, int B, float *grads,
                          bool embedding_grads)
{
    const ModelConfig *cfg = &m->cfg;
    const int T = a->T, C = cfg->d_model, L = cfg->num_layers;
    const size_t BT = (size_t)B * T, NC = BT * C;
    Activations v = rows_view(a, b0);
    const uint8_t *key_pad = a->pad_mask ? v.key_pad : NULL;
    ModelWeights w = model_params(m), g = model_weight_views(m, grads);
    const bool pre = cfg->norm == NORM_PRE;
    const LayerActs last_layer = layer_rows(a, L - 1, b0);
    const float *last = layer_output(&last_layer, cfg->norm);

    /* the head, down to the gradient w.r.t. its input (the final norm's output
     * with pre-norm blocks, else the last layer's) */
    float *dhead = pre ? v.dfin : v.dx;
    if (a->lm)
        linear_backward_set(dhead, g.lm_head, NULL, v.dlogits, pre ? v.fin : last, w.lm_head,
                            (int)BT, C, cfg->vocab_size);
    else
        classifier_backward(&v, dhead, &w, &g, key_pad, B);
    if (pre)
        layernorm_backward_set(v.dx, g.norm_g, g.norm_b, v.dfin, last, w.norm_g, v.fin_mean,
                               v.fin_rstd, v.fin_std, a->layernorm, (int)BT, C);

    /* layers, last first */
    for (int l = L - 1; l >= 0; l--) {
        const LayerActs la = layer_rows(a, l, b0);
        const LayerActs below = l > 0 ? layer_rows(a, l - 1, b0) : (LayerActs){0};
        const float *x = l > 0 ? layer_output(&below, cfg->norm) : layers_input(&v);
        LayerWeights lw = model_layer_params(m, l), lg = model_layer_views(m, grads, l);
        if (pre)
            layer_backward_pre(&v, &la, x, &lw, &lg, B, T);
        else
            layer_backward_post(&v, &la, x, &lw, &lg, B, T);
    }

    /* embedding */
    if (a->emb_dropout)
        dropout_backward(v.dx, v.dx, v.keep0, a->p_emb, NC);
    if (embedding_grads)
        embedding_backward(g.tok_emb, g.pos_emb, v.dx, v.tokens, B, T, C);
}

typedef struct {
    float *grads;
    float *shard_grads;
    size_t numel;   /* of each shard buffer */
    size_t first;   /* reduced: [first, numel) */
    int count;
} GradReduceJob;

/* grads += shard 1 + shard 2 + ..., in that order for every element; each
 * shard buffer is left zero for the next backward. */
static void grad_reduce_chunk(void *ctx, size_t begin, size_t end)
{
    const GradReduceJob *j = ctx;
    begin += j->first;
    end += j->first;
    for (int s = 0; s < j->count; s++) {
        float *restrict g = j->grads;
        float *restrict add = j->shard_grads + (size_t)s * j->numel;
        for (size_t i = begin; i < end; i++) {
            g[i] += add[i];
            add[i] = 0.0f;
        }
    }
}

void model_backward(Model *m, Activations *a)
{
    if (!a->has_loss)
        return;
    /* Shard buffers made for another model (same shapes, other vocabulary) or
     * too few of them: the sharded forward's activations serve one backward. */
    const bool sharded = a->shards > 1 && a->shard_grads_numel == m->num_params &&
                         a->shard_grad_count >= a->shards - 1;
    if (!sharded) {
        backward_rows(m, a, 0, a->B, m->grads, true);
        return;
    }
    ShardJob job = {.m = m, .a = a, .backward = true};
    run_shards(&job);
    /* The embedding gradient once over the whole batch, from the shards' dx
     * rows, straight into m->grads: the table (V x C, most of the parameters
     * at V = 8000-16000) is then never written in the shard buffers, so the
     * reduction skips it and those pages are never touched. Same sums as
     * unsharded (rows in order). A tied LM head is the exception: its gradient
     * (the head's part) lands in the shard buffers' embedding rows, so the
     * reduction starts at the table then. */
    ModelWeights g = model_grads(m);
    embedding_backward(g.tok_emb, g.pos_emb, a->dx, a->tokens, a->B, a->T, m->cfg.d_model);
    const size_t first = m->cfg.tie_embeddings
                             ? 0 : m->views[model_view_index(m, PARAM_ENCODER_LAYER, 0)].offset;
    GradReduceJob reduce = {.grads = m->grads, .shard_grads = a->shard_grads,
                            .numel = m->num_params, .first = first, .count = a->shards - 1};
    parallel_for(m->num_params - first, 8192, grad_reduce_chunk, &reduce);
}

/* -------------------------------------------------------------- read-outs */

const char *model_forward_error(const Activations *a)
{
    return a->forward_error;
}

const float *activations_embedding_grad(const Activations *a)
{
    /* model_backward leaves d(emb) in dx: the embedding dropout's backward ran in place. */
    return a->dx;
}

const float *activations_attention(const Activations *a, int layer)
{
    if (layer < 0 || layer >= a->cfg.num_layers)
        return NULL;
    return a->layers[layer].att;
}

const float *activations_probs(const Activations *a)
{
    return a->probs;
}

void activations_layer_norms(const Activations *a, int b, float *out)
{
    const int T = a->T, C = a->cfg.d_model;
    if (b < 0 || b >= a->B) {
        memset(out, 0, (size_t)(a->cfg.num_layers + 1) * sizeof(float));
        return;
    }
    for (int l = 0; l <= a->cfg.num_layers; l++) {
        const float *x = l == 0 ? a->emb : layer_output(&a->layers[l - 1], a->cfg.norm);
        double sum = 0.0;
        int count = 0;
        for (int t = 0; t < T; t++) {
            if (a->tokens[(size_t)b * T + t] == MODEL_PAD_ID)
                continue;
            const float *row = x + ((size_t)b * T + t) * C;
            double ss = 0.0;
            for (int c = 0; c < C; c++)
                ss += (double)row[c] * row[c];
            sum += sqrt(ss);
            count++;
        }
        out[l] = count > 0 ? (float)(sum / count) : 0.0f;
    }
}

const float *activations_pooled(const Activations *a)
{
    return a->pooled;
}

/* The layer's kept buffers for sequence 0 onward (rows_view's layout of the
 * last forward), or NULL for a layer out of range. */
static const LayerActs *layer_acts(const Activations *a, int layer)
{
    return layer >= 0 && layer < a->cfg.num_layers ? &a->layers[layer] : NULL;
}

const float *activations_embedded(const Activations *a) { return a->emb; }
const float *activations_logits(const Activations *a) { return a->logits; }

int activations_nonfinite_row(const Activations *a)
{
    /* a classifier's row: K logits; a language model's: T positions of V logits */
    const size_t per_row = a->cfg.task == MODEL_TASK_LM
                               ? (size_t)a->T * (size_t)a->cfg.vocab_size
                               : (size_t)a->cfg.num_classes;
    for (int b = 0; b < a->B; b++)
        for (size_t k = 0; k < per_row; k++)
            if (!isfinite(a->logits[(size_t)b * per_row + k]))
                return b;
    return -1;
}

const float *activations_qkv(const Activations *a, int layer)
{
    const LayerActs *la = layer_acts(a, layer);
    return la ? la->qkv : NULL;
}

const float *activations_attention_residual(const Activations *a, int layer)
{
    const LayerActs *la = layer_acts(a, layer);
    return la ? la->res1 : NULL;
}

const float *activations_norm1(const Activations *a, int layer)
{
    const LayerActs *la = layer_acts(a, layer);
    return la ? la->ln1 : NULL;
}

const float *activations_ffn_hidden(const Activations *a, int layer)
{
    const LayerActs *la = layer_acts(a, layer);
    return la ? la->ffh : NULL;
}

const float *activations_ffn_residual(const Activations *a, int layer)
{
    const LayerActs *la = layer_acts(a, layer);
    return la ? la->res2 : NULL;
}

const float *activations_layer_output(const Activations *a, int layer)
{
    const LayerActs *la = layer_acts(a, layer);
    return la ? layer_output(la, a->cfg.norm) : NULL;
}

/* Sequence b's q of head `head` in layer's qkv, or NULL when out of range. */
static const float *head_qkv(const Activations *a, int b, int layer, int head)
{
    const LayerActs *la = layer_acts(a, layer);
    const int C = a->cfg.d_model, HS = C / a->cfg.num_heads;
    if (!la || b < 0 || b >= a->B || head < 0 || head >= a->cfg.num_heads)
        return NULL;
    return la->qkv + (size_t)b * a->T * 3 * C + (size_t)head * 3 * HS;
}

int activations_scores(const Activations *a, int b, int layer, int head, float *scores)
{
    const float *q = head_qkv(a, b, layer, head);
    if (!q)
        return -1;
    const int T = a->T, C = a->cfg.d_model, HS = C / a->cfg.num_heads;
    /* as attention_forward computes them, before its softmax overwrites them */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, HS, 1.0f / sqrtf((float)HS), q,
                3 * C, q + HS, 3 * C, 0.0f, scores, T);
    return 0;
}

int activations_head_attention(const Activations *a, int b, int layer, int head, bool causal,
                               bool scaled, float *scratch, float *weights, float *out)
{
    const float *src = head_qkv(a, b, layer, head);
    if (!src)
        return -1;
    const int T = a->T, C = a->cfg.d_model, HS = C / a->cfg.num_heads;
    /* the head alone as a one-head layer of width HS: its q, k, v side by side;
     * unscaled, q is multiplied by the sqrt(HS) attention_forward divides by */
    const float q_scale = scaled ? 1.0f : sqrtf((float)HS);
    for (int t = 0; t < T; t++) {
        const float *row = src + (size_t)t * 3 * C;
        float *dst = scratch + (size_t)t * 3 * HS;
        for (int i = 0; i < HS; i++)
            dst[i] = row[i] * q_scale;
        memcpy(dst + HS, row + HS, 2 * (size_t)HS * sizeof(float));
    }
    const uint8_t *pad = a->pad_mask ? a->key_pad + (size_t)b * T : NULL;
    attention_forward(out, weights, scratch, pad, causal, 1, T, HS, 1);
    return 0;
}
