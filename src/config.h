/* Application configuration: INI sections [model] [train] [data] [ui] (inih),
 * built-in defaults equal to assets/default.ini, command-line overrides. */
#ifndef MINILLM_CONFIG_H
#define MINILLM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "model/optim.h"
#include "text.h"

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
    int eval_every;           /* steps between validation passes; 0 = once per epoch */
    int save_every;           /* steps between checkpoint saves; 0 = only at the end */
    int threads;              /* OpenBLAS threads; 0 = library default */
} TrainConfig;

typedef struct {
    char train_path[1024];    /* "" = embedded dataset */
    char val_path[1024];      /* "" = split from train */
    float val_fraction;       /* used when no val file */
    TokenizerConfig tokenizer;
    int min_freq;
    int max_vocab;            /* 0 = unlimited */
    bool length_buckets;      /* batch sentences of similar length together */
} DataConfig;

typedef struct {
    int fps;                  /* UI frames per second */
    char lang[8];             /* "en", "fr", or "auto" (locale) */
    char sentence[256];       /* sentence shown at start in the attention view */
} UiConfig;

typedef struct {
    ModelConfig model;
    TrainConfig train;
    DataConfig data;
    UiConfig ui;
} AppConfig;

AppConfig app_config_default(void);
/* Reads an INI file over *cfg. Returns 0, or -1 with err = "file:line: key: problem (allowed: ...)". */
int app_config_load(AppConfig *cfg, const char *path, char *err, size_t err_len);
/* Same over an in-memory INI text; `name` is used in messages. */
int app_config_parse(AppConfig *cfg, const char *name, const char *text, char *err, size_t err_len);
/* Cross-field checks (heads divide d_model, ...). */
int app_config_validate(const AppConfig *cfg, char *err, size_t err_len);

#endif
