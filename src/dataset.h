/* Labelled sentences from TSV/CSV files (header line; columns found by name), or
 * from the embedded default dataset. Bad lines are reported as file:line: reason
 * and skipped. */
#ifndef MINILLM_DATASET_H
#define MINILLM_DATASET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "text.h"

#define DATASET_MAX_CLASSES 64

typedef struct {
    int n;               /* sentences */
    char **text;         /* (n) UTF-8 sentences as in the file */
    int *label;          /* (n) class id in [0, num_classes) */
    int num_classes;
    char *label_names[DATASET_MAX_CLASSES]; /* display names; "0","1" for integer labels */
    int skipped;         /* bad lines skipped */
    char *storage;       /* owned: the block text[] points into (private) */
} Dataset;

/* A line (CSV: a record) longer than this is a bad line. */
#define DATASET_MAX_LINE_BYTES 65536
/* At most this many bad-line messages are written to the log per file. */
#define DATASET_MAX_LOGGED 1000

/* A data file larger than this many MiB is refused before it is read, unless
 * [data] max_file_mb says otherwise (config.h). */
#define DATASET_DEFAULT_MAX_FILE_MB 1024

/* Loads path (".csv" = CSV with RFC 4180 quoting, anything else = TSV).
 * Header line: the text column is the first named sentence, text, content or
 * review; the label column the first named label, sentiment, class or polarity
 * (either order, case-insensitive, other columns ignored). Blank lines are ignored.
 * Labels without a mapping are integers or names: when most lines have an
 * integer label, ids are those integers (0..63, num_classes = max + 1 but at
 * least 2, names "0", "1", ...); otherwise each distinct name is a class, ids in
 * byte order of the names ("negative" 0, "positive" 1). The lines of the other
 * kind are bad lines (labels 0, 1, x: the line with x).
 * Bad lines: missing column, empty text, empty or unknown label, label out of
 * range or of the other kind, invalid UTF-8, a NUL byte, a line longer than
 * DATASET_MAX_LINE_BYTES, CSV quoting errors.
 * label_names (may be NULL / n_names 0): an existing name->id mapping to reuse
 * (validation set, checkpoint labels, [data] label_names); a label is one of the
 * names, or an integer id below n_names that is not itself a name; other labels
 * are bad lines.
 * Bad lines are written to `log` (may be NULL) as "file:line: reason".
 * Without label_names, a file whose labels are all one name is an error (a
 * classifier needs two classes; integer labels always give at least 2).
 * The file must be a regular file of at most DATASET_DEFAULT_MAX_FILE_MB MiB.
 * Returns NULL with err naming the file when nothing usable was read. */
Dataset *dataset_load(const char *path, const char *const *label_names, int n_names,
                      FILE *log, char *err, size_t err_len);

/* dataset_load with every choice spelled out. */
typedef struct {
    const char *const *label_names; /* the classes to use, or NULL: the file's own */
    int n_names;
    FILE *log;                      /* bad lines, or NULL */
    int max_file_mb;                /* [data] max_file_mb; 0 = DATASET_DEFAULT_MAX_FILE_MB */
    bool texts_only;                /* a tokenizer corpus: any number of classes will do */
} DatasetOptions;
Dataset *dataset_load_with(const char *path, const DatasetOptions *opt, char *err, size_t err_len);
/* A data file whole (malloc'ed, NUL-terminated), refused unread when it is not a
 * regular file or is larger than max_file_mb MiB ([data] max_file_mb; 0: the
 * default), the message naming that key. */
int dataset_file_read(const char *path, int max_file_mb, char **data, size_t *len, char *err,
                      size_t err_len);
/* Same parser over an in-memory buffer; `name` is used in messages. (Public so that
 * tests/data/test_dataset.c feeds it texts without files; the program loads files.) */
Dataset *dataset_parse(const char *name, const char *data, size_t len,
                       const char *const *label_names, int n_names,
                       FILE *log, char *err, size_t err_len);
/* The toy dataset compiled into the binary (assets/): train and held-out parts.
 * Labels "negative" (0) and "positive" (1); the held-out part shares no sentence
 * with the train part. NULL only when out of memory. */
Dataset *dataset_embedded_train(void);
Dataset *dataset_embedded_heldout(void);
/* The workshop's 10 sentences, labels as in the notebook (0 negative, 1 positive):
 * the smallest real dataset to train on (data, cli, ui tests), and the TUI's
 * example sentences (ui/examples.h). */
Dataset *dataset_workshop_toy(void);
/* Deterministic split: every sentence goes to val with probability val_fraction,
 * decided by a hash of (seed, index). Both outputs are new datasets. */
void dataset_split(const Dataset *all, double val_fraction, uint64_t seed,
                   Dataset **train, Dataset **val);
void dataset_free(Dataset *d);

/* The class names of d as dataset_load's label_names argument (a validation set). */
#define DATASET_LABEL_NAMES(d) ((const char *const *)(d)->label_names)

/* Token ids of a whole dataset, (n, max_len), padded with 0, plus lengths. */
typedef struct {
    int n, max_len;
    int *ids;            /* (n, max_len) */
    int *len;            /* (n) real tokens kept */
    int *label;          /* (n) */
} EncodedDataset;

EncodedDataset *dataset_encode(const Dataset *d, const TokenizerConfig *tc, const Vocab *v,
                               int max_len);
void encoded_dataset_free(EncodedDataset *e);
/* Vocabulary from a dataset's sentences. */
Vocab *vocab_from_dataset(const Dataset *d, const TokenizerConfig *tc, int min_freq,
                          int max_size);

#endif
