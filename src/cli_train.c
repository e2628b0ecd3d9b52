/* `minillm-tui train`: headless training with a progress bar (a live line on a
 * terminal, plain lines otherwise), a metrics CSV and checkpoints. */
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "cli_util.h"
#include "errors.h"
#include "files.h"
#include "run.h"

/* The columns of the --metrics CSV, one row per step. */
#define METRICS_COLUMNS "step,epoch,lr,loss,acc,val_loss,val_acc,sentences_per_s"
/* The same for a language model: bits per character instead of accuracy. */
#define METRICS_COLUMNS_LM "step,epoch,lr,loss,bpc,val_loss,val_bpc,tokens_per_s"

static const CliOption train_options[] = {
    {"config", "FILE", "read settings from this INI file; the flags below override it"},
    {"set", "S.K=V", "set one config key, e.g. model.d_model=128 (repeatable)"},
    {"data", "FILE", "training data, TSV or CSV (default: the embedded dataset)"},
    {"val", "FILE", "validation data (default: the embedded held-out part, or a split of --data)"},
    {"epochs", "N", "number of epochs (with --resume: the total, counting earlier ones)"},
    {"seed", "N", "seed of initialisation, shuffling and dropout"},
    {"lr", "X", "peak learning rate"},
    {"batch-size", "N", "sentences per step"},
    {"threads", "N", "threads: OpenBLAS's, or one per batch shard (0 = OpenBLAS's default)"},
    {"save", "FILE", "save the final model here (safetensors) and its optimizer state in FILE.optim; "
                     "with [train] save = best, the best model by validation accuracy (no FILE.optim)"},
    {"save-best", "FILE", "also save the model with the best validation accuracy here"},
    {"resume", "FILE", "continue a run saved by --save (FILE and FILE.optim; keeps its model and vocabulary)"},
    {"metrics", "FILE", "write one CSV row per step: " METRICS_COLUMNS
                        " (language model: " METRICS_COLUMNS_LM ")"},
    {"quiet", NULL, "no progress output, only the summary"},
};

static const CliCommand train_command = {
    .command = "train",
    .synopsis = "[--config F] [--data F] [--val F] [--epochs N] [--seed N] [--save F] [--resume F] "
                "[--metrics F.csv] ...",
    .description =
        "Trains the classifier without the visualiser. The vocabulary is built from the\n"
        "training sentences ([data] min_freq, max_vocab) and the classes from its labels.\n"
        "Progress (epoch, step, loss, accuracy, validation accuracy, sentences/s, ETA) is a\n"
        "live line on a terminal and one line per epoch otherwise.\n"
        "With [model] task = lm it trains a language model on the text of --data (a .txt\n"
        "file whole, or the text column of a TSV/CSV; default: the embedded text) and\n"
        "reports loss, bits per character and tokens/s; validation (--val, else the last\n"
        "5 % of the text) follows the evaluation protocol of `eval`.",
    .options = train_options,
    .num_options = (int)(sizeof train_options / sizeof train_options[0]),
    .epilogue =
        "The model saved by --save is the final one (the averaged weights when [train]\n"
        "ema_decay > 0 or swa_start > 0), or with [train] save = best the one with the\n"
        "best validation accuracy; it is also written every [train] save_every steps.\n"
        "Ctrl-C stops after the current step and saves.",
};

static volatile sig_atomic_t interrupted;

static int terminal_columns(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* The command's own options besides the config. */
typedef struct {
    const char *save_path, *best_path, *resume_path, *metrics_path;
    bool quiet;
} TrainArgs;

/* How progress is shown: a live line redrawn on a terminal, plain lines otherwise. */
typedef struct {
    FILE *out;
    bool quiet, live;
    int columns;             /* of the terminal (live) */
    double last_draw;        /* training time of the last line drawn */
    long first_step;         /* step the run started at (ETA, steps taken) */
} ProgressOut;

static void format_duration(char *buf, size_t len, double s)
{
    if (!isfinite(s) || s < 0)
        s = 0;
    long total = (long)(s + 0.5);
    if (total >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
    else
        snprintf(buf, len, "%ld:%02ld", total / 60, total % 60);
}

/* 1-based epoch of the last step: right after an epoch ends, the trainer already
 * points at the next one. */
static int last_step_epoch(const TrainProgress *p)
{
    return p->step_in_epoch == 0 && !p->done ? p->epoch : p->epoch + 1;
}

static void progress_line(char *buf, size_t len, const TrainProgress *p, long first_step)
{
    char val[48] = "";
    if (p->is_lm && p->val_step >= 0)
        snprintf(val, sizeof val, " val_bpc %.3f", (double)p->val_bpc);
    else if (p->val_step >= 0)
        snprintf(val, sizeof val, " val_acc %5.1f%%", 100.0 * p->val_acc);
    long done = p->step - first_step;
    double eta = done > 0 ? p->elapsed_s / (double)done * (double)(p->total_steps - p->step) : 0;
    char eta_s[32];
    format_duration(eta_s, sizeof eta_s, eta);
    int epoch = last_step_epoch(p);
    if (p->is_lm) {
        snprintf(buf, len, "epoch %d/%d step %ld/%ld loss %.4f bpc %.3f%s %.0f tok/s ETA %s", epoch,
                 p->epochs, p->step, p->total_steps, p->loss_avg, (double)p->bpc_avg, val,
                 p->tokens_per_s, eta_s);
        return;
    }
    snprintf(buf, len, "epoch %d/%d step %ld/%ld loss %.4f acc %5.1f%%%s %.0f sent/s ETA %s",
             epoch, p->epochs, p->step, p->total_steps, p->loss_avg, 100.0 * p->acc_avg, val,
             p->sentences_per_s, eta_s);
}

static void show_progress(ProgressOut *po, const TrainProgress *p)
{
    if (po->quiet)
        return;
    /* A language model's epochs are short: its plain lines follow the validations. */
    bool epoch_end = p->is_lm ? p->val_step == p->step || p->done
                              : p->step_in_epoch == 0 || p->done;
    char line[256];
    progress_line(line, sizeof line, p, po->first_step);
    if (po->live && (epoch_end || p->elapsed_s - po->last_draw >= 0.1)) {
        /* A line wider than the terminal would wrap and break the \r redraw. */
        fprintf(po->out, "\r%.*s\033[K%s", po->columns > 1 ? po->columns - 1 : 255, line,
                epoch_end ? "\n" : "");
        fflush(po->out);
        po->last_draw = p->elapsed_s;
    } else if (!po->live && (epoch_end || p->elapsed_s - po->last_draw >= 10.0)) {
        /* Plain lines: one per epoch, and every 10 s inside a long epoch. */
        fprintf(po->out, "%s\n", line);
        fflush(po->out);
        po->last_draw = p->elapsed_s;
    }
}

/* One row; a failed write is kept in the writer (see train_loop). */
static void write_metrics_row(FileWriter *metrics, const TrainProgress *p)
{
    /* A language model's bits per character where the classifier has accuracy. */
    double acc = p->is_lm ? (double)p->loss / log(2.0) : (double)p->acc;
    double val_acc = p->is_lm ? (double)p->val_bpc : (double)p->val_acc;
    file_writer_printf(metrics, "%ld,%d,%.6g,%.6f,%.6f,", p->step, last_step_epoch(p),
                       (double)p->lr, (double)p->loss, acc);
    if (p->val_step == p->step)
        file_writer_printf(metrics, "%.6f,%.6f,", (double)p->val_loss, val_acc);
    else
        file_writer_printf(metrics, ",,");
    file_writer_printf(metrics, "%.1f\n", p->is_lm ? p->tokens_per_s : p->sentences_per_s);
}

/* "validation accuracy 81.2%" or, for a language model, "validation loss 1.2345
 * (1.781 bits/char)": what the best model was chosen by. */
static void best_text(char *buf, size_t len, const TrainProgress *p)
{
    if (p->is_lm)
        snprintf(buf, len, "validation loss %.4f", (double)p->best_val_loss);
    else
        snprintf(buf, len, "validation accuracy %.1f%%", 100.0 * p->best_val_acc);
}

/* Parses argv into cfg and a. Returns an exit status; *help when --help was printed. */
static int parse_args(int argc, char **argv, FILE *out, FILE *err, AppConfig *cfg, TrainArgs *a,
                      bool *help)
{
    const CliCommand *cmd = &train_command;
    char *positional[argc > 0 ? argc : 1];
    CliArgs args = {.positional = positional};
    int rc = cli_parse(cmd, argc, argv, 1, &args, err);
    *help = rc == 0 && args.help;
    if (*help) {
        cli_print_help(cmd, out);
        return CLI_EXIT_OK;
    }
    if (rc == 0 && args.num_positional > 0) {
        cli_error(cmd, err, "unexpected argument '%s' (see '" CLI_PROGRAM " train --help')",
                  args.positional[0]);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0)
        rc = cli_load_config(cmd, &args, cfg, err);
    if (rc != 0)
        return rc;
    /* the ranges of the same [train] keys in config.c: a flag allows what a file allows */
    if (cli_get_int(cmd, &args, "epochs", 1, 1000000, &cfg->train.epochs, err) ||
        cli_get_u64(cmd, &args, "seed", &cfg->train.seed, err) ||
        cli_get_float(cmd, &args, "lr", 1e-9, 10.0, &cfg->train.optim.lr, err) ||
        cli_get_int(cmd, &args, "batch-size", 1, 65536, &cfg->train.batch_size, err) ||
        cli_get_int(cmd, &args, "threads", 0, 256, &cfg->train.threads, err))
        return CLI_EXIT_USAGE;
    char msg[1024];
    if (app_config_validate(cfg, msg, sizeof msg) != 0) {
        cli_error(cmd, err, "%s", msg);
        return CLI_EXIT_FAILURE;
    }
    *a = (TrainArgs){
        .save_path = cli_value(cmd, &args, "save"),
        .best_path = cli_value(cmd, &args, "save-best"),
        .resume_path = cli_value(cmd, &args, "resume"),
        .metrics_path = cli_value(cmd, &args, "metrics"),
        .quiet = cli_flag(cmd, &args, "quiet"),
    };
    return CLI_EXIT_OK;
}

/* How train_loop ended. */
enum { LOOP_DONE = 0, LOOP_FAILED = -1, LOOP_METRICS_FAILED = -2 };

/* Steps until done, Ctrl-C or an error: the metrics row, the progress line and the
 * periodic save after each step. Returns LOOP_DONE; LOOP_FAILED (training or a
 * save failed) or LOOP_METRICS_FAILED (a write of the metrics failed: training
 * stops there, the model is still good to save) with msg set. */
static int train_loop(Run *run, const TrainArgs *a, FileWriter *metrics, ProgressOut *po,
                      char *msg, size_t msg_len)
{
    const TrainProgress *p = trainer_progress(run->trainer);
    const int save_every = run->cfg.train.save_every;
    int rc = 0;
    while (!interrupted && (rc = trainer_step(run->trainer, msg, msg_len)) == 0) {
        if (metrics) {
            write_metrics_row(metrics, p);
            if (metrics->error) {
                char why[512];
                file_writer_flush(metrics, why, sizeof why);
                errorf(msg, msg_len, "%s (training stopped after step %ld)", why, p->step);
                return LOOP_METRICS_FAILED;
            }
        }
        show_progress(po, p);
        if (a->save_path && save_every > 0 && p->step % save_every == 0 && !p->done &&
            run_save(run, a->save_path, RUN_SAVE_CURRENT, msg, msg_len) != 0)
            return LOOP_FAILED;
    }
    return rc < 0 ? LOOP_FAILED : LOOP_DONE;
}

static void print_summary_lm(FILE *out, const TrainProgress *p, long first_step, const char *took)
{
    fprintf(out, "%s %ld steps in %s (%.1f s), %.0f tokens/s; last epoch loss %.4f, "
            "%.3f bits/char\n", interrupted ? "interrupted after" : "trained",
            p->step - first_step, took, p->elapsed_s, p->tokens_per_s, (double)p->loss_avg,
            (double)p->bpc_avg);
    if (p->val_step >= 0)
        fprintf(out, "validation: loss %.4f, perplexity %.3f, %.4f bits/char at step %ld; best loss "
                "%.4f at step %ld\n", (double)p->val_loss, (double)p->val_perplexity,
                (double)p->val_bpc, p->val_step, (double)p->best_val_loss, p->best_step);
}

static void print_summary(FILE *out, const TrainProgress *p, long first_step)
{
    char took[32];
    format_duration(took, sizeof took, p->elapsed_s);
    if (p->is_lm) {
        print_summary_lm(out, p, first_step, took);
        return;
    }
    fprintf(out, "%s %ld steps in %s (%.1f s), %.0f sentences/s; last epoch loss %.4f, accuracy %.1f%%\n",
            interrupted ? "interrupted after" : "trained", p->step - first_step, took, p->elapsed_s,
            p->sentences_per_s, (double)p->loss_avg, 100.0 * p->acc_avg);
    if (p->val_step >= 0)
        fprintf(out, "validation: loss %.4f, accuracy %.1f%% at step %ld; best %.1f%% at step %ld\n",
                (double)p->val_loss, 100.0 * p->val_acc, p->val_step, 100.0 * p->best_val_acc,
                p->best_step);
}

/* --save and --save-best at the end of the run. Returns 0, or -1 with msg set. */
static int save_final(Run *run, const TrainArgs *a, FILE *out, char *msg, size_t msg_len)
{
    const TrainProgress *p = trainer_progress(run->trainer);
    RunSaveKind kind = run_save_kind(run);
    char best[64];
    best_text(best, sizeof best, p);
    if (a->save_path && run_save(run, a->save_path, kind, msg, msg_len) != 0)
        return -1;
    if (a->save_path && kind == RUN_SAVE_BEST)
        fprintf(out, "saved the best model by %s at step %ld to %s "
                "([train] save = best; no optimizer state, a resume needs save = last)\n",
                best, p->best_step, a->save_path);
    else if (a->save_path)
        fprintf(out, "saved the final model (step %ld) to %s, optimizer state to %s.optim%s\n",
                p->step, a->save_path, a->save_path,
                run->cfg.train.save == TRAIN_SAVE_BEST ? " (save = best, but no validation ran)" : "");
    else
        fprintf(out, "not saved (use --save FILE)\n");
    if (!a->best_path)
        return 0;
    if (run_save(run, a->best_path, RUN_SAVE_BEST, msg, msg_len) != 0)
        return -1;
    if (p->best_step >= 0)
        fprintf(out, "saved the best model by %s at step %ld to %s\n", best, p->best_step,
                a->best_path);
    else
        fprintf(out, "no validation data: saved the final model to %s\n", a->best_path);
    return 0;
}

/* Trains the open run to the end (or Ctrl-C, or a failed metrics write) and saves.
 * Returns an exit status. */
static int train_and_save(Run *run, const TrainArgs *a, FileWriter *metrics, FILE *out, FILE *err)
{
    const CliCommand *cmd = &train_command;
    const TrainProgress *p = trainer_progress(run->trainer);
    ProgressOut po = {.out = out, .quiet = a->quiet, .first_step = p->step};
    po.live = !a->quiet && isatty(fileno(out));
    po.columns = po.live ? terminal_columns(fileno(out)) : 0;
    if (!a->quiet && run->lm)
        fprintf(out, "training a language model on %ld tokens (%s), validating on %ld (%s); "
                "vocabulary %d, %zu parameters, %ld steps\n",
                run->lm->train.n, run->data_name, run->lm->val.n, run->lm->val_name,
                vocab_size(run->vocab), run_model(run)->num_params, p->total_steps - p->step);
    else if (!a->quiet)
        fprintf(out, "training on %d sentences (%s), validating on %d; vocabulary %d, %d classes, "
                "%zu parameters, %ld steps\n",
                run->train->n, run->data_name, run->val_ids ? run->val_ids->n : 0,
                vocab_size(run->vocab), run->cfg.model.num_classes, run_model(run)->num_params,
                p->total_steps - p->step);
    fflush(out);
    struct sigaction sa = {0}, old_sa;
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &sa, &old_sa);
    char msg[1024], save_msg[1024];
    int rc = train_loop(run, a, metrics, &po, msg, sizeof msg);
    sigaction(SIGINT, &old_sa, NULL);
    if (rc != LOOP_DONE && po.live)
        fputc('\n', out);
    int status = interrupted ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
    if (rc != LOOP_FAILED) { /* the weights are good: saved also when the metrics failed */
        print_summary(out, p, po.first_step);
        if (save_final(run, a, out, save_msg, sizeof save_msg) != 0) {
            cli_error(cmd, err, "%s", save_msg);
            status = CLI_EXIT_FAILURE;
        }
    }
    if (rc != LOOP_DONE) {
        cli_error(cmd, err, "%s", msg);
        status = CLI_EXIT_FAILURE;
    }
    return status;
}

/* The files the run will write, checked before it starts (a bad --save path
 * fails now, not after the training): what atomic_write_file would refuse. */
static int check_targets(const TrainArgs *a, char *msg, size_t msg_len)
{
    char sidecar[PATH_MAX + 8];
    if (a->save_path) {
        if (atomic_write_check(a->save_path, msg, msg_len) != 0)
            return -1;
        checkpoint_optim_path(a->save_path, sidecar, sizeof sidecar);
        if (atomic_write_check(sidecar, msg, msg_len) != 0)
            return -1;
    }
    return a->best_path ? atomic_write_check(a->best_path, msg, msg_len) : 0;
}

/* Opens --metrics (appended to on --resume) and writes its header on a new
 * file, flushed at once: a path that cannot be written fails before training. */
static int open_metrics(FileWriter *w, const TrainArgs *a, bool lm, char *msg, size_t msg_len)
{
    if (file_writer_open(w, a->metrics_path, a->resume_path != NULL, msg, msg_len) != 0)
        return -1;
    if (ftell(w->f) <= 0)
        file_writer_printf(w, "%s\n", lm ? METRICS_COLUMNS_LM : METRICS_COLUMNS);
    if (file_writer_flush(w, msg, msg_len) != 0) {
        char ignored[16];
        file_writer_close(w, ignored, sizeof ignored);
        return -1;
    }
    return 0;
}

int cli_train(int argc, char **argv, FILE *out, FILE *err)
{
    const CliCommand *cmd = &train_command;
    AppConfig cfg;
    TrainArgs a;
    bool help;
    int rc = parse_args(argc, argv, out, err, &cfg, &a, &help);
    if (rc != CLI_EXIT_OK || help)
        return rc;
    Run run;
    RunSpec spec = {.purpose = RUN_TRAIN, .checkpoint = a.resume_path, .resume = a.resume_path != NULL,
                    .log = err};
    char msg[1024];
    if (check_targets(&a, msg, sizeof msg) != 0 || run_open(&run, &cfg, &spec, msg, sizeof msg) != 0) {
        cli_error(cmd, err, "%s", msg);
        return CLI_EXIT_FAILURE;
    }
    if (run.note[0])
        cli_error(cmd, err, "%s", run.note);
    FileWriter metrics = {0};
    if (a.metrics_path && open_metrics(&metrics, &a, run.lm, msg, sizeof msg) != 0) {
        cli_error(cmd, err, "%s", msg);
        run_close(&run);
        return CLI_EXIT_FAILURE;
    }
    rc = train_and_save(&run, &a, a.metrics_path ? &metrics : NULL, out, err);
    if (a.metrics_path && file_writer_close(&metrics, msg, sizeof msg) != 0 && rc == CLI_EXIT_OK) {
        cli_error(cmd, err, "%s", msg);
        rc = CLI_EXIT_FAILURE;
    }
    run_close(&run);
    return rc;
}
