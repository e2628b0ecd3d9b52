/* Adversarial training's pieces: the gradient w.r.t. the embedded input that
 * model_backward leaves (activations_embedding_grad) against finite differences
 * of the loss through model_forward_perturbed, and the fast-gradient perturbation
 * (adversarial.h): its norm per sentence and that, for a small eps, it raises
 * the loss by eps * ||g|| to first order, more than a random push of that norm. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "gradcheck.h"
#include "model/adversarial.h"
#include "model/model.h"

#define B 3
#define T 5

static const int tokens[B * T] = {
    5, 3, 9, 2, 7,
    4, 11, 6, 0, 0,
    8, 1, 0, 0, 0,
};
static const int labels[B] = {1, 0, 1};

typedef struct {
    Model *m;
    Activations *a;
    float *delta; /* (B, T, C) the perturbation fed to the forward */
    bool dropout;
} AdvCtx;

/* Batch-mean cross-entropy in double from the float logits; the same dropout masks
 * on every call. */
static double perturbed_loss(void *p)
{
    AdvCtx *c = p;
    Rng rng;
    rng_seed(&rng, 99);
    const float *z = model_forward_perturbed(c->m, c->a, tokens, B, T, c->dropout ? &rng : NULL,
                                             c->delta);
    cr_assert_not_null(z);
    const int K = c->m->cfg.num_classes;
    double total = 0.0;
    for (int b = 0; b < B; b++) {
        const float *zb = z + b * K;
        double maxv = fmax(zb[0], zb[1]);
        double lse = maxv + log(exp(zb[0] - maxv) + exp(zb[1] - maxv));
        total += lse - zb[labels[b]];
    }
    return total / B;
}

static Model *tiny_model(PoolingKind pooling, float dropout)
{
    ModelConfig cfg = tiny_config((TinySizes){.vocab_size = 12, .d_model = 8, .d_ff = 16,
                                              .num_classes = 2, .max_len = 6});
    cfg.dropout = dropout;
    cfg.pad_mask = true;
    cfg.pooling = pooling;
    Rng rng;
    rng_seed(&rng, 31);
    char err[256];
    Model *m = model_create(&cfg, &rng, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    return m;
}

/* The analytic gradient at delta = 0 (after one forward/loss/backward), copied out. */
static float *embedding_grad(AdvCtx *c)
{
    const size_t n = (size_t)B * T * c->m->cfg.d_model;
    perturbed_loss(c);
    model_zero_grad(c->m);
    Rng rng;
    rng_seed(&rng, 99);
    cr_assert_not_null(model_forward_perturbed(c->m, c->a, tokens, B, T, c->dropout ? &rng : NULL,
                                               c->delta));
    model_loss(c->a, labels, 0.0f, NULL);
    model_backward(c->m, c->a);
    float *g = malloc(n * sizeof(float));
    cr_assert_not_null(g);
    memcpy(g, activations_embedding_grad(c->a), n * sizeof(float));
    return g;
}

static void check_embedding_grad(PoolingKind pooling, float dropout, const char *what)
{
    Model *m = tiny_model(pooling, dropout);
    const size_t n = (size_t)B * T * m->cfg.d_model;
    AdvCtx c = {m, activations_create(m, B, T), calloc(n, sizeof(float)), dropout > 0.0f};
    cr_assert_not_null(c.a);
    cr_assert_not_null(c.delta);
    float *g = embedding_grad(&c);
    /* PAD positions feed nothing that is pooled and are masked as keys: no gradient. */
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            if (tokens[b * T + t] == MODEL_PAD_ID)
                for (int k = 0; k < m->cfg.d_model; k++)
                    cr_expect_eq(g[((size_t)b * T + t) * m->cfg.d_model + k], 0.0f,
                                 "%s: gradient at PAD (%d, %d)", what, b, t);
    Rng rng;
    rng_seed(&rng, 5);
    double max_grad = 0.0;
    for (size_t i = 0; i < n; i++)
        max_grad = fmax(max_grad, fabs(g[i]));
    GradCheck gc = gradcheck_skip_kinks(c.delta, g, n, 40, 1e-2f, 2e-2 * max_grad,
                                        perturbed_loss, &c, &rng);
    cr_expect(gc.skipped <= 4, "%s: %d of 40 entries at a kink", what, gc.skipped);
    gradcheck_assert(what, gc, 1e-2, 2e-2);
    free(g);
    free(c.delta);
    activations_free(c.a);
    model_free(m);
}

Test(adversarial, embedding_grad_matches_finite_differences)
{
    check_embedding_grad(POOLING_MEAN, 0.0f, "mean pooling");
}

Test(adversarial, embedding_grad_with_max_pooling_and_dropout)
{
    check_embedding_grad(POOLING_MAX, 0.2f, "max pooling, dropout");
}

Test(adversarial, perturbation_has_norm_eps_per_sentence)
{
    const int C = 4;
    float grad[2 * 3 * 4], delta[2 * 3 * 4];
    for (int i = 0; i < 12; i++)
        grad[i] = (float)(i % 5) - 2.0f;
    memset(grad + 12, 0, 12 * sizeof(float)); /* a sentence without gradient */
    adversarial_perturbation(delta, grad, 0.5f, 2, 3, C);
    double ss = 0.0, dot = 0.0, gg = 0.0;
    for (int i = 0; i < 12; i++) {
        ss += (double)delta[i] * delta[i];
        dot += (double)delta[i] * grad[i];
        gg += (double)grad[i] * grad[i];
    }
    cr_expect(fabs(sqrt(ss) - 0.5) < 1e-6, "norm %g, not eps 0.5", sqrt(ss));
    cr_expect(fabs(dot - 0.5 * sqrt(gg)) < 1e-5, "not along the gradient");
    for (int i = 12; i < 24; i++)
        cr_expect_eq(delta[i], 0.0f, "zero gradient, delta[%d] = %g", i, (double)delta[i]);
}

Test(adversarial, perturbation_raises_the_loss_to_first_order)
{
    Model *m = tiny_model(POOLING_MEAN, 0.0f);
    const int C = m->cfg.d_model;
    const size_t n = (size_t)B * T * C;
    AdvCtx c = {m, activations_create(m, B, T), calloc(n, sizeof(float)), false};
    cr_assert_not_null(c.a);
    cr_assert_not_null(c.delta);
    float *g = embedding_grad(&c);
    memset(c.delta, 0, n * sizeof(float));
    const double base = perturbed_loss(&c);
    /* First order: L(delta) - L(0) = sum over sentences of g_b . delta_b = eps * sum_b ||g_b||. */
    const float eps = 1e-2f;
    double predicted = 0.0;
    for (int b = 0; b < B; b++) {
        double ss = 0.0;
        for (size_t i = 0; i < (size_t)T * C; i++)
            ss += (double)g[b * T * C + i] * g[b * T * C + i];
        predicted += eps * sqrt(ss);
    }
    adversarial_perturbation(c.delta, g, eps, B, T, C);
    const double rise = perturbed_loss(&c) - base;
    cr_expect(fabs(rise - predicted) < 0.05 * predicted, "loss rose by %g, first order says %g",
              rise, predicted);
    /* A random direction of the same norm per sentence raises it less. */
    Rng rng;
    rng_seed(&rng, 8);
    float *random_dir = malloc(n * sizeof(float));
    cr_assert_not_null(random_dir);
    fill_normal(random_dir, n, 1.0f, &rng);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            if (tokens[b * T + t] == MODEL_PAD_ID)
                memset(random_dir + ((size_t)b * T + t) * C, 0, (size_t)C * sizeof(float));
    adversarial_perturbation(c.delta, random_dir, eps, B, T, C);
    const double random_rise = perturbed_loss(&c) - base;
    cr_expect(random_rise < rise, "random push %g >= adversarial %g", random_rise, rise);
    free(random_dir);
    free(g);
    free(c.delta);
    activations_free(c.a);
    model_free(m);
}
