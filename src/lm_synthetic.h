/* Built-in synthetic tasks for the language model ([data] synthetic): endless
 * sequences whose attention patterns are known in advance. Each example is one
 * line, "<letters>|<answer>\n", e.g. "kqzfb|kqzfb" (copy), "kqzfb|bfzqk"
 * (reverse), "kqzfb|bfkqz" (sort); the letters are a..z, drawn uniformly, 3 to 8
 * of them. The answer is fully determined by the letters, so a model that has
 * learnt the task predicts it with certainty; on `copy` a 2-layer model does it
 * with an induction head (answer position i attends to the letter after the
 * previous occurrence of the token it has just read). */
#ifndef MINILLM_LM_SYNTHETIC_H
#define MINILLM_LM_SYNTHETIC_H

#include <stdbool.h>
#include <stddef.h>

#include "model/rng.h"

typedef enum {
    SYNTHETIC_NONE = 0,
    SYNTHETIC_COPY = 1,
    SYNTHETIC_REVERSE = 2,
    SYNTHETIC_SORT = 3,
} SyntheticTask;

#define SYNTHETIC_MIN_LETTERS 3
#define SYNTHETIC_MAX_LETTERS 8
/* Longest example in bytes: letters, '|', answer, '\n'. */
#define SYNTHETIC_MAX_EXAMPLE (2 * SYNTHETIC_MAX_LETTERS + 2)

/* Every character an example may hold ("\n", a..z, "|"): the vocabulary's text. */
const char *synthetic_alphabet(void);

/* Writes one example drawn from rng into out (at least SYNTHETIC_MAX_EXAMPLE
 * bytes; no NUL); returns its length. Index of the '|' in *bar (may be NULL). */
int synthetic_example(SyntheticTask task, Rng *rng, char *out, int *bar);

/* Fills out[0..n) with consecutive examples drawn from rng (no NUL). With
 * random_start the text begins at a random byte of its first example (training
 * windows), else at the start of one (the validation text). */
void synthetic_text(SyntheticTask task, Rng *rng, char *out, size_t n, bool random_start);

#endif
