/* `predict --attention --internals --json` against the notebook's PyTorch model:
 * the fixtures tests/fixtures/internals_<case>.{safetensors,json} were written by
 * tools/make_internals.py (the state_dict, and the scores, weights, q, k, v, layer
 * outputs, pooled vector and logits torch computes for a few sentences). Every
 * number must agree within 1e-4; the largest difference of each field is logged.
 * The text output of --internals is checked against the same JSON. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define TOLERANCE 1e-4

typedef struct {
    int rc;
    char *out, *err;
} Output;

static Output run_predict(int argc, const char **argv)
{
    Output r = {0};
    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream(&r.out, &out_len), *err = open_memstream(&r.err, &err_len);
    cr_assert(out && err);
    r.rc = cli_main(argc, (char **)argv, out, err, NULL);
    fclose(out);
    fclose(err);
    return r;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

static void fixture_path(char *out, size_t len, const char *name)
{
    const char *root = getenv("MINILLM_SOURCE_ROOT");
    if (!root)
        cr_skip_test("MINILLM_SOURCE_ROOT is not set (run through meson test)");
    snprintf(out, len, "%s/tests/fixtures/%s", root, name);
}

/* Largest |want - have| over two nested arrays of numbers of the same shape;
 * a shape difference fails the test, naming where. */
static double max_diff(const cJSON *want, const cJSON *have, const char *where)
{
    if (cJSON_IsNumber(want)) {
        cr_assert(cJSON_IsNumber(have), "%s: a number expected", where);
        return fabs(want->valuedouble - have->valuedouble);
    }
    cr_assert(cJSON_IsArray(want) && cJSON_IsArray(have), "%s: an array expected", where);
    cr_assert_eq(cJSON_GetArraySize(have), cJSON_GetArraySize(want), "%s: %d entries, not %d",
                 where, cJSON_GetArraySize(have), cJSON_GetArraySize(want));
    double worst = 0.0;
    for (int i = 0; i < cJSON_GetArraySize(want); i++) {
        char inner[256];
        snprintf(inner, sizeof inner, "%s[%d]", where, i);
        worst = fmax(worst, max_diff(cJSON_GetArrayItem(want, i), cJSON_GetArrayItem(have, i), inner));
    }
    return worst;
}

/* predict --json --attention --internals on the fixture's sentences; every
 * field against torch's. */
static void check_case(const char *name)
{
    char ckpt[1024], ref_path[1024], file[64];
    snprintf(file, sizeof file, "internals_%s.safetensors", name);
    fixture_path(ckpt, sizeof ckpt, file);
    snprintf(file, sizeof file, "internals_%s.json", name);
    fixture_path(ref_path, sizeof ref_path, file);
    char *text = read_text(ref_path);
    cJSON *ref = cJSON_Parse(text);
    free(text);
    cr_assert_not_null(ref, "%s is not JSON", ref_path);
    const cJSON *sentences = cJSON_GetObjectItem(ref, "sentences");
    const cJSON *cases = cJSON_GetObjectItem(ref, "cases");
    int n = cJSON_GetArraySize(sentences);
    const char *argv[32] = {"minillm-tui", "predict", "--checkpoint", ckpt, "--json", "--attention",
                            "--internals"};
    int argc = 7;
    for (int i = 0; i < n && argc < 32; i++)
        argv[argc++] = cJSON_GetArrayItem(sentences, i)->valuestring;
    Output r = run_predict(argc, argv);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cJSON *got = cJSON_Parse(r.out);
    cr_assert_not_null(got, "not JSON: %.300s", r.out);
    static const char *const fields[] = {"scores", "attention", "q", "k", "v", "residual",
                                         "pooled", "logits", "probs"};
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
        const cJSON *have = cJSON_GetObjectItem(got, fields[f]);
        cr_assert_not_null(have, "no \"%s\" in the output", fields[f]);
        double worst = 0.0;
        for (int i = 0; i < n; i++) {
            char where[64];
            snprintf(where, sizeof where, "%s %s[%d]", name, fields[f], i);
            const cJSON *want = cJSON_GetObjectItem(cJSON_GetArrayItem(cases, i), fields[f]);
            worst = fmax(worst, max_diff(want, cJSON_GetArrayItem(have, i), where));
        }
        cr_log_info("%s %-9s max |C - torch| = %.2e", name, fields[f], worst);
        fprintf(stderr, "%s %-9s max |C - torch| = %.2e\n", name, fields[f], worst);
        cr_expect_leq(worst, TOLERANCE, "%s: \"%s\" differs from torch by %.3g", name, fields[f],
                      worst);
    }
    /* the token ids fed are torch's: the tokens' count and padding */
    const cJSON *tokens = cJSON_GetObjectItem(got, "tokens");
    for (int i = 0; i < n; i++) {
        const cJSON *want = cJSON_GetObjectItem(cJSON_GetArrayItem(cases, i), "tokens");
        cr_expect_eq(cJSON_GetArraySize(cJSON_GetArrayItem(tokens, i)), cJSON_GetArraySize(want),
                     "%s sentence %d: tokens fed", name, i);
    }
    cJSON_Delete(got);
    cJSON_Delete(ref);
    free(r.out);
    free(r.err);
}

Test(internals, notebook_model_matches_pytorch)
{
    check_case("notebook");
}

Test(internals, causal_model_matches_pytorch)
{
    check_case("causal");
}

/* The text output: the logits line and one norm per token and layer, the
 * numbers of the JSON's logits and residual. */
Test(internals, text_prints_the_logits_and_layer_norms)
{
    char ckpt[1024];
    fixture_path(ckpt, sizeof ckpt, "internals_causal.safetensors");
    const char *text_argv[] = {"minillm-tui", "predict", "--checkpoint", ckpt, "--internals",
                               "a great movie"};
    Output t = run_predict(6, text_argv);
    cr_assert_eq(t.rc, 0, "%s", t.err);
    const char *json_argv[] = {"minillm-tui", "predict", "--checkpoint", ckpt, "--internals",
                               "--json", "a great movie"};
    Output j = run_predict(7, json_argv);
    cr_assert_eq(j.rc, 0, "%s", j.err);
    cJSON *got = cJSON_Parse(j.out);
    cr_assert_not_null(got);
    const cJSON *logits = cJSON_GetArrayItem(cJSON_GetObjectItem(got, "logits"), 0);
    char want[128];
    snprintf(want, sizeof want, "logits:  negative %.4f  neutral %.4f",
             cJSON_GetArrayItem(logits, 0)->valuedouble, cJSON_GetArrayItem(logits, 1)->valuedouble);
    cr_expect(strstr(t.out, want), "no '%s' in:\n%s", want, t.out);
    cr_expect(strstr(t.out, "tokens: a great movie\n"), "%s", t.out);
    const cJSON *layer2 = cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItem(got, "residual"),
                                                                0), 1);
    double ss = 0.0;
    const cJSON *row = cJSON_GetArrayItem(layer2, 2);
    for (int i = 0; i < cJSON_GetArraySize(row); i++)
        ss += cJSON_GetArrayItem(row, i)->valuedouble * cJSON_GetArrayItem(row, i)->valuedouble;
    const char *line = strstr(t.out, "layer 2/2 output norm per token:");
    cr_assert_not_null(line, "%s", t.out);
    double n0, n1, n2;
    cr_assert_eq(sscanf(line, "layer 2/2 output norm per token: %lf %lf %lf", &n0, &n1, &n2), 3);
    cr_expect(fabs(n2 - sqrt(ss)) < 1e-3, "norm of 'movie' after layer 2: %g vs %g", n2, sqrt(ss));
    cJSON_Delete(got);
    free(t.out);
    free(t.err);
    free(j.out);
    free(j.err);
}
