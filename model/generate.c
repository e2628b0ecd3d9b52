/* Incremental decoding with a key/value cache, and sampling. See generate.h.
 *
 * One token is a pass over every weight (a matrix-vector product per linear)
 * plus the attention over the cache: memory-bound, 3 MB of weights per token at
 * d 128 and 4 layers, more than one core's L2. So the work is cut into `parts`
 * (one per pool thread, at most one per head), each reading its own share of
 * the weights, which then stays in its core's cache from token to token:
 *   region 1, per layer: part p's heads: their rows of the qkv product, their
 *     keys and values into the cache, their attention;
 *   region 2, per layer: the attention's output projection (every part, it is
 *     small), then part p's rows of linear1 and its share of the linear2 sum;
 *   the caller adds the shares in part order, then the residual;
 *   the head: part p's rows of the logits.
 * Results depend on the number of parts (the linear2 sum is split), fixed when
 * the generator is made; not on which thread runs a part. */
#include "generate.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "layers.h"
#include "parallel.h"

/* Most parts (threads) a generator splits a token into. */
#define GEN_MAX_PARTS 8

/* One part's own buffers: what every part computes in full for itself. */
typedef struct {
    float *ln;        /* (C) a LayerNorm's output */
    float *res;       /* (C) post: LN1(x + attention); pre: x + attention */
    float *proj;      /* (C) the attention's output projection */
    float *partial;   /* (C) this part's share of linear2's sum */
    float stats[3];   /* a LayerNorm row's mean, rstd, std (unused after) */
} GenPart;

struct Generator {
    const Model *m;
    int max_context;  /* P */
    int pos;          /* tokens fed since the reset */
    int parts;
    float *kcache;    /* (L, NH, P, HS) every fed token's keys */
    float *vcache;    /* (L, NH, P, HS) values */
    float *att;       /* (L, NH, P, P) each query's weights, the causal triangle */
    float *x;         /* (C) the token's residual stream */
    float *top;       /* (C) the final LayerNorm's output (pre-norm) */
    float *qkv;       /* (3C) the token's fused qkv row, written by heads */
    float *atty;      /* (C) heads concatenated */
    float *ffh;       /* (F) relu(linear1), written by rows */
    float *logits;    /* (V) written by rows */
    float stats[3];   /* the caller's LayerNorm row statistics (unused after) */
    int layer;        /* the layer regions 1 and 2 work on */
    GenPart part[GEN_MAX_PARTS];
    void *block;      /* the one allocation everything above points into */
};

/* [begin, end) of n items for part p of `parts`. */
static void part_range(int n, int p, int parts, int *begin, int *end)
{
    *begin = (int)((long)n * p / parts);
    *end = (int)((long)n * (p + 1) / parts);
}

static size_t generator_floats(const ModelConfig *cfg, int P, int parts)
{
    const size_t L = (size_t)cfg->num_layers, C = (size_t)cfg->d_model;
    const size_t NH = (size_t)cfg->num_heads, pp = (size_t)P;
    return 2 * L * pp * C + L * NH * pp * pp + 2 * C + 3 * C + C + (size_t)cfg->d_ff +
           (size_t)cfg->vocab_size + (size_t)parts * 4 * C;
}

/* Points the buffers into g->block (zeroed). */
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
    g->top = TAKE(C);
    g->qkv = TAKE(3 * C);
    g->atty = TAKE(C);
    g->ffh = TAKE((size_t)cfg->d_ff);
    g->logits = TAKE((size_t)cfg->vocab_size);
    for (int p = 0; p < g->parts; p++) {
        g->part[p].ln = TAKE(C);
        g->part[p].res = TAKE(C);
        g->part[p].proj = TAKE(C);
        g->part[p].partial = TAKE(C);
    }
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
    int parts = parallel_threads();
    parts = parts > cfg->num_heads ? cfg->num_heads : parts;
    parts = parts > GEN_MAX_PARTS ? GEN_MAX_PARTS : parts;
    const size_t floats = generator_floats(cfg, max_context, parts);
    Generator *g = calloc(1, sizeof *g);
    float *block = calloc(floats, sizeof(float));
    if (!g || !block) {
        free(g);
        free(block);
        errorf(err, err_len, "out of memory for a generator of %d tokens (%zu MB)", max_context,
               floats * sizeof(float) >> 20);
        return NULL;
    }
    g->m = m;
    g->max_context = max_context;
    g->parts = parts;
    g->block = block;
    layout_generator(g);
    parallel_prepare(); /* feeding then starts no thread */
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

/* One row's LayerNorm; stats: its mean, rstd and std (3 floats, unused after). */
static void norm_row(const ModelConfig *cfg, float *out, float *stats, const float *inp,
                     const float *gamma, const float *beta)
{
    layernorm_forward(out, &stats[0], &stats[1], &stats[2], inp, gamma, beta, cfg->layernorm, 1,
                      cfg->d_model);
}

/* Region 1, part p: its heads' qkv rows, cache rows and attention. */
static void attention_part(Generator *g, int p)
{
    const ModelConfig *cfg = &g->m->cfg;
    const int C = cfg->d_model, NH = cfg->num_heads, HS = C / NH, l = g->layer;
    const size_t P = (size_t)g->max_context, pos = (size_t)g->pos;
    GenPart *part = &g->part[p];
    LayerWeights w = model_layer_params(g->m, l);
    int h0, h1;
    part_range(NH, p, g->parts, &h0, &h1);
    const float *inp = g->x;
    if (cfg->norm == NORM_PRE) {
        norm_row(cfg, part->ln, part->stats, g->x, w.ln1_g, w.ln1_b);
        inp = part->ln;
    }
    const size_t first = (size_t)h0 * 3 * HS; /* the heads' columns of the qkv row */
    linear_forward(g->qkv + first, inp, w.qkv_w + first * C, w.qkv_b + first, 1, C,
                   (h1 - h0) * 3 * HS);
    float *kc = g->kcache + (size_t)l * NH * P * HS, *vc = g->vcache + (size_t)l * NH * P * HS;
    for (int h = h0; h < h1; h++) {
        const float *row = g->qkv + (size_t)h * 3 * HS;
        memcpy(kc + ((size_t)h * P + pos) * HS, row + HS, (size_t)HS * sizeof(float));
        memcpy(vc + ((size_t)h * P + pos) * HS, row + 2 * HS, (size_t)HS * sizeof(float));
    }
    float *att = g->att + (((size_t)l * NH + (size_t)h0) * P + pos) * P; /* head h0, query pos */
    attention_cached_forward(g->atty + (size_t)h0 * HS, att, P * P, g->qkv + first,
                             kc + (size_t)h0 * P * HS, vc + (size_t)h0 * P * HS, P * HS,
                             (int)pos + 1, HS, h1 - h0);
}

/* Region 2, part p: the output projection and the block's first residual (every
 * part for itself), its rows of linear1 and its share of linear2's sum. */
static void feed_forward_part(Generator *g, int p)
{
    const ModelConfig *cfg = &g->m->cfg;
    const int C = cfg->d_model, F = cfg->d_ff;
    GenPart *part = &g->part[p];
    LayerWeights w = model_layer_params(g->m, g->layer);
    linear_forward(part->proj, g->atty, w.out_w, w.out_b, 1, C, C);
    residual_forward(part->res, g->x, part->proj, (size_t)C);
    const float *inp;
    if (cfg->norm == NORM_PRE) { /* res = x + attention; the branch reads LN2(res) */
        norm_row(cfg, part->ln, part->stats, part->res, w.ln2_g, w.ln2_b);
        inp = part->ln;
    } else { /* res = LN1(x + attention), the branch's input and residual */
        norm_row(cfg, part->res, part->stats, part->res, w.ln1_g, w.ln1_b);
        inp = part->res;
    }
    int f0, f1;
    part_range(F, p, g->parts, &f0, &f1);
    linear_forward(g->ffh + f0, inp, w.ff1_w + (size_t)f0 * C, w.ff1_b + f0, 1, C, f1 - f0);
    relu_forward(g->ffh + f0, g->ffh + f0, (size_t)(f1 - f0));
    /* partial (1, C) = ffh[f0:f1] (1, f1-f0) . linear2.weight[:, f0:f1]^T (rows of F) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 1, C, f1 - f0, 1.0f, g->ffh + f0, f1 - f0,
                w.ff2_w + f0, F, 0.0f, part->partial, C);
}

static void head_part(Generator *g, int p)
{
    const ModelConfig *cfg = &g->m->cfg;
    const int C = cfg->d_model;
    int v0, v1;
    part_range(cfg->vocab_size, p, g->parts, &v0, &v1);
    const float *top = cfg->norm == NORM_PRE ? g->top : g->x;
    linear_forward(g->logits + v0, top, model_params(g->m).lm_head + (size_t)v0 * C, NULL, 1, C,
                   v1 - v0);
}

typedef enum { REGION_ATTENTION, REGION_FEED_FORWARD, REGION_HEAD } GenRegion;

typedef struct {
    Generator *g;
    GenRegion region;
} GenJob;

static void region_chunk(void *ctx, size_t begin, size_t end)
{
    const GenJob *j = ctx;
    for (size_t p = begin; p < end; p++) {
        if (j->region == REGION_ATTENTION)
            attention_part(j->g, (int)p);
        else if (j->region == REGION_FEED_FORWARD)
            feed_forward_part(j->g, (int)p);
        else
            head_part(j->g, (int)p);
    }
}

/* Every part of the region on the pool's threads now (one per part at most;
 * fewer threads or a busy pool: the same parts, some one after the other). */
static void run_region(Generator *g, GenRegion region)
{
    GenJob job = {g, region};
    parallel_for_threads((size_t)g->parts, parallel_threads(), region_chunk, &job);
}

/* x = res + linear2's bias + the parts' shares in part order; post-norm then
 * LN2 of that. */
static void finish_layer(Generator *g)
{
    const ModelConfig *cfg = &g->m->cfg;
    const int C = cfg->d_model;
    LayerWeights w = model_layer_params(g->m, g->layer);
    float *f = g->part[0].proj; /* free again: the branch's output */
    memcpy(f, w.ff2_b, (size_t)C * sizeof(float));
    for (int p = 0; p < g->parts; p++)
        residual_forward(f, f, g->part[p].partial, (size_t)C);
    if (cfg->norm == NORM_PRE) {
        residual_forward(g->x, g->part[0].res, f, (size_t)C);
        return;
    }
    residual_forward(f, g->part[0].res, f, (size_t)C);
    norm_row(cfg, g->x, g->stats, f, w.ln2_g, w.ln2_b);
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
    for (g->layer = 0; g->layer < cfg->num_layers; g->layer++) {
        run_region(g, REGION_ATTENTION);
        run_region(g, REGION_FEED_FORWARD);
        finish_layer(g);
    }
    if (cfg->norm == NORM_PRE)
        norm_row(cfg, g->top, g->stats, g->x, w.norm_g, w.norm_b);
    run_region(g, REGION_HEAD);
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
