/* `minillm-tui predict`: class probabilities of sentences given as arguments or
 * one per line on stdin, optionally with every layer's and head's attention. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_util.h"
#include "run.h"

static const CliOption predict_options[] = {
    {"checkpoint", "FILE", "the model to use (safetensors saved by train)"},
    {"json", NULL, "print one JSON object: sentences, labels, probs, unknown (and tokens, attention)"},
    {"attention", NULL, "also show the tokens and the attention weights of every layer and head"},
};

static const CliCommand predict_command = {
    .command = "predict",
    .synopsis = "--checkpoint F [--json] [--attention] [SENTENCE...]",
    .description =
        "Prints the probability of each class for every SENTENCE argument, or for every\n"
        "non-blank line of standard input when no sentence is given. Probabilities are in\n"
        "the order of the checkpoint's labels. A word the vocabulary does not have is fed\n"
        "as <UNK>: --attention shows it as <UNK>:word, --json counts them per sentence in\n"
        "\"unknown\". The text output numbers layers and heads from 1, as the TUI does;\n"
        "with --json and --attention, \"attention\" is indexed from 0,\n"
        "[sentence][layer][head][query][key], over the tokens fed to the model (padding\n"
        "included when the model has no padding mask).",
    .options = predict_options,
    .num_options = (int)(sizeof predict_options / sizeof predict_options[0]),
    .epilogue = "A sentence with no known word (an empty one is read as one <UNK>), and one\n"
                "longer than the model's max_len tokens (the rest is not read), are named on\n"
                "standard error; the prediction is still printed.",
};

typedef struct {
    char **items;
    int n, cap;
    bool owned;
} SentenceList;

static int read_lines(FILE *in, SentenceList *s)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    s->owned = true;
    while ((len = getline(&line, &cap, in)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        size_t blank = strspn(line, " \t");
        if ((ssize_t)blank == len)
            continue;
        if (s->n == s->cap) {
            int cap2 = s->cap ? 2 * s->cap : 16;
            char **items = realloc(s->items, (size_t)cap2 * sizeof *items);
            if (!items)
                break;
            s->items = items;
            s->cap = cap2;
        }
        s->items[s->n] = strdup(line);
        if (!s->items[s->n])
            break;
        s->n++;
    }
    free(line);
    return ferror(in) ? -1 : 0;
}

static void sentence_list_free(SentenceList *s)
{
    if (s->owned)
        for (int i = 0; i < s->n; i++)
            free(s->items[i]);
    free(s->items);
}

/* Everything one forward pass needs, sized for the model's max_len. */
typedef struct {
    const Run *run;         /* the checkpoint's model, tokenizer, vocabulary and labels */
    FILE *err;              /* where a sentence the model reads badly is named */
    Activations *acts;
    int *ids;               /* (max_len) */
    char (*text)[32];       /* (max_len) display tokens */
    int T;                  /* tokens fed in the last run */
    int n_unknown;          /* of them, words fed as <UNK> (an empty sentence: 1) */
} Predictor;

static int predictor_init(Predictor *pr, const Run *run, FILE *err)
{
    const int max_len = run->model->cfg.max_len;
    *pr = (Predictor){
        .run = run,
        .err = err,
        .acts = activations_create(run->model, 1, max_len),
        .ids = malloc((size_t)max_len * sizeof(int)),
        .text = malloc((size_t)max_len * sizeof *pr->text),
    };
    return pr->acts && pr->ids && pr->text ? 0 : -1;
}

static void predictor_free(Predictor *pr)
{
    activations_free(pr->acts);
    free(pr->ids);
    free(pr->text);
}

/* Names on stderr what the model cannot read of sentence `index` (1-based):
 * no known word, or the tokens past max_len. */
static void warn_unread(const Predictor *pr, int index, const char *sentence, int n, int words)
{
    const ModelConfig *mc = &pr->run->model->cfg;
    if (n == 0)
        fprintf(pr->err, CLI_PROGRAM " predict: sentence %d is empty: read as one unknown word "
                "(<UNK>)\n", index);
    else if (pr->n_unknown == n)
        fprintf(pr->err, CLI_PROGRAM " predict: sentence %d (\"%.60s\") has no word the model "
                "knows: it sees only <UNK>\n", index, sentence);
    if (words > mc->max_len)
        fprintf(pr->err, CLI_PROGRAM " predict: sentence %d has %d tokens: the model reads the "
                "first %d (max_len)\n", index, words, mc->max_len);
}

static const float *predict_one(Predictor *pr, int index, const char *sentence)
{
    Model *m = pr->run->model;
    const ModelConfig *mc = &m->cfg;
    const TokenizerConfig *tc = &pr->run->cfg.data.tokenizer;
    int n = encode_sentence(tc, pr->run->vocab, sentence, mc->max_len, pr->ids, pr->text);
    pr->n_unknown = 0;
    for (int i = 0; i < n; i++)
        pr->n_unknown += pr->ids[i] == MODEL_UNK_ID;
    warn_unread(pr, index, sentence, n, tokenize(tc, sentence, NULL, 0, NULL, 0));
    if (n <= 0) {
        n = 1;
        pr->ids[0] = MODEL_UNK_ID;
        pr->n_unknown = 1;
        snprintf(pr->text[0], sizeof pr->text[0], "%s", VOCAB_UNK_TOKEN);
    }
    pr->T = model_tokens_to_feed(mc, n);
    for (int j = n; j < pr->T; j++)
        snprintf(pr->text[j], sizeof pr->text[j], "%s", VOCAB_PAD_TOKEN);
    if (!model_forward(m, pr->acts, pr->ids, 1, pr->T, NULL))
        return NULL;
    return activations_probs(pr->acts);
}

static cJSON *attention_json(const Predictor *pr)
{
    const ModelConfig *mc = &pr->run->model->cfg;
    const int T = pr->T;
    cJSON *layers = cJSON_CreateArray();
    for (int l = 0; l < mc->num_layers; l++) {
        const float *att = activations_attention(pr->acts, l); /* (1, NH, T, T) */
        cJSON *heads = cJSON_CreateArray();
        for (int h = 0; h < mc->num_heads; h++) {
            cJSON *rows = cJSON_CreateArray();
            for (int q = 0; q < T; q++) {
                cJSON *row = cJSON_CreateArray();
                for (int k = 0; k < T; k++)
                    cJSON_AddItemToArray(row, cJSON_CreateNumber(
                        cli_round6(att[((size_t)h * T + q) * T + k])));
                cJSON_AddItemToArray(rows, row);
            }
            cJSON_AddItemToArray(heads, rows);
        }
        cJSON_AddItemToArray(layers, heads);
    }
    return layers;
}

/* Token j as the text output shows it: the word, "<UNK>:word" for one the
 * vocabulary lacks. */
static void token_text(const Predictor *pr, int j, char *out, size_t len)
{
    bool unknown = pr->ids[j] == MODEL_UNK_ID && strcmp(pr->text[j], VOCAB_UNK_TOKEN) != 0;
    snprintf(out, len, "%s%s", unknown ? VOCAB_UNK_TOKEN ":" : "", pr->text[j]);
}

static void print_attention_text(FILE *out, const Predictor *pr)
{
    const ModelConfig *mc = &pr->run->model->cfg;
    const int T = pr->T;
    char tok[48];
    fputs("  tokens:", out);
    for (int j = 0; j < T; j++) {
        token_text(pr, j, tok, sizeof tok);
        fprintf(out, " %s", tok);
    }
    fputc('\n', out);
    for (int l = 0; l < mc->num_layers; l++) {
        const float *att = activations_attention(pr->acts, l);
        for (int h = 0; h < mc->num_heads; h++) {
            fprintf(out, "  layer %d/%d head %d/%d (rows: query, columns: key)\n", l + 1,
                    mc->num_layers, h + 1, mc->num_heads);
            for (int q = 0; q < T; q++) {
                token_text(pr, q, tok, sizeof tok);
                fprintf(out, "    %-12.12s", tok);
                for (int k = 0; k < T; k++)
                    fprintf(out, " %.2f", (double)att[((size_t)h * T + q) * T + k]);
                fputc('\n', out);
            }
        }
    }
}

/* Text: the predicted class, every class's probability and the sentence; then
 * the attention when asked. Returns 0, or the index + 1 of a sentence the model
 * could not run on. */
static int predict_text(Predictor *pr, const SentenceList *s, bool attention, FILE *out)
{
    const Run *run = pr->run;
    for (int i = 0; i < s->n; i++) {
        const float *probs = predict_one(pr, i + 1, s->items[i]);
        if (!probs)
            return i + 1;
        int best = 0;
        for (int k = 1; k < run->num_labels; k++)
            best = probs[k] > probs[best] ? k : best;
        fprintf(out, "%-10s", run->labels[best]);
        for (int k = 0; k < run->num_labels; k++)
            fprintf(out, "  %s %.4f", run->labels[k], (double)probs[k]);
        fprintf(out, "  %s\n", s->items[i]);
        if (attention)
            print_attention_text(out, pr);
    }
    return 0;
}

/* JSON: {"sentences", "labels", "probs", "unknown"} and with attention
 * "tokens" and "attention". Fills root; returns as predict_text does. */
static int predict_json(Predictor *pr, const SentenceList *s, bool attention, cJSON *root)
{
    const Run *run = pr->run;
    cJSON *jsent = cJSON_AddArrayToObject(root, "sentences");
    cJSON *jlabels = cJSON_AddArrayToObject(root, "labels");
    for (int k = 0; k < run->num_labels; k++)
        cJSON_AddItemToArray(jlabels, cJSON_CreateString(run->labels[k]));
    cJSON *jprobs = cJSON_AddArrayToObject(root, "probs");
    cJSON *junknown = cJSON_AddArrayToObject(root, "unknown");
    cJSON *jtokens = attention ? cJSON_AddArrayToObject(root, "tokens") : NULL;
    cJSON *jatt = attention ? cJSON_AddArrayToObject(root, "attention") : NULL;
    for (int i = 0; i < s->n; i++) {
        const float *probs = predict_one(pr, i + 1, s->items[i]);
        if (!probs)
            return i + 1;
        cJSON_AddItemToArray(jsent, cJSON_CreateString(s->items[i]));
        cJSON_AddItemToArray(junknown, cJSON_CreateNumber(pr->n_unknown));
        cJSON *row = cJSON_CreateArray();
        for (int k = 0; k < run->num_labels; k++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber(cli_round6(probs[k])));
        cJSON_AddItemToArray(jprobs, row);
        if (!attention)
            continue;
        cJSON *toks = cJSON_CreateArray();
        for (int j = 0; j < pr->T; j++)
            cJSON_AddItemToArray(toks, cJSON_CreateString(pr->text[j]));
        cJSON_AddItemToArray(jtokens, toks);
        cJSON_AddItemToArray(jatt, attention_json(pr));
    }
    return 0;
}

/* Predicts every sentence and prints the result. Returns an exit status. */
static int predict_all(const Run *run, const SentenceList *s, bool json, bool attention, FILE *out,
                       FILE *err)
{
    const CliCommand *cmd = &predict_command;
    Predictor pr;
    if (predictor_init(&pr, run, err) != 0) {
        predictor_free(&pr);
        cli_error(cmd, err, "out of memory (model max_len %d)", run->model->cfg.max_len);
        return CLI_EXIT_FAILURE;
    }
    cJSON *root = NULL;
    int failed;
    if (!json)
        failed = predict_text(&pr, s, attention, out);
    else if (!(root = cJSON_CreateObject()))
        failed = -1;
    else
        failed = predict_json(&pr, s, attention, root);
    predictor_free(&pr);
    int rc = CLI_EXIT_FAILURE;
    if (failed > 0)
        cli_error(cmd, err, "the model could not run on sentence %d", failed);
    else if (failed < 0 || (json && cli_print_json(out, root) != 0))
        cli_error(cmd, err, "out of memory writing JSON");
    else
        rc = CLI_EXIT_OK;
    cJSON_Delete(root);
    return rc;
}

/* Parses argv; the sentence arguments go to s. Returns an exit status, *help
 * when --help was printed. */
static int parse_args(int argc, char **argv, FILE *out, FILE *err, SentenceList *s,
                      const char **ckpt_path, bool *json, bool *attention, bool *help)
{
    const CliCommand *cmd = &predict_command;
    s->items = malloc((size_t)(argc > 0 ? argc : 1) * sizeof *s->items);
    if (!s->items) {
        cli_error(cmd, err, "out of memory");
        return CLI_EXIT_FAILURE;
    }
    CliArgs args = {.positional = s->items};
    int rc = cli_parse(cmd, argc, argv, 1, &args, err);
    *help = rc == 0 && args.help;
    if (*help)
        cli_print_help(cmd, out);
    if (rc != 0 || *help)
        return rc;
    *ckpt_path = cli_value(cmd, &args, "checkpoint");
    if (!*ckpt_path) {
        cli_error(cmd, err, "--checkpoint FILE is required (see '" CLI_PROGRAM " predict --help')");
        return CLI_EXIT_USAGE;
    }
    s->n = s->cap = args.num_positional;
    *json = cli_flag(cmd, &args, "json");
    *attention = cli_flag(cmd, &args, "attention");
    return CLI_EXIT_OK;
}

int cli_predict(int argc, char **argv, FILE *in, FILE *out, FILE *err)
{
    const CliCommand *cmd = &predict_command;
    SentenceList sentences = {0};
    const char *ckpt_path = NULL;
    bool json = false, attention = false, help = false;
    int rc = parse_args(argc, argv, out, err, &sentences, &ckpt_path, &json, &attention, &help);
    if (rc != CLI_EXIT_OK || help) {
        sentence_list_free(&sentences);
        return rc;
    }
    Run run;
    AppConfig cfg = app_config_default(); /* model and tokenizer come from the checkpoint */
    RunSpec spec = {.purpose = RUN_PREDICT, .checkpoint = ckpt_path, .log = err};
    char msg[1024];
    if (run_open(&run, &cfg, &spec, msg, sizeof msg) != 0) {
        cli_error(cmd, err, "%s", msg);
        sentence_list_free(&sentences);
        return CLI_EXIT_FAILURE;
    }
    if (sentences.n == 0 && read_lines(in, &sentences) != 0) {
        cli_error(cmd, err, "error reading sentences from standard input");
        rc = CLI_EXIT_FAILURE;
    } else if (sentences.n == 0) {
        cli_error(cmd, err, "no sentence given (arguments or lines on standard input)");
        rc = CLI_EXIT_USAGE;
    } else {
        rc = predict_all(&run, &sentences, json, attention, out, err);
    }
    run_close(&run);
    sentence_list_free(&sentences);
    return rc;
}
