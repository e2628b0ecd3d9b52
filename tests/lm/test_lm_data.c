/* The language model's data (src/lm_data.h, src/lm_synthetic.h) and its config keys. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "lm_data.h"
#include "lm_synthetic.h"
#include "trainer.h"

static const TokenizerConfig CHARS = {TOKENIZER_CHAR, false};

static char tmpdir[64];

static void make_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/minillm-lm-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    cr_expect_eq(system(cmd), 0);
}

static const char *write_tmp(const char *name, const char *bytes, size_t len)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(bytes, 1, len, f), len);
    fclose(f);
    return path;
}

Test(lm_text, rows_are_joined_with_newlines_and_a_final_one)
{
    const char *rows[] = {"it was fine", "", "ok"};
    size_t len;
    char *text = lm_join_rows(rows, 3, &len);
    cr_assert_str_eq(text, "it was fine\n\nok\n");
    cr_expect_eq(len, strlen(text));
    free(text);
}

Test(lm_text, the_split_keeps_the_last_characters_for_validation)
{
    /* 20 characters, 5 %: the last one. "é" is 2 bytes but one character. */
    const char *text = "abcdefghijklmnopqrs\xC3\xA9";
    cr_expect_eq(lm_split_point(text, strlen(text), 0.05), 19);
    const char *forty = "aaaaaaaaaaaaaaaaaaaa\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                        "bbbbbbbbbbbbbbb";
    /* 40 characters: the last 2. */
    cr_expect_eq(lm_split_point(forty, strlen(forty), 0.05), strlen(forty) - 2);
}

Test(lm_text, char_vocabulary_in_code_point_order_and_unseen_is_unk)
{
    const char *train = "ba\nab \xC3\xA9!";
    Vocab *v = lm_build_vocab(&CHARS, train, strlen(train), 1, 0);
    cr_assert_not_null(v);
    const char *want[] = {"<PAD>", "<UNK>", "\n", " ", "!", "a", "b", "\xC3\xA9"};
    cr_assert_eq(vocab_size(v), 8);
    for (int i = 0; i < 8; i++)
        cr_expect_str_eq(vocab_token(v, i), want[i], "id %d", i);
    LmStream s;
    char err[256] = "";
    const char *val = "abz\xC3\xA9\n";
    cr_assert_eq(lm_stream_encode(&s, &CHARS, v, val, strlen(val), "val", err, sizeof err), 0);
    int ids[] = {5, 6, 1, 7, 2};
    cr_assert_eq(s.n, 5);
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(s.ids[i], ids[i], "token %d", i);
        cr_expect_eq(s.chars[i], 1);
    }
    cr_expect_eq(s.total_chars, 5);
    lm_stream_free(&s);
    vocab_free(v);
}

Test(lm_text, lowercase_applies_to_char_tokens)
{
    const TokenizerConfig lower = {TOKENIZER_CHAR, true};
    Vocab *v = lm_build_vocab(&lower, "Ab\xC3\x89", 4, 1, 0);
    cr_assert_eq(vocab_size(v), 5);
    cr_expect_str_eq(vocab_token(v, 2), "a");
    cr_expect_str_eq(vocab_token(v, 4), "\xC3\xA9");
    vocab_free(v);
}

Test(lm_text, windows_are_consecutive_tokens_and_deterministic)
{
    int ids[50], chars[50];
    for (int i = 0; i < 50; i++) ids[i] = i, chars[i] = 1;
    LmStream s = {.n = 50, .ids = ids, .chars = chars, .total_chars = 50};
    Rng a, b;
    rng_seed(&a, 7);
    rng_seed(&b, 7);
    bool seen_first = false, seen_last = false;
    for (int k = 0; k < 2000; k++) {
        int w[9], w2[9];
        lm_stream_window(&s, &a, 9, w);
        lm_stream_window(&s, &b, 9, w2);
        cr_assert_arr_eq(w, w2, sizeof w);
        cr_assert(w[0] >= 0 && w[0] <= 41, "start %d", w[0]);
        for (int i = 1; i < 9; i++) cr_assert_eq(w[i], w[0] + i);
        seen_first |= w[0] == 0;
        seen_last |= w[0] == 41;
    }
    cr_expect(seen_first && seen_last, "every start can be drawn");
}

Test(lm_text, files_txt_whole_and_tsv_rows, .init = make_tmp, .fini = remove_tmp)
{
    char *text = NULL, err[512] = "";
    size_t len;
    int skipped = -1;
    const char *txt = write_tmp("a.txt", "one line\nno end", 15);
    cr_assert_eq(lm_text_load(txt, &text, &len, &skipped, NULL, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(text, "one line\nno end\n");
    cr_expect_eq(skipped, 0);
    free(text);
    const char *tsv_bytes = "sentence\tlabel\nthe film\t1\n\tbad\na bore\t0\n";
    const char *tsv = write_tmp("a.tsv", tsv_bytes, strlen(tsv_bytes));
    cr_assert_eq(lm_text_load(tsv, &text, &len, &skipped, NULL, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(text, "the film\na bore\n");
    cr_expect_eq(skipped, 1);
    free(text);
    const char *bad = write_tmp("bad.txt", "ok \xC3(", 5);
    cr_expect_eq(lm_text_load(bad, &text, &len, NULL, NULL, err, sizeof err), -1);
    cr_expect(strstr(err, "bad.txt: byte 3 is not valid UTF-8") != NULL, "%s", err);
    cr_expect_null(text);
    const char *nul = write_tmp("nul.txt", "ab\0c", 4);
    cr_expect_eq(lm_text_load(nul, &text, &len, NULL, NULL, err, sizeof err), -1);
    cr_expect(strstr(err, "nul.txt: byte 2 is a NUL byte") != NULL, "%s", err);
    const char *empty = write_tmp("empty.txt", "", 0);
    cr_expect_eq(lm_text_load(empty, &text, &len, NULL, NULL, err, sizeof err), -1);
    cr_expect(strstr(err, "empty") != NULL, "%s", err);
}

Test(lm_data, embedded_text_trains_on_95_percent_and_validates_on_the_rest)
{
    DataConfig dc = app_config_default().data;
    dc.tokenizer = CHARS;
    LmData d;
    char err[512] = "";
    cr_assert_eq(lm_data_open_train(&d, &dc, 42, NULL, 65, NULL, err, sizeof err), 0, "%s", err);
    long all = d.train.total_chars + d.val.total_chars;
    cr_expect_gt(all, 20000, "the embedded text is 20 KB or more");
    cr_expect_eq(d.val.total_chars, (long)(all * 0.05), "%ld of %ld", d.val.total_chars, all);
    cr_expect_str_eq(d.train_name, "embedded text");
    cr_expect_str_eq(vocab_token(d.vocab, 2), "\n");
    cr_expect_str_eq(vocab_token(d.vocab, 3), " ");
    cr_expect_eq(d.val.ids[d.val.n - 1], 2, "the text ends with a newline");
    /* The validation part starts where the training part stops. */
    LmData e;
    cr_assert_eq(lm_data_open_eval(&e, &dc, 42, d.vocab, NULL, err, sizeof err), 0, "%s", err);
    cr_assert_eq(e.val.n, d.val.n);
    cr_expect_arr_eq(e.val.ids, d.val.ids, (size_t)d.val.n * sizeof(int));
    lm_data_close(&e);
    lm_data_close(&d);
    cr_expect_eq(lm_data_open_train(&d, &dc, 42, NULL, 1 << 30, NULL, err, sizeof err), -1);
    cr_expect(strstr(err, "embedded text: the training text has") != NULL, "%s", err);
}

Test(lm_data, a_validation_file_is_read_whole, .init = make_tmp, .fini = remove_tmp)
{
    DataConfig dc = app_config_default().data;
    dc.tokenizer = CHARS;
    snprintf(dc.train_path, sizeof dc.train_path, "%s", write_tmp("t.txt", "abcabcabc\n", 10));
    snprintf(dc.val_path, sizeof dc.val_path, "%s", write_tmp("v.txt", "cab?\n", 5));
    LmData d;
    char err[512] = "";
    cr_assert_eq(lm_data_open_train(&d, &dc, 1, NULL, 4, NULL, err, sizeof err), 0, "%s", err);
    cr_expect_eq(d.train.n, 10);
    cr_expect_eq(vocab_size(d.vocab), 6);
    int want[] = {5, 3, 4, 1, 2};
    cr_assert_eq(d.val.n, 5);
    cr_expect_arr_eq(d.val.ids, want, sizeof want);
    lm_data_close(&d);
}

Test(synthetic, examples_are_the_task_s_answers)
{
    Rng rng;
    rng_seed(&rng, 3);
    for (int task = SYNTHETIC_COPY; task <= SYNTHETIC_SORT; task++) {
        for (int k = 0; k < 200; k++) {
            char ex[SYNTHETIC_MAX_EXAMPLE];
            int bar = -1, len = synthetic_example((SyntheticTask)task, &rng, ex, &bar);
            cr_assert(bar >= SYNTHETIC_MIN_LETTERS && bar <= SYNTHETIC_MAX_LETTERS);
            cr_assert_eq(len, 2 * bar + 2);
            cr_assert_eq(ex[bar], '|');
            cr_assert_eq(ex[len - 1], '\n');
            int count_in[26] = {0}, count_out[26] = {0};
            for (int i = 0; i < bar; i++) {
                cr_assert(ex[i] >= 'a' && ex[i] <= 'z');
                count_in[ex[i] - 'a']++;
                count_out[ex[bar + 1 + i] - 'a']++;
                char want = task == SYNTHETIC_REVERSE ? ex[bar - 1 - i] : ex[i];
                if (task != SYNTHETIC_SORT)
                    cr_assert_eq(ex[bar + 1 + i], want);
                else if (i > 0)
                    cr_assert_leq(ex[bar + i], ex[bar + 1 + i]);
            }
            cr_assert_arr_eq(count_in, count_out, sizeof count_in);
        }
    }
}

Test(synthetic, training_windows_and_validation_text)
{
    DataConfig dc = app_config_default().data;
    dc.tokenizer = CHARS;
    dc.synthetic = SYNTHETIC_COPY;
    LmData d;
    char err[512] = "";
    cr_assert_eq(lm_data_open_train(&d, &dc, 5, NULL, 33, NULL, err, sizeof err), 0, "%s", err);
    cr_expect_eq(vocab_size(d.vocab), 30, "<PAD> <UNK> \\n a..z |");
    cr_expect_str_eq(vocab_token(d.vocab, 29), "|");
    cr_expect_eq(d.train.n, 0);
    cr_expect_eq(d.val.n, LM_SYNTHETIC_VAL_BYTES);
    cr_expect_str_eq(d.train_name, "synthetic copy");
    Rng rng;
    rng_seed(&rng, 9);
    int w[33];
    char scratch[33];
    for (int k = 0; k < 100; k++) {
        lm_data_window(&d, &rng, 33, w, scratch);
        for (int i = 0; i < 33; i++)
            cr_assert(w[i] >= 2 && w[i] < 30, "id %d", w[i]);
    }
    LmData again;
    cr_assert_eq(lm_data_open_eval(&again, &dc, 5, d.vocab, NULL, err, sizeof err), 0, "%s", err);
    cr_expect_arr_eq(again.val.ids, d.val.ids, (size_t)d.val.n * sizeof(int),
                     "the validation text depends on the seed only");
    lm_data_close(&again);
    lm_data_close(&d);
}

static void expect_invalid(const char *ini, const char *message)
{
    AppConfig cfg = app_config_default();
    char err[1024] = "";
    cr_assert_eq(app_config_parse(&cfg, "lm.ini", ini, err, sizeof err), 0, "%s", err);
    cr_expect_eq(app_config_validate(&cfg, err, sizeof err), -1, "%s", ini);
    cr_expect(strstr(err, message) != NULL, "got: %s\nwant: %s", err, message);
}

Test(lm_config, keys_and_their_checks)
{
    AppConfig cfg = app_config_default();
    char err[1024] = "", value[64];
    const char *ini = "[model]\ntask = lm\nnorm = pre\ntie_embeddings = true\n"
                      "[data]\ntokenizer = char\nsynthetic = reverse\n[train]\nmax_steps = 300\n";
    cr_assert_eq(app_config_parse(&cfg, "lm.ini", ini, err, sizeof err), 0, "%s", err);
    cr_assert_eq(app_config_validate(&cfg, err, sizeof err), 0, "%s", err);
    cr_expect_eq(cfg.model.task, MODEL_TASK_LM);
    cr_expect_eq(cfg.model.norm, NORM_PRE);
    cr_expect(cfg.model.tie_embeddings);
    cr_expect_eq(cfg.data.tokenizer.kind, TOKENIZER_CHAR);
    cr_expect_eq(cfg.data.synthetic, SYNTHETIC_REVERSE);
    cr_expect_eq(cfg.train.max_steps, 300);
    cr_assert_eq(app_config_get(&cfg, "model", "task", value, sizeof value), 0);
    cr_expect_str_eq(value, "lm");
    expect_invalid("[model]\ntask = lm\n", "lm.ini:2: data.tokenizer = words: the language model");
    expect_invalid("[model]\ntie_embeddings = true\n",
                   "lm.ini:2: model.tie_embeddings = true needs model.task = lm");
    expect_invalid("[data]\ntokenizer = char\nsynthetic = copy\n",
                   "lm.ini:3: data.synthetic = copy needs model.task = lm");
    cr_expect_eq(app_config_parse(&cfg, "x.ini", "[model]\ntask = gpt\n", err, sizeof err), -1);
    cr_expect_str_eq(err, "x.ini:2: model.task: \"gpt\" is not allowed (allowed: classify, lm)");
}

Test(lm_config, max_steps_ends_a_classifier_run_early_and_its_schedule_with_it)
{
    AppConfig cfg = app_config_default();
    cfg.model.d_model = 16;
    cfg.model.num_heads = 2;
    cfg.model.d_ff = 32;
    cfg.model.num_layers = 1;
    cfg.train.max_steps = 7;
    cfg.train.schedule = LR_WARMUP_COSINE;
    cfg.train.threads = 1;
    Dataset *d = dataset_embedded_train();
    Vocab *v = vocab_from_dataset(d, &cfg.data.tokenizer, 1, 0);
    cfg.model.vocab_size = vocab_size(v);
    EncodedDataset *e = dataset_encode(d, &cfg.data.tokenizer, v, cfg.model.max_len);
    char err[512] = "";
    Trainer *t = trainer_create(&cfg, NULL, e, NULL, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    const TrainProgress *p = trainer_progress(t);
    cr_expect_eq(p->total_steps, 7);
    int rc, steps = 0;
    while ((rc = trainer_step(t, err, sizeof err)) == 0)
        steps++;
    cr_expect_eq(rc, 1, "%s", err);
    cr_expect_eq(steps, 7);
    cr_expect(p->done);
    cr_expect_lt(p->lr, cfg.train.optim.lr * 0.2f, "the cosine ends at the last step: lr %g",
                 (double)p->lr);
    cr_expect_eq(trainer_set_step(t, 7, err, sizeof err), 0, "%s", err);
    cr_expect(p->done);
    cr_expect_eq(p->epoch, 0);
    trainer_free(t);
    encoded_dataset_free(e);
    vocab_free(v);
    dataset_free(d);
}
