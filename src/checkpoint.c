/* Model checkpoints: safetensors with the notebook's state_dict names. The
 * container itself is safetensors.c, files.c writes atomically, the optimizer
 * sidecar is checkpoint_optim.c; this file decides what goes in a model file and
 * checks what comes out. */
#include "checkpoint.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "checkpoint_meta.h"
#include "errors.h"
#include "safetensors.h"
#include "spelling.h"

/* The file's sinusoid rows that the model uses must equal ours this closely
 * (both are float32 sin/cos of the same float32 angle; libm may differ by an ulp). */
#define PE_TOLERANCE 1e-4f

static char *json_string_array(const char *const *items, int n)
{
    cJSON *array = cJSON_CreateArray();
    bool ok = array != NULL;
    for (int i = 0; ok && i < n; i++)
        ok = cJSON_AddItemToArray(array, cJSON_CreateString(items[i]));
    char *text = ok ? cJSON_PrintUnformatted(array) : NULL;
    cJSON_Delete(array);
    return text;
}

/* ------------------------------------------------------------ the config object */

/* What "config" describes: the model and the tokenizer it was trained with. */
typedef struct {
    ModelConfig model;
    TokenizerConfig tokenizer;
} SavedConfig;

_Static_assert(sizeof(LayerNormKind) == sizeof(int) && sizeof(PosEncodingKind) == sizeof(int) &&
               sizeof(PoolingKind) == sizeof(int) && sizeof(TokenizerKind) == sizeof(int) &&
               sizeof(ModelTask) == sizeof(int) && sizeof(NormPlacement) == sizeof(int) &&
               sizeof(OptimKind) == sizeof(int), "J_ENUM fields are stored through an int");

#define SAVED(field) offsetof(SavedConfig, field)
/* In file order (same model, same bytes). */
static const JsonKey CONFIG_KEYS[] = {
    {"vocab_size", J_INT, SAVED(model.vocab_size), NULL, false, false, NULL, NULL},
    {"d_model", J_INT, SAVED(model.d_model), NULL, false, false, "model", "d_model"},
    {"num_heads", J_INT, SAVED(model.num_heads), NULL, false, false, "model", "num_heads"},
    {"d_ff", J_INT, SAVED(model.d_ff), NULL, false, false, "model", "d_ff"},
    {"num_layers", J_INT, SAVED(model.num_layers), NULL, false, false, "model", "num_layers"},
    {"num_classes", J_INT, SAVED(model.num_classes), NULL, false, false, NULL, NULL},
    {"max_len", J_INT, SAVED(model.max_len), NULL, false, false, "model", "max_len"},
    {"layernorm", J_ENUM, SAVED(model.layernorm), &LAYERNORM_NAMES, false, false, "model", "layernorm"},
    {"pos_encoding", J_ENUM, SAVED(model.pos_encoding), &POS_ENCODING_NAMES, false, false, "model",
     "pos_encoding"},
    {"pad_mask", J_BOOL, SAVED(model.pad_mask), NULL, false, false, "model", "pad_mask"},
    {"causal", J_BOOL, SAVED(model.causal), NULL, false, false, "model", "causal"},
    {"tokenizer", J_ENUM, SAVED(tokenizer.kind), &TOKENIZER_NAMES, false, false, "data", "tokenizer"},
    {"lowercase", J_BOOL, SAVED(tokenizer.lowercase), NULL, false, false, "data", "lowercase"},
    /* Optional on load: files from before these options hold the notebook's values. */
    {"dropout", J_FLOAT, SAVED(model.dropout), NULL, true, false, "model", "dropout"},
    {"embedding_dropout", J_FLOAT, SAVED(model.embedding_dropout), NULL, true, false, "model",
     "embedding_dropout"},
    /* Written only when not the notebook's mean, so that default checkpoints keep
     * their exact metadata. */
    {"pooling", J_ENUM, SAVED(model.pooling), &POOLING_NAMES, true, true, "model", "pooling"},
    /* The language model's keys: written for a language model (every key then), and
     * for a classifier only when not the notebook's value. */
    {"task", J_ENUM, SAVED(model.task), &TASK_NAMES, true, true, "model", "task"},
    {"norm", J_ENUM, SAVED(model.norm), &NORM_NAMES, true, true, "model", "norm"},
    {"tie_embeddings", J_BOOL, SAVED(model.tie_embeddings), NULL, true, true, "model",
     "tie_embeddings"},
};
#undef SAVED

static char *config_json(const ModelConfig *c, const TokenizerConfig *tc, char *err,
                         size_t err_len)
{
    const SavedConfig saved = {*c, *tc};
    return json_write_object(CONFIG_KEYS, COUNT(CONFIG_KEYS), &saved, c->task == MODEL_TASK_LM,
                             "config", err, err_len);
}

static int parse_config(const char *text, ModelConfig *c, TokenizerConfig *tc, const char *file,
                        char *err, size_t err_len)
{
    cJSON *o = cJSON_Parse(text);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return errorf(err, err_len, "%s: __metadata__ key 'config' is not a JSON object", file);
    }
    SavedConfig saved = {model_config_default(), {TOKENIZER_WHITESPACE, false}};
    int rc = json_check_known(o, CONFIG_KEYS, COUNT(CONFIG_KEYS), file, "config", err, err_len);
    if (rc == 0)
        rc = json_read_object(o, CONFIG_KEYS, COUNT(CONFIG_KEYS), &saved, file, "config", err,
                              err_len);
    cJSON_Delete(o);
    if (rc != 0)
        return rc;
    rc = json_check_ini_ranges(CONFIG_KEYS, COUNT(CONFIG_KEYS), &saved, file, "config", err,
                               err_len);
    if (rc != 0)
        return rc;
    *c = saved.model;
    *tc = saved.tokenizer;
    char why[256];
    if (model_config_validate(c, why, sizeof why) != 0)
        return errorf(err, err_len, "%s: config: %s", file, why);
    return 0;
}

/* A JSON array of exactly n strings; *out (n) malloc'ed copies. */
static int parse_string_array(const char *text, const char *key, int n, char ***out,
                              const char *file, char *err, size_t err_len)
{
    *out = NULL;
    cJSON *array = cJSON_Parse(text);
    if (!cJSON_IsArray(array)) {
        cJSON_Delete(array);
        return errorf(err, err_len, "%s: __metadata__ key '%s' is not a JSON array of strings", file,
                    key);
    }
    int count = cJSON_GetArraySize(array);
    if (count != n) {
        cJSON_Delete(array);
        return errorf(err, err_len, "%s: __metadata__ key '%s' has %d entries, the config says %d",
                    file, key, count, n);
    }
    char **items = calloc((size_t)(n > 0 ? n : 1), sizeof *items);
    int rc = items ? 0 : errorf(err, err_len, "%s: out of memory", file);
    int i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, array) { /* not cJSON_GetArrayItem: that walks the list each time */
        if (rc != 0)
            break;
        if (!cJSON_IsString(item))
            rc = errorf(err, err_len, "%s: __metadata__ key '%s': entry %d is not a string", file,
                      key, i);
        else if (!(items[i] = strdup(item->valuestring)))
            rc = errorf(err, err_len, "%s: out of memory", file);
        i++;
    }
    cJSON_Delete(array);
    if (rc != 0) {
        for (int j = 0; items && j < n; j++)
            free(items[j]);
        free(items);
        return rc;
    }
    *out = items;
    return 0;
}

/* ------------------------------------------------ training info ("training") */

CheckpointInfo checkpoint_info_none(void)
{
    CheckpointInfo info;
    memset(&info, 0, sizeof info);
    info.step = info.total_steps = info.val_step = -1;
    info.val_loss = NAN;
    return info;
}

/* The "training" object of info (cJSON_free), or NULL when out of memory. */
static char *training_json(const CheckpointInfo *info)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL;
    if (ok && info->step >= 0)
        ok = cJSON_AddNumberToObject(o, "step", (double)info->step) != NULL;
    if (ok && info->total_steps >= 0)
        ok = cJSON_AddNumberToObject(o, "total_steps", (double)info->total_steps) != NULL;
    if (ok && info->val_step >= 0 && isfinite(info->val_acc)) {
        ok = cJSON_AddNumberToObject(o, "val_step", (double)info->val_step) &&
             cJSON_AddNumberToObject(o, "val_accuracy", float_for_json(info->val_acc));
        if (ok && isfinite(info->val_loss))
            ok = cJSON_AddNumberToObject(o, "val_loss", float_for_json(info->val_loss)) != NULL;
    }
    size_t data_len = strnlen(info->data, sizeof info->data);
    if (ok && data_len > 0 && data_len < sizeof info->data && utf8_valid(info->data, data_len))
        ok = cJSON_AddStringToObject(o, "data", info->data) != NULL;
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}

/* A whole number in [0, 2^53) of the "training" object into *out; absent keeps *out. */
static int training_count(const cJSON *o, const char *key, long *out, const char *file, char *err,
                          size_t err_len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!item)
        return 0;
    double d = cJSON_IsNumber(item) ? item->valuedouble : NAN;
    if (!(d >= 0.0 && d < 9007199254740992.0) || d != floor(d))
        return errorf(err, err_len, "%s: training: key '%s' must be a non-negative integer", file, key);
    *out = (long)d;
    return 0;
}

/* A finite number in [lo, hi] of the "training" object into *out; absent keeps *out. */
static int training_number(const cJSON *o, const char *key, double lo, double hi, float *out,
                           const char *file, char *err, size_t err_len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!item)
        return 0;
    double d = cJSON_IsNumber(item) ? item->valuedouble : NAN;
    if (!(d >= lo && d <= hi))
        return errorf(err, err_len, "%s: training: key '%s' must be a number in [%g, %g]", file, key,
                      lo, hi);
    *out = (float)d;
    return 0;
}

/* __metadata__ "training" (text may be NULL: none) into *info. */
static int parse_training(const char *text, CheckpointInfo *info, const char *file, char *err,
                          size_t err_len)
{
    *info = checkpoint_info_none();
    if (!text)
        return 0;
    cJSON *o = cJSON_Parse(text);
    int rc = cJSON_IsObject(o) ? 0
             : errorf(err, err_len, "%s: __metadata__ key 'training' is not a JSON object", file);
    float acc = NAN;
    if (rc == 0)
        rc = training_count(o, "step", &info->step, file, err, err_len);
    if (rc == 0)
        rc = training_count(o, "total_steps", &info->total_steps, file, err, err_len);
    if (rc == 0)
        rc = training_count(o, "val_step", &info->val_step, file, err, err_len);
    if (rc == 0)
        rc = training_number(o, "val_accuracy", 0.0, 1.0, &acc, file, err, err_len);
    if (rc == 0)
        rc = training_number(o, "val_loss", 0.0, 1e30, &info->val_loss, file, err, err_len);
    const cJSON *data = rc == 0 ? cJSON_GetObjectItemCaseSensitive(o, "data") : NULL;
    if (data && !cJSON_IsString(data))
        rc = errorf(err, err_len, "%s: training: key 'data' must be a string", file);
    else if (data && strlen(data->valuestring) >= sizeof info->data) /* never cut inside a character */
        rc = errorf(err, err_len, "%s: training: key 'data' is longer than %zu bytes", file,
                    sizeof info->data - 1);
    else if (data)
        snprintf(info->data, sizeof info->data, "%s", data->valuestring);
    cJSON_Delete(o);
    if (rc == 0 && (info->val_step >= 0) != isfinite(acc))
        rc = errorf(err, err_len, "%s: training: 'val_step' and 'val_accuracy' go together", file);
    /* What is saved is what loads: the loss is written only with its validation pass. */
    if (rc == 0 && info->val_step < 0 && !isnan(info->val_loss))
        rc = errorf(err, err_len, "%s: training: 'val_loss' goes with 'val_step' and "
                    "'val_accuracy'", file);
    info->val_acc = isfinite(acc) ? acc : 0.0f;
    if (rc != 0)
        *info = checkpoint_info_none();
    return rc;
}

/* ------------------------------------------------------------ checkpoints */

/* The tensors a model with this config carries, in state_dict order. For the
 * sinusoidal encoding that includes the notebook's fixed [5000, C] buffer
 * (`sinusoid_buffer`, which the caller computes) after the embedding. */
static int expected_tensors(const Model *m, const float *sinusoid_buffer, SafeTensorF32 *out)
{
    int n = 0;
    for (int i = 0; i < m->num_views; i++) {
        const ParamView *v = &m->views[i];
        out[n++] = (SafeTensorF32){
            .name = v->name, .ndim = v->ndim,
            .shape = {v->shape[0], v->ndim == 2 ? v->shape[1] : 0},
            .data = m->params + v->offset,
        };
        if (m->cfg.pos_encoding == POS_ENCODING_SINUSOIDAL && v->role == PARAM_TOKEN_EMBEDDING)
            out[n++] = (SafeTensorF32){
                .name = model_sinusoid_buffer_name(&m->cfg), .ndim = 2,
                .shape = {MODEL_SINUSOID_BUFFER_LEN, m->cfg.d_model},
                .data = sinusoid_buffer,
            };
    }
    return n;
}

static float *sinusoid_buffer_create(int C)
{
    float *pe = malloc((size_t)MODEL_SINUSOID_BUFFER_LEN * (size_t)C * sizeof(float));
    if (pe)
        positional_encoding_sinusoidal(pe, MODEL_SINUSOID_BUFFER_LEN, C);
    return pe;
}

/* Sizes agree, every string is UTF-8 (readers, PyTorch's json and the safetensors
 * library, refuse a header that is not), and nothing is written that loading
 * would refuse: a non-finite weight, a config value outside the INI's ranges. */
static int check_saveable(const char *path, const Model *m, const TokenizerConfig *tc,
                          const Vocab *v, const char *const *labels, int num_labels, char *err,
                          size_t err_len)
{
    const SavedConfig saved = {m->cfg, *tc};
    if (json_check_ini_ranges(CONFIG_KEYS, COUNT(CONFIG_KEYS), &saved, path, "config", err,
                              err_len) != 0)
        return -1;
    for (int i = 0; i < m->num_views; i++)
        if (values_check(m->params + m->views[i].offset, m->views[i].numel, false, path,
                         m->views[i].name, NOT_SAVED, err, err_len) != 0)
            return -1;
    if (vocab_size(v) != m->cfg.vocab_size)
        return errorf(err, err_len, "%s: vocabulary has %d tokens but the model's vocab_size is %d",
                      path, vocab_size(v), m->cfg.vocab_size);
    if (num_labels != m->cfg.num_classes)
        return errorf(err, err_len, "%s: %d labels but the model has %d classes", path, num_labels,
                      m->cfg.num_classes);
    for (int i = 0; i < m->cfg.vocab_size; i++) {
        const char *token = vocab_token(v, i);
        if (!utf8_valid(token, strlen(token)))
            return errorf(err, err_len, "%s: vocabulary token %d is not valid UTF-8", path, i);
    }
    for (int i = 0; i < num_labels; i++)
        if (!utf8_valid(labels[i], strlen(labels[i])))
            return errorf(err, err_len, "%s: label %d is not valid UTF-8", path, i);
    return 0;
}

int checkpoint_serialize(const char *path, const Model *m, const TokenizerConfig *tc,
                         const Vocab *v, const char *const *labels, int num_labels,
                         const CheckpointInfo *info, unsigned char **bytes_out, size_t *len_out,
                         char *err, size_t err_len)
{
    *bytes_out = NULL;
    *len_out = 0;
    if (check_saveable(path, m, tc, v, labels, num_labels, err, err_len) != 0)
        return -1;
    char why[256] = "";
    char *config = config_json(&m->cfg, tc, why, sizeof why);
    if (!config)
        return errorf(err, err_len, "%s: %s", path, why);
    int rc = -1;
    const char **tokens = malloc(sizeof *tokens * (size_t)m->cfg.vocab_size);
    SafeTensorF32 *tensors = malloc(sizeof *tensors * (size_t)(m->num_views + 1));
    float *pe = m->cfg.pos_encoding == POS_ENCODING_SINUSOIDAL
                    ? sinusoid_buffer_create(m->cfg.d_model) : NULL;
    char *vocab_text = NULL, *labels_text = NULL, *training_text = NULL;
    unsigned char *bytes = NULL;
    size_t len = 0;
    if (tokens) {
        for (int i = 0; i < m->cfg.vocab_size; i++)
            tokens[i] = vocab_token(v, i);
        vocab_text = json_string_array(tokens, m->cfg.vocab_size);
    }
    labels_text = json_string_array(labels, num_labels);
    if (info)
        training_text = training_json(info);
    if (!tokens || !tensors || !vocab_text || !labels_text || (info && !training_text) ||
        (m->cfg.pos_encoding == POS_ENCODING_SINUSOIDAL && !pe)) {
        errorf(err, err_len, "%s: out of memory preparing the checkpoint", path);
        goto done;
    }
    int n = expected_tensors(m, pe, tensors);
    const SafeMetadata meta[] = {
        {"format", CHECKPOINT_FORMAT},
        {"config", config},
        {"vocab", vocab_text},
        {"labels", labels_text},
        {"training", training_text}, /* last: left out without info */
    };
    int num_meta = info ? 5 : 4;
    if (safetensors_serialize_f32(&bytes, &len, tensors, n, meta, num_meta, why, sizeof why) != 0) {
        errorf(err, err_len, "%s: %s", path, why);
        goto done;
    }
    *bytes_out = bytes;
    *len_out = len;
    bytes = NULL;
    rc = 0;
done:
    free(bytes);
    cJSON_free(training_text);
    cJSON_free(labels_text);
    cJSON_free(vocab_text);
    cJSON_free(config);
    free(pe);
    free(tensors);
    free(tokens);
    return rc;
}

int checkpoint_save(const char *path, const Model *m, const TokenizerConfig *tc,
                    const Vocab *v, const char *const *labels, int num_labels,
                    char *err, size_t err_len)
{
    return checkpoint_save_info(path, m, tc, v, labels, num_labels, NULL, err, err_len);
}

int checkpoint_save_info(const char *path, const Model *m, const TokenizerConfig *tc,
                         const Vocab *v, const char *const *labels, int num_labels,
                         const CheckpointInfo *info, char *err, size_t err_len)
{
    unsigned char *bytes;
    size_t len;
    if (checkpoint_serialize(path, m, tc, v, labels, num_labels, info, &bytes, &len, err,
                             err_len) != 0)
        return -1;
    int rc = atomic_write_file(path, bytes, len, err, err_len);
    free(bytes);
    return rc;
}

/* Whether expected[i] shares its floats with an earlier tensor (a tied lm_head.weight
 * is the embedding table). */
static bool aliased(const SafeTensorF32 *expected, int i)
{
    for (int j = 0; j < i; j++)
        if (expected[j].data == expected[i].data)
            return true;
    return false;
}

/* A tied tensor's values in the file must be the ones already loaded under the
 * first name (PyTorch's state_dict of a tied model holds the same table twice). */
static int check_tied(const SafeTensorF32 *e, const SafeTensorF32 *expected, int i,
                      const SafeTensor *t, const char *file, char *err, size_t err_len)
{
    const char *first = e->name;
    for (int j = 0; j < i; j++)
        if (expected[j].data == e->data) {
            first = expected[j].name;
            break;
        }
    float *values = malloc(t->numel * sizeof(float));
    if (!values)
        return errorf(err, err_len, "%s: out of memory", file);
    safetensors_copy_f32(values, t);
    size_t differ = t->numel;
    for (size_t k = 0; k < t->numel && differ == t->numel; k++)
        if (memcmp(&values[k], &e->data[k], sizeof(float)) != 0)
            differ = k;
    free(values);
    if (differ == t->numel)
        return 0;
    return errorf(err, err_len, "%s: tensor '%s' differs from '%s' at index %zu, but the config "
                  "ties them (tie_embeddings)", file, e->name, first, differ);
}

/* Every expected tensor present with its shape, none unexpected; copies the values. */
static int load_tensors(Model *m, const SafeTensors *st, const char *file, char *err,
                        size_t err_len)
{
    SafeTensorF32 *expected = malloc(sizeof *expected * (size_t)(m->num_views + 1));
    float *pe = m->cfg.pos_encoding == POS_ENCODING_SINUSOIDAL
                    ? sinusoid_buffer_create(m->cfg.d_model) : NULL;
    if (!expected || (m->cfg.pos_encoding == POS_ENCODING_SINUSOIDAL && !pe)) {
        free(expected);
        free(pe);
        return errorf(err, err_len, "%s: out of memory", file);
    }
    int n = expected_tensors(m, pe, expected);
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        const SafeTensorF32 *e = &expected[i];
        const SafeTensor *t = safetensors_find(st, e->name);
        char want[128], got[128];
        safetensors_format_shape(want, sizeof want, e->ndim, e->shape);
        if (!t) {
            rc = errorf(err, err_len, "%s: missing tensor '%s' (shape %s for this config)", file,
                      e->name, want);
            break;
        }
        bool same = t->ndim == e->ndim;
        for (int d = 0; same && d < e->ndim; d++)
            same = t->shape[d] == e->shape[d];
        if (!same) {
            safetensors_format_shape(got, sizeof got, t->ndim, t->shape);
            rc = errorf(err, err_len, "%s: tensor '%s' has shape %s, the config needs %s", file,
                      e->name, got, want);
            break;
        }
        if (e->data == pe) {
            /* The notebook's fixed buffer: nothing to load, but the rows the model
             * uses must be the sinusoid, or this file came from another model. */
            float *file_pe = malloc(t->numel * sizeof(float));
            if (!file_pe) {
                rc = errorf(err, err_len, "%s: out of memory", file);
                break;
            }
            safetensors_copy_f32(file_pe, t);
            size_t used = (size_t)m->cfg.max_len * (size_t)m->cfg.d_model;
            for (size_t j = 0; j < used; j++) {
                if (!(fabsf(file_pe[j] - pe[j]) <= PE_TOLERANCE)) {
                    rc = errorf(err, err_len,
                              "%s: tensor '%s' row %zu column %zu is %g, not the sinusoid %g",
                              file, e->name, j / (size_t)m->cfg.d_model,
                              j % (size_t)m->cfg.d_model, (double)file_pe[j], (double)pe[j]);
                    break;
                }
            }
            free(file_pe);
        } else if (aliased(expected, i)) {
            rc = check_tied(e, expected, i, t, file, err, err_len);
        } else {
            safetensors_copy_f32((float *)e->data, t);
            rc = values_check(e->data, t->numel, false, file, e->name, "", err, err_len);
        }
    }
    for (int i = 0; rc == 0 && i < st->num_tensors; i++) {
        bool known = false;
        for (int j = 0; !known && j < n; j++)
            known = strcmp(st->tensors[i].name, expected[j].name) == 0;
        if (!known)
            rc = errorf(err, err_len,
                      "%s: unexpected tensor '%s' (not part of a model with this config)", file,
                      st->tensors[i].name);
    }
    free(expected);
    free(pe);
    return rc;
}

/* Floats that any file for this config must hold (the big tensors only), in
 * doubles so that an absurd config cannot overflow. Checked before allocating
 * the model, so that a forged config cannot make us allocate terabytes. */
static double tensor_floats_lower_bound(const ModelConfig *c)
{
    double C = c->d_model, F = c->d_ff;
    double pe = c->pos_encoding == POS_ENCODING_LEARNED ? (double)c->max_len * C
                                                        : (double)MODEL_SINUSOID_BUFFER_LEN * C;
    return (double)c->vocab_size * C + pe + (double)c->num_layers * (4.0 * C * C + 2.0 * F * C);
}

static const char *required_metadata(const SafeTensors *st, const char *key, const char *file,
                                     char *err, size_t err_len)
{
    const char *value = safetensors_metadata(st, key);
    if (!value)
        errorf(err, err_len, "%s: __metadata__ has no '%s' key (a %s checkpoint carries format, "
             "config, vocab and labels)", file, key, CHECKPOINT_FORMAT);
    return value;
}

int checkpoint_load_memory(const char *path, const unsigned char *bytes, size_t len,
                           Checkpoint *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    SafeTensors st;
    if (safetensors_parse(&st, bytes, len, path, "F32", err, err_len) != 0)
        return -1;
    int rc = -1;
    char **vocab_tokens = NULL;
    ModelConfig cfg = {0};
    if (safetensors_metadata_count(&st) == 0) {
        errorf(err, err_len, "%s: no __metadata__ (a %s checkpoint carries format, config, vocab "
             "and labels)", path, CHECKPOINT_FORMAT);
        goto done;
    }
    const char *format = required_metadata(&st, "format", path, err, err_len);
    if (!format)
        goto done;
    if (strcmp(format, CHECKPOINT_FORMAT) != 0) {
        errorf(err, err_len, "%s: __metadata__ 'format' is \"%s\"; this program reads \"%s\"", path,
             format, CHECKPOINT_FORMAT);
        goto done;
    }
    const char *config = required_metadata(&st, "config", path, err, err_len);
    if (!config || parse_config(config, &cfg, &out->tokenizer, path, err, err_len) != 0)
        goto done;
    const char *vocab_text = required_metadata(&st, "vocab", path, err, err_len);
    if (!vocab_text ||
        parse_string_array(vocab_text, "vocab", cfg.vocab_size, &vocab_tokens, path, err,
                           err_len) != 0)
        goto done;
    const char *labels_text = required_metadata(&st, "labels", path, err, err_len);
    if (!labels_text ||
        parse_string_array(labels_text, "labels", cfg.num_classes, &out->labels, path, err,
                           err_len) != 0)
        goto done;
    out->num_labels = cfg.num_classes;
    if (parse_training(safetensors_metadata(&st, "training"), &out->info, path, err, err_len) != 0)
        goto done;
    char why[256] = "";
    out->vocab = vocab_from_list((const char *const *)vocab_tokens, cfg.vocab_size, why,
                                 sizeof why);
    if (!out->vocab) {
        errorf(err, err_len, "%s: __metadata__ 'vocab': %s", path, why);
        goto done;
    }
    if (tensor_floats_lower_bound(&cfg) > (double)st.data_len / sizeof(float)) {
        errorf(err, err_len,
             "%s: config (vocab_size %d, d_model %d, d_ff %d, num_layers %d) needs more "
             "tensor data than the file's %zu bytes: the config does not match the tensors",
             path, cfg.vocab_size, cfg.d_model, cfg.d_ff, cfg.num_layers, st.data_len);
        goto done;
    }
    Rng rng; /* the values are overwritten by the file's */
    rng_seed(&rng, 0);
    out->model = model_create(&cfg, &rng, why, sizeof why);
    if (!out->model) {
        errorf(err, err_len, "%s: %s", path, why);
        goto done;
    }
    rc = load_tensors(out->model, &st, path, err, err_len);
    out->file_hash = checkpoint_hash(bytes, len);
done:
    for (int i = 0; vocab_tokens && i < cfg.vocab_size; i++)
        free(vocab_tokens[i]);
    free(vocab_tokens);
    safetensors_free(&st);
    if (rc != 0)
        checkpoint_free(out);
    return rc;
}

int checkpoint_load(const char *path, Checkpoint *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    char *bytes;
    size_t len;
    if (file_read_all(path, SIZE_MAX, &bytes, &len, err, err_len) != 0)
        return -1;
    int rc = checkpoint_load_memory(path, (const unsigned char *)bytes, len, out, err, err_len);
    free(bytes);
    return rc;
}

void checkpoint_free(Checkpoint *c)
{
    if (!c)
        return;
    model_free(c->model);
    vocab_free(c->vocab);
    for (int i = 0; c->labels && i < c->num_labels; i++)
        free(c->labels[i]);
    free(c->labels);
    memset(c, 0, sizeof *c);
}
