// Vector API dense kernels against their scalar twin over awkward sizes, every dtype, several token counts.
package io.strata.compression.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.compression.DType;
import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VectorScalarDenseParityTest {
    static Matrix random(Arena arena, DType dt, int rows, int cols, SplittableRandom r) {
        MemorySegment m = arena.allocate((long) rows * cols * dt.bytes, 64);
        for (long i = 0; i < (long) rows * cols; i++) {
            float v = (float) (r.nextDouble() * 2 - 1);
            switch (dt) {
                case F32 -> m.setAtIndex(Layouts.F32, i, v);
                case BF16 -> m.setAtIndex(Layouts.I16, i, Halfs.floatToBf16(v));
                case F16 -> m.setAtIndex(Layouts.I16, i, Halfs.floatToF16(v));
                default -> throw new IllegalArgumentException();
            }
        }
        return new Matrix("w", m, dt, rows, cols);
    }

    @ParameterizedTest
    @CsvSource({
        "BF16,1,1,1", "BF16,207,4098,1", "BF16,13,13,1", "BF16,13,13,3", "BF16,207,207,5", "BF16,4098,13,1", "BF16,13,4098,2", "BF16,207,4098,9",
        "F32,1,1,1", "F32,13,13,3", "F32,207,207,5", "F32,4098,13,1", "F32,13,4098,4",
        "F16,1,1,1", "F16,13,207,2", "F16,207,4098,1", "F16,13,13,4", "F16,207,4098,5", "F16,13,4098,9"})
    void vectorMatchesScalar(DType dt, int rows, int cols, int n) {
        DenseKernels vec = Kernels.vectorOrNull();
        assertNotNull(vec, "tests run with --add-modules jdk.incubator.vector: " + Kernels.reason());
        SplittableRandom r = new SplittableRandom(rows * 31L + cols);
        try (Arena arena = Arena.ofConfined()) {
            Matrix w = random(arena, dt, rows, cols, r);
            float[] x = new float[n * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
            float[] a = new float[n * rows], b = new float[n * rows];
            java.util.Arrays.fill(b, Float.NaN); // poison: every output must be written
            new ScalarDenseKernels().matmul(w, x, n, a, 0, rows);
            vec.matmul(w, x, n, b, 0, rows);
            for (int i = 0; i < a.length; i++) {
                // f32 sums in a different order: error grows like sqrt(cols) ulps of the magnitudes summed
                double tol = 1e-5 * Math.sqrt(cols) * Math.max(1, Math.sqrt(cols) / 2);
                assertTrue(Math.abs(a[i] - b[i]) <= tol, dt + " " + rows + "x" + cols + " n=" + n + " i=" + i + ": " + a[i] + " vs " + b[i]);
            }
            // A sub-range of rows leaves the others untouched.
            float[] c = new float[n * rows];
            java.util.Arrays.fill(c, 7f);
            int r0 = rows / 3, r1 = rows - rows / 4;
            vec.matmul(w, x, n, c, r0, r1);
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < rows; i++) {
                    if (i < r0 || i >= r1) assertEquals(7f, c[t * rows + i]);
                }
            }
        }
    }

    /**
     * bf16 prefill blocks tokens four at a time, with passes of their own for a last one or two (f16: four at a time,
     * the rest in one pass): each token's outputs must carry the bits the one-token (decode) kernel gives it alone,
     * whatever n and its place in it.
     */
    @ParameterizedTest
    @CsvSource({"BF16,13,4098", "BF16,8,64", "BF16,207,96", "F16,13,4098", "F16,8,64", "F16,207,97"})
    void tokenGetsTheSameBitsInABatchAsAlone(DType dt, int rows, int cols) {
        DenseKernels vec = Kernels.vectorOrNull();
        assertNotNull(vec, "tests run with --add-modules jdk.incubator.vector: " + Kernels.reason());
        SplittableRandom r = new SplittableRandom(rows * 7L + cols);
        try (Arena arena = Arena.ofConfined()) {
            Matrix w = random(arena, dt, rows, cols, r);
            float[] x = gauss(r, 9 * cols, 1);
            float[][] alone = new float[9][rows];
            for (int t = 0; t < 9; t++) vec.matmul(w, java.util.Arrays.copyOfRange(x, t * cols, (t + 1) * cols), 1, alone[t], 0, rows);
            for (int n = 2; n <= 9; n++) {
                float[] batch = new float[n * rows];
                vec.matmul(w, x, n, batch, 0, rows);
                for (int t = 0; t < n; t++) {
                    for (int i = 0; i < rows; i++) {
                        assertEquals(Float.floatToRawIntBits(alone[t][i]), Float.floatToRawIntBits(batch[t * rows + i]),
                                dt + " " + rows + "x" + cols + " n=" + n + " token " + t + " row " + i + ": " + alone[t][i] + " alone vs " + batch[t * rows + i]);
                    }
                }
            }
        }
    }

    /**
     * bf16 passes take four rows a quarter of the row range apart: each row's bits over any range (1 to 9 rows, 66, a
     * range starting at row 5: quarters that come out short) are those of the row computed on its own, for one token
     * and for a batch of five.
     */
    @ParameterizedTest
    @CsvSource({"71,1024,1", "71,96,5", "71,4098,1"})
    void bf16RowGetsTheSameBitsInAnyRowRange(int rows, int cols, int n) {
        DenseKernels vec = Kernels.vectorOrNull();
        assertNotNull(vec, "tests run with --add-modules jdk.incubator.vector: " + Kernels.reason());
        SplittableRandom r = new SplittableRandom(rows * 5L + cols);
        try (Arena arena = Arena.ofConfined()) {
            Matrix w = random(arena, DType.BF16, rows, cols, r);
            float[] x = gauss(r, n * cols, 1);
            float[] alone = new float[n * rows];
            for (int i = 0; i < rows; i++) vec.matmul(w, x, n, alone, i, i + 1);
            for (int[] range : new int[][] {{0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}, {0, 6}, {0, 7}, {0, 8}, {0, 9}, {0, 66}, {5, 71}}) {
                float[] out = new float[n * rows];
                vec.matmul(w, x, n, out, range[0], range[1]);
                for (int t = 0; t < n; t++) {
                    for (int i = range[0]; i < range[1]; i++) {
                        assertEquals(Float.floatToRawIntBits(alone[t * rows + i]), Float.floatToRawIntBits(out[t * rows + i]),
                                rows + "x" + cols + " n=" + n + " rows " + range[0] + ".." + range[1] + " token " + t + " row " + i);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1", "13", "207", "4098"})
    void dotMatchesScalar(int len) {
        SplittableRandom r = new SplittableRandom(len);
        float[] a = new float[len + 3], b = new float[len + 5];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        float s = new ScalarDenseKernels().dot(a, 3, b, 5, len);
        float v = Kernels.vectorOrNull().dot(a, 3, b, 5, len);
        assertEquals(s, v, 1e-5 * Math.sqrt(len) * 4);
    }

    /** Relative L2 distance of b from a. */
    static double rel(float[] a, float[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            assertTrue(!Float.isNaN(b[i]), "NaN at " + i);
            num += (a[i] - (double) b[i]) * (a[i] - (double) b[i]);
            den += (double) a[i] * a[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }

    static float[] gauss(SplittableRandom r, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * std);
        return a;
    }

    /** The per-element ops: each vector version against its scalar twin, at offsets, over awkward lengths. */
    @ParameterizedTest
    @CsvSource({"1", "13", "207", "4098"})
    void elementOpsMatchScalar(int len) {
        DenseKernels s = new ScalarDenseKernels(), v = Kernels.vectorOrNull();
        assertNotNull(v, Kernels.reason());
        SplittableRandom r = new SplittableRandom(len * 7L);
        float[] x = gauss(r, len + 5, 1.5), w = gauss(r, len + 2, 1), u = gauss(r, len + 3, 1);
        // rmsnorm, out at an offset
        float[] a = new float[len + 1], b = new float[len + 1];
        s.rmsnorm(x, 5, w, 2, a, 1, len, 1e-6f);
        v.rmsnorm(x, 5, w, 2, b, 1, len, 1e-6f);
        assertTrue(rel(a, b) < 1e-6, "rmsnorm " + len + ": " + rel(a, b));
        // siluMul over a range wide enough to hit the clamps of the exp (|x| up to ~100)
        float[] big = gauss(r, len + 5, 30);
        a = new float[len];
        b = new float[len];
        s.siluMul(big, 5, u, 3, a, 0, len);
        v.siluMul(big, 5, u, 3, b, 0, len);
        assertTrue(rel(a, b) < 1e-6, "siluMul " + len + ": " + rel(a, b));
        for (int i = 0; i < len; i++) {
            assertEquals(a[i], b[i], 1e-6 * Math.abs(a[i]) + 1e-30, "siluMul element " + i + " of " + len + " at x = " + big[5 + i]);
        }
        // axpy, add, clamp in place
        float[] ya = java.util.Arrays.copyOf(w, len + 2), yb = ya.clone();
        s.axpy(ya, 2, x, 5, -0.37f, len);
        v.axpy(yb, 2, x, 5, -0.37f, len);
        assertTrue(rel(ya, yb) < 1e-6, "axpy " + len);
        s.add(ya, 1, u, 3, len);
        v.add(yb, 1, u, 3, len);
        assertTrue(rel(ya, yb) < 1e-6, "add " + len);
        s.clamp(ya, 2, len, -0.5f, 0.25f);
        v.clamp(yb, 2, len, -0.5f, 0.25f);
        assertTrue(rel(ya, yb) < 1e-6, "clamp " + len);
        for (int i = 2; i < len + 2; i++) assertTrue(ya[i] >= -0.5f && ya[i] <= 0.25f);
    }

    /** Rotary embedding over head sizes whose halves are below, at and past the vector width. */
    @ParameterizedTest
    @CsvSource({"2,1", "26,3", "64,4", "128,2", "414,1"})
    void ropeMatchesScalar(int headDim, int heads) {
        SplittableRandom r = new SplittableRandom(headDim);
        int half = headDim / 2;
        float[] cos = new float[half], sin = new float[half];
        for (int i = 0; i < half; i++) {
            double ang = 37 * Math.pow(10000, -2.0 * i / headDim);
            cos[i] = (float) Math.cos(ang);
            sin[i] = (float) Math.sin(ang);
        }
        float[] a = gauss(r, 3 + heads * headDim, 1), b = a.clone();
        new ScalarDenseKernels().rope(a, 3, heads, headDim, cos, sin);
        Kernels.vectorOrNull().rope(b, 3, heads, headDim, cos, sin);
        assertTrue(rel(a, b) < 1e-6, "rope " + headDim + ": " + rel(a, b));
    }

    @org.junit.jupiter.api.Test
    void bf16ConversionRoundsToNearestEven() {
        // 1 + 2^-8 lies exactly between two bf16 values (1 and 1 + 2^-7): ties go to the even one (1).
        assertEquals(1f, Halfs.bf16ToFloat(Halfs.floatToBf16(1f + 0x1p-8f)));
        // 1 + 3·2^-8 lies between 1 + 2^-7 (odd mantissa) and 1 + 2^-6: ties to even → 1 + 2^-6.
        assertEquals(1f + 0x1p-6f, Halfs.bf16ToFloat(Halfs.floatToBf16(1f + 3 * 0x1p-8f)));
        assertTrue(Float.isNaN(Halfs.bf16ToFloat(Halfs.floatToBf16(Float.NaN))));
        assertEquals(Float.POSITIVE_INFINITY, Halfs.bf16ToFloat(Halfs.floatToBf16(Float.POSITIVE_INFINITY)));
    }
}
