// FP8 matvec: the scalar twin against Fp8.dequantizeBlockScaled-then-dot, the Vector API kernel against the twin.
package io.strata.compression.fp8;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strata.compression.DType;
import io.strata.compression.Fp8;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Fp8KernelsTest {
    @ParameterizedTest
    @CsvSource({"1,128,128,128", "13,256,128,128", "130,384,128,128", "7,96,32,32", "5,100,32,25", "3,200,128,128", "9,192,64,64", "4,512,16,256"})
    void scalarIsDequantizeThenDotAndVectorMatchesIt(int rows, int cols, int br, int bc) {
        Random r = new Random(rows * 7L + cols);
        byte[] codes = new byte[rows * cols];
        r.nextBytes(codes);
        for (int i = 0; i < codes.length; i++) if ((codes[i] & 0x7F) == 0x7F) codes[i] = 0x7E; // no NaN codes in weights
        int sr = (rows + br - 1) / br, sc = (cols + bc - 1) / bc;
        float[] scales = new float[sr * sc];
        for (int i = 0; i < scales.length; i++) scales[i] = (float) Math.pow(10, -4 + 2 * r.nextDouble());
        Fp8Matrix w = new Fp8Matrix("w", rows, cols, br, bc, MemorySegment.ofArray(codes), MemorySegment.ofArray(scales));
        int n = 2;
        float[] x = new float[n * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[] deq = new float[rows * cols];
        Fp8.dequantizeBlockScaled(w.codes(), w.scales(), DType.F32, rows, cols, br, bc, deq);
        float[] scalar = new float[n * rows];
        new Fp8Kernels.Scalar().matmul(w, x, n, scalar, 0, rows);
        float[] abs = new float[n * rows];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < rows; i++) {
                double acc = 0, a = 0;
                for (int c = 0; c < cols; c++) {
                    acc += (double) deq[i * cols + c] * x[t * cols + c];
                    a += Math.abs((double) deq[i * cols + c] * x[t * cols + c]);
                }
                abs[t * rows + i] = (float) a;
                assertEquals(acc, scalar[t * rows + i], 1e-5 * a + 1e-30, "scalar row " + i);
            }
        }
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), "no Vector API module");
        VectorFp8Kernels v = new VectorFp8Kernels();
        float[] vec = new float[n * rows];
        v.matmul(w, x, n, vec, 0, rows);
        for (int i = 0; i < vec.length; i++) assertEquals(scalar[i], vec[i], 1e-5f * abs[i] + 1e-30f, v.name() + " " + i);
        float[] y = new float[rows];
        Fp8Kernels.best().matvec(w, java.util.Arrays.copyOf(x, cols), y);
        for (int i = 0; i < rows; i++) assertEquals(scalar[i], y[i], 1e-5f * abs[i] + 1e-30f);
    }
}
