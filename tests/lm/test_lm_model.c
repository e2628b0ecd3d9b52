/* The language model's application side with the real model: the run set-up
 * and trainer (determinism, max_steps, progress figures), the evaluation
 * protocol against token-by-token scoring through the key/value cache,
 * checkpoints (metadata, tied tensors), generation (same seed, same text; the
 * reported log-probabilities against full forward passes; the sliding context). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "checkpoint.h"
#include "lm_generate.h"
#include "lm_score.h"
#include "rel_util.h"
#include "run.h"
#include "safetensors.h"

TestSuite(lm_model, .init = rel_tmp_make, .fini = rel_tmp_remove);

/* A small character model on the embedded text. */
static AppConfig small_lm(void)
{
    AppConfig cfg = app_config_default();
    cfg.model.task = MODEL_TASK_LM;
    cfg.model.norm = NORM_PRE;
    cfg.model.layernorm = LAYERNORM_STANDARD;
    cfg.model.d_model = 32;
    cfg.model.num_heads = 2;
    cfg.model.d_ff = 64;
    cfg.model.num_layers = 2;
    cfg.model.max_len = 16;
    cfg.model.dropout = 0.1f;
    cfg.data.tokenizer = (TokenizerConfig){TOKENIZER_CHAR, false};
    cfg.train.batch_size = 8;
    cfg.train.epochs = 100;
    cfg.train.max_steps = 12;
    cfg.train.eval_every = 6;
    cfg.train.optim.lr = 3e-3f;
    cfg.train.embedding_init_std = 0.1f;
    cfg.train.threads = 1;
    return cfg;
}

static void open_train(Run *r, const AppConfig *cfg)
{
    RunSpec spec = {.purpose = RUN_TRAIN};
    char err[512] = "";
    cr_assert_eq(run_open(r, cfg, &spec, err, sizeof err), 0, "%s", err);
}

static void train_to_end(Run *r)
{
    char err[512] = "";
    int rc;
    while ((rc = trainer_step(r->trainer, err, sizeof err)) == 0) {}
    cr_assert_eq(rc, 1, "%s", err);
}

Test(lm_model, a_run_trains_deterministically_and_stops_at_max_steps)
{
    AppConfig cfg = small_lm();
    Run a, b;
    open_train(&a, &cfg);
    open_train(&b, &cfg);
    cr_assert_not_null(a.lm);
    cr_expect_eq(a.cfg.model.vocab_size, vocab_size(a.vocab));
    cr_expect_eq(a.cfg.model.num_classes, 0);
    const TrainProgress *p = trainer_progress(a.trainer);
    cr_expect(p->is_lm);
    cr_expect_eq(p->total_steps, 12);
    long per_epoch = (a.lm->train.n + 8 * 16 - 1) / (8 * 16);
    cr_expect_eq(p->steps_per_epoch, per_epoch);
    train_to_end(&a);
    train_to_end(&b);
    cr_expect_eq(p->step, 12);
    cr_expect(p->done);
    const Model *ma = run_model(&a), *mb = run_model(&b);
    cr_expect_arr_eq(ma->params, mb->params, ma->num_params * sizeof(float),
                     "same seed, data and threads: the same bits");
    /* Progress figures: char tokens, so bits per char = loss / ln 2. */
    cr_expect_float_eq(p->bpc_avg, p->loss_avg / logf(2.0f), 1e-4);
    cr_expect_float_eq(p->ppl_avg, expf(p->loss_avg), 1e-3);
    cr_expect_eq(p->val_step, 12);
    cr_expect_float_eq(p->val_bpc, p->val_loss / logf(2.0f), 1e-4);
    cr_expect_float_eq(p->val_perplexity, expf(p->val_loss), 1e-3);
    cr_expect_eq(p->best_step, 12, "the loss still falls: the last validation is the best");
    cr_expect_gt(p->tokens_per_s, 0);
    run_close(&a);
    run_close(&b);
}

Test(lm_model, training_lowers_the_validation_loss)
{
    AppConfig cfg = small_lm();
    cfg.train.max_steps = 150;
    cfg.train.eval_every = 0;
    cfg.train.epochs = 1000;
    Run r;
    open_train(&r, &cfg);
    LmEvalResult before;
    char err[512] = "";
    cr_assert_eq(trainer_evaluate_lm(r.trainer, &r.lm->val, &before, err, sizeof err), 0, "%s", err);
    /* At the start every character is about equally likely: bits per char near log2(V). */
    cr_expect_float_eq(before.bits_per_char, log2(vocab_size(r.vocab)), 0.3);
    train_to_end(&r);
    const TrainProgress *p = trainer_progress(r.trainer);
    cr_expect_lt(p->val_bpc, before.bits_per_char - 1.5, "%g -> %g bits per char",
                 before.bits_per_char, (double)p->val_bpc);
    run_close(&r);
}

/* Token-by-token through the key/value cache: an independent path to the same
 * log-probabilities as the protocol's batched forward passes. */
static double nats_by_generator(const Model *m, const LmStream *s)
{
    const int n = m->cfg.max_len + 1, V = m->cfg.vocab_size;
    char err[256];
    Generator *g = generator_create(m, m->cfg.max_len, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    double nats = 0;
    for (long start = 0; start + 1 < s->n; start += n) {
        long end = start + n < s->n ? start + n : s->n;
        generator_reset(g);
        for (long i = start; i + 1 < end; i++) {
            const float *logits = generator_feed(g, s->ids[i]);
            cr_assert_not_null(logits);
            nats -= lm_log_softmax_at(logits, V, s->ids[i + 1]);
        }
    }
    generator_free(g);
    return nats;
}

Test(lm_model, the_protocol_equals_scoring_token_by_token)
{
    AppConfig cfg = small_lm();
    Run r;
    open_train(&r, &cfg);
    train_to_end(&r);
    LmEvalResult res;
    char err[512] = "";
    cr_assert_eq(lm_evaluate_model((Model *)run_model(&r), NULL, 5, &r.lm->val, &res, err,
                                   sizeof err), 0, "%s", err);
    long blocks = r.lm->val.n / 17, rest = r.lm->val.n % 17;
    cr_expect_eq(res.tokens, blocks * 16 + (rest >= 2 ? rest - 1 : 0));
    double nats = nats_by_generator(run_model(&r), &r.lm->val);
    cr_expect(fabs(res.total_nats - nats) <= 1e-4 * nats, "%.6f vs %.6f", res.total_nats, nats);
    /* The trainer's validation pass is the same protocol. */
    cr_expect_float_eq(trainer_progress(r.trainer)->val_loss, res.loss, 1e-6);
    run_close(&r);
}

static cJSON *saved_config(const char *path)
{
    SafeTensors st;
    char err[512] = "";
    cr_assert_eq(safetensors_read_file(&st, path, "F32", err, sizeof err), 0, "%s", err);
    cJSON *o = cJSON_Parse(safetensors_metadata(&st, "config"));
    cr_assert(safetensors_find(&st, "lm_head.weight") != NULL);
    safetensors_free(&st);
    return o;
}

static void expect_round_trip(bool tied, NormPlacement norm)
{
    AppConfig cfg = small_lm();
    cfg.model.tie_embeddings = tied;
    cfg.model.norm = norm;
    cfg.train.max_steps = 3;
    Run r;
    open_train(&r, &cfg);
    train_to_end(&r);
    const char *path = rel_path(tied ? "tied.safetensors" : "untied.safetensors");
    char err[512] = "";
    cr_assert_eq(run_save(&r, path, RUN_SAVE_CURRENT, err, sizeof err), 0, "%s", err);
    cJSON *o = saved_config(path);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(o, "task")), "lm");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(o, "norm")),
                     norm == NORM_PRE ? "pre" : "post");
    cr_expect_eq(cJSON_IsTrue(cJSON_GetObjectItem(o, "tie_embeddings")), tied);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(o, "tokenizer")), "char");
    cJSON_Delete(o);
    Checkpoint c;
    cr_assert_eq(checkpoint_load(path, &c, err, sizeof err), 0, "%s", err);
    const Model *m = run_model(&r);
    cr_expect_eq(c.model->cfg.task, MODEL_TASK_LM);
    cr_expect_eq(c.model->cfg.tie_embeddings, tied);
    cr_expect_eq(c.model->cfg.norm, norm);
    cr_expect_eq(c.num_labels, 0);
    cr_assert_eq(c.model->num_params, m->num_params);
    cr_expect_arr_eq(c.model->params, m->params, m->num_params * sizeof(float));
    cr_expect_eq(vocab_size(c.vocab), vocab_size(r.vocab));
    cr_expect_str_eq(vocab_token(c.vocab, 2), "\n");
    checkpoint_free(&c);
    run_close(&r);
}

Test(lm_model, checkpoints_carry_task_norm_ties_and_vocabulary)
{
    expect_round_trip(false, NORM_PRE);
    expect_round_trip(true, NORM_PRE);
    expect_round_trip(true, NORM_POST);
}

Test(lm_model, a_tied_head_that_differs_from_the_embedding_is_refused)
{
    AppConfig cfg = small_lm();
    cfg.model.tie_embeddings = true;
    cfg.train.max_steps = 1;
    Run r;
    open_train(&r, &cfg);
    train_to_end(&r);
    const char *path = rel_path("tied.safetensors");
    char err[512] = "";
    cr_assert_eq(run_save(&r, path, RUN_SAVE_CURRENT, err, sizeof err), 0, "%s", err);
    run_close(&r);
    /* Rewrite the file with lm_head.weight changed in one entry. */
    Checkpoint c;
    cr_assert_eq(checkpoint_load(path, &c, err, sizeof err), 0, "%s", err);
    SafeTensors st;
    cr_assert_eq(safetensors_read_file(&st, path, "F32", err, sizeof err), 0, "%s", err);
    const SafeTensor *head = safetensors_find(&st, "lm_head.weight");
    cr_assert_not_null(head);
    size_t at = 8 + st.header_len + head->begin + 4 * 5; /* entry 5 of the tensor */
    safetensors_free(&st);
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f);
    float changed = 123.0f;
    cr_assert_eq(fseek(f, (long)at, SEEK_SET), 0);
    cr_assert_eq(fwrite(&changed, 4, 1, f), 1);
    fclose(f);
    checkpoint_free(&c);
    cr_expect_eq(checkpoint_load(path, &c, err, sizeof err), -1);
    cr_expect(strstr(err, "tensor 'lm_head.weight' differs from 'decoder.embedding.weight' at "
                          "index 5") != NULL, "%s", err);
}

/* ln p of token `next` after context[0..n) by a full forward pass (eval mode). */
static float forward_logprob(Model *m, const int *context, int n, int next)
{
    Activations *a = activations_create(m, 1, n);
    cr_assert_not_null(a);
    const float *logits = model_forward(m, a, context, 1, n, NULL);
    cr_assert_not_null(logits, "%s", model_forward_error(a));
    int V = m->cfg.vocab_size;
    float lp = lm_log_softmax_at(logits + (size_t)(n - 1) * V, V, next);
    activations_free(a);
    return lp;
}

Test(lm_model, generation_repeats_for_a_seed_and_reports_the_model_s_logprobs)
{
    AppConfig cfg = small_lm();
    cfg.train.max_steps = 40;
    Run r;
    open_train(&r, &cfg);
    train_to_end(&r);
    Model *m = (Model *)run_model(&r);
    const int T = m->cfg.max_len;
    GenerateSpec spec = {.prompt = "The d", .tokens = 3 * T,
                         .sampling = {.temperature = 0.8f, .top_k = 10, .top_p = 0.95f}, .seed = 7};
    GenerateResult a, b, c;
    char err[512] = "";
    cr_assert_eq(lm_generate(m, &r.cfg.data.tokenizer, r.vocab, &spec, NULL, NULL, &a, err,
                             sizeof err), 0, "%s", err);
    cr_assert_eq(lm_generate(m, &r.cfg.data.tokenizer, r.vocab, &spec, NULL, NULL, &b, err,
                             sizeof err), 0, "%s", err);
    spec.seed = 8;
    cr_assert_eq(lm_generate(m, &r.cfg.data.tokenizer, r.vocab, &spec, NULL, NULL, &c, err,
                             sizeof err), 0, "%s", err);
    cr_assert_eq(a.n, 3 * T);
    cr_expect_str_eq(a.text, b.text, "same seed, same text");
    cr_expect_arr_eq(a.ids, b.ids, (size_t)a.n * sizeof(int));
    cr_expect(strcmp(a.text, c.text) != 0, "another seed, another text");
    cr_expect_eq(strlen(a.text), a.text_len);
    /* The history: prompt then the generated tokens; each logprob against a forward over
     * at most the max_len tokens before it (the sliding context). */
    int history[5 + 3 * 16];
    long n = encode_text(&r.cfg.data.tokenizer, r.vocab, "The d", 5, history, NULL);
    cr_assert_eq(n, 5);
    memcpy(history + 5, a.ids, (size_t)a.n * sizeof(int));
    /* The context the generator holds: it grows to T, then slides back to the
     * last T - 1 tokens whenever it is full. */
    int keep = 5;
    for (int i = 0; i < a.n; i++) {
        int end = 5 + i;
        if (i > 0)
            keep = keep < T ? keep + 1 : T - 1;
        float want = forward_logprob(m, history + end - keep, keep, history[end]);
        cr_expect(fabsf(a.logprobs[i] - want) <= 1e-4f, "token %d: %g vs %g (context %d)", i,
                  (double)a.logprobs[i], (double)want, keep);
        cr_expect_leq(a.logprobs[i], 0.0f);
    }
    generate_result_free(&a);
    generate_result_free(&b);
    generate_result_free(&c);
    run_close(&r);
}

Test(lm_model, greedy_generation_takes_the_most_probable_token)
{
    AppConfig cfg = small_lm();
    cfg.train.max_steps = 20;
    Run r;
    open_train(&r, &cfg);
    train_to_end(&r);
    Model *m = (Model *)run_model(&r);
    GenerateSpec spec = {.prompt = "", .tokens = 5, .sampling = {0.0f, 0, 1.0f}, .seed = 1};
    GenerateResult g;
    char err[512] = "";
    cr_assert_eq(lm_generate(m, &r.cfg.data.tokenizer, r.vocab, &spec, NULL, NULL, &g, err,
                             sizeof err), 0, "%s", err);
    int context[6] = {vocab_lookup(r.vocab, "\n")};
    for (int i = 0; i < 5; i++) {
        Activations *a = activations_create(m, 1, i + 1);
        const float *logits = model_forward(m, a, context, 1, i + 1, NULL);
        const float *row = logits + (size_t)i * m->cfg.vocab_size;
        int best = 0;
        for (int v = 1; v < m->cfg.vocab_size; v++)
            if (row[v] > row[best])
                best = v;
        cr_expect_eq(g.ids[i], best, "token %d", i);
        context[i + 1] = g.ids[i];
        activations_free(a);
    }
    generate_result_free(&g);
    run_close(&r);
}

/* Weights too large for float make NaN or infinite logits: generation and the
 * evaluation protocol say so instead of printing text or a NaN figure. */
Test(lm_model, non_finite_logits_are_an_error_not_a_result)
{
    AppConfig cfg = small_lm();
    Run r;
    open_train(&r, &cfg);
    Model *m = (Model *)run_model(&r);
    ModelWeights w = model_params(m);
    for (size_t i = 0; i < (size_t)m->cfg.vocab_size * (size_t)m->cfg.d_model; i++)
        w.lm_head[i] = 3e38f; /* finite, but a sum of them is not */
    GenerateSpec spec = {.prompt = "The d", .tokens = 5, .sampling = {.temperature = 1.0f, .top_p = 1.0f},
                         .seed = 7};
    GenerateResult g;
    char err[512] = "";
    cr_expect_eq(lm_generate(m, &r.cfg.data.tokenizer, r.vocab, &spec, NULL, NULL, &g, err,
                             sizeof err), -1);
    cr_expect(strstr(err, "NaN or infinite"), "%s", err);
    generate_result_free(&g);
    LmEvalResult res;
    err[0] = '\0';
    cr_expect_eq(lm_evaluate_model(m, NULL, 5, &r.lm->val, &res, err, sizeof err), -1);
    cr_expect(strstr(err, "NaN or infinite"), "%s", err);
    run_close(&r);
}
