/* Enum spellings and float text; see spelling.h. */
#include "spelling.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h" /* TrainSaveKind, and through it every other enum spelled here */

/* Each table indexes names by value, so the values must be 0, 1, ... */
_Static_assert(LAYERNORM_WORKSHOP == 0 && LAYERNORM_STANDARD == 1, "LayerNormKind values");
_Static_assert(POS_ENCODING_SINUSOIDAL == 0 && POS_ENCODING_LEARNED == 1, "PosEncodingKind values");
_Static_assert(POOLING_MEAN == 0 && POOLING_MAX == 1, "PoolingKind values");
_Static_assert(TOKENIZER_WHITESPACE == 0 && TOKENIZER_WORDS == 1 && TOKENIZER_CHAR == 2,
               "TokenizerKind values");
_Static_assert(OPTIM_ADAM == 0 && OPTIM_ADAMW == 1, "OptimKind values");
_Static_assert(LR_CONSTANT == 0 && LR_WARMUP_COSINE == 1, "LrScheduleKind values");
_Static_assert(TRAIN_SAVE_LAST == 0 && TRAIN_SAVE_BEST == 1, "TrainSaveKind values");
_Static_assert(MODEL_TASK_CLASSIFY == 0 && MODEL_TASK_LM == 1, "ModelTask values");
_Static_assert(NORM_POST == 0 && NORM_PRE == 1, "NormPlacement values");
_Static_assert(SYNTHETIC_NONE == 0 && SYNTHETIC_COPY == 1 && SYNTHETIC_REVERSE == 2 &&
               SYNTHETIC_SORT == 3, "SyntheticTask values");

#define ENUM_NAMES(TABLE, ALLOWED, ...)                                                    \
    static const char *const TABLE##_LIST[] = {__VA_ARGS__};                               \
    const EnumNames TABLE = {TABLE##_LIST, (int)(sizeof TABLE##_LIST / sizeof TABLE##_LIST[0]), \
                             ALLOWED}

ENUM_NAMES(LAYERNORM_NAMES, LAYERNORM_ALLOWED, "workshop", "standard");
ENUM_NAMES(POS_ENCODING_NAMES, POS_ENCODING_ALLOWED, "sinusoidal", "learned");
ENUM_NAMES(POOLING_NAMES, POOLING_ALLOWED, "mean", "max");
ENUM_NAMES(TOKENIZER_NAMES, TOKENIZER_ALLOWED, "whitespace", "words", "char");
ENUM_NAMES(OPTIMIZER_NAMES, OPTIMIZER_ALLOWED, "adam", "adamw");
ENUM_NAMES(SCHEDULE_NAMES, SCHEDULE_ALLOWED, "constant", "warmup_cosine");
ENUM_NAMES(SAVE_NAMES, SAVE_ALLOWED, "last", "best");
ENUM_NAMES(TASK_NAMES, TASK_ALLOWED, "classify", "lm");
ENUM_NAMES(NORM_NAMES, NORM_ALLOWED, "post", "pre");
ENUM_NAMES(SYNTHETIC_NAMES, SYNTHETIC_ALLOWED, "none", "copy", "reverse", "sort");

const char *enum_name(const EnumNames *e, int value)
{
    return value >= 0 && value < e->count ? e->names[value] : NULL;
}

int enum_value(const EnumNames *e, const char *name)
{
    for (int i = 0; i < e->count; i++)
        if (strcmp(name, e->names[i]) == 0)
            return i;
    return -1;
}

void enum_quoted_choices(const EnumNames *e, char *out, size_t out_len)
{
    size_t used = 0;
    if (out_len == 0)
        return;
    out[0] = '\0';
    for (int i = 0; i < e->count && used < out_len; i++) {
        const char *sep = i == 0 ? "" : i == e->count - 1 ? " or " : ", ";
        int n = snprintf(out + used, out_len - used, "%s\"%s\"", sep, e->names[i]);
        if (n < 0)
            return;
        used += (size_t)n;
    }
}

void float_to_text(float v, char *out, size_t out_len)
{
    if (out == NULL || out_len == 0)
        return;
    if (!isfinite(v)) {
        snprintf(out, out_len, "%s", isnan(v) ? "nan" : v < 0 ? "-inf" : "inf");
        return;
    }
    /* The fewest significant digits that read back; 9 always do (FLT_DECIMAL_DIG). */
    char buf[48];
    int digits = 1;
    for (;; digits++) {
        snprintf(buf, sizeof buf, "%.*e", digits - 1, (double)v);
        if (digits == 9 || (float)strtod(buf, NULL) == v)
            break;
    }
    /* Plain notation where "%.6g" would use it (410, 0.001), so that short values
     * do not turn into 4.1e+02; %.*f rounds to the same digits as %.*e did. */
    int exponent = atoi(strchr(buf, 'e') + 1);
    int plain_below = digits > 6 ? digits : 6;
    if (exponent >= -4 && exponent < plain_below) {
        int decimals = digits - 1 - exponent;
        snprintf(out, out_len, "%.*f", decimals > 0 ? decimals : 0, (double)v);
    } else {
        snprintf(out, out_len, "%.*g", digits, (double)v);
    }
}
