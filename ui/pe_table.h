/* What the positional-encoding view draws, computed when the model's table
 * changes (once for the sinusoid; on every new weight copy for a learned
 * table), never while drawing: the table, its value range, each position's
 * norm (for the cosine similarity) and the few dimensions drawn as waves. */
#ifndef MINILLM_UI_PE_TABLE_H
#define MINILLM_UI_PE_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"

/* Dimensions drawn as waves over the positions. */
#define PE_WAVES 4
/* The cosine range is taken over at most this many positions (what a screen shows). */
#define PE_COSINE_RANGE_POSITIONS 128

typedef struct {
    int P, C;                /* positions (max_len), dimensions (d_model) */
    bool learned;            /* the model's trained table, else the sinusoid */
    bool filled;             /* pe_table_update has run */
    float *pe;               /* (P, C) */
    float *norm;             /* (P) L2 norm of each position's vector */
    float lo, hi;            /* smallest and largest value of pe */
    float cos_lo, cos_hi;    /* range of the cosine similarity between the first
                              * PE_COSINE_RANGE_POSITIONS positions (the map's shades span it) */
    int num_waves;           /* dims that exist (< C) */
    int dims[PE_WAVES];      /* the dimensions drawn as waves */
    float *waves;            /* (PE_WAVES, P) pe[:, dims[i]] */
} PeTable;

int pe_table_init(PeTable *t, const ModelConfig *mc, char *err, size_t err_len);
void pe_table_free(PeTable *t);
/* Fills the table from the model (a learned PE) or the sinusoid (only the first time). */
void pe_table_update(PeTable *t, const Model *m);
/* Cosine similarity of the vectors of positions p and q (0 for a zero vector). */
float pe_table_cosine(const PeTable *t, int p, int q);

#endif
