/* [data] tokenizer = bpe through the run set-up (src/run.c) for both tasks: the
 * merges learned from the training text, saved in the checkpoint and encoding
 * the same after loading; a tampered or missing tokenizer is an error naming the
 * file and key; `tokenize --checkpoint` prints what `tokenize --tokenizer` of the
 * same merges prints; the language model's bits per character divide by
 * characters, not tokens or bytes. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpe.h"
#include "cli.h"
#include "lm_eval.h"
#include "rel_util.h"
#include "run.h"

TestSuite(bpe_run, .init = rel_tmp_make, .fini = rel_tmp_remove);

static AppConfig small_bpe_config(ModelTask task, int vocab_size)
{
    AppConfig cfg = app_config_default();
    cfg.model.task = task;
    cfg.model.d_model = 32;
    cfg.model.num_heads = 2;
    cfg.model.d_ff = 64;
    cfg.model.num_layers = 1;
    cfg.model.max_len = 32;
    cfg.train.batch_size = 8;
    cfg.train.max_steps = 5;
    cfg.train.threads = 1;
    cfg.data.tokenizer.kind = TOKENIZER_BPE;
    cfg.data.vocab_size = vocab_size;
    return cfg;
}

static void expect_same_merges(const Bpe *a, const Bpe *b)
{
    cr_assert_eq(bpe_num_merges(a), bpe_num_merges(b));
    cr_expect_eq(bpe_split(a), bpe_split(b));
    for (int i = 0; i < bpe_num_merges(a); i++) {
        int la, ra, lb, rb;
        int64_t ca, cb;
        bpe_merge(a, i, &la, &ra, &ca);
        bpe_merge(b, i, &lb, &rb, &cb);
        cr_assert(la == lb && ra == rb && ca == cb, "merge %d: (%d, %d) x%lld vs (%d, %d) x%lld",
                  i, la, ra, (long long)ca, lb, rb, (long long)cb);
    }
}

/* The classifier: merges from the embedded training sentences, <PAD> and <UNK>
 * in front, the checkpoint encoding every sentence as the run did. */
Test(bpe_run, classifier_learns_saves_and_encodes_the_same_after_loading)
{
    AppConfig cfg = small_bpe_config(MODEL_TASK_CLASSIFY, 400);
    RunSpec spec = {.purpose = RUN_TRAIN};
    Run r;
    char err[512] = "";
    cr_assert_eq(run_open(&r, &cfg, &spec, err, sizeof err), 0, "%s", err);
    const Bpe *bpe = vocab_bpe(r.vocab);
    cr_assert_not_null(bpe);
    cr_expect_eq(bpe_vocab_size(bpe), 400, "%d merges learned", bpe_num_merges(bpe));
    cr_expect_eq(r.cfg.model.vocab_size, 2 + 400, "<PAD>, <UNK>, then the BPE ids");
    cr_expect_str_eq(vocab_token(r.vocab, 0), "<PAD>");
    cr_expect_str_eq(vocab_token(r.vocab, 1), "<UNK>");
    cr_expect_str_eq(vocab_token(r.vocab, 2 + 'a'), "a", "byte values shifted by 2");
    /* No text encodes to a special: "<PAD>" is bytes. */
    int ids[32];
    int n = encode_sentence(&r.cfg.data.tokenizer, r.vocab, "<pad> <unk>", 32, ids, NULL);
    cr_assert_gt(n, 0);
    for (int i = 0; i < n; i++)
        cr_expect_geq(ids[i], 2, "token %d is a special", i);
    const char *path = rel_path("bpe.safetensors");
    cr_assert_eq(run_save(&r, path, RUN_SAVE_CURRENT, err, sizeof err), 0, "%s", err);
    Checkpoint c;
    cr_assert_eq(checkpoint_load(path, &c, err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.tokenizer.kind, TOKENIZER_BPE);
    cr_assert_not_null(vocab_bpe(c.vocab));
    expect_same_merges(bpe, vocab_bpe(c.vocab));
    cr_expect_eq(vocab_size(c.vocab), vocab_size(r.vocab));
    for (int s = 0; s < r.train->n; s++) {
        int a[32], b[32];
        char ta[32][32], tb[32][32];
        int na = encode_sentence(&r.cfg.data.tokenizer, r.vocab, r.train->text[s], 32, a, ta);
        int nb = encode_sentence(&c.tokenizer, c.vocab, r.train->text[s], 32, b, tb);
        cr_assert_eq(na, nb, "sentence %d", s);
        cr_assert_eq(memcmp(a, b, sizeof a), 0, "sentence %d: ids differ after loading", s);
        for (int i = 0; i < na; i++)
            cr_assert_str_eq(ta[i], tb[i]);
    }
    checkpoint_free(&c);
    run_close(&r);
    /* A prediction run of the saved file encodes with its merges too. */
    RunSpec predict = {.purpose = RUN_PREDICT, .checkpoint = path};
    cr_assert_eq(run_open(&r, &cfg, &predict, err, sizeof err), 0, "%s", err);
    cr_expect_not_null(vocab_bpe(r.vocab));
    cr_expect_eq(r.cfg.data.tokenizer.kind, TOKENIZER_BPE);
    run_close(&r);
}

/* The language model: <PAD>, <UNK>, <|endoftext|>, then the BPE ids; every
 * character of the text counted once in the streams. */
Test(bpe_run, language_model_learns_saves_and_counts_characters)
{
    AppConfig cfg = small_bpe_config(MODEL_TASK_LM, 320);
    cfg.model.norm = NORM_PRE;
    cfg.data.tokenizer.lowercase = false;
    RunSpec spec = {.purpose = RUN_TRAIN};
    Run r;
    char err[512] = "";
    cr_assert_eq(run_open(&r, &cfg, &spec, err, sizeof err), 0, "%s", err);
    cr_assert_not_null(vocab_bpe(r.vocab));
    cr_expect_eq(r.cfg.model.vocab_size, 3 + 320);
    cr_expect_str_eq(vocab_token(r.vocab, 2), "<|endoftext|>");
    long chars = 0;
    for (long i = 0; i < r.lm->train.n; i++)
        chars += r.lm->train.chars[i];
    cr_expect_eq(chars, r.lm->train.total_chars);
    cr_expect_lt(r.lm->train.n, r.lm->train.total_chars, "BPE tokens hold several characters");
    const char *path = rel_path("lm-bpe.safetensors");
    cr_assert_eq(run_save(&r, path, RUN_SAVE_CURRENT, err, sizeof err), 0, "%s", err);
    Checkpoint c;
    cr_assert_eq(checkpoint_load(path, &c, err, sizeof err), 0, "%s", err);
    expect_same_merges(vocab_bpe(r.vocab), vocab_bpe(c.vocab));
    const char *text = "The cat sat on the mat.\nIt was happy.\n";
    int a[64], b[64], ca[64], cb[64];
    long na = encode_text(&r.cfg.data.tokenizer, r.vocab, text, strlen(text), a, ca);
    long nb = encode_text(&c.tokenizer, c.vocab, text, strlen(text), b, cb);
    cr_assert_eq(na, nb);
    cr_expect_eq(memcmp(a, b, (size_t)na * sizeof *a), 0);
    long sum = 0;
    for (long i = 0; i < na; i++)
        sum += ca[i];
    cr_expect_eq(sum, (long)strlen(text), "an ASCII text: one character per byte");
    checkpoint_free(&c);
    run_close(&r);
}

/* A fake model that gives every predicted token probability 1/2: one bit each. */
static int one_bit(void *ctx, const int *tokens, int B, int n, float *logp, char *err,
                   size_t err_len)
{
    (void)ctx, (void)tokens, (void)err, (void)err_len;
    for (int i = 0; i < B * (n - 1); i++)
        logp[i] = -logf(2.0f);
    return 0;
}

/* Bits per character over BPE tokens, by hand: "aé" with no merges is the three
 * byte tokens a, 0xC3, 0xA9; é's second byte starts no character. One block
 * (max_len 2) predicts 0xC3 and 0xA9: 2 bits over 1 character = 2 bits per
 * character (not 1 per token, nor 1 per byte). With the merge (0xC3, 0xA9), "é"
 * is one token: 1 bit over 1 character. */
Test(bpe_run, bits_per_char_divides_by_characters)
{
    const char *no_merges = "{\"format\": \"minillm-tui-bpe/1\", \"split\": \"gpt2-like/1\", "
                            "\"merges\": [], \"counts\": []}";
    const char *e_acute = "{\"format\": \"minillm-tui-bpe/1\", \"split\": \"gpt2-like/1\", "
                          "\"merges\": [[195, 169]], \"counts\": [2]}";
    const char *json[2] = {no_merges, e_acute};
    const long want_tokens[2] = {2, 1};
    const double want_bpc[2] = {2.0, 1.0};
    TokenizerConfig tc = {TOKENIZER_BPE, false};
    for (int k = 0; k < 2; k++) {
        char err[256] = "";
        Bpe *bpe = bpe_from_json(json[k], strlen(json[k]), "test", err, sizeof err);
        cr_assert_not_null(bpe, "%s", err);
        Vocab *v = vocab_from_bpe(bpe, 3, err, sizeof err);
        cr_assert_not_null(v, "%s", err);
        LmStream s;
        cr_assert_eq(lm_stream_encode(&s, &tc, v, "a\xC3\xA9", 3, "aé", err, sizeof err), 0);
        cr_expect_eq(s.total_chars, 2, "a and é");
        cr_expect_eq(s.ids[0], 3 + 'a');
        LmEvalResult r;
        cr_assert_eq(lm_evaluate(&s, 2, 4, one_bit, NULL, &r, err, sizeof err), 0, "%s", err);
        cr_expect_eq(r.tokens, want_tokens[k]);
        cr_expect_eq(r.chars, 1, "é is the one predicted character");
        cr_expect_float_eq(r.bits_per_char, want_bpc[k], 1e-6);
        lm_stream_free(&s);
        vocab_free(v);
    }
}

/* The checkpoint's bytes with the first `from` in its JSON header replaced by
 * `to` (the header length rewritten; the tensors' offsets are relative to the
 * data, so they still hold). */
static void tamper(const char *src, const char *dst, const char *from, const char *to)
{
    FILE *f = fopen(src, "rb");
    cr_assert_not_null(f);
    static unsigned char bytes[1 << 22];
    size_t len = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | bytes[i];
    char *header = strndup((const char *)bytes + 8, (size_t)hlen);
    char *at = strstr(header, from);
    cr_assert_not_null(at, "'%s' not in the header", from);
    size_t before = (size_t)(at - header), flen = strlen(from), tlen = strlen(to);
    uint64_t nlen = hlen - flen + tlen;
    FILE *o = fopen(dst, "wb");
    cr_assert_not_null(o);
    for (int i = 0; i < 8; i++)
        fputc((int)(nlen >> (8 * i) & 0xFF), o);
    fwrite(header, 1, before, o);
    fwrite(to, 1, tlen, o);
    fwrite(at + flen, 1, (size_t)hlen - before - flen, o);
    fwrite(bytes + 8 + hlen, 1, len - 8 - (size_t)hlen, o);
    cr_assert_eq(fclose(o), 0);
    free(header);
}

static void expect_load_error(const char *path, const char *part)
{
    Checkpoint c;
    char err[512] = "";
    cr_assert_eq(checkpoint_load(path, &c, err, sizeof err), -1, "%s loaded", path);
    cr_expect_not_null(strstr(err, path), "the message names the file: %s", err);
    cr_expect_not_null(strstr(err, part), "'%s' not in: %s", part, err);
}

Test(bpe_run, a_tampered_tokenizer_is_a_clear_error)
{
    AppConfig cfg = small_bpe_config(MODEL_TASK_CLASSIFY, 300);
    RunSpec spec = {.purpose = RUN_TRAIN};
    Run r;
    char err[512] = "";
    cr_assert_eq(run_open(&r, &cfg, &spec, err, sizeof err), 0, "%s", err);
    const char *good = rel_path("good.safetensors"), *bad = rel_path("bad.safetensors");
    cr_assert_eq(run_save(&r, good, RUN_SAVE_CURRENT, err, sizeof err), 0, "%s", err);
    run_close(&r);
    /* a merge whose left id does not exist yet */
    tamper(good, bad, "\\\"merges\\\": [\\n    [", "\\\"merges\\\": [\\n    [99999, 0], [");
    expect_load_error(bad, "__metadata__ 'bpe'");
    /* another split rule's name */
    tamper(good, bad, "gpt2-like/1", "gpt2-like/7");
    expect_load_error(bad, "__metadata__ 'bpe'");
    /* the merges missing */
    tamper(good, bad, "\"bpe\":", "\"bp_\":");
    expect_load_error(bad, "has no 'bpe' key (the merges)");
    /* a vocabulary size that is not the specials + the merges */
    tamper(good, bad, "\\\"vocab_size\\\":302", "\\\"vocab_size\\\":303");
    expect_load_error(bad, "config 'vocab_size' 303 is not the 2 special tokens + the 300 ids");
    /* specials that are not a BPE vocabulary's */
    tamper(good, bad, "[\\\"<PAD>\\\",\\\"<UNK>\\\"]", "[\\\"<PAD>\\\",\\\"<ZZZ>\\\"]");
    expect_load_error(bad, "__metadata__ 'vocab' entry 1 is \"<ZZZ>\"");
}

static char *run_tokenize(int argc, const char **argv)
{
    char *out_text = NULL, *err_text = NULL;
    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream(&out_text, &out_len), *err = open_memstream(&err_text, &err_len);
    FILE *in = fmemopen((void *)"x\n", 2, "r");
    int rc = cli_tokenize(argc, (char **)argv, in, out, err);
    fclose(in);
    fclose(out);
    fclose(err);
    cr_expect_eq(rc, 0, "%s", err_text);
    free(err_text);
    return out_text;
}

Test(bpe_run, tokenize_checkpoint_prints_what_tokenize_tokenizer_prints)
{
    AppConfig cfg = small_bpe_config(MODEL_TASK_CLASSIFY, 500);
    RunSpec spec = {.purpose = RUN_TRAIN};
    Run r;
    char err[512] = "";
    cr_assert_eq(run_open(&r, &cfg, &spec, err, sizeof err), 0, "%s", err);
    const char *model = rel_path("tok.safetensors"), *file = rel_path("tok.tokenizer");
    cr_assert_eq(run_save(&r, model, RUN_SAVE_CURRENT, err, sizeof err), 0, "%s", err);
    char *json = bpe_to_json(vocab_bpe(r.vocab));
    FILE *f = fopen(file, "w");
    cr_assert(f && fputs(json, f) >= 0 && fclose(f) == 0);
    free(json);
    run_close(&r);
    for (int as_json = 0; as_json < 2; as_json++) {
        const char *from_model[] = {"tokenize", "--checkpoint", model, "the unwatchable movie",
                                    "a great, moving story!", "--json"};
        const char *from_file[] = {"tokenize", "--tokenizer", file, "the unwatchable movie",
                                   "a great, moving story!", "--json"};
        int argc = as_json ? 6 : 5;
        char *a = run_tokenize(argc, from_model), *b = run_tokenize(argc, from_file);
        cr_expect_gt(strlen(a), 20, "%s", a);
        cr_expect_str_eq(a, b);
        free(a);
        free(b);
    }
    /* predict --attention shows the same pieces, '|' where they meet */
    char *out_text = NULL, *err_text = NULL;
    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream(&out_text, &out_len), *errf = open_memstream(&err_text, &err_len);
    const char *predict[] = {"predict", "--checkpoint", model, "--attention", "the movie"};
    cr_expect_eq(cli_predict(5, (char **)predict, stdin, out, errf), 0);
    fclose(out);
    fclose(errf);
    cr_expect(strstr(out_text, "  tokens: the| movie\n"), "%s%s", out_text, err_text);
    free(out_text);
    free(err_text);
}

static void expect_config_error(const char *ini, int parse_rc, const char *message)
{
    AppConfig cfg = app_config_default();
    char err[1024] = "";
    int rc = app_config_parse(&cfg, "bpe.ini", ini, err, sizeof err);
    cr_assert_eq(rc, parse_rc, "%s: %s", ini, err);
    if (rc == 0)
        cr_assert_eq(app_config_validate(&cfg, err, sizeof err), -1, "%s", ini);
    cr_expect_str_eq(err, message);
}

Test(bpe_run, config_keys_and_their_errors)
{
    AppConfig cfg = app_config_default();
    char err[1024] = "";
    cr_expect_eq(cfg.data.vocab_size, 8256, "the default: 8,000 merges");
    const char *ini = "[model]\ntask = lm\n[data]\ntokenizer = bpe\nvocab_size = 256\n";
    cr_assert_eq(app_config_parse(&cfg, "bpe.ini", ini, err, sizeof err), 0, "%s", err);
    cr_assert_eq(app_config_validate(&cfg, err, sizeof err), 0, "%s", err);
    cr_expect_eq(cfg.data.tokenizer.kind, TOKENIZER_BPE);
    cr_expect_eq(cfg.data.vocab_size, 256, "the bytes alone");
    expect_config_error("[data]\ntokenizer = bpe\nvocab_size = 255\n", -1,
                        "bpe.ini:3: data.vocab_size: 255 is out of range (allowed: an integer from "
                        "256 to 65792 (the 256 byte values + the merges))");
    expect_config_error("[data]\nvocab_size = 65793\n", -1,
                        "bpe.ini:2: data.vocab_size: 65793 is out of range (allowed: an integer "
                        "from 256 to 65792 (the 256 byte values + the merges))");
    expect_config_error("[model]\ntask = lm\n[data]\ntokenizer = bpe\nsynthetic = copy\n", 0,
                        "bpe.ini:4: data.tokenizer = bpe cannot learn from data.synthetic = copy "
                        "(the synthetic tasks use char tokens)");
}

/* The shipped configs load, validate and ask for BPE. */
Test(bpe_run, shipped_configs)
{
    const char *names[2] = {"assets/sst2-bpe.ini", "assets/lm-bpe.ini"};
    const ModelTask tasks[2] = {MODEL_TASK_CLASSIFY, MODEL_TASK_LM};
    for (int k = 0; k < 2; k++) {
        const char *root = getenv("MINILLM_SOURCE_ROOT");
        char path[2048], err[1024] = "";
        snprintf(path, sizeof path, "%s/%s", root ? root : ".", names[k]);
        AppConfig cfg = app_config_default();
        cr_assert_eq(app_config_load(&cfg, path, err, sizeof err), 0, "%s", err);
        cr_assert_eq(app_config_validate(&cfg, err, sizeof err), 0, "%s", err);
        cr_expect_eq(cfg.data.tokenizer.kind, TOKENIZER_BPE, "%s", names[k]);
        cr_expect_eq(cfg.model.task, tasks[k], "%s", names[k]);
        cr_expect_gt(cfg.data.vocab_size, 256, "%s", names[k]);
    }
}
