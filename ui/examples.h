/* The notebook's example sentences (the workshop's 10, src/dataset.h) as the
 * model in training reads them: one batched forward whenever newer weights
 * arrive, so the dashboard's prediction table follows the training. Their
 * labels are the notebook's; `expected` maps them to this run's classes by
 * name (-1 when the run has no class of that name). */
#ifndef MINILLM_UI_EXAMPLES_H
#define MINILLM_UI_EXAMPLES_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"
#include "src/dataset.h"
#include "src/text.h"

typedef struct {
    Dataset *toy;               /* the sentences and their notebook labels */
    int n, T_max, K;
    int *ids;                   /* (n, T_max) padded with MODEL_PAD_ID */
    int *feed;                  /* (n, T) the batch fed: ids cut to T columns */
    int longest;                /* real tokens of the longest sentence */
    Activations *acts;          /* batch n */
    float *probs;               /* (n, K) */
    int *predicted;             /* (n) argmax */
    int *expected;              /* (n) the notebook's label as a class of this run, or -1 */
    bool valid;                 /* examples_run has run on the current weights */
} Examples;

int examples_init(Examples *ex, const Model *m, const TokenizerConfig *tc, const Vocab *vocab,
                  const char *const *labels, int num_labels, char *err, size_t err_len);
void examples_free(Examples *ex);
/* The forward of every example with the model's current weights. */
void examples_run(Examples *ex, Model *m);
/* The notebook's label of example i ("positive"). */
const char *examples_label(const Examples *ex, int i);

#endif
