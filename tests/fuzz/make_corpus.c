/* Writes the fuzzers' seed corpus: files as the program itself writes them
 * (checkpoints, optimizer sidecars, INI configs, BPE tokenizer files) or reads
 * them (TSV/CSV data files made from the embedded toy dataset), small, into
 * OUTDIR/<target>/seed-*. The committed copy is tests/fuzz/corpus/ (regenerate it
 * with `tools/fuzz.sh corpus`); the replay checks that every seed is accepted.
 *
 *   make_corpus OUTDIR */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "assets.h"
#include "bpe.h"
#include "checkpoint.h"
#include "config.h"
#include "dataset.h"

static const char *out_dir;

static void die(const char *msg)
{
    fprintf(stderr, "make_corpus: %s\n", msg);
    exit(1);
}

static void make_dir(const char *target)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", out_dir, target);
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST)
        die(strerror(errno));
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        die(strerror(errno));
}

static const char *seed_path(const char *target, const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s/seed-%s", out_dir, target, name);
    return path;
}

static void write_seed(const char *target, const char *name, const void *data, size_t len)
{
    char err[1024];
    if (atomic_write_file(seed_path(target, name), data, len, err, sizeof err) != 0)
        die(err);
}

/* ------------------------------------------------------------ models */

/* splitmix64 in [-0.5, 0.5): weights that depend on nothing but the index. */
static float weight(uint64_t i)
{
    uint64_t z = i * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)(int32_t)(uint32_t)(z >> 32) * 0x1p-32f;
}

static const char *const WORDS[] = {"<PAD>", "<UNK>", "bad", "boring", "fun", "good",
                                    "great", "movie", "not", "terrible", "café", "!"};

typedef struct {
    const char *name;
    ModelConfig cfg;
    TokenizerConfig tc;
    const char *labels[3];
} ModelSeed;

static Model *model_seed(const ModelSeed *s, uint64_t salt)
{
    char err[256];
    Rng rng;
    rng_seed(&rng, salt);
    Model *m = model_create(&s->cfg, &rng, err, sizeof err);
    if (!m)
        die(err);
    for (size_t i = 0; i < m->num_params; i++)
        m->params[i] = weight(salt * 1000003u + i);
    return m;
}

static ModelConfig small_config(int V, int C, int NH, int F, int L, int K, int T)
{
    ModelConfig c = model_config_default();
    c.vocab_size = V;
    c.d_model = C;
    c.num_heads = NH;
    c.d_ff = F;
    c.num_layers = L;
    c.num_classes = K;
    c.max_len = T;
    return c;
}

/* A checkpoint and its sidecar for each seed model. */
static void write_models(void)
{
    ModelSeed seeds[3] = {
        {"learned-tiny", small_config(10, 4, 2, 6, 1, 2, 8), {TOKENIZER_WORDS, true},
         {"negative", "positive"}},
        {"sinusoidal-d2", small_config(8, 2, 1, 3, 1, 2, 5), {TOKENIZER_WHITESPACE, false},
         {"0", "1"}},
        {"three-classes", small_config(12, 6, 3, 8, 2, 3, 6), {TOKENIZER_WORDS, false},
         {"négatif", "neutre", "positif"}},
    };
    seeds[0].cfg.pos_encoding = POS_ENCODING_LEARNED;
    seeds[1].cfg.layernorm = LAYERNORM_STANDARD;
    seeds[1].cfg.causal = true;
    seeds[1].cfg.pooling = POOLING_MAX;
    seeds[2].cfg.pos_encoding = POS_ENCODING_LEARNED;
    seeds[2].cfg.pad_mask = false;
    seeds[2].cfg.dropout = 0.3f;
    seeds[2].cfg.embedding_dropout = 0.5f;
    make_dir("checkpoint");
    make_dir("sidecar");
    for (int k = 0; k < 3; k++) {
        const ModelSeed *s = &seeds[k];
        Model *m = model_seed(s, (uint64_t)k + 1);
        char err[1024];
        Vocab *v = vocab_from_list(WORDS, s->cfg.vocab_size, err, sizeof err);
        if (!v)
            die(err);
        OptimConfig oc = optim_config_default();
        oc.kind = k == 2 ? OPTIM_ADAMW : OPTIM_ADAM;
        oc.weight_decay = k == 2 ? 0.01f : 0.0f;
        oc.clip_norm = k == 1 ? 1.0f : 0.0f;
        Optimizer opt;
        if (optimizer_init(&opt, &oc, m->num_params) != 0)
            die("out of memory");
        for (size_t i = 0; i < opt.n; i++) {
            opt.m[i] = 0.01f * weight(7 * i + 1);
            opt.v[i] = 1e-4f * weight(7 * i + 2) * weight(7 * i + 2);
        }
        opt.step = 5 + 1000 * k;
        char name[64];
        snprintf(name, sizeof name, "%s.safetensors", s->name);
        /* The first with the training info that `train --save` writes. */
        CheckpointInfo info = checkpoint_info_none();
        info.step = opt.step;
        info.total_steps = 100;
        info.val_step = opt.step;
        info.val_acc = 0.75f;
        info.val_loss = 0.5f;
        snprintf(info.data, sizeof info.data, "embedded dataset");
        if (checkpoint_save_with_optimizer(seed_path("checkpoint", name), m, &s->tc, v, s->labels,
                                           s->cfg.num_classes, k == 0 ? &info : NULL, &opt, err,
                                           sizeof err) != 0)
            die(err);
        /* The sidecar belongs in the sidecar target's corpus. */
        char from[1100], to[1100];
        snprintf(from, sizeof from, "%s.optim", seed_path("checkpoint", name));
        snprintf(to, sizeof to, "%s.optim", seed_path("sidecar", name));
        if (rename(from, to) != 0)
            die(strerror(errno));
        optimizer_free(&opt);
        vocab_free(v);
        model_free(m);
    }
}

/* Two models with BPE tokens (tokenizer = bpe: the merges in __metadata__ "bpe"):
 * a classifier (<PAD>, <UNK> in front) and a language model (<|endoftext|> too). */
static void write_bpe_models(void)
{
    static const char *const texts[] = {"the movie is not good", "the film is good fun",
                                        "caf\xC3\xA9 au lait, the good movie"};
    const size_t lens[] = {strlen(texts[0]), strlen(texts[1]), strlen(texts[2])};
    for (int k = 0; k < 2; k++) {
        char err[1024];
        TokenizerConfig tc = {TOKENIZER_BPE, k == 0};
        int specials = k == 0 ? 2 : 3;
        Vocab *v = vocab_learn_bpe(&tc, texts, lens, 3, BPE_NUM_BYTES + 6, specials, err,
                                   sizeof err);
        if (!v)
            die(err);
        ModelSeed seed = {k == 0 ? "bpe-classify" : "bpe-lm",
                          small_config(vocab_size(v), 4, 2, 6, 1, k == 0 ? 2 : 0, 8), tc,
                          {"negative", "positive"}};
        seed.cfg.pos_encoding = POS_ENCODING_LEARNED; /* no 5000-row buffer in a seed */
        if (k == 1) {
            seed.cfg.task = MODEL_TASK_LM;
            seed.cfg.norm = NORM_PRE;
            seed.cfg.causal = true;
        }
        Model *m = model_seed(&seed, 11u + (uint64_t)k);
        char name[64];
        snprintf(name, sizeof name, "%s.safetensors", seed.name);
        if (checkpoint_save(seed_path("checkpoint", name), m, &tc, v, seed.labels,
                            seed.cfg.num_classes, err, sizeof err) != 0)
            die(err);
        vocab_free(v);
        model_free(m);
    }
}

/* ------------------------------------------------------------ configs */

static void write_ini(const char *name, const AppConfig *cfg)
{
    size_t n = app_config_to_ini(cfg, NULL, 0);
    char *text = malloc(n + 1);
    if (!text)
        die("out of memory");
    app_config_to_ini(cfg, text, n + 1);
    write_seed("config", name, text, n);
    free(text);
}

static void write_configs(void)
{
    make_dir("config");
    write_seed("config", "default.ini", asset_default_ini, asset_default_ini_len);
    AppConfig c = app_config_default();
    write_ini("printed-default.ini", &c);
    static const char *const sets[][3] = {
        {"model", "d_model", "128"},         {"model", "pos_encoding", "learned"},
        {"model", "pooling", "max"},         {"train", "optimizer", "adamw"},
        {"train", "schedule", "warmup_cosine"}, {"train", "lr", "0.0007"},
        {"train", "seed", "18446744073709551615"}, {"data", "train", "data/train.tsv"},
        {"data", "tokenizer", "whitespace"}, {"data", "max_file_mb", "64"},
        {"ui", "lang", "fr"},                {"ui", "sentence", "un film génial"},
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        char err[512];
        if (app_config_set(&c, sets[i][0], sets[i][1], sets[i][2], err, sizeof err) != 0)
            die(err);
    }
    write_ini("printed-changed.ini", &c);
    static const char hand[] =
        "\xEF\xBB\xBF; a file as a person writes one\n[model]\nd_model = 32 ; inline comment\n"
        "  num_heads = 4\n\n# another comment\n[train]\nepochs=3\nlr = 1e-3\n[data]\n"
        "lowercase = no\n";
    write_seed("config", "by-hand.ini", hand, sizeof hand - 1);
}

/* ------------------------------------------------------------ data files */

/* A data seed: the mode byte fuzz_dataset.c reads, then the file. */
static void write_data(const char *name, unsigned mode, const char *text, size_t len)
{
    char *bytes = malloc(len + 1);
    if (!bytes)
        die("out of memory");
    bytes[0] = (char)mode;
    memcpy(bytes + 1, text, len);
    write_seed("dataset", name, bytes, len + 1);
    free(bytes);
}

static void write_datasets(void)
{
    make_dir("dataset");
    /* The first 40 lines of the embedded toy dataset, as TSV. */
    const char *toy = (const char *)asset_toy_train;
    const char *end = toy;
    for (int lines = 0; lines < 40 && end; lines++)
        end = strchr(end, '\n') ? strchr(end, '\n') + 1 : NULL;
    write_data("toy.tsv", 0, toy, end ? (size_t)(end - toy) : asset_toy_train_len);
    static const char csv[] =
        "text,label\r\n\"a film, \"\"great\"\"\",positive\r\n\"two\nlines\",negative\r\n"
        "plain words,positive\r\ncafé crème,negative\r\n";
    write_data("quoted.csv", 1 | 4, csv, sizeof csv - 1);
    static const char ints[] = "label\tsentence\textra\n0\tbad film\tx\n1\tgood film\ty\n"
                               "2\tso-so film\tz\n1\tDon't miss it!\t\n";
    write_data("integer-labels.tsv", 2, ints, sizeof ints - 1);
    static const char given[] = "review\tsentiment\nfine\tneutral\ngreat\tpositive\n"
                                "awful\tnegative\n\nlong   spaced\t positive \n";
    write_data("given-classes.tsv", 8 | 16, given, sizeof given - 1);
}

/* ------------------------------------------------------------ tokenizers */

static void write_tokenizers(void)
{
    make_dir("bpe");
    Dataset *d = dataset_embedded_train();
    if (!d)
        die("out of memory");
    const char **texts = malloc((size_t)d->n * sizeof *texts);
    size_t *lens = malloc((size_t)d->n * sizeof *lens);
    if (!texts || !lens)
        die("out of memory");
    for (int i = 0; i < d->n; i++) {
        texts[i] = d->text[i];
        lens[i] = strlen(d->text[i]);
    }
    static const char sample[] = "the movie is great, isn't it? 42 caf\xc3\xa9s\n\t  \xff!";
    const int merges[] = {0, 40, 200};
    for (int k = 0; k < 3; k++) {
        char err[512], name[64];
        Bpe *bpe = bpe_learn(texts, lens, (size_t)d->n, merges[k], BPE_SPLIT_GPT2_LIKE, err,
                             sizeof err);
        char *json = bpe ? bpe_to_json(bpe) : NULL;
        if (!json)
            die(bpe ? "out of memory" : err);
        size_t n = strlen(json);
        char *bytes = malloc(n + 1 + sizeof sample);
        if (!bytes)
            die("out of memory");
        memcpy(bytes, json, n);
        bytes[n] = '\0'; /* the tokenizer file, then the text */
        memcpy(bytes + n + 1, sample, sizeof sample - 1);
        snprintf(name, sizeof name, "%d-merges.tokenizer", merges[k]);
        write_seed("bpe", name, bytes, n + sizeof sample);
        free(bytes);
        free(json);
        bpe_free(bpe);
    }
    free(texts);
    free(lens);
    dataset_free(d);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus OUTDIR\n");
        return 2;
    }
    out_dir = argv[1];
    write_models();
    write_bpe_models();
    write_configs();
    write_datasets();
    write_tokenizers();
    return 0;
}
