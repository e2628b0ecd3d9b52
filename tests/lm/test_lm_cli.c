/* The language model on the command line, in-process: train with task = lm,
 * `generate` (streamed text, --json, same seed same text, usage errors) and
 * `eval` of a language model (text and --json). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"

typedef struct {
    int rc;
    char *out, *err;
} Out;

static Out run_argv(int argc, const char **argv)
{
    Out r = {0};
    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream(&r.out, &out_len), *err = open_memstream(&r.err, &err_len);
    cr_assert(out && err);
    r.rc = cli_main(argc, (char **)argv, out, err, NULL);
    fclose(out);
    fclose(err);
    return r;
}

static void out_free(Out *r)
{
    free(r->out);
    free(r->err);
}

#define RUN(...) run_argv((int)(sizeof((const char *[]){"minillm-tui", __VA_ARGS__}) / \
                                sizeof(const char *)), (const char *[]){"minillm-tui", __VA_ARGS__})

static char dir[64], ckpt[128];

/* A tiny language model trained for 30 steps on the embedded text, saved once. */
static void train_tiny(void)
{
    snprintf(dir, sizeof dir, "/tmp/minillm-lmcli-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(ckpt, sizeof ckpt, "%s/lm.safetensors", dir);
    Out r = RUN("train", "--quiet", "--save", ckpt, "--set", "model.task=lm", "--set",
                "data.tokenizer=char", "--set", "data.lowercase=false", "--set", "model.d_model=32",
                "--set", "model.num_heads=2", "--set", "model.d_ff=64", "--set", "model.max_len=16",
                "--set", "train.max_steps=30", "--set", "train.batch_size=8", "--set",
                "train.threads=1", "--set", "train.embedding_init_std=0.1");
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "trained 30 steps") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "bits/char") != NULL, "%s", r.out);
    out_free(&r);
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(lm_cli, .init = train_tiny, .fini = remove_dir);

Test(lm_cli, generate_streams_the_prompt_and_its_continuation)
{
    Out a = RUN("generate", "--checkpoint", ckpt, "--prompt", "The cat", "--tokens", "40",
                "--seed", "3");
    Out b = RUN("generate", "--checkpoint", ckpt, "--prompt", "The cat", "--tokens", "40",
                "--seed", "3");
    cr_assert_eq(a.rc, 0, "%s", a.err);
    cr_expect_str_eq(a.out, b.out, "same seed, same text");
    cr_expect_eq(strncmp(a.out, "The cat", 7), 0, "%s", a.out);
    out_free(&a);
    out_free(&b);
}

Test(lm_cli, generate_json_has_prompt_text_tokens_and_logprobs)
{
    Out r = RUN("generate", "--checkpoint", ckpt, "--prompt", "We", "--tokens", "25", "--top-k",
                "5", "--temperature", "0.7", "--json");
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cJSON *o = cJSON_Parse(r.out);
    cr_assert_not_null(o, "%s", r.out);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(o, "prompt")), "We");
    const cJSON *tokens = cJSON_GetObjectItem(o, "tokens"), *logprobs = cJSON_GetObjectItem(o, "logprobs");
    cr_assert_eq(cJSON_GetArraySize(tokens), 25);
    cr_assert_eq(cJSON_GetArraySize(logprobs), 25);
    /* The text is its tokens' text, one after the other. */
    char joined[256] = "";
    for (int i = 0; i < 25; i++) {
        strcat(joined, cJSON_GetStringValue(cJSON_GetArrayItem(tokens, i)));
        double lp = cJSON_GetNumberValue(cJSON_GetArrayItem(logprobs, i));
        cr_expect(lp <= 0 && isfinite(lp), "logprob %d = %g", i, lp);
    }
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(o, "text")), joined);
    cJSON_Delete(o);
    out_free(&r);
}

Test(lm_cli, eval_reports_loss_perplexity_and_bits_per_char)
{
    Out t = RUN("eval", "--checkpoint", ckpt);
    cr_assert_eq(t.rc, 0, "%s", t.err);
    cr_expect(strstr(t.out, "embedded text (last 5 %)") != NULL, "%s", t.out);
    cr_expect(strstr(t.out, "bits/char") != NULL, "%s", t.out);
    Out j = RUN("eval", "--checkpoint", ckpt, "--json");
    cr_assert_eq(j.rc, 0, "%s", j.err);
    cJSON *o = cJSON_Parse(j.out);
    cr_assert_not_null(o, "%s", j.out);
    double loss = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "loss"));
    cr_expect_float_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "perplexity")), exp(loss), 1e-4);
    cr_expect_float_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "bits_per_char")),
                       loss / log(2.0), 1e-5);
    cr_expect_gt(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "tokens")), 500);
    cJSON_Delete(o);
    out_free(&t);
    out_free(&j);
}

Test(lm_cli, generate_errors)
{
    Out r = RUN("generate", "--prompt", "x");
    cr_expect_eq(r.rc, CLI_EXIT_USAGE);
    cr_expect(strstr(r.err, "--checkpoint FILE is required") != NULL, "%s", r.err);
    out_free(&r);
    r = RUN("generate", "--checkpoint", ckpt, "--top-p", "1.5");
    cr_expect_eq(r.rc, CLI_EXIT_USAGE, "%s", r.err);
    out_free(&r);
    char classifier[160];
    snprintf(classifier, sizeof classifier, "%s/cls.safetensors", dir);
    r = RUN("train", "--quiet", "--epochs", "1", "--save", classifier);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    out_free(&r);
    r = RUN("generate", "--checkpoint", classifier);
    cr_expect_eq(r.rc, CLI_EXIT_FAILURE);
    cr_expect(strstr(r.err, "a classifier (task classify) does not write text") != NULL, "%s",
              r.err);
    out_free(&r);
    r = RUN("predict", "--checkpoint", ckpt, "the film");
    cr_expect_eq(r.rc, CLI_EXIT_FAILURE);
    cr_expect(strstr(r.err, "a language model (task lm) has no classes to predict") != NULL, "%s",
              r.err);
    out_free(&r);
}
