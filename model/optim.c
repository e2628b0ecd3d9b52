/* Adam / AdamW as torch.optim (single-tensor path), gradient clipping as
 * torch.nn.utils.clip_grad_norm_, and the learning-rate schedule. */
#include "optim.h"

#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "parallel.h"

OptimConfig optim_config_default(void)
{
    return (OptimConfig){
        .kind = OPTIM_ADAM, .lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
        .weight_decay = 0.0f, .clip_norm = 0.0f,
    };
}

int optimizer_init(Optimizer *opt, const OptimConfig *cfg, size_t num_params)
{
    memset(opt, 0, sizeof *opt);
    opt->cfg = *cfg;
    opt->n = num_params;
    opt->m = calloc(num_params ? num_params : 1, sizeof(float));
    opt->v = calloc(num_params ? num_params : 1, sizeof(float));
    if (!opt->m || !opt->v) {
        optimizer_free(opt);
        return -1;
    }
    return 0;
}

void optimizer_free(Optimizer *opt)
{
    free(opt->m);
    free(opt->v);
    opt->m = opt->v = NULL;
    opt->n = 0;
}

void optimizer_reset(Optimizer *opt)
{
    memset(opt->m, 0, opt->n * sizeof(float));
    memset(opt->v, 0, opt->n * sizeof(float));
    opt->step = 0;
}

float grad_global_norm(const float *grads, size_t n)
{
    double ss = 0.0; /* double: millions of squares summed */
    for (size_t i = 0; i < n; i++)
        ss += (double)grads[i] * grads[i];
    return (float)sqrt(ss);
}

float grad_clip(float *grads, size_t n, float max_norm)
{
    float norm = grad_global_norm(grads, n);
    if (max_norm <= 0.0f)
        return norm;
    float coef = max_norm / (norm + 1e-6f);
    if (coef < 1.0f)
        for (size_t i = 0; i < n; i++)
            grads[i] *= coef;
    return norm;
}

typedef struct {
    float *params, *m, *v;
    const float *grads;
    float b1, b2, one_minus_b1, one_minus_b2, eps, wd, decay, step_size, bc2_sqrt;
    bool decoupled;
    bool store;          /* false: only find whether the update would stay finite */
    atomic_int bad;      /* set by a check when an updated value would not be finite */
} AdamJob;

/* One branch-free loop per variant so that it vectorises; the arithmetic and its
 * order are the same as the scalar definition, element by element (no FMA:
 * -std=c11 keeps contraction off), so every copy below gives the same bits.
 * With store false, the same values are computed and only tested: a float is
 * finite when |x| <= FLT_MAX (false for NaN and both infinities). */
static inline __attribute__((always_inline)) void adam_body(AdamJob *j, size_t begin, size_t end,
                                                            const bool store)
{
    float *restrict p = j->params, *restrict m = j->m, *restrict v = j->v;
    const float *restrict g = j->grads;
    const float b1 = j->b1, b2 = j->b2, c1 = j->one_minus_b1, c2 = j->one_minus_b2;
    const float eps = j->eps, wd = j->wd, decay = j->decay, step_size = j->step_size;
    const float bc2_sqrt = j->bc2_sqrt;
    int bad = 0;
#define ADAM_UPDATE(GRAD, PARAM)                                                  \
    do {                                                                          \
        const float g_ = (GRAD);                                                  \
        const float m_ = b1 * m[i] + c1 * g_;                                     \
        const float v_ = b2 * v[i] + c2 * g_ * g_;                                \
        const float denom_ = sqrtf(v_) / bc2_sqrt + eps;                          \
        const float p_ = (PARAM) - step_size * m_ / denom_;                       \
        if (store) {                                                              \
            m[i] = m_;                                                            \
            v[i] = v_;                                                            \
            p[i] = p_;                                                            \
        } else {                                                                  \
            bad |= !(fabsf(p_) <= FLT_MAX) | !(fabsf(m_) <= FLT_MAX) | !(v_ <= FLT_MAX); \
        }                                                                         \
    } while (0)
    if (wd == 0.0f) {
        for (size_t i = begin; i < end; i++)
            ADAM_UPDATE(g[i], p[i]);
    } else if (j->decoupled) {
        for (size_t i = begin; i < end; i++)
            ADAM_UPDATE(g[i], p[i] * decay);
    } else {
        for (size_t i = begin; i < end; i++)
            ADAM_UPDATE(g[i] + wd * p[i], p[i]);
    }
#undef ADAM_UPDATE
    if (bad)
        atomic_store_explicit(&j->bad, 1, memory_order_relaxed);
}

static void adam_chunk_generic(AdamJob *j, size_t begin, size_t end)
{
    if (j->store)
        adam_body(j, begin, end, true);
    else
        adam_body(j, begin, end, false);
}

/* An AVX-512 copy (16 floats per instruction instead of SSE2's 4), picked at run
 * time (not by an ifunc, which crashes TSan builds at load). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ADAM_AVX512 1
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw")))
static void adam_chunk_avx512(AdamJob *j, size_t begin, size_t end)
{
    if (j->store)
        adam_body(j, begin, end, true);
    else
        adam_body(j, begin, end, false);
}
#endif

static void adam_chunk(void *ctx, size_t begin, size_t end)
{
#ifdef ADAM_AVX512
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) {
        adam_chunk_avx512(ctx, begin, end);
        return;
    }
#endif
    adam_chunk_generic(ctx, begin, end);
}

int optimizer_step(Optimizer *opt, float *params, const float *grads, float lr)
{
    const OptimConfig *c = &opt->cfg;
    const long step = opt->step + 1;
    /* PyTorch computes the bias corrections in double, the update in float. */
    const double bc1 = 1.0 - pow((double)c->beta1, (double)step);
    const double bc2 = 1.0 - pow((double)c->beta2, (double)step);
    AdamJob job = {
        .params = params, .m = opt->m, .v = opt->v, .grads = grads,
        .b1 = c->beta1, .b2 = c->beta2, .one_minus_b1 = 1.0f - c->beta1,
        .one_minus_b2 = 1.0f - c->beta2, .eps = c->eps, .wd = c->weight_decay,
        .decay = 1.0f - lr * c->weight_decay, .step_size = (float)(lr / bc1),
        .bc2_sqrt = (float)sqrt(bc2), .decoupled = c->kind == OPTIM_ADAMW, .store = false,
    };
    atomic_init(&job.bad, 0);
    /* Checked whole before anything is written: a step that would leave a
     * parameter or a moment NaN or infinite is not taken at all. */
    parallel_for(opt->n, 1 << 15, adam_chunk, &job);
    if (atomic_load(&job.bad))
        return -1;
    job.store = true;
    parallel_for(opt->n, 1 << 15, adam_chunk, &job);
    opt->step = step;
    return 0;
}

float lr_schedule_at(const LrSchedule *s, long step)
{
    if (s->kind == LR_CONSTANT)
        return s->peak_lr;
    /* Linear warm-up over steps 0 .. warmup-1 reaching peak at the last one, then
     * a half cosine from peak down to min_lr at total_steps, flat after. */
    if (step < s->warmup_steps)
        return s->peak_lr * (float)(step + 1) / (float)s->warmup_steps;
    long span = s->total_steps - s->warmup_steps;
    double progress = span > 0 ? (double)(step - s->warmup_steps) / (double)span : 1.0;
    if (progress > 1.0)
        progress = 1.0;
    double cosine = 0.5 * (1.0 + cos(M_PI * progress));
    return (float)(s->min_lr + (s->peak_lr - s->min_lr) * cosine);
}
