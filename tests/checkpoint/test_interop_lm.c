/* The language model's checkpoints between PyTorch (tools/decoder_model.py) and
 * this program, both ways (issue 15), with the fixtures of
 * tools/make_interop_lm.py:
 *   PyTorch -> C: tests/fixtures/interop_lm_{pre_tied,post_untied}.safetensors
 *     load with checkpoint_load and give PyTorch's logits and log-probs, its
 *     evaluation-protocol figures and its greedy continuation (here through the
 *     key/value cache, there by full forwards); re-saved here they are the same
 *     bytes but for the sinusoid buffer.
 *   C -> PyTorch: tests/fixtures/interop_lm_c.safetensors is what this program
 *     saves for a fixed model (the same bytes on every machine, the sinusoid
 *     buffer within 1 ulp); its C log-probs (interop_lm_c.json) and PyTorch's
 *     after a strict load (interop_lm_c_torch.json) agree with our forward.
 * Everything through sgemm is compared within a tolerance measured on the
 * fixtures (the printed maxima), never bitwise. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "checkpoint.h"
#include "lm_data.h"
#include "lm_generate.h"
#include "lm_score.h"
#include "rel_util.h"
#include "safetensors.h"

#ifndef SOURCE_ROOT
#define SOURCE_ROOT "."
#endif

/* |log p_C - log p_torch| and |logit_C - logit_torch| allowed: measured at most
 * 5.0e-6 with this machine's default OpenBLAS kernel and 7.2e-6 with
 * OPENBLAS_CORETYPE=Haswell (float32 logits of up to 11); the margin covers
 * other kernels' summation orders. */
#define FORWARD_TOLERANCE 5e-5
/* The protocol's loss, perplexity and bits per char, relative: measured at most
 * 4e-8 (default kernel) and 1.2e-7 (Haswell). */
#define EVAL_TOLERANCE 1e-6

static const char *const TORCH_CASES[] = {"pre_tied", "post_untied"};
#define NUM_TORCH_CASES 2

/* ------------------------------------------------------------ helpers */

TestSuite(interop_lm, .init = rel_tmp_make, .fini = rel_tmp_remove);

static const char *fixture(const char *name)
{
    static char paths[4][1024];
    static int next;
    char *p = paths[next++ % 4];
    const char *root = getenv("MINILLM_SOURCE_ROOT");
    snprintf(p, 1024, "%s/tests/fixtures/%s", root && *root ? root : SOURCE_ROOT, name);
    return p;
}

/* The whole file (rel_read), which must be there. */
static unsigned char *read_file(const char *path, size_t *len)
{
    unsigned char *buf = rel_read(path, len);
    cr_assert_not_null(buf, "cannot read %s", path);
    return buf;
}

static cJSON *read_json(const char *path)
{
    size_t len;
    unsigned char *text = read_file(path, &len);
    cJSON *j = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    cr_assert_not_null(j, "%s is not JSON", path);
    return j;
}

static const cJSON *item(const cJSON *o, const char *key)
{
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(o, key);
    cr_assert_not_null(i, "no key '%s'", key);
    return i;
}

static void load(const char *path, Checkpoint *c)
{
    char err[512] = "";
    cr_assert_eq(checkpoint_load(path, c, err, sizeof err), 0, "%s", err);
}

/* ------------------------------------------------------------ names and metadata */

/* Every tensor issue 15 lists, in file order, with its shape, against the file's. */
static void expect_lm_names(const char *path, const ModelConfig *cfg)
{
    const int V = cfg->vocab_size, C = cfg->d_model, F = cfg->d_ff;
    struct { char name[96]; int ndim; int64_t shape[2]; } want[64];
    int n = 0;
#define WANT(nd, s0, s1, ...) do { snprintf(want[n].name, sizeof want[n].name, __VA_ARGS__); \
        want[n].ndim = nd; want[n].shape[0] = s0; want[n].shape[1] = s1; n++; } while (0)
    WANT(2, V, C, "decoder.embedding.weight");
    if (cfg->pos_encoding == POS_ENCODING_LEARNED)
        WANT(2, cfg->max_len, C, "decoder.pos_encoding.weight");
    else
        WANT(2, 5000, C, "decoder.pos_encoding.pe");
    for (int l = 0; l < cfg->num_layers && n < 60; l++) {
        WANT(2, 3 * C, C, "decoder.layers.%d.attention.qkv_layer.weight", l);
        WANT(1, 3 * C, 0, "decoder.layers.%d.attention.qkv_layer.bias", l);
        WANT(2, C, C, "decoder.layers.%d.attention.linear_layer.weight", l);
        WANT(1, C, 0, "decoder.layers.%d.attention.linear_layer.bias", l);
        WANT(1, C, 0, "decoder.layers.%d.norm1.gamma", l);
        WANT(1, C, 0, "decoder.layers.%d.norm1.beta", l);
        WANT(2, F, C, "decoder.layers.%d.ffn.linear1.weight", l);
        WANT(1, F, 0, "decoder.layers.%d.ffn.linear1.bias", l);
        WANT(2, C, F, "decoder.layers.%d.ffn.linear2.weight", l);
        WANT(1, C, 0, "decoder.layers.%d.ffn.linear2.bias", l);
        WANT(1, C, 0, "decoder.layers.%d.norm2.gamma", l);
        WANT(1, C, 0, "decoder.layers.%d.norm2.beta", l);
    }
    if (cfg->norm == NORM_PRE) {
        WANT(1, C, 0, "decoder.norm.gamma");
        WANT(1, C, 0, "decoder.norm.beta");
    }
    WANT(2, V, C, "lm_head.weight"); /* written even when tied */
#undef WANT
    SafeTensors st;
    char err[512] = "";
    cr_assert_eq(safetensors_read_file(&st, path, "F32", err, sizeof err), 0, "%s", err);
    cr_expect_eq(st.num_tensors, n, "%s: %d tensors, issue 15 lists %d", path, st.num_tensors, n);
    for (int i = 0; i < n && i < st.num_tensors; i++) {
        const SafeTensor *t = &st.tensors[i];
        cr_expect_str_eq(t->name, want[i].name, "%s: tensor %d", path, i);
        cr_expect_eq(t->ndim, want[i].ndim, "%s", want[i].name);
        for (int d = 0; d < want[i].ndim; d++)
            cr_expect_eq(t->shape[d], want[i].shape[d], "%s dim %d", want[i].name, d);
    }
    safetensors_free(&st);
}

/* __metadata__ config task, norm, tie_embeddings, tokenizer, and the vocabulary. */
static void expect_lm_metadata(const char *path, const char *norm, bool tied,
                               const char *const *vocab, int V)
{
    SafeTensors st;
    char err[512] = "";
    cr_assert_eq(safetensors_read_file(&st, path, "F32", err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(safetensors_metadata(&st, "format"), CHECKPOINT_FORMAT);
    cJSON *cfg = cJSON_Parse(safetensors_metadata(&st, "config"));
    cr_assert_not_null(cfg);
    cr_expect_str_eq(cJSON_GetStringValue(item(cfg, "task")), "lm");
    cr_expect_str_eq(cJSON_GetStringValue(item(cfg, "norm")), norm);
    cr_expect(cJSON_IsBool(item(cfg, "tie_embeddings")));
    cr_expect_eq(cJSON_IsTrue(item(cfg, "tie_embeddings")), tied);
    cr_expect_str_eq(cJSON_GetStringValue(item(cfg, "tokenizer")), "char");
    cJSON_Delete(cfg);
    cJSON *words = cJSON_Parse(safetensors_metadata(&st, "vocab"));
    cr_assert_eq(cJSON_GetArraySize(words), V);
    for (int i = 0; i < V; i++)
        cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(words, i)), vocab[i]);
    cJSON_Delete(words);
    safetensors_free(&st);
}

/* ------------------------------------------------------------ forward */

/* The fixture's token rows (B, T) into ids; returns B (T through *T). */
static int read_tokens(const cJSON *rows, int *ids, int max, int *T)
{
    int B = cJSON_GetArraySize(rows);
    *T = cJSON_GetArraySize(cJSON_GetArrayItem(rows, 0));
    cr_assert(B > 0 && *T > 0 && B * *T <= max);
    for (int b = 0; b < B; b++) {
        const cJSON *row = cJSON_GetArrayItem(rows, b);
        cr_assert_eq(cJSON_GetArraySize(row), *T);
        for (int t = 0; t < *T; t++)
            ids[b * *T + t] = cJSON_GetArrayItem(row, t)->valueint;
    }
    return B;
}

/* Our logits (B, T, V) of the rows into logits, and their log-softmax into logp. */
static void c_forward(Model *m, const int *ids, int B, int T, float *logits, float *logp)
{
    const int V = m->cfg.vocab_size;
    Activations *a = activations_create(m, B, T);
    cr_assert_not_null(a);
    const float *out = model_forward(m, a, ids, B, T, NULL);
    cr_assert_not_null(out, "%s", model_forward_error(a));
    memcpy(logits, out, sizeof *logits * (size_t)(B * T * V));
    for (int r = 0; r < B * T; r++)
        for (int v = 0; v < V; v++)
            logp[r * V + v] = lm_log_softmax_at(logits + (size_t)r * V, V, v);
    activations_free(a);
}

/* The largest |ours - theirs| over a (B, T, V) nested array; NaN wins. */
static double max_diff(const float *ours, const cJSON *theirs, int B, int T, int V)
{
    double worst = 0.0;
    cr_assert_eq(cJSON_GetArraySize(theirs), B);
    for (int b = 0; b < B; b++) {
        const cJSON *seq = cJSON_GetArrayItem(theirs, b);
        cr_assert_eq(cJSON_GetArraySize(seq), T);
        for (int t = 0; t < T; t++) {
            const cJSON *row = cJSON_GetArrayItem(seq, t);
            cr_assert_eq(cJSON_GetArraySize(row), V);
            for (int v = 0; v < V; v++) {
                double d = fabs((double)ours[(b * T + t) * V + v] -
                                cJSON_GetArrayItem(row, v)->valuedouble);
                worst = d > worst || isnan(d) ? d : worst;
            }
        }
    }
    return worst;
}

/* ------------------------------------------------------------ PyTorch -> C */

static const char *const FIXTURE_VOCAB[] = {"<PAD>", "<UNK>", "\n", " ", "a", "b",
                                            "c", "d", "e", "n", "o", "t"};
#define FIXTURE_V 12

Test(interop_lm, torch_exports_load_with_their_names_and_give_torch_s_forward)
{
    for (int k = 0; k < NUM_TORCH_CASES; k++) {
        char name[64];
        snprintf(name, sizeof name, "interop_lm_%s.safetensors", TORCH_CASES[k]);
        const char *path = fixture(name);
        snprintf(name, sizeof name, "interop_lm_%s.json", TORCH_CASES[k]);
        cJSON *j = read_json(fixture(name));
        const cJSON *jc = item(j, "config");
        Checkpoint c;
        load(path, &c);
        const ModelConfig *cfg = &c.model->cfg;
        cr_expect_eq(cfg->task, MODEL_TASK_LM);
        cr_expect_eq(cfg->norm, strcmp(item(jc, "norm")->valuestring, "pre") == 0 ? NORM_PRE
                                                                                   : NORM_POST);
        cr_expect_eq(cfg->tie_embeddings, cJSON_IsTrue(item(jc, "tie_embeddings")));
        cr_expect_eq(cfg->pos_encoding, strcmp(item(jc, "pos_encoding")->valuestring,
                                               "learned") == 0 ? POS_ENCODING_LEARNED : POS_ENCODING_SINUSOIDAL);
        cr_expect_eq(c.tokenizer.kind, TOKENIZER_CHAR);
        cr_expect_eq(c.num_labels, 0);
        expect_lm_names(path, cfg);
        expect_lm_metadata(path, item(jc, "norm")->valuestring, cfg->tie_embeddings,
                           FIXTURE_VOCAB, FIXTURE_V);
        const cJSON *fw = item(j, "forward");
        int ids[64], T;
        int B = read_tokens(item(fw, "tokens"), ids, 64, &T);
        const int V = cfg->vocab_size;
        float *logits = malloc(sizeof *logits * (size_t)(2 * B * T * V)), *logp = logits + B * T * V;
        c_forward(c.model, ids, B, T, logits, logp);
        double dl = max_diff(logits, item(fw, "logits"), B, T, V);
        double dp = max_diff(logp, item(fw, "logprobs"), B, T, V);
        fprintf(stderr, "interop LM %s torch -> C: max |logit diff| %.3g, max |log p diff| %.3g\n",
                TORCH_CASES[k], dl, dp);
        cr_expect_leq(dl, FORWARD_TOLERANCE, "%s logits differ by %g", TORCH_CASES[k], dl);
        cr_expect_leq(dp, FORWARD_TOLERANCE, "%s log-probs differ by %g", TORCH_CASES[k], dp);
        free(logits);
        checkpoint_free(&c);
        cJSON_Delete(j);
    }
}

Test(interop_lm, torch_exports_give_torch_s_evaluation_figures)
{
    for (int k = 0; k < NUM_TORCH_CASES; k++) {
        char name[64];
        snprintf(name, sizeof name, "interop_lm_%s.json", TORCH_CASES[k]);
        cJSON *j = read_json(fixture(name));
        snprintf(name, sizeof name, "interop_lm_%s.safetensors", TORCH_CASES[k]);
        Checkpoint c;
        load(fixture(name), &c);
        const cJSON *want = item(j, "eval");
        const char *text = item(want, "text")->valuestring;
        LmStream s;
        LmEvalResult got;
        char err[512] = "";
        cr_assert_eq(lm_stream_encode(&s, &c.tokenizer, c.vocab, text, strlen(text), "eval text",
                                      err, sizeof err), 0, "%s", err);
        /* batch 2: the full blocks in pairs, the short last block on its own */
        cr_assert_eq(lm_evaluate_model(c.model, NULL, 2, &s, &got, err, sizeof err), 0, "%s", err);
        cr_expect_eq(got.tokens, (long)item(want, "tokens")->valuedouble);
        cr_expect_eq(got.chars, got.tokens, "char tokens: one character each");
        const double figures[3] = {got.loss, got.perplexity, got.bits_per_char};
        const char *keys[3] = {"loss", "perplexity", "bits_per_char"};
        for (int i = 0; i < 3; i++) {
            double torch = item(want, keys[i])->valuedouble;
            double rel = fabs(figures[i] - torch) / torch;
            fprintf(stderr, "interop LM %s eval %s: C %.9g torch %.9g (relative diff %.2g)\n",
                    TORCH_CASES[k], keys[i], figures[i], torch, rel);
            cr_expect_leq(rel, EVAL_TOLERANCE, "%s %s", TORCH_CASES[k], keys[i]);
        }
        lm_stream_free(&s);
        checkpoint_free(&c);
        cJSON_Delete(j);
    }
}

/* lm_generate at temperature 0 (the key/value cache, the sliding context) gives
 * the tokens PyTorch's full forwards chose, with their log-probabilities. */
Test(interop_lm, greedy_generation_continues_the_prompt_as_torch_does)
{
    for (int k = 0; k < NUM_TORCH_CASES; k++) {
        char name[64];
        snprintf(name, sizeof name, "interop_lm_%s.json", TORCH_CASES[k]);
        cJSON *j = read_json(fixture(name));
        snprintf(name, sizeof name, "interop_lm_%s.safetensors", TORCH_CASES[k]);
        Checkpoint c;
        load(fixture(name), &c);
        const cJSON *want = item(j, "greedy");
        const cJSON *tokens = item(want, "tokens"), *logprobs = item(want, "logprobs");
        const int n = cJSON_GetArraySize(tokens);
        cr_assert_gt(n, 2 * c.model->cfg.max_len, "long enough to slide the context twice");
        GenerateSpec spec = {.prompt = item(want, "prompt")->valuestring, .tokens = n,
                             .sampling = {.temperature = 0.0f, .top_k = 0, .top_p = 1.0f},
                             .seed = 1};
        GenerateResult g;
        char err[512] = "";
        cr_assert_eq(lm_generate(c.model, &c.tokenizer, c.vocab, &spec, NULL, NULL, &g, err,
                                 sizeof err), 0, "%s", err);
        cr_assert_eq(g.n, n);
        double worst = 0.0;
        for (int i = 0; i < n; i++) {
            cr_expect_eq(g.ids[i], cJSON_GetArrayItem(tokens, i)->valueint, "%s token %d",
                         TORCH_CASES[k], i);
            double d = fabs((double)g.logprobs[i] - cJSON_GetArrayItem(logprobs, i)->valuedouble);
            worst = d > worst || isnan(d) ? d : worst;
        }
        fprintf(stderr, "interop LM %s greedy: %d tokens \"%s\", max |log p diff| %.3g\n",
                TORCH_CASES[k], n, g.text, worst);
        cr_expect_leq(worst, FORWARD_TOLERANCE);
        generate_result_free(&g);
        checkpoint_free(&c);
        cJSON_Delete(j);
    }
}

/* ------------------------------------------------------------ bytes */

static size_t header_end(const unsigned char *buf)
{
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | buf[i];
    return 8 + (size_t)n;
}

/* Distance in units in the last place between two finite floats. */
static uint32_t ulps_apart(float x, float y)
{
    int32_t i, j;
    memcpy(&i, &x, 4);
    memcpy(&j, &y, 4);
    if (i < 0)
        i = INT32_MIN - i;
    if (j < 0)
        j = INT32_MIN - j;
    return i > j ? (uint32_t)i - (uint32_t)j : (uint32_t)j - (uint32_t)i;
}

/* Two files that must be the same bytes (header included) but for the sinusoid
 * buffer "decoder.pos_encoding.pe", which goes through sin/cos (libm's sinf and
 * cosf, or torch's): those values are compared here and the largest distance
 * in ulps returned (0 when the model has a learned table). */
static uint32_t same_bytes_but_sinusoid(const char *path_a, const char *path_b)
{
    size_t n1, n2;
    unsigned char *a = read_file(path_a, &n1), *b = read_file(path_b, &n2);
    cr_assert_eq(n1, n2, "%s: %zu bytes, %s: %zu", path_a, n1, path_b, n2);
    size_t hdr = header_end(a);
    cr_expect_eq(memcmp(a, b, hdr), 0, "headers differ: %s, %s", path_a, path_b);
    SafeTensors st;
    char err[512] = "";
    cr_assert_eq(safetensors_parse(&st, a, n1, path_a, "F32", err, sizeof err), 0, "%s", err);
    const SafeTensor *pe = safetensors_find(&st, "decoder.pos_encoding.pe");
    size_t pe_begin = pe ? hdr + pe->begin : n1, pe_end = pe ? hdr + pe->end : n1;
    safetensors_free(&st);
    cr_expect_eq(memcmp(a + hdr, b + hdr, pe_begin - hdr), 0, "embedding bytes differ");
    cr_expect_eq(memcmp(a + pe_end, b + pe_end, n1 - pe_end), 0, "parameter bytes differ");
    uint32_t worst = 0;
    for (size_t i = pe_begin; i < pe_end; i += 4) {
        float x, y;
        memcpy(&x, a + i, 4);
        memcpy(&y, b + i, 4);
        uint32_t d = ulps_apart(x, y);
        worst = d > worst ? d : worst;
    }
    free(a);
    free(b);
    return worst;
}

/* Our save of what we loaded from PyTorch: the same bytes, as our writer and
 * tools/decoder_model.py's write_safetensors lay the file out alike. */
Test(interop_lm, resave_of_torch_exports_is_the_same_bytes)
{
    for (int k = 0; k < NUM_TORCH_CASES; k++) {
        char name[64];
        snprintf(name, sizeof name, "interop_lm_%s.safetensors", TORCH_CASES[k]);
        const char *exported = fixture(name);
        Checkpoint c;
        load(exported, &c);
        char err[512] = "";
        const char *resaved = rel_path("resaved.safetensors");
        cr_assert_eq(checkpoint_save(resaved, c.model, &c.tokenizer, c.vocab,
                                     (const char *const *)c.labels, c.num_labels, err, sizeof err),
                     0, "%s", err);
        checkpoint_free(&c);
        uint32_t ulps = same_bytes_but_sinusoid(exported, resaved);
        fprintf(stderr, "interop LM %s re-saved: sinusoid buffer torch vs C max %u ulp\n",
                TORCH_CASES[k], ulps);
        cr_expect_leq(ulps, 1u, "%s", TORCH_CASES[k]);
    }
}

/* ------------------------------------------------------------ C -> PyTorch */

/* splitmix64 of the index: values that depend on nothing else (no libm, no RNG
 * implementation), so that the saved file is the same bytes on every machine. */
static float hash_uniform(uint64_t i)
{
    uint64_t z = i * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)(int32_t)(uint32_t)(z >> 32) * 0x1p-31f; /* [-1, 1) */
}

/* The model behind tests/fixtures/interop_lm_c.safetensors: a pre-norm, tied
 * character LM with the sinusoidal encoding and the workshop LayerNorm (the
 * combination the PyTorch exports above do not have), its parameters from
 * hash_uniform (gammas around 1). */
static Model *c_fixture_model(void)
{
    ModelConfig cfg = model_config_default();
    cfg.task = MODEL_TASK_LM;
    cfg.norm = NORM_PRE;
    cfg.tie_embeddings = true;
    cfg.pos_encoding = POS_ENCODING_SINUSOIDAL;
    cfg.layernorm = LAYERNORM_WORKSHOP;
    cfg.vocab_size = FIXTURE_V;
    cfg.d_model = 4;
    cfg.num_heads = 2;
    cfg.d_ff = 8;
    cfg.num_layers = 2;
    cfg.max_len = 8;
    cfg.num_classes = 0;
    Rng rng;
    rng_seed(&rng, 7);
    char err[512] = "";
    Model *m = model_create(&cfg, &rng, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    for (int i = 0; i < m->num_views; i++) {
        const ParamView *v = &m->views[i];
        if (v->role == PARAM_LM_HEAD)
            continue; /* tied: the embedding's floats */
        bool gamma = strstr(v->name, ".gamma") != NULL;
        for (size_t j = 0; j < v->numel; j++) {
            float u = hash_uniform(2025 + v->offset + j);
            m->params[v->offset + j] = gamma ? 1.0f + 0.3f * u : 0.8f * u;
        }
    }
    return m;
}

static void save_c_fixture(const char *path)
{
    char err[512] = "";
    Model *m = c_fixture_model();
    Vocab *v = vocab_from_list(FIXTURE_VOCAB, FIXTURE_V, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    const TokenizerConfig tc = {TOKENIZER_CHAR, false};
    cr_assert_eq(checkpoint_save(path, m, &tc, v, NULL, 0, err, sizeof err), 0, "%s", err);
    vocab_free(v);
    model_free(m);
}

/* The rows whose log-probs interop_lm_c.json records: one of max_len tokens,
 * <UNK> and all, one more. */
static const int C_TOKENS[2][8] = {{4, 3, 6, 4, 11, 3, 1, 2}, {9, 10, 11, 2, 8, 5, 7, 3}};

static cJSON *nested_array(const float *values, int B, int T, int V)
{
    cJSON *outer = cJSON_CreateArray();
    for (int b = 0; b < B; b++) {
        cJSON *seq = cJSON_CreateArray();
        for (int t = 0; t < T; t++) {
            cJSON *row = cJSON_CreateArray();
            for (int v = 0; v < V; v++)
                cJSON_AddItemToArray(row, cJSON_CreateNumber(values[(b * T + t) * V + v]));
            cJSON_AddItemToArray(seq, row);
        }
        cJSON_AddItemToArray(outer, seq);
    }
    return outer;
}

/* interop_lm_c.json: the tokens and our log-probs, for make_interop_lm.py --check. */
static void write_c_forward(const char *path)
{
    Checkpoint c;
    load(fixture("interop_lm_c.safetensors"), &c);
    const int V = c.model->cfg.vocab_size;
    float logits[2 * 8 * FIXTURE_V], logp[2 * 8 * FIXTURE_V];
    c_forward(c.model, &C_TOKENS[0][0], 2, 8, logits, logp);
    cJSON *o = cJSON_CreateObject();
    cJSON *tokens = cJSON_AddArrayToObject(o, "tokens");
    for (int b = 0; b < 2; b++)
        cJSON_AddItemToArray(tokens, cJSON_CreateIntArray(C_TOKENS[b], 8));
    cJSON_AddItemToObject(o, "logprobs", nested_array(logp, 2, 8, V));
    cJSON_AddStringToObject(o, "made_by", "tests/checkpoint/test_interop_lm.c with "
                                          "MINILLM_WRITE_FIXTURES=1 (checkpoint_load, model_forward)");
    char *text = cJSON_Print(o);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_geq(fprintf(f, "%s\n", text), 0);
    cr_assert_eq(fclose(f), 0);
    free(text);
    cJSON_Delete(o);
    checkpoint_free(&c);
}

Test(interop_lm, c_save_is_the_committed_fixture)
{
    const char *committed = fixture("interop_lm_c.safetensors");
    if (getenv("MINILLM_WRITE_FIXTURES")) {
        save_c_fixture(committed);
        write_c_forward(fixture("interop_lm_c.json"));
        fprintf(stderr, "wrote %s and interop_lm_c.json; now run "
                        "/usr/bin/python3 tools/make_interop_lm.py --check\n", committed);
    }
    const char *fresh = rel_path("interop_lm_c.safetensors");
    save_c_fixture(fresh);
    /* the same libm call on another machine: within one ulp */
    uint32_t ulps = same_bytes_but_sinusoid(committed, fresh);
    fprintf(stderr, "interop LM C save: sinusoid buffer committed vs this machine max %u ulp\n",
            ulps);
    cr_expect_leq(ulps, 1u);
}

Test(interop_lm, c_fixture_has_the_issue_s_names_and_metadata)
{
    const char *path = fixture("interop_lm_c.safetensors");
    Checkpoint c;
    load(path, &c);
    cr_expect_eq(c.model->cfg.norm, NORM_PRE);
    cr_expect(c.model->cfg.tie_embeddings);
    expect_lm_names(path, &c.model->cfg);
    expect_lm_metadata(path, "pre", true, FIXTURE_VOCAB, FIXTURE_V);
    checkpoint_free(&c);
    /* a tied head is written in full, equal to the embedding */
    SafeTensors st;
    char err[512] = "";
    cr_assert_eq(safetensors_read_file(&st, path, "F32", err, sizeof err), 0, "%s", err);
    const SafeTensor *emb = safetensors_find(&st, "decoder.embedding.weight");
    const SafeTensor *head = safetensors_find(&st, "lm_head.weight");
    cr_assert(emb && head && emb->numel == head->numel);
    cr_expect_eq(memcmp(emb->data, head->data, emb->end - emb->begin), 0);
    safetensors_free(&st);
}

/* Our forward of the committed file against the C values recorded with it and
 * against PyTorch's after its strict load (make_interop_lm.py --check). */
Test(interop_lm, c_fixture_gives_the_recorded_and_torch_s_log_probs)
{
    Checkpoint c;
    load(fixture("interop_lm_c.safetensors"), &c);
    const char *files[2] = {"interop_lm_c.json", "interop_lm_c_torch.json"};
    for (int k = 0; k < 2; k++) {
        cJSON *j = read_json(fixture(files[k]));
        const char *made_by = cJSON_GetStringValue(item(j, "made_by"));
        cr_assert(made_by && (k == 0 || strstr(made_by, "strict=True")),
                  "%s must come from PyTorch's strict load", files[k]);
        int ids[64], T;
        int B = read_tokens(item(j, "tokens"), ids, 64, &T);
        cr_assert_eq(memcmp(ids, C_TOKENS, sizeof C_TOKENS), 0, "%s: other tokens", files[k]);
        const int V = c.model->cfg.vocab_size;
        float logits[2 * 8 * FIXTURE_V], logp[2 * 8 * FIXTURE_V];
        c_forward(c.model, ids, B, T, logits, logp);
        double d = max_diff(logp, item(j, "logprobs"), B, T, V);
        fprintf(stderr, "interop LM C -> %s: max |log p diff| %.3g\n", files[k], d);
        cr_expect_leq(d, FORWARD_TOLERANCE, "%s: %g", files[k], d);
        cJSON_Delete(j);
    }
    checkpoint_free(&c);
}
