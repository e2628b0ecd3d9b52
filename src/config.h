/* Application configuration: INI sections [model] [train] [data] [ui] (inih),
 * built-in defaults equal to assets/default.ini, command-line overrides.
 *
 * vocab_size and num_classes of [model] are not keys: they come from the data.
 * Comments start with ';' or '#' at the start of a line (or " ;" after a value).
 * inih reads lines of at most 197 characters; a longer line is an error. */
#ifndef MINILLM_CONFIG_H
#define MINILLM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "model/optim.h"
#include "lm_synthetic.h"
#include "text.h"

typedef enum { TRAIN_SAVE_LAST = 0, TRAIN_SAVE_BEST = 1 } TrainSaveKind;

typedef struct {
    int epochs;
    int batch_size;
    uint64_t seed;
    OptimConfig optim;        /* kind, lr, betas, eps, weight_decay, clip_norm */
    LrScheduleKind schedule;
    float warmup_fraction;    /* of total steps, for LR_WARMUP_COSINE */
    float min_lr;
    float label_smoothing;
    float ema_decay;          /* 0 = no weight averaging */
    float swa_start;          /* > 0: uniform average of the weights from this fraction of the
                               * run on (SWA), instead of the EMA; 0 = off */
    bool ema_warmup;          /* decay min(ema_decay, (1+step)/(10+step)); false = ema_decay from step 1 */
    int eval_every;           /* steps between validation passes; 0 = once per epoch */
    int save_every;           /* steps between checkpoint saves; 0 = only at the end */
    int threads;              /* cores (model_set_threads); 0 = OpenBLAS's default */
    float word_dropout;       /* share of training tokens replaced by <UNK> (not PAD); 0 = off */
    float rare_word_dropout;  /* word dropout rate of the rare training words instead; 0 = off */
    int rare_word_max_count;  /* rare = seen at most this many times in the training rows */
    float word_delete;        /* share of training tokens deleted (one is always kept); 0 = off */
    int oversample_min_tokens;/* training rows this long or longer are repeated; 0 = off */
    int oversample_extra;     /* extra copies per epoch of each such row */
    float rdrop_alpha;        /* R-Drop: weight of the symmetric KL of two dropout passes; 0 = off */
    float adversarial_eps;    /* L2 norm per sentence of the adversarial perturbation of the
                               * embedded input (Miyato et al. 2017); 0 = off */
    float embedding_init_std; /* std of the initial token embeddings (PyTorch: 1) */
    TrainSaveKind save;       /* which weights --save writes: the last or the best by validation */
    int max_steps;            /* most optimizer steps (fewer than the epochs would take); 0 = off */
} TrainConfig;

typedef struct {
    char train_path[1024];    /* "" = embedded dataset */
    char val_path[1024];      /* "" = split from train */
    float val_fraction;       /* used when no val file */
    char label_names[256];    /* class names in id order, comma-separated ("negative,positive"):
                               * integer labels are ids into it; "" = the file's own */
    TokenizerConfig tokenizer;
    int min_freq;
    int max_vocab;            /* 0 = unlimited */
    bool length_buckets;      /* batch sentences of similar length together */
    int max_file_mb;          /* a data file above this many MiB is refused unread */
    SyntheticTask synthetic;  /* language model: train on a generated task instead of text */
} DataConfig;

typedef struct {
    int fps;                  /* UI frames per second */
    float pace;               /* most training steps per second in the TUI; 0 = no limit */
    char lang[8];             /* "en", "fr", or "auto" (locale) */
    char sentence[256];       /* sentence shown at start in the attention view */
} UiConfig;

/* Where the keys' values were set by a config file, so that a check across keys
 * (app_config_validate) names the line to fix: "my.ini:7: model.num_heads = 5 ...". */
#define CONFIG_MAX_KEYS 64
/* ConfigOrigins.line of a key set by app_config_set (--set): no file line. */
#define CONFIG_LINE_COMMAND (-1)
typedef struct {
    char file[1024];                      /* of the last app_config_parse; "" = none */
    int line[CONFIG_MAX_KEYS];            /* by key index (app_config_key); 0 = not set there,
                                           * CONFIG_LINE_COMMAND = by app_config_set */
    uint64_t value_hash[CONFIG_MAX_KEYS]; /* of the value that line set: once the field holds
                                           * another value (a command-line flag, the TUI
                                           * form), the line is no longer where it came from */
} ConfigOrigins;

typedef struct {
    ModelConfig model;
    TrainConfig train;
    DataConfig data;
    UiConfig ui;
    ConfigOrigins origins;    /* for messages only; app_config_default: none */
} AppConfig;

/* A config file above this size is refused. */
#define CONFIG_MAX_FILE_BYTES ((size_t)1 << 20)

AppConfig app_config_default(void);
/* Reads an INI file over *cfg and records where each key was set (cfg->origins).
 * The file must be a regular file of at most CONFIG_MAX_FILE_BYTES without NUL bytes.
 * Returns 0, or -1 with err = "file:line: key: problem (allowed: ...)". */
int app_config_load(AppConfig *cfg, const char *path, char *err, size_t err_len);
/* Cross-field checks (heads divide d_model, ...) and every key's range again (a
 * field may have been set directly). err = "file:line: section.key = value ..." when
 * a config file set that value (or, while it is the built-in default, the other
 * value of the conflict), else "config: section.key ...". */
int app_config_validate(const AppConfig *cfg, char *err, size_t err_len);

/* Whether a key's value was given (a config file line or app_config_set) and
 * is still the one given. */
bool app_config_is_set(const AppConfig *cfg, const char *section, const char *key);

/* The most class names [data] label_names may list (DATASET_MAX_CLASSES). */
#define CONFIG_MAX_LABEL_NAMES 64
/* Splits a label_names value at commas (blanks around a name dropped) into buf
 * (buf_len bytes); names[i] point into buf. Returns the number of names (0 for
 * an empty value), or -1 with why: an empty name, a duplicate, more than
 * max_names, fewer than 2. */
int app_config_label_names(const char *value, char *buf, size_t buf_len, const char **names,
                           int max_names, char *why, size_t why_len);

/* One key from the command line (`--set model.d_model=128`): same checks as in a
 * file. Returns 0, or -1 with err = "section.key: problem (allowed: ...)". */
int app_config_set(AppConfig *cfg, const char *section, const char *key, const char *value,
                   char *err, size_t err_len);

/* Whether value is allowed for the key as a config file would set it: 0, or -1
 * with problem = "1 is out of range (allowed: a number in [0, 1))". The one
 * source of the ranges for values that come from elsewhere (a checkpoint's
 * config, an optimizer sidecar). */
int app_config_check_value(const char *section, const char *key, const char *value,
                           char *problem, size_t problem_len);

/* The rest of this header is the key table seen from outside, which the tests
 * use to hold the program to assets/default.ini (every key there once, with a
 * comment; the same defaults; printing reads back). */

/* app_config_load over an in-memory INI text; `name` stands for the file in
 * messages and origins. (tests/data/test_config.c parses texts without files.) */
int app_config_parse(AppConfig *cfg, const char *name, const char *text, char *err, size_t err_len);
/* The value of a key as the INI file would spell it ("64", "0.001", "adam", "true").
 * Returns 0, or -1 for an unknown key. */
int app_config_get(const AppConfig *cfg, const char *section, const char *key, char *out,
                   size_t out_len);

/* The keys, in assets/default.ini order: section, name, what is allowed. */
typedef struct {
    const char *section;
    const char *name;
    const char *allowed;
} ConfigKeyInfo;
int app_config_num_keys(void);
const ConfigKeyInfo *app_config_key(int i); /* NULL when out of range */

/* Writes cfg as an INI file (every key, one section after the other) into out;
 * returns the length it needs (like snprintf). What a config file set reads back
 * as the same config; a string set otherwise (--set, a flag) too long for an INI
 * line (about 190 bytes) is written but a reader refuses that line. */
size_t app_config_to_ini(const AppConfig *cfg, char *out, size_t out_len);
/* The text of assets/default.ini, compiled into the program. */
const char *app_config_default_ini(void);

#endif
