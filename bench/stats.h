/* Medians for the benchmark programs (header-only: two small programs share it). */
#ifndef MINILLM_BENCH_STATS_H
#define MINILLM_BENCH_STATS_H

#include <stdlib.h>

static inline int bench_compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v in place. Median of an even count is the mean of the two middle values
 * (Python's statistics.median, which the PyTorch reference scripts use). */
static inline double median_sorted(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_compare_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#endif
