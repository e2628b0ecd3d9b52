/* Incremental decoding with a key/value cache, and sampling. See generate.h.
 *
 * A token is one matrix-vector product per linear (cblas_sgemv, see
 * linear_forward_vec) plus the attention over the cache: memory-bound, about
 * 3 MB of weights per token at d 128 and 4 layers, read from L3 (measured ~60
 * GB/s on one core here: ~50 us), plus the keys and values (2 MB at context 512).
 * One thread: a split over the pool's threads cost more in hand-offs (3-4 us each,
 * two per layer) than it saved, measured on this 2-core machine. */
#include "generate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "layers.h"

struct Generator {
    const Model *m;
    int max_context;  /* P */
    int pos;          /* tokens fed since the reset */
    float *kcache;    /* (L, NH, P, HS) every fed token's keys, a head's contiguous */
    float *vcache;    /* (L, NH, P, HS) values */
    float *att;       /* (L, NH, P, P) each query's weights, the causal triangle */
    float *x;         /* (C) the token's residual stream */
    float *ln;        /* (C) a LayerNorm's output */
    float *res;       /* (C) post: LN1(x + attention); pre: x + attention */
    float *qkv;       /* (3C) the token's fused qkv row */
    float *atty;      /* (C) heads concatenated */
    float *branch;    /* (C) a branch's output */
    float *ffh;       /* (F) relu(linear1) */
    float *logits;    /* (V) */
    float stats[3];   /* a LayerNorm row's mean, rstd, std (unused after) */
    float *block;     /* the one allocation everything above points into */
};

static size_t generator_floats(const ModelConfig *cfg, int P)
{
    const size_t L = (size_t)cfg->num_layers, C = (size_t)cfg->d_model;
    const size_t NH = (size_t)cfg->num_heads, pp = (size_t)P;
    return 2 * L * pp * C + L * NH * pp * pp + 8 * C + (size_t)cfg->d_ff +
           (size_t)cfg->vocab_size;
}

/* Points the buffers into g->block. */
static void layout_generator(Generator *g)
{
    const ModelConfig *cfg = &g->m->cfg;
    const size_t L = (size_t)cfg->num_layers, C = (size_t)cfg->d_model;
    const size_t NH = (size_t)cfg->num_heads, P = (size_t)g->max_context;
    float *f = g->block;
#define TAKE(n) (f += (n), f - (n))
    g->kcache = TAKE(L * P * C);
    g->vcache = TAKE(L * P * C);
    g->att = TAKE(L * NH * P * P);
    g->x = TAKE(C);
    g->ln = TAKE(C);
    g->res = TAKE(C);
    g->qkv = TAKE(3 * C);
    g->atty = TAKE(C);
    g->branch = TAKE(C);
    g->ffh = TAKE((size_t)cfg->d_ff);
    g->logits = TAKE((size_t)cfg->vocab_size);
#undef TAKE
}

Generator *generator_create(const Model *m, int max_context, char *err, size_t err_len)
{
    const ModelConfig *cfg = &m->cfg;
    if (cfg->task != MODEL_TASK_LM) {
        errorf(err, err_len, "the model is a classifier (task = classify): generation needs a "
                             "language model (task = lm)");
        return NULL;
    }
    if (max_context < 1 || max_context > cfg->max_len) {
        errorf(err, err_len, "a context of %d tokens: must be between 1 and max_len = %d",
               max_context, cfg->max_len);
        return NULL;
    }
    const size_t floats = generator_floats(cfg, max_context);
    Generator *g = calloc(1, sizeof *g);
    float *block = calloc(floats, sizeof(float)); /* the triangle starts at zero */
    if (!g || !block) {
        free(g);
        free(block);
        errorf(err, err_len, "out of memory for a generator of %d tokens (%zu MB)", max_context,
               floats * sizeof(float) >> 20);
        return NULL;
    }
    g->m = m;
    g->max_context = max_context;
    g->block = block;
    layout_generator(g);
    return g;
}

void generator_free(Generator *g)
{
    if (!g)
        return;
    free(g->block);
    free(g);
}

void generator_reset(Generator *g)
{
    /* Only the triangle written so far is non-zero: O(position^2) once per reset,
     * so every fed token still costs O(position) overall. */
    const ModelConfig *cfg = &g->m->cfg;
    const size_t P = (size_t)g->max_context;
    const size_t maps = (size_t)cfg->num_layers * cfg->num_heads;
    for (size_t map = 0; map < maps; map++)
        for (int t = 0; t < g->pos; t++)
            memset(g->att + (map * P + (size_t)t) * P, 0, (size_t)(t + 1) * sizeof(float));
    g->pos = 0;
}

int generator_position(const Generator *g)
{
    return g->pos;
}

int generator_max_context(const Generator *g)
{
    return g->max_context;
}

const float *generator_attention(const Generator *g, int layer)
{
    const ModelConfig *cfg = &g->m->cfg;
    if (layer < 0 || layer >= cfg->num_layers)
        return NULL;
    const size_t P = (size_t)g->max_context;
    return g->att + (size_t)layer * cfg->num_heads * P * P;
}

static void norm_row(Generator *g, float *out, const float *inp, const float *gamma,
                     const float *beta)
{
    const ModelConfig *cfg = &g->m->cfg;
    layernorm_forward(out, &g->stats[0], &g->stats[1], &g->stats[2], inp, gamma, beta,
                      cfg->layernorm, 1, cfg->d_model);
}

/* The attention of the token at g->pos over layer l's cache, from the block's
 * input `inp` (x for post-norm, LN1(x) for pre-norm), into g->branch. */
static void attention_step(Generator *g, int l, const float *inp, const LayerWeights *w)
{
    const ModelConfig *cfg = &g->m->cfg;
    const int C = cfg->d_model, NH = cfg->num_heads, HS = C / NH;
    const size_t P = (size_t)g->max_context, pos = (size_t)g->pos;
    linear_forward_vec(g->qkv, inp, w->qkv_w, C, w->qkv_b, C, 3 * C);
    float *kc = g->kcache + (size_t)l * NH * P * HS, *vc = g->vcache + (size_t)l * NH * P * HS;
    for (int h = 0; h < NH; h++) {
        const float *row = g->qkv + (size_t)h * 3 * HS;
        memcpy(kc + ((size_t)h * P + pos) * HS, row + HS, (size_t)HS * sizeof(float));
        memcpy(vc + ((size_t)h * P + pos) * HS, row + 2 * HS, (size_t)HS * sizeof(float));
    }
    float *att = g->att + ((size_t)l * NH * P + pos) * P; /* head 0, query pos */
    attention_cached_forward(g->atty, att, P * P, g->qkv, kc, vc, P * HS, (int)pos + 1, HS, NH);
    linear_forward_vec(g->branch, g->atty, w->out_w, C, w->out_b, C, C);
}

/* relu(inp W1^T + b1) W2^T + b2 into g->branch. */
static void feed_forward_step(Generator *g, const float *inp, const LayerWeights *w)
{
    const ModelConfig *cfg = &g->m->cfg;
    const int C = cfg->d_model, F = cfg->d_ff;
    linear_forward_vec(g->ffh, inp, w->ff1_w, C, w->ff1_b, C, F);
    relu_forward(g->ffh, g->ffh, (size_t)F);
    linear_forward_vec(g->branch, g->ffh, w->ff2_w, F, w->ff2_b, F, C);
}

/* One block on the token's row g->x, as model.c's layer forwards (eval mode). */
static void layer_step(Generator *g, int l)
{
    const ModelConfig *cfg = &g->m->cfg;
    const size_t C = (size_t)cfg->d_model;
    LayerWeights w = model_layer_params(g->m, l);
    if (cfg->norm == NORM_PRE) {
        norm_row(g, g->ln, g->x, w.ln1_g, w.ln1_b);
        attention_step(g, l, g->ln, &w);
        residual_forward(g->x, g->x, g->branch, C);
        norm_row(g, g->ln, g->x, w.ln2_g, w.ln2_b);
        feed_forward_step(g, g->ln, &w);
        residual_forward(g->x, g->x, g->branch, C);
        return;
    }
    attention_step(g, l, g->x, &w);
    residual_forward(g->res, g->x, g->branch, C);
    norm_row(g, g->res, g->res, w.ln1_g, w.ln1_b);
    feed_forward_step(g, g->res, &w);
    residual_forward(g->branch, g->res, g->branch, C);
    norm_row(g, g->x, g->branch, w.ln2_g, w.ln2_b);
}

const float *generator_feed(Generator *g, int token)
{
    const Model *m = g->m;
    const ModelConfig *cfg = &m->cfg;
    const int C = cfg->d_model;
    if (g->pos >= g->max_context || token < 0 || token >= cfg->vocab_size)
        return NULL;
    ModelWeights w = model_params(m);
    const float *pos_table =
        cfg->pos_encoding == POS_ENCODING_LEARNED ? w.pos_emb : m->sinusoid;
    embedding_forward(g->x, &token, w.tok_emb, pos_table + (size_t)g->pos * C, 1, 1, C);
    for (int l = 0; l < cfg->num_layers; l++)
        layer_step(g, l);
    const float *top = g->x;
    if (cfg->norm == NORM_PRE) {
        norm_row(g, g->ln, g->x, w.norm_g, w.norm_b);
        top = g->ln;
    }
    linear_forward_vec(g->logits, top, w.lm_head, C, NULL, C, cfg->vocab_size);
    g->pos++;
    return g->logits;
}

/* ------------------------------------------------------------- sampling */

static int argmax_first(const float *z, int V)
{
    int best = 0;
    for (int v = 1; v < V; v++)
        if (z[v] > z[best])
            best = v;
    return best;
}

static int compare_desc(const void *x, const void *y)
{
    const float a = *(const float *)x, b = *(const float *)y;
    return (a < b) - (a > b);
}

/* How many of the most probable tokens of probs (V) top-k then top-p keep
 * (>= 1). sorted: V floats of scratch, left sorted descending. */
static int tokens_to_keep(const float *probs, int V, const SamplingConfig *s, float *sorted)
{
    int keep = s->top_k > 0 && s->top_k < V ? s->top_k : V;
    if (!(s->top_p < 1.0f))
        return keep;
    memcpy(sorted, probs, (size_t)V * sizeof(float));
    qsort(sorted, (size_t)V, sizeof(float), compare_desc);
    double kept_mass = 0.0;
    for (int i = 0; i < keep; i++)
        kept_mass += sorted[i];
    /* the fewest tokens whose share of the kept mass reaches top_p */
    double cum = 0.0;
    for (int i = 0; i < keep; i++) {
        cum += sorted[i];
        if (cum >= (double)s->top_p * kept_mass)
            return i + 1;
    }
    return keep;
}

/* Zeroes all of probs (V) but the `keep` most probable, ties by lower id. */
static void keep_most_probable(float *probs, int V, int keep, float *sorted)
{
    if (keep >= V)
        return;
    memcpy(sorted, probs, (size_t)V * sizeof(float));
    qsort(sorted, (size_t)V, sizeof(float), compare_desc);
    const float threshold = sorted[keep - 1];
    int above = 0;
    for (int v = 0; v < V; v++)
        above += probs[v] > threshold;
    int ties_left = keep - above;
    for (int v = 0; v < V; v++) {
        if (probs[v] > threshold)
            continue;
        if (probs[v] == threshold && ties_left > 0) {
            ties_left--;
            continue;
        }
        probs[v] = 0.0f;
    }
}

int sample_next_token(const float *logits, int V, const SamplingConfig *s, Rng *rng,
                      float *scratch, float *logprob)
{
    int chosen;
    if (!(s->temperature > 0.0f)) {
        chosen = argmax_first(logits, V);
    } else {
        float *probs = scratch, *sorted = scratch + V;
        for (int v = 0; v < V; v++)
            probs[v] = logits[v] / s->temperature;
        softmax_probs(probs, probs, 1, V);
        keep_most_probable(probs, V, tokens_to_keep(probs, V, s, sorted), sorted);
        double total = 0.0;
        for (int v = 0; v < V; v++)
            total += probs[v];
        const double u = (double)rng_uniform(rng) * total;
        double cum = 0.0;
        chosen = -1;
        for (int v = 0; v < V && chosen < 0; v++) {
            if (probs[v] <= 0.0f)
                continue;
            cum += probs[v];
            if (u < cum)
                chosen = v;
        }
        if (chosen < 0) /* rounding at the very top: the last token kept */
            for (int v = V - 1; v >= 0 && chosen < 0; v--)
                if (probs[v] > 0.0f)
                    chosen = v;
        if (chosen < 0)
            chosen = argmax_first(logits, V);
    }
    if (logprob)
        *logprob = (float)((double)logits[chosen] - log_sum_exp(logits, V));
    return chosen;
}
