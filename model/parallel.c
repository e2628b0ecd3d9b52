/* Fork-join pool: see parallel.h for why it exists. One job at a time; a caller
 * that finds the pool busy (a second thread running a forward) runs inline,
 * which gives the same numbers because kernels do not depend on the split. */
#include "parallel.h"

#include <cblas.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* How long an idle worker keeps polling (yielding the core each time) before it
 * sleeps: longer than the sgemm between two small kernels of the seed model. */
#define SPIN_NS 200000L

typedef struct {
    pthread_mutex_t busy;     /* held by the thread submitting a job */
    pthread_mutex_t lock;     /* guards sleepers and the sleep/wake handshake */
    pthread_cond_t wake;
    int sleepers;
    int workers;              /* started so far (thread 0 is the caller) */
    /* the job: written before generation is bumped, read after it is seen */
    ParallelFn fn;
    void *ctx;
    size_t n;
    int nthreads;
    atomic_uint generation;
    atomic_int pending;       /* workers that have not finished with this job */
} Pool;

static Pool pool = {
    .busy = PTHREAD_MUTEX_INITIALIZER,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
};
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static long elapsed_ns(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000000000L + (t.tv_nsec - t0->tv_nsec);
}

static void run_chunk(int index, int nthreads, ParallelFn fn, void *ctx, size_t n)
{
    size_t begin = n * (size_t)index / (size_t)nthreads;
    size_t end = n * (size_t)(index + 1) / (size_t)nthreads;
    if (begin < end)
        fn(ctx, begin, end);
}

static void *worker_main(void *arg)
{
    /* arg = (generation at creation << 8) | index: the first job to run is the
     * one after the creation, whenever this thread gets going. */
    const int index = (int)((uintptr_t)arg & 0xFF);
    unsigned seen = (unsigned)((uintptr_t)arg >> 8);
    for (;;) {
        unsigned g = atomic_load_explicit(&pool.generation, memory_order_acquire);
        if (g == seen) {
            struct timespec t0;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            for (int spin = 1;; spin++) {
                g = atomic_load_explicit(&pool.generation, memory_order_acquire);
                if (g != seen)
                    break;
                sched_yield(); /* lets OpenBLAS's worker have this core */
                if (spin % 16 == 0 && elapsed_ns(&t0) > SPIN_NS) {
                    pthread_mutex_lock(&pool.lock);
                    pool.sleepers++;
                    for (;;) {
                        g = atomic_load_explicit(&pool.generation, memory_order_acquire);
                        if (g != seen)
                            break;
                        pthread_cond_wait(&pool.wake, &pool.lock);
                    }
                    pool.sleepers--;
                    pthread_mutex_unlock(&pool.lock);
                    break;
                }
            }
        }
        seen = g;
        /* Every worker acknowledges every job, taking part or not, so that the
         * caller never rewrites the job while a worker still reads it. */
        int nthreads = pool.nthreads;
        if (index < nthreads)
            run_chunk(index, nthreads, pool.fn, pool.ctx, pool.n);
        atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_release);
    }
    return NULL;
}

/* A forked child has the parent's pool state but none of its threads. */
static void forget_workers_after_fork(void)
{
    pthread_mutex_init(&pool.busy, NULL);
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pool.sleepers = 0;
    pool.workers = 0;
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, forget_workers_after_fork);
}

/* 0 = not set: follow OpenBLAS's thread count. */
static atomic_int pool_threads;

static int clamp_threads(int t)
{
    return t < 1 ? 1 : t > PARALLEL_MAX_THREADS ? PARALLEL_MAX_THREADS : t;
}

int parallel_threads(void)
{
    int t = atomic_load_explicit(&pool_threads, memory_order_relaxed);
    return clamp_threads(t > 0 ? t : openblas_get_num_threads());
}

void parallel_set_threads(int threads)
{
    atomic_store_explicit(&pool_threads, clamp_threads(threads), memory_order_relaxed);
}

/* Called with pool.busy held. Returns how many threads can take part. */
static int ensure_workers(int wanted)
{
    pthread_once(&atfork_once, register_atfork);
    while (pool.workers < wanted - 1) {
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        unsigned gen = atomic_load_explicit(&pool.generation, memory_order_relaxed);
        uintptr_t arg = ((uintptr_t)gen << 8) | (uintptr_t)(pool.workers + 1);
        int rc = pthread_create(&th, &attr, worker_main, (void *)arg);
        pthread_attr_destroy(&attr);
        if (rc != 0)
            break; /* fewer threads: same numbers, just slower */
        pool.workers++;
    }
    return pool.workers + 1 < wanted ? pool.workers + 1 : wanted;
}

static void parallel_run(size_t n, int nthreads, ParallelFn fn, void *ctx);

void parallel_prepare(void)
{
    int nthreads = parallel_threads();
    if (nthreads <= 1 || pthread_mutex_trylock(&pool.busy) != 0)
        return;
    ensure_workers(nthreads);
    pthread_mutex_unlock(&pool.busy);
}

void parallel_for(size_t n, size_t min_per_thread, ParallelFn fn, void *ctx)
{
    if (n == 0)
        return;
    int nthreads = parallel_threads();
    if (min_per_thread < 1)
        min_per_thread = 1;
    if ((size_t)nthreads > n / min_per_thread)
        nthreads = (int)(n / min_per_thread);
    parallel_run(n, nthreads, fn, ctx);
}

void parallel_for_threads(size_t n, int nthreads, ParallelFn fn, void *ctx)
{
    if (n == 0)
        return;
    if (nthreads > PARALLEL_MAX_THREADS)
        nthreads = PARALLEL_MAX_THREADS;
    if ((size_t)nthreads > n)
        nthreads = (int)n;
    parallel_run(n, nthreads, fn, ctx);
}

/* A call made while the pool is busy (from inside a job, by the job's caller or
 * a worker, or from another thread) finds busy locked and runs inline. */
static void parallel_run(size_t n, int nthreads, ParallelFn fn, void *ctx)
{
    if (nthreads <= 1 || pthread_mutex_trylock(&pool.busy) != 0) {
        fn(ctx, 0, n);
        return;
    }
    nthreads = ensure_workers(nthreads);
    if (nthreads <= 1) {
        pthread_mutex_unlock(&pool.busy);
        fn(ctx, 0, n);
        return;
    }
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.nthreads = nthreads;
    atomic_store_explicit(&pool.pending, pool.workers, memory_order_relaxed);
    atomic_fetch_add_explicit(&pool.generation, 1u, memory_order_release);
    pthread_mutex_lock(&pool.lock);
    if (pool.sleepers > 0)
        pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);

    run_chunk(0, nthreads, fn, ctx, n);

    for (int spin = 0; atomic_load_explicit(&pool.pending, memory_order_acquire) > 0; spin++)
        if (spin > 64)
            sched_yield();
    pthread_mutex_unlock(&pool.busy);
}
