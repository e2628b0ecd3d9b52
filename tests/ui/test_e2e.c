/* End to end: the real binary in tmux. Starts it, watches the step counter
 * move, switches views, types a sentence, changes head, resizes below the
 * minimum and back, quits with `q` (or Ctrl-C) and checks the exit status
 * and the colours used. At 132x40 with 256 colours (plus pause, lr, save,
 * help), at 80x24, with 8 colours, with NO_COLOR=1, and with TERM=vt100 in
 * the C locale (no colour, ASCII glyphs). Skips when tmux is not installed. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SCREEN_MAX 65536
#define WAIT_S 20.0

typedef struct {
    char sock[320];         /* tmux -S: a server of our own, socket inside dir */
    char dir[256];          /* working directory of the run (save files, exit status) */
    char screen[SCREEN_MAX];
} Tmux;

static int shell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int shell(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void capture_with(Tmux *t, const char *flags)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "tmux -S %s capture-pane -p %s -t e2e 2>/dev/null", t->sock, flags);
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    if (p) {
        n = fread(t->screen, 1, SCREEN_MAX - 1, p);
        pclose(p);
    }
    t->screen[n] = '\0';
}

static void capture(Tmux *t) { capture_with(t, ""); }

/* Colours used on screen, from the SGR sequences of capture-pane -e:
 * 256 when 38;5 / 48;5 appear, 8 for basic colour codes, 0 for none. */
static int colours_on_screen(Tmux *t)
{
    capture_with(t, "-e");
    int found = 0;
    for (const char *p = t->screen; (p = strstr(p, "\033[")) != NULL;) {
        p += 2;
        int params[32], np = 0;
        while (np < 32) {
            char *end;
            long v = strtol(p, &end, 10);
            params[np++] = end == p ? 0 : (int)v;
            p = end;
            if (*p != ';')
                break;
            p++;
        }
        if (*p != 'm')
            continue;
        for (int i = 0; i < np; i++) {
            int v = params[i];
            if ((v == 38 || v == 48) && i + 1 < np && params[i + 1] == 5)
                found = 256;
            else if (found < 8 && ((v >= 30 && v <= 37) || (v >= 40 && v <= 47) ||
                                   (v >= 90 && v <= 97) || (v >= 100 && v <= 107)))
                found = 8;
        }
    }
    return found;
}

/* Polls the screen until it contains needle; false after WAIT_S. */
/* Waits until needle is on screen, then lets the frame that drew it finish
 * (a capture can land while ncurses is still writing it, half old, half new:
 * the checks that follow read other lines of the same frame). */
static bool wait_for(Tmux *t, const char *needle)
{
    double end = now_s() + WAIT_S;
    do {
        capture(t);
        if (strstr(t->screen, needle)) {
            pause_ms(150);
            capture(t);
            if (strstr(t->screen, needle))
                return true;
        }
        pause_ms(100);
    } while (now_s() < end);
    return false;
}

static long step_on_screen(const char *screen)
{
    const char *s = strstr(screen, "step ");
    long step = -1;
    if (s)
        sscanf(s + 5, "%ld", &step);
    return step;
}

static void keys(Tmux *t, const char *k)
{
    shell("tmux -S %s send-keys -t e2e %s", t->sock, k);
}

static void resize(Tmux *t, int w, int h)
{
    shell("tmux -S %s resize-window -t e2e -x %d -y %d", t->sock, w, h);
}

static bool tmux_available(void) { return shell("command -v tmux >/dev/null 2>&1") == 0; }

static void stop(Tmux *t)
{
    shell("tmux -S %s kill-server >/dev/null 2>&1", t->sock);
    shell("rm -rf '%s'", t->dir);
}

/* Reads the exit status the wrapper shell wrote; -1 when not there (yet). */
static int exit_status(Tmux *t)
{
    char path[300];
    snprintf(path, sizeof path, "%s/exit", t->dir);
    double end = now_s() + WAIT_S;
    while (now_s() < end) {
        FILE *f = fopen(path, "r");
        if (f) {
            int status = -1;
            int got = fscanf(f, "%d", &status);
            fclose(f);
            if (got == 1)
                return status;
        }
        pause_ms(100);
    }
    return -1;
}

typedef struct {
    const char *name;
    int w, h;
    const char *env;
    int colours;            /* expected: 256, 8 or 0 */
    bool commands;          /* also pause, lr, save */
    const char *quit_key;   /* "q" or "C-c" */
    const char *val_legend; /* the validation curve's cues in the legend: dash and point */
} Scenario;

/* A working directory for the run (its saves, its exit status). */
static void make_dir(Tmux *t, const char *name)
{
    if (!tmux_available())
        cr_skip_test("tmux is not installed: end-to-end test skipped");
    snprintf(t->dir, sizeof t->dir, "/tmp/minillm-e2e-%s-%ld", name, (long)getpid());
    snprintf(t->sock, sizeof t->sock, "%s/tmux.sock", t->dir);
    cr_assert_eq(shell("mkdir -p '%s'", t->dir), 0);
}

static const char *exe_path(void)
{
    const char *exe = getenv("MINILLM_TUI_EXE");
    cr_assert(exe && getenv("MINILLM_SOURCE_ROOT"),
              "MINILLM_TUI_EXE and MINILLM_SOURCE_ROOT must be set (meson test does)");
    return exe;
}

/* The binary with tests/ui/e2e.ini and `args` in a w x h tmux window of its
 * own, in t->dir; waits for `ready` on screen. */
static void start_tui(Tmux *t, int w, int h, const char *env, const char *args, const char *ready)
{
    const char *exe = exe_path(), *root = getenv("MINILLM_SOURCE_ROOT");
    int rc = shell("tmux -S %s -f /dev/null new-session -d -s e2e -x %d -y %d "
                   "\"cd '%s' && env -u NO_COLOR -u LANG -u LC_MESSAGES %s '%s' --config "
                   "'%s/tests/ui/e2e.ini' %s; echo \\$? > '%s/exit'\"",
                   t->sock, w, h, t->dir, env, exe, root, args, t->dir);
    cr_assert_eq(rc, 0, "tmux new-session failed");
    bool ok = wait_for(t, ready);
    if (!ok)
        stop(t);
    cr_assert(ok, "no '%s' on screen:\n%s", ready, t->screen);
}

static void quit_and_check(Tmux *t, const char *key)
{
    keys(t, key);
    int status = exit_status(t);
    cr_expect_eq(status, 0, "exit status %d after %s", status, key);
    stop(t);
}

static void run_scenario(const Scenario *sc)
{
    int w = sc->w, h = sc->h;
    static Tmux t;
    make_dir(&t, sc->name);
    start_tui(&t, w, h, sc->env, "", "loss");
    long first = step_on_screen(t.screen);
    long later = first;
    double end = now_s() + WAIT_S;
    while (later <= first && now_s() < end) {
        pause_ms(200);
        capture(&t);
        later = step_on_screen(t.screen);
    }
    cr_expect_gt(later, first, "step counter did not advance (%ld):\n%s", first, t.screen);
    int colours = colours_on_screen(&t);
    cr_expect_eq(colours, sc->colours, "colours on screen: %d, expected %d", colours, sc->colours);
    /* the validation curve is told apart by glyphs too, named in the legend */
    cr_expect(wait_for(&t, sc->val_legend), "no '%s' legend:\n%s", sc->val_legend, t.screen);

    if (sc->commands) {
        keys(&t, "Space");
        cr_expect(wait_for(&t, "PAUSED"), "no PAUSED after Space:\n%s", t.screen);
        keys(&t, "Space");
        cr_expect(wait_for(&t, "running"), "not running after Space again:\n%s", t.screen);
        keys(&t, "+");
        cr_expect(wait_for(&t, "(x1.25)"), "lr scale not shown after +:\n%s", t.screen);
        cr_expect(wait_for(&t, "pace 15 steps/s"), "default pace not shown:\n%s", t.screen);
        keys(&t, "'>'");
        cr_expect(wait_for(&t, "pace 30 steps/s"), "pace not doubled by >:\n%s", t.screen);
        keys(&t, "'<' '<'");
        cr_expect(wait_for(&t, "pace 7.5 steps/s"), "pace not halved twice by <:\n%s", t.screen);
        keys(&t, "s");
        cr_expect(wait_for(&t, "minillm-tui.safetensors"), "save path not shown:\n%s", t.screen);
        char path[320];
        snprintf(path, sizeof path, "%s/minillm-tui.safetensors", t.dir);
        cr_expect(wait_for(&t, "saved "), "save outcome not shown:\n%s", t.screen);
        cr_expect_eq(access(path, R_OK), 0, "no checkpoint at %s", path);
        keys(&t, "?");
        cr_expect(wait_for(&t, "softmax"), "help without formulas:\n%s", t.screen);
        keys(&t, "Escape");
    }

    keys(&t, "2");
    cr_expect(wait_for(&t, "head 1/"), "attention header missing:\n%s", t.screen);
    keys(&t, "/ C-u");
    keys(&t, "-l 'the xyzzyq movie was boring'");
    keys(&t, "Enter");
    cr_expect(wait_for(&t, "sentence> the xyzzyq movie was boring"), "typed sentence missing:\n%s",
              t.screen);
    cr_expect(wait_for(&t, "<UNK> xyzzyq"), "the unknown word is not marked:\n%s", t.screen);
    /* the words label the heat map rows too */
    cr_expect(wait_for(&t, "boring "), "token labels missing:\n%s", t.screen);
    cr_expect(strstr(t.screen, "\n  the") || strstr(t.screen, " the "), "row label 'the' missing:\n%s",
              t.screen);
    keys(&t, "Right");
    cr_expect(wait_for(&t, "head 2/"), "head did not change with Right:\n%s", t.screen);

    keys(&t, "3");
    cr_expect(wait_for(&t, "PE matrix"), "PE view missing:\n%s", t.screen);
    resize(&t, 50, 15);
    cr_expect(wait_for(&t, "terminal too small"), "no 'too small' message at 50x15:\n%s", t.screen);
    resize(&t, w, h);
    cr_expect(wait_for(&t, "PE matrix"), "PE view not back after resize:\n%s", t.screen);

    quit_and_check(&t, sc->quit_key);
}

#define UTF8_LEGEND "\u2500\u2500 \u2022 validation"
#define ASCII_LEGEND "-- o validation"

Test(e2e, colour_256_at_132x40, .timeout = 120)
{
    Scenario sc = {"c256", 132, 40, "LC_ALL=C.UTF-8 TERM=xterm-256color", 256, true, "q", UTF8_LEGEND};
    run_scenario(&sc);
}

Test(e2e, at_80x24_ctrl_c, .timeout = 120)
{
    Scenario sc = {"small", 80, 24, "LC_ALL=C.UTF-8 TERM=xterm-256color", 256, false, "C-c",
                   UTF8_LEGEND};
    run_scenario(&sc);
}

Test(e2e, colour_8, .timeout = 120)
{
    Scenario sc = {"c8", 132, 40, "LC_ALL=C.UTF-8 TERM=xterm", 8, false, "q", UTF8_LEGEND};
    run_scenario(&sc);
}

Test(e2e, no_color, .timeout = 120)
{
    Scenario sc = {"nocolor", 132, 40, "LC_ALL=C.UTF-8 TERM=xterm-256color NO_COLOR=1", 0, false, "q",
                   UTF8_LEGEND};
    run_scenario(&sc);
}

Test(e2e, vt100_ascii, .timeout = 120)
{
    Scenario sc = {"vt100", 132, 40, "LC_ALL=C TERM=vt100", 0, false, "q", ASCII_LEGEND};
    run_scenario(&sc);
}

/* The input line as drawn (after "sentence> "), up to the end of its row. */
static void input_line(const Tmux *t, char *out, size_t len)
{
    const char *s = strstr(t->screen, "sentence> ");
    out[0] = '\0';
    if (!s)
        return;
    s += strlen("sentence> ");
    size_t n = strcspn(s, "\n");
    snprintf(out, len, "%.*s", (int)n, s);
}

/* Issue 12, item 1: every character of a 300-character paste arrives. The line
 * shows the paste's end (the cursor there), then with Ctrl-A its start; the two
 * views together cover all 300 characters and must equal the paste exactly. */
Test(e2e, paste_of_300_characters, .timeout = 120)
{
    static Tmux t;
    make_dir(&t, "paste");
    start_tui(&t, 200, 60, "LC_ALL=C.UTF-8 TERM=xterm-256color", "", "loss");
    char paste[301];
    unsigned seed = 12;
    for (int i = 0; i < 300; i++) {
        seed = seed * 1103515245u + 12345u;
        paste[i] = (seed >> 16) % 7 == 0 ? ' ' : (char)('a' + (seed >> 16) % 26);
    }
    paste[0] = 'A', paste[299] = 'Z', paste[300] = '\0';
    keys(&t, "2 / C-u");
    cr_assert(wait_for(&t, "(type a sentence)"), "the input line is not empty:\n%s", t.screen);
    shell("tmux -S %s send-keys -t e2e -l '%s'", t.sock, paste);
    cr_expect(wait_for(&t, paste + 290), "the paste's end never arrived:\n%s", t.screen);
    char line[512];
    input_line(&t, line, sizeof line);
    /* "…", the end of the paste, the cursor (a blank, trimmed by tmux) */
    const char *tail = strstr(line, "\u2026") ? strstr(line, "\u2026") + strlen("\u2026") : line;
    size_t n = strlen(tail);
    while (n > 0 && tail[n - 1] == ' ')
        n--;
    cr_assert_gt(n, 150, "the end of the line: '%s'", line);
    cr_expect(strncmp(tail, paste + 300 - n, n) == 0, "the end differs:\n got '%.*s'\nwant '%s'",
              (int)n, tail, paste + 300 - n);
    keys(&t, "C-a");
    char head[32];
    snprintf(head, sizeof head, "sentence> %.12s", paste);
    cr_expect(wait_for(&t, head), "Ctrl-A did not go to the start:\n%s", t.screen);
    input_line(&t, line, sizeof line);
    const char *more = strstr(line, "\u2026");
    size_t m = more ? (size_t)(more - line) : strlen(line);
    cr_assert_geq(m + n, 300, "the two views do not cover the paste (%zu + %zu)", m, n);
    cr_expect(strncmp(line, paste, m) == 0, "the start differs:\n got '%.*s'\nwant '%.*s'", (int)m,
              line, (int)m, paste);
    keys(&t, "Enter");
    quit_and_check(&t, "q");
}

/* Item 2: `/` in the Model view edits a line shown there; `q` is typed, not quit. */
Test(e2e, slash_in_the_model_view, .timeout = 120)
{
    static Tmux t;
    make_dir(&t, "model");
    start_tui(&t, 80, 24, "LC_ALL=C.UTF-8 TERM=xterm-256color", "", "loss");
    keys(&t, "4 / 1 q");
    cr_expect(wait_for(&t, "sentence> this movie is great1q"), "the typing is not shown:\n%s", t.screen);
    /* the frame may still be on its way to the terminal: wait for its last line too */
    cr_expect(wait_for(&t, "Enter/Esc done"), "no editing keys on the bottom line:\n%s", t.screen);
    cr_expect(strstr(t.screen, "data flow of the sentence"), "not the Model view:\n%s", t.screen);
    keys(&t, "BSpace BSpace Enter");
    cr_expect(wait_for(&t, "q quit"), "the key hints are not back:\n%s", t.screen);
    quit_and_check(&t, "q");
}

/* Item 6: a checkpoint opens paused on its own figures; Space trains on. */
Test(e2e, checkpoint_opens_paused, .timeout = 120)
{
    static Tmux t;
    make_dir(&t, "ckpt");
    int rc = shell("cd '%s' && '%s' train --epochs 1 --save toy.safetensors --quiet >/dev/null 2>&1",
                   t.dir, exe_path());
    cr_assert_eq(rc, 0, "train --save failed");
    start_tui(&t, 100, 30, "LC_ALL=C.UTF-8 TERM=xterm-256color", "--checkpoint toy.safetensors",
              "checkpoint toy.safetensors");
    cr_expect(strstr(t.screen, "PAUSED"), "not paused:\n%s", t.screen);
    cr_expect(strstr(t.screen, "weights of step 22 of 22"), "no step:\n%s", t.screen);
    cr_expect(strstr(t.screen, "validation accuracy"), "no validation figures:\n%s", t.screen);
    cr_expect(strstr(t.screen, "classes: negative, positive"), "no classes:\n%s", t.screen);
    cr_expect(strstr(t.screen, "resumed toy.safetensors at step 22"), "no note:\n%s", t.screen);
    long before = step_on_screen(t.screen);
    pause_ms(500);
    capture(&t);
    cr_expect_eq(step_on_screen(t.screen), before, "steps taken while paused:\n%s", t.screen);
    keys(&t, "Space");
    cr_expect(wait_for(&t, "running"), "Space did not start training:\n%s", t.screen);
    cr_expect(wait_for(&t, "loss"), "the curves are not back:\n%s", t.screen);
    quit_and_check(&t, "q");
}

/* Polish: bad files named in one line from the TUI too: a config with a head
 * count that does not divide d_model (file:line), a checkpoint that is not one. */
Test(e2e, bad_files_are_named, .timeout = 120)
{
    static Tmux t;
    make_dir(&t, "bad");
    const char *root = getenv("MINILLM_SOURCE_ROOT");
    cr_assert_eq(shell("printf '[model]\\nd_model = 64\\nnum_heads = 5\\n' > '%s/heads.ini'", t.dir), 0);
    int rc = shell("tmux -S %s -f /dev/null new-session -d -s e2e -x 100 -y 30 \"cd '%s' && "
                   "env LC_ALL=C.UTF-8 TERM=xterm-256color '%s' --config heads.ini; echo \\$? > exit; "
                   "'%s' --checkpoint '%s/README.md'; echo \\$? >> exit; sleep 30\"",
                   t.sock, t.dir, exe_path(), exe_path(), root);
    cr_assert_eq(rc, 0);
    cr_expect(wait_for(&t, "heads.ini:3: model.num_heads = 5 must divide model.d_model = 64"),
              "%s", t.screen);
    cr_expect(wait_for(&t, "README.md: not a safetensors file"), "%s", t.screen);
    char path[300];
    snprintf(path, sizeof path, "%s/exit", t.dir);
    int a = -1, b = -1;
    double end = now_s() + WAIT_S;
    while (now_s() < end && b < 0) {
        FILE *f = fopen(path, "r");
        if (f) {
            if (fscanf(f, "%d %d", &a, &b) != 2)
                b = -1;
            fclose(f);
        }
        pause_ms(100);
    }
    cr_expect(a == 1 && b == 1, "exit statuses %d %d", a, b);
    stop(&t);
}

/* Issue 13: the lessons on screen while the model trains. The step panel walked
 * with v (the numbers of each step, the causal what-if with c), the token
 * focus (f, J picks the query), every head (a), the PE cursor (its formula,
 * w adds its wave), the Model view's data flow (Down: layer 2) and its pages,
 * the dashboard's log scale (g) and its example sentences. */
typedef struct {
    const char *name;
    int w, h;
    const char *env, *args;
    bool french;
} LessonRun;

static void expect_screen(Tmux *t, const char *k, const char *want)
{
    if (k)
        keys(t, k);
    cr_expect(wait_for(t, want), "after '%s': no '%s':\n%s", k ? k : "", want, t->screen);
}

static void walk_lessons(const LessonRun *r)
{
    static Tmux t;
    make_dir(&t, r->name);
    start_tui(&t, r->w, r->h, r->env, r->args, r->french ? "perte" : "loss");
    bool fr = r->french;
    expect_screen(&t, "2", "[softmax]");
    expect_screen(&t, "v", fr ? "[poids x V]" : "[weights x V]");
    expect_screen(&t, NULL, "out[this] = ");
    expect_screen(&t, "v", "[Q K V]");
    expect_screen(&t, NULL, fr ? "q . k dimension par dimension" : "q . k dimension by dimension");
    expect_screen(&t, "v", "[QK^T]");
    expect_screen(&t, "v", "[/sqrt(d_k)]");
    expect_screen(&t, NULL, "/ sqrt(16) = / 4.00");
    expect_screen(&t, "v", fr ? "[masque]" : "[mask]");
    expect_screen(&t, NULL, strstr(r->env, "LC_ALL=C ") ? "-inf" : "-\u221e");
    expect_screen(&t, "c", fr ? "HYPOTH\u00c8SE : masque causal (c)" : "WHAT-IF: causal mask (c)");
    expect_screen(&t, NULL, fr ? "masque causal : une cl\u00e9 apr\u00e8s" : "causal mask: a key after");
    keys(&t, "c");
    expect_screen(&t, "f", fr ? "focus sur un token" : "token focus");
    expect_screen(&t, "J", fr ? "\u00ab movie \u00bb (requ\u00eate 2/4" : "\"movie\" (query 2/4");
    expect_screen(&t, "a", fr ? "4 t\u00eate(s) de d_k  16" : "4 head(s) of d_k  16");
    expect_screen(&t, "3", fr ? "matrice PE" : "PE matrix");
    keys(&t, "J J J L L L L L L");
    expect_screen(&t, NULL, "sin(3 / 10000^(6/64))");
    expect_screen(&t, "w", "d=6");
    expect_screen(&t, "4", fr ? "flux des donn\u00e9es" : "data flow of the sentence");
    expect_screen(&t, NULL, fr ? "ReLU>0" : "ReLU on");
    expect_screen(&t, "Down", "> ");
    expect_screen(&t, NULL, fr ? "couche 2 token par token" : "layer 2 token by token");
    if (r->h < 30) /* the parameters are on a page of their own */
        expect_screen(&t, "v", "page 2/");
    expect_screen(&t, NULL, "353,442");
    expect_screen(&t, "1", fr ? "perte" : "loss");
    expect_screen(&t, "g", fr ? "(\u00e9chelle log, g)" : "(log scale, g)");
    if (r->h < 30)
        keys(&t, "v");
    expect_screen(&t, NULL, "waste of time");
    quit_and_check(&t, "q");
}

Test(e2e, lessons_at_80x24, .timeout = 120)
{
    LessonRun r = {"lessons80", 80, 24, "LC_ALL=C.UTF-8 TERM=xterm-256color", "", false};
    walk_lessons(&r);
}

Test(e2e, lessons_at_200x60_no_color_french, .timeout = 120)
{
    LessonRun r = {"lessons200", 200, 60, "LC_ALL=C.UTF-8 TERM=xterm-256color NO_COLOR=1",
                   "--set ui.lang=fr", true};
    walk_lessons(&r);
}

Test(e2e, lessons_at_132x40_ascii, .timeout = 120)
{
    LessonRun r = {"lessons132", 132, 40, "LC_ALL=C TERM=vt100", "", false};
    walk_lessons(&r);
}
