// RMSNorm and rotary position embedding (NeoX rotate-half, as HF Llama/Mixtral/Qwen/OLMoE apply it).
#pragma once
#include "common.cuh"

// out[r, i] = x[r, i] / sqrt(mean_i(x[r, :]²) + eps) · w[i]
//   x, out (rows, dim) f32 (may alias), w (dim) f32. grid = rows, block = 256.
extern "C" __global__ void __launch_bounds__(STRATA_BLOCK)
    strata_rmsnorm(const float* x, const float* __restrict__ w, float* out, int dim, float eps) {
    __shared__ float scratch[32];
    const float* xr = x + (long)blockIdx.x * dim;
    float* orow = out + (long)blockIdx.x * dim;
    float ss = 0.f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) ss += xr[i] * xr[i];
    ss = block_sum(ss, scratch);
    const float inv = rsqrtf(ss / (float)dim + eps);
    for (int i = threadIdx.x; i < dim; i += blockDim.x) orow[i] = xr[i] * inv * w[i];
}

// In place: for every token t, head h and i < headDim/2, with p = pos ? pos[t] : pos0 + t,
//   invFreq = 1 / theta^(2i / headDim), angle = p · invFreq (f32, as HF computes it),
//   (a, b) = (x[t,h,i], x[t,h,i+headDim/2]) -> (a·cos − b·sin, b·cos + a·sin).
//   x (n, heads, headDim) f32, pos (n) int32 or null. One thread per rotated pair (n·heads·headDim/2).
extern "C" __global__ void __launch_bounds__(STRATA_BLOCK)
    strata_rope_neox(float* x, const int* __restrict__ pos, int pos0, int n, int heads, int headDim, float theta) {
    const int half = headDim / 2;
    const long total = (long)n * heads * half;
    for (long idx = (long)blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += (long)gridDim.x * blockDim.x) {
        const int i = (int)(idx % half);
        const long th = idx / half;  // t·heads + h
        const int t = (int)(th / heads);
        const float invFreq = 1.0f / powf(theta, (float)(2 * i) / (float)headDim);
        const float angle = (float)(pos ? pos[t] : pos0 + t) * invFreq;
        float s, c;
        sincosf(angle, &s, &c);
        float* base = x + th * headDim;
        const float a = base[i], b = base[i + half];
        base[i] = a * c - b * s;
        base[i + half] = b * c + a * s;
    }
}

// strata_rope_neox with the frequencies given (YaRN and other scaled RoPEs): angle = p · invFreq[i] (f32), and
// cos, sin both multiplied by scale (YaRN's attention factor).
//   x (n, heads, headDim) f32, pos (n) int32 or null, invFreq (headDim/2) f32. One thread per rotated pair.
extern "C" __global__ void __launch_bounds__(STRATA_BLOCK)
    strata_rope_table(float* x, const int* __restrict__ pos, int pos0, int n, int heads, int headDim,
                      const float* __restrict__ invFreq, float scale) {
    const int half = headDim / 2;
    const long total = (long)n * heads * half;
    for (long idx = (long)blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += (long)gridDim.x * blockDim.x) {
        const int i = (int)(idx % half);
        const long th = idx / half;  // t·heads + h
        const int t = (int)(th / heads);
        const float angle = (float)(pos ? pos[t] : pos0 + t) * invFreq[i];
        float s, c;
        sincosf(angle, &s, &c);
        s *= scale;
        c *= scale;
        float* base = x + th * headDim;
        const float a = base[i], b = base[i + half];
        base[i] = a * c - b * s;
        base[i + half] = b * c + a * s;
    }
}
