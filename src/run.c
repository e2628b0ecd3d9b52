/* The run set-up shared by the commands and the TUI: see run.h. */
#include "run.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpe.h"
#include "checkpoint_meta.h" /* values_check */
#include "errors.h"

/* A sidecar path: the model's path and ".optim". */
#define RUN_SIDECAR_PATH_MAX (PATH_MAX + 8)

/* Adds one event to the note, "; " between events. */
static void note_add(Run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_add(Run *r, const char *fmt, ...)
{
    size_t len = strlen(r->note);
    if (len > 0 && len + 2 < sizeof r->note) {
        memcpy(r->note + len, "; ", 3);
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->note + len, sizeof r->note - len, fmt, ap);
    va_end(ap);
}

static void note_skipped(Run *r, const char *path, int skipped)
{
    if (skipped > 0)
        note_add(r, "%.200s: skipped %d bad line%s", path, skipped, skipped == 1 ? "" : "s");
}

/* Whether key i of the config table is one a checkpoint decides: its model and
 * tokenizer, and its class names. */
static bool checkpoint_key(const ConfigKeyInfo *k)
{
    if (strcmp(k->section, "model") == 0)
        return true;
    return strcmp(k->section, "data") == 0 &&
           (strcmp(k->name, "tokenizer") == 0 || strcmp(k->name, "lowercase") == 0 ||
            strcmp(k->name, "label_names") == 0);
}

/* The keys the user gave (in a file, with --set, or away from the built-in
 * default) another value than the checkpoint's: the checkpoint wins, and the
 * note names them. */
static void note_overridden(Run *r, const AppConfig *user)
{
    const AppConfig builtin = app_config_default();
    char list[400] = "";
    for (int i = 0; i < app_config_num_keys(); i++) {
        const ConfigKeyInfo *k = app_config_key(i);
        char mine[256], theirs[256], def[256];
        if (!checkpoint_key(k))
            continue;
        app_config_get(user, k->section, k->name, mine, sizeof mine);
        app_config_get(&r->cfg, k->section, k->name, theirs, sizeof theirs);
        app_config_get(&builtin, k->section, k->name, def, sizeof def);
        bool given = app_config_is_set(user, k->section, k->name) || strcmp(mine, def) != 0;
        if (!given || strcmp(mine, theirs) == 0)
            continue;
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s.%s=%.40s (checkpoint: %.40s)",
                 used ? ", " : "", k->section, k->name, mine, theirs);
    }
    if (list[0])
        note_add(r, "ignored, the checkpoint decides: %s", list);
}

/* The model, tokenizer, vocabulary, class names and training figures of a
 * saved run; r->cfg takes the checkpoint's model, tokenizer and class names. */
static int load_checkpoint(Run *r, const char *path, char *err, size_t err_len)
{
    if (checkpoint_load(path, &r->checkpoint, err, err_len) != 0)
        return -1;
    AppConfig user = r->cfg;
    r->cfg.model = r->checkpoint.model->cfg;
    r->cfg.data.tokenizer = r->checkpoint.tokenizer;
    r->model = r->checkpoint.model;
    r->vocab = r->checkpoint.vocab;
    r->labels = (const char *const *)r->checkpoint.labels;
    r->num_labels = r->checkpoint.num_labels;
    r->info = r->checkpoint.info;
    char *names = r->cfg.data.label_names;
    size_t size = sizeof r->cfg.data.label_names;
    names[0] = '\0';
    for (int k = 0; k < r->num_labels; k++) {
        size_t used = strlen(names);
        snprintf(names + used, size - used, "%s%s", k ? "," : "", r->labels[k]);
    }
    note_overridden(r, &user);
    return 0;
}

/* [data] label_names as the classes of a fresh run (none: the file's own). */
static int configured_labels(Run *r, const char *const **names, int *num_names, char *err,
                             size_t err_len)
{
    _Static_assert(CONFIG_MAX_LABEL_NAMES <= DATASET_MAX_CLASSES, "label_names fit the dataset");
    char why[128];
    int n = app_config_label_names(r->cfg.data.label_names, r->label_store, sizeof r->label_store,
                                   r->label_list, CONFIG_MAX_LABEL_NAMES, why, sizeof why);
    if (n < 0)
        return errorf(err, err_len, "data.label_names: %s", why);
    *names = n > 0 ? r->label_list : NULL;
    *num_names = n;
    return 0;
}

/* A data file by the [data] rules: classes from names (NULL: the file's own),
 * at most [data] max_file_mb MiB. */
static Dataset *load_data_file(const Run *r, const char *path, const char *const *names,
                               int num_names, FILE *log, char *err, size_t err_len)
{
    const DatasetOptions opt = {.label_names = names, .n_names = num_names, .log = log,
                                .max_file_mb = r->cfg.data.max_file_mb};
    return dataset_load_with(path, &opt, err, err_len);
}

/* Classes named "0", "1", ...: the file's labels are numbers and nothing names them. */
static void note_numbered_classes(Run *r, const Dataset *d)
{
    for (int k = 0; k < d->num_classes; k++) {
        char number[16];
        snprintf(number, sizeof number, "%d", k);
        if (strcmp(d->label_names[k], number) != 0)
            return;
    }
    note_add(r, "classes are the file's numbers 0..%d: [data] label_names names them "
             "(--set data.label_names=negative,positive)", d->num_classes - 1);
}

/* Training and validation sets by the [data] rules: the train file or the
 * embedded dataset; validation from the val file, the embedded held-out part
 * (with the embedded dataset), or a deterministic split of the train file
 * (val_fraction > 0; else none). Classes: the checkpoint's when there is one,
 * else the train file's. */
static int load_training_sets(Run *r, FILE *log, char *err, size_t err_len)
{
    const DataConfig *dc = &r->cfg.data;
    const char *const *names = r->labels;
    int num_names = r->num_labels;
    if (!names && configured_labels(r, &names, &num_names, err, err_len) != 0)
        return -1;
    snprintf(r->data_name, sizeof r->data_name, "%s",
             dc->train_path[0] ? dc->train_path : "embedded dataset");
    if (dc->train_path[0]) {
        r->train = load_data_file(r, dc->train_path, names, num_names, log, err, err_len);
        if (!r->train)
            return -1;
        note_skipped(r, dc->train_path, r->train->skipped);
        if (!names)
            note_numbered_classes(r, r->train);
    } else if (!(r->train = dataset_embedded_train())) {
        return errorf(err, err_len, "out of memory (embedded dataset)");
    }
    if (!names) {
        names = DATASET_LABEL_NAMES(r->train);
        num_names = r->train->num_classes;
    }
    if (dc->val_path[0]) {
        r->val = load_data_file(r, dc->val_path, names, num_names, log, err, err_len);
        if (!r->val)
            return -1;
        note_skipped(r, dc->val_path, r->val->skipped);
    } else if (!dc->train_path[0]) {
        if (!(r->val = dataset_embedded_heldout()))
            return errorf(err, err_len, "out of memory (embedded held-out dataset)");
    } else if (dc->val_fraction > 0) {
        Dataset *all = r->train;
        dataset_split(all, dc->val_fraction, r->cfg.train.seed, &r->train, &r->val);
        dataset_free(all);
        if (!r->train || r->train->n == 0)
            return errorf(err, err_len, "%.900s: no training sentence left after the validation "
                          "split (val_fraction %g)", dc->train_path, (double)dc->val_fraction);
    }
    return 0;
}

/* The sentences to evaluate, with the checkpoint's classes: the val file, else
 * the embedded held-out part. */
static int load_eval_set(Run *r, FILE *log, char *err, size_t err_len)
{
    const char *path = r->cfg.data.val_path;
    if (path[0]) {
        snprintf(r->data_name, sizeof r->data_name, "%s", path);
        r->val = load_data_file(r, path, r->labels, r->num_labels, log, err, err_len);
        if (!r->val)
            return -1;
        note_skipped(r, path, r->val->skipped);
        return 0;
    }
    snprintf(r->data_name, sizeof r->data_name, "embedded held-out data");
    r->val = dataset_embedded_heldout();
    if (!r->val || r->val->num_classes > r->num_labels)
        return errorf(err, err_len, "the embedded held-out sentences have %d classes, the model %d",
                      r->val ? r->val->num_classes : 0, r->num_labels);
    return 0;
}

/* The note when BPE learning stopped before [data] vocab_size (no pair repeats). */
static void note_bpe_size(Run *r, const Vocab *v)
{
    int got = bpe_vocab_size(vocab_bpe(v)), asked = r->cfg.data.vocab_size;
    if (got < asked)
        note_add(r, "BPE: %d ids learned, not data.vocab_size = %d (no pair of tokens repeats "
                 "any more in the training text)", got, asked);
}

/* A BPE vocabulary learned from the training sentences, <PAD> and <UNK> in front. */
static int learn_bpe(Run *r, char *err, size_t err_len)
{
    const Dataset *d = r->train;
    size_t *lens = malloc(((size_t)d->n + 1) * sizeof *lens);
    if (!lens)
        return errorf(err, err_len, "out of memory learning the BPE merges");
    for (int i = 0; i < d->n; i++)
        lens[i] = strlen(d->text[i]);
    char why[512];
    r->built_vocab = vocab_learn_bpe(&r->cfg.data.tokenizer, (const char *const *)d->text, lens,
                                     (size_t)d->n, r->cfg.data.vocab_size, 2, why, sizeof why);
    free(lens);
    if (!r->built_vocab)
        return errorf(err, err_len, "%.900s: %s", r->data_name, why);
    note_bpe_size(r, r->built_vocab);
    return 0;
}

/* A fresh run's vocabulary and classes, from the training sentences. */
static int build_vocab(Run *r, char *err, size_t err_len)
{
    const DataConfig *dc = &r->cfg.data;
    if (dc->tokenizer.kind == TOKENIZER_BPE) {
        if (learn_bpe(r, err, err_len) != 0)
            return -1;
    } else if (!(r->built_vocab = vocab_from_dataset(r->train, &dc->tokenizer, dc->min_freq,
                                                     dc->max_vocab))) {
        return errorf(err, err_len, "could not build the vocabulary (out of memory)");
    }
    r->vocab = r->built_vocab;
    r->labels = DATASET_LABEL_NAMES(r->train);
    r->num_labels = r->train->num_classes;
    r->cfg.model.vocab_size = vocab_size(r->vocab);
    r->cfg.model.num_classes = r->num_labels;
    return 0;
}

static int encode_sets(Run *r, char *err, size_t err_len)
{
    const TokenizerConfig *tc = &r->cfg.data.tokenizer;
    int max_len = r->cfg.model.max_len;
    if (r->train && !(r->train_ids = dataset_encode(r->train, tc, r->vocab, max_len)))
        return errorf(err, err_len, "out of memory encoding the data");
    if (r->val && r->val->n > 0 && !(r->val_ids = dataset_encode(r->val, tc, r->vocab, max_len)))
        return errorf(err, err_len, "out of memory encoding the data");
    return 0;
}

/* The checkpoint's optimizer state and step (see RunSpec: required on resume,
 * else used when it is there). The sidecar must belong to the model file just
 * loaded: its hash is that of the bytes read then (no second read, no race with
 * a save in between). */
static int restore_optimizer(Run *r, const char *path, bool required, char *err, size_t err_len)
{
    char sidecar[RUN_SIDECAR_PATH_MAX], why[512];
    checkpoint_optim_path(path, sidecar, sizeof sidecar);
    if (!required && access(sidecar, R_OK) != 0) {
        note_add(r, "loaded %.200s (fresh optimizer)", path);
        return 0;
    }
    Optimizer *opt = trainer_optimizer(r->trainer);
    const OptimConfig configured = opt->cfg;
    if (optimizer_state_load_matching(sidecar, opt, path, r->checkpoint.file_hash, why,
                                      sizeof why) != 0) {
        if (required)
            return errorf(err, err_len, "%s", why);
        note_add(r, "optimizer state not restored: %.200s", why);
        return 0;
    }
    if (trainer_set_step(r->trainer, opt->step, why, sizeof why) != 0) {
        if (required)
            return errorf(err, err_len, "%s: %s (same data and batch size as the saved run?)",
                          sidecar, why);
        opt->cfg = configured; /* a fresh optimizer, as configured */
        optimizer_reset(opt);
        note_add(r, "optimizer state not restored: %.200s", why);
        return 0;
    }
    note_add(r, "resumed %.200s at step %ld", path, trainer_progress(r->trainer)->step);
    return 0;
}

static int open_trainer(Run *r, const RunSpec *spec, char *err, size_t err_len)
{
    Model *model = r->checkpoint.model; /* NULL: fresh weights */
    r->checkpoint.model = r->model = NULL; /* the trainer owns it now, also on failure */
    r->trainer = trainer_create(&r->cfg, model, r->train_ids, r->val_ids, err, err_len);
    if (!r->trainer)
        return -1;
    if (!spec->checkpoint)
        return 0;
    return restore_optimizer(r, spec->checkpoint, spec->resume, err, err_len);
}

/* A language model's run: its text, vocabulary and trainer (see LmData). */
static int open_lm_parts(Run *r, const RunSpec *spec, char *err, size_t err_len)
{
    if (spec->purpose == RUN_PREDICT)
        return 0;
    if (!(r->lm = calloc(1, sizeof *r->lm)))
        return errorf(err, err_len, "out of memory");
    const DataConfig *dc = &r->cfg.data;
    if (spec->purpose == RUN_EVAL) {
        if (lm_data_open_eval(r->lm, dc, r->cfg.train.seed, r->vocab, spec->log, err, err_len) != 0)
            return -1;
        snprintf(r->data_name, sizeof r->data_name, "%.1000s", r->lm->val_name);
        note_skipped(r, r->lm->val_name, r->lm->skipped);
        return 0;
    }
    if (lm_data_open_train(r->lm, dc, r->cfg.train.seed, r->vocab, r->cfg.model.max_len + 1,
                           spec->log, err, err_len) != 0)
        return -1;
    snprintf(r->data_name, sizeof r->data_name, "%s", r->lm->train_name);
    note_skipped(r, r->lm->train_name, r->lm->skipped);
    if (!spec->checkpoint) {
        r->vocab = r->lm->vocab;
        if (vocab_bpe(r->vocab))
            note_bpe_size(r, r->vocab);
        r->cfg.model.vocab_size = vocab_size(r->vocab);
        r->cfg.model.num_classes = 0;
    }
    Model *model = r->checkpoint.model; /* NULL: fresh weights */
    r->checkpoint.model = r->model = NULL; /* the trainer owns it now, also on failure */
    if (!(r->trainer = trainer_create_lm(&r->cfg, model, r->lm, err, err_len)))
        return -1;
    return spec->checkpoint ? restore_optimizer(r, spec->checkpoint, spec->resume, err, err_len) : 0;
}

static int open_parts(Run *r, const RunSpec *spec, char *err, size_t err_len)
{
    if (!spec->checkpoint && (spec->purpose != RUN_TRAIN || spec->resume))
        return errorf(err, err_len, "no checkpoint given (a saved model is needed here)");
    if (spec->checkpoint && load_checkpoint(r, spec->checkpoint, err, err_len) != 0)
        return -1;
    if (r->cfg.model.task == MODEL_TASK_LM)
        return open_lm_parts(r, spec, err, err_len);
    switch (spec->purpose) {
    case RUN_PREDICT:
        return 0;
    case RUN_EVAL:
        if (load_eval_set(r, spec->log, err, err_len) != 0)
            return -1;
        return encode_sets(r, err, err_len);
    case RUN_TRAIN:
        break;
    }
    if (load_training_sets(r, spec->log, err, err_len) != 0)
        return -1;
    if (!spec->checkpoint && build_vocab(r, err, err_len) != 0)
        return -1;
    if (encode_sets(r, err, err_len) != 0)
        return -1;
    return open_trainer(r, spec, err, err_len);
}

int run_open(Run *r, const AppConfig *cfg, const RunSpec *spec, char *err, size_t err_len)
{
    memset(r, 0, sizeof *r);
    r->cfg = *cfg;
    r->info = checkpoint_info_none();
    if (open_parts(r, spec, err, err_len) == 0)
        return 0;
    run_close(r);
    return -1;
}

void run_close(Run *r)
{
    trainer_free(r->trainer);
    encoded_dataset_free(r->train_ids);
    encoded_dataset_free(r->val_ids);
    dataset_free(r->train);
    dataset_free(r->val);
    vocab_free(r->built_vocab);
    if (r->lm)
        lm_data_close(r->lm);
    free(r->lm);
    checkpoint_free(&r->checkpoint);
    memset(r, 0, sizeof *r);
}

const Model *run_model(const Run *r)
{
    return r->trainer ? trainer_model(r->trainer) : r->model;
}

RunSaveKind run_save_kind(const Run *r)
{
    bool validated = r->trainer && trainer_progress(r->trainer)->best_step >= 0;
    return r->cfg.train.save == TRAIN_SAVE_BEST && validated ? RUN_SAVE_BEST : RUN_SAVE_CURRENT;
}

CheckpointInfo run_save_info(const Run *r, RunSaveKind kind)
{
    CheckpointInfo info = checkpoint_info_none();
    if (!r->trainer)
        return info;
    const TrainProgress *p = trainer_progress(r->trainer);
    bool best = kind == RUN_SAVE_BEST && p->best_step >= 0;
    info.step = best ? p->best_step : p->step;
    info.total_steps = p->total_steps;
    if (best) {
        info.val_step = p->best_step;
        info.val_acc = p->best_val_acc;
        /* the loss of the best pass is known only while it is the last one */
        info.val_loss = p->val_step == p->best_step ? p->val_loss : NAN;
    } else if (p->has_val && p->val_step >= 0) {
        info.val_step = p->val_step;
        info.val_acc = p->val_acc;
        info.val_loss = p->val_loss;
    }
    snprintf(info.data, sizeof info.data, "%s", r->data_name);
    return info;
}

/* Weights that went NaN or infinite are a training run that diverged: said so,
 * in those words, before checkpoint_save refuses them with its own message. */
static int check_weights_finite(const char *path, const Model *m, char *err, size_t err_len)
{
    char why[512];
    for (int i = 0; i < m->num_views; i++)
        if (values_check(m->params + m->views[i].offset, m->views[i].numel, false, path,
                         m->views[i].name, "", why, sizeof why) != 0)
            return errorf(err, err_len, "not saved: the weights are not finite, the training "
                          "diverged (%s); the previous file, if any, is unchanged", why);
    return 0;
}

int run_save(Run *r, const char *path, RunSaveKind kind, char *err, size_t err_len)
{
    if (!r->trainer)
        return errorf(err, err_len, "%s: nothing to save (no training run)", path);
    const Model *m = kind == RUN_SAVE_BEST ? trainer_best_model(r->trainer) : run_model(r);
    if (check_weights_finite(path, m, err, err_len) != 0)
        return -1;
    CheckpointInfo info = run_save_info(r, kind);
    if (kind == RUN_SAVE_CURRENT)
        return checkpoint_save_with_optimizer(path, m, &r->cfg.data.tokenizer, r->vocab, r->labels,
                                              r->num_labels, &info, trainer_optimizer(r->trainer),
                                              err, err_len);
    if (checkpoint_save_info(path, m, &r->cfg.data.tokenizer, r->vocab, r->labels, r->num_labels,
                             &info, err, err_len) != 0)
        return -1;
    char sidecar[RUN_SIDECAR_PATH_MAX];
    checkpoint_optim_path(path, sidecar, sizeof sidecar);
    remove(sidecar); /* it belongs to other weights */
    return 0;
}
