/* The run set-up the commands and the TUI share (src/run.h): the [data] rules on
 * the embedded data and on a file with a bad line, a checkpoint with and without
 * its optimizer state (resumed at its step, or a fresh optimizer, or an error on
 * --resume), the save rules (current + sidecar, best without), evaluation and
 * prediction runs, and errors that leave nothing allocated. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/minillm-run-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(run, .init = make_dir, .fini = remove_dir);

static const char *path_in_dir(const char *name)
{
    static char paths[4][128];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 128, "%s/%s", dir, name);
    return p;
}

/* A small model that trains fast. */
static AppConfig small_config(void)
{
    AppConfig cfg = app_config_default();
    cfg.model.d_model = 32;
    cfg.model.num_heads = 2;
    cfg.model.d_ff = 64;
    cfg.model.num_layers = 2;
    cfg.train.batch_size = 16;
    cfg.train.epochs = 3;
    return cfg;
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

Test(run, training_on_the_embedded_data)
{
    AppConfig cfg = small_config();
    RunSpec spec = {.purpose = RUN_TRAIN};
    Run r;
    char err[512];
    cr_assert_eq(run_open(&r, &cfg, &spec, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(r.data_name, "embedded dataset");
    cr_expect_eq(r.train->n + r.val->n, 416, "the embedded dataset: 346 + 70 held out");
    cr_expect_eq(r.val->n, 70);
    cr_expect_eq(r.train_ids->n, r.train->n);
    cr_expect_eq(r.val_ids->n, r.val->n);
    cr_expect_eq(vocab_size(r.vocab), r.cfg.model.vocab_size, "vocab_size filled in");
    cr_expect_eq(r.num_labels, 2);
    cr_expect_eq(r.cfg.model.num_classes, 2);
    cr_expect_str_eq(r.labels[0], "negative");
    cr_expect_str_eq(r.labels[1], "positive");
    cr_assert_not_null(r.trainer);
    cr_expect_null(r.model, "the trainer owns the weights of a training run");
    cr_expect_eq(run_model(&r), trainer_model(r.trainer));
    cr_expect_eq(run_model(&r)->cfg.d_model, 32);
    cr_expect_str_empty(r.note);
    cr_expect_eq(run_save_kind(&r), RUN_SAVE_CURRENT);
    run_close(&r);
    cr_expect_null(r.trainer, "closed");
    cr_expect_null(r.train);
}

Test(run, bad_lines_are_logged_and_noted)
{
    const char *data = path_in_dir("data.tsv");
    FILE *f = fopen(data, "w");
    cr_assert_not_null(f);
    fputs("sentence\tlabel\na good film\tpos\na bad film\tneg\nno label column here\n"
          "a fine film\tpos\na dull film\tneg\n", f);
    fclose(f);
    AppConfig cfg = small_config();
    snprintf(cfg.data.train_path, sizeof cfg.data.train_path, "%s", data);
    cfg.data.val_fraction = 0;
    char *log_text = NULL;
    size_t log_len = 0;
    FILE *log = open_memstream(&log_text, &log_len);
    RunSpec spec = {.purpose = RUN_TRAIN, .log = log};
    Run r;
    char err[512];
    cr_assert_eq(run_open(&r, &cfg, &spec, err, sizeof err), 0, "%s", err);
    fclose(log);
    char where[160];
    snprintf(where, sizeof where, "%s:4", data);
    cr_expect(strstr(log_text, where) != NULL, "the bad line in the log: %s", log_text);
    char note[200];
    snprintf(note, sizeof note, "%s: skipped 1 bad line", data);
    cr_expect_str_eq(r.note, note);
    cr_expect_str_eq(r.data_name, data);
    cr_expect_eq(r.train->n, 4);
    cr_expect_null(r.val, "val_fraction 0 and no val file: no validation");
    cr_expect_null(r.val_ids);
    cr_expect_str_eq(r.labels[0], "neg", "classes in byte order of their names");
    run_close(&r);
    free(log_text);
}

/* Trains a few steps and saves the model with its optimizer state; returns the step. */
static long train_and_save(const char *path)
{
    AppConfig cfg = small_config();
    RunSpec spec = {.purpose = RUN_TRAIN};
    Run r;
    char err[512];
    cr_assert_eq(run_open(&r, &cfg, &spec, err, sizeof err), 0, "%s", err);
    for (int i = 0; i < 7; i++)
        cr_assert_eq(trainer_step(r.trainer, err, sizeof err), 0, "%s", err);
    long step = trainer_progress(r.trainer)->step;
    cr_assert_eq(run_save(&r, path, RUN_SAVE_CURRENT, err, sizeof err), 0, "%s", err);
    run_close(&r);
    return step;
}

Test(run, a_checkpoint_continues_with_its_optimizer_state_or_a_fresh_one)
{
    const char *model = path_in_dir("m.safetensors");
    char sidecar[160];
    checkpoint_optim_path(model, sidecar, sizeof sidecar);
    long step = train_and_save(model);
    cr_assert(exists(sidecar), "run_save CURRENT writes the optimizer state");

    AppConfig cfg = app_config_default(); /* d_model 64: the checkpoint's 32 wins */
    RunSpec spec = {.purpose = RUN_TRAIN, .checkpoint = model};
    Run r;
    char err[512], want[256];
    cr_assert_eq(run_open(&r, &cfg, &spec, err, sizeof err), 0, "%s", err);
    cr_expect_eq(trainer_progress(r.trainer)->step, step, "resumed at the saved step");
    snprintf(want, sizeof want, "resumed %s at step %ld", model, step);
    cr_expect_str_eq(r.note, want);
    cr_expect_eq(r.cfg.model.d_model, 32, "the checkpoint's model");
    cr_expect_eq(run_model(&r)->cfg.d_model, 32);
    run_close(&r);

    cr_assert_eq(remove(sidecar), 0);
    cr_assert_eq(run_open(&r, &cfg, &spec, err, sizeof err), 0, "%s", err);
    cr_expect_eq(trainer_progress(r.trainer)->step, 0, "a fresh optimizer starts at step 0");
    snprintf(want, sizeof want, "loaded %s (fresh optimizer)", model);
    cr_expect_str_eq(r.note, want);
    run_close(&r);

    spec.resume = true; /* train --resume: the optimizer state must be there */
    cr_expect_eq(run_open(&r, &cfg, &spec, err, sizeof err), -1);
    cr_expect(strstr(err, sidecar) != NULL, "the error names the sidecar: %s", err);
    cr_expect_null(r.trainer, "nothing left open after a failure");
    cr_expect_null(r.vocab);
}

/* Issue 12, item 6: the config keys a checkpoint overrides are named in the
 * note (keys left at their default are not), and its training figures come with it. */
Test(run, a_checkpoint_names_the_keys_it_overrides)
{
    const char *model = path_in_dir("m.safetensors");
    long step = train_and_save(model);
    AppConfig cfg = app_config_default();
    char err[512];
    cr_assert_eq(app_config_set(&cfg, "model", "d_model", "64", err, sizeof err), 0, "%s", err);
    cr_assert_eq(app_config_set(&cfg, "data", "label_names", "bad,good", err, sizeof err), 0, "%s", err);
    cfg.model.num_layers = 2; /* the default, not given: the checkpoint's 2 anyway */
    RunSpec spec = {.purpose = RUN_TRAIN, .checkpoint = model};
    Run r;
    cr_assert_eq(run_open(&r, &cfg, &spec, err, sizeof err), 0, "%s", err);
    cr_expect(strstr(r.note, "ignored, the checkpoint decides: model.d_model=64 (checkpoint: 32), "
                             "data.label_names=bad,good (checkpoint: negative,positive)"), "%s", r.note);
    cr_expect_null(strstr(r.note, "num_layers"), "%s", r.note);
    cr_expect_eq(r.info.step, step);
    cr_expect_eq(r.info.val_step, -1, "saved at step 7, before the first validation (epoch's end)");
    cr_expect_eq(r.info.total_steps, 3 * 22, "3 epochs of 346 sentences in batches of 16");
    cr_expect_str_eq(r.info.data, "embedded dataset");
    run_close(&r);
}

Test(run, the_best_model_is_saved_without_optimizer_state)
{
    AppConfig cfg = small_config();
    cfg.train.eval_every = 2;
    cfg.train.save = TRAIN_SAVE_BEST;
    RunSpec spec = {.purpose = RUN_TRAIN};
    Run r;
    char err[512];
    cr_assert_eq(run_open(&r, &cfg, &spec, err, sizeof err), 0, "%s", err);
    cr_expect_eq(run_save_kind(&r), RUN_SAVE_CURRENT, "no validation pass yet");
    for (int i = 0; i < 6; i++)
        cr_assert_eq(trainer_step(r.trainer, err, sizeof err), 0, "%s", err);
    cr_expect_eq(run_save_kind(&r), RUN_SAVE_BEST, "save = best once validated");
    const char *path = path_in_dir("best.safetensors");
    char sidecar[160];
    checkpoint_optim_path(path, sidecar, sizeof sidecar);
    FILE *f = fopen(sidecar, "w"); /* a stale sidecar of other weights */
    cr_assert_not_null(f);
    fclose(f);
    cr_assert_eq(run_save(&r, path, RUN_SAVE_BEST, err, sizeof err), 0, "%s", err);
    cr_expect_not(exists(sidecar), "the stale sidecar is removed");
    Checkpoint ck;
    cr_assert_eq(checkpoint_load(path, &ck, err, sizeof err), 0, "%s", err);
    const Model *best = trainer_best_model(r.trainer);
    cr_expect_eq(memcmp(ck.model->params, best->params, best->num_params * sizeof(float)), 0,
                 "the file holds the best weights");
    checkpoint_free(&ck);
    run_close(&r);
}

Test(run, evaluation_and_prediction_runs)
{
    const char *model = path_in_dir("m.safetensors");
    train_and_save(model);
    AppConfig cfg = app_config_default();
    Run r;
    char err[512];

    RunSpec predict = {.purpose = RUN_PREDICT, .checkpoint = model};
    cr_assert_eq(run_open(&r, &cfg, &predict, err, sizeof err), 0, "%s", err);
    cr_assert_not_null(r.model);
    cr_expect_null(r.trainer);
    cr_expect_null(r.train);
    cr_expect_null(r.val);
    cr_expect_eq(run_model(&r), r.model);
    cr_expect_eq(r.num_labels, r.model->cfg.num_classes);
    run_close(&r);

    RunSpec eval = {.purpose = RUN_EVAL, .checkpoint = model};
    cr_assert_eq(run_open(&r, &cfg, &eval, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(r.data_name, "embedded held-out data");
    cr_expect_eq(r.val_ids->n, 70);
    cr_expect_null(r.train);
    cr_expect_null(r.trainer);
    run_close(&r);

    const char *data = path_in_dir("eval.tsv");
    FILE *f = fopen(data, "w");
    cr_assert_not_null(f);
    fputs("label\tsentence\npositive\ta great film\nneutral\tan unknown class\n", f);
    fclose(f);
    snprintf(cfg.data.val_path, sizeof cfg.data.val_path, "%s", data);
    cr_assert_eq(run_open(&r, &cfg, &eval, err, sizeof err), 0, "%s", err);
    cr_expect_eq(r.val_ids->n, 1, "a label the model does not know is a bad line");
    cr_expect(strstr(r.note, "skipped 1 bad line") != NULL, "%s", r.note);
    cr_expect_str_eq(r.data_name, data);
    run_close(&r);

    eval.checkpoint = NULL;
    cr_expect_eq(run_open(&r, &cfg, &eval, err, sizeof err), -1, "evaluation needs a checkpoint");
    cr_expect(strstr(err, "checkpoint") != NULL, "%s", err);
}

Test(run, a_missing_file_is_named)
{
    AppConfig cfg = small_config();
    snprintf(cfg.data.train_path, sizeof cfg.data.train_path, "/nonexistent/train.tsv");
    RunSpec spec = {.purpose = RUN_TRAIN};
    Run r;
    char err[512];
    cr_expect_eq(run_open(&r, &cfg, &spec, err, sizeof err), -1);
    cr_expect(strstr(err, "/nonexistent/train.tsv") != NULL, "%s", err);
    spec.checkpoint = "/nonexistent/m.safetensors";
    cr_expect_eq(run_open(&r, &cfg, &spec, err, sizeof err), -1);
    cr_expect(strstr(err, "/nonexistent/m.safetensors") != NULL, "%s", err);
    run_close(&r); /* a no-op on a run that failed to open */
}

/* Issue 14: every data file of a run (training, validation, evaluation) is read
 * under [data] max_file_mb, which names itself when it refuses one. */
Test(run, every_data_file_obeys_the_size_cap)
{
    const char *big = path_in_dir("big.tsv"), *small = path_in_dir("small.tsv");
    FILE *f = fopen(big, "w");
    cr_assert_not_null(f);
    fputs("sentence\tlabel\n", f);
    for (int i = 0; i < 40000; i++) /* 40000 * 28 bytes: more than 1 MiB */
        fprintf(f, "%s\t%d\n", i % 2 ? "a good film, really good" : "a dull film, really dull", i % 2);
    fclose(f);
    f = fopen(small, "w");
    cr_assert_not_null(f);
    fputs("sentence\tlabel\ngood\t1\nbad\t0\nfine\t1\nawful\t0\n", f);
    fclose(f);
    const char *model = path_in_dir("m.safetensors");
    train_and_save(model);

    AppConfig cfg = small_config();
    cfg.data.max_file_mb = 1;
    char err[512], want[300];
    snprintf(want, sizeof want, "%s: ", big);
    const char *cap = "allowed by [data] max_file_mb = 1";
    Run r;
    RunSpec train = {.purpose = RUN_TRAIN};
    snprintf(cfg.data.train_path, sizeof cfg.data.train_path, "%s", big);
    cr_expect_eq(run_open(&r, &cfg, &train, err, sizeof err), -1, "training file");
    cr_expect(strncmp(err, want, strlen(want)) == 0 && strstr(err, cap), "%s", err);

    snprintf(cfg.data.train_path, sizeof cfg.data.train_path, "%s", small);
    snprintf(cfg.data.val_path, sizeof cfg.data.val_path, "%s", big);
    cr_expect_eq(run_open(&r, &cfg, &train, err, sizeof err), -1, "validation file");
    cr_expect(strncmp(err, want, strlen(want)) == 0 && strstr(err, cap), "%s", err);

    RunSpec eval = {.purpose = RUN_EVAL, .checkpoint = model};
    cr_expect_eq(run_open(&r, &cfg, &eval, err, sizeof err), -1, "evaluation file");
    cr_expect(strncmp(err, want, strlen(want)) == 0 && strstr(err, cap), "%s", err);

    cfg.data.max_file_mb = 2; /* the same file under a cap it fits */
    cr_expect_eq(run_open(&r, &cfg, &eval, err, sizeof err), 0, "%s", err);
    run_close(&r);
}

/* Issue 14: the sidecar of another save of the same path (a model file replaced
 * after its sidecar was written, or a pair torn by a kill) is refused on
 * --resume naming both files, and is not used without it. */
Test(run, a_sidecar_of_other_weights_is_not_resumed)
{
    const char *a = path_in_dir("a.safetensors"), *b = path_in_dir("b.safetensors");
    char sidecar_a[160], sidecar_b[160];
    checkpoint_optim_path(a, sidecar_a, sizeof sidecar_a);
    checkpoint_optim_path(b, sidecar_b, sizeof sidecar_b);
    train_and_save(a);
    AppConfig cfg = small_config();
    cfg.train.seed = 43; /* other weights, the same shapes */
    RunSpec spec = {.purpose = RUN_TRAIN};
    Run r;
    char err[512];
    cr_assert_eq(run_open(&r, &cfg, &spec, err, sizeof err), 0, "%s", err);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(trainer_step(r.trainer, err, sizeof err), 0, "%s", err);
    cr_assert_eq(run_save(&r, b, RUN_SAVE_CURRENT, err, sizeof err), 0, "%s", err);
    run_close(&r);
    cr_assert_eq(rename(sidecar_b, sidecar_a), 0);

    RunSpec resume = {.purpose = RUN_TRAIN, .checkpoint = a, .resume = true};
    cr_expect_eq(run_open(&r, &cfg, &resume, err, sizeof err), -1);
    cr_expect(strstr(err, sidecar_a) && strstr(err, a), "names both files: %s", err);
    RunSpec load = {.purpose = RUN_TRAIN, .checkpoint = a};
    cr_assert_eq(run_open(&r, &cfg, &load, err, sizeof err), 0, "%s", err);
    cr_expect_eq(trainer_progress(r.trainer)->step, 0, "a fresh optimizer");
    cr_expect_eq(trainer_optimizer(r.trainer)->step, 0);
    cr_expect(strstr(r.note, "optimizer state not restored") != NULL, "%s", r.note);
    run_close(&r);
}

/* Issue 14: weights that went non-finite are never saved, in either kind of
 * save, and the file already there is left as it was. */
Test(run, diverged_weights_are_not_saved)
{
    const char *path = path_in_dir("m.safetensors");
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("the previous file", f);
    fclose(f);
    AppConfig cfg = small_config();
    RunSpec spec = {.purpose = RUN_TRAIN};
    Run r;
    char err[512];
    cr_assert_eq(run_open(&r, &cfg, &spec, err, sizeof err), 0, "%s", err);
    cr_assert_eq(trainer_step(r.trainer, err, sizeof err), 0, "%s", err);
    trainer_train_model(r.trainer)->params[5] = INFINITY;
    for (int kind = RUN_SAVE_CURRENT; kind <= RUN_SAVE_BEST; kind++) {
        err[0] = '\0';
        cr_expect_eq(run_save(&r, path, (RunSaveKind)kind, err, sizeof err), -1);
        cr_expect(strstr(err, "not saved") && strstr(err, "diverged"), "%s", err);
    }
    char text[64] = "";
    f = fopen(path, "r");
    cr_assert_not_null(f);
    cr_expect_not_null(fgets(text, sizeof text, f));
    fclose(f);
    cr_expect_str_eq(text, "the previous file");
    char sidecar[160];
    checkpoint_optim_path(path, sidecar, sizeof sidecar);
    cr_expect_not(exists(sidecar));
    run_close(&r);
}
