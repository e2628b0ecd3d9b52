/* Whole-model tests: parameter count and names, the workshop's toy training run,
 * determinism, shapes that shrink, read-outs. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "model/optim.h"
#include "fixture.h"
#include "gradcheck.h"
#include "toy_data.h"

Test(model, seed_config_counts_pytorch_parameters)
{
    ModelConfig cfg = model_config_default();
    cr_assert_eq(cfg.vocab_size, 22);
    Rng rng;
    rng_seed(&rng, 1);
    char err[256];
    Model *m = model_create(&cfg, &rng, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    cr_assert_eq(m->num_params, 353442);
    cr_assert_eq(model_param_budget(&cfg).total, 353442);
    size_t sum = 0;
    for (int i = 0; i < m->num_views; i++)
        sum += m->views[i].numel;
    cr_assert_eq(sum, 353442);
    cr_assert_eq(m->num_views, 1 + 7 * 12 + 4);
    model_free(m);
}

/* 50 full-batch Adam steps at lr 1e-3 on the toy data: the notebook's result. */
static void train_toy_seed(bool pad_mask, LayerNormKind ln, uint64_t seed, float *final_loss,
                           int *final_correct)
{
    int tokens[TOY_N * TOY_MAX_LEN], labels[TOY_N];
    ModelConfig cfg = model_config_default();
    cfg.vocab_size = toy_dataset(tokens, labels);
    cfg.pad_mask = pad_mask;
    cfg.layernorm = ln;
    Rng rng;
    rng_seed(&rng, seed);
    char err[256];
    Model *m = model_create(&cfg, &rng, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    Activations *a = activations_create(m, TOY_N, TOY_MAX_LEN);
    cr_assert_not_null(a);
    Optimizer opt;
    OptimConfig oc = optim_config_default();
    cr_assert_eq(optimizer_init(&opt, &oc, m->num_params), 0);
    float loss = 0.0f;
    int correct = 0;
    for (int step = 0; step < 50; step++) {
        model_zero_grad(m);
        cr_assert_not_null(model_forward(m, a, tokens, TOY_N, TOY_MAX_LEN, &rng));
        model_loss(a, labels, 0.0f, NULL);
        model_backward(m, a);
        optimizer_step(&opt, m->params, m->grads, oc.lr);
    }
    model_forward(m, a, tokens, TOY_N, TOY_MAX_LEN, NULL);
    loss = model_loss(a, labels, 0.0f, &correct);
    *final_loss = loss;
    *final_correct = correct;
    optimizer_free(&opt);
    activations_free(a);
    model_free(m);
}

static void train_toy(bool pad_mask, LayerNormKind ln, float *final_loss, int *final_correct)
{
    train_toy_seed(pad_mask, ln, 42, final_loss, final_correct);
}

static int compare_floats(const void *x, const void *y)
{
    float a = *(const float *)x, b = *(const float *)y;
    return (a > b) - (a < b);
}

/* One run's loss depends on its dropout draws and on the rounding of its
 * products, in PyTorch too: over torch seeds 0..9 the notebook model's eval loss
 * after 50 steps is 0.003-0.012 for 9 seeds and 0.66 (8/10 correct) for one.
 * Here too a seed's outcome changes with the OpenBLAS kernel and thread count
 * (seed 41: 10/10 and 0.006 with Haswell's kernel on one thread, 9/10 and 0.42
 * on two), so the notebook's "100 % and loss < 0.05" is checked over twenty
 * seeds, 40..59: at least 15 runs reach it and the median loss is under 0.02.
 * Measured on OpenBLAS 0.3.21 with 1 and 2 threads: 16 (Haswell and Zen, one
 * thread) or 17 runs (two threads; SkylakeX and Cooperlake either way), median
 * 0.0069-0.0075; the others are 8/10 or 9/10, or 10/10 at 0.07-0.10. */
Test(model, toy_data_trains_to_full_accuracy_notebook)
{
    enum { RUNS = 20, FIRST_SEED = 40, WANTED = 15 };
    float losses[RUNS];
    int reached = 0;
    for (int r = 0; r < RUNS; r++) {
        int correct;
        train_toy_seed(false, LAYERNORM_WORKSHOP, FIRST_SEED + (uint64_t)r, &losses[r], &correct);
        cr_log_info("notebook config, seed %d: loss %g, %d/10 correct\n", FIRST_SEED + r,
                    (double)losses[r], correct);
        reached += correct == TOY_N && losses[r] < 0.05f;
    }
    qsort(losses, RUNS, sizeof losses[0], compare_floats);
    cr_assert_lt(losses[RUNS / 2], 0.02f, "median loss %g", (double)losses[RUNS / 2]);
    cr_assert_geq(reached, WANTED, "only %d of %d runs reached 10/10 and loss < 0.05", reached,
                  RUNS);
}

Test(model, toy_data_trains_to_full_accuracy_pad_mask_and_standard_ln)
{
    float loss;
    int correct;
    train_toy(true, LAYERNORM_WORKSHOP, &loss, &correct);
    cr_log_info("pad mask, workshop LN: loss %g, %d/10 correct\n", (double)loss, correct);
    cr_expect_eq(correct, TOY_N);
    cr_expect_lt(loss, 0.05f);
    train_toy(true, LAYERNORM_STANDARD, &loss, &correct);
    cr_log_info("pad mask, standard LN: loss %g, %d/10 correct\n", (double)loss, correct);
    cr_expect_eq(correct, TOY_N);
    cr_expect_lt(loss, 0.05f);
}

/* ------------------------------------------------ names, config checks */

Test(model, views_follow_state_dict_order)
{
    ModelConfig cfg = model_config_default();
    cfg.pos_encoding = POS_ENCODING_LEARNED;
    cfg.num_layers = 2;
    Rng rng;
    rng_seed(&rng, 3);
    Model *m = model_create(&cfg, &rng, NULL, 0);
    cr_assert_not_null(m);
    static const char *const want[] = {
        "encoder.embedding.weight", "encoder.pos_encoding.pe",
        "encoder.layers.0.attention.qkv_layer.weight", "encoder.layers.0.attention.qkv_layer.bias",
        "encoder.layers.0.attention.linear_layer.weight", "encoder.layers.0.attention.linear_layer.bias",
        "encoder.layers.0.norm1.gamma", "encoder.layers.0.norm1.beta",
        "encoder.layers.0.ffn.linear1.weight", "encoder.layers.0.ffn.linear1.bias",
        "encoder.layers.0.ffn.linear2.weight", "encoder.layers.0.ffn.linear2.bias",
        "encoder.layers.0.norm2.gamma", "encoder.layers.0.norm2.beta",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_expect_str_eq(m->views[i].name, want[i]);
    cr_assert_eq(m->num_views, 2 + 2 * 12 + 4);
    cr_expect_str_eq(m->views[m->num_views - 4].name, "classifier.0.weight");
    cr_expect_str_eq(m->views[m->num_views - 1].name, "classifier.3.bias");
    const ParamView *qkv = model_find_view(m, "encoder.layers.1.attention.qkv_layer.weight");
    cr_assert_not_null(qkv);
    cr_expect_eq(qkv->shape[0], 3 * 64);
    cr_expect_eq(qkv->shape[1], 64);
    cr_expect_eq(m->params + qkv->offset, model_layer_params(m, 1).qkv_w);
    cr_expect_eq(m->grads + qkv->offset, model_layer_grads(m, 1).qkv_w);
    cr_expect_null(model_find_view(m, "encoder.layers.2.norm1.gamma"));
    /* views tile the buffer without gaps */
    size_t offset = 0;
    for (int i = 0; i < m->num_views; i++) {
        cr_expect_eq(m->views[i].offset, offset);
        offset += m->views[i].numel;
    }
    cr_expect_eq(offset, m->num_params);
    ParamBudget pb = model_param_budget(&cfg);
    cr_expect_eq(pb.pos_encoding, 10 * 64);
    cr_expect_eq(pb.total, m->num_params);
    cr_expect_eq(pb.per_layer, 49984);
    /* LayerNorm init: gamma 1, beta 0 */
    LayerWeights lw = model_layer_params(m, 0);
    cr_expect_eq(lw.ln1_g[5], 1.0f);
    cr_expect_eq(lw.ln2_b[5], 0.0f);
    model_free(m);
}

/* Every view knows its part of the model and its layer, from the name's own
 * prefix, and model_view_index finds the first of each part, with and without
 * the learned PE table. */
Test(model, views_know_role_and_layer)
{
    for (int learned = 0; learned <= 1; learned++) {
        ModelConfig cfg = model_config_default();
        cfg.pos_encoding = learned ? POS_ENCODING_LEARNED : POS_ENCODING_SINUSOIDAL;
        cfg.num_layers = 3;
        Rng rng;
        rng_seed(&rng, 3);
        Model *m = model_create(&cfg, &rng, NULL, 0);
        cr_assert_not_null(m);
        int first[4] = {-1, -1, -1, -1}, first_of_layer[3] = {-1, -1, -1};
        for (int i = 0; i < m->num_views; i++) {
            const ParamView *v = &m->views[i];
            int layer = -1;
            ParamRole role = PARAM_CLASSIFIER;
            if (sscanf(v->name, "encoder.layers.%d.", &layer) == 1)
                role = PARAM_ENCODER_LAYER;
            else if (strcmp(v->name, "encoder.embedding.weight") == 0)
                role = PARAM_TOKEN_EMBEDDING;
            else if (strcmp(v->name, "encoder.pos_encoding.pe") == 0)
                role = PARAM_POS_EMBEDDING;
            else
                cr_expect_eq(strncmp(v->name, "classifier.", 11), 0, "%s", v->name);
            cr_expect_eq(v->role, role, "%s: role %d", v->name, (int)v->role);
            cr_expect_eq(v->layer, layer, "%s: layer %d", v->name, v->layer);
            if (first[role] < 0)
                first[role] = i;
            if (layer >= 0 && first_of_layer[layer] < 0)
                first_of_layer[layer] = i;
        }
        for (int r = PARAM_TOKEN_EMBEDDING; r <= PARAM_CLASSIFIER; r++)
            if (r != PARAM_ENCODER_LAYER)
                cr_expect_eq(model_view_index(m, (ParamRole)r, -1), first[r], "role %d", r);
        cr_expect_eq(first[PARAM_POS_EMBEDDING] >= 0, learned);
        for (int l = 0; l < 3; l++)
            cr_expect_eq(model_view_index(m, PARAM_ENCODER_LAYER, l), first_of_layer[l]);
        cr_expect_eq(model_view_index(m, PARAM_ENCODER_LAYER, 3), -1);
        cr_expect_eq(model_view_index(m, PARAM_ENCODER_LAYER, -1), -1);
        cr_expect_eq(model_view_index(m, PARAM_ENCODER_LAYER, 1) -
                         model_view_index(m, PARAM_ENCODER_LAYER, 0), MODEL_LAYER_TENSORS);
        model_free(m);
    }
}

Test(model, config_errors_name_the_field)
{
    char err[256];
    ModelConfig cfg = model_config_default();
    cfg.num_heads = 5;
    cr_expect_eq(model_config_validate(&cfg, err, sizeof err), -1);
    cr_expect(strstr(err, "num_heads") != NULL, "%s", err);
    cfg = model_config_default();
    cfg.dropout = 1.0f;
    cr_expect_eq(model_config_validate(&cfg, err, sizeof err), -1);
    cr_expect(strstr(err, "dropout") != NULL, "%s", err);
    cfg = model_config_default();
    cfg.d_model = 63;
    cfg.num_heads = 1;
    Rng rng;
    rng_seed(&rng, 1);
    cr_expect_null(model_create(&cfg, &rng, err, sizeof err));
    cr_expect(strstr(err, "d_model") != NULL, "%s", err);
    cfg = model_config_default();
    cr_expect_eq(model_config_validate(&cfg, err, sizeof err), 0);
}

Test(model, flops_per_token_matches_reference_formula)
{
    /* bench_ref.py: 6*P_mm*B*T + 6*P_cls*B + 12*L*B*T^2*d per training step */
    ModelConfig cfg = model_config_default();
    const double B = 10, T = 10, d = 64, L = 7;
    const double p_mm = L * (3 * d * d + d * d + 2 * d * 256), p_cls = d * 32 + 32 * 2;
    const double want = (6 * p_mm * B * T + 6 * p_cls * B + 12 * L * B * T * T * d) / (B * T);
    double fwd, train;
    model_flops_per_token(&cfg, 10, &fwd, &train);
    cr_expect(fabs(train - want) < 1e-6 * want, "%g vs %g", train, want);
    cr_expect(fabs(fwd * 3.0 - train) < 1e-9 * train);
}

/* ------------------------------------------- whole-model gradient check
 * Loss w.r.t. 8 sampled entries of every parameter tensor, eps 1e-2, loss in
 * double from the float logits. Tolerance: relative error of the sample <= 1e-2
 * and each entry within 2e-2 * max|grad| (measured: <= 6e-3, the worst on the
 * tiniest gradients, ~1e-4 qkv biases, where float noise ~1e-6 dominates). */

typedef struct {
    Model *m;
    Activations *a;
    const int *tokens, *labels;
    int B, T;
    float smoothing;
    bool dropout;
} ModelCtx;

/* The loss in double from the float logits: no rounding of the loss itself. */
static double model_probe_loss(void *p)
{
    ModelCtx *c = p;
    Rng rng;
    rng_seed(&rng, 1234); /* same dropout masks on every evaluation */
    const float *logits = model_forward(c->m, c->a, c->tokens, c->B, c->T, c->dropout ? &rng : NULL);
    cr_assert_not_null(logits);
    const int K = c->m->cfg.num_classes;
    double total = 0.0;
    for (int b = 0; b < c->B; b++) {
        const float *z = logits + b * K;
        double maxv = z[0], sum = 0.0;
        for (int k = 1; k < K; k++)
            maxv = fmax(maxv, z[k]);
        for (int k = 0; k < K; k++)
            sum += exp(z[k] - maxv);
        double lse = maxv + log(sum);
        for (int k = 0; k < K; k++) {
            double target = c->smoothing / K + (k == c->labels[b] ? 1.0 - c->smoothing : 0.0);
            total += target * (lse - z[k]);
        }
    }
    return total / c->B;
}

static void check_model_gradients(ModelConfig cfg, float smoothing, const char *label)
{
    static const int tokens[3 * 5] = {
        5, 3, 9, 2, 7,
        4, 11, 6, 0, 0,
        8, 1, 0, 0, 0,
    };
    static const int labels[3] = {2, 0, 1};
    Rng rng;
    rng_seed(&rng, 2024);
    char err[256];
    Model *m = model_create(&cfg, &rng, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    /* The loss is piecewise smooth: every ReLU pre-activation within eps of 0
     * puts a kink inside the finite difference of every parameter upstream.
     * Biases of +-2 in front of each ReLU keep the pre-activations (sd ~0.6)
     * clear of 0, while half the units stay off (their gradient is 0). */
    ModelWeights mw = model_params(m);
    for (int i = 0; i < cfg.d_model / 2; i++)
        mw.cls1_b[i] = rng_uniform(&rng) < 0.5f ? -2.0f : 2.0f;
    for (int l = 0; l < cfg.num_layers; l++) {
        LayerWeights w = model_layer_params(m, l);
        for (int i = 0; i < cfg.d_ff; i++)
            w.ff1_b[i] = rng_uniform(&rng) < 0.3f ? -2.0f : 2.0f;
        /* Non-trivial LayerNorm parameters, so their gradients are exercised. */
        for (int i = 0; i < cfg.d_model; i++) {
            w.ln1_g[i] += 0.2f * rng_normal(&rng);
            w.ln2_g[i] += 0.2f * rng_normal(&rng);
            w.ln1_b[i] = 0.1f * rng_normal(&rng);
            w.ln2_b[i] = 0.1f * rng_normal(&rng);
        }
    }
    Activations *a = activations_create(m, 4, cfg.max_len); /* reserved larger than used */
    cr_assert_not_null(a);
    ModelCtx c = {m, a, tokens, labels, 3, 5, smoothing, cfg.dropout > 0.0f};

    model_zero_grad(m);
    double probe = model_probe_loss(&c);
    float loss = model_loss(a, labels, smoothing, NULL);
    cr_expect(fabs(loss - probe) < 1e-5 * fmax(1.0, probe), "%s: loss %g vs probe %g", label,
              (double)loss, probe);
    model_backward(m, a);
    float *analytic = malloc(m->num_params * sizeof(float));
    cr_assert_not_null(analytic);
    memcpy(analytic, m->grads, m->num_params * sizeof(float));

    for (int i = 0; i < m->num_views; i++) {
        const ParamView *v = &m->views[i];
        char what[160];
        snprintf(what, sizeof what, "%s %s", label, v->name);
        double max_grad = 0.0;
        for (size_t j = 0; j < v->numel; j++)
            max_grad = fmax(max_grad, fabs(analytic[v->offset + j]));
        GradCheck g = gradcheck_skip_kinks(m->params + v->offset, analytic + v->offset, v->numel,
                                           8, 1e-2f, 2e-2 * fmax(max_grad, 1e-4),
                                           model_probe_loss, &c, &rng);
        cr_expect(g.skipped <= 3, "%s: %d of 8 entries at a ReLU kink", what, g.skipped);
        /* The embedding rows of unused ids and the PE rows past T have zero
         * gradient; a sample may only hit those. */
        if (g.max_abs_grad == 0.0) {
            cr_expect(g.max_abs_err < 1e-6, "%s: zero gradient but FD %g", what, g.max_abs_err);
            continue;
        }
        gradcheck_assert(what, g, 1e-2, 2e-2);
    }
    free(analytic);
    activations_free(a);
    model_free(m);
}

/* The finite-difference tests' model: small enough to perturb every parameter. */
#define GRAD_SIZES ((TinySizes){.vocab_size = 12, .d_model = 8, .d_ff = 16, .num_classes = 3, \
                                .max_len = 6})

Test(model_grad, notebook_config)
{
    ModelConfig cfg = tiny_config(GRAD_SIZES);
    cfg.pad_mask = false;
    check_model_gradients(cfg, 0.0f, "notebook");
}

Test(model_grad, pad_mask_standard_ln_learned_pe_causal_smoothing)
{
    ModelConfig cfg = tiny_config(GRAD_SIZES);
    cfg.pad_mask = true;
    cfg.causal = true;
    cfg.layernorm = LAYERNORM_STANDARD;
    cfg.pos_encoding = POS_ENCODING_LEARNED;
    check_model_gradients(cfg, 0.1f, "pad/std/learned/causal");
}

Test(model_grad, with_dropout)
{
    ModelConfig cfg = tiny_config(GRAD_SIZES);
    cfg.pad_mask = true;
    cfg.dropout = 0.2f;
    cfg.embedding_dropout = 0.1f;
    check_model_gradients(cfg, 0.0f, "dropout");
}

Test(model_grad, max_pooling)
{
    ModelConfig cfg = tiny_config(GRAD_SIZES);
    cfg.pad_mask = true;
    cfg.pooling = POOLING_MAX;
    check_model_gradients(cfg, 0.1f, "max pooling");
}

/* ------------------------------------------ determinism and shapes */

/* 5 training steps with dropout; returns the losses. */
static void run_steps(uint64_t seed, float *losses)
{
    int tokens[TOY_N * TOY_MAX_LEN], labels[TOY_N];
    ModelConfig cfg = model_config_default();
    cfg.vocab_size = toy_dataset(tokens, labels);
    Rng rng;
    rng_seed(&rng, seed);
    Model *m = model_create(&cfg, &rng, NULL, 0);
    cr_assert_not_null(m);
    Activations *a = activations_create(m, TOY_N, TOY_MAX_LEN);
    Optimizer opt;
    OptimConfig oc = optim_config_default();
    oc.kind = OPTIM_ADAMW;
    oc.weight_decay = 0.01f;
    oc.clip_norm = 1.0f;
    cr_assert_eq(optimizer_init(&opt, &oc, m->num_params), 0);
    for (int step = 0; step < 5; step++) {
        model_zero_grad(m);
        cr_assert_not_null(model_forward(m, a, tokens, TOY_N, TOY_MAX_LEN, &rng));
        losses[step] = model_loss(a, labels, 0.1f, NULL);
        model_backward(m, a);
        grad_clip(m->grads, m->num_params, oc.clip_norm);
        optimizer_step(&opt, m->params, m->grads, oc.lr);
    }
    optimizer_free(&opt);
    activations_free(a);
    model_free(m);
}

Test(model, same_seed_gives_bitwise_same_losses)
{
    float first[5], second[5], other[5];
    run_steps(7, first);
    run_steps(7, second);
    run_steps(8, other);
    cr_expect_eq(memcmp(first, second, sizeof first), 0, "losses differ: %.9g vs %.9g",
                 (double)first[4], (double)second[4]);
    cr_expect_neq(memcmp(first, other, sizeof first), 0, "seed 8 gave the same losses as seed 7");
    cr_log_info("seed 7 losses: %g %g %g %g %g\n", (double)first[0], (double)first[1],
                (double)first[2], (double)first[3], (double)first[4]);
}

Test(model, shorter_sequences_and_smaller_batches_in_reserved_activations)
{
    int tokens[TOY_N * TOY_MAX_LEN], labels[TOY_N];
    ModelConfig cfg = model_config_default();
    cfg.vocab_size = toy_dataset(tokens, labels);
    Rng rng;
    rng_seed(&rng, 9);
    Model *m = model_create(&cfg, &rng, NULL, 0);
    cr_assert_not_null(m);
    Activations *big = activations_create(m, TOY_N, TOY_MAX_LEN);
    cr_assert_not_null(big);
    /* The first 4 positions of every sentence ("this movie is great" is the longest). */
    const int T = 4;
    int short_tokens[TOY_N * 4];
    for (int b = 0; b < TOY_N; b++)
        memcpy(short_tokens + b * T, tokens + b * TOY_MAX_LEN, T * sizeof(int));
    Activations *exact = activations_create(m, TOY_N, T);
    float want[TOY_N * 2];
    memcpy(want, model_forward(m, exact, short_tokens, TOY_N, T, NULL), sizeof want);
    const float *got = model_forward(m, big, short_tokens, TOY_N, T, NULL);
    cr_assert_not_null(got);
    cr_expect_eq(memcmp(got, want, sizeof want), 0, "T = 4 in (10, 10) activations differs");

    /* Batch 1, each sentence alone, agrees with its row of the batch. */
    for (int b = 0; b < TOY_N; b++) {
        const float *one = model_forward(m, big, short_tokens + b * T, 1, T, NULL);
        for (int k = 0; k < 2; k++)
            cr_expect(fabsf(one[k] - want[b * 2 + k]) <= 1e-5f * (1.0f + fabsf(want[b * 2 + k])),
                      "row %d: %g vs %g", b, (double)one[k], (double)want[b * 2 + k]);
    }
    /* Shapes beyond the reservation are refused, not overrun. */
    cr_expect_null(model_forward(m, exact, tokens, TOY_N, TOY_MAX_LEN, NULL));
    cr_expect_null(model_forward(m, big, tokens, TOY_N + 1, TOY_MAX_LEN, NULL));
    int bad = cfg.vocab_size;
    cr_expect_null(model_forward(m, big, &bad, 1, 1, NULL));
    activations_free(exact);
    activations_free(big);
    model_free(m);
}

/* A refused forward says why, naming the input; a forward that runs clears it. */
Test(model, refused_forward_says_why)
{
    ModelConfig cfg = model_config_default();
    Rng rng;
    rng_seed(&rng, 9);
    Model *m = model_create(&cfg, &rng, NULL, 0);
    cr_assert_not_null(m);
    Activations *a = activations_create(m, 2, 5);
    cr_assert_not_null(a);
    cr_expect_str_eq(model_forward_error(a), "");
    int tokens[3 * 6] = {2, 3, 4, 0, 0, 0, 5, 6, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0};
    cr_expect_null(model_forward(m, a, tokens, 3, 6, NULL));
    cr_expect_str_eq(model_forward_error(a),
                     "a batch of 3 x 6 tokens does not fit the 2 x 5 these activations were "
                     "made for");
    cr_expect_null(model_forward(m, a, tokens, 0, 5, NULL));
    cr_expect_str_eq(model_forward_error(a), "a batch of 0 x 5 tokens is empty");
    tokens[5 + 3] = 22;
    cr_expect_null(model_forward(m, a, tokens, 2, 5, NULL));
    cr_expect_str_eq(model_forward_error(a),
                     "token id 22 (sequence 2, position 4) is outside the vocabulary [0, 22)");
    tokens[5 + 3] = 0;
    cr_expect_not_null(model_forward(m, a, tokens, 2, 5, NULL));
    cr_expect_str_eq(model_forward_error(a), "");

    ModelConfig wide = cfg;
    wide.d_model = 32;
    Model *other = model_create(&wide, &rng, NULL, 0);
    cr_assert_not_null(other);
    cr_expect_null(model_forward(other, a, tokens, 2, 5, NULL));
    cr_expect_str_eq(model_forward_error(a),
                     "these activations were made for a model with d_model 64, not 32");
    model_free(other);
    activations_free(a);
    model_free(m);
}

/* With the padding mask, trailing PADs change nothing; without it (the
 * notebook) they do, which is why the notebook calls "great story" negative. */
Test(model, pad_mask_makes_padding_irrelevant)
{
    for (int masked = 0; masked <= 1; masked++) {
        ModelConfig cfg = model_config_default();
        cfg.pad_mask = masked;
        Rng rng;
        rng_seed(&rng, 10);
        Model *m = model_create(&cfg, &rng, NULL, 0);
        cr_assert_not_null(m);
        Activations *a = activations_create(m, 1, 10);
        const int unpadded[2] = {9, 17};
        const int padded[10] = {9, 17, 0, 0, 0, 0, 0, 0, 0, 0};
        float short_logits[2];
        memcpy(short_logits, model_forward(m, a, unpadded, 1, 2, NULL), sizeof short_logits);
        const float *long_logits = model_forward(m, a, padded, 1, 10, NULL);
        float diff = fmaxf(fabsf(short_logits[0] - long_logits[0]), fabsf(short_logits[1] - long_logits[1]));
        if (masked) {
            cr_expect(diff < 1e-5f, "pad mask on: padding moved the logits by %g", (double)diff);
            /* PAD keys get exactly zero attention */
            const float *att = activations_attention(a, 3);
            for (int h = 0; h < cfg.num_heads; h++)
                for (int t = 0; t < 10; t++)
                    for (int s = 2; s < 10; s++)
                        cr_expect_eq(att[(h * 10 + t) * 10 + s], 0.0f);
        } else {
            cr_expect(diff > 1e-3f, "pad mask off: padding should matter (diff %g)", (double)diff);
        }
        activations_free(a);
        model_free(m);
    }
}

/* The classifier's probabilities come from the forward: the same bits before
 * and after model_loss (whose cross-entropy uses them), and the rounded double
 * softmax of the logits. */
Test(model, probs_are_the_same_with_or_without_a_loss)
{
    int tokens[TOY_N * TOY_MAX_LEN], labels[TOY_N];
    ModelConfig cfg = model_config_default();
    cfg.vocab_size = toy_dataset(tokens, labels);
    cfg.num_classes = 3;
    for (int b = 0; b < TOY_N; b++)
        labels[b] = b % 3;
    Rng rng;
    rng_seed(&rng, 13);
    Model *m = model_create(&cfg, &rng, NULL, 0);
    cr_assert_not_null(m);
    Activations *a = activations_create(m, TOY_N, TOY_MAX_LEN);
    cr_assert_not_null(a);
    const float *logits = model_forward(m, a, tokens, TOY_N, TOY_MAX_LEN, NULL);
    cr_assert_not_null(logits);
    float before[TOY_N * 3];
    memcpy(before, activations_probs(a), sizeof before);
    for (int b = 0; b < TOY_N; b++) {
        const float *z = logits + b * 3;
        double maxv = fmax(fmax(z[0], z[1]), z[2]), sum = 0.0;
        for (int k = 0; k < 3; k++)
            sum += exp((double)z[k] - maxv);
        for (int k = 0; k < 3; k++) {
            float want = (float)exp((double)z[k] - (maxv + log(sum)));
            cr_expect_eq(before[b * 3 + k], want, "row %d class %d: %.9g vs %.9g", b, k,
                         (double)before[b * 3 + k], (double)want);
        }
    }
    model_loss(a, labels, 0.1f, NULL);
    cr_expect_eq(memcmp(before, activations_probs(a), sizeof before), 0,
                 "probabilities changed by model_loss");
    activations_free(a);
    model_free(m);
}

Test(model, read_outs)
{
    int tokens[TOY_N * TOY_MAX_LEN], labels[TOY_N];
    ModelConfig cfg = model_config_default();
    cfg.vocab_size = toy_dataset(tokens, labels);
    cfg.causal = true;
    Rng rng;
    rng_seed(&rng, 12);
    Model *m = model_create(&cfg, &rng, NULL, 0);
    Activations *a = activations_create(m, TOY_N, TOY_MAX_LEN);
    const float *logits = model_forward(m, a, tokens, TOY_N, TOY_MAX_LEN, NULL);
    cr_assert_not_null(logits);
    /* probabilities without a loss call: softmax of the logits */
    const float *probs = activations_probs(a);
    for (int b = 0; b < TOY_N; b++) {
        cr_expect(fabsf(probs[b * 2] + probs[b * 2 + 1] - 1.0f) < 1e-6f);
        float want = 1.0f / (1.0f + expf(logits[b * 2 + 1] - logits[b * 2]));
        cr_expect(fabsf(probs[b * 2] - want) < 1e-6f);
    }
    /* causal: the first query sees only itself */
    for (int l = 0; l < cfg.num_layers; l++) {
        const float *att = activations_attention(a, l);
        cr_assert_not_null(att);
        cr_expect_eq(att[0], 1.0f);
        cr_expect_eq(att[1], 0.0f);
    }
    cr_expect_null(activations_attention(a, cfg.num_layers));
    /* layer norms: after the embedding, the mean norm of emb*sqrt(C) + PE;
     * after a workshop LayerNorm with gamma 1, beta 0, about sqrt(C - 1). */
    float norms[8];
    activations_layer_norms(a, 3, norms); /* "wonderful story": 2 tokens */
    double want0 = 0.0;
    float pe[2 * 64];
    positional_encoding_sinusoidal(pe, 2, 64);
    const float *emb = model_params(m).tok_emb;
    for (int t = 0; t < 2; t++) {
        double ss = 0.0;
        for (int c = 0; c < 64; c++) {
            double v = emb[tokens[3 * TOY_MAX_LEN + t] * 64 + c] * 8.0 + pe[t * 64 + c];
            ss += v * v;
        }
        want0 += sqrt(ss) / 2.0;
    }
    cr_expect(fabs(norms[0] - want0) < 1e-3 * want0, "norm after embedding %g vs %g",
              (double)norms[0], want0);
    for (int l = 1; l <= cfg.num_layers; l++)
        cr_expect(fabsf(norms[l] - sqrtf(63.0f)) < 0.01f, "norm after layer %d: %g", l - 1,
                  (double)norms[l]);
    const float *pooled = activations_pooled(a);
    cr_assert_not_null(pooled);
    activations_free(a);
    model_free(m);
}

Test(model, initialisation_follows_pytorch_defaults)
{
    ModelConfig cfg = model_config_default();
    cfg.vocab_size = 500;
    cfg.pos_encoding = POS_ENCODING_LEARNED;
    Rng rng;
    rng_seed(&rng, 13);
    Model *m = model_create(&cfg, &rng, NULL, 0);
    cr_assert_not_null(m);
    /* Embedding N(0, 1) */
    const ParamView *emb = model_find_view(m, "encoder.embedding.weight");
    double sum = 0.0, sq = 0.0;
    for (size_t i = 0; i < emb->numel; i++) {
        sum += m->params[emb->offset + i];
        sq += (double)m->params[emb->offset + i] * m->params[emb->offset + i];
    }
    double mean = sum / emb->numel, sd = sqrt(sq / emb->numel - mean * mean);
    cr_expect(fabs(mean) < 0.02 && fabs(sd - 1.0) < 0.02, "embedding mean %g sd %g", mean, sd);
    /* learned PE N(0, 0.02^2) */
    const ParamView *pe = model_find_view(m, "encoder.pos_encoding.pe");
    cr_assert_not_null(pe);
    sq = 0.0;
    for (size_t i = 0; i < pe->numel; i++)
        sq += (double)m->params[pe->offset + i] * m->params[pe->offset + i];
    cr_expect(fabs(sqrt(sq / pe->numel) - 0.02) < 0.003, "PE sd %g", sqrt(sq / pe->numel));
    /* Linear U(-1/sqrt(in), 1/sqrt(in)), weight and bias: ff2 has in = d_ff */
    LayerWeights w = model_layer_params(m, 2);
    float bound = 1.0f / sqrtf(256.0f), max_abs = 0.0f;
    for (int i = 0; i < 64 * 256; i++)
        max_abs = fmaxf(max_abs, fabsf(w.ff2_w[i]));
    for (int i = 0; i < 64; i++)
        max_abs = fmaxf(max_abs, fabsf(w.ff2_b[i]));
    cr_expect(max_abs <= bound && max_abs > 0.95f * bound, "ff2 max |w| %g, bound %g",
              (double)max_abs, (double)bound);
    bound = 1.0f / sqrtf(32.0f); /* classifier.3: in = d_model / 2 */
    ModelWeights mw = model_params(m);
    for (int i = 0; i < 2 * 32; i++)
        cr_expect(fabsf(mw.cls2_w[i]) <= bound);
    model_free(m);
}

Test(model, dropout_only_with_an_rng)
{
    int tokens[TOY_N * TOY_MAX_LEN], labels[TOY_N];
    ModelConfig cfg = model_config_default();
    cfg.vocab_size = toy_dataset(tokens, labels);
    Rng rng;
    rng_seed(&rng, 14);
    Model *m = model_create(&cfg, &rng, NULL, 0);
    Activations *a = activations_create(m, TOY_N, TOY_MAX_LEN);
    float eval1[2 * TOY_N], eval2[2 * TOY_N], train[2 * TOY_N];
    memcpy(eval1, model_forward(m, a, tokens, TOY_N, TOY_MAX_LEN, NULL), sizeof eval1);
    memcpy(train, model_forward(m, a, tokens, TOY_N, TOY_MAX_LEN, &rng), sizeof train);
    memcpy(eval2, model_forward(m, a, tokens, TOY_N, TOY_MAX_LEN, NULL), sizeof eval2);
    cr_expect_eq(memcmp(eval1, eval2, sizeof eval1), 0, "eval forward is not repeatable");
    cr_expect_neq(memcmp(eval1, train, sizeof eval1), 0, "dropout changed nothing");
    /* embedding_dropout 0 with dropout 0: an rng changes nothing */
    cfg.dropout = 0.0f;
    cfg.embedding_dropout = 0.0f;
    Model *m0 = model_create(&cfg, &rng, NULL, 0);
    Activations *a0 = activations_create(m0, TOY_N, TOY_MAX_LEN);
    memcpy(eval1, model_forward(m0, a0, tokens, TOY_N, TOY_MAX_LEN, NULL), sizeof eval1);
    memcpy(train, model_forward(m0, a0, tokens, TOY_N, TOY_MAX_LEN, &rng), sizeof train);
    cr_expect_eq(memcmp(eval1, train, sizeof eval1), 0);
    activations_free(a0);
    model_free(m0);
    activations_free(a);
    model_free(m);
}
