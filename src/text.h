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

/* TOKENIZER_CHAR: every Unicode code point is a token, spaces and newlines
 * included (an invalid UTF-8 byte is a one-byte token); the language model's. */
typedef enum { TOKENIZER_WHITESPACE = 0, TOKENIZER_WORDS = 1, TOKENIZER_CHAR = 2 } TokenizerKind;

typedef struct {
    TokenizerKind kind;
    bool lowercase;
} TokenizerConfig;

#define VOCAB_PAD_TOKEN "<PAD>"
#define VOCAB_UNK_TOKEN "<UNK>"

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

/* A whole text as token ids, without truncation or padding (the language
 * model's stream): ids gets one entry per token (at most len: a token has at
 * least one byte) and chars (may be NULL) the number of characters (code
 * points) of each token's text, which bits per character count. Returns the
 * number of tokens, or -1 when out of memory for a giant token. */
long encode_text(const TokenizerConfig *tc, const Vocab *v, const char *text, size_t len, int *ids,
                 int *chars);
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
