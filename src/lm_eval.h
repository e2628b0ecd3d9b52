/* The language model's evaluation protocol, written once: `eval`, validation
 * during training, the TUI and the README all report these figures.
 *
 * The text is one stream of tokens (lm_data.h: rows joined with '\n', a final
 * '\n'), cut into consecutive non-overlapping blocks of max_len + 1 tokens; a
 * last block of at least 2 tokens counts, a last single token does not. Each
 * block predicts its tokens 2..n from the ones before them (the model sees
 * tokens 1..n-1 and nothing of the previous block). Reported:
 *   loss          mean -ln p over the predicted tokens (nats)
 *   perplexity    exp(loss)
 *   bits_per_char sum of -log2 p over the predicted tokens / the number of
 *                 characters of the predicted tokens' text (with char tokens
 *                 the two counts are equal, and bits per char = loss / ln 2)
 * Sums run in double, in stream order. */
#ifndef MINILLM_LM_EVAL_H
#define MINILLM_LM_EVAL_H

#include <stddef.h>

#include "lm_data.h"

/* What the model says of B blocks of n tokens each (tokens (B, n)): logp (B, n - 1),
 * logp[b * (n - 1) + t - 1] = ln p(tokens[b, t] | tokens[b, 0..t)) for t = 1..n-1.
 * 0, or -1 with err (the evaluation stops and reports it). */
typedef int (*LmLogProbFn)(void *ctx, const int *tokens, int B, int n, float *logp, char *err,
                           size_t err_len);

typedef struct {
    double loss;          /* nats per predicted token */
    double perplexity;
    double bits_per_char;
    long tokens;          /* predicted tokens */
    long chars;           /* characters of the predicted tokens */
    double total_nats;
} LmEvalResult;

/* Runs the protocol over s with blocks of max_len + 1 tokens, up to `batch` blocks
 * per call of fn (blocks of one call all have the same length: the short last
 * block gets a call of its own). A stream with no block of 2 tokens gives
 * tokens = 0 and NaN figures. 0, or -1 with err. */
int lm_evaluate(const LmStream *s, int max_len, int batch, LmLogProbFn fn, void *ctx,
                LmEvalResult *out, char *err, size_t err_len);

#endif
