/* How values are spelled in the text of our files: the INI configuration
 * (config.c) and the JSON metadata of checkpoints (checkpoint.c) use these same
 * spellings. One table per enum, and one float formatter. */
#ifndef MINILLM_SPELLING_H
#define MINILLM_SPELLING_H

#include <stddef.h>

/* An enum whose values are 0 .. count-1; names[v] spells value v. */
typedef struct {
    const char *const *names;
    int count;
    const char *allowed; /* the names joined by ", ", for messages */
} EnumNames;

/* The `allowed` texts as constants, for tables that need them at compile time
 * (config.c's key table); tests/data/test_spelling.c checks each against its names. */
#define LAYERNORM_ALLOWED "workshop, standard"
#define POS_ENCODING_ALLOWED "sinusoidal, learned"
#define POOLING_ALLOWED "mean, max"
#define TOKENIZER_ALLOWED "whitespace, words, char"
#define OPTIMIZER_ALLOWED "adam, adamw"
#define SCHEDULE_ALLOWED "constant, warmup_cosine"
#define SAVE_ALLOWED "last, best"
#define TASK_ALLOWED "classify, lm"
#define NORM_ALLOWED "post, pre"
#define SYNTHETIC_ALLOWED "none, copy, reverse, sort"

extern const EnumNames LAYERNORM_NAMES;    /* LayerNormKind (model/model.h) */
extern const EnumNames POS_ENCODING_NAMES; /* PosEncodingKind (model/model.h) */
extern const EnumNames POOLING_NAMES;      /* PoolingKind (model/model.h) */
extern const EnumNames TOKENIZER_NAMES;    /* TokenizerKind (text.h) */
extern const EnumNames OPTIMIZER_NAMES;    /* OptimKind (model/optim.h) */
extern const EnumNames SCHEDULE_NAMES;     /* LrScheduleKind (model/optim.h) */
extern const EnumNames SAVE_NAMES;         /* TrainSaveKind (config.h) */
extern const EnumNames TASK_NAMES;         /* ModelTask (model/model.h) */
extern const EnumNames NORM_NAMES;         /* NormPlacement (model/model.h) */
extern const EnumNames SYNTHETIC_NAMES;    /* SyntheticTask (lm_synthetic.h) */

/* The name of value, or NULL when value is not one of the enum's. */
const char *enum_name(const EnumNames *e, int value);
/* The value named `name` (exact, case-sensitive), or -1. */
int enum_value(const EnumNames *e, const char *name);
/* The names quoted and joined for a message: "a" or "b"; "a", "b" or "c". */
void enum_quoted_choices(const EnumNames *e, char *out, size_t out_len);

/* The shortest "%.<p>g" spelling of v (p = 1 to 9 significant digits) that reads
 * back as v, reading the way our readers do: strtod, then rounded to float. So
 * 0.1f is "0.1", not "0.100000001". NaN is "nan"; infinities "inf", "-inf". */
void float_to_text(float v, char *out, size_t out_len);

#endif
