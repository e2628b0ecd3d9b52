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
static bool wait_for(Tmux *t, const char *needle)
{
    double end = now_s() + WAIT_S;
    do {
        capture(t);
        if (strstr(t->screen, needle))
            return true;
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
} Scenario;

static void run_scenario(const Scenario *sc)
{
    const char *name = sc->name, *env = sc->env;
    int w = sc->w, h = sc->h;
    if (!tmux_available())
        cr_skip_test("tmux is not installed: end-to-end test skipped");
    const char *exe = getenv("MINILLM_TUI_EXE");
    const char *root = getenv("MINILLM_SOURCE_ROOT");
    cr_assert(exe && root, "MINILLM_TUI_EXE and MINILLM_SOURCE_ROOT must be set (meson test does)");
    static Tmux t;
    snprintf(t.dir, sizeof t.dir, "/tmp/minillm-e2e-%s-%ld", name, (long)getpid());
    snprintf(t.sock, sizeof t.sock, "%s/tmux.sock", t.dir);
    cr_assert_eq(shell("mkdir -p '%s'", t.dir), 0);
    int rc = shell("tmux -S %s -f /dev/null new-session -d -s e2e -x %d -y %d "
                   "\"cd '%s' && env -u NO_COLOR -u LANG -u LC_MESSAGES %s '%s' --config "
                   "'%s/tests/ui/e2e.ini'; echo \\$? > '%s/exit'\"",
                   t.sock, w, h, t.dir, env, exe, root, t.dir);
    cr_assert_eq(rc, 0, "tmux new-session failed");

    bool ok = wait_for(&t, "loss");
    if (!ok)
        stop(&t);
    cr_assert(ok, "no loss label on screen:\n%s", t.screen);
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
    keys(&t, "-l 'the movie was boring'");
    keys(&t, "Enter");
    cr_expect(wait_for(&t, "sentence> the movie was boring"), "typed sentence missing:\n%s", t.screen);
    /* the words label the heat map rows too */
    cr_expect(wait_for(&t, "boring "), "token labels missing:\n%s", t.screen);
    cr_expect(strstr(t.screen, "\n  the") || strstr(t.screen, " the "), "row label 'the' missing:\n%s",
              t.screen);
    keys(&t, "Right");
    cr_expect(wait_for(&t, "head 2/"), "head did not change with Right:\n%s", t.screen);

    keys(&t, "3");
    cr_expect(wait_for(&t, "cosine"), "PE view missing:\n%s", t.screen);
    resize(&t, 50, 15);
    cr_expect(wait_for(&t, "terminal too small"), "no 'too small' message at 50x15:\n%s", t.screen);
    resize(&t, w, h);
    cr_expect(wait_for(&t, "cosine"), "PE view not back after resize:\n%s", t.screen);

    keys(&t, sc->quit_key);
    int status = exit_status(&t);
    cr_expect_eq(status, 0, "exit status %d after %s", status, sc->quit_key);
    stop(&t);
}

Test(e2e, colour_256_at_132x40, .timeout = 120)
{
    Scenario sc = {"c256", 132, 40, "LC_ALL=C.UTF-8 TERM=xterm-256color", 256, true, "q"};
    run_scenario(&sc);
}

Test(e2e, at_80x24_ctrl_c, .timeout = 120)
{
    Scenario sc = {"small", 80, 24, "LC_ALL=C.UTF-8 TERM=xterm-256color", 256, false, "C-c"};
    run_scenario(&sc);
}

Test(e2e, colour_8, .timeout = 120)
{
    Scenario sc = {"c8", 132, 40, "LC_ALL=C.UTF-8 TERM=xterm", 8, false, "q"};
    run_scenario(&sc);
}

Test(e2e, no_color, .timeout = 120)
{
    Scenario sc = {"nocolor", 132, 40, "LC_ALL=C.UTF-8 TERM=xterm-256color NO_COLOR=1", 0, false, "q"};
    run_scenario(&sc);
}

Test(e2e, vt100_ascii, .timeout = 120)
{
    Scenario sc = {"vt100", 132, 40, "LC_ALL=C TERM=vt100", 0, false, "q"};
    run_scenario(&sc);
}
