/* Issue 14 at the command line (cli_main in-process): outputs whose every write
 * is checked and whose targets are checked before the run (--metrics, --save),
 * models whose output is NaN or infinite refused by eval and predict with a
 * message instead of numbers, and predict --json valid whatever bytes come in. */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "rel_util.h"
#include "text.h"

TestSuite(commands, .init = rel_tmp_make, .fini = rel_tmp_remove, .timeout = 60);

typedef struct {
    int rc;
    char *out, *err;
} Result;

static void result_free(Result *r)
{
    free(r->out);
    free(r->err);
}

/* cli_main, or cli_predict with `in` on its standard input. */
static Result run_argv(const char *in, int argc, const char **argv)
{
    Result r = {0};
    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream(&r.out, &out_len), *err = open_memstream(&r.err, &err_len);
    cr_assert(out && err);
    if (in) {
        FILE *fin = fmemopen((void *)in, strlen(in), "r");
        cr_assert_not_null(fin);
        r.rc = cli_predict(argc - 1, (char **)argv + 1, fin, out, err);
        fclose(fin);
    } else {
        r.rc = cli_main(argc, (char **)argv, out, err, NULL);
    }
    fclose(out);
    fclose(err);
    return r;
}

#define ARGS(...) (const char *[]){"minillm-tui", __VA_ARGS__}
#define NARGS(...) (int)(sizeof(ARGS(__VA_ARGS__)) / sizeof(const char *))
#define RUN(...) run_argv(NULL, NARGS(__VA_ARGS__), ARGS(__VA_ARGS__))
#define RUN_IN(in, ...) run_argv(in, NARGS(__VA_ARGS__), ARGS(__VA_ARGS__))

#define SMALL "--set", "model.d_model=16", "--set", "model.num_heads=2", "--set", "model.d_ff=32", \
              "--set", "model.num_layers=1", "--batch-size", "16"

/* -------------------------------------------------------------- outputs */

Test(commands, metrics_on_a_full_device_fails_before_training)
{
    Result r = RUN("train", SMALL, "--epochs", "1", "--metrics", "/dev/full");
    cr_expect_eq(r.rc, 1, "%s", r.err);
    cr_expect(strstr(r.err, "/dev/full: write failed: No space left on device"), "%s", r.err);
    cr_expect_null(strstr(r.out, "training on"), "refused before training: %s", r.out);
    result_free(&r);
}

/* Standard output on a full device: the command fails, naming the write error
 * (it printed nothing and exited 0). */
Test(commands, a_failed_standard_output_is_an_error)
{
    const char *argv[] = {"minillm-tui", "--help"};
    FILE *full = fopen("/dev/full", "w");
    if (!full)
        cr_skip_test("no /dev/full here");
    char *err_text = NULL;
    size_t err_len = 0;
    FILE *err = open_memstream(&err_text, &err_len);
    cr_assert_not_null(err);
    int rc = cli_main(2, (char **)argv, full, err, NULL);
    fclose(full);
    fclose(err);
    cr_expect_eq(rc, 1);
    cr_expect(strstr(err_text, "standard output: write failed: No space left on device"), "%s",
              err_text);
    free(err_text);
}

Test(commands, a_bad_save_target_fails_before_training)
{
    const char *cases[][2] = {
        {"--save", "/nonexistent-dir/m.safetensors"},
        {"--save", "/dev/null"},
        {"--save-best", "/tmp"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Result r = RUN("train", SMALL, "--epochs", "1", cases[i][0], cases[i][1]);
        cr_expect_eq(r.rc, 1, "%s: %s", cases[i][1], r.err);
        cr_expect(strncmp(r.err, "minillm-tui train: ", 19) == 0 &&
                  strstr(r.err, cases[i][1]), "names the path: %s", r.err);
        cr_expect_null(strstr(r.out, "training on"), "refused before training: %s", r.out);
        result_free(&r);
    }
}

/* A write that fails in the middle of the run (a file size limit: EFBIG) stops
 * training at once with the path and the step, exit 1. */
Test(commands, a_metrics_write_failing_mid_run_stops_with_a_message)
{
    signal(SIGXFSZ, SIG_IGN); /* the write fails with EFBIG instead of killing */
    const struct rlimit lim = {16384, 16384}; /* 16 KiB: about 260 of the 2,200 rows */
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    char metrics[128];
    snprintf(metrics, sizeof metrics, "%s", rel_path("metrics.csv"));
    Result r = RUN("train", SMALL, "--epochs", "100", "--quiet", "--metrics", metrics);
    cr_expect_eq(r.rc, 1, "%s", r.err);
    char want[200];
    snprintf(want, sizeof want, "%s: write failed: File too large (training stopped after step ",
             metrics);
    const char *at = strstr(r.err, want);
    cr_assert(at, "%s", r.err);
    long step = atol(at + strlen(want));
    cr_expect(step > 0 && step < 2200, "stopped before the end (2,200 steps): step %ld", step);
    /* at the first failed write: the last whole row in the file is at most one
     * stdio buffer (4 KiB, about 70 rows) before the step reported */
    size_t len;
    char *text = (char *)rel_read(metrics, &len);
    cr_assert_not_null(text);
    cr_expect_eq(len, 16384, "the file filled up to the limit");
    char *last = NULL;
    for (char *nl = strchr(text, '\n'); nl && nl[1]; nl = strchr(nl + 1, '\n'))
        last = nl + 1; /* the start of the last line: cut by the limit */
    cr_assert_not_null(last);
    *last = '\0';
    char *prev = strrchr(text, '\n');
    while (prev > text && prev[-1] != '\n')
        prev--;
    long last_row = atol(prev);
    cr_expect(last_row > 0 && step - last_row <= 80, "last whole row step %ld, reported %ld",
              last_row, step);
    free(text);
    cr_expect(strstr(r.out, "trained"), "the summary still comes: %s", r.out);
    result_free(&r);
}

/* ------------------------------------------------- non-finite outputs */

/* A checkpoint that loads (every weight finite) but whose embeddings, scaled by
 * sqrt(d_model) in the forward, overflow: NaN logits for every sentence. */
static const char *overflowing_checkpoint(void)
{
    static char path[128];
    snprintf(path, sizeof path, "%s", rel_path("huge.safetensors"));
    RelModel m = rel_model_make(5);
    ModelWeights w = model_params(m.model);
    for (int i = 0; i < m.model->cfg.vocab_size * m.model->cfg.d_model; i++)
        w.tok_emb[i] = 3e38f;
    rel_model_save(&m, path);
    rel_model_free(&m);
    return path;
}

Test(commands, predict_refuses_non_finite_logits)
{
    const char *path = overflowing_checkpoint();
    const char *modes[] = {"--attention", "--json"};
    for (int i = 0; i < 2; i++) {
        Result r = RUN("predict", "--checkpoint", path, modes[i], "a good movie");
        cr_expect_eq(r.rc, 1, "%s", r.err);
        cr_expect(strstr(r.err, "huge.safetensors: the model's output (logits) is NaN or infinite "
                                "on sentence 1: no prediction"), "%s", r.err);
        cr_expect_null(strstr(r.out, "nan"), "no NaN printed: %s", r.out);
        result_free(&r);
    }
}

Test(commands, eval_refuses_non_finite_logits)
{
    const char *path = overflowing_checkpoint();
    const char *data = rel_path("eval.tsv");
    const char text[] = "sentence\tlabel\ngood movie\tpositive\nbad movie\tnegative\n";
    rel_write(data, text, sizeof text - 1);
    const char *modes[] = {"--json", NULL};
    for (int i = 0; i < 2; i++) {
        Result r = modes[i] ? RUN("eval", "--checkpoint", path, "--data", data, modes[i])
                            : RUN("eval", "--checkpoint", path, "--data", data);
        cr_expect_eq(r.rc, 1, "%s", r.err);
        cr_expect(strstr(r.err, "the model's output (logits) is NaN or infinite on sentence 1 of "
                                "the 2 read from"), "%s", r.err);
        cr_expect_null(strstr(r.out, "accuracy"), "no figures: %s", r.out);
        result_free(&r);
    }
}

/* ---------------------------------------------------------- JSON text */

Test(commands, predict_json_stays_valid_utf8)
{
    const char *path = rel_path("m.safetensors");
    RelModel m = rel_model_make(9);
    rel_model_save(&m, path);
    rel_model_free(&m);
    /* a Latin-1 byte, a truncated sequence, an overlong slash, and valid UTF-8 */
    const char *in = "caf\xe9 good\n\xc3 movie \xc0\xaf\ngood \xc3\xa9t\xc3\xa9\n";
    Result r = RUN_IN(in, "predict", "--checkpoint", path, "--json", "--attention");
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect(utf8_valid(r.out, strlen(r.out)), "invalid UTF-8 in the JSON: %s", r.out);
    cr_expect(strstr(r.out, "\"caf\xef\xbf\xbd good\""), "%s", r.out);
    cr_expect(strstr(r.out, "\"\xef\xbf\xbd movie \xef\xbf\xbd\xef\xbf\xbd\""), "%s", r.out);
    cr_expect(strstr(r.out, "\"good \xc3\xa9t\xc3\xa9\""), "valid text unchanged: %s", r.out);
    result_free(&r);
}
