/* The language model's data: see lm_data.h. */
#include "lm_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assets.h"
#include "dataset.h"
#include "errors.h"
#include "spelling.h"

#define EMBEDDED_LM_NAME "embedded text"

char *lm_join_rows(const char *const *rows, size_t n, size_t *len)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(rows[i]) + 1;
    char *text = malloc(total + 1);
    if (!text)
        return NULL;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(rows[i]);
        memcpy(text + used, rows[i], k);
        used += k;
        text[used++] = '\n';
    }
    text[used] = '\0';
    *len = used;
    return text;
}

/* UTF-8 without NUL bytes; err names the byte offset of the first problem. */
static int check_text(const char *name, const char *text, size_t len, char *err, size_t err_len)
{
    const char *nul = memchr(text, '\0', len);
    if (nul)
        return errorf(err, err_len, "%s: byte %zu is a NUL byte (not a text)", name,
                      (size_t)(nul - text));
    for (size_t i = 0; i < len;) {
        size_t n = (unsigned char)text[i] < 0x80 ? 1 : utf8_char_len(text + i, len - i);
        if (n == 0)
            return errorf(err, err_len, "%s: byte %zu is not valid UTF-8", name, i);
        i += n;
    }
    return 0;
}

/* A .txt file whole, with a final '\n', of at most max_file_mb MiB (0: the default). */
static int load_txt(const char *path, int max_file_mb, char **text, size_t *len, char *err,
                    size_t err_len)
{
    char *bytes;
    size_t n;
    if (dataset_file_read(path, max_file_mb, &bytes, &n, err, err_len) != 0)
        return -1;
    if (n > 0 && bytes[n - 1] != '\n') {
        char *grown = realloc(bytes, n + 2);
        if (!grown) {
            free(bytes);
            return errorf(err, err_len, "%s: out of memory", path);
        }
        bytes = grown;
        bytes[n++] = '\n';
        bytes[n] = '\0';
    }
    *text = bytes;
    *len = n;
    return 0;
}

int lm_text_load(const char *path, int max_file_mb, char **text, size_t *len, int *skipped,
                 FILE *log, char *err, size_t err_len)
{
    size_t plen = strlen(path);
    *text = NULL;
    if (skipped)
        *skipped = 0;
    if (plen >= 4 && strcmp(path + plen - 4, ".txt") == 0) {
        if (load_txt(path, max_file_mb, text, len, err, err_len) != 0)
            return -1;
    } else {
        const DatasetOptions opt = {.log = log, .max_file_mb = max_file_mb};
        Dataset *d = dataset_load_with(path, &opt, err, err_len);
        if (!d)
            return -1;
        if (skipped)
            *skipped = d->skipped;
        *text = lm_join_rows((const char *const *)d->text, (size_t)d->n, len);
        dataset_free(d);
        if (!*text)
            return errorf(err, err_len, "%s: out of memory", path);
    }
    if (*len == 0 || check_text(path, *text, *len, err, err_len) != 0) {
        if (*len == 0)
            errorf(err, err_len, "%s: empty text", path);
        free(*text);
        *text = NULL;
        return -1;
    }
    return 0;
}

size_t lm_split_point(const char *text, size_t len, double fraction)
{
    size_t chars = utf8_count_chars(text, len);
    size_t keep = chars - (size_t)((double)chars * fraction), i = 0;
    for (size_t c = 0; c < keep && i < len; c++) {
        size_t n = utf8_char_len(text + i, len - i);
        i += n ? n : 1;
    }
    return i;
}

Vocab *lm_build_vocab(const TokenizerConfig *tc, const char *text, size_t len, int min_freq,
                      int max_vocab)
{
    VocabBuilder *vb = vocab_builder_create();
    if (!vb)
        return NULL;
    vocab_builder_add_text(vb, tc, text, len);
    Vocab *v = vocab_build(vb, min_freq, max_vocab);
    vocab_builder_free(vb);
    return v;
}

int lm_stream_encode(LmStream *out, const TokenizerConfig *tc, const Vocab *v, const char *text,
                     size_t len, const char *name, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    size_t cap = len > 0 ? len : 1; /* a token has at least one byte */
    out->ids = malloc(cap * sizeof *out->ids);
    out->chars = malloc(cap * sizeof *out->chars);
    long n = out->ids && out->chars ? encode_text(tc, v, text, len, out->ids, out->chars) : -1;
    if (n < 0) {
        lm_stream_free(out);
        return errorf(err, err_len, "%s: out of memory encoding the text", name);
    }
    out->n = n;
    for (long i = 0; i < n; i++)
        out->total_chars += out->chars[i];
    return 0;
}

void lm_stream_free(LmStream *s)
{
    free(s->ids);
    free(s->chars);
    memset(s, 0, sizeof *s);
}

long lm_stream_window(const LmStream *s, Rng *rng, int n, int *out)
{
    long starts = s->n - n + 1;
    long start = starts > 1 ? (long)(rng_next_u64(rng) % (uint64_t)starts) : 0;
    memcpy(out, s->ids + start, (size_t)n * sizeof *out);
    return start;
}

/* ------------------------------------------------------------ a run's data */

static int use_vocab(LmData *d, const Vocab *vocab, const char *text, size_t len, int min_freq,
                     int max_vocab, int bpe_ids, char *err, size_t err_len)
{
    if (!vocab && d->tokenizer.kind == TOKENIZER_BPE) {
        const char *texts[1] = {text};
        d->built_vocab = vocab_learn_bpe(&d->tokenizer, texts, &len, 1, bpe_ids, LM_BPE_SPECIALS,
                                         err, err_len);
        if (!d->built_vocab)
            return -1;
        vocab = d->built_vocab;
    } else if (!vocab) {
        d->built_vocab = lm_build_vocab(&d->tokenizer, text, len, min_freq, max_vocab);
        if (!d->built_vocab)
            return errorf(err, err_len, "%s: could not build the vocabulary (out of memory)",
                          d->train_name);
        vocab = d->built_vocab;
    }
    d->vocab = vocab;
    return 0;
}

/* The generated validation text of a synthetic task: the same for a seed. */
static int synthetic_val(LmData *d, uint64_t seed, char *err, size_t err_len)
{
    char *text = malloc(LM_SYNTHETIC_VAL_BYTES);
    if (!text)
        return errorf(err, err_len, "out of memory (synthetic validation text)");
    Rng rng;
    rng_seed(&rng, seed ^ 0x53594e5448564131ULL); /* not the training windows' stream */
    synthetic_text(d->synthetic, &rng, text, LM_SYNTHETIC_VAL_BYTES, false);
    snprintf(d->val_name, sizeof d->val_name, "synthetic %s (validation text)",
             enum_name(&SYNTHETIC_NAMES, d->synthetic));
    int rc = lm_stream_encode(&d->val, &d->tokenizer, d->vocab, text, LM_SYNTHETIC_VAL_BYTES,
                              d->val_name, err, err_len);
    free(text);
    return rc;
}

static int open_synthetic(LmData *d, const DataConfig *dc, uint64_t seed, const Vocab *vocab,
                          char *err, size_t err_len)
{
    d->synthetic = dc->synthetic;
    snprintf(d->train_name, sizeof d->train_name, "synthetic %s",
             enum_name(&SYNTHETIC_NAMES, d->synthetic));
    const char *alphabet = synthetic_alphabet();
    if (use_vocab(d, vocab, alphabet, strlen(alphabet), 1, 0, 0, err, err_len) != 0)
        return -1;
    return synthetic_val(d, seed, err, err_len);
}

/* The embedded text (assets/lm_everyday.txt) as a malloc'ed copy. */
static char *embedded_text(size_t *len)
{
    char *text = malloc(asset_lm_text_len + 1);
    if (text) {
        memcpy(text, asset_lm_text, asset_lm_text_len + 1);
        *len = asset_lm_text_len;
    }
    return text;
}

/* The training text, the file's or the embedded one, into *text. */
static int load_train_text(LmData *d, const DataConfig *dc, char **text, size_t *len, FILE *log,
                           char *err, size_t err_len)
{
    if (dc->train_path[0]) {
        snprintf(d->train_name, sizeof d->train_name, "%s", dc->train_path);
        return lm_text_load(dc->train_path, dc->max_file_mb, text, len, &d->skipped, log, err,
                            err_len);
    }
    snprintf(d->train_name, sizeof d->train_name, EMBEDDED_LM_NAME);
    if (!(*text = embedded_text(len)))
        return errorf(err, err_len, "out of memory (embedded text)");
    return 0;
}

int lm_data_open_train(LmData *d, const DataConfig *dc, uint64_t seed, const Vocab *vocab, int need,
                       FILE *log, char *err, size_t err_len)
{
    memset(d, 0, sizeof *d);
    d->tokenizer = dc->tokenizer;
    if (dc->synthetic != SYNTHETIC_NONE) {
        if (open_synthetic(d, dc, seed, vocab, err, err_len) == 0)
            return 0;
        lm_data_close(d);
        return -1;
    }
    char *text = NULL, *val_text = NULL;
    size_t len = 0, val_len = 0, cut;
    int rc = -1, val_skipped = 0;
    if (load_train_text(d, dc, &text, &len, log, err, err_len) != 0)
        goto done;
    if (dc->val_path[0]) {
        if (lm_text_load(dc->val_path, dc->max_file_mb, &val_text, &val_len, &val_skipped, log,
                         err, err_len) != 0)
            goto done;
        d->skipped += val_skipped;
        snprintf(d->val_name, sizeof d->val_name, "%s", dc->val_path);
        cut = len;
    } else {
        cut = lm_split_point(text, len, LM_VAL_FRACTION);
        snprintf(d->val_name, sizeof d->val_name, "%.1000s (last 5 %%)", d->train_name);
    }
    if (use_vocab(d, vocab, text, cut, dc->min_freq, dc->max_vocab, dc->vocab_size, err, err_len) != 0 ||
        lm_stream_encode(&d->train, &d->tokenizer, d->vocab, text, cut, d->train_name, err,
                         err_len) != 0 ||
        lm_stream_encode(&d->val, &d->tokenizer, d->vocab, val_text ? val_text : text + cut,
                         val_text ? val_len : len - cut, d->val_name, err, err_len) != 0)
        goto done;
    if (d->train.n < need) {
        errorf(err, err_len, "%s: the training text has %ld tokens, fewer than max_len + 1 = %d",
               d->train_name, d->train.n, need);
        goto done;
    }
    rc = 0;
done:
    free(text);
    free(val_text);
    if (rc != 0)
        lm_data_close(d);
    return rc;
}

int lm_data_open_eval(LmData *d, const DataConfig *dc, uint64_t seed, const Vocab *vocab,
                      FILE *log, char *err, size_t err_len)
{
    memset(d, 0, sizeof *d);
    d->tokenizer = dc->tokenizer;
    d->vocab = vocab;
    char *text = NULL;
    size_t len = 0, from = 0;
    int rc = -1;
    if (dc->val_path[0]) {
        snprintf(d->val_name, sizeof d->val_name, "%s", dc->val_path);
        if (lm_text_load(dc->val_path, dc->max_file_mb, &text, &len, &d->skipped, log, err,
                         err_len) != 0)
            goto done;
    } else if (dc->synthetic != SYNTHETIC_NONE) {
        d->synthetic = dc->synthetic;
        rc = synthetic_val(d, seed, err, err_len);
        goto done;
    } else {
        snprintf(d->val_name, sizeof d->val_name, EMBEDDED_LM_NAME " (last 5 %%)");
        if (!(text = embedded_text(&len))) {
            errorf(err, err_len, "out of memory (embedded text)");
            goto done;
        }
        from = lm_split_point(text, len, LM_VAL_FRACTION);
    }
    rc = lm_stream_encode(&d->val, &d->tokenizer, vocab, text + from, len - from, d->val_name, err,
                          err_len);
done:
    free(text);
    if (rc != 0)
        lm_data_close(d);
    return rc;
}

void lm_data_close(LmData *d)
{
    lm_stream_free(&d->train);
    lm_stream_free(&d->val);
    vocab_free(d->built_vocab);
    memset(d, 0, sizeof *d);
}

long lm_data_window(const LmData *d, Rng *rng, int n, int *out, char *scratch)
{
    if (d->synthetic == SYNTHETIC_NONE) {
        long start = lm_stream_window(&d->train, rng, n, out), chars = 0;
        for (int i = 1; i < n; i++)
            chars += d->train.chars[start + i];
        return chars;
    }
    synthetic_text(d->synthetic, rng, scratch, (size_t)n, true);
    for (int i = 0; i < n; i++) {
        char one[2] = {scratch[i], '\0'};
        out[i] = vocab_lookup(d->vocab, one);
    }
    return n - 1; /* one character per token */
}
