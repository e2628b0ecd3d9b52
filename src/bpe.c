/* The BPE tokenizer object: the split rule, building and checking the tables from
 * merges, the accessors, and decoding (see bpe.h for the rules). */
#include <stdlib.h>
#include <string.h>

#include "bpe_internal.h"
#include "errors.h"

/* ------------------------------------------------------------ split rule */

enum { BYTE_LETTER, BYTE_DIGIT, BYTE_SPACE, BYTE_OTHER };

/* The class of every byte (see bpe.h): the split is the encoder's inner loop. */
#define L BYTE_LETTER
#define D BYTE_DIGIT
#define S BYTE_SPACE
#define O BYTE_OTHER
static const unsigned char BYTE_CLASS[256] = {
    O, O, O, O, O, O, O, O, O, S, S, S, S, S, O, O,  /* 0x00 */
    O, O, O, O, O, O, O, O, O, O, O, O, O, O, O, O,  /* 0x10 */
    S, O, O, O, O, O, O, O, O, O, O, O, O, O, O, O,  /* 0x20 */
    D, D, D, D, D, D, D, D, D, D, O, O, O, O, O, O,  /* 0x30 */
    O, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,  /* 0x40 */
    L, L, L, L, L, L, L, L, L, L, L, O, O, O, O, O,  /* 0x50 */
    O, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,  /* 0x60 */
    L, L, L, L, L, L, L, L, L, L, L, O, O, O, O, O,  /* 0x70 */
    L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,  /* 0x80 */
    L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,  /* 0x90 */
    L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,  /* 0xA0 */
    L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,  /* 0xB0 */
    L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,  /* 0xC0 */
    L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,  /* 0xD0 */
    L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,  /* 0xE0 */
    L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,  /* 0xF0 */
};
#undef L
#undef D
#undef S
#undef O

const char *bpe_split_name(BpeSplit split)
{
    return split == BPE_SPLIT_GPT2_LIKE ? "gpt2-like/1" : NULL;
}

int bpe_split_from_name(const char *name, BpeSplit *out)
{
    if (name && strcmp(name, "gpt2-like/1") == 0) {
        *out = BPE_SPLIT_GPT2_LIKE;
        return 0;
    }
    return -1;
}

size_t bpe_split_piece(BpeSplit split, const unsigned char *text, size_t len)
{
    (void)split; /* one rule so far */
    size_t i = 0;
    if (text[0] == ' ' && len > 1 && BYTE_CLASS[text[1]] != BYTE_SPACE)
        i = 1; /* the space leads the run after it */
    unsigned char c = BYTE_CLASS[text[i]];
    size_t j = i + 1;
    while (j < len && BYTE_CLASS[text[j]] == c)
        j++;
    /* A space run followed by more text leaves its last ' ' to lead that text. */
    if (c == BYTE_SPACE && j < len && j >= 2 && text[j - 1] == ' ')
        j--;
    return j;
}

/* ------------------------------------------------------------ building */

Bpe *bpe_build(BpeSplit split, int num_merges, const int32_t *merges, const int64_t *counts,
               const char *name, char *err, size_t err_len)
{
    if (!bpe_split_name(split)) {
        errorf(err, err_len, "%s: unknown split rule %d", name, (int)split);
        return NULL;
    }
    if (num_merges < 0 || num_merges > BPE_MAX_MERGES) {
        errorf(err, err_len, "%s: %d merges (at most %d)", name, num_merges, BPE_MAX_MERGES);
        return NULL;
    }
    const size_t V = (size_t)BPE_NUM_BYTES + (size_t)num_merges;
    Bpe *bpe = calloc(1, sizeof *bpe);
    if (!bpe)
        goto oom;
    bpe->split = split;
    bpe->merges = malloc(((size_t)num_merges * 2 + 1) * sizeof *bpe->merges);
    bpe->counts = malloc(((size_t)num_merges + 1) * sizeof *bpe->counts);
    bpe->token_start = malloc((V + 1) * sizeof *bpe->token_start);
    if (!bpe->merges || !bpe->counts || !bpe->token_start ||
        pair_table_init(&bpe->ranks, (size_t)num_merges) != 0)
        goto oom;
    /* Checks and token lengths first, so that the bytes are one allocation. */
    size_t *start = bpe->token_start;
    for (size_t id = 0; id <= BPE_NUM_BYTES; id++)
        start[id] = id;
    for (int i = 0; i < num_merges; i++) {
        int32_t left = merges[2 * i], right = merges[2 * i + 1];
        int32_t limit = BPE_NUM_BYTES + i;
        if (left < 0 || left >= limit || right < 0 || right >= limit) {
            errorf(err, err_len, "%s: merge %d: [%d, %d] uses an id that does not exist before "
                   "it (ids 0..%d)", name, i, left, right, limit - 1);
            goto fail;
        }
        if (counts[i] < 0) {
            errorf(err, err_len, "%s: merge %d: negative count %lld", name, i, (long long)counts[i]);
            goto fail;
        }
        int32_t earlier = pair_table_get_or_add(&bpe->ranks, pair_key(left, right), i);
        if (earlier == -2)
            goto oom;
        if (earlier != i) {
            errorf(err, err_len, "%s: merge %d: [%d, %d] repeats merge %d", name, i, left, right,
                   earlier);
            goto fail;
        }
        size_t len = (start[left + 1] - start[left]) + (start[right + 1] - start[right]);
        if (len > BPE_MAX_TOKEN_BYTES - start[limit]) {
            errorf(err, err_len, "%s: merge %d: the tokens would take more than %zu bytes", name,
                   i, BPE_MAX_TOKEN_BYTES);
            goto fail;
        }
        start[limit + 1] = start[limit] + len;
        bpe->merges[2 * i] = left;
        bpe->merges[2 * i + 1] = right;
        bpe->counts[i] = counts[i];
    }
    bpe->num_merges = num_merges;
    bpe->token_bytes = malloc(start[V]);
    if (!bpe->token_bytes)
        goto oom;
    for (int c = 0; c < BPE_NUM_BYTES; c++)
        bpe->token_bytes[c] = (unsigned char)c;
    for (int i = 0; i < num_merges; i++) {
        int32_t left = bpe->merges[2 * i], right = bpe->merges[2 * i + 1];
        size_t left_len = start[left + 1] - start[left];
        unsigned char *dst = bpe->token_bytes + start[BPE_NUM_BYTES + i];
        memcpy(dst, bpe->token_bytes + start[left], left_len);
        memcpy(dst + left_len, bpe->token_bytes + start[right], start[right + 1] - start[right]);
    }
    return bpe;
oom:
    errorf(err, err_len, "%s: out of memory for %d merges", name, num_merges);
fail:
    bpe_free(bpe);
    return NULL;
}

void bpe_free(Bpe *bpe)
{
    if (!bpe)
        return;
    free(bpe->merges);
    free(bpe->counts);
    free(bpe->token_start);
    free(bpe->token_bytes);
    pair_table_free(&bpe->ranks);
    free(bpe);
}

/* ------------------------------------------------------------ accessors */

BpeSplit bpe_split(const Bpe *bpe)
{
    return bpe->split;
}

int bpe_num_merges(const Bpe *bpe)
{
    return bpe->num_merges;
}

int bpe_vocab_size(const Bpe *bpe)
{
    return BPE_NUM_BYTES + bpe->num_merges;
}

int bpe_merge(const Bpe *bpe, int i, int *left, int *right, int64_t *count)
{
    if (i < 0 || i >= bpe->num_merges)
        return -1;
    if (left)
        *left = bpe->merges[2 * i];
    if (right)
        *right = bpe->merges[2 * i + 1];
    if (count)
        *count = bpe->counts[i];
    return 0;
}

const unsigned char *bpe_token_bytes(const Bpe *bpe, int id, size_t *len)
{
    if (id < 0 || id >= bpe_vocab_size(bpe))
        return NULL;
    *len = bpe->token_start[id + 1] - bpe->token_start[id];
    return bpe->token_bytes + bpe->token_start[id];
}

/* ------------------------------------------------------------ decoding */

size_t bpe_decode(const Bpe *bpe, const int *ids, size_t n, char *out, size_t max_len,
                  size_t *bad_index)
{
    size_t total = 0;
    for (size_t k = 0; k < n; k++) {
        size_t len;
        const unsigned char *bytes = bpe_token_bytes(bpe, ids[k], &len);
        if (!bytes) {
            if (bad_index)
                *bad_index = k;
            return BPE_ERROR;
        }
        if (total < max_len)
            memcpy(out + total, bytes, len < max_len - total ? len : max_len - total);
        total += len;
    }
    return total;
}
