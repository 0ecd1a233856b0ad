// Vector API kernels for quantized and gathered-row layouts. Vector constants live here, never in
// the provider (QuantKernelsProvider), so the provider loads and logs a fallback without the module.
package io.strata.compression.kernel;

import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.compression.quant.QuantizedMatrix;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * 256-bit kernels (8 float lanes). The width is fixed rather than preferred: one pass unpacks 8
 * packed bytes, which is exactly 32 INT2 / 16 INT4 / 8 INT8 codes, so a pass never straddles a
 * group (groups are 32, 64 or 128 weights) on any machine, AVX-512 included. INT3 has no vector
 * path (its 3-byte packs do not map onto lanes) and runs the scalar twin.
 */
public final class VectorQuantKernels implements QuantKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    static final int L = 8;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Rows of a gathered down projection combined per pass over a y tile (y is loaded once per 4 rows). */
    static final int ROW_BLOCK = 4;

    private final ScalarQuantKernels scalar = new ScalarQuantKernels();

    /** Bits of the machine's preferred float vector; below 256 the provider stays scalar. */
    public static int preferredBits() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    @Override
    public String name() {
        return "vector-" + F.vectorBitSize();
    }

    /*
     * Quantized matvec. Per group: Σ_c (q_c − z)·s·x_c = s·(Σ_c q_c·x_c − z·Σ_c x_c). The code dot
     * Σ q·x is accumulated in a vector per group, scaled by s into a vector row accumulator (one
     * reduction per row, not per group), and z·s·Σx comes from per-group sums of x computed once
     * per call. One int lane holds one packed byte: shifting by bits·k and masking gives code
     * k of each byte, i.e. elements {vpb·i + k}; x is permuted once per call (O(cols) against
     * O(rows·cols)) so that those elements are contiguous: xp[chunk + k·8 + i] = x[chunk + vpb·i + k].
     */
    @Override
    public void matmul(QuantizedMatrix w, float[] x, int n, float[] out, int r0, int r1) {
        int bits = w.format().bits();
        if (bits == 3) {
            scalar.matmul(w, x, n, out, r0, r1);
            return;
        }
        int cols = w.cols(), gs = w.format().groupSize(), groups = cols / gs, vpb = 8 / bits;
        float[] xp = new float[n * cols];     // (n, cols) x permuted to the lane order of the codes
        float[] xsum = new float[n * groups]; // (n, groups) Σ x over each group
        int chunk = L * vpb;                  // weights per 8-byte pass
        for (int t = 0; t < n; t++) {
            int xo = t * cols;
            for (int c0 = 0; c0 < cols; c0 += chunk) {
                for (int k = 0; k < vpb; k++) {
                    for (int i = 0; i < L; i++) xp[xo + c0 + k * L + i] = x[xo + c0 + vpb * i + k];
                }
            }
            for (int g = 0; g < groups; g++) {
                float s = 0f;
                for (int c = g * gs; c < (g + 1) * gs; c++) s += x[xo + c];
                xsum[t * groups + g] = s;
            }
        }
        switch (bits) {
            case 2 -> matmulInt2(w, xp, xsum, n, out, r0, r1);
            case 4 -> matmulInt4(w, xp, xsum, n, out, r0, r1);
            case 8 -> matmulInt8(w, xp, xsum, n, out, r0, r1);
            default -> throw new IllegalStateException("bits " + bits);
        }
    }

    private static IntVector bytes(MemorySegment seg, long off) {
        return (IntVector) ByteVector.fromMemorySegment(B, seg, off, LE).convertShape(VectorOperators.B2I, I, 0);
    }

    private static FloatVector codes(IntVector packed, int shift, int mask) {
        IntVector q = shift == 0 ? packed.and(mask) : packed.lanewise(VectorOperators.LSHR, shift).and(mask);
        return (FloatVector) q.convert(VectorOperators.I2F, 0);
    }

    private static void matmulInt2(QuantizedMatrix w, float[] xp, float[] xsum, int n, float[] out, int r0, int r1) {
        int rows = w.rows(), cols = w.cols(), gs = w.format().groupSize(), groups = cols / gs;
        MemorySegment seg = w.data();
        long rowBytes = cols / 4;
        for (int r = r0; r < r1; r++) {
            for (int t = 0; t < n; t++) {
                int xo = t * cols;
                FloatVector acc = FloatVector.zero(F);
                float zterm = 0f;
                for (int g = 0; g < groups; g++) {
                    FloatVector ag = FloatVector.zero(F);
                    for (int c = g * gs; c < (g + 1) * gs; c += 32) {
                        IntVector p = bytes(seg, r * rowBytes + c / 4);
                        int o = xo + c;
                        ag = codes(p, 0, 3).fma(FloatVector.fromArray(F, xp, o), ag);
                        ag = codes(p, 2, 3).fma(FloatVector.fromArray(F, xp, o + 8), ag);
                        ag = codes(p, 4, 3).fma(FloatVector.fromArray(F, xp, o + 16), ag);
                        ag = codes(p, 6, 3).fma(FloatVector.fromArray(F, xp, o + 24), ag);
                    }
                    float s = w.scale(r, g);
                    acc = ag.fma(FloatVector.broadcast(F, s), acc);
                    zterm += s * w.zero(r, g) * xsum[t * groups + g];
                }
                out[t * rows + r] = acc.reduceLanes(VectorOperators.ADD) - zterm;
            }
        }
    }

    private static void matmulInt4(QuantizedMatrix w, float[] xp, float[] xsum, int n, float[] out, int r0, int r1) {
        int rows = w.rows(), cols = w.cols(), gs = w.format().groupSize(), groups = cols / gs;
        MemorySegment seg = w.data();
        long rowBytes = cols / 2;
        for (int r = r0; r < r1; r++) {
            for (int t = 0; t < n; t++) {
                int xo = t * cols;
                FloatVector acc = FloatVector.zero(F);
                float zterm = 0f;
                for (int g = 0; g < groups; g++) {
                    FloatVector ag = FloatVector.zero(F);
                    for (int c = g * gs; c < (g + 1) * gs; c += 16) {
                        IntVector p = bytes(seg, r * rowBytes + c / 2);
                        int o = xo + c;
                        ag = codes(p, 0, 15).fma(FloatVector.fromArray(F, xp, o), ag);
                        ag = codes(p, 4, 15).fma(FloatVector.fromArray(F, xp, o + 8), ag);
                    }
                    float s = w.scale(r, g);
                    acc = ag.fma(FloatVector.broadcast(F, s), acc);
                    zterm += s * w.zero(r, g) * xsum[t * groups + g];
                }
                out[t * rows + r] = acc.reduceLanes(VectorOperators.ADD) - zterm;
            }
        }
    }

    private static void matmulInt8(QuantizedMatrix w, float[] xp, float[] xsum, int n, float[] out, int r0, int r1) {
        int rows = w.rows(), cols = w.cols(), gs = w.format().groupSize(), groups = cols / gs;
        MemorySegment seg = w.data();
        long rowBytes = cols;
        for (int r = r0; r < r1; r++) {
            for (int t = 0; t < n; t++) {
                int xo = t * cols;
                FloatVector acc = FloatVector.zero(F);
                float zterm = 0f;
                for (int g = 0; g < groups; g++) {
                    FloatVector ag = FloatVector.zero(F);
                    for (int c = g * gs; c < (g + 1) * gs; c += 8) {
                        ag = codes(bytes(seg, r * rowBytes + c), 0, 255).fma(FloatVector.fromArray(F, xp, xo + c), ag);
                    }
                    float s = w.scale(r, g);
                    acc = ag.fma(FloatVector.broadcast(F, s), acc);
                    zterm += s * w.zero(r, g) * xsum[t * groups + g];
                }
                out[t * rows + r] = acc.reduceLanes(VectorOperators.ADD) - zterm;
            }
        }
    }

    /*
     * Gathered bf16 rows: one int lane holds two bf16 values (element 2j low, 2j+1 high), so a
     * shift gives the even elements as floats and a mask the odd ones, with x split once per call
     * into even/odd halves to match (the same trick as VectorDenseKernels).
     */
    @Override
    public void gatherRowsDot(Matrix w, int[] rows, float[] x, float[] out, int k0, int k1) {
        QuantKernels.checkGathered(w, rows, k1);
        int cols = w.cols(), step = 2 * L, vecCols = cols - cols % step, half = vecCols / 2;
        float[] xe = new float[half], xo = new float[half]; // (vecCols/2) even and odd elements of x
        for (int j = 0; j < half; j++) {
            xe[j] = x[2 * j];
            xo[j] = x[2 * j + 1];
        }
        MemorySegment seg = w.data();
        long rowBytes = 2L * cols;
        for (int k = k0; k < k1; k++) {
            long base = rows[k] * rowBytes;
            // two accumulators: the fma latency chain is the bound once the row streams from cache
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
            for (int c = 0, j = 0; c < vecCols; c += step, j += L) {
                IntVector iv = IntVector.fromMemorySegment(I, seg, base + 2L * c, LE);
                a0 = iv.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, xe, j), a0);
                a1 = iv.and(0xFFFF0000).reinterpretAsFloats().fma(FloatVector.fromArray(F, xo, j), a1);
            }
            float acc = a0.add(a1).reduceLanes(VectorOperators.ADD);
            for (int c = vecCols; c < cols; c++) acc += Halfs.bf16ToFloat(seg.get(Layouts.I16, base + 2L * c)) * x[c];
            out[k] = acc;
        }
    }

    /*
     * Gathered transposed-down rows: y[c0..c1) is split into even/odd planes (ye, yo) matching the
     * bf16 pair trick, ROW_BLOCK rows are folded into each plane load/store so y traffic is a
     * quarter of the weight traffic, and the planes are interleaved back at the end.
     */
    @Override
    public void scatterRowsAxpy(Matrix wT, int[] rows, float[] h, int count, float[] y, int c0, int c1) {
        QuantKernels.checkGathered(wT, rows, count);
        int cols = wT.cols(), step = 2 * L, span = c1 - c0, vecSpan = span - span % step, half = vecSpan / 2;
        float[] ye = new float[half], yo = new float[half]; // (vecSpan/2) even/odd elements of y[c0 ..)
        for (int j = 0; j < half; j++) {
            ye[j] = y[c0 + 2 * j];
            yo[j] = y[c0 + 2 * j + 1];
        }
        MemorySegment seg = wT.data();
        long rowBytes = 2L * cols;
        int k = 0;
        for (; k + ROW_BLOCK <= count; k += ROW_BLOCK) {
            long b0 = rows[k] * rowBytes + 2L * c0, b1 = rows[k + 1] * rowBytes + 2L * c0,
                    b2 = rows[k + 2] * rowBytes + 2L * c0, b3 = rows[k + 3] * rowBytes + 2L * c0;
            FloatVector h0 = FloatVector.broadcast(F, h[k]), h1 = FloatVector.broadcast(F, h[k + 1]),
                    h2 = FloatVector.broadcast(F, h[k + 2]), h3 = FloatVector.broadcast(F, h[k + 3]);
            for (int j = 0; j < half; j += L) {
                long off = 4L * j;
                IntVector w0 = IntVector.fromMemorySegment(I, seg, b0 + off, LE), w1 = IntVector.fromMemorySegment(I, seg, b1 + off, LE),
                        w2 = IntVector.fromMemorySegment(I, seg, b2 + off, LE), w3 = IntVector.fromMemorySegment(I, seg, b3 + off, LE);
                FloatVector e = FloatVector.fromArray(F, ye, j), o = FloatVector.fromArray(F, yo, j);
                e = even(w0).fma(h0, e);
                o = odd(w0).fma(h0, o);
                e = even(w1).fma(h1, e);
                o = odd(w1).fma(h1, o);
                e = even(w2).fma(h2, e);
                o = odd(w2).fma(h2, o);
                e = even(w3).fma(h3, e);
                o = odd(w3).fma(h3, o);
                e.intoArray(ye, j);
                o.intoArray(yo, j);
            }
        }
        for (; k < count; k++) {
            long b = rows[k] * rowBytes + 2L * c0;
            FloatVector hk = FloatVector.broadcast(F, h[k]);
            for (int j = 0; j < half; j += L) {
                IntVector wv = IntVector.fromMemorySegment(I, seg, b + 4L * j, LE);
                even(wv).fma(hk, FloatVector.fromArray(F, ye, j)).intoArray(ye, j);
                odd(wv).fma(hk, FloatVector.fromArray(F, yo, j)).intoArray(yo, j);
            }
        }
        for (int j = 0; j < half; j++) {
            y[c0 + 2 * j] = ye[j];
            y[c0 + 2 * j + 1] = yo[j];
        }
        if (vecSpan < span) { // tail columns
            for (int kk = 0; kk < count; kk++) {
                long base = rows[kk] * rowBytes;
                float hk = h[kk];
                for (int c = c0 + vecSpan; c < c1; c++) y[c] += hk * Halfs.bf16ToFloat(seg.get(Layouts.I16, base + 2L * c));
            }
        }
    }

    private static FloatVector even(IntVector pairs) {
        return pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static FloatVector odd(IntVector pairs) {
        return pairs.and(0xFFFF0000).reinterpretAsFloats();
    }
}
