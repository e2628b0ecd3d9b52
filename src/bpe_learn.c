/* Learning merges (rules in bpe.h).
 *
 * The texts are reduced to their distinct pieces ("words") with a count each. Every
 * adjacent pair of symbols has a total count (sum of word counts over its
 * occurrences) and a list of the words it occurs in. A max-heap holds the pairs by
 * (count, then smallest left, right). Merging a pair rewrites only the words on its
 * list and adjusts the counts of the pairs around each occurrence, so a merge costs
 * the size of the words it touches, not of the corpus.
 *
 * Old pairs only lose count when a merge happens; the pairs that gain are new ones
 * (they contain the new id) and are pushed once the merge is done. So a heap entry's
 * count is never below the pair's true count: an entry whose count is stale is
 * pushed again with the true count, and an entry whose count is true is the best
 * pair. Occurrence lists keep stale words (the pair has gone from them since);
 * rewriting such a word finds nothing to merge. */
#include <stdlib.h>
#include <string.h>

#include "bpe_internal.h"
#include "errors.h"

struct BpeTrainer {
    BpeSplit split;
    ByteTable pieces;      /* the distinct pieces seen */
    int64_t *piece_count;  /* (count_cap) times piece e was seen */
    size_t count_cap;
};

BpeTrainer *bpe_trainer_create(BpeSplit split)
{
    if (!bpe_split_name(split))
        return NULL;
    BpeTrainer *tr = calloc(1, sizeof *tr);
    if (tr)
        tr->split = split;
    return tr;
}

void bpe_trainer_free(BpeTrainer *tr)
{
    if (!tr)
        return;
    byte_table_free(&tr->pieces);
    free(tr->piece_count);
    free(tr);
}

int bpe_trainer_add(BpeTrainer *tr, const char *text, size_t len, char *err, size_t err_len)
{
    const unsigned char *p = (const unsigned char *)text;
    for (size_t pos = 0; pos < len;) {
        size_t n = bpe_split_piece(tr->split, p + pos, len - pos);
        bool added;
        long e = byte_table_intern(&tr->pieces, p + pos, n, bytes_hash(p + pos, n), &added);
        if (e < 0)
            return errorf(err, err_len, "out of memory counting pieces (%zu distinct so far)",
                          tr->pieces.n);
        int64_t *counts = bpe_grow(tr->piece_count, &tr->count_cap, (size_t)e + 1, sizeof *counts);
        if (!counts)
            return errorf(err, err_len, "out of memory counting pieces");
        tr->piece_count = counts;
        tr->piece_count[e] = added ? 1 : tr->piece_count[e] + 1;
        pos += n;
    }
    return 0;
}

/* ------------------------------------------------------------ learning state */

typedef struct {
    int64_t count;
    int32_t pair;
} HeapEntry;

/* Links of the occurrence lists: one pool, newest first. */
typedef struct {
    int32_t word;
    int32_t next;  /* index in the pool, -1 at the end */
} WordLink;

/* An adjacent pair of ids and where it occurs. */
typedef struct {
    int32_t left, right;
    int64_t count;     /* over all words, each occurrence weighted by the word's count */
    int32_t words;     /* head of the occurrence list in Learner.links, or -1 */
    int32_t touched;   /* the merge that last raised its count */
} Pair;

typedef struct {
    /* words */
    size_t num_words;
    int32_t *sym;          /* the words' symbols; word w at sym[word_start[w]] */
    size_t *word_start;    /* (num_words) */
    size_t *word_len;      /* (num_words) shrinks as merges apply */
    int64_t *word_count;   /* (num_words) */
    int32_t *word_stamp;   /* (num_words) last merge that rewrote w, to skip repeats */
    /* pairs, by index */
    PairTable pair_index;  /* pair_key -> index in pairs */
    Pair *pairs;           /* (num_pairs) */
    size_t num_pairs, pairs_cap;
    WordLink *links;
    size_t num_links, links_cap;
    /* pairs whose count rose during the current merge */
    int32_t *raised;
    size_t num_raised, raised_cap;
    HeapEntry *heap;
    size_t heap_len, heap_cap;
} Learner;

static void learner_free(Learner *L)
{
    free(L->sym);
    free(L->word_start);
    free(L->word_len);
    free(L->word_count);
    free(L->word_stamp);
    pair_table_free(&L->pair_index);
    free(L->pairs);
    free(L->links);
    free(L->raised);
    free(L->heap);
}

/* Adds delta to the count of (left, right) for an occurrence in word w, creating
 * the pair at need. A rise records w on the pair's list and the pair as raised in
 * merge `stamp`. 0 or -1 (out of memory). */
static int add_pair(Learner *L, int32_t left, int32_t right, int64_t delta, int32_t w,
                    int32_t stamp)
{
    if (L->num_pairs >= INT32_MAX)
        return -1;
    int32_t p = pair_table_get_or_add(&L->pair_index, pair_key(left, right), (int32_t)L->num_pairs);
    if (p == -2)
        return -1;
    if ((size_t)p == L->num_pairs) {
        Pair *pairs = bpe_grow(L->pairs, &L->pairs_cap, L->num_pairs + 1, sizeof *pairs);
        if (!pairs)
            return -1;
        L->pairs = pairs;
        L->pairs[L->num_pairs++] = (Pair){left, right, 0, -1, -1};
    }
    Pair *pair = &L->pairs[p];
    pair->count += delta;
    if (delta <= 0)
        return 0;
    if (pair->words < 0 || L->links[pair->words].word != w) {
        WordLink *links = L->num_links < INT32_MAX
            ? bpe_grow(L->links, &L->links_cap, L->num_links + 1, sizeof *links) : NULL;
        if (!links)
            return -1;
        L->links = links;
        L->links[L->num_links] = (WordLink){w, pair->words};
        pair->words = (int32_t)L->num_links++;
    }
    if (pair->touched != stamp) {
        pair->touched = stamp;
        int32_t *raised = bpe_grow(L->raised, &L->raised_cap, L->num_raised + 1, sizeof *raised);
        if (!raised)
            return -1;
        L->raised = raised;
        L->raised[L->num_raised++] = p;
    }
    return 0;
}

/* ------------------------------------------------------------ the heap */

/* a comes out before b: higher count, then smaller (left, right). */
static bool entry_before(const Learner *L, HeapEntry a, HeapEntry b)
{
    if (a.count != b.count)
        return a.count > b.count;
    const Pair *pa = &L->pairs[a.pair], *pb = &L->pairs[b.pair];
    if (pa->left != pb->left)
        return pa->left < pb->left;
    return pa->right < pb->right;
}

static void sift_down(Learner *L, size_t i)
{
    HeapEntry e = L->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= L->heap_len)
            break;
        if (child + 1 < L->heap_len && entry_before(L, L->heap[child + 1], L->heap[child]))
            child++;
        if (!entry_before(L, L->heap[child], e))
            break;
        L->heap[i] = L->heap[child];
        i = child;
    }
    L->heap[i] = e;
}

static int heap_push(Learner *L, int32_t pair)
{
    HeapEntry *heap = bpe_grow(L->heap, &L->heap_cap, L->heap_len + 1, sizeof *heap);
    if (!heap)
        return -1;
    L->heap = heap;
    HeapEntry e = {L->pairs[pair].count, pair};
    size_t i = L->heap_len++;
    while (i > 0 && entry_before(L, e, L->heap[(i - 1) / 2])) {
        L->heap[i] = L->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    L->heap[i] = e;
    return 0;
}

static void heap_pop(Learner *L)
{
    L->heap[0] = L->heap[--L->heap_len];
    if (L->heap_len > 0)
        sift_down(L, 0);
}

/* The pair to merge next, or -1 when no pair occurs twice. Fixes stale entries on
 * the way (re-pushing cannot fail: the popped entry's slot is free). */
static int32_t best_pair(Learner *L)
{
    while (L->heap_len > 0) {
        HeapEntry top = L->heap[0];
        int64_t count = L->pairs[top.pair].count;
        if (top.count == count)
            return count >= 2 ? top.pair : -1;
        heap_pop(L);
        if (count >= 2)
            (void)heap_push(L, top.pair);
    }
    return -1;
}

/* ------------------------------------------------------------ learning */

static int learner_init(Learner *L, const BpeTrainer *tr)
{
    const ByteTable *pieces = &tr->pieces;
    L->num_words = pieces->n;
    size_t n = L->num_words ? L->num_words : 1;
    if (pieces->n > INT32_MAX)
        return -1;
    L->sym = malloc((pieces->bytes_len ? pieces->bytes_len : 1) * sizeof *L->sym);
    L->word_start = malloc(n * sizeof *L->word_start);
    L->word_len = malloc(n * sizeof *L->word_len);
    L->word_count = malloc(n * sizeof *L->word_count);
    L->word_stamp = malloc(n * sizeof *L->word_stamp);
    if (!L->sym || !L->word_start || !L->word_len || !L->word_count || !L->word_stamp ||
        pair_table_init(&L->pair_index, 4096) != 0)
        return -1;
    for (size_t i = 0; i < pieces->bytes_len; i++)
        L->sym[i] = pieces->bytes[i];
    for (size_t w = 0; w < L->num_words; w++) {
        L->word_start[w] = pieces->entries[w].start;
        L->word_len[w] = pieces->entries[w].len;
        L->word_count[w] = tr->piece_count[w];
        L->word_stamp[w] = -1;
        const int32_t *s = L->sym + L->word_start[w];
        /* stamp -1, every new pair's `touched`: none is listed as raised, the
         * heap is built from all of them below */
        for (size_t i = 0; i + 1 < L->word_len[w]; i++)
            if (add_pair(L, s[i], s[i + 1], L->word_count[w], (int32_t)w, -1) != 0)
                return -1;
    }
    HeapEntry *heap = bpe_grow(L->heap, &L->heap_cap, L->num_pairs + 1, sizeof *heap);
    if (!heap)
        return -1;
    L->heap = heap;
    for (size_t p = 0; p < L->num_pairs; p++)
        if (L->pairs[p].count >= 2)
            L->heap[L->heap_len++] = (HeapEntry){L->pairs[p].count, (int32_t)p};
    for (size_t i = L->heap_len / 2; i-- > 0;)
        sift_down(L, i);
    return 0;
}

/* Rewrites word w with (a, b) -> c, left to right, adjusting the pair counts
 * around each occurrence. The symbol before an occurrence is already rewritten
 * (it may be the c of the previous occurrence); the one after is not. */
static int merge_word(Learner *L, int32_t w, int32_t a, int32_t b, int32_t c, int32_t stamp)
{
    int32_t *s = L->sym + L->word_start[w];
    size_t n = L->word_len[w], out = 0;
    int64_t k = L->word_count[w];
    for (size_t i = 0; i < n;) {
        if (i + 1 < n && s[i] == a && s[i + 1] == b) {
            if (out > 0 && (add_pair(L, s[out - 1], a, -k, w, stamp) != 0 ||
                            add_pair(L, s[out - 1], c, k, w, stamp) != 0))
                return -1;
            if (i + 2 < n && (add_pair(L, b, s[i + 2], -k, w, stamp) != 0 ||
                              add_pair(L, c, s[i + 2], k, w, stamp) != 0))
                return -1;
            if (add_pair(L, a, b, -k, w, stamp) != 0)
                return -1;
            s[out++] = c;
            i += 2;
        } else {
            s[out++] = s[i++];
        }
    }
    L->word_len[w] = out;
    return 0;
}

Bpe *bpe_trainer_learn(BpeTrainer *tr, int num_merges, char *err, size_t err_len)
{
    if (num_merges < 0 || num_merges > BPE_MAX_MERGES) {
        errorf(err, err_len, "%d merges asked (0..%d)", num_merges, BPE_MAX_MERGES);
        return NULL;
    }
    Learner L = {0};
    int32_t *merges = malloc(((size_t)num_merges * 2 + 1) * sizeof *merges);
    int64_t *counts = malloc(((size_t)num_merges + 1) * sizeof *counts);
    Bpe *bpe = NULL;
    int done = 0;
    if (!merges || !counts || learner_init(&L, tr) != 0)
        goto oom;
    for (; done < num_merges; done++) {
        int32_t p = best_pair(&L);
        if (p < 0)
            break; /* no pair occurs twice: fewer merges than asked */
        int32_t a = L.pairs[p].left, b = L.pairs[p].right, c = BPE_NUM_BYTES + done;
        merges[2 * done] = a;
        merges[2 * done + 1] = b;
        counts[done] = L.pairs[p].count;
        heap_pop(&L);
        L.num_raised = 0;
        for (int32_t link = L.pairs[p].words; link >= 0; link = L.links[link].next) {
            int32_t w = L.links[link].word;
            if (L.word_stamp[w] == done)
                continue;
            L.word_stamp[w] = done;
            if (merge_word(&L, w, a, b, c, done) != 0)
                goto oom;
        }
        for (size_t i = 0; i < L.num_raised; i++)
            if (L.pairs[L.raised[i]].count >= 2 && heap_push(&L, L.raised[i]) != 0)
                goto oom;
    }
    bpe = bpe_build(tr->split, done, merges, counts, "learned tokenizer", err, err_len);
    goto out;
oom:
    errorf(err, err_len, "out of memory learning merge %d (%zu distinct pieces)", done,
           tr->pieces.n);
out:
    learner_free(&L);
    free(merges);
    free(counts);
    return bpe;
}

Bpe *bpe_learn(const char *const *texts, const size_t *lens, size_t n, int num_merges,
               BpeSplit split, char *err, size_t err_len)
{
    BpeTrainer *tr = bpe_trainer_create(split);
    if (!tr) {
        errorf(err, err_len, "out of memory (or split rule %d unknown)", (int)split);
        return NULL;
    }
    Bpe *bpe = NULL;
    size_t i = 0;
    while (i < n && bpe_trainer_add(tr, texts[i], lens[i], err, err_len) == 0)
        i++;
    if (i == n)
        bpe = bpe_trainer_learn(tr, num_merges, err, err_len);
    bpe_trainer_free(tr);
    return bpe;
}
