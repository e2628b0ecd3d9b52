/* Adam / AdamW over the model's flat parameter buffer, gradient clipping and
 * the learning-rate schedule. The moments share the parameter layout. */
#ifndef MINILLM_OPTIM_H
#define MINILLM_OPTIM_H

#include <stddef.h>

#include "model.h"

typedef enum { OPTIM_ADAM = 0, OPTIM_ADAMW = 1 } OptimKind;
typedef enum { LR_CONSTANT = 0, LR_WARMUP_COSINE = 1 } LrScheduleKind;

typedef struct {
    OptimKind kind;
    float lr;            /* peak learning rate; the notebook: Adam 1e-3 */
    float beta1, beta2, eps;
    float weight_decay;  /* Adam: L2 added to the gradient (PyTorch Adam); AdamW: decoupled */
    float clip_norm;     /* <= 0: no clipping */
} OptimConfig;

typedef struct {
    OptimConfig cfg;
    size_t n;
    float *m;            /* (n) first moment */
    float *v;            /* (n) second moment */
    long step;           /* steps taken */
} Optimizer;

OptimConfig optim_config_default(void); /* Adam, lr 1e-3, betas (0.9, 0.999), eps 1e-8 */
int optimizer_init(Optimizer *opt, const OptimConfig *cfg, size_t num_params);
void optimizer_free(Optimizer *opt);
void optimizer_reset(Optimizer *opt);
/* Global L2 norm of the gradients. */
float grad_global_norm(const float *grads, size_t n);
/* Scales grads so their global norm is <= max_norm (PyTorch clip_grad_norm_); returns the norm before. */
float grad_clip(float *grads, size_t n, float max_norm);
/* One update of params with grads at learning rate lr (the schedule's value).
 * Matches torch.optim.Adam / AdamW step for step. Returns 0, or -1 when the
 * update would leave a parameter or a moment NaN or infinite (an overflow from
 * huge gradients or moments): then nothing is written, the step count
 * included. The update is computed twice, once to check it (about the cost of
 * the update itself; next to a forward and backward pass, a few percent at
 * most). */
int optimizer_step(Optimizer *opt, float *params, const float *grads, float lr);

typedef struct {
    LrScheduleKind kind;
    float peak_lr;
    long warmup_steps;
    long total_steps;
    float min_lr;        /* floor of the cosine */
} LrSchedule;

float lr_schedule_at(const LrSchedule *s, long step);

#endif
