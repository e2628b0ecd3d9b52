/* Golden tests of issue 15's models against PyTorch: tests/fixtures/golden_lm_*.txt,
 * written by tools/make_golden_lm.py from tools/decoder_model.py. Same weights and
 * inputs, dropout 0: logits, every layer's attention, the loss, every parameter's
 * gradient and the losses of the next 3 optimizer steps; for the language model
 * also the generator's cached logits, position by position, against the same
 * PyTorch logits.
 *
 * Tolerance as tests/model/test_golden.c: max |C - torch| <= 1e-4 * max |torch|
 * per tensor, |C - torch| <= 1e-4 * |torch| per loss. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "model/generate.h"
#include "model/model.h"
#include "model/optim.h"

#define GOLDEN_RTOL 1e-4

static void load_fixture(Golden *g, const char *name)
{
    const char *root = getenv("MINILLM_SOURCE_ROOT");
    cr_assert_not_null(root, "MINILLM_SOURCE_ROOT is not set (meson test sets it)");
    char path[1024], err[1200];
    snprintf(path, sizeof path, "%s/tests/fixtures/golden_%s.txt", root, name);
    cr_assert_eq(golden_load(g, path, err, sizeof err), 0, "%s", err);
}

static const char *key_str(const Golden *g, const char *key)
{
    const char *v = golden_value(g, key);
    cr_assert_not_null(v, "fixture lacks key %s", key);
    return v;
}

static int key_int(const Golden *g, const char *key) { return atoi(key_str(g, key)); }
static double key_double(const Golden *g, const char *key) { return strtod(key_str(g, key), NULL); }
static bool key_is(const Golden *g, const char *key, const char *value)
{
    return strcmp(key_str(g, key), value) == 0;
}

static const GoldenTensor *need(const Golden *g, const char *name, size_t count)
{
    const GoldenTensor *t = golden_tensor(g, name);
    cr_assert_not_null(t, "fixture lacks tensor %s", name);
    cr_assert_eq(t->count, count, "%s: %zu values in the fixture, %zu in the model", name,
                 t->count, count);
    return t;
}

/* max |got - want| / max |want| over `count` values from `offset` of want. */
static void compare_at(const char *what, const float *got, const GoldenTensor *want,
                       size_t offset, size_t count)
{
    double max_diff = 0.0, max_ref = 0.0;
    for (size_t i = 0; i < count; i++) {
        max_diff = fmax(max_diff, fabs((double)got[i] - want->values[offset + i]));
        max_ref = fmax(max_ref, fabs(want->values[offset + i]));
    }
    double rel = max_diff / fmax(max_ref, 1e-30);
    cr_log_info("%-56s max |diff| %.2e  max |ref| %.2e  rel %.2e\n", what, max_diff, max_ref, rel);
    cr_expect(rel <= GOLDEN_RTOL, "%s: max |diff| %.3e is %.2e of max |ref| %.3e (> %.0e)", what,
              max_diff, rel, max_ref, GOLDEN_RTOL);
}

static void compare(const char *what, const float *got, const GoldenTensor *want)
{
    compare_at(what, got, want, 0, want->count);
}

static void compare_loss(const char *what, float got, double want)
{
    double rel = fabs(got - want) / fabs(want);
    cr_log_info("%-56s C %.8f  torch %.8f  rel %.2e\n", what, (double)got, want, rel);
    cr_expect(rel <= GOLDEN_RTOL, "%s: C %.8f vs torch %.8f", what, (double)got, want);
}

static ModelConfig fixture_config(const Golden *g)
{
    ModelConfig cfg = model_config_default();
    cfg.task = key_is(g, "task", "lm") ? MODEL_TASK_LM : MODEL_TASK_CLASSIFY;
    cfg.vocab_size = key_int(g, "vocab_size");
    cfg.d_model = key_int(g, "d_model");
    cfg.num_heads = key_int(g, "num_heads");
    cfg.d_ff = key_int(g, "d_ff");
    cfg.num_layers = key_int(g, "num_layers");
    cfg.num_classes = key_int(g, "num_classes");
    cfg.max_len = key_int(g, "max_len");
    cfg.dropout = 0.0f;
    cfg.layernorm = key_is(g, "layernorm", "standard") ? LAYERNORM_STANDARD : LAYERNORM_WORKSHOP;
    cfg.pos_encoding = key_is(g, "pos_encoding", "learned") ? POS_ENCODING_LEARNED
                                                            : POS_ENCODING_SINUSOIDAL;
    cfg.norm = key_is(g, "norm", "pre") ? NORM_PRE : NORM_POST;
    cfg.tie_embeddings = key_int(g, "tie_embeddings") != 0;
    cfg.pad_mask = key_int(g, "pad_mask") != 0;
    cfg.causal = false; /* the language model's mask is on whatever this says */
    return cfg;
}

/* Every view from the fixture's param: tensors; a tied head's view writes the
 * embedding's floats again, which must be the same. */
static void load_params(Model *m, const Golden *g)
{
    for (int i = 0; i < m->num_views; i++) {
        char key[160];
        snprintf(key, sizeof key, "param:%s", m->views[i].name);
        const GoldenTensor *t = need(g, key, m->views[i].numel);
        for (size_t j = 0; j < t->count; j++) {
            float *p = &m->params[m->views[i].offset + j];
            if (m->views[i].role == PARAM_LM_HEAD && m->cfg.tie_embeddings)
                cr_assert_eq(*p, (float)t->values[j], "tied lm_head.weight[%zu] differs", j);
            *p = (float)t->values[j];
        }
    }
    int params_in_fixture = 0;
    for (int i = 0; i < g->num_tensors; i++)
        params_in_fixture += strncmp(g->tensors[i].name, "param:", 6) == 0;
    cr_assert_eq(params_in_fixture, m->num_views, "the fixture has %d parameters, the model %d",
                 params_in_fixture, m->num_views);
}

static float loss_of(Activations *a, bool lm, const int *targets)
{
    return lm ? model_lm_loss(a, targets, NULL) : model_loss(a, targets, 0.0f, NULL);
}

/* The generator fed each sequence token by token gives the forward's logits. */
static void check_generator(const char *name, const Model *m, const int *tokens,
                            const GoldenTensor *logits, int B, int T)
{
    const int V = m->cfg.vocab_size;
    char err[256], what[200];
    Generator *gen = generator_create(m, T, err, sizeof err);
    cr_assert_not_null(gen, "%s", err);
    for (int b = 0; b < B; b++) {
        generator_reset(gen);
        for (int t = 0; t < T; t++) {
            const float *z = generator_feed(gen, tokens[b * T + t]);
            cr_assert_not_null(z);
            snprintf(what, sizeof what, "%s generator logits seq %d pos %d", name, b, t);
            compare_at(what, z, logits, ((size_t)b * T + t) * V, (size_t)V);
        }
    }
    generator_free(gen);
}

static void run_golden(const char *name)
{
    Golden g;
    load_fixture(&g, name);
    const ModelConfig cfg = fixture_config(&g);
    const bool lm = cfg.task == MODEL_TASK_LM;
    const int B = key_int(&g, "batch"), T = key_int(&g, "seq_len");
    Rng rng;
    rng_seed(&rng, 5);
    char err[256], what[200];
    Model *m = model_create(&cfg, &rng, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    load_params(m, &g);

    int tokens[256], targets[256];
    const GoldenTensor *tt = need(&g, "tokens", (size_t)B * T);
    const GoldenTensor *yt = need(&g, lm ? "targets" : "labels", lm ? (size_t)B * T : (size_t)B);
    for (size_t i = 0; i < tt->count; i++)
        tokens[i] = (int)tt->values[i];
    for (size_t i = 0; i < yt->count; i++)
        targets[i] = (int)yt->values[i];

    Activations *a = activations_create(m, B + 1, cfg.max_len); /* reserved larger */
    cr_assert_not_null(a);
    const float *logits = model_forward(m, a, tokens, B, T, NULL);
    cr_assert_not_null(logits, "%s", model_forward_error(a));
    const GoldenTensor *want_logits =
        need(&g, "logits", (size_t)B * (lm ? (size_t)T * cfg.vocab_size : (size_t)cfg.num_classes));
    snprintf(what, sizeof what, "%s logits", name);
    compare(what, logits, want_logits);
    for (int l = 0; l < cfg.num_layers; l++) {
        char key[32];
        snprintf(key, sizeof key, "attention:%d", l);
        snprintf(what, sizeof what, "%s attention layer %d", name, l);
        compare(what, activations_attention(a, l), need(&g, key, (size_t)B * cfg.num_heads * T * T));
    }
    model_zero_grad(m);
    snprintf(what, sizeof what, "%s loss", name);
    compare_loss(what, loss_of(a, lm, targets), need(&g, "loss", 1)->values[0]);
    model_backward(m, a);
    for (int i = 0; i < m->num_views; i++) {
        char key[160];
        snprintf(key, sizeof key, "grad:%s", m->views[i].name);
        snprintf(what, sizeof what, "%s d %s", name, m->views[i].name);
        compare(what, m->grads + m->views[i].offset, need(&g, key, m->views[i].numel));
    }
    if (lm)
        check_generator(name, m, tokens, want_logits, B, T);

    /* Next 3 optimizer steps, as the script: clip, step, then the new loss. */
    OptimConfig oc = optim_config_default();
    oc.kind = key_is(&g, "kind", "adamw") ? OPTIM_ADAMW : OPTIM_ADAM;
    oc.lr = (float)key_double(&g, "lr");
    oc.weight_decay = (float)key_double(&g, "weight_decay");
    oc.clip_norm = (float)key_double(&g, "clip_norm");
    Optimizer opt;
    cr_assert_eq(optimizer_init(&opt, &oc, m->num_params), 0);
    const GoldenTensor *next = need(&g, "next_losses", 3);
    for (int step = 0; step < 3; step++) {
        if (oc.clip_norm > 0.0f)
            grad_clip(m->grads, m->num_params, oc.clip_norm);
        optimizer_step(&opt, m->params, m->grads, oc.lr);
        model_zero_grad(m);
        cr_assert_not_null(model_forward(m, a, tokens, B, T, NULL));
        float loss = loss_of(a, lm, targets);
        model_backward(m, a);
        snprintf(what, sizeof what, "%s loss after step %d", name, step + 1);
        compare_loss(what, loss, next->values[step]);
    }
    optimizer_free(&opt);
    activations_free(a);
    model_free(m);
    golden_free(&g);
}

/* The workshop's block, untied head, sinusoidal PE, workshop LayerNorm, Adam. */
Test(golden_lm, post_norm) { run_golden("lm_post"); }
/* GPT-2's block and final LayerNorm, tied head, learned PE, standard LayerNorm,
 * AdamW with clipping at 0.5. */
Test(golden_lm, pre_norm_tied_learned_standard) { run_golden("lm_pre_tied"); }
/* Pre-norm with the workshop LayerNorm, untied, sinusoidal, AdamW. */
Test(golden_lm, pre_norm_workshop_ln) { run_golden("lm_pre"); }
/* Post-norm, tied, learned PE, standard LayerNorm, Adam with L2 and clipping. */
Test(golden_lm, post_norm_tied_learned_standard) { run_golden("lm_post_tied"); }
/* The classifier with pre-norm blocks and encoder.norm, padding mask, learned PE. */
Test(golden_lm, classifier_with_pre_norm) { run_golden("lm_classify_pre"); }
