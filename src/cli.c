/* Command dispatch, the no-command form (the TUI), --help and --version. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "version.h"

static const CliOption tui_options[] = {
    {"config", "FILE", "read settings from this INI file (sections [model] [train] [data] [ui])"},
    {"set", "S.K=V", "set one config key, e.g. model.d_model=128 (repeatable)"},
    {"data", "FILE", "train on this TSV/CSV file instead of the embedded dataset"},
    {"val", "FILE", "validate on this file (default: a split of the training data)"},
    {"checkpoint", "FILE", "start from this saved model instead of fresh weights"},
    {"ui-bench", "SECONDS", "report on stderr what the visualiser costs training over SECONDS, then quit"},
    {"headless", NULL, "with --ui-bench: the training thread alone, without a screen (the baseline)"},
    {"version", NULL, "print the version and exit"},
};

static const CliCommand tui_command = {
    .command = NULL,
    .synopsis = "[--config F] [--data F] [--val F] [--checkpoint F] [--ui-bench S [--headless]]\n"
                "       " CLI_PROGRAM " train|eval|predict|tokenize|generate [options]   (see COMMAND --help)",
    .description =
        "Builds, trains and explains a small Transformer live in the terminal: a sentiment\n"
        "classifier, or a language model that writes. Without a command, opens the\n"
        "interactive visualiser (views 1-4, ? help; with a language model, [model] task =\n"
        "lm as in assets/lm-toy.ini, also view 5: Generate, where n draws a token, N\n"
        "streams, e starts again, [ ] set the temperature and { } top-k).\n"
        "\n"
        "Commands:\n"
        "  train     train without the visualiser, save a checkpoint\n"
        "  eval      accuracy, per-class precision/recall/F1 and confusion matrix\n"
        "            (a language model: loss, perplexity, bits per character)\n"
        "  predict   class probabilities (and attention) for sentences\n"
        "  tokenize  learn a byte-level BPE tokenizer, or show the ids and pieces of texts\n"
        "  generate  write text with a language model ([model] task = lm)",
    .options = tui_options,
    .num_options = (int)(sizeof tui_options / sizeof tui_options[0]),
    .epilogue = "Exit status: 0 success, 1 error, 2 usage error.",
};

/* --ui-bench and --headless into opts. Returns 0 or CLI_EXIT_USAGE after a message. */
static int get_bench_options(const CliArgs *args, TuiOptions *opts, FILE *err)
{
    float seconds = 0.0f;
    if (cli_get_float(&tui_command, args, "ui-bench", 0.1, 86400.0, &seconds, err))
        return CLI_EXIT_USAGE;
    opts->bench_seconds = seconds;
    opts->headless = cli_flag(&tui_command, args, "headless");
    if (opts->headless && seconds <= 0.0f) {
        cli_error(NULL, err, "--headless only goes with --ui-bench SECONDS");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int run_tui(int argc, char **argv, FILE *out, FILE *err, CliTuiFn tui)
{
    char *positional[argc > 0 ? argc : 1];
    CliArgs args = {.positional = positional};
    int rc = cli_parse(&tui_command, argc, argv, 1, &args, err);
    if (rc != 0)
        return rc;
    if (args.help) {
        cli_print_help(&tui_command, out);
        return CLI_EXIT_OK;
    }
    if (cli_flag(&tui_command, &args, "version")) {
        fprintf(out, CLI_PROGRAM " %s\n", MINILLM_VERSION);
        return CLI_EXIT_OK;
    }
    if (args.num_positional > 0) {
        cli_error(NULL, err, "unknown command '%s' (commands: train, eval, predict, tokenize, generate; see '"
                  CLI_PROGRAM " --help')", args.positional[0]);
        return CLI_EXIT_USAGE;
    }
    TuiOptions opts = {.checkpoint = cli_value(&tui_command, &args, "checkpoint")};
    if (get_bench_options(&args, &opts, err))
        return CLI_EXIT_USAGE;
    AppConfig cfg;
    rc = cli_load_config(&tui_command, &args, &cfg, err);
    if (rc != 0)
        return rc;
    char msg[1024];
    if (app_config_validate(&cfg, msg, sizeof msg) != 0) {
        cli_error(NULL, err, "%s", msg);
        return CLI_EXIT_FAILURE;
    }
    if (!tui) {
        cli_error(NULL, err, "the interactive visualiser is not part of this binary; "
                  "use the train, eval or predict commands");
        return CLI_EXIT_FAILURE;
    }
    msg[0] = '\0';
    if (tui(&cfg, &opts, msg, sizeof msg) != 0) {
        cli_error(NULL, err, "%s", msg[0] ? msg : "the visualiser stopped with an error");
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

static int cli_dispatch(int argc, char **argv, FILE *out, FILE *err, CliTuiFn tui);

/* A command whose output could not be written did not do its job: the write
 * error (a full disk, a closed pipe) is its outcome, whatever it returned. */
static int output_checked(int rc, FILE *out, FILE *err)
{
    if (fflush(out) == 0 && !ferror(out))
        return rc;
    fprintf(err, "minillm-tui: standard output: write failed: %s\n", strerror(errno));
    return rc == 0 ? 1 : rc;
}

int cli_main(int argc, char **argv, FILE *out, FILE *err, CliTuiFn tui)
{
    return output_checked(cli_dispatch(argc, argv, out, err, tui), out, err);
}

static int cli_dispatch(int argc, char **argv, FILE *out, FILE *err, CliTuiFn tui)
{
    if (argc >= 2) {
        const char *cmd = argv[1];
        if (strcmp(cmd, "train") == 0)
            return cli_train(argc - 1, argv + 1, out, err);
        if (strcmp(cmd, "eval") == 0)
            return cli_eval(argc - 1, argv + 1, out, err);
        if (strcmp(cmd, "predict") == 0)
            return cli_predict(argc - 1, argv + 1, stdin, out, err);
        if (strcmp(cmd, "tokenize") == 0)
            return cli_tokenize(argc - 1, argv + 1, stdin, out, err);
        if (strcmp(cmd, "generate") == 0)
            return cli_generate(argc - 1, argv + 1, out, err);
    }
    return run_tui(argc, argv, out, err, tui);
}
