/* The language model's data: a text as one stream of token ids, its character
 * vocabulary, the training/validation cut, and the random training windows.
 *
 * A file's text: a ".txt" file is one text (a final '\n' is added when it lacks
 * one); a TSV/CSV gives the rows of its text column (dataset_load's rules),
 * joined with '\n', with a final '\n'. The text must be UTF-8 without NUL bytes.
 *
 * Vocabulary (char tokens): <PAD> (id 0), <UNK> (id 1), then every code point of
 * the training text in code point order ("\n" = U+000A and " " come first), cut
 * by [data] min_freq and max_vocab; a code point not in it is <UNK>.
 *
 * Nothing here depends on the kind of token: a stream records how many
 * characters each token's text has, which bits per character count. */
#ifndef MINILLM_LM_DATA_H
#define MINILLM_LM_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "model/rng.h"
#include "text.h"

/* Without a validation file, the last 5 % of the training text's characters
 * are the validation text. */
#define LM_VAL_FRACTION 0.05
/* A synthetic task has no text to go through: an epoch is this many steps. */
#define LM_SYNTHETIC_STEPS_PER_EPOCH 100
/* Bytes of generated text a synthetic task is validated on. */
#define LM_SYNTHETIC_VAL_BYTES 8192

typedef struct {
    long n;            /* tokens */
    int *ids;          /* (n) */
    int *chars;        /* (n) characters (code points) of each token's text */
    long total_chars;
} LmStream;

/* Rows joined with '\n' and a final '\n', NUL-terminated (malloc; *len excludes the NUL). */
char *lm_join_rows(const char *const *rows, size_t n, size_t *len);
/* A file's text by the rules above (malloc'ed, NUL-terminated). Bad TSV/CSV lines
 * go to log (may be NULL); *skipped (may be NULL) counts them. */
int lm_text_load(const char *path, char **text, size_t *len, int *skipped, FILE *log, char *err,
                 size_t err_len);
/* The byte offset where the last `fraction` of text's characters begins (at a
 * character boundary; 0 < fraction < 1). */
size_t lm_split_point(const char *text, size_t len, double fraction);
/* The vocabulary of a training text (see above); NULL when out of memory. */
Vocab *lm_build_vocab(const TokenizerConfig *tc, const char *text, size_t len, int min_freq,
                      int max_vocab);
/* 0, or -1 with err when out of memory. `name` names the text in messages. */
int lm_stream_encode(LmStream *out, const TokenizerConfig *tc, const Vocab *v, const char *text,
                     size_t len, const char *name, char *err, size_t err_len);
void lm_stream_free(LmStream *s);
/* n consecutive tokens from a uniformly drawn start in [0, s->n - n]; s->n >= n.
 * Returns the start. */
long lm_stream_window(const LmStream *s, Rng *rng, int n, int *out);

/* The language model's data for a run. */
typedef struct {
    SyntheticTask synthetic;  /* != NONE: training windows are generated, not cut from train */
    TokenizerConfig tokenizer;
    LmStream train;           /* empty for a synthetic task */
    LmStream val;             /* n = 0: no validation */
    Vocab *built_vocab;       /* when lm_data_open built one (NULL: the caller's) */
    const Vocab *vocab;
    char train_name[1024];    /* what was trained on: a file, "embedded text", "synthetic copy" */
    char val_name[1100];      /* what is validated on */
    int skipped;              /* bad TSV/CSV lines skipped */
} LmData;

/* Training data by the [data] rules: dc->synthetic, else dc->train_path (or the
 * embedded text when empty); validation from dc->val_path, else the last
 * LM_VAL_FRACTION of the training text (the generated validation text for a
 * synthetic task). vocab NULL: built from the training text; else (a
 * checkpoint's) used as it is. `need` is the fewest training tokens (max_len + 1).
 * On failure err names the file or setting and nothing is left allocated. */
int lm_data_open_train(LmData *d, const DataConfig *dc, uint64_t seed, const Vocab *vocab, int need,
                       FILE *log, char *err, size_t err_len);
/* Evaluation text with the given vocabulary: dc->val_path whole, else the
 * synthetic task's validation text, else the embedded text's validation part. */
int lm_data_open_eval(LmData *d, const DataConfig *dc, uint64_t seed, const Vocab *vocab,
                      FILE *log, char *err, size_t err_len);
void lm_data_close(LmData *d);
/* One training window of n tokens: cut from the training stream, or generated
 * (a synthetic task). scratch: at least n bytes for generated text. Returns
 * the characters of tokens 1..n-1 (the ones the window predicts). */
long lm_data_window(const LmData *d, Rng *rng, int n, int *out, char *scratch);

#endif
