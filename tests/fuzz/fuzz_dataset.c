/* Fuzz target: a TSV or CSV data file, its vocabulary and its encoding.
 * The first byte chooses: bit 0 CSV or TSV, bit 1 the tokenizer (words or
 * whitespace), bit 2 lower-casing, bit 3 the classes given (a validation file)
 * or the file's own; the rest is the file.
 * Properties: a file is loaded or refused with a message naming it; every
 * sentence is valid UTF-8 and not blank, every label is a class id; each
 * vocabulary token has its own id and looks itself up; the encoding has only
 * ids of the vocabulary, at most max_len real tokens and padding after them. */
#include <string.h>

#include "dataset.h"
#include "fuzz.h"
#include "model/model.h"

#define MAX_LEN 16

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void check_vocab(const Vocab *v)
{
    int n = vocab_size(v);
    FUZZ_CHECK(n >= 2, "vocabulary of %d", n);
    FUZZ_CHECK(strcmp(vocab_token(v, MODEL_PAD_ID), VOCAB_PAD_TOKEN) == 0, "id 0");
    FUZZ_CHECK(strcmp(vocab_token(v, MODEL_UNK_ID), VOCAB_UNK_TOKEN) == 0, "id 1");
    for (int i = 2; i < n; i++)
        FUZZ_CHECK(vocab_lookup(v, vocab_token(v, i)) == i, "token %d '%s' looks up %d", i,
                   vocab_token(v, i), vocab_lookup(v, vocab_token(v, i)));
}

static void check_encoding(const Dataset *d, const TokenizerConfig *tc, const Vocab *v)
{
    EncodedDataset *e = dataset_encode(d, tc, v, MAX_LEN);
    if (!e)
        return;
    for (int i = 0; i < e->n; i++) {
        FUZZ_CHECK(e->len[i] >= 0 && e->len[i] <= MAX_LEN, "length %d", e->len[i]);
        for (int t = 0; t < MAX_LEN; t++) {
            int id = e->ids[(size_t)i * MAX_LEN + (size_t)t];
            FUZZ_CHECK(id >= 0 && id < vocab_size(v), "id %d", id);
            FUZZ_CHECK(t < e->len[i] ? id != MODEL_PAD_ID : id == MODEL_PAD_ID,
                       "sentence %d position %d: id %d (length %d)", i, t, id, e->len[i]);
        }
        FUZZ_CHECK(e->label[i] == d->label[i], "label");
    }
    encoded_dataset_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const unsigned mode = data[0];
    const char *name = mode & 1 ? "fuzz.csv" : "fuzz.tsv";
    const TokenizerConfig tc = {mode & 2 ? TOKENIZER_WHITESPACE : TOKENIZER_WORDS, (mode & 4) != 0};
    const char *const given[] = {"negative", "positive", "neutral"};
    char err[1024] = "";
    Dataset *d = dataset_parse(name, (const char *)data + 1, size - 1, mode & 8 ? given : NULL,
                               mode & 8 ? 3 : 0, NULL, err, sizeof err);
    if (!d) {
        FUZZ_CHECK(strncmp(err, name, strlen(name)) == 0 && (err[strlen(name)] == ':'),
                   "message '%s'", err);
        return 0;
    }
    fuzz_accepted++;
    FUZZ_CHECK(d->n > 0 && d->num_classes >= 2 && d->num_classes <= DATASET_MAX_CLASSES,
               "%d sentences, %d classes", d->n, d->num_classes);
    for (int i = 0; i < d->n; i++) {
        FUZZ_CHECK(utf8_valid(d->text[i], strlen(d->text[i])), "sentence %d not UTF-8", i);
        FUZZ_CHECK(strspn(d->text[i], " \t\r\n\v\f") < strlen(d->text[i]), "sentence %d blank", i);
        FUZZ_CHECK(d->label[i] >= 0 && d->label[i] < d->num_classes, "label %d", d->label[i]);
    }
    Vocab *v = vocab_from_dataset(d, &tc, 1, mode & 16 ? 5 : 0);
    if (v) {
        check_vocab(v);
        check_encoding(d, &tc, v);
        vocab_free(v);
    }
    dataset_free(d);
    return 0;
}
