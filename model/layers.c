/* Forward/backward pairs of every operation of the model. See layers.h. */
#include "layers.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "parallel.h"

/* Smallest share of work worth handing to another thread (elements of a
 * streaming pass; rows and heads are converted below). Below it, the pool's
 * wake-up costs more than the pass. */
#define PAR_MIN_ELEMS 8192

/* Sum of x[0..n) with eight interleaved partial sums: vectorises without
 * -ffast-math, and the order is fixed (the same whatever the machine's
 * vector width), so results are reproducible. */
static inline float lanes_sum(const float acc[8])
{
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

static float sum8(const float *x, int n)
{
    float acc[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            acc[j] += x[i + j];
    float s = lanes_sum(acc);
    for (; i < n; i++)
        s += x[i];
    return s;
}

/* ---------------------------------------------------------------- linear */

typedef struct {
    float *out;
    const float *inp;
    int N, C;
} ColumnSumJob;

static void column_sums_chunk(void *ctx, size_t begin, size_t end)
{
    const ColumnSumJob *j = ctx;
    float *restrict out = j->out;
    for (int n = 0; n < j->N; n++) {
        const float *restrict row = j->inp + (size_t)n * j->C;
        for (size_t c = begin; c < end; c++)
            out[c] += row[c];
    }
}

/* out (C) += sum over rows of inp (N, C), rows in order: each thread owns a
 * range of columns, so the sums do not depend on the thread count. */
static void column_sums_add(float *out, const float *inp, int N, int C)
{
    ColumnSumJob job = {out, inp, N, C};
    size_t per_column = (size_t)(N > 0 ? N : 1);
    parallel_for((size_t)C, PAR_MIN_ELEMS / per_column + 16, column_sums_chunk, &job);
}

void linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                    int N, int IC, int OC)
{
    /* Start from the bias rows so one sgemm with beta = 1 finishes the job. */
    if (bias) {
        for (int n = 0; n < N; n++)
            memcpy(out + (size_t)n * OC, bias, (size_t)OC * sizeof(float));
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, IC, 1.0f, inp, IC, weight, IC,
                bias ? 1.0f : 0.0f, out, OC);
}

void linear_forward_vec(float *out, const float *inp, const float *weight, int ldw,
                        const float *bias, int IC, int OC)
{
    if (bias)
        memcpy(out, bias, (size_t)OC * sizeof(float));
    cblas_sgemv(CblasRowMajor, CblasNoTrans, OC, IC, 1.0f, weight, ldw, inp, 1,
                bias ? 1.0f : 0.0f, out, 1);
}

static void linear_backward_beta(float *dinp, float dinp_beta, float *dweight, float *dbias,
                                 const float *dout, const float *inp, const float *weight, int N,
                                 int IC, int OC)
{
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, IC, OC, 1.0f, dout, OC,
                    weight, IC, dinp_beta, dinp, IC);
    if (dweight)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, IC, N, 1.0f, dout, OC, inp,
                    IC, 1.0f, dweight, IC);
    if (dbias)
        column_sums_add(dbias, dout, N, OC);
}

void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int N, int IC, int OC)
{
    linear_backward_beta(dinp, 1.0f, dweight, dbias, dout, inp, weight, N, IC, OC);
}

void linear_backward_set(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, int N, int IC, int OC)
{
    linear_backward_beta(dinp, 0.0f, dweight, dbias, dout, inp, weight, N, IC, OC);
}

/* ------------------------------------------------------------- embedding */

typedef struct {
    float *out;
    const int *tokens;
    const float *tok_emb, *pos_table;
    float *dtok_emb, *dpos_emb;
    const float *dout;
    int B, T, C;
} EmbeddingJob;

static void embedding_forward_rows(void *ctx, size_t begin, size_t end)
{
    const EmbeddingJob *j = ctx;
    const int T = j->T, C = j->C;
    const float scale = sqrtf((float)C);
    for (size_t r = begin; r < end; r++) {
        float *restrict o = j->out + r * C;
        const float *restrict e = j->tok_emb + (size_t)j->tokens[r] * C;
        const float *restrict p = j->pos_table + (size_t)(r % (size_t)T) * C;
        for (int c = 0; c < C; c++)
            o[c] = e[c] * scale + p[c];
    }
}

void embedding_forward(float *out, const int *tokens, const float *tok_emb,
                       const float *pos_table, int B, int T, int C)
{
    EmbeddingJob job = {.out = out, .tokens = tokens, .tok_emb = tok_emb,
                        .pos_table = pos_table, .B = B, .T = T, .C = C};
    parallel_for((size_t)B * T, PAR_MIN_ELEMS / (size_t)C + 1, embedding_forward_rows, &job);
}

/* Rows accumulate in (b, t) order as the serial loop; each thread owns a range
 * of columns, so a token used twice gets the same sum whatever the split. */
static void embedding_backward_columns(void *ctx, size_t begin, size_t end)
{
    const EmbeddingJob *j = ctx;
    const int T = j->T, C = j->C;
    const float scale = sqrtf((float)C);
    for (int r = 0; r < j->B * T; r++) {
        const float *restrict d = j->dout + (size_t)r * C;
        if (j->dtok_emb) {
            float *restrict de = j->dtok_emb + (size_t)j->tokens[r] * C;
            for (size_t c = begin; c < end; c++)
                de[c] += d[c] * scale;
        }
        if (j->dpos_emb) {
            float *restrict dp = j->dpos_emb + (size_t)(r % T) * C;
            for (size_t c = begin; c < end; c++)
                dp[c] += d[c];
        }
    }
}

void embedding_backward(float *dtok_emb, float *dpos_emb, const float *dout,
                        const int *tokens, int B, int T, int C)
{
    EmbeddingJob job = {.tokens = tokens, .dtok_emb = dtok_emb, .dpos_emb = dpos_emb,
                        .dout = dout, .B = B, .T = T, .C = C};
    parallel_for((size_t)C, PAR_MIN_ELEMS / ((size_t)B * T) + 16, embedding_backward_columns,
                 &job);
}

/* ------------------------------------------------------------- attention */

/* OpenBLAS runs a product of at most 65536*4 multiply-adds in the calling thread
 * (interface/gemm.c, GEMM_MULTITHREAD_THRESHOLD): such heads are best computed
 * whole, one head per task on our threads. Bigger heads call sgemm one after
 * the other (OpenBLAS threads each) with the softmax passes split over rows. */
#define ATTENTION_HEAD_TASK_MAX_MACS 262144.0

typedef struct {
    float *out, *att;
    const float *qkv;
    const uint8_t *key_pad;
    bool causal;
    /* backward */
    float *dqkv, *dscore;
    const float *dout, *probs; /* probs: the forward's att */
    float dqkv_beta; /* 1: add into dqkv; 0: overwrite (each block is written once) */
    int B, T, C, NH;
} AttentionJob;

static bool attention_per_head_tasks(int T, int HS)
{
    return (double)T * T * HS <= ATTENTION_HEAD_TASK_MAX_MACS;
}

/* Heads per thread below which waking a thread costs more than it saves
 * (~30 us of work; a batch-1 forward of the seed model stays on one thread). */
static size_t heads_per_task_min(int T, int HS)
{
    return (size_t)(65536.0 / ((double)T * T * HS)) + 1;
}

/* exp(x) for x <= 0, as softmax needs it, in a form that vectorises (glibc's
 * expf is a call per element): Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2,
 * Cephes' degree-6 polynomial for e^r, 2^n put into the exponent bits. Relative
 * error about 1e-7 (a couple of float ulps); x < -87 (and -inf) gives 0, where
 * expf would give at most 1.6e-38.
 * Defined for every float: the reduction only ever sees xc in [-87, 0] (a NaN
 * fails the first comparison and becomes -87, x > 0 and +inf become 0), so n is
 * in [-126, 0] and its conversion and exponent arithmetic stay in range; a NaN
 * comes back NaN (a softmax over NaN scores is NaN, not numbers), x > 0 gives 1
 * (only a NaN or infinite score row can ask for it). For x in [-inf, 0] the
 * result is bit for bit what it was before these clamps. */
static inline float exp_nonpositive(float x)
{
    float xc = x > -87.0f ? x : -87.0f;
    xc = xc < 0.0f ? xc : 0.0f;
    const float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f; /* round */
    const float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float er = (p * r) * r + r + 1.0f;
    const int32_t bits = ((int32_t)n + 127) * (1 << 23);
    float two_n;
    memcpy(&two_n, &bits, sizeof two_n);
    const float e = x < -87.0f ? 0.0f : er * two_n;
    return x == x ? e : x;
}

/* The float softmax of the hot paths (attention rows, the LM's token
 * cross-entropy over V), in two steps: max8, then exp_shifted_sum. The
 * classifier's K-wide softmax (log_sum_exp, below) is double. */

/* max of x[0..n) in eight lanes: the maximum is the same in any order. */
static float max8(const float *x, int n)
{
    float lane[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY,
                     -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    int s = 0;
    for (; s + 8 <= n; s += 8)
        for (int k = 0; k < 8; k++)
            lane[k] = x[s + k] > lane[k] ? x[s + k] : lane[k];
    float maxv = -INFINITY;
    for (int k = 0; k < 8; k++)
        maxv = lane[k] > maxv ? lane[k] : maxv;
    for (; s < n; s++)
        maxv = x[s] > maxv ? x[s] : maxv;
    return maxv;
}

/* row[s] = exp(row[s] - maxv) in place (maxv = max of the row, finite), returns
 * their sum (sum8). In place on purpose: with a separate output GCC guards the
 * vector loop with an overlap check and runs it scalar when they are the same. */
static float exp_shifted_sum(float *row, int n, float maxv)
{
    for (int s = 0; s < n; s++)
        row[s] = exp_nonpositive(row[s] - maxv); /* exp(-inf) = 0 */
    return sum8(row, n);
}

/* Softmax of one score row in place, with the masks; an all-masked row is 0.
 * Float with exp_nonpositive, in eight lanes: this runs B*NH*T times per layer
 * and step. */
static void attention_softmax_row(float *row, const uint8_t *pad, int kmax, int T)
{
    if (pad)
        for (int s = 0; s < kmax; s++)
            if (pad[s])
                row[s] = -INFINITY;
    const float maxv = max8(row, kmax);
    if (maxv == -INFINITY) { /* every key masked, or a score NaN (no comparison picks it) */
        bool nan = false;
        for (int s = 0; s < kmax; s++)
            nan |= row[s] != row[s];
        for (int s = 0; s < T; s++)
            row[s] = nan && s < kmax ? NAN : 0.0f;
        return;
    }
    const float inv = 1.0f / exp_shifted_sum(row, kmax, maxv);
    for (int s = 0; s < kmax; s++)
        row[s] *= inv;
    for (int s = kmax; s < T; s++)
        row[s] = 0.0f;
}

/* Rows r of the (B, NH, T) score rows. */
static void attention_softmax_rows(void *ctx, size_t begin, size_t end)
{
    const AttentionJob *j = ctx;
    const int T = j->T, NH = j->NH;
    for (size_t r = begin; r < end; r++) {
        int t = (int)(r % (size_t)T);
        int b = (int)(r / ((size_t)T * NH));
        const uint8_t *pad = j->key_pad ? j->key_pad + (size_t)b * T : NULL;
        attention_softmax_row(j->att + r * T, pad, j->causal ? t + 1 : T, T);
    }
}

/* With the causal mask, query rows [r0, r0 + rows) see keys [0, r0 + rows) only:
 * the products run over row blocks of CAUSAL_BLOCK_ROWS queries and the keys
 * they can see, skipping the masked upper triangle (62 % of the work at T =
 * 128). One block (all T rows and keys) without the mask or when T fits one. */
#define CAUSAL_BLOCK_ROWS 32

static int attention_blocks(const AttentionJob *j)
{
    return j->causal ? (j->T + CAUSAL_BLOCK_ROWS - 1) / CAUSAL_BLOCK_ROWS : 1;
}

/* Block i's first query row, its row count and the keys it sees. */
static void attention_block(const AttentionJob *j, int i, int *r0, int *rows, int *keys)
{
    if (attention_blocks(j) == 1) {
        *r0 = 0;
        *rows = *keys = j->T;
        return;
    }
    *r0 = i * CAUSAL_BLOCK_ROWS;
    *rows = j->T - *r0 < CAUSAL_BLOCK_ROWS ? j->T - *r0 : CAUSAL_BLOCK_ROWS;
    *keys = *r0 + *rows;
}

static void attention_scores(const AttentionJob *j, size_t bh)
{
    const int T = j->T, C = j->C, NH = j->NH, HS = C / NH, C3 = 3 * C;
    const size_t b = bh / (size_t)NH, h = bh % (size_t)NH;
    const float *q = j->qkv + b * T * C3 + h * 3 * HS;
    /* scores (rows, keys) = q k^T / sqrt(HS); a causal row's masked keys are left
     * for the softmax, which zeroes them */
    for (int i = 0; i < attention_blocks(j); i++) {
        int r0, rows, keys;
        attention_block(j, i, &r0, &rows, &keys);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, keys, HS,
                    1.0f / sqrtf((float)HS), q + (size_t)r0 * C3, C3, q + HS, C3, 0.0f,
                    j->att + (bh * T + (size_t)r0) * T, T);
    }
}

static void attention_values(const AttentionJob *j, size_t bh)
{
    const int T = j->T, C = j->C, NH = j->NH, HS = C / NH, C3 = 3 * C;
    const size_t b = bh / (size_t)NH, h = bh % (size_t)NH;
    const float *v = j->qkv + b * T * C3 + h * 3 * HS + 2 * HS;
    /* out[:, h*HS:(h+1)*HS] (rows, HS) = att (rows, keys) @ v (keys, HS) */
    for (int i = 0; i < attention_blocks(j); i++) {
        int r0, rows, keys;
        attention_block(j, i, &r0, &rows, &keys);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, HS, keys, 1.0f,
                    j->att + (bh * T + (size_t)r0) * T, T, v, C3, 0.0f,
                    j->out + (b * T + (size_t)r0) * C + h * HS, C);
    }
}

static void attention_forward_heads(void *ctx, size_t begin, size_t end)
{
    const AttentionJob *j = ctx;
    for (size_t bh = begin; bh < end; bh++) {
        attention_scores(j, bh);
        attention_softmax_rows(ctx, bh * j->T, (bh + 1) * j->T);
        attention_values(j, bh);
    }
}

void attention_forward(float *out, float *att, const float *qkv, const uint8_t *key_pad,
                       bool causal, int B, int T, int C, int NH)
{
    AttentionJob job = {.out = out, .att = att, .qkv = qkv, .key_pad = key_pad,
                        .causal = causal, .B = B, .T = T, .C = C, .NH = NH};
    const size_t BH = (size_t)B * NH;
    if (attention_per_head_tasks(T, C / NH)) {
        parallel_for(BH, heads_per_task_min(T, C / NH), attention_forward_heads, &job);
        return;
    }
    for (size_t bh = 0; bh < BH; bh++)
        attention_scores(&job, bh);
    parallel_for(BH * T, PAR_MIN_ELEMS / (size_t)T + 1, attention_softmax_rows, &job);
    for (size_t bh = 0; bh < BH; bh++)
        attention_values(&job, bh);
}

/* dv += att^T dy;  dscore (T, T) = dy v^T. Causal blocks: the last block (all
 * keys) first, so that dv's every row is first written with dqkv_beta and then
 * added to by the blocks before it. */
static void attention_backward_values(const AttentionJob *j, size_t bh)
{
    const int T = j->T, C = j->C, NH = j->NH, HS = C / NH, C3 = 3 * C;
    const size_t b = bh / (size_t)NH, h = bh % (size_t)NH;
    const size_t qoff = b * T * C3 + h * 3 * HS;
    const float *p = j->probs + bh * T * T;
    const float *dy = j->dout + b * T * C + h * HS;
    for (int i = attention_blocks(j) - 1; i >= 0; i--) {
        int r0, rows, keys;
        attention_block(j, i, &r0, &rows, &keys);
        const float beta = i == attention_blocks(j) - 1 ? j->dqkv_beta : 1.0f;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, keys, HS, rows, 1.0f,
                    p + (size_t)r0 * T, T, dy + (size_t)r0 * C, C, beta,
                    j->dqkv + qoff + 2 * HS, C3);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, keys, HS, 1.0f,
                    dy + (size_t)r0 * C, C, j->qkv + qoff + 2 * HS, C3, 0.0f,
                    j->dscore + (bh * T + (size_t)r0) * T, T);
    }
}

/* A causal block's row t: dscore = p * (datt - sum(p * datt)) over keys 0..t,
 * the sum in eight lanes (a serial float sum is one add per FMA latency), and 0
 * for the keys after t that the block's products read. */
static void causal_softmax_backward_row(float *restrict ds, const float *restrict pr, int t,
                                        int keys)
{
    const int n = t + 1;
    float acc[8] = {0};
    int s = 0;
    for (; s + 8 <= n; s += 8)
        for (int k = 0; k < 8; k++)
            acc[k] += pr[s + k] * ds[s + k];
    float dot = lanes_sum(acc);
    for (; s < n; s++)
        dot += pr[s] * ds[s];
    for (s = 0; s < n; s++)
        ds[s] = pr[s] * (ds[s] - dot);
    for (s = n; s < keys; s++)
        ds[s] = 0.0f;
}

/* softmax backward in place, row by row: dscore = p * (datt - sum(p * datt)).
 * Without causal blocks the sum is the serial one it has always been (the
 * classifier's gradients stay bit for bit). */
static void attention_softmax_backward_rows(void *ctx, size_t begin, size_t end)
{
    const AttentionJob *j = ctx;
    const int T = j->T;
    const bool blocks = attention_blocks(j) > 1;
    for (size_t r = begin; r < end; r++) {
        float *ds = j->dscore + r * T;
        const float *pr = j->probs + r * T;
        if (blocks) {
            const int t = (int)(r % (size_t)T), i = t / CAUSAL_BLOCK_ROWS;
            int r0, rows, keys;
            attention_block(j, i, &r0, &rows, &keys);
            causal_softmax_backward_row(ds, pr, t, keys);
            continue;
        }
        float dot = 0.0f;
        for (int s = 0; s < T; s++)
            dot += pr[s] * ds[s];
        for (int s = 0; s < T; s++)
            ds[s] = pr[s] * (ds[s] - dot);
    }
}

/* dq += dscore k / sqrt(HS);  dk += dscore^T q / sqrt(HS) (causal blocks: dk as dv
 * above) */
static void attention_backward_queries_keys(const AttentionJob *j, size_t bh)
{
    const int T = j->T, C = j->C, NH = j->NH, HS = C / NH, C3 = 3 * C;
    const size_t b = bh / (size_t)NH, h = bh % (size_t)NH;
    const size_t qoff = b * T * C3 + h * 3 * HS;
    const float scale = 1.0f / sqrtf((float)HS);
    const float *q = j->qkv + qoff, *k = q + HS, *ds = j->dscore + bh * T * T;
    for (int i = attention_blocks(j) - 1; i >= 0; i--) {
        int r0, rows, keys;
        attention_block(j, i, &r0, &rows, &keys);
        const float beta = i == attention_blocks(j) - 1 ? j->dqkv_beta : 1.0f;
        const float *ds_block = ds + (size_t)r0 * T;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, HS, keys, scale, ds_block,
                    T, k, C3, j->dqkv_beta, j->dqkv + qoff + (size_t)r0 * C3, C3);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, keys, HS, rows, scale, ds_block, T,
                    q + (size_t)r0 * C3, C3, beta, j->dqkv + qoff + HS, C3);
    }
}

static void attention_backward_heads(void *ctx, size_t begin, size_t end)
{
    const AttentionJob *j = ctx;
    for (size_t bh = begin; bh < end; bh++) {
        attention_backward_values(j, bh);
        attention_softmax_backward_rows(ctx, bh * j->T, (bh + 1) * j->T);
        attention_backward_queries_keys(j, bh);
    }
}

static void attention_backward_beta(float *dqkv, float dqkv_beta, float *scratch,
                                    const float *dout, const float *qkv, const float *att,
                                    bool causal, int B, int T, int C, int NH)
{
    AttentionJob job = {.probs = att, .qkv = qkv, .dqkv = dqkv, .dscore = scratch,
                        .dout = dout, .causal = causal, .dqkv_beta = dqkv_beta, .B = B, .T = T,
                        .C = C, .NH = NH};
    const size_t BH = (size_t)B * NH;
    if (attention_per_head_tasks(T, C / NH)) {
        parallel_for(BH, heads_per_task_min(T, C / NH), attention_backward_heads, &job);
        return;
    }
    for (size_t bh = 0; bh < BH; bh++)
        attention_backward_values(&job, bh);
    parallel_for(BH * T, PAR_MIN_ELEMS / (size_t)T + 1, attention_softmax_backward_rows, &job);
    for (size_t bh = 0; bh < BH; bh++)
        attention_backward_queries_keys(&job, bh);
}

void attention_backward(float *dqkv, float *scratch, const float *dout, const float *qkv,
                        const float *att, bool causal, int B, int T, int C, int NH)
{
    attention_backward_beta(dqkv, 1.0f, scratch, dout, qkv, att, causal, B, T, C, NH);
}

void attention_backward_set(float *dqkv, float *scratch, const float *dout, const float *qkv,
                            const float *att, bool causal, int B, int T, int C, int NH)
{
    attention_backward_beta(dqkv, 0.0f, scratch, dout, qkv, att, causal, B, T, C, NH);
}

void attention_cached_forward(float *out, float *att, size_t att_stride, const float *q,
                              const float *kcache, const float *vcache, size_t cache_stride,
                              int n, int HS, int NH)
{
    for (int h = 0; h < NH; h++) {
        float *row = att + (size_t)h * att_stride;
        const float *k = kcache + (size_t)h * cache_stride, *v = vcache + (size_t)h * cache_stride;
        /* scores (n) = k_h (n, HS) q_h (HS) / sqrt(HS), as attention_scores; matrix-
         * vector products through sgemv, as linear_forward_vec says why */
        cblas_sgemv(CblasRowMajor, CblasNoTrans, n, HS, 1.0f / sqrtf((float)HS), k, HS,
                    q + (size_t)h * 3 * HS, 1, 0.0f, row, 1);
        attention_softmax_row(row, NULL, n, n);
        /* out_h (HS) = v_h^T (HS, n) att (n) */
        cblas_sgemv(CblasRowMajor, CblasTrans, n, HS, 1.0f, v, HS, row, 1, 0.0f,
                    out + (size_t)h * HS, 1);
    }
}

/* ------------------------------------------------------------- layernorm */

typedef struct {
    float *out, *mean_out, *rstd_out, *std_out;
    const float *inp, *gamma, *beta;
    /* backward */
    float *dinp, *dgamma, *dbeta;
    const float *dout, *mean, *rstd, *std;
    bool accumulate;
    LayerNormKind kind;
    int N, C;
} LayerNormJob;

static void layernorm_forward_rows(void *ctx, size_t begin, size_t end)
{
    const LayerNormJob *j = ctx;
    const int C = j->C;
    const float *restrict gamma = j->gamma, *restrict beta = j->beta;
    for (size_t n = begin; n < end; n++) {
        const float *restrict x = j->inp + n * C;
        float *restrict y = j->out + n * C;
        /* Two passes (mean, then squared deviations) as PyTorch does: stable. */
        const float m = sum8(x, C) / (float)C;
        float acc[8] = {0};
        int c = 0;
        for (; c + 8 <= C; c += 8)
            for (int k = 0; k < 8; k++) {
                float d = x[c + k] - m;
                acc[k] += d * d;
            }
        float ss = lanes_sum(acc);
        for (; c < C; c++) {
            float d = x[c] - m;
            ss += d * d;
        }
        float r;
        if (j->kind == LAYERNORM_WORKSHOP) {
            float s = C > 1 ? sqrtf(ss / (float)(C - 1)) : 0.0f;
            r = 1.0f / (s + LAYERNORM_EPS);
            if (j->std_out)
                j->std_out[n] = s;
        } else {
            r = 1.0f / sqrtf(ss / (float)C + LAYERNORM_EPS);
            if (j->std_out)
                j->std_out[n] = 0.0f;
        }
        for (c = 0; c < C; c++)
            y[c] = gamma[c] * ((x[c] - m) * r) + beta[c];
        if (j->mean_out)
            j->mean_out[n] = m;
        if (j->rstd_out)
            j->rstd_out[n] = r;
    }
}

void layernorm_forward(float *out, float *mean, float *rstd, float *std, const float *inp,
                       const float *gamma, const float *beta, LayerNormKind kind, int N, int C)
{
    LayerNormJob job = {.out = out, .mean_out = mean, .rstd_out = rstd, .std_out = std,
                        .inp = inp, .gamma = gamma, .beta = beta, .kind = kind, .N = N, .C = C};
    parallel_for((size_t)N, PAR_MIN_ELEMS / (size_t)C + 1, layernorm_forward_rows, &job);
}

/* dinp, row by row. */
static void layernorm_backward_rows(void *ctx, size_t begin, size_t end)
{
    const LayerNormJob *j = ctx;
    const int C = j->C;
    const float *restrict gamma = j->gamma;
    for (size_t n = begin; n < end; n++) {
        const float *restrict x = j->inp + n * C;
        const float *restrict dy = j->dout + n * C;
        float *restrict dx = j->dinp + n * C;
        const float m = j->mean[n], r = j->rstd[n];
        /* xhat = (x - m) * r;  dxhat = dy * gamma */
        float a1[8] = {0}, a2[8] = {0};
        int c = 0;
        for (; c + 8 <= C; c += 8)
            for (int k = 0; k < 8; k++) {
                float xhat = (x[c + k] - m) * r;
                float dxhat = dy[c + k] * gamma[c + k];
                a1[k] += dxhat;
                a2[k] += dxhat * xhat;
            }
        float sum_dxhat = lanes_sum(a1), sum_dxhat_xhat = lanes_sum(a2);
        for (; c < C; c++) {
            float xhat = (x[c] - m) * r;
            float dxhat = dy[c] * gamma[c];
            sum_dxhat += dxhat;
            sum_dxhat_xhat += dxhat * xhat;
        }
        const float mean_dxhat = sum_dxhat / (float)C;
        if (j->kind == LAYERNORM_STANDARD) {
            /* dx = r * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) */
            const float mean_dxx = sum_dxhat_xhat / (float)C;
            for (c = 0; c < C; c++) {
                float xhat = (x[c] - m) * r;
                float g = r * (gamma[c] * dy[c] - mean_dxhat - xhat * mean_dxx);
                dx[c] = j->accumulate ? dx[c] + g : g;
            }
        } else {
            /* r = 1/(s + eps), s = sqrt(sum d^2 / (C-1)), d = x - m.
             * d(loss)/d(d_i) = r dxhat_i - sum(dxhat xhat) xhat_i / ((C-1) s);
             * then subtract its mean (the second term has mean 0) for x. */
            const float s = j->std[n];
            const float k = (s > 0.0f && C > 1) ? sum_dxhat_xhat / ((float)(C - 1) * s) : 0.0f;
            if (j->accumulate) {
                for (c = 0; c < C; c++) {
                    float xhat = (x[c] - m) * r;
                    dx[c] += r * (gamma[c] * dy[c] - mean_dxhat) - k * xhat;
                }
            } else {
                for (c = 0; c < C; c++) {
                    float xhat = (x[c] - m) * r;
                    dx[c] = r * (gamma[c] * dy[c] - mean_dxhat) - k * xhat;
                }
            }
        }
    }
}

/* dgamma and dbeta: each thread owns a range of columns, rows in order. */
static void layernorm_backward_columns(void *ctx, size_t begin, size_t end)
{
    const LayerNormJob *j = ctx;
    const int C = j->C;
    float *restrict dgamma = j->dgamma, *restrict dbeta = j->dbeta;
    for (int n = 0; n < j->N; n++) {
        const float *restrict x = j->inp + (size_t)n * C;
        const float *restrict dy = j->dout + (size_t)n * C;
        const float m = j->mean[n], r = j->rstd[n];
        if (dgamma)
            for (size_t c = begin; c < end; c++)
                dgamma[c] += dy[c] * ((x[c] - m) * r);
        if (dbeta)
            for (size_t c = begin; c < end; c++)
                dbeta[c] += dy[c];
    }
}

static void layernorm_backward_impl(LayerNormJob *job)
{
    const size_t N = (size_t)job->N, C = (size_t)job->C;
    if (job->dinp)
        parallel_for(N, PAR_MIN_ELEMS / C + 1, layernorm_backward_rows, job);
    if (job->dgamma || job->dbeta)
        parallel_for(C, PAR_MIN_ELEMS / N + 16, layernorm_backward_columns, job);
}

void layernorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                        const float *inp, const float *gamma, const float *mean,
                        const float *rstd, const float *std, LayerNormKind kind, int N, int C)
{
    LayerNormJob job = {.dinp = dinp, .dgamma = dgamma, .dbeta = dbeta, .dout = dout,
                        .inp = inp, .gamma = gamma, .mean = mean, .rstd = rstd,
                        .std = std, .accumulate = true, .kind = kind, .N = N, .C = C};
    layernorm_backward_impl(&job);
}

void layernorm_backward_set(float *dinp, float *dgamma, float *dbeta, const float *dout,
                            const float *inp, const float *gamma, const float *mean,
                            const float *rstd, const float *std, LayerNormKind kind, int N, int C)
{
    LayerNormJob job = {.dinp = dinp, .dgamma = dgamma, .dbeta = dbeta, .dout = dout,
                        .inp = inp, .gamma = gamma, .mean = mean, .rstd = rstd,
                        .std = std, .accumulate = false, .kind = kind, .N = N, .C = C};
    layernorm_backward_impl(&job);
}

/* ------------------------------------------------------ relu and dropout */

/* Elementwise passes share one job shape; each kernel reads what it needs. */
typedef struct {
    float *out;
    uint8_t *keep;
    const float *inp, *other;
    const uint8_t *mask;
    uint64_t key;
    uint32_t threshold;
    float scale;
    bool overwrite;
    size_t n;
} ElementJob;

static void relu_forward_chunk(void *ctx, size_t begin, size_t end)
{
    const ElementJob *j = ctx;
    float *restrict out = j->out;
    const float *inp = j->inp; /* may alias out */
    /* !(x <= 0): a NaN goes through, as in PyTorch (x > 0 would make it 0 and
     * hide a diverged model behind finite logits); the same for every number */
    for (size_t i = begin; i < end; i++)
        out[i] = !(inp[i] <= 0.0f) ? inp[i] : 0.0f;
}

void relu_forward(float *out, const float *inp, size_t n)
{
    ElementJob job = {.out = out, .inp = inp, .n = n};
    parallel_for(n, PAR_MIN_ELEMS, relu_forward_chunk, &job);
}

static void relu_backward_chunk(void *ctx, size_t begin, size_t end)
{
    const ElementJob *j = ctx;
    float *dinp = j->out;
    const float *dout = j->inp, *restrict out = j->other;
    /* Branch-free selects: the signs are random, a branch would mispredict. */
    if (dinp == dout) { /* in place: mask the gradient */
        for (size_t i = begin; i < end; i++)
            dinp[i] = out[i] > 0.0f ? dinp[i] : 0.0f;
        return;
    }
    for (size_t i = begin; i < end; i++)
        dinp[i] += out[i] > 0.0f ? dout[i] : 0.0f;
}

void relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    ElementJob job = {.out = dinp, .inp = dout, .other = out, .n = n};
    parallel_for(n, PAR_MIN_ELEMS, relu_backward_chunk, &job);
}

/* The dropout mask is counter-based: one 64-bit key drawn from the caller's
 * rng per call, and element pair i takes the bits of splitmix64(key + i * phi).
 * Any element's bit is known without the ones before it, so the mask can be
 * made in parallel and is the same for every thread count. */
static inline __attribute__((always_inline)) uint64_t dropout_bits(uint64_t key, size_t pair)
{
    uint64_t z = key + (uint64_t)pair * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* keep iff u >= p for u uniform on 24 bits (two per 64-bit word):
 * u >= p  <=>  bits >= ceil(p * 2^24). */
static uint32_t dropout_threshold(float p)
{
    return (uint32_t)ceil((double)p * 16777216.0);
}

/* Element pairs from first_pair on: keep bytes for elements 2*first_pair
 * onwards, count of them (<= 2 per pair; odd at the very end). Integer only, so
 * every code path gives the same bits. */
static inline __attribute__((always_inline)) void
dropout_mask_body(uint8_t *keep, uint64_t key, size_t first_pair, size_t count,
                  uint32_t threshold)
{
    size_t q = 0;
    for (; 2 * q + 1 < count; q++) {
        const uint64_t r = dropout_bits(key, first_pair + q);
        keep[2 * q] = (uint32_t)(r >> 40) >= threshold;
        keep[2 * q + 1] = (uint32_t)((r >> 8) & 0xFFFFFFu) >= threshold;
    }
    if (2 * q < count)
        keep[2 * q] = (uint32_t)(dropout_bits(key, first_pair + q) >> 40) >= threshold;
}

static void dropout_mask_generic(uint8_t *keep, uint64_t key, size_t first_pair, size_t count,
                                 uint32_t threshold)
{
    dropout_mask_body(keep, key, first_pair, count, threshold);
}

/* An AVX-512 copy multiplies eight 64-bit words at once (vpmullq). Chosen at run
 * time with __builtin_cpu_supports, not with an ifunc: ifunc resolvers run
 * before the sanitizers' runtimes start and crash under TSan. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DROPOUT_MASK_AVX512 1
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw")))
static void dropout_mask_avx512(uint8_t *keep, uint64_t key, size_t first_pair, size_t count,
                                uint32_t threshold)
{
    dropout_mask_body(keep, key, first_pair, count, threshold);
}
#endif

static void dropout_mask(uint8_t *keep, uint64_t key, size_t first_pair, size_t count,
                         uint32_t threshold)
{
#ifdef DROPOUT_MASK_AVX512
    if (__builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl")) {
        dropout_mask_avx512(keep, key, first_pair, count, threshold);
        return;
    }
#endif
    dropout_mask_generic(keep, key, first_pair, count, threshold);
}

/* The passes below take chunks in pairs of elements (begin and end count pairs)
 * and make the mask a block at a time, so the float loops are plain selects. */
#define DROPOUT_BLOCK_PAIRS 512

typedef enum { DROPOUT_PLAIN, DROPOUT_RESIDUAL, DROPOUT_RELU } DropoutKind;

static void dropout_blocks(const ElementJob *j, size_t begin, size_t end, DropoutKind kind)
{
    uint8_t local[2 * DROPOUT_BLOCK_PAIRS];
    const float scale = j->scale;
    for (size_t pair = begin; pair < end; pair += DROPOUT_BLOCK_PAIRS) {
        const size_t first = 2 * pair;
        const size_t pairs = end - pair < DROPOUT_BLOCK_PAIRS ? end - pair : DROPOUT_BLOCK_PAIRS;
        size_t count = 2 * pairs;
        if (first + count > j->n)
            count = j->n - first;
        uint8_t *restrict keep = j->keep ? j->keep + first : local;
        dropout_mask(keep, j->key, pair, count, j->threshold);
        float *out = j->out + first;
        const float *inp = j->inp + first; /* may alias out */
        if (kind == DROPOUT_PLAIN) {
            for (size_t i = 0; i < count; i++) {
                const float y = inp[i] * scale;
                out[i] = keep[i] ? y : 0.0f;
            }
        } else if (kind == DROPOUT_RESIDUAL) {
            const float *residual = j->other + first;
            for (size_t i = 0; i < count; i++) {
                const float y = inp[i] * scale;
                out[i] = residual[i] + (keep[i] ? y : 0.0f);
            }
        } else {
            for (size_t i = 0; i < count; i++) {
                const float x = inp[i], y = x * scale;
                out[i] = keep[i] && !(x <= 0.0f) ? y : 0.0f; /* NaN kept: relu_forward */
            }
        }
    }
}

static void dropout_forward_chunk(void *ctx, size_t begin, size_t end)
{
    dropout_blocks(ctx, begin, end, DROPOUT_PLAIN);
}

void dropout_forward(float *out, uint8_t *keep, const float *inp, float p, Rng *rng, size_t n)
{
    ElementJob job = {.out = out, .keep = keep, .inp = inp, .key = rng_next_u64(rng),
                      .threshold = dropout_threshold(p), .scale = 1.0f / (1.0f - p), .n = n};
    parallel_for((n + 1) / 2, PAR_MIN_ELEMS / 2, dropout_forward_chunk, &job);
}

static void dropout_residual_chunk(void *ctx, size_t begin, size_t end)
{
    dropout_blocks(ctx, begin, end, DROPOUT_RESIDUAL);
}

void dropout_residual_forward(float *out, uint8_t *keep, const float *inp, const float *residual,
                              float p, Rng *rng, size_t n)
{
    ElementJob job = {.out = out, .keep = keep, .inp = inp, .other = residual,
                      .key = rng_next_u64(rng), .threshold = dropout_threshold(p),
                      .scale = 1.0f / (1.0f - p), .n = n};
    parallel_for((n + 1) / 2, PAR_MIN_ELEMS / 2, dropout_residual_chunk, &job);
}

static void relu_dropout_chunk(void *ctx, size_t begin, size_t end)
{
    dropout_blocks(ctx, begin, end, DROPOUT_RELU);
}

void relu_dropout_forward(float *out, const float *inp, float p, Rng *rng, size_t n)
{
    ElementJob job = {.out = out, .inp = inp, .key = rng_next_u64(rng),
                      .threshold = dropout_threshold(p), .scale = 1.0f / (1.0f - p), .n = n};
    parallel_for((n + 1) / 2, PAR_MIN_ELEMS / 2, relu_dropout_chunk, &job);
}

static void relu_dropout_backward_chunk(void *ctx, size_t begin, size_t end)
{
    const ElementJob *j = ctx;
    float *restrict d = j->out;
    const float *restrict out = j->other;
    const float scale = j->scale;
    for (size_t i = begin; i < end; i++) {
        const float y = d[i] * scale;
        d[i] = out[i] > 0.0f ? y : 0.0f;
    }
}

void relu_dropout_backward(float *d, const float *out, float p, size_t n)
{
    ElementJob job = {.out = d, .other = out, .scale = 1.0f / (1.0f - p), .n = n};
    parallel_for(n, PAR_MIN_ELEMS, relu_dropout_backward_chunk, &job);
}

static void dropout_backward_chunk(void *ctx, size_t begin, size_t end)
{
    const ElementJob *j = ctx;
    float *dinp = j->out;
    const float *dout = j->inp;
    const uint8_t *restrict keep = j->mask;
    const float scale = j->scale;
    if (dinp == dout) { /* in place */
        for (size_t i = begin; i < end; i++) {
            const float y = dinp[i] * scale;
            dinp[i] = keep[i] ? y : 0.0f;
        }
        return;
    }
    if (j->overwrite) {
        for (size_t i = begin; i < end; i++) {
            const float y = dout[i] * scale;
            dinp[i] = keep[i] ? y : 0.0f;
        }
        return;
    }
    for (size_t i = begin; i < end; i++) {
        const float y = dout[i] * scale;
        dinp[i] += keep[i] ? y : 0.0f;
    }
}

void dropout_backward(float *dinp, const float *dout, const uint8_t *keep, float p, size_t n)
{
    ElementJob job = {.out = dinp, .inp = dout, .mask = keep, .scale = 1.0f / (1.0f - p), .n = n};
    parallel_for(n, PAR_MIN_ELEMS, dropout_backward_chunk, &job);
}

void dropout_backward_set(float *dinp, const float *dout, const uint8_t *keep, float p, size_t n)
{
    ElementJob job = {.out = dinp, .inp = dout, .mask = keep, .overwrite = true,
                      .scale = 1.0f / (1.0f - p), .n = n};
    parallel_for(n, PAR_MIN_ELEMS, dropout_backward_chunk, &job);
}

static void residual_chunk(void *ctx, size_t begin, size_t end)
{
    const ElementJob *j = ctx;
    float *out = j->out;
    const float *a = j->inp, *b = j->other;
    for (size_t i = begin; i < end; i++)
        out[i] = a[i] + b[i];
}

void residual_forward(float *out, const float *a, const float *b, size_t n)
{
    ElementJob job = {.out = out, .inp = a, .other = b, .n = n};
    parallel_for(n, PAR_MIN_ELEMS, residual_chunk, &job);
}

/* --------------------------------------------------------------- pooling */

static int pool_count(const uint8_t *pad, int T)
{
    if (!pad)
        return T;
    int count = 0;
    for (int t = 0; t < T; t++)
        count += !pad[t];
    return count > 0 ? count : 1;
}

void mean_pool_forward(float *out, const float *inp, const uint8_t *key_pad, int B, int T, int C)
{
    for (int b = 0; b < B; b++) {
        const uint8_t *pad = key_pad ? key_pad + (size_t)b * T : NULL;
        float *o = out + (size_t)b * C;
        memset(o, 0, (size_t)C * sizeof(float));
        for (int t = 0; t < T; t++) {
            if (pad && pad[t])
                continue;
            const float *x = inp + ((size_t)b * T + t) * C;
            for (int c = 0; c < C; c++)
                o[c] += x[c];
        }
        const float inv = 1.0f / (float)pool_count(pad, T);
        for (int c = 0; c < C; c++)
            o[c] *= inv;
    }
}

void mean_pool_backward(float *dinp, const float *dout, const uint8_t *key_pad, int B, int T, int C)
{
    for (int b = 0; b < B; b++) {
        const uint8_t *pad = key_pad ? key_pad + (size_t)b * T : NULL;
        const float *d = dout + (size_t)b * C;
        const float inv = 1.0f / (float)pool_count(pad, T);
        for (int t = 0; t < T; t++) {
            if (pad && pad[t])
                continue;
            float *dx = dinp + ((size_t)b * T + t) * C;
            for (int c = 0; c < C; c++)
                dx[c] += d[c] * inv;
        }
    }
}

void max_pool_forward(float *out, int *argmax, const float *inp, const uint8_t *key_pad, int B,
                      int T, int C)
{
    for (int b = 0; b < B; b++) {
        const uint8_t *pad = key_pad ? key_pad + (size_t)b * T : NULL;
        float *o = out + (size_t)b * C;
        int *arg = argmax + (size_t)b * C;
        for (int c = 0; c < C; c++) {
            o[c] = 0.0f;
            arg[c] = -1;
        }
        for (int t = 0; t < T; t++) {
            if (pad && pad[t])
                continue;
            const float *x = inp + ((size_t)b * T + t) * C;
            for (int c = 0; c < C; c++) {
                if (arg[c] < 0 || x[c] > o[c]) {
                    o[c] = x[c];
                    arg[c] = t;
                }
            }
        }
    }
}

void max_pool_backward(float *dinp, const float *dout, const int *argmax, int B, int T, int C)
{
    for (int b = 0; b < B; b++) {
        const float *d = dout + (size_t)b * C;
        const int *arg = argmax + (size_t)b * C;
        for (int c = 0; c < C; c++)
            if (arg[c] >= 0)
                dinp[((size_t)b * T + arg[c]) * C + c] += d[c];
    }
}

/* ----------------------------------------------------------------- loss */

/* The classifier's softmax, written once: log p_k = z_k - log sum_j exp(z_j), in
 * double with the maximum subtracted first. Probabilities, cross-entropy and
 * R-Drop all go through it. (Attention has its own, attention_softmax_row: float,
 * masked, a vectorised exp over T keys per row, on the hot path.) */
double log_sum_exp(const float *z, int K)
{
    double maxv = z[0], sum = 0.0;
    for (int k = 1; k < K; k++)
        maxv = z[k] > maxv ? z[k] : maxv;
    for (int k = 0; k < K; k++)
        sum += exp((double)z[k] - maxv);
    return maxv + log(sum);
}

/* probs (K) = softmax(z), rounded to float; returns log sum exp(z). */
static double softmax_row(float *probs, const float *z, int K)
{
    const double lse = log_sum_exp(z, K);
    for (int k = 0; k < K; k++)
        probs[k] = (float)exp((double)z[k] - lse);
    return lse;
}

void softmax_probs(float *probs, const float *logits, int B, int K)
{
    for (int b = 0; b < B; b++)
        softmax_row(probs + (size_t)b * K, logits + (size_t)b * K, K);
}

static int argmax(const float *z, int K)
{
    int best = 0;
    for (int k = 1; k < K; k++)
        if (z[k] > z[best])
            best = k;
    return best;
}

float softmax_cross_entropy(float *probs, float *dlogits, const float *logits,
                            const int *labels, float label_smoothing, int B, int K,
                            int *correct)
{
    double total = 0.0;
    int right = 0;
    const double s = label_smoothing;
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * K;
        const double logsum = softmax_row(probs + (size_t)b * K, z, K);
        /* loss = (1 - s) * (-log p_y) + s / K * sum_k (-log p_k) */
        double loss = 0.0;
        for (int k = 0; k < K; k++) {
            double logp = (double)z[k] - logsum;
            double target = s / K + (k == labels[b] ? 1.0 - s : 0.0);
            loss -= target * logp;
            if (dlogits)
                dlogits[(size_t)b * K + k] = (float)((exp(logp) - target) / B);
        }
        total += loss;
        right += argmax(z, K) == labels[b];
    }
    if (correct)
        *correct = right;
    return (float)(total / B);
}

/* ------------------------------------------------- token cross-entropy */

typedef struct {
    float *dlogits, *row_loss;
    const float *logits;
    const int *targets;
    int ignore_id, V;
    float scale;
} TokenCeJob;

static void token_cross_entropy_rows(void *ctx, size_t begin, size_t end)
{
    const TokenCeJob *j = ctx;
    const int V = j->V;
    for (size_t n = begin; n < end; n++) {
        const float *z = j->logits + n * V;
        float *d = j->dlogits + n * V;
        const int y = j->targets[n];
        if (y == j->ignore_id) {
            memset(d, 0, (size_t)V * sizeof(float));
            j->row_loss[n] = 0.0f;
            continue;
        }
        /* -log p_y = log sum exp(z - max) - (z_y - max) */
        const float maxv = max8(z, V);
        memcpy(d, z, (size_t)V * sizeof(float));
        const float sum = exp_shifted_sum(d, V, maxv);
        j->row_loss[n] = logf(sum) - (z[y] - maxv);
        const float k = j->scale / sum;
        for (int v = 0; v < V; v++)
            d[v] *= k;
        d[y] -= j->scale;
    }
}

double token_cross_entropy(float *dlogits, float *row_loss, const float *logits,
                           const int *targets, int ignore_id, float scale, int N, int V)
{
    TokenCeJob job = {.dlogits = dlogits, .row_loss = row_loss, .logits = logits,
                      .targets = targets, .ignore_id = ignore_id, .V = V, .scale = scale};
    parallel_for((size_t)N, PAR_MIN_ELEMS / (size_t)V + 1, token_cross_entropy_rows, &job);
    double total = 0.0;
    for (int n = 0; n < N; n++)
        total += row_loss[n];
    return total;
}

/* ------------------------------------------------------------- R-Drop */

/* Adds scale * d/dz_p [KL(p || q) + KL(q || p)], p = softmax(zp), q = softmax(zq);
 * with l = log p - log q that is p (l - E_p[l]) (from KL(p || q)) + p - q. */
static void symmetric_kl_grad(float *d, const float *zp, double lse_p, const float *zq,
                              double lse_q, double scale, int K)
{
    double mean_l = 0.0;
    for (int k = 0; k < K; k++)
        mean_l += exp(zp[k] - lse_p) * ((zp[k] - lse_p) - (zq[k] - lse_q));
    for (int k = 0; k < K; k++) {
        const double logp = zp[k] - lse_p, logq = zq[k] - lse_q;
        const double p = exp(logp), q = exp(logq);
        d[k] += (float)(scale * (p * (logp - logq - mean_l) + p - q));
    }
}

float rdrop_consistency(float *dlogits_a, float *dlogits_b, const float *logits_a,
                        const float *logits_b, float alpha, int B, int K)
{
    const double scale = 0.5 * alpha / B;
    double total = 0.0;
    for (int b = 0; b < B; b++) {
        const float *za = logits_a + (size_t)b * K, *zb = logits_b + (size_t)b * K;
        float *da = dlogits_a + (size_t)b * K, *db = dlogits_b + (size_t)b * K;
        const double lse_a = log_sum_exp(za, K), lse_b = log_sum_exp(zb, K);
        for (int k = 0; k < K; k++) {
            const double logp = za[k] - lse_a, logq = zb[k] - lse_b;
            total += (exp(logp) - exp(logq)) * (logp - logq);
            da[k] *= 0.5f;
            db[k] *= 0.5f;
        }
        symmetric_kl_grad(da, za, lse_a, zb, lse_b, scale, K);
        symmetric_kl_grad(db, zb, lse_b, za, lse_a, scale, K);
    }
    return (float)(scale * total);
}
