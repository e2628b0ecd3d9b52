/* Byte-level BPE tokenizer: learning merges from text, encoding, decoding, and the
 * tokenizer file. No model, no ncurses, no threads: a module of its own.
 *
 * Id space (V = BPE_NUM_BYTES + num_merges):
 *   0..255      the byte values themselves, so every byte string encodes;
 *   256 + i     merge i, the concatenation of its left and right tokens.
 * A merge only references ids that exist before it (left, right < 256 + i).
 *
 * Special tokens (<PAD>, <UNK>, an end-of-text for a language model) are not BPE
 * ids and no text ever encodes to one: the byte string "<PAD>" is five bytes. The
 * model vocabulary puts its specials in front and shifts the BPE ids by their
 * number: model_id = num_specials + bpe_id (with <PAD> = 0 and <UNK> = 1, byte 0
 * becomes model id 2). bpe_encode writes BPE ids; the caller adds the offset.
 *
 * Split rule "gpt2-like/1" (BPE_SPLIT_GPT2_LIKE). Text is first cut into pieces, and
 * a merge never crosses a piece boundary. Each byte is in one class:
 *   letter  A-Z, a-z and every byte >= 0x80 (so a multibyte UTF-8 character, valid
 *           or not, stays inside one piece);
 *   digit   0-9;
 *   space   ' ', \t, \n, \v, \f, \r;
 *   other   every other byte: ASCII punctuation and symbols, control bytes, NUL.
 * From the current position, a piece is
 *   - one ' ' followed by a run of letters, of digits or of other bytes: the space
 *     leads the run (" movie", " 42", " ...");
 *   - else a run of letters, of digits or of other bytes ("movie", "!!");
 *   - else a run of space bytes; when the run is followed by a non-space byte, ends
 *     in ' ' and is longer than one byte, that last ' ' is left to lead the next
 *     piece ("a   b" -> "a" "  " " b"; "a\n b" -> "a" "\n" " b").
 * Runs are unbounded (a 1 MB line of letters is one piece). Apostrophes are other
 * bytes (no English contractions): "don't" -> "don" "'" "t". The rule is total over
 * arbitrary bytes and the pieces concatenate back to the input.
 *
 * Learning (bpe_trainer_*, bpe_learn): count the distinct pieces of the texts, then
 * repeatedly merge the adjacent pair of tokens with the highest count summed over
 * all pieces (a piece seen k times counts k times, a pair seen twice in one piece
 * twice; pieces seen once count too). Ties: the smallest (left, right) id pair,
 * comparing left first. Every occurrence of the pair is merged, left to right, not
 * overlapping ("aaa" -> "aa" "a"). Learning stops early, with fewer merges than
 * asked, when no pair occurs at least twice.
 *
 * Encoding: each piece separately, merges applied by rank: the adjacent pair with
 * the lowest merge index is merged everywhere in the piece (left to right, not
 * overlapping), and again, until no adjacent pair is a merge. This is exactly what
 * learning did to its own pieces. Encoding is single-threaded and deterministic, so
 * it cannot depend on a thread count.
 *
 * Tokenizer file (bpe_to_json / bpe_from_json), UTF-8 JSON:
 *   {"format": "minillm-tui-bpe/1", "split": "gpt2-like/1",
 *    "merges": [[left, right], ...],   merge i creates id 256 + i
 *    "counts": [count, ...]}           the pair's count when it was learned
 * Loading treats the text as hostile: wrong format or split, a merge that is not
 * two integer ids, an id that does not exist before the merge, a pair merged twice,
 * counts missing, negative or of another length, and the size limits below are
 * reported as "<name>: <problem>" naming the merge index.
 *
 * Errors go through errorf (src/errors.h): a message in the caller's buffer and a
 * -1 or NULL return; nothing is printed. */
#ifndef MINILLM_BPE_H
#define MINILLM_BPE_H

#include <stddef.h>
#include <stdint.h>

#define BPE_FORMAT "minillm-tui-bpe/1"
#define BPE_NUM_BYTES 256
/* Limits on what is learned or loaded, so that a hostile file cannot ask for
 * unbounded memory: merges, and the bytes of all tokens together. */
#define BPE_MAX_MERGES (1 << 20)
#define BPE_MAX_TOKEN_BYTES ((size_t)1 << 28)
/* A tokenizer file above this size is refused (8,000 merges take about 170 KB). */
#define BPE_MAX_FILE_BYTES ((size_t)64 << 20)
/* bpe_encode and bpe_decode return this when they cannot give a count. */
#define BPE_ERROR ((size_t)-1)

typedef enum { BPE_SPLIT_GPT2_LIKE = 0 } BpeSplit;

/* "gpt2-like/1"; NULL for a value that is not a BpeSplit. */
const char *bpe_split_name(BpeSplit split);
/* 0 and *out, or -1 for an unknown name. */
int bpe_split_from_name(const char *name, BpeSplit *out);
/* Length of the piece at the start of text (len > 0): between 1 and len. */
size_t bpe_split_piece(BpeSplit split, const unsigned char *text, size_t len);

typedef struct Bpe Bpe;

/* Learning, fed text by text: create, add every text, learn. The trainer keeps the
 * distinct pieces and their counts, not the texts. */
typedef struct BpeTrainer BpeTrainer;
BpeTrainer *bpe_trainer_create(BpeSplit split);
/* Counts the pieces of one text. 0, or -1 when out of memory. */
int bpe_trainer_add(BpeTrainer *tr, const char *text, size_t len, char *err, size_t err_len);
/* Learns up to num_merges merges (0..BPE_MAX_MERGES) from what was added so far
 * (the trainer is not changed). NULL with a message when out of memory. */
Bpe *bpe_trainer_learn(BpeTrainer *tr, int num_merges, char *err, size_t err_len);
void bpe_trainer_free(BpeTrainer *tr);
/* The same in one call: texts[i] has lens[i] bytes (NUL bytes allowed). */
Bpe *bpe_learn(const char *const *texts, const size_t *lens, size_t n, int num_merges,
               BpeSplit split, char *err, size_t err_len);

void bpe_free(Bpe *bpe);
BpeSplit bpe_split(const Bpe *bpe);
int bpe_num_merges(const Bpe *bpe);
/* BPE_NUM_BYTES + num_merges: the ids are 0..vocab_size-1. */
int bpe_vocab_size(const Bpe *bpe);
/* Merge i (0 <= i < num_merges) makes id 256 + i from left and right; `count` is
 * the pair's count when it was learned. 0, or -1 for an i out of range. Any output
 * pointer may be NULL. */
int bpe_merge(const Bpe *bpe, int i, int *left, int *right, int64_t *count);
/* The bytes an id stands for (not NUL-terminated), or NULL when id is not in
 * [0, vocab_size). *len gets their number. */
const unsigned char *bpe_token_bytes(const Bpe *bpe, int id, size_t *len);

/* Encodes len bytes of text (any bytes). Returns the number of ids of the whole
 * encoding; only the first max_ids are stored in ids (ids may be NULL when max_ids
 * is 0). BPE_ERROR only when out of memory (pieces longer than BPE_SHORT_PIECE
 * bytes need a work buffer) or for a piece of 4 GiB or more. Thread-safe on a
 * shared Bpe. */
#define BPE_SHORT_PIECE 64
size_t bpe_encode(const Bpe *bpe, const char *text, size_t len, int *ids, size_t max_ids);

/* The same with a cache of encoded pieces (piece bytes -> ids), so that repeated
 * words cost one hash look-up: for encoding a corpus. One encoder per thread; the
 * Bpe must outlive it. The cache is bounded (pieces up to BPE_SHORT_PIECE bytes, at
 * most BPE_CACHE_PIECES of them, then it starts again empty). */
#define BPE_CACHE_PIECES (1 << 17)
typedef struct BpeEncoder BpeEncoder;
BpeEncoder *bpe_encoder_create(const Bpe *bpe); /* NULL when out of memory */
size_t bpe_encoder_encode(BpeEncoder *enc, const char *text, size_t len, int *ids,
                          size_t max_ids);
void bpe_encoder_free(BpeEncoder *enc);

/* Writes the bytes of ids[0..n) to out. Returns the number of bytes of the whole
 * decoding; only the first max_len are stored (out may be NULL when max_len is 0).
 * BPE_ERROR when an id is not in [0, vocab_size); *bad_index (may be NULL) then
 * gets its index. */
size_t bpe_decode(const Bpe *bpe, const int *ids, size_t n, char *out, size_t max_len,
                  size_t *bad_index);

/* The tokenizer file (see the top of this header). bpe_to_json: a NUL-terminated
 * string to free() (one merge per line), NULL when out of memory. bpe_from_json:
 * json has len bytes; `name` (the file) starts every message. */
char *bpe_to_json(const Bpe *bpe);
Bpe *bpe_from_json(const char *json, size_t len, const char *name, char *err, size_t err_len);

#endif
