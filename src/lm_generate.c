/* Text generation: see lm_generate.h. */
#include "lm_generate.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

const char *lm_token_text(const Vocab *v, int id)
{
    if (id == MODEL_PAD_ID)
        return "";
    if (id == MODEL_UNK_ID)
        return "\xEF\xBF\xBD";
    if (id < vocab_num_specials(v))
        return ""; /* <|endoftext|>: no text */
    const char *t = vocab_token(v, id);
    return t ? t : "";
}

/* Restarts g on the last `keep` tokens of history (n of them) and returns the
 * logits after the last one. */
static const float *slide(Generator *g, const int *history, int n, int keep)
{
    generator_reset(g);
    const float *logits = NULL;
    for (int i = n - keep; i < n; i++)
        logits = generator_feed(g, history[i]);
    return logits;
}

/* The prompt's tokens (or "\n") into history; returns how many, -1 when out of memory. */
static int encode_prompt(const TokenizerConfig *tc, const Vocab *v, const char *prompt,
                         int **history, int extra)
{
    size_t len = strlen(prompt);
    const char *text = len > 0 ? prompt : "\n";
    size_t text_len = len > 0 ? len : 1;
    *history = malloc((text_len + (size_t)extra) * sizeof **history);
    if (!*history)
        return -1;
    long n = encode_text(tc, v, text, text_len, *history, NULL);
    return n < 0 ? -1 : (int)n;
}

static int append_text(GenerateResult *r, const char *piece, size_t *cap)
{
    size_t k = strlen(piece);
    if (r->text_len + k + 1 > *cap) {
        size_t grown = (*cap + k + 1) * 2;
        char *t = realloc(r->text, grown);
        if (!t)
            return -1;
        r->text = t;
        *cap = grown;
    }
    memcpy(r->text + r->text_len, piece, k + 1);
    r->text_len += k;
    return 0;
}

static bool logits_finite(const float *logits, int V)
{
    for (int v = 0; v < V; v++)
        if (!isfinite(logits[v]))
            return false;
    return true;
}

int lm_generate(const Model *m, const TokenizerConfig *tc, const Vocab *v, const GenerateSpec *spec,
                GenerateSink sink, void *ctx, GenerateResult *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    const int V = m->cfg.vocab_size, T = m->cfg.max_len;
    int *history = NULL;
    int n = encode_prompt(tc, v, spec->prompt, &history, spec->tokens);
    Generator *g = n >= 0 ? generator_create(m, T, err, err_len) : NULL;
    float *scratch = malloc(2 * (size_t)V * sizeof *scratch);
    size_t cap = 64;
    out->ids = malloc(((size_t)spec->tokens + 1) * sizeof *out->ids);
    out->logprobs = malloc(((size_t)spec->tokens + 1) * sizeof *out->logprobs);
    out->text = malloc(cap);
    int rc = -1;
    if (n < 0 || !scratch || !out->ids || !out->logprobs || !out->text) {
        errorf(err, err_len, "out of memory (generation)");
        goto done;
    }
    if (!g)
        goto done;
    out->text[0] = '\0';
    Rng rng;
    rng_seed(&rng, spec->seed);
    const float *logits = slide(g, history, n, n < T ? n : T - 1);
    for (int i = 0; i < spec->tokens; i++) {
        if (logits && !logits_finite(logits, V)) {
            errorf(err, err_len, "the model's output is NaN or infinite (the weights diverged or "
                   "are too large): nothing generated after %d tokens", i);
            goto done;
        }
        int id = sample_next_token(logits, V, &spec->sampling, &rng, scratch, &out->logprobs[i]);
        out->ids[i] = id;
        out->n = i + 1;
        history[n++] = id;
        const char *piece = lm_token_text(v, id);
        if (append_text(out, piece, &cap) != 0) {
            errorf(err, err_len, "out of memory (generation)");
            goto done;
        }
        if (sink && sink(ctx, piece, strlen(piece)) != 0)
            break;
        logits = generator_position(g) < T ? generator_feed(g, id) : slide(g, history, n, T - 1);
        if (!logits) {
            errorf(err, err_len, "token id %d: the model refused it", id);
            goto done;
        }
    }
    rc = 0;
done:
    generator_free(g);
    free(scratch);
    free(history);
    return rc;
}

void generate_result_free(GenerateResult *r)
{
    free(r->ids);
    free(r->logprobs);
    free(r->text);
    memset(r, 0, sizeof *r);
}
