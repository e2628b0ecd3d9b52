#include "gradcheck.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>
#include <stdio.h>

static GradCheck run_check(float *x, const float *analytic, size_t n, int count, float eps,
                           double kink_tol, LossFn loss, void *ctx, Rng *rng)
{
    GradCheck g = {0};
    double diff2 = 0.0, num2 = 0.0, ana2 = 0.0;
    size_t total = (count <= 0 || (size_t)count >= n) ? n : (size_t)count;
    for (size_t j = 0; j < total; j++) {
        size_t i = total == n ? j : rng_below(rng, (uint32_t)n);
        const float x0 = x[i];
        const float xp = x0 + eps, xm = x0 - eps;
        x[i] = xp;
        double lp = loss(ctx);
        x[i] = xm;
        double lm = loss(ctx);
        x[i] = x0;
        double numeric = (lp - lm) / ((double)xp - (double)xm);
        double d = numeric - analytic[i];
        if (kink_tol > 0.0 && fabs(d) > kink_tol) {
            /* A kink between x0 and x0 +- eps spoils the central difference but
             * leaves the one-sided difference on the other side smooth. */
            double l0 = loss(ctx);
            double left = (l0 - lm) / ((double)x0 - (double)xm);
            double right = (lp - l0) / ((double)xp - (double)x0);
            if (fabs(left - analytic[i]) <= kink_tol || fabs(right - analytic[i]) <= kink_tol) {
                g.skipped++;
                continue;
            }
        }
        diff2 += d * d;
        num2 += numeric * numeric;
        ana2 += (double)analytic[i] * analytic[i];
        if (fabs(d) > g.max_abs_err)
            g.max_abs_err = fabs(d);
        if (fabs(analytic[i]) > g.max_abs_grad)
            g.max_abs_grad = fabs(analytic[i]);
        g.checked++;
    }
    double denom = fmax(sqrt(fmax(num2, ana2)), 1e-12);
    g.rel_err = sqrt(diff2) / denom;
    return g;
}

GradCheck gradcheck(float *x, const float *analytic, size_t n, int count, float eps,
                    LossFn loss, void *ctx, Rng *rng)
{
    return run_check(x, analytic, n, count, eps, 0.0, loss, ctx, rng);
}

GradCheck gradcheck_skip_kinks(float *x, const float *analytic, size_t n, int count, float eps,
                               double kink_tol, LossFn loss, void *ctx, Rng *rng)
{
    return run_check(x, analytic, n, count, eps, kink_tol, loss, ctx, rng);
}

void gradcheck_assert(const char *what, GradCheck g, double rel_tol, double abs_tol)
{
    double bound = abs_tol * fmax(g.max_abs_grad, 1e-3);
    cr_log_info("%-40s %4d entries (%d at a kink)  rel err %.2e  max abs err %.2e  max |grad| %.2e\n",
                what, g.checked, g.skipped, g.rel_err, g.max_abs_err, g.max_abs_grad);
    cr_expect(g.checked > 0, "%s: nothing checked", what);
    cr_expect(g.max_abs_grad > 0.0, "%s: analytic gradient is all zero", what);
    cr_expect(g.rel_err <= rel_tol, "%s: relative error %.3e > %.1e", what, g.rel_err, rel_tol);
    cr_expect(g.max_abs_err <= bound, "%s: max abs error %.3e > %.3e", what, g.max_abs_err,
              bound);
}

Closeness closeness(const float *want, const float *got, size_t n)
{
    Closeness c = {0};
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)want[i] - got[i]);
        c.max_abs = fmax(c.max_abs, fabs((double)want[i]));
        if (d > c.max_diff || isnan(d)) {
            c.max_diff = isnan(d) ? INFINITY : d;
            c.worst = i;
        }
    }
    return c;
}

void expect_close(const char *what, const float *want, const float *got, size_t n,
                  double rel_tol)
{
    Closeness c = closeness(want, got, n);
    fprintf(stderr, "%-40s max diff %.3e (%.3e of max |x| %.3e) at %zu\n", what, c.max_diff,
                c.max_abs > 0 ? c.max_diff / c.max_abs : 0.0, c.max_abs, c.worst);
    cr_expect(c.max_diff <= rel_tol * c.max_abs,
              "%s: max diff %.3e at %zu (%.9g vs %.9g) > %.1e x max |x| %.3e", what, c.max_diff,
              c.worst, (double)want[c.worst], (double)got[c.worst], rel_tol, c.max_abs);
}

void fill_normal(float *x, size_t n, float scale, Rng *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i] = rng_normal(rng) * scale;
}

double dot_double(const float *x, const float *r, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * r[i];
    return s;
}
