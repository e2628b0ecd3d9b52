/* The command line: train on the embedded data, save, predict, evaluate (in-process,
 * outputs parsed with cJSON), learn and use a BPE tokenizer, usage and file errors
 * with their exit codes, --help, and the real binary run through fork/exec. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli.h"

/* A small model that still learns the toy data: the tests stay fast. */
#define SMALL_MODEL "--set", "model.d_model=32", "--set", "model.num_heads=2", "--set", \
                    "model.d_ff=64", "--set", "model.num_layers=2"

typedef struct {
    int rc;
    char *out;
    char *err;
} Run;

static void run_free(Run *r)
{
    free(r->out);
    free(r->err);
}

/* cli_main in-process; `in` (may be NULL, else not empty) is the standard input of the
 * predict or tokenize command. */
static Run run_argv(const char *in, int argc, const char **argv)
{
    Run r = {0};
    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream(&r.out, &out_len);
    FILE *err = open_memstream(&r.err, &err_len);
    cr_assert(out && err);
    char **args = (char **)argv;
    if (in) {
        FILE *fin = fmemopen((void *)in, strlen(in), "r");
        cr_assert_not_null(fin);
        if (strcmp(argv[1], "predict") == 0)
            r.rc = cli_predict(argc - 1, args + 1, fin, out, err);
        else if (strcmp(argv[1], "tokenize") == 0)
            r.rc = cli_tokenize(argc - 1, args + 1, fin, out, err);
        else
            cr_assert_fail("%s reads no standard input", argv[1]);
        fclose(fin);
    } else {
        r.rc = cli_main(argc, args, out, err, NULL);
    }
    fclose(out);
    fclose(err);
    return r;
}

#define RUN(...) run_argv(NULL, (int)(sizeof((const char *[]){"minillm-tui", __VA_ARGS__}) / \
                                      sizeof(const char *)), (const char *[]){"minillm-tui", __VA_ARGS__})
#define RUN_IN(in, ...) run_argv(in, (int)(sizeof((const char *[]){"minillm-tui", __VA_ARGS__}) / \
                                           sizeof(const char *)), (const char *[]){"minillm-tui", __VA_ARGS__})

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/minillm-cli-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    static const char *names[] = {"model.safetensors", "model.safetensors.optim", "best.safetensors",
                                  "metrics.csv", "resumed.safetensors", "resumed.safetensors.optim",
                                  "data.tsv", "bad.ini", "corrupt.safetensors", "out.txt", "err.txt",
                                  "half.safetensors", "half.safetensors.optim", "full.safetensors",
                                  "full.safetensors.optim", "corpus.txt", "film.tokenizer",
                                  "bad.tokenizer"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/dir.txt", tmpdir);
    rmdir(path);
    rmdir(tmpdir);
}

static const char *tmp(const char *name)
{
    static char paths[8][128];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 128, "%s/%s", tmpdir, name);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

static cJSON *parse_json(const Run *r)
{
    cJSON *j = cJSON_Parse(r->out);
    cr_assert_not_null(j, "not JSON: %s", r->out);
    return j;
}

static double prob_of(const cJSON *j, int sentence, const char *label)
{
    const cJSON *labels = cJSON_GetObjectItem(j, "labels");
    const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "probs"), sentence);
    for (int k = 0; k < cJSON_GetArraySize(labels); k++)
        if (strcmp(cJSON_GetArrayItem(labels, k)->valuestring, label) == 0)
            return cJSON_GetArrayItem(row, k)->valuedouble;
    cr_assert_fail("no label %s", label);
    return -1;
}

/* Trains the small model on the embedded data once; the other tests reuse it. */
static void train_small_model(void)
{
    Run r = RUN("train", SMALL_MODEL, "--epochs", "30", "--seed", "1", "--save",
                tmp("model.safetensors"), "--save-best", tmp("best.safetensors"), "--metrics",
                tmp("metrics.csv"));
    cr_assert_eq(r.rc, 0, "train failed: %s", r.err);
    cr_assert(strstr(r.out, "saved the final model") != NULL, "%s", r.out);
    run_free(&r);
}

TestSuite(cli, .init = make_tmpdir, .fini = remove_tmpdir);

Test(cli, train_save_predict_eval_on_the_embedded_data)
{
    train_small_model();

    /* The metrics CSV: a header and one row per step, the last with validation columns. */
    char *csv = read_file(tmp("metrics.csv"));
    cr_assert_not_null(csv);
    const char *header = "step,epoch,lr,loss,acc,val_loss,val_acc,sentences_per_s\n";
    cr_assert(strncmp(csv, header, strlen(header)) == 0, "%.80s", csv);
    int rows = 0;
    for (char *c = csv; *c; c++)
        rows += *c == '\n';
    cr_assert_gt(rows, 30, "one row per step");
    char *last = csv + strlen(csv) - 2;
    while (last > csv && last[-1] != '\n')
        last--;
    long step;
    int epoch;
    double lr, loss, acc, val_loss, val_acc;
    cr_assert_eq(sscanf(last, "%ld,%d,%lf,%lf,%lf,%lf,%lf", &step, &epoch, &lr, &loss, &acc,
                        &val_loss, &val_acc), 7, "last row: %s", last);
    cr_assert_eq(epoch, 30);
    cr_assert_eq(step, rows - 1);
    free(csv);

    /* Unseen sentences: the two examples. */
    Run p = RUN("predict", "--checkpoint", tmp("model.safetensors"), "--json", "great story",
                "terrible and boring");
    cr_assert_eq(p.rc, 0, "%s", p.err);
    cJSON *j = parse_json(&p);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "sentences")), 2);
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "sentences"), 0)->valuestring,
                     "great story");
    double pos0 = prob_of(j, 0, "positive"), neg0 = prob_of(j, 0, "negative");
    double pos1 = prob_of(j, 1, "positive"), neg1 = prob_of(j, 1, "negative");
    cr_assert_float_eq(pos0 + neg0, 1.0, 1e-5);
    cr_assert_gt(pos0, 0.5, "'great story' positive: %g", pos0);
    cr_assert_gt(neg1, 0.5, "'terrible and boring' negative: %g", neg1);
    cr_assert_float_eq(pos1 + neg1, 1.0, 1e-5);
    cJSON_Delete(j);
    run_free(&p);

    /* Held-out accuracy (eval defaults to the embedded held-out sentences). */
    Run e = RUN("eval", "--checkpoint", tmp("model.safetensors"), "--json");
    cr_assert_eq(e.rc, 0, "%s", e.err);
    j = parse_json(&e);
    int n = cJSON_GetObjectItem(j, "n")->valueint;
    double accuracy = cJSON_GetObjectItem(j, "accuracy")->valuedouble;
    cr_assert_gt(n, 20, "held-out part of the embedded data");
    cr_assert_geq(accuracy, 0.90, "held-out accuracy %.3f", accuracy);
    const cJSON *conf = cJSON_GetObjectItem(j, "confusion");
    const cJSON *per = cJSON_GetObjectItem(j, "per_class");
    cr_assert_eq(cJSON_GetArraySize(conf), 2);
    long total = 0, diag = 0, support = 0;
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < 2; k++) {
            int v = cJSON_GetArrayItem(cJSON_GetArrayItem(conf, i), k)->valueint;
            total += v;
            diag += i == k ? v : 0;
        }
        const cJSON *c = cJSON_GetArrayItem(per, i);
        cr_assert_not_null(cJSON_GetObjectItem(c, "label"));
        double pr = cJSON_GetObjectItem(c, "precision")->valuedouble;
        double rc = cJSON_GetObjectItem(c, "recall")->valuedouble;
        double f1 = cJSON_GetObjectItem(c, "f1")->valuedouble;
        cr_assert_float_eq(f1, pr + rc > 0 ? 2 * pr * rc / (pr + rc) : 0, 2e-6);
        support += cJSON_GetObjectItem(c, "support")->valueint;
    }
    cr_assert_eq(total, n);
    cr_assert_eq(support, n);
    cr_assert_float_eq(accuracy, (double)diag / n, 1e-6);
    cJSON_Delete(j);
    run_free(&e);

    /* The same through a file, in text form. */
    write_file(tmp("data.tsv"), "label\tsentence\npositive\ta great film\nnegative\ta boring film\n"
                                "nonsense\tthis line has an unknown label\n");
    Run t = RUN("eval", "--checkpoint", tmp("model.safetensors"), "--data", tmp("data.tsv"));
    cr_assert_eq(t.rc, 0, "%s", t.err);
    cr_assert(strstr(t.out, "sentences 2, accuracy") != NULL, "%s", t.out);
    cr_assert(strstr(t.out, "confusion") != NULL, "%s", t.out);
    cr_assert(strstr(t.err, "data.tsv:4") != NULL, "the bad line is reported: %s", t.err);
    run_free(&t);
}

Test(cli, predict_stdin_attention_and_text)
{
    train_small_model();
    Run p = RUN_IN("a wonderful film\n\nawful and dull\n", "predict", "--checkpoint",
                   tmp("model.safetensors"), "--json", "--attention");
    cr_assert_eq(p.rc, 0, "%s", p.err);
    cJSON *j = parse_json(&p);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "sentences")), 2, "blank lines skipped");
    const cJSON *tokens = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "tokens"), 0);
    const cJSON *att = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "attention"), 0);
    int T = cJSON_GetArraySize(tokens);
    cr_assert_geq(T, 3, "the tokens of 'a wonderful film'");
    cr_assert_str_eq(cJSON_GetArrayItem(tokens, 1)->valuestring, "wonderful");
    cr_assert_eq(cJSON_GetArraySize(att), 2, "layers");
    const cJSON *head = cJSON_GetArrayItem(cJSON_GetArrayItem(att, 1), 1);
    cr_assert_eq(cJSON_GetArraySize(head), T, "queries");
    for (int q = 0; q < T; q++) {
        const cJSON *row = cJSON_GetArrayItem(head, q);
        cr_assert_eq(cJSON_GetArraySize(row), T, "keys");
        double sum = 0;
        for (int k = 0; k < T; k++)
            sum += cJSON_GetArrayItem(row, k)->valuedouble;
        cr_assert_float_eq(sum, 1.0, 1e-4, "attention row %d sums to %g", q, sum);
    }
    cJSON_Delete(j);
    run_free(&p);

    Run t = RUN("predict", "--checkpoint", tmp("model.safetensors"), "--attention", "great story");
    cr_assert_eq(t.rc, 0, "%s", t.err);
    cr_assert(strstr(t.out, "great story") != NULL, "%s", t.out);
    cr_assert(strstr(t.out, "layer 1/2 head 1/2") != NULL, "numbered from 1: %s", t.out);
    cr_assert(strstr(t.out, "layer 0") == NULL && strstr(t.out, "head 0") == NULL, "%s", t.out);
    cr_assert(strstr(t.out, "positive 0.") != NULL, "%s", t.out);
    run_free(&t);
}

/* Issue 12, item 5: unknown words are marked, a sentence with none the model
 * knows (or empty) is named on stderr, --json counts them. Item 8: a sentence
 * past max_len is named. */
Test(cli, predict_names_unknown_words_and_truncation)
{
    train_small_model();
    Run t = RUN("predict", "--checkpoint", tmp("model.safetensors"), "--attention", "zzqx blorf",
                "", "a wonderful xyzzyq film");
    cr_assert_eq(t.rc, 0, "%s", t.err);
    cr_expect(strstr(t.err, "sentence 1 (\"zzqx blorf\") has no word the model knows") != NULL,
              "%s", t.err);
    cr_expect(strstr(t.err, "sentence 2 is empty") != NULL, "%s", t.err);
    cr_expect(strstr(t.err, "sentence 3") == NULL, "a sentence with known words: %s", t.err);
    cr_expect(strstr(t.out, "tokens: a wonderful <UNK>:xyzzyq film") != NULL, "%s", t.out);
    cr_expect(strstr(t.out, "tokens: <UNK>:zzqx <UNK>:blorf") != NULL, "%s", t.out);
    run_free(&t);
    Run j = RUN("predict", "--checkpoint", tmp("model.safetensors"), "--json", "zzqx blorf", "",
                "a wonderful xyzzyq film");
    cr_assert_eq(j.rc, 0, "%s", j.err);
    cJSON *root = parse_json(&j);
    const cJSON *unknown = cJSON_GetObjectItem(root, "unknown");
    cr_assert_eq(cJSON_GetArraySize(unknown), 3);
    cr_expect_eq(cJSON_GetArrayItem(unknown, 0)->valueint, 2);
    cr_expect_eq(cJSON_GetArrayItem(unknown, 1)->valueint, 1, "an empty sentence is one <UNK>");
    cr_expect_eq(cJSON_GetArrayItem(unknown, 2)->valueint, 1);
    cJSON_Delete(root);
    run_free(&j);
    char longer[400] = "";
    for (int i = 0; i < 40; i++)
        strcat(longer, "great ");
    Run l = RUN("predict", "--checkpoint", tmp("model.safetensors"), longer);
    cr_assert_eq(l.rc, 0, "%s", l.err);
    cr_expect(strstr(l.err, "sentence 1 has 40 tokens: the model reads the first 32 (max_len)") != NULL,
              "%s", l.err);
    run_free(&l);
}

/* Item 10: [data] label_names names integer classes; the checkpoint keeps the
 * names, and eval and predict use them on a file of integer labels. Item 11:
 * a file that mixes numbers and names: the kind most lines use wins, the
 * others are bad lines named with their line on stderr. */
Test(cli, label_names_and_mixed_labels)
{
    write_file(tmp("data.tsv"), "sentence\tlabel\na wonderful film\t1\nawful and dull\t0\n"
               "great fun\t1\nboring mess\t0\nloved it\t1\nhated it\t0\n");
    Run t = RUN("train", SMALL_MODEL, "--data", tmp("data.tsv"), "--val", tmp("data.tsv"), "--epochs",
                "2", "--set", "data.label_names=negative,positive", "--save", tmp("model.safetensors"),
                "--quiet");
    cr_assert_eq(t.rc, 0, "%s", t.err);
    run_free(&t);
    Run e = RUN("eval", "--checkpoint", tmp("model.safetensors"), "--data", tmp("data.tsv"), "--json");
    cr_assert_eq(e.rc, 0, "%s", e.err);
    cJSON *root = parse_json(&e);
    cr_expect_eq(cJSON_GetObjectItem(root, "n")->valueint, 6, "integer labels read as class ids");
    const cJSON *labels = cJSON_GetObjectItem(root, "labels");
    cr_expect_str_eq(cJSON_GetArrayItem(labels, 0)->valuestring, "negative");
    cr_expect_str_eq(cJSON_GetArrayItem(labels, 1)->valuestring, "positive");
    cJSON_Delete(root);
    run_free(&e);
    Run p = RUN("predict", "--checkpoint", tmp("model.safetensors"), "great fun");
    cr_expect(strstr(p.out, "negative 0.") && strstr(p.out, "positive 0."), "%s", p.out);
    run_free(&p);
    Run bad = RUN("train", SMALL_MODEL, "--data", tmp("data.tsv"), "--set", "data.label_names=good",
                  "--epochs", "1", "--quiet");
    cr_expect_eq(bad.rc, 1);
    cr_expect(strstr(bad.err, "data.label_names = good: a single name") != NULL, "%s", bad.err);
    run_free(&bad);

    write_file(tmp("data.tsv"), "sentence\tlabel\na wonderful film\t1\nawful and dull\t0\n"
               "so so\t2\nodd one\tx\ngreat fun\t1\n");
    Run m = RUN("train", SMALL_MODEL, "--data", tmp("data.tsv"), "--val", tmp("data.tsv"), "--epochs",
                "1", "--save", tmp("model.safetensors"), "--quiet");
    cr_assert_eq(m.rc, 0, "%s", m.err);
    cr_expect(strstr(m.err, "data.tsv:5: label \"x\" is not a number") != NULL, "%s", m.err);
    cr_expect(strstr(m.err, "classes are the file's numbers 0..2") != NULL, "%s", m.err);
    run_free(&m);
    Checkpoint ck;
    char err[512];
    cr_assert_eq(checkpoint_load(tmp("model.safetensors"), &ck, err, sizeof err), 0, "%s", err);
    cr_expect_eq(ck.num_labels, 3, "0, 1 and 2; x is no class");
    cr_expect_eq(ck.info.step, ck.info.total_steps, "the training figures saved with it");
    cr_expect_eq(ck.info.val_step, ck.info.step);
    cr_expect(ck.info.val_acc >= 0.0f && ck.info.val_acc <= 1.0f);
    cr_expect_str_eq(ck.info.data, tmp("data.tsv"));
    checkpoint_free(&ck);
}

Test(cli, resume_continues_from_the_saved_step)
{
    Run a = RUN("train", SMALL_MODEL, "--epochs", "2", "--save", tmp("half.safetensors"), "--quiet");
    cr_assert_eq(a.rc, 0, "%s", a.err);
    run_free(&a);
    Run b = RUN("train", "--epochs", "3", "--resume", tmp("half.safetensors"), "--save",
                tmp("resumed.safetensors"));
    cr_assert_eq(b.rc, 0, "%s", b.err);
    cr_assert(strstr(b.out, "epoch 3/3") != NULL, "only the third epoch runs: %s", b.out);
    cr_assert(strstr(b.out, "epoch 1/3") == NULL, "%s", b.out);
    run_free(&b);
    /* The same three epochs without interruption: the very same weights. */
    Run f = RUN("train", SMALL_MODEL, "--epochs", "3", "--save", tmp("full.safetensors"), "--quiet");
    cr_assert_eq(f.rc, 0, "%s", f.err);
    run_free(&f);
    FILE *fa = fopen(tmp("full.safetensors"), "rb"), *fb = fopen(tmp("resumed.safetensors"), "rb");
    cr_assert(fa && fb);
    long bytes = 0;
    int ca, cb;
    do {
        ca = fgetc(fa);
        cb = fgetc(fb);
        cr_assert_eq(ca, cb, "the files differ at byte %ld", bytes);
        bytes++;
    } while (ca != EOF);
    fclose(fa);
    fclose(fb);
    cr_assert_gt(bytes, 1000);
    Run c = RUN("train", "--epochs", "2", "--resume", tmp("half.safetensors"), "--quiet");
    cr_assert_eq(c.rc, 0, "%s", c.err);
    cr_assert(strstr(c.out, "trained 0 steps") != NULL, "nothing left to do: %s", c.out);
    run_free(&c);
}

Test(cli, data_file_without_val_is_split_deterministically)
{
    static const char *words[] = {"good", "great", "fine", "nice", "bad", "awful", "dull", "poor"};
    char text[4096] = "sentence\tlabel\n";
    for (int i = 0; i < 40; i++) {
        char line[64];
        snprintf(line, sizeof line, "a %s film number %d\t%s\n", words[i % 8], i,
                 i % 8 < 4 ? "pos" : "neg");
        strcat(text, line);
    }
    write_file(tmp("data.tsv"), text);
    int train_n[2], val_n[2];
    for (int run = 0; run < 2; run++) {
        Run r = RUN("train", SMALL_MODEL, "--data", tmp("data.tsv"), "--epochs", "1", "--set",
                    "data.val_fraction=0.25", "--seed", "3");
        cr_assert_eq(r.rc, 0, "%s", r.err);
        cr_assert_eq(sscanf(r.out, "training on %d sentences (%*[^)]), validating on %d", &train_n[run],
                            &val_n[run]), 2, "%s", r.out);
        cr_assert(strstr(r.out, "data.tsv") != NULL, "%s", r.out);
        cr_assert(strstr(r.out, "not saved") != NULL, "%s", r.out);
        run_free(&r);
    }
    cr_assert_eq(train_n[0] + val_n[0], 40);
    cr_assert_gt(val_n[0], 0);
    cr_assert_gt(train_n[0], val_n[0]);
    cr_assert_eq(train_n[0], train_n[1], "the same split twice");
}

Test(cli, usage_errors_exit_2)
{
    struct {
        Run r;
        const char *needle;
    } cases[] = {
        {RUN("frobnicate"), "unknown command 'frobnicate'"},
        {RUN("train", "--epochs"), "--epochs"},
        {RUN("train", "--epochs", "zero"), "--epochs: 'zero'"},
        {RUN("train", "--epochs", "0"), "1..1000000"},
        {RUN("train", "--lr", "-1"), "--lr"},
        {RUN("train", "--bogus"), "unknown option '--bogus'"},
        {RUN("train", "--quiet=yes"), "takes no value"},
        {RUN("train", "extra"), "unexpected argument 'extra'"},
        {RUN("train", "--set", "nodot"), "SECTION.KEY=VALUE"},
        {RUN("train", "--set", "model.no_such_key=1"), "no_such_key"},
        {RUN("eval"), "--checkpoint FILE is required"},
        {RUN("predict", "great"), "--checkpoint FILE is required"},
        {RUN("--headless"), "--headless only goes with --ui-bench"},
        {RUN("--ui-bench", "0"), "--ui-bench: '0'"},
        {RUN_IN("\n  \n", "predict", "--checkpoint", "x.safetensors"), ""},
    };
    for (size_t i = 0; i + 1 < sizeof cases / sizeof cases[0]; i++) {
        cr_expect_eq(cases[i].r.rc, 2, "case %zu: rc %d, %s", i, cases[i].r.rc, cases[i].r.err);
        cr_expect(strstr(cases[i].r.err, cases[i].needle) != NULL, "case %zu: %s", i, cases[i].r.err);
        cr_expect(strncmp(cases[i].r.err, "minillm-tui", 11) == 0, "case %zu: %s", i, cases[i].r.err);
        char *nl = strchr(cases[i].r.err, '\n');
        cr_expect(nl && nl[1] == '\0', "case %zu: one line: %s", i, cases[i].r.err);
    }
    /* A missing checkpoint is a file error (1), found before stdin is read. */
    size_t last = sizeof cases / sizeof cases[0] - 1;
    cr_expect_eq(cases[last].r.rc, 1);
    cr_expect(strstr(cases[last].r.err, "x.safetensors") != NULL, "%s", cases[last].r.err);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_free(&cases[i].r);
}

Test(cli, file_errors_exit_1_and_name_the_file)
{
    write_file(tmp("bad.ini"), "[model]\nd_model = banana\n");
    write_file(tmp("corrupt.safetensors"), "this is not a safetensors file");
    struct {
        Run r;
        const char *needle;
    } cases[] = {
        {RUN("train", "--config", tmp("bad.ini")), "bad.ini:2"},
        {RUN("train", "--config", "/nonexistent/x.ini"), "/nonexistent/x.ini"},
        {RUN("train", "--data", "/nonexistent/d.tsv"), "/nonexistent/d.tsv"},
        {RUN("train", "--resume", "/nonexistent/m.safetensors"), "/nonexistent/m.safetensors"},
        {RUN("eval", "--checkpoint", tmp("corrupt.safetensors")), "corrupt.safetensors"},
        {RUN("eval", "--checkpoint", "/nonexistent/m.safetensors"), "/nonexistent/m.safetensors"},
        {RUN("predict", "--checkpoint", tmp("corrupt.safetensors"), "hi"), "corrupt.safetensors"},
        {RUN(), "not part of this binary"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_expect_eq(cases[i].r.rc, 1, "case %zu: rc %d, %s", i, cases[i].r.rc, cases[i].r.err);
        cr_expect(strstr(cases[i].r.err, cases[i].needle) != NULL, "case %zu: %s", i, cases[i].r.err);
        char *nl = strchr(cases[i].r.err, '\n');
        cr_expect(nl && nl[1] == '\0', "case %zu: one line: %s", i, cases[i].r.err);
        run_free(&cases[i].r);
    }
}

Test(cli, help_describes_each_command)
{
    struct {
        Run r;
        const char *needles[3];
    } cases[] = {
        {RUN("--help"), {"train", "eval", "tokenize"}},
        {RUN("-h"), {"--checkpoint FILE", "--ui-bench SECONDS", "--headless"}},
        {RUN("train", "--help"), {"--epochs N", "--resume FILE", "--metrics FILE"}},
        {RUN("eval", "-h"), {"--checkpoint FILE", "--json", "confusion"}},
        {RUN("predict", "--help"), {"--attention", "standard input", "--json"}},
        {RUN("tokenize", "--help"), {"the 256 bytes plus N - 256 merges", "gpt2-like/1", "--decode"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_expect_eq(cases[i].r.rc, 0, "case %zu", i);
        cr_expect_str_empty(cases[i].r.err);
        for (int k = 0; k < 3; k++)
            cr_expect(strstr(cases[i].r.out, cases[i].needles[k]) != NULL, "case %zu lacks %s:\n%s",
                      i, cases[i].needles[k], cases[i].r.out);
        run_free(&cases[i].r);
    }
}

/* ------------------------------------------------------------ tokenize */

/* The ids of one --json line of `tokenize`, checked against its pieces. */
static int json_ids(const char *line, int *ids, int max_ids, const char *text)
{
    cJSON *j = cJSON_Parse(line);
    cr_assert_not_null(j, "not JSON: %s", line);
    const cJSON *jids = cJSON_GetObjectItem(j, "ids"), *pieces = cJSON_GetObjectItem(j, "pieces");
    int n = cJSON_GetArraySize(jids);
    cr_assert(n <= max_ids && n == cJSON_GetArraySize(pieces), "%s", line);
    char joined[256] = "";
    for (int i = 0; i < n; i++) {
        ids[i] = cJSON_GetArrayItem(jids, i)->valueint;
        strcat(joined, cJSON_GetArrayItem(pieces, i)->valuestring);
    }
    cr_expect_str_eq(joined, text, "the pieces make the text again");
    cJSON_Delete(j);
    return n;
}

Test(cli, tokenize_learns_saves_encodes_and_decodes)
{
    write_file(tmp("corpus.txt"), "the film, the film, the story of the film; the films!\n"
                                  "a story, a film, 42 films and 7 stories\n");
    Run r = RUN("tokenize", "--data", tmp("corpus.txt"), "--vocab-size", "270", "--save",
                tmp("film.tokenizer"));
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "14 merges (vocabulary 270) learned from 1 text") != NULL, "%s", r.out);
    run_free(&r);
    char *saved = read_file(tmp("film.tokenizer"));
    cJSON *file = cJSON_Parse(saved);
    cr_assert_not_null(file, "%s", saved);
    cr_expect_str_eq(cJSON_GetObjectItem(file, "format")->valuestring, "minillm-tui-bpe/1");
    cr_expect_str_eq(cJSON_GetObjectItem(file, "split")->valuestring, "gpt2-like/1");
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(file, "merges")), 14);
    cJSON_Delete(file);
    free(saved);

    /* Encode as JSON, decode the ids: the same bytes. */
    r = RUN("tokenize", "--tokenizer", tmp("film.tokenizer"), "--json", "the film", "a stories!");
    cr_assert_eq(r.rc, 0, "%s", r.err);
    char *second = strchr(r.out, '\n');
    cr_assert(second && strchr(second + 1, '\n'), "one line per text: %s", r.out);
    *second++ = '\0';
    int ids[64];
    int n = json_ids(r.out, ids, 64, "the film");
    cr_expect_lt(n, 8, "merges were used: %d ids for 8 bytes", n);
    char decode_arg[512] = "";
    for (int i = 0; i < n; i++)
        snprintf(decode_arg + strlen(decode_arg), sizeof decode_arg - strlen(decode_arg), "%s%d",
                 i ? " " : "", ids[i]);
    json_ids(second, ids, 64, "a stories!");
    run_free(&r);
    r = RUN("tokenize", "--tokenizer", tmp("film.tokenizer"), "--decode", decode_arg);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect_str_eq(r.out, "the film\n");
    run_free(&r);

    /* Standard input, a line at a time (the CR of a CRLF goes with the line end);
     * text output quotes the pieces and escapes what is not printable UTF-8. */
    r = RUN_IN("the film\r\ncaf\xc3\xa9 \xff\"\\\n", "tokenize", "--tokenizer", tmp("film.tokenizer"));
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "pieces: \"the\" \" film\"\n") != NULL, "%s", r.out);
    /* no merge makes é here: its two bytes are two ids, each not UTF-8 on its own */
    cr_expect(strstr(r.out, "pieces: \"c\" \"a\" \"f\" \"\\xc3\" \"\\xa9\" \" \" \"\\xff\" \"\\\"\" "
                            "\"\\\\\"\n") != NULL, "%s", r.out);
    cr_expect_eq(strncmp(r.out, "ids: ", 5), 0, "%s", r.out);
    run_free(&r);
    r = RUN_IN("7 9999\n", "tokenize", "--tokenizer", tmp("film.tokenizer"), "--decode");
    cr_expect_eq(r.rc, 1);
    cr_expect(strstr(r.err, "standard input line 1: '9999' is not an id of this tokenizer (0..269)"),
              "%s", r.err);
    run_free(&r);

    /* From a TSV's text column; more merges asked than the text has pairs for. */
    write_file(tmp("data.tsv"), "sentence\tlabel\nthe film\t1\nthe film\t0\n");
    r = RUN("tokenize", "--data", tmp("data.tsv"), "--vocab-size", "1000", "--save",
            tmp("film.tokenizer"));
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "from 2 texts") != NULL, "%s", r.out);
    /* "the": th, the; " film": " f", " fi", " fil", " film" (or another order) */
    cr_expect(strstr(r.out, "stopped after 6 of the 744 merges asked: no pair occurs twice more"),
              "%s", r.out);
    run_free(&r);

    /* A tokenizer file written by hand: one merge, é. Valid UTF-8 pieces print as such,
     * and as JSON; a NUL byte and a lone byte >= 0x80 are escaped. */
    write_file(tmp("film.tokenizer"), "{\"format\": \"minillm-tui-bpe/1\", \"split\": \"gpt2-like/1\", "
                                      "\"merges\": [[195, 169]], \"counts\": [2]}");
    r = RUN("tokenize", "--tokenizer", tmp("film.tokenizer"), "\xc3\xa9t\xc3\xa9\x80");
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect_str_eq(r.out, "ids: 256 116 256 128\npieces: \"\xc3\xa9\" \"t\" \"\xc3\xa9\" \"\\x80\"\n");
    run_free(&r);
    r = RUN("tokenize", "--tokenizer", tmp("film.tokenizer"), "--json", "\xc3\xa9\x80\x01");
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect_str_eq(r.out, "{\"ids\": [256, 128, 1], \"pieces\": [\"\xc3\xa9\", \"\\ufffd\", \"\\u0001\"]}\n");
    run_free(&r);
}

Test(cli, tokenize_usage_and_file_errors)
{
    write_file(tmp("bad.tokenizer"), "{\"format\": \"minillm-tui-bpe/1\", \"split\": \"gpt2-like/1\", "
                                     "\"merges\": [[97, 98], [300, 97]], \"counts\": [2, 2]}");
    write_file(tmp("corpus.txt"), "the film the film\n");
    cr_assert_eq(mkdir(tmp("dir.txt"), 0700), 0);
    struct {
        Run r;
        int rc;
        const char *needle;
    } cases[] = {
        {RUN("tokenize"), 2, "one of --data F (to learn), --tokenizer F or --checkpoint F (to use)"},
        {RUN("tokenize", "--data", "x.txt", "--tokenizer", "y"), 2, "one of --data"},
        {RUN("tokenize", "--tokenizer", "x", "--checkpoint", "y"), 2, "one of --data"},
        {RUN("tokenize", "--checkpoint", "/nonexistent/m.safetensors", "x"), 1,
         "/nonexistent/m.safetensors: cannot open"},
        {RUN("tokenize", "--data", "x.txt", "--save", "y"), 2, "--data needs --vocab-size N and --save FILE"},
        {RUN("tokenize", "--data", "x.txt", "--vocab-size", "255", "--save", "y"), 2,
         "--vocab-size: '255' is not an integer in 256..1048832"},
        {RUN("tokenize", "--data", "x.txt", "--json"), 2, "--json is for using a tokenizer"},
        {RUN("tokenize", "--data", "x.txt", "text"), 2, "unexpected argument 'text'"},
        {RUN("tokenize", "--tokenizer", "y", "--save", "z"), 2, "--save is for learning"},
        {RUN("tokenize", "--tokenizer", "y", "--json", "--decode"), 2, "--json is for encoding"},
        {RUN("tokenize", "--tokenizer", "/nonexistent/t.tokenizer", "x"), 1, "/nonexistent/t.tokenizer: cannot open"},
        {RUN("tokenize", "--tokenizer", tmp("bad.tokenizer"), "x"), 1,
         "bad.tokenizer: merge 1: [300, 97] uses an id that does not exist before it"},
        {RUN("tokenize", "--tokenizer", tmp("corpus.txt"), "x"), 1, "corpus.txt: not a JSON document"},
        {RUN("tokenize", "--tokenizer", tmp("bad.tokenizer"), "--decode", "1"), 1, "bad.tokenizer: merge 1"},
        {RUN("tokenize", "--data", "/nonexistent/c.txt", "--vocab-size", "300", "--save", tmp("x")), 1,
         "/nonexistent/c.txt: cannot open"},
        {RUN("tokenize", "--data", tmp("dir.txt"), "--vocab-size", "300", "--save", tmp("x")), 1,
         "dir.txt: not a regular file"},
        {RUN("tokenize", "--data", tmp("corpus.txt"), "--vocab-size", "300", "--save",
             "/nonexistent/dir/t.tokenizer"), 1, "/nonexistent/dir/t.tokenizer: cannot create"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_expect_eq(cases[i].r.rc, cases[i].rc, "case %zu: rc %d, %s", i, cases[i].r.rc, cases[i].r.err);
        cr_expect(strstr(cases[i].r.err, cases[i].needle) != NULL, "case %zu: %s", i, cases[i].r.err);
        cr_expect(strncmp(cases[i].r.err, "minillm-tui tokenize: ", 22) == 0, "case %zu: %s", i,
                  cases[i].r.err);
        char *nl = strchr(cases[i].r.err, '\n');
        cr_expect(nl && nl[1] == '\0', "case %zu: one line: %s", i, cases[i].r.err);
        run_free(&cases[i].r);
    }
}

/* ------------------------------------------------------------ the binary */

/* Starts the built executable with stdout/stderr to files. */
static pid_t spawn_binary(const char *const *args)
{
    const char *exe = getenv("MINILLM_EXE");
    if (!exe || access(exe, X_OK) != 0)
        cr_skip_test("MINILLM_EXE is not set or not executable (run through meson test)");
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fo = open(tmp("out.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(tmp("err.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fi = open("/dev/null", O_RDONLY);
        if (fo < 0 || fe < 0 || fi < 0)
            _exit(127);
        dup2(fi, 0);
        dup2(fo, 1);
        dup2(fe, 2);
        const char *argv[32] = {exe};
        for (int i = 0; args[i] && i < 30; i++)
            argv[i + 1] = args[i];
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Runs the built executable with stdout/stderr to files; returns the exit status. */
static int exec_binary(const char *const *args, char **out, char **err)
{
    pid_t pid = spawn_binary(args);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    *out = read_file(tmp("out.txt"));
    *err = read_file(tmp("err.txt"));
    cr_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

Test(cli, the_binary_version_and_exit_codes)
{
    char *out, *err;
    int rc = exec_binary((const char *[]){"--version", NULL}, &out, &err);
    cr_expect_eq(rc, 0);
    cr_expect(strncmp(out, "minillm-tui ", 12) == 0, "%s", out);
    cr_expect(strchr(out, '.') != NULL, "a version number: %s", out);
    free(out);
    free(err);

    rc = exec_binary((const char *[]){"train", "--epochs", "x", NULL}, &out, &err);
    cr_expect_eq(rc, 2, "%s", err);
    cr_expect(strstr(err, "--epochs") != NULL, "%s", err);
    free(out);
    free(err);

    rc = exec_binary((const char *[]){"eval", "--checkpoint", "/nonexistent/m.safetensors", NULL},
                     &out, &err);
    cr_expect_eq(rc, 1, "%s", err);
    cr_expect(strstr(err, "/nonexistent/m.safetensors") != NULL, "%s", err);
    free(out);
    free(err);

    rc = exec_binary((const char *[]){"tokenize", "--tokenizer", "/nonexistent/t.tokenizer", NULL},
                     &out, &err);
    cr_expect_eq(rc, 1, "%s", err);
    cr_expect(strstr(err, "/nonexistent/t.tokenizer") != NULL, "%s", err);
    free(out);
    free(err);

    /* The TUI needs a terminal; /dev/null is not one: an error naming the problem. */
    rc = exec_binary((const char *[]){"--config", "/nonexistent/c.ini", NULL}, &out, &err);
    cr_expect_eq(rc, 1, "%s", err);
    cr_expect(strstr(err, "/nonexistent/c.ini") != NULL, "%s", err);
    free(out);
    free(err);
}

/* --ui-bench without a screen: the training thread alone for the time asked, then
 * one "ui-bench headless" line; with a screen it needs a terminal. */
Test(cli, the_binary_measures_the_training_thread_headless)
{
    char *out, *err;
    int rc = exec_binary((const char *[]){"--ui-bench", "0.5", "--headless", SMALL_MODEL, "--set",
                                          "train.epochs=1000000", NULL}, &out, &err);
    cr_expect_eq(rc, 0, "%s", err);
    long steps = -1;
    double seconds = 0;
    const char *line = strstr(err, "ui-bench headless: ");
    cr_assert_not_null(line, "no measure: %s", err);
    cr_expect_eq(sscanf(line, "ui-bench headless: %ld steps in %lf s", &steps, &seconds), 2, "%s", err);
    cr_expect_gt(steps, 0, "the training thread took no step: %s", err);
    cr_expect_geq(seconds, 0.5, "%s", err);
    free(out);
    free(err);

    rc = exec_binary((const char *[]){"--ui-bench", "0.5", NULL}, &out, &err);
    cr_expect_eq(rc, 1, "%s", err);
    cr_expect(strstr(err, "needs a terminal") != NULL, "%s", err);
    free(out);
    free(err);
}

Test(cli, the_binary_saves_and_stops_on_ctrl_c)
{
    pid_t pid = spawn_binary((const char *[]){"train", SMALL_MODEL, "--epochs", "1000000", "--save",
                                              tmp("model.safetensors"), NULL});
    /* The first line is printed once the handler is in place; wait for it. */
    bool started = false;
    for (int i = 0; i < 2000 && !started; i++) {
        char *out = read_file(tmp("out.txt"));
        started = out && strstr(out, "training on") != NULL;
        free(out);
        if (!started)
            usleep(10000);
    }
    cr_assert(started, "the training did not start");
    usleep(200000);
    kill(pid, SIGINT);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status), "killed by the signal instead of stopping");
    cr_expect_eq(WEXITSTATUS(status), 1);
    char *out = read_file(tmp("out.txt"));
    cr_expect(strstr(out, "interrupted after") != NULL, "%s", out);
    cr_expect(strstr(out, "saved the final model") != NULL, "%s", out);
    free(out);
    Run p = RUN("predict", "--checkpoint", tmp("model.safetensors"), "great story");
    cr_expect_eq(p.rc, 0, "the checkpoint saved on Ctrl-C loads: %s", p.err);
    run_free(&p);
}

/* The notebook's model (no padding mask) reads sentences padded to max_len: predict
 * must feed them the same way to give the notebook's probabilities. */
Test(cli, predict_matches_the_notebook_probabilities)
{
    const char *root = getenv("MINILLM_SOURCE_ROOT");
    if (!root)
        cr_skip_test("MINILLM_SOURCE_ROOT is not set (run through meson test)");
    char ckpt_path[1024], json_path[1024];
    snprintf(ckpt_path, sizeof ckpt_path, "%s/tests/fixtures/interop_notebook.safetensors", root);
    snprintf(json_path, sizeof json_path, "%s/tests/fixtures/interop_notebook.json", root);
    char *text = read_file(json_path);
    cr_assert_not_null(text, "%s", json_path);
    cJSON *ref = cJSON_Parse(text);
    free(text);
    cr_assert_not_null(ref);
    Checkpoint ck;
    char err[512];
    cr_assert_eq(checkpoint_load(ckpt_path, &ck, err, sizeof err), 0, "%s", err);
    cr_assert(!ck.model->cfg.pad_mask, "the fixture is the notebook's model, without a padding mask");

    /* Case 0: sentences of 2, 4 and 6 known words, and 6 unknown ones. */
    const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(ref, "cases"), 0);
    const cJSON *tokens = cJSON_GetObjectItem(c0, "tokens"), *probs = cJSON_GetObjectItem(c0, "probs");
    int rows = cJSON_GetArraySize(tokens);
    char sentences[8][256];
    const char *argv[16] = {"minillm-tui", "predict", "--checkpoint", ckpt_path, "--json"};
    int argc = 5;
    for (int i = 0; i < rows && i < 8; i++) {
        sentences[i][0] = '\0';
        const cJSON *row = cJSON_GetArrayItem(tokens, i);
        for (int j = 0; j < cJSON_GetArraySize(row); j++) {
            int id = cJSON_GetArrayItem(row, j)->valueint;
            if (id == MODEL_PAD_ID)
                break;
            const char *word = id == MODEL_UNK_ID ? "qwertyuiop" : vocab_token(ck.vocab, id);
            strcat(sentences[i], j ? " " : "");
            strcat(sentences[i], word);
        }
        argv[argc++] = sentences[i];
    }
    Run r = run_argv(NULL, argc, argv);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cJSON *j = parse_json(&r);
    const cJSON *got = cJSON_GetObjectItem(j, "probs");
    cr_assert_eq(cJSON_GetArraySize(got), rows);
    for (int i = 0; i < rows; i++)
        for (int k = 0; k < ck.model->cfg.num_classes; k++) {
            double want = cJSON_GetArrayItem(cJSON_GetArrayItem(probs, i), k)->valuedouble;
            double have = cJSON_GetArrayItem(cJSON_GetArrayItem(got, i), k)->valuedouble;
            cr_expect_float_eq(have, want, 1e-5, "sentence '%s' class %d: %.7f vs %.7f",
                               sentences[i], k, have, want);
        }
    cJSON_Delete(j);
    run_free(&r);
    cJSON_Delete(ref);
    checkpoint_free(&ck);
}
