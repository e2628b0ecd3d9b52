/* xorshift64* (Vigna), seeded through splitmix64 so that small seeds such as
 * 0, 1, 2 give unrelated streams and the state is never zero. */
#include "rng.h"

#include <math.h>

void rng_seed(Rng *rng, uint64_t seed)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    rng->state = z ? z : 0x2545F4914F6CDD1Dull;
}

uint64_t rng_next_u64(Rng *rng)
{
    uint64_t x = rng->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng->state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static uint32_t rng_next_u32(Rng *rng)
{
    return (uint32_t)(rng_next_u64(rng) >> 32); /* high bits are the good ones */
}

float rng_uniform(Rng *rng)
{
    /* 24 random bits: every value is exactly representable, and 1.0 never appears. */
    return (float)(rng_next_u32(rng) >> 8) * (1.0f / 16777216.0f);
}

float rng_normal(Rng *rng)
{
    /* Box-Muller in double; u1 in (0, 1] so log never sees 0. */
    double u1 = ((double)(rng_next_u64(rng) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = (double)(rng_next_u64(rng) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

uint32_t rng_below(Rng *rng, uint32_t n)
{
    if (n == 0)
        return 0;
    /* Rejection keeps the result exactly uniform. */
    uint32_t limit = UINT32_MAX - UINT32_MAX % n;
    uint32_t r;
    do {
        r = rng_next_u32(rng);
    } while (r >= limit);
    return r % n;
}

void rng_shuffle(Rng *rng, int *values, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below(rng, (uint32_t)i + 1u);
        int tmp = values[i];
        values[i] = values[j];
        values[j] = tmp;
    }
}
