/* Time for the UI: see clock.h. */
#include "clock.h"

static double seconds_of(const struct timespec *ts)
{
    return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

double clock_now_s(void)
{
    return clock_cpu_s(CLOCK_MONOTONIC);
}

double clock_cpu_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return seconds_of(&ts);
}

void clock_sleep_s(double s, const volatile sig_atomic_t *stop)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && !*stop) {
    }
}
