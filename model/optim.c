/* Adam / AdamW as torch.optim (single-tensor path), gradient clipping as
 * torch.nn.utils.clip_grad_norm_, and the learning-rate schedule. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

void optimizer_step(Optimizer *opt, float *params, const float *grads, float lr)
{
    const OptimConfig *c = &opt->cfg;
    opt->step++;
    /* PyTorch computes the bias corrections in double, the update in float. */
    const double bc1 = 1.0 - pow((double)c->beta1, (double)opt->step);
    const double bc2 = 1.0 - pow((double)c->beta2, (double)opt->step);
    const float step_size = (float)(lr / bc1);
    const float bc2_sqrt = (float)sqrt(bc2);
    const float b1 = c->beta1, b2 = c->beta2, eps = c->eps, wd = c->weight_decay;
    const bool decoupled = c->kind == OPTIM_ADAMW;
    const float decay = 1.0f - lr * wd;
    for (size_t i = 0; i < opt->n; i++) {
        float g = grads[i];
        if (wd != 0.0f) {
            if (decoupled)
                params[i] *= decay;
            else
                g += wd * params[i];
        }
        opt->m[i] = b1 * opt->m[i] + (1.0f - b1) * g;
        opt->v[i] = b2 * opt->v[i] + (1.0f - b2) * g * g;
        float denom = sqrtf(opt->v[i]) / bc2_sqrt + eps;
        params[i] -= step_size * opt->m[i] / denom;
    }
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
