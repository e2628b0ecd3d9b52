/* Text generation with a language model (ModelConfig.task = MODEL_TASK_LM):
 * incremental decoding with a key/value cache, batch 1, and sampling.
 *
 * A Generator keeps, for every layer, the keys and values of the tokens fed so
 * far; feeding one more token runs the model on that token only and attends over
 * the cache, so it costs O(position) (the attention) plus one pass over the
 * weights, not a full forward over the prefix. Its logits equal those of
 * model_forward on the same prefix up to rounding (other sgemm shapes).
 *
 * When the context is full (generator_position == max_context) feeding fails:
 * the caller slides the window by generator_reset and feeding the last tokens
 * again (positions restart at 0, as a forward over that window would have them).
 * The generator reads the model's weights at every feed: after the weights
 * change, reset it (the cache holds keys and values of the old weights).
 * It runs on the calling thread; its products are matrix-vector ones, fastest
 * with OpenBLAS at one thread (model_set_threads(n, true)). */
#ifndef MINILLM_GENERATE_H
#define MINILLM_GENERATE_H

#include <stddef.h>

#include "model.h"
#include "rng.h"

typedef struct Generator Generator;

/* A generator for `m` (a language model) with room for max_context tokens
 * (1 <= max_context <= max_len). NULL with a message in err when the model is
 * a classifier, max_context is out of range, or memory runs out. Allocates
 * everything here: feeding never allocates. */
Generator *generator_create(const Model *m, int max_context, char *err, size_t err_len);
void generator_free(Generator *g);
/* Empties the context (position 0). */
void generator_reset(Generator *g);
/* Appends `token` at the next position and returns the logits (V) for the token
 * after it, owned by g (valid until the next feed or reset). NULL when the
 * context is full (position == max_context) or the token is outside [0, V). */
const float *generator_feed(Generator *g, int token);
/* Tokens fed since the last reset. */
int generator_position(const Generator *g);
int generator_max_context(const Generator *g);
/* (NH, max_context, max_context) attention weights of layer `layer`: row t of
 * head h holds the weights of query t over keys 0..t (zeros after), filled when
 * token t was fed: the causal triangle. Rows >= position are zero. NULL when
 * layer is out of range. */
const float *generator_attention(const Generator *g, int layer);

/* How the next token is drawn from the logits.
 * temperature 0 (or below): greedy, the most probable token (the first of ties),
 * no random draw. Otherwise softmax(logits / temperature), then top_k (0 = off:
 * keep the k most probable tokens), then top_p (1 = off: keep the fewest most
 * probable tokens whose probabilities sum to >= top_p), ties broken by the lower
 * token id; one rng_uniform draw picks among what is kept. */
typedef struct {
    float temperature;
    int top_k;
    float top_p;
} SamplingConfig;

/* The next token drawn from logits (V) as s says, with rng (the one seeded
 * Rng: same seed, same samples). scratch: 2V floats. logprob (may be NULL)
 * receives ln p of the chosen token under the temperature-1 softmax of the
 * logits, before top-k and top-p (for perplexity read-outs). */
int sample_next_token(const float *logits, int V, const SamplingConfig *s, Rng *rng,
                      float *scratch, float *logprob);

#endif
