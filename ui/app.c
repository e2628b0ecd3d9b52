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
#include "keys.h"
#include "lang.h"
#include "src/errors.h"
#include "src/run.h"
#include "state.h"
#include "views.h"

#define SAVE_FILE_NAME "minillm-tui.safetensors"
/* How long an event (saved, pace, error...) or the start note stays on the bottom line. */
#define STATUS_SHOW_S 8.0
/* Keys taken per frame at most, so that a held key cannot starve the drawing. */
#define KEYS_PER_FRAME 64

static volatile sig_atomic_t got_signal;
static void on_signal(int sig)
{
    (void)sig;
    got_signal = 1;
}

static void draw_tabs(const UiState *ui, const Canvas *c)
{
    char label[VIEW_COUNT][64];
    int total = 0;
    for (int v = 0; v < VIEW_COUNT; v++) {
        snprintf(label[v], sizeof label[v], " %c %s ", v == VIEW_HELP ? '?' : '1' + v, view_name(v));
        total += text_width(label[v]);
    }
    int x = 0;
    if (total + 14 <= c->w) /* the program name only when everything fits */
        x = canvas_text(c, 0, 0, -1, " minillm-tui ", STYLE_STATUS) + 1;
    for (int v = 0; v < VIEW_COUNT; v++)
        x += canvas_text(c, 0, x, -1, label[v], v == (int)ui->view ? STYLE_CURSOR : STYLE_LABEL);
}

/* Bottom line: the last event (saved to..., error) for a while, else key hints. */
static void draw_bottom(const UiState *ui, const Canvas *c, double status_age)
{
    int y = c->h - 1;
    bool error = ui->snap.state == TRAIN_STATE_ERROR;
    if (ui->snap.status[0] && (error || status_age < STATUS_SHOW_S))
        canvas_text(c, y, 0, -1, ui->snap.status, error ? STYLE_BAD : STYLE_WARN);
    else if (ui->note[0] && !ui->snap.status[0] && ui->snap.elapsed_s < STATUS_SHOW_S)
        canvas_text(c, y, 0, -1, ui->note, STYLE_WARN);
    else
        canvas_text(c, y, 0, -1, msg(MSG_HINTS), STYLE_DIM);
}

static void draw_too_small(const Canvas *c)
{
    int y = c->h / 2 - 1;
    const char *title = msg(MSG_TOO_SMALL);
    int tw = text_width(title);
    canvas_text(c, y < 0 ? 0 : y, (c->w - tw) / 2 > 0 ? (c->w - tw) / 2 : 0, -1, title, STYLE_WARN);
    char need[96];
    snprintf(need, sizeof need, msg(MSG_NEED_SIZE), UI_MIN_COLS, UI_MIN_LINES, c->w, c->h);
    int nw = text_width(need);
    canvas_text(c, y + 1, (c->w - nw) / 2 > 0 ? (c->w - nw) / 2 : 0, -1, need, STYLE_LABEL);
    canvas_text(c, y + 2, 0, -1, "q: quit", STYLE_DIM);
}

static void draw_frame(const UiState *ui, double status_age)
{
    erase();
    Canvas screen = canvas_for_window(stdscr, ui->theme);
    if (screen.w < UI_MIN_COLS || screen.h < UI_MIN_LINES) {
        draw_too_small(&screen);
        refresh();
        return;
    }
    draw_tabs(ui, &screen);
    Canvas body = canvas_sub(&screen, 1, 0, screen.h - 2, screen.w);
    switch (ui->view) {
    case VIEW_DASHBOARD: view_dashboard_draw(ui, &body); break;
    case VIEW_ATTENTION: view_attention_draw(ui, &body); break;
    case VIEW_PE: view_pe_draw(ui, &body); break;
    case VIEW_MODEL: view_model_draw(ui, &body); break;
    default: view_help_draw(ui, &body); break;
    }
    draw_bottom(ui, &screen, status_age);
    refresh();
}

/* Waits up to `wait` seconds for a key, then takes every key already typed.
 * Returns the handlers' flags, OR-combined. */
static int read_keys(UiState *ui, double wait)
{
    timeout(wait > 0 ? (int)(wait * 1000.0) + 1 : 0);
    int flags = 0;
    wint_t wch;
    int r = get_wch(&wch);
    for (int n = 0; r != ERR && n < KEYS_PER_FRAME; n++) {
        if (r == KEY_CODE_YES && wch == KEY_RESIZE)
            flags |= UI_REDRAW;
        else
            flags |= keys_dispatch(ui, (int)wch, r == KEY_CODE_YES);
        if (flags & UI_QUIT)
            break;
        timeout(0);
        r = get_wch(&wch);
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
        if (ui->snap.status_seq != seen_status) {
            seen_status = ui->snap.status_seq;
            status_time = t;
        }
        draw_frame(ui, t - status_time);
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
    /* the benchmark measures what drawing costs the training: unpaced */
    TrainThreadConfig tcfg = {.pace = opts->bench_seconds > 0 ? 0.0f : run->cfg.ui.pace};
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
 * the configured sentence, the note, where `s` saves. */
static int ui_state_for_run(UiState *ui, const Run *run, char *err, size_t err_len)
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
    return 0;
}

int ui_run(const AppConfig *cfg, const TuiOptions *opts, char *err, size_t err_len)
{
    setlocale(LC_ALL, "");
    bool utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    lang_set(lang_select(cfg->ui.lang));
    if (!(opts->bench_seconds > 0 && opts->headless) && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
        return errorf(err, err_len, "the visualiser needs a terminal (use 'minillm-tui train' for "
                      "headless training)");
    Run run;
    RunSpec spec = {.purpose = RUN_TRAIN, .checkpoint = opts->checkpoint};
    if (run_open(&run, cfg, &spec, err, err_len) != 0)
        return -1;
    static UiState ui; /* large (snapshot copy): not on the stack */
    memset(&ui, 0, sizeof ui);
    Snapshot snap;
    int rc = -1;
    if (snapshot_init(&snap, run_model(&run)->num_params) != 0) {
        errorf(err, err_len, "out of memory for the snapshot (%zu parameters)", run_model(&run)->num_params);
    } else {
        if (ui_state_for_run(&ui, &run, err, err_len) == 0)
            rc = run_with_thread(&ui, &run, &snap, opts, utf8, err, err_len);
        ui_state_free(&ui);
        snapshot_destroy(&snap);
    }
    run_close(&run);
    return rc;
}
