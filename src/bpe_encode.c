/* Encoding: split into pieces, merge each piece by rank (see bpe.h), optionally
 * through a cache of encoded pieces.
 *
 * Two ways to merge one piece, with the same result. Short pieces (the words of a
 * text) keep the rank of every adjacent pair in an array and scan it for the lowest
 * before each merge. Long pieces (a 1 MB line of letters) would make that
 * quadratic, so they keep the symbols in a linked list and the candidate pairs in a
 * min-heap ordered by (rank, position): popping gives the lowest rank, and for one
 * rank the leftmost pair first, which is the left-to-right, non-overlapping order of
 * learning. A pair
 * made by merge r involves id 256 + r, whose own merges all come after r, so nothing
 * pushed while rank r is being merged can be popped before rank r is done. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bpe_internal.h"

#define NO_RANK INT32_MAX

static int32_t rank_or_none(const Bpe *bpe, int32_t left, int32_t right)
{
    int32_t r = bpe_rank(bpe, left, right);
    return r >= 0 ? r : NO_RANK;
}

/* sym[0..n) holds the piece's bytes (n <= BPE_SHORT_PIECE); merges it in place.
 * Returns the number of symbols left. One merge at a time, the leftmost of the
 * lowest rank: for one rank that is left to right without overlap, as learning
 * did, and only the two pairs around a merge need a new look-up. */
static size_t merge_short(const Bpe *bpe, int32_t *sym, size_t n)
{
    int32_t rank[BPE_SHORT_PIECE]; /* rank[i]: pair (sym[i], sym[i + 1]) */
    for (size_t i = 0; i + 1 < n; i++)
        rank[i] = rank_or_none(bpe, sym[i], sym[i + 1]);
    while (n > 1) {
        size_t best = 0;
        for (size_t i = 1; i + 1 < n; i++)
            best = rank[i] < rank[best] ? i : best;
        if (rank[best] == NO_RANK)
            break;
        sym[best] = BPE_NUM_BYTES + rank[best];
        n--;
        memmove(sym + best + 1, sym + best + 2, (n - best - 1) * sizeof *sym);
        memmove(rank + best + 1, rank + best + 2, (n > best + 2 ? n - best - 2 : 0) * sizeof *rank);
        if (best + 1 < n)
            rank[best] = rank_or_none(bpe, sym[best], sym[best + 1]);
        if (best > 0)
            rank[best - 1] = rank_or_none(bpe, sym[best - 1], sym[best]);
    }
    return n;
}

typedef struct {
    int32_t rank;
    uint32_t pos; /* the pair's left symbol */
} Candidate;

static bool candidate_before(Candidate a, Candidate b)
{
    return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos);
}

static void heap_push(Candidate *heap, size_t *n, Candidate c)
{
    size_t i = (*n)++;
    while (i > 0 && candidate_before(c, heap[(i - 1) / 2])) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = c;
}

static Candidate heap_pop(Candidate *heap, size_t *n)
{
    Candidate top = heap[0], last = heap[--*n];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= *n)
            break;
        if (child + 1 < *n && candidate_before(heap[child + 1], heap[child]))
            child++;
        if (!candidate_before(heap[child], last))
            break;
        heap[i] = heap[child];
        i = child;
    }
    if (*n > 0)
        heap[i] = last;
    return top;
}

#define END UINT32_MAX

static void push_pair(const Bpe *bpe, Candidate *heap, size_t *num, const int32_t *sym,
                      uint32_t left, uint32_t right)
{
    int32_t r = rank_or_none(bpe, sym[left], sym[right]);
    if (r != NO_RANK)
        heap_push(heap, num, (Candidate){r, left});
}

/* sym[0..n) holds the piece's bytes; merges it in place. Returns the number of
 * symbols left, or BPE_ERROR when out of memory. */
static size_t merge_long(const Bpe *bpe, int32_t *sym, size_t n)
{
    if (n >= END)
        return BPE_ERROR;
    uint32_t *next = malloc(n * sizeof *next); /* (n) the symbol after i, or END */
    uint32_t *prev = malloc(n * sizeof *prev); /* (n) the symbol before i, or END */
    /* At most n - 1 pairs at first, and each of the n - 1 merges pushes two. */
    Candidate *heap = malloc(3 * n * sizeof *heap);
    size_t w = BPE_ERROR;
    if (!next || !prev || !heap)
        goto done;
    size_t num = 0;
    for (uint32_t i = 0; i < n; i++) {
        next[i] = i + 1 < n ? i + 1 : END;
        prev[i] = i > 0 ? i - 1 : END;
        if (i + 1 < n)
            push_pair(bpe, heap, &num, sym, i, i + 1);
    }
    while (num > 0) {
        Candidate c = heap_pop(heap, &num);
        uint32_t i = c.pos, j = next[i];
        /* Stale: i was merged into its left neighbour, or its pair changed. */
        if (sym[i] < 0 || j == END || bpe_rank(bpe, sym[i], sym[j]) != c.rank)
            continue;
        sym[i] = BPE_NUM_BYTES + c.rank;
        sym[j] = -1;
        next[i] = next[j];
        if (next[j] != END)
            prev[next[j]] = i;
        if (prev[i] != END)
            push_pair(bpe, heap, &num, sym, prev[i], i);
        if (next[i] != END)
            push_pair(bpe, heap, &num, sym, i, next[i]);
    }
    w = 0;
    for (uint32_t i = 0; i != END; i = next[i])
        sym[w++] = sym[i];
done:
    free(next);
    free(prev);
    free(heap);
    return w;
}

/* ------------------------------------------------------------ the cache */

struct BpeEncoder {
    const Bpe *bpe;
    ByteTable pieces;      /* cached pieces, <= BPE_SHORT_PIECE bytes each */
    size_t *ids_start;     /* (pieces.entries_cap) where piece e's ids begin in ids */
    int32_t *ids;          /* (ids_len) the cached encodings back to back */
    size_t ids_len, ids_cap, starts_cap;
};

BpeEncoder *bpe_encoder_create(const Bpe *bpe)
{
    BpeEncoder *enc = calloc(1, sizeof *enc);
    if (enc)
        enc->bpe = bpe;
    return enc;
}

void bpe_encoder_free(BpeEncoder *enc)
{
    if (!enc)
        return;
    byte_table_free(&enc->pieces);
    free(enc->ids_start);
    free(enc->ids);
    free(enc);
}

/* Remembers piece -> sym[0..n). Out of memory only means not cached. */
static void cache_put(BpeEncoder *enc, const unsigned char *piece, size_t len, uint64_t hash,
                      const int32_t *sym, size_t n)
{
    if (enc->pieces.n >= BPE_CACHE_PIECES) {
        byte_table_clear(&enc->pieces);
        enc->ids_len = 0;
    }
    int32_t *ids = bpe_grow(enc->ids, &enc->ids_cap, enc->ids_len + n, sizeof *ids);
    if (!ids)
        return;
    enc->ids = ids;
    size_t *starts = bpe_grow(enc->ids_start, &enc->starts_cap, enc->pieces.n + 1, sizeof *starts);
    if (!starts)
        return;
    enc->ids_start = starts;
    bool added;
    long e = byte_table_intern(&enc->pieces, piece, len, hash, &added);
    if (e < 0 || !added)
        return;
    enc->ids_start[e] = enc->ids_len;
    memcpy(enc->ids + enc->ids_len, sym, n * sizeof *sym);
    enc->ids_len += n;
}

/* ------------------------------------------------------------ encoding */

static void emit(int *ids, size_t max_ids, size_t count, const int32_t *sym, size_t n)
{
    for (size_t k = 0; k < n && count + k < max_ids; k++)
        ids[count + k] = sym[k];
}

/* One piece, through the cache when enc is not NULL. Returns its number of ids or
 * BPE_ERROR. */
static size_t encode_piece(const Bpe *bpe, BpeEncoder *enc, const unsigned char *piece,
                           size_t len, int *ids, size_t max_ids, size_t count)
{
    if (len > BPE_SHORT_PIECE) {
        int32_t *sym = malloc(len * sizeof *sym);
        if (!sym)
            return BPE_ERROR;
        for (size_t i = 0; i < len; i++)
            sym[i] = piece[i];
        size_t n = merge_long(bpe, sym, len);
        if (n != BPE_ERROR)
            emit(ids, max_ids, count, sym, n);
        free(sym);
        return n;
    }
    uint64_t hash = 0;
    if (enc) {
        hash = bytes_hash(piece, len);
        long e = byte_table_find(&enc->pieces, piece, len, hash);
        if (e >= 0) {
            size_t start = enc->ids_start[e];
            size_t n = (e + 1 < (long)enc->pieces.n ? enc->ids_start[e + 1] : enc->ids_len) - start;
            emit(ids, max_ids, count, enc->ids + start, n);
            return n;
        }
    }
    int32_t sym[BPE_SHORT_PIECE];
    for (size_t i = 0; i < len; i++)
        sym[i] = piece[i];
    size_t n = merge_short(bpe, sym, len);
    emit(ids, max_ids, count, sym, n);
    if (enc)
        cache_put(enc, piece, len, hash, sym, n);
    return n;
}

static size_t encode_text(const Bpe *bpe, BpeEncoder *enc, const char *text, size_t len,
                          int *ids, size_t max_ids)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t count = 0;
    for (size_t pos = 0; pos < len;) {
        size_t piece_len = bpe_split_piece(bpe->split, p + pos, len - pos);
        size_t n = encode_piece(bpe, enc, p + pos, piece_len, ids, max_ids, count);
        if (n == BPE_ERROR)
            return BPE_ERROR;
        count += n;
        pos += piece_len;
    }
    return count;
}

size_t bpe_encode(const Bpe *bpe, const char *text, size_t len, int *ids, size_t max_ids)
{
    return encode_text(bpe, NULL, text, len, ids, max_ids);
}

size_t bpe_encoder_encode(BpeEncoder *enc, const char *text, size_t len, int *ids,
                          size_t max_ids)
{
    return encode_text(enc->bpe, enc, text, len, ids, max_ids);
}
