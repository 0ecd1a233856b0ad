// Causal grouped-query attention over an f32 KV cache, for decode (n = 1) and prefill (n > 1).
#pragma once
#include "common.cuh"

#define ATT_WARPS 8
// Positions a warp scores per step: their K rows are loaded before any reduction, so several
// loads are in flight per lane instead of one latency-bound load per position.
#define ATT_BATCH 4
#define ATT_MAX_HEAD_DIM 256
#define ATT_PER_LANE (ATT_MAX_HEAD_DIM / 32)

// For query t (absolute position pos0 + t) and head h, kv head g = h / (heads / kvHeads):
//   s_j = scale · q[t,h,:]·K[j,g,:] for j ≤ pos0 + t;  out[t,h,:] = Σ_j softmax(s)_j · V[j,g,:]
//   q, out (n, heads, headDim) f32; kcache, vcache (≥ pos0+n, kvHeads, headDim) f32
//   headDim ≤ 256, heads % kvHeads == 0. grid = (heads, n), block = 32·ATT_WARPS.
// Each warp runs an online softmax over its batches of ATT_BATCH positions (batch b·ATT_WARPS + warp),
// so the context length is unbounded by shared memory; the warps' (max, sum, acc) merge at the end.
// The body of both attention kernels. window > 0: query t sees only positions > pos0 + t − window (gpt-oss
// sliding layers); sinks non-null: head h's softmax denominator gets exp(sinks[h]) more, a logit without a value.
// Not static: its __shared__ arrays would then get a name hashed from the source path (_INTERNAL_...), and the fatbin
// would differ between checkouts.
__device__ __forceinline__ void attention_body(const float* __restrict__ q, const float* __restrict__ kcache,
                                                      const float* __restrict__ vcache, float* __restrict__ out, int n, int pos0,
                                                      int heads, int kvHeads, int headDim, float scale, int window,
                                                      const float* __restrict__ sinks) {
    __shared__ float sm_m[ATT_WARPS], sm_l[ATT_WARPS];
    __shared__ float sm_acc[ATT_WARPS][ATT_MAX_HEAD_DIM];
    const int h = blockIdx.x, t = blockIdx.y;
    const int g = h / (heads / kvHeads);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    // Work is split over the warps actually launched (at most ATT_WARPS, the shared-memory size),
    // so a launch with fewer threads is still correct rather than reading stale shared memory.
    const int nWarps = min((int)(blockDim.x >> 5), ATT_WARPS);
    const bool active = warp < nWarps;  // extra warps only join the barrier
    const int len = pos0 + t + 1;
    const int first = window > 0 ? max(0, len - window) : 0;  // positions first .. len-1
    const float* qv = q + ((long)t * heads + h) * headDim;
    float qr[ATT_PER_LANE], acc[ATT_PER_LANE];
#pragma unroll
    for (int k = 0; k < ATT_PER_LANE; k++) {
        int d = lane + 32 * k;
        qr[k] = d < headDim ? qv[d] * scale : 0.f;
        acc[k] = 0.f;
    }
    float m = -INFINITY, l = 0.f;
    const long rowStride = (long)kvHeads * headDim;
    for (int j0 = active ? first + warp * ATT_BATCH : len; j0 < len; j0 += nWarps * ATT_BATCH) {
        float s[ATT_BATCH];
#pragma unroll
        for (int b = 0; b < ATT_BATCH; b++) {
            const int j = j0 + b;
            float d = 0.f;
            if (j < len) {
                const float* kr = kcache + j * rowStride + (long)g * headDim;
#pragma unroll
                for (int k = 0; k < ATT_PER_LANE; k++) {
                    int dd = lane + 32 * k;
                    if (dd < headDim) d += qr[k] * kr[dd];
                }
            }
            s[b] = d;
        }
        float bm = -INFINITY;
#pragma unroll
        for (int b = 0; b < ATT_BATCH; b++) {
            s[b] = warp_sum(s[b]);
            if (j0 + b < len) bm = fmaxf(bm, s[b]);
        }
        const float mNew = fmaxf(m, bm);    // finite: position j0 < len is in this batch
        const float corr = expf(m - mNew);  // 0 on the first batch (m = -inf)
        float p[ATT_BATCH], psum = 0.f;
#pragma unroll
        for (int b = 0; b < ATT_BATCH; b++) {
            p[b] = j0 + b < len ? expf(s[b] - mNew) : 0.f;
            psum += p[b];
        }
        l = l * corr + psum;
#pragma unroll
        for (int k = 0; k < ATT_PER_LANE; k++) {
            int dd = lane + 32 * k;
            float a = acc[k] * corr;
            if (dd < headDim) {
#pragma unroll
                for (int b = 0; b < ATT_BATCH; b++)
                    if (j0 + b < len) a += p[b] * vcache[(j0 + b) * rowStride + (long)g * headDim + dd];
            }
            acc[k] = a;
        }
        m = mNew;
    }
    if (active && lane == 0) { sm_m[warp] = m; sm_l[warp] = l; }
#pragma unroll
    for (int k = 0; k < ATT_PER_LANE; k++) {
        int d = lane + 32 * k;
        if (active && d < headDim) sm_acc[warp][d] = acc[k];
    }
    __syncthreads();
    float M = sinks ? sinks[h] : -INFINITY;
    for (int w = 0; w < nWarps; w++) M = fmaxf(M, sm_m[w]);
    float L = sinks ? expf(sinks[h] - M) : 0.f;
    for (int w = 0; w < nWarps; w++) L += sm_l[w] * expf(sm_m[w] - M);  // warps without positions: l = 0
    float* o = out + ((long)t * heads + h) * headDim;
    for (int d = threadIdx.x; d < headDim; d += nWarps * 32) {
        float v = 0.f;
        for (int w = 0; w < nWarps; w++)
            if (sm_l[w] > 0.f) v += sm_acc[w][d] * expf(sm_m[w] - M);
        o[d] = v / L;
    }
}

extern "C" __global__ void __launch_bounds__(32 * ATT_WARPS)
    strata_attention(const float* __restrict__ q, const float* __restrict__ kcache, const float* __restrict__ vcache,
                     float* __restrict__ out, int n, int pos0, int heads, int kvHeads, int headDim, float scale) {
    attention_body(q, kcache, vcache, out, n, pos0, heads, kvHeads, headDim, scale, 0, nullptr);
}

// strata_attention with gpt-oss's sliding window (0: none) and attention sinks (heads) f32, or null.
extern "C" __global__ void __launch_bounds__(32 * ATT_WARPS)
    strata_attention_window_sinks(const float* __restrict__ q, const float* __restrict__ kcache, const float* __restrict__ vcache,
                                  float* __restrict__ out, int n, int pos0, int heads, int kvHeads, int headDim, float scale,
                                  int window, const float* __restrict__ sinks) {
    attention_body(q, kcache, vcache, out, n, pos0, heads, kvHeads, headDim, scale, window, sinks);
}
