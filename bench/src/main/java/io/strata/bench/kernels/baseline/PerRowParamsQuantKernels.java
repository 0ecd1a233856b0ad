// The quant Vector API kernels as they were before the per-row parameters were converted in blocks
// and the zero-point terms vectorised: kept only so the decode kernels can be timed before/after
// side by side (QuantBoundCpuTimeMain). Not used by the runtime.
package io.strata.bench.kernels.baseline;

import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.kernel.ScalarQuantKernels;

import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.compression.quant.QuantizedMatrix;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels at the machine's preferred width (L = 8 float lanes on AVX2, 16 on AVX-512). The packed
 * layout does not depend on L: only the run-time permutation of x does. INT3 has no vector path
 * (its 3-byte packs do not map onto int lanes) and runs the scalar twin.
 */
public final class PerRowParamsQuantKernels implements QuantKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** SPREAD_n: lane i takes element i / n, so one load of scales fills the lanes of n-lane groups. */
    static final VectorShuffle<Float> SPREAD_2 = VectorShuffle.fromOp(F, i -> i >> 1);
    static final VectorShuffle<Float> SPREAD_4 = VectorShuffle.fromOp(F, i -> i >> 2);
    static final VectorShuffle<Float> SPREAD_8 = VectorShuffle.fromOp(F, i -> i >> 3);
    /** Rows of a gathered down projection combined per pass over a y tile (y is loaded once per 4 rows). */
    static final int ROW_BLOCK = 4;

    private final ScalarQuantKernels scalar = new ScalarQuantKernels();

    @Override
    public String name() {
        return "per-row-params-" + F.vectorBitSize();
    }

    /*
     * Quantized matvec. One int-vector load takes 4·L packed bytes; int lane i holds the
     * vpl = 32/bits consecutive codes [c + vpl·i, c + vpl·i + vpl), so shifting every lane by
     * bits·k and masking yields code k of each lane: the elements {c + vpl·i + k}. x is permuted
     * once per call (O(cols) against O(rows·cols)) so those elements are contiguous:
     * xp[c + L·k + i] = x[c + vpl·i + k]. A lane's run of vpl ≤ 16 codes never straddles a group
     * (groups are ≥ 32), so the group scale is applied per lane from a per-row table, and the
     * zero point enters once per group as s·z·Σx: Σ_c (q_c − z)·s·x_c = s·Σ q·x − s·z·Σ x.
     * Columns past the last whole L·vpl chunk (e.g. cols not a multiple of 16·L for INT2) run scalar.
     */
    @Override
    public void matmul(QuantizedMatrix w, float[] x, int n, float[] out, int r0, int r1) {
        int bits = w.format().bits();
        if (bits == 3) {
            scalar.matmul(w, x, n, out, r0, r1);
            return;
        }
        int rows = w.rows(), cols = w.cols(), gs = w.format().groupSize(), groups = cols / gs;
        int vpl = 32 / bits, chunk = L * vpl, vecCols = cols - cols % chunk;
        float[] xp = new float[n * cols];     // (n, cols) x permuted to the lane order of the codes
        float[] xsum = new float[n * groups]; // (n, groups) Σ x over each group
        for (int t = 0; t < n; t++) {
            int xo = t * cols;
            for (int c0 = 0; c0 < vecCols; c0 += chunk) {
                for (int k = 0; k < vpl; k++) {
                    for (int i = 0; i < L; i++) xp[xo + c0 + k * L + i] = x[xo + c0 + vpl * i + k];
                }
            }
            System.arraycopy(x, xo + vecCols, xp, xo + vecCols, cols - vecCols);
            for (int g = 0; g < groups; g++) {
                float s = 0f;
                for (int c = g * gs; c < (g + 1) * gs; c++) s += x[xo + c];
                xsum[t * groups + g] = s;
            }
        }
        if (n >= BATCH_MIN_TOKENS) {
            rowsBatched(w, x, xp, xsum, n, out, r0, r1, vecCols);
            return;
        }
        switch (bits) {
            case 2 -> rowsInt2(w, x, xp, xsum, n, out, r0, r1, vecCols);
            case 4 -> rowsInt4(w, x, xp, xsum, n, out, r0, r1, vecCols);
            case 8 -> rowsInt8(w, x, xp, xsum, n, out, r0, r1, vecCols);
            default -> throw new IllegalStateException("bits " + bits);
        }
    }

    /** From this many tokens on, a row is dequantized once and multiplied with all tokens (prefill). */
    static final int BATCH_MIN_TOKENS = 2;

    /*
     * Prefill (n ≥ 2 tokens): the code extraction (shift, mask, convert: three instructions per
     * weight and lane, against one fma) is what bounds the one-token kernel, so for a batch each
     * row is dequantized once, to q·s in the lane order of xp, into an L1-resident float row, and
     * those rows meet the tokens in a register-blocked loop: four rows × four tokens per pass,
     * sixteen independent fma chains, eight loads per sixteen fmas. Each (row, token) sum is one fma chain
     * over the columns in order, so its bits do not depend on how rows and tokens were blocked.
     * Missing tokens of the last block repeat token 0 (computed and dropped), so one loop serves
     * every n.
     */
    private static void rowsBatched(QuantizedMatrix w, float[] x, float[] xp, float[] xsum, int n, float[] out, int r0, int r1,
                                    int vecCols) {
        int rows = w.rows(), cols = w.cols(), groups = w.format().groupsPerRow(cols), bits = w.format().bits();
        MemorySegment seg = w.data();
        long rowBytes = w.format().codeBytesPerRow(cols);
        short[] raw = new short[2 * groups];                  // (2, groups) f16 scales, then zeros, of one row
        float[][] scale = new float[4][groups + L], zs = new float[4][groups]; // per row of the block
        float[] laneScale = new float[vecCols * bits / 32];    // (vecCols / vpl) scale of each lane run
        float[][] d = new float[4][vecCols];                   // (4, vecCols) the block's rows dequantized, lane order
        float[] sums = new float[16];                          // (4 rows, 4 tokens) dot products of one block
        float[] lanes = new float[16 * L];                     // the sixteen accumulators, stored for the lane sums
        for (int r = r0; r < r1; r += 4) {
            int nr = Math.min(4, r1 - r);
            for (int i = 0; i < nr; i++) {
                rowParams(w, r + i, raw, scale[i], zs[i], laneScale);
                dequantRow(bits, seg, (r + i) * rowBytes, laneScale, d[i], vecCols);
            }
            // missing rows of the last block repeat row r (computed and dropped)
            float[] d1 = d[nr > 1 ? 1 : 0], d2 = d[nr > 2 ? 2 : 0], d3 = d[nr > 3 ? 3 : 0];
            for (int t0 = 0; t0 < n; t0 += 4) {
                int nb = Math.min(4, n - t0);
                int o0 = t0 * cols, o1 = (nb > 1 ? t0 + 1 : 0) * cols, o2 = (nb > 2 ? t0 + 2 : 0) * cols, o3 = (nb > 3 ? t0 + 3 : 0) * cols;
                dot4x4(d[0], d1, d2, d3, xp, o0, o1, o2, o3, vecCols, lanes, sums);
                for (int i = 0; i < nr; i++) {
                    for (int k = 0; k < nb; k++) {
                        int t = t0 + k;
                        out[t * rows + r + i] = finish(w, r + i, t, sums[4 * i + k], x, scale[i], zs[i], xsum, vecCols);
                    }
                }
            }
        }
    }

    /** Row codes × lane scales into d, in the lane order of xp (see {@link #matmul}). */
    private static void dequantRow(int bits, MemorySegment seg, long base, float[] laneScale, float[] d, int vecCols) {
        switch (bits) {
            case 8 -> {
                for (int c = 0, j = 0; c < vecCols; c += 4 * L, j += L) {
                    IntVector p = IntVector.fromMemorySegment(I, seg, base + c, LE);
                    FloatVector s = FloatVector.fromArray(F, laneScale, j);
                    ((FloatVector) p.lanewise(VectorOperators.LSHR, 0).and(255).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c);
                    ((FloatVector) p.lanewise(VectorOperators.LSHR, 8).and(255).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + L);
                    ((FloatVector) p.lanewise(VectorOperators.LSHR, 16).and(255).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + 2 * L);
                    ((FloatVector) p.lanewise(VectorOperators.LSHR, 24).and(255).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + 3 * L);
                }
            }
            case 4 -> {
                for (int c = 0, j = 0; c < vecCols; c += 8 * L, j += L) {
                    IntVector p = IntVector.fromMemorySegment(I, seg, base + c / 2, LE);
                    FloatVector s = FloatVector.fromArray(F, laneScale, j);
                    ((FloatVector) p.lanewise(VectorOperators.LSHR, 0).and(15).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c);
                    ((FloatVector) p.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + L);
                    ((FloatVector) p.lanewise(VectorOperators.LSHR, 8).and(15).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + 2 * L);
                    ((FloatVector) p.lanewise(VectorOperators.LSHR, 12).and(15).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + 3 * L);
                    ((FloatVector) p.lanewise(VectorOperators.LSHR, 16).and(15).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + 4 * L);
                    ((FloatVector) p.lanewise(VectorOperators.LSHR, 20).and(15).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + 5 * L);
                    ((FloatVector) p.lanewise(VectorOperators.LSHR, 24).and(15).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + 6 * L);
                    ((FloatVector) p.lanewise(VectorOperators.LSHR, 28).and(15).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + 7 * L);
                }
            }
            case 2 -> {
                dequantInt2(seg, base, laneScale, d, vecCols, 0);
                dequantInt2(seg, base, laneScale, d, vecCols, 8);
            }
            default -> throw new IllegalStateException("bits " + bits);
        }
    }

    /** INT2 codes k0 .. k0+7 of each lane (two calls per row: at most 8 extractions per loop, see rowsInt2). */
    private static void dequantInt2(MemorySegment seg, long base, float[] laneScale, float[] d, int vecCols, int k0) {
        for (int c = 0, j = 0; c < vecCols; c += 16 * L, j += L) {
            IntVector p = IntVector.fromMemorySegment(I, seg, base + c / 4, LE);
            FloatVector s = FloatVector.fromArray(F, laneScale, j);
            int o = c + k0 * L, sh = 2 * k0;
            ((FloatVector) p.lanewise(VectorOperators.LSHR, sh).and(3).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, o);
            ((FloatVector) p.lanewise(VectorOperators.LSHR, sh + 2).and(3).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, o + L);
            ((FloatVector) p.lanewise(VectorOperators.LSHR, sh + 4).and(3).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, o + 2 * L);
            ((FloatVector) p.lanewise(VectorOperators.LSHR, sh + 6).and(3).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, o + 3 * L);
            ((FloatVector) p.lanewise(VectorOperators.LSHR, sh + 8).and(3).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, o + 4 * L);
            ((FloatVector) p.lanewise(VectorOperators.LSHR, sh + 10).and(3).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, o + 5 * L);
            ((FloatVector) p.lanewise(VectorOperators.LSHR, sh + 12).and(3).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, o + 6 * L);
            ((FloatVector) p.lanewise(VectorOperators.LSHR, sh + 14).and(3).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, o + 7 * L);
        }
    }

    /**
     * sums[4·i + k] = Σ_c di[c]·xp[ok + c] for rows d0..d3 and the four token offsets ok,
     * c ∈ [0, vecCols): sixteen fma chains, four weight and four x loads per sixteen fmas (the x
     * of a long batch streams from L2, so each x load serves four rows). Reduced in fixed order
     * ({@link BaselineLaneSum}).
     */
    static void dot4x4(float[] d0, float[] d1, float[] d2, float[] d3, float[] xp, int o0, int o1, int o2, int o3, int vecCols,
                       float[] lanes, float[] sums) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z, e0 = z, e1 = z, e2 = z, e3 = z;
        for (int c = 0; c < vecCols; c += L) {
            FloatVector x0 = FloatVector.fromArray(F, xp, o0 + c), x1 = FloatVector.fromArray(F, xp, o1 + c);
            FloatVector x2 = FloatVector.fromArray(F, xp, o2 + c), x3 = FloatVector.fromArray(F, xp, o3 + c);
            FloatVector w = FloatVector.fromArray(F, d0, c);
            a0 = w.fma(x0, a0);
            a1 = w.fma(x1, a1);
            a2 = w.fma(x2, a2);
            a3 = w.fma(x3, a3);
            w = FloatVector.fromArray(F, d1, c);
            b0 = w.fma(x0, b0);
            b1 = w.fma(x1, b1);
            b2 = w.fma(x2, b2);
            b3 = w.fma(x3, b3);
            w = FloatVector.fromArray(F, d2, c);
            c0 = w.fma(x0, c0);
            c1 = w.fma(x1, c1);
            c2 = w.fma(x2, c2);
            c3 = w.fma(x3, c3);
            w = FloatVector.fromArray(F, d3, c);
            e0 = w.fma(x0, e0);
            e1 = w.fma(x1, e1);
            e2 = w.fma(x2, e2);
            e3 = w.fma(x3, e3);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        b0.intoArray(lanes, 4 * L);
        b1.intoArray(lanes, 5 * L);
        b2.intoArray(lanes, 6 * L);
        b3.intoArray(lanes, 7 * L);
        c0.intoArray(lanes, 8 * L);
        c1.intoArray(lanes, 9 * L);
        c2.intoArray(lanes, 10 * L);
        c3.intoArray(lanes, 11 * L);
        e0.intoArray(lanes, 12 * L);
        e1.intoArray(lanes, 13 * L);
        e2.intoArray(lanes, 14 * L);
        e3.intoArray(lanes, 15 * L);
        for (int i = 0; i < 4; i++) BaselineLaneSum.sum4(lanes, 4 * i * L, sums, 4 * i, 1);
    }

    /**
     * Per-row parameters: scale[g], zs[g] = s·z, and laneScale[j] = s of the group of lane run j.
     * The f16 scales and zeros are bulk-copied into {@code raw} first, which measured ~10 % faster
     * per matvec than one segment read per group.
     */
    private static void rowParams(QuantizedMatrix w, int r, short[] raw, float[] scale, float[] zs, float[] laneScale) {
        MemorySegment seg = w.data();
        int groups = zs.length, lanesPerGroup = w.format().groupSize() * w.format().bits() / 32;
        long po = 2L * r * groups;
        MemorySegment.copy(seg, Layouts.I16, w.scalesOffset() + po, raw, 0, groups);
        MemorySegment.copy(seg, Layouts.I16, w.zerosOffset() + po, raw, groups, groups);
        for (int g = 0; g < groups; g++) {
            float s = Float.float16ToFloat(raw[g]);
            scale[g] = s;
            zs[g] = s * Float.float16ToFloat(raw[groups + g]);
        }
        // The table is filled with vector stores: a scalar fill of one float per lane cost 30-50 %
        // of the whole matvec (2048-wide rows). lanesPerGroup is a power of two ≥ 2; scale has
        // L floats of padding so a load of L scales never runs off its end.
        int lanes = laneScale.length, shift = Integer.numberOfTrailingZeros(lanesPerGroup);
        if (lanesPerGroup >= L) {
            for (int j = 0; j < lanes; j += L) FloatVector.broadcast(F, scale[j >>> shift]).intoArray(laneScale, j);
        } else if (shift == 1) { // one loop per shuffle: a shuffle read from an array is not a constant to C2
            for (int j = 0; j < lanes; j += L) FloatVector.fromArray(F, scale, j >>> 1).rearrange(SPREAD_2).intoArray(laneScale, j);
        } else if (shift == 2) {
            for (int j = 0; j < lanes; j += L) FloatVector.fromArray(F, scale, j >>> 2).rearrange(SPREAD_4).intoArray(laneScale, j);
        } else {
            for (int j = 0; j < lanes; j += L) FloatVector.fromArray(F, scale, j >>> 3).rearrange(SPREAD_8).intoArray(laneScale, j);
        }
    }

    /** Adds the scalar tail columns [vecCols, cols) and subtracts the zero-point terms of all groups. */
    private static float finish(QuantizedMatrix w, int r, int t, float y, float[] x, float[] scale, float[] zs, float[] xsum,
                                int vecCols) {
        int cols = w.cols(), gs = w.format().groupSize(), groups = zs.length, xo = t * cols;
        for (int c = vecCols; c < cols; c++) y += w.code(r, c) * scale[c / gs] * x[xo + c];
        for (int g = 0; g < groups; g++) y -= zs[g] * xsum[t * groups + g];
        return y;
    }

    /*
     * The row loops call one "row dot" per width with every shift a constant, so C2 emits plain
     * shift/and/convert instructions. Each row dot expands at most 8 code extractions: C2 inlines
     * the Vector API's Java code before intrinsifying it, and with 16 extractions (INT2 in one
     * pass) or the widths inlined into one caller it hit its node-count inlining cutoff, left the
     * vectors boxed and ran 10-30x slower. INT2 therefore takes two passes over each 32-byte
     * load (codes 0-7 and 8-15 of each lane); the second pass reads the row from L1. The row dots
     * return floats, never vectors, so nothing is boxed across the call. Two partial sums halve
     * the fma dependency chain.
     */
    private static void rowsInt2(QuantizedMatrix w, float[] x, float[] xp, float[] xsum, int n, float[] out, int r0, int r1, int vecCols) {
        int rows = w.rows(), cols = w.cols(), groups = w.format().groupsPerRow(cols);
        MemorySegment seg = w.data();
        long rowBytes = w.format().codeBytesPerRow(cols);
        short[] raw = new short[2 * groups]; // (2, groups) f16 scales, then zeros, of one row
        float[] scale = new float[groups + L], zs = new float[groups], laneScale = new float[vecCols / 16];
        float[] lanes = new float[L]; // the accumulator, stored for the lane sum
        for (int r = r0; r < r1; r++) {
            rowParams(w, r, raw, scale, zs, laneScale);
            long base = r * rowBytes;
            for (int t = 0; t < n; t++) {
                int xo = t * cols;
                float y = rowDotInt2Lo(seg, base, xp, xo, laneScale, vecCols, lanes) + rowDotInt2Hi(seg, base, xp, xo, laneScale, vecCols, lanes);
                out[t * rows + r] = finish(w, r, t, y, x, scale, zs, xsum, vecCols);
            }
        }
    }

    private static void rowsInt4(QuantizedMatrix w, float[] x, float[] xp, float[] xsum, int n, float[] out, int r0, int r1, int vecCols) {
        int rows = w.rows(), cols = w.cols(), groups = w.format().groupsPerRow(cols);
        MemorySegment seg = w.data();
        long rowBytes = w.format().codeBytesPerRow(cols);
        short[] raw = new short[2 * groups]; // (2, groups) f16 scales, then zeros, of one row
        float[] scale = new float[groups + L], zs = new float[groups], laneScale = new float[vecCols / 8];
        float[] lanes = new float[L]; // the accumulator, stored for the lane sum
        for (int r = r0; r < r1; r++) {
            rowParams(w, r, raw, scale, zs, laneScale);
            long base = r * rowBytes;
            for (int t = 0; t < n; t++) {
                int xo = t * cols;
                float y = rowDotInt4(seg, base, xp, xo, laneScale, vecCols, lanes);
                out[t * rows + r] = finish(w, r, t, y, x, scale, zs, xsum, vecCols);
            }
        }
    }

    private static void rowsInt8(QuantizedMatrix w, float[] x, float[] xp, float[] xsum, int n, float[] out, int r0, int r1, int vecCols) {
        int rows = w.rows(), cols = w.cols(), groups = w.format().groupsPerRow(cols);
        MemorySegment seg = w.data();
        long rowBytes = w.format().codeBytesPerRow(cols);
        short[] raw = new short[2 * groups]; // (2, groups) f16 scales, then zeros, of one row
        float[] scale = new float[groups + L], zs = new float[groups], laneScale = new float[vecCols / 4];
        float[] lanes = new float[L]; // the accumulator, stored for the lane sum
        for (int r = r0; r < r1; r++) {
            rowParams(w, r, raw, scale, zs, laneScale);
            long base = r * rowBytes;
            for (int t = 0; t < n; t++) {
                int xo = t * cols;
                float y = rowDotInt8(seg, base, xp, xo, laneScale, vecCols, lanes);
                out[t * rows + r] = finish(w, r, t, y, x, scale, zs, xsum, vecCols);
            }
        }
    }

    /** INT2 codes 0-7 of each lane: Σ_j laneScale · Σ q·x over [0, vecCols). */
    private static float rowDotInt2Lo(MemorySegment seg, long base, float[] xp, int xo, float[] laneScale, int vecCols, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0, j = 0; c < vecCols; c += 16 * L, j += L) {
            IntVector p = IntVector.fromMemorySegment(I, seg, base + c / 4, LE);
            int o = xo + c;
            FloatVector a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 0).and(3).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, o));
            FloatVector a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 2).and(3).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, o + 1 * L));
            a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 4).and(3).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 2 * L), a0);
            a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 6).and(3).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 3 * L), a1);
            a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 8).and(3).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 4 * L), a0);
            a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 10).and(3).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 5 * L), a1);
            a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 12).and(3).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 6 * L), a0);
            a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 14).and(3).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 7 * L), a1);
            acc = a0.add(a1).fma(FloatVector.fromArray(F, laneScale, j), acc);
        }
        acc.intoArray(lanes, 0);
        return BaselineLaneSum.sum(lanes, 0);
    }

    /** INT2 codes 8-15 of each lane. */
    private static float rowDotInt2Hi(MemorySegment seg, long base, float[] xp, int xo, float[] laneScale, int vecCols, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0, j = 0; c < vecCols; c += 16 * L, j += L) {
            IntVector p = IntVector.fromMemorySegment(I, seg, base + c / 4, LE);
            int o = xo + c;
            FloatVector a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 16).and(3).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, o + 8 * L));
            FloatVector a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 18).and(3).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, o + 9 * L));
            a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 20).and(3).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 10 * L), a0);
            a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 22).and(3).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 11 * L), a1);
            a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 24).and(3).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 12 * L), a0);
            a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 26).and(3).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 13 * L), a1);
            a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 28).and(3).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 14 * L), a0);
            a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 30).and(3).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 15 * L), a1);
            acc = a0.add(a1).fma(FloatVector.fromArray(F, laneScale, j), acc);
        }
        acc.intoArray(lanes, 0);
        return BaselineLaneSum.sum(lanes, 0);
    }

    /** INT4: the 8 codes of each lane. */
    private static float rowDotInt4(MemorySegment seg, long base, float[] xp, int xo, float[] laneScale, int vecCols, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0, j = 0; c < vecCols; c += 8 * L, j += L) {
            IntVector p = IntVector.fromMemorySegment(I, seg, base + c / 2, LE);
            int o = xo + c;
            FloatVector a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 0).and(15).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, o));
            FloatVector a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, o + 1 * L));
            a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 8).and(15).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 2 * L), a0);
            a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 12).and(15).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 3 * L), a1);
            a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 16).and(15).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 4 * L), a0);
            a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 20).and(15).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 5 * L), a1);
            a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 24).and(15).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 6 * L), a0);
            a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 28).and(15).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 7 * L), a1);
            acc = a0.add(a1).fma(FloatVector.fromArray(F, laneScale, j), acc);
        }
        acc.intoArray(lanes, 0);
        return BaselineLaneSum.sum(lanes, 0);
    }

    /** INT8: the 4 codes of each lane. */
    private static float rowDotInt8(MemorySegment seg, long base, float[] xp, int xo, float[] laneScale, int vecCols, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0, j = 0; c < vecCols; c += 4 * L, j += L) {
            IntVector p = IntVector.fromMemorySegment(I, seg, base + c, LE);
            int o = xo + c;
            FloatVector a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 0).and(255).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, o));
            FloatVector a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 8).and(255).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, o + 1 * L));
            a0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 16).and(255).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 2 * L), a0);
            a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 24).and(255).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 3 * L), a1);
            acc = a0.add(a1).fma(FloatVector.fromArray(F, laneScale, j), acc);
        }
        acc.intoArray(lanes, 0);
        return BaselineLaneSum.sum(lanes, 0);
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
        float[] lanes = new float[L]; // the accumulator, stored for the lane sum
        for (int k = k0; k < k1; k++) {
            long base = rows[k] * rowBytes;
            // two accumulators: the fma latency chain is the bound once the row streams from cache
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
            for (int c = 0, j = 0; c < vecCols; c += step, j += L) {
                IntVector iv = IntVector.fromMemorySegment(I, seg, base + 2L * c, LE);
                a0 = iv.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, xe, j), a0);
                a1 = iv.and(0xFFFF0000).reinterpretAsFloats().fma(FloatVector.fromArray(F, xo, j), a1);
            }
            a0.add(a1).intoArray(lanes, 0);
            float acc = BaselineLaneSum.sum(lanes, 0);
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
