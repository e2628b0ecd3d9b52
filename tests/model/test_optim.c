/* Adam / AdamW against their definitions (torch.optim), clipping as
 * clip_grad_norm_, and the learning-rate schedule. */
#include <criterion/criterion.h>
#include <math.h>

#include "model/optim.h"

/* torch.optim.Adam, one parameter, in double. */
typedef struct {
    double p, m, v;
} Ref;

static void ref_step(Ref *r, double g, int t, double lr, double wd, bool decoupled)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    if (decoupled)
        r->p *= 1.0 - lr * wd;
    else
        g += wd * r->p;
    r->m = b1 * r->m + (1 - b1) * g;
    r->v = b2 * r->v + (1 - b2) * g * g;
    double mhat = r->m / (1 - pow(b1, t)), vhat = r->v / (1 - pow(b2, t));
    r->p -= lr * mhat / (sqrt(vhat) + eps);
}

static void check_against_reference(OptimKind kind, float wd)
{
    enum { N = 5 };
    float params[N] = {0.5f, -1.0f, 2.0f, 0.0f, 3.0f};
    Ref ref[N];
    for (int i = 0; i < N; i++)
        ref[i] = (Ref){params[i], 0, 0};
    OptimConfig cfg = optim_config_default();
    cfg.kind = kind;
    cfg.weight_decay = wd;
    Optimizer opt;
    cr_assert_eq(optimizer_init(&opt, &cfg, N), 0);
    for (int t = 1; t <= 20; t++) {
        float grads[N];
        for (int i = 0; i < N; i++)
            grads[i] = i == 3 ? 0.0f : sinf((float)(t * (i + 1))) * 0.1f * (float)(i + 1);
        const float lr = t < 10 ? 1e-3f : 5e-2f; /* the schedule's lr changes per step */
        optimizer_step(&opt, params, grads, lr);
        for (int i = 0; i < N; i++)
            ref_step(&ref[i], grads[i], t, lr, wd, kind == OPTIM_ADAMW);
    }
    cr_expect_eq(opt.step, 20);
    for (int i = 0; i < N; i++)
        cr_expect(fabs(params[i] - ref[i].p) < 1e-6 * (1.0 + fabs(ref[i].p)),
                  "param %d: %.9g vs reference %.9g", i, (double)params[i], ref[i].p);
    optimizer_free(&opt);
}

Test(optim, adam_matches_definition) { check_against_reference(OPTIM_ADAM, 0.0f); }
Test(optim, adam_weight_decay_is_l2_in_the_gradient) { check_against_reference(OPTIM_ADAM, 0.1f); }
Test(optim, adamw_decay_is_decoupled) { check_against_reference(OPTIM_ADAMW, 0.1f); }

Test(optim, adamw_with_zero_gradient_only_decays)
{
    float p = 2.0f, g = 0.0f;
    OptimConfig cfg = optim_config_default();
    cfg.kind = OPTIM_ADAMW;
    cfg.weight_decay = 0.5f;
    Optimizer opt;
    cr_assert_eq(optimizer_init(&opt, &cfg, 1), 0);
    optimizer_step(&opt, &p, &g, 0.1f);
    cr_expect_float_eq(p, 2.0f * (1.0f - 0.1f * 0.5f), 1e-7f);
    optimizer_reset(&opt);
    cr_expect_eq(opt.step, 0);
    cr_expect_eq(opt.m[0], 0.0f);
    optimizer_free(&opt);
}

Test(optim, adam_minimises_a_quadratic)
{
    float x[3] = {0.0f, 10.0f, -4.0f};
    OptimConfig cfg = optim_config_default();
    Optimizer opt;
    cr_assert_eq(optimizer_init(&opt, &cfg, 3), 0);
    for (int t = 0; t < 2000; t++) {
        float g[3];
        for (int i = 0; i < 3; i++)
            g[i] = 2.0f * (x[i] - 3.0f);
        optimizer_step(&opt, x, g, 0.05f);
    }
    for (int i = 0; i < 3; i++)
        cr_expect(fabsf(x[i] - 3.0f) < 1e-2f, "x[%d] = %g", i, (double)x[i]);
    optimizer_free(&opt);
}

Test(optim, clipping_as_clip_grad_norm)
{
    float g[4] = {3.0f, 4.0f, 0.0f, 0.0f}; /* norm 5 */
    cr_expect_float_eq(grad_global_norm(g, 4), 5.0f, 1e-6f);
    float before = grad_clip(g, 4, 1.0f);
    cr_expect_float_eq(before, 5.0f, 1e-6f);
    /* scaled by max_norm / (norm + 1e-6) */
    cr_expect_float_eq(g[0], 3.0f / (5.0f + 1e-6f), 1e-6f);
    cr_expect_float_eq(grad_global_norm(g, 4), 1.0f, 1e-5f);
    float small[2] = {0.1f, 0.2f};
    grad_clip(small, 2, 1.0f);
    cr_expect_eq(small[0], 0.1f); /* under the bound: untouched */
    grad_clip(g, 4, 0.0f);        /* <= 0: no clipping */
    cr_expect_float_eq(g[0], 3.0f / (5.0f + 1e-6f), 1e-6f);
}

Test(optim, learning_rate_schedule)
{
    LrSchedule constant = {.kind = LR_CONSTANT, .peak_lr = 1e-3f};
    cr_expect_eq(lr_schedule_at(&constant, 0), 1e-3f);
    cr_expect_eq(lr_schedule_at(&constant, 123456), 1e-3f);

    LrSchedule s = {.kind = LR_WARMUP_COSINE, .peak_lr = 1e-3f, .warmup_steps = 10,
                    .total_steps = 110, .min_lr = 1e-5f};
    cr_expect_float_eq(lr_schedule_at(&s, 0), 1e-4f, 1e-9f);   /* 1/10 of peak */
    cr_expect_float_eq(lr_schedule_at(&s, 4), 5e-4f, 1e-9f);
    cr_expect_float_eq(lr_schedule_at(&s, 9), 1e-3f, 1e-9f);   /* peak at the end of warm-up */
    cr_expect_float_eq(lr_schedule_at(&s, 10), 1e-3f, 1e-9f);  /* cosine starts at peak */
    cr_expect_float_eq(lr_schedule_at(&s, 60), (1e-3f + 1e-5f) / 2.0f, 1e-8f); /* half way */
    cr_expect_float_eq(lr_schedule_at(&s, 110), 1e-5f, 1e-9f);
    cr_expect_float_eq(lr_schedule_at(&s, 500), 1e-5f, 1e-9f); /* flat after the end */
    for (long t = 10; t < 110; t++)
        cr_expect(lr_schedule_at(&s, t + 1) <= lr_schedule_at(&s, t), "not decreasing at %ld", t);
}

/* A step whose update would overflow (g² = inf in v) or carry a NaN is not
 * taken: -1, and the parameters, both moments and the step count as before. */
static void expect_step_refused(float bad_grad)
{
    float p[3] = {0.5f, -1.0f, 2.0f}, g[3] = {0.1f, -0.2f, 0.3f};
    Optimizer opt;
    OptimConfig cfg = optim_config_default();
    cfg.kind = OPTIM_ADAMW;
    cfg.weight_decay = 0.1f;
    cr_assert_eq(optimizer_init(&opt, &cfg, 3), 0);
    cr_assert_eq(optimizer_step(&opt, p, g, 1e-2f), 0);
    const float p_before[3] = {p[0], p[1], p[2]};
    const float m_before[3] = {opt.m[0], opt.m[1], opt.m[2]};
    const float v_before[3] = {opt.v[0], opt.v[1], opt.v[2]};
    g[1] = bad_grad;
    cr_expect_eq(optimizer_step(&opt, p, g, 1e-2f), -1, "grad %g accepted", (double)bad_grad);
    cr_expect_eq(opt.step, 1);
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(p[i], p_before[i], "param %d changed", i);
        cr_expect_eq(opt.m[i], m_before[i], "m[%d] changed", i);
        cr_expect_eq(opt.v[i], v_before[i], "v[%d] changed", i);
    }
    g[1] = -0.2f;
    cr_expect_eq(optimizer_step(&opt, p, g, 1e-2f), 0);
    cr_expect_eq(opt.step, 2);
    optimizer_free(&opt);
}

Test(optim, overflowing_update_is_not_taken) { expect_step_refused(1e30f); }
Test(optim, nan_gradient_is_not_taken) { expect_step_refused(NAN); }
Test(optim, infinite_gradient_is_not_taken) { expect_step_refused(-INFINITY); }
