/* minillm-bpe-bench: how fast the BPE tokenizer learns and encodes, on one core.
 *
 *   minillm-bpe-bench FILE [--merges N] [--repeats R]
 *
 * FILE is read as `minillm-tui tokenize --data` reads it (corpus.h: a .txt whole,
 * else the text column of a TSV/CSV). Each repeat learns N merges from scratch
 * (counting the pieces included), then encodes every text three ways: with a fresh
 * BpeEncoder (cold cache: one pass over a corpus), with that encoder again (warm
 * cache), and with bpe_encode (no cache). Encoding speed is the texts' bytes over
 * the wall time. Prints the median, min and max over the repeats, and checks once
 * that decoding gives every text back. Everything runs on the calling thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpe.h"
#include "corpus.h"

#define MAX_REPEATS 100

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v; the median (mean of the middle two for even n). */
static double median_sorted(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, compare_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void report(const char *what, const char *unit, double *v, int n)
{
    double med = median_sorted(v, n);
    printf("%-22s median %9.3f %s  (min %.3f, max %.3f, %d repeats)\n", what, med, unit, v[0],
           v[n - 1], n);
}

typedef size_t (*EncodeFn)(void *ctx, const char *text, size_t len, int *ids, size_t max_ids);

static size_t with_encoder(void *ctx, const char *text, size_t len, int *ids, size_t max_ids)
{
    return bpe_encoder_encode(ctx, text, len, ids, max_ids);
}

static size_t without_cache(void *ctx, const char *text, size_t len, int *ids, size_t max_ids)
{
    return bpe_encode(ctx, text, len, ids, max_ids);
}

/* Seconds to encode the corpus; *num_ids gets the ids written. -1 on failure. */
static double encode_all(const Corpus *c, EncodeFn fn, void *ctx, int *ids, size_t *num_ids)
{
    double t0 = now_s();
    size_t total = 0;
    for (size_t i = 0; i < c->n; i++) {
        size_t n = fn(ctx, c->text[i], c->len[i], ids, c->len[i]);
        if (n == BPE_ERROR || n > c->len[i])
            return -1;
        total += n;
    }
    *num_ids = total;
    return now_s() - t0;
}

static int check_round_trip(const Bpe *bpe, const Corpus *c, int *ids, char *bytes)
{
    for (size_t i = 0; i < c->n; i++) {
        size_t n = bpe_encode(bpe, c->text[i], c->len[i], ids, c->len[i]);
        size_t m = n == BPE_ERROR ? BPE_ERROR : bpe_decode(bpe, ids, n, bytes, c->len[i], NULL);
        if (m != c->len[i] || memcmp(bytes, c->text[i], m) != 0) {
            fprintf(stderr, "minillm-bpe-bench: text %zu does not decode back\n", i);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int merges = 8000, repeats = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--merges") == 0 && i + 1 < argc)
            merges = atoi(argv[++i]);
        else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc)
            repeats = atoi(argv[++i]);
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else
            path = NULL, i = argc;
    }
    if (!path || merges < 0 || merges > BPE_MAX_MERGES || repeats < 1 || repeats > MAX_REPEATS) {
        fprintf(stderr, "usage: minillm-bpe-bench FILE [--merges N (8000)] [--repeats R (5, <= %d)]\n"
                "FILE: a .txt (one text) or a TSV/CSV (its text column), as tokenize --data\n",
                MAX_REPEATS);
        return 2;
    }
    char err[1024];
    Corpus c;
    if (corpus_load(path, &c, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "minillm-bpe-bench: %s\n", err);
        return 1;
    }
    size_t longest = 1;
    for (size_t i = 0; i < c.n; i++)
        longest = c.len[i] > longest ? c.len[i] : longest;
    int *ids = malloc(longest * sizeof *ids);
    char *bytes = malloc(longest);
    double learn_s[MAX_REPEATS], cold[MAX_REPEATS], warm[MAX_REPEATS], plain[MAX_REPEATS];
    const double mb = (double)c.total_bytes / 1e6;
    size_t num_ids = 0;
    int learned = 0, rc = ids && bytes ? 0 : 1;
    for (int r = 0; rc == 0 && r < repeats; r++) {
        double t0 = now_s();
        Bpe *bpe = bpe_learn(c.text, c.len, c.n, merges, BPE_SPLIT_GPT2_LIKE, err, sizeof err);
        learn_s[r] = now_s() - t0;
        BpeEncoder *enc = bpe ? bpe_encoder_create(bpe) : NULL;
        if (!enc) {
            fprintf(stderr, "minillm-bpe-bench: %s\n", bpe ? "out of memory" : err);
            bpe_free(bpe);
            rc = 1;
            break;
        }
        learned = bpe_num_merges(bpe);
        double tc = encode_all(&c, with_encoder, enc, ids, &num_ids);
        double tw = encode_all(&c, with_encoder, enc, ids, &num_ids);
        double tp = encode_all(&c, without_cache, bpe, ids, &num_ids);
        if (tc < 0 || tw < 0 || tp < 0 || (r == 0 && check_round_trip(bpe, &c, ids, bytes) != 0)) {
            fprintf(stderr, "minillm-bpe-bench: encoding failed\n");
            rc = 1;
        }
        cold[r] = mb / tc;
        warm[r] = mb / tw;
        plain[r] = mb / tp;
        bpe_encoder_free(enc);
        bpe_free(bpe);
    }
    if (rc == 0) {
        printf("%s: %zu texts, %.3f MB; %d merges learned (%d asked); %zu ids, %.2f bytes/id\n",
               path, c.n, mb, learned, merges, num_ids,
               num_ids ? (double)c.total_bytes / (double)num_ids : 0.0);
        report("learn", "s", learn_s, repeats);
        report("encode (cold cache)", "MB/s", cold, repeats);
        report("encode (warm cache)", "MB/s", warm, repeats);
        report("encode (no cache)", "MB/s", plain, repeats);
    }
    free(ids);
    free(bytes);
    corpus_free(&c);
    return rc;
}
