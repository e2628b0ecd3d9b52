/* Live inference: see infer.h. */
#include "infer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "src/errors.h"

/* Padding columns shown after the sentence's tokens (when max_len leaves room). */
#define PADS_SHOWN 2

int infer_init(Inference *inf, const ModelConfig *mc, const TokenizerConfig *tc,
               const Vocab *vocab, const char *const *labels, int num_labels, char *err,
               size_t err_len)
{
    memset(inf, 0, sizeof *inf);
    Rng rng;
    rng_seed(&rng, 1); /* the values are overwritten by the first weight copy */
    inf->model = model_create(mc, &rng, err, err_len);
    if (!inf->model)
        return -1;
    inf->acts = activations_create(inf->model, 1, mc->max_len);
    inf->ids = calloc((size_t)mc->max_len, sizeof(int));
    inf->tokens = calloc((size_t)mc->max_len, sizeof *inf->tokens);
    inf->probs = calloc((size_t)(num_labels > 0 ? num_labels : 1), sizeof *inf->probs);
    inf->lm = mc->task == MODEL_TASK_LM;
    if (inf->lm)
        inf->next = calloc((size_t)mc->vocab_size, sizeof *inf->next);
    if (!inf->acts || !inf->ids || !inf->tokens || !inf->probs || (inf->lm && !inf->next)) {
        infer_free(inf);
        return errorf(err, err_len, "out of memory for the UI's inference buffers (max_len %d)",
                      mc->max_len);
    }
    if (num_labels != mc->num_classes) {
        infer_free(inf);
        return errorf(err, err_len, "%d class names for a model of %d classes", num_labels,
                      mc->num_classes);
    }
    inf->tc = tc;
    inf->vocab = vocab;
    inf->labels = labels;
    inf->num_labels = num_labels;
    inf->weights_version = -1;
    inf->weights_step = -1;
    return 0;
}

void infer_free(Inference *inf)
{
    activations_free(inf->acts);
    model_free(inf->model);
    free(inf->ids);
    free(inf->tokens);
    free(inf->probs);
    free(inf->next);
    memset(inf, 0, sizeof *inf);
}

bool infer_refresh_weights(Inference *inf, Snapshot *snap)
{
    if (snap->num_params != inf->model->num_params)
        return false;
    return snapshot_read_weights(snap, inf->model->params, &inf->weights_version,
                                 &inf->weights_step);
}

void infer_run(Inference *inf, const char *sentence)
{
    const ModelConfig *mc = &inf->model->cfg;
    inf->n_tokens = encode_sentence(inf->tc, inf->vocab, sentence, mc->max_len, inf->ids,
                                    inf->tokens);
    inf->n_words = (int)sentence_token_count(inf->tc, inf->vocab, sentence);
    inf->n_unknown = 0;
    for (int i = 0; i < inf->n_tokens; i++)
        inf->n_unknown += inf->ids[i] == MODEL_UNK_ID;
    inf->valid = inf->nonfinite = false;
    if (inf->n_tokens <= 0)
        return;
    int spare = mc->max_len - inf->n_tokens;
    int pads_shown = inf->lm ? 0 : spare < PADS_SHOWN ? spare : PADS_SHOWN; /* lm: no padding */
    for (int i = inf->n_tokens; i < inf->n_tokens + pads_shown; i++)
        snprintf(inf->tokens[i], sizeof inf->tokens[i], "%s", "<pad>");
    inf->shown = inf->n_tokens + pads_shown;
    inf->T = model_tokens_to_feed(mc, inf->shown);
    const float *logits = model_forward(inf->model, inf->acts, inf->ids, 1, inf->T, NULL);
    if (!logits)
        return;
    inf->nonfinite = activations_nonfinite_row(inf->acts) >= 0;
    if (inf->nonfinite)
        return;
    if (inf->lm) { /* the row of the last real token predicts the next one */
        int V = mc->vocab_size;
        gen_softmax(logits + (size_t)(inf->n_tokens - 1) * V, V, 1.0f, inf->next);
        gen_top_tokens(inf->next, V, inf->next_top, V < INFER_NEXT_TOP ? V : INFER_NEXT_TOP);
        inf->predicted = inf->next_top[0];
    }
    const float *p = activations_probs(inf->acts);
    if (!inf->lm)
        inf->predicted = 0;
    for (int k = 0; k < inf->num_labels && p; k++) {
        inf->probs[k] = p[k];
        if (p[k] > p[inf->predicted])
            inf->predicted = k;
    }
    activations_layer_norms(inf->acts, 0, inf->norms); /* num_layers <= MODEL_MAX_LAYERS: validated */
    inf->valid = true;
}

bool infer_masked(const Inference *inf, int q, int k, bool whatif)
{
    const ModelConfig *mc = &inf->model->cfg;
    bool causal = mc->causal != whatif;
    return (causal && k > q) || (mc->pad_mask && inf->ids[k] == MODEL_PAD_ID);
}

float infer_attention(const Inference *inf, int layer, int head, int q, int k, bool *masked)
{
    int T = inf->T;
    if (masked)
        *masked = infer_masked(inf, q, k, false);
    const float *att = activations_attention(inf->acts, layer); /* (1, NH, T, T) */
    return att[((size_t)head * T + q) * T + k];
}

bool infer_unknown(const Inference *inf, int i)
{
    return i >= 0 && i < inf->n_tokens && inf->ids[i] == MODEL_UNK_ID;
}
