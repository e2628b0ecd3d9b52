/* Issue 15's model side: the causal language model (task lm) and pre-norm blocks.
 * Names and counts of the views (a tied head aliases the embedding), the token
 * cross-entropy and its ignored positions, finite differences for every tensor of
 * LM and pre-norm models (the pre-norm block, the final LayerNorm, the LM head tied
 * and untied), causality, batch shards, determinism and a tiny training run. */
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
#include "model/optim.h"

/* The finite-difference model: small enough to perturb every parameter. */
static ModelConfig lm_config(NormPlacement norm, bool tie)
{
    ModelConfig cfg = tiny_config((TinySizes){.vocab_size = 12, .d_model = 8, .d_ff = 16,
                                              .num_classes = 0, .max_len = 6});
    cfg.task = MODEL_TASK_LM;
    cfg.norm = norm;
    cfg.tie_embeddings = tie;
    return cfg;
}

static Model *create(const ModelConfig *cfg, uint64_t seed)
{
    Rng rng;
    rng_seed(&rng, seed);
    char err[256];
    Model *m = model_create(cfg, &rng, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    return m;
}

/* ---------------------------------------------------------- names, counts */

Test(lm, views_follow_the_decoder_state_dict)
{
    ModelConfig cfg = lm_config(NORM_PRE, false);
    cfg.pos_encoding = POS_ENCODING_LEARNED;
    cfg.num_layers = 1;
    Model *m = create(&cfg, 1);
    static const char *const want[] = {
        "decoder.embedding.weight", "decoder.pos_encoding.weight",
        "decoder.layers.0.attention.qkv_layer.weight", "decoder.layers.0.attention.qkv_layer.bias",
        "decoder.layers.0.attention.linear_layer.weight",
        "decoder.layers.0.attention.linear_layer.bias",
        "decoder.layers.0.norm1.gamma", "decoder.layers.0.norm1.beta",
        "decoder.layers.0.ffn.linear1.weight", "decoder.layers.0.ffn.linear1.bias",
        "decoder.layers.0.ffn.linear2.weight", "decoder.layers.0.ffn.linear2.bias",
        "decoder.layers.0.norm2.gamma", "decoder.layers.0.norm2.beta",
        "decoder.norm.gamma", "decoder.norm.beta", "lm_head.weight",
    };
    const int n = (int)(sizeof want / sizeof want[0]);
    cr_assert_eq(m->num_views, n);
    for (int i = 0; i < n; i++)
        cr_expect_str_eq(m->views[i].name, want[i]);
    const ParamView *head = model_find_view(m, "lm_head.weight");
    cr_expect_eq(head->role, PARAM_LM_HEAD);
    cr_expect_eq(head->shape[0], cfg.vocab_size);
    cr_expect_eq(head->shape[1], cfg.d_model);
    cr_expect_eq(model_find_view(m, "decoder.norm.gamma")->role, PARAM_FINAL_NORM);
    cr_expect_eq(model_view_index(m, PARAM_FINAL_NORM, -1), 14);
    cr_expect_eq(model_view_index(m, PARAM_LM_HEAD, -1), 16);
    cr_expect_eq(model_view_index(m, PARAM_CLASSIFIER, -1), -1);
    cr_expect_str_eq(model_sinusoid_buffer_name(&cfg), "decoder.pos_encoding.pe");
    /* untied: the head has its own storage at the end of the buffer */
    cr_expect_eq(head->offset + head->numel, m->num_params);
    cr_expect_eq(m->num_params, model_param_budget(&cfg).total);
    ModelWeights w = model_params(m);
    cr_expect_eq(w.lm_head, m->params + head->offset);
    cr_expect_null(w.cls1_w);
    model_free(m);
}

Test(lm, tied_head_is_the_embedding_counted_once)
{
    ModelConfig untied = lm_config(NORM_POST, false), tied = lm_config(NORM_POST, true);
    Model *mu = create(&untied, 2), *mt = create(&tied, 2);
    const size_t table = (size_t)tied.vocab_size * tied.d_model;
    cr_expect_eq(mt->num_params + table, mu->num_params);
    cr_expect_eq(model_param_budget(&tied).total, mt->num_params);
    cr_expect_eq(model_param_budget(&tied).lm_head, 0);
    cr_expect_eq(model_param_budget(&untied).lm_head, table);
    cr_expect_eq(mt->num_views, mu->num_views); /* lm_head.weight is listed either way */
    const ParamView *head = model_find_view(mt, "lm_head.weight");
    const ParamView *emb = model_find_view(mt, "decoder.embedding.weight");
    cr_expect_eq(head->offset, emb->offset);
    cr_expect_eq(head->numel, emb->numel);
    ModelWeights w = model_params(mt), g = model_grads(mt);
    cr_expect_eq(w.lm_head, w.tok_emb);
    cr_expect_eq(g.lm_head, g.tok_emb);
    /* Same seed, same draws up to the head: the tied model's embedding is the
     * untied one's (the head is drawn last and not at all when tied). */
    cr_expect_eq(memcmp(model_params(mu).tok_emb, w.tok_emb, table * sizeof(float)), 0);
    model_free(mu);
    model_free(mt);
}

Test(lm, post_norm_has_no_final_norm_and_classify_pre_has_one)
{
    ModelConfig cfg = lm_config(NORM_POST, false);
    Model *m = create(&cfg, 3);
    cr_expect_null(model_find_view(m, "decoder.norm.gamma"));
    cr_expect_eq(model_view_index(m, PARAM_FINAL_NORM, -1), -1);
    cr_expect_null(model_params(m).norm_g);
    model_free(m);

    ModelConfig cls = tiny_config((TinySizes){.vocab_size = 12, .d_model = 8, .d_ff = 16,
                                              .num_classes = 3, .max_len = 6});
    cls.norm = NORM_PRE;
    m = create(&cls, 3);
    const ParamView *v = model_find_view(m, "encoder.norm.beta");
    cr_assert_not_null(v);
    cr_expect_eq(v->role, PARAM_FINAL_NORM);
    cr_expect_str_eq(m->views[model_view_index(m, PARAM_CLASSIFIER, -1)].name,
                     "classifier.0.weight");
    cr_expect_eq(m->num_params, model_param_budget(&cls).total);
    cr_expect_eq(model_param_budget(&cls).final_norm, 2 * 8);
    model_free(m);
}

Test(lm, config_errors_name_the_field)
{
    char err[256];
    ModelConfig cfg = model_config_default();
    cr_expect_eq(cfg.task, MODEL_TASK_CLASSIFY);
    cr_expect_eq(cfg.norm, NORM_POST);
    cr_expect_not(cfg.tie_embeddings);
    cfg.tie_embeddings = true;
    cr_expect_eq(model_config_validate(&cfg, err, sizeof err), -1);
    cr_expect(strstr(err, "tie_embeddings") != NULL, "%s", err);
    cfg = model_config_default();
    cfg.norm = (NormPlacement)7;
    cr_expect_eq(model_config_validate(&cfg, err, sizeof err), -1);
    cr_expect(strstr(err, "norm = 7") != NULL, "%s", err);
    cfg = model_config_default();
    cfg.task = (ModelTask)3;
    cr_expect_eq(model_config_validate(&cfg, err, sizeof err), -1);
    cr_expect(strstr(err, "task = 3") != NULL, "%s", err);
    /* the language model has no classes */
    cfg = lm_config(NORM_PRE, true);
    cfg.num_classes = 0;
    cr_expect_eq(model_config_validate(&cfg, err, sizeof err), 0, "%s", err);
}

Test(lm, flops_count_the_head_per_token)
{
    ModelConfig cfg = lm_config(NORM_PRE, false);
    double fwd, train;
    model_flops_per_token(&cfg, 6, &fwd, &train);
    const double C = 8, F = 16, L = 2, V = 12, T = 6;
    const double want = 2 * L * (4 * C * C + 2 * C * F) + 2 * C * V + 4 * L * T * C;
    cr_expect(fabs(fwd - want) < 1e-9 * want, "%g vs %g", fwd, want);
    cr_expect(fabs(train - 3 * want) < 1e-9 * want);
}

/* -------------------------------------------------- token cross-entropy */

typedef struct {
    float *logits, *dlogits, *row_loss;
    const int *targets;
    int N, V;
    float scale;
} TokenCeCtx;

static double token_ce_loss(void *p)
{
    TokenCeCtx *c = p;
    float *d = malloc((size_t)c->N * c->V * sizeof(float));
    cr_assert_not_null(d);
    double sum = token_cross_entropy(d, c->row_loss, c->logits, c->targets, MODEL_PAD_ID,
                                     c->scale, c->N, c->V);
    free(d);
    return sum * c->scale;
}

/* Rows whose target is PAD count for nothing: no loss, no gradient. */
Test(lm, token_cross_entropy_matches_definition_and_finite_differences)
{
    enum { N = 6, V = 13 };
    static const int targets[N] = {3, 0, 12, 7, 0, 1};
    float logits[N * V], dlogits[N * V], row_loss[N];
    Rng rng;
    rng_seed(&rng, 31);
    fill_normal(logits, N * V, 3.0f, &rng);
    const float scale = 1.0f / 4.0f;
    double sum = token_cross_entropy(dlogits, row_loss, logits, targets, MODEL_PAD_ID, scale, N, V);
    double want = 0.0;
    for (int n = 0; n < N; n++) {
        if (targets[n] == MODEL_PAD_ID) {
            cr_expect_eq(row_loss[n], 0.0f);
            for (int v = 0; v < V; v++)
                cr_expect_eq(dlogits[n * V + v], 0.0f, "ignored row %d has a gradient", n);
            continue;
        }
        double lse = 0.0;
        for (int v = 0; v < V; v++)
            lse += exp((double)logits[n * V + v]);
        const double nll = log(lse) - logits[n * V + targets[n]];
        cr_expect(fabs(row_loss[n] - nll) < 1e-5 * fmax(1.0, nll), "row %d: %g vs %g", n,
                  (double)row_loss[n], nll);
        want += nll;
    }
    cr_expect(fabs(sum - want) < 1e-5 * want, "sum %g vs %g", sum, want);
    TokenCeCtx c = {logits, dlogits, row_loss, targets, N, V, scale};
    gradcheck_assert("token cross-entropy",
                     gradcheck(logits, dlogits, N * V, 0, 1e-2f, token_ce_loss, &c, &rng),
                     2e-3, 2e-2);
}

/* ------------------------------------------- causal attention in blocks */

typedef struct {
    float *qkv, *out, *att, *r;
    int B, T, C, NH;
} CausalCtx;

static double causal_attention_loss(void *p)
{
    CausalCtx *c = p;
    attention_forward(c->out, c->att, c->qkv, NULL, true, c->B, c->T, c->C, c->NH);
    return dot_double(c->out, c->r, (size_t)c->B * c->T * c->C);
}

/* T = 70: three blocks of 32 queries, the last one partial. Finite differences,
 * the triangle (zeros above the diagonal, rows summing to 1), and the adding
 * backward = the overwriting one plus what was there. */
Test(lm, causal_attention_in_blocks_matches_finite_differences)
{
    CausalCtx c = {.B = 2, .T = 70, .C = 12, .NH = 3};
    const size_t nq = (size_t)c.B * c.T * 3 * c.C, no = (size_t)c.B * c.T * c.C;
    const size_t na = (size_t)c.B * c.NH * c.T * c.T;
    c.qkv = malloc(nq * sizeof(float));
    c.out = malloc(no * sizeof(float));
    c.att = malloc(na * sizeof(float));
    c.r = malloc(no * sizeof(float));
    float *dqkv = calloc(nq, sizeof(float)), *dset = malloc(nq * sizeof(float));
    float *scratch = malloc(na * sizeof(float));
    cr_assert(c.qkv && c.out && c.att && c.r && dqkv && dset && scratch);
    Rng rng;
    rng_seed(&rng, 70);
    fill_normal(c.qkv, nq, 1.0f, &rng);
    fill_normal(c.r, no, 1.0f, &rng);
    for (size_t i = 0; i < na; i++) /* garbage where the blocks do not write */
        c.att[i] = scratch[i] = NAN;
    causal_attention_loss(&c);
    for (int bh = 0; bh < c.B * c.NH; bh++)
        for (int t = 0; t < c.T; t++) {
            const float *row = c.att + ((size_t)bh * c.T + t) * c.T;
            double sum = 0.0;
            for (int s = 0; s < c.T; s++) {
                if (s > t)
                    cr_assert_eq(row[s], 0.0f, "query %d key %d: %g", t, s, (double)row[s]);
                sum += row[s];
            }
            cr_assert(fabs(sum - 1.0) < 1e-5, "query %d: sum %g", t, sum);
        }
    attention_backward(dqkv, scratch, c.r, c.qkv, c.att, true, c.B, c.T, c.C, c.NH);
    fill_normal(dset, nq, 1.0f, &rng);
    attention_backward_set(dset, scratch, c.r, c.qkv, c.att, true, c.B, c.T, c.C, c.NH);
    cr_expect_eq(memcmp(dqkv, dset, nq * sizeof(float)), 0, "backward_set != backward into 0");
    gradcheck_assert("causal attention, 3 blocks",
                     gradcheck(c.qkv, dqkv, nq, 400, 1e-2f, causal_attention_loss, &c, &rng),
                     2e-3, 2e-2);
    free(c.qkv); free(c.out); free(c.att); free(c.r);
    free(dqkv); free(dset); free(scratch);
}

/* ------------------------------------------------------------ the LM loss */

static const int lm_tokens[3 * 5] = {
    5, 3, 9, 2, 7,
    4, 11, 6, 1, 0,
    8, 2, 0, 0, 0,
};
/* the next tokens; PAD = not counted: 5 + 3 + 1 = 9 positions */
static const int lm_targets[3 * 5] = {
    3, 9, 2, 7, 10,
    11, 6, 1, 0, 0,
    2, 0, 0, 0, 0,
};

Test(lm, loss_counts_only_non_pad_targets)
{
    ModelConfig cfg = lm_config(NORM_PRE, false);
    Model *m = create(&cfg, 4);
    Activations *a = activations_create(m, 3, 5);
    cr_assert_not_null(a);
    const float *logits = model_forward(m, a, lm_tokens, 3, 5, NULL);
    cr_assert_not_null(logits);
    int counted = -1;
    float loss = model_lm_loss(a, lm_targets, &counted);
    cr_expect_eq(counted, 9);
    const int V = cfg.vocab_size;
    double want = 0.0;
    for (int i = 0; i < 15; i++) {
        if (lm_targets[i] == MODEL_PAD_ID)
            continue;
        const float *z = logits + (size_t)i * V;
        want += log_sum_exp(z, V) - z[lm_targets[i]];
    }
    want /= 9;
    cr_expect(fabs(loss - want) < 1e-5 * want, "loss %g vs %g", (double)loss, want);
    /* the gradient of an ignored position is 0: changing its logits' inputs
     * (the tokens after the last counted target of row 2) changes nothing */
    model_zero_grad(m);
    model_backward(m, a);
    float *g1 = malloc(m->num_params * sizeof(float));
    cr_assert_not_null(g1);
    memcpy(g1, m->grads, m->num_params * sizeof(float));
    int other[15];
    memcpy(other, lm_tokens, sizeof other);
    other[12] = 4; /* row 2, position 2: its target and every later one are PAD */
    other[14] = 9;
    cr_assert_not_null(model_forward(m, a, other, 3, 5, NULL));
    float loss2 = model_lm_loss(a, lm_targets, NULL);
    model_zero_grad(m);
    model_backward(m, a);
    cr_expect(fabsf(loss2 - loss) <= 1e-6f * loss, "loss %g vs %g", (double)loss2, (double)loss);
    /* the embedding rows of tokens 4 and 9 get gradients from other positions;
     * the layers' gradients from rows whose loss ignores them must not move */
    const size_t first = m->views[model_view_index(m, PARAM_ENCODER_LAYER, 0)].offset;
    expect_close("gradients with the ignored positions' tokens changed", g1 + first,
                 m->grads + first, m->num_params - first, 1e-5);
    free(g1);
    activations_free(a);
    model_free(m);
}

Test(lm, loss_errors_and_the_other_task)
{
    ModelConfig cfg = lm_config(NORM_POST, true);
    Model *m = create(&cfg, 5);
    Activations *a = activations_create(m, 3, 5);
    cr_assert_not_null(model_forward(m, a, lm_tokens, 3, 5, NULL));
    int bad[15];
    memcpy(bad, lm_targets, sizeof bad);
    bad[6] = cfg.vocab_size;
    int counted = 7;
    cr_expect(isnan(model_lm_loss(a, bad, &counted)));
    cr_expect_eq(counted, 0);
    cr_expect(strstr(model_forward_error(a), "target id 12 (sequence 2, position 2)") != NULL,
              "%s", model_forward_error(a));
    /* nothing counted: loss 0, zero gradient */
    int pads[15] = {0};
    cr_expect_eq(model_lm_loss(a, pads, &counted), 0.0f);
    cr_expect_eq(counted, 0);
    model_zero_grad(m);
    model_backward(m, a);
    cr_expect_eq(grad_global_norm(m->grads, m->num_params), 0.0f);
    /* the classifier's loss does not apply, nor R-Drop, nor probabilities */
    int labels[3] = {0, 1, 0};
    cr_expect(isnan(model_loss(a, labels, 0.0f, NULL)));
    cr_expect(isnan(model_rdrop_loss(a, a, 1.0f)));
    cr_expect_null(activations_probs(a));
    activations_free(a);
    model_free(m);

    ModelConfig cls = tiny_config((TinySizes){.vocab_size = 12, .d_model = 8, .d_ff = 16,
                                              .num_classes = 3, .max_len = 6});
    m = create(&cls, 5);
    a = activations_create(m, 3, 5);
    cr_assert_not_null(model_forward(m, a, lm_tokens, 3, 5, NULL));
    cr_expect(isnan(model_lm_loss(a, lm_targets, NULL)));
    activations_free(a);
    model_free(m);
}

/* Activations fit only a model of their task, norm placement and (LM) vocabulary. */
Test(lm, activations_refuse_another_task_norm_or_vocabulary)
{
    ModelConfig cfg = lm_config(NORM_PRE, false);
    Model *m = create(&cfg, 6);
    Activations *a = activations_create(m, 3, 5);
    ModelConfig other = cfg;
    other.vocab_size = 13;
    Model *mv = create(&other, 6);
    cr_expect_null(model_forward(mv, a, lm_tokens, 3, 5, NULL));
    cr_expect(strstr(model_forward_error(a), "vocabulary of 12, not 13") != NULL, "%s",
              model_forward_error(a));
    other = cfg;
    other.norm = NORM_POST;
    Model *mn = create(&other, 6);
    cr_expect_null(model_forward(mn, a, lm_tokens, 3, 5, NULL));
    cr_expect(strstr(model_forward_error(a), "pre-norm blocks, not post-norm") != NULL, "%s",
              model_forward_error(a));
    other = cfg;
    other.task = MODEL_TASK_CLASSIFY;
    other.num_classes = 3;
    Model *mc = create(&other, 6);
    cr_expect_null(model_forward(mc, a, lm_tokens, 3, 5, NULL));
    cr_expect(strstr(model_forward_error(a), "task lm, not classify") != NULL, "%s",
              model_forward_error(a));
    model_free(mv);
    model_free(mn);
    model_free(mc);
    activations_free(a);
    model_free(m);
}

/* ------------------------------------------- whole-model gradient check
 * As tests/model/test_model.c: the loss in double from the float logits, 8
 * sampled entries of every tensor, eps 1e-2, ReLU kinks skipped; relative error
 * <= 1e-2 and each entry within 2e-2 * max|grad|. */

typedef struct {
    Model *m;
    Activations *a;
    const int *tokens, *targets;
    int B, T;
    bool dropout;
} LmCtx;

static double lm_probe_loss(void *p)
{
    LmCtx *c = p;
    Rng rng;
    rng_seed(&rng, 1234); /* same dropout masks on every evaluation */
    const float *logits = model_forward(c->m, c->a, c->tokens, c->B, c->T,
                                        c->dropout ? &rng : NULL);
    cr_assert_not_null(logits);
    const int V = c->m->cfg.vocab_size;
    double total = 0.0;
    int count = 0;
    for (int i = 0; i < c->B * c->T; i++) {
        if (c->targets[i] == MODEL_PAD_ID)
            continue;
        const float *z = logits + (size_t)i * V;
        double maxv = z[0], sum = 0.0;
        for (int v = 1; v < V; v++)
            maxv = fmax(maxv, z[v]);
        for (int v = 0; v < V; v++)
            sum += exp(z[v] - maxv);
        total += maxv + log(sum) - z[c->targets[i]];
        count++;
    }
    return total / count;
}

/* LayerNorms away from (1, 0) and +-2 biases in front of every ReLU, as
 * test_model.c does (clear of the kinks, half the units off). */
static void spread_parameters(Model *m, Rng *rng)
{
    const ModelConfig *cfg = &m->cfg;
    for (int l = 0; l < cfg->num_layers; l++) {
        LayerWeights w = model_layer_params(m, l);
        for (int i = 0; i < cfg->d_ff; i++)
            w.ff1_b[i] = rng_uniform(rng) < 0.3f ? -2.0f : 2.0f;
        for (int i = 0; i < cfg->d_model; i++) {
            w.ln1_g[i] += 0.2f * rng_normal(rng);
            w.ln2_g[i] += 0.2f * rng_normal(rng);
            w.ln1_b[i] = 0.1f * rng_normal(rng);
            w.ln2_b[i] = 0.1f * rng_normal(rng);
        }
    }
    ModelWeights w = model_params(m);
    for (int i = 0; w.norm_g && i < cfg->d_model; i++) {
        w.norm_g[i] += 0.2f * rng_normal(rng);
        w.norm_b[i] = 0.1f * rng_normal(rng);
    }
    if (cfg->tie_embeddings) /* N(0,1) rows would saturate the softmax of a tied head */
        for (size_t i = 0; i < (size_t)cfg->vocab_size * cfg->d_model; i++)
            w.tok_emb[i] *= 0.3f;
}

static void check_lm_gradients(ModelConfig cfg, const char *label)
{
    Rng rng;
    rng_seed(&rng, 2024);
    Model *m = create(&cfg, 2024);
    spread_parameters(m, &rng);
    Activations *a = activations_create(m, 4, cfg.max_len); /* reserved larger than used */
    cr_assert_not_null(a);
    LmCtx c = {m, a, lm_tokens, lm_targets, 3, 5, cfg.dropout > 0.0f};
    model_zero_grad(m);
    double probe = lm_probe_loss(&c);
    float loss = model_lm_loss(a, lm_targets, NULL);
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
                                           8, 1e-2f, 2e-2 * fmax(max_grad, 1e-4), lm_probe_loss,
                                           &c, &rng);
        cr_expect(g.skipped <= 3, "%s: %d of 8 entries at a ReLU kink", what, g.skipped);
        if (g.max_abs_grad == 0.0) { /* unused ids' rows, PE rows past T */
            cr_expect(g.max_abs_err < 1e-6, "%s: zero gradient but FD %g", what, g.max_abs_err);
            continue;
        }
        gradcheck_assert(what, g, 1e-2, 2e-2);
    }
    free(analytic);
    activations_free(a);
    model_free(m);
}

Test(lm_grad, post_norm_untied) { check_lm_gradients(lm_config(NORM_POST, false), "lm post"); }

Test(lm_grad, pre_norm_tied_standard_ln_learned_pe)
{
    ModelConfig cfg = lm_config(NORM_PRE, true);
    cfg.layernorm = LAYERNORM_STANDARD;
    cfg.pos_encoding = POS_ENCODING_LEARNED;
    check_lm_gradients(cfg, "lm pre tied std learned");
}

Test(lm_grad, pre_norm_untied_workshop_ln_with_dropout)
{
    ModelConfig cfg = lm_config(NORM_PRE, false);
    cfg.dropout = 0.2f;
    cfg.embedding_dropout = 0.1f;
    check_lm_gradients(cfg, "lm pre dropout");
}

Test(lm_grad, post_norm_tied) { check_lm_gradients(lm_config(NORM_POST, true), "lm post tied"); }

/* The classifier on pre-norm blocks: the block and the encoder's final norm
 * through mean pooling and the classifier. */
typedef struct {
    Model *m;
    Activations *a;
    const int *tokens, *labels;
} ClsCtx;

static double cls_probe_loss(void *p)
{
    ClsCtx *c = p;
    const float *logits = model_forward(c->m, c->a, c->tokens, 3, 5, NULL);
    cr_assert_not_null(logits);
    const int K = c->m->cfg.num_classes;
    double total = 0.0;
    for (int b = 0; b < 3; b++)
        total += log_sum_exp(logits + b * K, K) - logits[b * K + c->labels[b]];
    return total / 3;
}

Test(lm_grad, classifier_with_pre_norm_blocks)
{
    ModelConfig cfg = tiny_config((TinySizes){.vocab_size = 12, .d_model = 8, .d_ff = 16,
                                              .num_classes = 3, .max_len = 6});
    cfg.norm = NORM_PRE;
    cfg.pad_mask = true;
    static const int labels[3] = {2, 0, 1};
    Rng rng;
    rng_seed(&rng, 77);
    Model *m = create(&cfg, 77);
    spread_parameters(m, &rng);
    ModelWeights w = model_params(m);
    for (int i = 0; i < cfg.d_model / 2; i++)
        w.cls1_b[i] = rng_uniform(&rng) < 0.5f ? -2.0f : 2.0f;
    Activations *a = activations_create(m, 3, 5);
    ClsCtx c = {m, a, lm_tokens, labels};
    model_zero_grad(m);
    cls_probe_loss(&c);
    model_loss(a, labels, 0.0f, NULL);
    model_backward(m, a);
    float *analytic = malloc(m->num_params * sizeof(float));
    cr_assert_not_null(analytic);
    memcpy(analytic, m->grads, m->num_params * sizeof(float));
    for (int i = 0; i < m->num_views; i++) {
        const ParamView *v = &m->views[i];
        double max_grad = 0.0;
        for (size_t j = 0; j < v->numel; j++)
            max_grad = fmax(max_grad, fabs(analytic[v->offset + j]));
        GradCheck g = gradcheck_skip_kinks(m->params + v->offset, analytic + v->offset, v->numel,
                                           8, 1e-2f, 2e-2 * fmax(max_grad, 1e-4), cls_probe_loss,
                                           &c, &rng);
        if (g.max_abs_grad == 0.0) {
            cr_expect(g.max_abs_err < 1e-6, "%s: zero gradient but FD %g", v->name, g.max_abs_err);
            continue;
        }
        gradcheck_assert(v->name, g, 1e-2, 2e-2);
    }
    free(analytic);
    activations_free(a);
    model_free(m);
}

/* ---------------------------------------------------------------- masks */

/* Position t's logits depend on tokens 0..t only; PAD tokens are plain tokens
 * to the language model (pad_mask unused). */
Test(lm, logits_depend_only_on_earlier_tokens)
{
    ModelConfig cfg = lm_config(NORM_PRE, false);
    cfg.pad_mask = true;
    Model *m = create(&cfg, 8);
    Activations *a = activations_create(m, 3, 5);
    const int V = cfg.vocab_size;
    float before[15 * 12];
    memcpy(before, model_forward(m, a, lm_tokens, 3, 5, NULL), sizeof before);
    int changed[15];
    memcpy(changed, lm_tokens, sizeof changed);
    changed[3] = 10; /* row 0, position 3 */
    const float *after = model_forward(m, a, changed, 3, 5, NULL);
    for (int t = 0; t < 3; t++)
        expect_close("logits before the changed token", before + t * V, after + t * V,
                     (size_t)V, 1e-6);
    double moved = 0.0;
    for (int v = 0; v < V; v++)
        moved = fmax(moved, fabs(before[3 * V + v] - after[3 * V + v]));
    cr_expect_gt(moved, 1e-3, "the changed position's logits did not move");
    /* the padding mask would hide PAD keys from row 1's position 4 query */
    ModelConfig nomask = cfg;
    nomask.pad_mask = false;
    Model *m2 = create(&nomask, 8);
    Activations *a2 = activations_create(m2, 3, 5);
    expect_close("logits with and without pad_mask", model_forward(m2, a2, lm_tokens, 3, 5, NULL),
                 model_forward(m, a, lm_tokens, 3, 5, NULL), 15 * (size_t)V, 1e-6);
    activations_free(a2);
    model_free(m2);
    activations_free(a);
    model_free(m);
}

/* --------------------------------------------------------------- shards */

typedef struct {
    float loss;
    float *grads;
    float *logits;
} LmStep;

static LmStep lm_step(const ModelConfig *cfg, const int *tokens, const int *targets, int B,
                      int T, int shards, int threads)
{
    model_set_threads(threads, true);
    Model *m = create(cfg, 99);
    Activations *a = activations_create(m, 8, cfg->max_len);
    cr_assert_not_null(a);
    cr_assert_eq(activations_set_shards(a, m, shards), 0);
    model_zero_grad(m);
    const float *logits = model_forward(m, a, tokens, B, T, NULL);
    cr_assert_not_null(logits);
    cr_assert_eq(activations_shards(a), shards);
    LmStep r = {0};
    r.loss = model_lm_loss(a, targets, NULL);
    model_backward(m, a);
    r.grads = malloc(m->num_params * sizeof(float));
    r.logits = malloc((size_t)B * T * cfg->vocab_size * sizeof(float));
    cr_assert(r.grads && r.logits);
    memcpy(r.grads, m->grads, m->num_params * sizeof(float));
    memcpy(r.logits, logits, (size_t)B * T * cfg->vocab_size * sizeof(float));
    activations_free(a);
    model_free(m);
    model_set_threads(1, false);
    return r;
}

/* A tied head's gradient lands in the embedding rows of every shard's buffer:
 * the reduction must include them. Same results as unsharded within rounding,
 * bitwise the same on 1 and 2 threads. */
static void check_lm_shards(ModelConfig cfg, const char *label)
{
    enum { B = 7, T = 6 };
    int tokens[B * T], targets[B * T];
    Rng rng;
    rng_seed(&rng, 12);
    for (int i = 0; i < B * T; i++) {
        tokens[i] = 1 + (int)rng_below(&rng, (uint32_t)cfg.vocab_size - 1);
        targets[i] = i % 5 == 4 ? MODEL_PAD_ID : (int)rng_below(&rng, (uint32_t)cfg.vocab_size);
    }
    LmStep plain = lm_step(&cfg, tokens, targets, B, T, 1, 1);
    LmStep two = lm_step(&cfg, tokens, targets, B, T, 3, 2);
    LmStep one = lm_step(&cfg, tokens, targets, B, T, 3, 1);
    Model *m = create(&cfg, 99);
    char what[128];
    cr_expect(fabsf(plain.loss - two.loss) <= 1e-6f * plain.loss, "%s: loss %.9g vs %.9g", label,
              (double)plain.loss, (double)two.loss);
    snprintf(what, sizeof what, "%s logits", label);
    expect_close(what, plain.logits, two.logits, (size_t)B * T * cfg.vocab_size, 1e-5);
    for (int i = 0; i < m->num_views; i++) {
        const ParamView *v = &m->views[i];
        snprintf(what, sizeof what, "%s d %s", label, v->name);
        expect_close(what, plain.grads + v->offset, two.grads + v->offset, v->numel, 1e-5);
    }
    cr_expect_eq(memcmp(one.grads, two.grads, m->num_params * sizeof(float)), 0,
                 "%s: 3 shards on 1 and 2 threads differ", label);
    model_free(m);
    free(plain.grads); free(plain.logits);
    free(two.grads); free(two.logits);
    free(one.grads); free(one.logits);
}

Test(lm_shards, tied_pre_norm) { check_lm_shards(lm_config(NORM_PRE, true), "tied pre"); }
Test(lm_shards, untied_post_norm_learned_pe)
{
    ModelConfig cfg = lm_config(NORM_POST, false);
    cfg.pos_encoding = POS_ENCODING_LEARNED;
    check_lm_shards(cfg, "untied post learned");
}

/* ---------------------------------------------------- training, determinism */

/* A cyclic sequence 2 3 4 5 6 2 3 ...: after 150 Adam steps on windows of it the
 * model predicts every next token, and greedy decoding continues the cycle. */
Test(lm, learns_a_cycle_and_continues_it)
{
    enum { B = 4, T = 6, PERIOD = 5, STEPS = 150 };
    ModelConfig cfg = lm_config(NORM_PRE, false);
    cfg.layernorm = LAYERNORM_STANDARD;
    Model *m = create(&cfg, 9);
    Activations *a = activations_create(m, B, T);
    Optimizer opt;
    OptimConfig oc = optim_config_default();
    oc.lr = 1e-2f;
    cr_assert_eq(optimizer_init(&opt, &oc, m->num_params), 0);
    int tokens[B * T], targets[B * T];
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            tokens[b * T + t] = 2 + (b + t) % PERIOD;
            targets[b * T + t] = 2 + (b + t + 1) % PERIOD;
        }
    float loss = 0.0f;
    for (int step = 0; step < STEPS; step++) {
        model_zero_grad(m);
        cr_assert_not_null(model_forward(m, a, tokens, B, T, NULL));
        loss = model_lm_loss(a, targets, NULL);
        model_backward(m, a);
        optimizer_step(&opt, m->params, m->grads, oc.lr);
    }
    cr_log_info("cycle: loss after %d steps %g\n", STEPS, (double)loss);
    cr_expect_lt(loss, 0.05f);
    char err[256];
    Generator *g = generator_create(m, T, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    SamplingConfig greedy = {.temperature = 0.0f, .top_k = 0, .top_p = 1.0f};
    float scratch[2 * 12];
    int next = 4;
    for (int t = 0; t < T; t++) {
        const float *z = generator_feed(g, next);
        cr_assert_not_null(z);
        int want = 2 + (next - 2 + 1) % PERIOD;
        next = sample_next_token(z, cfg.vocab_size, &greedy, NULL, scratch, NULL);
        cr_expect_eq(next, want, "position %d: %d, not %d", t, next, want);
    }
    generator_free(g);
    optimizer_free(&opt);
    activations_free(a);
    model_free(m);
}

static void lm_losses(uint64_t seed, float *losses, int steps)
{
    ModelConfig cfg = lm_config(NORM_PRE, false);
    cfg.dropout = 0.1f;
    Model *m = create(&cfg, seed);
    Activations *a = activations_create(m, 3, 5);
    Optimizer opt;
    OptimConfig oc = optim_config_default();
    oc.kind = OPTIM_ADAMW;
    oc.weight_decay = 0.01f;
    oc.lr = 1e-2f;
    cr_assert_eq(optimizer_init(&opt, &oc, m->num_params), 0);
    Rng rng;
    rng_seed(&rng, seed + 1);
    for (int step = 0; step < steps; step++) {
        model_zero_grad(m);
        cr_assert_not_null(model_forward(m, a, lm_tokens, 3, 5, &rng));
        losses[step] = model_lm_loss(a, lm_targets, NULL);
        model_backward(m, a);
        optimizer_step(&opt, m->params, m->grads, oc.lr);
    }
    optimizer_free(&opt);
    activations_free(a);
    model_free(m);
}

Test(lm, same_seed_gives_bitwise_same_losses)
{
    enum { STEPS = 10 };
    float first[STEPS], second[STEPS], other[STEPS];
    lm_losses(3, first, STEPS);
    lm_losses(3, second, STEPS);
    lm_losses(4, other, STEPS);
    cr_expect_eq(memcmp(first, second, sizeof first), 0);
    cr_expect_neq(memcmp(first, other, sizeof first), 0);
    cr_expect_lt(first[STEPS - 1], first[0], "loss %g -> %g", (double)first[0],
                 (double)first[STEPS - 1]);
}
