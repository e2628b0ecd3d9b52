/* A small fork-join pool for the model's elementwise and per-row kernels (the
 * matrix products are OpenBLAS's, which has its own threads).
 *
 * Why not OpenMP: libgomp's idle workers busy-wait for milliseconds without
 * yielding, and on a 2-core machine that starves OpenBLAS's own worker during
 * the sgemm that follows every small kernel. These workers spin a few
 * microseconds with sched_yield, then sleep on a condition variable.
 *
 * The thread count follows openblas_get_num_threads(), so `--threads N` sets
 * both. Callers split work so that every output element is computed by one
 * thread with the same arithmetic whatever the split: results do not depend
 * on the thread count. */
#ifndef MINILLM_PARALLEL_H
#define MINILLM_PARALLEL_H

#include <stddef.h>

/* fn(ctx, begin, end) over [0, n) split into contiguous ranges, one per thread.
 * Runs inline when n < min_per_thread * 2 or one thread is configured.
 * One job at a time: a parallel_for called inside fn (or from another thread
 * while a job runs) runs inline in its caller. */
typedef void (*ParallelFn)(void *ctx, size_t begin, size_t end);
void parallel_for(size_t n, size_t min_per_thread, ParallelFn fn, void *ctx);
/* The same over min(nthreads, n) threads whatever the configured count: for
 * work the caller has already cut into n equal pieces (the batch shards of
 * model.c run while OpenBLAS, hence parallel_threads(), is set to 1). */
void parallel_for_threads(size_t n, int nthreads, ParallelFn fn, void *ctx);

/* Threads parallel_for would use now (>= 1). */
int parallel_threads(void);

/* Starts the workers for the current thread count now (activations_create calls
 * it), so that the training step itself creates no thread. Later calls of
 * parallel_for start more only if the thread count was raised meanwhile. */
void parallel_prepare(void);

#endif
