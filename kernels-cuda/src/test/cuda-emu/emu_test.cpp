// Runs every kernel of src/main/cuda on the host emulator (cuda_emu.h) against double-precision
// references, on random inputs and awkward sizes. No GPU needed; KernelEmulationTest builds and runs it.
// Build: g++ -std=c++20 -O1 -pthread -I. -include cuda_emu.h emu_test.cpp -o emu_test
#include "../../main/cuda/strata_kernels.cu"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures = 0, checks = 0;
static std::mt19937_64 rng(12345);

static float gauss(float s = 1.f) { return std::normal_distribution<float>(0.f, s)(rng); }

template <class T> static T* alloc(size_t n) {  // 256-byte aligned like cuMemAlloc
    size_t bytes = ((n * sizeof(T) + 255) / 256 + 1) * 256;
    T* p = static_cast<T*>(std::aligned_alloc(256, bytes));
    std::memset(p, 0xFF, bytes);  // poison: NaN for floats
    return p;
}

static uint16_t toBf16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    return (uint16_t)((x + 0x7FFF + ((x >> 16) & 1)) >> 16);
}
static uint16_t toF16(float f) {  // round to nearest, normal range only (test data stays there)
    uint32_t x;
    std::memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int exp = (int)((x >> 23) & 0xFF) - 127 + 15;
    uint32_t man = x & 0x7FFFFF;
    if (exp <= 0) return (uint16_t)sign;
    uint32_t h = sign | (exp << 10) | (man >> 13);
    if ((man & 0x1FFF) > 0x1000 || ((man & 0x1FFF) == 0x1000 && (h & 1))) h++;
    return (uint16_t)h;
}
static float fromBf16(uint16_t b) { return __uint_as_float((uint32_t)b << 16); }

static void check(const std::string& what, const float* got, const double* want, const double* scale, size_t n, double rel, double abs) {
    checks++;
    for (size_t i = 0; i < n; i++) {
        double bound = rel * (scale ? scale[i] : std::fabs(want[i])) + abs;
        if (!(std::fabs(got[i] - want[i]) <= bound)) {
            std::printf("FAIL %s: element %zu expected %.7g found %.7g (bound %.3g)\n", what.c_str(), i, want[i], (double)got[i], bound);
            failures++;
            return;
        }
    }
    std::printf("ok   %s\n", what.c_str());
}

// ---- dense matvec / gathered / accumulate ----
template <class E> static void matvecCase(const char* dt, int rows, int cols, int n, bool gathered, bool accumulate) {
    typedef typename Elem<E>::storage S;
    S* W = alloc<S>((size_t)rows * cols);
    std::vector<double> wd((size_t)rows * cols);
    for (size_t i = 0; i < wd.size(); i++) {
        float v = gauss(0.5f);
        if constexpr (std::is_same_v<E, BF16>) { W[i] = toBf16(v); wd[i] = fromBf16(W[i]); }
        else if constexpr (std::is_same_v<E, F16>) { W[i] = toF16(v); wd[i] = __half2float(W[i]); }
        else { W[i] = v; wd[i] = v; }
    }
    int m = gathered ? std::max(1, rows / 3) : rows;
    int* idx = alloc<int>(m);
    for (int j = 0; j < m; j++) idx[j] = gathered ? (int)(rng() % rows) : j;
    float* x = alloc<float>((size_t)n * cols);
    for (size_t i = 0; i < (size_t)n * cols; i++) x[i] = gauss();
    float* out = alloc<float>((size_t)n * m);
    std::vector<double> want((size_t)n * m), scale((size_t)n * m);
    for (int t = 0; t < n; t++)
        for (int j = 0; j < m; j++) {
            double a = 0, s = 0;
            for (int c = 0; c < cols; c++) { double p = wd[(size_t)idx[j] * cols + c] * x[(size_t)t * cols + c]; a += p; s += std::fabs(p); }
            want[(size_t)t * m + j] = a * (accumulate ? 2 : 1);
            scale[(size_t)t * m + j] = s * (accumulate ? 2 : 1);
        }
    auto kern = n == 1 ? (std::is_same_v<E, BF16> ? (void (*)(const S*, const float*, float*, const int*, int, int, int, int))strata_matvec_bf16_n1
                                                  : std::is_same_v<E, F16> ? (void (*)(const S*, const float*, float*, const int*, int, int, int, int))strata_matvec_f16_n1
                                                                           : (void (*)(const S*, const float*, float*, const int*, int, int, int, int))strata_matvec_f32_n1)
                       : (std::is_same_v<E, BF16> ? (void (*)(const S*, const float*, float*, const int*, int, int, int, int))strata_matvec_bf16_n8
                                                  : std::is_same_v<E, F16> ? (void (*)(const S*, const float*, float*, const int*, int, int, int, int))strata_matvec_f16_n8
                                                                           : (void (*)(const S*, const float*, float*, const int*, int, int, int, int))strata_matvec_f32_n8);
    dim3 grid((m + STRATA_WARPS - 1) / STRATA_WARPS);
    emu::launch(kern, grid, dim3(STRATA_BLOCK), 0, (const S*)W, (const float*)x, out, gathered ? (const int*)idx : (const int*)nullptr, m, cols, n, 0);
    if (accumulate) emu::launch(kern, grid, dim3(STRATA_BLOCK), 0, (const S*)W, (const float*)x, out, gathered ? (const int*)idx : (const int*)nullptr, m, cols, n, 1);
    char name[160];
    std::snprintf(name, sizeof name, "matvec %s [%d,%d] n=%d%s%s", dt, rows, cols, n, gathered ? " gathered" : "", accumulate ? " accumulate" : "");
    check(name, out, want.data(), scale.data(), want.size(), 5e-6, 1e-6);
    std::free(W); std::free(idx); std::free(x); std::free(out);
}

// ---- quantized (layout of quant.cuh) ----
static void quantCase(int bits, int rows, int cols, int n, bool gathered) {
    int groups = cols / 64, qmax = (1 << bits) - 1, perByte = 8 / bits;
    uint8_t* q = alloc<uint8_t>((size_t)rows * cols * bits / 8);
    std::memset(q, 0, (size_t)rows * cols * bits / 8);
    uint16_t* sc = alloc<uint16_t>((size_t)rows * groups);
    uint16_t* ze = alloc<uint16_t>((size_t)rows * groups);
    std::vector<double> wd((size_t)rows * cols);
    for (int r = 0; r < rows; r++)
        for (int g = 0; g < groups; g++) {
            float s = 0.01f + 0.1f * std::fabs(gauss()), z = (float)(rng() % (qmax + 1)) + 0.25f;
            sc[r * groups + g] = toF16(s);
            ze[r * groups + g] = toF16(z);
            double sd = __half2float(sc[r * groups + g]), zd = __half2float(ze[r * groups + g]);
            for (int c = g * 64; c < g * 64 + 64; c++) {
                int v = (int)(rng() % (qmax + 1));
                size_t e = (size_t)r * cols + c;
                q[e / perByte] |= (uint8_t)(v << ((e % perByte) * bits));
                wd[e] = (v - zd) * sd;
            }
        }
    int m = gathered ? std::max(1, rows / 2) : rows;
    int* idx = alloc<int>(m);
    for (int j = 0; j < m; j++) idx[j] = gathered ? (int)(rng() % rows) : j;
    float* x = alloc<float>((size_t)n * cols);
    for (size_t i = 0; i < (size_t)n * cols; i++) x[i] = gauss();
    float* out = alloc<float>((size_t)n * m);
    std::vector<double> want((size_t)n * m), scale((size_t)n * m);
    for (int t = 0; t < n; t++)
        for (int j = 0; j < m; j++) {
            double a = 0, s = 0;
            for (int c = 0; c < cols; c++) { double p = wd[(size_t)idx[j] * cols + c] * x[(size_t)t * cols + c]; a += p; s += std::fabs(p); }
            want[(size_t)t * m + j] = a;
            scale[(size_t)t * m + j] = s;
        }
    auto kern = bits == 4 ? (n == 1 ? strata_matvec_q4_n1 : strata_matvec_q4_n8) : (n == 1 ? strata_matvec_q2_n1 : strata_matvec_q2_n8);
    emu::launch(kern, dim3((m + STRATA_WARPS - 1) / STRATA_WARPS), dim3(STRATA_BLOCK), 0, (const uint8_t*)q, (const f16_t*)sc, (const f16_t*)ze,
                (const float*)x, out, gathered ? (const int*)idx : (const int*)nullptr, m, cols, n, 0);
    char name[128];
    std::snprintf(name, sizeof name, "matvec q%d [%d,%d] n=%d%s", bits, rows, cols, n, gathered ? " gathered" : "");
    check(name, out, want.data(), scale.data(), want.size(), 2e-5, 1e-6);
    std::free(q); std::free(sc); std::free(ze); std::free(idx); std::free(x); std::free(out);
}

// ---- transposed down accumulate ----
template <class E> static void downtCase(const char* dt, int inter, int hidden, bool gathered) {
    typedef typename Elem<E>::storage S;
    S* Wt = alloc<S>((size_t)inter * hidden);
    std::vector<double> wd((size_t)inter * hidden);
    for (size_t i = 0; i < wd.size(); i++) {
        float v = gauss(0.5f);
        if constexpr (std::is_same_v<E, BF16>) { Wt[i] = toBf16(v); wd[i] = fromBf16(Wt[i]); }
        else if constexpr (std::is_same_v<E, F16>) { Wt[i] = toF16(v); wd[i] = __half2float(Wt[i]); }
        else { Wt[i] = v; wd[i] = v; }
    }
    int m = gathered ? std::max(1, inter / 3) : inter;
    int* idx = alloc<int>(m);
    for (int j = 0; j < m; j++) idx[j] = gathered ? (int)(rng() % inter) : j;
    float* h = alloc<float>(m);
    for (int i = 0; i < m; i++) h[i] = gauss();
    float* y = alloc<float>(hidden);
    std::vector<double> want(hidden), scale(hidden);
    for (int c = 0; c < hidden; c++) {
        y[c] = gauss();
        double a = y[c], s = std::fabs(y[c]);
        for (int i = 0; i < m; i++) { double p = h[i] * wd[(size_t)idx[i] * hidden + c]; a += p; s += std::fabs(p); }
        want[c] = a;
        scale[c] = s;
    }
    constexpr int V = Elem<E>::PER16;
    dim3 grid((hidden + STRATA_BLOCK * V - 1) / (STRATA_BLOCK * V), (m + DOWNT_ROWS - 1) / DOWNT_ROWS);
    auto kern = std::is_same_v<E, BF16> ? (void (*)(const S*, const float*, const int*, float*, int, int))strata_downt_accumulate_bf16
              : std::is_same_v<E, F16> ? (void (*)(const S*, const float*, const int*, float*, int, int))strata_downt_accumulate_f16
                                       : (void (*)(const S*, const float*, const int*, float*, int, int))strata_downt_accumulate_f32;
    emu::launch(kern, grid, dim3(STRATA_BLOCK), 0, (const S*)Wt, (const float*)h, gathered ? (const int*)idx : (const int*)nullptr, y, m, hidden);
    char name[128];
    std::snprintf(name, sizeof name, "downT %s [%d,%d] m=%d%s", dt, inter, hidden, m, gathered ? " gathered" : "");
    check(name, y, want.data(), scale.data(), hidden, 5e-6, 1e-6);
    std::free(Wt); std::free(idx); std::free(h); std::free(y);
}

static void rmsnormCase(int rows, int dim) {
    float* x = alloc<float>((size_t)rows * dim);
    float* w = alloc<float>(dim);
    float* out = alloc<float>((size_t)rows * dim);
    for (int i = 0; i < rows * dim; i++) x[i] = gauss(2);
    for (int i = 0; i < dim; i++) w[i] = gauss();
    std::vector<double> want((size_t)rows * dim);
    for (int r = 0; r < rows; r++) {
        double ss = 0;
        for (int i = 0; i < dim; i++) ss += (double)x[r * dim + i] * x[r * dim + i];
        double inv = 1 / std::sqrt(ss / dim + 1e-5);
        for (int i = 0; i < dim; i++) want[r * dim + i] = x[r * dim + i] * inv * w[i];
    }
    emu::launch(strata_rmsnorm, dim3(rows), dim3(STRATA_BLOCK), 0, (const float*)x, (const float*)w, out, dim, 1e-5f);
    check("rmsnorm " + std::to_string(rows) + "x" + std::to_string(dim), out, want.data(), nullptr, want.size(), 1e-5, 1e-6);
    std::free(x); std::free(w); std::free(out);
}

static void ropeCase(int headDim, float theta, bool withPositions) {
    int n = 4, heads = 3, half = headDim / 2;
    int posv[4] = {13, 1, 2, 4097};
    int* pos = alloc<int>(4);
    std::memcpy(pos, posv, sizeof posv);
    float* x = alloc<float>(n * heads * headDim);
    for (int i = 0; i < n * heads * headDim; i++) x[i] = gauss();
    std::vector<double> want(n * heads * headDim), bound(n * heads * headDim);
    int pos0 = 7;
    for (int t = 0; t < n; t++)
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++) {
                int p = withPositions ? posv[t] : pos0 + t;
                double ang = (double)p / std::pow((double)theta, 2.0 * i / headDim);
                int b = (t * heads + h) * headDim;
                double a = x[b + i], c = x[b + i + half];
                want[b + i] = a * std::cos(ang) - c * std::sin(ang);
                want[b + i + half] = c * std::cos(ang) + a * std::sin(ang);
                // the kernel rounds invFreq and the angle to f32, as HF does: a few ulps of the angle
                bound[b + i] = bound[b + i + half] = (std::fabs(a) + std::fabs(c)) * (4 * std::ldexp(1.0, std::ilogb(std::max(ang, 1.0)) - 23) + 1e-6);
            }
    emu::launch(strata_rope_neox, dim3((n * heads * half + STRATA_BLOCK - 1) / STRATA_BLOCK), dim3(STRATA_BLOCK), 0, x,
                withPositions ? (const int*)pos : (const int*)nullptr, pos0, n, heads, headDim, theta);
    check("rope headDim=" + std::to_string(headDim) + " theta=" + std::to_string((int)theta) + (withPositions ? " positions" : " pos0"), x, want.data(),
          bound.data(), want.size(), 1, 1e-6);
    std::free(pos); std::free(x);
}

static void attentionCase(int heads, int kvHeads, int hd, int pos0, int n, int threads = 32 * ATT_WARPS) {
    int len = pos0 + n;
    float* q = alloc<float>(n * heads * hd);
    float* k = alloc<float>((size_t)len * kvHeads * hd);
    float* v = alloc<float>((size_t)len * kvHeads * hd);
    float* out = alloc<float>(n * heads * hd);
    for (int i = 0; i < n * heads * hd; i++) q[i] = gauss();
    for (int i = 0; i < len * kvHeads * hd; i++) { k[i] = gauss(); v[i] = gauss(); }
    std::vector<double> want(n * heads * hd);
    for (int t = 0; t < n; t++)
        for (int h = 0; h < heads; h++) {
            int g = h / (heads / kvHeads), L = pos0 + t + 1;
            std::vector<double> s(L);
            double mx = -1e300, sum = 0;
            for (int j = 0; j < L; j++) {
                double d = 0;
                for (int i = 0; i < hd; i++) d += (double)q[(t * heads + h) * hd + i] * k[(j * kvHeads + g) * hd + i];
                s[j] = d / std::sqrt((double)hd);
                mx = std::max(mx, s[j]);
            }
            for (int j = 0; j < L; j++) sum += (s[j] = std::exp(s[j] - mx));
            for (int i = 0; i < hd; i++) {
                double o = 0;
                for (int j = 0; j < L; j++) o += s[j] / sum * v[(j * kvHeads + g) * hd + i];
                want[(t * heads + h) * hd + i] = o;
            }
        }
    emu::launch(strata_attention, dim3(heads, n), dim3(threads), 0, (const float*)q, (const float*)k, (const float*)v, out, n, pos0, heads,
                kvHeads, hd, (float)(1 / std::sqrt((double)hd)));
    char name[128];
    std::snprintf(name, sizeof name, "attention heads=%d kv=%d hd=%d pos0=%d n=%d threads=%d", heads, kvHeads, hd, pos0, n, threads);
    check(name, out, want.data(), nullptr, want.size(), 1e-4, 2e-5);
    std::free(q); std::free(k); std::free(v); std::free(out);
}

static void routerCase(int E, int topk, bool norm) {
    int n = 5;
    float* lg = alloc<float>(n * E);
    int* ids = alloc<int>(n * topk);
    float* w = alloc<float>(n * topk);
    for (int i = 0; i < n * E; i++) lg[i] = gauss(2);
    if (E >= 8) lg[3] = lg[5];  // a tie: the lower expert id must come first
    emu::launch(strata_router_topk, dim3(n), dim3(32), (size_t)E * 4, (const float*)lg, E, topk, norm ? 1 : 0, ids, w);
    std::vector<double> want(n * topk);
    bool idsOk = true;
    for (int t = 0; t < n; t++) {
        std::vector<int> order(E);
        for (int i = 0; i < E; i++) order[i] = i;
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return lg[t * E + a] > lg[t * E + b]; });
        double mx = lg[t * E + order[0]], sum = 0, picked = 0;
        for (int i = 0; i < E; i++) sum += std::exp(lg[t * E + i] - mx);
        for (int j = 0; j < topk; j++) picked += std::exp(lg[t * E + order[j]] - mx) / sum;
        for (int j = 0; j < topk; j++) {
            if (ids[t * topk + j] != order[j]) idsOk = false;
            want[t * topk + j] = std::exp(lg[t * E + order[j]] - mx) / sum / (norm ? picked : 1.0);
        }
    }
    std::string name = "router E=" + std::to_string(E) + " k=" + std::to_string(topk) + (norm ? " norm" : "");
    checks++;
    if (!idsOk) { std::printf("FAIL %s: ids differ\n", name.c_str()); failures++; }
    check(name + " weights", w, want.data(), nullptr, want.size(), 2e-6, 1e-7);
    std::free(lg); std::free(ids); std::free(w);
}

static void elementwiseCase(long count) {
    float* a = alloc<float>(count);
    float* b = alloc<float>(count);
    float* o = alloc<float>(count);
    for (long i = 0; i < count; i++) { a[i] = gauss(3); b[i] = gauss(); }
    std::vector<double> want(count), mag(count);
    for (long i = 0; i < count; i++) mag[i] = std::fabs(a[i]) + std::fabs(b[i]);
    dim3 grid((unsigned)std::min<long>(4096, (count + 255) / 256)), blk(256);
    std::string c = " count=" + std::to_string(count);
    for (long i = 0; i < count; i++) want[i] = a[i] / (1 + std::exp(-(double)a[i])) * b[i];
    emu::launch(strata_swiglu, grid, blk, 0, (const float*)a, (const float*)b, o, count);
    check("swiglu" + c, o, want.data(), nullptr, count, 2e-6, 1e-7);
    for (long i = 0; i < count; i++) want[i] = (double)a[i] + b[i];
    emu::launch(strata_add, grid, blk, 0, (const float*)a, (const float*)b, o, count);
    check("add" + c, o, want.data(), mag.data(), count, 1e-7, 0);
    std::memcpy(o, a, count * 4);
    for (long i = 0; i < count; i++) want[i] = a[i] + 0.25 * b[i];
    emu::launch(strata_axpy, grid, blk, 0, o, (const float*)b, 0.25f, count);
    check("axpy" + c, o, want.data(), mag.data(), count, 1e-7, 0);
    float alpha[2] = {9, -0.5f};
    std::memcpy(o, a, count * 4);
    for (long i = 0; i < count; i++) want[i] = a[i] - 0.5 * b[i];
    emu::launch(strata_axpy_dev, grid, blk, 0, o, (const float*)b, (const float*)alpha, 1, count);
    check("axpy_dev" + c, o, want.data(), mag.data(), count, 1e-7, 0);
    std::memcpy(o, a, count * 4);
    for (long i = 0; i < count; i++) want[i] = a[i] * -1.5f;  // one f32 rounding, as the kernel
    emu::launch(strata_scale, grid, blk, 0, o, -1.5f, count);
    check("scale" + c, o, want.data(), nullptr, count, 0, 0);
    std::memcpy(o, a, count * 4);
    for (long i = 0; i < count; i++) want[i] = std::min(std::max((double)a[i], -1.0), 2.0);
    emu::launch(strata_clamp, grid, blk, 0, o, -1.f, 2.f, count);
    check("clamp" + c, o, want.data(), nullptr, count, 0, 0);
    int* idx = alloc<int>(count);
    for (long j = 0; j < count; j++) { idx[j] = (int)(rng() % count); want[j] = a[idx[j]]; }
    emu::launch(strata_gather, grid, blk, 0, (const float*)a, (const int*)idx, o, count);
    check("gather" + c, o, want.data(), nullptr, count, 0, 0);
    int dim = count >= 13 ? 13 : 1;
    if (count % dim == 0) {
        std::memcpy(o, a, count * 4);
        for (long i = 0; i < count; i++) want[i] = (double)a[i] + b[i % dim];
        emu::launch(strata_bias_add, grid, blk, 0, o, (const float*)b, dim, count);
        check("bias_add" + c, o, want.data(), mag.data(), count, 1e-7, 0);
    }
    std::free(a); std::free(b); std::free(o); std::free(idx);
}

static void embedCase(int dim) {
    int vocab = 207, n = 5;
    uint16_t* table = alloc<uint16_t>((size_t)vocab * dim);
    for (size_t i = 0; i < (size_t)vocab * dim; i++) table[i] = toBf16(gauss());
    int idsv[5] = {0, 206, 13, 13, 1};
    int* ids = alloc<int>(5);
    std::memcpy(ids, idsv, sizeof idsv);
    float* out = alloc<float>(n * dim);
    std::vector<double> want(n * dim);
    for (int t = 0; t < n; t++) for (int i = 0; i < dim; i++) want[t * dim + i] = fromBf16(table[(size_t)idsv[t] * dim + i]);
    long count = (long)n * dim;
    emu::launch(strata_embed_bf16, dim3((unsigned)((count + 255) / 256)), dim3(256), 0, (const uint16_t*)table, (const int*)ids, out, dim, count);
    check("embed bf16 dim=" + std::to_string(dim), out, want.data(), nullptr, want.size(), 0, 0);
    std::free(table); std::free(ids); std::free(out);
}

static void selectCase(int len) {
    float* v = alloc<float>(len);
    int* idx = alloc<int>(len);
    int* count = alloc<int>(1);
    for (int i = 0; i < len; i++) v[i] = gauss();
    emu::launch(strata_select_above, dim3(1), dim3(1024), 0, (const float*)v, len, 0.8f, idx, count);
    std::vector<int> want;
    for (int i = 0; i < len; i++) if (std::fabs(v[i]) > 0.8f) want.push_back(i);
    checks++;
    bool ok = *count == (int)want.size() && std::equal(want.begin(), want.end(), idx);
    std::printf("%s select_above len=%d (%d kept)\n", ok ? "ok  " : "FAIL", len, (int)want.size());
    if (!ok) failures++;
    std::free(v); std::free(idx); std::free(count);
}

// ---- the emulator itself: a barrier that not all its threads reach must abort with a message ----
// (on a GPU such a kernel hangs or is undefined). Each bad kernel runs in a forked child; the
// parent expects SIGABRT within 20 s and the deadlock message on the child's stderr.
__global__ void bad_exit_before_syncthreads() { if (threadIdx.x == 5) return; __syncthreads(); }
__global__ void bad_half_warp_syncwarp() { if ((threadIdx.x & 31) < 16) __syncwarp(); }
__global__ void bad_mixed_barriers() { if (threadIdx.x < 16) __syncthreads(); else __syncwarp(); }
__global__ void bad_shuffle_skipped() { float v = threadIdx.x; if (threadIdx.x != 40) v = warp_sum(v); }
template <class K> static void misuseCase(const char* what, K kern, unsigned threads) {
    checks++;
    int fds[2];
    if (pipe(fds) != 0) { std::perror("pipe"); std::exit(2); }
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        alarm(20);  // a hang shows as SIGALRM instead of SIGABRT
        emu::launch(kern, dim3(2), dim3(threads), 0);
        _exit(0);
    }
    close(fds[1]);
    std::string err;
    char buf[512];
    for (ssize_t r; (r = read(fds[0], buf, sizeof buf)) > 0;) err.append(buf, (size_t)r);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    bool ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && err.find("cuda_emu: deadlock") != std::string::npos;
    std::printf("%s misuse %s aborts: %s", ok ? "ok  " : "FAIL", what, err.empty() ? "(no message)\n" : err.c_str());
    if (!ok) failures++;
}

int main() {
    int shapes[][2] = {{1, 1}, {13, 13}, {20, 207}, {9, 4098}, {13, 4096}, {3, 64}};
    for (auto& s : shapes)
        for (int n : {1, 5, 8}) {
            matvecCase<BF16>("bf16", s[0], s[1], n, false, false);
            matvecCase<F16>("f16", s[0], s[1], n, false, false);
            matvecCase<F32>("f32", s[0], s[1], n, false, false);
        }
    matvecCase<BF16>("bf16", 40, 4096, 1, true, false);
    matvecCase<BF16>("bf16", 40, 4096, 3, true, true);
    matvecCase<F32>("f32", 17, 13, 2, true, true);
    for (int bits : {4, 2}) {
        quantCase(bits, 1, 64, 1, false);
        quantCase(bits, 13, 128, 1, false);
        quantCase(bits, 9, 4096, 8, false);
        quantCase(bits, 5, 4160, 3, false);
        quantCase(bits, 20, 192, 1, true);
    }
    downtCase<BF16>("bf16", 13, 207, false);
    downtCase<BF16>("bf16", 70, 4096, true);
    downtCase<F16>("f16", 33, 4098, false);
    downtCase<F32>("f32", 50, 13, true);
    downtCase<F32>("f32", 1, 1, false);
    for (int dim : {1, 13, 207, 4098}) rmsnormCase(2, dim);
    for (int hd : {2, 64, 128}) {
        ropeCase(hd, 10000.f, true);
        ropeCase(hd, 1000000.f, false);
    }
    attentionCase(4, 2, 64, 0, 1);
    attentionCase(4, 2, 64, 12, 1);
    attentionCase(3, 1, 13, 0, 5);
    attentionCase(8, 8, 128, 200, 3);
    attentionCase(2, 1, 256, 40, 2);
    attentionCase(4, 2, 16, 16, 2, 128);   // fewer warps than ATT_WARPS
    attentionCase(4, 2, 16, 16, 2, 512);   // more: the extra warps idle
    attentionCase(8, 2, 64, 1000, 1);
    for (int E : {8, 13, 64, 128})
        for (int k : {1, 2, 8})
            if (k <= E) { routerCase(E, k, true); routerCase(E, k, false); }
    for (long c : {1L, 13L, 207L, 4098L}) elementwiseCase(c);
    for (int dim : {1, 13, 4098}) embedCase(dim);
    for (int len : {1, 13, 207, 4098}) selectCase(len);
    misuseCase("thread exits before __syncthreads", bad_exit_before_syncthreads, 64);
    misuseCase("half a warp at __syncwarp", bad_half_warp_syncwarp, 64);
    misuseCase("__syncthreads and __syncwarp mixed", bad_mixed_barriers, 32);
    misuseCase("one lane skips a shuffle", bad_shuffle_skipped, 64);
    std::printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
