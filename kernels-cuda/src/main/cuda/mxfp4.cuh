// Fused dequantize + matrix-vector for MXFP4 weights in ggml's block layout (gpt-oss experts).
//
// Layout (one matrix W of shape (rows, cols), cols % 32 == 0): each row is cols/32 blocks of 17 bytes,
//   byte 0: e (e8m0 exponent), bytes 1..16: e2m1 codes, element j in the low nibble of byte 1+j and
//   element j+16 in the high nibble; w = 2^(e−128) · KV[code] with KV the e2m1 values doubled
//   (ggml's kvalues_mxfp4; e < 2 gives the subnormal scales ggml uses).
// The blocks are 17 bytes, not aligned for vector loads: each lane reads its blocks byte-wise, which the
// L1 coalesces across the warp (the lanes of a warp read 32 neighbouring blocks).
#pragma once
#include "common.cuh"

#define MXFP4_BLOCK 32
#define MXFP4_BYTES 17

// 2^(e−128), exact for every e (subnormal below e = 2, as ggml's table).
__device__ __forceinline__ float mxfp4_half_scale(int e) {
    return ldexpf(1.f, e - 128);
}

// out[t*rows + r] = Σ_c W[r, c] · x[t*cols + c]. One warp per row; lane l takes blocks l, l+32, ...
template <int NT>
__device__ __forceinline__ void matvec_mxfp4_body(const uint8_t* __restrict__ w, const float* __restrict__ x,
                                                  float* __restrict__ out, int rows, int cols, int n) {
    const float KV[16] = {0.f, 1.f, 2.f, 3.f, 4.f, 6.f, 8.f, 12.f, 0.f, -1.f, -2.f, -3.f, -4.f, -6.f, -8.f, -12.f};
    const int lane = threadIdx.x & 31;
    const int warpsTotal = (gridDim.x * blockDim.x) >> 5;
    const int nb = cols / MXFP4_BLOCK;
    const long rowBytes = (long)nb * MXFP4_BYTES;
    for (int r = (blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < rows; r += warpsTotal) {
        const uint8_t* row = w + (long)r * rowBytes;
        float acc[NT];
#pragma unroll
        for (int t = 0; t < NT; t++) acc[t] = 0.f;
        for (int b = lane; b < nb; b += 32) {
            const uint8_t* blk = row + (long)b * MXFP4_BYTES;
            const float d = mxfp4_half_scale(blk[0]);
            float lo[16], hi[16];
#pragma unroll
            for (int j = 0; j < 16; j++) {
                const int q = blk[1 + j];
                lo[j] = KV[q & 15];
                hi[j] = KV[q >> 4];
            }
#pragma unroll
            for (int t = 0; t < NT; t++) {
                if (t < n) {
                    const float* xv = x + (long)t * cols + (long)b * MXFP4_BLOCK;
                    float s = 0.f;
#pragma unroll
                    for (int j = 0; j < 16; j++) s += lo[j] * xv[j] + hi[j] * xv[j + 16];
                    acc[t] += d * s;
                }
            }
        }
#pragma unroll
        for (int t = 0; t < NT; t++) {
            if (t < n) {
                float v = warp_sum(acc[t]);
                if (lane == 0) out[(long)t * rows + r] = v;
            }
        }
    }
}

// W (rows, cols) MXFP4 blocks, x (n, cols) f32, out (n, rows) f32; n ≤ 1 (_n1) or ≤ 8 (_n8).
extern "C" __global__ void __launch_bounds__(STRATA_BLOCK)
    strata_matvec_mxfp4_n1(const uint8_t* __restrict__ w, const float* __restrict__ x, float* __restrict__ out, int rows, int cols, int n) {
    matvec_mxfp4_body<1>(w, x, out, rows, cols, n);
}

extern "C" __global__ void __launch_bounds__(STRATA_BLOCK)
    strata_matvec_mxfp4_n8(const uint8_t* __restrict__ w, const float* __restrict__ x, float* __restrict__ out, int rows, int cols, int n) {
    matvec_mxfp4_body<8>(w, x, out, rows, cols, n);
}
