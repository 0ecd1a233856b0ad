// Vector API matvec over block-scaled FP8 codes: E4M3 widened to float by moving its bits into place.
package io.strata.compression.fp8;

import io.strata.compression.Layouts;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * E4M3 → float without a table and without subnormal floats: with the code's sign at bit 31 and its 7 bits
 * eeee.mmm added to the float 2^-7 at bits 26..20, the float is (1 + m/8)·2^(e − 7), the E4M3 value, for every
 * e ≥ 1; for e = 0 it is ±(2^-7 + m·2^-10), and 2·(f ∓ 2^-7) = ±m·2^-9 is the subnormal E4M3 value (both
 * exact). Why not the shorter "bits at 26..20 times 2^120": codes with e = 0 then make subnormal floats, and
 * x86 takes a microcode assist on every vector multiply that meets one (no DAZ in Java); that made this kernel
 * slower than its scalar twin. The NaN code (S.1111.111) becomes ±480 instead: checkpoints hold no NaN weights.
 * Per block of bc columns the codes are dotted with x first and the scale applied once.
 */
public final class VectorFp8Kernels implements Fp8Kernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private final Fp8Kernels.Scalar scalar = new Fp8Kernels.Scalar();

    @Override
    public String name() {
        return "vector-" + F.vectorBitSize();
    }

    /**
     * Loads codes as int words (4 codes each) instead of widening a byte vector to int lanes (one load and a
     * shift per 4·L codes instead of a widening conversion per L).
     * Lane j of a word vector holds columns c + 4j .. c + 4j + 3, so x is split once per call into four arrays by
     * column mod 4 (xs[k][c / 4 + j] = x[c + 4j + k]), as the bf16 kernel splits it into even and odd columns.
     */
    private static void matmulWords(Fp8Matrix w, float[] x, int n, float[] out, int r0, int r1) {
        int cols = w.cols(), bc = w.bc(), sc = w.scaleCols(), q = cols / 4;
        float[][] xs = new float[4][n * q];
        for (int t = 0; t < n; t++) for (int c = 0; c < cols; c++) xs[c & 3][t * q + c / 4] = x[t * cols + c];
        MemorySegment codes = w.codes();
        for (int r = r0; r < r1; r++) {
            long row = (long) r * cols, srow = (long) (r / w.br()) * sc;
            for (int t = 0; t < n; t++) {
                int xo = t * q;
                FloatVector acc = FloatVector.zero(F);
                for (int b = 0; b < sc; b++) {
                    FloatVector blk = FloatVector.zero(F);
                    for (int c = b * bc, end = c + bc; c < end; c += 4 * L) {
                        IntVector words = IntVector.fromMemorySegment(I, codes, row + c, ByteOrder.LITTLE_ENDIAN);
                        int o = xo + c / 4;
                        blk = lane(words, 0).fma(FloatVector.fromArray(F, xs[0], o), blk);
                        blk = lane(words, 1).fma(FloatVector.fromArray(F, xs[1], o), blk);
                        blk = lane(words, 2).fma(FloatVector.fromArray(F, xs[2], o), blk);
                        blk = lane(words, 3).fma(FloatVector.fromArray(F, xs[3], o), blk);
                    }
                    acc = blk.fma(FloatVector.broadcast(F, w.scales().getAtIndex(Layouts.F32, srow + b)), acc);
                }
                out[t * w.rows() + r] = acc.reduceLanes(VectorOperators.ADD);
            }
        }
    }

    static FloatVector widen(MemorySegment s, long off) {
        IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, off, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
        return decode(v.lanewise(VectorOperators.LSHL, 24));
    }

    /** E4M3 → float of the code held in bits 24..31 of each int lane (the other bits are ignored). */
    static FloatVector decode(IntVector t) {
        IntVector base = t.and(0x80000000).or(0x3C000000);           // ±2^-7
        IntVector mag = t.lanewise(VectorOperators.LSHR, 4).and(0x07F00000); // eeee.mmm at bits 26..20
        FloatVector f = base.add(mag).reinterpretAsFloats();
        FloatVector sub = f.sub(base.reinterpretAsFloats()).mul(2f);
        return f.blend(sub, mag.compare(VectorOperators.LT, 0x00800000).cast(F));
    }

    /** Code k (0..3) of every 4-byte little-endian word, as floats. */
    static FloatVector lane(IntVector words, int k) {
        return decode(k == 3 ? words : words.lanewise(VectorOperators.LSHL, 24 - 8 * k));
    }

    @Override
    public void matmul(Fp8Matrix w, float[] x, int n, float[] out, int r0, int r1) {
        if (w.bc() % (4 * L) == 0 && w.cols() % w.bc() == 0) {
            matmulWords(w, x, n, out, r0, r1);
            return;
        }
        if (w.bc() % L != 0 || w.cols() % w.bc() != 0) {
            scalar.matmul(w, x, n, out, r0, r1); // blocks that do not split into whole vectors: the twin
            return;
        }
        int cols = w.cols(), bc = w.bc(), sc = w.scaleCols();
        for (int r = r0; r < r1; r++) {
            long row = (long) r * cols, srow = (long) (r / w.br()) * sc;
            for (int t = 0; t < n; t++) {
                int xo = t * cols;
                FloatVector acc = FloatVector.zero(F);
                for (int b = 0; b < sc; b++) {
                    FloatVector blk = FloatVector.zero(F);
                    for (int c = b * bc, end = c + bc; c < end; c += L) blk = widen(w.codes(), row + c).fma(FloatVector.fromArray(F, x, xo + c), blk);
                    acc = blk.fma(FloatVector.broadcast(F, w.scales().getAtIndex(Layouts.F32, srow + b)), acc);
                }
                out[t * w.rows() + r] = acc.reduceLanes(VectorOperators.ADD);
            }
        }
    }
}
