/* The embedded toy dataset does its job: a model with the default configuration,
 * trained on the train part, classifies the held-out sentences (new combinations
 * of the same words, "great story", "terrible and boring") correctly.
 * Plain model-core training loop (no trainer), so it checks data + defaults only. */
#include <criterion/criterion.h>
#include <string.h>

#include "config.h"
#include "dataset.h"
#include "model/model.h"
#include "model/optim.h"

static int longest(const EncodedDataset *e)
{
    int t = 1;
    for (int i = 0; i < e->n; i++)
        if (e->len[i] > t) t = e->len[i];
    return t;
}

/* Copies rows idx[0..B) of e, first T columns, into tokens (B, T). */
static void gather(int *tokens, int *labels, const EncodedDataset *e, const int *idx, int B, int T)
{
    for (int b = 0; b < B; b++) {
        memcpy(tokens + b * T, e->ids + (size_t)idx[b] * e->max_len, (size_t)T * sizeof *tokens);
        labels[b] = e->label[idx[b]];
    }
}

Test(toy_training, default_model_classifies_held_out_sentences, .timeout = 100)
{
    AppConfig cfg = app_config_default();
    Dataset *train = dataset_embedded_train(), *held = dataset_embedded_heldout();
    cr_assert(train && held);
    const TokenizerConfig *tc = &cfg.data.tokenizer;
    Vocab *vocab = vocab_from_dataset(train, tc, cfg.data.min_freq, cfg.data.max_vocab);
    cr_assert_not_null(vocab);
    EncodedDataset *etrain = dataset_encode(train, tc, vocab, cfg.model.max_len);
    EncodedDataset *eheld = dataset_encode(held, tc, vocab, cfg.model.max_len);
    cr_assert(etrain && eheld);

    ModelConfig mc = cfg.model;
    mc.vocab_size = vocab_size(vocab);
    mc.num_classes = train->num_classes;
    Rng rng;
    rng_seed(&rng, cfg.train.seed);
    char err[256];
    Model *m = model_create(&mc, &rng, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    Optimizer opt;
    cr_assert_eq(optimizer_init(&opt, &cfg.train.optim, m->num_params), 0);

    const int B = cfg.train.batch_size, T = longest(etrain);
    Activations *act = activations_create(m, B, T);
    cr_assert_not_null(act);
    int *order = malloc((size_t)etrain->n * sizeof *order);
    int *tokens = malloc((size_t)B * T * sizeof *tokens), labels[256];
    for (int i = 0; i < etrain->n; i++) order[i] = i;
    for (int epoch = 0; epoch < cfg.train.epochs; epoch++) {
        rng_shuffle(&rng, order, etrain->n);
        for (int start = 0; start + B <= etrain->n; start += B) { /* drop the last partial batch */
            gather(tokens, labels, etrain, order + start, B, T);
            model_zero_grad(m);
            model_forward(m, act, tokens, B, T, &rng);
            float loss = model_loss(act, labels, cfg.train.label_smoothing, NULL);
            cr_assert(loss == loss, "loss is NaN at epoch %d", epoch);
            model_backward(m, act);
            grad_clip(m->grads, m->num_params, cfg.train.optim.clip_norm);
            optimizer_step(&opt, m->params, m->grads, cfg.train.optim.lr);
        }
    }

    /* Held-out sentences, all in one evaluation batch. */
    const int H = eheld->n, TH = longest(eheld);
    Activations *eval = activations_create(m, H, TH);
    cr_assert_not_null(eval);
    int *htokens = malloc((size_t)H * TH * sizeof *htokens), *hidx = malloc((size_t)H * sizeof *hidx);
    int *hlabels = malloc((size_t)H * sizeof *hlabels);
    for (int i = 0; i < H; i++) hidx[i] = i;
    gather(htokens, hlabels, eheld, hidx, H, TH);
    model_forward(m, eval, htokens, H, TH, NULL);
    const float *probs = activations_probs(eval);
    int correct = 0;
    for (int i = 0; i < H; i++) {
        int pred = probs[2 * i + 1] > probs[2 * i] ? 1 : 0;
        correct += pred == hlabels[i];
        if (pred != hlabels[i])
            cr_log_info("held-out miss: \"%s\" (label %d, P(positive) %.3f)", held->text[i], hlabels[i],
                        (double)probs[2 * i + 1]);
        if (strcmp(held->text[i], "great story") == 0)
            cr_expect_gt(probs[2 * i + 1], 0.9f, "\"great story\": P(positive) = %.3f", (double)probs[2 * i + 1]);
        if (strcmp(held->text[i], "terrible and boring") == 0)
            cr_expect_lt(probs[2 * i + 1], 0.1f, "\"terrible and boring\": P(positive) = %.3f",
                         (double)probs[2 * i + 1]);
    }
    cr_log_info("held-out accuracy %d/%d", correct, H);
    cr_expect_geq(correct * 100, H * 90, "held-out accuracy %d/%d below 90%%", correct, H);

    free(htokens); free(hidx); free(hlabels); free(tokens); free(order);
    activations_free(eval);
    activations_free(act);
    optimizer_free(&opt);
    model_free(m);
    encoded_dataset_free(etrain);
    encoded_dataset_free(eheld);
    vocab_free(vocab);
    dataset_free(train);
    dataset_free(held);
}
