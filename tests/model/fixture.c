#include "fixture.h"

ModelConfig tiny_config(TinySizes sizes)
{
    ModelConfig cfg = model_config_default();
    cfg.vocab_size = sizes.vocab_size;
    cfg.d_model = sizes.d_model;
    cfg.num_heads = 2;
    cfg.d_ff = sizes.d_ff;
    cfg.num_layers = 2;
    cfg.num_classes = sizes.num_classes;
    cfg.max_len = sizes.max_len;
    cfg.dropout = 0.0f;
    return cfg;
}
