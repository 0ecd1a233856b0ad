// Fused dequantize + matrix-vector for group-quantized weights (INT4 and INT2, group 64).
//
// Layout (one matrix W of shape (rows, cols), cols % 64 == 0):
//   q      (rows, cols·BITS/8) bytes, row-major. Element c of a row sits in byte c·BITS/8 at bit
//          (c % (8/BITS))·BITS, i.e. packed little-endian: INT4 low nibble = even column;
//          INT2 bits 0-1 = column 4k, bits 2-3 = 4k+1, ...
//   scales (rows, cols/64) f16, zeros (rows, cols/64) f16: w = (q − zero) · scale
// Σ_c w_c·x_c over one group = scale·(Σ q_c·x_c − zero·Σ x_c), so the kernel never materialises w.
#pragma once
#include "common.cuh"

#define QGROUP 64

// out[t*rows + r] (+)= Σ_c W[src(r), c] · x[t*cols + c] with W dequantized on the fly.
// One warp per row; each lane takes 16 bytes (32 INT4 or 64 INT2 values: half or one group).
template <int BITS, int NT>
__device__ __forceinline__ void matvec_q_body(const uint8_t* __restrict__ q, const f16_t* __restrict__ scales,
                                              const f16_t* __restrict__ zeros, const float* __restrict__ x,
                                              float* __restrict__ out, const int* __restrict__ rowIdx, int rows,
                                              int cols, int n, int accumulate) {
    constexpr int PER_WORD = 32 / BITS;      // values per 32-bit word
    constexpr int PER_VEC = 4 * PER_WORD;    // values per 16-byte vector: 32 (INT4) or 64 (INT2)
    constexpr uint32_t MASK = (1u << BITS) - 1u;
    const int lane = threadIdx.x & 31;
    const int warpsTotal = (gridDim.x * blockDim.x) >> 5;
    const int groups = cols / QGROUP;
    const int nv = cols / PER_VEC;
    const long rowBytes = (long)cols * BITS / 8;
    for (int r = (blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < rows; r += warpsTotal) {
        const long src = rowIdx ? (long)rowIdx[r] : (long)r;
        const uint8_t* qrow = q + src * rowBytes;
        float acc[NT];
#pragma unroll
        for (int t = 0; t < NT; t++) acc[t] = 0.f;
        for (int k0 = lane; k0 < nv; k0 += 32 * MATVEC_UNROLL) {
            uint4 raw[MATVEC_UNROLL];
#pragma unroll
            for (int u = 0; u < MATVEC_UNROLL; u++) {
                int k = k0 + 32 * u;
                raw[u] = k < nv ? load_stream(qrow + (long)k * 16) : make_uint4(0, 0, 0, 0);
            }
#pragma unroll
            for (int u = 0; u < MATVEC_UNROLL; u++) {
                int k = k0 + 32 * u;
                if (k < nv) {
                    const int c0 = k * PER_VEC;
                    const long g = src * groups + c0 / QGROUP;
                    const float s = f16_to_f32(scales[g]);
                    const float z = f16_to_f32(zeros[g]);
                    const uint32_t words[4] = {raw[u].x, raw[u].y, raw[u].z, raw[u].w};
#pragma unroll
                    for (int t = 0; t < NT; t++) {
                        if (t < n) {
                            const float4* xv = reinterpret_cast<const float4*>(x + (long)t * cols + c0);
                            float sq = 0.f, sx = 0.f;
#pragma unroll
                            for (int wi = 0; wi < 4; wi++) {
#pragma unroll
                                for (int j = 0; j < PER_WORD; j += 4) {
                                    float4 xx = __ldg(xv + (wi * PER_WORD + j) / 4);
                                    uint32_t wd = words[wi];
                                    sq += (float)((wd >> (BITS * j)) & MASK) * xx.x
                                        + (float)((wd >> (BITS * (j + 1))) & MASK) * xx.y
                                        + (float)((wd >> (BITS * (j + 2))) & MASK) * xx.z
                                        + (float)((wd >> (BITS * (j + 3))) & MASK) * xx.w;
                                    sx += (xx.x + xx.y) + (xx.z + xx.w);
                                }
                            }
                            acc[t] += s * (sq - z * sx);
                        }
                    }
                }
            }
        }
#pragma unroll
        for (int t = 0; t < NT; t++) {
            if (t < n) {
                float v = warp_sum(acc[t]);
                if (lane == 0) {
                    long o = (long)t * rows + r;
                    out[o] = accumulate ? out[o] + v : v;
                }
            }
        }
    }
}

#define STRATA_MATVEC_Q(NAME, BITS, NT)                                                                   \
    extern "C" __global__ void __launch_bounds__(STRATA_BLOCK)                                             \
        NAME(const uint8_t* __restrict__ q, const f16_t* __restrict__ scales, const f16_t* __restrict__ zeros, \
             const float* __restrict__ x, float* __restrict__ out, const int* __restrict__ rowIdx, int rows,  \
             int cols, int n, int accumulate) {                                                            \
        matvec_q_body<BITS, NT>(q, scales, zeros, x, out, rowIdx, rows, cols, n, accumulate);              \
    }

STRATA_MATVEC_Q(strata_matvec_q4_n1, 4, 1)
STRATA_MATVEC_Q(strata_matvec_q4_n8, 4, 8)
STRATA_MATVEC_Q(strata_matvec_q2_n1, 2, 1)
STRATA_MATVEC_Q(strata_matvec_q2_n8, 2, 8)
