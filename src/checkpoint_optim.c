/* The optimizer sidecar "<model>.optim" (see checkpoint.h): Adam's moments, step
 * and settings, tied to the one model file it was saved with by a hash of that
 * file's bytes, so that a model and a sidecar from two different saves (a process
 * killed between the two writes) are never resumed together. */
#include "checkpoint.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint_meta.h"
#include "errors.h"
#include "safetensors.h"

#define OPTIM(field) offsetof(OptimConfig, field)
/* In file order. Each value must also be one the INI config accepts for its key. */
static const JsonKey OPTIM_KEYS[] = {
    {"kind", J_ENUM, OPTIM(kind), &OPTIMIZER_NAMES, false, false, "train", "optimizer"},
    {"lr", J_FLOAT, OPTIM(lr), NULL, false, false, "train", "lr"},
    {"beta1", J_FLOAT, OPTIM(beta1), NULL, false, false, "train", "beta1"},
    {"beta2", J_FLOAT, OPTIM(beta2), NULL, false, false, "train", "beta2"},
    {"eps", J_FLOAT, OPTIM(eps), NULL, false, false, "train", "eps"},
    {"weight_decay", J_FLOAT, OPTIM(weight_decay), NULL, false, false, "train", "weight_decay"},
    {"clip_norm", J_FLOAT, OPTIM(clip_norm), NULL, false, false, "train", "clip_norm"},
};
#undef OPTIM

#define MODEL_HASH_KEY "model_fnv1a64"
#define SIDECAR_SUFFIX ".optim"

void checkpoint_optim_path(const char *model_path, char *out, size_t out_len)
{
    snprintf(out, out_len, "%s" SIDECAR_SUFFIX, model_path);
}

/* ------------------------------------------------------------ the model's hash */

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t fnv1a_update(uint64_t h, const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

uint64_t checkpoint_hash(const void *bytes, size_t len)
{
    return fnv1a_update(FNV_OFFSET, bytes, len);
}

int checkpoint_file_hash(const char *path, uint64_t *hash, char *err, size_t err_len)
{
    int fd;
    size_t size;
    if (file_open_regular(path, &fd, &size, err, err_len) != 0)
        return -1;
    unsigned char *buf = malloc((size_t)1 << 16);
    if (!buf) {
        close(fd);
        return errorf(err, err_len, "%s: out of memory", path);
    }
    uint64_t h = FNV_OFFSET;
    int rc = 0;
    for (;;) {
        ssize_t r = read(fd, buf, (size_t)1 << 16);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = errorf(err, err_len, "%s: read failed: %s", path, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        h = fnv1a_update(h, buf, (size_t)r);
    }
    free(buf);
    close(fd);
    *hash = h;
    return rc;
}

/* "<model>" of "<model>.optim" (malloc'ed), or NULL with err. */
static char *model_path_of(const char *sidecar, char *err, size_t err_len)
{
    size_t n = strlen(sidecar), k = strlen(SIDECAR_SUFFIX);
    if (n <= k || strcmp(sidecar + n - k, SIDECAR_SUFFIX) != 0) {
        errorf(err, err_len, "%s: an optimizer sidecar is named after its model (MODEL" SIDECAR_SUFFIX
               "): cannot tell which model it belongs to", sidecar);
        return NULL;
    }
    char *model = strndup(sidecar, n - k);
    if (!model)
        errorf(err, err_len, "%s: out of memory", sidecar);
    return model;
}

/* The hash of the model file beside the sidecar at path. */
static int hash_of_model_beside(const char *path, char **model_path, uint64_t *hash, char *err,
                                size_t err_len)
{
    *model_path = model_path_of(path, err, err_len);
    if (!*model_path)
        return -1;
    char why[600];
    if (checkpoint_file_hash(*model_path, hash, why, sizeof why) == 0)
        return 0;
    /* why starts with the model's path already */
    errorf(err, err_len, "%s: cannot tell that it belongs to %s", path, why);
    free(*model_path);
    *model_path = NULL;
    return -1;
}

/* ------------------------------------------------------------ saving */

/* Nothing is written that loading would refuse. */
static int check_saveable(const char *path, const Optimizer *opt, char *err, size_t err_len)
{
    if (json_check_ini_ranges(OPTIM_KEYS, COUNT(OPTIM_KEYS), &opt->cfg, path, "optimizer", err,
                              err_len) != 0)
        return -1;
    if (opt->step < 0 || opt->step > CHECKPOINT_MAX_STEP)
        return errorf(err, err_len, "%s: step %ld is not in [0, %lld]" NOT_SAVED, path, opt->step,
                      (long long)CHECKPOINT_MAX_STEP);
    if (values_check(opt->m, opt->n, false, path, "m", NOT_SAVED, err, err_len) != 0 ||
        values_check(opt->v, opt->n, true, path, "v", NOT_SAVED, err, err_len) != 0)
        return -1;
    return 0;
}

int optimizer_state_save_matching(const char *path, const Optimizer *opt, uint64_t model_hash,
                                  char *err, size_t err_len)
{
    if (check_saveable(path, opt, err, err_len) != 0)
        return -1;
    char why[256];
    char *config = json_write_object(OPTIM_KEYS, COUNT(OPTIM_KEYS), &opt->cfg, false, "optimizer", why,
                                     sizeof why);
    char step[32], num_params[32], hash[32];
    snprintf(step, sizeof step, "%ld", opt->step);
    snprintf(num_params, sizeof num_params, "%zu", opt->n);
    snprintf(hash, sizeof hash, "%016" PRIx64, model_hash);
    const SafeTensorF32 tensors[] = {
        {.name = "m", .ndim = 1, .shape = {(int64_t)opt->n}, .data = opt->m},
        {.name = "v", .ndim = 1, .shape = {(int64_t)opt->n}, .data = opt->v},
    };
    const SafeMetadata meta[] = {
        {"format", CHECKPOINT_OPTIM_FORMAT},
        {"optimizer", config ? config : ""},
        {"step", step},
        {"num_params", num_params},
        {MODEL_HASH_KEY, hash},
    };
    unsigned char *bytes = NULL;
    size_t len = 0;
    int rc;
    if (!config)
        rc = errorf(err, err_len, "%s: %s", path, why);
    else if (safetensors_serialize_f32(&bytes, &len, tensors, 2, meta, COUNT(meta), why,
                                       sizeof why) != 0)
        rc = errorf(err, err_len, "%s: %s", path, why);
    else
        rc = atomic_write_file(path, bytes, len, err, err_len);
    free(bytes);
    cJSON_free(config);
    return rc;
}

int optimizer_state_save(const char *path, const Optimizer *opt, char *err, size_t err_len)
{
    char *model_path;
    uint64_t hash;
    if (check_saveable(path, opt, err, err_len) != 0 ||
        hash_of_model_beside(path, &model_path, &hash, err, err_len) != 0)
        return -1;
    free(model_path);
    return optimizer_state_save_matching(path, opt, hash, err, err_len);
}

int checkpoint_save_with_optimizer(const char *path, const Model *m, const TokenizerConfig *tc,
                                   const Vocab *v, const char *const *labels, int num_labels,
                                   const CheckpointInfo *info, const Optimizer *opt, char *err,
                                   size_t err_len)
{
    char sidecar[4096];
    checkpoint_optim_path(path, sidecar, sizeof sidecar);
    unsigned char *bytes;
    size_t len;
    /* Both checked before either is written: all or nothing of what can be known. */
    if (check_saveable(sidecar, opt, err, err_len) != 0 ||
        checkpoint_serialize(path, m, tc, v, labels, num_labels, info, &bytes, &len, err,
                             err_len) != 0)
        return -1;
    int rc = atomic_write_file(path, bytes, len, err, err_len);
    uint64_t hash = checkpoint_hash(bytes, len);
    free(bytes);
    /* Killed here, the old sidecar no longer matches the new model: refused on load. */
    if (rc == 0)
        rc = optimizer_state_save_matching(sidecar, opt, hash, err, err_len);
    return rc;
}

/* ------------------------------------------------------------ loading */

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
    if (rc == 0)
        rc = json_check_ini_ranges(OPTIM_KEYS, COUNT(OPTIM_KEYS), c, file, "optimizer", err,
                                   err_len);
    return rc;
}

/* A parsed sidecar, checked but not yet applied to an Optimizer. */
typedef struct {
    OptimConfig cfg;
    long step;
    const SafeTensor *m, *v;
} Sidecar;

/* Format, settings (INI ranges), step, the two tensors' shapes and values. */
static int sidecar_read(const SafeTensors *st, const char *file, Sidecar *sc, char *err,
                        size_t err_len)
{
    const char *format = safetensors_metadata(st, "format");
    const char *config = safetensors_metadata(st, "optimizer");
    const char *step_text = safetensors_metadata(st, "step");
    if (!format || strcmp(format, CHECKPOINT_OPTIM_FORMAT) != 0)
        return errorf(err, err_len, "%s: __metadata__ 'format' must be \"%s\" (an optimizer sidecar)",
                      file, CHECKPOINT_OPTIM_FORMAT);
    if (!config)
        return errorf(err, err_len, "%s: __metadata__ has no 'optimizer' key", file);
    if (parse_optim_config(config, &sc->cfg, file, err, err_len) != 0)
        return -1;
    char *end = NULL;
    if (step_text) {
        errno = 0;
        sc->step = strtol(step_text, &end, 10);
    }
    if (!step_text || errno != 0 || end == step_text || *end != '\0' || sc->step < 0 ||
        sc->step > CHECKPOINT_MAX_STEP)
        return errorf(err, err_len, "%s: __metadata__ 'step' must be an integer from 0 to %lld",
                      file, (long long)CHECKPOINT_MAX_STEP);
    sc->m = safetensors_find(st, "m");
    sc->v = safetensors_find(st, "v");
    if (!sc->m || !sc->v)
        return errorf(err, err_len, "%s: missing tensor '%s'", file, sc->m ? "v" : "m");
    if (st->num_tensors != 2)
        return errorf(err, err_len,
                      "%s: unexpected tensor (an optimizer sidecar holds only 'm' and 'v')", file);
    if (sc->m->ndim != 1 || sc->v->ndim != 1 || sc->m->numel != sc->v->numel)
        return errorf(err, err_len, "%s: tensors 'm' and 'v' must both have shape [num_params]",
                      file);
    if (tensor_values_check(sc->m, false, file, "", err, err_len) != 0 ||
        tensor_values_check(sc->v, true, file, "", err, err_len) != 0)
        return -1;
    return 0;
}

/* The sidecar was saved with the model file whose bytes hash to model_hash. */
static int sidecar_check_model(const SafeTensors *st, const char *file, const Sidecar *sc,
                               const char *model_path, uint64_t model_hash, char *err,
                               size_t err_len)
{
    const char *text = safetensors_metadata(st, MODEL_HASH_KEY);
    if (!text)
        return errorf(err, err_len, "%s: no '" MODEL_HASH_KEY "' key (saved before a sidecar named "
                      "its model file): cannot tell that it belongs to %s", file, model_path);
    size_t n = strspn(text, "0123456789abcdef");
    if (n != 16 || text[16] != '\0')
        return errorf(err, err_len, "%s: __metadata__ '" MODEL_HASH_KEY "' must be 16 lower-case "
                      "hexadecimal digits", file);
    uint64_t saved = strtoull(text, NULL, 16);
    if (saved != model_hash)
        return errorf(err, err_len, "%s: optimizer state of step %ld does not belong to %s: it was "
                      "saved with a model file of hash %016" PRIx64 ", that file's is %016" PRIx64
                      " (a save interrupted between the two files?)", file, sc->step, model_path,
                      saved, model_hash);
    return 0;
}

/* Everything checked: the state replaces opt's (initialised for the file's size
 * when it was not). */
static int sidecar_apply(const Sidecar *sc, Optimizer *opt, const char *file, char *err,
                         size_t err_len)
{
    if (opt->m && opt->n != sc->m->numel)
        return errorf(err, err_len, "%s: holds moments for %zu parameters, the model has %zu", file,
                      sc->m->numel, opt->n);
    if (!opt->m && optimizer_init(opt, &sc->cfg, sc->m->numel) != 0)
        return errorf(err, err_len, "%s: out of memory for the optimizer state", file);
    opt->cfg = sc->cfg;
    opt->step = sc->step;
    safetensors_copy_f32(opt->m, sc->m);
    safetensors_copy_f32(opt->v, sc->v);
    return 0;
}

/* Whether and how the pair is checked: not at all (the fuzzer), against a hash
 * the caller has, or against the model file beside the sidecar. */
typedef enum { PAIR_NONE, PAIR_GIVEN, PAIR_BESIDE } PairCheck;

static int sidecar_load(const char *name, const unsigned char *bytes, size_t len, Optimizer *opt,
                        PairCheck pair, const char *model_path, uint64_t model_hash, char *err,
                        size_t err_len)
{
    SafeTensors st;
    if (safetensors_parse(&st, bytes, len, name, "F32", err, err_len) != 0)
        return -1;
    Sidecar sc;
    char *beside = NULL;
    /* The sidecar's own problems first: they say more than a mismatch would. */
    int rc = sidecar_read(&st, name, &sc, err, err_len);
    if (rc == 0 && pair == PAIR_BESIDE) {
        rc = hash_of_model_beside(name, &beside, &model_hash, err, err_len);
        model_path = beside;
    }
    if (rc == 0 && pair != PAIR_NONE)
        rc = sidecar_check_model(&st, name, &sc, model_path, model_hash, err, err_len);
    if (rc == 0)
        rc = sidecar_apply(&sc, opt, name, err, err_len);
    free(beside);
    safetensors_free(&st);
    return rc;
}

int optimizer_state_load_memory(const char *name, const unsigned char *bytes, size_t len,
                                Optimizer *opt, const char *model_path,
                                const uint64_t *model_hash, char *err, size_t err_len)
{
    return sidecar_load(name, bytes, len, opt, model_hash ? PAIR_GIVEN : PAIR_NONE,
                        model_path ? model_path : "its model", model_hash ? *model_hash : 0, err,
                        err_len);
}

/* Reads the sidecar at path, then sidecar_load. */
static int sidecar_load_file(const char *path, Optimizer *opt, PairCheck pair,
                             const char *model_path, uint64_t model_hash, char *err, size_t err_len)
{
    char *bytes;
    size_t len;
    if (file_read_all(path, SIZE_MAX, &bytes, &len, err, err_len) != 0)
        return -1;
    int rc = sidecar_load(path, (const unsigned char *)bytes, len, opt, pair, model_path,
                          model_hash, err, err_len);
    free(bytes);
    return rc;
}

int optimizer_state_load_matching(const char *path, Optimizer *opt, const char *model_path,
                                  uint64_t model_hash, char *err, size_t err_len)
{
    return sidecar_load_file(path, opt, PAIR_GIVEN, model_path, model_hash, err, err_len);
}

int optimizer_state_load(const char *path, Optimizer *opt, char *err, size_t err_len)
{
    return sidecar_load_file(path, opt, PAIR_BESIDE, NULL, 0, err, err_len);
}
