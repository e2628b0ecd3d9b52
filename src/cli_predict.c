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
    {"json", NULL, "print one JSON object: sentences, labels, probs, unknown (and what --attention "
                   "and --internals add)"},
    {"attention", NULL, "also show the tokens and the attention weights of every layer and head"},
    {"internals", NULL, "also show what the model computes inside: logits, pooled vector, every "
                        "layer's output (JSON: and every head's q, k, v)"},
};

static const CliCommand predict_command = {
    .command = "predict",
    .synopsis = "--checkpoint F [--json] [--attention] [--internals] [SENTENCE...]",
    .description =
        "Prints the probability of each class for every SENTENCE argument, or for every\n"
        "non-blank line of standard input when no sentence is given. Probabilities are in\n"
        "the order of the checkpoint's labels. A word the vocabulary does not have is fed\n"
        "as <UNK>: --attention shows it as <UNK>:word, --json counts them per sentence in\n"
        "\"unknown\". The text output numbers layers and heads from 1, as the TUI does;\n"
        "with --json and --attention, \"attention\" is indexed from 0,\n"
        "[sentence][layer][head][query][key], over the tokens fed to the model (padding\n"
        "included when the model has no padding mask), and \"scores\" the same way holds\n"
        "Q K^T / sqrt(d_k) before the mask and the softmax. --internals adds, per sentence,\n"
        "\"q\", \"k\", \"v\" [layer][head][token][d_k], \"residual\" (each layer's output)\n"
        "[layer][token][d_model], \"pooled\" [d_model] and \"logits\" [num_classes]; in\n"
        "text, the logits, the pooled vector's norm and each layer's output norm per token.",
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

/* What to print besides the probabilities. */
typedef struct {
    bool json;
    bool attention;   /* tokens and attention weights (JSON: and the scores) */
    bool internals;   /* tokens, logits, pooled vector, layer outputs (JSON: and q, k, v) */
} PredictShow;

/* Everything one forward pass needs, sized for the model's max_len. */
typedef struct {
    const Run *run;         /* the checkpoint's model, tokenizer, vocabulary and labels */
    FILE *err;              /* where a sentence the model reads badly is named */
    Activations *acts;
    int *ids;               /* (max_len) */
    char (*text)[32];       /* (max_len) display tokens */
    float *scores;          /* (max_len, max_len) one head's scores */
    int T;                  /* tokens fed in the last run */
    int n_unknown;          /* of them, words fed as <UNK> (an empty sentence: 1) */
    bool nonfinite;         /* the last run gave NaN or infinite logits: no prediction */
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
        .scores = malloc((size_t)max_len * (size_t)max_len * sizeof(float)),
    };
    return pr->acts && pr->ids && pr->text && pr->scores ? 0 : -1;
}

static void predictor_free(Predictor *pr)
{
    activations_free(pr->acts);
    free(pr->ids);
    free(pr->text);
    free(pr->scores);
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
    warn_unread(pr, index, sentence, n, (int)sentence_token_count(tc, pr->run->vocab, sentence));
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
    pr->nonfinite = activations_nonfinite_row(pr->acts) >= 0;
    return pr->nonfinite ? NULL : activations_probs(pr->acts);
}

/* ------------------------------------------------------------------ JSON */

/* [x[0], x[stride], ...] (n numbers), rounded as every number predict prints. */
static cJSON *json_numbers(const float *x, int n, size_t stride)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n && a; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(cli_round6(x[(size_t)i * stride])));
    return a;
}

/* rows x cols, row r starting at x + r * ld. */
static cJSON *json_matrix(const float *x, int rows, int cols, size_t ld)
{
    cJSON *a = cJSON_CreateArray();
    for (int r = 0; r < rows && a; r++)
        cJSON_AddItemToArray(a, json_numbers(x + (size_t)r * ld, cols, 1));
    return a;
}

/* What a layer and head give as a (T, T) or (T, d_k) matrix, for the JSON. */
typedef enum { HEAD_ATTENTION, HEAD_SCORES, HEAD_Q, HEAD_K, HEAD_V } HeadPart;

static cJSON *head_json(Predictor *pr, int l, int h, HeadPart part)
{
    const ModelConfig *mc = &pr->run->model->cfg;
    const int T = pr->T, C = mc->d_model, HS = C / mc->num_heads;
    switch (part) {
    case HEAD_ATTENTION: /* (1, NH, T, T) */
        return json_matrix(activations_attention(pr->acts, l) + (size_t)h * T * T, T, T, (size_t)T);
    case HEAD_SCORES:
        activations_scores(pr->acts, 0, l, h, pr->scores); /* l, h in range: no error */
        return json_matrix(pr->scores, T, T, (size_t)T);
    default: /* head h's [q | k | v] at columns 3 HS h of the (1, T, 3C) projection */
        return json_matrix(activations_qkv(pr->acts, l) + (size_t)3 * HS * h +
                               (size_t)HS * (part - HEAD_Q), T, HS, (size_t)3 * C);
    }
}

/* [layer][head][...] of one part. */
static cJSON *heads_json(Predictor *pr, HeadPart part)
{
    const ModelConfig *mc = &pr->run->model->cfg;
    cJSON *layers = cJSON_CreateArray();
    for (int l = 0; l < mc->num_layers && layers; l++) {
        cJSON *heads = cJSON_CreateArray();
        for (int h = 0; h < mc->num_heads && heads; h++)
            cJSON_AddItemToArray(heads, head_json(pr, l, h, part));
        cJSON_AddItemToArray(layers, heads);
    }
    return layers;
}

/* [layer][token][d_model]: each encoder layer's output. */
static cJSON *residual_json(const Predictor *pr)
{
    const ModelConfig *mc = &pr->run->model->cfg;
    cJSON *layers = cJSON_CreateArray();
    for (int l = 0; l < mc->num_layers && layers; l++)
        cJSON_AddItemToArray(layers, json_matrix(activations_layer_output(pr->acts, l), pr->T,
                                                 mc->d_model, (size_t)mc->d_model));
    return layers;
}

/* The arrays of the root object, one entry per sentence each (NULL: not asked). */
enum { J_SENTENCES, J_PROBS, J_UNKNOWN, J_TOKENS, J_ATTENTION, J_SCORES, J_Q, J_K, J_V,
       J_RESIDUAL, J_POOLED, J_LOGITS, J_COUNT };
static const char *const json_names[J_COUNT] = {
    "sentences", "probs", "unknown", "tokens", "attention", "scores", "q", "k", "v",
    "residual", "pooled", "logits"};

static bool json_asked(int j, const PredictShow *show)
{
    if (j < J_TOKENS)
        return true;
    if (j == J_TOKENS)
        return show->attention || show->internals;
    return j == J_ATTENTION || j == J_SCORES ? show->attention : show->internals;
}

/* Sentence i's entry in every array asked for. */
static void add_sentence_json(Predictor *pr, cJSON **arr, const char *sentence, const float *probs)
{
    const ModelConfig *mc = &pr->run->model->cfg;
    char *text = utf8_sanitized(sentence); /* valid JSON whatever the input's bytes */
    cJSON *item[J_COUNT] = {
        [J_SENTENCES] = text ? cJSON_CreateString(text) : NULL,
        [J_PROBS] = json_numbers(probs, pr->run->num_labels, 1),
        [J_UNKNOWN] = cJSON_CreateNumber(pr->n_unknown),
    };
    if (arr[J_TOKENS]) {
        item[J_TOKENS] = cJSON_CreateArray();
        for (int j = 0; j < pr->T && item[J_TOKENS]; j++) {
            char *token = utf8_sanitized(pr->text[j]);
            cJSON_AddItemToArray(item[J_TOKENS], token ? cJSON_CreateString(token) : NULL);
            free(token);
        }
    }
    free(text);
    static const HeadPart parts[J_COUNT] = {[J_ATTENTION] = HEAD_ATTENTION, [J_SCORES] = HEAD_SCORES,
                                            [J_Q] = HEAD_Q, [J_K] = HEAD_K, [J_V] = HEAD_V};
    for (int j = J_ATTENTION; j <= J_V; j++)
        if (arr[j])
            item[j] = heads_json(pr, parts[j]);
    if (arr[J_RESIDUAL]) {
        item[J_RESIDUAL] = residual_json(pr);
        item[J_POOLED] = json_numbers(activations_pooled(pr->acts), mc->d_model, 1);
        item[J_LOGITS] = json_numbers(activations_logits(pr->acts), mc->num_classes, 1);
    }
    for (int j = 0; j < J_COUNT; j++)
        if (arr[j])
            cJSON_AddItemToArray(arr[j], item[j]);
}

/* JSON: {"sentences", "labels", "probs", "unknown"}, with attention "tokens",
 * "attention" and "scores", with internals "tokens", "q", "k", "v", "residual",
 * "pooled", "logits". Fills root; returns 0, or the index + 1 of a sentence the
 * model could not run on. */
static int predict_json(Predictor *pr, const SentenceList *s, const PredictShow *show, cJSON *root)
{
    const Run *run = pr->run;
    cJSON *arr[J_COUNT] = {0};
    for (int j = 0; j < J_COUNT; j++) {
        if (json_asked(j, show))
            arr[j] = cJSON_AddArrayToObject(root, json_names[j]);
        if (j == J_SENTENCES) { /* "labels" second, as before */
            cJSON *jlabels = cJSON_AddArrayToObject(root, "labels");
            for (int k = 0; k < run->num_labels; k++)
                cJSON_AddItemToArray(jlabels, cJSON_CreateString(run->labels[k]));
        }
    }
    for (int i = 0; i < s->n; i++) {
        const float *probs = predict_one(pr, i + 1, s->items[i]);
        if (!probs)
            return i + 1;
        add_sentence_json(pr, arr, s->items[i], probs);
    }
    return 0;
}

/* ------------------------------------------------------------------ text */

/* Token j as the text output shows it: the word, "<UNK>:word" for one the
 * vocabulary lacks. */
static void token_text(const Predictor *pr, int j, char *out, size_t len)
{
    bool unknown = pr->ids[j] == MODEL_UNK_ID && strcmp(pr->text[j], VOCAB_UNK_TOKEN) != 0;
    snprintf(out, len, "%s%s", unknown ? VOCAB_UNK_TOKEN ":" : "", pr->text[j]);
}

static void print_tokens(FILE *out, const Predictor *pr)
{
    char tok[48];
    /* BPE pieces carry their own leading spaces: '|' marks where they meet */
    bool pieces = vocab_bpe(pr->run->vocab) != NULL;
    fputs(pieces ? "  tokens: " : "  tokens:", out);
    for (int j = 0; j < pr->T; j++) {
        token_text(pr, j, tok, sizeof tok);
        fprintf(out, "%s%s", !pieces ? " " : j ? "|" : "", tok);
    }
    fputc('\n', out);
}

static void print_attention_text(FILE *out, const Predictor *pr)
{
    const ModelConfig *mc = &pr->run->model->cfg;
    const int T = pr->T;
    char tok[48];
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

static double l2_norm(const float *x, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return sqrt(s);
}

/* The logits, the pooled vector's norm, each layer's output norm per token. */
static void print_internals_text(FILE *out, const Predictor *pr)
{
    const Run *run = pr->run;
    const ModelConfig *mc = &run->model->cfg;
    const int C = mc->d_model;
    const float *logits = activations_logits(pr->acts);
    fputs("  logits:", out);
    for (int k = 0; k < run->num_labels; k++)
        fprintf(out, "  %s %.4f", run->labels[k], (double)logits[k]);
    fprintf(out, "\n  pooled vector: norm %.4f (%d values: --json prints them)\n",
            l2_norm(activations_pooled(pr->acts), C), C);
    for (int l = 0; l < mc->num_layers; l++) {
        const float *x = activations_layer_output(pr->acts, l);
        fprintf(out, "  layer %d/%d output norm per token:", l + 1, mc->num_layers);
        for (int t = 0; t < pr->T; t++)
            fprintf(out, " %.3f", l2_norm(x + (size_t)t * C, C));
        fputc('\n', out);
    }
}

/* Text: the predicted class, every class's probability and the sentence; then
 * the tokens, the attention and the internals when asked. Returns as
 * predict_json does. */
static int predict_text(Predictor *pr, const SentenceList *s, const PredictShow *show, FILE *out)
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
        if (show->attention || show->internals)
            print_tokens(out, pr);
        if (show->attention)
            print_attention_text(out, pr);
        if (show->internals)
            print_internals_text(out, pr);
    }
    return 0;
}

/* Predicts every sentence and prints the result. Returns an exit status. */
static int predict_all(const Run *run, const char *ckpt_path, const SentenceList *s,
                       const PredictShow *show, FILE *out, FILE *err)
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
    if (!show->json)
        failed = predict_text(&pr, s, show, out);
    else if (!(root = cJSON_CreateObject()))
        failed = -1;
    else
        failed = predict_json(&pr, s, show, root);
    predictor_free(&pr);
    int rc = CLI_EXIT_FAILURE;
    if (failed > 0 && pr.nonfinite)
        cli_error(cmd, err, "%s: the model's output (logits) is NaN or infinite on sentence %d: "
                  "no prediction (weights that diverged or are too large)", ckpt_path, failed);
    else if (failed > 0)
        cli_error(cmd, err, "the model could not run on sentence %d", failed);
    else if (failed < 0 || (show->json && cli_print_json(out, root) != 0))
        cli_error(cmd, err, "out of memory writing JSON");
    else
        rc = CLI_EXIT_OK;
    cJSON_Delete(root);
    return rc;
}

/* Parses argv; the sentence arguments go to s. Returns an exit status, *help
 * when --help was printed. */
static int parse_args(int argc, char **argv, FILE *out, FILE *err, SentenceList *s,
                      const char **ckpt_path, PredictShow *show, bool *help)
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
    show->json = cli_flag(cmd, &args, "json");
    show->attention = cli_flag(cmd, &args, "attention");
    show->internals = cli_flag(cmd, &args, "internals");
    return CLI_EXIT_OK;
}

int cli_predict(int argc, char **argv, FILE *in, FILE *out, FILE *err)
{
    const CliCommand *cmd = &predict_command;
    SentenceList sentences = {0};
    const char *ckpt_path = NULL;
    PredictShow show = {0};
    bool help = false;
    int rc = parse_args(argc, argv, out, err, &sentences, &ckpt_path, &show, &help);
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
    if (run.cfg.model.task == MODEL_TASK_LM) {
        cli_error(cmd, err, "%s: a language model (task lm) has no classes to predict; use "
                  "generate, or eval for its bits per character", ckpt_path);
        rc = CLI_EXIT_FAILURE;
    } else if (sentences.n == 0 && read_lines(in, &sentences) != 0) {
        cli_error(cmd, err, "error reading sentences from standard input");
        rc = CLI_EXIT_FAILURE;
    } else if (sentences.n == 0) {
        cli_error(cmd, err, "no sentence given (arguments or lines on standard input)");
        rc = CLI_EXIT_USAGE;
    } else {
        rc = predict_all(&run, ckpt_path, &sentences, &show, out, err);
    }
    run_close(&run);
    sentence_list_free(&sentences);
    return rc;
}
