/* The UI overhead benchmark (`minillm-tui --ui-bench SECONDS [--headless]`):
 * the training thread's throughput over SECONDS after one second of warm-up,
 * and the CPU time of the UI thread against the whole process, as one
 * "ui-bench ..." line on stderr. With --headless the training thread runs
 * alone (the baseline); without, the full UI draws at its frame rate.
 * tests/ui/bench_ui.sh alternates the two. The training is unpaced meanwhile. */
#ifndef MINILLM_UI_BENCH_H
#define MINILLM_UI_BENCH_H

#include <signal.h>
#include <stdbool.h>

#include "src/snapshot.h"

/* Warm-up before the measure starts, in seconds. */
#define UI_BENCH_WARMUP_S 1.0

typedef struct {
    Snapshot *snap;
    int batch;                   /* sentences per step */
    long step0;                  /* training step at the start */
    double t0, end;              /* monotonic seconds */
    double ui_cpu0, proc_cpu0;   /* CPU seconds of this thread, of the process */
} UiBench;

/* Waits out the warm-up (or until *stop), then starts measuring for `seconds`.
 * Call from the thread whose CPU time is the UI's. */
void ui_bench_begin(UiBench *b, Snapshot *snap, int batch, double seconds,
                    const volatile sig_atomic_t *stop);
bool ui_bench_over(const UiBench *b);
/* The line on stderr; `what` names the form ("headless", "ui"). */
void ui_bench_report(const UiBench *b, const char *what);
/* The headless form: the training thread alone for `seconds` (or until *stop). */
void ui_bench_headless(Snapshot *snap, int batch, double seconds, const volatile sig_atomic_t *stop);

#endif
