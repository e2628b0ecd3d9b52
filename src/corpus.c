/* Plain texts from a file (see corpus.h). */
#include "corpus.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "errors.h"
#include "files.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int corpus_load(const char *path, Corpus *out, FILE *log, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    out->text = malloc(sizeof *out->text);
    out->len = malloc(sizeof *out->len);
    if (!out->text || !out->len) {
        corpus_free(out);
        return errorf(err, err_len, "%s: out of memory", path);
    }
    if (ends_with(path, ".txt")) {
        char *bytes;
        size_t len;
        if (file_read_all(path, CORPUS_MAX_TXT_BYTES, &bytes, &len, err, err_len) != 0) {
            corpus_free(out);
            return -1;
        }
        out->owner = bytes;
        out->n = 1;
        out->text[0] = bytes;
        out->len[0] = out->total_bytes = len;
        return 0;
    }
    const DatasetOptions opt = {.log = log, .texts_only = true};
    Dataset *d = dataset_load_with(path, &opt, err, err_len);
    if (!d) {
        corpus_free(out);
        return -1;
    }
    out->owner = d;
    out->owner_is_dataset = 1;
    const char **text = realloc(out->text, (size_t)d->n * sizeof *text);
    size_t *lens = realloc(out->len, (size_t)d->n * sizeof *lens);
    if (text)
        out->text = text;
    if (lens)
        out->len = lens;
    if (!text || !lens) {
        corpus_free(out);
        return errorf(err, err_len, "%s: out of memory", path);
    }
    out->n = (size_t)d->n;
    for (size_t i = 0; i < out->n; i++) {
        out->text[i] = d->text[i];
        out->len[i] = strlen(d->text[i]);
        out->total_bytes += out->len[i];
    }
    return 0;
}

void corpus_free(Corpus *c)
{
    if (c->owner_is_dataset)
        dataset_free(c->owner);
    else
        free(c->owner);
    free(c->text);
    free(c->len);
    memset(c, 0, sizeof *c);
}
