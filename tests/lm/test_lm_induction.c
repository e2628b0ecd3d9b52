/* On the synthetic copy task a 2-layer model forms an induction head: from each
 * position of the answer, attention goes to the letter after the previous
 * occurrence of the token just read (the next letter to copy). Measured: the
 * mean attention weight on that key, over the answer positions of fresh
 * examples, of the best head of the second layer; before training it is about
 * 1/position, after training it must pass a threshold. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "lm_synthetic.h"
#include "run.h"

/* Steps of training and the attention weight required after them (measured:
 * see the README's synthetic-task section). */
#define INDUCTION_STEPS 1500
#define INDUCTION_THRESHOLD 0.5

static AppConfig copy_config(void)
{
    AppConfig cfg = app_config_default();
    cfg.model.task = MODEL_TASK_LM;
    cfg.model.norm = NORM_PRE;
    cfg.model.layernorm = LAYERNORM_STANDARD;
    cfg.model.d_model = 64;
    cfg.model.num_heads = 2;
    cfg.model.d_ff = 128;
    cfg.model.num_layers = 2;
    cfg.model.max_len = 32;
    cfg.model.dropout = 0.0f;
    cfg.data.tokenizer = (TokenizerConfig){TOKENIZER_CHAR, false};
    cfg.data.synthetic = SYNTHETIC_COPY;
    cfg.train.batch_size = 32;
    cfg.train.epochs = 1000;
    cfg.train.max_steps = INDUCTION_STEPS;
    cfg.train.eval_every = 0;
    cfg.train.optim.kind = OPTIM_ADAMW;
    cfg.train.optim.lr = 3e-3f;
    cfg.train.schedule = LR_WARMUP_COSINE;
    cfg.train.warmup_fraction = 0.05f;
    cfg.train.embedding_init_std = 0.125f;
    cfg.train.threads = 1;
    return cfg;
}

/* Mean over 20 examples and their answer positions of the largest (over the
 * heads of `layer`) attention weight on the induction key. */
static double induction_score(Run *r, int layer)
{
    Model *m = (Model *)run_model(r);
    const int NH = m->cfg.num_heads;
    Activations *a = activations_create(m, 1, SYNTHETIC_MAX_EXAMPLE + 1);
    cr_assert_not_null(a);
    Rng rng;
    rng_seed(&rng, 12345);
    double sum = 0;
    int count = 0;
    for (int e = 0; e < 20; e++) {
        char text[SYNTHETIC_MAX_EXAMPLE + 1] = "\n";
        int bar, len = synthetic_example(SYNTHETIC_COPY, &rng, text + 1, &bar) + 1;
        int ids[SYNTHETIC_MAX_EXAMPLE + 1];
        cr_assert_eq(encode_text(&r->cfg.data.tokenizer, r->vocab, text, (size_t)len, ids, NULL),
                     len);
        cr_assert_not_null(model_forward(m, a, ids, 1, len, NULL));
        const float *att = activations_attention(a, layer); /* (1, NH, T, T) */
        bar += 1; /* the '\n' in front */
        for (int j = 0; j < bar - 1; j++) {
            int q = bar + j, key = 1 + j; /* reading answer j-1 (or '|'): input letter j next */
            double best = 0;
            for (int h = 0; h < NH; h++) {
                double w = att[((size_t)h * len + q) * len + key];
                best = w > best ? w : best;
            }
            sum += best;
            count++;
        }
    }
    activations_free(a);
    return sum / count;
}

Test(induction, a_two_layer_model_forms_an_induction_head_on_copy, .timeout = 600)
{
    AppConfig cfg = copy_config();
    RunSpec spec = {.purpose = RUN_TRAIN};
    Run r;
    char err[512] = "";
    cr_assert_eq(run_open(&r, &cfg, &spec, err, sizeof err), 0, "%s", err);
    double before = induction_score(&r, 1);
    int rc;
    while ((rc = trainer_step(r.trainer, err, sizeof err)) == 0) {}
    cr_assert_eq(rc, 1, "%s", err);
    double after = induction_score(&r, 1);
    fprintf(stderr, "induction head (layer 2): %.3f before, %.3f after %d steps; val loss %.3f\n",
            before, after, INDUCTION_STEPS, (double)trainer_progress(r.trainer)->val_loss);
    cr_expect_lt(before, 0.3, "untrained: %.3f", before);
    cr_expect_gt(after, INDUCTION_THRESHOLD, "after %d steps: %.3f", INDUCTION_STEPS, after);
    run_close(&r);
}
