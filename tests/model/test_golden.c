/* Golden tests against PyTorch: tests/fixtures/golden_*.txt, written by
 * tools/make_golden.py from the workshop's model (shared/reference). Same
 * weights and inputs, dropout 0: logits, every layer's attention, the loss,
 * every parameter's gradient and the losses of the next 3 optimizer steps.
 *
 * Tolerance: for each tensor, max |C - torch| <= 1e-4 * max |torch| (a
 * relative error on the tensor's scale, so entries near 0 do not divide by
 * ~0); for each loss |C - torch| <= 1e-4 * |torch|. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
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

static int key_int(const Golden *g, const char *key)
{
    const char *v = golden_value(g, key);
    cr_assert_not_null(v, "fixture lacks key %s", key);
    return atoi(v);
}

static double key_double(const Golden *g, const char *key)
{
    const char *v = golden_value(g, key);
    cr_assert_not_null(v, "fixture lacks key %s", key);
    return strtod(v, NULL);
}

static const char *key_str(const Golden *g, const char *key)
{
    const char *v = golden_value(g, key);
    cr_assert_not_null(v, "fixture lacks key %s", key);
    return v;
}

static const GoldenTensor *need(const Golden *g, const char *name, size_t count)
{
    const GoldenTensor *t = golden_tensor(g, name);
    cr_assert_not_null(t, "fixture lacks tensor %s", name);
    cr_assert_eq(t->count, count, "%s: %zu values in the fixture, %zu in the model", name,
                 t->count, count);
    return t;
}

/* Returns max |got - want| / max |want|. */
static double compare(const char *what, const float *got, const GoldenTensor *want)
{
    double max_diff = 0.0, max_ref = 0.0;
    for (size_t i = 0; i < want->count; i++) {
        max_diff = fmax(max_diff, fabs((double)got[i] - want->values[i]));
        max_ref = fmax(max_ref, fabs(want->values[i]));
    }
    double rel = max_diff / fmax(max_ref, 1e-30);
    cr_log_info("%-52s max |diff| %.2e  max |ref| %.2e  rel %.2e\n", what, max_diff, max_ref, rel);
    cr_expect(rel <= GOLDEN_RTOL, "%s: max |diff| %.3e is %.2e of max |ref| %.3e (> %.0e)", what,
              max_diff, rel, max_ref, GOLDEN_RTOL);
    return rel;
}

static void compare_loss(const char *what, float got, double want)
{
    double rel = fabs(got - want) / fabs(want);
    cr_log_info("%-52s C %.8f  torch %.8f  rel %.2e\n", what, (double)got, want, rel);
    cr_expect(rel <= GOLDEN_RTOL, "%s: C %.8f vs torch %.8f", what, (double)got, want);
}

static void run_golden(const char *name)
{
    Golden g;
    load_fixture(&g, name);

    ModelConfig cfg = model_config_default();
    cfg.vocab_size = key_int(&g, "vocab_size");
    cfg.d_model = key_int(&g, "d_model");
    cfg.num_heads = key_int(&g, "num_heads");
    cfg.d_ff = key_int(&g, "d_ff");
    cfg.num_layers = key_int(&g, "num_layers");
    cfg.num_classes = key_int(&g, "num_classes");
    cfg.max_len = key_int(&g, "max_len");
    cfg.dropout = 0.0f;
    cfg.layernorm = strcmp(key_str(&g, "layernorm"), "standard") == 0 ? LAYERNORM_STANDARD
                                                                       : LAYERNORM_WORKSHOP;
    cfg.pos_encoding = strcmp(key_str(&g, "pos_encoding"), "learned") == 0 ? POS_ENCODING_LEARNED
                                                                           : POS_ENCODING_SINUSOIDAL;
    cfg.pad_mask = key_int(&g, "pad_mask") != 0;
    cfg.causal = false;
    const int B = key_int(&g, "batch"), T = key_int(&g, "seq_len");
    const float smoothing = (float)key_double(&g, "label_smoothing");

    Rng rng;
    rng_seed(&rng, 5);
    char err[256];
    Model *m = model_create(&cfg, &rng, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    for (int i = 0; i < m->num_views; i++) {
        char key[160];
        snprintf(key, sizeof key, "param:%s", m->views[i].name);
        const GoldenTensor *t = need(&g, key, m->views[i].numel);
        for (size_t j = 0; j < t->count; j++)
            m->params[m->views[i].offset + j] = (float)t->values[j];
    }
    int params_in_fixture = 0;
    for (int i = 0; i < g.num_tensors; i++)
        params_in_fixture += strncmp(g.tensors[i].name, "param:", 6) == 0;
    cr_assert_eq(params_in_fixture, m->num_views, "the fixture has %d parameters, the model %d",
                 params_in_fixture, m->num_views);

    int tokens[256], labels[64];
    const GoldenTensor *tt = need(&g, "tokens", (size_t)B * T);
    const GoldenTensor *lt = need(&g, "labels", (size_t)B);
    for (int i = 0; i < B * T; i++)
        tokens[i] = (int)tt->values[i];
    for (int i = 0; i < B; i++)
        labels[i] = (int)lt->values[i];

    /* Reserve more than used: shorter sequences must work. */
    Activations *a = activations_create(m, B + 1, cfg.max_len);
    cr_assert_not_null(a);
    const float *logits = model_forward(m, a, tokens, B, T, NULL);
    cr_assert_not_null(logits);
    char what[200];
    snprintf(what, sizeof what, "%s logits", name);
    compare(what, logits, need(&g, "logits", (size_t)B * cfg.num_classes));
    for (int l = 0; l < cfg.num_layers; l++) {
        char key[32];
        snprintf(key, sizeof key, "attention:%d", l);
        snprintf(what, sizeof what, "%s attention layer %d", name, l);
        compare(what, activations_attention(a, l),
                need(&g, key, (size_t)B * cfg.num_heads * T * T));
    }
    model_zero_grad(m);
    float loss = model_loss(a, labels, smoothing, NULL);
    snprintf(what, sizeof what, "%s loss", name);
    compare_loss(what, loss, need(&g, "loss", 1)->values[0]);
    model_backward(m, a);
    for (int i = 0; i < m->num_views; i++) {
        char key[160];
        snprintf(key, sizeof key, "grad:%s", m->views[i].name);
        snprintf(what, sizeof what, "%s d %s", name, m->views[i].name);
        compare(what, m->grads + m->views[i].offset, need(&g, key, m->views[i].numel));
    }

    /* Next 3 optimizer steps, as the script: clip, step, then the new loss. */
    OptimConfig oc = optim_config_default();
    oc.kind = strcmp(key_str(&g, "kind"), "adamw") == 0 ? OPTIM_ADAMW : OPTIM_ADAM;
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
        loss = model_loss(a, labels, smoothing, NULL);
        model_backward(m, a);
        snprintf(what, sizeof what, "%s loss after step %d", name, step + 1);
        compare_loss(what, loss, next->values[step]);
    }
    optimizer_free(&opt);
    activations_free(a);
    model_free(m);
    golden_free(&g);
}

/* The notebook: no padding mask, workshop LayerNorm, sinusoidal PE, Adam. */
Test(golden, notebook) { run_golden("notebook"); }
/* Padding mask on, Adam with L2 weight decay. */
Test(golden, pad_mask) { run_golden("padmask"); }
/* Standard LayerNorm, learned PE, label smoothing 0.1, AdamW, clipping at 0.5. */
Test(golden, standard_learned_adamw) { run_golden("standard"); }

Test(golden, reader_reports_file_and_line)
{
    char path[] = "/tmp/minillm_golden_bad_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("tensor x 2\n1 2 3\n", f);
    fclose(f);
    Golden g;
    char err[512];
    cr_expect_eq(golden_load(&g, path, err, sizeof err), -1);
    cr_expect(strstr(err, ":2:") != NULL, "%s", err);
    remove(path);
}
