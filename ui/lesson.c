/* The lessons' numbers: see lesson.h. */
#include "lesson.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/errors.h"

int lesson_init(Lesson *ls, const ModelConfig *mc, char *err, size_t err_len)
{
    memset(ls, 0, sizeof *ls);
    const size_t T = (size_t)mc->max_len, NH = (size_t)mc->num_heads, C = (size_t)mc->d_model;
    const size_t HS = C / NH, L = (size_t)mc->num_layers;
    ls->T_max = mc->max_len;
    ls->C = mc->d_model;
    ls->NH = mc->num_heads;
    ls->HS = (int)HS;
    ls->F = mc->d_ff;
    ls->L = mc->num_layers;
    ls->whatif_causal = !mc->causal;
    ls->scores = malloc(NH * T * T * sizeof(float));
    ls->weights = malloc(NH * T * T * sizeof(float));
    ls->whatif_weights = malloc(NH * T * T * sizeof(float));
    ls->out = malloc(NH * T * HS * sizeof(float));
    ls->whatif_out = malloc(NH * T * HS * sizeof(float));
    ls->average = malloc(T * T * sizeof(float));
    ls->heads = calloc(NH, sizeof *ls->heads);
    ls->flow = calloc(L * T * FLOW_STAGES, sizeof(float));
    ls->flow_mean = calloc(L * FLOW_STAGES, sizeof(float));
    ls->emb_norm = calloc(T, sizeof(float));
    ls->pe_norm = calloc(T, sizeof(float));
    ls->sum_norm = calloc(T, sizeof(float));
    ls->scratch = malloc(T * (3 * HS + T + HS) * sizeof(float));
    if (!ls->scores || !ls->weights || !ls->whatif_weights || !ls->out || !ls->whatif_out ||
        !ls->average || !ls->heads || !ls->flow || !ls->flow_mean || !ls->emb_norm ||
        !ls->pe_norm || !ls->sum_norm || !ls->scratch) {
        lesson_free(ls);
        return errorf(err, err_len, "out of memory for the lessons' buffers (max_len %d, %d heads)",
                      mc->max_len, mc->num_heads);
    }
    return 0;
}

void lesson_free(Lesson *ls)
{
    free(ls->scores);
    free(ls->weights);
    free(ls->whatif_weights);
    free(ls->out);
    free(ls->whatif_out);
    free(ls->average);
    free(ls->heads);
    free(ls->flow);
    free(ls->flow_mean);
    free(ls->emb_norm);
    free(ls->pe_norm);
    free(ls->sum_norm);
    free(ls->scratch);
    memset(ls, 0, sizeof *ls);
}

const float *lesson_scores(const Lesson *ls, int h)
{
    return ls->scores + (size_t)h * ls->T * ls->T;
}

const float *lesson_weights(const Lesson *ls, int h, bool whatif)
{
    return (whatif ? ls->whatif_weights : ls->weights) + (size_t)h * ls->T * ls->T;
}

const float *lesson_out(const Lesson *ls, int h, bool whatif)
{
    return (whatif ? ls->whatif_out : ls->out) + (size_t)h * ls->T * ls->HS;
}

/* Running mean, spread and range of a set of numbers. */
typedef struct {
    double n, sum, sum2;
    float lo, hi;
} Spread;

static void spread_add(Spread *s, float v)
{
    if (s->n == 0 || v < s->lo)
        s->lo = v;
    if (s->n == 0 || v > s->hi)
        s->hi = v;
    s->n += 1;
    s->sum += v;
    s->sum2 += (double)v * v;
}

static float spread_sd(const Spread *s)
{
    if (s->n < 2)
        return 0.0f;
    double mean = s->sum / s->n, var = s->sum2 / s->n - mean * mean;
    return var > 0 ? (float)sqrt(var) : 0.0f;
}

/* Mean over the real queries of the largest weight, and of the entropy in
 * bits (and of its uniform maximum) over the keys with a weight. */
static void weight_stats(const float *w, int T, int n_real, float *max_w, float *entropy,
                         float *entropy_max)
{
    double mx = 0, ent = 0, ent_max = 0;
    for (int q = 0; q < n_real; q++) {
        double best = 0, e = 0;
        int seen = 0;
        for (int k = 0; k < T; k++) {
            double p = w[(size_t)q * T + k];
            best = p > best ? p : best;
            if (p > 0) {
                e -= p * log2(p);
                seen++;
            }
        }
        mx += best;
        ent += e;
        ent_max += seen > 1 ? log2((double)seen) : 0.0;
    }
    int n = n_real > 0 ? n_real : 1;
    *max_w = (float)(mx / n);
    *entropy = (float)(ent / n);
    *entropy_max = (float)(ent_max / n);
}

/* Spreads of q, k, v and of the scores of head h over the cells that count:
 * real queries, and the first n_keys keys (padding comes last). */
static void head_spreads(Lesson *ls, const float *qkv, int h, int n_keys, HeadLesson *hl)
{
    const int T = ls->T, HS = ls->HS, C3 = 3 * ls->C;
    const float *s = lesson_scores(ls, h);
    const float scale = sqrtf((float)HS);
    Spread q = {0}, k = {0}, all = {0}, raw = {0}, scaled = {0};
    for (int t = 0; t < ls->n_real; t++) {
        const float *row = qkv + (size_t)t * C3 + (size_t)h * 3 * HS;
        for (int i = 0; i < HS; i++) {
            spread_add(&q, row[i]);
            spread_add(&k, row[HS + i]);
            for (int p = 0; p < 3; p++)
                spread_add(&all, row[p * HS + i]);
        }
        for (int j = 0; j < n_keys; j++) {
            spread_add(&scaled, s[(size_t)t * T + j]);
            spread_add(&raw, s[(size_t)t * T + j] * scale);
        }
    }
    hl->sd_q = spread_sd(&q);
    hl->sd_k = spread_sd(&k);
    hl->sd_raw = spread_sd(&raw);
    hl->sd_scaled = spread_sd(&scaled);
    hl->raw_lo = raw.lo, hl->raw_hi = raw.hi;
    hl->qkv_lo = all.lo, hl->qkv_hi = all.hi;
}

/* Everything of head h of the selected layer. */
static void head_compute(Lesson *ls, const Activations *a, const ModelConfig *mc, int h)
{
    const int T = ls->T, HS = ls->HS, l = ls->layer;
    float *scratch = ls->scratch, *w = scratch + (size_t)T * 3 * HS, *o = w + (size_t)T * T;
    HeadLesson *hl = &ls->heads[h];
    activations_scores(a, 0, l, h, ls->scores + (size_t)h * T * T);
    activations_head_attention(a, 0, l, h, mc->causal, true, scratch,
                               ls->weights + (size_t)h * T * T, ls->out + (size_t)h * T * HS);
    activations_head_attention(a, 0, l, h, ls->whatif_causal, true, scratch,
                               ls->whatif_weights + (size_t)h * T * T,
                               ls->whatif_out + (size_t)h * T * HS);
    /* without the scaling: how sharp the softmax would be */
    activations_head_attention(a, 0, l, h, mc->causal, false, scratch, w, o);
    float unused, unused_max;
    weight_stats(w, T, ls->n_real, &hl->max_w_unscaled, &unused, &unused_max);
    weight_stats(lesson_weights(ls, h, false), T, ls->n_real, &hl->max_w_scaled, &hl->entropy,
                 &hl->entropy_max);
    head_spreads(ls, activations_qkv(a, l), h, mc->pad_mask ? ls->n_real : T, hl);
    Spread out = {0};
    for (size_t i = 0; i < (size_t)ls->n_real * HS; i++) {
        spread_add(&out, lesson_out(ls, h, false)[i]);
        spread_add(&out, lesson_out(ls, h, true)[i]);
    }
    hl->out_lo = out.lo, hl->out_hi = out.hi;
}

static float row_norm(const float *x, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return (float)sqrt(s);
}

/* The residual stream's norm at each stage of every layer, per token and
 * averaged over the real tokens. */
static void flow_compute(Lesson *ls, const Activations *a)
{
    const int T = ls->T, C = ls->C, F = ls->F;
    for (int l = 0; l < ls->L; l++) {
        const float *stage[FLOW_STAGES] = {
            [FLOW_IN] = l == 0 ? activations_embedded(a) : activations_layer_output(a, l - 1),
            [FLOW_ATTN] = activations_attention_residual(a, l),
            [FLOW_NORM1] = activations_norm1(a, l),
            [FLOW_FFN] = activations_ffn_residual(a, l),
            [FLOW_OUT] = activations_layer_output(a, l),
        };
        const float *hidden = activations_ffn_hidden(a, l);
        float *mean = ls->flow_mean + (size_t)l * FLOW_STAGES;
        memset(mean, 0, FLOW_STAGES * sizeof(float));
        for (int t = 0; t < T; t++) {
            float *f = ls->flow + ((size_t)l * T + t) * FLOW_STAGES;
            for (int s = 0; s < FLOW_STAGES; s++)
                if (s != FLOW_RELU)
                    f[s] = row_norm(stage[s] + (size_t)t * C, C);
            int active = 0;
            for (int i = 0; i < F; i++)
                active += hidden[(size_t)t * F + i] > 0.0f;
            f[FLOW_RELU] = (float)active / (float)F;
            if (t >= ls->n_real)
                continue;
            for (int s = 0; s < FLOW_STAGES; s++)
                mean[s] += f[s] / (float)ls->n_real;
        }
    }
}

/* |E[id] sqrt(C)|, |PE(t)| and |their sum| per token; the range of E sqrt(C). */
static void embedding_compute(Lesson *ls, const Model *m, const Activations *a)
{
    const int T = ls->T, C = ls->C;
    const float *emb = activations_embedded(a);
    const float *pe = m->cfg.pos_encoding == POS_ENCODING_LEARNED ? model_params(m).pos_emb
                                                                  : m->sinusoid;
    Spread range = {0};
    for (int t = 0; t < T; t++) {
        const float *sum = emb + (size_t)t * C, *p = pe + (size_t)t * C;
        double e2 = 0;
        for (int i = 0; i < C; i++) {
            float e = sum[i] - p[i];
            e2 += (double)e * e;
            if (t < ls->n_real)
                spread_add(&range, e);
        }
        ls->emb_norm[t] = (float)sqrt(e2);
        ls->pe_norm[t] = row_norm(p, C);
        ls->sum_norm[t] = row_norm(sum, C);
    }
    ls->emb_lo = range.lo, ls->emb_hi = range.hi;
    const float *pooled = activations_pooled(a);
    ls->pooled_norm = ls->pooled_lo = ls->pooled_hi = 0.0f;
    if (!pooled || m->cfg.task == MODEL_TASK_LM) /* a language model pools nothing */
        return;
    Spread pr = {0};
    for (int i = 0; i < C; i++)
        spread_add(&pr, pooled[i]);
    ls->pooled_norm = row_norm(pooled, C);
    ls->pooled_lo = pr.lo, ls->pooled_hi = pr.hi;
}

void lesson_compute(Lesson *ls, const Model *m, const Activations *a, int T, int n_real, int layer)
{
    ls->valid = false;
    if (T < 1 || T > ls->T_max || layer < 0 || layer >= ls->L)
        return;
    ls->T = T;
    ls->n_real = n_real < T ? n_real : T;
    ls->layer = layer;
    for (int h = 0; h < ls->NH; h++)
        head_compute(ls, a, &m->cfg, h);
    for (size_t i = 0; i < (size_t)T * T; i++) {
        float s = 0;
        for (int h = 0; h < ls->NH; h++)
            s += ls->weights[(size_t)h * T * T + i];
        ls->average[i] = s / (float)ls->NH;
    }
    flow_compute(ls, a);
    embedding_compute(ls, m, a);
    ls->valid = true;
}
