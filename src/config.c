/* INI configuration over inih: one table of keys drives parsing, range checks,
 * error messages, printing and the listing of keys. */
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

/* Enum fields are stored through an int. */
_Static_assert(sizeof(LayerNormKind) == sizeof(int), "enum size");
_Static_assert(sizeof(PosEncodingKind) == sizeof(int), "enum size");
_Static_assert(sizeof(PoolingKind) == sizeof(int), "enum size");
_Static_assert(sizeof(OptimKind) == sizeof(int), "enum size");
_Static_assert(sizeof(LrScheduleKind) == sizeof(int), "enum size");
_Static_assert(sizeof(TokenizerKind) == sizeof(int), "enum size");
_Static_assert(sizeof(TrainSaveKind) == sizeof(int), "enum size");

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

    c.data.val_fraction = 0.1f;
    c.data.tokenizer = (TokenizerConfig){TOKENIZER_WORDS, true};
    c.data.min_freq = 1;
    c.data.max_vocab = 20000;
    c.data.length_buckets = true;

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
    const char *const *choices; /* T_ENUM (index = value), T_STRING (optional); NULL-ended */
    size_t size;               /* T_STRING: buffer size */
} Key;

static const char *const LAYERNORMS[] = {"workshop", "standard", NULL};
static const char *const POS_ENCODINGS[] = {"sinusoidal", "learned", NULL};
static const char *const POOLINGS[] = {"mean", "max", NULL};
static const char *const OPTIMIZERS[] = {"adam", "adamw", NULL};
static const char *const SCHEDULES[] = {"constant", "warmup_cosine", NULL};
static const char *const SAVES[] = {"last", "best", NULL};
static const char *const TOKENIZERS[] = {"whitespace", "words", NULL};
static const char *const LANGS[] = {"auto", "en", "fr", NULL};
static const char *const SECTIONS[] = {"model", "train", "data", "ui", NULL};

#define OFF(field) offsetof(AppConfig, field)
#define INT(s, n, f, l, h, a) {{s, n, a}, T_INT, OFF(f), l, h, false, false, false, NULL, 0}
#define INT0(s, n, f, l, h, a) {{s, n, a}, T_INT, OFF(f), l, h, false, false, true, NULL, 0}
#define FLT(s, n, f, l, lo_open, h, hi_open, a) \
    {{s, n, a}, T_FLOAT, OFF(f), l, h, lo_open, hi_open, false, NULL, 0}
#define BOOL(s, n, f) {{s, n, "true or false"}, T_BOOL, OFF(f), 0, 0, false, false, false, NULL, 0}
#define ENUM(s, n, f, c, a) {{s, n, a}, T_ENUM, OFF(f), 0, 0, false, false, false, c, 0}
#define STR(s, n, f, c, a) \
    {{s, n, a}, T_STRING, OFF(f), 0, 0, false, false, false, c, sizeof(((AppConfig *)0)->f)}

static const Key KEYS[] = {
    INT("model", "d_model", model.d_model, 2, 4096, "an even integer from 2 to 4096"),
    INT("model", "num_heads", model.num_heads, 1, 256, "an integer from 1 to 256 that divides d_model"),
    INT("model", "d_ff", model.d_ff, 1, 65536, "an integer from 1 to 65536"),
    INT("model", "num_layers", model.num_layers, 1, 64, "an integer from 1 to 64"),
    INT("model", "max_len", model.max_len, 1, 5000, "an integer from 1 to 5000"),
    FLT("model", "dropout", model.dropout, 0, false, 1, true, "a number in [0, 1)"),
    FLT("model", "embedding_dropout", model.embedding_dropout, -1, false, 1, true,
        "-1 (same as dropout) or a number in [0, 1)"),
    ENUM("model", "layernorm", model.layernorm, LAYERNORMS, "workshop, standard"),
    ENUM("model", "pos_encoding", model.pos_encoding, POS_ENCODINGS, "sinusoidal, learned"),
    BOOL("model", "pad_mask", model.pad_mask),
    BOOL("model", "causal", model.causal),
    ENUM("model", "pooling", model.pooling, POOLINGS, "mean, max"),

    INT("train", "epochs", train.epochs, 1, 1000000, "an integer from 1 to 1000000"),
    INT("train", "batch_size", train.batch_size, 1, 65536, "an integer from 1 to 65536"),
    {{"train", "seed", "an integer from 0 to 18446744073709551615"}, T_U64, OFF(train.seed),
     0, 0, false, false, false, NULL, 0},
    ENUM("train", "optimizer", train.optim.kind, OPTIMIZERS, "adam, adamw"),
    FLT("train", "lr", train.optim.lr, 0, true, 10, false, "a number in (0, 10]"),
    FLT("train", "beta1", train.optim.beta1, 0, false, 1, true, "a number in [0, 1)"),
    FLT("train", "beta2", train.optim.beta2, 0, false, 1, true, "a number in [0, 1)"),
    FLT("train", "eps", train.optim.eps, 0, true, 1, false, "a number in (0, 1]"),
    FLT("train", "weight_decay", train.optim.weight_decay, 0, false, 10, false, "a number in [0, 10]"),
    FLT("train", "clip_norm", train.optim.clip_norm, 0, false, 1e6, false,
        "0 (no clipping) or a number up to 1e6"),
    ENUM("train", "schedule", train.schedule, SCHEDULES, "constant, warmup_cosine"),
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
    ENUM("train", "save", train.save, SAVES, "last, best"),

    STR("data", "train", data.train_path, NULL, "a .tsv or .csv file, or empty for the embedded dataset"),
    STR("data", "val", data.val_path, NULL, "a .tsv or .csv file, or empty to split from train"),
    FLT("data", "val_fraction", data.val_fraction, 0, false, 0.9, false, "a number in [0, 0.9]"),
    ENUM("data", "tokenizer", data.tokenizer.kind, TOKENIZERS, "whitespace, words"),
    BOOL("data", "lowercase", data.tokenizer.lowercase),
    INT("data", "min_freq", data.min_freq, 1, 1000000000, "an integer >= 1"),
    INT0("data", "max_vocab", data.max_vocab, 3, 10000000, "0 (unlimited) or an integer from 3 to 10000000"),
    BOOL("data", "length_buckets", data.length_buckets),

    INT("ui", "fps", ui.fps, 1, 120, "an integer from 1 to 120"),
    FLT("ui", "pace", ui.pace, 0, false, 10000, false, "0 (no limit) or steps per second up to 10000"),
    STR("ui", "lang", ui.lang, LANGS, "auto, en, fr"),
    STR("ui", "sentence", ui.sentence, NULL, "a sentence of at most 255 bytes"),
};
#define NUM_KEYS ((int)(sizeof KEYS / sizeof KEYS[0]))

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

#define KEY_ERROR(...) do { snprintf(err, err_len, __VA_ARGS__); return -1; } while (0)

/* Parses value into cfg for key k; err gets "problem (allowed: ...)". */
static int set_value(AppConfig *cfg, const Key *k, const char *value, char *err, size_t err_len)
{
    char *field = (char *)cfg + k->offset;
    const char *allowed = k->info.allowed;
    char *end;
    switch (k->type) {
    case T_INT: {
        errno = 0;
        long v = strtol(value, &end, 10);
        if (end == value || *end) KEY_ERROR("\"%s\" is not an integer (allowed: %s)", value, allowed);
        if (errno == ERANGE || !in_range(k, (double)v))
            KEY_ERROR("%s is out of range (allowed: %s)", value, allowed);
        int iv = (int)v;
        memcpy(field, &iv, sizeof iv);
        return 0;
    }
    case T_U64: {
        const char *p = value;
        while (*p >= '0' && *p <= '9') p++;
        if (p == value || *p) KEY_ERROR("\"%s\" is not an integer (allowed: %s)", value, allowed);
        errno = 0;
        unsigned long long v = strtoull(value, NULL, 10);
        if (errno == ERANGE) KEY_ERROR("%s is out of range (allowed: %s)", value, allowed);
        uint64_t uv = (uint64_t)v;
        memcpy(field, &uv, sizeof uv);
        return 0;
    }
    case T_FLOAT: {
        errno = 0;
        double v = strtod(value, &end);
        if (end == value || *end || isnan(v)) KEY_ERROR("\"%s\" is not a number (allowed: %s)", value, allowed);
        float fv = (float)v;
        if (!isfinite(fv) || !in_range(k, fv)) KEY_ERROR("%s is out of range (allowed: %s)", value, allowed);
        memcpy(field, &fv, sizeof fv);
        return 0;
    }
    case T_BOOL: {
        static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
        for (int i = 0; i < 4; i++) {
            if (strcasecmp(value, yes[i]) == 0) { *(bool *)field = true; return 0; }
            if (strcasecmp(value, no[i]) == 0) { *(bool *)field = false; return 0; }
        }
        KEY_ERROR("\"%s\" is not a boolean (allowed: %s)", value, allowed);
    }
    case T_ENUM:
        for (int i = 0; k->choices[i]; i++)
            if (strcmp(value, k->choices[i]) == 0) { memcpy(field, &i, sizeof i); return 0; }
        KEY_ERROR("\"%s\" is not allowed (allowed: %s)", value, allowed);
    case T_STRING: {
        size_t n = strlen(value);
        if (k->choices) {
            bool ok = false;
            for (int i = 0; k->choices[i] && !ok; i++) ok = strcmp(value, k->choices[i]) == 0;
            if (!ok) KEY_ERROR("\"%s\" is not allowed (allowed: %s)", value, allowed);
        }
        if (n >= k->size) KEY_ERROR("value too long (%zu bytes; allowed: %s)", n, allowed);
        memcpy(field, value, n + 1);
        return 0;
    }
    }
    KEY_ERROR("internal error: bad key type");
}

/* Shortest "%g" spelling that reads back as the same float. */
static void format_float(float v, char *out, size_t out_len)
{
    if (out == NULL || out_len == 0) return;
    for (int digits = 6; digits <= 9; digits++) {
        snprintf(out, out_len, "%.*g", digits, (double)v);
        if (strtof(out, NULL) == v) return;
    }
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
        format_float(v, out, out_len);
        return;
    }
    case T_BOOL: {
        unsigned char b;
        memcpy(&b, field, 1);
        snprintf(out, out_len, "%s", b ? "true" : "false");
        return;
    }
    case T_ENUM: {
        int v, n = 0;
        memcpy(&v, field, sizeof v);
        while (k->choices[n]) n++;
        if (v >= 0 && v < n) snprintf(out, out_len, "%s", k->choices[v]);
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

int app_config_set(AppConfig *cfg, const char *section, const char *key, const char *value,
                   char *err, size_t err_len)
{
    char problem[512];
    if (!known_section(section)) {
        snprintf(err, err_len, "%s.%s: unknown section [%s] (allowed: model, train, data, ui)",
                 section, key, section);
        return -1;
    }
    const Key *k = find_key(section, key);
    if (!k) {
        char names[512] = "";
        for (int i = 0; i < NUM_KEYS; i++) {
            if (strcmp(KEYS[i].info.section, section) != 0) continue;
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", KEYS[i].info.name);
        }
        snprintf(err, err_len, "%s.%s: unknown key (allowed in [%s]: %s)", section, key, section, names);
        return -1;
    }
    if (set_value(cfg, k, value, problem, sizeof problem) != 0) {
        snprintf(err, err_len, "%s.%s: %s", section, key, problem);
        return -1;
    }
    return 0;
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
        n = snprintf(used < out_len ? out + used : NULL, used < out_len ? out_len - used : 0,
                     "%s = %s\n", KEYS[i].info.name, value);
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

static void ini_error(IniParse *ps, const char *fmt, ...)
{
    if (ps->err_line) return; /* keep the first */
    ps->err_line = ps->line;
    int n = snprintf(ps->err, ps->err_len, "%s:%d: ", ps->name, ps->line);
    if (n < 0 || (size_t)n >= ps->err_len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err + n, ps->err_len - (size_t)n, fmt, ap);
    va_end(ap);
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
    if (len + 1 > (size_t)num) {
        ini_error(ps, "line longer than %d characters (allowed: shorter lines)", num - 3);
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
    if (app_config_set(ps->cfg, section, name, value, msg, sizeof msg) != 0) {
        ini_error(ps, "%s", msg);
        return 0;
    }
    return 1;
}

int app_config_parse(AppConfig *cfg, const char *name, const char *text, char *err, size_t err_len)
{
    char scratch[8];
    if (!err) { err = scratch; err_len = sizeof scratch; }
    IniParse ps = {cfg, name, text, 0, 0, err, err_len};
    if (strncmp(ps.p, "\xEF\xBB\xBF", 3) == 0) ps.p += 3; /* UTF-8 BOM */
    int ret = ini_parse_stream(ini_read_line, &ps, ini_on_key, &ps);
    if (ret == -2) {
        snprintf(err, err_len, "%s: out of memory", name);
        return -1;
    }
    if (ret > 0 && (!ps.err_line || ret < ps.err_line)) {
        snprintf(err, err_len, "%s:%d: syntax error (allowed: [section], key = value, ; comment)", name, ret);
        return -1;
    }
    return ps.err_line ? -1 : 0;
}

int app_config_load(AppConfig *cfg, const char *path, char *err, size_t err_len)
{
    char scratch[8];
    if (!err) { err = scratch; err_len = sizeof scratch; }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    enum { MAX_CONFIG_BYTES = 1 << 20 };
    char *text = malloc(MAX_CONFIG_BYTES + 1);
    if (!text) {
        fclose(f);
        snprintf(err, err_len, "%s: out of memory", path);
        return -1;
    }
    size_t n = fread(text, 1, MAX_CONFIG_BYTES + 1, f);
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed || n > MAX_CONFIG_BYTES) {
        snprintf(err, err_len, failed ? "%s: read error" : "%s: larger than 1 MiB", path);
        free(text);
        return -1;
    }
    text[n] = '\0';
    if (strlen(text) != n) {
        snprintf(err, err_len, "%s: contains a NUL byte (not an INI text file)", path);
        free(text);
        return -1;
    }
    int rc = app_config_parse(cfg, path, text, err, err_len);
    free(text);
    return rc;
}

/* ------------------------------------------------------------ validation */

int app_config_validate(const AppConfig *cfg, char *err, size_t err_len)
{
    char scratch[8];
    if (!err) { err = scratch; err_len = sizeof scratch; }
    /* Every key within its own range: print it and read it back. */
    AppConfig copy = *cfg;
    for (int i = 0; i < NUM_KEYS; i++) {
        char value[1100], msg[1024];
        get_value(cfg, &KEYS[i], value, sizeof value);
        if (set_value(&copy, &KEYS[i], value, msg, sizeof msg) != 0) {
            snprintf(err, err_len, "config: %s.%s: %s", KEYS[i].info.section, KEYS[i].info.name, msg);
            return -1;
        }
    }
    const ModelConfig *m = &cfg->model;
    if (m->d_model % 2 != 0)
        KEY_ERROR("config: model.d_model = %d: must be even (the classifier's hidden layer is d_model/2)",
                  m->d_model);
    if (m->d_model % m->num_heads != 0)
        KEY_ERROR("config: model.num_heads = %d must divide model.d_model = %d (allowed: %s)", m->num_heads,
                  m->d_model, "a divisor of d_model");
    if (cfg->train.min_lr > cfg->train.optim.lr)
        KEY_ERROR("config: train.min_lr = %g is larger than train.lr = %g (allowed: min_lr <= lr)",
                  (double)cfg->train.min_lr, (double)cfg->train.optim.lr);
    char model_err[256];
    if (model_config_validate(m, model_err, sizeof model_err) != 0)
        KEY_ERROR("config: model: %s", model_err);
    return 0;
}
