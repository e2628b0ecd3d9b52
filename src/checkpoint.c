/* Checkpoints as safetensors with the notebook's state_dict names, and the optimizer
 * sidecar. The container itself is safetensors.c and files.c writes atomically;
 * this file decides what goes in it and checks what comes out. */
#include "checkpoint.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "errors.h"
#include "safetensors.h"
#include "spelling.h"

/* The file's sinusoid rows that the model uses must equal ours this closely
 * (both are float32 sin/cos of the same float32 angle; libm may differ by an ulp). */
#define PE_TOLERANCE 1e-4f

/* ------------------------------------------------------------ JSON helpers */

/* The shortest decimal that reads back as the same float (spelling.h), so that
 * the JSON says 0.1 rather than 0.10000000149011612. */
static double float_for_json(float f)
{
    if (!isfinite(f))
        return 0.0;
    char text[32];
    float_to_text(f, text, sizeof text);
    return strtod(text, NULL);
}

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

/* ------------------------------------------------ metadata objects as tables */

/* One key of a JSON object of the metadata ("config", "optimizer"): its type,
 * where it lives in the C struct the table describes, and whether files may lack
 * it. One table per object drives writing, reading, and the list of allowed keys. */
typedef enum { J_INT, J_BOOL, J_FLOAT, J_ENUM } JsonType;

typedef struct {
    const char *name;
    JsonType type;
    size_t offset;           /* into the struct */
    const EnumNames *names;  /* J_ENUM: spelling.h's table (the field is an int-sized enum) */
    bool optional;           /* on load: absent keeps the struct's value */
    bool omit_default;       /* on save: J_ENUM not written when it is value 0, J_BOOL when
                              * false (unless the caller writes every key) */
} JsonKey;

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
    {"vocab_size", J_INT, SAVED(model.vocab_size), NULL, false, false},
    {"d_model", J_INT, SAVED(model.d_model), NULL, false, false},
    {"num_heads", J_INT, SAVED(model.num_heads), NULL, false, false},
    {"d_ff", J_INT, SAVED(model.d_ff), NULL, false, false},
    {"num_layers", J_INT, SAVED(model.num_layers), NULL, false, false},
    {"num_classes", J_INT, SAVED(model.num_classes), NULL, false, false},
    {"max_len", J_INT, SAVED(model.max_len), NULL, false, false},
    {"layernorm", J_ENUM, SAVED(model.layernorm), &LAYERNORM_NAMES, false, false},
    {"pos_encoding", J_ENUM, SAVED(model.pos_encoding), &POS_ENCODING_NAMES, false, false},
    {"pad_mask", J_BOOL, SAVED(model.pad_mask), NULL, false, false},
    {"causal", J_BOOL, SAVED(model.causal), NULL, false, false},
    {"tokenizer", J_ENUM, SAVED(tokenizer.kind), &TOKENIZER_NAMES, false, false},
    {"lowercase", J_BOOL, SAVED(tokenizer.lowercase), NULL, false, false},
    /* Optional on load: files from before these options hold the notebook's values. */
    {"dropout", J_FLOAT, SAVED(model.dropout), NULL, true, false},
    {"embedding_dropout", J_FLOAT, SAVED(model.embedding_dropout), NULL, true, false},
    /* Written only when not the notebook's mean, so that default checkpoints keep
     * their exact metadata. */
    {"pooling", J_ENUM, SAVED(model.pooling), &POOLING_NAMES, true, true},
    /* The language model's keys: written for a language model (every key then), and
     * for a classifier only when not the notebook's value. */
    {"task", J_ENUM, SAVED(model.task), &TASK_NAMES, true, true},
    {"norm", J_ENUM, SAVED(model.norm), &NORM_NAMES, true, true},
    {"tie_embeddings", J_BOOL, SAVED(model.tie_embeddings), NULL, true, true},
};
#undef SAVED

#define OPTIM(field) offsetof(OptimConfig, field)
static const JsonKey OPTIM_KEYS[] = {
    {"kind", J_ENUM, OPTIM(kind), &OPTIMIZER_NAMES, false, false},
    {"lr", J_FLOAT, OPTIM(lr), NULL, false, false},
    {"beta1", J_FLOAT, OPTIM(beta1), NULL, false, false},
    {"beta2", J_FLOAT, OPTIM(beta2), NULL, false, false},
    {"eps", J_FLOAT, OPTIM(eps), NULL, false, false},
    {"weight_decay", J_FLOAT, OPTIM(weight_decay), NULL, false, false},
    {"clip_norm", J_FLOAT, OPTIM(clip_norm), NULL, false, false},
};
#undef OPTIM

#define COUNT(table) ((int)(sizeof table / sizeof table[0]))

/* The struct at base as an unformatted JSON object (malloc'ed, cJSON_free), or NULL
 * with err (which names `what` and the key) when an enum value has no name or
 * memory runs out. every_key: omit_default keys are written too. */
static char *json_write_object(const JsonKey *keys, int n, const void *base, bool every_key,
                               const char *what, char *err, size_t err_len)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL;
    for (int i = 0; ok && i < n; i++) {
        const JsonKey *k = &keys[i];
        const char *field = (const char *)base + k->offset;
        int iv;
        float fv;
        switch (k->type) {
        case J_INT:
            memcpy(&iv, field, sizeof iv);
            ok = cJSON_AddNumberToObject(o, k->name, iv) != NULL;
            break;
        case J_BOOL:
            if (k->omit_default && !every_key && !*(const bool *)field)
                break;
            ok = cJSON_AddBoolToObject(o, k->name, *(const bool *)field) != NULL;
            break;
        case J_FLOAT:
            memcpy(&fv, field, sizeof fv);
            ok = cJSON_AddNumberToObject(o, k->name, float_for_json(fv)) != NULL;
            break;
        case J_ENUM:
            memcpy(&iv, field, sizeof iv);
            if (k->omit_default && !every_key && iv == 0)
                break;
            if (!enum_name(k->names, iv)) {
                cJSON_Delete(o);
                errorf(err, err_len, "%s: key '%s': %d is not a value (allowed: %s)", what, k->name,
                       iv, k->names->allowed);
                return NULL;
            }
            ok = cJSON_AddStringToObject(o, k->name, enum_name(k->names, iv)) != NULL;
            break;
        }
    }
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!text)
        errorf(err, err_len, "%s: out of memory", what);
    return text;
}

/* Reads one key into field; messages name the file, the object (`section`) and the key. */
static int json_read_key(const cJSON *item, const JsonKey *k, char *field, const char *file,
                         const char *section, char *err, size_t err_len)
{
    switch (k->type) {
    case J_INT: {
        double d = cJSON_IsNumber(item) ? item->valuedouble : NAN;
        if (!(d >= 0.0 && d <= 2147483647.0) || d != floor(d))
            return errorf(err, err_len, "%s: %s: key '%s' must be a non-negative integer", file,
                          section, k->name);
        int v = (int)d;
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case J_BOOL:
        if (!cJSON_IsBool(item))
            return errorf(err, err_len, "%s: %s: key '%s' must be true or false", file, section,
                          k->name);
        *(bool *)field = cJSON_IsTrue(item);
        return 0;
    case J_FLOAT: {
        if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble))
            return errorf(err, err_len, "%s: %s: key '%s' must be a number", file, section, k->name);
        float v = (float)item->valuedouble;
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case J_ENUM: {
        int v = cJSON_IsString(item) ? enum_value(k->names, item->valuestring) : -1;
        if (v < 0) {
            char choices[128];
            enum_quoted_choices(k->names, choices, sizeof choices);
            return errorf(err, err_len, "%s: %s: key '%s' must be %s", file, section, k->name,
                          choices);
        }
        memcpy(field, &v, sizeof v);
        return 0;
    }
    }
    return errorf(err, err_len, "%s: %s: internal error: bad key type", file, section);
}

/* Reads the table's keys of object o into the struct at base, in table order;
 * the first problem is reported. */
static int json_read_object(const cJSON *o, const JsonKey *keys, int n, void *base,
                            const char *file, const char *section, char *err, size_t err_len)
{
    for (int i = 0; i < n; i++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, keys[i].name);
        if (!item && keys[i].optional)
            continue;
        if (!item)
            return errorf(err, err_len, "%s: %s: missing key '%s'", file, section, keys[i].name);
        if (json_read_key(item, &keys[i], (char *)base + keys[i].offset, file, section, err,
                          err_len) != 0)
            return -1;
    }
    return 0;
}

/* Every key of o is one of the table's. */
static int json_check_known(const cJSON *o, const JsonKey *keys, int n, const char *file,
                            const char *section, char *err, size_t err_len)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, o) {
        bool known = false;
        for (int i = 0; i < n && !known; i++)
            known = strcmp(item->string, keys[i].name) == 0;
        if (known)
            continue;
        char allowed[512] = "";
        for (int i = 0; i < n; i++) {
            size_t used = strlen(allowed);
            snprintf(allowed + used, sizeof allowed - used, "%s%s", i ? ", " : "", keys[i].name);
        }
        return errorf(err, err_len, "%s: %s: unknown key '%s' (allowed: %s)", file, section,
                      item->string, allowed);
    }
    return 0;
}

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

/* Sizes agree, and every string is UTF-8: readers (PyTorch's json, the
 * safetensors library) refuse a header that is not. */
static int check_saveable(const char *path, const Model *m, const Vocab *v,
                          const char *const *labels, int num_labels, char *err, size_t err_len)
{
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

int checkpoint_save(const char *path, const Model *m, const TokenizerConfig *tc,
                    const Vocab *v, const char *const *labels, int num_labels,
                    char *err, size_t err_len)
{
    if (check_saveable(path, m, v, labels, num_labels, err, err_len) != 0)
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
    char *vocab_text = NULL, *labels_text = NULL;
    unsigned char *bytes = NULL;
    size_t len = 0;
    if (tokens) {
        for (int i = 0; i < m->cfg.vocab_size; i++)
            tokens[i] = vocab_token(v, i);
        vocab_text = json_string_array(tokens, m->cfg.vocab_size);
    }
    labels_text = json_string_array(labels, num_labels);
    if (!tokens || !tensors || !vocab_text || !labels_text ||
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
    };
    if (safetensors_serialize_f32(&bytes, &len, tensors, n, meta, 4, why, sizeof why) != 0) {
        errorf(err, err_len, "%s: %s", path, why);
        goto done;
    }
    rc = atomic_write_file(path, bytes, len, err, err_len);
done:
    free(bytes);
    cJSON_free(labels_text);
    cJSON_free(vocab_text);
    cJSON_free(config);
    free(pe);
    free(tensors);
    free(tokens);
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

int checkpoint_load(const char *path, Checkpoint *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    SafeTensors st;
    if (safetensors_read_file(&st, path, "F32", err, err_len) != 0)
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
done:
    for (int i = 0; vocab_tokens && i < cfg.vocab_size; i++)
        free(vocab_tokens[i]);
    free(vocab_tokens);
    safetensors_free(&st);
    if (rc != 0)
        checkpoint_free(out);
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

void checkpoint_optim_path(const char *model_path, char *out, size_t out_len)
{
    snprintf(out, out_len, "%s.optim", model_path);
}

/* ------------------------------------------------------------ optimizer sidecar */

int optimizer_state_save(const char *path, const Optimizer *opt, char *err, size_t err_len)
{
    char why[256];
    char *config = json_write_object(OPTIM_KEYS, COUNT(OPTIM_KEYS), &opt->cfg, false, "optimizer",
                                     why,
                                     sizeof why);
    char step[32], num_params[32];
    snprintf(step, sizeof step, "%ld", opt->step);
    snprintf(num_params, sizeof num_params, "%zu", opt->n);
    const SafeTensorF32 tensors[] = {
        {.name = "m", .ndim = 1, .shape = {(int64_t)opt->n}, .data = opt->m},
        {.name = "v", .ndim = 1, .shape = {(int64_t)opt->n}, .data = opt->v},
    };
    const SafeMetadata meta[] = {
        {"format", CHECKPOINT_OPTIM_FORMAT},
        {"optimizer", config ? config : ""},
        {"step", step},
        {"num_params", num_params},
    };
    unsigned char *bytes = NULL;
    size_t len = 0;
    int rc;
    if (!config)
        rc = errorf(err, err_len, "%s: %s", path, why);
    else if (safetensors_serialize_f32(&bytes, &len, tensors, 2, meta, 4, why, sizeof why) != 0)
        rc = errorf(err, err_len, "%s: %s", path, why);
    else
        rc = atomic_write_file(path, bytes, len, err, err_len);
    free(bytes);
    cJSON_free(config);
    return rc;
}

static int parse_optim_config(const char *text, OptimConfig *c, const char *file, char *err,
                              size_t err_len)
{
    cJSON *o = cJSON_Parse(text);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return errorf(err, err_len, "%s: __metadata__ key 'optimizer' is not a JSON object", file);
    }
    *c = optim_config_default();
    int rc = json_read_object(o, OPTIM_KEYS, COUNT(OPTIM_KEYS), c, file, "optimizer", err, err_len);
    cJSON_Delete(o);
    return rc;
}

int optimizer_state_load(const char *path, Optimizer *opt, char *err, size_t err_len)
{
    SafeTensors st;
    if (safetensors_read_file(&st, path, "F32", err, err_len) != 0)
        return -1;
    int rc = -1;
    const char *format = safetensors_metadata(&st, "format");
    const char *config = safetensors_metadata(&st, "optimizer");
    const char *step_text = safetensors_metadata(&st, "step");
    const SafeTensor *m = safetensors_find(&st, "m");
    const SafeTensor *v = safetensors_find(&st, "v");
    OptimConfig cfg;
    char *end = NULL;
    long step = 0;
    if (!format || strcmp(format, CHECKPOINT_OPTIM_FORMAT) != 0) {
        errorf(err, err_len, "%s: __metadata__ 'format' must be \"%s\" (an optimizer sidecar)",
             path, CHECKPOINT_OPTIM_FORMAT);
        goto done;
    }
    if (!config) {
        errorf(err, err_len, "%s: __metadata__ has no 'optimizer' key", path);
        goto done;
    }
    if (parse_optim_config(config, &cfg, path, err, err_len) != 0)
        goto done;
    if (step_text) {
        errno = 0;
        step = strtol(step_text, &end, 10);
    }
    if (!step_text || errno != 0 || end == step_text || *end != '\0' || step < 0) {
        errorf(err, err_len, "%s: __metadata__ 'step' must be a non-negative integer", path);
        goto done;
    }
    if (!m || !v) {
        errorf(err, err_len, "%s: missing tensor '%s'", path, m ? "v" : "m");
        goto done;
    }
    if (st.num_tensors != 2) {
        errorf(err, err_len, "%s: unexpected tensor (an optimizer sidecar holds only 'm' and 'v')",
             path);
        goto done;
    }
    if (m->ndim != 1 || v->ndim != 1 || m->numel != v->numel) {
        errorf(err, err_len, "%s: tensors 'm' and 'v' must both have shape [num_params]", path);
        goto done;
    }
    if (opt->m && opt->n != m->numel) {
        errorf(err, err_len, "%s: holds moments for %zu parameters, the model has %zu", path,
             m->numel, opt->n);
        goto done;
    }
    if (!opt->m && optimizer_init(opt, &cfg, m->numel) != 0) {
        errorf(err, err_len, "%s: out of memory for the optimizer state", path);
        goto done;
    }
    opt->cfg = cfg;
    opt->step = step;
    safetensors_copy_f32(opt->m, m);
    safetensors_copy_f32(opt->v, v);
    rc = 0;
done:
    safetensors_free(&st);
    return rc;
}
