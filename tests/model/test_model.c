/* Whole-model tests: parameter count and names, the workshop's toy training run,
 * determinism, shapes that shrink, read-outs. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "model/model.h"
#include "model/optim.h"
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
static void train_toy(bool pad_mask, LayerNormKind ln, float *final_loss, int *final_correct)
{
    int tokens[TOY_N * TOY_MAX_LEN], labels[TOY_N];
    ModelConfig cfg = model_config_default();
    cfg.vocab_size = toy_dataset(tokens, labels);
    cfg.pad_mask = pad_mask;
    cfg.layernorm = ln;
    Rng rng;
    rng_seed(&rng, 42);
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

Test(model, toy_data_trains_to_full_accuracy_notebook)
{
    float loss;
    int correct;
    train_toy(false, LAYERNORM_WORKSHOP, &loss, &correct);
    cr_log_info("notebook config: loss %g, %d/10 correct\n", (double)loss, correct);
    cr_assert_eq(correct, TOY_N);
    cr_assert_lt(loss, 0.05f);
}
