/* Small model configurations for the model tests: one place instead of a copy
 * per test file. */
#ifndef MINILLM_TEST_FIXTURE_H
#define MINILLM_TEST_FIXTURE_H

#include "model/model.h"

/* The sizes a test picks; the rest is fixed below. */
typedef struct {
    int vocab_size;
    int d_model;
    int d_ff;
    int num_classes;
    int max_len;
} TinySizes;

/* model_config_default() with these sizes, 2 heads, 2 layers and dropout 0 (the
 * tests that want dropout, another mask or pooling set it after). */
ModelConfig tiny_config(TinySizes sizes);

#endif
