// Fused dequantize + matrix-vector for the layouts experts keep from their checkpoints: ggml blocks as GGUF
// files store them (Q8_0, Q4_K, Q5_K, Q6_K) and block-scaled FP8 (E4M3 codes + F32 scale_inv per block).
// Each kernel is the compression module's scalar twin (GgmlDequant, Fp8Kernels.Scalar) read block by block:
// out[t*rows + r] (+)= Σ_c W[r, c] · x[t*cols + c], t < n ≤ NT, with W never materialised.
// One warp per output row (grid-stride over rows), as the bf16 and INT4 kernels.
#pragma once
#include "common.cuh"

__device__ __forceinline__ uint32_t u8at(const uint8_t* p, int i) { return (uint32_t)p[i]; }

// f16 at a 2-byte aligned address (every ggml block starts at an even offset).
__device__ __forceinline__ float f16at(const uint8_t* p) { return f16_to_f32(*reinterpret_cast<const uint16_t*>(p)); }

template <int NT>
__device__ __forceinline__ void store_rows(float (&acc)[NT], float* __restrict__ out, int r, int rows, int n, int accumulate) {
    const int lane = threadIdx.x & 31;
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

// ---- Q8_0: blocks of 32 values in 34 bytes: d (f16), int8 q[32]; w = d·q. A lane takes whole blocks.
template <int NT>
__device__ __forceinline__ void matvec_q8_0_body(const uint8_t* __restrict__ W, const float* __restrict__ x,
                                                 float* __restrict__ out, int rows, int cols, int n, int accumulate) {
    const int lane = threadIdx.x & 31;
    const int warpsTotal = (gridDim.x * blockDim.x) >> 5;
    const int nb = cols / 32;
    const long rowBytes = (long)nb * 34;
    for (int r = (blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < rows; r += warpsTotal) {
        const uint8_t* row = W + r * rowBytes;
        float acc[NT];
#pragma unroll
        for (int t = 0; t < NT; t++) acc[t] = 0.f;
        for (int b = lane; b < nb; b += 32) {
            const uint8_t* blk = row + (long)b * 34;
            const float d = f16at(blk);
            // 32 codes as 16 two-byte words: the block is 2-byte aligned, not 4.
            const uint16_t* q16 = reinterpret_cast<const uint16_t*>(blk + 2);
            float q[32];
#pragma unroll
            for (int j = 0; j < 16; j++) {
                uint32_t w = q16[j];
                q[2 * j] = (float)(int8_t)(w & 0xFF);
                q[2 * j + 1] = (float)(int8_t)(w >> 8);
            }
#pragma unroll
            for (int t = 0; t < NT; t++) {
                if (t < n) {
                    const float* xr = x + (long)t * cols + (long)b * 32;
                    float s = 0.f;
#pragma unroll
                    for (int j = 0; j < 32; j++) s += q[j] * __ldg(xr + j);
                    acc[t] += d * s;
                }
            }
        }
        store_rows<NT>(acc, out, r, rows, n, accumulate);
    }
}

// The 6-bit scale and min of sub-block j of a K-quant's 12 scale bytes (ggml's get_scale_min_k4).
__device__ __forceinline__ void scale_min_k4(int j, const uint8_t* q, float* d, float* m) {
    if (j < 4) {
        *d = (float)(q[j] & 63);
        *m = (float)(q[j + 4] & 63);
    } else {
        *d = (float)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (float)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

// ---- Q4_K (144 B: d, dmin, scales[12], qs[128]) and Q5_K (176 B: d, dmin, scales[12], qh[32], qs[128]):
// 256 values in 8 sub-blocks of 32; sub-block j uses qs[32·(j/2) + l], low nibble for even j, high for odd,
// (Q5_K: + 16 when bit j of qh[l] is set), w = d·sc_j·q − dmin·m_j. A lane takes one sub-block (8 lanes per
// block): Σ w·x = d·sc_j·Σ q·x − dmin·m_j·Σ x.
template <int NT, bool Q5>
__device__ __forceinline__ void matvec_qk_body(const uint8_t* __restrict__ W, const float* __restrict__ x,
                                               float* __restrict__ out, int rows, int cols, int n, int accumulate) {
    constexpr int BYTES = Q5 ? 176 : 144;
    const int lane = threadIdx.x & 31;
    const int warpsTotal = (gridDim.x * blockDim.x) >> 5;
    const int nb = cols / 256;
    const long rowBytes = (long)nb * BYTES;
    for (int r = (blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < rows; r += warpsTotal) {
        const uint8_t* row = W + r * rowBytes;
        float acc[NT];
#pragma unroll
        for (int t = 0; t < NT; t++) acc[t] = 0.f;
        for (int k = lane; k < nb * 8; k += 32) {
            const int b = k >> 3, j = k & 7;
            const uint8_t* blk = row + (long)b * BYTES;
            const float d = f16at(blk), dmin = f16at(blk + 2);
            float sc, mn;
            scale_min_k4(j, blk + 4, &sc, &mn);
            const uint8_t* qs = blk + (Q5 ? 48 : 16) + 32 * (j >> 1);
            const uint8_t* qh = blk + 16;
            const int shift = (j & 1) * 4;
            float q[32];
#pragma unroll
            for (int l = 0; l < 32; l++) {
                uint32_t v = (u8at(qs, l) >> shift) & 0xF;
                if (Q5) v += (u8at(qh, l) >> j & 1) << 4;
                q[l] = (float)v;
            }
#pragma unroll
            for (int t = 0; t < NT; t++) {
                if (t < n) {
                    const float* xr = x + (long)t * cols + (long)b * 256 + 32 * j;
                    float sq = 0.f, sx = 0.f;
#pragma unroll
                    for (int l = 0; l < 32; l++) {
                        float xx = __ldg(xr + l);
                        sq += q[l] * xx;
                        sx += xx;
                    }
                    acc[t] += d * sc * sq - dmin * mn * sx;
                }
            }
        }
        store_rows<NT>(acc, out, r, rows, n, accumulate);
    }
}

// ---- Q6_K (210 B: ql[128], qh[64], int8 scales[16], d): 256 values; unit u = (h, qq) of 32 values
// y[128h + 32qq + l] = d · scales[8h + 2qq + l/16] · ((ql[64h + 32(qq&1) + l] >> 4(qq>>1) & 15 | (qh[32h + l] >> 2qq & 3) << 4) − 32)
// (ggml's dequantize_row_q6_K unrolled by unit). A lane takes one unit (8 lanes per block).
template <int NT>
__device__ __forceinline__ void matvec_q6_k_body(const uint8_t* __restrict__ W, const float* __restrict__ x,
                                                 float* __restrict__ out, int rows, int cols, int n, int accumulate) {
    const int lane = threadIdx.x & 31;
    const int warpsTotal = (gridDim.x * blockDim.x) >> 5;
    const int nb = cols / 256;
    const long rowBytes = (long)nb * 210;
    for (int r = (blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < rows; r += warpsTotal) {
        const uint8_t* row = W + r * rowBytes;
        float acc[NT];
#pragma unroll
        for (int t = 0; t < NT; t++) acc[t] = 0.f;
        for (int k = lane; k < nb * 8; k += 32) {
            const int b = k >> 3, h = (k >> 2) & 1, qq = k & 3;
            const uint8_t* blk = row + (long)b * 210;
            const float d = f16at(blk + 208);
            const uint8_t* ql = blk + 64 * h + 32 * (qq & 1);
            const uint8_t* qh = blk + 128 + 32 * h;
            const int8_t* sc = reinterpret_cast<const int8_t*>(blk + 192) + 8 * h + 2 * qq;
            const int lshift = 4 * (qq >> 1), hshift = 2 * qq;
            float q[32];
#pragma unroll
            for (int l = 0; l < 32; l++) {
                q[l] = (float)((int)(((u8at(ql, l) >> lshift) & 0xF) | (((u8at(qh, l) >> hshift) & 3) << 4)) - 32);
            }
            const float d0 = d * (float)sc[0], d1 = d * (float)sc[1];
#pragma unroll
            for (int t = 0; t < NT; t++) {
                if (t < n) {
                    const float* xr = x + (long)t * cols + (long)b * 256 + 128 * h + 32 * qq;
                    float s0 = 0.f, s1 = 0.f;
#pragma unroll
                    for (int l = 0; l < 16; l++) {
                        s0 += q[l] * __ldg(xr + l);
                        s1 += q[l + 16] * __ldg(xr + 16 + l);
                    }
                    acc[t] += d0 * s0 + d1 * s1;
                }
            }
        }
        store_rows<NT>(acc, out, r, rows, n, accumulate);
    }
}

// E4M3 → f32 without a table: the 7 bits eeee.mmm at float bits 26..20 make the value times 2^-120
// (normal and subnormal alike; denormals are not flushed), the sign goes to bit 31. The NaN code reads
// as ±480: checkpoints hold no NaN weights.
__device__ __forceinline__ float e4m3_to_f32(uint32_t b) {
    return __uint_as_float(((b & 0x7Fu) << 20) | ((b & 0x80u) << 24)) * 1.329227995784916e36f; /* 2^120 */
}

// ---- Block-scaled FP8: codes (rows, cols) E4M3, scales (ceil(rows/br), ceil(cols/bc)) f32;
// W[r][c] = e4m3(codes[r][c]) · scales[r/br][c/bc]. 16-byte loads (16 codes, one scale: bc % 16 == 0)
// when rows start 16-byte aligned, else one code per lane step.
template <int NT>
__device__ __forceinline__ void matvec_fp8_body(const uint8_t* __restrict__ codes, const float* __restrict__ scales,
                                                const float* __restrict__ x, float* __restrict__ out, int rows, int cols,
                                                int br, int bc, int n, int accumulate) {
    const int lane = threadIdx.x & 31;
    const int warpsTotal = (gridDim.x * blockDim.x) >> 5;
    const int scols = (cols + bc - 1) / bc;
    const bool vec = (cols % 16) == 0 && (bc % 16) == 0 && aligned16(codes) && aligned16(x);
    for (int r = (blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < rows; r += warpsTotal) {
        const uint8_t* row = codes + (long)r * cols;
        const float* srow = scales + (long)(r / br) * scols;
        float acc[NT];
#pragma unroll
        for (int t = 0; t < NT; t++) acc[t] = 0.f;
        if (vec) {
            const int nv = cols / 16;
            for (int k = lane; k < nv; k += 32) {
                const uint4 raw = load_stream(row + (long)k * 16);
                const float s = __ldg(srow + (k * 16) / bc);
                const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
                float w[16];
#pragma unroll
                for (int i = 0; i < 16; i++) w[i] = e4m3_to_f32((words[i >> 2] >> (8 * (i & 3))) & 0xFF);
#pragma unroll
                for (int t = 0; t < NT; t++) {
                    if (t < n) {
                        const float4* xv = reinterpret_cast<const float4*>(x + (long)t * cols + (long)k * 16);
                        float sq = 0.f;
#pragma unroll
                        for (int q = 0; q < 4; q++) {
                            float4 xx = __ldg(xv + q);
                            sq += w[4 * q] * xx.x + w[4 * q + 1] * xx.y + w[4 * q + 2] * xx.z + w[4 * q + 3] * xx.w;
                        }
                        acc[t] += s * sq;
                    }
                }
            }
        } else {
            for (int c = lane; c < cols; c += 32) {
                const float w = e4m3_to_f32(row[c]) * __ldg(srow + c / bc);
#pragma unroll
                for (int t = 0; t < NT; t++)
                    if (t < n) acc[t] += w * __ldg(x + (long)t * cols + c);
            }
        }
        store_rows<NT>(acc, out, r, rows, n, accumulate);
    }
}

#define STRATA_MATVEC_GGML(NAME, BODY, NT)                                                                  \
    extern "C" __global__ void __launch_bounds__(STRATA_BLOCK)                                               \
        NAME(const uint8_t* __restrict__ W, const float* __restrict__ x, float* __restrict__ out, int rows,   \
             int cols, int n, int accumulate) {                                                              \
        BODY(W, x, out, rows, cols, n, accumulate);                                                          \
    }

STRATA_MATVEC_GGML(strata_matvec_q8_0_n1, matvec_q8_0_body<1>, 1)
STRATA_MATVEC_GGML(strata_matvec_q8_0_n8, matvec_q8_0_body<8>, 8)
#define STRATA_Q4K1 matvec_qk_body<1, false>
#define STRATA_Q4K8 matvec_qk_body<8, false>
#define STRATA_Q5K1 matvec_qk_body<1, true>
#define STRATA_Q5K8 matvec_qk_body<8, true>
STRATA_MATVEC_GGML(strata_matvec_q4_k_n1, STRATA_Q4K1, 1)
STRATA_MATVEC_GGML(strata_matvec_q4_k_n8, STRATA_Q4K8, 8)
STRATA_MATVEC_GGML(strata_matvec_q5_k_n1, STRATA_Q5K1, 1)
STRATA_MATVEC_GGML(strata_matvec_q5_k_n8, STRATA_Q5K8, 8)
STRATA_MATVEC_GGML(strata_matvec_q6_k_n1, matvec_q6_k_body<1>, 1)
STRATA_MATVEC_GGML(strata_matvec_q6_k_n8, matvec_q6_k_body<8>, 8)

#define STRATA_MATVEC_FP8(NAME, NT)                                                                         \
    extern "C" __global__ void __launch_bounds__(STRATA_BLOCK)                                               \
        NAME(const uint8_t* __restrict__ codes, const float* __restrict__ scales, const float* __restrict__ x, \
             float* __restrict__ out, int rows, int cols, int br, int bc, int n, int accumulate) {           \
        matvec_fp8_body<NT>(codes, scales, x, out, rows, cols, br, bc, n, accumulate);                       \
    }

STRATA_MATVEC_FP8(strata_matvec_fp8_n1, 1)
STRATA_MATVEC_FP8(strata_matvec_fp8_n8, 8)
