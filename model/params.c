/* The model's parameters: configuration defaults and checks, the one parameter
 * buffer and its named views (the PyTorch state_dict), PyTorch's default
 * initialisation, the model's lifecycle, and the parameter and FLOP counts.
 * The activations, forward and backward are in model.c. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "parallel.h"

/* A layer's tensors in state_dict order (encoder and decoder layers alike). */
static const char *const layer_tensor_names[MODEL_LAYER_TENSORS] = {
    "attention.qkv_layer.weight", "attention.qkv_layer.bias",
    "attention.linear_layer.weight", "attention.linear_layer.bias",
    "norm1.gamma", "norm1.beta",
    "ffn.linear1.weight", "ffn.linear1.bias",
    "ffn.linear2.weight", "ffn.linear2.bias",
    "norm2.gamma", "norm2.beta",
};

ModelConfig model_config_default(void)
{
    return (ModelConfig){
        .vocab_size = 22, .d_model = 64, .num_heads = 4, .d_ff = 256, .num_layers = 7,
        .num_classes = 2, .max_len = 10, .dropout = 0.1f, .embedding_dropout = -1.0f,
        .layernorm = LAYERNORM_WORKSHOP, .pos_encoding = POS_ENCODING_SINUSOIDAL,
        .pad_mask = true, .causal = false, .task = MODEL_TASK_CLASSIFY, .norm = NORM_POST,
        .tie_embeddings = false,
    };
}

int model_tokens_to_feed(const ModelConfig *cfg, int longest)
{
    const bool padding_irrelevant = cfg->pad_mask || cfg->task == MODEL_TASK_LM;
    if (!padding_irrelevant || longest > cfg->max_len)
        return cfg->max_len;
    return longest < 1 ? 1 : longest;
}

/* The checks that depend on the task. */
static int validate_task(const ModelConfig *cfg, char *err, size_t n)
{
    if (cfg->task != MODEL_TASK_CLASSIFY && cfg->task != MODEL_TASK_LM)
        return errorf(err, n, "task = %d: must be classify or lm", (int)cfg->task);
    if (cfg->norm != NORM_POST && cfg->norm != NORM_PRE)
        return errorf(err, n, "norm = %d: must be post or pre", (int)cfg->norm);
    if (cfg->task == MODEL_TASK_LM)
        return 0; /* num_classes and pooling are unused */
    if (cfg->num_classes < 2)
        return errorf(err, n, "num_classes = %d: must be >= 2", cfg->num_classes);
    if (cfg->pooling != POOLING_MEAN && cfg->pooling != POOLING_MAX)
        return errorf(err, n, "pooling = %d: must be mean or max", (int)cfg->pooling);
    if (cfg->tie_embeddings)
        return errorf(err, n, "tie_embeddings = true: only a language model (task = lm) has "
                              "an LM head to tie to the embedding");
    return 0;
}

int model_config_validate(const ModelConfig *cfg, char *err, size_t err_len)
{
    const size_t n = err_len;
    if (cfg->vocab_size < 2)
        return errorf(err, n, "vocab_size = %d: must be >= 2 (<PAD> and <UNK> come first)",
                            cfg->vocab_size);
    if (cfg->d_model < 2 || cfg->d_model % 2 != 0)
        return errorf(err, n, "d_model = %d: must be an even number >= 2", cfg->d_model);
    if (cfg->num_heads < 1 || cfg->d_model % cfg->num_heads != 0)
        return errorf(err, n, "num_heads = %d: must be >= 1 and divide d_model = %d",
                            cfg->num_heads, cfg->d_model);
    if (cfg->d_ff < 1)
        return errorf(err, n, "d_ff = %d: must be >= 1", cfg->d_ff);
    if (cfg->num_layers < 1 || cfg->num_layers > MODEL_MAX_LAYERS)
        return errorf(err, n, "num_layers = %d: must be between 1 and %d", cfg->num_layers,
                            MODEL_MAX_LAYERS);
    if (cfg->max_len < 1 || cfg->max_len > MODEL_SINUSOID_BUFFER_LEN)
        return errorf(err, n, "max_len = %d: must be between 1 and %d", cfg->max_len,
                            MODEL_SINUSOID_BUFFER_LEN);
    if (!(cfg->dropout >= 0.0f && cfg->dropout < 1.0f))
        return errorf(err, n, "dropout = %g: must be in [0, 1)", (double)cfg->dropout);
    if (!(cfg->embedding_dropout < 1.0f) || isnan(cfg->embedding_dropout))
        return errorf(err, n, "embedding_dropout = %g: must be < 1 (negative = use dropout)",
                            (double)cfg->embedding_dropout);
    if (cfg->layernorm != LAYERNORM_WORKSHOP && cfg->layernorm != LAYERNORM_STANDARD)
        return errorf(err, n, "layernorm = %d: must be workshop or standard",
                            (int)cfg->layernorm);
    if (cfg->pos_encoding != POS_ENCODING_SINUSOIDAL && cfg->pos_encoding != POS_ENCODING_LEARNED)
        return errorf(err, n, "pos_encoding = %d: must be sinusoidal or learned",
                            (int)cfg->pos_encoding);
    return validate_task(cfg, err, err_len);
}

const char *model_sinusoid_buffer_name(const ModelConfig *cfg)
{
    return cfg->task == MODEL_TASK_LM ? "decoder.pos_encoding.pe" : "encoder.pos_encoding.pe";
}

/* ------------------------------------------------------- parameter layout */

/* Two passes over the same list: the first (views NULL) only counts. */
typedef struct {
    ParamView *views;
    int n;
    size_t offset;  /* floats laid out so far */
} ViewList;

/* A view of its own storage at the current offset, or (alias_of >= 0) one that
 * shares the storage of view alias_of and takes no room. */
static void add_view(ViewList *list, const char *name, ParamRole role, int layer, int ndim,
                     int s0, int s1, int alias_of)
{
    const size_t numel = (size_t)s0 * (size_t)(ndim == 2 ? s1 : 1);
    if (list->views) {
        ParamView *v = &list->views[list->n];
        snprintf(v->name, sizeof v->name, "%s", name);
        v->ndim = ndim;
        v->shape[0] = s0;
        v->shape[1] = ndim == 2 ? s1 : 0;
        v->offset = alias_of >= 0 ? list->views[alias_of].offset : list->offset;
        v->numel = numel;
        v->role = role;
        v->layer = layer;
    }
    if (alias_of < 0)
        list->offset += numel;
    list->n++;
}

static void add_layer_views(ViewList *list, const ModelConfig *cfg, const char *prefix, int l)
{
    const int C = cfg->d_model, F = cfg->d_ff;
    const int shapes[MODEL_LAYER_TENSORS][3] = {
        {2, 3 * C, C}, {1, 3 * C, 0}, {2, C, C}, {1, C, 0}, {1, C, 0}, {1, C, 0},
        {2, F, C},     {1, F, 0},     {2, C, F}, {1, C, 0}, {1, C, 0}, {1, C, 0},
    };
    for (int j = 0; j < MODEL_LAYER_TENSORS; j++) {
        char name[MODEL_NAME_MAX];
        snprintf(name, sizeof name, "%s.layers.%d.%s", prefix, l, layer_tensor_names[j]);
        add_view(list, name, PARAM_ENCODER_LAYER, l, shapes[j][0], shapes[j][1], shapes[j][2],
                 -1);
    }
}

/* Fills views (when not NULL) in state_dict order; returns the number of views. */
static int build_views(const ModelConfig *cfg, ParamView *views, size_t *num_params)
{
    const int V = cfg->vocab_size, C = cfg->d_model, K = cfg->num_classes;
    const bool lm = cfg->task == MODEL_TASK_LM;
    const char *prefix = lm ? "decoder" : "encoder";
    char name[MODEL_NAME_MAX];
    ViewList list = {views, 0, 0};
    snprintf(name, sizeof name, "%s.embedding.weight", prefix);
    add_view(&list, name, PARAM_TOKEN_EMBEDDING, -1, 2, V, C, -1);
    if (cfg->pos_encoding == POS_ENCODING_LEARNED) /* the decoder's is an nn.Embedding */
        add_view(&list, lm ? "decoder.pos_encoding.weight" : "encoder.pos_encoding.pe",
                 PARAM_POS_EMBEDDING, -1, 2, cfg->max_len, C, -1);
    for (int l = 0; l < cfg->num_layers; l++)
        add_layer_views(&list, cfg, prefix, l);
    if (cfg->norm == NORM_PRE) {
        snprintf(name, sizeof name, "%s.norm.gamma", prefix);
        add_view(&list, name, PARAM_FINAL_NORM, -1, 1, C, 0, -1);
        snprintf(name, sizeof name, "%s.norm.beta", prefix);
        add_view(&list, name, PARAM_FINAL_NORM, -1, 1, C, 0, -1);
    }
    if (lm) {
        add_view(&list, "lm_head.weight", PARAM_LM_HEAD, -1, 2, V, C,
                 cfg->tie_embeddings ? 0 : -1);
    } else {
        add_view(&list, "classifier.0.weight", PARAM_CLASSIFIER, -1, 2, C / 2, C, -1);
        add_view(&list, "classifier.0.bias", PARAM_CLASSIFIER, -1, 1, C / 2, 0, -1);
        add_view(&list, "classifier.3.weight", PARAM_CLASSIFIER, -1, 2, K, C / 2, -1);
        add_view(&list, "classifier.3.bias", PARAM_CLASSIFIER, -1, 1, K, 0, -1);
    }
    if (num_params)
        *num_params = list.offset;
    return list.n;
}

int model_view_index(const Model *m, ParamRole role, int layer)
{
    /* build_views's order, counted */
    const ModelConfig *cfg = &m->cfg;
    const int learned_pe = cfg->pos_encoding == POS_ENCODING_LEARNED;
    const int layers_start = 1 + learned_pe;
    const int layers_end = layers_start + cfg->num_layers * MODEL_LAYER_TENSORS;
    const int head = layers_end + (cfg->norm == NORM_PRE ? 2 : 0);
    const bool lm = cfg->task == MODEL_TASK_LM;
    switch (role) {
    case PARAM_TOKEN_EMBEDDING:
        return 0;
    case PARAM_POS_EMBEDDING:
        return learned_pe ? 1 : -1;
    case PARAM_ENCODER_LAYER:
        if (layer < 0 || layer >= cfg->num_layers)
            return -1;
        return layers_start + layer * MODEL_LAYER_TENSORS;
    case PARAM_FINAL_NORM:
        return cfg->norm == NORM_PRE ? layers_end : -1;
    case PARAM_CLASSIFIER:
        return lm ? -1 : head;
    case PARAM_LM_HEAD:
        return lm ? head : -1;
    }
    return -1;
}

LayerWeights model_layer_views(const Model *m, float *base, int l)
{
    const ParamView *v = &m->views[model_view_index(m, PARAM_ENCODER_LAYER, l)];
    return (LayerWeights){
        .qkv_w = base + v[0].offset, .qkv_b = base + v[1].offset,
        .out_w = base + v[2].offset, .out_b = base + v[3].offset,
        .ln1_g = base + v[4].offset, .ln1_b = base + v[5].offset,
        .ff1_w = base + v[6].offset, .ff1_b = base + v[7].offset,
        .ff2_w = base + v[8].offset, .ff2_b = base + v[9].offset,
        .ln2_g = base + v[10].offset, .ln2_b = base + v[11].offset,
    };
}

/* base + the offset of view i (and the views after it), NULL when i < 0. */
static float *view_at(const Model *m, float *base, int i, int k)
{
    return i >= 0 ? base + m->views[i + k].offset : NULL;
}

ModelWeights model_weight_views(const Model *m, float *base)
{
    const int cls = model_view_index(m, PARAM_CLASSIFIER, -1);
    const int norm = model_view_index(m, PARAM_FINAL_NORM, -1);
    return (ModelWeights){
        .tok_emb = view_at(m, base, model_view_index(m, PARAM_TOKEN_EMBEDDING, -1), 0),
        .pos_emb = view_at(m, base, model_view_index(m, PARAM_POS_EMBEDDING, -1), 0),
        .norm_g = view_at(m, base, norm, 0), .norm_b = view_at(m, base, norm, 1),
        .cls1_w = view_at(m, base, cls, 0), .cls1_b = view_at(m, base, cls, 1),
        .cls2_w = view_at(m, base, cls, 2), .cls2_b = view_at(m, base, cls, 3),
        .lm_head = view_at(m, base, model_view_index(m, PARAM_LM_HEAD, -1), 0),
    };
}

LayerWeights model_layer_params(const Model *m, int l) { return model_layer_views(m, m->params, l); }
LayerWeights model_layer_grads(const Model *m, int l) { return model_layer_views(m, m->grads, l); }
ModelWeights model_params(const Model *m) { return model_weight_views(m, m->params); }
ModelWeights model_grads(const Model *m) { return model_weight_views(m, m->grads); }

const ParamView *model_find_view(const Model *m, const char *name)
{
    for (int i = 0; i < m->num_views; i++)
        if (strcmp(m->views[i].name, name) == 0)
            return &m->views[i];
    return NULL;
}

void positional_encoding_sinusoidal(float *out, int rows, int C)
{
    /* As the notebook, in float32: div_term = exp(2i * (-ln(10000) / C)). */
    const float k = (float)(-log(10000.0) / C);
    for (int pos = 0; pos < rows; pos++) {
        float *row = out + (size_t)pos * C;
        for (int i = 0; 2 * i < C; i++) {
            float angle = (float)pos * expf((float)(2 * i) * k);
            row[2 * i] = sinf(angle);
            if (2 * i + 1 < C)
                row[2 * i + 1] = cosf(angle);
        }
    }
}

/* ------------------------------------------------------------ lifecycle */

static void fill_uniform(float *x, size_t n, float bound, Rng *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (2.0f * rng_uniform(rng) - 1.0f) * bound;
}

/* PyTorch's default initialisation, tensor by tensor in state_dict order. A tied
 * LM head is the embedding table, initialised once as the embedding. */
static void init_params(Model *m, Rng *rng)
{
    for (int i = 0; i < m->num_views; i++) {
        const ParamView *v = &m->views[i];
        float *x = m->params + v->offset;
        const char *leaf = strrchr(v->name, '.') + 1;
        if (v->role == PARAM_LM_HEAD && m->cfg.tie_embeddings)
            continue;
        if (v->role == PARAM_TOKEN_EMBEDDING) {
            for (size_t j = 0; j < v->numel; j++)
                x[j] = rng_normal(rng);
        } else if (v->role == PARAM_POS_EMBEDDING) {
            for (size_t j = 0; j < v->numel; j++)
                x[j] = rng_normal(rng) * 0.02f;
        } else if (strcmp(leaf, "gamma") == 0) {
            for (size_t j = 0; j < v->numel; j++)
                x[j] = 1.0f;
        } else if (strcmp(leaf, "beta") == 0) {
            memset(x, 0, v->numel * sizeof(float));
        } else {
            /* Linear: weight and bias both U(-1/sqrt(in), 1/sqrt(in)); a bias takes
             * the fan-in of the weight just before it. */
            int fan_in = v->ndim == 2 ? v->shape[1] : m->views[i - 1].shape[1];
            fill_uniform(x, v->numel, 1.0f / sqrtf((float)fan_in), rng);
        }
    }
}

Model *model_create(const ModelConfig *cfg, Rng *rng, char *err, size_t err_len)
{
    if (model_config_validate(cfg, err, err_len) != 0)
        return NULL;
    Model *m = calloc(1, sizeof *m);
    if (!m)
        goto oom;
    m->cfg = *cfg;
    m->num_views = build_views(cfg, NULL, &m->num_params);
    m->views = calloc((size_t)m->num_views, sizeof *m->views);
    m->params = calloc(m->num_params, sizeof(float));
    m->grads = calloc(m->num_params, sizeof(float));
    m->sinusoid = malloc((size_t)cfg->max_len * cfg->d_model * sizeof(float));
    if (!m->views || !m->params || !m->grads || !m->sinusoid)
        goto oom;
    build_views(cfg, m->views, NULL);
    positional_encoding_sinusoidal(m->sinusoid, cfg->max_len, cfg->d_model);
    init_params(m, rng);
    return m;
oom:
    model_free(m);
    errorf(err, err_len, "out of memory creating the model (%zu parameters)",
                 model_param_budget(cfg).total);
    return NULL;
}

void model_free(Model *m)
{
    if (!m)
        return;
    free(m->params);
    free(m->grads);
    free(m->views);
    free(m->sinusoid);
    free(m);
}

void model_copy_params(Model *dst, const Model *src)
{
    if (dst->num_params == src->num_params)
        memcpy(dst->params, src->params, src->num_params * sizeof(float));
}

static void zero_chunk(void *ctx, size_t begin, size_t end)
{
    memset((float *)ctx + begin, 0, (end - begin) * sizeof(float));
}

void model_zero_grad(Model *m)
{
    /* on the threads that then write the halves in the reduction and Adam */
    parallel_for(m->num_params, 1 << 16, zero_chunk, m->grads);
}

/* ---------------------------------------------------------------- counts */

ParamBudget model_param_budget(const ModelConfig *cfg)
{
    const size_t V = (size_t)cfg->vocab_size, C = (size_t)cfg->d_model, F = (size_t)cfg->d_ff;
    const size_t K = (size_t)cfg->num_classes, H = C / 2;
    const bool lm = cfg->task == MODEL_TASK_LM;
    ParamBudget p = {0};
    p.embedding = V * C;
    p.pos_encoding = cfg->pos_encoding == POS_ENCODING_LEARNED ? (size_t)cfg->max_len * C : 0;
    p.attention = 3 * C * C + 3 * C + C * C + C;
    p.norms = 4 * C;
    p.feed_forward = F * C + F + C * F + C;
    p.per_layer = p.attention + p.norms + p.feed_forward;
    p.final_norm = cfg->norm == NORM_PRE ? 2 * C : 0;
    p.classifier = lm ? 0 : H * C + H + K * H + K;
    p.lm_head = lm && !cfg->tie_embeddings ? V * C : 0;
    p.total = p.embedding + p.pos_encoding + (size_t)cfg->num_layers * p.per_layer +
              p.final_norm + p.classifier + p.lm_head;
    return p;
}

void model_flops_per_token(const ModelConfig *cfg, int T, double *forward, double *training)
{
    /* Same counting as the reference benchmark: 2 FLOPs per multiply-add of the
     * layers' linears, q k^T and att v (2*T*C each per token and layer), the
     * classifier once per sequence or the LM head (C x V) once per token;
     * backward costs twice the forward. Embedding, softmax, LayerNorm, biases and
     * the optimizer are not counted. */
    const double C = cfg->d_model, F = cfg->d_ff, K = cfg->num_classes, L = cfg->num_layers;
    const double p_mm = L * (4.0 * C * C + 2.0 * C * F);
    const double t = T > 0 ? T : 1;
    double head;
    if (cfg->task == MODEL_TASK_LM)
        head = 2.0 * C * cfg->vocab_size;
    else
        head = 2.0 * (C * (double)(cfg->d_model / 2) + (double)(cfg->d_model / 2) * K) / t;
    const double fwd = 2.0 * p_mm + head + 4.0 * L * t * C;
    if (forward)
        *forward = fwd;
    if (training)
        *training = 3.0 * fwd;
}
