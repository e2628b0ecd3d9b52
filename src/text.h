/* Tokenizer and vocabulary: lower-case, split on whitespace (the notebook), or
 * "words" mode that also splits off punctuation. Vocabulary: id 0 <PAD>, id 1 <UNK>,
 * then the kept words sorted (byte order), filtered by min_freq and max_size.
 *
 * Whitespace is ASCII whitespace. Lower-casing covers ASCII, Latin-1, Latin
 * Extended-A, Greek and Cyrillic capitals (each keeps its UTF-8 byte length);
 * other characters are left as they are. In "words" mode a token is a run of
 * letters, digits and non-ASCII characters; an apostrophe (' or U+2019) or a
 * hyphen between two such characters stays inside the word ("don't",
 * "well-made"); every other ASCII punctuation character, and the common Unicode
 * quotes, dashes, ellipsis and guillemets, is a token of its own. Multibyte
 * characters are never split. */
#ifndef MINILLM_TEXT_H
#define MINILLM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct Bpe; /* bpe.h */

/* TOKENIZER_CHAR: every Unicode code point is a token, spaces and newlines
 * included (an invalid UTF-8 byte is a one-byte token); the language model's.
 * TOKENIZER_BPE: byte-level BPE (bpe.h) learned from the training text; its
 * vocabulary (vocab_from_bpe) carries the merges. */
typedef enum {
    TOKENIZER_WHITESPACE = 0,
    TOKENIZER_WORDS = 1,
    TOKENIZER_CHAR = 2,
    TOKENIZER_BPE = 3,
} TokenizerKind;

typedef struct {
    TokenizerKind kind;
    bool lowercase;
} TokenizerConfig;

#define VOCAB_PAD_TOKEN "<PAD>"
#define VOCAB_UNK_TOKEN "<UNK>"
/* The language model's end-of-text token with BPE (id 2): no text encodes to it. */
#define VOCAB_EOT_TOKEN "<|endoftext|>"

/* Splits text into tokens. Returns the number of tokens (may exceed max_tokens:
 * only the first max_tokens are stored). Each token is a NUL-terminated copy in
 * `buf` (buf_len bytes); tokens[i] points into buf. A buffer of
 * 2 * strlen(text) + 1 bytes always suffices; with a smaller one, returns -1
 * when the stored tokens do not fit. */
int tokenize(const TokenizerConfig *tc, const char *text, char **tokens, int max_tokens,
             char *buf, size_t buf_len);

typedef struct Vocab Vocab;
/* Builds from counted tokens of a corpus: call vocab_builder_* then vocab_build. */
typedef struct VocabBuilder VocabBuilder;
VocabBuilder *vocab_builder_create(void);
/* Counts one token. "<PAD>" and "<UNK>" themselves are ignored. */
void vocab_builder_add(VocabBuilder *vb, const char *token);
/* Counts every token of text[0..len) as tokenize would cut it (the language
 * model's vocabulary: with TOKENIZER_CHAR, every code point). */
void vocab_builder_add_text(VocabBuilder *vb, const TokenizerConfig *tc, const char *text,
                            size_t len);
/* min_freq >= 1; max_size counts <PAD> and <UNK> (0 = unlimited); ties in frequency
 * at the max_size cut are broken by byte order of the word. */
Vocab *vocab_build(VocabBuilder *vb, int min_freq, int max_size);
void vocab_builder_free(VocabBuilder *vb);
/* From a list of tokens in id order (a checkpoint's "vocab"); tokens[0] must be <PAD>,
 * tokens[1] <UNK>; no duplicates, no empty tokens. */
Vocab *vocab_from_list(const char *const *tokens, int n, char *err, size_t err_len);
void vocab_free(Vocab *v);
int vocab_size(const Vocab *v);
const char *vocab_token(const Vocab *v, int id); /* NULL when id is out of range */
/* MODEL_UNK_ID if absent. The program looks words up through encode_sentence;
 * tests look up single tokens. */
int vocab_lookup(const Vocab *v, const char *token);

/* Tokenize + look up + truncate to max_len + pad with 0. Returns the number of real
 * tokens kept (<= max_len); a real token is never id 0 (the text "<PAD>" is <UNK>). ids has max_len entries. token_text (may be NULL) gets
 * up to max_len display strings copied into a (max_len x 32) char array (cut at a
 * UTF-8 character boundary; unused rows are empty strings). */
int encode_sentence(const TokenizerConfig *tc, const Vocab *v, const char *text, int max_len,
                    int *ids, char (*token_text)[32]);

/* Tokens encode_sentence would give text without the max_len cut (with a BPE
 * vocabulary, its whole encoding; else tokenize's count); -1 when out of memory. */
long sentence_token_count(const TokenizerConfig *tc, const Vocab *v, const char *text);

/* A whole text as token ids, without truncation or padding (the language
 * model's stream): ids gets one entry per token (at most len: a token has at
 * least one byte) and chars (may be NULL) the number of characters (code
 * points) of each token's text, which bits per character count. Returns the
 * number of tokens, or -1 when out of memory for a giant token. */
long encode_text(const TokenizerConfig *tc, const Vocab *v, const char *text, size_t len, int *ids,
                 int *chars);
/* A BPE vocabulary (TOKENIZER_BPE): num_specials special tokens, then the BPE
 * ids shifted by num_specials (bpe.h). The specials are <PAD> (0) and <UNK> (1),
 * and with num_specials = 3 also <|endoftext|> (2), the language model's; no
 * text encodes to a special (word dropout still writes <UNK>). vocab_token of a
 * BPE id gives its bytes NUL-terminated (vocab_token_bytes: with their length,
 * NUL bytes included); vocab_lookup finds only the specials. Takes ownership
 * of bpe, also on failure. */
#define VOCAB_BPE_MAX_SPECIALS 3
Vocab *vocab_from_bpe(struct Bpe *bpe, int num_specials, char *err, size_t err_len);
/* Learns a BPE vocabulary from texts (lower-cased first when tc->lowercase)
 * with bpe_ids = 256 + merges ids (fewer when no pair repeats any more). NULL
 * with err when out of memory. */
Vocab *vocab_learn_bpe(const TokenizerConfig *tc, const char *const *texts, const size_t *lens,
                       size_t n, int bpe_ids, int num_specials, char *err, size_t err_len);
/* The BPE tokenizer of v and its number of specials; NULL and 0 for a word or
 * character vocabulary. */
const struct Bpe *vocab_bpe(const Vocab *v);
int vocab_num_specials(const Vocab *v);
/* The bytes of token id (a special: its name), NULL when out of range. */
const char *vocab_token_bytes(const Vocab *v, int id, size_t *len);
/* A token's bytes as a label of at most 31 bytes: valid UTF-8 as it is, "\n"
 * and "\t" escaped, any other control or invalid byte as \xHH. */
void token_display(const char *bytes, size_t len, char out[32]);
/* Characters a BPE token holds: its bytes that start a UTF-8 character (not
 * 10xxxxxx), so that over a UTF-8 text each character counts once, in the
 * token holding its first byte. */
int token_chars(const char *bytes, size_t len);

/* src[0..n) lower-cased as the tokenizers do (each character keeps its byte
 * length) into dst, which gets n bytes and a NUL. */
void text_lowercase(char *dst, const char *src, size_t n);

/* Code points in s[0..len) (an invalid byte counts as one). */
size_t utf8_count_chars(const char *s, size_t len);

/* True when s[0..len) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool utf8_valid(const char *s, size_t len);
/* Length (1..4) of the valid UTF-8 character at s (avail > 0 bytes), by the same
 * rules; 0 when there is none. */
size_t utf8_char_len(const char *s, size_t avail);
/* A copy of s (NUL-terminated) in which every byte that does not start a valid
 * UTF-8 character is replaced by U+FFFD, as a strict reader (JSON) needs it;
 * valid text comes back unchanged. Free with free(); NULL when out of memory. */
char *utf8_sanitized(const char *s);

#endif
