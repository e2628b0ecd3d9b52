/* minillm-bench: training throughput, batch-1 forward latency and peak RSS of the
 * model core on the configurations of ../shared/reference/bench_ref.py, next to the
 * machine's cblas_sgemm peak measured in the same run.
 *
 * Every configuration (and the sgemm peak) runs in its own forked child so that
 * ru_maxrss is per configuration and no OpenBLAS state leaks between them; the child
 * sends one fixed-size BenchResult back through a pipe. The parent never calls BLAS.
 *
 * What a training step is (as bench_ref.py): zero grads, forward with dropout 0.1,
 * softmax cross-entropy, backward, Adam lr 1e-3. Random tokens and labels come from
 * the seeded Rng, 8 batches cycled. Warm-up steps, then R repeats of S steps;
 * steps/s = S / wall time of one repeat; we report the median, min and max.
 *
 * FLOPs per step, the reference formula (not model_flops_per_token, so that both
 * programs divide by the same number):
 *   6*P_mm*B*T + 6*P_cls*B + 12*L*B*T^2*C,  P_mm = L*(4C^2 + 2*C*F),
 *   P_cls = C*(C/2) + (C/2)*K.
 *
 * The language-model configurations (lm-*, issue 15; tools/bench_lm_ref.py is their
 * PyTorch reference): a step is zero grads, forward (dropout 0: none), next-token
 * cross-entropy over every position, backward, AdamW lr 1e-3; pre-norm blocks,
 * standard LayerNorm, sinusoidal PE, untied head. FLOPs per step
 * 6*P_mm*B*T + 6*C*V*B*T + 12*L*B*T^2*C (the head per token instead of the classifier).
 * lm-gen measures generation instead: batch 1 with the key/value cache
 * (model/generate.h), the per-token latency (feed + temperature-1 sampling) at
 * contexts 64 and 512.
 */
#include <cblas.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "model/model.h"
#include "model/errors.h"
#include "model/generate.h"
#include "model/optim.h"
#include "model/rng.h"
#include "stats.h"

typedef enum { BENCH_CLASSIFY, BENCH_LM_TRAIN, BENCH_LM_GENERATE } BenchKind;

/* Axis letters as in model/model.h: V vocab, C d_model, NH heads, F d_ff,
 * L layers, K classes, B batch, T sequence length (lm-gen: the longest context). */
typedef struct {
    const char *name;
    int V, C, NH, F, L, K, B, T;
    BenchKind kind;
} BenchConfig;

/* The first four identical to CONFIGS in ../shared/reference/minillm_ref.py ("all");
 * the lm-* ones to CONFIGS in tools/bench_lm_ref.py ("lm"): lm-small is issue 15's
 * (96 characters, d 128, 4 heads, d_ff 512, 4 layers, batch 32, context 128), lm-sst2
 * and lm-sst2-l2 the shapes of the SST-2 character model (context 64, 4 or 2 layers). */
static const BenchConfig CONFIGS[] = {
    {"seed", 22, 64, 4, 256, 7, 2, 10, 10, BENCH_CLASSIFY},
    {"small", 8000, 128, 4, 512, 4, 2, 32, 32, BENCH_CLASSIFY},
    {"medium", 16000, 256, 8, 1024, 4, 2, 32, 64, BENCH_CLASSIFY},
    {"large", 16000, 512, 8, 2048, 6, 3, 16, 128, BENCH_CLASSIFY},
    {"lm-small", 96, 128, 4, 512, 4, 0, 32, 128, BENCH_LM_TRAIN},
    {"lm-sst2", 96, 128, 4, 512, 4, 0, 32, 64, BENCH_LM_TRAIN},
    {"lm-sst2-l2", 96, 128, 4, 512, 2, 0, 32, 64, BENCH_LM_TRAIN},
    {"lm-gen", 96, 128, 4, 512, 4, 0, 1, 512, BENCH_LM_GENERATE},
};
/* Generation: latency at these contexts (tokens attended, the new one included). */
static const int GEN_CONTEXTS[2] = {64, 512};
#define GEN_TOKENS_PER_REPEAT 16
#define NUM_CONFIGS ((int)(sizeof CONFIGS / sizeof CONFIGS[0]))
#define NUM_BATCHES 8      /* distinct random batches cycled through, as bench_ref.py */
#define MAX_REPEATS 1000
#define PEAK_N 2048        /* the square sgemm for the machine peak */

typedef struct {
    const char *config;  /* "all" or a config name */
    int threads;         /* openblas_set_num_threads; 0 = OpenBLAS's default */
    int shards;          /* activations_set_shards: 0 automatic, 1 never, n */
    int repeats;
    int steps;
    int warmup;          /* < 0: 10, or 5 for large (bench_ref.py) */
    int fwd_iters;       /* <= 0: 300, or 100 for large (bench_ref.py) */
    int peak_trials;
    uint64_t seed;
    bool json;
} BenchOptions;

/* What a child sends back: plain data, no pointers. */
typedef struct {
    int ok;
    char err[256];
    double params;
    double flops_per_step;
    double steps_per_s[MAX_REPEATS];
    int repeats;
    double sps_median, sps_min, sps_max;
    double cpu_sps_median;   /* steps per CPU second of the process, median over repeats */
    double cpu_per_wall;     /* CPU seconds / wall seconds over all repeats */
    double fwd1_us_median, fwd1_us_p10, fwd1_us_p90;
    double fwd1_cpu_us_median; /* per-call CPU time of the process, median */
    double final_loss;       /* last training loss: same seed and threads, same value */
    int shards;              /* batch shards the training step ran with */
    double attn_checksum;    /* sum of the last batch-1 attention maps (keeps the reads) */
    double peak_rss_mib;
    int warmup, steps, fwd_iters;
    /* lm-gen: per-token latency (feed + sample), median / p10 / p90 us, per context */
    double gen_us[2], gen_us_p10[2], gen_us_p90[2];
    int gen_tokens;          /* timed tokens per context */
    /* sgemm peak child */
    double peak_gflops, peak_median_gflops;
    double peak_cpu_gflops;  /* best trial by process CPU time (busy machine, 1 thread) */
    int openblas_threads;
    char openblas_config[160];
    char openblas_core[48];
} BenchResult;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of the whole process (all threads): with one thread and a busy machine,
 * steps per CPU second estimate the speed the step would have on an idle core. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double peak_rss_mib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1.0;
    return (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
}

static double flops_per_step(const BenchConfig *c)
{
    double p_mm = (double)c->L * (4.0 * c->C * c->C + 2.0 * c->C * c->F);
    double head = c->kind == BENCH_CLASSIFY
                      ? 6.0 * ((double)c->C * (c->C / 2) + (double)(c->C / 2) * c->K) * c->B
                      : 6.0 * (double)c->C * c->V * c->B * c->T;
    return 6.0 * p_mm * c->B * c->T + head + 12.0 * c->L * c->B * (double)c->T * c->T * c->C;
}

static void set_threads(int threads)
{
    if (threads > 0)
        openblas_set_num_threads(threads);
}

/* ---- child: cblas_sgemm peak, 2048^3 row-major NN, best of peak_trials ---- */

static void measure_sgemm_peak(const BenchOptions *o, BenchResult *r)
{
    set_threads(o->threads);
    r->openblas_threads = openblas_get_num_threads();
    snprintf(r->openblas_config, sizeof r->openblas_config, "%s", openblas_get_config());
    snprintf(r->openblas_core, sizeof r->openblas_core, "%s", openblas_get_corename());
    if (o->peak_trials == 0) { /* skipped (profiling runs): mfu reported as 0 */
        r->ok = 1;
        return;
    }
    const int n = PEAK_N;
    size_t count = (size_t)n * n;
    float *a = malloc(count * sizeof *a), *b = malloc(count * sizeof *b),
          *c = malloc(count * sizeof *c);
    if (!a || !b || !c) {
        errorf(r->err, sizeof r->err, "sgemm peak: out of memory for three %dx%d matrices", n,
                     n);
        free(a); free(b); free(c);
        return;
    }
    Rng rng;
    rng_seed(&rng, o->seed);
    for (size_t i = 0; i < count; i++) {
        a[i] = rng_uniform(&rng) - 0.5f;
        b[i] = rng_uniform(&rng) - 0.5f;
        c[i] = 0.0f;
    }
    double flop = 2.0 * n * n * (double)n;
    /* Warm-up (thread pool start, page faults), then calibrate calls per trial so a
     * trial lasts >= 0.15 s, as sgemm_peak.c does. */
    double t0 = now_s();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    double one = now_s() - t0;
    int calls = one >= 0.15 ? 1 : (int)(0.15 / (one > 1e-6 ? one : 1e-6)) + 1;
    double gf[64];
    int trials = o->peak_trials < 64 ? o->peak_trials : 64;
    for (int t = 0; t < trials; t++) {
        t0 = now_s();
        double c0 = cpu_s();
        for (int k = 0; k < calls; k++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n,
                        0.0f, c, n);
        gf[t] = flop * calls / (now_s() - t0) / 1e9;
        double gf_cpu = flop * calls / (cpu_s() - c0) / 1e9;
        if (gf_cpu > r->peak_cpu_gflops)
            r->peak_cpu_gflops = gf_cpu;
    }
    double med = median_sorted(gf, trials);
    r->peak_gflops = gf[trials - 1];
    r->peak_median_gflops = med;
    free(a); free(b); free(c);
    r->ok = 1;
}

/* ---- child: one configuration ---- */

/* What the timed training steps and forwards use. */
typedef struct {
    Model *model;
    Activations *acts;   /* (B, T): training */
    Activations *acts1;  /* (1, T): batch-1 forwards */
    Optimizer opt;
    Rng dropout_rng;
    int *tokens;         /* (NUM_BATCHES, B, T) */
    int *labels;         /* (NUM_BATCHES, B); lm: the targets (NUM_BATCHES, B, T) */
    bool lm;
    int B, T;
    long step;
    float loss;
} BenchRun;

/* false when model_forward refused the batch (model_forward_error says why). */
static bool train_step(BenchRun *run)
{
    int i = (int)(run->step++ % NUM_BATCHES);
    model_zero_grad(run->model);
    if (!model_forward(run->model, run->acts, run->tokens + (size_t)i * run->B * run->T, run->B,
                       run->T, &run->dropout_rng))
        return false;
    if (run->lm)
        run->loss = model_lm_loss(run->acts, run->labels + (size_t)i * run->B * run->T, NULL);
    else
        run->loss = model_loss(run->acts, run->labels + (size_t)i * run->B, 0.0f, NULL);
    model_backward(run->model, run->acts);
    optimizer_step(&run->opt, run->model->params, run->model->grads, run->opt.cfg.lr);
    return true;
}

/* bench_ref.py's model: dropout 0.1, workshop LayerNorm, sinusoidal PE, no mask. */
static ModelConfig bench_model_config(const BenchConfig *c)
{
    ModelConfig cfg = model_config_default();
    cfg.vocab_size = c->V;
    cfg.d_model = c->C;
    cfg.num_heads = c->NH;
    cfg.d_ff = c->F;
    cfg.num_layers = c->L;
    cfg.num_classes = c->K;
    cfg.max_len = c->T;
    cfg.dropout = 0.1f;
    cfg.embedding_dropout = -1.0f;
    cfg.layernorm = LAYERNORM_WORKSHOP;
    cfg.pos_encoding = POS_ENCODING_SINUSOIDAL;
    cfg.pad_mask = false;  /* bench_ref.py: use_mask=False */
    cfg.causal = false;
    if (c->kind != BENCH_CLASSIFY) { /* bench_lm_ref.py's model */
        cfg.task = MODEL_TASK_LM;
        cfg.norm = NORM_PRE;
        cfg.layernorm = LAYERNORM_STANDARD;
        cfg.dropout = 0.0f;
    }
    return cfg;
}

/* Random batches: tokens, and labels (classify) or next tokens (lm: each row a
 * random sequence of T + 1 ids, inputs its first T, targets its last T). */
static void fill_batches(BenchRun *run, const BenchConfig *c, Rng *rng)
{
    const size_t BT = (size_t)c->B * c->T;
    if (!run->lm) {
        for (size_t i = 0; i < NUM_BATCHES * BT; i++)
            run->tokens[i] = (int)rng_below(rng, (uint32_t)c->V);
        for (int i = 0; i < NUM_BATCHES * c->B; i++)
            run->labels[i] = (int)rng_below(rng, (uint32_t)c->K);
        return;
    }
    for (int row = 0; row < NUM_BATCHES * c->B; row++) {
        int prev = 1 + (int)rng_below(rng, (uint32_t)c->V - 1);
        for (int t = 0; t < c->T; t++) {
            const int next = 1 + (int)rng_below(rng, (uint32_t)c->V - 1);
            run->tokens[(size_t)row * c->T + t] = prev;
            run->labels[(size_t)row * c->T + t] = next;
            prev = next;
        }
    }
}

/* Model (from the seed), random batches, activations, Adam: 0, or -1 with r->err. */
static int bench_run_create(BenchRun *run, const BenchConfig *c, const BenchOptions *o,
                            BenchResult *r)
{
    const ModelConfig cfg = bench_model_config(c);
    /* As the trainer does: OpenBLAS at one thread when the step runs in shards. */
    model_set_threads(o->threads, o->shards >= 2 ||
                                      (o->shards == 0 && model_shards_pay_off(&cfg, c->B, c->T)));
    run->B = c->B;
    run->T = c->T;
    Rng rng;
    rng_seed(&rng, o->seed);
    char err[200] = ""; /* leaves room for the prefix in r->err */
    run->lm = c->kind != BENCH_CLASSIFY;
    run->tokens = malloc(sizeof(int) * NUM_BATCHES * c->B * c->T);
    run->labels = malloc(sizeof(int) * NUM_BATCHES * c->B * (run->lm ? c->T : 1));
    if (!run->tokens || !run->labels)
        return errorf(r->err, sizeof r->err, "%s: out of memory for the token batches",
                            c->name);
    run->model = model_create(&cfg, &rng, err, sizeof err);
    if (!run->model)
        return errorf(r->err, sizeof r->err, "%s: model_create: %s", c->name, err);
    fill_batches(run, c, &rng);
    rng_seed(&run->dropout_rng, o->seed ^ 0x9e3779b97f4a7c15ull);
    run->acts = activations_create(run->model, c->B, c->T);
    run->acts1 = activations_create(run->model, 1, c->T);
    if (run->acts && o->shards != 0 &&
        activations_set_shards(run->acts, run->model, o->shards) != 0)
        return errorf(r->err, sizeof r->err, "%s: activations_set_shards(%d) failed",
                            c->name, o->shards);
    if (!run->acts || !run->acts1)
        return errorf(r->err, sizeof r->err, "%s: activations_create failed (out of memory?)",
                            c->name);
    OptimConfig ocfg = optim_config_default();
    ocfg.lr = 1e-3f;
    if (run->lm) { /* bench_lm_ref.py: AdamW(lr=1e-3), torch's default weight decay */
        ocfg.kind = OPTIM_ADAMW;
        ocfg.weight_decay = 0.01f;
    }
    if (optimizer_init(&run->opt, &ocfg, run->model->num_params) != 0)
        return errorf(r->err, sizeof r->err, "%s: optimizer_init failed (out of memory?)",
                            c->name);
    return 0;
}

static void bench_run_free(BenchRun *run)
{
    optimizer_free(&run->opt);
    activations_free(run->acts1);
    activations_free(run->acts);
    model_free(run->model);
    free(run->tokens);
    free(run->labels);
}

/* (a) training throughput: one checked step, warm-up, then repeats x steps. */
static int measure_training(BenchRun *run, const BenchConfig *c, const BenchOptions *o,
                            BenchResult *r)
{
    const bool large = strcmp(c->name, "large") == 0;
    r->warmup = o->warmup >= 0 ? o->warmup : (large ? 5 : 10);
    if (r->warmup < 1)
        r->warmup = 1; /* the checked first step below */
    r->steps = o->steps;
    r->repeats = o->repeats;
    /* One checked step first, so a refused batch or a diverging model is reported
     * instead of timed. */
    if (!train_step(run) || !isfinite(run->loss))
        return errorf(r->err, sizeof r->err, "%s: the first training step failed (%s)",
                            c->name, isfinite(run->loss) ? model_forward_error(run->acts)
                                                         : "loss is not finite");
    for (int s = 1; s < r->warmup; s++)
        (void)train_step(run);
    double cpu_sps[MAX_REPEATS], wall_total = 0.0, cpu_total = 0.0;
    for (int rep = 0; rep < o->repeats; rep++) {
        double t0 = now_s(), c0 = cpu_s();
        for (int s = 0; s < o->steps; s++)
            (void)train_step(run);
        double wall = now_s() - t0, cpu = cpu_s() - c0;
        r->steps_per_s[rep] = o->steps / wall;
        cpu_sps[rep] = o->steps / cpu;
        wall_total += wall;
        cpu_total += cpu;
    }
    r->cpu_sps_median = median_sorted(cpu_sps, o->repeats);
    r->cpu_per_wall = cpu_total / wall_total;
    double sorted[MAX_REPEATS];
    memcpy(sorted, r->steps_per_s, sizeof(double) * (size_t)o->repeats);
    r->sps_median = median_sorted(sorted, o->repeats);
    r->sps_min = sorted[0];
    r->sps_max = sorted[o->repeats - 1];
    r->final_loss = run->loss;
    r->shards = activations_shards(run->acts);
    return 0;
}

/* (b) batch-1 forward in eval mode with every layer's attention map read back:
 * the TUI's work per keystroke. Each call timed on its own. */
static int measure_forward1(BenchRun *run, const BenchConfig *c, const BenchOptions *o,
                            BenchResult *r)
{
    r->fwd_iters = o->fwd_iters > 0 ? o->fwd_iters : (strcmp(c->name, "large") == 0 ? 100 : 300);
    double *lat = malloc(sizeof(double) * (size_t)r->fwd_iters);
    double *lat_cpu = malloc(sizeof(double) * (size_t)r->fwd_iters);
    if (!lat || !lat_cpu) {
        free(lat);
        free(lat_cpu);
        return errorf(r->err, sizeof r->err, "%s: out of memory for latencies", c->name);
    }
    size_t map_len = (size_t)c->NH * c->T * c->T;
    double checksum = 0.0;
    for (int it = -20; it < r->fwd_iters; it++) {
        double t0 = now_s(), c0 = cpu_s();
        model_forward(run->model, run->acts1, run->tokens, 1, c->T, NULL);
        float sum = 0.0f;
        for (int l = 0; l < c->L; l++) {
            const float *att = activations_attention(run->acts1, l);
            for (size_t k = 0; k < map_len; k++)
                sum += att[k];
        }
        double dt = now_s() - t0, dc = cpu_s() - c0;
        checksum += sum;
        if (it >= 0) {
            lat[it] = dt * 1e6;
            lat_cpu[it] = dc * 1e6;
        }
    }
    r->fwd1_cpu_us_median = median_sorted(lat_cpu, r->fwd_iters);
    r->fwd1_us_median = median_sorted(lat, r->fwd_iters);
    r->fwd1_us_p10 = lat[r->fwd_iters / 10];
    r->fwd1_us_p90 = lat[(9 * r->fwd_iters) / 10];
    r->attn_checksum = checksum;
    free(lat);
    free(lat_cpu);
    return 0;
}

/* Per-token latency of generation at context n: tokens fed at positions n - 16
 * .. n - 1 (each attends to n - 15 .. n keys), feed + temperature-1 sampling timed
 * one by one, after a reset and n - 16 untimed feeds; repeated until `count`
 * tokens are timed. lat: count values, sorted on return. 0, or -1 with r->err. */
static int time_generation(Generator *g, int V, int n, int count, Rng *rng, double *lat,
                           BenchResult *r)
{
    const SamplingConfig sampling = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f};
    float *scratch = malloc(2 * (size_t)V * sizeof(float));
    if (!scratch)
        return errorf(r->err, sizeof r->err, "lm-gen: out of memory for sampling scratch");
    int timed = 0, next = 1;
    while (timed < count) {
        generator_reset(g);
        for (int t = 0; t < n; t++) {
            const double t0 = now_s();
            const float *z = generator_feed(g, next);
            if (!z) {
                free(scratch);
                return errorf(r->err, sizeof r->err, "lm-gen: generator_feed refused position %d",
                              t);
            }
            next = sample_next_token(z, V, &sampling, rng, scratch, NULL);
            const double dt = now_s() - t0;
            if (t >= n - GEN_TOKENS_PER_REPEAT && timed < count)
                lat[timed++] = dt * 1e6;
        }
    }
    free(scratch);
    return 0;
}

/* lm-gen: lm-small's model (pre-norm, standard LayerNorm, untied) with max_len
 * c->T, one generator of c->T tokens, latency at each of GEN_CONTEXTS. */
static void measure_generation(const BenchConfig *c, const BenchOptions *o, BenchResult *r)
{
    ModelConfig cfg = bench_model_config(c);
    /* OpenBLAS at one thread, as for batch shards: the generator's products are
     * matrix-vector ones, which OpenBLAS's threads only slow down (context 512,
     * CPU time per token: 170 us with OpenBLAS at 2 threads, 116 at 1, measured). */
    model_set_threads(o->threads, true);
    Rng rng;
    rng_seed(&rng, o->seed);
    char err[200] = "";
    Model *m = model_create(&cfg, &rng, err, sizeof err);
    Generator *g = m ? generator_create(m, c->T, err, sizeof err) : NULL;
    r->gen_tokens = o->fwd_iters > 0 ? o->fwd_iters : 400;
    double *lat = malloc(sizeof(double) * (size_t)r->gen_tokens);
    if (!m || !g || !lat) {
        errorf(r->err, sizeof r->err, "lm-gen: %s", err[0] ? err : "out of memory");
    } else {
        int ok = 0;
        for (int k = 0; k < 2 && ok == 0; k++) {
            ok = time_generation(g, c->V, GEN_CONTEXTS[k], r->gen_tokens, &rng, lat, r);
            r->gen_us[k] = median_sorted(lat, r->gen_tokens);
            r->gen_us_p10[k] = lat[r->gen_tokens / 10];
            r->gen_us_p90[k] = lat[(9 * r->gen_tokens) / 10];
        }
        r->params = (double)m->num_params;
        r->peak_rss_mib = peak_rss_mib();
        r->ok = ok == 0;
    }
    free(lat);
    generator_free(g);
    model_free(m);
}

static void measure_config(const BenchConfig *c, const BenchOptions *o, BenchResult *r)
{
    if (c->kind == BENCH_LM_GENERATE) {
        measure_generation(c, o, r);
        return;
    }
    BenchRun run = {0};
    if (bench_run_create(&run, c, o, r) == 0 && measure_training(&run, c, o, r) == 0 &&
        measure_forward1(&run, c, o, r) == 0) {
        r->params = (double)run.model->num_params;
        r->flops_per_step = flops_per_step(c);
        r->peak_rss_mib = peak_rss_mib();
        r->ok = 1;
    }
    bench_run_free(&run);
}

/* ---- parent: fork, collect, print ---- */

/* Runs job in a fresh child and fills r from what it writes to the pipe.
 * c is NULL for the sgemm peak. 0 on success, -1 with r->err set. */
static int run_in_child(const BenchConfig *c, const BenchOptions *o, BenchResult *r)
{
    memset(r, 0, sizeof *r);
    int fd[2];
    if (pipe(fd) != 0)
        return errorf(r->err, sizeof r->err, "pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        errorf(r->err, sizeof r->err, "fork: %s", strerror(errno));
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        close(fd[0]);
        BenchResult *mine = calloc(1, sizeof *mine);
        if (!mine)
            _exit(3);
        if (c)
            measure_config(c, o, mine);
        else
            measure_sgemm_peak(o, mine);
        const char *p = (const char *)mine;
        size_t left = sizeof *mine;
        while (left > 0) {
            ssize_t w = write(fd[1], p, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                _exit(2);
            p += w;
            left -= (size_t)w;
        }
        _exit(mine->ok ? 0 : 1);
    }
    close(fd[1]);
    char *p = (char *)r;
    size_t got = 0;
    while (got < sizeof *r) {
        ssize_t n = read(fd[0], p + got, sizeof *r - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const char *what = c ? c->name : "sgemm peak";
    if (got != sizeof *r) {
        memset(r, 0, sizeof *r);
        if (WIFSIGNALED(status))
            return errorf(r->err, sizeof r->err, "%s: child killed by signal %d", what,
                                WTERMSIG(status));
        return errorf(r->err, sizeof r->err,
                            "%s: child exited with status %d before reporting", what,
                            WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    r->err[sizeof r->err - 1] = '\0';
    return r->ok ? 0 : -1;
}

static void usage(FILE *f, const char *argv0)
{
    fprintf(f,
            "usage: %s [--config NAME|all|lm] [--threads N] [--shards N] [--repeats N] [--steps N]\n"
            "          [--warmup N] [--fwd-iters N] [--peak-trials N] [--seed N] [--json]\n"
            "\n"
            "Training throughput, batch-1 forward latency with attention maps and peak RSS\n"
            "of the MiniLLM model core, on the configurations of bench_ref.py, next to the\n"
            "cblas_sgemm peak (%d^3) measured in the same run; and the language model's\n"
            "(tools/bench_lm_ref.py's configurations): training throughput, and generation\n"
            "with the key/value cache. Each configuration runs in its own child process.\n"
            "\n"
            "  --config NAME      seed, small, medium, large: the classifier (bench_ref.py);\n"
            "                     lm-small, lm-sst2, lm-sst2-l2: language-model training\n"
            "                     (pre-norm, standard LayerNorm, dropout 0, AdamW);\n"
            "                     lm-gen: generation, batch 1, per-token latency (feed +\n"
            "                     sampling) at contexts 64 and 512 and their ratio;\n"
            "                     all: the four classifier ones (default); lm: the four lm-*\n"
            "  --threads N        threads (default 1; 0 = OpenBLAS default): one per batch\n"
            "                     shard with OpenBLAS at one thread when the step is sharded,\n"
            "                     else OpenBLAS's threads (model_set_threads)\n"
            "  --shards N         batch shards of the training step (default 0 = the model's\n"
            "                     automatic choice; 1 = unsharded; see activations_set_shards)\n"
            "  --repeats N        timed repeats, median/min/max reported (default 5, max %d)\n"
            "  --steps N          training steps per repeat (default 20)\n"
            "  --warmup N         untimed steps first (default 10, 5 for large)\n"
            "  --fwd-iters N      timed batch-1 forwards (default 300, 100 for large);\n"
            "                     lm-gen: timed tokens per context (default 400)\n"
            "  --peak-trials N    sgemm peak trials, best kept (default 5, max 64; 0 = skip)\n"
            "  --seed N           seed of weights, tokens, labels and dropout (default 1234)\n"
            "  --json             one JSON object per configuration, one per line\n"
            "  --help             this text\n"
            "\n"
            "FLOPs/step = 6*P_mm*B*T + 6*P_cls*B + 12*L*B*T^2*d (bench_ref.py's formula;\n"
            "lm-*: 6*d*V*B*T for the head instead of 6*P_cls*B);\n"
            "mfu = achieved GFLOP/s / sgemm peak GFLOP/s with the same thread count.\n",
            argv0, PEAK_N, MAX_REPEATS);
}

/* Parses a non-negative int option value; -1 with a message naming the flag. */
static int parse_int(const char *flag, const char *s, int min, int max, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || errno || end == s || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "minillm-bench: %s expects an integer in [%d, %d], got '%s'\n", flag,
                min, max, s ? s : "(nothing)");
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* Whether --config `name` runs configuration c: its own name, "all" (the
 * classifier's four) or "lm" (the language model's). */
static bool config_selected(const char *name, const BenchConfig *c)
{
    if (strcmp(name, "all") == 0)
        return c->kind == BENCH_CLASSIFY;
    if (strcmp(name, "lm") == 0)
        return c->kind != BENCH_CLASSIFY;
    return strcmp(name, c->name) == 0;
}

/* 0 = run, 1 = help printed, -1 = bad arguments (message printed). */
static int parse_args(int argc, char **argv, BenchOptions *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout, argv[0]);
            return 1;
        } else if (!strcmp(a, "--json")) {
            o->json = true;
            continue;
        } else if (!strcmp(a, "--config")) {
            if (!v) {
                fprintf(stderr, "minillm-bench: --config expects seed, small, medium, large or all\n");
                return -1;
            }
            o->config = v;
        } else if (!strcmp(a, "--threads")) {
            rc = parse_int(a, v, 0, 256, &o->threads);
        } else if (!strcmp(a, "--shards")) {
            rc = parse_int(a, v, 0, 16, &o->shards);
        } else if (!strcmp(a, "--repeats")) {
            rc = parse_int(a, v, 1, MAX_REPEATS, &o->repeats);
        } else if (!strcmp(a, "--steps")) {
            rc = parse_int(a, v, 1, INT_MAX, &o->steps);
        } else if (!strcmp(a, "--warmup")) {
            rc = parse_int(a, v, 0, INT_MAX, &o->warmup);
        } else if (!strcmp(a, "--fwd-iters")) {
            rc = parse_int(a, v, 1, 10000000, &o->fwd_iters);
        } else if (!strcmp(a, "--peak-trials")) {
            rc = parse_int(a, v, 0, 64, &o->peak_trials);
        } else if (!strcmp(a, "--seed")) {
            int s = 0;
            rc = parse_int(a, v, 0, INT_MAX, &s);
            o->seed = (uint64_t)s;
        } else {
            fprintf(stderr, "minillm-bench: unknown option '%s' (see --help)\n", a);
            return -1;
        }
        if (rc != 0)
            return -1;
        i++; /* consumed the value */
    }
    bool known = false;
    for (int c = 0; c < NUM_CONFIGS; c++)
        known |= config_selected(o->config, &CONFIGS[c]);
    if (!known) {
        fprintf(stderr, "minillm-bench: --config '%s' is not one of seed, small, medium, large, "
                        "lm-small, lm-sst2, lm-sst2-l2, lm-gen, all, lm\n", o->config);
        return -1;
    }
    return 0;
}

static void print_json(const BenchConfig *c, const BenchOptions *o, const BenchResult *r,
                       const BenchResult *peak)
{
    double gflops = r->flops_per_step * r->sps_median / 1e9;
    printf("{\"config\": \"%s\", \"params\": %.0f, \"flops_per_step\": %.0f, "
           "\"train_steps_per_s\": %.6g, \"train_steps_per_s_min\": %.6g, "
           "\"train_steps_per_s_max\": %.6g, \"seq_per_s\": %.6g, \"tok_per_s\": %.6g, "
           "\"gflops\": %.6g, \"sgemm_peak_gflops\": %.6g, \"mfu\": %.6g, "
           "\"fwd1_us\": %.6g, \"fwd1_us_p10\": %.6g, \"fwd1_us_p90\": %.6g, "
           "\"peak_rss_mib\": %.6g, \"threads\": %d, \"shards\": %d, \"warmup\": %d, \"steps\": %d, "
           "\"repeats\": %d, \"fwd_iters\": %d, \"seed\": %llu, \"final_loss\": %.9g, "
           "\"B\": %d, \"T\": %d, \"train_steps_per_cpu_s\": %.6g, \"cpu_per_wall\": %.4g, "
           "\"gflops_cpu\": %.6g, \"sgemm_peak_cpu_gflops\": %.6g, \"mfu_cpu\": %.6g, "
           "\"fwd1_cpu_us\": %.6g}\n",
           c->name, r->params, r->flops_per_step, r->sps_median, r->sps_min, r->sps_max,
           r->sps_median * c->B, r->sps_median * c->B * c->T, gflops, peak->peak_gflops,
           peak->peak_gflops > 0 ? gflops / peak->peak_gflops : 0.0, r->fwd1_us_median,
           r->fwd1_us_p10, r->fwd1_us_p90, r->peak_rss_mib, o->threads, r->shards, r->warmup, r->steps,
           r->repeats, r->fwd_iters, (unsigned long long)o->seed, r->final_loss, c->B, c->T,
           r->cpu_sps_median, r->cpu_per_wall, r->flops_per_step * r->cpu_sps_median / 1e9,
           peak->peak_cpu_gflops,
           peak->peak_cpu_gflops > 0
               ? r->flops_per_step * r->cpu_sps_median / 1e9 / peak->peak_cpu_gflops : 0.0,
           r->fwd1_cpu_us_median);
    fflush(stdout);
}

/* lm-gen: one JSON object, or one line per context and the ratio. */
static void print_generation(const BenchConfig *c, const BenchOptions *o, const BenchResult *r)
{
    const double ratio = r->gen_us[1] / r->gen_us[0];
    if (o->json) {
        printf("{\"config\": \"%s\", \"params\": %.0f, \"gen_us_ctx%d\": %.6g, "
               "\"gen_us_ctx%d_p10\": %.6g, \"gen_us_ctx%d_p90\": %.6g, \"gen_us_ctx%d\": %.6g, "
               "\"gen_us_ctx%d_p10\": %.6g, \"gen_us_ctx%d_p90\": %.6g, \"gen_ratio\": %.4g, "
               "\"gen_tokens\": %d, \"threads\": %d, \"seed\": %llu, \"peak_rss_mib\": %.6g}\n",
               c->name, r->params, GEN_CONTEXTS[0], r->gen_us[0], GEN_CONTEXTS[0],
               r->gen_us_p10[0], GEN_CONTEXTS[0], r->gen_us_p90[0], GEN_CONTEXTS[1], r->gen_us[1],
               GEN_CONTEXTS[1], r->gen_us_p10[1], GEN_CONTEXTS[1], r->gen_us_p90[1], ratio,
               r->gen_tokens, o->threads, (unsigned long long)o->seed, r->peak_rss_mib);
    } else {
        for (int k = 0; k < 2; k++)
            printf("%-10s context %4d: %8.1f us/token (p10 %.1f, p90 %.1f; %d tokens, feed + "
                   "sample, batch 1, key/value cache)\n", c->name, GEN_CONTEXTS[k], r->gen_us[k],
                   r->gen_us_p10[k], r->gen_us_p90[k], r->gen_tokens);
        printf("%-10s latency(%d) / latency(%d) = %.2f\n", c->name, GEN_CONTEXTS[1],
               GEN_CONTEXTS[0], ratio);
    }
    fflush(stdout);
}

static void print_row(const BenchConfig *c, const BenchResult *r, const BenchResult *peak)
{
    double gflops = r->flops_per_step * r->sps_median / 1e9;
    char sps[48];
    snprintf(sps, sizeof sps, "%.4g [%.4g..%.4g]", r->sps_median, r->sps_min, r->sps_max);
    double gflops_cpu = r->flops_per_step * r->cpu_sps_median / 1e9;
    printf("%-10s %10.0f %10.4f %24s %9.4g %8.2f %10.4g %10.4g %8.2f %6.1f%% %7.1f%% %10.1f %9.1f "
           "%10.4f\n",
           c->name, r->params, r->flops_per_step / 1e9, sps, r->cpu_sps_median, r->cpu_per_wall,
           r->sps_median * c->B,
           r->sps_median * c->B * c->T, gflops,
           peak->peak_gflops > 0 ? 100.0 * gflops / peak->peak_gflops : 0.0,
           peak->peak_cpu_gflops > 0 ? 100.0 * gflops_cpu / peak->peak_cpu_gflops : 0.0,
           r->fwd1_us_median, r->peak_rss_mib, r->final_loss);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    BenchOptions o = {
        .config = "all", .threads = 1, .repeats = 5, .steps = 20, .warmup = -1,
        .fwd_iters = 0, .peak_trials = 5, .seed = 1234, .json = false,
    };
    int parsed = parse_args(argc, argv, &o);
    if (parsed != 0)
        return parsed > 0 ? 0 : 2;

    BenchResult *peak = malloc(sizeof *peak), *res = malloc(sizeof *res);
    if (!peak || !res) {
        fprintf(stderr, "minillm-bench: out of memory\n");
        return 1;
    }
    if (run_in_child(NULL, &o, peak) != 0) {
        fprintf(stderr, "minillm-bench: %s\n", peak->err);
        free(peak);
        free(res);
        return 1;
    }
    if (!o.json) {
        printf("# OpenBLAS %s | core %s | threads %d (asked %d)\n", peak->openblas_config,
               peak->openblas_core, peak->openblas_threads, o.threads);
        printf("# cblas_sgemm %d^3: best %.1f GFLOP/s, median %.1f over %d trials "
               "(best per CPU-second %.1f)\n", PEAK_N, peak->peak_gflops,
               peak->peak_median_gflops, o.peak_trials, peak->peak_cpu_gflops);
        printf("# steps/s: median [min..max] of %d repeats x %d steps after warm-up; steps/cpu:\n"
               "# per CPU-second of the process (all threads), cpu/wall: CPU use while training;\n"
               "# mfu cpu: both the step and the peak per CPU-second (use it on a busy machine);\n"
               "# fwd1 = batch-1 forward + all attention maps, median us\n", o.repeats, o.steps);
        printf("%-10s %10s %10s %24s %9s %8s %10s %10s %8s %7s %8s %10s %9s %10s\n", "config",
               "params", "GFLOP/stp", "steps/s", "steps/cpu", "cpu/wall", "seq/s", "tok/s",
               "GFLOP/s", "mfu", "mfu cpu", "fwd1 us", "RSS MiB", "last loss");
    }
    int failures = 0;
    for (int c = 0; c < NUM_CONFIGS; c++) {
        if (!config_selected(o.config, &CONFIGS[c]))
            continue;
        if (run_in_child(&CONFIGS[c], &o, res) != 0) {
            fprintf(stderr, "minillm-bench: %s\n", res->err);
            failures++;
            continue;
        }
        if (CONFIGS[c].kind == BENCH_LM_GENERATE)
            print_generation(&CONFIGS[c], &o, res);
        else if (o.json)
            print_json(&CONFIGS[c], &o, res, peak);
        else
            print_row(&CONFIGS[c], res, peak);
    }
    if (!o.json)
        printf("# FLOPs/step = 6*P_mm*B*T + 6*P_cls*B + 12*L*B*T^2*d; mfu = GFLOP/s / sgemm peak\n");
    free(peak);
    free(res);
    return failures ? 1 : 0;
}
