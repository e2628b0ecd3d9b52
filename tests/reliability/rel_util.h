/* Shared by the reliability tests (and, for the scratch directory and file
 * reads, by other suites through scratch_dep in tests/meson.build): a scratch
 * directory per test, files written and read back, and a tiny model with its
 * vocabulary and labels to save. */
#ifndef MINILLM_TESTS_REL_UTIL_H
#define MINILLM_TESTS_REL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "checkpoint.h"

/* A fresh directory under /tmp (rel_dir), removed with everything in it by
 * rel_tmp_remove. Use as a TestSuite's .init / .fini. */
extern char rel_dir[64];
void rel_tmp_make(void);
void rel_tmp_remove(void);
/* "<rel_dir>/<name>" in one of 8 rotating buffers (copy what must live longer). */
const char *rel_path(const char *name);

void rel_write(const char *path, const void *data, size_t len);
/* The whole file, NUL-terminated; NULL when it cannot be read. */
unsigned char *rel_read(const char *path, size_t *len);
/* Names in dir that start with prefix. */
int rel_count_prefixed(const char *dir, const char *prefix);

/* A tiny model (V 10, d 4, 2 heads, d_ff 6, 1 layer, 2 classes, max_len 8,
 * learned positions) whose parameters depend only on `salt`. */
typedef struct {
    Model *model;
    Vocab *vocab;
    TokenizerConfig tc;
    const char *labels[2];
} RelModel;
RelModel rel_model_make(uint64_t salt);
void rel_model_free(RelModel *r);
/* checkpoint_save of r (asserts success). */
void rel_model_save(const RelModel *r, const char *path);
/* An initialised optimizer for r with moments that depend on salt. */
void rel_optimizer_make(Optimizer *opt, const RelModel *r, uint64_t salt, long step);

#endif
