// The dense Vector API kernels as they were before fixed-order lane sums (reduceLanes(ADD)): kept only
// so JMH can measure the cost of the fixed order side by side. Not used by the runtime.
package io.strata.bench.kernels.baseline;

import io.strata.compression.kernel.*;

import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

public final class BaselineDenseKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Tokens processed per pass over a weight row: each row is read once per block. */
    static final int TOKEN_BLOCK = 4;

    public static int lanes() {
        return L;
    }

    public String name() {
        return "vector-" + F.vectorBitSize();
    }

    public void matmul(Matrix w, float[] x, int n, float[] out, int r0, int r1) {
        switch (w.dtype()) {
            case BF16 -> matmulBf16(w, x, n, out, r0, r1);
            case F32 -> matmulF32(w, x, n, out, r0, r1);
            case F16 -> matmulF16(w, x, n, out, r0, r1);
            default -> throw new IllegalArgumentException(w.name() + ": unsupported dtype " + w.dtype());
        }
    }

    /*
     * bf16: one int lane holds two bf16 values (element 2j in the low half, 2j+1 in the high half,
     * little endian). Shifting left by 16 gives the even elements as floats, masking the low half
     * gives the odd ones: no shuffles in the inner loop. x is split once per call into its even
     * and odd elements (xe, xo) to match: O(cols) work against O(rows*cols).
     */
    private static void matmulBf16(Matrix w, float[] x, int n, float[] out, int r0, int r1) {
        int cols = w.cols(), rows = w.rows();
        int step = 2 * L;                 // bf16 elements per int vector
        int vecCols = cols - cols % step; // columns done with vectors
        int half = vecCols / 2;
        float[] xe = new float[n * half], xo = new float[n * half];
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < half; j++) {
                xe[t * half + j] = x[t * cols + 2 * j];
                xo[t * half + j] = x[t * cols + 2 * j + 1];
            }
        }
        MemorySegment seg = w.data();
        long rowBytes = (long) cols * 2;
        int r = r0;
        if (n == 1) {
            // Decode: four rows per pass share each load of x, so x (from cache) costs a quarter of
            // the loads per weight byte and the loop stays memory-bound rather than load-port-bound.
            for (; r + 4 <= r1; r += 4) rows4Bf16(seg, r, rowBytes, cols, vecCols, half, xe, xo, x, out);
        }
        for (; r < r1; r++) {
            long base = r * rowBytes;
            for (int t0 = 0; t0 < n; t0 += TOKEN_BLOCK) {
                int nb = Math.min(TOKEN_BLOCK, n - t0);
                FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
                for (int c = 0, j = 0; c < vecCols; c += step, j += L) {
                    IntVector iv = IntVector.fromMemorySegment(I, seg, base + 2L * c, LE);
                    FloatVector we = iv.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                    FloatVector wo = iv.and(0xFFFF0000).reinterpretAsFloats();
                    int o = t0 * half + j;
                    a0 = we.fma(FloatVector.fromArray(F, xe, o), a0);
                    a0 = wo.fma(FloatVector.fromArray(F, xo, o), a0);
                    if (nb > 1) {
                        a1 = we.fma(FloatVector.fromArray(F, xe, o + half), a1);
                        a1 = wo.fma(FloatVector.fromArray(F, xo, o + half), a1);
                        if (nb > 2) {
                            a2 = we.fma(FloatVector.fromArray(F, xe, o + 2 * half), a2);
                            a2 = wo.fma(FloatVector.fromArray(F, xo, o + 2 * half), a2);
                            if (nb > 3) {
                                a3 = we.fma(FloatVector.fromArray(F, xe, o + 3 * half), a3);
                                a3 = wo.fma(FloatVector.fromArray(F, xo, o + 3 * half), a3);
                            }
                        }
                    }
                }
                for (int k = 0; k < nb; k++) {
                    FloatVector a = k == 0 ? a0 : k == 1 ? a1 : k == 2 ? a2 : a3;
                    float acc = a.reduceLanes(VectorOperators.ADD);
                    int xoff = (t0 + k) * cols;
                    for (int c = vecCols; c < cols; c++) {
                        acc += Halfs.bf16ToFloat(seg.get(Layouts.I16, base + 2L * c)) * x[xoff + c];
                    }
                    out[(t0 + k) * rows + r] = acc;
                }
            }
        }
    }

    /** out[r .. r+3] for one token (see matmulBf16 for the even/odd trick). */
    private static void rows4Bf16(MemorySegment seg, int r, long rowBytes, int cols, int vecCols, int half,
                                  float[] xe, float[] xo, float[] x, float[] out) {
        long b0 = r * rowBytes, b1 = b0 + rowBytes, b2 = b1 + rowBytes, b3 = b2 + rowBytes;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int c = 0, j = 0; c < vecCols; c += 2 * L, j += L) {
            FloatVector ve = FloatVector.fromArray(F, xe, j), vo = FloatVector.fromArray(F, xo, j);
            long off = 2L * c;
            IntVector i0 = IntVector.fromMemorySegment(I, seg, b0 + off, LE);
            IntVector i1 = IntVector.fromMemorySegment(I, seg, b1 + off, LE);
            IntVector i2 = IntVector.fromMemorySegment(I, seg, b2 + off, LE);
            IntVector i3 = IntVector.fromMemorySegment(I, seg, b3 + off, LE);
            a0 = i0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(ve, a0);
            a1 = i1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(ve, a1);
            a2 = i2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(ve, a2);
            a3 = i3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(ve, a3);
            a0 = i0.and(0xFFFF0000).reinterpretAsFloats().fma(vo, a0);
            a1 = i1.and(0xFFFF0000).reinterpretAsFloats().fma(vo, a1);
            a2 = i2.and(0xFFFF0000).reinterpretAsFloats().fma(vo, a2);
            a3 = i3.and(0xFFFF0000).reinterpretAsFloats().fma(vo, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (int c = vecCols; c < cols; c++) {
            float xc = x[c];
            s0 += Halfs.bf16ToFloat(seg.get(Layouts.I16, b0 + 2L * c)) * xc;
            s1 += Halfs.bf16ToFloat(seg.get(Layouts.I16, b1 + 2L * c)) * xc;
            s2 += Halfs.bf16ToFloat(seg.get(Layouts.I16, b2 + 2L * c)) * xc;
            s3 += Halfs.bf16ToFloat(seg.get(Layouts.I16, b3 + 2L * c)) * xc;
        }
        out[r] = s0;
        out[r + 1] = s1;
        out[r + 2] = s2;
        out[r + 3] = s3;
    }

    private static void matmulF32(Matrix w, float[] x, int n, float[] out, int r0, int r1) {
        int cols = w.cols(), rows = w.rows();
        int vecCols = cols - cols % L;
        MemorySegment seg = w.data();
        long rowBytes = (long) cols * 4;
        for (int r = r0; r < r1; r++) {
            long base = r * rowBytes;
            for (int t0 = 0; t0 < n; t0 += TOKEN_BLOCK) {
                int nb = Math.min(TOKEN_BLOCK, n - t0);
                FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
                for (int c = 0; c < vecCols; c += L) {
                    FloatVector wv = FloatVector.fromMemorySegment(F, seg, base + 4L * c, LE);
                    int o = t0 * cols + c;
                    a0 = wv.fma(FloatVector.fromArray(F, x, o), a0);
                    if (nb > 1) {
                        a1 = wv.fma(FloatVector.fromArray(F, x, o + cols), a1);
                        if (nb > 2) {
                            a2 = wv.fma(FloatVector.fromArray(F, x, o + 2 * cols), a2);
                            if (nb > 3) a3 = wv.fma(FloatVector.fromArray(F, x, o + 3 * cols), a3);
                        }
                    }
                }
                for (int k = 0; k < nb; k++) {
                    FloatVector a = k == 0 ? a0 : k == 1 ? a1 : k == 2 ? a2 : a3;
                    float acc = a.reduceLanes(VectorOperators.ADD);
                    int xoff = (t0 + k) * cols;
                    for (int c = vecCols; c < cols; c++) acc += seg.get(Layouts.F32, base + 4L * c) * x[xoff + c];
                    out[(t0 + k) * rows + r] = acc;
                }
            }
        }
    }

    /* f16: decode one row to floats with the scalar conversion, then vector dot products. */
    private static void matmulF16(Matrix w, float[] x, int n, float[] out, int r0, int r1) {
        int cols = w.cols(), rows = w.rows();
        float[] row = new float[cols];
        MemorySegment seg = w.data();
        for (int r = r0; r < r1; r++) {
            long base = (long) r * cols;
            for (int c = 0; c < cols; c++) row[c] = Halfs.f16ToFloat(seg.getAtIndex(Layouts.I16, base + c));
            for (int t = 0; t < n; t++) out[t * rows + r] = dotArrays(row, 0, x, t * cols, cols);
        }
    }

    public float dot(float[] a, int ao, float[] b, int bo, int len) {
        return dotArrays(a, ao, b, bo, len);
    }

    static float dotArrays(float[] a, int ao, float[] b, int bo, int len) {
        int vec = len - len % L;
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < vec; i += L) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (int i = vec; i < len; i++) s += a[ao + i] * b[bo + i];
        return s;
    }
}
