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
 * E4M3 → float without a table: the 7 bits eeee.mmm placed at float bits 26..20 make the float
 * (1 + m/8)·2^(e − 127) (or the subnormal m·2^-129 when e = 0), which is the E4M3 value times
 * 2^-120 in both cases; the sign bit goes to bit 31, and one exact multiply by 2^120 restores it
 * (done before the products: folding it into the block scale would leave q·x subnormal and lose bits).
 * The NaN code (S.1111.111) becomes ±480 instead: checkpoints hold no NaN weights.
 * Per block of bc columns the codes are dotted with x first and the scale applied once.
 */
public final class VectorFp8Kernels implements Fp8Kernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    static final float TWO_120 = 0x1p120f;
    private final Fp8Kernels.Scalar scalar = new Fp8Kernels.Scalar();

    @Override
    public String name() {
        return "vector-" + F.vectorBitSize();
    }

    static FloatVector widen(MemorySegment s, long off) {
        IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, off, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
        IntVector bits = v.and(0x7F).lanewise(VectorOperators.LSHL, 20).or(v.and(0x80).lanewise(VectorOperators.LSHL, 24));
        return bits.reinterpretAsFloats().mul(TWO_120);
    }

    @Override
    public void matmul(Fp8Matrix w, float[] x, int n, float[] out, int r0, int r1) {
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
