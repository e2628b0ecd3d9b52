/* Plain texts from a file, for learning a tokenizer: a ".txt" file is one text, a
 * TSV/CSV gives its text column (dataset_load's rules). */
#ifndef MINILLM_CORPUS_H
#define MINILLM_CORPUS_H

#include <stddef.h>
#include <stdio.h>

/* A ".txt" file larger than this is refused. */
#define CORPUS_MAX_TXT_BYTES ((size_t)1 << 30)

typedef struct {
    size_t n;
    const char **text;  /* (n) text i has len[i] bytes (NUL bytes possible in a .txt) */
    size_t *len;        /* (n) */
    size_t total_bytes;
    void *owner;        /* private: the Dataset or the file's bytes */
    int owner_is_dataset;
} Corpus;

/* Bad TSV/CSV lines go to log (may be NULL) as dataset_load writes them. 0, or -1
 * with a message naming the file. */
int corpus_load(const char *path, Corpus *out, FILE *log, char *err, size_t err_len);
void corpus_free(Corpus *c);

#endif
