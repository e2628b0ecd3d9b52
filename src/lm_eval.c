/* The evaluation protocol: see lm_eval.h. */
#include "lm_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

/* Adds the log-probabilities of `count` blocks of n tokens starting at token `first`. */
static int score_blocks(const LmStream *s, long first, int count, int n, LmLogProbFn fn,
                        void *ctx, float *logp, LmEvalResult *r, char *err, size_t err_len)
{
    if (fn(ctx, s->ids + first, count, n, logp, err, err_len) != 0)
        return -1;
    for (int b = 0; b < count; b++) {
        long start = first + (long)b * n;
        for (int t = 1; t < n; t++) {
            float lp = logp[b * (n - 1) + t - 1];
            if (!isfinite(lp) || lp > 0)
                return errorf(err, err_len, "token %ld: log-probability %g (not a finite "
                              "number <= 0)", start + t, (double)lp);
            r->total_nats -= lp;
            r->chars += s->chars[start + t];
        }
        r->tokens += n - 1;
    }
    return 0;
}

int lm_evaluate(const LmStream *s, int max_len, int batch, LmLogProbFn fn, void *ctx,
                LmEvalResult *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    const int n = max_len + 1;
    if (batch < 1)
        batch = 1;
    float *logp = malloc((size_t)batch * (size_t)max_len * sizeof *logp);
    if (!logp)
        return errorf(err, err_len, "out of memory (evaluation)");
    long full = s->n / n, pos = 0;
    int rc = 0;
    while (rc == 0 && full > 0) {
        int count = full < batch ? (int)full : batch;
        rc = score_blocks(s, pos, count, n, fn, ctx, logp, out, err, err_len);
        pos += (long)count * n;
        full -= count;
    }
    int rest = (int)(s->n - pos);
    if (rc == 0 && rest >= 2)
        rc = score_blocks(s, pos, 1, rest, fn, ctx, logp, out, err, err_len);
    free(logp);
    if (rc != 0)
        return -1;
    out->loss = out->tokens > 0 ? out->total_nats / (double)out->tokens : NAN;
    out->perplexity = exp(out->loss);
    out->bits_per_char = out->chars > 0 ? out->total_nats / log(2.0) / (double)out->chars : NAN;
    return 0;
}
