// An MXFP4 expert on the host: the fused ggml block kernels straight from the codec blob (no expansion to floats).
package io.strata.engine.backend;

import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.Mxfp4Codec;
import io.strata.compression.floe.DenseExpert;
import io.strata.compression.ggml.GgmlKernels;
import io.strata.compression.ggml.GgmlMatrix;
import io.strata.compression.kernel.Parallel;

/**
 * {@code out = Ŵ_down · act(Ŵ_gate·x, Ŵ_up·x)} with Ŵ read block by block from the MXFP4 blob by {@link GgmlKernels}
 * (Vector API, or the scalar twin with {@code -Dstrata.vector=false}); act is SiLU(g)·u, or gpt-oss's biased,
 * clamped form ({@link ClampedGlu}) when glu is given.
 */
public final class HostMxfp4Ffn {
    private static final GgmlKernels KERNELS = GgmlKernels.best();

    private HostMxfp4Ffn() {}

    /** x (n, H) read from {@code be}, the result written to out (n, H) of {@code be}; glu may be null. */
    public static void forward(Backend be, EncodedExpert e, Buf in, int n, Buf out, ClampedGlu glu) {
        int h = e.params().hidden(), inter = e.params().intermediate();
        float[] x = new float[n * h], y = new float[n * h];
        be.read(in, x, 0, n * h);
        float[] gb = null, ub = null, db = null;
        if (glu != null) {
            gb = new float[inter];
            ub = new float[inter];
            db = new float[h];
            be.read(glu.gateBias(), gb, 0, inter);
            be.read(glu.upBias(), ub, 0, inter);
            be.read(glu.downBias(), db, 0, h);
        }
        forward(e, x, n, y, gb, ub, db, glu == null ? 0 : glu.alpha(), glu == null ? Float.NaN : glu.limit());
        be.write(out, y, 0, n * h);
    }

    /** y (n, H) = the expert on x (n, H), host arrays; biases gb, ub (I), db (H) null for the plain SwiGLU. */
    public static void forward(EncodedExpert e, float[] x, int n, float[] y, float[] gb, float[] ub, float[] db, float alpha, float limit) {
        GgmlMatrix gate = Mxfp4Codec.view(e, "gate"), up = Mxfp4Codec.view(e, "up"), down = Mxfp4Codec.view(e, "down");
        int h = gate.cols(), inter = gate.rows();
        float[] g = new float[n * inter], u = new float[n * inter];
        Parallel.forRange(inter, 64, (a, b) -> {
            KERNELS.matmul(gate, x, n, g, a, b);
            KERNELS.matmul(up, x, n, u, a, b);
        });
        if (gb == null) {
            for (int i = 0; i < g.length; i++) g[i] = DenseExpert.silu(g[i]) * u[i];
        } else {
            for (int i = 0; i < g.length; i++) g[i] = ClampedGlu.apply(g[i] + gb[i % inter], u[i] + ub[i % inter], alpha, limit);
        }
        Parallel.forRange(h, 64, (a, b) -> KERNELS.matmul(down, g, n, y, a, b));
        if (db != null) for (int i = 0; i < y.length; i++) y[i] += db[i % h];
    }
}
