/* The evaluation protocol with a model: see lm_score.h. */
#include "lm_score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

float lm_log_softmax_at(const float *logits, int V, int token)
{
    float max = logits[0];
    for (int v = 1; v < V; v++)
        if (logits[v] > max)
            max = logits[v];
    double sum = 0;
    for (int v = 0; v < V; v++)
        sum += exp((double)(logits[v] - max));
    return (float)((double)(logits[token] - max) - log(sum));
}

typedef struct {
    Model *m;
    Activations *acts;
    int *inputs; /* (batch, max_len) */
} Scorer;

/* LmLogProbFn: block b's first n - 1 tokens in, the logits of each next token out. */
static int score(void *ctx, const int *tokens, int B, int n, float *logp, char *err,
                 size_t err_len)
{
    Scorer *s = ctx;
    const int T = n - 1, V = s->m->cfg.vocab_size;
    for (int b = 0; b < B; b++)
        memcpy(s->inputs + (size_t)b * T, tokens + (size_t)b * n, (size_t)T * sizeof(int));
    const float *logits = model_forward(s->m, s->acts, s->inputs, B, T, NULL);
    if (!logits)
        return errorf(err, err_len, "%s", model_forward_error(s->acts));
    if (activations_nonfinite_row(s->acts) >= 0) /* diverged weights: no figure at all */
        return errorf(err, err_len, "the model's output is NaN or infinite (the weights diverged "
                      "or are too large): no evaluation");
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            int next = tokens[(size_t)b * n + t + 1];
            if (next < 0 || next >= V)
                return errorf(err, err_len, "token id %d is outside the vocabulary [0, %d)", next,
                              V);
            logp[(size_t)b * T + t] =
                lm_log_softmax_at(logits + ((size_t)b * T + t) * (size_t)V, V, next);
        }
    return 0;
}

int lm_evaluate_model(Model *m, Activations *acts, int batch, const LmStream *s,
                      LmEvalResult *out, char *err, size_t err_len)
{
    const int T = m->cfg.max_len;
    Scorer sc = {m, acts, malloc((size_t)batch * (size_t)T * sizeof(int))};
    Activations *own = NULL;
    if (!sc.acts)
        sc.acts = own = activations_create(m, batch, T);
    int rc = -1;
    if (!sc.inputs || !sc.acts)
        errorf(err, err_len, "out of memory (evaluation batch %d x %d)", batch, T);
    else
        rc = lm_evaluate(s, T, batch, score, &sc, out, err, err_len);
    activations_free(own);
    free(sc.inputs);
    return rc;
}
