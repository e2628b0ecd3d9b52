/* The read-outs the lessons and `predict --internals` use (model.h): each one
 * checked against what it must equal, recomputed here in double from the
 * parameters and the other read-outs. (tests/cli checks them against PyTorch.) */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "gradcheck.h"
#include "model/model.h"

typedef struct {
    Model *m;
    Activations *a;
    int T;
} Net;

/* Tokens (2, 6): the second sequence padded after three tokens. */
static const int tokens[2 * 6] = {5, 3, 9, 2, 7, 4, 8, 1, 6, 0, 0, 0};

static Net net_open(bool pad_mask, bool causal)
{
    ModelConfig cfg = tiny_config((TinySizes){.vocab_size = 10, .d_model = 8, .d_ff = 12,
                                              .num_classes = 3, .max_len = 6});
    cfg.pad_mask = pad_mask;
    cfg.causal = causal;
    Rng rng;
    rng_seed(&rng, 7);
    char err[256];
    Net n = {.m = model_create(&cfg, &rng, err, sizeof err), .T = 6};
    cr_assert_not_null(n.m, "%s", err);
    n.a = activations_create(n.m, 2, 6);
    cr_assert_not_null(n.a);
    cr_assert_not_null(model_forward(n.m, n.a, tokens, 2, 6, NULL), "%s",
                       model_forward_error(n.a));
    return n;
}

static void net_close(Net *n)
{
    activations_free(n->a);
    model_free(n->m);
}

/* The masked softmax of the model's scores, in double, is the forward's weights. */
static void check_scores(bool pad_mask, bool causal)
{
    Net n = net_open(pad_mask, causal);
    const ModelConfig *c = &n.m->cfg;
    const int T = n.T, NH = c->num_heads;
    float scores[36], want[36];
    for (int b = 0; b < 2; b++)
        for (int l = 0; l < c->num_layers; l++)
            for (int h = 0; h < NH; h++) {
                cr_assert_eq(activations_scores(n.a, b, l, h, scores), 0);
                const float *att = activations_attention(n.a, l) + ((size_t)b * NH + h) * T * T;
                for (int q = 0; q < T; q++) {
                    double mx = -INFINITY, sum = 0;
                    bool keep[6];
                    for (int k = 0; k < T; k++) {
                        keep[k] = !(pad_mask && tokens[b * T + k] == 0) && !(causal && k > q);
                        if (keep[k] && scores[q * T + k] > mx)
                            mx = scores[q * T + k];
                    }
                    for (int k = 0; k < T; k++)
                        sum += keep[k] ? exp(scores[q * T + k] - mx) : 0.0;
                    for (int k = 0; k < T; k++)
                        want[q * T + k] = keep[k] ? (float)(exp(scores[q * T + k] - mx) / sum) : 0.0f;
                }
                expect_close("softmax(masked scores) vs the forward's weights", want, att,
                             (size_t)T * T, 1e-5);
            }
    cr_expect_eq(activations_scores(n.a, 2, 0, 0, scores), -1, "sequence out of range");
    cr_expect_eq(activations_scores(n.a, 0, c->num_layers, 0, scores), -1, "layer out of range");
    cr_expect_eq(activations_scores(n.a, 0, 0, NH, scores), -1, "head out of range");
    net_close(&n);
}

Test(readouts, scores_are_the_weights_before_the_softmax)
{
    check_scores(false, false);
    check_scores(true, false);
    check_scores(true, true);
}

/* With the model's own mask and scale, one head recomputed is the forward's;
 * out = weights v; unscaled, the weights are softmax(q k^T) instead. */
Test(readouts, one_head_recomputed_with_another_mask_or_scale)
{
    Net n = net_open(true, false);
    const ModelConfig *c = &n.m->cfg;
    const int T = n.T, NH = c->num_heads, C = c->d_model, HS = C / NH;
    float scratch[6 * 3 * 8], w[36], out[6 * 8], want[6 * 8], scores[36];
    for (int b = 0; b < 2; b++)
        for (int h = 0; h < NH; h++) {
            const float *att = activations_attention(n.a, 1) + ((size_t)b * NH + h) * T * T;
            cr_assert_eq(activations_head_attention(n.a, b, 1, h, false, true, scratch, w, out), 0);
            expect_close("recomputed weights", att, w, (size_t)T * T, 1e-6);
            const float *v = activations_qkv(n.a, 1) + (size_t)b * T * 3 * C + h * 3 * HS + 2 * HS;
            for (int q = 0; q < T; q++)
                for (int i = 0; i < HS; i++) {
                    double s = 0;
                    for (int k = 0; k < T; k++)
                        s += (double)w[q * T + k] * v[(size_t)k * 3 * C + i];
                    want[q * HS + i] = (float)s;
                }
            expect_close("out = weights v", want, out, (size_t)T * HS, 1e-5);
            /* the causal what-if: nothing above the diagonal, rows still sum to 1 */
            cr_assert_eq(activations_head_attention(n.a, b, 1, h, true, true, scratch, w, out), 0);
            for (int q = 0; q < T; q++) {
                double sum = 0;
                for (int k = 0; k < T; k++) {
                    if (k > q)
                        cr_expect_eq(w[q * T + k], 0.0f, "causal (%d, %d) = %g", q, k, w[q * T + k]);
                    sum += w[q * T + k];
                }
                /* key 0 is never padding: no row is all masked */
                cr_expect(fabs(sum - 1.0) < 1e-5, "row %d sums to %g", q, sum);
            }
            /* unscaled: softmax of q k^T = softmax(sqrt(HS) * scores) */
            cr_assert_eq(activations_head_attention(n.a, b, 1, h, false, false, scratch, w, out), 0);
            cr_assert_eq(activations_scores(n.a, b, 1, h, scores), 0);
            double row_max_scaled = 0, row_max_unscaled = 0;
            for (int q = 0; q < T; q++) {
                double mx = -INFINITY, sum = 0, e[6];
                int nk = b == 1 ? 3 : T;
                for (int k = 0; k < nk; k++)
                    mx = fmax(mx, scores[q * T + k] * sqrt((double)HS));
                for (int k = 0; k < nk; k++)
                    sum += e[k] = exp(scores[q * T + k] * sqrt((double)HS) - mx);
                double best = 0;
                for (int k = 0; k < nk; k++) {
                    cr_expect(fabs(w[q * T + k] - e[k] / sum) < 1e-5, "unscaled (%d, %d): %g vs %g",
                              q, k, w[q * T + k], e[k] / sum);
                    best = fmax(best, w[q * T + k]);
                }
                row_max_unscaled += best;
                double best_scaled = 0;
                for (int k = 0; k < nk; k++)
                    best_scaled = fmax(best_scaled, att[q * T + k]);
                row_max_scaled += best_scaled;
            }
            /* the lesson: without the scaling, softmax is sharper */
            cr_expect_geq(row_max_unscaled, row_max_scaled - 1e-6);
        }
    cr_expect_eq(activations_head_attention(n.a, 0, 0, NH, false, true, scratch, w, out), -1);
    net_close(&n);
}

/* The layer read-outs: embedded = E[id] sqrt(C) + PE; layer 0's qkv its linear;
 * ReLU outputs >= 0; norm1 and the layer output have the LayerNorm's mean beta
 * (gamma 1, beta 0 at init: mean 0); the pooled vector the mean of the last
 * layer's real rows; the logits the forward's. */
Test(readouts, layer_buffers_are_what_they_say)
{
    Net n = net_open(true, false);
    const ModelConfig *c = &n.m->cfg;
    const int T = n.T, C = c->d_model, F = c->d_ff, L = c->num_layers;
    ModelWeights w = model_params(n.m);
    const float *emb = activations_embedded(n.a);
    for (int t = 0; t < 2 * T; t++)
        for (int i = 0; i < C; i++) {
            float want = w.tok_emb[(size_t)tokens[t] * C + i] * sqrtf((float)C) +
                         n.m->sinusoid[(size_t)(t % T) * C + i];
            cr_expect(fabsf(emb[(size_t)t * C + i] - want) < 1e-5f, "emb[%d][%d]", t, i);
        }
    LayerWeights lw = model_layer_params(n.m, 0);
    const float *qkv = activations_qkv(n.a, 0);
    for (int t = 0; t < 2 * T; t++)
        for (int o = 0; o < 3 * C; o++) {
            double s = lw.qkv_b[o];
            for (int i = 0; i < C; i++)
                s += (double)lw.qkv_w[(size_t)o * C + i] * emb[(size_t)t * C + i];
            cr_expect(fabs(qkv[(size_t)t * 3 * C + o] - s) < 1e-4, "qkv[%d][%d]", t, o);
        }
    for (int l = 0; l < L; l++) {
        const float *h = activations_ffn_hidden(n.a, l);
        for (int i = 0; i < 2 * T * F; i++)
            cr_expect_geq(h[i], 0.0f);
        const float *rows[2] = {activations_norm1(n.a, l), activations_layer_output(n.a, l)};
        for (int r = 0; r < 2; r++)
            for (int t = 0; t < 2 * T; t++) {
                double mean = 0;
                for (int i = 0; i < C; i++)
                    mean += rows[r][(size_t)t * C + i];
                cr_expect(fabs(mean / C) < 1e-5, "layer %d buffer %d row %d mean %g", l, r, t, mean);
            }
        cr_expect_not_null(activations_attention_residual(n.a, l));
        cr_expect_not_null(activations_ffn_residual(n.a, l));
    }
    cr_expect_null(activations_qkv(n.a, L));
    cr_expect_null(activations_layer_output(n.a, -1));
    const float *last = activations_layer_output(n.a, L - 1), *pooled = activations_pooled(n.a);
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < C; i++) {
            int real = b == 0 ? T : 3;
            double s = 0;
            for (int t = 0; t < real; t++)
                s += last[((size_t)b * T + t) * C + i];
            cr_expect(fabs(pooled[b * C + i] - s / real) < 1e-5, "pooled[%d][%d]", b, i);
        }
    const float *logits = model_forward(n.m, n.a, tokens, 2, 6, NULL);
    cr_expect_eq(activations_logits(n.a), logits);
    net_close(&n);
}

/* Pre-norm: the layer's output is the residual stream x + attn + ffn (what the
 * next layer's LN1 reads), not LN2 (the FFN's input). */
Test(readouts, pre_norm_layer_output_is_the_residual_stream)
{
    ModelConfig cfg = tiny_config((TinySizes){.vocab_size = 10, .d_model = 8, .d_ff = 12,
                                              .num_classes = 3, .max_len = 6});
    cfg.norm = NORM_PRE;
    cr_assert_geq(cfg.num_layers, 2);
    Rng rng;
    rng_seed(&rng, 7);
    char err[256];
    Model *m = model_create(&cfg, &rng, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    Activations *a = activations_create(m, 2, 6);
    cr_assert_not_null(a);
    cr_assert_not_null(model_forward(m, a, tokens, 2, 6, NULL), "%s", model_forward_error(a));
    const int C = cfg.d_model;
    for (int l = 0; l + 1 < cfg.num_layers; l++) {
        const float *out = activations_layer_output(a, l);
        cr_expect_eq(out, activations_ffn_residual(a, l), "layer %d", l);
        LayerWeights next = model_layer_params(m, l + 1);
        const float *ln1 = activations_norm1(a, l + 1);
        for (int t = 0; t < 12; t++) {
            const float *x = out + (size_t)t * C;
            double mean = 0, var = 0;
            for (int i = 0; i < C; i++)
                mean += x[i] / (double)C;
            for (int i = 0; i < C; i++)
                var += (x[i] - mean) * (x[i] - mean);
            /* either LayerNorm kind: compare the normalised direction, which both share */
            double dot = 0, nx = 0, ny = 0;
            for (int i = 0; i < C; i++) {
                double want = (x[i] - mean), got = (ln1[(size_t)t * C + i] - next.ln1_b[i]) /
                                                   next.ln1_g[i];
                dot += want * got;
                nx += want * want;
                ny += got * got;
            }
            cr_expect(var > 0 && dot / sqrt(nx * ny) > 1 - 1e-5,
                      "layer %d row %d: LN1 of layer %d is not a LayerNorm of this output "
                      "(cosine %g)", l, t, l + 1, dot / sqrt(nx * ny));
        }
    }
    activations_free(a);
    model_free(m);
}
