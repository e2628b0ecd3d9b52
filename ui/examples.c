/* The notebook's example sentences: see examples.h. */
#include "examples.h"

#include <stdlib.h>
#include <string.h>

#include "src/errors.h"

int examples_init(Examples *ex, const Model *m, const TokenizerConfig *tc, const Vocab *vocab,
                  const char *const *labels, int num_labels, char *err, size_t err_len)
{
    memset(ex, 0, sizeof *ex);
    const ModelConfig *mc = &m->cfg;
    ex->toy = dataset_workshop_toy();
    ex->n = ex->toy ? ex->toy->n : 0;
    ex->T_max = mc->max_len;
    ex->K = mc->num_classes;
    const size_t n = (size_t)(ex->n > 0 ? ex->n : 1);
    ex->ids = calloc(n * (size_t)ex->T_max, sizeof(int));
    ex->feed = calloc(n * (size_t)ex->T_max, sizeof(int));
    ex->probs = calloc(n * (size_t)ex->K, sizeof(float));
    ex->predicted = calloc(n, sizeof(int));
    ex->expected = calloc(n, sizeof(int));
    ex->acts = ex->n > 0 ? activations_create(m, ex->n, ex->T_max) : NULL;
    if (!ex->toy || !ex->ids || !ex->feed || !ex->probs || !ex->predicted || !ex->expected || !ex->acts) {
        examples_free(ex);
        return errorf(err, err_len, "out of memory for the example sentences (max_len %d)",
                      mc->max_len);
    }
    for (int i = 0; i < ex->n; i++) {
        int len = encode_sentence(tc, vocab, ex->toy->text[i], ex->T_max,
                                  ex->ids + (size_t)i * ex->T_max, NULL);
        ex->longest = len > ex->longest ? len : ex->longest;
        ex->expected[i] = -1;
        for (int k = 0; k < num_labels; k++)
            if (strcmp(labels[k], examples_label(ex, i)) == 0)
                ex->expected[i] = k;
    }
    return 0;
}

void examples_free(Examples *ex)
{
    dataset_free(ex->toy);
    activations_free(ex->acts);
    free(ex->ids);
    free(ex->feed);
    free(ex->probs);
    free(ex->predicted);
    free(ex->expected);
    memset(ex, 0, sizeof *ex);
}

void examples_run(Examples *ex, Model *m)
{
    ex->valid = false;
    if (ex->n <= 0)
        return;
    /* the tokens the model's rule feeds; with the padding mask, as many as the
     * longest example has: ids are padded in place to that length */
    const int T = model_tokens_to_feed(&m->cfg, ex->longest);
    for (int i = 0; i < ex->n; i++)
        memcpy(ex->feed + (size_t)i * T, ex->ids + (size_t)i * ex->T_max, (size_t)T * sizeof(int));
    if (!model_forward(m, ex->acts, ex->feed, ex->n, T, NULL) ||
        activations_nonfinite_row(ex->acts) >= 0) /* no prediction: rows show "-" */
        return;
    const float *p = activations_probs(ex->acts);
    memcpy(ex->probs, p, (size_t)ex->n * (size_t)ex->K * sizeof(float));
    for (int i = 0; i < ex->n; i++) {
        int best = 0;
        for (int k = 1; k < ex->K; k++)
            best = p[(size_t)i * ex->K + k] > p[(size_t)i * ex->K + best] ? k : best;
        ex->predicted[i] = best;
    }
    ex->valid = true;
}

const char *examples_label(const Examples *ex, int i)
{
    return ex->toy->label_names[ex->toy->label[i]];
}
