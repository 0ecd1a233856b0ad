// Matrix-vector products straight from ggml blocks (no expansion to floats in memory): the seam and its scalar twin.
package io.strata.compression.ggml;

import io.strata.compression.kernel.Parallel;

/**
 * {@code out[t·rows + r] = Σ_c W[r][c] · x[t·cols + c]} for rows {@code [r0, r1)} and tokens
 * {@code t < n}, W dequantized on the fly block by block. Implementations: {@link Scalar} (the
 * specification, every dequantizable type) and {@code VectorGgmlKernels} (Q8_0, MXFP4, Q4_K, Q5_K, Q6_K).
 */
public interface GgmlKernels {
    String name();

    /** x: (n, cols), out: (n, rows); rows [r0, r1) only. */
    void matmul(GgmlMatrix w, float[] x, int n, float[] out, int r0, int r1);

    /** y = W·x for one token over all rows, rows split across threads. x: (cols), y: (rows). */
    default void matvec(GgmlMatrix w, float[] x, float[] y) {
        Parallel.forRange(w.rows(), 16, (a, b) -> matmul(w, x, 1, y, a, b));
    }

    /** The specification: dequantize one block with {@link GgmlDequant}, then a plain dot product. */
    final class Scalar implements GgmlKernels {
        @Override
        public String name() {
            return "scalar";
        }

        @Override
        public void matmul(GgmlMatrix w, float[] x, int n, float[] out, int r0, int r1) {
            GgmlType t = w.type();
            int bs = t.blockSize, blocks = w.cols() / bs;
            float[] tmp = new float[bs];
            for (int r = r0; r < r1; r++) {
                long row = r * w.rowBytes();
                for (int tok = 0; tok < n; tok++) {
                    int xo = tok * w.cols();
                    float acc = 0f;
                    for (int b = 0; b < blocks; b++) {
                        GgmlDequant.dequantize(t, w.data(), row + (long) b * t.typeSize, tmp, 0, bs);
                        for (int j = 0; j < bs; j++) acc += tmp[j] * x[xo + b * bs + j];
                    }
                    out[tok * w.rows() + r] = acc;
                }
            }
        }
    }

    /** The Vector API kernels when the module is present (else the scalar twin), with the reason logged once. */
    static GgmlKernels best() {
        return Provider.get();
    }

    /** Chooses once; the vector class is only touched when jdk.incubator.vector is in the boot layer. */
    final class Provider {
        private static volatile GgmlKernels chosen;
        private static volatile String reason;

        private Provider() {}

        public static GgmlKernels get() {
            if (chosen == null) {
                synchronized (Provider.class) {
                    if (chosen == null) {
                        if ("false".equalsIgnoreCase(System.getProperty("strata.vector"))) {
                            reason = "-Dstrata.vector=false";
                            chosen = new Scalar();
                        } else if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                            reason = "jdk.incubator.vector not in the boot layer";
                            chosen = new Scalar();
                        } else {
                            try {
                                chosen = new VectorGgmlKernels();
                                reason = "Vector API";
                            } catch (Throwable e) {
                                reason = "Vector API failed to initialise: " + e;
                                chosen = new Scalar();
                            }
                        }
                        System.getLogger("strata.kernels").log(System.Logger.Level.INFO, "ggml kernels: " + chosen.name() + " (" + reason + ")");
                    }
                }
            }
            return chosen;
        }

        public static String reason() {
            get();
            return reason;
        }
    }
}
