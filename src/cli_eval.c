/* `minillm-tui eval`: accuracy, per-class precision/recall/F1 and the confusion
 * matrix of a checkpoint on a labelled file, as text or JSON. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_util.h"
#include "run.h"

#define EVAL_BATCH 64

static const CliOption eval_options[] = {
    {"checkpoint", "FILE", "the model to evaluate (safetensors saved by train)"},
    {"data", "FILE", "labelled TSV or CSV file (default: the embedded held-out sentences); for a "
                     "language model, a text (.txt, or a TSV/CSV's text column)"},
    {"json", NULL, "print one JSON object: n, accuracy, labels, confusion, per_class (language "
                   "model: loss, perplexity, bits_per_char, tokens)"},
};

static const CliCommand eval_command = {
    .command = "eval",
    .synopsis = "--checkpoint F [--data F] [--json]",
    .description =
        "Evaluates a saved model: accuracy, per-class precision, recall, F1 and support,\n"
        "and the confusion matrix (rows: true class, columns: predicted class). The file's\n"
        "labels must be among the checkpoint's; other lines are reported and skipped.\n"
        "A language model is evaluated by the protocol of the README: the text as one\n"
        "stream, cut into blocks of max_len + 1 tokens, each predicting its tokens 2..n;\n"
        "loss (nats per token), perplexity and bits per character.",
    .options = eval_options,
    .num_options = (int)(sizeof eval_options / sizeof eval_options[0]),
    .epilogue = NULL,
};

static double ratio(long num, long den)
{
    return den > 0 ? (double)num / (double)den : 0.0;
}

/* What confusion_matrix gives besides 0. */
enum { EVAL_FAILED = -1, EVAL_NOT_FINITE = -2 };

/* confusion (K, K): [true][predicted]. Returns 0, EVAL_FAILED (out of memory, a
 * bad forward, a label beyond the model) or EVAL_NOT_FINITE (the logits of
 * sentence *bad, 0-based, are NaN or infinite: there is no prediction to count). */
static int confusion_matrix(Model *m, const EncodedDataset *e, long *confusion, int *bad)
{
    const ModelConfig *mc = &m->cfg;
    const int K = mc->num_classes;
    Activations *a = activations_create(m, EVAL_BATCH, mc->max_len);
    int *tokens = malloc((size_t)EVAL_BATCH * (size_t)mc->max_len * sizeof *tokens);
    int rc = a && tokens ? 0 : -1;
    for (int i0 = 0; rc == 0 && i0 < e->n; i0 += EVAL_BATCH) {
        int count = e->n - i0 < EVAL_BATCH ? e->n - i0 : EVAL_BATCH;
        int longest = 0;
        for (int i = 0; i < count; i++)
            longest = e->len[i0 + i] > longest ? e->len[i0 + i] : longest;
        int T = model_tokens_to_feed(mc, longest);
        int copy = T < e->max_len ? T : e->max_len;
        for (int i = 0; i < count; i++) {
            int *dst = tokens + (size_t)i * (size_t)T;
            memcpy(dst, e->ids + (size_t)(i0 + i) * (size_t)e->max_len, (size_t)copy * sizeof *dst);
            for (int j = copy; j < T; j++)
                dst[j] = MODEL_PAD_ID;
        }
        if (!model_forward(m, a, tokens, count, T, NULL)) {
            rc = -1;
            break;
        }
        const int row = activations_nonfinite_row(a);
        if (row >= 0) {
            *bad = i0 + row;
            rc = EVAL_NOT_FINITE;
            break;
        }
        const float *probs = activations_probs(a);
        for (int i = 0; i < count; i++) {
            if (e->label[i0 + i] < 0 || e->label[i0 + i] >= K) {
                rc = -1;
                break;
            }
            int best = 0;
            for (int k = 1; k < K; k++)
                if (probs[(size_t)i * K + k] > probs[(size_t)i * K + best])
                    best = k;
            confusion[(size_t)e->label[i0 + i] * K + best]++;
        }
    }
    activations_free(a);
    free(tokens);
    return rc;
}

static void print_text(FILE *out, int K, const char *const *labels, const long *confusion, long n)
{
    long correct = 0;
    int width = 9;
    for (int k = 0; k < K; k++) {
        correct += confusion[(size_t)k * K + k];
        int w = (int)strlen(labels[k]);
        width = w > width ? w : width;
    }
    fprintf(out, "sentences %ld, accuracy %.2f%%\n\n", n, 100.0 * ratio(correct, n));
    fprintf(out, "%-*s  precision  recall     f1  support\n", width, "class");
    for (int k = 0; k < K; k++) {
        long tp = confusion[(size_t)k * K + k], predicted = 0, support = 0;
        for (int j = 0; j < K; j++) {
            predicted += confusion[(size_t)j * K + k];
            support += confusion[(size_t)k * K + j];
        }
        double p = ratio(tp, predicted), r = ratio(tp, support);
        double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
        fprintf(out, "%-*s  %9.4f  %6.4f  %.4f  %7ld\n", width, labels[k], p, r, f1, support);
    }
    fprintf(out, "\nconfusion (rows: true, columns: predicted)\n%-*s", width, "");
    for (int k = 0; k < K; k++)
        fprintf(out, "  %*s", width, labels[k]);
    fputc('\n', out);
    for (int i = 0; i < K; i++) {
        fprintf(out, "%-*s", width, labels[i]);
        for (int j = 0; j < K; j++)
            fprintf(out, "  %*ld", width, confusion[(size_t)i * K + j]);
        fputc('\n', out);
    }
}

static int print_json(FILE *out, int K, const char *const *labels, const long *confusion, long n)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return -1;
    long correct = 0;
    for (int k = 0; k < K; k++)
        correct += confusion[(size_t)k * K + k];
    cJSON_AddNumberToObject(root, "n", (double)n);
    cJSON_AddNumberToObject(root, "accuracy", cli_round6(ratio(correct, n)));
    cJSON *jl = cJSON_AddArrayToObject(root, "labels");
    cJSON *jc = cJSON_AddArrayToObject(root, "confusion");
    cJSON *jp = cJSON_AddArrayToObject(root, "per_class");
    for (int i = 0; i < K && jl && jc && jp; i++) {
        cJSON_AddItemToArray(jl, cJSON_CreateString(labels[i]));
        cJSON *row = cJSON_CreateArray();
        long tp = confusion[(size_t)i * K + i], predicted = 0, support = 0;
        for (int j = 0; j < K; j++) {
            cJSON_AddItemToArray(row, cJSON_CreateNumber((double)confusion[(size_t)i * K + j]));
            predicted += confusion[(size_t)j * K + i];
            support += confusion[(size_t)i * K + j];
        }
        cJSON_AddItemToArray(jc, row);
        double p = ratio(tp, predicted), r = ratio(tp, support);
        double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "label", labels[i]);
        cJSON_AddNumberToObject(c, "precision", cli_round6(p));
        cJSON_AddNumberToObject(c, "recall", cli_round6(r));
        cJSON_AddNumberToObject(c, "f1", cli_round6(f1));
        cJSON_AddNumberToObject(c, "support", (double)support);
        cJSON_AddItemToArray(jp, c);
    }
    int rc = cli_print_json(out, root);
    cJSON_Delete(root);
    return rc;
}

/* Parses argv; returns an exit status, *help when --help was printed. */
static int parse_args(int argc, char **argv, FILE *out, FILE *err, const char **ckpt_path,
                      AppConfig *cfg, bool *json, bool *help)
{
    const CliCommand *cmd = &eval_command;
    char *positional[argc > 0 ? argc : 1];
    CliArgs args = {.positional = positional};
    int rc = cli_parse(cmd, argc, argv, 1, &args, err);
    *help = rc == 0 && args.help;
    if (rc != 0)
        return rc;
    if (*help) {
        cli_print_help(cmd, out);
        return CLI_EXIT_OK;
    }
    if (args.num_positional > 0) {
        cli_error(cmd, err, "unexpected argument '%s' (see '" CLI_PROGRAM " eval --help')",
                  args.positional[0]);
        return CLI_EXIT_USAGE;
    }
    *ckpt_path = cli_value(cmd, &args, "checkpoint");
    if (!*ckpt_path) {
        cli_error(cmd, err, "--checkpoint FILE is required (see '" CLI_PROGRAM " eval --help')");
        return CLI_EXIT_USAGE;
    }
    *json = cli_flag(cmd, &args, "json");
    /* the file evaluated is the run's validation set: val_path by the [data] rules */
    *cfg = app_config_default();
    const char *data_path = cli_value(cmd, &args, "data");
    if (data_path && cli_copy_path(cmd, cfg->data.val_path, sizeof cfg->data.val_path, data_path,
                                   "data", err))
        return CLI_EXIT_USAGE;
    return CLI_EXIT_OK;
}

int cli_eval(int argc, char **argv, FILE *out, FILE *err)
{
    const CliCommand *cmd = &eval_command;
    const char *ckpt_path;
    AppConfig cfg;
    bool json, help;
    int rc = parse_args(argc, argv, out, err, &ckpt_path, &cfg, &json, &help);
    if (rc != CLI_EXIT_OK || help)
        return rc;
    Run run;
    RunSpec spec = {.purpose = RUN_EVAL, .checkpoint = ckpt_path, .log = err};
    char msg[1024];
    if (run_open(&run, &cfg, &spec, msg, sizeof msg) != 0) {
        cli_error(cmd, err, "%s", msg);
        return CLI_EXIT_FAILURE;
    }
    if (run.note[0])
        cli_error(cmd, err, "%s", run.note);
    if (run.lm) { /* a language model: loss, perplexity, bits per character */
        rc = cli_eval_lm(&run, json, out, err);
        run_close(&run);
        return rc;
    }
    const int K = run.num_labels;
    long *confusion = calloc((size_t)K * (size_t)K, sizeof *confusion);
    int bad = -1;
    const int crc = run.val_ids && confusion ? confusion_matrix(run.model, run.val_ids, confusion, &bad)
                                             : EVAL_FAILED;
    bool ok = crc == 0;
    if (crc == EVAL_NOT_FINITE) {
        cli_error(cmd, err, "%s: the model's output (logits) is NaN or infinite on sentence %d of the %d "
                  "read from %s: no evaluation (weights that diverged or are too large)",
                  ckpt_path, bad + 1, run.val_ids->n, run.data_name);
    } else if (!ok) {
        cli_error(cmd, err, "%s: evaluation failed (out of memory or labels beyond the model's %d classes)",
                  run.data_name, K);
    } else if (!json) {
        print_text(out, K, run.labels, confusion, run.val_ids->n);
    } else if (print_json(out, K, run.labels, confusion, run.val_ids->n) != 0) {
        cli_error(cmd, err, "out of memory writing JSON");
        ok = false;
    }
    free(confusion);
    run_close(&run);
    return ok ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
