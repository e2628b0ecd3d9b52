/* Central finite differences for the gradient tests.
 *
 * The code under test is float; the probe is a scalar loss that the test
 * accumulates in double (e.g. sum(out * R) for a fixed random R), perturbed by
 * +-eps in float. With eps ~1e-2..1e-3 the float rounding of the forward gives
 * differences good to ~1e-4 relative, which the tolerances below allow for. */
#ifndef MINILLM_TEST_GRADCHECK_H
#define MINILLM_TEST_GRADCHECK_H

#include <stddef.h>

#include "model/rng.h"

typedef double (*LossFn)(void *ctx);

typedef struct {
    double max_abs_err;   /* max |numeric - analytic| over checked entries */
    double max_abs_grad;  /* max |analytic| over checked entries */
    double rel_err;       /* ||numeric - analytic|| / max(||numeric||, ||analytic||, tiny) */
    int checked;
    int skipped;          /* entries at a ReLU kink (see gradcheck_skip_kinks) */
} GradCheck;

/* Checks analytic[i] against d loss / d x[i] for `count` entries (all when
 * count <= 0 or count >= n, else a random sample drawn from rng). x is restored. */
GradCheck gradcheck(float *x, const float *analytic, size_t n, int count, float eps,
                    LossFn loss, void *ctx, Rng *rng);

/* Fails the running Criterion test when rel_err > rel_tol or any entry is off by
 * more than abs_tol * max(max_abs_grad, 1e-3). Logs the numbers either way. */
/* The same, for losses with ReLUs: an entry whose central difference is off by
 * more than kink_tol but whose one-sided difference on either side agrees
 * within kink_tol is taken to sit within eps of a ReLU kink and is skipped
 * (counted in `skipped`). */
GradCheck gradcheck_skip_kinks(float *x, const float *analytic, size_t n, int count, float eps,
                               double kink_tol, LossFn loss, void *ctx, Rng *rng);

void gradcheck_assert(const char *what, GradCheck g, double rel_tol, double abs_tol);

/* Results that go through cblas_sgemm with another thread count, batch split or
 * shape are only equal up to rounding (OpenBLAS promises no bitwise equality
 * there): they are compared with expect_close, within rel_tol times the largest
 * magnitude of `want`. The largest difference is logged either way and named in
 * the failure message. */
typedef struct {
    double max_diff;   /* max |want[i] - got[i]| */
    double max_abs;    /* max |want[i]| */
    size_t worst;      /* index of max_diff */
} Closeness;
Closeness closeness(const float *want, const float *got, size_t n);
void expect_close(const char *what, const float *want, const float *got, size_t n,
                  double rel_tol);

void fill_normal(float *x, size_t n, float scale, Rng *rng);
/* sum(x * r) in double */
double dot_double(const float *x, const float *r, size_t n);

#endif
