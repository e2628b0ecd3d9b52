/* Tokenizer and vocabulary. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "text.h"

static const TokenizerConfig WS_LOWER = {TOKENIZER_WHITESPACE, true};
static const TokenizerConfig WORDS_LOWER = {TOKENIZER_WORDS, true};

/* Tokenizes and joins the tokens with '|' for compact comparisons. */
static const char *joined(const TokenizerConfig *tc, const char *text)
{
    static char out[1024];
    char buf[1024];
    char *tokens[64];
    int n = tokenize(tc, text, tokens, 64, buf, sizeof buf);
    cr_assert(n >= 0 && n <= 64, "tokenize returned %d", n);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i) strcat(out, "|");
        strcat(out, tokens[i]);
    }
    return out;
}

Test(tokenizer, whitespace_lowercases_and_splits)
{
    cr_expect_str_eq(joined(&WS_LOWER, "This Movie is GREAT"), "this|movie|is|great");
    cr_expect_str_eq(joined(&WS_LOWER, "  tabs\tand\nnew lines\r\n "), "tabs|and|new|lines");
    cr_expect_str_eq(joined(&WS_LOWER, "Great story!"), "great|story!");
    cr_expect_str_eq(joined(&WS_LOWER, ""), "");
    cr_expect_str_eq(joined(&WS_LOWER, "   "), "");
}

Test(tokenizer, lowercase_off_keeps_case)
{
    TokenizerConfig tc = {TOKENIZER_WHITESPACE, false};
    cr_expect_str_eq(joined(&tc, "This Movie"), "This|Movie");
    tc.kind = TOKENIZER_WORDS;
    cr_expect_str_eq(joined(&tc, "Great, IDEA"), "Great|,|IDEA");
}

Test(tokenizer, words_splits_punctuation)
{
    cr_expect_str_eq(joined(&WORDS_LOWER, "Great story!!"), "great|story|!|!");
    cr_expect_str_eq(joined(&WORDS_LOWER, "well-made, fun."), "well-made|,|fun|.");
    cr_expect_str_eq(joined(&WORDS_LOWER, "I don't like it"), "i|don't|like|it");
    cr_expect_str_eq(joined(&WORDS_LOWER, "'quoted' (yes)"), "'|quoted|'|(|yes|)");
    cr_expect_str_eq(joined(&WORDS_LOWER, "a - b -- c"), "a|-|b|-|-|c");
    cr_expect_str_eq(joined(&WORDS_LOWER, "top10 in 2024?"), "top10|in|2024|?");
}

Test(tokenizer, utf8_is_never_split)
{
    /* é è ï — … « » ’ as UTF-8 */
    cr_expect_str_eq(joined(&WORDS_LOWER, "Caf\xc3\xa9 cr\xc3\xa8me\xe2\x80\xa6"),
                     "caf\xc3\xa9|cr\xc3\xa8me|\xe2\x80\xa6");
    cr_expect_str_eq(joined(&WORDS_LOWER, "na\xc3\xafve\xe2\x80\x94story"),
                     "na\xc3\xafve|\xe2\x80\x94|story");
    cr_expect_str_eq(joined(&WORDS_LOWER, "\xc2\xab super \xc2\xbb"), "\xc2\xab|super|\xc2\xbb");
    cr_expect_str_eq(joined(&WORDS_LOWER, "c\xe2\x80\x99" "est bien"), "c\xe2\x80\x99" "est|bien");
    /* A 4-byte emoji is a word character; no byte of it is split off. */
    cr_expect_str_eq(joined(&WORDS_LOWER, "good\xf0\x9f\x91\x8d!"), "good\xf0\x9f\x91\x8d|!");
    /* NO-BREAK SPACE separates, as in Python's str.split(). */
    cr_expect_str_eq(joined(&WS_LOWER, "a\xc2\xa0" "b"), "a|b");
}

Test(tokenizer, utf8_lowercase)
{
    /* ÉTÉ -> été, ÀÇ -> àç, Œ -> œ, ΑΒΓ -> αβγ, ПРИВЕТ -> привет, × unchanged */
    cr_expect_str_eq(joined(&WS_LOWER, "\xc3\x89T\xc3\x89"), "\xc3\xa9t\xc3\xa9");
    cr_expect_str_eq(joined(&WS_LOWER, "\xc3\x80\xc3\x87"), "\xc3\xa0\xc3\xa7");
    cr_expect_str_eq(joined(&WS_LOWER, "\xc5\x92"), "\xc5\x93");
    cr_expect_str_eq(joined(&WS_LOWER, "\xce\x91\xce\x92\xce\x93"), "\xce\xb1\xce\xb2\xce\xb3");
    cr_expect_str_eq(joined(&WS_LOWER, "\xd0\x9f\xd0\xa0\xd0\x98"), "\xd0\xbf\xd1\x80\xd0\xb8");
    cr_expect_str_eq(joined(&WS_LOWER, "\xc3\x97"), "\xc3\x97");
}

Test(tokenizer, invalid_utf8_does_not_crash)
{
    cr_expect_str_eq(joined(&WORDS_LOWER, "\xff ok \xc3"), "\xff|ok|\xc3");
}

Test(tokenizer, counts_beyond_max_tokens_and_small_buffer)
{
    char buf[64];
    char *tokens[2];
    int n = tokenize(&WS_LOWER, "a b c d", tokens, 2, buf, sizeof buf);
    cr_assert_eq(n, 4);
    cr_expect_str_eq(tokens[0], "a");
    cr_expect_str_eq(tokens[1], "b");
    char tiny[3];
    cr_expect_eq(tokenize(&WS_LOWER, "abc def", tokens, 2, tiny, sizeof tiny), -1);
}

static const char *const WORKSHOP[] = {
    "this movie is great", "i love this film", "amazing performance", "wonderful story",
    "best movie ever", "terrible movie", "worst film ever", "boring story",
    "bad performance", "waste of time",
};

/* build_vocab of reference/minillm_ref.py on SEED_SENTENCES. */
static const char *const WORKSHOP_VOCAB[22] = {
    "<PAD>", "<UNK>", "amazing", "bad", "best", "boring", "ever", "film", "great", "i", "is",
    "love", "movie", "of", "performance", "story", "terrible", "this", "time", "waste",
    "wonderful", "worst",
};

static Vocab *vocab_of(const char *const *sentences, int n, int min_freq, int max_size)
{
    VocabBuilder *vb = vocab_builder_create();
    cr_assert_not_null(vb);
    for (int i = 0; i < n; i++) {
        char buf[512];
        char *tokens[64];
        int k = tokenize(&WS_LOWER, sentences[i], tokens, 64, buf, sizeof buf);
        for (int j = 0; j < k; j++) vocab_builder_add(vb, tokens[j]);
    }
    Vocab *v = vocab_build(vb, min_freq, max_size);
    vocab_builder_free(vb);
    cr_assert_not_null(v);
    return v;
}

Test(vocab, workshop_gives_the_exact_22_entries)
{
    Vocab *v = vocab_of(WORKSHOP, 10, 1, 0);
    cr_assert_eq(vocab_size(v), 22);
    for (int i = 0; i < 22; i++) {
        cr_expect_str_eq(vocab_token(v, i), WORKSHOP_VOCAB[i], "id %d", i);
        cr_expect_eq(vocab_lookup(v, WORKSHOP_VOCAB[i]), i);
    }
    cr_expect_eq(vocab_lookup(v, "unseen"), MODEL_UNK_ID);
    cr_expect_eq(vocab_lookup(v, "<PAD>"), MODEL_PAD_ID);
    cr_expect_null(vocab_token(v, 22));
    cr_expect_null(vocab_token(v, -1));
    vocab_free(v);
}

Test(vocab, min_freq_drops_rare_words)
{
    /* movie 2, film 2, story 2, ever 2, performance 2, this 2; the rest once. */
    Vocab *v = vocab_of(WORKSHOP, 10, 2, 0);
    const char *expect[] = {"<PAD>", "<UNK>", "ever", "film", "movie", "performance", "story", "this"};
    cr_assert_eq(vocab_size(v), 8);
    for (int i = 0; i < 8; i++) cr_expect_str_eq(vocab_token(v, i), expect[i]);
    vocab_free(v);
}

Test(vocab, max_size_keeps_most_frequent_ties_by_byte_order)
{
    const char *text[] = {"d c b a", "c b a", "b a z", "a"};
    /* a 4, b 3, c 2, d 1, z 1 */
    Vocab *v = vocab_of(text, 4, 1, 5);
    cr_assert_eq(vocab_size(v), 5);
    cr_expect_str_eq(vocab_token(v, 2), "a");
    cr_expect_str_eq(vocab_token(v, 3), "b");
    cr_expect_str_eq(vocab_token(v, 4), "c");
    vocab_free(v);
    /* max_size 6: one of the tied d and z (count 1) is kept: d, by byte order. */
    v = vocab_of(text, 4, 1, 6);
    cr_assert_eq(vocab_size(v), 6);
    cr_expect_str_eq(vocab_token(v, 5), "d");
    cr_expect_eq(vocab_lookup(v, "z"), MODEL_UNK_ID);
    vocab_free(v);
    /* max_size 2: only the specials. */
    v = vocab_of(text, 4, 1, 2);
    cr_expect_eq(vocab_size(v), 2);
    vocab_free(v);
}

Test(vocab, specials_in_the_corpus_are_not_duplicated)
{
    VocabBuilder *vb = vocab_builder_create();
    vocab_builder_add(vb, "<PAD>");
    vocab_builder_add(vb, "<UNK>");
    vocab_builder_add(vb, "word");
    Vocab *v = vocab_build(vb, 1, 0);
    vocab_builder_free(vb);
    cr_assert_eq(vocab_size(v), 3);
    cr_expect_str_eq(vocab_token(v, 2), "word");
    vocab_free(v);
}

Test(vocab, from_list_round_trip_and_errors)
{
    char err[256];
    Vocab *v = vocab_from_list(WORKSHOP_VOCAB, 22, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    cr_expect_eq(vocab_lookup(v, "worst"), 21);
    vocab_free(v);

    const char *no_pad[] = {"<UNK>", "a"};
    cr_expect_null(vocab_from_list(no_pad, 2, err, sizeof err));
    cr_expect(strstr(err, "<PAD>") != NULL, "%s", err);
    const char *dup[] = {"<PAD>", "<UNK>", "a", "b", "a"};
    cr_expect_null(vocab_from_list(dup, 5, err, sizeof err));
    cr_expect(strstr(err, "duplicate token \"a\" at id 4") != NULL, "%s", err);
    const char *empty[] = {"<PAD>", "<UNK>", ""};
    cr_expect_null(vocab_from_list(empty, 3, err, sizeof err));
    cr_expect(strstr(err, "empty token at id 2") != NULL, "%s", err);
}

Test(encode, looks_up_truncates_and_pads)
{
    Vocab *v = vocab_of(WORKSHOP, 10, 1, 0);
    int ids[6];
    char text[6][32];
    int n = encode_sentence(&WS_LOWER, v, "This movie is GREAT unseen", 6, ids, text);
    cr_assert_eq(n, 5);
    int expect[6] = {17, 12, 10, 8, MODEL_UNK_ID, MODEL_PAD_ID};
    for (int i = 0; i < 6; i++) cr_expect_eq(ids[i], expect[i], "position %d", i);
    cr_expect_str_eq(text[3], "great");
    cr_expect_str_eq(text[4], "unseen");
    cr_expect_str_eq(text[5], "");

    /* Longer than max_len: truncated, never rejected (the notebook's [:max_len]). */
    int ids3[3];
    n = encode_sentence(&WS_LOWER, v, "best movie ever best movie ever", 3, ids3, NULL);
    cr_expect_eq(n, 3);
    cr_expect_eq(ids3[0], 4);
    cr_expect_eq(ids3[2], 6);
    vocab_free(v);
}

Test(encode, the_word_pad_in_a_text_is_not_padding)
{
    /* Found by tests/fuzz/fuzz_dataset.c: with lower-casing off, the text "<PAD>"
     * looked up as id 0, so a real token was masked out as padding. */
    char err[256];
    const char *list[] = {"<PAD>", "<UNK>", "good"};
    Vocab *v = vocab_from_list(list, 3, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    const TokenizerConfig keep_case = {TOKENIZER_WHITESPACE, false};
    int ids[4];
    int n = encode_sentence(&keep_case, v, "<PAD> good <UNK>", 4, ids, NULL);
    cr_assert_eq(n, 3);
    int expect[4] = {MODEL_UNK_ID, 2, MODEL_UNK_ID, MODEL_PAD_ID};
    for (int i = 0; i < 4; i++) cr_expect_eq(ids[i], expect[i], "position %d", i);
    vocab_free(v);
}

Test(encode, display_text_is_cut_at_a_character_boundary)
{
    const char *list[] = {"<PAD>", "<UNK>"};
    Vocab *v = vocab_from_list(list, 2, NULL, 0);
    /* 30 ASCII bytes then "é": 32 bytes, the é does not fit in 31. */
    char sentence[64];
    memset(sentence, 'x', 30);
    strcpy(sentence + 30, "\xc3\xa9");
    int ids[1];
    char text[1][32];
    encode_sentence(&WS_LOWER, v, sentence, 1, ids, text);
    cr_expect_eq(strlen(text[0]), 30);
    cr_expect_eq(ids[0], MODEL_UNK_ID);
    vocab_free(v);
}

Test(utf8, validation)
{
    cr_expect(utf8_valid("plain", 5));
    cr_expect(utf8_valid("\xc3\xa9\xe2\x80\xa6\xf0\x9f\x91\x8d", 9));
    cr_expect_not(utf8_valid("\xff", 1));
    cr_expect_not(utf8_valid("\xc3", 1));            /* truncated */
    cr_expect_not(utf8_valid("\xc0\xaf", 2));        /* overlong */
    cr_expect_not(utf8_valid("\xed\xa0\x80", 3));    /* surrogate */
    cr_expect_not(utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
}

/* Issue 14: what predict --json puts in a JSON string is valid UTF-8 whatever
 * the input: each byte that starts no valid character becomes U+FFFD. */
Test(utf8, sanitized_replaces_each_invalid_byte)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"plain", "plain"},
        {"caf\xc3\xa9 \xf0\x9f\x91\x8d", "caf\xc3\xa9 \xf0\x9f\x91\x8d"},  /* valid: unchanged */
        {"a\xff" "b", "a\xef\xbf\xbd" "b"},
        {"\xc3", "\xef\xbf\xbd"},                                        /* truncated */
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},                        /* overlong */
        {"\xed\xa0\x80!", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!"},      /* surrogate */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = utf8_sanitized(cases[i].in);
        cr_assert_not_null(s);
        cr_expect_str_eq(s, cases[i].want, "case %zu", i);
        cr_expect(utf8_valid(s, strlen(s)), "case %zu", i);
        free(s);
    }
}
