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
        "F16,1,1,1", "F16,13,207,2", "F16,207,4098,1"})
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
