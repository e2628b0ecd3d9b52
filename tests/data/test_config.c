/* INI configuration: defaults == assets/default.ini, every error kind, validation. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

/* Every key of a and b spelled the same. */
static void expect_same_keys(const AppConfig *a, const AppConfig *b, const char *what)
{
    for (int i = 0; i < app_config_num_keys(); i++) {
        const ConfigKeyInfo *k = app_config_key(i);
        char va[1100], vb[1100];
        cr_assert_eq(app_config_get(a, k->section, k->name, va, sizeof va), 0);
        cr_assert_eq(app_config_get(b, k->section, k->name, vb, sizeof vb), 0);
        cr_expect_str_eq(va, vb, "%s: %s.%s", what, k->section, k->name);
    }
}

static char *read_source_file(const char *rel)
{
    const char *root = getenv("MINILLM_SOURCE_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root ? root : ".", rel);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s (is MINILLM_SOURCE_ROOT set?)", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

Test(defaults, default_ini_equals_the_built_in_defaults)
{
    const AppConfig def = app_config_default();
    char err[512];
    /* Parsed over zeroes and over garbage: a key missing from the file would
     * keep two different values. */
    AppConfig zero, junk;
    memset(&zero, 0, sizeof zero);
    memset(&junk, 0x5A, sizeof junk);
    cr_assert_eq(app_config_parse(&zero, "default.ini", app_config_default_ini(), err, sizeof err), 0, "%s", err);
    cr_assert_eq(app_config_parse(&junk, "default.ini", app_config_default_ini(), err, sizeof err), 0, "%s", err);
    expect_same_keys(&zero, &def, "over zeroes");
    expect_same_keys(&junk, &def, "over garbage");
    cr_expect_eq(app_config_validate(&def, err, sizeof err), 0, "%s", err);
}

Test(defaults, embedded_text_is_assets_default_ini)
{
    cr_expect_str_eq(app_config_default_ini(), read_source_file("assets/default.ini"));
}

Test(defaults, every_key_once_with_a_comment_line_above)
{
    const char *text = app_config_default_ini();
    for (int i = 0; i < app_config_num_keys(); i++) {
        const ConfigKeyInfo *k = app_config_key(i);
        char header[64], key[64];
        snprintf(header, sizeof header, "\n[%s]\n", k->section);
        snprintf(key, sizeof key, "\n%s =", k->name);
        const char *sec = strstr(text, header);
        cr_assert_not_null(sec, "no [%s]", k->section);
        const char *next = strstr(sec + 1, "\n[");
        const char *at = strstr(sec, key);
        cr_assert(at && (!next || at < next), "%s.%s missing from default.ini", k->section, k->name);
        cr_expect(strstr(at + 1, key) == NULL || (next && strstr(at + 1, key) > next), "%s twice", k->name);
        const char *line_before = at - 1;
        while (line_before > text && line_before[-1] != '\n') line_before--;
        cr_expect(*line_before == ';', "%s.%s has no comment line above it", k->section, k->name);
    }
}

Test(defaults, workshop_layer_shape_and_adam)
{
    AppConfig c = app_config_default();
    cr_expect_eq(c.model.d_model, 64);
    cr_expect_eq(c.model.num_heads, 4);
    cr_expect_eq(c.model.d_ff, 256);
    cr_expect(c.model.pad_mask);
    cr_expect_eq(c.train.optim.kind, OPTIM_ADAM);
    cr_expect_float_eq(c.train.optim.lr, 1e-3f, 1e-9);
}

Test(parse, values_of_every_type_and_ini_round_trip)
{
    AppConfig c = app_config_default();
    char err[512];
    const char *text =
        "\xEF\xBB\xBF# a comment\n"
        "[model]\n"
        "  d_model = 128   ; indented, with an inline comment\n"
        "num_heads=8\n"
        "layernorm = standard\n"
        "pos_encoding = learned\n"
        "causal = yes\n"
        "pad_mask = OFF\n"
        "[train]\n"
        "seed = 18446744073709551615\n"
        "optimizer = adamw\n"
        "lr = 3e-4\n"
        "schedule = warmup_cosine\n"
        "[data]\n"
        "train = /data/my train.csv\n"
        "tokenizer = whitespace\n"
        "max_vocab = 0\n"
        "[ui]\n"
        "lang = fr\n"
        "sentence = un film génial\n";
    cr_assert_eq(app_config_parse(&c, "ok.ini", text, err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.model.d_model, 128);
    cr_expect_eq(c.model.num_heads, 8);
    cr_expect_eq(c.model.layernorm, LAYERNORM_STANDARD);
    cr_expect_eq(c.model.pos_encoding, POS_ENCODING_LEARNED);
    cr_expect(c.model.causal);
    cr_expect_not(c.model.pad_mask);
    cr_expect_eq(c.train.seed, UINT64_MAX);
    cr_expect_eq(c.train.optim.kind, OPTIM_ADAMW);
    cr_expect_float_eq(c.train.optim.lr, 3e-4f, 1e-10);
    cr_expect_eq(c.train.schedule, LR_WARMUP_COSINE);
    cr_expect_str_eq(c.data.train_path, "/data/my train.csv");
    cr_expect_eq(c.data.tokenizer.kind, TOKENIZER_WHITESPACE);
    cr_expect_eq(c.data.max_vocab, 0);
    cr_expect_str_eq(c.ui.lang, "fr");
    cr_expect_str_eq(c.ui.sentence, "un film génial");
    cr_expect_eq(c.model.d_ff, 256, "keys not in the file keep their value");
    cr_expect_eq(app_config_validate(&c, err, sizeof err), 0, "%s", err);

    /* Printed as INI and read back over zeroes: the same configuration. */
    char ini[8192];
    size_t need = app_config_to_ini(&c, ini, sizeof ini);
    cr_assert_lt(need, sizeof ini);
    cr_expect_eq(app_config_to_ini(&c, NULL, 0), need);
    AppConfig back;
    memset(&back, 0, sizeof back);
    cr_assert_eq(app_config_parse(&back, "printed.ini", ini, err, sizeof err), 0, "%s\n%s", err, ini);
    expect_same_keys(&back, &c, "round trip");
}

/* Parses text over the defaults and expects exactly `message`. */
static void expect_error(const char *text, const char *message)
{
    AppConfig c = app_config_default();
    char err[512] = "";
    cr_expect_eq(app_config_parse(&c, "bad.ini", text, err, sizeof err), -1, "accepted: %s", text);
    cr_expect_str_eq(err, message);
}

Test(errors, unknown_section_key_and_key_outside_a_section)
{
    expect_error("[model]\nd_model = 64\n[modle]\n", "bad.ini:3: unknown section [modle] (allowed: model, train, data, ui)");
    expect_error("[ui]\nfps = 10\nfsp = 3\n",
                 "bad.ini:3: ui.fsp: unknown key (allowed in [ui]: fps, pace, lang, sentence)");
    expect_error("epochs = 3\n[train]\n",
                 "bad.ini:1: epochs: key outside a section (allowed sections: model, train, data, ui)");
    expect_error("[train]\nepochs 3\n", "bad.ini:2: syntax error (allowed: [section], key = value, ; comment)");
    expect_error("[train\nepochs = 3\n", "bad.ini:1: syntax error (allowed: [section], key = value, ; comment)");
}

Test(errors, values_that_do_not_parse)
{
    expect_error("[model]\nd_model = sixty\n",
                 "bad.ini:2: model.d_model: \"sixty\" is not an integer (allowed: an even integer from 2 to 4096)");
    expect_error("[model]\nnum_layers = 2.5\n",
                 "bad.ini:2: model.num_layers: \"2.5\" is not an integer (allowed: an integer from 1 to 64)");
    expect_error("[model]\ndropout = lots\n",
                 "bad.ini:2: model.dropout: \"lots\" is not a number (allowed: a number in [0, 1))");
    expect_error("[model]\ndropout = nan\n",
                 "bad.ini:2: model.dropout: \"nan\" is not a number (allowed: a number in [0, 1))");
    expect_error("[model]\npad_mask = maybe\n",
                 "bad.ini:2: model.pad_mask: \"maybe\" is not a boolean (allowed: true or false)");
    expect_error("[model]\nlayernorm = batch\n",
                 "bad.ini:2: model.layernorm: \"batch\" is not allowed (allowed: workshop, standard)");
    expect_error("[train]\noptimizer = sgd\n",
                 "bad.ini:2: train.optimizer: \"sgd\" is not allowed (allowed: adam, adamw)");
    expect_error("[train]\nschedule = cosine\n",
                 "bad.ini:2: train.schedule: \"cosine\" is not allowed (allowed: constant, warmup_cosine)");
    expect_error("[data]\ntokenizer = bpe\n",
                 "bad.ini:2: data.tokenizer: \"bpe\" is not allowed (allowed: whitespace, words, char)");
    expect_error("[ui]\nlang = de\n", "bad.ini:2: ui.lang: \"de\" is not allowed (allowed: auto, en, fr)");
    expect_error("[train]\nseed = -1\n",
                 "bad.ini:2: train.seed: \"-1\" is not an integer (allowed: an integer from 0 to 18446744073709551615)");
    expect_error("[model]\nd_model =\n",
                 "bad.ini:2: model.d_model: \"\" is not an integer (allowed: an even integer from 2 to 4096)");
}

Test(errors, values_out_of_range)
{
    expect_error("[model]\nnum_layers = 0\n",
                 "bad.ini:2: model.num_layers: 0 is out of range (allowed: an integer from 1 to 64)");
    expect_error("[model]\nmax_len = 5001\n",
                 "bad.ini:2: model.max_len: 5001 is out of range (allowed: an integer from 1 to 5000)");
    expect_error("[model]\ndropout = 1\n", "bad.ini:2: model.dropout: 1 is out of range (allowed: a number in [0, 1))");
    expect_error("[train]\nlr = 0\n", "bad.ini:2: train.lr: 0 is out of range (allowed: a number in (0, 10])");
    expect_error("[train]\nlr = 1e40\n", "bad.ini:2: train.lr: 1e40 is out of range (allowed: a number in (0, 10])");
    expect_error("[train]\nseed = 18446744073709551616\n",
                 "bad.ini:2: train.seed: 18446744073709551616 is out of range (allowed: an integer from 0 to 18446744073709551615)");
    expect_error("[train]\nepochs = 99999999999999999999\n",
                 "bad.ini:2: train.epochs: 99999999999999999999 is out of range (allowed: an integer from 1 to 1000000)");
    expect_error("[data]\nmax_vocab = 2\n",
                 "bad.ini:2: data.max_vocab: 2 is out of range (allowed: 0 (unlimited) or an integer from 3 to 10000000)");
    expect_error("[data]\nval_fraction = 0.95\n",
                 "bad.ini:2: data.val_fraction: 0.95 is out of range (allowed: a number in [0, 0.9])");
    expect_error("[ui]\nfps = 0\n", "bad.ini:2: ui.fps: 0 is out of range (allowed: an integer from 1 to 120)");
}

Test(errors, long_line_and_first_error_wins)
{
    char text[512] = "[data]\ntrain = ";
    memset(text + strlen(text), 'x', 300);
    expect_error(text, "bad.ini:2: line longer than 197 characters (allowed: shorter lines)");
    expect_error("[model]\nd_model = 64\ncausal = perhaps\n[nope]\nfps = -1\n",
                 "bad.ini:3: model.causal: \"perhaps\" is not a boolean (allowed: true or false)");
}

/* Found by tests/fuzz/fuzz_config.c: lines that read but whose printed form did
 * not (a last line without a newline could be one character longer; a value
 * that fits only as "key=value"; a value starting with ';'). */
Test(parse, every_line_read_prints_as_a_line_that_reads_back)
{
    /* 197 characters is the limit with or without a newline, with CRLF too. */
    const char *ends[] = {"", "\n", "\r\n"};
    for (int e = 0; e < 3; e++) {
        for (size_t chars = 197; chars <= 198; chars++) {
            char text[512] = "[ui]\nsentence=";
            size_t at = strlen(text);
            memset(text + at, 'x', chars - strlen("sentence="));
            strcpy(text + at + chars - strlen("sentence="), ends[e]);
            AppConfig c = app_config_default();
            char err[512] = "";
            int rc = app_config_parse(&c, "l.ini", text, err, sizeof err);
            if (chars == 198) {
                cr_expect_eq(rc, -1, "%zu characters, ending %d: read", chars, e);
                cr_expect_str_eq(err, "l.ini:2: line longer than 197 characters (allowed: shorter lines)");
                continue;
            }
            cr_assert_eq(rc, 0, "%zu characters, ending %d: %s", chars, e, err);
            char ini[8192];
            app_config_to_ini(&c, ini, sizeof ini);
            cr_expect_not_null(strstr(ini, "\nsentence=xxx"), "printed without spaces");
            AppConfig back = app_config_default();
            cr_expect_eq(app_config_parse(&back, "printed.ini", ini, err, sizeof err), 0, "%s", err);
            cr_expect_str_eq(back.ui.sentence, c.ui.sentence);
        }
    }
    /* "key=;x" is the value ";x"; "key = ;x" would be an empty value and a comment. */
    AppConfig c = app_config_default();
    char err[512] = "", ini[8192];
    cr_assert_eq(app_config_parse(&c, "s.ini", "[data]\ntrain=;x.tsv\n", err, sizeof err), 0, "%s",
                 err);
    cr_expect_str_eq(c.data.train_path, ";x.tsv");
    app_config_to_ini(&c, ini, sizeof ini);
    cr_expect_not_null(strstr(ini, "\ntrain=;x.tsv\n"), "%s", ini);
    AppConfig back = app_config_default();
    cr_assert_eq(app_config_parse(&back, "printed.ini", ini, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(back.data.train_path, ";x.tsv");
}

Test(errors, set_from_the_command_line)
{
    AppConfig c = app_config_default();
    char err[512];
    cr_expect_eq(app_config_set(&c, "train", "epochs", "5", err, sizeof err), 0);
    cr_expect_eq(c.train.epochs, 5);
    cr_expect_eq(app_config_set(&c, "train", "epochs", "0", err, sizeof err), -1);
    cr_expect_str_eq(err, "train.epochs: 0 is out of range (allowed: an integer from 1 to 1000000)");
    cr_expect_eq(app_config_set(&c, "gui", "fps", "5", err, sizeof err), -1);
    cr_expect_str_eq(err, "gui.fps: unknown section [gui] (allowed: model, train, data, ui)");
    char long_sentence[300];
    memset(long_sentence, 'a', 299);
    long_sentence[299] = '\0';
    cr_expect_eq(app_config_set(&c, "ui", "sentence", long_sentence, err, sizeof err), -1);
    cr_expect_str_eq(err, "ui.sentence: value too long (299 bytes; allowed: a sentence of at most 255 bytes)");
    char value[64];
    cr_expect_eq(app_config_get(&c, "ui", "nothing", value, sizeof value), -1);
}

Test(errors, load_names_the_file)
{
    AppConfig c = app_config_default();
    char err[512];
    cr_expect_eq(app_config_load(&c, "/nonexistent/minillm.ini", err, sizeof err), -1);
    cr_expect(strstr(err, "/nonexistent/minillm.ini: cannot open") == err, "%s", err);

    char path[] = "/tmp/minillm-config-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *text = "[train]\nepochs = 3\nbatch_size = big\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cr_expect_eq(app_config_load(&c, path, err, sizeof err), -1);
    char expect[512];
    snprintf(expect, sizeof expect,
             "%s:3: train.batch_size: \"big\" is not an integer (allowed: an integer from 1 to 65536)", path);
    cr_expect_str_eq(err, expect);
    cr_expect_eq(c.train.epochs, 3);
    unlink(path);
}

Test(validate, cross_field_and_programmatic_ranges)
{
    char err[512];
    AppConfig c = app_config_default();
    c.model.num_heads = 3;
    cr_expect_eq(app_config_validate(&c, err, sizeof err), -1);
    cr_expect_str_eq(err, "config: model.num_heads = 3 must divide model.d_model = 64 (allowed: a divisor of d_model)");
    c = app_config_default();
    c.model.d_model = 63;
    c.model.num_heads = 3;
    cr_expect_eq(app_config_validate(&c, err, sizeof err), -1);
    cr_expect(strstr(err, "model.d_model = 63: must be even") != NULL, "%s", err);
    c = app_config_default();
    c.train.schedule = LR_WARMUP_COSINE;
    c.train.min_lr = 0.01f;
    cr_expect_eq(app_config_validate(&c, err, sizeof err), -1);
    cr_expect_str_eq(err, "config: train.min_lr = 0.01 is larger than train.lr = 0.001 (allowed: min_lr <= lr)");
    c = app_config_default();
    c.train.batch_size = 0;
    cr_expect_eq(app_config_validate(&c, err, sizeof err), -1);
    cr_expect_str_eq(err, "config: train.batch_size: 0 is out of range (allowed: an integer from 1 to 65536)");
    c = app_config_default();
    c.model.layernorm = (LayerNormKind)7;
    cr_expect_eq(app_config_validate(&c, err, sizeof err), -1);
    cr_expect_str_eq(err, "config: model.layernorm: \"7\" is not allowed (allowed: workshop, standard)");
}

/* Parses text as `name` over the defaults (plus `adjust`) and expects validation to fail with `message`. */
static void expect_invalid(const char *name, const char *text, void (*adjust)(AppConfig *),
                           const char *message)
{
    AppConfig c = app_config_default();
    if (adjust) adjust(&c);
    char err[512] = "";
    cr_assert_eq(app_config_parse(&c, name, text, err, sizeof err), 0, "%s", err);
    cr_expect_eq(app_config_validate(&c, err, sizeof err), -1, "accepted: %s", text);
    cr_expect_str_eq(err, message);
}

static void set_min_lr_1e_4(AppConfig *c) { c->train.min_lr = 1e-4f; }

Test(validate, cross_field_errors_name_the_line_that_set_the_value)
{
    expect_invalid("my.ini", "[model]\nd_model = 64\n\n; five heads\nnum_heads = 5\n", NULL,
                   "my.ini:5: model.num_heads = 5 must divide model.d_model = 64 (allowed: a divisor of d_model)");
    /* Only d_model is in the file: its line is the one to fix. */
    expect_invalid("my.ini", "[model]\nd_model = 66\n", NULL,
                   "my.ini:2: model.num_heads = 4 must divide model.d_model = 66 (allowed: a divisor of d_model)");
    expect_invalid("my.ini", "[model]\nnum_heads = 1\nd_model = 63\n", NULL,
                   "my.ini:3: model.d_model = 63: must be even (the classifier's hidden layer is d_model/2)");
    expect_invalid("my.ini", "[train]\nlr = 0.001\nmin_lr = 0.01\n", NULL,
                   "my.ini:3: train.min_lr = 0.01 is larger than train.lr = 0.001 (allowed: min_lr <= lr)");
    /* min_lr set elsewhere (not its default): no line, though lr came from the file. */
    expect_invalid("my.ini", "[train]\n\nlr = 1e-5\n", set_min_lr_1e_4,
                   "config: train.min_lr = 0.0001 is larger than train.lr = 1e-05 (allowed: min_lr <= lr)");
}

Test(validate, a_value_changed_since_the_file_has_no_line)
{
    char err[512];
    AppConfig c = app_config_default();
    cr_assert_eq(app_config_parse(&c, "my.ini", "[model]\nnum_heads = 8\n", err, sizeof err), 0, "%s", err);
    cr_expect_eq(app_config_validate(&c, err, sizeof err), 0, "%s", err);
    /* Set directly (a command-line flag, the TUI form): the file's line no longer applies. */
    c.model.num_heads = 3;
    cr_expect_eq(app_config_validate(&c, err, sizeof err), -1);
    cr_expect_str_eq(err, "config: model.num_heads = 3 must divide model.d_model = 64 (allowed: a divisor of d_model)");
    /* Set back to the file's value: the line applies again. */
    c.model.d_model = 60;
    c.model.num_heads = 8;
    cr_expect_eq(app_config_validate(&c, err, sizeof err), -1);
    cr_expect_str_eq(err, "my.ini:2: model.num_heads = 8 must divide model.d_model = 60 (allowed: a divisor of d_model)");
    /* --set: from the command line, not the file. */
    cr_assert_eq(app_config_set(&c, "model", "num_heads", "7", err, sizeof err), 0, "%s", err);
    cr_expect_eq(app_config_validate(&c, err, sizeof err), -1);
    cr_expect_str_eq(err, "config: model.num_heads = 7 must divide model.d_model = 60 (allowed: a divisor of d_model)");
    /* Nor is d_model's line given for a num_heads from the command line. */
    c = app_config_default();
    cr_assert_eq(app_config_parse(&c, "my.ini", "[model]\nd_model = 64\n", err, sizeof err), 0, "%s", err);
    cr_assert_eq(app_config_set(&c, "model", "num_heads", "3", err, sizeof err), 0, "%s", err);
    cr_expect_eq(app_config_validate(&c, err, sizeof err), -1);
    cr_expect_str_eq(err, "config: model.num_heads = 3 must divide model.d_model = 64 (allowed: a divisor of d_model)");
    /* Another file: the lines of the first are forgotten rather than shown with the wrong name. */
    c = app_config_default();
    cr_assert_eq(app_config_parse(&c, "a.ini", "[model]\nnum_heads = 5\n", err, sizeof err), 0, "%s", err);
    cr_assert_eq(app_config_parse(&c, "b.ini", "[train]\nepochs = 3\n", err, sizeof err), 0, "%s", err);
    cr_expect_eq(app_config_validate(&c, err, sizeof err), -1);
    cr_expect_str_eq(err, "config: model.num_heads = 5 must divide model.d_model = 64 (allowed: a divisor of d_model)");
}

Test(validate, loaded_file_names_its_path_and_line)
{
    char path[] = "/tmp/minillm-config-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *text = "[model]\n; wide heads\nnum_heads = 5\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    AppConfig c = app_config_default();
    char err[512], expect[512];
    cr_assert_eq(app_config_load(&c, path, err, sizeof err), 0, "%s", err);
    cr_expect_eq(app_config_validate(&c, err, sizeof err), -1);
    snprintf(expect, sizeof expect,
             "%s:3: model.num_heads = 5 must divide model.d_model = 64 (allowed: a divisor of d_model)", path);
    cr_expect_str_eq(err, expect);
    unlink(path);
}

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

Test(robustness, mutated_default_ini_is_parsed_or_rejected_with_a_location)
{
    const char *base = app_config_default_ini();
    size_t base_len = strlen(base);
    char *buf = malloc(base_len + 64);
    const char alphabet[] = "[]=;#\n x9.-e";
    uint64_t state = 12345;
    for (int iter = 0; iter < 2000; iter++) {
        size_t len = base_len;
        memcpy(buf, base, len);
        for (int e = 0; e < 3; e++) {
            size_t at = next_random(&state) % len;
            char c = alphabet[next_random(&state) % (sizeof alphabet - 1)];
            if (next_random(&state) & 1) buf[at] = c;
            else { memmove(buf + at + 1, buf + at, len - at); buf[at] = c; len++; }
        }
        buf[len] = '\0';
        AppConfig c = app_config_default();
        char err[512] = "";
        if (app_config_parse(&c, "fuzz.ini", buf, err, sizeof err) != 0)
            cr_assert(strncmp(err, "fuzz.ini:", 9) == 0, "iteration %d: %s", iter, err);
        else
            cr_assert_eq(err[0], '\0');
    }
    free(buf);
}

Test(parse, pooling_adversarial_rdrop_and_oversampling_keys_load_and_reject)
{
    AppConfig c = app_config_default();
    char err[512];
    cr_expect_eq(c.model.pooling, POOLING_MEAN, "the notebook's mean pooling by default");
    cr_expect_float_eq(c.train.adversarial_eps, 0.0f, 1e-12, "adversarial training off by default");
    cr_assert_eq(app_config_parse(&c, "ok.ini", "[model]\npooling = max\n[train]\nadversarial_eps = 2.5\n",
                                  err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.model.pooling, POOLING_MAX);
    cr_expect_float_eq(c.train.adversarial_eps, 2.5f, 1e-6);
    char value[64];
    cr_expect_eq(app_config_get(&c, "model", "pooling", value, sizeof value), 0);
    cr_expect_str_eq(value, "max");
    expect_error("[model]\npooling = cls\n",
                 "bad.ini:2: model.pooling: \"cls\" is not allowed (allowed: mean, max)");
    expect_error("[train]\nadversarial_eps = -1\n",
                 "bad.ini:2: train.adversarial_eps: -1 is out of range (allowed: 0 (off) or a number up to 1000)");
    cr_assert_eq(app_config_parse(&c, "ok.ini", "[train]\noversample_min_tokens = 15\noversample_extra = 2\n",
                                  err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.train.oversample_min_tokens, 15);
    cr_expect_eq(c.train.oversample_extra, 2);
    expect_error("[train]\noversample_extra = 0\n",
                 "bad.ini:2: train.oversample_extra: 0 is out of range (allowed: an integer from 1 to 100)");
    expect_error("[train]\noversample_min_tokens = -3\n",
                 "bad.ini:2: train.oversample_min_tokens: -3 is out of range (allowed: 0 (off) or a number of tokens)");
    cr_assert_eq(app_config_parse(&c, "ok.ini", "[train]\nrdrop_alpha = 0.5\n", err, sizeof err), 0, "%s", err);
    cr_expect_float_eq(c.train.rdrop_alpha, 0.5f, 1e-7);
    expect_error("[train]\nrdrop_alpha = -0.1\n",
                 "bad.ini:2: train.rdrop_alpha: -0.1 is out of range (allowed: 0 (off) or a number up to 1000)");
    expect_error("[train]\nswa_start = 1\n",
                 "bad.ini:2: train.swa_start: 1 is out of range (allowed: 0 (off) or a fraction of the run in (0, 1))");
    cr_assert_eq(app_config_parse(&c, "ok.ini", "[train]\nrare_word_dropout = 0.5\nrare_word_max_count = 2\n",
                                  err, sizeof err), 0, "%s", err);
    cr_expect_float_eq(c.train.rare_word_dropout, 0.5f, 1e-7);
    cr_expect_eq(c.train.rare_word_max_count, 2);
    expect_error("[train]\nrare_word_max_count = 0\n",
                 "bad.ini:2: train.rare_word_max_count: 0 is out of range (allowed: an integer >= 1)");
    expect_error("[train]\nrare_word_dropout = 1\n",
                 "bad.ini:2: train.rare_word_dropout: 1 is out of range (allowed: 0 (off) or a number in [0, 1))");
    expect_error("[train]\nadversarial_eps = big\n",
                 "bad.ini:2: train.adversarial_eps: \"big\" is not a number (allowed: 0 (off) or a number up to 1000)");
}

/* [data] label_names: names of integer classes, checked where they are set. */
Test(validate, label_names_split_and_errors)
{
    char buf[256], why[128];
    const char *names[CONFIG_MAX_LABEL_NAMES];
    cr_expect_eq(app_config_label_names(" negative , positive ", buf, sizeof buf, names,
                                        CONFIG_MAX_LABEL_NAMES, why, sizeof why), 2);
    cr_expect_str_eq(names[0], "negative");
    cr_expect_str_eq(names[1], "positive");
    cr_expect_eq(app_config_label_names("", buf, sizeof buf, names, CONFIG_MAX_LABEL_NAMES, why,
                                        sizeof why), 0, "empty: the file's own labels");
    cr_expect_eq(app_config_label_names("a,,b", buf, sizeof buf, names, 4, why, sizeof why), -1);
    cr_expect_str_eq(why, "name 2 is empty");
    cr_expect_eq(app_config_label_names("a,b,a", buf, sizeof buf, names, 4, why, sizeof why), -1);
    cr_expect_str_eq(why, "\"a\" is named twice");
    cr_expect_eq(app_config_label_names("a,b,c", buf, sizeof buf, names, 2, why, sizeof why), -1);
    cr_expect_str_eq(why, "more than 2 names");
    cr_expect_eq(app_config_label_names("a,", buf, sizeof buf, names, 4, why, sizeof why), -1);
    expect_invalid("names.ini", "[data]\nlabel_names = good\n", NULL,
                   "names.ini:2: data.label_names = good: a single name (a classifier has at least 2 "
                   "classes) (allowed: empty, or 2 to 64 class names in id order, comma-separated, "
                   "e.g. negative,positive)");
    AppConfig c = app_config_default();
    char err[512];
    cr_expect_eq(app_config_set(&c, "data", "label_names", "x,x", err, sizeof err), 0);
    cr_expect_eq(app_config_validate(&c, err, sizeof err), -1);
    cr_expect(strstr(err, "config: data.label_names = x,x: \"x\" is named twice"), "%s", err);
}

/* Whether a key was given (a file line or --set) and still holds that value:
 * how a checkpoint's run names the keys it overrides. */
Test(parse, is_set_follows_files_and_the_command_line)
{
    AppConfig c = app_config_default();
    char err[512];
    cr_expect_not(app_config_is_set(&c, "model", "d_model"));
    cr_assert_eq(app_config_parse(&c, "m.ini", "[model]\nd_model = 64\n", err, sizeof err), 0, "%s", err);
    cr_expect(app_config_is_set(&c, "model", "d_model"), "set in a file, to the default value");
    cr_expect_eq(app_config_set(&c, "model", "num_heads", "4", err, sizeof err), 0);
    cr_expect(app_config_is_set(&c, "model", "num_heads"), "--set, to the default value");
    c.model.num_heads = 8;
    cr_expect_not(app_config_is_set(&c, "model", "num_heads"), "changed since");
    cr_expect_not(app_config_is_set(&c, "model", "nothing"));
    cr_expect_eq(app_config_validate(&c, err, sizeof err), 0, "%s", err);
}
