// Multi-head latent attention (DeepSeek-V2/V3) over the compressed cache, and RoPE with explicit frequencies
// (YaRN, partial rotary), for the models whose rotary embedding is not theta-only.
#pragma once
#include "common.cuh"

#define MLA_WARPS 8
#define MLA_BATCH 4
#define MLA_MAX_LATENT 512              // kv_lora_rank of every DeepSeek release
#define MLA_MAX_ROPE 128
#define MLA_LAT_PER_LANE (MLA_MAX_LATENT / 32)
#define MLA_ROPE_PER_LANE (MLA_MAX_ROPE / 32)

// In place: for every token t, head h and i < half, p = pos0 + t, angle = p · invFreq[i] (f32),
//   (a, b) = (x[t,h,i], x[t,h,i+half]) -> ((a·cos − b·sin)·f, (b·cos + a·sin)·f), f = attnFactor;
//   dimensions 2·half .. headDim−1 of each head are left alone (partial rotary).
//   x (n, heads, headDim) f32, invFreq (half) f32. One thread per rotated pair (n·heads·half).
extern "C" __global__ void __launch_bounds__(STRATA_BLOCK)
    strata_rope_freqs(float* x, const float* __restrict__ invFreq, int pos0, int n, int heads, int headDim, int half,
                      float attnFactor) {
    const long total = (long)n * heads * half;
    for (long idx = (long)blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += (long)gridDim.x * blockDim.x) {
        const int i = (int)(idx % half);
        const long th = idx / half;  // t·heads + h
        const int t = (int)(th / heads);
        const float angle = (float)(pos0 + t) * invFreq[i];
        float s, c;
        sincosf(angle, &s, &c);
        c *= attnFactor;
        s *= attnFactor;
        float* base = x + th * headDim;
        const float a = base[i], b = base[i + half];
        base[i] = a * c - b * s;
        base[i + half] = b * c + a * s;
    }
}

// For query t (position pos0 + t) and head h, over cache positions j ≤ pos0 + t:
//   s_j = scale · (qLat[t,h,:]·lat[j,:] + qPe[t,h,:]·pe[j,:]);  out[t,h,:] = Σ_j softmax(s)_j · lat[j,:]
//   qLat, out (n, heads, rank) f32; qPe (n, heads, rope) f32; lat (≥ pos0+n, rank) f32; pe (≥ pos0+n, rope) f32.
//   rank ≤ 512, rope ≤ 128. grid = (heads, n), block = 32·MLA_WARPS.
// As strata_attention: each warp runs an online softmax over batches of MLA_BATCH positions, the warps' (max,
// sum, acc) merge at the end. Every head reads the same latent rows (one KV head): the cache is read heads times
// from L2, not from memory, which is what makes the compressed cache cheap to attend over.
extern "C" __global__ void __launch_bounds__(32 * MLA_WARPS)
    strata_latent_attention(const float* __restrict__ qLat, const float* __restrict__ qPe, const float* __restrict__ lat,
                            const float* __restrict__ pe, float* __restrict__ out, int n, int pos0, int heads, int rank,
                            int rope, float scale) {
    __shared__ float sm_m[MLA_WARPS], sm_l[MLA_WARPS];
    __shared__ float sm_acc[MLA_WARPS][MLA_MAX_LATENT];
    const int h = blockIdx.x, t = blockIdx.y;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int nWarps = min((int)(blockDim.x >> 5), MLA_WARPS);
    const bool active = warp < nWarps;
    const int len = pos0 + t + 1;
    const float* ql = qLat + ((long)t * heads + h) * rank;
    const float* qp = qPe + ((long)t * heads + h) * rope;
    float qr[MLA_LAT_PER_LANE], qe[MLA_ROPE_PER_LANE], acc[MLA_LAT_PER_LANE];
#pragma unroll
    for (int k = 0; k < MLA_LAT_PER_LANE; k++) {
        int d = lane + 32 * k;
        qr[k] = d < rank ? ql[d] * scale : 0.f;
        acc[k] = 0.f;
    }
#pragma unroll
    for (int k = 0; k < MLA_ROPE_PER_LANE; k++) {
        int d = lane + 32 * k;
        qe[k] = d < rope ? qp[d] * scale : 0.f;
    }
    float m = -INFINITY, l = 0.f;
    for (int j0 = active ? warp * MLA_BATCH : len; j0 < len; j0 += nWarps * MLA_BATCH) {
        float s[MLA_BATCH];
#pragma unroll
        for (int b = 0; b < MLA_BATCH; b++) {
            const int j = j0 + b;
            float d = 0.f;
            if (j < len) {
                const float* lr = lat + (long)j * rank;
                const float* pr = pe + (long)j * rope;
#pragma unroll
                for (int k = 0; k < MLA_LAT_PER_LANE; k++) {
                    int dd = lane + 32 * k;
                    if (dd < rank) d += qr[k] * lr[dd];
                }
#pragma unroll
                for (int k = 0; k < MLA_ROPE_PER_LANE; k++) {
                    int dd = lane + 32 * k;
                    if (dd < rope) d += qe[k] * pr[dd];
                }
            }
            s[b] = d;
        }
        float bm = -INFINITY;
#pragma unroll
        for (int b = 0; b < MLA_BATCH; b++) {
            s[b] = warp_sum(s[b]);
            if (j0 + b < len) bm = fmaxf(bm, s[b]);
        }
        const float mNew = fmaxf(m, bm);
        const float corr = expf(m - mNew);
        float p[MLA_BATCH], psum = 0.f;
#pragma unroll
        for (int b = 0; b < MLA_BATCH; b++) {
            p[b] = j0 + b < len ? expf(s[b] - mNew) : 0.f;
            psum += p[b];
        }
        l = l * corr + psum;
#pragma unroll
        for (int k = 0; k < MLA_LAT_PER_LANE; k++) {
            int dd = lane + 32 * k;
            float a = acc[k] * corr;
            if (dd < rank) {
#pragma unroll
                for (int b = 0; b < MLA_BATCH; b++)
                    if (j0 + b < len) a += p[b] * lat[(long)(j0 + b) * rank + dd];
            }
            acc[k] = a;
        }
        m = mNew;
    }
    if (active && lane == 0) { sm_m[warp] = m; sm_l[warp] = l; }
#pragma unroll
    for (int k = 0; k < MLA_LAT_PER_LANE; k++) {
        int d = lane + 32 * k;
        if (active && d < rank) sm_acc[warp][d] = acc[k];
    }
    __syncthreads();
    float M = -INFINITY;
    for (int w = 0; w < nWarps; w++) M = fmaxf(M, sm_m[w]);
    float L = 0.f;
    for (int w = 0; w < nWarps; w++) L += sm_l[w] * expf(sm_m[w] - M);
    float* o = out + ((long)t * heads + h) * rank;
    for (int d = threadIdx.x; d < rank; d += nWarps * 32) {
        float v = 0.f;
        for (int w = 0; w < nWarps; w++)
            if (sm_l[w] > 0.f) v += sm_acc[w][d] * expf(sm_m[w] - M);
        o[d] = v / L;
    }
}
