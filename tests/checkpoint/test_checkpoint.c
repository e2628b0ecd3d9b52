/* Model checkpoints: round trip, every corrupt case with its message, atomic
 * writes, the optimizer sidecar, and both PyTorch interop fixtures
 * (tests/fixtures/interop_*, made by tools/make_interop.py). */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "checkpoint.h"
#include "safetensors.h"
#include "spelling.h"

#ifndef SOURCE_ROOT
#define SOURCE_ROOT "."
#endif

/* ------------------------------------------------------------ helpers */

static char tmp_dir[64];

static void make_tmp_dir(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/minillm-ckpt-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp_dir));
}

static void remove_tmp_dir(void)
{
    DIR *d = opendir(tmp_dir);
    if (!d)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", tmp_dir, e->d_name);
        if (rmdir(path) != 0)
            unlink(path);
    }
    closedir(d);
    rmdir(tmp_dir);
}

TestSuite(checkpoint, .init = make_tmp_dir, .fini = remove_tmp_dir);

static const char *in_tmp(const char *name)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 512, "%s/%s", tmp_dir, name);
    return p;
}

static int count_dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static const char *source_root(void)
{
    const char *root = getenv("MINILLM_SOURCE_ROOT");
    return root && *root ? root : SOURCE_ROOT;
}

static const char *fixture(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/%s", source_root(), name);
    return path;
}

/* splitmix64: values that depend on nothing but the index (no libm, no RNG
 * implementation), so a saved file is the same bytes on every machine. */
static float hash_uniform(uint64_t i)
{
    uint64_t z = i * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)(int32_t)(uint32_t)(z >> 32) * 0x1p-31f; /* [-1, 1) */
}

static void fill_params(Model *m, uint64_t salt)
{
    for (int i = 0; i < m->num_views; i++) {
        const ParamView *v = &m->views[i];
        bool gamma = strstr(v->name, ".gamma") != NULL;
        for (size_t j = 0; j < v->numel; j++) {
            float u = hash_uniform(salt + v->offset + j);
            m->params[v->offset + j] = gamma ? 1.0f + 0.3f * u : 0.8f * u;
        }
    }
}

static const char *const WORDS[] = {"<PAD>", "<UNK>", "bad", "boring", "fun", "good",
                                    "great", "movie", "not", "terrible"};

typedef struct {
    Model *model;
    Vocab *vocab;
    TokenizerConfig tc;
    const char *labels[3];
    int num_labels;
} Fixture;

static ModelConfig tiny_config(void)
{
    ModelConfig c = model_config_default();
    c.vocab_size = 10;
    c.d_model = 4;
    c.num_heads = 2;
    c.d_ff = 6;
    c.num_layers = 1;
    c.num_classes = 2;
    c.max_len = 8;
    c.dropout = 0.25f;
    c.embedding_dropout = -1.0f;
    c.layernorm = LAYERNORM_STANDARD;
    c.pos_encoding = POS_ENCODING_SINUSOIDAL;
    c.pad_mask = true;
    c.causal = false;
    return c;
}

static Fixture fixture_make(const ModelConfig *cfg, uint64_t salt)
{
    Fixture f = {0};
    char err[256] = "";
    Rng rng;
    rng_seed(&rng, 7);
    f.model = model_create(cfg, &rng, err, sizeof err);
    cr_assert_not_null(f.model, "%s", err);
    fill_params(f.model, salt);
    cr_assert_leq(cfg->vocab_size, 10);
    f.vocab = vocab_from_list(WORDS, cfg->vocab_size, err, sizeof err);
    cr_assert_not_null(f.vocab, "%s", err);
    f.tc = (TokenizerConfig){.kind = TOKENIZER_WORDS, .lowercase = false};
    static const char *const names[] = {"negative", "positive", "so-so \"meh\""};
    f.num_labels = cfg->num_classes;
    for (int i = 0; i < cfg->num_classes && i < 3; i++)
        f.labels[i] = names[i];
    return f;
}

static void fixture_free(Fixture *f)
{
    model_free(f->model);
    vocab_free(f->vocab);
}

static void fixture_save(const Fixture *f, const char *path)
{
    char err[512] = "";
    cr_assert_eq(checkpoint_save(path, f->model, &f->tc, f->vocab, f->labels, f->num_labels, err,
                                 sizeof err), 0, "%s", err);
}

static void expect_load_error(const char *path, const char *expect)
{
    Checkpoint c;
    char err[512] = "";
    cr_expect_eq(checkpoint_load(path, &c, err, sizeof err), -1, "loaded despite: %s", expect);
    cr_expect_not_null(strstr(err, expect), "message '%s' lacks '%s'", err, expect);
    cr_expect_eq(strncmp(err, path, strlen(path)), 0, "message '%s' does not name the file", err);
    cr_expect_null(c.model);
}

static void expect_same_model(const Model *a, const Model *b)
{
    cr_assert_eq(a->num_params, b->num_params);
    cr_expect_eq(memcmp(a->params, b->params, a->num_params * sizeof(float)), 0,
                 "parameters differ bitwise");
    cr_expect_eq(a->cfg.vocab_size, b->cfg.vocab_size);
    cr_expect_eq(a->cfg.d_model, b->cfg.d_model);
    cr_expect_eq(a->cfg.num_heads, b->cfg.num_heads);
    cr_expect_eq(a->cfg.d_ff, b->cfg.d_ff);
    cr_expect_eq(a->cfg.num_layers, b->cfg.num_layers);
    cr_expect_eq(a->cfg.num_classes, b->cfg.num_classes);
    cr_expect_eq(a->cfg.max_len, b->cfg.max_len);
    cr_expect_eq(a->cfg.dropout, b->cfg.dropout);
    cr_expect_eq(a->cfg.embedding_dropout, b->cfg.embedding_dropout);
    cr_expect_eq(a->cfg.layernorm, b->cfg.layernorm);
    cr_expect_eq(a->cfg.pos_encoding, b->cfg.pos_encoding);
    cr_expect_eq(a->cfg.pad_mask, b->cfg.pad_mask);
    cr_expect_eq(a->cfg.causal, b->cfg.causal);
    cr_expect_eq(a->cfg.pooling, b->cfg.pooling);
}

/* ------------------------------------------------------------ round trips */

static void round_trip(const ModelConfig *cfg)
{
    Fixture f = fixture_make(cfg, 11);
    const char *path = in_tmp("model.safetensors");
    fixture_save(&f, path);
    Checkpoint c;
    char err[512] = "";
    cr_assert_eq(checkpoint_load(path, &c, err, sizeof err), 0, "%s", err);
    expect_same_model(f.model, c.model);
    cr_expect_eq(c.tokenizer.kind, f.tc.kind);
    cr_expect_eq(c.tokenizer.lowercase, f.tc.lowercase);
    cr_assert_eq(vocab_size(c.vocab), cfg->vocab_size);
    for (int i = 0; i < cfg->vocab_size; i++)
        cr_expect_str_eq(vocab_token(c.vocab, i), WORDS[i]);
    cr_assert_eq(c.num_labels, cfg->num_classes);
    for (int i = 0; i < c.num_labels; i++)
        cr_expect_str_eq(c.labels[i], f.labels[i]);

    /* Saving what was loaded gives the same bytes. */
    const char *again = in_tmp("again.safetensors");
    cr_assert_eq(checkpoint_save(again, c.model, &c.tokenizer, c.vocab,
                                 (const char *const *)c.labels, c.num_labels, err, sizeof err),
                 0, "%s", err);
    size_t n1, n2;
    unsigned char *b1 = read_file(path, &n1), *b2 = read_file(again, &n2);
    cr_expect_eq(n1, n2);
    cr_expect_eq(memcmp(b1, b2, n1 < n2 ? n1 : n2), 0, "re-save is not byte-identical");
    free(b1);
    free(b2);
    checkpoint_free(&c);
    fixture_free(&f);
}

Test(checkpoint, round_trip_sinusoidal)
{
    ModelConfig cfg = tiny_config();
    round_trip(&cfg);
}

Test(checkpoint, round_trip_learned_causal_workshop)
{
    ModelConfig cfg = tiny_config();
    cfg.pos_encoding = POS_ENCODING_LEARNED;
    cfg.causal = true;
    cfg.pad_mask = false;
    cfg.layernorm = LAYERNORM_WORKSHOP;
    cfg.num_layers = 2;
    cfg.num_classes = 3;
    cfg.dropout = 0.0f;
    cfg.embedding_dropout = 0.05f;
    round_trip(&cfg);
}

Test(checkpoint, round_trip_max_pooling)
{
    ModelConfig cfg = tiny_config();
    cfg.pooling = POOLING_MAX;
    round_trip(&cfg);
}

/* The "config" metadata of the file at path, parsed. */
static cJSON *saved_config(const char *path)
{
    SafeTensors st;
    char err[512] = "";
    cr_assert_eq(safetensors_read_file(&st, path, "F32", err, sizeof err), 0, "%s", err);
    cJSON *o = cJSON_Parse(safetensors_metadata(&st, "config"));
    safetensors_free(&st);
    cr_assert_not_null(o);
    return o;
}

/* Every value of every enum of the config is written with spelling.h's name and
 * loads back as itself (pooling's default, mean, is not written at all). */
Test(checkpoint, every_enum_value_spelled_by_the_table_and_loaded_back)
{
    for (int field = 0; field < 4; field++) {
        const EnumNames *names[] = {&LAYERNORM_NAMES, &POS_ENCODING_NAMES, &POOLING_NAMES,
                                    &TOKENIZER_NAMES};
        const char *keys[] = {"layernorm", "pos_encoding", "pooling", "tokenizer"};
        for (int v = 0; v < names[field]->count; v++) {
            ModelConfig cfg = tiny_config();
            if (field == 0) cfg.layernorm = (LayerNormKind)v;
            if (field == 1) cfg.pos_encoding = (PosEncodingKind)v;
            if (field == 2) cfg.pooling = (PoolingKind)v;
            Fixture f = fixture_make(&cfg, 3);
            if (field == 3) f.tc.kind = (TokenizerKind)v;
            const char *path = in_tmp("enum.safetensors");
            fixture_save(&f, path);
            cJSON *o = saved_config(path);
            const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, keys[field]);
            if (field == 2 && v == POOLING_MEAN)
                cr_expect_null(item, "mean pooling is not written");
            else
                cr_expect_str_eq(cJSON_GetStringValue(item), enum_name(names[field], v), "%s",
                                 keys[field]);
            cJSON_Delete(o);
            Checkpoint c;
            char err[512] = "";
            cr_assert_eq(checkpoint_load(path, &c, err, sizeof err), 0, "%s", err);
            int got[] = {(int)c.model->cfg.layernorm, (int)c.model->cfg.pos_encoding,
                         (int)c.model->cfg.pooling, (int)c.tokenizer.kind};
            cr_expect_eq(got[field], v, "%s = %s", keys[field], enum_name(names[field], v));
            checkpoint_free(&c);
            fixture_free(&f);
        }
    }
    /* A value without a name is refused, naming the key, and nothing is written. */
    ModelConfig cfg = tiny_config();
    Fixture f = fixture_make(&cfg, 3);
    f.tc.kind = (TokenizerKind)5;
    char err[512] = "";
    const char *path = in_tmp("unnamed.safetensors");
    cr_expect_eq(checkpoint_save(path, f.model, &f.tc, f.vocab, f.labels, f.num_labels, err,
                                 sizeof err), -1);
    cr_expect_not_null(strstr(err, "config: key 'tokenizer': \"5\" is not allowed (allowed: whitespace, words, char)"),
                       "%s", err);
    cr_expect_neq(access(path, F_OK), 0);
    fixture_free(&f);
}

Test(checkpoint, default_config_names_and_layout)
{
    /* The workshop's own configuration: every state_dict name, in order. */
    ModelConfig cfg = model_config_default();
    char err[256];
    Rng rng;
    rng_seed(&rng, 1);
    Model *m = model_create(&cfg, &rng, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    const char *words[22];
    char storage[22][16];
    words[0] = "<PAD>";
    words[1] = "<UNK>";
    for (int i = 2; i < 22; i++) {
        snprintf(storage[i], sizeof storage[i], "w%02d", i);
        words[i] = storage[i];
    }
    Vocab *v = vocab_from_list(words, 22, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    const char *labels[] = {"negative", "positive"};
    TokenizerConfig tc = {TOKENIZER_WHITESPACE, true};
    const char *path = in_tmp("default.safetensors");
    cr_assert_eq(checkpoint_save(path, m, &tc, v, labels, 2, err, sizeof err), 0, "%s", err);

    SafeTensors st;
    cr_assert_eq(safetensors_read_file(&st, path, "F32", err, sizeof err), 0, "%s", err);
    cr_expect_eq(st.num_tensors, 2 + 7 * 12 + 4);
    cr_expect_str_eq(st.tensors[0].name, "encoder.embedding.weight");
    cr_expect_str_eq(st.tensors[1].name, "encoder.pos_encoding.pe");
    cr_expect_eq(st.tensors[1].shape[0], 5000);
    cr_expect_eq(st.tensors[1].shape[1], 64);
    cr_expect_str_eq(st.tensors[2].name, "encoder.layers.0.attention.qkv_layer.weight");
    cr_expect_eq(st.tensors[2].shape[0], 192);
    cr_expect_str_eq(st.tensors[7].name, "encoder.layers.0.norm1.beta");
    cr_expect_str_eq(st.tensors[13].name, "encoder.layers.0.norm2.beta");
    cr_expect_str_eq(st.tensors[st.num_tensors - 2].name, "classifier.3.weight");
    cr_expect_eq(st.tensors[st.num_tensors - 2].shape[0], 2);
    cr_expect_eq(st.tensors[st.num_tensors - 2].shape[1], 32);
    cr_expect_str_eq(safetensors_metadata(&st, "format"), "minillm-tui/1");
    cr_expect_str_eq(safetensors_metadata(&st, "config"),
                     "{\"vocab_size\":22,\"d_model\":64,\"num_heads\":4,\"d_ff\":256,"
                     "\"num_layers\":7,\"num_classes\":2,\"max_len\":10,\"layernorm\":\"workshop\","
                     "\"pos_encoding\":\"sinusoidal\",\"pad_mask\":true,\"causal\":false,"
                     "\"tokenizer\":\"whitespace\",\"lowercase\":true,\"dropout\":0.1,"
                     "\"embedding_dropout\":-1}");
    cr_expect_str_eq(safetensors_metadata(&st, "labels"), "[\"negative\",\"positive\"]");
    cr_expect_eq(strncmp(safetensors_metadata(&st, "vocab"), "[\"<PAD>\",\"<UNK>\",\"w02\",", 22), 0);
    size_t total = 0;
    for (int i = 0; i < st.num_tensors; i++)
        total += st.tensors[i].numel;
    cr_expect_eq(total, m->num_params + 5000 * 64);
    safetensors_free(&st);
    vocab_free(v);
    model_free(m);
}

Test(checkpoint, save_rejects_mismatched_vocab_and_labels)
{
    ModelConfig cfg = tiny_config();
    Fixture f = fixture_make(&cfg, 1);
    char err[512] = "";
    const char *path = in_tmp("x.safetensors");
    Vocab *small = vocab_from_list(WORDS, 5, err, sizeof err);
    cr_assert_not_null(small);
    cr_expect_eq(checkpoint_save(path, f.model, &f.tc, small, f.labels, 2, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "vocabulary has 5 tokens but the model's vocab_size is 10"), "%s", err);
    cr_expect_eq(checkpoint_save(path, f.model, &f.tc, f.vocab, f.labels, 1, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "1 labels but the model has 2 classes"), "%s", err);
    const char *latin1[] = {"n\xe9gatif", "positif"};
    cr_expect_eq(checkpoint_save(path, f.model, &f.tc, f.vocab, latin1, 2, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "label 0 is not valid UTF-8"), "%s", err);
    cr_expect_eq(access(path, F_OK), -1, "nothing written");
    vocab_free(small);
    fixture_free(&f);
}

/* ------------------------------------------------------------ corrupt files */

static unsigned char *saved_tiny(size_t *len, const char *path)
{
    ModelConfig cfg = tiny_config();
    Fixture f = fixture_make(&cfg, 3);
    fixture_save(&f, path);
    fixture_free(&f);
    return read_file(path, len);
}

static size_t header_end(const unsigned char *buf)
{
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | buf[i];
    return 8 + (size_t)n;
}

/* Replaces the first `from` after `anchor` in the header by `to` (same length). */
static void patch_header(unsigned char *buf, const char *anchor, const char *from, const char *to)
{
    cr_assert_eq(strlen(from), strlen(to));
    size_t end = header_end(buf);
    char *header = malloc(end + 1);
    memcpy(header, buf, end);
    header[end] = '\0';
    char *a = strstr(header + 8, anchor);
    cr_assert_not_null(a, "anchor %s", anchor);
    char *p = strstr(a, from);
    cr_assert_not_null(p, "%s after %s", from, anchor);
    memcpy(buf + (p - header), to, strlen(to));
    free(header);
}

Test(checkpoint, truncated_at_many_lengths)
{
    size_t len;
    const char *path = in_tmp("ok.safetensors");
    unsigned char *buf = saved_tiny(&len, path);
    const char *cut = in_tmp("cut.safetensors");
    size_t hdr = header_end(buf);
    int tried = 0;
    write_file(cut, buf, len);
    /* Shortest last, so that one truncate() per length is all the I/O. */
    for (size_t n = len - 1; n != (size_t)-1; n -= (n < hdr + 64 || n + 64 > len) ? 1 : 251) {
        cr_assert_eq(truncate(cut, (off_t)n), 0);
        Checkpoint c;
        char err[512] = "";
        cr_assert_eq(checkpoint_load(cut, &c, err, sizeof err), -1, "cut at %zu of %zu loaded", n, len);
        cr_assert_eq(strncmp(err, cut, strlen(cut)), 0, "%s", err);
        const char *why = n < 8 ? "file too short" : n < hdr ? "goes beyond the end of the file"
                                                            : "go beyond the data buffer";
        cr_assert_not_null(strstr(err, why), "cut at %zu: '%s' lacks '%s'", n, err, why);
        tried++;
    }
    cr_expect_gt(tried, 500);
    free(buf);
}

Test(checkpoint, header_longer_than_file)
{
    size_t len;
    const char *path = in_tmp("h.safetensors");
    unsigned char *buf = saved_tiny(&len, path);
    uint64_t n = len - 8 + 1;
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(n >> (8 * i));
    write_file(path, buf, len);
    char expect[128];
    snprintf(expect, sizeof expect, "header length %llu goes beyond the end of the file (%zu bytes",
             (unsigned long long)n, len);
    expect_load_error(path, expect);
    free(buf);
}

Test(checkpoint, bad_json)
{
    size_t len;
    const char *path = in_tmp("j.safetensors");
    unsigned char *buf = saved_tiny(&len, path);
    patch_header(buf, "\"encoder.embedding.weight\"", ":{", ":[");
    write_file(path, buf, len);
    expect_load_error(path, "header is not valid JSON");
    free(buf);
}

Test(checkpoint, wrong_dtype)
{
    size_t len;
    const char *path = in_tmp("d.safetensors");
    unsigned char *buf = saved_tiny(&len, path);
    patch_header(buf, "\"encoder.layers.0.norm1.gamma\"", "F32", "F64");
    write_file(path, buf, len);
    expect_load_error(path, "tensor 'encoder.layers.0.norm1.gamma': dtype F64, only F32 is allowed");
    free(buf);
}

Test(checkpoint, wrong_shape)
{
    size_t len;
    const char *path = in_tmp("s.safetensors");
    unsigned char *buf = saved_tiny(&len, path);
    /* [6,4] -> [4,6]: same bytes, wrong orientation (a transposed Linear weight). */
    patch_header(buf, "\"encoder.layers.0.ffn.linear1.weight\"", "[6,4]", "[4,6]");
    write_file(path, buf, len);
    expect_load_error(path, "tensor 'encoder.layers.0.ffn.linear1.weight' has shape [4, 6], the config needs [6, 4]");
    free(buf);
}

Test(checkpoint, offsets_out_of_range)
{
    size_t len;
    const char *path = in_tmp("o.safetensors");
    unsigned char *buf = saved_tiny(&len, path);
    /* The last tensor's end moved past the buffer: "[b,8xxxx]" -> "[b,9xxxx]". */
    const char *anchor = strstr((const char *)buf + 8, "\"classifier.3.bias\"");
    cr_assert_not_null(anchor);
    size_t begin, end;
    cr_assert_eq(sscanf(strstr(anchor, "\"data_offsets\":[") + 16, "%zu,%zu", &begin, &end), 2);
    char from[64], to[64], expect[160];
    snprintf(from, sizeof from, "[%zu,%zu]", begin, end);
    snprintf(to, sizeof to, "[%zu,9%04zu]", begin, end % 10000);
    cr_assert_eq(end / 10000, 8, "the test expects a 5-digit end offset starting with 8");
    patch_header(buf, "\"classifier.3.bias\"", from, to);
    write_file(path, buf, len);
    snprintf(expect, sizeof expect, "tensor 'classifier.3.bias': data_offsets [%zu, 9%04zu] go beyond "
             "the data buffer (%zu bytes; truncated file?)", begin, end % 10000, len - header_end(buf));
    expect_load_error(path, expect);
    free(buf);
}

Test(checkpoint, overlapping_offsets)
{
    size_t len;
    const char *path = in_tmp("v.safetensors");
    unsigned char *buf = saved_tiny(&len, path);
    /* The sinusoid's range moved 8 bytes back: it now overlaps the embedding. */
    patch_header(buf, "\"encoder.pos_encoding.pe\"", "[160,80160]", "[152,80152]");
    write_file(path, buf, len);
    expect_load_error(path, "tensors 'encoder.embedding.weight' and 'encoder.pos_encoding.pe' overlap");
    free(buf);
}

Test(checkpoint, missing_tensor)
{
    size_t len;
    const char *path = in_tmp("m.safetensors");
    unsigned char *buf = saved_tiny(&len, path);
    patch_header(buf, "\"classifier.0.bias\"", "classifier.0.bias", "classifier.0.bia_");
    write_file(path, buf, len);
    expect_load_error(path, "missing tensor 'classifier.0.bias' (shape [2] for this config)");
    free(buf);
}

/* Files with chosen tensors and metadata, for the checks behind the container. */
typedef struct {
    const char *format, *config, *vocab, *labels;
    const char *extra_tensor;   /* added after the expected ones */
    bool zero_sinusoid;
    bool no_metadata;
} Variant;

static const char *TINY_CONFIG_JSON =
    "{\"vocab_size\":10,\"d_model\":4,\"num_heads\":2,\"d_ff\":6,\"num_layers\":1,"
    "\"num_classes\":2,\"max_len\":8,\"layernorm\":\"standard\",\"pos_encoding\":\"sinusoidal\","
    "\"pad_mask\":true,\"causal\":false,\"tokenizer\":\"words\",\"lowercase\":false}";
static const char *TINY_VOCAB_JSON =
    "[\"<PAD>\",\"<UNK>\",\"bad\",\"boring\",\"fun\",\"good\",\"great\",\"movie\",\"not\",\"terrible\"]";

static void write_variant(const char *path, Variant v)
{
    ModelConfig cfg = tiny_config();
    Fixture f = fixture_make(&cfg, 5);
    Model *m = f.model;
    float pe[5000 * 4];
    positional_encoding_sinusoidal(pe, 5000, 4);
    if (v.zero_sinusoid)
        memset(pe, 0, sizeof pe);
    float extra[3] = {1, 2, 3};
    SafeTensorF32 t[64];
    int n = 0;
    for (int i = 0; i < m->num_views; i++) {
        const ParamView *pv = &m->views[i];
        t[n++] = (SafeTensorF32){pv->name, pv->ndim, {pv->shape[0], pv->shape[1]},
                                 m->params + pv->offset};
        if (i == 0)
            t[n++] = (SafeTensorF32){"encoder.pos_encoding.pe", 2, {5000, 4}, pe};
    }
    if (v.extra_tensor)
        t[n++] = (SafeTensorF32){v.extra_tensor, 1, {3}, extra};
    SafeMetadata meta[4];
    int k = 0;
    if (v.format) meta[k++] = (SafeMetadata){"format", v.format};
    if (v.config) meta[k++] = (SafeMetadata){"config", v.config};
    if (v.vocab) meta[k++] = (SafeMetadata){"vocab", v.vocab};
    if (v.labels) meta[k++] = (SafeMetadata){"labels", v.labels};
    unsigned char *bytes;
    size_t len;
    char err[256];
    cr_assert_eq(safetensors_serialize_f32(&bytes, &len, t, n, meta, v.no_metadata ? 0 : k, err,
                                           sizeof err), 0, "%s", err);
    write_file(path, bytes, len);
    free(bytes);
    fixture_free(&f);
}

static Variant good_variant(void)
{
    return (Variant){"minillm-tui/1", TINY_CONFIG_JSON, TINY_VOCAB_JSON, "[\"neg\",\"pos\"]",
                     NULL, false, false};
}

Test(checkpoint, hand_built_file_loads)
{
    const char *path = in_tmp("good.safetensors");
    write_variant(path, good_variant());
    Checkpoint c;
    char err[512] = "";
    cr_assert_eq(checkpoint_load(path, &c, err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.model->cfg.dropout, model_config_default().dropout, "absent dropout: default");
    cr_expect_str_eq(c.labels[1], "pos");
    checkpoint_free(&c);
}

Test(checkpoint, unexpected_tensor)
{
    const char *path = in_tmp("u.safetensors");
    Variant v = good_variant();
    v.extra_tensor = "encoder.layers.1.norm1.gamma";
    write_variant(path, v);
    expect_load_error(path, "unexpected tensor 'encoder.layers.1.norm1.gamma'");
}

Test(checkpoint, sinusoid_values_checked)
{
    const char *path = in_tmp("pe.safetensors");
    Variant v = good_variant();
    v.zero_sinusoid = true;
    write_variant(path, v);
    expect_load_error(path, "tensor 'encoder.pos_encoding.pe' row 0 column 1 is 0, not the sinusoid 1");
}

Test(checkpoint, metadata_problems)
{
    const char *path = in_tmp("meta.safetensors");
    struct { Variant v; const char *expect; } cases[] = {
        {{.no_metadata = true}, "no __metadata__"},
        {{NULL, TINY_CONFIG_JSON, TINY_VOCAB_JSON, "[\"a\",\"b\"]", NULL, false, false},
         "__metadata__ has no 'format' key"},
        {{"pt", TINY_CONFIG_JSON, TINY_VOCAB_JSON, "[\"a\",\"b\"]", NULL, false, false},
         "__metadata__ 'format' is \"pt\"; this program reads \"minillm-tui/1\""},
        {{"minillm-tui/1", NULL, TINY_VOCAB_JSON, "[\"a\",\"b\"]", NULL, false, false},
         "__metadata__ has no 'config' key"},
        {{"minillm-tui/1", "{oops", TINY_VOCAB_JSON, "[\"a\",\"b\"]", NULL, false, false},
         "__metadata__ key 'config' is not a JSON object"},
        {{"minillm-tui/1", "{\"vocab_size\":10}", TINY_VOCAB_JSON, "[\"a\",\"b\"]", NULL, false, false},
         "config: missing key 'd_model'"},
        {{"minillm-tui/1", "{\"vocab_size\":10,\"colour\":1}", TINY_VOCAB_JSON, "[\"a\",\"b\"]", NULL,
          false, false},
         "config: unknown key 'colour' (allowed: vocab_size,"},
        {{"minillm-tui/1", "{\"vocab_size\":10.5}", TINY_VOCAB_JSON, "[\"a\",\"b\"]", NULL, false, false},
         "config: key 'vocab_size' must be a non-negative integer"},
        {{"minillm-tui/1", NULL, NULL, NULL, NULL, false, false}, "__metadata__ has no 'config' key"},
        {{"minillm-tui/1", TINY_CONFIG_JSON, NULL, "[\"a\",\"b\"]", NULL, false, false},
         "__metadata__ has no 'vocab' key"},
        {{"minillm-tui/1", TINY_CONFIG_JSON, "[\"<PAD>\",\"<UNK>\"]", "[\"a\",\"b\"]", NULL, false, false},
         "__metadata__ key 'vocab' has 2 entries, the config says 10"},
        {{"minillm-tui/1", TINY_CONFIG_JSON, "[\"x\",\"<UNK>\",3,4,5,6,7,8,9,10]", "[\"a\",\"b\"]", NULL,
          false, false},
         "__metadata__ key 'vocab': entry 2 is not a string"},
        {{"minillm-tui/1", TINY_CONFIG_JSON,
          "[\"x\",\"<UNK>\",\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\"]", "[\"a\",\"b\"]", NULL,
          false, false},
         "__metadata__ 'vocab': vocabulary: must start with"},
        {{"minillm-tui/1", TINY_CONFIG_JSON, TINY_VOCAB_JSON, NULL, NULL, false, false},
         "__metadata__ has no 'labels' key"},
        {{"minillm-tui/1", TINY_CONFIG_JSON, TINY_VOCAB_JSON, "{\"a\":1}", NULL, false, false},
         "__metadata__ key 'labels' is not a JSON array of strings"},
        {{"minillm-tui/1", TINY_CONFIG_JSON, TINY_VOCAB_JSON, "[\"a\"]", NULL, false, false},
         "__metadata__ key 'labels' has 1 entries, the config says 2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_variant(path, cases[i].v);
        expect_load_error(path, cases[i].expect);
    }
}

Test(checkpoint, config_values_checked)
{
    const char *path = in_tmp("cfg.safetensors");
    struct { const char *from, *to, *expect; } cases[] = {
        {"\"num_heads\":2", "\"num_heads\":3", "config: num_heads = 3: must be >= 1 and divide d_model = 4"},
        {"\"layernorm\":\"standard\"", "\"layernorm\":\"batchnorm\"",
         "config: key 'layernorm' must be \"workshop\" or \"standard\""},
        {"\"pos_encoding\":\"sinusoidal\"", "\"pos_encoding\":\"rotary\"",
         "config: key 'pos_encoding' must be \"sinusoidal\" or \"learned\""},
        {"\"pad_mask\":true", "\"pad_mask\":1", "config: key 'pad_mask' must be true or false"},
        {"\"tokenizer\":\"words\"", "\"tokenizer\":\"bpe\"",
         "config: key 'tokenizer' must be \"whitespace\", \"words\" or \"char\""},
        /* Values the INI config refuses, in its words (config.c's key table). */
        {"\"max_len\":8", "\"max_len\":9999",
         "config: key 'max_len': 9999 is out of range (allowed: an integer from 1 to 5000)"},
        {"\"d_ff\":6", "\"d_ff\":2000000000",
         "config: key 'd_ff': 2000000000 is out of range (allowed: an integer from 1 to 65536)"},
        {"\"lowercase\":false}", "\"lowercase\":false,\"dropout\":1}",
         "config: key 'dropout': 1 is out of range (allowed: a number in [0, 1))"},
        {"\"lowercase\":false}", "\"lowercase\":false,\"pooling\":\"cls\"}",
         "config: key 'pooling' must be \"mean\" or \"max\""},
        {"\"d_ff\":6", "\"d_ff\":5", "tensor 'encoder.layers.0.ffn.linear1.weight' has shape [6, 4], the config needs [5, 4]"},
        {"\"vocab_size\":10", "\"vocab_size\":9", "__metadata__ key 'vocab' has 10 entries, the config says 9"},
        /* A forged config must not make the loader allocate what the file cannot hold. */
        {"\"d_ff\":6", "\"d_ff\":65536",
         "config (vocab_size 10, d_model 4, d_ff 65536, num_layers 1) needs more tensor data than the file's"},
        {"\"d_model\":4", "\"d_model\":8", "needs more tensor data than the file's 80840 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char config[1024];
        const char *at = strstr(TINY_CONFIG_JSON, cases[i].from);
        cr_assert_not_null(at, "%s", cases[i].from);
        snprintf(config, sizeof config, "%.*s%s%s", (int)(at - TINY_CONFIG_JSON), TINY_CONFIG_JSON,
                 cases[i].to, at + strlen(cases[i].from));
        Variant v = good_variant();
        v.config = config;
        write_variant(path, v);
        expect_load_error(path, cases[i].expect);
    }
}

Test(checkpoint, not_a_file)
{
    expect_load_error(in_tmp("absent.safetensors"), "cannot open: No such file or directory");
    expect_load_error(tmp_dir, "not a regular file");
    /* A config or dataset given where a checkpoint belongs. */
    const char *text = in_tmp("train.tsv");
    const char *tsv = "sentence\tlabel\ngood\tpositive\n";
    write_file(text, tsv, strlen(tsv));
    expect_load_error(text, "not a safetensors file (header length ");
    expect_load_error(text, "is absurd: larger than the file, 29 bytes)");
}

Test(checkpoint, flipped_bytes_never_crash)
{
    size_t len;
    const char *path = in_tmp("ok.safetensors");
    unsigned char *buf = saved_tiny(&len, path);
    const char *bad = in_tmp("flip.safetensors");
    size_t hdr = header_end(buf);
    int loaded = 0, refused = 0;
    write_file(bad, buf, len);
    FILE *f = fopen(bad, "r+b");
    cr_assert_not_null(f);
    /* Every header byte; in the data, every 97th (a flipped value loads, wrong). */
    for (size_t i = 0; i < len; i += i < hdr ? 1 : 97) {
        unsigned char flipped = buf[i] ^ 0x5A;
        cr_assert_eq(fseek(f, (long)i, SEEK_SET), 0);
        cr_assert_eq(fwrite(&flipped, 1, 1, f), 1);
        cr_assert_eq(fflush(f), 0);
        Checkpoint c;
        char err[512] = "";
        if (checkpoint_load(bad, &c, err, sizeof err) == 0) {
            loaded++;
            checkpoint_free(&c);
        } else {
            refused++;
            cr_assert_eq(strncmp(err, bad, strlen(bad)), 0, "%s", err);
        }
        cr_assert_eq(fseek(f, (long)i, SEEK_SET), 0);
        cr_assert_eq(fwrite(&buf[i], 1, 1, f), 1);
        cr_assert_eq(fflush(f), 0);
    }
    fclose(f);
    cr_expect_gt(refused, (int)hdr / 2, "most header flips must be refused");
    cr_expect_gt(loaded, 0, "data flips load");
    free(buf);
}

/* ------------------------------------------------------------ atomic writes */

Test(checkpoint, atomic_write_replaces)
{
    const char *path = in_tmp("a.txt");
    char err[256] = "";
    cr_assert_eq(atomic_write_file(path, "first", 5, err, sizeof err), 0, "%s", err);
    cr_assert_eq(atomic_write_file(path, "second!", 7, err, sizeof err), 0, "%s", err);
    size_t len;
    unsigned char *got = read_file(path, &len);
    cr_expect_eq(len, 7);
    cr_expect_eq(memcmp(got, "second!", 7), 0);
    free(got);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    cr_expect_eq(sb.st_mode & 0777, 0644);
    cr_expect_eq(count_dir_entries(tmp_dir), 1, "no temporary file left");
}

Test(checkpoint, failed_write_keeps_old_file)
{
    /* A file-size limit makes write() fail half-way, as a full disk would
     * (works as root too, unlike a read-only directory). */
    const char *path = in_tmp("keep.safetensors");
    const char *old = "old checkpoint bytes";
    write_file(path, old, strlen(old));
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {.rlim_cur = 4096, .rlim_max = RLIM_INFINITY};
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);

    ModelConfig cfg = tiny_config();
    Fixture f = fixture_make(&cfg, 9);
    char err[512] = "";
    cr_expect_eq(checkpoint_save(path, f.model, &f.tc, f.vocab, f.labels, f.num_labels, err,
                                 sizeof err), -1);
    cr_expect_not_null(strstr(err, "write failed: File too large (the previous file, if any, is unchanged)"),
                       "%s", err);
    cr_expect_eq(strncmp(err, path, strlen(path)), 0, "%s", err);
    size_t len;
    unsigned char *got = read_file(path, &len);
    cr_expect_eq(len, strlen(old));
    cr_expect_eq(memcmp(got, old, len), 0, "old file intact");
    free(got);
    cr_expect_eq(count_dir_entries(tmp_dir), 1, "temporary file removed");
    fixture_free(&f);
}

Test(checkpoint, directory_target_refused_and_nothing_left)
{
    /* Before the target's type was checked, this failed only at rename(). */
    const char *path = in_tmp("target");
    cr_assert_eq(mkdir(path, 0755), 0);
    char err[256] = "";
    cr_expect_eq(atomic_write_file(path, "x", 1, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "target: a directory, not a regular file: not replaced"), "%s",
                       err);
    cr_expect_eq(count_dir_entries(tmp_dir), 1, "no temporary file");
}

Test(checkpoint, missing_directory)
{
    char err[256] = "";
    const char *path = in_tmp("no/such/dir/m.safetensors");
    cr_expect_eq(atomic_write_file(path, "x", 1, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "cannot create a temporary file in"), "%s", err);
    cr_expect_not_null(strstr(err, "No such file or directory"), "%s", err);
}

/* ------------------------------------------------------------ optimizer sidecar */

Test(checkpoint, optimizer_sidecar_round_trip)
{
    OptimConfig oc = optim_config_default();
    oc.kind = OPTIM_ADAMW;
    oc.lr = 3e-4f;
    oc.beta2 = 0.98f;
    oc.weight_decay = 0.01f;
    oc.clip_norm = 1.0f;
    Optimizer opt;
    cr_assert_eq(optimizer_init(&opt, &oc, 1000), 0);
    for (size_t i = 0; i < opt.n; i++) {
        opt.m[i] = hash_uniform(i);
        opt.v[i] = hash_uniform(i + 5000) * hash_uniform(i + 5000);
    }
    opt.step = 123456789012L;
    char path[512];
    size_t model_len;
    free(saved_tiny(&model_len, in_tmp("model.safetensors"))); /* a sidecar belongs to a model file */
    checkpoint_optim_path(in_tmp("model.safetensors"), path, sizeof path);
    cr_expect_not_null(strstr(path, "/model.safetensors.optim"));
    char err[512] = "";
    cr_assert_eq(optimizer_state_save(path, &opt, err, sizeof err), 0, "%s", err);

    Optimizer fresh = {0}; /* not initialised: sized from the file */
    cr_assert_eq(optimizer_state_load(path, &fresh, err, sizeof err), 0, "%s", err);
    cr_expect_eq(fresh.n, opt.n);
    cr_expect_eq(fresh.step, opt.step);
    cr_expect_eq(memcmp(fresh.m, opt.m, opt.n * sizeof(float)), 0);
    cr_expect_eq(memcmp(fresh.v, opt.v, opt.n * sizeof(float)), 0);
    cr_expect_eq(fresh.cfg.kind, OPTIM_ADAMW);
    cr_expect_eq(fresh.cfg.lr, oc.lr);
    cr_expect_eq(fresh.cfg.beta1, oc.beta1);
    cr_expect_eq(fresh.cfg.beta2, oc.beta2);
    cr_expect_eq(fresh.cfg.eps, oc.eps);
    cr_expect_eq(fresh.cfg.weight_decay, oc.weight_decay);
    cr_expect_eq(fresh.cfg.clip_norm, oc.clip_norm);

    Optimizer other;
    OptimConfig def = optim_config_default();
    cr_assert_eq(optimizer_init(&other, &def, 999), 0);
    cr_expect_eq(optimizer_state_load(path, &other, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "holds moments for 1000 parameters, the model has 999"), "%s", err);

    /* Both kinds, spelled by the table. */
    for (int kind = 0; kind < OPTIMIZER_NAMES.count; kind++) {
        opt.cfg.kind = (OptimKind)kind;
        cr_assert_eq(optimizer_state_save(path, &opt, err, sizeof err), 0, "%s", err);
        SafeTensors st;
        cr_assert_eq(safetensors_read_file(&st, path, "F32", err, sizeof err), 0, "%s", err);
        char expect[64];
        snprintf(expect, sizeof expect, "\"kind\":\"%s\"", enum_name(&OPTIMIZER_NAMES, kind));
        cr_expect_not_null(strstr(safetensors_metadata(&st, "optimizer"), expect), "%s",
                           safetensors_metadata(&st, "optimizer"));
        safetensors_free(&st);
        cr_assert_eq(optimizer_state_load(path, &fresh, err, sizeof err), 0, "%s", err);
        cr_expect_eq(fresh.cfg.kind, (OptimKind)kind);
    }

    /* A model checkpoint is not a sidecar. */
    size_t len;
    free(saved_tiny(&len, in_tmp("m2.safetensors")));
    cr_expect_eq(optimizer_state_load(in_tmp("m2.safetensors"), &other, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "'format' must be \"minillm-tui-optim/1\""), "%s", err);

    optimizer_free(&other);
    optimizer_free(&fresh);
    optimizer_free(&opt);
}

/* ------------------------------------------------------------ interop with PyTorch */

static cJSON *read_json(const char *path)
{
    size_t len;
    unsigned char *text = read_file(path, &len);
    cJSON *j = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    cr_assert_not_null(j, "%s is not JSON", path);
    return j;
}

/* Runs every case of the fixture's "cases" through m; returns the largest
 * |p_C - p_torch| over all probabilities. */
static double max_prob_diff(Model *m, const cJSON *cases)
{
    double worst = 0.0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cases) {
        const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(c, "tokens");
        const cJSON *probs = cJSON_GetObjectItemCaseSensitive(c, "probs");
        int B = cJSON_GetArraySize(tokens);
        int T = cJSON_GetArraySize(cJSON_GetArrayItem(tokens, 0));
        int K = m->cfg.num_classes;
        int *ids = malloc(sizeof *ids * (size_t)(B * T));
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                ids[b * T + t] = cJSON_GetArrayItem(cJSON_GetArrayItem(tokens, b), t)->valueint;
        Activations *a = activations_create(m, B, T);
        cr_assert_not_null(a);
        cr_assert_not_null(model_forward(m, a, ids, B, T, NULL));
        const float *p = activations_probs(a);
        cr_assert_eq(cJSON_GetArraySize(probs), B);
        for (int b = 0; b < B; b++) {
            const cJSON *row = cJSON_GetArrayItem(probs, b);
            cr_assert_eq(cJSON_GetArraySize(row), K);
            for (int k = 0; k < K; k++) {
                double d = fabs((double)p[b * K + k] - cJSON_GetArrayItem(row, k)->valuedouble);
                worst = d > worst || isnan(d) ? d : worst;
            }
        }
        activations_free(a);
        free(ids);
    }
    return worst;
}

Test(checkpoint, interop_notebook_export_loads_and_matches)
{
    Checkpoint c;
    char err[512] = "";
    const char *path = fixture("interop_notebook.safetensors");
    cr_assert_eq(checkpoint_load(path, &c, err, sizeof err), 0, "%s", err);
    const ModelConfig *cfg = &c.model->cfg;
    cr_expect_eq(cfg->vocab_size, 10);
    cr_expect_eq(cfg->d_model, 4);
    cr_expect_eq(cfg->num_layers, 2);
    cr_expect_eq(cfg->num_classes, 3);
    cr_expect_eq(cfg->pad_mask, false, "the notebook has no padding mask");
    cr_expect_eq(cfg->layernorm, LAYERNORM_WORKSHOP);
    cr_expect_str_eq(vocab_token(c.vocab, 9), "terrible");
    cr_expect_str_eq(c.labels[1], "neutral");
    cJSON *expected = read_json(fixture("interop_notebook.json"));
    double diff = max_prob_diff(c.model, cJSON_GetObjectItemCaseSensitive(expected, "cases"));
    fprintf(stderr, "interop notebook -> C: max |p_C - p_torch| = %.3g\n", diff);
    cr_expect_leq(diff, 1e-5, "probabilities differ from torch by %g", diff);
    cJSON_Delete(expected);
    checkpoint_free(&c);
}

/* The model behind tests/fixtures/interop_c.safetensors: tiny_config() with
 * parameters from fill_params(salt 2024); pad_mask and the standard LayerNorm on,
 * so the notebook model's two switches are exercised too. */
static void save_c_fixture(const char *path)
{
    ModelConfig cfg = tiny_config();
    Fixture f = fixture_make(&cfg, 2024);
    fixture_save(&f, path);
    fixture_free(&f);
}

/* libm's sinf/cosf (and torch's sin) may round the sinusoid buffer
 * "encoder.pos_encoding.pe" otherwise from one machine or library version to
 * the next: everything else of the two files (header included) must be the
 * same bytes; the buffer's byte range in `a` is returned for its own check. */
static void expect_same_bytes_but_sinusoid(const unsigned char *a, size_t n1,
                                           const unsigned char *b, size_t n2,
                                           size_t *pe_begin, size_t *pe_end)
{
    cr_assert_eq(n1, n2);
    size_t hdr = header_end(a);
    cr_expect_eq(memcmp(a, b, hdr), 0, "headers differ");
    SafeTensors st;
    char err[512] = "";
    cr_assert_eq(safetensors_parse(&st, a, n1, "a", "F32", err, sizeof err), 0, "%s", err);
    const SafeTensor *pe = safetensors_find(&st, "encoder.pos_encoding.pe");
    cr_assert_not_null(pe);
    *pe_begin = hdr + pe->begin;
    *pe_end = hdr + pe->end;
    safetensors_free(&st);
    cr_expect_eq(memcmp(a + hdr, b + hdr, *pe_begin - hdr), 0, "embedding bytes differ");
    cr_expect_eq(memcmp(a + *pe_end, b + *pe_end, n1 - *pe_end), 0, "parameter bytes differ");
}

/* Distance in units in the last place between two finite floats of one sign
 * (or zero): how many floats lie between them. */
static uint32_t ulps_apart(float x, float y)
{
    int32_t i, j;
    memcpy(&i, &x, 4);
    memcpy(&j, &y, 4);
    if (i < 0)
        i = INT32_MIN - i;
    if (j < 0)
        j = INT32_MIN - j;
    return i > j ? (uint32_t)i - (uint32_t)j : (uint32_t)j - (uint32_t)i;
}

Test(checkpoint, interop_c_save_is_the_committed_fixture)
{
    const char *committed = fixture("interop_c.safetensors");
    if (getenv("MINILLM_WRITE_FIXTURES")) {
        save_c_fixture(committed);
        fprintf(stderr, "wrote %s; now run /usr/bin/python3 tools/make_interop.py c\n", committed);
    }
    const char *fresh = in_tmp("interop_c.safetensors");
    save_c_fixture(fresh);
    size_t n1, n2, pe_begin, pe_end;
    unsigned char *a = read_file(committed, &n1), *b = read_file(fresh, &n2);
    expect_same_bytes_but_sinusoid(a, n1, b, n2, &pe_begin, &pe_end);
    /* the same libm call on another machine: within one ulp */
    uint32_t worst = 0;
    for (size_t i = pe_begin; i < pe_end; i += 4) {
        float x, y;
        memcpy(&x, a + i, 4);
        memcpy(&y, b + i, 4);
        uint32_t d = ulps_apart(x, y);
        worst = d > worst ? d : worst;
    }
    fprintf(stderr, "sinusoid buffer, committed vs this machine: max %u ulp\n", worst);
    cr_expect_leq(worst, 1u, "sinusoid buffer differs from the committed one by %u ulps", worst);
    free(a);
    free(b);
}

Test(checkpoint, interop_c_file_gives_torch_probabilities)
{
    Checkpoint c;
    char err[512] = "";
    cr_assert_eq(checkpoint_load(fixture("interop_c.safetensors"), &c, err, sizeof err), 0, "%s", err);
    cJSON *expected = read_json(fixture("interop_c.json"));
    const cJSON *made_by = cJSON_GetObjectItemCaseSensitive(expected, "made_by");
    cr_assert(cJSON_IsString(made_by) && strstr(made_by->valuestring, "strict=True"),
              "interop_c.json must come from PyTorch's strict load");
    double diff = max_prob_diff(c.model, cJSON_GetObjectItemCaseSensitive(expected, "cases"));
    fprintf(stderr, "interop C -> notebook: max |p_C - p_torch| = %.3g\n", diff);
    cr_expect_leq(diff, 1e-5, "probabilities differ from torch by %g", diff);
    cJSON_Delete(expected);
    checkpoint_free(&c);
}

static void write_sidecar(const char *path, const char *format, const char *optimizer,
                          const char *step, int num_tensors, int64_t n_v, const char *model_hash)
{
    float m[4] = {1, 2, 3, 4}, v[5] = {0};
    SafeTensorF32 t[3] = {
        {"m", 1, {4}, m},
        {"v", 1, {n_v}, v},
        {"extra", 1, {1}, m},
    };
    SafeMetadata meta[4];
    int k = 0;
    if (format) meta[k++] = (SafeMetadata){"format", format};
    if (optimizer) meta[k++] = (SafeMetadata){"optimizer", optimizer};
    if (step) meta[k++] = (SafeMetadata){"step", step};
    if (model_hash) meta[k++] = (SafeMetadata){"model_fnv1a64", model_hash};
    unsigned char *bytes;
    size_t len;
    char err[256];
    cr_assert_eq(safetensors_serialize_f32(&bytes, &len, t, num_tensors, meta, k, err, sizeof err), 0);
    write_file(path, bytes, len);
    free(bytes);
}

Test(checkpoint, optimizer_sidecar_problems)
{
    /* The model file "s" the sidecar "s.optim" belongs to, and its hash. */
    size_t model_len;
    free(saved_tiny(&model_len, in_tmp("s")));
    uint64_t model_hash;
    char hash[32], err[512] = "";
    cr_assert_eq(checkpoint_file_hash(in_tmp("s"), &model_hash, err, sizeof err), 0, "%s", err);
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)model_hash);
    const char *path = in_tmp("s.optim");
    const char *ok_cfg = "{\"kind\":\"adam\",\"lr\":0.001,\"beta1\":0.9,\"beta2\":0.999,\"eps\":1e-08,"
                         "\"weight_decay\":0,\"clip_norm\":0}";
    struct {
        const char *format, *optimizer, *step;
        int num_tensors;
        int64_t n_v;
        const char *expect;
        const char *hash;
    } cases[] = {
        {"minillm-tui-optim/1", ok_cfg, "7", 2, 4, NULL, NULL},
        {"minillm-tui-optim/1", ok_cfg, "7", 2, 4, "no 'model_fnv1a64' key (saved before a sidecar "
         "named its model file): cannot tell that it belongs to", ""},
        {"minillm-tui-optim/1", ok_cfg, "7", 2, 4, "'model_fnv1a64' must be 16 lower-case "
         "hexadecimal digits", "12345"},
        {"minillm-tui-optim/1", ok_cfg, "7", 2, 4, "optimizer state of step 7 does not belong to",
         "0123456789abcdef"},
        {"minillm-tui/1", ok_cfg, "7", 2, 4, "'format' must be \"minillm-tui-optim/1\"", NULL},
        {"minillm-tui-optim/1", NULL, "7", 2, 4, "__metadata__ has no 'optimizer' key", NULL},
        {"minillm-tui-optim/1", "{\"kind\":\"sgd\"}", "7", 2, 4,
         "optimizer: key 'kind' must be \"adam\" or \"adamw\"", NULL},
        {"minillm-tui-optim/1", "{\"kind\":\"adam\",\"lr\":0.001}", "7", 2, 4,
         "optimizer: missing key 'beta1'", NULL},
        {"minillm-tui-optim/1", ok_cfg, "seven", 2, 4, "'step' must be an integer from 0 to 9007199254740992", NULL},
        {"minillm-tui-optim/1", ok_cfg, "-1", 2, 4, "'step' must be an integer from 0 to 9007199254740992", NULL},
        /* One more step would overflow a long (undefined behaviour in optimizer_step). */
        {"minillm-tui-optim/1", ok_cfg, "9223372036854775807", 2, 4,
         "'step' must be an integer from 0 to 9007199254740992", NULL},
        {"minillm-tui-optim/1", ok_cfg, NULL, 2, 4, "'step' must be an integer from 0 to 9007199254740992", NULL},
        {"minillm-tui-optim/1", ok_cfg, "7", 1, 4, "missing tensor 'v'", NULL},
        {"minillm-tui-optim/1", ok_cfg, "7", 3, 4, "unexpected tensor", NULL},
        {"minillm-tui-optim/1", ok_cfg, "7", 2, 5, "tensors 'm' and 'v' must both have shape [num_params]", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *h = !cases[i].hash ? hash : cases[i].hash[0] ? cases[i].hash : NULL;
        write_sidecar(path, cases[i].format, cases[i].optimizer, cases[i].step, cases[i].num_tensors,
                      cases[i].n_v, h);
        Optimizer opt = {0};
        int rc = optimizer_state_load(path, &opt, err, sizeof err);
        if (!cases[i].expect) {
            cr_assert_eq(rc, 0, "%s", err);
            cr_expect_eq(opt.step, 7);
            cr_expect_eq(opt.n, 4);
            cr_expect_eq(opt.m[3], 4.0f);
        } else {
            cr_expect_eq(rc, -1, "case %zu loaded", i);
            cr_expect_not_null(strstr(err, cases[i].expect), "case %zu: '%s' lacks '%s'", i, err,
                               cases[i].expect);
            cr_expect_eq(strncmp(err, path, strlen(path)), 0, "%s", err);
            cr_expect_null(opt.m, "nothing allocated on failure");
        }
        optimizer_free(&opt);
    }
}

Test(checkpoint, resave_of_notebook_export_matches_python_writer)
{
    /* tools/make_interop.py writes the header with Python's json.dumps; our writer
     * must produce the same header byte for byte, and the same parameter bytes.
     * Only the sinusoid buffer may differ: torch's sin and libm's sinf can differ
     * by an ulp. */
    const char *exported = fixture("interop_notebook.safetensors");
    Checkpoint c;
    char err[512] = "";
    cr_assert_eq(checkpoint_load(exported, &c, err, sizeof err), 0, "%s", err);
    const char *resaved = in_tmp("resaved.safetensors");
    cr_assert_eq(checkpoint_save(resaved, c.model, &c.tokenizer, c.vocab,
                                 (const char *const *)c.labels, c.num_labels, err, sizeof err),
                 0, "%s", err);
    checkpoint_free(&c);
    size_t n1, n2, pe_begin, pe_end;
    unsigned char *a = read_file(exported, &n1), *b = read_file(resaved, &n2);
    expect_same_bytes_but_sinusoid(a, n1, b, n2, &pe_begin, &pe_end);
    const size_t pe_numel = (pe_end - pe_begin) / 4;
    float worst = 0.0f;
    int differing = 0;
    for (size_t i = pe_begin; i < pe_end; i += 4) {
        float x, y;
        memcpy(&x, a + i, 4);
        memcpy(&y, b + i, 4);
        worst = fmaxf(worst, fabsf(x - y));
        differing += x != y;
    }
    fprintf(stderr, "sinusoid buffer, torch vs C: %d of %zu values differ, max |diff| %.3g\n",
            differing, pe_numel, (double)worst);
    cr_expect_leq(worst, 2.5e-7f);
    free(a);
    free(b);
}

/* __metadata__ "training": what the TUI shows when it opens a checkpoint (issue
 * 12, item 6). It reads back as written; a file without it loads with nothing
 * recorded; each wrong value is refused with the key named. */
Test(checkpoint, training_info_round_trip_and_checks)
{
    ModelConfig cfg = tiny_config();
    Fixture f = fixture_make(&cfg, 3);
    CheckpointInfo info = checkpoint_info_none();
    info.step = info.total_steps = info.val_step = 440;
    info.val_acc = 0.5f;
    info.val_loss = 0.25f;
    snprintf(info.data, sizeof info.data, "toy");
    const char *path = in_tmp("info.safetensors");
    char err[512] = "";
    cr_assert_eq(checkpoint_save_info(path, f.model, &f.tc, f.vocab, f.labels, f.num_labels, &info,
                                      err, sizeof err), 0, "%s", err);
    Checkpoint c;
    cr_assert_eq(checkpoint_load(path, &c, err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.info.step, 440);
    cr_expect_eq(c.info.total_steps, 440);
    cr_expect_eq(c.info.val_step, 440);
    cr_expect_eq(c.info.val_acc, 0.5f);
    cr_expect_eq(c.info.val_loss, 0.25f);
    cr_expect_str_eq(c.info.data, "toy");
    checkpoint_free(&c);

    info.val_loss = NAN; /* not known (a best model saved after later passes): left out */
    info.data[0] = '\0';
    cr_assert_eq(checkpoint_save_info(path, f.model, &f.tc, f.vocab, f.labels, f.num_labels, &info,
                                      err, sizeof err), 0, "%s", err);
    cr_assert_eq(checkpoint_load(path, &c, err, sizeof err), 0, "%s", err);
    cr_expect(isnan(c.info.val_loss));
    cr_expect_str_eq(c.info.data, "");
    checkpoint_free(&c);

    fixture_save(&f, path); /* no info: nothing recorded */
    cr_assert_eq(checkpoint_load(path, &c, err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.info.step, -1);
    cr_expect_eq(c.info.val_step, -1);
    checkpoint_free(&c);

    info.val_loss = 0.25f;
    snprintf(info.data, sizeof info.data, "toy");
    struct { const char *from, *to, *expect; } cases[] = {
        {"\\\"step\\\":440", "\\\"step\\\":4.5", "training: key 'step' must be a non-negative integer"},
        {"\\\"val_accuracy\\\":0.5", "\\\"val_accuracy\\\":1.5",
         "training: key 'val_accuracy' must be a number in [0, 1]"},
        {"\\\"val_loss\\\":0.25", "\\\"val_loss\\\":-0.2", "training: key 'val_loss' must be a number"},
        {"\\\"val_step\\\":440", "\\\"vXl_step\\\":440", "'val_step' and 'val_accuracy' go together"},
        {"{\\\"step", "[\\\"step", "__metadata__ key 'training' is not a JSON object"},
        {"\\\"toy\\\"", "1234567", "training: key 'data' must be a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(checkpoint_save_info(path, f.model, &f.tc, f.vocab, f.labels, f.num_labels,
                                          &info, err, sizeof err), 0, "%s", err);
        size_t len;
        unsigned char *buf = read_file(path, &len);
        patch_header(buf, "\"training\"", cases[i].from, cases[i].to);
        write_file(path, buf, len);
        free(buf);
        expect_load_error(path, cases[i].expect);
    }
    fixture_free(&f);
}
