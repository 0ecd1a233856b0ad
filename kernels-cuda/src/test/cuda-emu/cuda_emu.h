// A host emulator of the CUDA features our kernels use, so src/main/cuda compiles as plain C++ and
// runs without a GPU: every CUDA thread of a block is a std::thread, blocks run one after another
// (so __shared__ maps to static storage), warps exchange values through per-warp barriers.
// It checks the kernels' logic (indexing, packing, reductions, tie-breaks), not speed or timing races.
#pragma once
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __shared__ static
#define STRATA_DYNAMIC_SMEM(type, name) type* name = reinterpret_cast<type*>(emu::dynamicSmem)

struct uint4 { uint32_t x, y, z, w; };
struct float4 { float x, y, z, w; };
struct dim3 {
    unsigned x = 1, y = 1, z = 1;
    dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
inline uint4 make_uint4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return {a, b, c, d}; }

namespace emu {
struct Warp {
    std::barrier<> bar{32};
    uint64_t slot[32];
};
inline thread_local dim3 tIdx, bIdx;
inline thread_local Warp* warp;
inline thread_local std::barrier<>* block;
inline thread_local unsigned char* dynamicSmem;
inline dim3 gDim, bDim;
inline std::mutex atomics;
}  // namespace emu

#define threadIdx emu::tIdx
#define blockIdx emu::bIdx
#define gridDim emu::gDim
#define blockDim emu::bDim

template <class T> inline T __ldg(const T* p) { return *p; }
template <class T> inline T __ldcs(const T* p) { return *p; }
inline float __uint_as_float(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
inline uint16_t __ushort_as_half(uint16_t h) { return h; }
inline float __half2float(uint16_t h) {  // IEEE binary16 -> binary32, subnormals included
    uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1F, man = h & 0x3FF;
    float v;
    if (exp == 0) v = std::ldexp((float)man, -24);
    else if (exp == 31) v = man ? NAN : INFINITY;
    else v = std::ldexp((float)(man | 0x400), (int)exp - 25);
    return sign ? -v : v;
}
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline int __popc(unsigned v) { return __builtin_popcount(v); }
inline void __syncthreads() { emu::block->arrive_and_wait(); }
inline void __syncwarp(unsigned = 0xFFFFFFFFu) { emu::warp->bar.arrive_and_wait(); }

template <class T> inline T emu_shfl_xor(T v, int m) {
    int lane = emu::tIdx.x & 31;
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    emu::warp->slot[lane] = bits;
    emu::warp->bar.arrive_and_wait();
    uint64_t o = emu::warp->slot[lane ^ m];
    emu::warp->bar.arrive_and_wait();
    T r;
    std::memcpy(&r, &o, sizeof(T));
    return r;
}
inline float __shfl_xor_sync(unsigned, float v, int m) { return emu_shfl_xor(v, m); }
inline int __shfl_xor_sync(unsigned, int v, int m) { return emu_shfl_xor(v, m); }
inline unsigned __ballot_sync(unsigned, bool pred) {
    int lane = emu::tIdx.x & 31;
    emu::warp->slot[lane] = pred ? 1 : 0;
    emu::warp->bar.arrive_and_wait();
    unsigned r = 0;
    for (int i = 0; i < 32; i++) r |= (unsigned)emu::warp->slot[i] << i;
    emu::warp->bar.arrive_and_wait();
    return r;
}
inline float atomicAdd(float* p, float v) {
    std::lock_guard<std::mutex> g(emu::atomics);
    float old = *p;
    *p = old + v;
    return old;
}

namespace emu {
// Runs kernel k over grid × block threads (block.x a multiple of 32), smem bytes of dynamic shared
// memory. One std::thread per thread of a block, reused for every block; blocks run in turn, and a
// barrier after each block keeps the next block from touching shared memory early.
template <class K, class... A> void launch(K k, dim3 grid, dim3 blk, size_t smem, A... args) {
    gDim = grid;
    bDim = blk;
    std::vector<unsigned char> dyn(smem + 16);
    unsigned n = blk.x;
    std::barrier<> bar(n);
    std::vector<Warp> warps((n + 31) / 32);
    std::vector<std::thread> ts;
    ts.reserve(n);
    for (unsigned t = 0; t < n; t++)
        ts.emplace_back([&, t] {
            tIdx = dim3(t);
            warp = &warps[t / 32];
            block = &bar;
            dynamicSmem = dyn.data();
            for (unsigned by = 0; by < grid.y; by++)
                for (unsigned bx = 0; bx < grid.x; bx++) {
                    bIdx = dim3(bx, by);
                    k(args...);
                    bar.arrive_and_wait();
                }
        });
    for (auto& th : ts) th.join();
}
}  // namespace emu
