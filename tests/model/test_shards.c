/* Data parallelism over the batch (activations_set_shards): a sharded step
 * computes the same loss and gradients as the unsharded one up to rounding (its
 * products have other shapes, which OpenBLAS may round otherwise, and the
 * per-shard sums are added in shard order), results depend on the shard count
 * only (not on how many threads run the shards: bitwise), and a fixed seed
 * gives bitwise the same training run. Batches are reserved larger than used
 * (B and T), so the shard offsets must follow the forward's (B, T), not the
 * reservation. */
#include <cblas.h>
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "gradcheck.h"
#include "model/model.h"
#include "model/optim.h"
#include "model/parallel.h"

#define MAX_B 8
#define MAX_T 6

/* The tests' model: tiny, and without the padding mask (the notebook) unless
 * a test turns it on. */
static ModelConfig shard_config(void)
{
    ModelConfig cfg = tiny_config((TinySizes){.vocab_size = 13, .d_model = 16, .d_ff = 24,
                                              .num_classes = 3, .max_len = MAX_T});
    cfg.pad_mask = false;
    return cfg;
}

/* B sequences of length T, the later ones padded at the end (PAD = 0). */
static void make_batch(int *tokens, int *labels, int B, int T, int V, bool padded, Rng *rng)
{
    for (int b = 0; b < B; b++) {
        int len = padded ? T - b % 3 : T;
        for (int t = 0; t < T; t++)
            tokens[b * T + t] = t < len ? 2 + (int)rng_below(rng, (uint32_t)(V - 2)) : 0;
        labels[b] = (int)rng_below(rng, 3);
    }
}

typedef struct {
    float loss;
    float logits[MAX_B * 3];
    float *grads;
    float demb[MAX_B * MAX_T * 16]; /* activations_embedding_grad, d_model <= 16 */
} StepResult;

/* A fixed perturbation of the embedded input (adversarial training's path);
 * NULL in the cases without one. */
static const float *emb_delta;

/* One forward (no dropout) + loss + backward with the given shard count on
 * `threads` pool threads (OpenBLAS at one thread, as a sharded run has it),
 * from the same initial model. */
static StepResult one_step(const ModelConfig *cfg, const int *tokens, const int *labels, int B,
                           int T, int shards, int threads)
{
    model_set_threads(threads, true);
    Rng rng;
    rng_seed(&rng, 99);
    Model *m = model_create(cfg, &rng, NULL, 0);
    cr_assert_not_null(m);
    Activations *a = activations_create(m, MAX_B, MAX_T);
    cr_assert_not_null(a);
    cr_assert_eq(activations_set_shards(a, m, shards), 0);
    model_zero_grad(m);
    const float *logits = model_forward_perturbed(m, a, tokens, B, T, NULL, emb_delta);
    cr_assert_not_null(logits);
    cr_assert_eq(activations_shards(a), shards > B ? B : shards);
    StepResult r = {0};
    memcpy(r.logits, logits, (size_t)B * cfg->num_classes * sizeof(float));
    r.loss = model_loss(a, labels, 0.05f, NULL);
    model_backward(m, a);
    cr_assert_leq(B * T * cfg->d_model, MAX_B * MAX_T * 16);
    memcpy(r.demb, activations_embedding_grad(a), (size_t)B * T * cfg->d_model * sizeof(float));
    r.grads = malloc(m->num_params * sizeof(float));
    cr_assert_not_null(r.grads);
    memcpy(r.grads, m->grads, m->num_params * sizeof(float));
    activations_free(a);
    model_free(m);
    return r;
}

/* Per tensor: every entry within rel_tol * max|gradient of that tensor|. */
static void expect_close_grads(const ModelConfig *cfg, const float *want, const float *got,
                               double rel_tol, const char *label)
{
    Rng rng;
    rng_seed(&rng, 99);
    Model *m = model_create(cfg, &rng, NULL, 0); /* for the views only */
    cr_assert_not_null(m);
    for (int i = 0; i < m->num_views; i++) {
        const ParamView *v = &m->views[i];
        double max_grad = 0.0, max_diff = 0.0;
        for (size_t j = 0; j < v->numel; j++) {
            max_grad = fmax(max_grad, fabs(want[v->offset + j]));
            max_diff = fmax(max_diff, fabs((double)want[v->offset + j] - got[v->offset + j]));
        }
        cr_expect(max_diff <= rel_tol * max_grad + 1e-12, "%s %s: max diff %g, max |grad| %g",
                  label, v->name, max_diff, max_grad);
    }
    model_free(m);
}

/* Largest difference of the embedding gradient sharded vs unsharded relative to
 * its largest magnitude, over the cases below, measured on OpenBLAS 0.3.21:
 * Haswell and Zen kernels 3.5e-7 (B=2 S=4), SkylakeX and Cooperlake 0. */
#define EMBEDDING_TOL 1e-6

static void compare_sharded(ModelConfig cfg, int B, int T, int shards, bool padded,
                            const char *label)
{
    int tokens[MAX_B * MAX_T], labels[MAX_B];
    Rng rng;
    rng_seed(&rng, 5);
    make_batch(tokens, labels, B, T, cfg.vocab_size, padded, &rng);
    StepResult plain = one_step(&cfg, tokens, labels, B, T, 1, 1);
    StepResult sharded = one_step(&cfg, tokens, labels, B, T, shards, 2);
    StepResult sharded1 = one_step(&cfg, tokens, labels, B, T, shards, 1);

    cr_expect(fabsf(plain.loss - sharded.loss) <= 1e-6f * fmaxf(1.0f, plain.loss),
              "%s: loss %.9g unsharded vs %.9g sharded", label, (double)plain.loss,
              (double)sharded.loss);
    for (int i = 0; i < B * cfg.num_classes; i++)
        cr_expect(fabsf(plain.logits[i] - sharded.logits[i]) <= 1e-5f,
                  "%s: logit %d %.9g vs %.9g", label, i, (double)plain.logits[i],
                  (double)sharded.logits[i]);
    expect_close_grads(&cfg, plain.grads, sharded.grads, 1e-5, label);
    for (int i = 0; i < B * T * cfg.d_model; i++)
        cr_expect(fabsf(plain.demb[i] - sharded.demb[i]) <= 1e-5f,
                  "%s: d(embedded input) %d %.9g vs %.9g", label, i, (double)plain.demb[i],
                  (double)sharded.demb[i]);

    /* the shards' threads do not matter, only their count */
    Rng vr;
    rng_seed(&vr, 99);
    Model *m = model_create(&cfg, &vr, NULL, 0);
    cr_assert_not_null(m);
    cr_expect_eq(memcmp(sharded.grads, sharded1.grads, m->num_params * sizeof(float)), 0,
                 "%s: sharded gradients differ between 1 and 2 threads", label);
    cr_expect_eq(memcmp(&sharded.loss, &sharded1.loss, sizeof(float)), 0);
    /* The embedding (and learned PE) gradient is summed once over the whole
     * batch after the shards, rows in order, as unsharded; its input (the
     * gradient w.r.t. the embedded input) comes out of sharded products, so
     * the two agree within rounding. EMBEDDING_TOL is measured, see there. */
    size_t emb_end = m->views[model_view_index(m, PARAM_ENCODER_LAYER, 0)].offset;
    char what[96];
    snprintf(what, sizeof what, "%s: embedding gradient", label);
    expect_close(what, plain.grads, sharded.grads, emb_end, EMBEDDING_TOL);
    model_free(m);
    free(plain.grads);
    free(sharded.grads);
    free(sharded1.grads);
    model_set_threads(1, false);
}

Test(shards, odd_batch_two_shards_notebook)
{
    compare_sharded(shard_config(), 5, 5, 2, false, "notebook B=5 S=2");
}

Test(shards, pad_mask_standard_ln_learned_pe_causal)
{
    ModelConfig cfg = shard_config();
    cfg.pad_mask = true;
    cfg.causal = true;
    cfg.layernorm = LAYERNORM_STANDARD;
    cfg.pos_encoding = POS_ENCODING_LEARNED;
    compare_sharded(cfg, 5, 4, 2, true, "pad/std/learned/causal B=5 S=2");
}

Test(shards, three_shards_full_reservation)
{
    ModelConfig cfg = shard_config();
    cfg.pad_mask = true;
    compare_sharded(cfg, MAX_B, MAX_T, 3, true, "pad B=8 S=3");
}

/* Max pooling (its arg-max rows) and a perturbed embedded input go through the
 * shards' row views too. */
Test(shards, max_pooling_and_perturbed_input)
{
    ModelConfig cfg = shard_config();
    cfg.pad_mask = true;
    cfg.pooling = POOLING_MAX;
    static float delta[MAX_B * MAX_T * 16];
    for (int i = 0; i < MAX_B * MAX_T * 16; i++)
        delta[i] = 0.05f * sinf(0.37f * (float)i);
    emb_delta = delta;
    compare_sharded(cfg, 7, MAX_T, 2, true, "max pool + delta B=7 S=2");
    emb_delta = NULL;
}

Test(shards, more_shards_than_sequences_run_one_per_sequence)
{
    compare_sharded(shard_config(), 2, 3, 4, false, "B=2 S=4");
}

/* Several AdamW steps with dropout; losses of every step. */
static void train_losses(int shards, int threads, uint64_t seed, float *losses, int steps)
{
    model_set_threads(threads, true);
    ModelConfig cfg = shard_config();
    cfg.dropout = 0.2f;
    cfg.pad_mask = true;
    Rng rng;
    rng_seed(&rng, seed);
    Model *m = model_create(&cfg, &rng, NULL, 0);
    cr_assert_not_null(m);
    Activations *a = activations_create(m, MAX_B, MAX_T);
    cr_assert_not_null(a);
    cr_assert_eq(activations_set_shards(a, m, shards), 0);
    Optimizer opt;
    OptimConfig oc = optim_config_default();
    oc.kind = OPTIM_ADAMW;
    oc.weight_decay = 0.01f;
    oc.clip_norm = 1.0f;
    cr_assert_eq(optimizer_init(&opt, &oc, m->num_params), 0);
    int tokens[MAX_B * MAX_T], labels[MAX_B];
    for (int step = 0; step < steps; step++) {
        make_batch(tokens, labels, 7, MAX_T, cfg.vocab_size, true, &rng);
        model_zero_grad(m);
        cr_assert_not_null(model_forward(m, a, tokens, 7, MAX_T, &rng));
        losses[step] = model_loss(a, labels, 0.0f, NULL);
        model_backward(m, a);
        grad_clip(m->grads, m->num_params, oc.clip_norm);
        optimizer_step(&opt, m->params, m->grads, oc.lr);
    }
    optimizer_free(&opt);
    activations_free(a);
    model_free(m);
    model_set_threads(1, false);
}

#define STEPS 6

Test(shards, same_seed_and_threads_give_bitwise_same_losses)
{
    float first[STEPS], second[STEPS], one_thread[STEPS], unsharded[STEPS];
    train_losses(2, 2, 11, first, STEPS);
    train_losses(2, 2, 11, second, STEPS);
    train_losses(2, 1, 11, one_thread, STEPS);
    train_losses(1, 2, 11, unsharded, STEPS);
    cr_expect_eq(memcmp(first, second, sizeof first), 0, "last loss %.9g vs %.9g",
                 (double)first[STEPS - 1], (double)second[STEPS - 1]);
    cr_expect_eq(memcmp(first, one_thread, sizeof first), 0,
                 "2 shards on 1 thread: last loss %.9g vs %.9g on 2",
                 (double)one_thread[STEPS - 1], (double)first[STEPS - 1]);
    /* The shards draw their own dropout keys: another run, still finite. */
    for (int i = 0; i < STEPS; i++)
        cr_expect(isfinite(first[i]) && isfinite(unsharded[i]));
    cr_expect_neq(memcmp(first, unsharded, sizeof first), 0,
                  "sharded dropout gave the unsharded masks");
}

Test(shards, shard_count_is_checked)
{
    ModelConfig cfg = shard_config();
    Rng rng;
    rng_seed(&rng, 1);
    Model *m = model_create(&cfg, &rng, NULL, 0);
    cr_assert_not_null(m);
    Activations *a = activations_create(m, MAX_B, MAX_T);
    cr_assert_not_null(a);
    cr_expect_eq(activations_set_shards(a, m, -1), -1);
    cr_expect_eq(activations_set_shards(a, m, 17), -1);
    cr_expect_eq(activations_set_shards(a, m, 1), 0);
    int tokens[MAX_B * MAX_T], labels[MAX_B];
    make_batch(tokens, labels, MAX_B, MAX_T, cfg.vocab_size, false, &rng);
    cr_assert_not_null(model_forward(m, a, tokens, MAX_B, MAX_T, NULL));
    cr_expect_eq(activations_shards(a), 1);
    /* batch-1 forwards (the UI's) never shard */
    cr_expect_eq(activations_set_shards(a, m, 2), 0);
    cr_assert_not_null(model_forward(m, a, tokens, 1, MAX_T, NULL));
    cr_expect_eq(activations_shards(a), 1);
    activations_free(a);
    model_free(m);
}

/* Automatic: one shard per thread for small products, OpenBLAS's own threads
 * for the largest (SHARD_MAX_ROW_MACS in model.c: B*T*C*C >= 2^28), none for
 * a batch of one or a single thread. The threads are set up as the trainer
 * does (model_set_threads with model_shards_pay_off of the batch shape);
 * `blas_one` forces OpenBLAS to one thread whatever the pay-off says. */
static int auto_shards(int d_model, int B, int T, int threads, bool blas_one)
{
    ModelConfig cfg = shard_config();
    cfg.d_model = d_model;
    cfg.num_layers = 1;
    cfg.max_len = T;
    model_set_threads(threads, blas_one || model_shards_pay_off(&cfg, B, T));
    Rng rng;
    rng_seed(&rng, 3);
    Model *m = model_create(&cfg, &rng, NULL, 0);
    cr_assert_not_null(m);
    Activations *a = activations_create(m, B, T);
    cr_assert_not_null(a);
    int *tokens = calloc((size_t)B * T, sizeof(int));
    cr_assert_not_null(tokens);
    for (int i = 0; i < B * T; i++)
        tokens[i] = 2 + i % (cfg.vocab_size - 2);
    cr_assert_not_null(model_forward(m, a, tokens, B, T, NULL));
    int shards = activations_shards(a);
    free(tokens);
    activations_free(a);
    model_free(m);
    model_set_threads(1, false);
    return shards;
}

Test(shards, automatic_choice)
{
    cr_expect_eq(auto_shards(16, 5, 6, 2, false), 2);
    cr_expect_eq(auto_shards(16, 5, 6, 1, false), 1);
    cr_expect_eq(auto_shards(16, 1, 6, 2, false), 1);
    cr_expect_eq(auto_shards(1024, 2, 127, 2, false), 2); /* 2*127*1024^2 < 2^28 */
    cr_expect_eq(auto_shards(1024, 2, 128, 2, false), 1); /* = 2^28 */
    /* a shape that pays, but OpenBLAS has its threads: no shards */
    model_set_threads(2, false);
    cr_expect_eq(openblas_get_num_threads(), 2);
    ModelConfig cfg = shard_config();
    cr_expect(model_shards_pay_off(&cfg, 5, 6));
    /* with OpenBLAS at one thread too, 2^28 multiply-adds do not pay */
    cr_expect_eq(auto_shards(1024, 2, 128, 2, true), 1);
}

/* model_set_threads: the pool gets `threads`, OpenBLAS one thread when the
 * batches shard, else `threads`. */
Test(shards, threads_are_set_once_for_pool_and_openblas)
{
    model_set_threads(2, true);
    cr_expect_eq(openblas_get_num_threads(), 1);
    cr_expect_eq(parallel_threads(), 2);
    model_set_threads(2, false);
    cr_expect_eq(openblas_get_num_threads(), 2);
    cr_expect_eq(parallel_threads(), 2);
    model_set_threads(1, true);
    cr_expect_eq(openblas_get_num_threads(), 1);
    cr_expect_eq(parallel_threads(), 1);
    model_set_threads(1, false);
}

/* The UI's inference thread runs batch-1 forwards (its own Model copy and
 * Activations) while the training thread runs sharded steps, which hold the
 * pool: the forwards stay right. Safe by design: OpenBLAS's thread count was
 * set once before the threads started and no step changes it (the inference
 * thread checks it before every forward); concurrent single-threaded sgemm
 * calls from two threads are what OpenBLAS supports. Same thread count, same
 * shape: the same bits as before the steps started. */
typedef struct {
    Model *m;
    const int *tokens;
    const float *want; /* (3) logits */
    int T, mismatches, runs, blas_changes;
} InferCtx;

static void *infer_loop(void *p)
{
    InferCtx *c = p;
    Activations *a = activations_create(c->m, 1, c->T);
    if (!a)
        return NULL;
    for (int i = 0; i < 200; i++) {
        c->blas_changes += openblas_get_num_threads() != 1;
        const float *z = model_forward(c->m, a, c->tokens, 1, c->T, NULL);
        c->runs++;
        for (int k = 0; k < 3; k++)
            if (!z || memcmp(&z[k], &c->want[k], sizeof(float)) != 0)
                c->mismatches++;
    }
    activations_free(a);
    return NULL;
}

Test(shards, batch1_forwards_on_another_thread_during_sharded_steps)
{
    model_set_threads(2, true);
    ModelConfig cfg = shard_config();
    cfg.dropout = 0.1f;
    Rng rng;
    rng_seed(&rng, 21);
    Model *train = model_create(&cfg, &rng, NULL, 0);
    Model *infer = model_create(&cfg, &rng, NULL, 0);
    cr_assert(train && infer);
    model_copy_params(infer, train);
    int tokens[MAX_B * MAX_T], labels[MAX_B];
    make_batch(tokens, labels, MAX_B, MAX_T, cfg.vocab_size, false, &rng);

    Activations *a1 = activations_create(infer, 1, MAX_T);
    cr_assert_not_null(a1);
    float want[3];
    memcpy(want, model_forward(infer, a1, tokens, 1, MAX_T, NULL), sizeof want);
    activations_free(a1);

    Activations *a = activations_create(train, MAX_B, MAX_T);
    cr_assert_not_null(a);
    cr_assert_eq(activations_set_shards(a, train, 2), 0);
    Optimizer opt;
    OptimConfig oc = optim_config_default();
    cr_assert_eq(optimizer_init(&opt, &oc, train->num_params), 0);
    InferCtx c = {.m = infer, .tokens = tokens, .want = want, .T = MAX_T};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, infer_loop, &c), 0);
    for (int step = 0; step < 50; step++) {
        model_zero_grad(train);
        cr_assert_not_null(model_forward(train, a, tokens, MAX_B, MAX_T, &rng));
        cr_expect(isfinite(model_loss(a, labels, 0.0f, NULL)));
        model_backward(train, a);
        optimizer_step(&opt, train->params, train->grads, oc.lr);
    }
    pthread_join(th, NULL);
    cr_expect_eq(c.runs, 200);
    cr_expect_eq(c.mismatches, 0, "%d of %d logits changed", c.mismatches, 3 * c.runs);
    cr_expect_eq(c.blas_changes, 0, "OpenBLAS's thread count changed during the steps");
    cr_expect_eq(activations_shards(a), 2);
    optimizer_free(&opt);
    activations_free(a);
    model_free(train);
    model_free(infer);
    model_set_threads(1, false);
}
