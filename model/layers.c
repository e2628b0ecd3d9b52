/* Forward/backward pairs of every operation of the model. See layers.h. */
#include "layers.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------- linear */

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

void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int N, int IC, int OC)
{
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, IC, OC, 1.0f, dout, OC,
                    weight, IC, 1.0f, dinp, IC);
    if (dweight)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, IC, N, 1.0f, dout, OC, inp,
                    IC, 1.0f, dweight, IC);
    if (dbias) {
        for (int n = 0; n < N; n++) {
            const float *row = dout + (size_t)n * OC;
            for (int o = 0; o < OC; o++)
                dbias[o] += row[o];
        }
    }
}

/* ------------------------------------------------------------- embedding */

void embedding_forward(float *out, const int *tokens, const float *tok_emb,
                       const float *pos_table, int B, int T, int C)
{
    const float scale = sqrtf((float)C);
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            float *o = out + ((size_t)b * T + t) * C;
            const float *e = tok_emb + (size_t)tokens[b * T + t] * C;
            const float *p = pos_table + (size_t)t * C;
            for (int c = 0; c < C; c++)
                o[c] = e[c] * scale + p[c];
        }
    }
}

void embedding_backward(float *dtok_emb, float *dpos_emb, const float *dout,
                        const int *tokens, int B, int T, int C)
{
    const float scale = sqrtf((float)C);
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            const float *d = dout + ((size_t)b * T + t) * C;
            if (dtok_emb) {
                float *de = dtok_emb + (size_t)tokens[b * T + t] * C;
                for (int c = 0; c < C; c++)
                    de[c] += d[c] * scale;
            }
            if (dpos_emb) {
                float *dp = dpos_emb + (size_t)t * C;
                for (int c = 0; c < C; c++)
                    dp[c] += d[c];
            }
        }
    }
}

/* ------------------------------------------------------------- attention */

void attention_forward(float *out, float *att, const float *qkv, const uint8_t *key_pad,
                       bool causal, int B, int T, int C, int NH)
{
    const int HS = C / NH;
    const int C3 = 3 * C;
    const float scale = 1.0f / sqrtf((float)HS);
    for (int b = 0; b < B; b++) {
        const uint8_t *pad = key_pad ? key_pad + (size_t)b * T : NULL;
        for (int h = 0; h < NH; h++) {
            const float *q = qkv + (size_t)b * T * C3 + (size_t)h * 3 * HS;
            const float *k = q + HS;
            const float *v = q + 2 * HS;
            float *p = att + ((size_t)b * NH + h) * T * T;
            /* scores (T, T) = q k^T / sqrt(HS) */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, HS, scale, q, C3, k, C3,
                        0.0f, p, T);
            for (int t = 0; t < T; t++) {
                float *row = p + (size_t)t * T;
                int kmax = causal ? t + 1 : T;
                float maxv = -INFINITY;
                for (int s = 0; s < kmax; s++) {
                    if (pad && pad[s])
                        row[s] = -INFINITY;
                    else if (row[s] > maxv)
                        maxv = row[s];
                }
                if (maxv == -INFINITY) { /* every key masked */
                    memset(row, 0, (size_t)T * sizeof(float));
                    continue;
                }
                float sum = 0.0f;
                for (int s = 0; s < kmax; s++) {
                    float e = expf(row[s] - maxv); /* exp(-inf) = 0 */
                    row[s] = e;
                    sum += e;
                }
                float inv = 1.0f / sum;
                for (int s = 0; s < kmax; s++)
                    row[s] *= inv;
                for (int s = kmax; s < T; s++)
                    row[s] = 0.0f;
            }
            /* out[:, h*HS:(h+1)*HS] (T, HS) = att (T, T) @ v (T, HS) */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, HS, T, 1.0f, p, T, v, C3,
                        0.0f, out + (size_t)b * T * C + (size_t)h * HS, C);
        }
    }
}

void attention_backward(float *dqkv, float *scratch, const float *dout, const float *qkv,
                        const float *att, int B, int T, int C, int NH)
{
    const int HS = C / NH;
    const int C3 = 3 * C;
    const float scale = 1.0f / sqrtf((float)HS);
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            size_t qoff = (size_t)b * T * C3 + (size_t)h * 3 * HS;
            const float *q = qkv + qoff, *k = q + HS, *v = q + 2 * HS;
            float *dq = dqkv + qoff, *dk = dq + HS, *dv = dq + 2 * HS;
            const float *p = att + ((size_t)b * NH + h) * T * T;
            const float *dy = dout + (size_t)b * T * C + (size_t)h * HS;
            /* dv += att^T dy;  datt (T, T) = dy v^T */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, HS, T, 1.0f, p, T, dy, C,
                        1.0f, dv, C3);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, HS, 1.0f, dy, C, v, C3,
                        0.0f, scratch, T);
            /* softmax backward in place: dscore = p * (datt - sum(p * datt)) */
            for (int t = 0; t < T; t++) {
                float *ds = scratch + (size_t)t * T;
                const float *pr = p + (size_t)t * T;
                float dot = 0.0f;
                for (int s = 0; s < T; s++)
                    dot += pr[s] * ds[s];
                for (int s = 0; s < T; s++)
                    ds[s] = pr[s] * (ds[s] - dot);
            }
            /* dq += dscore k / sqrt(HS);  dk += dscore^T q / sqrt(HS) */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, HS, T, scale, scratch, T,
                        k, C3, 1.0f, dq, C3);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, HS, T, scale, scratch, T, q,
                        C3, 1.0f, dk, C3);
        }
    }
}

/* ------------------------------------------------------------- layernorm */

void layernorm_forward(float *out, float *mean, float *rstd, float *std, const float *inp,
                       const float *gamma, const float *beta, LayerNormKind kind, int N, int C)
{
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *y = out + (size_t)n * C;
        /* Two passes (mean, then squared deviations) as PyTorch does: stable. */
        float m = 0.0f;
        for (int c = 0; c < C; c++)
            m += x[c];
        m /= (float)C;
        float ss = 0.0f;
        for (int c = 0; c < C; c++) {
            float d = x[c] - m;
            ss += d * d;
        }
        float r;
        if (kind == LAYERNORM_WORKSHOP) {
            float s = C > 1 ? sqrtf(ss / (float)(C - 1)) : 0.0f;
            r = 1.0f / (s + LAYERNORM_EPS);
            if (std)
                std[n] = s;
        } else {
            r = 1.0f / sqrtf(ss / (float)C + LAYERNORM_EPS);
            if (std)
                std[n] = 0.0f;
        }
        for (int c = 0; c < C; c++)
            y[c] = gamma[c] * ((x[c] - m) * r) + beta[c];
        if (mean)
            mean[n] = m;
        if (rstd)
            rstd[n] = r;
    }
}

void layernorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                        const float *inp, const float *gamma, const float *mean,
                        const float *rstd, const float *std, LayerNormKind kind, int N, int C)
{
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        const float *dy = dout + (size_t)n * C;
        const float m = mean[n], r = rstd[n];
        /* xhat = (x - m) * r;  dxhat = dy * gamma */
        float sum_dxhat = 0.0f, sum_dxhat_xhat = 0.0f;
        for (int c = 0; c < C; c++) {
            float xhat = (x[c] - m) * r;
            float dxhat = dy[c] * gamma[c];
            sum_dxhat += dxhat;
            sum_dxhat_xhat += dxhat * xhat;
            if (dgamma)
                dgamma[c] += dy[c] * xhat;
            if (dbeta)
                dbeta[c] += dy[c];
        }
        if (!dinp)
            continue;
        float *dx = dinp + (size_t)n * C;
        const float mean_dxhat = sum_dxhat / (float)C;
        if (kind == LAYERNORM_STANDARD) {
            /* dx = r * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) */
            const float mean_dxx = sum_dxhat_xhat / (float)C;
            for (int c = 0; c < C; c++) {
                float xhat = (x[c] - m) * r;
                dx[c] += r * (gamma[c] * dy[c] - mean_dxhat - xhat * mean_dxx);
            }
        } else {
            /* r = 1/(s + eps), s = sqrt(sum d^2 / (C-1)), d = x - m.
             * d(loss)/d(d_i) = r dxhat_i - sum(dxhat xhat) xhat_i / ((C-1) s);
             * then subtract its mean (the second term has mean 0) for x. */
            const float s = std[n];
            const float k = (s > 0.0f && C > 1) ? sum_dxhat_xhat / ((float)(C - 1) * s) : 0.0f;
            for (int c = 0; c < C; c++) {
                float xhat = (x[c] - m) * r;
                dx[c] += r * (gamma[c] * dy[c] - mean_dxhat) - k * xhat;
            }
        }
    }
}

/* ------------------------------------------------------ relu and dropout */

void relu_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    /* Branch-free selects: the signs are random, a branch would mispredict. */
    if (dinp == dout) { /* in place: mask the gradient */
        for (size_t i = 0; i < n; i++)
            dinp[i] = out[i] > 0.0f ? dinp[i] : 0.0f;
        return;
    }
    for (size_t i = 0; i < n; i++)
        dinp[i] += out[i] > 0.0f ? dout[i] : 0.0f;
}

void dropout_forward(float *out, uint8_t *keep, const float *inp, float p, Rng *rng, size_t n)
{
    /* keep iff u >= p for u uniform on 24 bits, two draws per 64-bit word:
     * u >= p  <=>  bits >= ceil(p * 2^24). */
    const float scale = 1.0f / (1.0f - p);
    const uint32_t threshold = (uint32_t)ceil((double)p * 16777216.0);
    for (size_t i = 0; i < n; i += 2) {
        uint64_t r = rng_next_u64(rng);
        keep[i] = (uint32_t)(r >> 40) >= threshold;
        if (i + 1 < n)
            keep[i + 1] = (uint32_t)((r >> 8) & 0xFFFFFFu) >= threshold;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = keep[i] ? inp[i] * scale : 0.0f;
}

void dropout_backward(float *dinp, const float *dout, const uint8_t *keep, float p, size_t n)
{
    const float scale = 1.0f / (1.0f - p);
    if (dinp == dout) { /* in place */
        for (size_t i = 0; i < n; i++)
            dinp[i] = keep[i] ? dinp[i] * scale : 0.0f;
        return;
    }
    for (size_t i = 0; i < n; i++)
        dinp[i] += keep[i] ? dout[i] * scale : 0.0f;
}

void residual_forward(float *out, const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] + b[i];
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

/* ----------------------------------------------------------------- loss */

float softmax_cross_entropy(float *probs, float *dlogits, const float *logits,
                            const int *labels, float label_smoothing, int B, int K,
                            int *correct)
{
    double total = 0.0;
    int right = 0;
    const double s = label_smoothing;
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * K;
        float *p = probs + (size_t)b * K;
        int best = 0;
        double maxv = z[0];
        for (int k = 1; k < K; k++) {
            if (z[k] > maxv) {
                maxv = z[k];
                best = k;
            }
        }
        double sum = 0.0;
        for (int k = 0; k < K; k++)
            sum += exp((double)z[k] - maxv);
        const double logsum = maxv + log(sum);
        /* loss = (1 - s) * (-log p_y) + s / K * sum_k (-log p_k) */
        double loss = 0.0;
        for (int k = 0; k < K; k++) {
            double logp = (double)z[k] - logsum;
            p[k] = (float)exp(logp);
            double target = s / K + (k == labels[b] ? 1.0 - s : 0.0);
            loss -= target * logp;
            if (dlogits)
                dlogits[(size_t)b * K + k] = (float)((exp(logp) - target) / B);
        }
        total += loss;
        right += best == labels[b];
    }
    if (correct)
        *correct = right;
    return (float)(total / B);
}
