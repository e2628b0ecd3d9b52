/* Shared by the fuzz targets (one file per parser, each defining libFuzzer's
 * LLVMFuzzerTestOneInput) and by replay.c, which feeds them the committed corpus
 * and crash reproducers in the normal test suite, built with gcc.
 *
 * A target checks properties with FUZZ_CHECK: a failure prints the property and
 * the input being replayed, then aborts (libFuzzer saves the input as a crash). */
#ifndef MINILLM_FUZZ_H
#define MINILLM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Called once before the first input (libFuzzer calls it too when defined). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The file being replayed (replay.c sets it), for messages; NULL under libFuzzer. */
extern const char *fuzz_input_name;
/* Inputs that the parser accepted (a target adds one on its success path): the
 * replay checks that every seed the program wrote is accepted. */
extern long fuzz_accepted;

#define FUZZ_CHECK(cond, ...)                                                            \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: fuzz check failed: %s (input: %s): ", __FILE__,      \
                    __LINE__, #cond, fuzz_input_name ? fuzz_input_name : "libFuzzer's");  \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
            abort();                                                                     \
        }                                                                                \
    } while (0)

#endif
