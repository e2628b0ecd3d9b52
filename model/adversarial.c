/* The fast-gradient perturbation of adversarial training: see adversarial.h. */
#include "adversarial.h"

#include <math.h>
#include <stddef.h>

void adversarial_perturbation(float *delta, const float *grad, float eps, int B, int T, int C)
{
    const size_t row = (size_t)T * C;
    for (int b = 0; b < B; b++) {
        const float *g = grad + (size_t)b * row;
        float *d = delta + (size_t)b * row;
        double ss = 0.0;
        for (size_t i = 0; i < row; i++)
            ss += (double)g[i] * g[i];
        /* Per sentence, as the paper normalises each example: a long sentence gets
         * the same budget as a short one, spread over its tokens. */
        const float scale = ss > 0.0 ? (float)(eps / sqrt(ss)) : 0.0f;
        for (size_t i = 0; i < row; i++)
            d[i] = scale * g[i];
    }
}
