/* Time for the UI's loop and its benchmark: the monotonic clock, a sleep that a
 * signal can cut short, and CPU clocks. */
#ifndef MINILLM_UI_CLOCK_H
#define MINILLM_UI_CLOCK_H

#include <signal.h>
#include <time.h>

/* Seconds of CLOCK_MONOTONIC. */
double clock_now_s(void);
/* Seconds of a CPU clock (CLOCK_THREAD_CPUTIME_ID, CLOCK_PROCESS_CPUTIME_ID). */
double clock_cpu_s(clockid_t clock);
/* Sleeps s seconds, or less when *stop becomes non-zero (a signal handler sets it). */
void clock_sleep_s(double s, const volatile sig_atomic_t *stop);

#endif
