/* The Generate view's text (language models only): the prompt and the tokens
 * drawn after it, one at a time, on the UI's copy of the weights through a
 * key/value cache (model/generate.h); the next token's distribution; the
 * sample of a fixed prompt refreshed while training. UI thread only: written
 * by the main loop and the key handlers (state.h), read by view_generate.c.
 *
 * The draws are lm_generate's (src/lm_generate.h), step by step: the same
 * prompt encoding (an empty prompt starts after "\n"), the same window that
 * slides to the last max_len - 1 tokens when the context is full, one seeded
 * Rng: the same seed, weights and settings give the text `generate` prints. */
#ifndef MINILLM_UI_GEN_H
#define MINILLM_UI_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/generate.h"
#include "src/text.h"

/* Tokens in the distribution's bars; tokens kept (prompt + generated). */
#define GEN_TOP 10
#define GEN_HISTORY_MAX 4096
/* The largest top-k the view's keys set. */
#define GEN_TOP_K_MAX 64
/* The sample refreshed while training: its length in tokens and bytes. */
#define GEN_SAMPLE_TOKENS 120
#define GEN_SAMPLE_MAX 1024
#define GEN_PROMPT_MAX 1024
/* The draws' seed, as `generate`'s default. */
#define GEN_DEFAULT_SEED 42

typedef struct {
    Generator *g;               /* on the UI's model (infer.h) */
    int V, T;                   /* vocabulary, max_len */
    float *logits;              /* (V) for the token after the history */
    float *probs;               /* (V) softmax(logits) at temperature 1 */
    float *sampled;             /* (V) what the sampler draws from: temperature, top-k */
    float *scratch;             /* (2V) sample_next_token's */
    int top[GEN_TOP];           /* most probable next tokens, by probs */
    int n_top;
    int *history;               /* (GEN_HISTORY_MAX) prompt, then generated tokens */
    int n_history, n_prompt;
    int window;                 /* index in history of the generator's first token */
    char prompt[GEN_PROMPT_MAX];/* the prompt the history starts with */
    long weights_version;       /* of the weights the cache was filled with */
    bool valid;                 /* logits and probs are for the history */
    Rng rng;
    uint64_t seed;
    SamplingConfig sampling;
    bool streaming;             /* one token per frame */
    char sample[GEN_SAMPLE_MAX];/* the fixed prompt's sample while training */
    long sample_version;        /* weights it was drawn with; -1 none */
    long sample_step;
    double sample_time;         /* clock_now_s() when drawn */
} GenState;

/* Buffers for model m (a language model; for a classifier nothing is made and
 * g stays NULL). seed: the draws' seed. */
int gen_init(GenState *gs, const Model *m, uint64_t seed, char *err, size_t err_len);
void gen_free(GenState *gs);
/* The history becomes the prompt (cut to GEN_PROMPT_MAX - 1 bytes), the Rng
 * its seed again, the cache filled with the current weights (version). */
void gen_restart(GenState *gs, const Model *m, const TokenizerConfig *tc, const Vocab *v,
                 const char *prompt, long version);
/* The same history fed again with the current weights (the cache held the old ones). */
void gen_refeed(GenState *gs, long version);
/* Draws the next token with the sampling settings and appends it; false when
 * the history is full or the state is not valid. */
bool gen_step(GenState *gs);
/* Recomputes `sampled` (and top) after the sampling settings changed. */
void gen_resample_view(GenState *gs);
/* softmax(logits / t) into out (V); t <= 0: all on the first most probable token. */
void gen_softmax(const float *logits, int V, float t, float *out);
/* The n most probable tokens of p (V), most probable first (ties: the lower id). */
void gen_top_tokens(const float *p, int V, int *top, int n);
/* A token as the bars and the triangle label it: 'a', ' ', '\n', <UNK>. */
void gen_token_label(const Vocab *v, int id, char *out, size_t len);
/* Tokens generated after the prompt. */
int gen_generated(const GenState *gs);

#endif
