/* The positional-encoding view's data: see pe_table.h. */
#include "pe_table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/errors.h"

int pe_table_init(PeTable *t, const ModelConfig *mc, char *err, size_t err_len)
{
    memset(t, 0, sizeof *t);
    t->P = mc->max_len;
    t->C = mc->d_model;
    t->learned = mc->pos_encoding == POS_ENCODING_LEARNED;
    t->pe = malloc((size_t)t->P * (size_t)t->C * sizeof *t->pe);
    t->norm = malloc((size_t)t->P * sizeof *t->norm);
    t->waves = malloc((size_t)PE_WAVES * (size_t)t->P * sizeof *t->waves);
    if (!t->pe || !t->norm || !t->waves) {
        pe_table_free(t);
        return errorf(err, err_len, "out of memory for the positional-encoding view (%d x %d)",
                      mc->max_len, mc->d_model);
    }
    /* low dimensions oscillate fast, high ones slowly: two of each, sin and cos */
    const int dims[PE_WAVES] = {0, 1, t->C / 4 & ~1, t->C / 2 & ~1};
    for (int i = 0; i < PE_WAVES; i++)
        if (dims[i] < t->C)
            t->dims[t->num_waves++] = dims[i];
    return 0;
}

void pe_table_free(PeTable *t)
{
    free(t->pe);
    free(t->norm);
    free(t->waves);
    memset(t, 0, sizeof *t);
}

void pe_table_update(PeTable *t, const Model *m)
{
    const size_t n = (size_t)t->P * (size_t)t->C;
    if (t->learned)
        memcpy(t->pe, model_params(m).pos_emb, n * sizeof *t->pe);
    else if (!t->filled)
        positional_encoding_sinusoidal(t->pe, t->P, t->C);
    else
        return; /* the sinusoid never changes */
    t->filled = true;
    t->lo = t->hi = t->pe[0];
    for (size_t i = 0; i < n; i++) {
        t->lo = t->pe[i] < t->lo ? t->pe[i] : t->lo;
        t->hi = t->pe[i] > t->hi ? t->pe[i] : t->hi;
    }
    for (int p = 0; p < t->P; p++) {
        double s = 0;
        for (int d = 0; d < t->C; d++)
            s += (double)t->pe[(size_t)p * t->C + d] * t->pe[(size_t)p * t->C + d];
        t->norm[p] = (float)sqrt(s);
    }
    for (int i = 0; i < t->num_waves; i++)
        for (int p = 0; p < t->P; p++)
            t->waves[(size_t)i * t->P + p] = t->pe[(size_t)p * t->C + t->dims[i]];
    int np = t->P < PE_COSINE_RANGE_POSITIONS ? t->P : PE_COSINE_RANGE_POSITIONS;
    t->cos_lo = t->cos_hi = 1.0f;
    for (int p = 0; p < np; p++)
        for (int q = 0; q < p; q++) {
            float v = pe_table_cosine(t, p, q);
            t->cos_lo = v < t->cos_lo ? v : t->cos_lo;
            t->cos_hi = v > t->cos_hi ? v : t->cos_hi;
        }
}

float pe_table_cosine(const PeTable *t, int p, int q)
{
    double dot = 0;
    for (int d = 0; d < t->C; d++)
        dot += (double)t->pe[(size_t)p * t->C + d] * t->pe[(size_t)q * t->C + d];
    float den = t->norm[p] * t->norm[q];
    return den > 0 ? (float)(dot / den) : 0.0f;
}
