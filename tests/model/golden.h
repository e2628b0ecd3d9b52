/* Reader of the golden fixtures written by tools/make_golden.py:
 * `key value key value ...` lines (config, optim) and `tensor NAME COUNT`
 * blocks of COUNT numbers. Lines starting with '#' are comments. */
#ifndef MINILLM_TEST_GOLDEN_H
#define MINILLM_TEST_GOLDEN_H

#include <stddef.h>

typedef struct {
    char name[128];
    size_t count;
    double *values;
} GoldenTensor;

typedef struct {
    char keys[64][32];
    char values[64][32];
    int num_keys;
    GoldenTensor *tensors;
    int num_tensors;
} Golden;

/* 0 on success, else -1 with a message naming the file and line. */
int golden_load(Golden *g, const char *path, char *err, size_t err_len);
void golden_free(Golden *g);
const GoldenTensor *golden_tensor(const Golden *g, const char *name);
/* NULL when the key is absent. */
const char *golden_value(const Golden *g, const char *key);

#endif
