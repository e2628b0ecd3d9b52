/* Tokenizer and vocabulary (see text.h for the rules). */
#include "text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpe.h"
#include "errors.h"
#include "model/model.h"

/* ---------------------------------------------------------------- UTF-8 */

/* Length of the valid UTF-8 sequence at p (avail bytes left), 0 if invalid.
 * Stores the code point in *cp. */
static size_t utf8_decode(const unsigned char *p, size_t avail, uint32_t *cp)
{
    unsigned char c = p[0];
    if (c < 0x80) { *cp = c; return 1; }
    size_t len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; v = c & 0x07; min = 0x10000; }
    else return 0;
    if (avail < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

bool utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) { i++; continue; }
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

size_t utf8_char_len(const char *s, size_t avail)
{
    uint32_t cp;
    return utf8_decode((const unsigned char *)s, avail, &cp);
}

char *utf8_sanitized(const char *s)
{
    const size_t len = strlen(s);
    char *out = malloc(3 * len + 1); /* each byte at most U+FFFD's three */
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_char_len(s + i, len - i);
        if (n == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    return out;
}

static size_t utf8_encode(uint32_t cp, unsigned char *out)
{
    if (cp < 0x80) { out[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Lower-case of the capitals we handle; each result has the same UTF-8 length,
 * so lower-casing never changes where tokens end. */
static uint32_t lower_cp(uint32_t c)
{
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c < 0xC0) return c;
    if (c <= 0xDE) return c == 0xD7 ? c : c + 0x20;                 /* Latin-1 */
    if (c >= 0x100 && c <= 0x137) return (c & 1) ? c : c + 1;        /* Latin Ext-A */
    if (c >= 0x139 && c <= 0x148) return (c & 1) ? c + 1 : c;
    if (c >= 0x14A && c <= 0x177) return (c & 1) ? c : c + 1;
    if (c == 0x178) return 0xFF;
    if (c >= 0x179 && c <= 0x17E) return (c & 1) ? c + 1 : c;
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 0x20;      /* Greek */
    if (c >= 0x410 && c <= 0x42F) return c + 0x20;                    /* Cyrillic */
    if (c >= 0x400 && c <= 0x40F) return c + 0x50;
    return c;
}

/* ------------------------------------------------------ character classes */

typedef enum { CC_SPACE, CC_WORD, CC_PUNCT, CC_JOINER } CharClass;

static bool is_unicode_space(uint32_t c)
{
    /* What Python's str.split() also splits on (the notebook tokenizer). */
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static bool is_unicode_punct(uint32_t c)
{
    return c == 0xA1 || c == 0xAB || c == 0xBB || c == 0xBF || c == 0xB7 ||
           (c >= 0x2010 && c <= 0x2015) || (c >= 0x2018 && c <= 0x201F) ||
           c == 0x2026 || c == 0x2039 || c == 0x203A;
}

/* Class of the character at p; *clen = its length in bytes. An invalid UTF-8
 * byte counts as a one-byte word character so that nothing is lost. */
static CharClass char_class(const unsigned char *p, size_t avail, size_t *clen)
{
    unsigned char c = p[0];
    if (c < 0x80) {
        *clen = 1;
        if (c == ' ' || (c >= '\t' && c <= '\r') || c < 0x20 || c == 0x7F) return CC_SPACE;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            return CC_WORD;
        if (c == '\'' || c == '-') return CC_JOINER;
        return CC_PUNCT;
    }
    uint32_t cp;
    size_t n = utf8_decode(p, avail, &cp);
    if (n == 0) { *clen = 1; return CC_WORD; }
    *clen = n;
    if (is_unicode_space(cp)) return CC_SPACE;
    if (cp == 0x2019) return CC_JOINER; /* typographic apostrophe */
    if (is_unicode_punct(cp)) return CC_PUNCT;
    return CC_WORD;
}

/* Finds the next token in text[*pos..len): [*start, *end). Returns false at the end. */
static bool next_token(TokenizerKind kind, const unsigned char *text, size_t len, size_t *pos,
                       size_t *start, size_t *end)
{
    size_t i = *pos, clen;
    CharClass cc = CC_SPACE;
    if (kind == TOKENIZER_CHAR) {
        if (i >= len) return false;
        char_class(text + i, len - i, &clen);
        *start = i;
        *end = *pos = i + clen;
        return true;
    }
    while (i < len && (cc = char_class(text + i, len - i, &clen)) == CC_SPACE) i += clen;
    if (i >= len) { *pos = len; return false; }
    *start = i;
    if (kind == TOKENIZER_WHITESPACE) {
        while (i < len && char_class(text + i, len - i, &clen) != CC_SPACE) i += clen;
    } else if (cc != CC_WORD) {
        i += clen; /* punctuation, or a joiner not inside a word: a token of its own */
    } else {
        i += clen;
        while (i < len) {
            CharClass next = char_class(text + i, len - i, &clen);
            if (next == CC_WORD) { i += clen; continue; }
            if (next == CC_JOINER && i + clen < len) {
                size_t clen2;
                if (char_class(text + i + clen, len - i - clen, &clen2) == CC_WORD) {
                    i += clen + clen2;
                    continue;
                }
            }
            break;
        }
    }
    *end = i;
    *pos = i;
    return true;
}

/* Copies text[start, end) to dst (end - start + 1 bytes), lower-cased if asked. */
static void copy_token(char *dst, const unsigned char *src, size_t n, bool lowercase)
{
    if (!lowercase) {
        memcpy(dst, src, n);
        dst[n] = '\0';
        return;
    }
    size_t i = 0;
    while (i < n) {
        if (src[i] < 0x80) {
            dst[i] = (char)((src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 : src[i]);
            i++;
            continue;
        }
        uint32_t cp;
        size_t k = utf8_decode(src + i, n - i, &cp);
        if (k == 0) { dst[i] = (char)src[i]; i++; continue; }
        uint32_t lo = lower_cp(cp);
        if (lo != cp) utf8_encode(lo, (unsigned char *)dst + i); /* same length */
        else memcpy(dst + i, src + i, k);
        i += k;
    }
    dst[n] = '\0';
}

int tokenize(const TokenizerConfig *tc, const char *text, char **tokens, int max_tokens,
             char *buf, size_t buf_len)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t len = strlen(text), pos = 0, start, end, used = 0;
    int count = 0;
    bool overflow = false;
    while (next_token(tc->kind, t, len, &pos, &start, &end)) {
        if (count < max_tokens) {
            size_t n = end - start;
            if (used + n + 1 > buf_len) overflow = true;
            else {
                copy_token(buf + used, t + start, n, tc->lowercase);
                tokens[count] = buf + used;
                used += n + 1;
            }
        }
        count++;
    }
    return overflow ? -1 : count;
}

/* ---------------------------------------------------------------- hashing */

static uint64_t hash_bytes(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

static size_t table_size_for(size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n + 2) cap *= 2;
    return cap;
}

/* ------------------------------------------------------------- vocabulary */

struct Vocab {
    int n;
    char **tokens;   /* (n) owned copies, id order */
    int *slots;      /* (cap) id + 1, 0 = empty; a BPE vocabulary's specials only */
    size_t cap;
    Bpe *bpe;        /* TOKENIZER_BPE: the merges (ids num_specials.. are its ids) */
    int num_specials;
};

static int vocab_insert_slot(Vocab *v, int id)
{
    size_t mask = v->cap - 1, i = hash_bytes(v->tokens[id]) & mask;
    while (v->slots[i]) {
        if (strcmp(v->tokens[v->slots[i] - 1], v->tokens[id]) == 0) return -1;
        i = (i + 1) & mask;
    }
    v->slots[i] = id + 1;
    return 0;
}

/* Takes ownership of tokens[0..n) (malloc'ed strings). */
static Vocab *vocab_from_owned(char **tokens, int n, char *err, size_t err_len)
{
    Vocab *v = calloc(1, sizeof *v);
    if (!v) goto oom;
    v->n = n;
    v->tokens = tokens;
    v->cap = table_size_for((size_t)n);
    v->slots = calloc(v->cap, sizeof *v->slots);
    if (!v->slots) goto oom;
    for (int i = 0; i < n; i++) {
        if (vocab_insert_slot(v, i) != 0) {
            errorf(err, err_len, "vocabulary: duplicate token \"%s\" at id %d", tokens[i], i);
            vocab_free(v);
            return NULL;
        }
    }
    return v;
oom:
    errorf(err, err_len, "vocabulary: out of memory");
    if (v) vocab_free(v);
    else {
        for (int i = 0; i < n; i++) free(tokens[i]);
        free(tokens);
    }
    return NULL;
}

void vocab_free(Vocab *v)
{
    if (!v) return;
    if (v->tokens)
        for (int i = 0; i < v->n; i++) free(v->tokens[i]);
    free(v->tokens);
    free(v->slots);
    bpe_free(v->bpe);
    free(v);
}

int vocab_size(const Vocab *v) { return v->n; }

const char *vocab_token(const Vocab *v, int id)
{
    return (id >= 0 && id < v->n) ? v->tokens[id] : NULL;
}

const struct Bpe *vocab_bpe(const Vocab *v) { return v->bpe; }
int vocab_num_specials(const Vocab *v) { return v->bpe ? v->num_specials : 0; }

const char *vocab_token_bytes(const Vocab *v, int id, size_t *len)
{
    if (v->bpe && id >= v->num_specials && id < v->n)
        return (const char *)bpe_token_bytes(v->bpe, id - v->num_specials, len);
    const char *t = vocab_token(v, id);
    *len = t ? strlen(t) : 0;
    return t;
}

int vocab_lookup(const Vocab *v, const char *token)
{
    size_t mask = v->cap - 1, i = hash_bytes(token) & mask;
    while (v->slots[i]) {
        int id = v->slots[i] - 1;
        if (strcmp(v->tokens[id], token) == 0) return id;
        i = (i + 1) & mask;
    }
    return MODEL_UNK_ID;
}

Vocab *vocab_from_list(const char *const *tokens, int n, char *err, size_t err_len)
{
    if (n < 2 || strcmp(tokens[0], VOCAB_PAD_TOKEN) != 0 || strcmp(tokens[1], VOCAB_UNK_TOKEN) != 0) {
        errorf(err, err_len, "vocabulary: must start with \"%s\", \"%s\"", VOCAB_PAD_TOKEN,
               VOCAB_UNK_TOKEN);
        return NULL;
    }
    char **copy = calloc((size_t)n, sizeof *copy);
    if (!copy) {
        errorf(err, err_len, "vocabulary: out of memory");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (!tokens[i] || !tokens[i][0]) {
            errorf(err, err_len, "vocabulary: empty token at id %d", i);
            for (int j = 0; j < i; j++) free(copy[j]);
            free(copy);
            return NULL;
        }
        copy[i] = strdup(tokens[i]);
        if (!copy[i]) {
            errorf(err, err_len, "vocabulary: out of memory");
            for (int j = 0; j < i; j++) free(copy[j]);
            free(copy);
            return NULL;
        }
    }
    return vocab_from_owned(copy, n, err, err_len);
}

/* ------------------------------------------------------ BPE vocabulary */

static const char *const SPECIALS[VOCAB_BPE_MAX_SPECIALS] = {VOCAB_PAD_TOKEN, VOCAB_UNK_TOKEN,
                                                             VOCAB_EOT_TOKEN};

/* tokens[0..n): the specials' names, then each BPE id's bytes NUL-terminated. */
static char **bpe_token_copies(const Bpe *bpe, int num_specials, int n)
{
    char **tokens = calloc((size_t)n, sizeof *tokens);
    if (!tokens) return NULL;
    for (int i = 0; i < n; i++) {
        size_t len = i < num_specials ? strlen(SPECIALS[i]) : 0;
        const void *b = i < num_specials ? (const void *)SPECIALS[i]
                                         : bpe_token_bytes(bpe, i - num_specials, &len);
        if (!(tokens[i] = malloc(len + 1))) {
            for (int j = 0; j < i; j++) free(tokens[j]);
            free(tokens);
            return NULL;
        }
        memcpy(tokens[i], b, len);
        tokens[i][len] = '\0';
    }
    return tokens;
}

Vocab *vocab_from_bpe(Bpe *bpe, int num_specials, char *err, size_t err_len)
{
    if (num_specials < 2 || num_specials > VOCAB_BPE_MAX_SPECIALS) {
        bpe_free(bpe);
        errorf(err, err_len, "vocabulary: %d special tokens (a BPE vocabulary has 2 or 3)",
               num_specials);
        return NULL;
    }
    int n = num_specials + bpe_vocab_size(bpe);
    Vocab *v = calloc(1, sizeof *v);
    if (v) {
        v->n = n;
        v->cap = table_size_for((size_t)num_specials);
        v->slots = calloc(v->cap, sizeof *v->slots);
        v->tokens = bpe_token_copies(bpe, num_specials, n);
    }
    if (!v || !v->slots || !v->tokens) {
        if (v && !v->tokens) v->n = 0;
        vocab_free(v);
        bpe_free(bpe);
        errorf(err, err_len, "vocabulary: out of memory");
        return NULL;
    }
    v->bpe = bpe;
    v->num_specials = num_specials;
    for (int i = 0; i < num_specials; i++)
        vocab_insert_slot(v, i); /* distinct names */
    return v;
}

void text_lowercase(char *dst, const char *src, size_t n)
{
    copy_token(dst, (const unsigned char *)src, n, true);
}

/* text[0..len) lower-cased (same length) into a malloc'ed copy when tc says so,
 * else text itself; NULL when out of memory. */
static const char *cased_text(const TokenizerConfig *tc, const char *text, size_t len,
                              char **owned)
{
    *owned = NULL;
    if (!tc->lowercase) return text;
    if (!(*owned = malloc(len + 1))) return NULL;
    copy_token(*owned, (const unsigned char *)text, len, true);
    return *owned;
}

Vocab *vocab_learn_bpe(const TokenizerConfig *tc, const char *const *texts, const size_t *lens,
                       size_t n, int bpe_ids, int num_specials, char *err, size_t err_len)
{
    BpeTrainer *tr = bpe_trainer_create(BPE_SPLIT_GPT2_LIKE);
    if (!tr) {
        errorf(err, err_len, "out of memory learning the BPE merges");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        char *owned;
        const char *t = cased_text(tc, texts[i], lens[i], &owned);
        int rc = t ? bpe_trainer_add(tr, t, lens[i], err, err_len)
                   : errorf(err, err_len, "out of memory learning the BPE merges");
        free(owned);
        if (rc != 0) {
            bpe_trainer_free(tr);
            return NULL;
        }
    }
    Bpe *bpe = bpe_trainer_learn(tr, bpe_ids - BPE_NUM_BYTES, err, err_len);
    bpe_trainer_free(tr);
    return bpe ? vocab_from_bpe(bpe, num_specials, err, err_len) : NULL;
}

void token_display(const char *bytes, size_t len, char out[32])
{
    size_t o = 0, i = 0;
    while (i < len) {
        const unsigned char c = (unsigned char)bytes[i];
        size_t k = utf8_char_len(bytes + i, len - i);
        char esc[8];
        size_t e;
        if (c == '\n' || c == '\t') {
            e = (size_t)snprintf(esc, sizeof esc, "\\%c", c == '\n' ? 'n' : 't');
        } else if (k == 0 || (k == 1 && (c < 0x20 || c == 0x7F))) {
            e = (size_t)snprintf(esc, sizeof esc, "\\x%02X", c);
        } else {
            memcpy(esc, bytes + i, k);
            e = k;
        }
        if (o + e > 31) break;
        memcpy(out + o, esc, e);
        o += e;
        i += k ? k : 1;
    }
    out[o] = '\0';
}

int token_chars(const char *bytes, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)bytes[i] & 0xC0) != 0x80;
    return n;
}

/* The BPE ids of text (shifted by the specials) into ids (up to max_ids; all
 * of them when max_ids >= len). Returns the count of the whole encoding, -1
 * when out of memory. */
static long bpe_ids_of(const TokenizerConfig *tc, const Vocab *v, const char *text, size_t len,
                       int *ids, size_t max_ids)
{
    char *owned;
    const char *t = cased_text(tc, text, len, &owned);
    size_t n = t ? bpe_encode(v->bpe, t, len, ids, max_ids) : BPE_ERROR;
    free(owned);
    if (n == BPE_ERROR) return -1;
    for (size_t i = 0; i < n && i < max_ids; i++) ids[i] += v->num_specials;
    return (long)n;
}

/* --------------------------------------------------------- vocab builder */

typedef struct {
    char *word;
    long count;
} WordCount;

struct VocabBuilder {
    WordCount *entries; /* (cap) open addressing; word NULL = empty */
    size_t cap, n;
    bool failed;        /* out of memory while counting */
};

VocabBuilder *vocab_builder_create(void)
{
    VocabBuilder *vb = calloc(1, sizeof *vb);
    if (!vb) return NULL;
    vb->cap = 1024;
    vb->entries = calloc(vb->cap, sizeof *vb->entries);
    if (!vb->entries) { free(vb); return NULL; }
    return vb;
}

void vocab_builder_free(VocabBuilder *vb)
{
    if (!vb) return;
    for (size_t i = 0; i < vb->cap; i++) free(vb->entries[i].word);
    free(vb->entries);
    free(vb);
}

static int builder_grow(VocabBuilder *vb)
{
    size_t cap = vb->cap * 2, mask = cap - 1;
    WordCount *e = calloc(cap, sizeof *e);
    if (!e) return -1;
    for (size_t i = 0; i < vb->cap; i++) {
        if (!vb->entries[i].word) continue;
        size_t j = hash_bytes(vb->entries[i].word) & mask;
        while (e[j].word) j = (j + 1) & mask;
        e[j] = vb->entries[i];
    }
    free(vb->entries);
    vb->entries = e;
    vb->cap = cap;
    return 0;
}

void vocab_builder_add(VocabBuilder *vb, const char *token)
{
    if (!token[0] || strcmp(token, VOCAB_PAD_TOKEN) == 0 || strcmp(token, VOCAB_UNK_TOKEN) == 0)
        return;
    size_t mask = vb->cap - 1, i = hash_bytes(token) & mask;
    while (vb->entries[i].word) {
        if (strcmp(vb->entries[i].word, token) == 0) { vb->entries[i].count++; return; }
        i = (i + 1) & mask;
    }
    char *w = strdup(token);
    if (!w) { vb->failed = true; return; }
    vb->entries[i].word = w;
    vb->entries[i].count = 1;
    vb->n++;
    if (2 * vb->n > vb->cap && builder_grow(vb) != 0) vb->failed = true;
}

static int by_count_then_bytes(const void *a, const void *b)
{
    const WordCount *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->word, y->word);
}

static int by_bytes(const void *a, const void *b)
{
    return strcmp(((const WordCount *)a)->word, ((const WordCount *)b)->word);
}

Vocab *vocab_build(VocabBuilder *vb, int min_freq, int max_size)
{
    if (vb->failed) return NULL;
    if (min_freq < 1) min_freq = 1;
    WordCount *kept = malloc((vb->n + 1) * sizeof *kept);
    if (!kept) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < vb->cap; i++)
        if (vb->entries[i].word && vb->entries[i].count >= min_freq) kept[n++] = vb->entries[i];
    if (max_size > 0) {
        size_t room = max_size > 2 ? (size_t)max_size - 2 : 0;
        if (n > room) {
            qsort(kept, n, sizeof *kept, by_count_then_bytes);
            n = room;
        }
    }
    qsort(kept, n, sizeof *kept, by_bytes);
    char **tokens = calloc(n + 2, sizeof *tokens);
    if (!tokens) { free(kept); return NULL; }
    tokens[0] = strdup(VOCAB_PAD_TOKEN);
    tokens[1] = strdup(VOCAB_UNK_TOKEN);
    bool ok = tokens[0] && tokens[1];
    for (size_t i = 0; i < n && ok; i++) ok = (tokens[i + 2] = strdup(kept[i].word)) != NULL;
    free(kept);
    if (!ok) {
        for (size_t i = 0; i < n + 2; i++) free(tokens[i]);
        free(tokens);
        return NULL;
    }
    return vocab_from_owned(tokens, (int)(n + 2), NULL, 0);
}

/* ------------------------------------------------------------- encoding */

/* Copies at most 31 bytes of s, cut at a UTF-8 character boundary. */
static void copy_display(char out[32], const char *s)
{
    size_t n = strlen(s);
    if (n > 31) {
        n = 31;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

static int encode_sentence_bpe(const TokenizerConfig *tc, const Vocab *v, const char *text,
                               int max_len, int *ids, char (*token_text)[32])
{
    long n = bpe_ids_of(tc, v, text, strlen(text), ids, (size_t)max_len);
    int kept = n < 0 ? 0 : n < max_len ? (int)n : max_len;
    for (int i = 0; i < max_len; i++) {
        if (i >= kept) ids[i] = MODEL_PAD_ID;
        if (!token_text) continue;
        size_t len = 0;
        const char *b = i < kept ? vocab_token_bytes(v, ids[i], &len) : "";
        token_display(b, len, token_text[i]);
    }
    return kept;
}

int encode_sentence(const TokenizerConfig *tc, const Vocab *v, const char *text, int max_len,
                    int *ids, char (*token_text)[32])
{
    if (v->bpe)
        return encode_sentence_bpe(tc, v, text, max_len, ids, token_text);
    const unsigned char *t = (const unsigned char *)text;
    size_t len = strlen(text), pos = 0, start, end;
    char small[256];
    int kept = 0;
    while (kept < max_len && next_token(tc->kind, t, len, &pos, &start, &end)) {
        size_t n = end - start;
        char *tok = n < sizeof small ? small : malloc(n + 1);
        if (!tok) {
            ids[kept] = MODEL_UNK_ID; /* out of memory for a giant token: treat as unknown */
            if (token_text) copy_display(token_text[kept], VOCAB_UNK_TOKEN);
            kept++;
            continue;
        }
        copy_token(tok, t + start, n, tc->lowercase);
        int id = vocab_lookup(v, tok);
        /* The word "<PAD>" in a text is a word, not padding (which the mask hides). */
        ids[kept] = id == MODEL_PAD_ID ? MODEL_UNK_ID : id;
        if (token_text) copy_display(token_text[kept], tok);
        if (tok != small) free(tok);
        kept++;
    }
    for (int i = kept; i < max_len; i++) {
        ids[i] = MODEL_PAD_ID;
        if (token_text) token_text[i][0] = '\0';
    }
    return kept;
}

long sentence_token_count(const TokenizerConfig *tc, const Vocab *v, const char *text)
{
    if (v->bpe)
        return bpe_ids_of(tc, v, text, strlen(text), NULL, 0);
    return tokenize(tc, text, NULL, 0, NULL, 0);
}

size_t utf8_count_chars(const char *s, size_t len)
{
    size_t i = 0, count = 0;
    while (i < len) {
        size_t n = utf8_char_len(s + i, len - i);
        i += n ? n : 1;
        count++;
    }
    return count;
}

long encode_text(const TokenizerConfig *tc, const Vocab *v, const char *text, size_t len, int *ids,
                 int *chars)
{
    if (v->bpe) {
        long n = bpe_ids_of(tc, v, text, len, ids, len);
        for (long i = 0; chars && i < n; i++) {
            size_t k = 0;
            const char *b = vocab_token_bytes(v, ids[i], &k);
            chars[i] = token_chars(b, k);
        }
        return n;
    }
    const unsigned char *t = (const unsigned char *)text;
    size_t pos = 0, start, end;
    char small[256];
    long count = 0;
    while (next_token(tc->kind, t, len, &pos, &start, &end)) {
        size_t n = end - start;
        char *tok = n < sizeof small ? small : malloc(n + 1);
        if (!tok)
            return -1;
        copy_token(tok, t + start, n, tc->lowercase);
        ids[count] = vocab_lookup(v, tok);
        if (chars)
            chars[count] = (int)utf8_count_chars(tok, n);
        if (tok != small) free(tok);
        count++;
    }
    return count;
}

void vocab_builder_add_text(VocabBuilder *vb, const TokenizerConfig *tc, const char *text,
                            size_t len)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t pos = 0, start, end;
    char small[256];
    while (next_token(tc->kind, t, len, &pos, &start, &end)) {
        size_t n = end - start;
        char *tok = n < sizeof small ? small : malloc(n + 1);
        if (!tok) {
            vb->failed = true;
            return;
        }
        copy_token(tok, t + start, n, tc->lowercase);
        vocab_builder_add(vb, tok);
        if (tok != small) free(tok);
    }
}
