// A stand-in libcuda.so.1 for machines without a GPU: the CUDA driver-API calls our Java runtime
// makes, implemented on the host, with kernels run by the emulator (cuda_emu.h) from the same
// sources as the fatbin. Everything executes synchronously in call order (so streams and events
// are trivially ordered); it checks the Java side's driver-API use and argument packing, not
// concurrency or speed. Build and use: see run_java_gpu_tests.sh.
#include "../../main/cuda/strata_kernels.cu"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
enum { OK = 0, INVALID_VALUE = 1, NOT_INITIALIZED = 3, INVALID_DEVICE = 101, INVALID_IMAGE = 200, NOT_FOUND = 500, NOT_READY = 600 };

namespace {
struct Entry {
    std::string name;
    void (*invoke)(void* fn, dim3 g, dim3 b, size_t smem, void** params);
    void* fn;
};

template <class... A, size_t... I>
void call(void (*f)(A...), dim3 g, dim3 b, size_t smem, void** p, std::index_sequence<I...>) {
    emu::launch(f, g, b, smem, *static_cast<std::remove_cv_t<std::remove_reference_t<A>>*>(p[I])...);
}
template <class... A> void invoker(void* fn, dim3 g, dim3 b, size_t smem, void** p) {
    call(reinterpret_cast<void (*)(A...)>(fn), g, b, smem, p, std::index_sequence_for<A...>{});
}
template <class... A> Entry entry(const char* name, void (*f)(A...)) { return Entry{name, &invoker<A...>, reinterpret_cast<void*>(f)}; }

std::map<std::string, Entry>& table() {
    static std::map<std::string, Entry> t = [] {
        std::map<std::string, Entry> m;
        auto add = [&](Entry e) { m[e.name] = e; };
#define K(name) add(entry(#name, name))
        K(strata_matvec_bf16_n1); K(strata_matvec_bf16_n8); K(strata_matvec_f16_n1); K(strata_matvec_f16_n8);
        K(strata_matvec_f32_n1); K(strata_matvec_f32_n8);
        K(strata_downt_accumulate_bf16); K(strata_downt_accumulate_f16); K(strata_downt_accumulate_f32);
        K(strata_matvec_q4_n1); K(strata_matvec_q4_n8); K(strata_matvec_q2_n1); K(strata_matvec_q2_n8);
        K(strata_matvec_q8_0_n1); K(strata_matvec_q8_0_n8); K(strata_matvec_q4_k_n1); K(strata_matvec_q4_k_n8);
        K(strata_matvec_q5_k_n1); K(strata_matvec_q5_k_n8); K(strata_matvec_q6_k_n1); K(strata_matvec_q6_k_n8);
        K(strata_matvec_fp8_n1); K(strata_matvec_fp8_n8);
        K(strata_rmsnorm); K(strata_rope_neox); K(strata_attention); K(strata_router_topk);
        K(strata_rope_freqs); K(strata_latent_attention); K(strata_router_grouped);
        K(strata_swiglu); K(strata_axpy); K(strata_axpy_dev); K(strata_add); K(strata_scale); K(strata_bias_add); K(strata_clamp);
        K(strata_embed_bf16); K(strata_embed_f16); K(strata_embed_f32); K(strata_gather); K(strata_select_above);
        K(strata_rope_table); K(strata_attention_window_sinks); K(strata_clamped_glu);
        K(strata_matvec_mxfp4_n1); K(strata_matvec_mxfp4_n8);
#undef K
        return m;
    }();
    return t;
}

std::mutex launchLock;
bool initialised = false;
int dummyContext, dummyModule;
using Clock = std::chrono::steady_clock;
struct Event { Clock::time_point t; };
long long liveBytes = 0;
const long long TOTAL = 16LL << 30;  // what the emulated device reports
std::map<void*, size_t> allocations;
}  // namespace

extern "C" {
CUresult cuInit(unsigned) { initialised = true; return OK; }
CUresult cuDriverGetVersion(int* v) { *v = 13000; return OK; }
CUresult cuDeviceGetCount(int* c) { *c = initialised ? 1 : 0; return initialised ? OK : NOT_INITIALIZED; }
CUresult cuDeviceGet(CUdevice* d, int ordinal) { if (ordinal != 0) return INVALID_DEVICE; *d = 0; return OK; }
CUresult cuDeviceGetName(char* name, int len, CUdevice) { std::snprintf(name, len, "Strata host CUDA emulator"); return OK; }
CUresult cuDeviceGetAttribute(int* v, int attr, CUdevice) {
    switch (attr) {
        case 75: *v = 9; break;   // COMPUTE_CAPABILITY_MAJOR
        case 76: *v = 0; break;   // COMPUTE_CAPABILITY_MINOR
        case 16: *v = 1; break;   // MULTIPROCESSOR_COUNT
        default: *v = 0;
    }
    return OK;
}
CUresult cuDeviceTotalMem_v2(size_t* b, CUdevice) { *b = TOTAL; return OK; }
CUresult cuDevicePrimaryCtxRetain(void** ctx, CUdevice) { *ctx = &dummyContext; return OK; }
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice) { return OK; }
CUresult cuCtxSetCurrent(void*) { return OK; }
CUresult cuCtxSynchronize() { return OK; }
CUresult cuGetErrorName(CUresult r, const char** s) {
    static const char* names[] = {"CUDA_SUCCESS", "CUDA_ERROR_INVALID_VALUE", "CUDA_ERROR_NOT_FOUND", "CUDA_ERROR_UNKNOWN"};
    *s = r == OK ? names[0] : r == INVALID_VALUE ? names[1] : r == NOT_FOUND ? names[2] : names[3];
    return OK;
}
CUresult cuModuleLoadData(void** m, const void* image) {
    uint32_t magic;
    std::memcpy(&magic, image, 4);
    if (magic != 0xBA55ED50u) return INVALID_IMAGE;
    *m = &dummyModule;
    return OK;
}
CUresult cuModuleUnload(void*) { return OK; }
CUresult cuModuleGetFunction(void** f, void*, const char* name) {
    auto it = table().find(name);
    if (it == table().end()) return NOT_FOUND;
    *f = &it->second;
    return OK;
}
CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
    std::lock_guard<std::mutex> g(launchLock);
    if (bytes == 0) return INVALID_VALUE;
    void* m = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
    std::memset(m, 0xA5, bytes);  // never zero: tests must not rely on fresh memory being zeroed
    allocations[m] = bytes;
    liveBytes += bytes;
    *p = reinterpret_cast<CUdeviceptr>(m);
    return OK;
}
CUresult cuMemFree_v2(CUdeviceptr p) {
    std::lock_guard<std::mutex> g(launchLock);
    auto it = allocations.find(reinterpret_cast<void*>(p));
    if (it == allocations.end()) return INVALID_VALUE;  // double free or not an allocation start
    liveBytes -= it->second;
    allocations.erase(it);
    std::free(reinterpret_cast<void*>(p));
    return OK;
}
CUresult cuMemGetInfo_v2(size_t* free, size_t* total) { *free = TOTAL - liveBytes; *total = TOTAL; return OK; }
CUresult cuMemHostAlloc(void** p, size_t bytes, unsigned) { *p = std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096); return *p ? OK : INVALID_VALUE; }
CUresult cuMemFreeHost(void* p) { std::free(p); return OK; }
CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void* s, size_t n) { std::memcpy(reinterpret_cast<void*>(d), s, n); return OK; }
CUresult cuMemcpyDtoH_v2(void* d, CUdeviceptr s, size_t n) { std::memcpy(d, reinterpret_cast<void*>(s), n); return OK; }
CUresult cuMemcpyDtoD_v2(CUdeviceptr d, CUdeviceptr s, size_t n) { std::memmove(reinterpret_cast<void*>(d), reinterpret_cast<void*>(s), n); return OK; }
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void* s, size_t n, void*) { return cuMemcpyHtoD_v2(d, s, n); }
CUresult cuMemcpyDtoHAsync_v2(void* d, CUdeviceptr s, size_t n, void*) { return cuMemcpyDtoH_v2(d, s, n); }
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr d, CUdeviceptr s, size_t n, void*) { return cuMemcpyDtoD_v2(d, s, n); }
CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, void*) { std::memset(reinterpret_cast<void*>(d), v, n); return OK; }
CUresult cuStreamCreate(void** s, unsigned) { *s = new int(0); return OK; }
CUresult cuStreamDestroy_v2(void* s) { delete static_cast<int*>(s); return OK; }
CUresult cuStreamSynchronize(void*) { return OK; }
CUresult cuStreamWaitEvent(void*, void*, unsigned) { return OK; }
CUresult cuEventCreate(void** e, unsigned) { *e = new Event{Clock::now()}; return OK; }
CUresult cuEventDestroy_v2(void* e) { delete static_cast<Event*>(e); return OK; }
CUresult cuEventRecord(void* e, void*) { static_cast<Event*>(e)->t = Clock::now(); return OK; }
CUresult cuEventSynchronize(void*) { return OK; }
CUresult cuEventQuery(void*) { return OK; }
CUresult cuEventElapsedTime(float* ms, void* a, void* b) {
    *ms = std::chrono::duration<float, std::milli>(static_cast<Event*>(b)->t - static_cast<Event*>(a)->t).count();
    if (*ms <= 0) *ms = 1e-3f;
    return OK;
}
CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned smem, void*,
                        void** params, void** extra) {
    if (gz != 1 || by != 1 || bz != 1 || bx == 0 || bx % 32 != 0 || bx > 1024 || gx == 0 || gy == 0 || extra != nullptr) return INVALID_VALUE;
    std::lock_guard<std::mutex> g(launchLock);
    Entry* e = static_cast<Entry*>(f);
    e->invoke(e->fn, dim3(gx, gy), dim3(bx), smem, params);
    return OK;
}
}
