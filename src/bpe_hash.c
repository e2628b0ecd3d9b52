/* The two hash tables of the BPE code: id pairs -> int, and interned byte strings. */
#include <stdlib.h>
#include <string.h>

#include "bpe_internal.h"

void *bpe_grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(p, n * size);
    if (q)
        *cap = n;
    return q;
}

/* ------------------------------------------------------------ pair table */

static size_t capacity_for(size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n + 2)
        cap *= 2;
    return cap;
}

int pair_table_init(PairTable *t, size_t expected)
{
    memset(t, 0, sizeof *t);
    t->cap = capacity_for(expected);
    t->keys = malloc(t->cap * sizeof *t->keys);
    t->values = malloc(t->cap * sizeof *t->values);
    if (!t->keys || !t->values) {
        pair_table_free(t);
        return -1;
    }
    memset(t->keys, 0xFF, t->cap * sizeof *t->keys); /* PAIR_EMPTY */
    return 0;
}

void pair_table_free(PairTable *t)
{
    free(t->keys);
    free(t->values);
    memset(t, 0, sizeof *t);
}

static size_t pair_slot(const uint64_t *keys, size_t cap, uint64_t key)
{
    size_t mask = cap - 1, i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
    while (keys[i] != key && keys[i] != PAIR_EMPTY)
        i = (i + 1) & mask;
    return i;
}

static int pair_table_grow(PairTable *t)
{
    PairTable bigger;
    if (pair_table_init(&bigger, t->n * 2) != 0)
        return -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->keys[i] == PAIR_EMPTY)
            continue;
        size_t j = pair_slot(bigger.keys, bigger.cap, t->keys[i]);
        bigger.keys[j] = t->keys[i];
        bigger.values[j] = t->values[i];
    }
    bigger.n = t->n;
    pair_table_free(t);
    *t = bigger;
    return 0;
}

int32_t pair_table_get_or_add(PairTable *t, uint64_t key, int32_t value)
{
    size_t i = pair_slot(t->keys, t->cap, key);
    if (t->keys[i] == key)
        return t->values[i];
    if (2 * (t->n + 1) > t->cap) {
        if (pair_table_grow(t) != 0)
            return -2;
        i = pair_slot(t->keys, t->cap, key);
    }
    t->keys[i] = key;
    t->values[i] = value;
    t->n++;
    return value;
}

/* ------------------------------------------------------------ byte table */

uint64_t bytes_hash(const unsigned char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

void byte_table_free(ByteTable *t)
{
    free(t->bytes);
    free(t->entries);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

void byte_table_clear(ByteTable *t)
{
    t->n = 0;
    t->bytes_len = 0;
    if (t->slots)
        memset(t->slots, 0, t->cap * sizeof *t->slots);
}

long byte_table_find(const ByteTable *t, const unsigned char *s, size_t len, uint64_t hash)
{
    if (t->cap == 0)
        return -1;
    size_t mask = t->cap - 1;
    for (size_t i = (size_t)hash & mask; t->slots[i] != 0; i = (i + 1) & mask) {
        const ByteEntry *e = &t->entries[t->slots[i] - 1];
        if (e->hash == hash && e->len == len && memcmp(t->bytes + e->start, s, len) == 0)
            return (long)(t->slots[i] - 1);
    }
    return -1;
}

/* Slots for twice the entries; rehashes from the stored hashes. */
static int byte_table_grow_slots(ByteTable *t)
{
    size_t cap = capacity_for(t->n + 1);
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t e = 0; e < t->n; e++) {
        size_t i = (size_t)t->entries[e].hash & (cap - 1);
        while (slots[i] != 0)
            i = (i + 1) & (cap - 1);
        slots[i] = (uint32_t)e + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

long byte_table_intern(ByteTable *t, const unsigned char *s, size_t len, uint64_t hash,
                       bool *added)
{
    *added = false;
    long found = byte_table_find(t, s, len, hash);
    if (found >= 0)
        return found;
    if (len > UINT32_MAX || t->n >= UINT32_MAX - 1)
        return -1;
    if (2 * (t->n + 1) > t->cap && byte_table_grow_slots(t) != 0)
        return -1;
    ByteEntry *entries = bpe_grow(t->entries, &t->entries_cap, t->n + 1, sizeof *entries);
    if (!entries)
        return -1;
    t->entries = entries;
    unsigned char *bytes = bpe_grow(t->bytes, &t->bytes_cap, t->bytes_len + len, 1);
    if (!bytes)
        return -1;
    t->bytes = bytes;
    size_t e = t->n++;
    t->entries[e] = (ByteEntry){t->bytes_len, (uint32_t)len, hash};
    if (len > 0)
        memcpy(t->bytes + t->bytes_len, s, len);
    t->bytes_len += len;
    size_t mask = t->cap - 1, i = (size_t)hash & mask;
    while (t->slots[i] != 0)
        i = (i + 1) & mask;
    t->slots[i] = (uint32_t)e + 1;
    *added = true;
    return (long)e;
}
