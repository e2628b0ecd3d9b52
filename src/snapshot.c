/* Training thread <-> UI shared state: see snapshot.h. */
#include "snapshot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void metric_history_clear(MetricHistory *h)
{
    h->n = 0;
    h->per_point = 1;
    h->pending_count = 0;
    h->pending_sum = 0.0;
}

/* Halves the resolution: points 2i and 2i+1 become point i. */
static void metric_history_merge_pairs(MetricHistory *h)
{
    int half = h->n / 2;
    for (int i = 0; i < half; i++) {
        h->step[i] = h->step[2 * i + 1];
        h->value[i] = 0.5f * (h->value[2 * i] + h->value[2 * i + 1]);
    }
    if (h->n % 2) { /* an odd last point stays as is */
        h->step[half] = h->step[h->n - 1];
        h->value[half] = h->value[h->n - 1];
        half++;
    }
    h->n = half;
    h->per_point *= 2;
}

void metric_history_push(MetricHistory *h, long step, float value)
{
    if (h->per_point < 1)
        metric_history_clear(h);
    h->pending_sum += value;
    h->pending_count++;
    if (h->pending_count < h->per_point)
        return;
    if (h->n == METRIC_HISTORY_CAP)
        metric_history_merge_pairs(h);
    h->step[h->n] = (float)step;
    h->value[h->n] = (float)(h->pending_sum / h->pending_count);
    h->n++;
    h->pending_sum = 0.0;
    h->pending_count = 0;
}

bool metric_history_range(const MetricHistory *h, float *lo, float *hi)
{
    bool any = false;
    for (int i = 0; i < h->n; i++) {
        float v = h->value[i];
        if (!isfinite(v))
            continue;
        if (!any || v < *lo)
            *lo = v;
        if (!any || v > *hi)
            *hi = v;
        any = true;
    }
    return any;
}

int snapshot_init(Snapshot *s, size_t num_params)
{
    memset(s, 0, sizeof *s);
    if (pthread_mutex_init(&s->mutex, NULL) != 0)
        return -1;
    metric_history_clear(&s->data.train_loss);
    metric_history_clear(&s->data.train_acc);
    metric_history_clear(&s->data.val_loss);
    metric_history_clear(&s->data.val_acc);
    s->data.lr_scale = 1.0f;
    s->data.weights_step = -1;
    if (num_params > 0) {
        s->weights = calloc(num_params, sizeof(float));
        if (!s->weights) {
            pthread_mutex_destroy(&s->mutex);
            return -1;
        }
        s->num_params = num_params;
    }
    return 0;
}

void snapshot_destroy(Snapshot *s)
{
    pthread_mutex_destroy(&s->mutex);
    free(s->weights);
    s->weights = NULL;
    s->num_params = 0;
}

void snapshot_publish(Snapshot *s, const SnapshotData *d)
{
    pthread_mutex_lock(&s->mutex);
    uint64_t seq = s->data.seq + 1;
    long version = s->data.weights_version, wstep = s->data.weights_step;
    s->data = *d;
    s->data.seq = seq;
    /* the weights fields belong to snapshot_publish_weights */
    s->data.weights_version = version;
    s->data.weights_step = wstep;
    pthread_mutex_unlock(&s->mutex);
}

void snapshot_publish_weights(Snapshot *s, const float *params, long step)
{
    if (!s->weights)
        return;
    pthread_mutex_lock(&s->mutex);
    memcpy(s->weights, params, s->num_params * sizeof(float));
    s->data.weights_version++;
    s->data.weights_step = step;
    pthread_mutex_unlock(&s->mutex);
}

void snapshot_read(Snapshot *s, SnapshotData *out)
{
    pthread_mutex_lock(&s->mutex);
    *out = s->data;
    pthread_mutex_unlock(&s->mutex);
}

bool snapshot_read_weights(Snapshot *s, float *params, long *version, long *step)
{
    bool copied = false;
    pthread_mutex_lock(&s->mutex);
    if (s->weights && s->data.weights_version != *version) {
        memcpy(params, s->weights, s->num_params * sizeof(float));
        *version = s->data.weights_version;
        if (step)
            *step = s->data.weights_step;
        copied = true;
    }
    pthread_mutex_unlock(&s->mutex);
    return copied;
}
