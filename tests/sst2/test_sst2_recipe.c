/* The SST-2 recipe: assets/sst2.ini loads and says what the README says it does, and a
 * few hundred steps of a tiny model derived from it, on about 3,000 training phrases,
 * lower the loss on the SST-2 dev set. Needs $MINILLM_SOURCE_ROOT/../shared/data/sst2;
 * skips with a message without it. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dataset.h"
#include "trainer.h"

static void source_path(char *out, size_t len, const char *rel)
{
    const char *root = getenv("MINILLM_SOURCE_ROOT");
    snprintf(out, len, "%s/%s", root ? root : ".", rel);
}

static AppConfig load_recipe(void)
{
    char path[2048], err[1024];
    source_path(path, sizeof path, "assets/sst2.ini");
    AppConfig cfg = app_config_default();
    cr_assert_eq(app_config_load(&cfg, path, err, sizeof err), 0, "%s", err);
    cr_assert_eq(app_config_validate(&cfg, err, sizeof err), 0, "%s", err);
    return cfg;
}

Test(recipe, loads_and_holds_the_ingredients)
{
    AppConfig cfg = load_recipe();
    /* The ingredients the README credits; a change here is a change of the recipe. */
    cr_expect_eq(cfg.train.save, TRAIN_SAVE_BEST, "--save must write the best model by dev accuracy");
    cr_expect_eq(cfg.train.optim.kind, OPTIM_ADAMW);
    cr_expect_eq(cfg.train.schedule, LR_WARMUP_COSINE);
    cr_expect(cfg.train.embedding_init_std < 0.5f, "small initial embeddings (got %g)",
              (double)cfg.train.embedding_init_std);
    cr_expect(cfg.train.word_dropout > 0, "word dropout on");
    cr_expect(cfg.train.optim.weight_decay > 0, "weight decay on");
    cr_expect(cfg.train.ema_decay > 0, "EMA on");
    cr_expect_eq(cfg.data.tokenizer.kind, TOKENIZER_WHITESPACE, "SST-2 is tokenised already");
    cr_expect_eq(cfg.model.layernorm, LAYERNORM_WORKSHOP, "checkpoints load in the notebook");
    cr_expect_eq(cfg.data.train_path[0], '\0', "the data comes from --data, not the recipe");
    cr_expect_str_eq(cfg.data.label_names, "negative,positive", "SST-2's 0 and 1 named");
}

static Dataset *load_or_skip(const char *name)
{
    char path[2048], err[1024];
    snprintf(path, sizeof path, "../shared/data/sst2/%s", name);
    char full[2300];
    source_path(full, sizeof full, path);
    FILE *f = fopen(full, "rb");
    if (!f)
        cr_skip_test("%s is absent: SST-2 recipe training test skipped (GLUE's SST-2 TSV files)", full);
    fclose(f);
    Dataset *d = dataset_load(full, NULL, 0, NULL, err, sizeof err);
    cr_assert_not_null(d, "%s", err);
    return d;
}

Test(recipe, a_tiny_model_from_it_learns_on_a_subset)
{
    AppConfig cfg = load_recipe();
    Dataset *all = load_or_skip("train.tsv");
    Dataset *dev = load_or_skip("dev.tsv");
    cr_assert_eq(all->n, 67349);
    cr_assert_eq(dev->n, 872);
    /* About 3,000 training phrases: a 4.5 % split of the training file. */
    Dataset *subset = NULL, *rest = NULL;
    dataset_split(all, 0.955, cfg.train.seed, &subset, &rest);
    cr_assert(subset && subset->n > 2500 && subset->n < 3500, "subset of %d", subset ? subset->n : -1);

    /* The recipe, shrunk: same optimizer, schedule and regularisation, a tiny model. */
    cfg.model.d_model = 32;
    cfg.model.d_ff = 64;
    cfg.model.num_layers = 1;
    cfg.train.epochs = 5;
    cfg.train.batch_size = 32;
    cfg.train.optim.lr = 3e-3f; /* a few hundred steps instead of two thousand */
    cfg.train.eval_every = 0;
    cfg.train.threads = 1;
    cfg.train.embedding_init_std = 1.0f / sqrtf(32.0f);
    char err[1024];
    cr_assert_eq(app_config_validate(&cfg, err, sizeof err), 0, "%s", err);

    Vocab *vocab = vocab_from_dataset(subset, &cfg.data.tokenizer, cfg.data.min_freq, cfg.data.max_vocab);
    cr_assert_not_null(vocab);
    cfg.model.vocab_size = vocab_size(vocab);
    cfg.model.num_classes = subset->num_classes;
    EncodedDataset *etrain = dataset_encode(subset, &cfg.data.tokenizer, vocab, cfg.model.max_len);
    EncodedDataset *edev = dataset_encode(dev, &cfg.data.tokenizer, vocab, cfg.model.max_len);
    cr_assert(etrain && edev);
    Trainer *t = trainer_create(&cfg, NULL, etrain, edev, err, sizeof err);
    cr_assert_not_null(t, "%s", err);

    float loss0, acc0, loss1, acc1;
    cr_assert_eq(trainer_evaluate(t, edev, &loss0, &acc0), 0);
    int rc;
    while ((rc = trainer_step(t, err, sizeof err)) == 0) {
    }
    cr_assert_eq(rc, 1, "%s", err);
    const TrainProgress *p = trainer_progress(t);
    cr_expect(p->step >= 200 && p->step <= 600, "a few hundred steps (%ld)", p->step);
    cr_assert_eq(trainer_evaluate(t, edev, &loss1, &acc1), 0);
    /* An untrained classifier sits near ln 2 = 0.693; a few epochs on 3,000 phrases bring
     * the dev loss well under it and the accuracy above chance. */
    cr_log_info("dev loss %.4f -> %.4f, accuracy %.3f -> %.3f", (double)loss0, (double)loss1, (double)acc0, (double)acc1);
    cr_expect(loss1 < loss0 - 0.05f, "dev loss %.4f -> %.4f", (double)loss0, (double)loss1);
    cr_expect(acc1 > 0.60f, "dev accuracy %.3f", (double)acc1);
    cr_expect(p->best_step >= 0 && p->best_val_acc >= p->val_acc, "best %.3f at step %ld, last %.3f",
              (double)p->best_val_acc, p->best_step, (double)p->val_acc);

    trainer_free(t);
    encoded_dataset_free(etrain);
    encoded_dataset_free(edev);
    vocab_free(vocab);
    dataset_free(subset);
    dataset_free(rest);
    dataset_free(all);
    dataset_free(dev);
}
