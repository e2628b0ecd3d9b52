/* Mini-batch training loop. Everything a step needs (batch buffers, orderings,
 * activations, the weight average and best copies) is allocated by
 * trainer_create, so that trainer_step itself never allocates.
 *
 * Randomness is derived, not carried: the shuffle of epoch e is seeded from
 * (seed, e) and the dropout stream of step s from (seed, s). A run resumed at
 * step s therefore continues exactly as the uninterrupted run would have. */
#include "trainer.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errors.h"
#include "lm_score.h"
#include "memory.h"
#include "model/adversarial.h"

/* Length buckets: sentences are sorted by length inside chunks of this many batches,
 * so batches hold similar lengths while the epoch order stays random. */
#define BUCKET_CHUNK_BATCHES 32

struct Trainer {
    AppConfig cfg;
    Model *model;               /* trained weights */
    Model *weight_average;      /* average of model's weights over the steps: exponential
                                 * (ema_decay > 0) or plain from swa_start (SWA); NULL
                                 * when neither */
    Model *best;                /* copy of trainer_model at the best validation; NULL without val */
    const EncodedDataset *train;
    const EncodedDataset *val;  /* NULL or empty: no validation */
    Activations *acts;          /* (batch_size, max_T) for model */
    Activations *average_acts;  /* same for weight_average (evaluation only) */
    Activations *rdrop_acts;    /* the second dropout pass of R-Drop; NULL when off */
    int batch_size;             /* B reserved (training and evaluation batches) */
    int train_B;                /* B of training batches: batch_size, at most n */
    int max_T;                  /* T reserved: model_tokens_to_feed of the data's row
                                 * width (max_len without the padding mask) */
    Optimizer opt;
    LrSchedule schedule;
    float lr_scale;

    int *order;                 /* (order_n) sentence indices in epoch order */
    int order_n;                /* sentences per epoch: n, plus the oversampled long ones */
    long *sort_keys;            /* (order_n) scratch for length buckets */
    int *sort_scratch;          /* (order_n) */
    int *batch_start;           /* (num_batches) offset into order of each batch, shuffled */
    int num_batches;
    int prepared_epoch;         /* epoch whose order is in `order`; -1 none */

    int *tokens;                /* (B, max_T) batch being fed */
    int *labels;                /* (B) */
    float *adv_delta;           /* (B, max_T, C) adversarial perturbation; NULL when off */
    uint8_t *rare_words;        /* (V) words for rare_word_dropout; NULL when off */

    const LmData *lm;           /* language model: its data (windows, validation); NULL
                                 * for the classifier */
    int *lm_window;             /* (max_T + 1) one training window */
    char *lm_window_text;       /* (max_T + 1) generated text of a synthetic window */
    int *lm_targets;            /* (B, max_T) the token after each input token */
    double lm_chars_sum;        /* characters of the predicted tokens, this epoch */
    long lm_tokens_sum;         /* predicted tokens, this epoch */

    bool epoch_started;         /* running sums belong to the current epoch */
    double loss_sum;            /* sum over sentences of this epoch */
    long correct_sum, seen;
    double epoch_time_s;
    TrainProgress prog;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* An independent stream per (purpose, index): splitmix inside rng_seed decorrelates. */
static void seed_stream(Rng *rng, uint64_t seed, uint64_t purpose, uint64_t index)
{
    rng_seed(rng, seed ^ (purpose * 0xD1B54A32D192ED03ull) ^ (index * 0x9E3779B97F4A7C15ull));
}

#define STREAM_SHUFFLE 1u
#define STREAM_DROPOUT 2u
#define STREAM_WORD_DROPOUT 3u
#define STREAM_WORD_DELETE 4u
#define STREAM_LM_WINDOWS 5u

/* PyTorch's nn.Embedding draws N(0, 1); the encoder multiplies by sqrt(d_model), so with
 * Adam (steps of about lr whatever the scale) a word's vector moves slowly relative to
 * its size. A smaller initial std lets the embeddings learn at the pace of the rest. */
static void scale_initial_embeddings(Model *m, float std)
{
    if (std == 1.0f)
        return;
    float *e = model_params(m).tok_emb;
    size_t n = (size_t)m->cfg.vocab_size * (size_t)m->cfg.d_model;
    for (size_t i = 0; i < n; i++)
        e[i] *= std;
}

/* Word deletion: each real token of a training row is removed with probability p and
 * the rest closes up (padding after it), a shorter sentence with the same label; a row
 * keeps at least its first surviving or, failing that, its first token. */
static void delete_words(int *tokens, int count, int T, float p, Rng *rng)
{
    for (int i = 0; i < count; i++) {
        int *row = tokens + (size_t)i * (size_t)T;
        int kept = 0, first = row[0];
        for (int j = 0; j < T && row[j] != MODEL_PAD_ID; j++)
            if (rng_uniform(rng) >= p)
                row[kept++] = row[j];
        if (kept == 0 && first != MODEL_PAD_ID)
            row[kept++] = first;
        for (int j = kept; j < T; j++)
            row[j] = MODEL_PAD_ID;
    }
}

/* Word dropout: each real token of a training batch becomes <UNK> with probability p,
 * so the classifier cannot lean on a few words; drawn from (seed, step). A rare word
 * (rare[id], NULL = none) uses p_rare instead, so that <UNK> also learns to stand for
 * the rare words it replaces at test time; one draw per token either way. */
static void drop_words(int *tokens, int count, int T, float p, const uint8_t *rare, float p_rare,
                       Rng *rng)
{
    for (int i = 0; i < count * T; i++) {
        if (tokens[i] == MODEL_PAD_ID)
            continue;
        float q = rare && rare[tokens[i]] ? p_rare : p;
        if (rng_uniform(rng) < q)
            tokens[i] = MODEL_UNK_ID;
    }
}

/* rare (V): 1 for the ids seen at most max_count times in the training rows. */
static int mark_rare_words(uint8_t *rare, const EncodedDataset *d, int V, int max_count)
{
    int *counts = calloc((size_t)V, sizeof *counts);
    if (!counts)
        return -1;
    for (int i = 0; i < d->n; i++)
        for (int j = 0; j < d->len[i]; j++)
            counts[d->ids[(size_t)i * (size_t)d->max_len + (size_t)j]]++;
    for (int v = 0; v < V; v++)
        rare[v] = v > MODEL_UNK_ID && counts[v] <= max_count;
    free(counts);
    return 0;
}

/* In-place heap sort of distinct keys: qsort may allocate, and this runs inside a step. */
static void sift_down(long *a, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && a[child + 1] > a[child])
            child++;
        if (a[root] >= a[child])
            return;
        long tmp = a[root];
        a[root] = a[child];
        a[child] = tmp;
        root = child;
    }
}

static void heap_sort(long *a, size_t n)
{
    if (n < 2)
        return;
    for (size_t i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (size_t end = n - 1; end > 0; end--) {
        long tmp = a[0];
        a[0] = a[end];
        a[end] = tmp;
        sift_down(a, 0, end);
    }
}

/* Training rows of at least oversample_min_tokens tokens appear 1 + oversample_extra
 * times per epoch (the SST-2 dev set is whole sentences, its training set mostly
 * short phrases). Fills order (when not NULL) with 0..n-1 then the repeats; returns
 * the epoch's length. */
static int epoch_rows(const TrainConfig *tc, const EncodedDataset *d, int *order)
{
    int count = 0;
    for (int i = 0; i < d->n; i++)
        if (order)
            order[count++] = i;
        else
            count++;
    if (tc->oversample_min_tokens <= 0)
        return count;
    for (int copy = 0; copy < tc->oversample_extra; copy++)
        for (int i = 0; i < d->n; i++)
            if (d->len[i] >= tc->oversample_min_tokens) {
                if (order)
                    order[count] = i;
                count++;
            }
    return count;
}

static void prepare_epoch(Trainer *t, int epoch)
{
    const EncodedDataset *d = t->train;
    int n = t->order_n, B = t->train_B;
    Rng rng;
    seed_stream(&rng, t->cfg.train.seed, STREAM_SHUFFLE, (uint64_t)epoch);
    epoch_rows(&t->cfg.train, d, t->order);
    rng_shuffle(&rng, t->order, n);
    for (int b = 0; b < t->num_batches; b++)
        t->batch_start[b] = b * B;
    if (t->cfg.data.length_buckets) {
        int chunk = B * BUCKET_CHUNK_BATCHES;
        for (int c0 = 0; c0 < n; c0 += chunk) {
            int m = n - c0 < chunk ? n - c0 : chunk;
            /* key = (length, position): distinct, so the sort is deterministic. */
            for (int i = 0; i < m; i++) {
                t->sort_keys[i] = (long)d->len[t->order[c0 + i]] * n + i;
                t->sort_scratch[i] = t->order[c0 + i];
            }
            heap_sort(t->sort_keys, (size_t)m);
            for (int i = 0; i < m; i++)
                t->order[c0 + i] = t->sort_scratch[t->sort_keys[i] % n];
        }
        rng_shuffle(&rng, t->batch_start, t->num_batches);
    }
    t->prepared_epoch = epoch;
}

/* Copies rows idx[0..count) of d into the batch buffers; returns T, the tokens
 * model_tokens_to_feed says (as evaluation and inference feed). Rows wider than
 * the training and validation data's (trainer_evaluate on a set encoded wider,
 * with the padding mask) are cut to the reserved max_T. */
static int fill_batch(Trainer *t, const EncodedDataset *d, const int *idx, int count)
{
    int longest = 0;
    for (int i = 0; i < count; i++)
        if (d->len[idx[i]] > longest)
            longest = d->len[idx[i]];
    int T = model_tokens_to_feed(&t->model->cfg, longest);
    if (T > t->max_T)
        T = t->max_T;
    int copy = T < d->max_len ? T : d->max_len;
    for (int i = 0; i < count; i++) {
        const int *row = d->ids + (size_t)idx[i] * (size_t)d->max_len;
        int *dst = t->tokens + (size_t)i * (size_t)T;
        memcpy(dst, row, (size_t)copy * sizeof *dst);
        for (int j = copy; j < T; j++)
            dst[j] = MODEL_PAD_ID;
        t->labels[i] = d->label[idx[i]];
    }
    return T;
}

static int check_dataset(const EncodedDataset *d, const ModelConfig *mc, const char *which,
                         char *err, size_t err_len)
{
    for (int i = 0; i < d->n; i++) {
        if (d->label[i] < 0 || d->label[i] >= mc->num_classes)
            return errorf(err, err_len,
                          "%s sentence %d: label %d out of range (the model has %d classes)",
                          which, i + 1, d->label[i], mc->num_classes);
        for (int j = 0; j < d->max_len; j++) {
            int id = d->ids[(size_t)i * (size_t)d->max_len + (size_t)j];
            if (id < 0 || id >= mc->vocab_size)
                return errorf(err, err_len,
                              "%s sentence %d: token id %d out of range (vocabulary of %d)",
                              which, i + 1, id, mc->vocab_size);
        }
    }
    return 0;
}

static Model *model_clone(const Model *src, char *err, size_t err_len)
{
    Rng rng;
    rng_seed(&rng, 0);
    Model *m = model_create(&src->cfg, &rng, err, err_len);
    if (m)
        model_copy_params(m, src);
    return m;
}

/* Steps of the run: the epochs', or [train] max_steps when that is fewer. */
static long planned_steps(const Trainer *t)
{
    long total = (long)t->num_batches * t->cfg.train.epochs;
    int max_steps = t->cfg.train.max_steps;
    return max_steps > 0 && max_steps < total ? max_steps : total;
}

static void reset_progress(Trainer *t)
{
    int spe = t->num_batches;
    TrainProgress *p = &t->prog;
    memset(p, 0, sizeof *p);
    p->epochs = t->cfg.train.epochs;
    p->steps_per_epoch = spe;
    p->total_steps = planned_steps(t);
    p->has_val = t->lm ? t->lm->val.n >= 2 : t->val != NULL && t->val->n > 0;
    p->is_lm = t->lm != NULL;
    p->val_step = -1;
    p->best_step = -1;
    p->lr = lr_schedule_at(&t->schedule, 0) * t->lr_scale;
    p->done = p->total_steps == 0;
    t->epoch_started = false;
    t->loss_sum = 0;
    t->correct_sum = t->seen = 0;
    t->epoch_time_s = 0;
    t->prepared_epoch = -1;
    t->lm_chars_sum = 0;
    t->lm_tokens_sum = 0;
}

/* epochs and batch size usable, training data present: 0, or -1 with err. */
static int check_run(const AppConfig *cfg, const EncodedDataset *train, char *err, size_t err_len)
{
    if (!train || train->n <= 0)
        return errorf(err, err_len, "no training sentences");
    if (cfg->train.epochs < 1 || cfg->train.batch_size < 1)
        return errorf(err, err_len, "epochs and batch_size must be at least 1 (got %d and %d)",
                      cfg->train.epochs, cfg->train.batch_size);
    return 0;
}

/* The caller's model, or a fresh one from the config and the seed. */
static Model *initial_model(const AppConfig *cfg, Model *model, char *err, size_t err_len)
{
    if (model)
        return model;
    Rng rng;
    rng_seed(&rng, cfg->train.seed);
    model = model_create(&cfg->model, &rng, err, err_len);
    if (model)
        scale_initial_embeddings(model, cfg->train.embedding_init_std);
    return model;
}

/* Batch sizes: B of training batches, the B and T reserved (which also cover
 * validation batches), batches per epoch. */
static void plan_batches(Trainer *t)
{
    const TrainConfig *tc = &t->cfg.train;
    const EncodedDataset *train = t->train, *val = t->val;
    const int n = epoch_rows(tc, train, NULL);
    t->order_n = n;
    t->train_B = tc->batch_size < n ? tc->batch_size : n;
    const int largest = val && val->n > n ? val->n : n;
    t->batch_size = tc->batch_size < largest ? tc->batch_size : largest;
    /* Rows are encoded max_len wide (the callers encode at the model's max_len). */
    const int width = val && val->max_len > train->max_len ? val->max_len : train->max_len;
    t->max_T = model_tokens_to_feed(&t->model->cfg, width);
    t->num_batches = (n + t->train_B - 1) / t->train_B;
}

/* The batch buffers, orderings and activations every run needs. */
static int alloc_batches(Trainer *t, char *err, size_t err_len)
{
    const size_t n = (size_t)t->order_n, B = (size_t)t->batch_size, T = (size_t)t->max_T;
    t->order = malloc(n * sizeof *t->order);
    t->sort_keys = malloc(n * sizeof *t->sort_keys);
    t->sort_scratch = malloc(n * sizeof *t->sort_scratch);
    t->batch_start = malloc((size_t)t->num_batches * sizeof *t->batch_start);
    t->tokens = malloc(B * T * sizeof *t->tokens);
    t->labels = malloc(B * sizeof *t->labels);
    t->acts = activations_create(t->model, t->batch_size, t->max_T);
    if (!t->order || !t->sort_keys || !t->sort_scratch || !t->batch_start || !t->tokens ||
        !t->labels || !t->acts)
        return errorf(err, err_len, "out of memory (batch %d x %d)", t->batch_size, t->max_T);
    return 0;
}

/* Buffers of the options that are on: R-Drop's second pass, rare words, the
 * adversarial perturbation, the weight average, the best copy. */
static int alloc_options(Trainer *t, char *err, size_t err_len)
{
    const TrainConfig *tc = &t->cfg.train;
    const ModelConfig *mc = &t->model->cfg;
    const int B = t->batch_size, T = t->max_T;
    if (tc->rdrop_alpha > 0 && !(t->rdrop_acts = activations_create(t->model, B, T)))
        return errorf(err, err_len, "out of memory (R-Drop activations)");
    if (tc->rare_word_dropout > 0) {
        t->rare_words = malloc((size_t)mc->vocab_size);
        if (!t->rare_words ||
            mark_rare_words(t->rare_words, t->train, mc->vocab_size, tc->rare_word_max_count) != 0)
            return errorf(err, err_len, "out of memory (rare words)");
    }
    if (tc->adversarial_eps > 0) {
        t->adv_delta = malloc((size_t)B * (size_t)T * (size_t)mc->d_model * sizeof *t->adv_delta);
        if (!t->adv_delta)
            return errorf(err, err_len, "out of memory (adversarial perturbation)");
    }
    if (tc->ema_decay > 0 || tc->swa_start > 0) {
        if (!(t->weight_average = model_clone(t->model, err, err_len)))
            return -1;
        if (!(t->average_acts = activations_create(t->weight_average, B, T)))
            return errorf(err, err_len, "out of memory (weight average activations)");
    }
    if (t->val && t->val->n > 0 && !(t->best = model_clone(t->model, err, err_len)))
        return -1;
    return 0;
}

/* The optimizer, the learning-rate schedule over the planned steps, progress at step 0. */
static int start_run(Trainer *t, char *err, size_t err_len)
{
    const TrainConfig *tc = &t->cfg.train;
    if (optimizer_init(&t->opt, &tc->optim, t->model->num_params) != 0)
        return errorf(err, err_len, "out of memory (optimizer state for %zu parameters)",
                      t->model->num_params);
    const long total = planned_steps(t);
    t->schedule = (LrSchedule){
        .kind = tc->schedule,
        .peak_lr = tc->optim.lr,
        .warmup_steps = (long)((double)tc->warmup_fraction * (double)total + 0.5),
        .total_steps = total,
        .min_lr = tc->min_lr,
    };
    reset_progress(t);
    return 0;
}

Trainer *trainer_create(const AppConfig *cfg, Model *model, const EncodedDataset *train,
                        const EncodedDataset *val, char *err, size_t err_len)
{
    if (check_run(cfg, train, err, err_len) != 0) {
        model_free(model);
        return NULL;
    }
    Trainer *t = calloc(1, sizeof *t);
    if (!t) {
        errorf(err, err_len, "out of memory");
        model_free(model);
        return NULL;
    }
    t->cfg = *cfg;
    t->train = train;
    t->val = val;
    t->lr_scale = 1.0f;
    /* Once per run, before the training and UI threads exist (see model_set_threads). */
    model_set_threads(cfg->train.threads, model_shards_pay_off(&cfg->model, cfg->train.batch_size,
                                                               cfg->model.max_len));
    /* Before the model (when fresh) and every buffer: a config too large for the
     * machine is an error naming its keys, not a process the OOM killer ends. */
    if (memory_check_training(cfg, val && val->n > 0,
                              activations_auto_shards(&cfg->model, cfg->train.batch_size,
                                                      cfg->model.max_len), err, err_len) != 0) {
        model_free(model); /* ours, also on failure */
        goto fail;
    }
    if (!(t->model = initial_model(cfg, model, err, err_len)))
        goto fail;
    t->cfg.model = t->model->cfg;
    if (check_dataset(train, &t->model->cfg, "training", err, err_len) != 0 ||
        (val && check_dataset(val, &t->model->cfg, "validation", err, err_len) != 0))
        goto fail;
    plan_batches(t);
    if (alloc_batches(t, err, err_len) != 0 || alloc_options(t, err, err_len) != 0)
        goto fail;
    if (start_run(t, err, err_len) != 0)
        goto fail;
    return t;
fail:
    trainer_free(t);
    return NULL;
}

void trainer_free(Trainer *t)
{
    if (!t)
        return;
    optimizer_free(&t->opt);
    activations_free(t->acts);
    activations_free(t->average_acts);
    activations_free(t->rdrop_acts);
    model_free(t->model);
    model_free(t->weight_average);
    model_free(t->best);
    free(t->order);
    free(t->sort_keys);
    free(t->sort_scratch);
    free(t->batch_start);
    free(t->tokens);
    free(t->labels);
    free(t->adv_delta);
    free(t->rare_words);
    free(t->lm_window);
    free(t->lm_window_text);
    free(t->lm_targets);
    free(t);
}

static Model *eval_model(Trainer *t, Activations **acts)
{
    if (t->weight_average) {
        *acts = t->average_acts;
        return t->weight_average;
    }
    *acts = t->acts;
    return t->model;
}

int trainer_evaluate(Trainer *t, const EncodedDataset *d, float *loss, float *acc)
{
    *loss = 0;
    *acc = 0;
    if (!d || d->n <= 0)
        return -1;
    Activations *acts;
    Model *m = eval_model(t, &acts);
    double loss_sum = 0;
    long correct = 0;
    int idx[256];
    int B = t->batch_size < 256 ? t->batch_size : 256;
    for (int i0 = 0; i0 < d->n; i0 += B) {
        int count = d->n - i0 < B ? d->n - i0 : B;
        for (int i = 0; i < count; i++)
            idx[i] = i0 + i;
        int T = fill_batch(t, d, idx, count);
        if (!model_forward(m, acts, t->tokens, count, T, NULL))
            return -1;
        int c = 0;
        float l = model_loss(acts, t->labels, 0.0f, &c);
        loss_sum += (double)l * count;
        correct += c;
    }
    *loss = (float)(loss_sum / d->n);
    *acc = (float)correct / (float)d->n;
    return isfinite(*loss) ? 0 : -1;
}

static void validate_lm(Trainer *t);

static void validate(Trainer *t)
{
    if (t->lm) {
        validate_lm(t);
        return;
    }
    TrainProgress *p = &t->prog;
    float loss, acc;
    bool ok = trainer_evaluate(t, t->val, &loss, &acc) == 0;
    p->val_loss = ok ? loss : NAN;
    p->val_acc = acc;
    p->val_step = p->step;
    /* A diverged model (non-finite validation loss) is never the best one. */
    if (ok && (p->best_step < 0 || acc > p->best_val_acc)) {
        p->best_val_acc = acc;
        p->best_step = p->step;
        model_copy_params(t->best, trainer_model(t));
    }
}

/* After an optimizer step: the weight average takes in the new weights, with
 * the exponential decay (ema_decay) or as a plain mean from swa_start on. */
static void update_weight_average(Trainer *t)
{
    /* Warm-up of the decay so the average is not dominated by the random init. It also
     * caps the window at about step/9 steps: (1+s)/(10+s) stays below 0.999 until step
     * 8,990, so a short run with ema_warmup never averages as long as ema_decay says. */
    float decay = t->cfg.train.ema_decay;
    float warm = (1.0f + (float)t->prog.step) / (10.0f + (float)t->prog.step);
    if (t->cfg.train.ema_warmup && warm < decay)
        decay = warm;
    if (t->cfg.train.swa_start > 0) {
        /* Stochastic weight averaging: the plain mean of the weights after every step from
         * swa_start of the run on (before it, the weights themselves). */
        long start = (long)((double)t->cfg.train.swa_start * (double)t->prog.total_steps);
        long averaged = t->prog.step - start + 1; /* models in the mean, this one included */
        decay = averaged <= 1 ? 0.0f : (float)(averaged - 1) / (float)averaged;
    }
    float *e = t->weight_average->params;
    const float *p = t->model->params;
    for (size_t i = 0; i < t->model->num_params; i++)
        e[i] = decay * e[i] + (1.0f - decay) * p[i];
}

static void layer_grad_norms(Trainer *t)
{
    double sums[MODEL_MAX_LAYERS] = {0};
    const Model *m = t->model;
    for (int v = 0; v < m->num_views; v++) {
        int l = m->views[v].layer;
        if (l < 0)
            continue; /* embedding and classifier */
        const float *g = m->grads + m->views[v].offset;
        double s = 0;
        for (size_t i = 0; i < m->views[v].numel; i++)
            s += (double)g[i] * g[i];
        sums[l] += s;
    }
    for (int l = 0; l < MODEL_MAX_LAYERS; l++)
        t->prog.layer_grad_norm[l] = (float)sqrt(sums[l]);
}

/* The message of a step refused because a number went NaN or infinite; -1. */
static int not_finite(const TrainProgress *p, const char *what, float value, const char *advice,
                      char *err, size_t err_len)
{
    return errorf(err, err_len, "step %ld (epoch %d): the %s is %s; weights left as before this "
                  "step (try a lower %s)", p->step + 1, p->epoch + 1, what,
                  isnan(value) ? "NaN" : "infinite", advice);
}

/* optimizer_step refused the step: an update that would go NaN or infinite. */
static int update_not_finite(const TrainProgress *p, char *err, size_t err_len)
{
    return errorf(err, err_len, "step %ld (epoch %d): the update would make a weight or an "
                  "optimizer moment NaN or infinite (training diverged); weights left as before "
                  "this step (try a lower learning rate)", p->step + 1, p->epoch + 1);
}

/* The epoch's order on its first step, and its running sums cleared. */
static void begin_epoch(Trainer *t)
{
    if (t->prepared_epoch != t->prog.epoch)
        prepare_epoch(t, t->prog.epoch);
    if (!t->epoch_started) {
        t->loss_sum = 0;
        t->correct_sum = t->seen = 0;
        t->epoch_time_s = 0;
        t->epoch_started = true;
    }
}

/* The step's training batch into t->tokens and t->labels, with word dropout and
 * deletion drawn from (seed, step); returns T, *count receives B. */
static int training_batch(Trainer *t, int *count)
{
    const TrainConfig *tc = &t->cfg.train;
    const long step = t->prog.step;
    const int start = t->batch_start[t->prog.step_in_epoch];
    *count = t->order_n - start < t->train_B ? t->order_n - start : t->train_B;
    const int T = fill_batch(t, t->train, t->order + start, *count);
    if (tc->word_dropout > 0 || t->rare_words) {
        Rng words;
        seed_stream(&words, tc->seed, STREAM_WORD_DROPOUT, (uint64_t)step);
        drop_words(t->tokens, *count, T, tc->word_dropout, t->rare_words, tc->rare_word_dropout,
                   &words);
    }
    if (tc->word_delete > 0) {
        Rng words;
        seed_stream(&words, tc->seed, STREAM_WORD_DELETE, (uint64_t)step);
        delete_words(t->tokens, *count, T, tc->word_delete, &words);
    }
    return T;
}

/* R-Drop: the batch again with the next dropout masks into rdrop_acts; both
 * passes' losses are averaged and their predictions pulled together (t->acts
 * holds the first pass and its loss). Backward of the second pass. */
static int rdrop_pass(Trainer *t, int count, int T, Rng *dropout, char *err, size_t err_len)
{
    const TrainProgress *p = &t->prog;
    if (!model_forward(t->model, t->rdrop_acts, t->tokens, count, T, dropout))
        return errorf(err, err_len, "step %ld: the model refused the R-Drop batch: %s",
                      p->step + 1, model_forward_error(t->rdrop_acts));
    float loss2 = model_loss(t->rdrop_acts, t->labels, t->cfg.train.label_smoothing, NULL);
    float kl = model_rdrop_loss(t->acts, t->rdrop_acts, t->cfg.train.rdrop_alpha);
    if (!isfinite(loss2) || !isfinite(kl))
        return not_finite(p, "R-Drop loss", isfinite(loss2) ? kl : loss2, "learning rate", err,
                          err_len);
    model_backward(t->model, t->rdrop_acts);
    return 0;
}

/* Adversarial training: the same batch again, its embedded input pushed along
 * the gradient just computed (in t->acts); the gradients of both losses are
 * summed. The dropout stream goes on, so the second pass draws its own masks. */
static int adversarial_pass(Trainer *t, int count, int T, Rng *dropout, char *err,
                            size_t err_len)
{
    const TrainProgress *p = &t->prog;
    adversarial_perturbation(t->adv_delta, activations_embedding_grad(t->acts),
                             t->cfg.train.adversarial_eps, count, T, t->model->cfg.d_model);
    if (!model_forward_perturbed(t->model, t->acts, t->tokens, count, T, dropout, t->adv_delta))
        return errorf(err, err_len, "step %ld: the model refused the adversarial batch: %s",
                      p->step + 1, model_forward_error(t->acts));
    float adv_loss = model_loss(t->acts, t->labels, t->cfg.train.label_smoothing, NULL);
    if (!isfinite(adv_loss))
        return not_finite(p, "adversarial loss", adv_loss, "adversarial_eps", err, err_len);
    model_backward(t->model, t->acts);
    return 0;
}

/* Forward, loss and backward of the step's batch (plus the R-Drop and
 * adversarial passes when on) into t->model->grads; 0, or -1 with err and the
 * weights untouched. *loss and *correct are the first pass's. */
static int compute_gradients(Trainer *t, int count, int T, float *loss, int *correct, char *err,
                             size_t err_len)
{
    const TrainProgress *p = &t->prog;
    Rng dropout;
    seed_stream(&dropout, t->cfg.train.seed, STREAM_DROPOUT, (uint64_t)p->step);
    model_zero_grad(t->model);
    if (!model_forward(t->model, t->acts, t->tokens, count, T, &dropout))
        return errorf(err, err_len, "step %ld: the model refused the batch: %s", p->step + 1,
                      model_forward_error(t->acts));
    *correct = 0;
    *loss = model_loss(t->acts, t->labels, t->cfg.train.label_smoothing, correct);
    if (!isfinite(*loss))
        return not_finite(p, "loss", *loss, "learning rate", err, err_len);
    if (t->rdrop_acts && rdrop_pass(t, count, T, &dropout, err, err_len) != 0)
        return -1;
    model_backward(t->model, t->acts);
    if (t->adv_delta && adversarial_pass(t, count, T, &dropout, err, err_len) != 0)
        return -1;
    return 0;
}

/* Progress after a step taken: counters, running means, validation when due,
 * timing, the end of an epoch or of the run. */
static void record_step(Trainer *t, int count, int T, float loss, int correct, float lr,
                        float norm, double t0)
{
    TrainProgress *p = &t->prog;
    p->step++;
    p->step_in_epoch++;
    p->loss = loss;
    p->acc = (float)correct / (float)count;
    p->batch_len = T;
    p->lr = lr;
    p->grad_norm = norm;
    t->loss_sum += (double)loss * count;
    t->correct_sum += correct;
    t->seen += count;
    p->loss_avg = (float)(t->loss_sum / (double)t->seen);
    p->acc_avg = (float)t->correct_sum / (float)t->seen;

    bool end_of_epoch = p->step_in_epoch >= p->steps_per_epoch;
    bool end_of_training = (end_of_epoch && p->epoch + 1 >= p->epochs) ||
                           p->step >= p->total_steps; /* [train] max_steps */
    if (p->has_val) {
        int every = t->cfg.train.eval_every;
        if ((every > 0 && p->step % every == 0) || (every <= 0 && end_of_epoch) || end_of_training)
            validate(t);
    }
    double dt = now_s() - t0;
    t->epoch_time_s += dt;
    p->elapsed_s += dt;
    p->sentences_per_s = t->epoch_time_s > 0 ? (double)t->seen / t->epoch_time_s : 0;
    if (end_of_training) {
        p->done = true;
    } else if (end_of_epoch) {
        p->epoch++;
        p->step_in_epoch = 0;
        t->epoch_started = false;
    }
}

static int lm_step(Trainer *t, char *err, size_t err_len);

int trainer_step(Trainer *t, char *err, size_t err_len)
{
    TrainProgress *p = &t->prog;
    if (p->done)
        return 1;
    if (t->lm)
        return lm_step(t, err, err_len);
    double t0 = now_s();
    begin_epoch(t);
    int count;
    const int T = training_batch(t, &count);
    const float lr = lr_schedule_at(&t->schedule, p->step) * t->lr_scale;
    float loss = 0.0f;
    int correct = 0;
    if (compute_gradients(t, count, T, &loss, &correct, err, err_len) != 0)
        return -1;
    layer_grad_norms(t);
    const OptimConfig *oc = &t->cfg.train.optim;
    Model *m = t->model;
    float norm = oc->clip_norm > 0 ? grad_clip(m->grads, m->num_params, oc->clip_norm)
                                   : grad_global_norm(m->grads, m->num_params);
    if (!isfinite(norm))
        return not_finite(p, "gradient", norm, "learning rate", err, err_len);
    if (optimizer_step(&t->opt, m->params, m->grads, lr) != 0)
        return update_not_finite(p, err, err_len);
    if (t->weight_average)
        update_weight_average(t);
    record_step(t, count, T, loss, correct, lr, norm, t0);
    return 0;
}

const TrainProgress *trainer_progress(const Trainer *t)
{
    return &t->prog;
}

const Model *trainer_model(const Trainer *t)
{
    return t->weight_average ? t->weight_average : t->model;
}

const Model *trainer_best_model(const Trainer *t)
{
    return t->best && t->prog.best_step >= 0 ? t->best : trainer_model(t);
}

Model *trainer_train_model(Trainer *t)
{
    return t->model;
}

const int *trainer_epoch_order(const Trainer *t, int *n, const int **batch_starts,
                               int *num_batches)
{
    *n = t->order_n;
    *batch_starts = t->batch_start;
    *num_batches = t->num_batches;
    return t->prepared_epoch == t->prog.epoch ? t->order : NULL;
}

Optimizer *trainer_optimizer(Trainer *t)
{
    return &t->opt;
}

void trainer_set_lr_scale(Trainer *t, float scale)
{
    if (scale > 0 && isfinite(scale))
        t->lr_scale = scale;
}

float trainer_lr_scale(const Trainer *t)
{
    return t->lr_scale;
}

int trainer_set_step(Trainer *t, long step, char *err, size_t err_len)
{
    TrainProgress *p = &t->prog;
    if (step < 0 || step > p->total_steps) {
        return errorf(err, err_len,
                      "cannot resume at step %ld: this run has %ld steps (%d epochs of %ld)", step,
                      p->total_steps, p->epochs, p->steps_per_epoch);
    }
    reset_progress(t);
    p->step = step;
    if (step == p->total_steps) {
        /* The epoch of the last step (the last epoch unless max_steps cut the run). */
        p->epoch = step > 0 ? (int)((step - 1) / p->steps_per_epoch) : 0;
        p->step_in_epoch = step - (long)p->epoch * p->steps_per_epoch;
        p->done = true;
    } else {
        p->epoch = (int)(step / p->steps_per_epoch);
        p->step_in_epoch = step % p->steps_per_epoch;
    }
    p->lr = lr_schedule_at(&t->schedule, step) * t->lr_scale;
    if (t->weight_average)
        model_copy_params(t->weight_average, t->model);
    return 0;
}

void trainer_reset(Trainer *t)
{
    Rng rng;
    rng_seed(&rng, t->cfg.train.seed);
    char err[64];
    Model *fresh = model_create(&t->model->cfg, &rng, err, sizeof err);
    if (fresh) {
        scale_initial_embeddings(fresh, t->cfg.train.embedding_init_std);
        model_copy_params(t->model, fresh);
        model_free(fresh);
    }
    if (t->weight_average)
        model_copy_params(t->weight_average, t->model);
    if (t->best)
        model_copy_params(t->best, t->model);
    optimizer_reset(&t->opt);
    reset_progress(t);
}

/* ------------------------------------------------------------ language model */

/* Options of the classifier's training that the language model does not take. */
static int check_run_lm(const AppConfig *cfg, const LmData *data, char *err, size_t err_len)
{
    const TrainConfig *tc = &cfg->train;
    if (cfg->model.task != MODEL_TASK_LM)
        return errorf(err, err_len, "model.task is not lm: this is the language model's trainer");
    if (tc->epochs < 1 || tc->batch_size < 1)
        return errorf(err, err_len, "epochs and batch_size must be at least 1 (got %d and %d)",
                      tc->epochs, tc->batch_size);
    const struct { const char *key; float value; } unused[] = {
        {"label_smoothing", tc->label_smoothing}, {"word_dropout", tc->word_dropout},
        {"rare_word_dropout", tc->rare_word_dropout}, {"word_delete", tc->word_delete},
        {"oversample_min_tokens", (float)tc->oversample_min_tokens},
        {"rdrop_alpha", tc->rdrop_alpha}, {"adversarial_eps", tc->adversarial_eps},
    };
    for (size_t i = 0; i < sizeof unused / sizeof unused[0]; i++)
        if (unused[i].value != 0)
            return errorf(err, err_len, "train.%s = %g is a classifier option; the language model "
                          "(model.task = lm) does not use it (set it to 0)", unused[i].key,
                          (double)unused[i].value);
    if (data->synthetic == SYNTHETIC_NONE && data->train.n < cfg->model.max_len + 1)
        return errorf(err, err_len, "%s: the training text has %ld tokens, fewer than max_len + 1 "
                      "= %d", data->train_name, data->train.n, cfg->model.max_len + 1);
    return 0;
}

/* Batches of batch_size windows of max_len + 1 tokens; an epoch is the
 * training text's tokens once (rounded up), or LM_SYNTHETIC_STEPS_PER_EPOCH. */
static void plan_lm(Trainer *t)
{
    const int B = t->cfg.train.batch_size, T = t->model->cfg.max_len;
    t->train_B = t->batch_size = B;
    t->max_T = T;
    long per_step = (long)B * T, n = t->lm->train.n;
    t->num_batches = t->lm->synthetic != SYNTHETIC_NONE ? LM_SYNTHETIC_STEPS_PER_EPOCH
                                                        : (int)((n + per_step - 1) / per_step);
    if (t->num_batches < 1)
        t->num_batches = 1;
}

static int alloc_lm(Trainer *t, char *err, size_t err_len)
{
    const size_t B = (size_t)t->batch_size, T = (size_t)t->max_T;
    t->tokens = malloc(B * T * sizeof *t->tokens);
    t->lm_targets = malloc(B * T * sizeof *t->lm_targets);
    t->lm_window = malloc((T + 1) * sizeof *t->lm_window);
    t->lm_window_text = malloc(T + 1);
    t->acts = activations_create(t->model, t->batch_size, t->max_T);
    if (!t->tokens || !t->lm_targets || !t->lm_window || !t->lm_window_text || !t->acts)
        return errorf(err, err_len, "out of memory (batch %d x %d)", t->batch_size, t->max_T);
    const TrainConfig *tc = &t->cfg.train;
    if (tc->ema_decay > 0 || tc->swa_start > 0) {
        if (!(t->weight_average = model_clone(t->model, err, err_len)))
            return -1;
        if (!(t->average_acts = activations_create(t->weight_average, t->batch_size, t->max_T)))
            return errorf(err, err_len, "out of memory (weight average activations)");
    }
    if (t->lm->val.n >= 2 && !(t->best = model_clone(t->model, err, err_len)))
        return -1;
    return 0;
}

Trainer *trainer_create_lm(const AppConfig *cfg, Model *model, const LmData *data, char *err,
                           size_t err_len)
{
    Trainer *t = NULL;
    if (check_run_lm(cfg, data, err, err_len) != 0)
        goto fail;
    if (!(t = calloc(1, sizeof *t))) {
        errorf(err, err_len, "out of memory");
        goto fail;
    }
    t->cfg = *cfg;
    t->lm = data;
    t->lr_scale = 1.0f;
    /* Once per run, before the training and UI threads exist (see model_set_threads). */
    model_set_threads(cfg->train.threads, model_shards_pay_off(&cfg->model, cfg->train.batch_size,
                                                               cfg->model.max_len));
    if (!(t->model = initial_model(cfg, model, err, err_len)))
        goto fail;
    model = NULL; /* the trainer owns it */
    t->cfg.model = t->model->cfg;
    if (vocab_size(data->vocab) != t->model->cfg.vocab_size) {
        errorf(err, err_len, "the vocabulary has %d tokens, the model %d", vocab_size(data->vocab),
               t->model->cfg.vocab_size);
        goto fail;
    }
    plan_lm(t);
    if (alloc_lm(t, err, err_len) != 0 || start_run(t, err, err_len) != 0)
        goto fail;
    return t;
fail:
    model_free(model);
    trainer_free(t);
    return NULL;
}

/* The step's windows into t->tokens (inputs) and t->lm_targets (the same
 * shifted by one), drawn from (seed, step); returns the characters predicted. */
static double lm_batch(Trainer *t)
{
    const int B = t->train_B, T = t->max_T;
    Rng rng;
    seed_stream(&rng, t->cfg.train.seed, STREAM_LM_WINDOWS, (uint64_t)t->prog.step);
    double chars = 0;
    for (int b = 0; b < B; b++) {
        chars += (double)lm_data_window(t->lm, &rng, T + 1, t->lm_window, t->lm_window_text);
        memcpy(t->tokens + (size_t)b * T, t->lm_window, (size_t)T * sizeof(int));
        memcpy(t->lm_targets + (size_t)b * T, t->lm_window + 1, (size_t)T * sizeof(int));
    }
    return chars;
}

/* Forward, next-token loss and backward into t->model->grads; 0, or -1 with err. */
static int lm_gradients(Trainer *t, float *loss, int *counted, char *err, size_t err_len)
{
    const TrainProgress *p = &t->prog;
    Rng dropout;
    seed_stream(&dropout, t->cfg.train.seed, STREAM_DROPOUT, (uint64_t)p->step);
    model_zero_grad(t->model);
    if (!model_forward(t->model, t->acts, t->tokens, t->train_B, t->max_T, &dropout))
        return errorf(err, err_len, "step %ld: the model refused the batch: %s", p->step + 1,
                      model_forward_error(t->acts));
    *loss = model_lm_loss(t->acts, t->lm_targets, counted);
    if (!isfinite(*loss))
        return not_finite(p, "loss", *loss, "learning rate", err, err_len);
    model_backward(t->model, t->acts);
    return 0;
}

static int lm_step(Trainer *t, char *err, size_t err_len)
{
    TrainProgress *p = &t->prog;
    double t0 = now_s();
    if (!t->epoch_started) {
        t->loss_sum = 0;
        t->correct_sum = t->seen = 0;
        t->epoch_time_s = 0;
        t->lm_chars_sum = 0;
        t->lm_tokens_sum = 0;
        t->epoch_started = true;
    }
    const double chars = lm_batch(t);
    const float lr = lr_schedule_at(&t->schedule, p->step) * t->lr_scale;
    float loss = 0.0f;
    int counted = 0;
    if (lm_gradients(t, &loss, &counted, err, err_len) != 0)
        return -1;
    layer_grad_norms(t);
    const OptimConfig *oc = &t->cfg.train.optim;
    Model *m = t->model;
    float norm = oc->clip_norm > 0 ? grad_clip(m->grads, m->num_params, oc->clip_norm)
                                   : grad_global_norm(m->grads, m->num_params);
    if (!isfinite(norm))
        return not_finite(p, "gradient", norm, "learning rate", err, err_len);
    if (optimizer_step(&t->opt, m->params, m->grads, lr) != 0)
        return update_not_finite(p, err, err_len);
    if (t->weight_average)
        update_weight_average(t);
    t->lm_chars_sum += chars;
    t->lm_tokens_sum += counted;
    record_step(t, t->train_B, t->max_T, loss, 0, lr, norm, t0);
    /* Every window counts max_len tokens, so loss_avg is the mean per token. */
    p->ppl_avg = expf(p->loss_avg);
    p->bpc_avg = t->lm_chars_sum > 0
                     ? (float)((double)p->loss_avg * (double)t->lm_tokens_sum / log(2.0) /
                               t->lm_chars_sum)
                     : 0.0f;
    p->tokens_per_s = t->epoch_time_s > 0 ? (double)t->lm_tokens_sum / t->epoch_time_s : 0;
    return 0;
}

int trainer_evaluate_lm(Trainer *t, const LmStream *s, LmEvalResult *out, char *err,
                        size_t err_len)
{
    Activations *acts;
    Model *m = eval_model(t, &acts);
    return lm_evaluate_model(m, acts, t->batch_size, s, out, err, err_len);
}

/* The protocol on the validation text; the best model is the lowest loss. */
static void validate_lm(Trainer *t)
{
    TrainProgress *p = &t->prog;
    LmEvalResult r;
    char err[256];
    bool ok = trainer_evaluate_lm(t, &t->lm->val, &r, err, sizeof err) == 0 && isfinite(r.loss);
    p->val_loss = ok ? (float)r.loss : NAN;
    p->val_perplexity = ok ? (float)r.perplexity : NAN;
    p->val_bpc = ok ? (float)r.bits_per_char : NAN;
    p->val_acc = 0;
    p->val_step = p->step;
    if (ok && (p->best_step < 0 || (float)r.loss < p->best_val_loss)) {
        p->best_val_loss = (float)r.loss;
        p->best_step = p->step;
        model_copy_params(t->best, trainer_model(t));
    }
}
