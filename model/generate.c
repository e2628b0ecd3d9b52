/* Incremental decoding with a key/value cache, and sampling. See generate.h. */
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
    float *kcache;    /* (L, P, C) every fed token's keys, head h at columns h*HS */
    float *vcache;    /* (L, P, C) values */
    float *att;       /* (L, NH, P, P) each query's weights, the causal triangle */
    float *x;         /* (C) the token's residual stream */
    float *ln;        /* (C) a LayerNorm's output */
    float *qkv;       /* (3C) */
    float *atty;      /* (C) heads concatenated */
    float *branch;    /* (C) a branch's output (attention, feed-forward) */
    float *ffh;       /* (F) */
    float *logits;    /* (V) */
    float mean, rstd, std; /* the one LayerNorm row's statistics (unused) */
};

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
    const size_t L = (size_t)cfg->num_layers, P = (size_t)max_context, C = (size_t)cfg->d_model;
    const size_t NH = (size_t)cfg->num_heads;
    Generator *g = calloc(1, sizeof *g);
    if (g) {
        g->m = m;
        g->max_context = max_context;
        g->kcache = calloc(L * P * C, sizeof(float));
        g->vcache = calloc(L * P * C, sizeof(float));
        g->att = calloc(L * NH * P * P, sizeof(float));
        g->x = calloc(C, sizeof(float));
        g->ln = calloc(C, sizeof(float));
        g->qkv = calloc(3 * C, sizeof(float));
        g->atty = calloc(C, sizeof(float));
        g->branch = calloc(C, sizeof(float));
        g->ffh = calloc((size_t)cfg->d_ff, sizeof(float));
        g->logits = calloc((size_t)cfg->vocab_size, sizeof(float));
    }
    if (!g || !g->kcache || !g->vcache || !g->att || !g->x || !g->ln || !g->qkv || !g->atty ||
        !g->branch || !g->ffh || !g->logits) {
        generator_free(g);
        errorf(err, err_len, "out of memory for a generator of %d tokens (%zu MB of attention "
                             "maps)", max_context, L * NH * P * P * sizeof(float) >> 20);
        return NULL;
    }
    return g;
}

void generator_free(Generator *g)
{
    if (!g)
        return;
    free(g->kcache);
    free(g->vcache);
    free(g->att);
    free(g->x);
    free(g->ln);
    free(g->qkv);
    free(g->atty);
    free(g->branch);
    free(g->ffh);
    free(g->logits);
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
    layernorm_forward(out, &g->mean, &g->rstd, &g->std, inp, gamma, beta, cfg->layernorm, 1,
                      cfg->d_model);
}

/* The attention of the token at g->pos over the cache of layer l, from the
 * block's input `inp` (x for post-norm, LN1(x) for pre-norm) into g->branch. */
static void attention_step(Generator *g, int l, const float *inp, const LayerWeights *w)
{
    const ModelConfig *cfg = &g->m->cfg;
    const int C = cfg->d_model, NH = cfg->num_heads, HS = C / NH;
    const size_t P = (size_t)g->max_context, p = (size_t)g->pos;
    float *kc = g->kcache + (size_t)l * P * C, *vc = g->vcache + (size_t)l * P * C;
    linear_forward(g->qkv, inp, w->qkv_w, w->qkv_b, 1, C, 3 * C);
    for (int h = 0; h < NH; h++) {
        memcpy(kc + p * C + (size_t)h * HS, g->qkv + (size_t)h * 3 * HS + HS,
               (size_t)HS * sizeof(float));
        memcpy(vc + p * C + (size_t)h * HS, g->qkv + (size_t)h * 3 * HS + 2 * HS,
               (size_t)HS * sizeof(float));
    }
    float *att_row = g->att + ((size_t)l * NH * P + p) * P; /* head 0, query p */
    attention_cached_forward(g->atty, att_row, P * P, g->qkv, kc, vc, (int)p + 1, C, NH);
    linear_forward(g->branch, g->atty, w->out_w, w->out_b, 1, C, C);
}

/* relu(inp W1^T + b1) W2^T + b2 into g->branch. */
static void feed_forward_step(Generator *g, const float *inp, const LayerWeights *w)
{
    const ModelConfig *cfg = &g->m->cfg;
    const int C = cfg->d_model, F = cfg->d_ff;
    linear_forward(g->ffh, inp, w->ff1_w, w->ff1_b, 1, C, F);
    relu_forward(g->ffh, g->ffh, (size_t)F);
    linear_forward(g->branch, g->ffh, w->ff2_w, w->ff2_b, 1, F, C);
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
    residual_forward(g->branch, g->x, g->branch, C);
    norm_row(g, g->ln, g->branch, w.ln1_g, w.ln1_b);
    feed_forward_step(g, g->ln, &w);
    residual_forward(g->branch, g->ln, g->branch, C);
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
    linear_forward(g->logits, top, w.lm_head, NULL, 1, C, cfg->vocab_size);
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
