/* The byte-level BPE tokenizer (src/bpe.h): the split rule, merges worked out by hand,
 * the Python reference's merges (tests/fixtures/bpe_ref_*), lossless round trips over
 * random and adversarial bytes, the cache, the tokenizer file and its hostile forms,
 * and SST-2 where present. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpe.h"
#include "dataset.h"
#include "files.h"
#include "model/rng.h"

/* ------------------------------------------------------------ helpers */

static Bpe *learn1(const char *text, size_t len, int num_merges)
{
    char err[256];
    Bpe *bpe = bpe_learn(&text, &len, 1, num_merges, BPE_SPLIT_GPT2_LIKE, err, sizeof err);
    cr_assert_not_null(bpe, "%s", err);
    return bpe;
}

static Bpe *learn_str(const char *text, int num_merges)
{
    return learn1(text, strlen(text), num_merges);
}

/* The pieces of text joined with '|'. */
static const char *split_joined(const char *text)
{
    static char out[1024];
    size_t len = strlen(text), o = 0;
    for (size_t pos = 0; pos < len;) {
        size_t n = bpe_split_piece(BPE_SPLIT_GPT2_LIKE, (const unsigned char *)text + pos, len - pos);
        cr_assert(n >= 1 && n <= len - pos);
        if (pos > 0)
            out[o++] = '|';
        memcpy(out + o, text + pos, n);
        o += n;
        pos += n;
    }
    out[o] = '\0';
    return out;
}

static void expect_merge(const Bpe *bpe, int i, int left, int right, int64_t count)
{
    int l, r;
    int64_t c;
    cr_assert_eq(bpe_merge(bpe, i, &l, &r, &c), 0, "merge %d is missing", i);
    cr_expect(l == left && r == right && c == count,
              "merge %d: got [%d, %d] count %lld, expected [%d, %d] count %lld", i, l, r,
              (long long)c, left, right, (long long)count);
}

static void expect_same_merges(const Bpe *a, const Bpe *b, const char *what)
{
    cr_assert_eq(bpe_num_merges(a), bpe_num_merges(b), "%s: %d merges and %d", what,
                 bpe_num_merges(a), bpe_num_merges(b));
    for (int i = 0; i < bpe_num_merges(a); i++) {
        int l1, r1, l2, r2;
        int64_t c1, c2;
        bpe_merge(a, i, &l1, &r1, &c1);
        bpe_merge(b, i, &l2, &r2, &c2);
        cr_assert(l1 == l2 && r1 == r2 && c1 == c2, "%s: merge %d differs", what, i);
    }
}

/* Encodes into a fresh array of the exact size; *n gets the count. */
static int *encode_all(const Bpe *bpe, const char *text, size_t len, size_t *n)
{
    *n = bpe_encode(bpe, text, len, NULL, 0);
    cr_assert_neq(*n, BPE_ERROR);
    int *ids = malloc((*n ? *n : 1) * sizeof *ids);
    cr_assert_not_null(ids);
    cr_assert_eq(bpe_encode(bpe, text, len, ids, *n), *n);
    return ids;
}

static void expect_ids(const Bpe *bpe, const char *text, const int *want, size_t want_n)
{
    size_t n;
    int *ids = encode_all(bpe, text, strlen(text), &n);
    cr_expect_eq(n, want_n, "\"%s\": %zu ids, expected %zu", text, n, want_n);
    for (size_t i = 0; i < n && i < want_n; i++)
        cr_expect_eq(ids[i], want[i], "\"%s\": id %zu is %d, expected %d", text, i, ids[i], want[i]);
    free(ids);
}

#define EXPECT_IDS(bpe, text, ...)                                                       \
    expect_ids(bpe, text, (const int[]){__VA_ARGS__},                                     \
               sizeof((const int[]){__VA_ARGS__}) / sizeof(int))

/* decode(encode(x)) == x, byte for byte; and the cached encoder agrees. */
static void expect_round_trip(const Bpe *bpe, BpeEncoder *enc, const char *text, size_t len,
                              const char *what)
{
    size_t n;
    int *ids = encode_all(bpe, text, len, &n);
    cr_assert(n <= len, "%s: %zu ids for %zu bytes", what, n, len);
    if (enc) {
        int *cached = malloc((n ? n : 1) * sizeof *cached);
        cr_assert_eq(bpe_encoder_encode(enc, text, len, cached, n), n, "%s: cached count", what);
        cr_assert_eq(memcmp(cached, ids, n * sizeof *ids), 0, "%s: the cache changed the ids", what);
        free(cached);
    }
    char *back = malloc(len ? len : 1);
    cr_assert_not_null(back);
    size_t m = bpe_decode(bpe, ids, n, back, len, NULL);
    cr_assert_eq(m, len, "%s: decoded %zu bytes of %zu", what, m, len);
    for (size_t i = 0; i < len; i++)
        if (back[i] != text[i])
            cr_assert_fail("%s: byte %zu differs after the round trip (0x%02x, expected 0x%02x)",
                           what, i, (unsigned char)back[i], (unsigned char)text[i]);
    free(back);
    free(ids);
}

static char *source_path(const char *rel)
{
    const char *root = getenv("MINILLM_SOURCE_ROOT");
    cr_assert_not_null(root, "MINILLM_SOURCE_ROOT is not set (meson test sets it)");
    size_t n = strlen(root) + strlen(rel) + 2;
    char *path = malloc(n);
    snprintf(path, n, "%s/%s", root, rel);
    return path;
}

/* The whole file, or NULL when it cannot be read. */
static char *read_whole(const char *path, size_t *len)
{
    char *data, err[256];
    return file_read_all(path, (size_t)1 << 30, &data, len, err, sizeof err) == 0 ? data : NULL;
}

/* ------------------------------------------------------------ split rule */

Test(bpe_split, pieces_by_the_documented_rule)
{
    cr_expect_str_eq(split_joined("the movie is great"), "the| movie| is| great");
    cr_expect_str_eq(split_joined("It's 2024!! Yes..."), "It|'|s| 2024|!!| Yes|...");
    cr_expect_str_eq(split_joined("a   b"), "a|  | b");
    cr_expect_str_eq(split_joined("a\n b"), "a|\n| b");
    cr_expect_str_eq(split_joined("a \tb"), "a| \t|b");
    cr_expect_str_eq(split_joined("end  "), "end|  ");
    cr_expect_str_eq(split_joined(" "), " ");
    cr_expect_str_eq(split_joined("x  "), "x|  ");
    cr_expect_str_eq(split_joined("don't"), "don|'|t");
    cr_expect_str_eq(split_joined("abc123def"), "abc|123|def");
    cr_expect_str_eq(split_joined("(a+b)*c"), "(|a|+|b|)*|c");
    cr_expect_str_eq(split_joined(" ... "), " ...| ");
    /* Bytes >= 0x80 are letters: UTF-8 (and broken UTF-8) stays inside the word. */
    cr_expect_str_eq(split_joined("caf\xc3\xa9 cr\xc3\xa8me"), "caf\xc3\xa9| cr\xc3\xa8me");
    cr_expect_str_eq(split_joined("x\xff\xfey \x80"), "x\xff\xfey| \x80");
    cr_expect_str_eq(split_joined("\x01\x02 \x7f"), "\x01\x02| \x7f");
    cr_expect_str_eq(split_joined("\r\n\r\n"), "\r\n\r\n");
}

Test(bpe_split, total_and_lossless_over_random_bytes)
{
    Rng rng;
    rng_seed(&rng, 16);
    unsigned char text[300];
    for (int trial = 0; trial < 2000; trial++) {
        size_t len = 1 + rng_below(&rng, sizeof text);
        /* Half the trials from a small alphabet, so that runs and spaces meet often. */
        static const unsigned char few[] = {' ', ' ', '\n', '\t', 'a', 'b', '1', '.', 0, 0xC3, 0x80};
        for (size_t i = 0; i < len; i++)
            text[i] = trial % 2 ? (unsigned char)rng_below(&rng, 256) : few[rng_below(&rng, sizeof few)];
        size_t pos = 0, pieces = 0;
        while (pos < len) {
            size_t n = bpe_split_piece(BPE_SPLIT_GPT2_LIKE, text + pos, len - pos);
            cr_assert(n >= 1 && n <= len - pos, "trial %d: piece of %zu bytes at %zu", trial, n, pos);
            pos += n;
            pieces++;
        }
        cr_assert_eq(pos, len);
        cr_assert(pieces <= len);
    }
}

Test(bpe_split, names)
{
    BpeSplit s;
    cr_expect_str_eq(bpe_split_name(BPE_SPLIT_GPT2_LIKE), "gpt2-like/1");
    cr_expect_eq(bpe_split_from_name("gpt2-like/1", &s), 0);
    cr_expect_eq(s, BPE_SPLIT_GPT2_LIKE);
    cr_expect_eq(bpe_split_from_name("gpt2", &s), -1);
    cr_expect_eq(bpe_split_from_name(NULL, &s), -1);
}

/* ------------------------------------------------------------ learning by hand */

/* One piece "aaabdaaabac": aa occurs 4 times (overlaps counted), merged left to right
 * without overlap: Z=aa gives "Z a b d Z a b a c". Then ab (2) and Za (2) tie: the
 * smaller left id wins, ab=Y. Then ZY (2) = X: "X d X a c", every pair once: stop. */
Test(bpe_learn, hand_checked_aaabdaaabac)
{
    Bpe *bpe = learn_str("aaabdaaabac", 10);
    cr_assert_eq(bpe_num_merges(bpe), 3, "stops when no pair occurs twice");
    cr_expect_eq(bpe_vocab_size(bpe), 259);
    expect_merge(bpe, 0, 'a', 'a', 4);
    expect_merge(bpe, 1, 'a', 'b', 2);
    expect_merge(bpe, 2, 256, 257, 2);
    EXPECT_IDS(bpe, "aaabdaaabac", 258, 'd', 258, 'a', 'c');
    EXPECT_IDS(bpe, "aaaa", 256, 256);
    EXPECT_IDS(bpe, "aaa", 256, 'a');
    EXPECT_IDS(bpe, "ab", 257);
    /* aa (rank 0) before ab (rank 1): "aab" is Z b, and no merge takes Z b. */
    EXPECT_IDS(bpe, "aab aab", 256, 'b', ' ', 256, 'b');
    size_t len;
    const unsigned char *bytes = bpe_token_bytes(bpe, 258, &len);
    cr_assert_not_null(bytes);
    cr_expect(len == 4 && memcmp(bytes, "aaab", 4) == 0);
    cr_expect_null(bpe_token_bytes(bpe, 259, &len));
    cr_expect_null(bpe_token_bytes(bpe, -1, &len));
    cr_expect_eq(bpe_merge(bpe, 3, NULL, NULL, NULL), -1);
    bpe_free(bpe);
}

/* Pieces "the" " cat" " the" " hat" " the" " thing": th 4; then " t"+th = 3 ties with
 * th+e = 3 (smaller left: 32 < 256); then at 2 ties with " th"+e 2 (97 < 257). */
Test(bpe_learn, hand_checked_counts_and_ties)
{
    Bpe *bpe = learn_str("the cat the hat the thing", 4);
    cr_assert_eq(bpe_num_merges(bpe), 4);
    expect_merge(bpe, 0, 't', 'h', 4);
    expect_merge(bpe, 1, ' ', 256, 3);
    expect_merge(bpe, 2, 'a', 't', 2);
    expect_merge(bpe, 3, 257, 'e', 2);
    EXPECT_IDS(bpe, "the cat", 256, 'e', ' ', 'c', 258);
    EXPECT_IDS(bpe, " the that", 259, 257, 258);
    bpe_free(bpe);

    /* "ab" " ab" " ba" " ba": ab 2, " b" 2, ba 2: the smallest pair is (32, 98). */
    bpe = learn_str("ab ab ba ba", 1);
    expect_merge(bpe, 0, ' ', 'b', 2);
    bpe_free(bpe);
}

Test(bpe_learn, pieces_never_cross_texts_and_order_does_not_matter)
{
    const char *texts[] = {"the film, the film", " and the story", "the story of a film!"};
    size_t lens[] = {strlen(texts[0]), strlen(texts[1]), strlen(texts[2])};
    const char *reversed[] = {texts[2], texts[1], texts[0]};
    size_t rlens[] = {lens[2], lens[1], lens[0]};
    char err[256];
    Bpe *a = bpe_learn(texts, lens, 3, 50, BPE_SPLIT_GPT2_LIKE, err, sizeof err);
    Bpe *b = bpe_learn(reversed, rlens, 3, 50, BPE_SPLIT_GPT2_LIKE, err, sizeof err);
    cr_assert(a && b);
    cr_assert(bpe_num_merges(a) > 10);
    expect_same_merges(a, b, "the texts reversed");
    /* "film!" in one text and "film" then "!" in two texts are the same pieces. */
    const char *one[] = {"a film! a film!"};
    const char *two[] = {"a film", "! a film", "!"};
    size_t one_len[] = {15}, two_len[] = {6, 8, 1};
    Bpe *c = bpe_learn(one, one_len, 1, 20, BPE_SPLIT_GPT2_LIKE, err, sizeof err);
    Bpe *d = bpe_learn(two, two_len, 3, 20, BPE_SPLIT_GPT2_LIKE, err, sizeof err);
    cr_assert(c && d);
    cr_assert(bpe_num_merges(c) > 3);
    expect_same_merges(c, d, "one text or three");
    bpe_free(a);
    bpe_free(b);
    bpe_free(c);
    bpe_free(d);
}

Test(bpe_learn, zero_merges_and_no_text)
{
    Bpe *bpe = learn_str("hello hello", 0);
    cr_expect_eq(bpe_num_merges(bpe), 0);
    EXPECT_IDS(bpe, "hi!", 'h', 'i', '!');
    bpe_free(bpe);
    char err[256];
    bpe = bpe_learn(NULL, NULL, 0, 100, BPE_SPLIT_GPT2_LIKE, err, sizeof err);
    cr_assert_not_null(bpe, "%s", err);
    cr_expect_eq(bpe_num_merges(bpe), 0);
    cr_expect_eq(bpe_encode(bpe, "", 0, NULL, 0), 0);
    bpe_free(bpe);
    cr_expect_null(bpe_learn(NULL, NULL, 0, -1, BPE_SPLIT_GPT2_LIKE, err, sizeof err));
    cr_expect_null(bpe_learn(NULL, NULL, 0, BPE_MAX_MERGES + 1, BPE_SPLIT_GPT2_LIKE, err, sizeof err));
}

/* The trainer fed text by text learns what bpe_learn learns, and can learn twice. */
Test(bpe_learn, trainer_fed_text_by_text)
{
    char err[256];
    BpeTrainer *tr = bpe_trainer_create(BPE_SPLIT_GPT2_LIKE);
    cr_assert_not_null(tr);
    cr_assert_eq(bpe_trainer_add(tr, "aaab", 4, err, sizeof err), 0);
    cr_assert_eq(bpe_trainer_add(tr, "daaab", 5, err, sizeof err), 0);
    cr_assert_eq(bpe_trainer_add(tr, "ac", 2, err, sizeof err), 0);
    Bpe *bpe = bpe_trainer_learn(tr, 10, err, sizeof err);
    Bpe *again = bpe_trainer_learn(tr, 1, err, sizeof err);
    cr_assert(bpe && again, "%s", err);
    cr_assert_eq(bpe_num_merges(bpe), 3);
    expect_merge(bpe, 0, 'a', 'a', 4);
    expect_merge(bpe, 1, 'a', 'b', 2);
    /* "aaab" and "daaab" are pieces of their own: Z=aa, Y=ab, then ZY twice. */
    expect_merge(bpe, 2, 256, 257, 2);
    cr_expect_eq(bpe_num_merges(again), 1);
    bpe_free(bpe);
    bpe_free(again);
    bpe_trainer_free(tr);
}

/* ------------------------------------------------------------ the Python reference */

typedef struct {
    char *input;
    size_t input_len;
    cJSON *expected;
} Reference;

static Reference load_reference(void)
{
    Reference ref = {0};
    char *input_path = source_path("tests/fixtures/bpe_ref_input.bin");
    char *json_path = source_path("tests/fixtures/bpe_ref_expected.json");
    ref.input = read_whole(input_path, &ref.input_len);
    size_t json_len;
    char *json = read_whole(json_path, &json_len);
    cr_assert(ref.input && json, "cannot read %s or %s", input_path, json_path);
    ref.expected = cJSON_Parse(json);
    cr_assert_not_null(ref.expected, "%s is not JSON", json_path);
    free(json);
    free(input_path);
    free(json_path);
    return ref;
}

/* ids (a JSON array) == what bpe encodes text to, id by id. */
static void expect_json_ids(const Bpe *bpe, const char *text, size_t len, const cJSON *want,
                            const char *what)
{
    size_t n;
    int *ids = encode_all(bpe, text, len, &n);
    cr_assert_eq(n, (size_t)cJSON_GetArraySize(want), "%s: %zu ids, the reference has %d", what,
                 n, cJSON_GetArraySize(want));
    size_t i = 0;
    const cJSON *id;
    cJSON_ArrayForEach(id, want) {
        cr_assert_eq(ids[i], id->valueint, "%s: id %zu is %d, the reference says %d", what, i,
                     ids[i], id->valueint);
        i++;
    }
    free(ids);
}

Test(bpe_reference, same_merges_counts_and_ids_as_tools_bpe_ref_py)
{
    Reference ref = load_reference();
    const cJSON *jm = cJSON_GetObjectItem(ref.expected, "merges");
    const cJSON *jc = cJSON_GetObjectItem(ref.expected, "counts");
    const int asked = cJSON_GetObjectItem(ref.expected, "merges_asked")->valueint;
    cr_assert_str_eq(cJSON_GetObjectItem(ref.expected, "split")->valuestring, "gpt2-like/1");
    cr_assert(cJSON_GetArraySize(jm) > 200, "the fixture should hold a few hundred merges");
    Bpe *bpe = learn1(ref.input, ref.input_len, asked);
    int i = 0;
    const cJSON *m, *c = jc->child;
    cJSON_ArrayForEach(m, jm) {
        int l, r;
        int64_t count;
        cr_assert_eq(bpe_merge(bpe, i, &l, &r, &count), 0,
                     "merge %d: the reference has [%d, %d], C learned only %d merges", i,
                     m->child->valueint, m->child->next->valueint, bpe_num_merges(bpe));
        cr_assert(l == m->child->valueint && r == m->child->next->valueint && count == c->valueint,
                  "first difference at merge %d: C [%d, %d] count %lld, reference [%d, %d] "
                  "count %d", i, l, r, (long long)count, m->child->valueint,
                  m->child->next->valueint, c->valueint);
        c = c->next;
        i++;
    }
    cr_assert_eq(bpe_num_merges(bpe), i, "C learned %d merges, the reference %d (%d asked)",
                 bpe_num_merges(bpe), i, asked);
    /* The input holds pieces longer than BPE_SHORT_PIECE: both ways of merging. */
    expect_json_ids(bpe, ref.input, ref.input_len, cJSON_GetObjectItem(ref.expected, "input_ids"),
                    "the fixture input");
    const char *probe = cJSON_GetObjectItem(ref.expected, "probe")->valuestring;
    expect_json_ids(bpe, probe, strlen(probe), cJSON_GetObjectItem(ref.expected, "probe_ids"),
                    "the probe");
    bpe_free(bpe);
    cJSON_Delete(ref.expected);
    free(ref.input);
}

/* ------------------------------------------------------------ encoding */

/* The naive rule of bpe.h, as the Python reference states it: merge the pair of
 * lowest rank everywhere, again and again. rank: (V, V), -1 for no merge. */
static size_t naive_encode_piece(const int *rank, int V, const unsigned char *piece, size_t len,
                                 int *out)
{
    for (size_t i = 0; i < len; i++)
        out[i] = piece[i];
    size_t n = len;
    for (;;) {
        int best = -1;
        for (size_t i = 0; i + 1 < n; i++) {
            int r = rank[out[i] * V + out[i + 1]];
            if (r >= 0 && (best < 0 || r < best))
                best = r;
        }
        if (best < 0)
            return n;
        size_t w = 0;
        for (size_t i = 0; i < n; w++) {
            if (i + 1 < n && rank[out[i] * V + out[i + 1]] == best) {
                out[w] = 256 + best;
                i += 2;
            } else {
                out[w] = out[i++];
            }
        }
        n = w;
    }
}

/* Long pieces take the heap; short ones the rescan. Both must be the naive rule. */
Test(bpe_encode, short_and_long_pieces_follow_the_naive_rule)
{
    Rng rng;
    rng_seed(&rng, 7);
    char train[4000];
    for (size_t i = 0; i < sizeof train; i++)
        train[i] = rng_below(&rng, 9) == 0 ? ' ' : "aab"[rng_below(&rng, 3)];
    Bpe *bpe = learn1(train, sizeof train, 60);
    cr_assert(bpe_num_merges(bpe) >= 30);
    const int V = bpe_vocab_size(bpe);
    int *rank = malloc((size_t)V * (size_t)V * sizeof *rank);
    cr_assert_not_null(rank);
    for (int i = 0; i < V * V; i++)
        rank[i] = -1;
    for (int m = 0; m < bpe_num_merges(bpe); m++) {
        int l, r;
        bpe_merge(bpe, m, &l, &r, NULL);
        rank[l * V + r] = m;
    }
    unsigned char piece[400];
    int want[400], got[400];
    for (int trial = 0; trial < 300; trial++) {
        size_t len = 1 + rng_below(&rng, sizeof piece);
        for (size_t i = 0; i < len; i++)
            piece[i] = "aab"[rng_below(&rng, 3)];
        size_t n_want = naive_encode_piece(rank, V, piece, len, want);
        size_t n_got = bpe_encode(bpe, (const char *)piece, len, got, 400);
        cr_assert_eq(n_got, n_want, "trial %d (%zu bytes): %zu ids, the naive rule %zu", trial,
                     len, n_got, n_want);
        for (size_t i = 0; i < n_want; i++)
            cr_assert_eq(got[i], want[i], "trial %d (%zu bytes): id %zu is %d, the naive rule %d",
                         trial, len, i, got[i], want[i]);
    }
    free(rank);
    bpe_free(bpe);
}

Test(bpe_encode, truncated_output_reports_the_full_count)
{
    Bpe *bpe = learn_str("the film the film the film", 5);
    const char *text = "the film! the film?";
    size_t n_all;
    int *all = encode_all(bpe, text, strlen(text), &n_all);
    int ids[4] = {-7, -7, -7, -7};
    cr_expect_eq(bpe_encode(bpe, text, strlen(text), ids, 3), n_all);
    cr_expect_eq(memcmp(ids, all, 3 * sizeof *ids), 0);
    cr_expect_eq(ids[3], -7, "nothing written past max_ids");
    BpeEncoder *enc = bpe_encoder_create(bpe);
    ids[0] = ids[1] = ids[2] = -7;
    cr_expect_eq(bpe_encoder_encode(enc, text, strlen(text), ids, 2), n_all);
    cr_expect_eq(bpe_encoder_encode(enc, text, strlen(text), ids, 2), n_all, "from the cache");
    cr_expect_eq(memcmp(ids, all, 2 * sizeof *ids), 0);
    cr_expect_eq(ids[2], -7);
    cr_expect_eq(bpe_encode(bpe, text, strlen(text), NULL, 0), n_all);
    bpe_encoder_free(enc);
    free(all);
    bpe_free(bpe);
}

Test(bpe_decode, bad_ids_and_truncation)
{
    Bpe *bpe = learn_str("aaabdaaabac", 3);
    int ids[] = {258, 'd', 258};
    char out[16];
    cr_expect_eq(bpe_decode(bpe, ids, 3, out, sizeof out, NULL), 9);
    cr_expect_eq(memcmp(out, "aaabdaaab", 9), 0);
    memset(out, '#', sizeof out);
    cr_expect_eq(bpe_decode(bpe, ids, 3, out, 5, NULL), 9, "the full length when truncated");
    cr_expect_eq(memcmp(out, "aaabd#", 6), 0);
    cr_expect_eq(bpe_decode(bpe, ids, 3, NULL, 0, NULL), 9);
    int bad[] = {'a', 259, 'b'};
    size_t where = 99;
    cr_expect_eq(bpe_decode(bpe, bad, 3, out, sizeof out, &where), BPE_ERROR);
    cr_expect_eq(where, 1);
    int negative[] = {-1};
    cr_expect_eq(bpe_decode(bpe, negative, 1, out, sizeof out, NULL), BPE_ERROR);
    bpe_free(bpe);
}

/* ------------------------------------------------------------ lossless */

/* Thousands of byte strings, random and adversarial, with merges learned on the
 * fixture text (words, UTF-8, digits, long runs): decode(encode(x)) == x. */
Test(bpe_lossless, random_and_adversarial_bytes, .timeout = 60)
{
    Reference ref = load_reference();
    Bpe *bpe = learn1(ref.input, ref.input_len, 1000);
    BpeEncoder *enc = bpe_encoder_create(bpe);
    cr_assert_not_null(enc);
    Rng rng;
    rng_seed(&rng, 2024);
    enum { MAX_LEN = 2000 };
    char *text = malloc(MAX_LEN);
    static const char *const words[] = {"the", " film", " ", "  ", "\n", "\t", "!", "...", "\xc3\xa9",
                                        "aaaa", "ab", "123", "\x00", "\xff", "\x80", " the film"};
    for (int trial = 0; trial < 5000; trial++) {
        size_t len = rng_below(&rng, MAX_LEN);
        int kind = trial % 5;
        for (size_t i = 0; i < len;) {
            if (kind == 0) { /* any byte */
                text[i++] = (char)rng_below(&rng, 256);
            } else if (kind == 1) { /* words of the training text, glued at random */
                const char *w = words[rng_below(&rng, sizeof words / sizeof words[0])];
                size_t n = w[0] ? strlen(w) : 1;
                for (size_t k = 0; k < n && i < len; k++)
                    text[i++] = w[k];
            } else if (kind == 2) { /* long runs of one byte */
                char c = (char)rng_below(&rng, 256);
                for (size_t k = rng_below(&rng, 300); k-- > 0 && i < len;)
                    text[i++] = c;
            } else if (kind == 3) { /* whitespace only */
                text[i++] = " \t\n\r\v\f"[rng_below(&rng, 6)];
            } else { /* the fixture text, cut anywhere */
                text[i] = ref.input[(i + (size_t)trial) % ref.input_len];
                i++;
            }
        }
        char what[64];
        snprintf(what, sizeof what, "trial %d (kind %d, %zu bytes)", trial, kind, len);
        expect_round_trip(bpe, enc, text, len, what);
    }
    char all[256];
    for (int c = 0; c < 256; c++)
        all[c] = (char)c;
    expect_round_trip(bpe, enc, all, sizeof all, "all 256 bytes in order");
    for (int c = 0; c < 256; c++)
        all[c] = (char)(255 - c);
    expect_round_trip(bpe, enc, all, sizeof all, "all 256 bytes backwards");
    expect_round_trip(bpe, enc, "", 0, "nothing");
    expect_round_trip(bpe, enc, "\0", 1, "one NUL");
    free(text);
    bpe_encoder_free(enc);
    bpe_free(bpe);
    cJSON_Delete(ref.expected);
    free(ref.input);
}

/* A 1 MB line is one piece (letters) or one run (spaces): encoded in one go. */
Test(bpe_lossless, one_megabyte_lines, .timeout = 60)
{
    Reference ref = load_reference();
    Bpe *bpe = learn1(ref.input, ref.input_len, 1000);
    const size_t len = (size_t)1 << 20;
    char *line = malloc(len);
    cr_assert_not_null(line);
    static const char fills[] = {'a', ' ', '9', 0, '\xc3'};
    for (size_t f = 0; f < sizeof fills; f++) {
        memset(line, fills[f], len);
        char what[64];
        snprintf(what, sizeof what, "1 MB of byte 0x%02x", (unsigned char)fills[f]);
        expect_round_trip(bpe, NULL, line, len, what);
    }
    Rng rng;
    rng_seed(&rng, 1);
    for (size_t i = 0; i < len; i++)
        line[i] = "ab"[rng_below(&rng, 2)];
    expect_round_trip(bpe, NULL, line, len, "1 MB of a and b");
    for (size_t i = 0; i < len; i++)
        line[i] = (char)rng_below(&rng, 256);
    expect_round_trip(bpe, NULL, line, len, "1 MB of random bytes");
    for (size_t i = 0; i < len; i++)
        line[i] = ref.input[i % ref.input_len];
    expect_round_trip(bpe, NULL, line, len, "1 MB of the fixture text");
    free(line);
    bpe_free(bpe);
    cJSON_Delete(ref.expected);
    free(ref.input);
}

/* More distinct pieces than the cache holds: it starts again and stays right. */
Test(bpe_encode, cache_wraps_around, .timeout = 60)
{
    Bpe *bpe = learn_str("the cat sat on the mat with the hat", 20);
    BpeEncoder *enc = bpe_encoder_create(bpe);
    cr_assert_not_null(enc);
    char word[16];
    int a[16], b[16];
    for (long k = 0; k < BPE_CACHE_PIECES + 5000; k++) {
        /* " " + k in base 26 letters: a distinct piece each time, repeated every 1000 */
        long v = k % 1000 == 999 ? k - 999 : k;
        size_t n = 0;
        word[n++] = ' ';
        do {
            word[n++] = (char)('a' + v % 26);
            v /= 26;
        } while (v > 0);
        size_t na = bpe_encoder_encode(enc, word, n, a, 16);
        size_t nb = bpe_encode(bpe, word, n, b, 16);
        cr_assert_eq(na, nb, "piece %ld", k);
        cr_assert_eq(memcmp(a, b, na * sizeof *a), 0, "piece %ld", k);
    }
    bpe_encoder_free(enc);
    bpe_free(bpe);
}

/* ------------------------------------------------------------ the tokenizer file */

Test(bpe_json, save_then_load_gives_the_same_tokenizer)
{
    Reference ref = load_reference();
    Bpe *bpe = learn1(ref.input, ref.input_len, 1000);
    char *json = bpe_to_json(bpe);
    cr_assert_not_null(json);
    char err[256];
    Bpe *back = bpe_from_json(json, strlen(json), "saved.tokenizer", err, sizeof err);
    cr_assert_not_null(back, "%s", err);
    cr_assert_eq(bpe_split(back), BPE_SPLIT_GPT2_LIKE);
    expect_same_merges(bpe, back, "saved and loaded");
    size_t n1, n2;
    int *ids1 = encode_all(bpe, ref.input, ref.input_len, &n1);
    int *ids2 = encode_all(back, ref.input, ref.input_len, &n2);
    cr_assert_eq(n1, n2);
    cr_assert_eq(memcmp(ids1, ids2, n1 * sizeof *ids1), 0);
    /* Same tokenizer, same bytes. */
    char *json2 = bpe_to_json(back);
    cr_expect_str_eq(json2, json);
    cJSON *parsed = cJSON_Parse(json);
    cr_assert_not_null(parsed, "bpe_to_json writes JSON");
    cr_expect_str_eq(cJSON_GetObjectItem(parsed, "format")->valuestring, "minillm-tui-bpe/1");
    cJSON_Delete(parsed);
    free(json2);
    free(ids1);
    free(ids2);
    free(json);
    bpe_free(back);
    bpe_free(bpe);
    cJSON_Delete(ref.expected);
    free(ref.input);

    /* No merges at all is a valid file too. */
    bpe = learn_str("", 10);
    json = bpe_to_json(bpe);
    back = bpe_from_json(json, strlen(json), "empty.tokenizer", err, sizeof err);
    cr_assert_not_null(back, "%s\n%s", err, json);
    cr_expect_eq(bpe_num_merges(back), 0);
    free(json);
    bpe_free(back);
    bpe_free(bpe);
}

static void expect_rejected(const char *json, const char *phrase)
{
    char err[512] = "";
    Bpe *bpe = bpe_from_json(json, strlen(json), "bad.tokenizer", err, sizeof err);
    cr_expect_null(bpe, "accepted: %s", json);
    bpe_free(bpe);
    cr_expect(strncmp(err, "bad.tokenizer: ", 15) == 0, "the message names the file: %s", err);
    cr_expect(strstr(err, phrase) != NULL, "message '%s' should say '%s' (for %s)", err, phrase, json);
}

#define HEAD "{\"format\": \"minillm-tui-bpe/1\", \"split\": \"gpt2-like/1\", "

Test(bpe_json, hostile_files_are_rejected_with_the_file_and_merge)
{
    expect_rejected("", "not a JSON document");
    expect_rejected("{\"format\": ", "not a JSON document");
    expect_rejected(HEAD "\"merges\": [[97, 98]], \"counts\": [2]} trailing", "trailing bytes");
    expect_rejected("[]", "not a tokenizer file");
    expect_rejected("{\"format\": \"minillm-tui/1\", \"split\": \"gpt2-like/1\", \"merges\": [], "
                    "\"counts\": []}", "not a tokenizer file");
    expect_rejected("{\"format\": \"minillm-tui-bpe/1\", \"split\": \"gpt4\", \"merges\": [], "
                    "\"counts\": []}", "unknown split rule");
    expect_rejected(HEAD "\"counts\": []}", "\"merges\" is missing");
    expect_rejected(HEAD "\"merges\": {}, \"counts\": []}", "\"merges\" is missing");
    /* ids that do not exist yet: out of range, negative, the merge's own id, forward */
    expect_rejected(HEAD "\"merges\": [[97, 98], [256, 300]], \"counts\": [2, 2]}",
                    "merge 1: [256, 300] uses an id that does not exist before it (ids 0..256)");
    expect_rejected(HEAD "\"merges\": [[-1, 98]], \"counts\": [2]}", "merge 0: [-1, 98]");
    expect_rejected(HEAD "\"merges\": [[97, 98], [257, 97]], \"counts\": [2, 2]}", "merge 1: [257, 97]");
    expect_rejected(HEAD "\"merges\": [[97, 98], [98, 99], [258, 97]], \"counts\": [2, 2, 2]}",
                    "merge 2: [258, 97] uses an id");
    expect_rejected(HEAD "\"merges\": [[97, 1e12]], \"counts\": [2]}", "merge 0 is not a pair");
    expect_rejected(HEAD "\"merges\": [[97, 98], [99, 100], [97, 98]], \"counts\": [2, 2, 2]}",
                    "merge 2: [97, 98] repeats merge 0");
    expect_rejected(HEAD "\"merges\": [[97, 98.5]], \"counts\": [2]}", "merge 0 is not a pair");
    expect_rejected(HEAD "\"merges\": [[97]], \"counts\": [2]}", "merge 0 is not a pair");
    expect_rejected(HEAD "\"merges\": [[97, 98, 99]], \"counts\": [2]}", "merge 0 is not a pair");
    expect_rejected(HEAD "\"merges\": [[\"a\", \"b\"]], \"counts\": [2]}", "merge 0 is not a pair");
    expect_rejected(HEAD "\"merges\": [97, 98], \"counts\": [2, 2]}", "merge 0 is not a pair");
    expect_rejected(HEAD "\"merges\": [[97, 98]]}", "\"counts\" must be an array");
    expect_rejected(HEAD "\"merges\": [[97, 98]], \"counts\": [2, 3]}", "\"counts\" must be an array");
    expect_rejected(HEAD "\"merges\": [[97, 98]], \"counts\": [-2]}", "count 0 is not an integer");
    expect_rejected(HEAD "\"merges\": [[97, 98], [98, 99]], \"counts\": [2, 1.5]}",
                    "count 1 is not an integer");
    expect_rejected(HEAD "\"merges\": [[97, 98]], \"counts\": [\"2\"]}", "count 0 is not an integer");

    /* Truncated anywhere, a good file is refused, never half loaded. */
    Bpe *bpe = learn_str("the film the film the story the story", 10);
    char *json = bpe_to_json(bpe);
    size_t len = strlen(json);
    char err[256];
    for (size_t cut = 0; cut + 1 < len; cut++) {
        Bpe *half = bpe_from_json(json, cut, "cut.tokenizer", err, sizeof err);
        cr_expect_null(half, "accepted when cut at byte %zu of %zu", cut, len);
        bpe_free(half);
    }
    free(json);
    bpe_free(bpe);

    /* Too many merges, and a file above the size limit, without reading them all. */
    size_t big_len = BPE_MAX_FILE_BYTES + 1;
    char *big = malloc(big_len);
    cr_assert_not_null(big);
    memset(big, ' ', big_len);
    cr_expect_null(bpe_from_json(big, big_len, "big.tokenizer", err, sizeof err));
    cr_expect(strstr(err, "big.tokenizer: ") == err && strstr(err, "more than"), "%s", err);
    free(big);
}

/* Merges that double a token each time: the size limit, not memory, stops them. */
Test(bpe_json, token_bytes_limit)
{
    enum { N = 40 };
    char *json = malloc(64 * N + 256);
    cr_assert_not_null(json);
    size_t o = (size_t)sprintf(json, HEAD "\"merges\": [[97, 97]");
    for (int i = 1; i < N; i++)
        o += (size_t)sprintf(json + o, ", [%d, %d]", 255 + i, 255 + i);
    o += (size_t)sprintf(json + o, "], \"counts\": [2");
    for (int i = 1; i < N; i++)
        o += (size_t)sprintf(json + o, ", 2");
    sprintf(json + o, "]}");
    char err[256];
    cr_expect_null(bpe_from_json(json, strlen(json), "doubling.tokenizer", err, sizeof err));
    cr_expect(strstr(err, "doubling.tokenizer: merge ") && strstr(err, "more than"), "%s", err);
    free(json);
}

/* ------------------------------------------------------------ SST-2 */

/* The SST-2 training sentences where ../shared/data/sst2 exists: 8,000 merges, common
 * words become one token, every sentence comes back, the cache agrees. */
Test(bpe_sst2, learn_and_encode_the_training_sentences, .timeout = 120)
{
    char *path = source_path("../shared/data/sst2/train.tsv");
    FILE *f = fopen(path, "rb");
    if (!f) {
        free(path);
        cr_skip_test("../shared/data/sst2/train.tsv is absent: SST-2 tokenizer test skipped "
                     "(GLUE's SST-2 TSV files)");
    }
    fclose(f);
    char err[1024];
    Dataset *d = dataset_load(path, NULL, 0, NULL, err, sizeof err);
    cr_assert_not_null(d, "%s", err);
    cr_assert_eq(d->n, 67349);
    const size_t n = (size_t)d->n;
    const char **texts = malloc(n * sizeof *texts);
    size_t *lens = malloc(n * sizeof *lens);
    cr_assert(texts && lens);
    for (size_t i = 0; i < n; i++) {
        texts[i] = d->text[i];
        lens[i] = strlen(d->text[i]);
    }
    Bpe *bpe = bpe_learn(texts, lens, n, 8000, BPE_SPLIT_GPT2_LIKE, err, sizeof err);
    cr_assert_not_null(bpe, "%s", err);
    cr_expect_eq(bpe_num_merges(bpe), 8000);
    static const char *const whole[] = {" the", " film", " movie", " story", " funny", "the"};
    for (size_t w = 0; w < sizeof whole / sizeof whole[0]; w++)
        cr_expect_eq(bpe_encode(bpe, whole[w], strlen(whole[w]), NULL, 0), 1,
                     "'%s' should be one token", whole[w]);
    BpeEncoder *enc = bpe_encoder_create(bpe);
    size_t bytes = 0, ids = 0;
    for (size_t i = 0; i < n; i += 7) {
        char what[32];
        snprintf(what, sizeof what, "sentence %zu", i);
        expect_round_trip(bpe, enc, texts[i], lens[i], what);
        bytes += lens[i];
        ids += bpe_encode(bpe, texts[i], lens[i], NULL, 0);
    }
    cr_expect((double)bytes / (double)ids > 4.0, "%.2f bytes per id with 8,000 merges",
              (double)bytes / (double)ids);
    bpe_encoder_free(enc);
    bpe_free(bpe);
    free(texts);
    free(lens);
    dataset_free(d);
    free(path);
}
