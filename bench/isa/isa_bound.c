// One-thread rate of one-token row-dot loops over [rows, 2048] weights, four rows at a time, written two ways:
//   "fma":  codes converted to floats and multiplied with fma, 16 multiply-adds an instruction (what the JDK 25
//           Vector API can express, and what Strata's kernels do);
//   "dot":  the x86 dot-product instructions, vpdpbusd (64 int8 multiply-adds an instruction) and vdpbf16ps
//           (32 bf16 multiply-adds), with the token's x quantized to int8 per group of 64 or rounded to bf16.
// Formats: bf16; int8 with an f32 scale per group of 64; int4 (codes 0..15, zero point 8) with an f32 scale per
// group of 64. Every loop is checked against a double-precision scalar sum of the same inputs before it is timed.
// Build: gcc -O2 -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni -mavx512bf16 -mfma isa_bound.c -o isa_bound -lm -lpthread
// Run:   ./isa_bound ROWS [THREADS]   (256 rows keep each matrix in L2; 131072 read it from memory)
#include <immintrin.h>
#include <pthread.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define COLS 2048
#define G (COLS / 64)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// 2 MiB-aligned anonymous memory advised for 2 MiB pages before its first touch, as Strata maps its weights
static void *big(size_t bytes) {
    size_t huge = 2 << 20, len = (bytes + huge - 1) / huge * huge;
    uint8_t *p = mmap(NULL, len + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(1); }
    uint8_t *a = (uint8_t *) (((uintptr_t) p + huge - 1) / huge * huge);
    if (madvise(a, len, MADV_HUGEPAGE) != 0) perror("madvise");
    return a;
}

static uint32_t rng = 12345;
static uint32_t next(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }
static float unit(void) { return (next() >> 8) * (1.0f / 16777216.0f) * 2.0f - 1.0f; }

// ---------- bf16 ----------
// fma: one 512-bit load holds 32 bf16; the high halves of the int lanes are the odd elements (mask), the low halves
// shifted up are the even ones; x is given split into even and odd.
static void bf16_fma(const uint16_t *w, const float *xe, const float *xo, float *y, int rows) {
    const __m512i hi = _mm512_set1_epi32((int) 0xFFFF0000u);
    const int Q = rows / 4;
    for (int r = 0; r < Q; r++) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        const uint16_t *w0 = w + (size_t) r * COLS, *w1 = w0 + (size_t) Q * COLS, *w2 = w1 + (size_t) Q * COLS, *w3 = w2 + (size_t) Q * COLS;
        for (int k = 0; k < COLS; k += 32) {
            __m512 e = _mm512_loadu_ps(xe + k / 2), o = _mm512_loadu_ps(xo + k / 2);
            __m512i v0 = _mm512_loadu_si512(w0 + k), v1 = _mm512_loadu_si512(w1 + k);
            __m512i v2 = _mm512_loadu_si512(w2 + k), v3 = _mm512_loadu_si512(w3 + k);
            a0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v0, hi)), o, a0);
            a1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v1, hi)), o, a1);
            a2 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v2, hi)), o, a2);
            a3 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v3, hi)), o, a3);
            a0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v0, 16)), e, a0);
            a1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v1, 16)), e, a1);
            a2 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v2, 16)), e, a2);
            a3 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v3, 16)), e, a3);
        }
        y[r] = _mm512_reduce_add_ps(a0); y[r + Q] = _mm512_reduce_add_ps(a1);
        y[r + 2 * Q] = _mm512_reduce_add_ps(a2); y[r + 3 * Q] = _mm512_reduce_add_ps(a3);
    }
}

// dot: vdpbf16ps with x rounded to bf16.
static void bf16_dot(const uint16_t *w, const uint16_t *xb, float *y, int rows) {
    const int Q = rows / 4;
    for (int r = 0; r < Q; r++) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        const uint16_t *w0 = w + (size_t) r * COLS, *w1 = w0 + (size_t) Q * COLS, *w2 = w1 + (size_t) Q * COLS, *w3 = w2 + (size_t) Q * COLS;
        for (int k = 0; k < COLS; k += 32) {
            __m512bh x = (__m512bh) _mm512_loadu_si512(xb + k);
            a0 = _mm512_dpbf16_ps(a0, (__m512bh) _mm512_loadu_si512(w0 + k), x);
            a1 = _mm512_dpbf16_ps(a1, (__m512bh) _mm512_loadu_si512(w1 + k), x);
            a2 = _mm512_dpbf16_ps(a2, (__m512bh) _mm512_loadu_si512(w2 + k), x);
            a3 = _mm512_dpbf16_ps(a3, (__m512bh) _mm512_loadu_si512(w3 + k), x);
        }
        y[r] = _mm512_reduce_add_ps(a0); y[r + Q] = _mm512_reduce_add_ps(a1);
        y[r + 2 * Q] = _mm512_reduce_add_ps(a2); y[r + 3 * Q] = _mm512_reduce_add_ps(a3);
    }
}

// ---------- int8, f32 scale per group of 64 ----------
#define I8STEP(v, i, xx) t##i = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(v)), xx, t##i)
static void int8_fma(const int8_t *w, const float *s, const float *x, float *y, int rows) {
    const int Q = rows / 4;
    for (int r = 0; r < Q; r++) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        const int8_t *w0 = w + (size_t) r * COLS, *w1 = w0 + (size_t) Q * COLS, *w2 = w1 + (size_t) Q * COLS, *w3 = w2 + (size_t) Q * COLS;
        const float *s0 = s + (size_t) r * G;
        for (int g = 0; g < G; g++) {
            __m512 t0 = _mm512_setzero_ps(), t1 = t0, t2 = t0, t3 = t0;
            for (int k = g * 64; k < g * 64 + 64; k += 16) {
                __m512 xx = _mm512_loadu_ps(x + k);
                I8STEP(_mm_loadu_si128((const __m128i *) (w0 + k)), 0, xx);
                I8STEP(_mm_loadu_si128((const __m128i *) (w1 + k)), 1, xx);
                I8STEP(_mm_loadu_si128((const __m128i *) (w2 + k)), 2, xx);
                I8STEP(_mm_loadu_si128((const __m128i *) (w3 + k)), 3, xx);
            }
            a0 = _mm512_fmadd_ps(t0, _mm512_set1_ps(s0[g]), a0);
            a1 = _mm512_fmadd_ps(t1, _mm512_set1_ps(s0[(size_t) Q * G + g]), a1);
            a2 = _mm512_fmadd_ps(t2, _mm512_set1_ps(s0[(size_t) 2 * Q * G + g]), a2);
            a3 = _mm512_fmadd_ps(t3, _mm512_set1_ps(s0[(size_t) 3 * Q * G + g]), a3);
        }
        y[r] = _mm512_reduce_add_ps(a0); y[r + Q] = _mm512_reduce_add_ps(a1);
        y[r + 2 * Q] = _mm512_reduce_add_ps(a2); y[r + 3 * Q] = _mm512_reduce_add_ps(a3);
    }
}

// dot: codes stored +128 as unsigned bytes; x quantized to int8 per group (scale xs[g]); each group's
// accumulator starts at -128 times the lane sums of x (xneg), so vpdpbusd leaves the signed dot per lane.
static void int8_dot(const uint8_t *w, const float *s, const int8_t *xq, const float *xs, const int32_t *xneg,
                     float *y, int rows) {
    const int Q = rows / 4;
    for (int r = 0; r < Q; r++) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        const uint8_t *w0 = w + (size_t) r * COLS, *w1 = w0 + (size_t) Q * COLS, *w2 = w1 + (size_t) Q * COLS, *w3 = w2 + (size_t) Q * COLS;
        const float *s0 = s + (size_t) r * G;
        for (int g = 0; g < G; g++) {
            __m512i xv = _mm512_loadu_si512(xq + g * 64), n = _mm512_loadu_si512(xneg + g * 16);
            __m512i p0 = _mm512_dpbusd_epi32(n, _mm512_loadu_si512(w0 + g * 64), xv);
            __m512i p1 = _mm512_dpbusd_epi32(n, _mm512_loadu_si512(w1 + g * 64), xv);
            __m512i p2 = _mm512_dpbusd_epi32(n, _mm512_loadu_si512(w2 + g * 64), xv);
            __m512i p3 = _mm512_dpbusd_epi32(n, _mm512_loadu_si512(w3 + g * 64), xv);
            float q = xs[g];
            a0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p0), _mm512_set1_ps(s0[g] * q), a0);
            a1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p1), _mm512_set1_ps(s0[(size_t) Q * G + g] * q), a1);
            a2 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p2), _mm512_set1_ps(s0[(size_t) 2 * Q * G + g] * q), a2);
            a3 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p3), _mm512_set1_ps(s0[(size_t) 3 * Q * G + g] * q), a3);
        }
        y[r] = _mm512_reduce_add_ps(a0); y[r + Q] = _mm512_reduce_add_ps(a1);
        y[r + 2 * Q] = _mm512_reduce_add_ps(a2); y[r + 3 * Q] = _mm512_reduce_add_ps(a3);
    }
}

// ---------- int4, zero point 8, f32 scale per group of 64 ----------
// Layout for both: per row, 64 bytes hold two groups (128 codes). Byte b of the 64 holds code lo(b) in its low
// nibble and hi(b) in its high nibble; group = b / 32; within a group, byte j holds codes j and j + 32.
// fma: as Strata's kernel, codes are masked in place in 32-bit lanes (p & 0xF << 4k = q * 2^4k) and x is given
// pre-scaled by 2^-4k in the matching order (xp, 8 vectors of 16 per two groups), with sum(x) per group (xsum) for
// the zero point. The top nibble (k = 7) is shifted down instead, since its mask is negative as an int.
static void int4_fma(const uint8_t *w, const float *s, const float *xp, const float *xsum, float *y, int rows) {
    const int RB = COLS / 2;
    const int Q = rows / 4;
    for (int r = 0; r < Q; r++) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        float z0 = 0, z1 = 0, z2 = 0, z3 = 0;
        const uint8_t *w0 = w + (size_t) r * RB, *w1 = w0 + (size_t) Q * RB, *w2 = w1 + (size_t) Q * RB, *w3 = w2 + (size_t) Q * RB;
        const float *s0 = s + (size_t) r * G;
        for (int gg = 0; gg < G; gg += 2) {
            const float *xb = xp + gg * 64;
            __m512i p0 = _mm512_loadu_si512(w0 + gg * 32), p1 = _mm512_loadu_si512(w1 + gg * 32);
            __m512i p2 = _mm512_loadu_si512(w2 + gg * 32), p3 = _mm512_loadu_si512(w3 + gg * 32);
            __m512 t0 = _mm512_setzero_ps(), t1 = t0, t2 = t0, t3 = t0;
            for (int k = 0; k < 7; k++) {
                __m512i m = _mm512_set1_epi32(0xF << (4 * k));
                __m512 xx = _mm512_loadu_ps(xb + 16 * k);
                t0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_and_si512(p0, m)), xx, t0);
                t1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_and_si512(p1, m)), xx, t1);
                t2 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_and_si512(p2, m)), xx, t2);
                t3 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_and_si512(p3, m)), xx, t3);
            }
            __m512 xx = _mm512_loadu_ps(xb + 112);
            t0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(p0, 28)), xx, t0);
            t1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(p1, 28)), xx, t1);
            t2 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(p2, 28)), xx, t2);
            t3 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(p3, 28)), xx, t3);
            // lanes 0..7 are the first group, 8..15 the second
#define SC(sr) _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps((sr)[gg])), _mm256_set1_ps((sr)[gg + 1]), 1)
            a0 = _mm512_fmadd_ps(t0, SC(s0), a0);
            a1 = _mm512_fmadd_ps(t1, SC(s0 + (size_t) Q * G), a1);
            a2 = _mm512_fmadd_ps(t2, SC(s0 + (size_t) 2 * Q * G), a2);
            a3 = _mm512_fmadd_ps(t3, SC(s0 + (size_t) 3 * Q * G), a3);
            z0 += s0[gg] * xsum[gg] + s0[gg + 1] * xsum[gg + 1];
            z1 += s0[(size_t) Q * G + gg] * xsum[gg] + s0[(size_t) Q * G + gg + 1] * xsum[gg + 1];
            z2 += s0[(size_t) 2 * Q * G + gg] * xsum[gg] + s0[(size_t) 2 * Q * G + gg + 1] * xsum[gg + 1];
            z3 += s0[(size_t) 3 * Q * G + gg] * xsum[gg] + s0[(size_t) 3 * Q * G + gg + 1] * xsum[gg + 1];
        }
        y[r] = _mm512_reduce_add_ps(a0) - 8 * z0; y[r + Q] = _mm512_reduce_add_ps(a1) - 8 * z1;
        y[r + 2 * Q] = _mm512_reduce_add_ps(a2) - 8 * z2; y[r + 3 * Q] = _mm512_reduce_add_ps(a3) - 8 * z3;
    }
}

// dot: the low and high nibbles of the 64 bytes make two vectors of unsigned codes; x quantized to int8 per group
// and laid out to match (xlo, xhi: 64 bytes per two groups each); each pair of groups' accumulator starts at -8 times
// the lane sums of x (xneg, 16 ints per two groups).
static void int4_dot(const uint8_t *w, const float *s, const int8_t *xlo, const int8_t *xhi, const float *xs,
                     const int32_t *xneg, float *y, int rows) {
    const int RB = COLS / 2;
    const __m512i lowNibble = _mm512_set1_epi8(0x0F);
    const int Q = rows / 4;
    for (int r = 0; r < Q; r++) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        const uint8_t *w0 = w + (size_t) r * RB, *w1 = w0 + (size_t) Q * RB, *w2 = w1 + (size_t) Q * RB, *w3 = w2 + (size_t) Q * RB;
        const float *s0 = s + (size_t) r * G;
        for (int gg = 0; gg < G; gg += 2) {
            __m512i xl = _mm512_loadu_si512(xlo + gg * 32), xh = _mm512_loadu_si512(xhi + gg * 32);
            __m512i n = _mm512_loadu_si512(xneg + gg * 8);
#define I4(wr, acc, sr)                                                                                           \
    {                                                                                                             \
        __m512i v = _mm512_loadu_si512((wr) + gg * 32);                                                           \
        __m512i p = _mm512_dpbusd_epi32(n, _mm512_and_si512(v, lowNibble), xl);                                   \
        p = _mm512_dpbusd_epi32(p, _mm512_and_si512(_mm512_srli_epi16(v, 4), lowNibble), xh);                     \
        __m512 sc = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps((sr)[gg] * xs[gg])),                 \
                                       _mm256_set1_ps((sr)[gg + 1] * xs[gg + 1]), 1);                             \
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), sc, acc);                                                    \
    }
            I4(w0, a0, s0) I4(w1, a1, s0 + (size_t) Q * G) I4(w2, a2, s0 + (size_t) 2 * Q * G) I4(w3, a3, s0 + (size_t) 3 * Q * G)
        }
        y[r] = _mm512_reduce_add_ps(a0); y[r + Q] = _mm512_reduce_add_ps(a1);
        y[r + 2 * Q] = _mm512_reduce_add_ps(a2); y[r + 3 * Q] = _mm512_reduce_add_ps(a3);
    }
}

// ---------- plain read ----------
static volatile float sink;

static float readAll(const uint8_t *w, size_t bytes) {
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < bytes; i += 256) {
        a0 = _mm512_add_epi32(a0, _mm512_loadu_si512(w + i));
        a1 = _mm512_add_epi32(a1, _mm512_loadu_si512(w + i + 64));
        a2 = _mm512_add_epi32(a2, _mm512_loadu_si512(w + i + 128));
        a3 = _mm512_add_epi32(a3, _mm512_loadu_si512(w + i + 192));
    }
    return (float) _mm512_reduce_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)));
}

static float bf(uint16_t b) { uint32_t u = (uint32_t) b << 16; float f; memcpy(&f, &u, 4); return f; }
static uint16_t tobf(float f) { uint32_t u; memcpy(&u, &f, 4); return (uint16_t) ((u + 0x7FFF + ((u >> 16) & 1)) >> 16); }

static void check(const char *what, const float *y, const double *ref, int rows) {
    double worst = 0, scale = 1e-30;
    for (int r = 0; r < rows; r++) { scale = fmax(scale, fabs(ref[r])); }
    for (int r = 0; r < rows; r++) { worst = fmax(worst, fabs(y[r] - ref[r]) / scale); }
    if (worst > 1e-4) { fprintf(stderr, "%s: off by %.3g of the largest output\n", what, worst); exit(2); }
}


// times fn until 0.25 s have passed, five times; returns the fastest call's seconds
#define TIME(best, call)                                                                                          \
    {                                                                                                             \
        best = 1e30;                                                                                              \
        for (int round = 0; round < 5; round++) {                                                                 \
            int n_ = 0;                                                                                           \
            double t0_ = now(), t_;                                                                               \
            do { call; n_++; t_ = now(); } while (t_ - t0_ < 0.25);                                               \
            best = fmin(best, (t_ - t0_) / n_);                                                                   \
        }                                                                                                         \
    }

// ---------- the inputs, and one or two threads over halves of the rows ----------
static int rows, threads;
static float *y, *s, x[COLS], xe[COLS / 2], xo[COLS / 2], xs[G], xp[COLS], xsum[G];
static uint16_t *wb, xb[COLS];
static int8_t *w8, xq[COLS], xlo[COLS / 2], xhi[COLS / 2];
static uint8_t *w8u, *w4;
static int32_t xneg8[G * 16], xneg4[G * 8];

typedef void (*part)(int r0, int nr);
static void p_read(int r0, int nr) { sink = readAll((const uint8_t *) (wb + (size_t) r0 * COLS), (size_t) nr * COLS * 2); }
static void p_bf16_fma(int r0, int nr) { bf16_fma(wb + (size_t) r0 * COLS, xe, xo, y + r0, nr); }
static void p_bf16_dot(int r0, int nr) { bf16_dot(wb + (size_t) r0 * COLS, xb, y + r0, nr); }
static void p_int8_fma(int r0, int nr) { int8_fma(w8 + (size_t) r0 * COLS, s + (size_t) r0 * G, x, y + r0, nr); }
static void p_int8_dot(int r0, int nr) { int8_dot(w8u + (size_t) r0 * COLS, s + (size_t) r0 * G, xq, xs, xneg8, y + r0, nr); }
static void p_int4_fma(int r0, int nr) { int4_fma(w4 + (size_t) r0 * COLS / 2, s + (size_t) r0 * G, xp, xsum, y + r0, nr); }
static void p_int4_dot(int r0, int nr) { int4_dot(w4 + (size_t) r0 * COLS / 2, s + (size_t) r0 * G, xlo, xhi, xs, xneg4, y + r0, nr); }

struct half { part f; int r0, nr; };
static void *runHalf(void *h) { struct half *q = h; q->f(q->r0, q->nr); return NULL; }
static void par(part f) {
    if (threads == 1) { f(0, rows); return; }
    struct half other = {f, rows / 2, rows / 2};
    pthread_t t;
    pthread_create(&t, NULL, runHalf, &other);
    f(0, rows / 2);
    pthread_join(t, NULL);
}

int main(int argc, char **argv) {
    rows = argc > 1 ? atoi(argv[1]) : 256;
    threads = argc > 2 ? atoi(argv[2]) : 1;
    if (rows % 8 || threads < 1 || threads > 2) { fprintf(stderr, "usage: isa_bound ROWS [THREADS]: ROWS a multiple of 8, THREADS 1 or 2\n"); return 1; }
    size_t n = (size_t) rows * COLS;
    y = big(rows * 4); s = big((size_t) rows * G * 4);
    double *ref = malloc(rows * 8);
    for (int k = 0; k < COLS; k++) x[k] = unit();
    for (size_t i = 0; i < (size_t) rows * G; i++) s[i] = 0.01f + 0.001f * (next() % 64);

    // bf16
    wb = big(n * 2);
    for (size_t i = 0; i < n; i++) wb[i] = tobf(unit());
    for (int k = 0; k < COLS; k++) xb[k] = tobf(x[k]);
    for (int k = 0; k < COLS / 2; k++) { xe[k] = x[2 * k]; xo[k] = x[2 * k + 1]; }
    // the fma layout pairs element 2j (low half of int lane j) with xe[j]; in a 512-bit load of 32 bf16, lane j
    // holds elements 2j and 2j+1 of that chunk, so xe/xo chunks of 16 line up with k/2
    for (int r = 0; r < rows; r++) { double a = 0; for (int k = 0; k < COLS; k++) a += (double) bf(wb[(size_t) r * COLS + k]) * x[k]; ref[r] = a; }
    par(p_bf16_fma); check("bf16 fma", y, ref, rows);
    for (int r = 0; r < rows; r++) { double a = 0; for (int k = 0; k < COLS; k++) a += (double) bf(wb[(size_t) r * COLS + k]) * bf(xb[k]); ref[r] = a; }
    par(p_bf16_dot); check("bf16 dot", y, ref, rows);

    // int8
    w8 = big(n);
    w8u = big(n);
    for (size_t i = 0; i < n; i++) { w8[i] = (int8_t) ((int) (next() % 255) - 127); w8u[i] = (uint8_t) (w8[i] + 128); }
    for (int g = 0; g < G; g++) {
        float m = 0;
        for (int k = 0; k < 64; k++) m = fmaxf(m, fabsf(x[g * 64 + k]));
        xs[g] = m / 127;
        for (int k = 0; k < 64; k++) xq[g * 64 + k] = (int8_t) lrintf(x[g * 64 + k] / xs[g]);
        for (int l = 0; l < 16; l++) { int sum = 0; for (int b = 0; b < 4; b++) sum += xq[g * 64 + 4 * l + b]; xneg8[g * 16 + l] = -128 * sum; }
    }
    for (int r = 0; r < rows; r++) { double a = 0; for (int k = 0; k < COLS; k++) a += (double) w8[(size_t) r * COLS + k] * s[(size_t) r * G + k / 64] * x[k]; ref[r] = a; }
    par(p_int8_fma); check("int8 fma", y, ref, rows);
    for (int r = 0; r < rows; r++) { double a = 0; for (int k = 0; k < COLS; k++) a += (double) w8[(size_t) r * COLS + k] * s[(size_t) r * G + k / 64] * xq[k] * xs[k / 64]; ref[r] = a; }
    par(p_int8_dot); check("int8 dot", y, ref, rows);

    // int4: code(r, k) for k = 64 g + c, c < 32 in the low nibble of byte 32 g + c, else the high nibble of byte 32 g + c - 32
    w4 = big(n / 2);
    for (size_t i = 0; i < n / 2; i++) w4[i] = (uint8_t) next();
    // fma layout: per two groups, the 64 bytes are 16 int lanes; nibble k of lane l (k = 0..7) is byte 4l + k/2,
    // low nibble if k even; that byte b is in group gg + b/32 at code (b % 32) + 32 (k odd)
    for (int gg = 0; gg < G; gg += 2)
        for (int l = 0; l < 16; l++)
            for (int k = 0; k < 8; k++) {
                int b = 4 * l + k / 2, g = gg + b / 32, c = (b % 32) + (k % 2) * 32;
                xp[gg * 64 + 16 * k + l] = x[g * 64 + c] * ldexpf(1.0f, k < 7 ? -4 * k : 0);
            }
    for (int g = 0; g < G; g++) { double a = 0; for (int c = 0; c < 64; c++) a += x[g * 64 + c]; xsum[g] = (float) a; }
    for (int gg = 0; gg < G; gg += 2) {
        for (int b = 0; b < 64; b++) {
            int g = gg + b / 32, c = b % 32;
            xlo[gg * 32 + b] = xq[g * 64 + c];
            xhi[gg * 32 + b] = xq[g * 64 + c + 32];
        }
        for (int l = 0; l < 16; l++) {
            int sum = 0;
            for (int b = 0; b < 4; b++) sum += xlo[gg * 32 + 4 * l + b] + xhi[gg * 32 + 4 * l + b];
            xneg4[gg * 8 + l] = -8 * sum;
        }
    }
    for (int r = 0; r < rows; r++) {
        double a = 0, aq = 0;
        for (int k = 0; k < COLS; k++) {
            int g = k / 64, c = k % 64;
            uint8_t byte = w4[(size_t) r * (COLS / 2) + g * 32 + (c % 32)];
            int q = (c < 32 ? byte & 15 : byte >> 4) - 8;
            a += (double) q * s[(size_t) r * G + g] * x[k];
            aq += (double) q * s[(size_t) r * G + g] * xq[k] * xs[g];
        }
        ref[r] = a;
        y[r] = (float) aq;
    }
    double *refq = malloc(rows * 8);
    for (int r = 0; r < rows; r++) refq[r] = y[r];
    par(p_int4_fma); check("int4 fma", y, ref, rows);
    par(p_int4_dot); check("int4 dot", y, refq, rows);

    double t;
    double macs = (double) n;
    printf("{\"rows\": %d, \"cols\": %d, \"threads\": %d, \"results\": [\n", rows, COLS, threads);
#define REPORT(name, bytes, call, last)                                                                           \
    TIME(t, call);                                                                                                \
    printf("  {\"loop\": \"%s\", \"weight_bytes\": %zu, \"gb_per_s\": %.2f, \"g_mac_per_s\": %.2f}%s\n", name,      \
           (size_t) (bytes), (bytes) / t / 1e9, macs / t / 1e9, last ? "" : ",");
    REPORT("read", n * 2, par(p_read), 0);
    REPORT("bf16 fma", n * 2, par(p_bf16_fma), 0);
    REPORT("bf16 dot (vdpbf16ps)", n * 2, par(p_bf16_dot), 0);
    REPORT("int8 fma", n + n / 64 * 4, par(p_int8_fma), 0);
    REPORT("int8 dot (vpdpbusd)", n + n / 64 * 4, par(p_int8_dot), 0);
    REPORT("int4 fma", n / 2 + n / 64 * 4, par(p_int4_fma), 0);
    REPORT("int4 dot (vpdpbusd)", n / 2 + n / 64 * 4, par(p_int4_dot), 1);
    printf("]}\n");
    return 0;
}
