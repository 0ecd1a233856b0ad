// Runs every reducing Vector API kernel on fixed inputs and collects the bits of the results (for ReproducibleKernelsTest).
package io.strata.compression.kernel;

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

/**
 * The inputs are built once from a fixed seed; {@link #run()} calls the kernels (one thread, no
 * {@link Parallel}) and returns every output float as its raw bits. {@link #main} prints them, one
 * per line, so another JVM (interpreter only, or C1 only) can be compared with this one.
 * Sizes are small so the interpreter finishes in seconds, and awkward so every tail path runs.
 */
public final class KernelFingerprint {
    private final DenseKernels dense = Kernels.vectorOrNull();
    private final QuantKernels quant = Kernels.vectorQuantOrNull();
    private final List<Matrix> denseW = new ArrayList<>();
    private final List<QuantizedMatrix> quantW = new ArrayList<>();
    private final float[] x;       // (3, 1090) activations, enough for every shape below
    private final float[] norm;    // (1090) rmsnorm weights
    private final Matrix gathered; // BF16 [40, 1040] rows for the FloE kernels
    private final int[] rowList = {3, 39, 0, 17, 8, 21, 5};

    public KernelFingerprint() {
        if (dense == null || quant == null) throw new IllegalStateException("Vector API kernels unavailable: " + Kernels.reason());
        Random rnd = new Random(11);
        x = TestData.gaussian(rnd, 3 * 1090, 1f);
        norm = TestData.gaussian(rnd, 1090, 1f);
        for (int cols : new int[] {1024, 1090}) {
            for (DType dt : new DType[] {DType.BF16, DType.F32, DType.F16}) {
                denseW.add(TestData.matrix("w", TestData.gaussian(rnd, 9 * cols, 0.05f), 9, cols, dt));
            }
        }
        Arena arena = Arena.ofAuto();
        for (int bits : new int[] {2, 4, 8}) {
            for (int cols : new int[] {1024, 1088}) {
                Matrix w = TestData.matrix("q", TestData.gaussian(rnd, 6 * cols, 0.05f), 6, cols, DType.BF16);
                quantW.add(QuantizedMatrix.encode(w, new QuantFormat(bits, 32), HqqFit.RTN, arena));
            }
        }
        gathered = TestData.matrix("g", TestData.gaussian(rnd, 40 * 1040, 0.05f), 40, 1040, DType.BF16);
    }

    /** Raw bits of every output of every kernel call, in a fixed order. */
    public int[] run() {
        List<float[]> outs = new ArrayList<>();
        for (Matrix w : denseW) {
            for (int n : new int[] {1, 3}) {
                float[] o = new float[n * w.rows()];
                dense.matmul(w, x, n, o, 0, w.rows());
                outs.add(o);
            }
        }
        for (QuantizedMatrix w : quantW) {
            for (int n : new int[] {1, 3}) {
                float[] o = new float[n * w.rows()];
                quant.matmul(w, x, n, o, 0, w.rows());
                outs.add(o);
            }
        }
        outs.add(new float[] {dense.dot(x, 1, x, 1100, 1033), dense.dot(x, 0, norm, 0, 64)});
        float[] o = new float[1090];
        dense.rmsnorm(x, 7, norm, 0, o, 0, 1090, 1e-6f);
        outs.add(o);
        float[] s = new float[1090];
        dense.siluMul(x, 0, x, 1090, s, 0, 1090);
        outs.add(s);
        float[] g = new float[rowList.length];
        quant.gatherRowsDot(gathered, rowList, x, g, 0, rowList.length);
        outs.add(g);
        float[] y = java.util.Arrays.copyOf(norm, 1040);
        quant.scatterRowsAxpy(gathered, rowList, x, rowList.length, y, 0, 1040);
        outs.add(y);
        int total = 0;
        for (float[] a : outs) total += a.length;
        int[] bits = new int[total];
        int i = 0;
        for (float[] a : outs) {
            for (float v : a) bits[i++] = Float.floatToRawIntBits(v);
        }
        return bits;
    }

    /** Prints {@link #run()} as one decimal int per line. */
    public static void main(String[] args) {
        StringBuilder sb = new StringBuilder();
        for (int b : new KernelFingerprint().run()) sb.append(b).append('\n');
        System.out.print(sb);
    }
}
