/* minillm-bpe-bench: how fast the BPE tokenizer learns and encodes, on one core.
 *
 *   minillm-bpe-bench FILE [--merges N] [--repeats R]
 *
 * FILE is read as `minillm-tui tokenize --data` reads it (corpus.h: a .txt whole,
 * else the text column of a TSV/CSV). Each repeat learns N merges from scratch
 * (counting the pieces included), then encodes every text three ways: with a fresh
 * BpeEncoder (cold cache: one pass over a corpus), with that encoder again (warm
 * cache), and with bpe_encode (no cache). Encoding speed is the texts' bytes over
 * the time taken. Prints the median, min and max over the repeats of the wall time
 * and, beside it, the median by the process's CPU time (the figure that does not
 * depend on what else the machine runs), and checks once that decoding gives every
 * text back. Everything runs on the calling thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpe.h"
#include "corpus.h"
#include "stats.h"

#define MAX_REPEATS 100

typedef struct {
    double wall, cpu;  /* seconds */
} Clock;

static Clock now(void)
{
    struct timespec w, c;
    clock_gettime(CLOCK_MONOTONIC, &w);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
    return (Clock){(double)w.tv_sec + (double)w.tv_nsec * 1e-9,
                   (double)c.tv_sec + (double)c.tv_nsec * 1e-9};
}

static Clock since(Clock t0)
{
    Clock t = now();
    return (Clock){t.wall - t0.wall, t.cpu - t0.cpu};
}

/* wall[i], cpu[i]: repeat i's figure by wall and by CPU time (sorted in place). */
static void report(const char *what, const char *unit, double *wall, double *cpu, int n)
{
    double med = median_sorted(wall, n), cpu_med = median_sorted(cpu, n);
    printf("%-20s median %8.3f %-4s (min %.3f, max %.3f; by CPU time %.3f; %d repeats)\n", what,
           med, unit, wall[0], wall[n - 1], cpu_med, n);
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

/* Encodes the corpus into *mb_per_s (wall, CPU); *num_ids gets the ids written.
 * 0, or -1 on failure. */
static int encode_all(const Corpus *c, EncodeFn fn, void *ctx, int *ids, size_t *num_ids,
                      double mb_per_s[2])
{
    Clock t0 = now();
    size_t total = 0;
    for (size_t i = 0; i < c->n; i++) {
        size_t n = fn(ctx, c->text[i], c->len[i], ids, c->len[i]);
        if (n == BPE_ERROR || n > c->len[i])
            return -1;
        total += n;
    }
    Clock t = since(t0);
    *num_ids = total;
    mb_per_s[0] = (double)c->total_bytes / 1e6 / t.wall;
    mb_per_s[1] = (double)c->total_bytes / 1e6 / t.cpu;
    return 0;
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
    /* [0] by wall time, [1] by CPU time */
    double learn_s[2][MAX_REPEATS], cold[2][MAX_REPEATS], warm[2][MAX_REPEATS],
        plain[2][MAX_REPEATS];
    size_t num_ids = 0;
    int learned = 0, rc = ids && bytes ? 0 : 1;
    for (int r = 0; rc == 0 && r < repeats; r++) {
        Clock t0 = now();
        Bpe *bpe = bpe_learn(c.text, c.len, c.n, merges, BPE_SPLIT_GPT2_LIKE, err, sizeof err);
        Clock t = since(t0);
        learn_s[0][r] = t.wall;
        learn_s[1][r] = t.cpu;
        BpeEncoder *enc = bpe ? bpe_encoder_create(bpe) : NULL;
        if (!enc) {
            fprintf(stderr, "minillm-bpe-bench: %s\n", bpe ? "out of memory" : err);
            bpe_free(bpe);
            rc = 1;
            break;
        }
        learned = bpe_num_merges(bpe);
        double mb_per_s[3][2];
        if (encode_all(&c, with_encoder, enc, ids, &num_ids, mb_per_s[0]) != 0 ||
            encode_all(&c, with_encoder, enc, ids, &num_ids, mb_per_s[1]) != 0 ||
            encode_all(&c, without_cache, bpe, ids, &num_ids, mb_per_s[2]) != 0 ||
            (r == 0 && check_round_trip(bpe, &c, ids, bytes) != 0)) {
            fprintf(stderr, "minillm-bpe-bench: encoding failed\n");
            rc = 1;
        }
        for (int k = 0; k < 2; k++) {
            cold[k][r] = mb_per_s[0][k];
            warm[k][r] = mb_per_s[1][k];
            plain[k][r] = mb_per_s[2][k];
        }
        bpe_encoder_free(enc);
        bpe_free(bpe);
    }
    if (rc == 0) {
        printf("%s: %zu texts, %.3f MB; %d merges learned (%d asked); %zu ids, %.2f bytes/id\n",
               path, c.n, (double)c.total_bytes / 1e6, learned, merges, num_ids,
               num_ids ? (double)c.total_bytes / (double)num_ids : 0.0);
        report("learn", "s", learn_s[0], learn_s[1], repeats);
        report("encode (cold cache)", "MB/s", cold[0], cold[1], repeats);
        report("encode (warm cache)", "MB/s", warm[0], warm[1], repeats);
        report("encode (no cache)", "MB/s", plain[0], plain[1], repeats);
    }
    free(ids);
    free(bytes);
    corpus_free(&c);
    return rc;
}
