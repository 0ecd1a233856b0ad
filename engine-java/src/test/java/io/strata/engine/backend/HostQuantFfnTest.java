// The block-quantized SwiGLU expert on the host against a double-precision twin over the codec's own dequantized weights.
package io.strata.engine.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.ExpertWeights;
import io.strata.compression.codec.GroupQuantCodec;
import io.strata.compression.kernel.Parallel;
import io.strata.compression.quant.HqqFit;
import io.strata.compression.quant.QuantFormat;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link HostQuantFfn#forward}: the plain SwiGLU and gpt-oss's biased, clamped form, for INT8 and INT4 experts and 1 to 6
 * tokens, against y = W_down·act(W_gate·x, W_up·x) in double precision over the weights the codec decodes. The
 * intermediate size (192) splits into two chunks of rows over two threads, and its last 64 columns of the down projection
 * fall past the kernels' vector chunks; the result must not depend on the thread count (the activation runs per chunk).
 */
class HostQuantFfnTest {
    private static final int HIDDEN = 256, INTER = 192;

    private static Matrix gaussian(Arena arena, String name, int rows, int cols, SplittableRandom r, double sd) {
        MemorySegment seg = arena.allocate(4L * rows * cols, 64);
        for (long i = 0; i < (long) rows * cols; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextGaussian() * sd));
        return new Matrix(name, seg, DType.F32, rows, cols);
    }

    private static float[] gauss(SplittableRandom r, int n, double sd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * sd);
        return v;
    }

    /** W (rows, cols) · x_t in double. */
    private static double[] product(Matrix w, float[] x, int xo) {
        double[] y = new double[w.rows()];
        for (int r = 0; r < w.rows(); r++) {
            double s = 0;
            for (int c = 0; c < w.cols(); c++) s += (double) w.get(r, c) * x[xo + c];
            y[r] = s;
        }
        return y;
    }

    @ParameterizedTest
    @CsvSource({"8,1,false", "8,3,true", "4,1,true", "4,6,false", "4,5,true"})
    void matchesTheDequantizedTwinWhateverTheThreadCount(int bits, int n, boolean glu) {
        SplittableRandom r = new SplittableRandom(bits * 31L + n);
        try (Arena arena = Arena.ofShared()) { // the worker threads read the blob
            ExpertWeights w = new ExpertWeights(gaussian(arena, "gate", INTER, HIDDEN, r, 0.05), gaussian(arena, "up", INTER, HIDDEN, r, 0.05),
                    gaussian(arena, "down", HIDDEN, INTER, r, 0.05));
            GroupQuantCodec codec = new GroupQuantCodec(new QuantFormat(bits, 64), HqqFit.RTN);
            EncodedExpert e = codec.encode(w, arena);
            ExpertWeights d = codec.decode(e, arena); // the weights the kernels multiply by
            float[] x = gauss(r, n * HIDDEN, 1);
            float[] gb = glu ? gauss(r, INTER, 0.5) : null, ub = glu ? gauss(r, INTER, 0.5) : null, db = glu ? gauss(r, HIDDEN, 0.5) : null;
            float alpha = 1.702f, limit = 0.6f; // a limit the gate and up values cross, so the clamps are exercised

            float[] y = new float[n * HIDDEN], y1 = new float[n * HIDDEN];
            HostQuantFfn.forward(e, x, n, y, gb, ub, db, alpha, limit);
            Parallel.withThreads(1, () -> HostQuantFfn.forward(e, x, n, y1, gb, ub, db, alpha, limit));
            for (int i = 0; i < y.length; i++) {
                assertEquals(Float.floatToRawIntBits(y1[i]), Float.floatToRawIntBits(y[i]), "one thread vs " + Parallel.threads() + ", output " + i);
            }

            int clamped = 0;
            for (int t = 0; t < n; t++) {
                double[] g = product(d.gate(), x, t * HIDDEN), u = product(d.up(), x, t * HIDDEN);
                float[] act = new float[INTER];
                for (int i = 0; i < INTER; i++) {
                    if (glu) {
                        double gi = Math.min(g[i] + gb[i], limit), ui = Math.max(-limit, Math.min(u[i] + ub[i], limit));
                        if (gi == limit || Math.abs(ui) == limit) clamped++;
                        act[i] = (float) ((ui + 1) * (gi / (1 + Math.exp(-alpha * gi))));
                    } else {
                        act[i] = (float) (g[i] / (1 + Math.exp(-g[i])) * u[i]);
                    }
                }
                double[] want = product(d.down(), act, 0);
                double norm = 0, err = 0;
                for (int h = 0; h < HIDDEN; h++) {
                    double v = want[h] + (glu ? db[h] : 0);
                    norm += v * v;
                    err += (y[t * HIDDEN + h] - v) * (y[t * HIDDEN + h] - v);
                }
                assertTrue(Math.sqrt(err / norm) < 1e-5, "int" + bits + " n=" + n + " glu=" + glu + " token " + t + ": relative error "
                        + Math.sqrt(err / norm) + " (outputs " + Arrays.toString(Arrays.copyOfRange(y, t * HIDDEN, t * HIDDEN + 4)) + ")");
            }
            if (glu) assertTrue(clamped > 0, "the limit clamps some channels");
        }
    }
}
