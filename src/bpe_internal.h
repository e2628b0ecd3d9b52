/* Shared by the bpe*.c files only: the tokenizer's tables and the two hash tables
 * that learning and encoding both use. Not part of the API (see bpe.h). */
#ifndef MINILLM_BPE_INTERNAL_H
#define MINILLM_BPE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpe.h"

/* p (room for *cap elements of `size` bytes) reallocated to hold `need`, doubling;
 * NULL when out of memory (p is then untouched and still owned by the caller). */
void *bpe_grow(void *p, size_t *cap, size_t need, size_t size);

/* ------------------------------------------------------------ pair table */

/* (left, right) id pair -> int value, open addressing. Pairs are never removed. */
typedef struct {
    uint64_t *keys;   /* (cap) pair_key(), PAIR_EMPTY when free */
    int32_t *values;  /* (cap) */
    size_t cap;       /* a power of two, at least twice n */
    size_t n;
} PairTable;

#define PAIR_EMPTY UINT64_MAX

static inline uint64_t pair_key(int32_t left, int32_t right)
{
    return (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
}

int pair_table_init(PairTable *t, size_t expected);
void pair_table_free(PairTable *t);
/* The value of key, or -1. */
static inline int32_t pair_table_get(const PairTable *t, uint64_t key)
{
    size_t mask = t->cap - 1;
    /* Fibonacci hashing: the high bits of key * 2^64/phi are well mixed. */
    for (size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & mask;; i = (i + 1) & mask) {
        if (t->keys[i] == key)
            return t->values[i];
        if (t->keys[i] == PAIR_EMPTY)
            return -1;
    }
}
/* The value of key if present, else adds key with `value` and returns it.
 * -2 when out of memory. */
int32_t pair_table_get_or_add(PairTable *t, uint64_t key, int32_t value);

/* ------------------------------------------------------------ byte table */

typedef struct {
    size_t start;    /* where the string begins in ByteTable.bytes */
    uint32_t len;
    uint64_t hash;   /* kept for growing and quick rejects */
} ByteEntry;

/* Interned byte strings (pieces) -> index 0..n-1 in insertion order. */
typedef struct {
    unsigned char *bytes;  /* (bytes_len) the strings back to back */
    size_t bytes_len, bytes_cap;
    ByteEntry *entries;    /* (n) */
    uint32_t *slots;       /* (cap) index + 1, 0 = free */
    size_t n, entries_cap, cap;
} ByteTable;

uint64_t bytes_hash(const unsigned char *s, size_t len);
void byte_table_free(ByteTable *t);
/* Forgets every string, keeps the memory. */
void byte_table_clear(ByteTable *t);
/* Index of s, or -1. `hash` is bytes_hash(s, len). */
long byte_table_find(const ByteTable *t, const unsigned char *s, size_t len, uint64_t hash);
/* Index of s, adding it when absent (then *added is true). -1 when out of memory
 * or beyond UINT32_MAX bytes or strings. */
long byte_table_intern(ByteTable *t, const unsigned char *s, size_t len, uint64_t hash,
                       bool *added);

/* ------------------------------------------------------------ tokenizer */

struct Bpe {
    BpeSplit split;
    int num_merges;
    int32_t *merges;          /* (num_merges, 2) left, right of merge i */
    int64_t *counts;          /* (num_merges) pair count when learned */
    size_t *token_start;      /* (V + 1) id's bytes are token_bytes[start[id]..start[id+1]) */
    unsigned char *token_bytes;
    PairTable ranks;          /* pair_key(left, right) -> merge index */
};

/* A tokenizer from merges and counts (copied), checked as a file is: every id
 * exists before its merge, no pair twice, counts >= 0, the size limits. Messages
 * start with `name` and name the merge index. */
Bpe *bpe_build(BpeSplit split, int num_merges, const int32_t *merges, const int64_t *counts,
               const char *name, char *err, size_t err_len);

/* Merge index of the pair, or -1. */
static inline int32_t bpe_rank(const Bpe *bpe, int32_t left, int32_t right)
{
    return pair_table_get(&bpe->ranks, pair_key(left, right));
}

#endif
