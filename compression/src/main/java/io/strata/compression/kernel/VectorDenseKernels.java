// Vector API dense kernels. Vector constants live here, never in the provider (Kernels),
// so the provider can load and log a fallback even where the incubator module is absent.
package io.strata.compression.kernel;

import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

public final class VectorDenseKernels implements DenseKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Tokens processed per pass over a weight row: each row is read once per block. */
    static final int TOKEN_BLOCK = 4;
    /**
     * Floats added to a token's stride in the split activations of a prefill pass. Rows of 2048 bf16 columns are 4 KiB,
     * so without it a pass's four tokens (and four consecutive weight rows) sit at one offset modulo 4 KiB and share
     * one set of the 8-way L1 cache.
     */
    static final int X_PAD = 16;
    /**
     * Lane i of {@code p0.rearrange(EVEN, p1)} is element 2i of the pair p0, p1 (indices past L select from p1), lane i
     * of ODD element 2i + 1: the split of x into its even and odd elements, a vector at a time.
     */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(F, i -> 2 * i), ODD = VectorShuffle.fromOp(F, i -> 2 * i + 1);

    /** Bytes of a memory page: prefill passes over shorter rows take four rows a quarter of the range apart (matmulBf16). */
    static final long PAGE = 4096;

    public static int lanes() {
        return L;
    }

    @Override
    public String name() {
        return "vector-" + F.vectorBitSize();
    }

    @Override
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
        int xs = n == 1 ? half : half + X_PAD; // a token's stride in xe and xo (see X_PAD)
        float[] xe = new float[n * xs], xo = new float[n * xs];
        for (int t = 0; t < n; t++) {
            int j = 0, o = t * cols;
            for (; j + L <= half; j += L) { // two vectors of x pairs to one of even and one of odd elements
                FloatVector p0 = FloatVector.fromArray(F, x, o + 2 * j), p1 = FloatVector.fromArray(F, x, o + 2 * j + L);
                p0.rearrange(EVEN, p1).intoArray(xe, t * xs + j);
                p0.rearrange(ODD, p1).intoArray(xo, t * xs + j);
            }
            for (; j < half; j++) {
                xe[t * xs + j] = x[o + 2 * j];
                xo[t * xs + j] = x[o + 2 * j + 1];
            }
        }
        MemorySegment seg = w.data();
        long rowBytes = (long) cols * 2;
        float[] lanes = new float[16 * L]; // accumulators stored for the fixed-order lane sums
        // Four rows per pass. In decode, and for rows shorter than a page (2 KiB: OLMoE's down projection) in any step,
        // they are taken a quarter of the row range apart, row i of each quarter (spread): four consecutive such rows
        // share pages and the hardware prefetcher lost them, a four-token pass over [300000, 1024] from memory ran at
        // 0.65-0.70 of the spread one. Prefill passes over rows of a page or more stay consecutive, four pages in a
        // row, which ran 1.1-1.2x faster than spread with four tokens (bench/results/cpu-speed/spread-rows/); on the
        // Zen 4 VM spreading them was within its noise (0.99-1.16x, the unchanged code 0.94-1.00x). Decode spreads
        // those too: four streams that each run on across pages, where four consecutive rows are four streams of one
        // page each; over the head's, the attention's and the experts' shapes from memory one token ran 1.18-1.28x
        // faster on one thread and 1.07-1.16x on two (medians of interleaved rounds), and decode of the OLMoE-shaped
        // bf16 checkpoint and store 1.17x and 1.14x (medians of six rounds,
        // bench/results/cpu-speed/zen4-dense-spread/). Each (row, token) sum is one fma chain over the columns in
        // order, so which rows share a pass does not change the bits.
        int passes = (r1 - r0) / 4, r;
        if (n == 1) {
            // Decode: four rows per pass share each load of x, so x (from cache) costs a quarter of
            // the loads per weight byte and the loop stays memory-bound rather than load-port-bound.
            float[] sums = new float[16];
            for (int i = 0; i < passes; i++) {
                rows4Bf16(seg, r0 + i, passes, rowBytes, cols, vecCols, xe, xo, x, out, lanes, sums);
            }
            r = r0 + 4 * passes; // the rows past the last whole pass take the one-row loop below
        } else {
            // Prefill: four rows × four tokens per pass (see rows4x4Bf16); a pass short of rows (the range's last
            // rows, or a quarter that has run out) repeats its first row (computed and dropped), so every row takes
            // this path. A last block of one or two tokens takes a four-row pass of its own width (rows4x1Bf16,
            // rows4x2Bf16) instead of four tokens' work: an expert's share of a prompt is often 5 or 6 tokens.
            // Three tokens take the padded 4×4 pass, which measured faster than 4×2 + 4×1.
            boolean spread = rowBytes < PAGE;
            float[] sums = new float[16];
            int[] row = new int[4];
            int q = (r1 - r0 + 3) / 4; // passes, each row of a quarter (spread) or four rows (consecutive)
            for (int i = 0; i < q; i++) {
                int nr = spread ? RowQuarters.rows(r0, r1, q, i, row) : RowQuarters.consecutive(r0, r1, i, row);
                long b0 = row[0] * rowBytes, b1 = row[nr > 1 ? 1 : 0] * rowBytes, b2 = row[nr > 2 ? 2 : 0] * rowBytes,
                        b3 = row[nr > 3 ? 3 : 0] * rowBytes;
                for (int t0 = 0; t0 < n; t0 += 4) {
                    int nb = Math.min(4, n - t0);
                    if (nb == 1) {
                        rows4x1Bf16(seg, b0, b1, b2, b3, vecCols, xe, xo, t0 * xs, lanes, sums);
                    } else if (nb == 2) {
                        rows4x2Bf16(seg, b0, b1, b2, b3, vecCols, xe, xo, t0 * xs, (t0 + 1) * xs, lanes, sums);
                    } else {
                        rows4x4Bf16(seg, b0, b1, b2, b3, vecCols, xe, xo, t0 * xs, (nb > 1 ? t0 + 1 : 0) * xs,
                                (nb > 2 ? t0 + 2 : 0) * xs, (nb > 3 ? t0 + 3 : 0) * xs, lanes, sums);
                    }
                    for (int k = 0; k < nr; k++) {
                        long base = row[k] * rowBytes;
                        for (int j = 0; j < nb; j++) {
                            int t = t0 + j, xoff = t * cols;
                            float acc = sums[4 * k + j];
                            for (int c = vecCols; c < cols; c++) acc += Halfs.bf16ToFloat(seg.get(Layouts.I16, base + 2L * c)) * x[xoff + c];
                            out[t * rows + row[k]] = acc;
                        }
                    }
                }
            }
            r = r1;
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
                    int o = t0 * xs + j;
                    a0 = we.fma(FloatVector.fromArray(F, xe, o), a0);
                    a0 = wo.fma(FloatVector.fromArray(F, xo, o), a0);
                    if (nb > 1) {
                        a1 = we.fma(FloatVector.fromArray(F, xe, o + xs), a1);
                        a1 = wo.fma(FloatVector.fromArray(F, xo, o + xs), a1);
                        if (nb > 2) {
                            a2 = we.fma(FloatVector.fromArray(F, xe, o + 2 * xs), a2);
                            a2 = wo.fma(FloatVector.fromArray(F, xo, o + 2 * xs), a2);
                            if (nb > 3) {
                                a3 = we.fma(FloatVector.fromArray(F, xe, o + 3 * xs), a3);
                                a3 = wo.fma(FloatVector.fromArray(F, xo, o + 3 * xs), a3);
                            }
                        }
                    }
                }
                a0.intoArray(lanes, 0);
                a1.intoArray(lanes, L);
                a2.intoArray(lanes, 2 * L);
                a3.intoArray(lanes, 3 * L);
                sums(lanes, nb, out, t0 * rows + r, rows);
                for (int k = 0; k < nb && vecCols < cols; k++) {
                    int xoff = (t0 + k) * cols, o = (t0 + k) * rows + r;
                    float acc = out[o];
                    for (int c = vecCols; c < cols; c++) {
                        acc += Halfs.bf16ToFloat(seg.get(Layouts.I16, base + 2L * c)) * x[xoff + c];
                    }
                    out[o] = acc;
                }
            }
        }
    }

    /** Lane sums of the first nb of the accumulators stored in lanes (4·L) into out[o + k·stride] (fixed order, see {@link LaneSum}). */
    private static void sums(float[] lanes, int nb, float[] out, int o, int stride) {
        if (nb == 4) {
            LaneSum.sum4(lanes, 0, out, o, stride);
            return;
        }
        for (int k = 0; k < nb; k++) out[o + k * stride] = LaneSum.sum(lanes, k * L);
    }


    /**
     * Rows at byte offsets b0..b3 against the four tokens whose even/odd x halves start at o0..o3 in
     * xe/xo: sums[4·i + k] for row i and token k, vector columns only. Each weight load and bf16
     * split serves four tokens and each x load four rows: sixteen fma chains, each in the same
     * order as the one-row loop (even then odd elements per step), so blocking does not change
     * the bits.
     */
    private static void rows4x4Bf16(MemorySegment seg, long b0, long b1, long b2, long b3, int vecCols, float[] xe, float[] xo,
                                    int o0, int o1, int o2, int o3, float[] lanes, float[] sums) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, c0 = z, c1 = z, c2 = z, c3 = z;
        FloatVector e0 = z, e1 = z, e2 = z, e3 = z, g0 = z, g1 = z, g2 = z, g3 = z;
        for (int j = 0, half = vecCols / 2; j < half; j += L) { // column c = 2·j: one induction variable
            long off = 4L * j; // bytes: 2·c for column c = 2·j
            IntVector i0 = IntVector.fromMemorySegment(I, seg, b0 + off, LE), i1 = IntVector.fromMemorySegment(I, seg, b1 + off, LE);
            IntVector i2 = IntVector.fromMemorySegment(I, seg, b2 + off, LE), i3 = IntVector.fromMemorySegment(I, seg, b3 + off, LE);
            FloatVector x0 = FloatVector.fromArray(F, xe, o0 + j), x1 = FloatVector.fromArray(F, xe, o1 + j);
            FloatVector x2 = FloatVector.fromArray(F, xe, o2 + j), x3 = FloatVector.fromArray(F, xe, o3 + j);
            FloatVector w = i0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a0 = w.fma(x0, a0);
            a1 = w.fma(x1, a1);
            a2 = w.fma(x2, a2);
            a3 = w.fma(x3, a3);
            w = i1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            c0 = w.fma(x0, c0);
            c1 = w.fma(x1, c1);
            c2 = w.fma(x2, c2);
            c3 = w.fma(x3, c3);
            w = i2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            e0 = w.fma(x0, e0);
            e1 = w.fma(x1, e1);
            e2 = w.fma(x2, e2);
            e3 = w.fma(x3, e3);
            w = i3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            g0 = w.fma(x0, g0);
            g1 = w.fma(x1, g1);
            g2 = w.fma(x2, g2);
            g3 = w.fma(x3, g3);
            x0 = FloatVector.fromArray(F, xo, o0 + j);
            x1 = FloatVector.fromArray(F, xo, o1 + j);
            x2 = FloatVector.fromArray(F, xo, o2 + j);
            x3 = FloatVector.fromArray(F, xo, o3 + j);
            w = i0.and(0xFFFF0000).reinterpretAsFloats();
            a0 = w.fma(x0, a0);
            a1 = w.fma(x1, a1);
            a2 = w.fma(x2, a2);
            a3 = w.fma(x3, a3);
            w = i1.and(0xFFFF0000).reinterpretAsFloats();
            c0 = w.fma(x0, c0);
            c1 = w.fma(x1, c1);
            c2 = w.fma(x2, c2);
            c3 = w.fma(x3, c3);
            w = i2.and(0xFFFF0000).reinterpretAsFloats();
            e0 = w.fma(x0, e0);
            e1 = w.fma(x1, e1);
            e2 = w.fma(x2, e2);
            e3 = w.fma(x3, e3);
            w = i3.and(0xFFFF0000).reinterpretAsFloats();
            g0 = w.fma(x0, g0);
            g1 = w.fma(x1, g1);
            g2 = w.fma(x2, g2);
            g3 = w.fma(x3, g3);
        }
        if (L == 16) {
            // sums[4·i + k] (row i, token k) = the butterfly sum of accumulator 4·i + k, reduced in registers: a step
            // u.blend(v, Mk) + v.blend(u, Mk).rearrange(Xk) is the butterfly step k of u in the lanes without bit k and
            // of v in the lanes with it (LaneSum.sum4), so pairing accumulator j with j + k at k = 8, 4, 2, 1 leaves the
            // sum of j in lane j, with the bits of LaneSum.sum. Written out: a helper method taking vectors is not
            // inlined once C2's node budget for this method is spent, and its vectors are then boxed.
            VectorMask<Float> m = LaneSum.M8;
            VectorShuffle<Float> x = LaneSum.X8;
            FloatVector s0 = a0.blend(e0, m).add(e0.blend(a0, m).rearrange(x)), s1 = a1.blend(e1, m).add(e1.blend(a1, m).rearrange(x));
            FloatVector s2 = a2.blend(e2, m).add(e2.blend(a2, m).rearrange(x)), s3 = a3.blend(e3, m).add(e3.blend(a3, m).rearrange(x));
            FloatVector s4 = c0.blend(g0, m).add(g0.blend(c0, m).rearrange(x)), s5 = c1.blend(g1, m).add(g1.blend(c1, m).rearrange(x));
            FloatVector s6 = c2.blend(g2, m).add(g2.blend(c2, m).rearrange(x)), s7 = c3.blend(g3, m).add(g3.blend(c3, m).rearrange(x));
            m = LaneSum.M4;
            x = LaneSum.X4;
            s0 = s0.blend(s4, m).add(s4.blend(s0, m).rearrange(x));
            s1 = s1.blend(s5, m).add(s5.blend(s1, m).rearrange(x));
            s2 = s2.blend(s6, m).add(s6.blend(s2, m).rearrange(x));
            s3 = s3.blend(s7, m).add(s7.blend(s3, m).rearrange(x));
            m = LaneSum.M2;
            x = LaneSum.X2;
            s0 = s0.blend(s2, m).add(s2.blend(s0, m).rearrange(x));
            s1 = s1.blend(s3, m).add(s3.blend(s1, m).rearrange(x));
            m = LaneSum.M1;
            x = LaneSum.X1;
            s0.blend(s1, m).add(s1.blend(s0, m).rearrange(x)).intoArray(sums, 0);
            return;
        }
        if (L == 8) { // the same with 8 lanes: accumulator 4·i + k in lane 4·i + k of sums[0 .. 8) (rows 0, 1) and sums[8 .. 16) (rows 2, 3)
            VectorMask<Float> m = LaneSum.M4;
            VectorShuffle<Float> x = LaneSum.X4;
            FloatVector s0 = a0.blend(c0, m).add(c0.blend(a0, m).rearrange(x)), s4 = e0.blend(g0, m).add(g0.blend(e0, m).rearrange(x));
            FloatVector s1 = a1.blend(c1, m).add(c1.blend(a1, m).rearrange(x)), s5 = e1.blend(g1, m).add(g1.blend(e1, m).rearrange(x));
            FloatVector s2 = a2.blend(c2, m).add(c2.blend(a2, m).rearrange(x)), s6 = e2.blend(g2, m).add(g2.blend(e2, m).rearrange(x));
            FloatVector s3 = a3.blend(c3, m).add(c3.blend(a3, m).rearrange(x)), s7 = e3.blend(g3, m).add(g3.blend(e3, m).rearrange(x));
            m = LaneSum.M2;
            x = LaneSum.X2;
            s0 = s0.blend(s2, m).add(s2.blend(s0, m).rearrange(x));
            s1 = s1.blend(s3, m).add(s3.blend(s1, m).rearrange(x));
            s4 = s4.blend(s6, m).add(s6.blend(s4, m).rearrange(x));
            s5 = s5.blend(s7, m).add(s7.blend(s5, m).rearrange(x));
            s0.blend(s1, LaneSum.M1).add(s1.blend(s0, LaneSum.M1).rearrange(LaneSum.X1)).intoArray(sums, 0);
            s4.blend(s5, LaneSum.M1).add(s5.blend(s4, LaneSum.M1).rearrange(LaneSum.X1)).intoArray(sums, 8);
            return;
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        c0.intoArray(lanes, 4 * L);
        c1.intoArray(lanes, 5 * L);
        c2.intoArray(lanes, 6 * L);
        c3.intoArray(lanes, 7 * L);
        e0.intoArray(lanes, 8 * L);
        e1.intoArray(lanes, 9 * L);
        e2.intoArray(lanes, 10 * L);
        e3.intoArray(lanes, 11 * L);
        g0.intoArray(lanes, 12 * L);
        g1.intoArray(lanes, 13 * L);
        g2.intoArray(lanes, 14 * L);
        g3.intoArray(lanes, 15 * L);
        for (int i = 0; i < 4; i++) LaneSum.sum4(lanes, 4 * i * L, sums, 4 * i, 1);
    }

    /**
     * {@link #rows4x4Bf16} for one token at offset o0: sums[4·i] for row i, each fma chain and lane sum
     * as there, so the bits are the same.
     */
    private static void rows4x1Bf16(MemorySegment seg, long b0, long b1, long b2, long b3, int vecCols, float[] xe, float[] xo,
                                    int o0, float[] lanes, float[] sums) {
        FloatVector a0 = FloatVector.zero(F), c0 = a0, e0 = a0, g0 = a0;
        for (int j = 0, half = vecCols / 2; j < half; j += L) { // column c = 2·j: one induction variable
            FloatVector x0 = FloatVector.fromArray(F, xe, o0 + j), y0 = FloatVector.fromArray(F, xo, o0 + j);
            long off = 4L * j;
            IntVector i0 = IntVector.fromMemorySegment(I, seg, b0 + off, LE), i1 = IntVector.fromMemorySegment(I, seg, b1 + off, LE);
            IntVector i2 = IntVector.fromMemorySegment(I, seg, b2 + off, LE), i3 = IntVector.fromMemorySegment(I, seg, b3 + off, LE);
            a0 = i0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x0, a0);
            c0 = i1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x0, c0);
            e0 = i2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x0, e0);
            g0 = i3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x0, g0);
            a0 = i0.and(0xFFFF0000).reinterpretAsFloats().fma(y0, a0);
            c0 = i1.and(0xFFFF0000).reinterpretAsFloats().fma(y0, c0);
            e0 = i2.and(0xFFFF0000).reinterpretAsFloats().fma(y0, e0);
            g0 = i3.and(0xFFFF0000).reinterpretAsFloats().fma(y0, g0);
        }
        if (L == 16) { // reduced in registers as in rows4x4Bf16: accumulator 4·i (row i) in lane 4·i
            VectorMask<Float> m = LaneSum.M8;
            VectorShuffle<Float> x = LaneSum.X8;
            FloatVector s0 = a0.blend(e0, m).add(e0.blend(a0, m).rearrange(x)), s4 = c0.blend(g0, m).add(g0.blend(c0, m).rearrange(x));
            s0 = s0.blend(s4, LaneSum.M4).add(s4.blend(s0, LaneSum.M4).rearrange(LaneSum.X4));
            s0 = s0.add(s0.rearrange(LaneSum.X2));
            s0.add(s0.rearrange(LaneSum.X1)).intoArray(sums, 0);
            return;
        }
        if (L == 8) { // the same with 8 lanes: accumulator 4·i + k in lane 4·i + k of sums[0 .. 8) (rows 0, 1) and sums[8 .. 16) (rows 2, 3)
            VectorMask<Float> m = LaneSum.M4;
            VectorShuffle<Float> x = LaneSum.X4;
            FloatVector s0 = a0.blend(c0, m).add(c0.blend(a0, m).rearrange(x)), s4 = e0.blend(g0, m).add(g0.blend(e0, m).rearrange(x));
            s0 = s0.add(s0.rearrange(LaneSum.X2));
            s4 = s4.add(s4.rearrange(LaneSum.X2));
            s0.add(s0.rearrange(LaneSum.X1)).intoArray(sums, 0);
            s4.add(s4.rearrange(LaneSum.X1)).intoArray(sums, 8);
            return;
        }
        a0.intoArray(lanes, 0);
        c0.intoArray(lanes, L);
        e0.intoArray(lanes, 2 * L);
        g0.intoArray(lanes, 3 * L);
        LaneSum.sum4(lanes, 0, sums, 0, 4);
    }

    /** {@link #rows4x4Bf16} for two tokens at offsets o0, o1: sums[4·i + k], the same bits. */
    private static void rows4x2Bf16(MemorySegment seg, long b0, long b1, long b2, long b3, int vecCols, float[] xe, float[] xo,
                                    int o0, int o1, float[] lanes, float[] sums) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, c0 = z, c1 = z, e0 = z, e1 = z, g0 = z, g1 = z;
        for (int j = 0, half = vecCols / 2; j < half; j += L) { // column c = 2·j: one induction variable
            long off = 4L * j;
            IntVector i0 = IntVector.fromMemorySegment(I, seg, b0 + off, LE), i1 = IntVector.fromMemorySegment(I, seg, b1 + off, LE);
            IntVector i2 = IntVector.fromMemorySegment(I, seg, b2 + off, LE), i3 = IntVector.fromMemorySegment(I, seg, b3 + off, LE);
            FloatVector x0 = FloatVector.fromArray(F, xe, o0 + j), x1 = FloatVector.fromArray(F, xe, o1 + j);
            FloatVector w = i0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a0 = w.fma(x0, a0);
            a1 = w.fma(x1, a1);
            w = i1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            c0 = w.fma(x0, c0);
            c1 = w.fma(x1, c1);
            w = i2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            e0 = w.fma(x0, e0);
            e1 = w.fma(x1, e1);
            w = i3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            g0 = w.fma(x0, g0);
            g1 = w.fma(x1, g1);
            x0 = FloatVector.fromArray(F, xo, o0 + j);
            x1 = FloatVector.fromArray(F, xo, o1 + j);
            w = i0.and(0xFFFF0000).reinterpretAsFloats();
            a0 = w.fma(x0, a0);
            a1 = w.fma(x1, a1);
            w = i1.and(0xFFFF0000).reinterpretAsFloats();
            c0 = w.fma(x0, c0);
            c1 = w.fma(x1, c1);
            w = i2.and(0xFFFF0000).reinterpretAsFloats();
            e0 = w.fma(x0, e0);
            e1 = w.fma(x1, e1);
            w = i3.and(0xFFFF0000).reinterpretAsFloats();
            g0 = w.fma(x0, g0);
            g1 = w.fma(x1, g1);
        }
        if (L == 16) { // reduced in registers as in rows4x4Bf16: accumulator 4·i + k (row i, token k) in lane 4·i + k
            VectorMask<Float> m = LaneSum.M8;
            VectorShuffle<Float> x = LaneSum.X8;
            FloatVector s0 = a0.blend(e0, m).add(e0.blend(a0, m).rearrange(x)), s1 = a1.blend(e1, m).add(e1.blend(a1, m).rearrange(x));
            FloatVector s4 = c0.blend(g0, m).add(g0.blend(c0, m).rearrange(x)), s5 = c1.blend(g1, m).add(g1.blend(c1, m).rearrange(x));
            m = LaneSum.M4;
            x = LaneSum.X4;
            s0 = s0.blend(s4, m).add(s4.blend(s0, m).rearrange(x));
            s1 = s1.blend(s5, m).add(s5.blend(s1, m).rearrange(x));
            s0 = s0.add(s0.rearrange(LaneSum.X2));
            s1 = s1.add(s1.rearrange(LaneSum.X2));
            s0.blend(s1, LaneSum.M1).add(s1.blend(s0, LaneSum.M1).rearrange(LaneSum.X1)).intoArray(sums, 0);
            return;
        }
        if (L == 8) { // the same with 8 lanes: accumulator 4·i + k in lane 4·i + k of sums[0 .. 8) (rows 0, 1) and sums[8 .. 16) (rows 2, 3)
            VectorMask<Float> m = LaneSum.M4;
            VectorShuffle<Float> x = LaneSum.X4;
            FloatVector s0 = a0.blend(c0, m).add(c0.blend(a0, m).rearrange(x)), s4 = e0.blend(g0, m).add(g0.blend(e0, m).rearrange(x));
            FloatVector s1 = a1.blend(c1, m).add(c1.blend(a1, m).rearrange(x)), s5 = e1.blend(g1, m).add(g1.blend(e1, m).rearrange(x));
            s0 = s0.add(s0.rearrange(LaneSum.X2));
            s1 = s1.add(s1.rearrange(LaneSum.X2));
            s4 = s4.add(s4.rearrange(LaneSum.X2));
            s5 = s5.add(s5.rearrange(LaneSum.X2));
            s0.blend(s1, LaneSum.M1).add(s1.blend(s0, LaneSum.M1).rearrange(LaneSum.X1)).intoArray(sums, 0);
            s4.blend(s5, LaneSum.M1).add(s5.blend(s4, LaneSum.M1).rearrange(LaneSum.X1)).intoArray(sums, 8);
            return;
        }
        // token k of row i at lanes[(4·k + i)·L]: one sum4 per token gives sums[4·i + k]
        a0.intoArray(lanes, 0);
        c0.intoArray(lanes, L);
        e0.intoArray(lanes, 2 * L);
        g0.intoArray(lanes, 3 * L);
        a1.intoArray(lanes, 4 * L);
        c1.intoArray(lanes, 5 * L);
        e1.intoArray(lanes, 6 * L);
        g1.intoArray(lanes, 7 * L);
        LaneSum.sum4(lanes, 0, sums, 0, 4);
        LaneSum.sum4(lanes, 4 * L, sums, 1, 4);
    }

    /**
     * out[r], out[r + q], out[r + 2q], out[r + 3q] (four rows a quarter of the range apart) for one token: {@link #rows4x1Bf16} over the vector columns, then the
     * scalar tail columns.
     */
    private static void rows4Bf16(MemorySegment seg, int r, int q, long rowBytes, int cols, int vecCols, float[] xe, float[] xo,
                                  float[] x, float[] out, float[] lanes, float[] sums) {
        long b0 = r * rowBytes, b1 = b0 + q * rowBytes, b2 = b1 + q * rowBytes, b3 = b2 + q * rowBytes;
        rows4x1Bf16(seg, b0, b1, b2, b3, vecCols, xe, xo, 0, lanes, sums);
        float s0 = sums[0], s1 = sums[4], s2 = sums[8], s3 = sums[12];
        for (int c = vecCols; c < cols; c++) {
            float xc = x[c];
            s0 += Halfs.bf16ToFloat(seg.get(Layouts.I16, b0 + 2L * c)) * xc;
            s1 += Halfs.bf16ToFloat(seg.get(Layouts.I16, b1 + 2L * c)) * xc;
            s2 += Halfs.bf16ToFloat(seg.get(Layouts.I16, b2 + 2L * c)) * xc;
            s3 += Halfs.bf16ToFloat(seg.get(Layouts.I16, b3 + 2L * c)) * xc;
        }
        out[r] = s0;
        out[r + q] = s1;
        out[r + 2 * q] = s2;
        out[r + 3 * q] = s3;
    }

    private static void matmulF32(Matrix w, float[] x, int n, float[] out, int r0, int r1) {
        int cols = w.cols(), rows = w.rows();
        int vecCols = cols - cols % L;
        MemorySegment seg = w.data();
        long rowBytes = (long) cols * 4;
        float[] lanes = new float[4 * L]; // accumulators stored for the fixed-order lane sums
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
                a0.intoArray(lanes, 0);
                a1.intoArray(lanes, L);
                a2.intoArray(lanes, 2 * L);
                a3.intoArray(lanes, 3 * L);
                sums(lanes, nb, out, t0 * rows + r, rows);
                for (int k = 0; k < nb && vecCols < cols; k++) {
                    int xoff = (t0 + k) * cols, o = (t0 + k) * rows + r;
                    float acc = out[o];
                    for (int c = vecCols; c < cols; c++) acc += seg.get(Layouts.F32, base + 4L * c) * x[xoff + c];
                    out[o] = acc;
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

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int len) {
        return dotArrays(a, ao, b, bo, len);
    }

    @Override
    public void rmsnorm(float[] x, int xo, float[] w, int wo, float[] out, int oo, int dim, float eps) {
        int vec = dim - dim % L;
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < vec; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xo + i);
            acc = v.fma(v, acc);
        }
        float[] lanes = new float[L];
        acc.intoArray(lanes, 0);
        float ss = LaneSum.sum(lanes, 0);
        for (int i = vec; i < dim; i++) ss += x[xo + i] * x[xo + i];
        float inv = (float) (1.0 / Math.sqrt((double) ss / dim + eps));
        FloatVector vi = FloatVector.broadcast(F, inv);
        for (int i = 0; i < vec; i += L) {
            FloatVector.fromArray(F, x, xo + i).mul(vi).mul(FloatVector.fromArray(F, w, wo + i)).intoArray(out, oo + i);
        }
        for (int i = vec; i < dim; i++) out[oo + i] = x[xo + i] * inv * w[wo + i];
    }

    @Override
    public void rope(float[] a, int off, int heads, int headDim, float[] cos, float[] sin) {
        int half = headDim / 2, vec = half - half % L;
        for (int h = 0; h < heads; h++) {
            int o = off + h * headDim;
            for (int i = 0; i < vec; i += L) {
                FloatVector x1 = FloatVector.fromArray(F, a, o + i), x2 = FloatVector.fromArray(F, a, o + i + half);
                FloatVector c = FloatVector.fromArray(F, cos, i), s = FloatVector.fromArray(F, sin, i);
                x1.mul(c).sub(x2.mul(s)).intoArray(a, o + i);
                x2.mul(c).add(x1.mul(s)).intoArray(a, o + i + half);
            }
            for (int i = vec; i < half; i++) {
                float x1 = a[o + i], x2 = a[o + i + half];
                a[o + i] = x1 * cos[i] - x2 * sin[i];
                a[o + i + half] = x2 * cos[i] + x1 * sin[i];
            }
        }
    }

    /*
     * SiLU with a polynomial exp built from lane-wise fma/mul/add only: the Vector API's EXP runs
     * a native math library in C2 but Math.exp per lane in the interpreter, which would make
     * results depend on the JIT's state. exp(-x) = 2^n · e^r with n = round(-x·log2 e) and
     * |r| ≤ ln2/2, e^r by its degree-6 Taylor polynomial (relative error < 2e-7), 2^n by building
     * the float's exponent bits. -x is clamped to [-87, 87] so 2^n stays a normal float; there
     * σ(x) is already 0 or 1 to float precision.
     */
    private static final float LOG2E = 1.44269504f, LN2_HI = 0.693145752f, LN2_LO = 1.42860677e-6f;
    private static final float ROUND = 12582912f; // 1.5·2^23: adding it rounds to an integer in the low bits

    static FloatVector expNeg(FloatVector x) {
        FloatVector t = x.neg().max(-87f).min(87f);
        FloatVector k = t.fma(FloatVector.broadcast(F, LOG2E), FloatVector.broadcast(F, ROUND));
        FloatVector n = k.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), t);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(F, 1f / 720);
        p = p.fma(r, FloatVector.broadcast(F, 1f / 120));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(F, 0.5f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        // the integer n sits in the low mantissa bits of k: (k_bits − bits(ROUND) + 127) << 23 is 2^n
        IntVector e = k.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND) - 127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(e.reinterpretAsFloats());
    }

    @Override
    public void siluMul(float[] g, int go, float[] u, int uo, float[] o, int oo, int len) {
        int vec = len - len % L;
        for (int i = 0; i < vec; i += L) {
            FloatVector x = FloatVector.fromArray(F, g, go + i);
            x.div(expNeg(x).add(1f)).mul(FloatVector.fromArray(F, u, uo + i)).intoArray(o, oo + i);
        }
        for (int i = vec; i < len; i++) {
            float x = g[go + i];
            o[oo + i] = x / (1f + (float) Math.exp(-x)) * u[uo + i];
        }
    }

    @Override
    public void axpy(float[] y, int yo, float[] x, int xo, float alpha, int len) {
        int vec = len - len % L;
        FloatVector a = FloatVector.broadcast(F, alpha);
        for (int i = 0; i < vec; i += L) {
            FloatVector.fromArray(F, x, xo + i).fma(a, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        for (int i = vec; i < len; i++) y[yo + i] += alpha * x[xo + i];
    }

    @Override
    public void add(float[] y, int yo, float[] x, int xo, int len) {
        int vec = len - len % L;
        for (int i = 0; i < vec; i += L) {
            FloatVector.fromArray(F, y, yo + i).add(FloatVector.fromArray(F, x, xo + i)).intoArray(y, yo + i);
        }
        for (int i = vec; i < len; i++) y[yo + i] += x[xo + i];
    }

    @Override
    public void clamp(float[] x, int xo, int len, float lo, float hi) {
        int vec = len - len % L;
        for (int i = 0; i < vec; i += L) FloatVector.fromArray(F, x, xo + i).max(lo).min(hi).intoArray(x, xo + i);
        for (int i = vec; i < len; i++) x[xo + i] = Math.max(lo, Math.min(hi, x[xo + i]));
    }

    static float dotArrays(float[] a, int ao, float[] b, int bo, int len) {
        int vec = len - len % L;
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < vec; i += L) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        }
        float[] lanes = new float[L];
        acc.intoArray(lanes, 0);
        float s = LaneSum.sum(lanes, 0);
        for (int i = vec; i < len; i++) s += a[ao + i] * b[bo + i];
        return s;
    }
}
