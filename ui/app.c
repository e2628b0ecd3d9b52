/* ui_run: opens the run, starts the training thread, runs the curses loop
 * (keys -> flags -> one redraw per frame), and tears everything down. */
#include "ui.h"

#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "clock.h"
#include "frame.h"
#include "keys.h"
#include "lang.h"
#include "src/errors.h"
#include "src/run.h"
#include "state.h"
#include "views.h"

#define SAVE_FILE_NAME "minillm-tui.safetensors"
/* How long an event (saved, pace...) stays on the bottom line. */
#define STATUS_SHOW_S 8.0
/* Keys taken per frame at most, so that a held key cannot starve the drawing. */
#define KEYS_PER_FRAME 64

static volatile sig_atomic_t got_signal;
static void on_signal(int sig)
{
    (void)sig;
    got_signal = 1;
}

static void draw_frame(const UiState *ui)
{
    erase();
    Canvas screen = canvas_for_window(stdscr, ui->theme);
    frame_draw(ui, &screen);
    refresh();
}

/* Waits up to `wait` seconds for a key, then takes every key already typed.
 * Returns the handlers' flags, OR-combined. */
static int read_keys(UiState *ui, double wait)
{
    timeout(wait > 0 ? (int)(wait * 1000.0) + 1 : 0);
    int flags = 0;
    wint_t wch;
    /* a key is read only when it will be handled: the rest of a paste waits in
     * the terminal's buffer for the next frame */
    for (int n = 0; n < KEYS_PER_FRAME && !(flags & UI_QUIT); n++) {
        int r = get_wch(&wch);
        if (r == ERR)
            break;
        if (r == KEY_CODE_YES && wch == KEY_RESIZE) {
            int h, w;
            getmaxyx(stdscr, h, w);
            ui_state_resized(ui, h, w);
            flags |= UI_REDRAW;
        } else {
            flags |= keys_dispatch(ui, (int)wch, r == KEY_CODE_YES);
        }
        timeout(0);
    }
    return flags;
}

/* Frames at `fps` (and at once after a key) until q, Ctrl-C, a signal or the
 * end of the benchmark. Data changes (snapshot, weights, sentence) are taken
 * before drawing; drawing only reads. */
static void main_loop(UiState *ui, Snapshot *snap, int fps, const UiBench *bench)
{
    double frame_s = 1.0 / fps, last_frame = 0.0, status_time = 0.0;
    uint64_t seen_status = 0;
    bool rerun = true;
    int h, w;
    getmaxyx(stdscr, h, w);
    ui_state_resized(ui, h, w);
    for (;;) {
        int flags = read_keys(ui, last_frame + frame_s - clock_now_s());
        if (got_signal || (flags & UI_QUIT) || (bench && ui_bench_over(bench)))
            break;
        rerun |= (flags & UI_RERUN) != 0;
        double t = clock_now_s();
        if (!(flags & UI_REDRAW) && t - last_frame < frame_s)
            continue;
        last_frame = t;
        rerun |= ui_state_refresh(ui, snap);
        if (rerun) {
            ui_state_run_sentence(ui);
            rerun = false;
        }
        ui_state_tick(ui, t);
        if (ui->snap.status_seq != seen_status) {
            seen_status = ui->snap.status_seq;
            status_time = t;
        }
        ui->bottom = frame_bottom_line(ui, t - status_time, STATUS_SHOW_S);
        draw_frame(ui);
    }
}

/* curses on stdout, the theme for the terminal's colours (NO_COLOR honoured). */
static SCREEN *screen_open(Theme *theme, bool utf8, char *err, size_t err_len)
{
    SCREEN *scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        errorf(err, err_len, "cannot start the terminal UI (TERM=%s)",
               getenv("TERM") ? getenv("TERM") : "unset");
        return NULL;
    }
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    const char *nc = getenv("NO_COLOR");
    bool no_color = nc && nc[0];
    bool default_bg = false;
    if (has_colors() && !no_color) {
        start_color();
        default_bg = use_default_colors() == OK;
    }
    theme_init(theme, color_mode_select(has_colors(), has_colors() ? COLORS : 0, no_color), utf8);
    theme_apply_pairs(theme, default_bg);
    return scr;
}

/* The screen's life: open, the frame loop (measured with --ui-bench), close. */
static int run_screen(UiState *ui, Snapshot *snap, const Run *run, const TuiOptions *opts, bool utf8,
                      char *err, size_t err_len)
{
    Theme theme;
    SCREEN *scr = screen_open(&theme, utf8, err, err_len);
    if (!scr)
        return -1;
    ui->theme = &theme;
    UiBench bench;
    if (opts->bench_seconds > 0)
        ui_bench_begin(&bench, snap, run->cfg.train.batch_size, opts->bench_seconds, &got_signal);
    main_loop(ui, snap, run->cfg.ui.fps, opts->bench_seconds > 0 ? &bench : NULL);
    if (opts->bench_seconds > 0)
        ui_bench_report(&bench, "ui");
    endwin();
    delscreen(scr);
    ui->theme = NULL;
    return 0;
}

/* The training thread's life around the screen (or the headless benchmark). */
static int run_with_thread(UiState *ui, Run *run, Snapshot *snap, const TuiOptions *opts, bool utf8,
                           char *err, size_t err_len)
{
    got_signal = 0;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    /* the benchmark measures what drawing costs the training: unpaced; a
     * checkpoint opens paused, on its own figures, until Space */
    TrainThreadConfig tcfg = {.pace = opts->bench_seconds > 0 ? 0.0f : run->cfg.ui.pace,
                              .start_paused = opts->checkpoint && opts->bench_seconds <= 0};
    ui->tt = train_thread_start(run, snap, &tcfg, err, err_len);
    int rc = ui->tt ? 0 : -1;
    if (ui->tt && opts->headless)
        ui_bench_headless(snap, run->cfg.train.batch_size, opts->bench_seconds, &got_signal);
    else if (ui->tt)
        rc = run_screen(ui, snap, run, opts, utf8, err, err_len);
    train_thread_stop(ui->tt);
    ui->tt = NULL;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return rc;
}

/* What the views show of the run: its model's shape, vocabulary, class names,
 * the configured sentence, the note, where `s` saves, the checkpoint opened. */
static int ui_state_for_run(UiState *ui, const Run *run, const char *checkpoint, char *err,
                            size_t err_len)
{
    const UiConfig *uc = &run->cfg.ui;
    if (ui_state_init(ui, &run_model(run)->cfg, &run->cfg.data.tokenizer, run->vocab, run->labels,
                      run->num_labels, uc->sentence, err, err_len) != 0)
        return -1;
    char cwd[700];
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, ".");
    snprintf(ui->save_path, sizeof ui->save_path, "%s/%s", cwd, SAVE_FILE_NAME);
    snprintf(ui->note, sizeof ui->note, "%s", run->note);
    snprintf(ui->data_name, sizeof ui->data_name, "%s", run->data_name);
    ui->eval_every = run->cfg.train.eval_every;
    const TrainConfig *tc = &run->cfg.train;
    ui->schedule = (LrSchedule){.kind = tc->schedule, .peak_lr = tc->optim.lr, .min_lr = tc->min_lr};
    ui->warmup_fraction = tc->warmup_fraction;
    if (checkpoint) {
        snprintf(ui->checkpoint, sizeof ui->checkpoint, "%s", checkpoint);
        ui->ckpt_info = run->info;
    }
    return 0;
}

/* The data's bad lines, kept while the screen is up: the note names the first
 * and the whole list goes to stderr once the terminal is restored. */
typedef struct {
    FILE *f;                 /* open_memstream over text; NULL when unavailable */
    char *text;
    size_t len;
} BadLineLog;

static void bad_line_log_open(BadLineLog *log)
{
    log->text = NULL;
    log->len = 0;
    log->f = open_memstream(&log->text, &log->len);
}

/* Adds the first bad line to the note (the run's note says how many). */
static void note_first_bad_line(UiState *ui, BadLineLog *log)
{
    if (!log->f || fflush(log->f) != 0 || log->len == 0)
        return;
    size_t first = strcspn(log->text, "\n"), used = strlen(ui->note);
    snprintf(ui->note + used, sizeof ui->note - used, "%s%.*s (every bad line is listed on quitting)",
             used ? "; " : "", (int)(first < 300 ? first : 300), log->text);
}

static void bad_line_log_close(BadLineLog *log)
{
    if (!log->f)
        return;
    fclose(log->f);
    if (log->len > 0)
        fputs(log->text, stderr);
    free(log->text);
}

int ui_run(const AppConfig *cfg, const TuiOptions *opts, char *err, size_t err_len)
{
    setlocale(LC_ALL, "");
    /* numbers as everywhere else in the program (and as files hold them): 0.5, not 0,5 */
    setlocale(LC_NUMERIC, "C");
    bool utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    lang_set(lang_select(cfg->ui.lang));
    lang_set_utf8(utf8);
    if (!(opts->bench_seconds > 0 && opts->headless) && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
        return errorf(err, err_len, "the visualiser needs a terminal (use 'minillm-tui train' for "
                      "headless training)");
    BadLineLog log;
    bad_line_log_open(&log);
    Run run;
    RunSpec spec = {.purpose = RUN_TRAIN, .checkpoint = opts->checkpoint, .log = log.f};
    int rc = -1;
    if (run_open(&run, cfg, &spec, err, err_len) != 0) {
        bad_line_log_close(&log);
        return -1;
    }
    static UiState ui; /* large (snapshot copy): not on the stack */
    memset(&ui, 0, sizeof ui);
    Snapshot snap;
    if (snapshot_init(&snap, run_model(&run)->num_params) != 0) {
        errorf(err, err_len, "out of memory for the snapshot (%zu parameters)", run_model(&run)->num_params);
    } else {
        if (ui_state_for_run(&ui, &run, opts->checkpoint, err, err_len) == 0) {
            note_first_bad_line(&ui, &log);
            rc = run_with_thread(&ui, &run, &snap, opts, utf8, err, err_len);
        }
        ui_state_free(&ui);
        snapshot_destroy(&snap);
    }
    run_close(&run);
    bad_line_log_close(&log);
    return rc;
}
