/* The recipe's trainer options on the embedded toy data (no SST-2 needed): [train]
 * save = best writes the best model by validation accuracy through --save (and no
 * optimizer sidecar), word dropout and word deletion change the run yet stay
 * deterministic for a seed,
 * and embedding_init_std scales the initial embedding table. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli.h"
#include "trainer.h"

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/minillm-sst2-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(options, .init = make_tmpdir, .fini = remove_tmpdir);

/* Runs `train` in-process; returns its exit status, output in out (size out_len). */
static int run_train(char *out, size_t out_len, const char *save, const char *const *sets, int num_sets)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "train";
    argv[argc++] = "--quiet";
    argv[argc++] = "--epochs";
    argv[argc++] = "4";
    argv[argc++] = "--threads";
    argv[argc++] = "1";
    argv[argc++] = "--save";
    argv[argc++] = (char *)save;
    for (int i = 0; i < num_sets && argc < 30; i++) {
        argv[argc++] = "--set";
        argv[argc++] = (char *)sets[i];
    }
    FILE *o = fmemopen(out, out_len, "w");
    FILE *e = tmpfile();
    cr_assert(o && e);
    int rc = cli_train(argc, argv, o, e);
    fclose(o);
    fclose(e);
    return rc;
}

static float *read_params(const char *path, size_t *n)
{
    Checkpoint c;
    char err[1024];
    cr_assert_eq(checkpoint_load(path, &c, err, sizeof err), 0, "%s", err);
    *n = c.model->num_params;
    float *p = malloc(*n * sizeof *p);
    cr_assert_not_null(p);
    memcpy(p, c.model->params, *n * sizeof *p);
    checkpoint_free(&c);
    return p;
}

Test(options, save_best_writes_the_best_model_and_no_optimizer_state)
{
    char path[128], sidecar[160], out[4096];
    snprintf(path, sizeof path, "%s/best.safetensors", tmpdir);
    const char *sets[] = {"train.save=best", "train.eval_every=5"};
    cr_assert_eq(run_train(out, sizeof out, path, sets, 2), CLI_EXIT_OK, "%s", out);
    cr_expect_not_null(strstr(out, "saved the best model by validation accuracy"), "%s", out);
    snprintf(sidecar, sizeof sidecar, "%s.optim", path);
    cr_expect_neq(access(sidecar, F_OK), 0, "%s must not exist with save = best", sidecar);

    /* The saved model scores the best accuracy the summary reports. */
    const char *best = strstr(out, "best ");
    cr_assert_not_null(best, "%s", out);
    double best_pct = 0;
    cr_assert_eq(sscanf(best, "best %lf%%", &best_pct), 1, "%s", out);
    char eval_out[4096];
    char *argv[] = {"eval", "--checkpoint", path};
    FILE *o = fmemopen(eval_out, sizeof eval_out, "w");
    FILE *e = tmpfile();
    cr_assert_eq(cli_eval(3, argv, o, e), CLI_EXIT_OK);
    fclose(o);
    fclose(e);
    const char *acc = strstr(eval_out, "accuracy ");
    cr_assert_not_null(acc, "%s", eval_out);
    double eval_pct = 0;
    cr_assert_eq(sscanf(acc, "accuracy %lf%%", &eval_pct), 1, "%s", eval_out);
    cr_expect(fabs(eval_pct - best_pct) < 0.06, "eval %.2f%%, best in training %.1f%%", eval_pct, best_pct);
}

Test(options, save_last_keeps_the_final_model_and_its_optimizer_state)
{
    char path[128], sidecar[160], out[4096];
    snprintf(path, sizeof path, "%s/last.safetensors", tmpdir);
    const char *sets[] = {"train.save=last"};
    cr_assert_eq(run_train(out, sizeof out, path, sets, 1), CLI_EXIT_OK, "%s", out);
    cr_expect_not_null(strstr(out, "saved the final model"), "%s", out);
    snprintf(sidecar, sizeof sidecar, "%s.optim", path);
    cr_expect_eq(access(sidecar, F_OK), 0, "%s missing", sidecar);
}

/* Trains twice with `with` and once with `without`: the first two must end with the
 * same weights (the option draws from the seed), the third with different ones. */
static void check_option_changes_run_deterministically(const char *with, const char *without,
                                                       const char *what)
{
    char a[128], b[128], c[128], out[4096];
    snprintf(a, sizeof a, "%s/a.safetensors", tmpdir);
    snprintf(b, sizeof b, "%s/b.safetensors", tmpdir);
    snprintf(c, sizeof c, "%s/c.safetensors", tmpdir);
    const char *with_sets[] = {with};
    const char *without_sets[] = {without};
    cr_assert_eq(run_train(out, sizeof out, a, with_sets, 1), CLI_EXIT_OK, "%s", out);
    cr_assert_eq(run_train(out, sizeof out, b, with_sets, 1), CLI_EXIT_OK, "%s", out);
    cr_assert_eq(run_train(out, sizeof out, c, without_sets, 1), CLI_EXIT_OK, "%s", out);
    size_t na, nb, nc;
    float *pa = read_params(a, &na), *pb = read_params(b, &nb), *pc = read_params(c, &nc);
    cr_assert(na == nb && na == nc);
    cr_expect_eq(memcmp(pa, pb, na * sizeof *pa), 0, "same seed, same %s: same weights", what);
    cr_expect_neq(memcmp(pa, pc, na * sizeof *pa), 0, "%s must change the training", what);
    free(pa);
    free(pb);
    free(pc);
}

Test(options, word_dropout_changes_the_run_and_is_deterministic)
{
    check_option_changes_run_deterministically("train.word_dropout=0.3", "train.word_dropout=0",
                                               "word dropout");
}

Test(options, word_delete_changes_the_run_and_is_deterministic)
{
    /* Even deleting nearly every word leaves each sentence one token: training runs. */
    check_option_changes_run_deterministically("train.word_delete=0.95", "train.word_delete=0",
                                               "word deletion");
}


static double embedding_rms(const AppConfig *cfg)
{
    /* A trainer over a one-sentence dataset builds the initial model from the config. */
    int ids[4] = {2, 3, 0, 0}, len = 2, label = 0;
    EncodedDataset d = {.n = 1, .max_len = 4, .ids = ids, .len = &len, .label = &label};
    char err[256];
    Trainer *t = trainer_create(cfg, NULL, &d, NULL, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    const Model *m = trainer_train_model(t);
    const float *e = model_params(m).tok_emb;
    size_t n = (size_t)m->cfg.vocab_size * (size_t)m->cfg.d_model;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)e[i] * e[i];
    trainer_free(t);
    return sqrt(s / (double)n);
}

Test(options, embedding_init_std_scales_the_initial_table)
{
    AppConfig cfg = app_config_default();
    cfg.model.vocab_size = 400;
    cfg.model.num_classes = 2;
    cfg.train.epochs = 1;
    cfg.train.batch_size = 1;
    double base = embedding_rms(&cfg);
    cr_expect(fabs(base - 1.0) < 0.05, "PyTorch's N(0, 1): rms %.3f", base);
    cfg.train.embedding_init_std = 0.1f;
    double small = embedding_rms(&cfg);
    cr_expect(fabs(small / base - 0.1) < 1e-4, "rms %.4f vs %.4f", small, base);
}
