/* TSV/CSV loading, bad lines, labels, split, embedded data, encoding, SST-2. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dataset.h"
#include "model/model.h"

/* Parses `text` as file `name`; the log goes to *log_out (caller frees). */
static Dataset *parse_logged(const char *name, const char *text, const char *const *names,
                             int n_names, char **log_out, char *err, size_t err_len)
{
    size_t log_len;
    char *log_buf = NULL;
    FILE *log = open_memstream(&log_buf, &log_len);
    cr_assert_not_null(log);
    Dataset *d = dataset_parse(name, text, strlen(text), names, n_names, log, err, err_len);
    fclose(log);
    *log_out = log_buf;
    return d;
}

static Dataset *parse_ok(const char *name, const char *text)
{
    char err[256] = "", *log;
    Dataset *d = parse_logged(name, text, NULL, 0, &log, err, sizeof err);
    cr_assert_not_null(d, "%s", err);
    cr_expect_str_eq(log, "", "unexpected log: %s", log);
    free(log);
    return d;
}

Test(tsv, label_first_and_sentence_first)
{
    Dataset *a = parse_ok("a.tsv", "label\tsentence\n0\tbad film\n1\tgood film\n");
    Dataset *b = parse_ok("b.tsv", "sentence\tlabel\nbad film\t0\ngood film\t1\n");
    for (Dataset *d = a; d; d = d == a ? b : NULL) {
        cr_assert_eq(d->n, 2);
        cr_expect_str_eq(d->text[0], "bad film");
        cr_expect_str_eq(d->text[1], "good film");
        cr_expect_eq(d->label[0], 0);
        cr_expect_eq(d->label[1], 1);
        cr_expect_eq(d->num_classes, 2);
        cr_expect_str_eq(d->label_names[0], "0");
        cr_expect_str_eq(d->label_names[1], "1");
        cr_expect_eq(d->skipped, 0);
    }
    dataset_free(a);
    dataset_free(b);
}

Test(tsv, header_variants_extra_columns_crlf_bom_blank_lines)
{
    const char *headers[] = {"Text\tSentiment", "id\tREVIEW\tx\tPolarity", " content \tclass",
                             "\xEF\xBB\xBFsentence\tlabel"};
    const char *bodies[] = {"nice\tpositive\r\n\r\nawful\tnegative\r\n",
                            "7\tnice\tq\tpositive\n8\tawful\tq\tnegative\n",
                            "nice\tpositive\n\nawful\tnegative",
                            "nice\tpositive\nawful\tnegative\n"};
    for (int k = 0; k < 4; k++) {
        char text[256];
        snprintf(text, sizeof text, "%s\n%s", headers[k], bodies[k]);
        Dataset *d = parse_ok("h.tsv", text);
        cr_assert_eq(d->n, 2, "header %d", k);
        cr_expect_str_eq(d->text[0], "nice", "header %d", k);
        cr_expect_str_eq(d->text[1], "awful", "header %d", k);
        /* Names map to ids in byte order: negative 0, positive 1. */
        cr_expect_eq(d->label[0], 1);
        cr_expect_eq(d->label[1], 0);
        cr_expect_str_eq(d->label_names[0], "negative");
        cr_expect_str_eq(d->label_names[1], "positive");
        dataset_free(d);
    }
}

Test(tsv, integer_labels_give_their_own_ids)
{
    Dataset *d = parse_ok("i.tsv", "sentence\tlabel\na\t2\nb\t0\n");
    cr_expect_eq(d->num_classes, 3);
    cr_expect_eq(d->label[0], 2);
    cr_expect_str_eq(d->label_names[2], "2");
    dataset_free(d);
    d = parse_ok("one.tsv", "sentence\tlabel\na\t0\n");
    cr_expect_eq(d->num_classes, 2, "at least two classes");
    dataset_free(d);
}

Test(tsv, quotes_are_plain_text_in_tsv)
{
    Dataset *d = parse_ok("q.tsv", "sentence\tlabel\n\"quoted\" , text\t1\n");
    cr_expect_str_eq(d->text[0], "\"quoted\" , text");
    dataset_free(d);
}

Test(csv, rfc4180_quoting)
{
    const char *text =
        "text,label\r\n"
        "plain,1\r\n"
        "\"with, comma\",0\r\n"
        "\"doubled \"\"quotes\"\"\",1\r\n"
        "\"two\r\nlines\",0\r\n"
        "\"\"\"\",1\r\n"
        "last,\"0\"";
    Dataset *d = parse_ok("q.csv", text);
    cr_assert_eq(d->n, 6);
    cr_expect_str_eq(d->text[0], "plain");
    cr_expect_str_eq(d->text[1], "with, comma");
    cr_expect_str_eq(d->text[2], "doubled \"quotes\"");
    cr_expect_str_eq(d->text[3], "two\r\nlines");
    cr_expect_str_eq(d->text[4], "\"");
    cr_expect_str_eq(d->text[5], "last");
    int labels[6] = {1, 0, 1, 0, 1, 0};
    for (int i = 0; i < 6; i++) cr_expect_eq(d->label[i], labels[i]);
    dataset_free(d);
}

Test(csv, label_first_and_line_numbers_after_embedded_newlines)
{
    char err[256], *log;
    const char *text =
        "label,review\n"
        "pos,\"line two\nand three\"\n"
        "pos\n"                       /* line 4: missing text column */
        "neg,\"fine\"\n";
    Dataset *d = parse_logged("l.csv", text, NULL, 0, &log, err, sizeof err);
    cr_assert_not_null(d, "%s", err);
    cr_expect_eq(d->n, 2);
    cr_expect_str_eq(d->text[0], "line two\nand three");
    cr_expect_eq(d->skipped, 1);
    cr_expect(strstr(log, "l.csv:4: missing text column (the line has 1 field, the header 2)\n") != NULL,
              "%s", log);
    cr_expect(strstr(log, "l.csv: 1 bad line skipped\n") != NULL, "%s", log);
    free(log);
    dataset_free(d);
}

/* Parses a file whose line 3 is bad (line 2 good) and checks the message. */
static void expect_bad_line(const char *name, const char *text, const char *const *names, int n_names,
                            const char *message)
{
    char err[256], *log;
    Dataset *d = parse_logged(name, text, names, n_names, &log, err, sizeof err);
    cr_assert_not_null(d, "%s: %s", name, err);
    cr_expect_eq(d->n, 1, "%s", name);
    cr_expect_eq(d->skipped, 1, "%s", name);
    cr_expect(strstr(log, message) != NULL, "expected \"%s\" in log:\n%s", message, log);
    free(log);
    dataset_free(d);
}

Test(bad_lines, each_kind_is_reported_with_file_and_line)
{
    expect_bad_line("m.tsv", "sentence\tlabel\ngood\t1\nno label here\n", NULL, 0,
                    "m.tsv:3: missing label column (the line has 1 field, the header 2)\n");
    expect_bad_line("u.tsv", "sentence\tlabel\ngood\t1\nbad \xff byte\t0\n", NULL, 0,
                    "u.tsv:3: invalid UTF-8 in the text\n");
    expect_bad_line("ul.tsv", "sentence\tlabel\ngood\t1\nfine\t\xc3\n", NULL, 0,
                    "ul.tsv:3: invalid UTF-8 in the label\n");
    {
        static const char with_nul[] = "sentence\tlabel\ngood\t1\nbad\0byte\t0\n";
        char err[256], *log;
        size_t log_len;
        FILE *logf = open_memstream(&log, &log_len);
        Dataset *d = dataset_parse("z.tsv", with_nul, sizeof with_nul - 1, NULL, 0, logf, err, sizeof err);
        fclose(logf);
        cr_assert_not_null(d, "%s", err);
        cr_expect_eq(d->n, 1);
        cr_expect(strstr(log, "z.tsv:3: NUL byte in the line (not a text file?)\n") != NULL, "%s", log);
        free(log);
        dataset_free(d);
    }
    expect_bad_line("e.tsv", "sentence\tlabel\ngood\t1\n  \t0\n", NULL, 0, "e.tsv:3: empty text\n");
    expect_bad_line("el.tsv", "sentence\tlabel\ngood\t1\ntext\t \n", NULL, 0, "el.tsv:3: empty label\n");
    expect_bad_line("r.tsv", "sentence\tlabel\ngood\t1\ntext\t64\n", NULL, 0,
                    "r.tsv:3: label 64 out of range (allowed: 0..63)\n");
    expect_bad_line("n.tsv", "sentence\tlabel\ngood\t1\ntext\t-1\n", NULL, 0,
                    "n.tsv:3: label -1 out of range (allowed: 0..63)\n");
    const char *names[] = {"negative", "positive"};
    expect_bad_line("k.tsv", "sentence\tlabel\ngood\tpositive\ntext\tneutral\n", names, 2,
                    "k.tsv:3: unknown label \"neutral\" (allowed: negative, positive)\n");
    expect_bad_line("t.csv", "text,label\ngood,1\n\"oops\"x,0\n", NULL, 0,
                    "t.csv:3: text after a closing quote");
    expect_bad_line("q.csv", "text,label\ngood,1\n\"never closed,0\nmore\n", NULL, 0,
                    "q.csv:3: unterminated quoted field\n");
}

Test(bad_lines, absurdly_long_line)
{
    size_t n = DATASET_MAX_LINE_BYTES + 100;
    char *text = malloc(n + 64);
    strcpy(text, "sentence\tlabel\ngood\t1\n");
    size_t at = strlen(text);
    memset(text + at, 'a', n);
    strcpy(text + at + n, "\t0\n");
    char msg[128];
    snprintf(msg, sizeof msg, "long.tsv:3: line too long (%zu bytes, at most %d)\n", n + 2,
             DATASET_MAX_LINE_BYTES);
    expect_bad_line("long.tsv", text, NULL, 0, msg);
    free(text);
}

/* Lets the address space grow by `extra` bytes from here, so that a parser that
 * allocates per separator fails instead of taking the machine's memory. */
static void limit_address_space(size_t extra)
{
    FILE *f = fopen("/proc/self/status", "r");
    cr_assert_not_null(f);
    char line[256];
    unsigned long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %lu kB", &kb) == 1)
            break;
    fclose(f);
    cr_assert_gt(kb, 0);
    struct rlimit lim = {.rlim_cur = kb * 1024 + extra, .rlim_max = RLIM_INFINITY};
    cr_assert_eq(setrlimit(RLIMIT_AS, &lim), 0);
}

Test(bad_lines, a_line_of_separators_is_not_split_past_the_limit, .timeout = 60)
{
    /* 64 Mi tabs (or commas) on one line. Before, the line was split into 64 Mi
     * fields (24 bytes each: 1.5 GB) before its length was checked; now the
     * splitting stops at the limit and the line is one bad line. */
    const size_t n = (size_t)64 << 20;
    const char *names[] = {"tabs.tsv", "commas.csv"};
    const char *heads[] = {"sentence\tlabel\ngood\t1\n", "text,label\ngood,1\n"};
    const char *tails[] = {"\nbad\t0\n", "\nbad,0\n"};
    const char seps[] = {'\t', ','};
    for (int k = 0; k < 2; k++) {
        size_t head = strlen(heads[k]), tail = strlen(tails[k]);
        char *text = malloc(head + n + tail + 1);
        cr_assert_not_null(text);
        memcpy(text, heads[k], head);
        memset(text + head, seps[k], n);
        memcpy(text + head + n, tails[k], tail + 1);
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
            limit_address_space((size_t)256 << 20);
            char err[256] = "";
            Dataset *d = dataset_parse(names[k], text, head + n + tail, NULL, 0, NULL, err, sizeof err);
            if (!d) {
                fprintf(stderr, "%s\n", err);
                _exit(1);
            }
            _exit(d->n == 2 && d->skipped == 1 ? 0 : 2);
        }
        int status;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status %d", names[k], status);
        free(text);
    }
}

Test(errors, a_single_class_is_refused_naming_the_file)
{
    /* Before: a file whose labels are all one name loaded with num_classes 1, and
     * the model then said "num_classes = 1: must be >= 2" without naming it. */
    char err[256] = "", *log;
    cr_expect_null(parse_logged("one.tsv", "sentence\tlabel\ngood\tpositive\nfine\tpositive\n",
                                NULL, 0, &log, err, sizeof err));
    cr_expect_str_eq(err, "one.tsv: every usable line has the label \"positive\": a classifier "
                          "needs at least 2 classes");
    free(log);
    /* With the classes given (a validation file, a checkpoint's labels), one is enough. */
    const char *names[] = {"negative", "positive"};
    Dataset *d = parse_logged("val.tsv", "sentence\tlabel\ngood\tpositive\n", names, 2, &log, err,
                              sizeof err);
    cr_assert_not_null(d, "%s", err);
    cr_expect_eq(d->num_classes, 2);
    free(log);
    dataset_free(d);
    /* Integer labels are ids: "1" alone still means classes 0 and 1. */
    d = parse_ok("int.tsv", "sentence\tlabel\ngood\t1\n");
    cr_expect_eq(d->num_classes, 2);
    dataset_free(d);
}

Test(bad_lines, mapping_reuses_ids)
{
    const char *names[] = {"positive", "negative"}; /* deliberately not sorted */
    char err[256], *log;
    Dataset *d = parse_logged("v.tsv", "sentence\tlabel\na\tnegative\nb\tpositive\n", names, 2, &log,
                              err, sizeof err);
    cr_assert_not_null(d, "%s", err);
    cr_expect_eq(d->label[0], 1);
    cr_expect_eq(d->label[1], 0);
    cr_expect_str_eq(d->label_names[0], "positive");
    free(log);
    dataset_free(d);
}

Test(errors, unusable_files_name_the_file)
{
    char err[256], *log;
    cr_expect_null(parse_logged("empty.tsv", "", NULL, 0, &log, err, sizeof err));
    cr_expect(strstr(err, "empty.tsv: empty file") == err, "%s", err);
    free(log);
    cr_expect_null(parse_logged("header.tsv", "sentence\tlabel\n", NULL, 0, &log, err, sizeof err));
    cr_expect_str_eq(err, "header.tsv: no usable line (0 bad lines skipped)");
    free(log);
    cr_expect_null(parse_logged("bad.tsv", "sentence\tlabel\n\t1\nx\n", NULL, 0, &log, err, sizeof err));
    cr_expect_str_eq(err, "bad.tsv: no usable line (2 bad lines skipped)");
    cr_expect(strstr(log, "bad.tsv:2: empty text\nbad.tsv:3: missing label column") != NULL, "%s", log);
    free(log);
    cr_expect_null(parse_logged("cols.tsv", "words\tlabel\nx\t1\n", NULL, 0, &log, err, sizeof err));
    cr_expect_str_eq(err, "cols.tsv:1: no text column in the header (allowed names: sentence, text, content, review)");
    free(log);
    cr_expect_null(parse_logged("cols.csv", "text,score\nx,1\n", NULL, 0, &log, err, sizeof err));
    cr_expect_str_eq(err, "cols.csv:1: no label column in the header (allowed names: label, sentiment, class, polarity)");
    free(log);
    cr_expect_null(dataset_load("/nonexistent/dir/file.tsv", NULL, 0, NULL, err, sizeof err));
    cr_expect(strstr(err, "/nonexistent/dir/file.tsv: cannot open") == err, "%s", err);
}

Test(errors, too_many_label_names)
{
    char text[8192] = "sentence\tlabel\n", err[256], *log;
    for (int i = 0; i < DATASET_MAX_CLASSES + 1; i++) {
        char line[32];
        snprintf(line, sizeof line, "s\tc%d\n", i);
        strcat(text, line);
    }
    cr_expect_null(parse_logged("many.tsv", text, NULL, 0, &log, err, sizeof err));
    cr_expect(strstr(err, "many.tsv: more than 64 distinct labels") == err, "%s", err);
    free(log);
}

Test(load, reads_a_file_like_parse)
{
    char path[] = "/tmp/minillm-test-XXXXXX.csv";
    int fd = mkstemps(path, 4);
    cr_assert(fd >= 0);
    const char *text = "text,label\n\"a, b\",pos\nc,neg\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char err[256];
    Dataset *d = dataset_load(path, NULL, 0, NULL, err, sizeof err);
    unlink(path);
    cr_assert_not_null(d, "%s", err);
    cr_expect_eq(d->n, 2);
    cr_expect_str_eq(d->text[0], "a, b");
    cr_expect_eq(d->label[0], 1);
    dataset_free(d);
}

Test(split, deterministic_and_complete)
{
    Dataset *all = dataset_embedded_train();
    cr_assert_not_null(all);
    Dataset *t1, *v1, *t2, *v2, *t3, *v3;
    dataset_split(all, 0.2, 42, &t1, &v1);
    dataset_split(all, 0.2, 42, &t2, &v2);
    dataset_split(all, 0.2, 7, &t3, &v3);
    cr_assert(t1 && v1 && t2 && v2 && t3 && v3);
    cr_expect_eq(t1->n + v1->n, all->n);
    cr_expect_eq(t1->n, t2->n);
    cr_assert_eq(v1->n, v2->n);
    for (int i = 0; i < v1->n; i++) {
        cr_expect_str_eq(v1->text[i], v2->text[i]);
        cr_expect_eq(v1->label[i], v2->label[i]);
    }
    /* Roughly the fraction asked for, and another seed picks another set. */
    cr_expect(v1->n > all->n / 10 && v1->n < all->n * 3 / 10, "val %d of %d", v1->n, all->n);
    int same = v1->n == v3->n;
    for (int i = 0; same && i < v1->n; i++) same = strcmp(v1->text[i], v3->text[i]) == 0;
    cr_expect_not(same, "seed 7 gave the same split as seed 42");
    cr_expect_eq(t1->num_classes, 2);
    cr_expect_str_eq(v1->label_names[1], "positive");
    dataset_free(t1); dataset_free(v1); dataset_free(t2); dataset_free(v2);
    dataset_free(t3); dataset_free(v3);

    Dataset *t, *v;
    dataset_split(all, 0.0, 1, &t, &v);
    cr_assert(t && v);
    cr_expect_eq(t->n, all->n);
    cr_expect_eq(v->n, 0);
    dataset_free(t);
    dataset_free(v);
    dataset_free(all);
}

Test(embedded, workshop_toy)
{
    Dataset *d = dataset_workshop_toy();
    cr_assert_not_null(d);
    cr_assert_eq(d->n, 10);
    cr_expect_str_eq(d->text[0], "this movie is great");
    cr_expect_str_eq(d->text[9], "waste of time");
    for (int i = 0; i < 10; i++) cr_expect_eq(d->label[i], i < 5 ? 1 : 0);
    TokenizerConfig tc = {TOKENIZER_WHITESPACE, true};
    Vocab *v = vocab_from_dataset(d, &tc, 1, 0);
    cr_assert_not_null(v);
    cr_expect_eq(vocab_size(v), 22);
    cr_expect_str_eq(vocab_token(v, 2), "amazing");
    cr_expect_str_eq(vocab_token(v, 21), "worst");
    EncodedDataset *e = dataset_encode(d, &tc, v, 10);
    cr_assert_not_null(e);
    /* "this movie is great" -> [17, 12, 10, 8, 0...], as minillm_ref.encode gives. */
    int expect[10] = {17, 12, 10, 8, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 10; i++) cr_expect_eq(e->ids[i], expect[i]);
    cr_expect_eq(e->len[0], 4);
    cr_expect_eq(e->label[5], 0);
    encoded_dataset_free(e);
    vocab_free(v);
    dataset_free(d);
}

static int count_label(const Dataset *d, int label)
{
    int k = 0;
    for (int i = 0; i < d->n; i++) k += d->label[i] == label;
    return k;
}

Test(embedded, toy_dataset_size_balance_and_held_out_part)
{
    Dataset *train = dataset_embedded_train(), *held = dataset_embedded_heldout();
    Dataset *workshop = dataset_workshop_toy();
    cr_assert(train && held && workshop);
    cr_expect_eq(train->skipped, 0);
    cr_expect_eq(held->skipped, 0);
    int total = train->n + held->n;
    cr_expect_geq(total, 310, "only %d sentences", total);
    cr_expect_geq(held->n * 100, total * 12, "held-out part %d of %d", held->n, total);
    cr_expect_leq(held->n * 100, total * 25, "held-out part %d of %d", held->n, total);
    /* Balanced: each class within 45..55% in both parts. */
    int pos = count_label(train, 1), hpos = count_label(held, 1);
    cr_expect(pos * 100 >= train->n * 45 && pos * 100 <= train->n * 55, "train %d/%d positive", pos, train->n);
    cr_expect(hpos * 100 >= held->n * 45 && hpos * 100 <= held->n * 55, "held-out %d/%d positive", hpos, held->n);
    /* No held-out sentence in train (after the tokenizer's normalisation), and no
     * duplicates within train; the workshop's 10 sentences are in train. */
    TokenizerConfig tc = {TOKENIZER_WORDS, true};
    char a[512], b[512];
    char *ta[64], *tb[64];
    for (int i = 0; i < held->n; i++) {
        int na = tokenize(&tc, held->text[i], ta, 64, a, sizeof a);
        for (int j = 0; j < train->n; j++) {
            int nb = tokenize(&tc, train->text[j], tb, 64, b, sizeof b);
            int same = na == nb;
            for (int k = 0; same && k < na; k++) same = strcmp(ta[k], tb[k]) == 0;
            cr_expect_not(same, "held-out \"%s\" is also in train", held->text[i]);
        }
    }
    for (int i = 0; i < train->n; i++)
        for (int j = i + 1; j < train->n; j++)
            cr_expect_str_neq(train->text[i], train->text[j], "duplicate in train");
    for (int w = 0; w < workshop->n; w++) {
        int found = 0;
        for (int j = 0; j < train->n && !found; j++)
            found = strcmp(train->text[j], workshop->text[w]) == 0 && train->label[j] == workshop->label[w];
        cr_expect(found, "workshop sentence \"%s\" missing from train", workshop->text[w]);
    }
    /* Every held-out word is known from train: new combinations, same vocabulary. */
    Vocab *v = vocab_from_dataset(train, &tc, 1, 0);
    cr_assert_not_null(v);
    for (int i = 0; i < held->n; i++) {
        int n = tokenize(&tc, held->text[i], ta, 64, a, sizeof a);
        for (int k = 0; k < n; k++)
            cr_expect_neq(vocab_lookup(v, ta[k]), MODEL_UNK_ID, "held-out word \"%s\" not in train", ta[k]);
    }
    vocab_free(v);
    dataset_free(train);
    dataset_free(held);
    dataset_free(workshop);
}

/* ../shared/data/sst2 relative to the source root; skips when absent. */
static Dataset *load_sst2(const char *file, char *path, size_t path_len)
{
    const char *root = getenv("MINILLM_SOURCE_ROOT");
    snprintf(path, path_len, "%s/../shared/data/sst2/%s", root ? root : ".", file);
    if (access(path, R_OK) != 0) cr_skip_test("%s not found: SST-2 test skipped", path);
    char err[512];
    Dataset *d = dataset_load(path, NULL, 0, NULL, err, sizeof err);
    cr_assert_not_null(d, "%s", err);
    return d;
}

Test(sst2, train_and_dev_counts)
{
    char path[1024];
    Dataset *d = load_sst2("train.tsv", path, sizeof path);
    cr_expect_eq(d->n, 67349);
    cr_expect_eq(d->skipped, 0);
    cr_expect_eq(d->num_classes, 2);
    cr_expect_str_eq(d->text[0], "hide new secretions from the parental units");
    cr_expect_eq(d->label[0], 0);
    cr_expect_eq(d->label[2], 1);
    /* The notebook's tokenizer, Python's s.lower().split() over this file, gives
     * 14,817 distinct words (measured once with /usr/bin/python3); ours, the same. */
    TokenizerConfig tc = {TOKENIZER_WHITESPACE, true};
    Vocab *v = vocab_from_dataset(d, &tc, 1, 0);
    cr_assert_not_null(v);
    cr_expect_eq(vocab_size(v), 14819);
    vocab_free(v);
    /* dev.tsv has the header "label<TAB>content"; same class names reused. */
    char err[512];
    const char *root = getenv("MINILLM_SOURCE_ROOT");
    snprintf(path, sizeof path, "%s/../shared/data/sst2/dev.tsv", root ? root : ".");
    Dataset *dev = dataset_load(path, DATASET_LABEL_NAMES(d), d->num_classes, NULL, err, sizeof err);
    cr_assert_not_null(dev, "%s", err);
    cr_expect_eq(dev->n, 872);
    dataset_free(dev);
    dataset_free(d);
}

Test(csv, quoted_header_names_and_empty_quoted_text)
{
    char err[256], *log;
    Dataset *d = parse_logged("h.csv", "\"Label\",\"Sentence\"\n1,\"\"\n0,\"ok\"\n", NULL, 0, &log, err, sizeof err);
    cr_assert_not_null(d, "%s", err);
    cr_expect_eq(d->n, 1);
    cr_expect_str_eq(d->text[0], "ok");
    cr_expect(strstr(log, "h.csv:2: empty text\n") != NULL, "%s", log);
    free(log);
    dataset_free(d);
}

/* xorshift64*: the test's own seeded generator. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

Test(robustness, mutated_files_never_crash_and_results_are_consistent)
{
    const char *seeds[] = {
        "text,label\n\"a, \"\"b\"\"\",pos\nc,neg\n\"multi\nline\",pos\n",
        "label\tsentence\n0\tbad film\n1\tgood film\n1\tcaf\xc3\xa9 cr\xc3\xa8me\n",
    };
    const char *names[] = {"m.csv", "m.tsv"};
    const char alphabet[] = "\"\t,\n\r a0\xc3\xa9\xff";
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    char buf[256];
    for (int iter = 0; iter < 4000; iter++) {
        int which = iter & 1;
        size_t len = strlen(seeds[which]);
        memcpy(buf, seeds[which], len);
        int edits = 1 + (int)(next_random(&state) % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = next_random(&state) % len;
            uint64_t kind = next_random(&state) % 3;
            char c = alphabet[next_random(&state) % (sizeof alphabet - 1)];
            if (kind == 0) buf[at] = c;                                   /* replace */
            else if (kind == 1 && len > 1) { memmove(buf + at, buf + at + 1, len - at - 1); len--; } /* delete */
            else if (len < sizeof buf - 1) { memmove(buf + at + 1, buf + at, len - at); buf[at] = c; len++; } /* insert */
        }
        char err[256] = "";
        Dataset *d = dataset_parse(names[which], buf, len, NULL, 0, NULL, err, sizeof err);
        if (!d) {
            cr_assert(strncmp(err, names[which], 5) == 0, "iteration %d: error without the file name: %s", iter, err);
            continue;
        }
        cr_assert_gt(d->n, 0);
        for (int i = 0; i < d->n; i++) {
            cr_assert(d->label[i] >= 0 && d->label[i] < d->num_classes, "iteration %d", iter);
            cr_assert(utf8_valid(d->text[i], strlen(d->text[i])), "iteration %d", iter);
        }
        dataset_free(d);
    }
}

/* Issue 12, item 11: labels are numbers or names; in a file that mixes them the
 * kind most lines use wins, and each line of the other kind is a bad line that
 * says why. */
Test(bad_lines, numbers_and_names_mixed)
{
    char err[256], *log;
    Dataset *d = parse_logged("mix.tsv", "sentence\tlabel\na\t0\nb\t1\nc\t2\nd\tx\n", NULL, 0, &log,
                              err, sizeof err);
    cr_assert_not_null(d, "%s", err);
    cr_expect_eq(d->num_classes, 3, "0, 1, 2: x is no class");
    cr_expect_eq(d->n, 3);
    cr_expect(strstr(log, "mix.tsv:5: label \"x\" is not a number, as the file's other labels are "
                          "(3 lines with a number, 1 with a name: the larger kind wins)\n"), "%s", log);
    free(log);
    dataset_free(d);
    d = parse_logged("names.tsv", "sentence\tlabel\na\tneg\nb\tpos\nc\tpos\nd\t1\n", NULL, 0, &log, err,
                     sizeof err);
    cr_assert_not_null(d, "%s", err);
    cr_expect_eq(d->num_classes, 2, "neg and pos: 1 is no class");
    cr_expect_str_eq(d->label_names[0], "neg");
    cr_expect(strstr(log, "names.tsv:5: label \"1\" is a number, the file's other labels are names"),
              "%s", log);
    free(log);
    dataset_free(d);
}

/* With named classes (a checkpoint's, [data] label_names), an integer label
 * that is not itself a name is the class id: SST-2's 0/1 files against a model
 * whose classes are negative/positive. */
Test(bad_lines, mapping_takes_integer_ids)
{
    const char *names[] = {"negative", "positive"};
    char err[256], *log;
    Dataset *d = parse_logged("ids.tsv", "sentence\tlabel\na\t1\nb\t0\nc\tpositive\nd\t2\n", names, 2,
                              &log, err, sizeof err);
    cr_assert_not_null(d, "%s", err);
    cr_expect_eq(d->n, 3);
    cr_expect_eq(d->label[0], 1);
    cr_expect_eq(d->label[1], 0);
    cr_expect_eq(d->label[2], 1);
    cr_expect(strstr(log, "ids.tsv:5: unknown label \"2\" (allowed: negative, positive)"), "%s", log);
    free(log);
    dataset_free(d);
    const char *numbers[] = {"1", "0"}; /* a name that is a number stays that name */
    d = parse_logged("n.tsv", "sentence\tlabel\na\t1\nb\t0\n", numbers, 2, &log, err, sizeof err);
    cr_assert_not_null(d, "%s", err);
    cr_expect_eq(d->label[0], 0);
    cr_expect_eq(d->label[1], 1);
    free(log);
    dataset_free(d);
}
