/* The normal suite's side of fuzzing: one target (FUZZ_TARGET, set by meson)
 * replayed over its committed seed corpus (tests/fuzz/corpus/<target>/, written
 * by make_corpus) and every crash reproducer found so far
 * (tests/fuzz/crashes/<target>/), through the same LLVMFuzzerTestOneInput that
 * libFuzzer calls, built with gcc. A failed property aborts with the input's name;
 * a crash names it through the signal handler below. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "fuzz.h"

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET must name the target (checkpoint, sidecar, config, dataset, bpe)"
#endif

static void name_the_input(int sig)
{
    static const char msg[] = "crashed on input: ";
    if (fuzz_input_name) {
        (void)!write(2, msg, sizeof msg - 1);
        (void)!write(2, fuzz_input_name, strlen(fuzz_input_name));
        (void)!write(2, "\n", 1);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every file of <source>/tests/fuzz/<kind>/<target>/ in name order;
 * returns how many. Files named "seed-*" must be accepted by the parser: the
 * generator wrote them as the program writes its files. */
static int replay_dir(const char *kind)
{
    const char *root = getenv("MINILLM_SOURCE_ROOT");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/%s/%s", root && *root ? root : ".", kind, FUZZ_TARGET);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        cr_assert_not_null(names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; i < n; i++) {
        char path[2048], err[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        char *data;
        size_t len;
        cr_assert_eq(file_read_all(path, (size_t)64 << 20, &data, &len, err, sizeof err), 0, "%s",
                     err);
        long accepted = fuzz_accepted;
        fuzz_input_name = path;
        LLVMFuzzerTestOneInput((const uint8_t *)data, len);
        fuzz_input_name = NULL;
        if (strncmp(names[i], "seed-", 5) == 0)
            cr_expect_eq(fuzz_accepted, accepted + 1, "%s: a seed the program wrote is refused",
                         path);
        free(data);
        free(names[i]);
    }
    free(names);
    return (int)n;
}

static void setup(void)
{
    signal(SIGSEGV, name_the_input);
    signal(SIGBUS, name_the_input);
    signal(SIGFPE, name_the_input);
    signal(SIGABRT, name_the_input);
    int argc = 0;
    char **argv = NULL;
    LLVMFuzzerInitialize(&argc, &argv);
}

TestSuite(replay, .init = setup, .timeout = 300);

Test(replay, seed_corpus_and_crash_reproducers)
{
    int seeds = replay_dir("corpus");
    int crashes = replay_dir("crashes");
    fprintf(stderr, "%s: %d seed inputs and %d crash reproducers replayed\n", FUZZ_TARGET, seeds,
            crashes);
    cr_expect_gt(seeds, 0, "no seed corpus in tests/fuzz/corpus/%s", FUZZ_TARGET);
}
