/* Values: a checkpoint or optimizer sidecar holding a non-finite number, a
 * negative second moment or optimizer settings the INI config refuses is
 * refused at load naming the file and the tensor or key, and is never written;
 * a sidecar belongs to the one model file it was saved with. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "checkpoint.h"
#include "rel_util.h"
#include "safetensors.h"

TestSuite(values, .init = rel_tmp_make, .fini = rel_tmp_remove, .timeout = 60);

/* Byte offset in the file of element i of tensor `name`. */
static size_t element_offset(const unsigned char *bytes, size_t len, const char *name, size_t i)
{
    SafeTensors st;
    char err[256] = "";
    cr_assert_eq(safetensors_parse(&st, bytes, len, "file", "F32", err, sizeof err), 0, "%s", err);
    const SafeTensor *t = safetensors_find(&st, name);
    cr_assert_not_null(t, "no tensor %s", name);
    cr_assert_lt(i, t->numel);
    size_t at = (size_t)(t->data - bytes) + 4 * i;
    safetensors_free(&st);
    return at;
}

static void put_float(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    for (int k = 0; k < 4; k++)
        p[k] = (unsigned char)(u >> (8 * k));
}

static void expect_error(int rc, const char *err, const char *file, const char *expect)
{
    cr_expect_eq(rc, -1, "loaded despite: %s", expect);
    cr_expect_eq(strncmp(err, file, strlen(file)), 0, "'%s' does not name %s", err, file);
    cr_expect_not_null(strstr(err, expect), "'%s' lacks '%s'", err, expect);
}

Test(values, a_non_finite_weight_is_refused_at_load_naming_the_tensor)
{
    RelModel r = rel_model_make(3);
    const char *path = rel_path("m.safetensors");
    rel_model_save(&r, path);
    size_t len;
    unsigned char *good = rel_read(path, &len);
    const char *name = r.model->views[r.model->num_views / 2].name;
    const float bad[] = {NAN, INFINITY, -INFINITY};
    const char *spelled[] = {"nan", "inf", "-inf"};
    for (int k = 0; k < 3; k++) {
        unsigned char *bytes = malloc(len);
        memcpy(bytes, good, len);
        put_float(bytes + element_offset(good, len, name, 3), bad[k]);
        rel_write(path, bytes, len);
        free(bytes);
        Checkpoint c;
        char err[512] = "", want[256];
        snprintf(want, sizeof want, "tensor '%s' element 3 is %s", name, spelled[k]);
        expect_error(checkpoint_load(path, &c, err, sizeof err), err, path, want);
        cr_expect_null(c.model);
    }
    /* Large but finite values load: there is no bound on a weight's size (what a
     * forward pass makes of them is the model's business). */
    unsigned char *bytes = malloc(len);
    memcpy(bytes, good, len);
    put_float(bytes + element_offset(good, len, name, 3), 7e31f);
    rel_write(path, bytes, len);
    free(bytes);
    Checkpoint c;
    char err[512] = "";
    cr_expect_eq(checkpoint_load(path, &c, err, sizeof err), 0, "%s", err);
    checkpoint_free(&c);
    free(good);
    rel_model_free(&r);
}

Test(values, a_non_finite_weight_is_never_saved)
{
    RelModel r = rel_model_make(4);
    const char *path = rel_path("m.safetensors");
    rel_model_save(&r, path);
    size_t old_len;
    unsigned char *old = rel_read(path, &old_len);
    const ParamView *v = &r.model->views[1];
    const float bad[] = {NAN, -INFINITY};
    const char *spelled[] = {"nan", "-inf"};
    for (int k = 0; k < 2; k++) {
        r.model->params[v->offset + 5] = bad[k];
        char err[512] = "", want[256];
        cr_expect_eq(checkpoint_save(path, r.model, &r.tc, r.vocab, r.labels, 2, err, sizeof err), -1);
        snprintf(want, sizeof want, "%s: tensor '%s' element 5 is %s: not saved (the previous file, if "
                 "any, is unchanged)", path, v->name, spelled[k]);
        cr_expect_str_eq(err, want);
    }
    size_t len;
    unsigned char *now = rel_read(path, &len);
    cr_expect(len == old_len && memcmp(now, old, len) == 0, "the old file is untouched");
    cr_expect_eq(rel_count_prefixed(rel_dir, ""), 1, "nothing else written");
    free(now);
    free(old);
    rel_model_free(&r);
}

/* A copy of the sidecar at path with its tensors and metadata changed by `edit`,
 * written back over it: what a corrupt or hostile sidecar looks like, with every
 * other key as the program wrote it. */
typedef void (*SidecarEdit)(float *m, float *v, cJSON *optimizer);

static void forge_sidecar(const char *path, SidecarEdit edit)
{
    SafeTensors st;
    char err[512] = "";
    cr_assert_eq(safetensors_read_file(&st, path, "F32", err, sizeof err), 0, "%s", err);
    const SafeTensor *tm = safetensors_find(&st, "m"), *tv = safetensors_find(&st, "v");
    cr_assert(tm && tv);
    float *m = malloc(tm->numel * sizeof *m), *v = malloc(tv->numel * sizeof *v);
    safetensors_copy_f32(m, tm);
    safetensors_copy_f32(v, tv);
    cJSON *optimizer = cJSON_Parse(safetensors_metadata(&st, "optimizer"));
    cr_assert_not_null(optimizer);
    edit(m, v, optimizer);
    char *optimizer_text = cJSON_PrintUnformatted(optimizer);
    int n = safetensors_metadata_count(&st);
    SafeMetadata *meta = calloc((size_t)n, sizeof *meta);
    for (int i = 0; i < n; i++) {
        meta[i].key = safetensors_metadata_key(&st, i);
        meta[i].value = strcmp(meta[i].key, "optimizer") == 0 ? optimizer_text
                                                               : safetensors_metadata(&st, meta[i].key);
    }
    SafeTensorF32 t[2] = {{"m", 1, {(int64_t)tm->numel}, m}, {"v", 1, {(int64_t)tv->numel}, v}};
    unsigned char *bytes;
    size_t len;
    cr_assert_eq(safetensors_serialize_f32(&bytes, &len, t, 2, meta, n, err, sizeof err), 0, "%s", err);
    rel_write(path, bytes, len);
    free(bytes);
    free(meta);
    cJSON_free(optimizer_text);
    cJSON_Delete(optimizer);
    free(m);
    free(v);
    safetensors_free(&st);
}

static void nan_m(float *m, float *v, cJSON *o) { (void)v; (void)o; m[2] = NAN; }
static void inf_v(float *m, float *v, cJSON *o) { (void)m; (void)o; v[1] = INFINITY; }
static void negative_v(float *m, float *v, cJSON *o) { (void)m; (void)o; v[0] = -0.001f; }
static void set_key(cJSON *o, const char *key, double value)
{
    cr_assert(cJSON_ReplaceItemInObject(o, key, cJSON_CreateNumber(value)));
}
static void beta1_one(float *m, float *v, cJSON *o) { (void)m; (void)v; set_key(o, "beta1", 1); }
static void beta2_negative(float *m, float *v, cJSON *o) { (void)m; (void)v; set_key(o, "beta2", -0.5); }
static void eps_zero(float *m, float *v, cJSON *o) { (void)m; (void)v; set_key(o, "eps", 0); }
static void lr_zero(float *m, float *v, cJSON *o) { (void)m; (void)v; set_key(o, "lr", 0); }
static void decay_big(float *m, float *v, cJSON *o) { (void)m; (void)v; set_key(o, "weight_decay", 11); }
static void clip_negative(float *m, float *v, cJSON *o) { (void)m; (void)v; set_key(o, "clip_norm", -1); }

Test(values, a_sidecar_with_poisoned_moments_or_settings_is_refused)
{
    RelModel r = rel_model_make(5);
    const char *path = rel_path("m.safetensors");
    char sidecar[600];
    checkpoint_optim_path(path, sidecar, sizeof sidecar);
    struct {
        SidecarEdit edit;
        const char *expect;
    } cases[] = {
        {nan_m, "tensor 'm' element 2 is nan"},
        {inf_v, "tensor 'v' element 1 is inf"},
        {negative_v, "tensor 'v' element 0 is -0.001: a second moment is never negative"},
        /* The INI config's own ranges and wording (config.c's key table). */
        {beta1_one, "optimizer: key 'beta1': 1 is out of range (allowed: a number in [0, 1))"},
        {beta2_negative, "optimizer: key 'beta2': -0.5 is out of range (allowed: a number in [0, 1))"},
        {eps_zero, "optimizer: key 'eps': 0 is out of range (allowed: a number in (0, 1])"},
        {lr_zero, "optimizer: key 'lr': 0 is out of range (allowed: a number in (0, 10])"},
        {decay_big, "optimizer: key 'weight_decay': 11 is out of range (allowed: a number in [0, 10])"},
        {clip_negative, "optimizer: key 'clip_norm': -1 is out of range (allowed: 0 (no clipping) or a "
                        "number up to 1e6)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Optimizer opt;
        rel_optimizer_make(&opt, &r, i, 22);
        char err[512] = "";
        rel_model_save(&r, path);
        cr_assert_eq(optimizer_state_save(sidecar, &opt, err, sizeof err), 0, "%s", err);
        optimizer_free(&opt);
        forge_sidecar(sidecar, cases[i].edit);
        Optimizer loaded = {0};
        expect_error(optimizer_state_load(sidecar, &loaded, err, sizeof err), err, sidecar,
                     cases[i].expect);
        cr_expect_null(loaded.m, "nothing kept of a refused sidecar");
        optimizer_free(&loaded);
    }
    rel_model_free(&r);
}

Test(values, an_optimizer_state_that_would_not_load_is_never_saved)
{
    RelModel r = rel_model_make(6);
    const char *path = rel_path("m.safetensors");
    char sidecar[600], err[512] = "";
    checkpoint_optim_path(path, sidecar, sizeof sidecar);
    rel_model_save(&r, path);
    Optimizer opt;
    rel_optimizer_make(&opt, &r, 1, 22);
    cr_assert_eq(optimizer_state_save(sidecar, &opt, err, sizeof err), 0, "%s", err);
    size_t old_len;
    unsigned char *old = rel_read(sidecar, &old_len);

    opt.m[7] = NAN;
    cr_expect_eq(optimizer_state_save(sidecar, &opt, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "tensor 'm' element 7 is nan: not saved"), "%s", err);
    opt.m[7] = 0.0f;
    opt.v[3] = -1.0f;
    cr_expect_eq(optimizer_state_save(sidecar, &opt, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "tensor 'v' element 3 is -1: a second moment is never negative"),
                       "%s", err);
    opt.v[3] = 0.0f;
    opt.cfg.beta1 = 1.0f;
    cr_expect_eq(optimizer_state_save(sidecar, &opt, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "optimizer: key 'beta1': 1 is out of range"), "%s", err);
    size_t len;
    unsigned char *now = rel_read(sidecar, &len);
    cr_expect(len == old_len && memcmp(now, old, len) == 0, "the old sidecar is untouched");
    free(now);
    free(old);
    optimizer_free(&opt);
    rel_model_free(&r);
}

Test(values, a_sidecar_from_another_save_is_refused_naming_both_files)
{
    /* Killed between the two writes: the model holds step 66, the sidecar step
     * 22. Before, --resume continued from step 22 on step-66 weights. */
    RelModel at22 = rel_model_make(22), at66 = rel_model_make(66);
    char path[512], sidecar[600], err[600] = "";
    snprintf(path, sizeof path, "%s", rel_path("run.safetensors"));
    checkpoint_optim_path(path, sidecar, sizeof sidecar);
    Optimizer opt;
    rel_optimizer_make(&opt, &at22, 22, 22);
    rel_model_save(&at22, path);
    cr_assert_eq(optimizer_state_save(sidecar, &opt, err, sizeof err), 0, "%s", err);
    rel_model_save(&at66, path); /* ... and the process dies here */

    Optimizer loaded = {0};
    int rc = optimizer_state_load(sidecar, &loaded, err, sizeof err);
    expect_error(rc, err, sidecar, "does not belong to");
    cr_expect_not_null(strstr(err, path), "'%s' does not name the model file", err);
    cr_expect_not_null(strstr(err, "step 22"), "%s", err);
    cr_expect_null(loaded.m);

    /* The pair saved together loads. */
    opt.step = 66;
    cr_assert_eq(optimizer_state_save(sidecar, &opt, err, sizeof err), 0, "%s", err);
    cr_assert_eq(optimizer_state_load(sidecar, &loaded, err, sizeof err), 0, "%s", err);
    cr_expect_eq(loaded.step, 66);
    optimizer_free(&loaded);

    /* A sidecar without its model cannot be checked: refused. */
    cr_assert_eq(unlink(path), 0);
    rc = optimizer_state_load(sidecar, &loaded, err, sizeof err);
    expect_error(rc, err, sidecar, path);
    cr_expect_null(loaded.m);
    optimizer_free(&opt);
    rel_model_free(&at22);
    rel_model_free(&at66);
}

Test(values, the_pair_api_ties_a_sidecar_to_the_bytes_written)
{
    RelModel a = rel_model_make(7), b = rel_model_make(8);
    char path[512], sidecar[600], err[600] = "";
    snprintf(path, sizeof path, "%s", rel_path("pair.safetensors"));
    checkpoint_optim_path(path, sidecar, sizeof sidecar);
    Optimizer opt;
    rel_optimizer_make(&opt, &a, 7, 33);
    CheckpointInfo info = checkpoint_info_none();
    info.step = 33;
    cr_assert_eq(checkpoint_save_with_optimizer(path, a.model, &a.tc, a.vocab, a.labels, 2, &info,
                                                &opt, err, sizeof err), 0, "%s", err);
    Checkpoint ck;
    cr_assert_eq(checkpoint_load(path, &ck, err, sizeof err), 0, "%s", err);
    cr_expect_eq(ck.info.step, 33, "the training info is written too");
    uint64_t on_disk;
    cr_assert_eq(checkpoint_file_hash(path, &on_disk, err, sizeof err), 0, "%s", err);
    cr_expect_eq(ck.file_hash, on_disk, "the loaded model's hash is its file's");
    size_t len;
    unsigned char *bytes = rel_read(path, &len);
    cr_expect_eq(checkpoint_hash(bytes, len), on_disk);
    /* FNV-1a 64 itself: the published test vectors. */
    cr_expect_eq(checkpoint_hash("", 0), 0xcbf29ce484222325ull);
    cr_expect_eq(checkpoint_hash("a", 1), 0xaf63dc4c8601ec8cull);
    cr_expect_eq(checkpoint_hash("foobar", 6), 0x85944171f73967e8ull);

    Optimizer loaded = {0};
    cr_assert_eq(optimizer_state_load_matching(sidecar, &loaded, path, ck.file_hash, err,
                                               sizeof err), 0, "%s", err);
    cr_expect_eq(loaded.step, 33);
    cr_expect_eq(memcmp(loaded.m, opt.m, opt.n * sizeof(float)), 0);
    optimizer_free(&loaded);
    checkpoint_free(&ck);

    /* Another model saved alone: the sidecar is not its own. */
    rel_model_save(&b, path);
    cr_assert_eq(checkpoint_load(path, &ck, err, sizeof err), 0, "%s", err);
    cr_expect_eq(optimizer_state_load_matching(sidecar, &loaded, path, ck.file_hash, err,
                                               sizeof err), -1);
    cr_expect_not_null(strstr(err, "optimizer state of step 33 does not belong to"), "%s", err);
    checkpoint_free(&ck);

    /* Poisoned moments: neither file is written. */
    free(bytes);
    bytes = rel_read(path, &len);
    opt.v[2] = NAN;
    cr_expect_eq(checkpoint_save_with_optimizer(path, a.model, &a.tc, a.vocab, a.labels, 2, NULL,
                                                &opt, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "tensor 'v' element 2 is nan: not saved"), "%s", err);
    size_t now_len;
    unsigned char *now = rel_read(path, &now_len);
    cr_expect(now_len == len && memcmp(now, bytes, len) == 0, "the model file is untouched");
    free(now);
    free(bytes);
    optimizer_free(&opt);
    rel_model_free(&a);
    rel_model_free(&b);
}

/* Rewrites the checkpoint at path with __metadata__ key set to value (tensors
 * and other keys as they were). */
static void forge_metadata(const char *path, const char *key, const char *value)
{
    SafeTensors st;
    char err[512] = "";
    cr_assert_eq(safetensors_read_file(&st, path, "F32", err, sizeof err), 0, "%s", err);
    SafeTensorF32 *t = calloc((size_t)st.num_tensors, sizeof *t);
    float **data = calloc((size_t)st.num_tensors, sizeof *data);
    for (int i = 0; i < st.num_tensors; i++) {
        const SafeTensor *s = &st.tensors[i];
        data[i] = malloc((s->numel ? s->numel : 1) * sizeof(float));
        safetensors_copy_f32(data[i], s);
        t[i] = (SafeTensorF32){.name = s->name, .ndim = s->ndim, .data = data[i]};
        memcpy(t[i].shape, s->shape, sizeof s->shape);
    }
    int n = safetensors_metadata_count(&st);
    SafeMetadata *meta = calloc((size_t)n + 1, sizeof *meta);
    int k = 0;
    for (int i = 0; i < n; i++) {
        const char *name = safetensors_metadata_key(&st, i);
        if (strcmp(name, key) != 0)
            meta[k++] = (SafeMetadata){name, safetensors_metadata(&st, name)};
    }
    meta[k++] = (SafeMetadata){key, value};
    unsigned char *bytes;
    size_t len;
    cr_assert_eq(safetensors_serialize_f32(&bytes, &len, t, st.num_tensors, meta, k, err,
                                           sizeof err), 0, "%s", err);
    rel_write(path, bytes, len);
    free(bytes);
    free(meta);
    for (int i = 0; i < st.num_tensors; i++)
        free(data[i]);
    free(data);
    free(t);
    safetensors_free(&st);
}

Test(values, training_info_that_would_not_save_back_is_refused)
{
    /* Found by tests/fuzz/fuzz_checkpoint.c (a save of what was loaded must load
     * back the same): a val_loss without its validation pass loaded, and was left
     * out when saved. A 'data' longer than the field would be cut, maybe inside a
     * character, and then left out too. */
    RelModel r = rel_model_make(9);
    const char *path = rel_path("m.safetensors");
    rel_model_save(&r, path);
    static char long_data[1200];
    memset(long_data, 'd', sizeof long_data - 1);
    char too_long[1300];
    snprintf(too_long, sizeof too_long, "{\"data\":\"%s\"}", long_data);
    struct {
        const char *training, *expect;
    } cases[] = {
        {"{\"step\":3,\"val_loss\":0.5}",
         "training: 'val_loss' goes with 'val_step' and 'val_accuracy'"},
        {too_long, "training: key 'data' is longer than 1023 bytes"},
        {"{\"step\":3,\"val_step\":3,\"val_accuracy\":0.5,\"val_loss\":0.5,\"data\":\"ok\"}", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        forge_metadata(path, "training", cases[i].training);
        Checkpoint c;
        char err[512] = "";
        int rc = checkpoint_load(path, &c, err, sizeof err);
        if (!cases[i].expect) {
            cr_assert_eq(rc, 0, "%s", err);
            cr_expect_eq(c.info.val_loss, 0.5f);
            checkpoint_free(&c);
            continue;
        }
        expect_error(rc, err, path, cases[i].expect);
    }
    rel_model_free(&r);
}
