/* The evaluation protocol (lm_eval.h) with a language model: its forward pass
 * as the log-probability callback. */
#ifndef MINILLM_LM_SCORE_H
#define MINILLM_LM_SCORE_H

#include <stddef.h>

#include "lm_eval.h"
#include "model/model.h"

/* ln p(token | the tokens before it) from one row of logits (V): the log-softmax
 * at `token`, with the maximum subtracted and the sum in double. */
float lm_log_softmax_at(const float *logits, int V, int token);

/* lm_evaluate over s with m's weights, eval mode, `batch` blocks per forward.
 * acts: activations of m for at least batch x max_len (NULL: made here and freed).
 * 0, or -1 with err (the model refused a batch: model_forward_error). */
int lm_evaluate_model(Model *m, Activations *acts, int batch, const LmStream *s,
                      LmEvalResult *out, char *err, size_t err_len);

#endif
