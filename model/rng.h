/* One explicit, seeded random number generator (xorshift64*), never a global rand().
 * Same seed, same sequence, on every machine. */
#ifndef MINILLM_RNG_H
#define MINILLM_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state;
} Rng;

void rng_seed(Rng *rng, uint64_t seed);
uint64_t rng_next_u64(Rng *rng);
/* Uniform in [0, 1). */
float rng_uniform(Rng *rng);
/* Standard normal (Box-Muller). */
float rng_normal(Rng *rng);
/* Uniform integer in [0, n). */
uint32_t rng_below(Rng *rng, uint32_t n);
/* Fisher-Yates shuffle of n ints. */
void rng_shuffle(Rng *rng, int *values, int n);

#endif
