/* The UI overhead benchmark: see bench.h. */
#include "bench.h"

#include <stdio.h>

#include "clock.h"

void ui_bench_begin(UiBench *b, Snapshot *snap, int batch, double seconds,
                    const volatile sig_atomic_t *stop)
{
    clock_sleep_s(UI_BENCH_WARMUP_S, stop);
    SnapshotData d;
    snapshot_read(snap, &d);
    b->snap = snap;
    b->batch = batch;
    b->step0 = d.progress.step;
    b->t0 = clock_now_s();
    b->end = b->t0 + seconds;
    b->ui_cpu0 = clock_cpu_s(CLOCK_THREAD_CPUTIME_ID);
    b->proc_cpu0 = clock_cpu_s(CLOCK_PROCESS_CPUTIME_ID);
}

bool ui_bench_over(const UiBench *b)
{
    return clock_now_s() >= b->end;
}

void ui_bench_report(const UiBench *b, const char *what)
{
    static SnapshotData d; /* large: not on the stack */
    snapshot_read(b->snap, &d);
    double dt = clock_now_s() - b->t0;
    double ui_cpu = clock_cpu_s(CLOCK_THREAD_CPUTIME_ID) - b->ui_cpu0;
    double proc_cpu = clock_cpu_s(CLOCK_PROCESS_CPUTIME_ID) - b->proc_cpu0;
    long steps = d.progress.step - b->step0;
    fprintf(stderr,
            "ui-bench %s: %ld steps in %.2f s = %.1f steps/s, %.0f sentences/s (trainer says %.0f); "
            "cpu: ui thread %.3f s, rest of process %.2f s, ui share %.2f%%\n",
            what, steps, dt, (double)steps / dt, (double)steps * b->batch / dt,
            d.progress.sentences_per_s, ui_cpu, proc_cpu - ui_cpu,
            proc_cpu > 0 ? 100.0 * ui_cpu / proc_cpu : 0.0);
}

void ui_bench_headless(Snapshot *snap, int batch, double seconds, const volatile sig_atomic_t *stop)
{
    UiBench b;
    ui_bench_begin(&b, snap, batch, seconds, stop);
    clock_sleep_s(seconds, stop);
    ui_bench_report(&b, "headless");
}
