/* The trainer: determinism, learning, non-finite losses, the LR schedule, clipping,
 * per-layer gradient norms, EMA, validation and best copy, exact resume, and no
 * allocation inside a step. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "trainer.h"

/* ------------------------------------------------------- allocation counter */
/* The test executable interposes malloc & co. to count calls made while
 * `counting` is set (not under ASan, which owns malloc itself). */
#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef COUNT_ALLOCATIONS
#define COUNT_ALLOCATIONS 1
#endif

#if COUNT_ALLOCATIONS
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static volatile int counting;
static volatile long allocations;

void *malloc(size_t n)
{
    if (counting)
        allocations++;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    if (counting)
        allocations++;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    if (counting)
        allocations++;
    return __libc_realloc(p, n);
}
#endif

/* ------------------------------------------------------------- fixtures */

typedef struct {
    Dataset *data;
    Vocab *vocab;
    EncodedDataset *enc;
} Encoded;

static AppConfig small_config(void)
{
    AppConfig c;
    memset(&c, 0, sizeof c);
    c.model = model_config_default();
    c.model.d_model = 16;
    c.model.num_heads = 2;
    c.model.d_ff = 32;
    c.model.num_layers = 2;
    c.model.max_len = 10;
    c.model.dropout = 0.1f;
    c.model.pad_mask = true;
    c.train.epochs = 4;
    c.train.batch_size = 4;
    c.train.seed = 7;
    c.train.optim = optim_config_default();
    c.train.optim.lr = 3e-3f;
    c.train.schedule = LR_CONSTANT;
    c.data.tokenizer = (TokenizerConfig){TOKENIZER_WHITESPACE, true};
    c.data.min_freq = 1;
    return c;
}

static Encoded encode(Dataset *d, AppConfig *c)
{
    Encoded e = {.data = d};
    cr_assert_not_null(d);
    e.vocab = vocab_from_dataset(d, &c->data.tokenizer, 1, 0);
    cr_assert_not_null(e.vocab);
    e.enc = dataset_encode(d, &c->data.tokenizer, e.vocab, c->model.max_len);
    cr_assert_not_null(e.enc);
    c->model.vocab_size = vocab_size(e.vocab);
    c->model.num_classes = d->num_classes;
    return e;
}

static void encoded_free(Encoded *e)
{
    encoded_dataset_free(e->enc);
    vocab_free(e->vocab);
    dataset_free(e->data);
}

static Trainer *make_trainer(const AppConfig *c, const Encoded *train, const EncodedDataset *val)
{
    char err[256] = "";
    Trainer *t = trainer_create(c, NULL, train->enc, val, err, sizeof err);
    cr_assert_not_null(t, "trainer_create: %s", err);
    return t;
}

/* Runs up to n steps, recording each loss; returns the number taken. */
static int run(Trainer *t, int n, float *losses)
{
    char err[256];
    int taken = 0;
    for (int i = 0; i < n; i++) {
        int rc = trainer_step(t, err, sizeof err);
        cr_assert_neq(rc, -1, "step %d: %s", i, err);
        if (rc == 1)
            break;
        if (losses)
            losses[taken] = trainer_progress(t)->loss;
        taken++;
    }
    return taken;
}

/* ------------------------------------------------------------------ tests */

Test(trainer, same_seed_same_losses_and_weights)
{
    AppConfig c = small_config();
    c.data.length_buckets = true;
    Encoded e = encode(dataset_workshop_toy(), &c);
    Trainer *a = make_trainer(&c, &e, NULL);
    Trainer *b = make_trainer(&c, &e, NULL);
    float la[64], lb[64];
    int na = run(a, 64, la), nb = run(b, 64, lb);
    cr_assert_eq(na, 12, "10 sentences, batch 4, 4 epochs = 12 steps, got %d", na);
    cr_assert_eq(na, nb);
    for (int i = 0; i < na; i++)
        cr_assert_eq(la[i], lb[i], "step %d: %.9g vs %.9g", i, (double)la[i], (double)lb[i]);
    const Model *ma = trainer_model(a), *mb = trainer_model(b);
    cr_assert(memcmp(ma->params, mb->params, ma->num_params * sizeof(float)) == 0);

    c.train.seed = 8;
    Trainer *other = make_trainer(&c, &e, NULL);
    float lo[64];
    run(other, 64, lo);
    bool differs = false;
    for (int i = 0; i < na; i++)
        differs |= lo[i] != la[i];
    cr_assert(differs, "another seed gives the same losses");
    trainer_free(a);
    trainer_free(b);
    trainer_free(other);
    encoded_free(&e);
}

Test(trainer, loss_decreases_and_progress_counts)
{
    AppConfig c = small_config();
    c.train.epochs = 40;
    c.train.batch_size = 5;
    c.model.dropout = 0.0f;
    Encoded e = encode(dataset_workshop_toy(), &c);
    Trainer *t = make_trainer(&c, &e, NULL);
    const TrainProgress *p = trainer_progress(t);
    cr_assert_eq(p->steps_per_epoch, 2);
    cr_assert_eq(p->total_steps, 80);
    float first_epoch = 0;
    run(t, 2, NULL);
    first_epoch = p->loss_avg;
    cr_assert_eq(p->epoch, 1, "epoch advances after 2 steps");
    cr_assert_eq(p->step_in_epoch, 0);
    int n = run(t, 1000, NULL);
    cr_assert_eq(n, 78);
    cr_assert(p->done);
    cr_assert_eq(p->step, 80);
    cr_assert_eq(p->epoch, 39, "epoch stays on the last one when done");
    cr_assert_lt(p->loss_avg, 0.5f * first_epoch, "last epoch %.4f vs first %.4f",
                 (double)p->loss_avg, (double)first_epoch);
    cr_assert_float_eq(p->acc_avg, 1.0f, 1e-6, "the 10 toy sentences are learnt");
    cr_assert_gt(p->sentences_per_s, 0.0);
    cr_assert_gt(p->elapsed_s, 0.0);
    char err[64];
    cr_assert_eq(trainer_step(t, err, sizeof err), 1, "no step after the end");
    trainer_free(t);
    encoded_free(&e);
}

Test(trainer, non_finite_loss_is_an_error_and_leaves_the_model)
{
    AppConfig c = small_config();
    Encoded e = encode(dataset_workshop_toy(), &c);
    Trainer *t = make_trainer(&c, &e, NULL);
    run(t, 2, NULL);
    Model *m = trainer_train_model(t);
    ModelWeights w = model_params(m);
    w.cls2_b[0] = NAN;
    float *before = malloc(m->num_params * sizeof(float));
    memcpy(before, m->params, m->num_params * sizeof(float));
    Optimizer *opt = trainer_optimizer(t);
    long opt_step = opt->step;
    char err[256] = "";
    cr_assert_eq(trainer_step(t, err, sizeof err), -1);
    cr_assert(strstr(err, "NaN") != NULL, "message: %s", err);
    cr_assert(strstr(err, "step 3") != NULL, "message names the step: %s", err);
    cr_assert(memcmp(before, m->params, m->num_params * sizeof(float)) == 0, "weights changed");
    cr_assert_eq(trainer_progress(t)->step, 2);
    cr_assert_eq(opt->step, opt_step);
    free(before);
    trainer_free(t);
    encoded_free(&e);
}

/* A finite loss and gradient whose update would still overflow (a first moment
 * of 3e38 over a second moment of 0: m / eps is infinite) stops training with the
 * weights, the moments and the step as they were. */
Test(trainer, update_going_non_finite_is_an_error_and_leaves_the_model)
{
    AppConfig c = small_config();
    c.model.dropout = 0.0f;
    Encoded e = encode(dataset_workshop_toy(), &c);
    Trainer *t = make_trainer(&c, &e, NULL);
    run(t, 2, NULL);
    Model *m = trainer_train_model(t);
    Optimizer *opt = trainer_optimizer(t);
    opt->m[0] = 3e38f;
    opt->v[0] = 0.0f;
    const size_t bytes = m->num_params * sizeof(float);
    float *before = malloc(bytes), *m_before = malloc(bytes);
    memcpy(before, m->params, bytes);
    memcpy(m_before, opt->m, bytes);
    long opt_step = opt->step;
    char err[256] = "";
    cr_assert_eq(trainer_step(t, err, sizeof err), -1);
    cr_expect(strstr(err, "NaN or infinite") != NULL, "message: %s", err);
    cr_expect(strstr(err, "step 3") != NULL, "message names the step: %s", err);
    cr_expect(memcmp(before, m->params, bytes) == 0, "weights changed");
    cr_expect(memcmp(m_before, opt->m, bytes) == 0, "moments changed");
    cr_expect_eq(trainer_progress(t)->step, 2);
    cr_expect_eq(opt->step, opt_step);
    free(before);
    free(m_before);
    trainer_free(t);
    encoded_free(&e);
}

Test(trainer, warmup_cosine_schedule_and_lr_scale_are_applied)
{
    AppConfig c = small_config();
    c.train.epochs = 10;
    c.train.schedule = LR_WARMUP_COSINE;
    c.train.warmup_fraction = 0.2f;
    c.train.min_lr = 1e-4f;
    Encoded e = encode(dataset_workshop_toy(), &c);
    Trainer *t = make_trainer(&c, &e, NULL);
    const TrainProgress *p = trainer_progress(t);
    LrSchedule s = {LR_WARMUP_COSINE, c.train.optim.lr, 6, 30, 1e-4f};
    char err[128];
    float peak = 0;
    for (long step = 0; step < 30; step++) {
        if (step == 20)
            trainer_set_lr_scale(t, 0.5f);
        float scale = step >= 20 ? 0.5f : 1.0f;
        cr_assert_eq(trainer_step(t, err, sizeof err), 0, "%s", err);
        cr_assert_float_eq(p->lr, scale * lr_schedule_at(&s, step), 1e-9, "step %ld: %g", step,
                           (double)p->lr);
        peak = p->lr > peak ? p->lr : peak;
    }
    cr_assert_float_eq(trainer_lr_scale(t), 0.5f, 0);
    cr_assert_geq(peak, 0.95f * c.train.optim.lr, "the peak is (nearly) reached: %g", (double)peak);
    cr_assert_leq(peak, c.train.optim.lr);
    trainer_free(t);
    encoded_free(&e);
}

Test(trainer, clipping_and_layer_gradient_norms)
{
    AppConfig c = small_config();
    c.train.optim.clip_norm = 1e-3f;
    Encoded e = encode(dataset_workshop_toy(), &c);
    Trainer *t = make_trainer(&c, &e, NULL);
    run(t, 1, NULL);
    const TrainProgress *p = trainer_progress(t);
    const Model *m = trainer_train_model(t);
    cr_assert_gt(p->grad_norm, 1e-3f, "the norm reported is the one before clipping");
    float after = grad_global_norm(m->grads, m->num_params);
    cr_assert_leq(after, 1e-3f * 1.001f, "clipped norm %g", (double)after);
    double layers = 0;
    for (int l = 0; l < MODEL_MAX_LAYERS; l++) {
        if (l < c.model.num_layers)
            cr_assert_gt(p->layer_grad_norm[l], 0.0f, "layer %d", l);
        else
            cr_assert_eq(p->layer_grad_norm[l], 0.0f, "layer %d does not exist", l);
        layers += (double)p->layer_grad_norm[l] * p->layer_grad_norm[l];
    }
    /* The encoder layers are part of the whole, which also has embedding and classifier. */
    cr_assert_lt(sqrt(layers), (double)p->grad_norm);
    trainer_free(t);
    encoded_free(&e);
}

Test(trainer, validation_best_copy_and_ema)
{
    AppConfig c = small_config();
    c.train.epochs = 6;
    c.train.eval_every = 4;
    c.train.ema_decay = 0.9f;
    Encoded e = encode(dataset_workshop_toy(), &c);
    Trainer *t = make_trainer(&c, &e, e.enc);
    const TrainProgress *p = trainer_progress(t);
    cr_assert(p->has_val);
    cr_assert_eq(p->val_step, -1);
    run(t, 4, NULL);
    cr_assert_eq(p->val_step, 4, "validation every 4 steps");
    cr_assert_eq(p->best_step, 4);
    run(t, 100, NULL);
    cr_assert_eq(p->val_step, 18, "and at the end");
    cr_assert_geq(p->best_val_acc, p->val_acc);
    cr_assert(p->best_step >= 4 && p->best_step <= 18);

    cr_assert_neq(trainer_model(t), trainer_train_model(t), "EMA weights are their own copy");
    const Model *ema = trainer_model(t), *raw = trainer_train_model(t);
    cr_assert(memcmp(ema->params, raw->params, raw->num_params * sizeof(float)) != 0);
    float loss, acc;
    cr_assert_eq(trainer_evaluate(t, e.enc, &loss, &acc), 0);
    cr_assert_float_eq(acc, p->val_acc, 1e-6, "evaluate uses the EMA weights, as validation");
    cr_assert_float_eq(loss, p->val_loss, 1e-6);
    cr_assert_not_null(trainer_best_model(t));
    trainer_free(t);
    encoded_free(&e);
}

Test(trainer, resume_continues_like_the_uninterrupted_run)
{
    AppConfig c = small_config();
    c.train.epochs = 6;
    c.train.optim.kind = OPTIM_ADAMW;
    c.train.optim.weight_decay = 0.01f;
    c.train.schedule = LR_WARMUP_COSINE;
    c.train.warmup_fraction = 0.1f;
    c.data.length_buckets = true;
    Encoded e = encode(dataset_workshop_toy(), &c);
    Trainer *whole = make_trainer(&c, &e, NULL);
    float lw[32];
    int n = run(whole, 32, lw);
    cr_assert_eq(n, 18);

    Trainer *first = make_trainer(&c, &e, NULL);
    run(first, 7, NULL); /* stops in the middle of epoch 3 */
    char err[256] = "";
    Model *copy = model_create(&trainer_train_model(first)->cfg, &(Rng){1}, err, sizeof err);
    cr_assert_not_null(copy, "%s", err);
    model_copy_params(copy, trainer_train_model(first));
    Trainer *second = trainer_create(&c, copy, e.enc, NULL, err, sizeof err);
    cr_assert_not_null(second, "%s", err);
    Optimizer *src = trainer_optimizer(first), *dst = trainer_optimizer(second);
    memcpy(dst->m, src->m, src->n * sizeof(float));
    memcpy(dst->v, src->v, src->n * sizeof(float));
    dst->step = src->step;
    cr_assert_eq(trainer_set_step(second, dst->step, err, sizeof err), 0, "%s", err);
    const TrainProgress *p = trainer_progress(second);
    cr_assert_eq(p->epoch, 2);
    cr_assert_eq(p->step_in_epoch, 1);
    float lr2[32];
    int n2 = run(second, 32, lr2);
    cr_assert_eq(n2, 11);
    for (int i = 0; i < n2; i++)
        cr_assert_eq(lr2[i], lw[7 + i], "step %d: %.9g vs %.9g", 7 + i, (double)lr2[i],
                     (double)lw[7 + i]);
    const Model *a = trainer_model(whole), *b = trainer_model(second);
    cr_assert(memcmp(a->params, b->params, a->num_params * sizeof(float)) == 0);
    cr_assert_eq(trainer_set_step(second, 19, err, sizeof err), -1);
    cr_assert(strstr(err, "18 steps") != NULL, "%s", err);
    trainer_free(whole);
    trainer_free(first);
    trainer_free(second);
    encoded_free(&e);
}

Test(trainer, reset_starts_over)
{
    AppConfig c = small_config();
    Encoded e = encode(dataset_workshop_toy(), &c);
    Trainer *t = make_trainer(&c, &e, NULL);
    float l1[16], l2[16];
    int n1 = run(t, 16, l1);
    trainer_reset(t);
    cr_assert_eq(trainer_progress(t)->step, 0);
    cr_assert(!trainer_progress(t)->done);
    int n2 = run(t, 16, l2);
    cr_assert_eq(n1, n2);
    for (int i = 0; i < n1; i++)
        cr_assert_eq(l1[i], l2[i], "step %d", i);
    trainer_free(t);
    encoded_free(&e);
}

Test(trainer, rejects_labels_beyond_the_model)
{
    AppConfig c = small_config();
    Encoded e = encode(dataset_workshop_toy(), &c);
    e.enc->label[3] = 5;
    char err[256] = "";
    Trainer *t = trainer_create(&c, NULL, e.enc, NULL, err, sizeof err);
    cr_assert_null(t);
    cr_assert(strstr(err, "label 5") != NULL, "%s", err);
    encoded_free(&e);
}

/* Sum of the per-batch T over the first epoch, checking that the order is a permutation. */
static long epoch_tokens(Trainer *t, int *first_order, int cap)
{
    char err[128];
    long total = 0;
    long steps = trainer_progress(t)->steps_per_epoch;
    for (long s = 0; s < steps; s++) {
        cr_assert_eq(trainer_step(t, err, sizeof err), 0, "%s", err);
        total += trainer_progress(t)->batch_len;
        if (s == 0) {
            int n, nb;
            const int *starts;
            const int *order = trainer_epoch_order(t, &n, &starts, &nb);
            cr_assert_not_null(order);
            cr_assert_leq(n, cap);
            int *seen = calloc((size_t)n, sizeof *seen);
            for (int i = 0; i < n; i++)
                seen[order[i]]++;
            for (int i = 0; i < n; i++)
                cr_assert_eq(seen[i], 1, "sentence %d fed %d times", i, seen[i]);
            free(seen);
            memcpy(first_order, order, (size_t)n * sizeof *order);
        }
    }
    return total;
}

Test(trainer, length_buckets_cut_padding_and_keep_every_sentence)
{
    AppConfig c = small_config();
    c.model.max_len = 32;
    c.train.batch_size = 8;
    Encoded e = encode(dataset_embedded_train(), &c);
    cr_assert_gt(e.enc->n, 100);
    int *o1 = malloc((size_t)e.enc->n * sizeof(int)), *o2 = malloc((size_t)e.enc->n * sizeof(int));
    Trainer *plain = make_trainer(&c, &e, NULL);
    long plain_tokens = epoch_tokens(plain, o1, e.enc->n);
    c.data.length_buckets = true;
    Trainer *bucketed = make_trainer(&c, &e, NULL);
    long bucket_tokens = epoch_tokens(bucketed, o2, e.enc->n);
    cr_assert_lt(bucket_tokens, plain_tokens, "buckets %ld tokens vs %ld", bucket_tokens, plain_tokens);
    cr_assert(memcmp(o1, o2, (size_t)e.enc->n * sizeof(int)) != 0);
    /* The next epoch is shuffled again. */
    epoch_tokens(bucketed, o1, e.enc->n);
    cr_assert(memcmp(o1, o2, (size_t)e.enc->n * sizeof(int)) != 0, "epoch 2 repeats epoch 1");
    free(o1);
    free(o2);
    trainer_free(plain);
    trainer_free(bucketed);
    encoded_free(&e);
}

/* Every batch feeds model_tokens_to_feed of its longest sentence, the rule of
 * evaluation and inference: that length with the padding mask, max_len without
 * it, even when the rows were encoded narrower than max_len. */
Test(trainer, batches_feed_the_tokens_of_the_one_length_rule)
{
    for (int pad_mask = 0; pad_mask <= 1; pad_mask++) {
        AppConfig c = small_config();
        c.model.pad_mask = pad_mask;
        Encoded e = encode(dataset_workshop_toy(), &c); /* rows c.model.max_len = 10 wide */
        EncodedDataset *narrow = dataset_encode(e.data, &c.data.tokenizer, e.vocab, 6);
        cr_assert_not_null(narrow);
        char err[256] = "";
        Trainer *t = trainer_create(&c, NULL, narrow, NULL, err, sizeof err);
        cr_assert_not_null(t, "%s", err);
        for (int step = 0; step < 6; step++) {
            cr_assert_eq(trainer_step(t, err, sizeof err), 0, "%s", err);
            int n, nb;
            const int *starts;
            const int *order = trainer_epoch_order(t, &n, &starts, &nb);
            const TrainProgress *p = trainer_progress(t);
            if (!order || p->step_in_epoch == 0)
                continue; /* the step ended the epoch: its order is gone */
            long b = p->step_in_epoch - 1;
            cr_assert_lt(b, nb);
            int end = starts[b] + c.train.batch_size < n ? starts[b] + c.train.batch_size : n;
            int longest = 0;
            for (int i = starts[b]; i < end; i++)
                longest = narrow->len[order[i]] > longest ? narrow->len[order[i]] : longest;
            int want = pad_mask ? (longest < 1 ? 1 : longest) : c.model.max_len;
            cr_expect_eq(p->batch_len, want, "pad_mask %d step %d: fed %d tokens, longest %d",
                         pad_mask, step + 1, p->batch_len, longest);
        }
        trainer_free(t);
        encoded_dataset_free(narrow);
        encoded_free(&e);
    }
}

Test(trainer, no_allocation_inside_a_step)
{
#if COUNT_ALLOCATIONS
    AppConfig c = small_config();
    c.train.epochs = 3;
    c.train.eval_every = 2;
    c.train.ema_decay = 0.5f;
    c.train.adversarial_eps = 1.0f;   /* the second, perturbed pass allocates nothing either */
    c.train.oversample_min_tokens = 4;
    c.train.oversample_extra = 1;
    c.train.rdrop_alpha = 1.0f;
    c.data.length_buckets = true;
    Encoded e = encode(dataset_workshop_toy(), &c);
    Trainer *t = make_trainer(&c, &e, e.enc);
    char err[128];
    trainer_step(t, err, sizeof err); /* OpenBLAS may set up its buffers on first use */
    /* The counter itself works: */
    allocations = 0;
    counting = 1;
    void *volatile probe = malloc(16);
    counting = 0;
    free(probe);
    cr_assert_eq(allocations, 1, "the malloc interposition does not count");
    allocations = 0;
    counting = 1;
    int rc;
    while ((rc = trainer_step(t, err, sizeof err)) == 0)
        ;
    counting = 0;
    cr_assert_eq(rc, 1);
    cr_assert_eq(allocations, 0, "%ld allocations during training steps", allocations);
    trainer_free(t);
    encoded_free(&e);
#else
    cr_skip_test("allocation counting is not available under AddressSanitizer");
#endif
}

Test(trainer, oversampling_repeats_long_sentences_each_epoch)
{
    AppConfig c = small_config();
    c.model.max_len = 32;
    c.train.batch_size = 8;
    c.train.epochs = 2;
    c.data.length_buckets = true;
    Encoded e = encode(dataset_embedded_train(), &c);
    const int n = e.enc->n, min_tokens = 6, extra = 2;
    int long_rows = 0;
    for (int i = 0; i < n; i++)
        long_rows += e.enc->len[i] >= min_tokens;
    cr_assert(long_rows > 0 && long_rows < n, "%d of %d rows have >= %d tokens", long_rows, n,
              min_tokens);
    c.train.oversample_min_tokens = min_tokens;
    c.train.oversample_extra = extra;
    Trainer *t = make_trainer(&c, &e, NULL);
    const int want = n + extra * long_rows;
    cr_expect_eq(trainer_progress(t)->steps_per_epoch, (want + 7) / 8);
    char err[128];
    cr_assert_eq(trainer_step(t, err, sizeof err), 0, "%s", err);
    int order_n, nb;
    const int *starts;
    const int *order = trainer_epoch_order(t, &order_n, &starts, &nb);
    cr_assert_not_null(order);
    cr_assert_eq(order_n, want);
    int *seen = calloc((size_t)n, sizeof *seen);
    cr_assert_not_null(seen);
    for (int i = 0; i < order_n; i++)
        seen[order[i]]++;
    for (int i = 0; i < n; i++)
        cr_expect_eq(seen[i], e.enc->len[i] >= min_tokens ? 1 + extra : 1,
                     "sentence %d (%d tokens) fed %d times", i, e.enc->len[i], seen[i]);
    free(seen);
    /* The whole run goes through, both epochs. */
    int rc;
    while ((rc = trainer_step(t, err, sizeof err)) == 0)
        ;
    cr_expect_eq(rc, 1, "%s", err);
    cr_expect_eq(trainer_progress(t)->step, 2L * ((want + 7) / 8));
    trainer_free(t);
    encoded_free(&e);
}

Test(trainer, swa_is_the_plain_mean_of_the_weights_from_its_start)
{
    AppConfig c = small_config();
    c.train.epochs = 2;
    c.train.swa_start = 0.5f;
    Encoded e = encode(dataset_workshop_toy(), &c);
    Trainer *t = make_trainer(&c, &e, NULL);
    const TrainProgress *p = trainer_progress(t);
    const long start = (long)(0.5 * (double)p->total_steps);
    cr_assert_gt(p->total_steps - start, 2, "too few steps to average");
    const Model *raw = trainer_train_model(t);
    const size_t n = raw->num_params;
    double *sum = calloc(n, sizeof *sum);
    cr_assert_not_null(sum);
    char err[128];
    long averaged = 0;
    while (trainer_step(t, err, sizeof err) == 0) {
        const Model *avg = trainer_model(t);
        cr_assert_neq(avg, raw, "the average is its own copy");
        if (p->step <= start) {
            cr_assert_eq(memcmp(avg->params, raw->params, n * sizeof(float)), 0,
                         "before swa_start the weights themselves (step %ld)", p->step);
            continue;
        }
        averaged++;
        double max_err = 0.0;
        for (size_t i = 0; i < n; i++) {
            sum[i] += raw->params[i];
            max_err = fmax(max_err, fabs(avg->params[i] - sum[i] / (double)averaged));
        }
        cr_assert_lt(max_err, 1e-5, "step %ld: average off by %g", p->step, max_err);
    }
    cr_expect_eq(averaged, p->total_steps - start);
    free(sum);
    trainer_free(t);
    encoded_free(&e);
}

/* Losses of the first `n` steps on the embedded training set. */
static int losses_with(const AppConfig *c, float *losses, int n)
{
    AppConfig cc = *c;
    Encoded e = encode(dataset_embedded_train(), &cc);
    Trainer *t = make_trainer(&cc, &e, NULL);
    int taken = run(t, n, losses);
    trainer_free(t);
    encoded_free(&e);
    return taken;
}

Test(trainer, rare_word_dropout_replaces_the_rate_of_rare_words_only)
{
    AppConfig c = small_config();
    c.model.max_len = 32;
    c.train.batch_size = 8;
    float plain[20], all_rare[20], some_rare[20];
    c.train.word_dropout = 0.3f;
    cr_assert_eq(losses_with(&c, plain, 20), 20);
    /* Every word rare (max_count above any count): the same rate for every token, drawn
     * the same way, so bit for bit the plain word dropout. */
    c.train.word_dropout = 0.0f;
    c.train.rare_word_dropout = 0.3f;
    c.train.rare_word_max_count = 1000000000;
    cr_assert_eq(losses_with(&c, all_rare, 20), 20);
    for (int i = 0; i < 20; i++)
        cr_expect_eq(all_rare[i], plain[i], "step %d: %.9g vs %.9g", i, (double)all_rare[i],
                     (double)plain[i]);
    /* Only the words seen once get the rate: another run. */
    c.train.rare_word_max_count = 1;
    cr_assert_eq(losses_with(&c, some_rare, 20), 20);
    bool differs = false;
    for (int i = 0; i < 20; i++)
        differs |= some_rare[i] != plain[i];
    cr_expect(differs, "dropping only rare words trained like dropping all");
}
