/* ui_run: builds the session, starts the training thread, runs the curses
 * loop (keys -> flags -> one redraw per frame), and tears everything down. */
#include "ui.h"

#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "keys.h"
#include "lang.h"
#include "plot.h"
#include "session.h"

#define DEFAULT_SENTENCE "this movie was really great"
#define SAVE_FILE_NAME "minillm-tui.safetensors"
#define STATUS_SHOW_S 8.0

static volatile sig_atomic_t got_signal;
static void on_signal(int sig)
{
    (void)sig;
    got_signal = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && !got_signal) {
    }
}

static const MsgId tab_names[VIEW_COUNT] = {MSG_VIEW_DASHBOARD, MSG_VIEW_ATTENTION, MSG_VIEW_PE,
                                            MSG_VIEW_MODEL, MSG_VIEW_HELP};

static void draw_tabs(UiState *ui, const Canvas *c)
{
    char label[VIEW_COUNT][64];
    int total = 0;
    for (int v = 0; v < VIEW_COUNT; v++) {
        snprintf(label[v], sizeof label[v], " %c %s ", v == VIEW_HELP ? '?' : '1' + v,
                 msg(tab_names[v]));
        total += text_width(label[v]);
    }
    int x = 0;
    if (total + 14 <= c->w) /* the program name only when everything fits */
        x = canvas_text(c, 0, 0, -1, " minillm-tui ", STYLE_STATUS) + 1;
    for (int v = 0; v < VIEW_COUNT; v++)
        x += canvas_text(c, 0, x, -1, label[v], v == (int)ui->view ? STYLE_CURSOR : STYLE_LABEL);
}

/* Bottom line: the last event (saved to..., error) for a while, else key hints. */
static void draw_bottom(UiState *ui, const Canvas *c, uint64_t *seen_status, double *status_time)
{
    int y = c->h - 1;
    if (ui->snap.status_seq != *seen_status) {
        *seen_status = ui->snap.status_seq;
        *status_time = now_s();
    }
    bool error = ui->snap.state == TRAIN_STATE_ERROR;
    if (ui->snap.status[0] && (error || now_s() - *status_time < STATUS_SHOW_S))
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

static void draw_frame(UiState *ui, uint64_t *seen_status, double *status_time)
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
    draw_bottom(ui, &screen, seen_status, status_time);
    refresh();
}

static double cpu_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The UI overhead measurement (MINILLM_UI_BENCH_SECONDS=N, with
 * MINILLM_UI_BENCH_HEADLESS=1 without a screen): training throughput over N
 * seconds, and the CPU time of this (UI) thread against the whole process. */
typedef struct {
    long step0;
    double t0, ui_cpu0, proc_cpu0;
} Bench;

static void bench_begin(Bench *b, Snapshot *snap)
{
    SnapshotData d;
    snapshot_read(snap, &d);
    b->step0 = d.progress.step;
    b->t0 = now_s();
    b->ui_cpu0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
    b->proc_cpu0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
}

static void bench_report(const Bench *b, const char *what, Snapshot *snap, int batch)
{
    SnapshotData d;
    snapshot_read(snap, &d);
    double dt = now_s() - b->t0;
    double ui_cpu = cpu_s(CLOCK_THREAD_CPUTIME_ID) - b->ui_cpu0;
    double proc_cpu = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - b->proc_cpu0;
    long steps = d.progress.step - b->step0;
    fprintf(stderr,
            "ui-bench %s: %ld steps in %.2f s = %.1f steps/s, %.0f sentences/s (trainer says %.0f); "
            "cpu: ui thread %.3f s, rest of process %.2f s, ui share %.2f%%\n",
            what, steps, dt, (double)steps / dt, (double)steps * batch / dt,
            d.progress.sentences_per_s, ui_cpu, proc_cpu - ui_cpu,
            proc_cpu > 0 ? 100.0 * ui_cpu / proc_cpu : 0.0);
}

int ui_run(const AppConfig *cfg, const char *checkpoint_path, char *err, size_t err_len)
{
    setlocale(LC_ALL, "");
    bool utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    lang_set(lang_select(cfg->ui.lang));
    const char *bench_env = getenv("MINILLM_UI_BENCH_SECONDS");
    double bench_s = bench_env ? atof(bench_env) : 0.0;
    bool headless = bench_s > 0 && getenv("MINILLM_UI_BENCH_HEADLESS");
    if (!headless && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
        snprintf(err, err_len, "the visualiser needs a terminal (use 'minillm-tui train' for "
                 "headless training)");
        return -1;
    }

    Session s;
    if (session_open(&s, cfg, checkpoint_path, err, err_len) != 0) {
        if (s.trainer)
            trainer_free(s.trainer);
        session_close(&s);
        return -1;
    }
    const Model *tm = trainer_model(s.trainer);
    static UiState ui; /* large (snapshot copy): not on the stack */
    memset(&ui, 0, sizeof ui);
    Snapshot snap;
    if (snapshot_init(&snap, tm->num_params) != 0) {
        snprintf(err, err_len, "out of memory for the snapshot");
        trainer_free(s.trainer);
        session_close(&s);
        return -1;
    }
    if (infer_init(&ui.inf, &tm->cfg, &s.tc, s.vocab, s.labels, s.num_labels, err, err_len) != 0) {
        snapshot_destroy(&snap);
        trainer_free(s.trainer);
        session_close(&s);
        return -1;
    }
    model_flops_per_token(&tm->cfg, tm->cfg.max_len, &ui.flops_fwd, &ui.flops_train);
    snprintf(ui.sentence, sizeof ui.sentence, "%s", cfg->ui.sentence[0] ? cfg->ui.sentence : DEFAULT_SENTENCE);
    char cwd[700];
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, ".");
    snprintf(ui.save_path, sizeof ui.save_path, "%s/%s", cwd, SAVE_FILE_NAME);
    snprintf(ui.data_name, sizeof ui.data_name, "%s", s.data_name);
    snprintf(ui.note, sizeof ui.note, "%s", s.note);
    ui.train_n = s.train ? s.train->n : 0;
    ui.val_n = s.val ? s.val->n : 0;
    ui.view = VIEW_DASHBOARD;

    got_signal = 0;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    TrainThreadConfig tcfg = {
        .tokenizer = &s.tc, .vocab = s.vocab, .labels = s.labels, .num_labels = s.num_labels,
        /* the benchmark measures what drawing costs the training: unpaced */
        .pace = bench_s > 0 ? 0.0f : s.cfg.ui.pace,
        .save_best = s.cfg.train.save == TRAIN_SAVE_BEST,
    };
    int batch = s.cfg.train.batch_size;
    ui.tt = train_thread_start(s.trainer, &snap, &tcfg, err, err_len);
    s.trainer = NULL; /* owned by the thread now (also on failure) */
    int rc = 0;
    if (!ui.tt) {
        rc = -1;
        goto out;
    }
    if (headless) {
        Bench b;
        sleep_s(1.0); /* warm-up */
        bench_begin(&b, &snap);
        sleep_s(bench_s);
        bench_report(&b, "headless", &snap, batch);
        train_thread_stop(ui.tt);
        goto out;
    }

    SCREEN *scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        train_thread_stop(ui.tt);
        snprintf(err, err_len, "cannot start the terminal UI (TERM=%s)",
                 getenv("TERM") ? getenv("TERM") : "unset");
        rc = -1;
        goto out;
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
    Theme theme;
    theme_init(&theme, color_mode_select(has_colors(), has_colors() ? COLORS : 0, no_color), utf8);
    theme_apply_pairs(&theme, default_bg);
    ui.theme = &theme;

    int fps = cfg->ui.fps > 0 ? cfg->ui.fps : 10;
    double frame_s = 1.0 / fps, last_frame = 0.0;
    uint64_t seen_status = 0;
    double status_time = 0.0;
    bool rerun = true;
    Bench bench = {0};
    double bench_end = 0.0;
    if (bench_s > 0) {
        sleep_s(1.0);
        bench_begin(&bench, &snap);
        bench_end = bench.t0 + bench_s;
    }
    for (;;) {
        double wait = last_frame + frame_s - now_s();
        timeout(wait > 0 ? (int)(wait * 1000.0) + 1 : 0);
        int flags = 0;
        wint_t wch;
        int r = get_wch(&wch);
        /* take every key already typed before drawing once */
        for (int n = 0; r != ERR && n < 64; n++) {
            if (r == KEY_CODE_YES && wch == KEY_RESIZE)
                flags |= UI_REDRAW;
            else
                flags |= keys_dispatch(&ui, (int)wch, r == KEY_CODE_YES);
            if (flags & UI_QUIT)
                break;
            timeout(0);
            r = get_wch(&wch);
        }
        if (got_signal || (flags & UI_QUIT))
            break;
        if (bench_s > 0 && now_s() >= bench_end)
            break;
        rerun |= (flags & UI_RERUN) != 0;
        double t = now_s();
        if (!(flags & UI_REDRAW) && t - last_frame < frame_s)
            continue;
        last_frame = t;
        snapshot_read(&snap, &ui.snap);
        if (infer_refresh_weights(&ui.inf, &snap))
            rerun = true;
        if (rerun) {
            infer_run(&ui.inf, ui.sentence);
            rerun = false;
        }
        draw_frame(&ui, &seen_status, &status_time);
    }
    if (bench_s > 0)
        bench_report(&bench, "ui", &snap, batch);
    train_thread_stop(ui.tt);
    endwin();
    delscreen(scr);
out:
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    infer_free(&ui.inf);
    snapshot_destroy(&snap);
    session_close(&s);
    return rc;
}
