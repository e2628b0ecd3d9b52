/* The snapshot under load: a writer thread publishes blocks whose every field
 * derives from one counter while a reader copies them; each copy must be whole
 * (no torn block) and the sequence must only move forward. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "src/snapshot.h"

#define NUM_PARAMS 4096
#define PUBLISHES 20000

static Snapshot snap;
static atomic_int writer_done;

static void fill_block(SnapshotData *d, long k)
{
    memset(d, 0, sizeof *d);
    d->progress.step = k;
    d->progress.loss = (float)k * 0.5f;
    d->progress.epoch = (int)(k % 97);
    for (int l = 0; l < MODEL_MAX_LAYERS; l++)
        d->progress.layer_grad_norm[l] = (float)(k + l);
    metric_history_clear(&d->train_loss);
    d->train_loss.n = (int)(k % METRIC_HISTORY_CAP);
    for (int i = 0; i < d->train_loss.n; i++)
        d->train_loss.value[i] = (float)k;
    snprintf(d->event.text, sizeof d->event.text, "step %ld", k);
}

static int check_block(const SnapshotData *d)
{
    long k = d->progress.step;
    if (d->progress.loss != (float)k * 0.5f || d->progress.epoch != (int)(k % 97))
        return 0;
    for (int l = 0; l < MODEL_MAX_LAYERS; l++)
        if (d->progress.layer_grad_norm[l] != (float)(k + l))
            return 0;
    if (d->train_loss.n != (int)(k % METRIC_HISTORY_CAP))
        return 0;
    for (int i = 0; i < d->train_loss.n; i++)
        if (d->train_loss.value[i] != (float)k)
            return 0;
    char want[64];
    snprintf(want, sizeof want, "step %ld", k);
    return strcmp(want, d->event.text) == 0;
}

static void *writer(void *arg)
{
    (void)arg;
    static SnapshotData d;
    static float params[NUM_PARAMS];
    for (long k = 1; k <= PUBLISHES; k++) {
        fill_block(&d, k);
        snapshot_publish(&snap, &d);
        if (k % 16 == 0) {
            for (int i = 0; i < NUM_PARAMS; i++)
                params[i] = (float)k;
            snapshot_publish_weights(&snap, params, k);
        }
    }
    atomic_store(&writer_done, 1);
    return NULL;
}

Test(snapshot, two_threads_copies_are_whole)
{
    cr_assert_eq(snapshot_init(&snap, NUM_PARAMS), 0);
    atomic_store(&writer_done, 0);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, writer, NULL), 0);
    static SnapshotData copy;
    static float params[NUM_PARAMS];
    long version = 0, wstep = -1;
    uint64_t last_seq = 0;
    long reads = 0, torn = 0, weight_reads = 0, torn_weights = 0;
    while (!atomic_load(&writer_done) || reads == 0) {
        snapshot_read(&snap, &copy);
        if (copy.seq > 0) {
            reads++;
            if (!check_block(&copy))
                torn++;
            cr_assert_geq(copy.seq, last_seq, "sequence went back");
            last_seq = copy.seq;
        }
        if (snapshot_read_weights(&snap, params, &version, &wstep)) {
            weight_reads++;
            for (int i = 0; i < NUM_PARAMS; i++)
                if (params[i] != (float)wstep) {
                    torn_weights++;
                    break;
                }
        }
    }
    pthread_join(th, NULL);
    snapshot_read(&snap, &copy);
    cr_expect_eq(copy.progress.step, PUBLISHES);
    cr_expect_eq(copy.seq, (uint64_t)PUBLISHES);
    cr_expect_eq(copy.weights_step, PUBLISHES);
    cr_expect_eq(torn, 0, "%ld torn blocks of %ld reads", torn, reads);
    cr_expect_eq(torn_weights, 0, "%ld torn weight copies of %ld", torn_weights, weight_reads);
    cr_expect_gt(weight_reads, 0);
    /* nothing new: no copy */
    cr_expect_not(snapshot_read_weights(&snap, params, &version, &wstep));
    snapshot_destroy(&snap);
}

Test(snapshot, publish_keeps_weights_version)
{
    Snapshot s;
    cr_assert_eq(snapshot_init(&s, 8), 0);
    float p[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    snapshot_publish_weights(&s, p, 42);
    SnapshotData d;
    memset(&d, 0, sizeof d);
    d.weights_version = 999; /* the writer's block does not own these fields */
    snapshot_publish(&s, &d);
    SnapshotData out;
    snapshot_read(&s, &out);
    cr_expect_eq(out.weights_version, 1);
    cr_expect_eq(out.weights_step, 42);
    float q[8] = {0};
    long version = 0, step = 0;
    cr_expect(snapshot_read_weights(&s, q, &version, &step));
    cr_expect_eq(step, 42);
    cr_expect_eq(q[7], 8.0f);
    snapshot_destroy(&s);
}

Test(metric_history, keeps_whole_run_at_halved_resolution)
{
    static MetricHistory h;
    metric_history_clear(&h);
    for (long s = 1; s <= METRIC_HISTORY_CAP; s++)
        metric_history_push(&h, s, (float)s);
    cr_expect_eq(h.n, METRIC_HISTORY_CAP);
    cr_expect_eq(h.per_point, 1);
    metric_history_push(&h, METRIC_HISTORY_CAP + 1, (float)(METRIC_HISTORY_CAP + 1));
    cr_expect_eq(h.per_point, 2);
    cr_expect_eq(h.n, METRIC_HISTORY_CAP / 2 + 1);
    cr_expect_float_eq(h.value[0], 1.5f, 1e-6); /* mean of 1 and 2 */
    cr_expect_float_eq(h.step[0], 2.0f, 1e-6);
    cr_expect_float_eq(h.value[h.n - 1], (float)(METRIC_HISTORY_CAP + 1), 1e-6);
    /* the next two raw samples become one point */
    metric_history_push(&h, METRIC_HISTORY_CAP + 2, 10.0f);
    cr_expect_eq(h.n, METRIC_HISTORY_CAP / 2 + 1);
    metric_history_push(&h, METRIC_HISTORY_CAP + 3, 20.0f);
    cr_expect_eq(h.n, METRIC_HISTORY_CAP / 2 + 2);
    cr_expect_float_eq(h.value[h.n - 1], 15.0f, 1e-6);
    float lo, hi;
    cr_expect(metric_history_range(&h, &lo, &hi));
    cr_expect_float_eq(lo, 1.5f, 1e-6);
    cr_expect_float_eq(hi, (float)METRIC_HISTORY_CAP + 1.0f, 1e-6);
}

Test(metric_history, range_skips_non_finite)
{
    MetricHistory h;
    metric_history_clear(&h);
    float lo = 0, hi = 0;
    cr_expect_not(metric_history_range(&h, &lo, &hi));
    metric_history_push(&h, 1, NAN);
    cr_expect_not(metric_history_range(&h, &lo, &hi));
    metric_history_push(&h, 2, 3.0f);
    metric_history_push(&h, 3, INFINITY);
    metric_history_push(&h, 4, -1.0f);
    cr_expect(metric_history_range(&h, &lo, &hi));
    cr_expect_eq(lo, -1.0f);
    cr_expect_eq(hi, 3.0f);
}
