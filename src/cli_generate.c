/* `minillm-tui generate`: a language model's checkpoint writes text, streamed to
 * stdout as it is drawn, or one JSON object with the log-probabilities. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_util.h"
#include "lm_generate.h"
#include "run.h"

#define GENERATE_DEFAULT_TOKENS 200
#define GENERATE_MAX_TOKENS 1000000

static const CliOption generate_options[] = {
    {"checkpoint", "FILE", "the language model (saved by train with [model] task = lm)"},
    {"prompt", "TEXT", "the text to continue (default: none, the model starts after a newline)"},
    {"tokens", "N", "how many tokens to write (default 200)"},
    {"temperature", "T", "divide the logits by T before sampling; 0 = always the most probable "
                         "token (default 1)"},
    {"top-k", "K", "draw among the K most probable tokens only (default 0: all)"},
    {"top-p", "P", "draw among the fewest most probable tokens whose probabilities reach P "
                   "(default 1: all)"},
    {"seed", "N", "seed of the draws: same seed, same text (default 42)"},
    {"json", NULL, "print one JSON object: prompt, text, tokens, logprobs"},
};

static const CliCommand generate_command = {
    .command = "generate",
    .synopsis = "--checkpoint F [--prompt TEXT] [--tokens N] [--temperature T] [--top-k K] "
                "[--top-p P] [--seed N] [--json]",
    .description =
        "Writes text with a language model: the prompt, then N tokens drawn one after the\n"
        "other from the model's distribution, streamed to standard output as they come.\n"
        "The model sees at most max_len tokens: beyond that the context slides, and each\n"
        "token is predicted from the max_len - 1 tokens before it.",
    .options = generate_options,
    .num_options = (int)(sizeof generate_options / sizeof generate_options[0]),
    .epilogue =
        "--json prints {\"prompt\", \"text\", \"tokens\", \"logprobs\"}: the generated text, its\n"
        "tokens, and for each the natural log of its probability under the model given\n"
        "everything before it (softmax at temperature 1, before top-k and top-p).",
};

typedef struct {
    const char *ckpt_path;
    GenerateSpec spec;
    bool json;
} GenerateArgs;

static int parse_args(int argc, char **argv, FILE *out, FILE *err, GenerateArgs *a, bool *help)
{
    const CliCommand *cmd = &generate_command;
    char *positional[argc > 0 ? argc : 1];
    CliArgs args = {.positional = positional};
    int rc = cli_parse(cmd, argc, argv, 1, &args, err);
    *help = rc == 0 && args.help;
    if (*help) {
        cli_print_help(cmd, out);
        return CLI_EXIT_OK;
    }
    if (rc != 0)
        return rc;
    if (args.num_positional > 0) {
        cli_error(cmd, err, "unexpected argument '%s' (the prompt goes after --prompt)",
                  args.positional[0]);
        return CLI_EXIT_USAGE;
    }
    *a = (GenerateArgs){
        .ckpt_path = cli_value(cmd, &args, "checkpoint"),
        .spec = {.prompt = "", .tokens = GENERATE_DEFAULT_TOKENS,
                 .sampling = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f}, .seed = 42},
        .json = cli_flag(cmd, &args, "json"),
    };
    if (!a->ckpt_path) {
        cli_error(cmd, err, "--checkpoint FILE is required (see '" CLI_PROGRAM " generate --help')");
        return CLI_EXIT_USAGE;
    }
    if (cli_value(cmd, &args, "prompt"))
        a->spec.prompt = cli_value(cmd, &args, "prompt");
    if (cli_get_int(cmd, &args, "tokens", 0, GENERATE_MAX_TOKENS, &a->spec.tokens, err) ||
        cli_get_float(cmd, &args, "temperature", 0.0, 100.0, &a->spec.sampling.temperature, err) ||
        cli_get_int(cmd, &args, "top-k", 0, 10000000, &a->spec.sampling.top_k, err) ||
        cli_get_float(cmd, &args, "top-p", 1e-6, 1.0, &a->spec.sampling.top_p, err) ||
        cli_get_u64(cmd, &args, "seed", &a->spec.seed, err))
        return CLI_EXIT_USAGE;
    return CLI_EXIT_OK;
}

/* GenerateSink: the text as it comes. */
static int stream_out(void *ctx, const char *text, size_t len)
{
    FILE *out = ctx;
    if (fwrite(text, 1, len, out) != len)
        return -1;
    fflush(out);
    return 0;
}

static int print_json(FILE *out, const char *prompt, const GenerateResult *r, const Vocab *v)
{
    cJSON *root = cJSON_CreateObject(), *tokens = cJSON_CreateArray(),
          *logprobs = cJSON_CreateArray();
    bool ok = root && tokens && logprobs && cJSON_AddStringToObject(root, "prompt", prompt) &&
              cJSON_AddStringToObject(root, "text", r->text);
    for (int i = 0; ok && i < r->n; i++)
        ok = cJSON_AddItemToArray(tokens, cJSON_CreateString(lm_token_text(v, r->ids[i]))) &&
             cJSON_AddItemToArray(logprobs, cJSON_CreateNumber(cli_round6(r->logprobs[i])));
    ok = ok && cJSON_AddItemToObject(root, "tokens", tokens);
    if (ok)
        tokens = NULL;
    ok = ok && cJSON_AddItemToObject(root, "logprobs", logprobs);
    if (ok)
        logprobs = NULL;
    int rc = ok ? cli_print_json(out, root) : -1;
    cJSON_Delete(tokens);
    cJSON_Delete(logprobs);
    cJSON_Delete(root);
    return rc;
}

int cli_generate(int argc, char **argv, FILE *out, FILE *err)
{
    const CliCommand *cmd = &generate_command;
    GenerateArgs a;
    bool help;
    int rc = parse_args(argc, argv, out, err, &a, &help);
    if (rc != CLI_EXIT_OK || help)
        return rc;
    Run run;
    AppConfig cfg = app_config_default(); /* model and tokenizer come from the checkpoint */
    RunSpec spec = {.purpose = RUN_PREDICT, .checkpoint = a.ckpt_path, .log = err};
    char msg[1024];
    if (run_open(&run, &cfg, &spec, msg, sizeof msg) != 0) {
        cli_error(cmd, err, "%s", msg);
        return CLI_EXIT_FAILURE;
    }
    if (run.cfg.model.task != MODEL_TASK_LM) {
        cli_error(cmd, err, "%s: a classifier (task classify) does not write text; use predict",
                  a.ckpt_path);
        run_close(&run);
        return CLI_EXIT_FAILURE;
    }
    GenerateResult r;
    if (!a.json)
        fputs(a.spec.prompt, out);
    rc = lm_generate(run.model, &run.cfg.data.tokenizer, run.vocab, &a.spec,
                     a.json ? NULL : stream_out, out, &r, msg, sizeof msg);
    if (rc != 0)
        cli_error(cmd, err, "%s", msg);
    else if (a.json && print_json(out, a.spec.prompt, &r, run.vocab) != 0)
        rc = -1, cli_error(cmd, err, "out of memory writing JSON");
    else if (!a.json)
        fputc('\n', out);
    generate_result_free(&r);
    run_close(&run);
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
