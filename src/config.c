/* INI configuration over inih: one table of keys drives parsing, range checks,
 * error messages, printing and the listing of keys. Enum values and floats are
 * spelled by spelling.h, as in checkpoints. */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "assets.h"
#include "dataset.h"
#include "errors.h"
#include "files.h"
#include "spelling.h"

/* The longest line inih's buffer (INI_MAX_LINE) holds with "\r\n" and the NUL:
 * the limit of a line read, and of a line app_config_to_ini writes. */
#define CONFIG_MAX_LINE_CHARS (INI_MAX_LINE - 3)

/* Enum fields are stored through an int. */
_Static_assert(sizeof(LayerNormKind) == sizeof(int), "enum size");
_Static_assert(sizeof(PosEncodingKind) == sizeof(int), "enum size");
_Static_assert(sizeof(PoolingKind) == sizeof(int), "enum size");
_Static_assert(sizeof(OptimKind) == sizeof(int), "enum size");
_Static_assert(sizeof(LrScheduleKind) == sizeof(int), "enum size");
_Static_assert(sizeof(TokenizerKind) == sizeof(int), "enum size");
_Static_assert(sizeof(TrainSaveKind) == sizeof(int), "enum size");
_Static_assert(sizeof(ModelTask) == sizeof(int), "enum size");
_Static_assert(sizeof(NormPlacement) == sizeof(int), "enum size");
_Static_assert(sizeof(SyntheticTask) == sizeof(int), "enum size");

AppConfig app_config_default(void)
{
    AppConfig c;
    memset(&c, 0, sizeof c);
    /* The workshop's layer (d 64, 4 heads, d_ff 256, Adam 1e-3) but 2 layers instead
     * of 7: on the toy data it trains in seconds and generalises at least as well. */
    c.model = model_config_default();
    c.model.num_layers = 2;
    c.model.max_len = 32;
    c.model.dropout = 0.1f;
    c.model.embedding_dropout = -1.0f;
    c.model.layernorm = LAYERNORM_WORKSHOP;
    c.model.pos_encoding = POS_ENCODING_SINUSOIDAL;
    c.model.pad_mask = true;
    c.model.causal = false;
    c.model.pooling = POOLING_MEAN;
    c.model.task = MODEL_TASK_CLASSIFY;
    c.model.norm = NORM_POST;
    c.model.tie_embeddings = false;

    c.train.epochs = 20;
    c.train.batch_size = 16;
    c.train.seed = 42;
    c.train.optim = optim_config_default();
    c.train.optim.kind = OPTIM_ADAM;
    c.train.optim.lr = 1e-3f;
    c.train.optim.clip_norm = 1.0f;
    c.train.schedule = LR_CONSTANT;
    c.train.warmup_fraction = 0.1f;
    c.train.min_lr = 0.0f;
    c.train.label_smoothing = 0.0f;
    c.train.ema_decay = 0.0f;
    c.train.ema_warmup = true;
    c.train.swa_start = 0.0f;
    c.train.eval_every = 0;
    c.train.save_every = 0;
    c.train.threads = 0;
    c.train.word_dropout = 0.0f;
    c.train.word_delete = 0.0f;
    c.train.rare_word_dropout = 0.0f;
    c.train.rare_word_max_count = 1;
    c.train.adversarial_eps = 0.0f;
    c.train.rdrop_alpha = 0.0f;
    c.train.oversample_min_tokens = 0;
    c.train.oversample_extra = 1;
    c.train.embedding_init_std = 1.0f;
    c.train.save = TRAIN_SAVE_LAST;
    c.train.max_steps = 0;

    c.data.val_fraction = 0.1f;
    c.data.tokenizer = (TokenizerConfig){TOKENIZER_WORDS, true};
    c.data.min_freq = 1;
    c.data.max_vocab = 20000;
    c.data.length_buckets = true;
    c.data.max_file_mb = DATASET_DEFAULT_MAX_FILE_MB;
    c.data.synthetic = SYNTHETIC_NONE;

    c.ui.fps = 20;
    c.ui.pace = 15.0f;
    snprintf(c.ui.lang, sizeof c.ui.lang, "auto");
    snprintf(c.ui.sentence, sizeof c.ui.sentence, "this movie is great");
    return c;
}

/* ------------------------------------------------------------- key table */

typedef enum { T_INT, T_FLOAT, T_BOOL, T_ENUM, T_STRING, T_U64 } ValueType;

typedef struct {
    ConfigKeyInfo info;
    ValueType type;
    size_t offset;             /* into AppConfig */
    double lo, hi;             /* T_INT, T_FLOAT: inclusive unless *_open */
    bool lo_open, hi_open;
    bool zero_ok;              /* T_INT: 0 is allowed besides [lo, hi] */
    const EnumNames *choices;  /* T_ENUM (name of each value), T_STRING (optional: the
                                * only strings allowed) */
    size_t size;               /* T_STRING: buffer size */
} Key;

#define LANG_ALLOWED "auto, en, fr"
/* A limit's number inside an "allowed" text. */
#define CONFIG_STRINGIFY_(x) #x
#define CONFIG_STRINGIFY(x) CONFIG_STRINGIFY_(x)
static const char *const LANG_LIST[] = {"auto", "en", "fr"};
static const EnumNames LANGS = {LANG_LIST, 3, LANG_ALLOWED};
static const char *const SECTIONS[] = {"model", "train", "data", "ui", NULL};

#define OFF(field) offsetof(AppConfig, field)
#define INT(s, n, f, l, h, a) {{s, n, a}, T_INT, OFF(f), l, h, false, false, false, NULL, 0}
#define INT0(s, n, f, l, h, a) {{s, n, a}, T_INT, OFF(f), l, h, false, false, true, NULL, 0}
#define FLT(s, n, f, l, lo_open, h, hi_open, a) \
    {{s, n, a}, T_FLOAT, OFF(f), l, h, lo_open, hi_open, false, NULL, 0}
#define BOOL(s, n, f) {{s, n, "true or false"}, T_BOOL, OFF(f), 0, 0, false, false, false, NULL, 0}
/* KIND names spelling.h's KIND_NAMES table and its KIND_ALLOWED text. */
#define ENUM(s, n, f, KIND) \
    {{s, n, KIND##_ALLOWED}, T_ENUM, OFF(f), 0, 0, false, false, false, &KIND##_NAMES, 0}
#define STR(s, n, f, c, a) \
    {{s, n, a}, T_STRING, OFF(f), 0, 0, false, false, false, c, sizeof(((AppConfig *)0)->f)}

static const Key KEYS[] = {
    INT("model", "d_model", model.d_model, 2, 4096, "an even integer from 2 to 4096"),
    INT("model", "num_heads", model.num_heads, 1, 256, "an integer from 1 to 256 that divides d_model"),
    INT("model", "d_ff", model.d_ff, 1, 65536, "an integer from 1 to 65536"),
    INT("model", "num_layers", model.num_layers, 1, MODEL_MAX_LAYERS,
        "an integer from 1 to " CONFIG_STRINGIFY(MODEL_MAX_LAYERS)),
    INT("model", "max_len", model.max_len, 1, 5000, "an integer from 1 to 5000"),
    FLT("model", "dropout", model.dropout, 0, false, 1, true, "a number in [0, 1)"),
    FLT("model", "embedding_dropout", model.embedding_dropout, -1, false, 1, true,
        "-1 (same as dropout) or a number in [0, 1)"),
    ENUM("model", "layernorm", model.layernorm, LAYERNORM),
    ENUM("model", "pos_encoding", model.pos_encoding, POS_ENCODING),
    BOOL("model", "pad_mask", model.pad_mask),
    BOOL("model", "causal", model.causal),
    ENUM("model", "pooling", model.pooling, POOLING),
    ENUM("model", "task", model.task, TASK),
    ENUM("model", "norm", model.norm, NORM),
    BOOL("model", "tie_embeddings", model.tie_embeddings),

    INT("train", "epochs", train.epochs, 1, 1000000, "an integer from 1 to 1000000"),
    INT("train", "batch_size", train.batch_size, 1, 65536, "an integer from 1 to 65536"),
    {{"train", "seed", "an integer from 0 to 18446744073709551615"}, T_U64, OFF(train.seed),
     0, 0, false, false, false, NULL, 0},
    ENUM("train", "optimizer", train.optim.kind, OPTIMIZER),
    FLT("train", "lr", train.optim.lr, 0, true, 10, false, "a number in (0, 10]"),
    FLT("train", "beta1", train.optim.beta1, 0, false, 1, true, "a number in [0, 1)"),
    FLT("train", "beta2", train.optim.beta2, 0, false, 1, true, "a number in [0, 1)"),
    FLT("train", "eps", train.optim.eps, 0, true, 1, false, "a number in (0, 1]"),
    FLT("train", "weight_decay", train.optim.weight_decay, 0, false, 10, false, "a number in [0, 10]"),
    FLT("train", "clip_norm", train.optim.clip_norm, 0, false, 1e6, false,
        "0 (no clipping) or a number up to 1e6"),
    ENUM("train", "schedule", train.schedule, SCHEDULE),
    FLT("train", "warmup_fraction", train.warmup_fraction, 0, false, 1, false, "a number in [0, 1]"),
    FLT("train", "min_lr", train.min_lr, 0, false, 10, false, "a number in [0, 10], at most lr"),
    FLT("train", "label_smoothing", train.label_smoothing, 0, false, 1, true, "a number in [0, 1)"),
    FLT("train", "ema_decay", train.ema_decay, 0, false, 1, true, "0 (off) or a number in (0, 1)"),
    BOOL("train", "ema_warmup", train.ema_warmup),
    FLT("train", "swa_start", train.swa_start, 0, false, 1, true,
        "0 (off) or a fraction of the run in (0, 1)"),
    INT("train", "eval_every", train.eval_every, 0, 1000000000, "0 (once per epoch) or a number of steps"),
    INT("train", "save_every", train.save_every, 0, 1000000000, "0 (only at the end) or a number of steps"),
    INT("train", "threads", train.threads, 0, 256, "0 (OpenBLAS default) or an integer up to 256"),
    FLT("train", "word_dropout", train.word_dropout, 0, false, 1, true, "a number in [0, 1)"),
    FLT("train", "rare_word_dropout", train.rare_word_dropout, 0, false, 1, true,
        "0 (off) or a number in [0, 1)"),
    INT("train", "rare_word_max_count", train.rare_word_max_count, 1, 1000000000, "an integer >= 1"),
    FLT("train", "word_delete", train.word_delete, 0, false, 1, true, "a number in [0, 1)"),
    INT("train", "oversample_min_tokens", train.oversample_min_tokens, 0, 1000000,
        "0 (off) or a number of tokens"),
    INT("train", "oversample_extra", train.oversample_extra, 1, 100, "an integer from 1 to 100"),
    FLT("train", "rdrop_alpha", train.rdrop_alpha, 0, false, 1000, false,
        "0 (off) or a number up to 1000"),
    FLT("train", "adversarial_eps", train.adversarial_eps, 0, false, 1000, false,
        "0 (off) or a number up to 1000"),
    FLT("train", "embedding_init_std", train.embedding_init_std, 0, true, 100, false,
        "a number in (0, 100]"),
    ENUM("train", "save", train.save, SAVE),
    INT("train", "max_steps", train.max_steps, 0, 1000000000,
        "0 (the epochs decide) or the most optimizer steps"),

    STR("data", "train", data.train_path, NULL, "a .tsv or .csv file, or empty for the embedded dataset"),
    STR("data", "val", data.val_path, NULL, "a .tsv or .csv file, or empty to split from train"),
    FLT("data", "val_fraction", data.val_fraction, 0, false, 0.9, false, "a number in [0, 0.9]"),
    STR("data", "label_names", data.label_names, NULL,
        "empty, or 2 to 64 class names in id order, comma-separated, e.g. negative,positive"),
    ENUM("data", "tokenizer", data.tokenizer.kind, TOKENIZER),
    BOOL("data", "lowercase", data.tokenizer.lowercase),
    INT("data", "min_freq", data.min_freq, 1, 1000000000, "an integer >= 1"),
    INT0("data", "max_vocab", data.max_vocab, 3, 10000000, "0 (unlimited) or an integer from 3 to 10000000"),
    BOOL("data", "length_buckets", data.length_buckets),
    INT("data", "max_file_mb", data.max_file_mb, 1, 1048576, "an integer from 1 to 1048576 (MiB)"),
    ENUM("data", "synthetic", data.synthetic, SYNTHETIC),

    INT("ui", "fps", ui.fps, 1, 120, "an integer from 1 to 120"),
    FLT("ui", "pace", ui.pace, 0, false, 10000, false, "0 (no limit) or steps per second up to 10000"),
    STR("ui", "lang", ui.lang, &LANGS, LANG_ALLOWED),
    STR("ui", "sentence", ui.sentence, NULL, "a sentence of at most 255 bytes"),
};
#define NUM_KEYS ((int)(sizeof KEYS / sizeof KEYS[0]))
_Static_assert(sizeof KEYS / sizeof KEYS[0] <= CONFIG_MAX_KEYS, "ConfigOrigins too small");

int app_config_num_keys(void) { return NUM_KEYS; }

const ConfigKeyInfo *app_config_key(int i)
{
    return i >= 0 && i < NUM_KEYS ? &KEYS[i].info : NULL;
}

static const Key *find_key(const char *section, const char *name)
{
    for (int i = 0; i < NUM_KEYS; i++)
        if (strcmp(KEYS[i].info.section, section) == 0 && strcmp(KEYS[i].info.name, name) == 0)
            return &KEYS[i];
    return NULL;
}

static bool known_section(const char *section)
{
    for (int i = 0; SECTIONS[i]; i++)
        if (strcmp(SECTIONS[i], section) == 0) return true;
    return false;
}

/* --------------------------------------------------------- set and get */

static bool in_range(const Key *k, double v)
{
    if (k->zero_ok && v == 0) return true;
    if (k->lo_open ? !(v > k->lo) : !(v >= k->lo)) return false;
    if (k->hi_open ? !(v < k->hi) : !(v <= k->hi)) return false;
    return true;
}

static int set_int(char *field, const Key *k, const char *value, char *err, size_t err_len)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (end == value || *end)
        return errorf(err, err_len, "\"%s\" is not an integer (allowed: %s)", value, k->info.allowed);
    if (errno == ERANGE || !in_range(k, (double)v))
        return errorf(err, err_len, "%s is out of range (allowed: %s)", value, k->info.allowed);
    int iv = (int)v;
    memcpy(field, &iv, sizeof iv);
    return 0;
}

static int set_u64(char *field, const Key *k, const char *value, char *err, size_t err_len)
{
    const char *p = value;
    while (*p >= '0' && *p <= '9') p++;
    if (p == value || *p)
        return errorf(err, err_len, "\"%s\" is not an integer (allowed: %s)", value, k->info.allowed);
    errno = 0;
    unsigned long long v = strtoull(value, NULL, 10);
    if (errno == ERANGE)
        return errorf(err, err_len, "%s is out of range (allowed: %s)", value, k->info.allowed);
    uint64_t uv = (uint64_t)v;
    memcpy(field, &uv, sizeof uv);
    return 0;
}

/* Read as spelling.h's float_to_text expects: strtod, then rounded to float. */
static int set_float(char *field, const Key *k, const char *value, char *err, size_t err_len)
{
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (end == value || *end || isnan(v))
        return errorf(err, err_len, "\"%s\" is not a number (allowed: %s)", value, k->info.allowed);
    float fv = (float)v;
    if (!isfinite(fv) || !in_range(k, fv))
        return errorf(err, err_len, "%s is out of range (allowed: %s)", value, k->info.allowed);
    memcpy(field, &fv, sizeof fv);
    return 0;
}

static int set_bool(char *field, const Key *k, const char *value, char *err, size_t err_len)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(value, yes[i]) == 0) { *(bool *)field = true; return 0; }
        if (strcasecmp(value, no[i]) == 0) { *(bool *)field = false; return 0; }
    }
    return errorf(err, err_len, "\"%s\" is not a boolean (allowed: %s)", value, k->info.allowed);
}

static int set_string(char *field, const Key *k, const char *value, char *err, size_t err_len)
{
    size_t n = strlen(value);
    if (k->choices && enum_value(k->choices, value) < 0)
        return errorf(err, err_len, "\"%s\" is not allowed (allowed: %s)", value, k->info.allowed);
    if (n >= k->size)
        return errorf(err, err_len, "value too long (%zu bytes; allowed: %s)", n, k->info.allowed);
    memcpy(field, value, n + 1);
    return 0;
}

/* Parses value into cfg for key k; err gets "problem (allowed: ...)". */
static int set_value(AppConfig *cfg, const Key *k, const char *value, char *err, size_t err_len)
{
    char *field = (char *)cfg + k->offset;
    switch (k->type) {
    case T_INT: return set_int(field, k, value, err, err_len);
    case T_U64: return set_u64(field, k, value, err, err_len);
    case T_FLOAT: return set_float(field, k, value, err, err_len);
    case T_BOOL: return set_bool(field, k, value, err, err_len);
    case T_ENUM: {
        int v = enum_value(k->choices, value);
        if (v < 0)
            return errorf(err, err_len, "\"%s\" is not allowed (allowed: %s)", value, k->info.allowed);
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case T_STRING: return set_string(field, k, value, err, err_len);
    }
    return errorf(err, err_len, "internal error: bad key type");
}

static void get_value(const AppConfig *cfg, const Key *k, char *out, size_t out_len)
{
    const char *field = (const char *)cfg + k->offset;
    switch (k->type) {
    case T_INT: {
        int v;
        memcpy(&v, field, sizeof v);
        snprintf(out, out_len, "%d", v);
        return;
    }
    case T_U64: {
        uint64_t v;
        memcpy(&v, field, sizeof v);
        snprintf(out, out_len, "%llu", (unsigned long long)v);
        return;
    }
    case T_FLOAT: {
        float v;
        memcpy(&v, field, sizeof v);
        float_to_text(v, out, out_len);
        return;
    }
    case T_BOOL: {
        unsigned char b;
        memcpy(&b, field, 1);
        snprintf(out, out_len, "%s", b ? "true" : "false");
        return;
    }
    case T_ENUM: {
        int v;
        memcpy(&v, field, sizeof v);
        const char *name = enum_name(k->choices, v);
        if (name) snprintf(out, out_len, "%s", name);
        else snprintf(out, out_len, "%d", v); /* invalid: shown, and rejected by validate */
        return;
    }
    case T_STRING: {
        size_t n = 0;
        while (n < k->size && field[n]) n++; /* bounded: the field may lack a NUL */
        snprintf(out, out_len, "%.*s", (int)n, field);
        return;
    }
    }
}

/* ------------------------------------------------- where keys were set */

/* FNV-1a over the key's value as stored (a string up to its NUL). */
static uint64_t value_hash(const AppConfig *cfg, const Key *k)
{
    const unsigned char *field = (const unsigned char *)cfg + k->offset;
    size_t n = k->type == T_STRING ? strnlen((const char *)field, k->size)
             : k->type == T_U64    ? sizeof(uint64_t)
             : k->type == T_BOOL   ? sizeof(bool)
                                   : sizeof(int); /* T_INT, T_ENUM, T_FLOAT */
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ field[i]) * 1099511628211ULL;
    return h;
}

static void note_origin(AppConfig *cfg, const Key *k, int line)
{
    int i = (int)(k - KEYS);
    cfg->origins.line[i] = line;
    cfg->origins.value_hash[i] = line != 0 ? value_hash(cfg, k) : 0;
}

/* A new file's lines replace those of another file (one file name is kept). */
static void origins_start_file(AppConfig *cfg, const char *name)
{
    ConfigOrigins *o = &cfg->origins;
    if (strncmp(o->file, name, sizeof o->file) == 0) return;
    memset(o, 0, sizeof *o);
    size_t n = strlen(name);
    if (n < sizeof o->file) memcpy(o->file, name, n + 1);
}

/* The file line that set k's current value, or 0. */
static int origin_line(const AppConfig *cfg, const Key *k)
{
    const ConfigOrigins *o = &cfg->origins;
    int i = (int)(k - KEYS);
    bool current = o->file[0] && o->line[i] > 0 && o->value_hash[i] == value_hash(cfg, k);
    return current ? o->line[i] : 0;
}

/* "file:line: " of the line that set key a; when a still has its built-in default,
 * of the line that set key b (the other side of the conflict; may be NULL); else
 * "config: " (a value from the command line or the TUI form has no line). */
static void origin_prefix(const AppConfig *cfg, const Key *a, const Key *b, char *out, size_t out_len)
{
    int line = origin_line(cfg, a);
    if (line == 0 && b) {
        const AppConfig def = app_config_default();
        if (value_hash(&def, a) == value_hash(cfg, a)) line = origin_line(cfg, b);
    }
    if (line > 0)
        snprintf(out, out_len, "%.*s:%d: ", (int)strnlen(cfg->origins.file, sizeof cfg->origins.file),
                 cfg->origins.file, line);
    else
        snprintf(out, out_len, "config: ");
}

/* Sets a key from a file line (line > 0), the command line (CONFIG_LINE_COMMAND)
 * or elsewhere (0). */
static int set_key(AppConfig *cfg, const char *section, const char *key, const char *value,
                   int line, char *err, size_t err_len)
{
    char problem[512];
    if (!known_section(section))
        return errorf(err, err_len, "%s.%s: unknown section [%s] (allowed: model, train, data, ui)",
                      section, key, section);
    const Key *k = find_key(section, key);
    if (!k) {
        char names[512] = "";
        for (int i = 0; i < NUM_KEYS; i++) {
            if (strcmp(KEYS[i].info.section, section) != 0) continue;
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", KEYS[i].info.name);
        }
        return errorf(err, err_len, "%s.%s: unknown key (allowed in [%s]: %s)", section, key, section,
                      names);
    }
    if (set_value(cfg, k, value, problem, sizeof problem) != 0)
        return errorf(err, err_len, "%s.%s: %s", section, key, problem);
    note_origin(cfg, k, line);
    return 0;
}

int app_config_set(AppConfig *cfg, const char *section, const char *key, const char *value,
                   char *err, size_t err_len)
{
    return set_key(cfg, section, key, value, CONFIG_LINE_COMMAND, err, err_len);
}

bool app_config_is_set(const AppConfig *cfg, const char *section, const char *key)
{
    const Key *k = find_key(section, key);
    if (!k)
        return false;
    int i = (int)(k - KEYS);
    return cfg->origins.line[i] != 0 && cfg->origins.value_hash[i] == value_hash(cfg, k);
}

int app_config_check_value(const char *section, const char *key, const char *value,
                           char *problem, size_t problem_len)
{
    const Key *k = find_key(section, key);
    if (!k)
        return errorf(problem, problem_len, "internal error: no key %s.%s", section, key);
    AppConfig scratch = app_config_default();
    return set_value(&scratch, k, value, problem, problem_len);
}

int app_config_get(const AppConfig *cfg, const char *section, const char *key, char *out,
                   size_t out_len)
{
    const Key *k = find_key(section, key);
    if (!k) return -1;
    get_value(cfg, k, out, out_len);
    return 0;
}

size_t app_config_to_ini(const AppConfig *cfg, char *out, size_t out_len)
{
    size_t used = 0;
    const char *section = "";
    for (int i = 0; i < NUM_KEYS; i++) {
        char value[1100];
        get_value(cfg, &KEYS[i], value, sizeof value);
        int n;
        if (strcmp(section, KEYS[i].info.section) != 0) {
            section = KEYS[i].info.section;
            n = snprintf(used < out_len ? out + used : NULL, used < out_len ? out_len - used : 0,
                         "%s[%s]\n", i ? "\n" : "", section);
            used += (size_t)n;
        }
        /* "key = value", or "key=value" where only that reads back as the value:
         * a value that starts with ';' (after a space, inih takes it for a comment)
         * or a line that fits in CONFIG_MAX_LINE_CHARS only without the spaces. A
         * value read from a file was written one of these ways. */
        bool compact = value[0] == ';' ||
                       strlen(KEYS[i].info.name) + 3 + strlen(value) > CONFIG_MAX_LINE_CHARS;
        n = snprintf(used < out_len ? out + used : NULL, used < out_len ? out_len - used : 0,
                     compact ? "%s=%s\n" : "%s = %s\n", KEYS[i].info.name, value);
        used += (size_t)n;
    }
    return used;
}

const char *app_config_default_ini(void) { return (const char *)asset_default_ini; }

/* --------------------------------------------------------------- parsing */

typedef struct {
    AppConfig *cfg;
    const char *name;     /* file name for messages */
    const char *p;        /* next line of the text */
    int line;             /* line most recently handed to inih */
    int err_line;         /* first error we found (0 = none) */
    char *err;
    size_t err_len;
} IniParse;

static void ini_error(IniParse *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports "file:line: problem"; only the first problem counts. */
static void ini_error(IniParse *ps, const char *fmt, ...)
{
    if (ps->err_line) return;
    ps->err_line = ps->line;
    char problem[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    errorf(ps->err, ps->err_len, "%s:%d: %s", ps->name, ps->line, problem);
}

/* inih reader: one line per call. Leading blanks are dropped so that an indented
 * line is never taken for a continuation of the previous value. Section headers
 * are checked here because inih only reports keys. */
static char *ini_read_line(char *str, int num, void *stream)
{
    IniParse *ps = stream;
    if (!*ps->p) return NULL;
    const char *nl = strchr(ps->p, '\n');
    size_t len = nl ? (size_t)(nl - ps->p) + 1 : strlen(ps->p);
    const char *start = ps->p;
    ps->p += len;
    ps->line++;
    while (len > 0 && (*start == ' ' || *start == '\t')) { start++; len--; }
    /* The characters of the line, without its "\n" or "\r\n": at most
     * CONFIG_MAX_LINE_CHARS whether or not the line ends in a newline. */
    size_t chars = len;
    if (chars > 0 && start[chars - 1] == '\n') chars--;
    if (chars > 0 && start[chars - 1] == '\r') chars--;
    if (chars > CONFIG_MAX_LINE_CHARS || len + 1 > (size_t)num) {
        ini_error(ps, "line longer than %d characters (allowed: shorter lines)", CONFIG_MAX_LINE_CHARS);
        snprintf(str, (size_t)num, "\n");
        return str;
    }
    memcpy(str, start, len);
    str[len] = '\0';
    if (str[0] == '[') {
        const char *close = strchr(str, ']');
        if (close) {
            char section[64];
            snprintf(section, sizeof section, "%.*s", (int)(close - str - 1), str + 1);
            if (!known_section(section))
                ini_error(ps, "unknown section [%s] (allowed: model, train, data, ui)", section);
        }
    }
    return str;
}

static int ini_on_key(void *user, const char *section, const char *name, const char *value)
{
    IniParse *ps = user;
    if (ps->err_line) return 1; /* report only the first problem */
    if (!section[0]) {
        ini_error(ps, "%s: key outside a section (allowed sections: model, train, data, ui)", name);
        return 0;
    }
    if (!known_section(section)) return 1; /* already reported at the header */
    char msg[1024];
    if (set_key(ps->cfg, section, name, value, ps->line, msg, sizeof msg) != 0) {
        ini_error(ps, "%s", msg);
        return 0;
    }
    return 1;
}

int app_config_parse(AppConfig *cfg, const char *name, const char *text, char *err, size_t err_len)
{
    IniParse ps = {cfg, name, text, 0, 0, err, err_len};
    origins_start_file(cfg, name);
    if (strncmp(ps.p, "\xEF\xBB\xBF", 3) == 0) ps.p += 3; /* UTF-8 BOM */
    int ret = ini_parse_stream(ini_read_line, &ps, ini_on_key, &ps);
    if (ret == -2)
        return errorf(err, err_len, "%s: out of memory", name);
    if (ret > 0 && (!ps.err_line || ret < ps.err_line))
        return errorf(err, err_len, "%s:%d: syntax error (allowed: [section], key = value, ; comment)",
                      name, ret);
    return ps.err_line ? -1 : 0;
}

int app_config_load(AppConfig *cfg, const char *path, char *err, size_t err_len)
{
    char *text;
    size_t n;
    if (file_read_all(path, CONFIG_MAX_FILE_BYTES, &text, &n, err, err_len) != 0)
        return -1;
    int rc;
    if (strlen(text) != n)
        rc = errorf(err, err_len, "%s: contains a NUL byte (not an INI text file)", path);
    else
        rc = app_config_parse(cfg, path, text, err, err_len);
    free(text);
    return rc;
}

/* ------------------------------------------------------------ validation */

int app_config_label_names(const char *value, char *buf, size_t buf_len, const char **names,
                           int max_names, char *why, size_t why_len)
{
    size_t len = strlen(value);
    if (len >= buf_len)
        return errorf(why, why_len, "too long (%zu bytes)", len);
    memcpy(buf, value, len + 1);
    int n = 0;
    for (char *p = buf; *p || n > 0;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        char *name = p;
        while (*name == ' ' || *name == '\t') name++;
        size_t nl = strlen(name);
        while (nl > 0 && (name[nl - 1] == ' ' || name[nl - 1] == '\t')) name[--nl] = '\0';
        if (!name[0] && (n > 0 || comma))
            return errorf(why, why_len, "name %d is empty", n + 1);
        if (!name[0])
            break; /* the whole value is blank: no names */
        if (n == max_names)
            return errorf(why, why_len, "more than %d names", max_names);
        for (int k = 0; k < n; k++)
            if (strcmp(names[k], name) == 0)
                return errorf(why, why_len, "\"%s\" is named twice", name);
        names[n++] = name;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (n == 1)
        return errorf(why, why_len, "a single name (a classifier has at least 2 classes)");
    return n;
}

/* The keys that only mean something for one task. */
static int validate_lm_keys(const AppConfig *cfg, char *err, size_t err_len)
{
    char at[1100];
    const Key *task = find_key("model", "task");
    if (cfg->model.task == MODEL_TASK_LM && cfg->data.tokenizer.kind != TOKENIZER_CHAR) {
        origin_prefix(cfg, find_key("data", "tokenizer"), task, at, sizeof at);
        return errorf(err, err_len, "%sdata.tokenizer = %s: the language model (model.task = lm) "
                      "needs data.tokenizer = char (word tokens lose the spaces it must write)",
                      at, enum_name(&TOKENIZER_NAMES, cfg->data.tokenizer.kind));
    }
    if (cfg->model.task != MODEL_TASK_LM && cfg->model.tie_embeddings) {
        origin_prefix(cfg, find_key("model", "tie_embeddings"), task, at, sizeof at);
        return errorf(err, err_len, "%smodel.tie_embeddings = true needs model.task = lm (the "
                      "classifier has no output embedding to tie)", at);
    }
    if (cfg->model.task != MODEL_TASK_LM && cfg->data.synthetic != SYNTHETIC_NONE) {
        origin_prefix(cfg, find_key("data", "synthetic"), task, at, sizeof at);
        return errorf(err, err_len, "%sdata.synthetic = %s needs model.task = lm (the synthetic "
                      "tasks are texts to continue)", at,
                      enum_name(&SYNTHETIC_NAMES, cfg->data.synthetic));
    }
    return 0;
}

int app_config_validate(const AppConfig *cfg, char *err, size_t err_len)
{
    char at[1100]; /* "file:line: " or "config: " */
    /* Every key within its own range: print it and read it back. */
    AppConfig copy = *cfg;
    for (int i = 0; i < NUM_KEYS; i++) {
        char value[1100], msg[1024];
        get_value(cfg, &KEYS[i], value, sizeof value);
        if (set_value(&copy, &KEYS[i], value, msg, sizeof msg) != 0) {
            origin_prefix(cfg, &KEYS[i], NULL, at, sizeof at);
            return errorf(err, err_len, "%s%s.%s: %s", at, KEYS[i].info.section, KEYS[i].info.name,
                          msg);
        }
    }
    const ModelConfig *m = &cfg->model;
    const Key *d_model = find_key("model", "d_model"), *num_heads = find_key("model", "num_heads");
    if (m->d_model % 2 != 0) {
        origin_prefix(cfg, d_model, NULL, at, sizeof at);
        return errorf(err, err_len,
                      "%smodel.d_model = %d: must be even (the classifier's hidden layer is d_model/2)",
                      at, m->d_model);
    }
    if (m->d_model % m->num_heads != 0) {
        origin_prefix(cfg, num_heads, d_model, at, sizeof at);
        return errorf(err, err_len, "%smodel.num_heads = %d must divide model.d_model = %d (allowed: %s)",
                      at, m->num_heads, m->d_model, "a divisor of d_model");
    }
    if (cfg->train.min_lr > cfg->train.optim.lr) {
        origin_prefix(cfg, find_key("train", "min_lr"), find_key("train", "lr"), at, sizeof at);
        return errorf(err, err_len, "%strain.min_lr = %g is larger than train.lr = %g (allowed: min_lr <= lr)",
                      at, (double)cfg->train.min_lr, (double)cfg->train.optim.lr);
    }
    char names_buf[sizeof cfg->data.label_names], why[128];
    const char *names[CONFIG_MAX_LABEL_NAMES];
    if (app_config_label_names(cfg->data.label_names, names_buf, sizeof names_buf, names,
                               CONFIG_MAX_LABEL_NAMES, why, sizeof why) < 0) {
        origin_prefix(cfg, find_key("data", "label_names"), NULL, at, sizeof at);
        return errorf(err, err_len, "%sdata.label_names = %s: %s (allowed: %s)", at,
                      cfg->data.label_names, why, find_key("data", "label_names")->info.allowed);
    }
    if (validate_lm_keys(cfg, err, err_len) != 0)
        return -1;
    char model_err[256];
    if (model_config_validate(m, model_err, sizeof model_err) != 0)
        return errorf(err, err_len, "config: model: %s", model_err);
    return 0;
}
