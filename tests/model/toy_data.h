/* The workshop's 10-sentence toy data, tokenized here as the notebook does:
 * vocabulary <PAD>, <UNK>, then the sorted distinct words; max_len 10. */
#ifndef MINILLM_TEST_TOY_DATA_H
#define MINILLM_TEST_TOY_DATA_H

#define TOY_N 10
#define TOY_MAX_LEN 10
#define TOY_VOCAB_MAX 64

/* Fills tokens (TOY_N, TOY_MAX_LEN) and labels (TOY_N); returns the vocabulary size. */
int toy_dataset(int *tokens, int *labels);

#endif
