/* Spellings shared by the config and checkpoints: the float text reads back
 * bit for bit and is short; every enum value round-trips through its name, in
 * spelling.h, in the config and in a checkpoint's metadata. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "spelling.h"

static uint32_t bits_of(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

static float float_of(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* Significant digits of a "%g"-like spelling: no sign, point, exponent, or
 * leading and trailing zeros. */
static int significant_digits(const char *s)
{
    char digits[64];
    int n = 0;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9' && n < 63)
            digits[n++] = *s;
    digits[n] = '\0';
    int first = 0;
    while (first < n && digits[first] == '0') first++;
    while (n > first && digits[n - 1] == '0') n--;
    return n > first ? n - first : 1;
}

/* Reads back as v (strtod then float, as the config and cJSON read), and one
 * significant digit fewer would not. */
static void expect_round_trip(float v)
{
    char text[64];
    float_to_text(v, text, sizeof text);
    float back = (float)strtod(text, NULL);
    cr_assert_eq(bits_of(back), bits_of(v), "%a spelled \"%s\" reads back as %a", (double)v, text,
                 (double)back);
    int digits = significant_digits(text);
    if (digits > 1) {
        char shorter[64];
        snprintf(shorter, sizeof shorter, "%.*e", digits - 2, (double)v);
        cr_assert_neq((float)strtod(shorter, NULL), v, "%a: \"%s\" is shorter than \"%s\"",
                      (double)v, shorter, text);
    }
}

Test(float_text, reference_spellings)
{
    struct { float v; const char *text; } cases[] = {
        {0.1f, "0.1"}, {1e-3f, "0.001"}, {0.999f, "0.999"}, {1e-8f, "1e-08"},
        {1.0f / 3.0f, "0.33333334"}, {410.0f, "410"}, {15.0f, "15"}, {100.0f, "100"},
        {1e6f, "1e+06"}, {123456.0f, "123456"}, {16777216.0f, "16777216"},
        {0.0f, "0"}, {-0.0f, "-0"}, {-2.5f, "-2.5"}, {1e-5f, "1e-05"}, {0.0001f, "0.0001"},
        {FLT_MAX, "3.4028235e+38"}, {FLT_MIN, "1.1754944e-38"}, {FLT_TRUE_MIN, "1e-45"},
        {INFINITY, "inf"}, {-INFINITY, "-inf"}, {NAN, "nan"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[64];
        float_to_text(cases[i].v, text, sizeof text);
        cr_expect_str_eq(text, cases[i].text, "%a", (double)cases[i].v);
    }
}

Test(float_text, random_floats_read_back_bit_for_bit)
{
    uint64_t s = 0x9E3779B97F4A7C15ULL;
    int subnormal = 0;
    for (int i = 0; i < 300000; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        uint32_t b = (uint32_t)(s >> 16);
        if (i % 4 == 1)
            b &= 0x807FFFFFu; /* a subnormal (or a signed zero) */
        float v = float_of(b);
        if (!isfinite(v))
            continue;
        subnormal += fpclassify(v) == FP_SUBNORMAL;
        expect_round_trip(v);
    }
    cr_expect_gt(subnormal, 70000, "the sample holds subnormals");
}

Test(float_text, edges_of_every_exponent)
{
    /* Each binade's first and last float, both signs: the largest and smallest
     * exponents, the subnormals, and where plain and exponent notation meet. */
    for (uint32_t e = 0; e < 255; e++) {
        for (uint32_t sign = 0; sign < 2; sign++) {
            expect_round_trip(float_of(sign << 31 | e << 23));
            expect_round_trip(float_of(sign << 31 | e << 23 | 0x7FFFFFu));
            expect_round_trip(float_of(sign << 31 | e << 23 | 1u));
        }
    }
    const float decades[] = {1e-5f, 9.99999e-5f, 1e-4f, 999999.0f, 1e6f, 9999999.0f, 1e7f};
    for (size_t i = 0; i < sizeof decades / sizeof decades[0]; i++)
        expect_round_trip(decades[i]);
}

Test(float_text, short_buffer_is_cut_not_overrun)
{
    char text[4] = {'x', 'x', 'x', 'x'};
    float_to_text(0.333333343f, text, 4);
    cr_expect_str_eq(text, "0.3");
    float_to_text(1.0f, text, 0); /* nothing written */
    cr_expect_eq(text[0], '0');
}

static void expect_table(const EnumNames *e, int count, const char *allowed)
{
    cr_assert_eq(e->count, count);
    cr_expect_str_eq(e->allowed, allowed, "the ALLOWED constant matches the names");
    char joined[256] = "";
    for (int v = 0; v < e->count; v++) {
        const char *name = enum_name(e, v);
        cr_assert_not_null(name);
        cr_expect_eq(enum_value(e, name), v, "%s", name);
        size_t used = strlen(joined);
        snprintf(joined + used, sizeof joined - used, "%s%s", v ? ", " : "", name);
    }
    cr_expect_str_eq(joined, e->allowed);
    cr_expect_null(enum_name(e, -1));
    cr_expect_null(enum_name(e, e->count));
    cr_expect_eq(enum_value(e, ""), -1);
    cr_expect_eq(enum_value(e, "nonsense"), -1);
}

Test(enum_names, every_value_round_trips)
{
    expect_table(&LAYERNORM_NAMES, 2, LAYERNORM_ALLOWED);
    expect_table(&POS_ENCODING_NAMES, 2, POS_ENCODING_ALLOWED);
    expect_table(&POOLING_NAMES, 2, POOLING_ALLOWED);
    expect_table(&TOKENIZER_NAMES, 3, TOKENIZER_ALLOWED);
    expect_table(&OPTIMIZER_NAMES, 2, OPTIMIZER_ALLOWED);
    expect_table(&SCHEDULE_NAMES, 2, SCHEDULE_ALLOWED);
    expect_table(&SAVE_NAMES, 2, SAVE_ALLOWED);
    expect_table(&TASK_NAMES, 2, TASK_ALLOWED);
    expect_table(&NORM_NAMES, 2, NORM_ALLOWED);
    expect_table(&SYNTHETIC_NAMES, 4, SYNTHETIC_ALLOWED);
    /* The values are the C enums' own. */
    cr_expect_str_eq(enum_name(&LAYERNORM_NAMES, LAYERNORM_STANDARD), "standard");
    cr_expect_str_eq(enum_name(&POS_ENCODING_NAMES, POS_ENCODING_LEARNED), "learned");
    cr_expect_str_eq(enum_name(&POOLING_NAMES, POOLING_MAX), "max");
    cr_expect_str_eq(enum_name(&TOKENIZER_NAMES, TOKENIZER_WORDS), "words");
    cr_expect_str_eq(enum_name(&OPTIMIZER_NAMES, OPTIM_ADAMW), "adamw");
    cr_expect_str_eq(enum_name(&SCHEDULE_NAMES, LR_WARMUP_COSINE), "warmup_cosine");
    cr_expect_str_eq(enum_name(&SAVE_NAMES, TRAIN_SAVE_BEST), "best");
    cr_expect_str_eq(enum_name(&TOKENIZER_NAMES, TOKENIZER_CHAR), "char");
    cr_expect_str_eq(enum_name(&TASK_NAMES, MODEL_TASK_LM), "lm");
    cr_expect_str_eq(enum_name(&NORM_NAMES, NORM_PRE), "pre");
    cr_expect_str_eq(enum_name(&SYNTHETIC_NAMES, SYNTHETIC_SORT), "sort");
}

Test(enum_names, quoted_choices_for_messages)
{
    char text[128];
    enum_quoted_choices(&LAYERNORM_NAMES, text, sizeof text);
    cr_expect_str_eq(text, "\"workshop\" or \"standard\"");
    const char *const three[] = {"a", "b", "c"};
    const EnumNames abc = {three, 3, "a, b, c"};
    enum_quoted_choices(&abc, text, sizeof text);
    cr_expect_str_eq(text, "\"a\", \"b\" or \"c\"");
    enum_quoted_choices(&abc, text, 5);
    cr_expect_str_eq(text, "\"a\",");
}

/* The config reads and prints every name of its enum keys through the tables. */
Test(enum_names, config_keys_use_the_tables)
{
    struct { const char *section, *key; const EnumNames *names; } keys[] = {
        {"model", "layernorm", &LAYERNORM_NAMES}, {"model", "pos_encoding", &POS_ENCODING_NAMES},
        {"model", "pooling", &POOLING_NAMES},     {"data", "tokenizer", &TOKENIZER_NAMES},
        {"train", "optimizer", &OPTIMIZER_NAMES}, {"train", "schedule", &SCHEDULE_NAMES},
        {"train", "save", &SAVE_NAMES},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        for (int v = 0; v < keys[i].names->count; v++) {
            AppConfig c = app_config_default();
            char err[512], value[64];
            const char *name = enum_name(keys[i].names, v);
            cr_assert_eq(app_config_set(&c, keys[i].section, keys[i].key, name, err, sizeof err), 0,
                         "%s", err);
            cr_assert_eq(app_config_get(&c, keys[i].section, keys[i].key, value, sizeof value), 0);
            cr_expect_str_eq(value, name);
        }
        for (int k = 0; k < app_config_num_keys(); k++) {
            const ConfigKeyInfo *info = app_config_key(k);
            if (strcmp(info->section, keys[i].section) == 0 && strcmp(info->name, keys[i].key) == 0)
                cr_expect_str_eq(info->allowed, keys[i].names->allowed);
        }
    }
}

/* Config floats print with float_to_text and read back bit for bit, subnormals included. */
Test(float_text, config_float_keys_read_back)
{
    const float values[] = {0.1f, 1e-8f, 0.999f, 1e-45f, 3e-39f, 0.333333343f, 7.0f};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        AppConfig c = app_config_default(), back = app_config_default();
        c.train.optim.eps = values[i];
        char value[64], expect[64], err[512];
        cr_assert_eq(app_config_get(&c, "train", "eps", value, sizeof value), 0);
        float_to_text(values[i], expect, sizeof expect);
        cr_expect_str_eq(value, expect);
        if (values[i] <= 1.0f) {
            cr_assert_eq(app_config_set(&back, "train", "eps", value, err, sizeof err), 0, "%s", err);
            cr_expect_eq(bits_of(back.train.optim.eps), bits_of(values[i]), "%s", value);
        }
    }
}
