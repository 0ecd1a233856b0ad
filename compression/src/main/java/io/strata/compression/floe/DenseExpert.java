// The dense SwiGLU expert: the reference the FloE forward is measured against.
package io.strata.compression.floe;

import io.strata.compression.codec.ExpertWeights;
import io.strata.compression.kernel.DenseKernels;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.Parallel;

/** {@code y = W_down · (SiLU(W_gate·x) ⊙ (W_up·x))}, x and y of length H. */
public final class DenseExpert {
    private DenseExpert() {}

    /** SiLU(a) = a·σ(a). */
    public static float silu(float a) {
        return (float) (a / (1.0 + Math.exp(-a)));
    }

    /** With the dense CPU kernels ({@link Kernels#dense()}), rows split across threads. x: (H), y: (H) overwritten. */
    public static void forward(ExpertWeights w, float[] x, float[] y) {
        forward(w, x, y, Kernels.dense());
    }

    public static void forward(ExpertWeights w, float[] x, float[] y, DenseKernels k) {
        int inter = w.intermediate();
        float[] g = new float[inter], u = new float[inter]; // (I) gate and up projections
        Parallel.forRange(inter, 64, (a, b) -> {
            k.matmul(w.gate(), x, 1, g, a, b);
            k.matmul(w.up(), x, 1, u, a, b);
        });
        for (int i = 0; i < inter; i++) g[i] = silu(g[i]) * u[i];
        Parallel.forRange(w.hidden(), 64, (a, b) -> k.matmul(w.down(), g, 1, y, a, b));
    }

    /** Plain loops with double accumulation over {@code Matrix.get}: the specification. x: (H), y: (H) overwritten. */
    public static void reference(ExpertWeights w, float[] x, float[] y) {
        int hidden = w.hidden(), inter = w.intermediate();
        float[] h = new float[inter]; // (I) SiLU(gate·x) ⊙ up·x
        for (int i = 0; i < inter; i++) {
            double g = 0, u = 0;
            for (int c = 0; c < hidden; c++) {
                g += (double) w.gate().get(i, c) * x[c];
                u += (double) w.up().get(i, c) * x[c];
            }
            h[i] = silu((float) g) * (float) u;
        }
        for (int r = 0; r < hidden; r++) {
            double acc = 0;
            for (int i = 0; i < inter; i++) acc += (double) w.down().get(r, i) * h[i];
            y[r] = (float) acc;
        }
    }
}
