// Shared device helpers for the Strata kernels: 16-byte weight loads, 16-bit float unpacking,
// warp reductions. Included once by strata_kernels.cu (one translation unit, one fatbin).
#pragma once
#include <cuda_fp16.h>
#include <stdint.h>

// Threads per block for the row-per-warp kernels: 8 warps. Several such blocks fit on an SM
// (2048 threads max), which keeps enough 16-byte loads in flight to saturate HBM.
#define STRATA_BLOCK 256
#define STRATA_WARPS (STRATA_BLOCK / 32)

// Dynamically sized shared memory (a macro so the host emulator in src/test/cuda-emu can map it).
#ifndef STRATA_DYNAMIC_SMEM
#define STRATA_DYNAMIC_SMEM(type, name) extern __shared__ type name[]
#endif

typedef uint16_t bf16_t;  // raw bfloat16 bits: the top half of an IEEE f32
typedef uint16_t f16_t;   // raw IEEE binary16 bits

__device__ __forceinline__ float bf16_to_f32(uint16_t b) { return __uint_as_float(((uint32_t)b) << 16); }
__device__ __forceinline__ float f16_to_f32(uint16_t h) { return __half2float(__ushort_as_half(h)); }

// Element type traits: scalar conversion and the unpacking of one 16-byte vector.
template <typename T> struct Elem;

struct BF16 {};
struct F16 {};
struct F32 {};

template <> struct Elem<BF16> {
    typedef uint16_t storage;
    static constexpr int PER16 = 8;  // elements per 16-byte load
    __device__ __forceinline__ static float get(const uint16_t* p, long i) { return bf16_to_f32(p[i]); }
    __device__ __forceinline__ static void unpack(uint4 r, float* f) {
        // Each 32-bit word holds two bf16: element 2k in the low half, 2k+1 in the high half (little endian).
        f[0] = __uint_as_float(r.x << 16); f[1] = __uint_as_float(r.x & 0xFFFF0000u);
        f[2] = __uint_as_float(r.y << 16); f[3] = __uint_as_float(r.y & 0xFFFF0000u);
        f[4] = __uint_as_float(r.z << 16); f[5] = __uint_as_float(r.z & 0xFFFF0000u);
        f[6] = __uint_as_float(r.w << 16); f[7] = __uint_as_float(r.w & 0xFFFF0000u);
    }
};

template <> struct Elem<F16> {
    typedef uint16_t storage;
    static constexpr int PER16 = 8;
    __device__ __forceinline__ static float get(const uint16_t* p, long i) { return f16_to_f32(p[i]); }
    __device__ __forceinline__ static void unpack(uint4 r, float* f) {
        f[0] = f16_to_f32((uint16_t)(r.x & 0xFFFF)); f[1] = f16_to_f32((uint16_t)(r.x >> 16));
        f[2] = f16_to_f32((uint16_t)(r.y & 0xFFFF)); f[3] = f16_to_f32((uint16_t)(r.y >> 16));
        f[4] = f16_to_f32((uint16_t)(r.z & 0xFFFF)); f[5] = f16_to_f32((uint16_t)(r.z >> 16));
        f[6] = f16_to_f32((uint16_t)(r.w & 0xFFFF)); f[7] = f16_to_f32((uint16_t)(r.w >> 16));
    }
};

template <> struct Elem<F32> {
    typedef float storage;
    static constexpr int PER16 = 4;
    __device__ __forceinline__ static float get(const float* p, long i) { return p[i]; }
    __device__ __forceinline__ static void unpack(uint4 r, float* f) {
        f[0] = __uint_as_float(r.x); f[1] = __uint_as_float(r.y);
        f[2] = __uint_as_float(r.z); f[3] = __uint_as_float(r.w);
    }
};

// Weights are read exactly once per call: the streaming load (evict-first) keeps them from
// pushing the activations, which every warp re-reads, out of L1/L2.
__device__ __forceinline__ uint4 load_stream(const void* p) { return __ldcs(reinterpret_cast<const uint4*>(p)); }

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xFFFFFFFFu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xFFFFFFFFu, v, o));
    return v;
}

__device__ __forceinline__ bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

// Sum over the whole block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ __forceinline__ float block_sum(float v, float* scratch /* [32] shared */) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    __syncthreads();  // scratch may still be read from a previous call
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float t = lane < nw ? scratch[lane] : 0.f;
    return warp_sum(t);
}
