/* Fuzz target: a BPE tokenizer file, then text through it.
 * The input up to its first NUL byte is the tokenizer file (JSON); what follows
 * is the text (the whole input when there is no NUL).
 * Properties: a file is loaded or refused with a message naming it; a loaded
 * tokenizer written again (bpe_to_json) loads with the same merges; every text
 * encodes to ids of the vocabulary that decode to the same bytes, with and
 * without the piece cache. */
#include <string.h>

#include "bpe.h"
#include "fuzz.h"

#define NAME "fuzz.tokenizer"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void check_json_round_trip(const Bpe *bpe)
{
    char *json = bpe_to_json(bpe);
    if (!json)
        return;
    char err[1024];
    Bpe *again = bpe_from_json(json, strlen(json), "written", err, sizeof err);
    FUZZ_CHECK(again != NULL, "a written tokenizer does not load: %s", err);
    FUZZ_CHECK(bpe_num_merges(again) == bpe_num_merges(bpe), "merge counts");
    for (int i = 0; i < bpe_num_merges(bpe); i++) {
        int l1, r1, l2, r2;
        int64_t c1, c2;
        bpe_merge(bpe, i, &l1, &r1, &c1);
        bpe_merge(again, i, &l2, &r2, &c2);
        FUZZ_CHECK(l1 == l2 && r1 == r2 && c1 == c2, "merge %d", i);
    }
    bpe_free(again);
    free(json);
}

static void check_lossless(const Bpe *bpe, const char *text, size_t len)
{
    size_t n = bpe_encode(bpe, text, len, NULL, 0);
    if (n == BPE_ERROR)
        return; /* out of memory */
    FUZZ_CHECK(n <= len, "%zu ids for %zu bytes", n, len);
    int *ids = malloc((n ? n : 1) * sizeof *ids);
    int *cached = malloc((n ? n : 1) * sizeof *cached);
    char *back = malloc(len ? len : 1);
    BpeEncoder *enc = bpe_encoder_create(bpe);
    if (ids && cached && back && enc) {
        FUZZ_CHECK(bpe_encode(bpe, text, len, ids, n) == n, "two counts");
        FUZZ_CHECK(bpe_encoder_encode(enc, text, len, cached, n) == n, "cache: count");
        FUZZ_CHECK(memcmp(ids, cached, n * sizeof *ids) == 0, "the cache changes the ids");
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(ids[i] >= 0 && ids[i] < bpe_vocab_size(bpe), "id %d", ids[i]);
        size_t bad = 0;
        FUZZ_CHECK(bpe_decode(bpe, ids, n, back, len, &bad) == len, "decoded length");
        FUZZ_CHECK(memcmp(back, text, len) == 0, "decode(encode(text)) != text");
    }
    bpe_encoder_free(enc);
    free(back);
    free(cached);
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t json_len = nul ? (size_t)(nul - data) : size;
    const char *text = nul ? (const char *)nul + 1 : (const char *)data;
    size_t text_len = nul ? size - json_len - 1 : size;
    char err[1024] = "";
    Bpe *bpe = bpe_from_json((const char *)data, json_len, NAME, err, sizeof err);
    if (!bpe) {
        FUZZ_CHECK(strncmp(err, NAME ": ", strlen(NAME) + 2) == 0, "message '%s'", err);
        return 0;
    }
    fuzz_accepted++;
    check_json_round_trip(bpe);
    check_lossless(bpe, text, text_len);
    bpe_free(bpe);
    return 0;
}
