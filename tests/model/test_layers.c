/* Finite-difference checks of every layer's backward (layers.h), plus the
 * values that have a closed form. Each probe loss is sum(out * R), R fixed
 * and random, so the analytic input gradient is backward(dout = R).
 *
 * Tolerances: relative error of the checked gradient vector <= 1e-3 (2e-3 for
 * the attention and LayerNorm chains), and every entry within 1e-2 (2e-2) of
 * max|grad|; measured errors are logged (--verbose) and are ~1e-5..1e-4. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "model/layers.h"

#define REL_TOL 1e-3
#define ABS_TOL 1e-2

static float *falloc(size_t n)
{
    float *p = calloc(n, sizeof(float));
    cr_assert_not_null(p);
    return p;
}

/* ---------------------------------------------------------------- linear */

typedef struct {
    float *inp, *w, *b, *out, *r;
    int N, IC, OC;
} LinearCtx;

static double linear_loss(void *p)
{
    LinearCtx *c = p;
    linear_forward(c->out, c->inp, c->w, c->b, c->N, c->IC, c->OC);
    return dot_double(c->out, c->r, (size_t)c->N * c->OC);
}

Test(layers, linear_backward_matches_finite_differences)
{
    Rng rng;
    rng_seed(&rng, 11);
    LinearCtx c = {.N = 7, .IC = 5, .OC = 6};
    size_t ni = (size_t)c.N * c.IC, nw = (size_t)c.OC * c.IC, no = (size_t)c.N * c.OC;
    c.inp = falloc(ni); c.w = falloc(nw); c.b = falloc((size_t)c.OC);
    c.out = falloc(no); c.r = falloc(no);
    fill_normal(c.inp, ni, 1.0f, &rng);
    fill_normal(c.w, nw, 0.5f, &rng);
    fill_normal(c.b, (size_t)c.OC, 0.5f, &rng);
    fill_normal(c.r, no, 1.0f, &rng);
    float *dinp = falloc(ni), *dw = falloc(nw), *db = falloc((size_t)c.OC);
    linear_loss(&c);
    linear_backward(dinp, dw, db, c.r, c.inp, c.w, c.N, c.IC, c.OC);
    gradcheck_assert("linear dinp", gradcheck(c.inp, dinp, ni, 0, 1e-2f, linear_loss, &c, &rng), REL_TOL, ABS_TOL);
    gradcheck_assert("linear dweight", gradcheck(c.w, dw, nw, 0, 1e-2f, linear_loss, &c, &rng), REL_TOL, ABS_TOL);
    gradcheck_assert("linear dbias", gradcheck(c.b, db, (size_t)c.OC, 0, 1e-2f, linear_loss, &c, &rng), REL_TOL, ABS_TOL);

    /* Backward adds: a second call doubles the gradients. */
    float first = dw[3];
    linear_backward(NULL, dw, NULL, c.r, c.inp, c.w, c.N, c.IC, c.OC);
    cr_expect_float_eq(dw[3], 2.0f * first, 1e-5f * fabsf(first) + 1e-7f);

    /* Forward value against a direct sum. */
    double want = c.b[2];
    for (int i = 0; i < c.IC; i++)
        want += (double)c.inp[1 * c.IC + i] * c.w[2 * c.IC + i];
    cr_expect(fabs(c.out[1 * c.OC + 2] - want) < 1e-5, "linear forward %g vs %g",
              (double)c.out[1 * c.OC + 2], want);
    free(c.inp); free(c.w); free(c.b); free(c.out); free(c.r);
    free(dinp); free(dw); free(db);
}

/* ------------------------------------------------------------- attention */

typedef struct {
    float *qkv, *out, *att, *r;
    const uint8_t *pad;
    bool causal;
    int B, T, C, NH;
} AttnCtx;

static double attention_loss(void *p)
{
    AttnCtx *c = p;
    attention_forward(c->out, c->att, c->qkv, c->pad, c->causal, c->B, c->T, c->C, c->NH);
    return dot_double(c->out, c->r, (size_t)c->B * c->T * c->C);
}

static void check_attention(const char *what, const uint8_t *pad, bool causal)
{
    Rng rng;
    rng_seed(&rng, 22);
    AttnCtx c = {.pad = pad, .causal = causal, .B = 3, .T = 5, .C = 12, .NH = 3};
    const int B = c.B, T = c.T, C = c.C, NH = c.NH;
    size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C, na = (size_t)B * NH * T * T;
    c.qkv = falloc(nq); c.out = falloc(no); c.att = falloc(na); c.r = falloc(no);
    fill_normal(c.qkv, nq, 1.0f, &rng);
    fill_normal(c.r, no, 1.0f, &rng);
    float *dqkv = falloc(nq), *scratch = falloc(na);
    attention_loss(&c);
    attention_backward(dqkv, scratch, c.r, c.qkv, c.att, causal, B, T, C, NH);
    gradcheck_assert(what, gradcheck(c.qkv, dqkv, nq, 0, 1e-2f, attention_loss, &c, &rng), 2e-3, 2e-2);

    /* Probabilities: rows sum to 1 (or are all zero when every key is masked),
     * and masked entries are exactly 0. */
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *row = c.att + (((size_t)b * NH + h) * T + t) * T;
                double sum = 0.0;
                int visible = 0;
                for (int s = 0; s < T; s++) {
                    bool masked = (pad && pad[b * T + s]) || (causal && s > t);
                    if (masked)
                        cr_expect(row[s] == 0.0f, "%s: masked prob %g", what, (double)row[s]);
                    else
                        visible++;
                    sum += row[s];
                }
                cr_expect(fabs(sum - (visible ? 1.0 : 0.0)) < 1e-5, "%s: row sum %g", what, sum);
            }
    free(c.qkv); free(c.out); free(c.att); free(c.r); free(dqkv); free(scratch);
}

/* Row 1 has two PAD keys, row 2 is all PAD (rows of zeros, no NaN). */
static const uint8_t attention_pad[3 * 5] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1};

Test(layers, attention_no_mask) { check_attention("attention no mask", NULL, false); }
Test(layers, attention_pad_mask) { check_attention("attention pad mask", attention_pad, false); }
Test(layers, attention_causal_mask) { check_attention("attention causal mask", NULL, true); }
Test(layers, attention_pad_and_causal) { check_attention("attention pad+causal", attention_pad, true); }

Test(layers, attention_layout_is_per_head_qkv_blocks)
{
    /* T = 1: the softmax is 1, so head h's output is its own v block:
     * columns [h*3HS + 2HS, h*3HS + 3HS) of the qkv row. */
    const int C = 8, NH = 2, HS = 4;
    float qkv[3 * 8], out[8], att[2];
    for (int i = 0; i < 3 * C; i++)
        qkv[i] = (float)i;
    attention_forward(out, att, qkv, NULL, false, 1, 1, C, NH);
    for (int h = 0; h < NH; h++)
        for (int d = 0; d < HS; d++)
            cr_expect_eq(out[h * HS + d], (float)(h * 3 * HS + 2 * HS + d));
}

/* Issue 14: scores that are NaN or infinite (from huge or NaN weights) give a
 * NaN attention row, never numbers, and no undefined behaviour in the fast exp
 * (the ASan+UBSan suite runs this with halt_on_error); a row of huge but finite
 * scores is still an exact one-hot softmax. One head, HS 2, three tokens:
 * query 0 is NaN, query 1 finite against keys of +-1e30 (scores +-7e29), query 2
 * huge (scores +inf, -inf and a finite one: inf - inf in the exp), query 3 sees
 * only NaN scores. */
Test(layers, attention_softmax_of_non_finite_scores_is_nan)
{
    enum { T = 4, C = 2 };
    float qkv[T * 3 * C] = {
        NAN,   0.0f, 1e30f,  0.0f, 1.0f, 2.0f,  /* token 0: q, k, v */
        1.0f,  0.0f, -1e30f, 0.0f, 3.0f, 4.0f,  /* token 1 */
        1e30f, 0.0f, 1.0f,   0.0f, 5.0f, 6.0f,  /* token 2 */
        0.0f,  NAN,  2.0f,   0.0f, 7.0f, 8.0f,  /* token 3 */
    };
    float att[T * T], out[T * C];
    attention_forward(out, att, qkv, NULL, false, 1, T, C, 1);
    for (int q = 0; q < T; q++) {
        if (q == 1)
            continue;
        for (int k = 0; k < T; k++)
            cr_expect(isnan(att[q * T + k]), "att[%d][%d] = %g, not NaN", q, k,
                      (double)att[q * T + k]);
        for (int c = 0; c < C; c++)
            cr_expect(isnan(out[q * C + c]), "out[%d][%d] = %g, not NaN", q, c,
                      (double)out[q * C + c]);
    }
    const float one_hot[T] = {1.0f, 0.0f, 0.0f, 0.0f};
    for (int k = 0; k < T; k++)
        cr_expect_eq(att[1 * T + k], one_hot[k], "att[1][%d] = %g", k, (double)att[1 * T + k]);
    cr_expect_eq(out[1 * C + 0], 1.0f);
    cr_expect_eq(out[1 * C + 1], 2.0f);
}

/* ------------------------------------------------------------- layernorm */

typedef struct {
    float *inp, *g, *b, *out, *mean, *rstd, *std, *r;
    LayerNormKind kind;
    int N, C;
} LnCtx;

static double layernorm_loss(void *p)
{
    LnCtx *c = p;
    layernorm_forward(c->out, c->mean, c->rstd, c->std, c->inp, c->g, c->b, c->kind, c->N, c->C);
    return dot_double(c->out, c->r, (size_t)c->N * c->C);
}

static void check_layernorm(LayerNormKind kind)
{
    Rng rng;
    rng_seed(&rng, 33);
    LnCtx c = {.kind = kind, .N = 6, .C = 10};
    size_t n = (size_t)c.N * c.C;
    c.inp = falloc(n); c.out = falloc(n); c.r = falloc(n);
    c.g = falloc((size_t)c.C); c.b = falloc((size_t)c.C);
    c.mean = falloc((size_t)c.N); c.rstd = falloc((size_t)c.N); c.std = falloc((size_t)c.N);
    fill_normal(c.inp, n, 2.0f, &rng);
    for (size_t i = 0; i < n; i++)
        c.inp[i] += 3.0f; /* a nonzero mean */
    fill_normal(c.r, n, 1.0f, &rng);
    for (int i = 0; i < c.C; i++) {
        c.g[i] = 1.0f + 0.3f * rng_normal(&rng);
        c.b[i] = 0.3f * rng_normal(&rng);
    }
    float *dinp = falloc(n), *dg = falloc((size_t)c.C), *db = falloc((size_t)c.C);
    layernorm_loss(&c);

    /* Forward against the definition, in double. */
    for (int row = 0; row < c.N; row++) {
        const float *x = c.inp + row * c.C;
        double m = 0.0, ss = 0.0;
        for (int i = 0; i < c.C; i++)
            m += x[i];
        m /= c.C;
        for (int i = 0; i < c.C; i++)
            ss += (x[i] - m) * (x[i] - m);
        double denom = kind == LAYERNORM_WORKSHOP ? sqrt(ss / (c.C - 1)) + 1e-5 : sqrt(ss / c.C + 1e-5);
        for (int i = 0; i < c.C; i++) {
            double want = c.g[i] * (x[i] - m) / denom + c.b[i];
            cr_expect(fabs(c.out[row * c.C + i] - want) < 1e-5, "layernorm forward %g vs %g",
                      (double)c.out[row * c.C + i], want);
        }
    }

    layernorm_backward(dinp, dg, db, c.r, c.inp, c.g, c.mean, c.rstd, c.std, kind, c.N, c.C);
    const char *k = kind == LAYERNORM_WORKSHOP ? "workshop" : "standard";
    char name[64];
    snprintf(name, sizeof name, "layernorm %s dinp", k);
    gradcheck_assert(name, gradcheck(c.inp, dinp, n, 0, 1e-2f, layernorm_loss, &c, &rng), 2e-3, 2e-2);
    snprintf(name, sizeof name, "layernorm %s dgamma", k);
    gradcheck_assert(name, gradcheck(c.g, dg, (size_t)c.C, 0, 1e-2f, layernorm_loss, &c, &rng), REL_TOL, ABS_TOL);
    snprintf(name, sizeof name, "layernorm %s dbeta", k);
    gradcheck_assert(name, gradcheck(c.b, db, (size_t)c.C, 0, 1e-2f, layernorm_loss, &c, &rng), REL_TOL, ABS_TOL);
    free(c.inp); free(c.out); free(c.r); free(c.g); free(c.b);
    free(c.mean); free(c.rstd); free(c.std); free(dinp); free(dg); free(db);
}

Test(layers, layernorm_workshop) { check_layernorm(LAYERNORM_WORKSHOP); }
Test(layers, layernorm_standard) { check_layernorm(LAYERNORM_STANDARD); }

/* ------------------------------------------------------ relu and dropout */

typedef struct {
    float *inp, *out, *r;
    uint8_t *keep;
    float p;
    size_t n;
} EltCtx;

static double relu_loss(void *p)
{
    EltCtx *c = p;
    relu_forward(c->out, c->inp, c->n);
    return dot_double(c->out, c->r, c->n);
}

Test(layers, relu_backward_matches_finite_differences)
{
    Rng rng;
    rng_seed(&rng, 44);
    EltCtx c = {.n = 40};
    c.inp = falloc(c.n); c.out = falloc(c.n); c.r = falloc(c.n);
    fill_normal(c.inp, c.n, 1.0f, &rng);
    for (size_t i = 0; i < c.n; i++) /* keep the kink out of eps's reach */
        if (fabsf(c.inp[i]) < 0.05f)
            c.inp[i] = c.inp[i] < 0.0f ? -0.1f : 0.1f;
    fill_normal(c.r, c.n, 1.0f, &rng);
    float *dinp = falloc(c.n);
    relu_loss(&c);
    relu_backward(dinp, c.r, c.out, c.n);
    gradcheck_assert("relu", gradcheck(c.inp, dinp, c.n, 0, 1e-3f, relu_loss, &c, &rng), REL_TOL, ABS_TOL);
    /* in place masks rather than adds */
    float *d2 = falloc(c.n);
    memcpy(d2, c.r, c.n * sizeof(float));
    relu_backward(d2, d2, c.out, c.n);
    for (size_t i = 0; i < c.n; i++)
        cr_expect_eq(d2[i], dinp[i]);
    free(c.inp); free(c.out); free(c.r); free(dinp); free(d2);
}

static double dropout_loss(void *p)
{
    EltCtx *c = p;
    Rng rng;
    rng_seed(&rng, 99); /* same mask on every call */
    dropout_forward(c->out, c->keep, c->inp, c->p, &rng, c->n);
    return dot_double(c->out, c->r, c->n);
}

Test(layers, dropout_mask_scale_and_backward)
{
    Rng rng;
    rng_seed(&rng, 55);
    EltCtx c = {.n = 4000, .p = 0.25f};
    c.inp = falloc(c.n); c.out = falloc(c.n); c.r = falloc(c.n);
    c.keep = calloc(c.n, 1);
    fill_normal(c.inp, c.n, 1.0f, &rng);
    fill_normal(c.r, c.n, 1.0f, &rng);
    dropout_loss(&c);
    size_t kept = 0;
    for (size_t i = 0; i < c.n; i++) {
        kept += c.keep[i];
        float want = c.keep[i] ? c.inp[i] / 0.75f : 0.0f;
        cr_expect(fabsf(c.out[i] - want) <= 1e-6f * fabsf(want));
    }
    /* 3000 expected; binomial sd ~27 */
    cr_expect(kept > 2850 && kept < 3150, "kept %zu of 4000 at p = 0.25", kept);
    float *dinp = falloc(c.n);
    dropout_backward(dinp, c.r, c.keep, c.p, c.n);
    gradcheck_assert("dropout", gradcheck(c.inp, dinp, c.n, 200, 1e-2f, dropout_loss, &c, &rng), REL_TOL, ABS_TOL);
    free(c.inp); free(c.out); free(c.r); free(c.keep); free(dinp);
}

/* --------------------------------------------------------------- pooling */

typedef struct {
    float *inp, *out, *r;
    const uint8_t *pad;
    int B, T, C;
} PoolCtx;

static double pool_loss(void *p)
{
    PoolCtx *c = p;
    mean_pool_forward(c->out, c->inp, c->pad, c->B, c->T, c->C);
    return dot_double(c->out, c->r, (size_t)c->B * c->C);
}

static void check_pool(const char *what, const uint8_t *pad)
{
    Rng rng;
    rng_seed(&rng, 66);
    PoolCtx c = {.pad = pad, .B = 3, .T = 4, .C = 5};
    size_t ni = (size_t)c.B * c.T * c.C, no = (size_t)c.B * c.C;
    c.inp = falloc(ni); c.out = falloc(no); c.r = falloc(no);
    fill_normal(c.inp, ni, 1.0f, &rng);
    fill_normal(c.r, no, 1.0f, &rng);
    float *dinp = falloc(ni);
    pool_loss(&c);
    /* value: mean over kept positions; a row without any kept position is 0 */
    for (int b = 0; b < c.B; b++) {
        double sum = 0.0;
        int count = 0;
        for (int t = 0; t < c.T; t++)
            if (!pad || !pad[b * c.T + t]) {
                sum += c.inp[(b * c.T + t) * c.C + 1];
                count++;
            }
        double want = sum / (count > 0 ? count : 1);
        cr_expect(fabs(c.out[b * c.C + 1] - want) < 1e-5, "%s: pooled %g vs %g", what,
                  (double)c.out[b * c.C + 1], want);
    }
    mean_pool_backward(dinp, c.r, pad, c.B, c.T, c.C);
    gradcheck_assert(what, gradcheck(c.inp, dinp, ni, 0, 1e-2f, pool_loss, &c, &rng), REL_TOL, ABS_TOL);
    free(c.inp); free(c.out); free(c.r); free(dinp);
}

static const uint8_t pool_pad[3 * 4] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
Test(layers, mean_pool_without_mask) { check_pool("mean pool", NULL); }
Test(layers, mean_pool_with_mask) { check_pool("mean pool masked", pool_pad); }

/* -------------------------------------------------------------- max pool */

typedef struct {
    float *inp, *out, *r;
    int *arg;
    const uint8_t *pad;
    int B, T, C;
} MaxPoolCtx;

static double max_pool_loss(void *p)
{
    MaxPoolCtx *c = p;
    max_pool_forward(c->out, c->arg, c->inp, c->pad, c->B, c->T, c->C);
    return dot_double(c->out, c->r, (size_t)c->B * c->C);
}

static void check_max_pool(const char *what, const uint8_t *pad)
{
    Rng rng;
    rng_seed(&rng, 67);
    MaxPoolCtx c = {.pad = pad, .B = 3, .T = 4, .C = 5};
    size_t ni = (size_t)c.B * c.T * c.C, no = (size_t)c.B * c.C;
    c.inp = falloc(ni); c.out = falloc(no); c.r = falloc(no);
    c.arg = calloc(no, sizeof(int));
    cr_assert_not_null(c.arg);
    /* Distinct values 0.1 apart in a random order: a step of 1e-2 never changes
     * which position wins, so the max is differentiable at every probed point. */
    int *order = calloc(ni, sizeof(int));
    cr_assert_not_null(order);
    for (size_t i = 0; i < ni; i++)
        order[i] = (int)i;
    rng_shuffle(&rng, order, (int)ni);
    for (size_t i = 0; i < ni; i++)
        c.inp[i] = 0.1f * (float)order[i] - 3.0f;
    fill_normal(c.r, no, 1.0f, &rng);
    float *dinp = falloc(ni);
    max_pool_loss(&c);
    /* value: max over kept positions; a row without any kept position is 0 */
    for (int b = 0; b < c.B; b++) {
        for (int ch = 0; ch < c.C; ch++) {
            double want = 0.0;
            bool any = false;
            for (int t = 0; t < c.T; t++) {
                if (pad && pad[b * c.T + t])
                    continue;
                double x = c.inp[(b * c.T + t) * c.C + ch];
                want = any && want > x ? want : x;
                any = true;
            }
            cr_expect(fabs(c.out[b * c.C + ch] - want) < 1e-6, "%s: pooled %g vs %g", what,
                      (double)c.out[b * c.C + ch], want);
            cr_expect_eq(c.arg[b * c.C + ch] >= 0, any, "%s: row %d argmax %d", what, b,
                         c.arg[b * c.C + ch]);
        }
    }
    max_pool_backward(dinp, c.r, c.arg, c.B, c.T, c.C);
    gradcheck_assert(what, gradcheck(c.inp, dinp, ni, 0, 1e-2f, max_pool_loss, &c, &rng), REL_TOL, ABS_TOL);
    free(c.inp); free(c.out); free(c.r); free(c.arg); free(order); free(dinp);
}

Test(layers, max_pool_without_mask) { check_max_pool("max pool", NULL); }
Test(layers, max_pool_with_mask) { check_max_pool("max pool masked", pool_pad); }

Test(layers, max_pool_ties_and_negative_rows)
{
    /* All-negative row: the max is negative, not the 0 an all-PAD row gets;
     * a tie sends the whole gradient to the first position. */
    const float inp[1 * 3 * 2] = {-2.0f, 1.0f, -1.0f, 1.0f, -3.0f, 0.5f};
    float out[2], dinp[6] = {0};
    int arg[2];
    const float dout[2] = {1.0f, 2.0f};
    max_pool_forward(out, arg, inp, NULL, 1, 3, 2);
    cr_expect_float_eq(out[0], -1.0f, 1e-7f);
    cr_expect_float_eq(out[1], 1.0f, 1e-7f);
    cr_expect_eq(arg[0], 1);
    cr_expect_eq(arg[1], 0);
    max_pool_backward(dinp, dout, arg, 1, 3, 2);
    const float want[6] = {0.0f, 2.0f, 1.0f, 0.0f, 0.0f, 0.0f};
    for (int i = 0; i < 6; i++)
        cr_expect_float_eq(dinp[i], want[i], 1e-7f, "dinp[%d]", i);
}

/* ------------------------------------------------------------- embedding */

typedef struct {
    float *emb, *pos, *out, *r;
    const int *tokens;
    int B, T, C;
} EmbCtx;

static double embedding_loss(void *p)
{
    EmbCtx *c = p;
    embedding_forward(c->out, c->tokens, c->emb, c->pos, c->B, c->T, c->C);
    return dot_double(c->out, c->r, (size_t)c->B * c->T * c->C);
}

Test(layers, embedding_and_learned_pe)
{
    Rng rng;
    rng_seed(&rng, 77);
    static const int tokens[2 * 4] = {3, 1, 3, 0, 2, 2, 4, 0}; /* repeats accumulate */
    EmbCtx c = {.tokens = tokens, .B = 2, .T = 4, .C = 6};
    const int V = 5;
    size_t ne = (size_t)V * c.C, np = (size_t)c.T * c.C, no = (size_t)c.B * c.T * c.C;
    c.emb = falloc(ne); c.pos = falloc(np); c.out = falloc(no); c.r = falloc(no);
    fill_normal(c.emb, ne, 1.0f, &rng);
    fill_normal(c.pos, np, 0.1f, &rng);
    fill_normal(c.r, no, 1.0f, &rng);
    embedding_loss(&c);
    /* out = emb[tok] * sqrt(C) + pos[t] */
    cr_expect(fabsf(c.out[(1 * c.T + 2) * c.C + 3] - (c.emb[4 * c.C + 3] * sqrtf(6.0f) + c.pos[2 * c.C + 3])) < 1e-6f);
    float *demb = falloc(ne), *dpos = falloc(np);
    embedding_backward(demb, dpos, c.r, tokens, c.B, c.T, c.C);
    gradcheck_assert("embedding", gradcheck(c.emb, demb, ne, 0, 1e-2f, embedding_loss, &c, &rng), REL_TOL, ABS_TOL);
    gradcheck_assert("learned PE", gradcheck(c.pos, dpos, np, 0, 1e-2f, embedding_loss, &c, &rng), REL_TOL, ABS_TOL);
    free(c.emb); free(c.pos); free(c.out); free(c.r); free(demb); free(dpos);
}

Test(layers, sinusoidal_table_matches_formula)
{
    const int rows = 50, C = 16;
    float *pe = falloc((size_t)rows * C);
    positional_encoding_sinusoidal(pe, rows, C);
    for (int pos = 0; pos < rows; pos++)
        for (int i = 0; 2 * i < C; i++) {
            double angle = pos / pow(10000.0, 2.0 * i / C);
            cr_expect(fabs(pe[pos * C + 2 * i] - sin(angle)) < 2e-5, "PE(%d,%d)", pos, 2 * i);
            cr_expect(fabs(pe[pos * C + 2 * i + 1] - cos(angle)) < 2e-5, "PE(%d,%d)", pos, 2 * i + 1);
        }
    free(pe);
}

/* ------------------------------------------------------------------ loss */

typedef struct {
    float *logits, *probs, *dlogits;
    const int *labels;
    float smoothing;
    int B, K;
} CeCtx;

static double ce_loss(void *p)
{
    CeCtx *c = p;
    return softmax_cross_entropy(c->probs, NULL, c->logits, c->labels, c->smoothing, c->B, c->K, NULL);
}

static void check_ce(float smoothing)
{
    Rng rng;
    rng_seed(&rng, 88);
    static const int labels[4] = {0, 2, 1, 2};
    CeCtx c = {.labels = labels, .smoothing = smoothing, .B = 4, .K = 3};
    size_t n = (size_t)c.B * c.K;
    c.logits = falloc(n); c.probs = falloc(n); c.dlogits = falloc(n);
    fill_normal(c.logits, n, 2.0f, &rng);
    int correct = -1;
    float loss = softmax_cross_entropy(c.probs, c.dlogits, c.logits, labels, smoothing, c.B, c.K, &correct);
    /* reference in double, PyTorch's definition */
    double want = 0.0;
    int want_correct = 0;
    for (int b = 0; b < c.B; b++) {
        const float *z = c.logits + b * c.K;
        double lse = 0.0;
        int best = 0;
        for (int k = 0; k < c.K; k++) {
            lse += exp(z[k]);
            if (z[k] > z[best])
                best = k;
        }
        lse = log(lse);
        double nll = lse - z[labels[b]], uniform = 0.0;
        for (int k = 0; k < c.K; k++)
            uniform += (lse - z[k]) / c.K;
        want += ((1.0 - smoothing) * nll + smoothing * uniform) / c.B;
        want_correct += best == labels[b];
    }
    cr_expect(fabs(loss - want) < 1e-5 * fmax(1.0, want), "CE %g vs %g", (double)loss, want);
    cr_expect_eq(correct, want_correct);
    char name[64];
    snprintf(name, sizeof name, "softmax CE smoothing %.1f", (double)smoothing);
    gradcheck_assert(name, gradcheck(c.logits, c.dlogits, n, 0, 1e-2f, ce_loss, &c, &rng), REL_TOL, ABS_TOL);
    free(c.logits); free(c.probs); free(c.dlogits);
}

Test(layers, softmax_cross_entropy_plain) { check_ce(0.0f); }
Test(layers, softmax_cross_entropy_label_smoothing) { check_ce(0.1f); }

Test(layers, cross_entropy_of_uniform_logits_is_log_k)
{
    float logits[2 * 5] = {0}, probs[10], dlogits[10];
    int labels[2] = {1, 4};
    float loss = softmax_cross_entropy(probs, dlogits, logits, labels, 0.0f, 2, 5, NULL);
    cr_expect(fabsf(loss - logf(5.0f)) < 1e-6f);
    cr_expect(fabsf(probs[3] - 0.2f) < 1e-7f);
    cr_expect(fabsf(dlogits[1] - (0.2f - 1.0f) / 2.0f) < 1e-7f);
}

/* ---------------------------------------------------------------- R-Drop */

typedef struct {
    float *za, *zb, *probs, *dscratch;
    const int *labels;
    float alpha;
    int B, K;
} RdropCtx;

/* (CE_a + CE_b) / 2 + alpha / 2 * mean [KL(pa || pb) + KL(pb || pa)], from the definitions. */
static double rdrop_loss(void *p)
{
    RdropCtx *c = p;
    double ce = softmax_cross_entropy(c->probs, NULL, c->za, c->labels, 0.0f, c->B, c->K, NULL);
    ce += softmax_cross_entropy(c->probs, NULL, c->zb, c->labels, 0.0f, c->B, c->K, NULL);
    double kl = 0.0;
    for (int b = 0; b < c->B; b++) {
        double la = 0.0, lb = 0.0;
        for (int k = 0; k < c->K; k++) {
            la += exp((double)c->za[b * c->K + k]);
            lb += exp((double)c->zb[b * c->K + k]);
        }
        for (int k = 0; k < c->K; k++) {
            double pa = exp((double)c->za[b * c->K + k]) / la, pb = exp((double)c->zb[b * c->K + k]) / lb;
            kl += pa * log(pa / pb) + pb * log(pb / pa);
        }
    }
    return ce / 2 + c->alpha / 2 * kl / c->B;
}

Test(layers, rdrop_consistency_matches_finite_differences)
{
    Rng rng;
    rng_seed(&rng, 88);
    static const int labels[4] = {0, 2, 1, 2};
    RdropCtx c = {.labels = labels, .alpha = 3.0f, .B = 4, .K = 3};
    size_t n = (size_t)c.B * c.K;
    c.za = falloc(n); c.zb = falloc(n); c.probs = falloc(n);
    fill_normal(c.za, n, 1.5f, &rng);
    fill_normal(c.zb, n, 1.5f, &rng);
    float *da = falloc(n), *db = falloc(n);
    softmax_cross_entropy(c.probs, da, c.za, labels, 0.0f, c.B, c.K, NULL);
    softmax_cross_entropy(c.probs, db, c.zb, labels, 0.0f, c.B, c.K, NULL);
    float kl = rdrop_consistency(da, db, c.za, c.zb, c.alpha, c.B, c.K);
    /* the returned term is the KL part of the loss */
    RdropCtx no_kl = c;
    no_kl.alpha = 0.0f;
    cr_expect(fabs((rdrop_loss(&c) - rdrop_loss(&no_kl)) - kl) < 1e-5, "KL term %g", (double)kl);
    gradcheck_assert("rdrop logits a", gradcheck(c.za, da, n, 0, 1e-2f, rdrop_loss, &c, &rng), REL_TOL, ABS_TOL);
    gradcheck_assert("rdrop logits b", gradcheck(c.zb, db, n, 0, 1e-2f, rdrop_loss, &c, &rng), REL_TOL, ABS_TOL);
    /* identical passes: no KL, no KL gradient, half of each cross-entropy gradient */
    memcpy(c.zb, c.za, n * sizeof(float));
    softmax_cross_entropy(c.probs, da, c.za, labels, 0.0f, c.B, c.K, NULL);
    softmax_cross_entropy(c.probs, db, c.zb, labels, 0.0f, c.B, c.K, NULL);
    float *half = falloc(n);
    for (size_t i = 0; i < n; i++)
        half[i] = 0.5f * da[i];
    const float kl_same = rdrop_consistency(da, db, c.za, c.zb, c.alpha, c.B, c.K);
    cr_expect_float_eq(kl_same, 0.0f, 1e-7f);
    for (size_t i = 0; i < n; i++)
        cr_expect_float_eq(da[i], half[i], 1e-7f, "entry %zu: %g vs %g", i, (double)da[i], (double)half[i]);
    free(c.za); free(c.zb); free(c.probs); free(da); free(db); free(half);
}

/* Issue 14: ReLU passes a NaN on (as torch.relu): mapped to 0 it would hide a
 * diverged layer behind finite logits. Signed zeros and infinities as max(x, 0). */
Test(layers, relu_keeps_nan)
{
    const float in[6] = {NAN, -NAN, -1.5f, -0.0f, 2.0f, INFINITY};
    float out[6];
    relu_forward(out, in, 6);
    cr_expect(isnan(out[0]));
    cr_expect(isnan(out[1]));
    cr_expect_eq(out[2], 0.0f);
    cr_expect(out[3] == 0.0f && !signbit(out[3]), "relu(-0) = +0");
    cr_expect_eq(out[4], 2.0f);
    cr_expect_eq(out[5], INFINITY);
    Rng rng;
    rng_seed(&rng, 3);
    relu_dropout_forward(out, in, 0.0f, &rng, 6); /* p = 0: nothing dropped */
    cr_expect(isnan(out[0]) && isnan(out[1]), "the fused ReLU + dropout keeps NaN too");
    cr_expect_eq(out[4], 2.0f);
}
