// Vector API matvec over ggml blocks (Q8_0, MXFP4, Q4_K, Q5_K, Q6_K): integer codes widened to float lanes in registers.
package io.strata.compression.ggml;

import io.strata.compression.Halfs;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * L = the preferred float lane count (8 on AVX2, 16 on AVX-512); a byte vector of L lanes
 * carries the codes of L elements, widened with B2F. Blocks are 32 elements, so L must divide 32.
 * Per block the codes are dotted with x first and the block scale applied once:
 * Σ d·q·x = d·Σ q·x (and for Q4_K's min: Σ (d·q − m)·x = d·Σ q·x − m·Σ x), which is why the
 * sums differ from the scalar twin only by float reassociation (Q6_K scales the codes in registers instead).
 * Other types (Q4_0) run the scalar twin.
 */
public final class VectorGgmlKernels implements GgmlKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private final GgmlKernels.Scalar scalar = new GgmlKernels.Scalar();

    public VectorGgmlKernels() {
        if (32 % L != 0 || L < 4) throw new IllegalStateException("float vectors of " + L + " lanes do not divide a 32-element block");
    }

    @Override
    public String name() {
        return "vector-" + F.vectorBitSize();
    }

    @Override
    public void matmul(GgmlMatrix w, float[] x, int n, float[] out, int r0, int r1) {
        switch (w.type()) {
            case Q8_0 -> rows(w, x, n, out, r0, r1, VectorGgmlKernels::dotQ8_0);
            case MXFP4 -> rows(w, x, n, out, r0, r1, VectorGgmlKernels::dotMxfp4);
            case Q4_K -> rows(w, x, n, out, r0, r1, VectorGgmlKernels::dotQ4_K);
            case Q5_K -> rows(w, x, n, out, r0, r1, VectorGgmlKernels::dotQ5_K);
            case Q6_K -> rows(w, x, n, out, r0, r1, VectorGgmlKernels::dotQ6_K);
            default -> scalar.matmul(w, x, n, out, r0, r1);
        }
    }

    interface RowDot {
        /** Σ_c W[row][c]·x[xo + c] for the row whose blocks start at byte p. */
        float dot(MemorySegment s, long p, int blocks, float[] x, int xo);
    }

    private static void rows(GgmlMatrix w, float[] x, int n, float[] out, int r0, int r1, RowDot d) {
        int blocks = w.cols() / w.type().blockSize;
        for (int r = r0; r < r1; r++) {
            long p = r * w.rowBytes();
            for (int t = 0; t < n; t++) out[t * w.rows() + r] = d.dot(w.data(), p, blocks, x, t * w.cols());
        }
    }

    static float dotQ8_0(MemorySegment s, long p, int blocks, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, p += 34, xo += 32) {
            float d = Halfs.f16ToFloat(s.get(I16, p));
            FloatVector blk = FloatVector.zero(F);
            for (int j = 0; j < 32; j += L) {
                FloatVector q = (FloatVector) ByteVector.fromMemorySegment(B, s, p + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0);
                blk = q.fma(FloatVector.fromArray(F, x, xo + j), blk);
            }
            acc = blk.fma(FloatVector.broadcast(F, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Doubled e2m1 magnitudes without a table: codes 0..3 are themselves, 4..7 are
     * (2 + (m &amp; 1)) · 2^((m &gt;&gt; 1) − 1) = 4, 6, 8, 12; bit 3 is the sign.
     */
    static FloatVector e2m1(ByteVector nib) {
        ByteVector m = nib.and((byte) 7);
        ByteVector big = m.and((byte) 1).add((byte) 2).lanewise(VectorOperators.LSHL, m.lanewise(VectorOperators.LSHR, 1).sub((byte) 1));
        VectorMask<Byte> isBig = m.compare(VectorOperators.GE, (byte) 4);
        ByteVector v = m.blend(big, isBig);
        v = v.blend(v.neg(), nib.and((byte) 8).compare(VectorOperators.NE, (byte) 0));
        return (FloatVector) v.convertShape(VectorOperators.B2F, F, 0);
    }

    static float dotMxfp4(MemorySegment s, long p, int blocks, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, p += 17, xo += 32) {
            float d = GgmlDequant.e8m0Half(s.get(ValueLayout.JAVA_BYTE, p) & 0xFF);
            FloatVector blk = FloatVector.zero(F);
            for (int j = 0; j < 16; j += L) {
                // L ≤ 16 here: a 32-lane byte vector would read past the block's 16 code bytes.
                ByteVector q = ByteVector.fromMemorySegment(B, s, p + 1 + j, LE);
                blk = e2m1(q.and((byte) 0x0F)).fma(FloatVector.fromArray(F, x, xo + j), blk);
                blk = e2m1(q.lanewise(VectorOperators.LSHR, 4)).fma(FloatVector.fromArray(F, x, xo + 16 + j), blk);
            }
            acc = blk.fma(FloatVector.broadcast(F, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static float dotQ4_K(MemorySegment s, long p, int blocks, float[] x, int xo) {
        float total = 0f;
        int[] sm = new int[4];
        for (int b = 0; b < blocks; b++, p += 144, xo += 256) {
            float d = Halfs.f16ToFloat(s.get(I16, p)), dmin = Halfs.f16ToFloat(s.get(I16, p + 2));
            long sc = p + 4, q = p + 16;
            for (int c = 0; c < 4; c++, q += 32) {
                scaleMin(c * 2, s, sc, sm, 0);
                scaleMin(c * 2 + 1, s, sc, sm, 2);
                int x0 = xo + c * 64;
                FloatVector lo = FloatVector.zero(F), hi = FloatVector.zero(F), sx0 = FloatVector.zero(F), sx1 = FloatVector.zero(F);
                for (int j = 0; j < 32; j += L) {
                    ByteVector v = ByteVector.fromMemorySegment(B, s, q + j, LE);
                    FloatVector xa = FloatVector.fromArray(F, x, x0 + j), xb = FloatVector.fromArray(F, x, x0 + 32 + j);
                    lo = ((FloatVector) v.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0)).fma(xa, lo);
                    hi = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F, 0)).fma(xb, hi);
                    sx0 = sx0.add(xa);
                    sx1 = sx1.add(xb);
                }
                total += d * sm[0] * lo.reduceLanes(VectorOperators.ADD) - dmin * sm[1] * sx0.reduceLanes(VectorOperators.ADD)
                        + d * sm[2] * hi.reduceLanes(VectorOperators.ADD) - dmin * sm[3] * sx1.reduceLanes(VectorOperators.ADD);
            }
        }
        return total;
    }

    /**
     * Q5_K: Q4_K's sub-blocks with a fifth bit per value, bit j of qh[l] for sub-block j (value + 16); the same
     * d·sc·Σq·x − dmin·m·Σx per sub-block.
     */
    static float dotQ5_K(MemorySegment s, long p, int blocks, float[] x, int xo) {
        float total = 0f;
        int[] sm = new int[4];
        for (int b = 0; b < blocks; b++, p += 176, xo += 256) {
            float d = Halfs.f16ToFloat(s.get(I16, p)), dmin = Halfs.f16ToFloat(s.get(I16, p + 2));
            long sc = p + 4, qh = p + 16, q = p + 48;
            for (int c = 0; c < 4; c++, q += 32) {
                scaleMin(c * 2, s, sc, sm, 0);
                scaleMin(c * 2 + 1, s, sc, sm, 2);
                int x0 = xo + c * 64;
                FloatVector lo = FloatVector.zero(F), hi = FloatVector.zero(F), sx0 = FloatVector.zero(F), sx1 = FloatVector.zero(F);
                for (int j = 0; j < 32; j += L) {
                    ByteVector v = ByteVector.fromMemorySegment(B, s, q + j, LE), h = ByteVector.fromMemorySegment(B, s, qh + j, LE);
                    ByteVector ql = v.and((byte) 0x0F).or(h.lanewise(VectorOperators.LSHR, 2 * c).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                    ByteVector qu = v.lanewise(VectorOperators.LSHR, 4)
                            .or(h.lanewise(VectorOperators.LSHR, 2 * c + 1).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                    FloatVector xa = FloatVector.fromArray(F, x, x0 + j), xb = FloatVector.fromArray(F, x, x0 + 32 + j);
                    lo = ((FloatVector) ql.convertShape(VectorOperators.B2F, F, 0)).fma(xa, lo);
                    hi = ((FloatVector) qu.convertShape(VectorOperators.B2F, F, 0)).fma(xb, hi);
                    sx0 = sx0.add(xa);
                    sx1 = sx1.add(xb);
                }
                total += d * sm[0] * lo.reduceLanes(VectorOperators.ADD) - dmin * sm[1] * sx0.reduceLanes(VectorOperators.ADD)
                        + d * sm[2] * hi.reduceLanes(VectorOperators.ADD) - dmin * sm[3] * sx1.reduceLanes(VectorOperators.ADD);
            }
        }
        return total;
    }

    /**
     * Q6_K (ql[128], qh[64], int8 scales[16], d): per half h and quarter qq, 32 values
     * q = (ql[64h + 32(qq &amp; 1) + l] &gt;&gt; 4(qq &gt;&gt; 1) &amp; 15 | (qh[32h + l] &gt;&gt; 2qq &amp; 3) &lt;&lt; 4) − 32 with scale
     * sc[8h + 2qq + l/16]. L divides 16, so a chunk of L values has one scale: the codes are scaled by d·sc in
     * registers and dotted with x into one accumulator (no lane reduction per sub-block).
     */
    static float dotQ6_K(MemorySegment s, long p, int blocks, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, p += 210, xo += 256) {
            float d = Halfs.f16ToFloat(s.get(I16, p + 208));
            for (int h = 0; h < 2; h++) {
                long ql = p + 64 * h, qh = p + 128 + 32 * h, sc = p + 192 + 8 * h;
                for (int qq = 0; qq < 4; qq++) {
                    long qlq = ql + 32 * (qq & 1);
                    int lshift = 4 * (qq >> 1), hshift = 2 * qq, x0 = xo + 128 * h + 32 * qq;
                    for (int l = 0; l < 32; l += L) {
                        ByteVector lo = ByteVector.fromMemorySegment(B, s, qlq + l, LE).lanewise(VectorOperators.LSHR, lshift).and((byte) 0x0F);
                        ByteVector hb = ByteVector.fromMemorySegment(B, s, qh + l, LE).lanewise(VectorOperators.LSHR, hshift).and((byte) 3);
                        ByteVector q = lo.or(hb.lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                        float ds = d * s.get(ValueLayout.JAVA_BYTE, sc + 2 * qq + l / 16);
                        acc = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(ds).fma(FloatVector.fromArray(F, x, x0 + l), acc);
                    }
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** As GgmlDequant's 6-bit scale/min unpacking: sub-block j's scale to out[o], min to out[o + 1]. */
    private static void scaleMin(int j, MemorySegment s, long p, int[] out, int o) {
        if (j < 4) {
            out[o] = (s.get(ValueLayout.JAVA_BYTE, p + j) & 63);
            out[o + 1] = (s.get(ValueLayout.JAVA_BYTE, p + j + 4) & 63);
        } else {
            int a = s.get(ValueLayout.JAVA_BYTE, p + j + 4) & 0xFF, lo = s.get(ValueLayout.JAVA_BYTE, p + j - 4) & 0xFF,
                    hi = s.get(ValueLayout.JAVA_BYTE, p + j) & 0xFF;
            out[o] = (a & 0xF) | ((lo >> 6) << 4);
            out[o + 1] = (a >> 4) | ((hi >> 6) << 4);
        }
    }
}
