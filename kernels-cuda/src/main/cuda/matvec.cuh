// Dense matrix-vector / small-batch matrix products (decode and short prefill), their gathered-row
// form for FloE's sparse gate, and the transposed accumulate for FloE's sparse down projection.
// All memory-bound: the aim is to stream each weight byte exactly once at full HBM bandwidth.
#pragma once
#include "common.cuh"

// Weight 16-byte vectors a lane keeps in flight before using any: hides HBM latency without
// relying on the compiler to hoist loads across the FMA chain.
#define MATVEC_UNROLL 4

// out[t*rows + r] (+)= Σ_c W[src(r), c] · x[t*cols + c],  t < n ≤ NT, r < rows.
//   W      (wRows, cols) row-major, element type E
//   x      (n, cols) f32
//   out    (n, rows) f32; accumulate != 0 adds to it instead of overwriting
//   rowIdx (rows) int32 source rows of W (gathered form), or null for src(r) = r
// One warp per output row (grid-stride). 16-byte loads when every row starts 16-byte aligned
// (cols·sizeof(E) % 16 == 0 and W aligned) and x rows are float4-aligned; otherwise a scalar path.
template <typename E, int NT>
__device__ __forceinline__ void matvec_body(const typename Elem<E>::storage* __restrict__ W,
                                            const float* __restrict__ x, float* __restrict__ out,
                                            const int* __restrict__ rowIdx, int rows, int cols, int n,
                                            int accumulate) {
    constexpr int V = Elem<E>::PER16;
    const int lane = threadIdx.x & 31;
    const int warpsTotal = (gridDim.x * blockDim.x) >> 5;
    const bool vec = (cols % V) == 0 && (cols % 4) == 0 && aligned16(W) && aligned16(x);
    for (int r = (blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < rows; r += warpsTotal) {
        const long src = rowIdx ? (long)rowIdx[r] : (long)r;
        const typename Elem<E>::storage* wrow = W + src * (long)cols;
        float acc[NT];
#pragma unroll
        for (int t = 0; t < NT; t++) acc[t] = 0.f;
        if (vec) {
            const int nv = cols / V;  // 16-byte vectors per row
            for (int k0 = lane; k0 < nv; k0 += 32 * MATVEC_UNROLL) {
                uint4 raw[MATVEC_UNROLL];
#pragma unroll
                for (int u = 0; u < MATVEC_UNROLL; u++) {
                    int k = k0 + 32 * u;
                    raw[u] = k < nv ? load_stream(wrow + (long)k * V) : make_uint4(0, 0, 0, 0);
                }
#pragma unroll
                for (int u = 0; u < MATVEC_UNROLL; u++) {
                    int k = k0 + 32 * u;
                    if (k < nv) {
                        float w[V];
                        Elem<E>::unpack(raw[u], w);
#pragma unroll
                        for (int t = 0; t < NT; t++) {
                            if (t < n) {
                                const float4* xv = reinterpret_cast<const float4*>(x + (long)t * cols + (long)k * V);
#pragma unroll
                                for (int q = 0; q < V / 4; q++) {
                                    float4 xx = __ldg(xv + q);
                                    acc[t] += w[4 * q] * xx.x + w[4 * q + 1] * xx.y + w[4 * q + 2] * xx.z + w[4 * q + 3] * xx.w;
                                }
                            }
                        }
                    }
                }
            }
        } else {
            for (int c = lane; c < cols; c += 32) {
                float w = Elem<E>::get(wrow, c);
#pragma unroll
                for (int t = 0; t < NT; t++)
                    if (t < n) acc[t] += w * __ldg(x + (long)t * cols + c);
            }
        }
#pragma unroll
        for (int t = 0; t < NT; t++) {
            if (t < n) {
                float s = warp_sum(acc[t]);
                if (lane == 0) {
                    long o = (long)t * rows + r;
                    out[o] = accumulate ? out[o] + s : s;
                }
            }
        }
    }
}

#define STRATA_MATVEC(NAME, E, NT)                                                                          \
    extern "C" __global__ void __launch_bounds__(STRATA_BLOCK)                                               \
        NAME(const Elem<E>::storage* __restrict__ W, const float* __restrict__ x, float* __restrict__ out,   \
             const int* __restrict__ rowIdx, int rows, int cols, int n, int accumulate) {                    \
        matvec_body<E, NT>(W, x, out, rowIdx, rows, cols, n, accumulate);                                    \
    }

// n == 1 (decode) and n ≤ 8 (each weight load reused by up to 8 tokens).
STRATA_MATVEC(strata_matvec_bf16_n1, BF16, 1)
STRATA_MATVEC(strata_matvec_bf16_n8, BF16, 8)
STRATA_MATVEC(strata_matvec_f16_n1, F16, 1)
STRATA_MATVEC(strata_matvec_f16_n8, F16, 8)
STRATA_MATVEC(strata_matvec_f32_n1, F32, 1)
STRATA_MATVEC(strata_matvec_f32_n8, F32, 8)

// Rows of the transposed-down chunk one block handles (grid.y splits the m selected rows).
#define DOWNT_ROWS 32

// y[c] += Σ_{i<m} h[i] · Wt[src(i), c],  c < cols.
//   Wt     (wtRows, cols) row-major, element type E: the down projection stored transposed
//          (intermediate, hidden), so one selected channel is one contiguous row
//   h      (m) f32 weights of the selected rows
//   rowIdx (m) int32 source rows of Wt, or null for src(i) = i
//   y      (cols) f32, accumulated with atomicAdd (grid.y blocks add partial sums)
// grid = (ceil(cols / (blockDim.x·V)), ceil(m / DOWNT_ROWS)); each thread owns V adjacent columns.
template <typename E>
__device__ __forceinline__ void downt_body(const typename Elem<E>::storage* __restrict__ Wt,
                                           const float* __restrict__ h, const int* __restrict__ rowIdx,
                                           float* __restrict__ y, int m, int cols) {
    constexpr int V = Elem<E>::PER16;
    const int i0 = blockIdx.y * DOWNT_ROWS;
    const int i1 = min(m, i0 + DOWNT_ROWS);
    const bool vec = (cols % V) == 0 && aligned16(Wt);
    if (vec) {
        const int c0 = (blockIdx.x * blockDim.x + threadIdx.x) * V;
        if (c0 >= cols) return;
        float acc[V];
#pragma unroll
        for (int j = 0; j < V; j++) acc[j] = 0.f;
        for (int i = i0; i < i1; i += MATVEC_UNROLL) {
            uint4 raw[MATVEC_UNROLL];
            float hv[MATVEC_UNROLL];
#pragma unroll
            for (int u = 0; u < MATVEC_UNROLL; u++) {
                int ii = i + u;
                if (ii < i1) {
                    long src = rowIdx ? (long)rowIdx[ii] : (long)ii;
                    raw[u] = load_stream(Wt + src * (long)cols + c0);
                    hv[u] = __ldg(h + ii);
                } else {
                    raw[u] = make_uint4(0, 0, 0, 0);
                    hv[u] = 0.f;
                }
            }
#pragma unroll
            for (int u = 0; u < MATVEC_UNROLL; u++) {
                float w[V];
                Elem<E>::unpack(raw[u], w);
#pragma unroll
                for (int j = 0; j < V; j++) acc[j] += hv[u] * w[j];
            }
        }
#pragma unroll
        for (int j = 0; j < V; j++) atomicAdd(y + c0 + j, acc[j]);
    } else {
        const int c = blockIdx.x * blockDim.x * V + threadIdx.x;
        for (int cc = c; cc < min(cols, (int)((blockIdx.x + 1) * blockDim.x * V)); cc += blockDim.x) {
            float acc = 0.f;
            for (int i = i0; i < i1; i++) {
                long src = rowIdx ? (long)rowIdx[i] : (long)i;
                acc += __ldg(h + i) * Elem<E>::get(Wt + src * (long)cols, cc);
            }
            atomicAdd(y + cc, acc);
        }
    }
}

#define STRATA_DOWNT(NAME, E)                                                                              \
    extern "C" __global__ void __launch_bounds__(STRATA_BLOCK)                                              \
        NAME(const Elem<E>::storage* __restrict__ Wt, const float* __restrict__ h,                          \
             const int* __restrict__ rowIdx, float* __restrict__ y, int m, int cols) {                      \
        downt_body<E>(Wt, h, rowIdx, y, m, cols);                                                           \
    }

STRATA_DOWNT(strata_downt_accumulate_bf16, BF16)
STRATA_DOWNT(strata_downt_accumulate_f16, F16)
STRATA_DOWNT(strata_downt_accumulate_f32, F32)
