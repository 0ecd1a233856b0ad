// Vector API kernels for quantized and gathered-row layouts. Vector constants live here, never in
// the provider (Kernels), so the provider loads and logs a fallback without the module.
package io.strata.compression.kernel;

import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels at the machine's preferred width (L = 8 float lanes on AVX2, 16 on AVX-512). The packed
 * layout does not depend on L: only the run-time permutation of x does. INT3 has no vector path
 * (its 3-byte packs do not map onto int lanes) and runs the scalar twin.
 */
public final class VectorQuantKernels implements QuantKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** SPREAD_n: lane i takes element i / n, so one load of scales fills the lanes of n-lane groups. */
    static final VectorShuffle<Float> SPREAD_2 = VectorShuffle.fromOp(F, i -> i >> 1);
    static final VectorShuffle<Float> SPREAD_4 = VectorShuffle.fromOp(F, i -> i >> 2);
    static final VectorShuffle<Float> SPREAD_8 = VectorShuffle.fromOp(F, i -> i >> 3);
    /** GATHER[log2 vpl][i] = vpl·i: the columns of x that lane i of a chunk's code k meets (vpl codes per int lane). */
    private static final int[][] GATHER = new int[5][];

    static {
        for (int b = 0; b < GATHER.length; b++) {
            GATHER[b] = new int[L];
            for (int i = 0; i < L; i++) GATHER[b][i] = (1 << b) * i;
        }
    }
    /** Rows of a gathered down projection combined per pass over a y tile (y is loaded once per 4 rows). */
    static final int ROW_BLOCK = 4;

    private final ScalarQuantKernels scalar = new ScalarQuantKernels();

    @Override
    public String name() {
        return "vector-" + F.vectorBitSize();
    }

    /*
     * Quantized matvec. One int-vector load takes 4·L packed bytes; int lane i holds the
     * vpl = 32/bits consecutive codes [c + vpl·i, c + vpl·i + vpl), so shifting every lane by
     * bits·k and masking yields code k of each lane: the elements {c + vpl·i + k}. x is permuted
     * once per call (O(cols) against O(rows·cols)) so those elements are contiguous:
     * xp[c + L·k + i] = x[c + vpl·i + k] (times 2^(−bits·k) for k < vpl − 1: see the row dots). A
     * lane's run of vpl ≤ 16 codes never straddles a group (groups are ≥ 32), so the group scale is
     * applied per lane (from a per-row table, or straight from the group scales: directShift), and the
     * zero point enters once per group as s·z·Σx: Σ_c (q_c − z)·s·x_c = s·Σ q·x − s·z·Σ x.
     * Columns past the last whole L·vpl chunk (e.g. cols not a multiple of 16·L for INT2) run scalar.
     *
     * Per-row work is kept off the scalar path: it was measured to cost as much as the row's dot
     * product itself (2048-wide rows took ~220 ns whatever the bit width, L2-resident, one thread).
     * The f16 scales and zeros of PARAM_BLOCK rows are contiguous in the layout, so they are copied
     * and converted in one loop per block (C2 vectorises Float.float16ToFloat over arrays), and the
     * zero-point terms Σ_g s·z·(−Σx) are folded into the row's accumulator with L groups per fma
     * instead of a serial chain of one subtraction per group. xsum holds −Σx for that reason.
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
        float[] xsum = new float[n * groups]; // (n, groups) −Σ x over each group (negated: see above)
        // code k < vpl − 1 is masked in place (q·2^(bits·k), see the row dots and dequantRow), so its x is scaled
        // by 2^(−bits·k) here: both factors of each product change by exact powers of two, the product not at all
        // The permutation is one gather per (chunk, k): lane i takes x[c0 + vpl·i + k]. The group sums run four groups
        // at a time, each in column order, so every sum has the bits of the one-group loop (a chain of dependent adds,
        // which four interleaved chains run about four times as fast). Over 2048 columns this prologue took 1.69-1.72 µs
        // per call against 2.27-2.28 with scalar loops (bench/results/cpu-speed/expert-calls/prologue.txt).
        int[] gather = GATHER[Integer.numberOfTrailingZeros(vpl)];
        for (int t = 0; t < n; t++) {
            int xo = t * cols;
            for (int c0 = 0; c0 < vecCols; c0 += chunk) {
                for (int k = 0; k < vpl; k++) {
                    float f = k < vpl - 1 ? Math.scalb(1f, -bits * k) : 1f;
                    FloatVector.fromArray(F, x, xo + c0 + k, gather, 0).mul(f).intoArray(xp, xo + c0 + k * L);
                }
            }
            System.arraycopy(x, xo + vecCols, xp, xo + vecCols, cols - vecCols);
            int g = 0, so = t * groups;
            for (; g + 4 <= groups; g += 4) {
                float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
                int b0 = xo + g * gs, b1 = b0 + gs, b2 = b1 + gs, b3 = b2 + gs;
                for (int c = 0; c < gs; c++) {
                    s0 += x[b0 + c];
                    s1 += x[b1 + c];
                    s2 += x[b2 + c];
                    s3 += x[b3 + c];
                }
                xsum[so + g] = -s0;
                xsum[so + g + 1] = -s1;
                xsum[so + g + 2] = -s2;
                xsum[so + g + 3] = -s3;
            }
            for (; g < groups; g++) {
                float s = 0f;
                for (int c = g * gs; c < (g + 1) * gs; c++) s += x[xo + c];
                xsum[so + g] = -s;
            }
        }
        if (n >= BATCH_MIN_TOKENS) {
            rowsBatched(w, x, xp, xsum, n, out, r0, r1, vecCols);
            return;
        }
        switch (bits) {
            case 2, 4, 8 -> rowsSpread(w, x, xp, xsum, n, out, r0, r1, vecCols);
            default -> throw new IllegalStateException("bits " + bits);
        }
    }

    /** From this many tokens on, a row is dequantized once and multiplied with all tokens (prefill). */
    static final int BATCH_MIN_TOKENS = 2;

    /**
     * INT2, INT4 and INT8 batches up to this many tokens (two blocks of four: an expert's share of a prompt) take the
     * fused passes, which dequantize the rows again for each block of tokens; a longer batch (a prompt through the
     * attention projections) dequantizes each row once into d: at 32 tokens the fused passes ran slower (fused4x4).
     */
    static final int FUSED_MAX_TOKENS = 8;

    /*
     * Prefill (n ≥ 2 tokens): the code extraction (mask, convert: two instructions per weight and lane, against one
     * fma) is what bounds the one-token kernel, so for a batch longer than FUSED_MAX_TOKENS each row is dequantized
     * once, to q·s in the lane order of xp, into an L1-resident float row, and those rows meet the tokens in a
     * register-blocked loop: four rows × four tokens per pass, sixteen independent fma chains, eight loads per sixteen
     * fmas. Each (row, token) sum is one fma chain over the columns in order, so its bits do not depend on how rows and
     * tokens were blocked. A last block of one or two tokens takes a pass of its own width (dot4x1, dot4x2: an expert's
     * share of a prompt is often 5 or 6 tokens); one of three repeats token 0 (computed and dropped).
     * INT2, INT4 and INT8 rows in batches of up to FUSED_MAX_TOKENS take the same products and chains dequantized in
     * registers, the last block of one or two tokens in a pass of its own width too (fused4x1, fused4x2): the
     * dequantization is a large part of a fused pass, and a padded pass repeats it for tokens that are dropped. Over
     * int4-g64 [1024, 2048] and [2048, 1024] from the cache, one thread, in two runs of interleaved pairs, five tokens
     * ran ahead in 21 of 24 pairs and two tokens in 20 of 24, while four tokens, whose passes did not change, were ahead
     * in 10 of 24 (bench/results/cpu-speed/int4-tail-passes/). A three-token pass ran behind the padded one and is not
     * used. INT2 rows fused so ran 1.22-1.89x the stored rows at 2 to 8 tokens, from the cache and from memory
     * (bench/results/cpu-speed/fused-int8/int2.txt).
     */
    private static void rowsBatched(QuantizedMatrix w, float[] x, float[] xp, float[] xsum, int n, float[] out, int r0, int r1,
                                    int vecCols) {
        int rows = w.rows(), cols = w.cols(), groups = w.format().groupsPerRow(cols), bits = w.format().bits();
        MemorySegment seg = w.data();
        long rowBytes = w.format().codeBytesPerRow(cols);
        int shift = directShift(w.format());
        int runs = vecCols * bits / 32;                       // lane runs of a row
        boolean fused = (bits == 2 || bits == 4 || bits == 8) && n <= FUSED_MAX_TOKENS;
        // Rows shorter than a page (INT2 below 16384 columns, INT4 below 8192, INT8 below 4096) are taken a quarter of
        // the range apart when the fused passes read them, as the one-token path does (RowQuarters): four consecutive
        // such rows share pages, and the hardware prefetcher lost them. The parameters then come PARAM_BLOCK passes at
        // a time for each quarter. Over int4-g64 [65536, 2048] from memory, one thread, 2 to 8 tokens ran 1.18-1.46x
        // faster, and [1024, 2048] from the cache 1.01-1.08x; prefill of the OLMoE-shaped int4 stores 1.16x and 1.14x
        // (pp32 in one JVM, ahead in 14 and 15 of 16 pairs; bench/results/cpu-speed/fused-int8/). The rows of a pass
        // do not change any row's bits.
        boolean spread = fused && rowBytes < VectorDenseKernels.PAGE;
        int pb = spread ? PARAM_BLOCK : 1;                    // passes per read of the parameters
        short[] raw = new short[4 * pb * groups];             // f16 scales or zeros of the rows read at once
        float[] scale = new float[4 * pb * groups + L], zs = new float[4 * pb * groups]; // s and s·z: (4, groups) or (4, pb, groups)
        float[] laneScale = new float[shift >= 0 ? 0 : 4 * runs]; // (4, runs) scale of each lane run of the block's rows
        float[][] d = new float[4][fused ? 0 : vecCols];       // (4, vecCols) the block's rows dequantized, lane order
        float[] sums = new float[16];                          // (4 rows, 4 tokens) dot products of one block
        float[] lanes = new float[16 * L];                     // the sixteen accumulators, stored for the lane sums
        int[] row = new int[4], po = new int[4];               // the pass's rows and where their parameters start
        int q = (r1 - r0 + 3) / 4; // passes, each row of a quarter (spread) or four rows (consecutive)
        for (int pass = 0; pass < q; pass++) {
            int nr;
            if (spread) {
                nr = RowQuarters.rows(r0, r1, q, pass, row);
                int bi = pass % pb;
                if (bi == 0) {
                    for (int k = 0; k < nr; k++) {
                        blockParams(w, row[k], Math.min(pb, RowQuarters.end(r0, r1, q, k) - row[k]), raw, scale, zs, k * pb * groups);
                    }
                }
                for (int i = 0; i < nr; i++) po[i] = (i * pb + bi) * groups;
            } else {
                nr = RowQuarters.consecutive(r0, r1, pass, row);
                for (int i = 0; i < nr; i++) po[i] = i * groups;
                blockParams(w, row[0], nr, raw, scale, zs, 0);
            }
            if (shift < 0) for (int i = 0; i < nr; i++) laneScales(w, scale, po[i], laneScale, i * runs, runs);
            float[] sv = shift >= 0 ? scale : laneScale;
            if (!fused) for (int i = 0; i < nr; i++) dequantRow(bits, seg, row[i] * rowBytes, sv, shift >= 0 ? po[i] : i * runs, shift, d[i], vecCols);
            // rows missing from the pass (the range's last rows) repeat its first row (computed and dropped)
            int i1 = nr > 1 ? 1 : 0, i2 = nr > 2 ? 2 : 0, i3 = nr > 3 ? 3 : 0;
            int s0 = shift >= 0 ? po[0] : 0, s1 = shift >= 0 ? po[i1] : i1 * runs; // each row's scales in sv
            int s2 = shift >= 0 ? po[i2] : i2 * runs, s3 = shift >= 0 ? po[i3] : i3 * runs;
            for (int t0 = 0; t0 < n; t0 += 4) {
                int nb = Math.min(4, n - t0);
                int o0 = t0 * cols, o1 = (nb > 1 ? t0 + 1 : 0) * cols, o2 = (nb > 2 ? t0 + 2 : 0) * cols, o3 = (nb > 3 ? t0 + 3 : 0) * cols;
                if (fused) { // at most two blocks of tokens: the rows dequantized in registers by each pass
                    long q0 = row[0] * rowBytes, q1 = row[i1] * rowBytes, q2 = row[i2] * rowBytes, q3 = row[i3] * rowBytes;
                    if (nb == 1) {
                        fused4x1(bits, seg, q0, q1, q2, q3, sv, s0, s1, s2, s3, shift, xp, o0, vecCols, lanes, sums);
                    } else if (nb == 2) {
                        fused4x2(bits, seg, q0, q1, q2, q3, sv, s0, s1, s2, s3, shift, xp, o0, o1, vecCols, lanes, sums);
                    } else {
                        fused4x4(bits, seg, q0, q1, q2, q3, sv, s0, s1, s2, s3, shift, xp, o0, o1, o2, o3, vecCols, lanes, sums);
                    }
                } else if (nb == 1) {
                    dot4x1(d[0], d[i1], d[i2], d[i3], xp, o0, vecCols, lanes, sums);
                } else if (nb == 2) {
                    dot4x2(d[0], d[i1], d[i2], d[i3], xp, o0, o1, vecCols, lanes, sums);
                } else {
                    dot4x4(d[0], d[i1], d[i2], d[i3], xp, o0, o1, o2, o3, vecCols, lanes, sums);
                }
                for (int i = 0; i < nr; i++) {
                    for (int k = 0; k < nb; k++) {
                        int t = t0 + k;
                        float y = sums[4 * i + k] + zeroTerms(zs, po[i], xsum, t * groups, groups, lanes);
                        out[t * rows + row[i]] = tail(w, row[i], t, y, x, scale, po[i], vecCols);
                    }
                }
            }
        }
    }

    /**
     * INT2, INT4 or INT8 ({@code bits}) rows at base0..base3 against the four tokens at xp offsets o0..o3 (a row or token
     * missing from the block repeats one that is there): sums[4·i + k]. The rows are dequantized in registers as
     * {@link #dequantRow} stores them (the same products q·2^(bits·k)·s, lane-run scales from sv at so0..so3), and each
     * (row, token) sum is the fma chain of {@link #dot4x4} over the same values in the same order, so the bits are those
     * of the dequantize-then-multiply passes. The code positions of a lane are one loop (k below the top code, its mask a
     * variable; then the top code) rather than written out, to keep the method within C2's inlining budget: an earlier
     * four-row dequantizing pass written out in full overran it and ran boxed (see the comment above rowsSpread). The
     * loop's count is a variable (32 / bits − 1) for INT8 too: a copy for INT8 alone with the constant 3 ran at 21.7 G
     * multiply-adds/s over [1024, 2048] with four tokens (written out by hand, 20.5), against 32.4 for this loop and
     * 24.9 for the stored rows (bench/results/cpu-speed/fused-int8/).
     *
     * Each pass recomputes the rows' q·s (a block of tokens past the first dequantizes them again) instead of storing
     * them to d and loading them back. Over [1024, 2048] with four tokens the INT4 dequantization alone ran at 31 G
     * weights/s against 74 G multiply-adds/s for the passes alone; the fused passes were ahead in 17 of 20 interleaved
     * pairs at 2 to 8 tokens from cache on one thread (median 1.3x) and behind in all 4 at 32 tokens, 0.77-0.92x
     * (bench/results/cpu-speed/fused-int4/), so longer batches keep the stored rows (FUSED_MAX_TOKENS). INT8 rows
     * fused so, in one JVM against the stored rows, one thread (fused-int8/generic.txt): at 2 to 8 tokens 1.09-1.58x
     * from cache and 1.33-1.78x from memory; at 16 tokens 0.97x and 1.06x, at 32 0.91x and 0.97x.
     */
    private static void fused4x4(int bits, MemorySegment seg, long base0, long base1, long base2, long base3, float[] sv, int so0, int so1, int so2,
                                     int so3, int shift, float[] xp, int o0, int o1, int o2, int o3, int vecCols, float[] lanes, float[] sums) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z, e0 = z, e1 = z, e2 = z, e3 = z;
        int codes = 32 / bits, mask = (1 << bits) - 1, top = 32 - bits;
        for (int c = 0, j = 0; c < vecCols; c += codes * L, j += L) {
            long cb = (long) c * bits >>> 3;
            IntVector p0 = IntVector.fromMemorySegment(I, seg, base0 + cb, LE), p1 = IntVector.fromMemorySegment(I, seg, base1 + cb, LE);
            IntVector p2 = IntVector.fromMemorySegment(I, seg, base2 + cb, LE), p3 = IntVector.fromMemorySegment(I, seg, base3 + cb, LE);
            FloatVector s0 = shift < 0 ? FloatVector.fromArray(F, sv, so0 + j)
                    : bits == 4 ? FloatVector.fromArray(F, sv, so0 + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.broadcast(F, sv[so0 + (j >>> shift)]);
            FloatVector s1 = shift < 0 ? FloatVector.fromArray(F, sv, so1 + j)
                    : bits == 4 ? FloatVector.fromArray(F, sv, so1 + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.broadcast(F, sv[so1 + (j >>> shift)]);
            FloatVector s2 = shift < 0 ? FloatVector.fromArray(F, sv, so2 + j)
                    : bits == 4 ? FloatVector.fromArray(F, sv, so2 + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.broadcast(F, sv[so2 + (j >>> shift)]);
            FloatVector s3 = shift < 0 ? FloatVector.fromArray(F, sv, so3 + j)
                    : bits == 4 ? FloatVector.fromArray(F, sv, so3 + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.broadcast(F, sv[so3 + (j >>> shift)]);
            for (int k = 0; k < codes - 1; k++) {
                int m = mask << (bits * k);
                int o = c + k * L;
                FloatVector x0 = FloatVector.fromArray(F, xp, o0 + o), x1 = FloatVector.fromArray(F, xp, o1 + o);
                FloatVector x2 = FloatVector.fromArray(F, xp, o2 + o), x3 = FloatVector.fromArray(F, xp, o3 + o);
                FloatVector w = ((FloatVector) p0.and(m).convert(VectorOperators.I2F, 0)).mul(s0);
                a0 = w.fma(x0, a0);
                a1 = w.fma(x1, a1);
                a2 = w.fma(x2, a2);
                a3 = w.fma(x3, a3);
                w = ((FloatVector) p1.and(m).convert(VectorOperators.I2F, 0)).mul(s1);
                b0 = w.fma(x0, b0);
                b1 = w.fma(x1, b1);
                b2 = w.fma(x2, b2);
                b3 = w.fma(x3, b3);
                w = ((FloatVector) p2.and(m).convert(VectorOperators.I2F, 0)).mul(s2);
                c0 = w.fma(x0, c0);
                c1 = w.fma(x1, c1);
                c2 = w.fma(x2, c2);
                c3 = w.fma(x3, c3);
                w = ((FloatVector) p3.and(m).convert(VectorOperators.I2F, 0)).mul(s3);
                e0 = w.fma(x0, e0);
                e1 = w.fma(x1, e1);
                e2 = w.fma(x2, e2);
                e3 = w.fma(x3, e3);
            }
            {
                int k = codes - 1;
                int o = c + k * L;
                FloatVector x0 = FloatVector.fromArray(F, xp, o0 + o), x1 = FloatVector.fromArray(F, xp, o1 + o);
                FloatVector x2 = FloatVector.fromArray(F, xp, o2 + o), x3 = FloatVector.fromArray(F, xp, o3 + o);
                FloatVector w = ((FloatVector) p0.lanewise(VectorOperators.LSHR, top).convert(VectorOperators.I2F, 0)).mul(s0);
                a0 = w.fma(x0, a0);
                a1 = w.fma(x1, a1);
                a2 = w.fma(x2, a2);
                a3 = w.fma(x3, a3);
                w = ((FloatVector) p1.lanewise(VectorOperators.LSHR, top).convert(VectorOperators.I2F, 0)).mul(s1);
                b0 = w.fma(x0, b0);
                b1 = w.fma(x1, b1);
                b2 = w.fma(x2, b2);
                b3 = w.fma(x3, b3);
                w = ((FloatVector) p2.lanewise(VectorOperators.LSHR, top).convert(VectorOperators.I2F, 0)).mul(s2);
                c0 = w.fma(x0, c0);
                c1 = w.fma(x1, c1);
                c2 = w.fma(x2, c2);
                c3 = w.fma(x3, c3);
                w = ((FloatVector) p3.lanewise(VectorOperators.LSHR, top).convert(VectorOperators.I2F, 0)).mul(s3);
                e0 = w.fma(x0, e0);
                e1 = w.fma(x1, e1);
                e2 = w.fma(x2, e2);
                e3 = w.fma(x3, e3);
            }
        }
        if (L == 16) { // reduced in registers as VectorDenseKernels.rows4x4Bf16 does: accumulator 4·i + k (row i, token k) in lane 4·i + k
            VectorMask<Float> m = LaneSum.M8;
            VectorShuffle<Float> x = LaneSum.X8;
            FloatVector s0 = a0.blend(c0, m).add(c0.blend(a0, m).rearrange(x)), s4 = b0.blend(e0, m).add(e0.blend(b0, m).rearrange(x));
            FloatVector s1 = a1.blend(c1, m).add(c1.blend(a1, m).rearrange(x)), s5 = b1.blend(e1, m).add(e1.blend(b1, m).rearrange(x));
            FloatVector s2 = a2.blend(c2, m).add(c2.blend(a2, m).rearrange(x)), s6 = b2.blend(e2, m).add(e2.blend(b2, m).rearrange(x));
            FloatVector s3 = a3.blend(c3, m).add(c3.blend(a3, m).rearrange(x)), s7 = b3.blend(e3, m).add(e3.blend(b3, m).rearrange(x));
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
            s0.blend(s1, LaneSum.M1).add(s1.blend(s0, LaneSum.M1).rearrange(LaneSum.X1)).intoArray(sums, 0);
            return;
        }
        if (L == 8) { // the same with 8 lanes: accumulator 4·i + k in lane 4·i + k of sums[0 .. 8) (rows 0, 1) and sums[8 .. 16) (rows 2, 3)
            VectorMask<Float> m = LaneSum.M4;
            VectorShuffle<Float> x = LaneSum.X4;
            FloatVector s0 = a0.blend(b0, m).add(b0.blend(a0, m).rearrange(x)), s4 = c0.blend(e0, m).add(e0.blend(c0, m).rearrange(x));
            FloatVector s1 = a1.blend(b1, m).add(b1.blend(a1, m).rearrange(x)), s5 = c1.blend(e1, m).add(e1.blend(c1, m).rearrange(x));
            FloatVector s2 = a2.blend(b2, m).add(b2.blend(a2, m).rearrange(x)), s6 = c2.blend(e2, m).add(e2.blend(c2, m).rearrange(x));
            FloatVector s3 = a3.blend(b3, m).add(b3.blend(a3, m).rearrange(x)), s7 = c3.blend(e3, m).add(e3.blend(c3, m).rearrange(x));
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
        for (int i = 0; i < 4; i++) LaneSum.sum4(lanes, 4 * i * L, sums, 4 * i, 1);
    }

    /** {@link #fused4x4} for two tokens at xp offsets o0, o1: sums[4·i + k] (k < 2), the same products and fma chains, so the same bits. */
    private static void fused4x2(int bits, MemorySegment seg, long base0, long base1, long base2, long base3, float[] sv, int so0, int so1, int so2,
                                     int so3, int shift, float[] xp, int o0, int o1, int vecCols, float[] lanes, float[] sums) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, b0 = z, b1 = z, c0 = z, c1 = z, e0 = z, e1 = z;
        int codes = 32 / bits, mask = (1 << bits) - 1, top = 32 - bits;
        for (int c = 0, j = 0; c < vecCols; c += codes * L, j += L) {
            long cb = (long) c * bits >>> 3;
            IntVector p0 = IntVector.fromMemorySegment(I, seg, base0 + cb, LE), p1 = IntVector.fromMemorySegment(I, seg, base1 + cb, LE);
            IntVector p2 = IntVector.fromMemorySegment(I, seg, base2 + cb, LE), p3 = IntVector.fromMemorySegment(I, seg, base3 + cb, LE);
            FloatVector s0 = shift < 0 ? FloatVector.fromArray(F, sv, so0 + j)
                    : bits == 4 ? FloatVector.fromArray(F, sv, so0 + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.broadcast(F, sv[so0 + (j >>> shift)]);
            FloatVector s1 = shift < 0 ? FloatVector.fromArray(F, sv, so1 + j)
                    : bits == 4 ? FloatVector.fromArray(F, sv, so1 + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.broadcast(F, sv[so1 + (j >>> shift)]);
            FloatVector s2 = shift < 0 ? FloatVector.fromArray(F, sv, so2 + j)
                    : bits == 4 ? FloatVector.fromArray(F, sv, so2 + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.broadcast(F, sv[so2 + (j >>> shift)]);
            FloatVector s3 = shift < 0 ? FloatVector.fromArray(F, sv, so3 + j)
                    : bits == 4 ? FloatVector.fromArray(F, sv, so3 + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.broadcast(F, sv[so3 + (j >>> shift)]);
            for (int k = 0; k < codes - 1; k++) {
                int m = mask << (bits * k);
                int o = c + k * L;
                FloatVector x0 = FloatVector.fromArray(F, xp, o0 + o), x1 = FloatVector.fromArray(F, xp, o1 + o);
                FloatVector w = ((FloatVector) p0.and(m).convert(VectorOperators.I2F, 0)).mul(s0);
                a0 = w.fma(x0, a0);
                a1 = w.fma(x1, a1);
                w = ((FloatVector) p1.and(m).convert(VectorOperators.I2F, 0)).mul(s1);
                b0 = w.fma(x0, b0);
                b1 = w.fma(x1, b1);
                w = ((FloatVector) p2.and(m).convert(VectorOperators.I2F, 0)).mul(s2);
                c0 = w.fma(x0, c0);
                c1 = w.fma(x1, c1);
                w = ((FloatVector) p3.and(m).convert(VectorOperators.I2F, 0)).mul(s3);
                e0 = w.fma(x0, e0);
                e1 = w.fma(x1, e1);
            }
            {
                int k = codes - 1;
                int o = c + k * L;
                FloatVector x0 = FloatVector.fromArray(F, xp, o0 + o), x1 = FloatVector.fromArray(F, xp, o1 + o);
                FloatVector w = ((FloatVector) p0.lanewise(VectorOperators.LSHR, top).convert(VectorOperators.I2F, 0)).mul(s0);
                a0 = w.fma(x0, a0);
                a1 = w.fma(x1, a1);
                w = ((FloatVector) p1.lanewise(VectorOperators.LSHR, top).convert(VectorOperators.I2F, 0)).mul(s1);
                b0 = w.fma(x0, b0);
                b1 = w.fma(x1, b1);
                w = ((FloatVector) p2.lanewise(VectorOperators.LSHR, top).convert(VectorOperators.I2F, 0)).mul(s2);
                c0 = w.fma(x0, c0);
                c1 = w.fma(x1, c1);
                w = ((FloatVector) p3.lanewise(VectorOperators.LSHR, top).convert(VectorOperators.I2F, 0)).mul(s3);
                e0 = w.fma(x0, e0);
                e1 = w.fma(x1, e1);
            }
        }
        if (L == 16) { // reduced in registers as VectorDenseKernels.rows4x4Bf16 does: accumulator 4·i + k (row i, token k) in lane 4·i + k
            VectorMask<Float> m = LaneSum.M8;
            VectorShuffle<Float> x = LaneSum.X8;
            FloatVector s0 = a0.blend(c0, m).add(c0.blend(a0, m).rearrange(x)), s4 = b0.blend(e0, m).add(e0.blend(b0, m).rearrange(x));
            FloatVector s1 = a1.blend(c1, m).add(c1.blend(a1, m).rearrange(x)), s5 = b1.blend(e1, m).add(e1.blend(b1, m).rearrange(x));
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
            FloatVector s0 = a0.blend(b0, m).add(b0.blend(a0, m).rearrange(x)), s4 = c0.blend(e0, m).add(e0.blend(c0, m).rearrange(x));
            FloatVector s1 = a1.blend(b1, m).add(b1.blend(a1, m).rearrange(x)), s5 = c1.blend(e1, m).add(e1.blend(c1, m).rearrange(x));
            s0 = s0.add(s0.rearrange(LaneSum.X2));
            s1 = s1.add(s1.rearrange(LaneSum.X2));
            s4 = s4.add(s4.rearrange(LaneSum.X2));
            s5 = s5.add(s5.rearrange(LaneSum.X2));
            s0.blend(s1, LaneSum.M1).add(s1.blend(s0, LaneSum.M1).rearrange(LaneSum.X1)).intoArray(sums, 0);
            s4.blend(s5, LaneSum.M1).add(s5.blend(s4, LaneSum.M1).rearrange(LaneSum.X1)).intoArray(sums, 8);
            return;
        }
        // row i's token k at lanes[(4·i + k)·L], as fused4x4 lays them; the other blocks of a row are not read back
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        b0.intoArray(lanes, 4 * L);
        b1.intoArray(lanes, 5 * L);
        c0.intoArray(lanes, 8 * L);
        c1.intoArray(lanes, 9 * L);
        e0.intoArray(lanes, 12 * L);
        e1.intoArray(lanes, 13 * L);
        for (int i = 0; i < 4; i++) LaneSum.sum4(lanes, 4 * i * L, sums, 4 * i, 1);
    }

    /** {@link #fused4x4} for one token at xp offset o0: sums[4·i + k] (k < 1), the same products and fma chains, so the same bits. */
    private static void fused4x1(int bits, MemorySegment seg, long base0, long base1, long base2, long base3, float[] sv, int so0, int so1, int so2,
                                     int so3, int shift, float[] xp, int o0, int vecCols, float[] lanes, float[] sums) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, b0 = z, c0 = z, e0 = z;
        int codes = 32 / bits, mask = (1 << bits) - 1, top = 32 - bits;
        for (int c = 0, j = 0; c < vecCols; c += codes * L, j += L) {
            long cb = (long) c * bits >>> 3;
            IntVector p0 = IntVector.fromMemorySegment(I, seg, base0 + cb, LE), p1 = IntVector.fromMemorySegment(I, seg, base1 + cb, LE);
            IntVector p2 = IntVector.fromMemorySegment(I, seg, base2 + cb, LE), p3 = IntVector.fromMemorySegment(I, seg, base3 + cb, LE);
            FloatVector s0 = shift < 0 ? FloatVector.fromArray(F, sv, so0 + j)
                    : bits == 4 ? FloatVector.fromArray(F, sv, so0 + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.broadcast(F, sv[so0 + (j >>> shift)]);
            FloatVector s1 = shift < 0 ? FloatVector.fromArray(F, sv, so1 + j)
                    : bits == 4 ? FloatVector.fromArray(F, sv, so1 + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.broadcast(F, sv[so1 + (j >>> shift)]);
            FloatVector s2 = shift < 0 ? FloatVector.fromArray(F, sv, so2 + j)
                    : bits == 4 ? FloatVector.fromArray(F, sv, so2 + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.broadcast(F, sv[so2 + (j >>> shift)]);
            FloatVector s3 = shift < 0 ? FloatVector.fromArray(F, sv, so3 + j)
                    : bits == 4 ? FloatVector.fromArray(F, sv, so3 + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.broadcast(F, sv[so3 + (j >>> shift)]);
            for (int k = 0; k < codes - 1; k++) {
                int m = mask << (bits * k);
                int o = c + k * L;
                FloatVector x0 = FloatVector.fromArray(F, xp, o0 + o);
                FloatVector w = ((FloatVector) p0.and(m).convert(VectorOperators.I2F, 0)).mul(s0);
                a0 = w.fma(x0, a0);
                w = ((FloatVector) p1.and(m).convert(VectorOperators.I2F, 0)).mul(s1);
                b0 = w.fma(x0, b0);
                w = ((FloatVector) p2.and(m).convert(VectorOperators.I2F, 0)).mul(s2);
                c0 = w.fma(x0, c0);
                w = ((FloatVector) p3.and(m).convert(VectorOperators.I2F, 0)).mul(s3);
                e0 = w.fma(x0, e0);
            }
            {
                int k = codes - 1;
                int o = c + k * L;
                FloatVector x0 = FloatVector.fromArray(F, xp, o0 + o);
                FloatVector w = ((FloatVector) p0.lanewise(VectorOperators.LSHR, top).convert(VectorOperators.I2F, 0)).mul(s0);
                a0 = w.fma(x0, a0);
                w = ((FloatVector) p1.lanewise(VectorOperators.LSHR, top).convert(VectorOperators.I2F, 0)).mul(s1);
                b0 = w.fma(x0, b0);
                w = ((FloatVector) p2.lanewise(VectorOperators.LSHR, top).convert(VectorOperators.I2F, 0)).mul(s2);
                c0 = w.fma(x0, c0);
                w = ((FloatVector) p3.lanewise(VectorOperators.LSHR, top).convert(VectorOperators.I2F, 0)).mul(s3);
                e0 = w.fma(x0, e0);
            }
        }
        if (L == 16) { // reduced in registers as VectorDenseKernels.rows4x4Bf16 does: accumulator 4·i + k (row i, token k) in lane 4·i + k
            VectorMask<Float> m = LaneSum.M8;
            VectorShuffle<Float> x = LaneSum.X8;
            FloatVector s0 = a0.blend(c0, m).add(c0.blend(a0, m).rearrange(x)), s4 = b0.blend(e0, m).add(e0.blend(b0, m).rearrange(x));
            m = LaneSum.M4;
            x = LaneSum.X4;
            s0 = s0.blend(s4, m).add(s4.blend(s0, m).rearrange(x));
            s0 = s0.add(s0.rearrange(LaneSum.X2));
            s0.add(s0.rearrange(LaneSum.X1)).intoArray(sums, 0);
            return;
        }
        if (L == 8) { // the same with 8 lanes: accumulator 4·i + k in lane 4·i + k of sums[0 .. 8) (rows 0, 1) and sums[8 .. 16) (rows 2, 3)
            VectorMask<Float> m = LaneSum.M4;
            VectorShuffle<Float> x = LaneSum.X4;
            FloatVector s0 = a0.blend(b0, m).add(b0.blend(a0, m).rearrange(x)), s4 = c0.blend(e0, m).add(e0.blend(c0, m).rearrange(x));
            s0 = s0.add(s0.rearrange(LaneSum.X2));
            s4 = s4.add(s4.rearrange(LaneSum.X2));
            s0.add(s0.rearrange(LaneSum.X1)).intoArray(sums, 0);
            s4.add(s4.rearrange(LaneSum.X1)).intoArray(sums, 8);
            return;
        }
        // row i's token k at lanes[(4·i + k)·L], as fused4x4 lays them; the other blocks of a row are not read back
        a0.intoArray(lanes, 0);
        b0.intoArray(lanes, 4 * L);
        c0.intoArray(lanes, 8 * L);
        e0.intoArray(lanes, 12 * L);
        for (int i = 0; i < 4; i++) LaneSum.sum4(lanes, 4 * i * L, sums, 4 * i, 1);
    }

    /**
     * Row codes × lane scales into d, in the lane order of xp (see {@link #matmul}): code k < vpl − 1 masked in
     * place, q·2^(bits·k)·s, against an xp scaled by 2^(−bits·k), so each product is the one of q·s and x. The
     * lane-run scales come from the table sv = laneScale (shift < 0), or with {@link #directShift} from the
     * row's group scales at sv[so ..): broadcast for int8, spread for int4 (shift = log2 of the lanes a group).
     */
    private static void dequantRow(int bits, MemorySegment seg, long base, float[] sv, int so, int shift, float[] d, int vecCols) {
        switch (bits) {
            case 8 -> {
                for (int c = 0, j = 0; c < vecCols; c += 4 * L, j += L) {
                    IntVector p = IntVector.fromMemorySegment(I, seg, base + c, LE);
                    FloatVector s = shift >= 0 ? FloatVector.broadcast(F, sv[so + (j >>> shift)]) : FloatVector.fromArray(F, sv, so + j);
                    ((FloatVector) p.and(255).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c);
                    ((FloatVector) p.and(255 << 8).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + L);
                    ((FloatVector) p.and(255 << 16).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + 2 * L);
                    ((FloatVector) p.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + 3 * L);
                }
            }
            case 4 -> {
                for (int c = 0, j = 0; c < vecCols; c += 8 * L, j += L) {
                    IntVector p = IntVector.fromMemorySegment(I, seg, base + c / 2, LE);
                    FloatVector s = shift >= 0 ? FloatVector.fromArray(F, sv, so + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.fromArray(F, sv, so + j);
                    ((FloatVector) p.and(15).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c);
                    ((FloatVector) p.and(15 << 4).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + L);
                    ((FloatVector) p.and(15 << 8).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + 2 * L);
                    ((FloatVector) p.and(15 << 12).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + 3 * L);
                    ((FloatVector) p.and(15 << 16).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + 4 * L);
                    ((FloatVector) p.and(15 << 20).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + 5 * L);
                    ((FloatVector) p.and(15 << 24).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + 6 * L);
                    ((FloatVector) p.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, c + 7 * L);
                }
            }
            case 2 -> {
                dequantInt2(seg, base, sv, so, d, vecCols, 0);
                dequantInt2(seg, base, sv, so, d, vecCols, 8);
            }
            default -> throw new IllegalStateException("bits " + bits);
        }
    }

    /**
     * INT2 codes k0 .. k0+7 of each lane, masked in place (two calls per row: at most 8 extractions per loop, see
     * rowsSpread). Code 15, the lane's top bits, takes the logical shift instead: its mask would make the int negative.
     */
    private static void dequantInt2(MemorySegment seg, long base, float[] laneScale, int so, float[] d, int vecCols, int k0) {
        int sh = 2 * k0;
        for (int c = 0, j = so; c < vecCols; c += 16 * L, j += L) {
            IntVector p = IntVector.fromMemorySegment(I, seg, base + c / 4, LE);
            FloatVector s = FloatVector.fromArray(F, laneScale, j);
            int o = c + k0 * L;
            ((FloatVector) p.and(3 << sh).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, o);
            ((FloatVector) p.and(3 << (sh + 2)).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, o + L);
            ((FloatVector) p.and(3 << (sh + 4)).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, o + 2 * L);
            ((FloatVector) p.and(3 << (sh + 6)).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, o + 3 * L);
            ((FloatVector) p.and(3 << (sh + 8)).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, o + 4 * L);
            ((FloatVector) p.and(3 << (sh + 10)).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, o + 5 * L);
            ((FloatVector) p.and(3 << (sh + 12)).convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, o + 6 * L);
            IntVector top = k0 == 0 ? p.and(3 << 14) : p.lanewise(VectorOperators.LSHR, 30);
            ((FloatVector) top.convert(VectorOperators.I2F, 0)).mul(s).intoArray(d, o + 7 * L);
        }
    }

    /**
     * sums[4·i + k] = Σ_c di[c]·xp[ok + c] for rows d0..d3 and the four token offsets ok,
     * c ∈ [0, vecCols): sixteen fma chains, four weight and four x loads per sixteen fmas (the x
     * of a long batch streams from L2, so each x load serves four rows). Reduced in fixed order
     * ({@link LaneSum}).
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
        if (L == 16) { // reduced in registers as VectorDenseKernels.rows4x4Bf16 does: accumulator 4·i + k (row i, token k) in lane 4·i + k
            VectorMask<Float> m = LaneSum.M8;
            VectorShuffle<Float> x = LaneSum.X8;
            FloatVector s0 = a0.blend(c0, m).add(c0.blend(a0, m).rearrange(x)), s4 = b0.blend(e0, m).add(e0.blend(b0, m).rearrange(x));
            FloatVector s1 = a1.blend(c1, m).add(c1.blend(a1, m).rearrange(x)), s5 = b1.blend(e1, m).add(e1.blend(b1, m).rearrange(x));
            FloatVector s2 = a2.blend(c2, m).add(c2.blend(a2, m).rearrange(x)), s6 = b2.blend(e2, m).add(e2.blend(b2, m).rearrange(x));
            FloatVector s3 = a3.blend(c3, m).add(c3.blend(a3, m).rearrange(x)), s7 = b3.blend(e3, m).add(e3.blend(b3, m).rearrange(x));
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
            s0.blend(s1, LaneSum.M1).add(s1.blend(s0, LaneSum.M1).rearrange(LaneSum.X1)).intoArray(sums, 0);
            return;
        }
        if (L == 8) { // the same with 8 lanes: accumulator 4·i + k in lane 4·i + k of sums[0 .. 8) (rows 0, 1) and sums[8 .. 16) (rows 2, 3)
            VectorMask<Float> m = LaneSum.M4;
            VectorShuffle<Float> x = LaneSum.X4;
            FloatVector s0 = a0.blend(b0, m).add(b0.blend(a0, m).rearrange(x)), s4 = c0.blend(e0, m).add(e0.blend(c0, m).rearrange(x));
            FloatVector s1 = a1.blend(b1, m).add(b1.blend(a1, m).rearrange(x)), s5 = c1.blend(e1, m).add(e1.blend(c1, m).rearrange(x));
            FloatVector s2 = a2.blend(b2, m).add(b2.blend(a2, m).rearrange(x)), s6 = c2.blend(e2, m).add(e2.blend(c2, m).rearrange(x));
            FloatVector s3 = a3.blend(b3, m).add(b3.blend(a3, m).rearrange(x)), s7 = c3.blend(e3, m).add(e3.blend(c3, m).rearrange(x));
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
        for (int i = 0; i < 4; i++) LaneSum.sum4(lanes, 4 * i * L, sums, 4 * i, 1);
    }

    /** {@link #dot4x4} for one token at offset o0: sums[4·i], the same fma chains and lane sums. */
    static void dot4x1(float[] d0, float[] d1, float[] d2, float[] d3, float[] xp, int o0, int vecCols, float[] lanes, float[] sums) {
        FloatVector a0 = FloatVector.zero(F), b0 = a0, c0 = a0, e0 = a0;
        for (int c = 0; c < vecCols; c += L) {
            FloatVector x0 = FloatVector.fromArray(F, xp, o0 + c);
            a0 = FloatVector.fromArray(F, d0, c).fma(x0, a0);
            b0 = FloatVector.fromArray(F, d1, c).fma(x0, b0);
            c0 = FloatVector.fromArray(F, d2, c).fma(x0, c0);
            e0 = FloatVector.fromArray(F, d3, c).fma(x0, e0);
        }
        if (L == 16) { // reduced in registers as VectorDenseKernels.rows4x4Bf16 does: accumulator 4·i + k (row i, token k) in lane 4·i + k
            VectorMask<Float> m = LaneSum.M8;
            VectorShuffle<Float> x = LaneSum.X8;
            FloatVector s0 = a0.blend(c0, m).add(c0.blend(a0, m).rearrange(x)), s4 = b0.blend(e0, m).add(e0.blend(b0, m).rearrange(x));
            m = LaneSum.M4;
            x = LaneSum.X4;
            s0 = s0.blend(s4, m).add(s4.blend(s0, m).rearrange(x));
            s0 = s0.add(s0.rearrange(LaneSum.X2));
            s0.add(s0.rearrange(LaneSum.X1)).intoArray(sums, 0);
            return;
        }
        if (L == 8) { // the same with 8 lanes: accumulator 4·i + k in lane 4·i + k of sums[0 .. 8) (rows 0, 1) and sums[8 .. 16) (rows 2, 3)
            VectorMask<Float> m = LaneSum.M4;
            VectorShuffle<Float> x = LaneSum.X4;
            FloatVector s0 = a0.blend(b0, m).add(b0.blend(a0, m).rearrange(x)), s4 = c0.blend(e0, m).add(e0.blend(c0, m).rearrange(x));
            s0 = s0.add(s0.rearrange(LaneSum.X2));
            s4 = s4.add(s4.rearrange(LaneSum.X2));
            s0.add(s0.rearrange(LaneSum.X1)).intoArray(sums, 0);
            s4.add(s4.rearrange(LaneSum.X1)).intoArray(sums, 8);
            return;
        }
        a0.intoArray(lanes, 0);
        b0.intoArray(lanes, L);
        c0.intoArray(lanes, 2 * L);
        e0.intoArray(lanes, 3 * L);
        LaneSum.sum4(lanes, 0, sums, 0, 4);
    }

    /** {@link #dot4x4} for two tokens at offsets o0, o1: sums[4·i + k], the same bits. */
    static void dot4x2(float[] d0, float[] d1, float[] d2, float[] d3, float[] xp, int o0, int o1, int vecCols,
                       float[] lanes, float[] sums) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, b0 = z, b1 = z, c0 = z, c1 = z, e0 = z, e1 = z;
        for (int c = 0; c < vecCols; c += L) {
            FloatVector x0 = FloatVector.fromArray(F, xp, o0 + c), x1 = FloatVector.fromArray(F, xp, o1 + c);
            FloatVector w = FloatVector.fromArray(F, d0, c);
            a0 = w.fma(x0, a0);
            a1 = w.fma(x1, a1);
            w = FloatVector.fromArray(F, d1, c);
            b0 = w.fma(x0, b0);
            b1 = w.fma(x1, b1);
            w = FloatVector.fromArray(F, d2, c);
            c0 = w.fma(x0, c0);
            c1 = w.fma(x1, c1);
            w = FloatVector.fromArray(F, d3, c);
            e0 = w.fma(x0, e0);
            e1 = w.fma(x1, e1);
        }
        if (L == 16) { // reduced in registers as VectorDenseKernels.rows4x4Bf16 does: accumulator 4·i + k (row i, token k) in lane 4·i + k
            VectorMask<Float> m = LaneSum.M8;
            VectorShuffle<Float> x = LaneSum.X8;
            FloatVector s0 = a0.blend(c0, m).add(c0.blend(a0, m).rearrange(x)), s4 = b0.blend(e0, m).add(e0.blend(b0, m).rearrange(x));
            FloatVector s1 = a1.blend(c1, m).add(c1.blend(a1, m).rearrange(x)), s5 = b1.blend(e1, m).add(e1.blend(b1, m).rearrange(x));
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
            FloatVector s0 = a0.blend(b0, m).add(b0.blend(a0, m).rearrange(x)), s4 = c0.blend(e0, m).add(e0.blend(c0, m).rearrange(x));
            FloatVector s1 = a1.blend(b1, m).add(b1.blend(a1, m).rearrange(x)), s5 = c1.blend(e1, m).add(e1.blend(c1, m).rearrange(x));
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
        b0.intoArray(lanes, L);
        c0.intoArray(lanes, 2 * L);
        e0.intoArray(lanes, 3 * L);
        a1.intoArray(lanes, 4 * L);
        b1.intoArray(lanes, 5 * L);
        c1.intoArray(lanes, 6 * L);
        e1.intoArray(lanes, 7 * L);
        LaneSum.sum4(lanes, 0, sums, 0, 4);
        LaneSum.sum4(lanes, 4 * L, sums, 1, 4);
    }

    /**
     * log2 of the lanes a group spans where the row dots and dequantRow take the lane-run scales straight from the
     * rows' group scales, else −1 (they read a per-row lane-scale table). Direct: int8 whose groups span ≥ L lanes
     * (broadcast; int8-g64 and -g128 at L = 16, every int8 group at L = 8), and int4-g64 (8 lanes a group, shift 3:
     * two groups' scales spread over a vector by SPREAD_8; at L = 8 the same shuffle is a broadcast).
     */
    static int directShift(QuantFormat f) {
        int lanesPerGroup = f.groupSize() * f.bits() / 32;
        boolean direct = f.bits() == 8 ? lanesPerGroup >= L : f.bits() == 4 && lanesPerGroup == 8;
        return direct ? Integer.numberOfTrailingZeros(lanesPerGroup) : -1;
    }

    /** Rows per parameter block of the one-token path: 16 rows × 32 groups convert in one 512-float loop. */
    static final int PARAM_BLOCK = 16;

    /**
     * A quarter of at least LONG_QUARTER rows (a range of 4093 rows or more on one thread: an output head, or a large
     * model's projection) reads its parameters LONG_PARAM_BLOCK rows at a time: fewer, longer bursts of the scale and
     * zero tables beside the code streams. Over
     * the OLMoE-shaped head's shape [50304, 2048] from memory, on a Zen 5 VM, INT8 ran 1.07-1.09x faster on one thread
     * and 1.08-1.09x split over two, INT4 1.12-1.15x, in two passes of 12 interleaved rounds (every round ahead), while
     * the attention's and experts' shapes, which keep 16-row blocks, ran 0.99-1.03x (bench/results/cpu-speed/param-blocks/).
     * They keep them because their four quarters' tables of 64-row blocks (64 KiB of floats) would not fit in L1; in
     * scratch runs, not kept, 64- and 256-row blocks for them ran no faster or slower. The values are the same, so the
     * bits are too.
     */
    static final int LONG_QUARTER = 1024, LONG_PARAM_BLOCK = 64;

    /**
     * Parameters of rows [r, r + nr): {@code scale[i·groups + g]} = s and {@code zs[i·groups + g]} = s·z of
     * row r + i, group g. Both f16 tables are row-major, so a block's values are contiguous: one bulk copy
     * and one conversion loop each (the loops are simple enough for C2 to vectorise).
     *
     * @param raw   (≥ nr·groups) scratch for the f16 bits
     * @param scale (≥ nr·groups) out
     * @param zs    (≥ nr·groups) out
     */
    private static void blockParams(QuantizedMatrix w, int r, int nr, short[] raw, float[] scale, float[] zs) {
        blockParams(w, r, nr, raw, scale, zs, 0);
    }

    /** {@link #blockParams} into scale[off ..] and zs[off ..]. */
    private static void blockParams(QuantizedMatrix w, int r, int nr, short[] raw, float[] scale, float[] zs, int off) {
        MemorySegment seg = w.data();
        int groups = w.format().groupsPerRow(w.cols()), count = nr * groups;
        long po = 2L * r * groups;
        MemorySegment.copy(seg, Layouts.I16, w.scalesOffset() + po, raw, 0, count);
        for (int i = 0; i < count; i++) scale[off + i] = Float.float16ToFloat(raw[i]);
        MemorySegment.copy(seg, Layouts.I16, w.zerosOffset() + po, raw, 0, count);
        for (int i = 0; i < count; i++) zs[off + i] = scale[off + i] * Float.float16ToFloat(raw[i]);
    }

    /**
     * laneScale[lo + j] = s of the group of lane run j (j < lanes) of the row whose scales start at {@code scale[so]}.
     * The table is filled with vector stores: a scalar fill of one float per lane cost 30-50 % of the
     * whole matvec (2048-wide rows). lanesPerGroup is a power of two ≥ 2; scale has L floats of padding
     * so a load of L scales never runs off its end.
     */
    private static void laneScales(QuantizedMatrix w, float[] scale, int so, float[] laneScale, int lo, int lanes) {
        int lanesPerGroup = w.format().groupSize() * w.format().bits() / 32;
        int shift = Integer.numberOfTrailingZeros(lanesPerGroup);
        if (lanesPerGroup >= L) {
            for (int j = 0; j < lanes; j += L) FloatVector.broadcast(F, scale[so + (j >>> shift)]).intoArray(laneScale, lo + j);
        } else if (shift == 1) { // one loop per shuffle: a shuffle read from an array is not a constant to C2
            for (int j = 0; j < lanes; j += L) FloatVector.fromArray(F, scale, so + (j >>> 1)).rearrange(SPREAD_2).intoArray(laneScale, lo + j);
        } else if (shift == 2) {
            for (int j = 0; j < lanes; j += L) FloatVector.fromArray(F, scale, so + (j >>> 2)).rearrange(SPREAD_4).intoArray(laneScale, lo + j);
        } else {
            for (int j = 0; j < lanes; j += L) FloatVector.fromArray(F, scale, so + (j >>> 3)).rearrange(SPREAD_8).intoArray(laneScale, lo + j);
        }
    }

    /**
     * Σ_g zs[zo + g] · nxsum[xo + g] over the row's groups (the zero-point terms; nxsum is −Σx): L groups
     * per fma, then the fixed-order lane sum, then the groups past the last multiple of L in order.
     */
    private static float zeroTerms(float[] zs, int zo, float[] nxsum, int xo, int groups, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        int g = 0;
        for (; g + L <= groups; g += L) acc = FloatVector.fromArray(F, zs, zo + g).fma(FloatVector.fromArray(F, nxsum, xo + g), acc);
        acc.intoArray(lanes, 0);
        float y = LaneSum.sum(lanes, 0);
        for (; g < groups; g++) y += zs[zo + g] * nxsum[xo + g];
        return y;
    }

    /** Adds the scalar tail columns [vecCols, cols) of row r, token t (none when cols is a multiple of the chunk). */
    private static float tail(QuantizedMatrix w, int r, int t, float y, float[] x, float[] scale, int so, int vecCols) {
        int cols = w.cols(), gs = w.format().groupSize(), xo = t * cols;
        for (int c = vecCols; c < cols; c++) y += w.code(r, c) * scale[so + c / gs] * x[xo + c];
        return y;
    }

    /*
     * The one-token path calls one "row dot" per width with every mask and shift a constant, so C2 emits plain
     * and/shift/convert instructions. C2 inlines the Vector API's Java code before intrinsifying it; where that
     * overran its node-count inlining cutoff (16 extractions of INT2 codes in one loop inlined into a caller, the
     * widths inlined into one caller, or a helper called with vectors from a four-row dot) it left the vectors boxed
     * and ran 2-30x slower. So each row dot is a method of its own that returns floats or fills an array, never
     * takes or returns vectors, and extracts at most 8 codes per row and loop: INT2 takes two passes over each
     * 32-byte load (codes 0-7, then 8-15 of each lane; the second pass reads the row from L1). Two partial sums
     * per row halve the fma dependency chain.
     *
     * Code k of a lane is taken in place, p & (mask << bits·k), which is q·2^(bits·k) exactly (at
     * most 8 significant bits, below bit 31), and matmul scaled its x by 2^(−bits·k) to match; the
     * top code needs only the logical shift. That is and + convert + fma per L weights instead of
     * shift + and + convert + fma, and every product is the same real number as q·x, so the bits do
     * not change (unless an x below 2^−98 would turn subnormal when scaled). With the tables below,
     * the int4 kernel ran 1.04-1.27x faster from L3 on one thread (bench/results/cpu-speed/session-6).
     *
     * Rows: the row range is cut into four quarters and each pass takes row i of every quarter (rowDot4Int2Lo/Hi,
     * rowDot4Int4, rowDot4Int8), so the kernel streams four runs of memory pages instead of one, which the hardware
     * prefetcher follows side by side, and the four rows share each x load. With consecutive rows (1 KiB of INT4
     * codes, four to a page) one row per pass ran at 7-11 G multiply-adds/s from memory on one thread and two rows
     * of the same page per pass at 6-9 (the prefetcher lost the stream); four rows a quarter apart ran at 20
     * (bench/results/cpu-speed/spread-rows/). Each row keeps its own fma chain, in the order of the one-row dot, so
     * the bits do not change. Rows a short last quarter lacks take the one-row dot.
     */
    private static void rowsSpread(QuantizedMatrix w, float[] x, float[] xp, float[] xsum, int n, float[] out, int r0, int r1, int vecCols) {
        int rows = w.rows(), cols = w.cols(), groups = w.format().groupsPerRow(cols), bits = w.format().bits();
        MemorySegment seg = w.data();
        long rowBytes = w.format().codeBytesPerRow(cols);
        int shift = directShift(w.format());
        int q = (r1 - r0 + 3) / 4; // rows per quarter; the last quarter may have fewer (or none)
        int pb = q >= LONG_QUARTER ? LONG_PARAM_BLOCK : PARAM_BLOCK;   // rows of a quarter whose parameters are read at once
        short[] raw = new short[pb * groups];                            // (pb, groups) f16 scales or zeros
        float[][] scale = new float[4][pb * groups + L];                // per quarter: (pb, groups) s, + L padding
        float[][] zs = new float[4][pb * groups];                       // per quarter: (pb, groups) s·z
        float[][] laneScale = new float[4][shift >= 0 ? 0 : vecCols * bits / 32]; // per quarter: the row's lane-run scales
        int[] r = new int[4];
        long[] base = new long[4];
        float[][] sv = new float[4][];
        int[] so = new int[4];
        float[] lanes = new float[4 * L], quad = new float[4], hi = new float[4];
        int block = blockKernel(w.format(), shift, n, vecCols, cols);
        float[] blockLanes = block != 0 ? new float[4 * L * pb] : null; // (pb, 4, L) a block's accumulators, stored
        for (int i = 0; i < q; i++) {
            int bi = i % pb, po = bi * groups, live = RowQuarters.rows(r0, r1, q, i, r);
            if (block != 0 && bi == 0 && live == 4) {
                // the passes of this parameter block that have four rows, in one call (see blockKernel)
                int passes = Math.min(pb, RowQuarters.end(r0, r1, q, 3) - r[3]);
                for (int k = 0; k < 4; k++) blockParams(w, r[k], Math.min(pb, RowQuarters.end(r0, r1, q, k) - r[k]), raw, scale[k], zs[k]);
                if (block == 8) {
                    block4Int8(seg, r[0] * rowBytes, q * rowBytes, rowBytes, passes, xp, scale[0], scale[1], scale[2], scale[3], vecCols,
                            zs[0], zs[1], zs[2], zs[3], xsum, groups, blockLanes);
                } else {
                    block4Int4(seg, r[0] * rowBytes, q * rowBytes, rowBytes, passes, xp, scale[0], scale[1], scale[2], scale[3], vecCols,
                            zs[0], zs[1], zs[2], zs[3], xsum, groups, blockLanes);
                }
                blockSums(blockLanes, passes, zs[0], zs[1], zs[2], zs[3], xsum, groups, quad, out, r[0], q);
                i += passes - 1; // the block's other passes have fewer rows: the general path below, their parameters read
                continue;
            }
            for (int k = 0; k < live; k++) {
                if (bi == 0) blockParams(w, r[k], Math.min(pb, RowQuarters.end(r0, r1, q, k) - r[k]), raw, scale[k], zs[k]);
                if (shift < 0) laneScales(w, scale[k], po, laneScale[k], 0, laneScale[k].length);
                base[k] = r[k] * rowBytes;
                sv[k] = shift >= 0 ? scale[k] : laneScale[k];
                so[k] = shift >= 0 ? po : 0;
            }
            for (int t = 0; t < n; t++) {
                int xo = t * cols, xso = t * groups;
                if (live == 4 && bits == 2) {
                    rowDot4Int2Lo(seg, base[0], base[1], base[2], base[3], xp, xo, sv[0], sv[1], sv[2], sv[3], vecCols, zs[0], zs[1], zs[2], zs[3],
                            po, xsum, xso, groups, lanes, quad);
                    rowDot4Int2Hi(seg, base[0], base[1], base[2], base[3], xp, xo, sv[0], sv[1], sv[2], sv[3], vecCols, lanes, hi);
                    for (int k = 0; k < 4; k++) quad[k] += hi[k];
                } else if (live == 4) {
                    if (bits == 4) {
                        rowDot4Int4(seg, base[0], base[1], base[2], base[3], xp, xo, sv[0], sv[1], sv[2], sv[3], so[0], so[1], so[2], so[3],
                                shift, vecCols, zs[0], zs[1], zs[2], zs[3], po, xsum, xso, groups, lanes, quad);
                    } else {
                        rowDot4Int8(seg, base[0], base[1], base[2], base[3], xp, xo, sv[0], sv[1], sv[2], sv[3], so[0], so[1], so[2], so[3],
                                shift, vecCols, zs[0], zs[1], zs[2], zs[3], po, xsum, xso, groups, lanes, quad);
                    }
                } else {
                    for (int k = 0; k < live; k++) {
                        quad[k] = switch (bits) {
                            case 2 -> rowDotInt2Lo(seg, base[k], xp, xo, sv[k], vecCols, zs[k], po, xsum, xso, groups, lanes)
                                    + rowDotInt2Hi(seg, base[k], xp, xo, sv[k], vecCols, lanes);
                            case 4 -> rowDotInt4(seg, base[k], xp, xo, sv[k], so[k], shift, vecCols, zs[k], po, xsum, xso, groups, lanes);
                            default -> rowDotInt8(seg, base[k], xp, xo, sv[k], so[k], shift, vecCols, zs[k], po, xsum, xso, groups, lanes);
                        };
                    }
                }
                for (int k = 0; k < live; k++) out[t * rows + r[k]] = tail(w, r[k], t, quad[k], x, scale[k], po, vecCols);
            }
        }
    }

    /** INT2 codes 0-7 of each lane: Σ_j laneScale · Σ q·x over [0, vecCols), plus the row's zero-point terms. */
    private static float rowDotInt2Lo(MemorySegment seg, long base, float[] xp, int xo, float[] laneScale, int vecCols,
                                     float[] zs, int zo, float[] nxsum, int xso, int groups, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0, j = 0; c < vecCols; c += 16 * L, j += L) {
            IntVector p = IntVector.fromMemorySegment(I, seg, base + c / 4, LE);
            int o = xo + c;
            FloatVector a0 = ((FloatVector) p.and(3).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, o));
            FloatVector a1 = ((FloatVector) p.and(3 << 2).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, o + 1 * L));
            a0 = ((FloatVector) p.and(3 << 4).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 2 * L), a0);
            a1 = ((FloatVector) p.and(3 << 6).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 3 * L), a1);
            a0 = ((FloatVector) p.and(3 << 8).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 4 * L), a0);
            a1 = ((FloatVector) p.and(3 << 10).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 5 * L), a1);
            a0 = ((FloatVector) p.and(3 << 12).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 6 * L), a0);
            a1 = ((FloatVector) p.and(3 << 14).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 7 * L), a1);
            acc = a0.add(a1).fma(FloatVector.fromArray(F, laneScale, j), acc);
        }
        // the zero-point terms of the row's groups, L per fma, into the same accumulator (see matmul)
        int g = 0;
        for (; g + L <= groups; g += L) acc = FloatVector.fromArray(F, zs, zo + g).fma(FloatVector.fromArray(F, nxsum, xso + g), acc);
        acc.intoArray(lanes, 0);
        float y = LaneSum.sum(lanes, 0);
        for (; g < groups; g++) y += zs[zo + g] * nxsum[xso + g];
        return y;
    }

    /** INT2 codes 8-15 of each lane. */
    private static float rowDotInt2Hi(MemorySegment seg, long base, float[] xp, int xo, float[] laneScale, int vecCols, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0, j = 0; c < vecCols; c += 16 * L, j += L) {
            IntVector p = IntVector.fromMemorySegment(I, seg, base + c / 4, LE);
            int o = xo + c;
            FloatVector a0 = ((FloatVector) p.and(3 << 16).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, o + 8 * L));
            FloatVector a1 = ((FloatVector) p.and(3 << 18).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, o + 9 * L));
            a0 = ((FloatVector) p.and(3 << 20).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 10 * L), a0);
            a1 = ((FloatVector) p.and(3 << 22).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 11 * L), a1);
            a0 = ((FloatVector) p.and(3 << 24).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 12 * L), a0);
            a1 = ((FloatVector) p.and(3 << 26).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 13 * L), a1);
            a0 = ((FloatVector) p.and(3 << 28).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 14 * L), a0);
            a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 30).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 15 * L), a1);
            acc = a0.add(a1).fma(FloatVector.fromArray(F, laneScale, j), acc);
        }
        acc.intoArray(lanes, 0);
        return LaneSum.sum(lanes, 0);
    }

    /**
     * INT4: the 8 codes of each lane. The lane-run scales come from the per-row table sv = laneScale (shift < 0),
     * or with {@link #directShift} (int4-g64: 8 lanes a group, shift 3) straight from the row's group scales sv =
     * scale at so: lane i of run j takes scale[so + (j + i) / 8]. Same products, same order, same bits. With
     * the in-place masks this ran 1.04-1.27x faster from L3 and 1.07-1.12x from memory on one thread
     * (bench/results/cpu-speed/session-6/one-token).
     */
    private static float rowDotInt4(MemorySegment seg, long base, float[] xp, int xo, float[] sv, int so, int shift, int vecCols,
                                     float[] zs, int zo, float[] nxsum, int xso, int groups, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0, j = 0; c < vecCols; c += 8 * L, j += L) {
            IntVector p = IntVector.fromMemorySegment(I, seg, base + c / 2, LE);
            int o = xo + c;
            FloatVector a0 = ((FloatVector) p.and(15).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, o));
            FloatVector a1 = ((FloatVector) p.and(15 << 4).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, o + 1 * L));
            a0 = ((FloatVector) p.and(15 << 8).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 2 * L), a0);
            a1 = ((FloatVector) p.and(15 << 12).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 3 * L), a1);
            a0 = ((FloatVector) p.and(15 << 16).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 4 * L), a0);
            a1 = ((FloatVector) p.and(15 << 20).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 5 * L), a1);
            a0 = ((FloatVector) p.and(15 << 24).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 6 * L), a0);
            a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 7 * L), a1);
            FloatVector sc = shift >= 0 ? FloatVector.fromArray(F, sv, so + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.fromArray(F, sv, j);
            acc = a0.add(a1).fma(sc, acc);
        }
        // the zero-point terms of the row's groups, L per fma, into the same accumulator (see matmul)
        int g = 0;
        for (; g + L <= groups; g += L) acc = FloatVector.fromArray(F, zs, zo + g).fma(FloatVector.fromArray(F, nxsum, xso + g), acc);
        acc.intoArray(lanes, 0);
        float y = LaneSum.sum(lanes, 0);
        for (; g < groups; g++) y += zs[zo + g] * nxsum[xso + g];
        return y;
    }

    /**
     * INT8: the 4 codes of each lane. The lane-run scales come from the per-row table sv = laneScale (shift < 0),
     * or, when a group spans ≥ L lanes, by broadcast of scale sv[so + j / 2^shift] of lane run j (shift = log2 of
     * the lanes a group). Same bits. With the in-place masks this ran 1.14-1.30x faster from L3 and
     * 1.04-1.10x from memory on one thread (bench/results/cpu-speed/session-6/one-token).
     */
    private static float rowDotInt8(MemorySegment seg, long base, float[] xp, int xo, float[] sv, int so, int shift, int vecCols,
                                     float[] zs, int zo, float[] nxsum, int xso, int groups, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0, j = 0; c < vecCols; c += 4 * L, j += L) {
            IntVector p = IntVector.fromMemorySegment(I, seg, base + c, LE);
            int o = xo + c;
            FloatVector a0 = ((FloatVector) p.and(255).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, o));
            FloatVector a1 = ((FloatVector) p.and(255 << 8).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, xp, o + 1 * L));
            a0 = ((FloatVector) p.and(255 << 16).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 2 * L), a0);
            a1 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xp, o + 3 * L), a1);
            FloatVector sc = shift >= 0 ? FloatVector.broadcast(F, sv[so + (j >>> shift)]) : FloatVector.fromArray(F, sv, j);
            acc = a0.add(a1).fma(sc, acc);
        }
        // the zero-point terms of the row's groups, L per fma, into the same accumulator (see matmul)
        int g = 0;
        for (; g + L <= groups; g += L) acc = FloatVector.fromArray(F, zs, zo + g).fma(FloatVector.fromArray(F, nxsum, xso + g), acc);
        acc.intoArray(lanes, 0);
        float y = LaneSum.sum(lanes, 0);
        for (; g < groups; g++) y += zs[zo + g] * nxsum[xso + g];
        return y;
    }

    /**
     * {@link #rowDotInt4} of four rows at base0..base3 (their lane-run scales at sv_k from so_k, zero terms at zs_k
     * from zo) in one pass over xp: quad[k] = row k's value, each row's products, chains and lane sum as there.
     */
    private static void rowDot4Int4(MemorySegment seg, long base0, long base1, long base2, long base3, float[] xp, int xo,
                                    float[] sv0, float[] sv1, float[] sv2, float[] sv3, int so0, int so1, int so2, int so3, int shift,
                                    int vecCols, float[] zs0, float[] zs1, float[] zs2, float[] zs3, int zo, float[] nxsum, int xso,
                                    int groups, float[] lanes, float[] quad) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int c = 0, j = 0; c < vecCols; c += 8 * L, j += L) {
            long cb = c / 2;
            IntVector p0 = IntVector.fromMemorySegment(I, seg, base0 + cb, LE), p1 = IntVector.fromMemorySegment(I, seg, base1 + cb, LE);
            IntVector p2 = IntVector.fromMemorySegment(I, seg, base2 + cb, LE), p3 = IntVector.fromMemorySegment(I, seg, base3 + cb, LE);
            int o = xo + c;
            FloatVector x = FloatVector.fromArray(F, xp, o);
            FloatVector a0 = ((FloatVector) p0.and(15).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector b0 = ((FloatVector) p1.and(15).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector c0 = ((FloatVector) p2.and(15).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector d0 = ((FloatVector) p3.and(15).convert(VectorOperators.I2F, 0)).mul(x);
            x = FloatVector.fromArray(F, xp, o + L);
            FloatVector a1 = ((FloatVector) p0.and(15 << 4).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector b1 = ((FloatVector) p1.and(15 << 4).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector c1 = ((FloatVector) p2.and(15 << 4).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector d1 = ((FloatVector) p3.and(15 << 4).convert(VectorOperators.I2F, 0)).mul(x);
            x = FloatVector.fromArray(F, xp, o + 2 * L);
            a0 = ((FloatVector) p0.and(15 << 8).convert(VectorOperators.I2F, 0)).fma(x, a0);
            b0 = ((FloatVector) p1.and(15 << 8).convert(VectorOperators.I2F, 0)).fma(x, b0);
            c0 = ((FloatVector) p2.and(15 << 8).convert(VectorOperators.I2F, 0)).fma(x, c0);
            d0 = ((FloatVector) p3.and(15 << 8).convert(VectorOperators.I2F, 0)).fma(x, d0);
            x = FloatVector.fromArray(F, xp, o + 3 * L);
            a1 = ((FloatVector) p0.and(15 << 12).convert(VectorOperators.I2F, 0)).fma(x, a1);
            b1 = ((FloatVector) p1.and(15 << 12).convert(VectorOperators.I2F, 0)).fma(x, b1);
            c1 = ((FloatVector) p2.and(15 << 12).convert(VectorOperators.I2F, 0)).fma(x, c1);
            d1 = ((FloatVector) p3.and(15 << 12).convert(VectorOperators.I2F, 0)).fma(x, d1);
            x = FloatVector.fromArray(F, xp, o + 4 * L);
            a0 = ((FloatVector) p0.and(15 << 16).convert(VectorOperators.I2F, 0)).fma(x, a0);
            b0 = ((FloatVector) p1.and(15 << 16).convert(VectorOperators.I2F, 0)).fma(x, b0);
            c0 = ((FloatVector) p2.and(15 << 16).convert(VectorOperators.I2F, 0)).fma(x, c0);
            d0 = ((FloatVector) p3.and(15 << 16).convert(VectorOperators.I2F, 0)).fma(x, d0);
            x = FloatVector.fromArray(F, xp, o + 5 * L);
            a1 = ((FloatVector) p0.and(15 << 20).convert(VectorOperators.I2F, 0)).fma(x, a1);
            b1 = ((FloatVector) p1.and(15 << 20).convert(VectorOperators.I2F, 0)).fma(x, b1);
            c1 = ((FloatVector) p2.and(15 << 20).convert(VectorOperators.I2F, 0)).fma(x, c1);
            d1 = ((FloatVector) p3.and(15 << 20).convert(VectorOperators.I2F, 0)).fma(x, d1);
            x = FloatVector.fromArray(F, xp, o + 6 * L);
            a0 = ((FloatVector) p0.and(15 << 24).convert(VectorOperators.I2F, 0)).fma(x, a0);
            b0 = ((FloatVector) p1.and(15 << 24).convert(VectorOperators.I2F, 0)).fma(x, b0);
            c0 = ((FloatVector) p2.and(15 << 24).convert(VectorOperators.I2F, 0)).fma(x, c0);
            d0 = ((FloatVector) p3.and(15 << 24).convert(VectorOperators.I2F, 0)).fma(x, d0);
            x = FloatVector.fromArray(F, xp, o + 7 * L);
            a1 = ((FloatVector) p0.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(x, a1);
            b1 = ((FloatVector) p1.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(x, b1);
            c1 = ((FloatVector) p2.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(x, c1);
            d1 = ((FloatVector) p3.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(x, d1);
            acc0 = a0.add(a1).fma(shift >= 0 ? FloatVector.fromArray(F, sv0, so0 + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.fromArray(F, sv0, j), acc0);
            acc1 = b0.add(b1).fma(shift >= 0 ? FloatVector.fromArray(F, sv1, so1 + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.fromArray(F, sv1, j), acc1);
            acc2 = c0.add(c1).fma(shift >= 0 ? FloatVector.fromArray(F, sv2, so2 + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.fromArray(F, sv2, j), acc2);
            acc3 = d0.add(d1).fma(shift >= 0 ? FloatVector.fromArray(F, sv3, so3 + (j >>> shift)).rearrange(SPREAD_8) : FloatVector.fromArray(F, sv3, j), acc3);
        }
        acc0.intoArray(lanes, 0);
        acc1.intoArray(lanes, L);
        acc2.intoArray(lanes, 2 * L);
        acc3.intoArray(lanes, 3 * L);
        zeroTermsAndSums4(lanes, zs0, zs1, zs2, zs3, zo, nxsum, xso, groups, quad);
    }

    /** {@link #rowDotInt2Lo} of four rows (lane-run scale tables ls0..ls3) in one pass over xp: quad[k], the same bits. */
    private static void rowDot4Int2Lo(MemorySegment seg, long base0, long base1, long base2, long base3, float[] xp, int xo,
                                      float[] ls0, float[] ls1, float[] ls2, float[] ls3, int vecCols, float[] zs0, float[] zs1,
                                      float[] zs2, float[] zs3, int zo, float[] nxsum, int xso, int groups, float[] lanes, float[] quad) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int c = 0, j = 0; c < vecCols; c += 16 * L, j += L) {
            long cb = c / 4;
            IntVector p0 = IntVector.fromMemorySegment(I, seg, base0 + cb, LE), p1 = IntVector.fromMemorySegment(I, seg, base1 + cb, LE);
            IntVector p2 = IntVector.fromMemorySegment(I, seg, base2 + cb, LE), p3 = IntVector.fromMemorySegment(I, seg, base3 + cb, LE);
            int o = xo + c;
            FloatVector x = FloatVector.fromArray(F, xp, o + 0 * L);
            FloatVector a0 = ((FloatVector) p0.and(3).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector b0 = ((FloatVector) p1.and(3).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector c0 = ((FloatVector) p2.and(3).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector d0 = ((FloatVector) p3.and(3).convert(VectorOperators.I2F, 0)).mul(x);
            x = FloatVector.fromArray(F, xp, o + 1 * L);
            FloatVector a1 = ((FloatVector) p0.and(3 << 2).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector b1 = ((FloatVector) p1.and(3 << 2).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector c1 = ((FloatVector) p2.and(3 << 2).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector d1 = ((FloatVector) p3.and(3 << 2).convert(VectorOperators.I2F, 0)).mul(x);
            x = FloatVector.fromArray(F, xp, o + 2 * L);
            a0 = ((FloatVector) p0.and(3 << 4).convert(VectorOperators.I2F, 0)).fma(x, a0);
            b0 = ((FloatVector) p1.and(3 << 4).convert(VectorOperators.I2F, 0)).fma(x, b0);
            c0 = ((FloatVector) p2.and(3 << 4).convert(VectorOperators.I2F, 0)).fma(x, c0);
            d0 = ((FloatVector) p3.and(3 << 4).convert(VectorOperators.I2F, 0)).fma(x, d0);
            x = FloatVector.fromArray(F, xp, o + 3 * L);
            a1 = ((FloatVector) p0.and(3 << 6).convert(VectorOperators.I2F, 0)).fma(x, a1);
            b1 = ((FloatVector) p1.and(3 << 6).convert(VectorOperators.I2F, 0)).fma(x, b1);
            c1 = ((FloatVector) p2.and(3 << 6).convert(VectorOperators.I2F, 0)).fma(x, c1);
            d1 = ((FloatVector) p3.and(3 << 6).convert(VectorOperators.I2F, 0)).fma(x, d1);
            x = FloatVector.fromArray(F, xp, o + 4 * L);
            a0 = ((FloatVector) p0.and(3 << 8).convert(VectorOperators.I2F, 0)).fma(x, a0);
            b0 = ((FloatVector) p1.and(3 << 8).convert(VectorOperators.I2F, 0)).fma(x, b0);
            c0 = ((FloatVector) p2.and(3 << 8).convert(VectorOperators.I2F, 0)).fma(x, c0);
            d0 = ((FloatVector) p3.and(3 << 8).convert(VectorOperators.I2F, 0)).fma(x, d0);
            x = FloatVector.fromArray(F, xp, o + 5 * L);
            a1 = ((FloatVector) p0.and(3 << 10).convert(VectorOperators.I2F, 0)).fma(x, a1);
            b1 = ((FloatVector) p1.and(3 << 10).convert(VectorOperators.I2F, 0)).fma(x, b1);
            c1 = ((FloatVector) p2.and(3 << 10).convert(VectorOperators.I2F, 0)).fma(x, c1);
            d1 = ((FloatVector) p3.and(3 << 10).convert(VectorOperators.I2F, 0)).fma(x, d1);
            x = FloatVector.fromArray(F, xp, o + 6 * L);
            a0 = ((FloatVector) p0.and(3 << 12).convert(VectorOperators.I2F, 0)).fma(x, a0);
            b0 = ((FloatVector) p1.and(3 << 12).convert(VectorOperators.I2F, 0)).fma(x, b0);
            c0 = ((FloatVector) p2.and(3 << 12).convert(VectorOperators.I2F, 0)).fma(x, c0);
            d0 = ((FloatVector) p3.and(3 << 12).convert(VectorOperators.I2F, 0)).fma(x, d0);
            x = FloatVector.fromArray(F, xp, o + 7 * L);
            a1 = ((FloatVector) p0.and(3 << 14).convert(VectorOperators.I2F, 0)).fma(x, a1);
            b1 = ((FloatVector) p1.and(3 << 14).convert(VectorOperators.I2F, 0)).fma(x, b1);
            c1 = ((FloatVector) p2.and(3 << 14).convert(VectorOperators.I2F, 0)).fma(x, c1);
            d1 = ((FloatVector) p3.and(3 << 14).convert(VectorOperators.I2F, 0)).fma(x, d1);
            acc0 = a0.add(a1).fma(FloatVector.fromArray(F, ls0, j), acc0);
            acc1 = b0.add(b1).fma(FloatVector.fromArray(F, ls1, j), acc1);
            acc2 = c0.add(c1).fma(FloatVector.fromArray(F, ls2, j), acc2);
            acc3 = d0.add(d1).fma(FloatVector.fromArray(F, ls3, j), acc3);
        }
        acc0.intoArray(lanes, 0);
        acc1.intoArray(lanes, L);
        acc2.intoArray(lanes, 2 * L);
        acc3.intoArray(lanes, 3 * L);
        zeroTermsAndSums4(lanes, zs0, zs1, zs2, zs3, zo, nxsum, xso, groups, quad);
    }

    /** {@link #rowDotInt2Hi} of four rows in one pass over xp: quad[k], the same bits. */
    private static void rowDot4Int2Hi(MemorySegment seg, long base0, long base1, long base2, long base3, float[] xp, int xo,
                                      float[] ls0, float[] ls1, float[] ls2, float[] ls3, int vecCols, float[] lanes, float[] quad) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int c = 0, j = 0; c < vecCols; c += 16 * L, j += L) {
            long cb = c / 4;
            IntVector p0 = IntVector.fromMemorySegment(I, seg, base0 + cb, LE), p1 = IntVector.fromMemorySegment(I, seg, base1 + cb, LE);
            IntVector p2 = IntVector.fromMemorySegment(I, seg, base2 + cb, LE), p3 = IntVector.fromMemorySegment(I, seg, base3 + cb, LE);
            int o = xo + c;
            FloatVector x = FloatVector.fromArray(F, xp, o + 8 * L);
            FloatVector a0 = ((FloatVector) p0.and(3 << 16).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector b0 = ((FloatVector) p1.and(3 << 16).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector c0 = ((FloatVector) p2.and(3 << 16).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector d0 = ((FloatVector) p3.and(3 << 16).convert(VectorOperators.I2F, 0)).mul(x);
            x = FloatVector.fromArray(F, xp, o + 9 * L);
            FloatVector a1 = ((FloatVector) p0.and(3 << 18).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector b1 = ((FloatVector) p1.and(3 << 18).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector c1 = ((FloatVector) p2.and(3 << 18).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector d1 = ((FloatVector) p3.and(3 << 18).convert(VectorOperators.I2F, 0)).mul(x);
            x = FloatVector.fromArray(F, xp, o + 10 * L);
            a0 = ((FloatVector) p0.and(3 << 20).convert(VectorOperators.I2F, 0)).fma(x, a0);
            b0 = ((FloatVector) p1.and(3 << 20).convert(VectorOperators.I2F, 0)).fma(x, b0);
            c0 = ((FloatVector) p2.and(3 << 20).convert(VectorOperators.I2F, 0)).fma(x, c0);
            d0 = ((FloatVector) p3.and(3 << 20).convert(VectorOperators.I2F, 0)).fma(x, d0);
            x = FloatVector.fromArray(F, xp, o + 11 * L);
            a1 = ((FloatVector) p0.and(3 << 22).convert(VectorOperators.I2F, 0)).fma(x, a1);
            b1 = ((FloatVector) p1.and(3 << 22).convert(VectorOperators.I2F, 0)).fma(x, b1);
            c1 = ((FloatVector) p2.and(3 << 22).convert(VectorOperators.I2F, 0)).fma(x, c1);
            d1 = ((FloatVector) p3.and(3 << 22).convert(VectorOperators.I2F, 0)).fma(x, d1);
            x = FloatVector.fromArray(F, xp, o + 12 * L);
            a0 = ((FloatVector) p0.and(3 << 24).convert(VectorOperators.I2F, 0)).fma(x, a0);
            b0 = ((FloatVector) p1.and(3 << 24).convert(VectorOperators.I2F, 0)).fma(x, b0);
            c0 = ((FloatVector) p2.and(3 << 24).convert(VectorOperators.I2F, 0)).fma(x, c0);
            d0 = ((FloatVector) p3.and(3 << 24).convert(VectorOperators.I2F, 0)).fma(x, d0);
            x = FloatVector.fromArray(F, xp, o + 13 * L);
            a1 = ((FloatVector) p0.and(3 << 26).convert(VectorOperators.I2F, 0)).fma(x, a1);
            b1 = ((FloatVector) p1.and(3 << 26).convert(VectorOperators.I2F, 0)).fma(x, b1);
            c1 = ((FloatVector) p2.and(3 << 26).convert(VectorOperators.I2F, 0)).fma(x, c1);
            d1 = ((FloatVector) p3.and(3 << 26).convert(VectorOperators.I2F, 0)).fma(x, d1);
            x = FloatVector.fromArray(F, xp, o + 14 * L);
            a0 = ((FloatVector) p0.and(3 << 28).convert(VectorOperators.I2F, 0)).fma(x, a0);
            b0 = ((FloatVector) p1.and(3 << 28).convert(VectorOperators.I2F, 0)).fma(x, b0);
            c0 = ((FloatVector) p2.and(3 << 28).convert(VectorOperators.I2F, 0)).fma(x, c0);
            d0 = ((FloatVector) p3.and(3 << 28).convert(VectorOperators.I2F, 0)).fma(x, d0);
            x = FloatVector.fromArray(F, xp, o + 15 * L);
            a1 = ((FloatVector) p0.lanewise(VectorOperators.LSHR, 30).convert(VectorOperators.I2F, 0)).fma(x, a1);
            b1 = ((FloatVector) p1.lanewise(VectorOperators.LSHR, 30).convert(VectorOperators.I2F, 0)).fma(x, b1);
            c1 = ((FloatVector) p2.lanewise(VectorOperators.LSHR, 30).convert(VectorOperators.I2F, 0)).fma(x, c1);
            d1 = ((FloatVector) p3.lanewise(VectorOperators.LSHR, 30).convert(VectorOperators.I2F, 0)).fma(x, d1);
            acc0 = a0.add(a1).fma(FloatVector.fromArray(F, ls0, j), acc0);
            acc1 = b0.add(b1).fma(FloatVector.fromArray(F, ls1, j), acc1);
            acc2 = c0.add(c1).fma(FloatVector.fromArray(F, ls2, j), acc2);
            acc3 = d0.add(d1).fma(FloatVector.fromArray(F, ls3, j), acc3);
        }
        acc0.intoArray(lanes, 0);
        acc1.intoArray(lanes, L);
        acc2.intoArray(lanes, 2 * L);
        acc3.intoArray(lanes, 3 * L);
        LaneSum.sum4(lanes, 0, quad, 0, 1);
    }

    /** The system property that turns the block kernels off (see blockKernel). */
    static final String BLOCK_PROPERTY = "strata.blockKernels";

    /**
     * Which block kernel, if any, takes a parameter block's four-row passes: 8 (block4Int8), 4 (block4Int4) or 0 (none:
     * the pass-by-pass row dots). A block kernel runs the passes of a block in one call, each pass with the loop of
     * rowDot4Int8 or rowDot4Int4 and the zero-point terms of zeroTermsAndSums4, and stores the four accumulators of each
     * pass; blockSums then takes the lane sums of the whole block. The operations and their order are those of the
     * pass-by-pass path, so are the bits. What changes: the scale index is affine in the loop counter (so C2 drops its
     * bounds checks), a call and its two dozen arguments are paid once a block instead of once a pass, and the lane sums,
     * a chain of dependent shuffles and adds, no longer end each pass. In one JVM, rounds alternating, on a Zen 4 core
     * (bench/results/cpu-speed/block-passes/): int8-g64 [4096, 2048] from L3 on one thread 1.17x, from memory 1.15x on one
     * thread and split over two; int4-g64 1.08x, 1.12x and 1.09x. Decode of an OLMoE-shaped store with every weight int8
     * ran 1.07x, with every weight int4 1.10x, the same tokens. It needs one token, rows without a scalar tail, and one
     * scale per lane run or per group (directShift): INT8 whose group is one vector of lanes, or INT4 at 8 lanes or more.
     * {@code -Dstrata.blockKernels=false} (read per call) keeps the pass-by-pass path: for comparing the two in one process.
     */
    static int blockKernel(QuantFormat f, int shift, int n, int vecCols, int cols) {
        if (n != 1 || vecCols != cols || shift < 0 || !Boolean.parseBoolean(System.getProperty(BLOCK_PROPERTY, "true"))) return 0;
        if (f.bits() == 8 && (1 << shift) == L) return 8;
        if (f.bits() == 4 && L >= 8) return 4; // L / 8 groups per loop step: a whole number from 8 lanes on
        return 0;
    }

    /**
     * Passes [0, passes) of a parameter block, INT8, one group per loop step: pass p takes row p of each quarter
     * (quarter k's row at base0 + k·qBytes + p·rowBytes) and stores its accumulators, zero-point terms folded in as
     * zeroTermsAndSums4 folds them, at lanes[(4p + k)·L]. Scales and s·z of pass p at sv_k[p·groups ..], zs_k[p·groups ..].
     */
    private static void block4Int8(MemorySegment seg, long base0, long qBytes, long rowBytes, int passes, float[] xp,
                                   float[] sv0, float[] sv1, float[] sv2, float[] sv3, int vecCols,
                                   float[] zs0, float[] zs1, float[] zs2, float[] zs3, float[] nxsum, int groups, float[] lanes) {
        int steps = vecCols / (4 * L);
        for (int p = 0; p < passes; p++) {
            long b0 = base0 + p * rowBytes, b1 = b0 + qBytes, b2 = b1 + qBytes, b3 = b2 + qBytes;
            int so = p * groups;
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (int g = 0; g < steps; g++) {
                int c = g * (4 * L);
                IntVector p0 = IntVector.fromMemorySegment(I, seg, b0 + c, LE), p1 = IntVector.fromMemorySegment(I, seg, b1 + c, LE);
                IntVector p2 = IntVector.fromMemorySegment(I, seg, b2 + c, LE), p3 = IntVector.fromMemorySegment(I, seg, b3 + c, LE);
                FloatVector x = FloatVector.fromArray(F, xp, c);
                FloatVector a0 = ((FloatVector) p0.and(255).convert(VectorOperators.I2F, 0)).mul(x);
                FloatVector e0 = ((FloatVector) p1.and(255).convert(VectorOperators.I2F, 0)).mul(x);
                FloatVector c0 = ((FloatVector) p2.and(255).convert(VectorOperators.I2F, 0)).mul(x);
                FloatVector d0 = ((FloatVector) p3.and(255).convert(VectorOperators.I2F, 0)).mul(x);
                x = FloatVector.fromArray(F, xp, c + L);
                FloatVector a1 = ((FloatVector) p0.and(255 << 8).convert(VectorOperators.I2F, 0)).mul(x);
                FloatVector e1 = ((FloatVector) p1.and(255 << 8).convert(VectorOperators.I2F, 0)).mul(x);
                FloatVector c1 = ((FloatVector) p2.and(255 << 8).convert(VectorOperators.I2F, 0)).mul(x);
                FloatVector d1 = ((FloatVector) p3.and(255 << 8).convert(VectorOperators.I2F, 0)).mul(x);
                x = FloatVector.fromArray(F, xp, c + 2 * L);
                a0 = ((FloatVector) p0.and(255 << 16).convert(VectorOperators.I2F, 0)).fma(x, a0);
                e0 = ((FloatVector) p1.and(255 << 16).convert(VectorOperators.I2F, 0)).fma(x, e0);
                c0 = ((FloatVector) p2.and(255 << 16).convert(VectorOperators.I2F, 0)).fma(x, c0);
                d0 = ((FloatVector) p3.and(255 << 16).convert(VectorOperators.I2F, 0)).fma(x, d0);
                x = FloatVector.fromArray(F, xp, c + 3 * L);
                a1 = ((FloatVector) p0.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).fma(x, a1);
                e1 = ((FloatVector) p1.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).fma(x, e1);
                c1 = ((FloatVector) p2.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).fma(x, c1);
                d1 = ((FloatVector) p3.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).fma(x, d1);
                acc0 = a0.add(a1).fma(FloatVector.broadcast(F, sv0[so + g]), acc0);
                acc1 = e0.add(e1).fma(FloatVector.broadcast(F, sv1[so + g]), acc1);
                acc2 = c0.add(c1).fma(FloatVector.broadcast(F, sv2[so + g]), acc2);
                acc3 = d0.add(d1).fma(FloatVector.broadcast(F, sv3[so + g]), acc3);
            }
            for (int g = 0; g + L <= groups; g += L) {
                FloatVector nx = FloatVector.fromArray(F, nxsum, g);
                acc0 = FloatVector.fromArray(F, zs0, so + g).fma(nx, acc0);
                acc1 = FloatVector.fromArray(F, zs1, so + g).fma(nx, acc1);
                acc2 = FloatVector.fromArray(F, zs2, so + g).fma(nx, acc2);
                acc3 = FloatVector.fromArray(F, zs3, so + g).fma(nx, acc3);
            }
            int lo = 4 * L * p;
            acc0.intoArray(lanes, lo);
            acc1.intoArray(lanes, lo + L);
            acc2.intoArray(lanes, lo + 2 * L);
            acc3.intoArray(lanes, lo + 3 * L);
        }
    }

    /** {@link #block4Int8} for INT4 (the loop of rowDot4Int4): L / 8 groups per loop step, their scales spread by SPREAD_8. */
    private static void block4Int4(MemorySegment seg, long base0, long qBytes, long rowBytes, int passes, float[] xp,
                                   float[] sv0, float[] sv1, float[] sv2, float[] sv3, int vecCols,
                                   float[] zs0, float[] zs1, float[] zs2, float[] zs3, float[] nxsum, int groups, float[] lanes) {
        int steps = vecCols / (8 * L);
        for (int p = 0; p < passes; p++) {
            long b0 = base0 + p * rowBytes, b1 = b0 + qBytes, b2 = b1 + qBytes, b3 = b2 + qBytes;
            int so = p * groups;
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (int g = 0; g < steps; g++) {
                int c = g * (8 * L), cb = c / 2, si = so + g * (L / 8);
                IntVector p0 = IntVector.fromMemorySegment(I, seg, b0 + cb, LE), p1 = IntVector.fromMemorySegment(I, seg, b1 + cb, LE);
                IntVector p2 = IntVector.fromMemorySegment(I, seg, b2 + cb, LE), p3 = IntVector.fromMemorySegment(I, seg, b3 + cb, LE);
                FloatVector x = FloatVector.fromArray(F, xp, c);
                FloatVector a0 = ((FloatVector) p0.and(15).convert(VectorOperators.I2F, 0)).mul(x);
                FloatVector e0 = ((FloatVector) p1.and(15).convert(VectorOperators.I2F, 0)).mul(x);
                FloatVector c0 = ((FloatVector) p2.and(15).convert(VectorOperators.I2F, 0)).mul(x);
                FloatVector d0 = ((FloatVector) p3.and(15).convert(VectorOperators.I2F, 0)).mul(x);
                x = FloatVector.fromArray(F, xp, c + L);
                FloatVector a1 = ((FloatVector) p0.and(15 << 4).convert(VectorOperators.I2F, 0)).mul(x);
                FloatVector e1 = ((FloatVector) p1.and(15 << 4).convert(VectorOperators.I2F, 0)).mul(x);
                FloatVector c1 = ((FloatVector) p2.and(15 << 4).convert(VectorOperators.I2F, 0)).mul(x);
                FloatVector d1 = ((FloatVector) p3.and(15 << 4).convert(VectorOperators.I2F, 0)).mul(x);
                x = FloatVector.fromArray(F, xp, c + 2 * L);
                a0 = ((FloatVector) p0.and(15 << 8).convert(VectorOperators.I2F, 0)).fma(x, a0);
                e0 = ((FloatVector) p1.and(15 << 8).convert(VectorOperators.I2F, 0)).fma(x, e0);
                c0 = ((FloatVector) p2.and(15 << 8).convert(VectorOperators.I2F, 0)).fma(x, c0);
                d0 = ((FloatVector) p3.and(15 << 8).convert(VectorOperators.I2F, 0)).fma(x, d0);
                x = FloatVector.fromArray(F, xp, c + 3 * L);
                a1 = ((FloatVector) p0.and(15 << 12).convert(VectorOperators.I2F, 0)).fma(x, a1);
                e1 = ((FloatVector) p1.and(15 << 12).convert(VectorOperators.I2F, 0)).fma(x, e1);
                c1 = ((FloatVector) p2.and(15 << 12).convert(VectorOperators.I2F, 0)).fma(x, c1);
                d1 = ((FloatVector) p3.and(15 << 12).convert(VectorOperators.I2F, 0)).fma(x, d1);
                x = FloatVector.fromArray(F, xp, c + 4 * L);
                a0 = ((FloatVector) p0.and(15 << 16).convert(VectorOperators.I2F, 0)).fma(x, a0);
                e0 = ((FloatVector) p1.and(15 << 16).convert(VectorOperators.I2F, 0)).fma(x, e0);
                c0 = ((FloatVector) p2.and(15 << 16).convert(VectorOperators.I2F, 0)).fma(x, c0);
                d0 = ((FloatVector) p3.and(15 << 16).convert(VectorOperators.I2F, 0)).fma(x, d0);
                x = FloatVector.fromArray(F, xp, c + 5 * L);
                a1 = ((FloatVector) p0.and(15 << 20).convert(VectorOperators.I2F, 0)).fma(x, a1);
                e1 = ((FloatVector) p1.and(15 << 20).convert(VectorOperators.I2F, 0)).fma(x, e1);
                c1 = ((FloatVector) p2.and(15 << 20).convert(VectorOperators.I2F, 0)).fma(x, c1);
                d1 = ((FloatVector) p3.and(15 << 20).convert(VectorOperators.I2F, 0)).fma(x, d1);
                x = FloatVector.fromArray(F, xp, c + 6 * L);
                a0 = ((FloatVector) p0.and(15 << 24).convert(VectorOperators.I2F, 0)).fma(x, a0);
                e0 = ((FloatVector) p1.and(15 << 24).convert(VectorOperators.I2F, 0)).fma(x, e0);
                c0 = ((FloatVector) p2.and(15 << 24).convert(VectorOperators.I2F, 0)).fma(x, c0);
                d0 = ((FloatVector) p3.and(15 << 24).convert(VectorOperators.I2F, 0)).fma(x, d0);
                x = FloatVector.fromArray(F, xp, c + 7 * L);
                a1 = ((FloatVector) p0.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(x, a1);
                e1 = ((FloatVector) p1.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(x, e1);
                c1 = ((FloatVector) p2.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(x, c1);
                d1 = ((FloatVector) p3.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0)).fma(x, d1);
                acc0 = a0.add(a1).fma(FloatVector.fromArray(F, sv0, si).rearrange(SPREAD_8), acc0);
                acc1 = e0.add(e1).fma(FloatVector.fromArray(F, sv1, si).rearrange(SPREAD_8), acc1);
                acc2 = c0.add(c1).fma(FloatVector.fromArray(F, sv2, si).rearrange(SPREAD_8), acc2);
                acc3 = d0.add(d1).fma(FloatVector.fromArray(F, sv3, si).rearrange(SPREAD_8), acc3);
            }
            for (int g = 0; g + L <= groups; g += L) {
                FloatVector nx = FloatVector.fromArray(F, nxsum, g);
                acc0 = FloatVector.fromArray(F, zs0, so + g).fma(nx, acc0);
                acc1 = FloatVector.fromArray(F, zs1, so + g).fma(nx, acc1);
                acc2 = FloatVector.fromArray(F, zs2, so + g).fma(nx, acc2);
                acc3 = FloatVector.fromArray(F, zs3, so + g).fma(nx, acc3);
            }
            int lo = 4 * L * p;
            acc0.intoArray(lanes, lo);
            acc1.intoArray(lanes, lo + L);
            acc2.intoArray(lanes, lo + 2 * L);
            acc3.intoArray(lanes, lo + 3 * L);
        }
    }

    /**
     * The end of a block kernel's passes: for each pass p, the fixed-order lane sums of its four stored accumulators,
     * then the groups past the last multiple of L in order (as zeroTermsAndSums4), into out[row0 + k·q + p].
     */
    private static void blockSums(float[] lanes, int passes, float[] zs0, float[] zs1, float[] zs2, float[] zs3, float[] nxsum, int groups,
                                  float[] quad, float[] out, int row0, int q) {
        int g0 = groups - groups % L;
        for (int p = 0; p < passes; p++) {
            LaneSum.sum4(lanes, 4 * L * p, quad, 0, 1);
            int so = p * groups;
            for (int g = g0; g < groups; g++) {
                float nx = nxsum[g];
                quad[0] += zs0[so + g] * nx;
                quad[1] += zs1[so + g] * nx;
                quad[2] += zs2[so + g] * nx;
                quad[3] += zs3[so + g] * nx;
            }
            out[row0 + p] = quad[0];
            out[row0 + q + p] = quad[1];
            out[row0 + 2 * q + p] = quad[2];
            out[row0 + 3 * q + p] = quad[3];
        }
    }

    /** {@link #rowDotInt8} of four rows in one pass over xp: quad[k] = row k's value, the same bits (see rowDot4Int4). */
    private static void rowDot4Int8(MemorySegment seg, long base0, long base1, long base2, long base3, float[] xp, int xo,
                                    float[] sv0, float[] sv1, float[] sv2, float[] sv3, int so0, int so1, int so2, int so3, int shift,
                                    int vecCols, float[] zs0, float[] zs1, float[] zs2, float[] zs3, int zo, float[] nxsum, int xso,
                                    int groups, float[] lanes, float[] quad) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int c = 0, j = 0; c < vecCols; c += 4 * L, j += L) {
            IntVector p0 = IntVector.fromMemorySegment(I, seg, base0 + c, LE), p1 = IntVector.fromMemorySegment(I, seg, base1 + c, LE);
            IntVector p2 = IntVector.fromMemorySegment(I, seg, base2 + c, LE), p3 = IntVector.fromMemorySegment(I, seg, base3 + c, LE);
            int o = xo + c;
            FloatVector x = FloatVector.fromArray(F, xp, o);
            FloatVector a0 = ((FloatVector) p0.and(255).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector b0 = ((FloatVector) p1.and(255).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector c0 = ((FloatVector) p2.and(255).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector d0 = ((FloatVector) p3.and(255).convert(VectorOperators.I2F, 0)).mul(x);
            x = FloatVector.fromArray(F, xp, o + L);
            FloatVector a1 = ((FloatVector) p0.and(255 << 8).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector b1 = ((FloatVector) p1.and(255 << 8).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector c1 = ((FloatVector) p2.and(255 << 8).convert(VectorOperators.I2F, 0)).mul(x);
            FloatVector d1 = ((FloatVector) p3.and(255 << 8).convert(VectorOperators.I2F, 0)).mul(x);
            x = FloatVector.fromArray(F, xp, o + 2 * L);
            a0 = ((FloatVector) p0.and(255 << 16).convert(VectorOperators.I2F, 0)).fma(x, a0);
            b0 = ((FloatVector) p1.and(255 << 16).convert(VectorOperators.I2F, 0)).fma(x, b0);
            c0 = ((FloatVector) p2.and(255 << 16).convert(VectorOperators.I2F, 0)).fma(x, c0);
            d0 = ((FloatVector) p3.and(255 << 16).convert(VectorOperators.I2F, 0)).fma(x, d0);
            x = FloatVector.fromArray(F, xp, o + 3 * L);
            a1 = ((FloatVector) p0.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).fma(x, a1);
            b1 = ((FloatVector) p1.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).fma(x, b1);
            c1 = ((FloatVector) p2.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).fma(x, c1);
            d1 = ((FloatVector) p3.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).fma(x, d1);
            acc0 = a0.add(a1).fma(shift >= 0 ? FloatVector.broadcast(F, sv0[so0 + (j >>> shift)]) : FloatVector.fromArray(F, sv0, j), acc0);
            acc1 = b0.add(b1).fma(shift >= 0 ? FloatVector.broadcast(F, sv1[so1 + (j >>> shift)]) : FloatVector.fromArray(F, sv1, j), acc1);
            acc2 = c0.add(c1).fma(shift >= 0 ? FloatVector.broadcast(F, sv2[so2 + (j >>> shift)]) : FloatVector.fromArray(F, sv2, j), acc2);
            acc3 = d0.add(d1).fma(shift >= 0 ? FloatVector.broadcast(F, sv3[so3 + (j >>> shift)]) : FloatVector.fromArray(F, sv3, j), acc3);
        }
        acc0.intoArray(lanes, 0);
        acc1.intoArray(lanes, L);
        acc2.intoArray(lanes, 2 * L);
        acc3.intoArray(lanes, 3 * L);
        zeroTermsAndSums4(lanes, zs0, zs1, zs2, zs3, zo, nxsum, xso, groups, quad);
    }

    /**
     * The end of the four-row dots, from their accumulators stored at lanes[k·L]: row k's zero-point terms into its
     * accumulator (L groups per fma, as the one-row dots fold them), the fixed-order lane sum into quad[k], then its
     * groups past the last multiple of L, in order. A stored vector reloads exactly, so the bits are those of the
     * one-row dots. The accumulators pass through the array because a call that did not inline would box vectors.
     */
    private static void zeroTermsAndSums4(float[] lanes, float[] zs0, float[] zs1, float[] zs2, float[] zs3, int zo, float[] nxsum,
                                          int xso, int groups, float[] quad) {
        FloatVector acc0 = FloatVector.fromArray(F, lanes, 0), acc1 = FloatVector.fromArray(F, lanes, L);
        FloatVector acc2 = FloatVector.fromArray(F, lanes, 2 * L), acc3 = FloatVector.fromArray(F, lanes, 3 * L);
        int g = 0;
        for (; g + L <= groups; g += L) {
            FloatVector nx = FloatVector.fromArray(F, nxsum, xso + g);
            acc0 = FloatVector.fromArray(F, zs0, zo + g).fma(nx, acc0);
            acc1 = FloatVector.fromArray(F, zs1, zo + g).fma(nx, acc1);
            acc2 = FloatVector.fromArray(F, zs2, zo + g).fma(nx, acc2);
            acc3 = FloatVector.fromArray(F, zs3, zo + g).fma(nx, acc3);
        }
        acc0.intoArray(lanes, 0);
        acc1.intoArray(lanes, L);
        acc2.intoArray(lanes, 2 * L);
        acc3.intoArray(lanes, 3 * L);
        LaneSum.sum4(lanes, 0, quad, 0, 1);
        for (; g < groups; g++) {
            float nx = nxsum[xso + g];
            quad[0] += zs0[zo + g] * nx;
            quad[1] += zs1[zo + g] * nx;
            quad[2] += zs2[zo + g] * nx;
            quad[3] += zs3[zo + g] * nx;
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
            float acc = LaneSum.sum(lanes, 0);
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
