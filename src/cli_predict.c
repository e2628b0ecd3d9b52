/* `minillm-tui predict`: class probabilities of sentences given as arguments or
 * one per line on stdin, optionally with every layer's and head's attention. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "cli.h"
#include "cli_util.h"

static const CliOption predict_options[] = {
    {"checkpoint", "FILE", "the model to use (safetensors saved by train)"},
    {"json", NULL, "print one JSON object: sentences, labels, probs (and tokens, attention)"},
    {"attention", NULL, "also show the tokens and the attention weights of every layer and head"},
};

static const CliCommand predict_command = {
    .command = "predict",
    .synopsis = "--checkpoint F [--json] [--attention] [SENTENCE...]",
    .description =
        "Prints the probability of each class for every SENTENCE argument, or for every\n"
        "non-blank line of standard input when no sentence is given. Probabilities are in\n"
        "the order of the checkpoint's labels. With --json and --attention, \"attention\" is\n"
        "indexed [sentence][layer][head][query][key] over the tokens fed to the model\n"
        "(padding included when the model has no padding mask).",
    .options = predict_options,
    .num_options = (int)(sizeof predict_options / sizeof predict_options[0]),
    .epilogue = "An empty sentence is read as one unknown word (<UNK>).",
};

static double round6(double x)
{
    return round(x * 1e6) / 1e6;
}

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
    Activations *acts;
    int *ids;               /* (max_len) */
    char (*text)[32];       /* (max_len) display tokens */
    int T;                  /* tokens fed in the last run */
} Predictor;

static const float *predict_one(Checkpoint *ck, Predictor *pr, const char *sentence)
{
    const ModelConfig *mc = &ck->model->cfg;
    int n = encode_sentence(&ck->tokenizer, ck->vocab, sentence, mc->max_len, pr->ids, pr->text);
    if (n <= 0) {
        n = 1;
        pr->ids[0] = MODEL_UNK_ID;
        snprintf(pr->text[0], sizeof pr->text[0], "%s", VOCAB_UNK_TOKEN);
    }
    pr->T = cli_batch_T(mc, n);
    for (int j = n; j < pr->T; j++)
        snprintf(pr->text[j], sizeof pr->text[j], "%s", VOCAB_PAD_TOKEN);
    if (!model_forward(ck->model, pr->acts, pr->ids, 1, pr->T, NULL))
        return NULL;
    return activations_probs(pr->acts);
}

static cJSON *attention_json(const Checkpoint *ck, const Predictor *pr)
{
    const ModelConfig *mc = &ck->model->cfg;
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
                        round6(att[((size_t)h * T + q) * T + k])));
                cJSON_AddItemToArray(rows, row);
            }
            cJSON_AddItemToArray(heads, rows);
        }
        cJSON_AddItemToArray(layers, heads);
    }
    return layers;
}

static void print_attention_text(FILE *out, const Checkpoint *ck, const Predictor *pr)
{
    const ModelConfig *mc = &ck->model->cfg;
    const int T = pr->T;
    fputs("  tokens:", out);
    for (int j = 0; j < T; j++)
        fprintf(out, " %s", pr->text[j]);
    fputc('\n', out);
    for (int l = 0; l < mc->num_layers; l++) {
        const float *att = activations_attention(pr->acts, l);
        for (int h = 0; h < mc->num_heads; h++) {
            fprintf(out, "  layer %d head %d (rows: query, columns: key)\n", l, h);
            for (int q = 0; q < T; q++) {
                fprintf(out, "    %-12.12s", pr->text[q]);
                for (int k = 0; k < T; k++)
                    fprintf(out, " %.2f", (double)att[((size_t)h * T + q) * T + k]);
                fputc('\n', out);
            }
        }
    }
}

int cli_predict(int argc, char **argv, FILE *in, FILE *out, FILE *err)
{
    const CliCommand *cmd = &predict_command;
    SentenceList sentences = {0};
    sentences.items = malloc((size_t)(argc > 0 ? argc : 1) * sizeof *sentences.items);
    if (!sentences.items) {
        cli_error(cmd, err, "out of memory");
        return CLI_EXIT_FAILURE;
    }
    CliArgs args = {.positional = sentences.items};
    int rc = cli_parse(cmd, argc, argv, 1, &args, err);
    if (rc == 0 && args.help) {
        cli_print_help(cmd, out);
        free(sentences.items);
        return CLI_EXIT_OK;
    }
    const char *ckpt_path = cli_value(cmd, &args, "checkpoint");
    if (rc == 0 && !ckpt_path) {
        cli_error(cmd, err, "--checkpoint FILE is required (see '" CLI_PROGRAM " predict --help')");
        rc = CLI_EXIT_USAGE;
    }
    if (rc != 0) {
        free(sentences.items);
        return rc;
    }
    sentences.n = sentences.cap = args.num_positional;
    bool json = cli_flag(cmd, &args, "json");
    bool attention = cli_flag(cmd, &args, "attention");

    char msg[1024];
    Checkpoint ck;
    if (checkpoint_load(ckpt_path, &ck, msg, sizeof msg) != 0) {
        cli_error(cmd, err, "%s", msg);
        free(sentences.items);
        return CLI_EXIT_FAILURE;
    }
    rc = CLI_EXIT_FAILURE;
    cJSON *root = NULL;
    const ModelConfig *mc = &ck.model->cfg;
    const int K = mc->num_classes;
    Predictor pr = {
        .acts = activations_create(ck.model, 1, mc->max_len),
        .ids = malloc((size_t)mc->max_len * sizeof(int)),
        .text = malloc((size_t)mc->max_len * sizeof *pr.text),
    };
    if (!pr.acts || !pr.ids || !pr.text) {
        cli_error(cmd, err, "out of memory (model max_len %d)", mc->max_len);
        goto done;
    }
    if (ck.num_labels != K) {
        cli_error(cmd, err, "%s: %d label names for a model with %d classes", ckpt_path,
                  ck.num_labels, K);
        goto done;
    }
    if (sentences.n == 0) {
        sentences.n = sentences.cap = 0;
        if (read_lines(in, &sentences) != 0) {
            cli_error(cmd, err, "error reading sentences from standard input");
            goto done;
        }
        if (sentences.n == 0) {
            cli_error(cmd, err, "no sentence given (arguments or lines on standard input)");
            rc = CLI_EXIT_USAGE;
            goto done;
        }
    }

    cJSON *jsent = NULL, *jprobs = NULL, *jtokens = NULL, *jatt = NULL;
    if (json) {
        root = cJSON_CreateObject();
        jsent = cJSON_AddArrayToObject(root, "sentences");
        cJSON *jlabels = cJSON_AddArrayToObject(root, "labels");
        for (int k = 0; k < K; k++)
            cJSON_AddItemToArray(jlabels, cJSON_CreateString(ck.labels[k]));
        jprobs = cJSON_AddArrayToObject(root, "probs");
        if (attention) {
            jtokens = cJSON_AddArrayToObject(root, "tokens");
            jatt = cJSON_AddArrayToObject(root, "attention");
        }
    }
    for (int i = 0; i < sentences.n; i++) {
        const float *probs = predict_one(&ck, &pr, sentences.items[i]);
        if (!probs) {
            cli_error(cmd, err, "the model could not run on sentence %d", i + 1);
            goto done;
        }
        int best = 0;
        for (int k = 1; k < K; k++)
            best = probs[k] > probs[best] ? k : best;
        if (json) {
            cJSON_AddItemToArray(jsent, cJSON_CreateString(sentences.items[i]));
            cJSON *row = cJSON_CreateArray();
            for (int k = 0; k < K; k++)
                cJSON_AddItemToArray(row, cJSON_CreateNumber(round6(probs[k])));
            cJSON_AddItemToArray(jprobs, row);
            if (attention) {
                cJSON *toks = cJSON_CreateArray();
                for (int j = 0; j < pr.T; j++)
                    cJSON_AddItemToArray(toks, cJSON_CreateString(pr.text[j]));
                cJSON_AddItemToArray(jtokens, toks);
                cJSON_AddItemToArray(jatt, attention_json(&ck, &pr));
            }
        } else {
            fprintf(out, "%-10s", ck.labels[best]);
            for (int k = 0; k < K; k++)
                fprintf(out, "  %s %.4f", ck.labels[k], (double)probs[k]);
            fprintf(out, "  %s\n", sentences.items[i]);
            if (attention)
                print_attention_text(out, &ck, &pr);
        }
    }
    if (json) {
        char *text = cJSON_PrintUnformatted(root);
        if (!text) {
            cli_error(cmd, err, "out of memory writing JSON");
            goto done;
        }
        fprintf(out, "%s\n", text);
        cJSON_free(text);
    }
    rc = CLI_EXIT_OK;
done:
    cJSON_Delete(root);
    activations_free(pr.acts);
    free(pr.ids);
    free(pr.text);
    checkpoint_free(&ck);
    sentence_list_free(&sentences);
    return rc;
}
