/* `minillm-tui train`: headless training with a progress bar (a live line on a
 * terminal, plain lines otherwise), a metrics CSV and checkpoints. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli.h"
#include "cli_util.h"
#include "run_data.h"
#include "dataset.h"
#include "trainer.h"

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
    {"metrics", "FILE", "write one CSV row per step: step,epoch,lr,loss,acc,val_loss,val_acc,sentences_per_s"},
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
        "live line on a terminal and one line per epoch otherwise.",
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

/* Everything the command owns, freed in one place. */
typedef struct {
    Dataset *train, *val;
    Vocab *vocab;
    Checkpoint ckpt;
    bool has_ckpt;
    EncodedDataset *etrain, *eval;
    Trainer *trainer;
    FILE *metrics;
} TrainRun;

static void train_run_free(TrainRun *r)
{
    trainer_free(r->trainer);
    encoded_dataset_free(r->etrain);
    encoded_dataset_free(r->eval);
    if (r->has_ckpt)
        checkpoint_free(&r->ckpt);
    else
        vocab_free(r->vocab);
    dataset_free(r->train);
    dataset_free(r->val);
    if (r->metrics)
        fclose(r->metrics);
}

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
    if (p->val_step >= 0)
        snprintf(val, sizeof val, " val_acc %5.1f%%", 100.0 * p->val_acc);
    long done = p->step - first_step;
    double eta = done > 0 ? p->elapsed_s / (double)done * (double)(p->total_steps - p->step) : 0;
    char eta_s[32];
    format_duration(eta_s, sizeof eta_s, eta);
    int epoch = last_step_epoch(p);
    snprintf(buf, len, "epoch %d/%d step %ld/%ld loss %.4f acc %5.1f%%%s %.0f sent/s ETA %s",
             epoch, p->epochs, p->step, p->total_steps, p->loss_avg, 100.0 * p->acc_avg, val,
             p->sentences_per_s, eta_s);
}

static int save_model(const TrainRun *r, const Model *m, const TokenizerConfig *tc,
                      const char *path, bool with_optimizer, char *msg, size_t msg_len)
{
    const Dataset *d = r->train;
    const char *const *labels = r->has_ckpt ? (const char *const *)r->ckpt.labels
                                            : DATASET_LABEL_NAMES(d);
    int num_labels = r->has_ckpt ? r->ckpt.num_labels : d->num_classes;
    if (checkpoint_save(path, m, tc, r->vocab, labels, num_labels, msg, msg_len) != 0)
        return -1;
    if (!with_optimizer)
        return 0;
    char sidecar[1100];
    checkpoint_optim_path(path, sidecar, sizeof sidecar);
    return optimizer_state_save(sidecar, trainer_optimizer(r->trainer), msg, msg_len);
}

/* Training data and validation data as the options and config say. */
static int load_data(const AppConfig *cfg, TrainRun *r, FILE *err, char *msg, size_t msg_len)
{
    RunData d;
    if (run_data_load(cfg, r->has_ckpt ? (const char *const *)r->ckpt.labels : NULL,
                      r->has_ckpt ? r->ckpt.num_labels : 0, err, &d, msg, msg_len) != 0)
        return -1;
    r->train = d.train;
    r->val = d.val;
    if (d.train_skipped > 0)
        cli_error(&train_command, err, "%s: skipped %d bad line%s", cfg->data.train_path,
                  d.train_skipped, d.train_skipped == 1 ? "" : "s");
    if (d.val_skipped > 0)
        cli_error(&train_command, err, "%s: skipped %d bad line%s", cfg->data.val_path,
                  d.val_skipped, d.val_skipped == 1 ? "" : "s");
    return 0;
}

int cli_train(int argc, char **argv, FILE *out, FILE *err)
{
    const CliCommand *cmd = &train_command;
    char **positional = malloc((size_t)(argc > 0 ? argc : 1) * sizeof *positional);
    if (!positional) {
        cli_error(cmd, err, "out of memory");
        return CLI_EXIT_FAILURE;
    }
    CliArgs args = {.positional = positional};
    int rc = cli_parse(cmd, argc, argv, 1, &args, err);
    if (rc == 0 && args.help) {
        cli_print_help(cmd, out);
        free(positional);
        return CLI_EXIT_OK;
    }
    if (rc == 0 && args.num_positional > 0) {
        cli_error(cmd, err, "unexpected argument '%s' (see '" CLI_PROGRAM " train --help')",
                  args.positional[0]);
        rc = CLI_EXIT_USAGE;
    }
    free(positional);
    if (rc != 0)
        return rc;

    AppConfig cfg;
    rc = cli_load_config(cmd, &args, &cfg, err);
    if (rc != 0)
        return rc;
    if (cli_get_int(cmd, &args, "epochs", 1, 1000000, &cfg.train.epochs, err) ||
        cli_get_u64(cmd, &args, "seed", &cfg.train.seed, err) ||
        cli_get_float(cmd, &args, "lr", 1e-9, 10.0, &cfg.train.optim.lr, err) ||
        cli_get_int(cmd, &args, "batch-size", 1, 1 << 20, &cfg.train.batch_size, err) ||
        cli_get_int(cmd, &args, "threads", 0, 1024, &cfg.train.threads, err))
        return CLI_EXIT_USAGE;
    char msg[1024];
    if (app_config_validate(&cfg, msg, sizeof msg) != 0) {
        cli_error(cmd, err, "%s", msg);
        return CLI_EXIT_FAILURE;
    }
    const char *save_path = cli_value(cmd, &args, "save");
    const char *best_path = cli_value(cmd, &args, "save-best");
    const char *resume_path = cli_value(cmd, &args, "resume");
    const char *metrics_path = cli_value(cmd, &args, "metrics");
    bool quiet = cli_flag(cmd, &args, "quiet");

    TrainRun r = {0};
    TokenizerConfig tok = cfg.data.tokenizer;
    Model *model = NULL;
    rc = CLI_EXIT_FAILURE;
    if (resume_path) {
        if (checkpoint_load(resume_path, &r.ckpt, msg, sizeof msg) != 0) {
            cli_error(cmd, err, "%s", msg);
            goto done;
        }
        r.has_ckpt = true;
        r.vocab = r.ckpt.vocab;
        tok = r.ckpt.tokenizer;
        cfg.model = r.ckpt.model->cfg;
    }
    if (load_data(&cfg, &r, err, msg, sizeof msg) != 0) {
        cli_error(cmd, err, "%s", msg);
        goto done;
    }
    if (!r.has_ckpt) {
        r.vocab = vocab_from_dataset(r.train, &tok, cfg.data.min_freq, cfg.data.max_vocab);
        if (!r.vocab) {
            cli_error(cmd, err, "could not build the vocabulary (out of memory)");
            goto done;
        }
        cfg.model.vocab_size = vocab_size(r.vocab);
        cfg.model.num_classes = r.train->num_classes;
    }
    r.etrain = dataset_encode(r.train, &tok, r.vocab, cfg.model.max_len);
    r.eval = r.val && r.val->n > 0 ? dataset_encode(r.val, &tok, r.vocab, cfg.model.max_len) : NULL;
    if (!r.etrain || (r.val && r.val->n > 0 && !r.eval)) {
        cli_error(cmd, err, "out of memory encoding the data");
        goto done;
    }
    if (r.has_ckpt) {
        model = r.ckpt.model;
        r.ckpt.model = NULL; /* the trainer owns it now */
    }
    r.trainer = trainer_create(&cfg, model, r.etrain, r.eval, msg, sizeof msg);
    if (!r.trainer) {
        cli_error(cmd, err, "%s", msg);
        goto done;
    }
    if (resume_path) {
        char sidecar[1100];
        checkpoint_optim_path(resume_path, sidecar, sizeof sidecar);
        if (optimizer_state_load(sidecar, trainer_optimizer(r.trainer), msg, sizeof msg) != 0) {
            cli_error(cmd, err, "%s", msg);
            goto done;
        }
        if (trainer_set_step(r.trainer, trainer_optimizer(r.trainer)->step, msg, sizeof msg) != 0) {
            cli_error(cmd, err, "%s: %s (same data and batch size as the saved run?)", sidecar, msg);
            goto done;
        }
    }
    if (metrics_path) {
        r.metrics = fopen(metrics_path, resume_path ? "a" : "w");
        if (!r.metrics) {
            cli_error(cmd, err, "%s: cannot open for writing", metrics_path);
            goto done;
        }
        if (ftell(r.metrics) == 0)
            fputs("step,epoch,lr,loss,acc,val_loss,val_acc,sentences_per_s\n", r.metrics);
    }

    const TrainProgress *p = trainer_progress(r.trainer);
    const long first_step = p->step;
    struct sigaction sa = {0}, old_sa;
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &sa, &old_sa);
    if (!quiet)
        fprintf(out, "training on %d sentences (%s), validating on %d; vocabulary %d, %d classes, "
                "%zu parameters, %ld steps\n",
                r.train->n, cfg.data.train_path[0] ? cfg.data.train_path : "embedded dataset",
                r.eval ? r.eval->n : 0, vocab_size(r.vocab), cfg.model.num_classes,
                trainer_model(r.trainer)->num_params, p->total_steps - p->step);
    fflush(out);
    bool live = !quiet && isatty(fileno(out));
    int columns = live ? terminal_columns(fileno(out)) : 0;
    double last_draw = 0;
    char line[256];
    int step_rc = 0;
    while (!interrupted && (step_rc = trainer_step(r.trainer, msg, sizeof msg)) == 0) {
        if (r.metrics) {
            fprintf(r.metrics, "%ld,%d,%.6g,%.6f,%.6f,", p->step, last_step_epoch(p), (double)p->lr,
                    (double)p->loss, (double)p->acc);
            if (p->val_step == p->step)
                fprintf(r.metrics, "%.6f,%.6f,", (double)p->val_loss, (double)p->val_acc);
            else
                fputs(",,", r.metrics);
            fprintf(r.metrics, "%.1f\n", p->sentences_per_s);
        }
        bool epoch_end = p->step_in_epoch == 0 || p->done;
        if (!quiet) {
            progress_line(line, sizeof line, p, first_step);
            if (live && (epoch_end || p->elapsed_s - last_draw >= 0.1)) {
                /* A line wider than the terminal would wrap and break the \r redraw. */
                fprintf(out, "\r%.*s\033[K%s", columns > 1 ? columns - 1 : 255, line,
                        epoch_end ? "\n" : "");
                fflush(out);
                last_draw = p->elapsed_s;
            } else if (!live && (epoch_end || p->elapsed_s - last_draw >= 10.0)) {
                /* Plain lines: one per epoch, and every 10 s inside a long epoch. */
                fprintf(out, "%s\n", line);
                fflush(out);
                last_draw = p->elapsed_s;
            }
        }
        int save_every = cfg.train.save_every;
        if (save_path && save_every > 0 && p->step % save_every == 0 && !p->done &&
            save_model(&r, trainer_model(r.trainer), &tok, save_path, true, msg, sizeof msg) != 0) {
            cli_error(cmd, err, "%s", msg);
            step_rc = -1;
            break;
        }
    }
    sigaction(SIGINT, &old_sa, NULL);
    if (step_rc < 0) {
        if (live)
            fputc('\n', out);
        cli_error(cmd, err, "%s", msg);
        goto done;
    }

    char took[32];
    format_duration(took, sizeof took, p->elapsed_s);
    fprintf(out, "%s %ld steps in %s (%.1f s), %.0f sentences/s; last epoch loss %.4f, accuracy %.1f%%\n",
            interrupted ? "interrupted after" : "trained", p->step - first_step, took, p->elapsed_s,
            p->sentences_per_s, (double)p->loss_avg, 100.0 * p->acc_avg);
    if (p->val_step >= 0)
        fprintf(out, "validation: loss %.4f, accuracy %.1f%% at step %ld; best %.1f%% at step %ld\n",
                (double)p->val_loss, 100.0 * p->val_acc, p->val_step, 100.0 * p->best_val_acc,
                p->best_step);
    bool save_best = cfg.train.save == TRAIN_SAVE_BEST && p->best_step >= 0;
    if (save_path && save_best) {
        /* The best weights are not where the optimizer state left off: no sidecar, and
         * one from an earlier save_every would not match them, so it goes. */
        if (save_model(&r, trainer_best_model(r.trainer), &tok, save_path, false, msg, sizeof msg) != 0) {
            cli_error(cmd, err, "%s", msg);
            goto done;
        }
        char sidecar[1100];
        checkpoint_optim_path(save_path, sidecar, sizeof sidecar);
        remove(sidecar);
        fprintf(out, "saved the best model by validation accuracy (%.1f%% at step %ld) to %s "
                "([train] save = best; no optimizer state, a resume needs save = last)\n",
                100.0 * p->best_val_acc, p->best_step, save_path);
    } else if (save_path) {
        if (save_model(&r, trainer_model(r.trainer), &tok, save_path, true, msg, sizeof msg) != 0) {
            cli_error(cmd, err, "%s", msg);
            goto done;
        }
        fprintf(out, "saved the final model (step %ld) to %s, optimizer state to %s.optim%s\n",
                p->step, save_path, save_path,
                cfg.train.save == TRAIN_SAVE_BEST ? " (save = best, but no validation ran)" : "");
    } else {
        fprintf(out, "not saved (use --save FILE)\n");
    }
    if (best_path) {
        if (save_model(&r, trainer_best_model(r.trainer), &tok, best_path, false, msg, sizeof msg) != 0) {
            cli_error(cmd, err, "%s", msg);
            goto done;
        }
        if (p->best_step >= 0)
            fprintf(out, "saved the best model by validation accuracy (%.1f%% at step %ld) to %s\n",
                    100.0 * p->best_val_acc, p->best_step, best_path);
        else
            fprintf(out, "no validation data: saved the final model to %s\n", best_path);
    }
    rc = interrupted ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
done:
    train_run_free(&r);
    return rc;
}
