// A host emulator of the CUDA features our kernels use, so src/main/cuda compiles as plain C++ and
// runs without a GPU. Every CUDA thread of a block is a fiber (a user-level context with its own
// small stack; see Context), and all fibers of a block take turns on the calling OS thread: a fiber
// runs until it reaches a barrier point (__syncthreads, __syncwarp, the exchange inside shuffles
// and ballots), then hands over to the next fiber that can run. Blocks run one after another (so
// __shared__ maps to static storage). A barrier that not all the threads it waits for can reach
// (a thread exited, or the others wait at a different barrier) aborts with a message instead of
// hanging. It checks the kernels' logic (indexing, packing, reductions, tie-breaks), not speed or
// timing races.
//
// Why fibers and not one std::thread per CUDA thread: with up to 1024 OS threads spinning on
// barriers per block, a 2-core machine spent its time in the scheduler; one OS thread switching
// between fibers does the same work in a fraction of the time and runs deterministically.
#pragma once
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
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
// A barrier among `expected` fibers: the last to arrive bumps the generation and goes on; the
// others wait until the generation differs from the one they arrived in.
struct Barrier {
    unsigned expected = 0, arrived = 0;
    uint64_t gen = 0;
};
struct Warp {
    Barrier bar;
    // Exchange slots, double-buffered by barrier generation: a shuffle writes buffer gen&1, waits
    // once, reads. The next exchange uses the other buffer, and the one after that can reuse this
    // buffer only after its lanes passed the intervening barrier, i.e. after all reads of it.
    uint64_t slot[2][32];
};
// A suspended fiber's registers. On x86-64 only the stack pointer: strata_emu_switch pushes the
// callee-saved registers onto the fiber's own stack. Why not swapcontext there: it makes a
// sigprocmask system call on every switch, and a matvec launch switches millions of times.
// Other architectures use ucontext (so does x86-64 with -DSTRATA_EMU_UCONTEXT, to test that path).
#if defined(__x86_64__) && !defined(STRATA_EMU_UCONTEXT)
#define STRATA_EMU_ASM_SWITCH 1
#else
#define STRATA_EMU_ASM_SWITCH 0
#endif
#if STRATA_EMU_ASM_SWITCH
struct Context { void* sp = nullptr; };
#else
struct Context { ucontext_t uc; };
#endif
struct Fiber {
    Context ctx;
    dim3 tIdx;
    Warp* warp = nullptr;
    const Barrier* waitOn = nullptr;  // null while runnable
    uint64_t waitGen = 0;
    bool done = false;
};
// The state of the block being run.
struct Block {
    std::vector<Fiber> fibers;
    std::vector<Warp> warps;
    Barrier bar;
    Context home;                // the launching code, resumed when every fiber has finished
    unsigned live = 0;           // fibers not yet finished
    void (*body)(void*) = nullptr;
    void* arg = nullptr;
};
// The running launch. Plain globals, not thread_local: launches hold launchLock (they must, as
// __shared__ variables are static storage), and in a shared library (fake_libcuda) every
// thread_local read would call __tls_get_addr, while threadIdx is read all the time.
inline std::mutex launchLock;
inline Block* block;
inline Fiber* cur;
inline dim3 bIdx, gDim, bDim;
inline unsigned char* dynamicSmem;
}  // namespace emu

#define threadIdx (emu::cur->tIdx)
#define blockIdx emu::bIdx
#define gridDim emu::gDim
#define blockDim emu::bDim

#if STRATA_EMU_ASM_SWITCH
// strata_emu_switch(&from, to): saves the callee-saved registers (System V ABI) on the current
// stack, stores its pointer in *from, loads `to` and pops that fiber's registers; `ret` resumes it.
// MXCSR and the x87 control word are left alone: no kernel changes them. Weak, as every binary
// built on this header defines it; hidden, so fake_libcuda neither exports it nor calls via PLT.
extern "C" void strata_emu_switch(void** from, void* to);
asm(R"(
    .pushsection .text
    .weak strata_emu_switch
    .hidden strata_emu_switch
    .type strata_emu_switch, @function
strata_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size strata_emu_switch, .-strata_emu_switch
    .popsection
)");
#endif

namespace emu {
inline void fiberMain();

inline void jump(Context& from, Context& to) {
#if STRATA_EMU_ASM_SWITCH
    strata_emu_switch(&from.sp, to.sp);
#else
    swapcontext(&from.uc, &to.uc);
#endif
}

// Makes c start fiberMain on the given stack at its next jump.
inline void prepare(Context& c, unsigned char* stack, size_t size) {
#if STRATA_EMU_ASM_SWITCH
    // What strata_emu_switch pops: six zeroed registers, then fiberMain as the return address;
    // above it a null return address for fiberMain (which never returns), placed so that the
    // stack is 16-byte aligned minus 8 at fiberMain's entry, as after a call.
    auto* top = reinterpret_cast<void**>((reinterpret_cast<uintptr_t>(stack + size)) & ~uintptr_t(15));
    top[-1] = nullptr;
    top[-2] = reinterpret_cast<void*>(&fiberMain);
    for (int i = 3; i <= 8; i++) top[-i] = nullptr;
    c.sp = top - 8;
#else
    getcontext(&c.uc);
    c.uc.uc_stack.ss_sp = stack;
    c.uc.uc_stack.ss_size = size;
    c.uc.uc_link = nullptr;
    makecontext(&c.uc, fiberMain, 0);
#endif
}

inline bool runnable(const Fiber& f) { return !f.done && (f.waitOn == nullptr || f.waitOn->gen != f.waitGen); }

[[noreturn]] inline void deadlock() {
    Block& b = *block;
    unsigned finished = 0, atBlock = 0, atWarp = 0;
    long firstWarpWaiter = -1;
    for (auto& f : b.fibers) {
        if (f.done) finished++;
        else if (f.waitOn == &b.bar) atBlock++;
        else { atWarp++; if (firstWarpWaiter < 0) firstWarpWaiter = (long)f.tIdx.x; }
    }
    std::fprintf(stderr,
                 "cuda_emu: deadlock in block (%u,%u) of %zu threads: %u finished, %u wait at __syncthreads, %u wait at a warp "
                 "barrier (__syncwarp, shuffle or ballot",
                 bIdx.x, bIdx.y, b.fibers.size(), finished, atBlock, atWarp);
    if (firstWarpWaiter >= 0) std::fprintf(stderr, "; the first is thread %ld", firstWarpWaiter);
    std::fprintf(stderr, "): some thread never reaches the barrier the others wait at\n");
    std::fflush(stderr);
    std::abort();
}

// Hands the OS thread to the next runnable fiber after the current one (round robin); the current
// fiber resumes here when it is picked again. Returns at once if it is itself the only candidate.
inline void yield() {
    Block& b = *block;
    Fiber* me = cur;
    const size_t n = b.fibers.size(), at = (size_t)(me - b.fibers.data());
    for (size_t k = 1; k <= n; k++) {
        Fiber* f = &b.fibers[(at + k) % n];
        if (!runnable(*f)) continue;
        if (f == me) return;
        cur = f;
        jump(me->ctx, f->ctx);
        cur = me;
        return;
    }
    deadlock();
}

inline void wait(Barrier& bar) {
    const uint64_t gen = bar.gen;
    if (++bar.arrived == bar.expected) {  // last to arrive: release the others, go on
        bar.arrived = 0;
        bar.gen++;
        return;
    }
    cur->waitOn = &bar;
    cur->waitGen = gen;
    yield();
    cur->waitOn = nullptr;
}

inline void fiberMain() {
    Block& b = *block;
    b.body(b.arg);
    cur->done = true;
    if (--b.live == 0) jump(cur->ctx, b.home);
    // Some other fiber must be able to run; if none can, yield() reports the deadlock.
    yield();
    std::fprintf(stderr, "cuda_emu: a finished thread was resumed\n");
    std::abort();
}

// Fiber stacks, kept across launches (used under launchLock): each STACK bytes with a guard page at its low
// end, so an overflowing kernel faults instead of writing into its neighbour.
constexpr size_t STACK = 256 << 10;
struct Stacks {
    unsigned char* base = nullptr;
    size_t count = 0;
    unsigned char* get(size_t n) {
        if (n > count) {
            if (base) munmap(base, count * STACK);
            base = static_cast<unsigned char*>(mmap(nullptr, n * STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
            if (base == MAP_FAILED) { std::perror("cuda_emu: fiber stacks"); std::abort(); }
            const size_t page = (size_t)sysconf(_SC_PAGESIZE);
            for (size_t i = 0; i < n; i++) mprotect(base + i * STACK, page, PROT_NONE);
            count = n;
        }
        return base;
    }
    ~Stacks() { if (base) munmap(base, count * STACK); }
};
inline Stacks stacks;
}  // namespace emu

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
inline void __syncthreads() { emu::wait(emu::block->bar); }
inline void __syncwarp(unsigned = 0xFFFFFFFFu) { emu::wait(emu::cur->warp->bar); }

template <class T> inline T emu_shfl_xor(T v, int m) {
    emu::Warp& w = *emu::cur->warp;
    const int lane = emu::cur->tIdx.x & 31;
    uint64_t(&slot)[32] = w.slot[w.bar.gen & 1];
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    slot[lane] = bits;
    emu::wait(w.bar);
    const uint64_t o = slot[lane ^ m];
    T r;
    std::memcpy(&r, &o, sizeof(T));
    return r;
}
inline float __shfl_xor_sync(unsigned, float v, int m) { return emu_shfl_xor(v, m); }
inline int __shfl_xor_sync(unsigned, int v, int m) { return emu_shfl_xor(v, m); }
inline unsigned __ballot_sync(unsigned, bool pred) {
    emu::Warp& w = *emu::cur->warp;
    uint64_t(&slot)[32] = w.slot[w.bar.gen & 1];
    slot[emu::cur->tIdx.x & 31] = pred ? 1 : 0;
    emu::wait(w.bar);
    unsigned r = 0;
    for (int i = 0; i < 32; i++) r |= (unsigned)slot[i] << i;
    return r;
}
// Launches run one at a time and fibers never preempt each other mid-update, so a plain add would
// do; the atomic costs little and keeps the sum right should that ever change.
inline float atomicAdd(float* p, float v) { return std::atomic_ref<float>(*p).fetch_add(v); }

namespace emu {
// Runs kernel k over grid × block threads (block.x a multiple of 32), smem bytes of dynamic shared
// memory, on the calling OS thread: blocks in turn, the threads of a block as fibers (see top).
// Launches from several OS threads run one at a time.
template <class K, class... A> void launch(K k, dim3 grid, dim3 blk, size_t smem, A... args) {
    const unsigned n = blk.x;
    std::lock_guard<std::mutex> serial(launchLock);
    if (n == 0 || n % 32 != 0 || n > 1024) {
        std::fprintf(stderr, "cuda_emu: block of %u threads; expected a multiple of 32, at most 1024\n", n);
        std::abort();
    }
    gDim = grid;
    bDim = blk;
    std::vector<unsigned char> dyn(smem + 16);
    dynamicSmem = dyn.data();
    auto body = [&] { k(args...); };
    Block b;
    b.fibers.resize(n);
    b.warps.resize(n / 32);
    b.bar.expected = n;
    for (auto& w : b.warps) w.bar.expected = 32;
    b.body = [](void* a) { (*static_cast<decltype(body)*>(a))(); };
    b.arg = &body;
    unsigned char* stackBase = stacks.get(n);
    block = &b;
    for (unsigned by = 0; by < grid.y; by++)
        for (unsigned bx = 0; bx < grid.x; bx++) {
            bIdx = dim3(bx, by);
            for (unsigned t = 0; t < n; t++) {
                Fiber& f = b.fibers[t];
                f.tIdx = dim3(t);
                f.warp = &b.warps[t / 32];
                f.waitOn = nullptr;
                f.done = false;
                prepare(f.ctx, stackBase + (size_t)t * STACK, STACK);
            }
            b.live = n;
            cur = &b.fibers[0];
            jump(b.home, b.fibers[0].ctx);
        }
    block = nullptr;
    cur = nullptr;
}
}  // namespace emu
