/* The evaluation protocol (src/lm_eval.h) against hand-computed values, with
 * fake models given as log-probability callbacks. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "lm_eval.h"

/* A unigram model: p(id) = 2^-(id), whatever came before; records the calls. */
typedef struct {
    int calls;
    int B[16], n[16];
    int first_token[16]; /* first token of each call's first block */
} Unigram;

static int unigram(void *ctx, const int *tokens, int B, int n, float *logp, char *err,
                   size_t err_len)
{
    (void)err, (void)err_len;
    Unigram *u = ctx;
    if (u->calls < 16) {
        u->B[u->calls] = B;
        u->n[u->calls] = n;
        u->first_token[u->calls] = tokens[0];
    }
    u->calls++;
    for (int b = 0; b < B; b++)
        for (int t = 1; t < n; t++)
            logp[b * (n - 1) + t - 1] = -(float)tokens[b * n + t] * logf(2.0f);
    return 0;
}

static LmStream stream_of(int *ids, int *chars, int n)
{
    LmStream s = {.n = n, .ids = ids, .chars = chars};
    for (int i = 0; i < n; i++)
        s.total_chars += chars[i];
    return s;
}

Test(lm_eval, blocks_of_max_len_plus_one_and_a_last_short_block)
{
    /* 8 tokens, max_len 2: blocks [0,3) [3,6) [6,8); predicted: 1,2, 4,5, 7. */
    int ids[8] = {5, 1, 2, 6, 3, 1, 7, 4};
    int chars[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    LmStream s = stream_of(ids, chars, 8);
    Unigram u = {0};
    LmEvalResult r;
    char err[256] = "";
    cr_assert_eq(lm_evaluate(&s, 2, 8, unigram, &u, &r, err, sizeof err), 0, "%s", err);
    /* -ln p = id * ln 2: (1 + 2 + 3 + 1 + 4) ln 2 = 11 ln 2 over 5 tokens. */
    cr_expect_eq(r.tokens, 5);
    cr_expect_eq(r.chars, 5);
    cr_expect_float_eq(r.total_nats, 11 * log(2.0), 1e-5);
    cr_expect_float_eq(r.loss, 11 * log(2.0) / 5, 1e-6);
    cr_expect_float_eq(r.perplexity, pow(2.0, 11.0 / 5), 1e-5);
    cr_expect_float_eq(r.bits_per_char, 11.0 / 5, 1e-6);
    /* Two full blocks in one call of batch 2, then the 2-token block alone. */
    cr_expect_eq(u.calls, 2);
    cr_expect_eq(u.B[0], 2);
    cr_expect_eq(u.n[0], 3);
    cr_expect_eq(u.B[1], 1);
    cr_expect_eq(u.n[1], 2);
    cr_expect_eq(u.first_token[1], 7);
}

Test(lm_eval, a_last_single_token_does_not_count_and_batches_split)
{
    /* 7 tokens, max_len 2: blocks [0,3) [3,6); token 6 alone is not predicted. */
    int ids[7] = {1, 2, 3, 4, 5, 6, 7};
    int chars[7] = {1, 1, 1, 1, 1, 1, 1};
    LmStream s = stream_of(ids, chars, 7);
    Unigram u = {0};
    LmEvalResult r;
    char err[256] = "";
    cr_assert_eq(lm_evaluate(&s, 2, 1, unigram, &u, &r, err, sizeof err), 0, "%s", err);
    cr_expect_eq(r.tokens, 4);
    cr_expect_float_eq(r.total_nats, (2 + 3 + 5 + 6) * log(2.0), 1e-5);
    cr_expect_eq(u.calls, 2, "batch 1: one call per block");
    cr_expect_eq(u.first_token[1], 4);
}

Test(lm_eval, bits_per_char_counts_the_characters_of_predicted_tokens)
{
    /* Tokens of several characters (as subword tokens have): bits per char
     * divides the bits by the predicted tokens' characters, not their count. */
    int ids[4] = {1, 2, 3, 1};
    int chars[4] = {9, 2, 3, 1}; /* the first token is never predicted */
    LmStream s = stream_of(ids, chars, 4);
    Unigram u = {0};
    LmEvalResult r;
    char err[256] = "";
    cr_assert_eq(lm_evaluate(&s, 3, 4, unigram, &u, &r, err, sizeof err), 0, "%s", err);
    cr_expect_eq(r.tokens, 3);
    cr_expect_eq(r.chars, 6);
    cr_expect_float_eq(r.bits_per_char, (2.0 + 3.0 + 1.0) / 6, 1e-6);
    cr_expect_float_eq(r.loss, 6 * log(2.0) / 3, 1e-6);
}

/* A model that looks at the context: p(next) = 1/2 when next = previous + 1,
 * else 1/8; it also fails when it sees a token of another block. */
static int counting(void *ctx, const int *tokens, int B, int n, float *logp, char *err,
                    size_t err_len)
{
    (void)ctx;
    for (int b = 0; b < B; b++)
        for (int t = 1; t < n; t++) {
            const int *block = tokens + b * n;
            if (block[0] % 3 != 0) {
                snprintf(err, err_len, "block starts at %d", block[0]);
                return -1;
            }
            logp[b * (n - 1) + t - 1] = block[t] == block[t - 1] + 1 ? logf(0.5f) : logf(0.125f);
        }
    return 0;
}

Test(lm_eval, each_block_sees_only_its_own_tokens)
{
    /* 0 1 2 | 3 4 9 | 6 7: predicted 1 2 4 9 7, of which 9 is not previous + 1. */
    int ids[8] = {0, 1, 2, 3, 4, 9, 6, 7};
    int chars[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    LmStream s = stream_of(ids, chars, 8);
    LmEvalResult r;
    char err[256] = "";
    cr_assert_eq(lm_evaluate(&s, 2, 3, counting, NULL, &r, err, sizeof err), 0, "%s", err);
    cr_expect_float_eq(r.total_nats, 4 * log(2.0) + log(8.0), 1e-5);
    cr_expect_float_eq(r.bits_per_char, (4 + 3) / 5.0, 1e-6);
}

static int broken(void *ctx, const int *tokens, int B, int n, float *logp, char *err,
                  size_t err_len)
{
    (void)ctx, (void)tokens, (void)err, (void)err_len;
    for (int i = 0; i < B * (n - 1); i++)
        logp[i] = i == 1 ? NAN : -1.0f;
    return 0;
}

Test(lm_eval, errors_and_empty_streams)
{
    int ids[5] = {1, 2, 3, 4, 5};
    int chars[5] = {1, 1, 1, 1, 1};
    LmStream s = stream_of(ids, chars, 5);
    LmEvalResult r;
    char err[256] = "";
    cr_expect_eq(lm_evaluate(&s, 4, 1, broken, NULL, &r, err, sizeof err), -1);
    cr_expect(strstr(err, "token 2") != NULL, "%s", err);
    cr_expect_eq(lm_evaluate(&s, 4, 1, counting, NULL, &r, err, sizeof err), -1);
    LmStream one = stream_of(ids, chars, 1);
    Unigram u = {0};
    cr_assert_eq(lm_evaluate(&one, 4, 1, unigram, &u, &r, err, sizeof err), 0);
    cr_expect_eq(r.tokens, 0);
    cr_expect(isnan(r.loss));
    cr_expect_eq(u.calls, 0);
}
