// Matrix-vector products straight from block-scaled FP8 codes: the seam, its scalar twin and the provider.
package io.strata.compression.fp8;

import io.strata.compression.Fp8;
import io.strata.compression.Layouts;
import io.strata.compression.kernel.Parallel;
import java.lang.foreign.ValueLayout;

/** {@code out[t·rows + r] = Σ_c W[r][c]·x[t·cols + c]} for rows [r0, r1), tokens t &lt; n; x: (n, cols), out: (n, rows). */
public interface Fp8Kernels {
    String name();

    void matmul(Fp8Matrix w, float[] x, int n, float[] out, int r0, int r1);

    default void matvec(Fp8Matrix w, float[] x, float[] y) {
        Parallel.forRange(w.rows(), 16, (a, b) -> matmul(w, x, 1, y, a, b));
    }

    /** The specification: each code through {@link Fp8#e4m3ToFloat}, times its block's scale, dotted with x. */
    final class Scalar implements Fp8Kernels {
        @Override
        public String name() {
            return "scalar";
        }

        @Override
        public void matmul(Fp8Matrix w, float[] x, int n, float[] out, int r0, int r1) {
            for (int r = r0; r < r1; r++) {
                long row = (long) r * w.cols(), srow = (long) (r / w.br()) * w.scaleCols();
                for (int t = 0; t < n; t++) {
                    float acc = 0f;
                    for (int c = 0; c < w.cols(); c++) {
                        float s = w.scales().getAtIndex(Layouts.F32, srow + c / w.bc());
                        acc += Fp8.e4m3ToFloat(w.codes().get(ValueLayout.JAVA_BYTE, row + c)) * s * x[t * w.cols() + c];
                    }
                    out[t * w.rows() + r] = acc;
                }
            }
        }
    }

    /** Vector API kernels when the module is present, else the scalar twin. */
    static Fp8Kernels best() {
        if (!"false".equalsIgnoreCase(System.getProperty("strata.vector")) && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            try {
                return new VectorFp8Kernels();
            } catch (Throwable e) {
                System.getLogger("strata.kernels").log(System.Logger.Level.INFO, "FP8 kernels: scalar (Vector API failed: " + e + ")");
            }
        }
        return new Scalar();
    }
}
