/* Synthetic tasks: see lm_synthetic.h. */
#include "lm_synthetic.h"

#include <string.h>

const char *synthetic_alphabet(void) { return "\nabcdefghijklmnopqrstuvwxyz|"; }

int synthetic_example(SyntheticTask task, Rng *rng, char *out, int *bar)
{
    int k = SYNTHETIC_MIN_LETTERS +
            (int)rng_below(rng, SYNTHETIC_MAX_LETTERS - SYNTHETIC_MIN_LETTERS + 1);
    for (int i = 0; i < k; i++)
        out[i] = (char)('a' + rng_below(rng, 26));
    out[k] = '|';
    char *answer = out + k + 1;
    for (int i = 0; i < k; i++)
        answer[i] = task == SYNTHETIC_REVERSE ? out[k - 1 - i] : out[i];
    if (task == SYNTHETIC_SORT) { /* insertion sort of at most 8 letters */
        for (int i = 1; i < k; i++)
            for (int j = i; j > 0 && answer[j - 1] > answer[j]; j--) {
                char c = answer[j];
                answer[j] = answer[j - 1];
                answer[j - 1] = c;
            }
    }
    out[2 * k + 1] = '\n';
    if (bar)
        *bar = k;
    return 2 * k + 2;
}

void synthetic_text(SyntheticTask task, Rng *rng, char *out, size_t n, bool random_start)
{
    char example[SYNTHETIC_MAX_EXAMPLE];
    size_t used = 0;
    bool first = true;
    while (used < n) {
        int len = synthetic_example(task, rng, example, NULL);
        int from = first && random_start ? (int)rng_below(rng, (uint32_t)len) : 0;
        first = false;
        size_t take = (size_t)(len - from);
        if (take > n - used)
            take = n - used;
        memcpy(out + used, example + from, take);
        used += take;
    }
}
