/* A small fork-join pool for the model's elementwise and per-row kernels (the
 * matrix products are OpenBLAS's, which has its own threads).
 *
 * Why not OpenMP: libgomp's idle workers busy-wait for milliseconds without
 * yielding, and on a 2-core machine that starves OpenBLAS's own worker during
 * the sgemm that follows every small kernel. These workers spin a few
 * microseconds with sched_yield, then sleep on a condition variable.
 *
 * The pool's thread count is its own (parallel_set_threads), not OpenBLAS's:
 * with batch shards OpenBLAS runs at one thread while the pool runs one shard
 * per core (model_set_threads in model.h sets both, once). Callers split work
 * so that every output element is computed by one thread with the same
 * arithmetic whatever the split: results do not depend on the thread count. */
#ifndef MINILLM_PARALLEL_H
#define MINILLM_PARALLEL_H

#include <stddef.h>

/* Most threads the pool runs (and most batch shards, one per thread). */
#define PARALLEL_MAX_THREADS 16

/* fn(ctx, begin, end) over [0, n) split into contiguous ranges, one per thread.
 * Runs inline when n < min_per_thread * 2 or one thread is configured.
 * One job at a time: a parallel_for called inside fn (or from another thread
 * while a job runs) runs inline in its caller. */
typedef void (*ParallelFn)(void *ctx, size_t begin, size_t end);
void parallel_for(size_t n, size_t min_per_thread, ParallelFn fn, void *ctx);
/* The same over min(nthreads, n) threads whatever the configured count: for
 * work the caller has already cut into n equal pieces (the batch shards of
 * model.c). */
void parallel_for_threads(size_t n, int nthreads, ParallelFn fn, void *ctx);

/* Threads parallel_for would use now (>= 1): the count set by
 * parallel_set_threads, or OpenBLAS's thread count when none was set. */
int parallel_threads(void);
/* Sets the pool's thread count (clamped to [1, PARALLEL_MAX_THREADS]). Safe to
 * call from any thread; a job already running keeps its split. */
void parallel_set_threads(int threads);

/* Starts the workers for the current thread count now (activations_create calls
 * it), so that the training step itself creates no thread. Later calls of
 * parallel_for start more only if the thread count was raised meanwhile. */
void parallel_prepare(void);

#endif
