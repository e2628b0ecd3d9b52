/* Text generation with a language model: the prompt fed through a Generator
 * (model/generate.h: a key/value cache), then `tokens` tokens drawn one after
 * the other, each given to a sink as it comes (to stream it).
 *
 * An empty prompt starts after a newline (the token "\n"; texts are rows that
 * begin after one). A prompt character the vocabulary lacks is <UNK>. When the
 * context is full (max_len tokens), it slides: the generator restarts on the
 * last max_len - 1 tokens, so every token is predicted from at most max_len
 * tokens before it, exactly as a forward pass over that window would. Same
 * seed, same model, same prompt and settings: the same text. */
#ifndef MINILLM_LM_GENERATE_H
#define MINILLM_LM_GENERATE_H

#include <stddef.h>
#include <stdint.h>

#include "model/generate.h"
#include "model/model.h"
#include "text.h"

typedef struct {
    const char *prompt;        /* "" = start after a newline */
    int tokens;                /* how many to generate */
    SamplingConfig sampling;
    uint64_t seed;
} GenerateSpec;

/* Receives each generated token's text as it is drawn; non-zero stops. */
typedef int (*GenerateSink)(void *ctx, const char *text, size_t len);

typedef struct {
    int n;                 /* tokens generated */
    int *ids;              /* (n) */
    float *logprobs;       /* (n) ln p of each under the model, temperature 1, before top-k/p */
    char *text;            /* the generated text (NUL-terminated) */
    size_t text_len;
} GenerateResult;

/* The text of token id as generation writes it: its vocabulary string; "" for
 * <PAD>, U+FFFD for <UNK>. */
const char *lm_token_text(const Vocab *v, int id);

/* 0, or -1 with err (not a language model, out of memory). out is filled even
 * when the sink stops early; free it with generate_result_free. */
int lm_generate(const Model *m, const TokenizerConfig *tc, const Vocab *v, const GenerateSpec *spec,
                GenerateSink sink, void *ctx, GenerateResult *out, char *err, size_t err_len);
void generate_result_free(GenerateResult *r);

#endif
