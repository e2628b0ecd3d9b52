/* Incremental decoding with the key/value cache (model/generate.h): the same
 * logits and attention as a full forward on the same prefix, the context limits,
 * reset, and sampling (greedy, temperature, top-k, top-p, seeded). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "gradcheck.h"
#include "model/generate.h"
#include "model/layers.h"
#include "model/model.h"

#define CTX 40

static ModelConfig gen_config(NormPlacement norm, bool tie, PosEncodingKind pe, LayerNormKind ln)
{
    ModelConfig cfg = tiny_config((TinySizes){.vocab_size = 17, .d_model = 24, .d_ff = 40,
                                              .num_classes = 0, .max_len = 48});
    cfg.task = MODEL_TASK_LM;
    cfg.num_heads = 3;
    cfg.num_layers = 3;
    cfg.norm = norm;
    cfg.tie_embeddings = tie;
    cfg.pos_encoding = pe;
    cfg.layernorm = ln;
    return cfg;
}

static Model *create(const ModelConfig *cfg, uint64_t seed)
{
    Rng rng;
    rng_seed(&rng, seed);
    char err[256];
    Model *m = model_create(cfg, &rng, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    if (cfg->tie_embeddings) { /* N(0,1) rows give logits of ~sqrt(C): keep them moderate */
        ModelWeights w = model_params(m);
        for (size_t i = 0; i < (size_t)cfg->vocab_size * cfg->d_model; i++)
            w.tok_emb[i] *= 0.3f;
    }
    return m;
}

/* Largest difference between the generator's logits and attention and those of
 * one forward over the whole prefix, relative to their largest magnitude; the
 * products differ in shape (1 row against T rows), so they round otherwise.
 * Measured on OpenBLAS 0.3.21 with the default (Cooperlake), SkylakeX, Zen and
 * Haswell kernels: <= 1.1e-6 (logits and attention); the tolerance is about ten
 * times that. */
#define GEN_TOL 1e-5

static void check_against_forward(ModelConfig cfg, const char *label)
{
    Model *m = create(&cfg, 21);
    Rng rng;
    rng_seed(&rng, 22);
    int tokens[CTX];
    for (int t = 0; t < CTX; t++)
        tokens[t] = (int)rng_below(&rng, (uint32_t)cfg.vocab_size);
    Activations *a = activations_create(m, 1, CTX);
    const float *want = model_forward(m, a, tokens, 1, CTX, NULL);
    cr_assert_not_null(want);
    char err[256], what[160];
    Generator *g = generator_create(m, CTX, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    const int V = cfg.vocab_size, NH = cfg.num_heads;
    float *got = malloc((size_t)CTX * V * sizeof(float));
    cr_assert_not_null(got);
    for (int t = 0; t < CTX; t++) {
        cr_expect_eq(generator_position(g), t);
        const float *z = generator_feed(g, tokens[t]);
        cr_assert_not_null(z);
        memcpy(got + (size_t)t * V, z, (size_t)V * sizeof(float));
    }
    snprintf(what, sizeof what, "%s: generator logits", label);
    expect_close(what, want, got, (size_t)CTX * V, GEN_TOL);
    /* a batch-1 forward's attention is (NH, T, T) as the generator's (NH, P, P), P = T */
    for (int l = 0; l < cfg.num_layers; l++) {
        snprintf(what, sizeof what, "%s: attention of layer %d", label, l);
        expect_close(what, activations_attention(a, l), generator_attention(g, l),
                     (size_t)NH * CTX * CTX, GEN_TOL);
    }
    free(got);
    generator_free(g);
    activations_free(a);
    model_free(m);
}

Test(generate, post_norm_untied_sinusoidal)
{
    check_against_forward(gen_config(NORM_POST, false, POS_ENCODING_SINUSOIDAL,
                                     LAYERNORM_WORKSHOP), "post");
}

Test(generate, pre_norm_tied_learned_standard_ln)
{
    check_against_forward(gen_config(NORM_PRE, true, POS_ENCODING_LEARNED, LAYERNORM_STANDARD),
                          "pre tied learned");
}

Test(generate, pre_norm_untied_workshop_ln)
{
    check_against_forward(gen_config(NORM_PRE, false, POS_ENCODING_SINUSOIDAL,
                                     LAYERNORM_WORKSHOP), "pre");
}

Test(generate, limits_and_reset)
{
    ModelConfig cfg = gen_config(NORM_PRE, false, POS_ENCODING_SINUSOIDAL, LAYERNORM_STANDARD);
    Model *m = create(&cfg, 23);
    char err[256];
    cr_expect_null(generator_create(m, 0, err, sizeof err));
    cr_expect(strstr(err, "between 1 and max_len = 48") != NULL, "%s", err);
    cr_expect_null(generator_create(m, 49, err, sizeof err));
    Generator *g = generator_create(m, 5, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    cr_expect_eq(generator_max_context(g), 5);
    cr_expect_null(generator_feed(g, -1));
    cr_expect_null(generator_feed(g, cfg.vocab_size));
    cr_expect_eq(generator_position(g), 0, "a refused token took a position");
    static const int seq[5] = {3, 1, 4, 1, 5};
    float first[5 * 17];
    for (int t = 0; t < 5; t++)
        memcpy(first + t * 17, generator_feed(g, seq[t]), 17 * sizeof(float));
    cr_expect_eq(generator_position(g), 5);
    cr_expect_null(generator_feed(g, 2), "fed past the context");
    cr_expect_eq(generator_position(g), 5);
    cr_expect_null(generator_attention(g, -1));
    cr_expect_null(generator_attention(g, cfg.num_layers));
    /* the causal triangle: row t sums to 1 over keys 0..t, zeros after */
    for (int l = 0; l < cfg.num_layers; l++) {
        const float *att = generator_attention(g, l);
        for (int h = 0; h < cfg.num_heads; h++)
            for (int t = 0; t < 5; t++) {
                const float *row = att + ((size_t)h * 5 + t) * 5;
                double sum = 0.0;
                for (int s = 0; s < 5; s++) {
                    if (s > t)
                        cr_expect_eq(row[s], 0.0f, "layer %d head %d query %d key %d", l, h, t, s);
                    sum += row[s];
                }
                cr_expect(fabs(sum - 1.0) < 1e-5, "row sum %g", sum);
            }
    }
    /* after a reset: position 0, empty triangle, and the same logits again
     * (same products, same shapes: the same bits) */
    generator_reset(g);
    cr_expect_eq(generator_position(g), 0);
    for (int l = 0; l < cfg.num_layers; l++) {
        const float *att = generator_attention(g, l);
        for (size_t i = 0; i < (size_t)cfg.num_heads * 25; i++)
            cr_expect_eq(att[i], 0.0f, "attention left after reset");
    }
    for (int t = 0; t < 5; t++)
        cr_expect_eq(memcmp(first + t * 17, generator_feed(g, seq[t]), 17 * sizeof(float)), 0,
                     "position %d differs after reset", t);
    generator_free(g);

    ModelConfig cls = tiny_config((TinySizes){.vocab_size = 17, .d_model = 24, .d_ff = 40,
                                              .num_classes = 2, .max_len = 8});
    Model *mc = create(&cls, 23);
    cr_expect_null(generator_create(mc, 4, err, sizeof err));
    cr_expect(strstr(err, "classifier") != NULL, "%s", err);
    model_free(mc);
    model_free(m);
}

/* The generator does not depend on the thread count (one thread, sgemv). */
static void feed_all(Generator *g, const int *tokens, int n, float *out, int V)
{
    generator_reset(g);
    for (int t = 0; t < n; t++) {
        const float *z = generator_feed(g, tokens[t]);
        cr_assert_not_null(z);
        memcpy(out + (size_t)t * V, z, (size_t)V * sizeof(float));
    }
}

Test(generate, same_bits_whatever_the_thread_count)
{
    ModelConfig cfg = gen_config(NORM_POST, false, POS_ENCODING_SINUSOIDAL, LAYERNORM_STANDARD);
    Model *m = create(&cfg, 25);
    int tokens[CTX];
    for (int t = 0; t < CTX; t++)
        tokens[t] = (t * 7 + 3) % cfg.vocab_size;
    const int V = cfg.vocab_size;
    float *one = malloc((size_t)CTX * V * sizeof(float));
    float *two = malloc((size_t)CTX * V * sizeof(float));
    cr_assert(one && two);
    char err[256];
    Generator *g = generator_create(m, CTX, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    model_set_threads(1, true);
    feed_all(g, tokens, CTX, one, V);
    model_set_threads(2, true); /* OpenBLAS at one thread, the pool at two */
    feed_all(g, tokens, CTX, two, V);
    model_set_threads(1, false);
    cr_expect_eq(memcmp(one, two, (size_t)CTX * V * sizeof(float)), 0);
    free(one);
    free(two);
    generator_free(g);
    model_free(m);
}

/* ---------------------------------------------------------------- sampling */

enum { SV = 6 };
static const float sample_logits[SV] = {1.0f, 3.0f, -1.0f, 2.5f, 3.0f, 0.0f};

static void softmax_ref(double *p, float temperature)
{
    double sum = 0.0;
    for (int v = 0; v < SV; v++)
        sum += p[v] = exp((double)sample_logits[v] / temperature);
    for (int v = 0; v < SV; v++)
        p[v] /= sum;
}

Test(sampling, greedy_takes_the_first_maximum_and_logprob)
{
    float scratch[2 * SV], lp = 0.0f;
    SamplingConfig s = {.temperature = 0.0f, .top_k = 0, .top_p = 1.0f};
    Rng rng;
    rng_seed(&rng, 1);
    const Rng before = rng;
    cr_expect_eq(sample_next_token(sample_logits, SV, &s, &rng, scratch, &lp), 1);
    cr_expect_eq(rng.state, before.state, "greedy drew a random number");
    double p[SV];
    softmax_ref(p, 1.0f);
    cr_expect(fabs(lp - log(p[1])) < 1e-6, "logprob %g vs %g", (double)lp, log(p[1]));
    /* top_k = 1 and a tiny top_p are greedy too, whatever the draw */
    s.temperature = 0.7f;
    s.top_k = 1;
    for (int i = 0; i < 20; i++)
        cr_expect_eq(sample_next_token(sample_logits, SV, &s, &rng, scratch, NULL), 1);
    s.top_k = 0;
    s.top_p = 1e-3f;
    for (int i = 0; i < 20; i++)
        cr_expect_eq(sample_next_token(sample_logits, SV, &s, &rng, scratch, NULL), 1);
}

/* 60,000 draws: each token's frequency within 5 standard deviations of the
 * probability it should have (0 outside what top-k / top-p keep). */
static void check_frequencies(const SamplingConfig *s, const double *want, const char *label)
{
    enum { DRAWS = 60000 };
    int counts[SV] = {0};
    float scratch[2 * SV];
    Rng rng;
    rng_seed(&rng, 42);
    for (int i = 0; i < DRAWS; i++) {
        int v = sample_next_token(sample_logits, SV, s, &rng, scratch, NULL);
        cr_assert(v >= 0 && v < SV);
        counts[v]++;
    }
    for (int v = 0; v < SV; v++) {
        const double f = (double)counts[v] / DRAWS;
        const double sd = sqrt(want[v] * (1.0 - want[v]) / DRAWS);
        cr_log_info("%s: token %d frequency %.4f, want %.4f\n", label, v, f, want[v]);
        if (want[v] == 0.0)
            cr_expect_eq(counts[v], 0, "%s: token %d drawn %d times", label, v, counts[v]);
        else
            cr_expect(fabs(f - want[v]) <= 5.0 * sd, "%s: token %d frequency %.4f vs %.4f", label,
                      v, f, want[v]);
    }
}

Test(sampling, temperature_top_k_top_p_frequencies)
{
    double p[SV];
    SamplingConfig s = {.temperature = 1.5f, .top_k = 0, .top_p = 1.0f};
    softmax_ref(p, 1.5f);
    check_frequencies(&s, p, "temperature 1.5");

    /* top-k 3 at temperature 1: tokens 1, 4 (tied at 3.0) and 3 (2.5) */
    s.temperature = 1.0f;
    s.top_k = 3;
    softmax_ref(p, 1.0f);
    double kept = p[1] + p[4] + p[3], want[SV] = {0};
    want[1] = p[1] / kept;
    want[4] = p[4] / kept;
    want[3] = p[3] / kept;
    check_frequencies(&s, want, "top-k 3");

    /* top-k 1 with a tie: the lower id */
    s.top_k = 1;
    double only[SV] = {0, 1, 0, 0, 0, 0};
    check_frequencies(&s, only, "top-k 1");

    /* top-p 0.7: p1 = p4 = 0.36, p3 = 0.22: 1 and 4 reach 0.72 >= 0.7 */
    s.top_k = 0;
    s.top_p = 0.7f;
    cr_assert(p[1] + p[4] >= 0.7 && p[1] < 0.7, "the fixture's probabilities changed");
    double two[SV] = {0, 0.5, 0, 0, 0.5, 0};
    check_frequencies(&s, two, "top-p 0.7");
}

Test(sampling, same_seed_same_samples)
{
    float scratch[2 * SV];
    SamplingConfig s = {.temperature = 0.9f, .top_k = 4, .top_p = 0.95f};
    int first[200], second[200], other[200];
    Rng a, b, c;
    rng_seed(&a, 7);
    rng_seed(&b, 7);
    rng_seed(&c, 8);
    for (int i = 0; i < 200; i++) {
        first[i] = sample_next_token(sample_logits, SV, &s, &a, scratch, NULL);
        second[i] = sample_next_token(sample_logits, SV, &s, &b, scratch, NULL);
        other[i] = sample_next_token(sample_logits, SV, &s, &c, scratch, NULL);
    }
    cr_expect_eq(memcmp(first, second, sizeof first), 0);
    cr_expect_neq(memcmp(first, other, sizeof first), 0);
}

/* A whole generation run: same model, seed and settings, the same text. */
Test(sampling, generation_is_reproducible)
{
    ModelConfig cfg = gen_config(NORM_PRE, false, POS_ENCODING_SINUSOIDAL, LAYERNORM_STANDARD);
    Model *m = create(&cfg, 24);
    char err[256];
    Generator *g = generator_create(m, 30, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    SamplingConfig s = {.temperature = 1.0f, .top_k = 8, .top_p = 0.9f};
    float scratch[2 * 17];
    int runs[2][29];
    for (int r = 0; r < 2; r++) {
        Rng rng;
        rng_seed(&rng, 2025);
        generator_reset(g);
        int next = 3;
        for (int t = 0; t < 29; t++) {
            const float *z = generator_feed(g, next);
            cr_assert_not_null(z);
            float lp;
            next = runs[r][t] = sample_next_token(z, cfg.vocab_size, &s, &rng, scratch, &lp);
            cr_expect(lp <= 0.0f && isfinite(lp));
        }
    }
    cr_expect_eq(memcmp(runs[0], runs[1], sizeof runs[0]), 0);
    generator_free(g);
    model_free(m);
}
