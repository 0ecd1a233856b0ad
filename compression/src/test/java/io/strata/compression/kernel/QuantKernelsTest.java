// Parity of the quantized and gathered-row kernels: scalar twin vs an independent double reference, vector vs scalar, awkward sizes.
package io.strata.compression.kernel;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.compression.TestData;
import io.strata.compression.quant.HqqFit;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class QuantKernelsTest {
    static final int[] AWKWARD = {1, 13, 207, 4098};
    final QuantKernels scalar = Kernels.scalarQuant();
    final List<QuantKernels> all = available();

    static List<QuantKernels> available() {
        List<QuantKernels> l = new ArrayList<>();
        l.add(Kernels.scalarQuant());
        QuantKernels v = Kernels.vectorQuantOrNull();
        if (v != null) l.add(v);
        else System.out.println("vector quant kernels unavailable: " + Kernels.reason());
        return l;
    }

    /** |got − want| within a relative bound of Σ|w·x|, the scale of the rounding error of a dot product. */
    static void assertClose(double want, double magnitude, float got, String where) {
        double tol = 2e-5 * magnitude + 1e-6;
        assertTrue(Math.abs(got - want) <= tol, where + ": expected " + want + " ± " + tol + ", found " + got);
    }

    /** got against Σ_c deq[r·cols + c]·x[xo + c] in double (row r of a dequantized matrix with one token), by {@link #assertClose}. */
    static void assertRowDot(float[] deq, int r, float[] x, int xo, int cols, float got, String where) {
        double want = 0, mag = 0;
        for (int c = 0; c < cols; c++) {
            double p = (double) deq[r * cols + c] * x[xo + c];
            want += p;
            mag += Math.abs(p);
        }
        assertClose(want, mag, got, where);
    }

    @Test
    void quantizedMatmulMatchesDequantizedReference() {
        Random rnd = new Random(7);
        for (int bits : new int[] {2, 3, 4, 8}) {
            for (int gs : new int[] {32, 64, 128}) {
                QuantFormat f = new QuantFormat(bits, gs);
                for (int rows : AWKWARD) {
                    int[] colsList = rows == 4098 ? new int[] {gs, 256} : new int[] {gs, 13 * gs, 1024 + gs};
                    for (int cols : colsList) {
                        int n = rows == 4098 ? 1 : 3;
                        float[] wv = TestData.gaussian(rnd, rows * cols, 0.05f);
                        QuantizedMatrix q = QuantizedMatrix.encode(TestData.matrix("w", wv, rows, cols, DType.BF16), f, HqqFit.RTN, Arena.ofAuto());
                        float[] deq = q.dequantize();
                        float[] x = TestData.gaussian(rnd, n * cols, 1f);
                        for (QuantKernels k : all) {
                            float[] out = new float[n * rows];
                            k.matmul(q, x, n, out, 0, rows);
                            for (int t = 0; t < n; t++) {
                                for (int r = 0; r < rows; r++) {
                                    assertRowDot(deq, r, x, t * cols, cols, out[t * rows + r],
                                            k.name() + " " + f.label() + " [" + rows + "," + cols + "] t=" + t + " r=" + r);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The batched (prefill) path at token counts whose last block of four holds one, two or three tokens: each
     * output against the dequantized reference, and each token's bits the same whatever the batch it sits in
     * (here against the pair [x_t, x_t], which takes the two-token pass).
     */
    @Test
    void batchedTokenCountsMatchReferenceAndKeepTheirBits() {
        Random rnd = new Random(10);
        int rows = 7, cols = 5 * 64; // a scalar tail past the last whole vector chunk for int2 and int4
        for (int bits : new int[] {2, 4, 8}) {
            QuantFormat f = new QuantFormat(bits, 64);
            QuantizedMatrix q = QuantizedMatrix.encode(TestData.matrix("w", TestData.gaussian(rnd, rows * cols, 0.05f), rows, cols, DType.BF16),
                    f, HqqFit.RTN, Arena.ofAuto());
            float[] deq = q.dequantize();
            float[] x = TestData.gaussian(rnd, 9 * cols, 1f);
            for (QuantKernels k : all) {
                float[][] pair = new float[9][];
                for (int t = 0; t < 9; t++) {
                    float[] xx = new float[2 * cols];
                    System.arraycopy(x, t * cols, xx, 0, cols);
                    System.arraycopy(x, t * cols, xx, cols, cols);
                    pair[t] = new float[2 * rows];
                    k.matmul(q, xx, 2, pair[t], 0, rows);
                }
                for (int n : new int[] {2, 3, 5, 6, 7, 9}) {
                    float[] out = new float[n * rows];
                    k.matmul(q, x, n, out, 0, rows);
                    for (int t = 0; t < n; t++) {
                        for (int r = 0; r < rows; r++) {
                            String where = k.name() + " " + f.label() + " n=" + n + " t=" + t + " r=" + r;
                            assertRowDot(deq, r, x, t * cols, cols, out[t * rows + r], where);
                            assertEquals(Float.floatToRawIntBits(pair[t][r]), Float.floatToRawIntBits(out[t * rows + r]), where + " (bits as in a pair)");
                            assertEquals(Float.floatToRawIntBits(pair[t][r]), Float.floatToRawIntBits(pair[t][rows + r]), where + " (the pair's two copies)");
                        }
                    }
                }
            }
        }
    }

    /**
     * The bits of the vector kernel's INT4 batched path against its specification written element by element: per row
     * and token, lane i of L sums fma(q·s, x) over the columns c0 + 8i + k of each chunk of 8·L in order (q·s rounded to
     * a float first), the lanes are summed in the butterfly order, the zero-point terms −s·z·Σx (Σx of each group in
     * column order) are added by L groups per fma and the rest one by one, then the scalar tail columns. Rows 9 (a
     * short last block of rows), token counts with short last blocks, group sizes whose scales come from the groups
     * directly (64) or from a lane table (32, 128), and 33 groups (a tail of columns and of zero-point groups). Up to
     * FUSED_MAX_TOKENS the rows are dequantized in registers by each pass, past it into a stored row: the same bits.
     */
    @Test
    void batchedInt4BitsFollowTheirSpecification() {
        QuantKernels vector = Kernels.vectorQuantOrNull();
        Assumptions.assumeTrue(vector instanceof VectorQuantKernels, "no Vector API kernels in this JVM");
        Random rnd = new Random(12);
        int rows = 9;
        for (int gs : new int[] {32, 64, 128}) {
            int cols = gs == 64 ? 33 * 64 : 17 * gs;
            QuantizedMatrix q = QuantizedMatrix.encode(TestData.matrix("w", TestData.gaussian(rnd, rows * cols, 0.05f), rows, cols, DType.BF16),
                    new QuantFormat(4, gs), HqqFit.RTN, Arena.ofAuto());
            for (int n : new int[] {2, 3, 4, 5, 7, 8, 9, 13}) { // fused passes up to 8 tokens, stored rows past that
                assertBatchedBits(vector, q, TestData.gaussian(rnd, n * cols, 1f), n, 0, rows);
            }
        }
    }

    /**
     * The fused INT2, INT4 and INT8 passes take row i of each quarter of their row range (rows shorter than a page),
     * with the parameters of PARAM_BLOCK passes read at once per quarter: 203 rows (quarters of 51, 51, 51 and 50 rows, so four
     * parameter blocks each, the last short, and passes past the end of the last quarter) and the range [5, 190) of
     * them, at token counts with one, two, three and four tokens in the last block, against the specification bit for
     * bit; the rows outside the range are left as they were. Past FUSED_MAX_TOKENS (9 tokens) the stored rows give the
     * same bits.
     */
    @Test
    void batchedQuartersAcrossParameterBlocksFollowTheSpecification() {
        QuantKernels vector = Kernels.vectorQuantOrNull();
        Assumptions.assumeTrue(vector instanceof VectorQuantKernels, "no Vector API kernels in this JVM");
        Random rnd = new Random(13);
        int rows = 203;
        for (int bits : new int[] {2, 4, 8}) {
            for (int gs : new int[] {64, 32}) { // scales from the groups directly, and from a lane table
                int cols = 19 * 64; // INT2 and INT4: a tail of columns past the last whole vector chunk
                QuantizedMatrix q = QuantizedMatrix.encode(TestData.matrix("w", TestData.gaussian(rnd, rows * cols, 0.05f), rows, cols, DType.BF16),
                        new QuantFormat(bits, gs), HqqFit.RTN, Arena.ofAuto());
                for (int n : new int[] {3, 5, 6, 8, 9}) {
                    float[] x = TestData.gaussian(rnd, n * cols, 1f);
                    for (int[] range : new int[][] {{0, rows}, {5, 190}}) assertBatchedBits(vector, q, x, n, range[0], range[1]);
                }
            }
        }
    }

    /**
     * The batched matmul of rows [r0, r1) for n tokens, bit for bit against {@link #batchedSpec}; the outputs of the other
     * rows keep the value they had (7).
     */
    static void assertBatchedBits(QuantKernels vector, QuantizedMatrix q, float[] x, int n, int r0, int r1) {
        int rows = q.rows();
        float[] out = new float[n * rows];
        java.util.Arrays.fill(out, 7f);
        vector.matmul(q, x, n, out, r0, r1);
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                String where = q.format().label() + " n=" + n + " range " + r0 + ".." + r1 + " t=" + t + " r=" + r;
                float want = r >= r0 && r < r1 ? batchedSpec(q, x, t, r) : 7f;
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(out[t * rows + r]), where);
            }
        }
    }

    /**
     * The specification of one output of the INT2, INT4 and INT8 batched paths (see
     * {@link #batchedInt4BitsFollowTheirSpecification}; a lane holds 32 / bits codes: 16, 8 or 4).
     */
    static float batchedSpec(QuantizedMatrix q, float[] x, int t, int r) {
        int lanes = VectorQuantKernels.L, cols = q.cols(), gs = q.format().groupSize(), groups = cols / gs, xo = t * cols;
        int codes = 32 / q.format().bits(), chunk = codes * lanes, vecCols = cols - cols % chunk;
        float[] acc = new float[lanes];
        for (int c0 = 0; c0 < vecCols; c0 += chunk) {
            for (int k = 0; k < codes; k++) {
                for (int i = 0; i < lanes; i++) {
                    int c = c0 + codes * i + k;
                    acc[i] = Math.fma(q.code(r, c) * q.scale(r, c / gs), x[xo + c], acc[i]);
                }
            }
        }
        float y = LaneSum.sumScalar(acc, 0, lanes);
        float[] zs = new float[groups], nxsum = new float[groups], zacc = new float[lanes];
        for (int g = 0; g < groups; g++) {
            zs[g] = q.scale(r, g) * q.zero(r, g);
            float sum = 0f;
            for (int c = g * gs; c < (g + 1) * gs; c++) sum += x[xo + c];
            nxsum[g] = -sum;
        }
        int g = 0;
        for (; g + lanes <= groups; g += lanes) {
            for (int i = 0; i < lanes; i++) zacc[i] = Math.fma(zs[g + i], nxsum[g + i], zacc[i]);
        }
        float z = LaneSum.sumScalar(zacc, 0, lanes);
        for (; g < groups; g++) z += zs[g] * nxsum[g];
        y += z;
        for (int c = vecCols; c < cols; c++) y += q.code(r, c) * q.scale(r, c / gs) * x[xo + c];
        return y;
    }

    /**
     * The one-token INT2, INT4 and INT8 path takes row i of each quarter of its row range in one pass (four rows a
     * quarter apart). Row counts whose quarters come out short (1 to 9, 66 across parameter blocks, a range starting at
     * row 5), every group size (scales broadcast, spread or from the lane table) and 33 groups (a zero-term tail
     * past the last whole vector): each output against the dequantized reference, and its bits the same as the row
     * computed on its own (a one-row range, which takes the one-row dot).
     */
    @Test
    void oneTokenFourRowPassesKeepEachRowsBits() {
        Random rnd = new Random(11);
        for (int bits : new int[] {2, 4, 8}) {
            for (int gs : new int[] {32, 64, 128}) {
                int cols = gs == 64 ? 33 * 64 : 8 * gs;
                QuantFormat f = new QuantFormat(bits, gs);
                int rows = 71;
                QuantizedMatrix q = QuantizedMatrix.encode(TestData.matrix("w", TestData.gaussian(rnd, rows * cols, 0.05f), rows, cols, DType.BF16),
                        f, HqqFit.RTN, Arena.ofAuto());
                float[] deq = q.dequantize();
                float[] x = TestData.gaussian(rnd, cols, 1f);
                for (QuantKernels k : all) {
                    assertRangesKeepEachRowsBits(k, q, deq, x, new int[][] {{0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}, {0, 6}, {0, 7}, {0, 8}, {0, 9}, {0, 66}, {5, 71}});
                }
            }
        }
    }

    /**
     * One token through k over each row range [from, to): every output against the dequantized reference deq, and its
     * bits the same as the row computed on its own (a one-row range).
     */
    private static void assertRangesKeepEachRowsBits(QuantKernels k, QuantizedMatrix q, float[] deq, float[] x, int[][] ranges) {
        int rows = q.rows(), cols = q.cols();
        float[] single = new float[rows];
        for (int r = 0; r < rows; r++) k.matmul(q, x, 1, single, r, r + 1);
        for (int[] range : ranges) {
            float[] out = new float[rows];
            k.matmul(q, x, 1, out, range[0], range[1]);
            for (int r = range[0]; r < range[1]; r++) {
                String where = k.name() + " " + q.format().label() + " [" + rows + "," + cols + "] rows " + range[0] + ".." + range[1] + " r=" + r;
                assertRowDot(deq, r, x, 0, cols, out[r], where);
                assertEquals(Float.floatToRawIntBits(single[r]), Float.floatToRawIntBits(out[r]), where + " (bits as on its own)");
            }
        }
    }

    /**
     * A row range of 4096 rows or more reads its scales and zeros in blocks of VectorQuantKernels.LONG_PARAM_BLOCK rows
     * per quarter: 4100 rows (quarters of 1025, the last block of each a single row) and a range starting at row 3.
     * Each output against the dequantized reference, and its bits the same as the row computed on its own.
     */
    @Test
    void oneTokenLongQuartersKeepEachRowsBits() {
        Random rnd = new Random(12);
        int rows = 4100, cols = 256;
        for (int bits : new int[] {2, 4, 8}) {
            QuantFormat f = new QuantFormat(bits, 64);
            QuantizedMatrix q = QuantizedMatrix.encode(TestData.matrix("w", TestData.gaussian(rnd, rows * cols, 0.05f), rows, cols, DType.BF16),
                    f, HqqFit.RTN, Arena.ofAuto());
            float[] deq = q.dequantize();
            float[] x = TestData.gaussian(rnd, cols, 1f);
            for (QuantKernels k : all) assertRangesKeepEachRowsBits(k, q, deq, x, new int[][] {{0, rows}, {3, rows}});
        }
    }

    /**
     * The block kernels of the one-token path (INT8 and INT4 in groups of 64; VectorQuantKernels.blockKernel) against
     * the pass-by-pass path they replace (-Dstrata.blockKernels=false): the same bits for every row, and each row against
     * the dequantized reference. Ranges whose last quarter is short (the passes past it take the pass-by-pass path inside
     * a block), ranges across several parameter blocks (16 rows a quarter, and 64 from 1024 rows a quarter on), a range
     * not starting at row 0, and rows of 33 and 34 groups (whole vectors of zero-point terms plus a tail of one or two).
     */
    @Test
    void blockKernelsKeepThePassByPassBits() {
        QuantKernels v = Kernels.vectorQuantOrNull();
        Assumptions.assumeTrue(v != null, "vector quant kernels unavailable: " + Kernels.reason());
        Random rnd = new Random(13);
        for (int bits : new int[] {8, 4}) {
            for (int cols : bits == 8 ? new int[] {33 * 64, 34 * 64, 256} : new int[] {17 * 128, 256}) {
                int rows = cols == 256 ? 4103 : 139;
                QuantFormat f = new QuantFormat(bits, 64);
                // the block kernel this test is about runs here: INT4 from 8 lanes on, INT8 g64 at 16 (one group a vector)
                int expected = bits == 4 ? (VectorQuantKernels.L >= 8 ? 4 : 0) : (VectorQuantKernels.L == 16 ? 8 : 0);
                assertEquals(expected, VectorQuantKernels.blockKernel(f, VectorQuantKernels.directShift(f), 1, cols, cols), f.label());
                QuantizedMatrix q = QuantizedMatrix.encode(TestData.matrix("w", TestData.gaussian(rnd, rows * cols, 0.05f), rows, cols, DType.BF16),
                        f, HqqFit.RTN, Arena.ofAuto());
                float[] deq = q.dequantize();
                float[] x = TestData.gaussian(rnd, cols, 1f);
                for (int[] range : new int[][] {{0, rows}, {7, rows}, {0, 69}, {3, 64}}) {
                    float[] passes = new float[rows], blocks = new float[rows];
                    System.setProperty(VectorQuantKernels.BLOCK_PROPERTY, "false");
                    try {
                        v.matmul(q, x, 1, passes, range[0], range[1]);
                    } finally {
                        System.clearProperty(VectorQuantKernels.BLOCK_PROPERTY);
                    }
                    v.matmul(q, x, 1, blocks, range[0], range[1]);
                    for (int r = range[0]; r < range[1]; r++) {
                        String where = f.label() + " [" + rows + "," + cols + "] rows " + range[0] + ".." + range[1] + " r=" + r;
                        assertEquals(Float.floatToRawIntBits(passes[r]), Float.floatToRawIntBits(blocks[r]), where + " (bits as pass by pass)");
                        assertRowDot(deq, r, x, 0, cols, blocks[r], where);
                    }
                }
            }
        }
    }

    /**
     * The one-token path with rows wide enough that the zero-point terms fold into the accumulator
     * L groups at a time (33 and 34 groups: whole vectors plus a tail) and row ranges that start and
     * end inside a parameter block.
     */
    @Test
    void oneTokenWideRowsAndUnalignedRowRanges() {
        Random rnd = new Random(9);
        int rows = 41;
        for (int bits : new int[] {2, 4, 8}) {
            for (int cols : new int[] {33 * 64, 34 * 64}) {
                QuantFormat f = new QuantFormat(bits, 64);
                float[] wv = TestData.gaussian(rnd, rows * cols, 0.05f);
                QuantizedMatrix q = QuantizedMatrix.encode(TestData.matrix("w", wv, rows, cols, DType.BF16), f, HqqFit.RTN, Arena.ofAuto());
                float[] deq = q.dequantize();
                float[] x = TestData.gaussian(rnd, cols, 1f);
                for (QuantKernels k : all) {
                    float[] out = new float[rows];
                    k.matmul(q, x, 1, out, 0, 3);
                    k.matmul(q, x, 1, out, 3, 20);
                    k.matmul(q, x, 1, out, 20, rows);
                    for (int r = 0; r < rows; r++) {
                        assertRowDot(deq, r, x, 0, cols, out[r], k.name() + " " + f.label() + " [" + rows + "," + cols + "] r=" + r);
                    }
                }
            }
        }
    }

    @Test
    void matmulLeavesRowsOutsideRangeAndMatvecSplitsRows() {
        Random rnd = new Random(8);
        int rows = 207, cols = 256;
        QuantizedMatrix q = QuantizedMatrix.encode(TestData.matrix("w", TestData.gaussian(rnd, rows * cols, 0.05f), rows, cols, DType.F32),
                QuantFormat.INT4_G64, HqqFit.RTN, Arena.ofAuto());
        float[] x = TestData.gaussian(rnd, cols, 1f);
        for (QuantKernels k : all) {
            float[] out = new float[rows];
            java.util.Arrays.fill(out, 42f);
            k.matmul(q, x, 1, out, 13, 100);
            assertEquals(42f, out[12]);
            assertEquals(42f, out[100]);
            float[] full = new float[rows];
            k.matvec(q, x, full);
            for (int r = 13; r < 100; r++) assertEquals(out[r], full[r], k.name() + " row " + r);
        }
    }

    @Test
    void handCheckedInt2Row() {
        // codes 0,1,2,3 repeating with s = 1, z = 0; x = 1 → y = 8·(0+1+2+3) = 48; x = c → Σ c·(c mod 4)
        float[] w = new float[32];
        for (int c = 0; c < 32; c++) w[c] = c % 4;
        QuantizedMatrix q = QuantizedMatrix.encode(TestData.matrix("w", w, 1, 32, DType.F32), new QuantFormat(2, 32), HqqFit.RTN, Arena.ofAuto());
        float[] ones = new float[32], ramp = new float[32];
        float want = 0;
        for (int c = 0; c < 32; c++) {
            ones[c] = 1;
            ramp[c] = c;
            want += c * (c % 4);
        }
        for (QuantKernels k : all) {
            float[] y = new float[1];
            k.matmul(q, ones, 1, y, 0, 1);
            assertEquals(48f, y[0], k.name());
            k.matmul(q, ramp, 1, y, 0, 1);
            assertEquals(want, y[0], k.name());
        }
    }

    @Test
    void gatheredRowDotsMatchReference() {
        Random rnd = new Random(9);
        for (int rowsTotal : new int[] {1, 13, 207}) {
            for (int cols : AWKWARD) {
                Matrix w = TestData.matrix("gate", TestData.gaussian(rnd, rowsTotal * cols, 0.05f), rowsTotal, cols, DType.BF16);
                float[] x = TestData.gaussian(rnd, cols, 1f);
                int count = 1 + rnd.nextInt(rowsTotal + 5);
                int[] idx = new int[count];
                for (int k = 0; k < count; k++) idx[k] = rnd.nextInt(rowsTotal); // duplicates allowed
                for (QuantKernels kern : all) {
                    float[] out = new float[count];
                    kern.gatherRows(w, idx, count, x, out);
                    for (int k = 0; k < count; k++) {
                        double want = 0, mag = 0;
                        for (int c = 0; c < cols; c++) {
                            double p = (double) w.get(idx[k], c) * x[c];
                            want += p;
                            mag += Math.abs(p);
                        }
                        assertClose(want, mag, out[k], kern.name() + " gather [" + rowsTotal + "," + cols + "] k=" + k);
                    }
                }
            }
        }
    }

    @Test
    void gatheredRowAccumulationMatchesReference() {
        Random rnd = new Random(10);
        for (int rowsTotal : new int[] {1, 13, 207}) {
            for (int cols : AWKWARD) {
                Matrix wT = TestData.matrix("downT", TestData.gaussian(rnd, rowsTotal * cols, 0.05f), rowsTotal, cols, DType.BF16);
                for (int count : new int[] {1, 3, 4, 9, rowsTotal}) {
                    int[] idx = new int[count];
                    for (int k = 0; k < count; k++) idx[k] = rnd.nextInt(rowsTotal);
                    float[] h = TestData.gaussian(rnd, count, 1f);
                    float[] y0 = TestData.gaussian(rnd, cols, 0.1f);
                    for (QuantKernels kern : all) {
                        float[] y = y0.clone();
                        kern.scatterRows(wT, idx, h, count, y);
                        float[] part = y0.clone();
                        int c0 = cols / 3, c1 = cols - cols / 5;
                        kern.scatterRowsAxpy(wT, idx, h, count, part, c0, c1);
                        for (int c = 0; c < cols; c++) {
                            double want = y0[c], mag = Math.abs(y0[c]);
                            for (int k = 0; k < count; k++) {
                                double p = (double) h[k] * wT.get(idx[k], c);
                                want += p;
                                mag += Math.abs(p);
                            }
                            String where = kern.name() + " scatter [" + rowsTotal + "," + cols + "] count=" + count + " c=" + c;
                            assertClose(want, mag, y[c], where);
                            if (c >= c0 && c < c1) assertClose(want, mag, part[c], where + " (range)");
                            else assertEquals(y0[c], part[c], where + " outside range");
                        }
                    }
                }
            }
        }
    }

    @Test
    void gatheredKernelsRejectNonBf16() {
        Matrix f32 = TestData.matrix("gate32", new float[4 * 8], 4, 8, DType.F32);
        for (QuantKernels k : all) {
            var e = assertThrows(IllegalArgumentException.class, () -> k.gatherRowsDot(f32, new int[] {0}, new float[8], new float[1], 0, 1));
            assertTrue(e.getMessage().contains("gate32") && e.getMessage().contains("found F32"), e.getMessage());
        }
    }

    @Test
    void providerSaysWhy() {
        assertNotNull(Kernels.quant());
        assertFalse(Kernels.reason().isBlank());
        System.out.println("provider: " + Kernels.quant().name() + " (" + Kernels.reason() + ")");
    }
}
