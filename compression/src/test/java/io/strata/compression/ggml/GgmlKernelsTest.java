// ggml matvec kernels: the scalar twin against dequantize-then-dot, and the Vector API kernels against the twin, over awkward shapes.
package io.strata.compression.ggml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strata.compression.Halfs;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GgmlKernelsTest {
    /** Random blocks of t with finite f16 scale fields (at the offsets GgmlDequant reads them from). */
    static GgmlMatrix random(GgmlType t, int rows, int cols, long seed) {
        Random r = new Random(seed);
        byte[] b = new byte[(int) ((long) rows * cols / t.blockSize * t.typeSize)];
        r.nextBytes(b);
        int[] halves = switch (t) {
            case Q8_0, Q4_0 -> new int[] {0};
            case Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> new int[0];
        };
        for (int blk = 0; blk < b.length / t.typeSize; blk++) {
            for (int o : halves) {
                short h = Halfs.floatToF16((float) ((r.nextBoolean() ? 1 : -1) * Math.pow(10, -3 + 2 * r.nextDouble())));
                b[blk * t.typeSize + o] = (byte) h;
                b[blk * t.typeSize + o + 1] = (byte) (h >> 8);
            }
            if (t == GgmlType.MXFP4) b[blk * t.typeSize] = (byte) (118 + r.nextInt(16)); // scales 2^-10 .. 2^5
        }
        return new GgmlMatrix(t + "-test", t, rows, cols, MemorySegment.ofArray(b));
    }

    @ParameterizedTest
    @CsvSource({"Q8_0,1,32", "Q8_0,13,96", "Q8_0,7,2048", "MXFP4,1,32", "MXFP4,13,160", "MXFP4,5,2880", "Q4_K,1,256", "Q4_K,13,768",
            "Q4_K,3,4096", "Q5_K,4,512", "Q5_K,13,768", "Q6_K,4,512", "Q6_K,13,768", "Q6_K,3,4096", "Q4_0,3,64"})
    void scalarTwinIsDequantizeThenDotAndVectorMatchesIt(String type, int rows, int cols) {
        GgmlType t = GgmlType.valueOf(type);
        GgmlMatrix w = random(t, rows, cols, rows * 31L + cols);
        int n = 2;
        float[] x = new float[n * cols];
        Random r = new Random(7);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[] ref = new float[n * rows], abs = new float[n * rows];
        float[] row = new float[cols];
        for (int i = 0; i < rows; i++) {
            GgmlDequant.dequantize(t, w.data(), i * w.rowBytes(), row, 0, cols);
            for (int tok = 0; tok < n; tok++) {
                double acc = 0, a = 0;
                for (int c = 0; c < cols; c++) {
                    acc += (double) row[c] * x[tok * cols + c];
                    a += Math.abs((double) row[c] * x[tok * cols + c]);
                }
                ref[tok * rows + i] = (float) acc;
                abs[tok * rows + i] = (float) a;
            }
        }
        float[] scalar = new float[n * rows];
        new GgmlKernels.Scalar().matmul(w, x, n, scalar, 0, rows);
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], scalar[i], 1e-5f * abs[i] + 1e-30f, type + " scalar " + i);
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), "no Vector API module");
        VectorGgmlKernels vk = new VectorGgmlKernels();
        float[] vec = new float[n * rows];
        vk.matmul(w, x, n, vec, 0, rows);
        for (int i = 0; i < ref.length; i++) assertEquals(scalar[i], vec[i], 1e-5f * abs[i] + 1e-30f, type + " " + vk.name() + " " + i);
        // A partial row range writes only its rows.
        float[] part = new float[n * rows];
        vk.matmul(w, x, n, part, rows / 2, rows);
        for (int tok = 0; tok < n; tok++) {
            for (int i = 0; i < rows; i++) assertEquals(i < rows / 2 ? 0f : vec[tok * rows + i], part[tok * rows + i]);
        }
        float[] y = new float[rows];
        GgmlKernels.best().matvec(w, java.util.Arrays.copyOf(x, cols), y);
        for (int i = 0; i < rows; i++) assertEquals(scalar[i], y[i], 1e-5f * abs[i] + 1e-30f);
    }

    @org.junit.jupiter.api.Test
    void badShapesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GgmlMatrix("w", GgmlType.Q4_K, 2, 100, MemorySegment.ofArray(new byte[288])));
        assertTrue(e.getMessage().contains("w") && e.getMessage().contains("Q4_K"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GgmlMatrix("w", GgmlType.Q8_0, 2, 64, MemorySegment.ofArray(new byte[100])));
        assertTrue(e.getMessage().contains("136"), e.getMessage());
    }
}
