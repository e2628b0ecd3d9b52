/* `minillm-tui tokenize`: learn a byte-level BPE tokenizer from a data file and
 * save it, or show the ids and pieces a tokenizer gives texts, or decode ids. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpe.h"
#include "checkpoint.h"
#include "cli.h"
#include "cli_util.h"
#include "corpus.h"
#include "errors.h"
#include "files.h"
#include "spelling.h"
#include "text.h"

static const CliOption tokenize_options[] = {
    {"data", "FILE", "learn from this file: a .txt is one text, else a TSV/CSV's text column"},
    {"vocab-size", "N", "tokens to learn: the 256 bytes plus N - 256 merges (256..1048832)"},
    {"save", "FILE", "write the learned tokenizer to FILE (JSON, replaced atomically)"},
    {"tokenizer", "FILE", "the tokenizer file to encode or decode with"},
    {"checkpoint", "FILE", "encode or decode with the tokenizer saved in a model (tokenizer = bpe)"},
    {"json", NULL, "print one JSON object per text: {\"ids\": [...], \"pieces\": [...]}"},
    {"decode", NULL, "read ids (separated by spaces) and write the bytes they stand for"},
};

static const CliCommand tokenize_command = {
    .command = "tokenize",
    .synopsis = "--data F --vocab-size N --save F.tokenizer\n"
                "       " CLI_PROGRAM " tokenize (--tokenizer F.tokenizer | --checkpoint F) [--json] "
                "[--decode] [TEXT...]",
    .description =
        "Learns a byte-level BPE tokenizer, or shows how one cuts text.\n"
        "\n"
        "Learning: the texts are cut into pieces that no merge crosses (rule gpt2-like/1:\n"
        "a run of letters, a run of digits or a run of other symbols, each with at most\n"
        "one leading space, or a run of whitespace; bytes >= 0x80 count as letters), then\n"
        "the most frequent pair of adjacent tokens becomes a new token, ties going to the\n"
        "smallest pair of ids, until there are N tokens or no pair occurs twice. Ids\n"
        "0..255 are the bytes, id 256 + i is merge i. The file is JSON: the split rule,\n"
        "the merges in order and their counts.\n"
        "\n"
        "Using: each TEXT, or each line of standard input (without its line end) when no\n"
        "TEXT is given, is printed as two lines: its ids, then its pieces as quoted\n"
        "strings (\\n, \\t, \\\", \\\\ and \\xNN for other bytes that are not printable UTF-8).\n"
        "With --json, pieces show U+FFFD for bytes that are not valid UTF-8 (the ids are\n"
        "exact). With --decode, each TEXT or line is a list of ids and its bytes are\n"
        "written followed by a newline.\n"
        "\n"
        "With --checkpoint, the merges saved in a model trained with tokenizer = bpe cut\n"
        "the text as the model does (lower-cased first when the model's config says so);\n"
        "the ids are the tokenizer's, as with --tokenizer: the model's own id is that id\n"
        "plus its special tokens (2 for a classifier, 3 for a language model).",
    .options = tokenize_options,
    .num_options = (int)(sizeof tokenize_options / sizeof tokenize_options[0]),
    .epilogue = "Exit status: 0 success, 1 error (a file, a bad id), 2 usage error.",
};

/* ------------------------------------------------------------ learning */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int learn(const CliCommand *cmd, const CliArgs *args, FILE *out, FILE *err)
{
    const char *data_path = cli_value(cmd, args, "data");
    const char *save_path = cli_value(cmd, args, "save");
    if (!cli_value(cmd, args, "vocab-size") || !save_path) {
        cli_error(cmd, err, "--data needs --vocab-size N and --save FILE (see '" CLI_PROGRAM
                  " tokenize --help')");
        return CLI_EXIT_USAGE;
    }
    int vocab_size = 0;
    int rc = cli_get_int(cmd, args, "vocab-size", BPE_NUM_BYTES, BPE_NUM_BYTES + BPE_MAX_MERGES,
                         &vocab_size, err);
    if (rc != 0)
        return rc;
    char msg[1024];
    Corpus corpus;
    if (corpus_load(data_path, &corpus, err, msg, sizeof msg) != 0) {
        cli_error(cmd, err, "%s", msg);
        return CLI_EXIT_FAILURE;
    }
    const int asked = vocab_size - BPE_NUM_BYTES;
    double t0 = now_s();
    Bpe *bpe = bpe_learn(corpus.text, corpus.len, corpus.n, asked, BPE_SPLIT_GPT2_LIKE, msg,
                         sizeof msg);
    double seconds = now_s() - t0;
    char *json = bpe ? bpe_to_json(bpe) : NULL;
    rc = CLI_EXIT_FAILURE;
    if (!bpe) {
        cli_error(cmd, err, "%s: %s", data_path, msg);
    } else if (!json) {
        cli_error(cmd, err, "%s: out of memory writing the tokenizer", save_path);
    } else if (atomic_write_file(save_path, json, strlen(json), msg, sizeof msg) != 0) {
        cli_error(cmd, err, "%s", msg);
    } else {
        int learned = bpe_num_merges(bpe);
        fprintf(out, "%s: %d merges (vocabulary %d) learned from %zu text%s, %zu bytes, in %.2f s\n",
                save_path, learned, bpe_vocab_size(bpe), corpus.n, corpus.n == 1 ? "" : "s",
                corpus.total_bytes, seconds);
        if (learned < asked)
            fprintf(out, "stopped after %d of the %d merges asked: no pair occurs twice more\n",
                    learned, asked);
        rc = CLI_EXIT_OK;
    }
    free(json);
    bpe_free(bpe);
    corpus_free(&corpus);
    return rc;
}

/* ------------------------------------------------------------ showing */

/* A piece as a quoted string: valid UTF-8 as it is, '"' '\\' \n \t escaped, and
 * other control bytes and bytes that are not UTF-8 as \xNN, or for JSON as \u00NN
 * and U+FFFD. */
static void print_piece(FILE *out, const unsigned char *p, size_t len, bool json)
{
    fputc('"', out);
    for (size_t i = 0; i < len;) {
        size_t n = utf8_char_len((const char *)p + i, len - i);
        unsigned char c = p[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (n == 0 && json)
            fputs("\\ufffd", out);
        else if (n == 0 || c < 0x20 || c == 0x7F)
            fprintf(out, json ? "\\u%04x" : "\\x%02x", c);
        else
            fwrite(p + i, 1, n, out);
        i += n > 0 ? n : 1;
    }
    fputc('"', out);
}

typedef struct {
    const Bpe *bpe;
    BpeEncoder *enc;
    int *ids;          /* (cap) */
    size_t cap;
    bool json, decode;
    bool lowercase;    /* the checkpoint's tokenizer lower-cases first */
    char *lowered;     /* (lowered_cap) the text lower-cased */
    size_t lowered_cap;
} Shower;

/* text, or its lower-cased copy when s->lowercase; NULL when out of memory. */
static const char *as_encoded(Shower *s, const char *text, size_t len)
{
    if (!s->lowercase)
        return text;
    if (len + 1 > s->lowered_cap) {
        char *grown = realloc(s->lowered, len + 1);
        if (!grown)
            return NULL;
        s->lowered = grown;
        s->lowered_cap = len + 1;
    }
    text_lowercase(s->lowered, text, len);
    return s->lowered;
}

static int show_encoding(Shower *s, const char *raw, size_t len, FILE *out)
{
    const char *text = as_encoded(s, raw, len);
    if (!text)
        return -1;
    size_t n = bpe_encoder_encode(s->enc, text, len, s->ids, s->cap);
    if (n != BPE_ERROR && n > s->cap) {
        int *ids = realloc(s->ids, n * sizeof *ids);
        if (!ids)
            return -1;
        s->ids = ids;
        s->cap = n;
        n = bpe_encoder_encode(s->enc, text, len, s->ids, s->cap);
    }
    if (n == BPE_ERROR)
        return -1;
    const char *first = s->json ? "" : " ", *next = s->json ? ", " : " ";
    fputs(s->json ? "{\"ids\": [" : "ids:", out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%d", i ? next : first, s->ids[i]);
    fputs(s->json ? "], \"pieces\": [" : "\npieces:", out);
    for (size_t i = 0; i < n; i++) {
        size_t piece_len;
        const unsigned char *piece = bpe_token_bytes(s->bpe, s->ids[i], &piece_len);
        fputs(i ? next : first, out);
        print_piece(out, piece, piece_len, s->json);
    }
    fputs(s->json ? "]}\n" : "\n", out);
    return 0;
}

/* Ids separated by spaces to bytes. `where` names the input in messages. */
static int show_decoding(const CliCommand *cmd, Shower *s, const char *text, const char *where,
                         FILE *out, FILE *err)
{
    size_t n = 0;
    const int V = bpe_vocab_size(s->bpe);
    for (const char *p = text;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (*p == '\0')
            break;
        char *end;
        errno = 0;
        long id = strtol(p, &end, 10);
        if (end == p || errno != 0 || id < 0 || id >= V || (*end && !strchr(" \t\r", *end))) {
            int shown = (int)strcspn(p, " \t\r");
            cli_error(cmd, err, "%s: '%.*s' is not an id of this tokenizer (0..%d)", where,
                      shown > 40 ? 40 : shown, p, V - 1);
            return CLI_EXIT_FAILURE;
        }
        if (n == s->cap) {
            size_t cap = s->cap ? 2 * s->cap : 256;
            int *ids = realloc(s->ids, cap * sizeof *ids);
            if (!ids) {
                cli_error(cmd, err, "out of memory");
                return CLI_EXIT_FAILURE;
            }
            s->ids = ids;
            s->cap = cap;
        }
        s->ids[n++] = (int)id;
        p = end;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const unsigned char *bytes = bpe_token_bytes(s->bpe, s->ids[i], &len);
        fwrite(bytes, 1, len, out);
    }
    fputc('\n', out);
    return CLI_EXIT_OK;
}

static int show_one(const CliCommand *cmd, Shower *s, const char *text, size_t len,
                    const char *where, FILE *out, FILE *err)
{
    if (s->decode)
        return show_decoding(cmd, s, text, where, out, err);
    if (show_encoding(s, text, len, out) != 0) {
        cli_error(cmd, err, "%s: out of memory encoding %zu bytes", where, len);
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

/* The tokenizer file's merges (*owned, to free), or a checkpoint's (in *ckpt,
 * to free). 0, or -1 with msg. */
static int load_bpe(const CliCommand *cmd, const CliArgs *args, Shower *s, Bpe **owned,
                    Checkpoint *ckpt, char *msg, size_t msg_len)
{
    *owned = NULL;
    memset(ckpt, 0, sizeof *ckpt);
    const char *path = cli_value(cmd, args, "checkpoint");
    if (path) {
        if (checkpoint_load(path, ckpt, msg, msg_len) != 0)
            return -1;
        if (!(s->bpe = vocab_bpe(ckpt->vocab)))
            return errorf(msg, msg_len, "%s: the model's tokenizer is %s, not bpe (config key "
                          "'tokenizer'): it has no merges to show", path,
                          enum_name(&TOKENIZER_NAMES, ckpt->tokenizer.kind));
        s->lowercase = ckpt->tokenizer.lowercase;
        return 0;
    }
    path = cli_value(cmd, args, "tokenizer");
    char *json;
    size_t json_len;
    if (file_read_all(path, BPE_MAX_FILE_BYTES, &json, &json_len, msg, msg_len) != 0)
        return -1;
    *owned = bpe_from_json(json, json_len, path, msg, msg_len);
    free(json);
    s->bpe = *owned;
    return *owned ? 0 : -1;
}

static int show(const CliCommand *cmd, const CliArgs *args, FILE *in, FILE *out, FILE *err)
{
    Shower s = {.json = cli_flag(cmd, args, "json"), .decode = cli_flag(cmd, args, "decode")};
    if (s.json && s.decode) {
        cli_error(cmd, err, "--json is for encoding; --decode writes the bytes themselves");
        return CLI_EXIT_USAGE;
    }
    char msg[1024];
    Bpe *bpe;
    Checkpoint ckpt;
    if (load_bpe(cmd, args, &s, &bpe, &ckpt, msg, sizeof msg) != 0) {
        cli_error(cmd, err, "%s", msg);
        bpe_free(bpe);
        checkpoint_free(&ckpt);
        return CLI_EXIT_FAILURE;
    }
    s.enc = bpe_encoder_create(s.bpe);
    int rc = s.enc ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    if (!s.enc)
        cli_error(cmd, err, "out of memory");
    for (int i = 0; rc == CLI_EXIT_OK && i < args->num_positional; i++) {
        char where[32];
        snprintf(where, sizeof where, "argument %d", i + 1);
        const char *text = args->positional[i];
        rc = show_one(cmd, &s, text, strlen(text), where, out, err);
    }
    if (args->num_positional == 0) {
        char *line = NULL;
        size_t line_cap = 0;
        long number = 0;
        while (rc == CLI_EXIT_OK) {
            errno = 0;
            ssize_t len = getline(&line, &line_cap, in);
            if (len < 0) {
                if (ferror(in) || errno == ENOMEM) {
                    cli_error(cmd, err, "standard input line %ld: %s", number + 1,
                              errno == ENOMEM ? "out of memory" : "read error");
                    rc = CLI_EXIT_FAILURE;
                }
                break;
            }
            char where[48];
            snprintf(where, sizeof where, "standard input line %ld", ++number);
            if (len > 0 && line[len - 1] == '\n')
                line[--len] = '\0';
            if (len > 0 && line[len - 1] == '\r')
                line[--len] = '\0';
            rc = show_one(cmd, &s, line, (size_t)len, where, out, err);
        }
        free(line);
    }
    free(s.ids);
    free(s.lowered);
    bpe_encoder_free(s.enc);
    bpe_free(bpe);
    checkpoint_free(&ckpt);
    return rc;
}

int cli_tokenize(int argc, char **argv, FILE *in, FILE *out, FILE *err)
{
    const CliCommand *cmd = &tokenize_command;
    char *positional[argc > 0 ? argc : 1];
    CliArgs args = {.positional = positional};
    int rc = cli_parse(cmd, argc, argv, 1, &args, err);
    if (rc != 0)
        return rc;
    if (args.help) {
        cli_print_help(cmd, out);
        return CLI_EXIT_OK;
    }
    bool learning = cli_value(cmd, &args, "data") != NULL;
    int using = (cli_value(cmd, &args, "tokenizer") != NULL) +
                (cli_value(cmd, &args, "checkpoint") != NULL);
    if ((int)learning + using != 1) {
        cli_error(cmd, err, "give one of --data F (to learn), --tokenizer F or --checkpoint F "
                  "(to use) (see '" CLI_PROGRAM " tokenize --help')");
        return CLI_EXIT_USAGE;
    }
    if (learning) {
        static const char *const use_only[] = {"json", "decode"};
        for (size_t i = 0; i < sizeof use_only / sizeof use_only[0]; i++)
            if (cli_flag(cmd, &args, use_only[i])) {
                cli_error(cmd, err, "--%s is for using a tokenizer, not learning one", use_only[i]);
                return CLI_EXIT_USAGE;
            }
        if (args.num_positional > 0) {
            cli_error(cmd, err, "unexpected argument '%s' when learning (see '" CLI_PROGRAM
                      " tokenize --help')", args.positional[0]);
            return CLI_EXIT_USAGE;
        }
        return learn(cmd, &args, out, err);
    }
    static const char *const learn_only[] = {"vocab-size", "save"};
    for (size_t i = 0; i < sizeof learn_only / sizeof learn_only[0]; i++)
        if (cli_value(cmd, &args, learn_only[i])) {
            cli_error(cmd, err, "--%s is for learning (with --data), not using a tokenizer",
                      learn_only[i]);
            return CLI_EXIT_USAGE;
        }
    return show(cmd, &args, in, out, err);
}
